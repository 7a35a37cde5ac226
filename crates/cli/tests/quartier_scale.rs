//! Closing and splitting from the command line (issue 20): the settings are recorded,
//! read back, refused when out of range, and swept; the previous method is one set of
//! flags away.

mod common;
use common::{ok, qpv, stderr};
use std::path::Path;

fn manifest(dir: &Path, out: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join(out).join("manifest.json")).unwrap()).unwrap()
}

fn candidates(dir: &Path, out: &str) -> usize {
    std::fs::read_to_string(dir.join(out).join("candidates.csv")).unwrap().lines().count() - 1
}

#[test]
fn the_manifest_records_closing_and_splitting_and_a_run_from_it_is_the_same() {
    let dir = tempfile::tempdir().unwrap();
    ok(&qpv(
        &["run", "--split-depth", "0.4", "--split-max", "5000", "--close", "6", "--out", "a"],
        dir.path(),
    ));
    let s = &manifest(dir.path(), "a")["settings"];
    assert_eq!(s["close"], 6);
    assert_eq!(s["split"], true);
    assert_eq!(s["split_depth"], 0.4);
    assert_eq!(s["split_max"], 5000.0);
    assert_eq!(s["split_at_communes"], false);
    ok(&qpv(&["run", "--settings", "a/manifest.json", "--out", "b"], dir.path()));
    let read = |o: &str| std::fs::read(dir.path().join(o).join("candidates.geojson")).unwrap();
    assert_eq!(read("a"), read("b"));
}

#[test]
fn the_previous_method_is_one_set_of_flags_away() {
    let dir = tempfile::tempdir().unwrap();
    ok(&qpv(&["run", "--out", "now"], dir.path()));
    ok(&qpv(
        &["run", "--close", "0", "--no-split", "--calibration-factor", "1.32", "--out", "before"],
        dir.path(),
    ));
    // The README's figures on the CAPH sample: 8 candidates, 8 before (Denain whole).
    assert_eq!((candidates(dir.path(), "now"), candidates(dir.path(), "before")), (8, 8));
    // Denain in two now (59701-01 north, 59701-02 south), whole before.
    let in_denain = |out: &str| {
        let mut r = csv::Reader::from_path(dir.path().join(out).join("candidates.csv")).unwrap();
        let names = r.headers().unwrap().iter().position(|h| h == "commune_names").unwrap();
        r.records().filter(|row| row.as_ref().unwrap()[names].split("; ").any(|c| c == "Denain")).count()
    };
    assert_eq!((in_denain("now"), in_denain("before")), (2, 1));
    let s = &manifest(dir.path(), "before")["settings"];
    assert_eq!((s["close"].clone(), s["split"].clone()), (serde_json::json!(0), serde_json::json!(false)));
}

#[test]
fn out_of_range_settings_are_refused_naming_the_option() {
    let dir = tempfile::tempdir().unwrap();
    let o = qpv(&["run", "--split-depth", "1.5", "--out", "x"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--split-depth must be between 0 and 1"), "{}", stderr(&o));
    let o = qpv(&["run", "--close", "9", "--out", "x"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--close"), "{}", stderr(&o));
    assert!(!dir.path().join("x").exists(), "nothing written");
    let o = qpv(&["sweep", "--set", "close=2.5", "--out", "s"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("close is a number of neighbours from 0 to 8"), "{}", stderr(&o));
}

#[test]
fn sweep_varies_closing_and_splitting() {
    let dir = tempfile::tempdir().unwrap();
    ok(&qpv(&["sweep", "--set", "split=0,1", "--set", "close=0,4", "--out", "s"], dir.path()));
    let text = std::fs::read_to_string(dir.path().join("s/sweep.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col =
        |name: &str| header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("{name} in {header:?}"));
    let (split, close, quartiers) = (col("split"), col("close"), col("quartiers"));
    let mut found = std::collections::BTreeMap::new();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        found.insert((f[split].to_string(), f[close].to_string()), f[quartiers].parse::<usize>().unwrap());
    }
    assert_eq!(found.len(), 4, "{text}");
    // Splitting makes more quartiers of the same squares, on the sample as on Nord (with
    // closing at its default, 4 neighbours).
    assert!(found[&("1".into(), "4".into())] > found[&("0".into(), "4".into())], "{text}");
    assert_eq!(found[&("1".into(), "4".into())], 8, "{text}");
}

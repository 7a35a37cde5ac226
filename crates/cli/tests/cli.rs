//! Tests of the real `qpv` binary: the main job on the embedded sample, and every
//! kind of bad input, which must fail with a clear message, exit code 2 and no
//! output file.

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::Command;

const HEADER: &str = "idcar_200m,idcar_1km,idcar_nat,i_est_200,i_est_1km,lcog_geo,ind,men,men_pauv,men_1ind,men_5ind,men_prop,men_fmp,ind_snv\n";

fn row(n: i64, e: i64, commune: &str, ind: &str, men: &str, pauv: &str, snv: &str) -> String {
    format!("CRS3035RES200mN{n}E{e},a,b,0,0,{commune},{ind},{men},{pauv},0,0,0,0,{snv}\n")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs `qpv run --grid <file> --out out` and checks it fails with `needle` in the message.
fn fails_cleanly(text: &str, needle: &str) {
    let dir = tempfile::tempdir().unwrap();
    let grid = write(dir.path(), "grid.csv", text);
    let o = qpv(&["run", "--grid", grid.to_str().unwrap(), "--out", "out"], dir.path());
    let msg = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{msg}");
    assert!(msg.contains(needle), "expected {needle:?} in: {msg}");
    assert!(msg.contains("grid.csv"), "the message names the file: {msg}");
    assert!(!dir.path().join("out").exists(), "no output on failure");
}

#[test]
fn run_without_arguments_uses_the_embedded_sample() {
    let dir = tempfile::tempdir().unwrap();
    let o = qpv(&["run"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "messages go to stderr");
    let out = dir.path().join("qpv-out");
    for f in ["candidates.geojson", "candidates.csv", "near_misses.csv", "manifest.json"] {
        assert!(out.join(f).exists(), "{f}");
    }
    let geojson: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("candidates.geojson")).unwrap()).unwrap();
    assert_eq!(geojson["type"], "FeatureCollection");
    let features = geojson["features"].as_array().unwrap();
    assert_eq!(features.len(), 8, "the README's 8 candidates on the CAPH sample");
    let f = &features[0];
    for key in [
        "id",
        "uu_code",
        "uu_name",
        "communes",
        "commune_names",
        "epci",
        "epci_names",
        "inhabitants",
        "households",
        "poor_share",
        "median_est",
        "threshold",
        "margin",
        "squares",
        "area_m2",
    ] {
        assert!(f["properties"].get(key).is_some(), "property {key}");
    }
    // RFC 7946: lon/lat in France, 7 decimals at most.
    let ring = &f["geometry"]["coordinates"];
    let first = if f["geometry"]["type"] == "Polygon" { &ring[0][0] } else { &ring[0][0][0] };
    let (lon, lat) = (first[0].as_f64().unwrap(), first[1].as_f64().unwrap());
    assert!((2.5..4.5).contains(&lon) && (50.0..50.7).contains(&lat), "{lon} {lat}");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["settings"]["calibration_factor"], 1.285);
    assert_eq!(manifest["settings"]["connectivity"], 8);
    assert_eq!(manifest["inputs"][0]["blake3"].as_str().unwrap().len(), 64);
    assert_eq!(manifest["results"]["candidates"].as_u64().unwrap() as usize, features.len());
    let csv = std::fs::read_to_string(out.join("candidates.csv")).unwrap();
    assert_eq!(csv.lines().count(), features.len() + 1);
    assert!(stderr(&o).contains("candidates"));
}

#[test]
fn outputs_are_identical_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    assert!(qpv(&["run", "--out", "a"], dir.path()).status.success());
    assert!(qpv(&["run", "--out", "b"], dir.path()).status.success());
    for f in ["candidates.geojson", "candidates.csv", "near_misses.csv", "manifest.json"] {
        assert_eq!(
            std::fs::read(dir.path().join("a").join(f)).unwrap(),
            std::fs::read(dir.path().join("b").join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn options_change_the_result_and_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let o = qpv(
        &["run", "--connectivity", "4", "--calibration-factor", "1.2", "--keep-empty-holes", "--out", "o"],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("o/manifest.json")).unwrap()).unwrap();
    assert_eq!(m["settings"]["connectivity"], 4);
    assert_eq!(m["settings"]["calibration_factor"], 1.2);
    assert_eq!(m["settings"]["keep_empty_holes"], true);
}

#[test]
fn help_explains_the_options() {
    let o = qpv(&["run", "--help"], Path::new("."));
    let text = String::from_utf8_lossy(&o.stdout);
    for flag in [
        "--grid",
        "--communes",
        "--out",
        "--connectivity",
        "--calibration-factor",
        "--medians",
        "--skip-bad-rows",
    ] {
        assert!(text.contains(flag), "{flag} in help");
    }
}

#[test]
fn missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let o = qpv(&["run", "--grid", "nope.csv", "--out", "out"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nope.csv"), "{}", stderr(&o));
    assert_eq!(stderr(&o).matches("No such file or directory").count(), 1, "said once: {}", stderr(&o));
    assert!(!dir.path().join("out").exists());
}

#[test]
fn a_folder_given_as_the_grid_is_named_once_with_what_is_expected() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("grids")).unwrap();
    let o = qpv(&["run", "--grid", "grids", "--out", "out"], dir.path());
    let msg = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{msg}");
    assert_eq!(
        msg.trim_end(),
        "error: grids: is a folder; --grid expects a Filosofi CSV, CSV.gz or a qpv grid cache (qpv import)"
    );
    assert!(!dir.path().join("out").exists());
}

#[test]
fn unknown_layout_lists_expected_and_found_columns() {
    fails_cleanly(
        "code,population\n59172,12\n",
        "missing column(s) idcar_200m, lcog_geo, ind, men, men_pauv, ind_snv; found code, population",
    );
}

#[test]
fn bad_id_names_the_line() {
    let text = format!(
        "{HEADER}{}CRS3035RES200mN29694O0E3794800,a,b,0,0,59172,10,4,1,0,0,0,0,150000\n",
        row(2969400, 3794800, "59172", "10", "4", "1", "150000")
    );
    fails_cleanly(&text, "line 3");
}

#[test]
fn negative_count_names_the_line_and_the_column() {
    let text = format!("{HEADER}{}", row(2969400, 3794800, "59172", "-10", "4", "1", "150000"));
    fails_cleanly(&text, "line 2: column ind");
}

#[test]
fn non_numeric_count() {
    let text = format!("{HEADER}{}", row(2969400, 3794800, "59172", "dix", "4", "1", "150000"));
    fails_cleanly(&text, "\"dix\" is not a number");
}

#[test]
fn empty_file_and_header_only() {
    fails_cleanly("", "empty");
    fails_cleanly(HEADER, "no square");
}

#[test]
fn mixed_crs() {
    let text = format!(
        "{HEADER}{}CRS5490RES200mN1620000E706000,a,b,0,0,97209,10,4,1,0,0,0,0,150000\n",
        row(2969400, 3794800, "59172", "10", "4", "1", "150000")
    );
    fails_cleanly(&text, "EPSG:5490");
}

#[test]
fn duplicate_square() {
    let r = row(2969400, 3794800, "59172", "10", "4", "1", "150000");
    fails_cleanly(&format!("{HEADER}{r}{r}"), "appears twice, on lines 2 and 3");
}

#[test]
fn skip_bad_rows_reports_each_one() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{HEADER}{}{}{}",
        row(2969400, 3794800, "59172", "-10", "4", "1", "150000"),
        row(2969600, 3794800, "59172", "10", "4", "9", "150000"),
        row(2969800, 3794800, "59172", "10", "4", "1", "150000"),
    );
    let grid = write(dir.path(), "grid.csv", &text);
    let o = qpv(&["run", "--grid", grid.to_str().unwrap(), "--skip-bad-rows", "--out", "out"], dir.path());
    let msg = stderr(&o);
    assert!(o.status.success(), "{msg}");
    assert!(msg.contains("line 2") && msg.contains("line 3"), "{msg}");
    let skipped = std::fs::read_to_string(dir.path().join("out/skipped_rows.csv")).unwrap();
    assert_eq!(skipped.lines().count(), 3, "{skipped}");
}

#[test]
fn a_failed_run_leaves_previous_outputs_untouched() {
    let dir = tempfile::tempdir().unwrap();
    assert!(qpv(&["run", "--out", "out"], dir.path()).status.success());
    let before = std::fs::read(dir.path().join("out/candidates.geojson")).unwrap();
    let grid = write(dir.path(), "bad.csv", HEADER);
    let o = qpv(&["run", "--grid", grid.to_str().unwrap(), "--out", "out"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read(dir.path().join("out/candidates.geojson")).unwrap(), before);
    let names: Vec<String> = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains("qpv-tmp")), "{names:?}");
}

#[test]
fn bad_option_values_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let o = qpv(&["run", "--calibration-factor=-1", "--out", "out"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--calibration-factor must be a positive number"));
    let o = qpv(&["run", "--medians", "nowhere.json", "--out", "out"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--medians nowhere.json"));
    assert!(!dir.path().join("out").exists());
    let drawn = sample("drawn_perimeters_l93.shp");
    for (flag, message) in [
        ("--continuity-gap=-1", "--continuity-gap must be zero or more, got -1"),
        ("--median-band=2", "--median-band must be between 0 and 1, got 2"),
    ] {
        let o = qpv(&["check", "--perimeters", &drawn, flag, "--out", "out"], dir.path());
        assert_eq!(o.status.code(), Some(2), "{flag}");
        assert!(stderr(&o).contains(message), "{}", stderr(&o));
        assert!(!dir.path().join("out").exists());
    }
}

#[test]
fn reference_build_on_the_sample_warns_it_is_not_national() {
    let dir = tempfile::tempdir().unwrap();
    let o = qpv(&["reference", "build", "--out", "ref.json"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("whole metropolitan grid"));
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("ref.json")).unwrap()).unwrap();
    assert_eq!(r["units"]["59701"]["median"].as_f64(), Some(15_877.5));
    assert_eq!(r["units"]["59701"]["individuals"].as_f64(), Some(110_919.5));
    // A run can use it.
    let o = qpv(&["run", "--medians", "ref.json", "--out", "o"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn import_cache_gives_the_same_candidates_and_records_the_source() {
    let dir = tempfile::tempdir().unwrap();
    assert!(qpv(&["run", "--out", "csv"], dir.path()).status.success());
    let o = qpv(&["import", "-o", "caph.qpvgrid"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let o = qpv(&["run", "--grid", "caph.qpvgrid", "--out", "cache"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    for f in ["candidates.geojson", "candidates.csv", "near_misses.csv"] {
        assert_eq!(
            std::fs::read(dir.path().join("csv").join(f)).unwrap(),
            std::fs::read(dir.path().join("cache").join(f)).unwrap(),
            "{f}"
        );
    }
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("cache/manifest.json")).unwrap()).unwrap();
    assert_eq!(m["inputs"][1]["role"], "grid source");
    assert!(m["inputs"][1]["path"].as_str().unwrap().contains("carreaux_200m_caph.csv"));
    // A damaged cache is refused with the fix.
    let bytes = std::fs::read(dir.path().join("caph.qpvgrid")).unwrap();
    std::fs::write(dir.path().join("cut.qpvgrid"), &bytes[..bytes.len() / 2]).unwrap();
    let o = qpv(&["run", "--grid", "cut.qpvgrid", "--out", "bad"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("qpv import"), "{}", stderr(&o));
    assert!(!dir.path().join("bad").exists());
}

#[test]
fn timings_are_printed_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let o = qpv(&["run", "--timings", "--out", "o"], dir.path());
    assert!(o.status.success());
    let msg = stderr(&o);
    for stage in ["read grid", "index and placement", "income and flags", "candidates", "total"] {
        assert!(msg.contains(&format!("timing: {stage}")), "{stage}: {msg}");
    }
}

#[test]
fn worked_example_of_adjustments_on_the_caph_sample() {
    let dir = tempfile::tempdir().unwrap();
    let edits = samples().join("caph_edits.toml");
    let o = qpv(&["run", "--edits", edits.to_str().unwrap(), "--out", "adj"], dir.path());
    let msg = stderr(&o);
    assert!(o.status.success(), "{msg}");
    let out = dir.path().join("adj");
    let audit = std::fs::read_to_string(out.join("audit.csv")).unwrap();
    // The REP collège Villars (Denain) is 14 m from 59701-01, the north of Denain: brought in.
    assert!(audit.contains("include_schools,59701-01,\"school 0590062X VILLARS, 14 m away\""), "{audit}");
    // Voltaire (Lourches) is already inside 59701-06, closing took its square in: the step
    // brings in Villars alone.
    assert_eq!(audit.lines().filter(|l| l.starts_with("1,include_schools,")).count(), 1, "{audit}");
    // The drawn removal (Lambert-93 polygon) takes two squares out of 59701-02, the south
    // of Denain.
    let removal = audit.lines().find(|l| l.starts_with("2,remove,59701-02")).expect("removal row");
    assert!(removal.contains(",0,2,true,meets,"), "{removal}");
    // The merge joins two areas that do not touch: recorded, and flagged by the re-check.
    assert!(audit.contains("not one continuous area (2 parts, 200 m apart)"), "{audit}");
    assert!(msg.contains("warning: 59701-02 no longer meets the rule"), "{msg}");
    let schools = std::fs::read_to_string(out.join("schools.csv")).unwrap();
    assert!(schools.contains("0594408W GERMINAL,59701-05,1850,too far"), "{schools}");
    // Voltaire was inside 59701-06, merged into 59701-02: schools.csv names the final one.
    assert!(schools.contains("0594533G VOLTAIRE,59701-02,0,inside,1,0"), "{schools}");
    let adjusted: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("adjusted.geojson")).unwrap()).unwrap();
    let features = adjusted["features"].as_array().unwrap();
    assert_eq!(features.len(), 7, "8 candidates, one merged away");
    let denain = features.iter().find(|f| f["properties"]["id"] == "59701-02").unwrap();
    assert_eq!(denain["properties"]["name"], "Denain, Lourches, Escaudain");
    assert_eq!(denain["properties"]["meets_rule"], false);
    let poches: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("poches.geojson")).unwrap()).unwrap();
    assert!(!poches["features"].as_array().unwrap().is_empty());
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["results"]["adjustments"]["steps"], 5);
    assert_eq!(m["results"]["adjustments"]["schools"]["added"], 1);
    assert!(m["inputs"].as_array().unwrap().iter().any(|i| i["role"] == "edits"));
    assert!(m["inputs"].as_array().unwrap().iter().any(|i| i["role"] == "edits geometry"));
}

/// Writes an edits file (and a geometry file) and checks `qpv run --edits` fails with
/// `needle`, exit code 2 and no output.
fn edits_fail(edits: &str, needle: &str) {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "l93.geojson",
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[726004,7023716],[726303,7023745],[726294,7023844],[726004,7023716]]]}}]}"#,
    );
    let e = write(dir.path(), "edits.toml", edits);
    let o = qpv(&["run", "--edits", e.to_str().unwrap(), "--out", "out"], dir.path());
    let msg = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{msg}");
    assert!(msg.contains(needle), "expected {needle:?} in {msg}");
    assert!(!dir.path().join("out").exists());
}

#[test]
fn bad_edits_files_are_refused_before_anything_is_written() {
    edits_fail("[[step]]\nop = \"paint\"\n", "unknown variant `paint`");
    edits_fail("[[step]]\nop = \"remove\"\n", "missing field `candidate`");
    edits_fail("[[step]]\nop = \"keep_whole\"\nareas = \"anru.geojson\"\n", "anru.geojson does not exist");
    edits_fail(
        "[[step]]\nop = \"remove\"\ncandidate = \"59701-02\"\npolygon = \"l93.geojson\"\n",
        "declares no CRS",
    );
    edits_fail(
        "[[step]]\nop = \"rename\"\ncandidate = \"59999-01\"\nname = \"x\"\n",
        "no perimeter is called \"59999-01\"",
    );
    edits_fail(
        "[[step]]\nop = \"add\"\ncandidate = \"59701-01\"\nsquares = [\"CRS3035RES200mNxE1\"]\n",
        "step 1",
    );
}

#[test]
fn squares_named_by_id_must_exist() {
    // An id on the lattice where nobody lives, and one outside the candidate.
    edits_fail(
        "[[step]]\nop = \"add\"\ncandidate = \"59701-01\"\nsquares = [\"CRS3035RES200mN200E200\"]\n",
        "square CRS3035RES200mN200E200 is not in the grid",
    );
    edits_fail(
        "[[step]]\nop = \"remove\"\ncandidate = \"59701-01\"\nsquares = [\"CRS3035RES200mN3035400E3850200\"]\n",
        "is not in 59701-01",
    );
}

/// Two blocks of four squares of 300 inhabitants in Denain (Valenciennes urban unit,
/// legal threshold 12 100 € with the embedded medians): P is very poor (estimated
/// median ≈ 7 900 €), Q moderately (≈ 14 500 €, flagged only when the threshold is
/// multiplied by more than 1.2). They touch by one corner.
fn two_block_grid(dir: &Path) -> PathBuf {
    let mut text = String::from(HEADER);
    for (x0, y0, mean, poor) in [(0, 0, 9_000.0, 0.6), (2, 2, 15_000.0, 0.3)] {
        for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
            let (n, e) = (2_969_400 + (y0 + dy) * 200, 3_794_800 + (x0 + dx) * 200);
            let men = 120.0;
            text.push_str(&row(
                n,
                e,
                "59172",
                "300",
                "120",
                &format!("{}", poor * men),
                &format!("{}", mean * 300.0),
            ));
        }
    }
    write(dir, "two_blocks.csv", &text)
}

#[test]
fn sweep_gives_the_known_answer_of_each_variant() {
    let dir = tempfile::tempdir().unwrap();
    let grid = two_block_grid(dir.path());
    let o = qpv(
        &[
            "sweep",
            "--grid",
            grid.to_str().unwrap(),
            "--set",
            "factor=1.0,1.32",
            "--set",
            "connectivity=4,8",
            "--set",
            "min_population=1000,1500",
            "--out",
            "sw",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(dir.path().join("sw/sweep.csv")).unwrap();
    let rows: Vec<String> = csv.lines().skip(1).map(|l| l.split_once(',').unwrap().1.to_owned()).collect();
    assert_eq!(
        rows,
        [
            "1,4,1000,1,1200,1", // only P is flagged
            "1,4,1500,0,0,0",
            "1,8,1000,1,1200,1",
            "1,8,1500,0,0,0",
            "1.32,4,1000,2,2400,1", // P and Q apart
            "1.32,4,1500,0,0,0",
            "1.32,8,1000,1,2400,1", // P and Q joined by their corner
            "1.32,8,1500,1,2400,1",
        ],
        "{csv}"
    );
    // The baseline candidate (factor 1.32, 8 neighbours, 1 000: P and Q, 2 400) survives
    // where one candidate holds at least half of its inhabitants: the five variants
    // with a quartier (P alone is exactly half).
    let robustness = std::fs::read_to_string(dir.path().join("sw/robustness.csv")).unwrap();
    assert!(robustness.starts_with("id,uu_code,"), "{robustness}");
    assert!(
        robustness.contains("59701-01,59701,Valenciennes (partie française),Denain,2400,5,8,0.625"),
        "{robustness}"
    );
}

#[test]
fn calibrate_finds_the_factor_and_run_reads_its_settings() {
    let dir = tempfile::tempdir().unwrap();
    let grid = two_block_grid(dir.path());
    let o = qpv(
        &[
            "calibrate",
            "--grid",
            grid.to_str().unwrap(),
            "--target-count",
            "2",
            "--target-population",
            "2400",
            "--search-connectivity",
            "--from",
            "1.0",
            "--to",
            "1.4",
            "--step",
            "0.01",
            "-o",
            "cal.toml",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(dir.path().join("cal.toml")).unwrap();
    assert!(text.contains("connectivity = 4"), "{text}");
    let factor: f64 = text
        .lines()
        .find(|l| l.starts_with("calibration_factor"))
        .unwrap()
        .split('=')
        .nth(1)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(factor, 1.2, "{text}");
    let o = qpv(&["run", "--settings", "cal.toml", "--out", "r"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("r/manifest.json")).unwrap()).unwrap();
    assert_eq!(m["results"]["candidates"], 2);
    assert_eq!(m["settings"]["connectivity"], 4);
}

#[test]
fn a_run_is_made_again_from_its_manifest_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let edits = samples().join("caph_edits.toml");
    let o = qpv(
        &[
            "run",
            "--near-miss-floor",
            "300",
            "--keep-empty-holes",
            "--edits",
            edits.to_str().unwrap(),
            "--out",
            "a",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = qpv(&["run", "--settings", "a/manifest.json", "--out", "b"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    for f in [
        "candidates.geojson",
        "candidates.csv",
        "near_misses.csv",
        "adjusted.geojson",
        "audit.csv",
        "poches.geojson",
        "manifest.json",
    ] {
        assert_eq!(
            std::fs::read(dir.path().join("a").join(f)).unwrap(),
            std::fs::read(dir.path().join("b").join(f)).unwrap(),
            "{f}"
        );
    }
    // An option on the command line overrides the file.
    let o = qpv(
        &["run", "--settings", "a/manifest.json", "--calibration-factor", "1.32", "--out", "c"],
        dir.path(),
    );
    assert!(stderr(&o).is_empty() || o.status.success(), "{}", stderr(&o));
    assert!(o.status.success());
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("c/manifest.json")).unwrap()).unwrap();
    assert_eq!(m["settings"]["calibration_factor"], 1.32);
    assert_eq!(m["settings"]["near_miss_floor"], 300.0);
    assert_eq!(m["settings"]["keep_empty_holes"], true);
    // A settings file with an unknown key is refused.
    write(dir.path(), "bad.toml", "calibration_factr = 1.2\n");
    let o = qpv(&["run", "--settings", "bad.toml", "--out", "d"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("calibration_factr"), "{}", stderr(&o));
}

#[test]
fn outputs_do_not_depend_on_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let edits = samples().join("caph_edits.toml");
    for (threads, out) in [("1", "one"), ("2", "two"), ("4", "four")] {
        let o = Command::new(env!("CARGO_BIN_EXE_qpv"))
            .args(["run", "--edits", edits.to_str().unwrap(), "--out", out])
            .env("RAYON_NUM_THREADS", threads)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
    }
    for f in [
        "candidates.geojson",
        "candidates.csv",
        "near_misses.csv",
        "adjusted.geojson",
        "poches.geojson",
        "audit.csv",
        "manifest.json",
    ] {
        let one = std::fs::read(dir.path().join("one").join(f)).unwrap();
        assert_eq!(one, std::fs::read(dir.path().join("two").join(f)).unwrap(), "{f}");
        assert_eq!(one, std::fs::read(dir.path().join("four").join(f)).unwrap(), "{f}");
    }
}

#[test]
fn an_output_folder_that_cannot_be_written_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "blocker", "a file where the folder should be");
    let o = qpv(&["run", "--out", "blocker/out"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("blocker/out"), "{}", stderr(&o));
}

#[test]
fn nan_and_infinite_counts_are_refused() {
    fails_cleanly(
        &format!("{HEADER}{}", row(2969400, 3794800, "59172", "NaN", "4", "1", "150000")),
        "column ind",
    );
    fails_cleanly(
        &format!("{HEADER}{}", row(2969400, 3794800, "59172", "10", "4", "1", "inf")),
        "column ind_snv",
    );
}

#[test]
fn an_invalid_drawn_polygon_is_repaired_with_a_warning_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    // The sample's removal polygon drawn as a bow tie (two corners swapped).
    write(
        dir.path(),
        "bow.geojson",
        r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::2154"}},"features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[726004.47,7023716.60],[726294.26,7023844.76],[726303.69,7023745.14],[725995.05,7023816.22],[726004.47,7023716.60]]]}}]}"#,
    );
    let e = write(
        dir.path(),
        "e.toml",
        "[[step]]\nop = \"remove\"\ncandidate = \"59701-02\"\npolygon = \"bow.geojson\"\n",
    );
    let o = qpv(&["run", "--edits", e.to_str().unwrap(), "--out", "out"], dir.path());
    let msg = stderr(&o);
    assert!(o.status.success(), "{msg}");
    assert!(msg.contains("bow.geojson, feature 1: invalid polygon") && msg.contains("repaired"), "{msg}");
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/manifest.json")).unwrap()).unwrap();
    assert!(m["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("repaired")));
}

#[test]
fn shapefiles_in_lambert93_with_prj_and_cpg_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let edits = samples().join("caph_edits.toml");
    let o = qpv(
        &["run", "--format", "geojson,shapefile", "--edits", edits.to_str().unwrap(), "--out", "o"],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.path().join("o");
    for stem in ["candidates", "adjusted", "poches"] {
        for ext in ["shp", "shx", "dbf", "prj", "cpg"] {
            assert!(out.join(format!("{stem}.{ext}")).exists(), "{stem}.{ext}");
        }
        assert!(std::fs::read_to_string(out.join(format!("{stem}.prj"))).unwrap().contains("Lambert_93"));
        assert_eq!(std::fs::read_to_string(out.join(format!("{stem}.cpg"))).unwrap(), "UTF-8");
    }
    // The .dbf holds the accents in UTF-8.
    let dbf = std::fs::read(out.join("candidates.dbf")).unwrap();
    assert!(String::from_utf8_lossy(&dbf).contains("Valenciennes (partie française)"));
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["settings"]["format"], serde_json::json!(["geojson", "shapefile"]));
    // Made again from the manifest: the same shapefiles.
    let o = qpv(&["run", "--settings", "o/manifest.json", "--out", "again"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    for f in ["candidates.shp", "candidates.dbf", "adjusted.shp", "poches.dbf"] {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(dir.path().join("again").join(f)).unwrap(),
            "{f}"
        );
    }
}

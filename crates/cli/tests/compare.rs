//! `qpv compare` and `qpv indicators` against the real binary, on the CAPH sample.

mod common;
use common::*;

use std::path::{Path, PathBuf};

fn edits() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data-samples/caph_edits.toml")
}

fn csv_rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|row| header.iter().cloned().zip(row.unwrap().iter().map(String::from)).collect())
        .collect()
}

fn num(row: &std::collections::HashMap<String, String>, key: &str) -> f64 {
    row[key].parse().unwrap_or_else(|_| panic!("{key} = {:?}", row[key]))
}

/// The worked example of adjustments, compared with the candidates it started from:
/// what the comparison finds lost and gained is what the audit recorded.
#[test]
fn candidates_against_their_adjusted_copy() {
    let dir = tempfile::tempdir().unwrap();
    let o = qpv(&["run", "--edits", edits().to_str().unwrap()], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let o = qpv(
        &[
            "compare",
            "--reference",
            "qpv-out/candidates.geojson",
            "--other",
            "qpv-out/adjusted.geojson",
            "--grid",
            "sample",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.path().join("qpv-compare");
    for f in ["comparison.csv", "by_commune.csv", "diff.geojson", "comparison.md", "manifest.json"] {
        assert!(out.join(f).exists(), "{f}");
    }
    // Audit: the drawn removal took 2 squares from 59701-02; the school step added Villars'
    // square to 59701-01, a square where nobody lives (Voltaire was already inside 59701-06).
    let audit = csv_rows(&dir.path().join("qpv-out/audit.csv"));
    let step = |op: &str, target: &str| {
        let r = audit.iter().find(|r| r["op"] == op && r["target"] == target).unwrap();
        num(r, "inhabitants_after") - num(r, "inhabitants_before")
    };
    let (removed, school) = (-step("remove", "59701-02"), step("include_schools", "59701-01"));
    assert_eq!(school, 0.0, "Villars' square has no residents");
    let rows = csv_rows(&out.join("comparison.csv"));
    let lost: f64 = rows.iter().map(|r| num(r, "inhabitants_reference_only")).sum();
    let gained: f64 = rows
        .iter()
        .filter(|r| r["reference_id"] == "59701-06")
        .map(|r| num(r, "inhabitants_other_only"))
        .sum();
    assert!((lost - removed).abs() <= 1.0, "lost {lost}, audit {removed}");
    assert!(rows.iter().all(|r| r["status"] == "matched"));
    let by_commune = csv_rows(&out.join("by_commune.csv"));
    let total_gained: f64 = by_commune.iter().map(|r| num(r, "gained")).sum();
    assert!((total_gained - school).abs() <= 1.0, "gained {total_gained}, audit {school}");
    // The school's square: one more square of area in 59701-01, no resident.
    let north = rows.iter().find(|r| r["reference_id"] == "59701-01").unwrap();
    assert!((num(north, "area_other_only_m2") - 40_000.0).abs() < 10.0, "{north:?}");
    assert_eq!(num(north, "inhabitants_other_only"), 0.0);
    assert!(
        (gained - 4_698.5).abs() < 1e-6,
        "the merged Denain perimeter adds 59701-02, less its 2 removed squares, to 59701-06: {gained}"
    );
    let diff: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("diff.geojson")).unwrap()).unwrap();
    let changes: Vec<&str> = diff["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["change"].as_str().unwrap())
        .collect();
    assert!(
        changes.contains(&"kept") && changes.contains(&"removed") && changes.contains(&"added"),
        "{changes:?}"
    );
    let md = std::fs::read_to_string(out.join("comparison.md")).unwrap();
    assert!(md.contains("Denain (59172)") && md.contains("estimate"), "{md}");
}

#[test]
fn without_a_grid_only_areas_are_compared() {
    let dir = tempfile::tempdir().unwrap();
    assert!(qpv(&["run"], dir.path()).status.success());
    let gj = "qpv-out/candidates.geojson";
    let o = qpv(&["compare", "--reference", gj, "--other", gj, "--out", "cmp"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("areas only"));
    let rows = csv_rows(&dir.path().join("cmp/comparison.csv"));
    assert!(!rows[0].contains_key("inhabitants_reference"));
    assert!(rows.iter().all(|r| num(r, "iou") == 1.0));
}

#[test]
fn a_file_without_crs_is_refused_unless_one_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let l93 = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code_qp":"QP059054","nom_qp":"Faubourg Duchâteau"},
        "geometry":{"type":"Polygon","coordinates":[[[733000,7022000],[734000,7022000],[734000,7023000],[733000,7023000],[733000,7022000]]]}}]}"#;
    std::fs::write(dir.path().join("l93.geojson"), l93).unwrap();
    let args = ["compare", "--reference", "l93.geojson", "--other", "l93.geojson", "--grid", "sample"];
    let o = qpv(&args, dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("l93.geojson") && stderr(&o).contains("--crs"), "{}", stderr(&o));
    assert!(!dir.path().join("qpv-compare").exists());
    let o = qpv(&[&args[..], &["--crs", "EPSG:2154"]].concat(), dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = csv_rows(&dir.path().join("qpv-compare/comparison.csv"));
    assert_eq!(
        (rows[0]["reference_id"].as_str(), rows[0]["reference_name"].as_str()),
        ("QP059054", "Faubourg Duchâteau")
    );
    let o = qpv(&[&args[..], &["--crs", "EPSG:9999"]].concat(), dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown CRS"), "{}", stderr(&o));
}

/// The candidates of the sample compared with themselves within a file holding three of
/// them: the five others are left out of both sets, and every output says so.
#[test]
fn within_a_file_compares_only_the_perimeters_inside_and_says_what_was_left_out() {
    let dir = tempfile::tempdir().unwrap();
    assert!(qpv(&["run"], dir.path()).status.success());
    let gj = "qpv-out/candidates.geojson";
    let mut part: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join(gj)).unwrap()).unwrap();
    let features = part["features"].as_array_mut().unwrap();
    assert_eq!(features.len(), 8);
    features.truncate(3);
    let inside: Vec<String> =
        features.iter().map(|f| f["properties"]["id"].as_str().unwrap().to_owned()).collect();
    std::fs::write(dir.path().join("part.geojson"), part.to_string()).unwrap();
    let args = ["compare", "--reference", gj, "--other", gj, "--grid", "sample", "--within", "part.geojson"];
    let o = qpv(&args, dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("compared 3 of 8 perimeters of A and 3 of 8 of B"), "{}", stderr(&o));
    let out = dir.path().join("qpv-compare");
    let rows = csv_rows(&out.join("comparison.csv"));
    let compared: Vec<&str> = rows.iter().map(|r| r["reference_id"].as_str()).collect();
    assert_eq!(compared, inside);
    assert!(rows.iter().all(|r| r["status"] == "matched" && num(r, "iou") == 1.0));
    // The five left out, from the run's own table.
    let candidates = csv_rows(&dir.path().join("qpv-out/candidates.csv"));
    let outside: Vec<_> = candidates.iter().filter(|c| !inside.contains(&c["id"])).collect();
    let people: f64 = outside.iter().map(|c| num(c, "inhabitants")).sum();
    let area: f64 = outside.iter().map(|c| num(c, "area_m2")).sum();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let w = &manifest["results"]["within"];
    for set in ["reference", "other"] {
        assert_eq!((w[set]["read"].as_u64(), w[set]["compared"].as_u64()), (Some(8), Some(3)), "{w}");
        let left = w[set]["left_out_inhabitants"].as_f64().unwrap();
        assert!((left - people).abs() < 1.0, "{left} left out, {people} in the five candidates");
        // Read back from WGS84 with 7 decimals: areas within 0.01 %.
        let left = w[set]["left_out_area_m2"].as_f64().unwrap();
        assert!((left / area - 1.0).abs() < 1e-4, "{left} m² left out, {area} m² in the five");
    }
    assert_eq!(manifest["settings"]["within"], "part.geojson");
    assert!(manifest["inputs"].as_array().unwrap().iter().any(|i| i["role"] == "within"), "{manifest}");
    let md = std::fs::read_to_string(out.join("comparison.md")).unwrap();
    assert!(md.contains("## Restricted to `part.geojson`"), "{md}");
    assert!(md.contains("| compared | 3 | 3 |") && md.contains("| left out | 5 | 5 |"), "{md}");
    assert!(md.contains("| inhabitants left out (estimate) |"), "{md}");
    let within = csv_rows(&out.join("within.csv"));
    assert_eq!(within.len(), 16);
    for r in &within {
        let expected = if inside.contains(&r["id"]) { ("1", "yes") } else { ("0", "no") };
        assert_eq!((r["share_inside"].as_str(), r["compared"].as_str()), expected, "{r:?}");
    }
}

/// `--within other` on the sample grid: the communes touched by the three candidates
/// of the other set decide which of the eight reference candidates are compared.
#[test]
fn within_the_other_set_s_communes_keeps_the_candidates_of_those_communes() {
    let dir = tempfile::tempdir().unwrap();
    assert!(qpv(&["run"], dir.path()).status.success());
    let gj = "qpv-out/candidates.geojson";
    let mut part: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join(gj)).unwrap()).unwrap();
    part["features"].as_array_mut().unwrap().truncate(3);
    std::fs::write(dir.path().join("part.geojson"), part.to_string()).unwrap();
    let args =
        ["compare", "--reference", gj, "--other", "part.geojson", "--grid", "sample", "--within", "other"];
    let o = qpv(&args, dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.path().join("qpv-compare");
    let within = csv_rows(&out.join("within.csv"));
    let kept = |set: &str| within.iter().filter(|r| r["set"] == set && r["compared"] == "yes").count();
    assert_eq!(kept("other"), 3, "the set whose communes make the extent lies in it");
    // The three themselves; 59701-03 (Douchy-les-Mines), whose commune 59701-01 reaches;
    // and 59701-06 (Lourches, Escaudain, Rœulx), which straddles the edge of their
    // communes with 93 % of its squares inside. Not 59701-07 (Wallers, Raismes…):
    // 59701-01 covers squares on the Denain–Wallers boundary only, which list both
    // communes and do not make it touch Wallers (they did, and kept the Wallers candidate
    // at 77 %, before the rule counted squares of one commune alone).
    let compared: Vec<&str> = within
        .iter()
        .filter(|r| r["set"] == "reference" && r["compared"] == "yes")
        .map(|r| r["id"].as_str())
        .collect();
    assert_eq!(compared, ["59402-01", "59701-01", "59701-02", "59701-03", "59701-06"]);
    let share = |id: &str| {
        num(within.iter().find(|r| r["set"] == "reference" && r["id"] == id).unwrap(), "share_inside")
    };
    assert!(share("59701-06") > 0.5 && share("59701-06") < 1.0 && share("59701-07") == 0.0);
    let md = std::fs::read_to_string(out.join("comparison.md")).unwrap();
    assert!(md.contains("## Restricted to the communes of B (other)"), "{md}");
    assert!(stderr(&o).contains("--within other: the squares of the"), "{}", stderr(&o));
}

#[test]
fn within_reference_or_other_needs_a_grid() {
    let dir = tempfile::tempdir().unwrap();
    assert!(qpv(&["run"], dir.path()).status.success());
    let gj = "qpv-out/candidates.geojson";
    for set in ["reference", "other"] {
        let o = qpv(&["compare", "--reference", gj, "--other", gj, "--within", set], dir.path());
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        let msg = stderr(&o);
        assert!(
            msg.contains(&format!("--within {set}:"))
                && msg.contains("--grid")
                && msg.contains("--within FILE"),
            "{msg}"
        );
        assert!(!dir.path().join("qpv-compare").exists());
    }
}

/// A file of lines and points is not a set of perimeters: refused, naming what it holds,
/// by every command that reads perimeters.
#[test]
fn a_file_without_polygons_is_refused_by_compare_and_indicators() {
    let dir = tempfile::tempdir().unwrap();
    let line = r#"{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[3.39,50.33],[3.40,50.34]]}}"#;
    let roads = format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, [line; 12].join(","));
    std::fs::write(dir.path().join("roads.geojson"), roads).unwrap();
    assert!(qpv(&["run"], dir.path()).status.success());
    let needle = "roads.geojson: no polygon among its 12 features (LineString: 12); perimeters are polygons";
    for args in [
        &["compare", "--reference", "qpv-out/candidates.geojson", "--other", "roads.geojson", "--out", "cmp"]
            [..],
        &["indicators", "--perimeters", "roads.geojson", "--out", "ind.csv"][..],
    ] {
        let o = qpv(args, dir.path());
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{}", stderr(&o));
    }
    assert!(!dir.path().join("cmp").exists() && !dir.path().join("ind.csv").exists());
}

#[test]
fn indicators_of_the_candidates_match_the_run_and_add_communes() {
    let dir = tempfile::tempdir().unwrap();
    assert!(qpv(&["run"], dir.path()).status.success());
    let o = qpv(&["indicators", "--by", "commune,epci", "--out", "ind.csv"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = csv_rows(&dir.path().join("ind.csv"));
    let candidates = csv_rows(&dir.path().join("qpv-out/candidates.csv"));
    for c in &candidates {
        let r = rows.iter().find(|r| r["level"] == "perimeter" && r["code"] == c["id"]).unwrap();
        assert_eq!(num(r, "inhabitants"), num(c, "inhabitants"));
        assert_eq!(r["uu_code"], c["uu_code"]);
        assert!((num(r, "poverty_share") - num(c, "poor_share")).abs() < 1e-3);
        assert!(num(r, "poverty_share") > num(r, "poverty_share_uu"));
        assert!((num(r, "inhabitants_france") - 62_971_073.0).abs() < 1.0);
        for share in ["social_dwelling_share", "age_0_17_share", "single_parent_share", "owner_share"] {
            assert!((0.0..=1.0).contains(&num(r, share)), "{share}");
        }
    }
    let denain: Vec<_> = rows.iter().filter(|r| r["level"] == "commune" && r["code"] == "59172").collect();
    assert_eq!(denain.len(), 2);
    assert!(num(denain[0], "inhabitants") < num(denain[1], "inhabitants"));
    assert_eq!(num(denain[1], "table_population"), 19_877.0);
    assert!(rows.iter().any(|r| r["level"] == "epci" && r["code"] == "200042190"));
}

#[test]
fn indicators_need_the_csv_not_a_cache() {
    let dir = tempfile::tempdir().unwrap();
    assert!(qpv(&["import", "--out", "caph.qpvgrid"], dir.path()).status.success());
    let o = qpv(&["indicators", "--grid", "caph.qpvgrid"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("give the Filosofi CSV"), "{}", stderr(&o));
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[1..4], b"PNG");
    let be = |k: usize| u32::from_be_bytes(bytes[k..k + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn map_draws_candidates_squares_schools_and_a_comparison() {
    let dir = tempfile::tempdir().unwrap();
    assert!(qpv(&["run", "--edits", edits().to_str().unwrap()], dir.path()).status.success());
    let cmp = ["compare", "--reference", "qpv-out/candidates.geojson", "--other", "qpv-out/adjusted.geojson"];
    assert!(qpv(&cmp, dir.path()).status.success());
    let schools =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data-samples/rep_colleges_caph_2021.geojson");
    let o = qpv(
        &[
            "map",
            "--squares",
            "--schools",
            schools.to_str().unwrap(),
            "--diff",
            "qpv-compare/diff.geojson",
            "--title",
            "CAPH",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.path().join("qpv-map");
    let svg = std::fs::read_to_string(out.join("map.svg")).unwrap();
    let candidates = csv_rows(&dir.path().join("qpv-out/candidates.csv")).len();
    let diff: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("qpv-compare/diff.geojson")).unwrap()).unwrap();
    let pieces = diff["features"].as_array().unwrap().len();
    assert_eq!(svg.matches(r#"class="feature""#).count(), candidates + pieces);
    // Every square is drawn (counted in its group: the legend has rectangles too).
    let squares = &svg[svg.find(r#"<g id="squares""#).unwrap()..];
    let squares = &squares[..squares.find("</g>").unwrap()];
    // Measured: 2 177 squares with an income fit lie in the frame (the SVG's other
    // rectangles, outside this group, are the legend's boxes, the scale bar's and the
    // clip path's).
    assert_eq!(squares.matches("<rect x=").count(), 2_177, "squares are drawn");
    // Communes named (Denain's own name gives way to the id of 59701-01, placed first
    // over the town centre).
    assert!(svg.contains("VILLARS") && svg.contains(">Lourches<") && svg.contains("id=\"scale\""));
    let (w, h) = png_size(&std::fs::read(out.join("map.png")).unwrap());
    assert_eq!(w, 1200);
    assert_eq!(h, 1_424);
    let page = std::fs::read_to_string(out.join("map.html")).unwrap();
    assert!(page.contains("59701-01") && page.contains("addEventListener('wheel'"));
    assert_eq!(page.matches("http").count(), page.matches("http://www.w3.org/2000/svg").count());
    // Given perimeters instead of the candidates: their residents by area share on click.
    let o = qpv(&["map", "--perimeters", "qpv-out/adjusted.geojson", "--out", "m2"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let svg = std::fs::read_to_string(dir.path().join("m2/map.svg")).unwrap();
    let adjusted: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("qpv-out/adjusted.geojson")).unwrap()).unwrap();
    assert_eq!(svg.matches(r#"class="feature""#).count(), adjusted["features"].as_array().unwrap().len());
    assert!(
        svg.contains("inhabitants (area share): 6 994"),
        "the merged Denain perimeter, 6 994 inhabitants"
    );
}

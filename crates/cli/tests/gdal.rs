//! The outputs as GDAL (and so QGIS) reads them: `ogrinfo` from Debian's `gdal-bin`
//! (installed by `.ci/run`) must open every file, report the right CRS and feature
//! counts, keep accents, and find every geometry valid (GEOS `ST_IsValid` through the
//! SQLite dialect). These tests are ignored by default (a clone may have no GDAL or
//! PyQGIS); `.ci/run` installs both and runs them with `-- --include-ignored`, and then
//! a missing tool fails them.

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Panics unless `ogrinfo` runs: a test needing it must not pass without it.
fn require_ogrinfo() {
    let ok = Command::new("ogrinfo").arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "missing prerequisite: ogrinfo is absent (apt-get install gdal-bin; .ci/run installs it); \
         without it, run `cargo test` without `--include-ignored` and this test is reported as ignored"
    );
}

/// Panics unless PyQGIS imports: a test needing it must not pass without it.
fn require_pyqgis() {
    let ok = Command::new("/usr/bin/python3")
        .args(["-c", "import sys; sys.path.insert(0, '/usr/share/qgis/python'); import qgis.core"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "missing prerequisite: PyQGIS is absent (apt-get install --no-install-recommends python3-qgis \
         qgis-providers; .ci/run installs it); without it, run `cargo test` without \
         `--include-ignored` and this test is reported as ignored"
    );
}

/// `ogrinfo ARGS`, checking it succeeded without an error or warning.
fn ogrinfo(args: &[&str]) -> String {
    let o = Command::new("ogrinfo").args(args).output().expect("ogrinfo runs");
    let (out, err) =
        (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned());
    assert!(o.status.success(), "ogrinfo {args:?}: {err}");
    assert!(!err.contains("ERROR") && !err.contains("Warning"), "ogrinfo {args:?}: {err}");
    out
}

fn feature_count(summary: &str) -> usize {
    let line = summary.lines().find(|l| l.starts_with("Feature Count:")).expect("a feature count");
    line["Feature Count:".len()..].trim().parse().unwrap()
}

/// The EPSG code of the layer's CRS (the last `ID["EPSG",…]` of the WKT).
fn epsg(summary: &str) -> u32 {
    let at = summary.rfind("ID[\"EPSG\",").expect("a CRS with an EPSG id");
    let rest = &summary[at + 10..];
    rest[..rest.find(']').unwrap()].parse().unwrap()
}

fn invalid(file: &str, layer: &str, column: &str) -> usize {
    let sql = format!("SELECT count(*) AS invalid FROM \"{layer}\" WHERE NOT ST_IsValid({column})");
    let out = ogrinfo(&["-q", "-dialect", "SQLite", "-sql", &sql, file]);
    let line = out.lines().find(|l| l.contains("invalid (Integer)")).expect("a count");
    line.rsplit('=').next().unwrap().trim().parse().unwrap()
}

fn geojson_count(path: &Path) -> usize {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v["features"].as_array().unwrap().len()
}

fn edits() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data-samples/caph_edits.toml")
}

#[test]
#[ignore = "needs ogrinfo (apt-get install gdal-bin)"]
fn every_format_opens_in_gdal_with_its_crs_counts_accents_and_valid_geometries() {
    require_ogrinfo();
    let dir = tempfile::tempdir().unwrap();
    let o =
        qpv(&["run", "--edits", edits().to_str().unwrap(), "--format", "geojson,shapefile,gpkg"], dir.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = dir.path().join("qpv-out");
    let file = |name: &str| out.join(name).to_str().unwrap().to_owned();
    let gpkg = file("qpv.gpkg");
    for (layer, count) in [("candidates", 8), ("near_misses", 7), ("adjusted", 7), ("poches", 7)] {
        let n = geojson_count(&out.join(format!("{layer}.geojson")));
        assert_eq!(n, count, "{layer}");
        let gj = ogrinfo(&["-so", &file(&format!("{layer}.geojson")), layer]);
        let shp = ogrinfo(&["-so", &file(&format!("{layer}.shp")), layer]);
        let gp = ogrinfo(&["-so", &gpkg, layer]);
        assert_eq!([feature_count(&gj), feature_count(&shp), feature_count(&gp)], [n, n, n], "{layer}");
        assert_eq!([epsg(&gj), epsg(&shp), epsg(&gp)], [4326, 2154, 2154], "{layer}");
        assert_eq!(invalid(&file(&format!("{layer}.shp")), layer, "geometry"), 0, "{layer}.shp");
        assert_eq!(invalid(&gpkg, layer, "geom"), 0, "{layer} in the GeoPackage");
        assert_eq!(invalid(&file(&format!("{layer}.geojson")), layer, "geometry"), 0, "{layer}.geojson");
        assert!(out.join(format!("{layer}.qml")).exists());
    }
    // Accents survive in the shapefile (.cpg UTF-8) and the GeoPackage.
    for (f, layer) in [(file("adjusted.shp"), "adjusted"), (gpkg.clone(), "adjusted")] {
        let all = ogrinfo(&["-al", "-q", &f, layer]);
        assert!(all.contains("Rœulx") && all.contains("Valenciennes (partie française)"), "{f}");
    }
    let audit_rows = std::fs::read_to_string(out.join("audit.csv")).unwrap().lines().count() - 1;
    let audit = ogrinfo(&["-so", &gpkg, "audit"]);
    assert_eq!(feature_count(&audit), audit_rows);
    assert!(audit.contains("Geometry: None"));
    // QGIS reads the default styles from layer_styles.
    let styles =
        ogrinfo(&["-q", "-sql", "SELECT f_table_name FROM layer_styles WHERE useAsDefault = 1", &gpkg]);
    assert_eq!(styles.matches("f_table_name (String)").count(), 4, "{styles}");
    // Every row of every table reads without a warning (GDAL checks DATETIME formats).
    ogrinfo(&["-al", "-q", &gpkg]);
}

#[test]
#[ignore = "needs ogrinfo (apt-get install gdal-bin)"]
fn crs_option_moves_every_output_and_geojson_says_so() {
    require_ogrinfo();
    let dir = tempfile::tempdir().unwrap();
    let o = qpv(&["run", "--format", "geojson,shapefile,gpkg", "--crs", "EPSG:3035"], dir.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = dir.path().join("qpv-out");
    let text = std::fs::read_to_string(out.join("candidates.geojson")).unwrap();
    assert!(text.contains(r#""crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3035"}}"#));
    for f in ["candidates.geojson", "candidates.shp", "qpv.gpkg"] {
        let s = ogrinfo(&["-so", out.join(f).to_str().unwrap(), "candidates"]);
        assert_eq!(epsg(&s), 3035, "{f}");
    }
    let o = qpv(&["run", "--crs", "EPSG:5490"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("EPSG:4326, EPSG:2154 or EPSG:3035"));
}

#[test]
#[ignore = "needs ogrinfo (apt-get install gdal-bin)"]
fn the_difference_map_opens_in_every_format() {
    require_ogrinfo();
    let dir = tempfile::tempdir().unwrap();
    assert!(qpv(&["run", "--edits", edits().to_str().unwrap()], dir.path()).status.success());
    let o = qpv(
        &[
            "compare",
            "--reference",
            "qpv-out/candidates.geojson",
            "--other",
            "qpv-out/adjusted.geojson",
            "--grid",
            "sample",
            "--format",
            "shapefile,gpkg",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = dir.path().join("qpv-compare");
    let n = geojson_count(&out.join("diff.geojson"));
    for (f, crs) in [("diff.geojson", 4326), ("diff.shp", 2154), ("comparison.gpkg", 2154)] {
        let path = out.join(f);
        let s = ogrinfo(&["-so", path.to_str().unwrap(), "diff"]);
        assert_eq!((feature_count(&s), epsg(&s)), (n, crs), "{f}");
    }
    assert_eq!(invalid(out.join("comparison.gpkg").to_str().unwrap(), "diff", "geom"), 0);
    let all = ogrinfo(&["-al", "-q", out.join("diff.shp").to_str().unwrap()]);
    assert!(all.contains("change (String) = removed") && all.contains("inhabitant (Real)"), "{all}");
}

/// QGIS itself (PyQGIS, headless) loads every layer, applies its `.qml` and the
/// GeoPackage's default style, and gets the expected renderer. Needs Debian's
/// python3-qgis.
#[test]
#[ignore = "needs PyQGIS (apt-get install --no-install-recommends python3-qgis qgis-providers)"]
fn qgis_applies_every_style() {
    require_pyqgis();
    let dir = tempfile::tempdir().unwrap();
    let o =
        qpv(&["run", "--edits", edits().to_str().unwrap(), "--format", "geojson,shapefile,gpkg"], dir.path());
    assert!(o.status.success());
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/check-qgis-styles.py");
    let layers = [
        "candidates:graduatedSymbol",
        "near_misses:singleSymbol",
        "adjusted:categorizedSymbol",
        "poches:singleSymbol",
    ];
    let o = Command::new("/usr/bin/python3")
        .arg(&script)
        .args(["qpv-out", "qpv.gpkg"])
        .args(layers)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "{out}\n{err}");
    assert_eq!(out.matches("style ok").count(), 4 * 4, "{out}");
    assert!(!err.contains("Warning"), "{err}");
    let cmp = ["compare", "--reference", "qpv-out/candidates.geojson", "--other", "qpv-out/adjusted.geojson"];
    assert!(qpv(&[&cmp[..], &["--format", "shapefile,gpkg"]].concat(), dir.path()).status.success());
    let o = Command::new("/usr/bin/python3")
        .arg(&script)
        .args(["qpv-compare", "comparison.gpkg", "diff:categorizedSymbol"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(out.matches("style ok").count(), 4, "{out}");
}

#[cfg(not(feature = "parquet"))]
#[test]
fn parquet_needs_the_feature_and_says_how_to_get_it() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["run", "--format", "geojson,parquet"][..], &["indicators", "--out", "i.parquet"][..]] {
        let o = qpv(args, dir.path());
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&o.stderr).contains("--features parquet"), "{args:?}");
        assert!(!dir.path().join("qpv-out").exists() && !dir.path().join("i.parquet").exists());
    }
}

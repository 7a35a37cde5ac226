//! Settings through the real binary: a settings file under the command line, flags
//! turned off over a file, and `--help` showing the core's own defaults.

mod common;
use common::*;

use qpv_core::{RunSettings, Territory};
use std::path::Path;

fn manifest(dir: &Path, out: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join(out).join("manifest.json")).unwrap()).unwrap()
}

/// A file of non-default values, overridden on the command line by other non-default
/// values: the command line wins, the file fills the rest, the defaults the others.
#[test]
fn the_command_line_overrides_a_file_of_non_default_values() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        "calibration_factor = 1.25\nconnectivity = 4\nkeep_empty_holes = true\nnear_miss_floor = 300.0\n";
    std::fs::write(dir.path().join("file.toml"), text).unwrap();
    let args = [
        "run",
        "--settings",
        "file.toml",
        "--calibration-factor",
        "1.4",
        "--connectivity",
        "8",
        "--fill-empty-holes",
        "--out",
        "combined",
    ];
    ok(&qpv(&args, dir.path()));
    let s = &manifest(dir.path(), "combined")["settings"];
    assert_eq!(s["calibration_factor"], 1.4);
    assert_eq!(s["connectivity"], 8);
    assert_eq!(s["keep_empty_holes"], false);
    assert_eq!(s["near_miss_floor"], 300.0);
    assert_eq!(s["ratio"], 0.6);
    // The same run from options alone gives the same candidates.
    let direct = ["run", "--calibration-factor", "1.4", "--near-miss-floor", "300", "--out", "direct"];
    ok(&qpv(&direct, dir.path()));
    for f in ["candidates.geojson", "candidates.csv", "near_misses.csv"] {
        assert_eq!(
            std::fs::read(dir.path().join("combined").join(f)).unwrap(),
            std::fs::read(dir.path().join("direct").join(f)).unwrap(),
            "{f}"
        );
    }
    // And the file alone gives other candidates (the override did something).
    ok(&qpv(&["run", "--settings", "file.toml", "--out", "file"], dir.path()));
    let (m, f) = (manifest(dir.path(), "combined"), manifest(dir.path(), "file"));
    assert_eq!(f["settings"]["calibration_factor"], 1.25);
    assert_eq!(f["settings"]["keep_empty_holes"], true);
    assert_ne!(m["results"]["candidate_inhabitants"], f["results"]["candidate_inhabitants"]);
}

/// The manifest records each setting once, resolved, and no `parameters` copy.
#[test]
fn the_manifest_records_the_resolved_settings_once() {
    let dir = tempfile::tempdir().unwrap();
    ok(&qpv(&["run", "--format", "gpkg", "--out", "o"], dir.path()));
    let m = manifest(dir.path(), "o");
    assert!(m.get("parameters").is_none(), "{m}");
    let s = &m["settings"];
    assert_eq!(s["medians"], "filosofi2019");
    assert_eq!(s["cog"], "2021");
    assert_eq!(s["min_territory_population"], 10_000.0);
    assert_eq!(s["format"], serde_json::json!(["geojson", "gpkg"]));
    assert!(m["method"].get("connectivity").is_none() && m["method"].get("fill_empty_holes").is_none());
    // GeoJSON is always written, as --help says, with its style.
    for f in ["candidates.geojson", "candidates.qml", "qpv.gpkg"] {
        assert!(dir.path().join("o").join(f).exists(), "{f}");
    }
}

/// The text of `--help` about one option: its line and those below, up to the next
/// option's line (options are indented 2 to 6 spaces, their help more), on one line.
fn option_help(help: &str, flag: &str) -> String {
    let is_option = |l: &str| {
        let indent = l.len() - l.trim_start().len();
        l.trim_start().starts_with('-') && indent <= 6
    };
    let mut lines = help
        .lines()
        .skip_while(|l| !(is_option(l) && (l.contains(&format!("{flag} ")) || l.trim_end().ends_with(flag))));
    let first = lines.next().unwrap_or_else(|| panic!("{flag} in --help"));
    let rest: Vec<&str> = lines.take_while(|l| !is_option(l)).collect();
    // clap may wrap long lines (with its `wrap_help` feature): compare words, not lines.
    format!("{first} {}", rest.join(" ")).split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn help_shows_the_core_defaults() {
    let d = RunSettings::for_territory(Territory::Metropolitan);
    let expected = [
        ("--connectivity", "8".to_string()),
        ("--calibration-factor", d.rule.calibration_factor.to_string()),
        ("--min-population", d.rule.min_population.to_string()),
        ("--min-territory-population", d.rule.min_territory_population.to_string()),
        ("--ratio", d.rule.ratio.to_string()),
        ("--national-weight", d.rule.national_weight.to_string()),
        ("--large-unit-national-weight", d.rule.large_unit_national_weight.to_string()),
        ("--large-unit-population", d.rule.large_unit_population.to_string()),
        ("--rounding-step", d.rule.rounding_step.to_string()),
        ("--min-density", d.rule.min_density.to_string()),
        ("--min-poor-share", d.model.min_poor_share.to_string()),
        ("--max-poor-share", d.model.max_poor_share.to_string()),
        ("--min-sigma", d.model.min_sigma.to_string()),
        ("--max-sigma", d.model.max_sigma.to_string()),
        ("--fallback-sigma", d.model.fallback_sigma.to_string()),
        ("--near-miss-floor", d.grouping.near_miss_floor.to_string()),
        ("--cog", "2021".to_string()),
    ];
    assert_eq!(d.grouping.connectivity, qpv_core::Connectivity::Eight);
    for command in ["run", "sweep", "calibrate", "map", "indicators"] {
        for help in ["-h", "--help"] {
            let dir = tempfile::tempdir().unwrap();
            let o = qpv(&[command, help], dir.path());
            ok(&o);
            let text = String::from_utf8_lossy(&o.stdout);
            for (flag, value) in &expected {
                let h = option_help(&text, flag);
                assert!(h.contains(&format!("[default: {value}]")), "{command} {help} {flag}: {h}");
                assert_eq!(h.matches("[default:").count(), 1, "{command} {help} {flag}: {h}");
            }
            // No default is claimed where there is none to show.
            assert!(!option_help(&text, "--poverty-line").contains("[default:"), "{command}");
            assert!(!option_help(&text, "--keep-empty-holes").contains("[default:"), "{command}");
        }
    }
    let o = qpv(&["run", "--help"], Path::new("."));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(option_help(&text, "--format").contains("[default: geojson]"), "{text}");
}

#[test]
fn a_bad_connectivity_is_refused_on_the_command_line_and_in_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let o = qpv(&["run", "--connectivity", "6"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("4 or 8"));
    std::fs::write(dir.path().join("bad.toml"), "connectivity = 6\n").unwrap();
    let o = qpv(&["run", "--settings", "bad.toml"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("4 or 8"));
    assert!(!dir.path().join("qpv-out").exists());
}

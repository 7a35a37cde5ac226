//! `qpv check` on real perimeters, drawn along streets and buildings by préfectures and
//! the ANCT (issue 19): the 2024 QPVs of Nord on the Nord grid, the 2015 QPs of
//! Haute-Garonne with their published population and medians on the national grid, and
//! the same shapes moved 2.5 km onto ground that is no quartier. The measures are
//! `qpv_tests::verdicts`', the README quotes them, and `benches/verdicts.sh` prints them.
//!
//! Ignored without `../shared/data`; `.ci/run` runs them.

mod common;
use common::*;

use qpv_tests::verdicts::{self, median_accuracy, num, population_accuracy, published, states};
use std::collections::HashMap;
use std::path::Path;

/// `qpv check` by the binary under test; the rows of `check.csv`.
fn check(d: &Path, grid: &Path, perimeters: &Path, out: &str) -> Vec<HashMap<String, String>> {
    verdicts::check(Path::new(QPV), d, grid, perimeters, out)
}

/// Nord's 94 official 2024 perimeters: none fails on continuity or on the urban unit;
/// what is not met is undecided, on the population range or a median within the
/// estimate's accuracy above the threshold. The counts are the README's.
#[test]
#[ignore = "needs ../shared/data (Nord grid, official 2024 perimeters of Nord)"]
fn official_perimeters_of_nord_are_not_failed_on_grid_artefacts() {
    let dir = tempfile::tempdir().unwrap();
    let grid = qpv_tests::shared_file("filosofi2019/carreaux_200m_dep59.csv");
    let official = qpv_tests::shared_file("qpv-official/qpv2024_nord.geojson");
    let rows = check(dir.path(), &grid, &official, "nord");
    assert_eq!(rows.len(), 94);
    assert_eq!(states(&rows, "continuity_verdict").2, 0, "no official perimeter fails continuity");
    assert_eq!(states(&rows, "urban_unit_verdict").2, 0, "none fails the urban unit");
    assert_eq!(states(&rows, "verdict"), (64, 30, 0), "meets, undecided, fails (README)");
    assert_eq!(states(&rows, "population_verdict"), (73, 21, 0));
    assert_eq!(states(&rows, "median_verdict"), (82, 12, 0));
    for r in rows.iter().filter(|r| r["verdict"] == "undecided") {
        let why = &r["problems"];
        assert!(
            why.split("; ").all(|p| p.contains("cannot be decided")),
            "{}: every reason is one the public grid cannot decide: {why}",
            r["id"]
        );
    }
    // Quartiers of the 2015 list in units under 10 000 (Le Quesnoy) meet by the décret's
    // six-year exception; the contiguity of parts a street apart holds.
    let quesnoy = rows.iter().find(|r| r["id"] == "QN05943M").unwrap();
    assert_eq!(quesnoy["urban_unit_verdict"], "meets");
    assert!(quesnoy["criteria"].contains("59210 Le Quesnoy"), "{}", quesnoy["criteria"]);
    let parts = rows.iter().find(|r| r["id"] == "QN05990N").unwrap();
    assert_eq!((parts["parts"].as_str(), parts["continuity_verdict"].as_str()), ("2", "meets"));
    assert_eq!(num(parts, "widest_gap_m"), 35.0);
}

/// Haute-Garonne's 19 quartiers of 2015: the published population lies in the range for
/// 17 of them (not Rangueil, whose students the fiscal grid counts with their parents,
/// nor Saint-Gaudens' centre, 2 inhabitants above it); the estimated median's spread
/// around the published medians is the band that makes a near miss undecided.
#[test]
#[ignore = "needs ../shared/data (national grid, Haute-Garonne 2015 perimeters and figures)"]
fn published_populations_of_haute_garonne_lie_in_the_range() {
    let dir = tempfile::tempdir().unwrap();
    let grid = qpv_tests::shared_file("filosofi2019/carreaux_200m_met.csv.gz");
    let shapes = qpv_tests::shared_file("qpv-official/qp2015_haute_garonne.geojson");
    let figures = published(&qpv_tests::shared_file("qpv-official/qp2015_haute_garonne.csv"));
    let rows = check(dir.path(), &grid, &shapes, "hg");
    assert_eq!(rows.len(), 19);
    let p = population_accuracy(&rows, &figures);
    assert_eq!(p.perimeters, 19);
    assert!(p.in_range >= 17, "{p:?}");
    let outside: Vec<&str> = p.outside.iter().map(|o| o.0.as_str()).collect();
    assert_eq!(outside, ["QP031015", "QP031003"], "{p:?}");
    // The point estimate: the README's figures.
    assert!((p.median_ratio - 1.07).abs() < 0.005, "{p:?}");
    assert!((p.low_ratio - 0.69).abs() < 0.005, "{p:?}");
    // The band (7 %) is one standard deviation of the estimate around the published
    // disposable medians, once their common ratio (vintage, concept) is taken out; 16 of
    // the 19 lie within it (README, "Accuracy").
    let m = median_accuracy(&rows, &figures, false, 0.07);
    assert_eq!(m.perimeters, 19);
    assert!(m.sd_log <= 0.07 && m.sd_log > 0.06, "{m:?}");
    assert!((m.within_band * 19.0).round() == 16.0, "{m:?}");
    assert_eq!(states(&rows, "continuity_verdict").2, 0);
    assert_eq!(states(&rows, "urban_unit_verdict").2, 0);
    // One published quartier fails, on the median alone and just outside the ±7 % band:
    // Négreneys, the perimeter on no square's centre whose estimate is the worst of the 19,
    // since closing lowered the calibration factor to 1.285 (README, "One verdict"; at 1.32
    // it was undecided).
    let failing: Vec<(&str, &str)> = rows
        .iter()
        .filter(|r| r["verdict"] == "fails")
        .map(|r| (r["id"].as_str(), r["median_verdict"].as_str()))
        .collect();
    assert_eq!(failing, [("QP031018", "fails")]);
    assert_eq!(states(&rows, "population_verdict").2, 0);
}

/// The official shapes of Nord moved 2.5 km onto inhabited ground that is no quartier:
/// at least 95 % fail (the README's figure).
#[test]
#[ignore = "needs ../shared/data (Nord grid, official 2024 perimeters of Nord)"]
fn the_same_shapes_moved_off_the_quartiers_fail() {
    let dir = tempfile::tempdir().unwrap();
    let grid = qpv_tests::shared_file("filosofi2019/carreaux_200m_dep59.csv");
    let official = qpv_tests::shared_file("qpv-official/qpv2024_nord.geojson");
    let rows = verdicts::moved_off(Path::new(QPV), dir.path(), &grid, &official, "nord");
    let (meets, undecided, fails) = states(&rows, "verdict");
    assert!(rows.len() > 150, "{}", rows.len());
    assert!(fails as f64 >= 0.95 * rows.len() as f64, "{meets} meet, {undecided} undecided, {fails} fail");
}

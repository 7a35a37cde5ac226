//! Checks on the real data in `../shared` (skipped with a message when it is absent).

use geo::Validation;
use qpv_io::GridSource;
use qpv_io::crs::Transformer;
use qpv_tests::{run, shared_file};

#[test]
fn nord_candidates_are_valid_and_plausible() {
    let Some(path) = shared_file("filosofi2019/carreaux_200m_dep59.csv") else { return };
    let r = run(GridSource::Path(path));
    assert_eq!(r.grid.len(), 45_884);
    let c = &r.output.candidates.candidates;
    // Published: 94 QPV in Nord in 2024 (METHOD.md §7); the estimate is in that range.
    assert!((60..=130).contains(&c.len()), "{} candidates", c.len());
    for cand in c {
        assert!(cand.geometry.is_valid(), "{:?}", cand.geometry.validation_errors());
        assert!(cand.area.individuals >= 1_000.0 && cand.area.median.unwrap() < cand.area.threshold);
    }
}

#[test]
fn laea_to_wgs84_matches_all_5000_proj_points() {
    let Some(path) = shared_file("proj-reference/laea3035_to_wgs84.csv") else { return };
    let t = Transformer::new(3035, 4326).unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    let mut worst: f64 = 0.0;
    let mut n = 0;
    for line in text.lines().skip(1) {
        let v: Vec<f64> = line.split(',').map(|x| x.parse().unwrap()).collect();
        let (lon, lat) = t.point(v[0], v[1]).unwrap();
        let dy = (lat - v[3]) * 111_320.0;
        let dx = (lon - v[2]) * 111_320.0 * v[3].to_radians().cos();
        worst = worst.max(dx.hypot(dy));
        n += 1;
    }
    assert_eq!(n, 5_000);
    assert!(worst < 0.001, "worst error {worst} m");
}

#[test]
fn lambert93_to_laea_matches_all_5000_proj_points() {
    let Some(path) = shared_file("proj-reference/lambert93_to_laea3035.csv") else { return };
    let t = Transformer::new(2154, 3035).unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    for line in text.lines().skip(1) {
        let v: Vec<f64> = line.split(',').map(|x| x.parse().unwrap()).collect();
        let (e, n) = t.point(v[0], v[1]).unwrap();
        assert!((e - v[2]).hypot(n - v[3]) < 0.001, "{line}");
    }
}

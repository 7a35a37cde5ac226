//! The whole method on the committed CAPH sample (real Filosofi 2019 squares).

use geo::{Area, Contains, Validation, Winding};
use qpv_layers::crs::Transformer;
use qpv_tests::{Run, run};
use std::sync::OnceLock;

fn caph() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| run(qpv_grid::SAMPLE_GRID))
}

#[test]
fn sample_is_the_caph_extract() {
    let r = caph();
    assert_eq!(r.grid.len(), 3_205);
    // 160 428 in the data README, rounded: imputed squares hold fractions.
    assert!((r.grid.individuals() - 160_428.0).abs() < 1.0);
}

#[test]
fn every_candidate_passes_the_rule() {
    let r = caph();
    let c = &r.output.candidates.candidates;
    // The README's 8: Denain (north and south) and its neighbours.
    assert_eq!(c.len(), 8);
    for cand in c {
        let a = &cand.area;
        assert!(a.individuals >= 1_000.0, "{a:?}");
        assert!(a.median.unwrap() < a.threshold, "{a:?}");
        // The applied threshold is the legal one times the default calibration factor.
        assert!((a.threshold - a.legal_threshold * qpv_core::DEFAULT_CALIBRATION_FACTOR).abs() < 1e-6);
        assert_eq!(a.legal_threshold % 100.0, 0.0);
    }
}

#[test]
fn outlines_are_valid_ccw_and_exactly_the_squares() {
    for cand in &caph().output.candidates.candidates {
        let g = &cand.geometry;
        assert!(g.is_valid(), "{:?}", g.validation_errors());
        for p in &g.0 {
            assert!(p.exterior().is_ccw());
            assert!(p.interiors().iter().all(|h| h.is_cw()));
        }
        let squares = (cand.area.squares.len() + cand.area.filled.len()) as f64;
        assert_eq!(g.unsigned_area(), 40_000.0 * squares);
        assert_eq!(cand.area.area_m2, 40_000.0 * squares);
    }
}

#[test]
fn populations_add_up() {
    let r = caph();
    let c = &r.output.candidates;
    // No square is in two areas.
    let mut seen = std::collections::HashSet::new();
    for a in c.candidates.iter().map(|x| &x.area).chain(&c.near_misses).chain(&c.small) {
        for s in &a.squares {
            assert!(seen.insert(*s), "square {s} twice");
        }
    }
    // Every flagged square is in an area; the others there are the squares the closing
    // took in: at least `DEFAULT_CLOSE` of their 8 neighbours flagged, of their own unit.
    let flagged: std::collections::HashSet<u32> = r.output.flagged.flagged.iter().copied().collect();
    assert!(flagged.iter().all(|s| seen.contains(s)), "a flagged square in no area");
    let cells = r.grid.cells();
    let unit = &r.output.placement.unit_of_square;
    let at: std::collections::HashMap<(i32, i32), u32> =
        flagged.iter().map(|&i| ((cells[i as usize].x, cells[i as usize].y), unit[i as usize])).collect();
    let closed: Vec<u32> = seen.iter().copied().filter(|s| !flagged.contains(s)).collect();
    assert!(!closed.is_empty(), "the sample has squares surrounded by flagged ones");
    for &s in &closed {
        let (x, y) = (cells[s as usize].x, cells[s as usize].y);
        let around = (-1..=1)
            .flat_map(|dx| (-1..=1).map(move |dy| (dx, dy)))
            .filter(|&(dx, dy)| (dx, dy) != (0, 0) && at.get(&(x + dx, y + dy)) == Some(&unit[s as usize]))
            .count();
        assert!(
            around >= qpv_core::candidate::DEFAULT_CLOSE as usize,
            "square {s}: {around} flagged neighbours"
        );
    }
    // The areas' residents are those of the flagged squares and of the squares taken in.
    let squares: f64 = seen.iter().map(|&i| r.grid.values()[i as usize].individuals).sum();
    let areas: f64 = c.candidates.iter().map(|x| x.area.individuals).sum::<f64>()
        + c.near_misses.iter().map(|a| a.individuals).sum::<f64>()
        + c.small_area_individuals;
    assert!((squares - areas).abs() < 1e-6, "{squares} vs {areas}");
}

#[test]
fn a_candidate_covers_denains_centre() {
    // Place Wilson, by Denain's town hall (WGS84).
    let (e, n) = Transformer::new(4326, 3035).unwrap().point(3.3958, 50.3289).unwrap();
    let centre = geo_types::Point::new(e, n);
    let r = caph();
    let covering: Vec<_> =
        r.output.candidates.candidates.iter().filter(|c| c.geometry.contains(&centre)).collect();
    assert_eq!(covering.len(), 1, "Denain's centre should be in exactly one candidate");
    let unit = &r.output.placement.units[covering[0].area.unit as usize];
    assert_eq!(unit.code, "59701");
}

#[test]
fn thresholds_use_national_medians_not_the_extract() {
    let r = caph();
    let (reference, _) = qpv_grid::reference::embedded_reference("filosofi2019").unwrap();
    assert_eq!(r.output.flagged.national_median, reference.national_median);
    let valenciennes = r.output.placement.units.iter().position(|u| u.code == "59701").unwrap();
    let t = &r.output.flagged.units[valenciennes];
    assert_eq!(t.local_median, Some(reference.units["59701"].median));
    // The CAPH covers only part of the Valenciennes urban unit: 34.6 %.
    assert!((t.coverage - 0.345_870_6).abs() < 1e-6, "{}", t.coverage);
    assert!(r.output.flagged.warnings.is_empty(), "{:?}", r.output.flagged.warnings);
}

#[test]
fn same_result_on_one_and_two_threads() {
    let ids = |threads: usize| {
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap().install(|| {
            let r = run(qpv_grid::SAMPLE_GRID);
            r.output
                .candidates
                .candidates
                .iter()
                .map(|c| {
                    (c.area.squares.clone(), c.area.median.map(f64::to_bits), format!("{:?}", c.geometry))
                })
                .collect::<Vec<_>>()
        })
    };
    assert_eq!(ids(1), ids(2));
}

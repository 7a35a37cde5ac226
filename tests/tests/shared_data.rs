//! Checks on the real data in `../shared/data`. Ignored by default (a clone has no
//! `../shared`); `.ci/run` runs them with `-- --include-ignored`, and then a missing file
//! fails them.

use geo::Validation;
use qpv_grid::GridSource;
use qpv_layers::crs::Transformer;
use qpv_tests::{run, shared_file};

#[test]
#[ignore = "needs ../shared/data (Nord grid; CI and developer machines have it)"]
fn nord_candidates_are_valid_and_plausible() {
    let path = shared_file("filosofi2019/carreaux_200m_dep59.csv");
    let r = run(GridSource::Path(path));
    assert_eq!(r.grid.len(), 45_884);
    let c = &r.output.candidates.candidates;
    // The README's figures: 88 candidates, 393 668 inhabitants (rounded: imputed squares
    // hold fractions). Published: 94 QPV in Nord in 2024 (METHOD.md §7).
    assert_eq!(c.len(), 88);
    let inhabitants: f64 = c.iter().map(|x| x.area.individuals).sum();
    assert!((inhabitants - 393_668.0).abs() < 0.01, "{inhabitants} inhabitants");
    for cand in c {
        assert!(cand.geometry.is_valid(), "{:?}", cand.geometry.validation_errors());
        assert!(cand.area.individuals >= 1_000.0 && cand.area.median.unwrap() < cand.area.threshold);
    }
}

#[test]
#[ignore = "needs ../shared/data (PROJ reference points; CI and developer machines have it)"]
fn laea_to_wgs84_matches_all_5000_proj_points() {
    let path = shared_file("proj-reference/laea3035_to_wgs84.csv");
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
    // Within 1 mm of PROJ, as the README says (0.75 mm at worst here).
    assert!(worst < 0.001, "worst error {worst} m");
}

#[test]
#[ignore = "needs ../shared/data (PROJ reference points; CI and developer machines have it)"]
fn lambert93_to_laea_matches_all_5000_proj_points() {
    let path = shared_file("proj-reference/lambert93_to_laea3035.csv");
    let t = Transformer::new(2154, 3035).unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    let mut worst: f64 = 0.0;
    for line in text.lines().skip(1) {
        let v: Vec<f64> = line.split(',').map(|x| x.parse().unwrap()).collect();
        let (e, n) = t.point(v[0], v[1]).unwrap();
        let d = (e - v[2]).hypot(n - v[3]);
        worst = worst.max(d);
        // 2.5 µm at worst here.
        assert!(d < 1e-5, "{d} m: {line}");
    }
    eprintln!("worst error {worst} m");
}

/// Real IGN commune boundaries of Nord (simplified, WGS84) as perimeters: residents by
/// area share against the grid's own commune attribution (squares whose `lcog_geo` is
/// the commune alone). This measures the area-share estimate on real, cut squares.
#[test]
#[ignore = "needs ../shared/data (Nord grid and commune boundaries; CI and developer machines have it)"]
fn nord_commune_boundaries_cut_squares_plausibly() {
    let grid = shared_file("filosofi2019/carreaux_200m_dep59.csv");
    let bounds = shared_file("boundaries/communes-59-nord.geojson");
    let r = run(GridSource::Path(grid));
    let fits = qpv_core::medians::fit_squares(&r.grid, &qpv_core::IncomeModel::default(), 12_645.0);
    let pop = qpv_core::compare::Population::new(&r.grid, None, &fits);
    let file = qpv_layers::perimeters::read_perimeters(&bounds, None, None, 3035).expect("boundaries read");
    assert_eq!(file.perimeters.len(), 648);
    assert!(file.repairs.is_empty(), "{} of 648 commune polygons repaired", file.repairs.len());
    // Inhabitants the grid attributes to each commune (a square of several communes split equally).
    let mut by_code: std::collections::HashMap<String, f64> = Default::default();
    for i in 0..r.grid.len() {
        let codes = r.grid.communes(i);
        for c in codes {
            *by_code.entry(c.to_string()).or_default() += r.grid.values()[i].individuals / codes.len() as f64;
        }
    }
    let mut errors = Vec::new();
    let (mut inside, mut total) = (0.0, 0.0);
    for (id, shape) in file.perimeters.ids.iter().zip(&file.perimeters.shapes) {
        let Some(&expected) = by_code.get(id.as_str()) else { continue };
        let got = pop.residents(shape).totals.individuals;
        inside += got;
        total += expected;
        if expected >= 5_000.0 {
            errors.push((got / expected - 1.0).abs());
        }
    }
    errors.sort_by(f64::total_cmp);
    let median = errors[errors.len() / 2];
    let p90 = errors[errors.len() * 9 / 10];
    eprintln!(
        "communes ≥ 5 000: {}, relative error median {:.2} %, 90th percentile {:.2} %; all: {:.0} vs {:.0}",
        errors.len(),
        100.0 * median,
        100.0 * p90,
        inside,
        total
    );
    // The README's figures: median 1.0 %, 90th percentile 3.6 % (1.03 % and 3.58 % here);
    // 0.19 % fewer residents inside all the boundaries than the grid attributes.
    assert_eq!(errors.len(), 108);
    assert!(median <= 0.011 && p90 <= 0.037, "median {median}, p90 {p90}");
    assert!((inside / total - 1.0).abs() < 0.002, "{inside} vs {total}");
}

fn candidate_perimeters(r: &qpv_tests::Run) -> qpv_core::compare::Perimeters {
    let (records, _) = qpv_layers::records::area_records(&r.output, &r.grid, &r.communes);
    qpv_core::compare::Perimeters {
        ids: records.iter().map(|c| c.record.id.clone()).collect(),
        names: records.iter().map(|c| c.record.uu_name.clone()).collect(),
        shapes: records.into_iter().map(|c| c.geometry).collect(),
    }
}

/// `qpv compare --within` on real data: the 88 Nord candidates restricted to the
/// communes that the CAPH sample's 8 candidates touch (on the Nord grid), and to the IGN
/// boundaries of the CAPH's communes and of all Nord: the same candidates either way,
/// and nothing of Nord outside Nord.
#[test]
#[ignore = "needs ../shared/data (Nord grid and commune boundaries; CI and developer machines have it)"]
fn nord_candidates_within_the_caph_communes_and_within_nord() {
    use geo::Area;
    use qpv_core::within::{Extent, communes_touched, restrict};
    let nord = run(GridSource::Path(shared_file("filosofi2019/carreaux_200m_dep59.csv")));
    let caph = run(qpv_grid::SAMPLE_GRID);
    let fits = qpv_core::medians::fit_squares(
        &nord.grid,
        &qpv_core::IncomeModel::default(),
        nord.output.flagged.poverty_line,
    );
    let pop = qpv_core::compare::Population::new(&nord.grid, None, &fits);
    let (nord_set, caph_set) = (candidate_perimeters(&nord), candidate_perimeters(&caph));
    assert_eq!((nord_set.len(), caph_set.len()), (88, 8));
    let communes = communes_touched(&caph_set, &pop);
    let extent = Extent::Communes { population: &pop, communes: &communes };
    // The set that makes the extent lies wholly in it.
    assert!(restrict(&caph_set, &extent, Some(&pop)).shares.iter().all(|s| *s == Some(1.0)));
    let by_communes = restrict(&nord_set, &extent, Some(&pop));
    let kept: Vec<&str> =
        (0..nord_set.len()).filter(|&k| by_communes.kept[k]).map(|k| nord_set.ids[k].as_str()).collect();
    assert!(
        communes
            .iter()
            .all(|c| caph.communes.find(*c).is_some_and(|i| caph.communes.get(i).epci == "200042190"))
    );
    // Every CAPH candidate is (part of) a kept Nord candidate: same medians, same rule.
    for shape in &caph_set.shapes {
        let covered = (0..nord_set.len())
            .filter(|&k| by_communes.kept[k])
            .any(|k| geo::BooleanOps::intersection(&nord_set.shapes[k], shape).unsigned_area() > 0.0);
        assert!(covered, "a CAPH candidate outside every kept Nord candidate");
    }
    // Eight kept, the same as by the IGN boundaries below: the CAPH candidates' own
    // communes, and the Nord candidates with at least half their squares in them.
    assert_eq!(
        kept,
        ["59402-01", "59701-01", "59701-04", "59701-05", "59701-07", "59701-09", "59701-11", "59701-16"]
    );
    let people = |k: usize| nord.output.candidates.candidates[k].area.individuals;
    let left: f64 = (0..88).filter(|&k| !by_communes.kept[k]).map(people).sum();
    let got = by_communes.left_out.residents.as_ref().unwrap().totals.individuals;
    assert!((got - left).abs() < 0.01, "{got} left out, {left} in the candidates left out");

    // The same with the IGN boundaries of the communes of the CAPH (EPCI 200042190).
    let bounds = qpv_layers::perimeters::read_perimeters(
        &shared_file("boundaries/communes-59-nord.geojson"),
        None,
        None,
        3035,
    )
    .expect("boundaries read");
    let in_caph: Vec<bool> = bounds
        .perimeters
        .ids
        .iter()
        .map(|code| {
            let code = qpv_core::CommuneCode::parse(code.as_bytes()).unwrap();
            caph.communes.find(code).is_some_and(|i| caph.communes.get(i).epci == "200042190")
        })
        .collect();
    assert_eq!(in_caph.iter().filter(|x| **x).count(), 47, "the CAPH's 47 communes (COG 2021)");
    let caph_outline = bounds.perimeters.subset(&in_caph);
    let by_polygons = restrict(&nord_set, &Extent::Polygons(&caph_outline), Some(&pop));
    assert_eq!(by_polygons.kept, by_communes.kept);
    // All Nord: every candidate inside.
    let whole = restrict(&nord_set, &Extent::Polygons(&bounds.perimeters), None);
    assert_eq!(whole.kept_count(), 88);
    let partly: Vec<(&str, f64)> = (0..88)
        .filter_map(|k| whole.shares[k].filter(|s| *s < 0.999).map(|s| (nord_set.ids[k].as_str(), s)))
        .collect();
    // Two lie partly outside Nord: 00756-04 (Ostricourt) reaches into Oignies, in
    // Pas-de-Calais, and 59701-08 (Quiévrechain, Crespin) has squares across the Belgian border.
    assert_eq!(partly.iter().map(|p| p.0).collect::<Vec<_>>(), ["00756-04", "59701-08"]);
    assert!(partly.iter().all(|p| p.1 > 0.8), "{partly:?}");
}

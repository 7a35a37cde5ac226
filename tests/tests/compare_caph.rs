//! Comparison and indicators on the committed CAPH sample: residents by area share
//! are exact on whole squares, through every file format and CRS we read.

use geo::{Area, BooleanOps, Translate};
use qpv_core::compare::{Perimeters, Population, compare};
use qpv_core::medians::fit_squares;
use qpv_core::{IncomeModel, LogNormal};
use qpv_layers::crs::Transformer;
use qpv_layers::perimeters::{CrsOrigin, read_perimeters};
use qpv_layers::records::area_records;
use qpv_tests::{Run, run};
use std::sync::OnceLock;

fn caph() -> &'static (Run, Vec<Option<LogNormal>>) {
    static RUN: OnceLock<(Run, Vec<Option<LogNormal>>)> = OnceLock::new();
    RUN.get_or_init(|| {
        let r = run(qpv_grid::SAMPLE_GRID);
        let fits = fit_squares(&r.grid, &IncomeModel::default(), r.output.flagged.poverty_line);
        (r, fits)
    })
}

fn candidates() -> Perimeters {
    let (r, _) = caph();
    let (records, _) = area_records(&r.output, &r.grid, &r.communes);
    Perimeters {
        ids: records.iter().map(|c| c.record.id.clone()).collect(),
        names: records.iter().map(|c| c.record.uu_name.clone()).collect(),
        shapes: records.into_iter().map(|c| c.geometry).collect(),
    }
}

#[test]
fn whole_squares_give_exactly_the_candidates_inhabitants() {
    let (r, fits) = caph();
    let pop = Population::new(&r.grid, None, fits);
    for (c, shape) in r.output.candidates.candidates.iter().zip(candidates().shapes) {
        let residents = pop.residents(&shape);
        assert_eq!(residents.totals.individuals, c.area.individuals);
        assert_eq!(residents.totals.households, c.area.households);
        assert_eq!(residents.cut_squares, 0);
        assert_eq!(residents.median, c.area.median);
    }
}

/// Candidates written as GeoJSON (WGS84, 7 decimals) and as a Lambert-93 shapefile with
/// accented names, read back: same perimeters, same inhabitants, accents intact.
#[test]
fn geojson_and_lambert93_shapefile_round_trips() {
    let (r, fits) = caph();
    let dir = tempfile::tempdir().unwrap();
    let (mut records, _) = area_records(&r.output, &r.grid, &r.communes);
    records[0].extra.push(("name".into(), "Quartier de l'Égalité – Rœulx".into()));
    let to_wgs84 = Transformer::new(3035, 4326).unwrap();
    let gj = dir.path().join("candidates.geojson");
    std::fs::write(&gj, qpv_layers::export::candidates_geojson(&records, &to_wgs84, &to_wgs84).unwrap())
        .unwrap();
    let to_l93 = Transformer::new(3035, 2154).unwrap();
    for (name, bytes) in qpv_layers::shapefile_out::perimeters_shapefile("qpv", &records, &to_l93).unwrap() {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let from_gj = read_perimeters(&gj, None, None, 3035).unwrap();
    let from_shp = read_perimeters(&dir.path().join("qpv.shp"), None, None, 3035).unwrap();
    assert_eq!((from_gj.epsg, from_gj.crs_origin), (4326, CrsOrigin::Rfc7946));
    assert_eq!((from_shp.epsg, from_shp.crs_origin), (2154, CrsOrigin::Declared));
    assert_eq!(from_shp.properties[0]["name"], "Quartier de l'Égalité – Rœulx");
    let names: Vec<&str> = from_shp.properties.iter().filter_map(|p| p["comm_names"].as_str()).collect();
    assert!(names.iter().any(|n| n.contains("Rœulx") || n.contains("Hérin")), "{names:?}");
    assert!(from_gj.repairs.is_empty() && from_shp.repairs.is_empty());
    let pop = Population::new(&r.grid, None, fits);
    for file in [&from_gj, &from_shp] {
        assert_eq!(file.perimeters.ids, records.iter().map(|c| c.record.id.clone()).collect::<Vec<_>>());
        for (shape, rec) in file.perimeters.shapes.iter().zip(&records) {
            assert_eq!(pop.residents(shape).totals.individuals, rec.record.inhabitants, "{}", rec.record.id);
            let area = shape.unsigned_area();
            // Coordinates rounded to 7 decimals (1 cm) move the outline by up to a centimetre.
            assert!((area / rec.record.area_m2 - 1.0).abs() < 1e-4, "{} {area}", rec.record.id);
        }
        let c = compare(&candidates(), &file.perimeters, Some(&pop));
        assert_eq!(c.matches.len(), records.len());
        assert!(
            c.matches.iter().all(|m| m.iou() > 0.9999),
            "{:?}",
            c.matches.iter().map(|m| m.iou()).collect::<Vec<_>>()
        );
        let lost = c.overall[3].residents.as_ref().unwrap().totals.individuals;
        assert_eq!(lost, 0.0);
    }
}

/// A hand-edited copy: one candidate shifted east by 100 m (half a square), one
/// dropped, one cut by a hole. Residents lost and gained add up on both sides.
#[test]
fn candidates_against_a_hand_edited_copy() {
    let (r, fits) = caph();
    let pop = Population::new(&r.grid, None, fits);
    let a = candidates();
    let mut b = a.clone();
    b.shapes[0] = b.shapes[0].translate(100.0, 0.0);
    let dropped = b.shapes.len() - 1;
    b.ids.remove(dropped);
    b.names.remove(dropped);
    b.shapes.remove(dropped);
    let c = compare(&a, &b, Some(&pop));
    let ind = |k: usize| c.overall[k].residents.as_ref().unwrap().totals.individuals;
    assert!((ind(0) - ind(3) - (ind(1) - ind(4))).abs() < 1e-6, "A − lost = B − gained = both");
    assert!((ind(0) - ind(3) - ind(2)).abs() < 1e-6);
    let alone: Vec<_> = c.matches.iter().filter(|m| m.other.is_none()).collect();
    assert_eq!(alone.len(), 1);
    assert_eq!(alone[0].reference, Some(dropped));
    let shifted = c.matches.iter().find(|m| m.reference == Some(0) && m.other == Some(0)).unwrap();
    assert!((shifted.iou() - 0.5).abs() < 1e-9, "{}", shifted.iou());
    // The shifted piece cuts squares in half: every cut square counts for its share.
    let r0 = shifted.pieces[1].residents.as_ref().unwrap();
    assert_eq!(r0.cut_squares, 4);
    let expected = a.shapes[0].intersection(&b.shapes[0]).unsigned_area();
    assert!((shifted.pieces[2].area_m2 - expected).abs() < 1e-6);
    // by_commune adds up to the totals.
    let sum: f64 = c.by_commune.iter().map(|r| r.in_reference).sum();
    assert!((sum - ind(0)).abs() < 1e-6);
}

//! `GET /api/compare`: the statistical candidates against the session's perimeters,
//! through `qpv compare`'s engine ([`qpv_core::compare`]).

use super::session::Session;
use anyhow::Result;
use qpv_core::compare::{Change, Perimeters, Population, compare};
use qpv_layers::crs::Transformer;
use qpv_layers::export::geojson_geometry;
use qpv_layers::records::CandidateRecord;
use serde_json::{Value, json};

/// The perimeters of records as `compare` takes them.
pub fn perimeter_set(records: &[CandidateRecord]) -> Perimeters {
    Perimeters {
        ids: records.iter().map(|r| r.record.id.clone()).collect(),
        names: records.iter().map(|_| String::new()).collect(),
        shapes: records.iter().map(|r| r.geometry.clone()).collect(),
    }
}

/// Kept, added and removed inhabitants per candidate and perimeter, with the pieces.
pub fn comparison(s: &Session, candidates: &Perimeters, to_wgs84: &Transformer) -> Result<Value> {
    let population = Population::new(&s.a.file.grid, None, s.a.fits());
    let current = perimeter_set(&s.current.perimeters);
    let c = compare(candidates, &current, Some(&population));
    let people = |k: usize, m: &qpv_core::compare::Match| {
        m.pieces[k].residents.as_ref().map_or(0.0, |r| (r.totals.individuals * 10.0).round() / 10.0)
    };
    let mut rows = Vec::new();
    for m in &c.matches {
        let (kept, removed, added) = (people(2, m), people(3, m), people(4, m));
        let status = match (m.reference, m.other) {
            (Some(_), None) => "removed",
            (None, Some(_)) => "added",
            _ if added == 0.0 && removed == 0.0 => "kept",
            _ => "changed",
        };
        rows.push(json!({
            "candidate": m.reference.map(|k| candidates.ids[k].clone()),
            "perimeter": m.other.map(|k| current.ids[k].clone()),
            "status": status, "kept": kept, "added": added, "removed": removed,
        }));
    }
    let total = |k: usize| {
        c.overall[k].residents.as_ref().map_or(0.0, |r| (r.totals.individuals * 10.0).round() / 10.0)
    };
    let pieces = |change: Change| -> Result<Value> {
        let mut features = Vec::new();
        for p in c.map.iter().filter(|p| p.change == change) {
            let people = p.residents.as_ref().map_or(0.0, |r| r.totals.individuals);
            features.push(json!({
                "type": "Feature",
                "properties": { "change": change.label(), "inhabitants": (people * 10.0).round() / 10.0,
                                "candidate": p.reference.map(|k| candidates.ids[k].clone()),
                                "perimeter": p.other.map(|k| current.ids[k].clone()) },
                "geometry": geojson_geometry(&to_wgs84.multipolygon(&p.geometry)?),
            }));
        }
        Ok(json!({ "type": "FeatureCollection", "features": features }))
    };
    Ok(json!({
        "rows": rows,
        "totals": { "kept": total(2), "removed": total(3), "added": total(4) },
        "added": pieces(Change::Added)?,
        "removed": pieces(Change::Removed)?,
    }))
}

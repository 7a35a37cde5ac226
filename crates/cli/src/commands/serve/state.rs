//! What the page is shown: the session's perimeters with their figures and each
//! criterion of the decree, the steps, and the squares in view (API.md).

use super::session::{Base, Session};
use crate::printer::thousands;
use anyhow::Result;
use qpv_core::Figures;
use qpv_core::verdict::State;
use qpv_layers::crs::Transformer;
use qpv_layers::edits::Step;
use qpv_layers::export::{candidate_properties, geojson_geometry};
use qpv_layers::records::CandidateRecord;
use serde_json::{Map, Value, json};

/// Most squares `GET /api/squares` answers with: a département holds 46 000, France 2.3 M.
pub const SQUARE_LIMIT: usize = 40_000;

/// Features of perimeter records in WGS84, their properties those of the files written
/// (`adjusted.geojson`), plus `more(k)`.
pub fn features(
    records: &[CandidateRecord],
    to_wgs84: &Transformer,
    mut more: impl FnMut(usize, &mut Map<String, Value>),
) -> Result<Value> {
    let mut features = Vec::with_capacity(records.len());
    for (k, r) in records.iter().enumerate() {
        let mut properties = candidate_properties(r, to_wgs84)?;
        more(k, &mut properties);
        let geometry = geojson_geometry(&to_wgs84.multipolygon(&r.geometry)?);
        features.push(json!({ "type": "Feature", "properties": properties, "geometry": geometry }));
    }
    Ok(json!({ "type": "FeatureCollection", "features": features }))
}

/// Each criterion of the decree with the figure behind it and its state (`meets`,
/// `fails`, `undecided`), in the decree's order: the engine's one verdict.
pub fn criteria_json(f: &Figures) -> Value {
    let list = f
        .verdict
        .criteria
        .iter()
        .map(|c| {
            json!({ "key": c.key.name(), "state": c.state.word(), "ok": c.state == State::Meets,
                    "label": c.label, "figure": c.figure, "reason": c.reason })
        })
        .collect();
    Value::Array(list)
}

/// The perimeters' features, kept from one edit to the next for the perimeters the
/// edit left alone: projecting the outlines of a national set takes 0.1 s.
#[derive(Default)]
pub struct FeatureCache {
    features: std::collections::HashMap<u64, Value>,
    /// The current perimeters' features, in order.
    pub current: Vec<Value>,
}

impl FeatureCache {
    /// Brings `current` up to the session's perimeters.
    pub fn update(&mut self, s: &Session, to_wgs84: &Transformer) -> Result<()> {
        let adjusted = &s.current;
        let mut kept = std::collections::HashMap::with_capacity(adjusted.lattice.len());
        let mut current = Vec::with_capacity(adjusted.lattice.len());
        for (record, (p, f)) in adjusted.perimeters.iter().zip(&adjusted.lattice) {
            let key = fingerprint(p);
            let feature = match self.features.remove(&key) {
                Some(feature) => feature,
                None => perimeter_feature(record, f, to_wgs84)?,
            };
            kept.insert(key, feature.clone());
            current.push(feature);
        }
        self.features = kept;
        self.current = current;
        Ok(())
    }
}

/// What a perimeter's feature depends on: its id, name and cells, and its drawn lines
/// (measured once per session, so one line is one allocation) with the cells edits took
/// from them.
fn fingerprint(p: &qpv_core::Perimeter) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (&p.id, &p.name, &p.squares, &p.empty).hash(&mut h);
    for d in &p.drawn {
        (std::sync::Arc::as_ptr(&d.shape) as usize, &d.removed).hash(&mut h);
    }
    h.finish()
}

fn perimeter_feature(r: &CandidateRecord, f: &Figures, to_wgs84: &Transformer) -> Result<Value> {
    let mut p = candidate_properties(r, to_wgs84)?;
    p.insert("median".into(), p["median_est"].clone());
    p.insert("legal_threshold".into(), p["threshold_legal"].clone());
    p.insert("parts".into(), json!(f.parts));
    p.insert("units".into(), json!(f.units));
    p.insert("widest_gap_m".into(), json!(f.widest_gap_m.round()));
    // The range's ends unrounded (the files hold them to 0.1): the page rounds them to whole
    // inhabitants as the criteria's figures do, and 3 644.46 rounded twice would read 3 645.
    p.insert("inhabitants_low".into(), json!(f.headcount.low));
    p.insert("inhabitants_high".into(), json!(f.headcount.high));
    p.insert("criteria".into(), criteria_json(f));
    let geometry = geojson_geometry(&to_wgs84.multipolygon(&r.geometry)?);
    Ok(json!({ "type": "Feature", "properties": p, "geometry": geometry }))
}

/// `GET /api/state`.
pub fn state(s: &Session, cache: &FeatureCache, fixed: &Fixed, to_wgs84: &Transformer) -> Result<Value> {
    let Fixed { tiles, tiles_attribution, extent, near_misses, schools: file_schools, places } = fixed;
    let adjusted = &s.current;
    let perimeters: Vec<Value> = cache
        .current
        .iter()
        .zip(&adjusted.lattice)
        .map(|(feature, (p, _))| {
            let mut feature = feature.clone();
            feature["properties"]["touched"] = json!(s.touched.contains(&p.id));
            feature
        })
        .collect();
    let perimeters = json!({ "type": "FeatureCollection", "features": perimeters });
    let poches = features(&adjusted.poches, to_wgs84, |_, _| {})?;
    let mut schools = Vec::new();
    for school in &adjusted.schools {
        let (lon, lat) = to_wgs84.point(school.x, school.y)?;
        schools.push(json!({
            "type": "Feature",
            "geometry": { "type": "Point", "coordinates": [lon, lat] },
            "properties": { "school": school.school, "perimeter": school.perimeter, "status": school.status,
                            "distance_m": finite(school.distance_m), "step": school.step },
        }));
    }
    // The file's schools that no step took in yet, so that the négociateurs see them.
    for school in file_schools {
        if adjusted.schools.iter().any(|o| o.x == school.x && o.y == school.y) {
            continue;
        }
        let (lon, lat) = to_wgs84.point(school.x, school.y)?;
        schools.push(json!({
            "type": "Feature",
            "geometry": { "type": "Point", "coordinates": [lon, lat] },
            "properties": { "school": school.label(), "category": school.category.as_deref().unwrap_or_default(), "perimeter": null,
                            "status": "not included", "distance_m": null, "step": null },
        }));
    }
    let steps: Vec<Value> = s
        .history
        .steps
        .iter()
        .enumerate()
        .map(|(k, step)| {
            let rows: Vec<&qpv_core::AuditEntry> =
                adjusted.audit_rows.iter().filter(|e| e.step == k + 1).collect();
            let summary = match step {
                Step::Poches { floor } => format!(
                    "poches de pauvreté of {}+ inhabitants, found after the last step: {} now",
                    thousands(*floor),
                    adjusted.poches.len()
                ),
                _ => rows
                    .iter()
                    .map(|e| {
                        format!("{} {}: {} (+{} −{} cells)", e.op, e.target, e.detail, e.added, e.removed)
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            };
            let warnings: Vec<String> = rows.iter().filter_map(|e| e.warning()).collect();
            json!({ "n": k + 1, "step": step, "summary": summary, "warnings": warnings })
        })
        .collect();
    let frame = s.a.file.grid.frame();
    Ok(json!({
        "version": s.history.version,
        "last_change": s.history.last_change.as_ref().map(|c| c.json()),
        "mode": match *s.base { Base::Run { .. } => "run", Base::File { .. } => "perimeters" },
        "title": title(s),
        "bbox": extent,
        "epsg": frame.map(|f| f.epsg),
        "tiles": tiles,
        "tiles_attribution": tiles_attribution,
        "schools_file": s.schools.is_some(),
        // The page's forms start from the defaults a step without the value takes.
        "defaults": {
            "poche_floor": qpv_core::DEFAULT_POCHE_FLOOR,
            "school_distance_m": qpv_core::DEFAULT_SCHOOL_DISTANCE_M,
        },
        "note": crate::commands::run::ESTIMATE_NOTE,
        "perimeters": perimeters,
        "near_misses": near_misses,
        "places": places,
        "poches": poches,
        "schools": { "type": "FeatureCollection", "features": schools },
        "steps": steps,
        "can_undo": !s.history.steps.is_empty(),
        "can_redo": !s.history.redo.is_empty(),
        "warnings": adjusted.warnings,
        "session": s.path().display().to_string(),
    }))
}

/// The credit a basemap's licence asks for, for the tile servers analysts use; others are
/// credited by their host.
pub fn attribution(template: &str) -> String {
    let origin = qpv_serve::tile_origin(template).unwrap_or_else(|| template.to_owned());
    let host = origin.split_once("://").map_or(origin.as_str(), |(_, host)| host);
    if host.ends_with("openstreetmap.org") || host.ends_with("openstreetmap.fr") {
        "© OpenStreetMap contributors".into()
    } else if host.ends_with("geopf.fr") || host.ends_with("ign.fr") {
        "© IGN – Géoplateforme".into()
    } else {
        format!("tiles: {host}")
    }
}

fn finite(x: f64) -> Value {
    if x.is_finite() { json!(x) } else { Value::Null }
}

fn title(s: &Session) -> String {
    let grid = &s.a.file.input.path;
    match &*s.base {
        Base::Run { ids } => format!("{} candidates of {grid}", ids.len()),
        Base::File { file, .. } => {
            format!("{} perimeters of {} on {grid}", file.perimeters.len(), file.input.path)
        }
    }
}

/// What the state says that no edit changes.
pub struct Fixed {
    /// `--tiles`.
    pub tiles: Option<String>,
    /// The credit the basemap's licence asks for.
    pub tiles_attribution: Option<String>,
    /// The squares' extent in longitude/latitude.
    pub extent: Value,
    /// The run's near misses.
    pub near_misses: Value,
    /// The schools of `--schools`, shown before any `include_schools` step.
    pub schools: Vec<qpv_layers::schools::School>,
    /// Urban units and communes to name, as `qpv map` names them.
    pub places: Value,
}

/// The places `qpv map` names ([`crate::commands::map::places`]), in longitude/latitude.
pub fn places(a: &crate::analysed::Analysed, to_wgs84: &Transformer) -> Result<Value> {
    let mut list = Vec::new();
    for p in crate::commands::map::places(a) {
        let (lon, lat) = to_wgs84.point(p.x, p.y)?;
        let kind = match p.kind {
            qpv_map::PlaceKind::Commune => "commune",
            qpv_map::PlaceKind::UrbanUnit => "urban_unit",
        };
        list.push(json!({ "name": p.name, "kind": kind, "population": p.population.round(),
                          "lon": lon, "lat": lat }));
    }
    Ok(Value::Array(list))
}

/// The squares' extent in longitude/latitude.
pub fn bbox(s: &Session, to_wgs84: &Transformer) -> Result<Value> {
    let grid = &s.a.file.grid;
    let Some(frame) = grid.frame() else { return Ok(Value::Null) };
    let size = frame.square_size as f64;
    let (mut x0, mut y0, mut x1, mut y1) = (i32::MAX, i32::MAX, i32::MIN, i32::MIN);
    for c in grid.cells() {
        (x0, y0, x1, y1) = (x0.min(c.x), y0.min(c.y), x1.max(c.x + 1), y1.max(c.y + 1));
    }
    let corners = [(x0, y0), (x0, y1), (x1, y0), (x1, y1)];
    let (mut lo, mut hi) = ([f64::MAX; 2], [f64::MIN; 2]);
    for (x, y) in corners {
        let (lon, lat) = to_wgs84.point(x as f64 * size, y as f64 * size)?;
        lo = [lo[0].min(lon), lo[1].min(lat)];
        hi = [hi[0].max(lon), hi[1].max(lat)];
    }
    Ok(json!([lo[0], lo[1], hi[0], hi[1]]))
}

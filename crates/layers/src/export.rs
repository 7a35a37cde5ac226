//! GeoJSON (RFC 7946) and CSV outputs of candidates and near misses.
//!
//! GeoJSON is WGS84 longitude/latitude with 7 decimals (about 1 cm), exterior
//! rings counter-clockwise and holes clockwise (RFC 7946 §3.1.6; the `geojson`
//! crate does not enforce winding, so it is checked here after reprojection).

use crate::crs::Transformer;
use crate::error::IoError;
use crate::records::{AreaRecord, CandidateRecord};
use geo_types::{LineString, MultiPolygon};
use geojson::{Feature, FeatureCollection, Geometry, GeometryValue, JsonObject, JsonValue};

/// Column names of `candidates.csv`, also the GeoJSON property names.
pub const CANDIDATE_COLUMNS: [&str; 20] = [
    "id",
    "uu_code",
    "uu_name",
    "communes",
    "commune_names",
    "epci",
    "epci_names",
    "inhabitants",
    "households",
    "poor_share",
    "median_est",
    "threshold",
    "threshold_legal",
    "margin",
    "squares",
    "filled_squares",
    "area_m2",
    "imputed_share",
    "lon",
    "lat",
];

/// Column names of `near_misses.csv`.
pub const NEAR_MISS_COLUMNS: [&str; 14] = [
    "id",
    "uu_code",
    "uu_name",
    "communes",
    "commune_names",
    "inhabitants",
    "households",
    "poor_share",
    "median_est",
    "threshold",
    "margin",
    "squares",
    "reason",
    "lon_lat",
];

fn round(x: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (x * f).round() / f
}

fn num(x: f64, decimals: i32) -> JsonValue {
    if x.is_finite() { JsonValue::from(round(x, decimals)) } else { JsonValue::Null }
}

/// The values of one candidate, in [`CANDIDATE_COLUMNS`] order; `centre` in lon/lat.
fn candidate_values(r: &AreaRecord, centre: (f64, f64)) -> Vec<JsonValue> {
    vec![
        r.id.clone().into(),
        r.uu_code.clone().into(),
        r.uu_name.clone().into(),
        r.commune_codes().into(),
        r.commune_names().into(),
        r.epci_codes().into(),
        r.epci_names().into(),
        num(r.inhabitants, 1),
        num(r.households, 1),
        num(r.poor_share, 4),
        r.median.map_or(JsonValue::Null, |m| num(m, 0)),
        num(r.threshold, 0),
        num(r.legal_threshold, 0),
        r.margin().map_or(JsonValue::Null, |m| num(m, 0)),
        r.squares.into(),
        r.filled_squares.into(),
        num(r.area_m2, 0),
        num(r.imputed_share, 4),
        num(centre.0, 7),
        num(centre.1, 7),
    ]
}

/// The attributes of a perimeter: [`CANDIDATE_COLUMNS`], then its extra properties.
pub fn candidate_properties(c: &CandidateRecord, to_wgs84: &Transformer) -> Result<JsonObject, IoError> {
    let centre = to_wgs84.point(c.record.centre.0, c.record.centre.1)?;
    let mut properties = JsonObject::new();
    for (k, v) in CANDIDATE_COLUMNS.iter().zip(candidate_values(&c.record, centre)) {
        properties.insert((*k).to_owned(), v);
    }
    for (k, v) in &c.extra {
        properties.insert(k.clone(), v.clone());
    }
    Ok(properties)
}

/// `candidates.geojson`: one feature per candidate, geometries projected with `to_out`
/// (WGS84 for RFC 7946; another CRS only on request, then named in a `crs` member).
pub fn candidates_geojson(
    records: &[CandidateRecord],
    to_wgs84: &Transformer,
    to_out: &Transformer,
) -> Result<Vec<u8>, IoError> {
    let mut features = Vec::with_capacity(records.len());
    for c in records {
        let properties = candidate_properties(c, to_wgs84)?;
        let geometry = geometry_in(&to_out.multipolygon(&c.geometry)?, to_out.target());
        features.push(Feature {
            bbox: None,
            geometry: Some(geometry),
            id: Some(geojson::feature::Id::String(c.record.id.clone())),
            properties: Some(properties),
            foreign_members: None,
        });
    }
    feature_collection(features, to_out.target())
}

/// A FeatureCollection's bytes; outside WGS84 it names its CRS in a `crs` member (the
/// GeoJSON 2008 form GDAL and QGIS read), since RFC 7946 readers assume longitudes.
pub fn feature_collection(features: Vec<Feature>, epsg: u32) -> Result<Vec<u8>, IoError> {
    let foreign_members = (epsg != 4326).then(|| {
        let mut m = JsonObject::new();
        m.insert(
            "crs".into(),
            serde_json::json!({ "type": "name", "properties": { "name": format!("urn:ogc:def:crs:EPSG::{epsg}") } }),
        );
        m
    });
    let fc = FeatureCollection { bbox: None, features, foreign_members };
    let mut out =
        serde_json::to_vec(&fc).map_err(|e| IoError::Encode { what: "output", message: e.to_string() })?;
    out.push(b'\n');
    Ok(out)
}

/// A GeoJSON geometry in `epsg`: 7 decimals of a degree (1 cm) in WGS84, 2 decimals of a
/// metre in a projected CRS; RFC 7946 winding either way.
pub fn geometry_in(mp: &MultiPolygon<f64>, epsg: u32) -> Geometry {
    geometry_with(mp, if epsg == 4326 { 7 } else { 2 })
}

/// A GeoJSON Polygon or MultiPolygon in lon/lat, 7 decimals, RFC 7946 winding.
pub fn geojson_geometry(mp: &MultiPolygon<f64>) -> Geometry {
    geometry_with(mp, 7)
}

fn geometry_with(mp: &MultiPolygon<f64>, decimals: i32) -> Geometry {
    let ring = |ls: &LineString<f64>, ccw: bool| -> Vec<[f64; 2]> {
        let mut pts: Vec<[f64; 2]> =
            ls.0.iter().map(|c| [round(c.x, decimals), round(c.y, decimals)]).collect();
        if (signed_area(&pts) > 0.0) != ccw {
            pts.reverse();
        }
        pts
    };
    let polygons: Vec<Vec<Vec<[f64; 2]>>> =
        mp.0.iter()
            .map(|p| {
                let mut rings = vec![ring(p.exterior(), true)];
                rings.extend(p.interiors().iter().map(|h| ring(h, false)));
                rings
            })
            .collect();
    let value = if polygons.len() == 1 {
        GeometryValue::new_polygon(polygons.into_iter().next().unwrap_or_default())
    } else {
        GeometryValue::new_multi_polygon(polygons)
    };
    Geometry::new(value)
}

fn signed_area(pts: &[[f64; 2]]) -> f64 {
    pts.windows(2).map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1]).sum::<f64>() / 2.0
}

fn csv_text(v: &JsonValue) -> String {
    match v {
        JsonValue::Null => String::new(),
        JsonValue::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `candidates.csv`: the same table as the GeoJSON properties.
pub fn candidates_csv(records: &[CandidateRecord], to_wgs84: &Transformer) -> Result<Vec<u8>, IoError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| IoError::Encode { what: "output", message: e.to_string() };
    w.write_record(CANDIDATE_COLUMNS).map_err(io)?;
    for c in records {
        let centre = to_wgs84.point(c.record.centre.0, c.record.centre.1)?;
        w.write_record(candidate_values(&c.record, centre).iter().map(csv_text)).map_err(io)?;
    }
    w.into_inner().map_err(|e| IoError::Encode { what: "output", message: e.to_string() })
}

/// `near_misses.csv`: areas of flagged squares that fail the rule, with the reason.
pub fn near_misses_csv(records: &[AreaRecord], to_wgs84: &Transformer) -> Result<Vec<u8>, IoError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| IoError::Encode { what: "output", message: e.to_string() };
    w.write_record(NEAR_MISS_COLUMNS).map_err(io)?;
    for r in records {
        let (lon, lat) = to_wgs84.point(r.centre.0, r.centre.1)?;
        let values = [
            r.id.clone().into(),
            r.uu_code.clone().into(),
            r.uu_name.clone().into(),
            r.commune_codes().into(),
            r.commune_names().into(),
            num(r.inhabitants, 1),
            num(r.households, 1),
            num(r.poor_share, 4),
            r.median.map_or(JsonValue::Null, |m| num(m, 0)),
            num(r.threshold, 0),
            r.margin().map_or(JsonValue::Null, |m| num(m, 0)),
            r.squares.into(),
            r.shortfalls.clone().into(),
            format!("{:.6},{:.6}", lon, lat).into(),
        ];
        w.write_record(values.iter().map(csv_text)).map_err(io)?;
    }
    w.into_inner().map_err(|e| IoError::Encode { what: "output", message: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{Coord, Polygon};

    fn square_with_hole_cw() -> MultiPolygon<f64> {
        let ring = |pts: &[(f64, f64)]| LineString(pts.iter().map(|&(x, y)| Coord { x, y }).collect());
        // Exterior given clockwise, hole counter-clockwise: both wrong for RFC 7946.
        let ext = ring(&[(0.0, 0.0), (0.0, 3.0), (3.0, 3.0), (3.0, 0.0), (0.0, 0.0)]);
        let hole = ring(&[(1.0, 1.0), (2.0, 1.0), (2.0, 2.0), (1.0, 2.0), (1.0, 1.0)]);
        MultiPolygon(vec![Polygon::new(ext, vec![hole])])
    }

    #[test]
    fn winding_is_fixed_to_rfc7946() {
        let g = geojson_geometry(&square_with_hole_cw());
        let GeometryValue::Polygon { coordinates } = g.value else { panic!("polygon expected") };
        let pts = |r: &Vec<geojson::Position>| -> Vec<[f64; 2]> { r.iter().map(|p| [p[0], p[1]]).collect() };
        assert!(signed_area(&pts(&coordinates[0])) > 0.0);
        assert!(signed_area(&pts(&coordinates[1])) < 0.0);
    }

    #[test]
    fn coordinates_have_seven_decimals() {
        let mp = MultiPolygon(vec![Polygon::new(
            LineString(vec![
                Coord { x: 3.123456789, y: 50.0 },
                Coord { x: 3.2, y: 50.0 },
                Coord { x: 3.2, y: 50.1 },
                Coord { x: 3.123456789, y: 50.0 },
            ]),
            vec![],
        )]);
        let text = serde_json::to_string(&geojson_geometry(&mp)).unwrap();
        assert!(text.contains("3.1234568"), "{text}");
        assert!(!text.contains("3.12345678"), "{text}");
    }
}

//! `--buildings FILE`: a layer of building footprints that places each square's
//! residents in its residential buildings ([`qpv_core::buildings`]), so that a perimeter
//! drawn around buildings counts those inside it (issue 19).
//!
//! Two schemas are read, feature by feature (GeoJSON, shapefile or GeoPackage, in the
//! CRS the file declares, else `--crs`):
//!
//! | source | residential when | weight |
//! |---|---|---|
//! | IGN BD TOPO, layer `batiment` | `nombre_de_logements` (or `NB_LOGTS`, BD TOPO 2) above 0 | its dwellings |
//! | OpenStreetMap buildings | `building` one of `residential`, `apartments`, `house`, `detached`, `semidetached_house`, `terrace`, `bungalow`, `dormitory`, `farm`, `yes` | footprint area × `building:levels` (1 when absent) |
//!
//! Other features (no such field, another use, no polygon) are left out and counted. A
//! building's share of its square's weight is its share of the square's residents: use
//! one schema per file, the weights of the two are not of one kind.

use crate::crs::Transformer;
use crate::perimeters::{read_features, repair, resolve_crs, split_geometry};
use geo::Area;
use qpv_core::buildings::{Building, Buildings};
use qpv_grid::IoError;
use serde_json::{Map, Value};
use std::path::Path;

/// OpenStreetMap `building` values where people live (`yes`: most untagged houses).
const OSM_RESIDENTIAL: [&str; 10] = [
    "residential",
    "apartments",
    "house",
    "detached",
    "semidetached_house",
    "terrace",
    "bungalow",
    "dormitory",
    "farm",
    "yes",
];

/// What was read from a buildings file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BuildingsRead {
    /// Features in the file.
    pub features: usize,
    /// Residential buildings kept, weighted by dwellings (BD TOPO).
    pub by_dwellings: usize,
    /// Residential buildings kept, weighted by floor area (OpenStreetMap).
    pub by_floor_area: usize,
    /// Features left out: not residential, no known field, or no polygon.
    pub left_out: usize,
}

/// The weight of a feature, and whether it is a dwelling count (else a floor area).
fn weight(properties: &Map<String, Value>, footprint_m2: f64) -> Option<(f64, bool)> {
    let number = |v: &Value| match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().replace(',', ".").parse().ok(),
        _ => None,
    };
    let field = |names: &[&str]| {
        properties.iter().find(|(k, _)| names.iter().any(|n| k.eq_ignore_ascii_case(n))).map(|(_, v)| v)
    };
    if let Some(v) = field(&["nombre_de_logements", "nb_logts"]) {
        return number(v).filter(|n| *n > 0.0).map(|n| (n, true));
    }
    let kind = field(&["building"])?.as_str()?.trim().to_ascii_lowercase();
    if !OSM_RESIDENTIAL.contains(&kind.as_str()) {
        return None;
    }
    let levels = field(&["building:levels"]).and_then(number).filter(|n| *n >= 1.0).unwrap_or(1.0);
    Some((footprint_m2 * levels, false))
}

/// Reads the residential buildings of `path` (`layer` of a GeoPackage holding several),
/// projected to `grid_epsg` and indexed by the squares of side `size`.
pub fn read_buildings(
    path: &Path,
    layer: Option<&str>,
    crs: Option<u32>,
    grid_epsg: u32,
    size: f64,
) -> Result<(Buildings, BuildingsRead), IoError> {
    let (features, declared) = read_features(path, layer)?;
    let epsg = resolve_crs(path, &features, declared, crs, "--crs EPSG:2154 (for example)")?;
    let to_grid = Transformer::new(epsg, grid_epsg)?;
    let mut read = BuildingsRead { features: features.len(), ..BuildingsRead::default() };
    let mut kept = Vec::new();
    for (geometry, properties) in features {
        let (_, polygons) = split_geometry(geometry);
        let polygons = to_grid.multipolygon(&polygons)?;
        let Ok((footprint, _)) = repair(polygons) else {
            read.left_out += 1;
            continue;
        };
        let area = footprint.unsigned_area();
        match (area > 0.0).then(|| weight(&properties, area)).flatten() {
            Some((w, dwellings)) => {
                if dwellings {
                    read.by_dwellings += 1;
                } else {
                    read.by_floor_area += 1;
                }
                kept.push(Building::new(footprint, w));
            }
            None => read.left_out += 1,
        }
    }
    if kept.is_empty() {
        return Err(IoError::GeometryFile {
            path: path.to_owned(),
            message: format!(
                "no residential building among its {} features: buildings need `nombre_de_logements` above 0 (BD \
                 TOPO batiment) or a residential `building` tag (OpenStreetMap)",
                read.features
            ),
        });
    }
    Ok((Buildings::new(kept, size), read))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn props(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn bd_topo_weighs_by_dwellings_and_leaves_out_buildings_without() {
        assert_eq!(
            weight(&props(json!({"nombre_de_logements": 24, "usage_1": "Résidentiel"})), 300.0),
            Some((24.0, true))
        );
        assert_eq!(weight(&props(json!({"NB_LOGTS": "3"})), 90.0), Some((3.0, true)));
        assert_eq!(
            weight(&props(json!({"nombre_de_logements": 0, "usage_1": "Commercial et services"})), 500.0),
            None
        );
        assert_eq!(weight(&props(json!({"nombre_de_logements": null})), 500.0), None);
    }

    #[test]
    fn osm_weighs_by_floor_area_of_residential_buildings() {
        assert_eq!(
            weight(&props(json!({"building": "apartments", "building:levels": "5"})), 200.0),
            Some((1_000.0, false))
        );
        assert_eq!(weight(&props(json!({"building": "house"})), 90.0), Some((90.0, false)));
        assert_eq!(weight(&props(json!({"building": "school"})), 900.0), None);
        assert_eq!(weight(&props(json!({"name": "a shed"})), 9.0), None);
    }

    #[test]
    fn a_file_without_residential_building_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("b.geojson");
        std::fs::write(
            &p,
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"building":"school"},
            "geometry":{"type":"Polygon","coordinates":[[[3.39,50.30],[3.391,50.30],[3.391,50.301],[3.39,50.30]]]}}]}"#,
        )
        .unwrap();
        let e = read_buildings(&p, None, None, 3035, 200.0).unwrap_err().to_string();
        assert!(e.contains("no residential building among its 1 features"), "{e}");
    }
}

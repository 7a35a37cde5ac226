//! The adjustments file (TOML): a list of steps applied in order to the candidates,
//! and the geometry files its steps name (GeoJSON, in the CRS they declare).
//!
//! ```toml
//! [[step]]
//! op = "include_schools"                    # REP/REP+ schools (GeoJSON points)
//! schools = "rep_colleges.geojson"          # paths are relative to this file
//! distance_m = 300                          # default 300
//! where = { "Classement REP" = ["REP", "REP+"] }   # optional property filter
//!
//! [[step]]
//! op = "keep_whole"                         # ANRU/NPNRU renewal areas (polygons)
//! areas = "anru.geojson"
//!
//! [[step]]
//! op = "remove"                             # or "add": squares by id and/or a drawn polygon
//! candidate = "59701-01"
//! polygon = "park.geojson"
//! squares = ["CRS3035RES200mN2970000E3794000"]
//!
//! [[step]]
//! op = "create"                             # a new perimeter from squares and/or a polygon
//! id = "59701-NEW1"
//! name = "Cité des Fleurs"
//! squares = ["CRS3035RES200mN2970000E3796000"]
//!
//! [[step]]
//! op = "merge"
//! candidates = ["59701-01", "59701-05"]
//!
//! [[step]]
//! op = "split"
//! candidate = "59701-01"
//! polygon = "east.geojson"
//! new_id = "59701-01E"
//!
//! [[step]]
//! op = "rename"
//! candidate = "59701-01"
//! name = "Denain centre"
//!
//! [[step]]
//! op = "poches"                             # pockets of poverty
//! floor = 500
//! ```

use crate::InputFile;
use crate::crs::Transformer;
use crate::error::IoError;
use crate::perimeters::{parse_crs, read_features, repair, resolve_crs, split_geometry};
use geo_types::MultiPolygon;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One step of the adjustments file. It serialises back to the same TOML (`qpv serve`
/// writes its session with it); optional fields left out are not written.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// Bring REP/REP+ schools within `distance_m` inside the nearest candidate.
    IncludeSchools {
        /// GeoJSON of points.
        schools: PathBuf,
        /// Largest distance, m.
        #[serde(default = "default_distance")]
        distance_m: f64,
        /// Keep features whose property has one of these values.
        #[serde(default, rename = "where", skip_serializing_if = "BTreeMap::is_empty")]
        filter: BTreeMap<String, Vec<String>>,
        /// CRS of the file when it declares none and is not WGS84 (`EPSG:2154`).
        #[serde(skip_serializing_if = "Option::is_none")]
        crs: Option<String>,
    },
    /// Make each renewal area wholly part of the candidate it touches.
    KeepWhole {
        /// GeoJSON of polygons.
        areas: PathBuf,
        /// CRS when the file declares none.
        #[serde(skip_serializing_if = "Option::is_none")]
        crs: Option<String>,
    },
    /// Add squares to a candidate.
    Add {
        /// The candidate.
        candidate: String,
        /// Square ids.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        squares: Vec<String>,
        /// Squares whose centre is inside these polygons.
        #[serde(skip_serializing_if = "Option::is_none")]
        polygon: Option<PathBuf>,
        /// CRS when the file declares none.
        #[serde(skip_serializing_if = "Option::is_none")]
        crs: Option<String>,
    },
    /// Remove squares from a candidate.
    Remove {
        /// The candidate.
        candidate: String,
        /// Square ids.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        squares: Vec<String>,
        /// Squares whose centre is inside these polygons.
        #[serde(skip_serializing_if = "Option::is_none")]
        polygon: Option<PathBuf>,
        /// CRS when the file declares none.
        #[serde(skip_serializing_if = "Option::is_none")]
        crs: Option<String>,
    },
    /// A new perimeter from squares (by id) and/or those whose centre is in polygons.
    Create {
        /// Its id (must be free).
        id: String,
        /// Its name.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        name: String,
        /// Square ids.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        squares: Vec<String>,
        /// Squares whose centre is inside these polygons.
        #[serde(skip_serializing_if = "Option::is_none")]
        polygon: Option<PathBuf>,
        /// CRS when the file declares none.
        #[serde(skip_serializing_if = "Option::is_none")]
        crs: Option<String>,
    },
    /// Merge candidates into the first (or `into`).
    Merge {
        /// The candidates.
        candidates: Vec<String>,
        /// The one that keeps its id.
        #[serde(skip_serializing_if = "Option::is_none")]
        into: Option<String>,
    },
    /// Move the squares of a candidate inside a polygon into a new one.
    Split {
        /// The candidate.
        candidate: String,
        /// Squares whose centre is inside these polygons.
        polygon: PathBuf,
        /// Id of the new candidate.
        new_id: String,
        /// CRS when the file declares none.
        #[serde(skip_serializing_if = "Option::is_none")]
        crs: Option<String>,
    },
    /// Change the id and/or name of a candidate.
    Rename {
        /// The candidate.
        candidate: String,
        /// New id.
        #[serde(skip_serializing_if = "Option::is_none")]
        to: Option<String>,
        /// Name.
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// Find pockets of poverty.
    Poches {
        /// Smallest pocket, inhabitants.
        #[serde(default = "default_floor")]
        floor: f64,
    },
}

fn default_distance() -> f64 {
    qpv_core::DEFAULT_SCHOOL_DISTANCE_M
}

fn default_floor() -> f64 {
    qpv_core::DEFAULT_POCHE_FLOOR
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct EditsFile {
    #[serde(default)]
    step: Vec<Step>,
}

/// Parses the text of an adjustments file (no file is opened).
pub fn parse_steps(text: &str) -> Result<Vec<Step>, String> {
    toml::from_str::<EditsFile>(text).map(|f| f.step).map_err(|e| {
        format!(
            "{e}hint: each step is a [[step]] table with an `op` among include_schools, keep_whole, add, \
             remove, create, merge, split, rename, poches"
        )
    })
}

/// The text of an adjustments file holding `steps`, after `header` (comment lines,
/// each starting with `#`). [`parse_steps`] reads it back to the same steps.
pub fn steps_toml(header: &str, steps: &[Step]) -> Result<String, String> {
    let body = toml::to_string(&EditsFile { step: steps.to_vec() }).map_err(|e| e.to_string())?;
    Ok(format!("{header}{body}"))
}

/// The steps of an adjustments file, with the file's identity.
#[derive(Debug, Clone)]
pub struct Edits {
    /// The file.
    pub path: PathBuf,
    /// Its steps.
    pub steps: Vec<Step>,
    /// For the manifest.
    pub input: InputFile,
}

fn edits_error(path: &Path, message: impl Into<String>) -> IoError {
    IoError::Edits { path: path.to_owned(), message: message.into() }
}

impl Edits {
    /// Reads and checks an adjustments file; every file it names must exist.
    pub fn read(path: &Path) -> Result<Edits, IoError> {
        let bytes = std::fs::read(path).map_err(|e| IoError::file(path, e))?;
        Edits::from_bytes(path, bytes)
    }

    /// The adjustments file at `path` whose content is `bytes` (as [`Edits::read`] would
    /// find it): `qpv serve` exports the steps it holds, without reading back the file
    /// another window's step may be rewriting meanwhile.
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<Edits, IoError> {
        let text = String::from_utf8(bytes.clone()).map_err(|_| edits_error(path, "not UTF-8 text"))?;
        let steps = parse_steps(&text).map_err(|e| edits_error(path, e))?;
        let edits = Edits {
            path: path.to_owned(),
            steps,
            input: InputFile {
                role: "edits".into(),
                path: path.display().to_string(),
                bytes: bytes.len() as u64,
                blake3: crate::blake3_hex(&bytes),
            },
        };
        for (k, step) in edits.steps.iter().enumerate() {
            for file in step_files(step) {
                let p = edits.resolve(file);
                if !p.exists() {
                    return Err(edits_error(path, format!("step {}: {} does not exist", k + 1, p.display())));
                }
            }
        }
        Ok(edits)
    }

    /// A path named in the file, relative to the file's folder.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() { p.to_owned() } else { self.path.parent().unwrap_or(Path::new(".")).join(p) }
    }
}

fn step_files(step: &Step) -> Vec<&Path> {
    match step {
        Step::IncludeSchools { schools, .. } => vec![schools],
        Step::KeepWhole { areas, .. } => vec![areas],
        Step::Add { polygon, .. } | Step::Remove { polygon, .. } | Step::Create { polygon, .. } => {
            polygon.iter().map(PathBuf::as_path).collect()
        }
        Step::Split { polygon, .. } => vec![polygon],
        _ => Vec::new(),
    }
}

/// A feature of a geometry file, in the grid's CRS.
#[derive(Debug, Clone)]
pub struct Shape {
    /// Set when an invalid polygon (self-intersection…) was repaired: what changed.
    pub repaired: Option<String>,
    /// Its properties.
    pub properties: serde_json::Map<String, serde_json::Value>,
    /// Points (for schools).
    pub points: Vec<(f64, f64)>,
    /// Polygons.
    pub polygons: MultiPolygon<f64>,
}

/// Reads a GeoJSON file or a shapefile (`.shp` with `.dbf`, `.prj`, `.cpg`) and projects
/// it to `grid_epsg`. The CRS is the file's (`crs` member, `.prj`), else `crs` (from the
/// step), else, for GeoJSON only, WGS84 when the coordinates look like longitudes and
/// latitudes (RFC 7946); anything else is an error.
pub fn read_shapes(path: &Path, crs: Option<&str>, grid_epsg: u32) -> Result<Vec<Shape>, IoError> {
    let (features, declared) = read_features(path, None)?;
    let given = crs
        .map(|name| {
            parse_crs(name).ok_or_else(|| edits_error(path, format!("unknown CRS {name:?} given with crs =")))
        })
        .transpose()?;
    let epsg =
        resolve_crs(path, &features, declared, given, "crs = \"EPSG:2154\" (for example) to the step")?;
    let to_grid = Transformer::new(epsg, grid_epsg)?;
    let mut shapes = Vec::new();
    for (k, (geom, properties)) in features.into_iter().enumerate() {
        let (points, polygons) = split_geometry(geom);
        let points = points.into_iter().map(|(x, y)| to_grid.point(x, y)).collect::<Result<Vec<_>, _>>()?;
        let polygons = to_grid.multipolygon(&polygons)?;
        let (polygons, repaired) =
            repair(polygons).map_err(|why| edits_error(path, format!("feature {}: {why}", k + 1)))?;
        shapes.push(Shape { repaired: repaired.map(|r| r.to_string()), properties, points, polygons });
    }
    Ok(shapes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn every_op_parses() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "s.geojson", "{}");
        let p = write(
            dir.path(),
            "e.toml",
            r#"
[[step]]
op = "include_schools"
schools = "s.geojson"
where = { "Classement REP" = ["REP+"] }
[[step]]
op = "keep_whole"
areas = "s.geojson"
[[step]]
op = "remove"
candidate = "59701-01"
squares = ["CRS3035RES200mN2970000E3794000"]
[[step]]
op = "merge"
candidates = ["a", "b"]
[[step]]
op = "create"
id = "new"
name = "Gare"
polygon = "s.geojson"
[[step]]
op = "split"
candidate = "a"
polygon = "s.geojson"
new_id = "a2"
[[step]]
op = "rename"
candidate = "a"
name = "Centre"
[[step]]
op = "poches"
"#,
        );
        let e = Edits::read(&p).unwrap();
        assert_eq!(e.steps.len(), 8);
        assert!(matches!(e.steps[0], Step::IncludeSchools { distance_m, .. } if distance_m == 300.0));
        assert!(matches!(&e.steps[4], Step::Create { id, polygon: Some(_), .. } if id == "new"));
        assert!(matches!(e.steps[7], Step::Poches { floor } if floor == 500.0));
        // What `qpv serve` writes reads back to the same steps, defaults made explicit.
        let text = steps_toml("# a session\n", &e.steps).unwrap();
        assert!(text.starts_with("# a session\n[[step]]"), "{text}");
        assert_eq!(parse_steps(&text).unwrap(), e.steps);
        assert!(!text.contains("crs"), "unset options are not written: {text}");
    }

    #[test]
    fn unknown_op_missing_field_and_missing_file_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let bad = |text: &str| Edits::read(&write(dir.path(), "e.toml", text)).unwrap_err().to_string();
        let e = bad("[[step]]\nop = \"paint\"\n");
        assert!(e.contains("paint") && e.contains("e.toml"), "{e}");
        let e = bad("[[step]]\nop = \"merge\"\n");
        assert!(e.contains("missing field `candidates`"), "{e}");
        let e = bad("[[step]]\nop = \"keep_whole\"\nareas = \"nowhere.geojson\"\n");
        assert!(e.contains("step 1") && e.contains("nowhere.geojson") && e.contains("does not exist"), "{e}");
        let e = bad("[[step]]\nop = \"rename\"\ncandidate = \"a\"\ncolour = \"red\"\n");
        assert!(e.contains("colour"), "{e}");
    }

    #[test]
    fn crs_is_read_declared_or_refused() {
        let dir = tempfile::tempdir().unwrap();
        let square = |crs: &str, pts: &str| {
            format!(
                r#"{{"type":"FeatureCollection",{crs}"features":[{{"type":"Feature","properties":{{}},"geometry":{{"type":"Polygon","coordinates":[[{pts}]]}}}}]}}"#
            )
        };
        // Lambert-93 declared: a square in northern France.
        let l93 = "[723000,7027000],[723400,7027000],[723400,7027400],[723000,7027400],[723000,7027000]";
        let declared = write(
            dir.path(),
            "a.geojson",
            &square(r#""crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::2154"}},"#, l93),
        );
        let shapes = read_shapes(&declared, None, 3035).unwrap();
        let c = shapes[0].polygons.0[0].exterior().0[0];
        let expected = Transformer::new(2154, 3035).unwrap().point(723_000.0, 7_027_000.0).unwrap();
        assert!((c.x - expected.0).abs() < 1e-6 && (c.y - expected.1).abs() < 1e-6, "{c:?}");
        assert!(
            (3_200_000.0..4_300_000.0).contains(&c.x) && (2_900_000.0..3_200_000.0).contains(&c.y),
            "{c:?}"
        );
        // Same coordinates, no CRS: refused with the fix.
        let bare = write(dir.path(), "b.geojson", &square("", l93));
        let e = read_shapes(&bare, None, 3035).unwrap_err().to_string();
        assert!(e.contains("declares no CRS") && e.contains("crs = \"EPSG:2154\""), "{e}");
        // …unless the step says which.
        assert!(read_shapes(&bare, Some("EPSG:2154"), 3035).is_ok());
        // WGS84 without a crs member is RFC 7946.
        let wgs = write(
            dir.path(),
            "c.geojson",
            &square("", "[3.39,50.32],[3.40,50.32],[3.40,50.33],[3.39,50.32]"),
        );
        assert!(read_shapes(&wgs, None, 3035).is_ok());
    }

    #[test]
    fn a_self_intersecting_polygon_is_repaired_with_a_note() {
        let dir = tempfile::tempdir().unwrap();
        // A bow tie in Lambert-93: two triangles crossing at their tips.
        let text = r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:2154"}},"features":[{"type":"Feature","properties":{"name":"bow"},"geometry":{"type":"Polygon","coordinates":[[[723000,7027000],[723400,7027400],[723400,7027000],[723000,7027400],[723000,7027000]]]}}]}"#;
        let p = write(dir.path(), "bow.geojson", text);
        let shapes = read_shapes(&p, None, 3035).unwrap();
        let note = shapes[0].repaired.as_deref().expect("repaired");
        assert!(note.contains("repaired"), "{note}");
        use geo::Validation;
        assert!(shapes[0].polygons.is_valid());
        assert_eq!(shapes[0].polygons.0.len(), 2);
        // A valid polygon is left alone.
        let ok = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[3.39,50.32],[3.40,50.32],[3.40,50.33],[3.39,50.32]]]}}]}"#;
        let p = write(dir.path(), "ok.geojson", ok);
        assert!(read_shapes(&p, None, 3035).unwrap()[0].repaired.is_none());
    }

    #[test]
    fn a_lambert93_shapefile_reads_like_the_same_geojson() {
        let dir = tempfile::tempdir().unwrap();
        let ring = [
            (726004.47, 7023716.60),
            (726303.69, 7023745.14),
            (726294.26, 7023844.76),
            (725995.05, 7023816.22),
            (726004.47, 7023716.60),
        ];
        // GeoJSON rings are counter-clockwise; shapefile outer rings clockwise.
        let coords: Vec<String> = ring.iter().map(|(x, y)| format!("[{x},{y}]")).collect();
        let gj = format!(
            r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"EPSG:2154"}}}},"features":[{{"type":"Feature","properties":{{}},"geometry":{{"type":"Polygon","coordinates":[[{}]]}}}}]}}"#,
            coords.join(",")
        );
        let gj_path = write(dir.path(), "a.geojson", &gj);
        let shp = dir.path().join("a.shp");
        let table = dbase::TableWriterBuilder::new()
            .add_character_field(dbase::FieldName::try_from("nom").unwrap(), 20);
        let mut w = shapefile::Writer::from_path(&shp, table).unwrap();
        let pts: Vec<shapefile::Point> =
            ring.iter().rev().map(|&(x, y)| shapefile::Point::new(x, y)).collect();
        let mut rec = dbase::Record::default();
        rec.insert("nom".into(), dbase::FieldValue::Character(Some("parc".into())));
        w.write_shape_and_record(
            &shapefile::Polygon::with_rings(vec![shapefile::PolygonRing::Outer(pts)]),
            &rec,
        )
        .unwrap();
        drop(w);
        // No .prj and no crs: refused with the fix.
        let e = read_shapes(&shp, None, 3035).unwrap_err().to_string();
        assert!(e.contains("no .prj"), "{e}");
        std::fs::write(shp.with_extension("prj"), r#"PROJCS["RGF_1993_Lambert_93",GEOGCS["GCS_RGF_1993"]]"#)
            .unwrap();
        let from_shp = read_shapes(&shp, None, 3035).unwrap();
        let from_gj = read_shapes(&gj_path, None, 3035).unwrap();
        assert_eq!(from_shp[0].properties["nom"], "parc");
        assert_eq!(
            qpv_core::lattice::cells_with_centre_inside(&from_shp[0].polygons, 200.0),
            qpv_core::lattice::cells_with_centre_inside(&from_gj[0].polygons, 200.0)
        );
        assert_eq!(qpv_core::lattice::cells_with_centre_inside(&from_shp[0].polygons, 200.0).len(), 2);
    }
}

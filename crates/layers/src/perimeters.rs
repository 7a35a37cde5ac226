//! Perimeter files: our own outputs, or official QPV files as the State publishes
//! them (shapefile with `.prj`, usually Lambert-93; GeoJSON in WGS84; GeoPackage).
//!
//! The CRS is the file's (`.prj` WKT, GeoJSON `crs` member, GeoPackage SRS table),
//! else the one given (`--crs`), else, for GeoJSON only, WGS84 when the coordinates
//! look like longitudes and latitudes (RFC 7946). Published perimeters are messy:
//! invalid polygons (self-touching rings, crossing sides, overlapping parts) are
//! repaired with `geo`'s `MakeValid` and a union, and each repair is listed with the
//! area it changed; only what cannot be repaired is refused.

use crate::crs::Transformer;
use crate::error::IoError;
use crate::shapefile_in::Features;
use crate::{InputFile, blake3_hex};
use geo::{Area, BoundingRect, MakeValid, Validation};
use geo_types::{Geometry, MultiPolygon};
use qpv_core::compare::Perimeters;
use serde_json::{Map, Value};
use std::path::Path;

fn err(path: &Path, message: impl Into<String>) -> IoError {
    IoError::GeometryFile { path: path.to_owned(), message: message.into() }
}

/// A file format of geometries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeometryFormat {
    /// GeoJSON.
    GeoJson,
    /// ESRI shapefile (`.shp` with `.dbf`, `.prj`, `.cpg`).
    Shapefile,
    /// OGC GeoPackage.
    GeoPackage,
}

impl GeometryFormat {
    /// From the file's extension (GeoJSON unless `.shp` or `.gpkg`).
    pub fn of(path: &Path) -> GeometryFormat {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        match ext.as_str() {
            "shp" => GeometryFormat::Shapefile,
            "gpkg" => GeometryFormat::GeoPackage,
            _ => GeometryFormat::GeoJson,
        }
    }

    /// A name for messages.
    pub fn label(self) -> &'static str {
        match self {
            GeometryFormat::GeoJson => "GeoJSON",
            GeometryFormat::Shapefile => "shapefile",
            GeometryFormat::GeoPackage => "GeoPackage",
        }
    }
}

/// Features of a geometry file, in its own CRS, with the EPSG code it declares.
pub fn read_features(path: &Path, layer: Option<&str>) -> Result<(Features, Option<u32>), IoError> {
    match GeometryFormat::of(path) {
        GeometryFormat::Shapefile => crate::shapefile_in::read_shapefile(path),
        GeometryFormat::GeoPackage => crate::gpkg_in::read_geopackage(path, layer),
        GeometryFormat::GeoJson => geojson_features(path),
    }
}

/// Features of a GeoJSON file and the EPSG code of its `crs` member, if any.
fn geojson_features(path: &Path) -> Result<(Features, Option<u32>), IoError> {
    let text = std::fs::read_to_string(path).map_err(|e| IoError::file(path, e))?;
    let gj: geojson::GeoJson = text.parse().map_err(|e| err(path, format!("not GeoJSON: {e}")))?;
    let fc = geojson::FeatureCollection::try_from(gj)
        .map_err(|e| err(path, format!("not a FeatureCollection: {e}")))?;
    let declared = fc
        .foreign_members
        .as_ref()
        .and_then(|m| m.get("crs"))
        .and_then(|c| c.pointer("/properties/name"))
        .and_then(|n| n.as_str())
        .map(|name| parse_crs(name).ok_or_else(|| err(path, format!("unknown CRS {name:?}"))))
        .transpose()?;
    let mut out = Vec::new();
    for (k, f) in fc.features.into_iter().enumerate() {
        let Some(g) = f.geometry else { continue };
        let geom = g.try_into().map_err(|e| err(path, format!("feature {}: {e}", k + 1)))?;
        out.push((geom, f.properties.unwrap_or_default()));
    }
    Ok((out, declared))
}

/// EPSG code of a CRS name: `EPSG:2154`, `urn:ogc:def:crs:EPSG::2154`, `CRS84`, `2154`.
pub fn parse_crs(name: &str) -> Option<u32> {
    let n = name.trim();
    if n.ends_with("CRS84") {
        return Some(4326);
    }
    let code = n.rsplit(':').next()?.parse().ok()?;
    crate::crs::proj_string(code).map(|_| code)
}

/// Whether every coordinate could be a longitude and latitude.
pub fn looks_geographic(g: &Geometry<f64>) -> bool {
    g.bounding_rect()
        .is_none_or(|r| r.min().x >= -180.0 && r.max().x <= 180.0 && r.min().y >= -90.0 && r.max().y <= 90.0)
}

/// The CRS of a file's features: declared, else `given`, else WGS84 for GeoJSON whose
/// coordinates look geographic. `hint` tells how to give one (`--crs` or `crs =`).
pub fn resolve_crs(
    path: &Path,
    features: &Features,
    declared: Option<u32>,
    given: Option<u32>,
    hint: &str,
) -> Result<u32, IoError> {
    let format = GeometryFormat::of(path);
    match (declared, given) {
        (Some(code), _) => Ok(code),
        (None, Some(code)) => Ok(code),
        (None, None) if format == GeometryFormat::GeoJson => {
            // RFC 7946: GeoJSON without a crs member is WGS84.
            match features.iter().position(|(g, _)| !looks_geographic(g)) {
                None => Ok(4326),
                Some(k) => Err(err(
                    path,
                    format!(
                        "feature {}: coordinates are not longitudes/latitudes and the file declares no CRS; \
                         add a crs member to the file or give {hint}",
                        k + 1
                    ),
                )),
            }
        }
        (None, None) => {
            let what = match format {
                GeometryFormat::Shapefile => "the shapefile has no .prj",
                _ => "the GeoPackage layer has no defined CRS",
            };
            Err(err(path, format!("{what}; add it, or give {hint}")))
        }
    }
}

/// What a repair changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Repair {
    /// The validity problems found (at most two listed).
    pub problems: String,
    /// Area before, m² (overlapping parts counted twice).
    pub area_before_m2: f64,
    /// Area after, m².
    pub area_after_m2: f64,
}

impl std::fmt::Display for Repair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "invalid polygon ({}) repaired: area {:.0} m² → {:.0} m²",
            self.problems, self.area_before_m2, self.area_after_m2
        )
    }
}

/// Makes polygons valid: each invalid polygon through `MakeValid` (constrained
/// triangulation, even-odd rule), then overlapping parts merged by a union. Returns
/// the repair made, or why it cannot be made.
pub fn repair(mp: MultiPolygon<f64>) -> Result<(MultiPolygon<f64>, Option<Repair>), String> {
    if mp.0.is_empty() {
        return Ok((mp, None));
    }
    // `geo` calls a flat ring valid; a perimeter without area is a drawing error.
    if mp.0.iter().all(flat) {
        return Err(
            "polygon without area (its points are on one line) that cannot be repaired; redraw it".into()
        );
    }
    if mp.is_valid() {
        return Ok((mp, None));
    }
    let problems =
        mp.validation_errors().into_iter().map(|e| e.to_string()).take(2).collect::<Vec<_>>().join("; ");
    let area_before_m2: f64 = mp.0.iter().map(|p| p.unsigned_area()).sum();
    let cannot = || format!("invalid polygon ({problems}) that cannot be repaired; redraw it");
    let mut parts = Vec::with_capacity(mp.0.len());
    for p in mp.0 {
        if p.is_valid() {
            parts.push(p);
        } else {
            parts.extend(p.make_valid().map_err(|_| cannot())?.0);
        }
    }
    let mut fixed = MultiPolygon(parts);
    if !fixed.is_valid() {
        fixed = geo::unary_union(fixed.0.iter());
    }
    if fixed.0.is_empty() || !fixed.is_valid() {
        return Err(cannot());
    }
    let area_after_m2 = fixed.unsigned_area();
    Ok((fixed, Some(Repair { problems, area_before_m2, area_after_m2 })))
}

/// Whether a polygon's exterior encloses nothing: the sum of the absolute areas of its
/// fan triangles is below 0.01 m² (a bow tie, whose signed area is 0, is not flat).
fn flat(p: &geo_types::Polygon<f64>) -> bool {
    let pts = &p.exterior().0;
    let Some(&o) = pts.first() else { return true };
    let fan: f64 = pts
        .windows(2)
        .map(|w| {
            let (a, b) = (w[0] - o, w[1] - o);
            (a.x * b.y - a.y * b.x).abs() / 2.0
        })
        .sum();
    fan < 0.01
}

/// Splits a geometry into its points and its polygons (lines are ignored).
pub fn split_geometry(g: Geometry<f64>) -> (Vec<(f64, f64)>, MultiPolygon<f64>) {
    use Geometry::*;
    type Mp = geo_types::MultiPolygon<f64>;
    match g {
        Point(p) => (vec![(p.x(), p.y())], Mp::new(vec![])),
        MultiPoint(mp) => (mp.0.iter().map(|p| (p.x(), p.y())).collect(), Mp::new(vec![])),
        Polygon(p) => (vec![], Mp::new(vec![p])),
        MultiPolygon(mp) => (vec![], mp),
        GeometryCollection(gc) => {
            let (mut pts, mut polys) = (Vec::new(), Vec::new());
            for g in gc {
                let (p, q) = split_geometry(g);
                pts.extend(p);
                polys.extend(q.0);
            }
            (pts, Mp::new(polys))
        }
        _ => (vec![], Mp::new(vec![])),
    }
}

/// Where the CRS of a file comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrsOrigin {
    /// The file declares it (`.prj`, `crs` member, SRS table).
    Declared,
    /// Given by the user (`--crs`).
    Given,
    /// GeoJSON without a `crs` member: WGS84 (RFC 7946).
    Rfc7946,
}

impl CrsOrigin {
    /// For messages: empty when declared.
    pub fn note(self) -> &'static str {
        match self {
            CrsOrigin::Declared => "",
            CrsOrigin::Given => " (given with --crs)",
            CrsOrigin::Rfc7946 => " (GeoJSON default, RFC 7946)",
        }
    }
}

/// A perimeter file read and projected.
#[derive(Debug, Clone)]
pub struct PerimeterFile {
    /// Identity of the file for the report.
    pub input: InputFile,
    /// Its format.
    pub format: GeometryFormat,
    /// The CRS its coordinates were read in.
    pub epsg: u32,
    /// Where that CRS comes from.
    pub crs_origin: CrsOrigin,
    /// The perimeters, in the target CRS.
    pub perimeters: Perimeters,
    /// Attributes of each perimeter.
    pub properties: Vec<Map<String, Value>>,
    /// Repaired perimeters: index and what changed.
    pub repairs: Vec<(usize, Repair)>,
    /// Features left out because they hold no polygon (feature number, 1-based).
    pub without_polygon: Vec<usize>,
}

impl PerimeterFile {
    /// The same file holding only the perimeters whose `keep` is true, in their order,
    /// with their attributes and repairs (renumbered).
    pub fn subset(&self, keep: &[bool]) -> PerimeterFile {
        let mut renumbered = vec![None; keep.len()];
        let mut next = 0;
        for (k, yes) in keep.iter().enumerate() {
            if *yes {
                renumbered[k] = Some(next);
                next += 1;
            }
        }
        PerimeterFile {
            perimeters: self.perimeters.subset(keep),
            properties: self
                .properties
                .iter()
                .zip(keep)
                .filter(|(_, k)| **k)
                .map(|(p, _)| p.clone())
                .collect(),
            repairs: self
                .repairs
                .iter()
                .filter_map(|(k, r)| renumbered.get(*k).copied().flatten().map(|j| (j, r.clone())))
                .collect(),
            ..self.clone()
        }
    }
}

/// Attribute names read as a perimeter's identifier, in order of preference (lowercase).
const ID_FIELDS: [&str; 8] =
    ["code_qp", "code_qpv", "code_qv", "code_quartier", "cod_qp", "code", "id", "qp"];
/// Attribute names read as a perimeter's name.
const NAME_FIELDS: [&str; 8] =
    ["nom_qp", "lib_qp", "nom_qpv", "nom_quartier", "libelle", "nom", "name", "lib"];

fn field(properties: &Map<String, Value>, names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| {
        properties.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)).and_then(|(_, v)| match v {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Value::Number(x) => Some(x.to_string()),
            _ => None,
        })
    })
}

/// A geometry file as the manifest records it: a shapefile's `.shp` and `.dbf` hashed
/// together (the attributes are part of what was read), any other file as it is.
pub fn geometry_input(path: &Path, role: &str) -> Result<InputFile, IoError> {
    let bytes = if GeometryFormat::of(path) == GeometryFormat::Shapefile {
        std::fs::read(path.with_extension("dbf")).and_then(|d| Ok([std::fs::read(path)?, d].concat()))
    } else {
        std::fs::read(path)
    }
    .map_err(|e| IoError::file(path, e))?;
    Ok(InputFile {
        role: role.into(),
        path: path.display().to_string(),
        bytes: bytes.len() as u64,
        blake3: blake3_hex(&bytes),
    })
}

/// Reads a perimeter file into `to_epsg` (the grid's CRS). `crs` is used when the file
/// declares none; `layer` chooses a GeoPackage layer.
pub fn read_perimeters(
    path: &Path,
    crs: Option<u32>,
    layer: Option<&str>,
    to_epsg: u32,
) -> Result<PerimeterFile, IoError> {
    let input = geometry_input(path, "perimeters")?;
    let (features, declared) = read_features(path, layer)?;
    let epsg = resolve_crs(path, &features, declared, crs, "--crs EPSG:2154 (for example)")?;
    let transform = Transformer::new(epsg, to_epsg)?;
    let mut out = PerimeterFile {
        input,
        format: GeometryFormat::of(path),
        epsg,
        crs_origin: match (declared, crs) {
            (Some(_), _) => CrsOrigin::Declared,
            (None, Some(_)) => CrsOrigin::Given,
            (None, None) => CrsOrigin::Rfc7946,
        },
        perimeters: Perimeters::default(),
        properties: Vec::new(),
        repairs: Vec::new(),
        without_polygon: Vec::new(),
    };
    let count = features.len();
    let mut kinds: std::collections::BTreeMap<&'static str, usize> = Default::default();
    for (k, (geometry, properties)) in features.into_iter().enumerate() {
        let kind = geometry_type(&geometry);
        let (_, polygons) = split_geometry(geometry);
        if polygons.0.is_empty() {
            *kinds.entry(kind).or_default() += 1;
            out.without_polygon.push(k + 1);
            continue;
        }
        let projected = transform.multipolygon(&polygons)?;
        let id = field(&properties, &ID_FIELDS).unwrap_or_else(|| format!("#{}", k + 1));
        let (shape, repaired) =
            repair(projected).map_err(|why| err(path, format!("feature {} ({id}): {why}", k + 1)))?;
        if let Some(r) = repaired {
            out.repairs.push((out.perimeters.len(), r));
        }
        out.perimeters.names.push(field(&properties, &NAME_FIELDS).unwrap_or_default());
        out.perimeters.ids.push(id);
        out.perimeters.shapes.push(shape);
        out.properties.push(properties);
    }
    // Lines or points read as no perimeter at all would compare as an empty set and
    // give an empty table without a word; a file without any feature is a set of
    // none (qpv run writes one when it finds no candidate) and is read as such.
    if out.perimeters.is_empty() && count > 0 {
        return Err(err(path, no_polygon(count, &kinds)));
    }
    Ok(out)
}

/// `no polygon among its 12 features (LineString: 12); perimeters are polygons`.
fn no_polygon(count: usize, kinds: &std::collections::BTreeMap<&'static str, usize>) -> String {
    let mut kinds: Vec<(&str, usize)> = kinds.iter().map(|(k, n)| (*k, *n)).collect();
    kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let found: Vec<String> = kinds.iter().map(|(k, n)| format!("{k}: {n}")).collect();
    let features = if count == 1 { "its 1 feature".to_owned() } else { format!("its {count} features") };
    format!("no polygon among {features} ({}); perimeters are polygons", found.join(", "))
}

/// The geometry type's name, as GeoJSON and OGC spell it.
fn geometry_type(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::Line(_) => "Line",
        Geometry::LineString(_) => "LineString",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
        Geometry::Rect(_) => "Rect",
        Geometry::Triangle(_) => "Triangle",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{polygon, wkt};

    #[test]
    fn a_shapefile_s_attributes_are_part_of_its_hash() {
        let dir = tempfile::tempdir().unwrap();
        let shp = dir.path().join("a.shp");
        std::fs::write(&shp, b"geometry").unwrap();
        std::fs::write(dir.path().join("a.dbf"), b"name=Denain").unwrap();
        let before = geometry_input(&shp, "edits geometry").unwrap();
        std::fs::write(dir.path().join("a.dbf"), b"name=Lourches").unwrap();
        let after = geometry_input(&shp, "edits geometry").unwrap();
        assert_ne!(before.blake3, after.blake3);
        assert_eq!(after.bytes, (b"geometry".len() + b"name=Lourches".len()) as u64);
        let json = dir.path().join("a.geojson");
        std::fs::write(&json, b"{}").unwrap();
        assert_eq!(geometry_input(&json, "perimeters").unwrap().blake3, crate::blake3_hex(b"{}"));
        assert!(geometry_input(&dir.path().join("b.shp"), "perimeters").is_err());
    }

    #[test]
    fn a_bow_tie_is_split_and_reported() {
        let bow = MultiPolygon(vec![
            polygon![(x: 0., y: 0.), (x: 0., y: 10.), (x: 10., y: 0.), (x: 10., y: 10.), (x: 0., y: 0.)],
        ]);
        let (fixed, r) = repair(bow).unwrap();
        let r = r.expect("repaired");
        assert_eq!(fixed.0.len(), 2);
        assert!((r.area_after_m2 - 50.0).abs() < 1e-9, "{r}");
        assert!(r.to_string().contains("repaired"), "{r}");
    }

    #[test]
    fn a_self_touching_ring_is_repaired_without_losing_area() {
        // An exterior ring touching itself at (5, 5): two lobes sharing a vertex.
        let pinched = MultiPolygon(vec![polygon![
            (x: 0., y: 0.), (x: 10., y: 0.), (x: 5., y: 5.), (x: 10., y: 10.), (x: 0., y: 10.), (x: 5., y: 5.), (x: 0., y: 0.)
        ]]);
        let before = pinched.unsigned_area();
        let (fixed, r) = repair(pinched).unwrap();
        if let Some(r) = r {
            assert!((r.area_after_m2 - before).abs() < 1e-6, "{r}");
        }
        assert!(fixed.is_valid());
    }

    #[test]
    fn overlapping_parts_are_merged() {
        let mp = wkt! { MULTIPOLYGON(((0. 0.,10. 0.,10. 10.,0. 10.,0. 0.)),((5. 0.,15. 0.,15. 10.,5. 10.,5. 0.))) };
        let (fixed, r) = repair(mp).unwrap();
        assert!(fixed.is_valid());
        assert!((r.unwrap().area_after_m2 - 150.0).abs() < 1e-9);
    }

    #[test]
    fn a_degenerate_polygon_cannot_be_repaired() {
        let flat =
            MultiPolygon(vec![polygon![(x: 0., y: 0.), (x: 5., y: 0.), (x: 10., y: 0.), (x: 0., y: 0.)]]);
        let why = repair(flat).unwrap_err();
        assert!(why.contains("cannot be repaired") && why.contains("redraw"), "{why}");
    }

    #[test]
    fn a_valid_polygon_is_untouched() {
        let mp = wkt! { MULTIPOLYGON(((0. 0.,10. 0.,10. 10.,0. 10.,0. 0.))) };
        assert_eq!(repair(mp.clone()).unwrap(), (mp, None));
    }

    #[test]
    fn ids_and_names_from_usual_fields() {
        let props: Map<String, Value> =
            serde_json::from_str(r#"{"CODE_QP": "QP059054", "NOM_QP": "Faubourg Duchâteau", "x": 1}"#)
                .unwrap();
        assert_eq!(field(&props, &ID_FIELDS).as_deref(), Some("QP059054"));
        assert_eq!(field(&props, &NAME_FIELDS).as_deref(), Some("Faubourg Duchâteau"));
    }

    fn feature_collection(geometries: &[&str]) -> String {
        let features: Vec<String> = geometries
            .iter()
            .map(|g| format!(r#"{{"type":"Feature","properties":{{}},"geometry":{g}}}"#))
            .collect();
        format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, features.join(","))
    }

    #[test]
    fn a_file_of_lines_and_points_is_refused_naming_what_it_holds() {
        let dir = tempfile::tempdir().unwrap();
        let line = r#"{"type":"LineString","coordinates":[[3.39,50.33],[3.40,50.34]]}"#;
        let point = r#"{"type":"Point","coordinates":[3.39,50.33]}"#;
        let roads = dir.path().join("roads.geojson");
        std::fs::write(&roads, feature_collection(&[line, point, line])).unwrap();
        let e = read_perimeters(&roads, None, None, 3035).unwrap_err().to_string();
        assert!(
            e.ends_with("roads.geojson: no polygon among its 3 features (LineString: 2, Point: 1); perimeters are polygons"),
            "{e}"
        );
        // One polygon among lines: read, the lines listed as left out.
        let square =
            r#"{"type":"Polygon","coordinates":[[[3.39,50.33],[3.40,50.33],[3.40,50.34],[3.39,50.33]]]}"#;
        std::fs::write(&roads, feature_collection(&[line, square])).unwrap();
        let f = read_perimeters(&roads, None, None, 3035).unwrap();
        assert_eq!((f.perimeters.len(), f.without_polygon.as_slice()), (1, &[1][..]));
        // A file of no feature at all is an empty set, as qpv run writes when it finds none.
        std::fs::write(&roads, feature_collection(&[])).unwrap();
        assert!(read_perimeters(&roads, None, None, 3035).unwrap().perimeters.is_empty());
        assert_eq!(
            no_polygon(1, &[("MultiPoint", 1)].into_iter().collect()),
            "no polygon among its 1 feature (MultiPoint: 1); perimeters are polygons"
        );
    }

    #[test]
    fn a_subset_keeps_attributes_and_renumbers_repairs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("three.geojson");
        let square = |x: f64| {
            format!(
                r#"{{"type":"Polygon","coordinates":[[[{x},50.33],[{},50.33],[{},50.34],[{x},50.34],[{x},50.33]]]}}"#,
                x + 0.01,
                x + 0.01
            )
        };
        let bow = r#"{"type":"Polygon","coordinates":[[[3.5,50.33],[3.5,50.34],[3.51,50.33],[3.51,50.34],[3.5,50.33]]]}"#;
        std::fs::write(&path, feature_collection(&[&square(3.39), &square(3.42), bow])).unwrap();
        let f = read_perimeters(&path, None, None, 3035).unwrap();
        assert_eq!(f.repairs.iter().map(|(k, _)| *k).collect::<Vec<_>>(), vec![2]);
        let s = f.subset(&[false, true, true]);
        assert_eq!(s.perimeters.ids, vec!["#2", "#3"]);
        assert_eq!((s.properties.len(), s.repairs.len(), s.repairs[0].0), (2, 1, 1));
        assert!(f.subset(&[true, false, false]).repairs.is_empty());
    }

    #[test]
    fn crs_declared_given_default_or_refused() {
        let dir = tempfile::tempdir().unwrap();
        let l93 = dir.path().join("l93.geojson");
        std::fs::write(&l93, r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"A"},
            "geometry":{"type":"Polygon","coordinates":[[[720000,7030000],[720400,7030000],[720400,7030400],[720000,7030000]]]}}]}"#).unwrap();
        let e = read_perimeters(&l93, None, None, 3035).unwrap_err().to_string();
        assert!(e.contains("l93.geojson") && e.contains("--crs"), "{e}");
        let f = read_perimeters(&l93, Some(2154), None, 3035).unwrap();
        assert_eq!((f.epsg, f.crs_origin), (2154, CrsOrigin::Given));
        // Lambert-93 is conformal, not equal-area: areas differ by a few per mille in LAEA.
        assert!((f.perimeters.shapes[0].unsigned_area() / 80_000.0 - 1.0).abs() < 0.005);
        let gpkg = dir.path().join("q.gpkg");
        crate::gpkg_in::tests::tiny_geopackage(&gpkg, (2154, "EPSG", 2154));
        let f = read_perimeters(&gpkg, None, None, 3035).unwrap();
        assert_eq!(
            (f.perimeters.ids[0].as_str(), f.perimeters.names[0].as_str()),
            ("QN05901M", "Faubourg Duchâteau")
        );
        assert!((f.perimeters.shapes[0].unsigned_area() / 40_000.0 - 1.0).abs() < 0.005);
    }
}

//! Shapefile output of perimeters: `.shp`, `.shx`, `.dbf`, plus the `.prj` and `.cpg`
//! the `shapefile` crate does not write (without them GDAL reports no CRS and reads
//! UTF-8 names as Latin-1: ECOSYSTEM.md §2).
//!
//! Shapefiles are written in **Lambert-93 (EPSG:2154)**, the CRS of the State's official
//! QPV files. Exterior rings are clockwise and holes counter-clockwise (ESRI), the
//! opposite of GeoJSON. DBF field names have at most 10 characters:
//!
//! | GeoJSON / CSV | shapefile |
//! |---|---|
//! | id, uu_code, uu_name, communes, epci, squares, area_m2, margin, threshold | same |
//! | commune_names, epci_names | comm_names, epci_names |
//! | inhabitants, households, poor_share, median_est | inhabitant, households, poor_share, median_est |
//! | threshold_legal, filled_squares, imputed_share | thr_legal, filled_sq, imputed_sh |
//! | name, meets_rule, problems, reason (adjusted perimeters, poches) | name, meets_rule, problems, reason |
//! | verdict, inhabitants_low, inhabitants_high (adjusted perimeters) | verdict, inhab_low, inhab_high |
//!
//! Text longer than 254 bytes (the DBF limit) is cut, with `…` at the end.

use crate::crs::Transformer;
use crate::error::IoError;
use crate::records::CandidateRecord;
use dbase::{FieldName, FieldValue, Record, TableWriterBuilder};
use shapefile::{Point, Polygon, PolygonRing};
use std::io::Cursor;

/// ESRI WKT of Lambert-93, as ArcGIS and QGIS write it.
pub const LAMBERT93_ESRI_WKT: &str = r#"PROJCS["RGF_1993_Lambert_93",GEOGCS["GCS_RGF_1993",DATUM["D_RGF_1993",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Lambert_Conformal_Conic"],PARAMETER["False_Easting",700000.0],PARAMETER["False_Northing",6600000.0],PARAMETER["Central_Meridian",3.0],PARAMETER["Standard_Parallel_1",49.0],PARAMETER["Standard_Parallel_2",44.0],PARAMETER["Latitude_Of_Origin",46.5],UNIT["Meter",1.0]]"#;

const TEXT: [(&str, u8); 9] = [
    ("id", 40),
    ("uu_code", 10),
    ("uu_name", 120),
    ("communes", 254),
    ("comm_names", 254),
    ("epci", 254),
    ("epci_names", 254),
    ("name", 120),
    ("problems", 254),
];
const NUMBERS: [(&str, u8, u8); 12] = [
    ("inhabitant", 12, 1),
    ("households", 12, 1),
    ("poor_share", 8, 4),
    ("median_est", 10, 0),
    ("threshold", 10, 0),
    ("thr_legal", 10, 0),
    ("margin", 10, 0),
    ("squares", 10, 0),
    ("filled_sq", 10, 0),
    ("area_m2", 14, 0),
    ("imputed_sh", 8, 4),
    ("meets_rule", 1, 0),
];

fn enc(e: String) -> IoError {
    IoError::Encode { what: "shapefile", message: e }
}

fn table(text: &[(&str, u8)], numbers: &[(&str, u8, u8)]) -> Result<TableWriterBuilder, IoError> {
    let mut table = TableWriterBuilder::new();
    for (name, len) in text {
        table =
            table.add_character_field(FieldName::try_from(*name).map_err(|e| enc(format!("{e:?}")))?, *len);
    }
    for (name, len, dec) in numbers {
        table = table.add_numeric_field(
            FieldName::try_from(*name).map_err(|e| enc(format!("{e:?}")))?,
            *len,
            *dec,
        );
    }
    Ok(table)
}

/// The files of a shapefile named `stem` (`stem.shp`, `.shx`, `.dbf`, `.prj`, `.cpg`),
/// perimeters projected from the grid's CRS with `to_out` (Lambert-93 by default).
pub fn perimeters_shapefile(
    stem: &str,
    records: &[CandidateRecord],
    to_out: &Transformer,
) -> Result<Vec<(String, Vec<u8>)>, IoError> {
    // Judged perimeters (adjusted ones) carry their verdict and inhabitants' range.
    let judged = records.iter().any(|c| c.extra.iter().any(|(k, _)| k == "verdict"));
    let (mut text, mut numbers) = (TEXT.to_vec(), NUMBERS.to_vec());
    if judged {
        text.push(("verdict", 9));
        numbers.extend([("inhab_low", 12, 1), ("inhab_high", 12, 1)]);
    }
    let items = records.iter().map(|c| Ok((to_out.multipolygon(&c.geometry)?, record(c, judged))));
    write_shapefile(stem, table(&text, &numbers)?, items, to_out.target())
}

/// A shapefile of any features: `fields` maps each property to a DBF field (10
/// characters at most) as text (`len`, 0 decimals) or number (`len`, `decimals`);
/// geometries are projected with `to_out`.
pub fn features_shapefile(
    stem: &str,
    geometries: &[geo_types::MultiPolygon<f64>],
    properties: &[serde_json::Map<String, serde_json::Value>],
    fields: &[(&str, &str, bool, u8, u8)],
    to_out: &Transformer,
) -> Result<Vec<(String, Vec<u8>)>, IoError> {
    let text: Vec<(&str, u8)> = fields.iter().filter(|f| !f.2).map(|f| (f.1, f.3)).collect();
    let numbers: Vec<(&str, u8, u8)> = fields.iter().filter(|f| f.2).map(|f| (f.1, f.3, f.4)).collect();
    let items = geometries.iter().zip(properties).map(|(g, p)| {
        let mut rec = Record::default();
        for (key, name, numeric, _, _) in fields {
            let v = p.get(*key);
            let value = if *numeric {
                FieldValue::Numeric(v.and_then(|v| v.as_f64()))
            } else {
                let s = match v {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    None | Some(serde_json::Value::Null) => String::new(),
                    Some(other) => other.to_string(),
                };
                FieldValue::Character(Some(cut(s)))
            };
            rec.insert((*name).to_owned(), value);
        }
        Ok((to_out.multipolygon(g)?, rec))
    });
    write_shapefile(stem, table(&text, &numbers)?, items, to_out.target())
}

fn write_shapefile(
    stem: &str,
    table: TableWriterBuilder,
    items: impl Iterator<Item = Result<(geo_types::MultiPolygon<f64>, Record), IoError>>,
    epsg: u32,
) -> Result<Vec<(String, Vec<u8>)>, IoError> {
    let prj = crate::crs::esri_wkt(epsg).ok_or(IoError::UnknownCrs(epsg))?;
    let (mut shp, mut shx, mut dbf) =
        (Cursor::new(Vec::new()), Cursor::new(Vec::new()), Cursor::new(Vec::new()));
    {
        let shapes = shapefile::ShapeWriter::with_shx(&mut shp, &mut shx);
        let mut w = shapefile::Writer::new(shapes, table.build_with_dest(&mut dbf));
        for item in items {
            let (geometry, rec) = item?;
            let mut rings = Vec::new();
            for p in &geometry.0 {
                let ring = |ls: &geo_types::LineString<f64>| {
                    ls.0.iter().map(|c| Point::new(c.x, c.y)).collect::<Vec<_>>()
                };
                rings.push(PolygonRing::Outer(ring(p.exterior())));
                rings.extend(p.interiors().iter().map(|h| PolygonRing::Inner(ring(h))));
            }
            w.write_shape_and_record(&Polygon::with_rings(rings), &rec).map_err(|e| enc(e.to_string()))?;
        }
    }
    Ok(vec![
        (format!("{stem}.shp"), shp.into_inner()),
        (format!("{stem}.shx"), shx.into_inner()),
        (format!("{stem}.dbf"), dbf.into_inner()),
        (format!("{stem}.prj"), prj.as_bytes().to_vec()),
        (format!("{stem}.cpg"), b"UTF-8".to_vec()),
    ])
}

fn cut(s: String) -> String {
    if s.len() <= 254 {
        return s;
    }
    let mut end = 251;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

fn record(c: &CandidateRecord, judged: bool) -> Record {
    let r = &c.record;
    let extra = |k: &str| c.extra.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let text = |v: Option<serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) => s,
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let problems = extra("problems")
        .or_else(|| extra("reason"))
        .map(|v| text(Some(v)))
        .unwrap_or_else(|| r.shortfalls.clone());
    let mut rec = Record::default();
    for (name, value) in [
        ("id", r.id.clone()),
        ("uu_code", r.uu_code.clone()),
        ("uu_name", r.uu_name.clone()),
        ("communes", r.commune_codes()),
        ("comm_names", r.commune_names()),
        ("epci", r.epci_codes()),
        ("epci_names", r.epci_names()),
        ("name", text(extra("name"))),
        ("problems", problems),
    ] {
        rec.insert(name.to_owned(), FieldValue::Character(Some(cut(value))));
    }
    let finite = |x: f64| x.is_finite().then_some(x);
    let meets = extra("meets_rule").and_then(|v| v.as_bool()).map(|b| if b { 1.0 } else { 0.0 });
    for (name, value) in [
        ("inhabitant", finite(r.inhabitants)),
        ("households", finite(r.households)),
        ("poor_share", finite(r.poor_share)),
        ("median_est", r.median.and_then(finite).map(f64::round)),
        ("threshold", finite(r.threshold).map(f64::round)),
        ("thr_legal", finite(r.legal_threshold)),
        ("margin", r.margin().and_then(finite).map(f64::round)),
        ("squares", Some(r.squares as f64)),
        ("filled_sq", Some(r.filled_squares as f64)),
        ("area_m2", Some(r.area_m2)),
        ("imputed_sh", finite(r.imputed_share)),
        ("meets_rule", meets),
    ] {
        rec.insert(name.to_owned(), FieldValue::Numeric(value));
    }
    if judged {
        rec.insert("verdict".to_owned(), FieldValue::Character(Some(text(extra("verdict")))));
        for (name, key) in [("inhab_low", "inhabitants_low"), ("inhab_high", "inhabitants_high")] {
            rec.insert(name.to_owned(), FieldValue::Numeric(extra(key).and_then(|v| v.as_f64())));
        }
    }
    rec
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::AreaRecord;
    use geo_types::{Coord, LineString, MultiPolygon};

    fn record_with_hole() -> CandidateRecord {
        // A 600 m square with a 200 m hole, in EPSG:3035 near Denain.
        let (x0, y0) = (3_848_600.0, 3_043_400.0);
        let sq = |a: f64, b: f64, s: f64| {
            LineString(vec![
                Coord { x: a, y: b },
                Coord { x: a + s, y: b },
                Coord { x: a + s, y: b + s },
                Coord { x: a, y: b + s },
                Coord { x: a, y: b },
            ])
        };
        let mut hole = sq(x0 + 200.0, y0 + 200.0, 200.0);
        hole.0.reverse();
        let geometry = MultiPolygon(vec![geo_types::Polygon::new(sq(x0, y0, 600.0), vec![hole])]);
        let record = AreaRecord {
            id: "59701-01".into(),
            uu_code: "59701".into(),
            uu_name: "Valenciennes (partie française)".into(),
            communes: vec![crate::records::CommuneShare {
                code: "59172".into(),
                name: "Denain".into(),
                epci: "200042190".into(),
                epci_name: "CA de la Porte du Hainaut".into(),
                inhabitants: 1200.0,
            }],
            inhabitants: 1200.0,
            households: 480.0,
            poor_share: 0.41,
            median: Some(14_056.0),
            threshold: 15_972.0,
            legal_threshold: 12_100.0,
            squares: 8,
            filled_squares: 0,
            area_m2: 320_000.0,
            imputed_share: 0.1,
            shortfalls: String::new(),
            centre: (x0 + 300.0, y0 + 300.0),
        };
        CandidateRecord {
            record,
            extra: vec![("name".into(), serde_json::json!("Quartier Saint-Éloi"))],
            geometry,
        }
    }

    #[test]
    fn shapefile_in_lambert93_with_prj_cpg_accents_and_esri_winding() {
        let files =
            perimeters_shapefile("candidates", &[record_with_hole()], &Transformer::new(3035, 2154).unwrap())
                .unwrap();
        let names: Vec<&str> = files.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(
            names,
            ["candidates.shp", "candidates.shx", "candidates.dbf", "candidates.prj", "candidates.cpg"]
        );
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in &files {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        // Read back with qpv's own reader (CRS from the .prj, encoding from the .cpg).
        let (features, epsg) =
            crate::shapefile_in::read_shapefile(&dir.path().join("candidates.shp")).unwrap();
        assert_eq!(epsg, Some(2154));
        assert_eq!(features[0].1["name"], "Quartier Saint-Éloi");
        assert_eq!(features[0].1["uu_name"], "Valenciennes (partie française)");
        assert_eq!(features[0].1["inhabitant"], 1200.0);
        // ESRI winding on disk: outer clockwise, hole counter-clockwise.
        let shape =
            shapefile::read_shapes_as::<_, shapefile::Polygon>(dir.path().join("candidates.shp")).unwrap();
        let rings = shape[0].rings();
        let area = |pts: &[Point]| pts.windows(2).map(|w| w[0].x * w[1].y - w[1].x * w[0].y).sum::<f64>();
        assert!(matches!(rings[0], PolygonRing::Outer(_)) && area(rings[0].points()) < 0.0);
        assert!(matches!(rings[1], PolygonRing::Inner(_)) && area(rings[1].points()) > 0.0);
        // Lambert-93 is conformal, not equal-area: at 50° N its scale factor is about
        // 1.0013, so areas grow by about 0.26 % (LAEA areas are exact).
        use geo::Area;
        if let geo_types::Geometry::MultiPolygon(mp) = &features[0].0 {
            assert!((mp.unsigned_area() / 320_000.0 - 1.0).abs() < 5e-3, "{}", mp.unsigned_area());
        } else if let geo_types::Geometry::Polygon(p) = &features[0].0 {
            assert!((p.unsigned_area() / 320_000.0 - 1.0).abs() < 5e-3, "{}", p.unsigned_area());
        }
    }

    #[test]
    fn long_text_is_cut_on_a_character_boundary() {
        let s = "é".repeat(200);
        let c = cut(s);
        assert!(c.len() <= 254 && c.ends_with('…'));
    }
}

//! Reading polygons and points from an ESRI shapefile (`.shp` + `.dbf`, with `.prj`
//! and `.cpg`), as official perimeter files and préfecture layers come.
//!
//! The CRS is read from the `.prj` (an `AUTHORITY`/`ID` EPSG code, else the usual
//! names of Lambert-93, ETRS89-LAEA and WGS 84). The `.dbf` text is decoded in the
//! encoding the `.cpg` names, and in Windows-1252 (a superset of Latin-1, what French
//! GIS files use) when there is no `.cpg` — the `shapefile` crate writes no `.cpg`
//! and old files have none.

use crate::error::IoError;
use geo_types::Geometry;
use serde_json::{Map, Value};
use std::io::BufReader;
use std::path::Path;

fn err(path: &Path, message: impl Into<String>) -> IoError {
    IoError::Edits { path: path.to_owned(), message: message.into() }
}

/// The EPSG code a `.prj` (ESRI or OGC WKT) describes, when recognised.
pub fn epsg_of_wkt(wkt: &str) -> Option<u32> {
    let compact: String = wkt.chars().filter(|c| !c.is_whitespace()).collect();
    let upper = compact.to_ascii_uppercase();
    // The outermost authority is the last one in OGC WKT 1, the first ID in WKT 2.
    if let Some(code) = authority_code(&upper) {
        return crate::crs::proj_string(code).map(|_| code);
    }
    let projected = upper.starts_with("PROJCS[") || upper.starts_with("PROJCRS[");
    if upper.contains("LAMBERT_93") || upper.contains("LAMBERT-93") || upper.contains("LAMBERT93") {
        Some(2154)
    } else if upper.contains("LAEA") || (projected && upper.contains("LAMBERT_AZIMUTHAL_EQUAL_AREA")) {
        Some(3035)
    } else if !projected
        && (upper.contains("WGS_1984")
            || upper.contains("WGS84")
            || upper.contains("RGF93")
            || upper.contains("ETRS89"))
    {
        // Geographic lon/lat on a datum that coincides with WGS 84 to well under a metre.
        Some(4326)
    } else {
        None
    }
}

fn authority_code(upper: &str) -> Option<u32> {
    let last_authority = upper.rfind("AUTHORITY[\"EPSG\",\"").map(|i| &upper[i + 18..]);
    let first_id = upper.find("ID[\"EPSG\",").map(|i| &upper[i + 10..]);
    let digits = |s: &str| s.chars().take_while(char::is_ascii_digit).collect::<String>().parse().ok();
    last_authority.and_then(digits).or_else(|| first_id.and_then(digits))
}

/// The encoding of the `.dbf`: the `.cpg`'s label, else Windows-1252.
fn encoding(shp: &Path) -> Result<&'static encoding_rs::Encoding, IoError> {
    let cpg = shp.with_extension("cpg");
    let Ok(label) = std::fs::read_to_string(&cpg) else { return Ok(encoding_rs::WINDOWS_1252) };
    let label = label.trim().trim_start_matches('\u{feff}');
    let named = match label {
        l if l.chars().all(|c| c.is_ascii_digit()) => {
            encoding_rs::Encoding::for_label(format!("windows-{l}").as_bytes())
        }
        l => encoding_rs::Encoding::for_label(l.as_bytes()),
    };
    let utf8 = label.eq_ignore_ascii_case("65001").then_some(encoding_rs::UTF_8);
    utf8.or(named).ok_or_else(|| {
        err(&cpg, format!("unknown encoding {label:?}; use UTF-8 or a code page such as 1252"))
    })
}

/// Features of a file: geometry (in the file's CRS) and attributes.
pub type Features = Vec<(Geometry<f64>, Map<String, Value>)>;

/// Reads every feature, with the EPSG code of the `.prj` (`None` without a `.prj`).
pub fn read_shapefile(path: &Path) -> Result<(Features, Option<u32>), IoError> {
    let prj = path.with_extension("prj");
    let epsg = match std::fs::read_to_string(&prj) {
        Ok(wkt) => Some(epsg_of_wkt(&wkt).ok_or_else(|| {
            err(&prj, "CRS not recognised (known: EPSG:2154, 3035, 4326 and codes in AUTHORITY); give crs = \"EPSG:NNNN\"")
        })?),
        Err(_) => None,
    };
    let shapes = shapefile::ShapeReader::from_path(path).map_err(|e| err(path, e.to_string()))?;
    let dbf = std::fs::File::open(path.with_extension("dbf"))
        .map_err(|e| IoError::file(path.with_extension("dbf"), e))?;
    let table = dbase::ReaderBuilder::new()
        .with_encoding(dbase::encoding::EncodingRs::from(encoding(path)?))
        .build(BufReader::new(dbf))
        .map_err(|e| err(path, format!(".dbf: {e}")))?;
    let mut reader = shapefile::Reader::new(shapes, table);
    let mut out = Vec::new();
    for (k, item) in reader.iter_shapes_and_records().enumerate() {
        let (shape, record) = item.map_err(|e| err(path, format!("feature {}: {e}", k + 1)))?;
        let geometry: Geometry<f64> =
            Geometry::try_from(shape).map_err(|e| err(path, format!("feature {}: {e:?}", k + 1)))?;
        let mut properties = Map::new();
        for (name, value) in record {
            properties.insert(name, field_json(value));
        }
        out.push((geometry, properties));
    }
    Ok((out, epsg))
}

fn field_json(v: dbase::FieldValue) -> Value {
    use dbase::FieldValue::*;
    match v {
        Character(s) => s.map_or(Value::Null, |s| Value::String(s.trim_end().to_owned())),
        Memo(s) => Value::String(s),
        Numeric(x) => x.map_or(Value::Null, Value::from),
        Float(x) => x.map_or(Value::Null, |x| Value::from(f64::from(x))),
        Integer(i) => Value::from(i),
        Double(x) | Currency(x) => Value::from(x),
        Logical(b) => b.map_or(Value::Null, Value::from),
        other => Value::String(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dbase::{FieldName, TableWriterBuilder};
    use shapefile::{Point, Polygon, PolygonRing};

    const ESRI_L93: &str = r#"PROJCS["RGF_1993_Lambert_93",GEOGCS["GCS_RGF_1993",DATUM["D_RGF_1993",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Lambert_Conformal_Conic"],PARAMETER["False_Easting",700000.0],PARAMETER["False_Northing",6600000.0],PARAMETER["Central_Meridian",3.0],PARAMETER["Standard_Parallel_1",49.0],PARAMETER["Standard_Parallel_2",44.0],PARAMETER["Latitude_Of_Origin",46.5],UNIT["Meter",1.0]]"#;

    #[test]
    fn crs_from_prj() {
        assert_eq!(epsg_of_wkt(ESRI_L93), Some(2154));
        assert_eq!(
            epsg_of_wkt(r#"PROJCS["x",GEOGCS["y",AUTHORITY["EPSG","4171"]],AUTHORITY["EPSG","2154"]]"#),
            Some(2154)
        );
        assert_eq!(
            epsg_of_wkt(
                r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]]]"#
            ),
            Some(4326)
        );
        assert_eq!(epsg_of_wkt(r#"PROJCS["ETRS89_LAEA_Europe",GEOGCS["GCS_ETRS_1989"]]"#), Some(3035));
        assert_eq!(epsg_of_wkt(r#"PROJCS["NAD83 / UTM zone 10N"]"#), None);
    }

    /// Writes a one-polygon shapefile in Lambert-93 whose `nom` is "Quartier Saint-Éloi",
    /// in `encoding`, with or without a `.cpg`.
    fn write(dir: &Path, encoding: &'static encoding_rs::Encoding, cpg: Option<&str>) -> std::path::PathBuf {
        let path = dir.join("qpv.shp");
        let table = TableWriterBuilder::with_encoding(dbase::encoding::EncodingRs::from(encoding))
            .add_character_field(FieldName::try_from("nom").unwrap(), 50);
        let mut w = shapefile::Writer::from_path(&path, table).unwrap();
        let ring = vec![
            Point::new(723_000.0, 7_027_000.0),
            Point::new(723_000.0, 7_027_400.0),
            Point::new(723_400.0, 7_027_400.0),
            Point::new(723_400.0, 7_027_000.0),
            Point::new(723_000.0, 7_027_000.0),
        ];
        let mut record = dbase::Record::default();
        record.insert("nom".to_owned(), dbase::FieldValue::Character(Some("Quartier Saint-Éloi".to_owned())));
        w.write_shape_and_record(&Polygon::with_rings(vec![PolygonRing::Outer(ring)]), &record).unwrap();
        drop(w);
        std::fs::write(path.with_extension("prj"), ESRI_L93).unwrap();
        if let Some(label) = cpg {
            std::fs::write(path.with_extension("cpg"), label).unwrap();
        }
        path
    }

    #[test]
    fn utf8_with_cpg_and_latin1_without_keep_accents() {
        for (enc, cpg) in [
            (encoding_rs::UTF_8, Some("UTF-8")),
            (encoding_rs::WINDOWS_1252, None),
            (encoding_rs::WINDOWS_1252, Some("1252")),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = write(dir.path(), enc, cpg);
            let (features, epsg) = read_shapefile(&path).unwrap();
            assert_eq!(epsg, Some(2154));
            assert_eq!(features.len(), 1);
            assert_eq!(features[0].1["nom"], "Quartier Saint-Éloi", "{cpg:?}");
            assert!(matches!(features[0].0, Geometry::MultiPolygon(_) | Geometry::Polygon(_)));
        }
    }
}

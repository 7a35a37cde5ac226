//! GeoPackage output (OGC 12-128r18, version 1.3): one file holding every perimeter
//! layer (features) and the audit table (attributes), with QGIS styles in the
//! `layer_styles` table so that QGIS draws each layer as its `.qml` does. QGIS reads that
//! table through GDAL, which sees only tables registered in `gpkg_contents`: it is
//! registered as an attributes table, as QGIS itself does.
//!
//! Written with `rusqlite` (SQLite compiled in) into memory, then serialised: the bytes
//! go through [`crate::OutputSet`] like every other output, so a failed run leaves no
//! half-written `.gpkg`. Geometries are GeoPackage binary blobs: the `GP` header with
//! the SRS id and an XY envelope, then little-endian ISO WKB `MultiPolygon`s.

use crate::error::IoError;
use geo::BoundingRect;
use geo_types::MultiPolygon;
use rusqlite::{Connection, params_from_iter, types::Value as Sql};
use serde_json::{Map, Value};

/// A layer of features to write.
pub struct FeatureLayer<'a> {
    /// Table name.
    pub name: &'a str,
    /// A description for `gpkg_contents`.
    pub description: &'a str,
    /// Geometries, already in the output CRS.
    pub geometries: Vec<MultiPolygon<f64>>,
    /// Attributes of each feature (same keys in every feature).
    pub properties: Vec<Map<String, Value>>,
    /// A QGIS style (QML) stored as the layer's default style.
    pub style: Option<&'a str>,
}

/// A table without geometry (the audit of adjustments), from CSV bytes.
pub struct AttributeTable<'a> {
    /// Table name.
    pub name: &'a str,
    /// A description for `gpkg_contents`.
    pub description: &'a str,
    /// The table as CSV with a header; columns whose every value is a number are REAL.
    pub csv: &'a [u8],
}

fn encode(e: impl std::fmt::Display) -> IoError {
    IoError::Encode { what: "GeoPackage", message: e.to_string() }
}

// `last_change` and `update_time` hold a fixed time, not the time of writing: the same
// inputs and settings must give byte-identical files (README, Reliability), and a
// clock in the file broke that (found by benches/identity.sh).
const SCHEMA: &str = "
PRAGMA application_id = 1196444487;
PRAGMA user_version = 10300;
CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT ('1970-01-01T00:00:00.000Z'),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system');
INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system');
CREATE TABLE layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
  f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT,
  useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), update_time DATETIME DEFAULT ('1970-01-01T00:00:00.000Z'));
INSERT INTO gpkg_contents (table_name, data_type, identifier, description)
  VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS layer styles');
";

/// The bytes of a GeoPackage holding `layers` (in EPSG `epsg`) and `tables`.
pub fn geopackage(
    epsg: u32,
    layers: &[FeatureLayer<'_>],
    tables: &[AttributeTable<'_>],
) -> Result<Vec<u8>, IoError> {
    let wkt = crate::crs::ogc_wkt(epsg).ok_or(IoError::UnknownCrs(epsg))?;
    let db = Connection::open_in_memory().map_err(encode)?;
    db.execute_batch(SCHEMA).map_err(encode)?;
    db.execute(
        "INSERT INTO gpkg_spatial_ref_sys VALUES (?1, ?2, 'EPSG', ?2, ?3, '')",
        rusqlite::params![crate::crs::crs_name(epsg), epsg, wkt],
    )
    .map_err(encode)?;
    if epsg != 4326 {
        let wgs84 = crate::crs::ogc_wkt(4326).unwrap_or_default();
        db.execute("INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84', 4326, 'EPSG', 4326, ?1, '')", [wgs84])
            .map_err(encode)?;
    }
    for layer in layers {
        write_layer(&db, epsg, layer)?;
    }
    for table in tables {
        write_table(&db, table)?;
    }
    let data = db.serialize(rusqlite::MAIN_DB).map_err(encode)?;
    Ok(data.to_vec())
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// SQL type of a column from its values: REAL when every value is a number, INTEGER
/// (0/1) for booleans, else TEXT.
fn column_type<'v>(mut values: impl Iterator<Item = &'v Value>) -> &'static str {
    let (mut numbers, mut booleans, mut other) = (0, 0, 0);
    for v in values.by_ref() {
        match v {
            Value::Number(_) => numbers += 1,
            Value::Bool(_) => booleans += 1,
            Value::Null => {}
            _ => other += 1,
        }
    }
    match (numbers, booleans, other) {
        (_, _, 1..) => "TEXT",
        (0, 1.., 0) => "BOOLEAN",
        (1.., 0, 0) => "REAL",
        (0, 0, 0) => "TEXT",
        _ => "TEXT",
    }
}

fn sql_value(v: Option<&Value>, ty: &str) -> Sql {
    match v {
        None | Some(Value::Null) => Sql::Null,
        Some(Value::Bool(b)) => Sql::Integer(i64::from(*b)),
        Some(Value::Number(n)) if ty == "REAL" => n.as_f64().map_or(Sql::Null, Sql::Real),
        Some(Value::String(s)) => Sql::Text(s.clone()),
        Some(other) => Sql::Text(other.to_string()),
    }
}

fn write_layer(db: &Connection, epsg: u32, layer: &FeatureLayer<'_>) -> Result<(), IoError> {
    let mut columns: Vec<String> = Vec::new();
    for p in &layer.properties {
        for k in p.keys() {
            if !columns.contains(k) && !k.eq_ignore_ascii_case("fid") && !k.eq_ignore_ascii_case("geom") {
                columns.push(k.clone());
            }
        }
    }
    let types: Vec<&str> =
        columns.iter().map(|c| column_type(layer.properties.iter().filter_map(|p| p.get(c)))).collect();
    let defs: String = columns.iter().zip(&types).map(|(c, t)| format!(", {} {t}", quote(c))).collect();
    let table = quote(layer.name);
    db.execute_batch(&format!(
        "CREATE TABLE {table} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom MULTIPOLYGON{defs});"
    ))
    .map_err(encode)?;
    let bounds = extent(&layer.geometries);
    db.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id)
         VALUES (?1, 'features', ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        rusqlite::params![layer.name, layer.description, bounds[0], bounds[1], bounds[2], bounds[3], epsg],
    )
    .map_err(encode)?;
    db.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?1, 'geom', 'MULTIPOLYGON', ?2, 0, 0)",
        rusqlite::params![layer.name, epsg],
    )
    .map_err(encode)?;
    let names: String = columns.iter().map(|c| format!(", {}", quote(c))).collect();
    let marks: String = (0..columns.len()).map(|k| format!(", ?{}", k + 2)).collect();
    let mut insert =
        db.prepare(&format!("INSERT INTO {table} (geom{names}) VALUES (?1{marks})")).map_err(encode)?;
    for (g, p) in layer.geometries.iter().zip(&layer.properties) {
        let mut values = vec![Sql::Blob(gpkg_blob(g, epsg)?)];
        values.extend(columns.iter().zip(&types).map(|(c, t)| sql_value(p.get(c), t)));
        insert.execute(params_from_iter(values)).map_err(encode)?;
    }
    if let Some(qml) = layer.style {
        db.execute(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, styleName,
               styleQML, styleSLD, useAsDefault, description, owner, ui)
             VALUES ('', '', ?1, 'geom', ?1, ?2, '', 1, 'qpv default style', '', NULL)",
            rusqlite::params![layer.name, qml],
        )
        .map_err(encode)?;
    }
    Ok(())
}

fn extent(geometries: &[MultiPolygon<f64>]) -> [Option<f64>; 4] {
    let rects: Vec<_> = geometries.iter().filter_map(|g| g.bounding_rect()).collect();
    if rects.is_empty() {
        return [None; 4];
    }
    let min = |f: fn(&geo_types::Rect<f64>) -> f64| rects.iter().map(f).fold(f64::INFINITY, f64::min);
    let max = |f: fn(&geo_types::Rect<f64>) -> f64| rects.iter().map(f).fold(f64::NEG_INFINITY, f64::max);
    [Some(min(|r| r.min().x)), Some(min(|r| r.min().y)), Some(max(|r| r.max().x)), Some(max(|r| r.max().y))]
}

/// A GeoPackage binary geometry: header (magic, version 0, flags = little endian with
/// an XY envelope, SRS id), envelope (min x, max x, min y, max y), ISO WKB.
pub fn gpkg_blob(g: &MultiPolygon<f64>, epsg: u32) -> Result<Vec<u8>, IoError> {
    let Some(r) = g.bounding_rect() else {
        // Empty geometry: flags say empty, no envelope.
        let mut blob = vec![b'G', b'P', 0, 0b0001_0001];
        blob.extend_from_slice(&(epsg as i32).to_le_bytes());
        wkb::writer::write_geometry(&mut blob, g, &Default::default()).map_err(encode)?;
        return Ok(blob);
    };
    let mut blob = vec![b'G', b'P', 0, 0b0000_0011];
    blob.extend_from_slice(&(epsg as i32).to_le_bytes());
    for v in [r.min().x, r.max().x, r.min().y, r.max().y] {
        blob.extend_from_slice(&v.to_le_bytes());
    }
    let options = wkb::writer::WriteOptions { endianness: wkb::Endianness::LittleEndian };
    wkb::writer::write_geometry(&mut blob, g, &options).map_err(encode)?;
    Ok(blob)
}

fn write_table(db: &Connection, t: &AttributeTable<'_>) -> Result<(), IoError> {
    let mut r = csv::Reader::from_reader(t.csv);
    let header: Vec<String> = r.headers().map_err(encode)?.iter().map(String::from).collect();
    let rows: Vec<csv::StringRecord> = r.records().collect::<Result<_, _>>().map_err(encode)?;
    let numeric: Vec<bool> = (0..header.len())
        .map(|k| rows.iter().all(|row| row.get(k).is_none_or(|v| v.is_empty() || v.parse::<f64>().is_ok())))
        .collect();
    let defs: String = header
        .iter()
        .zip(&numeric)
        .map(|(c, n)| format!(", {} {}", quote(c), if *n { "REAL" } else { "TEXT" }))
        .collect();
    let table = quote(t.name);
    db.execute_batch(&format!(
        "CREATE TABLE {table} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL{defs});"
    ))
    .map_err(encode)?;
    db.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES (?1, 'attributes', ?1, ?2)",
        rusqlite::params![t.name, t.description],
    )
    .map_err(encode)?;
    let names: Vec<String> = header.iter().map(|c| quote(c)).collect();
    let marks: Vec<String> = (1..=header.len()).map(|k| format!("?{k}")).collect();
    let mut insert = db
        .prepare(&format!("INSERT INTO {table} ({}) VALUES ({})", names.join(", "), marks.join(", ")))
        .map_err(encode)?;
    for row in &rows {
        let values = row.iter().zip(&numeric).map(|(v, n)| match (v.is_empty(), n) {
            (true, _) => Sql::Null,
            (false, true) => v.parse().map_or(Sql::Null, Sql::Real),
            (false, false) => Sql::Text(v.to_owned()),
        });
        insert.execute(params_from_iter(values)).map_err(encode)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::wkt;

    fn layer(geometries: Vec<MultiPolygon<f64>>) -> FeatureLayer<'static> {
        let props = serde_json::json!({ "id": "59701-01", "nom": "Faubourg Duchâteau", "inhabitants": 1234.5, "meets_rule": true });
        let properties = vec![props.as_object().unwrap().clone(); geometries.len()];
        FeatureLayer {
            name: "candidates",
            description: "test",
            geometries,
            properties,
            style: Some("<qgis/>"),
        }
    }

    #[test]
    fn written_geopackage_reads_back() {
        let square = wkt! { MULTIPOLYGON(((700000. 7000000.,700200. 7000000.,700200. 7000200.,700000. 7000200.,700000. 7000000.))) };
        let audit = b"step,op,target,inhabitants_before\n1,remove,59701-01,18018\n2,merge,59701-05,\n";
        let tables = [AttributeTable { name: "audit", description: "audit", csv: audit }];
        let bytes = geopackage(2154, &[layer(vec![square.clone()])], &tables).unwrap();
        assert_eq!(&bytes[..16], b"SQLite format 3\0");
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("qpv.gpkg");
        std::fs::write(&p, &bytes).unwrap();
        let (features, epsg) = crate::gpkg_in::read_geopackage(&p, Some("candidates")).unwrap();
        assert_eq!(epsg, Some(2154));
        assert_eq!(features[0].1["nom"], "Faubourg Duchâteau");
        assert_eq!(features[0].1["inhabitants"], 1234.5);
        assert_eq!(features[0].1["meets_rule"], 1);
        assert_eq!(features[0].0, geo_types::Geometry::MultiPolygon(square));
        let db = Connection::open(&p).unwrap();
        let kinds: Vec<(String, String)> = db
            .prepare("SELECT table_name, data_type FROM gpkg_contents ORDER BY table_name")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            kinds,
            vec![
                ("audit".into(), "attributes".into()),
                ("candidates".into(), "features".into()),
                ("layer_styles".into(), "attributes".into())
            ]
        );
        let before: Option<f64> =
            db.query_row("SELECT inhabitants_before FROM audit WHERE step = 2", [], |r| r.get(0)).unwrap();
        assert_eq!(before, None);
        let app: i64 = db.query_row("PRAGMA application_id", [], |r| r.get(0)).unwrap();
        assert_eq!(app, 0x4750_4B47);
    }

    #[test]
    fn the_same_layers_give_the_same_bytes() {
        let square = wkt! { MULTIPOLYGON(((700000. 7000000.,700200. 7000000.,700200. 7000200.,700000. 7000200.,700000. 7000000.))) };
        let first = geopackage(2154, &[layer(vec![square.clone()])], &[]).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(first, geopackage(2154, &[layer(vec![square])], &[]).unwrap());
    }

    #[test]
    fn an_empty_layer_and_an_unknown_crs() {
        assert!(geopackage(2154, &[layer(vec![])], &[]).is_ok());
        assert!(matches!(geopackage(9999, &[], &[]), Err(IoError::UnknownCrs(9999))));
    }
}

//! Reading polygon layers of a GeoPackage (OGC 12-128r18): the layer list in
//! `gpkg_geometry_columns`, the CRS in `gpkg_spatial_ref_sys`, and each geometry as a
//! GeoPackage binary blob (a `GP` header, an optional envelope, then WKB).

use crate::error::IoError;
use geo_traits::to_geo::ToGeoGeometry;
use geo_types::Geometry;
use rusqlite::{Connection, OpenFlags, types::ValueRef};
use serde_json::{Map, Value};
use std::path::Path;

fn err(path: &Path, message: impl Into<String>) -> IoError {
    IoError::GeometryFile { path: path.to_owned(), message: message.into() }
}

/// A GeoPackage layer: features and the EPSG code of its CRS (`None` when undefined).
pub type Layer = (crate::shapefile_in::Features, Option<u32>);

/// Reads layer `layer` of a GeoPackage, or its only layer.
pub fn read_geopackage(path: &Path, layer: Option<&str>) -> Result<Layer, IoError> {
    let sql = |e: rusqlite::Error| err(path, format!("not a readable GeoPackage: {e}"));
    let db = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(sql)?;
    let mut layers: Vec<(String, String, i64)> = db
        .prepare("SELECT table_name, column_name, srs_id FROM gpkg_geometry_columns ORDER BY table_name")
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<Vec<_>, _>>()
        })
        .map_err(sql)?;
    let names = || layers.iter().map(|l| l.0.as_str()).collect::<Vec<_>>().join(", ");
    let (table, column, srs_id) = match layer {
        Some(name) => {
            let k = layers
                .iter()
                .position(|l| l.0 == name)
                .ok_or_else(|| err(path, format!("no layer {name:?}; the layers are: {}", names())))?;
            layers.swap_remove(k)
        }
        None if layers.len() == 1 => layers.remove(0),
        None if layers.is_empty() => return Err(err(path, "the GeoPackage has no geometry layer")),
        None => {
            return Err(err(
                path,
                format!(
                    "several layers ({}): choose one with --layer (--reference-layer or --other-layer in qpv compare)",
                    names()
                ),
            ));
        }
    };
    let epsg = srs_epsg(&db, srs_id).map_err(sql)?;
    let query = format!("SELECT * FROM \"{}\"", table.replace('"', "\"\""));
    let mut stmt = db.prepare(&query).map_err(sql)?;
    let columns: Vec<String> = stmt.column_names().into_iter().map(str::to_owned).collect();
    let geometry_at = columns.iter().position(|c| c.eq_ignore_ascii_case(&column)).unwrap_or(usize::MAX);
    let mut rows = stmt.query([]).map_err(sql)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(sql)? {
        let k = out.len() + 1;
        let mut properties = Map::new();
        let mut geometry = None;
        for (i, name) in columns.iter().enumerate() {
            let value = row.get_ref(i).map_err(sql)?;
            if i == geometry_at {
                if let ValueRef::Blob(b) = value {
                    geometry =
                        gpkg_geometry(b).map_err(|m| err(path, format!("{table} feature {k}: {m}")))?;
                }
                continue;
            }
            properties.insert(name.clone(), json(value));
        }
        if let Some(g) = geometry {
            out.push((g, properties));
        }
    }
    Ok((out, epsg))
}

/// The EPSG code of an `srs_id`: the organisation's code when it is EPSG, else the WKT's.
fn srs_epsg(db: &Connection, srs_id: i64) -> Result<Option<u32>, rusqlite::Error> {
    if srs_id <= 0 {
        // 0 = undefined geographic, -1 = undefined Cartesian (OGC 12-128 §1.1.2).
        return Ok(None);
    }
    let (org, code, wkt): (String, i64, String) = db.query_row(
        "SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
        [srs_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    if org.eq_ignore_ascii_case("epsg") {
        return Ok(u32::try_from(code).ok());
    }
    Ok(crate::shapefile_in::epsg_of_wkt(&wkt))
}

/// Decodes a GeoPackage binary geometry; `None` for an empty one.
pub fn gpkg_geometry(blob: &[u8]) -> Result<Option<Geometry<f64>>, String> {
    if blob.len() < 8 || &blob[..2] != b"GP" {
        return Err("not a GeoPackage geometry (no GP header)".into());
    }
    let flags = blob[3];
    let envelope = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        e => return Err(format!("unknown envelope code {e}")),
    };
    if flags & 0b1_0000 != 0 {
        return Ok(None);
    }
    let wkb = blob.get(8 + envelope..).ok_or("geometry shorter than its header")?;
    let parsed = wkb::reader::read_wkb(wkb).map_err(|e| format!("bad WKB: {e}"))?;
    Ok(parsed.try_to_geometry())
}

fn json(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(x) => Value::from(x),
        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(_) => Value::Null,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal GeoPackage by hand, as GDAL writes one (the writer of issue 6 will
    /// make these; this checks the reader on its own).
    pub(crate) fn tiny_geopackage(path: &Path, srs: (i64, &str, i64)) {
        let db = Connection::open(path).unwrap();
        db.execute_batch(
            "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT, srs_id INTEGER PRIMARY KEY, organization TEXT,
               organization_coordsys_id INTEGER, definition TEXT, description TEXT);
             CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT, geometry_type_name TEXT,
               srs_id INTEGER, z TINYINT, m TINYINT);
             CREATE TABLE qpv (fid INTEGER PRIMARY KEY, geom BLOB, code_qp TEXT, nom_qp TEXT);",
        )
        .unwrap();
        db.execute(
            "INSERT INTO gpkg_spatial_ref_sys VALUES ('x', ?1, ?2, ?3, 'undefined', '')",
            rusqlite::params![srs.0, srs.1, srs.2],
        )
        .unwrap();
        db.execute(
            "INSERT INTO gpkg_geometry_columns VALUES ('qpv', 'geom', 'MULTIPOLYGON', ?1, 0, 0)",
            [srs.0],
        )
        .unwrap();
        let square = geo_types::wkt! { MULTIPOLYGON(((700000. 7000000., 700200. 7000000., 700200. 7000200., 700000. 7000200., 700000. 7000000.))) };
        let mut blob = vec![b'G', b'P', 0, 0b0000_0011];
        blob.extend_from_slice(&(srs.0 as i32).to_le_bytes());
        blob.extend_from_slice(&[700000f64, 700200., 7000000., 7000200.].map(f64::to_le_bytes).concat());
        wkb::writer::write_geometry(&mut blob, &square, &Default::default()).unwrap();
        db.execute("INSERT INTO qpv VALUES (1, ?1, 'QN05901M', 'Faubourg Duchâteau')", [blob]).unwrap();
    }

    #[test]
    fn reads_layer_crs_attributes_and_geometry() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("q.gpkg");
        tiny_geopackage(&p, (2154, "EPSG", 2154));
        let (features, epsg) = read_geopackage(&p, None).unwrap();
        assert_eq!(epsg, Some(2154));
        assert_eq!(features.len(), 1);
        assert_eq!(features[0].1["nom_qp"], "Faubourg Duchâteau");
        let Geometry::MultiPolygon(mp) = &features[0].0 else { panic!("{:?}", features[0].0) };
        assert_eq!(mp.0[0].exterior().0.len(), 5);
        let err = read_geopackage(&p, Some("other")).unwrap_err().to_string();
        assert!(err.contains("no layer \"other\"") && err.contains("qpv"), "{err}");
    }

    #[test]
    fn undefined_crs_and_damaged_blobs() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("q.gpkg");
        tiny_geopackage(&p, (-1, "NONE", -1));
        assert_eq!(read_geopackage(&p, None).unwrap().1, None);
        assert!(gpkg_geometry(b"XX\0\0\0\0\0\0").is_err());
        assert!(gpkg_geometry(b"GP\0\x03\0\0\0\0").is_err());
        assert_eq!(gpkg_geometry(b"GP\0\x10\0\0\0\0").unwrap(), None);
        let not_a_db = dir.path().join("n.gpkg");
        std::fs::write(&not_a_db, "hello").unwrap();
        let err = read_geopackage(&not_a_db, None).unwrap_err().to_string();
        assert!(err.contains("n.gpkg") && err.contains("GeoPackage"), "{err}");
    }
}

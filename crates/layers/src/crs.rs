//! Coordinate transformations, in pure Rust with `proj4rs`.
//!
//! The `proj` crate needs PROJ ≥ 9.6 while Debian 12 ships 9.1, so it would build
//! PROJ from source and fail without cmake. Every transformation `qpv` needs is
//! pure projection math with a null datum shift (ETRS89, RGF93, RGAF09, RGR92
//! and WGS84 coincide to well under a metre, METHOD.md §4), which `proj4rs`
//! reproduces within 1 mm of PROJ (tested against PROJ's own output).

use crate::error::IoError;
use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use proj4rs::proj::Proj;

/// The proj string of a supported CRS.
pub fn proj_string(epsg: u32) -> Option<&'static str> {
    Some(match epsg {
        3035 => "+proj=laea +lat_0=52 +lon_0=10 +x_0=4321000 +y_0=3210000 +ellps=GRS80 +units=m +no_defs",
        2154 => {
            "+proj=lcc +lat_0=46.5 +lon_0=3 +lat_1=49 +lat_2=44 +x_0=700000 +y_0=6600000 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs"
        }
        5490 => "+proj=utm +zone=20 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs",
        2975 => "+proj=utm +zone=40 +south +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs",
        // Geographic, null shift from the ETRS89-family datums (as PROJ's "ETRS89 to WGS 84 (1)").
        4326 => "+proj=longlat +ellps=GRS80 +no_defs",
        _ => return None,
    })
}

/// The CRSs outputs can be written in (`--crs`).
pub const OUTPUT_CRS: [u32; 3] = [4326, 2154, 3035];

/// Name of an output CRS, for messages and GeoPackage SRS rows.
pub fn crs_name(epsg: u32) -> &'static str {
    match epsg {
        4326 => "WGS 84",
        2154 => "RGF93 v1 / Lambert-93",
        3035 => "ETRS89-extended / LAEA Europe",
        5490 => "RGAF09 / UTM zone 20N",
        2975 => "RGR92 / UTM zone 40S",
        _ => "unknown",
    }
}

/// ESRI WKT of an output CRS (shapefile `.prj`), as ArcGIS and QGIS write it.
pub fn esri_wkt(epsg: u32) -> Option<&'static str> {
    Some(match epsg {
        2154 => crate::shapefile_out::LAMBERT93_ESRI_WKT,
        4326 => {
            r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#
        }
        3035 => {
            r#"PROJCS["ETRS_1989_LAEA",GEOGCS["GCS_ETRS_1989",DATUM["D_ETRS_1989",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Lambert_Azimuthal_Equal_Area"],PARAMETER["False_Easting",4321000.0],PARAMETER["False_Northing",3210000.0],PARAMETER["Central_Meridian",10.0],PARAMETER["Latitude_Of_Origin",52.0],UNIT["Meter",1.0]]"#
        }
        _ => return None,
    })
}

/// OGC WKT 1 with EPSG authorities (GeoPackage `gpkg_spatial_ref_sys.definition`).
pub fn ogc_wkt(epsg: u32) -> Option<&'static str> {
    Some(match epsg {
        4326 => {
            r#"GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]"#
        }
        2154 => {
            r#"PROJCS["RGF93 v1 / Lambert-93",GEOGCS["RGF93 v1",DATUM["Reseau_Geodesique_Francais_1993_v1",SPHEROID["GRS 1980",6378137,298.257222101,AUTHORITY["EPSG","7019"]],AUTHORITY["EPSG","6171"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4171"]],PROJECTION["Lambert_Conformal_Conic_2SP"],PARAMETER["latitude_of_origin",46.5],PARAMETER["central_meridian",3],PARAMETER["standard_parallel_1",49],PARAMETER["standard_parallel_2",44],PARAMETER["false_easting",700000],PARAMETER["false_northing",6600000],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],AUTHORITY["EPSG","2154"]]"#
        }
        3035 => {
            r#"PROJCS["ETRS89-extended / LAEA Europe",GEOGCS["ETRS89",DATUM["European_Terrestrial_Reference_System_1989",SPHEROID["GRS 1980",6378137,298.257222101,AUTHORITY["EPSG","7019"]],AUTHORITY["EPSG","6258"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4258"]],PROJECTION["Lambert_Azimuthal_Equal_Area"],PARAMETER["latitude_of_center",52],PARAMETER["longitude_of_center",10],PARAMETER["false_easting",4321000],PARAMETER["false_northing",3210000],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Northing",NORTH],AXIS["Easting",EAST],AUTHORITY["EPSG","3035"]]"#
        }
        _ => return None,
    })
}

/// Transforms coordinates from one EPSG code to another. Geographic coordinates
/// are longitude, latitude in degrees; projected ones easting, northing in metres.
///
/// ```
/// use qpv_layers::crs::Transformer;
/// let t = Transformer::new(3035, 4326)?;
/// // Bonifacio: the INSEE id N2029800E4252400 has northing first; x is the easting.
/// let (lon, lat) = t.point(4_252_400.0, 2_029_800.0)?;
/// assert!((lon - 9.18344).abs() < 1e-5 && (lat - 41.36580).abs() < 1e-5);
/// # Ok::<(), qpv_layers::IoError>(())
/// ```
pub struct Transformer {
    from: Proj,
    to: Proj,
    from_epsg: u32,
    to_epsg: u32,
    from_geographic: bool,
    to_geographic: bool,
}

impl Transformer {
    /// A transformer between two supported EPSG codes.
    pub fn new(from: u32, to: u32) -> Result<Transformer, IoError> {
        let make = |epsg: u32| -> Result<Proj, IoError> {
            let s = proj_string(epsg).ok_or(IoError::UnknownCrs(epsg))?;
            Proj::from_proj_string(s).map_err(|e| IoError::Projection { from: epsg, message: e.to_string() })
        };
        Ok(Transformer {
            from: make(from)?,
            to: make(to)?,
            from_epsg: from,
            to_epsg: to,
            from_geographic: from == 4326,
            to_geographic: to == 4326,
        })
    }

    /// The EPSG code coordinates are transformed to.
    pub fn target(&self) -> u32 {
        self.to_epsg
    }

    /// Transforms one point.
    pub fn point(&self, x: f64, y: f64) -> Result<(f64, f64), IoError> {
        let mut p = if self.from_geographic { (x.to_radians(), y.to_radians(), 0.0) } else { (x, y, 0.0) };
        proj4rs::transform::transform(&self.from, &self.to, &mut p)
            .map_err(|e| IoError::Projection { from: self.from_epsg, message: e.to_string() })?;
        if !(p.0.is_finite() && p.1.is_finite()) {
            return Err(IoError::Projection {
                from: self.from_epsg,
                message: format!("({x}, {y}) is outside the projection"),
            });
        }
        Ok(if self.to_geographic { (p.0.to_degrees(), p.1.to_degrees()) } else { (p.0, p.1) })
    }

    /// Transforms every vertex of a multipolygon.
    pub fn multipolygon(&self, mp: &MultiPolygon<f64>) -> Result<MultiPolygon<f64>, IoError> {
        let ring = |ls: &LineString<f64>| -> Result<LineString<f64>, IoError> {
            ls.0.iter()
                .map(|c| self.point(c.x, c.y).map(|(x, y)| Coord { x, y }))
                .collect::<Result<Vec<_>, _>>()
                .map(LineString)
        };
        mp.0.iter()
            .map(|p| {
                let ext = ring(p.exterior())?;
                let holes = p.interiors().iter().map(ring).collect::<Result<Vec<_>, _>>()?;
                Ok(Polygon::new(ext, holes))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(MultiPolygon)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PROJ 9.1.1 `cs2cs` output, first rows of `shared/data/proj-reference/`
    /// (copied into `tests/data/` so the test runs in any clone).
    const LAEA: &str = include_str!("../tests/data/laea3035_to_wgs84_head.csv");
    const L93: &str = include_str!("../tests/data/lambert93_to_laea3035_head.csv");

    fn rows(text: &str) -> Vec<[f64; 4]> {
        text.lines()
            .skip(1)
            .map(|l| {
                let v: Vec<f64> = l.split(',').map(|x| x.parse().unwrap()).collect();
                [v[0], v[1], v[2], v[3]]
            })
            .collect()
    }

    #[test]
    fn laea_to_wgs84_within_a_millimetre_of_proj() {
        let t = Transformer::new(3035, 4326).unwrap();
        let rows = rows(LAEA);
        assert!(rows.len() >= 500);
        for [e, n, lon, lat] in rows {
            let (x, y) = t.point(e, n).unwrap();
            // 1 mm is about 9e-9 degrees of latitude.
            let dy = (y - lat) * 111_320.0;
            let dx = (x - lon) * 111_320.0 * lat.to_radians().cos();
            assert!(dx.hypot(dy) < 0.001, "{e} {n}: {dx} {dy}");
        }
    }

    #[test]
    fn lambert93_to_laea_within_a_millimetre_of_proj() {
        let t = Transformer::new(2154, 3035).unwrap();
        for [e, n, e2, n2] in rows(L93) {
            let (x, y) = t.point(e, n).unwrap();
            assert!((x - e2).hypot(y - n2) < 0.001, "{e} {n}");
        }
    }

    #[test]
    fn round_trip_from_wgs84() {
        let fwd = Transformer::new(3035, 4326).unwrap();
        let back = Transformer::new(4326, 3035).unwrap();
        let (lon, lat) = fwd.point(3_850_200.0, 3_035_400.0).unwrap();
        let (e, n) = back.point(lon, lat).unwrap();
        assert!((e - 3_850_200.0).abs() < 1e-3 && (n - 3_035_400.0).abs() < 1e-3);
    }

    #[test]
    fn output_crs_have_both_wkts_that_name_their_code() {
        for epsg in OUTPUT_CRS {
            assert_eq!(crate::shapefile_in::epsg_of_wkt(esri_wkt(epsg).unwrap()), Some(epsg), "{epsg}");
            assert!(ogc_wkt(epsg).unwrap().ends_with(&format!("AUTHORITY[\"EPSG\",\"{epsg}\"]]")));
        }
    }

    #[test]
    fn unknown_crs_is_an_error() {
        assert!(matches!(Transformer::new(9999, 4326), Err(IoError::UnknownCrs(9999))));
    }
}

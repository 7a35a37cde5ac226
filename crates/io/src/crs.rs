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

/// Transforms coordinates from one EPSG code to another. Geographic coordinates
/// are longitude, latitude in degrees; projected ones easting, northing in metres.
///
/// ```
/// use qpv_io::crs::Transformer;
/// let t = Transformer::new(3035, 4326)?;
/// // Bonifacio: the INSEE id N2029800E4252400 has northing first; x is the easting.
/// let (lon, lat) = t.point(4_252_400.0, 2_029_800.0)?;
/// assert!((lon - 9.18344).abs() < 1e-5 && (lat - 41.36580).abs() < 1e-5);
/// # Ok::<(), qpv_io::IoError>(())
/// ```
pub struct Transformer {
    from: Proj,
    to: Proj,
    from_epsg: u32,
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
            from_geographic: from == 4326,
            to_geographic: to == 4326,
        })
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
    fn unknown_crs_is_an_error() {
        assert!(matches!(Transformer::new(9999, 4326), Err(IoError::UnknownCrs(9999))));
    }
}

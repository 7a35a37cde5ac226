//! Perimeter layers in every output format a command was asked for (`--format
//! geojson,shapefile,gpkg`) and CRS (`--crs`), each with its QGIS style.
//!
//! | format | file(s) | CRS without `--crs` |
//! |---|---|---|
//! | GeoJSON | `NAME.geojson` + `NAME.qml` | WGS84 (RFC 7946); another CRS is named in a `crs` member |
//! | shapefile | `NAME.shp/.shx/.dbf/.prj/.cpg` + `NAME.qml` | Lambert-93 (EPSG:2154), as the State's QPV files |
//! | GeoPackage | one `qpv.gpkg` (or the command's name) with every layer, the attribute tables and the styles | Lambert-93 |

use crate::OutputSet;
use crate::crs::Transformer;
use crate::error::IoError;
use crate::gpkg_out::{AttributeTable, FeatureLayer, geopackage};
use crate::records::CandidateRecord;
use crate::styles::{Style, qml};
use geo_types::MultiPolygon;
use serde_json::{Map, Value};

/// Output formats of perimeters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Formats {
    /// GeoJSON.
    pub geojson: bool,
    /// ESRI shapefile.
    pub shapefile: bool,
    /// GeoPackage.
    pub gpkg: bool,
}

impl Formats {
    /// From names (`geojson`, `shapefile`, `gpkg`); an unknown name is an error message.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Formats, String> {
        let mut f = Formats::default();
        for n in names {
            match n.as_ref() {
                "geojson" => f.geojson = true,
                "shapefile" => f.shapefile = true,
                "gpkg" | "geopackage" => f.gpkg = true,
                other => return Err(format!("format {other:?}: qpv writes geojson, shapefile and gpkg")),
            }
        }
        Ok(f)
    }
}

/// What a layer holds: perimeter records, or any features with their attributes.
pub enum Content<'a> {
    /// Perimeters (candidates, adjusted, poches, near misses) with the standard columns.
    Perimeters(&'a [CandidateRecord]),
    /// Other features in the grid's CRS, with the DBF field mapping for shapefiles
    /// (property, DBF name, numeric, length, decimals).
    Features {
        /// Geometries in the grid's CRS.
        geometries: &'a [MultiPolygon<f64>],
        /// Attributes.
        properties: &'a [Map<String, Value>],
        /// Shapefile fields.
        fields: &'a [(&'a str, &'a str, bool, u8, u8)],
    },
}

/// A layer to write.
pub struct Layer<'a> {
    /// File stem and GeoPackage table name.
    pub name: &'a str,
    /// Description (GeoPackage contents).
    pub description: &'a str,
    /// Its features.
    pub content: Content<'a>,
    /// Its QGIS style.
    pub style: Style,
}

/// Writes layers in the grid's CRS `grid_epsg` to the requested formats and CRS.
pub struct LayerWriter {
    /// Formats.
    pub formats: Formats,
    /// `--crs`, when given.
    pub crs: Option<u32>,
    /// The grid's CRS (the layers' geometries are in it).
    pub grid_epsg: u32,
    /// Name of the GeoPackage file (without `.gpkg`).
    pub gpkg_name: &'static str,
}

impl LayerWriter {
    /// The CRS files of a format are written in.
    pub fn crs_of(&self, geojson: bool) -> u32 {
        self.crs.unwrap_or(if geojson { 4326 } else { 2154 })
    }

    /// Adds every file of `layers` (and `tables`, GeoPackage only) to `out`.
    pub fn write(
        &self,
        layers: &[Layer<'_>],
        tables: &[AttributeTable<'_>],
        out: &mut OutputSet,
    ) -> Result<(), IoError> {
        let to_wgs84 = Transformer::new(self.grid_epsg, 4326)?;
        if self.formats.geojson {
            let to = Transformer::new(self.grid_epsg, self.crs_of(true))?;
            for l in layers {
                let bytes = match &l.content {
                    Content::Perimeters(records) => {
                        crate::export::candidates_geojson(records, &to_wgs84, &to)?
                    }
                    Content::Features { geometries, properties, .. } => {
                        features_geojson(geometries, properties, &to)?
                    }
                };
                out.add(format!("{}.geojson", l.name), bytes);
            }
        }
        if self.formats.shapefile {
            let to = Transformer::new(self.grid_epsg, self.crs_of(false))?;
            for l in layers {
                let files = match &l.content {
                    Content::Perimeters(records) => {
                        crate::shapefile_out::perimeters_shapefile(l.name, records, &to)?
                    }
                    Content::Features { geometries, properties, fields } => {
                        crate::shapefile_out::features_shapefile(l.name, geometries, properties, fields, &to)?
                    }
                };
                for (name, bytes) in files {
                    out.add(name, bytes);
                }
            }
        }
        if self.formats.geojson || self.formats.shapefile {
            for l in layers {
                out.add(format!("{}.qml", l.name), qml(l.style).into_bytes());
            }
        }
        if self.formats.gpkg {
            let epsg = self.crs_of(false);
            let to = Transformer::new(self.grid_epsg, epsg)?;
            let styles: Vec<String> = layers.iter().map(|l| qml(l.style)).collect();
            let mut features = Vec::with_capacity(layers.len());
            for (l, style) in layers.iter().zip(&styles) {
                let (geometries, properties) = match &l.content {
                    Content::Perimeters(records) => (
                        records
                            .iter()
                            .map(|c| to.multipolygon(&c.geometry))
                            .collect::<Result<Vec<_>, _>>()?,
                        records
                            .iter()
                            .map(|c| crate::export::candidate_properties(c, &to_wgs84))
                            .collect::<Result<Vec<_>, _>>()?,
                    ),
                    Content::Features { geometries, properties, .. } => (
                        geometries.iter().map(|g| to.multipolygon(g)).collect::<Result<Vec<_>, _>>()?,
                        properties.to_vec(),
                    ),
                };
                features.push(FeatureLayer {
                    name: l.name,
                    description: l.description,
                    geometries,
                    properties,
                    style: Some(style),
                });
            }
            out.add(format!("{}.gpkg", self.gpkg_name), geopackage(epsg, &features, tables)?);
        }
        Ok(())
    }
}

/// A FeatureCollection of any features (the geometries projected with `to`).
pub fn features_geojson(
    geometries: &[MultiPolygon<f64>],
    properties: &[Map<String, Value>],
    to: &Transformer,
) -> Result<Vec<u8>, IoError> {
    let mut features = Vec::with_capacity(geometries.len());
    for (g, p) in geometries.iter().zip(properties) {
        features.push(geojson::Feature {
            bbox: None,
            geometry: Some(crate::export::geometry_in(&to.multipolygon(g)?, to.target())),
            id: None,
            properties: Some(p.clone()),
            foreign_members: None,
        });
    }
    crate::export::feature_collection(features, to.target())
}

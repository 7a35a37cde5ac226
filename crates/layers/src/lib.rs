/*!
Perimeter files and layers of `qpv`: what goes to and comes from QGIS.

- reading perimeters (GeoJSON, shapefile, GeoPackage) in any declared CRS, with
  repairs of invalid rings ([`perimeters`], [`shapefile_in`], [`gpkg_in`]), measured
  on the grid ([`on_grid`]);
- coordinate transforms between the grid's CRS, Lambert-93 and WGS84 ([`crs`], pure
  Rust `proj4rs`);
- candidates as records and outlines ([`records`]), written as RFC 7946 GeoJSON and CSV
  ([`export`]), shapefiles ([`shapefile_out`]) and GeoPackages ([`gpkg_out`]), a layer
  in every format and CRS at once ([`layers`]), each with its QGIS style ([`styles`]);
- adjustments files and the geometry files they name ([`edits`]), and the step
  interpreter that applies them ([`adjustments`]), and the one reader of REP/REP+
  school files ([`schools`]);
- the rows, shapefile fields and markdown of a check of a perimeter file against the
  decree ([`check_report`]);
- the tables of a comparison, of indicators and of the CLI's other outputs
  ([`comparison_out`], [`indicators_out`], [`tables`]).

Errors are `qpv_grid::IoError`, re-exported here: one error type for every file read or
written, each variant naming the file.

# Example

Run the method on a tiny grid and write the candidates as GeoJSON.

```
use qpv_grid::{GridReader, GridSource};
use qpv_grid::communes::{embedded_communes, CommuneVintage};

// Three squares of 400 poor residents each in Denain (Valenciennes urban unit).
let csv = b"idcar_200m,lcog_geo,ind,men,men_pauv,ind_snv\n\
CRS3035RES200mN2969400E3794800,59172,400,160,90,4200000\n\
CRS3035RES200mN2969400E3795000,59172,400,160,90,4200000\n\
CRS3035RES200mN2969600E3794800,59172,400,160,90,4200000\n";
let file = GridReader::new(GridSource::Embedded { name: "tiny.csv", bytes: csv }).finish()?;
let (communes, _) = embedded_communes(CommuneVintage::Cog2021);
let (reference, _) = qpv_grid::reference::embedded_reference("filosofi2019").unwrap();
let out = qpv_core::Pipeline::new(&file.grid, &communes).reference(Some(&reference)).run()?;

let (records, _) = qpv_layers::records::area_records(&out, &file.grid, &communes);
let to_wgs84 = qpv_layers::crs::Transformer::new(3035, 4326)?;
let geojson = qpv_layers::export::candidates_geojson(&records, &to_wgs84, &to_wgs84)?;
assert!(String::from_utf8(geojson)?.contains("\"uu_code\":\"59701\""));
# Ok::<(), Box<dyn std::error::Error>>(())
```
*/
#![deny(missing_docs)]

pub mod adjustments;
pub mod buildings;
pub mod check_report;
pub mod comparison_out;
pub mod crs;
pub mod edits;
pub mod export;
pub mod gpkg_in;
pub mod gpkg_out;
pub mod indicators_out;
pub mod layers;
pub mod on_grid;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod perimeters;
pub mod records;
pub mod schools;
pub mod shapefile_in;
pub mod shapefile_out;
pub mod styles;
pub mod tables;

pub use qpv_grid::IoError;
// The grid crate's error, hash and number formatting, under the names the modules use.
pub(crate) use qpv_grid::{InputFile, OutputSet, blake3_hex, error, thousands};

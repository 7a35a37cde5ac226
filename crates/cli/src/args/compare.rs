//! `qpv compare`.

use super::{FormatArg, TableArgs};
use clap::Args;
use std::path::PathBuf;

/// `qpv compare --within`: the territory the comparison is restricted to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Within {
    /// The communes the reference perimeters touch.
    Reference,
    /// The communes the other perimeters touch.
    Other,
    /// The polygons of a file (a file called `reference` is `./reference`).
    File(PathBuf),
}

impl Within {
    /// As typed.
    pub fn label(&self) -> String {
        match self {
            Within::Reference => "reference".into(),
            Within::Other => "other".into(),
            Within::File(p) => p.display().to_string(),
        }
    }
}

/// `--within`: `reference`, `other` or a file.
fn within(text: &str) -> Result<Within, String> {
    match text {
        "reference" => Ok(Within::Reference),
        "other" => Ok(Within::Other),
        "" => Err("give reference, other or a file of polygons".into()),
        _ => Ok(Within::File(PathBuf::from(text))),
    }
}

/// `qpv compare`
#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// Reference perimeters (A), e.g. qpv's candidates.geojson: GeoJSON, shapefile (.shp
    /// with .dbf, .prj, .cpg) or GeoPackage (.gpkg).
    #[arg(long, value_name = "FILE")]
    pub reference: PathBuf,

    /// Other perimeters (B), e.g. the published or negotiated QPV, in any of those formats.
    #[arg(long, value_name = "FILE")]
    pub other: PathBuf,

    /// CRS of a file that declares none (shapefile without .prj, GeoPackage with an
    /// undefined SRS, projected GeoJSON without a crs member): EPSG:2154, EPSG:3035, EPSG:4326…
    #[arg(long, value_name = "EPSG:NNNN")]
    pub crs: Option<String>,

    /// Layer of a GeoPackage reference file holding several.
    #[arg(long, value_name = "NAME")]
    pub reference_layer: Option<String>,

    /// Layer of a GeoPackage other file holding several.
    #[arg(long, value_name = "NAME")]
    pub other_layer: Option<String>,

    /// Filosofi grid used to estimate the residents of every piece (`sample` for the
    /// embedded CAPH sample). Without it, only areas are compared.
    #[arg(long, value_name = "PATH")]
    pub grid: Option<PathBuf>,

    /// Compare only the perimeters inside a territory: `reference` or `other`, the grid's
    /// squares in the communes that set's perimeters touch (needs --grid), or FILE, its
    /// polygons (GeoJSON, shapefile or GeoPackage). A perimeter is compared when at least
    /// half of it lies inside; comparison.md, within.csv, stderr and the manifest say
    /// what was left out.
    #[arg(long, value_name = "reference|other|FILE", value_parser = within)]
    pub within: Option<Within>,

    /// Layer of a GeoPackage --within file holding several.
    #[arg(long, value_name = "NAME")]
    pub within_layer: Option<String>,

    #[command(flatten)]
    pub tables: TableArgs,

    /// Folder for comparison.csv, by_commune.csv, diff.geojson and comparison.md.
    #[arg(long, short, default_value = "qpv-compare", value_name = "DIR")]
    pub out: PathBuf,

    /// Formats of the difference map, comma-separated: geojson (always), shapefile, gpkg
    /// (comparison.gpkg); each with a QGIS .qml style.
    #[arg(long, value_delimiter = ',', default_value = "geojson", value_name = "FORMATS")]
    pub format: Vec<FormatArg>,

    /// CRS of the difference map: EPSG:4326, EPSG:2154 or EPSG:3035 (default: WGS84 for
    /// GeoJSON, Lambert-93 for shapefile and GeoPackage). `--crs` names the input CRS.
    #[arg(long = "out-crs", value_name = "EPSG:NNNN")]
    pub out_crs: Option<String>,
}

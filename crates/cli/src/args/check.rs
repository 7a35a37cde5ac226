//! `qpv check`.

use super::{BuildingsArgs, FormatArg, GridArgs, RequiredPerimeterArgs, RuleArgs, SettingsArg};
use clap::Args;
use std::path::PathBuf;

/// `qpv check`
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub input: GridArgs,

    #[command(flatten)]
    pub rule: RuleArgs,

    #[command(flatten)]
    pub perimeters: RequiredPerimeterArgs,

    #[command(flatten)]
    pub buildings: BuildingsArgs,

    #[command(flatten)]
    pub settings: SettingsArg,

    /// REP/REP+ schools (GeoJSON or shapefile points; a "Classement REP" field, when
    /// present, keeps REP and REP+ ones): listed per perimeter when inside or near.
    #[arg(long, value_name = "FILE")]
    pub schools: Option<PathBuf>,

    /// How near a school must be to a perimeter to be listed, m.
    #[arg(long, default_value_t = qpv_core::DEFAULT_SCHOOL_DISTANCE_M, value_name = "M")]
    pub school_distance: f64,

    /// Formats of the checked perimeters, comma-separated: geojson (always), shapefile,
    /// gpkg (check.gpkg); each with a QGIS .qml style.
    #[arg(long, value_delimiter = ',', value_name = "FORMATS")]
    pub format: Option<Vec<FormatArg>>,

    /// CRS of the layers written: EPSG:4326, EPSG:2154 or EPSG:3035 (default: WGS84 for
    /// GeoJSON, Lambert-93 for shapefile and GeoPackage). `--crs` names the input's CRS.
    #[arg(long = "out-crs", value_name = "EPSG:NNNN")]
    pub out_crs: Option<String>,

    /// Folder for check.csv, check.geojson, check.md and manifest.json.
    #[arg(long, short, default_value = "qpv-check", value_name = "DIR")]
    pub out: PathBuf,
}

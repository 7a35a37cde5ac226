//! `qpv adjust`.

use super::{BuildingsArgs, FormatArg, GridArgs, RequiredPerimeterArgs, RuleArgs, SettingsArg};
use clap::Args;
use std::path::PathBuf;

/// `qpv adjust`
#[derive(Debug, Clone, Args)]
pub struct AdjustArgs {
    #[command(flatten)]
    pub input: GridArgs,

    #[command(flatten)]
    pub rule: RuleArgs,

    #[command(flatten)]
    pub perimeters: RequiredPerimeterArgs,

    #[command(flatten)]
    pub buildings: BuildingsArgs,

    /// The adjustments (TOML, the same steps as `qpv run --edits`; see the README); their
    /// `candidate` fields name the file's perimeters by id.
    #[arg(long, value_name = "FILE")]
    pub edits: PathBuf,

    #[command(flatten)]
    pub settings: SettingsArg,

    /// Formats of the adjusted perimeters, comma-separated: geojson (always), shapefile,
    /// gpkg (qpv.gpkg).
    #[arg(long, value_delimiter = ',', value_name = "FORMATS")]
    pub format: Option<Vec<FormatArg>>,

    /// CRS of the layers written: EPSG:4326, EPSG:2154 or EPSG:3035. `--crs` names the
    /// input's CRS.
    #[arg(long = "out-crs", value_name = "EPSG:NNNN")]
    pub out_crs: Option<String>,

    /// Folder for adjusted.geojson, poches.geojson, audit.csv, schools.csv, lattice.csv and
    /// manifest.json.
    #[arg(long, short, default_value = "qpv-adjust", value_name = "DIR")]
    pub out: PathBuf,
}

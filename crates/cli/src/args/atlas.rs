//! `qpv atlas`.

use super::{BuildingsArgs, GridArgs, PerimeterArgs, RuleArgs, SettingsArg};
use clap::Args;
use std::path::PathBuf;

/// `qpv atlas`
#[derive(Debug, Clone, Args)]
pub struct AtlasArgs {
    #[command(flatten)]
    pub input: GridArgs,

    #[command(flatten)]
    pub rule: RuleArgs,

    #[command(flatten)]
    pub perimeters: PerimeterArgs,

    #[command(flatten)]
    pub buildings: BuildingsArgs,

    #[command(flatten)]
    pub settings: SettingsArg,

    /// Reference perimeters (e.g. the published QPV; GeoJSON, shapefile or GeoPackage, read
    /// as --perimeters is, --crs included) drawn on every map against the atlas's: kept,
    /// added (only in the atlas's) and removed (only in the reference).
    #[arg(long, value_name = "FILE")]
    pub reference: Option<PathBuf>,

    /// Layer of a GeoPackage --reference holding several.
    #[arg(long, value_name = "NAME")]
    pub reference_layer: Option<String>,

    /// REP/REP+ collèges (GeoJSON or shapefile points; a "Classement REP" field, when
    /// present, keeps REP and REP+ ones): drawn on the maps and listed per perimeter.
    #[arg(long, value_name = "FILE")]
    pub schools: Option<PathBuf>,

    /// How near a school must be to a perimeter to be listed on its page, m.
    #[arg(long, default_value_t = qpv_core::DEFAULT_SCHOOL_DISTANCE_M, value_name = "M")]
    pub school_distance: f64,

    /// Title of the cover.
    #[arg(long)]
    pub title: Option<String>,

    /// Folder for atlas.pdf, atlas.html and manifest.json.
    #[arg(long, short, default_value = "qpv-atlas", value_name = "DIR")]
    pub out: PathBuf,
}

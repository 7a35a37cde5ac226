//! `qpv run`.

use super::{FormatArg, GridArgs, RuleArgs, SettingsArg};
use crate::settings::RunOptions;
use clap::Args;
use std::path::PathBuf;

/// `qpv run`
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub input: GridArgs,

    #[command(flatten)]
    pub rule: RuleArgs,

    #[command(flatten)]
    pub settings: SettingsArg,

    /// Folder for the outputs (created if needed; files in it are replaced only when
    /// the run succeeds).
    #[arg(long, short, default_value = "qpv-out", value_name = "DIR")]
    pub out: PathBuf,

    /// Adjustments to apply to the candidates (TOML: REP/REP+ schools, renewal areas,
    /// squares or drawn areas added or removed, merges, splits, renames, pockets of
    /// poverty; see the README). Writes adjusted.geojson, poches.geojson, audit.csv and
    /// schools.csv as well.
    #[arg(long, value_name = "FILE")]
    pub edits: Option<PathBuf>,

    /// Output formats of the perimeters, comma-separated: geojson (RFC 7946, WGS84),
    /// shapefile (Lambert-93, with .prj and .cpg; field names in the README), gpkg (one
    /// GeoPackage, Lambert-93). GeoJSON is always written. Each layer gets a QGIS .qml style.
    #[arg(long, value_delimiter = ',', value_name = "FORMATS")]
    pub format: Option<Vec<FormatArg>>,

    /// CRS of every perimeter output: EPSG:4326, EPSG:2154 or EPSG:3035. Without it,
    /// GeoJSON is WGS84 (RFC 7946) and shapefiles and GeoPackages Lambert-93; a GeoJSON
    /// in another CRS names it in a `crs` member.
    #[arg(long, value_name = "EPSG:NNNN")]
    pub crs: Option<String>,

    /// Print the wall time of each stage on stderr.
    #[arg(long)]
    pub timings: bool,
}

impl RunArgs {
    /// What was typed, over the settings file given with --settings.
    pub fn options(&self) -> anyhow::Result<RunOptions> {
        let typed = RunOptions {
            edits: self.edits.clone(),
            format: self.format.clone(),
            crs: self.crs.clone(),
            ..self.rule.options().combine(self.input.options())
        };
        self.settings.over(typed)
    }
}

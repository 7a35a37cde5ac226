//! `qpv map`.

use super::{GridArgs, PerimeterArgs, RuleArgs};
use clap::Args;
use std::path::PathBuf;

/// `qpv map`
#[derive(Debug, Clone, Args)]
pub struct MapArgs {
    #[command(flatten)]
    pub input: GridArgs,

    #[command(flatten)]
    pub rule: RuleArgs,

    #[command(flatten)]
    pub perimeters: PerimeterArgs,

    /// A comparison's diff.geojson (from `qpv compare`), drawn as kept / added / removed.
    #[arg(long, value_name = "FILE")]
    pub diff: Option<PathBuf>,

    /// Colour the squares by their estimated median niveau de vie.
    #[arg(long)]
    pub squares: bool,

    /// Schools to show (GeoJSON points with a "Classement REP" and a "Nom" property),
    /// e.g. data-samples/rep_colleges_caph_2021.geojson.
    #[arg(long, value_name = "FILE")]
    pub schools: Option<PathBuf>,

    /// Title of the map.
    #[arg(long)]
    pub title: Option<String>,

    /// Folder for map.svg, map.png and map.html.
    #[arg(long, short, default_value = "qpv-map", value_name = "DIR")]
    pub out: PathBuf,
}

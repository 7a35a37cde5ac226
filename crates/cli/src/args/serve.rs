//! `qpv serve`.

use super::{BuildingsArgs, GridArgs, PerimeterArgs, RuleArgs, SettingsArg};
use clap::Args;
use std::path::PathBuf;

/// `qpv serve`
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub input: GridArgs,

    #[command(flatten)]
    pub rule: RuleArgs,

    #[command(flatten)]
    pub perimeters: PerimeterArgs,

    #[command(flatten)]
    pub buildings: BuildingsArgs,

    /// An adjustments file to start from: a session to resume (`DIR/session.toml`) or
    /// any file of steps; its steps are replayed, then the map takes over.
    #[arg(long, value_name = "FILE")]
    pub edits: Option<PathBuf>,

    /// REP/REP+ schools (GeoJSON points, as `include_schools`): the file the page's
    /// "include REP schools" uses; the page can name no other file.
    #[arg(long, value_name = "FILE")]
    pub schools: Option<PathBuf>,

    /// A basemap: an XYZ tile template such as
    /// https://tile.openstreetmap.org/{z}/{x}/{y}.png (without it the page needs no network).
    #[arg(long, value_name = "URL")]
    pub tiles: Option<String>,

    /// Port (0: any free port, printed).
    #[arg(long, default_value_t = qpv_serve::DEFAULT_PORT, value_name = "N")]
    pub port: u16,

    /// Address to listen on. 0.0.0.0 opens the session to the network (a meeting room's):
    /// a warning is printed.
    #[arg(long, default_value_t = qpv_serve::DEFAULT_LISTEN, value_name = "ADDR")]
    pub listen: std::net::IpAddr,

    /// Open the page in the default browser.
    #[arg(long)]
    pub open: bool,

    #[command(flatten)]
    pub settings: SettingsArg,

    /// Folder of the session: session.toml (the adjustments, written after every edit),
    /// geometry/ (the polygons drawn), settings.toml, and export/.
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,
}

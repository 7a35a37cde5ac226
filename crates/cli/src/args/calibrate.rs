//! `qpv calibrate`.

use super::{GridArgs, RuleArgs, SettingsArg};
use clap::Args;
use std::path::PathBuf;

/// `qpv calibrate`
#[derive(Debug, Clone, Args)]
pub struct CalibrateArgs {
    #[command(flatten)]
    pub input: GridArgs,

    #[command(flatten)]
    pub rule: RuleArgs,

    #[command(flatten)]
    pub settings: SettingsArg,

    /// Number of quartiers to reproduce (2024 geography, metropolitan France: 1 362).
    #[arg(long, default_value_t = qpv_core::GEOGRAPHY_2024_QUARTIERS, value_name = "N")]
    pub target_count: f64,

    /// Inhabitants to reproduce (2024 geography: about 5.3 million).
    #[arg(long, default_value_t = qpv_core::GEOGRAPHY_2024_INHABITANTS, value_name = "N")]
    pub target_population: f64,

    /// Try 4 as well as 8 neighbours.
    #[arg(long)]
    pub search_connectivity: bool,

    /// Smallest factor tried.
    #[arg(long, default_value_t = 1.0, value_name = "F")]
    pub from: f64,

    /// Largest factor tried.
    #[arg(long, default_value_t = 1.6, value_name = "F")]
    pub to: f64,

    /// Step between factors.
    #[arg(long, default_value_t = 0.005, value_name = "F")]
    pub step: f64,

    /// Settings file to write (TOML), for `qpv run --settings FILE`.
    #[arg(long, short, default_value = "qpv-calibrated.toml", value_name = "FILE")]
    pub out: PathBuf,
}

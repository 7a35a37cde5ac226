//! `qpv sweep`.

use super::{GridArgs, RuleArgs, SettingsArg};
use clap::Args;
use std::path::PathBuf;

/// `qpv sweep`
#[derive(Debug, Clone, Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub input: GridArgs,

    #[command(flatten)]
    pub rule: RuleArgs,

    #[command(flatten)]
    pub settings: SettingsArg,

    /// A parameter and its values: `factor=1.15..1.45:0.05` (range with step) or
    /// `connectivity=4,8` (list). Parameters: factor (calibration_factor), connectivity,
    /// min_population, holes (fill empty holes: true,false), ratio, national_weight,
    /// min_territory_population. Repeat for a grid of combinations.
    #[arg(long = "set", value_name = "NAME=VALUES", required = true)]
    pub set: Vec<String>,

    /// Folder for sweep.csv, sweep_by_uu.csv, robustness.csv and manifest.json.
    #[arg(long, short, default_value = "qpv-sweep", value_name = "DIR")]
    pub out: PathBuf,
}

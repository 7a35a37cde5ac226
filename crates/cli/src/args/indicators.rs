//! `qpv indicators`.

use super::{GridArgs, PerimeterArgs, RuleArgs};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// Extra rows of `qpv indicators`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ByArg {
    /// Per commune: its part inside the perimeters and the whole commune.
    Commune,
    /// Per EPCI (intercommunality): its part inside the perimeters and the whole EPCI.
    Epci,
}

/// `qpv indicators`
#[derive(Debug, Clone, Args)]
pub struct IndicatorsArgs {
    #[command(flatten)]
    pub input: GridArgs,

    #[command(flatten)]
    pub rule: RuleArgs,

    #[command(flatten)]
    pub perimeters: PerimeterArgs,

    /// Add rows per commune and/or per EPCI, comma-separated: commune,epci.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "LEVELS")]
    pub by: Vec<ByArg>,

    /// Output CSV file (Parquet when it ends in .parquet, in a qpv built with `--features parquet`).
    #[arg(long, short, default_value = "qpv-out/indicators.csv", value_name = "FILE")]
    pub out: PathBuf,
}

//! `qpv reference build` and `qpv reference totals`.

use super::GridArgs;
use clap::Args;
use std::path::PathBuf;

/// `qpv reference build`
#[derive(Debug, Args)]
pub struct ReferenceBuildArgs {
    #[command(flatten)]
    pub input: GridArgs,

    /// Name of the data vintage, recorded in the file (e.g. filosofi2019).
    #[arg(long, default_value = qpv_grid::reference::FILOSOFI2019)]
    pub vintage: String,

    /// Output JSON file.
    #[arg(long, short, value_name = "FILE")]
    pub out: PathBuf,

    /// Poverty line, €/year (default: 60 % of the national median, as a fixed point of the model).
    #[arg(long, value_name = "EUR")]
    pub poverty_line: Option<f64>,
}

/// `qpv reference totals`
#[derive(Debug, Clone, Args)]
pub struct ReferenceTotalsArgs {
    #[command(flatten)]
    pub input: GridArgs,

    /// Output CSV file (gzip-compressed when it ends in .gz).
    #[arg(long, short, value_name = "FILE")]
    pub out: PathBuf,
}

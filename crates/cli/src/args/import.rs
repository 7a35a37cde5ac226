//! `qpv import`.

use super::GridArgs;
use clap::Args;
use std::path::PathBuf;

/// `qpv import`
#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub input: GridArgs,

    /// The cache file to write (e.g. grid.qpvgrid).
    #[arg(long, short, value_name = "FILE")]
    pub out: PathBuf,
}

//! `qpv import`: a grid parsed once into a binary cache.

use crate::analysed::{Reading, read_grid};
use crate::args::ImportArgs;
use crate::printer::{Printer, thousands};
use anyhow::Result;
use qpv_grid::OutputSet;

/// Reads the grid and writes its cache.
pub fn import(args: &ImportArgs, printer: Printer) -> Result<()> {
    let file = read_grid(&args.input.options(), Reading::default(), printer)?;
    file.grid.index().map_err(|e| anyhow::anyhow!("{}: {e}", file.input.path))?;
    let bytes =
        qpv_grid::grid_cache::encode(&file.grid, &file.layout, file.source.as_ref().unwrap_or(&file.input));
    let size = bytes.len();
    if !file.skipped.is_empty() {
        printer.warn(format!("{} bad rows were left out of the cache", thousands(file.skipped.len() as f64)));
    }
    OutputSet::write_one(&args.out, bytes)?;
    printer.info(format!("wrote {} ({} MB)", args.out.display(), size >> 20));
    Ok(())
}

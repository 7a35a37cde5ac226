//! `qpv import`: a grid parsed once into a binary cache.

use crate::args::ImportArgs;
use crate::printer::{Printer, thousands};
use anyhow::{Context, Result};
use qpv_io::OutputSet;

/// Reads the grid and writes its cache.
pub fn import(args: &ImportArgs, printer: Printer) -> Result<()> {
    let file = super::read_grid(&args.input, printer)?;
    file.grid.index().map_err(|e| anyhow::anyhow!("{}: {e}", file.input.path))?;
    let bytes =
        qpv_io::grid_cache::encode(&file.grid, &file.layout, file.source.as_ref().unwrap_or(&file.input));
    let dir = args.out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let name = args.out.file_name().context("--out must name a file")?.to_string_lossy().into_owned();
    let size = bytes.len();
    let mut out = OutputSet::new(dir);
    out.add(name, bytes);
    if !file.skipped.is_empty() {
        printer.warn(format!("{} bad rows were left out of the cache", thousands(file.skipped.len() as f64)));
    }
    out.commit()?;
    printer.info(format!("wrote {} ({} MB)", args.out.display(), size >> 20));
    Ok(())
}

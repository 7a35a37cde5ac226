//! `qpv reference build`: the median reference of a whole grid.

use crate::args::ReferenceBuildArgs;
use crate::printer::{Printer, thousands};
use anyhow::{Context, Result, bail};
use qpv_core::{IncomeModel, MedianReference, Placement, Territory};
use qpv_io::OutputSet;

/// Builds and writes the reference.
pub fn build(args: &ReferenceBuildArgs, printer: Printer) -> Result<()> {
    let file = super::read_grid(&args.input, printer)?;
    let (communes, _) = crate::settings::communes(&args.input)?;
    let frame = file.grid.frame().context("empty grid")?;
    if Territory::for_epsg(frame.epsg) != Some(Territory::Metropolitan) {
        bail!(
            "a median reference is built on the metropolitan grid (EPSG:3035), this one is EPSG:{}",
            frame.epsg
        );
    }
    file.grid.index().map_err(|e| anyhow::anyhow!("{}: {e}", file.input.path))?;
    let placement = Placement::new(&file.grid, &communes, Territory::Metropolitan);
    let started = std::time::Instant::now();
    let reference = MedianReference::build(
        &file.grid,
        &placement,
        &IncomeModel::default(),
        &args.vintage,
        args.poverty_line,
    )
    .context("the grid has no square with income data")?;
    if reference.national_individuals < 50e6 {
        printer.warn(format!(
            "the grid holds {} inhabitants: a reference should be built on the whole metropolitan grid",
            thousands(reference.national_individuals)
        ));
    }
    printer.info(format!(
        "national median {} €, poverty line {} €, {} urban units, in {:.2} s",
        thousands(reference.national_median),
        thousands(reference.poverty_line),
        reference.units.len(),
        started.elapsed().as_secs_f64()
    ));
    OutputSet::write_one(&args.out, qpv_io::reference::reference_json(&reference))?;
    printer.info(format!("wrote {}", args.out.display()));
    Ok(())
}

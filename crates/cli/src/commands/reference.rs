//! `qpv reference build`: the median reference of a whole grid.

use crate::analysed::{Reading, read_grid};
use crate::args::{ReferenceBuildArgs, ReferenceTotalsArgs};
use crate::printer::{Printer, thousands};
use anyhow::{Context, Result, bail};
use qpv_core::{IncomeModel, MedianReference, Placement, Territory};
use qpv_grid::OutputSet;

/// Builds and writes the reference.
pub fn build(args: &ReferenceBuildArgs, printer: Printer) -> Result<()> {
    let options = args.input.options();
    let file = read_grid(&options, Reading::default(), printer)?;
    let (communes, _) = options.commune_table()?;
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
    OutputSet::write_one(&args.out, qpv_grid::reference::reference_json(&reference))?;
    printer.info(format!("wrote {}", args.out.display()));
    Ok(())
}

/// Sums every column per urban unit and for the country.
pub fn totals(args: &ReferenceTotalsArgs, printer: Printer) -> Result<()> {
    let options = args.input.options();
    let file = read_grid(&options, Reading { profiles: true }, printer)?;
    let missing = file.layout.missing_profile_columns();
    if !missing.is_empty() {
        bail!("{}: the grid lacks descriptive columns ({})", file.input.path, missing.join(", "));
    }
    let (communes, _) = options.commune_table()?;
    let territory = crate::analysed::territory(&file)?;
    let placement = Placement::new(&file.grid, &communes, territory);
    let profiles = file.profiles.as_ref();
    let by_unit = qpv_core::profile::unit_totals(
        &file.grid,
        profiles,
        &placement.unit_of_square,
        placement.units.len(),
    );
    let all: Vec<u32> = (0..file.grid.len() as u32).collect();
    let table = qpv_grid::totals::TotalsTable {
        france: qpv_core::Totals::of_squares(&file.grid, profiles, &all),
        units: placement.units.iter().zip(by_unit).map(|(u, t)| (u.code.clone(), t)).collect(),
    };
    if table.france.individuals < 50e6 {
        printer.warn(format!(
            "the grid holds {} inhabitants: totals should be built on the whole metropolitan grid",
            thousands(table.france.individuals)
        ));
    }
    let csv = qpv_grid::totals::totals_csv(&table);
    let bytes = if args.out.extension().is_some_and(|e| e == "gz") {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&csv)?;
        gz.finish()?
    } else {
        csv
    };
    OutputSet::write_one(&args.out, bytes)?;
    printer.info(format!("wrote {} ({} urban units)", args.out.display(), table.units.len()));
    Ok(())
}

//! One file per subcommand.

pub mod adjust;
pub mod compare;
pub mod import;
pub mod indicators;
pub mod map;
pub mod reference;
pub mod run;
pub mod sweep;

use crate::printer::{Printer, thousands};
use crate::progress::Bar;
use anyhow::Result;
use qpv_io::{GridFile, GridReader};
use std::time::Instant;

/// Reads the grid named by the arguments, reporting time and skipped rows.
pub fn read_grid(args: &crate::args::GridArgs, printer: Printer) -> Result<GridFile> {
    read_grid_with(args, printer, false)
}

/// Reads the grid, with its descriptive columns when `profiles` (for indicators).
pub fn read_grid_with(args: &crate::args::GridArgs, printer: Printer, profiles: bool) -> Result<GridFile> {
    let started = Instant::now();
    let bar = Bar::new(printer.shows_progress());
    let file = GridReader::new(crate::settings::grid_source(args))
        .skip_bad_rows(args.tables.skip_bad_rows)
        .profiles(profiles)
        .progress(&bar)
        .finish()?;
    printer.info(format!(
        "read {} squares ({} inhabitants) from {} in {:.2} s [{} layout]",
        thousands(file.grid.len() as f64),
        thousands(file.grid.individuals()),
        file.input.path,
        started.elapsed().as_secs_f64(),
        file.layout.release.label()
    ));
    for row in file.skipped.iter().take(20) {
        printer.warn(format!("{}, line {}: {} (row left out)", file.input.path, row.line, row.problem));
    }
    if file.skipped.len() > 20 {
        printer.warn(format!(
            "… {} more rows left out; all are listed in skipped_rows.csv",
            file.skipped.len() - 20
        ));
    }
    if file.grid.is_empty() {
        anyhow::bail!("{}: every row was bad, no square left", file.input.path);
    }
    Ok(file)
}

/// The inputs of a run for its manifest: the grid (and the CSV a cache came from), the
/// commune table and the median reference.
pub fn inputs_of(
    file: &GridFile,
    communes: qpv_io::InputFile,
    medians: Option<&qpv_io::InputFile>,
) -> Vec<qpv_io::InputFile> {
    let mut inputs = vec![file.input.clone()];
    inputs.extend(file.source.clone());
    inputs.push(communes);
    inputs.extend(medians.cloned());
    inputs
}

/// `skipped_rows.csv`: line and problem of each row left out.
pub fn skipped_rows_csv(file: &GridFile) -> Vec<u8> {
    let mut out = String::from("line,problem\n");
    for row in &file.skipped {
        out.push_str(&format!("{},\"{}\"\n", row.line, row.problem.to_string().replace('"', "'")));
    }
    out.into_bytes()
}

/// A grid read and run through the method: what `compare` and `indicators` start from.
pub struct Analysed {
    /// The grid as read.
    pub file: GridFile,
    /// The commune table.
    pub communes: qpv_core::CommuneTable,
    /// The inputs for a manifest (grid, communes, medians).
    pub inputs: Vec<qpv_io::InputFile>,
    /// The median reference, when one applies.
    pub reference: Option<qpv_core::MedianReference>,
    /// The settings applied.
    pub settings: qpv_core::RunSettings,
    /// The run.
    pub output: qpv_core::RunOutput,
}

/// Reads a grid and the commune table, and runs the method with the rule's options.
pub fn analyse(
    input: &crate::args::GridArgs,
    rule: &crate::args::RuleArgs,
    profiles: bool,
    printer: Printer,
) -> Result<Analysed> {
    use anyhow::Context;
    let file = read_grid_with(input, printer, profiles)?;
    let (communes, communes_input) = crate::settings::communes(input)?;
    let frame = file.grid.frame().context("empty grid")?;
    let territory = qpv_core::Territory::for_epsg(frame.epsg).with_context(|| {
        format!("{}: EPSG:{} is not a Filosofi grid CRS (3035, 5490, 2975)", file.input.path, frame.epsg)
    })?;
    let source = crate::settings::median_source(rule.medians.as_deref(), file.layout.release)?;
    let reference = crate::settings::load_reference(&source)?;
    let settings = crate::settings::run_settings(rule, territory)?;
    let output = qpv_core::Pipeline::new(&file.grid, &communes)
        .settings(settings.clone())
        .reference(reference.as_ref().map(|r| &r.0))
        .run()
        .with_context(|| file.input.path.to_string())?;
    let inputs = inputs_of(&file, communes_input, reference.as_ref().map(|r| &r.1));
    Ok(Analysed { file, communes, inputs, reference: reference.map(|r| r.0), settings, output })
}

/// Refuses Parquet output in a build without the `parquet` feature, saying how to get it.
pub fn parquet_available(wanted: bool) -> Result<()> {
    if wanted && !cfg!(feature = "parquet") {
        anyhow::bail!(
            "this qpv was built without Parquet support (polars is slow to build); rebuild with \
             `cargo build --release --features parquet`"
        );
    }
    Ok(())
}

/// `squares.parquet` of a run.
#[cfg(feature = "parquet")]
pub fn squares_parquet(
    grid: &qpv_core::Grid,
    output: &qpv_core::RunOutput,
    settings: &qpv_core::RunSettings,
) -> Result<Vec<u8>> {
    let fits = qpv_core::medians::fit_squares(grid, &settings.model, output.flagged.poverty_line);
    Ok(qpv_io::parquet::squares_parquet(grid, output, &fits)?)
}

/// Unreachable without the feature ([`parquet_available`] refuses first).
#[cfg(not(feature = "parquet"))]
pub fn squares_parquet(
    _: &qpv_core::Grid,
    _: &qpv_core::RunOutput,
    _: &qpv_core::RunSettings,
) -> Result<Vec<u8>> {
    parquet_available(true).map(|()| Vec::new())
}

/// A CSV table as Parquet.
#[cfg(feature = "parquet")]
pub fn csv_parquet(csv: &[u8]) -> Result<Vec<u8>> {
    Ok(qpv_io::parquet::csv_parquet(csv)?)
}

/// Unreachable without the feature ([`parquet_available`] refuses first).
#[cfg(not(feature = "parquet"))]
pub fn csv_parquet(_: &[u8]) -> Result<Vec<u8>> {
    parquet_available(true).map(|()| Vec::new())
}

/// The perimeter file of the arguments, read into `epsg`, with its repairs reported.
pub fn perimeter_file(
    args: &crate::args::PerimeterArgs,
    epsg: u32,
    printer: Printer,
) -> Result<Option<qpv_io::perimeters::PerimeterFile>> {
    let Some(path) = &args.perimeters else { return Ok(None) };
    let crs = args
        .crs
        .as_deref()
        .map(|c| qpv_io::perimeters::parse_crs(c).ok_or_else(|| anyhow::anyhow!("--crs {c}: unknown CRS")))
        .transpose()?;
    let file = qpv_io::perimeters::read_perimeters(path, crs, args.layer.as_deref(), epsg)?;
    for (k, r) in &file.repairs {
        printer.warn(format!("{}: perimeter {}: {r}", file.input.path, file.perimeters.ids[*k]));
    }
    printer.info(format!("read {} perimeters from {}", file.perimeters.len(), file.input.path));
    Ok(Some(file))
}

//! One file per subcommand.

pub mod adjust;
pub mod import;
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
    let started = Instant::now();
    let bar = Bar::new(printer.shows_progress());
    let file = GridReader::new(crate::settings::grid_source(args))
        .skip_bad_rows(args.skip_bad_rows)
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

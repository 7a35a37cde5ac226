//! One file per subcommand.

pub mod adjust;
pub mod atlas;
pub mod check;
pub mod compare;
pub mod import;
pub mod indicators;
pub mod map;
pub mod reference;
pub mod run;
pub mod serve;
pub mod sweep;

use crate::printer::Printer;
use anyhow::Result;

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
pub fn squares_parquet(a: &crate::analysed::Analysed) -> Result<Vec<u8>> {
    Ok(qpv_layers::parquet::squares_parquet(&a.file.grid, &a.output, a.fits())?)
}

/// Unreachable without the feature ([`parquet_available`] refuses first).
#[cfg(not(feature = "parquet"))]
pub fn squares_parquet(_: &crate::analysed::Analysed) -> Result<Vec<u8>> {
    parquet_available(true).map(|()| Vec::new())
}

/// A CSV table as Parquet.
#[cfg(feature = "parquet")]
pub fn csv_parquet(csv: &[u8]) -> Result<Vec<u8>> {
    Ok(qpv_layers::parquet::csv_parquet(csv)?)
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
) -> Result<Option<qpv_layers::perimeters::PerimeterFile>> {
    let Some(path) = &args.perimeters else { return Ok(None) };
    let crs = args
        .crs
        .as_deref()
        .map(|c| {
            qpv_layers::perimeters::parse_crs(c).ok_or_else(|| anyhow::anyhow!("--crs {c}: unknown CRS"))
        })
        .transpose()?;
    let file = qpv_layers::perimeters::read_perimeters(path, crs, args.layer.as_deref(), epsg)?;
    report_perimeter_file(&file, printer);
    Ok(Some(file))
}

/// What was read from a perimeter file, its repairs, and the features left out because
/// they hold no polygon (every command that reads perimeters says the same).
pub fn report_perimeter_file(f: &qpv_layers::perimeters::PerimeterFile, printer: Printer) {
    printer.info(format!(
        "read {} perimeters from {} ({}, EPSG:{}{})",
        f.perimeters.len(),
        f.input.path,
        f.format.label(),
        f.epsg,
        f.crs_origin.note()
    ));
    for (k, r) in &f.repairs {
        printer.warn(format!("{}: perimeter {}: {r}", f.input.path, f.perimeters.ids[*k]));
    }
    if !f.without_polygon.is_empty() {
        printer.warn(format!(
            "{}: {} features hold no polygon and were left out (features {:?})",
            f.input.path,
            f.without_polygon.len(),
            &f.without_polygon[..f.without_polygon.len().min(10)]
        ));
    }
}

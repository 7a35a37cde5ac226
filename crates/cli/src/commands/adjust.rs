//! `qpv adjust`: the analyst's adjustments applied in order to the perimeters of a file,
//! each re-checked and audited, through the step interpreter
//! [`qpv_layers::adjustments::apply`] that `qpv run --edits` and `qpv serve` use too. The
//! caller builds the [`Adjuster`] it starts from.

use crate::analysed::{self, Reading};
use crate::args::{AdjustArgs, FormatArg};
use crate::printer::{Printer, thousands};
use crate::settings::RunOptions;
use anyhow::{Context, Result};
use qpv_core::Adjuster;
use qpv_grid::OutputSet;
use qpv_grid::manifest::{Manifest, OutputEntry};
use qpv_layers::adjustments::{Run, apply};
use qpv_layers::edits::Edits;
use qpv_layers::layers::{Formats, LayerWriter};
use qpv_layers::tables::LatticeRow;
use serde_json::json;

/// `qpv adjust`: the steps of an adjustments file applied to the perimeters of a file,
/// each taken as the squares whose centre it contains.
pub fn adjust(args: &AdjustArgs, printer: Printer) -> Result<()> {
    let names = FormatArg::names(&FormatArg::with_geojson(args.format.as_deref()));
    let formats = Formats::parse(&names).map_err(anyhow::Error::msg)?;
    let out_crs = super::run::output_crs(args.out_crs.as_deref())?;
    let edits = Edits::read(&args.edits)?;
    let options = crate::args::judging_options(&args.rule, &args.input, &args.buildings, &args.settings)?;
    let a = analysed::analyse(&options, Reading::default(), printer)?;
    let file = super::perimeter_file(&args.perimeters.optional(), a.epsg(), printer)?
        .context("--perimeters FILE is needed: the perimeters to adjust")?;
    let perimeters = super::check::file_perimeters(&a, &file)?;
    let request = FileOutputs {
        file: &file,
        perimeters: &perimeters,
        edits: &edits,
        formats,
        out_crs,
        settings: &a.options,
    };
    for p in write_file_outputs(&a, request, &args.out, printer)? {
        printer.info(format!("wrote {}", p.display()));
    }
    Ok(())
}

/// The perimeters of a file and the edits to apply to them.
pub struct FileOutputs<'a> {
    /// The file as read.
    pub file: &'a qpv_layers::perimeters::PerimeterFile,
    /// Its perimeters on the lattice.
    pub perimeters: &'a [super::check::FilePerimeter],
    /// The adjustments.
    pub edits: &'a Edits,
    /// Output formats (GeoJSON is always written).
    pub formats: Formats,
    /// `--out-crs`.
    pub out_crs: Option<u32>,
    /// The options the manifest records: the run's, or the command line a `qpv serve`
    /// export stands for.
    pub settings: &'a RunOptions,
}

/// Writes what `qpv adjust` writes, all or nothing (also `qpv serve`'s export of a
/// session started from a perimeter file).
pub fn write_file_outputs(
    a: &analysed::Analysed,
    request: FileOutputs<'_>,
    dir: &std::path::Path,
    printer: Printer,
) -> Result<Vec<std::path::PathBuf>> {
    let FileOutputs { file, perimeters, edits, formats, out_crs, settings } = request;
    let epsg = a.epsg();
    let start = file_adjuster(a, perimeters, None);
    let lattice_rows = lattice_report(&start, perimeters);
    for r in lattice_rows.iter().filter(|r| r.cut_squares > 0) {
        printer.info(format!(
            "{}: {} squares cut by its line; on the lattice {} inhabitants, by area share {} ({:+})",
            r.id,
            r.cut_squares,
            thousands(r.lattice),
            thousands(r.area_share),
            (r.lattice - r.area_share).round()
        ));
    }
    let run = Run { output: &a.output, grid: &a.file.grid, communes: &a.communes, settings: &a.settings };
    let mut out = OutputSet::new(dir);
    let adjusted = apply(edits, &run, start, &mut out)?;
    out.add("lattice.csv", qpv_layers::tables::lattice_csv(&lattice_rows)?);
    let (layers, audit) = adjusted.layers();
    let writer = LayerWriter {
        formats: Formats { geojson: true, ..formats },
        crs: out_crs,
        grid_epsg: epsg,
        gpkg_name: "qpv",
    };
    writer.write(&layers, &[audit], &mut out)?;
    for w in &adjusted.warnings {
        printer.warn(w);
    }
    let mut inputs = vec![file.input.clone(), edits.input.clone()];
    inputs.extend(adjusted.inputs.iter().cloned());
    inputs.extend(a.inputs.iter().cloned());
    let manifest = Manifest {
        method: json!({
            "perimeters": file.input.path,
            "edits": edits.input.path,
            "lattice": "each perimeter of the file is taken as the 200 m squares whose centre it contains \
                        (lattice.csv: squares cut and inhabitants against the area-share figure)",
        }),
        results: json!({ "adjustments": adjusted.summary }),
        warnings: adjusted.warnings.clone(),
        outputs: out.listing().into_iter().map(|(file, bytes)| OutputEntry { file, bytes }).collect(),
        ..a.manifest("adjust", inputs, settings)?
    };
    out.add("manifest.json", manifest.to_json());
    printer.info(format!("adjustments: {}", adjusted.summary));
    Ok(out.commit()?)
}

/// The adjuster starting from a file's perimeters on the lattice (with the grid's
/// lookup when the caller holds one).
pub fn file_adjuster<'a>(
    a: &'a analysed::Analysed,
    perimeters: &[super::check::FilePerimeter],
    lookup: Option<&'a qpv_core::CellLookup>,
) -> Adjuster<'a> {
    let lines =
        perimeters.iter().map(|p| (p.id.clone(), p.name.clone(), p.cells.clone(), p.drawn.clone())).collect();
    Adjuster::from_lines(&a.file.grid, &a.output, &a.settings, lines, lookup)
}

fn lattice_report(start: &Adjuster<'_>, perimeters: &[super::check::FilePerimeter]) -> Vec<LatticeRow> {
    start
        .perimeters
        .iter()
        .zip(perimeters)
        .map(|(p, f)| LatticeRow {
            id: p.id.clone(),
            cut_squares: f.residents.cut_squares,
            area_share: f.residents.totals.individuals,
            lattice: start.figures(p).individuals,
        })
        .collect()
}

//! `qpv run`: candidate perimeters from a grid.

use crate::analysed::{self, Analysed, Reading};
use crate::args::{FormatArg, RunArgs};
use crate::printer::{Printer, thousands};
use crate::settings::{MedianSource, RunOptions};
use anyhow::{Context, Result};
use qpv_core::{MedianOrigin, RunOutput, RunSettings, Territory, Warning};
use qpv_grid::manifest::{Manifest, OutputEntry};
use qpv_grid::{GridFile, InputFile, OutputSet};
use qpv_layers::crs::Transformer;
use qpv_layers::layers::{Content, Formats, Layer, LayerWriter};
use qpv_layers::styles::Style;
use qpv_layers::{export, records};
use serde_json::json;
use std::time::Instant;

/// What every output says about the figures.
pub const ESTIMATE_NOTE: &str = "Medians are ESTIMATES: the public Filosofi grid has no median, so each square's \
    niveau de vie is modelled as a log-normal fitted to its mean (ind_snv/ind) and poor-household share \
    (men_pauv/men); pooled medians are medians of the population-weighted mixture. The legal threshold is in \
    declared income; it is multiplied by the calibration factor before comparison with these disposable-income \
    estimates. See the README (Method, Calibration).";

/// Runs the method and writes the outputs.
pub fn run(args: &RunArgs, printer: Printer) -> Result<()> {
    let options = args.options()?;
    let formats = options.formats();
    super::parquet_available(formats.contains(&FormatArg::Parquet))?;
    let out_crs = output_crs(options.crs.as_deref())?;
    // Check the adjustments file before the long work.
    let edits = options.edits.as_deref().map(qpv_layers::edits::Edits::read).transpose()?;
    let mut clock = Timings::new(args.timings);
    let loaded = analysed::load(&options, Reading::default(), printer)?;
    clock.laps.push(("read grid and communes".into(), loaded.read_time));
    clock.restart();
    let a = loaded.analyse()?;
    clock.laps.extend(a.output.timings.iter().map(|(n, d)| (n.to_string(), *d)));
    clock.restart();
    let request =
        Outputs { edits: edits.as_ref(), formats: &formats, out_crs, dir: &args.out, settings: &a.options };
    let written = write_outputs(&a, request, printer, &mut clock)?;
    summary(printer, &a.output, &a.file.grid, a.run_time.as_secs_f64(), &a.settings);
    for path in written {
        printer.info(format!("wrote {}", path.display()));
    }
    clock.print();
    Ok(())
}

/// What to write of a run.
pub struct Outputs<'a> {
    /// The adjustments to apply to the candidates.
    pub edits: Option<&'a qpv_layers::edits::Edits>,
    /// The formats (`--format`).
    pub formats: &'a [FormatArg],
    /// `--crs`.
    pub out_crs: Option<u32>,
    /// The folder.
    pub dir: &'a std::path::Path,
    /// The options the manifest records: the run's, or the command line a `qpv serve`
    /// export stands for.
    pub settings: &'a RunOptions,
}

/// Writes the outputs of a run (and of its adjustments), all or nothing: what `qpv run`
/// writes, and what `qpv serve` exports, so that the two are the same bytes.
pub fn write_outputs(
    a: &Analysed,
    request: Outputs<'_>,
    printer: Printer,
    clock: &mut Timings,
) -> Result<Vec<std::path::PathBuf>> {
    let parquet = request.formats.contains(&FormatArg::Parquet);
    let layer_formats: Vec<FormatArg> =
        request.formats.iter().copied().filter(|f| *f != FormatArg::Parquet).collect();
    let formats = Formats::parse(&FormatArg::names(&layer_formats)).map_err(anyhow::Error::msg)?;
    let (file, communes, output, run_settings) = (&a.file, &a.communes, &a.output, &a.settings);
    let frame = file.grid.frame().context("empty grid")?;
    let mut warnings = warnings(output, file);
    let (candidates, near_misses) = records::area_records(output, &file.grid, communes);
    let to_wgs84 = Transformer::new(frame.epsg, 4326)?;
    let mut out = OutputSet::new(request.dir);
    out.add("candidates.csv", export::candidates_csv(&candidates, &to_wgs84)?);
    out.add("near_misses.csv", export::near_misses_csv(&near_misses, &to_wgs84)?);
    if !file.skipped.is_empty() {
        out.add("skipped_rows.csv", qpv_layers::tables::skipped_rows_csv(&file.skipped)?);
    }
    let mut inputs = a.inputs.clone();

    let mut adjustments = None;
    if let Some(edits) = request.edits {
        let ids: Vec<String> = candidates.iter().map(|c| c.record.id.clone()).collect();
        let base =
            qpv_layers::adjustments::Run { output, grid: &file.grid, communes, settings: run_settings };
        let start = qpv_core::Adjuster::new(&file.grid, output, &ids, run_settings);
        let adjusted = qpv_layers::adjustments::apply(edits, &base, start, &mut out)?;
        inputs.push(edits.input.clone());
        inputs.extend(adjusted.inputs.clone());
        warnings.extend(adjusted.warnings.clone());
        adjustments = Some(adjusted);
    }
    let near_miss_layer = records::near_miss_records(output, &file.grid, near_misses);
    let mut layers = vec![
        Layer {
            name: "candidates",
            description: "statistical candidate perimeters (estimates)",
            content: Content::Perimeters(&candidates),
            style: Style::Candidates,
        },
        Layer {
            name: "near_misses",
            description: "areas of flagged squares that fail the rule",
            content: Content::Perimeters(&near_miss_layer),
            style: Style::NearMisses,
        },
    ];
    let mut tables = Vec::new();
    if let Some(a) = &adjustments {
        let (more, audit) = a.layers();
        layers.extend(more);
        tables.push(audit);
    }
    if parquet {
        out.add("squares.parquet", super::squares_parquet(a)?);
    }
    let writer = LayerWriter { formats, crs: request.out_crs, grid_epsg: frame.epsg, gpkg_name: "qpv" };
    writer.write(&layers, &tables, &mut out)?;
    let adjustments = adjustments.map(|a| a.summary);
    for w in &warnings {
        printer.warn(w);
    }
    let mut manifest = manifest(a, request.settings, inputs, warnings, &out)?;
    if let Some(summary) = adjustments {
        printer.info(format!("adjustments: {summary}"));
        manifest.results["adjustments"] = summary;
    }
    out.add("manifest.json", manifest.to_json());
    clock.lap("outputs encoded");
    let written = out.commit()?;
    clock.lap("outputs written");
    Ok(written)
}

/// `--crs`: one of the output CRSs, or the defaults of each format.
pub fn output_crs(name: Option<&str>) -> Result<Option<u32>> {
    let Some(name) = name else { return Ok(None) };
    let code = qpv_layers::perimeters::parse_crs(name).filter(|c| qpv_layers::crs::OUTPUT_CRS.contains(c));
    code.map(Some).ok_or_else(|| {
        anyhow::anyhow!("--crs {name}: outputs are written in EPSG:4326, EPSG:2154 or EPSG:3035")
    })
}

/// Stage timings for `--timings`.
pub struct Timings {
    on: bool,
    start: Instant,
    laps: Vec<(String, std::time::Duration)>,
}

impl Timings {
    /// Timings, printed by [`Timings::print`] when `on`.
    pub fn new(on: bool) -> Self {
        Timings { on, start: Instant::now(), laps: Vec::new() }
    }

    fn lap(&mut self, name: &str) {
        self.laps.push((name.to_owned(), self.start.elapsed()));
        self.start = Instant::now();
    }

    fn restart(&mut self) {
        self.start = Instant::now();
    }

    fn print(&self) {
        if self.on {
            let total: f64 = self.laps.iter().map(|l| l.1.as_secs_f64()).sum();
            for (name, d) in &self.laps {
                eprintln!("timing: {name:<18} {:>8.3} s", d.as_secs_f64());
            }
            eprintln!("timing: {:<18} {total:>8.3} s", "total");
        }
    }
}

fn warnings(output: &RunOutput, file: &GridFile) -> Vec<String> {
    let mut out = Vec::new();
    let unknown = &output.placement.unknown;
    if !unknown.codes.is_empty() {
        let examples: Vec<String> = unknown
            .codes
            .iter()
            .take(5)
            .map(|(code, (n, line))| format!("{code} ({n} squares, first on line {line})"))
            .collect();
        out.push(format!(
            "{} commune codes of {} are not in the commune table: {}{}; {} squares ({} inhabitants) have no known \
             commune and cannot be flagged (hint: try --cog 2024 or --communes FILE)",
            unknown.codes.len(),
            file.input.path,
            examples.join(", "),
            if unknown.codes.len() > 5 { ", …" } else { "" },
            thousands(unknown.squares as f64),
            thousands(unknown.individuals)
        ));
    }
    let code = |i: &str| i.to_owned();
    let partial: Vec<String> = output
        .flagged
        .warnings
        .iter()
        .filter_map(|w| match w {
            Warning::PartialUnitWithoutReference { code: c, coverage } => {
                Some(format!("{} ({:.0} %)", code(c), coverage * 100.0))
            }
            _ => None,
        })
        .collect();
    if !partial.is_empty() {
        out.push(format!(
            "{} urban units are only partly in the grid and have no reference median, so their median comes from \
             the part present: {}{} (hint: --medians filosofi2019 or a file from `qpv reference build`)",
            partial.len(),
            partial.iter().take(8).cloned().collect::<Vec<_>>().join(", "),
            if partial.len() > 8 { ", …" } else { "" }
        ));
    }
    for w in &output.flagged.warnings {
        match w {
            Warning::ReferenceMismatch { code, reference, grid } => out.push(format!(
                "urban unit {code} is wholly in the grid but its median here ({} €) differs from the reference's ({} €) \
                 by more than 1 %: is the reference of the same Filosofi vintage as the grid?",
                thousands(*grid),
                thousands(*reference)
            )),
            Warning::NationalMedianFromExtract { individuals } => out.push(format!(
                "the national median was computed on this grid alone ({} inhabitants), not on metropolitan France \
                 (hint: --medians filosofi2019, or --national-median EUR)",
                thousands(*individuals)
            )),
            Warning::PartialUnitWithoutReference { .. } => {}
        }
    }
    out
}

fn origin(o: MedianOrigin, source: &MedianSource) -> String {
    match (o, source) {
        (MedianOrigin::User, _) => "given by the user".into(),
        (MedianOrigin::Grid, _) => "computed on the input grid".into(),
        (MedianOrigin::Reference, MedianSource::Embedded(v)) => format!("embedded reference {v}"),
        (MedianOrigin::Reference, MedianSource::File(p)) => format!("reference file {}", p.display()),
        (MedianOrigin::Reference, MedianSource::Grid) => "reference".into(),
    }
}

fn manifest(
    a: &Analysed,
    settings: &RunOptions,
    inputs: Vec<InputFile>,
    warnings: Vec<String>,
    out: &OutputSet,
) -> Result<Manifest> {
    let (output, source) = (&a.output, &a.medians);
    let f = &output.flagged;
    let c = &output.candidates;
    let eligible = f.units.iter().filter(|u| u.eligible && u.grid_individuals > 0.0).count();
    // The settings are recorded once, resolved, in `settings`; `method` says what no
    // setting says.
    let method = json!({
        "territory": match a.territory { Territory::Metropolitan => "metropolitan", Territory::Overseas => "overseas" },
        "income_model": "log-normal per square, fitted to mean niveau de vie and poor-household share",
        "square_to_unit": "majority of the square's communes; ties to the most populous unit",
    });
    let medians = json!({
        "poverty_line": (f.poverty_line * 100.0).round() / 100.0,
        "poverty_line_origin": origin(f.poverty_line_origin, source),
        "national_median": (f.national_median * 100.0).round() / 100.0,
        "national_median_origin": origin(f.national_origin, source),
    });
    let candidate_ind: f64 = c.candidates.iter().map(|x| x.area.individuals).sum::<f64>() + 0.0;
    let results = json!({
        "squares": output.placement.unit_of_square.len(),
        "squares_without_known_commune": output.placement.unknown.squares,
        "eligible_territory_units_in_grid": eligible,
        "squares_without_income_estimate": f.unestimated,
        "squares_with_bounded_fit": f.clamped_fits,
        "flagged_squares": f.flagged.len(),
        "candidates": c.candidates.len(),
        "candidate_inhabitants": (candidate_ind * 10.0).round() / 10.0,
        "near_misses": c.near_misses.len(),
        "smaller_failing_areas": c.small_areas,
    });
    let outputs = out.listing().into_iter().map(|(file, bytes)| OutputEntry { file, bytes }).collect();
    Ok(Manifest {
        tool: "qpv".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        command: "run".into(),
        note: ESTIMATE_NOTE.into(),
        inputs,
        settings: serde_json::to_value(settings).context("recording the settings")?,
        method,
        medians,
        results,
        warnings,
        outputs,
    })
}

fn summary(printer: Printer, output: &RunOutput, grid: &qpv_core::Grid, elapsed: f64, s: &RunSettings) {
    let f = &output.flagged;
    let c = &output.candidates;
    let flagged_ind: f64 = f.flagged.iter().map(|&i| grid.values()[i as usize].individuals).sum();
    let cand_ind: f64 = c.candidates.iter().map(|x| x.area.individuals).sum();
    printer.info(format!(
        "medians: national {} €, poverty line {} € (estimated niveau de vie); calibration factor {}",
        thousands(f.national_median),
        thousands(f.poverty_line),
        s.rule.calibration_factor
    ));
    printer.info(format!(
        "flagged {} squares ({} inhabitants); {} candidates ({} inhabitants), {} near misses, {} smaller areas; in {:.2} s",
        thousands(f.flagged.len() as f64),
        thousands(flagged_ind),
        c.candidates.len(),
        thousands(cand_ind),
        c.near_misses.len(),
        c.small_areas,
        elapsed
    ));
    printer.info(format!(
        "income model: {} squares needed a bound of the model (mostly a poor share of 0), {} have no estimate (no households or values)",
        thousands(f.clamped_fits as f64),
        thousands(f.unestimated as f64)
    ));
    printer.info(
        "note: medians and thresholds compare model estimates, not INSEE's confidential medians (see README)",
    );
}

//! `qpv check`: any perimeter file (a mayor's proposal, the published list, last
//! cycle's contour) checked against each criterion of the decree.
//!
//! A drawn perimeter is taken two ways. By **area share** (as `compare`): the residents
//! of each 200 m square in proportion to its area inside, the best estimate of who lives
//! within the drawn line. On the **lattice**: the squares whose centre is inside
//! ([`qpv_core::lattice`]), the perimeter as the method builds quartiers, and as
//! `qpv adjust` and `qpv run --edits` edit them. The decree's criteria are checked on
//! the lattice version by the adjustments engine itself ([`qpv_core::Adjuster::figures`]),
//! so that `check`, `adjust` and `run --edits` give one verdict; both sets of figures are
//! reported, with the squares the line cuts. The rows, fields and check.md are
//! [`qpv_layers::check_report`]'s; this file reads the arguments and writes the files.

use crate::analysed::{self, Analysed, Reading};
use crate::args::{CheckArgs, FormatArg};
use crate::printer::Printer;
use crate::settings::RunOptions;
use anyhow::{Context, Result, bail};
use qpv_grid::OutputSet;
use qpv_grid::manifest::{Manifest, OutputEntry};
use qpv_layers::check_report::{Counts, FIELDS, NearSchools, OnGrid, Report, check_rows, markdown};
use qpv_layers::layers::{Content, Formats, Layer, LayerWriter};
use qpv_layers::on_grid::GridToMeasure;
use qpv_layers::perimeters::PerimeterFile;
use qpv_layers::schools::{Keep, read_schools};
use qpv_layers::styles::Style;
use serde_json::json;
use std::path::Path;

pub use qpv_layers::on_grid::FilePerimeter;

/// The perimeters of `file` on the grid of `a` ([`qpv_layers::on_grid::file_perimeters`]).
pub fn file_perimeters(a: &Analysed, file: &PerimeterFile) -> Result<Vec<FilePerimeter>> {
    let on = GridToMeasure {
        grid: &a.file.grid,
        path: &a.file.input.path,
        fits: a.fits(),
        continuity_gap_m: a.settings.judging.continuity_gap_m,
        buildings: a.buildings.as_ref(),
    };
    Ok(qpv_layers::on_grid::file_perimeters(file, on)?)
}

/// Checks the perimeters and writes the outputs.
pub fn check(args: &CheckArgs, printer: Printer) -> Result<()> {
    let formats = Formats::parse(&FormatArg::names(&FormatArg::with_geojson(args.format.as_deref())))
        .map_err(anyhow::Error::msg)?;
    let out_crs = super::run::output_crs(args.out_crs.as_deref())?;
    if !(args.school_distance.is_finite() && args.school_distance >= 0.0) {
        bail!("--school-distance must be zero or more metres, got {}", args.school_distance);
    }
    let options = crate::args::judging_options(&args.rule, &args.input, &args.buildings, &args.settings)?;
    let a = analysed::analyse(&options, Reading::default(), printer)?;
    let epsg = a.epsg();
    let file = super::perimeter_file(&args.perimeters.optional(), epsg, printer)?
        .context("--perimeters FILE is needed: the perimeters to check")?;
    let request = CheckRequest {
        file: &file,
        schools: args.schools.as_deref(),
        school_distance: args.school_distance,
        formats,
        out_crs,
        settings: &a.options,
    };
    for p in write_check(&a, request, &args.out, printer)? {
        printer.info(format!("wrote {}", p.display()));
    }
    Ok(())
}

/// A perimeter file to check, and how.
pub struct CheckRequest<'a> {
    /// The file as read.
    pub file: &'a PerimeterFile,
    /// REP/REP+ schools to list near each perimeter.
    pub schools: Option<&'a Path>,
    /// Within this many metres.
    pub school_distance: f64,
    /// Formats (GeoJSON always).
    pub formats: Formats,
    /// `--out-crs`.
    pub out_crs: Option<u32>,
    /// The options the manifest records: the run's, or the command line a `qpv serve`
    /// export stands for.
    pub settings: &'a RunOptions,
}

/// Checks every perimeter of a file and writes check.csv, check.geojson, check.md and
/// the manifest to `dir`, all or nothing (`qpv check`, and `qpv serve`'s export).
pub fn write_check(
    a: &Analysed,
    request: CheckRequest<'_>,
    dir: &Path,
    printer: Printer,
) -> Result<Vec<std::path::PathBuf>> {
    let CheckRequest { file, schools: schools_path, school_distance, formats, out_crs, settings } = request;
    let epsg = a.epsg();
    let schools = schools_path.map(|p| read_schools(p, None, epsg, Keep::Rep)).transpose()?;
    let started = std::time::Instant::now();
    let perimeters = file_perimeters(a, file)?;
    let adjuster = super::adjust::file_adjuster(a, &perimeters, None);
    let on = OnGrid { grid: &a.file.grid, placement: &a.output.placement };
    let near = schools.as_deref().map(|schools| NearSchools { schools, distance: school_distance });
    let checked = check_rows(on, &adjuster, &perimeters, &file.perimeters.shapes, near);
    let rows = &checked.rows;
    printer.info(format!("checked {} perimeters in {:.2} s", rows.len(), started.elapsed().as_secs_f64()));
    let mut out = OutputSet::new(dir);
    let columns: Vec<&str> = FIELDS.iter().map(|f| f.0).collect();
    out.add("check.csv", qpv_layers::tables::properties_csv(&columns, rows)?);
    let layer = Layer {
        name: "check",
        description: "perimeters with each criterion of the decree (estimates)",
        content: Content::Features { geometries: &file.perimeters.shapes, properties: rows, fields: &FIELDS },
        style: Style::Adjusted,
    };
    let writer = LayerWriter {
        formats: Formats { geojson: true, ..formats },
        crs: out_crs,
        grid_epsg: epsg,
        gpkg_name: "check",
    };
    writer.write(&[layer], &[], &mut out)?;
    let counts = Counts::of(rows);
    let report = Report {
        perimeters: &file.input.path,
        grid: &a.file.input.path,
        settings: &a.settings,
        schools: schools.is_some(),
        school_distance,
    };
    let markdown = markdown(&report, &checked);
    out.add("check.md", markdown.into_bytes());
    let mut inputs = vec![file.input.clone()];
    inputs.extend(a.inputs.iter().cloned());
    let judging = &a.settings.judging;
    let manifest = Manifest {
        method: json!({
            "criteria": "each perimeter judged on its line as drawn (three states: meets, fails, undecided), \
                         by the engine that re-checks every adjustment",
            "inhabitants": "point estimate (geometric mean of the range) between inhabitants_low (each square the \
                            line cuts by its area share) and inhabitants_high (every square it touches, whole)",
            "continuity": format!("parts closer than {} m are one continuous area", judging.continuity_gap_m),
            "median": format!("an estimate above the threshold by less than {} % of it is undecided", 100.0 * judging.median_band),
            "urban_unit": "the unit where most residents live; population municipale 2019 of the commune table, \
                           rounded up to 100 (the decree counts the population totale)",
            "perimeters": file.input.path,
            "schools": schools_path.map(|p| p.display().to_string()),
            "school_distance_m": school_distance,
        }),
        results: json!({
            "perimeters": rows.len(),
            "meeting_the_rule": counts.meets,
            "undecided": counts.undecided,
            "failing": counts.fails,
        }),
        outputs: out.listing().into_iter().map(|(file, bytes)| OutputEntry { file, bytes }).collect(),
        ..a.manifest("check", inputs, settings)?
    };
    out.add("manifest.json", manifest.to_json());
    let written = out.commit()?;
    printer.info(format!(
        "{} of {} perimeters meet the rule, {} cannot be decided from the public grid, {} fail (estimates; see \
         check.md)",
        counts.meets,
        rows.len(),
        counts.undecided,
        counts.fails
    ));
    Ok(written)
}

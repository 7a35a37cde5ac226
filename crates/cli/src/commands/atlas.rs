//! `qpv atlas`: a document to hand out — `atlas.pdf`, and the same pages as `atlas.html`
//! for the screen. A cover with the map of every perimeter and a summary table, then one
//! page per perimeter: its map (squares by estimated median, its outline, neighbouring
//! perimeters and near misses, REP/REP+ collèges, commune names, scale bar and north
//! arrow; with `--reference`, the reference drawn as kept / added / removed), its
//! figures, each criterion of the decree with its verdict, its key indicators beside its
//! urban unit and France, and the standing notes.
//!
//! The figures are those of the other commands, not a second version of them: without
//! `--perimeters`, the run's candidates as `candidates.csv` has them; with it, the file's
//! perimeters as `qpv check` takes them ([`super::check::file_perimeters`], on the
//! lattice, through the adjustments engine); the indicators are those of
//! `qpv indicators`. What the pages show is built by `qpv_map::atlas::content`, the
//! layout, the PDF and the HTML by `qpv_map::atlas`; this file reads the files, the
//! arguments and the day, and writes the outputs.

use super::check;
use crate::analysed::{self, Analysed, Reading};
use crate::args::{AtlasArgs, PerimeterArgs};
use crate::printer::{Printer, thousands};
use anyhow::{Context, Result, bail};
use qpv_core::compare::{Perimeters, Population, compare};
use qpv_core::indicators::{Breakdown, IndicatorRow, indicator_rows};
use qpv_grid::OutputSet;
use qpv_grid::manifest::{Manifest, OutputEntry};
use qpv_layers::schools::{Keep, read_schools};
use qpv_map::atlas::content::{self, Layers, Run, Sources};
use qpv_map::atlas::{Atlas, Day, IndicatorLine, PerimeterPage, SummaryRow, html, page_svgs, pdf};
use rayon::prelude::*;
use serde_json::json;
use std::time::Instant;

/// Makes the atlas and writes it.
pub fn atlas(args: &AtlasArgs, printer: Printer) -> Result<()> {
    if !(args.school_distance.is_finite() && args.school_distance >= 0.0) {
        bail!("--school-distance must be zero or more metres, got {}", args.school_distance);
    }
    let options = crate::args::judging_options(&args.rule, &args.input, &args.buildings, &args.settings)?;
    let a = analysed::analyse(&options, Reading { profiles: true }, printer)?;
    let epsg = a.epsg();
    let file = super::perimeter_file(&args.perimeters, epsg, printer)?;
    // The reference is read as the perimeters are (its own layer, the same --crs).
    let reference = PerimeterArgs {
        perimeters: args.reference.clone(),
        crs: args.perimeters.crs.clone(),
        layer: args.reference_layer.clone(),
    };
    let reference = match super::perimeter_file(&reference, epsg, printer)? {
        Some(f) if f.perimeters.is_empty() => {
            bail!("{}: the reference file holds no perimeter", f.input.path)
        }
        Some(mut f) => {
            f.input.role = "reference".into();
            Some(f)
        }
        None => None,
    };
    let schools = args.schools.as_deref().map(|p| read_schools(p, None, epsg, Keep::Rep)).transpose()?;
    let started = Instant::now();
    let run = Run {
        grid: &a.file.grid,
        output: &a.output,
        communes: &a.communes,
        settings: &a.settings,
        fits: a.fits(),
        territory: a.territory,
    };
    let mut subjects = match &file {
        None => {
            let subjects = content::candidate_subjects(run);
            if subjects.is_empty() {
                bail!(
                    "{}: the run found no candidate, so the atlas would have no page; give --perimeters FILE, or \
                     check the grid and the settings (qpv run says what it found)",
                    a.file.input.path
                );
            }
            subjects
        }
        Some(f) => {
            let perimeters = check::file_perimeters(&a, f)?;
            let engine = super::adjust::file_adjuster(&a, &perimeters, None);
            content::file_subjects(run, &engine, perimeters, &f.perimeters.shapes)
        }
    };
    if file.is_none() {
        // Pages by id: grouped by urban unit, most populous first within it.
        subjects.sort_by(|x, y| x.record.id.cmp(&y.record.id));
    }
    let perimeters = Perimeters {
        ids: subjects.iter().map(|s| s.record.id.clone()).collect(),
        names: subjects.iter().map(|s| s.name.clone()).collect(),
        shapes: subjects.iter().map(|s| s.geometry.clone()).collect(),
    };
    let indicators = indicator_lines(&a, &perimeters, printer);
    let comparison = reference.as_ref().map(|r| {
        let population = Population::new(&a.file.grid, None, a.fits());
        compare(&r.perimeters, &perimeters, Some(&population))
    });
    let layers =
        Layers::new(run, &subjects, comparison.as_ref(), schools.as_deref()).context("empty grid")?;
    let day = today();
    let sources = Sources {
        inputs: &a.inputs,
        files: file.iter().chain(&reference).map(|f| &f.input).collect(),
        schools: args.schools.as_deref(),
        settings: serde_json::to_value(&a.options).unwrap_or_default(),
        version: env!("CARGO_PKG_VERSION"),
    };
    let notes = content::notes(run, &sources, day);
    let source = match &file {
        None => format!("the candidates of a run on {}", a.file.input.path),
        Some(f) => format!("the perimeters of {}", f.input.path),
    };
    let pages: Vec<PerimeterPage> = subjects
        .par_iter()
        .enumerate()
        .map(|(k, s)| {
            let near = schools
                .as_ref()
                .map(|list| qpv_layers::schools::near(list, &perimeters.shapes[k], args.school_distance));
            let reference = reference.as_ref().zip(comparison.as_ref());
            content::page(run, &layers, s, k, &indicators[k], near, args.school_distance, reference)
                .context("a perimeter without outline")
        })
        .collect::<Result<_>>()?;
    let passing = subjects.iter().filter(|s| s.figures.meets_rule()).count();
    let inhabitants: f64 = subjects.iter().map(|s| s.record.inhabitants).sum();
    let mut cover_lines = vec![format!(
        "{passing} of {} perimeters meet the rule, on estimated medians; {} inhabitants in all. Page numbers \
         in the last column.",
        subjects.len(),
        thousands(inhabitants)
    )];
    if let (Some(r), Some(c)) = (&reference, &comparison) {
        cover_lines.push(content::reference_summary(r, c));
    }
    let atlas = Atlas {
        title: args.title.clone().unwrap_or_else(|| match &file {
            None => "Quartiers prioritaires: statistical candidates".into(),
            Some(_) => "Quartiers prioritaires: perimeters checked against the decree".into(),
        }),
        subtitle: format!(
            "{} pages, one per perimeter, after this cover: {source} ({} layout). Made on {day}.",
            subjects.len(),
            a.file.layout.release.label()
        ),
        cover_map: layers.cover(run),
        cover_lines,
        summary: subjects
            .iter()
            .map(|s| SummaryRow {
                id: s.record.id.clone(),
                place: s.place(),
                inhabitants: s.record.inhabitants,
                median: s.record.median,
                margin: s.record.margin(),
                verdict: s.figures.verdict.state(),
            })
            .collect(),
        pages,
        notes,
        running_head: format!("qpv atlas · {source}"),
        date: day,
        creator: format!("qpv {}", env!("CARGO_PKG_VERSION")),
    };
    let svgs = page_svgs(&atlas)?;
    let laid_out = started.elapsed();
    let pdf = pdf(&atlas, &svgs)?;
    let html = html(&atlas, &svgs);
    printer.info(format!(
        "{} pages ({} perimeters and the cover) laid out in {:.2} s, PDF in {:.2} s",
        svgs.len(),
        subjects.len(),
        laid_out.as_secs_f64(),
        (started.elapsed() - laid_out).as_secs_f64()
    ));
    let mut out = OutputSet::new(&args.out);
    out.add("atlas.pdf", pdf);
    out.add("atlas.html", html.into_bytes());
    let mut inputs: Vec<_> = file.iter().chain(&reference).map(|f| f.input.clone()).collect();
    inputs.extend(a.inputs.iter().cloned());
    let manifest = Manifest {
        method: json!({
            "pages": "a cover, then one page per perimeter in the order of the summary table",
            "figures": if file.is_some() {
                "as qpv check: the squares whose centre is inside each perimeter (the lattice version), by the \
                 adjustments engine; also by area share"
            } else {
                "as candidates.csv"
            },
            "indicators": "as qpv indicators: by area share of the squares, beside the urban unit and France",
            "perimeters": file.as_ref().map(|f| f.input.path.clone()),
            "reference": reference.as_ref().map(|f| f.input.path.clone()),
            "schools": args.schools.as_ref().map(|p| p.display().to_string()),
            "school_distance_m": args.school_distance,
            "date": day.to_string(),
        }),
        results: json!({
            "pages": svgs.len(),
            "perimeters": subjects.len(),
            "meeting_the_rule": passing,
            "inhabitants": inhabitants.round(),
        }),
        warnings: Vec::new(),
        outputs: out.listing().into_iter().map(|(file, bytes)| OutputEntry { file, bytes }).collect(),
        ..a.manifest("atlas", inputs, &a.options)?
    };
    out.add("manifest.json", manifest.to_json());
    for p in out.commit()? {
        printer.info(format!("wrote {}", p.display()));
    }
    Ok(())
}

/// The key indicators of each perimeter beside its urban unit and France, as
/// `qpv indicators` computes them ([`content::indicator_lines`]).
fn indicator_lines(
    a: &Analysed,
    perimeters: &Perimeters,
    printer: Printer,
) -> Vec<([String; 3], Vec<IndicatorLine>)> {
    let grid = &a.file.grid;
    let missing = super::indicators::missing_profiles(a, printer);
    let population = Population::new(grid, a.file.profiles.as_ref(), a.fits());
    let mut rows: Vec<IndicatorRow> =
        indicator_rows(&population, &a.output.placement, &a.communes, perimeters, Breakdown::default());
    for r in &mut rows {
        super::indicators::blank_missing(&mut r.residents.totals, &missing);
    }
    let (france, unit_of) = super::indicators::levels(a, printer);
    content::indicator_lines(&rows, &france, unit_of)
}

/// The day the atlas is made: `SOURCE_DATE_EPOCH` when set (reproducible documents, as
/// reproducible builds do), else today (UTC).
fn today() -> Day {
    let seconds = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        });
    Day::from_unix(seconds)
}

//! `qpv run --edits FILE` and `qpv adjust`: the analyst's adjustments, applied in order
//! to the statistical candidates or to the perimeters of a file, each re-checked and
//! audited. One code path: the caller builds the [`Adjuster`] it starts from.

use crate::analysed::{self, Reading};
use crate::args::{AdjustArgs, FormatArg};
use crate::printer::{Printer, thousands};
use anyhow::{Context, Result, anyhow};
use qpv_core::lattice::{cells_intersecting, cells_of_ids, cells_with_centre_inside};
use qpv_core::{
    Adjuster, AuditEntry, Cell, CommuneTable, Figures, Grid, Perimeter, PocheSettings, RunOutput,
    RunSettings, find_poches, trace_outline,
};
use qpv_grid::manifest::{Manifest, OutputEntry};
use qpv_grid::{InputFile, OutputSet};
use qpv_layers::edits::{Edits, Shape, Step, read_shapes};
use qpv_layers::gpkg_out::AttributeTable;
use qpv_layers::layers::{Content, Formats, Layer, LayerWriter};
use qpv_layers::records::{AreaRecord, CandidateRecord, SquareSet, square_set_record};
use qpv_layers::styles::Style;
use qpv_layers::tables::LatticeRow;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// What the adjustments produced.
pub struct Adjusted {
    /// Geometry files read, for the manifest.
    pub inputs: Vec<InputFile>,
    /// Counts for the manifest.
    pub summary: Value,
    /// Warnings (perimeters that no longer meet the rule, schools too far…).
    pub warnings: Vec<String>,
    /// The adjusted perimeters.
    pub perimeters: Vec<CandidateRecord>,
    /// The poches de pauvreté found.
    pub poches: Vec<CandidateRecord>,
    /// The audit table as CSV (also written as `audit.csv`).
    pub audit: Vec<u8>,
    /// The final perimeters on the lattice with their figures (same order as
    /// `perimeters`), the audit rows and the schools: what `qpv serve` shows.
    pub lattice: Vec<(Perimeter, Figures)>,
    /// Every audit row.
    pub audit_rows: Vec<AuditEntry>,
    /// What happened to each school.
    pub schools: Vec<qpv_core::SchoolOutcome>,
}

impl Adjusted {
    /// The layers (`adjusted`, `poches`) and the GeoPackage table (`audit`) of the
    /// adjustments, for `run --edits` and `adjust` alike.
    pub fn layers(&self) -> (Vec<Layer<'_>>, AttributeTable<'_>) {
        let layers = vec![
            Layer {
                name: "adjusted",
                description: "perimeters after the analyst's adjustments",
                content: Content::Perimeters(&self.perimeters),
                style: Style::Adjusted,
            },
            Layer {
                name: "poches",
                description: "poches de pauvreté outside the perimeters",
                content: Content::Perimeters(&self.poches),
                style: Style::Poches,
            },
        ];
        let audit = AttributeTable {
            name: "audit",
            description: "every adjustment and its effect",
            csv: &self.audit,
        };
        (layers, audit)
    }
}

/// The statistical run the edits start from.
pub struct Run<'a> {
    /// Every stage's result.
    pub output: &'a RunOutput,
    /// The squares.
    pub grid: &'a Grid,
    /// The commune table.
    pub communes: &'a CommuneTable,
    /// The run's settings.
    pub settings: &'a RunSettings,
}

/// Applies the edits and adds their tables to `out` (`audit.csv`, `schools.csv`); the
/// perimeter layers are returned for the caller to write in every format asked for.
/// Any error leaves `out` untouched.
pub fn apply<'a>(edits: &Edits, run: &Run<'a>, mut a: Adjuster<'a>, out: &mut OutputSet) -> Result<Adjusted> {
    let Run { output, grid, communes, settings } = *run;
    let frame = grid.frame().context("empty grid")?;
    let size = frame.square_size as f64;
    let mut inputs = Vec::new();
    let mut poche_floor = None;
    let repairs = std::cell::RefCell::new(Vec::new());
    let shapes =
        |file: &std::path::Path, crs: &Option<String>, inputs: &mut Vec<InputFile>| -> Result<Vec<Shape>> {
            let path = edits.resolve(file);
            inputs.push(qpv_layers::perimeters::geometry_input(&path, "edits geometry")?);
            let shapes = read_shapes(&path, crs.as_deref(), frame.epsg)?;
            for (k, s) in shapes.iter().enumerate() {
                if let Some(note) = &s.repaired {
                    repairs.borrow_mut().push(format!("{}, feature {}: {note}", path.display(), k + 1));
                }
            }
            Ok(shapes)
        };
    let polygon_cells = |shapes: &[Shape]| -> Vec<Cell> {
        let mut cells: BTreeSet<Cell> = BTreeSet::new();
        for s in shapes {
            cells.extend(cells_with_centre_inside(&s.polygons, size));
        }
        cells.into_iter().collect()
    };
    for (k, step) in edits.steps.iter().enumerate() {
        let n = k + 1;
        let at = |e: String| anyhow!("{}, step {n}: {e}", edits.path.display());
        let file = |e: qpv_core::AdjustError| anyhow!("{}: {e}", edits.path.display());
        match step {
            Step::IncludeSchools { schools, distance_m, filter, crs } => {
                for s in shapes(schools, crs, &mut inputs)?.iter().filter(|s| keep(s, filter)) {
                    for &(x, y) in &s.points {
                        a.include_point(n, &school_label(s), x, y, *distance_m).map_err(file)?;
                    }
                }
            }
            Step::KeepWhole { areas, crs } => {
                for (f, s) in shapes(areas, crs, &mut inputs)?.iter().enumerate() {
                    let label = s
                        .properties
                        .values()
                        .find_map(|v| v.as_str())
                        .map_or(format!("#{}", f + 1), str::to_owned);
                    let cells = cells_intersecting(&s.polygons, size);
                    if a.keep_whole(n, &label, &cells).map_err(file)?.is_none() {
                        a.audit.push(note(n, "keep_whole", &label, "touches no candidate: not applied"));
                    }
                }
            }
            Step::Add { candidate, squares, polygon, crs }
            | Step::Remove { candidate, squares, polygon, crs } => {
                let mut cells =
                    cells_of_ids(squares, frame.epsg, frame.square_size).map_err(|e| at(e.to_string()))?;
                check_square_ids(&a, squares, &cells, candidate, matches!(step, Step::Remove { .. }))
                    .map_err(at)?;
                if let Some(p) = polygon {
                    cells.extend(polygon_cells(&shapes(p, crs, &mut inputs)?));
                }
                let what = describe_selection(squares.len(), polygon.as_deref());
                if matches!(step, Step::Add { .. }) {
                    a.add(n, "add", candidate, &cells, &what).map_err(file)?;
                } else {
                    a.remove(n, "remove", candidate, &cells, &what).map_err(file)?;
                }
            }
            Step::Create { id, name, squares, polygon, crs } => {
                let mut cells =
                    cells_of_ids(squares, frame.epsg, frame.square_size).map_err(|e| at(e.to_string()))?;
                check_square_ids(&a, squares, &cells, id, false).map_err(at)?;
                if let Some(p) = polygon {
                    cells.extend(polygon_cells(&shapes(p, crs, &mut inputs)?));
                }
                let what = describe_selection(squares.len(), polygon.as_deref());
                a.create(n, id, name, &cells, &what).map_err(file)?;
            }
            Step::Merge { candidates, into } => a.merge(n, candidates, into.as_deref()).map_err(file)?,
            Step::Split { candidate, polygon, new_id, crs } => {
                let cells = polygon_cells(&shapes(polygon, crs, &mut inputs)?);
                a.split(n, candidate, &cells, new_id, &format!("polygon {}", polygon.display()))
                    .map_err(file)?;
            }
            Step::Rename { candidate, to, name } => {
                a.rename(n, candidate, to.as_deref(), name.as_deref()).map_err(file)?
            }
            // Found after the last step, outside the final perimeters: a later `add`
            // must not leave a poche inside a perimeter.
            Step::Poches { floor } => poche_floor = Some(*floor),
        }
    }
    a.finish();
    let poches = poche_floor.map(|floor| {
        let taken: BTreeSet<Cell> = a.perimeters.iter().flat_map(|p| p.cells(grid)).collect();
        find_poches(
            grid,
            &output.placement,
            &output.flagged,
            &output.candidates,
            &taken,
            &settings.rule,
            &settings.model,
            PocheSettings { floor, connectivity: settings.grouping.connectivity },
        )
    });
    // The final perimeters move out of the adjuster with their figures (no copy: a
    // session replays the steps at every edit).
    let figures: Vec<Figures> = a.perimeters.iter().map(|p| a.figures(p)).collect();
    let lattice: Vec<(Perimeter, Figures)> =
        std::mem::take(&mut a.perimeters).into_iter().zip(figures).collect();
    let perimeters = perimeter_records(&lattice, grid, communes, output);
    let meeting = perimeters
        .iter()
        .filter(|p| p.extra.iter().any(|(k, v)| k == "meets_rule" && v == &json!(true)))
        .count();
    let poche_records = poche_records(poches.as_deref().unwrap_or(&[]), grid, communes, output);
    let audit = qpv_layers::tables::audit_csv(&a.audit)?;
    out.add("audit.csv", audit.clone());
    out.add("schools.csv", qpv_layers::tables::schools_csv(&a.schools)?);
    let mut warnings: Vec<String> = repairs.into_inner();
    warnings.extend(a.audit.iter().filter_map(AuditEntry::warning));
    warnings.extend(a.warnings.iter().cloned());
    warnings.dedup();
    let far = a.schools.iter().filter(|s| s.status == "too far").count();
    if far > 0 {
        warnings.push(format!(
            "{far} schools are farther than the distance from every perimeter (see schools.csv)"
        ));
    }
    let summary = json!({
        "steps": edits.steps.len(),
        "perimeters": perimeters.len(),
        "perimeters_meeting_the_rule": meeting,
        "audit_rows": a.audit.len(),
        "schools": {
            "inside": count(&a, "inside"),
            "added": count(&a, "added"),
            "too_far": far,
            "taken_out": a.schools.iter().filter(|s| s.status.starts_with("taken out")).count(),
        },
        "poches": poche_records.len(),
    });
    Ok(Adjusted {
        inputs,
        summary,
        warnings,
        perimeters,
        poches: poche_records,
        audit,
        lattice,
        audit_rows: a.audit,
        schools: a.schools,
    })
}

/// Squares named by id must exist in the grid, and for a removal be in the candidate.
fn check_square_ids(
    a: &Adjuster<'_>,
    ids: &[String],
    cells: &[Cell],
    candidate: &str,
    removal: bool,
) -> std::result::Result<(), String> {
    let perimeter = a.perimeters.iter().find(|p| p.id == candidate);
    for (id, cell) in ids.iter().zip(cells) {
        let Some(i) = a.square_at(*cell) else {
            return Err(format!(
                "square {id} is not in the grid (no residents there); draw a polygon to take in empty land"
            ));
        };
        if removal && perimeter.is_some_and(|p| !p.squares.contains(&i)) {
            return Err(format!("square {id} is not in {candidate}"));
        }
    }
    Ok(())
}

fn count(a: &Adjuster<'_>, status: &str) -> usize {
    a.schools.iter().filter(|s| s.status == status).count()
}

fn keep(s: &Shape, filter: &std::collections::BTreeMap<String, Vec<String>>) -> bool {
    filter.iter().all(|(k, allowed)| {
        let v = match s.properties.get(k) {
            Some(Value::String(t)) => t.trim().to_owned(),
            Some(other) => other.to_string(),
            None => return false,
        };
        allowed.iter().any(|a| a.trim() == v)
    })
}

fn school_label(s: &Shape) -> String {
    let pick =
        |keys: &[&str]| keys.iter().find_map(|k| s.properties.get(*k).and_then(Value::as_str)).map(str::trim);
    let code = pick(&["Code etablissement", "uai", "UAI", "code"]);
    let name = pick(&["Nom", "nom", "name", "appellation_officielle"]);
    [code, name].into_iter().flatten().collect::<Vec<_>>().join(" ")
}

fn describe_selection(squares: usize, polygon: Option<&std::path::Path>) -> String {
    let by_id = if squares == 1 { "1 square by id".to_owned() } else { format!("{squares} squares by id") };
    match (squares, polygon) {
        (0, Some(p)) => format!("squares with their centre in {}", p.display()),
        (_, Some(p)) => format!("{by_id} and those with their centre in {}", p.display()),
        (_, None) => by_id,
    }
}

fn note(step: usize, op: &str, target: &str, detail: &str) -> AuditEntry {
    AuditEntry {
        step,
        op: op.into(),
        target: target.into(),
        detail: detail.into(),
        before: None,
        after: None,
        added: 0,
        removed: 0,
    }
}

fn perimeter_records(
    lattice: &[(Perimeter, Figures)],
    grid: &Grid,
    communes: &CommuneTable,
    output: &RunOutput,
) -> Vec<CandidateRecord> {
    let size = grid.frame().map_or(200.0, |f| f.square_size as f64);
    lattice
        .iter()
        .map(|(p, f)| {
            let record = perimeter_record(p, f, grid, communes, output);
            let h = &f.headcount;
            let extra = vec![
                ("name".to_owned(), json!(p.name)),
                ("verdict".to_owned(), json!(f.verdict.state().word())),
                ("meets_rule".to_owned(), json!(f.meets_rule())),
                ("problems".to_owned(), json!(f.problems().join("; "))),
                ("inhabitants_low".to_owned(), json!((h.low * 10.0).round() / 10.0)),
                ("inhabitants_high".to_owned(), json!((h.high * 10.0).round() / 10.0)),
            ];
            // A file's perimeter keeps its line (less the squares taken out, with those
            // added); one on the lattice is traced from its cells.
            let geometry = p.drawn_outline(grid, size).unwrap_or_else(|| trace_outline(&p.cells(grid), size));
            CandidateRecord { record, extra, geometry }
        })
        .collect()
}

/// The record of a perimeter with its figures (the columns of `candidates.csv`): what
/// `run --edits`, `adjust` and the atlas write for an adjusted or checked perimeter. A
/// drawn perimeter's counts are its line's (each square by its share inside); its
/// communes are those of its lattice version.
pub fn perimeter_record(
    p: &Perimeter,
    f: &Figures,
    grid: &Grid,
    communes: &CommuneTable,
    output: &RunOutput,
) -> AreaRecord {
    let mut r = lattice_record(p, f, grid, communes, output);
    if p.is_drawn() {
        r.inhabitants = f.individuals;
        r.households = f.households;
        r.poor_share = if f.households > 0.0 { f.poor_households / f.households } else { f64::NAN };
        r.area_m2 = f.area_m2;
    }
    r
}

/// The record of a lattice perimeter with its figures, summed from its squares.
fn lattice_record(
    p: &Perimeter,
    f: &Figures,
    grid: &Grid,
    communes: &CommuneTable,
    output: &RunOutput,
) -> AreaRecord {
    let squares: Vec<u32> = p.squares.iter().copied().collect();
    let cells = p.cells(grid);
    square_set_record(
        grid,
        communes,
        SquareSet {
            id: p.id.clone(),
            unit: f.unit.map(|u| &output.placement.units[u as usize]),
            squares: &squares,
            cells: &cells,
            median: f.median,
            threshold: f.threshold,
            legal_threshold: f.legal_threshold,
            notes: f.problems().join("; "),
        },
    )
}

fn poche_records(
    poches: &[qpv_core::Poche],
    grid: &Grid,
    communes: &CommuneTable,
    output: &RunOutput,
) -> Vec<CandidateRecord> {
    let size = grid.frame().map_or(200.0, |f| f.square_size as f64);
    poches
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let cells: Vec<Cell> = p.squares.iter().map(|&i| grid.cells()[i as usize]).collect();
            let unit = p.unit.map(|u| &output.placement.units[u as usize]);
            let id = format!("P-{}-{:03}", unit.map_or("HORS-UU", |u| u.code.as_str()), k + 1);
            let record = square_set_record(
                grid,
                communes,
                SquareSet {
                    id,
                    unit,
                    squares: &p.squares,
                    cells: &cells,
                    median: Some(p.median),
                    threshold: p.threshold,
                    legal_threshold: f64::NAN,
                    notes: p.reason.clone(),
                },
            );
            CandidateRecord {
                record,
                extra: vec![
                    ("class".to_owned(), json!("poche de pauvreté")),
                    ("reason".to_owned(), json!(p.reason)),
                ],
                geometry: trace_outline(&cells, size),
            }
        })
        .collect()
}

/// `qpv adjust`: the steps of an adjustments file applied to the perimeters of a file,
/// each taken as the squares whose centre it contains.
pub fn adjust(args: &AdjustArgs, printer: Printer) -> Result<()> {
    let names = FormatArg::names(&FormatArg::with_geojson(args.format.as_deref()));
    let formats = Formats::parse(&names).map_err(anyhow::Error::msg)?;
    let out_crs = super::run::output_crs(args.out_crs.as_deref())?;
    let edits = Edits::read(&args.edits)?;
    let options =
        crate::args::judging_options(&args.rule, &args.input, &args.buildings, args.settings.as_deref())?;
    let a = analysed::analyse(&options, Reading::default(), printer)?;
    let file = super::perimeter_file(&args.perimeters.optional(), a.epsg(), printer)?
        .context("--perimeters FILE is needed: the perimeters to adjust")?;
    let perimeters = super::check::file_perimeters(&a, &file)?;
    let request = FileOutputs { file: &file, perimeters: &perimeters, edits: &edits, formats, out_crs };
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
}

/// Writes what `qpv adjust` writes, all or nothing (also `qpv serve`'s export of a
/// session started from a perimeter file).
pub fn write_file_outputs(
    a: &analysed::Analysed,
    request: FileOutputs<'_>,
    dir: &std::path::Path,
    printer: Printer,
) -> Result<Vec<std::path::PathBuf>> {
    let FileOutputs { file, perimeters, edits, formats, out_crs } = request;
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
        ..a.manifest("adjust", inputs)?
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

//! The step interpreter: the steps of an adjustments file ([`crate::edits`]) applied in
//! order to a starting [`Adjuster`] (the statistical candidates, or the perimeters of a
//! file), each re-checked and audited, with the records, tables and warnings they give.
//! `qpv run --edits`, `qpv adjust` and `qpv serve` (which replays a session's steps at
//! every edit) all go through [`apply`]: one code path, so the page shows nothing the
//! adjustments file, replayed by the CLI, would not give byte for byte.
//!
//! It lives here rather than in `qpv-core` because steps name files (schools, renewal
//! areas, drawn polygons) that it reads.

use crate::edits::{Edits, Shape, Step, read_shapes};
use crate::error::IoError;
use crate::gpkg_out::AttributeTable;
use crate::layers::{Content, Layer};
use crate::records::{AreaRecord, CandidateRecord, SquareSet, square_set_record};
use crate::schools::{Keep, schools_of};
use crate::styles::Style;
use crate::{InputFile, OutputSet};
use qpv_core::lattice::{cells_intersecting, cells_of_ids, cells_with_centre_inside};
use qpv_core::{
    AdjustError, Adjuster, AuditEntry, Cell, CommuneTable, Figures, Grid, Perimeter, PocheSettings,
    RunOutput, RunSettings, find_poches, trace_outline,
};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Why the steps cannot be applied. Nothing has been added to the output set.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The grid has no square, so no frame to put the steps on.
    #[error("empty grid")]
    EmptyGrid,
    /// A file named by a step cannot be read, or a table cannot be written.
    #[error(transparent)]
    Io(#[from] IoError),
    /// A step names something the grid or the perimeter does not hold (a square id…).
    #[error("{}, step {step}: {message}", path.display())]
    Step {
        /// The adjustments file.
        path: PathBuf,
        /// 1-based step number.
        step: usize,
        /// What is wrong.
        message: String,
    },
    /// The adjuster refused a step (its message names the step).
    // Not a `source()`: the CLI prints the chain and would say it twice.
    #[error("{}: {error}", path.display())]
    Adjust {
        /// The adjustments file.
        path: PathBuf,
        /// What the adjuster said.
        error: AdjustError,
    },
}

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
pub fn apply<'a>(
    edits: &Edits,
    run: &Run<'a>,
    mut a: Adjuster<'a>,
    out: &mut OutputSet,
) -> Result<Adjusted, ApplyError> {
    let Run { output, grid, communes, settings } = *run;
    let frame = grid.frame().ok_or(ApplyError::EmptyGrid)?;
    let size = frame.square_size as f64;
    let mut inputs = Vec::new();
    let mut poche_floor = None;
    let repairs = std::cell::RefCell::new(Vec::new());
    let shapes =
        |file: &Path, crs: &Option<String>, inputs: &mut Vec<InputFile>| -> Result<Vec<Shape>, IoError> {
            let path = edits.resolve(file);
            inputs.push(crate::perimeters::geometry_input(&path, "edits geometry")?);
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
        let at = |message: String| ApplyError::Step { path: edits.path.clone(), step: n, message };
        let file = |error: AdjustError| ApplyError::Adjust { path: edits.path.clone(), error };
        match step {
            Step::IncludeSchools { schools, distance_m, filter, crs } => {
                for s in schools_of(&shapes(schools, crs, &mut inputs)?, Keep::Where(filter)) {
                    a.include_point(n, &s.label(), s.x, s.y, *distance_m).map_err(file)?;
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
    let audit = crate::tables::audit_csv(&a.audit)?;
    out.add("audit.csv", audit.clone());
    out.add("schools.csv", crate::tables::schools_csv(&a.schools)?);
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

fn describe_selection(squares: usize, polygon: Option<&Path>) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use qpv_grid::GridFile;
    use qpv_grid::fixture::{Denain, denain};

    const RICH: &str = qpv_grid::fixture::DENAIN_RICH;

    struct Fixture {
        file: GridFile,
        communes: CommuneTable,
        output: RunOutput,
        settings: RunSettings,
        ids: Vec<String>,
    }

    /// The Denain fixture (`qpv_grid::fixture`): one candidate of three squares and a
    /// rich square beside them (not flagged).
    fn fixture() -> Fixture {
        let Denain { file, communes, output } = denain();
        let settings = RunSettings::for_territory(output.territory);
        let (records, _) = crate::records::area_records(&output, &file.grid, &communes);
        let ids = records.iter().map(|r| r.record.id.clone()).collect();
        Fixture { file, communes, output, settings, ids }
    }

    fn edits(steps: Vec<Step>) -> Edits {
        Edits {
            path: PathBuf::from("/tmp/edits.toml"),
            steps,
            input: InputFile { role: "edits".into(), path: String::new(), bytes: 0, blake3: String::new() },
        }
    }

    fn run_steps(f: &Fixture, steps: Vec<Step>, out: &mut OutputSet) -> Result<Adjusted, ApplyError> {
        let run = Run { output: &f.output, grid: &f.file.grid, communes: &f.communes, settings: &f.settings };
        let start = Adjuster::new(&f.file.grid, &f.output, &f.ids, &f.settings);
        apply(&edits(steps), &run, start, out)
    }

    fn step_add(candidate: &str, square: &str) -> Step {
        Step::Add { candidate: candidate.into(), squares: vec![square.into()], polygon: None, crs: None }
    }

    #[test]
    fn the_fixture_has_one_candidate_of_three_squares() {
        let f = fixture();
        assert_eq!(f.ids, ["59701-01"]);
        assert_eq!(f.output.candidates.candidates[0].area.squares.len(), 3);
    }

    #[test]
    fn no_steps_keep_the_candidates_and_write_both_tables() {
        let f = fixture();
        let mut out = OutputSet::new("/nonexistent");
        let adjusted = run_steps(&f, Vec::new(), &mut out).unwrap();
        assert_eq!(adjusted.perimeters.len(), 1);
        assert_eq!(adjusted.perimeters[0].record.inhabitants, 1200.0);
        assert_eq!(adjusted.summary["steps"], 0);
        let names: Vec<String> = out.listing().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["audit.csv", "schools.csv"]);
    }

    #[test]
    fn an_added_square_counts_in_the_record_and_the_audit() {
        let f = fixture();
        let mut out = OutputSet::new("/nonexistent");
        let adjusted = run_steps(&f, vec![step_add("59701-01", RICH)], &mut out).unwrap();
        assert_eq!(adjusted.perimeters[0].record.inhabitants, 1600.0);
        assert_eq!(adjusted.lattice[0].0.squares.len(), 4);
        let row = adjusted.audit_rows.iter().find(|r| r.step == 1).unwrap();
        assert_eq!((row.op.as_str(), row.added), ("add", 1));
        assert!(String::from_utf8(adjusted.audit).unwrap().contains("1 square by id"));
    }

    #[test]
    fn rename_then_poches_in_order() {
        let f = fixture();
        let steps = vec![
            Step::Rename {
                candidate: "59701-01".into(),
                to: Some("59701-A".into()),
                name: Some("Denain".into()),
            },
            Step::Poches { floor: 100.0 },
        ];
        let adjusted = run_steps(&f, steps, &mut OutputSet::new("/nonexistent")).unwrap();
        assert_eq!(adjusted.perimeters[0].record.id, "59701-A");
        assert!(adjusted.perimeters[0].extra.contains(&("name".to_owned(), json!("Denain"))));
        // The rich square is no poche: the only squares outside the perimeter.
        assert_eq!(adjusted.summary["poches"], 0);
    }

    #[test]
    fn a_square_off_the_grid_names_the_file_and_step() {
        let f = fixture();
        let mut out = OutputSet::new("/nonexistent");
        let rename = Step::Rename { candidate: "59701-01".into(), to: None, name: Some("Denain".into()) };
        let steps = vec![rename, step_add("59701-01", "CRS3035RES200mN2980000E3794800")];
        let err = run_steps(&f, steps, &mut out).err().unwrap();
        assert!(matches!(err, ApplyError::Step { step: 2, .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            "/tmp/edits.toml, step 2: square CRS3035RES200mN2980000E3794800 is not in the grid (no residents \
             there); draw a polygon to take in empty land"
        );
        assert!(out.listing().is_empty(), "an error adds no table");
    }

    #[test]
    fn removing_a_square_outside_the_candidate_is_refused() {
        let f = fixture();
        let step = Step::Remove {
            candidate: "59701-01".into(),
            squares: vec![RICH.into()],
            polygon: None,
            crs: None,
        };
        let err = run_steps(&f, vec![step], &mut OutputSet::new("/nonexistent")).err().unwrap();
        assert_eq!(err.to_string(), format!("/tmp/edits.toml, step 1: square {RICH} is not in 59701-01"));
    }

    #[test]
    fn an_unknown_candidate_is_the_adjusters_error_once() {
        let f = fixture();
        let err = run_steps(&f, vec![step_add("59701-99", RICH)], &mut OutputSet::new("/nonexistent"))
            .err()
            .unwrap();
        let ApplyError::Adjust { error, .. } = &err else { panic!("{err:?}") };
        assert!(matches!(error, AdjustError::UnknownPerimeter { step: 1, .. }));
        assert!(err.to_string().starts_with("/tmp/edits.toml: step 1: no perimeter is called \"59701-99\""));
        assert!(std::error::Error::source(&err).is_none(), "the chain would print it twice");
    }

    #[test]
    fn a_missing_geometry_file_is_an_io_error() {
        let f = fixture();
        let step = Step::KeepWhole { areas: PathBuf::from("/nonexistent/anru.geojson"), crs: None };
        let err = run_steps(&f, vec![step], &mut OutputSet::new("/nonexistent")).err().unwrap();
        assert!(matches!(err, ApplyError::Io(_)), "{err:?}");
        assert!(err.to_string().contains("/nonexistent/anru.geojson"));
    }

    #[test]
    fn selections_are_described_in_words() {
        assert_eq!(describe_selection(1, None), "1 square by id");
        assert_eq!(
            describe_selection(0, Some(Path::new("p.geojson"))),
            "squares with their centre in p.geojson"
        );
        assert_eq!(
            describe_selection(2, Some(Path::new("p.geojson"))),
            "2 squares by id and those with their centre in p.geojson"
        );
    }
}

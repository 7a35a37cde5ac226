//! A negotiation session: the perimeters a session starts from, the steps made on the
//! map, and the session file written after each of them (synced to disk with its folder
//! before the change is acknowledged).
//!
//! The bookkeeping of versions, steps and undone steps is [`History`], apart from the grid
//! so that its rules are tested on their own.
//!
//! Every edit replays the whole list of steps through [`qpv_layers::adjustments::apply`],
//! the function `qpv run --edits` and `qpv adjust` use: the page can show nothing that
//! the adjustments file, replayed by the CLI, would not give byte for byte.

use crate::analysed::Analysed;
use crate::commands::adjust;
use crate::commands::check::FilePerimeter;
use crate::printer::thousands;
use anyhow::{Context, Result};
use qpv_core::{Adjuster, CellLookup};
use qpv_grid::{InputFile, OutputSet};
use qpv_layers::adjustments::{Adjusted, Run};
use qpv_layers::edits::{Edits, Step, steps_toml};
use qpv_layers::perimeters::PerimeterFile;
use qpv_serve::ApiError;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The file of the session in `--out`.
pub const SESSION_FILE: &str = "session.toml";
/// The settings of the session in `--out` (for `qpv run --settings`).
pub const SETTINGS_FILE: &str = "settings.toml";
/// Where drawn polygons go, in `--out`.
pub const GEOMETRY_DIR: &str = "geometry";

/// What the perimeters of a session start from.
pub enum Base {
    /// The statistical candidates of the grid's run, by id.
    Run {
        /// The candidates' ids.
        ids: Vec<String>,
    },
    /// The perimeters of a file, on the lattice (as `qpv adjust`).
    File {
        /// The file as read.
        file: Box<PerimeterFile>,
        /// Its perimeters.
        perimeters: Vec<FilePerimeter>,
    },
}

/// The steps of a session and where it is written.
pub struct Session {
    /// The grid, run once (shared with exports, which run outside the session's lock).
    pub a: Arc<Analysed>,
    /// What the steps apply to (shared with exports too).
    pub base: Arc<Base>,
    /// `--out`, absolute.
    pub dir: PathBuf,
    /// `--schools`, absolute: the only schools file `include_schools` may name.
    pub schools: Option<PathBuf>,
    /// The steps, the steps undone, the version and the last change.
    pub history: History,
    /// The result of the steps.
    pub current: Adjusted,
    /// Ids changed by the last change.
    pub touched: Vec<String>,
    header: String,
    /// The grid's squares by cell, built once for every replay.
    lookup: CellLookup,
}

impl Session {
    /// A session on `a` starting from `base` with `steps` (a resumed session), written
    /// to `dir`. Fails when the steps do not apply.
    pub fn new(
        a: Analysed,
        base: Base,
        dir: PathBuf,
        schools: Option<PathBuf>,
        steps: Vec<Step>,
    ) -> Result<Self> {
        let replay = match &base {
            Base::Run { .. } => "qpv run --settings settings.toml --edits session.toml --out DIR".to_owned(),
            Base::File { file, .. } => format!(
                "qpv adjust --settings settings.toml --perimeters {} --edits session.toml --out DIR",
                file.input.path
            ),
        };
        let header = format!(
            "# qpv serve session: the adjustments made on the map, in order (README, Adjustments).\n\
             # Written after every acknowledged edit. Resume: qpv serve --edits session.toml --out DIR …\n\
             # Replay from this folder: {replay}\n\n"
        );
        let lookup = CellLookup::new(&a.file.grid);
        let mut session = Session {
            lookup,
            a: Arc::new(a),
            base: Arc::new(base),
            dir,
            schools,
            history: History::default(),
            current: empty_adjusted(),
            touched: Vec::new(),
            header,
        };
        session.current = session.apply_steps(&steps)?;
        session.history.steps = steps;
        session.save()?;
        Ok(session)
    }

    /// The adjustments file of the session.
    pub fn path(&self) -> PathBuf {
        self.dir.join(SESSION_FILE)
    }

    /// The steps as an adjustments file.
    pub fn toml(&self) -> Result<String> {
        self.toml_of(&self.history.steps)
    }

    fn toml_of(&self, steps: &[Step]) -> Result<String> {
        steps_toml(&self.header, steps).map_err(anyhow::Error::msg)
    }

    /// Applies `steps` from the start, as `run --edits` and `adjust` do.
    pub fn apply_steps(&self, steps: &[Step]) -> Result<Adjusted> {
        let a = &self.a;
        let edits = Edits {
            path: self.path(),
            steps: steps.to_vec(),
            input: InputFile {
                role: "edits".into(),
                path: self.path().display().to_string(),
                bytes: 0,
                blake3: String::new(),
            },
        };
        let start = match &*self.base {
            Base::Run { ids } => Adjuster::new_with(&a.file.grid, &a.output, ids, &a.settings, &self.lookup),
            Base::File { perimeters, .. } => adjust::file_adjuster(a, perimeters, Some(&self.lookup)),
        };
        let run = Run { output: &a.output, grid: &a.file.grid, communes: &a.communes, settings: &a.settings };
        // The tables apply() adds are not written: the session file is what is kept.
        let mut scratch = OutputSet::new(&self.dir);
        Ok(qpv_layers::adjustments::apply(&edits, &run, start, &mut scratch)?)
    }

    /// Writes the session file, all or nothing, synced with its folder.
    pub fn save(&self) -> Result<()> {
        write_durably(&self.path(), self.toml()?.into_bytes())
    }

    /// Makes a change (`steps` the list it gives, from [`History::proposed`]) if the steps
    /// apply: written to disk before anything else changes (a change refused changes
    /// nothing), then recorded.
    fn take(&mut self, change: Kind, steps: Vec<Step>, window: Option<&str>) -> Result<(), ApiError> {
        let result = self.apply_steps(&steps).map_err(|e| ApiError::BadRequest(format!("{e:#}")))?;
        let text = self.toml_of(&steps).map_err(|e| ApiError::Internal(format!("{e:#}")))?;
        if let Err(e) = write_durably(&self.path(), text.into_bytes()) {
            // The rename may have happened and only the folder's sync failed: the file goes
            // back to the steps still acknowledged, if the disk lets it.
            let _ = self.save();
            return Err(ApiError::Internal(format!("cannot write the session: {e:#}")));
        }
        self.touched = touched(&self.current, &result);
        self.current = result;
        self.history.record(change, steps, window);
        Ok(())
    }

    /// Adds a step posted as JSON at `version`, from `window`.
    pub fn edit(&mut self, version: u64, step: Value, window: Option<&str>) -> Result<(), ApiError> {
        self.history.check(version)?;
        let mut written = Vec::new();
        let taken = self.step_from_json(step, &mut written).and_then(|step| {
            let steps = self.history.proposed(Kind::Edit, version, Some(step))?;
            // The drawn polygon's file reaches the disk before the step naming it.
            if !written.is_empty() {
                sync_folder(&self.dir.join(GEOMETRY_DIR))
                    .map_err(|e| ApiError::Internal(format!("cannot write the polygon: {e:#}")))?;
            }
            self.take(Kind::Edit, steps, window)
        });
        if let Err(e) = taken {
            // A refused step leaves no file behind (a file it shares with a step of the
            // session, undone or not, was not written by it).
            for path in written {
                let _ = std::fs::remove_file(path);
            }
            return Err(self.worded(e));
        }
        Ok(())
    }

    /// The engine's message as the page's user reads it: without the session file's path
    /// (the message is about the step just made) and with a drawn polygon called so.
    fn worded(&self, e: ApiError) -> ApiError {
        match e {
            ApiError::BadRequest(m) => {
                let path = self.path().display().to_string();
                let m = m
                    .strip_prefix(&path)
                    .map_or(m.clone(), |rest| rest.trim_start_matches([':', ',', ' ']).to_owned());
                let m = m
                    .replace(&format!("squares with their centre in {GEOMETRY_DIR}/"), "the polygon drawn (");
                ApiError::BadRequest(m.replace(".geojson selects", ".geojson) selects"))
            }
            other => other,
        }
    }

    /// Takes back the last step, at `version`, from `window`.
    pub fn undo(&mut self, version: u64, window: Option<&str>) -> Result<(), ApiError> {
        let steps = self.history.proposed(Kind::Undo, version, None)?;
        self.take(Kind::Undo, steps, window)
    }

    /// Makes the last step undone again, at `version`, from `window`.
    pub fn redo(&mut self, version: u64, window: Option<&str>) -> Result<(), ApiError> {
        let steps = self.history.proposed(Kind::Redo, version, None)?;
        self.take(Kind::Redo, steps, window)
    }

    /// A step of the page (a TOML step as JSON, geometry inline in WGS84) as a step of the
    /// adjustments file: inline geometry written to `geometry/`, the schools file the one
    /// named on the command line. File paths are refused: the page may only use the files
    /// the user named when starting the server.
    pub fn step_from_json(&self, step: Value, written: &mut Vec<PathBuf>) -> Result<Step, ApiError> {
        let bad = |m: String| ApiError::BadRequest(m);
        let Value::Object(mut fields) = step else {
            return Err(bad("a step is a JSON object with an \"op\" (add, remove, create, …)".into()));
        };
        let op = fields.get("op").and_then(Value::as_str).unwrap_or_default().to_owned();
        if fields.contains_key("crs") {
            return Err(bad("\"crs\" is not taken: the page sends geometry in WGS84 (RFC 7946)".into()));
        }
        for key in ["polygon", "areas"] {
            match fields.get(key) {
                None | Some(Value::Null) => {
                    fields.remove(key);
                }
                Some(Value::Object(geometry)) => {
                    let file = self.write_geometry(key, geometry, written)?;
                    fields.insert(key.into(), Value::String(file));
                }
                Some(_) => {
                    return Err(bad(format!(
                        "\"{key}\" must be a GeoJSON geometry drawn on the map (a Polygon in longitude/latitude); \
                         file paths are refused"
                    )));
                }
            }
        }
        if op == "include_schools" {
            if fields.contains_key("schools") {
                return Err(bad(
                    "\"schools\" is refused: the schools file is the one given with --schools".into()
                ));
            }
            let Some(path) = &self.schools else {
                return Err(bad(
                    "no schools file: start qpv serve with --schools FILE (REP/REP+ collèges)".into()
                ));
            };
            fields.insert("schools".into(), Value::String(path.display().to_string()));
        }
        serde_json::from_value(Value::Object(fields)).map_err(|e| {
            bad(format!(
                "bad step: {e}; ops: add, remove, create, split, keep_whole, merge, rename, poches, include_schools \
                 (see the README's API section)"
            ))
        })
    }

    /// Writes a drawn geometry as a GeoJSON file of the session, named by its content so
    /// that undoing and redoing the same drawing names the same file. Returns its path
    /// relative to the session file.
    fn write_geometry(
        &self,
        key: &str,
        geometry: &Map<String, Value>,
        written: &mut Vec<PathBuf>,
    ) -> Result<String, ApiError> {
        let parsed: geojson::Geometry = serde_json::from_value(Value::Object(geometry.clone()))
            .map_err(|e| ApiError::BadRequest(format!("\"{key}\" is not a GeoJSON geometry: {e}")))?;
        if !matches!(
            parsed.value,
            geojson::GeometryValue::Polygon { .. } | geojson::GeometryValue::MultiPolygon { .. }
        ) {
            return Err(ApiError::BadRequest(format!("\"{key}\" must be a Polygon or MultiPolygon")));
        }
        let collection = serde_json::json!({
            "type": "FeatureCollection",
            "features": [{ "type": "Feature", "properties": {}, "geometry": geometry }],
        });
        let mut bytes = serde_json::to_vec(&collection).map_err(|e| ApiError::Internal(e.to_string()))?;
        bytes.push(b'\n');
        let name = format!("{GEOMETRY_DIR}/{}.geojson", &blake3::hash(&bytes).to_hex()[..16]);
        let path = self.dir.join(&name);
        if !path.exists() {
            // Synced with its folder by `edit`, before the session file names it.
            OutputSet::write_one(&path, bytes)
                .map_err(|e| ApiError::Internal(format!("cannot write {}: {e}", path.display())))?;
            written.push(path);
        }
        Ok(name)
    }
}

/// What a change of the session was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A step added.
    Edit,
    /// The last step taken back.
    Undo,
    /// The last step undone made again.
    Redo,
}

impl Kind {
    /// `edit`, `undo`, `redo` (API.md, `last_change.kind`).
    pub fn word(self) -> &'static str {
        match self {
            Kind::Edit => "edit",
            Kind::Undo => "undo",
            Kind::Redo => "redo",
        }
    }
}

/// The last change of the session, for the pages that did not make it.
#[derive(Debug, Clone, PartialEq)]
pub struct LastChange {
    /// The version it made.
    pub version: u64,
    /// Edit, undo or redo.
    pub kind: Kind,
    /// The step made, undone or redone, counted from 1.
    pub step: usize,
    /// In the page's words: `step 4 remove 2 squares from 59701-01`, `undo step 4 (…)`.
    pub summary: String,
    /// The window (browser tab) it came from, when it said.
    pub window: Option<String>,
}

impl LastChange {
    /// As the state's `last_change` (API.md).
    pub fn json(&self) -> Value {
        serde_json::json!({ "version": self.version, "kind": self.kind.word(), "step": self.step,
                            "summary": self.summary, "window": self.window })
    }
}

/// The steps of a session, those undone, its version and its last change: the rules of
/// edit, undo and redo, apart from applying the steps. A change is first
/// [`proposed`](History::proposed) (the steps it would give, refused when the version is
/// stale or there is nothing to undo), then, once the steps applied and are on disk,
/// [`record`](History::record)ed.
#[derive(Debug, Default)]
pub struct History {
    /// The steps acknowledged, in order.
    pub steps: Vec<Step>,
    /// Steps undone, the last undone last.
    pub redo: Vec<Step>,
    /// Increases at every acknowledged change.
    pub version: u64,
    /// The last change of this server's life (`None` before any).
    pub last_change: Option<LastChange>,
}

impl History {
    /// Refuses a change made on another version than the current one (409): another window
    /// changed the session since, and the change would not be the one its author saw.
    pub fn check(&self, version: u64) -> Result<(), ApiError> {
        if version == self.version {
            return Ok(());
        }
        Err(ApiError::Stale {
            current: self.version,
            message: format!(
                "the session is at version {}, not {version}: it changed elsewhere; reload it",
                self.version
            ),
        })
    }

    /// The steps a change at `version` would give (`step`: the edit's).
    pub fn proposed(&self, kind: Kind, version: u64, step: Option<Step>) -> Result<Vec<Step>, ApiError> {
        self.check(version)?;
        let mut steps = self.steps.clone();
        match kind {
            Kind::Edit => steps.extend(step),
            Kind::Undo => {
                steps.pop().ok_or_else(|| ApiError::BadRequest("nothing to undo".into()))?;
            }
            Kind::Redo => {
                let again = self.redo.last().ok_or_else(|| ApiError::BadRequest("nothing to redo".into()))?;
                steps.push(again.clone());
            }
        }
        Ok(steps)
    }

    /// Makes `steps` (from [`proposed`](History::proposed)) the session's: a new step
    /// forgets what was undone, an undo keeps the step for redo.
    pub fn record(&mut self, kind: Kind, steps: Vec<Step>, window: Option<&str>) {
        let before = std::mem::replace(&mut self.steps, steps);
        let (n, step) = match kind {
            Kind::Edit => {
                self.redo.clear();
                (self.steps.len(), self.steps.last())
            }
            Kind::Undo => {
                self.redo.extend(before.last().cloned());
                (before.len(), self.redo.last())
            }
            Kind::Redo => {
                self.redo.pop();
                (self.steps.len(), self.steps.last())
            }
        };
        let what = step.map(step_words).unwrap_or_default();
        let summary = match kind {
            Kind::Edit => format!("step {n} {what}"),
            Kind::Undo => format!("undo step {n} ({what})"),
            Kind::Redo => format!("redo step {n} ({what})"),
        };
        self.version += 1;
        self.last_change = Some(LastChange {
            version: self.version,
            kind,
            step: n,
            summary,
            window: window.map(str::to_owned),
        });
    }
}

/// A step in a few words, as a person at the table would say it.
pub fn step_words(step: &Step) -> String {
    let squares = |n: usize| if n == 1 { "1 square".to_owned() } else { format!("{n} squares") };
    let what = |squares_given: &[String], polygon: bool| match (squares_given.len(), polygon) {
        (0, true) => "a drawn area".to_owned(),
        (n, false) => squares(n),
        (n, true) => format!("{} and a drawn area", squares(n)),
    };
    match step {
        Step::Add { candidate, squares, polygon, .. } => {
            format!("add {} to {candidate}", what(squares, polygon.is_some()))
        }
        Step::Remove { candidate, squares, polygon, .. } => {
            format!("remove {} from {candidate}", what(squares, polygon.is_some()))
        }
        Step::Create { id, squares, polygon, .. } => {
            format!("create {id} from {}", what(squares, polygon.is_some()))
        }
        Step::Split { candidate, new_id, .. } => format!("split {new_id} off {candidate}"),
        Step::KeepWhole { .. } => "keep a drawn area whole".to_owned(),
        Step::Merge { candidates, into } => match into {
            Some(into) => format!("merge {} into {into}", candidates.join(", ")),
            None => format!("merge {}", candidates.join(", ")),
        },
        Step::Rename { candidate, to, name } => match (to, name) {
            (Some(to), _) => format!("rename {candidate} to {to}"),
            (None, Some(name)) => format!("name {candidate} \"{name}\""),
            (None, None) => format!("rename {candidate}"),
        },
        Step::Poches { floor } => format!("find poches de pauvreté of {}+ inhabitants", thousands(*floor)),
        Step::IncludeSchools { distance_m, .. } => {
            format!("include REP schools within {} m", thousands(*distance_m))
        }
    }
}

/// Writes `path` all or nothing, then syncs its folder: the rename itself reaches the
/// disk, so that an acknowledged step survives a power cut, not only a crash.
pub fn write_durably(path: &Path, bytes: Vec<u8>) -> Result<()> {
    OutputSet::write_one(path, bytes)?;
    sync_folder(path.parent().unwrap_or(Path::new(".")))
}

/// `fsync` of a folder, so that the names written or renamed in it are on disk.
pub fn sync_folder(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("{}: cannot sync the folder to disk", dir.display()))
}

/// Ids whose squares or name differ between two results (new ones included).
fn touched(before: &Adjusted, after: &Adjusted) -> Vec<String> {
    let old: BTreeMap<&str, &qpv_core::Perimeter> =
        before.lattice.iter().map(|(p, _)| (p.id.as_str(), p)).collect();
    after
        .lattice
        .iter()
        .filter(|(p, _)| old.get(p.id.as_str()) != Some(&p))
        .map(|(p, _)| p.id.clone())
        .collect()
}

fn empty_adjusted() -> Adjusted {
    Adjusted {
        inputs: Vec::new(),
        summary: Value::Null,
        warnings: Vec::new(),
        perimeters: Vec::new(),
        poches: Vec::new(),
        audit: Vec::new(),
        lattice: Vec::new(),
        audit_rows: Vec::new(),
        schools: Vec::new(),
    }
}

/// The steps of an adjustments file to resume, with the files they name made absolute
/// (the session's own `geometry/` files stay relative to it).
pub fn resumed_steps(edits: &Edits, dir: &Path) -> Vec<Step> {
    let fix = |p: &mut PathBuf| {
        let absolute = edits.resolve(p);
        let absolute = absolute.canonicalize().unwrap_or(absolute);
        *p = match absolute.strip_prefix(dir) {
            Ok(inside) => inside.to_owned(),
            Err(_) => absolute,
        };
    };
    let mut steps = edits.steps.clone();
    for step in &mut steps {
        match step {
            Step::IncludeSchools { schools, .. } => fix(schools),
            Step::KeepWhole { areas, .. } => fix(areas),
            Step::Add { polygon, .. } | Step::Remove { polygon, .. } | Step::Create { polygon, .. } => {
                if let Some(p) = polygon {
                    fix(p);
                }
            }
            Step::Split { polygon, .. } => fix(polygon),
            Step::Merge { .. } | Step::Rename { .. } | Step::Poches { .. } => {}
        }
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysed::{Reading, analyse};
    use crate::printer::Printer;
    use crate::settings::RunOptions;
    use serde_json::json;

    fn rename(name: &str) -> Step {
        Step::Rename { candidate: "59701-01".into(), to: None, name: Some(name.into()) }
    }

    fn stale(e: ApiError) -> u64 {
        match e {
            ApiError::Stale { current, message } => {
                assert!(message.contains("it changed elsewhere; reload it"), "{message}");
                current
            }
            other => panic!("not stale: {other}"),
        }
    }

    /// Proposes and records a change, as `Session::take` does once the steps applied.
    fn change(h: &mut History, kind: Kind, version: u64, step: Option<Step>, window: Option<&str>) {
        let steps = h.proposed(kind, version, step).unwrap();
        h.record(kind, steps, window);
    }

    #[test]
    fn edit_undo_redo_move_the_version_and_the_steps() {
        let mut h = History::default();
        assert_eq!(h.last_change, None, "no change before the first");
        change(&mut h, Kind::Edit, 0, Some(rename("a")), Some("tab1"));
        change(&mut h, Kind::Edit, 1, Some(rename("b")), None);
        assert_eq!((h.version, h.steps.len(), h.redo.len()), (2, 2, 0));
        change(&mut h, Kind::Undo, 2, None, Some("tab2"));
        assert_eq!((h.version, h.steps.clone(), h.redo.clone()), (3, vec![rename("a")], vec![rename("b")]));
        let last = h.last_change.clone().unwrap();
        assert_eq!((last.version, last.kind, last.step), (3, Kind::Undo, 2));
        assert_eq!(last.summary, "undo step 2 (name 59701-01 \"b\")");
        assert_eq!(last.window.as_deref(), Some("tab2"));
        change(&mut h, Kind::Redo, 3, None, None);
        assert_eq!((h.version, h.steps.len(), h.redo.len()), (4, 2, 0));
        assert_eq!(h.last_change.as_ref().unwrap().summary, "redo step 2 (name 59701-01 \"b\")");
        assert_eq!(
            h.last_change.as_ref().unwrap().json(),
            json!({"version": 4, "kind": "redo", "step": 2, "summary": "redo step 2 (name 59701-01 \"b\")",
                   "window": null})
        );
    }

    #[test]
    fn a_new_step_after_an_undo_forgets_what_was_undone() {
        let mut h = History::default();
        change(&mut h, Kind::Edit, 0, Some(rename("a")), None);
        change(&mut h, Kind::Undo, 1, None, None);
        assert_eq!(h.redo.len(), 1);
        change(&mut h, Kind::Edit, 2, Some(rename("c")), None);
        assert_eq!((h.steps.clone(), h.redo.len()), (vec![rename("c")], 0));
        let e = h.proposed(Kind::Redo, 3, None).unwrap_err();
        assert_eq!(e.to_string(), "nothing to redo");
    }

    /// A change made on another version than the current one, behind or ahead, is refused
    /// with the current version, and changes nothing; so is an undo with nothing to undo.
    #[test]
    fn stale_versions_and_nothing_to_undo_are_refused() {
        let mut h = History::default();
        assert_eq!(h.proposed(Kind::Undo, 0, None).unwrap_err().to_string(), "nothing to undo");
        assert_eq!(h.proposed(Kind::Redo, 0, None).unwrap_err().to_string(), "nothing to redo");
        change(&mut h, Kind::Edit, 0, Some(rename("a")), None);
        for kind in [Kind::Edit, Kind::Undo, Kind::Redo] {
            for version in [0, 2] {
                assert_eq!(
                    stale(h.proposed(kind, version, Some(rename("x"))).unwrap_err()),
                    1,
                    "{kind:?} {version}"
                );
            }
        }
        assert_eq!((h.version, h.steps.len()), (1, 1));
    }

    #[test]
    fn steps_in_words() {
        let squares = vec!["a".to_owned(), "b".to_owned()];
        let remove =
            Step::Remove { candidate: "59701-01".into(), squares: squares.clone(), polygon: None, crs: None };
        assert_eq!(step_words(&remove), "remove 2 squares from 59701-01");
        let add = Step::Add {
            candidate: "X".into(),
            squares: vec![],
            polygon: Some("g.geojson".into()),
            crs: None,
        };
        assert_eq!(step_words(&add), "add a drawn area to X");
        let create = Step::Create {
            id: "N".into(),
            name: String::new(),
            squares: vec!["a".into()],
            polygon: None,
            crs: None,
        };
        assert_eq!(step_words(&create), "create N from 1 square");
        let merge = Step::Merge { candidates: vec!["A".into(), "B".into()], into: Some("C".into()) };
        assert_eq!(step_words(&merge), "merge A, B into C");
        assert_eq!(
            step_words(&Step::Poches { floor: 1500.0 }),
            "find poches de pauvreté of 1 500+ inhabitants"
        );
    }

    /// The CAPH sample's session: every change is on disk when it returns, a refused one
    /// leaves the file as it was, and a session resumed from its file has its steps and
    /// perimeters.
    #[test]
    fn a_session_writes_each_change_and_resumes_from_its_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let open = |steps: Vec<Step>| {
            let a = analyse(&RunOptions::default(), Reading::default(), Printer::Quiet).unwrap();
            let (candidates, _) = qpv_layers::records::area_records(&a.output, &a.file.grid, &a.communes);
            let ids = candidates.iter().map(|c| c.record.id.clone()).collect();
            Session::new(a, Base::Run { ids }, dir.clone(), None, steps).unwrap()
        };
        let mut s = open(Vec::new());
        let on_disk = |s: &Session| Edits::read(&s.path()).unwrap().steps;
        assert_eq!(on_disk(&s), vec![]);
        let named = |name: &str| json!({"op": "rename", "candidate": "59701-01", "name": name});
        s.edit(0, named("Lutas"), Some("w1")).unwrap();
        s.edit(1, named("Lutas, Faubourg"), None).unwrap();
        assert_eq!(on_disk(&s), vec![rename("Lutas"), rename("Lutas, Faubourg")]);
        assert_eq!(s.touched, vec!["59701-01".to_owned()]);
        s.undo(2, None).unwrap();
        assert_eq!(on_disk(&s), vec![rename("Lutas")]);
        let before = std::fs::read(s.path()).unwrap();
        assert_eq!(stale(s.edit(2, named("late"), None).unwrap_err()), 3);
        assert_eq!(stale(s.redo(1, None).unwrap_err()), 3);
        let e = s.edit(3, json!({"op": "rename", "candidate": "59999-99", "name": "x"}), None).unwrap_err();
        assert!(matches!(e, ApiError::BadRequest(_)), "{e}");
        assert_eq!(std::fs::read(s.path()).unwrap(), before, "refused changes leave the file");
        assert_eq!(s.history.version, 3);
        s.redo(3, Some("w2")).unwrap();
        let name_of = |s: &Session| {
            s.current.lattice.iter().find(|(p, _)| p.id == "59701-01").map(|(p, _)| p.name.clone()).unwrap()
        };
        assert_eq!(name_of(&s), "Lutas, Faubourg");
        assert_eq!(s.history.last_change.as_ref().unwrap().window.as_deref(), Some("w2"));

        let path = s.path();
        drop(s);
        let resumed = open(resumed_steps(&Edits::read(&path).unwrap(), &dir));
        assert_eq!(resumed.history.steps, vec![rename("Lutas"), rename("Lutas, Faubourg")]);
        assert_eq!((resumed.history.version, resumed.history.redo.len()), (0, 0), "a new server's life");
        assert_eq!(name_of(&resumed), "Lutas, Faubourg");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), resumed.toml().unwrap());
    }
}

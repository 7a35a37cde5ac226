//! A negotiation session: the perimeters a session starts from, the steps made on the
//! map, and the session file written after each of them.
//!
//! Every edit replays the whole list of steps through [`qpv_layers::adjustments::apply`],
//! the function `qpv run --edits` and `qpv adjust` use: the page can show nothing that
//! the adjustments file, replayed by the CLI, would not give byte for byte.

use crate::analysed::Analysed;
use crate::commands::adjust;
use crate::commands::check::FilePerimeter;
use anyhow::Result;
use qpv_core::{Adjuster, CellLookup};
use qpv_grid::{InputFile, OutputSet};
use qpv_layers::adjustments::{Adjusted, Run};
use qpv_layers::edits::{Edits, Step, steps_toml};
use qpv_layers::perimeters::PerimeterFile;
use qpv_serve::ApiError;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
    /// The grid, run once.
    pub a: Analysed,
    /// What the steps apply to.
    pub base: Base,
    /// `--out`, absolute.
    pub dir: PathBuf,
    /// `--schools`, absolute: the only schools file `include_schools` may name.
    pub schools: Option<PathBuf>,
    /// The steps acknowledged, in order.
    pub steps: Vec<Step>,
    /// Steps undone, the last undone last.
    pub redo: Vec<Step>,
    /// Increases at every acknowledged change.
    pub version: u64,
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
            a,
            base,
            dir,
            schools,
            steps: Vec::new(),
            redo: Vec::new(),
            version: 0,
            current: empty_adjusted(),
            touched: Vec::new(),
            header,
        };
        session.current = session.apply_steps(&steps)?;
        session.steps = steps;
        session.save()?;
        Ok(session)
    }

    /// The adjustments file of the session.
    pub fn path(&self) -> PathBuf {
        self.dir.join(SESSION_FILE)
    }

    /// The steps as an adjustments file.
    pub fn toml(&self) -> Result<String> {
        steps_toml(&self.header, &self.steps).map_err(anyhow::Error::msg)
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
        let start = match &self.base {
            Base::Run { ids } => Adjuster::new_with(&a.file.grid, &a.output, ids, &a.settings, &self.lookup),
            Base::File { perimeters, .. } => adjust::file_adjuster(a, perimeters, Some(&self.lookup)),
        };
        let run = Run { output: &a.output, grid: &a.file.grid, communes: &a.communes, settings: &a.settings };
        // The tables apply() adds are not written: the session file is what is kept.
        let mut scratch = OutputSet::new(&self.dir);
        Ok(qpv_layers::adjustments::apply(&edits, &run, start, &mut scratch)?)
    }

    /// Writes the session file, all or nothing.
    pub fn save(&self) -> Result<()> {
        OutputSet::write_one(&self.path(), self.toml()?.into_bytes())?;
        Ok(())
    }

    /// Applies `steps` and, when they apply, makes them the session's, written to disk
    /// before anything else changes (a step that does not apply changes nothing).
    fn take(&mut self, steps: Vec<Step>) -> Result<(), ApiError> {
        let result = self.apply_steps(&steps).map_err(|e| ApiError::BadRequest(format!("{e:#}")))?;
        let before = std::mem::replace(&mut self.steps, steps);
        if let Err(e) = self.save() {
            self.steps = before;
            return Err(ApiError::Internal(format!("cannot write the session: {e:#}")));
        }
        self.touched = touched(&self.current, &result);
        self.current = result;
        self.version += 1;
        Ok(())
    }

    /// Adds a step posted as JSON at `version`.
    pub fn edit(&mut self, version: u64, step: Value) -> Result<(), ApiError> {
        if version != self.version {
            return Err(ApiError::Stale {
                current: self.version,
                message: format!(
                    "the session is at version {}, not {version}: it changed elsewhere; reload it",
                    self.version
                ),
            });
        }
        let mut written = Vec::new();
        let taken = self
            .step_from_json(step, &mut written)
            .and_then(|step| self.take([self.steps.clone(), vec![step]].concat()));
        if let Err(e) = taken {
            // A refused step leaves no file behind (a file it shares with a step of the
            // session, undone or not, was not written by it).
            for path in written {
                let _ = std::fs::remove_file(path);
            }
            return Err(self.worded(e));
        }
        self.redo.clear();
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

    /// Takes back the last step.
    pub fn undo(&mut self) -> Result<(), ApiError> {
        let (last, kept) =
            self.steps.split_last().ok_or_else(|| ApiError::BadRequest("nothing to undo".into()))?;
        let (last, kept) = (last.clone(), kept.to_vec());
        self.take(kept)?;
        self.redo.push(last);
        Ok(())
    }

    /// Makes the last step undone again.
    pub fn redo(&mut self) -> Result<(), ApiError> {
        let step = self.redo.last().cloned().ok_or_else(|| ApiError::BadRequest("nothing to redo".into()))?;
        self.take([self.steps.clone(), vec![step]].concat())?;
        self.redo.pop();
        Ok(())
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
            OutputSet::write_one(&path, bytes)
                .map_err(|e| ApiError::Internal(format!("cannot write {}: {e}", path.display())))?;
            written.push(path);
        }
        Ok(name)
    }
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

//! `qpv serve`: the negotiation workbench. A local server (the `qpv-serve` crate) on a
//! [`Session`]: the perimeters of a run or of a file, the steps made on the map, each
//! re-checked by the adjustments engine and written to `--out` before it is answered.

mod compare;
mod lock;
mod session;
mod squares;
mod state;

use crate::analysed::{self, Analysed, Reading};
use crate::args::{FormatArg, ServeArgs};
use crate::printer::Printer;
use anyhow::{Context, Result, bail};
pub use lock::{FolderLock, LOCK_FILE};
use qpv_core::compare::Perimeters;
use qpv_layers::crs::Transformer;
use qpv_layers::edits::Edits;
use qpv_layers::layers::Formats;
use qpv_serve::{ApiError, ExportJob, ServeConfig, Workbench};
use serde_json::{Value, json};
pub use session::{Base, SESSION_FILE, SETTINGS_FILE, Session};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The session with what the page needs besides it, computed once.
pub struct Bench {
    session: Session,
    fixed: state::Fixed,
    to_wgs84: Transformer,
    from_wgs84: Transformer,
    candidates: Perimeters,
    owner: Vec<u32>,
    features: state::FeatureCache,
    printer: Printer,
}

/// Starts the server and serves until killed.
pub fn serve(args: &ServeArgs, printer: Printer) -> Result<()> {
    let tile_origin = match args.tiles.as_deref() {
        Some(t) => Some(qpv_serve::tile_origin(t).with_context(|| {
            format!("--tiles {t}: not an http(s) tile template such as https://tile.openstreetmap.org/{{z}}/{{x}}/{{y}}.png")
        })?),
        None => None,
    };
    let (bench, mut lock) = open(args, printer)?;
    if !args.listen.is_loopback() {
        printer.warn(format!(
            "listening on {}: anyone on this network who has the address with its token can edit the session; \
             use it only on a meeting room's network you trust",
            args.listen
        ));
    }
    let config = ServeConfig { listen: args.listen, port: args.port, tile_origin, ..ServeConfig::default() };
    let open_browser = args.open;
    qpv_serve::serve(config, bench, |_, addresses| {
        // The lines tests and scripts read (API.md); always printed, even with --quiet.
        eprintln!("qpv serve: open {}", addresses.edit);
        eprintln!("qpv serve: read-only link (projector, participants who look): {}", addresses.view);
        let origin = addresses.edit.split_once('#').map_or(addresses.edit.as_str(), |(origin, _)| origin);
        if let Err(e) = lock.announce(origin) {
            printer
                .warn(format!("{e:#}: a second qpv serve on this folder will not know this one's address"));
        }
        if open_browser {
            open_in_browser(&addresses.edit, printer);
        }
    })?;
    // The lock is released (and its file emptied) only now that nothing is served.
    drop(lock);
    Ok(())
}

/// The folder's lock, taken before anything is read: a second server on one folder is
/// refused at once, a folder left by a killed one is taken over.
fn lock_folder(dir: &Path, printer: Printer) -> Result<FolderLock> {
    let (lock, killed) = FolderLock::take(dir)?;
    if let Some(holder) = killed {
        printer.warn(lock::taken_over(dir, &holder));
    }
    Ok(lock)
}

/// Takes the folder, reads everything, replays `--edits` and writes the session's first
/// files; the session, and the folder's lock to hold while serving.
pub fn open(args: &ServeArgs, printer: Printer) -> Result<(Bench, FolderLock)> {
    // A folder that does not exist yet is locked once made, below.
    let mut lock = if args.out.is_dir() { Some(lock_folder(&args.out, printer)?) } else { None };
    refuse_a_session_there(&args.out, args.edits.as_deref())?;
    let edits = args.edits.as_deref().map(Edits::read).transpose()?;
    let schools = args
        .schools
        .as_deref()
        .map(|p| p.canonicalize().with_context(|| format!("--schools {}: cannot open it", p.display())))
        .transpose()?;
    let mut options = crate::args::judging_options(&args.rule, &args.input, &args.buildings, &args.settings)?;
    // Absolute, so that settings.toml replays from anywhere and the export's manifest
    // names the grid as the replay's does.
    if let Some(grid) = options.grid.as_mut().filter(|g| g.is_file()) {
        *grid = grid.canonicalize().with_context(|| format!("--grid {}", grid.display()))?;
    }
    if let Some(b) = options.buildings.as_mut() {
        *b = b.canonicalize().with_context(|| format!("--buildings {}: cannot open it", b.display()))?;
    }
    let a = analysed::analyse(&options, Reading::default(), printer)?;
    let epsg = a.epsg();
    let file_schools = match &schools {
        Some(path) => qpv_layers::schools::read_schools(path, None, epsg, qpv_layers::schools::Keep::Rep)?,
        None => Vec::new(),
    };
    let (candidates, near_miss_areas) =
        qpv_layers::records::area_records(&a.output, &a.file.grid, &a.communes);
    let near_misses = qpv_layers::records::near_miss_records(&a.output, &a.file.grid, near_miss_areas);
    let to_wgs84 = Transformer::new(epsg, 4326)?;
    let near_misses = state::features(&near_misses, &to_wgs84, |_, _| {})?;
    let candidate_set = compare::perimeter_set(&candidates);
    let base = match super::perimeter_file(&args.perimeters, epsg, printer)? {
        Some(file) => {
            let perimeters = super::check::file_perimeters(&a, &file)?;
            Base::File { file: Box::new(file), perimeters }
        }
        None => Base::Run { ids: candidates.iter().map(|c| c.record.id.clone()).collect() },
    };
    // The folder is made only now that everything was read, and taken back if the
    // session cannot start: a failed start leaves nothing behind.
    let made = !args.out.exists();
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("--out {}: cannot make the folder", args.out.display()))?;
    let dir = args.out.canonicalize().with_context(|| format!("--out {}", args.out.display()))?;
    // Refused here when another server made the folder meanwhile.
    let lock = match lock.take() {
        Some(lock) => lock,
        None => lock_folder(&dir, printer)?,
    };
    let steps = edits.as_ref().map(|e| session::resumed_steps(e, &dir)).unwrap_or_default();
    let resumed = steps.len();
    let session = match Session::new(a, base, dir.clone(), schools, steps) {
        Ok(session) => session,
        Err(e) => {
            if made {
                drop(lock);
                let _ = std::fs::remove_file(dir.join(LOCK_FILE));
                let _ = std::fs::remove_dir(&dir);
            }
            return Err(e.context("replaying --edits (fix the step named, or start without --edits)"));
        }
    };
    write_settings(&session.a, &session.dir)?;
    if resumed > 0 {
        printer.info(format!(
            "resumed {resumed} steps from {}",
            args.edits.as_deref().unwrap_or(Path::new("")).display()
        ));
    }
    printer.info(format!("session: {}", session.path().display()));
    let owner = squares::owners(&session);
    let mut features = state::FeatureCache::default();
    features.update(&session, &to_wgs84)?;
    let fixed = state::Fixed {
        tiles: args.tiles.clone(),
        tiles_attribution: args.tiles.as_deref().map(state::attribution),
        extent: state::bbox(&session, &to_wgs84)?,
        near_misses,
        schools: file_schools,
        places: state::places(&session.a, &to_wgs84)?,
    };
    let bench = Bench {
        features,
        session,
        fixed,
        from_wgs84: Transformer::new(4326, epsg)?,
        to_wgs84,
        candidates: candidate_set,
        owner,
        printer,
    };
    Ok((bench, lock))
}

/// A session already in `--out` is resumed only when asked (`--edits DIR/session.toml`),
/// never overwritten; said before the grid is read.
fn refuse_a_session_there(out: &Path, edits: Option<&Path>) -> Result<()> {
    let existing = out.join(SESSION_FILE);
    if existing.exists() && edits.is_none() {
        let existing = existing.canonicalize().unwrap_or(existing);
        bail!(
            "{} holds a session: resume it with --edits {}, or give another --out",
            existing.parent().unwrap_or(out).display(),
            existing.display()
        );
    }
    Ok(())
}

/// `settings.toml`: the grid (absolute) and every option, for `qpv run --settings`.
fn write_settings(a: &analysed::Analysed, dir: &Path) -> Result<()> {
    let mut options = a.options.clone();
    options.edits = None;
    let text = format!(
        "# The settings of a qpv serve session (qpv run --settings {SETTINGS_FILE} --edits {SESSION_FILE}).\n{}",
        toml::to_string(&options).context("writing the settings")?
    );
    session::write_durably(&dir.join(SETTINGS_FILE), text.into_bytes())
}

fn open_in_browser(url: &str, printer: Printer) {
    if let Err(e) = std::process::Command::new("xdg-open").arg(url).spawn() {
        printer.warn(format!("--open: cannot start a browser ({e}); open the address above"));
    }
}

fn internal(e: anyhow::Error) -> ApiError {
    ApiError::Internal(format!("{e:#}"))
}

impl Bench {
    fn changed(&mut self) -> Result<Value, ApiError> {
        self.owner = squares::owners(&self.session);
        self.features.update(&self.session, &self.to_wgs84).map_err(internal)?;
        self.state()
    }

    fn formats(request: &Value) -> Result<Vec<FormatArg>, ApiError> {
        let mut formats = vec![FormatArg::Geojson];
        let asked = request.get("formats").and_then(Value::as_array).cloned().unwrap_or_default();
        for f in asked {
            let f = match f.as_str() {
                Some("geojson") => FormatArg::Geojson,
                Some("shapefile") => FormatArg::Shapefile,
                Some("gpkg") => FormatArg::Gpkg,
                _ => {
                    return Err(ApiError::BadRequest(format!(
                        "unknown format {f}: geojson, shapefile or gpkg"
                    )));
                }
            };
            if !formats.contains(&f) {
                formats.push(f);
            }
        }
        Ok(formats)
    }

    /// What an export of the session takes, taken now: the run and the base (shared), the
    /// steps as the session file holds them, and the options the manifest records.
    fn export_job(&self, formats: Vec<FormatArg>) -> Result<Export> {
        let s = &self.session;
        let path = s.dir.join(SESSION_FILE);
        let edits = Edits::from_bytes(&path, s.toml()?.into_bytes())?;
        // The manifest records the options as `qpv run --settings settings.toml --edits
        // DIR/session.toml --format …` would: the replay's manifest is the same bytes. A
        // copy: the session's own options stay as they were read.
        let mut options = s.a.options.clone();
        options.edits = Some(path);
        options.format = Some(formats.clone());
        Ok(Export {
            a: Arc::clone(&s.a),
            base: Arc::clone(&s.base),
            dir: s.dir.clone(),
            schools: s.schools.clone(),
            edits,
            options,
            formats,
            printer: self.printer,
        })
    }
}

/// An export taken from the session: run without it (qpv_serve runs one at a time).
struct Export {
    a: Arc<Analysed>,
    base: Arc<Base>,
    dir: PathBuf,
    schools: Option<PathBuf>,
    edits: Edits,
    options: crate::settings::RunOptions,
    formats: Vec<FormatArg>,
    printer: Printer,
}

impl Export {
    /// Writes `DIR/export/`: what `run --edits` (or `adjust`) writes on the session file,
    /// and `check/` on the adjusted perimeters.
    fn write(&self) -> Result<(PathBuf, Vec<PathBuf>)> {
        let (a, edits, formats, settings) = (&*self.a, &self.edits, &self.formats[..], &self.options);
        let dir = self.dir.join("export");
        let layer_formats = Formats::parse(&FormatArg::names(formats)).map_err(anyhow::Error::msg)?;
        let mut written = match &*self.base {
            Base::Run { .. } => {
                let request =
                    super::run::Outputs { edits: Some(edits), formats, out_crs: None, dir: &dir, settings };
                super::run::write_outputs(a, request, self.printer, &mut super::run::Timings::new(false))?
            }
            Base::File { file, perimeters } => {
                let request = super::adjust::FileOutputs {
                    file,
                    perimeters,
                    edits,
                    formats: layer_formats,
                    out_crs: None,
                    settings,
                };
                super::adjust::write_file_outputs(a, request, &dir, self.printer)?
            }
        };
        let adjusted =
            qpv_layers::perimeters::read_perimeters(&dir.join("adjusted.geojson"), None, None, a.epsg())?;
        let check = super::check::CheckRequest {
            file: &adjusted,
            schools: self.schools.as_deref(),
            school_distance: qpv_core::DEFAULT_SCHOOL_DISTANCE_M,
            formats: layer_formats,
            out_crs: None,
            settings,
        };
        written.extend(super::check::write_check(a, check, &dir.join("check"), self.printer)?);
        // The files were renamed into place (and synced one by one): their names reach the
        // disk with their folders' sync, before the answer says they are written.
        for folder in [dir.join("check"), dir.clone(), self.dir.clone()] {
            session::sync_folder(&folder)?;
        }
        Ok((dir, written))
    }
}

impl Workbench for Bench {
    fn version(&self) -> u64 {
        self.session.history.version
    }

    fn state(&self) -> Result<Value, ApiError> {
        state::state(&self.session, &self.features, &self.fixed, &self.to_wgs84).map_err(internal)
    }

    fn squares(&self, bbox: [f64; 4]) -> Result<Value, ApiError> {
        squares::squares(&self.session, bbox, &self.owner, &self.from_wgs84, &self.to_wgs84).map_err(internal)
    }

    fn edit(&mut self, version: u64, step: Value, window: Option<&str>) -> Result<Value, ApiError> {
        self.session.edit(version, step, window)?;
        self.changed()
    }

    fn undo(&mut self, version: u64, window: Option<&str>) -> Result<Value, ApiError> {
        self.session.undo(version, window)?;
        self.changed()
    }

    fn redo(&mut self, version: u64, window: Option<&str>) -> Result<Value, ApiError> {
        self.session.redo(version, window)?;
        self.changed()
    }

    fn edits_toml(&self) -> Result<String, ApiError> {
        self.session.toml().map_err(internal)
    }

    fn compare(&self) -> Result<Value, ApiError> {
        compare::comparison(&self.session, &self.candidates, &self.to_wgs84).map_err(internal)
    }

    fn export(&self, request: Value) -> Result<ExportJob, ApiError> {
        let export = self.export_job(Self::formats(&request)?).map_err(internal)?;
        Ok(Box::new(move || {
            let (dir, written) = export.write().map_err(internal)?;
            let files: Vec<String> =
                written.iter().map(|p| p.strip_prefix(&dir).unwrap_or(p).display().to_string()).collect();
            Ok(json!({ "dir": dir.display().to_string(), "files": files }))
        }))
    }
}

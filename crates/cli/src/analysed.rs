//! The one load-and-run path: every command that needs a grid (and later the server)
//! starts here.
//!
//! [`load`] reads the grid and the commune table (in parallel), checks the territory,
//! picks and reads the medians and resolves the settings once: a [`Loaded`] grid.
//! [`Loaded::analyse`] runs the method on it: an [`Analysed`] grid, whose squares'
//! income fits are computed once, when first asked for ([`Analysed::fits`]).

use crate::printer::{Printer, thousands};
use crate::progress::Bar;
use crate::settings::{MedianSource, RunOptions};
use anyhow::{Context, Result, bail};
use qpv_core::buildings::Buildings;
use qpv_core::{CommuneTable, LogNormal, MedianReference, Pipeline, RunOutput, RunSettings, Territory};
use qpv_grid::{GridFile, GridReader, InputFile};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// What to read besides the method's columns.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reading {
    /// The descriptive columns (households, dwellings, ages) for indicators.
    pub profiles: bool,
}

/// A grid read, with everything the method needs, settings resolved.
pub struct Loaded {
    /// The grid as read.
    pub file: GridFile,
    /// The commune table.
    pub communes: CommuneTable,
    /// Metropolitan or overseas rule, from the grid's CRS.
    pub territory: Territory,
    /// Where the medians come from.
    pub medians: MedianSource,
    /// The median reference, when one applies.
    pub reference: Option<MedianReference>,
    /// The settings as applied.
    pub settings: RunSettings,
    /// Every option as applied (what the manifest records).
    pub options: RunOptions,
    /// The inputs for a manifest: grid (and the CSV a cache came from), communes, medians.
    pub inputs: Vec<InputFile>,
    /// Time spent reading.
    pub read_time: Duration,
    /// `--buildings`: where the residents of the squares a drawn line cuts live.
    pub buildings: Option<Buildings>,
}

/// A grid run through the method.
pub struct Analysed {
    /// The grid, tables and settings.
    pub loaded: Loaded,
    /// The run.
    pub output: RunOutput,
    /// Time of the method itself.
    pub run_time: Duration,
    fits: OnceLock<Vec<Option<LogNormal>>>,
}

impl std::ops::Deref for Analysed {
    type Target = Loaded;
    fn deref(&self) -> &Loaded {
        &self.loaded
    }
}

/// Reads the grid and the tables `options` name and resolves the settings.
pub fn load(options: &RunOptions, reading: Reading, printer: Printer) -> Result<Loaded> {
    let started = Instant::now();
    // Bad values fail before a national grid is read (the checks do not depend on the
    // territory; its defaults are applied below, once the grid says which it is).
    options.run_settings(Territory::Metropolitan)?;
    // The commune table loads on its own thread while the grid is read.
    let (file, communes) = std::thread::scope(|s| {
        let communes = s.spawn(|| options.commune_table());
        let file = read_grid(options, reading, printer);
        (file, communes.join())
    });
    let file = file?;
    let (communes, communes_input) =
        communes.map_err(|_| anyhow::anyhow!("loading the commune table failed"))??;
    let territory = territory(&file)?;
    let medians = MedianSource::resolve(options.medians.as_deref(), file.layout.release)?;
    let reference = medians.load()?;
    let settings = options.run_settings(territory)?;
    let options = options.resolved(&settings, &medians);
    let mut inputs = inputs_of(&file, communes_input, reference.as_ref().map(|r| &r.1));
    let buildings = read_buildings(&options, &file, printer)?;
    if let Some((_, input)) = &buildings {
        inputs.push(input.clone());
    }
    let buildings = buildings.map(|b| b.0);
    let reference = reference.map(|r| r.0);
    let read_time = started.elapsed();
    Ok(Loaded {
        file,
        communes,
        territory,
        medians,
        reference,
        settings,
        options,
        inputs,
        read_time,
        buildings,
    })
}

/// The `--buildings` layer, in the grid's CRS and lattice, with its input entry.
fn read_buildings(
    options: &RunOptions,
    file: &GridFile,
    printer: Printer,
) -> Result<Option<(Buildings, InputFile)>> {
    let Some(path) = &options.buildings else { return Ok(None) };
    let frame = file.grid.frame().context("empty grid")?;
    let (buildings, read) = qpv_layers::buildings::read_buildings(
        path,
        options.buildings_layer.as_deref(),
        None,
        frame.epsg,
        frame.square_size as f64,
    )?;
    printer.info(format!(
        "read {} residential buildings from {} ({} weighed by dwellings, {} by floor area; {} other features left \
         out)",
        buildings.len(),
        path.display(),
        read.by_dwellings,
        read.by_floor_area,
        read.left_out
    ));
    Ok(Some((buildings, qpv_layers::perimeters::geometry_input(path, "buildings")?)))
}

/// Reads and runs: [`load`] then [`Loaded::analyse`].
pub fn analyse(options: &RunOptions, reading: Reading, printer: Printer) -> Result<Analysed> {
    load(options, reading, printer)?.analyse()
}

impl Loaded {
    /// Runs the method with the resolved settings.
    pub fn analyse(self) -> Result<Analysed> {
        let started = Instant::now();
        let output = Pipeline::new(&self.file.grid, &self.communes)
            .settings(self.settings.clone())
            .reference(self.reference.as_ref())
            .run()
            .with_context(|| self.file.input.path.to_string())?;
        Ok(Analysed { loaded: self, output, run_time: started.elapsed(), fits: OnceLock::new() })
    }

    /// The grid's EPSG code.
    pub fn epsg(&self) -> u32 {
        self.file.grid.frame().map_or(3035, |f| f.epsg)
    }
}

impl Analysed {
    /// A manifest of `command` on this run: the tool, the note on estimates, `inputs`
    /// (the run's and the command's own), the `settings` it records (the run's options,
    /// or those of the command a `qpv serve` export stands for) and the medians; the
    /// command adds its `method`, `results`, `warnings` and `outputs`.
    pub fn manifest(
        &self,
        command: &str,
        inputs: Vec<InputFile>,
        settings: &RunOptions,
    ) -> Result<qpv_grid::manifest::Manifest> {
        let f = &self.output.flagged;
        Ok(qpv_grid::manifest::Manifest {
            tool: "qpv".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            command: command.into(),
            note: crate::commands::run::ESTIMATE_NOTE.into(),
            inputs,
            settings: serde_json::to_value(settings).context("recording the settings")?,
            method: serde_json::Value::Null,
            medians: serde_json::json!({
                "poverty_line": (f.poverty_line * 100.0).round() / 100.0,
                "national_median": (f.national_median * 100.0).round() / 100.0,
            }),
            results: serde_json::Value::Null,
            warnings: Vec::new(),
            outputs: Vec::new(),
        })
    }

    /// Every square's estimated income distribution (`None` without income data), at
    /// the run's poverty line: computed on first use, once.
    pub fn fits(&self) -> &[Option<LogNormal>] {
        self.fits.get_or_init(|| {
            qpv_core::medians::fit_squares(
                &self.file.grid,
                &self.settings.model,
                self.output.flagged.poverty_line,
            )
        })
    }
}

/// The rule that applies to the grid's CRS (the one wording of this check in the CLI).
pub fn territory(file: &GridFile) -> Result<Territory> {
    let frame = file.grid.frame().context("empty grid")?;
    Territory::for_epsg(frame.epsg).with_context(|| {
        format!("{}: EPSG:{} is not a Filosofi grid CRS (3035, 5490, 2975)", file.input.path, frame.epsg)
    })
}

/// Reads the grid `options` name, reporting time and skipped rows.
pub fn read_grid(options: &RunOptions, reading: Reading, printer: Printer) -> Result<GridFile> {
    let started = Instant::now();
    let bar = Bar::new(printer.shows_progress());
    let file = GridReader::new(options.grid_source())
        .skip_bad_rows(options.skip_bad_rows())
        .profiles(reading.profiles)
        .progress(&bar)
        .finish()?;
    printer.info(format!(
        "read {} squares ({} inhabitants) from {} in {:.2} s [{} layout]",
        thousands(file.grid.len() as f64),
        thousands(file.grid.individuals()),
        file.input.path,
        started.elapsed().as_secs_f64(),
        file.layout.release.label()
    ));
    for row in file.skipped.iter().take(20) {
        printer.warn(format!("{}, line {}: {} (row left out)", file.input.path, row.line, row.problem));
    }
    if file.skipped.len() > 20 {
        printer.warn(format!(
            "… {} more rows left out; all are listed in skipped_rows.csv",
            file.skipped.len() - 20
        ));
    }
    if file.grid.is_empty() {
        bail!("{}: every row was bad, no square left", file.input.path);
    }
    Ok(file)
}

/// The inputs of a run for its manifest: the grid (and the CSV a cache came from), the
/// commune table and the median reference.
fn inputs_of(file: &GridFile, communes: InputFile, medians: Option<&InputFile>) -> Vec<InputFile> {
    let mut inputs = vec![file.input.clone()];
    inputs.extend(file.source.clone());
    inputs.push(communes);
    inputs.extend(medians.cloned());
    inputs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_loads_with_resolved_settings_and_fits_once() {
        let a = analyse(&RunOptions::default(), Reading::default(), Printer::Quiet).unwrap();
        assert_eq!(a.territory, Territory::Metropolitan);
        assert_eq!(a.medians, MedianSource::Embedded("filosofi2019".into()));
        assert_eq!(a.options.medians.as_deref(), Some("filosofi2019"));
        assert_eq!(a.settings, RunSettings::for_territory(Territory::Metropolitan));
        assert_eq!(a.output.candidates.candidates.len(), 8);
        let fits = a.fits();
        assert_eq!(fits.len(), a.file.grid.len());
        assert!(std::ptr::eq(fits, a.fits()), "computed once");
        // Where the run fitted a square, the fit is the same.
        for (mine, run) in fits.iter().zip(&a.output.flagged.fits) {
            if run.is_some() {
                assert_eq!(mine, run);
            }
        }
    }

    #[test]
    fn a_grid_in_an_unknown_crs_is_refused_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("grid.csv");
        std::fs::write(
            &path,
            "idcar_200m,lcog_geo,ind,men,men_pauv,ind_snv\nCRS2154RES200mN2969400E3794800,59172,400,160,90,4200000\n",
        )
        .unwrap();
        let options = RunOptions { grid: Some(path), ..RunOptions::default() };
        let e = load(&options, Reading::default(), Printer::Quiet).err().unwrap().to_string();
        assert!(e.contains("grid.csv") && e.contains("EPSG:2154"), "{e}");
    }
}

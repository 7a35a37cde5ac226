//! Command-line arguments: clap types holding what the user typed, every knob of the
//! method an `Option` with no default of its own (see `settings.rs` for how they combine
//! with a settings file and resolve against the core defaults; [`command`] shows those
//! defaults in `--help`).

use crate::settings::RunOptions;
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Statistical "quartiers prioritaires de la politique de la ville" (QPV) from
/// INSEE's 200 m Filosofi income grid.
///
/// Medians are estimated from the grid's public columns (mean niveau de vie and
/// poor-household share) with a log-normal model: every figure is an estimate.
#[derive(Debug, Parser)]
#[command(name = "qpv", version, about, long_about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,

    /// Print only errors and warnings.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compute candidate QPV perimeters from a Filosofi grid (the embedded CAPH
    /// sample when no --grid is given).
    Run(RunArgs),
    /// Re-run the rule for every combination of parameter values on one parsed grid:
    /// how many quartiers and inhabitants each gives, per urban unit, and how robust
    /// each baseline candidate is.
    Sweep(SweepArgs),
    /// Search the calibration factor (and optionally the contiguity) that best
    /// reproduces a published count of quartiers and inhabitants; write it as settings.
    Calibrate(CalibrateArgs),
    /// Parse a grid once into a binary cache that `qpv run --grid FILE` reads without
    /// parsing CSV again (for repeated runs on one file).
    Import(ImportArgs),
    /// Compare two sets of perimeters (e.g. statistical candidates and the negotiated
    /// QPV): areas, overlap, inhabitants gained and lost, per perimeter and per commune.
    Compare(CompareArgs),
    /// Check every perimeter of a file (GeoJSON, shapefile, GeoPackage) against each
    /// criterion of the decree, with the figure behind each: check.csv, check.geojson,
    /// check.md. Perimeters that fail are findings (exit 0).
    Check(CheckArgs),
    /// Apply an adjustments file (as `qpv run --edits`) to the perimeters of a file
    /// instead of the candidates of a run.
    Adjust(AdjustArgs),
    /// The negotiation workbench: a local map where perimeters are redrawn, the decree
    /// re-checked at every edit and the session written as an adjustments file that
    /// `qpv run --edits` replays exactly.
    Serve(ServeArgs),
    /// Key indicators (poverty, households, dwellings, ages…) of perimeters, or of the
    /// candidates of a run, next to their urban unit and metropolitan France.
    Indicators(IndicatorsArgs),
    /// Draw the candidates (or given perimeters, a comparison, squares by estimated
    /// median, REP schools) as SVG and PNG with scale bar, legend and commune labels, and
    /// as a self-contained HTML page to pan, zoom and click.
    Map(MapArgs),
    /// An atlas to hand out: atlas.pdf (and the same pages as atlas.html), a cover with
    /// the map of every perimeter and a summary table, then one page per perimeter with
    /// its map, figures, each criterion of the decree and its key indicators beside its
    /// urban unit and France.
    Atlas(AtlasArgs),
    /// Median reference tables (national and urban-unit medians of a whole grid).
    #[command(subcommand)]
    Reference(ReferenceCommand),
}

/// `qpv reference …`
#[derive(Debug, Subcommand)]
pub enum ReferenceCommand {
    /// Compute the national median, the poverty line and every urban unit's median
    /// on a whole national grid, for runs on extracts.
    Build(ReferenceBuildArgs),
    /// Sum every column of a whole national grid per urban unit and for the country,
    /// so that indicators on extracts can be set beside their urban unit and France.
    Totals(ReferenceTotalsArgs),
}

/// Options shared by commands that read a grid.
#[derive(Debug, Clone, Args)]
pub struct GridArgs {
    /// Filosofi 200 m grid: CSV or CSV.gz, any release layout (2015, 2017, 2019, 2021),
    /// ',' or ';'. Without it, the embedded CAPH sample (Filosofi 2019) is used.
    #[arg(long, value_name = "PATH")]
    pub grid: Option<PathBuf>,

    #[command(flatten)]
    pub tables: TableArgs,
}

/// How a grid is read and placed: the commune table, and what to do with bad rows.
#[derive(Debug, Clone, Args)]
pub struct TableArgs {
    /// Commune table (CSV with CODGEO, LIBGEO, DEP, EPCI, LIBEPCI, UU2020, LIBUU2020,
    /// POP, POP_UU2020) replacing the embedded one.
    #[arg(long, value_name = "PATH")]
    pub communes: Option<PathBuf>,

    /// Which embedded commune table to use when --communes is not given.
    #[arg(long, value_enum, value_name = "YEAR")]
    pub cog: Option<CogVintage>,

    /// Leave out rows that cannot be read (bad id, non-numeric or negative counts…)
    /// instead of stopping; each one is reported.
    #[arg(long, overrides_with = "no_skip_bad_rows")]
    pub skip_bad_rows: bool,

    /// Stop at the first bad row (the default; overrides a settings file's skip_bad_rows).
    #[arg(long, overrides_with = "skip_bad_rows")]
    pub no_skip_bad_rows: bool,
}

/// `--connectivity`: 4 or 8 (the core turns it into a `Connectivity`).
fn neighbours(text: &str) -> Result<u8, String> {
    match text.parse::<u8>() {
        Ok(n) if qpv_core::Connectivity::from_neighbours(n).is_some() => Ok(n),
        _ => Err(format!("{text:?}: squares touch by 4 or 8 neighbours")),
    }
}

/// A `--flag` / `--no-flag` pair: `None` when neither was given.
fn flag(yes: bool, no: bool) -> Option<bool> {
    match (yes, no) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    }
}

impl GridArgs {
    /// What was typed about the grid and its tables.
    pub fn options(&self) -> RunOptions {
        self.tables.options(self.grid.clone())
    }
}

impl TableArgs {
    /// What was typed about the tables, with `grid`.
    pub fn options(&self, grid: Option<PathBuf>) -> RunOptions {
        RunOptions {
            grid,
            communes: self.communes.clone(),
            cog: self.cog,
            skip_bad_rows: flag(self.skip_bad_rows, self.no_skip_bad_rows),
            ..RunOptions::default()
        }
    }
}

/// Embedded commune tables.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Serialize, Deserialize)]
pub enum CogVintage {
    /// Communes of 1 January 2021 (best match for Filosofi 2019).
    #[value(name = "2021")]
    #[serde(rename = "2021")]
    Cog2021,
    /// Communes of 1 January 2024.
    #[value(name = "2024")]
    #[serde(rename = "2024")]
    Cog2024,
}

/// Perimeter file formats.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FormatArg {
    /// GeoJSON, RFC 7946 (WGS84 longitude/latitude).
    Geojson,
    /// ESRI shapefile (Lambert-93, EPSG:2154, unless --crs says otherwise).
    Shapefile,
    /// GeoPackage: one qpv.gpkg with every layer, the audit table and QGIS styles
    /// (Lambert-93 unless --crs says otherwise).
    Gpkg,
    /// squares.parquet: every square with its values, estimated median, unit and flag
    /// (only in a qpv built with `--features parquet`).
    Parquet,
}

impl FormatArg {
    /// The formats asked for with GeoJSON, which is always written, first; each once.
    pub fn with_geojson(asked: Option<&[FormatArg]>) -> Vec<FormatArg> {
        let mut out = vec![FormatArg::Geojson];
        for f in asked.into_iter().flatten() {
            if !out.contains(f) {
                out.push(*f);
            }
        }
        out
    }

    /// The names of formats as given on the command line (`geojson`, `gpkg`…).
    pub fn names(formats: &[FormatArg]) -> Vec<String> {
        formats.iter().filter_map(|f| f.to_possible_value()).map(|v| v.get_name().to_owned()).collect()
    }
}

/// `qpv run`
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub input: GridArgs,

    #[command(flatten)]
    pub rule: RuleArgs,

    #[command(flatten)]
    pub settings: SettingsArg,

    /// Folder for the outputs (created if needed; files in it are replaced only when
    /// the run succeeds).
    #[arg(long, short, default_value = "qpv-out", value_name = "DIR")]
    pub out: PathBuf,

    /// Adjustments to apply to the candidates (TOML: REP/REP+ schools, renewal areas,
    /// squares or drawn areas added or removed, merges, splits, renames, pockets of
    /// poverty; see the README). Writes adjusted.geojson, poches.geojson, audit.csv and
    /// schools.csv as well.
    #[arg(long, value_name = "FILE")]
    pub edits: Option<PathBuf>,

    /// Output formats of the perimeters, comma-separated: geojson (RFC 7946, WGS84),
    /// shapefile (Lambert-93, with .prj and .cpg; field names in the README), gpkg (one
    /// GeoPackage, Lambert-93). GeoJSON is always written. Each layer gets a QGIS .qml style.
    #[arg(long, value_delimiter = ',', value_name = "FORMATS")]
    pub format: Option<Vec<FormatArg>>,

    /// CRS of every perimeter output: EPSG:4326, EPSG:2154 or EPSG:3035. Without it,
    /// GeoJSON is WGS84 (RFC 7946) and shapefiles and GeoPackages Lambert-93; a GeoJSON
    /// in another CRS names it in a `crs` member.
    #[arg(long, value_name = "EPSG:NNNN")]
    pub crs: Option<String>,

    /// Print the wall time of each stage on stderr.
    #[arg(long)]
    pub timings: bool,
}

/// The parameters of the rule and of the method, shared by `run`, `sweep` and `calibrate`.
#[derive(Debug, Clone, Args)]
pub struct RuleArgs {
    /// Where the national and urban-unit medians come from: an embedded reference
    /// ("filosofi2019"), a reference file built by `qpv reference build`, or "grid"
    /// to compute them on the input (only right for a whole national grid).
    /// Default: the embedded Filosofi 2019 reference for 2019/2021-layout grids, the
    /// input grid otherwise.
    #[arg(long, value_name = "VINTAGE|PATH|grid")]
    pub medians: Option<String>,

    /// Squares touching by a corner are contiguous (8) or not (4). INSEE did not
    /// publish its choice.
    #[arg(long, value_name = "4|8", value_parser = neighbours)]
    pub connectivity: Option<u8>,

    /// Keep enclosed holes with no residents (parks, rail yards) as holes instead of
    /// filling them.
    #[arg(long, overrides_with = "fill_empty_holes")]
    pub keep_empty_holes: bool,

    /// Fill enclosed holes with no residents (the default; overrides a settings file's
    /// keep_empty_holes).
    #[arg(long, overrides_with = "keep_empty_holes")]
    pub fill_empty_holes: bool,

    /// A square that is not low-income joins the quartier that surrounds it when at least
    /// N of its 8 neighbours are low-income squares of its urban unit (README,
    /// "Closing"); 0 never takes a square in.
    #[arg(long, help_heading = "Shaping quartiers", value_name = "N", value_parser = clap::value_parser!(u8).range(0..=8))]
    pub close: Option<u8>,

    /// Keep every continuous area whole instead of cutting large ones into
    /// neighbourhood-sized quartiers along density valleys (README, "Splitting").
    #[arg(long, help_heading = "Shaping quartiers", overrides_with = "split")]
    pub no_split: bool,

    /// Cut large continuous areas into neighbourhood-sized quartiers (the default;
    /// overrides a settings file's split = false).
    #[arg(long, help_heading = "Shaping quartiers", overrides_with = "no_split")]
    pub split: bool,

    /// The drop of local density (residents of the 3 × 3 block around a square), from
    /// the lower of two dense cores to the saddle between them, that makes them two
    /// quartiers: 0.5 cuts where density halves.
    #[arg(long, help_heading = "Shaping quartiers", value_name = "SHARE")]
    pub split_depth: Option<f64>,

    /// A part with more inhabitants than this is cut at its weakest link (the lowest
    /// saddle of density) even where density does not drop.
    #[arg(long, help_heading = "Shaping quartiers", value_name = "N")]
    pub split_max: Option<f64>,

    /// A commune boundary always separates two cores (each part must still pass alone).
    #[arg(long, help_heading = "Shaping quartiers", overrides_with = "split_across_communes")]
    pub split_at_communes: bool,

    /// Commune boundaries separate only where density drops (overrides a settings
    /// file's split_at_communes = true).
    #[arg(long, help_heading = "Shaping quartiers", overrides_with = "split_at_communes")]
    pub split_across_communes: bool,

    /// Multiplies the legal threshold before it is compared with estimated niveau-de-vie
    /// medians (the law speaks of declared income, the grid of disposable income).
    /// The default was calibrated on the 2024 geography (README, "Calibration").
    #[arg(long, value_name = "FACTOR")]
    pub calibration_factor: Option<f64>,

    /// Smallest quartier, inhabitants (decree: 1 000).
    #[arg(long, value_name = "N")]
    pub min_population: Option<f64>,

    /// Smallest urban unit that can hold quartiers, inhabitants after rounding up to
    /// 100 (decree: 10 000; overseas: communes of 15 000).
    #[arg(long, value_name = "N")]
    pub min_territory_population: Option<f64>,

    /// Share of the weighted median that defines the threshold (decree: 0.6).
    #[arg(long, value_name = "RATIO")]
    pub ratio: Option<f64>,

    /// Weight of the national median for ordinary urban units (decree: 0.7; the urban
    /// unit's median gets the rest; urban units of 5 million or more use 0.3).
    #[arg(long, value_name = "WEIGHT")]
    pub national_weight: Option<f64>,

    /// Weight of the national median for urban units of at least --large-unit-population
    /// (decree: 0.3, which applies to Paris) and in the overseas rule.
    #[arg(long, value_name = "WEIGHT")]
    pub large_unit_national_weight: Option<f64>,

    /// Urban units at least this populous use --large-unit-national-weight (decree: 5 000 000).
    #[arg(long, value_name = "N")]
    pub large_unit_population: Option<f64>,

    /// Thresholds and populations are rounded up to a multiple of this, € or inhabitants (decree: 100).
    #[arg(long, value_name = "STEP")]
    pub rounding_step: Option<f64>,

    /// Smallest density of a quartier, inhabitants per km² (overseas rule: 2 000; metropolitan: none).
    #[arg(long, value_name = "N")]
    pub min_density: Option<f64>,

    /// Poor shares below this are raised to it when fitting a square (a share of 0 has no log-normal).
    #[arg(long, help_heading = "Income model", value_name = "SHARE")]
    pub min_poor_share: Option<f64>,

    /// Poor shares above this are lowered to it (INSEE caps men_pauv at 80 % of men).
    #[arg(long, help_heading = "Income model", value_name = "SHARE")]
    pub max_poor_share: Option<f64>,

    /// Smallest dispersion (σ of log income) allowed in a square.
    #[arg(long, help_heading = "Income model", value_name = "SIGMA")]
    pub min_sigma: Option<f64>,

    /// Largest dispersion allowed in a square.
    #[arg(long, help_heading = "Income model", value_name = "SIGMA")]
    pub max_sigma: Option<f64>,

    /// Dispersion used where a square's mean and poor share contradict each other.
    #[arg(long, help_heading = "Income model", value_name = "SIGMA")]
    pub fallback_sigma: Option<f64>,

    /// Failing areas with at least this many inhabitants go to near_misses.csv.
    #[arg(long, value_name = "N")]
    pub near_miss_floor: Option<f64>,

    /// Poverty line used in the income model, €/year (default: from the medians source).
    #[arg(long, value_name = "EUR")]
    pub poverty_line: Option<f64>,

    /// National (metropolitan) median niveau de vie, €/year (default: from the medians source).
    #[arg(long, value_name = "EUR")]
    pub national_median: Option<f64>,

    /// Parts of a drawn perimeter closer than this are one continuous area (a street, a
    /// railway or a canal between them), metres.
    #[arg(long, help_heading = "Judging perimeters", value_name = "METRES")]
    pub continuity_gap: Option<f64>,

    /// An estimated median above the threshold by less than this share of it is
    /// undecided, not failing: the estimate's measured accuracy (README, "Accuracy").
    #[arg(long, help_heading = "Judging perimeters", value_name = "SHARE")]
    pub median_band: Option<f64>,
}

impl RuleArgs {
    /// What was typed about the rule and the method.
    pub fn options(&self) -> RunOptions {
        RunOptions {
            medians: self.medians.clone(),
            connectivity: self.connectivity,
            keep_empty_holes: flag(self.keep_empty_holes, self.fill_empty_holes),
            close: self.close,
            split: flag(self.split, self.no_split),
            split_depth: self.split_depth,
            split_max: self.split_max,
            split_at_communes: flag(self.split_at_communes, self.split_across_communes),
            calibration_factor: self.calibration_factor,
            min_population: self.min_population,
            min_territory_population: self.min_territory_population,
            ratio: self.ratio,
            national_weight: self.national_weight,
            large_unit_national_weight: self.large_unit_national_weight,
            large_unit_population: self.large_unit_population,
            rounding_step: self.rounding_step,
            min_density: self.min_density,
            min_poor_share: self.min_poor_share,
            max_poor_share: self.max_poor_share,
            min_sigma: self.min_sigma,
            max_sigma: self.max_sigma,
            fallback_sigma: self.fallback_sigma,
            near_miss_floor: self.near_miss_floor,
            poverty_line: self.poverty_line,
            national_median: self.national_median,
            continuity_gap: self.continuity_gap,
            median_band: self.median_band,
            ..RunOptions::default()
        }
    }
}

impl RunArgs {
    /// What was typed, over the settings file given with --settings.
    pub fn options(&self) -> anyhow::Result<RunOptions> {
        let typed = RunOptions {
            edits: self.edits.clone(),
            format: self.format.clone(),
            crs: self.crs.clone(),
            ..self.rule.options().combine(self.input.options())
        };
        self.settings.over(typed)
    }
}

/// The `qpv` command, with the defaults of the method's options (from the core and
/// [`RunOptions::input_defaults`], never written here) shown in `--help`.
pub fn command() -> clap::Command {
    let defaults = serde_json::to_value(RunOptions::input_defaults()).expect("options serialise");
    let defaults = defaults.as_object().cloned().unwrap_or_default();
    let mut cmd = Cli::command();
    let names: Vec<String> = cmd.get_subcommands().map(|c| c.get_name().to_owned()).collect();
    for name in names {
        cmd = cmd.mut_subcommand(&name, |mut sub| {
            let ids: Vec<String> = sub.get_arguments().map(|a| a.get_id().to_string()).collect();
            for id in ids {
                let Some(shown) = defaults.get(&id).and_then(shown_default) else { continue };
                sub = sub.mut_arg(&id, |a| {
                    let help = a.get_help().map(|h| h.to_string()).unwrap_or_default();
                    let long = a.get_long_help().map(|h| format!("{h}\n\n[default: {shown}]"));
                    let a = a.help(format!("{help} [default: {shown}]"));
                    match long {
                        Some(l) => a.long_help(l),
                        None => a,
                    }
                });
            }
            sub
        });
    }
    cmd
}

/// A default as `--help` shows it (flags and unset values show none).
fn shown_default(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Number(n) => n.as_f64().map(|x| x.to_string()),
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Array(a) => {
            Some(a.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join(","))
        }
        _ => None,
    }
}

/// `qpv sweep`
#[derive(Debug, Clone, Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub input: GridArgs,

    #[command(flatten)]
    pub rule: RuleArgs,

    #[command(flatten)]
    pub settings: SettingsArg,

    /// A parameter and its values: `factor=1.15..1.45:0.05` (range with step) or
    /// `connectivity=4,8` (list). Parameters: factor (calibration_factor), connectivity,
    /// min_population, holes (fill empty holes: true,false), ratio, national_weight,
    /// min_territory_population. Repeat for a grid of combinations.
    #[arg(long = "set", value_name = "NAME=VALUES", required = true)]
    pub set: Vec<String>,

    /// Folder for sweep.csv, sweep_by_uu.csv, robustness.csv and manifest.json.
    #[arg(long, short, default_value = "qpv-sweep", value_name = "DIR")]
    pub out: PathBuf,
}

/// `qpv calibrate`
#[derive(Debug, Clone, Args)]
pub struct CalibrateArgs {
    #[command(flatten)]
    pub input: GridArgs,

    #[command(flatten)]
    pub rule: RuleArgs,

    #[command(flatten)]
    pub settings: SettingsArg,

    /// Number of quartiers to reproduce (2024 geography, metropolitan France: 1 362).
    #[arg(long, default_value_t = qpv_core::GEOGRAPHY_2024_QUARTIERS, value_name = "N")]
    pub target_count: f64,

    /// Inhabitants to reproduce (2024 geography: about 5.3 million).
    #[arg(long, default_value_t = qpv_core::GEOGRAPHY_2024_INHABITANTS, value_name = "N")]
    pub target_population: f64,

    /// Try 4 as well as 8 neighbours.
    #[arg(long)]
    pub search_connectivity: bool,

    /// Smallest factor tried.
    #[arg(long, default_value_t = 1.0, value_name = "F")]
    pub from: f64,

    /// Largest factor tried.
    #[arg(long, default_value_t = 1.6, value_name = "F")]
    pub to: f64,

    /// Step between factors.
    #[arg(long, default_value_t = 0.005, value_name = "F")]
    pub step: f64,

    /// Settings file to write (TOML), for `qpv run --settings FILE`.
    #[arg(long, short, default_value = "qpv-calibrated.toml", value_name = "FILE")]
    pub out: PathBuf,
}

/// `qpv import`
#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub input: GridArgs,

    /// The cache file to write (e.g. grid.qpvgrid).
    #[arg(long, short, value_name = "FILE")]
    pub out: PathBuf,
}

/// `qpv reference build`
#[derive(Debug, Args)]
pub struct ReferenceBuildArgs {
    #[command(flatten)]
    pub input: GridArgs,

    /// Name of the data vintage, recorded in the file (e.g. filosofi2019).
    #[arg(long, default_value = qpv_grid::reference::FILOSOFI2019)]
    pub vintage: String,

    /// Output JSON file.
    #[arg(long, short, value_name = "FILE")]
    pub out: PathBuf,

    /// Poverty line, €/year (default: 60 % of the national median, as a fixed point of the model).
    #[arg(long, value_name = "EUR")]
    pub poverty_line: Option<f64>,
}

/// `qpv compare --within`: the territory the comparison is restricted to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Within {
    /// The communes the reference perimeters touch.
    Reference,
    /// The communes the other perimeters touch.
    Other,
    /// The polygons of a file (a file called `reference` is `./reference`).
    File(PathBuf),
}

impl Within {
    /// As typed.
    pub fn label(&self) -> String {
        match self {
            Within::Reference => "reference".into(),
            Within::Other => "other".into(),
            Within::File(p) => p.display().to_string(),
        }
    }
}

/// `--within`: `reference`, `other` or a file.
fn within(text: &str) -> Result<Within, String> {
    match text {
        "reference" => Ok(Within::Reference),
        "other" => Ok(Within::Other),
        "" => Err("give reference, other or a file of polygons".into()),
        _ => Ok(Within::File(PathBuf::from(text))),
    }
}

/// `qpv compare`
#[derive(Debug, Clone, Args)]
pub struct CompareArgs {
    /// Reference perimeters (A), e.g. qpv's candidates.geojson: GeoJSON, shapefile (.shp
    /// with .dbf, .prj, .cpg) or GeoPackage (.gpkg).
    #[arg(long, value_name = "FILE")]
    pub reference: PathBuf,

    /// Other perimeters (B), e.g. the published or negotiated QPV, in any of those formats.
    #[arg(long, value_name = "FILE")]
    pub other: PathBuf,

    /// CRS of a file that declares none (shapefile without .prj, GeoPackage with an
    /// undefined SRS, projected GeoJSON without a crs member): EPSG:2154, EPSG:3035, EPSG:4326…
    #[arg(long, value_name = "EPSG:NNNN")]
    pub crs: Option<String>,

    /// Layer of a GeoPackage reference file holding several.
    #[arg(long, value_name = "NAME")]
    pub reference_layer: Option<String>,

    /// Layer of a GeoPackage other file holding several.
    #[arg(long, value_name = "NAME")]
    pub other_layer: Option<String>,

    /// Filosofi grid used to estimate the residents of every piece (`sample` for the
    /// embedded CAPH sample). Without it, only areas are compared.
    #[arg(long, value_name = "PATH")]
    pub grid: Option<PathBuf>,

    /// Compare only the perimeters inside a territory: `reference` or `other`, the grid's
    /// squares in the communes that set's perimeters touch (needs --grid), or FILE, its
    /// polygons (GeoJSON, shapefile or GeoPackage). A perimeter is compared when at least
    /// half of it lies inside; comparison.md, within.csv, stderr and the manifest say
    /// what was left out.
    #[arg(long, value_name = "reference|other|FILE", value_parser = within)]
    pub within: Option<Within>,

    /// Layer of a GeoPackage --within file holding several.
    #[arg(long, value_name = "NAME")]
    pub within_layer: Option<String>,

    #[command(flatten)]
    pub tables: TableArgs,

    /// Folder for comparison.csv, by_commune.csv, diff.geojson and comparison.md.
    #[arg(long, short, default_value = "qpv-compare", value_name = "DIR")]
    pub out: PathBuf,

    /// Formats of the difference map, comma-separated: geojson (always), shapefile, gpkg
    /// (comparison.gpkg); each with a QGIS .qml style.
    #[arg(long, value_delimiter = ',', default_value = "geojson", value_name = "FORMATS")]
    pub format: Vec<FormatArg>,

    /// CRS of the difference map: EPSG:4326, EPSG:2154 or EPSG:3035 (default: WGS84 for
    /// GeoJSON, Lambert-93 for shapefile and GeoPackage). `--crs` names the input CRS.
    #[arg(long = "out-crs", value_name = "EPSG:NNNN")]
    pub out_crs: Option<String>,
}

/// Extra rows of `qpv indicators`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ByArg {
    /// Per commune: its part inside the perimeters and the whole commune.
    Commune,
    /// Per EPCI (intercommunality): its part inside the perimeters and the whole EPCI.
    Epci,
}

/// `qpv indicators`
#[derive(Debug, Clone, Args)]
pub struct IndicatorsArgs {
    #[command(flatten)]
    pub input: GridArgs,

    #[command(flatten)]
    pub rule: RuleArgs,

    #[command(flatten)]
    pub perimeters: PerimeterArgs,

    /// Add rows per commune and/or per EPCI, comma-separated: commune,epci.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "LEVELS")]
    pub by: Vec<ByArg>,

    /// Output CSV file (Parquet when it ends in .parquet, in a qpv built with `--features parquet`).
    #[arg(long, short, default_value = "qpv-out/indicators.csv", value_name = "FILE")]
    pub out: PathBuf,
}

/// `qpv reference totals`
#[derive(Debug, Clone, Args)]
pub struct ReferenceTotalsArgs {
    #[command(flatten)]
    pub input: GridArgs,

    /// Output CSV file (gzip-compressed when it ends in .gz).
    #[arg(long, short, value_name = "FILE")]
    pub out: PathBuf,
}

/// `qpv map`
#[derive(Debug, Clone, Args)]
pub struct MapArgs {
    #[command(flatten)]
    pub input: GridArgs,

    #[command(flatten)]
    pub rule: RuleArgs,

    #[command(flatten)]
    pub perimeters: PerimeterArgs,

    /// A comparison's diff.geojson (from `qpv compare`), drawn as kept / added / removed.
    #[arg(long, value_name = "FILE")]
    pub diff: Option<PathBuf>,

    /// Colour the squares by their estimated median niveau de vie.
    #[arg(long)]
    pub squares: bool,

    /// Schools to show (GeoJSON points with a "Classement REP" and a "Nom" property),
    /// e.g. data-samples/rep_colleges_caph_2021.geojson.
    #[arg(long, value_name = "FILE")]
    pub schools: Option<PathBuf>,

    /// Title of the map.
    #[arg(long)]
    pub title: Option<String>,

    /// Folder for map.svg, map.png and map.html.
    #[arg(long, short, default_value = "qpv-map", value_name = "DIR")]
    pub out: PathBuf,
}

/// `qpv atlas`
#[derive(Debug, Clone, Args)]
pub struct AtlasArgs {
    #[command(flatten)]
    pub input: GridArgs,

    #[command(flatten)]
    pub rule: RuleArgs,

    #[command(flatten)]
    pub perimeters: PerimeterArgs,

    #[command(flatten)]
    pub buildings: BuildingsArgs,

    #[command(flatten)]
    pub settings: SettingsArg,

    /// Reference perimeters (e.g. the published QPV; GeoJSON, shapefile or GeoPackage, read
    /// as --perimeters is, --crs included) drawn on every map against the atlas's: kept,
    /// added (only in the atlas's) and removed (only in the reference).
    #[arg(long, value_name = "FILE")]
    pub reference: Option<PathBuf>,

    /// Layer of a GeoPackage --reference holding several.
    #[arg(long, value_name = "NAME")]
    pub reference_layer: Option<String>,

    /// REP/REP+ collèges (GeoJSON or shapefile points; a "Classement REP" field, when
    /// present, keeps REP and REP+ ones): drawn on the maps and listed per perimeter.
    #[arg(long, value_name = "FILE")]
    pub schools: Option<PathBuf>,

    /// How near a school must be to a perimeter to be listed on its page, m.
    #[arg(long, default_value_t = qpv_core::DEFAULT_SCHOOL_DISTANCE_M, value_name = "M")]
    pub school_distance: f64,

    /// Title of the cover.
    #[arg(long)]
    pub title: Option<String>,

    /// Folder for atlas.pdf, atlas.html and manifest.json.
    #[arg(long, short, default_value = "qpv-atlas", value_name = "DIR")]
    pub out: PathBuf,
}

/// A perimeter file to use instead of the candidates of a run.
#[derive(Debug, Clone, Args)]
pub struct PerimeterArgs {
    /// Perimeters (GeoJSON, shapefile or GeoPackage) to use instead of the candidates of
    /// a run on the grid with the rule's options.
    #[arg(long, value_name = "FILE")]
    pub perimeters: Option<PathBuf>,

    /// CRS of a perimeter file that declares none (EPSG:2154, EPSG:3035, EPSG:4326…).
    #[arg(long, value_name = "EPSG:NNNN")]
    pub crs: Option<String>,

    /// Layer of a GeoPackage holding several.
    #[arg(long, value_name = "NAME")]
    pub layer: Option<String>,
}

/// A layer of buildings that places the residents of the squares a drawn line cuts
/// (`check`, `adjust`, `atlas`, `serve`).
#[derive(Debug, Clone, Args)]
pub struct BuildingsArgs {
    /// Building footprints (BD TOPO `batiment` with `nombre_de_logements`, or
    /// OpenStreetMap buildings): each square's residents are spread over its residential
    /// buildings, so that a line drawn around buildings counts those inside
    /// (README, "Checking and adjusting any perimeter file").
    #[arg(long, value_name = "FILE", help_heading = "Judging perimeters")]
    pub buildings: Option<PathBuf>,

    /// Layer of a buildings GeoPackage holding several (BD TOPO: batiment).
    #[arg(long, value_name = "NAME", help_heading = "Judging perimeters")]
    pub buildings_layer: Option<String>,
}

impl BuildingsArgs {
    /// What was typed.
    pub fn options(&self) -> RunOptions {
        RunOptions {
            buildings: self.buildings.clone(),
            buildings_layer: self.buildings_layer.clone(),
            ..RunOptions::default()
        }
    }
}

/// `--settings FILE`, the one settings-file argument of every command that reads one.
#[derive(Debug, Clone, Default, Args)]
pub struct SettingsArg {
    /// Settings: TOML written by `qpv calibrate`, or a run's manifest.json, which gives
    /// the rule and method of that run (for `qpv run`, its grid, tables and edits too).
    /// Options given on the command line override the file.
    #[arg(id = "settings", long = "settings", value_name = "FILE")]
    pub file: Option<PathBuf>,
}

impl SettingsArg {
    /// The options typed, over those of the file when one is given (typed ones win).
    pub fn over(&self, typed: RunOptions) -> anyhow::Result<RunOptions> {
        typed.over_file(self.file.as_deref())
    }
}

/// The options of a command that judges a perimeter file (`check`, `adjust`, `atlas`,
/// `serve`): the rule, the grid and the buildings typed, over the settings file.
pub fn judging_options(
    rule: &RuleArgs,
    input: &GridArgs,
    buildings: &BuildingsArgs,
    settings: &SettingsArg,
) -> anyhow::Result<RunOptions> {
    settings.over(rule.options().combine(input.options()).combine(buildings.options()))
}

/// A perimeter file that a command cannot do without (`check`, `adjust`).
#[derive(Debug, Clone, Args)]
pub struct RequiredPerimeterArgs {
    /// Perimeters (GeoJSON, shapefile with its .dbf/.prj/.cpg, or GeoPackage); ids and
    /// names are read from the usual fields (code_qp, nom_qp, id, nom…).
    #[arg(long, value_name = "FILE")]
    pub perimeters: PathBuf,

    /// CRS of a perimeter file that declares none (EPSG:2154, EPSG:3035, EPSG:4326…).
    #[arg(long, value_name = "EPSG:NNNN")]
    pub crs: Option<String>,

    /// Layer of a GeoPackage holding several.
    #[arg(long, value_name = "NAME")]
    pub layer: Option<String>,
}

impl RequiredPerimeterArgs {
    /// As the optional form the perimeter reader takes.
    pub fn optional(&self) -> PerimeterArgs {
        PerimeterArgs {
            perimeters: Some(self.perimeters.clone()),
            crs: self.crs.clone(),
            layer: self.layer.clone(),
        }
    }
}

/// `qpv check`
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub input: GridArgs,

    #[command(flatten)]
    pub rule: RuleArgs,

    #[command(flatten)]
    pub perimeters: RequiredPerimeterArgs,

    #[command(flatten)]
    pub buildings: BuildingsArgs,

    #[command(flatten)]
    pub settings: SettingsArg,

    /// REP/REP+ schools (GeoJSON or shapefile points; a "Classement REP" field, when
    /// present, keeps REP and REP+ ones): listed per perimeter when inside or near.
    #[arg(long, value_name = "FILE")]
    pub schools: Option<PathBuf>,

    /// How near a school must be to a perimeter to be listed, m.
    #[arg(long, default_value_t = qpv_core::DEFAULT_SCHOOL_DISTANCE_M, value_name = "M")]
    pub school_distance: f64,

    /// Formats of the checked perimeters, comma-separated: geojson (always), shapefile,
    /// gpkg (check.gpkg); each with a QGIS .qml style.
    #[arg(long, value_delimiter = ',', value_name = "FORMATS")]
    pub format: Option<Vec<FormatArg>>,

    /// CRS of the layers written: EPSG:4326, EPSG:2154 or EPSG:3035 (default: WGS84 for
    /// GeoJSON, Lambert-93 for shapefile and GeoPackage). `--crs` names the input's CRS.
    #[arg(long = "out-crs", value_name = "EPSG:NNNN")]
    pub out_crs: Option<String>,

    /// Folder for check.csv, check.geojson, check.md and manifest.json.
    #[arg(long, short, default_value = "qpv-check", value_name = "DIR")]
    pub out: PathBuf,
}

/// `qpv adjust`
#[derive(Debug, Clone, Args)]
pub struct AdjustArgs {
    #[command(flatten)]
    pub input: GridArgs,

    #[command(flatten)]
    pub rule: RuleArgs,

    #[command(flatten)]
    pub perimeters: RequiredPerimeterArgs,

    #[command(flatten)]
    pub buildings: BuildingsArgs,

    /// The adjustments (TOML, the same steps as `qpv run --edits`; see the README); their
    /// `candidate` fields name the file's perimeters by id.
    #[arg(long, value_name = "FILE")]
    pub edits: PathBuf,

    #[command(flatten)]
    pub settings: SettingsArg,

    /// Formats of the adjusted perimeters, comma-separated: geojson (always), shapefile,
    /// gpkg (qpv.gpkg).
    #[arg(long, value_delimiter = ',', value_name = "FORMATS")]
    pub format: Option<Vec<FormatArg>>,

    /// CRS of the layers written: EPSG:4326, EPSG:2154 or EPSG:3035. `--crs` names the
    /// input's CRS.
    #[arg(long = "out-crs", value_name = "EPSG:NNNN")]
    pub out_crs: Option<String>,

    /// Folder for adjusted.geojson, poches.geojson, audit.csv, schools.csv, lattice.csv and
    /// manifest.json.
    #[arg(long, short, default_value = "qpv-adjust", value_name = "DIR")]
    pub out: PathBuf,
}

/// `qpv serve`
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub input: GridArgs,

    #[command(flatten)]
    pub rule: RuleArgs,

    #[command(flatten)]
    pub perimeters: PerimeterArgs,

    #[command(flatten)]
    pub buildings: BuildingsArgs,

    /// An adjustments file to start from: a session to resume (`DIR/session.toml`) or
    /// any file of steps; its steps are replayed, then the map takes over.
    #[arg(long, value_name = "FILE")]
    pub edits: Option<PathBuf>,

    /// REP/REP+ schools (GeoJSON points, as `include_schools`): the file the page's
    /// "include REP schools" uses; the page can name no other file.
    #[arg(long, value_name = "FILE")]
    pub schools: Option<PathBuf>,

    /// A basemap: an XYZ tile template such as
    /// https://tile.openstreetmap.org/{z}/{x}/{y}.png (without it the page needs no network).
    #[arg(long, value_name = "URL")]
    pub tiles: Option<String>,

    /// Port (0: any free port, printed).
    #[arg(long, default_value_t = qpv_serve::DEFAULT_PORT, value_name = "N")]
    pub port: u16,

    /// Address to listen on. 0.0.0.0 opens the session to the network (a meeting room's):
    /// a warning is printed.
    #[arg(long, default_value_t = qpv_serve::DEFAULT_LISTEN, value_name = "ADDR")]
    pub listen: std::net::IpAddr,

    /// Open the page in the default browser.
    #[arg(long)]
    pub open: bool,

    #[command(flatten)]
    pub settings: SettingsArg,

    /// Folder of the session: session.toml (the adjustments, written after every edit),
    /// geometry/ (the polygons drawn), settings.toml, and export/.
    #[arg(long, short, value_name = "DIR")]
    pub out: PathBuf,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::FromArgMatches;

    fn run_args(line: &[&str]) -> RunArgs {
        let m = command().try_get_matches_from([&["qpv", "run"][..], line].concat()).unwrap();
        match Cli::from_arg_matches(&m).unwrap().command {
            Command::Run(a) => a,
            _ => unreachable!(),
        }
    }

    #[test]
    fn nothing_typed_is_nothing_set() {
        let o = run_args(&[]).options().unwrap();
        assert_eq!(o, RunOptions::default());
    }

    #[test]
    fn flag_pairs_say_yes_no_or_nothing() {
        assert_eq!(flag(false, false), None);
        assert_eq!(flag(true, false), Some(true));
        assert_eq!(flag(false, true), Some(false));
        // The later of --keep-empty-holes / --fill-empty-holes wins, as clap overrides.
        let o = run_args(&["--keep-empty-holes", "--fill-empty-holes"]).options().unwrap();
        assert_eq!(o.keep_empty_holes, Some(false));
        let o = run_args(&["--no-skip-bad-rows", "--skip-bad-rows"]).options().unwrap();
        assert_eq!(o.skip_bad_rows, Some(true));
    }

    #[test]
    fn connectivity_is_4_or_8() {
        assert_eq!(neighbours("4"), Ok(4));
        assert_eq!(neighbours("8"), Ok(8));
        assert!(neighbours("6").is_err() && neighbours("huit").is_err());
        assert!(command().try_get_matches_from(["qpv", "run", "--connectivity", "6"]).is_err());
    }

    #[test]
    fn defaults_are_shown_as_typed() {
        assert_eq!(shown_default(&serde_json::json!(1000.0)).as_deref(), Some("1000"));
        assert_eq!(shown_default(&serde_json::json!(0.6)).as_deref(), Some("0.6"));
        assert_eq!(shown_default(&serde_json::json!(["geojson"])).as_deref(), Some("geojson"));
        assert_eq!(shown_default(&serde_json::json!(false)), None);
        assert_eq!(shown_default(&serde_json::Value::Null), None);
    }

    #[test]
    fn every_command_reading_settings_takes_the_one_argument() {
        let with = |sub: &[&str]| {
            let line = [&["qpv"][..], sub, &["--settings", "s.toml"]].concat();
            let m = command().try_get_matches_from(line).unwrap();
            let settings = match Cli::from_arg_matches(&m).unwrap().command {
                Command::Run(a) => a.settings,
                Command::Sweep(a) => a.settings,
                Command::Calibrate(a) => a.settings,
                Command::Check(a) => a.settings,
                Command::Adjust(a) => a.settings,
                Command::Atlas(a) => a.settings,
                Command::Serve(a) => a.settings,
                _ => unreachable!(),
            };
            settings.file
        };
        for sub in [
            &["run"][..],
            &["sweep", "--set", "factor=1.3"],
            &["calibrate"],
            &["check", "--perimeters", "p.geojson"],
            &["adjust", "--perimeters", "p.geojson", "--edits", "e.toml"],
            &["atlas"],
            &["serve", "--out", "s"],
        ] {
            assert_eq!(with(sub).as_deref(), Some(std::path::Path::new("s.toml")), "{sub:?}");
        }
    }

    #[test]
    fn typed_options_win_over_the_settings_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.toml");
        std::fs::write(&path, "calibration_factor = 1.2\nratio = 0.5\n").unwrap();
        let o = run_args(&["--calibration-factor", "1.4", "--settings", path.to_str().unwrap()])
            .options()
            .unwrap();
        assert_eq!((o.calibration_factor, o.ratio), (Some(1.4), Some(0.5)));
        // No file: what was typed, unchanged.
        let typed = RunOptions { ratio: Some(0.7), ..RunOptions::default() };
        assert_eq!(SettingsArg::default().over(typed.clone()).unwrap(), typed);
        // A missing file is an error naming it.
        let missing = SettingsArg { file: Some(dir.path().join("none.toml")) };
        let e = missing.over(RunOptions::default()).unwrap_err();
        assert!(format!("{e:#}").contains("none.toml"), "{e:#}");
    }

    #[test]
    fn defaults_come_from_the_libraries() {
        let parse =
            |line: &[&str]| Cli::from_arg_matches(&command().try_get_matches_from(line).unwrap()).unwrap();
        match parse(&["qpv", "check", "--perimeters", "p.geojson"]).command {
            Command::Check(a) => assert_eq!(a.school_distance, qpv_core::DEFAULT_SCHOOL_DISTANCE_M),
            _ => unreachable!(),
        }
        match parse(&["qpv", "serve", "--out", "s"]).command {
            Command::Serve(a) => {
                assert_eq!((a.port, a.listen), (qpv_serve::DEFAULT_PORT, qpv_serve::DEFAULT_LISTEN))
            }
            _ => unreachable!(),
        }
        match parse(&["qpv", "calibrate"]).command {
            Command::Calibrate(a) => assert_eq!(
                (a.target_count, a.target_population),
                (qpv_core::GEOGRAPHY_2024_QUARTIERS, qpv_core::GEOGRAPHY_2024_INHABITANTS)
            ),
            _ => unreachable!(),
        }
        // What --help shows is that value.
        let mut cmd = command();
        let serve = cmd.find_subcommand_mut("serve").unwrap().render_help().to_string();
        assert!(serve.contains(&format!("[default: {}]", qpv_serve::DEFAULT_PORT)), "{serve}");
    }
}

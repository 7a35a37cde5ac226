//! Command-line arguments (clap types only; see `settings.rs` for what they resolve to).

use clap::{Args, Parser, Subcommand, ValueEnum};
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
    /// Key indicators (poverty, households, dwellings, ages…) of perimeters, or of the
    /// candidates of a run, next to their urban unit and metropolitan France.
    Indicators(IndicatorsArgs),
    /// Draw the candidates (or given perimeters, a comparison, squares by estimated
    /// median, REP schools) as SVG and PNG with scale bar, legend and commune labels, and
    /// as a self-contained HTML page to pan, zoom and click.
    Map(MapArgs),
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
    #[arg(long, value_enum, default_value_t = CogVintage::Cog2021, value_name = "YEAR")]
    pub cog: CogVintage,

    /// Leave out rows that cannot be read (bad id, non-numeric or negative counts…)
    /// instead of stopping; each one is reported.
    #[arg(long)]
    pub skip_bad_rows: bool,
}

/// Embedded commune tables.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum CogVintage {
    /// Communes of 1 January 2021 (best match for Filosofi 2019).
    #[value(name = "2021")]
    Cog2021,
    /// Communes of 1 January 2024.
    #[value(name = "2024")]
    Cog2024,
}

/// Perimeter file formats.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
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
    /// The names of formats as given on the command line (`geojson`, `gpkg`…).
    pub fn names(formats: &[FormatArg]) -> Vec<String> {
        formats.iter().filter_map(|f| f.to_possible_value()).map(|v| v.get_name().to_owned()).collect()
    }
}

/// Contiguity of squares.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ConnectivityArg {
    /// Squares touching by a side only.
    #[value(name = "4")]
    Four,
    /// Squares touching by a side or a corner.
    #[value(name = "8")]
    Eight,
}

/// `qpv run`
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub input: GridArgs,

    #[command(flatten)]
    pub rule: RuleArgs,

    /// Read every setting (grid, tables, parameters, edits) from a file: TOML written by
    /// `qpv calibrate`, or a run's manifest.json, which makes the run again. Options given
    /// on the command line override the file.
    #[arg(long, value_name = "FILE")]
    pub settings: Option<PathBuf>,

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
    #[arg(long, value_delimiter = ',', default_value = "geojson", value_name = "FORMATS")]
    pub format: Vec<FormatArg>,

    /// CRS of every perimeter output: EPSG:4326, EPSG:2154 or EPSG:3035. Without it,
    /// GeoJSON is WGS84 (RFC 7946) and shapefiles and GeoPackages Lambert-93; a GeoJSON
    /// in another CRS names it in a `crs` member.
    #[arg(long, value_name = "EPSG:NNNN")]
    pub crs: Option<String>,

    /// Print the wall time of each stage on stderr.
    #[arg(long)]
    pub timings: bool,
}

impl RuleArgs {
    /// The matches of a command line with no option (all defaults), for both
    /// [`RuleArgs`] and [`GridArgs`].
    pub fn augment_default() -> clap::ArgMatches {
        use clap::Args as _;
        let cmd = GridArgs::augment_args(RuleArgs::augment_args(clap::Command::new("defaults")));
        cmd.get_matches_from(["defaults"])
    }
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
    #[arg(long, value_enum, default_value_t = ConnectivityArg::Eight, value_name = "4|8")]
    pub connectivity: ConnectivityArg,

    /// Keep enclosed holes with no residents (parks, rail yards) as holes instead of
    /// filling them.
    #[arg(long)]
    pub keep_empty_holes: bool,

    /// Multiplies the legal threshold before it is compared with estimated niveau-de-vie
    /// medians (the law speaks of declared income, the grid of disposable income).
    /// The default was calibrated on the 2024 geography (README, "Calibration").
    #[arg(long, default_value_t = qpv_core::DEFAULT_CALIBRATION_FACTOR, value_name = "FACTOR")]
    pub calibration_factor: f64,

    /// Smallest quartier, inhabitants (decree: 1 000).
    #[arg(long, default_value_t = 1000.0, value_name = "N")]
    pub min_population: f64,

    /// Smallest urban unit that can hold quartiers, inhabitants after rounding up to
    /// 100 (decree: 10 000; overseas: communes of 15 000).
    #[arg(long, value_name = "N")]
    pub min_territory_population: Option<f64>,

    /// Share of the weighted median that defines the threshold (decree: 0.6).
    #[arg(long, default_value_t = 0.6, value_name = "RATIO")]
    pub ratio: f64,

    /// Weight of the national median for ordinary urban units (decree: 0.7; the urban
    /// unit's median gets the rest; urban units of 5 million or more use 0.3).
    #[arg(long, default_value_t = 0.7, value_name = "WEIGHT")]
    pub national_weight: f64,

    /// Weight of the national median for urban units of at least --large-unit-population
    /// (decree: 0.3, which applies to Paris) and in the overseas rule.
    #[arg(long, default_value_t = 0.3, value_name = "WEIGHT")]
    pub large_unit_national_weight: f64,

    /// Urban units at least this populous use --large-unit-national-weight (decree: 5 000 000).
    #[arg(long, default_value_t = 5_000_000.0, value_name = "N")]
    pub large_unit_population: f64,

    /// Thresholds and populations are rounded up to a multiple of this, € or inhabitants (decree: 100).
    #[arg(long, default_value_t = 100.0, value_name = "STEP")]
    pub rounding_step: f64,

    /// Smallest density of a quartier, inhabitants per km² (overseas rule: 2 000; metropolitan: none).
    #[arg(long, value_name = "N")]
    pub min_density: Option<f64>,

    /// Poor shares below this are raised to it when fitting a square (a share of 0 has no log-normal).
    #[arg(long, default_value_t = 0.005, help_heading = "Income model", value_name = "SHARE")]
    pub min_poor_share: f64,

    /// Poor shares above this are lowered to it (INSEE caps men_pauv at 80 % of men).
    #[arg(long, default_value_t = 0.95, help_heading = "Income model", value_name = "SHARE")]
    pub max_poor_share: f64,

    /// Smallest dispersion (σ of log income) allowed in a square.
    #[arg(long, default_value_t = 0.1, help_heading = "Income model", value_name = "SIGMA")]
    pub min_sigma: f64,

    /// Largest dispersion allowed in a square.
    #[arg(long, default_value_t = 1.5, help_heading = "Income model", value_name = "SIGMA")]
    pub max_sigma: f64,

    /// Dispersion used where a square's mean and poor share contradict each other.
    #[arg(long, default_value_t = 0.5, help_heading = "Income model", value_name = "SIGMA")]
    pub fallback_sigma: f64,

    /// Failing areas with at least this many inhabitants go to near_misses.csv.
    #[arg(long, default_value_t = 500.0, value_name = "N")]
    pub near_miss_floor: f64,

    /// Poverty line used in the income model, €/year (default: from the medians source).
    #[arg(long, value_name = "EUR")]
    pub poverty_line: Option<f64>,

    /// National (metropolitan) median niveau de vie, €/year (default: from the medians source).
    #[arg(long, value_name = "EUR")]
    pub national_median: Option<f64>,
}

/// `qpv sweep`
#[derive(Debug, Clone, Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub input: GridArgs,

    #[command(flatten)]
    pub rule: RuleArgs,

    /// Baseline settings (TOML or a manifest.json); options on the command line override them.
    #[arg(long, value_name = "FILE")]
    pub settings: Option<PathBuf>,

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

    /// Baseline settings (TOML or a manifest.json).
    #[arg(long, value_name = "FILE")]
    pub settings: Option<PathBuf>,

    /// Number of quartiers to reproduce (2024 geography, metropolitan France: 1 362).
    #[arg(long, default_value_t = 1362.0, value_name = "N")]
    pub target_count: f64,

    /// Inhabitants to reproduce (2024 geography: about 5.3 million).
    #[arg(long, default_value_t = 5_300_000.0, value_name = "N")]
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
    #[arg(long, default_value = "filosofi2019")]
    pub vintage: String,

    /// Output JSON file.
    #[arg(long, short, value_name = "FILE")]
    pub out: PathBuf,

    /// Poverty line, €/year (default: 60 % of the national median, as a fixed point of the model).
    #[arg(long, value_name = "EUR")]
    pub poverty_line: Option<f64>,
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

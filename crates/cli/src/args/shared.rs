//! The argument groups several subcommands flatten: the grid and its tables, the
//! perimeter file, the buildings, the settings file, and the value enums they share.

use super::RuleArgs;
use crate::settings::RunOptions;
use clap::{Args, ValueEnum};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

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

/// A `--flag` / `--no-flag` pair: `None` when neither was given.
pub(super) fn flag(yes: bool, no: bool) -> Option<bool> {
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

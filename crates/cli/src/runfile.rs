//! Settings files: every parameter of a run in one place, so that a run can be
//! written down (`qpv calibrate` writes TOML), shared and made again (`qpv run
//! --settings manifest.json` reads the `settings` a run recorded in its manifest).
//!
//! Precedence: an option given on the command line, then the file, then the default.

use crate::args::{CogVintage, ConnectivityArg, GridArgs, RuleArgs, TableArgs};
use anyhow::{Context, Result, bail};
use clap::ArgMatches;
use clap::parser::ValueSource;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Every setting of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunFile {
    /// Grid file (none: the embedded sample).
    pub grid: Option<PathBuf>,
    /// Commune table file (none: embedded).
    pub communes: Option<PathBuf>,
    /// Embedded commune table, "2021" or "2024".
    pub cog: String,
    /// Leave out bad rows.
    pub skip_bad_rows: bool,
    /// Medians source.
    pub medians: Option<String>,
    /// 4 or 8.
    pub connectivity: u8,
    /// Keep empty holes.
    pub keep_empty_holes: bool,
    /// Calibration factor.
    pub calibration_factor: f64,
    /// Smallest quartier.
    pub min_population: f64,
    /// Smallest territory unit.
    pub min_territory_population: Option<f64>,
    /// Ratio (0.6).
    pub ratio: f64,
    /// National weight (0.7).
    pub national_weight: f64,
    /// National weight of large units (0.3).
    pub large_unit_national_weight: f64,
    /// Large unit population (5 000 000).
    pub large_unit_population: f64,
    /// Rounding step (100).
    pub rounding_step: f64,
    /// Smallest density.
    pub min_density: Option<f64>,
    /// Income model bounds.
    pub min_poor_share: f64,
    /// Income model bounds.
    pub max_poor_share: f64,
    /// Income model bounds.
    pub min_sigma: f64,
    /// Income model bounds.
    pub max_sigma: f64,
    /// Income model bounds.
    pub fallback_sigma: f64,
    /// Near-miss floor.
    pub near_miss_floor: f64,
    /// Poverty line override.
    pub poverty_line: Option<f64>,
    /// National median override.
    pub national_median: Option<f64>,
    /// Adjustments file (`qpv run` only).
    pub edits: Option<PathBuf>,
    /// Perimeter formats (`qpv run` only): "geojson", "shapefile", "gpkg".
    pub format: Vec<String>,
    /// Output CRS (`qpv run` only), e.g. "EPSG:2154"; each format's default when absent.
    pub crs: Option<String>,
}

impl Default for RunFile {
    fn default() -> Self {
        use clap::FromArgMatches;
        let m = crate::args::RuleArgs::augment_default();
        let rule = RuleArgs::from_arg_matches(&m).expect("defaults parse");
        let input = GridArgs::from_arg_matches(&m).expect("defaults parse");
        RunFile::from_args(&input, &rule, None)
    }
}

impl RunFile {
    /// The settings the arguments say.
    pub fn from_args(input: &GridArgs, rule: &RuleArgs, edits: Option<&PathBuf>) -> RunFile {
        RunFile {
            grid: input.grid.clone(),
            communes: input.tables.communes.clone(),
            cog: match input.tables.cog {
                CogVintage::Cog2021 => "2021".into(),
                CogVintage::Cog2024 => "2024".into(),
            },
            skip_bad_rows: input.tables.skip_bad_rows,
            medians: rule.medians.clone(),
            connectivity: match rule.connectivity {
                ConnectivityArg::Four => 4,
                ConnectivityArg::Eight => 8,
            },
            keep_empty_holes: rule.keep_empty_holes,
            calibration_factor: rule.calibration_factor,
            min_population: rule.min_population,
            min_territory_population: rule.min_territory_population,
            ratio: rule.ratio,
            national_weight: rule.national_weight,
            large_unit_national_weight: rule.large_unit_national_weight,
            large_unit_population: rule.large_unit_population,
            rounding_step: rule.rounding_step,
            min_density: rule.min_density,
            min_poor_share: rule.min_poor_share,
            max_poor_share: rule.max_poor_share,
            min_sigma: rule.min_sigma,
            max_sigma: rule.max_sigma,
            fallback_sigma: rule.fallback_sigma,
            near_miss_floor: rule.near_miss_floor,
            poverty_line: rule.poverty_line,
            national_median: rule.national_median,
            edits: edits.cloned(),
            format: vec!["geojson".into()],
            crs: None,
        }
    }

    /// Back to arguments.
    pub fn to_args(&self) -> Result<(GridArgs, RuleArgs, Option<PathBuf>)> {
        let cog = match self.cog.as_str() {
            "2021" => CogVintage::Cog2021,
            "2024" => CogVintage::Cog2024,
            other => bail!("cog = {other:?}: the embedded commune tables are \"2021\" and \"2024\""),
        };
        let connectivity = match self.connectivity {
            4 => ConnectivityArg::Four,
            8 => ConnectivityArg::Eight,
            other => bail!("connectivity = {other}: squares touch by 4 or 8 neighbours"),
        };
        let input = GridArgs {
            grid: self.grid.clone(),
            tables: TableArgs { communes: self.communes.clone(), cog, skip_bad_rows: self.skip_bad_rows },
        };
        let rule = RuleArgs {
            medians: self.medians.clone(),
            connectivity,
            keep_empty_holes: self.keep_empty_holes,
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
        };
        Ok((input, rule, self.edits.clone()))
    }

    /// Reads a settings file: TOML, or JSON (a manifest's `settings`, or the object itself).
    pub fn read(path: &Path) -> Result<RunFile> {
        let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
        if text.trim_start().starts_with('{') {
            let value: serde_json::Value =
                serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))?;
            let settings = value.get("settings").cloned().unwrap_or(value);
            serde_json::from_value(settings).with_context(|| format!("{}: not qpv settings", path.display()))
        } else {
            toml::from_str(&text).with_context(|| format!("{}: not qpv settings", path.display()))
        }
    }

    /// TOML text, with a comment line first.
    pub fn to_toml(&self, comment: &str) -> String {
        let body = toml::to_string(self).unwrap_or_default();
        format!("# {comment}\n{body}")
    }

    /// The file's settings, overridden by the options given on the command line.
    pub fn merged_with(mut self, cli: &RunFile, matches: &ArgMatches) -> RunFile {
        let given = |id: &str| {
            matches.try_get_raw(id).is_ok() && matches.value_source(id) == Some(ValueSource::CommandLine)
        };
        macro_rules! take {
            ($($field:ident),*) => { $( if given(stringify!($field)) { self.$field = cli.$field.clone(); } )* };
        }
        take!(
            grid,
            communes,
            cog,
            skip_bad_rows,
            medians,
            connectivity,
            keep_empty_holes,
            calibration_factor,
            min_population,
            min_territory_population,
            ratio,
            national_weight,
            large_unit_national_weight,
            large_unit_population,
            rounding_step,
            min_density,
            min_poor_share,
            max_poor_share,
            min_sigma,
            max_sigma,
            fallback_sigma,
            near_miss_floor,
            poverty_line,
            national_median,
            edits,
            format
        );
        self
    }
}

/// Resolves the arguments of a command against an optional settings file.
pub fn resolve(
    input: &GridArgs,
    rule: &RuleArgs,
    edits: Option<&PathBuf>,
    settings: Option<&Path>,
    matches: &ArgMatches,
) -> Result<RunFile> {
    let cli = RunFile::from_args(input, rule, edits);
    Ok(match settings {
        None => cli,
        Some(path) => RunFile::read(path)?.merged_with(&cli, matches),
    })
}

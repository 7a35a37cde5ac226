//! Settings: one flow from what the user typed to what the library runs with.
//!
//! As in uv, three shapes and no more:
//! 1. the clap types (`args.rs`) hold what was typed on the command line, every knob an
//!    `Option` with no default of its own;
//! 2. [`RunOptions`], the one serde type, reads settings files (TOML written by `qpv
//!    calibrate`, or the `settings` a run recorded in its `manifest.json`) and is what the
//!    command line turns into; [`RunOptions::combine`] lays the command line over a file
//!    (the command line wins, including `--fill-empty-holes` over a file's
//!    `keep_empty_holes = true`);
//! 3. resolution against the core defaults for the grid's territory happens once, in
//!    [`RunOptions::run_settings`], giving `qpv_core::RunSettings`. The manifest records
//!    [`RunOptions::resolved`]: every value as applied, so that `qpv run --settings
//!    manifest.json` makes the same run again.
//!
//! Defaults live in the core (`RunSettings::for_territory`) and, for the inputs, in
//! [`RunOptions::input_defaults`]; `--help` shows them from there (`args::command`).

use crate::args::{CogVintage, FormatArg};
use anyhow::{Context, Result, bail};
use qpv_core::{Connectivity, RunSettings, Territory};
use qpv_grid::communes::{CommuneVintage, embedded_communes, read_communes};
use qpv_grid::layout::Release;
use qpv_grid::{GridSource, InputFile};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Every setting of a run, each optional: a settings file, the command line, or (all
/// set) the settings a run resolved. Field names are the file's keys and the clap ids.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunOptions {
    /// Grid file (none: the embedded sample).
    pub grid: Option<PathBuf>,
    /// Commune table file (none: the embedded one of `cog`).
    pub communes: Option<PathBuf>,
    /// Embedded commune table, "2021" or "2024".
    pub cog: Option<CogVintage>,
    /// Leave out bad rows.
    pub skip_bad_rows: Option<bool>,
    /// Medians source: an embedded vintage, a reference file, or "grid".
    pub medians: Option<String>,
    /// 4 or 8 neighbours.
    pub connectivity: Option<u8>,
    /// Keep empty holes (the opposite of the core's `fill_empty_holes`).
    pub keep_empty_holes: Option<bool>,
    /// Flagged neighbours that take a square in (0: never).
    pub close: Option<u8>,
    /// Cut large areas into neighbourhood-sized quartiers.
    pub split: Option<bool>,
    /// The density drop that separates two cores.
    pub split_depth: Option<f64>,
    /// Parts with more inhabitants are cut at their lowest saddle.
    pub split_max: Option<f64>,
    /// Whether a commune boundary always separates two cores.
    pub split_at_communes: Option<bool>,
    /// Calibration factor.
    pub calibration_factor: Option<f64>,
    /// Smallest quartier, inhabitants.
    pub min_population: Option<f64>,
    /// Smallest territory unit, inhabitants.
    pub min_territory_population: Option<f64>,
    /// Ratio of the weighted median (0.6).
    pub ratio: Option<f64>,
    /// National weight (0.7).
    pub national_weight: Option<f64>,
    /// National weight of large units (0.3).
    pub large_unit_national_weight: Option<f64>,
    /// Large unit population (5 000 000).
    pub large_unit_population: Option<f64>,
    /// Rounding step (100).
    pub rounding_step: Option<f64>,
    /// Smallest density, inhabitants per km².
    pub min_density: Option<f64>,
    /// Income model bound.
    pub min_poor_share: Option<f64>,
    /// Income model bound.
    pub max_poor_share: Option<f64>,
    /// Income model bound.
    pub min_sigma: Option<f64>,
    /// Income model bound.
    pub max_sigma: Option<f64>,
    /// Income model fallback.
    pub fallback_sigma: Option<f64>,
    /// Near-miss floor, inhabitants.
    pub near_miss_floor: Option<f64>,
    /// Poverty line override, €.
    pub poverty_line: Option<f64>,
    /// National median override, €.
    pub national_median: Option<f64>,
    /// Parts of a drawn perimeter closer than this, metres, are one area.
    pub continuity_gap: Option<f64>,
    /// An estimated median above the threshold by less than this share is undecided.
    pub median_band: Option<f64>,
    /// Adjustments file (`qpv run` only).
    pub edits: Option<PathBuf>,
    /// Perimeter formats (`qpv run` only).
    pub format: Option<Vec<FormatArg>>,
    /// Output CRS (`qpv run` only), e.g. "EPSG:2154"; each format's default when absent.
    pub crs: Option<String>,
    /// Buildings placing the residents of the squares drawn lines cut.
    pub buildings: Option<PathBuf>,
    /// Layer of a buildings GeoPackage.
    pub buildings_layer: Option<String>,
}

/// `a.or(b)` for every field: the first set value wins.
macro_rules! combine_fields {
    ($a:ident, $b:ident; $($f:ident),* $(,)?) => { RunOptions { $( $f: $a.$f.or($b.$f), )* } };
}

impl RunOptions {
    /// These options over `fallback`: a value set here wins, an unset one falls back.
    pub fn combine(self, fallback: RunOptions) -> RunOptions {
        combine_fields!(self, fallback;
            grid, communes, cog, skip_bad_rows, medians, connectivity, keep_empty_holes, close, split,
            split_depth, split_max, split_at_communes,
            calibration_factor, min_population, min_territory_population, ratio, national_weight,
            large_unit_national_weight, large_unit_population, rounding_step, min_density,
            min_poor_share, max_poor_share, min_sigma, max_sigma, fallback_sigma, near_miss_floor,
            poverty_line, national_median, continuity_gap, median_band, edits, format, crs, buildings,
            buildings_layer)
    }

    /// The command line's options over the settings file at `path`, if any.
    pub fn over_file(self, path: Option<&Path>) -> Result<RunOptions> {
        Ok(match path {
            None => self,
            Some(path) => self.combine(RunOptions::read(path)?),
        })
    }

    /// The knobs of resolved core settings, all set.
    pub fn from_settings(s: &RunSettings) -> RunOptions {
        RunOptions {
            connectivity: Some(s.grouping.connectivity.neighbours()),
            keep_empty_holes: Some(!s.grouping.fill_empty_holes),
            close: Some(s.grouping.close.unwrap_or(0)),
            split: Some(s.grouping.split.is_some()),
            split_depth: Some(s.grouping.split.unwrap_or_default().depth),
            split_max: Some(s.grouping.split.unwrap_or_default().max_inhabitants),
            split_at_communes: Some(s.grouping.split.unwrap_or_default().at_communes),
            calibration_factor: Some(s.rule.calibration_factor),
            min_population: Some(s.rule.min_population),
            min_territory_population: Some(s.rule.min_territory_population),
            ratio: Some(s.rule.ratio),
            national_weight: Some(s.rule.national_weight),
            large_unit_national_weight: Some(s.rule.large_unit_national_weight),
            large_unit_population: Some(s.rule.large_unit_population),
            rounding_step: Some(s.rule.rounding_step),
            min_density: Some(s.rule.min_density),
            min_poor_share: Some(s.model.min_poor_share),
            max_poor_share: Some(s.model.max_poor_share),
            min_sigma: Some(s.model.min_sigma),
            max_sigma: Some(s.model.max_sigma),
            fallback_sigma: Some(s.model.fallback_sigma),
            near_miss_floor: Some(s.grouping.near_miss_floor),
            poverty_line: s.overrides.poverty_line,
            national_median: s.overrides.national_median,
            continuity_gap: Some(s.judging.continuity_gap_m),
            median_band: Some(s.judging.median_band),
            ..RunOptions::default()
        }
    }

    /// The defaults of the inputs (the embedded 2021 commune table, every row read,
    /// GeoJSON) over the core's defaults for metropolitan France: what `--help` shows.
    pub fn input_defaults() -> RunOptions {
        RunOptions {
            cog: Some(CogVintage::Cog2021),
            skip_bad_rows: Some(false),
            format: Some(vec![FormatArg::Geojson]),
            ..RunOptions::from_settings(&RunSettings::for_territory(Territory::Metropolitan))
        }
    }

    /// Resolves the knobs against the core defaults of `territory` and checks them.
    pub fn run_settings(&self, territory: Territory) -> Result<RunSettings> {
        let mut s = RunSettings::for_territory(territory);
        let r = &mut s.rule;
        set(&mut r.ratio, self.ratio);
        set(&mut r.national_weight, self.national_weight);
        set(&mut r.min_population, self.min_population);
        set(&mut r.min_territory_population, self.min_territory_population);
        set(&mut r.large_unit_national_weight, self.large_unit_national_weight);
        set(&mut r.large_unit_population, self.large_unit_population);
        set(&mut r.rounding_step, self.rounding_step);
        set(&mut r.min_density, self.min_density);
        set(&mut r.calibration_factor, self.calibration_factor);
        if let Some(n) = self.connectivity {
            s.grouping.connectivity = Connectivity::from_neighbours(n)
                .with_context(|| format!("connectivity = {n}: squares touch by 4 or 8 neighbours"))?;
        }
        if let Some(keep) = self.keep_empty_holes {
            s.grouping.fill_empty_holes = !keep;
        }
        set(&mut s.grouping.near_miss_floor, self.near_miss_floor);
        if let Some(k) = self.close {
            if k > 8 {
                bail!("close = {k}: a square has 8 neighbours; give 0 to 8");
            }
            s.grouping.close = (k > 0).then_some(k);
        }
        let mut split = s.grouping.split.unwrap_or_default();
        set(&mut split.depth, self.split_depth);
        set(&mut split.max_inhabitants, self.split_max);
        split.at_communes = self.split_at_communes.unwrap_or(split.at_communes);
        s.grouping.split = match self.split {
            Some(false) => None,
            Some(true) => Some(split),
            None => s.grouping.split.map(|_| split),
        };
        s.overrides.poverty_line = self.poverty_line.or(s.overrides.poverty_line);
        s.overrides.national_median = self.national_median.or(s.overrides.national_median);
        let m = &mut s.model;
        set(&mut m.min_poor_share, self.min_poor_share);
        set(&mut m.max_poor_share, self.max_poor_share);
        set(&mut m.min_sigma, self.min_sigma);
        set(&mut m.max_sigma, self.max_sigma);
        set(&mut m.fallback_sigma, self.fallback_sigma);
        set(&mut s.judging.continuity_gap_m, self.continuity_gap);
        set(&mut s.judging.median_band, self.median_band);
        validate(&s)?;
        Ok(s)
    }

    /// Every setting as applied: the inputs with their defaults, the medians source as
    /// resolved, the knobs of `settings`, the formats with GeoJSON (always written).
    pub fn resolved(&self, settings: &RunSettings, medians: &MedianSource) -> RunOptions {
        RunOptions {
            grid: self.grid.clone(),
            communes: self.communes.clone(),
            cog: Some(self.cog()),
            skip_bad_rows: Some(self.skip_bad_rows()),
            medians: Some(medians.to_string()),
            edits: self.edits.clone(),
            format: Some(self.formats()),
            crs: self.crs.clone(),
            buildings: self.buildings.clone(),
            buildings_layer: self.buildings_layer.clone(),
            ..RunOptions::from_settings(settings)
        }
    }

    /// The embedded commune table asked for.
    pub fn cog(&self) -> CogVintage {
        self.cog.unwrap_or(CogVintage::Cog2021)
    }

    /// Whether bad rows are left out.
    pub fn skip_bad_rows(&self) -> bool {
        self.skip_bad_rows.unwrap_or(false)
    }

    /// The output formats: GeoJSON always, then the others asked for, each once.
    pub fn formats(&self) -> Vec<FormatArg> {
        FormatArg::with_geojson(self.format.as_deref())
    }

    /// The grid to read: the embedded CAPH sample without a path or with `sample`.
    pub fn grid_source(&self) -> GridSource {
        match &self.grid {
            Some(p) if p != Path::new("sample") => GridSource::Path(p.clone()),
            _ => qpv_grid::SAMPLE_GRID,
        }
    }

    /// The commune table: `communes`, or the embedded table of `cog`.
    pub fn commune_table(&self) -> Result<(qpv_core::CommuneTable, InputFile)> {
        match &self.communes {
            Some(p) => Ok(read_communes(p)?),
            None => Ok(embedded_communes(match self.cog() {
                CogVintage::Cog2021 => CommuneVintage::Cog2021,
                CogVintage::Cog2024 => CommuneVintage::Cog2024,
            })),
        }
    }

    /// Reads a settings file: TOML, or JSON (a manifest's `settings`, or the object itself).
    pub fn read(path: &Path) -> Result<RunOptions> {
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
    pub fn to_toml(&self, comment: &str) -> Result<String> {
        let body = toml::to_string(self).context("encoding the settings as TOML")?;
        Ok(format!("# {comment}\n{body}"))
    }
}

fn set(target: &mut f64, value: Option<f64>) {
    if let Some(v) = value {
        *target = v;
    }
}

/// Checks resolved settings (from a file, the command line or a sweep's variant); the
/// messages name the option.
pub fn validate(s: &RunSettings) -> Result<()> {
    let (r, m, g) = (&s.rule, &s.model, &s.grouping);
    positive("--ratio", r.ratio)?;
    share("--national-weight", r.national_weight)?;
    non_negative("--min-population", r.min_population)?;
    non_negative("--min-territory-population", r.min_territory_population)?;
    share("--large-unit-national-weight", r.large_unit_national_weight)?;
    non_negative("--large-unit-population", r.large_unit_population)?;
    positive("--rounding-step", r.rounding_step)?;
    non_negative("--min-density", r.min_density)?;
    positive("--calibration-factor", r.calibration_factor)?;
    non_negative("--near-miss-floor", g.near_miss_floor)?;
    if let Some(split) = g.split {
        share("--split-depth", split.depth)?;
        positive("--split-max", split.max_inhabitants)?;
    }
    s.overrides.poverty_line.map(|v| positive("--poverty-line", v)).transpose()?;
    s.overrides.national_median.map(|v| positive("--national-median", v)).transpose()?;
    share("--min-poor-share", m.min_poor_share)?;
    share("--max-poor-share", m.max_poor_share)?;
    positive("--min-sigma", m.min_sigma)?;
    positive("--max-sigma", m.max_sigma)?;
    positive("--fallback-sigma", m.fallback_sigma)?;
    non_negative("--continuity-gap", s.judging.continuity_gap_m)?;
    share("--median-band", s.judging.median_band)?;
    if m.min_poor_share >= m.max_poor_share || m.min_sigma > m.max_sigma {
        bail!("income model bounds are inverted: each minimum must be below its maximum");
    }
    Ok(())
}

fn share(name: &str, v: f64) -> Result<f64> {
    if (0.0..=1.0).contains(&v) { Ok(v) } else { bail!("{name} must be between 0 and 1, got {v}") }
}

fn positive(name: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v > 0.0 { Ok(v) } else { bail!("{name} must be a positive number, got {v}") }
}

fn non_negative(name: &str, v: f64) -> Result<f64> {
    if v.is_finite() && v >= 0.0 { Ok(v) } else { bail!("{name} must be zero or more, got {v}") }
}

/// Where medians come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MedianSource {
    /// An embedded reference.
    Embedded(String),
    /// A reference file.
    File(PathBuf),
    /// Computed on the input grid.
    Grid,
}

impl std::fmt::Display for MedianSource {
    /// As `--medians` takes it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MedianSource::Embedded(v) => f.write_str(v),
            MedianSource::File(p) => write!(f, "{}", p.display()),
            MedianSource::Grid => f.write_str("grid"),
        }
    }
}

impl MedianSource {
    /// Resolves `--medians`, defaulting on the grid's release.
    pub fn resolve(arg: Option<&str>, release: Release) -> Result<MedianSource> {
        let embedded = qpv_grid::reference::embedded_vintages();
        Ok(match arg {
            None if release == Release::Filosofi2019Or2021 => {
                MedianSource::Embedded(qpv_grid::reference::FILOSOFI2019.into())
            }
            None => MedianSource::Grid,
            Some("grid") => MedianSource::Grid,
            Some(v) if embedded.contains(&v) => MedianSource::Embedded(v.into()),
            Some(p) => {
                let path = PathBuf::from(p);
                if !path.exists() {
                    bail!(
                        "--medians {p}: no such file, and not an embedded reference ({}) nor \"grid\"",
                        embedded.join(", ")
                    );
                }
                MedianSource::File(path)
            }
        })
    }

    /// Reads the reference the source names.
    pub fn load(&self) -> Result<Option<(qpv_core::MedianReference, InputFile)>> {
        Ok(match self {
            MedianSource::Grid => None,
            MedianSource::Embedded(v) => Some(
                qpv_grid::reference::embedded_reference(v)
                    .with_context(|| format!("embedded reference {v} is unreadable"))?,
            ),
            MedianSource::File(p) => Some(qpv_grid::reference::read_reference(p)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(toml: &str) -> RunOptions {
        toml::from_str(toml).unwrap()
    }

    #[test]
    fn the_command_line_wins_over_the_file_and_the_file_over_the_defaults() {
        let f = file("calibration_factor = 1.25\nconnectivity = 4\nnear_miss_floor = 300.0\n");
        let cli = RunOptions { calibration_factor: Some(1.4), ..RunOptions::default() };
        let s = cli.combine(f).run_settings(Territory::Metropolitan).unwrap();
        assert_eq!(s.rule.calibration_factor, 1.4);
        assert_eq!(s.grouping.connectivity, Connectivity::Four);
        assert_eq!(s.grouping.near_miss_floor, 300.0);
        assert_eq!(s.rule.ratio, RunSettings::for_territory(Territory::Metropolitan).rule.ratio);
    }

    #[test]
    fn a_flag_given_false_turns_off_the_file_s_flag() {
        let f = file("keep_empty_holes = true\nskip_bad_rows = true\n");
        let cli = RunOptions { keep_empty_holes: Some(false), ..RunOptions::default() };
        let o = cli.combine(f);
        assert!(o.run_settings(Territory::Metropolitan).unwrap().grouping.fill_empty_holes);
        assert!(o.skip_bad_rows());
    }

    #[test]
    fn empty_options_resolve_to_the_core_defaults_of_each_territory() {
        for t in [Territory::Metropolitan, Territory::Overseas] {
            assert_eq!(RunOptions::default().run_settings(t).unwrap(), RunSettings::for_territory(t));
        }
    }

    #[test]
    fn resolved_options_give_back_the_same_settings() {
        let cli = RunOptions { ratio: Some(0.5), keep_empty_holes: Some(true), ..RunOptions::default() };
        let s = cli.run_settings(Territory::Overseas).unwrap();
        let resolved = cli.resolved(&s, &MedianSource::Grid);
        assert_eq!(resolved.run_settings(Territory::Overseas).unwrap(), s);
        assert_eq!(resolved.min_territory_population, Some(15_000.0));
        let text = resolved.to_toml("test").unwrap();
        assert_eq!(file(&text.replace("# test\n", "")), resolved);
    }

    #[test]
    fn bad_values_are_refused_with_the_option_s_name() {
        let bad = |o: RunOptions| o.run_settings(Territory::Metropolitan).unwrap_err().to_string();
        assert!(bad(RunOptions { ratio: Some(0.0), ..Default::default() }).contains("--ratio"));
        assert!(bad(RunOptions { connectivity: Some(6), ..Default::default() }).contains("4 or 8"));
        let inverted = RunOptions { min_sigma: Some(2.0), ..Default::default() };
        assert!(bad(inverted).contains("inverted"));
        assert!(toml::from_str::<RunOptions>("calibration_factr = 1.2").is_err());
    }

    #[test]
    fn geojson_is_always_among_the_formats() {
        let o = RunOptions { format: Some(vec![FormatArg::Gpkg]), ..Default::default() };
        assert_eq!(o.formats(), vec![FormatArg::Geojson, FormatArg::Gpkg]);
        assert_eq!(RunOptions::default().formats(), vec![FormatArg::Geojson]);
    }
}

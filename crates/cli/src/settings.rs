//! Resolved settings: what the clap arguments mean for the library crates.

use crate::args::{CogVintage, ConnectivityArg, GridArgs, RuleArgs};
use anyhow::{Context, Result, bail};
use qpv_core::{Connectivity, GroupingSettings, IncomeModel, MedianOverrides, Rule, RunSettings, Territory};
use qpv_io::communes::{CommuneVintage, embedded_communes, read_communes};
use qpv_io::layout::Release;
use qpv_io::{GridSource, InputFile};
use std::path::PathBuf;

/// The grid to read.
pub fn grid_source(args: &GridArgs) -> GridSource {
    match &args.grid {
        Some(p) => GridSource::Path(p.clone()),
        None => qpv_io::SAMPLE_GRID,
    }
}

/// The commune table.
pub fn communes(args: &GridArgs) -> Result<(qpv_core::CommuneTable, InputFile)> {
    let args = &args.tables;
    match &args.communes {
        Some(p) => Ok(read_communes(p)?),
        None => Ok(embedded_communes(match args.cog {
            CogVintage::Cog2021 => CommuneVintage::Cog2021,
            CogVintage::Cog2024 => CommuneVintage::Cog2024,
        })),
    }
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

/// Resolves `--medians`, defaulting on the grid's release.
pub fn median_source(arg: Option<&str>, release: Release) -> Result<MedianSource> {
    let embedded = qpv_io::reference::embedded_vintages();
    Ok(match arg {
        None if release == Release::Filosofi2019Or2021 => MedianSource::Embedded("filosofi2019".into()),
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

/// The run settings for a grid in `territory`.
pub fn run_settings(args: &RuleArgs, territory: Territory) -> Result<RunSettings> {
    let mut rule = match territory {
        Territory::Metropolitan => Rule::metropolitan(),
        Territory::Overseas => Rule::overseas(),
    };
    rule.ratio = positive("--ratio", args.ratio)?;
    rule.national_weight = share("--national-weight", args.national_weight)?;
    rule.min_population = non_negative("--min-population", args.min_population)?;
    if let Some(p) = args.min_territory_population {
        rule.min_territory_population = non_negative("--min-territory-population", p)?;
    }
    rule.large_unit_national_weight = share("--large-unit-national-weight", args.large_unit_national_weight)?;
    rule.large_unit_population = non_negative("--large-unit-population", args.large_unit_population)?;
    rule.rounding_step = positive("--rounding-step", args.rounding_step)?;
    if let Some(d) = args.min_density {
        rule.min_density = non_negative("--min-density", d)?;
    }
    rule.calibration_factor = positive("--calibration-factor", args.calibration_factor)?;
    let grouping = GroupingSettings {
        connectivity: match args.connectivity {
            ConnectivityArg::Four => Connectivity::Four,
            ConnectivityArg::Eight => Connectivity::Eight,
        },
        fill_empty_holes: !args.keep_empty_holes,
        near_miss_floor: non_negative("--near-miss-floor", args.near_miss_floor)?,
    };
    let overrides = MedianOverrides {
        poverty_line: args.poverty_line.map(|v| positive("--poverty-line", v)).transpose()?,
        national_median: args.national_median.map(|v| positive("--national-median", v)).transpose()?,
    };
    let model = IncomeModel {
        min_poor_share: share("--min-poor-share", args.min_poor_share)?,
        max_poor_share: share("--max-poor-share", args.max_poor_share)?,
        min_sigma: positive("--min-sigma", args.min_sigma)?,
        max_sigma: positive("--max-sigma", args.max_sigma)?,
        fallback_sigma: positive("--fallback-sigma", args.fallback_sigma)?,
    };
    if model.min_poor_share >= model.max_poor_share || model.min_sigma > model.max_sigma {
        bail!("income model bounds are inverted: each minimum must be below its maximum");
    }
    Ok(RunSettings { rule, model, grouping, overrides })
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

/// Reads the reference a source names.
pub fn load_reference(source: &MedianSource) -> Result<Option<(qpv_core::MedianReference, InputFile)>> {
    Ok(match source {
        MedianSource::Grid => None,
        MedianSource::Embedded(v) => Some(
            qpv_io::reference::embedded_reference(v)
                .with_context(|| format!("embedded reference {v} is unreadable"))?,
        ),
        MedianSource::File(p) => Some(qpv_io::reference::read_reference(p)?),
    })
}

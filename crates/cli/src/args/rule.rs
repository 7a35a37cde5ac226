//! The parameters of the rule and of the method (`run`, `sweep`, `calibrate`, and the
//! commands that judge perimeters).

use super::shared::flag;
use crate::settings::RunOptions;
use clap::Args;

/// `--connectivity`: 4 or 8 (the core turns it into a `Connectivity`).
fn neighbours(text: &str) -> Result<u8, String> {
    match text.parse::<u8>() {
        Ok(n) if qpv_core::Connectivity::from_neighbours(n).is_some() => Ok(n),
        _ => Err(format!("{text:?}: squares touch by 4 or 8 neighbours")),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::command;

    #[test]
    fn connectivity_is_4_or_8() {
        assert_eq!(neighbours("4"), Ok(4));
        assert_eq!(neighbours("8"), Ok(8));
        assert!(neighbours("6").is_err() && neighbours("huit").is_err());
        assert!(command().try_get_matches_from(["qpv", "run", "--connectivity", "6"]).is_err());
    }
}

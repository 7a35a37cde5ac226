//! Many variants of the settings on one prepared grid (`qpv sweep`, `qpv calibrate`):
//! the parameters a sweep varies and how `--set` gives their values ([`Param`],
//! [`parse_set`]), what each variant gives ([`Outcome`]), and how many variants keep
//! each candidate of the baseline ([`survivals`]); the trials and the score of a
//! calibration ([`calibration_trials`], [`calibration_error`], [`best_first`]).
//!
//! The grid is indexed and placed once ([`Pipeline::prepare`]); each variant only
//! re-flags and re-groups, so the caller can run variants in parallel.

use crate::{Connectivity, Grid, NO_UNIT, Pipeline, Prepared, RunError, RunSettings};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What one variant gives.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Candidates.
    pub quartiers: usize,
    /// Their inhabitants.
    pub inhabitants: f64,
    /// Communes holding a square of a candidate.
    pub communes: usize,
    /// Per territory unit (index in the placement): candidates and inhabitants.
    pub per_unit: BTreeMap<u32, (usize, f64)>,
    /// Squares of each candidate.
    pub squares: Vec<Vec<u32>>,
}

impl Outcome {
    /// Runs the variant `settings` on a prepared grid.
    pub fn of(
        pipeline: &Pipeline<'_>,
        prepared: &Prepared,
        settings: &RunSettings,
    ) -> Result<Outcome, RunError> {
        let (_, candidates) = pipeline.run_prepared(prepared, settings)?;
        let mut per_unit: BTreeMap<u32, (usize, f64)> = BTreeMap::new();
        let mut communes = BTreeSet::new();
        for c in &candidates.candidates {
            let e = per_unit.entry(c.area.unit).or_default();
            e.0 += 1;
            e.1 += c.area.individuals;
            for &i in &c.area.squares {
                let k = prepared.placement.commune_of_square[i as usize];
                if k != NO_UNIT {
                    communes.insert(k);
                }
            }
        }
        Ok(Outcome {
            quartiers: candidates.candidates.len(),
            // `+ 0.0`: an empty sum is -0.0, which would print as "-0".
            inhabitants: candidates.candidates.iter().map(|c| c.area.individuals).sum::<f64>() + 0.0,
            communes: communes.len(),
            per_unit,
            squares: candidates.candidates.iter().map(|c| c.area.squares.clone()).collect(),
        })
    }
}

/// For each candidate of `baseline`, the number of `variants` that keep it: a variant
/// keeps it when one of its candidates holds at least half of its inhabitants.
pub fn survivals(grid: &Grid, baseline: &Outcome, variants: &[Outcome]) -> Vec<usize> {
    let ind = |i: u32| grid.values()[i as usize].individuals;
    let owners: Vec<HashMap<u32, usize>> = variants
        .par_iter()
        .map(|o| o.squares.iter().enumerate().flat_map(|(k, s)| s.iter().map(move |&i| (i, k))).collect())
        .collect();
    baseline
        .squares
        .par_iter()
        .map(|squares| {
            let total: f64 = squares.iter().map(|&i| ind(i)).sum();
            owners
                .iter()
                .filter(|owner| {
                    let mut by: HashMap<usize, f64> = HashMap::new();
                    for &i in squares {
                        if let Some(&k) = owner.get(&i) {
                            *by.entry(k).or_default() += ind(i);
                        }
                    }
                    by.values().any(|&v| v >= 0.5 * total)
                })
                .count()
        })
        .collect()
}

/// A parameter `qpv sweep --set` varies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Param {
    /// Calibration factor.
    Factor,
    /// 4 or 8.
    Connectivity,
    /// Smallest quartier.
    MinPopulation,
    /// Fill empty holes (1, the default) or keep them as holes (0).
    Holes,
    /// Ratio (0.6).
    Ratio,
    /// National weight (0.7).
    NationalWeight,
    /// Smallest urban unit.
    MinTerritoryPopulation,
    /// Flagged neighbours that take a square in (0: never).
    Close,
    /// Cut large areas (1, the default) or keep them whole (0).
    Split,
    /// The density drop that separates two cores.
    SplitDepth,
    /// Parts larger than this are cut at their lowest saddle.
    SplitMax,
    /// Commune boundaries always separate (1) or not (0, the default).
    SplitAtCommunes,
}

/// Why a `--set` cannot be read or applied; each names what was typed.
#[derive(Debug, thiserror::Error)]
pub enum SetError {
    /// No `=`.
    #[error("--set {text}: expected NAME=VALUES")]
    NoValues {
        /// As typed.
        text: String,
    },
    /// A name that is no [`Param`].
    #[error(
        "--set {text}: unknown parameter {name:?}; known: factor, connectivity, min_population, holes, ratio, \
         national_weight, min_territory_population, close, split, split_depth, split_max, split_at_communes"
    )]
    Unknown {
        /// As typed.
        text: String,
        /// The name.
        name: String,
    },
    /// A value that is neither a number nor `true`/`false`.
    #[error("--set {text}: {value:?} is not a number")]
    NotANumber {
        /// As typed.
        text: String,
        /// The value.
        value: String,
        /// Why.
        #[source]
        source: std::num::ParseFloatError,
    },
    /// A `:` without `..`.
    #[error("--set {text}: a range is FROM..TO:STEP")]
    RangeForm {
        /// As typed.
        text: String,
    },
    /// A range going down or a step not above zero.
    #[error("--set {text}: the range must go up with a positive step")]
    RangeDown {
        /// As typed.
        text: String,
    },
    /// More than 10 000 values.
    #[error("--set {text}: {n} values is too many")]
    TooMany {
        /// As typed.
        text: String,
        /// How many values the range holds.
        n: usize,
    },
    /// Nothing after `=`.
    #[error("--set {text}: no value")]
    NoValue {
        /// As typed.
        text: String,
    },
    /// A connectivity other than 4 or 8.
    #[error("connectivity is 4 or 8, not {0}")]
    Connectivity(f64),
    /// A closing other than a whole number from 0 to 8.
    #[error("close is a number of neighbours from 0 to 8, not {0}")]
    Close(f64),
}

impl Param {
    /// Its name in `--set` and in sweep.csv's header.
    pub fn name(self) -> &'static str {
        match self {
            Param::Factor => "factor",
            Param::Connectivity => "connectivity",
            Param::MinPopulation => "min_population",
            Param::Holes => "holes",
            Param::Ratio => "ratio",
            Param::NationalWeight => "national_weight",
            Param::MinTerritoryPopulation => "min_territory_population",
            Param::Close => "close",
            Param::Split => "split",
            Param::SplitDepth => "split_depth",
            Param::SplitMax => "split_max",
            Param::SplitAtCommunes => "split_at_communes",
        }
    }

    /// Sets the parameter in resolved settings (the caller checks the settings that
    /// result, as it checks any).
    pub fn apply(self, s: &mut RunSettings, v: f64) -> Result<(), SetError> {
        match self {
            Param::Factor => s.rule.calibration_factor = v,
            Param::Connectivity => {
                s.grouping.connectivity = Connectivity::from_neighbours(v as u8)
                    .filter(|_| v.fract() == 0.0)
                    .ok_or(SetError::Connectivity(v))?
            }
            Param::MinPopulation => s.rule.min_population = v,
            Param::Holes => s.grouping.fill_empty_holes = v != 0.0,
            Param::Ratio => s.rule.ratio = v,
            Param::NationalWeight => s.rule.national_weight = v,
            Param::MinTerritoryPopulation => s.rule.min_territory_population = v,
            Param::Close => {
                if !(v.fract() == 0.0 && (0.0..=8.0).contains(&v)) {
                    return Err(SetError::Close(v));
                }
                s.grouping.close = (v > 0.0).then_some(v as u8)
            }
            Param::Split => s.grouping.split = (v != 0.0).then(|| s.grouping.split.unwrap_or_default()),
            // A split setting turns splitting on: sweeping split_depth means splitting.
            Param::SplitDepth => s.grouping.split.get_or_insert_with(Default::default).depth = v,
            Param::SplitMax => s.grouping.split.get_or_insert_with(Default::default).max_inhabitants = v,
            Param::SplitAtCommunes => {
                s.grouping.split.get_or_insert_with(Default::default).at_communes = v != 0.0
            }
        }
        Ok(())
    }
}

/// Parses `name=a..b:step` or `name=v1,v2` (`true` and `false` are 1 and 0).
pub fn parse_set(text: &str) -> Result<(Param, Vec<f64>), SetError> {
    let (name, values) = text.split_once('=').ok_or_else(|| SetError::NoValues { text: text.into() })?;
    let param = match name.trim() {
        "factor" | "calibration_factor" => Param::Factor,
        "connectivity" => Param::Connectivity,
        "min_population" => Param::MinPopulation,
        "holes" | "fill_empty_holes" => Param::Holes,
        "ratio" => Param::Ratio,
        "national_weight" => Param::NationalWeight,
        "min_territory_population" => Param::MinTerritoryPopulation,
        "close" => Param::Close,
        "split" => Param::Split,
        "split_depth" => Param::SplitDepth,
        "split_max" => Param::SplitMax,
        "split_at_communes" => Param::SplitAtCommunes,
        other => return Err(SetError::Unknown { text: text.into(), name: other.into() }),
    };
    let number = |s: &str| -> Result<f64, SetError> {
        match s.trim() {
            "true" => Ok(1.0),
            "false" => Ok(0.0),
            t => t.parse::<f64>().map_err(|source| SetError::NotANumber {
                text: text.into(),
                value: t.into(),
                source,
            }),
        }
    };
    let values = if let Some((range, step)) = values.split_once(':') {
        let (a, b) = range.split_once("..").ok_or_else(|| SetError::RangeForm { text: text.into() })?;
        let (a, b, step) = (number(a)?, number(b)?, number(step)?);
        if !(step > 0.0 && b >= a) {
            return Err(SetError::RangeDown { text: text.into() });
        }
        let n = ((b - a) / step + 1e-9).floor() as usize + 1;
        if n > 10_000 {
            return Err(SetError::TooMany { text: text.into(), n });
        }
        steps(a, step, n)
    } else {
        values.split(',').map(number).collect::<Result<Vec<_>, _>>()?
    };
    if values.is_empty() {
        return Err(SetError::NoValue { text: text.into() });
    }
    Ok((param, values))
}

/// `n` values from `from` by `step`, rounded to 1e-9 (1.2, not 1.2000000000000002).
pub fn steps(from: f64, step: f64, n: usize) -> Vec<f64> {
    (0..n).map(|k| ((from + k as f64 * step) * 1e9).round() / 1e9).collect()
}

/// The settings a calibration tries: every factor with each connectivity (the
/// connectivities vary slowest), every other setting as in `base`.
pub fn calibration_trials(
    base: &RunSettings,
    factors: &[f64],
    connectivities: &[Connectivity],
) -> Vec<RunSettings> {
    connectivities
        .iter()
        .flat_map(|c| factors.iter().map(move |f| (c, f)))
        .map(|(c, f)| {
            let mut s = base.clone();
            s.rule.calibration_factor = *f;
            s.grouping.connectivity = *c;
            s
        })
        .collect()
}

/// How far an outcome is from a published count of quartiers and inhabitants: the sum
/// of the squares of the two relative errors.
pub fn calibration_error(o: &Outcome, target_count: f64, target_population: f64) -> f64 {
    ((o.quartiers as f64 - target_count) / target_count).powi(2)
        + ((o.inhabitants - target_population) / target_population).powi(2)
}

/// The trials by error, least first; of equal errors the earlier trial first.
pub fn best_first(errors: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..errors.len()).collect();
    order.sort_by(|&a, &b| errors[a].total_cmp(&errors[b]).then(a.cmp(&b)));
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{grid_of, table_one_unit};
    use crate::{MedianOverrides, Territory};

    /// Two poor 2×2 blocks of 300 a square (1 200 inhabitants each) in Denain.
    fn blocks() -> Grid {
        let mut sq = Vec::new();
        for x0 in [0, 10] {
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                sq.push((x0 + dx, dy, 300.0, 11_000.0, 0.55));
            }
        }
        grid_of(&sq)
    }

    fn settings(min_population: f64) -> RunSettings {
        let mut s = RunSettings::for_territory(Territory::Metropolitan);
        s.overrides = MedianOverrides { poverty_line: Some(12_000.0), national_median: Some(20_000.0) };
        s.rule.min_population = min_population;
        s
    }

    #[test]
    fn an_outcome_counts_quartiers_inhabitants_and_communes() {
        let (grid, communes) = (blocks(), table_one_unit());
        let pipeline = Pipeline::new(&grid, &communes);
        let prepared = pipeline.prepare().unwrap();
        let o = Outcome::of(&pipeline, &prepared, &settings(1_000.0)).unwrap();
        assert_eq!((o.quartiers, o.inhabitants, o.communes), (2, 2_400.0, 1));
        assert_eq!(o.per_unit.values().copied().collect::<Vec<_>>(), [(2, 2_400.0)]);
        assert_eq!(o.squares.iter().map(Vec::len).collect::<Vec<_>>(), [4, 4]);
    }

    #[test]
    fn no_candidate_is_zero_inhabitants_not_minus_zero() {
        let (grid, communes) = (blocks(), table_one_unit());
        let pipeline = Pipeline::new(&grid, &communes);
        let prepared = pipeline.prepare().unwrap();
        let o = Outcome::of(&pipeline, &prepared, &settings(5_000.0)).unwrap();
        assert_eq!(o.quartiers, 0);
        assert!(o.inhabitants.is_sign_positive(), "{}", o.inhabitants);
    }

    #[test]
    fn a_candidate_survives_where_one_candidate_holds_half_its_inhabitants() {
        let grid = blocks();
        let outcome = |squares: Vec<Vec<u32>>| Outcome {
            quartiers: squares.len(),
            inhabitants: 0.0,
            communes: 0,
            per_unit: BTreeMap::new(),
            squares,
        };
        let baseline = outcome(vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7]]);
        let variants = [
            outcome(vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7]]), // both kept
            outcome(vec![vec![0, 1], vec![2, 3], vec![4]]),    // halves: first kept, second not
            outcome(Vec::new()),                               // none
        ];
        assert_eq!(survivals(&grid, &baseline, &variants), [2, 1]);
    }

    #[test]
    fn ranges_and_lists() {
        let (p, v) = parse_set("factor=1.15..1.45:0.05").unwrap();
        assert_eq!(p, Param::Factor);
        assert_eq!(v, vec![1.15, 1.2, 1.25, 1.3, 1.35, 1.4, 1.45]);
        let (p, v) = parse_set("connectivity=4,8").unwrap();
        assert_eq!((p, v), (Param::Connectivity, vec![4.0, 8.0]));
        assert_eq!(parse_set("holes=true,false").unwrap().1, vec![1.0, 0.0]);
        // A range of one value.
        assert_eq!(parse_set("ratio=0.6..0.6:0.1").unwrap().1, vec![0.6]);
    }

    #[test]
    fn bad_sets_are_explained() {
        assert!(parse_set("colour=1").unwrap_err().to_string().contains("unknown parameter \"colour\""));
        assert!(parse_set("factor").unwrap_err().to_string().contains("NAME=VALUES"));
        assert!(parse_set("factor=1.4..1.1:0.1").unwrap_err().to_string().contains("go up"));
        assert!(parse_set("factor=1.1..1.4:0").unwrap_err().to_string().contains("positive step"));
        assert!(parse_set("factor=1.1:0.1").unwrap_err().to_string().contains("FROM..TO:STEP"));
        assert!(parse_set("factor=0..1:0.00001").unwrap_err().to_string().contains("too many"));
        let e = parse_set("factor=a,b").unwrap_err();
        assert_eq!(e.to_string(), "--set factor=a,b: \"a\" is not a number");
        // The parse error stays as the cause (printed after the message).
        assert!(std::error::Error::source(&e).is_some());
    }

    #[test]
    fn a_parameter_sets_its_setting_and_refuses_what_it_cannot_be() {
        let mut s = RunSettings::for_territory(crate::Territory::Metropolitan);
        Param::Connectivity.apply(&mut s, 4.0).unwrap();
        assert_eq!(s.grouping.connectivity, Connectivity::Four);
        assert!(matches!(Param::Connectivity.apply(&mut s, 6.0), Err(SetError::Connectivity(_))));
        assert!(matches!(Param::Connectivity.apply(&mut s, 4.5), Err(SetError::Connectivity(_))));
        assert!(matches!(Param::Close.apply(&mut s, 9.0), Err(SetError::Close(_))));
        Param::Close.apply(&mut s, 0.0).unwrap();
        assert_eq!(s.grouping.close, None);
        Param::Split.apply(&mut s, 0.0).unwrap();
        assert!(s.grouping.split.is_none());
        // Sweeping a split setting means splitting.
        Param::SplitDepth.apply(&mut s, 0.4).unwrap();
        assert_eq!(s.grouping.split.map(|x| x.depth), Some(0.4));
        Param::Holes.apply(&mut s, 0.0).unwrap();
        assert!(!s.grouping.fill_empty_holes);
    }

    #[test]
    fn a_calibration_tries_every_factor_with_each_connectivity_and_ranks_by_error() {
        let base = RunSettings::for_territory(crate::Territory::Metropolitan);
        let trials = calibration_trials(&base, &[1.2, 1.3], &[Connectivity::Eight, Connectivity::Four]);
        let tried: Vec<(f64, u8)> = trials
            .iter()
            .map(|s| (s.rule.calibration_factor, s.grouping.connectivity.neighbours()))
            .collect();
        assert_eq!(tried, [(1.2, 8), (1.3, 8), (1.2, 4), (1.3, 4)]);
        assert_eq!(trials[0].rule.ratio, base.rule.ratio);
        let outcome = |quartiers: usize, inhabitants: f64| Outcome {
            quartiers,
            inhabitants,
            communes: 0,
            per_unit: Default::default(),
            squares: Vec::new(),
        };
        assert_eq!(calibration_error(&outcome(100, 1000.0), 100.0, 1000.0), 0.0);
        // 10 % off on each: 0.01 + 0.01.
        assert!((calibration_error(&outcome(110, 900.0), 100.0, 1000.0) - 0.02).abs() < 1e-12);
        // Least error first, ties in trial order.
        assert_eq!(best_first(&[0.3, 0.1, 0.3, 0.1]), [1, 3, 0, 2]);
        assert!(best_first(&[]).is_empty());
    }
}

//! Many variants of the settings on one prepared grid (`qpv sweep`, `qpv calibrate`):
//! what each variant gives ([`Outcome`]), and how many variants keep each candidate of
//! the baseline ([`survivals`]).
//!
//! The grid is indexed and placed once ([`Pipeline::prepare`]); each variant only
//! re-flags and re-groups, so the caller can run variants in parallel.

use crate::{Grid, NO_UNIT, Pipeline, Prepared, RunError, RunSettings};
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
}

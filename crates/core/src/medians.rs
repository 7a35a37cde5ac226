//! Reference medians: the national median, the poverty line and each urban unit's
//! median, computed once on the whole national grid.
//!
//! Analysts run on a département or an intercommunality, but the threshold needs
//! the median of metropolitan France and of each *whole* urban unit (the CAPH
//! extract covers only part of the Valenciennes UU). A [`MedianReference`] built
//! from the national file carries those figures to extract runs.

use crate::income::{FitQuality, IncomeModel, LogNormal, mixture_median};
use crate::{Grid, Placement, SquareValues};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// The medians of one urban unit on the whole grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitReference {
    /// Estimated median niveau de vie of the unit's residents, €.
    pub median: f64,
    /// Individuals of the unit's squares in the grid.
    pub individuals: f64,
}

/// Medians of a whole grid, for runs on extracts of it.
#[derive(Debug, Clone, PartialEq)]
pub struct MedianReference {
    /// Which data the reference was computed on, e.g. `filosofi2019`.
    pub vintage: String,
    /// Poverty line used for the per-square fits (60 % of the national median), €.
    pub poverty_line: f64,
    /// Estimated national (metropolitan) median niveau de vie, €.
    pub national_median: f64,
    /// Individuals of the whole grid.
    pub national_individuals: f64,
    /// Per urban unit code.
    pub units: BTreeMap<String, UnitReference>,
}

/// Fits every square; `None` where a square has no usable income data.
pub fn fit_squares(grid: &Grid, model: &IncomeModel, poverty_line: f64) -> Vec<Option<LogNormal>> {
    fit_squares_counted(grid, model, poverty_line, |_| true).0
}

/// Fits one square from its mean niveau de vie and poor-household share; `None`
/// without individuals or households.
pub fn fit_square(
    model: &IncomeModel,
    v: &SquareValues,
    poverty_line: f64,
) -> Option<(LogNormal, FitQuality)> {
    if !(v.individuals > 0.0 && v.households > 0.0) {
        return None;
    }
    model.fit(v.income_sum / v.individuals, v.poor_households / v.households, poverty_line)
}

/// Fits the squares `wanted` selects (the others get `None`), also counting the fits
/// where a bound of the model applied.
pub fn fit_squares_counted(
    grid: &Grid,
    model: &IncomeModel,
    poverty_line: f64,
    wanted: impl Fn(usize) -> bool + Sync,
) -> (Vec<Option<LogNormal>>, usize) {
    let fitted: Vec<Option<(LogNormal, FitQuality)>> = grid
        .values()
        .par_iter()
        .enumerate()
        .map(|(i, v)| if wanted(i) { fit_square(model, v, poverty_line) } else { None })
        .collect();
    let clamped = fitted.iter().filter(|f| matches!(f, Some((_, FitQuality::Clamped)))).count();
    (fitted.into_iter().map(|f| f.map(|(d, _)| d)).collect(), clamped)
}

/// Median of the mixture of the squares `members` (all squares when `None`).
pub fn pooled_median(grid: &Grid, fits: &[Option<LogNormal>], members: Option<&[u32]>) -> Option<f64> {
    let part = |i: usize| fits[i].map(|d| (grid.values()[i].individuals, d));
    let parts: Vec<(f64, LogNormal)> = match members {
        Some(m) => m.iter().filter_map(|&i| part(i as usize)).collect(),
        None => (0..grid.len()).into_par_iter().filter_map(part).collect(),
    };
    mixture_median(&parts)
}

/// Squares of each unit, by unit index.
pub fn squares_by_unit(placement: &Placement) -> UnitSquares {
    // A counting sort into one array: two passes, no per-unit vectors to grow.
    let n_units = placement.units.len();
    let mut offsets = vec![0u32; n_units + 1];
    for &u in &placement.unit_of_square {
        if u != crate::NO_UNIT {
            offsets[u as usize + 1] += 1;
        }
    }
    for k in 0..n_units {
        offsets[k + 1] += offsets[k];
    }
    let mut next = offsets.clone();
    let mut squares = vec![0u32; offsets[n_units] as usize];
    for (i, &u) in placement.unit_of_square.iter().enumerate() {
        if u != crate::NO_UNIT {
            squares[next[u as usize] as usize] = i as u32;
            next[u as usize] += 1;
        }
    }
    UnitSquares { offsets, squares }
}

/// The squares of each territory unit, in increasing order.
#[derive(Debug, Clone)]
pub struct UnitSquares {
    offsets: Vec<u32>,
    squares: Vec<u32>,
}

impl UnitSquares {
    /// Number of units.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// True when there is no unit.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The units' square lists, in parallel.
    pub fn par_iter(&self) -> impl IndexedParallelIterator<Item = &[u32]> + '_ {
        (0..self.len()).into_par_iter().map(move |u| &self[u])
    }
}

impl std::ops::Index<usize> for UnitSquares {
    type Output = [u32];

    fn index(&self, u: usize) -> &[u32] {
        &self.squares[self.offsets[u] as usize..self.offsets[u + 1] as usize]
    }
}

impl MedianReference {
    /// Computes the reference on a whole grid. The poverty line is the fixed point
    /// `L = 0.6 × median(L)` of the model (METHOD.md §5.1), unless given.
    pub fn build(
        grid: &Grid,
        placement: &Placement,
        model: &IncomeModel,
        vintage: &str,
        poverty_line: Option<f64>,
    ) -> Option<MedianReference> {
        let (poverty_line, fits, national_median) = match poverty_line {
            Some(l) => {
                let fits = fit_squares(grid, model, l);
                let m = pooled_median(grid, &fits, None)?;
                (l, fits, m)
            }
            None => poverty_line_fixed_point(grid, model)?,
        };
        let by_unit = squares_by_unit(placement);
        let units = by_unit
            .par_iter()
            .enumerate()
            .filter_map(|(u, squares)| {
                let median = pooled_median(grid, &fits, Some(squares))?;
                let individuals = squares.iter().map(|&i| grid.values()[i as usize].individuals).sum();
                Some((placement.units[u].code.clone(), UnitReference { median, individuals }))
            })
            .collect();
        Some(MedianReference {
            vintage: vintage.to_owned(),
            poverty_line,
            national_median,
            national_individuals: grid.individuals(),
            units,
        })
    }
}

/// Iterates `L ← 0.6 × median(L)` from the weighted median of square means.
/// Returns the line, the fits under it and the national median.
pub fn poverty_line_fixed_point(
    grid: &Grid,
    model: &IncomeModel,
) -> Option<(f64, Vec<Option<LogNormal>>, f64)> {
    let mut line = 0.6 * weighted_median_of_means(grid)?;
    for _ in 0..30 {
        let fits = fit_squares(grid, model, line);
        let median = pooled_median(grid, &fits, None)?;
        let next = 0.6 * median;
        if (next - line).abs() < 0.01 {
            let fits = fit_squares(grid, model, next);
            let median = pooled_median(grid, &fits, None)?;
            return Some((next, fits, median));
        }
        line = next;
    }
    None
}

fn weighted_median_of_means(grid: &Grid) -> Option<f64> {
    let mut means: Vec<(f64, f64)> = grid
        .values()
        .iter()
        .filter(|v| v.individuals > 0.0 && v.income_sum > 0.0)
        .map(|v| (v.income_sum / v.individuals, v.individuals))
        .collect();
    means.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = means.iter().map(|m| m.1).sum();
    let mut acc = 0.0;
    means
        .into_iter()
        .find(|m| {
            acc += m.1;
            acc >= total / 2.0
        })
        .map(|m| m.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Territory;
    use crate::testutil::{grid_of, table_one_unit};

    #[test]
    fn empty_grid_has_no_reference() {
        let grid = grid_of(&[]);
        let p = Placement::new(&grid, &table_one_unit(), Territory::Metropolitan);
        assert!(MedianReference::build(&grid, &p, &IncomeModel::default(), "t", None).is_none());
    }

    #[test]
    fn poverty_line_is_sixty_percent_of_the_median_it_produces() {
        let grid = grid_of(&[
            (0, 0, 100.0, 14_000.0, 0.4),
            (1, 0, 200.0, 22_000.0, 0.1),
            (2, 0, 150.0, 30_000.0, 0.05),
        ]);
        let p = Placement::new(&grid, &table_one_unit(), Territory::Metropolitan);
        let r = MedianReference::build(&grid, &p, &IncomeModel::default(), "t", None).unwrap();
        assert!((r.poverty_line - 0.6 * r.national_median).abs() < 0.05);
        assert_eq!(r.national_individuals, 450.0);
        let uu = r.units.get("59701").unwrap();
        assert_eq!(uu.individuals, 450.0);
        assert!((uu.median - r.national_median).abs() < 1e-6);
    }

    #[test]
    fn one_square_median_is_its_fit() {
        let grid = grid_of(&[(0, 0, 100.0, 20_000.0, 0.15)]);
        let fits = fit_squares(&grid, &IncomeModel::default(), 12_000.0);
        let m = pooled_median(&grid, &fits, None).unwrap();
        assert!((m - fits[0].unwrap().median()).abs() < 1e-6);
    }
}

//! Stage 2: estimate each square's income and flag the low-income squares of
//! eligible territories (METHOD.md §2–§5).

use crate::income::LogNormal;
use crate::medians::{fit_squares_counted, pooled_median, poverty_line_fixed_point, squares_by_unit};
use crate::{Grid, IncomeModel, MedianReference, Placement, Rule, Territory};
use rayon::prelude::*;

/// Where a median used in a threshold came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MedianOrigin {
    /// The reference table of the whole national grid.
    Reference,
    /// Computed on the input grid.
    Grid,
    /// Given by the user.
    User,
}

/// The threshold of one territory unit.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitThreshold {
    /// Whether the unit is large enough to hold quartiers.
    pub eligible: bool,
    /// The local median (urban unit, or département overseas), €.
    pub local_median: Option<f64>,
    /// Where it came from.
    pub local_origin: MedianOrigin,
    /// The legal threshold S, rounded up to 100 €.
    pub legal: Option<f64>,
    /// S times the calibration factor, compared with estimated medians.
    pub applied: Option<f64>,
    /// Individuals of the unit's squares in the input grid.
    pub grid_individuals: f64,
    /// Share of the unit's population that the input grid covers (grid individuals
    /// over the reference's, or over the commune table's population).
    pub coverage: f64,
}

/// Something the analyst should know about a run; it did not stop it.
#[derive(Debug, Clone, PartialEq)]
pub enum Warning {
    /// An urban unit is only partly in the grid and no reference median was available,
    /// so its median comes from the part that is there.
    PartialUnitWithoutReference {
        /// UU code.
        code: String,
        /// Share of its population in the grid.
        coverage: f64,
    },
    /// A unit wholly in the grid has a median far from the reference's: the reference
    /// may be of another Filosofi vintage.
    ReferenceMismatch {
        /// UU code.
        code: String,
        /// Median in the reference.
        reference: f64,
        /// Median computed on the grid.
        grid: f64,
    },
    /// The national median was computed on a grid that is not the whole country.
    NationalMedianFromExtract {
        /// Individuals in the grid.
        individuals: f64,
    },
}

/// Why flagging could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlagError {
    /// The grid has no square with income data.
    #[error("the grid has no square with income data (ind, men and ind_snv), so no median can be estimated")]
    NoIncomeData,
    /// The overseas rule needs the metropolitan median, which an overseas grid cannot give.
    #[error(
        "the overseas rule needs the median of metropolitan France; use the embedded reference \
         or give --national-median"
    )]
    NoMetropolitanMedian,
}

/// The result of stage 2.
#[derive(Debug, Clone)]
pub struct FlaggedSquares {
    /// Poverty line used in the fits, €.
    pub poverty_line: f64,
    /// Where the poverty line came from.
    pub poverty_line_origin: MedianOrigin,
    /// National (metropolitan) median, €.
    pub national_median: f64,
    /// Where it came from.
    pub national_origin: MedianOrigin,
    /// Per-square distribution, `None` without income data.
    pub fits: Vec<Option<LogNormal>>,
    /// Per territory unit (same order as [`Placement::units`]).
    pub units: Vec<UnitThreshold>,
    /// Squares whose fit hit a bound of the income model (poor share 0, contradictory
    /// moments…), among the squares fitted (those of eligible units when the national
    /// median is known, else all).
    pub clamped_fits: usize,
    /// Inhabited squares that needed a fit but have no income estimate (no households
    /// or missing values).
    pub unestimated: usize,
    /// Indices of the flagged squares, increasing.
    pub flagged: Vec<u32>,
    /// Things worth telling the analyst.
    pub warnings: Vec<Warning>,
}

/// User overrides of the medians.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MedianOverrides {
    /// Poverty line, €.
    pub poverty_line: Option<f64>,
    /// National median, €.
    pub national_median: Option<f64>,
}

/// Estimates incomes and flags squares.
pub fn flag_squares(
    grid: &Grid,
    placement: &Placement,
    rule: &Rule,
    model: &IncomeModel,
    reference: Option<&MedianReference>,
    overrides: MedianOverrides,
) -> Result<FlaggedSquares, FlagError> {
    let mut warnings = Vec::new();
    let (poverty_line, poverty_line_origin, grid_median) = poverty_line(grid, model, reference, overrides)?;
    // With the national median known, only squares of eligible units need a fit
    // (about half the national grid); otherwise every square enters a median.
    let fit_all =
        rule.territory == Territory::Overseas || (overrides.national_median.is_none() && reference.is_none());
    let eligible: Vec<bool> =
        placement.units.iter().map(|u| rule.territory_is_eligible(u.population)).collect();
    let wanted = |i: usize| fit_all || placement.unit(i).is_some_and(|u| eligible[u as usize]);
    let (fits, clamped_fits) = fit_squares_counted(grid, model, poverty_line, wanted);
    let unestimated = (0..grid.len())
        .into_par_iter()
        .filter(|&i| fits[i].is_none() && grid.values()[i].individuals > 0.0 && wanted(i))
        .count();
    let (national_median, national_origin) = match (overrides.national_median, reference, rule.territory) {
        (Some(m), _, _) => (m, MedianOrigin::User),
        (None, Some(r), _) => (r.national_median, MedianOrigin::Reference),
        (None, None, Territory::Overseas) => return Err(FlagError::NoMetropolitanMedian),
        (None, None, Territory::Metropolitan) => {
            let m = match grid_median {
                Some(m) => m,
                None => pooled_median(grid, &fits, None).ok_or(FlagError::NoIncomeData)?,
            };
            if grid.individuals() < 50_000_000.0 {
                warnings.push(Warning::NationalMedianFromExtract { individuals: grid.individuals() });
            }
            (m, MedianOrigin::Grid)
        }
    };
    let by_unit = squares_by_unit(placement);
    let departement_median = match rule.territory {
        Territory::Overseas => pooled_median(grid, &fits, None),
        Territory::Metropolitan => None,
    };
    let units: Vec<UnitThreshold> = by_unit
        .par_iter()
        .enumerate()
        .map(|(u, squares)| {
            let ctx = UnitContext { grid, fits: &fits, rule, reference, national_median, departement_median };
            ctx.threshold(&placement.units[u], squares)
        })
        .collect();
    for (u, t) in units.iter().enumerate() {
        let code = &placement.units[u].code;
        let partial = t.eligible && t.grid_individuals > 0.0 && t.coverage < 0.9;
        if partial && t.local_origin == MedianOrigin::Grid && rule.territory == Territory::Metropolitan {
            warnings.push(Warning::PartialUnitWithoutReference { code: code.clone(), coverage: t.coverage });
        }
    }
    warnings.extend(reference_mismatches(grid, &fits, placement, &by_unit, &units, reference));
    let flagged = (0..grid.len())
        .into_par_iter()
        .filter(|&i| {
            let Some(u) = placement.unit(i) else { return false };
            match (&fits[i], units[u as usize].applied) {
                (Some(d), Some(s)) if units[u as usize].eligible => d.median() < s,
                _ => false,
            }
        })
        .map(|i| i as u32)
        .collect();
    Ok(FlaggedSquares {
        poverty_line,
        poverty_line_origin,
        national_median,
        national_origin,
        fits,
        units,
        clamped_fits,
        unestimated,
        flagged,
        warnings,
    })
}

/// The poverty line, where it came from, and the national median when it was
/// computed on the way (fixed point on the grid).
fn poverty_line(
    grid: &Grid,
    model: &IncomeModel,
    reference: Option<&MedianReference>,
    overrides: MedianOverrides,
) -> Result<(f64, MedianOrigin, Option<f64>), FlagError> {
    match (overrides.poverty_line, reference) {
        (Some(l), _) => Ok((l, MedianOrigin::User, None)),
        (None, Some(r)) => Ok((r.poverty_line, MedianOrigin::Reference, None)),
        (None, None) => {
            let (line, _, median) = poverty_line_fixed_point(grid, model).ok_or(FlagError::NoIncomeData)?;
            Ok((line, MedianOrigin::Grid, Some(median)))
        }
    }
}

struct UnitContext<'a> {
    grid: &'a Grid,
    fits: &'a [Option<LogNormal>],
    rule: &'a Rule,
    reference: Option<&'a MedianReference>,
    national_median: f64,
    departement_median: Option<f64>,
}

impl UnitContext<'_> {
    fn threshold(&self, unit: &crate::TerritoryUnit, squares: &[u32]) -> UnitThreshold {
        let grid_individuals: f64 = squares.iter().map(|&i| self.grid.values()[i as usize].individuals).sum();
        let in_reference = self.reference.and_then(|r| r.units.get(&unit.code));
        let (local_median, local_origin, coverage) = match (self.rule.territory, in_reference) {
            (Territory::Overseas, _) => (self.departement_median, MedianOrigin::Grid, 1.0),
            (Territory::Metropolitan, Some(r)) => {
                (Some(r.median), MedianOrigin::Reference, grid_individuals / r.individuals)
            }
            (Territory::Metropolitan, None) => (
                pooled_median(self.grid, self.fits, Some(squares)),
                MedianOrigin::Grid,
                if unit.population > 0.0 { grid_individuals / unit.population } else { 0.0 },
            ),
        };
        let eligible = self.rule.territory_is_eligible(unit.population);
        let legal = local_median.map(|m| self.rule.legal_threshold(self.national_median, m, unit.population));
        UnitThreshold {
            eligible,
            local_median,
            local_origin,
            legal,
            applied: legal.map(|s| self.rule.applied_threshold(s)),
            grid_individuals,
            coverage,
        }
    }
}

/// Units wholly in the grid whose reference median differs from the grid's by more
/// than 1 %: a sign that the reference belongs to another vintage. A dozen units of
/// 10 000 to 200 000 individuals are enough to tell, and cheap to recompute.
fn reference_mismatches(
    grid: &Grid,
    fits: &[Option<LogNormal>],
    placement: &Placement,
    by_unit: &crate::medians::UnitSquares,
    units: &[UnitThreshold],
    reference: Option<&MedianReference>,
) -> Vec<Warning> {
    let Some(reference) = reference else { return Vec::new() };
    let checked: Vec<usize> = (0..units.len())
        .filter(|&u| {
            let t = &units[u];
            t.local_origin == MedianOrigin::Reference
                && (t.coverage - 1.0).abs() < 0.005
                && (10_000.0..=200_000.0).contains(&t.grid_individuals)
                && by_unit[u]
                    .iter()
                    .all(|&i| fits[i as usize].is_some() || grid.values()[i as usize].individuals == 0.0)
        })
        .take(12)
        .collect();
    checked
        .into_par_iter()
        .filter_map(|u| {
            let code = &placement.units[u].code;
            let expected = reference.units.get(code)?.median;
            let got = pooled_median(grid, fits, Some(&by_unit[u]))?;
            ((got / expected - 1.0).abs() > 0.01).then(|| Warning::ReferenceMismatch {
                code: code.clone(),
                reference: expected,
                grid: got,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{grid_of, table_one_unit};

    fn run(grid: &Grid, reference: Option<&MedianReference>, overrides: MedianOverrides) -> FlaggedSquares {
        let p = Placement::new(grid, &table_one_unit(), Territory::Metropolitan);
        flag_squares(grid, &p, &Rule::metropolitan(), &IncomeModel::default(), reference, overrides).unwrap()
    }

    #[test]
    fn empty_grid_cannot_be_flagged() {
        let grid = grid_of(&[]);
        let p = Placement::new(&grid, &table_one_unit(), Territory::Metropolitan);
        let err = flag_squares(
            &grid,
            &p,
            &Rule::metropolitan(),
            &IncomeModel::default(),
            None,
            MedianOverrides::default(),
        );
        assert_eq!(err.unwrap_err(), FlagError::NoIncomeData);
    }

    #[test]
    fn poor_squares_are_flagged_against_the_threshold() {
        let grid = grid_of(&[
            (0, 0, 300.0, 11_000.0, 0.55),
            (1, 0, 300.0, 24_000.0, 0.08),
            (2, 0, 300.0, 26_000.0, 0.06),
        ]);
        let overrides = MedianOverrides { poverty_line: Some(12_000.0), national_median: Some(20_000.0) };
        let f = run(&grid, None, overrides);
        assert_eq!(f.flagged, vec![0]);
        let t = &f.units[0];
        assert!(t.eligible);
        let s = t.applied.unwrap();
        assert!(f.fits[0].unwrap().median() < s && f.fits[1].unwrap().median() >= s);
        // Extract: the median came from a third of the UU's population.
        assert!(f.warnings.iter().any(|w| matches!(w, Warning::PartialUnitWithoutReference { .. })));
    }

    #[test]
    fn reference_medians_are_used_and_checked() {
        let grid = grid_of(&[(0, 0, 12_000.0, 11_000.0, 0.55)]);
        let mut units = std::collections::BTreeMap::new();
        units.insert("59701".to_string(), crate::UnitReference { median: 30_000.0, individuals: 12_000.0 });
        let reference = MedianReference {
            vintage: "t".into(),
            poverty_line: 12_000.0,
            national_median: 20_000.0,
            national_individuals: 60e6,
            units,
        };
        let f = run(&grid, Some(&reference), MedianOverrides::default());
        // S = 0.6 × (0.7 × 20 000 + 0.3 × 30 000) = 13 800.
        assert_eq!(f.units[0].legal, Some(13_800.0));
        assert_eq!(f.units[0].local_origin, MedianOrigin::Reference);
        assert!(f.warnings.iter().any(|w| matches!(w, Warning::ReferenceMismatch { .. })));
    }

    #[test]
    fn squares_without_income_data_are_never_flagged() {
        let grid = grid_of(&[(0, 0, 0.0, f64::NAN, 0.5), (1, 0, 300.0, 11_000.0, 0.55)]);
        let overrides = MedianOverrides { poverty_line: Some(12_000.0), national_median: Some(20_000.0) };
        let f = run(&grid, None, overrides);
        assert!(f.fits[0].is_none());
        assert_eq!(f.flagged, vec![1]);
    }
}

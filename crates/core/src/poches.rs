//! "Poches de pauvreté" (circular of 31 August 2023, METHOD.md §6): clusters that meet
//! the income criterion but not the other conditions — fewer inhabitants than the
//! quartier floor (INSEE's 2024 study of poor neighbourhoods used 500), or outside an
//! eligible urban unit — and touch no perimeter.
//!
//! Outside eligible urban units there is no legal threshold. `qpv` applies the same
//! formula with the unit's own median when the square is in a (small) urban unit,
//! and with the national median alone (`S = 0.6 × national`, rounded up, times the
//! calibration factor) when it is in no urban unit.

use crate::{
    Candidates, Cell, Connectivity, FlaggedSquares, Grid, IncomeModel, NO_UNIT, Placement, Rule, Shortfall,
    connected_components, mixture_median,
};
use rayon::prelude::*;
use std::collections::BTreeSet;

/// A pocket of poverty.
#[derive(Debug, Clone, PartialEq)]
pub struct Poche {
    /// Squares (grid indices).
    pub squares: Vec<u32>,
    /// Urban unit, if any.
    pub unit: Option<u32>,
    /// Individuals.
    pub individuals: f64,
    /// Households.
    pub households: f64,
    /// Poor households.
    pub poor_households: f64,
    /// Estimated pooled median, €.
    pub median: f64,
    /// Threshold it is below, €.
    pub threshold: f64,
    /// Why it is not a quartier.
    pub reason: String,
}

/// The floor of a `poches` step given none, inhabitants: what INSEE's 2024 study of poor
/// neighbourhoods used.
pub const DEFAULT_POCHE_FLOOR: f64 = 500.0;

/// Settings of the search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PocheSettings {
    /// Smallest pocket, inhabitants ([`DEFAULT_POCHE_FLOOR`] in a step that gives none).
    pub floor: f64,
    /// Contiguity.
    pub connectivity: Connectivity,
}

/// Finds the pockets of poverty that touch none of `taken` (cells of the perimeters).
#[allow(clippy::too_many_arguments)]
pub fn find_poches(
    grid: &Grid,
    placement: &Placement,
    flagged: &FlaggedSquares,
    candidates: &Candidates,
    taken: &BTreeSet<Cell>,
    rule: &Rule,
    model: &IncomeModel,
    settings: PocheSettings,
) -> Vec<Poche> {
    let touches = |squares: &[u32]| {
        squares.iter().any(|&i| {
            let c = grid.cells()[i as usize];
            (-1..=1).any(|dx| (-1..=1).any(|dy| taken.contains(&Cell::new(c.x + dx, c.y + dy))))
        })
    };
    let mut out = Vec::new();
    // Small areas of eligible units: they fail on population only.
    for a in candidates.near_misses.iter().chain(&candidates.small) {
        let population_only = a.shortfalls.iter().all(|s| matches!(s, Shortfall::Population { .. }));
        if population_only && a.individuals >= settings.floor && !touches(&a.squares) {
            out.push(Poche {
                squares: a.squares.clone(),
                unit: Some(a.unit),
                individuals: a.individuals,
                households: a.households,
                poor_households: a.poor_households,
                median: a.median.unwrap_or(f64::NAN),
                threshold: a.threshold,
                reason: format!(
                    "{:.0} inhabitants, below the {:.0} floor of a quartier",
                    a.individuals, rule.min_population
                ),
            });
        }
    }
    out.extend(
        outside_eligible_units(grid, placement, flagged, rule, model, settings)
            .into_iter()
            .filter(|p| !touches(&p.squares)),
    );
    out
}

/// Threshold and fit of squares outside eligible units.
fn outside_eligible_units(
    grid: &Grid,
    placement: &Placement,
    flagged: &FlaggedSquares,
    rule: &Rule,
    model: &IncomeModel,
    settings: PocheSettings,
) -> Vec<Poche> {
    let threshold_of = |unit: u32| -> f64 {
        let legal = if unit == NO_UNIT {
            rule.round_up(rule.ratio * flagged.national_median)
        } else {
            let u = &placement.units[unit as usize];
            let local = flagged.units[unit as usize].local_median.unwrap_or(flagged.national_median);
            rule.legal_threshold(flagged.national_median, local, u.population)
        };
        rule.applied_threshold(legal)
    };
    let outside = |u: u32| u == NO_UNIT || !flagged.units[u as usize].eligible;
    let fitted: Vec<(u32, crate::LogNormal)> = (0..grid.len())
        .into_par_iter()
        .filter(|&i| outside(placement.unit_of_square[i]) && placement.commune_of_square[i] != NO_UNIT)
        .filter_map(|i| {
            let (d, _) = crate::medians::fit_square(model, &grid.values()[i], flagged.poverty_line)?;
            (d.median() < threshold_of(placement.unit_of_square[i])).then_some((i as u32, d))
        })
        .collect();
    let cells: Vec<Cell> = fitted.iter().map(|(i, _)| grid.cells()[*i as usize]).collect();
    let unit_of = |k: usize| placement.unit_of_square[fitted[k].0 as usize];
    connected_components(&cells, unit_of, settings.connectivity)
        .into_iter()
        .filter_map(|members| {
            let squares: Vec<u32> = members.iter().map(|&k| fitted[k as usize].0).collect();
            let parts: Vec<(f64, crate::LogNormal)> = members
                .iter()
                .map(|&k| (grid.values()[fitted[k as usize].0 as usize].individuals, fitted[k as usize].1))
                .collect();
            let individuals: f64 = parts.iter().map(|p| p.0).sum();
            if individuals < settings.floor {
                return None;
            }
            let unit = unit_of(members[0] as usize);
            let threshold = threshold_of(unit);
            let median = mixture_median(&parts)?;
            if median >= threshold {
                return None;
            }
            let sum = |f: fn(&crate::SquareValues) -> f64| {
                squares.iter().map(|&i| f(&grid.values()[i as usize])).sum()
            };
            let reason = if unit == NO_UNIT {
                "outside any urban unit (threshold from the national median alone)".to_owned()
            } else {
                let u = &placement.units[unit as usize];
                format!(
                    "in urban unit {} of {:.0} inhabitants, below the {:.0} needed",
                    u.code, u.population, rule.min_territory_population
                )
            };
            Some(Poche {
                unit: (unit != NO_UNIT).then_some(unit),
                individuals,
                households: sum(|v| v.households),
                poor_households: sum(|v| v.poor_households),
                median,
                threshold,
                reason,
                squares,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::grid_of;
    use crate::{
        Commune, CommuneCode, CommuneTable, GroupingSettings, MedianOverrides, Territory, flag_squares,
        group_candidates,
    };

    fn table() -> CommuneTable {
        let c = |code: &str, uu: &str, pop: Option<f64>| Commune {
            code: CommuneCode::parse(code.as_bytes()).unwrap(),
            name: code.into(),
            departement: "59".into(),
            epci: "E".into(),
            epci_name: "E".into(),
            urban_unit: uu.into(),
            urban_unit_name: uu.into(),
            population: 1_000.0,
            urban_unit_population: pop,
        };
        CommuneTable::new(vec![c("59172", "59701", Some(334_571.0))])
    }

    #[test]
    fn small_poor_cluster_is_a_poche_unless_it_touches_a_perimeter() {
        // A 2×2 poor block of 1 200 (candidate) and, far away, a 2-square block of 700.
        let mut sq: Vec<(i32, i32, f64, f64, f64)> = Vec::new();
        for (x, y) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
            sq.push((x, y, 300.0, 11_000.0, 0.55));
        }
        sq.push((20, 0, 350.0, 11_000.0, 0.55));
        sq.push((21, 0, 350.0, 11_000.0, 0.55));
        sq.push((40, 0, 200.0, 11_000.0, 0.55));
        let grid = grid_of(&sq);
        let placement = Placement::new(&grid, &table(), Territory::Metropolitan);
        let rule = Rule::metropolitan();
        let overrides = MedianOverrides { poverty_line: Some(12_000.0), national_median: Some(20_000.0) };
        let model = IncomeModel::default();
        let flagged = flag_squares(&grid, &placement, &rule, &model, None, overrides).unwrap();
        let candidates = group_candidates(
            &grid,
            &placement,
            &flagged,
            &rule,
            &GroupingSettings::default(),
            &grid.index().unwrap(),
        );
        let settings = PocheSettings { floor: 500.0, connectivity: Connectivity::Eight };
        let taken: BTreeSet<Cell> =
            [(0, 0), (1, 0), (0, 1), (1, 1)].into_iter().map(|(x, y)| Cell::new(x, y)).collect();
        let poches = find_poches(&grid, &placement, &flagged, &candidates, &taken, &rule, &model, settings);
        assert_eq!(poches.len(), 1);
        assert_eq!(poches[0].individuals, 700.0);
        assert!(poches[0].reason.contains("below the 1000 floor"));
        // Once a perimeter reaches it, it is no longer a poche.
        let mut taken2 = taken.clone();
        taken2.insert(Cell::new(19, 0));
        assert!(
            find_poches(&grid, &placement, &flagged, &candidates, &taken2, &rule, &model, settings)
                .is_empty()
        );
    }

    #[test]
    fn poor_squares_outside_urban_units_use_the_national_threshold() {
        let mut sq: Vec<(i32, i32, f64, f64, f64)> = Vec::new();
        for x in 0..3 {
            sq.push((x, 0, 250.0, 11_000.0, 0.55));
        }
        let grid = {
            let frame = crate::GridFrame { epsg: 3035, square_size: 200 };
            let rural = [CommuneCode::parse(b"59001").unwrap()];
            let mut b = crate::GridBuilder::new();
            for (n, &(x, y, ind, mean, share)) in sq.iter().enumerate() {
                let v = crate::SquareValues {
                    individuals: ind,
                    households: ind / 2.0,
                    poor_households: share * ind / 2.0,
                    income_sum: mean * ind,
                    imputed: false,
                };
                b.push(frame, Cell::new(x, y), v, &rural, n as u64 + 2).unwrap();
            }
            b.finish()
        };
        let mut t = table().communes().to_vec();
        t.push(Commune {
            code: CommuneCode::parse(b"59001").unwrap(),
            urban_unit: "59000".into(),
            urban_unit_population: None,
            ..t[0].clone()
        });
        let table = CommuneTable::new(t);
        let placement = Placement::new(&grid, &table, Territory::Metropolitan);
        let rule = Rule::metropolitan();
        let model = IncomeModel::default();
        let overrides = MedianOverrides { poverty_line: Some(12_000.0), national_median: Some(20_000.0) };
        let flagged = flag_squares(&grid, &placement, &rule, &model, None, overrides).unwrap();
        assert!(flagged.flagged.is_empty(), "no urban unit, no quartier");
        let candidates = Candidates::default();
        let settings = PocheSettings { floor: 500.0, connectivity: Connectivity::Eight };
        let poches =
            find_poches(&grid, &placement, &flagged, &candidates, &BTreeSet::new(), &rule, &model, settings);
        assert_eq!(poches.len(), 1);
        assert_eq!(poches[0].unit, None);
        assert_eq!(poches[0].individuals, 750.0);
        // 0.6 × 20 000 = 12 000, times the calibration factor.
        assert!((poches[0].threshold - 12_000.0 * rule.calibration_factor).abs() < 1e-6);
        assert!(poches[0].reason.contains("outside any urban unit"));
    }
}

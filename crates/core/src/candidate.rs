//! Stage 3: gather flagged squares into continuous areas and keep those that pass
//! the rule on their pooled residents (METHOD.md §2–§3).

use crate::closing::closed_squares;
use crate::medians::pooled_median;
use crate::split::{SplitSettings, split_zone};
use crate::{
    Cell, Connectivity, FlaggedSquares, Grid, Placement, Rule, SquareIndex, connected_components,
    fill_empty_holes, trace_outline,
};
use geo_types::MultiPolygon;
use rayon::prelude::*;

/// Settings of the grouping stage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroupingSettings {
    /// Which squares touch.
    pub connectivity: Connectivity,
    /// Fill enclosed holes that hold no residents.
    pub fill_empty_holes: bool,
    /// Failing areas with at least this many inhabitants are reported as near misses.
    pub near_miss_floor: f64,
    /// How passing areas are cut into neighbourhood-sized quartiers; `None` keeps each
    /// continuous area whole.
    pub split: Option<SplitSettings>,
    /// A square that is not flagged joins the low-income squares when at least this
    /// many of its 8 neighbours are flagged ([`crate::closing`]); `None`: never.
    pub close: Option<u8>,
}

impl Default for GroupingSettings {
    fn default() -> Self {
        GroupingSettings {
            connectivity: Connectivity::Eight,
            fill_empty_holes: true,
            near_miss_floor: 500.0,
            split: Some(SplitSettings::default()),
            close: Some(DEFAULT_CLOSE),
        }
    }
}

/// Flagged neighbours (of 8) that take a square into a low-income area by default:
/// half of them, a square at least half surrounded (`benches/RESULTS.md`, "Quartier scale").
pub const DEFAULT_CLOSE: u8 = 4;

/// Why an area is not a quartier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shortfall {
    /// Fewer inhabitants than the floor.
    Population {
        /// The floor.
        minimum: f64,
    },
    /// The pooled median is not below the threshold.
    Median,
    /// No income estimate for any of its squares.
    NoEstimate,
    /// Overseas: fewer than the minimum inhabitants per km².
    Density {
        /// The floor.
        minimum: f64,
    },
}

/// A continuous area of flagged squares, tested against the rule.
#[derive(Debug, Clone)]
pub struct Area {
    /// Territory unit index (see [`Placement::units`]).
    pub unit: u32,
    /// Member squares (grid indices, increasing).
    pub squares: Vec<u32>,
    /// Uninhabited cells added by hole filling.
    pub filled: Vec<Cell>,
    /// Individuals.
    pub individuals: f64,
    /// Households.
    pub households: f64,
    /// Poor households.
    pub poor_households: f64,
    /// Sum of niveaux de vie.
    pub income_sum: f64,
    /// Individuals in imputed squares.
    pub imputed_individuals: f64,
    /// Estimated pooled median niveau de vie, €.
    pub median: Option<f64>,
    /// Legal threshold of its unit, €.
    pub legal_threshold: f64,
    /// Applied (calibrated) threshold, €.
    pub threshold: f64,
    /// Area in m² (member and filled squares).
    pub area_m2: f64,
    /// What keeps it from being a quartier; empty for a candidate.
    pub shortfalls: Vec<Shortfall>,
}

impl Area {
    /// Inhabitants per km².
    pub fn density(&self) -> f64 {
        self.individuals / (self.area_m2 / 1e6)
    }

    /// Whether the area passes the rule.
    pub fn passes(&self) -> bool {
        self.shortfalls.is_empty()
    }
}

/// A candidate quartier: an area that passes, with its outline.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The area and its figures.
    pub area: Area,
    /// Outline in the grid's CRS (metres): polygons with holes.
    pub geometry: MultiPolygon<f64>,
}

/// The result of stage 3.
#[derive(Debug, Clone, Default)]
pub struct Candidates {
    /// Areas that pass, outlined.
    pub candidates: Vec<Candidate>,
    /// Failing areas at or above the near-miss floor.
    pub near_misses: Vec<Area>,
    /// Failing areas below the near-miss floor.
    pub small: Vec<Area>,
    /// How many there are.
    pub small_areas: usize,
    /// Their individuals.
    pub small_area_individuals: f64,
}

/// Groups the flagged squares, tests each area and outlines the candidates.
///
/// Areas are ordered by unit code, then inhabitants (most first), then position.
pub fn group_candidates(
    grid: &Grid,
    placement: &Placement,
    flagged: &FlaggedSquares,
    rule: &Rule,
    settings: &GroupingSettings,
    index: &SquareIndex,
) -> Candidates {
    let members = low_income_squares(grid, placement, flagged, settings);
    let cells: Vec<Cell> = members.iter().map(|&i| grid.cells()[i as usize]).collect();
    let unit_of = |k: usize| placement.unit_of_square[members[k] as usize];
    let components = connected_components(&cells, unit_of, settings.connectivity);
    let size = grid.frame().map_or(200.0, |f| f.square_size as f64);
    let outline = |squares: Vec<u32>| {
        let filled = if settings.fill_empty_holes {
            let cs: Vec<Cell> = squares.iter().map(|&i| grid.cells()[i as usize]).collect();
            fill_empty_holes(&cs, settings.connectivity, |c| index.contains(c))
        } else {
            Vec::new()
        };
        measure(grid, placement, flagged, rule, squares, filled, size)
    };
    let mut areas: Vec<Area> = components
        .par_iter()
        .flat_map_iter(|component| {
            let squares: Vec<u32> = component.iter().map(|&k| members[k as usize]).collect();
            let area = outline(squares);
            match settings.split {
                Some(split) if area.passes() && area.individuals >= 2.0 * rule.min_population => {
                    let cut =
                        split_area(grid, placement, flagged, rule, &area.squares, settings, &split, size);
                    let parts: Vec<Area> =
                        if cut.len() > 1 { cut.into_iter().map(outline).collect() } else { Vec::new() };
                    // A branch that stayed with its neighbour can tip that part over the
                    // threshold (squares taken in by closing may be richer): then the
                    // area stays whole rather than losing residents.
                    if !parts.is_empty() && parts.iter().all(Area::passes) { parts } else { vec![area] }
                }
                _ => vec![area],
            }
        })
        .collect();
    areas.sort_by(|a, b| {
        let code = |x: &Area| &placement.units[x.unit as usize].code;
        code(a)
            .cmp(code(b))
            .then(b.individuals.total_cmp(&a.individuals))
            .then(grid.cells()[a.squares[0] as usize].cmp(&grid.cells()[b.squares[0] as usize]))
    });
    let (passing, failing): (Vec<Area>, Vec<Area>) = areas.into_iter().partition(Area::passes);
    let candidates = passing
        .into_par_iter()
        .map(|area| {
            let mut cs: Vec<Cell> = area.squares.iter().map(|&i| grid.cells()[i as usize]).collect();
            cs.extend_from_slice(&area.filled);
            Candidate { geometry: trace_outline(&cs, size), area }
        })
        .collect();
    let (near_misses, small): (Vec<Area>, Vec<Area>) =
        failing.into_iter().partition(|a| a.individuals >= settings.near_miss_floor);
    Candidates {
        candidates,
        near_misses,
        small_areas: small.len(),
        small_area_individuals: small.iter().map(|a| a.individuals).sum(),
        small,
    }
}

/// The flagged squares and, with closing, the squares they surround; increasing.
fn low_income_squares(
    grid: &Grid,
    placement: &Placement,
    flagged: &FlaggedSquares,
    settings: &GroupingSettings,
) -> Vec<u32> {
    let Some(k) = settings.close else { return flagged.flagged.clone() };
    let eligible = |i: usize| {
        let u = placement.unit_of_square[i];
        u != crate::NO_UNIT && flagged.units[u as usize].eligible && flagged.fits[i].is_some()
    };
    let closed = closed_squares(grid.cells(), &flagged.flagged, &placement.unit_of_square, eligible, k);
    let mut all = flagged.flagged.clone();
    all.extend(closed);
    all.sort_unstable();
    all
}

/// Cuts a passing area into parts that each pass alone ([`crate::split`]); the parts'
/// squares, each increasing.
#[allow(clippy::too_many_arguments)]
fn split_area(
    grid: &Grid,
    placement: &Placement,
    flagged: &FlaggedSquares,
    rule: &Rule,
    squares: &[u32],
    settings: &GroupingSettings,
    split: &SplitSettings,
    size: f64,
) -> Vec<Vec<u32>> {
    let cells: Vec<Cell> = squares.iter().map(|&i| grid.cells()[i as usize]).collect();
    let residents: Vec<f64> = squares.iter().map(|&i| grid.values()[i as usize].individuals).collect();
    let communes: Vec<u32> = squares.iter().map(|&i| placement.commune_of_square[i as usize]).collect();
    let of = |part: &[usize]| -> Vec<u32> { part.iter().map(|&k| squares[k]).collect() };
    // Judged on its own squares, holes left open: the same rule as a whole area.
    // (Any set of flagged squares has a pooled median below the threshold, each of its
    // distributions having more than half its mass below it; with the few squares
    // closing takes in, a branch in practice fails on the population floor, or on the
    // density floor overseas.)
    let passes =
        |part: &[usize]| measure(grid, placement, flagged, rule, of(part), Vec::new(), size).passes();
    split_zone(&cells, &residents, &communes, settings.connectivity, split, passes)
        .iter()
        .map(|p| of(p))
        .collect()
}

fn measure(
    grid: &Grid,
    placement: &Placement,
    flagged: &FlaggedSquares,
    rule: &Rule,
    squares: Vec<u32>,
    filled: Vec<Cell>,
    size: f64,
) -> Area {
    let unit = placement.unit_of_square[squares[0] as usize];
    let threshold = &flagged.units[unit as usize];
    let (mut ind, mut men, mut pauv, mut snv, mut imputed) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &i in &squares {
        let v = grid.values()[i as usize];
        ind += v.individuals;
        men += v.households;
        pauv += v.poor_households;
        snv += v.income_sum;
        if v.imputed {
            imputed += v.individuals;
        }
    }
    let median = pooled_median(grid, &flagged.fits, Some(&squares));
    let applied = threshold.applied.unwrap_or(f64::NAN);
    let area_m2 = (squares.len() + filled.len()) as f64 * size * size;
    let mut shortfalls = Vec::new();
    if ind < rule.min_population {
        shortfalls.push(Shortfall::Population { minimum: rule.min_population });
    }
    match median {
        None => shortfalls.push(Shortfall::NoEstimate),
        // Strictly below (décret 2014-767 art. 1); a NaN threshold fails too.
        Some(m) if m.partial_cmp(&applied) != Some(std::cmp::Ordering::Less) => {
            shortfalls.push(Shortfall::Median)
        }
        Some(_) => {}
    }
    if rule.min_density > 0.0 && ind / (area_m2 / 1e6) < rule.min_density {
        shortfalls.push(Shortfall::Density { minimum: rule.min_density });
    }
    Area {
        unit,
        squares,
        filled,
        individuals: ind,
        households: men,
        poor_households: pauv,
        income_sum: snv,
        imputed_individuals: imputed,
        median,
        legal_threshold: threshold.legal.unwrap_or(f64::NAN),
        threshold: applied,
        area_m2,
        shortfalls,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{grid_of, table_one_unit};
    use crate::{IncomeModel, MedianOverrides, Territory, flag_squares};
    use geo::Area as _;

    fn run(squares: &[(i32, i32, f64, f64, f64)], settings: GroupingSettings) -> Candidates {
        let grid = grid_of(squares);
        let p = Placement::new(&grid, &table_one_unit(), Territory::Metropolitan);
        let rule = Rule::metropolitan();
        let overrides = MedianOverrides { poverty_line: Some(12_000.0), national_median: Some(20_000.0) };
        let f = flag_squares(&grid, &p, &rule, &IncomeModel::default(), None, overrides).unwrap();
        let index = grid.index().unwrap();
        group_candidates(&grid, &p, &f, &rule, &settings, &index)
    }

    const POOR: f64 = 11_000.0;
    const RICH: f64 = 30_000.0;

    /// A 3×3 block of poor squares of `ind` inhabitants, minus `gaps`.
    fn poor_block(ind: f64, gaps: &[(i32, i32)]) -> Vec<(i32, i32, f64, f64, f64)> {
        (0..3)
            .flat_map(|x| (0..3).map(move |y| (x, y)))
            .filter(|xy| !gaps.contains(xy))
            .map(|(x, y)| (x, y, ind, POOR, 0.55))
            .collect()
    }

    #[test]
    fn empty_grid_has_no_candidate() {
        let grid = grid_of(&[]);
        let c = group_candidates(
            &grid,
            &Placement::new(&grid, &table_one_unit(), Territory::Metropolitan),
            &FlaggedSquares {
                poverty_line: 1.0,
                poverty_line_origin: crate::MedianOrigin::User,
                national_median: 1.0,
                national_origin: crate::MedianOrigin::User,
                fits: vec![],
                units: vec![],
                clamped_fits: 0,
                unestimated: 0,
                flagged: vec![],
                warnings: vec![],
            },
            &Rule::metropolitan(),
            &GroupingSettings::default(),
            &crate::grid::SquareIndex::default(),
        );
        assert!(c.candidates.is_empty() && c.near_misses.is_empty());
    }

    #[test]
    fn one_square_of_1200_is_a_candidate() {
        let c = run(&[(0, 0, 1_200.0, POOR, 0.55)], GroupingSettings::default());
        assert_eq!(c.candidates.len(), 1);
        let a = &c.candidates[0].area;
        assert_eq!(a.individuals, 1_200.0);
        assert!(a.median.unwrap() < a.threshold);
        assert_eq!(c.candidates[0].geometry.unsigned_area(), 40_000.0);
    }

    #[test]
    fn small_area_is_a_near_miss_with_its_reason() {
        let c = run(&[(0, 0, 600.0, POOR, 0.55), (5, 5, 100.0, POOR, 0.55)], GroupingSettings::default());
        assert!(c.candidates.is_empty());
        assert_eq!(c.near_misses.len(), 1);
        assert_eq!(c.near_misses[0].shortfalls, vec![Shortfall::Population { minimum: 1_000.0 }]);
        assert_eq!(c.small_areas, 1);
        assert_eq!(c.small_area_individuals, 100.0);
    }

    #[test]
    fn empty_hole_is_filled_and_counted_in_area() {
        let c = run(&poor_block(150.0, &[(1, 1)]), GroupingSettings::default());
        let cand = &c.candidates[0];
        assert_eq!(cand.area.filled, vec![Cell::new(1, 1)]);
        assert_eq!(cand.area.area_m2, 9.0 * 40_000.0);
        assert_eq!(cand.geometry.unsigned_area(), 9.0 * 40_000.0);
        assert!(cand.geometry.0[0].interiors().is_empty());
    }

    #[test]
    fn inhabited_hole_stays_a_hole() {
        let mut squares = poor_block(150.0, &[(1, 1)]);
        squares.push((1, 1, 50.0, RICH, 0.02));
        // Without closing: hole filling leaves an inhabited square out.
        let c = run(&squares, GroupingSettings { close: None, ..GroupingSettings::default() });
        let cand = &c.candidates[0];
        assert!(cand.area.filled.is_empty());
        assert_eq!(cand.geometry.0[0].interiors().len(), 1);
        assert_eq!(cand.area.individuals, 1_200.0);
        // By default the closing takes it in (its 8 neighbours are flagged), with its
        // residents: a square of the area, not a filled one.
        let c = run(&squares, GroupingSettings::default());
        let cand = &c.candidates[0];
        assert!(cand.area.filled.is_empty());
        assert_eq!(cand.area.squares.len(), 9);
        assert!(cand.geometry.0[0].interiors().is_empty());
        assert_eq!(cand.area.individuals, 1_250.0);
    }

    #[test]
    fn hole_filling_can_be_turned_off() {
        let settings = GroupingSettings { fill_empty_holes: false, ..GroupingSettings::default() };
        let c = run(&poor_block(150.0, &[(1, 1)]), settings);
        assert_eq!(c.candidates[0].geometry.0[0].interiors().len(), 1);
    }

    #[test]
    fn corner_contact_joins_only_with_eight_neighbours() {
        let squares = [(0, 0, 600.0, POOR, 0.55), (1, 1, 600.0, POOR, 0.55)];
        let eight = run(&squares, GroupingSettings::default());
        assert_eq!(eight.candidates.len(), 1);
        assert_eq!(eight.candidates[0].geometry.0.len(), 2);
        let four = run(&squares, GroupingSettings { connectivity: Connectivity::Four, ..Default::default() });
        assert!(four.candidates.is_empty());
        assert_eq!(four.near_misses.len(), 2);
    }
}

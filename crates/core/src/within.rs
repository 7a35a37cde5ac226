//! Restricting a comparison to one territory (`qpv compare --within`, issue 13).
//!
//! A national run set beside one région's official perimeters reports every perimeter
//! outside the région as "reference only", and their millions of inhabitants as lost:
//! the hundred perimeters that matter are buried. An [`Extent`] keeps the comparison to
//! the territory a set describes, and [`restrict`] says which perimeters lie in it and
//! what is left out. Two extents:
//!
//! - **the communes of a set** ([`Extent::Communes`]): the grid's squares any of whose
//!   communes (`lcog_geo`: a square on a boundary lists several) is a commune the set
//!   touches. A perimeter touches the commune of every square lying in one commune alone
//!   that it overlaps by area share ([`Population::square_shares`], so a sliver under
//!   [`crate::overlay::SLIVER`] of a square, coordinate rounding, touches nothing); see
//!   [`communes_touched`] for why boundary squares do not make it touch their other
//!   communes. Communes rather than the perimeters themselves, so that a perimeter
//!   redrawn a few streets away is still compared;
//! - **polygons** ([`Extent::Polygons`]): a région's outline, a département's communes,
//!   any drawn area.
//!
//! A perimeter is kept when at least [`MIN_SHARE`] (half) of it lies in the extent, so
//! that a perimeter straddling the edge belongs to the side holding most of it, and one
//! cut exactly in two is compared rather than hidden. "Of it" is measured on what the
//! extent can judge: for polygons, the perimeter's area; for communes, its area on the
//! grid's squares, since the grid lists only inhabited squares and the commune of an
//! empty square (a park, a rail yard) is unknown — counting those as outside would drop a
//! perimeter drawn around a park. A perimeter on no square of the grid is outside the
//! communes' extent (it is outside the territory the grid describes).

use crate::CommuneCode;
use crate::compare::{Envelope, Perimeters, Piece, Population, envelope, oriented};
use geo::{Area, BooleanOps};
use geo_types::{MultiPolygon, Polygon};
use rayon::prelude::*;
use rstar::RTree;
use rustc_hash::{FxHashMap, FxHashSet};

/// A perimeter is kept when at least this share of it lies in the extent.
pub const MIN_SHARE: f64 = 0.5;

/// Shares this close below [`MIN_SHARE`] count as reaching it: a perimeter cut exactly in
/// two by a boundary gets 0.4999999… from floating-point areas.
const TOLERANCE: f64 = 1e-9;

/// The territory a comparison is restricted to.
pub enum Extent<'a> {
    /// The grid squares any of whose communes is one of these (see [`communes_touched`]).
    Communes {
        /// The grid's squares.
        population: &'a Population<'a>,
        /// The communes.
        communes: &'a FxHashSet<CommuneCode>,
    },
    /// The polygons of these perimeters (their union: overlapping ones count once).
    Polygons(&'a Perimeters),
}

/// Which perimeters of a set lie in an extent, and what is left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Restriction {
    /// Share of each perimeter inside the extent, in [0, 1]; `None` when it cannot be
    /// measured (a perimeter on no square of the grid, or without area).
    pub shares: Vec<Option<f64>>,
    /// Whether each perimeter is kept: its share is at least [`MIN_SHARE`].
    pub kept: Vec<bool>,
    /// The perimeters left out, together: the sum of their areas and, with a grid, their
    /// residents (a square under two of them counted once).
    pub left_out: Piece,
}

impl Restriction {
    /// Number of perimeters kept.
    pub fn kept_count(&self) -> usize {
        self.kept.iter().filter(|k| **k).count()
    }

    /// Number of perimeters left out.
    pub fn left_out_count(&self) -> usize {
        self.kept.len() - self.kept_count()
    }

    /// Number of perimeters whose share could not be measured (left out): on no square of
    /// the grid for communes, so a grid extract counts none of their inhabitants.
    pub fn unmeasured_count(&self) -> usize {
        self.shares.iter().filter(|s| s.is_none()).count()
    }
}

/// The communes the perimeters of `set` touch: a perimeter touches the commune of every
/// grid square it overlaps (by a share above [`crate::overlay::SLIVER`]) that lies in one
/// commune alone. A square on a boundary lists its communes together, so it would make a
/// perimeter along a boundary touch the commune across it, and the extent would reach
/// into the neighbouring communes (measured: the CAPH sample's candidates touched
/// Bruay-sur-l'Escaut and Saint-Saulve, of Valenciennes Métropole, through such squares,
/// bringing two candidates that lie wholly outside the CAPH). Boundary squares still
/// belong to the extent when one of their communes is touched. A perimeter overlapping
/// only boundary squares touches all their communes.
pub fn communes_touched(set: &Perimeters, population: &Population) -> FxHashSet<CommuneCode> {
    let grid = population.grid();
    let per_perimeter: Vec<Vec<CommuneCode>> = set
        .shapes
        .par_iter()
        .map(|shape| {
            let squares = population.square_shares(shape);
            let communes = |i: u32| grid.communes(i as usize);
            let alone: Vec<CommuneCode> = squares
                .iter()
                .filter(|(i, _)| communes(*i).len() == 1)
                .map(|(i, _)| communes(*i)[0])
                .collect();
            if alone.is_empty() {
                squares.iter().flat_map(|(i, _)| communes(*i).iter().copied()).collect()
            } else {
                alone
            }
        })
        .collect();
    per_perimeter.into_iter().flatten().collect()
}

/// Which perimeters of `set` lie in `extent`; `population` (a grid) adds the residents of
/// those left out.
///
/// ```
/// use geo_types::{MultiPolygon, Rect, coord};
/// use qpv_core::compare::Perimeters;
/// use qpv_core::within::{Extent, restrict};
/// let square = |x: f64| MultiPolygon(vec![Rect::new(coord! { x: x, y: 0.0 }, coord! { x: x + 400.0, y: 400.0 }).to_polygon()]);
/// let set = Perimeters { ids: vec!["in".into(), "out".into()], names: vec![String::new(); 2], shapes: vec![square(0.0), square(1000.0)] };
/// let region = Perimeters { ids: vec!["r".into()], names: vec![String::new()], shapes: vec![square(100.0)] };
/// let r = restrict(&set, &Extent::Polygons(&region), None);
/// assert_eq!(r.shares, vec![Some(0.75), Some(0.0)]);
/// assert_eq!(r.kept, vec![true, false]);
/// assert_eq!(r.left_out.area_m2, 160_000.0);
/// ```
pub fn restrict(set: &Perimeters, extent: &Extent, population: Option<&Population>) -> Restriction {
    let set = &oriented(set);
    let shares = match extent {
        Extent::Communes { population, communes } => shares_in_communes(set, population, communes),
        Extent::Polygons(polygons) => shares_in_polygons(set, polygons),
    };
    let kept: Vec<bool> = shares.iter().map(|s| s.is_some_and(|s| s >= MIN_SHARE - TOLERANCE)).collect();
    let out: Vec<usize> = (0..set.len()).filter(|&k| !kept[k]).collect();
    // A fold from +0.0: an empty `sum` of floats is -0.0, which the manifest would print.
    let area_m2 = out.iter().fold(0.0, |a, &k| a + set.shapes[k].unsigned_area());
    let residents = population.map(|p| {
        let mut squares: FxHashMap<u32, f64> = FxHashMap::default();
        for &k in &out {
            for (i, s) in p.square_shares(&set.shapes[k]) {
                let total = squares.entry(i).or_default();
                *total = (*total + s).min(1.0);
            }
        }
        let mut squares: Vec<(u32, f64)> = squares.into_iter().collect();
        squares.sort_by_key(|(i, _)| *i);
        p.residents_of(&squares)
    });
    Restriction { shares, kept, left_out: Piece { area_m2, residents } }
}

/// Share of each perimeter's area on the grid's squares that lies on squares of `communes`.
fn shares_in_communes(
    set: &Perimeters,
    population: &Population,
    communes: &FxHashSet<CommuneCode>,
) -> Vec<Option<f64>> {
    let grid = population.grid();
    set.shapes
        .par_iter()
        .map(|shape| {
            let (mut inside, mut all) = (0.0, 0.0);
            for (i, share) in population.square_shares(shape) {
                all += share;
                if grid.communes(i as usize).iter().any(|c| communes.contains(c)) {
                    inside += share;
                }
            }
            (all > 0.0).then(|| (inside / all).min(1.0))
        })
        .collect()
}

/// Share of each perimeter's area inside the union of `polygons`. Each perimeter is cut
/// against the union of only the polygons whose boxes meet its own (an `rstar` index of
/// every polygon): a région's outline holds tens of thousands of vertices, a perimeter's
/// neighbourhood a few hundred.
fn shares_in_polygons(set: &Perimeters, polygons: &Perimeters) -> Vec<Option<f64>> {
    let polygons = oriented(polygons);
    let parts: Vec<&Polygon<f64>> = polygons.shapes.iter().flat_map(|s| &s.0).collect();
    let tree = RTree::bulk_load(
        parts
            .iter()
            .enumerate()
            .filter_map(|(index, p)| envelope(*p).map(|envelope| Envelope { index, envelope }))
            .collect(),
    );
    set.shapes
        .par_iter()
        .map(|shape| {
            let area = shape.unsigned_area();
            let envelope = envelope(shape)?;
            if area <= 0.0 {
                return None;
            }
            let near: Vec<&Polygon<f64>> =
                tree.locate_in_envelope_intersecting(&envelope).map(|p| parts[p.index]).collect();
            let inside = match near.as_slice() {
                [] => 0.0,
                [one] => shape.intersection(&MultiPolygon(vec![(*one).clone()])).unsigned_area(),
                _ => shape.intersection(&geo::unary_union(near.iter().copied())).unsigned_area(),
            };
            Some((inside / area).clamp(0.0, 1.0))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Cell, Grid, GridBuilder, GridFrame, IncomeModel, SquareValues, medians::fit_squares};

    use crate::testutil::{rect, set};

    fn code(text: &str) -> CommuneCode {
        CommuneCode::parse(text.as_bytes()).unwrap()
    }

    /// A row of 10 squares of 100 inhabitants (x = 0..10, y = 0): Denain (59172) holds
    /// x < 5, Lourches (59358) x > 5, and the square x = 5 lists both.
    fn grid() -> Grid {
        let frame = GridFrame { epsg: 3035, square_size: 200 };
        let mut b = GridBuilder::new();
        for x in 0..10 {
            let v = SquareValues {
                individuals: 100.0,
                households: 40.0,
                poor_households: 10.0,
                income_sum: 100.0 * 18_000.0,
                imputed: false,
            };
            let communes = match x {
                0..5 => vec![code("59172")],
                5 => vec![code("59172"), code("59358")],
                _ => vec![code("59358")],
            };
            b.push(frame, Cell::new(x, 0), v, &communes, x as u64 + 2).unwrap();
        }
        b.finish()
    }

    fn with_population<R>(f: impl FnOnce(&Population) -> R) -> R {
        let g = grid();
        let fits = fit_squares(&g, &IncomeModel::default(), 12_000.0);
        f(&Population::new(&g, None, &fits))
    }

    fn people(r: &Restriction) -> f64 {
        r.left_out.residents.as_ref().unwrap().totals.individuals
    }

    #[test]
    fn communes_touched_by_a_set_and_not_by_a_sliver() {
        with_population(|pop| {
            // Squares 0 and 1 of Denain, and 1 m (0.5 %) of square 2: Denain only.
            let touched = communes_touched(&set(vec![rect(0.0, 0.0, 401.0, 200.0)]), pop);
            assert_eq!(touched, [code("59172")].into_iter().collect());
            // Along the boundary: squares 4 (Denain) and 5 (both communes) touch Denain
            // alone, not Lourches across the boundary.
            let touched = communes_touched(&set(vec![rect(800.0, 0.0, 1200.0, 200.0)]), pop);
            assert_eq!(touched, [code("59172")].into_iter().collect());
            // A perimeter on the shared square 5 only touches both communes.
            let touched = communes_touched(&set(vec![rect(1000.0, 0.0, 1200.0, 200.0)]), pop);
            assert_eq!(touched.len(), 2);
            // Two perimeters, one on each side: both communes.
            let touched = communes_touched(
                &set(vec![rect(0.0, 0.0, 200.0, 200.0), rect(1800.0, 0.0, 2000.0, 200.0)]),
                pop,
            );
            assert_eq!(touched.len(), 2);
            // 1 cm² of square 7 is coordinate rounding, not a touch.
            let touched = communes_touched(&set(vec![rect(1400.0, 0.0, 1400.0001, 200.0)]), pop);
            assert!(touched.is_empty(), "{touched:?}");
            assert!(communes_touched(&Perimeters::default(), pop).is_empty());
        });
    }

    #[test]
    fn wholly_in_wholly_out_half_in_and_off_the_grid() {
        with_population(|pop| {
            let denain: FxHashSet<CommuneCode> = [code("59172")].into_iter().collect();
            let extent = Extent::Communes { population: pop, communes: &denain };
            let perimeters = set(vec![
                rect(0.0, 0.0, 400.0, 200.0),         // squares 0-1: wholly in
                rect(1200.0, 0.0, 1600.0, 200.0),     // squares 6-7: wholly out
                rect(1000.0, 0.0, 1400.0, 200.0),     // squares 5 (both communes, in) and 6: half in
                rect(800.0, 0.0, 1400.0, 200.0),      // 4, 5 in, 6 out: kept
                rect(1100.0, 0.0, 1400.0, 200.0),     // half of 5 in, 6 out: a third in
                rect(5000.0, 5000.0, 5400.0, 5200.0), // on no square of the grid
            ]);
            let r = restrict(&perimeters, &extent, Some(pop));
            assert_eq!(
                r.shares,
                vec![Some(1.0), Some(0.0), Some(0.5), Some(2.0 / 3.0), Some(1.0 / 3.0), None]
            );
            assert_eq!(r.kept, vec![true, false, true, true, false, false]);
            assert_eq!((r.kept_count(), r.left_out_count(), r.unmeasured_count()), (3, 3, 1));
            assert_eq!(r.left_out.area_m2, 80_000.0 + 60_000.0 + 80_000.0);
            // Squares 6 and 7, and half of 5; square 6 is under two left-out perimeters, counted once.
            assert_eq!(people(&r), 250.0);
        });
    }

    #[test]
    fn empty_squares_are_neither_in_nor_out() {
        with_population(|pop| {
            let denain: FxHashSet<CommuneCode> = [code("59172")].into_iter().collect();
            let extent = Extent::Communes { population: pop, communes: &denain };
            // Square 0 of Denain and three empty squares above it (y = 1, not in the grid).
            let r = restrict(&set(vec![rect(0.0, 0.0, 200.0, 800.0)]), &extent, Some(pop));
            assert_eq!((r.shares[0], r.kept[0]), (Some(1.0), true));
            assert!(r.left_out.area_m2.is_sign_positive(), "0, not -0, when nothing is left out");
        });
    }

    #[test]
    fn polygons_wholly_in_wholly_out_and_half_in() {
        let region = set(vec![rect(0.0, 0.0, 1000.0, 1000.0)]);
        let perimeters = set(vec![
            rect(100.0, 100.0, 500.0, 500.0),
            rect(2000.0, 0.0, 2400.0, 400.0),
            rect(800.0, 0.0, 1200.0, 400.0),
            rect(700.0, 0.0, 1300.0, 300.0),
            rect(900.0, 0.0, 1300.0, 400.0),
        ]);
        let r = restrict(&perimeters, &Extent::Polygons(&region), None);
        assert_eq!(r.shares, vec![Some(1.0), Some(0.0), Some(0.5), Some(0.5), Some(0.25)]);
        assert_eq!(r.kept, vec![true, false, true, true, false]);
        assert_eq!(r.left_out.area_m2, 160_000.0 + 160_000.0);
        assert!(r.left_out.residents.is_none());
    }

    #[test]
    fn adjacent_and_overlapping_polygons_count_once() {
        // Two communes side by side, and a third drawn over both: a perimeter across
        // their boundary is wholly inside, not twice.
        let region = set(vec![
            rect(0.0, 0.0, 500.0, 1000.0),
            rect(500.0, 0.0, 1000.0, 1000.0),
            rect(300.0, 0.0, 700.0, 1000.0),
        ]);
        let r = restrict(&set(vec![rect(400.0, 0.0, 600.0, 200.0)]), &Extent::Polygons(&region), None);
        assert!((r.shares[0].unwrap() - 1.0).abs() < 1e-12, "{:?}", r.shares);
        // A polygon with a hole: a perimeter inside the hole is outside.
        let mut holed = rect(0.0, 0.0, 1000.0, 1000.0);
        holed.0[0].interiors_push(rect(200.0, 200.0, 800.0, 800.0).0[0].exterior().clone());
        let r = restrict(
            &set(vec![rect(300.0, 300.0, 500.0, 500.0)]),
            &Extent::Polygons(&set(vec![holed])),
            None,
        );
        assert_eq!((r.shares[0], r.kept[0]), (Some(0.0), false));
    }

    #[test]
    fn empty_sets_and_extents() {
        let r = restrict(&Perimeters::default(), &Extent::Polygons(&Perimeters::default()), None);
        assert!(r.shares.is_empty() && r.kept.is_empty());
        assert_eq!(r.left_out.area_m2, 0.0);
        let r =
            restrict(&set(vec![rect(0.0, 0.0, 10.0, 10.0)]), &Extent::Polygons(&Perimeters::default()), None);
        assert_eq!((r.shares[0], r.kept[0]), (Some(0.0), false));
        with_population(|pop| {
            let none = FxHashSet::default();
            let r = restrict(
                &set(vec![rect(0.0, 0.0, 400.0, 200.0)]),
                &Extent::Communes { population: pop, communes: &none },
                Some(pop),
            );
            assert_eq!((r.shares[0], r.kept[0], people(&r)), (Some(0.0), false, 200.0));
        });
    }
}

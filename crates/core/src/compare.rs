//! Stage 5: negotiated perimeters against statistical ones (issue 5).
//!
//! Two sets of perimeters, A (the reference, e.g. our candidates) and B (the other,
//! e.g. the published QPV), both in the grid's CRS. Perimeters of A and B whose
//! envelopes meet (an `rstar` index of B) are intersected with `geo`'s boolean
//! operations; a pair overlapping by at least [`MIN_OVERLAP_M2`] is a match. For each
//! match and each perimeter without one, five pieces are measured: A, B, A∩B, A\B and
//! B\A, each with its area and, given a grid, its residents estimated by the area
//! share of every square inside it ([`crate::overlay`]).

use crate::income::LogNormal;
use crate::overlay::cell_shares;
use crate::profile::{SquareProfiles, Totals};
use crate::{CommuneCode, Grid, mixture_median};
use geo::{Area, BooleanOps, BoundingRect};
use geo_types::MultiPolygon;
use rayon::prelude::*;
use rstar::{AABB, RTree, RTreeObject};
use rustc_hash::FxHashMap;

/// Overlaps smaller than this (1 m²) are digitisation slivers between neighbours
/// drawn on slightly different bases, not a match.
pub const MIN_OVERLAP_M2: f64 = 1.0;

/// A set of perimeters in the grid's CRS (metres).
#[derive(Debug, Clone, Default)]
pub struct Perimeters {
    /// Identifier of each perimeter (a code, or the feature number).
    pub ids: Vec<String>,
    /// Name of each perimeter (may be empty).
    pub names: Vec<String>,
    /// Valid polygons of each perimeter.
    pub shapes: Vec<MultiPolygon<f64>>,
}

impl Perimeters {
    /// Number of perimeters.
    pub fn len(&self) -> usize {
        self.shapes.len()
    }

    /// True without perimeters.
    pub fn is_empty(&self) -> bool {
        self.shapes.is_empty()
    }

    /// The perimeters whose `keep` is true, in their order.
    pub fn subset(&self, keep: &[bool]) -> Perimeters {
        fn pick<T: Clone>(v: &[T], keep: &[bool]) -> Vec<T> {
            v.iter().zip(keep).filter(|(_, k)| **k).map(|(x, _)| x.clone()).collect()
        }
        Perimeters {
            ids: pick(&self.ids, keep),
            names: pick(&self.names, keep),
            shapes: pick(&self.shapes, keep),
        }
    }
}

/// The squares of a grid, ready to be cut by perimeters.
pub struct Population<'a> {
    grid: &'a Grid,
    profiles: Option<&'a SquareProfiles>,
    fits: &'a [Option<LogNormal>],
    by_cell: FxHashMap<u64, u32>,
    size: f64,
}

/// Residents of a piece, estimated from the squares it covers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Residents {
    /// Sums (individuals, households, poor households…), by area share.
    pub totals: Totals,
    /// Estimated pooled median niveau de vie, €.
    pub median: Option<f64>,
    /// Communes concerned, with their inhabitants in the piece, most first (a square
    /// touching several communes is split equally between them).
    pub communes: Vec<(CommuneCode, f64)>,
    /// Squares with residents the piece covers, in part or whole.
    pub squares: usize,
    /// Of which cut (share below 1).
    pub cut_squares: usize,
}

impl<'a> Population<'a> {
    /// Indexes the squares of `grid`; `fits` holds each square's income distribution.
    pub fn new(grid: &'a Grid, profiles: Option<&'a SquareProfiles>, fits: &'a [Option<LogNormal>]) -> Self {
        let by_cell = grid.cells().iter().enumerate().map(|(i, c)| (c.key(), i as u32)).collect();
        let size = grid.frame().map_or(200.0, |f| f.square_size as f64);
        Population { grid, profiles, fits, by_cell, size }
    }

    /// The grid.
    pub fn grid(&self) -> &'a Grid {
        self.grid
    }

    /// Squares with residents inside `region` and the share of each inside.
    pub fn square_shares(&self, region: &MultiPolygon<f64>) -> Vec<(u32, f64)> {
        cell_shares(region, self.size)
            .into_iter()
            .filter_map(|(c, s)| self.by_cell.get(&c.key()).map(|&i| (i, s)))
            .collect()
    }

    /// The residents of `region`.
    pub fn residents(&self, region: &MultiPolygon<f64>) -> Residents {
        self.residents_of(&self.square_shares(region))
    }

    /// The residents of squares taken in the given shares.
    pub fn residents_of(&self, shares: &[(u32, f64)]) -> Residents {
        let mut totals = Totals::default();
        let mut parts = Vec::with_capacity(shares.len());
        let mut communes: FxHashMap<CommuneCode, f64> = FxHashMap::default();
        for &(i, share) in shares {
            let i = i as usize;
            let v = &self.grid.values()[i];
            totals.add(v, self.profiles.map(|p| p.row(i)), share);
            if let Some(d) = self.fits[i] {
                parts.push((v.individuals * share, d));
            }
            let codes = self.grid.communes(i);
            for c in codes {
                *communes.entry(*c).or_default() += v.individuals * share / codes.len() as f64;
            }
        }
        let mut communes: Vec<(CommuneCode, f64)> = communes.into_iter().collect();
        communes.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        Residents {
            totals,
            median: mixture_median(&parts),
            communes,
            squares: shares.len(),
            cut_squares: shares.iter().filter(|(_, s)| *s < 1.0).count(),
        }
    }
}

/// One of the five pieces of a match.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Piece {
    /// Area, m².
    pub area_m2: f64,
    /// Its residents, when a grid was given.
    pub residents: Option<Residents>,
}

/// A pair of overlapping perimeters, or a perimeter of one set overlapping none of the other.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    /// Index in the reference set.
    pub reference: Option<usize>,
    /// Index in the other set.
    pub other: Option<usize>,
    /// A, B, A∩B, A\B, B\A.
    pub pieces: [Piece; 5],
}

impl Match {
    /// Intersection over union of the areas.
    pub fn iou(&self) -> f64 {
        let [a, b, both, ..] = &self.pieces;
        let union = a.area_m2 + b.area_m2 - both.area_m2;
        if union > 0.0 { both.area_m2 / union } else { 0.0 }
    }
}

/// Whether a piece of the map is in both sets, only in the other one or only in the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// In both.
    Kept,
    /// Only in the other set.
    Added,
    /// Only in the reference set.
    Removed,
}

impl Change {
    /// `kept`, `added` or `removed`.
    pub fn label(self) -> &'static str {
        match self {
            Change::Kept => "kept",
            Change::Added => "added",
            Change::Removed => "removed",
        }
    }
}

/// A piece of the difference map; pieces do not overlap when neither set overlaps itself.
#[derive(Debug, Clone)]
pub struct MapPiece {
    /// Kept, added or removed.
    pub change: Change,
    /// The reference perimeter it comes from.
    pub reference: Option<usize>,
    /// The other perimeter it comes from.
    pub other: Option<usize>,
    /// Its polygons.
    pub geometry: MultiPolygon<f64>,
    /// Area, m².
    pub area_m2: f64,
    /// Residents, when a grid was given.
    pub residents: Option<Residents>,
}

/// Inhabitants of one commune in A, in B and in both.
#[derive(Debug, Clone, PartialEq)]
pub struct CommuneSplit {
    /// The commune.
    pub code: CommuneCode,
    /// Inhabitants inside the reference perimeters.
    pub in_reference: f64,
    /// Inhabitants inside the other perimeters.
    pub in_other: f64,
    /// Inhabitants inside both.
    pub in_both: f64,
}

/// The result of a comparison.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    /// Every match, then every perimeter without one (reference first).
    pub matches: Vec<Match>,
    /// The difference map.
    pub map: Vec<MapPiece>,
    /// Per commune (with a grid), by code.
    pub by_commune: Vec<CommuneSplit>,
    /// Totals of the whole sets: A, B, A∩B, A\B, B\A.
    pub overall: [Piece; 5],
}

/// An item of an `rstar` index of shapes: the shape's place in its list, and its box
/// (also `within`'s index of the polygons of a territory).
pub(crate) struct Envelope {
    pub(crate) index: usize,
    pub(crate) envelope: AABB<[f64; 2]>,
}

impl RTreeObject for Envelope {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

/// The box of a polygon or multipolygon as `rstar` takes it (`None` when empty).
pub(crate) fn envelope<G>(shape: &G) -> Option<AABB<[f64; 2]>>
where
    G: BoundingRect<f64, Output = Option<geo_types::Rect<f64>>>,
{
    shape.bounding_rect().map(|r| AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]))
}

fn piece(geometry: &MultiPolygon<f64>, population: Option<&Population>) -> Piece {
    Piece { area_m2: geometry.unsigned_area(), residents: population.map(|p| p.residents(geometry)) }
}

/// Pairs `(a, b, a∩b)` overlapping by at least [`MIN_OVERLAP_M2`].
fn overlapping_pairs(a: &Perimeters, b: &Perimeters) -> Vec<(usize, usize, MultiPolygon<f64>)> {
    let tree = RTree::bulk_load(
        b.shapes
            .iter()
            .enumerate()
            .filter_map(|(index, s)| envelope(s).map(|envelope| Envelope { index, envelope }))
            .collect(),
    );
    let candidates: Vec<(usize, usize)> = a
        .shapes
        .iter()
        .enumerate()
        .filter_map(|(i, s)| envelope(s).map(|e| (i, e)))
        .flat_map(|(i, e)| {
            tree.locate_in_envelope_intersecting(&e).map(move |o| (i, o.index)).collect::<Vec<_>>()
        })
        .collect();
    let mut pairs: Vec<_> = candidates
        .into_par_iter()
        .filter_map(|(i, j)| {
            let both = a.shapes[i].intersection(&b.shapes[j]);
            (both.unsigned_area() >= MIN_OVERLAP_M2).then_some((i, j, both))
        })
        .collect();
    pairs.sort_by_key(|(i, j, _)| (*i, *j));
    pairs
}

/// Compares `reference` (A) with `other` (B); `population` adds residents to every piece.
///
/// ```
/// use geo_types::{MultiPolygon, Rect, coord};
/// use qpv_core::compare::{Perimeters, compare};
/// let square = |x: f64| MultiPolygon(vec![Rect::new(coord! { x: x, y: 0.0 }, coord! { x: x + 400.0, y: 400.0 }).to_polygon()]);
/// let a = Perimeters { ids: vec!["A1".into()], names: vec![String::new()], shapes: vec![square(0.0)] };
/// let b = Perimeters { ids: vec!["B1".into()], names: vec![String::new()], shapes: vec![square(200.0)] };
/// let c = compare(&a, &b, None);
/// assert_eq!(c.matches.len(), 1);
/// assert!((c.matches[0].iou() - 1.0 / 3.0).abs() < 1e-12);
/// ```
pub fn compare(reference: &Perimeters, other: &Perimeters, population: Option<&Population>) -> Comparison {
    // Unions count windings: holes must turn the other way from their exterior.
    let (reference, other) = (&oriented(reference), &oriented(other));
    let pairs = overlapping_pairs(reference, other);
    let (mut partners_a, mut partners_b) = (vec![Vec::new(); reference.len()], vec![Vec::new(); other.len()]);
    for (i, j, _) in &pairs {
        partners_a[*i].push(*j);
        partners_b[*j].push(*i);
    }
    let mut matches: Vec<Match> = pairs
        .par_iter()
        .map(|(i, j, both)| {
            let (a, b) = (&reference.shapes[*i], &other.shapes[*j]);
            Match {
                reference: Some(*i),
                other: Some(*j),
                pieces: [
                    piece(a, population),
                    piece(b, population),
                    piece(both, population),
                    piece(&a.difference(b), population),
                    piece(&b.difference(a), population),
                ],
            }
        })
        .collect();
    let alone = |set: &Perimeters, partners: &[Vec<usize>], is_reference: bool| -> Vec<Match> {
        (0..set.len())
            .into_par_iter()
            .filter(|k| partners[*k].is_empty())
            .map(|k| {
                let whole = piece(&set.shapes[k], population);
                let none = Piece { area_m2: 0.0, residents: population.map(|p| p.residents_of(&[])) };
                let pieces = if is_reference {
                    [whole.clone(), none.clone(), none.clone(), whole, none]
                } else {
                    [none.clone(), whole.clone(), none.clone(), none, whole]
                };
                let (r, o) = if is_reference { (Some(k), None) } else { (None, Some(k)) };
                Match { reference: r, other: o, pieces }
            })
            .collect()
    };
    matches.extend(alone(reference, &partners_a, true));
    matches.extend(alone(other, &partners_b, false));
    let map = difference_map(reference, other, &pairs, &partners_a, &partners_b, population);
    let (overall, by_commune) = overall(reference, other, population);
    Comparison { matches, map, by_commune, overall }
}

pub(crate) fn oriented(set: &Perimeters) -> Perimeters {
    use geo::orient::{Direction, Orient};
    let shapes = set.shapes.iter().map(|s| s.orient(Direction::Default)).collect();
    Perimeters { shapes, ..set.clone() }
}

fn union_of(set: &Perimeters, members: &[usize]) -> MultiPolygon<f64> {
    geo::unary_union(members.iter().map(|&k| &set.shapes[k]))
}

fn difference_map(
    reference: &Perimeters,
    other: &Perimeters,
    pairs: &[(usize, usize, MultiPolygon<f64>)],
    partners_a: &[Vec<usize>],
    partners_b: &[Vec<usize>],
    population: Option<&Population>,
) -> Vec<MapPiece> {
    let make = |change, reference, other, geometry: MultiPolygon<f64>| {
        let geometry = without_slivers(geometry);
        MapPiece {
            change,
            reference,
            other,
            area_m2: geometry.unsigned_area(),
            residents: population.map(|p| p.residents(&geometry)),
            geometry,
        }
    };
    let kept = pairs.par_iter().map(|(i, j, both)| make(Change::Kept, Some(*i), Some(*j), both.clone()));
    let removed = (0..reference.len()).into_par_iter().map(|i| {
        let rest = reference.shapes[i].difference(&union_of(other, &partners_a[i]));
        make(Change::Removed, Some(i), None, rest)
    });
    let added = (0..other.len()).into_par_iter().map(|j| {
        let rest = other.shapes[j].difference(&union_of(reference, &partners_b[j]));
        make(Change::Added, None, Some(j), rest)
    });
    let mut map: Vec<MapPiece> = kept.chain(removed).chain(added).collect();
    map.retain(|p| p.area_m2 >= MIN_OVERLAP_M2);
    map
}

/// Drops the polygons and holes under [`MIN_OVERLAP_M2`] that boolean operations leave
/// where two sets draw one boundary with vertices a few millimetres apart (coordinates
/// rounded in files): a map of them would hold rings too thin to be valid once written.
pub fn without_slivers(mp: MultiPolygon<f64>) -> MultiPolygon<f64> {
    use geo_types::{LineString, Polygon};
    let big = |r: &LineString<f64>| Polygon::new(r.clone(), vec![]).unsigned_area() >= MIN_OVERLAP_M2;
    MultiPolygon(
        mp.0.into_iter()
            .filter(|p| big(p.exterior()))
            .map(|p| {
                let (ext, holes) = p.into_inner();
                let holes = holes.into_iter().filter(|h| big(h)).collect();
                Polygon::new(ext, holes)
            })
            .collect(),
    )
}

/// The whole sets' pieces and, with a grid, the per-commune split.
fn overall(
    reference: &Perimeters,
    other: &Perimeters,
    population: Option<&Population>,
) -> ([Piece; 5], Vec<CommuneSplit>) {
    let all = |s: &Perimeters| (0..s.len()).collect::<Vec<_>>();
    let (ua, ub) = rayon::join(|| union_of(reference, &all(reference)), || union_of(other, &all(other)));
    let both = ua.intersection(&ub);
    let pieces = [&ua, &ub, &both, &ua.difference(&ub), &ub.difference(&ua)].map(|g| piece(g, population));
    let by_commune = match population {
        Some(_) => commune_split(&pieces),
        None => Vec::new(),
    };
    (pieces, by_commune)
}

fn commune_split(pieces: &[Piece; 5]) -> Vec<CommuneSplit> {
    let mut rows: std::collections::BTreeMap<CommuneCode, [f64; 3]> = Default::default();
    for (k, piece) in pieces[..3].iter().enumerate() {
        for (code, ind) in piece.residents.iter().flat_map(|r| &r.communes) {
            rows.entry(*code).or_default()[k] += ind;
        }
    }
    rows.into_iter()
        .map(|(code, [a, b, both])| CommuneSplit { code, in_reference: a, in_other: b, in_both: both })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Cell, GridBuilder, GridFrame, IncomeModel, SquareValues, medians::fit_squares};
    use geo_types::polygon;

    use crate::testutil::{rect, set};

    /// A 10 × 10 block of squares of 100 inhabitants each, two communes (left, right half).
    fn grid() -> Grid {
        let frame = GridFrame { epsg: 3035, square_size: 200 };
        let left = CommuneCode::parse(b"59172").unwrap();
        let right = CommuneCode::parse(b"59178").unwrap();
        let mut b = GridBuilder::new();
        for y in 0..10 {
            for x in 0..10 {
                let v = SquareValues {
                    individuals: 100.0,
                    households: 40.0,
                    poor_households: 10.0,
                    income_sum: 100.0 * 18_000.0,
                    imputed: false,
                };
                let c = if x < 5 { left } else { right };
                b.push(frame, Cell::new(x, y), v, &[c], (y * 10 + x) as u64 + 2).unwrap();
            }
        }
        b.finish()
    }

    fn with_population<R>(f: impl FnOnce(&Population) -> R) -> R {
        let g = grid();
        let fits = fit_squares(&g, &IncomeModel::default(), 12_000.0);
        let p = Population::new(&g, None, &fits);
        f(&p)
    }

    fn ind(p: &Piece) -> f64 {
        p.residents.as_ref().unwrap().totals.individuals
    }

    #[test]
    fn identical_sets_match_fully() {
        with_population(|pop| {
            let a = set(vec![rect(0.0, 0.0, 800.0, 400.0)]);
            let c = compare(&a, &a, Some(pop));
            assert_eq!(c.matches.len(), 1);
            let m = &c.matches[0];
            assert_eq!(m.iou(), 1.0);
            assert_eq!(ind(&m.pieces[0]), 800.0);
            assert_eq!(ind(&m.pieces[2]), 800.0);
            assert_eq!((ind(&m.pieces[3]), ind(&m.pieces[4])), (0.0, 0.0));
            assert!(c.map.iter().all(|p| p.change == Change::Kept));
        });
    }

    #[test]
    fn disjoint_sets_have_no_match() {
        with_population(|pop| {
            let a = set(vec![rect(0.0, 0.0, 400.0, 400.0)]);
            let b = set(vec![rect(1000.0, 1000.0, 1400.0, 1800.0)]);
            let c = compare(&a, &b, Some(pop));
            assert_eq!(c.matches.len(), 2);
            assert_eq!(c.matches[0].reference, Some(0));
            assert_eq!(c.matches[1].other, Some(0));
            assert_eq!(ind(&c.matches[0].pieces[3]), 400.0);
            assert_eq!(ind(&c.matches[1].pieces[4]), 800.0);
            assert_eq!(c.overall[2].area_m2, 0.0);
            let kinds: Vec<_> = c.map.iter().map(|p| p.change).collect();
            assert_eq!(kinds, vec![Change::Removed, Change::Added]);
        });
    }

    #[test]
    fn touching_sets_do_not_match() {
        let a = set(vec![rect(0.0, 0.0, 400.0, 400.0)]);
        let b = set(vec![rect(400.0, 0.0, 800.0, 400.0)]);
        assert_eq!(compare(&a, &b, None).matches.len(), 2);
    }

    #[test]
    fn nested_perimeters() {
        with_population(|pop| {
            let a = set(vec![rect(0.0, 0.0, 1200.0, 1200.0)]);
            let b = set(vec![rect(400.0, 400.0, 800.0, 800.0)]);
            let c = compare(&a, &b, Some(pop));
            let m = &c.matches[0];
            assert_eq!(ind(&m.pieces[2]), 400.0);
            assert_eq!(ind(&m.pieces[3]), 3200.0);
            assert_eq!(ind(&m.pieces[4]), 0.0);
            assert!((m.iou() - 16.0 / 144.0).abs() < 1e-12);
        });
    }

    #[test]
    fn shifted_by_one_square_and_by_half_a_square() {
        with_population(|pop| {
            let a = set(vec![rect(0.0, 0.0, 800.0, 800.0)]);
            let b = set(vec![rect(200.0, 0.0, 1000.0, 800.0)]);
            let m = compare(&a, &b, Some(pop)).matches[0].clone();
            assert_eq!([ind(&m.pieces[2]), ind(&m.pieces[3]), ind(&m.pieces[4])], [1200.0, 400.0, 400.0]);
            // Half a square: residents by area share, not by centres.
            let b = set(vec![rect(100.0, 0.0, 900.0, 800.0)]);
            let m = compare(&a, &b, Some(pop)).matches[0].clone();
            assert_eq!([ind(&m.pieces[2]), ind(&m.pieces[3]), ind(&m.pieces[4])], [1400.0, 200.0, 200.0]);
            let r = m.pieces[3].residents.as_ref().unwrap();
            assert_eq!((r.squares, r.cut_squares), (4, 4));
        });
    }

    #[test]
    fn a_hole_in_the_other_perimeter_is_removed() {
        with_population(|pop| {
            let a = set(vec![rect(0.0, 0.0, 1000.0, 1000.0)]);
            let mut with_hole = rect(0.0, 0.0, 1000.0, 1000.0);
            with_hole.0[0].interiors_push(rect(400.0, 400.0, 600.0, 600.0).0[0].exterior().clone());
            let c = compare(&a, &set(vec![with_hole]), Some(pop));
            let m = &c.matches[0];
            assert_eq!(ind(&m.pieces[3]), 100.0);
            assert_eq!(m.pieces[3].area_m2, 40_000.0);
            assert!((m.iou() - 24.0 / 25.0).abs() < 1e-12);
            let removed: Vec<_> = c.map.iter().filter(|p| p.change == Change::Removed).collect();
            assert_eq!(removed.len(), 1);
            assert_eq!(removed[0].area_m2, 40_000.0);
        });
    }

    #[test]
    fn communes_split_and_totals() {
        with_population(|pop| {
            // A covers the left commune's 4×2 block, B straddles both communes.
            let a = set(vec![rect(0.0, 0.0, 800.0, 400.0)]);
            let b = set(vec![rect(600.0, 0.0, 1400.0, 400.0)]);
            let c = compare(&a, &b, Some(pop));
            let left = c.by_commune.iter().find(|r| r.code.to_string() == "59172").unwrap();
            let right = c.by_commune.iter().find(|r| r.code.to_string() == "59178").unwrap();
            assert_eq!((left.in_reference, left.in_other, left.in_both), (800.0, 400.0, 200.0));
            assert_eq!((right.in_reference, right.in_other, right.in_both), (0.0, 400.0, 0.0));
            assert_eq!(ind(&c.overall[0]) + ind(&c.overall[4]), ind(&c.overall[1]) + ind(&c.overall[3]));
        });
    }

    #[test]
    fn slivers_of_shifted_vertices_are_dropped_from_the_map() {
        // B draws A's bottom edge through a vertex 3 mm below it: the difference is a
        // sliver of 0.6 m² besides the real piece (a 200 m strip added on the right).
        let a = set(vec![rect(0.0, 0.0, 400.0, 400.0)]);
        let b = set(vec![MultiPolygon(vec![polygon![
            (x: 0.0, y: 0.0), (x: 200.0, y: -0.003), (x: 600.0, y: 0.0), (x: 600.0, y: 400.0), (x: 0.0, y: 400.0)
        ]])]);
        let c = compare(&a, &b, None);
        let added: Vec<_> = c.map.iter().filter(|p| p.change == Change::Added).collect();
        assert_eq!(added.len(), 1);
        assert_eq!(added[0].geometry.0.len(), 1, "only the strip, no sliver polygon");
        assert!((added[0].area_m2 - 80_000.0).abs() < 1.0);
        let hole = rect(0.0, 0.0, 0.01, 0.01).0[0].exterior().clone();
        let with_tiny_hole = MultiPolygon(vec![geo_types::Polygon::new(
            rect(-1.0, -1.0, 400.0, 400.0).0[0].exterior().clone(),
            vec![hole],
        )]);
        assert!(without_slivers(with_tiny_hole).0[0].interiors().is_empty());
    }

    #[test]
    fn a_subset_keeps_ids_names_and_shapes_together_in_order() {
        let mut s = set(vec![rect(0.0, 0.0, 1.0, 1.0), rect(2.0, 0.0, 3.0, 1.0), rect(4.0, 0.0, 5.0, 1.0)]);
        s.names = vec!["a".into(), "b".into(), "c".into()];
        let sub = s.subset(&[true, false, true]);
        assert_eq!(
            (sub.ids, sub.names),
            (vec!["P1".to_owned(), "P3".into()], vec!["a".to_owned(), "c".into()])
        );
        assert_eq!(sub.shapes[1], s.shapes[2]);
        assert!(s.subset(&[false; 3]).is_empty());
    }

    #[test]
    fn empty_sets() {
        let c = compare(&Perimeters::default(), &Perimeters::default(), None);
        assert!(c.matches.is_empty() && c.map.is_empty());
        assert_eq!(c.overall[0].area_m2, 0.0);
    }
}

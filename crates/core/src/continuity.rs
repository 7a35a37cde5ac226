//! Is a perimeter one continuous urban area (décret n° 2014-767 art. 1, "un espace
//! urbain continu")? Its parts, the areas they make once the gaps a rule allows are
//! closed, and the widest gap that must be bridged to make one area.
//!
//! On the lattice the method joins squares at its connectivity (METHOD.md §3). A line
//! drawn along streets is often several polygons a street, a railway or a canal apart:
//! parts closer than a tolerance are one area (issue 19; [`crate::verdict::Judging`]).
//! The widest gap is the longest edge of the minimum spanning tree of the parts (single
//! linkage): the smallest tolerance under which everything is one area.

use crate::verdict::{Continuity, ContinuityRule};
use crate::{Cell, Connectivity, connected_components};
use geo::{BoundingRect, Distance, Euclidean};
use geo_types::{Polygon, Rect};

/// Gaps under this, metres, are contact: polygons of a repaired file touch at points,
/// and coordinates rounded to 1e-7° move them by about a centimetre.
const CONTACT_M: f64 = 0.01;

/// The continuity of a set of lattice cells of side `size` joined at `connectivity`.
///
/// ```
/// use qpv_core::{Cell, Connectivity, continuity::lattice_continuity};
/// // Two squares touching at a corner, a third two squares away.
/// let cells = [Cell::new(0, 0), Cell::new(1, 1), Cell::new(4, 1)];
/// let c = lattice_continuity(&cells, Connectivity::Eight, 200.0);
/// assert_eq!((c.parts, c.widest_gap_m), (2, 400.0));
/// assert_eq!(lattice_continuity(&cells, Connectivity::Four, 200.0).parts, 3);
/// ```
pub fn lattice_continuity(cells: &[Cell], connectivity: Connectivity, size: f64) -> Continuity {
    let components = connected_components(cells, |_| 0, connectivity);
    let n = components.len();
    let widest_gap_m = if n > 1 {
        let distance = |a: usize, b: usize| {
            let mut best = f64::INFINITY;
            for &i in &components[a] {
                for &j in &components[b] {
                    let (ci, cj) = (cells[i as usize], cells[j as usize]);
                    let dx = ((ci.x - cj.x).abs() - 1).max(0) as f64 * size;
                    let dy = ((ci.y - cj.y).abs() - 1).max(0) as f64 * size;
                    best = best.min(dx.hypot(dy));
                }
            }
            best
        };
        widest_spanning_gap(n, distance)
    } else {
        0.0
    };
    Continuity { parts: n, areas: n, widest_gap_m, rule: ContinuityRule::Lattice(connectivity) }
}

/// The continuity of polygons (a drawn perimeter's parts, or its pieces and the
/// squares added to it): parts are polygons that touch, areas those within
/// `tolerance_m` of each other.
///
/// ```
/// use geo_types::{Rect, coord};
/// use qpv_core::continuity::drawn_continuity;
/// let square = |x: f64| Rect::new(coord! { x: x, y: 0.0 }, coord! { x: x + 100.0, y: 100.0 }).to_polygon();
/// // Two blocks on either side of a 30 m street, a third 1 km away.
/// let c = drawn_continuity(&[square(0.0), square(130.0)], 200.0);
/// assert_eq!((c.parts, c.areas, c.widest_gap_m), (2, 1, 30.0));
/// let c = drawn_continuity(&[square(0.0), square(130.0), square(1_230.0)], 200.0);
/// assert_eq!((c.parts, c.areas, c.widest_gap_m), (3, 2, 1_000.0));
/// ```
pub fn drawn_continuity(polygons: &[Polygon<f64>], tolerance_m: f64) -> Continuity {
    let rule = ContinuityRule::Drawn { tolerance_m };
    let boxes: Vec<Option<Rect<f64>>> = polygons.iter().map(|p| p.bounding_rect()).collect();
    let n = polygons.len();
    // Every pair's distance when their boxes come within reach of each other: within
    // the tolerance decides the areas; beyond it, the spanning tree needs it anyway.
    let mut near: Vec<(f64, usize, usize)> = Vec::new();
    for a in 0..n {
        for b in a + 1..n {
            let (Some(ra), Some(rb)) = (boxes[a], boxes[b]) else { continue };
            // Boxes farther apart than the tolerance: the polygons are too (the box gap
            // is a lower bound), and the spanning tree computes exact distances itself.
            let lower = box_gap(ra, rb);
            let d = if lower > tolerance_m.max(CONTACT_M) {
                lower
            } else {
                Euclidean.distance(&polygons[a], &polygons[b])
            };
            near.push((d, a, b));
        }
    }
    let groups = |limit: f64| {
        let mut uf = Sets::new(n);
        for &(d, a, b) in &near {
            if d <= limit {
                uf.union(a, b);
            }
        }
        uf.count()
    };
    let parts = groups(CONTACT_M);
    let areas = groups(tolerance_m);
    let widest_gap_m = if parts > 1 {
        // Exact distances across the gaps the spanning tree may use.
        let exact = |a: usize, b: usize| Euclidean.distance(&polygons[a], &polygons[b]);
        let mut sets = Sets::new(n);
        for &(d, a, b) in &near {
            if d <= CONTACT_M {
                sets.union(a, b);
            }
        }
        widest_spanning_gap_between(&mut sets, n, exact)
    } else {
        0.0
    };
    Continuity {
        parts,
        areas,
        widest_gap_m: if widest_gap_m <= CONTACT_M { 0.0 } else { widest_gap_m },
        rule,
    }
}

/// A lower bound of the distance between two polygons: the gap between their boxes.
fn box_gap(a: Rect<f64>, b: Rect<f64>) -> f64 {
    let dx = (b.min().x - a.max().x).max(a.min().x - b.max().x).max(0.0);
    let dy = (b.min().y - a.max().y).max(a.min().y - b.max().y).max(0.0);
    dx.hypot(dy)
}

/// The longest edge of the minimum spanning tree of `n` groups at `distance` (Prim).
fn widest_spanning_gap(n: usize, distance: impl Fn(usize, usize) -> f64) -> f64 {
    let mut best = vec![f64::INFINITY; n];
    let mut done = vec![false; n];
    best[0] = 0.0;
    let mut widest: f64 = 0.0;
    for _ in 0..n {
        let k = (0..n).filter(|&k| !done[k]).min_by(|&a, &b| best[a].total_cmp(&best[b])).unwrap_or(0);
        done[k] = true;
        widest = widest.max(best[k]);
        for j in 0..n {
            if !done[j] {
                best[j] = best[j].min(distance(k, j));
            }
        }
    }
    widest
}

/// [`widest_spanning_gap`] over the groups of `sets` (members already joined).
fn widest_spanning_gap_between(sets: &mut Sets, n: usize, distance: impl Fn(usize, usize) -> f64) -> f64 {
    let mut roots: Vec<usize> = (0..n).map(|i| sets.find(i)).collect();
    let mut groups: Vec<usize> = roots.clone();
    groups.sort_unstable();
    groups.dedup();
    for r in &mut roots {
        *r = groups.binary_search(r).unwrap_or(0);
    }
    let members: Vec<Vec<usize>> =
        (0..groups.len()).map(|g| (0..n).filter(|&i| roots[i] == g).collect()).collect();
    widest_spanning_gap(groups.len(), |a, b| {
        let mut d = f64::INFINITY;
        for &i in &members[a] {
            for &j in &members[b] {
                d = d.min(distance(i, j));
            }
        }
        d
    })
}

/// Disjoint sets.
struct Sets(Vec<usize>);

impl Sets {
    fn new(n: usize) -> Sets {
        Sets((0..n).collect())
    }

    fn find(&mut self, mut i: usize) -> usize {
        while self.0[i] != i {
            self.0[i] = self.0[self.0[i]];
            i = self.0[i];
        }
        i
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.0[ra.max(rb)] = ra.min(rb);
        }
    }

    fn count(&mut self) -> usize {
        (0..self.0.len()).filter(|&i| self.find(i) == i).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::coord;

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon<f64> {
        Rect::new(coord! { x: x0, y: y0 }, coord! { x: x1, y: y1 }).to_polygon()
    }

    #[test]
    fn no_polygon_is_no_area() {
        let c = drawn_continuity(&[], 200.0);
        assert_eq!((c.parts, c.areas, c.widest_gap_m), (0, 0, 0.0));
        assert_eq!(lattice_continuity(&[], Connectivity::Eight, 200.0).parts, 0);
    }

    #[test]
    fn one_square_is_one_part() {
        let c = lattice_continuity(&[Cell::new(3, 4)], Connectivity::Four, 200.0);
        assert_eq!((c.parts, c.widest_gap_m), (1, 0.0));
        let c = drawn_continuity(&[rect(0.0, 0.0, 10.0, 10.0)], 200.0);
        assert_eq!((c.parts, c.areas), (1, 1));
    }

    #[test]
    fn polygons_touching_at_a_corner_are_one_part() {
        let c = drawn_continuity(&[rect(0.0, 0.0, 10.0, 10.0), rect(10.0, 10.0, 20.0, 20.0)], 0.0);
        assert_eq!((c.parts, c.areas, c.widest_gap_m), (1, 1, 0.0));
    }

    #[test]
    fn a_polygon_in_the_hole_of_another_is_a_part_of_its_own() {
        let ring = |x0: f64, x1: f64| {
            geo_types::LineString::from(vec![(x0, x0), (x1, x0), (x1, x1), (x0, x1), (x0, x0)])
        };
        let donut = Polygon::new(ring(0.0, 300.0), vec![ring(100.0, 200.0)]);
        let island = rect(140.0, 140.0, 160.0, 160.0);
        let c = drawn_continuity(&[donut, island], 100.0);
        assert_eq!((c.parts, c.areas, c.widest_gap_m), (2, 1, 40.0));
    }

    #[test]
    fn the_widest_gap_is_that_of_the_spanning_tree_not_the_farthest_pair() {
        // Three blocks in a row 50 m apart: 50 m joins all, though the ends are 350 m apart.
        let polygons =
            [rect(0.0, 0.0, 100.0, 10.0), rect(150.0, 0.0, 250.0, 10.0), rect(300.0, 0.0, 400.0, 10.0)];
        let c = drawn_continuity(&polygons, 40.0);
        assert_eq!((c.parts, c.areas, c.widest_gap_m), (3, 3, 50.0));
        assert_eq!(drawn_continuity(&polygons, 50.0).areas, 1);
    }

    #[test]
    fn lattice_gap_counts_the_empty_squares_between() {
        // Diagonal 2 squares apart: one empty square on each axis.
        let c = lattice_continuity(&[Cell::new(0, 0), Cell::new(2, 2)], Connectivity::Eight, 200.0);
        assert!((c.widest_gap_m - 200.0 * 2f64.sqrt()).abs() < 1e-9);
    }
}

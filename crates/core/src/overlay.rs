//! How much of each 200 m square lies inside a region: the exact area share, not the
//! square's centre, because negotiated perimeters follow streets and cut squares
//! (issue 5, METHOD.md §4 "Coordinates").
//!
//! A square crossed by no edge of the region is wholly in or wholly out (its centre
//! says which, by counting edge crossings along its row). A square that an edge
//! crosses is clipped against each ring (Sutherland–Hodgman against the square,
//! which is convex, gives the exact area even for concave rings), in coordinates
//! relative to the square so that areas keep their precision 4 000 km from the
//! origin. The polygons of a valid multipolygon do not overlap, so their shares add.
//!
//! Estimating residents by area share assumes they are spread evenly inside each
//! square: exact for whole squares, an estimate for cut ones.

use crate::Cell;
use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use rustc_hash::{FxHashMap, FxHashSet};

/// Shares within this of 0 or 1 are taken as 0 or 1: 4 m² of a 200 m square, a 2 cm
/// sliver along a side, the rounding of coordinates written with 7 decimals of a
/// degree (1.1 cm) and reprojected.
pub const SLIVER: f64 = 1e-4;

/// The cells of side `size` (metres, lattice from the origin as in [`Cell`]) that
/// `region` covers, with the share of each cell's area inside it, in (0, 1].
///
/// ```
/// use geo_types::{MultiPolygon, Rect, coord};
/// use qpv_core::{Cell, overlay::cell_shares};
/// // A 300 m × 200 m rectangle starting on a lattice corner: one whole square, one half.
/// let r = Rect::new(coord! { x: 0.0, y: 0.0 }, coord! { x: 300.0, y: 200.0 }).to_polygon();
/// let shares = cell_shares(&MultiPolygon(vec![r]), 200.0);
/// assert_eq!(shares, vec![(Cell::new(0, 0), 1.0), (Cell::new(1, 0), 0.5)]);
/// ```
pub fn cell_shares(region: &MultiPolygon<f64>, size: f64) -> Vec<(Cell, f64)> {
    let mut total: FxHashMap<Cell, f64> = FxHashMap::default();
    for polygon in &region.0 {
        polygon_shares(polygon, size, &mut |c, s| *total.entry(c).or_default() += s);
    }
    let mut out: Vec<(Cell, f64)> = total
        .into_iter()
        .filter_map(|(c, s)| {
            let s = snap(s);
            (s > 0.0).then_some((c, s))
        })
        .collect();
    out.sort_by_key(|(c, _)| (c.y, c.x));
    out
}

fn snap(s: f64) -> f64 {
    if s < SLIVER {
        0.0
    } else if s > 1.0 - SLIVER {
        1.0
    } else {
        s
    }
}

fn rings(p: &Polygon<f64>) -> impl Iterator<Item = &LineString<f64>> {
    std::iter::once(p.exterior()).chain(p.interiors())
}

fn polygon_shares(polygon: &Polygon<f64>, size: f64, visit: &mut impl FnMut(Cell, f64)) {
    let coords = || rings(polygon).flat_map(|r| r.0.iter());
    let Some(first) = coords().next() else { return };
    let (mut lo, mut hi) = (*first, *first);
    for c in coords() {
        lo = Coord { x: lo.x.min(c.x), y: lo.y.min(c.y) };
        hi = Coord { x: hi.x.max(c.x), y: hi.y.max(c.y) };
    }
    let cell = |v: f64| (v / size).floor() as i32;
    let boundary = boundary_cells(polygon, size);
    for y in cell(lo.y)..=cell(hi.y) {
        let crossings = row_crossings(polygon, (y as f64 + 0.5) * size);
        for x in cell(lo.x)..=cell(hi.x) {
            let c = Cell::new(x, y);
            let share = if boundary.contains(&c) {
                clipped_area(polygon, c, size) / (size * size)
            } else {
                let centre = (x as f64 + 0.5) * size;
                let left = crossings.partition_point(|&cx| cx < centre);
                if left % 2 == 1 { 1.0 } else { 0.0 }
            };
            if share > 0.0 {
                visit(c, share);
            }
        }
    }
}

/// Cells an edge may cross or touch: each edge is cut into pieces shorter than a
/// square, and every cell meeting a piece's (slightly widened) box is marked.
/// Over-marking only costs a clip; missing one would count a cut square whole.
fn boundary_cells(polygon: &Polygon<f64>, size: f64) -> FxHashSet<Cell> {
    let eps = size * 1e-7;
    let mut out = FxHashSet::default();
    for ring in rings(polygon) {
        for w in ring.0.windows(2) {
            let (a, b) = (w[0], w[1]);
            let steps = ((a.x - b.x).hypot(a.y - b.y) / size).ceil().max(1.0) as usize;
            for k in 0..steps {
                let (t0, t1) = (k as f64 / steps as f64, (k + 1) as f64 / steps as f64);
                let p = Coord { x: a.x + (b.x - a.x) * t0, y: a.y + (b.y - a.y) * t0 };
                let q = Coord { x: a.x + (b.x - a.x) * t1, y: a.y + (b.y - a.y) * t1 };
                let (x0, x1) = (((p.x.min(q.x) - eps) / size).floor(), ((p.x.max(q.x) + eps) / size).floor());
                let (y0, y1) = (((p.y.min(q.y) - eps) / size).floor(), ((p.y.max(q.y) + eps) / size).floor());
                for y in y0 as i32..=y1 as i32 {
                    for x in x0 as i32..=x1 as i32 {
                        out.insert(Cell::new(x, y));
                    }
                }
            }
        }
    }
    out
}

/// Sorted abscissas where the rings cross the horizontal line at `y` (half-open rule,
/// so a vertex on the line is counted once).
fn row_crossings(polygon: &Polygon<f64>, y: f64) -> Vec<f64> {
    let mut xs = Vec::new();
    for ring in rings(polygon) {
        for w in ring.0.windows(2) {
            let (a, b) = (w[0], w[1]);
            if (a.y <= y) != (b.y <= y) {
                xs.push(a.x + (y - a.y) / (b.y - a.y) * (b.x - a.x));
            }
        }
    }
    xs.sort_by(f64::total_cmp);
    xs
}

/// Area of the polygon inside cell `c`: the exterior clipped, less the holes clipped.
fn clipped_area(polygon: &Polygon<f64>, c: Cell, size: f64) -> f64 {
    let origin = Coord { x: c.x as f64 * size, y: c.y as f64 * size };
    let clip = |ring: &LineString<f64>| {
        let local: Vec<Coord<f64>> = ring.0.iter().map(|p| *p - origin).collect();
        shoelace(&clip_to_square(&local, size)).abs()
    };
    let outer = clip(polygon.exterior());
    let holes: f64 = polygon.interiors().iter().map(clip).sum();
    (outer - holes).max(0.0)
}

/// Sutherland–Hodgman clip of a closed ring against `[0, size]²`.
fn clip_to_square(ring: &[Coord<f64>], size: f64) -> Vec<Coord<f64>> {
    let mut points: Vec<Coord<f64>> = ring.to_vec();
    if points.len() > 1 && points.first() == points.last() {
        points.pop();
    }
    // Each edge of the square: inside test and intersection parameter on one axis.
    let planes: [(bool, bool, f64); 4] =
        [(true, true, 0.0), (true, false, size), (false, true, 0.0), (false, false, size)];
    for (on_x, keep_above, at) in planes {
        if points.is_empty() {
            break;
        }
        let value = |p: &Coord<f64>| if on_x { p.x } else { p.y };
        let inside = |p: &Coord<f64>| if keep_above { value(p) >= at } else { value(p) <= at };
        let mut out = Vec::with_capacity(points.len() + 4);
        for i in 0..points.len() {
            let (cur, prev) = (points[i], points[(i + points.len() - 1) % points.len()]);
            let cross = |p: Coord<f64>, q: Coord<f64>| {
                let t = (at - value(&p)) / (value(&q) - value(&p));
                Coord { x: p.x + t * (q.x - p.x), y: p.y + t * (q.y - p.y) }
            };
            match (inside(&prev), inside(&cur)) {
                (true, true) => out.push(cur),
                (true, false) => out.push(cross(prev, cur)),
                (false, true) => {
                    out.push(cross(prev, cur));
                    out.push(cur);
                }
                (false, false) => {}
            }
        }
        points = out;
    }
    points
}

fn shoelace(points: &[Coord<f64>]) -> f64 {
    let n = points.len();
    (0..n).map(|i| points[i].x * points[(i + 1) % n].y - points[(i + 1) % n].x * points[i].y).sum::<f64>()
        / 2.0
}

/// Distance (m) from a point to a region: 0 inside or on its boundary.
///
/// ```
/// use geo_types::{MultiPolygon, Rect, coord};
/// let r = MultiPolygon(vec![Rect::new(coord! { x: 0.0, y: 0.0 }, coord! { x: 200.0, y: 200.0 }).to_polygon()]);
/// assert_eq!(qpv_core::overlay::distance_to(100.0, 100.0, &r), 0.0);
/// assert_eq!(qpv_core::overlay::distance_to(500.0, 100.0, &r), 300.0);
/// ```
pub fn distance_to(x: f64, y: f64, region: &MultiPolygon<f64>) -> f64 {
    use geo::{Distance, Euclidean};
    Euclidean.distance(&geo_types::Point::new(x, y), region)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, BooleanOps};
    use geo_types::{Rect, coord, polygon};

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon<f64> {
        Rect::new(coord! { x: x0, y: y0 }, coord! { x: x1, y: y1 }).to_polygon()
    }

    fn total(shares: &[(Cell, f64)]) -> f64 {
        shares.iter().map(|(_, s)| s).sum()
    }

    #[test]
    fn empty_region() {
        assert!(cell_shares(&MultiPolygon(vec![]), 200.0).is_empty());
    }

    #[test]
    fn one_whole_square_far_from_the_origin() {
        let (x, y) = (3_850_200.0, 3_035_400.0);
        let shares = cell_shares(&MultiPolygon(vec![rect(x, y, x + 200.0, y + 200.0)]), 200.0);
        assert_eq!(shares, vec![(Cell::new(19_251, 15_177), 1.0)]);
    }

    #[test]
    fn whole_squares_are_exactly_one_even_with_rounded_coordinates() {
        // 3 × 2 squares, corners off by a few millimetres as after a WGS84 round trip.
        let p = polygon![
            (x: 400.003, y: -0.002), (x: 999.998, y: 0.004), (x: 1000.001, y: 399.997), (x: 399.996, y: 400.002)
        ];
        let shares = cell_shares(&MultiPolygon(vec![p]), 200.0);
        assert_eq!(shares.len(), 6);
        assert!(shares.iter().all(|(_, s)| *s == 1.0), "{shares:?}");
    }

    #[test]
    fn a_hole_is_left_out() {
        let mut p = rect(0.0, 0.0, 600.0, 600.0);
        p.interiors_push(rect(200.0, 200.0, 400.0, 400.0).exterior().clone());
        let shares = cell_shares(&MultiPolygon(vec![p]), 200.0);
        assert_eq!(shares.len(), 8);
        assert!(!shares.iter().any(|(c, _)| *c == Cell::new(1, 1)));
        // A hole cutting a square in half.
        let mut q = rect(0.0, 0.0, 600.0, 600.0);
        q.interiors_push(rect(200.0, 200.0, 300.0, 400.0).exterior().clone());
        let shares = cell_shares(&MultiPolygon(vec![q]), 200.0);
        assert_eq!(shares.iter().find(|(c, _)| *c == Cell::new(1, 1)).unwrap().1, 0.5);
        assert_eq!(total(&shares), 8.5);
    }

    #[test]
    fn squares_touching_only_at_a_corner() {
        let mp = MultiPolygon(vec![rect(0.0, 0.0, 200.0, 200.0), rect(200.0, 200.0, 400.0, 400.0)]);
        let shares = cell_shares(&mp, 200.0);
        assert_eq!(shares, vec![(Cell::new(0, 0), 1.0), (Cell::new(1, 1), 1.0)]);
    }

    #[test]
    fn a_diagonal_cut_halves_the_squares_it_crosses() {
        let tri = polygon![(x: 0.0, y: 0.0), (x: 400.0, y: 0.0), (x: 400.0, y: 400.0)];
        let shares = cell_shares(&MultiPolygon(vec![tri]), 200.0);
        let get = |x, y| shares.iter().find(|(c, _)| *c == Cell::new(x, y)).map(|s| s.1);
        assert_eq!(get(1, 0), Some(1.0));
        assert!((get(0, 0).unwrap() - 0.5).abs() < 1e-12);
        assert!((get(1, 1).unwrap() - 0.5).abs() < 1e-12);
        assert_eq!(get(0, 1), None);
    }

    #[test]
    fn shares_add_up_to_the_area_and_agree_with_boolean_ops() {
        // A concave, rotated shape with a hole, far from the origin.
        let (ox, oy) = (3_800_000.0, 3_000_000.0);
        let mut p = polygon![
            (x: ox + 13.0, y: oy + 7.0), (x: ox + 910.0, y: oy + 95.0), (x: ox + 640.0, y: oy + 420.0),
            (x: ox + 870.0, y: oy + 860.0), (x: ox + 120.0, y: oy + 700.0), (x: ox + 330.0, y: oy + 380.0)
        ];
        p.interiors_push(
            polygon![(x: ox + 500.0, y: oy + 200.0), (x: ox + 580.0, y: oy + 230.0), (x: ox + 520.0, y: oy + 330.0)]
                .exterior()
                .clone(),
        );
        let mp = MultiPolygon(vec![p.clone()]);
        let shares = cell_shares(&mp, 200.0);
        let area = p.unsigned_area();
        assert!((total(&shares) * 40_000.0 - area).abs() < 1.0, "{} vs {area}", total(&shares) * 40_000.0);
        for (c, s) in shares {
            let (x, y) = (c.x as f64 * 200.0, c.y as f64 * 200.0);
            let exact =
                mp.intersection(&MultiPolygon(vec![rect(x, y, x + 200.0, y + 200.0)])).unsigned_area();
            assert!((s * 40_000.0 - exact).abs() < 4.0 + 1e-6, "cell {c:?}: {} vs {exact}", s * 40_000.0);
        }
    }
}

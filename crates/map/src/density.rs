//! The background drawn from the grid itself: inhabited squares as a light
//! population-density layer, so that France, a département or a town shows its shape
//! with no external data.
//!
//! At small scales a 200 m square is a fraction of a pixel (about 0.2 px on the national
//! map): drawing 2.3 million of them would make a 100 MB SVG of sub-pixel rectangles.
//! Squares are therefore summed into cells of a whole number of squares, at least one
//! pixel wide, and consecutive cells of one class along a row are merged into one run:
//! one `<path>` per class, written in whole cells (a transform scales them to the map)
//! and each run relative to the one before, so that a run takes about a dozen bytes.

use crate::draw::Frame;
use crate::palette::DENSITY_CLASSES;
use rustc_hash::FxHashMap;
use std::fmt::Write as _;

/// An inhabited square, for the density background.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InhabitedSquare {
    /// South-west corner in the grid's CRS.
    pub x: f64,
    /// South-west corner in the grid's CRS.
    pub y: f64,
    /// Inhabitants (Filosofi `ind`).
    pub inhabitants: f64,
}

/// The class of a density (inhabitants per km²).
fn class_of(density: f64) -> usize {
    DENSITY_CLASSES.iter().position(|c| density < c.0).unwrap_or(DENSITY_CLASSES.len() - 1)
}

/// The side of the background's cells (m): a whole number of squares, at least one pixel
/// (`metres_per_px`), so that every square falls in exactly one cell and no cell is
/// smaller than what the PNG can show. Without a square size, one pixel.
pub(crate) fn cell_side(square_size: f64, metres_per_px: f64) -> f64 {
    if square_size > 0.0 {
        square_size * (metres_per_px / square_size).ceil().max(1.0)
    } else {
        metres_per_px
    }
}

/// Inhabitants summed by cell of `side` metres: `(column, row, inhabitants)`, sorted by
/// row then column, cells with no inhabitant left out. A square counts in the cell of
/// its centre; `keep` says which centres are drawn (those inside the map).
pub(crate) fn aggregate(
    squares: &[InhabitedSquare],
    square_size: f64,
    side: f64,
    keep: impl Fn(f64, f64) -> bool,
) -> Vec<(i64, i64, f64)> {
    let mut sums: FxHashMap<(i64, i64), f64> = FxHashMap::default();
    for q in squares {
        let (cx, cy) = (q.x + square_size / 2.0, q.y + square_size / 2.0);
        if q.inhabitants > 0.0 && keep(cx, cy) {
            *sums.entry(((cx / side).floor() as i64, (cy / side).floor() as i64)).or_default() +=
                q.inhabitants;
        }
    }
    let mut cells: Vec<(i64, i64, f64)> = sums.into_iter().map(|((c, r), w)| (c, r, w)).collect();
    cells.sort_unstable_by_key(|&(c, r, _)| (r, c));
    cells
}

/// A run of adjacent cells of one class along a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Run {
    pub row: i64,
    pub column: i64,
    pub length: i64,
    pub class: usize,
}

/// Cells (sorted by row then column) merged into runs of one class.
pub(crate) fn runs(cells: &[(i64, i64, f64)], side: f64) -> Vec<Run> {
    let km2 = side * side / 1e6;
    let mut out: Vec<Run> = Vec::new();
    for &(column, row, inhabitants) in cells {
        let class = class_of(inhabitants / km2);
        match out.last_mut() {
            Some(r) if r.row == row && r.class == class && r.column + r.length == column => r.length += 1,
            _ => out.push(Run { row, column, length: 1, class }),
        }
    }
    out
}

/// Draws the background; returns whether anything was drawn (for the legend).
pub(crate) fn draw(s: &mut String, squares: &[InhabitedSquare], square_size: f64, f: &Frame) -> bool {
    if squares.is_empty() {
        return false;
    }
    let side = cell_side(square_size, 1.0 / f.k);
    let cells = aggregate(squares, square_size, side, |x, y| f.inside(x, y));
    if cells.is_empty() {
        return false;
    }
    // Cell (column, row) is drawn at (column - c0, r0 - row - 1) in units of one cell,
    // y downwards: the transform maps that to pixels.
    let (c0, r0) = ((f.min.x / side).floor() as i64, (f.max.y / side).ceil() as i64);
    let cell = side * f.k;
    let mut paths = vec![(String::new(), (0, 0)); DENSITY_CLASSES.len()];
    for r in runs(&cells, side) {
        let (d, last) = &mut paths[r.class];
        let (x, y) = (r.column - c0, r0 - r.row - 1);
        // After `z` the pen is back at the run's start: the next run moves from there.
        let _ = write!(d, "m{} {}h{}v1h-{}z", x - last.0, y - last.1, r.length, r.length);
        *last = (x, y);
    }
    // Crisp edges: anti-aliased neighbouring runs would leave faint seams between rows.
    let _ = writeln!(
        s,
        r#"<g id="density" shape-rendering="crispEdges" pointer-events="none" transform="translate({:.3} {:.3}) scale({cell:.5})">"#,
        f.x(c0 as f64 * side),
        f.y(r0 as f64 * side)
    );
    for ((d, _), (_, color)) in paths.iter().zip(DENSITY_CLASSES) {
        if !d.is_empty() {
            let _ = writeln!(s, r#"<path d="{d}" fill="{color}"/>"#);
        }
    }
    s.push_str("</g>\n");
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x: f64, y: f64, inhabitants: f64) -> InhabitedSquare {
        InhabitedSquare { x, y, inhabitants }
    }

    #[test]
    fn an_empty_grid_has_no_cell_and_no_run() {
        let cells = aggregate(&[], 200.0, 1000.0, |_, _| true);
        assert!(cells.is_empty());
        assert!(runs(&cells, 1000.0).is_empty());
    }

    #[test]
    fn one_square_is_one_cell_with_its_inhabitants() {
        let cells = aggregate(&[square(3_850_200.0, 3_035_400.0, 120.0)], 200.0, 1000.0, |_, _| true);
        assert_eq!(cells, vec![(3_850, 3_035, 120.0)]);
        // 120 inhabitants on 1 km²: under 150 per km², the first class.
        assert_eq!(runs(&cells, 1000.0), vec![Run { row: 3_035, column: 3_850, length: 1, class: 0 }]);
    }

    #[test]
    fn squares_in_one_pixel_are_summed_into_one_cell() {
        // Five squares of one 1 km cell (its corners and centre), one in the next cell.
        let sq = [
            square(0.0, 0.0, 100.0),
            square(800.0, 0.0, 100.0),
            square(0.0, 800.0, 100.0),
            square(800.0, 800.0, 100.0),
            square(400.0, 400.0, 100.0),
            square(1_000.0, 0.0, 7.0),
        ];
        let cells = aggregate(&sq, 200.0, 1000.0, |_, _| true);
        assert_eq!(cells, vec![(0, 0, 500.0), (1, 0, 7.0)]);
    }

    #[test]
    fn squares_outside_the_map_and_uninhabited_are_left_out() {
        let sq = [square(0.0, 0.0, 100.0), square(5_000.0, 0.0, 100.0), square(200.0, 0.0, 0.0)];
        let cells = aggregate(&sq, 200.0, 200.0, |x, _| x < 1_000.0);
        assert_eq!(cells, vec![(0, 0, 100.0)]);
    }

    #[test]
    fn adjacent_cells_of_one_class_merge_and_a_gap_or_a_class_change_splits() {
        // Row 0: columns 0, 1, 2 of one class, a gap, column 4; column 5 denser.
        // Row 1: column 0, same class as row 0 but on another row.
        let cells = [(0, 0, 10.0), (1, 0, 12.0), (2, 0, 11.0), (4, 0, 10.0), (5, 0, 5_000.0), (0, 1, 10.0)];
        let dense = class_of(5_000.0);
        assert_ne!(dense, 0);
        let r = runs(&cells, 1000.0);
        assert_eq!(
            r,
            vec![
                Run { row: 0, column: 0, length: 3, class: 0 },
                Run { row: 0, column: 4, length: 1, class: 0 },
                Run { row: 0, column: 5, length: 1, class: dense },
                Run { row: 1, column: 0, length: 1, class: 0 },
            ]
        );
    }

    #[test]
    fn cells_are_whole_squares_at_least_a_pixel_wide() {
        assert_eq!(cell_side(200.0, 22.0), 200.0, "local: one square per cell");
        assert_eq!(cell_side(200.0, 200.0), 200.0);
        assert_eq!(cell_side(200.0, 201.0), 400.0);
        assert_eq!(cell_side(200.0, 950.0), 1_000.0, "national: 5 × 5 squares, just over a pixel");
        assert_eq!(cell_side(0.0, 950.0), 950.0, "no square size: one pixel");
    }

    #[test]
    fn density_classes_are_per_km2_whatever_the_cell() {
        // 100 inhabitants on a 200 m square is 2 500 per km²; on a 1 km cell, 100 per km².
        let (square, km) = (runs(&[(0, 0, 100.0)], 200.0)[0].class, runs(&[(0, 0, 100.0)], 1000.0)[0].class);
        assert_eq!((square, km), (class_of(2_500.0), class_of(100.0)));
        assert!(square > km);
        assert_eq!(class_of(f64::INFINITY), DENSITY_CLASSES.len() - 1);
    }
}

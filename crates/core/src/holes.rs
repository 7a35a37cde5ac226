//! Filling holes that hold no residents (METHOD.md §3: default "holes with no
//! residents filled").
//!
//! The grid lists only inhabited squares, so an enclosed gap is either empty land
//! (a park, a railway yard, a car park), which is filled, or inhabited squares
//! that are not low-income, which stay a hole.

use crate::raster::{MEMBER, Raster};
use crate::{Cell, Connectivity};

const OUTSIDE: u8 = 2;
const HOLE: u8 = 3;

/// The cells of the holes of `cells` that contain no inhabited square.
///
/// Holes are the background regions not connected to the outside, with the
/// connectivity dual to `connectivity` (4 for 8, 8 for 4).
///
/// ```
/// use qpv_core::{fill_empty_holes, Cell, Connectivity};
/// // A ring of 8 squares around an empty centre.
/// let ring: Vec<Cell> = (0..3).flat_map(|x| (0..3).map(move |y| Cell::new(x, y)))
///     .filter(|c| *c != Cell::new(1, 1)).collect();
/// assert_eq!(fill_empty_holes(&ring, Connectivity::Eight, |_| false), vec![Cell::new(1, 1)]);
/// assert!(fill_empty_holes(&ring, Connectivity::Eight, |_| true).is_empty());
/// ```
pub fn fill_empty_holes(
    cells: &[Cell],
    connectivity: Connectivity,
    is_inhabited: impl Fn(Cell) -> bool,
) -> Vec<Cell> {
    if cells.len() < 4 {
        return Vec::new();
    }
    let background = connectivity.dual();
    let mut r = Raster::from_cells(cells);
    r.flood((0, 0), 0, OUTSIDE, background);
    let mut filled = Vec::new();
    for y in 0..r.h {
        for x in 0..r.w {
            if r.data[r.idx(x, y)] != 0 {
                continue;
            }
            let region = r.flood((x, y), 0, HOLE, background);
            if region.iter().all(|&(hx, hy)| !is_inhabited(r.global(hx, hy))) {
                filled.extend(region.iter().map(|&(hx, hy)| r.global(hx, hy)));
            }
        }
    }
    debug_assert!(r.data.iter().all(|&v| v == MEMBER || v == OUTSIDE || v == HOLE));
    filled.sort();
    filled
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cells of a `w × h` block minus `gaps`.
    fn block(w: i32, h: i32, gaps: &[(i32, i32)]) -> Vec<Cell> {
        (0..w)
            .flat_map(|x| (0..h).map(move |y| (x, y)))
            .filter(|xy| !gaps.contains(xy))
            .map(|(x, y)| Cell::new(x, y))
            .collect()
    }

    #[test]
    fn empty_grid_and_one_square_have_no_hole() {
        assert!(fill_empty_holes(&[], Connectivity::Eight, |_| false).is_empty());
        assert!(fill_empty_holes(&[Cell::new(0, 0)], Connectivity::Eight, |_| false).is_empty());
    }

    #[test]
    fn a_hole_of_two_empty_squares_is_filled() {
        let cells = block(4, 3, &[(1, 1), (2, 1)]);
        let filled = fill_empty_holes(&cells, Connectivity::Eight, |_| false);
        assert_eq!(filled, vec![Cell::new(1, 1), Cell::new(2, 1)]);
    }

    #[test]
    fn a_hole_with_one_inhabited_square_stays() {
        let cells = block(4, 3, &[(1, 1), (2, 1)]);
        let filled = fill_empty_holes(&cells, Connectivity::Eight, |c| c == Cell::new(2, 1));
        assert!(filled.is_empty());
    }

    #[test]
    fn a_gap_open_to_the_outside_is_not_a_hole() {
        let cells = block(3, 3, &[(1, 1), (1, 2)]);
        assert!(fill_empty_holes(&cells, Connectivity::Eight, |_| false).is_empty());
    }

    #[test]
    fn corner_leak_depends_on_connectivity() {
        // Ring whose corner square is missing: the centre touches the outside only at a corner.
        let cells = block(3, 3, &[(1, 1), (2, 2)]);
        // 8-connected squares: background is 4-connected, the centre is enclosed.
        assert_eq!(fill_empty_holes(&cells, Connectivity::Eight, |_| false), vec![Cell::new(1, 1)]);
        // 4-connected squares: background is 8-connected, the centre leaks out.
        assert!(fill_empty_holes(&cells, Connectivity::Four, |_| false).is_empty());
    }
}

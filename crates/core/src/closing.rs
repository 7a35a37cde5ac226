//! Stage 3a: take in the squares a quartier surrounds (issue 20).
//!
//! A low-income area on the lattice is ragged: between its flagged squares lie squares
//! whose estimated median is just above the threshold, or whose estimate is noisy (a
//! few households, an imputed square). A perimeter drawn along streets, as préfectures
//! and the ANCT draw them (METHOD.md §6), takes in a block that the quartier surrounds
//! on most sides. This is the lattice's *morphological closing*, restricted to
//! inhabited squares: a square that is not flagged, in an eligible urban unit, joins
//! the low-income squares when at least `min_neighbours` of its 8 neighbours are
//! flagged squares of the same unit. One pass, over the flags alone, so the result does
//! not depend on order. The areas are then re-tested on their pooled residents, these
//! squares included, as the decree asks.
//!
//! ```
//! use qpv_core::{Cell, closing::closed_squares};
//! // A 3 × 3 block of flagged squares but its centre, and one square beside it.
//! let cells: Vec<Cell> = (0..3).flat_map(|x| (0..3).map(move |y| Cell::new(x, y)))
//!     .chain([Cell::new(3, 1)]).collect();
//! let flagged: Vec<u32> = (0..9).filter(|&i| i != 4).collect();
//! let unit = vec![0; cells.len()];
//! // The centre has 8 flagged neighbours; (3, 1) only 3.
//! assert_eq!(closed_squares(&cells, &flagged, &unit, |_| true, 5), vec![4]);
//! ```

use crate::{Cell, Connectivity};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

/// Bits of the prefilter of the cells to look at (2^17 bits, 16 KB: in the first-level cache).
const FILTER_BITS: u32 = 17;

/// The squares that are not flagged but have at least `min_neighbours` flagged
/// neighbours of their own unit, in increasing order.
///
/// `cells[i]` and `unit_of[i]` are square `i`'s cell and unit; `flagged` lists the
/// flagged squares, increasing; `eligible(i)` says whether square `i` may be taken
/// in (its unit can hold quartiers and it has an income estimate).
pub fn closed_squares(
    cells: &[Cell],
    flagged: &[u32],
    unit_of: &[u32],
    eligible: impl Fn(usize) -> bool + Sync,
    min_neighbours: u8,
) -> Vec<u32> {
    if flagged.is_empty() || min_neighbours == 0 {
        return Vec::new();
    }
    let mut unit_at: FxHashMap<u64, u32> = FxHashMap::default();
    unit_at.reserve(flagged.len());
    unit_at.extend(flagged.iter().map(|&i| (cells[i as usize].key(), unit_of[i as usize])));
    // Cells next to a flagged square that are not flagged, once per flagged neighbour:
    // sorted, a run of at least `min_neighbours` equal keys is a cell to look at.
    let mut next_to: Vec<u64> = flagged
        .par_iter()
        .flat_map_iter(|&i| {
            let c = cells[i as usize];
            Connectivity::Eight.offsets().iter().map(move |&(dx, dy)| Cell::new(c.x + dx, c.y + dy).key())
        })
        .filter(|key| !unit_at.contains_key(key))
        .collect();
    next_to.par_sort_unstable();
    let around: FxHashSet<u64> = next_to
        .chunk_by(|a, b| a == b)
        .filter(|run| run.len() >= min_neighbours as usize)
        .map(|run| run[0])
        .collect();
    if around.is_empty() {
        return Vec::new();
    }
    // Every square of the grid is looked at once; a bit per hashed cell (16 KB, in
    // cache) answers "not next to enough flagged squares" for almost all of them before
    // the set is asked.
    let slot = |key: u64| (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - FILTER_BITS)) as usize;
    let mut filter = vec![0u64; (1 << FILTER_BITS) / 64];
    for &key in &around {
        filter[slot(key) / 64] |= 1 << (slot(key) % 64);
    }
    let maybe = |key: u64| filter[slot(key) / 64] & (1 << (slot(key) % 64)) != 0;
    (0..cells.len())
        .into_par_iter()
        .filter(|&i| {
            let key = cells[i].key();
            maybe(key) && around.contains(&key) && eligible(i)
        })
        .filter(|&i| {
            let c = cells[i];
            let same_unit = Connectivity::Eight
                .offsets()
                .iter()
                .filter(|&&(dx, dy)| unit_at.get(&Cell::new(c.x + dx, c.y + dy).key()) == Some(&unit_of[i]))
                .count();
            same_unit >= min_neighbours as usize
        })
        .map(|i| i as u32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(w: i32, h: i32) -> Vec<Cell> {
        (0..w).flat_map(|x| (0..h).map(move |y| Cell::new(x, y))).collect()
    }

    #[test]
    fn empty_grid_and_no_flag() {
        assert!(closed_squares(&[], &[], &[], |_| true, 5).is_empty());
        assert!(closed_squares(&block(3, 3), &[], &[0; 9], |_| true, 5).is_empty());
    }

    #[test]
    fn one_square_alone_takes_nothing_in() {
        let cells = block(3, 3);
        assert!(closed_squares(&cells, &[4], &[0; 9], |_| true, 5).is_empty());
    }

    #[test]
    fn a_hole_with_residents_is_taken_in() {
        let flagged: Vec<u32> = (0..9).filter(|&i| i != 4).collect();
        assert_eq!(closed_squares(&block(3, 3), &flagged, &[0; 9], |_| true, 8), vec![4]);
    }

    #[test]
    fn a_notch_needs_enough_neighbours() {
        // A 3 × 2 block flagged but for the middle of its top row: that square has 5
        // flagged neighbours (nothing lies above), so 5 takes it in and 6 does not.
        let cells = block(3, 2);
        // Cells are (x, y) in x-major order: (0,0) (0,1) (1,0) (1,1) (2,0) (2,1).
        let flagged = vec![0, 1, 2, 4, 5];
        assert_eq!(closed_squares(&cells, &flagged, &[0; 6], |_| true, 5), vec![3]);
        assert!(closed_squares(&cells, &flagged, &[0; 6], |_| true, 6).is_empty());
    }

    #[test]
    fn squares_touching_only_at_a_corner_count_as_neighbours() {
        // Flagged squares on the four corners of a 3 × 3 block: the centre has four
        // neighbours, all by a corner.
        let flagged = vec![0, 2, 6, 8];
        assert_eq!(closed_squares(&block(3, 3), &flagged, &[0; 9], |_| true, 4), vec![4]);
    }

    #[test]
    fn another_unit_or_an_ineligible_square_is_not_taken_in() {
        let flagged: Vec<u32> = (0..9).filter(|&i| i != 4).collect();
        let mut units = vec![0; 9];
        units[4] = 1;
        assert!(closed_squares(&block(3, 3), &flagged, &units, |_| true, 5).is_empty());
        assert!(closed_squares(&block(3, 3), &flagged, &[0; 9], |i| i != 4, 5).is_empty());
    }
}

//! Connected components of flagged squares (the INSEE "agrégats", METHOD.md §3).

use crate::Cell;
use rustc_hash::FxHashMap;

/// Which squares touch: by a side only (rook), or by a side or a corner (queen).
///
/// INSEE did not publish its choice (METHOD.md §3); the default is 8 neighbours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Connectivity {
    /// Squares sharing a side.
    Four,
    /// Squares sharing a side or a corner.
    #[default]
    Eight,
}

impl Connectivity {
    /// Neighbour offsets looked up from each square (one half of the neighbourhood;
    /// the other half is found from the other square).
    fn forward_offsets(self) -> &'static [(i32, i32)] {
        match self {
            Connectivity::Four => &[(1, 0), (0, 1)],
            Connectivity::Eight => &[(1, 0), (0, 1), (1, 1), (1, -1)],
        }
    }

    /// The connectivity of the background that goes with this one for foreground
    /// (4 with 8 and 8 with 4, so that outlines and holes are well defined).
    pub fn dual(self) -> Connectivity {
        match self {
            Connectivity::Four => Connectivity::Eight,
            Connectivity::Eight => Connectivity::Four,
        }
    }

    /// The connectivity of `n` neighbours (4 or 8), as the command line and settings
    /// files say it; `None` for any other number.
    ///
    /// ```
    /// use qpv_core::Connectivity;
    /// assert_eq!(Connectivity::from_neighbours(4), Some(Connectivity::Four));
    /// assert_eq!(Connectivity::Eight.neighbours(), 8);
    /// assert_eq!(Connectivity::from_neighbours(6), None);
    /// ```
    pub fn from_neighbours(n: u8) -> Option<Connectivity> {
        match n {
            4 => Some(Connectivity::Four),
            8 => Some(Connectivity::Eight),
            _ => None,
        }
    }

    /// The number of neighbours of a square: 4 or 8.
    pub fn neighbours(self) -> u8 {
        match self {
            Connectivity::Four => 4,
            Connectivity::Eight => 8,
        }
    }

    /// All neighbour offsets.
    pub fn offsets(self) -> &'static [(i32, i32)] {
        match self {
            Connectivity::Four => &[(1, 0), (0, 1), (-1, 0), (0, -1)],
            Connectivity::Eight => &[(1, 0), (0, 1), (-1, 0), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1)],
        }
    }
}

/// Groups `members` into connected components. `cells[m]` is the cell of member
/// `m`; two members are joined when they are neighbours and `group(m)` is equal
/// (squares of different urban units never join).
///
/// Components come back with their members in increasing order, sorted by first
/// member, so the result does not depend on hashing or thread count.
///
/// ```
/// use qpv_core::{connected_components, Cell, Connectivity};
/// let cells = [Cell::new(0, 0), Cell::new(1, 1), Cell::new(5, 5)];
/// let eight = connected_components(&cells, |_| 0, Connectivity::Eight);
/// assert_eq!(eight, vec![vec![0, 1], vec![2]]);
/// let four = connected_components(&cells, |_| 0, Connectivity::Four);
/// assert_eq!(four.len(), 3);
/// ```
pub fn connected_components(
    cells: &[Cell],
    group: impl Fn(usize) -> u32,
    connectivity: Connectivity,
) -> Vec<Vec<u32>> {
    let index: FxHashMap<u64, u32> = cells.iter().enumerate().map(|(i, c)| (c.key(), i as u32)).collect();
    let mut uf = UnionFind::new(cells.len());
    for (i, c) in cells.iter().enumerate() {
        for (dx, dy) in connectivity.forward_offsets() {
            let n = Cell::new(c.x + dx, c.y + dy);
            if let Some(&j) = index.get(&n.key())
                && group(i) == group(j as usize)
            {
                uf.union(i as u32, j);
            }
        }
    }
    let mut by_root: FxHashMap<u32, usize> = FxHashMap::default();
    let mut out: Vec<Vec<u32>> = Vec::new();
    for i in 0..cells.len() as u32 {
        let r = uf.find(i);
        let k = *by_root.entry(r).or_insert_with(|| {
            out.push(Vec::new());
            out.len() - 1
        });
        out[k].push(i);
    }
    out
}

/// Disjoint sets with path halving and union by size.
struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind { parent: (0..n as u32).collect(), size: vec![1; n] }
    }

    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = p;
        }
        x
    }

    fn union(&mut self, a: u32, b: u32) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a as usize] < self.size[b as usize] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b as usize] = a;
        self.size[a as usize] += self.size[b as usize];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(xy: &[(i32, i32)]) -> Vec<Cell> {
        xy.iter().map(|&(x, y)| Cell::new(x, y)).collect()
    }

    #[test]
    fn empty_grid_has_no_component() {
        assert!(connected_components(&[], |_| 0, Connectivity::Eight).is_empty());
    }

    #[test]
    fn one_square_is_one_component() {
        assert_eq!(connected_components(&cells(&[(3, 3)]), |_| 0, Connectivity::Four), vec![vec![0]]);
    }

    #[test]
    fn squares_touching_only_at_a_corner() {
        let c = cells(&[(0, 0), (1, 1), (2, 0)]);
        assert_eq!(connected_components(&c, |_| 0, Connectivity::Eight), vec![vec![0, 1, 2]]);
        assert_eq!(connected_components(&c, |_| 0, Connectivity::Four).len(), 3);
        // Anti-diagonal contact as well.
        let c = cells(&[(0, 1), (1, 0)]);
        assert_eq!(connected_components(&c, |_| 0, Connectivity::Eight).len(), 1);
    }

    #[test]
    fn different_units_never_join() {
        let c = cells(&[(0, 0), (1, 0), (2, 0)]);
        let groups = [7, 7, 8];
        let comps = connected_components(&c, |i| groups[i], Connectivity::Eight);
        assert_eq!(comps, vec![vec![0, 1], vec![2]]);
    }

    #[test]
    fn ring_with_a_hole_is_one_component() {
        let mut xy = Vec::new();
        for x in 0..3 {
            for y in 0..3 {
                if (x, y) != (1, 1) {
                    xy.push((x, y));
                }
            }
        }
        assert_eq!(connected_components(&cells(&xy), |_| 0, Connectivity::Four).len(), 1);
    }

    #[test]
    fn order_of_input_does_not_change_the_partition() {
        let a = cells(&[(0, 0), (5, 5), (1, 0), (6, 5), (9, 9)]);
        let mut b = a.clone();
        b.reverse();
        let norm = |cs: &[Cell], comps: Vec<Vec<u32>>| {
            let mut sets: Vec<Vec<Cell>> = comps
                .into_iter()
                .map(|m| {
                    let mut v: Vec<Cell> = m.into_iter().map(|i| cs[i as usize]).collect();
                    v.sort();
                    v
                })
                .collect();
            sets.sort();
            sets
        };
        assert_eq!(
            norm(&a, connected_components(&a, |_| 0, Connectivity::Eight)),
            norm(&b, connected_components(&b, |_| 0, Connectivity::Eight))
        );
    }
}

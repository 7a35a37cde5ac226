//! Stage 3b: cut a large continuous area into neighbourhood-sized quartiers (issue 20).
//!
//! In dense urban units contiguous low-income squares run on for kilometres: Roubaix,
//! Tourcoing and Wattrelos make one area of 90 000 inhabitants on the Nord grid, Plaine
//! Commune one of 440 000 nationally, where the official map draws 23 quartiers. The
//! decree asks for a "continuous urban area" (METHOD.md §2), not for the largest one;
//! INSEE's aggregates were then cut by the préfectures into the neighbourhoods people
//! know (METHOD.md §3, §6). This module draws those cuts from the data alone:
//!
//! 1. **Cores and valleys.** Each square's *local density* is the residents of the
//!    3 × 3 block of the area's squares around it (squares outside the area count 0,
//!    so a bridge one or two squares wide is low, which is what a morphological
//!    opening finds). The area is flooded from its densest squares down (a watershed):
//!    each local maximum starts a core, each square joins the core of its densest
//!    neighbour already flooded (steepest ascent), and two cores meet at a *saddle*,
//!    the highest local density on a path between them. Joining cores highest saddle
//!    first gives the area's merge tree; its root is the whole area.
//! 2. **Cut the tree where the data says so.** From the root down, a node is cut in
//!    its two branches when the saddle between them lies at least `depth` below the
//!    lower branch's peak (a real valley, [`SplitSettings::depth`]), when it holds more
//!    than [`SplitSettings::max_inhabitants`] (a neighbourhood is not a town: it is
//!    then cut at its weakest link, the lowest saddle), or, with
//!    [`SplitSettings::at_communes`], when the saddle crosses a commune boundary
//!    (cores are then flooded within one commune).
//! 3. **Every part passes alone.** A branch that does not pass the decree on its own
//!    residents (fewer than 1 000 inhabitants, pooled median not below the threshold)
//!    is not cut off: it stays with the part of its sibling it shares the highest
//!    saddle with, and the sibling is cut further. No square is dropped: the parts
//!    cover the area. (A branch that stays can tip its part over the threshold when it
//!    holds richer squares that closing took in; the grouping stage then keeps the area
//!    whole, `candidate.rs`.)
//!
//! ```
//! use qpv_core::{Cell, Connectivity};
//! use qpv_core::split::{split_zone, SplitSettings};
//! // Two dense blocks of 3 × 3 squares joined by a bridge two squares long.
//! let mut cells: Vec<Cell> = (0..3).flat_map(|x| (0..3).map(move |y| Cell::new(x, y))).collect();
//! cells.extend((0..3).flat_map(|x| (0..3).map(move |y| Cell::new(x + 5, y))));
//! cells.extend([Cell::new(3, 1), Cell::new(4, 1)]);
//! let residents = vec![300.0; cells.len()];
//! let communes = vec![0; cells.len()];
//! let settings = SplitSettings { depth: 0.3, ..SplitSettings::default() };
//! let parts = split_zone(&cells, &residents, &communes, Connectivity::Eight, &settings,
//!     |part| part.iter().map(|&k| residents[k]).sum::<f64>() >= 1_000.0);
//! assert_eq!(parts.len(), 2);
//! ```

use crate::{Cell, Connectivity};
use rustc_hash::FxHashMap;

/// How large areas are cut into quartiers (`--split-depth`, `--split-max`,
/// `--split-at-communes`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SplitSettings {
    /// The relative drop of local density, from the lower of two cores' peaks to the
    /// saddle between them, from which they are two quartiers (0 < depth ≤ 1; 1 never
    /// cuts on density).
    pub depth: f64,
    /// A part with more inhabitants than this is cut at its lowest saddle even where
    /// density does not drop (`f64::INFINITY`: never).
    pub max_inhabitants: f64,
    /// Whether a commune boundary always separates two cores.
    pub at_communes: bool,
}

impl Default for SplitSettings {
    /// The defaults measured on Nord (`benches/RESULTS.md`, "Quartier scale").
    fn default() -> Self {
        SplitSettings { depth: 0.6, max_inhabitants: 20_000.0, at_communes: false }
    }
}

/// Cuts one connected area into parts that each pass `passes`.
///
/// `cells`, `residents` and `communes` describe the area's squares (`communes[k]` is
/// any id of square `k`'s commune); `passes` tells whether a set of squares (indices
/// into those slices) passes the decree alone. Returns the parts, each sorted, ordered
/// by their first square; one part holding everything when no cut is found.
pub fn split_zone(
    cells: &[Cell],
    residents: &[f64],
    communes: &[u32],
    connectivity: Connectivity,
    settings: &SplitSettings,
    passes: impl FnMut(&[usize]) -> bool,
) -> Vec<Vec<usize>> {
    let n = cells.len();
    if n < 2 {
        return vec![(0..n).collect()];
    }
    let index: FxHashMap<u64, usize> = cells.iter().enumerate().map(|(k, c)| (c.key(), k)).collect();
    let index = &index;
    let around = move |k: usize, offsets: &'static [(i32, i32)]| {
        let c = cells[k];
        offsets.iter().filter_map(move |&(dx, dy)| index.get(&Cell::new(c.x + dx, c.y + dy).key()).copied())
    };
    let density: Vec<f64> = (0..n)
        .map(|k| residents[k] + around(k, Connectivity::Eight.offsets()).map(|j| residents[j]).sum::<f64>())
        .collect();
    let (core_of, peaks, saddles) = watershed(cells, communes, &density, settings.at_communes, |k| {
        around(k, connectivity.offsets()).collect::<Vec<_>>()
    });
    let mut squares_of_core: Vec<Vec<usize>> = vec![Vec::new(); peaks.len()];
    for (k, &c) in core_of.iter().enumerate() {
        squares_of_core[c].push(k);
    }
    let tree = MergeTree::build(&peaks, &saddles, &squares_of_core, residents);
    let mut cutter = Cutter {
        tree: &tree,
        settings,
        saddles: &saddles,
        squares_of_core: &squares_of_core,
        passes,
        verdicts: FxHashMap::default(),
    };
    let mut parts: Vec<Vec<usize>> =
        cutter.cut(tree.root()).iter().map(|cores| squares_of(cores, &squares_of_core)).collect();
    parts.sort_by_key(|p| p[0]);
    parts
}

/// The squares of some cores, sorted.
fn squares_of(cores: &[usize], squares_of_core: &[Vec<usize>]) -> Vec<usize> {
    let mut squares: Vec<usize> = cores.iter().flat_map(|&c| squares_of_core[c].iter().copied()).collect();
    squares.sort_unstable();
    squares
}

/// A saddle between two cores: its level, the cores, whether it crosses communes.
type Saddle = (f64, usize, usize, bool);

/// Floods the squares from the densest down. Returns each square's core, each core's
/// peak, and the saddles between cores, highest first.
fn watershed(
    cells: &[Cell],
    communes: &[u32],
    density: &[f64],
    at_communes: bool,
    neighbours: impl Fn(usize) -> Vec<usize>,
) -> (Vec<usize>, Vec<f64>, Vec<Saddle>) {
    let n = cells.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| density[b].total_cmp(&density[a]).then(cells[a].cmp(&cells[b])));
    let mut core_of = vec![usize::MAX; n];
    let mut peaks: Vec<f64> = Vec::new();
    let mut saddles: FxHashMap<(usize, usize), (f64, bool)> = FxHashMap::default();
    for &k in &order {
        let flooded: Vec<usize> = neighbours(k).into_iter().filter(|&j| core_of[j] != usize::MAX).collect();
        // Within a commune when communes separate, so that no core straddles a boundary.
        let joinable = |j: &&usize| !at_communes || communes[**j] == communes[k];
        // Steepest ascent: the core of the densest neighbour already flooded.
        let main = flooded
            .iter()
            .filter(joinable)
            .min_by(|&&a, &&b| density[b].total_cmp(&density[a]).then(cells[a].cmp(&cells[b])))
            .map(|&j| core_of[j]);
        let core = main.unwrap_or_else(|| {
            peaks.push(density[k]);
            peaks.len() - 1
        });
        core_of[k] = core;
        for &j in &flooded {
            let other = core_of[j];
            if other != core {
                let across = communes[j] != communes[k];
                let entry = saddles.entry((core.min(other), core.max(other))).or_insert((density[k], across));
                // The first meeting is the highest; a same-commune contact wins a tie.
                entry.1 &= across;
            }
        }
    }
    let mut list: Vec<Saddle> =
        saddles.into_iter().map(|((a, b), (level, across))| (level, a, b, across)).collect();
    list.sort_by(|x, y| y.0.total_cmp(&x.0).then((x.1, x.2).cmp(&(y.1, y.2))));
    (core_of, peaks, list)
}

/// A node of the merge tree: a core (leaf) or the join of two branches at a saddle.
struct Node {
    /// The two branches, for a join.
    branches: Option<(usize, usize)>,
    /// Saddle level of a join; the peak of a leaf.
    level: f64,
    /// Highest local density below the node.
    peak: f64,
    /// Whether the join's saddle crosses a commune boundary.
    across: bool,
    /// Residents below the node.
    residents: f64,
    /// Cores below the node.
    cores: Vec<usize>,
}

/// The cores joined highest saddle first (a watershed's merge tree).
struct MergeTree {
    nodes: Vec<Node>,
}

impl MergeTree {
    fn build(
        peaks: &[f64],
        saddles: &[Saddle],
        squares_of_core: &[Vec<usize>],
        residents: &[f64],
    ) -> MergeTree {
        let mut nodes: Vec<Node> = (0..peaks.len())
            .map(|c| Node {
                branches: None,
                level: peaks[c],
                peak: peaks[c],
                across: false,
                residents: squares_of_core[c].iter().map(|&k| residents[k]).sum(),
                cores: vec![c],
            })
            .collect();
        // Union-find over cores; `top[root]` is the tree node of the root's group.
        let mut parent: Vec<usize> = (0..peaks.len()).collect();
        let mut top: Vec<usize> = (0..peaks.len()).collect();
        fn find(parent: &mut [usize], mut a: usize) -> usize {
            while parent[a] != a {
                parent[a] = parent[parent[a]];
                a = parent[a];
            }
            a
        }
        for &(level, a, b, across) in saddles {
            let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
            if ra == rb {
                continue;
            }
            let (x, y) = (top[ra], top[rb]);
            let mut cores = nodes[x].cores.clone();
            cores.extend_from_slice(&nodes[y].cores);
            nodes.push(Node {
                branches: Some((x, y)),
                level,
                peak: nodes[x].peak.max(nodes[y].peak),
                across,
                residents: nodes[x].residents + nodes[y].residents,
                cores,
            });
            let (keep, gone) = (ra.min(rb), ra.max(rb));
            parent[gone] = keep;
            top[keep] = nodes.len() - 1;
        }
        MergeTree { nodes }
    }

    /// The whole area (the last join; the only core when there is one).
    fn root(&self) -> usize {
        self.nodes.len() - 1
    }
}

/// Cuts the merge tree from the root down.
struct Cutter<'a, F> {
    tree: &'a MergeTree,
    settings: &'a SplitSettings,
    saddles: &'a [Saddle],
    squares_of_core: &'a [Vec<usize>],
    passes: F,
    verdicts: FxHashMap<usize, bool>,
}

impl<F: FnMut(&[usize]) -> bool> Cutter<'_, F> {
    /// The parts of node `at`, as lists of cores.
    fn cut(&mut self, at: usize) -> Vec<Vec<usize>> {
        let node = &self.tree.nodes[at];
        let Some((x, y)) = node.branches else { return vec![node.cores.clone()] };
        let lower = self.tree.nodes[x].peak.min(self.tree.nodes[y].peak);
        let valley = lower > 0.0 && node.level <= (1.0 - self.settings.depth) * lower;
        let wanted = valley
            || node.residents > self.settings.max_inhabitants
            || (node.across && self.settings.at_communes);
        if !wanted {
            return vec![node.cores.clone()];
        }
        match (self.alone(x), self.alone(y)) {
            (true, true) => {
                let mut parts = self.cut(x);
                parts.extend(self.cut(y));
                parts
            }
            (true, false) => {
                let parts = self.cut(x);
                self.attach(parts, y)
            }
            (false, true) => {
                let parts = self.cut(y);
                self.attach(parts, x)
            }
            (false, false) => vec![node.cores.clone()],
        }
    }

    /// Whether branch `at` passes the decree on its own residents.
    fn alone(&mut self, at: usize) -> bool {
        if let Some(&v) = self.verdicts.get(&at) {
            return v;
        }
        let v = (self.passes)(&squares_of(&self.tree.nodes[at].cores, self.squares_of_core));
        self.verdicts.insert(at, v);
        v
    }

    /// Adds the cores of branch `failing` to the part it shares its highest saddle with.
    fn attach(&self, mut parts: Vec<Vec<usize>>, failing: usize) -> Vec<Vec<usize>> {
        let extra = &self.tree.nodes[failing].cores;
        let part_of: FxHashMap<usize, usize> =
            parts.iter().enumerate().flat_map(|(p, cores)| cores.iter().map(move |&c| (c, p))).collect();
        let is_extra = |c: usize| extra.contains(&c);
        let target = self.saddles.iter().find_map(|&(_, a, b, _)| match (is_extra(a), is_extra(b)) {
            (true, false) => part_of.get(&b).copied(),
            (false, true) => part_of.get(&a).copied(),
            _ => None,
        });
        parts[target.unwrap_or(0)].extend_from_slice(extra);
        parts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEEP: SplitSettings =
        SplitSettings { depth: 0.3, max_inhabitants: f64::INFINITY, at_communes: false };

    fn block(x0: i32, y0: i32, w: i32, h: i32) -> Vec<Cell> {
        (x0..x0 + w).flat_map(|x| (y0..y0 + h).map(move |y| Cell::new(x, y))).collect()
    }

    fn split(
        cells: &[Cell],
        residents: &[f64],
        communes: &[u32],
        settings: SplitSettings,
    ) -> Vec<Vec<usize>> {
        split_zone(cells, residents, communes, Connectivity::Eight, &settings, |p| {
            p.iter().map(|&k| residents[k]).sum::<f64>() >= 1_000.0
        })
    }

    /// Two 3×3 blocks of 300 residents a square and a bridge of two squares between
    /// them (a one-square bridge is no valley once densities are taken over 3 × 3).
    fn dumbbell(bridge: f64) -> (Vec<Cell>, Vec<f64>) {
        let mut cells = block(0, 0, 3, 3);
        cells.extend(block(5, 0, 3, 3));
        cells.extend([Cell::new(3, 1), Cell::new(4, 1)]);
        let mut residents = vec![300.0; 18];
        residents.extend([bridge, bridge]);
        (cells, residents)
    }

    #[test]
    fn empty_area_and_one_square() {
        assert_eq!(split(&[], &[], &[], DEEP), vec![Vec::<usize>::new()]);
        assert_eq!(split(&[Cell::new(0, 0)], &[2_000.0], &[0], DEEP), vec![vec![0]]);
    }

    #[test]
    fn a_thin_bridge_separates_two_cores() {
        let (cells, residents) = dumbbell(300.0);
        let parts = split(&cells, &residents, &[0; 20], DEEP);
        assert_eq!(parts.len(), 2);
        // The bridge square goes with one of the two; nothing is dropped.
        assert_eq!(parts.iter().map(Vec::len).sum::<usize>(), 20);
    }

    #[test]
    fn a_shallow_valley_does_not_separate() {
        // A full 7×3 block: density drops only at the rim, never between cores.
        let cells = block(0, 0, 7, 3);
        let residents = vec![300.0; cells.len()];
        assert_eq!(split(&cells, &residents, &[0; 21], DEEP).len(), 1);
        // A deeper threshold than any drop keeps the dumbbell whole.
        let (cells, residents) = dumbbell(300.0);
        let whole = SplitSettings { depth: 0.9, ..DEEP };
        assert_eq!(split(&cells, &residents, &[0; 20], whole).len(), 1);
    }

    #[test]
    fn a_part_that_fails_alone_joins_its_neighbour() {
        // The right block holds 9 × 100 = 900 residents: below the floor on its own.
        let (cells, mut residents) = dumbbell(100.0);
        for r in residents.iter_mut().skip(9).take(9) {
            *r = 100.0;
        }
        assert_eq!(split(&cells, &residents, &[0; 20], DEEP), vec![(0..20).collect::<Vec<_>>()]);
    }

    #[test]
    fn squares_touching_only_at_a_corner_meet_at_a_saddle() {
        // Two 3×3 blocks joined corner to corner: one zone under 8 neighbours, and the
        // corner is a thin bridge.
        let mut cells = block(0, 0, 3, 3);
        cells.extend(block(3, 3, 3, 3));
        let residents = vec![300.0; 18];
        assert_eq!(split(&cells, &residents, &[0; 18], DEEP).len(), 2);
    }

    #[test]
    fn a_commune_boundary_separates_when_asked() {
        // A full 6×3 block, the left half in commune 1, the right in commune 2.
        let cells = block(0, 0, 6, 3);
        let residents = vec![300.0; 18];
        let communes: Vec<u32> = cells.iter().map(|c| if c.x < 3 { 1 } else { 2 }).collect();
        assert_eq!(split(&cells, &residents, &communes, DEEP).len(), 1);
        let at = SplitSettings { at_communes: true, ..DEEP };
        let parts = split(&cells, &residents, &communes, at);
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| p.iter().all(|&k| communes[k] == communes[p[0]])));
    }

    #[test]
    fn a_hole_does_not_cut_a_ring() {
        // A ring of squares around an empty centre: one core, one part.
        let cells: Vec<Cell> = block(0, 0, 5, 5).into_iter().filter(|c| !(c.x == 2 && c.y == 2)).collect();
        let residents = vec![200.0; cells.len()];
        assert_eq!(split(&cells, &residents, &vec![0; cells.len()], DEEP).len(), 1);
    }
}

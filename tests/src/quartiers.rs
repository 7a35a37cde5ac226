//! Candidates against official perimeters on the 200 m lattice (issue 20): the measures
//! of `benches/quartiers.sh` and of `tests/tests/quartier_scale.rs`, written once.
//!
//! Each perimeter is taken as the squares whose centre it contains, weighted by the
//! grid's individuals.

use qpv_core::compare::Perimeters;
use qpv_core::lattice::cells_with_centre_inside;
use qpv_core::{Cell, Grid};
use std::collections::HashMap;

/// How a set of candidates matches a set of official perimeters.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// Candidates.
    pub candidates: usize,
    /// Official perimeters.
    pub official: usize,
    /// Official perimeters holding at least one square centre.
    pub official_inhabited: usize,
    /// Residents of the candidate squares.
    pub candidate_residents: f64,
    /// Share of the candidates' residents inside official perimeters.
    pub precision: f64,
    /// Share of the official perimeters' residents inside candidates.
    pub recall: f64,
    /// Official quartiers with more than half their residents in one candidate.
    pub found: usize,
    /// Candidates with more than half their residents in one official quartier.
    pub true_single: usize,
    /// Candidates with more than half their residents in the official perimeters together.
    pub true_union: usize,
    /// Residents of the largest candidate.
    pub largest: f64,
    /// The most official quartiers (more than half their residents) in one candidate.
    pub most_held: usize,
    /// Candidates over 20 000 residents.
    pub over_20k: usize,
}

impl Score {
    /// The harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        2.0 * self.precision * self.recall / (self.precision + self.recall)
    }

    /// |official − candidates| / official.
    pub fn count_error(&self) -> f64 {
        (self.official as f64 - self.candidates as f64).abs() / self.official as f64
    }

    /// One Markdown table row, labelled.
    pub fn row(&self, label: &str) -> String {
        let pct = |a: usize, b: usize| 100.0 * a as f64 / b.max(1) as f64;
        format!(
            "| {label} | {} | {:.0} | {:.3} | {:.3} | **{:.3}** | {}/{} ({:.1} %) | {}/{} ({:.1} %) [{:.1} %] | {:.0} | {} | {} | {:.3} |",
            self.candidates,
            self.candidate_residents,
            self.precision,
            self.recall,
            self.f1(),
            self.found,
            self.official_inhabited,
            pct(self.found, self.official_inhabited),
            self.true_single,
            self.candidates,
            pct(self.true_single, self.candidates),
            pct(self.true_union, self.candidates),
            self.largest,
            self.most_held,
            self.over_20k,
            self.count_error(),
        )
    }
}

/// Each perimeter's squares (grid indices), by centre inside.
fn squares_of(grid: &Grid, perimeters: &Perimeters, lookup: &HashMap<Cell, u32>) -> Vec<Vec<u32>> {
    let size = grid.frame().map_or(200.0, |f| f.square_size as f64);
    perimeters
        .shapes
        .iter()
        .map(|shape| {
            cells_with_centre_inside(shape, size).iter().filter_map(|c| lookup.get(c).copied()).collect()
        })
        .collect()
}

/// For each square, the perimeter holding it (the first, if several do).
fn owner(len: usize, sets: &[Vec<u32>]) -> Vec<Option<u32>> {
    let mut out = vec![None; len];
    for (k, set) in sets.iter().enumerate() {
        for &i in set {
            out[i as usize].get_or_insert(k as u32);
        }
    }
    out
}

/// Scores `candidates` against `official`, both in the grid's CRS.
pub fn score(grid: &Grid, official: &Perimeters, candidates: &Perimeters) -> Score {
    let lookup: HashMap<Cell, u32> = grid.cells().iter().enumerate().map(|(i, &c)| (c, i as u32)).collect();
    let ind = |i: u32| grid.values()[i as usize].individuals;
    let off_sets = squares_of(grid, official, &lookup);
    let cand_sets = squares_of(grid, candidates, &lookup);
    let (off_of, cand_of) = (owner(grid.len(), &off_sets), owner(grid.len(), &cand_sets));
    let all = 0..grid.len() as u32;
    let total = |owners: &[Option<u32>]| -> f64 {
        all.clone().filter(|&i| owners[i as usize].is_some()).map(ind).sum()
    };
    let both: f64 =
        all.clone().filter(|&i| off_of[i as usize].is_some() && cand_of[i as usize].is_some()).map(ind).sum();
    // Residents shared by each (official, candidate) pair.
    let mut shared: HashMap<(u32, u32), f64> = HashMap::new();
    for i in all.clone() {
        if let (Some(o), Some(c)) = (off_of[i as usize], cand_of[i as usize]) {
            *shared.entry((o, c)).or_default() += ind(i);
        }
    }
    let residents = |set: &Vec<u32>| -> f64 { set.iter().map(|&i| ind(i)).sum() };
    let off_res: Vec<f64> = off_sets.iter().map(residents).collect();
    let cand_res: Vec<f64> = cand_sets.iter().map(residents).collect();
    let mut best_cand = vec![0.0f64; off_sets.len()];
    let mut best_off = vec![0.0f64; cand_sets.len()];
    let mut held = vec![0usize; cand_sets.len()];
    for (&(o, c), &s) in &shared {
        best_cand[o as usize] = best_cand[o as usize].max(s);
        best_off[c as usize] = best_off[c as usize].max(s);
        if s > 0.5 * off_res[o as usize] {
            held[c as usize] += 1;
        }
    }
    let in_official = |c: usize| -> f64 {
        cand_sets[c].iter().filter(|&&i| off_of[i as usize].is_some()).map(|&i| ind(i)).sum()
    };
    let candidate_residents = total(&cand_of);
    Score {
        candidates: candidates.len(),
        official: official.len(),
        official_inhabited: off_res.iter().filter(|&&r| r > 0.0).count(),
        candidate_residents,
        precision: both / candidate_residents,
        recall: both / total(&off_of),
        found: (0..off_sets.len()).filter(|&o| off_res[o] > 0.0 && best_cand[o] > 0.5 * off_res[o]).count(),
        true_single: (0..cand_sets.len()).filter(|&c| best_off[c] > 0.5 * cand_res[c]).count(),
        true_union: (0..cand_sets.len()).filter(|&c| in_official(c) > 0.5 * cand_res[c]).count(),
        largest: cand_res.iter().cloned().fold(0.0, f64::max),
        most_held: held.iter().copied().max().unwrap_or(0),
        over_20k: cand_res.iter().filter(|&&r| r > 20_000.0).count(),
    }
}

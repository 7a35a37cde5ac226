//! Stage 4: adjusted perimeters. Analysts redraw the statistical candidates with
//! mayors (METHOD.md §6): REP/REP+ schools brought inside, renewal (ANRU) areas kept
//! whole, squares or drawn areas added or removed, quartiers merged, split or
//! renamed. Every edit is applied to lattice cells, re-checked against the rule
//! (≥ 1 000 inhabitants, pooled median below S, one continuous area, one urban unit:
//! [`crate::verdict`]) and recorded with its effect. Squares are never dropped
//! silently: a square taken from another perimeter is recorded as moved, and that
//! perimeter is re-checked too. A perimeter read from a file keeps its drawn line
//! ([`crate::drawn`]): it is judged on the line, and edits move whole squares in or out.

mod figures;
mod schools;

pub use figures::Figures;
pub use schools::{DEFAULT_SCHOOL_DISTANCE_M, SchoolOutcome};

use crate::drawn::Drawn;
use crate::income::LogNormal;
use crate::medians::fit_square;
use crate::verdict::Judging;
use crate::{Cell, Connectivity, FlaggedSquares, Grid, IncomeModel, Placement, Rule};
use geo_types::MultiPolygon;
use rustc_hash::FxHashMap;
use std::collections::BTreeSet;

/// A perimeter being adjusted: resident squares and uninhabited cells.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Perimeter {
    /// Identifier (the candidate's, or given by a split or rename).
    pub id: String,
    /// A name given by the analyst (empty until renamed).
    pub name: String,
    /// Grid indices of its squares with residents.
    pub squares: BTreeSet<u32>,
    /// Cells without residents (filled holes, school sites, roads between).
    pub empty: BTreeSet<Cell>,
    /// The lines as drawn, for a perimeter read from a file (one per perimeter merged
    /// into it); empty on the lattice. `squares` and `empty` then hold the cells whose
    /// centre is inside, the lattice version every edit works on.
    pub drawn: Vec<Drawn>,
}

impl Perimeter {
    /// All its cells.
    pub fn cells(&self, grid: &Grid) -> Vec<Cell> {
        let mut cells: Vec<Cell> = self.squares.iter().map(|&i| grid.cells()[i as usize]).collect();
        cells.extend(self.empty.iter().copied());
        cells
    }
}

/// One line of the audit table.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// 1-based step in the edits file.
    pub step: usize,
    /// Operation name.
    pub op: String,
    /// Perimeter concerned.
    pub target: String,
    /// What was done (school, area, squares moved from…).
    pub detail: String,
    /// Figures before (none for a new perimeter).
    pub before: Option<Figures>,
    /// Figures after (none for a perimeter merged away).
    pub after: Option<Figures>,
    /// Cells added.
    pub added: usize,
    /// Cells removed.
    pub removed: usize,
}

impl AuditEntry {
    /// A warning when the perimeter does not meet the rule after the step: "no longer"
    /// when it did before, "does not" for a perimeter the step made (split, create);
    /// "cannot be decided" when the public grid cannot tell.
    pub fn warning(&self) -> Option<String> {
        use crate::verdict::State;
        let after = self.after.as_ref()?;
        let before = self.before.as_ref().map(|b| b.verdict.state());
        let how = match (after.verdict.state(), before) {
            (State::Meets, _) => return None,
            (State::Fails, Some(State::Fails)) => "still does not meet the rule",
            (State::Fails, Some(_)) => "no longer meets the rule",
            (State::Fails, None) => "does not meet the rule",
            (State::Undecided, _) => "cannot be decided against the rule",
        };
        Some(format!("{} {how}: {}", self.target, after.problems().join("; ")))
    }
}

/// Why an edit cannot be applied. Raised before anything is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdjustError {
    /// No perimeter has this id.
    #[error("step {step}: no perimeter is called {id:?}; known: {known}")]
    UnknownPerimeter {
        /// Step.
        step: usize,
        /// The id asked for.
        id: String,
        /// Ids that exist.
        known: String,
    },
    /// An id is already taken.
    #[error("step {step}: a perimeter is already called {id:?}")]
    IdTaken {
        /// Step.
        step: usize,
        /// The id.
        id: String,
    },
    /// An operation would leave a perimeter with no cell.
    #[error("step {step}: this would leave {id:?} empty; remove the perimeter instead of all its squares")]
    WouldEmpty {
        /// Step.
        step: usize,
        /// The perimeter.
        id: String,
    },
    /// The operation selects nothing.
    #[error("step {step}: {what} selects no square of {id:?}")]
    NothingSelected {
        /// Step.
        step: usize,
        /// The perimeter.
        id: String,
        /// The selection.
        what: String,
    },
}

/// The squares of a grid by cell. [`Adjuster::new`] builds one; a caller that replays
/// steps many times on one grid (`qpv serve`, at every edit) builds it once and passes
/// it to [`Adjuster::new_with`] or [`Adjuster::from_lines`]: a national grid's
/// takes 0.2 s to build, more than the steps themselves.
#[derive(Debug, Clone, Default)]
pub struct CellLookup(FxHashMap<u64, u32>);

impl CellLookup {
    /// The lookup of `grid`'s squares.
    pub fn new(grid: &Grid) -> Self {
        CellLookup(grid.cells().iter().enumerate().map(|(i, c)| (c.key(), i as u32)).collect())
    }

    /// The square at a cell, if inhabited.
    pub fn get(&self, cell: Cell) -> Option<u32> {
        self.0.get(&cell.key()).copied()
    }
}

/// Applies edits to perimeters, keeping the audit.
pub struct Adjuster<'a> {
    grid: &'a Grid,
    placement: &'a Placement,
    flagged: &'a FlaggedSquares,
    rule: Rule,
    model: IncomeModel,
    connectivity: Connectivity,
    judging: Judging,
    by_cell: std::borrow::Cow<'a, CellLookup>,
    size: f64,
    /// The perimeters, in order.
    pub perimeters: Vec<Perimeter>,
    /// One entry per perimeter touched by each step.
    pub audit: Vec<AuditEntry>,
    /// Outcome of each school of `include_schools` steps (final after
    /// [`Adjuster::finish`]).
    pub schools: Vec<SchoolOutcome>,
    /// What an edit did that the analyst must hear of (a school taken out).
    pub warnings: Vec<String>,
}

impl<'a> Adjuster<'a> {
    /// Starts from the statistical candidates of a run (`ids[k]` names candidate `k`).
    pub fn new(
        grid: &'a Grid,
        run: &'a crate::RunOutput,
        ids: &[String],
        settings: &crate::RunSettings,
    ) -> Self {
        Adjuster::starting(grid, run, settings, std::borrow::Cow::Owned(CellLookup::new(grid)))
            .candidates(run, ids)
    }

    /// [`Adjuster::new`] with the grid's lookup built beforehand.
    pub fn new_with(
        grid: &'a Grid,
        run: &'a crate::RunOutput,
        ids: &[String],
        settings: &crate::RunSettings,
        lookup: &'a CellLookup,
    ) -> Self {
        Adjuster::starting(grid, run, settings, std::borrow::Cow::Borrowed(lookup)).candidates(run, ids)
    }

    fn candidates(self, run: &crate::RunOutput, ids: &[String]) -> Self {
        let mut a = self;
        a.perimeters = run
            .candidates
            .candidates
            .iter()
            .zip(ids)
            .map(|(c, id)| Perimeter {
                id: id.clone(),
                name: String::new(),
                squares: c.area.squares.iter().copied().collect(),
                empty: c.area.filled.iter().copied().collect(),
                drawn: Vec::new(),
            })
            .collect();
        a
    }

    /// Starts from perimeters given as lattice cells `(id, name, cells)`, checked and
    /// adjusted exactly as candidates are (a file's perimeters keep their lines:
    /// [`Adjuster::from_drawn`]).
    pub fn from_cells(
        grid: &'a Grid,
        run: &'a crate::RunOutput,
        settings: &crate::RunSettings,
        perimeters: Vec<(String, String, Vec<Cell>)>,
    ) -> Self {
        Adjuster::starting(grid, run, settings, std::borrow::Cow::Owned(CellLookup::new(grid)))
            .cells(perimeters)
    }

    /// Starts from perimeters as drawn in a file `(id, name, polygons in the grid's CRS)`:
    /// judged on their lines, edited on the cells whose centre each contains (see
    /// [`crate::drawn`]). A line that cuts no square is taken on the lattice, exactly.
    pub fn from_drawn(
        grid: &'a Grid,
        run: &'a crate::RunOutput,
        settings: &crate::RunSettings,
        perimeters: Vec<(String, String, MultiPolygon<f64>)>,
        lookup: Option<&'a CellLookup>,
    ) -> Self {
        let size = grid.frame().map_or(200.0, |f| f.square_size as f64);
        let tolerance = settings.judging.continuity_gap_m;
        let lines = perimeters
            .into_iter()
            .map(|(id, name, shape)| {
                let (cells, drawn) = Drawn::measure(shape, size, tolerance);
                (id, name, cells, drawn)
            })
            .collect();
        Adjuster::from_lines(grid, run, settings, lines, lookup)
    }

    /// Starts from lines already measured `(id, name, cells whose centre is inside,
    /// line)`: `qpv serve` measures a file's once, then replays the steps on them at
    /// every edit, with the grid's lookup built once.
    pub fn from_lines(
        grid: &'a Grid,
        run: &'a crate::RunOutput,
        settings: &crate::RunSettings,
        lines: Vec<(String, String, Vec<Cell>, Option<Drawn>)>,
        lookup: Option<&'a CellLookup>,
    ) -> Self {
        let by_cell = match lookup {
            Some(l) => std::borrow::Cow::Borrowed(l),
            None => std::borrow::Cow::Owned(CellLookup::new(grid)),
        };
        Adjuster::starting(grid, run, settings, by_cell).lines(lines)
    }

    fn lines(self, lines: Vec<(String, String, Vec<Cell>, Option<Drawn>)>) -> Self {
        let mut cells = Vec::with_capacity(lines.len());
        let mut drawn = Vec::with_capacity(lines.len());
        for (id, name, c, d) in lines {
            cells.push((id, name, c));
            drawn.push(d);
        }
        let mut a = self.cells(cells);
        for (p, d) in a.perimeters.iter_mut().zip(drawn) {
            p.drawn.extend(d);
        }
        a
    }

    fn cells(self, perimeters: Vec<(String, String, Vec<Cell>)>) -> Self {
        let mut a = self;
        a.perimeters = perimeters
            .into_iter()
            .map(|(id, name, cells)| {
                let mut p = Perimeter { id, name, ..Perimeter::default() };
                for c in cells {
                    match a.square_at(c) {
                        Some(i) => p.squares.insert(i),
                        None => p.empty.insert(c),
                    };
                }
                p
            })
            .collect();
        a
    }

    fn starting(
        grid: &'a Grid,
        run: &'a crate::RunOutput,
        settings: &crate::RunSettings,
        by_cell: std::borrow::Cow<'a, CellLookup>,
    ) -> Self {
        let (rule, model, connectivity) = (settings.rule, settings.model, settings.grouping.connectivity);
        let judging = settings.judging;
        let size = grid.frame().map_or(200.0, |f| f.square_size as f64);
        Adjuster {
            grid,
            placement: &run.placement,
            flagged: &run.flagged,
            rule,
            model,
            connectivity,
            judging,
            by_cell,
            size,
            perimeters: Vec::new(),
            audit: Vec::new(),
            schools: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The square at a cell, if inhabited.
    pub fn square_at(&self, cell: Cell) -> Option<u32> {
        self.by_cell.get(cell)
    }

    fn fit(&self, i: u32) -> Option<LogNormal> {
        let i = i as usize;
        self.flagged.fits[i].or_else(|| {
            fit_square(&self.model, &self.grid.values()[i], self.flagged.poverty_line).map(|f| f.0)
        })
    }

    fn find(&self, step: usize, id: &str) -> Result<usize, AdjustError> {
        self.perimeters.iter().position(|p| p.id == id).ok_or_else(|| AdjustError::UnknownPerimeter {
            step,
            id: id.to_owned(),
            known: self.perimeters.iter().map(|p| p.id.as_str()).collect::<Vec<_>>().join(", "),
        })
    }

    fn entry(&self, step: usize, op: &str, k: usize, detail: String, before: Option<Figures>) -> AuditEntry {
        let p = &self.perimeters[k];
        AuditEntry {
            step,
            op: op.to_owned(),
            target: p.id.clone(),
            detail,
            before,
            after: Some(self.figures(p)),
            added: 0,
            removed: 0,
        }
    }

    /// Adds cells to perimeter `id`. Squares of other perimeters are moved (and those
    /// re-checked).
    pub fn add(
        &mut self,
        step: usize,
        op: &str,
        id: &str,
        cells: &[Cell],
        detail: &str,
    ) -> Result<usize, AdjustError> {
        let k = self.find(step, id)?;
        let before = self.figures(&self.perimeters[k]);
        let mut moved: FxHashMap<usize, usize> = FxHashMap::default();
        let mut added = 0;
        for &cell in cells {
            if self.holds(&self.perimeters[k], cell) {
                continue;
            }
            // The perimeter holding the cell, or any whose drawn line covers part of it
            // from outside: the square joins whole, so it leaves them.
            for (o, p) in self.perimeters.iter().enumerate() {
                if o != k && (self.holds(p, cell) || p.drawn.iter().any(|d| d.counts_outside(cell))) {
                    *moved.entry(o).or_default() += 1;
                }
            }
            added += 1;
        }
        let mut moved: Vec<(usize, usize)> = moved.into_iter().collect();
        moved.sort();
        let others_before: Vec<Figures> =
            moved.iter().map(|(o, _)| self.figures(&self.perimeters[*o])).collect();
        for &cell in cells {
            let (sq, em) = (self.square_at(cell), cell);
            for (o, p) in self.perimeters.iter_mut().enumerate() {
                if o != k {
                    match sq {
                        Some(i) => p.squares.remove(&i),
                        None => p.empty.remove(&em),
                    };
                    for d in &mut p.drawn {
                        d.take_outside(cell);
                    }
                }
            }
            match sq {
                Some(i) => self.perimeters[k].squares.insert(i),
                None => self.perimeters[k].empty.insert(em),
            };
        }
        let from: Vec<String> =
            moved.iter().map(|(o, n)| format!("{n} from {}", self.perimeters[*o].id)).collect();
        let detail =
            if from.is_empty() { detail.to_owned() } else { format!("{detail}; moved {}", from.join(", ")) };
        let mut e = self.entry(step, op, k, detail, Some(before));
        e.added = added;
        self.audit.push(e);
        for ((o, n), before) in moved.into_iter().zip(others_before) {
            let mut e = self.entry(step, op, o, format!("{n} cells moved to {id}"), Some(before));
            e.removed = n;
            self.audit.push(e);
        }
        Ok(added)
    }

    /// Makes a new perimeter `id` of `cells` (the analyst's "new perimeter from these
    /// squares"). Squares of other perimeters are moved, and those re-checked, as in
    /// [`Adjuster::add`]; the new perimeter's audit row has no "before".
    pub fn create(
        &mut self,
        step: usize,
        id: &str,
        name: &str,
        cells: &[Cell],
        detail: &str,
    ) -> Result<usize, AdjustError> {
        if self.perimeters.iter().any(|p| p.id == id) {
            return Err(AdjustError::IdTaken { step, id: id.to_owned() });
        }
        let audit_len = self.audit.len();
        let empty = Perimeter { id: id.to_owned(), name: name.to_owned(), ..Perimeter::default() };
        self.perimeters.push(empty);
        match self.add(step, "create", id, cells, detail) {
            Ok(added) if added > 0 => {
                self.audit[audit_len].before = None;
                Ok(added)
            }
            Ok(_) => {
                self.audit.truncate(audit_len);
                self.perimeters.pop();
                Err(AdjustError::NothingSelected { step, id: id.to_owned(), what: detail.to_owned() })
            }
            Err(e) => {
                self.perimeters.pop();
                Err(e)
            }
        }
    }

    /// Removes cells from perimeter `id`.
    pub fn remove(
        &mut self,
        step: usize,
        op: &str,
        id: &str,
        cells: &[Cell],
        detail: &str,
    ) -> Result<usize, AdjustError> {
        let k = self.find(step, id)?;
        let before = self.figures(&self.perimeters[k]);
        let mut removed = 0;
        let mut p = self.perimeters[k].clone();
        for &cell in cells {
            let gone = match self.square_at(cell) {
                Some(i) => p.squares.remove(&i),
                None => p.empty.remove(&cell),
            };
            // The part of a square under the line whose centre is outside goes too.
            let mut cut = false;
            for d in &mut p.drawn {
                cut |= d.take_outside(cell);
            }
            removed += usize::from(gone || cut);
        }
        if removed == 0 {
            return Err(AdjustError::NothingSelected { step, id: id.to_owned(), what: detail.to_owned() });
        }
        if p.cover(self.grid).is_empty() {
            return Err(AdjustError::WouldEmpty { step, id: id.to_owned() });
        }
        let old = std::mem::replace(&mut self.perimeters[k], p);
        let mut e = self.entry(step, op, k, detail.to_owned(), Some(before));
        e.removed = removed;
        self.audit.push(e);
        let new = self.perimeters[k].clone();
        self.schools_taken_out(step, &old, &new);
        Ok(removed)
    }

    /// Merges perimeters into the first one (or `into`, which must be among them).
    pub fn merge(&mut self, step: usize, ids: &[String], into: Option<&str>) -> Result<(), AdjustError> {
        let target = into.map_or_else(|| ids.first().cloned().unwrap_or_default(), str::to_owned);
        let k = self.find(step, &target)?;
        for id in ids {
            self.find(step, id)?;
        }
        let before = self.figures(&self.perimeters[k]);
        let mut added = 0;
        for id in ids.iter().filter(|id| **id != target) {
            let o = self.find(step, id)?;
            let other = self.perimeters.remove(o);
            let other_before = self.figures(&other);
            let k = self.find(step, &target)?;
            added += other.squares.len() + other.empty.len();
            self.perimeters[k].squares.extend(other.squares);
            self.perimeters[k].empty.extend(other.empty);
            self.perimeters[k].drawn.extend(other.drawn);
            self.audit.push(AuditEntry {
                step,
                op: "merge".into(),
                target: id.clone(),
                detail: format!("merged into {target}"),
                before: Some(other_before),
                after: None,
                added: 0,
                removed: 0,
            });
        }
        let k = self.find(step, &target)?;
        let mut e = self.entry(step, "merge", k, format!("merged {}", ids.join(" + ")), Some(before));
        e.added = added;
        self.audit.push(e);
        Ok(())
    }

    /// Moves the cells of `id` among `cells` into a new perimeter `new_id`.
    pub fn split(
        &mut self,
        step: usize,
        id: &str,
        cells: &[Cell],
        new_id: &str,
        detail: &str,
    ) -> Result<(), AdjustError> {
        if self.perimeters.iter().any(|p| p.id == new_id) {
            return Err(AdjustError::IdTaken { step, id: new_id.to_owned() });
        }
        let k = self.find(step, id)?;
        let before = self.figures(&self.perimeters[k]);
        let wanted: BTreeSet<Cell> = cells.iter().copied().collect();
        let p = &self.perimeters[k];
        let squares: BTreeSet<u32> =
            p.squares.iter().copied().filter(|&i| wanted.contains(&self.grid.cells()[i as usize])).collect();
        let empty: BTreeSet<Cell> = p.empty.iter().copied().filter(|c| wanted.contains(c)).collect();
        let moved = squares.len() + empty.len();
        if moved == 0 {
            return Err(AdjustError::NothingSelected { step, id: id.to_owned(), what: detail.to_owned() });
        }
        if moved == p.squares.len() + p.empty.len() {
            return Err(AdjustError::WouldEmpty { step, id: id.to_owned() });
        }
        let p = &mut self.perimeters[k];
        p.squares.retain(|i| !squares.contains(i));
        p.empty.retain(|c| !empty.contains(c));
        // The drawn lines go with both: each keeps the parts of squares cut from outside
        // on its own side of the split (the cells whose centre is inside follow the
        // lattice cells moved).
        let mut new_drawn = p.drawn.clone();
        for (mine, theirs) in p.drawn.iter_mut().zip(&mut new_drawn) {
            let outside: Vec<Cell> =
                mine.cover.iter().filter(|(_, v)| !v.centre_inside).map(|(c, _)| *c).collect();
            for c in outside {
                if wanted.contains(&c) {
                    mine.take_outside(c)
                } else {
                    theirs.take_outside(c)
                };
            }
        }
        let mut e =
            self.entry(step, "split", k, format!("{detail}: {moved} cells to {new_id}"), Some(before));
        e.removed = moved;
        self.audit.push(e);
        self.perimeters.push(Perimeter {
            id: new_id.to_owned(),
            name: String::new(),
            squares,
            empty,
            drawn: new_drawn,
        });
        let mut e = self.entry(step, "split", self.perimeters.len() - 1, format!("split from {id}"), None);
        e.added = moved;
        self.audit.push(e);
        Ok(())
    }

    /// Changes the id and/or the name of a perimeter.
    pub fn rename(
        &mut self,
        step: usize,
        id: &str,
        to: Option<&str>,
        name: Option<&str>,
    ) -> Result<(), AdjustError> {
        let k = self.find(step, id)?;
        if let Some(to) = to
            && to != id
            && self.perimeters.iter().any(|p| p.id == to)
        {
            return Err(AdjustError::IdTaken { step, id: to.to_owned() });
        }
        let before = self.figures(&self.perimeters[k]);
        let p = &mut self.perimeters[k];
        if let Some(to) = to {
            p.id = to.to_owned();
        }
        if let Some(name) = name {
            p.name = name.to_owned();
        }
        let detail = format!("{id} → {} {:?}", p.id, p.name);
        let e = self.entry(step, "rename", k, detail, Some(before));
        self.audit.push(e);
        Ok(())
    }

    /// Whether a perimeter holds a cell.
    fn holds(&self, p: &Perimeter, cell: Cell) -> bool {
        match self.square_at(cell) {
            Some(i) => p.squares.contains(&i),
            None => p.empty.contains(&cell),
        }
    }

    /// Makes an area whole inside the perimeter holding most of `cells` (or touching
    /// it); returns that perimeter's id, or `None` when the area touches none.
    pub fn keep_whole(
        &mut self,
        step: usize,
        label: &str,
        cells: &[Cell],
    ) -> Result<Option<String>, AdjustError> {
        let set: BTreeSet<Cell> = cells.iter().copied().collect();
        let mut best: Option<(usize, usize)> = None;
        for (k, p) in self.perimeters.iter().enumerate() {
            let mine = p.cells(self.grid);
            let overlap = mine.iter().filter(|c| set.contains(c)).count();
            let touching = mine
                .iter()
                .any(|c| (-1..=1).any(|dx| (-1..=1).any(|dy| set.contains(&Cell::new(c.x + dx, c.y + dy)))));
            let score = overlap * 2 + usize::from(touching);
            if score > 0 && best.is_none_or(|(_, s)| score > s) {
                best = Some((k, score));
            }
        }
        let Some((k, _)) = best else { return Ok(None) };
        let id = self.perimeters[k].id.clone();
        self.add(step, "keep_whole", &id, cells, &format!("area {label} kept whole"))?;
        Ok(Some(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Territory;
    use crate::testutil::{adjuster, two_blocks};

    #[test]
    fn starting_perimeters_meet_the_rule() {
        let s = two_blocks();
        let a = adjuster(&s);
        assert_eq!(a.perimeters.len(), 2);
        for p in &a.perimeters {
            assert!(a.figures(p).meets_rule(), "{:?}", a.figures(p));
        }
    }

    #[test]
    fn adding_rich_squares_is_recorded_and_rechecked() {
        let s = two_blocks();
        let mut a = adjuster(&s);
        let cells: Vec<Cell> = (2..10).map(|x| Cell::new(x, 0)).collect();
        let added = a.add(1, "add", "C1", &cells, "squares").unwrap();
        assert_eq!(added, 8);
        let e = &a.audit[0];
        assert_eq!(e.before.as_ref().unwrap().individuals, 1_200.0);
        assert_eq!(e.after.as_ref().unwrap().individuals, 2_800.0);
        // Adding well-off squares pushes the pooled median up: the median moves.
        assert!(e.after.as_ref().unwrap().median > e.before.as_ref().unwrap().median);
    }

    #[test]
    fn adding_squares_of_another_perimeter_moves_them() {
        let s = two_blocks();
        let mut a = adjuster(&s);
        a.add(1, "add", "C1", &[Cell::new(10, 0)], "one square").unwrap();
        assert_eq!(a.audit.len(), 2);
        assert!(a.audit[0].detail.contains("moved 1 from C2"));
        assert_eq!(a.audit[1].target, "C2");
        assert_eq!(a.audit[1].removed, 1);
        // C1 is now two parts: the rule check says so.
        assert!(a.audit[0].warning().unwrap().contains("not one continuous area"));
        let total: usize = a.perimeters.iter().map(|p| p.squares.len()).sum();
        assert_eq!(total, 8, "no square lost");
    }

    #[test]
    fn removing_below_the_floor_warns() {
        let s = two_blocks();
        let mut a = adjuster(&s);
        a.remove(1, "remove", "C1", &[Cell::new(0, 0), Cell::new(1, 0)], "drawn area").unwrap();
        let w = a.audit[0].warning().unwrap();
        assert!(w.contains("600 inhabitants"), "{w}");
        assert_eq!(a.audit[0].removed, 2);
    }

    #[test]
    fn unknown_perimeter_and_empty_results_are_errors() {
        let s = two_blocks();
        let mut a = adjuster(&s);
        assert!(matches!(
            a.add(3, "add", "nope", &[], ""),
            Err(AdjustError::UnknownPerimeter { step: 3, .. })
        ));
        let all: Vec<Cell> = a.perimeters[0].cells(&s.grid);
        assert!(matches!(a.remove(1, "remove", "C1", &all, "all"), Err(AdjustError::WouldEmpty { .. })));
        assert!(matches!(
            a.remove(1, "remove", "C1", &[Cell::new(50, 50)], "far"),
            Err(AdjustError::NothingSelected { .. })
        ));
    }

    #[test]
    fn create_makes_a_new_perimeter_and_moves_squares_from_others() {
        let s = two_blocks();
        let mut a = adjuster(&s);
        // Two rich squares (no perimeter) and one square of C2.
        let cells = [Cell::new(8, 0), Cell::new(9, 0), Cell::new(10, 0)];
        let added = a.create(1, "NEW", "Gare", &cells, "3 squares by id").unwrap();
        assert_eq!(added, 3);
        let p = a.perimeters.last().unwrap();
        assert_eq!((p.id.as_str(), p.name.as_str(), p.squares.len()), ("NEW", "Gare", 3));
        assert!(a.audit[0].before.is_none(), "a new perimeter has no before");
        assert_eq!((a.audit[0].op.as_str(), a.audit[0].added), ("create", 3));
        assert_eq!((a.audit[1].target.as_str(), a.audit[1].removed), ("C2", 1));
        // 3 squares, 700 inhabitants: below the floor, said by the check.
        let w = a.audit[0].warning().unwrap();
        assert!(w.contains("NEW does not meet the rule") && w.contains("fewer than 1 000"), "{w}");
    }

    #[test]
    fn create_refuses_a_taken_id_and_an_empty_selection() {
        let s = two_blocks();
        let mut a = adjuster(&s);
        let err = a.create(1, "C1", "", &[Cell::new(5, 0)], "one");
        assert!(matches!(err, Err(AdjustError::IdTaken { .. })));
        let err = a.create(1, "NEW", "", &[], "nothing");
        assert!(matches!(err, Err(AdjustError::NothingSelected { .. })));
        assert_eq!(a.perimeters.len(), 2, "nothing left behind");
        assert!(a.audit.is_empty());
    }

    #[test]
    fn merge_then_split_then_rename() {
        let s = two_blocks();
        let mut a = adjuster(&s);
        a.merge(1, &["C1".into(), "C2".into()], None).unwrap();
        assert_eq!(a.perimeters.len(), 1);
        assert!(a.audit.last().unwrap().warning().unwrap().contains("2 parts"));
        let right: Vec<Cell> = (10..12).flat_map(|x| (0..2).map(move |y| Cell::new(x, y))).collect();
        a.split(2, "C1", &right, "C1-east", "east block").unwrap();
        assert_eq!(a.perimeters.len(), 2);
        assert!(a.figures(&a.perimeters[1]).meets_rule());
        assert!(matches!(a.split(3, "C1", &right, "C1-east", "again"), Err(AdjustError::IdTaken { .. })));
        a.rename(3, "C1-east", Some("QN059-01"), Some("Faubourg")).unwrap();
        assert_eq!(a.perimeters[1].id, "QN059-01");
        assert_eq!(a.perimeters[1].name, "Faubourg");
    }

    #[test]
    fn perimeters_from_cells_are_checked_as_candidates_are() {
        let s = two_blocks();
        let base = adjuster(&s);
        let c1 = base.perimeters[0].cells(&s.grid);
        let mut cells = c1.clone();
        cells.push(Cell::new(40, 40)); // empty land far away: a second part
        let a = Adjuster::from_cells(
            &s.grid,
            &s.run,
            &crate::RunSettings::for_territory(Territory::Metropolitan),
            vec![("A".into(), "Cité".into(), c1), ("B".into(), String::new(), cells)],
        );
        let (fa, fb) = (a.figures(&a.perimeters[0]), a.figures(&a.perimeters[1]));
        assert_eq!(fa, base.figures(&base.perimeters[0]));
        assert_eq!((fa.parts, fa.units), (1, 1));
        assert_eq!(fb.parts, 2);
        assert!(!fb.meets_rule() && fb.problems().iter().any(|p| p.contains("2 parts")));
        assert_eq!(a.perimeters[0].name, "Cité");
        assert_eq!(a.perimeters[1].empty.len(), 1);
    }

    #[test]
    fn renewal_area_is_kept_whole_in_the_perimeter_it_touches() {
        let s = two_blocks();
        let mut a = adjuster(&s);
        let area = [Cell::new(2, 0), Cell::new(2, 1), Cell::new(3, 1)];
        assert_eq!(a.keep_whole(1, "ANRU", &area).unwrap().as_deref(), Some("C1"));
        assert!(area.iter().all(|c| a.perimeters[0].cells(&s.grid).contains(c)));
        assert_eq!(a.keep_whole(2, "nowhere", &[Cell::new(40, 40)]).unwrap(), None);
    }
}

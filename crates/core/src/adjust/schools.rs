//! REP/REP+ collèges and the adjustments (METHOD.md §6): a school within reach is
//! brought inside the nearest perimeter with the squares between, a school a later step
//! takes out is reported by name, and every school is described against the final
//! perimeters.

use super::{AdjustError, Adjuster, Perimeter};
use crate::Cell;

/// How far a REP/REP+ school may lie from a perimeter to be brought inside it (an
/// `include_schools` step) or listed near it (`qpv check`, the atlas), m: METHOD.md §6.
pub const DEFAULT_SCHOOL_DISTANCE_M: f64 = 300.0;

/// What happened to one school of `include_schools`, described against the final
/// perimeters once [`Adjuster::finish`] has run (a later step may take it out).
#[derive(Debug, Clone, PartialEq)]
pub struct SchoolOutcome {
    /// Its label (code and name).
    pub school: String,
    /// The step that brought it in (or found it inside, or too far).
    pub step: usize,
    /// Its position, grid CRS.
    pub x: f64,
    /// Its position, grid CRS.
    pub y: f64,
    /// The nearest perimeter.
    pub perimeter: Option<String>,
    /// Distance to it, m (0 inside).
    pub distance_m: f64,
    /// Distance to the nearest perimeter at its step, before it was added, m.
    pub distance_before_m: f64,
    /// `inside`, `added`, `too far`, or `taken out by step N`.
    pub status: String,
}

impl Adjuster<'_> {
    /// Distance (m) from a point to the nearest cell of a perimeter, with that cell.
    fn distance(&self, p: &Perimeter, x: f64, y: f64) -> Option<(f64, Cell)> {
        p.cells(self.grid)
            .into_iter()
            .map(|c| {
                let (x0, y0) = (c.x as f64 * self.size, c.y as f64 * self.size);
                let dx = (x0 - x).max(0.0).max(x - (x0 + self.size));
                let dy = (y0 - y).max(0.0).max(y - (y0 + self.size));
                (dx.hypot(dy), c)
            })
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
    }

    /// Brings a school (a point in the grid's CRS) inside the nearest perimeter when it
    /// lies within `max_distance` m, adding its square and a staircase of squares
    /// between it and the perimeter.
    pub fn include_point(
        &mut self,
        step: usize,
        label: &str,
        x: f64,
        y: f64,
        max_distance: f64,
    ) -> Result<(), AdjustError> {
        let nearest = self
            .perimeters
            .iter()
            .enumerate()
            .filter_map(|(k, p)| self.distance(p, x, y).map(|(d, c)| (d, k, c)))
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut outcome = SchoolOutcome {
            school: label.into(),
            step,
            x,
            y,
            perimeter: None,
            distance_m: f64::NAN,
            distance_before_m: f64::NAN,
            status: "too far".into(),
        };
        let Some((d, k, target)) = nearest else {
            self.schools.push(outcome);
            return Ok(());
        };
        let id = self.perimeters[k].id.clone();
        let status = if d == 0.0 {
            "inside"
        } else if d <= max_distance {
            let start = self.cell_of(x, y);
            let path = staircase(start, target);
            self.add(step, "include_schools", &id, &path, &format!("school {label}, {d:.0} m away"))?;
            "added"
        } else {
            "too far"
        };
        outcome.perimeter = Some(id);
        outcome.distance_m = if status == "added" { 0.0 } else { d };
        outcome.distance_before_m = d;
        outcome.status = status.into();
        self.schools.push(outcome);
        Ok(())
    }

    fn cell_of(&self, x: f64, y: f64) -> Cell {
        Cell::new((x / self.size).floor() as i32, (y / self.size).floor() as i32)
    }

    /// After step `step` turned perimeter `before` into `after`: a school that lay in it
    /// and whose square went is now outside, which the analyst must hear of by name
    /// (issue 13: a REP collège brought in, then silently taken out by a later `remove`).
    pub(super) fn schools_taken_out(&mut self, step: usize, before: &Perimeter, after: &Perimeter) {
        for s in 0..self.schools.len() {
            let school = &self.schools[s];
            let cell = self.cell_of(school.x, school.y);
            let was_in = matches!(school.status.as_str(), "inside" | "added");
            if was_in && self.holds(before, cell) && !self.holds(after, cell) {
                let warning = format!(
                    "step {step} takes school {} out of {} (it was {} at step {})",
                    school.school, before.id, school.status, school.step
                );
                self.schools[s].status = format!("taken out by step {step}");
                self.warnings.push(warning);
            }
        }
    }

    /// Describes every school against the final perimeters: the nearest one, the
    /// distance to it, and its status (`inside` when it now lies in a perimeter it was
    /// not brought into by its step). Call once, after the last step.
    pub fn finish(&mut self) {
        for s in 0..self.schools.len() {
            let (x, y) = (self.schools[s].x, self.schools[s].y);
            let nearest = self
                .perimeters
                .iter()
                .filter_map(|p| self.distance(p, x, y).map(|(d, _)| (d, p.id.clone())))
                .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let school = &mut self.schools[s];
            match nearest {
                Some((d, id)) => {
                    school.distance_m = d;
                    school.perimeter = Some(id);
                    if d == 0.0 && !matches!(school.status.as_str(), "inside" | "added") {
                        school.status = "inside".into();
                    }
                }
                None => {
                    school.distance_m = f64::NAN;
                    school.perimeter = None;
                }
            }
        }
    }
}

/// A 4-connected staircase of cells from `a` to `b`, both included.
fn staircase(a: Cell, b: Cell) -> Vec<Cell> {
    let mut path = vec![a];
    let mut c = a;
    while c != b {
        let (dx, dy) = (b.x - c.x, b.y - c.y);
        if dx.abs() >= dy.abs() {
            c.x += dx.signum();
        } else {
            c.y += dy.signum();
        }
        path.push(c);
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{adjuster, two_blocks};

    #[test]
    fn a_school_taken_out_by_a_later_step_is_reported_by_name() {
        let s = two_blocks();
        let mut a = adjuster(&s);
        a.include_point(1, "0590062X VILLARS", 50.0, 650.0, 300.0).unwrap();
        a.include_point(2, "0590100Y INSIDE", 100.0, 100.0, 300.0).unwrap();
        a.rename(3, "C1", Some("Denain"), None).unwrap();
        // Step 4 takes the inside school's square (0, 0) out of the renamed perimeter.
        a.remove(4, "remove", "Denain", &[Cell::new(0, 0)], "drawn area").unwrap();
        a.finish();
        assert_eq!(a.schools[0].status, "added");
        assert_eq!(a.schools[0].perimeter.as_deref(), Some("Denain"));
        assert_eq!(a.schools[1].status, "taken out by step 4");
        // Now 100 m from the nearest square left, (1, 0).
        assert_eq!(a.schools[1].distance_m, 100.0);
        assert_eq!(a.warnings.len(), 1);
        assert!(
            a.warnings[0].contains("0590100Y INSIDE") && a.warnings[0].contains("Denain"),
            "{:?}",
            a.warnings
        );
    }

    #[test]
    fn finish_describes_schools_against_the_final_perimeters() {
        let s = two_blocks();
        let mut a = adjuster(&s);
        a.include_point(1, "far", 50.0, 1_250.0, 300.0).unwrap();
        assert_eq!(a.schools[0].status, "too far");
        // A later step brings its cell in: it is inside now.
        a.add(2, "add", "C1", &[Cell::new(0, 6)], "by hand").unwrap();
        a.finish();
        assert_eq!(a.schools[0].status, "inside");
        assert_eq!(a.schools[0].distance_m, 0.0);
        assert!(a.schools[0].distance_before_m > 300.0);
    }

    #[test]
    fn school_within_distance_is_brought_in_with_the_squares_between() {
        let s = two_blocks();
        let mut a = adjuster(&s);
        // A school in cell (0, 3): 200 m above C1's top row (y = 0..2 → 400 m).
        a.include_point(1, "0590062X VILLARS", 50.0, 650.0, 300.0).unwrap();
        assert_eq!(a.schools[0].status, "added");
        assert!((a.schools[0].distance_before_m - 250.0).abs() < 1e-9);
        assert_eq!(a.schools[0].distance_m, 0.0);
        let p = &a.perimeters[0];
        assert!(p.empty.contains(&Cell::new(0, 3)) && p.empty.contains(&Cell::new(0, 2)));
        assert!(a.figures(p).meets_rule());
        // Far away: reported, nothing added.
        a.include_point(2, "far", 5_000.0, 5_000.0, 300.0).unwrap();
        assert_eq!(a.schools[1].status, "too far");
        // Inside.
        a.include_point(3, "inside", 100.0, 100.0, 300.0).unwrap();
        assert_eq!(a.schools[2].status, "inside");
    }

    #[test]
    fn staircase_is_four_connected() {
        let p = staircase(Cell::new(0, 0), Cell::new(3, -2));
        assert_eq!(p.first(), Some(&Cell::new(0, 0)));
        assert_eq!(p.last(), Some(&Cell::new(3, -2)));
        assert!(p.windows(2).all(|w| (w[0].x - w[1].x).abs() + (w[0].y - w[1].y).abs() == 1));
    }
}

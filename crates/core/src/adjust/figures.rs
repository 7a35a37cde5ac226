//! The figures of a perimeter and its verdict: what `qpv check`, the adjustments'
//! audit, the workbench and the atlas show, computed once here.
//!
//! A perimeter on the lattice counts its squares whole. A drawn perimeter
//! ([`crate::drawn::Drawn`]) counts each square by the share of it the line covers,
//! gives its inhabitants as a range ([`Headcount`]) and is judged continuous on its
//! polygons; squares edits added or took out count whole.

use super::{Adjuster, Perimeter};
use crate::buildings::PeopleShares;
use crate::continuity::{drawn_continuity, lattice_continuity};
use crate::drawn::square;
use crate::verdict::{Evidence, Headcount, UnitEvidence, UnitFacts, Verdict, judge, listed_in_2015};
use crate::{Cell, NO_UNIT, mixture_median};
use geo_types::{MultiPolygon, Polygon};
use rustc_hash::FxHashMap;
use std::collections::BTreeSet;

/// The figures of a perimeter and its verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// Inhabitants: the point estimate of [`Figures::headcount`] (exact on the lattice).
    pub individuals: f64,
    /// Inhabitants with their range.
    pub headcount: Headcount,
    /// Households (each square by its share inside).
    pub households: f64,
    /// Poor households (each square by its share inside).
    pub poor_households: f64,
    /// Estimated pooled median, € (each square's residents by its share inside).
    pub median: Option<f64>,
    /// Applied threshold of its urban unit, €.
    pub threshold: f64,
    /// Legal threshold S, €.
    pub legal_threshold: f64,
    /// Its urban unit: where most of its residents live.
    pub unit: Option<u32>,
    /// Number of lattice cells (squares and empty cells).
    pub cells: usize,
    /// Number of urban units its squares lie in.
    pub units: usize,
    /// Number of parts (squares joined at the run's connectivity; polygons that touch).
    pub parts: usize,
    /// The widest gap between its parts, m (0 for one part).
    pub widest_gap_m: f64,
    /// Area inside the line (the cells' on the lattice), m².
    pub area_m2: f64,
    /// Inhabitants per km² (the overseas rule wants 2 000 or more).
    pub density_per_km2: f64,
    /// Squares its line cuts (0 on the lattice).
    pub cut_squares: usize,
    /// Each criterion of the decree.
    pub verdict: Verdict,
}

impl Figures {
    /// Whether every criterion meets.
    pub fn meets_rule(&self) -> bool {
        self.verdict.meets()
    }

    /// Why it does not meet (failing, then undecided criteria); empty when it does.
    pub fn problems(&self) -> Vec<String> {
        self.verdict.problems()
    }
}

impl Perimeter {
    /// Whether the perimeter keeps a drawn line.
    pub fn is_drawn(&self) -> bool {
        !self.drawn.is_empty()
    }

    /// Each cell the perimeter covers with the share of it inside, in (0, 1]: whole
    /// for the lattice version's cells, as drawn for the cells a kept line cuts.
    pub fn cover(&self, grid: &crate::Grid) -> Vec<(Cell, f64)> {
        self.cover_people(grid).into_iter().map(|(c, s, _)| (c, s)).collect()
    }

    /// [`Perimeter::cover`], with the shares of each cut cell's residents inside when a
    /// buildings layer places them.
    pub fn cover_people(&self, grid: &crate::Grid) -> Vec<(Cell, f64, Option<PeopleShares>)> {
        let lattice = self.cells(grid);
        if self.drawn.is_empty() {
            return lattice.into_iter().map(|c| (c, 1.0, None)).collect();
        }
        let held: BTreeSet<Cell> = lattice.into_iter().collect();
        let mut cells: BTreeSet<Cell> = held.clone();
        for d in &self.drawn {
            cells.extend(d.cover.keys().copied());
        }
        cells
            .into_iter()
            .filter_map(|c| {
                let (s, people) = self.share_of(c, held.contains(&c));
                (s > 0.0).then_some((c, s, people))
            })
            .collect()
    }

    /// The share of `cell` inside the perimeter, given whether its lattice version
    /// holds it. Held and under no line's centre: whole (the lattice, or added by an
    /// edit). Not held though under a line's centre: taken out by an edit. Otherwise
    /// the lines' shares, less those of cells edits took away.
    fn share_of(&self, cell: Cell, held: bool) -> (f64, Option<PeopleShares>) {
        let under_centre = self.drawn.iter().any(|d| d.holds_centre(cell));
        match (held, under_centre) {
            (true, false) => (1.0, None),
            (false, true) => (0.0, None),
            _ => {
                let covers: Vec<_> = self
                    .drawn
                    .iter()
                    .filter_map(|d| d.cover.get(&cell).filter(|v| v.centre_inside || d.counts_outside(cell)))
                    .collect();
                let s: f64 = covers.iter().map(|v| v.share).sum();
                // Lines merged into one perimeter: their shares of the residents add up.
                let people = covers.iter().filter_map(|v| v.people).reduce(|a, b| PeopleShares {
                    point: (a.point + b.point).min(1.0),
                    low: (a.low + b.low).min(1.0),
                    high: (a.high + b.high).min(1.0),
                });
                (s.min(1.0), people)
            }
        }
    }

    /// The perimeter's polygons, in the grid's CRS, for the continuity check and the
    /// files written: its lines less the squares taken out, and the squares added whole.
    /// `None` for a perimeter on the lattice (its outline is traced from the cells).
    pub fn drawn_polygons(&self, grid: &crate::Grid, size: f64) -> Option<Vec<Polygon<f64>>> {
        if self.drawn.is_empty() {
            return None;
        }
        let held: BTreeSet<Cell> = self.cells(grid).into_iter().collect();
        let mut polygons: Vec<Polygon<f64>> = Vec::new();
        for d in &self.drawn {
            polygons.extend(d.kept(&held, size));
        }
        for &c in &held {
            if !self.drawn.iter().any(|d| d.holds_centre(c)) {
                polygons.push(square(c, size));
            }
        }
        Some(polygons)
    }

    /// The perimeter's outline as one valid multipolygon: its line as drawn when no edit
    /// touched it, else the drawn polygons unioned (lines and added squares may touch or
    /// overlap); `None` on the lattice.
    pub fn drawn_outline(&self, grid: &crate::Grid, size: f64) -> Option<MultiPolygon<f64>> {
        if let Some(line) = self.untouched_line(&self.cells(grid).into_iter().collect()) {
            return Some((*line.shape).clone());
        }
        Some(geo::unary_union(&self.drawn_polygons(grid, size)?))
    }

    /// Its one line, when no edit touched it (`held`: the lattice version's cells).
    fn untouched_line(&self, held: &BTreeSet<Cell>) -> Option<&crate::drawn::Drawn> {
        match self.drawn.as_slice() {
            [line] if line.untouched(held) => Some(line),
            _ => None,
        }
    }
}

impl Adjuster<'_> {
    /// The figures of a perimeter and its verdict.
    pub fn figures(&self, p: &Perimeter) -> Figures {
        let cover = p.cover_people(self.grid);
        let mut shares: Vec<(f64, f64)> = Vec::with_capacity(cover.len());
        let mut placed_by_buildings: Vec<(f64, PeopleShares)> = Vec::new();
        let (mut men, mut pauv) = (0.0, 0.0);
        let mut parts = Vec::with_capacity(cover.len());
        let mut placed: Vec<(u32, f64)> = Vec::with_capacity(cover.len());
        let mut cut_squares = 0;
        for &(c, area_share, people) in &cover {
            let Some(i) = self.square_at(c) else { continue };
            let v = self.grid.values()[i as usize];
            // Residents by where the buildings are when a layer says, else by area.
            let s = match people {
                Some(p) => {
                    placed_by_buildings.push((v.individuals, p));
                    p.point
                }
                None => {
                    shares.push((v.individuals, area_share));
                    area_share
                }
            };
            if s <= 0.0 && people.is_some_and(|p| p.high <= 0.0) {
                continue;
            }
            men += v.households * s;
            pauv += v.poor_households * s;
            cut_squares += usize::from(area_share < 1.0);
            if let Some(d) = self.fit(i) {
                parts.push((v.individuals * s, d));
            }
            // A square where nobody is counted still places the perimeter, barely.
            placed.push((i, v.individuals * s + 1e-9 * s));
        }
        let headcount = Headcount::from_parts(shares, placed_by_buildings);
        let (unit, unit_evidence, units) = self.unit_evidence(p, &placed);
        let threshold = unit.map(|u| &self.flagged.units[u as usize]);
        let applied = threshold.and_then(|t| t.applied).unwrap_or(f64::NAN);
        let legal = threshold.and_then(|t| t.legal).unwrap_or(f64::NAN);
        let median = mixture_median(&parts);
        let cells = p.cells(self.grid);
        let continuity = self.continuity(p, &cells);
        let area_km2: f64 = cover.iter().map(|(_, s, _)| s).sum::<f64>() * self.size * self.size / 1e6;
        let evidence =
            Evidence { headcount, median, threshold: applied, continuity, unit: unit_evidence, area_km2 };
        let verdict = judge(&self.rule, &self.judging, &evidence);
        Figures {
            individuals: headcount.point,
            headcount,
            households: men,
            poor_households: pauv,
            median,
            threshold: applied,
            legal_threshold: legal,
            unit,
            cells: cells.len(),
            units,
            parts: continuity.parts,
            widest_gap_m: continuity.widest_gap_m,
            area_m2: area_km2 * 1e6,
            density_per_km2: if area_km2 > 0.0 { headcount.point / area_km2 } else { 0.0 },
            cut_squares,
            verdict,
        }
    }

    /// The unit where most residents live, who lives elsewhere, and the number of units
    /// its squares lie in (décret art. 2 I 1°: a quartier lies in an urban unit; METHOD.md
    /// §3: in one, whose threshold it gets). `placed` holds each square with the
    /// residents it brings. A square on a boundary lists communes of two units and is
    /// placed in one: when it lists a commune of the main unit, its residents may live
    /// there, and are not counted elsewhere.
    fn unit_evidence(&self, p: &Perimeter, placed: &[(u32, f64)]) -> (Option<u32>, UnitEvidence, usize) {
        let mut by_unit: FxHashMap<u32, f64> = FxHashMap::default();
        for &(i, n) in placed {
            *by_unit.entry(self.placement.unit_of_square[i as usize]).or_default() += n;
        }
        let units = by_unit.len();
        let total: f64 = by_unit.values().sum();
        let first = by_unit.iter().max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(a.0))).map(|(u, _)| *u);
        if let Some(main) = first.filter(|u| *u != NO_UNIT) {
            for &(i, n) in placed {
                let u = self.placement.unit_of_square[i as usize];
                if u != main && self.placement.touches_unit(self.grid, i as usize, main) {
                    *by_unit.entry(u).or_default() -= n;
                    *by_unit.entry(main).or_default() += n;
                }
            }
        }
        let mut ranked: Vec<(u32, f64)> = by_unit.iter().map(|(u, n)| (*u, *n)).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let name = |u: u32| match self.placement.units.get(u as usize) {
            Some(unit) if u != NO_UNIT => format!("{} {}", unit.code, unit.name),
            _ => "hors unité urbaine".to_owned(),
        };
        let main = ranked.first().map(|(u, _)| *u).filter(|u| *u != NO_UNIT);
        let elsewhere = ranked
            .iter()
            .filter(|(u, _)| Some(*u) != main)
            .map(|(u, n)| (name(*u), if total > 0.0 { n / total } else { 0.0 }))
            .filter(|(_, s)| *s >= 0.0005)
            .collect();
        let unit = main.map(|u| {
            let t = &self.placement.units[u as usize];
            UnitFacts::new(&t.code, &t.name, t.population)
        });
        (main, UnitEvidence { unit, elsewhere, listed_2015: listed_in_2015(&p.id) }, units)
    }

    fn continuity(&self, p: &Perimeter, cells: &[Cell]) -> crate::verdict::Continuity {
        let tolerance = self.judging.continuity_gap_m;
        if p.drawn.is_empty() {
            return lattice_continuity(cells, self.connectivity, self.size);
        }
        if let Some(line) = p.untouched_line(&cells.iter().copied().collect()) {
            return line.as_drawn;
        }
        let polygons = p.drawn_polygons(self.grid, self.size).unwrap_or_default();
        // Pieces of one line that an edit cut apart, and squares added beside them.
        let merged = geo::unary_union(&polygons);
        drawn_continuity(&merged.0, tolerance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{Setup, rect, setup};
    use crate::verdict::{Key, State};
    use crate::{Adjuster, RunSettings, Territory};

    /// A block of 3 × 3 poor squares of 200 inhabitants, and poor squares far east.
    fn block() -> Setup {
        let mut sq: Vec<(i32, i32, f64, f64, f64)> =
            (0..3).flat_map(|x| (0..3).map(move |y| (x, y, 200.0, 11_000.0, 0.55))).collect();
        sq.extend((20..23).map(|x| (x, 0, 400.0, 11_000.0, 0.55)));
        setup(&sq)
    }

    fn drawn<'a>(s: &'a Setup, shapes: Vec<(&str, MultiPolygon<f64>)>) -> Adjuster<'a> {
        let lines = shapes.into_iter().map(|(id, shape)| (id.to_owned(), String::new(), shape)).collect();
        Adjuster::from_drawn(
            &s.grid,
            &s.run,
            &RunSettings::for_territory(Territory::Metropolitan),
            lines,
            None,
        )
    }

    /// 30 m off the lattice: columns 0 (85 %), 1 (whole) and 2 (15 %) of the block.
    fn off_lattice() -> MultiPolygon<f64> {
        rect(30.0, 0.0, 430.0, 600.0)
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn a_drawn_perimeter_counts_the_squares_it_cuts_by_their_share() {
        let s = block();
        let a = drawn(&s, vec![("D", off_lattice())]);
        let p = &a.perimeters[0];
        assert_eq!(p.cells(&s.grid).len(), 6, "the lattice version: columns 0 and 1");
        let f = a.figures(p);
        assert!(close(f.headcount.low, 510.0 + 600.0 + 90.0), "{:?}", f.headcount);
        assert!(close(f.headcount.high, 1_800.0));
        assert!(close(f.individuals, (1_200.0f64 * 1_800.0).sqrt()));
        assert_eq!(f.cut_squares, 6);
        assert_eq!(f.verdict.get(Key::Population).unwrap().state, State::Meets);
        // The lattice version counts 1 200 exactly.
        let lattice = a.figures(&Perimeter { drawn: Vec::new(), ..p.clone() });
        assert_eq!(lattice.headcount, Headcount::exact(1_200.0));
    }

    #[test]
    fn a_line_on_the_lattice_is_exact() {
        let s = block();
        let a = drawn(&s, vec![("L", rect(0.0, 0.0, 400.0, 600.0))]);
        assert!(a.perimeters[0].drawn.is_empty());
        assert_eq!(a.figures(&a.perimeters[0]).headcount, Headcount::exact(1_200.0));
    }

    #[test]
    fn squares_taken_out_leave_whole_and_squares_added_join_whole() {
        let s = block();
        let mut a = drawn(&s, vec![("D", off_lattice())]);
        // (0, 0): its centre is inside, 85 % of it under the line: all of it goes.
        a.remove(1, "remove", "D", &[Cell::new(0, 0)], "one square").unwrap();
        let f = a.figures(&a.perimeters[0]);
        assert!(
            close(f.headcount.low, 1_200.0 - 170.0) && close(f.headcount.high, 1_600.0),
            "{:?}",
            f.headcount
        );
        // (2, 0): its centre is outside, 15 % under the line: that part goes too.
        assert_eq!(a.remove(2, "remove", "D", &[Cell::new(2, 0)], "one square").unwrap(), 1);
        let f = a.figures(&a.perimeters[0]);
        assert!(
            close(f.headcount.low, 1_030.0 - 30.0) && close(f.headcount.high, 1_400.0),
            "{:?}",
            f.headcount
        );
        // (2, 1) added: whole, no longer 15 %.
        a.add(3, "add", "D", &[Cell::new(2, 1)], "one square").unwrap();
        let f = a.figures(&a.perimeters[0]);
        assert!(close(f.headcount.low, 1_000.0 + 170.0), "{:?}", f.headcount);
        assert!(close(f.headcount.high, 1_400.0));
        // Removing a cell the perimeter neither holds nor cuts selects nothing.
        assert!(matches!(
            a.remove(4, "remove", "D", &[Cell::new(9, 9)], "far"),
            Err(crate::AdjustError::NothingSelected { .. })
        ));
    }

    #[test]
    fn a_square_added_whole_elsewhere_leaves_a_line_that_cut_it() {
        let s = block();
        // D cuts column 2 from outside; E is the squares of column 2 on the lattice.
        let mut a = drawn(&s, vec![("D", off_lattice()), ("E", rect(400.0, 0.0, 600.0, 200.0))]);
        a.add(1, "add", "E", &[Cell::new(2, 1)], "one square").unwrap();
        let moved = a.audit.iter().find(|e| e.target == "D").expect("D re-checked");
        assert_eq!(moved.removed, 1);
        let f = a.figures(&a.perimeters[0]);
        assert!(close(f.headcount.low, 1_200.0 - 30.0), "{:?}", f.headcount);
        assert!(close(f.headcount.high, 1_600.0));
        let e = a.figures(&a.perimeters[1]);
        assert_eq!(e.headcount, Headcount::exact(400.0));
    }

    #[test]
    fn split_keeps_each_side_of_the_line() {
        let s = block();
        let mut a = drawn(&s, vec![("D", off_lattice())]);
        let west: Vec<Cell> = (0..3).map(|y| Cell::new(0, y)).collect();
        a.split(1, "D", &west, "W", "west").unwrap();
        let (d, w) = (a.figures(&a.perimeters[0]), a.figures(&a.perimeters[1]));
        assert!(close(w.headcount.low, 510.0) && close(w.headcount.high, 600.0), "{:?}", w.headcount);
        assert!(close(d.headcount.low, 690.0) && close(d.headcount.high, 1_200.0), "{:?}", d.headcount);
        assert!(close(d.headcount.low + w.headcount.low, 1_200.0), "nothing counted twice or lost");
    }

    #[test]
    fn merged_lines_add_up() {
        let s = block();
        let mut a =
            drawn(&s, vec![("D", rect(30.0, 0.0, 230.0, 600.0)), ("E", rect(230.0, 0.0, 430.0, 600.0))]);
        a.merge(1, &["D".into(), "E".into()], None).unwrap();
        let f = a.figures(&a.perimeters[0]);
        assert!(close(f.headcount.low, 1_200.0), "{:?}", f.headcount);
        assert_eq!((f.parts, f.verdict.get(Key::Continuity).unwrap().state), (1, State::Meets));
    }

    #[test]
    fn parts_of_a_line_closer_than_the_tolerance_are_one_area() {
        let s = block();
        // Two blocks 50 m apart (a street), then 1 km apart.
        let near = MultiPolygon(vec![
            rect(30.0, 0.0, 230.0, 600.0).0[0].clone(),
            rect(280.0, 0.0, 430.0, 600.0).0[0].clone(),
        ]);
        let far = MultiPolygon(vec![
            rect(30.0, 0.0, 230.0, 600.0).0[0].clone(),
            rect(4_030.0, 0.0, 4_430.0, 200.0).0[0].clone(),
        ]);
        let a = drawn(&s, vec![("N", near), ("F", far)]);
        let (n, f) = (a.figures(&a.perimeters[0]), a.figures(&a.perimeters[1]));
        assert_eq!((n.parts, n.widest_gap_m), (2, 50.0));
        assert_eq!(n.verdict.get(Key::Continuity).unwrap().state, State::Meets);
        assert_eq!(f.verdict.get(Key::Continuity).unwrap().state, State::Fails);
        assert!(close(f.widest_gap_m, 3_800.0), "{}", f.widest_gap_m);
    }

    #[test]
    fn a_square_taken_out_of_the_middle_splits_the_line() {
        let s = block();
        let mut a = drawn(&s, vec![("D", rect(30.0, 230.0, 570.0, 370.0))]);
        assert_eq!(a.figures(&a.perimeters[0]).parts, 1);
        a.remove(1, "remove", "D", &[Cell::new(1, 1)], "the middle").unwrap();
        let f = a.figures(&a.perimeters[0]);
        assert_eq!((f.parts, f.widest_gap_m), (2, 200.0));
        assert_eq!(
            f.verdict.get(Key::Continuity).unwrap().state,
            State::Meets,
            "200 m: within the tolerance"
        );
        let outline = a.perimeters[0].drawn_outline(&s.grid, 200.0).unwrap();
        assert_eq!(outline.0.len(), 2);
    }

    #[test]
    fn buildings_tell_where_the_residents_of_a_cut_square_live() {
        use crate::buildings::{Building, Buildings};
        use crate::drawn::Drawn;
        let s = block();
        // Column 2 (x 400..600): its buildings stand east of x = 450, outside the line
        // (which takes 30 m of it); column 0's stand west of x = 30, outside too.
        let mut layer = Vec::new();
        for y in 0..3 {
            let y0 = y as f64 * 200.0;
            layer.push(Building::new(rect(460.0, y0 + 20.0, 580.0, y0 + 180.0), 80.0));
            layer.push(Building::new(rect(2.0, y0 + 20.0, 25.0, y0 + 180.0), 20.0));
            layer.push(Building::new(rect(40.0, y0 + 20.0, 190.0, y0 + 180.0), 60.0));
        }
        let layer = Buildings::new(layer, 200.0);
        let shape = off_lattice();
        let cells = crate::lattice::cells_with_centre_inside(&shape, 200.0);
        let line = Drawn::new(shape, 200.0, 200.0).unwrap().with_buildings(&layer);
        let settings = RunSettings::for_territory(Territory::Metropolitan);
        let a = Adjuster::from_lines(
            &s.grid,
            &s.run,
            &settings,
            vec![("D".into(), String::new(), cells, Some(line))],
            None,
        );
        let f = a.figures(&a.perimeters[0]);
        // Column 0: 60 of 80 dwellings inside (150 of 200 residents each square); column 1
        // whole; column 2: none.
        assert!(close(f.headcount.low, 3.0 * 150.0 + 600.0), "{:?}", f.headcount);
        assert!(close(f.headcount.high, 3.0 * 150.0 + 600.0), "{:?}", f.headcount);
        assert!(close(f.individuals, 1_050.0));
    }

    #[test]
    fn a_perimeter_where_nobody_lives_fails_on_population() {
        let s = block();
        let a = drawn(&s, vec![("X", rect(10_030.0, 10_000.0, 10_230.0, 10_200.0))]);
        let f = a.figures(&a.perimeters[0]);
        let c = f.verdict.get(Key::Population).unwrap();
        assert_eq!((c.state, c.reason.as_str()), (State::Fails, "no inhabitants in the grid"));
        assert_eq!(f.verdict.get(Key::UrbanUnit).unwrap().state, State::Undecided);
        assert_eq!(f.verdict.state(), State::Fails);
    }
}

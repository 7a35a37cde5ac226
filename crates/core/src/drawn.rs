//! A perimeter as drawn in a file (a préfecture's, a mayor's, the published list),
//! along streets and buildings rather than on the 200 m lattice (issue 19).
//!
//! The adjustments engine edits perimeters square by square ([`crate::Perimeter`]), but
//! a drawn perimeter is judged on its line: the share of each square it covers
//! ([`crate::overlay`]), its parts as drawn and the gaps between them
//! ([`crate::continuity`]). A [`Drawn`] keeps that line beside the lattice version. An
//! edit moves whole squares: a square added joins whole, a square taken out leaves
//! whole, and the rest of the line stays as drawn.

use crate::Cell;
use crate::buildings::{Buildings, PeopleShares};
use crate::continuity::drawn_continuity;
use crate::overlay::cell_shares;
use crate::verdict::Continuity;
use geo::{BooleanOps, Contains};
use geo_types::{Coord, MultiPolygon, Point, Polygon, Rect};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// How a drawn line covers one cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cover {
    /// Share of the cell's area inside the line, in (0, 1].
    pub share: f64,
    /// Whether the cell's centre is inside: the lattice version holds the cell.
    pub centre_inside: bool,
    /// With a buildings layer, the shares of the cell's residents inside the line, by
    /// where its buildings are ([`crate::buildings`]); `None`: the area share counts.
    pub people: Option<PeopleShares>,
}

/// A drawn line: its polygons in the grid's CRS, the cells it covers, and its
/// continuity as drawn (computed once: a session replays the steps at every edit).
#[derive(Debug, Clone, PartialEq)]
pub struct Drawn {
    /// The polygons, grid CRS.
    pub shape: Arc<MultiPolygon<f64>>,
    /// Every cell it covers.
    pub cover: Arc<BTreeMap<Cell, Cover>>,
    /// Its continuity as drawn.
    pub as_drawn: Continuity,
    /// Cells whose centre is outside the line that edits took away (a square moved to
    /// another perimeter, or removed): they no longer count here.
    pub removed: BTreeSet<Cell>,
}

impl Drawn {
    /// The line `shape` on a lattice of side `size`, parts within `tolerance_m` of each
    /// other being one area; `None` when it cuts no square (it lies on the lattice, as
    /// a run's own candidates written to a file do: the lattice version is then exact).
    ///
    /// ```
    /// use geo_types::{MultiPolygon, Rect, coord};
    /// use qpv_core::{Cell, drawn::Drawn};
    /// let on_lattice = Rect::new(coord! { x: 0.0, y: 0.0 }, coord! { x: 400.0, y: 200.0 }).to_polygon();
    /// assert!(Drawn::new(MultiPolygon(vec![on_lattice]), 200.0, 200.0).is_none());
    /// let off = Rect::new(coord! { x: 30.0, y: 0.0 }, coord! { x: 430.0, y: 200.0 }).to_polygon();
    /// let d = Drawn::new(MultiPolygon(vec![off]), 200.0, 200.0).unwrap();
    /// assert_eq!(d.cover.len(), 3);
    /// assert_eq!(d.lattice_cells(), vec![Cell::new(0, 0), Cell::new(1, 0)]);
    /// ```
    pub fn new(shape: MultiPolygon<f64>, size: f64, tolerance_m: f64) -> Option<Drawn> {
        Drawn::measure(shape, size, tolerance_m).1
    }

    /// What a perimeter read from a file starts as: the cells whose centre `shape`
    /// contains (its lattice version, which the adjustments edit) and its line (`None`
    /// on the lattice, see [`Drawn::new`]). The squares' shares are clipped once for both.
    ///
    /// ```
    /// use geo_types::{MultiPolygon, Rect, coord};
    /// use qpv_core::{Cell, drawn::Drawn};
    /// let on_lattice = Rect::new(coord! { x: 0.0, y: 0.0 }, coord! { x: 400.0, y: 200.0 }).to_polygon();
    /// let (cells, line) = Drawn::measure(MultiPolygon(vec![on_lattice]), 200.0, 200.0);
    /// assert_eq!((cells, line), (vec![Cell::new(0, 0), Cell::new(1, 0)], None));
    /// ```
    pub fn measure(shape: MultiPolygon<f64>, size: f64, tolerance_m: f64) -> (Vec<Cell>, Option<Drawn>) {
        let shares = cell_shares(&shape, size);
        if shares.iter().all(|(_, s)| *s >= 1.0) {
            // Every square it covers it covers whole: those are the cells of its centres.
            return (shares.into_iter().map(|(c, _)| c).collect(), None);
        }
        let centre = |c: Cell| Point::new((c.x as f64 + 0.5) * size, (c.y as f64 + 0.5) * size);
        let cover = shares
            .into_iter()
            .map(|(c, share)| {
                let centre_inside = share >= 1.0 || shape.contains(&centre(c));
                (c, Cover { share, centre_inside, people: None })
            })
            .collect();
        let as_drawn = drawn_continuity(&shape.0, tolerance_m);
        let line =
            Drawn { shape: Arc::new(shape), cover: Arc::new(cover), as_drawn, removed: BTreeSet::new() };
        (line.lattice_cells(), Some(line))
    }

    /// The line with the residents of the squares it cuts placed in `buildings`.
    pub fn with_buildings(mut self, buildings: &Buildings) -> Drawn {
        let mut cover = (*self.cover).clone();
        for (c, v) in cover.iter_mut().filter(|(_, v)| v.share < 1.0) {
            v.people = buildings.shares(*c, &self.shape);
        }
        self.cover = Arc::new(cover);
        self
    }

    /// The cells whose centre is inside: the lattice version of the line.
    pub fn lattice_cells(&self) -> Vec<Cell> {
        self.cover.iter().filter(|(_, v)| v.centre_inside).map(|(c, _)| *c).collect()
    }

    /// Whether `cell`'s centre is inside the line.
    pub fn holds_centre(&self, cell: Cell) -> bool {
        self.cover.get(&cell).is_some_and(|v| v.centre_inside)
    }

    /// Whether a cell whose centre is outside the line still counts (partly).
    pub fn counts_outside(&self, cell: Cell) -> bool {
        self.cover.get(&cell).is_some_and(|v| !v.centre_inside) && !self.removed.contains(&cell)
    }

    /// Takes away the part of `cell` under the line when its centre is outside (an
    /// edit moved or removed the square); whether it counted until now.
    pub fn take_outside(&mut self, cell: Cell) -> bool {
        self.counts_outside(cell) && self.removed.insert(cell)
    }

    /// Whether the line is as drawn for a perimeter holding `lattice`: no edit took a
    /// cell away and the lattice holds exactly the cells whose centre is inside.
    pub fn untouched(&self, lattice: &BTreeSet<Cell>) -> bool {
        self.removed.is_empty()
            && self.cover.iter().filter(|(_, v)| v.centre_inside).count() == lattice.len()
            && self.cover.iter().all(|(c, v)| v.centre_inside == lattice.contains(c))
    }

    /// The polygons left of the line for a perimeter holding `lattice`: the line minus
    /// the squares edits took away.
    pub fn kept(&self, lattice: &BTreeSet<Cell>, size: f64) -> Vec<Polygon<f64>> {
        let gone: Vec<Polygon<f64>> = self
            .cover
            .iter()
            .filter(|(c, v)| if v.centre_inside { !lattice.contains(c) } else { self.removed.contains(c) })
            .map(|(c, _)| square(*c, size))
            .collect();
        if gone.is_empty() {
            return self.shape.0.clone();
        }
        self.shape.difference(&MultiPolygon(gone)).0
    }
}

/// The square of a cell.
pub fn square(c: Cell, size: f64) -> Polygon<f64> {
    let (x, y) = (c.x as f64 * size, c.y as f64 * size);
    Rect::new(Coord { x, y }, Coord { x: x + size, y: y + size }).to_polygon()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Area;
    use geo_types::coord;

    /// 30 m off the lattice: 85 % of (0, 0), all of (1, 0), 15 % of (2, 0).
    fn off_lattice_shape() -> MultiPolygon<f64> {
        MultiPolygon(vec![Rect::new(coord! { x: 30.0, y: 0.0 }, coord! { x: 430.0, y: 200.0 }).to_polygon()])
    }

    fn off_lattice() -> Drawn {
        Drawn::new(off_lattice_shape(), 200.0, 200.0).unwrap()
    }

    /// What edits do to these shares is `Perimeter::cover`'s (adjust/figures.rs tests).
    #[test]
    fn a_line_knows_the_share_of_each_cell_and_where_the_centres_are() {
        let d = off_lattice();
        let lattice: BTreeSet<Cell> = d.lattice_cells().into_iter().collect();
        let cover = |x: i32| d.cover[&Cell::new(x, 0)];
        assert!((cover(0).share - 0.85).abs() < 1e-9 && cover(0).centre_inside);
        assert!(cover(1).share == 1.0 && cover(1).centre_inside);
        assert!((cover(2).share - 0.15).abs() < 1e-9 && !cover(2).centre_inside);
        assert!(d.counts_outside(Cell::new(2, 0)) && !d.counts_outside(Cell::new(0, 0)));
        assert!(d.untouched(&lattice));
        let (cells, line) = Drawn::measure(off_lattice_shape(), 200.0, 200.0);
        assert_eq!((cells, line.as_ref()), (d.lattice_cells(), Some(&d)));
        // The lattice version is the cells whose centre the line contains.
        assert_eq!(d.lattice_cells(), crate::lattice::cells_with_centre_inside(&d.shape, 200.0));
    }

    #[test]
    fn a_square_taken_out_leaves_the_line() {
        let mut d = off_lattice();
        let mut lattice: BTreeSet<Cell> = d.lattice_cells().into_iter().collect();
        lattice.remove(&Cell::new(1, 0));
        assert!(!d.untouched(&lattice));
        let kept = d.kept(&lattice, 200.0);
        let area: f64 = kept.iter().map(|p| p.unsigned_area()).sum();
        assert!((area - (170.0 + 30.0) * 200.0).abs() < 1e-6, "{area}");
        assert_eq!(kept.len(), 2, "the line falls in two");
        d.removed.insert(Cell::new(2, 0));
        assert!(!d.counts_outside(Cell::new(2, 0)));
        let area: f64 = d.kept(&lattice, 200.0).iter().map(|p| p.unsigned_area()).sum();
        assert!((area - 170.0 * 200.0).abs() < 1e-6, "{area}");
    }

    #[test]
    fn an_empty_shape_cuts_nothing() {
        assert!(Drawn::new(MultiPolygon(vec![]), 200.0, 200.0).is_none());
    }
}

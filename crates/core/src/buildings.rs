//! Residents where the buildings are (issue 19, the GIS practice of "dasymetric"
//! mapping): each 200 m square's residents spread over its residential buildings, so
//! that a line drawn around buildings counts those inside it.
//!
//! The public grid says how many live in a square, not where in it; a perimeter drawn
//! along streets cuts squares, and the area share of each (residents spread evenly)
//! gave about 70 % of the published population of real quartiers. A layer of building
//! footprints with a weight each (dwellings from BD TOPO's `nombre_de_logements`, or a
//! floor area for OpenStreetMap buildings; read by `qpv_layers::buildings`) tells where
//! they live: a building's share of its square's weight is its share of the residents.
//! A building the line cuts counts by the part of its footprint inside (the point
//! estimate), from nothing (the low end) to whole (the high end). Squares with no
//! building in the layer keep the area share.
//!
//! ```
//! use geo_types::{MultiPolygon, Rect, coord};
//! use qpv_core::buildings::{Building, Buildings};
//! use qpv_core::Cell;
//! let rect = |x0: f64, x1: f64| MultiPolygon(vec![Rect::new(coord! { x: x0, y: 10.0 }, coord! { x: x1, y: 50.0 }).to_polygon()]);
//! // One square, two blocks of 30 dwellings; a line around the western one.
//! let layer = Buildings::new(vec![Building::new(rect(10.0, 60.0), 30.0), Building::new(rect(120.0, 170.0), 30.0)], 200.0);
//! let line = rect(0.0, 100.0);
//! let s = layer.shares(Cell::new(0, 0), &line).unwrap();
//! assert_eq!((s.point, s.low, s.high), (0.5, 0.5, 0.5));
//! assert!(layer.shares(Cell::new(5, 5), &line).is_none(), "no building there");
//! ```

use crate::Cell;
use crate::overlay::cell_shares;
use geo::{Area, BooleanOps, BoundingRect, Intersects};
use geo_types::MultiPolygon;
use rustc_hash::FxHashMap;

/// A residential building: its footprint in the grid's CRS and its weight (dwellings, or
/// floor area: the weights of one layer are of one kind).
#[derive(Debug, Clone, PartialEq)]
pub struct Building {
    /// Footprint, grid CRS.
    pub footprint: MultiPolygon<f64>,
    /// Weight: its share of its square's residents is its share of the square's weight.
    pub weight: f64,
    area: f64,
}

impl Building {
    /// A building.
    pub fn new(footprint: MultiPolygon<f64>, weight: f64) -> Building {
        let area = footprint.unsigned_area();
        Building { footprint, weight, area }
    }
}

/// The shares of a square's residents inside a line, by its buildings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PeopleShares {
    /// Each building by the part of its footprint inside.
    pub point: f64,
    /// Buildings wholly inside only.
    pub low: f64,
    /// Every building the line touches, whole.
    pub high: f64,
}

/// The part of a building in one square: its footprint there, its area and its weight.
#[derive(Debug, Clone)]
struct Part {
    footprint: MultiPolygon<f64>,
    area: f64,
    weight: f64,
}

/// A layer of residential buildings, indexed by the squares of the lattice of side `size`.
#[derive(Debug, Clone, Default)]
pub struct Buildings {
    count: usize,
    /// For each cell: the parts of buildings in it.
    by_cell: FxHashMap<Cell, Vec<Part>>,
}

/// A footprint shares within this of 0 or 1 count as 0 or 1 (coordinates rounded,
/// reprojected): about 1 % of a building.
const EDGE: f64 = 0.01;

impl Buildings {
    /// Indexes `buildings` by the cells their footprints overlap; a building across two
    /// cells brings each the weight of its part there. Buildings without area or weight
    /// are left out.
    pub fn new(buildings: Vec<Building>, size: f64) -> Buildings {
        let buildings: Vec<Building> = buildings
            .into_iter()
            .filter(|b| b.area > 0.0 && b.weight > 0.0 && b.weight.is_finite())
            .collect();
        let mut by_cell: FxHashMap<Cell, Vec<Part>> = FxHashMap::default();
        for b in &buildings {
            let shares = cell_shares(&b.footprint, size);
            for &(c, share) in &shares {
                let area = share * size * size;
                // Most buildings lie in one square: no clipping needed.
                let footprint = if shares.len() == 1 {
                    b.footprint.clone()
                } else {
                    b.footprint.intersection(&MultiPolygon(vec![crate::drawn::square(c, size)]))
                };
                by_cell.entry(c).or_default().push(Part {
                    footprint,
                    area,
                    weight: b.weight * (area / b.area).min(1.0),
                });
            }
        }
        Buildings { count: buildings.len(), by_cell }
    }

    /// Number of buildings kept.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether no building was kept.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The shares of the residents of `cell` inside `line`, by its buildings; `None` when
    /// the layer has no residential building in the cell.
    pub fn shares(&self, cell: Cell, line: &MultiPolygon<f64>) -> Option<PeopleShares> {
        let list = self.by_cell.get(&cell)?;
        let total: f64 = list.iter().map(|p| p.weight).sum();
        let (mut point, mut low, mut high) = (0.0, 0.0, 0.0);
        let line_box = line.bounding_rect()?;
        for p in list {
            let w = p.weight;
            let inside = match p.footprint.bounding_rect() {
                Some(r) if r.intersects(&line_box) && p.footprint.intersects(line) => {
                    (p.footprint.intersection(line).unsigned_area() / p.area).clamp(0.0, 1.0)
                }
                _ => 0.0,
            };
            point += w * inside;
            low += w * f64::from(u8::from(inside >= 1.0 - EDGE));
            high += w * f64::from(u8::from(inside > EDGE));
        }
        Some(PeopleShares { point: point / total, low: low / total, high: high / total })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{Rect, coord};

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![Rect::new(coord! { x: x0, y: y0 }, coord! { x: x1, y: y1 }).to_polygon()])
    }

    #[test]
    fn an_empty_layer_knows_no_square() {
        let b = Buildings::new(Vec::new(), 200.0);
        assert!(b.is_empty());
        assert!(b.shares(Cell::new(0, 0), &rect(0.0, 0.0, 200.0, 200.0)).is_none());
    }

    #[test]
    fn a_building_the_line_cuts_counts_from_nothing_to_whole() {
        let b = Buildings::new(vec![Building::new(rect(10.0, 10.0, 50.0, 50.0), 12.0)], 200.0);
        let s = b.shares(Cell::new(0, 0), &rect(0.0, 0.0, 30.0, 200.0)).unwrap();
        assert!((s.point - 0.5).abs() < 1e-9);
        assert_eq!((s.low, s.high), (0.0, 1.0));
    }

    #[test]
    fn a_building_across_two_squares_weighs_in_each_by_its_part() {
        // 40 m wide, 10 m in square (0, 0), 30 m in square (1, 0); 40 dwellings.
        let b = Buildings::new(
            vec![
                Building::new(rect(190.0, 10.0, 230.0, 50.0), 40.0),
                Building::new(rect(300.0, 10.0, 340.0, 50.0), 10.0),
            ],
            200.0,
        );
        // The line holds the square (1, 0) west of x = 260: the first building's part.
        let s = b.shares(Cell::new(1, 0), &rect(200.0, 0.0, 260.0, 200.0)).unwrap();
        assert!((s.point - 30.0 / 40.0).abs() < 1e-9, "{s:?}");
        assert!(b.shares(Cell::new(0, 0), &rect(0.0, 0.0, 100.0, 100.0)).unwrap().point == 0.0);
    }

    #[test]
    fn buildings_without_weight_or_area_are_left_out() {
        let b = Buildings::new(
            vec![
                Building::new(rect(0.0, 0.0, 10.0, 10.0), 0.0),
                Building::new(rect(5.0, 5.0, 5.0, 9.0), 3.0),
            ],
            200.0,
        );
        assert!(b.is_empty());
    }
}

//! Which 200 m squares a drawn polygon or a list of square ids takes: the one place
//! where an adjustment's geometry becomes squares (beside [`crate::overlay`], which
//! gives the area share of every square a region cuts).
//!
//! Perimeters are sets of squares (METHOD.md §3), so a polygon drawn in an adjustment
//! (`add`, `remove`, `split`) takes the squares whose **centre** is inside it; a renewal
//! area kept whole (`keep_whole`) takes every square whose interior it meets.

use crate::{Cell, SquareId, SquareIdError};
use geo::{BoundingRect, Contains, Intersects};
use geo_types::{Coord, MultiPolygon, Point, Rect};

/// Lattice cells of side `size` whose centre lies inside `region` (a centre on an edge
/// is not inside).
///
/// ```
/// use geo_types::{MultiPolygon, Rect, coord};
/// use qpv_core::{Cell, lattice::cells_with_centre_inside};
/// let drawn = MultiPolygon(vec![Rect::new(coord! { x: 0.0, y: 0.0 }, coord! { x: 310.0, y: 150.0 }).to_polygon()]);
/// assert_eq!(cells_with_centre_inside(&drawn, 200.0), vec![Cell::new(0, 0), Cell::new(1, 0)]);
/// ```
pub fn cells_with_centre_inside(region: &MultiPolygon<f64>, size: f64) -> Vec<Cell> {
    cells_in_bbox(region, size)
        .into_iter()
        .filter(|c| region.contains(&Point::new((c.x as f64 + 0.5) * size, (c.y as f64 + 0.5) * size)))
        .collect()
}

/// Lattice cells of side `size` whose interior meets `region` (touching an edge or a
/// corner is not meeting: 1 cm inside the square counts).
pub fn cells_intersecting(region: &MultiPolygon<f64>, size: f64) -> Vec<Cell> {
    let eps = 0.01;
    cells_in_bbox(region, size)
        .into_iter()
        .filter(|c| {
            let (x0, y0) = (c.x as f64 * size, c.y as f64 * size);
            let r = Rect::new(
                Coord { x: x0 + eps, y: y0 + eps },
                Coord { x: x0 + size - eps, y: y0 + size - eps },
            );
            region.intersects(&r.to_polygon())
        })
        .collect()
}

fn cells_in_bbox(region: &MultiPolygon<f64>, size: f64) -> Vec<Cell> {
    let Some(r) = region.bounding_rect() else { return Vec::new() };
    let (x0, x1) = ((r.min().x / size).floor() as i32, (r.max().x / size).floor() as i32);
    let (y0, y1) = ((r.min().y / size).floor() as i32, (r.max().y / size).floor() as i32);
    (y0..=y1).flat_map(|y| (x0..=x1).map(move |x| Cell::new(x, y))).collect()
}

/// A square id that is not a square of the grid at hand.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SquareOffGrid {
    /// The id cannot be read.
    #[error(transparent)]
    Id(#[from] SquareIdError),
    /// The id is of another CRS or square size.
    #[error("square {id} is not in the grid's CRS and size (EPSG:{epsg}, {size} m)")]
    OtherGrid {
        /// The id as given.
        id: String,
        /// The grid's CRS.
        epsg: u32,
        /// The grid's square size, m.
        size: u32,
    },
}

/// Cells of square ids, checking they are on the grid's lattice (`epsg`, `size`).
pub fn cells_of_ids(ids: &[String], epsg: u32, size: u32) -> Result<Vec<Cell>, SquareOffGrid> {
    ids.iter()
        .map(|id| {
            let sid = SquareId::parse(id.as_bytes())?;
            if sid.epsg != epsg || sid.size != size {
                return Err(SquareOffGrid::OtherGrid { id: id.clone(), epsg, size });
            }
            Ok(sid.cell()?)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testutil::rect;

    #[test]
    fn centres_inside_and_on_an_edge() {
        // 0..310 m covers the centres of cells 0 (100) and 1 (300).
        assert_eq!(
            cells_with_centre_inside(&rect(0.0, 0.0, 310.0, 150.0), 200.0),
            vec![Cell::new(0, 0), Cell::new(1, 0)]
        );
        // A polygon ending exactly on a centre does not take that square.
        assert_eq!(cells_with_centre_inside(&rect(0.0, 0.0, 300.0, 150.0), 200.0), vec![Cell::new(0, 0)]);
    }

    #[test]
    fn intersecting_needs_overlap_not_a_touch() {
        let thin = rect(150.0, 0.0, 400.0, 10.0);
        assert_eq!(cells_intersecting(&thin, 200.0), vec![Cell::new(0, 0), Cell::new(1, 0)]);
        assert!(cells_with_centre_inside(&thin, 200.0).is_empty());
        // Touching only at a corner takes nothing.
        assert!(
            cells_intersecting(&rect(200.0, 200.0, 400.0, 400.0), 200.0).iter().all(|c| c.x == 1 && c.y == 1)
        );
    }

    #[test]
    fn empty_region_takes_no_square() {
        assert!(cells_with_centre_inside(&MultiPolygon(vec![]), 200.0).is_empty());
        assert!(cells_intersecting(&MultiPolygon(vec![]), 200.0).is_empty());
    }

    #[test]
    fn a_hole_keeps_its_squares_out() {
        use geo_types::{LineString, Polygon};
        let ring = |x0: f64, y0: f64, x1: f64, y1: f64| {
            LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)])
        };
        let donut = MultiPolygon(vec![Polygon::new(
            ring(0.0, 0.0, 600.0, 600.0),
            vec![ring(200.0, 200.0, 400.0, 400.0)],
        )]);
        let cells = cells_with_centre_inside(&donut, 200.0);
        assert_eq!(cells.len(), 8);
        assert!(!cells.contains(&Cell::new(1, 1)));
    }

    #[test]
    fn square_ids_must_match_the_grid() {
        assert_eq!(
            cells_of_ids(&["CRS3035RES200mN400E600".into()], 3035, 200).unwrap(),
            vec![Cell::new(3, 2)]
        );
        assert!(matches!(
            cells_of_ids(&["CRS2154RES200mN400E600".into()], 3035, 200),
            Err(SquareOffGrid::OtherGrid { .. })
        ));
        assert!(matches!(cells_of_ids(&["nonsense".into()], 3035, 200), Err(SquareOffGrid::Id(_))));
    }
}

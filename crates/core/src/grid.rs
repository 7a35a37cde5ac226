//! The grid: the inhabited squares of one territory, stored column by column.
//!
//! Only the columns the method needs are kept (METHOD.md §4–5): individuals,
//! households, poor households, the sum of niveaux de vie, the imputation flag
//! and the communes each square touches. 2.3 M squares take about 110 MB.

use crate::{Cell, CommuneCode};
use rustc_hash::FxHashMap;

/// The values of one square, as read from a grid file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SquareValues {
    /// Individuals (`ind`).
    pub individuals: f64,
    /// Fiscal households (`men`).
    pub households: f64,
    /// Households below the poverty line (`men_pauv`); `NaN` when missing.
    pub poor_households: f64,
    /// Sum of the winsorised niveaux de vie of the individuals (`ind_snv`); `NaN` when missing.
    pub income_sum: f64,
    /// The values were imputed over a group of squares (`i_est_200 = 1`).
    pub imputed: bool,
}

/// The coordinate system and square size shared by every square of a grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GridFrame {
    /// EPSG code (3035 metropolitan France, 5490 Antilles, 2975 Réunion).
    pub epsg: u32,
    /// Square side in metres.
    pub square_size: u32,
}

/// Columnar storage of squares. Build it with [`GridBuilder`].
#[derive(Debug, Clone, Default)]
pub struct Grid {
    frame: Option<GridFrame>,
    cells: Vec<Cell>,
    values: Vec<SquareValues>,
    lines: Vec<u64>,
    commune_start: Vec<u32>,
    communes: Vec<CommuneCode>,
}

/// Why squares cannot form one grid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GridError {
    /// Two squares use different coordinate systems or sizes (METHOD.md §4: never mix territories).
    #[error(
        "line {line}: square in EPSG:{found_epsg} at {found_size} m, but the grid started in \
         EPSG:{epsg} at {size} m (line {first_line}); one grid must hold one territory and one \
         square size"
    )]
    MixedFrames {
        /// Line of the offending square.
        line: u64,
        /// Its EPSG code.
        found_epsg: u32,
        /// Its square size.
        found_size: u32,
        /// Line of the first square.
        first_line: u64,
        /// EPSG code of the first square.
        epsg: u32,
        /// Size of the first square.
        size: u32,
    },
    /// The same square appears twice.
    #[error("square at cell ({x}, {y}) appears twice, on lines {first_line} and {line}")]
    DuplicateSquare {
        /// Column of the square.
        x: i32,
        /// Row of the square.
        y: i32,
        /// Line of its first appearance.
        first_line: u64,
        /// Line of its second appearance.
        line: u64,
    },
}

impl Grid {
    /// Number of squares.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// True when the grid holds no square.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// CRS and square size, `None` for an empty grid.
    pub fn frame(&self) -> Option<GridFrame> {
        self.frame
    }

    /// Lattice cells, one per square.
    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    /// Values, one per square.
    pub fn values(&self) -> &[SquareValues] {
        &self.values
    }

    /// The source line of square `i` (for messages).
    pub fn line(&self, i: usize) -> u64 {
        self.lines[i]
    }

    /// The communes square `i` touches, as listed in `lcog_geo`.
    pub fn communes(&self, i: usize) -> &[CommuneCode] {
        let (a, b) = (self.commune_start[i] as usize, self.commune_start[i + 1] as usize);
        &self.communes[a..b]
    }

    /// Total individuals.
    pub fn individuals(&self) -> f64 {
        self.values.iter().map(|v| v.individuals).sum()
    }

    /// An index from cell to square, refusing duplicates.
    pub fn index(&self) -> Result<FxHashMap<u64, u32>, GridError> {
        let mut map = FxHashMap::with_capacity_and_hasher(self.len(), Default::default());
        for (i, cell) in self.cells.iter().enumerate() {
            if let Some(first) = map.insert(cell.key(), i as u32) {
                return Err(GridError::DuplicateSquare {
                    x: cell.x,
                    y: cell.y,
                    first_line: self.lines[first as usize],
                    line: self.lines[i],
                });
            }
        }
        Ok(map)
    }
}

/// Collects squares into a [`Grid`], checking that they share one frame.
///
/// ```
/// use qpv_core::{Cell, CommuneCode, GridBuilder, GridFrame, SquareValues};
/// let frame = GridFrame { epsg: 3035, square_size: 200 };
/// let values = SquareValues { individuals: 10.0, households: 4.0, poor_households: 1.0,
///                             income_sum: 200_000.0, imputed: false };
/// let mut builder = GridBuilder::new();
/// builder.push(frame, Cell::new(0, 0), values, &[CommuneCode::parse(b"59172")?], 2)?;
/// let grid = builder.finish();
/// assert_eq!(grid.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct GridBuilder {
    grid: Grid,
    first_line: u64,
}

impl GridBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        GridBuilder { grid: Grid { commune_start: vec![0], ..Grid::default() }, first_line: 0 }
    }

    /// An empty builder with room for `n` squares.
    pub fn with_capacity(n: usize) -> Self {
        let mut b = GridBuilder::new();
        b.grid.cells.reserve(n);
        b.grid.values.reserve(n);
        b.grid.lines.reserve(n);
        b.grid.commune_start.reserve(n);
        b.grid.communes.reserve(n + n / 8);
        b
    }

    /// Adds one square read on `line`.
    pub fn push(
        &mut self,
        frame: GridFrame,
        cell: Cell,
        values: SquareValues,
        communes: &[CommuneCode],
        line: u64,
    ) -> Result<(), GridError> {
        self.check_frame(frame, line)?;
        let g = &mut self.grid;
        g.cells.push(cell);
        g.values.push(values);
        g.lines.push(line);
        g.communes.extend_from_slice(communes);
        g.commune_start.push(g.communes.len() as u32);
        Ok(())
    }

    fn check_frame(&mut self, frame: GridFrame, line: u64) -> Result<(), GridError> {
        match self.grid.frame {
            None => {
                self.grid.frame = Some(frame);
                self.first_line = line;
                Ok(())
            }
            Some(f) if f == frame => Ok(()),
            Some(f) => Err(GridError::MixedFrames {
                line,
                found_epsg: frame.epsg,
                found_size: frame.square_size,
                first_line: self.first_line,
                epsg: f.epsg,
                size: f.square_size,
            }),
        }
    }

    /// Appends the squares of another builder (parts of one file read in parallel,
    /// in file order).
    pub fn append(&mut self, other: GridBuilder) -> Result<(), GridError> {
        let Some(frame) = other.grid.frame else {
            return Ok(());
        };
        self.check_frame(frame, other.first_line)?;
        let g = &mut self.grid;
        let base = g.communes.len() as u32;
        let o = other.grid;
        g.cells.extend(o.cells);
        g.values.extend(o.values);
        g.lines.extend(o.lines);
        g.communes.extend(o.communes);
        g.commune_start.extend(o.commune_start[1..].iter().map(|s| s + base));
        Ok(())
    }

    /// The grid.
    pub fn finish(self) -> Grid {
        self.grid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAME: GridFrame = GridFrame { epsg: 3035, square_size: 200 };

    fn values(ind: f64) -> SquareValues {
        SquareValues {
            individuals: ind,
            households: ind / 2.0,
            poor_households: 0.0,
            income_sum: ind * 20_000.0,
            imputed: false,
        }
    }

    fn code(s: &str) -> CommuneCode {
        CommuneCode::parse(s.as_bytes()).unwrap()
    }

    #[test]
    fn empty_grid() {
        let grid = GridBuilder::new().finish();
        assert!(grid.is_empty());
        assert_eq!(grid.frame(), None);
        assert!(grid.index().unwrap().is_empty());
    }

    #[test]
    fn one_square_keeps_its_communes() {
        let mut b = GridBuilder::new();
        b.push(FRAME, Cell::new(1, 2), values(10.0), &[code("59172"), code("59153")], 2).unwrap();
        let g = b.finish();
        assert_eq!(g.communes(0), &[code("59172"), code("59153")]);
        assert_eq!(g.individuals(), 10.0);
    }

    #[test]
    fn mixed_crs_is_refused_with_both_lines() {
        let mut b = GridBuilder::new();
        b.push(FRAME, Cell::new(0, 0), values(1.0), &[], 2).unwrap();
        let other = GridFrame { epsg: 5490, square_size: 200 };
        let err = b.push(other, Cell::new(0, 1), values(1.0), &[], 9).unwrap_err();
        assert!(matches!(err, GridError::MixedFrames { line: 9, first_line: 2, .. }));
        assert!(err.to_string().contains("EPSG:5490"));
    }

    #[test]
    fn mixed_sizes_are_refused_when_appending() {
        let mut a = GridBuilder::new();
        a.push(FRAME, Cell::new(0, 0), values(1.0), &[], 2).unwrap();
        let mut b = GridBuilder::new();
        let km = GridFrame { epsg: 3035, square_size: 1000 };
        b.push(km, Cell::new(0, 0), values(1.0), &[], 40).unwrap();
        assert!(a.append(b).is_err());
    }

    #[test]
    fn append_keeps_commune_offsets() {
        let mut a = GridBuilder::new();
        a.push(FRAME, Cell::new(0, 0), values(1.0), &[code("59172")], 2).unwrap();
        let mut b = GridBuilder::new();
        b.push(FRAME, Cell::new(0, 1), values(1.0), &[code("59153"), code("59122")], 3).unwrap();
        a.append(b).unwrap();
        let g = a.finish();
        assert_eq!(g.communes(1), &[code("59153"), code("59122")]);
        assert_eq!(g.line(1), 3);
    }

    #[test]
    fn duplicate_square_names_both_lines() {
        let mut b = GridBuilder::new();
        b.push(FRAME, Cell::new(4, 4), values(1.0), &[], 2).unwrap();
        b.push(FRAME, Cell::new(4, 4), values(1.0), &[], 7).unwrap();
        let err = b.finish().index().unwrap_err();
        assert_eq!(err, GridError::DuplicateSquare { x: 4, y: 4, first_line: 2, line: 7 });
    }
}

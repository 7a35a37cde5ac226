//! The grid: the inhabited squares of one territory, stored column by column.
//!
//! Only the columns the method needs are kept (METHOD.md §4–5): individuals,
//! households, poor households, the sum of niveaux de vie, the imputation flag
//! and the communes each square touches. 2.3 M squares take about 110 MB.

use crate::{Cell, CommuneCode};
use rayon::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};

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
    /// Columns read back from a cache do not fit together (a damaged file).
    #[error("the grid's columns do not fit together (a damaged cache file?)")]
    Inconsistent,
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

    /// The columns as stored, for binary caches: source lines, offsets of each square's
    /// communes, and all communes in square order.
    pub fn raw_parts(&self) -> (&[u64], &[u32], &[CommuneCode]) {
        (&self.lines, &self.commune_start, &self.communes)
    }

    /// Rebuilds a grid from its columns (a binary cache), checking that they fit together.
    pub fn from_raw_parts(
        frame: Option<GridFrame>,
        cells: Vec<Cell>,
        values: Vec<SquareValues>,
        lines: Vec<u64>,
        commune_start: Vec<u32>,
        communes: Vec<CommuneCode>,
    ) -> Result<Grid, GridError> {
        let n = cells.len();
        let consistent = values.len() == n
            && lines.len() == n
            && commune_start.len() == n + 1
            && commune_start.first() == Some(&0)
            && commune_start.windows(2).all(|w| w[0] <= w[1])
            && commune_start.last().map(|&l| l as usize) == Some(communes.len())
            && (frame.is_some() || n == 0);
        if !consistent {
            return Err(GridError::Inconsistent);
        }
        Ok(Grid { frame, cells, values, lines, commune_start, communes })
    }

    /// Total individuals.
    pub fn individuals(&self) -> f64 {
        self.values.iter().map(|v| v.individuals).sum()
    }

    /// An index of the inhabited cells, refusing duplicate squares.
    pub fn index(&self) -> Result<SquareIndex, GridError> {
        let index = SquareIndex::new(&self.cells);
        match index.duplicate {
            None => Ok(index),
            Some(cell) => {
                let mut at = self.cells.iter().enumerate().filter(|(_, c)| **c == cell).map(|(i, _)| i);
                let (a, b) = (at.next().unwrap_or(0), at.next().unwrap_or(0));
                Err(GridError::DuplicateSquare {
                    x: cell.x,
                    y: cell.y,
                    first_line: self.lines[a],
                    line: self.lines[b],
                })
            }
        }
    }
}

/// Which lattice cells hold a square: a bitmap over the grid's bounding box (10 MB
/// for metropolitan France, filled in parallel), or a sorted list when the box is too
/// large for a bitmap (a grid with far-flung squares).
#[derive(Debug, Default)]
pub struct SquareIndex {
    x0: i64,
    y0: i64,
    width: u64,
    bits: Vec<AtomicU64>,
    sorted: Vec<u64>,
    duplicate: Option<Cell>,
}

/// Largest bitmap, in bits (512 MB).
const MAX_BITMAP_BITS: u64 = 1 << 32;

impl SquareIndex {
    fn new(cells: &[Cell]) -> SquareIndex {
        let Some(first) = cells.first() else { return SquareIndex::default() };
        let bounds = cells
            .par_iter()
            .fold(
                || (first.x, first.y, first.x, first.y),
                |b, c| (b.0.min(c.x), b.1.min(c.y), b.2.max(c.x), b.3.max(c.y)),
            )
            .reduce(
                || (first.x, first.y, first.x, first.y),
                |a, b| (a.0.min(b.0), a.1.min(b.1), a.2.max(b.2), a.3.max(b.3)),
            );
        let (x0, y0) = (bounds.0 as i64, bounds.1 as i64);
        let width = (bounds.2 as i64 - x0 + 1) as u64;
        let height = (bounds.3 as i64 - y0 + 1) as u64;
        if width.saturating_mul(height) > MAX_BITMAP_BITS {
            return SquareIndex::sorted(cells);
        }
        let bits: Vec<AtomicU64> = (0..(width * height).div_ceil(64)).map(|_| AtomicU64::new(0)).collect();
        let mut index = SquareIndex { x0, y0, width, bits, sorted: Vec::new(), duplicate: None };
        let duplicate = cells.par_iter().find_any(|c| {
            let bit = index.bit(**c);
            index.bits[(bit / 64) as usize].fetch_or(1 << (bit % 64), Ordering::Relaxed) & (1 << (bit % 64))
                != 0
        });
        index.duplicate = duplicate.copied();
        index
    }

    fn sorted(cells: &[Cell]) -> SquareIndex {
        let mut sorted: Vec<u64> = cells.par_iter().map(|c| c.key()).collect();
        sorted.par_sort_unstable();
        let duplicate = sorted.windows(2).find(|w| w[0] == w[1]).map(|w| {
            let k = w[0];
            Cell::new((k >> 32) as u32 as i32, k as u32 as i32)
        });
        SquareIndex { sorted, duplicate, ..SquareIndex::default() }
    }

    fn bit(&self, c: Cell) -> u64 {
        (c.y as i64 - self.y0) as u64 * self.width + (c.x as i64 - self.x0) as u64
    }

    /// Whether the grid has a square (an inhabited one) at `cell`.
    pub fn contains(&self, cell: Cell) -> bool {
        if self.bits.is_empty() {
            return self.sorted.binary_search(&cell.key()).is_ok();
        }
        let (dx, dy) = (cell.x as i64 - self.x0, cell.y as i64 - self.y0);
        if dx < 0
            || dy < 0
            || dx as u64 >= self.width
            || dy as u64 >= (self.bits.len() as u64 * 64) / self.width
        {
            return false;
        }
        let bit = self.bit(cell);
        (bit / 64) < self.bits.len() as u64
            && self.bits[(bit / 64) as usize].load(Ordering::Relaxed) & (1 << (bit % 64)) != 0
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
        b.reserve(n);
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
        self.append_from(&other, 0)
    }

    /// Appends a copy of the squares of another builder, adding `line_offset` to their
    /// line numbers (parts parsed with lines counted from their own start). The other
    /// builder can then be [cleared](GridBuilder::clear) and reused without allocating.
    pub fn append_from(&mut self, other: &GridBuilder, line_offset: u64) -> Result<(), GridError> {
        let Some(frame) = other.grid.frame else {
            return Ok(());
        };
        self.check_frame(frame, other.first_line + line_offset)?;
        let g = &mut self.grid;
        let base = g.communes.len() as u32;
        let o = &other.grid;
        g.cells.extend_from_slice(&o.cells);
        g.values.extend_from_slice(&o.values);
        g.lines.extend(o.lines.iter().map(|l| l + line_offset));
        g.communes.extend_from_slice(&o.communes);
        g.commune_start.extend(o.commune_start[1..].iter().map(|s| s + base));
        Ok(())
    }

    /// Forgets every square, keeping the memory.
    pub fn clear(&mut self) {
        let g = &mut self.grid;
        g.frame = None;
        g.cells.clear();
        g.values.clear();
        g.lines.clear();
        g.communes.clear();
        g.commune_start.truncate(1);
        self.first_line = 0;
    }

    /// Makes room for `n` more squares.
    pub fn reserve(&mut self, n: usize) {
        let g = &mut self.grid;
        g.cells.reserve(n);
        g.values.reserve(n);
        g.lines.reserve(n);
        g.commune_start.reserve(n);
        g.communes.reserve(n + n / 8);
    }

    /// Squares so far.
    pub fn len(&self) -> usize {
        self.grid.cells.len()
    }

    /// True before the first square.
    pub fn is_empty(&self) -> bool {
        self.grid.cells.is_empty()
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
        assert!(!grid.index().unwrap().contains(Cell::new(0, 0)));
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
    fn index_finds_squares_by_cell() {
        let mut b = GridBuilder::new();
        for (n, (x, y)) in [(3, -2), (-5, 7), (0, 0)].into_iter().enumerate() {
            b.push(FRAME, Cell::new(x, y), values(1.0), &[], n as u64 + 2).unwrap();
        }
        let index = b.finish().index().unwrap();
        assert!(index.contains(Cell::new(-5, 7)));
        assert!(index.contains(Cell::new(0, 0)));
        assert!(!index.contains(Cell::new(7, -5)));
        assert!(!index.contains(Cell::new(100, 100)));
        assert!(!index.contains(Cell::new(-6, 7)));
    }

    #[test]
    fn far_flung_squares_use_the_sorted_index() {
        let mut b = GridBuilder::new();
        b.push(FRAME, Cell::new(0, 0), values(1.0), &[], 2).unwrap();
        b.push(FRAME, Cell::new(2_000_000_000, 2_000_000_000), values(1.0), &[], 3).unwrap();
        b.push(FRAME, Cell::new(2_000_000_000, 2_000_000_000), values(1.0), &[], 4).unwrap();
        let err = b.finish().index().unwrap_err();
        assert!(matches!(err, GridError::DuplicateSquare { first_line: 3, line: 4, .. }));
        let mut b = GridBuilder::new();
        b.push(FRAME, Cell::new(0, 0), values(1.0), &[], 2).unwrap();
        b.push(FRAME, Cell::new(2_000_000_000, -2_000_000_000), values(1.0), &[], 3).unwrap();
        let index = b.finish().index().unwrap();
        assert!(index.contains(Cell::new(2_000_000_000, -2_000_000_000)));
        assert!(!index.contains(Cell::new(1, 0)));
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

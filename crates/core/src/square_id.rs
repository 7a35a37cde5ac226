//! INSEE square identifiers: `CRS{epsg}RES{size}mN{northing}E{easting}`.
//!
//! The id encodes the **south-west corner** of the square, northing first
//! (METHOD.md §4 "Coordinates"; Regulation (EU) 2018/1799 art. 3). The square
//! covers `[E, E + size) × [N, N + size)` in the CRS's metres.

use std::fmt;

/// A parsed square id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SquareId {
    /// EPSG code of the CRS (3035 for metropolitan France).
    pub epsg: u32,
    /// Side of the square in metres (200 for the Filosofi grid).
    pub size: u32,
    /// Northing of the south-west corner, metres.
    pub north: i64,
    /// Easting of the south-west corner, metres.
    pub east: i64,
}

/// An integer lattice cell: `x = easting / size`, `y = northing / size`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cell {
    /// Column (easting / size).
    pub x: i32,
    /// Row (northing / size).
    pub y: i32,
}

impl Cell {
    /// A cell from its column and row.
    pub const fn new(x: i32, y: i32) -> Self {
        Cell { x, y }
    }

    /// A single 64-bit key, for hash maps.
    pub const fn key(self) -> u64 {
        ((self.x as u32 as u64) << 32) | (self.y as u32 as u64)
    }
}

/// Why a square id could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SquareIdError {
    /// The text does not follow `CRS{epsg}RES{size}mN{north}E{east}`.
    #[error("square id {0:?} is not of the form CRS3035RES200mN2029800E4252400")]
    Malformed(String),
    /// A coordinate is not a multiple of the square size, so it is not on the lattice.
    #[error("square id {id:?}: coordinates are not multiples of the {size} m square size")]
    OffLattice {
        /// The id as read.
        id: String,
        /// Square size read from the id.
        size: u32,
    },
}

impl SquareId {
    /// Parses an id such as `CRS3035RES200mN2029800E4252400`.
    ///
    /// ```
    /// use qpv_core::SquareId;
    /// let id = SquareId::parse(b"CRS3035RES200mN2029800E4252400").unwrap();
    /// assert_eq!((id.epsg, id.size, id.north, id.east), (3035, 200, 2_029_800, 4_252_400));
    /// ```
    pub fn parse(text: &[u8]) -> Result<SquareId, SquareIdError> {
        let t = trim(text);
        let mut p = Cursor { t, at: 0 };
        let parsed = (|| {
            p.tag(b"CRS")?;
            let epsg = p.number()?;
            p.tag(b"RES")?;
            let size = p.number()?;
            p.tag(b"MN")?;
            let north = p.number()?;
            p.tag(b"E")?;
            let east = p.number()?;
            (p.at == t.len() && size > 0 && epsg <= u32::MAX as u64 && size <= u32::MAX as u64).then_some(
                SquareId { epsg: epsg as u32, size: size as u32, north: north as i64, east: east as i64 },
            )
        })();
        parsed.ok_or_else(|| SquareIdError::Malformed(String::from_utf8_lossy(text).into_owned()))
    }

    /// The square of a lattice cell: the inverse of [`SquareId::cell`]. Its text (by
    /// `Display`) is the INSEE id, as `qpv serve` gives each square in view.
    ///
    /// ```
    /// use qpv_core::{Cell, SquareId};
    /// let id = SquareId::of_cell(Cell::new(21_262, 10_149), 3035, 200);
    /// assert_eq!(id.to_string(), "CRS3035RES200mN2029800E4252400");
    /// ```
    pub fn of_cell(cell: Cell, epsg: u32, size: u32) -> SquareId {
        // In i64: a 1 km cell far east would overflow i32 metres.
        let (north, east) = (i64::from(cell.y) * i64::from(size), i64::from(cell.x) * i64::from(size));
        SquareId { epsg, size, north, east }
    }

    /// The lattice cell of this square, or an error when the corner is off the lattice.
    pub fn cell(&self) -> Result<Cell, SquareIdError> {
        let s = self.size as i64;
        let (x, y) = (self.east / s, self.north / s);
        if self.east % s != 0 || self.north % s != 0 || x > i32::MAX as i64 || y > i32::MAX as i64 {
            return Err(SquareIdError::OffLattice { id: self.to_string(), size: self.size });
        }
        Ok(Cell::new(x as i32, y as i32))
    }
}

impl fmt::Display for SquareId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CRS{}RES{}mN{}E{}", self.epsg, self.size, self.north, self.east)
    }
}

fn trim(t: &[u8]) -> &[u8] {
    let clean = |b: Option<&u8>| b.is_some_and(|b| !b.is_ascii_whitespace() && *b != b'"');
    if clean(t.first()) && clean(t.last()) {
        return t;
    }
    let start = t.iter().position(|b| !b.is_ascii_whitespace() && *b != b'"');
    let end = t.iter().rposition(|b| !b.is_ascii_whitespace() && *b != b'"');
    match (start, end) {
        (Some(s), Some(e)) => &t[s..=e],
        _ => &[],
    }
}

/// A single pass over an id.
struct Cursor<'a> {
    t: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    /// Consumes `tag` (uppercase), in any case.
    fn tag(&mut self, tag: &[u8]) -> Option<()> {
        let end = self.at + tag.len();
        let ok = end <= self.t.len()
            && self.t[self.at..end].iter().zip(tag).all(|(a, b)| a.to_ascii_uppercase() == *b);
        ok.then(|| self.at = end)
    }

    /// Consumes 1 to 12 digits.
    fn number(&mut self) -> Option<u64> {
        let start = self.at;
        let mut v = 0u64;
        while let Some(d) = self.t.get(self.at).filter(|b| b.is_ascii_digit()) {
            v = v * 10 + u64::from(d - b'0');
            self.at += 1;
            if self.at - start > 12 {
                return None;
            }
        }
        (self.at > start).then_some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_gives_back_the_id_it_was_read_from() {
        for text in ["CRS3035RES200mN2029800E4252400", "CRS5490RES200mN1794200E694600", "CRS3035RES1000mN0E0"]
        {
            let id = SquareId::parse(text.as_bytes()).unwrap();
            let back = SquareId::of_cell(id.cell().unwrap(), id.epsg, id.size);
            assert_eq!((back, back.to_string()), (id, text.to_owned()));
        }
    }

    #[test]
    fn a_cell_west_or_south_of_the_origin_has_negative_coordinates() {
        let id = SquareId::of_cell(Cell::new(-3, -1), 3035, 200);
        assert_eq!((id.north, id.east), (-200, -600));
        assert_eq!(id.cell().unwrap(), Cell::new(-3, -1));
    }

    #[test]
    fn large_cells_do_not_overflow_metres() {
        let id = SquareId::of_cell(Cell::new(i32::MAX, 1), 3035, 1000);
        assert_eq!(id.east, i64::from(i32::MAX) * 1000);
    }

    #[test]
    fn bonifacio_square_reads_northing_first() {
        let id = SquareId::parse(b"CRS3035RES200mN2029800E4252400").unwrap();
        assert_eq!(id.north, 2_029_800);
        assert_eq!(id.east, 4_252_400);
        assert_eq!(id.cell().unwrap(), Cell::new(21_262, 10_149));
    }

    #[test]
    fn overseas_and_other_sizes_parse() {
        let id = SquareId::parse(b"CRS5490RES200mN1620000E706000").unwrap();
        assert_eq!((id.epsg, id.size), (5490, 200));
        let km = SquareId::parse(b"CRS3035RES1000mN3035000E3850000").unwrap();
        assert_eq!(km.size, 1000);
        assert_eq!(km.cell().unwrap(), Cell::new(3850, 3035));
    }

    #[test]
    fn case_quotes_and_spaces_are_tolerated() {
        let id = SquareId::parse(b" \"crs3035res200mn2029800e4252400\" ").unwrap();
        assert_eq!(id.east, 4_252_400);
    }

    #[test]
    fn display_round_trips() {
        let text = "CRS3035RES200mN3035400E3850200";
        assert_eq!(SquareId::parse(text.as_bytes()).unwrap().to_string(), text);
    }

    #[test]
    fn typos_are_rejected() {
        for bad in [
            "",
            "CRS3035RES200mN3035400",
            "CRS3035RES200mE3850200N3035400",
            "CRS3035RES200mN30354OOE3850200",
            "CRS3035RES200mN3035400E3850200x",
            "CRS3035RES0mN3035400E3850200",
            "CRS3035RES200mN3035400E-3850200",
        ] {
            assert!(
                matches!(SquareId::parse(bad.as_bytes()), Err(SquareIdError::Malformed(_))),
                "{bad} should be malformed"
            );
        }
    }

    #[test]
    fn off_lattice_corner_is_rejected() {
        let id = SquareId::parse(b"CRS3035RES200mN3035450E3850200").unwrap();
        assert!(matches!(id.cell(), Err(SquareIdError::OffLattice { .. })));
    }

    #[test]
    fn cell_keys_are_distinct_for_neighbours() {
        let a = Cell::new(1, 2).key();
        assert_ne!(a, Cell::new(2, 1).key());
        assert_ne!(Cell::new(-1, 0).key(), Cell::new(0, -1).key());
    }
}

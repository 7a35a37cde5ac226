//! Reading a Filosofi grid CSV (plain or gzip) into a [`Grid`], in parallel and in
//! bounded memory.
//!
//! The file is read in blocks of 32 MB; each block is split at line boundaries into
//! pieces parsed on all cores while the next block is read and hashed, so memory
//! stays at two blocks plus the grid's columns whatever the file size. Only the
//! needed columns are decoded (see the `fields` module). Filosofi files have no multi-line
//! fields, so a line is a row.

mod fields;

use crate::error::{BadRow, IoError, RowProblem};
use crate::layout::{Field, Layout, LayoutProblem};
use crate::{InputFile, Progress};
use fields::Fields;
use flate2::read::MultiGzDecoder;
use memchr::{memchr, memchr_iter, memrchr};
use qpv_core::commune_code::parse_lcog_geo;
use qpv_core::{CommuneCode, Grid, GridBuilder, GridFrame, SquareId, SquareValues};
use rayon::prelude::*;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Bytes read (and decompressed) per block.
const BLOCK: usize = 32 << 20;

/// Where a grid comes from.
#[derive(Debug, Clone)]
pub enum GridSource {
    /// A file on disk, plain CSV or gzip (recognised by its first bytes).
    Path(PathBuf),
    /// Bytes in memory (tests, fuzzing, other front ends).
    Memory {
        /// Name shown in messages and the manifest.
        name: String,
        /// The CSV.
        bytes: Vec<u8>,
    },
    /// Bytes compiled into the binary.
    Embedded {
        /// Name shown in messages and the manifest.
        name: &'static str,
        /// The CSV.
        bytes: &'static [u8],
    },
}

/// A grid as read, with what was learnt on the way.
#[derive(Debug)]
pub struct GridFile {
    /// The squares.
    pub grid: Grid,
    /// The header's layout.
    pub layout: Layout,
    /// Rows left out with `skip_bad_rows`, in line order.
    pub skipped: Vec<BadRow>,
    /// The input's identity (size and hash) for the manifest.
    pub input: InputFile,
    /// For a binary cache (`qpv import`), the CSV it was made from.
    pub source: Option<InputFile>,
    /// The descriptive columns, when asked for with [`GridReader::profiles`].
    pub profiles: Option<qpv_core::SquareProfiles>,
}

/// Reads a grid: built, configured, consumed.
///
/// ```
/// use qpv_grid::{GridReader, GridSource};
/// let csv = b"idcar_200m,lcog_geo,ind,men,men_pauv,ind_snv\n\
///             CRS3035RES200mN3035400E3850200,59172,120,50,20,1500000\n";
/// let file = GridReader::new(GridSource::Embedded { name: "tiny", bytes: csv }).finish()?;
/// assert_eq!(file.grid.len(), 1);
/// # Ok::<(), qpv_grid::IoError>(())
/// ```
pub struct GridReader<'a> {
    source: GridSource,
    skip_bad_rows: bool,
    profiles: bool,
    progress: &'a dyn Progress,
}

/// What a grid path must name, for [`IoError::Folder`].
const GRID_EXPECTED: &str = "--grid expects a Filosofi CSV, CSV.gz or a qpv grid cache (qpv import)";

impl<'a> GridReader<'a> {
    /// A reader of `source`; bad rows are errors.
    pub fn new(source: GridSource) -> Self {
        GridReader { source, skip_bad_rows: false, profiles: false, progress: &crate::NoProgress }
    }

    /// Leave out bad rows instead of failing; each is reported in [`GridFile::skipped`].
    pub fn skip_bad_rows(mut self, yes: bool) -> Self {
        self.skip_bad_rows = yes;
        self
    }

    /// Also reads the descriptive columns (households by type, dwellings, ages) for
    /// indicators; a missing one is reported by [`Layout::missing_profile_columns`] and
    /// read as `NaN`. A binary cache does not hold them.
    pub fn profiles(mut self, yes: bool) -> Self {
        self.profiles = yes;
        self
    }

    /// Reports progress while reading.
    pub fn progress(mut self, progress: &'a dyn Progress) -> Self {
        self.progress = progress;
        self
    }

    /// Reads the grid.
    pub fn finish(self) -> Result<GridFile, IoError> {
        let (label, path, size, raw): (String, PathBuf, u64, Box<dyn Read + Send>) = match &self.source {
            GridSource::Path(p) => {
                let file = std::fs::File::open(p).map_err(|e| IoError::file(p, e))?;
                let metadata = file.metadata().ok();
                // Opening a folder succeeds; reading it fails with "Is a directory".
                if metadata.as_ref().is_some_and(|m| m.is_dir()) {
                    return Err(IoError::Folder { path: p.clone(), expected: GRID_EXPECTED });
                }
                let size = metadata.map(|m| m.len()).unwrap_or(0);
                (p.display().to_string(), p.clone(), size, Box::new(file))
            }
            GridSource::Embedded { name, bytes } => {
                (name.to_string(), PathBuf::from(name), bytes.len() as u64, Box::new(*bytes))
            }
            GridSource::Memory { name, bytes } => (
                name.clone(),
                PathBuf::from(name),
                bytes.len() as u64,
                Box::new(std::io::Cursor::new(bytes.clone())),
            ),
        };
        self.progress.start("reading", size);
        let mut hashed =
            HashingReader { inner: raw, hasher: blake3::Hasher::new(), bytes: 0, progress: self.progress };
        let mut magic = [0u8; 8];
        let got = read_full(&mut hashed, &mut magic).map_err(|e| IoError::file(&path, e))?;
        if got == 8 && &magic == crate::grid_cache::MAGIC {
            if self.profiles {
                return Err(IoError::CacheWithoutProfiles { path });
            }
            return read_cache(&path, label, magic, hashed, size);
        }
        let prefix = std::io::Cursor::new(magic[..got].to_vec());
        let gzip = got >= 2 && magic[..2] == [0x1f, 0x8b];
        let result = {
            let chained = prefix.chain(&mut hashed);
            if gzip {
                let mut decoder = MultiGzDecoder::new(chained);
                parse_stream(&path, &mut decoder, self.skip_bad_rows, self.profiles, true, None)
            } else {
                let mut plain = chained;
                parse_stream(&path, &mut plain, self.skip_bad_rows, self.profiles, false, Some(size))
            }
        };
        self.progress.finish();
        let (grid, layout, skipped, profiles) = result?;
        // Hash the whole file even when parsing stopped early at its end marker.
        std::io::copy(&mut hashed, &mut std::io::sink()).map_err(|e| IoError::file(&path, e))?;
        let blake3 = hashed.hasher.finalize().to_hex().to_string();
        let input = InputFile { role: "grid".into(), path: label, bytes: hashed.bytes, blake3 };
        let profiles = self.profiles.then(|| qpv_core::SquareProfiles::from_rows(profiles));
        Ok(GridFile { grid, layout, skipped, input, source: None, profiles })
    }
}

fn read_cache(
    path: &Path,
    label: String,
    magic: [u8; 8],
    mut hashed: HashingReader<'_>,
    size: u64,
) -> Result<GridFile, IoError> {
    let mut bytes = Vec::with_capacity(size as usize);
    bytes.extend_from_slice(&magic);
    // Read the rest unhashed, then hash while decoding.
    hashed.inner.read_to_end(&mut bytes).map_err(|e| IoError::file(path, e))?;
    hashed.progress.finish();
    let (blake3, cached) =
        rayon::join(|| blake3::hash(&bytes).to_hex().to_string(), || crate::grid_cache::decode(path, &bytes));
    let cached = cached?;
    let input = InputFile { role: "grid".into(), path: label, bytes: bytes.len() as u64, blake3 };
    Ok(GridFile {
        grid: cached.grid,
        layout: Layout::cached(cached.release),
        skipped: Vec::new(),
        input,
        source: Some(cached.source),
        profiles: None,
    })
}

/// Hashes and counts the bytes read through it.
struct HashingReader<'p> {
    inner: Box<dyn Read + Send>,
    hasher: blake3::Hasher,
    bytes: u64,
    progress: &'p dyn Progress,
}

impl Read for HashingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        self.progress.advance(n as u64);
        Ok(n)
    }
}

fn read_full(r: &mut (impl Read + ?Sized), buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Reads up to `BLOCK` bytes into `buf[at..]` (growing it if needed); returns the
/// number read, 0 at the end of the input. The buffers are reused from block to
/// block, so they are neither zeroed nor faulted in again.
fn fill(
    path: &Path,
    r: &mut (dyn Read + Send),
    buf: &mut Vec<u8>,
    at: usize,
    gzip: bool,
) -> Result<usize, IoError> {
    fill_up_to(path, r, buf, at, BLOCK, gzip)
}

/// Like [`fill`], reading at most `want` bytes.
fn fill_up_to(
    path: &Path,
    r: &mut (dyn Read + Send),
    buf: &mut Vec<u8>,
    at: usize,
    want: usize,
    gzip: bool,
) -> Result<usize, IoError> {
    if buf.len() < at + want {
        buf.resize(at + want, 0);
    }
    read_full(r, &mut buf[at..at + want]).map_err(|e| {
        if gzip { IoError::Gzip { path: path.to_owned(), error: e } } else { IoError::file(path, e) }
    })
}

type Parsed = (Grid, Layout, Vec<BadRow>, Vec<f32>);

/// Reads blocks, parsing each while the next is read and hashed.
fn parse_stream(
    path: &Path,
    r: &mut (dyn Read + Send),
    skip: bool,
    profiles: bool,
    gzip: bool,
    size_hint: Option<u64>,
) -> Result<Parsed, IoError> {
    // A small file gets a small buffer: one byte more than the file, to see its end.
    let first = size_hint.map_or(BLOCK, |s| (s as usize).saturating_add(1).min(BLOCK));
    let mut block: Vec<u8> = Vec::new();
    let mut len = fill_up_to(path, r, &mut block, 0, first, gzip)?;
    let mut more = len == first;
    // A header longer than a block would be no Filosofi header: read it from the first block.
    let bom = if block[..len].starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    if block[bom..len].iter().all(u8::is_ascii_whitespace) && !more {
        return Err(IoError::Empty { path: path.to_owned() });
    }
    let header_end = memchr(b'\n', &block[bom..len]).map_or(len, |p| bom + p);
    let header = &block[bom..header_end];
    let mut layout = Layout::from_header(header.strip_suffix(b"\r").unwrap_or(header))
        .map_err(|p| layout_error(path, p))?;
    layout.read_profiles = profiles;
    let mut start = (header_end + 1).min(len);
    let mut next: Vec<u8> = Vec::new();
    let mut line = 2u64;
    let mut grid = GridBuilder::new();
    if let Some(total) = expected_rows(&block[start..len], size_hint) {
        grid.reserve(total);
    }
    // Two pools: the pieces of one block are parsed while those of the previous block
    // are appended to the grid (and the next block is read).
    let mut pool: Vec<Piece> = Vec::new();
    let mut ready: Vec<Piece> = Vec::new();
    let mut pending = 0;
    let mut skipped = Vec::new();
    let mut profile_rows = Vec::new();
    let mut merged =
        Merged { grid: &mut grid, skipped: &mut skipped, line: &mut line, profiles: &mut profile_rows };
    loop {
        // Keep the partial last line for the next block.
        let cut =
            if more { memrchr(b'\n', &block[start..len]).map_or(start, |p| start + p + 1) } else { len };
        if more && cut == start {
            // A line longer than a block: read more before parsing.
            let got = fill(path, r, &mut block, len, gzip)?;
            len += got;
            more = got == BLOCK;
            continue;
        }
        let carry = len - cut;
        if next.len() < carry {
            next.resize(carry, 0);
        }
        next[..carry].copy_from_slice(&block[cut..len]);
        let (pieces, (read, appended)) = rayon::join(
            || parse_block(&block[start..cut], &layout, skip, &mut pool),
            || {
                let read = if more { fill(path, r, &mut next, carry, gzip) } else { Ok(0) };
                (read, merged.take(path, &mut ready[..pending]))
            },
        );
        appended?;
        std::mem::swap(&mut pool, &mut ready);
        pending = pieces;
        if !more {
            break;
        }
        let got = read?;
        std::mem::swap(&mut block, &mut next);
        (start, len, more) = (0, carry + got, got == BLOCK);
    }
    merged.take(path, &mut ready[..pending])?;
    let grid = grid.finish();
    if grid.is_empty() && skipped.is_empty() {
        return Err(IoError::NoSquares { path: path.to_owned() });
    }
    Ok((grid, layout, skipped, profile_rows))
}

/// Where parsed pieces go, in file order.
struct Merged<'a> {
    grid: &'a mut GridBuilder,
    skipped: &'a mut Vec<BadRow>,
    /// The file line of the next piece's first line.
    line: &'a mut u64,
    /// Descriptive columns, row after row.
    profiles: &'a mut Vec<f32>,
}

impl Merged<'_> {
    /// Appends pieces (whose lines count from their own start) with absolute line
    /// numbers, or returns the first error in file order.
    fn take(&mut self, path: &Path, pieces: &mut [Piece]) -> Result<(), IoError> {
        let shift = |e: qpv_core::GridError, by: u64| IoError::Grid {
            path: path.to_owned(),
            error: shift_lines(e, by),
        };
        for piece in pieces {
            let line = *self.line;
            match piece.error.take() {
                Some(PieceError::Row(mut row)) => {
                    row.line += line;
                    return Err(IoError::Row { path: path.to_owned(), row });
                }
                Some(PieceError::Grid(e)) => return Err(shift(e, line)),
                None => {}
            }
            self.grid.append_from(&piece.grid, line).map_err(|e| shift(e, 0))?;
            self.skipped.extend(piece.bad.drain(..).map(|mut b| {
                b.line += line;
                b
            }));
            piece.grid.clear();
            self.profiles.extend_from_slice(&piece.profiles);
            piece.profiles.clear();
            *self.line += piece.lines;
        }
        Ok(())
    }
}

/// An estimate of the number of rows from the first block and the input's size
/// (known for plain files), to size the grid's columns once instead of regrowing them.
fn expected_rows(first: &[u8], size: Option<u64>) -> Option<usize> {
    let lines = memchr_iter(b'\n', first).count();
    let size = size?;
    if lines == 0 {
        return None;
    }
    let per_line = first.len() as f64 / lines as f64;
    Some((size as f64 / per_line * 1.01) as usize + 16)
}

/// What went wrong in a piece, with lines counted from the piece's start.
enum PieceError {
    Row(BadRow),
    Grid(qpv_core::GridError),
}

/// A piece's squares, bad rows and line count, reused from block to block.
#[derive(Default)]
struct Piece {
    grid: GridBuilder,
    bad: Vec<BadRow>,
    lines: u64,
    error: Option<PieceError>,
    profiles: Vec<f32>,
}

/// Adds `by` to the line numbers of a grid error.
fn shift_lines(e: qpv_core::GridError, by: u64) -> qpv_core::GridError {
    use qpv_core::GridError::*;
    match e {
        MixedFrames { line, found_epsg, found_size, first_line, epsg, size } => {
            MixedFrames { line: line + by, found_epsg, found_size, first_line: first_line + by, epsg, size }
        }
        DuplicateSquare { x, y, first_line, line } => {
            DuplicateSquare { x, y, first_line: first_line + by, line: line + by }
        }
        Inconsistent => Inconsistent,
    }
}

/// Parses a block of whole lines in parallel into the first pieces of `pool` (one
/// builder per piece, in order); returns how many pieces were used.
fn parse_block(block: &[u8], layout: &Layout, skip: bool, pool: &mut Vec<Piece>) -> usize {
    let pieces = split_lines(block, rayon::current_num_threads() * 4);
    while pool.len() < pieces.len() {
        let mut grid = GridBuilder::new();
        grid.reserve(block.len() / pieces.len().max(1) / 150);
        pool.push(Piece { grid, ..Piece::default() });
    }
    pieces.par_iter().zip(pool.par_iter_mut()).for_each(|(piece, out)| parse_piece(piece, layout, skip, out));
    pieces.len()
}

fn layout_error(path: &Path, p: LayoutProblem) -> IoError {
    match p {
        LayoutProblem::Missing { missing, found } => IoError::Layout {
            path: path.to_owned(),
            missing: missing.join(", "),
            found: if found.len() > 12 {
                format!("{} … ({} columns)", found[..12].join(", "), found.len())
            } else {
                found.join(", ")
            },
        },
        LayoutProblem::Duplicate(column) => IoError::DuplicateColumn { path: path.to_owned(), column },
    }
}

/// Splits at line boundaries into about `n` pieces.
fn split_lines(body: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out = Vec::with_capacity(n + 1);
    let target = (body.len() / n.max(1)).max(1 << 16);
    let mut start = 0;
    while start < body.len() {
        let mut end = (start + target).min(body.len());
        if end < body.len() {
            end = memchr(b'\n', &body[end..]).map_or(body.len(), |p| end + p + 1);
        }
        out.push(&body[start..end]);
        start = end;
    }
    out
}

/// Parses the lines of a piece, numbering them from 0.
fn parse_piece(piece: &[u8], layout: &Layout, skip: bool, out: &mut Piece) {
    let mut fields = Fields::default();
    let mut communes = Vec::with_capacity(4);
    let last = layout.last_needed_column();
    let mut profile = [f32::NAN; qpv_core::PROFILE_WIDTH];
    let mut line = 0u64;
    let mut rest = piece;
    while !rest.is_empty() {
        let end = memchr(b'\n', rest).unwrap_or(rest.len());
        let raw = &rest[..end];
        rest = &rest[(end + 1).min(rest.len())..];
        let this = line;
        line += 1;
        let text = raw.strip_suffix(b"\r").unwrap_or(raw);
        if text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        fields::split(text, layout.delimiter, last, &mut fields);
        let row = read_row(text, &fields, layout, &mut communes)
            .and_then(|r| read_profile(text, &fields, layout, &mut profile).map(|()| r));
        match row {
            Ok((frame, cell, values)) => {
                if layout.read_profiles {
                    out.profiles.extend_from_slice(&profile);
                }
                if let Err(e) = out.grid.push(frame, cell, values, &communes, this) {
                    out.error = Some(PieceError::Grid(e));
                    break;
                }
            }
            Err(problem) => {
                let row = BadRow { line: this, problem };
                if !skip {
                    out.error = Some(PieceError::Row(row));
                    break;
                }
                out.bad.push(row);
            }
        }
    }
    out.lines = line;
}

type Row = (GridFrame, qpv_core::Cell, SquareValues);

fn read_row(
    line: &[u8],
    fields: &Fields,
    layout: &Layout,
    communes: &mut Vec<CommuneCode>,
) -> Result<Row, RowProblem> {
    if fields.count != layout.width {
        return Err(RowProblem::FieldCount { found: fields.count, expected: layout.width });
    }
    let field = |f: Field| layout.column(f).map(|c| fields.get(line, c));
    let id = SquareId::parse(field(Field::Id).unwrap_or_default())?;
    let cell = id.cell()?;
    communes.clear();
    parse_lcog_geo(field(Field::Communes).unwrap_or_default(), communes)?;
    let individuals =
        number(field(Field::Individuals), "ind")?.ok_or(RowProblem::Missing { column: "ind" })?;
    let households = number(field(Field::Households), "men")?.unwrap_or(f64::NAN);
    let poor_households = number(field(Field::PoorHouseholds), "men_pauv")?.unwrap_or(f64::NAN);
    let income_sum = number(field(Field::IncomeSum), "ind_snv")?.unwrap_or(f64::NAN);
    // Shares are rounded in imputed squares; a hair over is rounding, more is an error.
    if poor_households > households + 1e-6 {
        return Err(RowProblem::MorePoorThanHouseholds { poor: poor_households, households });
    }
    let imputed = number(field(Field::Imputed), "i_est_200")?.is_some_and(|v| v > 0.0);
    let frame = GridFrame { epsg: id.epsg, square_size: id.size };
    Ok((frame, cell, SquareValues { individuals, households, poor_households, income_sum, imputed }))
}

/// The descriptive columns of a row, when they are read.
fn read_profile(
    line: &[u8],
    fields: &Fields,
    layout: &Layout,
    out: &mut [f32; qpv_core::PROFILE_WIDTH],
) -> Result<(), RowProblem> {
    if !layout.read_profiles {
        return Ok(());
    }
    for ((value, column), name) in out.iter_mut().zip(&layout.profile).zip(qpv_core::PROFILE_COLUMNS) {
        *value = match column {
            Some(c) => number(Some(fields.get(line, *c)), name)?.map_or(f32::NAN, |v| v as f32),
            None => f32::NAN,
        };
    }
    Ok(())
}

/// A count: empty or `NA` is missing; a decimal comma is accepted; negative,
/// infinite or non-numeric values are errors.
fn number(field: Option<&[u8]>, column: &'static str) -> Result<Option<f64>, RowProblem> {
    let Some(raw) = field else { return Ok(None) };
    if let Some(v) = plain_decimal(raw) {
        return Ok(Some(v));
    }
    let t = raw.trim_ascii();
    let t = t.strip_prefix(b"\"").and_then(|t| t.strip_suffix(b"\"")).unwrap_or(t).trim_ascii();
    if t.is_empty() || t.eq_ignore_ascii_case(b"na") {
        return Ok(None);
    }
    let not_a_number = || RowProblem::NotANumber { column, value: String::from_utf8_lossy(raw).into_owned() };
    let text = std::str::from_utf8(t).map_err(|_| not_a_number())?;
    let value: f64 = if text.contains(',') {
        text.replace(',', ".").parse().map_err(|_| not_a_number())?
    } else {
        text.parse().map_err(|_| not_a_number())?
    };
    if !value.is_finite() || value < 0.0 {
        return Err(RowProblem::BadCount { column, value });
    }
    Ok(Some(value))
}

/// Fast path for the common form `123` or `123.45` (at most 15 digits): the integer
/// of all digits divided by a power of ten, both exact in f64, is the correctly
/// rounded value, the same as `str::parse`. Anything else returns `None`.
fn plain_decimal(t: &[u8]) -> Option<f64> {
    if t.is_empty() || t.len() > 16 {
        return None;
    }
    let (mut n, mut digits, mut scale, mut dot) = (0u64, 0u32, 0i32, false);
    for &b in t {
        match b {
            b'0'..=b'9' => {
                n = n * 10 + u64::from(b - b'0');
                digits += 1;
                if dot {
                    scale += 1;
                }
            }
            b'.' if !dot => dot = true,
            _ => return None,
        }
    }
    if digits == 0 || digits > 15 {
        return None;
    }
    const POW10: [f64; 16] =
        [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
    Some(n as f64 / POW10[scale as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "idcar_200m,idcar_1km,i_est_200,lcog_geo,ind,men,men_pauv,ind_snv\n";

    fn read(text: &str, skip: bool) -> Result<GridFile, IoError> {
        let bytes: &'static [u8] = Box::leak(text.as_bytes().to_vec().into_boxed_slice());
        GridReader::new(GridSource::Embedded { name: "test.csv", bytes }).skip_bad_rows(skip).finish()
    }

    fn row(n: i64, e: i64, rest: &str) -> String {
        format!("CRS3035RES200mN{n}E{e},x,{rest}\n")
    }

    #[test]
    fn reads_squares_and_values() {
        let text = format!(
            "{HEADER}{}{}",
            row(3035400, 3850200, "1,5903859622,3,1.2,0.1,87011.2"),
            row(3035600, 3850000, "0,59038,5,2,0.1,145018.6")
        );
        let f = read(&text, false).unwrap();
        assert_eq!(f.grid.len(), 2);
        assert_eq!(f.grid.cells()[0], qpv_core::Cell::new(19251, 15177));
        assert_eq!(f.grid.communes(0).len(), 2);
        assert!(f.grid.values()[0].imputed);
        assert_eq!(f.grid.values()[1].income_sum, 145018.6);
        assert_eq!(f.grid.line(1), 3);
        assert_eq!(f.input.bytes, text.len() as u64);
        assert_eq!(f.input.blake3.len(), 64);
    }

    #[test]
    fn semicolons_decimal_commas_quotes_and_crlf() {
        let text = "idcar_200m;lcog_geo;ind;men;men_pauv;ind_snv\r\n\"CRS3035RES200mN3035400E3850200\";\"59172\";\"3,5\";\"1,2\";0,1;87011,2\r\n";
        let f = read(text, false).unwrap();
        assert_eq!(f.grid.values()[0].individuals, 3.5);
        assert_eq!(f.grid.values()[0].income_sum, 87011.2);
    }

    #[test]
    fn rows_of_the_2015_and_2017_layouts_are_read() {
        // 2015: IdINSPIRE, I_est_cr, Depcom, capitalised, other order.
        let h2015 = "IdINSPIRE,Id_carr1km,I_est_cr,Id_carr_n,Groupe,Depcom,I_pauv,Id_car2010,Ind,Men,Men_pauv,Men_1ind,Men_5ind,Men_prop,Men_fmp,Ind_snv\n";
        let r2015 = "CRS3035RES200mN3035400E3850200,x,1,x,7,59172,0,x,12.5,5,2,0,0,0,0,250000\n";
        let f = read(&format!("{h2015}{r2015}"), false).unwrap();
        assert_eq!(f.layout.release, crate::layout::Release::Filosofi2015);
        let v = f.grid.values()[0];
        assert_eq!(
            (v.individuals, v.households, v.poor_households, v.income_sum, v.imputed),
            (12.5, 5.0, 2.0, 250_000.0, true)
        );
        // 2017: Idcar_200m, one commune code, Men after Men_pauv.
        let h2017 = "Idcar_200m,I_est_200,Idcar_1km,I_est_1km,Idcar_nat,Groupe,Ind,Men_1ind,Men_5ind,Men_prop,Men_fmp,Ind_snv,Men_surf,Men_pauv,Men,lcog_geo\n";
        let r2017 = "CRS3035RES200mN3035400E3850200,0,x,0,x,1,30,0,0,0,0,600000,0,3,12,59172\n";
        let f = read(&format!("{h2017}{r2017}"), false).unwrap();
        assert_eq!(f.layout.release, crate::layout::Release::Filosofi2017);
        let v = f.grid.values()[0];
        assert_eq!(
            (v.individuals, v.households, v.poor_households, v.income_sum, v.imputed),
            (30.0, 12.0, 3.0, 600_000.0, false)
        );
        assert_eq!(f.grid.communes(0)[0].as_str(), "59172");
    }

    #[test]
    fn bom_crlf_and_latin1_in_unused_columns() {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(HEADER.trim_end().as_bytes());
        bytes.extend_from_slice(b"\r\nCRS3035RES200mN3035400E3850200,caf\xE9,0,59172,3,1,0,100\r\n");
        let text: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        let f = GridReader::new(GridSource::Embedded { name: "t", bytes: text }).finish().unwrap();
        assert_eq!(f.grid.len(), 1);
        assert_eq!(f.grid.values()[0].individuals, 3.0);
        // A Latin-1 byte where a needed value is: a clear error on its line.
        let bad: &'static [u8] =
            b"idcar_200m,lcog_geo,ind,men,men_pauv,ind_snv\nCRS3035RES200mN0E0,59\xE972,1,1,0,1\n";
        let err = GridReader::new(GridSource::Embedded { name: "t", bytes: bad }).finish().unwrap_err();
        assert!(err.to_string().contains("line 2") && err.to_string().contains("lcog_geo"), "{err}");
    }

    #[test]
    fn empty_file_and_header_only() {
        assert!(matches!(read("", false), Err(IoError::Empty { .. })));
        assert!(matches!(read(HEADER, false), Err(IoError::NoSquares { .. })));
    }

    #[test]
    fn bad_id_names_the_line() {
        let text = format!(
            "{HEADER}{}CRS3035RES200mN30354X0E3850200,x,0,59172,3,1,0,100\n",
            row(3035400, 3850200, "0,59172,3,1,0,100")
        );
        let err = read(&text, false).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("line 3") && msg.contains("--skip-bad-rows"), "{msg}");
    }

    #[test]
    fn skip_bad_rows_counts_each_one() {
        let text = format!(
            "{HEADER}{}{}{}{}",
            row(3035400, 3850200, "0,59172,-3,1,0,100"),
            row(3035600, 3850200, "0,59172,3,1,2,100"),
            row(3035800, 3850200, "0,59172,abc,1,0,100"),
            row(3036000, 3850200, "0,59172,3,1,0,100"),
        );
        let f = read(&text, true).unwrap();
        assert_eq!(f.grid.len(), 1);
        let lines: Vec<u64> = f.skipped.iter().map(|b| b.line).collect();
        assert_eq!(lines, [2, 3, 4]);
        assert!(matches!(f.skipped[0].problem, RowProblem::BadCount { column: "ind", .. }));
        assert!(matches!(f.skipped[1].problem, RowProblem::MorePoorThanHouseholds { .. }));
        assert!(matches!(f.skipped[2].problem, RowProblem::NotANumber { column: "ind", .. }));
    }

    #[test]
    fn truncated_last_line_is_a_field_count_error() {
        let text = format!(
            "{HEADER}{}CRS3035RES200mN3035600E3850200,x,0,59",
            row(3035400, 3850200, "0,59172,3,1,0,100")
        );
        let err = read(&text, false).unwrap_err();
        assert!(err.to_string().contains("line 3"), "{err}");
        assert!(err.to_string().contains("fields"), "{err}");
    }

    #[test]
    fn mixed_crs_is_refused() {
        let text = format!(
            "{HEADER}{}CRS5490RES200mN1620000E706000,x,0,97209,3,1,0,100\n",
            row(3035400, 3850200, "0,59172,3,1,0,100")
        );
        let err = read(&text, false).unwrap_err();
        assert!(matches!(err, IoError::Grid { .. }), "{err}");
    }

    #[test]
    fn missing_income_values_are_kept_as_missing() {
        let text = format!("{HEADER}{}", row(3035400, 3850200, "0,59172,3,0,,"));
        let f = read(&text, false).unwrap();
        assert!(f.grid.values()[0].income_sum.is_nan());
        assert!(f.grid.values()[0].poor_households.is_nan());
    }

    #[test]
    fn gzip_input_is_recognised_and_corruption_reported() {
        use std::io::Write;
        let text = format!("{HEADER}{}", row(3035400, 3850200, "0,59172,3,1,0,100"));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        let bytes = gz.finish().unwrap();
        let ok: &'static [u8] = Box::leak(bytes.clone().into_boxed_slice());
        let f = GridReader::new(GridSource::Embedded { name: "t.csv.gz", bytes: ok }).finish().unwrap();
        assert_eq!(f.grid.len(), 1);
        let cut: &'static [u8] = Box::leak(bytes[..bytes.len() / 2].to_vec().into_boxed_slice());
        let err =
            GridReader::new(GridSource::Embedded { name: "t.csv.gz", bytes: cut }).finish().unwrap_err();
        assert!(matches!(err, IoError::Gzip { .. }), "{err}");
    }

    #[test]
    fn fast_decimal_path_equals_std_parse() {
        for t in
            ["0", "3", "1.2", "87011.2", "145018.6", "0.1", "123456789012.345", "999999999999999", ".5", "5."]
        {
            assert_eq!(plain_decimal(t.as_bytes()), Some(t.parse::<f64>().unwrap()), "{t}");
        }
        let mut x = 1u64;
        for _ in 0..10_000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let text = format!("{}.{}", (x >> 40) % 1_000_000, (x >> 20) % 1000);
            assert_eq!(plain_decimal(text.as_bytes()), Some(text.parse::<f64>().unwrap()), "{text}");
        }
        for t in ["", ".", "1e5", "-1", "1,5", "1.2.3", " 1", "1234567890123456"] {
            assert_eq!(plain_decimal(t.as_bytes()), None, "{t}");
        }
    }

    #[test]
    fn many_chunks_keep_line_numbers() {
        let mut text = String::from(HEADER);
        for k in 0..5_000 {
            text.push_str(&row(3_000_000 + 200 * k, 3_850_200, "0,59172,3,1,0,100"));
        }
        text.push_str("CRS3035RES200mN1E1,x,0,59172,3,1,0,100\n");
        let chunks = split_lines(text.as_bytes(), 64);
        assert!(chunks.len() > 1);
        let err = read(&text, false).unwrap_err();
        assert!(err.to_string().contains("line 5002"), "{err}");
    }
}

#[cfg(test)]
mod profile_tests {
    use super::*;

    fn read(text: &str, skip: bool) -> Result<GridFile, IoError> {
        let bytes = text.as_bytes().to_vec();
        GridReader::new(GridSource::Memory { name: "p.csv".into(), bytes })
            .skip_bad_rows(skip)
            .profiles(true)
            .finish()
    }

    #[test]
    fn descriptive_columns_follow_the_squares() {
        let text = "idcar_200m,lcog_geo,ind,men,men_pauv,ind_snv,men_fmp,log_soc,ind_0_3\n\
                    CRS3035RES200mN3035400E3850200,59172,10,4,1,200000,1.5,2,NA\n\
                    CRS3035RES200mN3035600E3850200,59172,20,8,1,400000,0,3,4\n";
        let file = read(text, false).unwrap();
        let p = file.profiles.expect("asked for");
        assert_eq!(p.len(), 2);
        let col = |n: &str| qpv_core::PROFILE_COLUMNS.iter().position(|c| *c == n).unwrap();
        assert_eq!(p.row(0)[col("men_fmp")], 1.5);
        assert!(p.row(0)[col("ind_0_3")].is_nan());
        assert_eq!(p.row(1)[col("log_soc")], 3.0);
        assert!(p.row(1)[col("men_prop")].is_nan());
        assert!(file.layout.missing_profile_columns().contains(&"men_prop"));
    }

    #[test]
    fn a_bad_descriptive_value_is_a_row_error_or_a_skipped_row() {
        let text = "idcar_200m,lcog_geo,ind,men,men_pauv,ind_snv,log_soc\n\
                    CRS3035RES200mN3035400E3850200,59172,10,4,1,200000,x\n\
                    CRS3035RES200mN3035600E3850200,59172,20,8,1,400000,3\n";
        let err = read(text, false).unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("log_soc"), "{err}");
        let file = read(text, true).unwrap();
        assert_eq!((file.grid.len(), file.profiles.unwrap().len(), file.skipped.len()), (1, 1, 1));
    }

    #[test]
    fn the_sample_has_every_descriptive_column() {
        let file = GridReader::new(crate::SAMPLE_GRID).profiles(true).finish().unwrap();
        assert!(file.layout.missing_profile_columns().is_empty());
        let p = file.profiles.unwrap();
        assert_eq!(p.len(), file.grid.len());
        // First row of the file: men_1ind 0.2 … ind_inc 0.
        assert_eq!(p.row(0)[0], 0.2);
        assert_eq!(p.row(0)[qpv_core::PROFILE_WIDTH - 1], 0.0);
    }
}

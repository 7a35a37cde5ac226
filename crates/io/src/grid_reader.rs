//! Reading a Filosofi grid CSV (plain or gzip) into a [`Grid`], in parallel.
//!
//! The file is read whole, split at line boundaries into chunks, and the chunks are
//! parsed on all cores with the `csv` crate's byte records, reading only the needed
//! columns (ECOSYSTEM.md §1: ~0.8 s for the national file on 2 cores). Filosofi
//! files have no multi-line fields, so a line is a row.

use crate::error::{BadRow, IoError, RowProblem};
use crate::layout::{Field, Layout, LayoutProblem};
use crate::{InputFile, Progress};
use flate2::read::MultiGzDecoder;
use qpv_core::commune_code::parse_lcog_geo;
use qpv_core::{CommuneCode, Grid, GridBuilder, GridFrame, SquareId, SquareValues};
use rayon::prelude::*;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Where a grid comes from.
#[derive(Debug, Clone)]
pub enum GridSource {
    /// A file on disk, plain CSV or gzip (recognised by its first bytes).
    Path(PathBuf),
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
}

/// Reads a grid: built, configured, consumed.
///
/// ```
/// use qpv_io::{GridReader, GridSource};
/// let csv = b"idcar_200m,lcog_geo,ind,men,men_pauv,ind_snv\n\
///             CRS3035RES200mN3035400E3850200,59172,120,50,20,1500000\n";
/// let file = GridReader::new(GridSource::Embedded { name: "tiny", bytes: csv }).finish()?;
/// assert_eq!(file.grid.len(), 1);
/// # Ok::<(), qpv_io::IoError>(())
/// ```
pub struct GridReader<'a> {
    source: GridSource,
    skip_bad_rows: bool,
    progress: &'a dyn Progress,
}

impl<'a> GridReader<'a> {
    /// A reader of `source`; bad rows are errors.
    pub fn new(source: GridSource) -> Self {
        GridReader { source, skip_bad_rows: false, progress: &crate::NoProgress }
    }

    /// Leave out bad rows instead of failing; each is reported in [`GridFile::skipped`].
    pub fn skip_bad_rows(mut self, yes: bool) -> Self {
        self.skip_bad_rows = yes;
        self
    }

    /// Reports progress while reading.
    pub fn progress(mut self, progress: &'a dyn Progress) -> Self {
        self.progress = progress;
        self
    }

    /// Reads the grid.
    pub fn finish(self) -> Result<GridFile, IoError> {
        let (label, path, raw) = match &self.source {
            GridSource::Path(p) => (p.display().to_string(), p.clone(), read_file(p, self.progress)?),
            GridSource::Embedded { name, bytes } => (name.to_string(), PathBuf::from(name), bytes.to_vec()),
        };
        let (hash, parsed) = rayon::join(
            || crate::sha256_hex(&raw),
            || -> Result<_, IoError> {
                let text = decompress(&path, &raw, self.progress)?;
                parse(&path, &text, self.skip_bad_rows, self.progress)
            },
        );
        let (grid, layout, skipped) = parsed?;
        let input = InputFile { role: "grid".into(), path: label, bytes: raw.len() as u64, sha256: hash };
        Ok(GridFile { grid, layout, skipped, input })
    }
}

fn read_file(path: &Path, progress: &dyn Progress) -> Result<Vec<u8>, IoError> {
    let mut file = std::fs::File::open(path).map_err(|e| IoError::file(path, e))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    progress.start("reading", size);
    let mut out = Vec::with_capacity(size as usize);
    let mut buf = vec![0u8; 8 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|e| IoError::file(path, e))?;
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
        progress.advance(n as u64);
    }
    progress.finish();
    Ok(out)
}

fn decompress<'b>(
    path: &Path,
    raw: &'b [u8],
    progress: &dyn Progress,
) -> Result<std::borrow::Cow<'b, [u8]>, IoError> {
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return Ok(std::borrow::Cow::Borrowed(raw));
    }
    progress.start("decompressing", raw.len() as u64);
    let counter = CountingReader { inner: raw, progress };
    let mut out = Vec::with_capacity(raw.len() * 5);
    MultiGzDecoder::new(counter)
        .read_to_end(&mut out)
        .map_err(|e| IoError::Gzip { path: path.to_owned(), source: e })?;
    progress.finish();
    Ok(std::borrow::Cow::Owned(out))
}

struct CountingReader<'b> {
    inner: &'b [u8],
    progress: &'b dyn Progress,
}

impl Read for CountingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.advance(n as u64);
        Ok(n)
    }
}

type Parsed = (Grid, Layout, Vec<BadRow>);

fn parse(path: &Path, text: &[u8], skip: bool, progress: &dyn Progress) -> Result<Parsed, IoError> {
    if text.iter().all(u8::is_ascii_whitespace) {
        return Err(IoError::Empty { path: path.to_owned() });
    }
    let header_end = text.iter().position(|&b| b == b'\n').unwrap_or(text.len());
    let header = text[..header_end].strip_suffix(b"\r").unwrap_or(&text[..header_end]);
    let layout = Layout::from_header(header).map_err(|p| layout_error(path, p))?;
    let body = &text[(header_end + 1).min(text.len())..];
    let chunks = split_lines(body, rayon::current_num_threads() * 8);
    let starts = first_lines(&chunks);
    progress.start("parsing", body.len() as u64);
    let parts: Vec<Result<(GridBuilder, Vec<BadRow>), IoError>> = chunks
        .par_iter()
        .zip(starts.par_iter())
        .map(|(chunk, &start)| {
            let r = parse_chunk(path, chunk, start, &layout, skip);
            progress.advance(chunk.len() as u64 + 1);
            r
        })
        .collect();
    progress.finish();
    let mut builder = GridBuilder::new();
    let mut skipped = Vec::new();
    for part in parts {
        let (b, bad) = part?;
        builder.append(b).map_err(|e| IoError::Grid { path: path.to_owned(), source: e })?;
        skipped.extend(bad);
    }
    let grid = builder.finish();
    if grid.is_empty() && skipped.is_empty() {
        return Err(IoError::NoSquares { path: path.to_owned() });
    }
    Ok((grid, layout, skipped))
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
    let mut out = Vec::with_capacity(n);
    let target = (body.len() / n.max(1)).max(1 << 16);
    let mut start = 0;
    while start < body.len() {
        let mut end = (start + target).min(body.len());
        if end < body.len() {
            end += body[end..].iter().position(|&b| b == b'\n').map_or(body.len() - end, |p| p + 1);
        }
        out.push(&body[start..end]);
        start = end;
    }
    out
}

/// The file line number of the first line of each chunk (the header is line 1).
fn first_lines(chunks: &[&[u8]]) -> Vec<u64> {
    let counts: Vec<u64> =
        chunks.par_iter().map(|c| c.iter().filter(|&&b| b == b'\n').count() as u64).collect();
    let mut line = 2;
    counts
        .iter()
        .map(|n| {
            let first = line;
            line += n;
            first
        })
        .collect()
}

fn parse_chunk(
    path: &Path,
    chunk: &[u8],
    first_line: u64,
    layout: &Layout,
    skip: bool,
) -> Result<(GridBuilder, Vec<BadRow>), IoError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(layout.delimiter)
        .from_reader(chunk);
    let mut builder = GridBuilder::with_capacity(chunk.len() / 150);
    let mut bad = Vec::new();
    let mut record = csv::ByteRecord::new();
    let mut communes = Vec::with_capacity(4);
    loop {
        let (line, outcome) = match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = first_line + record.position().map_or(1, |p| p.line()) - 1;
                (line, read_row(&record, layout, &mut communes))
            }
            Err(e) => {
                let line = e.position().map_or(first_line, |p| first_line + p.line() - 1);
                (line, Err(RowProblem::Csv(e.to_string())))
            }
        };
        match outcome {
            Ok((frame, cell, values)) => builder
                .push(frame, cell, values, &communes, line)
                .map_err(|e| IoError::Grid { path: path.to_owned(), source: e })?,
            Err(problem) => {
                let row = BadRow { line, problem };
                if !skip {
                    return Err(IoError::Row { path: path.to_owned(), row });
                }
                bad.push(row);
            }
        }
    }
    Ok((builder, bad))
}

type Row = (GridFrame, qpv_core::Cell, SquareValues);

fn read_row(
    record: &csv::ByteRecord,
    layout: &Layout,
    communes: &mut Vec<CommuneCode>,
) -> Result<Row, RowProblem> {
    if record.len() != layout.width {
        return Err(RowProblem::FieldCount { found: record.len(), expected: layout.width });
    }
    let field = |f: Field| layout.column(f).map(|c| &record[c]);
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

/// A count: empty or `NA` is missing; a decimal comma is accepted; negative,
/// infinite or non-numeric values are errors.
fn number(field: Option<&[u8]>, column: &'static str) -> Result<Option<f64>, RowProblem> {
    let Some(raw) = field else { return Ok(None) };
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
        assert_eq!(f.input.sha256.len(), 64);
    }

    #[test]
    fn semicolons_decimal_commas_quotes_and_crlf() {
        let text = "idcar_200m;lcog_geo;ind;men;men_pauv;ind_snv\r\n\"CRS3035RES200mN3035400E3850200\";\"59172\";\"3,5\";\"1,2\";0,1;87011,2\r\n";
        let f = read(text, false).unwrap();
        assert_eq!(f.grid.values()[0].individuals, 3.5);
        assert_eq!(f.grid.values()[0].income_sum, 87011.2);
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

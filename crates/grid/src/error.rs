//! Errors of the readers and writers. Every variant names the file, and the line
//! or square where there is one, and says how to fix it.

use qpv_core::{CommuneCodeError, GridError, SquareIdError};
use std::path::PathBuf;

/// What is wrong with one row of a grid file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RowProblem {
    /// The square id cannot be read.
    #[error(transparent)]
    SquareId(#[from] SquareIdError),
    /// The commune code(s) cannot be read.
    #[error("lcog_geo: {0}")]
    Communes(#[from] CommuneCodeError),
    /// A count is not a number.
    #[error("column {column}: {value:?} is not a number")]
    NotANumber {
        /// Column name.
        column: &'static str,
        /// The text found.
        value: String,
    },
    /// A count is negative or infinite.
    #[error("column {column}: {value} is not a valid count (negative or infinite)")]
    BadCount {
        /// Column name.
        column: &'static str,
        /// The value.
        value: f64,
    },
    /// A required value is empty.
    #[error("column {column} is empty")]
    Missing {
        /// Column name.
        column: &'static str,
    },
    /// More poor households than households.
    #[error("men_pauv ({poor}) is larger than men ({households})")]
    MorePoorThanHouseholds {
        /// Poor households.
        poor: f64,
        /// Households.
        households: f64,
    },
    /// The row has another number of fields than the header (cut or merged line).
    #[error("{found} fields where the header has {expected} (a truncated or merged line?)")]
    FieldCount {
        /// Fields in the row.
        found: usize,
        /// Fields in the header.
        expected: usize,
    },
    /// The CSV itself is broken on this line.
    #[error("unreadable CSV: {0}")]
    Csv(String),
}

/// A bad row: where and what.
#[derive(Debug, Clone, PartialEq)]
pub struct BadRow {
    /// 1-based line number in the file.
    pub line: u64,
    /// What is wrong.
    pub problem: RowProblem,
}

/// Errors of reading and writing files (`qpv-grid` and `qpv-layers`).
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    // The variants below that hold another error say it in their message and do not
    // also give it as `source()`: the CLI prints an error with its chain of sources, and
    // it printed "Is a directory (os error 21)" twice in one line.
    /// A file cannot be opened, read or written.
    #[error("{path}: {error}")]
    File {
        /// The file.
        path: PathBuf,
        /// The system error.
        error: std::io::Error,
    },
    /// A folder was given where a file was expected.
    #[error("{path}: is a folder; {expected}")]
    Folder {
        /// The folder.
        path: PathBuf,
        /// What was expected, and where: `--grid expects a Filosofi CSV…`.
        expected: &'static str,
    },
    /// A gzip file is corrupt or truncated.
    #[error("{path}: the gzip data is corrupt or truncated ({error}); download the file again")]
    Gzip {
        /// The file.
        path: PathBuf,
        /// The decoder's error.
        error: std::io::Error,
    },
    /// The file is empty.
    #[error("{path}: the file is empty; expected a CSV with a header line")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The header line lacks needed columns.
    #[error(
        "{path}: not a Filosofi grid layout: missing column(s) {missing}; found {found}. \
         hint: qpv reads the 2015, 2017, 2019 and 2021 headers (idcar_200m or IdINSPIRE, \
         lcog_geo or Depcom, ind, men, men_pauv, ind_snv), any case and order, ',' or ';'"
    )]
    Layout {
        /// The file.
        path: PathBuf,
        /// Missing columns, comma-separated.
        missing: String,
        /// Header as found.
        found: String,
    },
    /// A needed column is present twice.
    #[error("{path}: column {column} appears twice; keep one")]
    DuplicateColumn {
        /// The file.
        path: PathBuf,
        /// Which.
        column: String,
    },
    /// A row is bad.
    #[error(
        "{path}, line {}: {}; fix the row, or pass --skip-bad-rows to leave out such rows (each is reported)",
        .row.line, .row.problem
    )]
    Row {
        /// The file.
        path: PathBuf,
        /// The row.
        row: BadRow,
    },
    /// The file has a header but no square.
    #[error("{path}: the file has a header but no square")]
    NoSquares {
        /// The file.
        path: PathBuf,
    },
    /// The squares do not form one grid (mixed CRS or sizes, duplicates).
    #[error("{path}: {error}")]
    Grid {
        /// The file.
        path: PathBuf,
        /// Why.
        error: GridError,
    },
    /// A commune table lacks needed columns or has a bad row.
    #[error("{path}: {message}")]
    CommuneTable {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A median reference file cannot be read.
    #[error("{path}: not a qpv median reference ({error}); build one with `qpv reference build`")]
    Reference {
        /// The file.
        path: PathBuf,
        /// The parse error.
        error: serde_json::Error,
    },
    /// A coordinate transformation failed.
    #[error("coordinate transformation from EPSG:{from} failed: {message}")]
    Projection {
        /// Source EPSG.
        from: u32,
        /// Why.
        message: String,
    },
    /// An adjustments file or a geometry file it names is wrong.
    #[error("{path}: {message}")]
    Edits {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A table of qpv's own (totals) is damaged or of another format.
    #[error("{path}: {message}")]
    Table {
        /// The file.
        path: PathBuf,
        /// What is wrong, and the fix.
        message: String,
    },
    /// A geometry file (perimeters, GeoPackage) cannot be read as given.
    #[error("{path}: {message}")]
    GeometryFile {
        /// The file.
        path: PathBuf,
        /// What is wrong, and the fix.
        message: String,
    },
    /// A grid cache file is damaged or of another version.
    #[error("{path}: {message}; make it again with `qpv import`")]
    Cache {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Indicators were asked of a binary cache, which keeps only the method's columns.
    #[error(
        "{path} is a qpv grid cache, which keeps only the columns of the method; indicators need the \
         descriptive columns (men_fmp, log_soc, ind_0_3…): give the Filosofi CSV instead"
    )]
    CacheWithoutProfiles {
        /// The file.
        path: PathBuf,
    },
    /// An output could not be encoded.
    #[error("could not encode the {what}: {message}")]
    Encode {
        /// Which output.
        what: &'static str,
        /// Why.
        message: String,
    },
    /// No transformation is known for this CRS.
    #[error("EPSG:{0} is not supported (known: 3035, 2154, 5490, 2975, 4326)")]
    UnknownCrs(u32),
}

impl IoError {
    /// A file that cannot be opened, read or written.
    pub fn file(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        IoError::File { path: path.into(), error }
    }
}

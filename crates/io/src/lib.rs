/*!
Readers and writers of `qpv`: Filosofi grid CSVs in every release layout, commune
tables (embedded 2021 and 2024), median references, coordinate transforms, and the
GeoJSON / CSV / manifest outputs, written all or nothing.

# Example

Read a tiny grid, run the method with the embedded commune table and reference
medians, and write the candidates as GeoJSON.

```
use qpv_io::{GridReader, GridSource};
use qpv_io::communes::{embedded_communes, CommuneVintage};

// Three squares of 400 poor residents each in Denain (Valenciennes urban unit).
let csv = b"idcar_200m,lcog_geo,ind,men,men_pauv,ind_snv\n\
CRS3035RES200mN2969400E3794800,59172,400,160,90,4200000\n\
CRS3035RES200mN2969400E3795000,59172,400,160,90,4200000\n\
CRS3035RES200mN2969600E3794800,59172,400,160,90,4200000\n";
let file = GridReader::new(GridSource::Embedded { name: "tiny.csv", bytes: csv }).finish()?;
let (communes, _) = embedded_communes(CommuneVintage::Cog2021);
let (reference, _) = qpv_io::reference::embedded_reference("filosofi2019").unwrap();
let out = qpv_core::Pipeline::new(&file.grid, &communes).reference(Some(&reference)).run()?;
assert_eq!(out.candidates.candidates.len(), 1);

let (records, _) = qpv_io::records::area_records(&out, &file.grid, &communes);
let to_wgs84 = qpv_io::crs::Transformer::new(3035, 4326)?;
let geojson = qpv_io::export::candidates_geojson(&records, &to_wgs84, &to_wgs84)?;
assert!(String::from_utf8(geojson)?.contains("\"uu_code\":\"59701\""));
# Ok::<(), Box<dyn std::error::Error>>(())
```
*/
#![deny(missing_docs)]

pub mod communes;
pub mod comparison_out;
pub mod crs;
pub mod edits;
pub mod error;
pub mod export;
pub mod gpkg_in;
pub mod gpkg_out;
pub mod grid_cache;
pub mod grid_reader;
pub mod indicators_out;
pub mod layers;
pub mod layout;
pub mod manifest;
pub mod map;
pub mod output;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod perimeters;
pub mod records;
pub mod reference;
pub mod shapefile_in;
pub mod shapefile_out;
pub mod styles;
pub mod totals;

pub use error::{BadRow, IoError, RowProblem};
pub use grid_reader::{GridFile, GridReader, GridSource};
pub use output::OutputSet;

use serde::Serialize;

/// An input file as recorded in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InputFile {
    /// What it is for (`grid`, `communes`, `medians`).
    pub role: String,
    /// Path, or a description of embedded data.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// BLAKE3 hash of its bytes, hex (`b3sum FILE` gives the same).
    pub blake3: String,
}

/// Receives progress of long reads (the CLI draws a bar).
pub trait Progress: Sync {
    /// A phase begins, with its total in bytes.
    fn start(&self, _phase: &str, _total: u64) {}
    /// `n` more bytes done.
    fn advance(&self, _n: u64) {}
    /// The phase is over.
    fn finish(&self) {}
}

/// Reports nothing.
pub struct NoProgress;

impl Progress for NoProgress {}

/// The CAPH extract of Filosofi 2019 (3 205 squares), compiled in so that `qpv run`
/// works with no argument. See `data-samples/README.md`.
pub const SAMPLE_GRID: GridSource = GridSource::Embedded {
    name: "data-samples/carreaux_200m_caph.csv (embedded)",
    bytes: include_bytes!("../../../data-samples/carreaux_200m_caph.csv"),
};

/// BLAKE3 of `bytes` as lowercase hex.
pub fn blake3_hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// Formats a number with thin spaces between thousands, as French analysts write it.
pub fn thousands(x: f64) -> String {
    let n = x.round() as i64;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

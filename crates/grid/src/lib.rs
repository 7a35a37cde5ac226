/*!
Reading the inputs of `qpv`: Filosofi 200 m grid CSVs in every release layout (plain or
gzip, streamed in parallel blocks), binary grid caches (`qpv import`), commune tables
(embedded 2021 and 2024), median references and national totals; and the two things
every command writes through: the all-or-nothing [`OutputSet`] and the [`manifest`].

This crate compiles no SQLite, no map renderer and no projection library: a program
that only reads grids depends on it and on `qpv-core` alone. Perimeter files and layers
are in `qpv-layers`, maps in `qpv-map`.

# Example

Read a tiny grid and run the method with the embedded commune table and reference
medians.

```
use qpv_grid::{GridReader, GridSource};
use qpv_grid::communes::{embedded_communes, CommuneVintage};

// Three squares of 400 poor residents each in Denain (Valenciennes urban unit).
let csv = b"idcar_200m,lcog_geo,ind,men,men_pauv,ind_snv\n\
CRS3035RES200mN2969400E3794800,59172,400,160,90,4200000\n\
CRS3035RES200mN2969400E3795000,59172,400,160,90,4200000\n\
CRS3035RES200mN2969600E3794800,59172,400,160,90,4200000\n";
let file = GridReader::new(GridSource::Embedded { name: "tiny.csv", bytes: csv }).finish()?;
assert_eq!(file.grid.len(), 3);
let (communes, _) = embedded_communes(CommuneVintage::Cog2021);
let (reference, _) = qpv_grid::reference::embedded_reference("filosofi2019").unwrap();
let out = qpv_core::Pipeline::new(&file.grid, &communes).reference(Some(&reference)).run()?;
assert_eq!(out.candidates.candidates.len(), 1);
assert_eq!(out.candidates.candidates[0].area.individuals, 1_200.0);
# Ok::<(), Box<dyn std::error::Error>>(())
```
*/
#![deny(missing_docs)]

pub mod communes;
pub mod error;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixture;
pub mod grid_cache;
pub mod grid_reader;
pub mod layout;
pub mod manifest;
pub mod output;
pub mod reference;
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

/// Formats a number with spaces between thousands, as French analysts write it (the
/// core's, re-exported: the verdicts' figures are written with it).
pub use qpv_core::verdict::thousands;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_blake3_hex() {
        // `printf '' | b3sum`
        assert_eq!(blake3_hex(b""), "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
    }
}

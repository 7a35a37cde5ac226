//! A binary cache of a parsed grid (`qpv import`), for analysts who re-run the method
//! many times on one file: reading it skips CSV parsing entirely.
//!
//! Layout, all little-endian: the magic `QPVGRID1`, a JSON header (length-prefixed)
//! with the frame, counts, the release of the source and the source CSV's identity,
//! then the columns: cells (`i32` x, y), values (4 × `f64` and one `u8`), source
//! lines (`u64`), commune offsets (`u32`) and commune codes (5 bytes each). Runs on
//! a cache record both the cache and the CSV it was made from in their manifest.

use crate::InputFile;
use crate::error::IoError;
use crate::layout::{Layout, Release};
use qpv_core::{Cell, CommuneCode, Grid, GridFrame, SquareValues};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The first bytes of a cache file.
pub const MAGIC: &[u8; 8] = b"QPVGRID1";

#[derive(Serialize, Deserialize)]
struct Header {
    epsg: Option<u32>,
    square_size: Option<u32>,
    squares: u64,
    communes: u64,
    release: String,
    source: InputFileOwned,
}

#[derive(Serialize, Deserialize)]
struct InputFileOwned {
    path: String,
    bytes: u64,
    blake3: String,
}

fn release_name(r: Release) -> &'static str {
    match r {
        Release::Filosofi2015 => "2015",
        Release::Filosofi2017 => "2017",
        Release::Filosofi2019Or2021 => "2019/2021",
        Release::Other => "other",
    }
}

/// Encodes a grid and the identity of the CSV it was read from.
pub fn encode(grid: &Grid, layout: &Layout, source: &InputFile) -> Vec<u8> {
    let (lines, starts, communes) = grid.raw_parts();
    let header = Header {
        epsg: grid.frame().map(|f| f.epsg),
        square_size: grid.frame().map(|f| f.square_size),
        squares: grid.len() as u64,
        communes: communes.len() as u64,
        release: release_name(layout.release).into(),
        source: InputFileOwned {
            path: source.path.clone(),
            bytes: source.bytes,
            blake3: source.blake3.clone(),
        },
    };
    let json = serde_json::to_vec(&header).unwrap_or_default();
    let mut out = Vec::with_capacity(16 + json.len() + grid.len() * 66);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&json);
    for c in grid.cells() {
        out.extend_from_slice(&c.x.to_le_bytes());
        out.extend_from_slice(&c.y.to_le_bytes());
    }
    for v in grid.values() {
        for x in [v.individuals, v.households, v.poor_households, v.income_sum] {
            out.extend_from_slice(&x.to_le_bytes());
        }
        out.push(u8::from(v.imputed));
    }
    for l in lines {
        out.extend_from_slice(&l.to_le_bytes());
    }
    for s in starts {
        out.extend_from_slice(&s.to_le_bytes());
    }
    for c in communes {
        out.extend_from_slice(c.as_bytes());
    }
    out
}

/// A grid read back from a cache, with its release and the source CSV's identity.
pub struct Cached {
    /// The squares.
    pub grid: Grid,
    /// Release of the source file.
    pub release: Release,
    /// The CSV the cache was made from.
    pub source: InputFile,
}

/// Decodes a cache file's bytes.
pub fn decode(path: &Path, bytes: &[u8]) -> Result<Cached, IoError> {
    let bad = |why: &str| IoError::Cache { path: path.to_owned(), message: why.to_owned() };
    let mut r = Bytes { b: bytes, at: 0 };
    if r.take(8).ok_or_else(|| bad("too short"))? != MAGIC {
        return Err(bad("not a qpv grid cache"));
    }
    let json_len = u32::from_le_bytes(r.array().ok_or_else(|| bad("truncated header"))?) as usize;
    let header: Header = serde_json::from_slice(r.take(json_len).ok_or_else(|| bad("truncated header"))?)
        .map_err(|e| bad(&format!("unreadable header: {e}")))?;
    let n = usize::try_from(header.squares).map_err(|_| bad("too many squares"))?;
    let m = usize::try_from(header.communes).map_err(|_| bad("too many communes"))?;
    let expected = n
        .checked_mul(8 + 33 + 8 + 4)
        .and_then(|x| x.checked_add(4))
        .and_then(|x| x.checked_add(m.checked_mul(5)?));
    if expected != Some(bytes.len() - r.at) {
        return Err(bad("the columns are truncated or too long"));
    }
    // The columns sit at known offsets: decode them in parallel.
    let cells_b = r.take(n * 8).ok_or_else(|| bad("truncated"))?;
    let values_b = r.take(n * 33).ok_or_else(|| bad("truncated"))?;
    let lines_b = r.take(n * 8).ok_or_else(|| bad("truncated"))?;
    let starts_b = r.take((n + 1) * 4).ok_or_else(|| bad("truncated"))?;
    let communes_b = r.take(m * 5).ok_or_else(|| bad("truncated"))?;
    let le4 = |b: &[u8]| [b[0], b[1], b[2], b[3]];
    let le8 = |b: &[u8]| [b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]];
    let ((cells, values), ((lines, starts), communes)) = rayon::join(
        || {
            rayon::join(
                || -> Vec<Cell> {
                    cells_b
                        .par_chunks_exact(8)
                        .map(|c| {
                            Cell::new(i32::from_le_bytes(le4(&c[..4])), i32::from_le_bytes(le4(&c[4..])))
                        })
                        .collect()
                },
                || -> Vec<SquareValues> {
                    values_b
                        .par_chunks_exact(33)
                        .map(|c| {
                            let f = |k: usize| f64::from_le_bytes(le8(&c[k * 8..]));
                            SquareValues {
                                individuals: f(0),
                                households: f(1),
                                poor_households: f(2),
                                income_sum: f(3),
                                imputed: c[32] != 0,
                            }
                        })
                        .collect()
                },
            )
        },
        || {
            rayon::join(
                || -> (Vec<u64>, Vec<u32>) {
                    (
                        lines_b.par_chunks_exact(8).map(|c| u64::from_le_bytes(le8(c))).collect(),
                        starts_b.par_chunks_exact(4).map(|c| u32::from_le_bytes(le4(c))).collect(),
                    )
                },
                || -> Result<Vec<CommuneCode>, IoError> {
                    communes_b
                        .par_chunks_exact(5)
                        .map(|c| CommuneCode::parse(c).map_err(|e| bad(&format!("bad commune code: {e}"))))
                        .collect()
                },
            )
        },
    );
    let communes = communes?;
    let frame = match (header.epsg, header.square_size) {
        (Some(epsg), Some(square_size)) => Some(GridFrame { epsg, square_size }),
        _ => None,
    };
    let grid = Grid::from_raw_parts(frame, cells, values, lines, starts, communes)
        .map_err(|e| bad(&e.to_string()))?;
    let release = match header.release.as_str() {
        "2015" => Release::Filosofi2015,
        "2017" => Release::Filosofi2017,
        "2019/2021" => Release::Filosofi2019Or2021,
        _ => Release::Other,
    };
    let source = InputFile {
        role: "grid source".into(),
        path: header.source.path,
        bytes: header.source.bytes,
        blake3: header.source.blake3,
    };
    Ok(Cached { grid, release, source })
}

struct Bytes<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Bytes<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.b.get(self.at..end)?;
        self.at = end;
        Some(s)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N).and_then(|s| s.try_into().ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{GridReader, GridSource};

    #[test]
    fn round_trip_of_the_sample() {
        let file = GridReader::new(crate::SAMPLE_GRID).finish().unwrap();
        let bytes = encode(&file.grid, &file.layout, &file.input);
        let back = decode(Path::new("c.qpvgrid"), &bytes).unwrap();
        assert_eq!(back.grid.len(), file.grid.len());
        assert_eq!(back.grid.cells(), file.grid.cells());
        assert_eq!(back.grid.values(), file.grid.values());
        assert_eq!(back.grid.raw_parts(), file.grid.raw_parts());
        assert_eq!(back.release, Release::Filosofi2019Or2021);
        assert_eq!(back.source.blake3, file.input.blake3);
    }

    #[test]
    fn damaged_caches_are_refused() {
        let file = GridReader::new(GridSource::Embedded {
            name: "t",
            bytes: b"idcar_200m,lcog_geo,ind,men,men_pauv,ind_snv\nCRS3035RES200mN0E0,59172,1,1,0,10\n",
        })
        .finish()
        .unwrap();
        let bytes = encode(&file.grid, &file.layout, &file.input);
        for cut in [4, 12, bytes.len() - 1] {
            let err = decode(Path::new("c.qpvgrid"), &bytes[..cut]).err().unwrap();
            assert!(err.to_string().contains("c.qpvgrid"), "{err}");
        }
        let mut wrong = bytes.clone();
        wrong[0] = b'X';
        assert!(decode(Path::new("c"), &wrong).is_err());
    }
}

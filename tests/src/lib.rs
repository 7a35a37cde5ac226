//! Helpers for the pipeline tests in `tests/`: locating the samples and the
//! optional `../shared` data, and running the whole method on a grid.

use qpv_core::{CommuneTable, Grid, Pipeline, RunOutput};
use qpv_grid::communes::{CommuneVintage, embedded_communes};
use qpv_grid::{GridReader, GridSource};
use std::path::PathBuf;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_owned()
}

/// `../shared/data/<rel>` beside the checkout, or `None` (with a message saying the
/// test is skipped) when a clone has no `../shared`.
pub fn shared_file(rel: &str) -> Option<PathBuf> {
    let p = repo_root().parent()?.join("shared").join("data").join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipped: {} is absent (only CI and developer machines have ../shared)", p.display());
        None
    }
}

/// A grid, the embedded 2021 commune table and the whole method with default settings
/// and the embedded Filosofi 2019 medians.
pub struct Run {
    /// The squares.
    pub grid: Grid,
    /// The commune table.
    pub communes: CommuneTable,
    /// Every stage's result.
    pub output: RunOutput,
}

/// Runs the method on `source`.
pub fn run(source: GridSource) -> Run {
    let grid = GridReader::new(source).finish().expect("grid reads").grid;
    let (communes, _) = embedded_communes(CommuneVintage::Cog2021);
    let (reference, _) = qpv_grid::reference::embedded_reference("filosofi2019").expect("embedded reference");
    let output = Pipeline::new(&grid, &communes).reference(Some(&reference)).run().expect("run succeeds");
    Run { grid, communes, output }
}

//! Scores candidate perimeters against official ones on the 200 m lattice (issue 20),
//! with the measures of `qpv_tests::quartiers`. Prints one Markdown table row.
//!
//!     score-quartiers GRID OFFICIAL CANDIDATES LABEL
//!
//! `benches/quartiers.sh` runs it.

use qpv_grid::{GridReader, GridSource};
use qpv_layers::perimeters::read_perimeters;
use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [grid, official, candidates, label] = args.as_slice() else {
        eprintln!("usage: score-quartiers GRID OFFICIAL CANDIDATES LABEL");
        std::process::exit(2);
    };
    let grid = GridReader::new(GridSource::Path(PathBuf::from(grid))).finish().expect("grid reads").grid;
    let epsg = grid.frame().expect("a grid with squares").epsg;
    let read = |p: &str| read_perimeters(p.as_ref(), None, None, epsg).expect("perimeters read").perimeters;
    let score = qpv_tests::quartiers::score(&grid, &read(official), &read(candidates));
    println!("{}", score.row(label));
}

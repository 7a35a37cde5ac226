//! Writes a synthetic grid in the Filosofi 2019 layout.
//!
//! `cargo run --release -p qpv-benches --bin gen-grid -- SQUARES SEED OUT.csv`

use std::io::BufWriter;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: gen-grid SQUARES SEED OUT.csv";
    let squares: usize =
        args.get(1).and_then(|s| s.parse().ok()).ok_or_else(|| std::io::Error::other(usage))?;
    let seed: u64 = args.get(2).and_then(|s| s.parse().ok()).ok_or_else(|| std::io::Error::other(usage))?;
    let path = args.get(3).ok_or_else(|| std::io::Error::other(usage))?;
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    qpv_benches::write_grid(&mut out, squares, seed)?;
    eprintln!("wrote {squares} squares to {path}");
    Ok(())
}

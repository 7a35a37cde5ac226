//! Per-stage benchmarks on the committed CAPH sample (3 205 squares) and on a
//! synthetic grid of 200 000 squares (same layout, deterministic).
//!
//! `cargo bench -p qpv-benches` (whole runs on the national file: `benches/national.sh`).

use divan::Bencher;
use qpv_core::{Placement, RunSettings, Territory, flag_squares, group_candidates};
use qpv_grid::communes::{CommuneVintage, embedded_communes};
use qpv_grid::{GridReader, GridSource};
use std::sync::OnceLock;

fn main() {
    divan::main();
}

const SIZES: [&str; 2] = ["caph", "synthetic-200k"];

fn csv(which: &str) -> &'static [u8] {
    static SYNTH: OnceLock<&'static [u8]> = OnceLock::new();
    match which {
        "caph" => match qpv_grid::SAMPLE_GRID {
            GridSource::Embedded { bytes, .. } => bytes,
            _ => unreachable!("the sample is embedded"),
        },
        _ => SYNTH.get_or_init(|| {
            let mut v = Vec::new();
            qpv_benches::write_grid(&mut v, 200_000, 1).expect("in memory");
            Box::leak(v.into_boxed_slice())
        }),
    }
}

struct Fixture {
    grid: qpv_core::Grid,
    communes: qpv_core::CommuneTable,
    reference: qpv_core::MedianReference,
}

fn fixture(which: &str) -> &'static Fixture {
    static F: OnceLock<Vec<(String, &'static Fixture)>> = OnceLock::new();
    let all = F.get_or_init(|| {
        SIZES
            .iter()
            .map(|w| {
                let grid = GridReader::new(GridSource::Embedded { name: "bench", bytes: csv(w) })
                    .finish()
                    .unwrap()
                    .grid;
                let (communes, _) = embedded_communes(CommuneVintage::Cog2021);
                let (reference, _) = qpv_grid::reference::embedded_reference("filosofi2019").unwrap();
                let f: &'static Fixture = Box::leak(Box::new(Fixture { grid, communes, reference }));
                (w.to_string(), f)
            })
            .collect()
    });
    all.iter().find(|(w, _)| w == which).map(|(_, f)| *f).unwrap()
}

#[divan::bench(args = SIZES)]
fn parse(b: Bencher, which: &str) {
    let bytes = csv(which);
    b.bench(|| GridReader::new(GridSource::Embedded { name: "bench", bytes }).finish().unwrap().grid.len());
}

#[divan::bench(args = SIZES)]
fn index(b: Bencher, which: &str) {
    let f = fixture(which);
    b.bench(|| f.grid.index().unwrap());
}

#[divan::bench(args = SIZES)]
fn placement(b: Bencher, which: &str) {
    let f = fixture(which);
    b.bench(|| Placement::new(&f.grid, &f.communes, Territory::Metropolitan));
}

#[divan::bench(args = SIZES)]
fn income_and_flags(b: Bencher, which: &str) {
    let f = fixture(which);
    let p = Placement::new(&f.grid, &f.communes, Territory::Metropolitan);
    let s = RunSettings::for_territory(Territory::Metropolitan);
    b.bench(|| flag_squares(&f.grid, &p, &s.rule, &s.model, Some(&f.reference), s.overrides).unwrap());
}

#[divan::bench(args = SIZES)]
fn candidates_and_outlines(b: Bencher, which: &str) {
    let f = fixture(which);
    let p = Placement::new(&f.grid, &f.communes, Territory::Metropolitan);
    let s = RunSettings::for_territory(Territory::Metropolitan);
    let flagged = flag_squares(&f.grid, &p, &s.rule, &s.model, Some(&f.reference), s.overrides).unwrap();
    let index = f.grid.index().unwrap();
    b.bench(|| group_candidates(&f.grid, &p, &flagged, &s.rule, &s.grouping, &index));
}

#[divan::bench(args = SIZES)]
fn geojson_export(b: Bencher, which: &str) {
    let f = fixture(which);
    let out = qpv_core::Pipeline::new(&f.grid, &f.communes).reference(Some(&f.reference)).run().unwrap();
    let (records, _) = qpv_layers::records::area_records(&out, &f.grid, &f.communes);
    let to_wgs84 = qpv_layers::crs::Transformer::new(3035, 4326).unwrap();
    b.bench(|| qpv_layers::export::candidates_geojson(&records, &to_wgs84, &to_wgs84).unwrap());
}

//! The fuzzers' corpora (`fuzz/corpus/<target>/`, minimised with `cargo fuzz cmin`) as
//! regression tests: every input goes through the same code as its fuzz target, on
//! stable Rust, in every `cargo test`.

use qpv_core::commune_code::parse_lcog_geo;
use qpv_core::{CommuneCode, SquareId};
use qpv_grid::{GridReader, GridSource};
use std::path::PathBuf;

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = qpv_tests::repo_root().join("fuzz").join("corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} is empty", dir.display());
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

#[test]
fn square_id_corpus() {
    for data in corpus("square_id") {
        if let Ok(id) = SquareId::parse(&data) {
            assert_eq!(SquareId::parse(id.to_string().as_bytes()).unwrap(), id);
            let _ = id.cell();
        }
    }
}

#[test]
fn lcog_geo_corpus() {
    // As the fuzz target: every code read is a valid code that parses back to itself.
    let mut checked = 0;
    for data in corpus("lcog_geo") {
        let mut out = Vec::new();
        if parse_lcog_geo(&data, &mut out).is_ok() {
            for c in out {
                checked += 1;
                assert_eq!(CommuneCode::parse(c.as_bytes()).expect("a code read is valid"), c, "{data:?}");
                let _ = c.municipality();
                let _ = c.departement();
            }
        }
    }
    assert!(checked > 0, "no input of the corpus gives a code: the round trip checked nothing");
}

#[test]
fn edits_corpus() {
    for data in corpus("edits") {
        if let Ok(text) = std::str::from_utf8(&data) {
            let _ = qpv_layers::edits::parse_steps(text);
        }
    }
}

#[test]
fn grid_reader_corpus() {
    for data in corpus("grid_reader") {
        for header in [&b""[..], &b"idcar_200m,lcog_geo,ind,men,men_pauv,ind_snv\n"[..]] {
            let mut bytes = header.to_vec();
            bytes.extend_from_slice(&data);
            for skip in [false, true] {
                let source = GridSource::Memory { name: "corpus.csv".into(), bytes: bytes.clone() };
                if let Ok(file) = GridReader::new(source).skip_bad_rows(skip).finish() {
                    let _ = file.grid.index();
                }
            }
        }
    }
}

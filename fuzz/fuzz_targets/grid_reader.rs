#![no_main]
//! The grid reader on arbitrary bytes, with a valid header or not: never a panic;
//! either a grid or an error, with and without skipping bad rows.
use libfuzzer_sys::fuzz_target;
use qpv_grid::{GridReader, GridSource};

fuzz_target!(|data: &[u8]| {
    for header in [&b""[..], &b"idcar_200m,lcog_geo,ind,men,men_pauv,ind_snv\n"[..]] {
        let mut bytes = header.to_vec();
        bytes.extend_from_slice(data);
        for skip in [false, true] {
            let source = GridSource::Memory { name: "fuzz.csv".into(), bytes: bytes.clone() };
            if let Ok(file) = GridReader::new(source).skip_bad_rows(skip).finish() {
                let _ = file.grid.index();
            }
        }
    }
});

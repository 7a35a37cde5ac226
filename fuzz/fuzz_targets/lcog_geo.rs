#![no_main]
//! `lcog_geo` fields: never a panic; every code read is a valid 5-character code.
use libfuzzer_sys::fuzz_target;
use qpv_core::commune_code::parse_lcog_geo;
use qpv_core::CommuneCode;

fuzz_target!(|data: &[u8]| {
    let mut out = Vec::new();
    if parse_lcog_geo(data, &mut out).is_ok() {
        for c in out {
            assert_eq!(CommuneCode::parse(c.as_bytes()).expect("valid"), c);
            let _ = c.municipality();
            let _ = c.departement();
        }
    }
});

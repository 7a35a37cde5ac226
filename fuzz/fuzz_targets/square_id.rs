#![no_main]
//! Square ids: never a panic; a parsed id prints back to an id that parses the same.
use libfuzzer_sys::fuzz_target;
use qpv_core::SquareId;

fuzz_target!(|data: &[u8]| {
    if let Ok(id) = SquareId::parse(data) {
        let again = SquareId::parse(id.to_string().as_bytes()).expect("a printed id parses");
        assert_eq!(again, id);
        let _ = id.cell();
    }
});

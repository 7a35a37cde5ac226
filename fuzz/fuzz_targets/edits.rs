#![no_main]
//! The adjustments parser on arbitrary text: never a panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = qpv_layers::edits::parse_steps(text);
    }
});

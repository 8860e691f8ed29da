//! Fuzz target `safetensors_header`: see `initspec_fuzz::safetensors_header` (fuzz/src/lib.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| initspec_fuzz::safetensors_header(data));

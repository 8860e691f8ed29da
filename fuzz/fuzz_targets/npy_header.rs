//! Fuzz target `npy_header`: see `initspec_fuzz::npy_header` (fuzz/src/lib.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| initspec_fuzz::npy_header(data));

//! Fuzz target `shape`: see `initspec_fuzz::shape` (fuzz/src/lib.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| initspec_fuzz::shape(data));

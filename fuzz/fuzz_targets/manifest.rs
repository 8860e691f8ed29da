//! Fuzz target `manifest`: see `initspec_fuzz::manifest` (fuzz/src/lib.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| initspec_fuzz::manifest(data));

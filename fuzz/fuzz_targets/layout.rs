//! Fuzz target `layout`: see `initspec_fuzz::layout` (fuzz/src/lib.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| initspec_fuzz::layout(data));

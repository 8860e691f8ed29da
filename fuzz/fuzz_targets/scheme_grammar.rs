//! Fuzz target `scheme_grammar`: see `initspec_fuzz::scheme_grammar` (fuzz/src/lib.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| initspec_fuzz::scheme_grammar(data));

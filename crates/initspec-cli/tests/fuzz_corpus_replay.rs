//! Replays the committed fuzz corpus (`fuzz/corpus/TARGET/`) through the fuzz-target bodies,
//! on stable Rust, in every `cargo test`.
//!
//! The bodies live in `fuzz/src/lib.rs`, compiled here as a module, so the fuzzers and this
//! test run exactly the same code. Every input that ever crashed a target is kept in its
//! corpus, so this test keeps those defects fixed; see docs/VERIFICATION.md, "Fuzzing".

use std::fs;
use std::path::{Path, PathBuf};

#[path = "../../../fuzz/src/lib.rs"]
mod entry_points;

/// The corpus folder of one fuzz target.
fn corpus_dir(target: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz/corpus")).join(target)
}

/// Runs every file of `target`'s corpus through `body` and checks that there were at least
/// `at_least` of them, so that a missing or emptied corpus fails instead of passing.
fn replay(target: &str, at_least: usize, body: fn(&[u8])) {
    let dir = corpus_dir(target);
    let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    paths.sort();
    for path in &paths {
        let data = fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let outcome = std::panic::catch_unwind(|| body(&data));
        assert!(
            outcome.is_ok(),
            "fuzz target {target} panics on {} (bytes: {:02x?})",
            path.display(),
            &data[..data.len().min(256)]
        );
    }
    assert!(
        paths.len() >= at_least,
        "{}: {} corpus files, expected at least {at_least}",
        dir.display(),
        paths.len()
    );
}

#[test]
fn npy_header_corpus() {
    replay("npy_header", 20, entry_points::npy_header);
}

#[test]
fn safetensors_header_corpus() {
    replay("safetensors_header", 20, entry_points::safetensors_header);
}

#[test]
fn manifest_corpus() {
    replay("manifest", 20, entry_points::manifest);
}

#[test]
fn scheme_grammar_corpus() {
    replay("scheme_grammar", 20, entry_points::scheme_grammar);
}

#[test]
fn layout_corpus() {
    replay("layout", 10, entry_points::layout);
}

#[test]
fn shape_corpus() {
    replay("shape", 10, entry_points::shape);
}

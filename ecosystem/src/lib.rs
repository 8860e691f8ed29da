//! # initspec-ecosystem
//!
//! Tests that build real weight tensors with the Rust ML libraries (burn with its ndarray
//! backend, candle with candle-nn) through their public APIs, and audit each against the law
//! the library's documentation promises (docs/AUDITING.md §9, "The Rust ecosystem audited").
//! Everything is in `tests/`; this library holds the helpers they share (with
//! [`initspec_verify::assert_conforms`] for what must conform).

use initspec::Layout;
use initspec_verify::audit::Audit;
use initspec_verify::conforms::{ConformsError, conforms};
use initspec_verify::sample::Values;

/// Audits `values` (C order, `shape`) against `scheme` at α = 10⁻⁶ (the level of
/// [`initspec_verify::assert_conforms`]) and returns whether they conform, with the report.
///
/// # Errors
/// The scheme does not parse or apply to the shape, or the shape does not match the values.
pub fn verdict<'a>(
    values: impl Into<Values<'a>>,
    shape: &[usize],
    scheme: &str,
    layout: Layout,
) -> Result<(bool, Audit), ConformsError> {
    let audit = conforms(values, shape, scheme, layout)?;
    Ok((audit.verdict.pass, audit))
}

/// Panics unless `values` fail to conform to `scheme` at α = 10⁻⁶: a negative control, or a
/// library's departure asserted as found (the test fails when the library changes).
///
/// # Panics
/// When they conform, or when the scheme does not parse or apply to the shape.
#[track_caller]
pub fn assert_does_not_conform<'a>(
    values: impl Into<Values<'a>>,
    shape: &[usize],
    scheme: &str,
    layout: Layout,
) {
    let (pass, _) = verdict(values, shape, scheme, layout).expect("a scheme that applies");
    assert!(!pass, "{scheme} unexpectedly conforms");
}

//! One-line conformance assertions for other crates' tests: "these weights were drawn from
//! scheme S".
//!
//! A crate that implements initializers (a deep-learning framework, a model's own code) adds
//! `initspec-verify` as a dev-dependency and writes one line per initializer:
//!
//! ```
//! use initspec::Layout;
//! use initspec_verify::assert_conforms;
//! # let weights = initspec_verify::conforms::example_weights();
//! // `weights`: a [256, 512] nn.Linear-style weight drawn by the code under test.
//! assert_conforms(&weights, &[256, 512], "kaiming_uniform(a=2.23606797749979)", Layout::OutIn);
//! ```
//!
//! The check is the whole audit of [`crate::audit`] (finite, support, KS, Anderson–Darling,
//! χ², mean, variance, and the independence checks of [`crate::iid`]) at the family-wise
//! level [`CONFORMS_ALPHA`] = 10⁻⁶: a correct initializer fails a given assertion with
//! probability at most 10⁻⁶ (Holm's procedure holds the level over the checks of one tensor;
//! `initspec calibrate` measures it), so a CI job with a thousand such assertions sees a
//! false failure less than once in a thousand runs, with no seed to fix. The price of the
//! small α is power on small tensors: a 2 % variance error is caught with probability 0.99 at
//! about 2.9·10⁵ values (for a χ²ₙ variance test, n ≈ 2·(z₁₋α/₂ + z₀.₉₉)²/ln(1.0201)²), and a
//! 10 % error from a few thousand. A layer too small for the error you fear can be drawn
//! k times and the draws audited as one [k·out, in] tensor against the *law* of the
//! [out, in] scheme, written as a scheme: `Scheme::resolve` gives the law, whose text (such
//! as `uniform(a=-0.25, b=0.25)`) is a scheme of its own.
//!
//! Values may be `f32`, `f64`, `half::bf16` or `half::f16` slices (or `Vec`s); 16-bit values
//! are tested against the law rounded to their format, as `initspec audit` does. Pass the
//! values in the width they were drawn in: f32 weights widened to f64 (`tensor.double()`)
//! are not f64 draws (in 10⁵ values a 24-bit sampler repeats some value, which 52-bit draws
//! essentially never do), and the `atoms` check says so.

use std::fmt::{self, Write as _};

use initspec::{Layout, Scheme};

use crate::audit::{Audit, audit};
use crate::sample::{Sample, Values};

/// The family-wise significance level of [`assert_conforms`] and [`conforms`]: the
/// probability that a correct initializer fails one assertion is at most this.
pub const CONFORMS_ALPHA: f64 = 1e-6;

/// Why a conformance check could not be made (as opposed to a verdict of "does not
/// conform", which is an [`Audit`] whose `verdict.pass` is false).
#[derive(Debug, Clone, PartialEq)]
pub enum ConformsError {
    /// The scheme does not parse, or does not apply to this shape and layout.
    Scheme(initspec::Error),
    /// The number of values is not the product of the shape.
    ShapeMismatch {
        /// Number of values given.
        values: usize,
        /// The shape claimed.
        shape: Vec<usize>,
    },
}

impl fmt::Display for ConformsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConformsError::Scheme(e) => write!(f, "{e}"),
            ConformsError::ShapeMismatch { values, shape } => write!(
                f,
                "{values} values cannot fill the shape {shape:?} ({} elements)",
                shape
                    .iter()
                    .try_fold(1usize, |a, &d| a.checked_mul(d))
                    .map_or_else(|| "more than 2^64".to_string(), |n| n.to_string())
            ),
        }
    }
}

impl std::error::Error for ConformsError {}

/// Audits `weights` (C order, of `shape`, fans placed by `layout`, one group) against
/// `scheme` at [`CONFORMS_ALPHA`], without panicking: `Ok(audit)` whatever the verdict
/// (read `audit.verdict.pass` and `audit.summary`), `Err` when no verdict can be given.
///
/// For grouped convolutions or another α, build a [`Sample`] and call
/// [`crate::audit::audit`] directly.
///
/// # Errors
/// [`ConformsError::Scheme`] for a scheme that does not parse or apply to `shape`;
/// [`ConformsError::ShapeMismatch`] when `weights.len()` is not the product of `shape`.
///
/// # Example
/// ```
/// use initspec::{Layout, Law, Sampler, Stream};
/// use initspec_verify::conforms;
/// // A "Xavier" initializer that forgot the factor 2: U(±√(3/(fan_in + fan_out))).
/// let wrong: Law = "uniform(a=-0.0625, b=0.0625)".parse().unwrap();
/// let mut w = vec![0f32; 256 * 512];
/// Sampler::new(&wrong, Stream::new(5, "w")).fill(&mut w);
/// let audit = conforms(&w, &[256, 512], "xavier_uniform", Layout::OutIn).unwrap();
/// assert!(!audit.verdict.pass, "α = 1e-6, n = 131072, seed 5: variance 0.5× the spec");
/// assert!(audit.summary.contains("variance"));
/// // A scheme that does not parse is an error, not a verdict.
/// assert!(conforms(&w, &[256, 512], "xavier_uniformm", Layout::OutIn).is_err());
/// ```
pub fn conforms<'a>(
    weights: impl Into<Values<'a>>,
    shape: &[usize],
    scheme: &str,
    layout: Layout,
) -> Result<Audit, ConformsError> {
    let values = weights.into();
    let elements = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    if elements != Some(values.len()) {
        return Err(ConformsError::ShapeMismatch {
            values: values.len(),
            shape: shape.to_vec(),
        });
    }
    let scheme: Scheme = scheme.parse().map_err(ConformsError::Scheme)?;
    let sample = Sample::new(values, shape, values.storage()).with_layout(layout);
    audit(&sample, &scheme, CONFORMS_ALPHA).map_err(ConformsError::Scheme)
}

/// Asserts that `weights` (C order, of `shape`, fans placed by `layout`) conform to
/// `scheme` at [`CONFORMS_ALPHA`]; see the module docs for the false-failure rate and power.
///
/// # Panics
/// When the weights do not conform, with the whole audit in the message (the law, every
/// check with its statistic and p-value, and the summary in words); when the scheme does not
/// parse or apply, or the shape does not match the number of values, with that error.
///
/// # Example
/// ```
/// use initspec::{Layout, Law, Sampler, Scheme, Stream};
/// use initspec_verify::assert_conforms;
/// // The initializer under test: here initspec's own He-normal on a Keras conv kernel.
/// let shape = [3, 3, 64, 128];
/// let law = "he_normal".parse::<Scheme>().unwrap().resolve(&shape, &Layout::InOut, 1).unwrap();
/// let mut kernel = vec![0f32; shape.iter().product()];
/// Sampler::new(&law, Stream::new(11, "conv")).fill(&mut kernel);
/// assert_conforms(&kernel, &shape, "he_normal", Layout::InOut); // α = 1e-6, seed 11
/// ```
///
/// A wrong initializer panics with the audit:
/// ```should_panic
/// use initspec::{Layout, Law, Sampler, Stream};
/// use initspec_verify::assert_conforms;
/// let law: Law = "normal(mean=0, std=1)".parse().unwrap(); // nn.Embedding's law, not He's
/// let mut w = vec![0f64; 128 * 256];
/// Sampler::new(&law, Stream::new(2, "w")).fill(&mut w);
/// assert_conforms(&w, &[128, 256], "kaiming_normal", Layout::OutIn);
/// ```
#[track_caller]
pub fn assert_conforms<'a>(
    weights: impl Into<Values<'a>>,
    shape: &[usize],
    scheme: &str,
    layout: Layout,
) {
    match conforms(weights, shape, scheme, layout) {
        Ok(audit) if audit.verdict.pass => {}
        Ok(audit) => panic!(
            "weights of shape {shape:?} do not conform to {scheme}\n{}",
            report(&audit)
        ),
        Err(e) => panic!("cannot check weights against {scheme}: {e}"),
    }
}

/// The audit as text: the law, each check's statistic, p-value and result, and the summary.
///
/// # Example
/// ```
/// use initspec::{Layout, Law, Sampler, Stream};
/// use initspec_verify::conforms::{conforms, report};
/// let law: Law = "normal(mean=0, std=0.02)".parse().unwrap();
/// let mut w = vec![0f32; 64 * 64];
/// Sampler::new(&law, Stream::new(1, "w")).fill(&mut w);
/// let text = report(&conforms(&w, &[64, 64], "normal(std=0.02)", Layout::OutIn).unwrap());
/// assert!(text.contains("law       normal(mean=0, std=0.02)"));
/// assert!(text.contains("verdict   PASS at α = 1e-6"), "seed 1, n = 4096: {text}");
/// ```
pub fn report(audit: &Audit) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "  law       {}", audit.law);
    let _ = writeln!(
        text,
        "  tensor    {:?} {}, n = {}",
        audit.shape, audit.dtype, audit.n
    );
    let _ = writeln!(
        text,
        "  {:<18} {:>14} {:>10}  {:<6}  detail",
        "check", "statistic", "p-value", "result"
    );
    for check in &audit.verdict.checks {
        let _ = writeln!(
            text,
            "  {:<18} {:>14.6e} {:>10.3e}  {:<6}  {}",
            check.name,
            check.statistic,
            check.p_value,
            if check.pass { "pass" } else { "FAIL" },
            check.detail
        );
    }
    let _ = write!(
        text,
        "  verdict   {} at α = {:e}: {}",
        if audit.verdict.pass { "PASS" } else { "FAIL" },
        audit.verdict.alpha,
        audit.summary
    );
    text
}

/// Weights for the module-level example: `kaiming_uniform(a=√5)` (PyTorch's `nn.Linear`
/// default) on a [256, 512] weight, drawn by initspec with seed 0.
#[doc(hidden)]
pub fn example_weights() -> Vec<f32> {
    let shape = [256, 512];
    let law = "kaiming_uniform(a=2.23606797749979)"
        .parse::<Scheme>()
        .and_then(|s| s.resolve(&shape, &Layout::OutIn, 1))
        .expect("a fixed, valid scheme");
    let mut w = vec![0f32; shape.iter().product()];
    initspec::Sampler::new(&law, initspec::Stream::new(0, "example")).fill(&mut w);
    w
}

#[cfg(test)]
mod tests {
    use super::*;
    use initspec::{Law, Sampler, Stream};

    fn draw(law: &str, n: usize, seed: u64) -> Vec<f32> {
        let law: Law = law.parse().unwrap();
        let mut w = vec![0f32; n];
        Sampler::new(&law, Stream::new(seed, "conforms")).fill(&mut w);
        w
    }

    #[test]
    fn shape_mismatch_is_an_error_naming_both() {
        let w = vec![0f32; 10];
        let e = conforms(&w, &[3, 4], "xavier_uniform", Layout::OutIn).unwrap_err();
        assert_eq!(
            e.to_string(),
            "10 values cannot fill the shape [3, 4] (12 elements)"
        );
        let e = conforms(&w, &[1 << 40, 1 << 40], "xavier_uniform", Layout::OutIn).unwrap_err();
        assert!(e.to_string().contains("more than 2^64"), "{e}");
    }

    #[test]
    fn scheme_that_cannot_apply_is_an_error() {
        let w = vec![0f32; 16];
        // A fan-based scheme needs rank ≥ 2.
        assert!(matches!(
            conforms(&w, &[16], "kaiming_normal", Layout::OutIn),
            Err(ConformsError::Scheme(_))
        ));
    }

    /// α = 1e-6 (CONFORMS_ALPHA), n = 2¹⁷, seed 3: the correct law passes in every width and
    /// the negative control (std × 1.05, variance × 1.1025) fails.
    #[test]
    fn correct_passes_in_every_width_and_a_scaled_law_fails() {
        let n = 256 * 512;
        let bound = (6.0f64 / 768.0).sqrt();
        let good = draw(&format!("uniform(a={}, b={bound})", -bound), n, 3);
        let half: Vec<half::bf16> = good.iter().map(|&x| half::bf16::from_f32(x)).collect();
        let f16s: Vec<half::f16> = good.iter().map(|&x| half::f16::from_f32(x)).collect();
        let wide: Vec<f64> = good.iter().map(|&x| x as f64).collect();
        assert_conforms(&good, &[256, 512], "xavier_uniform", Layout::OutIn);
        assert_conforms(&half, &[256, 512], "xavier_uniform", Layout::OutIn);
        assert_conforms(&f16s, &[256, 512], "xavier_uniform", Layout::OutIn);
        // The same f32 draw widened to f64 is tested as f64 draws, which it is not: in 2¹⁷
        // values a 23/24-bit sampler repeats some value 3 times, which f64 draws (52 bits)
        // essentially never do, so `atoms` rejects it (module docs: pass values in their
        // own width).
        let widened = conforms(&wide, &[256, 512], "xavier_uniform", Layout::OutIn).unwrap();
        assert!(
            !widened.verdict.check("atoms").unwrap().pass,
            "{}",
            report(&widened)
        );
        let mut true_f64 = vec![0f64; n];
        let law: Law = format!("uniform(a={}, b={bound})", -bound).parse().unwrap();
        Sampler::new(&law, Stream::new(3, "conforms")).fill(&mut true_f64);
        assert_conforms(&true_f64, &[256, 512], "xavier_uniform", Layout::OutIn);
        let std = (2.0f64 / 512.0).sqrt() * 1.05;
        let bad = draw(&format!("normal(mean=0, std={std})"), n, 3);
        let audit = conforms(&bad, &[256, 512], "kaiming_normal", Layout::OutIn).unwrap();
        assert!(!audit.verdict.pass, "{}", report(&audit));
        assert!(!audit.verdict.check("variance").unwrap().pass);
    }

    #[test]
    fn failure_message_carries_the_whole_audit() {
        let bad = draw("normal(mean=0, std=1)", 128 * 256, 2);
        let payload = std::panic::catch_unwind(|| {
            assert_conforms(&bad, &[128, 256], "kaiming_normal", Layout::OutIn)
        })
        .unwrap_err();
        let message = payload.downcast_ref::<String>().unwrap();
        for part in [
            "do not conform to kaiming_normal",
            "law       normal(mean=0, std=0.08838834764831845)",
            "variance",
            "FAIL",
            "verdict   FAIL at α = 1e-6",
        ] {
            assert!(message.contains(part), "{part:?} missing from {message}");
        }
    }
}

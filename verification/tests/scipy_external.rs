//! Our KS statistic and p-value agree with SciPy's on data we did not generate.
//!
//! The fixture `tests/fixtures/scipy_external.json` holds samples from NumPy's PCG64
//! (`numpy.random.default_rng`, not initspec's sampler), for n ∈ {50, 1000, 20000}, the law
//! each is tested against (in initspec's grammar), and SciPy 1.17's
//! `kstest(x, law.cdf, method="exact")` D and p. Some samples come from other laws (Student t,
//! logistic, shifted normal), so p runs from about 0.7 down to 1e-28. Written by
//! `scripts/make_scipy_external.py`.

use initspec::Law;
use initspec_verify::gof::{ks_test, sort_sample};
use serde_json::Value;

/// Largest accepted |D − D_scipy|.
const D_TOLERANCE: f64 = 1e-9;
/// Largest accepted |p − p_scipy| / p_scipy.
const P_RELATIVE_TOLERANCE: f64 = 1e-6;

#[test]
fn ks_agrees_with_scipy_on_numpy_samples() {
    let text = include_str!("fixtures/scipy_external.json");
    let doc: Value = serde_json::from_str(text).expect("fixture is JSON");
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() >= 12, "fixture has {} cases", cases.len());
    let mut sizes = Vec::new();
    for case in cases {
        let n = case["n"].as_u64().unwrap() as usize;
        let law_text = case["law"].as_str().unwrap();
        let source = case["source"].as_str().unwrap();
        let law: Law = law_text
            .parse()
            .unwrap_or_else(|e| panic!("{law_text}: {e}"));
        let mut sample: Vec<f64> = case["samples"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(sample.len(), n);
        sort_sample(&mut sample);
        let ours = ks_test(&sample, |x| law.cdf(x));
        let (d, p) = (
            case["statistic"].as_f64().unwrap(),
            case["p_value"].as_f64().unwrap(),
        );
        assert!(
            (ours.statistic - d).abs() <= D_TOLERANCE,
            "n = {n}, {source} vs {law_text}: D = {:.17e}, SciPy {d:.17e} (tolerance {D_TOLERANCE:e})",
            ours.statistic
        );
        assert!(
            (ours.p_value - p).abs() <= P_RELATIVE_TOLERANCE * p,
            "n = {n}, {source} vs {law_text}: p = {:.17e}, SciPy {p:.17e} (relative tolerance {P_RELATIVE_TOLERANCE:e})",
            ours.p_value
        );
        sizes.push(n);
    }
    for n in [50, 1000, 20000] {
        assert!(sizes.contains(&n), "no case with n = {n}");
    }
}

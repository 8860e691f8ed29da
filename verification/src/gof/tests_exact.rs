//! Exact-value tests that pin each term of the gof formulas, so that a changed operator,
//! constant or branch fails a test (cargo-mutants; see docs/VERIFICATION.md, "Mutation
//! testing"). Hand-computed values; no randomness.

use super::*;

#[test]
fn anderson_darling_rejects_a_nan_from_either_the_cdf_or_the_sf() {
    // Only one of F, S is NaN: the statistic is still undefined, so A² = +∞, p = 0.
    let sample = [0.2, 0.5];
    let only_sf = anderson_darling(&sample, |x| x, |_| f64::NAN);
    assert_eq!((only_sf.statistic, only_sf.p_value), (f64::INFINITY, 0.0));
    let only_cdf = anderson_darling(&sample, |_| f64::NAN, |x| 1.0 - x);
    assert_eq!((only_cdf.statistic, only_cdf.p_value), (f64::INFINITY, 0.0));
}

#[test]
fn chi_square_refuses_a_nan_value_or_a_nan_cdf_alone() {
    // A NaN from the cdf for an ordinary value (its bin is undefined)...
    assert_eq!(
        chi_square_equiprobable(&[0.1, 0.2], |_| f64::NAN, 4),
        Err(GofError::NanInSample { index: 0 })
    );
    // ...and a NaN value even when the cdf maps it to a number.
    let clamped = |v: f64| if v.is_nan() { 0.5 } else { v };
    assert_eq!(
        chi_square_equiprobable(&[0.1, f64::NAN], clamped, 4),
        Err(GofError::NanInSample { index: 1 })
    );
}

#[test]
fn gof_errors_print_their_values() {
    for (error, want) in [
        (
            GofError::EmptySample,
            "the sample is empty; provide at least one value",
        ),
        (
            GofError::NanInSample { index: 7 },
            "the sample contains NaN (first at index 7); such weights conform to no law: report them before testing the rest",
        ),
        (
            GofError::TooFewBins { bins: 1 },
            "a χ² test needs at least 2 bins, got 1",
        ),
        (
            GofError::InvalidVariance { variance: -1.5 },
            "the hypothesised variance must be finite and > 0, got -1.5",
        ),
        (
            GofError::InvalidMean {
                mean: f64::INFINITY,
            },
            "the hypothesised mean must be finite, got inf",
        ),
        (
            GofError::InvalidFourthMoment {
                fourth_central_moment: 0.5,
                variance: 3.0,
            },
            "the fourth central moment must be finite and > variance² (9), got 0.5",
        ),
        (
            GofError::InvalidLevel { level: 1.0 },
            "a confidence level must lie in (0, 1), got 1",
        ),
    ] {
        assert_eq!(error.to_string(), want);
    }
}

#[test]
fn neumaier_recovers_what_naive_summation_loses() {
    // 1 + 10¹⁰⁰ + 1 − 10¹⁰⁰: naive f64 summation gives 0; the compensation holds both 1s.
    // The third term takes the |sum| ≥ |v| branch, the second the other one.
    let mut sum = super::sum::Neumaier::default();
    for v in [1.0, 1e100, 1.0, -1e100] {
        sum.add(v);
    }
    assert_eq!(sum.total(), 2.0);
}

#[test]
fn mean_test_centres_on_a_non_zero_mean() {
    // Deviations from μ = 1: (0.5, −0.5, 1, 1) → mean deviation 0.5, z = 0.5·√4/1 = 1.
    let t = mean_test(&[1.5, 0.5, 2.0, 2.0], 1.0, 1.0).expect("valid");
    assert_eq!((t.statistic, t.observed_mean), (1.0, 1.5));
}

#[test]
fn lattice_statistic_terminates_when_the_cdf_accepts_nan() {
    // A NaN value with a cdf that maps it to a number is one more (last) tie group: the
    // loop still advances past it (the module's functions are total). u = (0.2, 0.5):
    // D⁺ = max(1/2 − 0.2, 1 − 0.5) = 0.5, D⁻ = max(0.2 − 0, 0.5 − 1/2) = 0.2.
    let cdf = |v: f64| if v.is_nan() { 0.5 } else { v };
    let s = ks_statistic_discrete(&[0.2, f64::NAN], cdf, cdf);
    assert_eq!((s.d_plus, s.d_minus, s.d), (0.5, 0.2, 0.5));
}

#[test]
fn kurtosis_interval_exact_bounds_at_a_non_unit_variance() {
    // ±1 alternating, n = 100, against uniform with σ² = 0.5: r = m₂/σ² = 2,
    // μ₄ = 9σ⁴/5 = 0.45 so κ = μ₄/σ⁴ = 1.8, z = Φ⁻¹(0.975) = 1.959963984540054,
    // zs = z·√(0.8/100) = 0.17530…: [2/(1 + zs), 2/(1 − zs)].
    const Z_REL_TOL: f64 = 1e-12; // statrs' Φ⁻¹ vs the literal z
    let x: Vec<f64> = (0..100)
        .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
        .collect();
    let ci = variance_ratio_interval(&x, 0.0, 0.5, 0.45, false, 0.95).expect("valid");
    assert_eq!((ci.ratio, ci.n, ci.level), (2.0, 100, 0.95));
    for (got, want, what) in [
        (ci.lower, 1.701686657534515, "lower"),
        (ci.upper, 2.4251375443187917, "upper"),
    ] {
        assert!(
            (got - want).abs() <= Z_REL_TOL * want,
            "{what}: got {got}, want {want}"
        );
    }
}

#[test]
fn smirnov_peak_walk_and_stride_match_the_full_sum() {
    // The walk outward from the peak (n > 10⁴) must include the j = 0 term, which dominates
    // at small x = √n·d, and the stride beyond n = 10⁶ must stay within the bump's width.
    // The full sum (every term) is the reference; both agree to ~1e-13 where correct.
    const FULL_SUM_REL_TOL: f64 = 1e-10;
    for n in [20_000_usize, 1_000_001] {
        let sn = (n as f64).sqrt();
        for x in [0.01, 0.3, 1.0, 5.0, 10.0] {
            let (got, want) = (smirnov_sf(n, x / sn), super::ks::smirnov_sf_full(n, x / sn));
            assert!(
                (got - want).abs() <= FULL_SUM_REL_TOL * want,
                "n={n} x={x}: {got:e} vs full sum {want:e}"
            );
        }
    }
}

#[test]
fn smirnov_edge_cases() {
    // n = 0 or d ≤ 0: no evidence, p = 1 (an empty sum would underflow n − 1).
    assert_eq!(smirnov_sf(0, 0.3), 1.0);
    assert_eq!(smirnov_sf(10, 0.0), 1.0);
    assert_eq!(smirnov_sf(10, -0.5), 1.0);
}

#[test]
fn variance_interval_checks_mu4_only_for_the_kurtosis_interval() {
    let x = [0.5, -0.5, 1.0, 1.0];
    // μ₄ is implied (3σ⁴) and not read for the exact χ² interval...
    assert!(variance_ratio_interval(&x, 0.0, 1.0, f64::NAN, true, 0.95).is_ok());
    // ...and must exceed σ⁴ for the kurtosis one.
    assert_eq!(
        variance_ratio_interval(&x, 0.0, 1.0, 1.0, false, 0.95),
        Err(GofError::InvalidFourthMoment {
            fourth_central_moment: 1.0,
            variance: 1.0
        })
    );
}

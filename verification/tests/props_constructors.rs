//! Constructors never panic, for any `f64` (NaN, ±∞, ±0, subnormals, extremes included), and
//! fail exactly when their documented condition is violated; parsing arbitrary text never
//! panics.
//!
//! Each property states the documented condition independently of the implementation
//! (`# Errors` of each constructor; error.rs) and compares it with `is_ok()`.

use initspec::law::{Constant, Normal, TruncatedNormal, Uniform};
use initspec::{Distribution, FanMode, Fans, Law, Layout, Nonlinearity, Scheme};
use proptest::prelude::*;
use proptest::test_runner::{FileFailurePersistence, RngSeed};
use statrs::distribution::{ContinuousCDF, Normal as StatrsNormal};

/// Saved failing cases, replayed before new ones. The path is absolute: cargo runs
/// integration tests in the package directory, and proptest resolves a relative path
/// against the working directory.
const REGRESSIONS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/proptest-regressions/props_constructors.txt"
);

/// Smallest interval mass `TruncatedNormal::new` accepts (its documented threshold).
const MIN_MASS: f64 = 1e-300;

/// Any `f64`, with the special values and the boundaries of the conditions over-represented.
fn arb_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => any::<f64>(),
        3 => -10.0..10.0f64,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(0.0),
        1 => Just(-0.0),
        1 => Just(1.0),
        1 => Just(-1.0),
        1 => Just(f64::MAX),
        1 => Just(f64::MIN),
        1 => Just(f64::MIN_POSITIVE),
        1 => Just(5e-324),
        1 => Just(f64::EPSILON),
    ]
}

fn arb_mode() -> impl Strategy<Value = FanMode> {
    prop::sample::select(FanMode::ALL.to_vec())
}

fn arb_nonlinearity() -> impl Strategy<Value = Nonlinearity> {
    prop::sample::select(Nonlinearity::NAMES.to_vec())
        .prop_map(|n| Nonlinearity::from_name(n).unwrap())
}

fn arb_distribution() -> impl Strategy<Value = Distribution> {
    prop::sample::select(vec![
        Distribution::TruncatedNormal,
        Distribution::UntruncatedNormal,
        Distribution::Uniform,
    ])
}

prop_compose! {
    /// Text shaped like the scheme grammar, with random names, keys, values and punctuation.
    fn arb_grammar_text()(
        name in prop::sample::select(vec![
            "normal", "uniform", "trunc_normal", "truncated_normal", "xavier_uniform",
            "kaiming_normal", "kaiming_uniform", "variance_scaling", "constant", "he_normal",
            "orthogonal", "", "NORMAL", "x", "scaled_normal", "mitchell_out", "deepnorm",
            "t5_q",
        ]),
        pairs in prop::collection::vec(
            (
                prop::sample::select(vec![
                    "a", "b", "mean", "std", "stddev", "lower", "upper", "gain", "mode",
                    "nonlinearity", "scale", "distribution", "value", "", "zz", "n_layer",
                    "layer_id", "d", "d_model", "d_kv", "residuals", "cutoff",
                ]),
                prop_oneof![
                    arb_f64().prop_map(|x| format!("{x}")),
                    arb_f64().prop_map(|x| format!("{x:e}")),
                    prop::sample::select(vec![
                        "fan_in", "fan_avg", "relu", "normal", "uniform", "nan", "inf", "-inf",
                        "1e999", "--1", "0x10", "", "(", ")", "=", ",",
                    ]).prop_map(str::to_string),
                ],
            ),
            0..5,
        ),
        open in any::<bool>(),
        close in any::<bool>(),
    ) -> String {
        let body: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!(
            "{name}{}{}{}",
            if open { "(" } else { "" },
            body.join(","),
            if close { ")" } else { "" }
        )
    }
}

/// `P(α < Z < β)` for a standard normal Z, from statrs (independent of initspec's special
/// functions), taking the tail that keeps precision.
fn normal_mass(alpha: f64, beta: f64) -> f64 {
    let z = StatrsNormal::standard();
    if beta <= 0.0 {
        z.cdf(beta) - z.cdf(alpha)
    } else if alpha >= 0.0 {
        z.sf(alpha) - z.sf(beta)
    } else {
        1.0 - z.cdf(alpha) - z.sf(beta)
    }
}

/// The documented condition of `TruncatedNormal::new`, or `None` when the interval mass is
/// within a factor 1e3 of the threshold, where two correct implementations may disagree.
fn truncated_normal_ok(mean: f64, std: f64, a: f64, b: f64) -> Option<bool> {
    if !(mean.is_finite() && std.is_finite() && a.is_finite() && b.is_finite()) {
        return Some(false);
    }
    if !(std > 0.0) || !(a < b) {
        return Some(false);
    }
    let (alpha, beta) = ((a - mean) / std, (b - mean) / std);
    if !(alpha.is_finite() && beta.is_finite()) {
        return Some(false);
    }
    let mass = normal_mass(alpha, beta);
    // On an interval narrower than 1e-6σ the mass is a difference of two nearly equal
    // probabilities: rounding decides it (statrs' Φ is accurate to ~1e-10, libm's to 1 ulp),
    // so the outcome is not determined there.
    if beta - alpha < 1e-6 {
        return None;
    }
    if mass > MIN_MASS * 1e3 {
        Some(true)
    } else if mass < MIN_MASS * 1e-3 {
        Some(false)
    } else {
        None
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2000,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            REGRESSIONS,
        ))),
        // Fixed: the suite must not change its cases from run to run.
        rng_seed: RngSeed::Fixed(0x1a175eed0001),
        ..ProptestConfig::default()
    })]

    #[test]
    fn constant_is_ok_iff_finite(value in arb_f64()) {
        prop_assert_eq!(Constant::new(value).is_ok(), value.is_finite());
        prop_assert_eq!(Scheme::constant(value).is_ok(), value.is_finite());
    }

    #[test]
    fn normal_is_ok_iff_finite_with_positive_std(mean in arb_f64(), std in arb_f64()) {
        let expected = mean.is_finite() && std.is_finite() && std > 0.0;
        prop_assert_eq!(Normal::new(mean, std).is_ok(), expected);
        prop_assert_eq!(Scheme::normal(mean, std).is_ok(), expected);
    }

    #[test]
    fn uniform_is_ok_iff_finite_nonempty_with_finite_width(a in arb_f64(), b in arb_f64()) {
        let expected = a.is_finite() && b.is_finite() && a < b && (b - a).is_finite();
        prop_assert_eq!(Uniform::new(a, b).is_ok(), expected);
        prop_assert_eq!(Scheme::uniform(a, b).is_ok(), expected);
        let symmetric = a.is_finite() && a > 0.0 && (2.0 * a).is_finite();
        prop_assert_eq!(Uniform::symmetric(a).is_ok(), symmetric);
    }

    #[test]
    fn truncated_normal_is_ok_iff_documented(
        mean in arb_f64(), std in arb_f64(), a in arb_f64(), b in arb_f64(),
    ) {
        let ok = TruncatedNormal::new(mean, std, a, b).is_ok();
        if let Some(expected) = truncated_normal_ok(mean, std, a, b) {
            prop_assert_eq!(ok, expected, "mean {} std {} a {} b {}", mean, std, a, b);
        }
        prop_assert_eq!(Scheme::trunc_normal(mean, std, a, b).is_ok(), ok);
    }

    #[test]
    fn truncated_normal_near_the_mean_is_ok(
        mean in -10.0..10.0f64, std in 1e-3..10.0f64, lower in -5.0..0.0f64, width in 1e-3..10.0f64,
    ) {
        // Bounds within a few std of the mean always hold mass.
        let (a, b) = (mean + lower * std, mean + (lower + width) * std);
        prop_assert!(TruncatedNormal::new(mean, std, a, b).is_ok());
    }

    #[test]
    fn keras_truncated_normal_is_ok_iff_documented(
        mean in arb_f64(), stddev in arb_f64(), lower in arb_f64(), upper in arb_f64(),
    ) {
        // Non-finite parameters, stddev ≤ 0, lower ≥ upper, or an interval without mass.
        let ok = Scheme::truncated_normal(mean, stddev, lower, upper).is_ok();
        let parameters = mean.is_finite() && stddev.is_finite() && stddev > 0.0
            && lower.is_finite() && upper.is_finite() && lower < upper;
        if !parameters {
            prop_assert!(!ok);
        } else if let Some(expected) =
            truncated_normal_ok(mean, stddev, mean + lower * stddev, mean + upper * stddev)
        {
            prop_assert_eq!(ok, expected, "mean {} stddev {} lower {} upper {}", mean, stddev, lower, upper);
        }
    }

    #[test]
    fn gain_and_scale_constructors_are_ok_iff_finite_and_positive(
        x in arb_f64(), mode in arb_mode(), distribution in arb_distribution(),
    ) {
        let expected = x.is_finite() && x > 0.0;
        prop_assert_eq!(Scheme::xavier_uniform(x).is_ok(), expected);
        prop_assert_eq!(Scheme::xavier_normal(x).is_ok(), expected);
        prop_assert_eq!(Scheme::variance_scaling(x, mode, distribution).is_ok(), expected);
    }

    #[test]
    fn kaiming_is_ok_iff_finite_slope_and_pytorch_mode(
        a in arb_f64(), mode in arb_mode(), nonlinearity in arb_nonlinearity(),
    ) {
        let expected = a.is_finite() && matches!(mode, FanMode::FanIn | FanMode::FanOut);
        prop_assert_eq!(Scheme::kaiming_uniform(a, mode, nonlinearity).is_ok(), expected);
        prop_assert_eq!(Scheme::kaiming_normal(a, mode, nonlinearity).is_ok(), expected);
    }

    #[test]
    fn fans_are_ok_iff_both_positive(fan_in in 0u64..4, fan_out in 0u64..4, big in any::<u64>()) {
        prop_assert_eq!(Fans::new(fan_in, fan_out).is_ok(), fan_in > 0 && fan_out > 0);
        prop_assert_eq!(Fans::new(big, 1).is_ok(), big > 0);
    }

    #[test]
    fn fan_based_laws_never_panic_and_fail_exactly_when_a_derived_scale_leaves_f64(
        x in arb_f64(), mode in arb_mode(), nonlinearity in arb_nonlinearity(),
        fan_in in 1u64..u64::MAX, fan_out in 1u64..u64::MAX,
    ) {
        let fans = Fans::new(fan_in, fan_out).unwrap();
        let (fi, fo) = (fan_in as f64, fan_out as f64);
        let fan = fans.get(mode);
        // Each scheme with the natural log of the scale its `# Formula` derives first: the std
        // for PyTorch's (gain·√(2/(fan_in + fan_out)), gain/√fan with the gain of
        // `Nonlinearity::gain`, held against PyTorch's values in gain.rs), the variance
        // scale/fan for Keras's variance_scaling; and the law's std that follows from it.
        let kaiming_gain = nonlinearity.gain(x);
        let xavier_ln = x.ln() + 0.5 * (2.0 / (fi + fo)).ln();
        let kaiming_ln = kaiming_gain.ln() - 0.5 * fan.ln();
        let keras_ln = x.ln() - fan.ln();
        let cases = [
            (Scheme::xavier_uniform(x), xavier_ln, xavier_ln),
            (Scheme::xavier_normal(x), xavier_ln, xavier_ln),
            (Scheme::kaiming_uniform(x, mode, nonlinearity), kaiming_ln, kaiming_ln),
            (Scheme::kaiming_normal(x, mode, nonlinearity), kaiming_ln, kaiming_ln),
            (
                Scheme::variance_scaling(x, mode, Distribution::TruncatedNormal),
                keras_ln,
                0.5 * keras_ln,
            ),
        ];
        for (scheme, derived_ln, std_ln) in cases {
            let Ok(scheme) = scheme else { continue };
            let law = scheme.law(&fans);
            // Err exactly when a derived scale or bound is not a finite positive f64
            // (docs of `Scheme::law`). Far inside the range of f64 (e^±690) every quantity
            // the formula forms (bounds √3·std and 2·std/0.88 included) is finite and > 0;
            // beyond e^710 it overflows, below e^−750 it is 0; between, rounding decides.
            if derived_ln.abs() < 690.0 {
                prop_assert!(law.is_ok(), "{}: {:?}", scheme, law);
            } else if !(-750.0..=710.0).contains(&derived_ln) {
                prop_assert!(law.is_err(), "{}: {:?}", scheme, law);
            }
            if let Ok(law) = law {
                // A law that exists is valid: finite parameters (its variance may still
                // overflow, e.g. std = 1e308), it prints as a base scheme that parses back
                // to it, and its std is the formula's (checked where the variance is a
                // normal f64; the truncated law's std is its parent's times 0.8796·/0.8796).
                prop_assert!(law.mean().is_finite() && !law.variance().is_nan(), "{}", law);
                prop_assert_eq!(law.to_string().parse::<Law>().ok(), Some(law));
                if std_ln.abs() < 300.0 {
                    let got = 0.5 * law.variance().ln();
                    prop_assert!(
                        (got - std_ln).abs() < 1e-10 * (1.0 + std_ln.abs()),
                        "{}: ln std {} vs the formula's {}", law, got, std_ln
                    );
                }
            }
        }
    }

    #[test]
    fn law_functions_never_panic_and_stay_in_range(mean in arb_f64(), std in arb_f64(), a in arb_f64(), b in arb_f64(), x in arb_f64()) {
        let laws = [
            Normal::new(mean, std).map(Law::Normal),
            Uniform::new(a, b).map(Law::Uniform),
            TruncatedNormal::new(mean, std, a, b).map(Law::TruncatedNormal),
            Constant::new(x).map(Law::Constant),
        ];
        for law in laws.into_iter().flatten() {
            let (cdf, sf) = (law.cdf(x), law.sf(x));
            prop_assert!(x.is_nan() || (0.0..=1.0).contains(&cdf), "{} cdf({}) = {}", law, x, cdf);
            prop_assert!(x.is_nan() || (0.0..=1.0).contains(&sf), "{} sf({}) = {}", law, x, sf);
            let q = law.quantile(x);
            prop_assert!((0.0..=1.0).contains(&x) || q.is_nan(), "{} quantile({}) = {}", law, x, q);
            // A probability's quantile lies in the support.
            let support = law.support();
            prop_assert!(
                !(0.0..=1.0).contains(&x) || (support.low <= q && q <= support.high),
                "{} quantile({}) = {} outside [{}, {}]", law, x, q, support.low, support.high
            );
        }
    }

    #[test]
    fn transformer_constructors_are_ok_iff_documented(
        x in arb_f64(), y in arb_f64(), n in 0u32..3, big in any::<u32>(),
    ) {
        // Counts are ≥ 1; the DeepNet laws are fan-based, so nothing else fails when built.
        prop_assert_eq!(Scheme::deepnorm(n).is_ok(), n >= 1);
        prop_assert_eq!(Scheme::deepnorm_encdec_encoder(n, big).is_ok(), n >= 1 && big >= 1);
        prop_assert_eq!(Scheme::deepnorm_encdec_decoder(big).is_ok(), big >= 1);
        prop_assert!(Scheme::mitchell_out(4096.0, big, 3.0).is_ok());
        // Widths and factors are finite and > 0, and so is the std of each `# Formula`.
        let ok = |params: &[f64], std: f64| {
            params.iter().all(|v| v.is_finite() && *v > 0.0) && std.is_finite() && std > 0.0
        };
        let layers = n.max(1);
        prop_assert_eq!(Scheme::small_init(x).is_ok(), ok(&[x], (2.0 / (5.0 * x)).sqrt()));
        prop_assert_eq!(
            Scheme::wang_init(x, layers).is_ok(),
            ok(&[x], 2.0 / f64::from(layers) / x.sqrt())
        );
        prop_assert_eq!(
            Scheme::scaled_normal(layers, x, 2).is_ok(),
            ok(&[x], x / (2.0 * f64::from(layers)).sqrt())
        );
        prop_assert_eq!(Scheme::t5_embedding(x).is_ok(), ok(&[x], x));
        prop_assert_eq!(Scheme::t5_dense(x, 1.0).is_ok(), ok(&[x], 1.0 / x.sqrt()));
        prop_assert_eq!(Scheme::t5_dense(1.0, y).is_ok(), ok(&[y], y));
        // mitchell: σ = 1/√d cut at ±cutoff·σ, a truncated normal with its own conditions.
        let sigma = 1.0 / x.sqrt();
        let valid = ok(&[x, y], sigma);
        let expected = if valid { truncated_normal_ok(0.0, sigma, -y * sigma, y * sigma) } else { Some(false) };
        if let Some(expected) = expected {
            prop_assert_eq!(Scheme::mitchell(x, y).is_ok(), expected, "d {} cutoff {}", x, y);
        }
    }

    #[test]
    fn parsing_arbitrary_text_never_panics_and_answers_in_one_line_or_round_trips(
        text in any::<String>(),
    ) {
        // Whatever the text, each parser returns: a value that prints as text parsing back
        // to it, or an error whose message is one non-empty line (the CLI prints it as is).
        let one_line = |e: &initspec::Error| {
            let m = e.to_string();
            !m.trim().is_empty() && !m.contains('\n')
        };
        match text.parse::<Scheme>() {
            Ok(scheme) => prop_assert_eq!(scheme.to_string().parse::<Scheme>().ok(), Some(scheme)),
            Err(e) => prop_assert!(one_line(&e), "{:?}: {}", text, e),
        }
        match text.parse::<Law>() {
            Ok(law) => prop_assert_eq!(law.to_string().parse::<Law>().ok(), Some(law)),
            Err(e) => prop_assert!(one_line(&e), "{:?}: {}", text, e),
        }
        match text.parse::<Layout>() {
            Ok(layout) => {
                prop_assert_eq!(layout.to_string().parse::<Layout>().ok(), Some(layout.clone()))
            }
            Err(e) => prop_assert!(one_line(&e), "{:?}: {}", text, e),
        }
    }

    #[test]
    fn parsing_grammar_shaped_text_never_panics_and_round_trips(text in arb_grammar_text()) {
        if let Ok(scheme) = text.parse::<Scheme>() {
            let printed = scheme.to_string();
            prop_assert_eq!(printed.parse::<Scheme>().ok(), Some(scheme), "{} -> {}", text, printed);
        }
        if let Ok(law) = text.parse::<Law>() {
            prop_assert_eq!(law.to_string().parse::<Law>().ok(), Some(law));
        }
    }

    #[test]
    fn parsing_layout_shaped_text_never_panics_and_fans_follow_the_documented_rules(
        ins in prop::collection::vec(any::<isize>(), 0..4),
        outs in prop::collection::vec(-5isize..5, 0..4),
        batch in prop::collection::vec(-5isize..5, 0..3),
        shape in prop::collection::vec(0usize..6, 0..6),
        groups in 0usize..4,
    ) {
        let list = |v: &[isize]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(",");
        let text = format!("axes(in=[{}], out=[{}], batch=[{}])", list(&ins), list(&outs), list(&batch));
        if let Ok(layout) = text.parse::<Layout>() {
            prop_assert_eq!(layout.to_string().parse::<Layout>().ok(), Some(layout.clone()));
            // Fans::of_shape against its documented rules, computed here: rank ≥ 2, every
            // axis in −rank..rank and named once across the three lists, groups = 1, and no
            // zero fan; then fan_in = Π in-dims · rf and fan_out = Π out-dims · rf, rf the
            // product of the dims in no list.
            let rank = shape.len() as isize;
            let resolved: Vec<Option<usize>> = ins.iter().chain(&outs).chain(&batch)
                .map(|&a| {
                    let i = if a < 0 { a.checked_add(rank)? } else { a };
                    (0..rank).contains(&i).then_some(i as usize)
                })
                .collect();
            let mut named: Vec<usize> = resolved.iter().flatten().copied().collect();
            named.sort_unstable();
            let distinct = named.windows(2).all(|w| w[0] != w[1]);
            let valid_axes = resolved.iter().all(Option::is_some) && distinct;
            let product = |axes: &[Option<usize>]| -> u64 {
                axes.iter().map(|i| shape[i.unwrap()] as u64).product()
            };
            let rf: u64 = (0..shape.len())
                .filter(|i| !named.contains(i))
                .map(|i| shape[i] as u64)
                .product();
            let got = Fans::of_shape(&shape, &layout, groups);
            if rank >= 2 && valid_axes && groups == 1 {
                let fan_in = product(&resolved[..ins.len()]) * rf;
                let fan_out = product(&resolved[ins.len()..ins.len() + outs.len()]) * rf;
                if fan_in > 0 && fan_out > 0 {
                    let fans = got.unwrap();
                    prop_assert_eq!((fans.fan_in(), fans.fan_out()), (fan_in, fan_out), "{}", text);
                } else {
                    prop_assert!(got.is_err(), "{} {:?}: zero fan accepted", text, shape);
                }
            } else {
                prop_assert!(got.is_err(), "{} {:?} groups {}: {:?}", text, shape, groups, got);
            }
        }
    }
}

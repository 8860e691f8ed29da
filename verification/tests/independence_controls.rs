//! Negative and positive controls of the audit's iid checks ([`initspec_verify::iid`]):
//! tensors with a perfect marginal law whose values are not independent draws must fail,
//! with the structure named in the summary; correct draws in every storage must pass.
//!
//! Every assertion is at α = 1e-6 (the audit's family-wise level) with fixed seeds, named in
//! the messages.

use half::{bf16, f16};
use initspec::{Element, Law, Sampler, Scheme, Stream};
use initspec_verify::audit::{Audit, audit};
use initspec_verify::iid::IID_CHECKS;
use initspec_verify::sample::Sample;
use initspec_verify::storage::Storage;

/// The audit's family-wise level in every assertion.
const ALPHA: f64 = 1e-6;

/// Seed of every draw (the stream name tells the draws apart).
const SEED: u64 = 13;

/// Shape of the negative controls: 2¹⁸ values.
const SHAPE: [usize; 2] = [512, 512];

/// Shape of the positive controls: 2²⁰ values.
const BIG: [usize; 2] = [1024, 1024];

fn draw<T: Element>(law: &Law, n: usize, name: &str) -> Vec<T> {
    let mut v = vec![T::from_f64(0.0); n];
    Sampler::new(law, Stream::new(SEED, name)).fill(&mut v);
    v
}

fn he_normal() -> (Scheme, Law) {
    let scheme: Scheme = "kaiming_normal".parse().unwrap();
    let law = scheme.resolve(&SHAPE, &Default::default(), 1).unwrap();
    (scheme, law)
}

fn run(values: &[f32], scheme: &Scheme) -> Audit {
    audit(&Sample::new(values, &SHAPE, Storage::F32), scheme, ALPHA).unwrap()
}

fn failed(a: &Audit, name: &str) -> bool {
    a.verdict.check(name).is_some_and(|c| !c.pass)
}

/// Asserts that the audit fails on `name` and that the summary does not blame the shape of
/// the distribution.
fn assert_fails_on(a: &Audit, name: &str, what: &str) {
    let context = format!(
        "{what}: α = {ALPHA}, n = {}, seed {SEED}; summary: {}; checks: {:?}",
        a.n, a.summary, a.verdict.checks
    );
    assert!(!a.verdict.pass, "{context}");
    assert!(failed(a, name), "{name} must fail: {context}");
    assert!(
        !a.summary.contains("shape of the distribution"),
        "{context}"
    );
}

/// A correct He-normal draw, sorted: every neighbour pair rises, along both axes.
#[test]
fn a_sorted_draw_fails_serial_along_both_axes() {
    let (scheme, law) = he_normal();
    let mut w: Vec<f32> = draw(&law, 1 << 18, "sorted");
    w.sort_by(f32::total_cmp);
    let a = run(&w, &scheme);
    assert_fails_on(&a, "serial", "sorted");
    assert_fails_on(&a, "serial_axis0", "sorted");
    assert!(a.summary.contains("sorted ascending"), "{}", a.summary);
    // The marginal itself is the law's: the marginal checks pass.
    for name in ["ks", "chi2", "mean", "variance"] {
        assert!(
            !failed(&a, name),
            "{name} of a sorted correct draw: {}",
            a.summary
        );
    }
}

/// Every 1000th value of a 2¹⁸ f32 He-normal draw set to 0: 262 exact zeros, where an f32
/// cell of this law holds at most ~4·10⁻⁷ (≤ 0.1 expected repeats of any value).
#[test]
fn injected_zeros_fail_atoms() {
    let (scheme, law) = he_normal();
    let mut w: Vec<f32> = draw(&law, 1 << 18, "zeros");
    for (i, x) in w.iter_mut().enumerate() {
        if (i + 1) % 1000 == 0 {
            *x = 0.0;
        }
    }
    let a = run(&w, &scheme);
    assert_fails_on(&a, "atoms", "every 1000th value zero");
    assert!(a.summary.contains("0e0 occurs 262 times"), "{}", a.summary);
    // The control: the same draw without the zeros passes atoms.
    let clean: Vec<f32> = draw(&law, 1 << 18, "zeros");
    let c = run(&clean, &scheme);
    assert!(
        !failed(&c, "atoms"),
        "α = {ALPHA}, seed {SEED}: {}",
        c.summary
    );
}

/// All rows copies of row 0 of a correct draw.
#[test]
fn copied_rows_fail_duplicate_rows_with_their_indices() {
    let (scheme, law) = he_normal();
    let row: Vec<f32> = draw(&law, SHAPE[1], "row");
    let w: Vec<f32> = row.iter().copied().cycle().take(1 << 18).collect();
    let a = run(&w, &scheme);
    assert_fails_on(&a, "duplicate_rows", "copied rows");
    assert_fails_on(&a, "serial_axis0", "copied rows");
    assert!(
        a.summary
            .contains("rows 0, 1, 2, 3, 4, 5, 6, 7 (and 504 more) are identical"),
        "{}",
        a.summary
    );
}

/// An AR(1) chain xₜ = ρ·xₜ₋₁ + √(1 − ρ²)·σ·eₜ with ρ = 0.1 along each row (stationary, so
/// the marginal is exactly N(0, σ²)), and the same chain along each column.
#[test]
fn ar1_rows_and_columns_with_rho_0_1_fail_serial_on_their_axis() {
    const RHO: f64 = 0.1;
    let (scheme, law) = he_normal();
    let std = law.std_dev();
    let e: Vec<f64> = draw(&"normal(mean=0, std=1)".parse().unwrap(), 1 << 18, "ar1");
    let (rows, cols) = (SHAPE[0], SHAPE[1]);
    let chain = |index: &dyn Fn(usize, usize) -> usize, outer: usize, inner: usize| {
        let mut w = vec![0f32; rows * cols];
        for o in 0..outer {
            let mut x = e[index(o, 0)];
            w[index(o, 0)] = (std * x) as f32;
            for t in 1..inner {
                x = RHO * x + (1.0 - RHO * RHO).sqrt() * e[index(o, t)];
                w[index(o, t)] = (std * x) as f32;
            }
        }
        w
    };
    let along_rows = chain(&|r, c| r * cols + c, rows, cols);
    let a = run(&along_rows, &scheme);
    assert_fails_on(&a, "serial", "AR(1) rows, ρ = 0.1");
    assert!(!failed(&a, "serial_axis0"), "{}", a.summary);
    let along_columns = chain(&|c, r| r * cols + c, cols, rows);
    let b = run(&along_columns, &scheme);
    assert_fails_on(&b, "serial_axis0", "AR(1) columns, ρ = 0.1");
    assert!(!failed(&b, "serial"), "{}", b.summary);
}

/// A law not symmetric about a representable centre takes the blocks-of-four test: a
/// correct draw passes it, the same draw sorted fails it.
#[test]
fn the_blocks_test_of_an_asymmetric_law() {
    let law: Law = "trunc_normal(mean=0, std=1, a=-1, b=2)".parse().unwrap();
    let scheme = law.to_scheme();
    let mut w: Vec<f32> = draw(&law, 1 << 18, "asymmetric");
    let a = run(&w, &scheme);
    assert!(a.verdict.pass, "α = {ALPHA}, seed {SEED}: {}", a.summary);
    assert!(
        a.verdict
            .check("serial")
            .is_some_and(|c| c.detail.contains("blocks of four")),
        "{:?}",
        a.verdict.checks
    );
    w.sort_by(f32::total_cmp);
    assert_fails_on(&run(&w, &scheme), "serial", "asymmetric law, sorted");
}

fn assert_passes<T: Element>(values: &[T], storage: Storage, scheme: &Scheme, what: &str)
where
    for<'a> &'a [T]: Into<initspec_verify::sample::Values<'a>>,
{
    let a = audit(&Sample::new(values, &BIG, storage), scheme, ALPHA).unwrap();
    for name in IID_CHECKS {
        let check = a.verdict.check(name);
        assert!(
            check.is_some_and(|c| c.pass),
            "{what} {}: {name} at α = {ALPHA}, n = 2²⁰, seed {SEED}: {check:?}",
            storage.name()
        );
    }
    assert!(a.verdict.pass, "{what}: {}", a.summary);
}

/// Correct draws of normal, uniform and truncated-normal schemes pass every iid check in
/// f64, f32, bf16 and f16 (n = 2²⁰).
#[test]
fn correct_draws_pass_every_iid_check_in_every_storage() {
    for text in [
        "kaiming_normal",
        "xavier_uniform",
        "trunc_normal(mean=0, std=0.02, a=-0.04, b=0.04)",
    ] {
        let scheme: Scheme = text.parse().unwrap();
        let law = scheme.resolve(&BIG, &Default::default(), 1).unwrap();
        let n = BIG[0] * BIG[1];
        let v: Vec<f64> = draw(&law, n, text);
        assert_passes(&v, Storage::F64, &scheme, text);
        let v: Vec<f32> = draw(&law, n, text);
        assert_passes(&v, Storage::F32, &scheme, text);
        let v: Vec<bf16> = draw(&law, n, text);
        assert_passes(&v, Storage::BF16, &scheme, text);
        let v: Vec<f16> = draw(&law, n, text);
        assert_passes(&v, Storage::F16, &scheme, text);
    }
}

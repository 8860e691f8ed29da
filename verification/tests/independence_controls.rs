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

/// Shapes of the positive controls, 2²⁰ values each: a tall matrix, whose 4096 rows and
/// 256 columns are too many for every pair to be compared (the near-copy search by sign
/// sketches runs), and a rank-3 tensor, which has blocks and a middle axis.
const BIG: [usize; 2] = [4096, 256];
const BIG3: [usize; 3] = [64, 128, 128];

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

/// Every 1000th value of a 2¹⁸ f32 He-normal draw set to 0: 262 exact zeros, where one
/// stored value of this law holds at most 1.48·10⁻⁷ (≤ 0.04 expected; p ≈ 10⁻⁸⁸⁴).
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

/// Columns 5, 17 and 300 of a tall correct draw equal to column 2, and the kh×kw blocks
/// [1, 2] and [3, 0] of a convolution kernel equal to block [0, 1]: found by index, and the
/// untouched draws pass.
#[test]
fn copied_columns_and_kernel_blocks_fail_with_their_indices() {
    let scheme: Scheme = "kaiming_normal".parse().unwrap();
    let (rows, cols) = (BIG[0], BIG[1]);
    let law = scheme.resolve(&BIG, &Default::default(), 1).unwrap();
    let clean: Vec<f32> = draw(&law, rows * cols, "columns");
    let mut w = clean.clone();
    for r in 0..rows {
        for c in [5, 17, 200] {
            w[r * cols + c] = w[r * cols + 2];
        }
    }
    let audit_of = |v: &[f32], shape: &[usize]| {
        audit(&Sample::new(v, shape, Storage::F32), &scheme, ALPHA).unwrap()
    };
    let a = audit_of(&w, &BIG);
    assert_fails_on(&a, "duplicate_columns", "copied columns");
    assert!(
        a.summary.contains("columns 2, 5, 17, 200 are identical"),
        "{}",
        a.summary
    );
    assert!(audit_of(&clean, &BIG).verdict.pass, "seed {SEED}");

    let conv = [16, 8, 3, 3];
    let law = scheme.resolve(&conv, &Default::default(), 1).unwrap();
    let clean: Vec<f32> = draw(&law, 16 * 8 * 9, "blocks");
    let mut k = clean.clone();
    let block = |o: usize, i: usize| (o * 8 + i) * 9;
    for (o, i) in [(1, 2), (3, 0)] {
        let (from, to) = (block(0, 1), block(o, i));
        k.copy_within(from..from + 9, to);
    }
    let b = audit_of(&k, &conv);
    assert_fails_on(&b, "duplicate_blocks", "copied kernels");
    assert!(
        b.summary
            .contains("blocks [0, 1], [1, 2], [3, 0] are identical"),
        "{}",
        b.summary
    );
    assert!(audit_of(&clean, &conv).verdict.pass, "seed {SEED}");
}

/// Near-copies that no neighbour test sees: rows 100 and 3000 of a tall matrix (4096 rows,
/// so the pairs are searched by sign sketches), row 3000 = ρ·row 100 + √(1 − ρ²)·noise with
/// ρ = 0.99 (the marginal stays N(0, σ²)), and the same for a negated copy of column 7 in
/// column 250; each is found and named. Without them the draw passes.
#[test]
fn near_copied_rows_and_columns_fail_similar() {
    const RHO: f64 = 0.99;
    let scheme: Scheme = "kaiming_normal".parse().unwrap();
    let (rows, cols) = (BIG[0], BIG[1]);
    let law = scheme.resolve(&BIG, &Default::default(), 1).unwrap();
    let clean: Vec<f32> = draw(&law, rows * cols, "similar");
    let noise: Vec<f32> = draw(&law, rows.max(cols), "similar/noise");
    let mix =
        |x: f32, e: f32| (RHO * f64::from(x) + (1.0 - RHO * RHO).sqrt() * f64::from(e)) as f32;
    let mut w = clean.clone();
    for c in 0..cols {
        w[3000 * cols + c] = mix(w[100 * cols + c], noise[c]);
    }
    let audit_of = |v: &[f32]| audit(&Sample::new(v, &BIG, Storage::F32), &scheme, ALPHA).unwrap();
    let a = audit_of(&w);
    assert_fails_on(&a, "similar_rows", "rows 100 and 3000 with ρ = 0.99");
    assert!(!failed(&a, "serial_axis0"), "{}", a.summary);
    assert!(
        a.summary.contains("rows 100 and 3000 agree in sign"),
        "{}",
        a.summary
    );

    let mut v = clean.clone();
    for r in 0..rows {
        v[r * cols + 250] = mix(-v[r * cols + 7], noise[r]);
    }
    let b = audit_of(&v);
    assert_fails_on(&b, "similar_columns", "column 250 ≈ −column 7, ρ = −0.99");
    assert!(
        b.summary.contains("columns 7 and 250 agree in sign"),
        "{}",
        b.summary
    );

    let c = audit_of(&clean);
    assert!(c.verdict.pass, "α = {ALPHA}, seed {SEED}: {}", c.summary);
}

/// An AR(1) chain with ρ = 0.1 along axis 1 (input channels) of a [64, 64, 3, 3] kernel:
/// only `serial_axis1` sees it.
#[test]
fn ar1_along_a_middle_axis_fails_its_serial_check() {
    const RHO: f64 = 0.1;
    let shape = [64, 64, 3, 3];
    let scheme: Scheme = "kaiming_normal".parse().unwrap();
    let law = scheme.resolve(&shape, &Default::default(), 1).unwrap();
    let std = law.std_dev();
    let e: Vec<f64> = draw(
        &"normal(mean=0, std=1)".parse().unwrap(),
        64 * 64 * 9,
        "axis1",
    );
    let mut w = vec![0f32; e.len()];
    for o in 0..64 {
        for tap in 0..9 {
            let at = |i: usize| (o * 64 + i) * 9 + tap;
            let mut x = e[at(0)];
            w[at(0)] = (std * x) as f32;
            for i in 1..64 {
                x = RHO * x + (1.0 - RHO * RHO).sqrt() * e[at(i)];
                w[at(i)] = (std * x) as f32;
            }
        }
    }
    let a = audit(&Sample::new(&w, &shape, Storage::F32), &scheme, ALPHA).unwrap();
    assert_fails_on(&a, "serial_axis1", "AR(1) along axis 1, ρ = 0.1");
    for name in ["serial", "serial_axis0", "serial_axis2"] {
        assert!(!failed(&a, name), "{name}: {}", a.summary);
    }
}

/// A periodic tensor: a correct draw of 1000 values repeated over [512, 512]. In f32 every
/// value then occurs 262 or 263 times where the law (and a 23-bit sampler) lets a value
/// occur a handful of times, so `atoms` fails, whatever else the repetition breaks (here
/// also rows 125 apart, since 125·512 = 64·1000).
#[test]
fn a_periodic_tensor_fails_atoms() {
    let (scheme, law) = he_normal();
    let period: Vec<f32> = draw(&law, 1000, "periodic");
    let w: Vec<f32> = period.iter().copied().cycle().take(1 << 18).collect();
    let a = run(&w, &scheme);
    assert_fails_on(&a, "atoms", "a period of 1000 values");
    assert!(a.summary.contains("occurs 263 times"), "{}", a.summary);
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

fn assert_passes<T: Element>(
    values: &[T],
    shape: &[usize],
    storage: Storage,
    scheme: &Scheme,
    what: &str,
) where
    for<'a> &'a [T]: Into<initspec_verify::sample::Values<'a>>,
{
    let a = audit(&Sample::new(values, shape, storage), scheme, ALPHA).unwrap();
    let mut expected: Vec<&str> = IID_CHECKS.to_vec();
    if shape.len() == 2 {
        expected.retain(|&name| name != "duplicate_blocks");
    } else {
        expected.push("serial_axis1");
    }
    for name in expected {
        let check = a.verdict.check(name);
        assert!(
            check.is_some_and(|c| c.pass),
            "{what} {} {shape:?}: {name} at α = {ALPHA}, n = 2²⁰, seed {SEED}: {check:?}",
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
        for shape in [&BIG[..], &BIG3[..]] {
            let law = scheme.resolve(shape, &Default::default(), 1).unwrap();
            let n = shape.iter().product();
            let name = format!("{text} {shape:?}");
            let v: Vec<f64> = draw(&law, n, &name);
            assert_passes(&v, shape, Storage::F64, &scheme, text);
            let v: Vec<f32> = draw(&law, n, &name);
            assert_passes(&v, shape, Storage::F32, &scheme, text);
            let v: Vec<bf16> = draw(&law, n, &name);
            assert_passes(&v, shape, Storage::BF16, &scheme, text);
            let v: Vec<f16> = draw(&law, n, &name);
            assert_passes(&v, shape, Storage::F16, &scheme, text);
        }
    }
}

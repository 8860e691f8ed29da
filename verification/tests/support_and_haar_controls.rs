//! Negative controls that the other suites lack (issue 19, item 6): the `support` check of a
//! uniform law at its exact edge, a uniform law on a narrower or wider interval, the `exact`
//! check of a constant law, and orthogonal matrices that are not Haar in ways other than the
//! missing sign fix.
//!
//! Every assertion uses α = 1e-6 with fixed seeds; failure messages name α, n and the seed. The
//! positive control of each (our own draw passing the same check at the same n and seed) is
//! asserted beside it.

use half::bf16;
use initspec::{Law, Layout, Scheme, Stream};
use initspec_verify::check::{Verdict, check_sample};
use initspec_verify::conformance::draw;
use initspec_verify::storage::Storage;
use initspec_verify::structured::check_haar_ensemble;

/// Significance level of every assertion.
const ALPHA: f64 = 1e-6;
/// Values per scalar sample.
const N: usize = 1 << 20;
/// The seed of every stream.
const SEED: u64 = 0x6564_6765;
/// Side of the single orthogonal matrices.
const SIDE: usize = 256;

fn resolve(scheme: &str, shape: &[usize]) -> Law {
    scheme
        .parse::<Scheme>()
        .unwrap()
        .resolve(shape, &Layout::OutIn, 1)
        .unwrap()
}

fn describe(v: &Verdict) -> String {
    v.checks
        .iter()
        .map(|c| {
            format!(
                "{}: pass={} statistic={:.4e} p={:.3e}",
                c.name, c.pass, c.statistic, c.p_value
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn passed(v: &Verdict, name: &str) -> bool {
    v.check(name).is_some_and(|c| c.pass)
}

/// `xavier_uniform` on [96, 40]: U(±b) with b = √(6/136).
fn xavier() -> (Law, f64) {
    let law = resolve("xavier_uniform", &[96, 40]);
    let Law::Uniform(u) = law else {
        panic!("{law} is not uniform")
    };
    (law, u.b())
}

#[test]
fn a_value_one_step_outside_a_uniform_law_fails_the_support_check() {
    let (law, b) = xavier();
    for storage in [Storage::F32, Storage::BF16] {
        let mut values = draw(&law, Stream::new(SEED, "support/uniform"), N, storage);
        let right = check_sample(&law, &values, storage, ALPHA);
        assert!(
            right.pass,
            "positive control {storage}: α = {ALPHA:e}, n = {N}, seed = {SEED:#x}; {}",
            describe(&right)
        );
        // The edge of the support rounded to the dtype belongs to it: a value there passes.
        let (edge, beyond) = match storage {
            Storage::F32 => {
                let e = b as f32;
                (f64::from(e), f64::from(f32::from_bits(e.to_bits() + 1)))
            }
            _ => {
                let e = bf16::from_f64(b);
                (e.to_f64(), bf16::from_bits(e.to_bits() + 1).to_f64())
            }
        };
        values[7] = edge;
        values[N - 7] = -edge;
        let at_edge = check_sample(&law, &values, storage, ALPHA);
        assert!(
            passed(&at_edge, "support"),
            "{storage}: ±{edge} (the rounded bound) refused: {}",
            describe(&at_edge)
        );
        // One representable step beyond it, on either side, fails the support check (an
        // exact check: one value is enough) and the verdict.
        for (at, value) in [(11, beyond), (N / 2, -beyond)] {
            let mut wrong = values.clone();
            wrong[at] = value;
            let verdict = check_sample(&law, &wrong, storage, ALPHA);
            let support = verdict.check("support").unwrap();
            assert!(
                !verdict.pass && !support.pass && support.statistic == 1.0,
                "{storage}: {value} (one step beyond ±{edge}) accepted: α = {ALPHA:e}, n = {N}, \
                 seed = {SEED:#x}; {}",
                describe(&verdict)
            );
        }
    }
}

#[test]
fn a_uniform_law_on_another_interval_is_rejected() {
    let (law, b) = xavier();
    let stream = Stream::new(SEED, "support/interval");
    // 1 % narrower: every value is inside the support, so only the statistical checks can see
    // it; its variance is 0.9801 of the claim, 23 standard errors at n = 2²⁰ (the relative
    // standard error of a uniform sample's second moment is √(0.8/n) = 8.7e-4).
    let narrow: Law = format!("uniform(a={}, b={})", -0.99 * b, 0.99 * b)
        .parse()
        .unwrap();
    let verdict = check_sample(
        &law,
        &draw(&narrow, stream, N, Storage::F32),
        Storage::F32,
        ALPHA,
    );
    assert!(
        !verdict.pass && passed(&verdict, "support") && !passed(&verdict, "variance"),
        "U(±0.99b) as U(±b): α = {ALPHA:e}, n = {N}, seed = {SEED:#x}; {}",
        describe(&verdict)
    );
    // 1 % wider: about 1 % of the values fall outside, which the support check counts.
    let wide: Law = format!("uniform(a={}, b={})", -1.01 * b, 1.01 * b)
        .parse()
        .unwrap();
    let verdict = check_sample(
        &law,
        &draw(&wide, stream, N, Storage::F32),
        Storage::F32,
        ALPHA,
    );
    assert!(
        !verdict.pass && !passed(&verdict, "support"),
        "U(±1.01b) as U(±b): α = {ALPHA:e}, n = {N}, seed = {SEED:#x}; {}",
        describe(&verdict)
    );
    // The positive control: the claimed law from the same stream.
    let verdict = check_sample(
        &law,
        &draw(&law, stream, N, Storage::F32),
        Storage::F32,
        ALPHA,
    );
    assert!(
        verdict.pass,
        "U(±b) itself: α = {ALPHA:e}, n = {N}, seed = {SEED:#x}; {}",
        describe(&verdict)
    );
}

#[test]
fn a_constant_off_by_one_representable_step_fails_the_exact_check() {
    for (scheme, storage, wrong) in [
        ("zeros", Storage::F32, f64::from(f32::from_bits(1))),
        (
            "ones",
            Storage::BF16,
            bf16::from_bits(bf16::ONE.to_bits() + 1).to_f64(),
        ),
        (
            "constant(value=0.5)",
            Storage::F64,
            f64::from_bits(0.5f64.to_bits() - 1),
        ),
    ] {
        let law = resolve(scheme, &[96, 40]);
        let mut values = draw(&law, Stream::new(SEED, "exact"), 4096, storage);
        let right = check_sample(&law, &values, storage, ALPHA);
        assert!(
            right.pass,
            "positive control {scheme} {storage}: {}",
            describe(&right)
        );
        values[100] = wrong;
        let verdict = check_sample(&law, &values, storage, ALPHA);
        assert!(
            !verdict.pass && !passed(&verdict, "exact"),
            "{scheme} {storage} with one value {wrong:e} accepted: {}",
            describe(&verdict)
        );
    }
}

/// Our orthogonal `side × side` draw, row-major f64.
fn haar(side: usize, seed: u64) -> Vec<f64> {
    let law = resolve("orthogonal", &[side, side]);
    draw(&law, Stream::new(seed, "haar"), side * side, Storage::F64)
}

/// The sign fix applied to the wrong factor: Q·diag(sign Qᵢᵢ) instead of Q·diag(sign Rᵢᵢ).
/// Still orthogonal, but every diagonal entry is now ≥ 0, which no Haar matrix shows (the
/// diagonal law is symmetric about 0, E tr Q = 0).
fn diagonal_made_positive(mut q: Vec<f64>, side: usize) -> Vec<f64> {
    for j in 0..side {
        if q[j * side + j] < 0.0 {
            for i in 0..side {
                q[i * side + j] = -q[i * side + j];
            }
        }
    }
    q
}

#[test]
fn the_sign_fix_taken_from_q_instead_of_r_is_rejected() {
    let law = resolve("orthogonal", &[SIDE, SIDE]);
    let good = haar(SIDE, SEED);
    let right = check_sample(&law, &good, Storage::F64, ALPHA);
    assert!(
        right.pass,
        "positive control: α = {ALPHA:e}, n = {SIDE}², seed = {SEED:#x}; {}",
        describe(&right)
    );
    let bad = diagonal_made_positive(good, SIDE);
    let verdict = check_sample(&law, &bad, Storage::F64, ALPHA);
    // tr Q = Σ|Qᵢᵢ| ≈ n·E|Q₁₁| ≈ √(2n/π) = 12.8 against N(0, 1); the diagonal is one-signed.
    assert!(
        !verdict.pass
            && passed(&verdict, "orthogonality")
            && !passed(&verdict, "haar_trace")
            && !passed(&verdict, "haar_diagonal"),
        "Q·diag(sign Qᵢᵢ) accepted: α = {ALPHA:e}, n = {SIDE}², seed = {SEED:#x}; {}",
        describe(&verdict)
    );
    // Over an ensemble of small matrices (what `initspec verify` runs): the pooled first entry
    // is never negative and the mean trace is far from 0.
    const M: u64 = 300;
    let law = resolve("orthogonal", &[16, 16]);
    let good: Vec<Vec<f64>> = (0..M).map(|k| haar(16, SEED + k)).collect();
    let verdict = check_haar_ensemble(&law, &good, Storage::F64, ALPHA);
    assert!(
        verdict.pass,
        "positive control: {M} matrices, α = {ALPHA:e}, seeds {SEED:#x}+k; {}",
        describe(&verdict)
    );
    let bad: Vec<Vec<f64>> = good
        .into_iter()
        .map(|q| diagonal_made_positive(q, 16))
        .collect();
    let verdict = check_haar_ensemble(&law, &bad, Storage::F64, ALPHA);
    assert!(
        !passed(&verdict, "haar_trace") && !passed(&verdict, "haar_first_entry"),
        "{M} matrices Q·diag(sign Qᵢᵢ) accepted: α = {ALPHA:e}, seeds {SEED:#x}+k; {}",
        describe(&verdict)
    );
}

/// Classical Gram–Schmidt on the columns of a Gaussian `side × side` matrix (from our normal
/// sampler), with every operation's result rounded by `round`: in exact arithmetic Q·R with
/// R's diagonal positive, so Haar; in finite precision the columns lose orthogonality in
/// proportion to the unit roundoff and the condition number (about `side` for a Gaussian
/// matrix). Returns Q row-major.
fn gram_schmidt(side: usize, seed: u64, round: impl Fn(f64) -> f64) -> Vec<f64> {
    let normal: Law = "normal(mean=0, std=1)".parse().unwrap();
    let z = draw(
        &normal,
        Stream::new(seed, "gram-schmidt"),
        side * side,
        Storage::F64,
    );
    let mut columns: Vec<Vec<f64>> = (0..side)
        .map(|j| (0..side).map(|i| round(z[i * side + j])).collect())
        .collect();
    let dot = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .fold(0.0, |s, (x, y)| round(s + round(x * y)))
    };
    for j in 0..side {
        let projections: Vec<f64> = (0..j).map(|k| dot(&columns[k], &columns[j])).collect();
        for (k, r) in projections.into_iter().enumerate() {
            let (done, rest) = columns.split_at_mut(j);
            for (x, q) in rest[0].iter_mut().zip(&done[k]) {
                *x = round(*x - round(r * q));
            }
        }
        let norm = round(dot(&columns[j], &columns[j]).sqrt());
        for x in &mut columns[j] {
            *x = round(*x / norm);
        }
    }
    (0..side * side)
        .map(|at| columns[at % side][at / side])
        .collect()
}

#[test]
fn gram_schmidt_in_low_precision_is_rejected() {
    let law = resolve("orthogonal", &[SIDE, SIDE]);
    let ours = haar(SIDE, SEED);
    let right = check_sample(&law, &ours, Storage::F64, ALPHA);
    assert!(
        right.pass,
        "positive control (f64): α = {ALPHA:e}, n = {SIDE}², seed = {SEED:#x}; {}",
        describe(&right)
    );
    // Computed in f32, then widened and passed off as f64 weights: the f64 bound allows the
    // errors of an f64 QR only. (Stored as f32 the same matrix passes, by design: the f32
    // bound allows a QR computed in f32; its Gram error, 2.1e-5 on this seed, is below the
    // 3.8e-5 that bound gives at d = 256.)
    let single = gram_schmidt(SIDE, SEED, |x| f64::from(x as f32));
    let verdict = check_sample(&law, &single, Storage::F64, ALPHA);
    assert!(
        !verdict.pass && !passed(&verdict, "orthogonality"),
        "Gram–Schmidt in f32 accepted as f64: α = {ALPHA:e}, n = {SIDE}², seed = {SEED:#x}; {}",
        describe(&verdict)
    );
    // Computed in bf16 and stored in bf16: the bf16 bound allows a QR computed in f32, not in
    // bf16. Our draw rounded to bf16 is the positive control.
    let stored: Vec<f64> = ours.iter().map(|&x| Storage::BF16.round(x)).collect();
    let right = check_sample(&law, &stored, Storage::BF16, ALPHA);
    assert!(
        right.pass,
        "positive control (bf16): α = {ALPHA:e}, n = {SIDE}², seed = {SEED:#x}; {}",
        describe(&right)
    );
    let half = gram_schmidt(SIDE, SEED, |x| Storage::BF16.round(x));
    let verdict = check_sample(&law, &half, Storage::BF16, ALPHA);
    assert!(
        !verdict.pass && !passed(&verdict, "orthogonality"),
        "Gram–Schmidt in bf16 accepted: α = {ALPHA:e}, n = {SIDE}², seed = {SEED:#x}; {}",
        describe(&verdict)
    );
}

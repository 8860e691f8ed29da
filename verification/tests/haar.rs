//! Haar checks of `initspec::structured`: positive controls (our orthogonal and sparse pass)
//! and negative controls (QR without the sign fix, a wrong gain, a wrong zero count, a wrong
//! std are rejected).
//!
//! Every assertion uses α = 1e-6 with fixed seeds; failure messages name α, n and the seed
//! (docs/VERIFICATION.md, "Statistical policy").

use initspec::Law;
use initspec::Stream;
use initspec::law::Normal;
use initspec::structured::{orthogonal, orthogonal_without_sign_fix, sparse};
use initspec_verify::check::check_sample;
use initspec_verify::haar::{
    diagonal_test, orthogonality, signed_diagonal, single_matrix, trace, trace_test,
};
use initspec_verify::storage::Storage;

/// Significance level of every statistical assertion.
const ALPHA: f64 = 1e-6;
/// Base seed; matrix k uses seed `SEED + k`.
const SEED: u64 = 0x6861_6172;
/// Independent matrices in the pooled tests.
const MATRICES: u64 = 400;
/// Side of the square matrices of the pooled tests.
const N: usize = 16;
/// The tall shape of the pooled tests (its columns lie on S³¹).
const TALL: [usize; 2] = [32, 8];
/// Side of the single large matrix of the negative control.
const SINGLE: usize = 256;

/// An orthogonal generator: ours, or the deliberately wrong one.
type Generator = fn(&[usize], f64, &Stream) -> Result<Vec<f64>, initspec::Error>;

fn draw(f: Generator, shape: &[usize], gain: f64, seed: u64) -> Vec<f64> {
    f(shape, gain, &Stream::new(seed, "haar")).expect("valid shape and gain")
}

/// Traces, pooled Q₁₁ and all pooled diagonal entries of `MATRICES` draws of [N, N].
fn pooled(f: Generator) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let (mut traces, mut first, mut diagonal) = (Vec::new(), Vec::new(), Vec::new());
    for k in 0..MATRICES {
        let q = draw(f, &[N, N], 1.0, SEED + k);
        let check = orthogonality(&q, N, N, 1.0, Storage::F64).unwrap();
        assert!(check.pass, "seed {}: {check:?}", SEED + k);
        traces.push(trace(&q, N, 1.0).unwrap());
        let d = signed_diagonal(&q, N, N, 1.0).unwrap();
        first.push(d[0]);
        diagonal.extend(d);
    }
    (traces, first, diagonal)
}

#[test]
fn orthogonal_square_is_haar() {
    let (traces, first, diagonal) = pooled(orthogonal);
    let t = trace_test(&traces).unwrap();
    assert!(
        t.p_value > ALPHA,
        "mean trace: z = {}, p = {:e} ≤ α = {ALPHA:e} (M = {MATRICES}, n = {N}, seeds {SEED}+k)",
        t.z,
        t.p_value
    );
    // E (tr Q)² = 1: the sample second moment of 400 traces is within 1 ± 6·√(2/400).
    let second = traces.iter().map(|x| x * x).sum::<f64>() / traces.len() as f64;
    assert!(
        (second - 1.0).abs() < 6.0 * (2.0 / MATRICES as f64).sqrt(),
        "E tr² = {second}"
    );
    for (name, sample) in [("Q11", &first), ("diagonal", &diagonal)] {
        let ks = diagonal_test(sample, N).unwrap();
        assert!(
            ks.p_value > ALPHA,
            "{name}: D = {}, p = {:e} ≤ α = {ALPHA:e} (n = {}, d = {N}, seeds {SEED}+k)",
            ks.statistic,
            ks.p_value,
            ks.n
        );
    }
}

#[test]
fn orthogonal_tall_is_haar() {
    let [rows, cols] = TALL;
    let mut diagonal = Vec::new();
    for k in 0..MATRICES {
        let q = draw(orthogonal, &TALL, 0.5, SEED + k);
        let check = orthogonality(&q, rows, cols, 0.5, Storage::F64).unwrap();
        assert!(check.pass, "seed {}: {check:?}", SEED + k);
        diagonal.extend(signed_diagonal(&q, rows, cols, 0.5).unwrap());
    }
    let ks = diagonal_test(&diagonal, rows).unwrap();
    assert!(
        ks.p_value > ALPHA,
        "32×8 diagonal: D = {}, p = {:e} ≤ α = {ALPHA:e} (n = {}, seeds {SEED}+k)",
        ks.statistic,
        ks.p_value,
        ks.n
    );
    // The wide orientation is the transpose of the same draw, so its rows pass too.
    let wide = draw(orthogonal, &[cols, rows], 0.5, SEED);
    assert!(
        orthogonality(&wide, cols, rows, 0.5, Storage::F64)
            .unwrap()
            .pass
    );
}

#[test]
fn without_sign_fix_is_rejected_by_the_mean_trace() {
    let (traces, first, _) = pooled(orthogonal_without_sign_fix);
    let t = trace_test(&traces).unwrap();
    assert!(
        t.p_value < ALPHA,
        "mean trace accepted QR without sign fix: z = {}, p = {:e} (α = {ALPHA:e}, M = {MATRICES}, n = {N}, seeds {SEED}+k)",
        t.z,
        t.p_value
    );
    // Q₁₁ < 0 always without the fix.
    assert!(first.iter().all(|&x| x < 0.0));
    let ks = diagonal_test(&first, N).unwrap();
    assert!(ks.p_value < ALPHA, "Q11 KS accepted: p = {:e}", ks.p_value);
}

#[test]
fn single_large_matrix() {
    // Positive control: our 256×256 passes every single-matrix check.
    let good = draw(orthogonal, &[SINGLE, SINGLE], 1.0, SEED);
    let h = single_matrix(&good, SINGLE, SINGLE, 1.0, Storage::F64).unwrap();
    assert!(h.orthogonality.pass, "{:?}", h.orthogonality);
    let tr = h.trace.expect("square");
    assert!(
        tr.p_value > ALPHA,
        "trace {} p = {:e} (α = {ALPHA:e}, seed {SEED})",
        tr.mean,
        tr.p_value
    );
    assert!(
        h.diagonal.unwrap().p_value > ALPHA,
        "diagonal KS D = {}, p = {:e} ≤ α = {ALPHA:e} (n = {SINGLE}, seed {SEED})",
        h.diagonal.unwrap().statistic,
        h.diagonal.unwrap().p_value
    );

    // Negative control: the same draw without the sign fix, caught by its signed diagonal.
    let bad = draw(orthogonal_without_sign_fix, &[SINGLE, SINGLE], 1.0, SEED);
    let h = single_matrix(&bad, SINGLE, SINGLE, 1.0, Storage::F64).unwrap();
    assert!(
        h.orthogonality.pass,
        "still orthogonal: {:?}",
        h.orthogonality
    );
    assert!(
        h.diagonal.unwrap().p_value < ALPHA,
        "diagonal KS accepted QR without sign fix: D = {}, p = {:e} (α = {ALPHA:e}, n = {SINGLE}, seed {SEED})",
        h.diagonal.unwrap().statistic,
        h.diagonal.unwrap().p_value
    );
}

#[test]
fn wrong_gain_is_rejected_by_orthogonality() {
    for shape in [[N, N], TALL, [TALL[1], TALL[0]], [SINGLE, SINGLE]] {
        let q = draw(orthogonal, &shape, 1.05, SEED);
        let ok = orthogonality(&q, shape[0], shape[1], 1.05, Storage::F64).unwrap();
        assert!(ok.pass, "{shape:?}: {ok:?}");
        let wrong = orthogonality(&q, shape[0], shape[1], 1.0, Storage::F64).unwrap();
        assert!(!wrong.pass, "{shape:?}: gain 1.05 accepted as 1: {wrong:?}");
        // Stored as f32, the matrix still passes with the f32 epsilon.
        let stored: Vec<f64> = q.iter().map(|&x| x as f32 as f64).collect();
        let f32_check = orthogonality(&stored, shape[0], shape[1], 1.05, Storage::F32);
        assert!(f32_check.unwrap().pass, "{shape:?} in f32");
        // Stored as bf16: the rounding bound (2u + u²)·g² still tells 1.05 from 1.
        let stored: Vec<f64> = q.iter().map(|&x| Storage::BF16.round(x)).collect();
        let ok = orthogonality(&stored, shape[0], shape[1], 1.05, Storage::BF16).unwrap();
        assert!(ok.pass, "{shape:?} in bf16: {ok:?}");
        let wrong = orthogonality(&stored, shape[0], shape[1], 1.0, Storage::BF16).unwrap();
        assert!(
            !wrong.pass,
            "{shape:?} in bf16: gain 1.05 accepted as 1: {wrong:?}"
        );
    }
}

/// Shape, sparsity and std of the sparse tests.
const SPARSE_SHAPE: [usize; 2] = [1000, 400];
const SPARSITY: f64 = 0.1;
const SPARSE_STD: f64 = 0.01;

fn non_zeros(w: &[f64]) -> Vec<f64> {
    w.iter().copied().filter(|&x| x != 0.0).collect()
}

fn zero_counts(w: &[f64], rows: usize, cols: usize) -> Vec<usize> {
    (0..cols)
        .map(|c| (0..rows).filter(|&r| w[r * cols + c] == 0.0).count())
        .collect()
}

#[test]
fn sparse_zero_counts_and_values() {
    let [rows, cols] = SPARSE_SHAPE;
    let w = sparse(
        &SPARSE_SHAPE,
        SPARSITY,
        SPARSE_STD,
        &Stream::new(SEED, "sparse"),
    )
    .unwrap();
    let want = (SPARSITY * rows as f64).ceil() as usize;
    assert_eq!(zero_counts(&w, rows, cols), vec![want; cols]);

    let law = Law::Normal(Normal::new(0.0, SPARSE_STD).unwrap());
    let values = non_zeros(&w);
    let verdict = check_sample(&law, &values, Storage::F64, ALPHA);
    assert!(
        verdict.pass,
        "sparse non-zeros rejected as {law} (α = {ALPHA:e}, n = {}, seed {SEED}): {:?}",
        values.len(),
        verdict.checks
    );

    // Negative controls: one extra zero in a column, and values with std × 1.05.
    let mut extra = w.clone();
    let r = (0..rows).find(|&r| extra[r * cols] != 0.0).unwrap();
    extra[r * cols] = 0.0;
    assert_ne!(zero_counts(&extra, rows, cols), vec![want; cols]);
    let wide_law = Law::Normal(Normal::new(0.0, SPARSE_STD * 1.05).unwrap());
    let verdict = check_sample(&wide_law, &values, Storage::F64, ALPHA);
    assert!(
        !verdict.pass,
        "std × 1.05 not rejected (α = {ALPHA:e}, n = {}, seed {SEED})",
        values.len()
    );
}

//! The checks of the structured laws (`initspec_verify::structured`): our own draws pass in
//! every dtype, and deliberately wrong tensors are rejected (negative controls).
//!
//! Every assertion uses α = 1e-6 with fixed seeds; failure messages name α, n and the seed.

use half::{bf16, f16};
use initspec::structured::orthogonal_without_sign_fix;
use initspec::{Element, Law, Layout, Sampler, Scheme, Stream};
use initspec_verify::check::{Verdict, check_sample};
use initspec_verify::storage::Storage;
use initspec_verify::structured::check_haar_ensemble;

const ALPHA: f64 = 1e-6;
const SEED: u64 = 0x7374_7275;

fn law(scheme: &str, shape: &[usize], layout: &Layout) -> Law {
    scheme
        .parse::<Scheme>()
        .unwrap()
        .resolve(shape, layout, 1)
        .unwrap()
}

fn draw(law: &Law, seed: u64, storage: Storage) -> Vec<f64> {
    fn go<T: Element>(law: &Law, seed: u64) -> Vec<f64> {
        let n = law.tensor_len().unwrap();
        let mut out = vec![T::default(); n];
        Sampler::new(law, Stream::new(seed, "structured")).fill(&mut out);
        out.into_iter().map(Element::to_f64).collect()
    }
    match storage {
        Storage::F64 => go::<f64>(law, seed),
        Storage::F32 => go::<f32>(law, seed),
        Storage::BF16 => go::<bf16>(law, seed),
        Storage::F16 => go::<f16>(law, seed),
    }
}

fn describe(v: &Verdict) -> String {
    v.checks
        .iter()
        .map(|c| {
            format!(
                "{}: pass={} p={:.3e} ({})",
                c.name, c.pass, c.p_value, c.detail
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn failed(v: &Verdict, name: &str) -> bool {
    v.check(name).is_some_and(|c| !c.pass)
}

#[test]
fn our_structured_draws_pass_in_every_dtype() {
    let cases: &[(&str, &[usize], Layout, Storage)] = &[
        ("orthogonal", &[256, 256], Layout::OutIn, Storage::F64),
        (
            "orthogonal(gain=1.4142135623730951)",
            &[300, 100],
            Layout::OutIn,
            Storage::F32,
        ),
        (
            "orthogonal(gain=0.5)",
            &[64, 3, 3, 3],
            Layout::OutIn,
            Storage::F32,
        ),
        ("orthogonal", &[3, 3, 16, 64], Layout::InOut, Storage::F64),
        (
            "orthogonal(gain=2)",
            &[128, 128],
            Layout::OutIn,
            Storage::BF16,
        ),
        ("orthogonal", &[40, 200], Layout::OutIn, Storage::F16),
        ("eye", &[30, 50], Layout::OutIn, Storage::BF16),
        ("dirac", &[16, 8, 3, 3], Layout::OutIn, Storage::F32),
        (
            "dirac(groups=4)",
            &[16, 4, 4, 4],
            Layout::OutIn,
            Storage::F16,
        ),
        (
            "delta_orthogonal",
            &[3, 3, 32, 64],
            Layout::InOut,
            Storage::F32,
        ),
        (
            "delta_orthogonal(gain=2)",
            &[64, 64, 4],
            Layout::OutIn,
            Storage::BF16,
        ),
        (
            "sparse(sparsity=0.1)",
            &[1000, 300],
            Layout::OutIn,
            Storage::F32,
        ),
        (
            "sparse(sparsity=0.5, std=1)",
            &[200, 100],
            Layout::OutIn,
            Storage::F64,
        ),
        (
            "sparse(sparsity=0.3, std=1e-4)",
            &[500, 200],
            Layout::OutIn,
            Storage::F16,
        ),
    ];
    for (k, (scheme, shape, layout, storage)) in cases.iter().enumerate() {
        let law = law(scheme, shape, layout);
        let seed = SEED + k as u64;
        let values = draw(&law, seed, *storage);
        let verdict = check_sample(&law, &values, *storage, ALPHA);
        assert!(
            verdict.pass,
            "{scheme} {shape:?} {}: rejected at α = {ALPHA}, n = {}, seed {seed}: {}",
            storage.name(),
            values.len(),
            describe(&verdict)
        );
    }
}

#[test]
fn qr_without_the_sign_fix_is_rejected_from_one_256_matrix() {
    let law = law("orthogonal", &[256, 256], &Layout::OutIn);
    let stream = Stream::new(SEED, "structured");
    let bad = orthogonal_without_sign_fix(&[256, 256], 1.0, &stream).unwrap();
    let verdict = check_sample(&law, &bad, Storage::F64, ALPHA);
    assert!(!verdict.pass, "accepted: {}", describe(&verdict));
    // Still orthogonal: only the Haar checks see the bug.
    assert!(!failed(&verdict, "orthogonality"), "{}", describe(&verdict));
    assert!(failed(&verdict, "haar_trace") && failed(&verdict, "haar_diagonal"));
    // The same matrix in f32 and bf16 is rejected too.
    for storage in [Storage::F32, Storage::BF16] {
        let stored: Vec<f64> = bad.iter().map(|&x| storage.round(x)).collect();
        let verdict = check_sample(&law, &stored, storage, ALPHA);
        assert!(failed(&verdict, "haar_diagonal"), "{}", describe(&verdict));
    }
}

#[test]
fn a_wrong_gain_is_rejected() {
    for (shape, storage) in [
        (&[64usize, 64][..], Storage::F64),
        (&[100, 30][..], Storage::F32),
        (&[128, 128][..], Storage::BF16),
    ] {
        let claimed = law("orthogonal", shape, &Layout::OutIn);
        let drawn = law("orthogonal(gain=1.05)", shape, &Layout::OutIn);
        let values = draw(&drawn, SEED, storage);
        let verdict = check_sample(&claimed, &values, storage, ALPHA);
        assert!(
            failed(&verdict, "orthogonality"),
            "{shape:?} {}: gain 1.05 accepted as 1: {}",
            storage.name(),
            describe(&verdict)
        );
    }
}

#[test]
fn identity_kernels_must_be_exact() {
    // PyTorch's dirac centre k//2 against JAX's (k−1)//2 on an even kernel (k = 4: tap 2
    // against tap 1): the ones moved one tap down are rejected.
    let claimed = law("dirac", &[4, 4, 4], &Layout::OutIn);
    let mut shifted = draw(&claimed, 0, Storage::F32);
    for o in 0..4 {
        let base = (o * 4 + o) * 4;
        shifted.swap(base + 2, base + 1); // centre 2 → 1
    }
    let verdict = check_sample(&claimed, &shifted, Storage::F32, ALPHA);
    assert!(failed(&verdict, "exact"), "{}", describe(&verdict));
    // The transposed identity of a non-square eye.
    let eye = law("eye", &[3, 5], &Layout::OutIn);
    let mut w = draw(&eye, 0, Storage::F64);
    w[1] = 1.0;
    assert!(failed(
        &check_sample(&eye, &w, Storage::F64, ALPHA),
        "exact"
    ));
    // A delta-orthogonal kernel with a non-zero value off the centre tap.
    let delta = law("delta_orthogonal", &[3, 8, 8], &Layout::InOut);
    let mut w = draw(&delta, SEED, Storage::F64);
    w[0] = 1e-3;
    let verdict = check_sample(&delta, &w, Storage::F64, ALPHA);
    assert!(failed(&verdict, "exact"), "{}", describe(&verdict));
    // The wrong number of values.
    let verdict = check_sample(&eye, &[1.0, 0.0], Storage::F64, ALPHA);
    assert!(failed(&verdict, "shape"));
}

#[test]
fn sparse_zero_counts_and_values_are_checked() {
    let shape = [1000usize, 300];
    let claimed = law("sparse(sparsity=0.1)", &shape, &Layout::OutIn);
    // Another sparsity: the zero count is wrong in every column.
    let values = draw(
        &law("sparse(sparsity=0.2)", &shape, &Layout::OutIn),
        SEED,
        Storage::F32,
    );
    let verdict = check_sample(&claimed, &values, Storage::F32, ALPHA);
    assert!(failed(&verdict, "zero_count"), "{}", describe(&verdict));
    // Another std (×1.02 in variance, std × 1.01): the variance test of the non-zeros sees it.
    let values = draw(
        &law("sparse(sparsity=0.1, std=0.0101)", &shape, &Layout::OutIn),
        SEED,
        Storage::F32,
    );
    let verdict = check_sample(&claimed, &values, Storage::F32, ALPHA);
    assert!(
        !verdict.pass && !failed(&verdict, "zero_count"),
        "std 0.0101 accepted as 0.01 at α = {ALPHA}, n = {}, seed {SEED}: {}",
        values.len(),
        describe(&verdict)
    );
}

#[test]
fn haar_over_300_seeds_and_its_negative_control() {
    const M: u64 = 300;
    for (shape, storage) in [([16usize, 16], Storage::F64), ([24, 10], Storage::F32)] {
        let law = law("orthogonal", &shape, &Layout::OutIn);
        let good: Vec<Vec<f64>> = (0..M).map(|k| draw(&law, SEED + k, storage)).collect();
        let verdict = check_haar_ensemble(&law, &good, storage, ALPHA);
        assert!(
            verdict.pass,
            "{shape:?}: {M} Haar draws rejected at α = {ALPHA}, seeds {SEED}..: {}",
            describe(&verdict)
        );
        let bad: Vec<Vec<f64>> = (0..M)
            .map(|k| {
                let stream = Stream::new(SEED + k, "structured");
                let q = orthogonal_without_sign_fix(&shape, 1.0, &stream).unwrap();
                q.into_iter().map(|x| storage.round(x)).collect()
            })
            .collect();
        let verdict = check_haar_ensemble(&law, &bad, storage, ALPHA);
        assert!(
            failed(&verdict, "haar_first_entry") && !failed(&verdict, "orthogonality"),
            "{shape:?}: QR without the sign fix accepted: {}",
            describe(&verdict)
        );
        if shape[0] == shape[1] {
            assert!(failed(&verdict, "haar_trace"), "{}", describe(&verdict));
        }
    }
    // Not an orthogonal law.
    let eye = law("eye", &[4, 4], &Layout::OutIn);
    assert!(failed(
        &check_haar_ensemble(&eye, &[vec![0.0; 16]], Storage::F64, ALPHA),
        "shape"
    ));
}

#[test]
fn identify_names_structured_tensors() {
    use initspec_verify::identify::identify;
    use initspec_verify::sample::Sample;
    let cases: &[(&str, &[usize], Layout, &str)] = &[
        (
            "orthogonal(gain=2)",
            &[64, 48],
            Layout::OutIn,
            "orthogonal(gain=2)",
        ),
        ("orthogonal", &[3, 3, 8, 32], Layout::InOut, "orthogonal"),
        ("eye", &[20, 30], Layout::OutIn, "eye"),
        (
            "dirac(groups=2)",
            &[8, 4, 3, 3],
            Layout::OutIn,
            "dirac(groups=2)",
        ),
        (
            "delta_orthogonal",
            &[3, 3, 16, 32],
            Layout::InOut,
            "delta_orthogonal",
        ),
        (
            "sparse(sparsity=0.25, std=0.5)",
            &[400, 100],
            Layout::OutIn,
            "sparse(sparsity=0.25",
        ),
    ];
    for (k, (scheme, shape, layout, want)) in cases.iter().enumerate() {
        let law = law(scheme, shape, layout);
        let values = draw(&law, SEED + k as u64, Storage::F32);
        let groups = if scheme.starts_with("dirac(groups=2") {
            2
        } else {
            1
        };
        let sample = Sample::new(&values, shape, Storage::F32)
            .with_layout(layout.clone())
            .with_groups(groups);
        let best = &identify(&sample)[0];
        assert!(
            best.scheme.starts_with(want),
            "{scheme}: identified as {} ({}, p = {:e})",
            best.scheme,
            best.origin,
            best.p_value
        );
        assert!(
            best.p_value >= ALPHA,
            "{scheme}: p = {} (α = {ALPHA}, seed {})",
            best.p_value,
            SEED + k as u64
        );
    }
}

#[test]
fn audit_explains_the_missing_sign_fix() {
    use initspec_verify::audit::audit;
    use initspec_verify::sample::Sample;
    let stream = Stream::new(SEED, "structured");
    let bad = orthogonal_without_sign_fix(&[256, 256], 1.0, &stream).unwrap();
    let scheme: Scheme = "orthogonal".parse().unwrap();
    let report = audit(
        &Sample::new(&bad, &[256, 256], Storage::F64),
        &scheme,
        ALPHA,
    )
    .unwrap();
    assert!(!report.verdict.pass);
    assert!(report.summary.contains("sign fix"), "{}", report.summary);
    let good = draw(
        &law("orthogonal", &[256, 256], &Layout::OutIn),
        SEED,
        Storage::F64,
    );
    let report = audit(
        &Sample::new(&good, &[256, 256], Storage::F64),
        &scheme,
        ALPHA,
    )
    .unwrap();
    assert!(report.verdict.pass, "{}", report.summary);
}

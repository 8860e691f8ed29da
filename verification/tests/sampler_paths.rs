//! Every kernel path of the sampler, in every dtype that reaches it, drawn at n = 2²⁰ and held
//! by the statistical battery at α = 1e-6 against its law, whose CDF and moments are checked
//! against SciPy and mpmath elsewhere (docs/VERIFICATION.md, "Independent oracles"): the
//! expected side of each test comes from outside the sampler.
//!
//! The dispatch (crates/initspec/src/fill/mod.rs, `Job::run`): f32, bf16 and f16 come from
//! the single-precision kernels (bf16 and f16 by rounding their f32 tile), f64 from the
//! double-precision ones; a truncated normal uses the central-branch kernel when both
//! Φ(α) and 1 − Φ(β) are at least `PROBIT_SPLIT_F32` = 0.001692 (fill/math.rs), else the
//! kernel with the tail branch; a truncated normal of mass below 1e-30, or a uniform whose
//! width overflows f32, is drawn in double precision and rounded (`Plan::ViaDouble`). Every
//! instruction-set path writes the baseline path's bytes, and large, streamed, parallel and
//! partial-tile fills the bytes of small serial ones (`fill::tests`), so one battery per
//! (kernel, dtype) covers those too. The conformance cases (`conformance_cases.rs`) already
//! hold most pairs; this file holds the rest, each with a negative control (the same law
//! drawn 2 % too wide in variance, which the battery must reject), and checks that the two
//! files together leave no pair out.

use initspec::{Law, Layout, Scheme, Stream};
use initspec_verify::check::{Verdict, check_sample};
use initspec_verify::conformance::{CASES, draw};
use initspec_verify::storage::Storage;
use statrs::distribution::{ContinuousCDF, Normal};

/// Family-wise level of each battery (Holm across its checks): the suite's α.
const ALPHA: f64 = 1e-6;
/// Values per scalar sample (structured laws draw their whole tensor).
const N: usize = 1 << 20;
/// Seed of every stream here.
const SEED: u64 = 0x7061_7468;
/// Variance factor of the negative controls: at n = 2²⁰ the variance check sees 2 % with
/// power > 0.999 (14 standard errors for a normal law, more for lighter tails;
/// `conformance_cases.rs`).
const WRONG_VARIANCE: f64 = 1.02;
/// Below this tail probability the single-precision truncated kernel needs its tail branch
/// (`PROBIT_SPLIT_F32`, crates/initspec/src/fill/math.rs).
const PROBIT_SPLIT: f64 = 0.001_692;
/// Below this interval mass a truncated normal is drawn in double precision
/// (`MIN_SINGLE_MASS`, crates/initspec/src/fill/plan.rs).
const MIN_SINGLE_MASS: f64 = 1e-30;

/// The kernel a law's values come from, before the dtype is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kernel {
    Constant,
    Uniform,
    Normal,
    /// Truncated normal, central probit branch only.
    TruncatedCentral,
    /// Truncated normal with the tail branch.
    TruncatedTail,
    /// Truncated normal of negligible mass, or uniform wider than f32: double, then rounded.
    ViaDouble,
    Orthogonal,
    Eye,
    Dirac,
    DeltaOrthogonal,
    Sparse,
}

const STORAGES: [Storage; 4] = [Storage::F64, Storage::F32, Storage::BF16, Storage::F16];

fn kernel(law: &Law) -> Kernel {
    let phi = Normal::standard();
    match law {
        Law::Constant(_) => Kernel::Constant,
        Law::Uniform(u) if ((u.b() - u.a()) as f32).is_finite() => Kernel::Uniform,
        Law::Uniform(_) => Kernel::ViaDouble,
        Law::Normal(_) => Kernel::Normal,
        Law::TruncatedNormal(t) if t.mass() < MIN_SINGLE_MASS => Kernel::ViaDouble,
        Law::TruncatedNormal(t) => {
            if phi.cdf(t.alpha()).min(phi.sf(t.beta())) >= PROBIT_SPLIT {
                Kernel::TruncatedCentral
            } else {
                Kernel::TruncatedTail
            }
        }
        Law::Orthogonal(_) => Kernel::Orthogonal,
        Law::Eye(_) => Kernel::Eye,
        Law::Dirac(_) => Kernel::Dirac,
        Law::DeltaOrthogonal(_) => Kernel::DeltaOrthogonal,
        Law::Sparse(_) => Kernel::Sparse,
        other => panic!("a law this table does not know: {other}"),
    }
}

/// The pairs the double-precision kernels serve: every kernel in f64; `ViaDouble` in the
/// single-precision dtypes (its f64 draw is the double kernel itself).
fn reachable(kernel: Kernel, storage: Storage) -> bool {
    !(kernel == Kernel::ViaDouble && storage == Storage::F64)
}

/// The rows this file adds: (scheme, shape, layout, storage), for the (kernel, dtype) pairs
/// no conformance case holds, and the upper-tail branch of the double kernel.
const ROWS: &[(&str, &[usize], &str, Storage)] = &[
    ("constant(value=0.1)", &[64, 32], "out-in", Storage::BF16),
    ("uniform(a=-0.3, b=0.5)", &[96, 40], "out-in", Storage::F16),
    // α = −0.5, β = 2.5: both tails above the split.
    (
        "trunc_normal(mean=0.5, std=1, a=0, b=3)",
        &[96, 40],
        "out-in",
        Storage::F16,
    ),
    // An interval inside the upper tail: the tail branch from the upper side.
    (
        "trunc_normal(mean=0, std=0.5, a=1.25, b=2)",
        &[96, 40],
        "out-in",
        Storage::F16,
    ),
    (
        "trunc_normal(mean=0, std=0.5, a=1.25, b=2)",
        &[96, 40],
        "out-in",
        Storage::F64,
    ),
    // N(0.36, 0.01²) cut to [−0.01, 0]: α = −37, β = −36, mass 4e-284, so drawn in double
    // precision and rounded; the values sit just below 0, where every dtype resolves them.
    (
        "trunc_normal(mean=0.36, std=0.01, a=-0.01, b=0)",
        &[96, 40],
        "out-in",
        Storage::F32,
    ),
    (
        "trunc_normal(mean=0.36, std=0.01, a=-0.01, b=0)",
        &[96, 40],
        "out-in",
        Storage::BF16,
    ),
    (
        "trunc_normal(mean=0.36, std=0.01, a=-0.01, b=0)",
        &[96, 40],
        "out-in",
        Storage::F16,
    ),
    (
        "uniform(a=-3e38, b=3e38)",
        &[96, 40],
        "out-in",
        Storage::F32,
    ),
    (
        "uniform(a=-3e38, b=3e38)",
        &[96, 40],
        "out-in",
        Storage::BF16,
    ),
    ("eye", &[40, 96], "out-in", Storage::F64),
    ("eye", &[96, 40], "out-in", Storage::F16),
    ("dirac", &[8, 8, 3, 3], "out-in", Storage::F64),
    ("delta_orthogonal", &[3, 3, 32, 48], "in-out", Storage::F16),
    ("eye", &[30, 50], "out-in", Storage::BF16),
    ("dirac(groups=4)", &[16, 4, 4, 4], "out-in", Storage::F16),
    (
        "delta_orthogonal(gain=2)",
        &[64, 48, 4],
        "out-in",
        Storage::BF16,
    ),
    (
        "sparse(sparsity=0.5, std=1)",
        &[200, 100],
        "out-in",
        Storage::F64,
    ),
    (
        "sparse(sparsity=0.3, std=1e-4)",
        &[500, 200],
        "out-in",
        Storage::F16,
    ),
];

fn resolve(scheme: &str, shape: &[usize], layout: &str) -> Law {
    let scheme: Scheme = scheme.parse().unwrap();
    let layout: Layout = layout.parse().unwrap();
    scheme.resolve(shape, &layout, 1).unwrap()
}

fn failing(verdict: &Verdict) -> Vec<String> {
    verdict
        .checks
        .iter()
        .filter(|c| !c.pass)
        .map(|c| format!("{} (p = {:e}: {})", c.name, c.p_value, c.detail))
        .collect()
}

#[test]
fn every_kernel_and_dtype_pair_is_held_by_a_battery() {
    let mut held: Vec<(Kernel, Storage)> = CASES
        .iter()
        .map(|c| (kernel(&resolve(c.scheme, c.shape, c.layout)), c.storage))
        .collect();
    held.extend(ROWS.iter().map(|(scheme, shape, layout, storage)| {
        (kernel(&resolve(scheme, shape, layout)), *storage)
    }));
    let mut missing = Vec::new();
    for k in [
        Kernel::Constant,
        Kernel::Uniform,
        Kernel::Normal,
        Kernel::TruncatedCentral,
        Kernel::TruncatedTail,
        Kernel::ViaDouble,
        Kernel::Orthogonal,
        Kernel::Eye,
        Kernel::Dirac,
        Kernel::DeltaOrthogonal,
        Kernel::Sparse,
    ] {
        for storage in STORAGES {
            if reachable(k, storage) && !held.contains(&(k, storage)) {
                missing.push(format!("{k:?} in {storage}"));
            }
        }
    }
    assert!(missing.is_empty(), "no battery holds {missing:?}");
}

#[test]
fn the_remaining_paths_pass_and_reject_a_two_percent_variance_error() {
    let mut failures = Vec::new();
    for (i, (scheme, shape, layout, storage)) in ROWS.iter().enumerate() {
        let law = resolve(scheme, shape, layout);
        let stream = Stream::new(SEED, &format!("paths/{i}"));
        let n = law.tensor_len().unwrap_or(N);
        let values = draw(&law, stream, n, *storage);
        let verdict = check_sample(&law, &values, *storage, ALPHA);
        if !verdict.pass {
            failures.push(format!(
                "row {i} {scheme} {shape:?} {storage}: {:?}",
                failing(&verdict)
            ));
        }
        if law.tensor_len().is_some() || matches!(law, Law::Constant(_)) {
            continue; // exact checks: their controls are in structured_checks.rs
        }
        // The negative control: the law drawn in f64, scaled about its mean by √1.02, then
        // rounded to the row's dtype.
        let mean = law.mean();
        let scale = WRONG_VARIANCE.sqrt();
        let wrong: Vec<f64> = draw(&law, stream, N, Storage::F64)
            .into_iter()
            .map(|x| storage.round(mean + (x - mean) * scale))
            .collect();
        let verdict = check_sample(&law, &wrong, *storage, ALPHA);
        if verdict.pass {
            failures.push(format!(
                "row {i} {scheme} {storage}: a ×{WRONG_VARIANCE} variance passed"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "α = {ALPHA:e}, n = {N}, seed = {SEED:#x}: {failures:#?}"
    );
}

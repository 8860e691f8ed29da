//! The checks of a structured law: the tensor as a whole, in place.
//!
//! ```text
//! every law         shape          the number of values is the law's element count   (exact)
//!                   finite         every value is finite                             (exact)
//! orthogonal        orthogonality  max |G − gain²·I| ≤ haar::orthogonality_bound      (exact)
//!                   haar_trace     tr(W)/gain against N(0, 1), square n ≥ 2           (statistical)
//!                   haar_diagonal  W_ii/gain against the coordinate law,
//!                                  (u + 1)/2 ~ Beta((d−1)/2, (d−1)/2), d ≥ 2           (statistical, KS)
//! eye, dirac        exact          every value equals the specified 0 or 1            (exact)
//! delta_orthogonal  exact          every tap but the centre is 0                      (exact)
//!                   + the orthogonal checks of the centre tap's [in, out] matrix
//! sparse            zero_count     every column has ⌈sparsity·rows⌉ zeros             (exact)
//!                   + the scalar checks (ks, anderson_darling, chi2, mean, variance) of the
//!                     non-zero values against N(0, std²)
//! ```
//!
//! The statistical checks are combined by Holm's step-down at the family-wise `alpha`, as in
//! [`crate::check`]. The diagonal entries of one Haar matrix are uncorrelated but not
//! independent, so the KS p-value of one matrix's diagonal is approximate (see [`haar`]); it
//! still rejects QR without the sign fix from one 256 × 256 matrix at p ≈ 1e-24.
//!
//! In bf16 or f16 a few Gaussian values of a sparse tensor can round to 0 (f16's smallest
//! subnormal is 6e-8): `zero_count` then accepts up to the number of such extra zeros that a
//! Poisson law of the expected count exceeds with probability below 1e-9.

use initspec::Law;
use initspec::law::{DeltaOrthogonal, Sparse};

use crate::check::{Check, Verdict, check_sample, exact, finish, statistical};
use crate::haar;
use crate::sample::Stored;
use crate::storage::Storage;

/// Probability below which a count of rounded-to-zero values counts as impossible.
const EXTRA_ZERO_LEVEL: f64 = 1e-9;

/// Holds `values` (the whole tensor, row-major, stored as `storage`) against the structured
/// `law` at family-wise level `alpha`. A scalar law goes to [`check_sample`].
///
/// # Example
/// ```
/// use initspec::{Layout, Sampler, Scheme, Stream};
/// use initspec_verify::{storage::Storage, structured::check_structured};
/// let law = "orthogonal".parse::<Scheme>().unwrap().resolve(&[64, 64], &Layout::OutIn, 1).unwrap();
/// let mut w = vec![0f64; 64 * 64];
/// Sampler::new(&law, Stream::new(1, "q")).fill(&mut w);
/// assert!(check_structured(&law, &w, Storage::F64, 1e-6).pass);
/// w[5] += 1e-3; // no longer orthogonal
/// assert!(!check_structured(&law, &w, Storage::F64, 1e-6).pass);
/// ```
pub fn check_structured(law: &Law, values: &[f64], storage: Storage, alpha: f64) -> Verdict {
    let n = values.len();
    let expected = law.tensor_len();
    let mut checks = Vec::new();
    let shape_ok = expected == Some(n);
    checks.push(exact(
        "shape",
        usize::from(!shape_ok),
        match expected {
            Some(e) if e == n => format!("{n} values"),
            Some(e) => format!("{n} values, but {law} on this shape has {e}"),
            None => format!("{law} is not a structured law"),
        },
    ));
    let non_finite = values.iter().filter(|x| !x.is_finite()).count();
    checks.push(exact(
        "finite",
        non_finite,
        if non_finite == 0 {
            "all finite".to_string()
        } else {
            format!("{non_finite} non-finite values")
        },
    ));
    if !shape_ok || non_finite > 0 || n == 0 {
        return finish(checks, alpha, n);
    }
    match law {
        Law::Orthogonal(o) => {
            orthogonal_checks(&mut checks, values, o.rows(), o.cols(), o.gain(), storage)
        }
        Law::Eye(e) => exact_checks(&mut checks, values, storage, |i| e.value(i)),
        Law::Dirac(d) => exact_checks(&mut checks, values, storage, |i| d.value(i)),
        Law::DeltaOrthogonal(d) => delta_checks(&mut checks, values, d, storage),
        Law::Sparse(s) => {
            let sub = sparse_checks(&mut checks, values, s, storage, alpha);
            checks.extend(sub);
        }
        _ => {}
    }
    finish(checks, alpha, n)
}

/// Orthogonality and the single-matrix Haar checks ([`haar::single_matrix`]) of a
/// `rows × cols` matrix, as checks.
fn orthogonal_checks(
    checks: &mut Vec<Check>,
    values: &[f64],
    rows: usize,
    cols: usize,
    gain: f64,
    storage: Storage,
) {
    let Ok(h) = haar::single_matrix(values, rows, cols, gain, storage) else {
        return;
    };
    let o = h.orthogonality;
    let gram = if rows <= cols { "WWᵀ" } else { "WᵀW" };
    checks.push(Check {
        name: "orthogonality".to_string(),
        statistic: o.max_abs_error,
        p_value: if o.pass { 1.0 } else { 0.0 },
        pass: o.pass,
        detail: format!(
            "max |{gram} − gain²·I| = {:.3e} (bound {:.3e} for {} in {})",
            o.max_abs_error,
            o.bound,
            rows.max(cols),
            storage.name()
        ),
    });
    if let Some(t) = h.trace {
        checks.push(statistical(
            "haar_trace",
            t.z,
            t.p_value,
            format!("tr(W)/gain = {:.3} against N(0, 1)", t.mean),
        ));
    }
    if let Some(ks) = h.diagonal {
        checks.push(statistical(
            "haar_diagonal",
            ks.statistic,
            ks.p_value,
            format!(
                "KS D = {:.3e} of the {} diagonal entries against the Haar coordinate law (their mean {:+.4}, expected 0)",
                ks.statistic, h.diagonal_len, h.diagonal_mean
            ),
        ));
    }
}

/// `exact`: every value equals `expected(i)` rounded to the storage.
fn exact_checks(
    checks: &mut Vec<Check>,
    values: &[f64],
    storage: Storage,
    expected: impl Fn(usize) -> f64,
) {
    let wrong: Vec<usize> = (0..values.len())
        .filter(|&i| values[i] != storage.round(expected(i)))
        .collect();
    let detail = match wrong.first() {
        None => format!("all {} values as specified", values.len()),
        Some(&i) => format!(
            "{} of {} values differ, the first at flat index {i} ({} instead of {})",
            wrong.len(),
            values.len(),
            values[i],
            expected(i)
        ),
    };
    checks.push(exact("exact", wrong.len(), detail));
}

/// The centre tap's `[in, out]` matrix of a delta-orthogonal kernel (row-major), or `None`
/// when a value off the centre tap is not zero.
pub fn delta_centre<T: Stored>(law: &DeltaOrthogonal, values: &[T]) -> Option<Vec<f64>> {
    let (matrix, off_centre) = split_delta(law, values);
    (off_centre == 0).then_some(matrix)
}

/// The centre tap's `[in, out]` matrix and the count of non-zero values off the centre.
fn split_delta<T: Stored>(law: &DeltaOrthogonal, values: &[T]) -> (Vec<f64>, usize) {
    let (fan_in, fan_out) = (law.in_channels(), law.out_channels());
    let taps: usize = law.kernel().iter().product();
    let centre = law.centre_tap();
    let mut matrix = vec![0.0; fan_in * fan_out];
    let mut off_centre = 0usize;
    for tap in 0..taps {
        for input in 0..fan_in {
            for output in 0..fan_out {
                let x = values[law.index(tap, input, output)].to_f64();
                if tap == centre {
                    matrix[input * fan_out + output] = x;
                } else if x != 0.0 {
                    off_centre += 1;
                }
            }
        }
    }
    (matrix, off_centre)
}

/// Zeros off the centre tap, then the orthogonal checks of the centre tap's `[in, out]` matrix.
fn delta_checks(checks: &mut Vec<Check>, values: &[f64], law: &DeltaOrthogonal, storage: Storage) {
    let taps: usize = law.kernel().iter().product();
    let centre = law.centre_tap();
    let (matrix, off_centre) = split_delta(law, values);
    checks.push(exact(
        "exact",
        off_centre,
        format!(
            "{off_centre} non-zero values off the centre tap {centre} of {taps} (centre (k−1)//2)"
        ),
    ));
    orthogonal_checks(
        checks,
        &matrix,
        law.in_channels(),
        law.out_channels(),
        law.gain(),
        storage,
    );
}

/// `zero_count`, then the scalar checks of the non-zero values (returned, to be appended).
fn sparse_checks(
    checks: &mut Vec<Check>,
    values: &[f64],
    law: &Sparse,
    storage: Storage,
    alpha: f64,
) -> Vec<Check> {
    let (rows, cols) = (law.rows(), law.cols());
    let z = law.zeros_per_column();
    let counts: Vec<usize> = (0..cols)
        .map(|c| (0..rows).filter(|&r| values[r * cols + c] == 0.0).count())
        .collect();
    let too_few = counts.iter().filter(|&&k| k < z).count();
    let extra: usize = counts.iter().map(|&k| k.saturating_sub(z)).sum();
    let values_law = Law::Normal(law.values());
    let allowed = allowed_extra_zeros(&values_law, storage, (rows - z) * cols);
    let bad = too_few + usize::from(extra > allowed);
    let worst = counts
        .iter()
        .copied()
        .max_by_key(|&k| k.abs_diff(z))
        .unwrap_or(z);
    checks.push(exact(
        "zero_count",
        bad,
        if bad == 0 {
            format!("every column has {z} zeros (⌈sparsity·rows⌉){}", if extra > 0 { format!(", plus {extra} values rounded to 0") } else { String::new() })
        } else {
            format!(
                "{too_few} of {cols} columns have fewer than {z} zeros, {extra} extra zeros (at most {allowed} expected from rounding); e.g. a column with {worst}"
            )
        },
    ));
    let non_zeros: Vec<f64> = values.iter().copied().filter(|&x| x != 0.0).collect();
    if non_zeros.is_empty() {
        return Vec::new();
    }
    check_sample(&values_law, &non_zeros, storage, alpha)
        .checks
        .into_iter()
        .filter(|c| !matches!(c.name.as_str(), "finite" | "support"))
        .collect()
}

/// The most values of `count` draws of `law` that may round to 0 in `storage`: the
/// `1 − EXTRA_ZERO_LEVEL` quantile of Poisson(count · P(round(X) = 0)) (0 when that
/// probability is negligible, as it is in f64, f32 and bf16 for any sensible std).
fn allowed_extra_zeros(law: &Law, storage: Storage, count: usize) -> usize {
    let (low, high) = storage.cell(0.0);
    let p = if storage.is_lattice() {
        (law.cdf(high) - law.cdf(low)).max(0.0)
    } else {
        0.0
    };
    let lambda = p * count as f64;
    if lambda < 1e-12 {
        return 0;
    }
    if lambda > 100.0 {
        // Normal approximation with margin: z(1e-9) = 6.0, plus one σ for the skew.
        return (lambda + 7.0 * lambda.sqrt()).ceil() as usize;
    }
    // Smallest k with P(N > k) < level, summing the Poisson pmf.
    let mut pmf = (-lambda).exp();
    let mut cdf = pmf;
    let mut k = 0usize;
    while 1.0 - cdf >= EXTRA_ZERO_LEVEL && k < count {
        k += 1;
        pmf *= lambda / k as f64;
        cdf += pmf;
    }
    k
}

/// Holds `matrices`, independent draws of the orthogonal `law` (each row-major, stored as
/// `storage`), against the Haar law jointly, at family-wise level `alpha`:
///
/// ```text
/// shape, finite    every matrix has rows·cols finite values                     (exact)
/// orthogonality    the number of matrices beyond haar::orthogonality_bound      (exact)
/// haar_trace       z = mean(tr Wₖ/gain)·√M against N(0, 1), square n ≥ 2        (statistical)
/// haar_first_entry W₁₁/gain of every matrix, KS against the coordinate law      (statistical)
/// ```
///
/// Unlike the diagonal of one matrix, the pooled first entries are independent, so the KS
/// p-value is exact. A law other than orthogonal fails the `shape` check.
pub fn check_haar_ensemble(
    law: &Law,
    matrices: &[Vec<f64>],
    storage: Storage,
    alpha: f64,
) -> Verdict {
    let n: usize = matrices.iter().map(Vec::len).sum();
    let mut checks = Vec::new();
    let Law::Orthogonal(o) = law else {
        checks.push(exact(
            "shape",
            1,
            format!("{law}: the Haar ensemble checks need an orthogonal law"),
        ));
        return finish(checks, alpha, n);
    };
    let (rows, cols, gain) = (o.rows(), o.cols(), o.gain());
    let wrong_size = matrices.iter().filter(|m| m.len() != rows * cols).count();
    checks.push(exact(
        "shape",
        usize::from(wrong_size > 0 || matrices.is_empty()),
        format!(
            "{} matrices of {rows}×{cols}{}",
            matrices.len(),
            if wrong_size > 0 {
                format!(", {wrong_size} of another size")
            } else {
                String::new()
            }
        ),
    ));
    let non_finite = matrices.iter().flatten().filter(|x| !x.is_finite()).count();
    checks.push(exact(
        "finite",
        non_finite,
        format!("{non_finite} non-finite values"),
    ));
    if wrong_size > 0 || matrices.is_empty() || non_finite > 0 || rows * cols == 0 {
        return finish(checks, alpha, n);
    }
    let not_orthogonal = matrices
        .iter()
        .filter(|m| !haar::orthogonality(m, rows, cols, gain, storage).is_ok_and(|c| c.pass))
        .count();
    checks.push(exact(
        "orthogonality",
        not_orthogonal,
        format!(
            "{not_orthogonal} of {} matrices beyond the bound {:.3e}",
            matrices.len(),
            haar::orthogonality_bound(rows.max(cols), gain, storage)
        ),
    ));
    if rows == cols && rows >= 2 {
        let traces: Vec<f64> = matrices
            .iter()
            .filter_map(|m| haar::trace(m, rows, gain).ok())
            .collect();
        if let Ok(t) = haar::trace_test(&traces) {
            checks.push(statistical(
                "haar_trace",
                t.z,
                t.p_value,
                format!(
                    "mean tr(W)/gain = {:+.4} over {} matrices (z = {:.2})",
                    t.mean, t.m, t.z
                ),
            ));
        }
    }
    let first: Vec<f64> = matrices.iter().map(|m| m[0]).collect();
    if let Ok(ks) = haar::diagonal_test_stored(&first, rows.max(cols), gain, storage) {
        checks.push(statistical(
            "haar_first_entry",
            ks.statistic,
            ks.p_value,
            format!(
                "KS D = {:.3e} of W₁₁/gain over {} matrices against the Haar coordinate law",
                ks.statistic,
                first.len()
            ),
        ));
    }
    finish(checks, alpha, n)
}

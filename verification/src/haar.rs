//! Checks that a matrix is orthogonal and that orthogonal matrices are Haar-distributed.
//!
//! An orthogonal initializer must do two things: produce orthonormal rows or columns (times
//! `gain`), which [`orthogonality`] checks to floating-point accuracy, and draw them from the
//! uniform (Haar) law, which the other checks test with exact distributional facts
//! (Mezzadri 2007 for the construction; docs/SPEC.md §7.8):
//!
//! ```text
//! coordinates   every column (row) of a Haar Q is uniform on S^{d−1}, d the long side, so
//!               (Q_ij + 1)/2 ~ Beta((d−1)/2, (d−1)/2)                     (any i, j; d ≥ 2)
//! trace         Q Haar on O(n), n ≥ 2:  E tr Q = 0,  E (tr Q)² = 1       (Diaconis & Shahshahani 1994)
//! ```
//!
//! The *signed diagonal* entries are the ones that see the classic bug, QR without the sign
//! fix `Q·diag(sign Rᵢᵢ)` (Mezzadri 2007): Householder QR then gives `Q₁₁ < 0` always and
//! `E tr Q` of order −√n, while off-diagonal entries and squared entries keep their Haar
//! law. [`diagonal_test`] pools diagonal entries (over many matrices, or the `min(rows, cols)`
//! entries of one matrix) and KS-tests them against the Beta law; [`trace_test`] tests the mean
//! trace of many square matrices against N(0, 1/M).
//!
//! The diagonal entries of one Haar matrix are uncorrelated (E Q₁₁Q₂₂ = 0 follows from
//! E (tr Q)² = 1) but not independent, so the KS p-value of one matrix's diagonal is
//! approximate; pooling `Q₁₁` over independent matrices is exact.

use std::fmt;

use rayon::prelude::*;
use statrs::distribution::{Beta, ContinuousCDF};

use crate::gof::{KsTest, ks_test, ks_test_discrete, sort_sample};
use crate::storage::Storage;

/// The orthogonality bound's factor `c` in `c · √d · ε_c · gain²` (d the long side).
///
/// Householder QR's worst-case bound is O(d·ε) (Higham 2002, §19.3), but its rounding errors
/// add up like a random walk: measured errors stay below √d·ε·gain² (ours in f64:
/// 0.11–0.27·√d·ε·gain² for d = 128 to 2048, from `initspec verify` and `initspec audit` of a
/// 2048 × 2048 f64 sample; PyTorch's f32 `orthogonal_` at d = 256: 7.0e-7, 0.37·√d·ε). 20
/// leaves a factor of 50 over all of them, and keeps the check sharp: the columns of a random,
/// non-orthogonal matrix have Gram errors of order 1/√d, which exceed `20·√d·ε` for every
/// `d < 1/(20ε)` (4·10⁵ in f32). The linear `50·d·ε` used before let a random Gaussian
/// `[9216, 16]` f32 matrix pass (its bound was 5.5 %). A relative gain error δ shifts the
/// Gram diagonal by ≈ 2δ·gain², so any δ > 10·√d·ε is caught (2.2e-14 at d = 10⁴ in f64).
pub const ORTHOGONALITY_FACTOR: f64 = 20.0;

/// The precision a matrix stored in `storage` may have been computed in: its own for f64 and
/// f32; f32 for bf16 and f16 (no library factors matrices in 16-bit formats: PyTorch, JAX
/// and Keras compute in f32 or f64 and cast).
fn computed_epsilon(storage: Storage) -> f64 {
    match storage {
        Storage::F64 => f64::EPSILON,
        Storage::F32 | Storage::BF16 | Storage::F16 => f64::from(f32::EPSILON),
    }
}

/// The largest `max |G − gain²·I|` a correct `gain ·` orthogonal matrix with long side `d`
/// can show after computation and storage in `storage`:
///
/// ```text
/// bound = 20·√d·ε_c·g²  +  (2u + u²)·g²  +  2·√d·g·η
/// ```
///
/// The first term allows for the orthogonality error of a QR computed with precision `ε_c`
/// (the storage's epsilon for f64/f32, f32's for bf16/f16; [`ORTHOGONALITY_FACTOR`] says why
/// √d and why 20). The second and third bound
/// the rounding to the storage format: each stored entry is `q(1 + δ) + e` with `|δ| ≤ u` and
/// `|e| ≤ η`, so by Cauchy–Schwarz each Gram entry moves by at most
/// `(2u + u²)‖qᵢ‖‖qⱼ‖ + η(‖qᵢ‖₁ + ‖qⱼ‖₁) ≤ (2u + u²)g² + 2√d·g·η`: that part is rigorous (no
/// distributional assumption). For bf16 the rounding term 2⁻⁷·g² ≈ 0.0078·g² dominates at
/// every practical size, so a gain error above ≈ 0.4 % is caught there.
pub fn orthogonality_bound(dimension: usize, gain: f64, storage: Storage) -> f64 {
    let d = dimension as f64;
    let (u, eta) = (storage.unit_roundoff(), storage.half_min_subnormal());
    let g2 = gain * gain;
    ORTHOGONALITY_FACTOR * d.sqrt() * computed_epsilon(storage) * g2
        + (2.0 * u + u * u) * g2
        + 2.0 * d.sqrt() * gain * eta
}

/// Why a Haar check could not run.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum HaarError {
    /// `values.len() != rows · cols`.
    ShapeMismatch {
        /// The number of values given.
        len: usize,
        /// Rows claimed.
        rows: usize,
        /// Columns claimed.
        cols: usize,
    },
    /// The long side must be at least 2 for the Beta law (and a trace test needs n ≥ 2).
    TooSmall {
        /// The dimension given.
        dimension: usize,
    },
    /// The trace test needs a square matrix.
    NotSquare {
        /// Rows.
        rows: usize,
        /// Columns.
        cols: usize,
    },
    /// `gain` must be finite and `> 0`.
    InvalidGain {
        /// The gain given.
        gain: f64,
    },
    /// No matrices or values were given.
    Empty,
}

impl fmt::Display for HaarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HaarError::ShapeMismatch { len, rows, cols } => write!(
                f,
                "{len} values do not form a {rows}×{cols} matrix; pass the flattened shape"
            ),
            HaarError::TooSmall { dimension } => {
                write!(
                    f,
                    "dimension {dimension} is too small; Haar checks need at least 2"
                )
            }
            HaarError::NotSquare { rows, cols } => {
                write!(f, "the trace test needs a square matrix, got {rows}×{cols}")
            }
            HaarError::InvalidGain { gain } => {
                write!(f, "gain = {gain} must be finite and greater than 0")
            }
            HaarError::Empty => write!(f, "no values to test"),
        }
    }
}

impl std::error::Error for HaarError {}

fn check_shape(values: &[f64], rows: usize, cols: usize, gain: f64) -> Result<(), HaarError> {
    if rows.checked_mul(cols) != Some(values.len()) {
        return Err(HaarError::ShapeMismatch {
            len: values.len(),
            rows,
            cols,
        });
    }
    if !(gain > 0.0) || !gain.is_finite() {
        return Err(HaarError::InvalidGain { gain });
    }
    Ok(())
}

/// The orthogonality of one matrix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OrthogonalityCheck {
    /// `max |G − gain²·I|` over the Gram matrix G of the short side (WWᵀ for rows ≤ cols,
    /// WᵀW otherwise).
    pub max_abs_error: f64,
    /// [`orthogonality_bound`] for d = max(rows, cols).
    pub bound: f64,
    /// `max_abs_error ≤ bound` (false when a value is NaN).
    pub pass: bool,
}

/// Whether the row-major `rows × cols` matrix `values` has orthonormal rows (rows ≤ cols) or
/// columns (rows ≥ cols) times `gain`, to within the computation and rounding of its storage
/// format.
///
/// ```text
/// max |G − gain²·I| ≤ orthogonality_bound(max(rows, cols), gain, storage)
/// ```
///
/// Costs `min² · max` multiply-adds (parallel over the rows of `G`).
///
/// # Errors
/// [`HaarError::ShapeMismatch`], [`HaarError::InvalidGain`].
pub fn orthogonality(
    values: &[f64],
    rows: usize,
    cols: usize,
    gain: f64,
    storage: Storage,
) -> Result<OrthogonalityCheck, HaarError> {
    check_shape(values, rows, cols, gain)?;
    // Vectors of the short side, each contiguous.
    let (count, len) = (rows.min(cols), rows.max(cols));
    let vectors: Vec<f64> = if rows <= cols {
        values.to_vec()
    } else {
        let mut t = vec![0.0; values.len()];
        for r in 0..rows {
            for c in 0..cols {
                t[c * rows + r] = values[r * cols + c];
            }
        }
        t
    };
    let target = gain * gain;
    // Rows of G in blocks of ROWS, so that each vector j is read once per block (the matrix is
    // streamed count/ROWS times instead of count times).
    const ROWS: usize = 4;
    let (worst, nan) = (0..count.div_ceil(ROWS))
        .into_par_iter()
        .map(|block| {
            let first = block * ROWS;
            let rows: Vec<&[f64]> = (first..(first + ROWS).min(count))
                .map(|i| &vectors[i * len..(i + 1) * len])
                .collect();
            let mut worst = 0.0f64;
            let mut nan = false;
            for j in first..count {
                let vj = &vectors[j * len..(j + 1) * len];
                for (k, s) in dots(&rows, vj).into_iter().enumerate().take(rows.len()) {
                    let i = first + k;
                    if j < i {
                        continue;
                    }
                    let want = if i == j { target } else { 0.0 };
                    let e = (s - want).abs();
                    nan |= e.is_nan();
                    worst = worst.max(e);
                }
            }
            (worst, nan)
        })
        .reduce(|| (0.0, false), |a, b| (a.0.max(b.0), a.1 || b.1));
    let bound = orthogonality_bound(len, gain, storage);
    Ok(OrthogonalityCheck {
        max_abs_error: if nan { f64::NAN } else { worst },
        bound,
        pass: !nan && worst <= bound,
    })
}

/// Whether [`orthogonality`] surely fails, judged from the first two vectors of the short
/// side alone: the entries (0, 0), (0, 1) and (1, 1) of `G`, computed exactly as it computes
/// them, already miss the bound (or are NaN). `dimension` is `max(rows, cols)`. Costs
/// `3·dimension` multiply-adds instead of `min²·max`; `false` says nothing.
pub(crate) fn orthogonality_fails_early(
    first: &[f64],
    second: Option<&[f64]>,
    dimension: usize,
    gain: f64,
    storage: Storage,
) -> bool {
    let bound = orthogonality_bound(dimension, gain, storage);
    let target = gain * gain;
    let misses = |s: f64, want: f64| {
        let e = (s - want).abs();
        e.is_nan() || e > bound
    };
    if misses(dots(&[first], first)[0], target) {
        return true;
    }
    match second {
        Some(second) => {
            let [s01, s11, ..] = dots(&[first, second], second);
            misses(s01, 0.0) || misses(s11, target)
        }
        None => false,
    }
}

/// `Σₖ rows[r][k]·y[k]` for up to four `rows` (the missing ones give 0), each with four
/// partial sums added in a fixed order, so that one pass over `y` serves them all.
fn dots(rows: &[&[f64]], y: &[f64]) -> [f64; 4] {
    let mut acc = [[0.0f64; 4]; 4];
    let body = y.len() / 4 * 4;
    for (r, row) in rows.iter().enumerate().take(4) {
        let a = &mut acc[r];
        for (x, v) in row[..body].chunks_exact(4).zip(y[..body].chunks_exact(4)) {
            for l in 0..4 {
                a[l] += x[l] * v[l];
            }
        }
    }
    let mut out = [0.0; 4];
    for (r, row) in rows.iter().enumerate().take(4) {
        let a = acc[r];
        let mut s = (a[0] + a[2]) + (a[1] + a[3]);
        for k in body..y.len() {
            s += row[k] * y[k];
        }
        out[r] = s;
    }
    out
}

/// `tr(W)/gain` of a square row-major `n × n` matrix.
///
/// # Errors
/// [`HaarError::ShapeMismatch`], [`HaarError::InvalidGain`].
pub fn trace(values: &[f64], n: usize, gain: f64) -> Result<f64, HaarError> {
    check_shape(values, n, n, gain)?;
    Ok((0..n).map(|i| values[i * n + i]).sum::<f64>() / gain)
}

/// The signed diagonal `W_ii/gain`, i < min(rows, cols), of a row-major `rows × cols` matrix.
///
/// # Errors
/// [`HaarError::ShapeMismatch`], [`HaarError::InvalidGain`].
pub fn signed_diagonal(
    values: &[f64],
    rows: usize,
    cols: usize,
    gain: f64,
) -> Result<Vec<f64>, HaarError> {
    check_shape(values, rows, cols, gain)?;
    Ok((0..rows.min(cols))
        .map(|i| values[i * cols + i] / gain)
        .collect())
}

/// The mean-trace test over M square matrices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TraceTest {
    /// Mean of tr Q over the matrices.
    pub mean: f64,
    /// z = mean · √M (under Haar, N(0, 1) as M grows; exact mean 0, variance 1 per trace).
    pub z: f64,
    /// Two-sided p-value 2·Φ(−|z|).
    pub p_value: f64,
    /// The number of matrices M.
    pub m: usize,
}

/// Tests that traces `tr Q` of Haar matrices on O(n), n ≥ 2, have mean 0 (Diaconis &
/// Shahshahani 1994: E tr Q = 0 and E (tr Q)² = 1 exactly for n ≥ 2).
///
/// ```text
/// z = (Σ tr Qₖ / M) · √M,   p = 2·Φ(−|z|)
/// ```
///
/// With a single trace (M = 1) this is the test of one audited square matrix. QR without the
/// sign fix gives E tr Q = −1.585 at n = 8, −3.364 at n = 32 (Monte-Carlo means over
/// independent Gaussian matrices).
///
/// # Errors
/// [`HaarError::Empty`] for no traces; a NaN trace gives p = 0.
pub fn trace_test(traces: &[f64]) -> Result<TraceTest, HaarError> {
    if traces.is_empty() {
        return Err(HaarError::Empty);
    }
    let m = traces.len();
    let mean = traces.iter().sum::<f64>() / m as f64;
    let z = mean * (m as f64).sqrt();
    let p_value = if z.is_nan() {
        0.0
    } else {
        (2.0 * initspec::special::cdf(-z.abs())).min(1.0)
    };
    Ok(TraceTest {
        mean,
        z,
        p_value,
        m,
    })
}

/// The CDF of one coordinate of a uniform unit vector in R^d, d ≥ 2:
/// `P(X ≤ x) = I_{(x+1)/2}((d−1)/2, (d−1)/2)`.
///
/// # Errors
/// [`HaarError::TooSmall`] for d < 2.
pub fn coordinate_cdf(dimension: usize) -> Result<impl Fn(f64) -> f64, HaarError> {
    if dimension < 2 {
        return Err(HaarError::TooSmall { dimension });
    }
    let a = (dimension as f64 - 1.0) / 2.0;
    let beta = Beta::new(a, a).map_err(|_| HaarError::TooSmall { dimension })?;
    Ok(move |x: f64| {
        if x.is_nan() {
            f64::NAN
        } else {
            beta.cdf(((x + 1.0) / 2.0).clamp(0.0, 1.0))
        }
    })
}

/// KS test of signed diagonal entries `Q_ii` (already divided by gain) against the coordinate
/// law of a uniform unit vector in R^d, `(Q_ii + 1)/2 ~ Beta((d−1)/2, (d−1)/2)`, where `d` is
/// the long side of the matrices (the sphere their columns or rows live on).
///
/// Pool entries from independent matrices (exact), or pass one matrix's diagonal
/// (approximate: the entries are uncorrelated but dependent).
///
/// # Errors
/// [`HaarError::Empty`], [`HaarError::TooSmall`] for d < 2.
pub fn diagonal_test(entries: &[f64], dimension: usize) -> Result<KsTest, HaarError> {
    diagonal_test_stored(entries, dimension, 1.0, Storage::F64)
}

/// [`diagonal_test`] of entries `gain·Q_ii` stored in `storage` (not yet divided by `gain`):
/// for bf16/f16 the KS test is against the coordinate law rounded to the format's lattice
/// ([`Storage::cell`]), as the scalar checks do.
///
/// # Errors
/// As [`diagonal_test`]; [`HaarError::InvalidGain`].
pub fn diagonal_test_stored(
    entries: &[f64],
    dimension: usize,
    gain: f64,
    storage: Storage,
) -> Result<KsTest, HaarError> {
    if entries.is_empty() {
        return Err(HaarError::Empty);
    }
    if !(gain > 0.0) || !gain.is_finite() {
        return Err(HaarError::InvalidGain { gain });
    }
    let cdf = coordinate_cdf(dimension)?;
    let mut sorted = entries.to_vec();
    sort_sample(&mut sorted);
    if storage.is_lattice() {
        Ok(ks_test_discrete(
            &sorted,
            |x| cdf(storage.cell(x).1 / gain),
            |x| cdf(storage.cell(x).0 / gain),
        ))
    } else {
        Ok(ks_test(&sorted, |x| cdf(x / gain)))
    }
}

/// The Haar checks of one audited matrix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SingleMatrixHaar {
    /// Orthogonality to the storage's precision.
    pub orthogonality: OrthogonalityCheck,
    /// `tr Q` against N(0, 1), for a square matrix with n ≥ 2.
    pub trace: Option<TraceTest>,
    /// The signed diagonal against the Beta coordinate law (approximate p-value); `None` when
    /// `max(rows, cols) < 2` or the matrix is empty.
    pub diagonal: Option<KsTest>,
    /// The number of diagonal entries, `min(rows, cols)`.
    pub diagonal_len: usize,
    /// The mean of `W_ii/gain` (0 under Haar; NaN without a diagonal).
    pub diagonal_mean: f64,
}

/// All Haar checks of one row-major `rows × cols` matrix claimed to be `gain ·` Haar, stored
/// in `storage`.
///
/// # Errors
/// [`HaarError::ShapeMismatch`], [`HaarError::InvalidGain`].
pub fn single_matrix(
    values: &[f64],
    rows: usize,
    cols: usize,
    gain: f64,
    storage: Storage,
) -> Result<SingleMatrixHaar, HaarError> {
    let orthogonality = orthogonality(values, rows, cols, gain, storage)?;
    let trace = if rows == cols && rows >= 2 {
        Some(trace_test(&[trace(values, rows, gain)?])?)
    } else {
        None
    };
    // Undivided: the lattice of a 16-bit storage is that of the stored values.
    let entries: Vec<f64> = (0..rows.min(cols)).map(|i| values[i * cols + i]).collect();
    let diagonal = diagonal_test_stored(&entries, rows.max(cols), gain, storage).ok();
    Ok(SingleMatrixHaar {
        orthogonality,
        trace,
        diagonal,
        diagonal_len: entries.len(),
        diagonal_mean: entries.iter().sum::<f64>() / entries.len() as f64 / gain,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinate_cdf_known_values() {
        // d = 3: (x+1)/2 ~ Beta(1, 1), uniform on [−1, 1].
        let f = coordinate_cdf(3).unwrap();
        assert!((f(0.5) - 0.75).abs() < 1e-14);
        assert!((f(-1.0)).abs() < 1e-15);
        // Symmetric for any d.
        let g = coordinate_cdf(16).unwrap();
        assert!((g(0.0) - 0.5).abs() < 1e-12, "{}", g(0.0));
        assert!((g(0.3) + g(-0.3) - 1.0).abs() < 1e-12);
        assert!(coordinate_cdf(1).is_err());
    }

    #[test]
    fn orthogonality_of_exact_matrices() {
        let r = std::f64::consts::FRAC_1_SQRT_2;
        let rot = [r, -r, r, r];
        let ok = orthogonality(&rot, 2, 2, 1.0, Storage::F64).unwrap();
        assert!(ok.pass, "{ok:?}");
        let scaled: Vec<f64> = rot.iter().map(|x| x * 1.05).collect();
        assert!(
            !orthogonality(&scaled, 2, 2, 1.0, Storage::F64)
                .unwrap()
                .pass
        );
        assert!(
            orthogonality(&scaled, 2, 2, 1.05, Storage::F64)
                .unwrap()
                .pass
        );
        // Tall 3×1 unit column, wide 1×3 unit row.
        assert!(
            orthogonality(&[0.0, 1.0, 0.0], 3, 1, 1.0, Storage::F64)
                .unwrap()
                .pass
        );
        assert!(
            orthogonality(&[0.0, 1.0, 0.0], 1, 3, 1.0, Storage::F64)
                .unwrap()
                .pass
        );
        assert!(
            !orthogonality(&[f64::NAN, 1.0], 1, 2, 1.0, Storage::F64)
                .unwrap()
                .pass
        );
        assert!(matches!(
            orthogonality(&[1.0; 5], 2, 2, 1.0, Storage::F64),
            Err(HaarError::ShapeMismatch { .. })
        ));
        for gain in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(orthogonality(&rot, 2, 2, gain, Storage::F64).is_err());
        }
    }

    #[test]
    fn trace_test_values() {
        let t = trace_test(&[0.0; 4]).unwrap();
        assert_eq!((t.z, t.p_value, t.m), (0.0, 1.0, 4));
        let t = trace_test(&[-2.0; 4]).unwrap();
        assert_eq!(t.z, -4.0);
        assert!((t.p_value - 6.334_248_366_623_996e-5).abs() < 1e-15);
        assert_eq!(trace_test(&[]), Err(HaarError::Empty));
        assert_eq!(trace_test(&[f64::NAN]).unwrap().p_value, 0.0);
    }
}

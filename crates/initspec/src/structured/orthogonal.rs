//! Haar-random orthogonal matrices: Householder QR of an index-determined Gaussian matrix,
//! blocked (compact WY) and parallel over columns, in one fixed order of operations.

use rayon::prelude::*;

use super::{ORTHOGONAL_WORD, StructuredError, check_gain, numel};
use crate::Stream;

/// Width of a Householder panel (the block size of the compact WY representation).
const PANEL: usize = 64;

/// Columns updated together, sharing each read of the reflectors.
const GROUP: usize = 4;

/// Rows per block of the grouped column updates: 4 columns × 512 rows × 8 bytes = 16 KiB,
/// which stays in L1 while the panel's reflectors pass over it.
const ROWS: usize = 512;

/// Below this many multiply-adds a trailing update runs on the calling thread; the result is
/// the same either way (every column is computed alone, in the same order).
const PARALLEL_WORK: usize = 1 << 16;

/// 2⁻⁵³.
const TWO_M53: f64 = 1.0 / 9_007_199_254_740_992.0;
/// 2⁻⁵².
const TWO_M52: f64 = 2.0 * TWO_M53;

/// A Haar-random matrix with orthonormal rows or columns, of `shape` flattened to
/// `[rows = shape[0], cols = shape[1]·…·shape[r−1]]`, times `gain`, row-major.
///
/// # Formula
/// ```text
/// m = max(rows, cols), n = min(rows, cols)
/// Z[i][j] = g(i·n + j),  i < m, j < n       (g: standard normals of sub-stream 1, see below)
/// Z = Q·R                                   (Householder QR, R_ii = −sign(α)·‖·‖ as LAPACK)
/// Q ← Q·diag(sign R_ii)                     (sign(0) = +1; Mezzadri 2007)
/// W = gain · Q    if rows ≥ cols,   W = gain · Qᵀ   otherwise
/// ```
///
/// `g(2b)`, `g(2b+1)` are the Box–Muller pair of Philox block `b` in sub-stream
/// [`ORTHOGONAL_WORD`]: with `W₀ = w₁·2³² + w₀`, `W₁ = w₃·2³² + w₂`,
/// `u = (⌊W₀/2¹¹⌋ + 1)·2⁻⁵³`, `r = √(−2 ln u)`, `θ = 2π·⌊W₁/2¹²⌋·2⁻⁵²`,
/// `g(2b) = r cos θ`, `g(2b+1) = r sin θ` (libm, so the same bits on every platform).
///
/// The rows (rows ≤ cols) or columns (rows ≥ cols) of `W/gain` are orthonormal and uniformly
/// distributed on the Stiefel manifold; for a square shape `W/gain` is Haar on O(n). This is
/// the law of PyTorch's `orthogonal_` (which flattens the same way); Keras and JAX flatten
/// the leading dimensions instead (`[Π shape[..r−1], shape[r−1]]`).
///
/// The result depends only on `(shape, gain, stream)`: the Gaussian draws are
/// index-determined, and the blocked QR computes every column in one fixed order, whatever
/// the number of rayon threads.
///
/// # Performance
/// `(8/3)·n³` flops for a square `n × n` (QR, then `Q`), in panels of 64 reflectors applied
/// to groups of 4 columns in parallel (rayon). 4096 × 4096: 19.5 s on one core of the
/// development VM (Xeon, baseline x86-64 SSE2 code, no FMA), ≈ 9.4 GFLOP/s; nalgebra 0.35's
/// unblocked `qr()` + `q()` took 4.7 s at 2048 where this takes 2.5 s.
///
/// # Errors
/// [`StructuredError::Rank`] for rank < 2, [`StructuredError::NonFinite`] /
/// [`StructuredError::NotPositive`] for a bad `gain`, [`StructuredError::TooLarge`] when the
/// element count overflows. A shape with a zero dimension gives an empty vector.
///
/// # Example
/// ```
/// use initspec::Stream;
/// use initspec::structured::orthogonal;
///
/// let w = orthogonal(&[3, 5], 2.0, &Stream::new(42, "w")).unwrap();
/// // Rows are orthogonal with squared norm gain² = 4.
/// for i in 0..3 {
///     for j in 0..3 {
///         let dot: f64 = (0..5).map(|c| w[i * 5 + c] * w[j * 5 + c]).sum();
///         let want = if i == j { 4.0 } else { 0.0 };
///         assert!((dot - want).abs() < 1e-12);
///     }
/// }
/// ```
#[doc(alias = "orthogonal_")]
pub fn orthogonal(
    shape: &[usize],
    gain: f64,
    stream: &Stream,
) -> Result<Vec<f64>, StructuredError> {
    orthogonal_impl(shape, gain, stream, true)
}

/// [`orthogonal`] WITHOUT the sign fix `Q·diag(sign Rᵢᵢ)`: deliberately not Haar.
///
/// Householder QR makes `Rᵢᵢ = −sign(zᵢᵢ)‖·‖`, so the first column of `Q` always has
/// `Q₁₁ < 0`, and `E tr Q` is far from 0 (−1.6 at n = 8). It exists only as the negative
/// control of the Haar checks; never use it to initialize weights.
///
/// # Errors
/// As [`orthogonal`].
pub fn orthogonal_without_sign_fix(
    shape: &[usize],
    gain: f64,
    stream: &Stream,
) -> Result<Vec<f64>, StructuredError> {
    orthogonal_impl(shape, gain, stream, false)
}

fn orthogonal_impl(
    shape: &[usize],
    gain: f64,
    stream: &Stream,
    sign_fix: bool,
) -> Result<Vec<f64>, StructuredError> {
    if shape.len() < 2 {
        return Err(StructuredError::Rank {
            scheme: "orthogonal",
            rank: shape.len(),
            accepted: "2 or more",
        });
    }
    check_gain(gain)?;
    let total = numel(shape)?;
    if total == 0 {
        return Ok(Vec::new());
    }
    let rows = shape[0];
    let cols = total / rows;
    let (m, n) = (rows.max(cols), rows.min(cols));

    // Z in column-major storage: a[i + j·m] = g(i·n + j).
    let mut z = vec![0.0; total];
    gaussian(stream, ORTHOGONAL_WORD, &mut z);
    let mut a = vec![0.0; total];
    a.par_chunks_mut(m).enumerate().for_each(|(j, col)| {
        for (i, x) in col.iter_mut().enumerate() {
            *x = z[i * n + j];
        }
    });
    drop(z);

    let (q, diag) = thin_q(&mut a, m, n);
    drop(a);

    // Column j of Q scaled by gain·sign(R_jj); written row-major in the output's orientation.
    let scale: Vec<f64> = diag
        .iter()
        .map(|&r| if sign_fix && r < 0.0 { -gain } else { gain })
        .collect();
    let mut out = vec![0.0; total];
    if rows >= cols {
        // out[r·n + c] = Q[r, c]
        out.par_chunks_mut(n).enumerate().for_each(|(r, row)| {
            for (c, x) in row.iter_mut().enumerate() {
                *x = q[r + c * m] * scale[c];
            }
        });
    } else {
        // out[r·m + c] = Q[c, r]: row r of the output is column r of Q.
        out.par_chunks_mut(m)
            .zip(q.par_chunks(m))
            .zip(scale.par_iter())
            .for_each(|((row, qcol), &s)| {
                for (x, &v) in row.iter_mut().zip(qcol) {
                    *x = v * s;
                }
            });
    }
    Ok(out)
}

/// Fills `out[i]` with the standard normal `g(i)` of sub-stream `word2` (Box–Muller, libm).
pub(crate) fn gaussian(stream: &Stream, word2: u32, out: &mut [f64]) {
    out.par_chunks_mut(4096)
        .enumerate()
        .for_each(|(chunk, values)| {
            let start = chunk * 4096;
            for (k, pair) in values.chunks_mut(2).enumerate() {
                let block = ((start / 2) + k) as u64;
                let w = stream.block(block, word2);
                let w0 = (u64::from(w[1]) << 32) | u64::from(w[0]);
                let w1 = (u64::from(w[3]) << 32) | u64::from(w[2]);
                let u = ((w0 >> 11) as f64 + 1.0) * TWO_M53;
                let r = (-2.0 * libm::log(u)).sqrt();
                let theta = 2.0 * std::f64::consts::PI * ((w1 >> 12) as f64 * TWO_M52);
                pair[0] = r * libm::cos(theta);
                if pair.len() > 1 {
                    pair[1] = r * libm::sin(theta);
                }
            }
        });
}

/// Householder QR of the column-major `m × n` matrix `a` (m ≥ n ≥ 1), then the thin `Q`
/// (`m × n`, column-major) and the diagonal of `R`. `a` is overwritten by the factorization.
///
/// LAPACK conventions (`dgeqrf`, `dlarft`, `dorgqr`): reflector `j` is `I − τⱼ vⱼ vⱼᵀ` with
/// `vⱼ[j] = 1` and its tail stored below the diagonal; a panel of `b` reflectors acts as
/// `I − V T Vᵀ` with `T` upper triangular.
fn thin_q(a: &mut [f64], m: usize, n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut tau = vec![0.0; n];
    let mut panels = Vec::new();
    let mut k = 0;
    while k < n {
        let kb = PANEL.min(n - k);
        factor_panel(a, m, k, kb, &mut tau[k..k + kb]);
        let t = triangular_factor(a, m, k, kb, &tau[k..k + kb]);
        if k + kb < n {
            let (left, right) = a.split_at_mut((k + kb) * m);
            let left: &[f64] = left;
            for_each_column(right, m, (m - k) * kb, |col| {
                apply_block(left, m, k, kb, &t, true, col)
            });
        }
        panels.push((k, kb, t));
        k += kb;
    }
    let diag: Vec<f64> = (0..n).map(|j| a[j + j * m]).collect();

    let mut q = vec![0.0; m * n];
    for j in 0..n {
        q[j + j * m] = 1.0;
    }
    let a: &[f64] = a;
    for (k, kb, t) in panels.iter().rev() {
        let (k, kb) = (*k, *kb);
        for_each_column(&mut q[k * m..], m, (m - k) * kb, |col| {
            apply_block(a, m, k, kb, t, false, col)
        });
    }
    (q, diag)
}

/// Runs `f` on consecutive groups of up to [`GROUP`] length-`m` columns of `cols` (the groups
/// are fixed by column index), in parallel when the work is large.
fn for_each_column(
    cols: &mut [f64],
    m: usize,
    work_per_column: usize,
    f: impl Fn(&mut [f64]) + Sync,
) {
    let count = cols.len() / m;
    if count.saturating_mul(work_per_column) >= PARALLEL_WORK {
        cols.par_chunks_mut(GROUP * m).for_each(&f);
    } else {
        cols.chunks_mut(GROUP * m).for_each(f);
    }
}

/// Unblocked Householder QR of columns `k..k+kb`, rows `k..m` (LAPACK `dgeqr2`).
fn factor_panel(a: &mut [f64], m: usize, k: usize, kb: usize, tau: &mut [f64]) {
    for (p, tau_p) in tau.iter_mut().enumerate().take(kb) {
        let j = k + p;
        let (left, right) = a.split_at_mut((j + 1) * m);
        let col = &mut left[j * m..];
        let alpha = col[j];
        let sigma = dot(&col[j + 1..], &col[j + 1..]);
        let t = if sigma == 0.0 {
            // Already upper triangular here: H = I, R_jj = α.
            0.0
        } else {
            let norm = (alpha * alpha + sigma).sqrt();
            let beta = if alpha >= 0.0 { -norm } else { norm };
            let scale = 1.0 / (alpha - beta);
            for x in &mut col[j + 1..] {
                *x *= scale;
            }
            col[j] = beta;
            (beta - alpha) / beta
        };
        *tau_p = t;
        if t == 0.0 {
            continue;
        }
        let v = &col[j + 1..];
        for c in 0..(kb - p - 1) {
            let target = &mut right[c * m..(c + 1) * m];
            let w = t * (target[j] + dot(v, &target[j + 1..]));
            target[j] -= w;
            axpy(&mut target[j + 1..], -w, v);
        }
    }
}

/// The upper-triangular `T` (kb × kb, column-major) of `H₁⋯H_kb = I − V T Vᵀ` (LAPACK `dlarft`,
/// forward, column-wise).
fn triangular_factor(a: &[f64], m: usize, k: usize, kb: usize, tau: &[f64]) -> Vec<f64> {
    let mut t = vec![0.0; kb * kb];
    let mut z = vec![0.0; kb];
    for q in 0..kb {
        t[q + q * kb] = tau[q];
        if tau[q] == 0.0 {
            continue;
        }
        let jq = k + q;
        let vq = &a[jq * m + jq + 1..(jq + 1) * m];
        // z_p = v_pᵀ v_q: v_q is 0 above row jq and 1 at row jq.
        for (p, zp) in z.iter_mut().enumerate().take(q) {
            let jp = k + p;
            let vp = &a[jp * m..(jp + 1) * m];
            *zp = vp[jq] + dot(&vp[jq + 1..], vq);
        }
        // T[0..q, q] = −τ_q · T[0..q, 0..q] · z
        for p in 0..q {
            let mut s = 0.0;
            for r in p..q {
                s += t[p + r * kb] * z[r];
            }
            t[p + q * kb] = -tau[q] * s;
        }
    }
    t
}

/// Applies `I − V Tᵀ Vᵀ` (`transpose`) or `I − V T Vᵀ` to each of the up to [`GROUP`]
/// length-`m` columns in `cols`, where `V` holds the reflectors of columns `k..k+kb` of the
/// factored `a`. Each column's arithmetic is the same whatever group it falls in.
#[allow(
    clippy::needless_range_loop,
    reason = "p indexes the reflector: its column of `a`, its row of `w` and `y` at once"
)]
fn apply_block(
    a: &[f64],
    m: usize,
    k: usize,
    kb: usize,
    t: &[f64],
    transpose: bool,
    cols: &mut [f64],
) {
    let g = cols.len() / m;
    // w[c] = Vᵀ col_c, by blocks of ROWS rows so that the group's rows stay in L1 while every
    // reflector passes over them; the reflectors are read once for the whole group.
    let mut acc = [[[0.0f64; 4]; PANEL]; GROUP];
    let mut r0 = k + 1;
    while r0 < m {
        let r1 = (r0 + ROWS).min(m);
        for p in 0..kb {
            let j = k + p;
            let lo = r0.max(j + 1);
            if lo >= r1 {
                continue;
            }
            let v = &a[j * m + lo..j * m + r1];
            let part = |c: usize| {
                let c = c.min(g - 1);
                &cols[c * m + lo..c * m + r1]
            };
            accumulate_group(v, [part(0), part(1), part(2), part(3)], &mut acc, p);
        }
        r0 = r1;
    }
    let mut w = [[0.0; PANEL]; GROUP];
    for c in 0..g {
        for p in 0..kb {
            let l = &acc[c][p];
            w[c][p] = cols[c * m + k + p] + ((l[0] + l[2]) + (l[1] + l[3]));
        }
    }
    let mut y = [[0.0; PANEL]; GROUP];
    for (w, y) in w.iter().zip(y.iter_mut()).take(g) {
        for (p, yp) in y.iter_mut().enumerate().take(kb) {
            let mut s = 0.0;
            if transpose {
                // (Tᵀ w)_p = Σ_{r ≤ p} T[r, p] w_r
                for (r, wr) in w.iter().enumerate().take(p + 1) {
                    s += t[r + p * kb] * wr;
                }
            } else {
                // (T w)_p = Σ_{r ≥ p} T[p, r] w_r
                for (r, wr) in w.iter().enumerate().take(kb).skip(p) {
                    s += t[p + r * kb] * wr;
                }
            }
            *yp = s;
        }
    }
    // col_c −= V y_c, reflector by reflector; element-wise, so the bits of each column do not
    // depend on the grouping.
    if g == GROUP {
        let (c0, rest) = cols.split_at_mut(m);
        let (c1, rest) = rest.split_at_mut(m);
        let (c2, c3) = rest.split_at_mut(m);
        let mut r0 = k;
        while r0 < m {
            let r1 = (r0 + ROWS).min(m);
            for p in 0..kb {
                let j = k + p;
                if (r0..r1).contains(&j) {
                    c0[j] -= y[0][p];
                    c1[j] -= y[1][p];
                    c2[j] -= y[2][p];
                    c3[j] -= y[3][p];
                }
                let lo = r0.max(j + 1);
                if lo >= r1 {
                    continue;
                }
                let v = &a[j * m + lo..j * m + r1];
                let neg = [-y[0][p], -y[1][p], -y[2][p], -y[3][p]];
                let (t0, t1, t2, t3) = (
                    &mut c0[lo..r1],
                    &mut c1[lo..r1],
                    &mut c2[lo..r1],
                    &mut c3[lo..r1],
                );
                for i in 0..v.len() {
                    let x = v[i];
                    t0[i] += neg[0] * x;
                    t1[i] += neg[1] * x;
                    t2[i] += neg[2] * x;
                    t3[i] += neg[3] * x;
                }
            }
            r0 = r1;
        }
    } else {
        // Element by element the same operations in the same order as the grouped path.
        for (col, y) in cols.chunks_mut(m).zip(&y) {
            for (p, &yp) in y.iter().enumerate().take(kb) {
                let j = k + p;
                col[j] -= yp;
                axpy(&mut col[j + 1..], -yp, &a[j * m + j + 1..(j + 1) * m]);
            }
        }
    }
}

/// Adds `vᵢ·xᶜᵢ` into `acc[c][p][lane]`, lane = position mod 4 (the tail into lane 0); all `x`
/// have `v`'s length.
fn accumulate_group(v: &[f64], x: [&[f64]; GROUP], acc: &mut [[[f64; 4]; PANEL]; GROUP], p: usize) {
    let len = v.len();
    let [x0, x1, x2, x3] = x.map(|s| &s[..len]);
    let mut local = [acc[0][p], acc[1][p], acc[2][p], acc[3][p]];
    let body = len / 4 * 4;
    for i in (0..body).step_by(4) {
        let vv = &v[i..i + 4];
        let xs = [&x0[i..i + 4], &x1[i..i + 4], &x2[i..i + 4], &x3[i..i + 4]];
        for (acc_c, xc) in local.iter_mut().zip(xs) {
            for l in 0..4 {
                acc_c[l] += vv[l] * xc[l];
            }
        }
    }
    let xs = [x0, x1, x2, x3];
    for (acc_c, xc) in local.iter_mut().zip(xs) {
        for i in body..len {
            acc_c[0] += v[i] * xc[i];
        }
    }
    for (c, l) in local.into_iter().enumerate() {
        acc[c][p] = l;
    }
}

/// `Σ xᵢ yᵢ` over the common length, with eight partial sums in a fixed order (vectorizes
/// without reassociation, so the bits do not depend on the target's SIMD width).
fn dot(x: &[f64], y: &[f64]) -> f64 {
    let len = x.len().min(y.len());
    let (x, y) = (&x[..len], &y[..len]);
    let mut acc = [0.0f64; 8];
    let xc = x.chunks_exact(8);
    let yc = y.chunks_exact(8);
    let (xr, yr) = (xc.remainder(), yc.remainder());
    for (a, b) in xc.zip(yc) {
        for l in 0..8 {
            acc[l] += a[l] * b[l];
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (a, b) in xr.iter().zip(yr) {
        s += a * b;
    }
    s
}

/// `y += α·x` over the common length.
fn axpy(y: &mut [f64], alpha: f64, x: &[f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Max |WWᵀ − gain²·I| (rows ≤ cols) or |WᵀW − gain²·I| (rows ≥ cols) of a row-major matrix.
    fn gram_error(w: &[f64], rows: usize, cols: usize, gain: f64) -> f64 {
        let (short, long, stride_short, stride_long) = if rows <= cols {
            (rows, cols, cols, 1)
        } else {
            (cols, rows, 1, cols)
        };
        let mut worst = 0.0f64;
        for i in 0..short {
            for j in 0..short {
                let s: f64 = (0..long)
                    .map(|l| {
                        w[i * stride_short + l * stride_long]
                            * w[j * stride_short + l * stride_long]
                    })
                    .sum();
                let want = if i == j { gain * gain } else { 0.0 };
                worst = worst.max((s - want).abs());
            }
        }
        worst
    }

    /// The bound 50·n·ε·gain² of the orthogonality error, n the long side.
    fn bound(rows: usize, cols: usize, gain: f64) -> f64 {
        50.0 * rows.max(cols) as f64 * f64::EPSILON * gain * gain
    }

    #[test]
    fn orthonormal_for_tall_wide_square_and_conv_shapes() {
        let stream = Stream::new(7, "w");
        for (shape, gain) in [
            (vec![16usize, 16], 1.0),
            (vec![100, 37], 1.0),
            (vec![37, 100], 2.5),
            (vec![1, 9], 1.0),
            (vec![9, 1], 0.5),
            (vec![64, 3, 3, 3], 2f64.sqrt()),
            (vec![8, 16, 5], 1.0),
            (vec![130, 70], 1.0), // several panels, partial last panel
            (vec![70, 130], 1.0),
        ] {
            let w = orthogonal(&shape, gain, &stream).unwrap();
            let rows = shape[0];
            let cols = w.len() / rows;
            assert_eq!(w.len(), shape.iter().product::<usize>());
            let err = gram_error(&w, rows, cols, gain);
            assert!(
                err <= bound(rows, cols, gain),
                "{shape:?}: error {err:e} > {:e}",
                bound(rows, cols, gain)
            );
        }
    }

    #[test]
    fn sign_fix_makes_the_diagonal_of_r_positive() {
        // Q·diag(sign R) has R' = diag(sign R)·R with a positive diagonal, so the first
        // column of the fixed Q is z₁/‖z₁‖: its first entry has the sign of z₁₁.
        let n = 12;
        let mut positive_fixed = 0;
        let mut positive_raw = 0;
        for seed in 0..40 {
            let stream = Stream::new(seed, "q");
            let fixed = orthogonal(&[n, n], 1.0, &stream).unwrap();
            let raw = orthogonal_without_sign_fix(&[n, n], 1.0, &stream).unwrap();
            let mut z = vec![0.0; n * n];
            gaussian(&stream, ORTHOGONAL_WORD, &mut z);
            let norm = (0..n).map(|i| z[i * n] * z[i * n]).sum::<f64>().sqrt();
            for i in 0..n {
                assert!(
                    (fixed[i * n] - z[i * n] / norm).abs() < 1e-12,
                    "seed {seed}"
                );
            }
            // Without the fix, Q₁₁ = −|z₁₁|/‖z₁‖ < 0 always.
            assert!(raw[0] < 0.0, "seed {seed}");
            positive_fixed += usize::from(fixed[0] > 0.0);
            positive_raw += usize::from(raw[0] > 0.0);
            // The two differ by column signs only.
            for (a, b) in fixed.iter().zip(&raw) {
                assert_eq!(a.abs(), b.abs());
            }
        }
        assert!((10..=30).contains(&positive_fixed), "{positive_fixed}");
        assert_eq!(positive_raw, 0);
    }

    #[test]
    fn wide_is_the_transpose_of_the_tall_draw() {
        let stream = Stream::new(3, "t");
        let tall = orthogonal(&[40, 6], 1.0, &stream).unwrap();
        let wide = orthogonal(&[6, 40], 1.0, &stream).unwrap();
        for r in 0..40 {
            for c in 0..6 {
                assert_eq!(tall[r * 6 + c], wide[c * 40 + r]);
            }
        }
        // Gain scales exactly.
        let scaled = orthogonal(&[40, 6], 2.0, &stream).unwrap();
        for (a, b) in tall.iter().zip(&scaled) {
            assert_eq!(2.0 * a, *b);
        }
    }

    #[test]
    fn deterministic_and_thread_independent() {
        let stream = Stream::new(11, "layer.weight");
        let shape = [300, 200];
        let a = orthogonal(&shape, 1.0, &stream).unwrap();
        let b = orthogonal(&shape, 1.0, &stream).unwrap();
        assert_eq!(a, b);
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| orthogonal(&shape, 1.0, &stream).unwrap());
        let three = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap()
            .install(|| orthogonal(&shape, 1.0, &stream).unwrap());
        assert!(a.iter().zip(&one).all(|(x, y)| x.to_bits() == y.to_bits()));
        assert!(
            a.iter()
                .zip(&three)
                .all(|(x, y)| x.to_bits() == y.to_bits())
        );
        assert_ne!(
            a,
            orthogonal(&shape, 1.0, &Stream::new(12, "layer.weight")).unwrap()
        );
    }

    #[test]
    fn gaussian_is_index_determined_and_standard() {
        let stream = Stream::new(5, "g");
        let mut all = vec![0.0; 20_001];
        gaussian(&stream, ORTHOGONAL_WORD, &mut all);
        let mut head = vec![0.0; 9];
        gaussian(&stream, ORTHOGONAL_WORD, &mut head);
        assert_eq!(&all[..9], &head[..]);
        let n = all.len() as f64;
        let mean = all.iter().sum::<f64>() / n;
        let var = all.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
        // 6σ bounds: SE(mean) = 1/√n, SE(var) ≈ √(2/n).
        assert!(mean.abs() < 6.0 / n.sqrt(), "mean {mean}");
        assert!((var - 1.0).abs() < 6.0 * (2.0 / n).sqrt(), "var {var}");
        // Another sub-stream gives other values.
        let mut other = vec![0.0; 9];
        gaussian(&stream, 0, &mut other);
        assert_ne!(head, other);
    }

    #[test]
    fn pinned_values() {
        // Value stability: these bits change only with a value-breaking change (CHANGELOG.md).
        let w = orthogonal(&[3, 2], 1.0, &Stream::new(0, "weight")).unwrap();
        let bits: Vec<u64> = w.iter().map(|x| x.to_bits()).collect();
        assert_eq!(
            bits,
            [
                0x3feb2d5916f58d06,
                0x3fad3149126853f0,
                0xbfc9ef89f0142568,
                0x3fee80c1528bbcd4,
                0x3fdf333a8a876ee2,
                0x3fd2ffc2cf8faba2,
            ]
        );
        // A wide shape (QR of the 70×40 transpose, one partial panel).
        let w = orthogonal(&[40, 70], 1.0, &Stream::new(0, "weight")).unwrap();
        assert_eq!(w[0].to_bits(), 0x3fc8d052078a91d0);
        assert_eq!(w[2799].to_bits(), 0x3fb42887ae428956);
        // Three panels (64 + 64 + 12 reflectors) and the grouped column updates.
        let w = orthogonal(&[150, 140], 1.0, &Stream::new(0, "weight")).unwrap();
        assert_eq!(w[0].to_bits(), 0x3fc19c9bf21f0378);
        assert_eq!(w[10_000].to_bits(), 0x3fa65fa840d9a3c2);
        assert_eq!(w[20_999].to_bits(), 0xbfb10a14322e57d4);
    }

    #[test]
    fn errors_and_empty_shapes() {
        let s = Stream::new(0, "w");
        for shape in [&[][..], &[5][..]] {
            assert!(matches!(
                orthogonal(shape, 1.0, &s),
                Err(StructuredError::Rank { .. })
            ));
        }
        for gain in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(matches!(
                orthogonal(&[2, 2], gain, &s),
                Err(StructuredError::NonFinite { .. })
            ));
        }
        for gain in [0.0, -0.0, -1.0] {
            assert!(matches!(
                orthogonal(&[2, 2], gain, &s),
                Err(StructuredError::NotPositive { .. })
            ));
        }
        assert!(matches!(
            orthogonal(&[usize::MAX, 3], 1.0, &s),
            Err(StructuredError::TooLarge { .. })
        ));
        assert_eq!(orthogonal(&[0, 4], 1.0, &s).unwrap(), Vec::<f64>::new());
        assert_eq!(orthogonal(&[4, 0, 3], 1.0, &s).unwrap(), Vec::<f64>::new());
        assert_eq!(orthogonal(&[1, 1], 3.0, &s).unwrap().len(), 1);
        assert_eq!(orthogonal(&[1, 1], 3.0, &s).unwrap()[0].abs(), 3.0);
    }

    /// `cargo test --release -p initspec structured::orthogonal::tests::timing -- --ignored --nocapture`
    #[test]
    #[ignore = "timing only"]
    fn timing() {
        for n in [1024usize, 2048, 4096] {
            let start = std::time::Instant::now();
            let w = orthogonal(&[n, n], 1.0, &Stream::new(0, "big")).unwrap();
            println!(
                "{n}×{n}: {:.2} s ({} threads)",
                start.elapsed().as_secs_f64(),
                rayon::current_num_threads()
            );
            assert_eq!(w.len(), n * n);
        }
    }
}

//! The GEMM-shaped half of the blocked Householder QR: applying a panel of `kb` reflectors,
//! `C ← (I − V·M·Vᵀ)·C` with `M = T` or `Tᵀ`, to a block of columns, with register-blocked
//! micro-kernels in which every output element is computed in one fixed order.
//!
//! # Formula
//! For a block of `C` (`rows` rows from `row0`, `nc` columns), with `V` the `rows × kb` unit
//! lower trapezoidal reflector matrix (its ones and zeros included in the sums) and `M` the
//! `kb × kb` triangular factor:
//! ```text
//! W[p][c] = Σ_{i = 0 … rows−1} V[i][p] · C[i][c]                    (i ascending, from +0)
//! Y[p][c] = Σ_{r ∈ R(p)}       (−M[p][r]) · W[r][c]                 (r ascending, from +0)
//!           R(p) = 0..=p for M = Tᵀ (lower),  p..kb for M = T (upper)
//! C[i][c] ← (…((C[i][c] + V[i][0]·Y[0][c]) + V[i][1]·Y[1][c]) + …) + V[i][kb−1]·Y[kb−1][c]
//! ```
//! Each sum is a plain left-to-right chain of IEEE additions of rounded products (no FMA), so
//! an element's bits depend neither on the tile it falls in, nor on the vector width of the
//! instruction set the kernel was compiled for (`fill::dispatch` compiles it for AVX-512,
//! AVX2 and the baseline target), nor on how rayon splits the columns.
//!
//! # Kernel
//! All three products are one rank-1-update micro-kernel ([`MicroKernel`]): an `MR × NR` tile
//! of outputs stays in registers while the summation index `s` runs, adding
//! `a[s][0..MR] ⊗ (b₀[s], …, b_{NR−1}[s])`, the `a` values in vector lanes and each `b` value
//! broadcast. For `W` (and the Gram matrix `VᵀV` of `T`), `a` is a row of `V` (16 reflectors,
//! from a copy of `V` stored by tiles of 16 reflectors) and the `b` are `NR` columns of `C`,
//! read in place, `KC` rows at a time; for the update, `a` is 16 rows of a column of `V` (a
//! copy stored by micro-panels of 16 rows) and the `b` are `NR` columns of `Y`. The tile is
//! 16 × 12 (24 registers of 8 lanes) with AVX-512, 8 × 6 with AVX2 and 4 × 6 on the baseline
//! target. Without FMA each step is `MR·NR` multiplies and as many adds, so the kernel peaks
//! at 16 flops per cycle with AVX-512 (2 ports × 8 lanes); it sustains ≈ 35 GFLOP/s on the
//! development VM, where it takes ≈ 80 % of the time of a 4096 × 4096 orthogonal matrix.

/// Rows of a micro-panel of the column-major copy of `V`; the row tile of the kernel divides
/// it on every instruction set.
const MICRO_ROWS: usize = 16;

/// The reflector count of the row-major copy of `V` is padded to a multiple of this (a
/// multiple of the row tile of the kernel on every instruction set).
const P_PAD: usize = 16;

/// Rows of `C` per pass of the product `Vᵀ·C`: a 256 × 12 block of `C` (24 KiB) stays in L1
/// while the 4 tiles of 16 reflectors (256 × 16 each, 32 KiB) pass over it (128 and 512 were
/// no faster).
const KC: usize = 256;

/// One panel of `kb` Householder reflectors of length `rows`, packed for the micro-kernel,
/// with the triangular factor to apply.
#[derive(Debug, Clone)]
pub(crate) struct Reflectors {
    /// Length of the reflectors (`m − k`).
    rows: usize,
    /// Number of reflectors.
    kb: usize,
    /// `kb` rounded up to [`P_PAD`].
    kbp: usize,
    /// Row-major by tiles of [`P_PAD`] reflectors, each tile's rows contiguous:
    /// `vt[(⌊p/16⌋·rows + i)·16 + p mod 16] = V[i][p]` (0 for `p ≥ kb`).
    vt: Vec<f64>,
    /// Column-major micro-panels of [`MICRO_ROWS`] rows:
    /// `vc[(b·kb + p)·16 + r] = V[16b + r][p]` (0 past `rows`).
    vc: Vec<f64>,
    /// Column-major: `vcol[p·rows + i] = V[i][p]` (for the Gram matrix).
    vcol: Vec<f64>,
    /// Row-major `kb × kb`, transposed: `neg_mt[r·kb + p] = −M[p][r]`.
    neg_mt: Vec<f64>,
    /// `M = T` (upper triangular) rather than `Tᵀ` (lower).
    upper: bool,
}

impl Reflectors {
    /// Packs the `kb` reflectors of the factored panel `cols` (columns `k..k+kb` of a
    /// column-major `m`-row matrix, `ld` apart; LAPACK storage: `V[i][p] = 0` for `i < p`, `1`
    /// for `i = p`, and `cols[p·ld + k + i]` below), in the buffers of `spare` if given (a
    /// 4096-row panel takes 6 MiB, and allocating and freeing that per panel costs page faults
    /// and TLB shootdowns). The factor is left at zero; see [`Reflectors::set_factor`].
    pub(crate) fn new(
        spare: Option<Reflectors>,
        cols: &[f64],
        m: usize,
        ld: usize,
        k: usize,
        kb: usize,
    ) -> Reflectors {
        let rows = m - k;
        let kbp = kb.next_multiple_of(P_PAD);
        let zeroed = |buffer: Option<Vec<f64>>, len: usize| {
            let mut v = buffer.unwrap_or_default();
            v.clear();
            v.resize(len, 0.0);
            v
        };
        let (vt, vc, vcol, neg_mt) = match spare {
            Some(r) => (Some(r.vt), Some(r.vc), Some(r.vcol), Some(r.neg_mt)),
            None => (None, None, None, None),
        };
        let mut vt = zeroed(vt, rows * kbp);
        let mut vc = zeroed(vc, rows.div_ceil(MICRO_ROWS) * kb * MICRO_ROWS);
        let mut vcol = zeroed(vcol, rows * kb);
        for p in 0..kb {
            let col = &cols[p * ld + k..p * ld + m];
            let out = &mut vcol[p * rows..(p + 1) * rows];
            for (i, (&x, o)) in col.iter().zip(out).enumerate().skip(p) {
                let v = if i == p { 1.0 } else { x };
                *o = v;
                vt[((p / P_PAD) * rows + i) * P_PAD + p % P_PAD] = v;
                vc[((i / MICRO_ROWS) * kb + p) * MICRO_ROWS + i % MICRO_ROWS] = v;
            }
        }
        Reflectors {
            rows,
            kb,
            kbp,
            vt,
            vc,
            vcol,
            neg_mt: zeroed(neg_mt, kb * kb),
            upper: false,
        }
    }

    /// Number of reflectors.
    pub(crate) fn count(&self) -> usize {
        self.kb
    }

    /// Sets `M = T` (`transpose = false`) or `M = Tᵀ` (`transpose = true`), from the upper
    /// triangular `kb × kb` column-major `t` (`T[p][r] = t[p + r·kb]`).
    pub(crate) fn set_factor(&mut self, t: &[f64], transpose: bool) {
        let kb = self.kb;
        for r in 0..kb {
            for p in 0..kb {
                let m = if transpose {
                    t[r + p * kb]
                } else {
                    t[p + r * kb]
                };
                self.neg_mt[r * kb + p] = -m;
            }
        }
        self.upper = !transpose;
    }
}

/// A register-blocked micro-kernel on an `MR × NR` tile of accumulators.
trait MicroKernel<const MR: usize, const NR: usize> {
    /// `acc[j][r] += a[s·lda + r] · b[j·ldb + s]` for `s = 0, 1, …, steps − 1` in turn, so
    /// each element of the tile is one left-to-right chain of additions.
    fn run(acc: &mut [[f64; MR]; NR], a: &[f64], lda: usize, b: &[f64], ldb: usize, steps: usize);
}

/// `x[r] += a[r] · b` for every lane `r`.
#[inline(always)]
fn rank1<const MR: usize>(x: &mut [f64; MR], a: &[f64; MR], b: f64) {
    for (xr, &ar) in x.iter_mut().zip(a) {
        *xr += ar * b;
    }
}

/// Defines the micro-kernel `$name` on an `$mr × $nr` tile. The `$nr` columns of the tile are
/// written out (`$j`) so that every index into the accumulators is a constant and they live
/// in registers (LLVM does not unroll a loop over them, and then leaves them in memory).
macro_rules! micro_kernel {
    ($name:ident, $mr:literal, $nr:literal, [$($j:literal)*]) => {
        #[doc = concat!("The ", stringify!($mr), " × ", stringify!($nr), " micro-kernel.")]
        struct $name;

        impl MicroKernel<$mr, $nr> for $name {
            #[inline(always)]
            fn run(
                acc: &mut [[f64; $mr]; $nr],
                a: &[f64],
                lda: usize,
                b: &[f64],
                ldb: usize,
                steps: usize,
            ) {
                let mut x = *acc;
                let b = [$(&b[$j * ldb..][..steps]),*];
                for s in 0..steps {
                    let av: &[f64; $mr] = a[s * lda..][..$mr].try_into().unwrap();
                    $(rank1(&mut x[$j], av, b[$j][s]);)*
                }
                *acc = x;
            }
        }
    };
}

micro_kernel!(Tile16x12, 16, 12, [0 1 2 3 4 5 6 7 8 9 10 11]);
micro_kernel!(Tile8x6, 8, 6, [0 1 2 3 4 5]);
micro_kernel!(Tile4x6, 4, 6, [0 1 2 3 4 5]);

/// The Gram matrix `VᵀV` of the reflectors, column-major with column stride `kbp` (the
/// reflector count rounded up to 16): `G[p][q] = Σᵢ V[i][p]·V[i][q]` (i ascending, from +0)
/// at `q·kbp + p`. The same product as the update's, with `C = V`.
#[inline(always)]
fn gram<const MR: usize, const NR: usize, K: MicroKernel<MR, NR>>(
    refl: &Reflectors,
) -> (Vec<f64>, usize) {
    let (rows, kb, kbp) = (refl.rows, refl.kb, refl.kbp);
    let ncp = kb.next_multiple_of(NR);
    let mut w = vec![0.0; ncp * kbp];
    product::<MR, NR, K>(refl, &refl.vcol, rows, kb, &mut w);
    (w, kbp)
}

/// `C ← (I − V·M·Vᵀ)·C` on rows `row0..row0 + rows` of the column-major block `cols` (columns
/// `ld` apart, `cols.len() / ld` of them), as the module's Formula, with the `MR × NR`
/// micro-kernel `K`.
#[inline(always)]
fn apply<const MR: usize, const NR: usize, K: MicroKernel<MR, NR>>(
    refl: &Reflectors,
    cols: &mut [f64],
    ld: usize,
    row0: usize,
) {
    const { assert!(P_PAD.is_multiple_of(MR) && MICRO_ROWS.is_multiple_of(MR)) };
    assert!(row0 + refl.rows <= ld);
    let nc = cols.len() / ld;
    if nc == 0 || refl.kb == 0 {
        return;
    }
    let ncp = nc.next_multiple_of(NR);
    let mut w = vec![0.0; ncp * refl.kbp];
    product::<MR, NR, K>(refl, &cols[row0..], ld, nc, &mut w);
    let mut y = vec![0.0; ncp * refl.kbp];
    times_factor(refl, &w, &mut y);
    update::<MR, NR, K>(refl, cols, ld, row0, nc, &y);
}

/// `w[c·kbp + p] += Σᵢ V[i][p] · src[c·lds + i]` (i ascending) for `p < kbp`, `c < nc` (the
/// columns of `w` up to a multiple of `NR` get zeros); `w` starts at zero, so this is the `W`
/// of the Formula, column-major.
#[inline(always)]
fn product<const MR: usize, const NR: usize, K: MicroKernel<MR, NR>>(
    refl: &Reflectors,
    src: &[f64],
    lds: usize,
    nc: usize,
    w: &mut [f64],
) {
    let (rows, kbp) = (refl.rows, refl.kbp);
    let mut tail = Vec::new();
    let mut i0 = 0;
    while i0 < rows {
        let ib = KC.min(rows - i0);
        let mut c0 = 0;
        while c0 < nc {
            let valid = NR.min(nc - c0);
            // The tile's columns of C, rows i0..i0+ib; a partial tile is copied, with zero
            // columns, so that the kernel reads only memory it may.
            let (b, ldb) = if valid == NR {
                (&src[c0 * lds + i0..], lds)
            } else {
                tail.clear();
                tail.resize(NR * ib, 0.0);
                for (c, col) in tail.chunks_exact_mut(ib).take(valid).enumerate() {
                    let at = (c0 + c) * lds + i0;
                    col.copy_from_slice(&src[at..at + ib]);
                }
                (&tail[..], ib)
            };
            let mut p0 = 0;
            while p0 < kbp {
                let mut acc = [[0.0; MR]; NR];
                for (j, col) in acc.iter_mut().enumerate() {
                    let at = (c0 + j) * kbp + p0;
                    col.copy_from_slice(&w[at..at + MR]);
                }
                let a = &refl.vt[((p0 / P_PAD) * rows + i0) * P_PAD + p0 % P_PAD..];
                K::run(&mut acc, a, P_PAD, b, ldb, ib);
                for (j, col) in acc.iter().enumerate() {
                    let at = (c0 + j) * kbp + p0;
                    w[at..at + MR].copy_from_slice(col);
                }
                p0 += MR;
            }
            c0 += NR;
        }
        i0 += ib;
    }
}

/// `y[c·kbp + p] = Σ_{r ∈ R(p)} (−M[p][r]) · w[c·kbp + r]` (r ascending, from +0) for `p < kb`
/// and every column of `w`: the `Y` of the Formula, column-major.
#[inline(always)]
fn times_factor(refl: &Reflectors, w: &[f64], y: &mut [f64]) {
    let (kb, kbp) = (refl.kb, refl.kbp);
    for (wc, yc) in w.chunks_exact(kbp).zip(y.chunks_exact_mut(kbp)) {
        let yc = &mut yc[..kb];
        yc.fill(0.0);
        for (r, &wr) in wc[..kb].iter().enumerate() {
            // R(p) ∋ r  ⇔  p ≤ r (M upper) or p ≥ r (M lower).
            let (lo, hi) = if refl.upper { (0, r + 1) } else { (r, kb) };
            let m = &refl.neg_mt[r * kb + lo..r * kb + hi];
            for (yp, &mp) in yc[lo..hi].iter_mut().zip(m) {
                *yp += mp * wr;
            }
        }
    }
}

/// `C[i][c] ← C[i][c] + Σ_p V[i][p]·y[c·kbp + p]` (p ascending, into `C[i][c]`) for rows
/// `row0..row0 + rows` and the `nc` columns of `cols`.
#[inline(always)]
fn update<const MR: usize, const NR: usize, K: MicroKernel<MR, NR>>(
    refl: &Reflectors,
    cols: &mut [f64],
    ld: usize,
    row0: usize,
    nc: usize,
    y: &[f64],
) {
    let (rows, kb, kbp) = (refl.rows, refl.kb, refl.kbp);
    for (b, panel) in refl.vc.chunks_exact(kb * MICRO_ROWS).enumerate() {
        for r0 in (0..MICRO_ROWS).step_by(MR) {
            let i = b * MICRO_ROWS + r0;
            if i >= rows {
                break;
            }
            let valid_rows = MR.min(rows - i);
            let mut c0 = 0;
            while c0 < nc {
                let valid_cols = NR.min(nc - c0);
                let full = valid_rows == MR && valid_cols == NR;
                let at = |c: usize| (c0 + c) * ld + row0 + i;
                let mut acc = [[0.0; MR]; NR];
                for (c, col) in acc.iter_mut().enumerate().take(valid_cols) {
                    if full {
                        col.copy_from_slice(&cols[at(c)..at(c) + MR]);
                    } else {
                        col[..valid_rows].copy_from_slice(&cols[at(c)..at(c) + valid_rows]);
                    }
                }
                K::run(&mut acc, &panel[r0..], MICRO_ROWS, &y[c0 * kbp..], kbp, kb);
                for (c, col) in acc.iter().enumerate().take(valid_cols) {
                    if full {
                        cols[at(c)..at(c) + MR].copy_from_slice(col);
                    } else {
                        cols[at(c)..at(c) + valid_rows].copy_from_slice(&col[..valid_rows]);
                    }
                }
                c0 += NR;
            }
        }
    }
}

/// [`apply`] with the AVX-512 tile: 16 × 12, i.e. 2 × 12 = 24 accumulators of 8 lanes.
#[inline(always)]
pub(crate) fn apply_512(refl: &Reflectors, cols: &mut [f64], ld: usize, row0: usize) {
    apply::<16, 12, Tile16x12>(refl, cols, ld, row0)
}

/// [`apply`] with the AVX2 tile: 8 × 6, 12 accumulators of 4 lanes.
#[inline(always)]
pub(crate) fn apply_256(refl: &Reflectors, cols: &mut [f64], ld: usize, row0: usize) {
    apply::<8, 6, Tile8x6>(refl, cols, ld, row0)
}

/// [`apply`] with the baseline tile (SSE2 / NEON): 4 × 6, 12 accumulators of 2 lanes.
#[inline(always)]
pub(crate) fn apply_128(refl: &Reflectors, cols: &mut [f64], ld: usize, row0: usize) {
    apply::<4, 6, Tile4x6>(refl, cols, ld, row0)
}

/// [`gram`] with the AVX-512 tile.
#[inline(always)]
pub(crate) fn gram_512(refl: &Reflectors) -> (Vec<f64>, usize) {
    gram::<16, 12, Tile16x12>(refl)
}

/// [`gram`] with the AVX2 tile.
#[inline(always)]
pub(crate) fn gram_256(refl: &Reflectors) -> (Vec<f64>, usize) {
    gram::<8, 6, Tile8x6>(refl)
}

/// [`gram`] with the baseline tile.
#[inline(always)]
pub(crate) fn gram_128(refl: &Reflectors) -> (Vec<f64>, usize) {
    gram::<4, 6, Tile4x6>(refl)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fill::KernelPath;

    /// Deterministic values in (−1, 1) (a 64-bit LCG's top bits).
    fn values(seed: u64, len: usize) -> Vec<f64> {
        let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..len)
            .map(|_| {
                s = s
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                ((s >> 11) as f64) * (2.0 / 9_007_199_254_740_992.0) - 1.0
            })
            .collect()
    }

    /// The module's Formula, element by element, in its stated order.
    #[allow(
        clippy::too_many_arguments,
        reason = "the reference takes the whole problem"
    )]
    fn reference(
        a: &[f64],
        m: usize,
        ld: usize,
        k: usize,
        kb: usize,
        t: &[f64],
        transpose: bool,
        cols: &mut [f64],
    ) {
        let rows = m - k;
        let v = |i: usize, p: usize| match i.cmp(&p) {
            std::cmp::Ordering::Less => 0.0,
            std::cmp::Ordering::Equal => 1.0,
            std::cmp::Ordering::Greater => a[(k + p) * ld + k + i],
        };
        let m_of = |p: usize, r: usize| {
            if transpose {
                t[r + p * kb]
            } else {
                t[p + r * kb]
            }
        };
        for col in cols.chunks_exact_mut(ld) {
            let c = &mut col[k..k + rows];
            let w: Vec<f64> = (0..kb)
                .map(|p| (0..rows).fold(0.0, |s, i| s + v(i, p) * c[i]))
                .collect();
            let y: Vec<f64> = (0..kb)
                .map(|p| {
                    let range = if transpose { 0..p + 1 } else { p..kb };
                    range.fold(0.0, |s, r| s + -m_of(p, r) * w[r])
                })
                .collect();
            for (i, ci) in c.iter_mut().enumerate() {
                *ci = (0..kb).fold(*ci, |s, p| s + v(i, p) * y[p]);
            }
        }
    }

    #[test]
    fn every_path_computes_the_formula_to_the_bit() {
        // Partial row tiles (rows = 131 − 3), a partial reflector tile (kb = 21 < 32), and
        // partial column tiles (29 columns) on every path.
        let (m, ld, k, kb, nc) = (131, 136, 3, 21, 29);
        let a = values(1, ld * (k + kb));
        let mut t = values(2, kb * kb);
        for p in 0..kb {
            for r in 0..p {
                t[p + r * kb] = 0.0; // upper triangular
            }
        }
        let start = values(3, ld * nc);
        for transpose in [false, true] {
            let mut want = start.clone();
            reference(&a, m, ld, k, kb, &t, transpose, &mut want);
            let mut refl = Reflectors::new(None, &a[k * ld..], m, ld, k, kb);
            refl.set_factor(&t, transpose);
            for path in KernelPath::supported() {
                let mut got = start.clone();
                path.qr_apply(&refl, &mut got, ld, k);
                for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                    assert_eq!(
                        g.to_bits(),
                        w.to_bits(),
                        "{path} transpose={transpose} at {i}"
                    );
                }
            }
        }
        // The Gram matrix, in the order of the Formula's W.
        let refl = Reflectors::new(None, &a[k * ld..], m, ld, k, kb);
        for path in KernelPath::supported() {
            let (g, ldg) = path.qr_gram(&refl);
            for p in 0..kb {
                for q in 0..kb {
                    let v = |i: usize, p: usize| {
                        refl.vt[((p / P_PAD) * refl.rows + i) * P_PAD + p % P_PAD]
                    };
                    let want = (0..m - k).fold(0.0, |s, i| s + v(i, p) * v(i, q));
                    assert_eq!(
                        g[q * ldg + p].to_bits(),
                        want.to_bits(),
                        "{path} G[{p}][{q}]"
                    );
                }
            }
        }
    }
}

//! Double-precision kernels: two 32-bit Philox words per element, 32 elements per tile.
//!
//! Element `i` uses the 64-bit word `W = w₂ₖ₊₁·2³² + w₂ₖ`, `k = i mod 2`, of block `⌊i/2⌋`:
//!
//! ```text
//! uniform    u = ⌊W/2¹¹⌋·2⁻⁵³ ∈ [0, 1);             x = min(a + (b − a)·u, b⁻)
//! normal     Box–Muller on the block's two 64-bit words (W₀, W₁):
//!            u₁ = (⌊W₀/2¹¹⌋ + 1)·2⁻⁵³ ∈ (0, 1],  r = √(−2 ln u₁),  θ = 2π·⌊W₁/2¹²⌋/2⁵²
//!            x₀ = mean + std·r·cos θ,  x₁ = mean + std·r·sin θ
//! truncated  u = (2⌊W/2¹²⌋ + 1)·2⁻⁵³ ∈ (0, 1);  inversion from the nearer tail as in single
//!            precision, with Φ⁻¹ to within a few ulp (Wichura's AS 241, branch-free)
//! ```
//!
//! Tail reach of the normal kernel: `u₁ ≥ 2⁻⁵³`, so `|z| ≤ √(106 ln 2) = 8.57`.
//!
//! Uniform and normal are vectorized like the single-precision kernels (word arrays, selects,
//! integer-to-float conversions done exactly with bit operations, since x86 has no vector
//! `i64 → f64` conversion below AVX-512DQ). The truncated normal evaluates
//! [`special::lower_quantile`](crate::special) (AS 241) for every element without branches:
//! all three of its regions and the logarithm in every lane, then a select.

use super::TileKernel;
use super::math::{clamp_f64, cos_sin_turns_f64, ln_f64, u64_to_f64_exact};
use super::plan::TruncatedPlan;
use crate::philox::philox_lanes;
use crate::special;

/// Philox blocks per tile.
pub(crate) const BLOCKS: usize = 16;
/// Elements per tile.
pub(crate) const TILE: usize = 2 * BLOCKS;

/// 2⁻⁵³.
const TWO_M53: f64 = 1.0 / 9_007_199_254_740_992.0;

/// The two 64-bit words of the tile's blocks: `wide[k][j]` = `W_k` of block `BLOCKS·tile + j`.
#[inline(always)]
fn tile_words(key: [u32; 2], tile: u64) -> [[u64; BLOCKS]; 2] {
    let first = tile * BLOCKS as u64;
    let mut lo = [0u32; BLOCKS];
    let mut hi = [0u32; BLOCKS];
    for j in 0..BLOCKS {
        let block = first + j as u64;
        lo[j] = block as u32;
        hi[j] = (block >> 32) as u32;
    }
    let w = philox_lanes(&lo, &hi, 0, key);
    let mut wide = [[0u64; BLOCKS]; 2];
    for j in 0..BLOCKS {
        wide[0][j] = (u64::from(w[1][j]) << 32) | u64::from(w[0][j]);
        wide[1][j] = (u64::from(w[3][j]) << 32) | u64::from(w[2][j]);
    }
    wide
}

/// Writes the per-word arrays in element order: `out[2j + k] = v[k][j]`.
#[inline(always)]
fn interleave(v: &[[f64; BLOCKS]; 2], out: &mut [f64; TILE]) {
    for j in 0..BLOCKS {
        out[2 * j] = v[0][j];
        out[2 * j + 1] = v[1][j];
    }
}

/// The uniform law `U(a, b)`; `below_b` is the largest float below `b`.
pub(crate) struct Uniform {
    pub key: [u32; 2],
    pub a: f64,
    pub width: f64,
    pub below_b: f64,
}

impl TileKernel<f64, TILE> for Uniform {
    #[inline(always)]
    fn tile(&self, tile: u64, out: &mut [f64; TILE]) {
        let wide = tile_words(self.key, tile);
        let mut v = [[0f64; BLOCKS]; 2];
        for j in 0..BLOCKS {
            for k in 0..2 {
                let u = u64_to_f64_exact(wide[k][j] >> 11) * TWO_M53;
                v[k][j] = (self.a + self.width * u).min(self.below_b);
            }
        }
        interleave(&v, out);
    }
}

/// The normal law `N(mean, std²)`.
pub(crate) struct Normal {
    pub key: [u32; 2],
    pub mean: f64,
    pub std: f64,
}

impl TileKernel<f64, TILE> for Normal {
    #[inline(always)]
    fn tile(&self, tile: u64, out: &mut [f64; TILE]) {
        let wide = tile_words(self.key, tile);
        let mut v = [[0f64; BLOCKS]; 2];
        for j in 0..BLOCKS {
            let (z0, z1) = box_muller(wide[0][j], wide[1][j]);
            v[0][j] = self.mean + self.std * z0;
            v[1][j] = self.mean + self.std * z1;
        }
        interleave(&v, out);
    }
}

/// Two standard normals from two 64-bit words (Box–Muller).
#[inline(always)]
fn box_muller(w0: u64, w1: u64) -> (f64, f64) {
    let u1 = u64_to_f64_exact((w0 >> 11) + 1) * TWO_M53;
    let r = (-2.0 * ln_f64(u1)).max(0.0).sqrt();
    let (c, s) = cos_sin_turns_f64(w1 >> 12);
    (r * c, r * s)
}

/// The truncated normal law.
pub(crate) struct Truncated {
    pub key: [u32; 2],
    pub plan: TruncatedPlan<f64>,
}

impl TileKernel<f64, TILE> for Truncated {
    /// By inversion from the nearer tail, in three passes over the tile's 32 values
    /// (the nearer-tail probability, AS 241's `√(−ln p)`, then the quantile and the affine
    /// map): each pass is a short loop over independent values, so vector lanes and
    /// out-of-order execution overlap them, where one pass per value would wait on a chain of
    /// a division, a square root, a division and fourteen dependent multiply-adds. The
    /// operations and their order per value are those of
    /// [`special::lower_quantile`](crate::special), so the bits are too.
    #[inline(always)]
    fn tile(&self, tile: u64, out: &mut [f64; TILE]) {
        let plan = &self.plan;
        let wide = tile_words(self.key, tile);
        let mut nearer = [[0f64; BLOCKS]; 2];
        let mut sign = [[0f64; BLOCKS]; 2];
        for k in 0..2 {
            for j in 0..BLOCKS {
                let u = u64_to_f64_exact(((wide[k][j] >> 12) << 1) | 1) * TWO_M53;
                let p = plan.lower + u * plan.mass;
                let q = plan.upper + (1.0 - u) * plan.mass;
                let upper = q < p;
                nearer[k][j] = if upper { q } else { p };
                sign[k][j] = if upper { -1.0 } else { 1.0 };
            }
        }
        let mut root = [[0f64; BLOCKS]; 2];
        for k in 0..2 {
            for j in 0..BLOCKS {
                root[k][j] = special::as241_root(nearer[k][j]);
            }
        }
        let mut v = [[0f64; BLOCKS]; 2];
        for k in 0..2 {
            for j in 0..BLOCKS {
                let z = sign[k][j] * special::as241(nearer[k][j], root[k][j]);
                let z = clamp_f64(z, plan.alpha, plan.beta);
                v[k][j] = clamp_f64(plan.mean + plan.std * z, plan.a, plan.b);
            }
        }
        interleave(&v, out);
    }
}

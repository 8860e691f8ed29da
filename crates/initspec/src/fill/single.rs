//! Single-precision kernels: one 32-bit Philox word per element, 64 elements per tile.
//!
//! Element `i` uses word `i mod 4` of the block `⌊i/4⌋`:
//!
//! ```text
//! uniform    u = ⌊w/2⁸⌋·2⁻²⁴ ∈ [0, 1);            x = min(a + (b − a)·u, b⁻)   (b⁻: the float below b)
//! normal     Box–Muller on the words (w₀, w₁) and (w₂, w₃) of a block:
//!            u₁ = ⌊w₀/2⌋·2⁻³¹ + 2⁻³² ∈ (0, 1],  r = √(−2 ln u₁),  θ = 2π·⌊w₁/2⁸⌋/2²⁴
//!            x₀ = mean + std·r·cos θ,  x₁ = mean + std·r·sin θ
//! truncated  u = (2⌊w/2⁹⌋ + 1)·2⁻²⁴ ∈ (0, 1), symmetric;  p = Φ(α) + u·Z,  q = 1 − Φ(β) + (1 − u)·Z
//!            z = Φ⁻¹(p) if p ≤ q else −Φ⁻¹(q);  x = clamp(mean + std·z, a, b)
//! ```
//!
//! Tail reach of the normal kernel: `u₁ ≥ 2⁻³²`, so `|z| ≤ √(64 ln 2) = 6.66`; the mass beyond
//! is 2.7e-11 (one element in 3.7e10).
//!
//! # How the tile is computed
//!
//! The 16 blocks of a tile are generated together in struct-of-arrays form
//! ([`philox_lanes`]): `words[k][j]` is word `k` of block `j`. Each transform then runs over
//! whole word arrays (`[f32; 16]`, one AVX-512 register or two AVX2 registers), with every
//! branch written as a select, so that LLVM vectorizes it; the results are interleaved into
//! element order only at the end. Each output element is still computed by exactly the
//! operations written above, in the same order, so the bytes do not depend on how the lanes
//! are grouped, nor on the instruction set the kernel was compiled for (see `dispatch`).

use super::TileKernel;
use super::math::{cos_sin_turns_f32, ln_f32, probit_lower_f32};
use super::plan::TruncatedPlan;
use crate::philox::philox_lanes;

/// Philox blocks per tile.
pub(crate) const BLOCKS: usize = 16;
/// Elements per tile.
pub(crate) const TILE: usize = 4 * BLOCKS;

/// 2⁻²⁴.
const TWO_M24: f32 = 1.0 / 16_777_216.0;
/// 2⁻³¹.
const TWO_M31: f32 = 1.0 / 2_147_483_648.0;
/// 2⁻³².
const TWO_M32: f32 = 1.0 / 4_294_967_296.0;

/// The four words of the tile's 16 blocks, `words[k][j]` = word `k` of block `16·tile + j`.
#[inline(always)]
fn tile_words(key: [u32; 2], tile: u64) -> [[u32; BLOCKS]; 4] {
    let first = tile * BLOCKS as u64;
    let lo: [u32; BLOCKS] = std::array::from_fn(|j| (first + j as u64) as u32);
    let hi: [u32; BLOCKS] = std::array::from_fn(|j| ((first + j as u64) >> 32) as u32);
    philox_lanes(&lo, &hi, 0, key)
}

/// Writes the per-word arrays in element order: `out[4j + k] = v[k][j]`.
#[inline(always)]
fn interleave(v: &[[f32; BLOCKS]; 4], out: &mut [f32; TILE]) {
    for j in 0..BLOCKS {
        out[4 * j] = v[0][j];
        out[4 * j + 1] = v[1][j];
        out[4 * j + 2] = v[2][j];
        out[4 * j + 3] = v[3][j];
    }
}

/// The uniform law `U(a, b)`; `below_b` is the largest float below `b`.
pub(crate) struct Uniform {
    pub key: [u32; 2],
    pub a: f32,
    pub width: f32,
    pub below_b: f32,
}

impl TileKernel<f32, TILE> for Uniform {
    #[inline(always)]
    fn tile(&self, tile: u64, out: &mut [f32; TILE]) {
        let words = tile_words(self.key, tile);
        let mut v = [[0f32; BLOCKS]; 4];
        for k in 0..4 {
            for j in 0..BLOCKS {
                v[k][j] = uniform_value(self.a, self.width, self.below_b, words[k][j]);
            }
        }
        interleave(&v, out);
    }
}

/// `min(a + width·u, b⁻)` with `u = ⌊w/2⁸⌋·2⁻²⁴`.
#[inline(always)]
pub(crate) fn uniform_value(a: f32, width: f32, below_b: f32, w: u32) -> f32 {
    let u = (w >> 8) as i32 as f32 * TWO_M24;
    (a + width * u).min(below_b)
}

/// The normal law `N(mean, std²)`.
pub(crate) struct Normal {
    pub key: [u32; 2],
    pub mean: f32,
    pub std: f32,
}

impl TileKernel<f32, TILE> for Normal {
    #[inline(always)]
    fn tile(&self, tile: u64, out: &mut [f32; TILE]) {
        let words = tile_words(self.key, tile);
        let mut v = [[0f32; BLOCKS]; 4];
        for pair in 0..2 {
            for j in 0..BLOCKS {
                let (z0, z1) = box_muller(words[2 * pair][j], words[2 * pair + 1][j]);
                v[2 * pair][j] = self.mean + self.std * z0;
                v[2 * pair + 1][j] = self.mean + self.std * z1;
            }
        }
        interleave(&v, out);
    }
}

/// Two standard normals from two words (Box–Muller).
#[inline(always)]
pub(crate) fn box_muller(w0: u32, w1: u32) -> (f32, f32) {
    let u1 = (w0 >> 1) as i32 as f32 * TWO_M31 + TWO_M32;
    let r = (-2.0 * ln_f32(u1)).max(0.0).sqrt();
    let (c, s) = cos_sin_turns_f32(w1 >> 8);
    (r * c, r * s)
}

/// The truncated normal law.
pub(crate) struct Truncated {
    pub key: [u32; 2],
    pub plan: TruncatedPlan<f32>,
}

impl TileKernel<f32, TILE> for Truncated {
    #[inline(always)]
    fn tile(&self, tile: u64, out: &mut [f32; TILE]) {
        let words = tile_words(self.key, tile);
        let mut v = [[0f32; BLOCKS]; 4];
        for k in 0..4 {
            for j in 0..BLOCKS {
                v[k][j] = truncated_value(&self.plan, words[k][j]);
            }
        }
        interleave(&v, out);
    }
}

/// One truncated normal from one word, by inversion from the nearer tail.
#[inline(always)]
pub(crate) fn truncated_value(plan: &TruncatedPlan<f32>, w: u32) -> f32 {
    let u = ((w >> 9) * 2 + 1) as i32 as f32 * TWO_M24;
    let p = plan.lower + u * plan.mass;
    let q = plan.upper + (1.0 - u) * plan.mass;
    let from_upper = q < p;
    let z = probit_lower_f32(if from_upper { q } else { p });
    let z = if from_upper { -z } else { z };
    let z = z.clamp(plan.alpha, plan.beta);
    (plan.mean + plan.std * z).clamp(plan.a, plan.b)
}

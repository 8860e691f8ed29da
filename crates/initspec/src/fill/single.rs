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

use super::math::{cos_sin_turns_f32, ln_f32, probit_lower_f32};
use super::plan::{Plan, TruncatedPlan};
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

/// Fills `out` with elements `TILE·tile .. TILE·(tile + 1)` of the law.
#[inline(always)]
pub(crate) fn tile(plan: &Plan<f32>, key: [u32; 2], tile: u64, out: &mut [f32; TILE]) {
    if let Plan::Constant(value) = *plan {
        out.fill(value);
        return;
    }
    let first = tile * BLOCKS as u64;
    let lo: [u32; BLOCKS] = std::array::from_fn(|j| (first + j as u64) as u32);
    let hi: [u32; BLOCKS] = std::array::from_fn(|j| ((first + j as u64) >> 32) as u32);
    let words = philox_lanes(&lo, &hi, 0, key);
    match *plan {
        Plan::Uniform { a, width, below_b } => {
            for j in 0..BLOCKS {
                for (k, word) in words.iter().enumerate() {
                    let u = (word[j] >> 8) as i32 as f32 * TWO_M24;
                    out[4 * j + k] = (a + width * u).min(below_b);
                }
            }
        }
        Plan::Normal { mean, std } => {
            for j in 0..BLOCKS {
                for pair in 0..2 {
                    let (z0, z1) = box_muller(words[2 * pair][j], words[2 * pair + 1][j]);
                    out[4 * j + 2 * pair] = mean + std * z0;
                    out[4 * j + 2 * pair + 1] = mean + std * z1;
                }
            }
        }
        Plan::Truncated(ref plan) => {
            for j in 0..BLOCKS {
                for (k, word) in words.iter().enumerate() {
                    out[4 * j + k] = truncated(plan, word[j]);
                }
            }
        }
        Plan::Constant(_) | Plan::TruncatedViaDouble => {
            unreachable!("constant laws return early; TruncatedViaDouble never reaches this kernel")
        }
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

/// One truncated normal from one word, by inversion from the nearer tail.
#[inline(always)]
fn truncated(plan: &TruncatedPlan<f32>, w: u32) -> f32 {
    let u = ((w >> 9) * 2 + 1) as i32 as f32 * TWO_M24;
    let p = plan.lower + u * plan.mass;
    let q = plan.upper + (1.0 - u) * plan.mass;
    let from_upper = q < p;
    let z = probit_lower_f32(if from_upper { q } else { p });
    let z = if from_upper { -z } else { z };
    let z = z.clamp(plan.alpha, plan.beta);
    (plan.mean + plan.std * z).clamp(plan.a, plan.b)
}

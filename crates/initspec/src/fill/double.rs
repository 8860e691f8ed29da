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
//!            precision, with Φ⁻¹ to full double precision (Acklam + one Halley step on libm's erfc)
//! ```
//!
//! Tail reach of the normal kernel: `u₁ ≥ 2⁻⁵³`, so `|z| ≤ √(106 ln 2) = 8.57`.

use super::math::{cos_sin_turns_f64, ln_f64};
use super::plan::{Plan, TruncatedPlan};
use crate::philox::philox_lanes;
use crate::special;

/// Philox blocks per tile.
pub(crate) const BLOCKS: usize = 16;
/// Elements per tile.
pub(crate) const TILE: usize = 2 * BLOCKS;

/// 2⁻⁵³.
const TWO_M53: f64 = 1.0 / 9_007_199_254_740_992.0;

/// Fills `out` with elements `TILE·tile .. TILE·(tile + 1)` of the law.
#[inline(always)]
pub(crate) fn tile(plan: &Plan<f64>, key: [u32; 2], tile: u64, out: &mut [f64; TILE]) {
    if let Plan::Constant(value) = *plan {
        out.fill(value);
        return;
    }
    let first = tile * BLOCKS as u64;
    let lo: [u32; BLOCKS] = std::array::from_fn(|j| (first + j as u64) as u32);
    let hi: [u32; BLOCKS] = std::array::from_fn(|j| ((first + j as u64) >> 32) as u32);
    let words = philox_lanes(&lo, &hi, 0, key);
    let wide =
        |j: usize, k: usize| (u64::from(words[2 * k + 1][j]) << 32) | u64::from(words[2 * k][j]);
    match *plan {
        Plan::Uniform { a, width, below_b } => {
            for j in 0..BLOCKS {
                for k in 0..2 {
                    let u = (wide(j, k) >> 11) as i64 as f64 * TWO_M53;
                    out[2 * j + k] = (a + width * u).min(below_b);
                }
            }
        }
        Plan::Normal { mean, std } => {
            for j in 0..BLOCKS {
                let (z0, z1) = box_muller(wide(j, 0), wide(j, 1));
                out[2 * j] = mean + std * z0;
                out[2 * j + 1] = mean + std * z1;
            }
        }
        Plan::Truncated(ref plan) => {
            for j in 0..BLOCKS {
                for k in 0..2 {
                    out[2 * j + k] = truncated(plan, wide(j, k));
                }
            }
        }
        Plan::Constant(_) | Plan::TruncatedViaDouble => {
            unreachable!("constant laws return early; double plans are never TruncatedViaDouble")
        }
    }
}

/// Two standard normals from two 64-bit words (Box–Muller).
#[inline(always)]
fn box_muller(w0: u64, w1: u64) -> (f64, f64) {
    let u1 = ((w0 >> 11) + 1) as i64 as f64 * TWO_M53;
    let r = (-2.0 * ln_f64(u1)).max(0.0).sqrt();
    let (c, s) = cos_sin_turns_f64(w1 >> 12);
    (r * c, r * s)
}

/// One truncated normal from one 64-bit word, by inversion from the nearer tail.
#[inline(always)]
fn truncated(plan: &TruncatedPlan<f64>, w: u64) -> f64 {
    let u = (((w >> 12) << 1) | 1) as i64 as f64 * TWO_M53;
    let p = plan.lower + u * plan.mass;
    let q = plan.upper + (1.0 - u) * plan.mass;
    let z = if q < p {
        -special::lower_quantile(q)
    } else {
        special::lower_quantile(p)
    };
    let z = z.clamp(plan.alpha, plan.beta);
    (plan.mean + plan.std * z).clamp(plan.a, plan.b)
}

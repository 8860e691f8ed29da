//! Single-precision kernels: one 32-bit Philox word per element, 128 elements per tile.
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
//! The 32 blocks of a tile are generated together in struct-of-arrays form
//! ([`philox_lanes`]): `words[k][j]` is word `k` of block `j`. Each transform then runs over
//! whole word arrays (`[f32; 32]`: two AVX-512 registers, so two independent dependency
//! chains in flight, or four AVX2 registers), with every branch written as a select and no
//! panicking operation, so that LLVM vectorizes it; the results are interleaved into element
//! order only at the end. (16 blocks per tile measured 40 % slower for uniform, 64 slower
//! again: see docs/PERFORMANCE.md.) Runs of whole tiles are software-pipelined
//! ([`pipelined`]): the Philox words of the next tile are computed before this tile's
//! transform, so the integer rounds overlap the floating-point transform and the transform
//! never waits on the store buffer for words that were just written. Long runs of the
//! normal and truncated kernels go out through streaming stores ([`STREAM_MIN_TILES`]),
//! which skip reading the destination lines from memory first. Each output element is
//! still computed by exactly the operations written above, in the same order, so the bytes
//! do not depend on how the lanes or tiles are grouped, nor on the instruction set the
//! kernel was compiled for (see `dispatch`).

use super::TileKernel;
use super::dispatch::{store_fence, stream_copy, streams_to};
use super::math::{
    PROBIT_SPLIT_F32, clamp_f32, cos_sin_word_f32, ln_f32, probit_central_f32, probit_lower_f32,
};
use super::plan::TruncatedPlan;
use crate::philox::philox_lanes;

/// Philox blocks per tile.
pub(crate) const BLOCKS: usize = 32;
/// Elements per tile.
pub(crate) const TILE: usize = 4 * BLOCKS;

/// 2⁻²⁴.
const TWO_M24: f32 = 1.0 / 16_777_216.0;
/// 2⁻³¹.
const TWO_M31: f32 = 1.0 / 2_147_483_648.0;
/// 2⁻³².
const TWO_M32: f32 = 1.0 / 4_294_967_296.0;

/// The four words of the tile's blocks, `words[k][j]` = word `k` of block `BLOCKS·tile + j`.
#[inline(always)]
pub(super) fn tile_words(key: [u32; 2], tile: u64) -> [[u32; BLOCKS]; 4] {
    let first = tile * BLOCKS as u64;
    let mut lo = [0u32; BLOCKS];
    let mut hi = [0u32; BLOCKS];
    for j in 0..BLOCKS {
        let block = first + j as u64;
        lo[j] = block as u32;
        hi[j] = (block >> 32) as u32;
    }
    philox_lanes(&lo, &hi, 0, key)
}

/// A kernel that maps the words of one tile to its elements.
pub(super) trait WordsKernel {
    /// Whether long runs of whole tiles are written with streaming stores (see
    /// [`STREAM_MIN_TILES`]): always for the compute-bound normal and truncated kernels, whose
    /// stores trickle out; for uniform, which writes at several GB/s and lost 20 % with them
    /// on an L2-resident 2¹⁶-element fill, only in a fill larger than the caches
    /// (`fill::LARGE_FILL`).
    #[inline(always)]
    fn streams(&self) -> bool {
        true
    }
    /// The stream key.
    fn key(&self) -> [u32; 2];
    /// Fills `out` from the tile's words (`words[k][j]` = word `k` of block `j`).
    fn words_to_tile(&self, words: &[[u32; BLOCKS]; 4], out: &mut [f32; TILE]);
}

/// Every words kernel is a tile kernel: whole tiles, pipelined (the Philox words of tile
/// t + 1 are computed before tile t is transformed).
impl<K: WordsKernel> TileKernel<f32, TILE> for K {
    #[inline(always)]
    fn tile(&self, tile: u64, out: &mut [f32; TILE]) {
        self.words_to_tile(&tile_words(self.key(), tile), out);
    }

    #[inline(always)]
    fn tiles(&self, first: u64, out: &mut [[f32; TILE]]) {
        pipelined(self, first, out);
    }
}

/// Tiles `first..first + out.len()`, software-pipelined: the words of tile `t + 1` are
/// computed before tile `t` is transformed. The integer Philox rounds of the next tile then
/// overlap the floating-point transform of this one, and the transform reads words that
/// were stored an iteration earlier (long retired from the store buffer) instead of
/// waiting on the narrowing stores that just wrote them. Same bytes as tile by tile.
#[inline(always)]
fn pipelined<K: WordsKernel>(kernel: &K, first: u64, out: &mut [[f32; TILE]]) {
    let key = kernel.key();
    let stream =
        kernel.streams() && out.len() >= STREAM_MIN_TILES && streams_to(out.as_flattened());
    let Some((last, init)) = out.split_last_mut() else {
        return;
    };
    let mut words = tile_words(key, first);
    if stream {
        // Each tile is computed into a buffer that stays in L1 and then streamed out. The
        // `black_box` keeps that buffer in memory: without it LLVM feeds each 16-byte
        // streaming store from the registers through a lane extract, one shuffle-port µop
        // per store, where a reload costs only a load.
        let mut buf = [0f32; TILE];
        for (t, chunk) in init.iter_mut().enumerate() {
            let next = tile_words(key, first + t as u64 + 1);
            kernel.words_to_tile(&words, &mut buf);
            stream_copy(std::hint::black_box(&buf), chunk);
            words = next;
        }
        kernel.words_to_tile(&words, &mut buf);
        stream_copy(std::hint::black_box(&buf), last);
        store_fence();
        return;
    }
    for (t, chunk) in init.iter_mut().enumerate() {
        let next = tile_words(key, first + t as u64 + 1);
        kernel.words_to_tile(&words, chunk);
        words = next;
    }
    kernel.words_to_tile(&words, last);
}

/// Runs of at least this many whole tiles (32 768 elements, 128 KiB) are written with
/// streaming stores ([`stream_copy`]) when the output is 16-byte aligned. A fill that large
/// is mostly written once and read much later, and at 2²⁴ elements a regular store first
/// reads each line from memory (write-allocate): streaming stores made the normal kernel
/// 1.4× faster there (docs/PERFORMANCE.md). A parallel chunk of `fill_range` (2¹⁶
/// elements) holds 511 or 512 whole tiles, so every chunk of a large fill streams.
const STREAM_MIN_TILES: usize = 256;

/// Writes the per-word arrays in element order: `out[4j + k] = v[k][j]`.
#[inline(always)]
pub(super) fn interleave(v: &[[f32; BLOCKS]; 4], out: &mut [f32; TILE]) {
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
    /// Stream the stores of long runs (a fill larger than the caches).
    pub stream: bool,
}

impl WordsKernel for Uniform {
    #[inline(always)]
    fn streams(&self) -> bool {
        self.stream
    }

    #[inline(always)]
    fn key(&self) -> [u32; 2] {
        self.key
    }

    #[inline(always)]
    fn words_to_tile(&self, words: &[[u32; BLOCKS]; 4], out: &mut [f32; TILE]) {
        let mut v = [[0f32; BLOCKS]; 4];
        for j in 0..BLOCKS {
            for k in 0..4 {
                v[k][j] = uniform_value(self.a, self.width, self.below_b, words[k][j]);
            }
        }
        interleave(&v, out);
    }
}

/// `min(a + width·u, b⁻)` with `u = ⌊w/2⁸⌋·2⁻²⁴`.
#[inline(always)]
fn uniform_value(a: f32, width: f32, below_b: f32, w: u32) -> f32 {
    let u = (w >> 8) as i32 as f32 * TWO_M24;
    (a + width * u).min(below_b)
}

/// The normal law `N(mean, std²)`.
pub(crate) struct Normal {
    pub key: [u32; 2],
    pub mean: f32,
    pub std: f32,
}

impl WordsKernel for Normal {
    #[inline(always)]
    fn key(&self) -> [u32; 2] {
        self.key
    }

    #[inline(always)]
    fn words_to_tile(&self, words: &[[u32; BLOCKS]; 4], out: &mut [f32; TILE]) {
        let mut v = [[0f32; BLOCKS]; 4];
        // One loop over the blocks with both Box–Muller pairs in its body: two independent
        // dependency chains per vector, which the out-of-order core overlaps.
        for j in 0..BLOCKS {
            let (z0, z1) = box_muller(words[0][j], words[1][j]);
            let (z2, z3) = box_muller(words[2][j], words[3][j]);
            v[0][j] = self.mean + self.std * z0;
            v[1][j] = self.mean + self.std * z1;
            v[2][j] = self.mean + self.std * z2;
            v[3][j] = self.mean + self.std * z3;
        }
        interleave(&v, out);
    }
}

/// Two standard normals from two words (Box–Muller).
#[inline(always)]
fn box_muller(w0: u32, w1: u32) -> (f32, f32) {
    let u1 = (w0 >> 1) as i32 as f32 * TWO_M31 + TWO_M32;
    let r = (-2.0 * ln_f32(u1)).max(0.0).sqrt();
    let (c, s) = cos_sin_word_f32(w1);
    (r * c, r * s)
}

/// The truncated normal law. With `TAIL = false` the kernel skips the tail branch of Φ⁻¹,
/// which is only valid (and gives the same bytes) when [`needs_tail`] is false.
pub(crate) struct Truncated<const TAIL: bool> {
    pub key: [u32; 2],
    pub plan: TruncatedPlan<f32>,
}

/// Whether some element of the law can invert a `t` below [`PROBIT_SPLIT_F32`]: the kernel
/// inverts `t = p` or `t = q` with `p ≥ Φ(α)` and `q ≥ 1 − Φ(β)` (a positive term is added
/// to each, and rounding is monotone), so below `min(Φ(α), 1 − Φ(β))` no `t` falls.
pub(crate) fn needs_tail(plan: &TruncatedPlan<f32>) -> bool {
    !(plan.lower.min(plan.upper) >= PROBIT_SPLIT_F32)
}

impl<const TAIL: bool> WordsKernel for Truncated<TAIL> {
    #[inline(always)]
    fn key(&self) -> [u32; 2] {
        self.key
    }

    #[inline(always)]
    fn words_to_tile(&self, words: &[[u32; BLOCKS]; 4], out: &mut [f32; TILE]) {
        let plan = self.plan;
        // Three passes over the tile, each element going through exactly the steps of the
        // formula in the module header: the probability to invert, Φ⁻¹ (the four words of a
        // block in one loop body: four independent chains per vector), then sign and
        // clamps. Split this way the kernel measured 1.7× faster than one loop doing whole
        // elements (533 against 317 M/s, L2-resident, AVX-512; see docs/PERFORMANCE.md).
        let mut t = [[0f32; BLOCKS]; 4];
        let mut upper = [[false; BLOCKS]; 4];
        for k in 0..4 {
            for j in 0..BLOCKS {
                (t[k][j], upper[k][j]) = truncated_t(&plan, words[k][j]);
            }
        }
        let mut v = [[0f32; BLOCKS]; 4];
        for j in 0..BLOCKS {
            for k in 0..4 {
                v[k][j] = truncated_probit::<TAIL>(t[k][j]);
            }
        }
        for k in 0..4 {
            for j in 0..BLOCKS {
                v[k][j] = truncated_finish(&plan, v[k][j], upper[k][j]);
            }
        }
        interleave(&v, out);
    }
}

/// The first step of one truncated normal from one word (inversion from the nearer tail):
/// the probability `t` to invert and whether it is taken from the upper tail.
#[inline(always)]
fn truncated_t(plan: &TruncatedPlan<f32>, w: u32) -> (f32, bool) {
    let u = ((w >> 9) * 2 + 1) as i32 as f32 * TWO_M24;
    let p = plan.lower + u * plan.mass;
    let q = plan.upper + (1.0 - u) * plan.mass;
    let from_upper = q < p;
    (if from_upper { q } else { p }, from_upper)
}

/// `Φ⁻¹(t)`; with `TAIL = false` the central branch only (see [`needs_tail`]).
#[inline(always)]
fn truncated_probit<const TAIL: bool>(t: f32) -> f32 {
    if TAIL {
        probit_lower_f32(t)
    } else {
        probit_central_f32(t)
    }
}

/// The last step: the sign of the tail, then the clamps to `[α, β]` and `[a, b]`.
#[inline(always)]
fn truncated_finish(plan: &TruncatedPlan<f32>, z: f32, from_upper: bool) -> f32 {
    let z = if from_upper { -z } else { z };
    let z = clamp_f32(z, plan.alpha, plan.beta);
    clamp_f32(plan.mean + plan.std * z, plan.a, plan.b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fill::plan::Plan;
    use crate::law::Law;

    /// Every one of the 2²⁴ values of `u` maps into `[a, b)`, for bounds where the unclamped
    /// `a + (b − a)·u` rounds up to `b` (and beyond `b`), so the cap is exercised.
    #[test]
    fn uniform_never_leaves_a_b_exhaustively() {
        let mut capped_somewhere = false;
        for (a, b) in [
            (1.0, 2.0),
            (-1.0, 1.0),
            (0.1, 0.3),
            (-0.0625, 0.0625),
            (1.0, 1.000_000_119_209_289_6),
            (-3e-3, 3e38),
            (-1e-30, 1e-30),
            (16_777_215.0, 16_777_216.0),
        ] {
            let law: Law = format!("uniform(a={a:e}, b={b:e})").parse().unwrap();
            let Plan::Uniform { a, width, below_b } = Plan::single(&law) else {
                panic!("{law} has no uniform plan");
            };
            let b = b as f32;
            let mut lowest = f32::INFINITY;
            for m in 0..1u32 << 24 {
                let x = uniform_value(a, width, below_b, m << 8);
                assert!(a <= x && x < b, "{law}: u = {m}·2⁻²⁴ gives {x}");
                lowest = lowest.min(x);
                capped_somewhere |= a + width * (m as f32 * TWO_M24) >= b;
            }
            assert_eq!(lowest, a, "{law}: u = 0 must give a");
        }
        assert!(
            capped_somewhere,
            "no case rounds up to b: the cap is untested"
        );
    }
}

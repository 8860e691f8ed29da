//! Philox4x32-10, the counter-based generator behind every random tensor.
//!
//! Philox (Salmon, Moraes, Dror & Shaw, "Parallel random numbers: as easy as 1, 2, 3",
//! SC'11[^salmon]) maps a 128-bit counter and a 64-bit key to 128 random bits through ten
//! rounds of
//!
//! ```text
//! (hi₀, lo₀) = M₀ · c₀      (hi₁, lo₁) = M₁ · c₂      (32×32 → 64-bit products)
//! c ← (hi₁ ⊕ c₁ ⊕ k₀,  lo₁,  hi₀ ⊕ c₃ ⊕ k₁,  lo₀)
//! k ← (k₀ + W₀, k₁ + W₁)    (mod 2³², between rounds)
//! ```
//!
//! with M₀ = 0xD2511F53, M₁ = 0xCD9E8D57 and the Weyl increments W₀ = 0x9E3779B9 (golden
//! ratio), W₁ = 0xBB67AE85 (√3 − 1). Nothing is sequential: block `i` is a pure function of
//! `(key, i)`, which is what makes every element of a tensor independent of thread count,
//! chunking and sharding. The implementation is checked against Random123's published
//! known-answer vectors.
//!
//! [^salmon]: J. K. Salmon, M. A. Moraes, R. O. Dror, D. E. Shaw, SC'11, doi:10.1145/2063384.2063405.

/// First round multiplier.
pub const PHILOX_M0: u32 = 0xD251_1F53;
/// Second round multiplier.
pub const PHILOX_M1: u32 = 0xCD9E_8D57;
/// First key increment: ⌊2³² / φ⌋ (golden ratio).
pub const PHILOX_W0: u32 = 0x9E37_79B9;
/// Second key increment: ⌊2³² · (√3 − 1)⌋.
pub const PHILOX_W1: u32 = 0xBB67_AE85;
/// Number of rounds.
pub const PHILOX_ROUNDS: usize = 10;

/// One Philox4x32-10 block: 128 output bits for `counter` under `key`.
///
/// # Example
/// ```
/// use initspec::philox::philox4x32_10;
/// // Random123 known-answer vector: zero counter, zero key.
/// assert_eq!(philox4x32_10([0; 4], [0; 2]), [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
/// ```
#[inline]
pub fn philox4x32_10(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let [mut c0, mut c1, mut c2, mut c3] = counter;
    let [mut k0, mut k1] = key;
    for round in 0..PHILOX_ROUNDS {
        if round > 0 {
            k0 = k0.wrapping_add(PHILOX_W0);
            k1 = k1.wrapping_add(PHILOX_W1);
        }
        let p0 = u64::from(PHILOX_M0) * u64::from(c0);
        let p1 = u64::from(PHILOX_M1) * u64::from(c2);
        let (hi0, lo0) = ((p0 >> 32) as u32, p0 as u32);
        let (hi1, lo1) = ((p1 >> 32) as u32, p1 as u32);
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
    }
    [c0, c1, c2, c3]
}

/// `N` Philox blocks at once, in struct-of-arrays form: `out[w][j]` is word `w` of the block
/// with counter `(lo[j], hi[j], word2, 0)`.
///
/// The same arithmetic as [`philox4x32_10`], written over arrays so that the compiler keeps
/// the `N` independent blocks in vector registers. The 32-bit words are held in 64-bit lanes
/// during the rounds: the 32×32 → 64-bit products are then single `pmuludq` instructions,
/// their high halves a shift and their low halves the lanes themselves (never masked: only
/// the low 32 bits of a lane are read), with no packing between rounds.
#[inline(always)]
pub(crate) fn philox_lanes<const N: usize>(
    lo: &[u32; N],
    hi: &[u32; N],
    word2: u32,
    key: [u32; 2],
) -> [[u32; N]; 4] {
    const LOW: u64 = 0xffff_ffff;
    let mut c0 = [0u64; N];
    let mut c1 = [0u64; N];
    for j in 0..N {
        c0[j] = u64::from(lo[j]);
        c1[j] = u64::from(hi[j]);
    }
    let mut c2 = [u64::from(word2); N];
    let mut c3 = [0u64; N];
    let [mut k0, mut k1] = key;
    for round in 0..PHILOX_ROUNDS {
        if round > 0 {
            k0 = k0.wrapping_add(PHILOX_W0);
            k1 = k1.wrapping_add(PHILOX_W1);
        }
        let (k0w, k1w) = (u64::from(k0), u64::from(k1));
        // Only the low 32 bits of each lane are ever read (by the products, whose `& LOW`
        // folds into `pmuludq`, and by the final truncation), so the lanes may carry junk
        // above them: `c1`, `c3` keep the whole product instead of a masked copy.
        for j in 0..N {
            let p0 = u64::from(PHILOX_M0) * (c0[j] & LOW);
            let p1 = u64::from(PHILOX_M1) * (c2[j] & LOW);
            c0[j] = (p1 >> 32) ^ c1[j] ^ k0w;
            c1[j] = p1;
            c2[j] = (p0 >> 32) ^ c3[j] ^ k1w;
            c3[j] = p0;
        }
    }
    let mut out = [[0u32; N]; 4];
    for j in 0..N {
        out[0][j] = c0[j] as u32;
        out[1][j] = c1[j] as u32;
        out[2][j] = c2[j] as u32;
        out[3][j] = c3[j] as u32;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random123 `kat_vectors`, the philox4x32 10-round lines: counter, key, expected output.
    const KAT: [([u32; 4], [u32; 2], [u32; 4]); 3] = [
        (
            [0, 0, 0, 0],
            [0, 0],
            [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
        ),
        (
            [0xffffffff; 4],
            [0xffffffff; 2],
            [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
        ),
        (
            [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
            [0xa4093822, 0x299f31d0],
            [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
        ),
    ];

    #[test]
    fn known_answer_vectors() {
        for (counter, key, want) in KAT {
            assert_eq!(philox4x32_10(counter, key), want, "counter {counter:08x?}");
        }
    }

    #[test]
    fn lanes_equal_single_blocks() {
        let key = [0xa4093822, 0x299f31d0];
        let lo: [u32; 8] = std::array::from_fn(|j| 0xffff_fffa_u32.wrapping_add(j as u32));
        let hi: [u32; 8] = std::array::from_fn(|j| j as u32 * 977);
        let lanes = philox_lanes(&lo, &hi, 7, key);
        for j in 0..8 {
            let single = philox4x32_10([lo[j], hi[j], 7, 0], key);
            for (w, word) in single.iter().enumerate() {
                assert_eq!(lanes[w][j], *word);
            }
        }
    }
}

//! [`Stream`]: the Philox key of one tensor, derived from a seed and the tensor's name.

use sha2::{Digest, Sha256};

use crate::philox::philox4x32_10;

/// Domain-separation prefix of the key derivation; part of the value-stability contract.
const KEY_DOMAIN: &[u8] = b"initspec/philox4x32-10/key/v1";

/// The random stream of one tensor: a Philox4x32-10 key.
///
/// The key is the first 8 bytes (two little-endian `u32`) of
///
/// ```text
/// SHA-256( "initspec/philox4x32-10/key/v1" ‖ u64_le(seed) ‖ u64_le(len(name)) ‖ utf8(name) )
/// ```
///
/// The name's length is written before the name, so the encoding is injective: no two
/// `(seed, name)` pairs feed the hash the same bytes (separator-free concatenation would let
/// `("ab", "cdef")` and `("abc", "def")` collide, as Flax's key folding does, flax#2157).
/// Distinct inputs then collide on the 64-bit key only by chance, with probability 2⁻⁶⁴.
///
/// Element `i` of a tensor draws from the Philox block with counter
/// `(⌊i/e⌋ mod 2³², ⌊i/e⌋ / 2³², word2, 0)` where `e` is the number of elements per block
/// (4 for 32-bit draws, 2 for 64-bit draws) and `word2` separates independent uses of one
/// stream (0 for the values; later schemes reserve other words, e.g. for masks).
///
/// # Example
/// ```
/// use initspec::Stream;
/// let a = Stream::new(42, "layer1.weight");
/// assert_eq!(a, Stream::new(42, "layer1.weight"));
/// assert_ne!(a, Stream::new(43, "layer1.weight"));
/// assert_ne!(a, Stream::new(42, "layer2.weight"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Stream {
    key: [u32; 2],
}

impl Stream {
    /// The stream of tensor `name` under `seed`.
    pub fn new(seed: u64, name: &str) -> Stream {
        let mut hasher = Sha256::new();
        hasher.update(KEY_DOMAIN);
        hasher.update(seed.to_le_bytes());
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        let digest = hasher.finalize();
        let word =
            |i: usize| u32::from_le_bytes([digest[i], digest[i + 1], digest[i + 2], digest[i + 3]]);
        Stream {
            key: [word(0), word(4)],
        }
    }

    /// A stream with an explicit Philox key (for cross-checks against other implementations).
    pub fn from_key(key: [u32; 2]) -> Stream {
        Stream { key }
    }

    /// The Philox key.
    pub fn key(&self) -> [u32; 2] {
        self.key
    }

    /// The 128 bits of block `block` in sub-stream `word2`.
    pub fn block(&self, block: u64, word2: u32) -> [u32; 4] {
        philox4x32_10([block as u32, (block >> 32) as u32, word2, 0], self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_prefix_separates_names_that_concatenate_alike() {
        // With concatenation, seed bytes ‖ "ab" ‖ "cdef" = seed bytes ‖ "abc" ‖ "def".
        assert_ne!(Stream::new(0, "abcdef"), Stream::new(0, "abc"));
        assert_ne!(Stream::new(0, ""), Stream::new(0, "\0"));
        // A name that spells the next seed's bytes cannot impersonate it either.
        let forged = String::from_utf8(vec![1, 0, 0, 0, 0, 0, 0, 0]).unwrap();
        assert_ne!(Stream::new(0, &forged), Stream::new(1, ""));
    }

    #[test]
    fn key_is_pinned() {
        // Value stability: changing this is a value-breaking change (CHANGELOG.md). The
        // expected keys were computed outside this code, from the documented encoding, with
        // Python's hashlib:
        //   sha256(b"initspec/philox4x32-10/key/v1" + struct.pack("<QQ", seed, len(name))
        //          + name)[:8] read as two little-endian u32.
        assert_eq!(Stream::new(0, "weight").key(), [0xfbb7_b2c8, 0x67dc_6af6]);
        assert_eq!(
            Stream::new(42, "layer1.weight").key(),
            [0x3863_b824, 0xdcac_3e32]
        );
        // The largest seed with the empty name, and a name whose UTF-8 length (15 bytes) is
        // not its length in characters (12): the prefix counts bytes.
        assert_eq!(Stream::new(u64::MAX, "").key(), [0x38cf_f902, 0xb0a7_f2f1]);
        assert_eq!(
            Stream::new(7, "tête.poids·Ω").key(),
            [0x0100_3796, 0x0c5d_2852]
        );
        let mut distinct = std::collections::HashSet::new();
        for seed in 0..200u64 {
            for name in ["w", "weight", "layer.0.weight", "ab", "abc"] {
                assert!(distinct.insert(Stream::new(seed, name).key()));
            }
        }
    }

    #[test]
    fn block_index_splits_into_low_and_high_counter_words() {
        let stream = Stream::from_key([0xa409_3822, 0x299f_31d0]);
        let block = (7_u64 << 32) | 5;
        assert_eq!(
            stream.block(block, 3),
            philox4x32_10([5, 7, 3, 0], stream.key())
        );
        assert_ne!(stream.block(block, 3), stream.block(5, 3));
    }
}

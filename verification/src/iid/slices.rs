//! Repeated and near-repeated slices of a tensor: its rows (the slices along the first
//! axis), its columns (along the last axis) and, for rank ≥ 3, the blocks of its last two
//! axes (the kh×kw kernels of a PyTorch convolution, the in×out matrices of a Keras one).
//!
//! ```text
//! duplicate_*  slices bit-for-bit equal, found by hash     P(some pair equal) ≤ C(R, 2)·p*ᴸ
//! similar_*    pairs of slices whose signs about the       min over the pairs searched of
//!              centre agree (or disagree) far more often     C(R, 2) · p(Binom(k, ½))
//!              than independent slices would
//! ```
//!
//! **Duplicates.** Two independent slices of L values are equal with probability
//! (Σᵥ pᵥ²)ᴸ ≤ p*ᴸ (p* the largest mass of one stored value, [`super::largest_cell_mass`]),
//! so among R slices P(some pair equal) ≤ C(R, 2)·p*ᴸ: the p-value when a pair is found (1
//! otherwise). Slices are bucketed by a hash of their first 64 values (columns in one pass
//! over the tensor's first 64 rows in C order), only slices sharing a bucket are hashed
//! whole, equal hashes are compared bit for bit, and the groups are reported by index.
//!
//! **Near-duplicates.** For a law symmetric about a representable centre c (the serial
//! tests' condition), the signs of two independent slices at the positions where neither
//! is c are independent fair coins, so the number of agreeing positions among k is exactly
//! Binom(k, ½) for each pair, and the smallest two-sided p-value over *all* C(R, 2) pairs,
//! times C(R, 2), is a valid p-value (Bonferroni). The check computes it exactly over every
//! pair when that is cheap (C(R, 2)·m ≤ 2²⁸ sign comparisons, m the positions compared,
//! signs packed 64 to a word)
//! and otherwise searches for the pairs that could be small: each slice's first
//! B = min(L, 128) signs form a sketch (flipped so that its first bit is 0, so that a
//! negated copy has the same sketch), cut into bands of b = ⌈log₂ R⌉ + 4 bits, and only
//! pairs that share a band are tested. Skipping pairs can only raise the minimum, so the
//! p-value stays valid; what the search costs is power: a pair with sign agreement q shares
//! a given band with probability qᵇ, so near-copies (correlation 0.99: q = ½ + arcsin(0.99)/π
//! ≈ 0.955, Sheppard's formula) are found with probability ≥ 0.998 at R = 4096 (b = 16,
//! 8 bands), while weakly correlated pairs (ρ = 0.5, q = ⅔) mostly are not; dependence
//! between *neighbouring* slices of any strength is the serial tests' job. At most
//! 16 384 candidate pairs are tested, on their first 1024 positions, so a tensor of
//! near-copies costs milliseconds, not C(R, 2) comparisons. The correlation r about c is
//! reported for the pairs listed. Exact duplicates are left to `duplicate_*`.

use rayon::prelude::*;

use crate::check::{Check, statistical};
use crate::cross::binomial_two_sided;
use crate::sample::Stored;

/// The most duplicate groups, and near-copied pairs, a detail lists.
const LISTED_GROUPS: usize = 3;

/// The most slice indices a listed group names.
const LISTED_SLICES: usize = 8;

/// The most positions of a pair of slices the near-duplicate test compares: a near-copy
/// with correlation 0.99 agrees in sign at 0.955 of them (Sheppard), z ≈ 29 at 1024
/// (p ≈ 10⁻¹⁸⁵), and even ρ = 0.5 (agreement ⅔) gives z ≈ 10.7 (p ≈ 10⁻²⁶).
const SIMILAR_PREFIX: usize = 1024;

/// The most 64-bit word comparisons (pairs × words of packed signs) for which every pair is
/// tested.
const EXHAUSTIVE_WORDS: f64 = (1u64 << 22) as f64;

/// The most packed sign bits kept for one view (2²⁷ bits: 16 MiB for the signs and as much
/// for the centre mask); with more slices than 2²⁷ / 1024 fewer positions are compared.
const SIGN_BITS_BUDGET: usize = 1 << 27;

/// The most sketch bits (leading signs of a slice) the near-duplicate search uses.
const SKETCH_BITS: usize = 128;

/// The most candidate pairs the near-duplicate search tests.
const MAX_CANDIDATES: usize = 1 << 14;

/// The Bonferroni-adjusted p-value at or below which a pair is counted as a near-copy in
/// the detail (the check's own p-value is judged at the audit's α by Holm).
const NEAR_COPY_LEVEL: f64 = 1e-6;

/// The leading values of each slice whose hash buckets it for the duplicate search.
const HASH_PREFIX: usize = 64;

/// Columns hashed per parallel task.
const COLUMN_CHUNK: usize = 1024;

/// One way of cutting a tensor into equal slices: element t of slice i lies at
/// `i·between + t·within` in C order.
#[derive(Debug, Clone)]
pub(super) struct Slices {
    /// How many slices (R).
    pub count: usize,
    /// Values in each slice (L).
    pub len: usize,
    between: usize,
    within: usize,
    /// The leading shape whose multi-index names a block (empty for rows and columns).
    leading: Vec<usize>,
}

impl Slices {
    /// `count` contiguous rows of `len` values.
    pub fn rows(count: usize, len: usize) -> Slices {
        Slices {
            count,
            len,
            between: len,
            within: 1,
            leading: Vec::new(),
        }
    }

    /// The `count` columns (last-axis index fixed) of a tensor whose other axes hold `len`.
    pub fn columns(count: usize, len: usize) -> Slices {
        Slices {
            count,
            len,
            between: 1,
            within: count,
            leading: Vec::new(),
        }
    }

    /// `count` contiguous blocks of `len` values, named by their index in `leading`.
    pub fn blocks(count: usize, len: usize, leading: &[usize]) -> Slices {
        Slices {
            leading: leading.to_vec(),
            ..Slices::rows(count, len)
        }
    }

    fn at(&self, i: usize, t: usize) -> usize {
        i * self.between + t * self.within
    }

    /// The name of slice `i`: its index, or for a block its multi-index `[a, b]`.
    fn name(&self, i: usize) -> String {
        if self.leading.is_empty() {
            return i.to_string();
        }
        let mut index = vec![0; self.leading.len()];
        let mut rest = i;
        for (slot, &d) in index.iter_mut().zip(&self.leading).rev() {
            *slot = rest % d;
            rest /= d;
        }
        let parts: Vec<String> = index.iter().map(usize::to_string).collect();
        format!("[{}]", parts.join(", "))
    }

    fn identical<T: Stored>(&self, values: &[T], i: usize, j: usize) -> bool {
        (0..self.len).all(|t| bits(values[self.at(i, t)]) == bits(values[self.at(j, t)]))
    }
}

/// The stored value's bits (through f64, exactly; −0 and +0 differ).
fn bits<T: Stored>(x: T) -> u64 {
    x.to_f64().to_bits()
}

fn mix(h: u64, x: u64) -> u64 {
    (h.rotate_left(5) ^ x).wrapping_mul(0x517C_C1B7_2722_0A95)
}

const HASH_SEED: u64 = 0x9E37_79B9_7F4A_7C15;

/// A hash of the stored bits of the first `prefix` values of each slice.
fn prefix_hashes<T: Stored>(values: &[T], s: &Slices, prefix: usize) -> Vec<u64> {
    let prefix = prefix.min(s.len);
    if s.within == 1 {
        return (0..s.count)
            .into_par_iter()
            .map(|i| {
                let start = s.at(i, 0);
                values[start..start + prefix]
                    .iter()
                    .fold(HASH_SEED, |h, &x| mix(h, bits(x)))
            })
            .collect();
    }
    // Columns: the first `prefix` rows of the tensor in C order, a running hash per column.
    let starts: Vec<usize> = (0..s.count).step_by(COLUMN_CHUNK).collect();
    starts
        .par_iter()
        .flat_map_iter(|&c0| {
            let c1 = (c0 + COLUMN_CHUNK).min(s.count);
            let mut h = vec![HASH_SEED; c1 - c0];
            for t in 0..prefix {
                let row = &values[s.at(c0, t)..s.at(c1 - 1, t) + 1];
                for (h, &x) in h.iter_mut().zip(row) {
                    *h = mix(*h, bits(x));
                }
            }
            h
        })
        .collect()
}

/// The groups of indices with equal keys, each in index order, singletons left out, in
/// order of their keys. Sorting (16 to 24 bytes an entry) rather than hashing into a map
/// keeps the memory at a few bytes per tensor value.
fn groups_by_key<K: Ord + Copy + Send>(mut keyed: Vec<(K, usize)>) -> Vec<Vec<usize>> {
    keyed.par_sort_unstable();
    keyed
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|run| run.len() > 1)
        .map(|run| run.iter().map(|&(_, i)| i).collect())
        .collect()
}

/// The groups (two or more) of bit-identical slices, in index order. Slices are bucketed
/// by a hash of their first [`HASH_PREFIX`] values, in one parallel pass; only the slices
/// that share a bucket are hashed whole, and only equal whole hashes are compared bit for
/// bit.
fn identical_groups<T: Stored>(values: &[T], s: &Slices) -> Vec<Vec<usize>> {
    let prefix = prefix_hashes(values, s, HASH_PREFIX);
    let keyed: Vec<(u64, usize)> = prefix.into_iter().zip(0..).collect();
    let whole = |i: usize| (0..s.len).fold(HASH_SEED, |h, t| mix(h, bits(values[s.at(i, t)])));
    let mut groups = Vec::new();
    for bucket in groups_by_key(keyed) {
        let keyed: Vec<(u64, usize)> = bucket.into_iter().map(|i| (whole(i), i)).collect();
        for mut g in groups_by_key(keyed) {
            while let Some(&first) = g.first() {
                let (equal, rest): (Vec<usize>, Vec<usize>) =
                    g.iter().partition(|&&j| s.identical(values, first, j));
                if equal.len() > 1 {
                    groups.push(equal);
                }
                g = rest;
            }
        }
    }
    groups.sort_unstable();
    groups
}

/// "rows 0, 1, 2 are identical" for the groups of `s`, with `what` the plural noun.
fn list_groups(groups: &[Vec<usize>], s: &Slices, what: &str) -> String {
    let listed: Vec<String> = groups
        .iter()
        .take(LISTED_GROUPS)
        .map(|g| {
            let names: Vec<String> = g.iter().take(LISTED_SLICES).map(|&i| s.name(i)).collect();
            let more = if g.len() > LISTED_SLICES {
                format!(" (and {} more)", g.len() - LISTED_SLICES)
            } else {
                String::new()
            };
            format!("{what} {}{more} are identical", names.join(", "))
        })
        .collect();
    let more = if groups.len() > LISTED_GROUPS {
        format!("; {} more groups", groups.len() - LISTED_GROUPS)
    } else {
        String::new()
    };
    format!("{}{more}", listed.join("; "))
}

/// The `duplicate_{what}` check: groups of bit-identical slices, against the law's largest
/// cell mass `p_max`.
pub(super) fn duplicate_slices<T: Stored>(
    values: &[T],
    s: &Slices,
    what: &str,
    p_max: f64,
) -> Check {
    let groups = identical_groups(values, s);
    let copies: usize = groups.iter().map(|g| g.len() - 1).sum();
    let (count, len) = (s.count, s.len);
    let p_value = if copies == 0 {
        1.0
    } else {
        let r = count as f64;
        ((r * (r - 1.0) / 2.0).ln() + len as f64 * p_max.ln())
            .exp()
            .min(1.0)
    };
    let detail = if copies == 0 {
        format!("no two of the {count} {what} of {len} values are identical")
    } else {
        format!(
            "{} ({copies} of {count} {what} of {len} values repeat another)",
            list_groups(&groups, s, what)
        )
    };
    statistical(&format!("duplicate_{what}"), copies as f64, p_value, detail)
}

/// The packed signs of the first m positions of every slice: bit t of slice i's words is
/// set in `above` when its value there is > c, in `off` when it is ≠ c.
struct SignBits {
    /// Positions kept per slice (m), and 64-bit words per slice.
    positions: usize,
    words: usize,
    above: Vec<u64>,
    off: Vec<u64>,
}

impl SignBits {
    /// Packs the first `positions` signs of each slice of `s` about `c`, in parallel:
    /// rows slice by slice, columns 64 positions (rows of the tensor) at a time, so that
    /// the tensor is read in C order either way.
    fn new<T: Stored>(values: &[T], s: &Slices, positions: usize, c: f64) -> SignBits {
        let words = positions.div_ceil(64);
        // Word w of a contiguous slice i: its values 64w … 64w + 63.
        let pack = |i: usize, w: usize| {
            let start = s.at(i, 64 * w);
            let run = &values[start..start + (positions - 64 * w).min(64)];
            let (mut above, mut off) = (0u64, 0u64);
            for (b, x) in run.iter().enumerate() {
                let x = x.to_f64();
                above |= u64::from(x > c) << b;
                off |= u64::from(x != c) << b;
            }
            (above, off)
        };
        let (above, off): (Vec<u64>, Vec<u64>) = if s.within == 1 {
            (0..s.count * words)
                .into_par_iter()
                .map(|k| pack(k / words, k % words))
                .unzip()
        } else {
            // Word w of every column from tensor rows 64w … 64w + 63, one task per word.
            let by_word: Vec<(Vec<u64>, Vec<u64>)> = (0..words)
                .into_par_iter()
                .map(|w| {
                    let (mut above, mut off) = (vec![0u64; s.count], vec![0u64; s.count]);
                    for b in 0..(positions - 64 * w).min(64) {
                        let row = &values[s.at(0, 64 * w + b)..s.at(s.count - 1, 64 * w + b) + 1];
                        for (j, x) in row.iter().enumerate() {
                            let x = x.to_f64();
                            above[j] |= u64::from(x > c) << b;
                            off[j] |= u64::from(x != c) << b;
                        }
                    }
                    (above, off)
                })
                .collect();
            let mut above = vec![0u64; s.count * words];
            let mut off = vec![0u64; s.count * words];
            for (w, (a, o)) in by_word.iter().enumerate() {
                for j in 0..s.count {
                    above[j * words + w] = a[j];
                    off[j * words + w] = o[j];
                }
            }
            (above, off)
        };
        SignBits {
            positions,
            words,
            above,
            off,
        }
    }

    fn above(&self, i: usize) -> &[u64] {
        &self.above[i * self.words..(i + 1) * self.words]
    }

    fn off(&self, i: usize) -> &[u64] {
        &self.off[i * self.words..(i + 1) * self.words]
    }

    /// The leading `bits` ≤ 128 signs of slice `i`, flipped so that the first is 0 (a
    /// negated copy then has the same sketch).
    fn sketch(&self, i: usize, bits: usize) -> u128 {
        let a = self.above(i);
        let low = u128::from(a[0]);
        let high = a.get(1).map_or(0, |&w| u128::from(w) << 64);
        let mask = u128::MAX >> (128 - bits);
        let sketch = (low | high) & mask;
        if sketch & 1 == 1 {
            !sketch & mask
        } else {
            sketch
        }
    }

    /// (positions where neither value is at the centre, of those the ones whose signs agree).
    fn compare(&self, i: usize, j: usize) -> (u64, u64) {
        let (ai, aj, oi, oj) = (self.above(i), self.above(j), self.off(i), self.off(j));
        let (mut k, mut agree) = (0u64, 0u64);
        for w in 0..self.words {
            let valid = oi[w] & oj[w];
            k += u64::from(valid.count_ones());
            agree += u64::from((!(ai[w] ^ aj[w]) & valid).count_ones());
        }
        (k, agree)
    }
}

/// The sign comparison of one pair of slices.
#[derive(Debug, Clone, Copy)]
struct PairTest {
    i: usize,
    j: usize,
    /// Positions with neither value at the centre, and how many of them agree in sign.
    k: u64,
    agree: u64,
    /// Exact two-sided p-value of the pair alone.
    p: f64,
}

/// The correlation about `c` of slices `i` and `j` over their first `m` positions.
fn correlation<T: Stored>(values: &[T], s: &Slices, i: usize, j: usize, m: usize, c: f64) -> f64 {
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for t in 0..m {
        let (a, b) = (
            values[s.at(i, t)].to_f64() - c,
            values[s.at(j, t)].to_f64() - c,
        );
        sxy += a * b;
        sxx += a * a;
        syy += b * b;
    }
    if sxx > 0.0 && syy > 0.0 {
        (sxy / (sxx.sqrt() * syy.sqrt())).clamp(-1.0, 1.0)
    } else {
        0.0
    }
}

/// The pairs worth testing: every pair when that is cheap, else the pairs whose sign
/// sketches share a band (at most [`MAX_CANDIDATES`], in a fixed order). `None` when the
/// slices are too short for a sketch to find anything.
fn candidate_pairs(signs: &SignBits, count: usize) -> Option<Vec<(usize, usize)>> {
    let pairs = count as f64 * (count as f64 - 1.0) / 2.0;
    if pairs * signs.words as f64 <= EXHAUSTIVE_WORDS {
        return Some(
            (0..count)
                .flat_map(|i| (i + 1..count).map(move |j| (i, j)))
                .collect(),
        );
    }
    let sketch_bits = signs.positions.min(SKETCH_BITS);
    let band = (usize::BITS - (count - 1).leading_zeros()) as usize + 4;
    let bands = sketch_bits / band;
    if bands == 0 {
        return None;
    }
    let mask = (1u128 << band) - 1;
    // One key per slice and band: (band, the sketch's bits in that band).
    let keyed: Vec<((usize, u128), usize)> = (0..count)
        .flat_map(|i| {
            let sketch = signs.sketch(i, sketch_bits);
            (0..bands).map(move |b| ((b, (sketch >> (b * band)) & mask), i))
        })
        .collect();
    let mut found = Vec::new();
    'buckets: for members in groups_by_key(keyed) {
        for (x, &i) in members.iter().enumerate() {
            for &j in &members[x + 1..] {
                if found.len() >= MAX_CANDIDATES {
                    break 'buckets;
                }
                found.push((i, j));
            }
        }
    }
    found.sort_unstable();
    found.dedup();
    Some(found)
}

/// The `similar_{what}` check (see the module docs) about the centre `c`, or `None` when
/// the slices are too short to search.
pub(super) fn similar_slices<T: Stored>(
    values: &[T],
    s: &Slices,
    what: &str,
    c: f64,
) -> Option<Check> {
    if s.count < 2 || s.len == 0 {
        return None;
    }
    // Slices shorter than one word of signs are searched only when every pair is tested:
    // their sketches would find nothing, and their packed signs would cost more memory than
    // their values.
    let pairs = s.count as f64 * (s.count as f64 - 1.0) / 2.0;
    if s.len < 64 && pairs > EXHAUSTIVE_WORDS {
        return None;
    }
    // Positions compared: at most SIMILAR_PREFIX, fewer when there are so many slices
    // that the packed signs would pass SIGN_BITS_BUDGET (whole words, at least one).
    let budget = (SIGN_BITS_BUDGET / s.count).max(64) / 64 * 64;
    let positions = s.len.min(SIMILAR_PREFIX).min(budget);
    let signs = SignBits::new(values, s, positions, c);
    let candidates = candidate_pairs(&signs, s.count)?;
    let searched = candidates.len();
    let counts: Vec<(usize, usize, u64, u64)> = candidates
        .into_par_iter()
        .map(|(i, j)| {
            let (k, agree) = signs.compare(i, j);
            (i, j, k, agree)
        })
        .filter(|&(i, j, k, agree)| !(agree == k && s.identical(values, i, j)))
        .collect();
    // The exact p-value once per distinct (k, agree): the pairs share a few hundred of them
    // (k is the number of positions compared for every pair without values at the centre).
    let mut distinct: Vec<(u64, u64)> = counts.iter().map(|&(_, _, k, a)| (k, a)).collect();
    distinct.par_sort_unstable();
    distinct.dedup();
    let p_of: Vec<f64> = distinct
        .par_iter()
        .map(|&(k, a)| binomial_two_sided(a, k))
        .collect();
    let mut tests: Vec<PairTest> = counts
        .into_iter()
        .map(|(i, j, k, agree)| {
            let at = distinct.partition_point(|&d| d < (k, agree));
            PairTest {
                i,
                j,
                k,
                agree,
                p: p_of[at],
            }
        })
        .collect();
    tests.sort_by(|a, b| a.p.total_cmp(&b.p).then((a.i, a.j).cmp(&(b.i, b.j))));
    let r = s.count as f64;
    let all_pairs = r * (r - 1.0) / 2.0;
    let adjusted = |p: f64| (p * all_pairs).min(1.0);
    let p_value = tests.first().map_or(1.0, |t| adjusted(t.p));
    let statistic = tests
        .first()
        .map_or(0.5, |t| t.agree as f64 / t.k.max(1) as f64);
    let near = tests
        .iter()
        .filter(|t| adjusted(t.p) <= NEAR_COPY_LEVEL)
        .count();
    let describe = |t: &PairTest| {
        format!(
            "{what} {} and {} agree in sign at {:.4} of {} positions (r = {:.4})",
            s.name(t.i),
            s.name(t.j),
            t.agree as f64 / t.k.max(1) as f64,
            t.k,
            correlation(values, s, t.i, t.j, positions, c)
        )
    };
    let how = if searched as f64 >= all_pairs {
        format!("all {all_pairs} pairs tested")
    } else {
        format!("{searched} of {all_pairs} pairs tested, found by sign sketches")
    };
    let detail = if near == 0 {
        let closest = tests.first().map_or(String::new(), |t| {
            format!("; most extreme pair: {}", describe(t))
        });
        format!(
            "no two of the {} {what} are near-copies ({how}){closest}",
            s.count
        )
    } else {
        let listed: Vec<String> = tests
            .iter()
            .take(LISTED_GROUPS.min(near))
            .map(describe)
            .collect();
        let pairs = if near == 1 {
            format!("1 pair of {what} is a near-copy")
        } else {
            format!("{near} pairs of {what} are near-copies")
        };
        format!(
            "{pairs} (Bonferroni p ≤ {NEAR_COPY_LEVEL:e}): {} ({how})",
            listed.join("; ")
        )
    };
    Some(statistical(
        &format!("similar_{what}"),
        statistic,
        p_value,
        detail,
    ))
}

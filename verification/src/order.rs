//! The order statistics of a sample without sorting (or copying) it: its distinct values in
//! ascending total order with their multiplicities (runs), produced block by block under
//! a memory budget, from the values in their own width.
//!
//! Every order-based check (Kolmogorov–Smirnov, Anderson–Darling, the lattice χ², and the
//! moment sums taken in sorted order) reads a sorted sample only through its runs: a value
//! repeated k times is one run, so the law's distribution function is evaluated once for it.
//!
//! # Keys
//! A float's bits, with the sign bit flipped for a positive value and every bit flipped for a
//! negative one, compare as unsigned integers exactly as `total_cmp` orders the floats
//! (−NaN < −∞ < … < −0 < +0 < … < +∞ < +NaN):
//!
//! ```text
//! key(x) = bits(x) XOR (sign(x) ? 1…1 : 10…0)
//! ```
//!
//! f64 → `u64`, f32 → `u32`, bf16 and f16 → `u16` keys.
//!
//! # Algorithm (most significant digit first, by key ranges)
//! ```text
//! runs(range R of keys, digit shift s):            (the root: every key, s = key bits − 16)
//!   c[d] = #{ keys k ∈ R : (k − lo(R)) >> s = d },  d < 2¹⁶      one parallel pass, one
//!                                                               histogram per part of the values
//!   s = 0:  the digits are the keys: emit (key, c[key]) for every c > 0; done
//!   else, for the digits in ascending order:
//!     c[d] > capacity/4:  runs(the keys of digit d, s − 16)           (a dense digit)
//!     else pack consecutive digits into windows of at most `capacity` keys; per window,
//!       one pass gathers its keys by digit (counting-sort placement: each part of the
//!       values by its own thread into its own slice of each digit's place, through 64-byte
//!       staging lines), each digit's keys are sorted (in parallel; an LSD radix sort of
//!       2 × 8 bits when only their low 16 bits differ), and the runs are emitted in order
//! ```
//!
//! Where s = 16 the window stores each key's low 16 bits only (the digit holds the rest).
//! bf16 and f16 therefore take one pass (a counting sort over 65 536 keys); f32 one pass for
//! the histogram and one per window (two for values spread over many digits); f64 a pass per
//! window and a level per dense digit. Samples of at most [`SMALL_SAMPLE`] values skip the
//! histograms: their keys are copied and sorted (no 65 536-entry table per call, so auditing
//! many tiny tensors costs time linear in their count).
//!
//! # Memory
//! Beyond the values, for n values of `size` bytes: the window, at most
//! `max(n·size/4, 1 MiB)` bytes (N bytes for N f32 values); per open level (at most 4) one
//! digit histogram per part (parts = rayon threads, at most 8; 512 KiB each); per part
//! while gathering, 64 bytes of staging per digit of the window (at most 4 MiB); the scratch
//! of the per-digit sorts (at most a quarter of the window per thread); and the blocks of
//! 16 384 runs in flight in [`crate::check`]'s battery (about 1 MiB). Nothing is
//! written to the values.
//!
//! A counting sort of the 16-bit keys, a parallel gather, std `sort_unstable`, rayon's
//! `par_sort_unstable`, an LSD radix sort (3 × 11 bits) and an in-place MSD radix sort were
//! measured for f32; docs/PERFORMANCE.md ("Audit speed and memory") has the figures.

use half::{bf16, f16};
use rayon::prelude::*;

use crate::sample::{Stored, Values, with_slice};

/// A distinct value of the sample and how many times it occurs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Run {
    /// The value, exactly (converted from the storage format).
    pub x: f64,
    /// Its multiplicity, at least 1.
    pub count: u64,
}

/// The number of runs handed to the sink at a time.
pub(crate) const RUN_BLOCK: usize = 1 << 14;

/// Samples of at most this many values are ordered by copying and sorting their keys.
pub const SMALL_SAMPLE: usize = 1 << 15;

/// Bits of one digit of the histograms.
const DIGIT_BITS: u32 = 16;

/// Entries of one digit histogram.
const DIGITS: usize = 1 << DIGIT_BITS;

/// The least window capacity, in bytes of keys (1 MiB).
const MIN_WINDOW_BYTES: usize = 1 << 20;

/// An unsigned integer key.
pub(crate) trait Key: Copy + Ord + Send + Sync + Default + 'static {
    /// The width in bits.
    const BITS: u32;
    /// The key as a `u64`.
    fn to_u64(self) -> u64;
    /// The low `BITS` bits of `v`.
    fn from_u64(v: u64) -> Self;
}

macro_rules! key {
    ($t:ty) => {
        impl Key for $t {
            const BITS: u32 = <$t>::BITS;
            fn to_u64(self) -> u64 {
                u64::from(self)
            }
            fn from_u64(v: u64) -> Self {
                v as $t
            }
        }
    };
}
key!(u16);
key!(u32);
key!(u64);

/// A stored element with an order-preserving integer key.
pub(crate) trait SortKey: Stored {
    /// The key type, as wide as the element.
    type Key: Key;
    /// The key of `self`: `bits XOR (sign ? 1…1 : 10…0)`.
    fn key(self) -> Self::Key;
    /// The value whose key is `key`, exactly as `f64`.
    fn value(key: Self::Key) -> f64;
    /// The key of +∞.
    fn infinity_key() -> Self::Key;
    /// The key of −∞.
    fn neg_infinity_key() -> Self::Key;
}

macro_rules! sort_key {
    ($t:ty, $k:ty, $signed:ty, $to_bits:expr, $from_bits:expr, $inf:expr) => {
        impl SortKey for $t {
            type Key = $k;
            fn key(self) -> $k {
                let bits: $k = $to_bits(self);
                let sign = ((bits as $signed) >> (<$k>::BITS - 1)) as $k;
                bits ^ (sign | (1 << (<$k>::BITS - 1)))
            }
            fn value(key: $k) -> f64 {
                let top = 1 << (<$k>::BITS - 1);
                let bits = if key & top != 0 { key ^ top } else { !key };
                Stored::to_f64($from_bits(bits))
            }
            fn infinity_key() -> $k {
                let inf: $t = $inf;
                inf.key()
            }
            fn neg_infinity_key() -> $k {
                let inf: $t = $inf;
                (-inf).key()
            }
        }
    };
}
sort_key!(f64, u64, i64, f64::to_bits, f64::from_bits, f64::INFINITY);
sort_key!(f32, u32, i32, f32::to_bits, f32::from_bits, f32::INFINITY);
sort_key!(
    bf16,
    u16,
    i16,
    bf16::to_bits,
    bf16::from_bits,
    bf16::INFINITY
);
sort_key!(f16, u16, i16, f16::to_bits, f16::from_bits, f16::INFINITY);

/// The sorted order of a sample: built by one counting pass ([`Order::new`]), which also
/// counts the non-finite values; [`Order::for_each_block`] then emits the runs.
pub(crate) struct Order<'a, T: SortKey> {
    values: &'a [T],
    /// The root histogram of the top 16 key bits (`None` for a small sample).
    root: Option<Counts>,
    non_finite: usize,
}

impl<'a, T: SortKey> Order<'a, T> {
    /// Counts the values by their top 16 key bits (in parallel), or nothing for a small
    /// sample.
    pub(crate) fn new(values: &'a [T]) -> Self {
        if values.len() <= SMALL_SAMPLE {
            let non_finite = values.iter().filter(|x| !x.to_f64().is_finite()).count();
            return Order {
                values,
                root: None,
                non_finite,
            };
        }
        let shift = T::Key::BITS - DIGIT_BITS;
        let root = histogram::<T>(values, 0, u64::MAX, shift);
        let total = &root.total;
        let digit = |k: T::Key| (k.to_u64() >> shift) as usize;
        // ±∞ keys end or start a digit, so the non-finite keys fill whole digits.
        let low = digit(T::neg_infinity_key());
        let high = digit(T::infinity_key());
        let non_finite = total[..=low].iter().chain(&total[high..]).sum::<u64>() as usize;
        Order {
            values,
            root: Some(root),
            non_finite,
        }
    }

    /// The number of values that are NaN or infinite.
    pub(crate) fn non_finite(&self) -> usize {
        self.non_finite
    }

    /// Calls `sink` with the runs of the sample in ascending total order, in blocks of at
    /// most [`RUN_BLOCK`] runs; the sink may take the block's buffer (and leave another in
    /// its place, which is cleared before it is refilled).
    pub(crate) fn for_each_block(self, sink: &mut dyn FnMut(&mut Vec<Run>)) {
        let mut out = Emitter::new(sink);
        if let Some(root) = &self.root {
            let size = std::mem::size_of::<T::Key>();
            let level = Level {
                values: self.values,
                window_bytes: (self.values.len() * size / 4).max(MIN_WINDOW_BYTES),
            };
            let shift = T::Key::BITS - DIGIT_BITS;
            level.runs(0, shift, root, &mut out);
        } else {
            let mut keys: Vec<T::Key> = self.values.iter().map(|x| x.key()).collect();
            keys.sort_unstable();
            out.keys::<T>(&keys);
        }
        out.flush();
    }
}

/// Calls `visit(x, k)` for every distinct value x of `values` (as `f64`, exactly; values
/// with different bits are distinct, so −0 and +0 are two values, and NaNs of different
/// payloads too) with its multiplicity k, in ascending total order (`f64::total_cmp`),
/// without copying or widening the values (memory as the [module docs](self) say).
///
/// # Example
/// ```
/// use initspec_verify::order::for_each_run;
/// let mut runs = Vec::new();
/// for_each_run(&[3.0f32, -1.0, 3.0, 0.0, -0.0], |x, k| runs.push((x, k)));
/// assert_eq!(runs, vec![(-1.0, 1), (-0.0, 1), (0.0, 1), (3.0, 2)]);
/// assert!(runs[1].0.is_sign_negative());
/// ```
pub fn for_each_run<'a>(values: impl Into<Values<'a>>, mut visit: impl FnMut(f64, u64)) {
    let mut sink = |block: &mut Vec<Run>| block.iter().for_each(|r| visit(r.x, r.count));
    with_slice!(values.into(), v => Order::new(v).for_each_block(&mut sink));
}

/// The runs of a sorted `f64` slice (equal bits form a run), in order.
pub(crate) fn runs_of_sorted(sorted: &[f64]) -> Vec<Run> {
    let mut runs: Vec<Run> = Vec::new();
    for &x in sorted {
        match runs.last_mut() {
            Some(last) if last.x.to_bits() == x.to_bits() => last.count += 1,
            _ => runs.push(Run { x, count: 1 }),
        }
    }
    runs
}

/// Collects runs into blocks and hands each full block to the sink.
struct Emitter<'s> {
    block: Vec<Run>,
    sink: &'s mut dyn FnMut(&mut Vec<Run>),
}

impl<'s> Emitter<'s> {
    fn new(sink: &'s mut dyn FnMut(&mut Vec<Run>)) -> Self {
        Emitter {
            block: Vec::new(),
            sink,
        }
    }

    fn push(&mut self, x: f64, count: u64) {
        if self.block.len() == RUN_BLOCK {
            self.flush();
        }
        self.block.push(Run { x, count });
    }

    /// The runs of sorted keys.
    fn keys<T: SortKey>(&mut self, keys: &[T::Key]) {
        self.keys_from::<T, T::Key>(keys, 0);
    }

    /// The runs of the sorted keys `base + s` for `s` in `stored`.
    fn keys_from<T: SortKey, S: Key>(&mut self, stored: &[S], base: u64) {
        let mut i = 0;
        while i < stored.len() {
            let k = stored[i];
            let mut j = i + 1;
            while j < stored.len() && stored[j] == k {
                j += 1;
            }
            self.push(
                T::value(T::Key::from_u64(base + k.to_u64())),
                (j - i) as u64,
            );
            i = j;
        }
    }

    fn flush(&mut self) {
        if !self.block.is_empty() {
            (self.sink)(&mut self.block);
            self.block.clear();
            self.block.reserve(RUN_BLOCK);
        }
    }
}

/// A digit histogram: in total, and per part of the values (`values.chunks(part_len)`).
struct Counts {
    total: Vec<u64>,
    parts: Vec<Vec<u64>>,
    part_len: usize,
}

/// The length of the parts the values are counted and gathered in, in parallel: one part
/// per rayon thread, at most 8 (the results do not depend on the split). A level's gather
/// uses the split its histogram was counted with ([`Counts::part_len`]).
fn part_len<T>(values: &[T]) -> usize {
    let parts = rayon::current_num_threads().clamp(1, 8);
    values.len().div_ceil(parts).max(1)
}

/// The histogram of `(k − lo) >> shift` over the keys `k` in `[lo, hi]` (as `u64`), counted
/// in parallel, one histogram per part of the values.
fn histogram<T: SortKey>(values: &[T], lo: u64, hi: u64, shift: u32) -> Counts {
    let span = hi - lo;
    let count = |chunk: &[T]| {
        let mut h = vec![0u64; DIGITS + SPARE];
        for (i, x) in chunk.iter().enumerate() {
            let d = x.key().to_u64().wrapping_sub(lo);
            let inside = d <= span;
            // An out-of-range key adds 0 to one of the spare entries past the digits, taken
            // in turn: no branch to mispredict, and no chain of increments of one entry.
            let index = if inside {
                (d >> shift) as usize
            } else {
                DIGITS + (i & (SPARE - 1))
            };
            h[index] += u64::from(inside);
        }
        h.truncate(DIGITS);
        h
    };
    let part_len = part_len(values);
    let parts: Vec<Vec<u64>> = values
        .chunks(part_len)
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(count)
        .collect();
    let mut total = vec![0u64; DIGITS];
    for h in &parts {
        total.iter_mut().zip(h).for_each(|(t, c)| *t += c);
    }
    Counts {
        total,
        parts,
        part_len,
    }
}

/// Spare entries that out-of-range keys are sent to in turn (a power of two).
const SPARE: usize = 8;

/// One sample's recursion over key ranges.
struct Level<'a, T: SortKey> {
    values: &'a [T],
    /// Bytes of keys one window may hold.
    window_bytes: usize,
}

impl<T: SortKey> Level<'_, T> {
    /// The runs of the keys in `[lo, lo + 2^(shift+16) − 1]`, whose histogram of digits
    /// `(k − lo) >> shift` is `counts`.
    fn runs(&self, lo: u64, shift: u32, counts: &Counts, out: &mut Emitter<'_>) {
        if shift == 0 {
            for (d, &c) in counts.total.iter().enumerate() {
                if c > 0 {
                    out.push(T::value(T::Key::from_u64(lo + d as u64)), c);
                }
            }
            return;
        }
        // Below a digit of shift 16 only 16 key bits remain: a window stores those.
        let key_bytes = if shift == DIGIT_BITS {
            2
        } else {
            std::mem::size_of::<T::Key>()
        };
        let capacity = (self.window_bytes / key_bytes).max(1) as u64;
        let dense = (capacity / 4).max(1);
        let mut window: Option<(usize, usize, u64)> = None; // first digit, last digit, keys
        for (d, &c) in counts.total.iter().enumerate() {
            if c == 0 {
                continue;
            }
            if c > dense {
                if let Some((first, last, _)) = window.take() {
                    self.window(lo, shift, first, last, counts, out);
                }
                let child_lo = lo + ((d as u64) << shift);
                let child_shift = shift.saturating_sub(DIGIT_BITS);
                let child_hi = child_lo + ((1u64 << shift) - 1);
                let child = histogram::<T>(self.values, child_lo, child_hi, child_shift);
                self.runs(child_lo, child_shift, &child, out);
                continue;
            }
            window = match window {
                Some((first, _, keys)) if keys + c <= capacity => Some((first, d, keys + c)),
                Some((first, last, _)) => {
                    self.window(lo, shift, first, last, counts, out);
                    Some((d, d, c))
                }
                None => Some((d, d, c)),
            };
        }
        if let Some((first, last, _)) = window {
            self.window(lo, shift, first, last, counts, out);
        }
    }

    /// Gathers the keys of digits `first..=last`, sorts each digit's keys and emits their
    /// runs: the low 16 bits of each key when the digit's shift is 16, else the whole key.
    fn window(
        &self,
        lo: u64,
        shift: u32,
        first: usize,
        last: usize,
        counts: &Counts,
        out: &mut Emitter<'_>,
    ) {
        if shift == DIGIT_BITS {
            self.window_of::<u16>(lo, shift, first, last, counts, out);
        } else {
            self.window_of::<T::Key>(lo, shift, first, last, counts, out);
        }
    }

    /// [`Level::window`] storing the keys as `S`: a key k of digit d is stored as
    /// `k − base(d)` with `base(d) = 0` for full keys, `lo + (d << 16)` for 16-bit ones.
    ///
    /// Each part of the values is gathered by its own thread into its own slice of every
    /// digit's place (a digit's keys from part 0, then part 1, ...), with offsets from the
    /// part's histogram.
    fn window_of<S: Key>(
        &self,
        lo: u64,
        shift: u32,
        first: usize,
        last: usize,
        counts: &Counts,
        out: &mut Emitter<'_>,
    ) {
        let digits = &counts.total[first..=last];
        let total: usize = digits.iter().sum::<u64>() as usize;
        let mut buffer = vec![S::default(); total];
        // The destination of every (part, digit), cut from the buffer digit by digit.
        let mut places: Vec<Vec<&mut [S]>> = counts
            .parts
            .iter()
            .map(|_| Vec::with_capacity(digits.len()))
            .collect();
        let mut rest = buffer.as_mut_slice();
        for d in first..=last {
            for (part, place) in counts.parts.iter().zip(places.iter_mut()) {
                let (mine, tail) = rest.split_at_mut(part[d] as usize);
                place.push(mine);
                rest = tail;
            }
        }
        let window_lo = lo + ((first as u64) << shift);
        let span = ((digits.len() as u64) << shift).wrapping_sub(1);
        self.values
            .chunks(counts.part_len)
            .collect::<Vec<_>>()
            .into_par_iter()
            .zip(places)
            .for_each(|(values, mut place)| gather(values, &mut place, window_lo, span, shift));
        // Sort each digit's keys, in parallel over the digits.
        let mut digit_keys: Vec<&mut [S]> = Vec::with_capacity(digits.len());
        let mut rest = buffer.as_mut_slice();
        for &c in digits {
            let (keys, tail) = rest.split_at_mut(c as usize);
            if keys.len() > 1 {
                digit_keys.push(keys);
            }
            rest = tail;
        }
        // The keys of a digit differ in their low `shift` bits (16 when stored as u16).
        digit_keys
            .into_par_iter()
            .with_min_len(16)
            .for_each_init(Vec::new, |scratch, part| sort_digit(part, scratch, shift));
        let mut at = 0usize;
        for (j, &c) in digits.iter().enumerate() {
            let base = if S::BITS < T::Key::BITS {
                window_lo + ((j as u64) << shift)
            } else {
                0
            };
            let part = &buffer[at..at + c as usize];
            out.keys_from::<T, S>(part, base);
            at += c as usize;
        }
    }
}

/// Writes the keys of `values` in the window `[window_lo, window_lo + span]` to the places of
/// their digits `(k − window_lo) >> shift`, in order, each as `S` (its low bits).
///
/// Each digit's keys go through a staging line of 64 bytes (in cache) that is copied to
/// the digit's place when full: one scattered 64-byte write per line instead of a cache and
/// TLB miss per key. Out-of-window keys are written to spare lines past the digits, taken in
/// turn, whose fill count never advances: no branch on membership.
fn gather<T: SortKey, S: Key>(
    values: &[T],
    place: &mut [&mut [S]],
    window_lo: u64,
    span: u64,
    shift: u32,
) {
    let lanes = (64 / std::mem::size_of::<S>()).max(1);
    let digits = place.len();
    let mut stage = vec![S::default(); (digits + SPARE) * lanes];
    let mut fill = vec![0usize; digits + SPARE];
    let mut next = vec![0usize; digits];
    let low_mask = if S::BITS < u64::BITS {
        (1u64 << S::BITS) - 1
    } else {
        u64::MAX
    };
    for (i, x) in values.iter().enumerate() {
        let key = x.key().to_u64();
        let d = key.wrapping_sub(window_lo);
        let inside = d <= span;
        let slot = if inside {
            (d >> shift) as usize
        } else {
            digits + (i & (SPARE - 1))
        };
        let f = fill[slot];
        stage[slot * lanes + f] = S::from_u64(key & low_mask);
        let f = f + usize::from(inside);
        if f == lanes {
            let start = next[slot];
            place[slot][start..start + lanes].copy_from_slice(&stage[slot * lanes..][..lanes]);
            next[slot] = start + lanes;
            fill[slot] = 0;
        } else {
            fill[slot] = f;
        }
    }
    for (slot, (&f, &start)) in fill.iter().zip(&next).enumerate() {
        place[slot][start..start + f].copy_from_slice(&stage[slot * lanes..][..f]);
    }
}

/// Keys of one digit at or above which a radix pass beats `sort_unstable`.
const RADIX_MIN: usize = 256;

/// Sorts keys that differ in their low `bits` bits only (`bits` a multiple of 16):
/// `sort_unstable` for a few keys; an LSD radix sort of 2 × 8 bits when `bits` is 16; else
/// one counting pass on the top 16 of the `bits` (through `scratch`), then each part the
/// same way on the bits below.
fn sort_digit<K: Key>(keys: &mut [K], scratch: &mut Vec<K>, bits: u32) {
    if keys.len() < RADIX_MIN || bits == 0 {
        keys.sort_unstable();
        return;
    }
    if bits > DIGIT_BITS {
        let shift = bits - DIGIT_BITS;
        let digit = |k: K| ((k.to_u64() >> shift) & 0xffff) as usize;
        let mut counts = vec![0usize; DIGITS];
        for &k in keys.iter() {
            counts[digit(k)] += 1;
        }
        let mut next = Vec::with_capacity(DIGITS);
        let mut at = 0usize;
        for &c in &counts {
            next.push(at);
            at += c;
        }
        scratch.clear();
        scratch.resize(keys.len(), K::default());
        for &k in keys.iter() {
            let d = digit(k);
            scratch[next[d]] = k;
            next[d] += 1;
        }
        keys.copy_from_slice(scratch);
        let mut rest = keys;
        for &c in &counts {
            let (part, tail) = rest.split_at_mut(c);
            if part.len() > 1 {
                sort_digit(part, scratch, shift);
            }
            rest = tail;
        }
        return;
    }
    // LSD radix sort on bits 0..8, then 8..16 (stable passes), through `scratch`.
    scratch.clear();
    scratch.resize(keys.len(), K::default());
    let mut low = [0usize; 256];
    let mut high = [0usize; 256];
    for k in keys.iter() {
        let v = k.to_u64();
        low[(v & 0xff) as usize] += 1;
        high[((v >> 8) & 0xff) as usize] += 1;
    }
    let (mut a, mut b) = (0, 0);
    for (l, h) in low.iter_mut().zip(high.iter_mut()) {
        (*l, a) = (a, a + *l);
        (*h, b) = (b, b + *h);
    }
    for &k in keys.iter() {
        let d = (k.to_u64() & 0xff) as usize;
        scratch[low[d]] = k;
        low[d] += 1;
    }
    for &k in scratch.iter() {
        let d = ((k.to_u64() >> 8) & 0xff) as usize;
        keys[high[d]] = k;
        high[d] += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The runs of `values` from the engine, and from a plain sort.
    fn both<T: SortKey>(values: &[T]) -> (Vec<Run>, Vec<Run>) {
        let mut got = Vec::new();
        Order::new(values).for_each_block(&mut |b: &mut Vec<Run>| got.extend_from_slice(b));
        let mut keys: Vec<T::Key> = values.iter().map(|x| x.key()).collect();
        keys.sort_unstable();
        let mut want = Vec::new();
        Emitter::new(&mut |b: &mut Vec<Run>| want.extend_from_slice(b)).keys_then_flush::<T>(&keys);
        (got, want)
    }

    impl Emitter<'_> {
        fn keys_then_flush<T: SortKey>(mut self, keys: &[T::Key]) {
            self.keys::<T>(keys);
            self.flush();
        }
    }

    fn same(a: &[Run], b: &[Run]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x.x.to_bits() == y.x.to_bits() && x.count == y.count)
    }

    /// A xorshift generator for test data.
    struct Xorshift(u64);
    impl Xorshift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn keys_order_as_total_cmp() {
        let xs = [
            -f64::NAN,
            f64::NEG_INFINITY,
            -1.5,
            -f64::MIN_POSITIVE / 4.0,
            -0.0,
            0.0,
            1e-310,
            2.0,
            f64::INFINITY,
            f64::NAN,
        ];
        for pair in xs.windows(2) {
            assert!(pair[0].key() < pair[1].key(), "{pair:?}");
            assert_eq!(pair[0].total_cmp(&pair[1]), std::cmp::Ordering::Less);
        }
        for &x in &xs {
            assert_eq!(f64::value(x.key()).to_bits(), x.to_bits());
            let y = x as f32;
            assert_eq!(f32::value(y.key()).to_bits(), f64::from(y).to_bits());
        }
        let h = bf16::from_f32(-3.0);
        assert_eq!(bf16::value(h.key()), -3.0);
        assert_eq!(f16::value(f16::from_f32(0.5).key()), 0.5);
    }

    #[test]
    fn runs_equal_a_plain_sort_across_windows_and_dense_digits() {
        let mut rng = Xorshift(0x9e37_79b9_7f4a_7c15);
        // Large enough for the windowed path (several windows at the 1 MiB floor), with a
        // dense digit (many copies of one value), ±0, infinities and NaNs of both signs.
        let n = 3 << 20;
        let mut f: Vec<f32> = (0..n)
            .map(|_| {
                let u = (rng.next() >> 40) as f32 / (1u64 << 24) as f32;
                (u - 0.5) * 0.04
            })
            .collect();
        for x in f.iter_mut().skip(11).step_by(3).take(n / 3) {
            *x = 0.125;
        }
        for (i, v) in [0.0, -0.0, f32::INFINITY, -f32::NAN, f32::NAN, 1e-40]
            .iter()
            .enumerate()
        {
            f[i * 7] = *v;
        }
        let (got, want) = both(&f);
        assert!(same(&got, &want));
        let order = Order::new(f.as_slice());
        assert_eq!(order.non_finite(), 3);
        let d: Vec<f64> = f.iter().map(|&x| f64::from(x) * 1.5).collect();
        let (got, want) = both(&d);
        assert!(same(&got, &want));
        let h: Vec<bf16> = f.iter().map(|&x| bf16::from_f32(x)).collect();
        let (got, want) = both(&h);
        assert!(same(&got, &want));
        let small: Vec<f16> = f[..1000].iter().map(|&x| f16::from_f32(x)).collect();
        let (got, want) = both(&small);
        assert!(same(&got, &want));
    }
}

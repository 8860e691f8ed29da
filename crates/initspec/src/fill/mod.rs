//! Drawing a [`Law`] into memory: [`Sampler`], index-determined and thread-count invariant.
//!
//! Element `i` of a tensor is a pure function of the tensor's [`Stream`] key and `i`: it is
//! computed from the Philox block `⌊i/4⌋` (single precision) or `⌊i/2⌋` (double precision)
//! and nothing else. So any sub-range can be filled on its own
//! (`fill_range(a, ..)` equals `fill(..)[a..]`), any number of threads can share the work in
//! any order, and a tensor can be written in chunks or shards with identical bytes.
//! The kernels and their exact transforms are documented in the `single` and `double`
//! modules (and docs/SPEC.md, "Random streams").

mod block;
mod dispatch;
mod double;
mod element;
mod math;
#[cfg(test)]
mod normal_variants;
mod plan;
mod single;
mod structured;

use std::sync::Arc;

use rayon::prelude::*;

pub use dispatch::{Isa, KERNEL_ENV, KernelPath};
pub use element::{Element, OutSlice, Precision};
pub(crate) use math::ln_f64;
use plan::Plan;
use structured::StructuredFill;

use crate::law::Law;
use crate::stream::Stream;

/// Elements per parallel work item: a fixed size, so the split never depends on the
/// number of threads.
pub const PARALLEL_CHUNK: usize = 1 << 16;

/// Draws one law from one stream into slices of any [`Element`] type.
///
/// # Example
/// ```
/// use initspec::{Law, Sampler, Stream};
/// let law: Law = "normal(mean=0, std=0.02)".parse().unwrap();
/// let sampler = Sampler::new(&law, Stream::new(7, "layer.weight"));
/// let mut all = vec![0f32; 1000];
/// sampler.fill(&mut all);
/// let mut tail = vec![0f32; 300];
/// sampler.fill_range(700, &mut tail);
/// assert_eq!(&all[700..], &tail[..]);
/// ```
#[derive(Debug, Clone)]
pub struct Sampler {
    law: Law,
    stream: Stream,
    single: Plan<f32>,
    double: Plan<f64>,
    structured: Option<Arc<StructuredFill>>,
}

impl Sampler {
    /// A sampler of `law` on `stream`.
    ///
    /// A structured law ([`Law::is_structured`]) is a tensor of a fixed size: its elements
    /// are computed in `f64` and rounded to the output type; the random ones (orthogonal,
    /// delta-orthogonal, sparse) are computed whole on the first fill and kept by the sampler
    /// (and its clones), so filling in chunks costs one computation. Positions past the end of
    /// a structured tensor are filled with NaN.
    pub fn new(law: &Law, stream: Stream) -> Sampler {
        Sampler {
            law: *law,
            stream,
            single: Plan::single(law),
            double: Plan::double(law),
            structured: StructuredFill::new(law, stream).map(Arc::new),
        }
    }

    /// The law drawn.
    pub fn law(&self) -> &Law {
        &self.law
    }

    /// The stream drawn from.
    pub fn stream(&self) -> Stream {
        self.stream
    }

    /// Fills `out` with elements `0..out.len()` of the tensor.
    pub fn fill<T: Element>(&self, out: &mut [T]) {
        self.fill_range(0, out);
    }

    /// Fills `out` with elements `start..start + out.len()` of the tensor, in parallel on
    /// the current rayon pool for large slices. The bytes do not depend on the pool.
    ///
    /// `start + out.len()` must not exceed 2⁶⁴ (the counter space of one stream).
    pub fn fill_range<T: Element>(&self, start: u64, out: &mut [T]) {
        if let Some(structured) = &self.structured {
            structured.fill_range(start, out);
            return;
        }
        let path = KernelPath::best();
        let large = out.len() >= LARGE_FILL;
        if out.len() <= PARALLEL_CHUNK {
            self.fill_with(path, start, out, large);
        } else {
            out.par_chunks_mut(PARALLEL_CHUNK)
                .enumerate()
                .for_each(|(i, chunk)| {
                    self.fill_with(path, start + (i * PARALLEL_CHUNK) as u64, chunk, large)
                });
        }
    }

    /// Fills `out` with elements `start..start + out.len()` on the calling thread only.
    pub fn fill_serial<T: Element>(&self, start: u64, out: &mut [T]) {
        self.fill_serial_with(KernelPath::best(), start, out);
    }

    /// [`fill_serial`](Sampler::fill_serial) with the kernels compiled for `path`. Every
    /// path writes the same bytes; this exists to test and benchmark them against each other.
    pub fn fill_serial_with<T: Element>(&self, path: KernelPath, start: u64, out: &mut [T]) {
        self.fill_with(path, start, out, out.len() >= LARGE_FILL);
    }

    /// One serial piece of a fill; `large` when the whole fill has at least [`LARGE_FILL`]
    /// elements (the uniform kernel then streams its stores too).
    fn fill_with<T: Element>(&self, path: KernelPath, start: u64, out: &mut [T], large: bool) {
        if let Some(structured) = &self.structured {
            structured.fill_range(start, out);
            return;
        }
        let job = Job {
            single: &self.single,
            double: &self.double,
            key: self.stream.key(),
            large,
        };
        dispatch::fill_slice(path, &job, start, T::as_out_slice(out));
    }
}

/// A fill of at least this many elements (2²², 16 MiB of f32) is taken to exceed the caches:
/// the uniform kernel then writes with streaming stores as the normal and truncated kernels
/// always do for long runs. At this size a regular store costs a read of its line first
/// (write-allocate), which at two threads halved the uniform kernel's share of memset's
/// bandwidth; below it, where the output may still be in cache, streaming cost the uniform
/// kernel 20 % (docs/PERFORMANCE.md). The bytes are the same either way.
pub const LARGE_FILL: usize = 1 << 22;

/// One fill request as the kernels see it: the plans and the key.
pub(crate) struct Job<'a> {
    single: &'a Plan<f32>,
    double: &'a Plan<f64>,
    key: [u32; 2],
    large: bool,
}

impl Job<'_> {
    /// Fills `out` with elements `start..`; inlined whole into each `dispatch` copy, so that
    /// every kernel below is compiled for that copy's instruction set.
    #[inline(always)]
    fn run<T: Element>(&self, start: u64, out: &mut [T]) {
        let key = self.key;
        match (T::PRECISION, *self.single) {
            (Precision::Single, Plan::Constant(value)) => out.fill(T::from_f32(value)),
            (Precision::Single, Plan::Uniform { a, width, below_b }) => {
                let kernel = single::Uniform {
                    key,
                    a,
                    width,
                    below_b,
                    stream: self.large,
                };
                single_tiles(start, out, &kernel);
            }
            (Precision::Single, Plan::Normal { mean, std }) => {
                single_tiles(start, out, &single::Normal { key, mean, std });
            }
            (Precision::Single, Plan::Truncated(plan)) if single::needs_tail(&plan) => {
                single_tiles(start, out, &single::Truncated::<true> { key, plan });
            }
            (Precision::Single, Plan::Truncated(plan)) => {
                single_tiles(start, out, &single::Truncated::<false> { key, plan });
            }
            _ => self.run_double(start, out),
        }
    }

    /// Fills `out` from the double-precision kernels.
    #[inline(always)]
    fn run_double<T: Element>(&self, start: u64, out: &mut [T]) {
        let key = self.key;
        match *self.double {
            Plan::Constant(value) => out.fill(T::from_f64(value)),
            Plan::Uniform { a, width, below_b } => {
                let kernel = double::Uniform {
                    key,
                    a,
                    width,
                    below_b,
                };
                double_tiles(start, out, &kernel);
            }
            Plan::Normal { mean, std } => {
                double_tiles(start, out, &double::Normal { key, mean, std });
            }
            Plan::Truncated(plan) => {
                double_tiles(start, out, &double::Truncated { key, plan });
            }
            Plan::ViaDouble => {
                unreachable!("double plans are never ViaDouble")
            }
        }
    }
}

/// A kernel that computes whole tiles of `TILE` elements: tile `t` holds elements
/// `TILE·t .. TILE·(t + 1)`. Implementations are `#[inline(always)]` (no closures), so
/// that each `dispatch` copy compiles them with its own instruction set.
pub(crate) trait TileKernel<W, const TILE: usize> {
    /// Fills `out` with tile `tile`.
    fn tile(&self, tile: u64, out: &mut [W; TILE]);

    /// Fills `out[t]` with tile `first + t`, for each `t`: the same bytes as calling
    /// [`tile`](TileKernel::tile) on each, which a kernel may override to overlap the
    /// work of consecutive tiles.
    #[inline(always)]
    fn tiles(&self, first: u64, out: &mut [[W; TILE]]) {
        for (t, chunk) in out.iter_mut().enumerate() {
            self.tile(first + t as u64, chunk);
        }
    }
}

/// Runs a single-precision kernel over `out`, writing whole tiles straight into `out` when
/// it is an `f32` slice.
#[inline(always)]
fn single_tiles<T: Element, K: TileKernel<f32, { single::TILE }>>(
    start: u64,
    out: &mut [T],
    kernel: &K,
) {
    match T::as_f32_slice(out) {
        Some(out) => tiled_direct(start, out, kernel),
        None => tiled(start, out, kernel, T::from_f32),
    }
}

/// Runs a double-precision kernel over `out`, writing whole tiles straight into `out` when
/// it is an `f64` slice.
#[inline(always)]
fn double_tiles<T: Element, K: TileKernel<f64, { double::TILE }>>(
    start: u64,
    out: &mut [T],
    kernel: &K,
) {
    match T::as_f64_slice(out) {
        Some(out) => tiled_direct(start, out, kernel),
        None => tiled(start, out, kernel, T::from_f64),
    }
}

/// Walks `out` tile by tile: each tile is computed whole and the part that overlaps
/// `start..start + out.len()` is converted into place.
#[inline(always)]
fn tiled<W: Copy + Default, T, K: TileKernel<W, TILE>, const TILE: usize>(
    start: u64,
    out: &mut [T],
    kernel: &K,
    convert: fn(W) -> T,
) {
    let mut buf = [W::default(); TILE];
    let mut index = start;
    let mut pos = 0;
    while pos < out.len() {
        let offset = (index % TILE as u64) as usize;
        let take = (TILE - offset).min(out.len() - pos);
        kernel.tile(index / TILE as u64, &mut buf);
        for (slot, value) in out[pos..pos + take]
            .iter_mut()
            .zip(&buf[offset..offset + take])
        {
            *slot = convert(*value);
        }
        pos += take;
        index += take as u64;
    }
}

/// [`tiled`] without conversion: whole tiles are computed in place, only a partial first
/// and last tile go through a buffer.
#[inline(always)]
fn tiled_direct<W: Copy + Default, K: TileKernel<W, TILE>, const TILE: usize>(
    start: u64,
    out: &mut [W],
    kernel: &K,
) {
    let offset = (start % TILE as u64) as usize;
    let head = if offset == 0 {
        0
    } else {
        (TILE - offset).min(out.len())
    };
    let (first, rest) = out.split_at_mut(head);
    tiled(start, first, kernel, std::convert::identity);
    let index = start + head as u64;
    let (whole, last) = rest.as_chunks_mut::<TILE>();
    let first_tile = index / TILE as u64;
    kernel.tiles(first_tile, whole);
    let done = (whole.len() * TILE) as u64;
    tiled(index + done, last, kernel, std::convert::identity);
}

#[cfg(test)]
mod tests {
    use super::*;
    use half::{bf16, f16};

    fn laws() -> Vec<Law> {
        [
            "constant(value=0.25)",
            "uniform(a=-0.1, b=0.3)",
            "normal(mean=0.5, std=2)",
            "trunc_normal(mean=0, std=1, a=-2, b=2)",
            "trunc_normal(mean=1, std=0.5, a=0.2, b=3)",
            "trunc_normal(mean=0, std=1, a=5, b=6)",
            "trunc_normal(mean=0, std=1, a=-40, b=-37)",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect()
    }

    #[test]
    fn ranges_equal_slices_of_the_whole() {
        for law in laws() {
            let sampler = Sampler::new(&law, Stream::new(3, "w"));
            let mut all32 = vec![0f32; 3 * PARALLEL_CHUNK + 77];
            let mut all64 = vec![0f64; 1000];
            sampler.fill(&mut all32);
            sampler.fill(&mut all64);
            for (start, len) in [
                (0, 1),
                (1, 63),
                (5, 200),
                (64, 64),
                (999, 1),
                (PARALLEL_CHUNK - 3, 70),
            ] {
                let mut part = vec![0f32; len];
                sampler.fill_range(start as u64, &mut part);
                assert_eq!(
                    &all32[start..start + len],
                    &part[..],
                    "{law} f32 {start}+{len}"
                );
                if start + len <= all64.len() {
                    let mut part = vec![0f64; len];
                    sampler.fill_range(start as u64, &mut part);
                    assert_eq!(
                        &all64[start..start + len],
                        &part[..],
                        "{law} f64 {start}+{len}"
                    );
                }
            }
            let mut serial = vec![0f32; all32.len()];
            sampler.fill_serial(0, &mut serial);
            assert_eq!(serial, all32);
        }
    }

    #[test]
    fn values_stay_in_the_support() {
        for law in laws() {
            let support = law.support();
            let sampler = Sampler::new(&law, Stream::new(11, "support"));
            let mut v32 = vec![0f32; 100_000];
            sampler.fill(&mut v32);
            let mut v64 = vec![0f64; 100_000];
            sampler.fill(&mut v64);
            let (lo32, hi32) = (support.low as f32, support.high as f32);
            assert!(
                v32.iter().all(|&x| x.is_finite() && lo32 <= x && x <= hi32),
                "{law}"
            );
            assert!(
                v64.iter().all(|&x| x.is_finite() && support.contains(x)),
                "{law}"
            );
            if let Law::Uniform(u) = law {
                assert!(v32.iter().all(|&x| x < u.b() as f32));
                assert!(v64.iter().all(|&x| x < u.b()));
            }
        }
    }

    #[test]
    fn low_precision_is_the_rounded_single_draw() {
        let law: Law = "normal(mean=0, std=0.02)".parse().unwrap();
        let sampler = Sampler::new(&law, Stream::new(5, "lp"));
        let mut wide = vec![0f32; 4096];
        let mut b = vec![bf16::ZERO; 4096];
        let mut h = vec![f16::ZERO; 4096];
        sampler.fill(&mut wide);
        sampler.fill(&mut b);
        sampler.fill(&mut h);
        for i in 0..wide.len() {
            assert_eq!(b[i], bf16::from_f32(wide[i]));
            assert_eq!(h[i], f16::from_f32(wide[i]));
        }
    }

    #[test]
    fn streams_differ_by_seed_and_name() {
        let law: Law = "uniform(a=-1, b=1)".parse().unwrap();
        let draw = |seed, name| {
            let mut v = vec![0f32; 64];
            Sampler::new(&law, Stream::new(seed, name)).fill(&mut v);
            v
        };
        assert_eq!(draw(1, "a"), draw(1, "a"));
        assert_ne!(draw(1, "a"), draw(2, "a"));
        assert_ne!(draw(1, "a"), draw(1, "b"));
    }

    /// A large fill (≥ LARGE_FILL elements, streamed stores for every single-precision kernel,
    /// in parallel) writes exactly the bytes of small serial fills of the same range (plain
    /// stores), from an aligned and a misaligned start.
    #[test]
    fn large_streamed_fills_equal_small_plain_ones() {
        let n = LARGE_FILL + 1000;
        for text in [
            "uniform(a=-0.5, b=0.25)",
            "normal(mean=0.1, std=2)",
            "trunc_normal(std=0.5, a=-1, b=0.75)",
        ] {
            let law: Law = text.parse().unwrap();
            let sampler = Sampler::new(&law, Stream::new(5, "large"));
            let mut large = vec![0f32; n];
            sampler.fill_range(0, &mut large);
            let mut small = vec![0f32; n];
            for (i, piece) in small.chunks_mut(100_003).enumerate() {
                sampler.fill_serial(i as u64 * 100_003, piece);
            }
            assert!(large == small, "{text}");
            // The output slice one element into a buffer: not 16-byte aligned.
            let mut shifted = vec![0f32; n + 1];
            sampler.fill_range(0, &mut shifted[1..]);
            assert!(shifted[1..] == small[..], "{text}, misaligned");
        }
    }

    /// Every kernel path this CPU supports writes the baseline path's bytes, for every law and
    /// dtype, whole and partial tiles, aligned and unaligned starts, low and high counters.
    #[test]
    fn every_kernel_path_writes_the_same_bytes() {
        let paths = KernelPath::supported();
        assert_eq!(paths[0], KernelPath::baseline());
        let mut laws = laws();
        laws.push("uniform(a=1, b=1.0000001)".parse().unwrap());
        laws.push("normal(mean=-3, std=1e-3)".parse().unwrap());
        laws.push("trunc_normal(mean=0, std=1, a=-0.5, b=6)".parse().unwrap());
        let starts = [0u64, 3, 64, 1_000_001, (1 << 32) * 4 - 5, u64::MAX - 5000];
        for law in laws {
            let sampler = Sampler::new(&law, Stream::new(19, "paths"));
            for &start in &starts {
                let len = 2500;
                let mut base32 = vec![0f32; len];
                let mut base64 = vec![0f64; len];
                let mut base16 = vec![bf16::ZERO; len];
                let baseline = KernelPath::baseline();
                sampler.fill_serial_with(baseline, start, &mut base32);
                sampler.fill_serial_with(baseline, start, &mut base64);
                sampler.fill_serial_with(baseline, start, &mut base16);
                for &path in &paths[1..] {
                    let mut v32 = vec![0f32; len];
                    let mut v64 = vec![0f64; len];
                    let mut v16 = vec![bf16::ZERO; len];
                    sampler.fill_serial_with(path, start, &mut v32);
                    sampler.fill_serial_with(path, start, &mut v64);
                    sampler.fill_serial_with(path, start, &mut v16);
                    let bits32 = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    let bits64 = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits32(&v32), bits32(&base32), "{law} f32 {path} at {start}");
                    assert_eq!(bits64(&v64), bits64(&base64), "{law} f64 {path} at {start}");
                    assert_eq!(v16, base16, "{law} bf16 {path} at {start}");
                }
            }
        }
    }

    /// The words behind every element are those of an independent, published Philox4x32-10
    /// (the `rand_philox` crate, itself pinned to Random123's known-answer vectors): element
    /// `i` of an f32 tensor uses word `i mod 4` of block `⌊i/4⌋`, counter = block index.
    #[test]
    fn streams_match_rand_philox() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..200 {
            let key = [next() as u32, next() as u32];
            let counter = [next() as u32, next() as u32, next() as u32, next() as u32];
            let theirs = rand_philox::philox4x32_10(counter, key);
            assert_eq!(crate::philox::philox4x32_10(counter, key), theirs);
        }
        let law: Law = "uniform(a=-1, b=1)".parse().unwrap();
        for (seed, first_block) in [
            (0u64, 0u64),
            (1, 12_345),
            (2, (1 << 32) - 3),
            (3, u64::MAX / 4 - 600),
        ] {
            let stream = Stream::new(seed, "cross-check");
            let sampler = Sampler::new(&law, stream);
            let Plan::Uniform { a, width, below_b } = sampler.single else {
                panic!("uniform plan expected");
            };
            let mut words = vec![0u32; 4 * 517];
            rand_philox::Philox::new(stream.key(), u128::from(first_block)).fill_u32(&mut words);
            let mut ours = vec![0f32; words.len()];
            sampler.fill_range(4 * first_block, &mut ours);
            for (i, (&w, &got)) in words.iter().zip(&ours).enumerate() {
                let want = (a + width * ((w >> 8) as f32 / 16_777_216.0)).min(below_b);
                assert_eq!(got.to_bits(), want.to_bits(), "seed {seed}, element {i}");
            }
        }
    }

    #[test]
    fn kernel_paths_are_detected_consistently() {
        let supported = KernelPath::supported();
        assert!(supported.contains(&KernelPath::best()));
        for isa in Isa::ALL {
            assert_eq!(
                KernelPath::new(isa).is_some(),
                supported.iter().any(|p| p.isa() == isa)
            );
        }
        assert_eq!(KernelPath::baseline().to_string(), "baseline");
    }

    #[test]
    fn far_tail_truncation_goes_through_double_precision() {
        let law: Law = "trunc_normal(mean=0, std=1, a=-40, b=-37)".parse().unwrap();
        let sampler = Sampler::new(&law, Stream::new(1, "tail"));
        let mut v32 = vec![0f32; 128];
        let mut v64 = vec![0f64; 128];
        sampler.fill(&mut v32);
        sampler.fill(&mut v64);
        for (a, b) in v32.iter().zip(&v64) {
            assert_eq!(*a, *b as f32);
        }
    }

    #[test]
    fn uniform_wider_than_f32_goes_through_double_precision() {
        // b − a = 6e38 overflows f32 although both bounds fit.
        let law: Law = "uniform(a=-3e38, b=3e38)".parse().unwrap();
        let sampler = Sampler::new(&law, Stream::new(2, "wide"));
        let mut v32 = vec![0f32; 1000];
        let mut v64 = vec![0f64; 1000];
        sampler.fill(&mut v32);
        sampler.fill(&mut v64);
        for (a, b) in v32.iter().zip(&v64) {
            assert!(a.is_finite() && *a >= -3e38 && *a <= 3e38, "{a}");
            assert_eq!(*a, *b as f32);
        }
        let spread = v32.iter().fold(0f32, |m, x| m.max(x.abs()));
        assert!(spread > 1e38 && v32.iter().any(|x| *x < 0.0));
    }
}

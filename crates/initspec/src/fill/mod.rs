//! Drawing a [`Law`] into memory: [`Sampler`], index-determined and thread-count invariant.
//!
//! Element `i` of a tensor is a pure function of the tensor's [`Stream`] key and `i`: it is
//! computed from the Philox block `⌊i/4⌋` (single precision) or `⌊i/2⌋` (double precision)
//! and nothing else. So any sub-range can be filled on its own
//! (`fill_range(a, ..)` equals `fill(..)[a..]`), any number of threads can share the work in
//! any order, and a tensor can be written in chunks or shards with identical bytes.
//! The kernels and their exact transforms are documented in the `single` and `double`
//! modules (and docs/SPEC.md, "Random streams").

mod double;
mod element;
mod math;
mod plan;
mod single;

use rayon::prelude::*;

pub use element::{Element, Precision};
use plan::Plan;

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
}

impl Sampler {
    /// A sampler of `law` on `stream`.
    pub fn new(law: &Law, stream: Stream) -> Sampler {
        Sampler {
            law: *law,
            stream,
            single: Plan::single(law),
            double: Plan::double(law),
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
        if out.len() <= PARALLEL_CHUNK {
            self.fill_serial(start, out);
        } else {
            out.par_chunks_mut(PARALLEL_CHUNK)
                .enumerate()
                .for_each(|(i, chunk)| {
                    self.fill_serial(start + (i * PARALLEL_CHUNK) as u64, chunk)
                });
        }
    }

    /// Fills `out` on the calling thread only.
    pub fn fill_serial<T: Element>(&self, start: u64, out: &mut [T]) {
        let key = self.stream.key();
        let single_ok = !matches!(self.single, Plan::TruncatedViaDouble);
        match T::PRECISION {
            Precision::Single if single_ok => {
                let plan = &self.single;
                tiled::<f32, T, { single::TILE }>(
                    start,
                    out,
                    |t, buf| single::tile(plan, key, t, buf),
                    T::from_f32,
                );
            }
            _ => {
                let plan = &self.double;
                tiled::<f64, T, { double::TILE }>(
                    start,
                    out,
                    |t, buf| double::tile(plan, key, t, buf),
                    T::from_f64,
                );
            }
        }
    }
}

/// Walks `out` tile by tile: each tile is computed whole and the part that overlaps
/// `start..start + out.len()` is converted into place.
#[inline(always)]
fn tiled<W: Copy + Default, T, const TILE: usize>(
    start: u64,
    out: &mut [T],
    mut tile: impl FnMut(u64, &mut [W; TILE]),
    convert: impl Fn(W) -> T,
) {
    let mut buf = [W::default(); TILE];
    let mut index = start;
    let mut pos = 0;
    while pos < out.len() {
        let offset = (index % TILE as u64) as usize;
        let take = (TILE - offset).min(out.len() - pos);
        tile(index / TILE as u64, &mut buf);
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
}

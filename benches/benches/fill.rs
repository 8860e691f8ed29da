//! Fill-kernel throughput, from cache-resident to memory-bound buffers.
//!
//! One group per kernel (`uniform_f32`, `normal_f32`, `trunc_normal_f32` and their `_f64`
//! twins); in each, for every buffer size, three functions on the same buffer:
//!
//! - `initspec`: `Sampler::fill` (all threads of the global rayon pool; set
//!   `RAYON_NUM_THREADS=1` for one thread),
//! - `memset`: writing zeros, the store-bandwidth ceiling,
//! - `rand_distr`: a per-element loop of `StandardNormal` / `Uniform` on `Xoshiro256PlusPlus`
//!   (one thread; for the truncated normal, `StandardNormal` redrawn outside [−2, 2]).
//!
//! `cargo bench -p initspec-benches` runs them all; `cargo bench -p initspec-benches --
//! normal_f32` one group. docs/PERFORMANCE.md records the results.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use initspec::baseline::{BaselineFloat, KERNELS, generator, rand_distr_fill};
use initspec::{Law, Sampler, Stream};
use rand_distr::StandardNormal;

/// Buffer sizes in elements: L1 (16 KiB of f32), L2, L3, and main memory.
const SIZES: [usize; 4] = [1 << 12, 1 << 16, 1 << 20, 1 << 24];

fn kernel_group<T: BaselineFloat>(c: &mut Criterion, dtype: &str)
where
    StandardNormal: rand_distr::Distribution<T>,
{
    for (name, law, baseline) in KERNELS {
        let law: Law = law.parse().expect("valid law");
        let sampler = Sampler::new(&law, Stream::new(0, name));
        let mut group = c.benchmark_group(format!("{name}_{dtype}"));
        group.sample_size(10);
        group.warm_up_time(std::time::Duration::from_millis(500));
        group.measurement_time(std::time::Duration::from_secs(2));
        for size in SIZES {
            let mut buf = vec![T::default(); size];
            let mut rng = generator(1);
            group.throughput(Throughput::Elements(size as u64));
            group.bench_function(BenchmarkId::new("initspec", size), |b| {
                b.iter(|| sampler.fill(black_box(&mut buf[..])))
            });
            group.bench_function(BenchmarkId::new("memset", size), |b| {
                b.iter(|| black_box(&mut buf[..]).fill(T::of(0.0)))
            });
            group.bench_function(BenchmarkId::new("rand_distr", size), |b| {
                b.iter(|| rand_distr_fill(baseline, &mut rng, black_box(&mut buf[..])))
            });
        }
        group.finish();
    }
}

fn f32_kernels(c: &mut Criterion) {
    kernel_group::<f32>(c, "f32");
}

fn f64_kernels(c: &mut Criterion) {
    kernel_group::<f64>(c, "f64");
}

criterion_group!(benches, f32_kernels, f64_kernels);
criterion_main!(benches);

//! `initspec bench`: throughput of the fill kernels against two baselines measured in the
//! same run, on the same buffer: `memset` (writing zeros, the memory-bandwidth ceiling) and
//! `rand_distr` (a per-element loop of `StandardNormal` or `Uniform` on
//! `Xoshiro256PlusPlus`, the usual way to fill a Rust buffer).
//!
//! Each (kernel, thread count) row times `--reps` fills of a pre-touched buffer of `--size`
//! elements after one warm-up fill and reports the median. At more than one thread, every
//! contender runs on the same rayon pool over the same fixed chunks; the `rand_distr`
//! baseline then seeds one generator per chunk, so it gets the same parallel advantage.
//! The `targets` section of `--json` holds the ratios the project commits to (see
//! docs/PERFORMANCE.md); the command reports them and always exits 0 when it could run.

use std::time::Instant;

use initspec::baseline::{Baseline, BaselineFloat, KERNELS, generator, rand_distr_fill};
use initspec::fill::{KernelPath, PARALLEL_CHUNK};
use initspec::{Law, Sampler, Stream};
use rand_distr::StandardNormal;
use rayon::prelude::*;
use serde::Serialize;

use crate::limits;
use crate::output::Outcome;
use anyhow::anyhow;

/// Largest accepted `--size`: 2³⁰ elements (8 GiB in f64).
const MAX_SIZE: usize = 1 << 30;

/// Options of `initspec bench`.
#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// Elements per buffer, 1 to 2^30 (and what memory allows).
    #[arg(long, default_value_t = 1 << 24)]
    pub size: usize,
    /// Largest thread count to measure (rows at 1 thread and at this count); default: all
    /// available threads; at most 1024.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Timed repetitions per measurement (the median is reported), 1 to 10000.
    #[arg(long, default_value_t = 5)]
    pub reps: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// One measured (kernel, thread count) row.
#[derive(Debug, Clone, Serialize)]
pub struct BenchRow {
    /// `uniform_f32`, `normal_f32`, `trunc_normal_f32`, or their `_f64` twins.
    pub kernel: String,
    /// The law drawn.
    pub law: String,
    /// Threads in the rayon pool.
    pub threads: usize,
    /// initspec's fill, elements per second.
    pub samples_per_sec: f64,
    /// Zero fill of the same buffer, elements per second.
    pub memset_samples_per_sec: f64,
    /// The per-element `rand_distr` loop, elements per second.
    pub rand_distr_samples_per_sec: f64,
    /// `samples_per_sec / memset_samples_per_sec`.
    pub vs_memset: f64,
    /// `samples_per_sec / rand_distr_samples_per_sec`.
    pub vs_rand_distr: f64,
}

/// A committed performance target and whether this run met it.
#[derive(Debug, Clone, Serialize)]
pub struct BenchTarget {
    /// What is compared.
    pub name: String,
    /// The measured ratio.
    pub value: f64,
    /// The ratio it must reach.
    pub target: f64,
    /// `value >= target`.
    pub met: bool,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// Elements per buffer.
    pub size: usize,
    /// Timed repetitions per measurement.
    pub reps: usize,
    /// The kernel path (instruction set) the fills ran on.
    pub kernel_path: String,
    /// One row per (kernel, thread count).
    pub results: Vec<BenchRow>,
    /// The project's performance targets, evaluated on this run.
    pub targets: Vec<BenchTarget>,
}

/// Runs the benchmark and prints a table (or JSON with `--json`); returns the exit status.
///
/// # Errors
/// A zero or too large `--size`, zero `--threads` or `--reps`, or a thread pool that cannot
/// be started.
pub fn run(args: &BenchArgs) -> anyhow::Result<Outcome> {
    let report = measure(args)?;
    let text = if args.json {
        let mut text =
            serde_json::to_string_pretty(&report).map_err(|e| anyhow!("cannot write JSON: {e}"))?;
        text.push('\n');
        text
    } else {
        table(&report)
    };
    Ok(Outcome::success(text))
}

/// Measures every kernel at 1 thread and at the requested thread count.
///
/// # Errors
/// As [`run`].
pub fn measure(args: &BenchArgs) -> anyhow::Result<BenchReport> {
    limits::in_range("--size", args.size, 1, MAX_SIZE)?;
    limits::in_range("--reps", args.reps, 1, limits::MAX_REPS)?;
    let max_threads = match limits::threads(args.threads)? {
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    // One f64 buffer of --size elements is filled at a time.
    limits::check_memory(
        "bench",
        limits::bytes_of(args.size, std::mem::size_of::<f64>()),
    )?;
    let mut thread_counts = vec![1];
    if max_threads > 1 {
        thread_counts.push(max_threads);
    }
    let pools = thread_counts
        .iter()
        .map(|&n| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map(|pool| (n, pool))
                .map_err(|e| anyhow!("cannot start {n} threads: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;

    let mut results = Vec::new();
    for dtype in ["f32", "f64"] {
        for (name, law, baseline) in KERNELS {
            let law: Law = law.parse()?;
            for (threads, pool) in &pools {
                let kernel = format!("{name}_{dtype}");
                let row = pool.install(|| match dtype {
                    "f32" => measure_one::<f32>(&kernel, &law, baseline, *threads, args),
                    _ => measure_one::<f64>(&kernel, &law, baseline, *threads, args),
                });
                results.push(row?);
            }
        }
    }
    let targets = targets(&results, max_threads);
    Ok(BenchReport {
        size: args.size,
        reps: args.reps,
        kernel_path: KernelPath::best().to_string(),
        results,
        targets,
    })
}

/// Measures one row on the current rayon pool.
fn measure_one<T: BaselineFloat>(
    kernel: &str,
    law: &Law,
    baseline: Baseline,
    threads: usize,
    args: &BenchArgs,
) -> anyhow::Result<BenchRow>
where
    StandardNormal: rand_distr::Distribution<T>,
{
    let mut buf = limits::try_vec("the benchmark buffer", args.size, T::default())?;
    let n = args.size as f64;
    let sampler = Sampler::new(law, Stream::new(0, kernel));
    let ours = n / median_secs(args.reps, || sampler.fill(&mut buf));
    let zero = T::of(0.0);
    let memset = n / median_secs(args.reps, || {
        buf.par_chunks_mut(PARALLEL_CHUNK)
            .for_each(|chunk| chunk.fill(zero))
    });
    // One generator per chunk, seeded by the chunk's index: the same parallel advantage as
    // the sampler's.
    let baseline_fill = |buf: &mut [T]| {
        buf.par_chunks_mut(PARALLEL_CHUNK)
            .enumerate()
            .for_each(|(i, chunk)| rand_distr_fill(baseline, &mut generator(i as u64), chunk))
    };
    let rand_distr = n / median_secs(args.reps, || baseline_fill(&mut buf));
    Ok(BenchRow {
        kernel: kernel.to_string(),
        law: law.to_string(),
        threads,
        samples_per_sec: ours,
        memset_samples_per_sec: memset,
        rand_distr_samples_per_sec: rand_distr,
        vs_memset: ours / memset,
        vs_rand_distr: ours / rand_distr,
    })
}

/// Median wall time of `reps` calls of `f`, after one untimed warm-up call.
fn median_secs(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64().max(1e-9)
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// The committed targets, evaluated on `results`.
fn targets(results: &[BenchRow], max_threads: usize) -> Vec<BenchTarget> {
    let find = |kernel: &str, threads: usize| {
        results
            .iter()
            .find(|r| r.kernel == kernel && r.threads == threads)
    };
    let mut out = Vec::new();
    let mut push = |name: &str, value: f64, target: f64| {
        out.push(BenchTarget {
            name: name.to_string(),
            value,
            target,
            met: value >= target,
        })
    };
    for threads in [1, max_threads] {
        if threads != 1 && max_threads == 1 {
            continue;
        }
        let suffix = format!("{threads}t");
        if let Some(r) = find("normal_f32", threads) {
            push(
                &format!("normal_f32_vs_rand_distr_{suffix}"),
                r.vs_rand_distr,
                3.0,
            );
        }
        if let Some(r) = find("uniform_f32", threads) {
            push(
                &format!("uniform_f32_vs_memset_{suffix}"),
                r.vs_memset,
                0.35,
            );
        }
        if let (Some(t), Some(n)) = (
            find("trunc_normal_f32", threads),
            find("normal_f32", threads),
        ) {
            push(
                &format!("trunc_normal_f32_vs_normal_f32_{suffix}"),
                t.samples_per_sec / n.samples_per_sec,
                0.40,
            );
        }
    }
    if max_threads > 1 {
        for kernel in ["normal_f32", "trunc_normal_f32"] {
            if let (Some(one), Some(all)) = (find(kernel, 1), find(kernel, max_threads)) {
                push(
                    &format!("{kernel}_{max_threads}t_vs_1t"),
                    all.samples_per_sec / one.samples_per_sec,
                    1.6,
                );
            }
        }
    }
    out
}

/// The report as a fixed-width table.
fn table(report: &BenchReport) -> String {
    let mut s = format!(
        "initspec bench: {} elements, median of {} reps, kernel path {}\n\n",
        report.size, report.reps, report.kernel_path
    );
    s.push_str(&format!(
        "{:<18} {:>7} {:>12} {:>12} {:>12} {:>9} {:>11}\n",
        "kernel", "threads", "Msamples/s", "memset", "rand_distr", "vs memset", "vs rand_distr"
    ));
    for r in &report.results {
        s.push_str(&format!(
            "{:<18} {:>7} {:>12.0} {:>12.0} {:>12.0} {:>8.1}% {:>10.2}x\n",
            r.kernel,
            r.threads,
            r.samples_per_sec / 1e6,
            r.memset_samples_per_sec / 1e6,
            r.rand_distr_samples_per_sec / 1e6,
            100.0 * r.vs_memset,
            r.vs_rand_distr
        ));
    }
    s.push_str("\ntargets\n");
    for t in &report.targets {
        s.push_str(&format!(
            "{:<36} {:>7.2} (target ≥ {:.2})  {}\n",
            t.name,
            t.value,
            t.target,
            if t.met { "met" } else { "NOT met" }
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(size: usize, threads: Option<usize>) -> BenchArgs {
        BenchArgs {
            size,
            threads,
            reps: 1,
            json: false,
        }
    }

    #[test]
    fn small_run_reports_every_kernel_and_target() {
        let report = measure(&args(4096, Some(2))).unwrap();
        let kernels: Vec<_> = report.results.iter().map(|r| r.kernel.as_str()).collect();
        for k in [
            "uniform_f32",
            "normal_f32",
            "trunc_normal_f32",
            "uniform_f64",
            "normal_f64",
            "trunc_normal_f64",
        ] {
            assert_eq!(kernels.iter().filter(|&&x| x == k).count(), 2, "{k}");
        }
        assert!(report.results.iter().all(|r| r.samples_per_sec > 0.0
            && r.memset_samples_per_sec > 0.0
            && r.rand_distr_samples_per_sec > 0.0));
        assert_eq!(report.targets.len(), 8);
        let json = serde_json::to_value(&report).unwrap();
        assert!(json["results"][0]["rand_distr_samples_per_sec"].is_number());
        assert!(table(&report).contains("trunc_normal_f64"));
    }

    #[test]
    fn bad_arguments_are_errors() {
        assert!(measure(&args(0, None)).is_err());
        assert!(measure(&args(MAX_SIZE + 1, None)).is_err());
        assert!(measure(&args(16, Some(0))).is_err());
        let mut zero_reps = args(16, None);
        zero_reps.reps = 0;
        assert!(measure(&zero_reps).is_err());
        for reps in [limits::MAX_REPS + 1, 100_000_000_000, usize::MAX] {
            let mut huge = args(16, None);
            huge.reps = reps;
            let e = measure(&huge).unwrap_err();
            assert!(e.to_string().starts_with("--reps must be between"), "{e}");
        }
        let e = measure(&args(16, Some(limits::MAX_THREADS + 1))).unwrap_err();
        assert!(
            e.to_string().starts_with("--threads must be between"),
            "{e}"
        );
    }
}

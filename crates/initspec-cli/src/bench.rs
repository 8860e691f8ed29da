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
//! docs/PERFORMANCE.md); the command reports them.
//!
//! The kernel and its baselines are timed in interleaved reps (kernel, memset, rand_distr,
//! then again), so a rep's ratio compares fills made moments apart; `vs_memset` is the median
//! of the per-rep ratios, with their lowest and highest beside it. The full audit of a
//! normal f32 tensor of `--size` values (`audit_f32`) is tracked the same way. `--save` keeps
//! the run as JSON; `--baseline` compares this run with a saved one and exits 1 when a
//! kernel got slower than `--max-regression` percent ([`crate::bench_gate`]).

use std::path::{Path, PathBuf};
use std::time::Instant;

use initspec::baseline::{Baseline, BaselineFloat, KERNELS, generator, rand_distr_fill};
use initspec::fill::{KernelPath, PARALLEL_CHUNK};
use initspec::{Law, Sampler, Scheme, Stream};
use initspec_io::AtomicFile;
use initspec_verify::calibrate::iid::tensor_shape;
use initspec_verify::sample::Sample;
use initspec_verify::storage::Storage;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use serde::Serialize;

use crate::bench_gate::{self, DEFAULT_MAX_REGRESSION, Gate, GateThreads, Tracked};
use crate::limits;
use crate::output::Outcome;
use anyhow::{Context, anyhow};

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
    /// Also write this run's report as JSON to FILE.json (atomically), to serve as a
    /// later run's --baseline.
    #[arg(long, value_name = "FILE.json")]
    pub save: Option<PathBuf>,
    /// Compare each kernel's speed relative to memset with the run saved in FILE.json;
    /// exit 1 when one is slower by more than --max-regression percent.
    #[arg(long, value_name = "FILE.json")]
    pub baseline: Option<PathBuf>,
    /// The regression threshold of --baseline, percent (0 < PCT < 100).
    #[arg(long, value_name = "PCT", default_value_t = DEFAULT_MAX_REGRESSION)]
    pub max_regression: f64,
    /// Which thread counts --baseline holds to the threshold: `one` (the one-thread rows;
    /// the others are printed as info) or `all` (for a machine with nothing else running).
    #[arg(long, value_enum, default_value_t = GateThreads::One)]
    pub gate_threads: GateThreads,
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
    /// The median over reps of the memset time over the kernel's time (the kernel's speed
    /// relative to memset).
    pub vs_memset: f64,
    /// The lowest per-rep ratio.
    pub vs_memset_low: f64,
    /// The highest per-rep ratio.
    pub vs_memset_high: f64,
    /// `samples_per_sec / rand_distr_samples_per_sec`.
    pub vs_rand_distr: f64,
}

/// The full audit's throughput at one thread count.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRow {
    /// `audit_f32`.
    pub kernel: String,
    /// The law audited (the tensor was drawn from it).
    pub law: String,
    /// The tensor's shape.
    pub shape: [usize; 2],
    /// Threads in the rayon pool.
    pub threads: usize,
    /// Values audited per second (every check of `initspec audit`).
    pub samples_per_sec: f64,
    /// Zero fill of the same f32 buffer, elements per second.
    pub memset_samples_per_sec: f64,
    /// The median over reps of the memset time over the audit's time.
    pub vs_memset: f64,
    /// The lowest per-rep ratio.
    pub vs_memset_low: f64,
    /// The highest per-rep ratio.
    pub vs_memset_high: f64,
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
    /// The full audit's throughput, one row per thread count.
    pub audit: Vec<AuditRow>,
    /// Every kernel the regression gate tracks (the fill kernels and the audit), with its
    /// speed relative to memset.
    pub tracked: Vec<Tracked>,
    /// The comparison with `--baseline`, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gate: Option<Gate>,
}

/// Runs the benchmark and prints a table (or JSON with `--json`); returns the exit status.
///
/// # Errors
/// A zero or too large `--size`, zero `--threads` or `--reps`, or a thread pool that cannot
/// be started; a `--save` path that is not `.json` or cannot be written, a `--baseline` that
/// cannot be read or is not a bench report of the same `--size`, a `--max-regression`
/// outside (0, 100): all before anything is measured.
pub fn run(args: &BenchArgs) -> anyhow::Result<Outcome> {
    // Every problem with the files is found before the minutes of measuring.
    let mut save = args.save.as_deref().map(open_save).transpose()?;
    let baseline = match &args.baseline {
        Some(path) => {
            if !(args.max_regression > 0.0 && args.max_regression < 100.0) {
                return Err(anyhow!(
                    "--max-regression must be a percentage between 0 and 100 (exclusive), got {}",
                    args.max_regression
                ));
            }
            let baseline = bench_gate::load(path)?;
            if baseline.size != args.size {
                return Err(anyhow!(
                    "the baseline {} was measured with --size {}, this run has --size {}: \
                     ratios to memset depend on the buffer size, so rerun with --size {}",
                    path.display(),
                    baseline.size,
                    args.size,
                    baseline.size
                ));
            }
            Some((path, baseline))
        }
        None => None,
    };
    let mut report = measure(args)?;
    if let Some((path, baseline)) = &baseline {
        report.gate = Some(bench_gate::compare(
            &report.tracked,
            baseline,
            &path.display().to_string(),
            args.max_regression,
            args.gate_threads,
        ));
    }
    let json = || -> anyhow::Result<String> {
        let mut text =
            serde_json::to_string_pretty(&report).map_err(|e| anyhow!("cannot write JSON: {e}"))?;
        text.push('\n');
        Ok(text)
    };
    if let Some(file) = save.take() {
        write_save(file, &json()?)?;
    }
    let text = if args.json {
        json()?
    } else {
        let mut text = table(&report);
        if let Some(gate) = &report.gate {
            text.push_str(&bench_gate::table(gate, &report.kernel_path));
        }
        text
    };
    let regressions = report.gate.as_ref().map_or(0, |g| g.regressions);
    Ok(Outcome::verdict(regressions == 0, text))
}

/// Opens the `--save` file (a temporary beside it) before anything is measured.
///
/// # Errors
/// A path that does not end in `.json` or cannot be written.
fn open_save(path: &Path) -> anyhow::Result<AtomicFile> {
    if path.extension().and_then(|e| e.to_str()) != Some("json") {
        return Err(anyhow!(
            "--save {}: the report is JSON, so the file name must end in .json",
            path.display()
        ));
    }
    Ok(AtomicFile::create(path)?)
}

/// Writes the report into the `--save` file and renames it into place.
fn write_save(mut file: AtomicFile, json: &str) -> anyhow::Result<()> {
    file.write_all(json.as_bytes())
        .with_context(|| format!("cannot write {}", file.final_path().display()))?;
    file.commit()?;
    Ok(())
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
    let mut audit = Vec::new();
    for (threads, pool) in &pools {
        audit.push(pool.install(|| measure_audit(*threads, args))?);
    }
    let targets = targets(&results, max_threads);
    let tracked = results
        .iter()
        .map(|r| {
            (
                &r.kernel,
                r.threads,
                r.vs_memset,
                r.vs_memset_low,
                r.vs_memset_high,
            )
        })
        .chain(audit.iter().map(|r| {
            (
                &r.kernel,
                r.threads,
                r.vs_memset,
                r.vs_memset_low,
                r.vs_memset_high,
            )
        }))
        .map(
            |(kernel, threads, vs_memset, vs_memset_low, vs_memset_high)| Tracked {
                kernel: kernel.clone(),
                threads,
                vs_memset,
                vs_memset_low,
                vs_memset_high,
            },
        )
        .collect();
    Ok(BenchReport {
        size: args.size,
        reps: args.reps,
        kernel_path: KernelPath::best().to_string(),
        results,
        targets,
        audit,
        tracked,
        gate: None,
    })
}

/// The law of the audited tensor: GPT-2's N(0, 0.02²), a typical large weight.
const AUDIT_LAW: &str = "normal(std=0.02)";

/// Times the full audit (every check of `initspec audit`, independence included) of a
/// `--size`-value f32 tensor drawn from [`AUDIT_LAW`], against a zero fill of the same
/// buffer, on the current rayon pool.
fn measure_audit(threads: usize, args: &BenchArgs) -> anyhow::Result<AuditRow> {
    let scheme: Scheme = AUDIT_LAW.parse()?;
    let shape = tensor_shape(args.size);
    let law = scheme.resolve(&shape, &Default::default(), 1)?;
    let mut buf = limits::try_vec("the benchmark buffer", args.size, 0f32)?;
    let mut scratch = limits::try_vec("the benchmark buffer", args.size, 0f32)?;
    Sampler::new(&law, Stream::new(0, "audit_f32")).fill(&mut buf);
    let mut failed = None;
    let times = interleaved_reps(
        args.reps,
        &mut [
            &mut || {
                let sample = Sample::new(&buf, &shape, Storage::F32);
                if let Err(e) = initspec_verify::audit::audit(&sample, &scheme, 1e-3) {
                    failed = Some(e);
                }
            },
            &mut || {
                scratch
                    .par_chunks_mut(PARALLEL_CHUNK)
                    .for_each(|chunk| chunk.fill(0.0))
            },
        ],
    );
    if let Some(e) = failed {
        return Err(e.into());
    }
    let n = args.size as f64;
    let (vs_memset, vs_memset_low, vs_memset_high) = ratio_spread(&times[1], &times[0]);
    Ok(AuditRow {
        kernel: "audit_f32".to_string(),
        law: law.to_string(),
        shape,
        threads,
        samples_per_sec: n / median(&times[0]),
        memset_samples_per_sec: n / median(&times[1]),
        vs_memset,
        vs_memset_low,
        vs_memset_high,
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
    let zero = T::of(0.0);
    // The one buffer is shared by the three fills, in turn.
    let buf = std::cell::RefCell::new(&mut buf[..]);
    let times = interleaved_reps(
        args.reps,
        &mut [
            &mut || sampler.fill(&mut buf.borrow_mut()),
            &mut || {
                buf.borrow_mut()
                    .par_chunks_mut(PARALLEL_CHUNK)
                    .for_each(|chunk| chunk.fill(zero))
            },
            // One generator per chunk, seeded by the chunk's index: the same parallel
            // advantage as the sampler's.
            &mut || {
                buf.borrow_mut()
                    .par_chunks_mut(PARALLEL_CHUNK)
                    .enumerate()
                    .for_each(|(i, chunk)| {
                        rand_distr_fill(baseline, &mut generator(i as u64), chunk)
                    })
            },
        ],
    );
    let (ours, memset, rand_distr) = (
        n / median(&times[0]),
        n / median(&times[1]),
        n / median(&times[2]),
    );
    let (vs_memset, vs_memset_low, vs_memset_high) = ratio_spread(&times[1], &times[0]);
    Ok(BenchRow {
        kernel: kernel.to_string(),
        law: law.to_string(),
        threads,
        samples_per_sec: ours,
        memset_samples_per_sec: memset,
        rand_distr_samples_per_sec: rand_distr,
        vs_memset,
        vs_memset_low,
        vs_memset_high,
        vs_rand_distr: ours / rand_distr,
    })
}

/// Wall times of `reps` rounds of the calls `fs`, each round calling every one in turn
/// (so the contenders of a round see the same machine), after one untimed warm-up round:
/// `times[k][r]` is call k's time in round r.
fn interleaved_reps(reps: usize, fs: &mut [&mut dyn FnMut()]) -> Vec<Vec<f64>> {
    for f in fs.iter_mut() {
        f();
    }
    let mut times = vec![Vec::with_capacity(reps); fs.len()];
    for _ in 0..reps {
        for (f, t) in fs.iter_mut().zip(times.iter_mut()) {
            let start = Instant::now();
            f();
            t.push(start.elapsed().as_secs_f64().max(1e-9));
        }
    }
    times
}

/// The median of `times` (the upper one of an even count).
fn median(times: &[f64]) -> f64 {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

/// The per-round ratios `numerator[r] / denominator[r]`: their median, lowest and highest.
fn ratio_spread(numerator: &[f64], denominator: &[f64]) -> (f64, f64, f64) {
    let ratios: Vec<f64> = numerator
        .iter()
        .zip(denominator)
        .map(|(a, b)| a / b)
        .collect();
    let low = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let high = ratios.iter().copied().fold(0.0, f64::max);
    (median(&ratios), low, high)
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
    s.push_str(&format!(
        "\n{:<18} {:>7} {:>12} {:>12} {:>9} {:>17}\n",
        "audit", "threads", "Msamples/s", "memset", "vs memset", "(low–high)"
    ));
    for r in &report.audit {
        s.push_str(&format!(
            "{:<18} {:>7} {:>12.1} {:>12.0} {:>8.2}% {:>17}\n",
            format!("{} [{}, {}]", r.kernel, r.shape[0], r.shape[1]),
            r.threads,
            r.samples_per_sec / 1e6,
            r.memset_samples_per_sec / 1e6,
            100.0 * r.vs_memset,
            format!(
                "{:.2}–{:.2}%",
                100.0 * r.vs_memset_low,
                100.0 * r.vs_memset_high
            )
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
            save: None,
            baseline: None,
            max_regression: DEFAULT_MAX_REGRESSION,
            gate_threads: GateThreads::One,
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

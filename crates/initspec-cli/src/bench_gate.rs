//! The performance regression gate of `initspec bench --baseline FILE.json`: each tracked
//! kernel's speed relative to `memset` in this run against the same ratio in a saved run.
//!
//! Why relative to `memset`: absolute speeds move with the machine and with whatever else
//! runs on it; a fill kernel is bound by the same memory system and the same cores as a zero
//! fill of the same buffer measured moments before, so the ratio cancels most of both. Each
//! run times `--reps` interleaved (kernel, memset) rounds; a round's ratio is memset's time
//! over the kernel's. A kernel is a regression when **every** round of this run is slower
//! than the threshold allows:
//!
//! ```text
//! highest ratio of this run's rounds < baseline's median ratio · (1 − max_regression / 100)
//! ```
//!
//! Another process taking the CPU for part of the run lowers some rounds' ratios, rarely all
//! of them (memset, being memory-bound and short, is slowed less than a compute-bound
//! kernel, so contention cannot be divided out), while a slower kernel lowers every round.
//! The table prints the median and the spread (lowest–highest) of the rounds beside the
//! baseline. A busy machine wants more `--reps`, not a wider threshold; a machine that stays
//! busy for the whole run cannot be told from a slower kernel, so run the gate where nothing
//! else runs (a dedicated CI runner, or `nice` everything else).
//!
//! Only the one-thread rows are gated unless asked (`--gate-threads all`): with more threads
//! than the machine has idle cores, a kernel loses a whole core to any other process while
//! memset, bound by memory, hardly notices. On the project's 2-vCPU machine two runs of the
//! same binary a minute apart, with another build starting in between, measured the
//! two-thread fills 29–42 % slower and the one-thread fills within 6 % (docs/PERFORMANCE.md,
//! "A regression gate for CI"). The other rows are compared and printed as `info`.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, anyhow};
use serde::Serialize;
use serde_json::Value;

/// Default `--max-regression`, percent: twice the largest drop measured between runs of one
/// binary on the project's shared 2-vCPU machine (the best round of a run fell at most
/// 10.8 % below a saved baseline's median, over 5 runs; docs/PERFORMANCE.md, "A regression
/// gate for CI"). A dedicated runner can use less.
pub const DEFAULT_MAX_REGRESSION: f64 = 20.0;

/// One tracked kernel of a run: its median speed relative to memset and the per-rep spread.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tracked {
    /// The kernel (`normal_f32`, ..., `audit_f32`).
    pub kernel: String,
    /// Threads it ran on.
    pub threads: usize,
    /// Median over reps of (memset time / kernel time).
    pub vs_memset: f64,
    /// Lowest per-rep ratio.
    pub vs_memset_low: f64,
    /// Highest per-rep ratio.
    pub vs_memset_high: f64,
}

/// What the gate says of one kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Within the threshold (or faster).
    Ok,
    /// Slower than the baseline by more than the threshold.
    Regression,
    /// Measured now, absent from the baseline.
    New,
    /// In the baseline, not measured now (another thread count, a kernel removed).
    Missing,
    /// Compared and printed, not gated (more than one thread without `--gate-threads all`).
    Info,
}

/// Which thread counts the gate holds to the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GateThreads {
    /// Only the one-thread rows (robust to other processes on the machine).
    One,
    /// Every thread count (for a machine with nothing else running).
    All,
}

/// One row of the comparison.
#[derive(Debug, Clone, Serialize)]
pub struct GateRow {
    /// The kernel.
    pub kernel: String,
    /// Threads.
    pub threads: usize,
    /// The baseline's median ratio to memset.
    pub baseline: Option<f64>,
    /// This run's median ratio to memset.
    pub current: Option<f64>,
    /// This run's lowest per-rep ratio.
    pub current_low: Option<f64>,
    /// This run's highest per-rep ratio.
    pub current_high: Option<f64>,
    /// 100 · (current / baseline − 1).
    pub change_percent: Option<f64>,
    /// The verdict.
    pub status: Status,
}

/// The gate's verdict on a run.
#[derive(Debug, Clone, Serialize)]
pub struct Gate {
    /// The baseline file.
    pub baseline_file: String,
    /// The threshold, percent.
    pub max_regression_percent: f64,
    /// The thread counts held to it.
    pub gate_threads: GateThreads,
    /// The kernel path the baseline ran on, and this run's.
    pub baseline_kernel_path: String,
    /// One row per kernel and thread count of either run.
    pub rows: Vec<GateRow>,
    /// How many rows are regressions.
    pub regressions: usize,
}

/// A saved run: its buffer size, kernel path and tracked kernels.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    /// `--size` of the saved run.
    pub size: usize,
    /// Its kernel path.
    pub kernel_path: String,
    /// Its tracked kernels.
    pub tracked: Vec<Tracked>,
}

/// Reads a baseline saved by `initspec bench --save` (or its `--json` output).
///
/// # Errors
/// One line naming the file: unreadable, not JSON, or without the `size`, `kernel_path`
/// and `tracked` entries (`kernel`, `threads`, `vs_memset` each) of a bench report.
pub fn load(path: &Path) -> anyhow::Result<Baseline> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the baseline {}", path.display()))?;
    let json: Value = serde_json::from_str(&text).map_err(|e| {
        anyhow!(
            "the baseline {} is not JSON ({e}); write it with initspec bench --save",
            path.display()
        )
    })?;
    parse(&json).map_err(|what| {
        anyhow!(
            "the baseline {} is not an initspec bench report: {what}",
            path.display()
        )
    })
}

/// The baseline in a bench report's JSON, or what is missing.
fn parse(json: &Value) -> Result<Baseline, String> {
    let size = json["size"]
        .as_u64()
        .and_then(|s| usize::try_from(s).ok())
        .ok_or("no \"size\"")?;
    let kernel_path = json["kernel_path"]
        .as_str()
        .ok_or("no \"kernel_path\"")?
        .to_string();
    let rows = json["tracked"].as_array().ok_or("no \"tracked\" list")?;
    let mut tracked = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let field = |key: &str| row[key].as_f64().filter(|v| v.is_finite() && *v > 0.0);
        let kernel = row["kernel"]
            .as_str()
            .ok_or_else(|| format!("tracked[{i}] has no \"kernel\""))?;
        let threads = row["threads"]
            .as_u64()
            .and_then(|t| usize::try_from(t).ok())
            .ok_or_else(|| format!("tracked[{i}] ({kernel}) has no \"threads\""))?;
        let vs_memset = field("vs_memset")
            .ok_or_else(|| format!("tracked[{i}] ({kernel}) has no positive \"vs_memset\""))?;
        tracked.push(Tracked {
            kernel: kernel.to_string(),
            threads,
            vs_memset,
            vs_memset_low: field("vs_memset_low").unwrap_or(vs_memset),
            vs_memset_high: field("vs_memset_high").unwrap_or(vs_memset),
        });
    }
    Ok(Baseline {
        size,
        kernel_path,
        tracked,
    })
}

/// Compares `current` with `baseline` at `max_regression` percent; rows in the order of the
/// current run, then the baseline's rows it did not measure.
pub fn compare(
    current: &[Tracked],
    baseline: &Baseline,
    baseline_file: &str,
    max_regression: f64,
    gate_threads: GateThreads,
) -> Gate {
    let saved: BTreeMap<(&str, usize), &Tracked> = baseline
        .tracked
        .iter()
        .map(|t| ((t.kernel.as_str(), t.threads), t))
        .collect();
    let mut rows: Vec<GateRow> = current
        .iter()
        .map(|now| {
            let before = saved.get(&(now.kernel.as_str(), now.threads));
            let (status, change) = match before {
                None => (Status::New, None),
                Some(b) => {
                    let change = 100.0 * (now.vs_memset / b.vs_memset - 1.0);
                    let floor = b.vs_memset * (1.0 - max_regression / 100.0);
                    let status = if gate_threads == GateThreads::One && now.threads > 1 {
                        Status::Info
                    } else if now.vs_memset_high < floor {
                        Status::Regression
                    } else {
                        Status::Ok
                    };
                    (status, Some(change))
                }
            };
            GateRow {
                kernel: now.kernel.clone(),
                threads: now.threads,
                baseline: before.map(|b| b.vs_memset),
                current: Some(now.vs_memset),
                current_low: Some(now.vs_memset_low),
                current_high: Some(now.vs_memset_high),
                change_percent: change,
                status,
            }
        })
        .collect();
    for b in &baseline.tracked {
        if !current
            .iter()
            .any(|c| c.kernel == b.kernel && c.threads == b.threads)
        {
            rows.push(GateRow {
                kernel: b.kernel.clone(),
                threads: b.threads,
                baseline: Some(b.vs_memset),
                current: None,
                current_low: None,
                current_high: None,
                change_percent: None,
                status: Status::Missing,
            });
        }
    }
    let regressions = rows
        .iter()
        .filter(|r| r.status == Status::Regression)
        .count();
    Gate {
        baseline_file: baseline_file.to_string(),
        max_regression_percent: max_regression,
        gate_threads,
        baseline_kernel_path: baseline.kernel_path.clone(),
        rows,
        regressions,
    }
}

/// The gate as a table.
pub fn table(gate: &Gate, kernel_path: &str) -> String {
    let mut s = format!(
        "\nagainst the baseline {} (speed relative to memset; a regression: every round below −{}%{})\n",
        gate.baseline_file,
        gate.max_regression_percent,
        match gate.gate_threads {
            GateThreads::One => "; one-thread rows gated, the others info",
            GateThreads::All => "",
        }
    );
    if gate.baseline_kernel_path != kernel_path {
        s.push_str(&format!(
            "note: the baseline ran on kernel path {}, this run on {}\n",
            gate.baseline_kernel_path, kernel_path
        ));
    }
    s.push_str(&format!(
        "{:<18} {:>7} {:>10} {:>10} {:>19} {:>9}  status\n",
        "kernel", "threads", "baseline", "now", "now (low–high)", "change"
    ));
    let pct = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{:.1}%", 100.0 * v));
    for r in &gate.rows {
        let spread = match (r.current_low, r.current_high) {
            (Some(lo), Some(hi)) => format!("{:.1}–{:.1}%", 100.0 * lo, 100.0 * hi),
            _ => "-".to_string(),
        };
        let change = r
            .change_percent
            .map_or_else(|| "-".to_string(), |c| format!("{c:+.1}%"));
        let status = match r.status {
            Status::Ok => "ok",
            Status::Regression => "REGRESSION",
            Status::New => "new",
            Status::Missing => "missing",
            Status::Info => "info",
        };
        s.push_str(&format!(
            "{:<18} {:>7} {:>10} {:>10} {:>19} {:>9}  {status}\n",
            r.kernel,
            r.threads,
            pct(r.baseline),
            pct(r.current),
            spread,
            change
        ));
    }
    s.push_str(&if gate.regressions == 0 {
        "gate: PASS (no kernel slower than the baseline beyond the threshold)\n".to_string()
    } else {
        format!(
            "gate: FAIL ({} kernel(s) slower than the baseline by more than {}%)\n",
            gate.regressions, gate.max_regression_percent
        )
    });
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kernel: &str, threads: usize, v: f64) -> Tracked {
        Tracked {
            kernel: kernel.into(),
            threads,
            vs_memset: v,
            vs_memset_low: v * 0.95,
            vs_memset_high: v * 1.05,
        }
    }

    fn baseline(rows: Vec<Tracked>) -> Baseline {
        Baseline {
            size: 1024,
            kernel_path: "avx2".into(),
            tracked: rows,
        }
    }

    #[test]
    fn regression_is_beyond_the_threshold_only() {
        let base = baseline(vec![
            row("normal_f32", 1, 0.50),
            row("uniform_f32", 1, 0.60),
            row("audit_f32", 1, 0.010),
            row("gone_f32", 1, 0.3),
            row("normal_f32", 2, 0.9),
        ]);
        let now = [
            row("normal_f32", 1, 0.44), // median −12 %, but the best round (0.462) within 10 %
            row("uniform_f32", 1, 0.50), // every round (0.475–0.525) below 0.54: a regression
            row("audit_f32", 1, 0.012), // faster
            row("new_f32", 2, 0.2),
            row("normal_f32", 2, 0.10), // a regression, if gated
        ];
        let gate = compare(&now, &base, "b.json", 10.0, GateThreads::One);
        let status: Vec<_> = gate
            .rows
            .iter()
            .map(|r| (r.kernel.as_str(), r.status))
            .collect();
        assert_eq!(
            status,
            [
                ("normal_f32", Status::Ok),
                ("uniform_f32", Status::Regression),
                ("audit_f32", Status::Ok),
                ("new_f32", Status::New),
                ("normal_f32", Status::Info),
                ("gone_f32", Status::Missing),
            ]
        );
        assert_eq!(gate.regressions, 1);
        let change = gate.rows[1].change_percent.unwrap();
        assert!((change - (0.50 / 0.60 - 1.0) * 100.0).abs() < 1e-9);
        let text = table(&gate, "avx512");
        assert!(text.contains("REGRESSION"), "{text}");
        assert!(text.contains("gate: FAIL (1 kernel(s)"), "{text}");
        assert!(text.contains("baseline ran on kernel path avx2, this run on avx512"));
        // A looser threshold lets it through (0.525 ≥ 0.60 · 0.875).
        assert_eq!(
            compare(&now, &base, "b.json", 12.5, GateThreads::One).regressions,
            0
        );
        // Gating every thread count makes the two-thread row a regression too.
        let all = compare(&now, &base, "b.json", 10.0, GateThreads::All);
        assert_eq!(all.regressions, 2);
        assert_eq!(all.rows[4].status, Status::Regression);
    }

    #[test]
    fn malformed_baselines_name_what_is_missing() {
        let cases = [
            (serde_json::json!({}), "no \"size\""),
            (serde_json::json!({"size": 4}), "no \"kernel_path\""),
            (
                serde_json::json!({"size": 4, "kernel_path": "x"}),
                "no \"tracked\" list",
            ),
            (
                serde_json::json!({"size": 4, "kernel_path": "x", "tracked": [{"kernel": "k", "threads": 1, "vs_memset": -1.0}]}),
                "tracked[0] (k) has no positive \"vs_memset\"",
            ),
            (
                serde_json::json!({"size": 4, "kernel_path": "x", "tracked": [{"threads": 1}]}),
                "tracked[0] has no \"kernel\"",
            ),
        ];
        for (json, expected) in cases {
            assert_eq!(parse(&json).unwrap_err(), expected);
        }
        let ok = serde_json::json!({"size": 4, "kernel_path": "x",
            "tracked": [{"kernel": "k", "threads": 2, "vs_memset": 0.5}]});
        let b = parse(&ok).unwrap();
        assert_eq!(
            b.tracked,
            [Tracked {
                kernel: "k".into(),
                threads: 2,
                vs_memset: 0.5,
                vs_memset_low: 0.5,
                vs_memset_high: 0.5
            }]
        );
    }
}

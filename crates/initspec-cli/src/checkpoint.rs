//! Whole checkpoints: `initspec audit CHECKPOINT --manifest M`, `initspec identify` of a
//! checkpoint directory, and `initspec manifest CHECKPOINT --out M.toml`.
//!
//! A checkpoint ([`initspec_io::checkpoint::Checkpoint`]) is opened once, its layout checked
//! as a whole, then its tensors are read and examined one at a time, several in parallel
//! (rayon, `--threads`): memory holds the tensors in flight, never the whole checkpoint.
//!
//! **Family-wise α.** A checkpoint audit at level α audits each of its T tensors at
//! α/(T + 2) (Holm across each tensor's checks) and runs the two cross-tensor checks
//! (`duplicate`, exact; `sign_agreement`, Bonferroni over the pairs) at α/(T + 2) too. By
//! Bonferroni's inequality the chance that a correct checkpoint fails anywhere is at most
//! T·α/(T + 2) + 2·α/(T + 2) = α, whatever the dependence between the tests.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use initspec::{Layout, Scheme};
use initspec_io::Dtype;
use initspec_io::checkpoint::Checkpoint;
use initspec_io::manifest::{Manifest, ManifestFormat, ManifestTensor};
use initspec_verify::audit::{Audit, audit};
use initspec_verify::check::Check;
use initspec_verify::cross::{CrossCheck, Fingerprint, cross_checks};
use initspec_verify::identify::{Candidate, identify};
use initspec_verify::sample::Sample;
use rayon::prelude::*;
use serde::Serialize;

use crate::input::{ANALYSIS_BYTES_PER_VALUE, storage_of, verify_values};
use crate::limits;
use crate::output::{Outcome, outln};
use anyhow::anyhow;

/// The cross-tensor checks counted in the family (see the module docs).
const CROSS_CHECKS: usize = 2;

/// Opens a checkpoint, naming it in the error.
///
/// # Errors
/// Any unreadable file or inconsistent layout.
pub fn open(path: &Path) -> anyhow::Result<Checkpoint> {
    Checkpoint::open(path).map_err(|e| anyhow!("cannot read checkpoint {}: {e}", path.display()))
}

/// Whether `path` should be read as a checkpoint rather than a single tensor file: a
/// directory.
pub fn is_directory(path: &Path) -> bool {
    path.is_dir()
}

/// One row of a checkpoint audit.
#[derive(Debug, Serialize)]
struct TensorRow {
    name: String,
    scheme: Option<String>,
    law: Option<String>,
    shape: Vec<usize>,
    dtype: String,
    /// `pass`, `fail` or `skipped`.
    verdict: &'static str,
    /// Why skipped (or why it failed without being tested), else null.
    reason: Option<String>,
    summary: String,
    variance_ratio: Option<f64>,
    /// The ratio's confidence interval (for the HTML report).
    #[serde(skip)]
    variance_interval: Option<(f64, f64)>,
    /// The verdict's p-value (Holm-adjusted, 0 after an exact failure).
    p_value: Option<f64>,
    checks: Vec<Check>,
    #[serde(skip)]
    order: usize,
}

/// The checkpoint audit in JSON (the keys of docs/CLI.md).
#[derive(Debug, Serialize)]
struct CheckpointAuditJson<'a> {
    verdict: &'static str,
    alpha: f64,
    alpha_per_test: f64,
    checkpoint: String,
    manifest: String,
    tensors: &'a [TensorRow],
    cross: &'a [CrossCheck],
}

fn word(pass: bool) -> &'static str {
    if pass { "pass" } else { "fail" }
}

/// `initspec audit CHECKPOINT --manifest M`.
///
/// # Errors
/// An unreadable checkpoint or manifest, or a memory need beyond the machine.
pub fn audit_checkpoint(
    path: &Path,
    manifest_path: &Path,
    alpha: f64,
    json: bool,
    report: Option<&Path>,
) -> anyhow::Result<Outcome> {
    let manifest = Manifest::read(manifest_path).map_err(anyhow::Error::new)?;
    let checkpoint = open(path)?;
    let entries: HashMap<&str, &ManifestTensor> = manifest
        .tensors
        .iter()
        .map(|t| (t.name.as_str(), t))
        .collect();
    // Rows in manifest order; tensors the manifest does not name after them, in file order.
    let position: HashMap<&str, usize> = manifest
        .tensors
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.as_str(), i))
        .collect();
    // Decide what is audited before reading any value, so the level is fixed in advance.
    let mut rows = Vec::new();
    let mut work = Vec::new();
    for (index, t) in checkpoint.tensors().iter().enumerate() {
        let name = t.info.name();
        let order = position
            .get(name)
            .copied()
            .unwrap_or(manifest.tensors.len() + index);
        let skip = |reason: String| TensorRow {
            name: name.to_string(),
            scheme: entries.get(name).map(|e| e.scheme.to_string()),
            law: None,
            shape: t.info.shape().to_vec(),
            dtype: t.info.dtype_name().to_string(),
            verdict: "skipped",
            summary: reason.clone(),
            reason: Some(reason),
            variance_ratio: None,
            variance_interval: None,
            p_value: None,
            checks: Vec::new(),
            order,
        };
        let count = initspec::element_count(t.info.shape()).unwrap_or(0);
        match entries.get(name) {
            None => rows.push(skip("not in the manifest".to_string())),
            Some(_) if t.info.dtype().is_none() => rows.push(skip(format!(
                "dtype {} is not a floating-point type",
                t.info.dtype_name()
            ))),
            Some(_) if count == 0 => rows.push(skip("no values: nothing to test".to_string())),
            Some(entry) if entry.shape != t.info.shape() => {
                let mut row = skip(format!(
                    "shape {:?} in the checkpoint, {:?} in the manifest",
                    t.info.shape(),
                    entry.shape
                ));
                row.verdict = "fail";
                rows.push(row);
            }
            Some(entry) => work.push((order, *entry, count)),
        }
    }
    let present: HashSet<&str> = checkpoint.tensors().iter().map(|t| t.info.name()).collect();
    for (i, t) in manifest.tensors.iter().enumerate() {
        if !present.contains(t.name.as_str()) {
            rows.push(TensorRow {
                name: t.name.clone(),
                scheme: Some(t.scheme.to_string()),
                law: None,
                shape: t.shape.clone(),
                dtype: t.dtype.name().to_string(),
                verdict: "fail",
                reason: Some("in the manifest but not in the checkpoint".to_string()),
                summary: "in the manifest but not in the checkpoint".to_string(),
                variance_ratio: None,
                variance_interval: None,
                p_value: None,
                checks: Vec::new(),
                order: i,
            });
        }
    }
    let tests = work.len() + CROSS_CHECKS;
    let level = alpha / tests as f64;
    check_parallel_memory(&work.iter().map(|w| w.2).collect::<Vec<_>>(), path)?;
    let bytes =
        |entry: &ManifestTensor, count: u64| count.saturating_mul(entry.dtype.size_bytes() as u64);
    let total = work
        .iter()
        .map(|&(_, entry, count)| bytes(entry, count))
        .sum();
    let progress = crate::progress::audit_bar(total, &path.display().to_string());
    let results: Vec<anyhow::Result<(TensorRow, Fingerprint)>> = work
        .par_iter()
        .map(|&(order, entry, count)| {
            let result = audit_one(&checkpoint, entry, order, level);
            progress.inc(bytes(entry, count));
            result
        })
        .collect();
    progress.finish_and_clear();
    let mut prints = Vec::new();
    for r in results {
        let (row, print) = r?;
        rows.push(row);
        prints.push(print);
    }
    let cross = cross_checks(&prints, level);
    rows.sort_by_key(|r| (r.verdict != "fail", r.verdict == "skipped", r.order));
    let pass = rows.iter().all(|r| r.verdict != "fail") && cross.iter().all(|c| c.pass);
    if let Some(report) = report {
        let page = report_page(ReportInput {
            checkpoint: &checkpoint,
            entries: &entries,
            rows: &rows,
            cross: &cross,
            pass,
            alpha,
            level,
            manifest_path,
        })?;
        crate::report::write(report, &page)?;
    }
    let mut out = String::new();
    if json {
        let doc = CheckpointAuditJson {
            verdict: word(pass),
            alpha,
            alpha_per_test: level,
            checkpoint: path.display().to_string(),
            manifest: manifest_path.display().to_string(),
            tensors: &rows,
            cross: &cross,
        };
        outln!(out, "{}", serde_json::to_string_pretty(&doc)?);
        return Ok(Outcome::verdict(pass, out));
    }
    let audited = work.len();
    outln!(
        out,
        "audit of checkpoint {} against {}: {} tensors in the checkpoint, {audited} audited",
        path.display(),
        manifest_path.display(),
        checkpoint.tensors().len()
    );
    outln!(
        out,
        "α = {alpha:e} for the whole checkpoint: each of {audited} tensors and {CROSS_CHECKS} cross-tensor checks at {level:.3e} (Bonferroni; Holm within a tensor)"
    );
    print_rows(&mut out, &rows);
    outln!(out, "cross-tensor checks:");
    for c in &cross {
        outln!(
            out,
            "  {:<15} {:<4}  p = {:.3e}  {}",
            c.name,
            word(c.pass),
            c.p_value,
            c.detail
        );
    }
    let failed = rows.iter().filter(|r| r.verdict == "fail").count();
    let skipped = rows.iter().filter(|r| r.verdict == "skipped").count();
    let cross_failed = cross.iter().filter(|c| !c.pass).count();
    outln!(
        out,
        "overall: {} ({} of {} tensors conform, {skipped} skipped, {cross_failed} cross-tensor finding(s))",
        word(pass).to_uppercase(),
        rows.len() - failed - skipped,
        rows.len() - skipped
    );
    Ok(Outcome::verdict(pass, out))
}

/// What the HTML report is made from.
struct ReportInput<'a> {
    checkpoint: &'a Checkpoint,
    entries: &'a HashMap<&'a str, &'a ManifestTensor>,
    rows: &'a [TensorRow],
    cross: &'a [CrossCheck],
    pass: bool,
    alpha: f64,
    level: f64,
    manifest_path: &'a Path,
}

/// The report's page: the table in the order of `rows` (failures first), and the figures of
/// the first [`crate::report::MAX_FIGURES`] audited tensors in that order, each tensor read
/// again from the checkpoint (one at a time, so the memory is that of the largest).
fn report_page(input: ReportInput<'_>) -> anyhow::Result<crate::report::Page> {
    let mut figures = Vec::new();
    let mut undrawn = 0;
    let mut rows = Vec::with_capacity(input.rows.len());
    for r in input.rows {
        let entry = input.entries.get(r.name.as_str());
        let law = entry.and_then(|e| e.scheme.resolve(&e.shape, &e.layout, e.groups).ok());
        // A constant law's figure would be one bar on one line; its `exact` check says all.
        let drawable = r.verdict != "skipped"
            && !r.checks.is_empty()
            && law.is_some_and(|l| l.family() != "constant");
        let figure = match (entry, law) {
            (Some(entry), Some(law)) if drawable && figures.len() < crate::report::MAX_FIGURES => {
                let data = input.checkpoint.read(&entry.name).map_err(|e| {
                    anyhow!("cannot read tensor {:?} for the report: {e}", entry.name)
                })?;
                let storage = storage_of(data.dtype());
                let values = data.into_values();
                let values = verify_values(&values);
                let subject = crate::audit_plot::Subject {
                    name: format!("{} as {}", entry.name, entry.scheme),
                    values: &values,
                    shape: &entry.shape,
                    storage,
                };
                let verdict = if r.verdict == "pass" { "PASS" } else { "FAIL" };
                let svg = crate::audit_plot::audit_figure(
                    &subject,
                    &law,
                    &r.checks,
                    input.level,
                    verdict,
                )?;
                figures.push((r.name.clone(), svg));
                Some(figures.len() - 1)
            }
            _ => {
                undrawn += usize::from(drawable);
                None
            }
        };
        rows.push(crate::report::Row {
            name: r.name.clone(),
            shape: r.shape.clone(),
            dtype: r.dtype.clone(),
            scheme: r.scheme.clone(),
            law: r.law.clone(),
            variance: r
                .variance_ratio
                .zip(r.variance_interval)
                .map(|(ratio, (low, high))| (ratio, low, high)),
            worst_p: r.checks.iter().map(|c| c.p_value).reduce(f64::min),
            verdict: r.verdict,
            reason: r.reason.clone(),
            summary: r.summary.clone(),
            figure,
        });
    }
    Ok(crate::report::Page {
        pass: input.pass,
        alpha: input.alpha,
        alpha_per_test: input.level,
        checkpoint: input.checkpoint.path().display().to_string(),
        manifest: input.manifest_path.display().to_string(),
        rows,
        cross: input
            .cross
            .iter()
            .map(|c| crate::report::Cross {
                name: c.name.clone(),
                pass: c.pass,
                p_value: c.p_value,
                detail: c.detail.clone(),
            })
            .collect(),
        figures,
        undrawn,
        command: crate::report::command_line(),
    })
}

/// Refuses a parallel examination whose tensors in flight (the largest, one per thread)
/// would not fit in memory, counting each value at the widest dtype (8 bytes) plus
/// [`ANALYSIS_BYTES_PER_VALUE`].
fn check_parallel_memory(counts: &[u64], path: &Path) -> anyhow::Result<()> {
    let mut largest = counts.to_vec();
    largest.sort_unstable_by(|a, b| b.cmp(a));
    let in_flight: u64 = largest
        .iter()
        .take(rayon::current_num_threads())
        .fold(0u64, |a, &n| a.saturating_add(n));
    limits::check_memory(
        &format!("examining checkpoint {}", path.display()),
        usize::try_from(in_flight)
            .ok()
            .and_then(|n| limits::bytes_of(n, 8 + ANALYSIS_BYTES_PER_VALUE)),
    )
}

/// Reads and audits one tensor against its manifest entry at `level`.
fn audit_one(
    checkpoint: &Checkpoint,
    entry: &ManifestTensor,
    order: usize,
    level: f64,
) -> anyhow::Result<(TensorRow, Fingerprint)> {
    let data = checkpoint.read(&entry.name).map_err(|e| {
        anyhow!(
            "cannot read tensor {:?} of {}: {e}",
            entry.name,
            checkpoint.path().display()
        )
    })?;
    let storage = storage_of(data.dtype());
    let values = data.into_values();
    let values = verify_values(&values);
    let sample = Sample::new(values, &entry.shape, storage)
        .with_layout(entry.layout.clone())
        .with_groups(entry.groups);
    let row = match audit(&sample, &entry.scheme, level) {
        Ok(a) => {
            let law = entry
                .scheme
                .resolve(&entry.shape, &entry.layout, entry.groups)
                .ok();
            let print = Fingerprint::new(&entry.name, values, storage, law.as_ref());
            return Ok((audit_row(entry, a, order), print));
        }
        Err(e) => TensorRow {
            name: entry.name.clone(),
            scheme: Some(entry.scheme.to_string()),
            law: None,
            shape: entry.shape.clone(),
            dtype: storage.name().to_string(),
            verdict: "fail",
            reason: Some(format!("the scheme does not apply: {e}")),
            summary: format!("the scheme does not apply: {e}"),
            variance_ratio: None,
            variance_interval: None,
            p_value: None,
            checks: Vec::new(),
            order,
        },
    };
    Ok((row, Fingerprint::new(&entry.name, values, storage, None)))
}

fn audit_row(entry: &ManifestTensor, a: Audit, order: usize) -> TensorRow {
    TensorRow {
        name: entry.name.clone(),
        scheme: Some(a.scheme.clone()),
        law: Some(a.law.clone()),
        shape: a.shape.clone(),
        dtype: a.dtype.clone(),
        verdict: word(a.verdict.pass),
        reason: None,
        summary: a.summary.clone(),
        variance_ratio: a.variance.map(|v| v.ratio),
        variance_interval: a.variance.map(|v| (v.ratio_low, v.ratio_high)),
        p_value: Some(a.verdict.p_value()),
        checks: a.verdict.checks,
        order,
    }
}

/// The table: one row a tensor, failures first.
fn print_rows(out: &mut String, rows: &[TensorRow]) {
    let width = rows
        .iter()
        .map(|r| r.name.len())
        .max()
        .unwrap_or(6)
        .clamp(6, 48);
    outln!(
        out,
        "  {:<7}  {:<width$}  {:<16}  {:<5}  {:>9}  {:>9}  summary",
        "verdict",
        "tensor",
        "shape",
        "dtype",
        "var ratio",
        "p-value"
    );
    for r in rows {
        let ratio = r
            .variance_ratio
            .map_or("-".to_string(), |v| format!("{v:.4}"));
        let p = r.p_value.map_or("-".to_string(), |p| format!("{p:.2e}"));
        outln!(
            out,
            "  {:<7}  {:<width$}  {:<16}  {:<5}  {:>9}  {:>9}  {}",
            r.verdict.to_uppercase(),
            r.name,
            format!("{:?}", r.shape),
            r.dtype,
            ratio,
            p,
            table_summary(r)
        );
    }
}

/// The last column of the table: the scheme, and for a failure or a skip, why.
fn table_summary(r: &TensorRow) -> String {
    let why = match r.verdict {
        "pass" => None,
        _ => Some(
            r.summary
                .strip_prefix("does not conform: ")
                .unwrap_or(&r.summary),
        ),
    };
    match (&r.scheme, why) {
        (Some(s), Some(w)) => format!("{s}: {w}"),
        (Some(s), None) => s.clone(),
        (None, Some(w)) => w.to_string(),
        (None, None) => String::new(),
    }
}

/// The cross-tensor checks of the audited tensors of one `.safetensors` file (`audited`,
/// fingerprinted with their claimed law) against every other floating tensor of the file
/// (read one at a time), at level `alpha`. Only findings that involve an audited tensor are
/// kept; a check with none is reported once as passing. Empty when the file holds no other
/// floating tensor (or is not a `.safetensors` file).
///
/// # Errors
/// An unreadable tensor.
pub fn file_cross_checks(
    path: &Path,
    audited: Vec<Fingerprint>,
    alpha: f64,
) -> anyhow::Result<Vec<CrossCheck>> {
    let Ok(file) = initspec_io::safetensors::SafetensorsFile::open(path) else {
        return Ok(Vec::new());
    };
    let names: HashSet<String> = audited.iter().map(|p| p.name.clone()).collect();
    let mut prints = audited;
    for info in file.header().tensors() {
        let count = initspec::element_count(info.shape()).unwrap_or(0);
        if names.contains(info.name()) || info.dtype().is_none() || count == 0 {
            continue;
        }
        let data = file.read(info.name()).map_err(|e| {
            anyhow!(
                "cannot read {} tensor {:?}: {e}",
                path.display(),
                info.name()
            )
        })?;
        let storage = storage_of(data.dtype());
        let values = data.into_values();
        prints.push(Fingerprint::new(
            info.name(),
            verify_values(&values),
            storage,
            None,
        ));
    }
    if prints.len() == names.len() && names.len() < 2 {
        return Ok(Vec::new());
    }
    let mut kept: Vec<CrossCheck> = Vec::new();
    for c in cross_checks(&prints, alpha) {
        let involves = c.tensors.iter().any(|t| names.contains(t));
        if involves || (c.pass && c.tensors.is_empty()) {
            kept.push(c);
        } else if !kept.iter().any(|k| k.name == c.name) {
            kept.push(CrossCheck {
                tensors: Vec::new(),
                statistic: 0.0,
                p_value: 1.0,
                pass: true,
                detail: format!(
                    "no finding involves the audited tensor(s) ({} tensors compared)",
                    prints.len()
                ),
                ..c
            });
        }
    }
    // One passing line per check when a failing one is listed for it.
    let failing: HashSet<String> = kept
        .iter()
        .filter(|c| !c.pass)
        .map(|c| c.name.clone())
        .collect();
    kept.retain(|c| !c.pass || !failing.contains(&c.name));
    Ok(kept)
}

/// One tensor's identification.
#[derive(Debug, Serialize)]
struct IdentifiedRow {
    name: String,
    shape: Vec<usize>,
    dtype: String,
    candidates: Vec<Candidate>,
    #[serde(skip)]
    skipped: Option<String>,
}

/// Identifies every floating tensor of a checkpoint with its fans in `layout` (the tensors
/// of rank below 2 have no fans and get the base laws only). Tensors in parallel.
fn identify_all(
    checkpoint: &Checkpoint,
    layout: &Layout,
    top: usize,
) -> anyhow::Result<Vec<IdentifiedRow>> {
    let counts: Vec<u64> = checkpoint
        .tensors()
        .iter()
        .map(|t| initspec::element_count(t.info.shape()).unwrap_or(0))
        .collect();
    check_parallel_memory(&counts, checkpoint.path())?;
    checkpoint
        .tensors()
        .par_iter()
        .map(|t| {
            let name = t.info.name();
            let row = |skipped: Option<String>, candidates: Vec<Candidate>| IdentifiedRow {
                name: name.to_string(),
                shape: t.info.shape().to_vec(),
                dtype: t
                    .info
                    .dtype()
                    .map_or_else(|| t.info.dtype_name().to_string(), |d| d.name().to_string()),
                candidates,
                skipped,
            };
            if t.info.dtype().is_none() {
                return Ok(row(
                    Some(format!(
                        "dtype {} is not a floating-point type",
                        t.info.dtype_name()
                    )),
                    Vec::new(),
                ));
            }
            if initspec::element_count(t.info.shape()).unwrap_or(0) == 0 {
                return Ok(row(
                    Some("no values: nothing to test".to_string()),
                    Vec::new(),
                ));
            }
            let data = checkpoint.read(name).map_err(|e| {
                anyhow!(
                    "cannot read tensor {name:?} of {}: {e}",
                    checkpoint.path().display()
                )
            })?;
            let storage = storage_of(data.dtype());
            let values = data.into_values();
            let shape = t.info.shape();
            let layout = if initspec::Fans::of_shape(shape, layout, 1).is_ok() {
                layout.clone()
            } else {
                Layout::OutIn
            };
            let mut candidates =
                identify(&Sample::new(verify_values(&values), shape, storage).with_layout(layout));
            candidates.truncate(top.max(1));
            Ok(row(None, candidates))
        })
        .collect()
}

/// `initspec identify CHECKPOINT`.
///
/// # Errors
/// An unreadable checkpoint.
pub fn identify_checkpoint(
    path: &Path,
    layout: &Layout,
    top: usize,
    json: bool,
) -> anyhow::Result<Outcome> {
    let checkpoint = open(path)?;
    let rows = identify_all(&checkpoint, layout, top)?;
    let mut out = String::new();
    if json {
        let tensors: Vec<&IdentifiedRow> = rows.iter().filter(|r| r.skipped.is_none()).collect();
        let skipped: Vec<serde_json::Value> = rows
            .iter()
            .filter_map(|r| {
                r.skipped
                    .as_ref()
                    .map(|s| serde_json::json!({ "tensor": r.name, "reason": s }))
            })
            .collect();
        let doc = serde_json::json!({
            "checkpoint": path.display().to_string(),
            "layout": layout.to_string(),
            "tensors": tensors,
            "skipped": skipped,
        });
        outln!(out, "{}", serde_json::to_string_pretty(&doc)?);
        return Ok(Outcome::success(out));
    }
    outln!(
        out,
        "identify checkpoint {}: {} tensors (layout {layout}; tensors of rank < 2 get the base laws)",
        path.display(),
        rows.len()
    );
    let width = rows
        .iter()
        .map(|r| r.name.len())
        .max()
        .unwrap_or(6)
        .clamp(6, 48);
    outln!(
        out,
        "  {:<width$}  {:<16}  {:<5}  {:>9}  {:>9}  best candidate",
        "tensor",
        "shape",
        "dtype",
        "p-value",
        "var ratio"
    );
    for r in &rows {
        let shape = format!("{:?}", r.shape);
        match (&r.skipped, r.candidates.first()) {
            (Some(reason), _) => outln!(
                out,
                "  {:<width$}  {:<16}  {:<5}  skipped: {reason}",
                r.name,
                shape,
                r.dtype
            ),
            (None, Some(c)) => outln!(
                out,
                "  {:<width$}  {:<16}  {:<5}  {:>9.2e}  {:>9}  {} = {}{}",
                r.name,
                shape,
                r.dtype,
                c.p_value,
                if c.variance_ratio.is_finite() {
                    format!("{:.4}", c.variance_ratio)
                } else {
                    "-".to_string()
                },
                c.scheme,
                c.law,
                if c.p_value < 1e-3 {
                    "  (none fits at α = 1e-3)"
                } else {
                    ""
                }
            ),
            (None, None) => outln!(
                out,
                "  {:<width$}  {:<16}  {:<5}  no candidate",
                r.name,
                shape,
                r.dtype
            ),
        }
    }
    Ok(Outcome::success(out))
}

/// Arguments of `initspec manifest`.
#[derive(clap::Args, Debug)]
pub struct ManifestArgs {
    /// The checkpoint: a .safetensors file or a (sharded) checkpoint directory.
    pub checkpoint: PathBuf,
    /// Where the fans of rank ≥ 2 tensors are: out-in (PyTorch), in-out (Keras/JAX), ...
    #[arg(long, default_value = "out-in")]
    pub layout: String,
    /// The manifest to write: .toml or .json.
    #[arg(long)]
    pub out: PathBuf,
    /// Seed written into the manifest (the stream seed a re-initialization would use).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// `initspec manifest CHECKPOINT --out M.toml`: identifies each floating tensor and writes
/// the best scheme found for it, so that the checkpoint's init can be reproduced with
/// `initspec init` and the checkpoint audited with `initspec audit --manifest`.
///
/// For a fitted candidate (no named scheme fits) the parameters are rounded to the fewest
/// significant digits (1 to 4) whose law still fits at α = 1e-3 (`normal(std=0.02)` rather
/// than `normal(std=0.0199873)`).
///
/// # Errors
/// An unreadable checkpoint, a bad layout, an unwritable manifest path.
pub fn manifest(args: &ManifestArgs) -> anyhow::Result<Outcome> {
    let layout = crate::args::parse_layout(&args.layout)?;
    ManifestFormat::from_path(&args.out)
        .map_err(|e| anyhow!("invalid --out {}: {e}", args.out.display()))?;
    let checkpoint = open(&args.checkpoint)?;
    let rows = identify_all(&checkpoint, &layout, 8)?;
    let mut tensors = Vec::new();
    let mut out = String::new();
    let mut unfit = Vec::new();
    for r in &rows {
        let (Some(c), None) = (r.candidates.first(), &r.skipped) else {
            continue;
        };
        let tensor_layout = layout.clone();
        // A candidate found with the fans swapped is written as its law, which is exact.
        let text = if c.origin.contains("swapped") {
            c.law.clone()
        } else {
            c.scheme.clone()
        };
        let mut scheme: Scheme = text.parse().map_err(|e| {
            anyhow!(
                "identify proposed {text:?} for {:?}, which does not parse: {e}",
                r.name
            )
        })?;
        if c.origin.starts_with("fitted")
            && let Some(rounded) = rounded_scheme(&checkpoint, r, &scheme, &tensor_layout)
        {
            scheme = rounded;
        }
        if c.p_value < 1e-3 {
            unfit.push(r.name.clone());
        }
        tensors.push(ManifestTensor {
            name: r.name.clone(),
            shape: r.shape.clone(),
            scheme,
            layout: tensor_layout,
            groups: 1,
            dtype: r.dtype.parse::<Dtype>().unwrap_or(Dtype::F32),
            seed: args.seed,
        });
    }
    if tensors.is_empty() {
        return Err(anyhow!(
            "checkpoint {} has no floating-point tensor with values",
            args.checkpoint.display()
        ));
    }
    let count = tensors.len();
    Manifest { tensors }
        .write(&args.out)
        .map_err(|e| anyhow!("cannot write {}: {e}", args.out.display()))?;
    outln!(
        out,
        "wrote {}: {count} tensors of {}",
        args.out.display(),
        args.checkpoint.display()
    );
    if !unfit.is_empty() {
        outln!(
            out,
            "no candidate fits at α = 1e-3 for {} tensor(s) ({}); the closest was written",
            unfit.len(),
            unfit.join(", ")
        );
    }
    Ok(Outcome::success(out))
}

/// `scheme` (a base law with fitted parameters) with its numbers rounded to the fewest
/// significant digits, 1 to 4, whose law still passes the audit at α = 1e-3.
fn rounded_scheme(
    checkpoint: &Checkpoint,
    row: &IdentifiedRow,
    scheme: &Scheme,
    layout: &Layout,
) -> Option<Scheme> {
    let data = checkpoint.read(&row.name).ok()?;
    let storage = storage_of(data.dtype());
    let values = data.into_values();
    let text = scheme.to_string();
    (1..=4).find_map(|digits| {
        let rounded: Scheme = round_numbers(&text, digits).parse().ok()?;
        let sample =
            Sample::new(verify_values(&values), &row.shape, storage).with_layout(layout.clone());
        let a = audit(&sample, &rounded, 1e-3).ok()?;
        a.verdict.pass.then_some(rounded)
    })
}

/// Every number after `=` in a scheme string rounded to `digits` significant digits.
fn round_numbers(text: &str, digits: usize) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('=') {
        out.push_str(&rest[..=i]);
        rest = &rest[i + 1..];
        let end = rest.find([',', ')']).unwrap_or(rest.len());
        let token = rest[..end].trim();
        match token.parse::<f64>() {
            Ok(x) if x != 0.0 && x.is_finite() => {
                let rounded: f64 = format!("{x:.prec$e}", prec = digits - 1)
                    .parse()
                    .unwrap_or(x);
                out.push_str(&initspec::grammar::format_number(rounded));
            }
            _ => out.push_str(token),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_to_significant_digits() {
        assert_eq!(
            round_numbers("normal(std=0.0199873)", 1),
            "normal(std=0.02)"
        );
        assert_eq!(
            round_numbers("normal(mean=0, std=0.0199873)", 3),
            "normal(mean=0, std=0.02)"
        );
        assert_eq!(
            round_numbers("uniform(a=-0.0441942, b=0.0441942)", 2),
            "uniform(a=-0.044, b=0.044)"
        );
        assert_eq!(round_numbers("zeros", 2), "zeros");
    }
}

//! `initspec audit`: hold weights from anywhere against the scheme they claim.
//!
//! Exit status 0 when every tensor conforms, 1 when any does not, 2 for unreadable input or
//! a scheme that cannot apply to the tensor's shape.

use initspec_verify::audit::{Audit, INTERVAL_LEVEL, audit};
use initspec_verify::check::is_exact;
use initspec_verify::cross::Fingerprint;
use serde::Serialize;

use crate::args::{parse_layout, parse_scheme};
use crate::input::{TensorArgs, load};
use crate::output::{Outcome, outln};
use anyhow::anyhow;

/// Arguments of `initspec audit`.
#[derive(clap::Args, Debug)]
pub struct AuditArgs {
    /// The weights and where their fans are.
    #[command(flatten)]
    pub input: TensorArgs,
    /// The scheme the weights claim to follow, e.g. `kaiming_uniform(a=2.23606797749979)`.
    #[arg(
        long,
        required_unless_present = "manifest",
        conflicts_with = "manifest"
    )]
    pub scheme: Option<String>,
    /// Audit a whole checkpoint (FILE: a .safetensors file or a sharded directory): every
    /// tensor against its entry in this manifest (.toml or .json), with the cross-tensor
    /// checks, at family-wise α for the whole checkpoint.
    #[arg(long, conflicts_with_all = ["tensor", "layout", "groups"])]
    pub manifest: Option<std::path::PathBuf>,
    /// Family-wise significance level: across the checks of one tensor (Holm), or across a
    /// whole checkpoint with --manifest.
    #[arg(long, default_value_t = 1e-3)]
    pub alpha: f64,
    /// Print JSON instead of a report.
    #[arg(long)]
    pub json: bool,
    /// Also draw what the checks saw into this SVG file: the histogram against the law (for
    /// bf16/f16 the rounded law), the Q–Q plot with its simultaneous band at --alpha, and the
    /// structure an independence check found when one fails. One tensor: name it with
    /// --tensor when the file holds several.
    #[arg(long, value_name = "OUT.svg", conflicts_with = "manifest")]
    pub plot: Option<std::path::PathBuf>,
    /// With --manifest: also write the audit as one self-contained HTML page (verdict, a
    /// sortable table of the tensors, failures first, the cross-tensor findings, the figures
    /// of --plot, and the command that made it).
    #[arg(long, value_name = "OUT.html", requires = "manifest")]
    pub report: Option<std::path::PathBuf>,
}

/// One tensor's audit in JSON.
#[derive(Debug, Serialize)]
struct AuditJson<'a> {
    verdict: &'static str,
    file: String,
    tensor: Option<&'a str>,
    #[serde(flatten)]
    audit: &'a Audit,
    alpha: f64,
    checks: &'a [initspec_verify::check::Check],
}

fn word(pass: bool) -> &'static str {
    if pass { "pass" } else { "fail" }
}

/// Runs the audit.
///
/// # Errors
/// Unreadable input, a bad scheme or layout, a scheme that cannot apply to the shape.
pub fn run(args: &AuditArgs) -> anyhow::Result<Outcome> {
    let mut out = String::new();
    if !(args.alpha > 0.0 && args.alpha < 1.0) {
        return Err(anyhow!("--alpha must lie in (0, 1), got {}", args.alpha));
    }
    let scheme = match (&args.manifest, &args.scheme) {
        (Some(manifest), _) => {
            if let Some(report) = &args.report {
                crate::report::check_report_path(report)?;
            }
            return crate::checkpoint::audit_checkpoint(
                &args.input.file,
                manifest,
                args.alpha,
                args.json,
                args.report.as_deref(),
            );
        }
        (None, Some(scheme)) => parse_scheme(scheme)?,
        (None, None) => return Err(anyhow!("--scheme or --manifest is needed")),
    };
    if crate::checkpoint::is_directory(&args.input.file) {
        return Err(anyhow!(
            "{} is a directory, read as a checkpoint: audit it with --manifest M, or one of its files with --scheme",
            args.input.file.display()
        ));
    }
    let layout = parse_layout(&args.input.layout)?;
    args.input.check_groups()?;
    if let Some(path) = &args.plot {
        crate::svg::check_plot_path(path)?;
    }
    let loaded = load(&args.input.file, args.input.tensor.as_deref())?;
    let tensors = &loaded.tensors;
    if args.plot.is_some() && tensors.len() > 1 {
        return Err(anyhow!(
            "--plot draws one tensor and {} holds {} floating-point tensors: name one with --tensor",
            args.input.file.display(),
            tensors.len()
        ));
    }
    // With several tensors and no --tensor, a tensor the scheme cannot apply to (a bias
    // vector under a fan-based scheme) is reported as skipped; with one tensor it is an error.
    let several = tensors.len() + loaded.skipped.len() > 1;
    let mut audits = Vec::new();
    let mut skipped: Vec<(String, String)> = loaded
        .skipped
        .iter()
        .map(|s| (s.name.clone(), s.reason.clone()))
        .collect();
    let mut audited_prints = Vec::new();
    let bytes = |t: &crate::input::LoadedTensor| (t.values.len() * t.dtype.size_bytes()) as u64;
    let progress = crate::progress::audit_bar(tensors.iter().map(bytes).sum(), "");
    for tensor in tensors {
        progress.set_message(tensor.name.clone().unwrap_or_default());
        let result = audit(
            &tensor.sample(&layout, args.input.groups),
            &scheme,
            args.alpha,
        );
        progress.inc(bytes(tensor));
        let result = match result {
            Ok(result) => result,
            Err(e) if several => {
                let name = tensor.name.clone().unwrap_or_default();
                skipped.push((name, format!("shape {:?}: {e}", tensor.shape)));
                continue;
            }
            Err(e) => {
                let which = tensor
                    .name
                    .as_deref()
                    .map_or(String::new(), |n| format!(" tensor {n:?}"));
                return Err(anyhow!(
                    "cannot audit {}{which} (shape {:?}) as {scheme}: {e}",
                    args.input.file.display(),
                    tensor.shape
                ));
            }
        };
        if let Some(name) = &tensor.name {
            let law = scheme
                .resolve(&tensor.shape, &layout, args.input.groups)
                .ok();
            audited_prints.push(Fingerprint::new(
                name,
                crate::input::verify_values(&tensor.values),
                tensor.storage(),
                law.as_ref(),
            ));
        }
        audits.push((tensor.name.as_deref(), result));
    }
    progress.finish_and_clear();
    if audits.is_empty() {
        let reasons: Vec<String> = skipped
            .iter()
            .map(|(n, r)| format!("{n:?} ({r})"))
            .collect();
        return Err(anyhow!(
            "no tensor of {} can be audited as {scheme}: {}",
            args.input.file.display(),
            reasons.join("; ")
        ));
    }
    // The audited tensors against the other tensors of their file (and each other).
    let cross = if audited_prints.is_empty() {
        Vec::new()
    } else {
        crate::checkpoint::file_cross_checks(&args.input.file, audited_prints, args.alpha)?
    };
    let pass = audits.iter().all(|(_, a)| a.verdict.pass) && cross.iter().all(|c| c.pass);
    if let (Some(path), [tensor], [(_, audited)]) = (&args.plot, &tensors[..], &audits[..]) {
        let law = scheme.resolve(&tensor.shape, &layout, args.input.groups)?;
        let values = crate::input::verify_values(&tensor.values);
        let name = match &tensor.name {
            Some(n) => format!("{} tensor {n}", args.input.file.display()),
            None => args.input.file.display().to_string(),
        };
        let subject = crate::audit_plot::Subject {
            name: format!("{name} as {scheme}"),
            values: &values,
            shape: &tensor.shape,
            storage: tensor.storage(),
        };
        let verdict = if audited.verdict.pass { "PASS" } else { "FAIL" };
        let svg = crate::audit_plot::audit_figure(
            &subject,
            &law,
            &audited.verdict.checks,
            args.alpha,
            verdict,
        )?;
        crate::audit_plot::write(path, &svg)?;
    }
    let skipped_json: Vec<serde_json::Value> = skipped
        .iter()
        .map(|(name, reason)| serde_json::json!({ "tensor": name, "reason": reason }))
        .collect();
    let file = args.input.file.display().to_string();
    if args.json {
        let entries: Vec<AuditJson> = audits
            .iter()
            .map(|(name, a)| AuditJson {
                verdict: word(a.verdict.pass),
                file: file.clone(),
                tensor: *name,
                audit: a,
                alpha: a.verdict.alpha,
                checks: &a.verdict.checks,
            })
            .collect();
        let mut value = if entries.len() == 1 && skipped.is_empty() {
            serde_json::to_value(&entries[0])
        } else {
            serde_json::to_value(serde_json::json!({
                "verdict": word(pass),
                "file": file,
                "scheme": scheme.to_string(),
                "tensors": entries,
                "skipped": skipped_json,
            }))
        }?;
        if !cross.is_empty() {
            value["cross"] = serde_json::to_value(&cross)?;
            value["verdict"] = word(pass).into();
        }
        outln!(out, "{}", serde_json::to_string_pretty(&value)?);
    } else {
        for (name, a) in &audits {
            print_report(&mut out, &file, *name, a);
        }
        for (name, reason) in &skipped {
            outln!(out, "skipped tensor {name:?}: {reason}");
        }
        if !cross.is_empty() {
            outln!(
                out,
                "cross-tensor checks against the other tensors of {file}:"
            );
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
        }
        if audits.len() > 1 || !skipped.is_empty() || cross.iter().any(|c| !c.pass) {
            let failed = audits.iter().filter(|(_, a)| !a.verdict.pass).count();
            let findings = cross.iter().filter(|c| !c.pass).count();
            let findings = if findings == 0 {
                String::new()
            } else {
                format!("; {findings} cross-tensor finding(s)")
            };
            outln!(
                out,
                "overall: {} ({} of {} tensors conform{findings})",
                word(pass).to_uppercase(),
                audits.len() - failed,
                audits.len()
            );
        }
    }
    Ok(Outcome::verdict(pass, out))
}

fn print_report(out: &mut String, file: &str, name: Option<&str>, a: &Audit) {
    let which = name.map_or(String::new(), |n| format!(" tensor {n:?}"));
    outln!(
        out,
        "audit of {file}{which}: shape {:?} {}, n = {}",
        a.shape,
        a.dtype,
        a.n
    );
    outln!(out, "  scheme    {}", a.scheme);
    outln!(out, "  law       {}", a.law);
    if let (Some(fan_in), Some(fan_out)) = (a.fan_in, a.fan_out) {
        outln!(out, "  fans      fan_in {fan_in}, fan_out {fan_out}");
    }
    if let Some(v) = &a.variance {
        outln!(
            out,
            "  variance  observed {:.6e}, expected {:.6e}: {:.4}× the spec ({:.1}% interval [{:.4}, {:.4}])",
            v.observed,
            v.expected,
            v.ratio,
            INTERVAL_LEVEL * 100.0,
            v.ratio_low,
            v.ratio_high
        );
    }
    outln!(
        out,
        "  {:<17} {:>13} {:>11}  result  detail",
        "check",
        "statistic",
        "p-value"
    );
    for c in &a.verdict.checks {
        let p = if is_exact(&c.name) {
            "exact".to_string()
        } else {
            format!("{:.3e}", c.p_value)
        };
        outln!(
            out,
            "  {:<17} {:>13.6e} {:>11}  {:<6}  {}",
            c.name,
            c.statistic,
            p,
            word(c.pass),
            c.detail
        );
    }
    outln!(
        out,
        "  verdict   {} at α = {:e} (Holm): {}",
        word(a.verdict.pass).to_uppercase(),
        a.verdict.alpha,
        a.summary
    );
    outln!(out);
}

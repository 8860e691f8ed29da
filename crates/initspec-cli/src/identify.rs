//! `initspec identify`: which laws fit a tensor, best first.

use initspec_verify::identify::{Candidate, identify};
use serde::Serialize;

use crate::args::parse_layout;
use crate::input::{TensorArgs, load};
use crate::output::{Outcome, outln};

/// Arguments of `initspec identify`.
#[derive(clap::Args, Debug)]
pub struct IdentifyArgs {
    /// The weights and where their fans are.
    #[command(flatten)]
    pub input: TensorArgs,
    /// How many candidates to show in the table (JSON lists them all).
    #[arg(long, default_value_t = 8)]
    pub top: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also draw the histogram of the values with the best candidates' laws over it (at most
    /// four, and at most --top) into this SVG file. One tensor: name it with --tensor when
    /// the file holds several.
    #[arg(long, value_name = "OUT.svg")]
    pub plot: Option<std::path::PathBuf>,
}

/// Candidates drawn by `identify --plot`.
const PLOTTED_CANDIDATES: usize = 4;

#[derive(Debug, Serialize)]
struct IdentifyJson<'a> {
    file: String,
    tensor: Option<&'a str>,
    shape: &'a [usize],
    dtype: String,
    n: usize,
    candidates: &'a [Candidate],
}

/// Runs identify.
///
/// # Errors
/// Unreadable input or a bad layout.
pub fn run(args: &IdentifyArgs) -> anyhow::Result<Outcome> {
    let mut out = String::new();
    let layout = parse_layout(&args.input.layout)?;
    args.input.check_groups()?;
    if crate::checkpoint::is_directory(&args.input.file) {
        if args.input.tensor.is_some() {
            return Err(anyhow::anyhow!(
                "--tensor picks a tensor of one file; {} is a checkpoint directory",
                args.input.file.display()
            ));
        }
        return crate::checkpoint::identify_checkpoint(
            &args.input.file,
            &layout,
            args.top,
            args.json,
        );
    }
    if let Some(path) = &args.plot {
        if crate::checkpoint::is_directory(&args.input.file) {
            return Err(anyhow::anyhow!(
                "--plot draws one tensor of one file; {} is a checkpoint directory",
                args.input.file.display()
            ));
        }
        crate::svg::check_plot_path(path)?;
    }
    let loaded = load(&args.input.file, args.input.tensor.as_deref())?;
    if args.plot.is_some() && loaded.tensors.len() > 1 {
        return Err(anyhow::anyhow!(
            "--plot draws one tensor and {} holds {} floating-point tensors: name one with --tensor",
            args.input.file.display(),
            loaded.tensors.len()
        ));
    }
    let file = args.input.file.display().to_string();
    let mut documents = Vec::new();
    for tensor in &loaded.tensors {
        args.input.check_layout(tensor, &layout)?;
        let candidates = identify(&tensor.sample(&layout, args.input.groups));
        documents.push((tensor, candidates));
    }
    if let (Some(path), [(tensor, candidates)]) = (&args.plot, &documents[..]) {
        let values = crate::input::verify_values(&tensor.values);
        let name = match &tensor.name {
            Some(n) => format!("{file} tensor {n}"),
            None => file.clone(),
        };
        let subject = crate::audit_plot::Subject {
            name: format!("identify {name}"),
            values: &values,
            shape: &tensor.shape,
            storage: tensor.storage(),
        };
        let drawn: Vec<(initspec::Law, String)> = candidates
            .iter()
            .take(PLOTTED_CANDIDATES.min(args.top))
            .enumerate()
            .map(|(i, c)| {
                let label = format!("{}. {} (p = {:.1e})", i + 1, c.scheme, c.p_value);
                (c.law_value, label)
            })
            .collect();
        let svg = crate::audit_plot::identify_figure(&subject, &drawn)?;
        crate::audit_plot::write(path, &svg)?;
    }
    if args.json {
        let entries: Vec<IdentifyJson> = documents
            .iter()
            .map(|(t, c)| IdentifyJson {
                file: file.clone(),
                tensor: t.name.as_deref(),
                shape: &t.shape,
                dtype: t.storage().name().to_string(),
                n: t.values.len(),
                candidates: c,
            })
            .collect();
        let value = if entries.len() == 1 && loaded.skipped.is_empty() {
            serde_json::to_value(&entries[0])
        } else {
            let skipped: Vec<serde_json::Value> = loaded
                .skipped
                .iter()
                .map(|s| serde_json::json!({ "tensor": s.name, "reason": s.reason }))
                .collect();
            serde_json::to_value(serde_json::json!({
                "file": file,
                "tensors": entries,
                "skipped": skipped,
            }))
        }?;
        outln!(out, "{}", serde_json::to_string_pretty(&value)?);
        return Ok(Outcome::success(out));
    }
    for (tensor, candidates) in &documents {
        let which = tensor
            .name
            .as_deref()
            .map_or(String::new(), |n| format!(" tensor {n:?}"));
        outln!(
            out,
            "identify {file}{which}: shape {:?} {}, n = {} (layout {})",
            tensor.shape,
            tensor.storage(),
            tensor.values.len(),
            args.input.layout
        );
        outln!(
            out,
            "  {:>4} {:>10} {:>9}  scheme / law / origin",
            "rank",
            "p-value",
            "var ratio"
        );
        for (i, c) in candidates.iter().take(args.top).enumerate() {
            outln!(
                out,
                "  {:>4} {:>10.3e} {:>9.4}  {}",
                i + 1,
                c.p_value,
                c.variance_ratio,
                c.scheme
            );
            outln!(out, "  {:>25}  = {}  [{}]", "", c.law, c.origin);
        }
        if candidates.first().is_none_or(|c| c.p_value < 1e-3) {
            outln!(
                out,
                "  no candidate fits at α = 1e-3: these weights follow none of the known laws"
            );
        }
        outln!(out);
    }
    for s in &loaded.skipped {
        outln!(out, "skipped tensor {:?}: {}", s.name, s.reason);
    }
    Ok(Outcome::success(out))
}

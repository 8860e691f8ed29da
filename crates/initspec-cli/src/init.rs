//! `initspec init`: initialize a whole model from a manifest into one `.safetensors` file or
//! a Hugging Face sharded directory, on one process or on many with no coordination.
//!
//! Every tensor's bytes depend only on its manifest entry (seed, name, scheme, shape, layout,
//! groups, dtype), and which tensor goes in which file only on the manifest and the number
//! of files ([`initspec_io::shards::partition`]), so `--shard K/N` run by N processes
//! anywhere writes exactly the files one `--shards N` run writes. File 1 also writes the
//! index. The whole manifest is checked before anything is created; every file is written
//! under a temporary name and renamed into place when complete.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use half::{bf16, f16};
use indicatif::ProgressBar;
use initspec::{Law, Sampler, Stream};
use initspec_io::manifest::{Manifest, ManifestTensor};
use initspec_io::safetensors::TensorSpec;
use initspec_io::shards::{INDEX_FILE, ShardIndex, partition, shard_file_name};
use initspec_io::{Dtype, SafetensorsWriter, TensorFormat};

use crate::limits::{self, Bytes};
use crate::output::{Outcome, outln};
use crate::sample::{SampleRequest, resolve, stream};
use anyhow::{Context as _, anyhow};

/// Arguments of `initspec init`.
#[derive(clap::Args, Debug)]
pub struct InitArgs {
    /// The manifest: a .toml or .json file listing every tensor (name, shape, scheme, and
    /// optional layout, groups, dtype, seed).
    #[arg(long)]
    pub manifest: PathBuf,
    /// The checkpoint: a .safetensors file, or a directory for the sharded layout
    /// (model-0000K-of-0000N.safetensors and model.safetensors.index.json).
    #[arg(long)]
    pub out: PathBuf,
    /// Number of files of a sharded checkpoint (default 1), balanced by bytes.
    #[arg(long)]
    pub shards: Option<usize>,
    /// Write only file K of N (K from 1 to N; file 1 also writes the index), so that N
    /// processes write one checkpoint with no coordination.
    #[arg(long)]
    pub shard: Option<String>,
    /// Write tensors even when their dtype cannot represent their law.
    #[arg(long)]
    pub allow_lossy_dtype: bool,
    /// Worker threads, 1 to 1024 (default: all cores). Changes speed, never bytes.
    #[arg(long)]
    pub threads: Option<usize>,
}

/// What to write: the files (0-based) of how many.
struct Plan {
    /// The checkpoint is a directory in the sharded layout (else one .safetensors file).
    sharded: bool,
    /// Number of files.
    files: usize,
    /// The files this process writes (0-based).
    mine: Vec<usize>,
}

/// `initspec init`.
///
/// # Errors
/// A bad option, manifest or tensor (all listed), or a file that cannot be written: one
/// line, nothing left at the output path.
pub fn run(args: &InitArgs) -> anyhow::Result<Outcome> {
    let plan = plan(args)?;
    let manifest = Manifest::read(&args.manifest).map_err(anyhow::Error::new)?;
    let laws = check_tensors(&manifest, args)?;
    let sizes: Vec<u64> = manifest
        .tensors
        .iter()
        .map(ManifestTensor::data_bytes)
        .collect();
    let file_of = partition(&sizes, plan.files).map_err(|e| {
        anyhow!(
            "cannot split {} into {} files: {e}",
            args.manifest.display(),
            plan.files
        )
    })?;
    if plan.sharded {
        std::fs::create_dir_all(&args.out)
            .with_context(|| format!("cannot create directory {}", args.out.display()))?;
    }
    let total: u64 = plan
        .mine
        .iter()
        .map(|&f| {
            sizes
                .iter()
                .zip(&file_of)
                .filter(|&(_, &g)| g == f)
                .map(|(&s, _)| s)
                .sum::<u64>()
        })
        .sum();
    let count = file_of.iter().filter(|f| plan.mine.contains(f)).count();
    let progress = crate::progress::bar(total, crate::progress::Unit::Bytes, "");
    let mut report = String::new();
    let mut tensors_done = Tally { done: 0, of: count };
    limits::with_threads(args.threads, || {
        for &f in &plan.mine {
            let path = file_path(args, &plan, f);
            let members: Vec<usize> = (0..manifest.tensors.len())
                .filter(|&i| file_of[i] == f)
                .collect();
            write_file(
                &path,
                &manifest,
                &laws,
                &members,
                &progress,
                &mut tensors_done,
            )?;
            let bytes: u64 = members.iter().map(|&i| sizes[i]).sum();
            outln!(
                report,
                "wrote {}: {} tensors, {}",
                path.display(),
                members.len(),
                Bytes(bytes)
            );
        }
        Ok(())
    })?;
    if plan.sharded && plan.mine.contains(&0) {
        let weight_map: BTreeMap<String, String> = manifest
            .tensors
            .iter()
            .zip(&file_of)
            .map(|(t, &f)| (t.name.clone(), shard_file_name(f + 1, plan.files)))
            .collect();
        let index_path = args.out.join(INDEX_FILE);
        ShardIndex::new(manifest.data_bytes(), weight_map)
            .write(&index_path)
            .with_context(|| format!("cannot write {}", index_path.display()))?;
        outln!(report, "wrote {}", index_path.display());
    }
    progress.finish_and_clear();
    outln!(
        report,
        "initialized {count} of {} tensors ({}) from {}",
        manifest.tensors.len(),
        Bytes(total),
        args.manifest.display()
    );
    Ok(Outcome::success(report))
}

/// Reads `--out`, `--shards` and `--shard` into a [`Plan`].
fn plan(args: &InitArgs) -> anyhow::Result<Plan> {
    let single = TensorFormat::from_path(&args.out).ok() == Some(TensorFormat::Safetensors);
    let shard = args.shard.as_deref().map(parse_shard).transpose()?;
    if let (Some(n), Some((_, m))) = (args.shards, shard)
        && n != m
    {
        return Err(anyhow!("--shards {n} disagrees with --shard of {m} files"));
    }
    let files = shard.map(|(_, n)| n).or(args.shards).unwrap_or(1);
    if files == 0 {
        return Err(anyhow!(
            "invalid --shards 0: a checkpoint has at least one file"
        ));
    }
    if single && (files > 1 || shard.is_some()) {
        return Err(anyhow!(
            "--out {} is one .safetensors file; give a directory for a sharded checkpoint",
            args.out.display()
        ));
    }
    if !single && args.out.extension().is_some_and(|e| e == "npy") {
        return Err(anyhow!(
            "--out {} : a checkpoint is a .safetensors file or a directory",
            args.out.display()
        ));
    }
    let mine = match shard {
        Some((k, _)) => vec![k - 1],
        None => (0..files).collect(),
    };
    Ok(Plan {
        sharded: !single,
        files,
        mine,
    })
}

/// Parses `--shard K/N` with 1 ≤ K ≤ N.
fn parse_shard(text: &str) -> anyhow::Result<(usize, usize)> {
    let bad = || anyhow!("invalid --shard {text:?}: write K/N with 1 ≤ K ≤ N, e.g. 2/8");
    let (k, n) = text.split_once('/').ok_or_else(bad)?;
    let (k, n) = (
        k.trim().parse::<usize>().map_err(|_| bad())?,
        n.trim().parse::<usize>().map_err(|_| bad())?,
    );
    if k == 0 || k > n {
        return Err(bad());
    }
    Ok((k, n))
}

/// The path of file `f` (0-based).
fn file_path(args: &InitArgs, plan: &Plan, f: usize) -> PathBuf {
    if plan.sharded {
        args.out.join(shard_file_name(f + 1, plan.files))
    } else {
        args.out.clone()
    }
}

/// Resolves every tensor's law with the checks `initspec sample` makes (dtype can hold the
/// law, structured tensors fit in memory), listing every problem with its tensor.
fn check_tensors(manifest: &Manifest, args: &InitArgs) -> anyhow::Result<Vec<Option<Law>>> {
    let mut problems = Vec::new();
    let mut laws = Vec::with_capacity(manifest.tensors.len());
    for t in &manifest.tensors {
        let request = SampleRequest {
            scheme: t.scheme,
            shape: t.shape.clone(),
            layout: t.layout.clone(),
            groups: t.groups,
            seed: t.seed,
            name: t.name.clone(),
            dtype: t.dtype,
            allow_lossy_dtype: args.allow_lossy_dtype,
            out: args.out.clone(),
        };
        match resolve(&request) {
            Ok(law) => laws.push(law),
            Err(e) => problems.push(format!("tensor {:?}: {e:#}", t.name)),
        }
    }
    if problems.is_empty() {
        Ok(laws)
    } else {
        Err(anyhow!(
            "manifest {} has {} tensor(s) that cannot be drawn: {}",
            args.manifest.display(),
            problems.len(),
            problems.join("; ")
        ))
    }
}

/// The `__metadata__` of a checkpoint file: `format` = `pt` (what `transformers` expects),
/// the initspec version, and for each tensor `initspec.tensor.NAME` = a JSON object with its
/// scheme, law, seed, layout and groups.
fn file_metadata(
    manifest: &Manifest,
    laws: &[Option<Law>],
    members: &[usize],
) -> BTreeMap<String, String> {
    let mut metadata = BTreeMap::new();
    metadata.insert("format".to_string(), "pt".to_string());
    metadata.insert(
        "initspec.version".to_string(),
        env!("CARGO_PKG_VERSION").to_string(),
    );
    for &i in members {
        let t = &manifest.tensors[i];
        let record = serde_json::json!({
            "scheme": t.scheme.to_string(),
            "law": laws[i].as_ref().map(ToString::to_string),
            "seed": t.seed.to_string(),
            "layout": t.layout.to_string(),
            "groups": t.groups,
        });
        metadata.insert(format!("initspec.tensor.{}", t.name), record.to_string());
    }
    metadata
}

/// Draws the tensors `members` (manifest indices, in order) into one file.
fn write_file(
    path: &Path,
    manifest: &Manifest,
    laws: &[Option<Law>],
    members: &[usize],
    progress: &ProgressBar,
    tally: &mut Tally,
) -> anyhow::Result<()> {
    let specs: Vec<TensorSpec> = members
        .iter()
        .map(|&i| {
            let t = &manifest.tensors[i];
            TensorSpec {
                name: t.name.clone(),
                shape: t.shape.clone(),
                dtype: t.dtype,
            }
        })
        .collect();
    let metadata = file_metadata(manifest, laws, members);
    let context = || format!("cannot write {}", path.display());
    let mut writer = SafetensorsWriter::create(path, &specs, &metadata).with_context(context)?;
    for &i in members {
        let t = &manifest.tensors[i];
        tally.done += 1;
        progress.set_message(format!("tensor {} of {}: {}", tally.done, tally.of, t.name));
        let Some(law) = &laws[i] else {
            continue; // An empty tensor: nothing to draw.
        };
        let sampler = Sampler::new(law, Stream::new(t.seed, &t.name));
        let elements = initspec::element_count(&t.shape)?;
        let what = || format!("tensor {:?}", t.name);
        let size = t.dtype.size_bytes() as u64;
        let result = match t.dtype {
            Dtype::F32 => stream::<f32>(&sampler, elements, |part| {
                progress.inc(part.len() as u64 * size);
                writer.write_values(part).with_context(context)
            }),
            Dtype::F64 => stream::<f64>(&sampler, elements, |part| {
                progress.inc(part.len() as u64 * size);
                writer.write_values(part).with_context(context)
            }),
            Dtype::BF16 => stream::<bf16>(&sampler, elements, |part| {
                progress.inc(part.len() as u64 * size);
                writer.write_values(part).with_context(context)
            }),
            Dtype::F16 => stream::<f16>(&sampler, elements, |part| {
                progress.inc(part.len() as u64 * size);
                writer.write_values(part).with_context(context)
            }),
        };
        result.with_context(what)?;
    }
    writer.finish().with_context(context)?;
    Ok(())
}

/// Tensors drawn so far, of how many, for the progress bar.
struct Tally {
    done: usize,
    of: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_syntax() {
        assert_eq!(parse_shard("2/8").unwrap(), (2, 8));
        assert_eq!(parse_shard(" 1 / 1 ").unwrap(), (1, 1));
        for bad in ["0/3", "4/3", "3", "a/3", "1/0", "-1/3", "1/3/4", ""] {
            let e = parse_shard(bad).unwrap_err().to_string();
            assert!(e.contains("--shard"), "{bad}: {e}");
        }
    }
}

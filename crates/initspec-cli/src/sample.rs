//! `initspec sample`: draw a scheme into a `.npy` or `.safetensors` file.
//!
//! The tensor is drawn and written in chunks of [`CHUNK_ELEMENTS`], so a tensor larger than
//! memory is written with bounded memory; every chunk is filled by the index-determined
//! sampler, so `--threads` changes the speed and never a byte. The file appears at its final
//! path only when complete (a temporary name, then a rename).

use std::collections::BTreeMap;
use std::path::PathBuf;

use half::{bf16, f16};
use initspec::{Element, Law, Layout, Sampler, Scheme, Stream, element_count};

use crate::args::{parse_layout, parse_scheme, parse_shape};
use crate::limits;
use crate::output::{Outcome, outln};
use anyhow::{Context as _, anyhow};
use initspec_io::{Dtype, TensorWriter, draw};

/// Arguments of `initspec sample`.
#[derive(clap::Args, Debug)]
pub struct SampleArgs {
    /// The scheme, e.g. `kaiming_uniform(a=2.23606797749979)` or `he_normal`.
    #[arg(long)]
    pub scheme: String,
    /// Comma-separated dimensions, e.g. 256,784 (an empty string is a scalar). The free space
    /// the file needs is checked before it is written.
    #[arg(long, allow_hyphen_values = true)]
    pub shape: String,
    /// Where the fans are: out-in (PyTorch), in-out (Keras/JAX), transposed (ConvTranspose)
    /// or axes(in=[..], out=[..], batch=[..]).
    #[arg(long, default_value = "out-in")]
    pub layout: String,
    /// Convolution groups.
    #[arg(long, default_value_t = 1)]
    pub groups: usize,
    /// The seed of the random stream.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The tensor's name: part of its stream key, and its name inside .safetensors.
    #[arg(long, default_value = "weight")]
    pub name: String,
    /// Stored dtype: f32, f64, bf16 or f16.
    #[arg(long, default_value = "f32")]
    pub dtype: String,
    /// Write the tensor even when the dtype cannot represent the law (values that round to
    /// zero, or a spread below the dtype's resolution); without it that is an error.
    #[arg(long)]
    pub allow_lossy_dtype: bool,
    /// Worker threads, 1 to 1024 (default: all cores). Changes speed, never bytes.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output file: .npy or .safetensors.
    #[arg(long)]
    pub out: PathBuf,
}

/// `initspec sample`: parses the arguments, draws the tensor into its file and says what
/// was written.
///
/// # Errors
/// As [`run`].
pub fn command(args: &SampleArgs) -> anyhow::Result<Outcome> {
    let request = SampleRequest {
        scheme: parse_scheme(&args.scheme)?,
        shape: parse_shape(&args.shape)?,
        layout: parse_layout(&args.layout)?,
        groups: args.groups,
        seed: args.seed,
        name: args.name.clone(),
        dtype: args
            .dtype
            .parse::<Dtype>()
            .map_err(|e| anyhow!("invalid --dtype: {e}"))?,
        allow_lossy_dtype: args.allow_lossy_dtype,
        out: args.out.clone(),
    };
    let summary = limits::with_threads(args.threads, || run(&request))?;
    let law = summary.law.map_or_else(
        || "empty tensor, nothing drawn".to_string(),
        |law| law.to_string(),
    );
    let mut out = String::new();
    outln!(
        out,
        "wrote {}: {:?} {} {} -> {law} (seed {}, name {:?})",
        request.out.display(),
        request.shape,
        request.dtype,
        request.scheme,
        request.seed,
        request.name
    );
    Ok(Outcome::success(out))
}

/// Elements drawn and written per chunk (16 MiB of f32).
pub const CHUNK_ELEMENTS: usize = 1 << 22;

/// Everything `initspec sample` needs.
#[derive(Debug, Clone)]
pub struct SampleRequest {
    /// The scheme to draw.
    pub scheme: Scheme,
    /// The tensor's shape.
    pub shape: Vec<usize>,
    /// Where its fans are.
    pub layout: Layout,
    /// Convolution groups.
    pub groups: usize,
    /// The seed of the stream.
    pub seed: u64,
    /// The tensor's name: part of the stream key, and its name inside `.safetensors`.
    pub name: String,
    /// The stored dtype.
    pub dtype: Dtype,
    /// Write even when the dtype cannot represent the law ([`initspec_io::draw::representable`] fails).
    pub allow_lossy_dtype: bool,
    /// The output file (`.npy` or `.safetensors`).
    pub out: PathBuf,
}

/// What was written.
#[derive(Debug, Clone)]
pub struct SampleSummary {
    /// The law drawn, or `None` for an empty tensor (nothing to draw).
    pub law: Option<Law>,
}

/// Resolves the law of the request ([`initspec_io::draw::law_for`]): `None` for an empty
/// tensor; a random structured law is also checked against the memory this process can
/// allocate ([`STRUCTURED_BYTES_PER_ELEMENT`] a value).
///
/// # Errors
/// Fan and scheme errors (rank < 2 for a fan-based scheme, groups, overflow), a dtype that
/// cannot hold the law, a structured tensor too large to compute.
pub fn resolve(request: &SampleRequest) -> anyhow::Result<Option<Law>> {
    let law = draw::law_for(
        &request.scheme,
        &request.shape,
        &request.layout,
        request.groups,
        request.dtype,
        request.allow_lossy_dtype,
    )?;
    if let Some(law) = &law
        && draw::is_random_structured(law)
    {
        let elements = element_count(&request.shape)?;
        limits::check_memory(
            &format!("{law} on {elements} elements"),
            usize::try_from(elements)
                .ok()
                .and_then(|n| limits::bytes_of(n, STRUCTURED_BYTES_PER_ELEMENT)),
        )?;
    }
    Ok(law)
}

/// Peak memory of a random structured tensor per element, measured as peak RSS / elements
/// with `/usr/bin/time -f %M initspec sample --scheme orthogonal --shape R,C`: 65 bytes for a
/// tall 4194304×4 matrix (the worst shape: the QR works on a transposed f64 copy beside the
/// Gaussian draw, Q and the kept tensor), 44 for 65536×64, 22 for 2048×2048, 13 for
/// `sparse(sparsity=0.5)` on 2048×2048.
pub const STRUCTURED_BYTES_PER_ELEMENT: usize = 64;

/// Draws the request into its file.
///
/// # Errors
/// Any scheme, shape, layout or file problem; a law whose values overflow the dtype
/// (e.g. `normal(std=1e5)` in f16); nothing is left at the output path on error.
pub fn run(request: &SampleRequest) -> anyhow::Result<SampleSummary> {
    let law = resolve(request)?;
    let elements = element_count(&request.shape)?;
    let mut metadata = BTreeMap::new();
    metadata.insert("initspec.scheme".to_string(), request.scheme.to_string());
    if let Some(law) = &law {
        metadata.insert("initspec.law".to_string(), law.to_string());
    }
    metadata.insert("initspec.seed".to_string(), request.seed.to_string());
    metadata.insert("initspec.name".to_string(), request.name.clone());
    metadata.insert("initspec.layout".to_string(), request.layout.to_string());
    metadata.insert("initspec.groups".to_string(), request.groups.to_string());
    metadata.insert(
        "initspec.version".to_string(),
        env!("CARGO_PKG_VERSION").to_string(),
    );
    let mut writer = TensorWriter::create(
        &request.out,
        &request.shape,
        request.dtype,
        &request.name,
        &metadata,
    )
    .with_context(|| format!("cannot write {}", request.out.display()))?;
    if let Some(law) = &law {
        let sampler = Sampler::new(law, Stream::new(request.seed, &request.name));
        let path = request.out.display();
        let context = || format!("cannot write {path}");
        match request.dtype {
            Dtype::F32 => stream::<f32>(&sampler, elements, |part| {
                writer.write_values(part).with_context(context)
            })?,
            Dtype::F64 => stream::<f64>(&sampler, elements, |part| {
                writer.write_values(part).with_context(context)
            })?,
            Dtype::BF16 => stream::<bf16>(&sampler, elements, |part| {
                writer.write_values(part).with_context(context)
            })?,
            Dtype::F16 => stream::<f16>(&sampler, elements, |part| {
                writer.write_values(part).with_context(context)
            })?,
        }
    }
    writer
        .finish()
        .with_context(|| format!("cannot write {}", request.out.display()))?;
    Ok(SampleSummary { law })
}

/// Fills the tensor of `sampler` chunk by chunk ([`CHUNK_ELEMENTS`] at a time, each chunk
/// filled on all threads) and hands each chunk to `write`, in order.
///
/// # Errors
/// A value that overflows `T` (naming the element), a chunk that cannot be allocated, or the
/// error of `write`.
pub fn stream<T: Element>(
    sampler: &Sampler,
    elements: u64,
    mut write: impl FnMut(&[T]) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let chunk = CHUNK_ELEMENTS.min(usize::try_from(elements).unwrap_or(usize::MAX));
    let mut buffer = limits::try_vec("one chunk of the tensor", chunk, T::default())?;
    let mut start = 0u64;
    // Skipped when no value drawn from the law can reach the dtype's range: it is a read of
    // every value.
    let check = match T::NAME.parse::<Dtype>() {
        Ok(dtype) => draw::may_overflow(sampler.law(), dtype),
        Err(_) => true,
    };
    while start < elements {
        let len = (elements - start).min(chunk as u64) as usize;
        let part = &mut buffer[..len];
        sampler.fill_range(start, part);
        let overflow = if check {
            draw::first_overflow(part)
        } else {
            None
        };
        if let Some(i) = overflow {
            return Err(anyhow!(
                "element {} of {} overflows {} (the law's values exceed its range); use a wider --dtype",
                start + i as u64,
                sampler.law(),
                T::NAME
            ));
        }
        write(part)?;
        start += len as u64;
    }
    Ok(())
}

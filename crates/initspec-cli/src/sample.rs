//! `initspec sample`: draw a scheme into a `.npy` or `.safetensors` file.
//!
//! The tensor is drawn and written in chunks of [`CHUNK_ELEMENTS`], so a tensor larger than
//! memory is written with bounded memory; every chunk is filled by the index-determined
//! sampler, so `--threads` changes the speed and never a byte. The file appears at its final
//! path only when complete (a temporary name, then a rename).

use std::collections::BTreeMap;
use std::path::PathBuf;

use half::{bf16, f16};
use initspec::{Element, Fans, Law, Layout, Sampler, Scheme, Stream, element_count};

use crate::error::CliError;
use crate::format::{Dtype, FormatError, TensorWriter};

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
    /// The output file (`.npy` or `.safetensors`).
    pub out: PathBuf,
}

/// What was written.
#[derive(Debug, Clone)]
pub struct SampleSummary {
    /// The law drawn, or `None` for an empty tensor (nothing to draw).
    pub law: Option<Law>,
    /// Number of elements written.
    pub elements: u64,
}

/// Resolves the law of the request: `None` for an empty tensor (after checking that the
/// scheme could apply to its rank).
///
/// # Errors
/// Fan and scheme errors (rank < 2 for a fan-based scheme, groups, overflow).
pub fn resolve(request: &SampleRequest) -> Result<Option<Law>, CliError> {
    let elements = element_count(&request.shape)?;
    if elements == 0 {
        if request.scheme.is_structured() {
            // Rank, layout and groups are checked even for an empty structured tensor.
            request
                .scheme
                .resolve(&request.shape, &request.layout, request.groups)?;
        } else if request.scheme.needs_fans() {
            match Fans::of_shape(&request.shape, &request.layout, request.groups) {
                Ok(_) | Err(initspec::Error::ZeroFan { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        return Ok(None);
    }
    let law = request
        .scheme
        .resolve(&request.shape, &request.layout, request.groups)?;
    check_structured_size(&law, elements)?;
    Ok(Some(law))
}

/// The most elements of a random structured tensor (orthogonal, delta-orthogonal, sparse)
/// `sample` computes: they are computed whole in `f64` (several copies during a QR), so 2²⁸
/// elements already take ~8 GiB.
pub const MAX_STRUCTURED_ELEMENTS: u64 = 1 << 28;

/// The most floating-point operations of one orthogonal QR `sample` starts, `(8/3)·m·n²`-ish
/// for an `m × n` matrix: 10¹³, several minutes on two cores.
pub const MAX_ORTHOGONAL_FLOPS: f64 = 1e13;

/// Refuses random structured tensors that would not fit in memory or finish in minutes.
fn check_structured_size(law: &Law, elements: u64) -> Result<(), CliError> {
    let random = matches!(
        law,
        Law::Orthogonal(_) | Law::DeltaOrthogonal(_) | Law::Sparse(_)
    );
    if random && elements > MAX_STRUCTURED_ELEMENTS {
        return Err(CliError::new(format!(
            "{law} on {elements} elements is computed whole in memory; initspec sample takes at most {MAX_STRUCTURED_ELEMENTS} elements for it"
        )));
    }
    let matrix = match law {
        Law::Orthogonal(o) => Some((o.rows(), o.cols())),
        Law::DeltaOrthogonal(d) => Some((d.in_channels(), d.out_channels())),
        _ => None,
    };
    if let Some((rows, cols)) = matrix {
        let (m, n) = (rows.max(cols) as f64, rows.min(cols) as f64);
        let flops = 4.0 * m * n * n - 4.0 / 3.0 * n * n * n;
        if flops > MAX_ORTHOGONAL_FLOPS {
            return Err(CliError::new(format!(
                "{law} of a {rows}×{cols} matrix needs about {flops:.1e} floating-point operations (a QR and its Q); initspec sample refuses more than {MAX_ORTHOGONAL_FLOPS:e}"
            )));
        }
    }
    Ok(())
}

/// Draws the request into its file.
///
/// # Errors
/// Any scheme, shape, layout or file problem; a law whose values overflow the dtype
/// (e.g. `normal(std=1e5)` in f16); nothing is left at the output path on error.
pub fn run(request: &SampleRequest) -> Result<SampleSummary, CliError> {
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
    .map_err(|e| CliError::new(format!("cannot write {}: {e}", request.out.display())))?;
    if let Some(law) = &law {
        let sampler = Sampler::new(law, Stream::new(request.seed, &request.name));
        match request.dtype {
            Dtype::F32 => stream::<f32>(&sampler, elements, &mut writer, TensorWriter::write_f32)?,
            Dtype::F64 => stream::<f64>(&sampler, elements, &mut writer, TensorWriter::write_f64)?,
            Dtype::BF16 => {
                stream::<bf16>(&sampler, elements, &mut writer, TensorWriter::write_bf16)?
            }
            Dtype::F16 => stream::<f16>(&sampler, elements, &mut writer, TensorWriter::write_f16)?,
        }
    }
    writer
        .finish()
        .map_err(|e| CliError::new(format!("cannot write {}: {e}", request.out.display())))?;
    Ok(SampleSummary { law, elements })
}

/// Fills and writes the tensor chunk by chunk.
fn stream<T: Element>(
    sampler: &Sampler,
    elements: u64,
    writer: &mut TensorWriter,
    write: fn(&mut TensorWriter, &[T]) -> Result<(), FormatError>,
) -> Result<(), CliError> {
    let chunk = CHUNK_ELEMENTS.min(usize::try_from(elements).unwrap_or(usize::MAX));
    let mut buffer = Vec::new();
    buffer
        .try_reserve_exact(chunk)
        .map_err(|_| CliError::new("not enough memory for one chunk of the tensor"))?;
    buffer.resize(chunk, T::default());
    let mut start = 0u64;
    while start < elements {
        let len = (elements - start).min(chunk as u64) as usize;
        let part = &mut buffer[..len];
        sampler.fill_range(start, part);
        if let Some(i) = part.iter().position(|x| !x.to_f64().is_finite()) {
            return Err(CliError::new(format!(
                "element {} of {} overflows {} (the law's values exceed its range); use a wider --dtype",
                start + i as u64,
                sampler.law(),
                T::NAME
            )));
        }
        write(writer, part)
            .map_err(|e| CliError::new(format!("cannot write {}: {e}", writer.path().display())))?;
        start += len as u64;
    }
    Ok(())
}

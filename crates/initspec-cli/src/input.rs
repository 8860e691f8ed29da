//! Loading the tensors that `audit` and `identify` examine.

use std::path::{Path, PathBuf};

use initspec::{Fans, Layout};
use initspec_verify::sample::Sample;
use initspec_verify::storage::Storage;

use crate::limits;
use anyhow::anyhow;
use initspec_io::safetensors::SafetensorsFile;
use initspec_io::{Dtype, TensorFormat, npy, read_tensor};

/// The file, tensor and layout arguments shared by `audit` and `identify`.
#[derive(clap::Args, Debug)]
pub struct TensorArgs {
    /// The weights: a .npy or .safetensors file.
    pub file: PathBuf,
    /// The tensor inside a .safetensors file (default: every tensor, each on its own).
    #[arg(long)]
    pub tensor: Option<String>,
    /// Where the fans are: out-in (PyTorch), in-out (Keras/JAX), transposed, or axes(...).
    #[arg(long, default_value = "out-in")]
    pub layout: String,
    /// Convolution groups.
    #[arg(long, default_value_t = 1)]
    pub groups: usize,
}

impl TensorArgs {
    /// Checks `--groups` before any file is read: at least 1.
    ///
    /// # Errors
    /// `--groups 0`.
    pub fn check_groups(&self) -> anyhow::Result<()> {
        limits::at_least("--groups", self.groups, 1).map(drop)
    }

    /// Checks that `layout` and `--groups` fit the tensor's shape the way the audit requires
    /// (axes in range and distinct, groups dividing the grouped dimension), so that `audit`
    /// and `identify` accept and refuse the same arguments. Tensors of rank below 2 have no
    /// fans; any layout passes for them.
    ///
    /// # Errors
    /// The fan error, naming the tensor and its shape.
    pub fn check_layout(&self, tensor: &LoadedTensor, layout: &Layout) -> anyhow::Result<()> {
        let shape = &tensor.shape[..];
        if shape.len() < 2 {
            return Ok(());
        }
        match Fans::of_shape(shape, layout, self.groups) {
            Ok(_) | Err(initspec::Error::ZeroFan { .. }) => Ok(()),
            Err(e) => {
                let which = tensor
                    .name
                    .as_deref()
                    .map_or(String::new(), |n| format!(" tensor {n:?}"));
                Err(anyhow!(
                    "invalid --layout {layout} or --groups {} for {}{which} of shape {shape:?}: {e}",
                    self.groups,
                    self.file.display()
                ))
            }
        }
    }
}

/// One tensor read from a file.
#[derive(Debug)]
pub struct LoadedTensor {
    /// Its name inside a `.safetensors` file (`None` for `.npy`).
    pub name: Option<String>,
    /// Its shape.
    pub shape: Vec<usize>,
    /// The dtype it was stored in.
    pub dtype: Dtype,
    /// Its values in their stored width, in C order.
    pub values: initspec_io::Values,
}

impl LoadedTensor {
    /// The storage model of its dtype.
    pub fn storage(&self) -> Storage {
        storage_of(self.dtype)
    }

    /// The tensor as the audit and identify see it, with its fans in `layout` and `groups`.
    pub fn sample(&self, layout: &Layout, groups: usize) -> Sample<'_> {
        Sample::new(verify_values(&self.values), &self.shape, self.storage())
            .with_layout(layout.clone())
            .with_groups(groups)
    }
}

/// The values read from a file as the verifier sees them: the same slice, in its own width.
pub fn verify_values(values: &initspec_io::Values) -> initspec_verify::sample::Values<'_> {
    match values {
        initspec_io::Values::F64(v) => v.into(),
        initspec_io::Values::F32(v) => v.into(),
        initspec_io::Values::BF16(v) => v.into(),
        initspec_io::Values::F16(v) => v.into(),
    }
}

/// The verifier's storage model of a file dtype.
pub fn storage_of(dtype: Dtype) -> Storage {
    match dtype {
        Dtype::F64 => Storage::F64,
        Dtype::F32 => Storage::F32,
        Dtype::BF16 => Storage::BF16,
        Dtype::F16 => Storage::F16,
    }
}

/// A tensor of the file that is not examined, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Its name inside the `.safetensors` file.
    pub name: String,
    /// Why it is skipped, e.g. "dtype I64 is not a floating-point type".
    pub reason: String,
}

/// The tensors read from a file, and those of its tensors that are skipped.
#[derive(Debug)]
pub struct Loaded {
    /// The floating-point, non-empty tensors, in file order.
    pub tensors: Vec<LoadedTensor>,
    /// The others (integer counters, masks, empty tensors), with the reason.
    pub skipped: Vec<Skipped>,
}

/// Bytes an audit or identification holds per value of the tensors it examines, beyond the
/// stored values themselves (2, 4 or 8 bytes a value, read in their own width): the order
/// statistics' gather buffer (at most a quarter of the tensor's bytes, so ≤ 2) and, for a
/// structured law, whose checks need the values in place as f64, 8 more. Measured as peak
/// RSS with `/usr/bin/time -f %M initspec audit` on a 2²⁶ f32 `.npy` (see docs/PERFORMANCE.md,
/// "Audit speed and memory"): 334 MB against 256 MiB of values for a scalar law.
pub const ANALYSIS_BYTES_PER_VALUE: usize = 10;

/// The memory an examination of `count` values stored as `dtype` needs:
/// `count × (dtype size + ANALYSIS_BYTES_PER_VALUE)`.
pub fn analysis_bytes(count: usize, dtype: Dtype) -> Option<u64> {
    limits::bytes_of(count, dtype.size_bytes() + ANALYSIS_BYTES_PER_VALUE)
}

/// Reads the tensor `name`, or every floating-point tensor of a `.safetensors` file when
/// `name` is `None` (the others are [`Skipped`] with a reason).
///
/// # Errors
/// Anything that is not a regular file, an unreadable, truncated or malformed file, a file
/// with no tensor to examine, a named tensor that is missing, empty or not floating-point,
/// tensors that need more memory than this process can allocate: one line naming the file.
pub fn load(path: &Path, name: Option<&str>) -> anyhow::Result<Loaded> {
    let fail = |e: initspec_io::FormatError| {
        anyhow::Error::new(e).context(format!("cannot read {}", path.display()))
    };
    let format = TensorFormat::from_path(path).map_err(fail)?;
    let mut skipped = Vec::new();
    let mut chosen: Vec<Option<String>> = Vec::new();
    let mut need = 0u64;
    // A .safetensors file is opened and its header parsed once, however many tensors it has.
    let mut file = None;
    match (format, name) {
        (TensorFormat::Npy, Some(_)) => {
            return Err(anyhow!(
                "--tensor names a tensor inside a .safetensors file, but {} is a .npy file",
                path.display()
            ));
        }
        (TensorFormat::Npy, None) => {
            let header = npy::read_file_header(path).map_err(fail)?;
            let count = nonempty(path, None, header.shape())?;
            need = analysis_bytes(count, header.dtype()).unwrap_or(u64::MAX);
            chosen.push(None);
        }
        (TensorFormat::Safetensors, _) => {
            let opened = SafetensorsFile::open(path).map_err(fail)?;
            let header = opened.header();
            if header.tensors().is_empty() {
                return Err(anyhow!("{} holds no tensors", path.display()));
            }
            if let Some(n) = name {
                let info = header.select(Some(n)).map_err(fail)?;
                if info.dtype().is_none() {
                    return Err(anyhow!(
                        "cannot read {} tensor {n:?}: its dtype {} is not a floating-point type (f16, bf16, f32, f64)",
                        path.display(),
                        info.dtype_name()
                    ));
                }
                let count = nonempty(path, Some(n), info.shape())?;
                need = info
                    .dtype()
                    .and_then(|d| analysis_bytes(count, d))
                    .unwrap_or(u64::MAX);
                chosen.push(Some(n.to_string()));
            } else {
                for info in header.tensors() {
                    let count = initspec_io::element_count(info.shape()).map_err(fail)?;
                    let reason = if info.dtype().is_none() {
                        Some(format!(
                            "dtype {} is not a floating-point type",
                            info.dtype_name()
                        ))
                    } else if count == 0 {
                        Some(format!(
                            "shape {:?} holds no values: nothing to test",
                            info.shape()
                        ))
                    } else {
                        None
                    };
                    match reason {
                        Some(reason) => skipped.push(Skipped {
                            name: info.name().to_string(),
                            reason,
                        }),
                        None => {
                            let bytes = info.dtype().and_then(|d| analysis_bytes(count, d));
                            need = need.saturating_add(bytes.unwrap_or(u64::MAX));
                            chosen.push(Some(info.name().to_string()));
                        }
                    }
                }
                if chosen.is_empty() {
                    let reasons: Vec<String> = skipped
                        .iter()
                        .map(|s| format!("{:?} ({})", s.name, s.reason))
                        .collect();
                    return Err(anyhow!(
                        "{} holds no floating-point tensor with values to examine: {}",
                        path.display(),
                        reasons.join("; ")
                    ));
                }
            }
            file = Some(opened);
        }
    }
    limits::check_memory(
        &format!("examining {}", path.display()),
        (need < u64::MAX).then_some(need),
    )?;
    let tensors = chosen
        .into_iter()
        .map(|n| {
            let data = match (&file, n.as_deref()) {
                (Some(f), Some(name)) => f.read(name),
                _ => read_tensor(path, None),
            }
            .map_err(fail)?;
            Ok(LoadedTensor {
                name: n,
                shape: data.shape().to_vec(),
                dtype: data.dtype(),
                values: data.into_values(),
            })
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(Loaded { tensors, skipped })
}

/// The number of values of `shape`, or an error when it is 0: an empty tensor has nothing to
/// test, and a verdict on it would mean nothing.
fn nonempty(path: &Path, name: Option<&str>, shape: &[usize]) -> anyhow::Result<usize> {
    match initspec_io::element_count(shape) {
        Ok(n) if n > 0 => Ok(n),
        Ok(_) => {
            let which = name.map_or(String::new(), |n| format!(" tensor {n:?}"));
            Err(anyhow!(
                "{}{which} is empty (shape {shape:?}): there is nothing to test",
                path.display()
            ))
        }
        Err(e) => Err(anyhow::Error::new(e).context(format!("cannot read {}", path.display()))),
    }
}

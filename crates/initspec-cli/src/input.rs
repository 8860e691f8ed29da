//! Loading the tensors that `audit` and `identify` examine.

use std::path::{Path, PathBuf};

use initspec_verify::storage::Storage;

use crate::error::CliError;
use crate::format::{Dtype, TensorData, TensorFormat, read_tensor, safetensors};

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

/// One tensor read from a file.
#[derive(Debug)]
pub struct LoadedTensor {
    /// Its name inside a `.safetensors` file (`None` for `.npy`).
    pub name: Option<String>,
    /// Shape, dtype and values.
    pub data: TensorData,
}

impl LoadedTensor {
    /// The storage model of its dtype.
    pub fn storage(&self) -> Storage {
        match self.data.dtype() {
            Dtype::F64 => Storage::F64,
            Dtype::F32 => Storage::F32,
            Dtype::BF16 => Storage::BF16,
            Dtype::F16 => Storage::F16,
        }
    }
}

/// Reads the tensor `name`, or every tensor of a `.safetensors` file when `name` is `None`.
///
/// # Errors
/// An unreadable, truncated or malformed file, an unsupported dtype, a missing tensor:
/// one line naming the file.
pub fn load(path: &Path, name: Option<&str>) -> Result<Vec<LoadedTensor>, CliError> {
    let fail = |e: crate::format::FormatError| {
        CliError::new(format!("cannot read {}: {e}", path.display()))
    };
    let format = TensorFormat::from_path(path).map_err(fail)?;
    match (format, name) {
        (TensorFormat::Safetensors, None) => {
            let header = safetensors::read_file_header(path).map_err(fail)?;
            let names = header.names();
            if names.is_empty() {
                return Err(CliError::new(format!(
                    "{} holds no tensors",
                    path.display()
                )));
            }
            names
                .into_iter()
                .map(|n| {
                    let data = read_tensor(path, Some(&n)).map_err(fail)?;
                    Ok(LoadedTensor {
                        name: Some(n),
                        data,
                    })
                })
                .collect()
        }
        (TensorFormat::Npy, Some(_)) => Err(CliError::new(format!(
            "--tensor names a tensor inside a .safetensors file, but {} is a .npy file",
            path.display()
        ))),
        _ => Ok(vec![LoadedTensor {
            name: name.map(str::to_string),
            data: read_tensor(path, name).map_err(fail)?,
        }]),
    }
}

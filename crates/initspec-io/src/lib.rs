//! Tensor files for initspec: `.npy`, `.safetensors`, Hugging Face sharded checkpoint
//! directories, and the manifests that describe a whole model's initialization.
//!
//! # Writing
//!
//! [`TensorWriter::create`] takes the output path (the extension picks the
//! format, see [`TensorFormat::from_path`]), the shape and the [`Dtype`]; the
//! caller then pushes the little-endian element bytes in C order, in chunks of
//! any size ([`TensorWriter::write_chunk`] or [`TensorWriter::write_values`]),
//! and calls [`TensorWriter::finish`], which checks that exactly the announced
//! number of bytes arrived, fsyncs, and renames the temporary file
//! (`.NAME.initspec-tmp-PID-K@HOST` in the same directory, see [`AtomicFile`])
//! to the final name. A writer dropped before `finish` removes its temporary
//! file, so nothing is ever half-written at the final path. A tensor larger
//! than memory can be written this way. [`SafetensorsWriter`] does the same for
//! several tensors in one `.safetensors` file (a checkpoint shard).
//!
//! - `.npy`: format version 1.0 (2.0 only when the header needs more than
//!   65535 bytes), C order, dtypes `<f2`, `<f4`, `<f8`; the header is laid out
//!   byte for byte as `numpy.save` lays it out. NumPy has no bfloat16, so
//!   [`Dtype::BF16`] is refused.
//! - `.safetensors`: named tensors of dtypes F16, BF16, F32, F64, an optional
//!   `__metadata__` string map (keys in sorted order), the JSON header padded
//!   with spaces to a multiple of 8 bytes, as the reference implementation pads
//!   it.
//!
//! # Reading
//!
//! [`read_tensor`] reads one tensor of either format into a [`TensorData`]:
//! its logical shape and its values in their stored width ([`Values`]: 2 bytes
//! a value for f16 and bf16, 4 for f32), in C order. `.npy` files of versions
//! 1.0, 2.0 and 3.0, little- or big-endian, C or Fortran order are read;
//! `.safetensors` files are validated as strictly as the reference
//! implementation validates them (contiguous, non-overlapping `data_offsets`
//! that cover the data exactly). Any malformed input gives a one-line
//! [`FormatError`], never a panic.
//!
//! [`safetensors::SafetensorsFile`] parses a header once, indexes its tensors by
//! name (linear in their number) and reads one tensor at a time with positional
//! reads, so threads can read one file at once and memory holds only the tensors
//! being examined. Reading streams into an owned buffer rather than
//! memory-mapping: the audit of a 2²⁶-value f32 file then peaks at 1.3× the
//! tensor's bytes (docs/PERFORMANCE.md), and an mmap would add the file's pages
//! to the resident set on top of any copy.
//!
//! # Checkpoints
//!
//! [`manifest`] reads and validates manifests (TOML or JSON), [`shards`] holds the
//! sharded layout (file names, the index, which tensor goes in which file) and
//! [`checkpoint`] opens a checkpoint (one file or a directory) and checks its
//! layout as a whole.

mod atomic;
pub mod checkpoint;
pub mod draw;
mod error;
pub mod manifest;
pub mod npy;
pub mod safetensors;
mod safetensors_writer;
pub mod shards;
mod values;
mod writer;

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::str::FromStr;

pub use atomic::{AtomicFile, remove_live_temporaries};
pub use error::FormatError;
pub use safetensors_writer::SafetensorsWriter;
pub use values::{StoredElement, Values};
pub use writer::TensorWriter;

/// The element type of a tensor file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dtype {
    /// IEEE 754 binary16 (`half::f16`; NumPy `float16`, safetensors `F16`).
    F16,
    /// bfloat16 (`half::bf16`; safetensors `BF16`; not storable in `.npy`).
    BF16,
    /// IEEE 754 binary32 (`f32`; NumPy `float32`, safetensors `F32`).
    F32,
    /// IEEE 754 binary64 (`f64`; NumPy `float64`, safetensors `F64`).
    F64,
}

impl Dtype {
    /// Every dtype, narrowest first.
    pub const ALL: [Dtype; 4] = [Dtype::F16, Dtype::BF16, Dtype::F32, Dtype::F64];

    /// Bytes per element: 2, 2, 4 or 8.
    pub const fn size_bytes(self) -> usize {
        match self {
            Dtype::F16 | Dtype::BF16 => 2,
            Dtype::F32 => 4,
            Dtype::F64 => 8,
        }
    }

    /// The command-line name: `f16`, `bf16`, `f32` or `f64`.
    pub const fn name(self) -> &'static str {
        match self {
            Dtype::F16 => "f16",
            Dtype::BF16 => "bf16",
            Dtype::F32 => "f32",
            Dtype::F64 => "f64",
        }
    }

    /// The name in a `.safetensors` header: `F16`, `BF16`, `F32` or `F64`.
    pub const fn safetensors_name(self) -> &'static str {
        match self {
            Dtype::F16 => "F16",
            Dtype::BF16 => "BF16",
            Dtype::F32 => "F32",
            Dtype::F64 => "F64",
        }
    }
}

impl fmt::Display for Dtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Dtype {
    type Err = FormatError;

    /// Parses `f32`, `f64`, `bf16` or `f16` (ASCII case ignored).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Dtype::ALL
            .into_iter()
            .find(|d| d.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| FormatError::UnknownDtype { name: s.to_owned() })
    }
}

/// A tensor file format, as chosen by the file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TensorFormat {
    /// NumPy's `.npy`: one unnamed array.
    Npy,
    /// Hugging Face `.safetensors`: named tensors and a string metadata map.
    Safetensors,
}

impl TensorFormat {
    /// Picks the format from the extension, `.npy` or `.safetensors` (ASCII
    /// case ignored).
    ///
    /// # Errors
    ///
    /// [`FormatError::UnknownExtension`] for any other or no extension.
    pub fn from_path(path: &Path) -> Result<Self, FormatError> {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ext.eq_ignore_ascii_case("npy") {
            Ok(TensorFormat::Npy)
        } else if ext.eq_ignore_ascii_case("safetensors") {
            Ok(TensorFormat::Safetensors)
        } else {
            Err(FormatError::UnknownExtension {
                path: path.to_path_buf(),
            })
        }
    }

    /// The extension with its dot: `.npy` or `.safetensors`.
    pub const fn extension(self) -> &'static str {
        match self {
            TensorFormat::Npy => ".npy",
            TensorFormat::Safetensors => ".safetensors",
        }
    }
}

impl fmt::Display for TensorFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

/// One tensor read from a file: logical shape, stored dtype, values in C order.
///
/// The values keep the width they were stored in ([`Values`]): 2 bytes a value for f16 and
/// bf16, 4 for f32. The number of values is always the product of the shape (1 for rank 0).
#[derive(Debug, Clone, PartialEq)]
pub struct TensorData {
    shape: Vec<usize>,
    values: Values,
}

impl TensorData {
    /// Builds from parts whose lengths the readers have already checked.
    pub(crate) fn new(shape: Vec<usize>, values: Values) -> Self {
        debug_assert_eq!(
            shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d)),
            Some(values.len())
        );
        TensorData { shape, values }
    }

    /// The logical shape (C order; `[]` for a scalar).
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The dtype the values were stored in.
    pub fn dtype(&self) -> Dtype {
        self.values.dtype()
    }

    /// The values in C (row-major) order, in their stored width.
    pub fn values(&self) -> &Values {
        &self.values
    }

    /// Takes the values out, in C order.
    pub fn into_values(self) -> Values {
        self.values
    }

    /// The values converted exactly to `f64`, in C order.
    pub fn to_f64(&self) -> Vec<f64> {
        self.values.to_f64()
    }

    /// Number of elements (the product of the shape).
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the tensor has no elements (a zero dim).
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// Reads one tensor from a `.npy` or `.safetensors` file (format by extension).
///
/// `tensor` names the tensor in a `.safetensors` file; it may be `None` when
/// the file holds exactly one. It is ignored for `.npy`, which holds one
/// unnamed array.
///
/// # Errors
///
/// [`FormatError::UnknownExtension`], [`FormatError::Io`] naming the path, or
/// any parse error of [`npy::read`] / [`safetensors::read`].
pub fn read_tensor(path: &Path, tensor: Option<&str>) -> Result<TensorData, FormatError> {
    match TensorFormat::from_path(path)? {
        TensorFormat::Npy => npy::read_file(path),
        TensorFormat::Safetensors => safetensors::read_file(path, tensor),
    }
}

/// Opens `path` for reading, naming it in the error. Only a regular file (after following
/// symbolic links) is opened: a FIFO would block `open` until a writer appears, and a device
/// such as `/dev/zero` never ends, so both are refused before opening.
///
/// # Errors
/// [`FormatError::NotRegularFile`], or [`FormatError::Io`] when it cannot be examined or
/// opened.
pub fn open_file(path: &Path) -> Result<File, FormatError> {
    let io_err = |source| FormatError::Io {
        action: "cannot open",
        path: path.to_path_buf(),
        source,
    };
    let file_type = std::fs::metadata(path).map_err(io_err)?.file_type();
    if !file_type.is_file() {
        return Err(FormatError::NotRegularFile {
            path: path.to_path_buf(),
            kind: describe_file_type(file_type),
        });
    }
    File::open(path).map_err(io_err)
}

/// "a directory", "a FIFO", ... for [`FormatError::NotRegularFile`].
fn describe_file_type(file_type: std::fs::FileType) -> &'static str {
    if file_type.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
    }
    "a special file"
}

/// Replaces a path-less read error by one that names `path`.
pub(crate) fn name_path(err: FormatError, path: &Path) -> FormatError {
    match err {
        FormatError::ReadFailed { source } => FormatError::Io {
            action: "cannot read",
            path: path.to_path_buf(),
            source,
        },
        other => other,
    }
}

/// Number of elements of `shape`, or [`FormatError::ShapeOverflow`].
pub fn element_count(shape: &[usize]) -> Result<usize, FormatError> {
    // The core's count, so that a file and a scheme agree on which shapes exist.
    initspec::element_count(shape)
        .ok()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| FormatError::ShapeOverflow {
            shape: shape.iter().map(|&d| d as u64).collect(),
        })
}

/// Bytes of data of `shape` in `dtype`, or [`FormatError::ShapeOverflow`].
pub fn data_bytes(shape: &[usize], dtype: Dtype) -> Result<u64, FormatError> {
    element_count(shape)?
        .checked_mul(dtype.size_bytes())
        .and_then(|b| u64::try_from(b).ok())
        .ok_or_else(|| FormatError::ShapeOverflow {
            shape: shape.iter().map(|&d| d as u64).collect(),
        })
}

/// Bytes read from the source at a time while decoding (a multiple of 8).
const READ_CHUNK_BYTES: usize = 1 << 16;

/// Reads `count` elements of `dtype` from `r`, in their own width.
///
/// The caller has checked that the source holds `count · size` more bytes.
pub(crate) fn read_values<R: Read>(
    r: &mut R,
    count: usize,
    dtype: Dtype,
    big_endian: bool,
) -> Result<Values, FormatError> {
    match dtype {
        Dtype::F16 => read_typed::<R, half::f16>(r, count, big_endian),
        Dtype::BF16 => read_typed::<R, half::bf16>(r, count, big_endian),
        Dtype::F32 => read_typed::<R, f32>(r, count, big_endian),
        Dtype::F64 => read_typed::<R, f64>(r, count, big_endian),
    }
}

/// [`read_values`] for one element type, [`READ_CHUNK_BYTES`] at a time.
fn read_typed<R: Read, T: StoredElement>(
    r: &mut R,
    count: usize,
    big_endian: bool,
) -> Result<Values, FormatError> {
    let size = T::DTYPE.size_bytes();
    let mut values: Vec<T> = Vec::new();
    values
        .try_reserve_exact(count)
        .map_err(|_| FormatError::TooLargeForMemory {
            bytes: (count as u64).saturating_mul(size as u64),
        })?;
    let chunk_elems = READ_CHUNK_BYTES / size;
    let mut buf = vec![0u8; chunk_elems.min(count) * size];
    let mut remaining = count;
    while remaining > 0 {
        let n = remaining.min(chunk_elems);
        let bytes = &mut buf[..n * size];
        r.read_exact(bytes)
            .map_err(|source| FormatError::ReadFailed { source })?;
        values.extend(bytes.chunks_exact(size).map(|c| T::read(c, big_endian)));
        remaining -= n;
    }
    Ok(T::into_values(values))
}

/// Tiny deterministic generator (Marsaglia's xorshift64) for the readers' corruption corpora.
#[cfg(test)]
pub(crate) struct XorShift(pub(crate) u64);

#[cfg(test)]
impl XorShift {
    /// The next state: `x ^= x << 13; x ^= x >> 7; x ^= x << 17`.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dtype_table() {
        let table = [
            (Dtype::F16, 2, "f16", "F16"),
            (Dtype::BF16, 2, "bf16", "BF16"),
            (Dtype::F32, 4, "f32", "F32"),
            (Dtype::F64, 8, "f64", "F64"),
        ];
        for (d, size, name, st) in table {
            assert_eq!(d.size_bytes(), size);
            assert_eq!(d.name(), name);
            assert_eq!(d.to_string(), name);
            assert_eq!(d.safetensors_name(), st);
            assert_eq!(name.parse::<Dtype>().ok(), Some(d));
            assert_eq!(st.parse::<Dtype>().ok(), Some(d));
        }
        for bad in ["", "f8", "float32", "i32", " f32", "f32 ", "fp16"] {
            let e = bad.parse::<Dtype>().unwrap_err();
            assert!(matches!(e, FormatError::UnknownDtype { .. }), "{bad}");
            assert!(e.to_string().contains("f32, f64, bf16, f16"), "{e}");
        }
    }

    #[test]
    fn format_from_path() {
        let ok = [
            ("w.npy", TensorFormat::Npy),
            ("dir.x/w.NPY", TensorFormat::Npy),
            ("/a/b/model.safetensors", TensorFormat::Safetensors),
            ("m.SafeTensors", TensorFormat::Safetensors),
        ];
        for (p, f) in ok {
            assert_eq!(TensorFormat::from_path(Path::new(p)).ok(), Some(f), "{p}");
        }
        for p in [
            "w",
            "w.npz",
            "w.pt",
            "npy",
            ".npy.bin",
            "dir.npy/w",
            "w.safetensor",
        ] {
            let e = TensorFormat::from_path(Path::new(p)).unwrap_err();
            assert!(matches!(e, FormatError::UnknownExtension { .. }), "{p}");
            assert!(e.to_string().contains(p), "{e}");
        }
        assert_eq!(TensorFormat::Npy.to_string(), ".npy");
        assert_eq!(TensorFormat::Safetensors.extension(), ".safetensors");
    }

    #[test]
    fn counts_and_overflow() {
        assert_eq!(element_count(&[]).ok(), Some(1));
        assert_eq!(element_count(&[3, 0, 5]).ok(), Some(0));
        assert_eq!(data_bytes(&[2, 3], Dtype::F64).ok(), Some(48));
        assert!(matches!(
            element_count(&[usize::MAX, 2]),
            Err(FormatError::ShapeOverflow { .. })
        ));
        assert!(matches!(
            data_bytes(&[usize::MAX / 2 + 1], Dtype::F16),
            Err(FormatError::ShapeOverflow { .. })
        ));
        // A zero dim makes any other dims harmless.
        assert_eq!(data_bytes(&[0, usize::MAX], Dtype::F64).ok(), Some(0));
    }

    #[test]
    fn read_values_in_many_chunks() {
        let n = READ_CHUNK_BYTES / 4 * 3 + 7;
        let bytes: Vec<u8> = (0..n).flat_map(|i| (i as f32).to_le_bytes()).collect();
        let got = read_values(&mut &bytes[..], n, Dtype::F32, false)
            .unwrap()
            .to_f64();
        assert_eq!(got.len(), n);
        assert!(got.iter().enumerate().all(|(i, &v)| v == i as f64));
        let short = read_values(&mut &bytes[..8], 3, Dtype::F32, false);
        assert!(matches!(short, Err(FormatError::ReadFailed { .. })));
    }
}

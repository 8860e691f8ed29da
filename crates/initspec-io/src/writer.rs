//! The streaming tensor writer shared by both formats.

use std::collections::BTreeMap;
use std::path::Path;

use half::{bf16, f16};

use super::{AtomicFile, Dtype, FormatError, TensorFormat, npy, safetensors};

/// Elements encoded at a time by the typed write helpers.
const ENCODE_CHUNK_ELEMS: usize = 1 << 14;

/// Writes one tensor to a `.npy` or `.safetensors` file, chunk by chunk.
///
/// The header is written by [`TensorWriter::create`]; the data follows as the
/// caller pushes it, in C order and little-endian. The file appears at its
/// final path only when [`TensorWriter::finish`] succeeds; a writer dropped
/// before that leaves nothing behind.
///
/// # Example
///
/// ```text
/// let mut w = TensorWriter::create(Path::new("w.safetensors"), &[2, 3], Dtype::F32, "weight", &meta)?;
/// w.write_f32(&[0.0, 1.0, 2.0])?;
/// w.write_f32(&[3.0, 4.0, 5.0])?;
/// w.finish()?;
/// ```
#[derive(Debug)]
pub struct TensorWriter {
    file: AtomicFile,
    format: TensorFormat,
    dtype: Dtype,
    shape: Vec<usize>,
    expected: u64,
    written: u64,
    scratch: Vec<u8>,
}

impl TensorWriter {
    /// Starts writing a tensor of `shape` and `dtype` to `path`, in the format
    /// its extension names.
    ///
    /// `tensor_name` and `metadata` (written as `__metadata__`, e.g. the
    /// scheme, law and seed) are used by `.safetensors` only: `.npy` has no
    /// place for them. A file already at `path` is replaced, atomically, by
    /// [`TensorWriter::finish`], and left untouched if the writer fails or is
    /// dropped.
    ///
    /// # Errors
    ///
    /// [`FormatError::UnknownExtension`], [`FormatError::ShapeOverflow`],
    /// [`FormatError::DtypeNotSupportedByFormat`] (bf16 in `.npy`),
    /// [`FormatError::InvalidTensorName`] (empty or `__metadata__`), or
    /// [`FormatError::Io`] naming the path when the file cannot be created.
    /// These are checked before anything is created on disk.
    /// [`FormatError::NoSpace`] when the file system has less room than the
    /// whole file needs (checked on the fresh temporary file, which is then
    /// removed).
    pub fn create(
        path: &Path,
        shape: &[usize],
        dtype: Dtype,
        tensor_name: &str,
        metadata: &BTreeMap<String, String>,
    ) -> Result<Self, FormatError> {
        let format = TensorFormat::from_path(path)?;
        let expected = super::data_bytes(shape, dtype)?;
        let header = match format {
            TensorFormat::Npy => npy::header_bytes(shape, dtype)?,
            TensorFormat::Safetensors => {
                safetensors::header_bytes(tensor_name, shape, dtype, metadata)?
            }
        };
        let mut file = AtomicFile::create(path)?;
        let needed = expected.saturating_add(header.len() as u64);
        file.check_space(needed)?;
        file.write_all(&header)?;
        Ok(TensorWriter {
            file,
            format,
            dtype,
            shape: shape.to_vec(),
            expected,
            written: 0,
            scratch: Vec::new(),
        })
    }

    /// The file format being written.
    pub fn format(&self) -> TensorFormat {
        self.format
    }

    /// The dtype the data must be in.
    pub fn dtype(&self) -> Dtype {
        self.dtype
    }

    /// The announced shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Data bytes announced by the shape and dtype.
    pub fn bytes_expected(&self) -> u64 {
        self.expected
    }

    /// Data bytes written so far.
    pub fn bytes_written(&self) -> u64 {
        self.written
    }

    /// The path the file will have once finished.
    pub fn path(&self) -> &Path {
        self.file.final_path()
    }

    /// Appends raw little-endian element bytes, C order. A chunk may end in the
    /// middle of an element; only the total is checked.
    ///
    /// # Errors
    ///
    /// [`FormatError::TooMuchData`] if this chunk would pass the announced
    /// size (nothing of it is written), or [`FormatError::Io`].
    pub fn write_chunk(&mut self, bytes: &[u8]) -> Result<(), FormatError> {
        self.reserve(bytes.len())?;
        self.file.write_all(bytes)?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// Appends values of any stored element type; it must be the writer's dtype.
    ///
    /// # Errors
    ///
    /// [`FormatError::DtypeMismatch`], or as [`TensorWriter::write_chunk`].
    pub fn write_values<T: crate::StoredElement>(
        &mut self,
        values: &[T],
    ) -> Result<(), FormatError> {
        let size = T::DTYPE.size_bytes();
        if T::DTYPE != self.dtype {
            return Err(FormatError::DtypeMismatch {
                expected: self.dtype,
                got: T::DTYPE,
            });
        }
        self.reserve(values.len().saturating_mul(size))?;
        let mut scratch = std::mem::take(&mut self.scratch);
        let mut result = Ok(());
        for chunk in values.chunks(ENCODE_CHUNK_ELEMS) {
            scratch.resize(chunk.len() * size, 0);
            for (out, &v) in scratch.chunks_exact_mut(size).zip(chunk) {
                v.write_le(out);
            }
            result = self.file.write_all(&scratch);
            if result.is_err() {
                break;
            }
            self.written += scratch.len() as u64;
        }
        self.scratch = scratch;
        result
    }

    /// Appends `f32` values; the writer's dtype must be [`Dtype::F32`].
    ///
    /// # Errors
    ///
    /// [`FormatError::DtypeMismatch`], or as [`TensorWriter::write_chunk`].
    pub fn write_f32(&mut self, values: &[f32]) -> Result<(), FormatError> {
        self.write_values(values)
    }

    /// Appends `f64` values; the writer's dtype must be [`Dtype::F64`].
    ///
    /// # Errors
    ///
    /// [`FormatError::DtypeMismatch`], or as [`TensorWriter::write_chunk`].
    pub fn write_f64(&mut self, values: &[f64]) -> Result<(), FormatError> {
        self.write_values(values)
    }

    /// Appends `bf16` values; the writer's dtype must be [`Dtype::BF16`].
    ///
    /// # Errors
    ///
    /// [`FormatError::DtypeMismatch`], or as [`TensorWriter::write_chunk`].
    pub fn write_bf16(&mut self, values: &[bf16]) -> Result<(), FormatError> {
        self.write_values(values)
    }

    /// Appends `f16` values; the writer's dtype must be [`Dtype::F16`].
    ///
    /// # Errors
    ///
    /// [`FormatError::DtypeMismatch`], or as [`TensorWriter::write_chunk`].
    pub fn write_f16(&mut self, values: &[f16]) -> Result<(), FormatError> {
        self.write_values(values)
    }

    /// Checks that all announced bytes were written, then fsyncs and renames
    /// the temporary file to the final path.
    ///
    /// # Errors
    ///
    /// [`FormatError::TooLittleData`] or [`FormatError::Io`]; in both cases the
    /// temporary file is removed and nothing appears at the final path.
    pub fn finish(self) -> Result<(), FormatError> {
        if self.written != self.expected {
            return Err(FormatError::TooLittleData {
                expected: self.expected,
                written: self.written,
            });
        }
        self.file.commit()
    }

    /// Fails unless `len` more bytes fit in the announced size.
    fn reserve(&self, len: usize) -> Result<(), FormatError> {
        let got = u64::try_from(len)
            .ok()
            .and_then(|l| self.written.checked_add(l));
        match got {
            Some(total) if total <= self.expected => Ok(()),
            _ => Err(FormatError::TooMuchData {
                expected: self.expected,
                got: got.unwrap_or(u64::MAX),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn no_meta() -> BTreeMap<String, String> {
        BTreeMap::new()
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn too_much_and_too_little_data() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["w.npy", "w.safetensors"] {
            let path = dir.path().join(name);
            let mut w = TensorWriter::create(&path, &[3], Dtype::F32, "w", &no_meta()).unwrap();
            assert_eq!(w.bytes_expected(), 12);
            w.write_f32(&[1.0, 2.0]).unwrap();
            let e = w.write_f32(&[3.0, 4.0]).unwrap_err();
            assert!(
                matches!(
                    e,
                    FormatError::TooMuchData {
                        expected: 12,
                        got: 16
                    }
                ),
                "{e}"
            );
            assert_eq!(w.bytes_written(), 8, "a refused chunk writes nothing");
            let e = w.finish().unwrap_err();
            assert!(
                matches!(
                    e,
                    FormatError::TooLittleData {
                        expected: 12,
                        written: 8
                    }
                ),
                "{e}"
            );
            assert!(!path.exists());
            assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
        }
    }

    #[test]
    fn raw_chunks_may_split_elements() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.npy");
        let data: Vec<u8> = [1.5f64, -2.0, 3.25]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        let mut w = TensorWriter::create(&path, &[3], Dtype::F64, "", &no_meta()).unwrap();
        for piece in data.chunks(5) {
            w.write_chunk(piece).unwrap();
        }
        w.finish().unwrap();
        let t = crate::read_tensor(&path, None).unwrap();
        assert_eq!(t.to_f64(), [1.5, -2.0, 3.25]);
    }

    #[test]
    fn typed_helper_must_match_dtype() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.safetensors");
        let mut w = TensorWriter::create(&path, &[2], Dtype::BF16, "w", &no_meta()).unwrap();
        let e = w.write_f32(&[1.0, 2.0]).unwrap_err();
        assert!(
            matches!(
                e,
                FormatError::DtypeMismatch {
                    expected: Dtype::BF16,
                    got: Dtype::F32
                }
            ),
            "{e}"
        );
        assert!(matches!(
            w.write_f16(&[f16::ONE]),
            Err(FormatError::DtypeMismatch { .. })
        ));
        assert!(matches!(
            w.write_f64(&[1.0]),
            Err(FormatError::DtypeMismatch { .. })
        ));
        w.write_bf16(&[bf16::ONE, bf16::NEG_ONE]).unwrap();
        w.finish().unwrap();
        assert_eq!(
            crate::read_tensor(&path, None).unwrap().to_f64(),
            [1.0, -1.0]
        );
    }

    #[test]
    fn refusals_before_touching_disk() {
        let dir = tempfile::tempdir().unwrap();
        let cases: [(&str, &[usize], Dtype, &str); 5] = [
            ("w.txt", &[2], Dtype::F32, "w"),
            ("w.npy", &[2], Dtype::BF16, "w"),
            ("w.npy", &[usize::MAX, 2], Dtype::F32, "w"),
            ("w.safetensors", &[usize::MAX / 4, 3], Dtype::F64, "w"),
            ("w.safetensors", &[2], Dtype::F32, "__metadata__"),
        ];
        for (name, shape, dtype, tensor) in cases {
            let e = TensorWriter::create(&dir.path().join(name), shape, dtype, tensor, &no_meta())
                .unwrap_err();
            assert!(!e.to_string().contains('\n'));
        }
        assert!(entries(dir.path()).is_empty());
    }

    #[test]
    fn missing_directory_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nope").join("w.safetensors");
        let e = TensorWriter::create(&path, &[1], Dtype::F32, "w", &no_meta()).unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
    }

    #[test]
    fn large_tensor_in_many_chunks() {
        // 3 MiB of f32, more than the write buffer and the encode chunk.
        let dir = tempfile::tempdir().unwrap();
        let n = 3 << 18;
        for name in ["w.npy", "w.safetensors"] {
            let path = dir.path().join(name);
            let mut w = TensorWriter::create(&path, &[n / 1024, 1024], Dtype::F32, "w", &no_meta())
                .unwrap();
            let all: Vec<f32> = (0..n).map(|i| i as f32 * 0.5).collect();
            for chunk in all.chunks(100_003) {
                w.write_f32(chunk).unwrap();
            }
            w.finish().unwrap();
            let t = crate::read_tensor(&path, Some("w")).unwrap();
            assert_eq!(t.shape(), [n / 1024, 1024]);
            assert!(
                t.to_f64()
                    .iter()
                    .enumerate()
                    .all(|(i, &v)| v == i as f64 * 0.5)
            );
        }
    }
}

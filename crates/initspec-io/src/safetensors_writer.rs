//! [`SafetensorsWriter`]: several tensors streamed into one `.safetensors` file.

use std::collections::BTreeMap;
use std::path::Path;

use crate::safetensors::{TensorSpec, header_bytes_multi};
use crate::{AtomicFile, FormatError, StoredElement};

/// Elements encoded at a time by [`SafetensorsWriter::write_values`].
const ENCODE_CHUNK_ELEMS: usize = 1 << 14;

/// Writes several tensors to one `.safetensors` file, chunk by chunk, in the order they were
/// announced.
///
/// The whole header (names, shapes, dtypes, offsets and `__metadata__`) is written by
/// [`SafetensorsWriter::create`]; the caller then pushes each tensor's little-endian bytes
/// in C order, the tensors one after the other in the announced order. The file appears at
/// its final path only when [`SafetensorsWriter::finish`] succeeds; a writer dropped before
/// that leaves nothing behind. Memory stays bounded by one chunk, whatever the file's size.
///
/// # Example
/// ```
/// use std::collections::BTreeMap;
/// use initspec_io::safetensors::{SafetensorsFile, TensorSpec};
/// use initspec_io::{Dtype, SafetensorsWriter};
/// # let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("two.safetensors");
/// let specs = [
///     TensorSpec { name: "w".into(), shape: vec![2, 2], dtype: Dtype::F32 },
///     TensorSpec { name: "b".into(), shape: vec![2], dtype: Dtype::F32 },
/// ];
/// let mut writer = SafetensorsWriter::create(&path, &specs, &BTreeMap::new()).unwrap();
/// writer.write_values(&[1.0f32, 2.0, 3.0, 4.0]).unwrap();
/// writer.write_values(&[0.5f32, -0.5]).unwrap();
/// writer.finish().unwrap();
/// let file = SafetensorsFile::open(&path).unwrap();
/// assert_eq!(file.read("b").unwrap().to_f64(), [0.5, -0.5]);
/// ```
#[derive(Debug)]
pub struct SafetensorsWriter {
    file: AtomicFile,
    /// `(name, dtype, end offset)` of each tensor, in the announced order.
    ends: Vec<(String, crate::Dtype, u64)>,
    current: usize,
    written: u64,
    scratch: Vec<u8>,
}

impl SafetensorsWriter {
    /// Starts writing `tensors` (in this order) with `metadata` to `path`.
    ///
    /// # Errors
    ///
    /// [`FormatError::UnknownExtension`] unless the path ends in `.safetensors`,
    /// [`FormatError::InvalidTensorName`] (empty or `__metadata__`),
    /// [`FormatError::DuplicateTensorName`],
    /// [`FormatError::ShapeOverflow`], [`FormatError::Io`] naming the path, or
    /// [`FormatError::NoSpace`] when the file system has less room than the whole file.
    /// All but the last two are checked before anything is created on disk.
    pub fn create(
        path: &Path,
        tensors: &[TensorSpec],
        metadata: &BTreeMap<String, String>,
    ) -> Result<Self, FormatError> {
        if crate::TensorFormat::from_path(path)? != crate::TensorFormat::Safetensors {
            return Err(FormatError::UnknownExtension {
                path: path.to_path_buf(),
            });
        }
        let header = header_bytes_multi(tensors, metadata)?;
        let mut ends = Vec::with_capacity(tensors.len());
        let mut end = 0u64;
        for t in tensors {
            // header_bytes_multi has checked that neither the sizes nor their sum overflow.
            end += crate::data_bytes(&t.shape, t.dtype)?;
            ends.push((t.name.clone(), t.dtype, end));
        }
        let mut file = AtomicFile::create(path)?;
        file.check_space(end.saturating_add(header.len() as u64))?;
        file.write_all(&header)?;
        Ok(SafetensorsWriter {
            file,
            ends,
            current: 0,
            written: 0,
            scratch: Vec::new(),
        })
    }

    /// The path the file will have once finished.
    pub fn path(&self) -> &Path {
        self.file.final_path()
    }

    /// The tensor whose bytes come next (`None` once every tensor is complete).
    pub fn next_tensor(&self) -> Option<&str> {
        self.ends
            .get(self.current)
            .map(|(name, _, _)| name.as_str())
    }

    /// Appends values of the tensor being written; they must have its dtype and must not run
    /// past its end (a tensor's values may come in any number of calls).
    ///
    /// # Errors
    ///
    /// [`FormatError::DtypeMismatch`], [`FormatError::TooMuchData`] (nothing of the chunk is
    /// written), or [`FormatError::Io`].
    pub fn write_values<T: StoredElement>(&mut self, values: &[T]) -> Result<(), FormatError> {
        self.skip_complete();
        let Some(&(_, dtype, end)) = self.ends.get(self.current) else {
            return Err(FormatError::TooMuchData {
                expected: self.written,
                got: self.written.saturating_add(values.len() as u64),
            });
        };
        if dtype != T::DTYPE {
            return Err(FormatError::DtypeMismatch {
                expected: dtype,
                got: T::DTYPE,
            });
        }
        let size = dtype.size_bytes();
        let bytes = (values.len() as u64).saturating_mul(size as u64);
        if self.written.saturating_add(bytes) > end {
            return Err(FormatError::TooMuchData {
                expected: end,
                got: self.written.saturating_add(bytes),
            });
        }
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

    /// Moves past the tensors that are complete (empty tensors included).
    fn skip_complete(&mut self) {
        while self
            .ends
            .get(self.current)
            .is_some_and(|&(_, _, end)| self.written >= end)
        {
            self.current += 1;
        }
    }

    /// Checks that every announced byte was written, then fsyncs and renames the temporary
    /// file to the final path.
    ///
    /// # Errors
    ///
    /// [`FormatError::TooLittleData`] or [`FormatError::Io`]; in both cases the temporary
    /// file is removed and nothing appears at the final path.
    pub fn finish(self) -> Result<(), FormatError> {
        let expected = self.ends.last().map_or(0, |&(_, _, end)| end);
        if self.written != expected {
            return Err(FormatError::TooLittleData {
                expected,
                written: self.written,
            });
        }
        self.file.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Dtype;
    use crate::safetensors::SafetensorsFile;
    use half::bf16;

    fn spec(name: &str, shape: &[usize], dtype: Dtype) -> TensorSpec {
        TensorSpec {
            name: name.into(),
            shape: shape.to_vec(),
            dtype,
        }
    }

    #[test]
    fn tensors_of_mixed_dtypes_read_back_by_the_reference_reader() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.safetensors");
        let specs = [
            spec("a", &[2, 3], Dtype::F32),
            spec("empty", &[0, 4], Dtype::F64),
            spec("b", &[3], Dtype::BF16),
        ];
        let mut meta = BTreeMap::new();
        meta.insert("format".to_string(), "pt".to_string());
        let mut w = SafetensorsWriter::create(&path, &specs, &meta).unwrap();
        assert_eq!(w.next_tensor(), Some("a"));
        w.write_values(&[1f32, 2.0, 3.0]).unwrap();
        w.write_values(&[4f32, 5.0, 6.0]).unwrap();
        let b: Vec<bf16> = [0.5, -1.0, 2.0]
            .iter()
            .map(|&x| bf16::from_f64(x))
            .collect();
        w.write_values(&b).unwrap();
        assert_eq!(w.next_tensor(), Some("b"));
        w.finish().unwrap();

        let bytes = std::fs::read(&path).unwrap();
        let reference = ::safetensors::SafeTensors::deserialize(&bytes).unwrap();
        assert_eq!(reference.len(), 3);
        assert_eq!(reference.tensor("b").unwrap().shape(), [3]);
        assert_eq!(reference.tensor("empty").unwrap().data().len(), 0);
        let file = SafetensorsFile::open(&path).unwrap();
        assert_eq!(file.read("a").unwrap().to_f64(), [1., 2., 3., 4., 5., 6.]);
        assert_eq!(file.read("b").unwrap().to_f64(), [0.5, -1.0, 2.0]);
        assert_eq!(file.header().metadata(), &meta);
        assert_eq!(
            file.read_bytes("a").unwrap(),
            file.read("a").unwrap().values().to_le_bytes()
        );
    }

    #[test]
    fn wrong_dtype_too_much_and_too_little_data_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.safetensors");
        let specs = [spec("a", &[2], Dtype::F32), spec("b", &[1], Dtype::F64)];
        let mut w = SafetensorsWriter::create(&path, &specs, &BTreeMap::new()).unwrap();
        assert!(matches!(
            w.write_values(&[1f64]),
            Err(FormatError::DtypeMismatch { .. })
        ));
        assert!(matches!(
            w.write_values(&[1f32, 2.0, 3.0]),
            Err(FormatError::TooMuchData { .. })
        ));
        w.write_values(&[1f32, 2.0]).unwrap();
        assert!(matches!(
            w.finish(),
            Err(FormatError::TooLittleData {
                expected: 16,
                written: 8
            })
        ));
        assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
    }

    #[test]
    fn bad_names_are_refused_before_creating_anything() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.safetensors");
        let twice = [spec("a", &[1], Dtype::F32), spec("a", &[1], Dtype::F32)];
        let e = SafetensorsWriter::create(&path, &twice, &BTreeMap::new()).unwrap_err();
        assert!(matches!(e, FormatError::DuplicateTensorName { .. }), "{e}");
        for specs in [
            vec![spec("", &[1], Dtype::F32)],
            vec![spec("__metadata__", &[1], Dtype::F32)],
        ] {
            let e = SafetensorsWriter::create(&path, &specs, &BTreeMap::new()).unwrap_err();
            assert!(matches!(e, FormatError::InvalidTensorName { .. }), "{e}");
        }
        let npy = dir.path().join("m.npy");
        let e = SafetensorsWriter::create(&npy, &[], &BTreeMap::new()).unwrap_err();
        assert!(matches!(e, FormatError::UnknownExtension { .. }), "{e}");
        assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
    }
}

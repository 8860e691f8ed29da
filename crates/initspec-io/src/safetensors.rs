//! Hugging Face `.safetensors` files: the header writer and the reader.
//!
//! # Layout
//!
//! ```text
//! N (u64 LE)   header: N bytes of UTF-8 JSON            data
//! 8 bytes      {"__metadata__":{"k":"v"},"NAME":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}
//! ```
//!
//! `data_offsets` are relative to the start of the data. The writer pads the
//! JSON with spaces to a multiple of 8 bytes, as the reference implementation
//! (the `safetensors` crate) does, and writes the `__metadata__` keys in
//! sorted order. The reader validates like the reference: the header at most
//! 100 MB, every tensor's offsets in range, the tensors contiguous and
//! non-overlapping in offset order and covering the data exactly, and each
//! tensor's byte length equal to its element count times its element size.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{MapAccess, Visitor};
use serde_json::Value;

use super::{Dtype, FormatError, TensorData};

/// Largest header the reader accepts, as in the reference implementation.
pub const MAX_HEADER_BYTES: u64 = 100_000_000;

/// The reserved top-level key that holds the string metadata.
const METADATA_KEY: &str = "__metadata__";

/// The format name used in error messages.
const FORMAT: &str = ".safetensors";

fn malformed(reason: impl Into<String>) -> FormatError {
    FormatError::MalformedHeader {
        format: FORMAT,
        reason: reason.into(),
    }
}

fn json_string(s: &str) -> Result<String, FormatError> {
    serde_json::to_string(s).map_err(|e| malformed(format!("cannot encode a string: {e}")))
}

/// The complete `.safetensors` prefix (8-byte length and padded JSON header)
/// for one tensor `name` of `shape` and `dtype` at offsets `[0, bytes]`, with
/// `metadata` as `__metadata__` (omitted when empty); the data follows it.
///
/// # Errors
///
/// [`FormatError::InvalidTensorName`] for an empty name or `__metadata__`;
/// [`FormatError::ShapeOverflow`].
pub fn header_bytes(
    name: &str,
    shape: &[usize],
    dtype: Dtype,
    metadata: &BTreeMap<String, String>,
) -> Result<Vec<u8>, FormatError> {
    let spec = TensorSpec {
        name: name.to_owned(),
        shape: shape.to_vec(),
        dtype,
    };
    header_bytes_multi(std::slice::from_ref(&spec), metadata)
}

/// A tensor to be written: its name, shape and dtype.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorSpec {
    /// The name in the header (not empty, not `__metadata__`).
    pub name: String,
    /// The shape.
    pub shape: Vec<usize>,
    /// The stored dtype.
    pub dtype: Dtype,
}

/// The `.safetensors` prefix for several tensors whose data follow in the order given, each
/// right after the previous one (offsets `[0, b₀]`, `[b₀, b₀ + b₁]`, ...), with `metadata` as
/// `__metadata__` (omitted when empty). The JSON is compact, keys in the order given, and
/// padded with spaces to a multiple of 8 bytes, as the reference implementation pads it.
///
/// # Errors
///
/// [`FormatError::InvalidTensorName`] for an empty name or `__metadata__`,
/// [`FormatError::DuplicateTensorName`]; [`FormatError::ShapeOverflow`] when a shape or the total overflows.
pub fn header_bytes_multi(
    tensors: &[TensorSpec],
    metadata: &BTreeMap<String, String>,
) -> Result<Vec<u8>, FormatError> {
    let mut seen = HashSet::with_capacity(tensors.len());
    let mut json = String::from("{");
    if !metadata.is_empty() {
        json.push_str(&json_string(METADATA_KEY)?);
        json.push_str(":{");
        for (i, (k, v)) in metadata.iter().enumerate() {
            if i > 0 {
                json.push(',');
            }
            json.push_str(&json_string(k)?);
            json.push(':');
            json.push_str(&json_string(v)?);
        }
        json.push('}');
    }
    let mut offset = 0u64;
    for (i, t) in tensors.iter().enumerate() {
        if t.name.is_empty() || t.name == METADATA_KEY {
            return Err(FormatError::InvalidTensorName {
                name: t.name.clone(),
            });
        }
        if !seen.insert(t.name.as_str()) {
            return Err(FormatError::DuplicateTensorName {
                name: t.name.clone(),
            });
        }
        let bytes = super::data_bytes(&t.shape, t.dtype)?;
        let end = offset
            .checked_add(bytes)
            .ok_or_else(|| FormatError::ShapeOverflow {
                shape: t.shape.iter().map(|&d| d as u64).collect(),
            })?;
        if i > 0 || !metadata.is_empty() {
            json.push(',');
        }
        let dims: Vec<String> = t.shape.iter().map(usize::to_string).collect();
        json.push_str(&format!(
            "{}:{{\"dtype\":\"{}\",\"shape\":[{}],\"data_offsets\":[{offset},{end}]}}",
            json_string(&t.name)?,
            t.dtype.safetensors_name(),
            dims.join(",")
        ));
        offset = end;
    }
    json.push('}');
    let padded = json.len().next_multiple_of(8);
    let mut out = Vec::with_capacity(8 + padded);
    out.extend_from_slice(&(padded as u64).to_le_bytes());
    out.extend_from_slice(json.as_bytes());
    out.resize(8 + padded, b' ');
    Ok(out)
}

/// One tensor's entry in a `.safetensors` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    name: String,
    dtype: String,
    shape: Vec<usize>,
    data_offsets: (u64, u64),
}

impl TensorInfo {
    /// The tensor's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The dtype as spelled in the file (`F32`, `I64`, ...).
    pub fn dtype_name(&self) -> &str {
        &self.dtype
    }

    /// The dtype, if it is one this crate reads (F16, BF16, F32, F64).
    pub fn dtype(&self) -> Option<Dtype> {
        known_dtype(&self.dtype)
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// `[begin, end)` byte range within the data section.
    pub fn data_offsets(&self) -> (u64, u64) {
        self.data_offsets
    }
}

fn known_dtype(name: &str) -> Option<Dtype> {
    Dtype::ALL
        .into_iter()
        .find(|d| d.safetensors_name() == name)
}

/// The validated header of a `.safetensors` file, with its tensors indexed by name (a
/// lookup costs O(1), so reading every tensor of a header of n tensors costs O(n)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafetensorsHeader {
    tensors: Vec<TensorInfo>,
    by_name: HashMap<String, usize>,
    metadata: BTreeMap<String, String>,
    data_start: u64,
}

impl SafetensorsHeader {
    /// The tensors in file (offset) order.
    pub fn tensors(&self) -> &[TensorInfo] {
        &self.tensors
    }

    /// The `__metadata__` map (empty when absent).
    pub fn metadata(&self) -> &BTreeMap<String, String> {
        &self.metadata
    }

    /// The tensor of this name, if present.
    pub fn tensor(&self, name: &str) -> Option<&TensorInfo> {
        self.by_name.get(name).map(|&i| &self.tensors[i])
    }

    /// The tensor names in file order.
    pub fn names(&self) -> Vec<String> {
        self.tensors.iter().map(|t| t.name.clone()).collect()
    }

    /// Byte offset of the data section from the start of the file.
    pub fn data_start(&self) -> u64 {
        self.data_start
    }

    /// The tensor `name` names, or the only tensor when `name` is `None`.
    ///
    /// # Errors
    ///
    /// [`FormatError::TensorNotFound`] or [`FormatError::TensorNameRequired`],
    /// both listing the available names.
    pub fn select(&self, name: Option<&str>) -> Result<&TensorInfo, FormatError> {
        match name {
            Some(n) => self.tensor(n).ok_or_else(|| FormatError::TensorNotFound {
                name: n.to_owned(),
                available: self.names(),
            }),
            None => match self.tensors.as_slice() {
                [only] => Ok(only),
                _ => Err(FormatError::TensorNameRequired {
                    available: self.names(),
                }),
            },
        }
    }
}

/// The top-level JSON object as an ordered list of entries, so that duplicate
/// keys are seen (a map would keep only the last).
struct Entries(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = Entries;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        d.deserialize_map(EntriesVisitor)
    }
}

/// Reads a JSON array of non-negative integers that fit in `u64`.
fn u64_array(v: &Value) -> Option<Vec<u64>> {
    v.as_array()?.iter().map(Value::as_u64).collect()
}

fn parse_tensor_info(name: String, v: &Value) -> Result<TensorInfo, FormatError> {
    let field_err = |what: &str| malformed(format!("tensor '{name}': {what}"));
    let Some(obj) = v.as_object() else {
        return Err(field_err("its entry is not a JSON object"));
    };
    let Some(dtype) = obj.get("dtype").and_then(Value::as_str) else {
        return Err(field_err("'dtype' is missing or not a string"));
    };
    let Some(shape) = obj.get("shape").and_then(u64_array) else {
        return Err(field_err(
            "'shape' is missing or not an array of non-negative integers",
        ));
    };
    let shape: Vec<usize> = match shape.iter().map(|&d| usize::try_from(d)).collect() {
        Ok(s) => s,
        Err(_) => return Err(FormatError::ShapeOverflow { shape }),
    };
    let offsets = obj.get("data_offsets").and_then(u64_array);
    let Some(&[begin, end]) = offsets.as_deref() else {
        return Err(field_err(
            "'data_offsets' is missing or not two non-negative integers",
        ));
    };
    Ok(TensorInfo {
        dtype: dtype.to_owned(),
        shape,
        data_offsets: (begin, end),
        name,
    })
}

/// Reads and validates the header of a `.safetensors` source.
///
/// # Errors
///
/// [`FormatError::Truncated`], [`FormatError::HeaderTooLarge`],
/// [`FormatError::HeaderLengthOutOfRange`], [`FormatError::MalformedHeader`]
/// (not UTF-8, not JSON, not an object, duplicate keys, bad fields),
/// [`FormatError::ShapeOverflow`], [`FormatError::BadOffsets`],
/// [`FormatError::DataLengthMismatch`], [`FormatError::ReadFailed`].
pub fn read_header<R: Read + Seek>(r: &mut R) -> Result<SafetensorsHeader, FormatError> {
    let read_err = |source| FormatError::ReadFailed { source };
    let file_len = r.seek(SeekFrom::End(0)).map_err(read_err)?;
    r.seek(SeekFrom::Start(0)).map_err(read_err)?;
    if file_len < 8 {
        return Err(FormatError::Truncated {
            what: "safetensors header length",
            needed: 8,
            available: file_len,
        });
    }
    let mut len_bytes = [0u8; 8];
    r.read_exact(&mut len_bytes).map_err(read_err)?;
    let header_len = u64::from_le_bytes(len_bytes);
    if header_len > file_len - 8 {
        return Err(FormatError::HeaderLengthOutOfRange {
            header_len,
            file_len,
        });
    }
    if header_len > MAX_HEADER_BYTES {
        return Err(FormatError::HeaderTooLarge {
            len: header_len,
            max: MAX_HEADER_BYTES,
        });
    }
    // header_len ≤ MAX_HEADER_BYTES, so this fits in memory and in usize.
    let mut header = vec![0u8; usize::try_from(header_len).unwrap_or(0)];
    r.read_exact(&mut header).map_err(read_err)?;
    let text = std::str::from_utf8(&header)
        .map_err(|e| malformed(format!("the header is not UTF-8 ({e})")))?;
    let Entries(entries) = serde_json::from_str(text)
        .map_err(|e| malformed(format!("the header is not a JSON object ({e})")))?;

    let mut metadata = None;
    let mut tensors: Vec<TensorInfo> = Vec::with_capacity(entries.len());
    let mut names = HashSet::with_capacity(entries.len());
    for (key, value) in entries {
        if key == METADATA_KEY {
            let Some(obj) = value.as_object() else {
                return Err(malformed("'__metadata__' is not a JSON object"));
            };
            let mut map = BTreeMap::new();
            for (k, v) in obj {
                let Some(s) = v.as_str() else {
                    return Err(malformed(format!(
                        "'__metadata__' value of '{k}' is not a string"
                    )));
                };
                map.insert(k.clone(), s.to_owned());
            }
            if metadata.replace(map).is_some() {
                return Err(malformed("duplicate key '__metadata__'"));
            }
        } else {
            if !names.insert(key.clone()) {
                return Err(malformed(format!("duplicate tensor name '{key}'")));
            }
            tensors.push(parse_tensor_info(key, &value)?);
        }
    }

    let data_start = 8 + header_len;
    let data_len = file_len - data_start;
    check_offsets(&mut tensors, data_len)?;
    let by_name = tensors
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.clone(), i))
        .collect();
    Ok(SafetensorsHeader {
        tensors,
        by_name,
        metadata: metadata.unwrap_or_default(),
        data_start,
    })
}

/// Sorts `tensors` by offset and checks that they tile `[0, data_len)`
/// exactly and that each known dtype's byte length matches its shape.
fn check_offsets(tensors: &mut [TensorInfo], data_len: u64) -> Result<(), FormatError> {
    let bad = |t: &TensorInfo, reason: String| FormatError::BadOffsets {
        tensor: t.name.clone(),
        reason,
    };
    for t in tensors.iter() {
        let (begin, end) = t.data_offsets;
        if begin > end {
            return Err(bad(t, format!("begin {begin} is after end {end}")));
        }
        if end > data_len {
            return Err(bad(
                t,
                format!("end {end} is past the end of the {data_len}-byte data section"),
            ));
        }
        if let Some(dtype) = t.dtype() {
            let expected = super::data_bytes(&t.shape, dtype)?;
            if end - begin != expected {
                return Err(bad(
                    t,
                    format!(
                        "they span {} bytes but shape {:?} of {} needs {expected}",
                        end - begin,
                        t.shape,
                        t.dtype
                    ),
                ));
            }
        }
    }
    tensors.sort_by_key(|t| t.data_offsets);
    let mut covered = 0u64;
    let mut previous: Option<&TensorInfo> = None;
    for t in tensors.iter() {
        let (begin, end) = t.data_offsets;
        if begin < covered {
            let other = previous.map_or("", |p| p.name.as_str());
            return Err(bad(
                t,
                format!("bytes {begin}..{end} overlap tensor '{other}'"),
            ));
        }
        if begin > covered {
            return Err(bad(
                t,
                format!("bytes {covered}..{begin} before it belong to no tensor"),
            ));
        }
        covered = end;
        previous = Some(t);
    }
    if covered != data_len {
        return Err(FormatError::DataLengthMismatch {
            expected: covered,
            actual: data_len,
        });
    }
    Ok(())
}

/// Reads one tensor from a `.safetensors` source: by name, or the only one
/// when `name` is `None`.
///
/// # Errors
///
/// As [`read_header`] and [`SafetensorsHeader::select`], and
/// [`FormatError::UnsupportedDtype`] naming the stored dtype (e.g. `I64`),
/// [`FormatError::TooLargeForMemory`].
pub fn read<R: Read + Seek>(r: &mut R, name: Option<&str>) -> Result<TensorData, FormatError> {
    let header = read_header(r)?;
    let info = header.select(name)?;
    read_tensor_data(r, &header, info)
}

/// Reads the tensor `info` of `header` from `r`, in its stored width.
fn read_tensor_data<R: Read + Seek>(
    r: &mut R,
    header: &SafetensorsHeader,
    info: &TensorInfo,
) -> Result<TensorData, FormatError> {
    let Some(dtype) = info.dtype() else {
        return Err(FormatError::UnsupportedDtype {
            dtype: info.dtype.clone(),
        });
    };
    let count = super::element_count(&info.shape)?;
    r.seek(SeekFrom::Start(header.data_start + info.data_offsets.0))
        .map_err(|source| FormatError::ReadFailed { source })?;
    let values = super::read_values(r, count, dtype, false)?;
    Ok(TensorData::new(info.shape.clone(), values))
}

/// A `.safetensors` file opened once: its header read and validated when opened, then its
/// tensors read one at a time (each costs its own bytes, never the whole file's).
#[derive(Debug)]
pub struct SafetensorsFile {
    path: PathBuf,
    file: File,
    header: SafetensorsHeader,
}

impl SafetensorsFile {
    /// Opens `path` and validates its header.
    ///
    /// # Errors
    ///
    /// As [`read_header`], with I/O errors as [`FormatError::Io`] naming the path.
    pub fn open(path: &Path) -> Result<Self, FormatError> {
        let mut file = super::open_file(path)?;
        let header = read_header(&mut file).map_err(|e| super::name_path(e, path))?;
        Ok(SafetensorsFile {
            path: path.to_path_buf(),
            file,
            header,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The validated header.
    pub fn header(&self) -> &SafetensorsHeader {
        &self.header
    }

    /// Reads the tensor `name`. Reads are positional, so several threads may read tensors
    /// of one file at once.
    ///
    /// # Errors
    ///
    /// [`FormatError::TensorNotFound`], [`FormatError::UnsupportedDtype`],
    /// [`FormatError::TooLargeForMemory`], or an I/O error naming the path.
    pub fn read(&self, name: &str) -> Result<TensorData, FormatError> {
        let info = self.header.select(Some(name))?;
        let Some(dtype) = info.dtype() else {
            return Err(FormatError::UnsupportedDtype {
                dtype: info.dtype.clone(),
            });
        };
        let count = super::element_count(&info.shape)?;
        let mut reader = PositionalReader {
            file: &self.file,
            offset: self.header.data_start + info.data_offsets.0,
        };
        let values = super::read_values(&mut reader, count, dtype, false)
            .map_err(|e| super::name_path(e, &self.path))?;
        Ok(TensorData::new(info.shape.clone(), values))
    }

    /// The stored bytes of the tensor `name`, whatever its dtype (integer tensors included).
    ///
    /// # Errors
    ///
    /// [`FormatError::TensorNotFound`], [`FormatError::TooLargeForMemory`], or an I/O error
    /// naming the path.
    pub fn read_bytes(&self, name: &str) -> Result<Vec<u8>, FormatError> {
        let info = self.header.select(Some(name))?;
        let (begin, end) = info.data_offsets;
        let len = end - begin;
        let mut bytes = Vec::new();
        usize::try_from(len)
            .ok()
            .and_then(|n| bytes.try_reserve_exact(n).ok())
            .ok_or(FormatError::TooLargeForMemory { bytes: len })?;
        bytes.resize(bytes.capacity(), 0);
        let mut reader = PositionalReader {
            file: &self.file,
            offset: self.header.data_start + begin,
        };
        reader
            .read_exact(&mut bytes)
            .map_err(|source| super::name_path(FormatError::ReadFailed { source }, &self.path))?;
        Ok(bytes)
    }
}

/// Reads a file from a position without moving a shared cursor (`pread`), so that threads
/// can read one file at once.
struct PositionalReader<'a> {
    file: &'a File,
    offset: u64,
}

impl Read for PositionalReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        #[cfg(unix)]
        let n = std::os::unix::fs::FileExt::read_at(self.file, buf, self.offset)?;
        #[cfg(windows)]
        let n = std::os::windows::fs::FileExt::seek_read(self.file, buf, self.offset)?;
        #[cfg(not(any(unix, windows)))]
        let n = {
            let mut f = self.file;
            f.seek(SeekFrom::Start(self.offset))?;
            f.read(buf)?
        };
        self.offset += n as u64;
        Ok(n)
    }
}

/// Reads one tensor from a `.safetensors` file; see [`read`].
///
/// # Errors
///
/// As [`read`], with I/O errors as [`FormatError::Io`] naming the path.
pub fn read_file(path: &Path, name: Option<&str>) -> Result<TensorData, FormatError> {
    let mut file = super::open_file(path)?;
    read(&mut file, name).map_err(|e| super::name_path(e, path))
}

/// Reads the header of a `.safetensors` file: tensor list and metadata.
///
/// # Errors
///
/// As [`read_header`], with I/O errors as [`FormatError::Io`] naming the path.
pub fn read_file_header(path: &Path) -> Result<SafetensorsHeader, FormatError> {
    let mut file = super::open_file(path)?;
    read_header(&mut file).map_err(|e| super::name_path(e, path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TensorWriter;
    use crate::XorShift;
    use ::safetensors as reference;
    use half::{bf16, f16};
    use std::io::Cursor;

    fn meta(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|&(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    fn file_bytes(
        name: &str,
        shape: &[usize],
        dtype: Dtype,
        m: &BTreeMap<String, String>,
        data: &[u8],
    ) -> Vec<u8> {
        let mut v = header_bytes(name, shape, dtype, m).unwrap();
        v.extend_from_slice(data);
        v
    }

    /// Builds a file by hand from header JSON and data (padded like the reference).
    fn raw(json: &str, data: &[u8]) -> Vec<u8> {
        let mut h = json.as_bytes().to_vec();
        h.resize(h.len().next_multiple_of(8), b' ');
        let mut v = (h.len() as u64).to_le_bytes().to_vec();
        v.extend_from_slice(&h);
        v.extend_from_slice(data);
        v
    }

    fn read_bytes(bytes: &[u8], name: Option<&str>) -> Result<TensorData, FormatError> {
        read(&mut Cursor::new(bytes), name)
    }

    fn ref_dtype(d: Dtype) -> reference::Dtype {
        match d {
            Dtype::F16 => reference::Dtype::F16,
            Dtype::BF16 => reference::Dtype::BF16,
            Dtype::F32 => reference::Dtype::F32,
            Dtype::F64 => reference::Dtype::F64,
        }
    }

    /// Little-endian bytes of `vals` (exact in every dtype) in `dtype`.
    fn encode(vals: &[f64], dtype: Dtype) -> Vec<u8> {
        vals.iter()
            .flat_map(|&v| match dtype {
                Dtype::F16 => f16::from_f64(v).to_le_bytes().to_vec(),
                Dtype::BF16 => bf16::from_f64(v).to_le_bytes().to_vec(),
                Dtype::F32 => (v as f32).to_le_bytes().to_vec(),
                Dtype::F64 => v.to_le_bytes().to_vec(),
            })
            .collect()
    }

    #[test]
    fn header_matches_hand_computed_bytes() {
        let h = header_bytes("w", &[2, 3], Dtype::F32, &BTreeMap::new()).unwrap();
        let json = r#"{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}"#;
        assert_eq!(json.len(), 57);
        let mut expected = 64u64.to_le_bytes().to_vec();
        expected.extend_from_slice(json.as_bytes());
        expected.extend_from_slice(b"       ");
        assert_eq!(h, expected);

        let m = meta(&[
            ("seed", "42"),
            ("law", "normal(mean=0, std=0.5)"),
            ("q", "\"\n"),
        ]);
        let h = header_bytes("a\"b", &[], Dtype::BF16, &m).unwrap();
        let json = concat!(
            r#"{"__metadata__":{"law":"normal(mean=0, std=0.5)","q":"\"\n","seed":"42"},"#,
            r#""a\"b":{"dtype":"BF16","shape":[],"data_offsets":[0,2]}}"#
        );
        assert_eq!(&h[8..8 + json.len()], json.as_bytes());
        assert_eq!((h.len() - 8) % 8, 0);
        assert_eq!(
            u64::from_le_bytes(h[..8].try_into().unwrap()) as usize,
            h.len() - 8
        );
        assert!(h[8 + json.len()..].iter().all(|&b| b == b' '));
    }

    #[test]
    fn identical_to_reference_serializer() {
        let shapes: [&[usize]; 6] = [&[], &[5], &[2, 3], &[2, 1, 3, 2], &[0], &[3, 0, 2]];
        for dtype in Dtype::ALL {
            for shape in shapes {
                for m in [meta(&[]), meta(&[("scheme", "xavier_uniform")])] {
                    let n: usize = shape.iter().product();
                    let vals: Vec<f64> = (0..n).map(|i| i as f64 * 0.25 - 1.0).collect();
                    let data = encode(&vals, dtype);
                    let ours = file_bytes("weight", shape, dtype, &m, &data);
                    let view =
                        reference::tensor::TensorView::new(ref_dtype(dtype), shape.to_vec(), &data)
                            .unwrap();
                    let info = (!m.is_empty()).then(|| m.clone().into_iter().collect());
                    let theirs = reference::serialize([("weight", view)], info).unwrap();
                    assert_eq!(ours, theirs, "{dtype} {shape:?}");
                }
            }
        }
    }

    #[test]
    fn writer_output_parsed_by_reference() {
        let dir = tempfile::tempdir().unwrap();
        let m = meta(&[
            ("scheme", "kaiming_normal"),
            ("law", "normal(mean=0, std=0.0625)"),
            ("seed", "7"),
        ]);
        let shapes: [&[usize]; 5] = [&[], &[5], &[2, 3], &[2, 1, 3, 2], &[4, 0]];
        for dtype in Dtype::ALL {
            for shape in shapes {
                let n: usize = shape.iter().product();
                let vals: Vec<f64> = (0..n).map(|i| i as f64 * 0.5 - 2.0).collect();
                let path = dir.path().join("t.safetensors");
                let mut w =
                    TensorWriter::create(&path, shape, dtype, "layer.0.weight", &m).unwrap();
                // Push through the typed helper, one element at a time.
                for &v in &vals {
                    match dtype {
                        Dtype::F16 => w.write_f16(&[f16::from_f64(v)]),
                        Dtype::BF16 => w.write_bf16(&[bf16::from_f64(v)]),
                        Dtype::F32 => w.write_f32(&[v as f32]),
                        Dtype::F64 => w.write_f64(&[v]),
                    }
                    .unwrap();
                }
                w.finish().unwrap();
                let bytes = std::fs::read(&path).unwrap();

                let st = reference::SafeTensors::deserialize(&bytes).unwrap();
                let view = st.tensor("layer.0.weight").unwrap();
                assert_eq!(view.dtype(), ref_dtype(dtype));
                assert_eq!(view.shape(), shape);
                assert_eq!(view.data(), &encode(&vals, dtype)[..]);
                let (_, md) = reference::SafeTensors::read_metadata(&bytes).unwrap();
                let got: BTreeMap<String, String> =
                    md.metadata().clone().unwrap().into_iter().collect();
                assert_eq!(got, m);

                let t = read_file(&path, None).unwrap();
                assert_eq!(
                    (t.shape(), t.dtype(), t.to_f64()),
                    (shape, dtype, vals.to_vec())
                );
                let h = read_file_header(&path).unwrap();
                assert_eq!(h.metadata(), &m);
                assert_eq!(h.names(), ["layer.0.weight"]);
            }
        }
    }

    #[test]
    fn reads_reference_multi_tensor_files() {
        let a: Vec<u8> = encode(&[1.0, 2.0, 3.0], Dtype::F64);
        let b: Vec<u8> = encode(&[-1.0, 0.5], Dtype::BF16);
        let c: Vec<u8> = [1u8, 0, 0, 0, 0, 0, 0, 0].to_vec();
        let views = [
            (
                "a",
                reference::tensor::TensorView::new(reference::Dtype::F64, vec![3], &a).unwrap(),
            ),
            (
                "b",
                reference::tensor::TensorView::new(reference::Dtype::BF16, vec![1, 2], &b).unwrap(),
            ),
            (
                "c",
                reference::tensor::TensorView::new(reference::Dtype::I64, vec![1], &c).unwrap(),
            ),
        ];
        let bytes = reference::serialize(views, None).unwrap();
        let h = read_header(&mut Cursor::new(&bytes)).unwrap();
        // The reference sorts by dtype alignment, then name: I64 and F64 tie.
        assert_eq!(h.names(), ["c", "a", "b"], "file (offset) order");
        assert_eq!(h.tensor("c").unwrap().dtype_name(), "I64");
        assert_eq!(h.tensor("c").unwrap().dtype(), None);
        assert_eq!(
            read_bytes(&bytes, Some("a")).unwrap().to_f64(),
            [1.0, 2.0, 3.0]
        );
        let t = read_bytes(&bytes, Some("b")).unwrap();
        assert_eq!(
            (t.shape(), t.dtype(), t.to_f64()),
            (&[1, 2][..], Dtype::BF16, vec![-1.0, 0.5])
        );

        let e = read_bytes(&bytes, Some("c")).unwrap_err();
        assert!(matches!(e, FormatError::UnsupportedDtype { .. }));
        assert!(e.to_string().contains("'I64'"), "{e}");
        let e = read_bytes(&bytes, Some("d")).unwrap_err();
        assert!(matches!(e, FormatError::TensorNotFound { .. }));
        assert!(e.to_string().contains("available: c, a, b"), "{e}");
        let e = read_bytes(&bytes, None).unwrap_err();
        assert!(matches!(e, FormatError::TensorNameRequired { .. }));
        assert!(e.to_string().contains("3 tensors"), "{e}");
    }

    #[test]
    fn bad_names_are_refused() {
        for name in ["", "__metadata__"] {
            let e = header_bytes(name, &[1], Dtype::F32, &BTreeMap::new()).unwrap_err();
            assert!(matches!(e, FormatError::InvalidTensorName { .. }), "{name}");
        }
    }

    #[test]
    fn malformed_headers_are_errors() {
        let d8 = [0u8; 8];
        let cases: [(&str, &[u8], &str); 18] = [
            ("", &[], "not a JSON object"),
            ("[]", &[], "not a JSON object"),
            ("{", &[], "not a JSON object"),
            (r#"{"w":1}"#, &[], "not a JSON object"),
            (
                r#"{"w":{"shape":[2],"data_offsets":[0,8]}}"#,
                &d8,
                "'dtype'",
            ),
            (
                r#"{"w":{"dtype":"F32","data_offsets":[0,8]}}"#,
                &d8,
                "'shape'",
            ),
            (
                r#"{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#,
                &d8,
                "'shape'",
            ),
            (
                r#"{"w":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}"#,
                &d8,
                "'shape'",
            ),
            (
                r#"{"w":{"dtype":"F32","shape":[2]}}"#,
                &d8,
                "'data_offsets'",
            ),
            (
                r#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}}"#,
                &d8,
                "'data_offsets'",
            ),
            (
                r#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8,8]}}"#,
                &d8,
                "'data_offsets'",
            ),
            (
                r#"{"w":{"dtype":"F32","shape":[2],"data_offsets":"0,8"}}"#,
                &d8,
                "'data_offsets'",
            ),
            (
                r#"{"w":{"dtype":7,"shape":[2],"data_offsets":[0,8]}}"#,
                &d8,
                "'dtype'",
            ),
            (
                r#"{"__metadata__":[],"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
                &d8,
                "__metadata__",
            ),
            (r#"{"__metadata__":{"a":1}}"#, &[], "'a' is not a string"),
            (
                r#"{"__metadata__":{},"__metadata__":{}}"#,
                &[],
                "duplicate key",
            ),
            (
                r#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#,
                &d8,
                "duplicate tensor name",
            ),
            ("{} x", &[], "not a JSON object"),
        ];
        for (json, data, needle) in cases {
            let e = read_bytes(&raw(json, data), Some("w")).unwrap_err();
            let msg = e.to_string();
            assert!(
                matches!(e, FormatError::MalformedHeader { .. }),
                "{json}: {msg}"
            );
            assert!(msg.contains(needle), "{json}: {msg}");
            assert!(!msg.contains('\n'), "{msg}");
        }
        // Not UTF-8.
        let mut v = raw(
            r#"{"w":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}"#,
            &[0; 4],
        );
        v[10] = 0xff;
        let e = read_bytes(&v, None).unwrap_err();
        assert!(e.to_string().contains("UTF-8"), "{e}");
    }

    #[test]
    fn offset_errors() {
        let t = |name: &str, dtype: &str, shape: &str, b: u64, e: u64| {
            format!(r#""{name}":{{"dtype":"{dtype}","shape":{shape},"data_offsets":[{b},{e}]}}"#)
        };
        let cases: [(String, usize, &str); 7] = [
            (
                format!("{{{}}}", t("w", "F32", "[2]", 8, 0)),
                8,
                "after end",
            ),
            (
                format!("{{{}}}", t("w", "F32", "[2]", 0, 16)),
                8,
                "past the end",
            ),
            (format!("{{{}}}", t("w", "F32", "[3]", 0, 8)), 8, "needs 12"),
            (
                format!(
                    "{{{},{}}}",
                    t("a", "F32", "[2]", 0, 8),
                    t("b", "F32", "[2]", 4, 12)
                ),
                12,
                "overlap tensor 'a'",
            ),
            (
                format!(
                    "{{{},{}}}",
                    t("a", "U8", "[8]", 0, 8),
                    t("b", "I8", "[8]", 0, 8)
                ),
                8,
                "overlap",
            ),
            (
                format!(
                    "{{{},{}}}",
                    t("a", "F32", "[1]", 0, 4),
                    t("b", "F32", "[1]", 8, 12)
                ),
                12,
                "belong to no tensor",
            ),
            (
                format!("{{{}}}", t("w", "F64", "[4294967296,4294967296]", 0, 8)),
                8,
                "overflows",
            ),
        ];
        for (json, len, needle) in cases {
            let e = read_bytes(&raw(&json, &vec![0; len]), None).unwrap_err();
            assert!(e.to_string().contains(needle), "{json}: {e}");
        }
        // Data left over after the last tensor, and data missing.
        let json = format!("{{{}}}", t("w", "F32", "[2]", 0, 8));
        let e = read_bytes(&raw(&json, &[0; 12]), None).unwrap_err();
        assert!(
            matches!(
                e,
                FormatError::DataLengthMismatch {
                    expected: 8,
                    actual: 12
                }
            ),
            "{e}"
        );
        let e = read_bytes(&raw(&json, &[0; 4]), None).unwrap_err();
        assert!(matches!(e, FormatError::BadOffsets { .. }), "{e}");
    }

    #[test]
    fn structural_errors() {
        assert!(matches!(
            read_bytes(b"", None),
            Err(FormatError::Truncated { .. })
        ));
        assert!(matches!(
            read_bytes(b"\x08\0\0\0", None),
            Err(FormatError::Truncated { .. })
        ));
        let mut v = (200u64).to_le_bytes().to_vec();
        v.extend_from_slice(b"{}      ");
        assert!(matches!(
            read_bytes(&v, None),
            Err(FormatError::HeaderLengthOutOfRange {
                header_len: 200,
                file_len: 16
            })
        ));
        let v = u64::MAX.to_le_bytes();
        assert!(matches!(
            read_bytes(&v, None),
            Err(FormatError::HeaderLengthOutOfRange { .. })
        ));
        // A header over the 100 MB limit is refused before it is read.
        let mut v = (MAX_HEADER_BYTES + 1).to_le_bytes().to_vec();
        v.resize(8 + MAX_HEADER_BYTES as usize + 1, b' ');
        assert!(matches!(
            read_bytes(&v, None),
            Err(FormatError::HeaderTooLarge { .. })
        ));
        // An empty file (no tensors) is valid but has nothing to read.
        let v = raw("{}", &[]);
        assert!(
            read_header(&mut Cursor::new(&v))
                .unwrap()
                .tensors()
                .is_empty()
        );
        let e = read_bytes(&v, None).unwrap_err();
        assert!(e.to_string().contains("(none)"), "{e}");
    }

    #[test]
    fn missing_file_is_named() {
        let e = read_file(Path::new("/nonexistent-dir/w.safetensors"), None).unwrap_err();
        assert!(
            e.to_string().contains("/nonexistent-dir/w.safetensors"),
            "{e}"
        );
    }

    #[test]
    fn corruption_corpus_never_panics() {
        let m = meta(&[("seed", "1")]);
        let good = file_bytes("w", &[2, 3], Dtype::F32, &m, &encode(&[0.5; 6], Dtype::F32));
        assert!(read_bytes(&good, None).is_ok());
        for len in 0..good.len() {
            assert!(
                read_bytes(&good[..len], None).is_err(),
                "truncated to {len} read fine"
            );
            assert!(read_bytes(&good[..len], Some("w")).is_err());
        }
        let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
        let mut errors = 0;
        for _ in 0..20_000 {
            let mut v = good.clone();
            for _ in 0..1 + rng.next() % 3 {
                let at = (rng.next() % v.len() as u64) as usize;
                v[at] ^= 1 << (rng.next() % 8);
            }
            match read_bytes(&v, None) {
                Ok(t) => assert_eq!(t.len(), t.shape().iter().product::<usize>()),
                Err(e) => {
                    errors += 1;
                    assert!(!e.to_string().contains('\n'));
                }
            }
        }
        assert!(errors > 1000, "only {errors} flips were caught");
        for _ in 0..2_000 {
            let mut v = rng.next().to_le_bytes().to_vec();
            v[1..].fill(0);
            v.extend((0..rng.next() % 300).map(|_| rng.next() as u8));
            let _ = read_bytes(&v, None);
        }
    }
}

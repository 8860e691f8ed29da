//! NumPy `.npy` files: the header writer and the reader.
//!
//! # Layout
//!
//! ```text
//! \x93NUMPY  major minor  header_len  header                          data
//! 6 bytes    1     1      u16 LE (1.0) or u32 LE (2.0, 3.0)  ...      C or Fortran order
//! ```
//!
//! The header is a Python dict literal, e.g.
//! `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`, padded with
//! spaces and ended by `\n` so that the data starts at a multiple of 64 bytes.
//! Version 3.0 only changes the header's encoding from Latin-1 to UTF-8.
//!
//! The writer reproduces `numpy.save` byte for byte (NumPy ≥ 1.24 adds
//! `21 − len(str(shape[0]))` spaces after the dict so that the first axis can
//! grow in place; so do we). The reader accepts any header NumPy can write for
//! the float dtypes `<f2 <f4 <f8 >f2 >f4 >f8`, in either order, and returns the
//! values in C order.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::{Dtype, FormatError, TensorData, Values};

/// The six magic bytes at the start of every `.npy` file.
pub const MAGIC: &[u8; 6] = b"\x93NUMPY";

/// The data of a `.npy` file starts at a multiple of this (`numpy.lib.format.ARRAY_ALIGN`).
const ARRAY_ALIGN: usize = 64;

/// Room NumPy leaves for the first axis to grow (`GROWTH_AXIS_MAX_DIGITS`).
const GROWTH_AXIS_MAX_DIGITS: usize = 21;

/// Deepest nesting of tuples and lists the header parser accepts.
const MAX_NESTING: usize = 32;

/// The format name used in error messages.
const FORMAT: &str = ".npy";

/// Longest `.npy` header this reader parses: 1 MiB. A header is a short Python dict; even a
/// rank-32 shape of 20-digit dimensions needs under 1 KiB, and NumPy's own `np.load` refuses
/// headers over 10 000 bytes by default (`max_header_size`). The cap bounds the parser's
/// memory, which peaks at about 13× the header's length.
pub const MAX_HEADER_BYTES: u64 = 1 << 20;

/// The `descr` string for `dtype` in little-endian order, or an error for bf16.
fn descr(dtype: Dtype) -> Result<&'static str, FormatError> {
    match dtype {
        Dtype::F16 => Ok("<f2"),
        Dtype::F32 => Ok("<f4"),
        Dtype::F64 => Ok("<f8"),
        Dtype::BF16 => Err(FormatError::DtypeNotSupportedByFormat {
            dtype,
            format: FORMAT,
        }),
    }
}

/// A shape as Python writes a tuple: `()`, `(5,)`, `(3, 4)`.
fn shape_repr(shape: &[usize]) -> String {
    match shape {
        [] => "()".to_owned(),
        [d] => format!("({d},)"),
        _ => {
            let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
            format!("({})", dims.join(", "))
        }
    }
}

/// The complete `.npy` prefix (magic, version, length, header) for a C-order,
/// little-endian array of `shape` and `dtype`; the data follows it directly.
///
/// Version 1.0 unless the header is longer than 65535 bytes, then 2.0.
///
/// # Errors
///
/// [`FormatError::DtypeNotSupportedByFormat`] for [`Dtype::BF16`];
/// [`FormatError::HeaderTooLarge`] past the 4 GiB limit of version 2.0.
pub fn header_bytes(shape: &[usize], dtype: Dtype) -> Result<Vec<u8>, FormatError> {
    let mut dict = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
        descr(dtype)?,
        shape_repr(shape)
    );
    if let Some(first) = shape.first() {
        let digits = first.to_string().len();
        dict.extend(std::iter::repeat_n(
            ' ',
            GROWTH_AXIS_MAX_DIGITS.saturating_sub(digits),
        ));
    }
    // The dict, then spaces, then a newline, so that the data is aligned.
    let hlen = dict.len() + 1;
    let padded = |prefix: usize| hlen + ARRAY_ALIGN - (prefix + hlen) % ARRAY_ALIGN;
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    let total = padded(MAGIC.len() + 2 + 2);
    if let Ok(len) = u16::try_from(total) {
        out.extend_from_slice(&[1, 0]);
        out.extend_from_slice(&len.to_le_bytes());
    } else {
        let total_v2 = padded(MAGIC.len() + 2 + 4);
        let len = u32::try_from(total_v2).map_err(|_| FormatError::HeaderTooLarge {
            len: total_v2 as u64,
            max: u64::from(u32::MAX),
        })?;
        out.extend_from_slice(&[2, 0]);
        out.extend_from_slice(&len.to_le_bytes());
    }
    let data_offset = out.len() + padded(out.len());
    out.extend_from_slice(dict.as_bytes());
    out.resize(data_offset - 1, b' ');
    out.push(b'\n');
    Ok(out)
}

/// What the header of a `.npy` file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpyHeader {
    version: (u8, u8),
    dtype: Dtype,
    big_endian: bool,
    fortran_order: bool,
    shape: Vec<usize>,
    data_offset: u64,
}

impl NpyHeader {
    /// The format version, `(1, 0)`, `(2, 0)` or `(3, 0)`.
    pub fn version(&self) -> (u8, u8) {
        self.version
    }

    /// The element type.
    pub fn dtype(&self) -> Dtype {
        self.dtype
    }

    /// Whether the elements are stored big-endian (`>` in `descr`).
    pub fn big_endian(&self) -> bool {
        self.big_endian
    }

    /// Whether the data is stored in Fortran (column-major) order.
    pub fn fortran_order(&self) -> bool {
        self.fortran_order
    }

    /// The logical shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Byte offset of the data from the start of the file.
    pub fn data_offset(&self) -> u64 {
        self.data_offset
    }
}

/// Reads and validates the header of a `.npy` source, including that the
/// data after it has exactly the length the shape and dtype announce. Leaves
/// the source positioned at the start of the data.
///
/// # Errors
///
/// [`FormatError::BadMagic`], [`FormatError::Truncated`],
/// [`FormatError::UnsupportedVersion`], [`FormatError::HeaderLengthOutOfRange`],
/// [`FormatError::MalformedHeader`], [`FormatError::UnsupportedDtype`],
/// [`FormatError::ShapeOverflow`], [`FormatError::DataLengthMismatch`],
/// [`FormatError::ReadFailed`].
pub fn read_header<R: Read + Seek>(r: &mut R) -> Result<NpyHeader, FormatError> {
    let read_err = |source| FormatError::ReadFailed { source };
    let file_len = r.seek(SeekFrom::End(0)).map_err(read_err)?;
    r.seek(SeekFrom::Start(0)).map_err(read_err)?;

    let mut prefix = [0u8; 12];
    let have = usize::try_from(file_len.min(12)).unwrap_or(12);
    r.read_exact(&mut prefix[..have]).map_err(read_err)?;
    let magic_have = have.min(MAGIC.len());
    if prefix[..magic_have] != MAGIC[..magic_have] {
        return Err(FormatError::BadMagic { format: FORMAT });
    }
    let truncated = |what, needed: usize| FormatError::Truncated {
        what,
        needed: needed as u64,
        available: file_len,
    };
    if have < 8 {
        return Err(truncated("npy magic and version", 8));
    }
    let version = (prefix[6], prefix[7]);
    let len_size = match version {
        (1, 0) => 2,
        (2, 0) | (3, 0) => 4,
        (major, minor) => return Err(FormatError::UnsupportedVersion { major, minor }),
    };
    let prefix_len = 8 + len_size;
    if have < prefix_len {
        return Err(truncated("npy header length field", prefix_len));
    }
    let header_len = if len_size == 2 {
        u64::from(u16::from_le_bytes([prefix[8], prefix[9]]))
    } else {
        u64::from(u32::from_le_bytes([
            prefix[8], prefix[9], prefix[10], prefix[11],
        ]))
    };
    let data_offset = prefix_len as u64 + header_len;
    if data_offset > file_len {
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
    // header_len ≤ MAX_HEADER_BYTES, so parsing it stays within a few tens of MiB.
    let mut header = vec![0u8; usize::try_from(header_len).unwrap_or(usize::MAX)];
    r.seek(SeekFrom::Start(prefix_len as u64))
        .map_err(read_err)?;
    r.read_exact(&mut header).map_err(read_err)?;
    if version.0 == 3 && std::str::from_utf8(&header).is_err() {
        return Err(malformed("a version 3.0 header must be UTF-8"));
    }

    let dict = parse_header_dict(&header)?;
    let (dtype, big_endian) = match dict.descr.as_str() {
        "<f2" => (Dtype::F16, false),
        "<f4" => (Dtype::F32, false),
        "<f8" => (Dtype::F64, false),
        ">f2" => (Dtype::F16, true),
        ">f4" => (Dtype::F32, true),
        ">f8" => (Dtype::F64, true),
        other => {
            return Err(FormatError::UnsupportedDtype {
                dtype: other.to_owned(),
            });
        }
    };
    let shape = dict.shape;
    let expected = super::data_bytes(&shape, dtype)?;
    let actual = file_len - data_offset;
    if expected != actual {
        return Err(FormatError::DataLengthMismatch { expected, actual });
    }
    Ok(NpyHeader {
        version,
        dtype,
        big_endian,
        fortran_order: dict.fortran_order,
        shape,
        data_offset,
    })
}

/// Reads a whole `.npy` source: values in their stored width, in C order.
///
/// # Errors
///
/// As [`read_header`], and [`FormatError::TooLargeForMemory`].
pub fn read<R: Read + Seek>(r: &mut R) -> Result<TensorData, FormatError> {
    let header = read_header(r)?;
    let count = super::element_count(&header.shape)?;
    let values = super::read_values(r, count, header.dtype, header.big_endian)?;
    let values = if header.fortran_order && header.shape.len() > 1 {
        match values {
            Values::F16(v) => Values::F16(fortran_to_c(&v, &header.shape)?),
            Values::BF16(v) => Values::BF16(fortran_to_c(&v, &header.shape)?),
            Values::F32(v) => Values::F32(fortran_to_c(&v, &header.shape)?),
            Values::F64(v) => Values::F64(fortran_to_c(&v, &header.shape)?),
        }
    } else {
        values
    };
    Ok(TensorData::new(header.shape, values))
}

/// Reads a `.npy` file; see [`read`].
///
/// # Errors
///
/// As [`read`], with I/O errors as [`FormatError::Io`] naming the path.
pub fn read_file(path: &Path) -> Result<TensorData, FormatError> {
    let mut file = super::open_file(path)?;
    read(&mut file).map_err(|e| super::name_path(e, path))
}

/// Reads only the header of a `.npy` file: dtype, order and shape, checked against the
/// file's length.
///
/// # Errors
///
/// As [`read_header`], with I/O errors as [`FormatError::Io`] naming the path.
pub fn read_file_header(path: &Path) -> Result<NpyHeader, FormatError> {
    let mut file = super::open_file(path)?;
    read_header(&mut file).map_err(|e| super::name_path(e, path))
}

/// Reorders column-major `src` of `shape` into row-major order.
fn fortran_to_c<T: Copy>(src: &[T], shape: &[usize]) -> Result<Vec<T>, FormatError> {
    let n = src.len();
    let mut out = Vec::new();
    out.try_reserve_exact(n)
        .map_err(|_| FormatError::TooLargeForMemory {
            bytes: (n as u64).saturating_mul(size_of::<T>() as u64),
        })?;
    if n == 0 {
        return Ok(out);
    }
    // Fortran strides: the first axis is contiguous.
    let mut strides = Vec::with_capacity(shape.len());
    let mut s = 1usize;
    for &d in shape {
        strides.push(s);
        s *= d; // ≤ n, which is the product of all dims.
    }
    let mut index = vec![0usize; shape.len()];
    let mut offset = 0usize;
    for _ in 0..n {
        out.push(src[offset]);
        // Advance the C-order odometer: the last axis fastest.
        for k in (0..shape.len()).rev() {
            index[k] += 1;
            offset += strides[k];
            if index[k] < shape[k] {
                break;
            }
            offset -= strides[k] * shape[k];
            index[k] = 0;
        }
    }
    Ok(out)
}

fn malformed(reason: impl Into<String>) -> FormatError {
    FormatError::MalformedHeader {
        format: FORMAT,
        reason: reason.into(),
    }
}

/// The three keys of a `.npy` header dict.
struct HeaderDict {
    descr: String,
    fortran_order: bool,
    shape: Vec<usize>,
}

/// A value of the Python literal subset found in `.npy` headers.
#[derive(Debug)]
enum PyValue {
    Str(String),
    Bool(bool),
    /// An integer: `negative` and its magnitude, `None` when over `u64::MAX`.
    Int {
        negative: bool,
        magnitude: Option<u64>,
    },
    /// A tuple.
    Tuple(Vec<PyValue>),
    /// A list (structured dtypes use lists of tuples); its items are not kept.
    List,
}

/// Parses the header dict and checks it has exactly the three keys.
fn parse_header_dict(header: &[u8]) -> Result<HeaderDict, FormatError> {
    let mut p = Parser { s: header, pos: 0 };
    p.skip_ws();
    p.expect(b'{')?;
    let mut descr = None;
    let mut fortran_order = None;
    let mut shape = None;
    loop {
        p.skip_ws();
        if p.eat(b'}') {
            break;
        }
        let key = match p.value(0)? {
            PyValue::Str(k) => k,
            _ => return Err(malformed("a dict key is not a string")),
        };
        p.skip_ws();
        p.expect(b':')?;
        p.skip_ws();
        let start = p.pos;
        let value = p.value(0)?;
        let text = String::from_utf8_lossy(&header[start..p.pos]).into_owned();
        let slot_taken = match key.as_str() {
            "descr" => descr.replace((value, text)).is_some(),
            "fortran_order" => fortran_order.replace(value).is_some(),
            "shape" => shape.replace(value).is_some(),
            other => return Err(malformed(format!("unexpected key '{other}'"))),
        };
        if slot_taken {
            return Err(malformed(format!("duplicate key '{key}'")));
        }
        p.skip_ws();
        if p.eat(b',') {
            continue;
        }
        p.skip_ws();
        p.expect(b'}')?;
        break;
    }
    p.skip_ws();
    if p.pos != header.len() {
        return Err(malformed(format!(
            "unexpected character at byte {} after the dict",
            p.pos
        )));
    }

    let descr = match descr {
        Some((PyValue::Str(s), _)) => s,
        // A list (structured dtype) or anything else: name it as written.
        Some((_, text)) => return Err(FormatError::UnsupportedDtype { dtype: text }),
        None => return Err(malformed("missing key 'descr'")),
    };
    let fortran_order = match fortran_order {
        Some(PyValue::Bool(b)) => b,
        Some(_) => return Err(malformed("'fortran_order' is not True or False")),
        None => return Err(malformed("missing key 'fortran_order'")),
    };
    let shape = match shape {
        Some(PyValue::Tuple(items)) => items
            .into_iter()
            .map(|item| match item {
                PyValue::Int {
                    negative: false,
                    magnitude: Some(m),
                } => usize::try_from(m).map_err(|_| {
                    malformed(format!(
                        "shape dim {m} does not fit in this machine's usize"
                    ))
                }),
                PyValue::Int { negative: true, .. } => Err(malformed("shape has a negative dim")),
                PyValue::Int {
                    magnitude: None, ..
                } => Err(malformed("shape has a dim larger than 2^64")),
                _ => Err(malformed("shape has a dim that is not an integer")),
            })
            .collect::<Result<Vec<usize>, _>>()?,
        Some(_) => return Err(malformed("'shape' is not a tuple")),
        None => return Err(malformed("missing key 'shape'")),
    };
    Ok(HeaderDict {
        descr,
        fortran_order,
        shape,
    })
}

/// A cursor over header bytes.
struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), FormatError> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.unexpected(&format!("'{}'", char::from(c))))
        }
    }

    fn unexpected(&self, wanted: &str) -> FormatError {
        match self.peek() {
            None => malformed(format!("the header ends where {wanted} was expected")),
            Some(c) => malformed(format!(
                "byte {} is {:?} where {wanted} was expected",
                self.pos,
                char::from(c)
            )),
        }
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<PyValue, FormatError> {
        if depth > MAX_NESTING {
            return Err(malformed("tuples or lists nested too deeply"));
        }
        match self.peek() {
            Some(q @ (b'\'' | b'"')) => self.string(q),
            Some(b'(') => self.seq(b')', depth),
            Some(b'[') => self.seq(b']', depth),
            Some(b'-' | b'0'..=b'9') => Ok(self.int()),
            Some(b'A'..=b'Z' | b'a'..=b'z') => {
                let start = self.pos;
                while matches!(self.peek(), Some(b'A'..=b'Z' | b'a'..=b'z' | b'_')) {
                    self.pos += 1;
                }
                match &self.s[start..self.pos] {
                    b"True" => Ok(PyValue::Bool(true)),
                    b"False" => Ok(PyValue::Bool(false)),
                    word => Err(malformed(format!(
                        "unknown name '{}'",
                        String::from_utf8_lossy(word)
                    ))),
                }
            }
            _ => Err(self.unexpected("a value")),
        }
    }

    fn string(&mut self, quote: u8) -> Result<PyValue, FormatError> {
        self.pos += 1;
        let mut bytes = Vec::new();
        loop {
            match self.peek() {
                None => return Err(malformed("unterminated string")),
                Some(c) if c == quote => {
                    self.pos += 1;
                    break;
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(c @ (b'\\' | b'\'' | b'"')) => bytes.push(c),
                        _ => return Err(malformed("unsupported escape in a string")),
                    }
                    self.pos += 1;
                }
                Some(b'\n') => return Err(malformed("unterminated string")),
                Some(c) => {
                    bytes.push(c);
                    self.pos += 1;
                }
            }
        }
        // Latin-1 (versions 1.0 and 2.0) maps each byte to the same code point.
        let s = match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => e.into_bytes().into_iter().map(char::from).collect(),
        };
        Ok(PyValue::Str(s))
    }

    fn int(&mut self) -> PyValue {
        let negative = self.eat(b'-');
        let mut magnitude = Some(0u64);
        while let Some(c @ b'0'..=b'9') = self.peek() {
            magnitude = magnitude
                .and_then(|m| m.checked_mul(10))
                .and_then(|m| m.checked_add(u64::from(c - b'0')));
            self.pos += 1;
        }
        // Python 2 wrote long integers with an `L` suffix.
        self.eat(b'L');
        PyValue::Int {
            negative,
            magnitude,
        }
    }

    /// A tuple or list; `(x)` without a comma is just `x`, as in Python.
    fn seq(&mut self, close: u8, depth: usize) -> Result<PyValue, FormatError> {
        self.pos += 1;
        let mut items = Vec::new();
        let mut saw_comma = false;
        loop {
            self.skip_ws();
            if self.eat(close) {
                break;
            }
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            if self.eat(b',') {
                saw_comma = true;
                continue;
            }
            self.skip_ws();
            self.expect(close)?;
            break;
        }
        if close == b')'
            && !saw_comma
            && let [_] = items.as_slice()
            && let Some(v) = items.pop()
        {
            return Ok(v);
        }
        if close == b')' {
            Ok(PyValue::Tuple(items))
        } else {
            Ok(PyValue::List)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::XorShift;
    use std::io::Cursor;

    /// A complete little-endian C-order `.npy` file from our writer's header.
    fn npy_bytes(shape: &[usize], dtype: Dtype, data: &[u8]) -> Vec<u8> {
        let mut v = header_bytes(shape, dtype).unwrap();
        v.extend_from_slice(data);
        v
    }

    fn read_bytes(bytes: &[u8]) -> Result<TensorData, FormatError> {
        read(&mut Cursor::new(bytes))
    }

    /// Builds a file by hand with any version, header text and data.
    fn raw_npy(version: (u8, u8), header: &str, data: &[u8]) -> Vec<u8> {
        let mut v = MAGIC.to_vec();
        v.extend_from_slice(&[version.0, version.1]);
        if version.0 == 1 {
            v.extend_from_slice(&(header.len() as u16).to_le_bytes());
        } else {
            v.extend_from_slice(&(header.len() as u32).to_le_bytes());
        }
        v.extend_from_slice(header.as_bytes());
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn header_matches_hand_computed_bytes() {
        // numpy.save(np.zeros((3, 4), '<f4')): 10-byte prefix, 118-byte header.
        let dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }";
        let growth = 21 - 1;
        let padding = 128 - 10 - dict.len() - growth - 1;
        let mut expected = b"\x93NUMPY\x01\x00".to_vec();
        expected.extend_from_slice(&118u16.to_le_bytes());
        expected.extend_from_slice(dict.as_bytes());
        expected.extend(std::iter::repeat_n(b' ', growth + padding));
        expected.push(b'\n');
        assert_eq!(expected.len(), 128);
        assert_eq!(header_bytes(&[3, 4], Dtype::F32).unwrap(), expected);

        // Rank 0 has no growth padding; rank 1 has a trailing comma.
        let h0 = header_bytes(&[], Dtype::F64).unwrap();
        assert_eq!(h0.len(), 128);
        assert!(h0[10..].starts_with(b"{'descr': '<f8', 'fortran_order': False, 'shape': (), }"));
        let h1 = header_bytes(&[5], Dtype::F16).unwrap();
        assert!(h1[10..].starts_with(b"{'descr': '<f2', 'fortran_order': False, 'shape': (5,), }"));
        for h in [&h0, &h1] {
            assert_eq!(h.len() % ARRAY_ALIGN, 0);
            assert_eq!(h.last(), Some(&b'\n'));
            let len = u16::from_le_bytes([h[8], h[9]]) as usize;
            assert_eq!(len + 10, h.len());
        }
    }

    #[test]
    fn exactly_aligned_header_gets_a_full_block_of_padding() {
        // NumPy pads by 64 − (prefix + hlen) % 64, i.e. 64 when already aligned.
        // Search for a shape whose unpadded header lands exactly on 64.
        let mut found = false;
        for extra in 0..64usize {
            let shape: Vec<usize> = std::iter::once(7)
                .chain(std::iter::repeat_n(1, extra))
                .collect();
            let dict_len = format!(
                "{{'descr': '<f4', 'fortran_order': False, 'shape': {}, }}",
                shape_repr(&shape)
            )
            .len()
                + 20;
            if (10 + dict_len + 1) % 64 == 0 {
                let h = header_bytes(&shape, Dtype::F32).unwrap();
                assert_eq!(h.len(), 10 + dict_len + 1 + 64);
                found = true;
                break;
            }
        }
        assert!(found, "no shape hit the aligned case");
    }

    #[test]
    fn version_2_when_header_is_long() {
        let shape = vec![1usize; 25_000];
        let h = header_bytes(&shape, Dtype::F32).unwrap();
        assert_eq!(&h[6..8], &[2, 0]);
        let len = u32::from_le_bytes([h[8], h[9], h[10], h[11]]) as usize;
        assert!(len > usize::from(u16::MAX));
        assert_eq!(len + 12, h.len());
        assert_eq!(h.len() % ARRAY_ALIGN, 0);
        let file = npy_bytes(&shape, Dtype::F32, &2.5f32.to_le_bytes());
        let t = read_bytes(&file).unwrap();
        assert_eq!(t.shape(), &shape[..]);
        assert_eq!(t.to_f64(), [2.5]);
        let hdr = read_header(&mut Cursor::new(&file)).unwrap();
        assert_eq!(hdr.version(), (2, 0));
    }

    #[test]
    fn bf16_is_refused() {
        let e = header_bytes(&[2], Dtype::BF16).unwrap_err();
        assert!(matches!(e, FormatError::DtypeNotSupportedByFormat { .. }));
        assert!(e.to_string().contains(".safetensors"), "{e}");
    }

    #[test]
    fn round_trip_every_dtype_and_rank() {
        let shapes: [&[usize]; 6] = [&[], &[5], &[2, 3], &[2, 1, 3, 2], &[0], &[3, 0, 2]];
        for dtype in [Dtype::F16, Dtype::F32, Dtype::F64] {
            for shape in shapes {
                let n: usize = shape.iter().product();
                // Values exactly representable in f16.
                let vals: Vec<f64> = (0..n).map(|i| i as f64 * 0.25 - 1.0).collect();
                let data: Vec<u8> = match dtype {
                    Dtype::F16 => vals
                        .iter()
                        .flat_map(|&v| half::f16::from_f64(v).to_le_bytes())
                        .collect(),
                    Dtype::F32 => vals
                        .iter()
                        .flat_map(|&v| (v as f32).to_le_bytes())
                        .collect(),
                    Dtype::F64 => vals.iter().flat_map(|&v| v.to_le_bytes()).collect(),
                    Dtype::BF16 => unreachable!(),
                };
                let file = npy_bytes(shape, dtype, &data);
                let t = read_bytes(&file).unwrap();
                assert_eq!(t.shape(), shape, "{dtype} {shape:?}");
                assert_eq!(t.dtype(), dtype);
                assert_eq!(t.to_f64(), &vals[..], "{dtype} {shape:?}");
                assert_eq!(t.is_empty(), n == 0);
            }
        }
    }

    #[test]
    fn big_endian_and_fortran_order_by_hand() {
        // A 2×3 matrix [[1, 2, 3], [4, 5, 6]] stored column-major, big-endian f4.
        let header = "{'descr': '>f4', 'fortran_order': True, 'shape': (2, 3), }\n";
        let data: Vec<u8> = [1f32, 4., 2., 5., 3., 6.]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        let t = read_bytes(&raw_npy((1, 0), header, &data)).unwrap();
        assert_eq!(t.shape(), [2, 3]);
        assert_eq!(t.dtype(), Dtype::F32);
        assert_eq!(t.to_f64(), [1., 2., 3., 4., 5., 6.]);

        // Rank 3, f8 little-endian Fortran: element (i, j, k) = 100i + 10j + k.
        let (a, b, c) = (2, 3, 4);
        let mut data = Vec::new();
        for k in 0..c {
            for j in 0..b {
                for i in 0..a {
                    data.extend_from_slice(&((100 * i + 10 * j + k) as f64).to_le_bytes());
                }
            }
        }
        let header = "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3, 4), }";
        let t = read_bytes(&raw_npy((2, 0), header, &data)).unwrap();
        let want: Vec<f64> = (0..a)
            .flat_map(|i| {
                (0..b).flat_map(move |j| (0..c).map(move |k| (100 * i + 10 * j + k) as f64))
            })
            .collect();
        assert_eq!(t.to_f64(), &want[..]);

        // Big-endian f2, rank 1 in Fortran order (same as C order), version 3.0.
        let header = "{\"descr\": \">f2\", \"fortran_order\": True, \"shape\": (3,)}";
        let data = [0x3c, 0x00, 0xc0, 0x00, 0x7c, 0x00]; // 1, -2, +inf
        let t = read_bytes(&raw_npy((3, 0), header, &data)).unwrap();
        assert_eq!(t.to_f64(), [1.0, -2.0, f64::INFINITY]);
        assert_eq!(t.dtype(), Dtype::F16);

        // Fortran order with a zero dim and rank 0.
        let header = "{'descr': '<f4', 'fortran_order': True, 'shape': (0, 3), }";
        assert!(
            read_bytes(&raw_npy((1, 0), header, &[]))
                .unwrap()
                .is_empty()
        );
        let header = "{'descr': '>f8', 'fortran_order': True, 'shape': (), }";
        let t = read_bytes(&raw_npy((1, 0), header, &0.5f64.to_be_bytes())).unwrap();
        assert_eq!((t.shape(), t.to_f64()), (&[][..], vec![0.5]));
    }

    #[test]
    fn header_dialects_numpy_accepts() {
        // Key order, python-2 long ints, no trailing comma, `(5)` is not a tuple.
        let ok = [
            "{'shape': (2L,), 'fortran_order': False, 'descr': '<f4'}",
            "{ 'descr' : '<f4' , 'fortran_order' : False , 'shape' : ( 2 , ) , }  \n",
        ];
        let data: Vec<u8> = [1f32, 2.].iter().flat_map(|v| v.to_le_bytes()).collect();
        for h in ok {
            let t = read_bytes(&raw_npy((1, 0), h, &data)).unwrap();
            assert_eq!(t.to_f64(), [1., 2.], "{h}");
        }
    }

    #[test]
    fn malformed_headers_are_errors() {
        let data = 1f32.to_le_bytes();
        let cases: [(&str, &str); 20] = [
            ("", "ends"),
            ("[]", "'{'"),
            (
                "{'descr': '<f4', 'fortran_order': False}",
                "missing key 'shape'",
            ),
            (
                "{'descr': '<f4', 'shape': (1,)}",
                "missing key 'fortran_order'",
            ),
            (
                "{'fortran_order': False, 'shape': (1,)}",
                "missing key 'descr'",
            ),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}",
                "unexpected key 'x'",
            ),
            (
                "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}",
                "duplicate key",
            ),
            (
                "{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}",
                "True or False",
            ),
            (
                "{'descr': '<f4', 'fortran_order': false, 'shape': (1,)}",
                "unknown name 'false'",
            ),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (1)}",
                "not a tuple",
            ),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': [1]}",
                "not a tuple",
            ),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}",
                "negative",
            ),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,)}",
                "2^64",
            ),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': ('1',)}",
                "not an integer",
            ),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x",
                "after the dict",
            ),
            ("{'descr': '<f4, 'fortran_order': False, 'shape': (1,)}", ""),
            ("{'descr': '<f4' 'fortran_order': False, 'shape': (1,)}", ""),
            ("{1: '<f4'}", "key is not a string"),
            (
                "{'descr': '\\x3cf4', 'fortran_order': False, 'shape': (1,)}",
                "escape",
            ),
            (
                "{'descr': ((((((((((((((((((((((((((((((((((((((1,),),),),),),),),),),),),),),),),),),),),),),),),),),),),),),),),),),),),),)}",
                "nested",
            ),
        ];
        for (h, needle) in cases {
            let e = read_bytes(&raw_npy((1, 0), h, &data)).unwrap_err();
            let msg = e.to_string();
            assert!(
                matches!(e, FormatError::MalformedHeader { .. }),
                "{h}: wrong error {msg}"
            );
            assert!(msg.contains(needle), "{h}: {msg}");
            assert!(!msg.contains('\n'));
        }
    }

    #[test]
    fn unsupported_dtypes_are_named() {
        for descr in ["<i4", "|u1", "<c16", "=f4", "|f4", "<f16", "<V2", "<M8[ns]"] {
            let h = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': (1,), }}");
            let e = read_bytes(&raw_npy((1, 0), &h, &[0; 4])).unwrap_err();
            assert!(
                matches!(e, FormatError::UnsupportedDtype { .. }),
                "{descr}: {e}"
            );
            assert!(e.to_string().contains(descr), "{e}");
        }
        let h = "{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (1,), }";
        let e = read_bytes(&raw_npy((1, 0), h, &[0; 8])).unwrap_err();
        assert!(
            e.to_string().contains("[('a', '<f4'), ('b', '<i4')]"),
            "{e}"
        );
    }

    #[test]
    fn structural_errors() {
        let good = npy_bytes(&[2], Dtype::F32, &[0; 8]);
        let mut v = good.clone();
        v[0] = b'N';
        assert!(matches!(read_bytes(&v), Err(FormatError::BadMagic { .. })));
        assert!(matches!(
            read_bytes(b"PK\x03\x04"),
            Err(FormatError::BadMagic { .. })
        ));
        assert!(matches!(
            read_bytes(b""),
            Err(FormatError::Truncated { .. })
        ));
        assert!(matches!(
            read_bytes(b"\x93NUM"),
            Err(FormatError::Truncated { .. })
        ));
        let mut v = good.clone();
        v[6] = 4;
        let e = read_bytes(&v).unwrap_err();
        assert!(e.to_string().contains("4.0"), "{e}");
        let mut v = good.clone();
        v[8] = 0xff;
        v[9] = 0xff;
        assert!(matches!(
            read_bytes(&v),
            Err(FormatError::HeaderLengthOutOfRange { .. })
        ));
        // Data one byte short and one byte long.
        let e = read_bytes(&good[..good.len() - 1]).unwrap_err();
        assert!(
            matches!(
                e,
                FormatError::DataLengthMismatch {
                    expected: 8,
                    actual: 7
                }
            ),
            "{e}"
        );
        let mut v = good.clone();
        v.push(0);
        assert!(matches!(
            read_bytes(&v),
            Err(FormatError::DataLengthMismatch { .. })
        ));
        // Overflowing element count.
        let h = "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 2), }";
        let e = read_bytes(&raw_npy((1, 0), h, &[])).unwrap_err();
        assert!(matches!(e, FormatError::ShapeOverflow { .. }), "{e}");
        // Version 3.0 with a header that is not UTF-8.
        let mut v = raw_npy(
            (3, 0),
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}",
            &[0; 4],
        );
        v[12] = 0xff;
        let e = read_bytes(&v).unwrap_err();
        assert!(e.to_string().contains("UTF-8"), "{e}");
    }

    fn check_consistent(result: &Result<TensorData, FormatError>) {
        match result {
            Ok(t) => assert_eq!(t.len(), t.shape().iter().product::<usize>()),
            Err(e) => assert!(!e.to_string().contains('\n')),
        }
    }

    #[test]
    fn corruption_corpus_never_panics() {
        let data: Vec<u8> = (0..6).flat_map(|i| (i as f32).to_le_bytes()).collect();
        let goods = [
            npy_bytes(&[2, 3], Dtype::F32, &data),
            raw_npy(
                (1, 0),
                "{'descr': '>f2', 'fortran_order': True, 'shape': (3, 2), }",
                &data[..12],
            ),
        ];
        for good in &goods {
            assert!(read_bytes(good).is_ok());
            // Every truncation is an error.
            for len in 0..good.len() {
                assert!(
                    read_bytes(&good[..len]).is_err(),
                    "truncated to {len} read fine"
                );
            }
            // Flips: an error, or a tensor whose length matches its shape.
            let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
            let mut errors = 0;
            for _ in 0..20_000 {
                let mut v = good.clone();
                for _ in 0..1 + rng.next() % 3 {
                    let at = (rng.next() % v.len() as u64) as usize;
                    v[at] ^= 1 << (rng.next() % 8);
                }
                let r = read_bytes(&v);
                errors += usize::from(r.is_err());
                check_consistent(&r);
            }
            assert!(errors > 1000, "only {errors} flips were caught");
            // Random garbage after a valid magic.
            for _ in 0..2_000 {
                let mut v = MAGIC.to_vec();
                v.extend((0..rng.next() % 200).map(|_| rng.next() as u8));
                check_consistent(&read_bytes(&v));
            }
        }
    }

    #[test]
    fn missing_file_is_named() {
        let e = read_file(Path::new("/nonexistent-dir/w.npy")).unwrap_err();
        assert!(e.to_string().contains("/nonexistent-dir/w.npy"), "{e}");
    }

    // Files written by NumPy 2.4 (tests/fixtures/make_npy_fixtures.py).
    const FIX_F4_C: &[u8] = include_bytes!("../tests/fixtures/npy/f4_c_2x3.npy");
    const FIX_F8_SCALAR: &[u8] = include_bytes!("../tests/fixtures/npy/f8_scalar.npy");
    const FIX_F2_RANK1: &[u8] = include_bytes!("../tests/fixtures/npy/f2_rank1.npy");
    const FIX_F4_EMPTY: &[u8] = include_bytes!("../tests/fixtures/npy/f4_empty_0x3.npy");
    const FIX_F2_BE_F: &[u8] = include_bytes!("../tests/fixtures/npy/f2_be_fortran_2x3x4.npy");
    const FIX_F8_BE_F: &[u8] = include_bytes!("../tests/fixtures/npy/f8_be_fortran_3x4.npy");
    const FIX_F4_F: &[u8] = include_bytes!("../tests/fixtures/npy/f4_fortran_3x4.npy");
    const FIX_F4_V2: &[u8] = include_bytes!("../tests/fixtures/npy/f4_v2_2x2.npy");
    const FIX_F4_V3: &[u8] = include_bytes!("../tests/fixtures/npy/f4_v3_2x2.npy");
    const FIX_I4: &[u8] = include_bytes!("../tests/fixtures/npy/i4_2.npy");

    /// The values the fixture script writes: `arange(n) * 0.5 - 3`, C order.
    fn fixture_values(n: usize) -> Vec<f64> {
        (0..n).map(|i| i as f64 * 0.5 - 3.0).collect()
    }

    #[test]
    fn writer_matches_numpy_byte_for_byte() {
        let cases: [(&[u8], &[usize], Dtype); 4] = [
            (FIX_F4_C, &[2, 3], Dtype::F32),
            (FIX_F8_SCALAR, &[], Dtype::F64),
            (FIX_F2_RANK1, &[5], Dtype::F16),
            (FIX_F4_EMPTY, &[0, 3], Dtype::F32),
        ];
        for (fixture, shape, dtype) in cases {
            let n: usize = shape.iter().product();
            let data: Vec<u8> = fixture_values(n)
                .iter()
                .flat_map(|&v| match dtype {
                    Dtype::F16 => half::f16::from_f64(v).to_le_bytes().to_vec(),
                    Dtype::F32 => (v as f32).to_le_bytes().to_vec(),
                    _ => v.to_le_bytes().to_vec(),
                })
                .collect();
            assert_eq!(npy_bytes(shape, dtype, &data), fixture, "{shape:?} {dtype}");
        }
    }

    /// A fixture and its expected shape, dtype, version, big-endianness, Fortran order.
    type FixtureCase = (&'static [u8], &'static [usize], Dtype, (u8, u8), bool, bool);

    #[test]
    fn reads_numpy_fixtures_exactly() {
        let cases: [FixtureCase; 9] = [
            (FIX_F4_C, &[2, 3], Dtype::F32, (1, 0), false, false),
            (FIX_F8_SCALAR, &[], Dtype::F64, (1, 0), false, false),
            (FIX_F2_RANK1, &[5], Dtype::F16, (1, 0), false, false),
            (FIX_F4_EMPTY, &[0, 3], Dtype::F32, (1, 0), false, false),
            (FIX_F2_BE_F, &[2, 3, 4], Dtype::F16, (1, 0), true, true),
            (FIX_F8_BE_F, &[3, 4], Dtype::F64, (1, 0), true, true),
            (FIX_F4_F, &[3, 4], Dtype::F32, (1, 0), false, true),
            (FIX_F4_V2, &[2, 2], Dtype::F32, (2, 0), false, false),
            (FIX_F4_V3, &[2, 2], Dtype::F32, (3, 0), false, false),
        ];
        for (bytes, shape, dtype, version, be, fortran) in cases {
            let h = read_header(&mut Cursor::new(bytes)).unwrap();
            assert_eq!(
                (
                    h.shape(),
                    h.dtype(),
                    h.version(),
                    h.big_endian(),
                    h.fortran_order()
                ),
                (shape, dtype, version, be, fortran),
                "{shape:?}"
            );
            let t = read_bytes(bytes).unwrap();
            assert_eq!(t.shape(), shape);
            assert_eq!(
                t.to_f64(),
                &fixture_values(t.len())[..],
                "{shape:?} {dtype}"
            );
        }
        let e = read_bytes(FIX_I4).unwrap_err();
        assert!(e.to_string().contains("'<i4'"), "{e}");
    }
}

//! The one error type of the tensor file formats.
//!
//! Every variant is named after the rule that was broken, and its `Display`
//! is a single line that says what is wrong and, where it helps, what to do.
//! Parse errors do not repeat the file name (the reader works on any
//! `Read + Seek` source); I/O errors do, since they come from the file system.

use std::fmt;
use std::io;
use std::path::PathBuf;

use super::Dtype;

/// Most tensor names listed in one error message before the list is cut short.
const MAX_NAMES_SHOWN: usize = 20;

/// What went wrong while writing or reading a `.npy` or `.safetensors` file.
#[derive(Debug)]
#[non_exhaustive]
pub enum FormatError {
    /// The path's extension is neither `.npy` nor `.safetensors`.
    UnknownExtension {
        /// The path as given.
        path: PathBuf,
    },
    /// A dtype name other than `f32`, `f64`, `bf16` or `f16` was given.
    UnknownDtype {
        /// The name as given.
        name: String,
    },
    /// The dtype cannot be stored in the chosen format (bf16 in `.npy`).
    DtypeNotSupportedByFormat {
        /// The dtype asked for.
        dtype: Dtype,
        /// The format's file extension, e.g. `.npy`.
        format: &'static str,
    },
    /// A typed write helper was called for a dtype other than the writer's.
    DtypeMismatch {
        /// The dtype the writer was created with.
        expected: Dtype,
        /// The dtype of the slice passed in.
        got: Dtype,
    },
    /// The product of the dims, or that times the element size, or the file
    /// size does not fit in 64 bits (or in `usize` on this machine).
    ShapeOverflow {
        /// The dims, as read or given.
        shape: Vec<u64>,
    },
    /// The tensor name is not allowed (`.safetensors` reserves `__metadata__`,
    /// and an empty name cannot be asked for).
    InvalidTensorName {
        /// The name as given.
        name: String,
    },
    /// Two tensors to be written in one file have the same name.
    DuplicateTensorName {
        /// The repeated name.
        name: String,
    },
    /// The input path (after following symbolic links) is not a regular file: a directory, a
    /// FIFO, a socket or a device, which could block forever or never end.
    NotRegularFile {
        /// The path as given.
        path: PathBuf,
        /// What it is instead.
        kind: &'static str,
    },
    /// The file system has less free space than the file needs.
    NoSpace {
        /// The file to be written.
        path: PathBuf,
        /// Bytes the whole file needs.
        needed: u64,
        /// Bytes free for this process on the file system.
        available: u64,
    },
    /// A header could not be encoded (e.g. longer than the format allows).
    HeaderTooLarge {
        /// The header's length in bytes.
        len: u64,
        /// The largest length the format (or this reader) allows.
        max: u64,
    },
    /// More bytes were pushed into a writer than its shape and dtype announce.
    TooMuchData {
        /// Bytes announced by the shape and dtype.
        expected: u64,
        /// Bytes that would have been written with this chunk.
        got: u64,
    },
    /// `finish` was called before all the announced bytes were written.
    TooLittleData {
        /// Bytes announced by the shape and dtype.
        expected: u64,
        /// Bytes written.
        written: u64,
    },
    /// A file-system operation failed.
    Io {
        /// What was being done, e.g. "cannot create temporary file".
        action: &'static str,
        /// The path concerned.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// The input ended before a part that must be there.
    Truncated {
        /// The part that was cut, e.g. "npy magic".
        what: &'static str,
        /// Bytes needed from the start of the file.
        needed: u64,
        /// Bytes the input has.
        available: u64,
    },
    /// The file does not start with the format's magic bytes.
    BadMagic {
        /// The format's file extension, e.g. `.npy`.
        format: &'static str,
    },
    /// The `.npy` format version is not 1.0, 2.0 or 3.0.
    UnsupportedVersion {
        /// Major version byte.
        major: u8,
        /// Minor version byte.
        minor: u8,
    },
    /// The header length field points past the end of the input.
    HeaderLengthOutOfRange {
        /// The header length read from the file.
        header_len: u64,
        /// The input's total length.
        file_len: u64,
    },
    /// The header is not a valid npy dict or safetensors JSON object.
    MalformedHeader {
        /// The format's file extension, e.g. `.npy`.
        format: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The stored dtype is not one of the floating-point dtypes this crate reads.
    UnsupportedDtype {
        /// The dtype as spelled in the file, e.g. `<i4` or `I64`.
        dtype: String,
    },
    /// The data does not have the length that the shape and dtype announce.
    DataLengthMismatch {
        /// Bytes announced by the header.
        expected: u64,
        /// Bytes present.
        actual: u64,
    },
    /// A `.safetensors` tensor's `data_offsets` are out of range, reversed,
    /// overlapping another tensor, or leave part of the data uncovered.
    BadOffsets {
        /// The tensor concerned.
        tensor: String,
        /// What is wrong.
        reason: String,
    },
    /// No tensor of the asked name is in the file.
    TensorNotFound {
        /// The name asked for.
        name: String,
        /// The names present, in file order.
        available: Vec<String>,
    },
    /// Reading the input failed (a source without a path; the file-level
    /// readers report [`FormatError::Io`] with the path instead).
    ReadFailed {
        /// The operating system's error.
        source: io::Error,
    },
    /// The decoded values would not fit in memory.
    TooLargeForMemory {
        /// Bytes that could not be allocated.
        bytes: u64,
    },
    /// The file holds several tensors and none was named.
    TensorNameRequired {
        /// The names present, in file order.
        available: Vec<String>,
    },
}

/// Bytes in a GiB, for messages.
const GIB: f64 = (1u64 << 30) as f64;

/// `s` with control characters (newlines, tabs, ...) escaped, so that a
/// message stays on one line whatever names or paths it quotes.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Writes `names` as `a, b, c` (or `(none)`), cut short after [`MAX_NAMES_SHOWN`].
fn write_names(f: &mut fmt::Formatter<'_>, names: &[String]) -> fmt::Result {
    if names.is_empty() {
        return f.write_str("(none)");
    }
    for (i, name) in names.iter().take(MAX_NAMES_SHOWN).enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        f.write_str(&one_line(name))?;
    }
    if names.len() > MAX_NAMES_SHOWN {
        write!(f, ", ... and {} more", names.len() - MAX_NAMES_SHOWN)?;
    }
    Ok(())
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownExtension { path } => write!(
                f,
                "cannot tell the tensor format of '{}': use a name ending in .npy or .safetensors",
                one_line(&path.to_string_lossy())
            ),
            Self::UnknownDtype { name } => write!(
                f,
                "unknown dtype '{}': expected one of f32, f64, bf16, f16",
                one_line(name)
            ),
            Self::DtypeNotSupportedByFormat { dtype, format } => write!(
                f,
                "dtype {dtype} cannot be stored in {format} files: use .safetensors or another dtype"
            ),
            Self::DtypeMismatch { expected, got } => write!(
                f,
                "cannot write {got} values into a tensor file of dtype {expected}"
            ),
            Self::ShapeOverflow { shape } => write!(
                f,
                "shape {shape:?} is too large: its element or byte count overflows"
            ),
            Self::InvalidTensorName { name } => write!(
                f,
                "invalid tensor name '{}': it must be non-empty and not '__metadata__'",
                one_line(name)
            ),
            Self::DuplicateTensorName { name } => {
                write!(f, "tensor name '{}' is given twice", one_line(name))
            }
            // The callers name the path ("cannot read PATH: ..."); `path` is for programs.
            Self::NotRegularFile { kind, .. } => {
                write!(f, "it is {kind}, not a regular file")
            }
            Self::NoSpace {
                path,
                needed,
                available,
            } => write!(
                f,
                "'{}' needs {needed} bytes ({:.1} GiB), but its file system has only {available} bytes ({:.1} GiB) free",
                one_line(&path.display().to_string()),
                *needed as f64 / GIB,
                *available as f64 / GIB
            ),
            Self::HeaderTooLarge { len, max } => {
                write!(
                    f,
                    "header of {len} bytes is larger than the limit of {max} bytes"
                )
            }
            Self::TooMuchData { expected, got } => write!(
                f,
                "too much data: the shape and dtype announce {expected} bytes, but {got} were written"
            ),
            Self::TooLittleData { expected, written } => write!(
                f,
                "too little data: the shape and dtype announce {expected} bytes, but only {written} were written"
            ),
            Self::Io {
                action,
                path,
                source,
            } => write!(
                f,
                "{action} '{}': {source}",
                one_line(&path.to_string_lossy())
            ),
            Self::Truncated {
                what,
                needed,
                available,
            } => write!(
                f,
                "file is truncated: the {what} needs {needed} bytes but the file has {available}"
            ),
            Self::BadMagic { format } => {
                write!(
                    f,
                    "not a {format} file: the magic bytes at its start are wrong"
                )
            }
            Self::UnsupportedVersion { major, minor } => write!(
                f,
                "unsupported .npy format version {major}.{minor}: expected 1.0, 2.0 or 3.0"
            ),
            Self::HeaderLengthOutOfRange {
                header_len,
                file_len,
            } => write!(
                f,
                "header length {header_len} reaches past the end of the {file_len}-byte file"
            ),
            Self::MalformedHeader { format, reason } => {
                write!(f, "malformed {format} header: {}", one_line(reason))
            }
            Self::UnsupportedDtype { dtype } => write!(
                f,
                "unsupported dtype '{}': only 16-, 32- and 64-bit floats (f16, bf16, f32, f64) can be read",
                one_line(dtype)
            ),
            Self::DataLengthMismatch { expected, actual } => write!(
                f,
                "data length disagrees with the header: shape and dtype announce {expected} bytes, the file holds {actual}"
            ),
            Self::BadOffsets { tensor, reason } => write!(
                f,
                "bad data_offsets for tensor '{}': {}",
                one_line(tensor),
                one_line(reason)
            ),
            Self::TensorNotFound { name, available } => {
                write!(f, "no tensor named '{}'; available: ", one_line(name))?;
                write_names(f, available)
            }
            Self::ReadFailed { source } => write!(f, "cannot read the input: {source}"),
            Self::TooLargeForMemory { bytes } => write!(
                f,
                "cannot allocate {bytes} bytes for the decoded values: the tensor is too large for memory"
            ),
            Self::TensorNameRequired { available } => {
                write!(
                    f,
                    "the file holds {} tensors: name one with --tensor; available: ",
                    available.len()
                )?;
                write_names(f, available)
            }
        }
    }
}

impl std::error::Error for FormatError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } | Self::ReadFailed { source } => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_is_one_line() {
        let errors = [
            FormatError::UnknownExtension {
                path: "a\nb.txt".into(),
            },
            FormatError::UnknownDtype {
                name: "i\n8".into(),
            },
            FormatError::MalformedHeader {
                format: ".npy",
                reason: "bad\nthing".into(),
            },
            FormatError::TensorNotFound {
                name: "x\n".into(),
                available: vec!["a\nb".into(); 30],
            },
            FormatError::TensorNameRequired { available: vec![] },
            FormatError::Io {
                action: "cannot open",
                path: "/nonexistent/x.npy".into(),
                source: io::Error::from(io::ErrorKind::NotFound),
            },
        ];
        for e in &errors {
            let s = e.to_string();
            assert!(!s.contains('\n'), "multi-line message: {s:?}");
            assert!(!s.is_empty());
        }
    }

    #[test]
    fn long_name_lists_are_cut() {
        let names: Vec<String> = (0..25).map(|i| format!("t{i}")).collect();
        let s = FormatError::TensorNotFound {
            name: "w".into(),
            available: names,
        }
        .to_string();
        assert!(s.contains("t19"), "{s}");
        assert!(!s.contains("t20"), "{s}");
        assert!(s.ends_with("... and 5 more"), "{s}");
    }

    #[test]
    fn io_error_names_path_and_has_source() {
        use std::error::Error as _;
        let e = FormatError::Io {
            action: "cannot create temporary file",
            path: "/no/such/dir/.w.npy.tmp-1".into(),
            source: io::Error::from(io::ErrorKind::NotFound),
        };
        assert!(e.to_string().contains("/no/such/dir/.w.npy.tmp-1"));
        assert!(e.source().is_some());
    }
}

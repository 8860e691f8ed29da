//! Manifests: how a whole model is initialized, one entry per tensor (docs/CLI.md,
//! "Checkpoints").
//!
//! A manifest is TOML or JSON (chosen by the extension) with one schema:
//!
//! ```toml
//! seed = 0                      # defaults for every tensor
//! dtype = "f32"
//! layout = "out-in"
//! [[tensor]]
//! name = "h.0.attn.c_attn.weight"
//! shape = [768, 2304]
//! scheme = "normal(std=0.02)"
//! layout = "in-out"             # optional: overrides the default
//! groups = 1                    # optional
//! dtype = "bf16"                # optional
//! seed = 7                      # optional
//! ```
//!
//! A tensor's `name` is its stream's name, so its bytes depend only on (seed, name, scheme,
//! shape, layout, groups, dtype), never on its position in the manifest. Every entry is
//! validated before anything is done with any of them, and every problem is reported at
//! once, each naming its tensor ([`ManifestError::Invalid`]).

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use initspec::{Layout, Scheme};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::{AtomicFile, Dtype, FormatError};

/// The most tensors a manifest may list: far beyond any model (a 1T-parameter model has a
/// few 10⁴), small enough that the per-tensor bookkeeping stays in megabytes.
pub const MAX_TENSORS: usize = 1 << 20;

/// The largest manifest file read, in bytes (a 10⁶-tensor manifest is about 150 MB).
pub const MAX_MANIFEST_BYTES: u64 = 1 << 30;

/// The keys a manifest may have at its top level.
const TOP_KEYS: [&str; 5] = ["seed", "dtype", "layout", "groups", "tensor"];

/// The keys a `[[tensor]]` entry may have.
const TENSOR_KEYS: [&str; 7] = [
    "name", "shape", "scheme", "layout", "groups", "dtype", "seed",
];

/// One tensor of a manifest, with the defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestTensor {
    /// The tensor's name: its name in the checkpoint and its stream's name.
    pub name: String,
    /// Its shape.
    pub shape: Vec<usize>,
    /// The scheme it is drawn from.
    pub scheme: Scheme,
    /// Where its fans are.
    pub layout: Layout,
    /// Convolution groups.
    pub groups: usize,
    /// The stored dtype.
    pub dtype: Dtype,
    /// The seed of its stream.
    pub seed: u64,
}

impl ManifestTensor {
    /// Bytes of its data in the checkpoint (`element count × dtype size`); the manifest
    /// checked that this does not overflow.
    pub fn data_bytes(&self) -> u64 {
        crate::data_bytes(&self.shape, self.dtype).unwrap_or(u64::MAX)
    }
}

/// A validated manifest: its tensors in the order listed.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// The tensors, in manifest order, every name distinct.
    pub tensors: Vec<ManifestTensor>,
}

/// Why a manifest cannot be used.
#[derive(Debug)]
pub enum ManifestError {
    /// The file cannot be read, or has an unknown extension.
    Io(FormatError),
    /// The file is not valid TOML or JSON.
    Syntax {
        /// The manifest.
        path: PathBuf,
        /// The parser's message, on one line.
        message: String,
    },
    /// The file parses, but entries are wrong: every problem, each naming its tensor.
    Invalid {
        /// The manifest.
        path: PathBuf,
        /// One line per problem, e.g. `tensor "h.0.w" (entry 3): unknown scheme 'heh'`.
        problems: Vec<String>,
    },
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManifestError::Io(e) => write!(f, "{e}"),
            ManifestError::Syntax { path, message } => {
                write!(f, "manifest {} is not valid: {message}", path.display())
            }
            ManifestError::Invalid { path, problems } => {
                let count = if problems.len() == 1 {
                    "1 problem".to_string()
                } else {
                    format!("{} problems", problems.len())
                };
                write!(
                    f,
                    "manifest {} has {count}: {}",
                    path.display(),
                    problems.join("; ")
                )
            }
        }
    }
}

impl std::error::Error for ManifestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ManifestError::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// The manifest formats, by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestFormat {
    /// `.toml`
    Toml,
    /// `.json`
    Json,
}

impl ManifestFormat {
    /// `.toml` or `.json` (ASCII case ignored).
    ///
    /// # Errors
    /// [`FormatError::UnknownExtension`] for anything else.
    pub fn from_path(path: &Path) -> Result<Self, FormatError> {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ext.eq_ignore_ascii_case("toml") {
            Ok(ManifestFormat::Toml)
        } else if ext.eq_ignore_ascii_case("json") {
            Ok(ManifestFormat::Json)
        } else {
            Err(FormatError::UnknownExtension {
                path: path.to_path_buf(),
            })
        }
    }
}

impl Manifest {
    /// Reads and validates the manifest at `path` (TOML or JSON by extension).
    ///
    /// # Errors
    /// [`ManifestError::Io`] (unreadable, not a regular file, larger than
    /// [`MAX_MANIFEST_BYTES`], unknown extension), [`ManifestError::Syntax`], or
    /// [`ManifestError::Invalid`] listing every problem.
    pub fn read(path: &Path) -> Result<Manifest, ManifestError> {
        let format = ManifestFormat::from_path(path).map_err(ManifestError::Io)?;
        let file = crate::open_file(path).map_err(ManifestError::Io)?;
        let mut text = String::new();
        let io = |source| {
            ManifestError::Io(FormatError::Io {
                action: "cannot read",
                path: path.to_path_buf(),
                source,
            })
        };
        let len = file.metadata().map_err(io)?.len();
        if len > MAX_MANIFEST_BYTES {
            return Err(ManifestError::Syntax {
                path: path.to_path_buf(),
                message: format!("it has {len} bytes; the most read is {MAX_MANIFEST_BYTES}"),
            });
        }
        std::io::Read::read_to_string(&mut std::io::BufReader::new(file), &mut text).map_err(
            |e| ManifestError::Syntax {
                path: path.to_path_buf(),
                message: format!("cannot read it as UTF-8 text ({e})"),
            },
        )?;
        Manifest::parse(&text, format, path)
    }

    /// Parses and validates manifest text; `path` only names the manifest in errors.
    ///
    /// # Errors
    /// [`ManifestError::Syntax`] or [`ManifestError::Invalid`].
    pub fn parse(
        text: &str,
        format: ManifestFormat,
        path: &Path,
    ) -> Result<Manifest, ManifestError> {
        let syntax = |message: String| ManifestError::Syntax {
            path: path.to_path_buf(),
            message: message.split_whitespace().collect::<Vec<_>>().join(" "),
        };
        let value: Value = match format {
            ManifestFormat::Json => {
                serde_json::from_str(text).map_err(|e| syntax(e.to_string()))?
            }
            ManifestFormat::Toml => {
                let table: toml::Table = toml::from_str(text).map_err(|e| syntax(e.to_string()))?;
                serde_json::to_value(table).map_err(|e| syntax(e.to_string()))?
            }
        };
        let Value::Object(top) = value else {
            return Err(syntax("the top level is not a table (object)".to_string()));
        };
        let mut problems = Vec::new();
        let tensors = validate(&top, &mut problems);
        if problems.is_empty() {
            Ok(Manifest { tensors })
        } else {
            Err(ManifestError::Invalid {
                path: path.to_path_buf(),
                problems,
            })
        }
    }

    /// Total bytes of tensor data.
    pub fn data_bytes(&self) -> u64 {
        self.tensors
            .iter()
            .fold(0u64, |sum, t| sum.saturating_add(t.data_bytes()))
    }

    /// The manifest as text in `format`: defaults at the top (seed, dtype and layout of the
    /// first tensor), each tensor with only the keys that differ from them.
    pub fn to_text(&self, format: ManifestFormat) -> String {
        let defaults = self
            .tensors
            .first()
            .map(|t| (t.seed, t.dtype, t.layout.clone()));
        let (seed, dtype, layout) = defaults.unwrap_or((0, Dtype::F32, Layout::OutIn));
        let file = ManifestFile {
            seed: seed.into(),
            dtype: dtype.name().to_string(),
            layout: layout.to_string(),
            tensor: self
                .tensors
                .iter()
                .map(|t| ManifestEntry {
                    name: t.name.clone(),
                    shape: t.shape.clone(),
                    scheme: t.scheme.to_string(),
                    layout: (t.layout != layout).then(|| t.layout.to_string()),
                    groups: (t.groups != 1).then_some(t.groups),
                    dtype: (t.dtype != dtype).then(|| t.dtype.name().to_string()),
                    seed: (t.seed != seed).then(|| t.seed.into()),
                })
                .collect(),
        };
        match format {
            ManifestFormat::Json => {
                let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
                text.push('\n');
                text
            }
            ManifestFormat::Toml => toml::to_string(&file).unwrap_or_default(),
        }
    }

    /// Writes the manifest to `path` (TOML or JSON by extension), atomically.
    ///
    /// # Errors
    /// [`FormatError::UnknownExtension`] or an I/O error naming the path.
    pub fn write(&self, path: &Path) -> Result<(), FormatError> {
        let format = ManifestFormat::from_path(path)?;
        let mut file = AtomicFile::create(path)?;
        file.write_all(self.to_text(format).as_bytes())?;
        file.commit()
    }
}

/// The serialized form of a manifest.
#[derive(Serialize)]
struct ManifestFile {
    seed: SeedText,
    dtype: String,
    layout: String,
    tensor: Vec<ManifestEntry>,
}

/// One serialized `[[tensor]]` entry.
#[derive(Serialize)]
struct ManifestEntry {
    name: String,
    shape: Vec<usize>,
    scheme: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    layout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    groups: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dtype: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<SeedText>,
}

/// A seed as written: an integer up to 2⁶³ − 1, above that a string (TOML integers are
/// signed 64-bit; [`seed`] reads both).
#[derive(Serialize)]
#[serde(untagged)]
enum SeedText {
    Integer(i64),
    Text(String),
}

impl From<u64> for SeedText {
    fn from(seed: u64) -> SeedText {
        i64::try_from(seed).map_or_else(|_| SeedText::Text(seed.to_string()), SeedText::Integer)
    }
}

/// The defaults of the top level.
struct Defaults {
    seed: u64,
    dtype: Dtype,
    layout: Layout,
    groups: usize,
}

/// Validates the whole manifest, appending every problem to `problems`.
fn validate(top: &Map<String, Value>, problems: &mut Vec<String>) -> Vec<ManifestTensor> {
    for key in top.keys() {
        if !TOP_KEYS.contains(&key.as_str()) {
            problems.push(format!(
                "unknown top-level key '{key}' (expected {})",
                TOP_KEYS.join(", ")
            ));
        }
    }
    let mut top_problem = |what: &str, e: String| problems.push(format!("top-level {what}: {e}"));
    let defaults = Defaults {
        seed: top.get("seed").map_or(Ok(0), seed).unwrap_or_else(|e| {
            top_problem("seed", e);
            0
        }),
        dtype: top
            .get("dtype")
            .map_or(Ok(Dtype::F32), dtype)
            .unwrap_or_else(|e| {
                top_problem("dtype", e);
                Dtype::F32
            }),
        layout: top
            .get("layout")
            .map_or(Ok(Layout::OutIn), layout)
            .unwrap_or_else(|e| {
                top_problem("layout", e);
                Layout::OutIn
            }),
        groups: top.get("groups").map_or(Ok(1), groups).unwrap_or_else(|e| {
            top_problem("groups", e);
            1
        }),
    };
    let entries = match top.get("tensor") {
        None => {
            problems.push("no [[tensor]] entries".to_string());
            return Vec::new();
        }
        Some(Value::Array(entries)) => entries,
        Some(_) => {
            problems.push("'tensor' is not an array of tables ([[tensor]])".to_string());
            return Vec::new();
        }
    };
    if entries.is_empty() {
        problems.push("no [[tensor]] entries".to_string());
    }
    if entries.len() > MAX_TENSORS {
        problems.push(format!(
            "{} tensors; a manifest may list at most {MAX_TENSORS}",
            entries.len()
        ));
        return Vec::new();
    }
    let mut first_entry: HashMap<&str, usize> = HashMap::with_capacity(entries.len());
    let mut tensors = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let name = entry.get("name").and_then(Value::as_str);
        let label = match name {
            Some(n) => format!("tensor {n:?} (entry {})", index + 1),
            None => format!("entry {}", index + 1),
        };
        if let Some(n) = name
            && let Some(first) = first_entry.insert(n, index)
        {
            problems.push(format!(
                "{label}: the name is already used by entry {}",
                first + 1
            ));
        }
        match tensor_entry(entry, &defaults) {
            Ok(t) => tensors.push(t),
            Err(errors) => problems.extend(errors.into_iter().map(|e| format!("{label}: {e}"))),
        }
    }
    tensors
}

/// One `[[tensor]]` entry, or every problem it has.
fn tensor_entry(entry: &Value, defaults: &Defaults) -> Result<ManifestTensor, Vec<String>> {
    let Value::Object(map) = entry else {
        return Err(vec!["the entry is not a table".to_string()]);
    };
    let mut errors = Vec::new();
    for key in map.keys() {
        if !TENSOR_KEYS.contains(&key.as_str()) {
            errors.push(format!(
                "unknown key '{key}' (expected {})",
                TENSOR_KEYS.join(", ")
            ));
        }
    }
    let mut required = |key: &str| {
        let v = map.get(key);
        if v.is_none() {
            errors.push(format!("missing '{key}'"));
        }
        v
    };
    let name = required("name");
    let shape_value = required("shape");
    let scheme_value = required("scheme");
    let name = name.and_then(|v| field(&mut errors, "name", tensor_name(v)));
    let shape = shape_value.and_then(|v| field(&mut errors, "shape", shape(v)));
    let scheme = scheme_value.and_then(|v| field(&mut errors, "scheme", scheme(v)));
    let layout = match map.get("layout") {
        Some(v) => field(&mut errors, "layout", layout(v)),
        None => Some(defaults.layout.clone()),
    };
    let groups = match map.get("groups") {
        Some(v) => field(&mut errors, "groups", groups(v)),
        None => Some(defaults.groups),
    };
    let dtype = match map.get("dtype") {
        Some(v) => field(&mut errors, "dtype", dtype(v)),
        None => Some(defaults.dtype),
    };
    let seed = match map.get("seed") {
        Some(v) => field(&mut errors, "seed", seed(v)),
        None => Some(defaults.seed),
    };
    let (
        Some(name),
        Some(shape),
        Some(scheme),
        Some(layout),
        Some(groups),
        Some(dtype),
        Some(seed),
    ) = (name, shape, scheme, layout, groups, dtype, seed)
    else {
        return Err(errors);
    };
    if let Err(e) = applies(&scheme, &shape, &layout, groups) {
        errors.push(e);
    }
    if let Err(e) = crate::data_bytes(&shape, dtype) {
        errors.push(e.to_string());
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ManifestTensor {
        name,
        shape,
        scheme,
        layout,
        groups,
        dtype,
        seed,
    })
}

/// The value of a field, or `None` with its error recorded as `key: error`.
fn field<T>(errors: &mut Vec<String>, key: &str, result: Result<T, String>) -> Option<T> {
    result.map_err(|e| errors.push(format!("{key}: {e}"))).ok()
}

/// Checks that `scheme` applies to the shape, layout and groups: it resolves to a law, or the
/// tensor is empty and only its rank and layout need to fit.
fn applies(scheme: &Scheme, shape: &[usize], layout: &Layout, groups: usize) -> Result<(), String> {
    let empty = initspec::element_count(shape).map_err(|e| e.to_string())? == 0;
    let result = if !empty || scheme.is_structured() {
        scheme.resolve(shape, layout, groups).map(drop)
    } else if scheme.needs_fans() {
        initspec::Fans::of_shape(shape, layout, groups).map(drop)
    } else {
        Ok(())
    };
    match result {
        Err(initspec::Error::ZeroFan { .. }) if empty => Ok(()),
        other => other.map_err(|e| {
            format!("{scheme} does not apply to shape {shape:?} in layout {layout}: {e}")
        }),
    }
}

fn tensor_name(v: &Value) -> Result<String, String> {
    match v.as_str() {
        Some("") => Err("empty".to_string()),
        Some("__metadata__") => Err("'__metadata__' is reserved by .safetensors".to_string()),
        Some(n) => Ok(n.to_string()),
        None => Err(format!("{v} is not a string")),
    }
}

fn shape(v: &Value) -> Result<Vec<usize>, String> {
    let dims = v
        .as_array()
        .ok_or_else(|| format!("{v} is not an array of dimensions"))?;
    let shape = dims
        .iter()
        .map(|d| {
            d.as_u64()
                .and_then(|d| usize::try_from(d).ok())
                .ok_or_else(|| format!("dimension {d} is not a non-negative integer"))
        })
        .collect::<Result<Vec<usize>, String>>()?;
    initspec::element_count(&shape).map_err(|e| e.to_string())?;
    Ok(shape)
}

fn scheme(v: &Value) -> Result<Scheme, String> {
    v.as_str()
        .ok_or_else(|| format!("{v} is not a string"))?
        .parse::<Scheme>()
        .map_err(|e| e.to_string())
}

fn layout(v: &Value) -> Result<Layout, String> {
    v.as_str()
        .ok_or_else(|| format!("{v} is not a string"))?
        .parse::<Layout>()
        .map_err(|e| e.to_string())
}

fn dtype(v: &Value) -> Result<Dtype, String> {
    v.as_str()
        .ok_or_else(|| format!("{v} is not a string"))?
        .parse::<Dtype>()
        .map_err(|e| e.to_string())
}

fn groups(v: &Value) -> Result<usize, String> {
    v.as_u64()
        .and_then(|g| usize::try_from(g).ok())
        .filter(|&g| g >= 1)
        .ok_or_else(|| format!("{v} is not a positive integer"))
}

/// A seed: a non-negative integer, or a string of decimal digits for seeds above 2⁶³ − 1
/// (TOML integers are signed 64-bit).
fn seed(v: &Value) -> Result<u64, String> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse::<u64>().ok(),
        _ => None,
    }
    .ok_or_else(|| format!("{v} is not an integer from 0 to 2^64 - 1"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_toml(text: &str) -> Result<Manifest, ManifestError> {
        Manifest::parse(text, ManifestFormat::Toml, Path::new("m.toml"))
    }

    const GOOD: &str = r#"
seed = 5
dtype = "f32"
layout = "out-in"
[[tensor]]
name = "h.0.attn.c_attn.weight"
shape = [768, 2304]
scheme = "normal(std=0.02)"
layout = "in-out"
[[tensor]]
name = "conv"
shape = [64, 8, 3, 3]
scheme = "kaiming_uniform(a=2.23606797749979)"
groups = 4
dtype = "bf16"
seed = "18446744073709551615"
[[tensor]]
name = "ln.bias"
shape = [768]
scheme = "zeros"
"#;

    #[test]
    fn defaults_apply_and_overrides_win() {
        let m = parse_toml(GOOD).unwrap();
        assert_eq!(m.tensors.len(), 3);
        let [a, conv, bias] = &m.tensors[..] else {
            unreachable!()
        };
        assert_eq!(
            (a.layout.clone(), a.dtype, a.seed, a.groups),
            (Layout::InOut, Dtype::F32, 5, 1)
        );
        assert_eq!(
            (conv.groups, conv.dtype, conv.seed),
            (4, Dtype::BF16, u64::MAX)
        );
        assert_eq!(bias.shape, [768]);
        assert_eq!(m.data_bytes(), 768 * 2304 * 4 + 64 * 8 * 9 * 2 + 768 * 4);
    }

    #[test]
    fn json_and_toml_round_trip_through_to_text() {
        let m = parse_toml(GOOD).unwrap();
        let json = m.to_text(ManifestFormat::Json);
        let again = Manifest::parse(&json, ManifestFormat::Json, Path::new("m.json")).unwrap();
        assert_eq!(again, m);
        let toml = m.to_text(ManifestFormat::Toml);
        assert_eq!(parse_toml(&toml).unwrap(), m, "{toml}");
        assert!(toml.contains("layout = \"in-out\""), "{toml}");
    }

    #[test]
    fn every_problem_is_listed_with_its_tensor() {
        let text = r#"
dtyp = "f32"
[[tensor]]
name = "a"
shape = [2, 3]
scheme = "heh"
[[tensor]]
name = "a"
shape = [4, 4]
scheme = "zeros"
[[tensor]]
name = "big"
shape = [4294967296, 4294967296, 4294967296]
scheme = "zeros"
[[tensor]]
name = "no_scheme"
shape = [1]
[[tensor]]
name = "vec"
shape = [5]
scheme = "xavier_uniform"
dtype = "f8"
seed = -1
colour = "red"
"#;
        let e = parse_toml(text).unwrap_err();
        let ManifestError::Invalid { problems, .. } = &e else {
            panic!("{e}")
        };
        let line = e.to_string();
        assert!(!line.contains('\n'), "{line}");
        let expect = [
            "unknown top-level key 'dtyp'",
            "tensor \"a\" (entry 1): scheme:",
            "tensor \"a\" (entry 2): the name is already used by entry 1",
            "tensor \"big\" (entry 3): shape:",
            "tensor \"no_scheme\" (entry 4): missing 'scheme'",
            "tensor \"vec\" (entry 5): unknown key 'colour'",
            "tensor \"vec\" (entry 5): dtype:",
            "tensor \"vec\" (entry 5): seed:",
        ];
        for want in expect {
            assert!(
                problems.iter().any(|p| p.starts_with(want)),
                "{want} in {problems:#?}"
            );
        }
        assert_eq!(problems.len(), expect.len(), "{problems:#?}");
    }

    #[test]
    fn schemes_must_apply_to_their_shapes() {
        let text = "[[tensor]]\nname = \"v\"\nshape = [5]\nscheme = \"xavier_uniform\"\n[[tensor]]\nname = \"e\"\nshape = [0, 3]\nscheme = \"xavier_uniform\"\n";
        let e = parse_toml(text).unwrap_err().to_string();
        assert!(
            e.contains("tensor \"v\" (entry 1): xavier_uniform does not apply to shape [5]"),
            "{e}"
        );
        assert!(e.contains("1 problem"), "an empty tensor is fine: {e}");
    }

    #[test]
    fn syntax_errors_and_empty_manifests() {
        for (text, format, want) in [
            ("[[tensor]\n", ManifestFormat::Toml, "is not valid"),
            ("{\"tensor\": [}", ManifestFormat::Json, "is not valid"),
            ("[1, 2]", ManifestFormat::Json, "not a table"),
            ("seed = 1\n", ManifestFormat::Toml, "no [[tensor]] entries"),
            (
                "{\"tensor\": []}",
                ManifestFormat::Json,
                "no [[tensor]] entries",
            ),
            (
                "tensor = 3\n",
                ManifestFormat::Toml,
                "not an array of tables",
            ),
        ] {
            let e = Manifest::parse(text, format, Path::new("m"))
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{text}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn read_refuses_other_extensions_and_missing_files() {
        let e = Manifest::read(Path::new("m.yaml")).unwrap_err();
        assert!(
            matches!(e, ManifestError::Io(FormatError::UnknownExtension { .. })),
            "{e}"
        );
        let e = Manifest::read(Path::new("/nonexistent/m.toml")).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/m.toml"), "{e}");
    }
}

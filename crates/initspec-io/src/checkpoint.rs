//! [`Checkpoint`]: a whole model's tensors, in one `.safetensors` file or in a Hugging Face
//! sharded directory, opened once and read one tensor at a time.
//!
//! A checkpoint path is
//! - a `.safetensors` file;
//! - a directory holding `model.safetensors.index.json` and the files it names (the sharded
//!   layout of [`crate::shards`]);
//! - a directory holding exactly one `model.safetensors` and no index (what `transformers`
//!   writes when the model fits in one file).
//!
//! Opening checks the layout as a whole before any tensor is read: every file the index
//! names exists and is a plain file name inside the directory, every tensor of every file is
//! where the index says, no tensor is in two files, and no tensor of the index is missing.
//! Each file's header is parsed once.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::safetensors::{SafetensorsFile, TensorInfo};
use crate::shards::{INDEX_FILE, ShardIndex};
use crate::{FormatError, TensorData};

/// Why a checkpoint cannot be opened: one line naming the file or tensor.
#[derive(Debug)]
pub enum CheckpointError {
    /// A file cannot be read or parsed.
    Format(FormatError),
    /// The directory's files disagree with each other or with the index.
    Layout {
        /// The checkpoint path.
        path: PathBuf,
        /// What is wrong, naming the tensor and files.
        reason: String,
    },
}

impl std::fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CheckpointError::Format(e) => write!(f, "{e}"),
            CheckpointError::Layout { path, reason } => {
                write!(f, "checkpoint {} is inconsistent: {reason}", path.display())
            }
        }
    }
}

impl std::error::Error for CheckpointError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CheckpointError::Format(e) => Some(e),
            CheckpointError::Layout { .. } => None,
        }
    }
}

impl From<FormatError> for CheckpointError {
    fn from(e: FormatError) -> Self {
        CheckpointError::Format(e)
    }
}

/// Where one tensor of a checkpoint lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointTensor {
    /// Which file of [`Checkpoint::files`].
    pub file: usize,
    /// Its header entry: name, dtype, shape, offsets.
    pub info: TensorInfo,
}

/// An opened checkpoint.
#[derive(Debug)]
pub struct Checkpoint {
    path: PathBuf,
    files: Vec<SafetensorsFile>,
    tensors: Vec<CheckpointTensor>,
    by_name: HashMap<String, usize>,
}

impl Checkpoint {
    /// Opens the checkpoint at `path` (see the module docs) and checks its layout.
    ///
    /// # Errors
    /// Any file that cannot be read or parsed, a directory with neither an index nor a
    /// `model.safetensors`, an index naming a missing file or a path outside the directory,
    /// a tensor in two files, a tensor the index places elsewhere or does not list, or a
    /// tensor the index lists that its file lacks.
    pub fn open(path: &Path) -> Result<Checkpoint, CheckpointError> {
        let layout = |reason: String| CheckpointError::Layout {
            path: path.to_path_buf(),
            reason,
        };
        if !path.is_dir() {
            let file = SafetensorsFile::open(path)?;
            return Ok(Checkpoint::from_files(path, vec![file]));
        }
        let index_path = path.join(INDEX_FILE);
        if !index_path.exists() {
            let single = path.join("model.safetensors");
            if single.is_file() {
                let file = SafetensorsFile::open(&single)?;
                return Ok(Checkpoint::from_files(path, vec![file]));
            }
            return Err(layout(format!(
                "it is a directory with neither {INDEX_FILE} nor model.safetensors"
            )));
        }
        let index = ShardIndex::read(&index_path)?;
        let mut file_names: Vec<&String> = index.weight_map.values().collect();
        file_names.sort();
        file_names.dedup();
        for name in &file_names {
            let plain = Path::new(name.as_str())
                .file_name()
                .is_some_and(|f| f == name.as_str());
            if !plain || name.as_str() == "." || name.as_str() == ".." {
                return Err(layout(format!(
                    "{INDEX_FILE} names file {name:?}, which is not a file name inside the directory"
                )));
            }
            if !path.join(name.as_str()).exists() {
                let tensor = index
                    .weight_map
                    .iter()
                    .find(|(_, f)| f == name)
                    .map_or("", |(t, _)| t.as_str());
                return Err(layout(format!(
                    "{INDEX_FILE} places tensor {tensor:?} in {name}, which does not exist"
                )));
            }
        }
        let files = file_names
            .iter()
            .map(|name| SafetensorsFile::open(&path.join(name.as_str())))
            .collect::<Result<Vec<_>, _>>()?;
        let checkpoint = Checkpoint::from_files(path, files);
        checkpoint.check_against(&index).map_err(layout)?;
        Ok(checkpoint)
    }

    /// The checkpoint of `files`, in file order; a tensor in two files is kept at its first
    /// and found by [`Checkpoint::check_against`].
    fn from_files(path: &Path, files: Vec<SafetensorsFile>) -> Checkpoint {
        let mut tensors = Vec::new();
        let mut by_name = HashMap::new();
        for (i, f) in files.iter().enumerate() {
            for info in f.header().tensors() {
                by_name
                    .entry(info.name().to_string())
                    .or_insert(tensors.len());
                tensors.push(CheckpointTensor {
                    file: i,
                    info: info.clone(),
                });
            }
        }
        Checkpoint {
            path: path.to_path_buf(),
            files,
            tensors,
            by_name,
        }
    }

    /// Checks every tensor of every file against the index, and the index against the files.
    fn check_against(&self, index: &ShardIndex) -> Result<(), String> {
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for t in &self.tensors {
            let name = t.info.name();
            let file = self.file_name(t.file);
            if let Some(&first) = seen.get(name) {
                return Err(format!(
                    "tensor {name:?} is in both {} and {file}",
                    self.file_name(first)
                ));
            }
            seen.insert(name, t.file);
            match index.weight_map.get(name) {
                None => {
                    return Err(format!(
                        "{file} holds tensor {name:?}, which {INDEX_FILE} does not list"
                    ));
                }
                Some(listed) if *listed != file => {
                    return Err(format!(
                        "{file} holds tensor {name:?}, which {INDEX_FILE} places in {listed}"
                    ));
                }
                Some(_) => {}
            }
        }
        if let Some((name, file)) = index
            .weight_map
            .iter()
            .find(|(name, _)| !seen.contains_key(name.as_str()))
        {
            return Err(format!(
                "{INDEX_FILE} places tensor {name:?} in {file}, which does not hold it"
            ));
        }
        Ok(())
    }

    /// The checkpoint's path as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file name of file `i` (for messages).
    pub fn file_name(&self, i: usize) -> String {
        self.files[i]
            .path()
            .file_name()
            .map_or_else(String::new, |f| f.to_string_lossy().into_owned())
    }

    /// The `.safetensors` files, in name order.
    pub fn files(&self) -> &[SafetensorsFile] {
        &self.files
    }

    /// Every tensor, file by file, in each file's offset order.
    pub fn tensors(&self) -> &[CheckpointTensor] {
        &self.tensors
    }

    /// The tensor named `name`.
    pub fn tensor(&self, name: &str) -> Option<&CheckpointTensor> {
        self.by_name.get(name).map(|&i| &self.tensors[i])
    }

    /// Reads the tensor named `name` (a floating-point one), in its stored width.
    ///
    /// # Errors
    /// [`FormatError::TensorNotFound`], [`FormatError::UnsupportedDtype`], or a read error
    /// naming the file.
    pub fn read(&self, name: &str) -> Result<TensorData, FormatError> {
        let Some(&i) = self.by_name.get(name) else {
            return Err(FormatError::TensorNotFound {
                name: name.to_string(),
                available: Vec::new(),
            });
        };
        let file = self.tensors[i].file;
        self.files[file].read(name)
    }

    /// The stored bytes of the tensor `name`, whatever its dtype.
    ///
    /// # Errors
    /// As [`Checkpoint::read`].
    pub fn read_bytes(&self, name: &str) -> Result<Vec<u8>, FormatError> {
        let Some(&i) = self.by_name.get(name) else {
            return Err(FormatError::TensorNotFound {
                name: name.to_string(),
                available: Vec::new(),
            });
        };
        let file = self.tensors[i].file;
        self.files[file].read_bytes(name)
    }
}

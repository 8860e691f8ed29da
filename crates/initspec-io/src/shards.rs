//! The Hugging Face sharded layout: which tensor goes in which file, the file names, and the
//! index `model.safetensors.index.json`.
//!
//! A sharded checkpoint is a directory of `model-00001-of-0000N.safetensors` …
//! `model-0000N-of-0000N.safetensors` and `model.safetensors.index.json`:
//!
//! ```json
//! {
//!   "metadata": {
//!     "total_size": 1234
//!   },
//!   "weight_map": {
//!     "tensor name": "model-00001-of-00002.safetensors"
//!   }
//! }
//! ```
//!
//! as `transformers` writes it (`json.dumps(index, indent=2, sort_keys=True) + "\n"`).
//! Which tensor goes in which file ([`partition`]) is a pure function of the tensors' byte
//! sizes, in manifest order, and the number of files, so every process of a sharded write
//! computes the same plan with no coordination.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{AtomicFile, FormatError};

/// The index's file name.
pub const INDEX_FILE: &str = "model.safetensors.index.json";

/// The name of file `k` (1-based) of `n`: `model-0000k-of-0000n.safetensors` (five digits,
/// more when `n` needs them).
pub fn shard_file_name(k: usize, n: usize) -> String {
    format!("model-{k:05}-of-{n:05}.safetensors")
}

/// Splits tensors of byte sizes `sizes` (in order) into `n` contiguous, non-empty runs whose
/// largest total is as small as possible, and returns each tensor's file (0-based).
///
/// The smallest feasible largest total `C` is found by bisection over the greedy packing
/// (a run is closed when the next tensor would take it past `C`; greedy packing uses the
/// fewest runs for a given `C`). The runs are then cut greedily at `C`, and also wherever
/// the tensors left are exactly as many as the files left, so that no file is empty. Cutting
/// earlier never makes a run larger, so the largest total stays `C`: at most the optimum
/// of any contiguous split, and within one tensor of `total / n`.
///
/// Keeping manifest order keeps a model's layers together in files, as `transformers`
/// shards them.
///
/// # Errors
/// `n` is 0 or larger than the number of tensors (a file would be empty).
pub fn partition(sizes: &[u64], n: usize) -> Result<Vec<usize>, String> {
    if n == 0 {
        return Err("the number of files must be at least 1".to_string());
    }
    if n > sizes.len() {
        return Err(format!(
            "{n} files for {} tensors: every file must hold at least one tensor",
            sizes.len()
        ));
    }
    let runs_at = |cap: u64| {
        let (mut runs, mut current) = (1usize, 0u64);
        for &s in sizes {
            if current > 0 && current.saturating_add(s) > cap {
                runs += 1;
                current = 0;
            }
            current = current.saturating_add(s);
        }
        runs
    };
    let (mut low, mut high) = (
        sizes.iter().copied().max().unwrap_or(0),
        sizes.iter().fold(0u64, |a, &s| a.saturating_add(s)),
    );
    while low < high {
        let mid = low + (high - low) / 2;
        if runs_at(mid) <= n {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    let cap = low;
    let mut files = Vec::with_capacity(sizes.len());
    let (mut file, mut current) = (0usize, 0u64);
    for (i, &s) in sizes.iter().enumerate() {
        if i > 0 {
            let tensors_left = sizes.len() - i;
            let files_left = n - 1 - file;
            if current.saturating_add(s) > cap || tensors_left == files_left {
                file += 1;
                current = 0;
            }
        }
        current = current.saturating_add(s);
        files.push(file);
    }
    Ok(files)
}

/// `model.safetensors.index.json`: the total data size and the file of every tensor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardIndex {
    /// `total_size` (bytes of tensor data over all files) and any other entries.
    pub metadata: BTreeMap<String, serde_json::Value>,
    /// Tensor name → file name.
    pub weight_map: BTreeMap<String, String>,
}

impl ShardIndex {
    /// An index with `total_size` and `weight_map`.
    pub fn new(total_size: u64, weight_map: BTreeMap<String, String>) -> ShardIndex {
        let mut metadata = BTreeMap::new();
        metadata.insert(
            "total_size".to_string(),
            serde_json::Value::from(total_size),
        );
        ShardIndex {
            metadata,
            weight_map,
        }
    }

    /// The index as `transformers` writes it: two-space indentation, keys sorted, a final
    /// newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Writes the index to `path`, atomically.
    ///
    /// # Errors
    /// An I/O error naming the path.
    pub fn write(&self, path: &Path) -> Result<(), FormatError> {
        let mut file = AtomicFile::create(path)?;
        file.write_all(self.to_json().as_bytes())?;
        file.commit()
    }

    /// Reads an index.
    ///
    /// # Errors
    /// An I/O error, or [`FormatError::MalformedHeader`] when it is not an index.
    pub fn read(path: &Path) -> Result<ShardIndex, FormatError> {
        let text = std::fs::read_to_string(path).map_err(|source| FormatError::Io {
            action: "cannot read",
            path: path.to_path_buf(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|e| FormatError::MalformedHeader {
            format: "model.safetensors.index.json",
            reason: format!("{} ({e})", path.display()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(sizes: &[u64], files: &[usize], n: usize) -> Vec<u64> {
        let mut t = vec![0u64; n];
        for (&s, &f) in sizes.iter().zip(files) {
            t[f] += s;
        }
        t
    }

    #[test]
    fn partition_is_contiguous_non_empty_and_balanced() {
        let sizes = [100, 1, 1, 50, 50, 3, 97, 2, 2, 2];
        for n in 1..=sizes.len() {
            let files = partition(&sizes, n).unwrap();
            assert!(
                files.windows(2).all(|w| w[1] == w[0] || w[1] == w[0] + 1),
                "{files:?}"
            );
            assert_eq!((files[0], *files.last().unwrap()), (0, n - 1), "{files:?}");
            let t = totals(&sizes, &files, n);
            assert!(t.iter().all(|&b| b > 0), "{n}: {t:?}");
            // The largest run is at most the best contiguous split's (brute force below).
            assert_eq!(t.iter().max(), Some(&best_max(&sizes, n)), "{n}: {t:?}");
        }
        // Equal sizes split evenly; a dominant tensor gets a file of its own.
        assert_eq!(partition(&[4; 6], 3).unwrap(), [0, 0, 1, 1, 2, 2]);
        assert_eq!(partition(&[100, 1, 1], 3).unwrap(), [0, 1, 2]);
        assert_eq!(partition(&[100, 1, 1], 2).unwrap(), [0, 1, 1]);
        assert_eq!(partition(&[0, 0, 0], 2).unwrap(), [0, 0, 1]);
    }

    /// The smallest largest total over every contiguous split into `n` non-empty runs.
    fn best_max(sizes: &[u64], n: usize) -> u64 {
        if n == 1 {
            return sizes.iter().sum();
        }
        (1..=sizes.len() - (n - 1))
            .map(|k| {
                sizes[..k]
                    .iter()
                    .sum::<u64>()
                    .max(best_max(&sizes[k..], n - 1))
            })
            .min()
            .unwrap()
    }

    #[test]
    fn partition_refuses_empty_files() {
        assert!(partition(&[1, 2], 0).is_err());
        let e = partition(&[1, 2], 3).unwrap_err();
        assert!(e.contains("3 files for 2 tensors"), "{e}");
    }

    #[test]
    fn names_and_index_text_match_transformers() {
        assert_eq!(shard_file_name(1, 4), "model-00001-of-00004.safetensors");
        assert_eq!(
            shard_file_name(3, 123456),
            "model-00003-of-123456.safetensors"
        );
        let mut map = BTreeMap::new();
        map.insert("b".to_string(), shard_file_name(2, 2));
        map.insert("a".to_string(), shard_file_name(1, 2));
        let index = ShardIndex::new(24, map);
        // json.dumps({"metadata": {"total_size": 24}, "weight_map": {...}}, indent=2,
        // sort_keys=True) + "\n", as transformers' save_pretrained writes it.
        assert_eq!(
            index.to_json(),
            "{\n  \"metadata\": {\n    \"total_size\": 24\n  },\n  \"weight_map\": {\n    \"a\": \"model-00001-of-00002.safetensors\",\n    \"b\": \"model-00002-of-00002.safetensors\"\n  }\n}\n"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(INDEX_FILE);
        index.write(&path).unwrap();
        assert_eq!(ShardIndex::read(&path).unwrap(), index);
        std::fs::write(&path, "{\"weight_map\": 3}").unwrap();
        let e = ShardIndex::read(&path).unwrap_err().to_string();
        assert!(e.contains(INDEX_FILE), "{e}");
    }
}

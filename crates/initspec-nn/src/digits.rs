//! The 1,797 8×8 handwritten digits (UCI *Optical Recognition of Handwritten Digits*, test
//! set, as scikit-learn ships it): a small real data set for the training experiments,
//! embedded in the crate (`data/digits.csv.gz`, 57 KB; provenance and license in
//! `data/DIGITS.md`).
//!
//! One fixed split serves every experiment: sample `i` (file order) is a test sample when
//! `i mod 4 = 3` (449 samples), a training sample otherwise (1,348). Features are the 64
//! pixel counts (0..16) standardized with the training set's per-pixel mean and standard
//! deviation, `x' = (x − μ_train)/σ_train` (a pixel constant on the training set becomes 0),
//! so every input has mean 0 and variance 1 on the training set, as the variance analysis of
//! the initializers assumes.

use std::io::Read;

use flate2::read::GzDecoder;
use ndarray::{Array1, Array2, Axis};

use crate::error::{NnError, Result};

/// The embedded data file: 1,797 lines of 64 pixel counts and a label, gzip-compressed.
pub const DIGITS_CSV_GZ: &[u8] = include_bytes!("../data/digits.csv.gz");

/// Pixels per image.
pub const FEATURES: usize = 64;

/// Classes (digits 0..9).
pub const CLASSES: usize = 10;

/// Samples with `index % TEST_EVERY == TEST_EVERY - 1` form the test set.
pub const TEST_EVERY: usize = 4;

/// A set of labelled samples: `features` is `[n, 64]`, `labels[i]` in `0..10`.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// One row per sample.
    pub features: Array2<f64>,
    /// The class of each row.
    pub labels: Vec<usize>,
}

impl Dataset {
    /// The number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether it holds no sample.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The samples whose label satisfies `keep`, in order (for the transfer experiment:
    /// digits 0–4, then 5–9).
    pub fn filter_labels(&self, keep: impl Fn(usize) -> bool) -> Dataset {
        let rows: Vec<usize> = (0..self.len()).filter(|&i| keep(self.labels[i])).collect();
        Dataset {
            features: self.features.select(Axis(0), &rows),
            labels: rows.iter().map(|&i| self.labels[i]).collect(),
        }
    }

    /// The first `count` samples.
    pub fn head(&self, count: usize) -> Dataset {
        let count = count.min(self.len());
        Dataset {
            features: self.features.slice(ndarray::s![..count, ..]).to_owned(),
            labels: self.labels[..count].to_vec(),
        }
    }
}

/// The training and test sets of one split.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// 1,348 samples for the embedded file.
    pub train: Dataset,
    /// 449 samples for the embedded file.
    pub test: Dataset,
}

/// The embedded digits, split and standardized (module docs).
///
/// # Example
/// ```
/// let split = initspec_nn::digits::digits();
/// assert_eq!((split.train.len(), split.test.len()), (1348, 449));
/// assert_eq!(split.train.features.ncols(), 64);
/// ```
pub fn digits() -> Split {
    let raw = parse(DIGITS_CSV_GZ).expect("the embedded digits file is checked by the tests");
    split(&raw)
}

/// Reads a digits file: gzip-compressed (detected by its magic bytes) or plain CSV, each
/// non-empty line 64 integers in 0..=16 and a label in 0..=9.
///
/// # Errors
/// [`NnError::Data`] naming the line and what is wrong with it.
pub fn parse(bytes: &[u8]) -> Result<Dataset> {
    let text = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut text = String::new();
        GzDecoder::new(bytes)
            .read_to_string(&mut text)
            .map_err(|e| data_error(0, format!("not a readable gzip file of text: {e}")))?;
        text
    } else {
        String::from_utf8(bytes.to_vec())
            .map_err(|_| data_error(0, "not UTF-8 text (or a gzip file)".into()))?
    };
    let mut values = Vec::new();
    let mut labels = Vec::new();
    for (number, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())) {
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != FEATURES + 1 {
            return Err(data_error(
                number,
                format!(
                    "{} comma-separated fields, expected {} (64 pixels and a label)",
                    fields.len(),
                    FEATURES + 1
                ),
            ));
        }
        for (column, field) in fields.iter().enumerate() {
            let value = parse_count(field).ok_or_else(|| {
                data_error(
                    number,
                    format!("field {} is `{field}`, not a whole number", column + 1),
                )
            })?;
            if column < FEATURES {
                if value > 16 {
                    return Err(data_error(
                        number,
                        format!("pixel {} is {value}, outside 0..=16", column + 1),
                    ));
                }
                values.push(f64::from(value));
            } else if value as usize >= CLASSES {
                return Err(data_error(
                    number,
                    format!("the label is {value}, outside 0..=9"),
                ));
            } else {
                labels.push(value as usize);
            }
        }
    }
    if labels.len() < TEST_EVERY {
        return Err(data_error(
            0,
            format!(
                "{} samples; at least {TEST_EVERY} are needed for a training and a test set",
                labels.len()
            ),
        ));
    }
    let features = Array2::from_shape_vec((labels.len(), FEATURES), values)
        .map_err(|e| data_error(0, e.to_string()))?;
    Ok(Dataset { features, labels })
}

/// A field as a whole number: `7`, or `7.0` as NumPy writes integers stored as floats.
fn parse_count(field: &str) -> Option<u32> {
    if let Ok(v) = field.parse::<u32>() {
        return Some(v);
    }
    let v: f64 = field.parse().ok()?;
    (v >= 0.0 && v.fract() == 0.0 && v <= f64::from(u32::MAX)).then_some(v as u32)
}

fn data_error(line: usize, reason: String) -> NnError {
    NnError::Data { line, reason }
}

/// The fixed split of the module docs, standardized with the training set's statistics.
pub fn split(all: &Dataset) -> Split {
    let test: Vec<usize> = (0..all.len())
        .filter(|i| i % TEST_EVERY == TEST_EVERY - 1)
        .collect();
    let train: Vec<usize> = (0..all.len())
        .filter(|i| i % TEST_EVERY != TEST_EVERY - 1)
        .collect();
    let pick = |rows: &[usize]| Dataset {
        features: all.features.select(Axis(0), rows),
        labels: rows.iter().map(|&i| all.labels[i]).collect(),
    };
    let (mut train, mut test) = (pick(&train), pick(&test));
    let n = train.len() as f64;
    let mean = train.features.sum_axis(Axis(0)) / n;
    let var = (&train.features - &mean).mapv(|d| d * d).sum_axis(Axis(0)) / n;
    let scale: Array1<f64> = var.mapv(|v| if v > 0.0 { 1.0 / v.sqrt() } else { 0.0 });
    for set in [&mut train, &mut test] {
        set.features -= &mean;
        set.features *= &scale;
    }
    Split { train, test }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_file_is_the_published_data_set() {
        let all = parse(DIGITS_CSV_GZ).unwrap();
        assert_eq!(all.features.dim(), (1797, 64));
        // Class counts of load_digits(): 178, 182, 177, 183, 181, 182, 181, 179, 174, 180.
        let mut counts = [0usize; 10];
        for &l in &all.labels {
            counts[l] += 1;
        }
        assert_eq!(counts, [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
        // The first image, as sklearn's data[0] starts: 0, 0, 5, 13, 9, 1, 0, 0.
        let first: Vec<f64> = all.features.row(0).iter().take(8).copied().collect();
        assert_eq!(first, vec![0.0, 0.0, 5.0, 13.0, 9.0, 1.0, 0.0, 0.0]);
        assert_eq!(all.features.sum(), 561_718.0); // load_digits().data.sum()
    }

    #[test]
    fn the_split_is_fixed_and_standardized() {
        let split = digits();
        assert_eq!((split.train.len(), split.test.len()), (1348, 449));
        for j in 0..FEATURES {
            let col = split.train.features.column(j);
            let mean = col.sum() / 1348.0;
            let var = col.mapv(|v| v * v).sum() / 1348.0;
            assert!(mean.abs() < 1e-12);
            assert!(var.abs() < 1e-12 || (var - 1.0).abs() < 1e-12, "{j}: {var}");
        }
        assert_eq!(
            split.test.labels[0],
            parse(DIGITS_CSV_GZ).unwrap().labels[3]
        );
    }

    #[test]
    fn malformed_files_name_the_line() {
        let err = |text: &str| parse(text.as_bytes()).unwrap_err().to_string();
        let good = format!("{}0\n", "1,".repeat(64));
        assert!(err(&good).contains("at least 4"));
        assert!(err("1,2,3\n").contains("line 1: 3 comma-separated fields"));
        let bad_pixel = format!("{}17,0\n", "1,".repeat(63));
        assert!(err(&bad_pixel).contains("pixel 64 is 17"));
        let bad_label = format!("{}12\n", "1,".repeat(64));
        assert!(err(&bad_label).contains("label is 12"));
        let word = format!("{}x,1\n", "1,".repeat(63));
        assert!(err(&word).contains("`x`"));
        let gzip_garbage = parse(&[0x1f, 0x8b, 1, 2, 3]).unwrap_err().to_string();
        assert!(gzip_garbage.contains("gzip"), "{gzip_garbage}");
        assert_eq!(parse(good.repeat(4).as_bytes()).unwrap().len(), 4);
    }
}

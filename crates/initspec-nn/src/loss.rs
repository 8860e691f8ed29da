//! Softmax cross-entropy, the loss of the training experiments.
//!
//! ```text
//! p_ik = exp(s_ik − m_i) / Σ_j exp(s_ij − m_i),   m_i = max_j s_ij   (overflow-safe)
//! L = −(1/B) Σ_i ln p_{i,y_i}
//! ∂L/∂s_ik = (p_ik − [k = y_i]) / B
//! ```

use ndarray::{Array2, ArrayView2};

use crate::error::{NnError, Result};

/// The mean cross-entropy of `logits` (`[batch, classes]`) against `labels`, and its
/// gradient with respect to the logits.
///
/// # Errors
/// [`NnError::ShapeMismatch`] when there is not one label per row or a label is not a class.
///
/// # Example
/// ```
/// use initspec_nn::loss::softmax_cross_entropy;
/// use ndarray::array;
/// // Equal logits over 4 classes: the loss is ln 4 whatever the label.
/// let (loss, grad) = softmax_cross_entropy(array![[0.0, 0.0, 0.0, 0.0]].view(), &[2]).unwrap();
/// assert!((loss - 4f64.ln()).abs() < 1e-15);
/// assert_eq!(grad[[0, 2]], 0.25 - 1.0);
/// ```
pub fn softmax_cross_entropy(
    logits: ArrayView2<f64>,
    labels: &[usize],
) -> Result<(f64, Array2<f64>)> {
    let (batch, classes) = logits.dim();
    if labels.len() != batch || labels.iter().any(|&l| l >= classes) {
        return Err(NnError::ShapeMismatch {
            what: "labels".into(),
            expected: vec![batch],
            found: vec![labels.len()],
        });
    }
    let mut grad = logits.to_owned();
    let mut loss = 0.0;
    let b = batch.max(1) as f64;
    for (mut row, &label) in grad.rows_mut().into_iter().zip(labels) {
        let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        row.mapv_inplace(|s| (s - max).exp());
        let sum = row.sum();
        loss -= (row[label] / sum).ln();
        row.mapv_inplace(|e| e / sum / b);
        row[label] -= 1.0 / b;
    }
    Ok((loss / b, grad))
}

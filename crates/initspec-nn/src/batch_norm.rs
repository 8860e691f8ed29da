//! Batch normalization in training mode (Ioffe & Szegedy 2015), with γ = 1 and β = 0.
//!
//! ```text
//! μ_j = (1/B) Σ_i z_ij        σ²_j = (1/B) Σ_i (z_ij − μ_j)²        (biased, as PyTorch normalizes)
//! y_ij = (z_ij − μ_j) / √(σ²_j + ε)
//! ∂z_ij = (1/√(σ²_j + ε)) · (∂y_ij − mean_i ∂y_ij − y_ij · mean_i (∂y_ij · y_ij))
//! ```

use ndarray::{Array1, Array2, ArrayView2, Axis};

/// ε of the normalization, as PyTorch's `BatchNorm1d` default.
pub const BATCH_NORM_EPS: f64 = 1e-5;

/// The per-feature statistics a forward pass keeps for the backward pass.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchNormCache {
    inv_std: Array1<f64>,
}

impl BatchNormCache {
    /// `1/√(σ²_j + ε)` per feature.
    pub fn inv_std(&self) -> &Array1<f64> {
        &self.inv_std
    }
}

/// Normalizes each column of `z` over the batch (rows): returns `y` and the cache.
///
/// A batch of one row gives `y = 0`.
pub fn batch_norm_forward(z: ArrayView2<f64>) -> (Array2<f64>, BatchNormCache) {
    let b = z.nrows().max(1) as f64;
    let mean = z.sum_axis(Axis(0)) / b;
    let mut y = &z - &mean;
    let var = y.map(|v| v * v).sum_axis(Axis(0)) / b;
    let inv_std = var.mapv(|v| 1.0 / (v + BATCH_NORM_EPS).sqrt());
    y *= &inv_std;
    (y, BatchNormCache { inv_std })
}

/// The gradient with respect to `z` from the gradient with respect to `y`.
pub fn batch_norm_backward(
    y: ArrayView2<f64>,
    grad_y: ArrayView2<f64>,
    cache: &BatchNormCache,
) -> Array2<f64> {
    let b = y.nrows().max(1) as f64;
    let mean_g = grad_y.sum_axis(Axis(0)) / b;
    let mean_gy = (&grad_y * &y).sum_axis(Axis(0)) / b;
    let mut out = &grad_y - &mean_g;
    out -= &(&y * &mean_gy);
    out *= &cache.inv_std;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn forward_standardizes_columns() {
        let z = array![[1.0, 10.0], [2.0, 10.0], [3.0, 13.0], [6.0, 7.0]];
        let (y, cache) = batch_norm_forward(z.view());
        for j in 0..2 {
            let col = y.column(j);
            let mean = col.sum() / 4.0;
            let var = col.map(|v| v * v).sum() / 4.0;
            let inv = cache.inv_std()[j];
            let raw_var = 1.0 / (inv * inv) - BATCH_NORM_EPS;
            assert!(mean.abs() < 1e-15);
            assert!((var - raw_var / (raw_var + BATCH_NORM_EPS)).abs() < 1e-12);
        }
        let (y1, _) = batch_norm_forward(array![[5.0, -1.0]].view());
        assert_eq!(y1, array![[0.0, 0.0]]);
    }

    #[test]
    fn backward_matches_finite_differences() {
        let z = array![
            [0.3, -1.0],
            [1.7, 0.4],
            [-0.2, 2.2],
            [0.9, -0.6],
            [1.1, 0.0]
        ];
        let w = array![
            [0.5, -1.5],
            [2.0, 0.25],
            [-1.0, 1.0],
            [0.1, 3.0],
            [-0.7, 0.2]
        ];
        // L = Σ w ⊙ y
        let loss = |z: &Array2<f64>| (&batch_norm_forward(z.view()).0 * &w).sum();
        let (y, cache) = batch_norm_forward(z.view());
        let g = batch_norm_backward(y.view(), w.view(), &cache);
        let h = 1e-6;
        for i in 0..5 {
            for j in 0..2 {
                let mut zp = z.clone();
                zp[[i, j]] += h;
                let mut zm = z.clone();
                zm[[i, j]] -= h;
                let numeric = (loss(&zp) - loss(&zm)) / (2.0 * h);
                assert!((numeric - g[[i, j]]).abs() < 1e-6, "{i},{j}");
            }
        }
    }
}

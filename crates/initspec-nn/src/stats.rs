//! Per-layer statistics of a forward or backward pass, pooled over batch and units.

use ndarray::Array2;

use crate::network::{Forward, Gradients};

/// Mean, standard deviation (population, divisor n) and second moment of a set of values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    /// Number of values.
    pub n: usize,
    /// `(1/n) Σ v`.
    pub mean: f64,
    /// `√((1/n) Σ (v − mean)²)`.
    pub std: f64,
    /// `(1/n) Σ v²`.
    pub m2: f64,
}

impl Moments {
    /// The moments of every element of `values` (two passes, so the std is accurate even
    /// when the mean is large). An empty array gives NaN moments.
    pub fn of(values: &Array2<f64>) -> Moments {
        let n = values.len();
        let nf = n as f64;
        let mean = values.iter().sum::<f64>() / nf;
        let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / nf;
        let m2 = values.iter().map(|v| v * v).sum::<f64>() / nf;
        Moments {
            n,
            mean,
            std: var.sqrt(),
            m2,
        }
    }
}

/// What one layer's signals looked like in a forward pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayerStatistics {
    /// The 1-based layer.
    pub layer: usize,
    /// The layer's width n_l.
    pub width: usize,
    /// Moments of the pre-activation (after batch norm when on).
    pub pre: Moments,
    /// Moments of the post-activation.
    pub post: Moments,
}

/// The statistics of every layer of `forward`.
pub fn layer_statistics(forward: &Forward) -> Vec<LayerStatistics> {
    forward
        .layers()
        .iter()
        .enumerate()
        .map(|(i, l)| LayerStatistics {
            layer: i + 1,
            width: l.post().ncols(),
            pre: Moments::of(l.pre()),
            post: Moments::of(l.post()),
        })
        .collect()
}

/// Second moments of one layer's gradients in a backward pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GradientStatistics {
    /// The 1-based layer.
    pub layer: usize,
    /// Mean square of ∂L/∂(pre-activation).
    pub pre_m2: f64,
    /// Mean square of ∂L/∂(post-activation).
    pub post_m2: f64,
    /// Mean square of ∂L/∂W_l.
    pub weight_m2: f64,
}

/// The gradient statistics of every layer.
pub fn gradient_statistics(gradients: &Gradients) -> Vec<GradientStatistics> {
    (0..gradients.weights().len())
        .map(|i| GradientStatistics {
            layer: i + 1,
            pre_m2: Moments::of(&gradients.pre()[i]).m2,
            post_m2: Moments::of(&gradients.post()[i]).m2,
            weight_m2: Moments::of(&gradients.weights()[i]).m2,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn moments_of_a_small_array() {
        let m = Moments::of(&array![[1.0, 2.0], [3.0, 6.0]]);
        assert_eq!(m.n, 4);
        assert_eq!(m.mean, 3.0);
        assert_eq!(m.m2, 12.5);
        assert!((m.std - 3.5f64.sqrt()).abs() < 1e-15);
    }
}

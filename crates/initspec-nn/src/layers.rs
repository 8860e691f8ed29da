//! Each layer's law and its drawn matrix: the one place where the experiments resolve a scheme
//! for a layer of a dense stack and draw it.
//!
//! Layer `l` (1-based) of widths `[n_0, …, n_L]` is a `[n_{l−1}, n_l]` matrix in the `InOut`
//! layout of NumPy's `x @ W`, so fan_in = n_{l−1} and fan_out = n_l; its weights come from the
//! stream `(seed, "layer{l}.weight")` ([`weight_stream_name`]), so layers are independent and
//! every network is reproducible from its seed.

use initspec::{Law, Layout, Sampler, Scheme, Stream};
use ndarray::Array2;

use crate::error::{NnError, Result};

/// The stream name of layer `layer`'s (1-based) weight: `layer{layer}.weight`.
pub fn weight_stream_name(layer: usize) -> String {
    format!("layer{layer}.weight")
}

/// The law of every layer of `widths`, with layer `l`'s scheme from `scheme_of(l)`.
///
/// # Errors
/// [`NnError::EmptyNetwork`] for fewer than two widths, [`NnError::ZeroWidth`], and
/// [`NnError::Init`] naming the first layer whose scheme does not resolve.
///
/// # Example
/// ```
/// use initspec_nn::layer_laws;
/// let he: initspec::Scheme = "kaiming_normal(nonlinearity=relu)".parse().unwrap();
/// let laws = layer_laws(&[100, 50, 10], |_| he).unwrap();
/// assert_eq!(laws.len(), 2);
/// assert!((laws[1].variance() - 2.0 / 50.0).abs() < 1e-15); // fan_in of layer 2 is 50
/// ```
pub fn layer_laws(widths: &[usize], scheme_of: impl Fn(usize) -> Scheme) -> Result<Vec<Law>> {
    if widths.len() < 2 {
        return Err(NnError::EmptyNetwork);
    }
    if let Some(layer) = widths.iter().position(|&w| w == 0) {
        return Err(NnError::ZeroWidth { layer });
    }
    (1..widths.len())
        .map(|l| {
            scheme_of(l)
                .resolve(&[widths[l - 1], widths[l]], &Layout::InOut, 1)
                .map_err(|source| NnError::Init { layer: l, source })
        })
        .collect()
}

/// A `[rows, cols]` matrix drawn from `law` on the stream `(seed, name)`, in C order.
///
/// # Errors
/// [`NnError::ShapeMismatch`] when `rows · cols` overflows.
pub fn draw_matrix(
    law: &Law,
    seed: u64,
    name: &str,
    rows: usize,
    cols: usize,
) -> Result<Array2<f64>> {
    let mismatch = || NnError::ShapeMismatch {
        what: format!("the {name} matrix"),
        expected: vec![rows, cols],
        found: vec![],
    };
    let len = rows.checked_mul(cols).ok_or_else(mismatch)?;
    let mut data = vec![0f64; len];
    Sampler::new(law, Stream::new(seed, name)).fill(&mut data);
    Array2::from_shape_vec((rows, cols), data).map_err(|_| mismatch())
}

/// A `[rows, cols]` matrix (the `InOut` layout: fan_in = rows, fan_out = cols) drawn from
/// `scheme` on the stream `(seed, name)`.
///
/// # Errors
/// [`NnError::Init`] (layer 0) when the scheme does not resolve for the shape.
pub fn draw_scheme_matrix(
    scheme: &Scheme,
    rows: usize,
    cols: usize,
    seed: u64,
    name: &str,
) -> Result<Array2<f64>> {
    let law = scheme
        .resolve(&[rows, cols], &Layout::InOut, 1)
        .map_err(|source| NnError::Init { layer: 0, source })?;
    draw_matrix(&law, seed, name, rows, cols)
}

/// A `[rows, cols]` matrix of N(0, 1) values on the stream `(seed, name)`: the input batches
/// and upstream gradients of the experiments.
///
/// # Errors
/// As [`draw_matrix`].
pub fn standard_normal_matrix(
    seed: u64,
    name: &str,
    rows: usize,
    cols: usize,
) -> Result<Array2<f64>> {
    let law = initspec::law::Normal::new(0.0, 1.0)
        .map(Law::Normal)
        .map_err(|source| NnError::Init { layer: 0, source })?;
    draw_matrix(&law, seed, name, rows, cols)
}

/// The weight matrices of `laws` for widths `[n_0, …, n_L]`: layer `l` drawn from `laws[l−1]`
/// on [`weight_stream_name`]`(l)`.
///
/// # Errors
/// [`NnError::ShapeMismatch`] when `laws` does not have one law per layer.
pub fn draw_weights(widths: &[usize], laws: &[Law], seed: u64) -> Result<Vec<Array2<f64>>> {
    if laws.len() + 1 != widths.len() {
        return Err(NnError::ShapeMismatch {
            what: "the layer laws".to_string(),
            expected: vec![widths.len().saturating_sub(1)],
            found: vec![laws.len()],
        });
    }
    laws.iter()
        .enumerate()
        .map(|(i, law)| {
            let l = i + 1;
            draw_matrix(law, seed, &weight_stream_name(l), widths[l - 1], widths[l])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn laws_follow_each_layer_fans() {
        let xavier: Scheme = "xavier_uniform".parse().unwrap();
        let laws = layer_laws(&[30, 10, 50], |_| xavier).unwrap();
        // U(±√(6/(fan_in + fan_out))), to the last bit up to PyTorch's order of operations.
        let close = |law: &Law, sum_of_fans: f64| {
            let expected = (6.0 / sum_of_fans).sqrt();
            (law.support().high - expected).abs() <= 2.0 * f64::EPSILON * expected
        };
        assert!(close(&laws[0], 40.0), "{}", laws[0]);
        assert!(close(&laws[1], 60.0), "{}", laws[1]);
        assert_eq!(layer_laws(&[3], |_| xavier), Err(NnError::EmptyNetwork));
        assert_eq!(
            layer_laws(&[3, 0, 2], |_| xavier),
            Err(NnError::ZeroWidth { layer: 1 })
        );
        let eye: Scheme = "eye".parse().unwrap();
        assert!(layer_laws(&[3, 4], |_| eye).is_ok());
    }

    #[test]
    fn weights_are_the_streams_of_their_layers() {
        let normal: Scheme = "normal(std=0.5)".parse().unwrap();
        let laws = layer_laws(&[4, 3, 2], |_| normal).unwrap();
        let weights = draw_weights(&[4, 3, 2], &laws, 9).unwrap();
        assert_eq!(weights[0].dim(), (4, 3));
        assert_eq!(weights[1].dim(), (3, 2));
        let again = draw_matrix(&laws[1], 9, "layer2.weight", 3, 2).unwrap();
        assert_eq!(weights[1], again);
        assert_ne!(weights[0].row(0), weights[1].row(0));
        assert!(draw_weights(&[4, 3, 2], &laws[..1], 9).is_err());
        assert!(draw_matrix(&laws[0], 0, "w", usize::MAX, 2).is_err());
        let z = standard_normal_matrix(1, "input", 200, 50).unwrap();
        let mean = z.mean().unwrap();
        // The mean of 10⁴ standard normals is N(0, 10⁻⁴): |mean| ≤ z/100 with
        // z = Φ⁻¹(1 − α/2) = 4.8916 for the suite's α = 1e-6 (seed 1).
        const Z_TWO_SIDED: f64 = 4.891_638_475_698_591;
        assert!(
            mean.abs() <= Z_TWO_SIDED / 100.0,
            "{mean} (α = 1e-6, n = 10⁴, seed 1)"
        );
    }
}

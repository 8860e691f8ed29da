//! [`Network`]: a dense stack `x_l = φ(BN?(x_{l−1} W_l))`, its forward and backward passes and
//! a plain SGD step.
//!
//! Weights use the `InOut` layout of NumPy's `x @ W` (Keras, JAX, and the NumPy code of the
//! article docs/EXPERIMENTS.md reproduces): layer `l` (1-based) holds a `[n_{l−1}, n_l]`
//! matrix, so fan_in = n_{l−1} and fan_out = n_l. There are no biases (the experiments have
//! none). Matrix products go through `ndarray`'s `dot`
//! (the `matrixmultiply` GEMM kernels).

use initspec::{Law, Scheme};
use ndarray::{Array2, ArrayView2};

use crate::activation::Activation;
use crate::batch_norm::{BatchNormCache, batch_norm_backward, batch_norm_forward};
use crate::error::{NnError, Result};
use crate::layers::{draw_weights, layer_laws};

/// A dense network with one activation and optional batch normalization before it.
///
/// # Example
/// ```
/// use initspec_nn::{Activation, Network};
/// use ndarray::Array2;
/// let scheme = "kaiming_normal(nonlinearity=relu)".parse().unwrap();
/// let net = Network::init(&[8, 16, 4], &scheme, Activation::Relu, false, 7).unwrap();
/// assert_eq!(net.widths(), vec![8, 16, 4]);
/// let x = Array2::<f64>::ones((3, 8));
/// let forward = net.forward(x.view()).unwrap();
/// assert_eq!(forward.output().dim(), (3, 4));
/// assert!(forward.output().iter().all(|&v| v >= 0.0));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    weights: Vec<Array2<f64>>,
    activation: Activation,
    batch_norm: bool,
}

/// What one layer computed in a forward pass.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerTrace {
    linear: Option<Array2<f64>>,
    pre: Array2<f64>,
    post: Array2<f64>,
    cache: Option<BatchNormCache>,
}

impl LayerTrace {
    /// `x_{l−1} W_l`, before batch normalization.
    pub fn linear(&self) -> &Array2<f64> {
        self.linear.as_ref().unwrap_or(&self.pre)
    }

    /// The pre-activation: the batch-normalized linear output when batch norm is on, else
    /// the linear output.
    pub fn pre(&self) -> &Array2<f64> {
        &self.pre
    }

    /// The post-activation `φ(pre)`.
    pub fn post(&self) -> &Array2<f64> {
        &self.post
    }
}

/// A forward pass: the input and every layer's trace.
#[derive(Debug, Clone, PartialEq)]
pub struct Forward {
    input: Array2<f64>,
    layers: Vec<LayerTrace>,
}

impl Forward {
    /// The input batch `[batch, n_0]`.
    pub fn input(&self) -> &Array2<f64> {
        &self.input
    }

    /// The layers, first to last.
    pub fn layers(&self) -> &[LayerTrace] {
        &self.layers
    }

    /// The network's output (the last post-activation).
    pub fn output(&self) -> &Array2<f64> {
        match self.layers.last() {
            Some(l) => &l.post,
            None => &self.input,
        }
    }
}

/// A backward pass: gradients of a loss with respect to every weight and signal.
#[derive(Debug, Clone, PartialEq)]
pub struct Gradients {
    weights: Vec<Array2<f64>>,
    pre: Vec<Array2<f64>>,
    post: Vec<Array2<f64>>,
    input: Array2<f64>,
}

impl Gradients {
    /// ∂L/∂W_l, first layer first.
    pub fn weights(&self) -> &[Array2<f64>] {
        &self.weights
    }

    /// ∂L/∂(pre-activation) of each layer (after batch norm when on).
    pub fn pre(&self) -> &[Array2<f64>] {
        &self.pre
    }

    /// ∂L/∂(post-activation) of each layer.
    pub fn post(&self) -> &[Array2<f64>] {
        &self.post
    }

    /// ∂L/∂(input).
    pub fn input(&self) -> &Array2<f64> {
        &self.input
    }
}

/// A loss value and its gradient with respect to the network output.
#[derive(Debug, Clone, PartialEq)]
pub struct Loss {
    /// The loss.
    pub value: f64,
    /// ∂loss/∂output.
    pub gradient: Array2<f64>,
}

/// Mean squared error `L = (1/(2B)) Σ_ij (y_ij − t_ij)²` over a batch of B rows.
///
/// # Errors
/// [`NnError::ShapeMismatch`] when the shapes differ; [`NnError::EmptyBatch`].
pub fn mse_loss(output: ArrayView2<f64>, target: ArrayView2<f64>) -> Result<Loss> {
    if output.dim() != target.dim() {
        return Err(NnError::ShapeMismatch {
            what: "target".into(),
            expected: output.shape().to_vec(),
            found: target.shape().to_vec(),
        });
    }
    if output.nrows() == 0 {
        return Err(NnError::EmptyBatch);
    }
    let b = output.nrows() as f64;
    let diff = &output - &target;
    let value = diff.iter().map(|d| d * d).sum::<f64>() / (2.0 * b);
    Ok(Loss {
        value,
        gradient: diff / b,
    })
}

impl Network {
    /// A network from explicit weights (`weights[l]` is `[n_l, n_{l+1}]`).
    ///
    /// # Errors
    /// [`NnError::EmptyNetwork`], [`NnError::ZeroWidth`], or [`NnError::ShapeMismatch`] when
    /// consecutive matrices do not chain.
    pub fn new(
        weights: Vec<Array2<f64>>,
        activation: Activation,
        batch_norm: bool,
    ) -> Result<Network> {
        check_chain(&weights)?;
        Ok(Network {
            weights,
            activation,
            batch_norm,
        })
    }

    /// A network of `widths = [n_0, n_1, …, n_L]` whose layer `l` weight, shape
    /// `[n_{l−1}, n_l]` in the `InOut` layout, is drawn from `scheme` on the stream
    /// `(seed, "layer{l}.weight")`, so layers are independent and reproducible.
    ///
    /// # Errors
    /// [`NnError::EmptyNetwork`] for fewer than two widths, [`NnError::ZeroWidth`], and
    /// [`NnError::Init`] when the scheme does not resolve.
    pub fn init(
        widths: &[usize],
        scheme: &Scheme,
        activation: Activation,
        batch_norm: bool,
        seed: u64,
    ) -> Result<Network> {
        Network::init_with(widths, activation, batch_norm, |_| *scheme, seed)
    }

    /// As [`Network::init`], with the scheme of each 1-based layer from `scheme_of`.
    ///
    /// # Errors
    /// As [`Network::init`].
    pub fn init_with(
        widths: &[usize],
        activation: Activation,
        batch_norm: bool,
        scheme_of: impl Fn(usize) -> Scheme,
        seed: u64,
    ) -> Result<Network> {
        let laws = layer_laws(widths, scheme_of)?;
        Network::from_laws(widths, &laws, activation, batch_norm, seed)
    }

    /// A network whose layer `l` is drawn from `laws[l−1]` (from [`layer_laws`]), on the
    /// same streams as [`Network::init`]: for callers that also need the laws themselves.
    ///
    /// # Errors
    /// [`NnError::ShapeMismatch`] when `laws` does not hold one law per layer, and the
    /// width errors of [`Network::new`].
    pub fn from_laws(
        widths: &[usize],
        laws: &[Law],
        activation: Activation,
        batch_norm: bool,
        seed: u64,
    ) -> Result<Network> {
        Network::new(draw_weights(widths, laws, seed)?, activation, batch_norm)
    }

    /// `[n_0, n_1, …, n_L]`.
    pub fn widths(&self) -> Vec<usize> {
        let mut w = vec![self.weights[0].nrows()];
        w.extend(self.weights.iter().map(|m| m.ncols()));
        w
    }

    /// The number of layers L.
    pub fn depth(&self) -> usize {
        self.weights.len()
    }

    /// The weight matrices, first layer first.
    pub fn weights(&self) -> &[Array2<f64>] {
        &self.weights
    }

    /// The activation.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// Whether batch normalization (training mode) precedes each activation.
    pub fn batch_norm(&self) -> bool {
        self.batch_norm
    }

    /// Runs a batch `[batch, n_0]` through the network, keeping every layer's signals.
    ///
    /// # Errors
    /// [`NnError::EmptyBatch`]; [`NnError::ShapeMismatch`] for the wrong input width.
    pub fn forward(&self, input: ArrayView2<f64>) -> Result<Forward> {
        if input.nrows() == 0 {
            return Err(NnError::EmptyBatch);
        }
        if input.ncols() != self.weights[0].nrows() {
            return Err(NnError::ShapeMismatch {
                what: "input".into(),
                expected: vec![input.nrows(), self.weights[0].nrows()],
                found: input.shape().to_vec(),
            });
        }
        let mut layers: Vec<LayerTrace> = Vec::with_capacity(self.depth());
        for w in &self.weights {
            let x = match layers.last() {
                Some(l) => l.post.view(),
                None => input,
            };
            let z = x.dot(w);
            let trace = if self.batch_norm {
                let (y, cache) = batch_norm_forward(z.view());
                let post = y.mapv(|v| self.activation.apply(v));
                LayerTrace {
                    linear: Some(z),
                    pre: y,
                    post,
                    cache: Some(cache),
                }
            } else {
                let post = z.mapv(|v| self.activation.apply(v));
                LayerTrace {
                    linear: None,
                    pre: z,
                    post,
                    cache: None,
                }
            };
            layers.push(trace);
        }
        Ok(Forward {
            input: input.to_owned(),
            layers,
        })
    }

    /// Back-propagates `grad_output` = ∂L/∂(output) through a forward pass of this network.
    ///
    /// # Errors
    /// [`NnError::ShapeMismatch`] when `forward` is not of this network's shape or
    /// `grad_output` does not match the output.
    pub fn backward(&self, forward: &Forward, grad_output: ArrayView2<f64>) -> Result<Gradients> {
        if forward.layers.len() != self.depth() {
            return Err(NnError::ShapeMismatch {
                what: "forward pass".into(),
                expected: vec![self.depth()],
                found: vec![forward.layers.len()],
            });
        }
        if grad_output.dim() != forward.output().dim() {
            return Err(NnError::ShapeMismatch {
                what: "output gradient".into(),
                expected: forward.output().shape().to_vec(),
                found: grad_output.shape().to_vec(),
            });
        }
        let depth = self.depth();
        let mut weights = vec![Array2::zeros((0, 0)); depth];
        let mut pre = vec![Array2::zeros((0, 0)); depth];
        let mut post = vec![Array2::zeros((0, 0)); depth];
        let mut upstream = grad_output.to_owned();
        for l in (0..depth).rev() {
            let trace = &forward.layers[l];
            let mut g_pre = upstream.clone();
            g_pre.zip_mut_with(&trace.pre, |g, &z| *g *= self.activation.derivative(z));
            let bn_grad = trace
                .cache
                .as_ref()
                .map(|cache| batch_norm_backward(trace.pre.view(), g_pre.view(), cache));
            let g_linear = bn_grad.as_ref().unwrap_or(&g_pre);
            let x = if l == 0 {
                forward.input.view()
            } else {
                forward.layers[l - 1].post.view()
            };
            weights[l] = x.t().dot(g_linear);
            let g_x = g_linear.dot(&self.weights[l].t());
            post[l] = std::mem::replace(&mut upstream, g_x);
            pre[l] = g_pre;
        }
        Ok(Gradients {
            weights,
            pre,
            post,
            input: upstream,
        })
    }

    /// One plain SGD step: `W_l ← W_l − learning_rate · ∂L/∂W_l`.
    ///
    /// # Errors
    /// [`NnError::InvalidLearningRate`] for a NaN or infinite rate;
    /// [`NnError::ShapeMismatch`] when the gradients are not of this network's shape.
    pub fn sgd_step(&mut self, gradients: &Gradients, learning_rate: f64) -> Result<()> {
        if !learning_rate.is_finite() {
            return Err(NnError::InvalidLearningRate {
                value: learning_rate,
            });
        }
        if gradients.weights.len() != self.depth()
            || gradients
                .weights
                .iter()
                .zip(&self.weights)
                .any(|(g, w)| g.dim() != w.dim())
        {
            return Err(NnError::ShapeMismatch {
                what: "gradients".into(),
                expected: self.widths(),
                found: gradients.weights.iter().map(|g| g.ncols()).collect(),
            });
        }
        for (w, g) in self.weights.iter_mut().zip(&gradients.weights) {
            w.scaled_add(-learning_rate, g);
        }
        Ok(())
    }
}

/// Checks that `weights` is a non-empty chain of matrices with non-zero widths, each taking
/// the previous one's output width as its input width.
///
/// # Errors
/// [`NnError::EmptyNetwork`], [`NnError::ZeroWidth`], [`NnError::ShapeMismatch`].
pub fn check_chain(weights: &[Array2<f64>]) -> Result<()> {
    let Some(first) = weights.first() else {
        return Err(NnError::EmptyNetwork);
    };
    if first.nrows() == 0 {
        return Err(NnError::ZeroWidth { layer: 0 });
    }
    for (l, w) in weights.iter().enumerate() {
        if w.ncols() == 0 {
            return Err(NnError::ZeroWidth { layer: l + 1 });
        }
        if l > 0 && w.nrows() != weights[l - 1].ncols() {
            return Err(NnError::ShapeMismatch {
                what: format!("layer {} weight", l + 1),
                expected: vec![weights[l - 1].ncols(), w.ncols()],
                found: w.shape().to_vec(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn loss_of(net: &Network, x: &Array2<f64>, t: &Array2<f64>) -> f64 {
        let f = net.forward(x.view()).unwrap();
        mse_loss(f.output().view(), t.view()).unwrap().value
    }

    #[test]
    fn gradients_match_finite_differences() {
        let x = array![
            [0.5, -1.0, 0.3],
            [1.2, 0.1, -0.4],
            [-0.3, 0.8, 0.9],
            [0.0, -0.6, 1.5]
        ];
        let t = array![[0.1, -0.2], [0.4, 0.0], [-0.5, 0.3], [0.2, 0.2]];
        let scheme: Scheme = "xavier_normal".parse().unwrap();
        for act in [
            "linear",
            "tanh",
            "relu",
            "leaky_relu(negative_slope=0.1)",
            "sigmoid",
            "selu",
        ] {
            for bn in [false, true] {
                let act: Activation = act.parse().unwrap();
                let net = Network::init(&[3, 5, 4, 2], &scheme, act, bn, 11).unwrap();
                let f = net.forward(x.view()).unwrap();
                let loss = mse_loss(f.output().view(), t.view()).unwrap();
                let g = net.backward(&f, loss.gradient.view()).unwrap();
                let h = 1e-6;
                for l in 0..net.depth() {
                    for ((i, j), &analytic) in g.weights()[l].indexed_iter() {
                        let mut plus = net.clone();
                        plus.weights[l][[i, j]] += h;
                        let mut minus = net.clone();
                        minus.weights[l][[i, j]] -= h;
                        let numeric =
                            (loss_of(&plus, &x, &t) - loss_of(&minus, &x, &t)) / (2.0 * h);
                        assert!(
                            (numeric - analytic).abs() < 1e-6,
                            "{act} bn={bn} layer {l} [{i},{j}]: {numeric} vs {analytic}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn sgd_step_descends() {
        let x = array![[0.5, -1.0], [1.2, 0.1], [-0.3, 0.8]];
        let t = array![[0.1], [0.4], [-0.5]];
        let scheme: Scheme = "he_normal".parse().unwrap();
        let mut net = Network::init(&[2, 6, 1], &scheme, Activation::Tanh, false, 3).unwrap();
        let before = loss_of(&net, &x, &t);
        for _ in 0..20 {
            let f = net.forward(x.view()).unwrap();
            let loss = mse_loss(f.output().view(), t.view()).unwrap();
            let g = net.backward(&f, loss.gradient.view()).unwrap();
            net.sgd_step(&g, 0.1).unwrap();
        }
        assert!(loss_of(&net, &x, &t) < before);
        let f = net.forward(x.view()).unwrap();
        let g = net.backward(&f, f.output().view()).unwrap();
        assert!(net.sgd_step(&g, f64::NAN).is_err());
    }

    #[test]
    fn construction_errors() {
        let s: Scheme = "he_normal".parse().unwrap();
        let a = Activation::Relu;
        assert_eq!(
            Network::init(&[4], &s, a, false, 0),
            Err(NnError::EmptyNetwork)
        );
        assert_eq!(
            Network::init(&[4, 0, 2], &s, a, false, 0),
            Err(NnError::ZeroWidth { layer: 1 })
        );
        assert_eq!(
            Network::init(&[0, 2], &s, a, false, 0),
            Err(NnError::ZeroWidth { layer: 0 })
        );
        assert!(
            Network::new(vec![Array2::zeros((2, 3)), Array2::zeros((4, 1))], a, false).is_err()
        );
        assert_eq!(Network::new(vec![], a, false), Err(NnError::EmptyNetwork));
        let net = Network::init(&[4, 3], &s, a, false, 0).unwrap();
        assert!(net.forward(Array2::zeros((0, 4)).view()).is_err());
        assert!(net.forward(Array2::zeros((2, 5)).view()).is_err());
        let f = net.forward(Array2::zeros((2, 4)).view()).unwrap();
        assert!(net.backward(&f, Array2::zeros((2, 2)).view()).is_err());
        assert!(mse_loss(Array2::zeros((2, 3)).view(), Array2::zeros((2, 2)).view()).is_err());
    }

    #[test]
    fn layers_are_independent_streams() {
        let s: Scheme = "normal".parse().unwrap();
        let net = Network::init(&[4, 4, 4], &s, Activation::Linear, false, 5).unwrap();
        assert_ne!(net.weights()[0], net.weights()[1]);
        let again = Network::init(&[4, 4, 4], &s, Activation::Linear, false, 5).unwrap();
        assert_eq!(net, again);
        let other = Network::init(&[4, 4, 4], &s, Activation::Linear, false, 6).unwrap();
        assert_ne!(net.weights()[0], other.weights()[0]);
    }
}

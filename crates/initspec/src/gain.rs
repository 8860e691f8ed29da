//! [`Nonlinearity`] and its recommended gain, as PyTorch's `calculate_gain`.

use std::fmt;

/// An activation function, for the gain that keeps the signal's second moment through it.
///
/// ```text
/// linear, conv*, conv_transpose*, sigmoid   1
/// tanh                                      5/3
/// relu                                      √2
/// leaky_relu(s)                             √(2 / (1 + s²))
/// selu                                      3/4
/// ```
///
/// √2 is exact for ReLU: for a symmetric pre-activation `z`, `E[relu(z)²] = E[z²]/2`
/// (He et al. 2015[^he]); leaky ReLU keeps `(1 + s²)/2` of it. 5/3 for tanh and 3/4 for SELU
/// are PyTorch's empirical choices, not derivations (docs/SPEC.md).
///
/// [^he]: K. He, X. Zhang, S. Ren, J. Sun, "Delving Deep into Rectifiers", ICCV 2015.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[non_exhaustive]
pub enum Nonlinearity {
    /// Identity; also PyTorch's `conv1d`..`conv_transpose3d`.
    Linear,
    /// Logistic sigmoid.
    Sigmoid,
    /// Hyperbolic tangent.
    Tanh,
    /// Rectified linear unit.
    Relu,
    /// Leaky ReLU; its negative slope is the `a` parameter of the Kaiming schemes.
    #[default]
    LeakyRelu,
    /// Scaled exponential linear unit.
    Selu,
}

/// PyTorch's spelling for each nonlinearity, in the order of `calculate_gain`'s docs.
const NAMES: &[(&str, Nonlinearity)] = &[
    ("linear", Nonlinearity::Linear),
    ("conv1d", Nonlinearity::Linear),
    ("conv2d", Nonlinearity::Linear),
    ("conv3d", Nonlinearity::Linear),
    ("conv_transpose1d", Nonlinearity::Linear),
    ("conv_transpose2d", Nonlinearity::Linear),
    ("conv_transpose3d", Nonlinearity::Linear),
    ("sigmoid", Nonlinearity::Sigmoid),
    ("tanh", Nonlinearity::Tanh),
    ("relu", Nonlinearity::Relu),
    ("leaky_relu", Nonlinearity::LeakyRelu),
    ("selu", Nonlinearity::Selu),
];

impl Nonlinearity {
    /// The accepted names (PyTorch's `calculate_gain` vocabulary).
    pub const NAMES: &'static [&'static str] = &[
        "linear",
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
        "sigmoid",
        "tanh",
        "relu",
        "leaky_relu",
        "selu",
    ];

    /// Parses a PyTorch nonlinearity name (`conv2d` means [`Nonlinearity::Linear`]).
    pub fn from_name(name: &str) -> Option<Nonlinearity> {
        NAMES
            .iter()
            .find(|(spelling, _)| spelling.eq_ignore_ascii_case(name))
            .map(|&(_, nonlinearity)| nonlinearity)
    }

    /// The canonical name.
    pub fn name(self) -> &'static str {
        match self {
            Nonlinearity::Linear => "linear",
            Nonlinearity::Sigmoid => "sigmoid",
            Nonlinearity::Tanh => "tanh",
            Nonlinearity::Relu => "relu",
            Nonlinearity::LeakyRelu => "leaky_relu",
            Nonlinearity::Selu => "selu",
        }
    }

    /// The recommended gain; `negative_slope` is used by [`Nonlinearity::LeakyRelu`] only.
    ///
    /// # Example
    /// ```
    /// use initspec::Nonlinearity;
    /// assert_eq!(Nonlinearity::Relu.gain(0.0), 2f64.sqrt());
    /// assert_eq!(Nonlinearity::LeakyRelu.gain(5f64.sqrt()), (1.0f64 / 3.0).sqrt());
    /// ```
    pub fn gain(self, negative_slope: f64) -> f64 {
        match self {
            Nonlinearity::Linear | Nonlinearity::Sigmoid => 1.0,
            Nonlinearity::Tanh => 5.0 / 3.0,
            Nonlinearity::Relu => std::f64::consts::SQRT_2,
            Nonlinearity::LeakyRelu => (2.0 / (1.0 + negative_slope * negative_slope)).sqrt(),
            Nonlinearity::Selu => 0.75,
        }
    }
}

impl fmt::Display for Nonlinearity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
// The literals are the values PyTorch prints; comparing against them is the point.
#[allow(clippy::approx_constant)]
mod tests {
    use super::*;

    #[test]
    fn gains_match_pytorch_calculate_gain() {
        // Values printed by torch.nn.init.calculate_gain (torch 2.x).
        assert_eq!(Nonlinearity::Linear.gain(0.0), 1.0);
        assert_eq!(Nonlinearity::Sigmoid.gain(0.0), 1.0);
        assert_eq!(Nonlinearity::Tanh.gain(0.0), 1.6666666666666667);
        assert_eq!(Nonlinearity::Relu.gain(0.0), 1.4142135623730951);
        assert_eq!(Nonlinearity::LeakyRelu.gain(0.01), 1.4141428569978354);
        assert_eq!(Nonlinearity::LeakyRelu.gain(0.0), 1.4142135623730951);
        assert_eq!(Nonlinearity::Selu.gain(0.0), 0.75);
        // The nn.Linear default kaiming_uniform(a=√5) has gain 1/√3.
        let gain = Nonlinearity::LeakyRelu.gain(5f64.sqrt());
        assert!((gain - 0.5773502691896257).abs() < 1e-16);
        // The slope is ignored for everything but leaky_relu.
        assert_eq!(Nonlinearity::Relu.gain(0.3), 1.4142135623730951);
    }

    #[test]
    fn names_parse() {
        assert_eq!(
            Nonlinearity::from_name("conv_transpose2d"),
            Some(Nonlinearity::Linear)
        );
        assert_eq!(Nonlinearity::from_name("ReLU"), Some(Nonlinearity::Relu));
        assert_eq!(Nonlinearity::from_name("gelu"), None);
        for name in Nonlinearity::NAMES {
            assert!(Nonlinearity::from_name(name).is_some(), "{name}");
        }
    }

    #[test]
    fn display_prints_the_canonical_name() {
        assert_eq!(Nonlinearity::LeakyRelu.to_string(), "leaky_relu");
        assert_eq!(Nonlinearity::Linear.to_string(), "linear");
        for &(_, nonlinearity) in NAMES {
            assert_eq!(nonlinearity.to_string(), nonlinearity.name());
        }
    }
}

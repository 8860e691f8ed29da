//! [`Activation`]: the elementwise nonlinearities of the experiments and their derivatives.

use std::fmt;
use std::str::FromStr;

use crate::error::{NnError, Result};

/// SELU's α (Klambauer et al. 2017): `1.6732632423543772848170429916717`.
pub const SELU_ALPHA: f64 = 1.673_263_242_354_377_3;
/// SELU's scale λ (Klambauer et al. 2017): `1.0507009873554804934193349852946`.
pub const SELU_SCALE: f64 = 1.050_700_987_355_480_5;
/// The leaky-ReLU slope when none is given (PyTorch `nn.LeakyReLU` default).
pub const DEFAULT_NEGATIVE_SLOPE: f64 = 0.01;

/// An elementwise activation φ.
///
/// Derivatives at the kinks follow PyTorch: `relu'(0) = 0`, `leaky_relu'(0) = slope`.
///
/// # Example
/// ```
/// use initspec_nn::Activation;
/// let a: Activation = "leaky_relu(negative_slope=0.2)".parse().unwrap();
/// assert_eq!(a.apply(-1.0), -0.2);
/// assert_eq!(a.to_string(), "leaky_relu(negative_slope=0.2)");
/// assert_eq!("relu".parse::<Activation>().unwrap().derivative(0.0), 0.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Activation {
    /// φ(z) = z.
    #[doc(alias = "identity")]
    Linear,
    /// φ(z) = tanh z.
    Tanh,
    /// φ(z) = max(z, 0).
    Relu,
    /// φ(z) = z for z > 0, else `negative_slope`·z.
    LeakyRelu {
        /// The slope for z ≤ 0 (finite).
        negative_slope: f64,
    },
    /// φ(z) = 1 / (1 + e^(−z)).
    Sigmoid,
    /// φ(z) = λz for z > 0, else λα(eᶻ − 1), with [`SELU_ALPHA`] and [`SELU_SCALE`].
    Selu,
}

impl Activation {
    /// A leaky ReLU with this slope.
    ///
    /// # Errors
    /// [`NnError::InvalidSlope`] for a NaN or infinite slope.
    pub fn leaky_relu(negative_slope: f64) -> Result<Activation> {
        if !negative_slope.is_finite() {
            return Err(NnError::InvalidSlope {
                value: negative_slope,
            });
        }
        Ok(Activation::LeakyRelu { negative_slope })
    }

    /// The name without parameters: `linear`, `tanh`, `relu`, `leaky_relu`, `sigmoid`, `selu`.
    pub fn name(&self) -> &'static str {
        match self {
            Activation::Linear => "linear",
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::LeakyRelu { .. } => "leaky_relu",
            Activation::Sigmoid => "sigmoid",
            Activation::Selu => "selu",
        }
    }

    /// φ(z).
    pub fn apply(&self, z: f64) -> f64 {
        match *self {
            Activation::Linear => z,
            Activation::Tanh => z.tanh(),
            Activation::Relu => {
                if z > 0.0 {
                    z
                } else {
                    0.0
                }
            }
            Activation::LeakyRelu { negative_slope } => {
                if z > 0.0 {
                    z
                } else {
                    negative_slope * z
                }
            }
            Activation::Sigmoid => 1.0 / (1.0 + (-z).exp()),
            Activation::Selu => {
                if z > 0.0 {
                    SELU_SCALE * z
                } else {
                    SELU_SCALE * SELU_ALPHA * z.exp_m1()
                }
            }
        }
    }

    /// φ'(z).
    pub fn derivative(&self, z: f64) -> f64 {
        match *self {
            Activation::Linear => 1.0,
            Activation::Tanh => {
                let t = z.tanh();
                1.0 - t * t
            }
            Activation::Relu => {
                if z > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::LeakyRelu { negative_slope } => {
                if z > 0.0 {
                    1.0
                } else {
                    negative_slope
                }
            }
            Activation::Sigmoid => {
                let s = 1.0 / (1.0 + (-z).exp());
                s * (1.0 - s)
            }
            Activation::Selu => {
                if z > 0.0 {
                    SELU_SCALE
                } else {
                    SELU_SCALE * SELU_ALPHA * z.exp()
                }
            }
        }
    }

    /// The slope a when φ is piecewise linear through 0 (φ(z) = z for z > 0, a·z else), so that for a
    /// pre-activation z with a law symmetric about 0 the second moment
    /// `E[φ(z)²] = (1 + s²)/2 · E[z²]` holds exactly (linear: s = ±1, relu: s = 0,
    /// leaky relu: s = slope), with no Gaussian assumption.
    pub fn homogeneous_slope(&self) -> Option<f64> {
        match *self {
            Activation::Linear => Some(1.0),
            Activation::Relu => Some(0.0),
            Activation::LeakyRelu { negative_slope } => Some(negative_slope),
            _ => None,
        }
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Activation::LeakyRelu { negative_slope } => {
                write!(f, "leaky_relu(negative_slope={negative_slope})")
            }
            other => f.write_str(other.name()),
        }
    }
}

impl FromStr for Activation {
    type Err = NnError;

    /// Parses `linear` (or `identity`), `tanh`, `relu`, `sigmoid`, `selu`, `leaky_relu`
    /// (slope 0.01) and `leaky_relu(negative_slope=0.2)`, in the scheme grammar
    /// ([`initspec::grammar::split`]); case and whitespace are ignored.
    fn from_str(text: &str) -> Result<Activation> {
        let unknown = || NnError::UnknownActivation {
            name: text.to_string(),
        };
        let call = initspec::grammar::split(text).map_err(|_| unknown())?;
        let plain = |a: Activation| {
            if call.params.is_empty() {
                Ok(a)
            } else {
                Err(unknown())
            }
        };
        match call.name.as_str() {
            "linear" | "identity" => plain(Activation::Linear),
            "tanh" => plain(Activation::Tanh),
            "relu" => plain(Activation::Relu),
            "sigmoid" => plain(Activation::Sigmoid),
            "selu" => plain(Activation::Selu),
            "leaky_relu" => match call.params.as_slice() {
                [] => Activation::leaky_relu(DEFAULT_NEGATIVE_SLOPE),
                [(key, value)] if key == "negative_slope" => {
                    let slope: f64 = value.parse().map_err(|_| unknown())?;
                    Activation::leaky_relu(slope)
                }
                _ => Err(unknown()),
            },
            _ => Err(unknown()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        let ok = [
            ("linear", Activation::Linear),
            ("Identity", Activation::Linear),
            (" tanh ", Activation::Tanh),
            ("relu", Activation::Relu),
            ("sigmoid", Activation::Sigmoid),
            ("selu", Activation::Selu),
            (
                "leaky_relu",
                Activation::LeakyRelu {
                    negative_slope: 0.01,
                },
            ),
            (
                "Leaky_ReLU(negative_slope=0.2)",
                Activation::LeakyRelu {
                    negative_slope: 0.2,
                },
            ),
            (
                "leaky_relu(negative_slope = -0.5)",
                Activation::LeakyRelu {
                    negative_slope: -0.5,
                },
            ),
        ];
        for (text, want) in ok {
            assert_eq!(text.parse::<Activation>().unwrap(), want, "{text}");
        }
        for bad in [
            "",
            "gelu",
            "relu(1)",
            "leaky_relu(nan)",
            "leaky_relu(inf)",
            "leaky_relu(x=1",
            "leaky_relu(a)",
            "leaky_relu(0.2)",
            "leaky_relu(slope=0.2)",
            "leaky_relu(negative_slope=0.2, negative_slope=0.3)",
        ] {
            assert!(bad.parse::<Activation>().is_err(), "{bad}");
        }
        assert!(Activation::leaky_relu(f64::NEG_INFINITY).is_err());
    }

    #[test]
    fn round_trip() {
        for a in [
            Activation::Linear,
            Activation::Tanh,
            Activation::Relu,
            Activation::LeakyRelu {
                negative_slope: 0.3,
            },
            Activation::Sigmoid,
            Activation::Selu,
        ] {
            assert_eq!(a.to_string().parse::<Activation>().unwrap(), a);
        }
    }

    #[test]
    fn values_and_derivatives() {
        let h = 1e-6;
        let acts = [
            Activation::Linear,
            Activation::Tanh,
            Activation::Relu,
            Activation::LeakyRelu {
                negative_slope: 0.1,
            },
            Activation::Sigmoid,
            Activation::Selu,
        ];
        for a in acts {
            for z in [-2.5, -0.7, 0.3, 1.9] {
                let numeric = (a.apply(z + h) - a.apply(z - h)) / (2.0 * h);
                assert!(
                    (numeric - a.derivative(z)).abs() < 1e-6,
                    "{a} at {z}: {numeric} vs {}",
                    a.derivative(z)
                );
            }
        }
        assert_eq!(Activation::Sigmoid.apply(0.0), 0.5);
        assert_eq!(Activation::Relu.apply(-3.0), 0.0);
        assert_eq!(Activation::Relu.derivative(0.0), 0.0);
        assert!((Activation::Selu.apply(1.0) - SELU_SCALE).abs() < 1e-15);
        assert!((Activation::Selu.apply(-50.0) + SELU_SCALE * SELU_ALPHA).abs() < 1e-12);
    }
}

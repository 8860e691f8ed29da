//! [`Scheme`]: a user's request, in the grammar of docs/SPEC.md §6, resolved to a [`Law`] for fans.
//!
//! Names carry the semantics of the ecosystem they come from: PyTorch names (`xavier_*`,
//! `kaiming_*`, `trunc_normal`) compute their laws exactly as `torch.nn.init` does, down to
//! the order of floating-point operations; Keras/JAX names (`glorot_normal`, `he_*`,
//! `lecun_*`, `truncated_normal`, `variance_scaling`) as Keras 3 and `jax.nn.initializers`
//! do. docs/SPEC.md derives every row.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result, finite, positive};
use crate::fans::{FanMode, Fans, Layout, element_count};
use crate::gain::Nonlinearity;
use crate::grammar::{self, format_number};
use crate::law::{
    Constant, DeltaOrthogonal, Dirac, Eye, Law, Normal, Orthogonal, Sparse, TruncatedNormal,
    Uniform,
};

/// Every scheme name the grammar accepts (aliases included).
pub const SCHEME_NAMES: &[&str] = &[
    "zeros",
    "ones",
    "constant",
    "uniform",
    "normal",
    "trunc_normal",
    "truncated_normal",
    "xavier_uniform",
    "glorot_uniform",
    "xavier_normal",
    "kaiming_uniform",
    "kaiming_normal",
    "glorot_normal",
    "he_normal",
    "he_uniform",
    "lecun_normal",
    "lecun_uniform",
    "variance_scaling",
    "orthogonal",
    "eye",
    "dirac",
    "delta_orthogonal",
    "sparse",
];

/// The distribution of a `variance_scaling` scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Distribution {
    /// Gaussian cut at ±2σ' with σ' chosen so that the variance is exactly `scale/fan`.
    #[default]
    TruncatedNormal,
    /// Plain Gaussian with variance `scale/fan`.
    UntruncatedNormal,
    /// `U(±√(3·scale/fan))`.
    Uniform,
}

impl Distribution {
    /// Accepted spellings.
    pub const NAMES: &'static [&'static str] =
        &["truncated_normal", "untruncated_normal", "uniform"];

    /// The grammar spelling.
    pub fn name(self) -> &'static str {
        match self {
            Distribution::TruncatedNormal => "truncated_normal",
            Distribution::UntruncatedNormal => "untruncated_normal",
            Distribution::Uniform => "uniform",
        }
    }

    fn from_name(name: &str) -> Option<Distribution> {
        [
            Distribution::TruncatedNormal,
            Distribution::UntruncatedNormal,
            Distribution::Uniform,
        ]
        .into_iter()
        .find(|d| d.name().eq_ignore_ascii_case(name))
    }
}

/// A weight-initialization scheme: a name and validated parameters.
///
/// A `Scheme` that exists is valid; [`Scheme::law`] turns it into the exact [`Law`] for a
/// tensor's [`Fans`].
///
/// # Example
/// ```
/// use initspec::{Fans, Scheme};
/// let scheme: Scheme = "kaiming_normal(mode=fan_out, nonlinearity=relu)".parse().unwrap();
/// let law = scheme.law(&Fans::new(784, 256).unwrap()).unwrap();
/// assert!((law.variance() - 2.0 / 256.0).abs() < 1e-17);
/// assert_eq!(scheme.to_string().parse::<Scheme>().unwrap(), scheme);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scheme {
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Zeros,
    Ones,
    Constant {
        value: f64,
    },
    Uniform {
        a: f64,
        b: f64,
    },
    Normal {
        mean: f64,
        std: f64,
    },
    TruncNormal {
        mean: f64,
        std: f64,
        a: f64,
        b: f64,
    },
    TruncatedNormal {
        mean: f64,
        stddev: f64,
        lower: f64,
        upper: f64,
    },
    XavierUniform {
        gain: f64,
    },
    XavierNormal {
        gain: f64,
    },
    GlorotUniform {
        gain: f64,
    },
    KaimingUniform {
        a: f64,
        mode: FanMode,
        nonlinearity: Nonlinearity,
    },
    KaimingNormal {
        a: f64,
        mode: FanMode,
        nonlinearity: Nonlinearity,
    },
    GlorotNormal,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    VarianceScaling {
        scale: f64,
        mode: FanMode,
        distribution: Distribution,
    },
    Orthogonal {
        gain: f64,
    },
    Eye,
    Dirac {
        groups: usize,
    },
    DeltaOrthogonal {
        gain: f64,
    },
    Sparse {
        sparsity: f64,
        std: f64,
    },
}

/// Standard deviation of N(0, 1) cut to [−k, k]: `√(1 − 2kφ(k)/(Φ(k) − Φ(−k)))`.
///
/// For k = 2 this is 0.87962566103423978, the constant Keras and JAX divide by.
pub fn truncated_std_factor(k: f64) -> Result<f64> {
    Ok(TruncatedNormal::new(0.0, 1.0, -k, k)?.variance().sqrt())
}

impl Scheme {
    /// `zeros`: every weight 0.
    pub fn zeros() -> Scheme {
        Scheme { kind: Kind::Zeros }
    }

    /// `ones`: every weight 1.
    pub fn ones() -> Scheme {
        Scheme { kind: Kind::Ones }
    }

    /// `constant(value)`.
    ///
    /// # Errors
    /// [`Error::NonFinite`] if `value` is not finite.
    pub fn constant(value: f64) -> Result<Scheme> {
        Constant::new(value)?;
        Ok(Scheme {
            kind: Kind::Constant { value },
        })
    }

    /// `uniform(a=0, b=1)`: `U(a, b)` (PyTorch `uniform_`).
    ///
    /// # Errors
    /// As [`Uniform::new`].
    pub fn uniform(a: f64, b: f64) -> Result<Scheme> {
        Uniform::new(a, b)?;
        Ok(Scheme {
            kind: Kind::Uniform { a, b },
        })
    }

    /// `normal(mean=0, std=1)`: `N(mean, std²)`.
    ///
    /// # Errors
    /// As [`Normal::new`].
    pub fn normal(mean: f64, std: f64) -> Result<Scheme> {
        Normal::new(mean, std)?;
        Ok(Scheme {
            kind: Kind::Normal { mean, std },
        })
    }

    /// `trunc_normal(mean=0, std=1, a=-2, b=2)`: `N(mean, std²)` cut to the ABSOLUTE interval
    /// `[a, b]`, no variance correction (PyTorch `trunc_normal_`).
    ///
    /// # Errors
    /// As [`TruncatedNormal::new`].
    pub fn trunc_normal(mean: f64, std: f64, a: f64, b: f64) -> Result<Scheme> {
        TruncatedNormal::new(mean, std, a, b)?;
        Ok(Scheme {
            kind: Kind::TruncNormal { mean, std, a, b },
        })
    }

    /// `truncated_normal(mean=0, stddev=0.05, lower=-2, upper=2)`: `N(mean, stddev²)` cut to
    /// `[mean + lower·stddev, mean + upper·stddev]` (bounds in STD units, Keras/JAX), no
    /// variance correction.
    ///
    /// # Errors
    /// Non-finite parameters, `stddev ≤ 0`, `lower ≥ upper`, or an interval without mass.
    pub fn truncated_normal(mean: f64, stddev: f64, lower: f64, upper: f64) -> Result<Scheme> {
        finite("mean", mean)?;
        positive("stddev", stddev)?;
        finite("lower", lower)?;
        finite("upper", upper)?;
        if !(lower < upper) {
            return Err(Error::EmptyInterval {
                low_key: "lower",
                low: lower,
                high_key: "upper",
                high: upper,
            });
        }
        let scheme = Scheme {
            kind: Kind::TruncatedNormal {
                mean,
                stddev,
                lower,
                upper,
            },
        };
        scheme.base_law()?;
        Ok(scheme)
    }

    /// `xavier_uniform(gain=1)`: `U(±gain·√(6/(fan_in + fan_out)))` (Glorot & Bengio 2010),
    /// evaluated as PyTorch's `xavier_uniform_`.
    ///
    /// # Errors
    /// `gain` not finite or not > 0.
    pub fn xavier_uniform(gain: f64) -> Result<Scheme> {
        positive("gain", gain)?;
        Ok(Scheme {
            kind: Kind::XavierUniform { gain },
        })
    }

    /// `glorot_uniform(gain=1)`: the law of [`Scheme::xavier_uniform`], evaluated as Keras'
    /// `GlorotUniform` (`limit = √(3·gain²/fan_avg)`); the two can differ in the last bit.
    ///
    /// # Errors
    /// `gain` not finite or not > 0.
    pub fn glorot_uniform(gain: f64) -> Result<Scheme> {
        positive("gain", gain)?;
        Ok(Scheme {
            kind: Kind::GlorotUniform { gain },
        })
    }

    /// `xavier_normal(gain=1)`: `N(0, gain²·2/(fan_in + fan_out))`, untruncated (PyTorch).
    ///
    /// # Errors
    /// `gain` not finite or not > 0.
    pub fn xavier_normal(gain: f64) -> Result<Scheme> {
        positive("gain", gain)?;
        Ok(Scheme {
            kind: Kind::XavierNormal { gain },
        })
    }

    fn kaiming_parts(a: f64, mode: FanMode) -> Result<()> {
        finite("a", a)?;
        if !matches!(mode, FanMode::FanIn | FanMode::FanOut) {
            return Err(Error::UnknownChoice {
                key: "mode",
                value: mode.name().to_string(),
                accepted: &["fan_in", "fan_out"],
            });
        }
        Ok(())
    }

    /// `kaiming_uniform(a=0, mode=fan_in, nonlinearity=leaky_relu)`: `U(±gain·√(3/fan))` with
    /// `gain = calculate_gain(nonlinearity, a)` (He et al. 2015; PyTorch).
    ///
    /// # Errors
    /// `a` not finite; `mode` other than fan_in/fan_out (PyTorch has no others).
    pub fn kaiming_uniform(a: f64, mode: FanMode, nonlinearity: Nonlinearity) -> Result<Scheme> {
        Scheme::kaiming_parts(a, mode)?;
        Ok(Scheme {
            kind: Kind::KaimingUniform {
                a,
                mode,
                nonlinearity,
            },
        })
    }

    /// `kaiming_normal(a=0, mode=fan_in, nonlinearity=leaky_relu)`: `N(0, gain²/fan)` (PyTorch).
    ///
    /// # Errors
    /// As [`Scheme::kaiming_uniform`].
    pub fn kaiming_normal(a: f64, mode: FanMode, nonlinearity: Nonlinearity) -> Result<Scheme> {
        Scheme::kaiming_parts(a, mode)?;
        Ok(Scheme {
            kind: Kind::KaimingNormal {
                a,
                mode,
                nonlinearity,
            },
        })
    }

    /// `glorot_normal` (Keras/JAX): `variance_scaling(1, fan_avg, truncated_normal)`.
    pub fn glorot_normal() -> Scheme {
        Scheme {
            kind: Kind::GlorotNormal,
        }
    }

    /// `he_normal` (Keras/JAX): `variance_scaling(2, fan_in, truncated_normal)`.
    pub fn he_normal() -> Scheme {
        Scheme {
            kind: Kind::HeNormal,
        }
    }

    /// `he_uniform` (Keras/JAX): `variance_scaling(2, fan_in, uniform)`.
    pub fn he_uniform() -> Scheme {
        Scheme {
            kind: Kind::HeUniform,
        }
    }

    /// `lecun_normal` (Keras/JAX, Flax's default kernel init):
    /// `variance_scaling(1, fan_in, truncated_normal)`.
    pub fn lecun_normal() -> Scheme {
        Scheme {
            kind: Kind::LecunNormal,
        }
    }

    /// `lecun_uniform` (Keras/JAX): `variance_scaling(1, fan_in, uniform)`.
    pub fn lecun_uniform() -> Scheme {
        Scheme {
            kind: Kind::LecunUniform,
        }
    }

    /// `variance_scaling(scale=1, mode=fan_in, distribution=truncated_normal)` (Keras/JAX):
    /// variance `scale/fan`, with `fan` chosen by `mode`.
    ///
    /// # Errors
    /// `scale` not finite or not > 0.
    pub fn variance_scaling(
        scale: f64,
        mode: FanMode,
        distribution: Distribution,
    ) -> Result<Scheme> {
        positive("scale", scale)?;
        Ok(Scheme {
            kind: Kind::VarianceScaling {
                scale,
                mode,
                distribution,
            },
        })
    }

    /// `orthogonal(gain=1)`: `gain` times a Haar-random matrix with orthonormal rows or
    /// columns (PyTorch `orthogonal_`, Keras/JAX `orthogonal`; see [`Orthogonal`]).
    ///
    /// # Errors
    /// [`Error::NonFinite`] / [`Error::NotPositive`] unless `gain` is finite and positive.
    pub fn orthogonal(gain: f64) -> Result<Scheme> {
        positive("gain", gain)?;
        Ok(Scheme {
            kind: Kind::Orthogonal { gain },
        })
    }

    /// `eye`: the identity matrix of a 2-D tensor (PyTorch `eye_`; see [`Eye`]).
    pub fn eye() -> Scheme {
        Scheme { kind: Kind::Eye }
    }

    /// `dirac(groups=1)`: the identity convolution kernel (PyTorch `dirac_`; see [`Dirac`]).
    ///
    /// # Errors
    /// [`Error::NotPositive`] for `groups = 0`.
    pub fn dirac(groups: usize) -> Result<Scheme> {
        if groups == 0 {
            return Err(Error::NotPositive {
                key: "groups",
                value: 0.0,
            });
        }
        Ok(Scheme {
            kind: Kind::Dirac { groups },
        })
    }

    /// `delta_orthogonal(gain=1)`: an orthogonal matrix at the centre tap of a convolution
    /// kernel, zero elsewhere (JAX `delta_orthogonal`; see [`DeltaOrthogonal`]).
    ///
    /// # Errors
    /// As [`Scheme::orthogonal`].
    pub fn delta_orthogonal(gain: f64) -> Result<Scheme> {
        positive("gain", gain)?;
        Ok(Scheme {
            kind: Kind::DeltaOrthogonal { gain },
        })
    }

    /// `sparse(sparsity, std=0.01)`: `⌈sparsity·rows⌉` zeros per column, `N(0, std²)` elsewhere
    /// (PyTorch `sparse_`; see [`Sparse`]).
    ///
    /// # Errors
    /// [`Error::OutOfRange`] unless `0 ≤ sparsity ≤ 1`; [`Error::NonFinite`] /
    /// [`Error::NotPositive`] for `std`.
    pub fn sparse(sparsity: f64, std: f64) -> Result<Scheme> {
        crate::law::sparse_parameters(sparsity, std)?;
        Ok(Scheme {
            kind: Kind::Sparse { sparsity, std },
        })
    }

    /// The scheme's name.
    pub fn name(&self) -> &'static str {
        match self.kind {
            Kind::Zeros => "zeros",
            Kind::Ones => "ones",
            Kind::Constant { .. } => "constant",
            Kind::Uniform { .. } => "uniform",
            Kind::Normal { .. } => "normal",
            Kind::TruncNormal { .. } => "trunc_normal",
            Kind::TruncatedNormal { .. } => "truncated_normal",
            Kind::XavierUniform { .. } => "xavier_uniform",
            Kind::XavierNormal { .. } => "xavier_normal",
            Kind::GlorotUniform { .. } => "glorot_uniform",
            Kind::KaimingUniform { .. } => "kaiming_uniform",
            Kind::KaimingNormal { .. } => "kaiming_normal",
            Kind::GlorotNormal => "glorot_normal",
            Kind::HeNormal => "he_normal",
            Kind::HeUniform => "he_uniform",
            Kind::LecunNormal => "lecun_normal",
            Kind::LecunUniform => "lecun_uniform",
            Kind::VarianceScaling { .. } => "variance_scaling",
            Kind::Orthogonal { .. } => "orthogonal",
            Kind::Eye => "eye",
            Kind::Dirac { .. } => "dirac",
            Kind::DeltaOrthogonal { .. } => "delta_orthogonal",
            Kind::Sparse { .. } => "sparse",
        }
    }

    /// Whether the scheme describes a whole tensor (orthogonal, eye, dirac,
    /// delta_orthogonal, sparse): its law needs the tensor's shape, not just its fans.
    pub fn is_structured(&self) -> bool {
        matches!(
            self.kind,
            Kind::Orthogonal { .. }
                | Kind::Eye
                | Kind::Dirac { .. }
                | Kind::DeltaOrthogonal { .. }
                | Kind::Sparse { .. }
        )
    }

    /// Whether the law depends on the tensor's fans (and so needs rank ≥ 2). Structured
    /// schemes ([`Scheme::is_structured`]) need the whole shape instead and answer `false`.
    pub fn needs_fans(&self) -> bool {
        !self.is_structured()
            && !matches!(
                self.kind,
                Kind::Zeros
                    | Kind::Ones
                    | Kind::Constant { .. }
                    | Kind::Uniform { .. }
                    | Kind::Normal { .. }
                    | Kind::TruncNormal { .. }
                    | Kind::TruncatedNormal { .. }
            )
    }

    /// The law of a scheme that does not depend on fans.
    ///
    /// # Errors
    /// [`Error::NeedsFans`] for a fan-based scheme; [`Error::NeedsShape`] for a structured
    /// one; constructor errors of the law.
    pub fn base_law(&self) -> Result<Law> {
        if self.is_structured() {
            return Err(Error::NeedsShape {
                scheme: self.name(),
            });
        }
        Ok(match self.kind {
            Kind::Zeros => Law::Constant(Constant::new(0.0)?),
            Kind::Ones => Law::Constant(Constant::new(1.0)?),
            Kind::Constant { value } => Law::Constant(Constant::new(value)?),
            Kind::Uniform { a, b } => Law::Uniform(Uniform::new(a, b)?),
            Kind::Normal { mean, std } => Law::Normal(Normal::new(mean, std)?),
            Kind::TruncNormal { mean, std, a, b } => {
                Law::TruncatedNormal(TruncatedNormal::new(mean, std, a, b)?)
            }
            Kind::TruncatedNormal {
                mean,
                stddev,
                lower,
                upper,
            } => Law::TruncatedNormal(TruncatedNormal::new(
                mean,
                stddev,
                mean + lower * stddev,
                mean + upper * stddev,
            )?),
            _ => {
                return Err(Error::NeedsFans {
                    scheme: self.name(),
                });
            }
        })
    }

    /// The exact law of this scheme for a tensor with `fans`.
    ///
    /// # Errors
    /// [`Error::NeedsShape`] for a structured scheme (use [`Scheme::resolve`]); otherwise only
    /// when a bound or std overflows `f64` (e.g. `gain = 1e308`).
    pub fn law(&self, fans: &Fans) -> Result<Law> {
        if !self.needs_fans() {
            return self.base_law();
        }
        // The scheme's own parameters were validated when it was built, so a bound or std
        // that is not finite and > 0 here comes from the fans: say so with the scheme.
        self.fan_law(fans).map_err(|e| match e {
            Error::NotPositive { key, value } | Error::NonFinite { key, value } => {
                Error::DegenerateLaw {
                    scheme: self.to_string(),
                    fan_in: fans.fan_in(),
                    fan_out: fans.fan_out(),
                    quantity: key,
                    value,
                }
            }
            other => other,
        })
    }

    /// [`Scheme::law`] for a fan-based scheme, before its errors are put in context.
    fn fan_law(&self, fans: &Fans) -> Result<Law> {
        let law = match self.kind {
            Kind::XavierUniform { gain } => {
                // torch: std = gain * math.sqrt(2.0 / float(fan_in + fan_out)); a = math.sqrt(3.0) * std
                let std = gain * (2.0 / (fans.fan_in() as f64 + fans.fan_out() as f64)).sqrt();
                Law::Uniform(Uniform::symmetric(3f64.sqrt() * std)?)
            }
            Kind::XavierNormal { gain } => {
                let std = gain * (2.0 / (fans.fan_in() as f64 + fans.fan_out() as f64)).sqrt();
                Law::Normal(Normal::new(0.0, std)?)
            }
            Kind::GlorotUniform { gain } => {
                // keras: scale /= max(1.0, (fan_in + fan_out) / 2.0); limit = math.sqrt(3.0 * scale)
                let variance = gain * gain / fans.get(FanMode::FanAvg);
                Law::Uniform(Uniform::symmetric((3.0 * variance).sqrt())?)
            }
            Kind::KaimingUniform {
                a,
                mode,
                nonlinearity,
            } => {
                // torch: std = gain / math.sqrt(fan); bound = math.sqrt(3.0) * std
                let std = nonlinearity.gain(a) / fans.get(mode).sqrt();
                Law::Uniform(Uniform::symmetric(3f64.sqrt() * std)?)
            }
            Kind::KaimingNormal {
                a,
                mode,
                nonlinearity,
            } => Law::Normal(Normal::new(
                0.0,
                nonlinearity.gain(a) / fans.get(mode).sqrt(),
            )?),
            Kind::GlorotNormal => {
                variance_scaling_law(1.0, FanMode::FanAvg, Distribution::TruncatedNormal, fans)?
            }
            Kind::HeNormal => {
                variance_scaling_law(2.0, FanMode::FanIn, Distribution::TruncatedNormal, fans)?
            }
            Kind::HeUniform => {
                variance_scaling_law(2.0, FanMode::FanIn, Distribution::Uniform, fans)?
            }
            Kind::LecunNormal => {
                variance_scaling_law(1.0, FanMode::FanIn, Distribution::TruncatedNormal, fans)?
            }
            Kind::LecunUniform => {
                variance_scaling_law(1.0, FanMode::FanIn, Distribution::Uniform, fans)?
            }
            Kind::VarianceScaling {
                scale,
                mode,
                distribution,
            } => variance_scaling_law(scale, mode, distribution, fans)?,
            _ => return self.base_law(),
        };
        Ok(law)
    }

    /// The law for a tensor of `shape` in `layout` with `groups`: base schemes for any
    /// shape, fan-based schemes from the shape's fans, structured schemes from the shape
    /// itself (an empty shape gives an empty structured tensor).
    ///
    /// # Errors
    /// Fan errors ([`Fans::of_shape`]) for fan-based schemes, including [`Error::ZeroFan`]
    /// for an empty tensor; [`Error::ElementCountOverflow`] for any scheme; for structured
    /// schemes the rank, layout and groups errors of their laws ([`Orthogonal::of_shape`],
    /// [`Eye::of_shape`], [`Dirac::of_shape`], [`DeltaOrthogonal::of_shape`],
    /// [`Sparse::of_shape`]).
    pub fn resolve(&self, shape: &[usize], layout: &Layout, groups: usize) -> Result<Law> {
        element_count(shape)?;
        match self.kind {
            Kind::Orthogonal { gain } => {
                return Ok(Law::Orthogonal(Orthogonal::of_shape(
                    gain, shape, layout, groups,
                )?));
            }
            Kind::Eye => return Ok(Law::Eye(Eye::of_shape(shape, groups)?)),
            Kind::Dirac { groups: g } => {
                return Ok(Law::Dirac(Dirac::of_shape(g, shape, layout, groups)?));
            }
            Kind::DeltaOrthogonal { gain } => {
                return Ok(Law::DeltaOrthogonal(DeltaOrthogonal::of_shape(
                    gain, shape, layout, groups,
                )?));
            }
            Kind::Sparse { sparsity, std } => {
                return Ok(Law::Sparse(Sparse::of_shape(sparsity, std, shape, groups)?));
            }
            _ => {}
        }
        if self.needs_fans() {
            self.law(&Fans::of_shape(shape, layout, groups)?)
        } else {
            self.base_law()
        }
    }

    /// The base scheme whose law is `law` (`uniform(a, b)`, `normal(mean, std)`,
    /// `trunc_normal(mean, std, a, b)`, `constant(value)`); for a structured law its scheme
    /// (`orthogonal(gain)`, `eye`, `dirac(groups)`, `delta_orthogonal(gain)`,
    /// `sparse(sparsity, std)`).
    pub fn from_law(law: &Law) -> Scheme {
        let kind = match law {
            Law::Orthogonal(o) => Kind::Orthogonal { gain: o.gain() },
            Law::Eye(_) => Kind::Eye,
            Law::Dirac(d) => Kind::Dirac { groups: d.groups() },
            Law::DeltaOrthogonal(d) => Kind::DeltaOrthogonal { gain: d.gain() },
            Law::Sparse(s) => Kind::Sparse {
                sparsity: s.sparsity(),
                std: s.std(),
            },
            Law::Constant(c) => Kind::Constant { value: c.value() },
            Law::Uniform(u) => Kind::Uniform { a: u.a(), b: u.b() },
            Law::Normal(n) => Kind::Normal {
                mean: n.mean(),
                std: n.std(),
            },
            Law::TruncatedNormal(t) => Kind::TruncNormal {
                mean: t.parent_mean(),
                std: t.parent_std(),
                a: t.a(),
                b: t.b(),
            },
        };
        Scheme { kind }
    }

    /// Parameters in canonical order with their values, defaults included.
    pub fn parameters(&self) -> Vec<(&'static str, Parameter)> {
        use Parameter::{Number, Word};
        match self.kind {
            Kind::Zeros
            | Kind::Ones
            | Kind::GlorotNormal
            | Kind::HeNormal
            | Kind::HeUniform
            | Kind::LecunNormal
            | Kind::LecunUniform
            | Kind::Eye => vec![],
            Kind::Orthogonal { gain } | Kind::DeltaOrthogonal { gain } => {
                vec![("gain", Number(gain))]
            }
            Kind::Dirac { groups } => vec![("groups", Number(groups as f64))],
            Kind::Sparse { sparsity, std } => {
                vec![("sparsity", Number(sparsity)), ("std", Number(std))]
            }
            Kind::Constant { value } => vec![("value", Number(value))],
            Kind::Uniform { a, b } => vec![("a", Number(a)), ("b", Number(b))],
            Kind::Normal { mean, std } => vec![("mean", Number(mean)), ("std", Number(std))],
            Kind::TruncNormal { mean, std, a, b } => vec![
                ("mean", Number(mean)),
                ("std", Number(std)),
                ("a", Number(a)),
                ("b", Number(b)),
            ],
            Kind::TruncatedNormal {
                mean,
                stddev,
                lower,
                upper,
            } => vec![
                ("mean", Number(mean)),
                ("stddev", Number(stddev)),
                ("lower", Number(lower)),
                ("upper", Number(upper)),
            ],
            Kind::XavierUniform { gain }
            | Kind::XavierNormal { gain }
            | Kind::GlorotUniform { gain } => {
                vec![("gain", Number(gain))]
            }
            Kind::KaimingUniform {
                a,
                mode,
                nonlinearity,
            }
            | Kind::KaimingNormal {
                a,
                mode,
                nonlinearity,
            } => vec![
                ("a", Number(a)),
                ("mode", Word(mode.name())),
                ("nonlinearity", Word(nonlinearity.name())),
            ],
            Kind::VarianceScaling {
                scale,
                mode,
                distribution,
            } => vec![
                ("scale", Number(scale)),
                ("mode", Word(mode.name())),
                ("distribution", Word(distribution.name())),
            ],
        }
    }
}

/// A parameter value, as printed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Parameter {
    /// A number.
    Number(f64),
    /// A word such as `fan_in` or `relu`.
    Word(&'static str),
}

impl fmt::Display for Parameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Parameter::Number(x) => f.write_str(&format_number(*x)),
            Parameter::Word(w) => f.write_str(w),
        }
    }
}

/// Keras 3 `VarianceScaling.__call__` / JAX `variance_scaling`, in their operation order.
///
/// ```text
/// variance = scale / fan_mode
/// truncated_normal:    N(0, σ'²) cut to ±2σ',  σ' = √variance / c,  c = std of N(0,1) on [−2, 2]
/// untruncated_normal:  N(0, variance)
/// uniform:             U(±√(3·variance))
/// ```
fn variance_scaling_law(
    scale: f64,
    mode: FanMode,
    distribution: Distribution,
    fans: &Fans,
) -> Result<Law> {
    let variance = scale / fans.get(mode);
    Ok(match distribution {
        Distribution::TruncatedNormal => {
            let std = variance.sqrt() / truncated_std_factor(2.0)?;
            Law::TruncatedNormal(TruncatedNormal::new(0.0, std, -2.0 * std, 2.0 * std)?)
        }
        Distribution::UntruncatedNormal => Law::Normal(Normal::new(0.0, variance.sqrt())?),
        Distribution::Uniform => Law::Uniform(Uniform::symmetric((3.0 * variance).sqrt())?),
    })
}

/// Collects and validates the `key=value` pairs of one scheme.
struct Params {
    scheme: &'static str,
    given: Vec<(String, String)>,
}

impl Params {
    fn new(
        scheme: &'static str,
        accepted: &'static [&'static str],
        given: Vec<(String, String)>,
    ) -> Result<Params> {
        for (i, (key, _)) in given.iter().enumerate() {
            if !accepted.contains(&key.as_str()) {
                return Err(Error::UnknownParameter {
                    scheme,
                    key: key.clone(),
                    accepted,
                });
            }
            if given[..i].iter().any(|(k, _)| k == key) {
                return Err(Error::DuplicateParameter {
                    scheme,
                    key: key.clone(),
                });
            }
        }
        Ok(Params { scheme, given })
    }

    fn raw(&self, key: &str) -> Option<&str> {
        self.given
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn number(&self, key: &'static str, default: Option<f64>) -> Result<f64> {
        let Some(text) = self.raw(key) else {
            return default.ok_or(Error::MissingParameter {
                scheme: self.scheme,
                key,
            });
        };
        let value: f64 = text.parse().map_err(|_| Error::MalformedNumber {
            key: key.to_string(),
            text: text.to_string(),
        })?;
        finite(key, value)
    }

    fn word<T>(
        &self,
        key: &'static str,
        default: T,
        accepted: &'static [&'static str],
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<T> {
        match self.raw(key) {
            None => Ok(default),
            Some(text) => parse(text).ok_or_else(|| Error::UnknownChoice {
                key,
                value: text.to_string(),
                accepted,
            }),
        }
    }

    fn mode(&self, accepted: &'static [&'static str]) -> Result<FanMode> {
        self.word("mode", FanMode::FanIn, accepted, |text| {
            FanMode::from_name(text).filter(|mode| accepted.contains(&mode.name()))
        })
    }

    fn nonlinearity(&self) -> Result<Nonlinearity> {
        self.word(
            "nonlinearity",
            Nonlinearity::LeakyRelu,
            Nonlinearity::NAMES,
            Nonlinearity::from_name,
        )
    }
}

impl FromStr for Scheme {
    type Err = Error;

    /// Parses the grammar of docs/SPEC.md §6; see [`crate::grammar`].
    fn from_str(text: &str) -> Result<Scheme> {
        let raw = grammar::split(text)?;
        let name = SCHEME_NAMES
            .iter()
            .copied()
            .find(|n| *n == raw.name)
            .ok_or_else(|| Error::UnknownScheme {
                name: raw.name.clone(),
            })?;
        let params =
            |accepted: &'static [&'static str]| Params::new(name, accepted, raw.params.clone());
        const KAIMING: &[&str] = &["a", "mode", "nonlinearity"];
        const KAIMING_MODES: &[&str] = &["fan_in", "fan_out"];
        match name {
            "zeros" | "ones" | "glorot_normal" | "he_normal" | "he_uniform" | "lecun_normal"
            | "lecun_uniform" | "eye" => {
                params(&[])?;
                Ok(match name {
                    "zeros" => Scheme::zeros(),
                    "ones" => Scheme::ones(),
                    "eye" => Scheme::eye(),
                    "glorot_normal" => Scheme::glorot_normal(),
                    "he_normal" => Scheme::he_normal(),
                    "he_uniform" => Scheme::he_uniform(),
                    "lecun_normal" => Scheme::lecun_normal(),
                    _ => Scheme::lecun_uniform(),
                })
            }
            "constant" => Scheme::constant(params(&["value"])?.number("value", None)?),
            "uniform" => {
                let p = params(&["a", "b"])?;
                Scheme::uniform(p.number("a", Some(0.0))?, p.number("b", Some(1.0))?)
            }
            "normal" => {
                let p = params(&["mean", "std"])?;
                Scheme::normal(p.number("mean", Some(0.0))?, p.number("std", Some(1.0))?)
            }
            "trunc_normal" => {
                let p = params(&["mean", "std", "a", "b"])?;
                Scheme::trunc_normal(
                    p.number("mean", Some(0.0))?,
                    p.number("std", Some(1.0))?,
                    p.number("a", Some(-2.0))?,
                    p.number("b", Some(2.0))?,
                )
            }
            "truncated_normal" => {
                let p = params(&["mean", "stddev", "lower", "upper"])?;
                Scheme::truncated_normal(
                    p.number("mean", Some(0.0))?,
                    p.number("stddev", Some(0.05))?,
                    p.number("lower", Some(-2.0))?,
                    p.number("upper", Some(2.0))?,
                )
            }
            "xavier_uniform" => {
                Scheme::xavier_uniform(params(&["gain"])?.number("gain", Some(1.0))?)
            }
            "glorot_uniform" => {
                Scheme::glorot_uniform(params(&["gain"])?.number("gain", Some(1.0))?)
            }
            "xavier_normal" => Scheme::xavier_normal(params(&["gain"])?.number("gain", Some(1.0))?),
            "orthogonal" => Scheme::orthogonal(params(&["gain"])?.number("gain", Some(1.0))?),
            "delta_orthogonal" => {
                Scheme::delta_orthogonal(params(&["gain"])?.number("gain", Some(1.0))?)
            }
            "dirac" => {
                let groups = params(&["groups"])?.number("groups", Some(1.0))?;
                if !(groups >= 1.0 && groups == groups.trunc() && groups <= u32::MAX as f64) {
                    return Err(Error::NotACount {
                        key: "groups",
                        value: groups,
                    });
                }
                Scheme::dirac(groups as usize)
            }
            "sparse" => {
                let p = params(&["sparsity", "std"])?;
                Scheme::sparse(p.number("sparsity", None)?, p.number("std", Some(0.01))?)
            }
            "kaiming_uniform" | "kaiming_normal" => {
                let p = params(KAIMING)?;
                let a = p.number("a", Some(0.0))?;
                let mode = p.mode(KAIMING_MODES)?;
                let nonlinearity = p.nonlinearity()?;
                if name == "kaiming_uniform" {
                    Scheme::kaiming_uniform(a, mode, nonlinearity)
                } else {
                    Scheme::kaiming_normal(a, mode, nonlinearity)
                }
            }
            _ => {
                let p = params(&["scale", "mode", "distribution"])?;
                let scale = p.number("scale", Some(1.0))?;
                let mode = p.mode(FanMode::NAMES)?;
                if p.raw("distribution")
                    .is_some_and(|d| d.eq_ignore_ascii_case("normal"))
                {
                    return Err(Error::UnknownChoice {
                        key: "distribution",
                        value: "normal (ambiguous: truncated in Keras, untruncated in JAX)".into(),
                        accepted: Distribution::NAMES,
                    });
                }
                let distribution = p.word(
                    "distribution",
                    Distribution::TruncatedNormal,
                    Distribution::NAMES,
                    Distribution::from_name,
                )?;
                Scheme::variance_scaling(scale, mode, distribution)
            }
        }
    }
}

impl fmt::Display for Scheme {
    /// The canonical string: the name, then the parameters that differ from their defaults
    /// (every parameter of `constant`, which has no default).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let defaults = match self.kind {
            Kind::Constant { .. } => None,
            _ => self.name().parse::<Scheme>().ok(),
        };
        let default_params = defaults.map(|s| s.parameters()).unwrap_or_default();
        let shown: Vec<String> = self
            .parameters()
            .into_iter()
            .filter(|(key, value)| {
                !default_params
                    .iter()
                    .any(|(k, v)| k == key && v.to_string() == value.to_string())
            })
            .map(|(key, value)| format!("{key}={value}"))
            .collect();
        if shown.is_empty() {
            f.write_str(self.name())
        } else {
            write!(f, "{}({})", self.name(), shown.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn law(text: &str, fan_in: u64, fan_out: u64) -> Law {
        text.parse::<Scheme>()
            .unwrap()
            .law(&Fans::new(fan_in, fan_out).unwrap())
            .unwrap()
    }

    fn bound(law: Law) -> f64 {
        match law {
            Law::Uniform(u) => {
                assert_eq!(u.a(), -u.b());
                u.b()
            }
            other => panic!("not uniform: {other}"),
        }
    }

    fn std(law: Law) -> f64 {
        match law {
            Law::Normal(n) => {
                assert_eq!(n.mean(), 0.0);
                n.std()
            }
            other => panic!("not normal: {other}"),
        }
    }

    // Exact values: the same f64 operations as torch.nn.init / keras, evaluated in Python.
    #[test]
    fn pytorch_schemes_reproduce_torch_values() {
        // math.sqrt(3.0) * (1.0 * math.sqrt(2.0 / float(784 + 256)))
        assert_eq!(bound(law("xavier_uniform", 784, 256)), 0.07595545253127499);
        // keras: math.sqrt(3.0 * (1.0 / max(1.0, (784 + 256) / 2.0))), one ulp from torch's value
        assert_eq!(bound(law("glorot_uniform", 784, 256)), 0.075955452531275);
        assert_eq!(
            std(law("xavier_normal(gain=2)", 784, 256)),
            0.08770580193070292
        );
        // nn.Linear default: kaiming_uniform_(a=math.sqrt(5)) = U(±1/√fan_in) up to rounding
        let default = bound(law("kaiming_uniform(a=2.23606797749979)", 96, 40));
        assert!((default - 1.0 / 96f64.sqrt()).abs() < 1e-16);
        // He: math.sqrt(3.0) * (math.sqrt(2.0) / math.sqrt(784))
        assert_eq!(bound(law("kaiming_uniform", 784, 256)), 0.08748177652797065);
        assert_eq!(
            std(law("kaiming_normal(nonlinearity=relu)", 784, 256)),
            0.05050762722761054
        );
        assert_eq!(
            std(law(
                "kaiming_normal(mode=fan_out, nonlinearity=relu)",
                784,
                256
            )),
            0.08838834764831845
        );
        assert_eq!(
            std(law("kaiming_normal(nonlinearity=tanh)", 96, 40)),
            0.17010345435994295
        );
        assert_eq!(
            std(law(
                "kaiming_normal(nonlinearity=leaky_relu, a=0.2)",
                96,
                40
            )),
            0.14153462926807447
        );
    }

    #[test]
    fn keras_schemes_have_exact_variance() {
        for (text, want) in [
            ("he_normal", 2.0 / 96.0),
            ("lecun_normal", 1.0 / 96.0),
            ("glorot_normal", 2.0 / 136.0),
            ("he_uniform", 2.0 / 96.0),
            ("lecun_uniform", 1.0 / 96.0),
            (
                "variance_scaling(scale=3, mode=fan_out, distribution=untruncated_normal)",
                3.0 / 40.0,
            ),
            (
                "variance_scaling(mode=fan_geo_avg, distribution=uniform)",
                1.0 / 3840f64.sqrt(),
            ),
            ("variance_scaling(scale=0.5, mode=fan_avg)", 0.5 / 68.0),
        ] {
            let law = law(text, 96, 40);
            assert!(
                ((law.variance() - want) / want).abs() < 1e-14,
                "{text}: {}",
                law.variance()
            );
            assert!(law.mean().abs() < 1e-18);
        }
        // keras: limit = math.sqrt(3.0 * (2.0 / max(1.0, 96)))
        assert_eq!(bound(law("he_uniform", 96, 40)), 0.25);
        match law("he_normal", 96, 40) {
            Law::TruncatedNormal(t) => {
                // keras: math.sqrt(2/96) / 0.87962566103423978, cut at ±2 stddev
                let keras = (2.0f64 / 96.0).sqrt() / 0.879_625_661_034_239_8;
                assert!((t.parent_std() - keras).abs() <= 2.0 * f64::EPSILON * keras);
                assert_eq!(t.b(), 2.0 * t.parent_std());
                assert_eq!(t.a(), -t.b());
            }
            other => panic!("{other}"),
        }
    }

    #[test]
    fn base_schemes_and_their_units() {
        assert_eq!(law("zeros", 3, 4).to_string(), "constant(value=0)");
        assert_eq!(law("ones", 3, 4).to_string(), "constant(value=1)");
        assert_eq!(law("uniform", 3, 4).to_string(), "uniform(a=0, b=1)");
        assert_eq!(
            law("normal(std=0.01)", 3, 4).to_string(),
            "normal(mean=0, std=0.01)"
        );
        // PyTorch: absolute bounds, so std=0.02 keeps the default ±2 (±100σ).
        assert_eq!(
            law("trunc_normal(std=0.02)", 3, 4).to_string(),
            "trunc_normal(mean=0, std=0.02, a=-2, b=2)"
        );
        // Keras/JAX: bounds in std units around the mean.
        assert_eq!(
            law(
                "truncated_normal(mean=1, stddev=0.5, lower=-1, upper=3)",
                3,
                4
            )
            .to_string(),
            "trunc_normal(mean=1, std=0.5, a=0.5, b=2.5)"
        );
        assert_eq!(
            law("truncated_normal", 3, 4).to_string(),
            "trunc_normal(mean=0, std=0.05, a=-0.1, b=0.1)"
        );
    }

    #[test]
    fn schemes_print_canonically_and_parse_back() {
        for (text, canonical) in [
            ("zeros", "zeros"),
            ("constant(value=0.5)", "constant(value=0.5)"),
            ("uniform(b=1)", "uniform"),
            ("uniform(a=-1)", "uniform(a=-1)"),
            ("glorot_uniform(gain=1.5)", "glorot_uniform(gain=1.5)"),
            (
                "kaiming_normal(nonlinearity=relu, mode=FAN_OUT)",
                "kaiming_normal(mode=fan_out, nonlinearity=relu)",
            ),
            (
                "kaiming_uniform(nonlinearity=conv2d)",
                "kaiming_uniform(nonlinearity=linear)",
            ),
            (
                "variance_scaling(distribution=uniform, scale=2)",
                "variance_scaling(scale=2, distribution=uniform)",
            ),
            (
                "trunc_normal(a=-3e-2, b=0.03, std=1e-2)",
                "trunc_normal(std=0.01, a=-0.03, b=0.03)",
            ),
            ("he_normal()", "he_normal"),
        ] {
            let scheme: Scheme = text.parse().unwrap();
            assert_eq!(scheme.to_string(), canonical, "{text}");
            assert_eq!(canonical.parse::<Scheme>().unwrap(), scheme);
        }
    }

    #[test]
    fn bad_schemes_are_errors_that_name_the_problem() {
        let err = |text: &str| text.parse::<Scheme>().unwrap_err();
        assert!(matches!(err("xavier"), Error::UnknownScheme { .. }));
        assert!(matches!(
            err("normal(sigma=1)"),
            Error::UnknownParameter { .. }
        ));
        assert!(matches!(
            err("he_normal(scale=2)"),
            Error::UnknownParameter { .. }
        ));
        assert!(matches!(
            err("normal(std=1, std=2)"),
            Error::DuplicateParameter { .. }
        ));
        assert!(matches!(
            err("constant"),
            Error::MissingParameter { key: "value", .. }
        ));
        assert!(matches!(
            err("normal(std=abc)"),
            Error::MalformedNumber { .. }
        ));
        assert!(matches!(
            err("normal(std=1.0.0)"),
            Error::MalformedNumber { .. }
        ));
        assert!(matches!(
            err("normal(std=nan)"),
            Error::NonFinite { key: "std", .. }
        ));
        assert!(matches!(
            err("normal(mean=inf)"),
            Error::NonFinite { key: "mean", .. }
        ));
        assert!(matches!(
            err("normal(std=0)"),
            Error::NotPositive { key: "std", .. }
        ));
        assert!(matches!(err("normal(std=-1)"), Error::NotPositive { .. }));
        assert!(matches!(
            err("uniform(a=1, b=1)"),
            Error::EmptyInterval { .. }
        ));
        assert!(matches!(
            err("uniform(a=2, b=1)"),
            Error::EmptyInterval { .. }
        ));
        assert!(matches!(
            err("trunc_normal(a=3, b=-3)"),
            Error::EmptyInterval { .. }
        ));
        assert!(matches!(
            err("trunc_normal(a=40, b=41)"),
            Error::NegligibleMass { .. }
        ));
        assert!(matches!(
            err("truncated_normal(stddev=0)"),
            Error::NotPositive { key: "stddev", .. }
        ));
        assert!(matches!(
            err("truncated_normal(lower=2, upper=1)"),
            Error::EmptyInterval {
                low_key: "lower",
                ..
            }
        ));
        assert!(matches!(
            err("xavier_uniform(gain=0)"),
            Error::NotPositive { key: "gain", .. }
        ));
        assert!(matches!(
            err("xavier_normal(gain=-1)"),
            Error::NotPositive { key: "gain", .. }
        ));
        assert!(matches!(
            err("kaiming_uniform(mode=fan_avg)"),
            Error::UnknownChoice { key: "mode", .. }
        ));
        assert!(matches!(
            err("kaiming_uniform(nonlinearity=gelu)"),
            Error::UnknownChoice { .. }
        ));
        assert!(matches!(
            err("kaiming_normal(a=inf)"),
            Error::NonFinite { key: "a", .. }
        ));
        assert!(matches!(
            err("variance_scaling(scale=0)"),
            Error::NotPositive { key: "scale", .. }
        ));
        assert!(matches!(
            err("variance_scaling(mode=fan)"),
            Error::UnknownChoice { .. }
        ));
        assert!(matches!(
            err("variance_scaling(distribution=normal)"),
            Error::UnknownChoice { .. }
        ));
        assert!(matches!(err("normal(std=1"), Error::Syntax { .. }));
        for text in ["xavier", "normal(std=-1)", "constant"] {
            let message = err(text).to_string();
            assert!(!message.contains('\n') && message.len() > 20, "{message}");
        }
    }

    #[test]
    fn overflowing_parameters_fail_at_resolution_not_by_panic() {
        let scheme: Scheme = "xavier_uniform(gain=1e308)".parse().unwrap();
        let e = scheme.law(&Fans::new(1, 1).unwrap()).unwrap_err();
        assert!(
            // √3·gain·√(2/2) is finite; the width b − a = 2·bound overflows.
            matches!(e, Error::DegenerateLaw { quantity: "b - a", value, .. } if value.is_infinite()),
            "{e:?}"
        );
        // The gain √(2/(1 + a²)) underflows to 0: the message names the scheme and the fans,
        // not an internal parameter.
        let scheme: Scheme = "kaiming_uniform(a=1e200)".parse().unwrap();
        let e = scheme.law(&Fans::new(4, 8).unwrap()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "kaiming_uniform(a=1e200) with fan_in 4 and fan_out 8 gives the law's bound = 0, which must be finite and > 0; choose parameters that keep it in range"
        );
        let scheme: Scheme = "kaiming_normal(a=1e200)".parse().unwrap();
        let e = scheme.law(&Fans::new(4, 8).unwrap()).unwrap_err();
        assert!(
            matches!(
                e,
                Error::DegenerateLaw {
                    quantity: "std",
                    ..
                }
            ),
            "{e:?}"
        );
    }

    #[test]
    fn resolve_uses_the_shape() {
        let scheme = Scheme::he_uniform();
        let law = scheme.resolve(&[40, 96], &Layout::OutIn, 1).unwrap();
        assert_eq!(bound(law), 0.25);
        assert!(matches!(
            scheme.resolve(&[96], &Layout::OutIn, 1),
            Err(Error::RankTooLow { .. })
        ));
        assert!(matches!(
            scheme.resolve(&[0, 96], &Layout::OutIn, 1),
            Err(Error::ZeroFan { .. })
        ));
        // Base schemes take any shape, bias vectors and scalars included.
        assert!(
            Scheme::normal(0.0, 1.0)
                .unwrap()
                .resolve(&[7], &Layout::OutIn, 1)
                .is_ok()
        );
        assert!(Scheme::zeros().resolve(&[], &Layout::OutIn, 1).is_ok());
    }

    #[test]
    fn keras_constant_is_computed_not_hard_coded() {
        assert!((truncated_std_factor(2.0).unwrap() - 0.879_625_661_034_239_8).abs() < 1e-16);
        assert!((truncated_std_factor(3.0).unwrap() - 0.986_578_392_558_108_6).abs() < 1e-15);
    }
}

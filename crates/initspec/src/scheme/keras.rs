//! The Keras/JAX family (Keras 3 `keras.initializers`, `jax.nn.initializers`):
//! `variance_scaling` and its presets (`glorot_normal`, `he_normal`, `he_uniform`,
//! `lecun_normal`, `lecun_uniform`: rows of [`super::table`] with fixed arguments),
//! `glorot_uniform` and `truncated_normal`, their constructors and their laws, computed in
//! Keras' order of operations.

use super::Scheme;
use super::params::{Args, Value};
use super::table::row;
use crate::error::{Result, nonempty};
use crate::fans::{FanMode, Fans};
use crate::law::{Law, Normal, TruncatedNormal, Uniform};

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

    /// The distribution spelled `name` (ASCII case ignored).
    pub(crate) fn from_name(name: &str) -> Option<Distribution> {
        [
            Distribution::TruncatedNormal,
            Distribution::UntruncatedNormal,
            Distribution::Uniform,
        ]
        .into_iter()
        .find(|d| d.name().eq_ignore_ascii_case(name))
    }
}

/// Standard deviation of N(0, 1) cut to [−k, k].
///
/// # Formula
/// ```text
/// c(k) = √(1 − 2kφ(k)/(Φ(k) − Φ(−k)))
/// ```
///
/// For k = 2 this is 0.87962566103423978, the constant Keras and JAX divide by.
///
/// # Errors
/// As [`TruncatedNormal::new`] for the interval `[−k, k]`.
pub fn truncated_std_factor(k: f64) -> Result<f64> {
    Ok(TruncatedNormal::new(0.0, 1.0, -k, k)?.variance().sqrt())
}

impl Scheme {
    /// `truncated_normal(mean=0, stddev=0.05, lower=-2, upper=2)`: `N(mean, stddev²)` cut to
    /// `[mean + lower·stddev, mean + upper·stddev]` (bounds in STD units, Keras/JAX), no
    /// variance correction.
    ///
    /// # Errors
    /// Non-finite parameters, `stddev ≤ 0`, `lower ≥ upper`, or an interval without mass.
    pub fn truncated_normal(mean: f64, stddev: f64, lower: f64, upper: f64) -> Result<Scheme> {
        let args = [mean, stddev, lower, upper].map(Value::Number);
        Scheme::new(row!("truncated_normal"), &args)
    }

    /// `glorot_uniform(gain=1)`: the law of [`Scheme::xavier_uniform`], evaluated as Keras'
    /// `GlorotUniform` (`limit = √(3·gain²/fan_avg)`); the two can differ in the last bit.
    ///
    /// # Errors
    /// `gain` not finite or not > 0.
    pub fn glorot_uniform(gain: f64) -> Result<Scheme> {
        Scheme::new(row!("glorot_uniform"), &[Value::Number(gain)])
    }

    /// `glorot_normal` (Keras/JAX): `variance_scaling(1, fan_avg, truncated_normal)`.
    pub fn glorot_normal() -> Scheme {
        Scheme::preset(row!("glorot_normal"))
    }

    /// `he_normal` (Keras/JAX): `variance_scaling(2, fan_in, truncated_normal)`.
    pub fn he_normal() -> Scheme {
        Scheme::preset(row!("he_normal"))
    }

    /// `he_uniform` (Keras/JAX): `variance_scaling(2, fan_in, uniform)`.
    pub fn he_uniform() -> Scheme {
        Scheme::preset(row!("he_uniform"))
    }

    /// `lecun_normal` (Keras/JAX, Flax's default kernel init):
    /// `variance_scaling(1, fan_in, truncated_normal)`.
    pub fn lecun_normal() -> Scheme {
        Scheme::preset(row!("lecun_normal"))
    }

    /// `lecun_uniform` (Keras/JAX): `variance_scaling(1, fan_in, uniform)`.
    pub fn lecun_uniform() -> Scheme {
        Scheme::preset(row!("lecun_uniform"))
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
        let args = [
            Value::Number(scale),
            Value::Mode(mode),
            Value::Distribution(distribution),
        ];
        Scheme::new(row!("variance_scaling"), &args)
    }
}

/// `truncated_normal(mean, stddev, lower, upper)`: bounds in units of `stddev` around `mean`.
///
/// # Formula
/// ```text
/// W ~ N(mean, stddev²) conditioned on [mean + lower·stddev, mean + upper·stddev]
/// ```
pub(super) fn truncated_normal(args: &Args) -> Result<Law> {
    let [mean, stddev, lower, upper] = [0, 1, 2, 3].map(|i| args.number(i));
    nonempty("lower", lower, "upper", upper)?;
    Ok(Law::TruncatedNormal(TruncatedNormal::new(
        mean,
        stddev,
        mean + lower * stddev,
        mean + upper * stddev,
    )?))
}

/// `glorot_uniform(gain)`, as Keras' `GlorotUniform` with `scale = gain²`.
///
/// # Formula
/// ```text
/// variance = gain²/fan_avg,   W ~ U(±√(3·variance))
/// ```
pub(super) fn glorot_uniform(args: &Args, fans: &Fans) -> Result<Law> {
    let gain = args.number(0);
    // keras: scale /= max(1.0, (fan_in + fan_out) / 2.0); limit = math.sqrt(3.0 * scale)
    law_of_variance(
        gain * gain / fans.get(FanMode::FanAvg),
        Distribution::Uniform,
    )
}

/// `variance_scaling(scale, mode, distribution)` and its presets: Keras 3
/// `VarianceScaling.__call__` / JAX `variance_scaling`, in their operation order.
///
/// # Formula
/// ```text
/// variance = scale / fan_mode
/// truncated_normal:    N(0, σ'²) cut to ±2σ',  σ' = √variance / c,  c = std of N(0,1) on [−2, 2]
/// untruncated_normal:  N(0, variance)
/// uniform:             U(±√(3·variance))
/// ```
pub(super) fn variance_scaling(args: &Args, fans: &Fans) -> Result<Law> {
    let (scale, mode, distribution) = (args.number(0), args.mode(1), args.distribution(2));
    law_of_variance(scale / fans.get(mode), distribution)
}

/// The zero-mean law of `distribution` with variance `variance` (see [`variance_scaling`]).
fn law_of_variance(variance: f64, distribution: Distribution) -> Result<Law> {
    Ok(match distribution {
        Distribution::TruncatedNormal => {
            let std = variance.sqrt() / truncated_std_factor(2.0)?;
            Law::TruncatedNormal(TruncatedNormal::new(0.0, std, -2.0 * std, 2.0 * std)?)
        }
        Distribution::UntruncatedNormal => Law::Normal(Normal::new(0.0, variance.sqrt())?),
        Distribution::Uniform => Law::Uniform(Uniform::symmetric((3.0 * variance).sqrt())?),
    })
}

//! The PyTorch family (`torch.nn.init`): `zeros`, `ones`, `constant`, `uniform`, `normal`,
//! `trunc_normal`, `xavier_*` and `kaiming_*`, their constructors and their laws, computed as
//! `torch.nn.init` computes them, down to the order of floating-point operations.
//!
//! Each law function takes its row's arguments ([`Args`]) in the order of the row's parameters
//! in [`super::table`].

use super::Scheme;
use super::params::{Args, Value};
use super::table::row;
use crate::error::Result;
use crate::fans::{FanMode, Fans};
use crate::gain::Nonlinearity;
use crate::law::{Constant, Law, Normal, TruncatedNormal, Uniform};

impl Scheme {
    /// `zeros`: every weight 0 (`constant(value=0)`).
    pub fn zeros() -> Scheme {
        Scheme::preset(row!("zeros"))
    }

    /// `ones`: every weight 1 (`constant(value=1)`).
    pub fn ones() -> Scheme {
        Scheme::preset(row!("ones"))
    }

    /// `constant(value)`.
    ///
    /// # Errors
    /// [`crate::Error::NonFinite`] if `value` is not finite.
    pub fn constant(value: f64) -> Result<Scheme> {
        Scheme::new(row!("constant"), &[Value::Number(value)])
    }

    /// `uniform(a=0, b=1)`: `U(a, b)` (PyTorch `uniform_`).
    ///
    /// # Errors
    /// As [`Uniform::new`].
    pub fn uniform(a: f64, b: f64) -> Result<Scheme> {
        Scheme::new(row!("uniform"), &[Value::Number(a), Value::Number(b)])
    }

    /// `normal(mean=0, std=1)`: `N(mean, std²)`.
    ///
    /// # Errors
    /// As [`Normal::new`].
    pub fn normal(mean: f64, std: f64) -> Result<Scheme> {
        Scheme::new(row!("normal"), &[Value::Number(mean), Value::Number(std)])
    }

    /// `trunc_normal(mean=0, std=1, a=-2, b=2)`: `N(mean, std²)` cut to the ABSOLUTE interval
    /// `[a, b]`, no variance correction (PyTorch `trunc_normal_`).
    ///
    /// # Errors
    /// As [`TruncatedNormal::new`].
    pub fn trunc_normal(mean: f64, std: f64, a: f64, b: f64) -> Result<Scheme> {
        let args = [mean, std, a, b].map(Value::Number);
        Scheme::new(row!("trunc_normal"), &args)
    }

    /// `xavier_uniform(gain=1)`: `U(±gain·√(6/(fan_in + fan_out)))` (Glorot & Bengio 2010),
    /// evaluated as PyTorch's `xavier_uniform_`.
    ///
    /// # Errors
    /// `gain` not finite or not > 0.
    pub fn xavier_uniform(gain: f64) -> Result<Scheme> {
        Scheme::new(row!("xavier_uniform"), &[Value::Number(gain)])
    }

    /// `xavier_normal(gain=1)`: `N(0, gain²·2/(fan_in + fan_out))`, untruncated (PyTorch).
    ///
    /// # Errors
    /// `gain` not finite or not > 0.
    pub fn xavier_normal(gain: f64) -> Result<Scheme> {
        Scheme::new(row!("xavier_normal"), &[Value::Number(gain)])
    }

    /// `kaiming_uniform(a=0, mode=fan_in, nonlinearity=leaky_relu)`: `U(±gain·√(3/fan))` with
    /// `gain = calculate_gain(nonlinearity, a)` (He et al. 2015; PyTorch).
    ///
    /// # Errors
    /// `a` not finite; `mode` other than fan_in/fan_out (PyTorch has no others).
    pub fn kaiming_uniform(a: f64, mode: FanMode, nonlinearity: Nonlinearity) -> Result<Scheme> {
        Scheme::new(
            row!("kaiming_uniform"),
            &kaiming_args(a, mode, nonlinearity),
        )
    }

    /// `kaiming_normal(a=0, mode=fan_in, nonlinearity=leaky_relu)`: `N(0, gain²/fan)` (PyTorch).
    ///
    /// # Errors
    /// As [`Scheme::kaiming_uniform`].
    pub fn kaiming_normal(a: f64, mode: FanMode, nonlinearity: Nonlinearity) -> Result<Scheme> {
        Scheme::new(row!("kaiming_normal"), &kaiming_args(a, mode, nonlinearity))
    }
}

fn kaiming_args(a: f64, mode: FanMode, nonlinearity: Nonlinearity) -> [Value; 3] {
    [
        Value::Number(a),
        Value::Mode(mode),
        Value::Nonlinearity(nonlinearity),
    ]
}

/// `constant(value)`; also `zeros` and `ones`, its presets.
///
/// # Formula
/// ```text
/// W = value
/// ```
pub(super) fn constant(args: &Args) -> Result<Law> {
    Constant::new(args.number(0)).map(Law::Constant)
}

/// `uniform(a, b)`.
///
/// # Formula
/// ```text
/// W ~ U(a, b)
/// ```
pub(super) fn uniform(args: &Args) -> Result<Law> {
    Uniform::new(args.number(0), args.number(1)).map(Law::Uniform)
}

/// `normal(mean, std)`.
///
/// # Formula
/// ```text
/// W ~ N(mean, std²)
/// ```
pub(super) fn normal(args: &Args) -> Result<Law> {
    Normal::new(args.number(0), args.number(1)).map(Law::Normal)
}

/// `trunc_normal(mean, std, a, b)`: absolute bounds, no variance correction.
///
/// # Formula
/// ```text
/// W ~ N(mean, std²) conditioned on [a, b]
/// ```
pub(super) fn trunc_normal(args: &Args) -> Result<Law> {
    let [mean, std, a, b] = [0, 1, 2, 3].map(|i| args.number(i));
    TruncatedNormal::new(mean, std, a, b).map(Law::TruncatedNormal)
}

/// PyTorch's `std = gain * math.sqrt(2.0 / float(fan_in + fan_out))`.
pub(super) fn xavier_std(gain: f64, fans: &Fans) -> f64 {
    gain * (2.0 / (fans.fan_in() as f64 + fans.fan_out() as f64)).sqrt()
}

/// PyTorch's `std = gain / math.sqrt(fan)`, `gain = calculate_gain(nonlinearity, a)`, from the
/// arguments `(a, mode, nonlinearity)`.
fn kaiming_std(args: &Args, fans: &Fans) -> f64 {
    let (a, mode, nonlinearity) = (args.number(0), args.mode(1), args.nonlinearity(2));
    nonlinearity.gain(a) / fans.get(mode).sqrt()
}

/// `xavier_uniform(gain)`, as `xavier_uniform_`.
///
/// # Formula
/// ```text
/// std = gain·√(2/(fan_in + fan_out)),   W ~ U(±√3·std)
/// ```
pub(super) fn xavier_uniform(args: &Args, fans: &Fans) -> Result<Law> {
    let std = xavier_std(args.number(0), fans);
    Uniform::symmetric(3f64.sqrt() * std).map(Law::Uniform)
}

/// `xavier_normal(gain)`, as `xavier_normal_`.
///
/// # Formula
/// ```text
/// W ~ N(0, std²),   std = gain·√(2/(fan_in + fan_out))
/// ```
pub(super) fn xavier_normal(args: &Args, fans: &Fans) -> Result<Law> {
    Normal::new(0.0, xavier_std(args.number(0), fans)).map(Law::Normal)
}

/// `kaiming_uniform(a, mode, nonlinearity)`, as `kaiming_uniform_`.
///
/// # Formula
/// ```text
/// std = gain/√fan_mode,   W ~ U(±√3·std)
/// ```
pub(super) fn kaiming_uniform(args: &Args, fans: &Fans) -> Result<Law> {
    let std = kaiming_std(args, fans);
    Uniform::symmetric(3f64.sqrt() * std).map(Law::Uniform)
}

/// `kaiming_normal(a, mode, nonlinearity)`, as `kaiming_normal_`.
///
/// # Formula
/// ```text
/// W ~ N(0, std²),   std = gain/√fan_mode
/// ```
pub(super) fn kaiming_normal(args: &Args, fans: &Fans) -> Result<Law> {
    Normal::new(0.0, kaiming_std(args, fans)).map(Law::Normal)
}

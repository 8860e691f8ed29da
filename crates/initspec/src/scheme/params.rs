//! A scheme's parameters: what each takes ([`Kind`]), its constraint, its [`Value`]; reading
//! `key=value` text into values ([`parse`]) and validating values ([`Param::check`]), for every
//! row of the table alike.
//!
//! A value is validated once, when a [`Scheme`](super::Scheme) is built from it, whether it
//! came from text or from a constructor such as
//! [`Scheme::normal`](super::Scheme::normal):
//!
//! ```text
//! "normal(std=0)" ─ parse: known key, given once, a finite number or an accepted word ─┐
//! Scheme::normal(0.0, 0.0) ────────────────────────────────────────────────────────────┴─▶
//!   check: each value against its parameter's constraint, in the row's order
//!   ─▶ a base scheme's law is built (cross-parameter rules: a < b, mass of the interval)
//! ```

use std::fmt;

use super::keras::Distribution;
use super::table::Row;
use crate::error::{Error, Result, finite, positive, within};
use crate::fans::FanMode;
use crate::gain::Nonlinearity;
use crate::grammar::format_number;

/// The constraint of a numeric parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Check {
    /// Any finite number.
    Finite,
    /// A finite number `> 0` (std, gain, scale).
    Positive,
    /// A number in `[0, 1]` (sparsity).
    Fraction,
}

/// What a parameter takes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Kind {
    /// A number, with its constraint.
    Number(Check),
    /// A whole number `≥ 1` (`groups`, `n_layer`).
    Count,
    /// A whole number `≥ 0` (`layer_id`, a 0-based position).
    Index,
    /// A fan mode among the accepted names.
    Mode(&'static [&'static str]),
    /// A nonlinearity name ([`Nonlinearity::NAMES`]).
    Nonlinearity,
    /// A `variance_scaling` distribution ([`Distribution::NAMES`]).
    Distribution,
}

/// One parameter of a scheme.
#[derive(Debug)]
pub(crate) struct Param {
    /// The key, as written in `key=value`.
    pub(crate) key: &'static str,
    /// What it takes.
    pub(crate) kind: Kind,
    /// Its default; `None` when it must be given.
    pub(crate) default: Option<Value>,
}

/// The parameters of a scheme, in canonical (printing) order.
#[derive(Debug)]
pub(crate) struct Params {
    /// The keys, for [`Error::UnknownParameter`].
    pub(crate) keys: &'static [&'static str],
    /// The parameters, in the order of `keys`.
    pub(crate) specs: &'static [Param],
}

/// `Params` from one list `"key": KIND [= default], ...`, so that a key is written once.
macro_rules! params {
    (@default) => {
        None
    };
    (@default $default:expr) => {
        Some($default)
    };
    ($($key:literal : $kind:ident $(= $default:expr)?),* $(,)?) => {
        $crate::scheme::params::Params {
            keys: &[$($key),*],
            specs: &[$($crate::scheme::params::Param {
                key: $key,
                kind: $kind,
                default: params!(@default $($default)?),
            }),*],
        }
    };
}
pub(crate) use params;

/// A parameter's value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Value {
    /// A number.
    Number(f64),
    /// A count or an index.
    Count(usize),
    /// A fan mode.
    Mode(FanMode),
    /// A nonlinearity.
    Nonlinearity(Nonlinearity),
    /// A distribution.
    Distribution(Distribution),
}

impl Value {
    /// The value as printed.
    pub(crate) fn parameter(self) -> Parameter {
        match self {
            Value::Number(x) => Parameter::Number(x),
            Value::Count(n) => Parameter::Number(n as f64),
            Value::Mode(mode) => Parameter::Word(mode.name()),
            Value::Nonlinearity(nonlinearity) => Parameter::Word(nonlinearity.name()),
            Value::Distribution(distribution) => Parameter::Word(distribution.name()),
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

/// The most arguments a row's law takes (fixed values and parameters together).
pub(crate) const MAX_ARGS: usize = 4;

/// The arguments of a row's law function: the row's fixed values, then its parameters, in
/// order. A law function reads them by position with the accessor of their kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Args {
    values: [Value; MAX_ARGS],
    len: usize,
}

impl Args {
    /// The arguments `values` (at most [`MAX_ARGS`]; the table's tests check every row).
    pub(crate) fn new(values: &[Value]) -> Args {
        Args {
            values: [Value::Number(0.0); MAX_ARGS],
            len: 0,
        }
        .with(values)
    }

    /// These arguments followed by `values`.
    pub(crate) fn with(mut self, values: &[Value]) -> Args {
        for &value in values {
            self.push(value);
        }
        self
    }

    fn push(&mut self, value: Value) {
        if let Some(slot) = self.values.get_mut(self.len) {
            *slot = value;
            self.len += 1;
        }
    }

    /// The values, in order.
    pub(crate) fn values(&self) -> &[Value] {
        &self.values[..self.len.min(MAX_ARGS)]
    }

    // The accessors below answer a neutral value (NaN, 0, the default word) where a row's law
    // function would read a position of another kind: a mistake in the table, which its tests
    // (every row resolved from its defaults) catch, and which must not panic.

    /// The number at `i`.
    pub(crate) fn number(&self, i: usize) -> f64 {
        match self.values().get(i) {
            Some(Value::Number(x)) => *x,
            _ => f64::NAN,
        }
    }

    /// The count at `i`.
    pub(crate) fn count(&self, i: usize) -> usize {
        match self.values().get(i) {
            Some(Value::Count(n)) => *n,
            _ => 0,
        }
    }

    /// The fan mode at `i`.
    pub(crate) fn mode(&self, i: usize) -> FanMode {
        match self.values().get(i) {
            Some(Value::Mode(mode)) => *mode,
            _ => FanMode::default(),
        }
    }

    /// The nonlinearity at `i`.
    pub(crate) fn nonlinearity(&self, i: usize) -> Nonlinearity {
        match self.values().get(i) {
            Some(Value::Nonlinearity(nonlinearity)) => *nonlinearity,
            _ => Nonlinearity::default(),
        }
    }

    /// The distribution at `i`.
    pub(crate) fn distribution(&self, i: usize) -> Distribution {
        match self.values().get(i) {
            Some(Value::Distribution(distribution)) => *distribution,
            _ => Distribution::default(),
        }
    }
}

impl Kind {
    /// The value of `key=text`.
    ///
    /// # Errors
    /// [`Error::MalformedNumber`], [`Error::NonFinite`], [`Error::NotACount`] and
    /// [`Error::NotAnIndex`] for numbers;
    /// [`Error::UnknownChoice`] for words.
    fn parse(self, key: &'static str, text: &str) -> Result<Value> {
        let number = || -> Result<f64> {
            let value: f64 = text.parse().map_err(|_| Error::MalformedNumber {
                key: key.to_string(),
                text: text.to_string(),
            })?;
            finite(key, value)
        };
        let unknown = |accepted| Error::UnknownChoice {
            key,
            value: text.to_string(),
            accepted,
        };
        match self {
            Kind::Number(_) => number().map(Value::Number),
            Kind::Count => {
                let count = number()?;
                if !(count >= 1.0 && count == count.trunc() && count <= u32::MAX as f64) {
                    return Err(Error::NotACount { key, value: count });
                }
                Ok(Value::Count(count as usize))
            }
            Kind::Index => {
                let index = number()?;
                if !(index >= 0.0 && index == index.trunc() && index <= u32::MAX as f64) {
                    return Err(Error::NotAnIndex { key, value: index });
                }
                // -0 is 0.
                Ok(Value::Count(index as usize))
            }
            Kind::Mode(accepted) => FanMode::from_name(text)
                .filter(|mode| accepted.contains(&mode.name()))
                .map(Value::Mode)
                .ok_or_else(|| unknown(accepted)),
            Kind::Nonlinearity => Nonlinearity::from_name(text)
                .map(Value::Nonlinearity)
                .ok_or_else(|| unknown(Nonlinearity::NAMES)),
            Kind::Distribution => {
                if text.eq_ignore_ascii_case("normal") {
                    return Err(Error::UnknownChoice {
                        key,
                        value: "normal (ambiguous: truncated in Keras, untruncated in JAX)".into(),
                        accepted: Distribution::NAMES,
                    });
                }
                Distribution::from_name(text)
                    .map(Value::Distribution)
                    .ok_or_else(|| unknown(Distribution::NAMES))
            }
        }
    }
}

impl Param {
    /// Checks `value` against the parameter's constraint.
    ///
    /// # Errors
    /// [`Error::NonFinite`], [`Error::NotPositive`], [`Error::OutOfRange`] for numbers;
    /// [`Error::NotPositive`] for a count of 0 (an index may be 0); [`Error::UnknownChoice`]
    /// for a fan mode the scheme does not accept.
    pub(crate) fn check(&self, value: Value) -> Result<()> {
        let key = self.key;
        match (self.kind, value) {
            (Kind::Number(Check::Finite), Value::Number(x)) => finite(key, x).map(drop),
            (Kind::Number(Check::Positive), Value::Number(x)) => positive(key, x).map(drop),
            (Kind::Number(Check::Fraction), Value::Number(x)) => within(key, x, 0.0, 1.0).map(drop),
            (Kind::Count, Value::Count(0)) => Err(Error::NotPositive { key, value: 0.0 }),
            (Kind::Mode(accepted), Value::Mode(mode)) if !accepted.contains(&mode.name()) => {
                Err(Error::UnknownChoice {
                    key,
                    value: mode.name().to_string(),
                    accepted,
                })
            }
            _ => Ok(()),
        }
    }
}

/// The arguments of `row` from the `key=value` pairs `given` (keys lower-cased, values as
/// written): the row's fixed values, then each parameter as given or by default. The values are
/// not yet checked against their constraints ([`Param::check`]).
///
/// # Errors
/// [`Error::UnknownParameter`] and [`Error::DuplicateParameter`], in the order written; then,
/// in the row's order, [`Error::MissingParameter`] and the errors of reading a value.
pub(crate) fn parse(row: &Row, given: &[(String, String)]) -> Result<Args> {
    let params = &row.params;
    for (i, (key, _)) in given.iter().enumerate() {
        if !params.keys.contains(&key.as_str()) {
            return Err(Error::UnknownParameter {
                scheme: row.name,
                key: key.clone(),
                accepted: params.keys,
            });
        }
        if given[..i].iter().any(|(k, _)| k == key) {
            return Err(Error::DuplicateParameter {
                scheme: row.name,
                key: key.clone(),
            });
        }
    }
    let mut args = Args::new(row.fixed);
    for param in params.specs {
        let text = given
            .iter()
            .find(|(k, _)| k == param.key)
            .map(|(_, v)| v.as_str());
        let value = match text {
            Some(text) => param.kind.parse(param.key, text)?,
            None => param.default.ok_or(Error::MissingParameter {
                scheme: row.name,
                key: param.key,
            })?,
        };
        args.push(value);
    }
    Ok(args)
}

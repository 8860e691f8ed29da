//! The registry of schemes: one [`Row`] per name the grammar accepts, the single source of a
//! scheme's name, parameters (keys, kinds and constraints, defaults) and law.
//!
//! Parsing ([`Scheme::from_str`](super::Scheme)), printing, [`Scheme::parameters`](super::Scheme::parameters),
//! [`Scheme::is_structured`](super::Scheme::is_structured), [`Scheme::needs_fans`](super::Scheme::needs_fans),
//! [`Scheme::law`](super::Scheme::law) and [`Scheme::resolve`](super::Scheme::resolve) all read
//! this table; nothing else lists the schemes. Adding a scheme is adding its row here and its
//! law function beside its family ([`super::pytorch`], [`super::keras`], [`super::structured`],
//! [`super::transformer`]).
//!
//! A preset ([`Row::preset`]) is a name for fixed arguments of another row's law, with no
//! parameters of its own: `he_normal` is `variance_scaling(scale=2, mode=fan_in,
//! distribution=truncated_normal)`, `zeros` is `constant(value=0)`.

use super::keras::{self, Distribution};
use super::params::{Args, Check, Kind, Params, Value as V, params};
use super::{pytorch, structured, transformer};
use crate::error::Result;
use crate::fans::{FanMode, Fans, Layout};
use crate::gain::Nonlinearity;
use crate::law::Law;

/// How a row's law is built, and from what.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Builder {
    /// A law of the arguments alone (a base scheme); it is built, and so validated, when the
    /// scheme is.
    Base(fn(&Args) -> Result<Law>),
    /// A law of the arguments and the tensor's fans.
    Fans(fn(&Args, &Fans) -> Result<Law>),
    /// A structured law of the arguments and the tensor's shape, layout and groups.
    Shape(fn(&Args, &[usize], &Layout, usize) -> Result<Law>),
}

/// One scheme name.
#[derive(Debug)]
pub(crate) struct Row {
    /// The name.
    pub(crate) name: &'static str,
    /// Arguments fixed by the name (a preset's), before the parameters.
    pub(crate) fixed: &'static [V],
    /// The parameters a user sets.
    pub(crate) params: Params,
    /// The law.
    pub(crate) law: Builder,
}

impl Row {
    /// A scheme with parameters.
    const fn new(name: &'static str, params: Params, law: Builder) -> Row {
        Row {
            name,
            fixed: &[],
            params,
            law,
        }
    }

    /// A scheme without parameters whose law is `law` of the `fixed` arguments.
    const fn preset(name: &'static str, fixed: &'static [V], law: Builder) -> Row {
        Row {
            name,
            fixed,
            params: params![],
            law,
        }
    }
}

use Builder::{Base, Fans as FanLaw, Shape};

/// Any finite number.
const NUMBER: Kind = Kind::Number(Check::Finite);
/// A finite number > 0.
const POSITIVE: Kind = Kind::Number(Check::Positive);
/// A number in [0, 1].
const FRACTION: Kind = Kind::Number(Check::Fraction);
/// A whole number ≥ 1.
const COUNT: Kind = Kind::Count;
/// A whole number ≥ 0 (a 0-based position).
const INDEX: Kind = Kind::Index;
/// `fan_in` or `fan_out`: PyTorch has no other modes.
const TORCH_MODE: Kind = Kind::Mode(&["fan_in", "fan_out"]);
/// Any [`FanMode`].
const MODE: Kind = Kind::Mode(FanMode::NAMES);
/// Any [`Nonlinearity`].
const NONLINEARITY: Kind = Kind::Nonlinearity;
/// Any [`Distribution`].
const DISTRIBUTION: Kind = Kind::Distribution;

/// `gain=1`, of the Xavier/Glorot and orthogonal schemes.
const GAIN: Params = params!["gain": POSITIVE = V::Number(1.0)];

/// The parameters of `kaiming_uniform` and `kaiming_normal` (PyTorch's defaults).
const KAIMING: Params = params![
    "a": NUMBER = V::Number(0.0),
    "mode": TORCH_MODE = V::Mode(FanMode::FanIn),
    "nonlinearity": NONLINEARITY = V::Nonlinearity(Nonlinearity::LeakyRelu),
];

/// A Keras/JAX preset: `variance_scaling` with a fixed `(scale, mode, distribution)`.
macro_rules! variance_scaling_preset {
    ($name:literal, $scale:expr, $mode:ident, $distribution:ident) => {
        Row::preset(
            $name,
            &[
                V::Number($scale),
                V::Mode(FanMode::$mode),
                V::Distribution(Distribution::$distribution),
            ],
            FanLaw(keras::variance_scaling),
        )
    };
}

/// Every scheme, in the order [`SCHEME_NAMES`] lists them.
pub(crate) static TABLE: &[Row] = ROWS;

/// [`TABLE`] as a constant, for the lookups done at compile time.
const ROWS: &[Row] = &[
    // Base schemes: laws of their parameters alone (docs/SPEC.md §3.1–3.5).
    Row::preset("zeros", &[V::Number(0.0)], Base(pytorch::constant)),
    Row::preset("ones", &[V::Number(1.0)], Base(pytorch::constant)),
    Row::new(
        "constant",
        params!["value": NUMBER],
        Base(pytorch::constant),
    ),
    Row::new(
        "uniform",
        params!["a": NUMBER = V::Number(0.0), "b": NUMBER = V::Number(1.0)],
        Base(pytorch::uniform),
    ),
    Row::new(
        "normal",
        params!["mean": NUMBER = V::Number(0.0), "std": POSITIVE = V::Number(1.0)],
        Base(pytorch::normal),
    ),
    Row::new(
        "trunc_normal",
        // `std > 0` is the law's check (TruncatedNormal::new), made after every bound's
        // finiteness.
        params![
            "mean": NUMBER = V::Number(0.0),
            "std": NUMBER = V::Number(1.0),
            "a": NUMBER = V::Number(-2.0),
            "b": NUMBER = V::Number(2.0),
        ],
        Base(pytorch::trunc_normal),
    ),
    Row::new(
        "truncated_normal",
        params![
            "mean": NUMBER = V::Number(0.0),
            "stddev": POSITIVE = V::Number(0.05),
            "lower": NUMBER = V::Number(-2.0),
            "upper": NUMBER = V::Number(2.0),
        ],
        Base(keras::truncated_normal),
    ),
    // Fan-based schemes (docs/SPEC.md §3.6–3.12).
    Row::new("xavier_uniform", GAIN, FanLaw(pytorch::xavier_uniform)),
    Row::new("glorot_uniform", GAIN, FanLaw(keras::glorot_uniform)),
    Row::new("xavier_normal", GAIN, FanLaw(pytorch::xavier_normal)),
    Row::new("kaiming_uniform", KAIMING, FanLaw(pytorch::kaiming_uniform)),
    Row::new("kaiming_normal", KAIMING, FanLaw(pytorch::kaiming_normal)),
    variance_scaling_preset!("glorot_normal", 1.0, FanAvg, TruncatedNormal),
    variance_scaling_preset!("he_normal", 2.0, FanIn, TruncatedNormal),
    variance_scaling_preset!("he_uniform", 2.0, FanIn, Uniform),
    variance_scaling_preset!("lecun_normal", 1.0, FanIn, TruncatedNormal),
    variance_scaling_preset!("lecun_uniform", 1.0, FanIn, Uniform),
    Row::new(
        "variance_scaling",
        params![
            "scale": POSITIVE = V::Number(1.0),
            "mode": MODE = V::Mode(FanMode::FanIn),
            "distribution": DISTRIBUTION = V::Distribution(Distribution::TruncatedNormal),
        ],
        FanLaw(keras::variance_scaling),
    ),
    // Depth- and width-aware schemes of transformer codebases (docs/SPEC.md §3.13–3.19):
    // every depth, width and layer index an explicit parameter.
    Row::new(
        "scaled_normal",
        params![
            "n_layer": COUNT,
            "std": POSITIVE = V::Number(0.02),
            "residuals": COUNT = V::Count(2),
        ],
        Base(transformer::scaled_normal),
    ),
    Row::new(
        "small_init",
        params!["d": POSITIVE],
        Base(transformer::small_init),
    ),
    Row::new(
        "wang_init",
        params!["d": POSITIVE, "n_layer": COUNT],
        Base(transformer::wang_init),
    ),
    Row::new(
        "mitchell",
        params!["d": POSITIVE, "cutoff": POSITIVE = V::Number(3.0)],
        Base(transformer::mitchell),
    ),
    Row::new(
        "mitchell_out",
        params![
            "d": POSITIVE,
            "layer_id": INDEX,
            "cutoff": POSITIVE = V::Number(3.0),
        ],
        Base(transformer::mitchell_out),
    ),
    Row::new(
        "deepnorm",
        params!["n_layer": COUNT],
        FanLaw(transformer::deepnorm),
    ),
    Row::new(
        "deepnorm_encdec_encoder",
        params!["n_encoder": COUNT, "n_decoder": COUNT],
        FanLaw(transformer::deepnorm_encdec_encoder),
    ),
    Row::new(
        "deepnorm_encdec_decoder",
        params!["n_decoder": COUNT],
        FanLaw(transformer::deepnorm_encdec_decoder),
    ),
    Row::new(
        "t5_q",
        params![
            "d_model": POSITIVE,
            "d_kv": POSITIVE,
            "factor": POSITIVE = V::Number(1.0),
        ],
        Base(transformer::t5_q),
    ),
    Row::new(
        "t5_dense",
        params!["d_in": POSITIVE, "factor": POSITIVE = V::Number(1.0)],
        Base(transformer::t5_dense),
    ),
    Row::new(
        "t5_embedding",
        params!["factor": POSITIVE = V::Number(1.0)],
        Base(transformer::t5_embedding),
    ),
    // Structured schemes: laws of the whole tensor (docs/SPEC.md §7).
    Row::new("orthogonal", GAIN, Shape(structured::orthogonal)),
    Row::new("eye", params![], Shape(structured::eye)),
    Row::new(
        "dirac",
        params!["groups": COUNT = V::Count(1)],
        Shape(structured::dirac),
    ),
    Row::new(
        "delta_orthogonal",
        GAIN,
        Shape(structured::delta_orthogonal),
    ),
    Row::new(
        "sparse",
        params!["sparsity": FRACTION, "std": POSITIVE = V::Number(0.01)],
        Shape(structured::sparse),
    ),
];

/// The names of [`TABLE`], in order.
const NAMES: [&str; ROWS.len()] = {
    let mut names = [""; ROWS.len()];
    let mut i = 0;
    while i < ROWS.len() {
        names[i] = ROWS[i].name;
        i += 1;
    }
    names
};

/// Every scheme name the grammar accepts (aliases included), in the order of the table.
pub const SCHEME_NAMES: &[&str] = &NAMES;

/// The row named `name`.
pub(crate) fn find(name: &str) -> Option<&'static Row> {
    TABLE.iter().find(|row| row.name == name)
}

/// The index of the row named `name`, for [`row!`] at compile time (a name that is not in
/// the table fails the build).
pub(crate) const fn position(name: &str) -> usize {
    let mut i = 0;
    while i < ROWS.len() {
        if str_eq(ROWS[i].name, name) {
            return i;
        }
        i += 1;
    }
    panic!("no such scheme in the table")
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The row named by a string literal, found at compile time.
macro_rules! row {
    ($name:literal) => {{
        const INDEX: usize = $crate::scheme::table::position($name);
        &$crate::scheme::table::TABLE[INDEX]
    }};
}
pub(crate) use row;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheme::Scheme;
    use crate::scheme::params::MAX_ARGS;

    #[test]
    fn names_are_unique_and_listed_in_order() {
        assert_eq!(SCHEME_NAMES.len(), TABLE.len());
        for (i, row) in TABLE.iter().enumerate() {
            assert_eq!(SCHEME_NAMES[i], row.name);
            assert_eq!(position(row.name), i, "{} is not unique", row.name);
            assert!(std::ptr::eq(find(row.name).unwrap(), row));
        }
        assert!(find("xavier").is_none());
    }

    #[test]
    fn every_row_fits_its_arguments_and_keys() {
        for row in TABLE {
            assert!(
                row.fixed.len() + row.params.specs.len() <= MAX_ARGS,
                "{}",
                row.name
            );
            assert!(
                row.fixed.is_empty() || row.params.specs.is_empty(),
                "{}",
                row.name
            );
            let keys: Vec<&str> = row.params.specs.iter().map(|p| p.key).collect();
            assert_eq!(keys, row.params.keys, "{}", row.name);
            for param in row.params.specs {
                if let Some(default) = param.default {
                    assert!(param.check(default).is_ok(), "{}.{}", row.name, param.key);
                }
            }
        }
    }

    #[test]
    fn every_row_resolves_from_its_defaults() {
        // Parameters without a default get 0.5 (counts 1, indices 0); each row resolves on
        // one of these shapes.
        let shapes: [&[usize]; 2] = [&[4, 4, 3], &[4, 4]];
        for row in TABLE {
            let required: Vec<String> = row
                .params
                .specs
                .iter()
                .filter(|p| p.default.is_none())
                .map(|p| match p.kind {
                    Kind::Count => format!("{}=1", p.key),
                    Kind::Index => format!("{}=0", p.key),
                    _ => format!("{}=0.5", p.key),
                })
                .collect();
            let text = format!("{}({})", row.name, required.join(", "));
            let scheme: Scheme = text.parse().unwrap();
            assert_eq!(scheme.name(), row.name);
            let resolved = shapes
                .iter()
                .filter_map(|shape| scheme.resolve(shape, &Layout::OutIn, 1).ok())
                .next();
            let law = resolved.unwrap_or_else(|| panic!("{text} resolves on no shape"));
            assert!(law.variance().is_finite(), "{text}: {law}");
        }
    }
}

//! [`Scheme`]: a user's request, in the grammar of docs/SPEC.md §6, resolved to a [`Law`] for fans.
//!
//! Names carry the semantics of the ecosystem they come from: PyTorch names (`xavier_*`,
//! `kaiming_*`, `trunc_normal`) compute their laws exactly as `torch.nn.init` does, down to
//! the order of floating-point operations; Keras/JAX names (`glorot_normal`, `he_*`,
//! `lecun_*`, `truncated_normal`, `variance_scaling`) as Keras 3 and `jax.nn.initializers`
//! do. docs/SPEC.md derives every row.
//!
//! # Layout of the module
//! - `table.rs`: the registry, one row per name: its parameters (keys, kinds and constraints,
//!   defaults) and the function that builds its law. Everything below reads it.
//! - `params.rs`: reading `key=value` text into values, and validating values.
//! - `pytorch.rs`, `keras.rs`, `structured.rs`, `transformer.rs`: the families' constructors
//!   ([`Scheme::xavier_uniform`], [`Scheme::scaled_normal`], ...) and law functions.
//! - this file: [`Scheme`] itself, its parsing ([`FromStr`]) and printing ([`fmt::Display`]).

mod keras;
mod params;
mod pytorch;
mod structured;
mod table;
mod transformer;

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::fans::{Fans, Layout, element_count};
use crate::grammar;
use crate::law::Law;
use params::{Args, Value};
use table::{Builder, Row, row};

pub use keras::{Distribution, truncated_std_factor};
pub use params::Parameter;
pub use table::SCHEME_NAMES;

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
#[derive(Clone, Copy)]
pub struct Scheme {
    /// The scheme's row of the table.
    row: &'static Row,
    /// The row's fixed arguments, then its parameters' values.
    args: Args,
}

impl Scheme {
    /// The scheme of `row` with the parameter `values` (in the row's order), validated once:
    /// each value against its parameter's constraint, in order, then, for a base scheme, by
    /// building its law.
    fn new(row: &'static Row, values: &[Value]) -> Result<Scheme> {
        Scheme::checked(row, Args::new(row.fixed).with(values))
    }

    /// `args` (fixed values included) validated as [`Scheme::new`] does.
    fn checked(row: &'static Row, args: Args) -> Result<Scheme> {
        let values = args.values().iter().skip(row.fixed.len());
        for (param, value) in row.params.specs.iter().zip(values) {
            param.check(*value)?;
        }
        let scheme = Scheme { row, args };
        if let Builder::Base(law) = row.law {
            law(&scheme.args).map_err(|e| scheme.derived(e))?;
        }
        Ok(scheme)
    }

    /// `error` of building this base scheme's law, restated as
    /// [`Error::DegenerateParameters`] when it is about a derived quantity rather than a
    /// parameter: a std or bound that is not finite and > 0, under a key that is not one of
    /// the scheme's parameters or with a value other than the parameter's (`small_init(d=1e-310)`
    /// gives std = ∞; `scaled_normal` takes a `std` but its law's std is `std/√(residuals·n_layer)`).
    fn derived(&self, error: Error) -> Error {
        match error {
            Error::NotPositive { key, value } | Error::NonFinite { key, value }
                if !self
                    .parameters()
                    .iter()
                    .any(|&(k, given)| k == key && given == Parameter::Number(value)) =>
            {
                Error::DegenerateParameters {
                    scheme: self.to_string(),
                    quantity: key,
                    value,
                }
            }
            other => other,
        }
    }

    /// The scheme of a row without parameters (a preset), valid by construction.
    fn preset(row: &'static Row) -> Scheme {
        Scheme {
            row,
            args: Args::new(row.fixed),
        }
    }

    /// The scheme of `row` with `values` taken from a law that exists, so valid already.
    fn of_law(row: &'static Row, values: &[Value]) -> Scheme {
        Scheme {
            row,
            args: Args::new(values),
        }
    }

    /// The scheme's name.
    pub fn name(&self) -> &'static str {
        self.row.name
    }

    /// Whether the scheme describes a whole tensor (orthogonal, eye, dirac,
    /// delta_orthogonal, sparse): its law needs the tensor's shape, not just its fans.
    pub fn is_structured(&self) -> bool {
        matches!(self.row.law, Builder::Shape(_))
    }

    /// Whether the law depends on the tensor's fans (and so needs rank ≥ 2). Structured
    /// schemes ([`Scheme::is_structured`]) need the whole shape instead and answer `false`.
    pub fn needs_fans(&self) -> bool {
        matches!(self.row.law, Builder::Fans(_))
    }

    /// The law of a scheme that does not depend on fans.
    ///
    /// # Errors
    /// [`Error::NeedsFans`] for a fan-based scheme; [`Error::NeedsShape`] for a structured
    /// one; constructor errors of the law.
    pub fn base_law(&self) -> Result<Law> {
        match self.row.law {
            Builder::Base(law) => law(&self.args),
            Builder::Fans(_) => Err(Error::NeedsFans {
                scheme: self.name(),
            }),
            Builder::Shape(_) => Err(Error::NeedsShape {
                scheme: self.name(),
            }),
        }
    }

    /// The exact law of this scheme for a tensor with `fans`.
    ///
    /// # Errors
    /// [`Error::NeedsShape`] for a structured scheme (use [`Scheme::resolve`]); otherwise only
    /// when a bound or std overflows `f64` (e.g. `gain = 1e308`).
    pub fn law(&self, fans: &Fans) -> Result<Law> {
        let Builder::Fans(law) = self.row.law else {
            return self.base_law();
        };
        // The scheme's own parameters were validated when it was built, so a bound or std
        // that is not finite and > 0 here comes from the fans: say so with the scheme.
        law(&self.args, fans).map_err(|e| match e {
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

    /// The law for a tensor of `shape` in `layout` with `groups`: base schemes for any
    /// shape, fan-based schemes from the shape's fans, structured schemes from the shape
    /// itself (an empty shape gives an empty structured tensor).
    ///
    /// # Errors
    /// Fan errors ([`Fans::of_shape`]) for fan-based schemes, including [`Error::ZeroFan`]
    /// for an empty tensor; [`Error::ElementCountOverflow`] for any scheme; for structured
    /// schemes the rank, layout and groups errors of their laws
    /// ([`Orthogonal::of_shape`](crate::law::Orthogonal::of_shape),
    /// [`Eye::of_shape`](crate::law::Eye::of_shape),
    /// [`Dirac::of_shape`](crate::law::Dirac::of_shape),
    /// [`DeltaOrthogonal::of_shape`](crate::law::DeltaOrthogonal::of_shape),
    /// [`Sparse::of_shape`](crate::law::Sparse::of_shape)).
    pub fn resolve(&self, shape: &[usize], layout: &Layout, groups: usize) -> Result<Law> {
        element_count(shape)?;
        match self.row.law {
            Builder::Shape(law) => law(&self.args, shape, layout, groups),
            Builder::Fans(_) => self.law(&Fans::of_shape(shape, layout, groups)?),
            Builder::Base(law) => law(&self.args),
        }
    }

    /// The base scheme whose law is `law` (`uniform(a, b)`, `normal(mean, std)`,
    /// `trunc_normal(mean, std, a, b)`, `constant(value)`); for a structured law its scheme
    /// (`orthogonal(gain)`, `eye`, `dirac(groups)`, `delta_orthogonal(gain)`,
    /// `sparse(sparsity, std)`).
    pub fn from_law(law: &Law) -> Scheme {
        use Value::Number;
        match law {
            Law::Constant(c) => Scheme::of_law(row!("constant"), &[Number(c.value())]),
            Law::Uniform(u) => Scheme::of_law(row!("uniform"), &[Number(u.a()), Number(u.b())]),
            Law::Normal(n) => Scheme::of_law(row!("normal"), &[Number(n.mean()), Number(n.std())]),
            Law::TruncatedNormal(t) => {
                let values = [t.parent_mean(), t.parent_std(), t.a(), t.b()].map(Number);
                Scheme::of_law(row!("trunc_normal"), &values)
            }
            Law::Orthogonal(o) => Scheme::of_law(row!("orthogonal"), &[Number(o.gain())]),
            Law::Eye(_) => Scheme::preset(row!("eye")),
            Law::Dirac(d) => Scheme::of_law(row!("dirac"), &[Value::Count(d.groups())]),
            Law::DeltaOrthogonal(d) => {
                Scheme::of_law(row!("delta_orthogonal"), &[Number(d.gain())])
            }
            Law::Sparse(s) => {
                Scheme::of_law(row!("sparse"), &[Number(s.sparsity()), Number(s.std())])
            }
        }
    }

    /// Parameters in canonical order with their values, defaults included.
    pub fn parameters(&self) -> Vec<(&'static str, Parameter)> {
        let values = self.args.values().iter().skip(self.row.fixed.len());
        self.row
            .params
            .specs
            .iter()
            .zip(values)
            .map(|(param, value)| (param.key, value.parameter()))
            .collect()
    }
}

impl PartialEq for Scheme {
    fn eq(&self, other: &Scheme) -> bool {
        self.row.name == other.row.name && self.args == other.args
    }
}

impl fmt::Debug for Scheme {
    /// `Scheme { name: "kaiming_normal", a: Number(0.0), ... }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("Scheme");
        out.field("name", &self.row.name);
        for (key, value) in self.parameters() {
            out.field(key, &value);
        }
        out.finish()
    }
}

impl FromStr for Scheme {
    type Err = Error;

    /// Parses the grammar of docs/SPEC.md §6; see [`crate::grammar`].
    fn from_str(text: &str) -> Result<Scheme> {
        let raw = grammar::split(text)?;
        let row = table::find(&raw.name).ok_or_else(|| Error::UnknownScheme {
            name: raw.name.clone(),
        })?;
        Scheme::checked(row, params::parse(row, &raw.params)?)
    }
}

impl fmt::Display for Scheme {
    /// The canonical string: the name, then the parameters that differ from their defaults
    /// (every parameter of a scheme with a parameter that has no default: `constant`,
    /// `sparse`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let specs = self.row.params.specs;
        let all = specs.iter().any(|param| param.default.is_none());
        let values = self.args.values().iter().skip(self.row.fixed.len());
        let shown: Vec<String> = specs
            .iter()
            .zip(values)
            .filter(|(param, value)| {
                let printed = value.parameter().to_string();
                all || param.default.map(|d| d.parameter().to_string()) != Some(printed)
            })
            .map(|(param, value)| format!("{}={}", param.key, value.parameter()))
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

//! The one error type of the core crate.

use std::fmt;

/// Everything that can be wrong with a scheme string, its parameters, a shape or a layout.
///
/// Each variant is named after the rule that was broken; its `Display` is one line that
/// says what was wrong and what to do about it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// The scheme string does not follow the grammar `name` or `name(key=value, ...)`.
    Syntax {
        /// The text that was parsed.
        input: String,
        /// What was expected where parsing stopped.
        expected: &'static str,
    },
    /// The scheme name is not one of the known schemes.
    UnknownScheme {
        /// The name as written.
        name: String,
    },
    /// A `key=value` pair names a parameter the scheme does not have.
    UnknownParameter {
        /// The scheme.
        scheme: &'static str,
        /// The key as written.
        key: String,
        /// The parameters the scheme accepts.
        accepted: &'static [&'static str],
    },
    /// The same parameter was given twice.
    DuplicateParameter {
        /// The scheme.
        scheme: &'static str,
        /// The repeated key.
        key: String,
    },
    /// A parameter without a default was not given.
    MissingParameter {
        /// The scheme.
        scheme: &'static str,
        /// The key that must be given.
        key: &'static str,
    },
    /// A numeric parameter is not a number in Rust float syntax.
    MalformedNumber {
        /// The parameter.
        key: String,
        /// The text that failed to parse.
        text: String,
    },
    /// A parameter that takes a word (mode, nonlinearity, distribution) has an unknown value.
    UnknownChoice {
        /// The parameter.
        key: &'static str,
        /// The value as written.
        value: String,
        /// The accepted values.
        accepted: &'static [&'static str],
    },
    /// A parameter is NaN or infinite.
    NonFinite {
        /// The parameter.
        key: &'static str,
        /// The offending value.
        value: f64,
    },
    /// A parameter that must be strictly positive (std, gain, scale) is not: `!(value > 0)`.
    NotPositive {
        /// The parameter.
        key: &'static str,
        /// The offending value.
        value: f64,
    },
    /// An interval is empty: `!(low < high)`.
    EmptyInterval {
        /// Name of the lower bound.
        low_key: &'static str,
        /// The lower bound.
        low: f64,
        /// Name of the upper bound.
        high_key: &'static str,
        /// The upper bound.
        high: f64,
    },
    /// A parameter lies outside its allowed closed range `[min, max]`.
    OutOfRange {
        /// The parameter.
        key: &'static str,
        /// The offending value.
        value: f64,
        /// Lower end of the allowed range.
        min: f64,
        /// Upper end of the allowed range.
        max: f64,
    },
    /// A truncated normal whose interval holds (numerically) no probability mass:
    /// `Φ(β) − Φ(α)` underflows to 0 in f64.
    NegligibleMass {
        /// Standardized lower bound α = (a − mean)/std.
        alpha: f64,
        /// Standardized upper bound β = (b − mean)/std.
        beta: f64,
    },
    /// A fan-based scheme's parameters and a tensor's fans give a law quantity (a bound or a
    /// standard deviation) that is not finite and > 0, e.g. `kaiming_uniform(a=1e200)`,
    /// whose gain `√(2/(1 + a²))` underflows to 0.
    DegenerateLaw {
        /// The scheme as written back by `Display`.
        scheme: String,
        /// The tensor's fan_in.
        fan_in: u64,
        /// The tensor's fan_out.
        fan_out: u64,
        /// The derived quantity, e.g. `bound` or `std`.
        quantity: &'static str,
        /// Its value.
        value: f64,
    },
    /// A fan-based scheme was asked for a tensor of rank below 2.
    RankTooLow {
        /// The rank of the shape.
        rank: usize,
        /// The smallest rank that has fans.
        needed: usize,
    },
    /// The product of the dimensions overflows `u64`/`usize`.
    ElementCountOverflow {
        /// The shape, as given.
        shape: Vec<usize>,
    },
    /// A block of a tensor ([`crate::Sampler::fill_block`]) has not one range per dimension.
    BlockRank {
        /// The tensor's shape.
        shape: Vec<usize>,
        /// The number of ranges given.
        block_rank: usize,
    },
    /// A block's range is reversed or reaches past its dimension.
    BlockOutOfBounds {
        /// The axis.
        axis: usize,
        /// The range's start.
        start: usize,
        /// The range's end (exclusive).
        end: usize,
        /// The dimension along the axis.
        dim: usize,
    },
    /// The output slice does not hold the block exactly.
    BlockOutputLength {
        /// The block's number of elements.
        expected: u64,
        /// The output's length.
        got: usize,
    },
    /// `groups` is zero or does not divide the grouped dimension.
    GroupsDoNotDivide {
        /// The grouped dimension's size.
        dim: usize,
        /// The number of groups.
        groups: usize,
    },
    /// `groups` other than 1 with [`crate::Layout::Axes`], whose axes state the fans directly.
    GroupsWithAxes {
        /// The number of groups given.
        groups: usize,
    },
    /// An explicit axis is out of range or used twice.
    InvalidAxis {
        /// The axis as written (negative axes count from the end).
        axis: isize,
        /// The rank of the shape.
        rank: usize,
    },
    /// A fan is zero although the tensor is not empty, or a fan-based law was requested
    /// for an empty tensor. An empty tensor needs no law: fill it as a no-op.
    ZeroFan {
        /// Which fan ("fan_in", "fan_out", ...).
        which: &'static str,
    },
    /// A layout string is not `out-in`, `in-out`, `transposed` or `axes(in=[..], out=[..], batch=[..])`.
    UnknownLayout {
        /// The layout as written.
        input: String,
    },
    /// A law string names a scheme whose law depends on the tensor's fans.
    NeedsFans {
        /// The scheme.
        scheme: &'static str,
    },
    /// A structured scheme (orthogonal, eye, dirac, ...) was asked for a law without a shape.
    NeedsShape {
        /// The scheme.
        scheme: &'static str,
    },
    /// A count parameter (e.g. `groups`) is not a whole number ≥ 1.
    NotACount {
        /// The parameter.
        key: &'static str,
        /// The value given.
        value: f64,
    },
    /// An index parameter (e.g. `layer_id`, 0-based) is not a whole number from 0 to
    /// 2³² − 1.
    NotAnIndex {
        /// The parameter.
        key: &'static str,
        /// The value given.
        value: f64,
    },
    /// A scheme's parameters alone give a law quantity that is not finite, or a standard
    /// deviation or width that is not > 0, e.g. `small_init(d=1e-310)`, whose std √(2/(5·d))
    /// overflows.
    DegenerateParameters {
        /// The scheme as written back by `Display`.
        scheme: String,
        /// The derived quantity, e.g. `std` or `b`.
        quantity: &'static str,
        /// Its value.
        value: f64,
    },
    /// A structured scheme does not define its law in this layout.
    LayoutUnsupported {
        /// The scheme.
        scheme: &'static str,
        /// The layout given.
        layout: String,
        /// The layouts it accepts, in words.
        accepted: &'static str,
    },
    /// A structured scheme other than `dirac` was given `groups ≠ 1`.
    GroupsUnsupported {
        /// The scheme.
        scheme: &'static str,
        /// The groups given.
        groups: usize,
    },
    /// `dirac(groups=g)` and the tensor's own groups (`--groups`) disagree.
    GroupsConflict {
        /// `groups` of the scheme.
        scheme_groups: usize,
        /// `groups` of the tensor.
        layout_groups: usize,
    },
    /// A structured scheme was asked for a tensor of a rank it does not define.
    RankUnsupported {
        /// The scheme.
        scheme: &'static str,
        /// The rank given.
        rank: usize,
        /// The ranks accepted, in words.
        accepted: &'static str,
    },
    /// `dirac`'s groups are 0 or do not divide the number of output channels `shape[0]`.
    GroupsDoNotDivideChannels {
        /// `shape[0]`.
        out_channels: usize,
        /// The groups given.
        groups: usize,
    },
    /// `delta_orthogonal` needs `in ≤ out` (JAX: "fan_in must be less or equal than fan_out").
    InExceedsOut {
        /// The kernel's input channels.
        in_channels: usize,
        /// The kernel's output channels.
        out_channels: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NeedsShape { scheme } => write!(
                f,
                "`{scheme}` is a structured scheme: its law needs the tensor's shape"
            ),
            Error::NotACount { key, value } => {
                write!(f, "{key} = {value} must be a whole number of at least 1")
            }
            Error::NotAnIndex { key, value } => {
                write!(
                    f,
                    "{key} = {value} must be a whole number of at least 0 (it counts from 0)"
                )
            }
            Error::DegenerateParameters {
                scheme,
                quantity,
                value,
            } => write!(
                f,
                "{scheme} gives the law's {quantity} = {value}, which must be finite (and > 0 for a std or a width); choose parameters that keep it in range"
            ),
            Error::LayoutUnsupported {
                scheme,
                layout,
                accepted,
            } => write!(
                f,
                "`{scheme}` is not defined for layout {layout}; use {accepted}"
            ),
            Error::GroupsUnsupported { scheme, groups } => write!(
                f,
                "`{scheme}` does not take groups (got {groups}); use groups = 1"
            ),
            Error::GroupsConflict {
                scheme_groups,
                layout_groups,
            } => write!(
                f,
                "dirac(groups={scheme_groups}) disagrees with the tensor's groups = {layout_groups}; give one of them"
            ),
            Error::RankUnsupported {
                scheme,
                rank,
                accepted,
            } => write!(
                f,
                "{scheme} needs a tensor of rank {accepted}, got rank {rank}; reshape the tensor"
            ),
            Error::GroupsDoNotDivideChannels {
                out_channels,
                groups,
            } => write!(
                f,
                "groups = {groups} must be at least 1 and divide the {out_channels} output channels"
            ),
            Error::InExceedsOut {
                in_channels,
                out_channels,
            } => write!(
                f,
                "delta_orthogonal needs in ≤ out, got in = {in_channels} > out = {out_channels}; \
                 use a kernel with at least as many output as input channels"
            ),
            Error::Syntax { input, expected } => {
                write!(
                    f,
                    "malformed scheme `{input}`: expected {expected}; write `name` or `name(key=value, ...)`"
                )
            }
            Error::UnknownScheme { name } => write!(
                f,
                "unknown scheme `{name}`; known schemes: {}",
                crate::scheme::SCHEME_NAMES.join(", ")
            ),
            Error::UnknownParameter {
                scheme,
                key,
                accepted,
            } => {
                if accepted.is_empty() {
                    write!(f, "`{scheme}` takes no parameters, but `{key}` was given")
                } else {
                    write!(
                        f,
                        "`{scheme}` has no parameter `{key}`; it accepts: {}",
                        accepted.join(", ")
                    )
                }
            }
            Error::DuplicateParameter { scheme, key } => {
                write!(f, "parameter `{key}` of `{scheme}` is given more than once")
            }
            Error::MissingParameter { scheme, key } => {
                write!(
                    f,
                    "`{scheme}` needs the parameter `{key}`, e.g. `{scheme}({key}=...)`"
                )
            }
            Error::MalformedNumber { key, text } => {
                write!(
                    f,
                    "parameter `{key}`: `{text}` is not a number (use Rust float syntax, e.g. 0.5, -2, 1e-3)"
                )
            }
            Error::UnknownChoice {
                key,
                value,
                accepted,
            } => {
                write!(
                    f,
                    "parameter `{key}`: unknown value `{value}`; accepted: {}",
                    accepted.join(", ")
                )
            }
            Error::NonFinite { key, value } => {
                write!(f, "parameter `{key}` must be finite, got {value}")
            }
            Error::NotPositive { key, value } => {
                write!(f, "parameter `{key}` must be > 0, got {value}")
            }
            Error::EmptyInterval {
                low_key,
                low,
                high_key,
                high,
            } => {
                write!(
                    f,
                    "empty interval: `{low_key}` ({low}) must be < `{high_key}` ({high})"
                )
            }
            Error::OutOfRange {
                key,
                value,
                min,
                max,
            } => {
                write!(
                    f,
                    "parameter `{key}` must lie in [{min}, {max}], got {value}"
                )
            }
            Error::NegligibleMass { alpha, beta } => write!(
                f,
                "the truncation interval [{alpha}σ, {beta}σ] holds no probability mass in double precision; move the bounds toward the mean"
            ),
            Error::DegenerateLaw {
                scheme,
                fan_in,
                fan_out,
                quantity,
                value,
            } => write!(
                f,
                "{scheme} with fan_in {fan_in} and fan_out {fan_out} gives the law's {quantity} = {value}, which must be finite and > 0; choose parameters that keep it in range"
            ),
            Error::RankTooLow { rank, needed } => write!(
                f,
                "fans need a tensor of rank >= {needed}, but the shape has rank {rank}; use a base scheme (uniform, normal, ...) for biases"
            ),
            Error::BlockRank { shape, block_rank } => write!(
                f,
                "the block has {block_rank} ranges but the shape {shape:?} has {} dimensions; give one range per dimension",
                shape.len()
            ),
            Error::BlockOutOfBounds {
                axis,
                start,
                end,
                dim,
            } => write!(
                f,
                "block range {start}..{end} of axis {axis} is not within 0..{dim} (start ≤ end ≤ the dimension)"
            ),
            Error::BlockOutputLength { expected, got } => write!(
                f,
                "the block has {expected} elements but the output holds {got}"
            ),
            Error::ElementCountOverflow { shape } => {
                write!(
                    f,
                    "shape {shape:?} has more elements than fit in 64 bits (counting its non-zero dimensions)"
                )
            }
            Error::GroupsDoNotDivide { dim, groups } => {
                if *groups == 0 {
                    write!(f, "groups must be >= 1")
                } else {
                    write!(
                        f,
                        "groups ({groups}) must divide the grouped dimension ({dim})"
                    )
                }
            }
            Error::GroupsWithAxes { groups } => write!(
                f,
                "groups ({groups}) cannot be combined with explicit axes, which state the fans directly; fold the groups into the axes"
            ),
            Error::InvalidAxis { axis, rank } => {
                write!(
                    f,
                    "axis {axis} is out of range or repeated for a shape of rank {rank}"
                )
            }
            Error::ZeroFan { which } => write!(
                f,
                "{which} is 0: the tensor is empty, and an empty tensor has no law (filling it is a no-op)"
            ),
            Error::UnknownLayout { input } => write!(
                f,
                "unknown layout `{input}`; use out-in, in-out, transposed or axes(in=[..], out=[..], batch=[..])"
            ),
            Error::NeedsFans { scheme } => write!(
                f,
                "`{scheme}` depends on the tensor's fans, so it is not a law by itself; resolve it for a shape"
            ),
        }
    }
}

impl std::error::Error for Error {}

/// The core crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `value` if it is finite, else [`Error::NonFinite`] naming `key`.
pub(crate) fn finite(key: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Error::NonFinite { key, value })
    }
}

/// `value` if it is finite and greater than 0, else [`Error::NonFinite`] or
/// [`Error::NotPositive`] naming `key`.
pub(crate) fn positive(key: &'static str, value: f64) -> Result<f64> {
    finite(key, value)?;
    if value > 0.0 {
        Ok(value)
    } else {
        Err(Error::NotPositive { key, value })
    }
}

/// `Ok` if the interval `[low, high]` is not empty (`low < high`), else
/// [`Error::EmptyInterval`] naming both bounds.
pub(crate) fn nonempty(
    low_key: &'static str,
    low: f64,
    high_key: &'static str,
    high: f64,
) -> Result<()> {
    if low < high {
        Ok(())
    } else {
        Err(Error::EmptyInterval {
            low_key,
            low,
            high_key,
            high,
        })
    }
}

/// `value` if it lies in the closed interval `[min, max]`, else [`Error::OutOfRange`] naming
/// `key` (NaN lies in no interval).
pub(crate) fn within(key: &'static str, value: f64, min: f64, max: f64) -> Result<f64> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(Error::OutOfRange {
            key,
            value,
            min,
            max,
        })
    }
}

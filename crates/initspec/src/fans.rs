//! Where the fans live in a shape: [`Layout`], [`Fans`] and [`FanMode`].
//!
//! The fan-in of a weight is the number of inputs that feed one output unit; the fan-out is
//! the number of outputs one input unit feeds. For a convolution both are multiplied by the
//! receptive field rf = the product of the kernel dims, and with `g` groups each output only
//! sees `in/g` input channels.
//!
//! ```text
//! layout        shape              fan_in              fan_out
//! OutIn         [out, in/g, *k]    shape[1]·rf         shape[0]/g·rf      (PyTorch Linear/Conv)
//! InOut         [*k, in/g, out]    shape[-2]·rf        shape[-1]/g·rf     (Keras, JAX, x @ W)
//! Transposed    [in, out/g, *k]    shape[0]/g·rf       shape[1]·rf        (PyTorch ConvTranspose)
//! Axes          any                Π in_axes·rf        Π out_axes·rf      (JAX variance_scaling; g = 1)
//! ```
//!
//! With `g = 1` and [`Layout::OutIn`] the numbers are exactly PyTorch's
//! `_calculate_fan_in_and_fan_out`; with groups and transposed convolutions PyTorch's are off
//! (docs/SPEC.md, "Fans and layouts").

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// Where the input and output dimensions of a weight tensor are.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Layout {
    /// `[out, in/g, *kernel]`: PyTorch `Linear`, `ConvNd` (the default).
    #[default]
    OutIn,
    /// `[*kernel, in/g, out]`: Keras, JAX/Flax, NumPy `x @ W`.
    InOut,
    /// `[in, out/g, *kernel]`: PyTorch `ConvTransposeNd`.
    Transposed,
    /// Explicit axes, as JAX's `variance_scaling(in_axis, out_axis, batch_axis)`: every dim
    /// that is in none of the lists is part of the receptive field; batch dims count in
    /// neither fan. Negative axes count from the end. The axes state the fans directly, so
    /// `groups` must be 1.
    Axes {
        /// Axes whose product is the input size.
        in_axes: Vec<isize>,
        /// Axes whose product is the output size.
        out_axes: Vec<isize>,
        /// Axes that index independent weights (e.g. stacked layers or heads).
        batch_axes: Vec<isize>,
    },
}

/// Fan-in and fan-out of one tensor, as counts of units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fans {
    fan_in: u64,
    fan_out: u64,
}

/// Which fan a variance-scaling scheme divides by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FanMode {
    /// `fan_in`: preserves the forward signal.
    #[default]
    FanIn,
    /// `fan_out`: preserves the backward (gradient) signal.
    FanOut,
    /// `(fan_in + fan_out) / 2`: Glorot's compromise.
    FanAvg,
    /// `√(fan_in · fan_out)`: JAX's geometric compromise.
    FanGeoAvg,
}

impl FanMode {
    /// Every mode, in declaration order.
    pub const ALL: [FanMode; 4] = [
        FanMode::FanIn,
        FanMode::FanOut,
        FanMode::FanAvg,
        FanMode::FanGeoAvg,
    ];
    /// The accepted spellings, as in the scheme grammar.
    pub const NAMES: &'static [&'static str] = &["fan_in", "fan_out", "fan_avg", "fan_geo_avg"];

    /// The grammar spelling of this mode (`fan_in`, ...).
    pub fn name(self) -> &'static str {
        match self {
            FanMode::FanIn => "fan_in",
            FanMode::FanOut => "fan_out",
            FanMode::FanAvg => "fan_avg",
            FanMode::FanGeoAvg => "fan_geo_avg",
        }
    }

    /// Parses a mode name (case-insensitive, as PyTorch's `mode.lower()`).
    pub fn from_name(name: &str) -> Option<FanMode> {
        FanMode::ALL
            .into_iter()
            .find(|mode| mode.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for FanMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Fans {
    /// Fans given directly (e.g. by a caller that knows its layer).
    ///
    /// # Errors
    /// [`Error::ZeroFan`] if either fan is 0.
    pub fn new(fan_in: u64, fan_out: u64) -> Result<Fans> {
        if fan_in == 0 {
            return Err(Error::ZeroFan { which: "fan_in" });
        }
        if fan_out == 0 {
            return Err(Error::ZeroFan { which: "fan_out" });
        }
        Ok(Fans { fan_in, fan_out })
    }

    /// The fans of a tensor of `shape` in `layout` with `groups` groups.
    ///
    /// A shape with a zero dim has no fans ([`Error::ZeroFan`]): it is an empty tensor, and
    /// filling it is a no-op that needs no law.
    ///
    /// # Errors
    /// [`Error::RankTooLow`] for rank < 2; [`Error::GroupsDoNotDivide`] when `groups` is 0 or
    /// does not divide the grouped dimension; [`Error::InvalidAxis`] for a bad explicit axis;
    /// [`Error::ElementCountOverflow`]; [`Error::ZeroFan`] for an empty tensor.
    ///
    /// # Example
    /// ```
    /// use initspec::{Fans, Layout};
    /// // Conv2d(in=16, out=32, kernel 3x5, groups=4): weight [32, 4, 3, 5]
    /// let fans = Fans::of_shape(&[32, 4, 3, 5], &Layout::OutIn, 4).unwrap();
    /// assert_eq!((fans.fan_in(), fans.fan_out()), (4 * 15, 8 * 15));
    /// ```
    pub fn of_shape(shape: &[usize], layout: &Layout, groups: usize) -> Result<Fans> {
        let (fan_in, fan_out) = raw_fans(shape, layout, groups)?;
        Fans::new(fan_in, fan_out)
    }

    /// The fan-in: inputs per output unit.
    pub fn fan_in(&self) -> u64 {
        self.fan_in
    }

    /// The fan-out: outputs per input unit.
    pub fn fan_out(&self) -> u64 {
        self.fan_out
    }

    /// The fan that `mode` divides by.
    ///
    /// ```text
    /// fan_in | fan_out | (fan_in + fan_out)/2 | √(fan_in · fan_out)
    /// ```
    pub fn get(&self, mode: FanMode) -> f64 {
        let (fan_in, fan_out) = (self.fan_in as f64, self.fan_out as f64);
        match mode {
            FanMode::FanIn => fan_in,
            FanMode::FanOut => fan_out,
            FanMode::FanAvg => (fan_in + fan_out) / 2.0,
            FanMode::FanGeoAvg => (fan_in * fan_out).sqrt(),
        }
    }

    /// The same fans with the roles exchanged.
    pub fn swapped(&self) -> Fans {
        Fans {
            fan_in: self.fan_out,
            fan_out: self.fan_in,
        }
    }
}

/// The number of elements of `shape`.
///
/// # Errors
/// [`Error::ElementCountOverflow`] if the product of the non-zero dimensions does not fit in
/// `u64` (also when another dimension is 0).
pub fn element_count(shape: &[usize]) -> Result<u64> {
    // The product of the non-zero dimensions must fit whether or not a zero empties the
    // tensor: [2³², 2³², 0] and [0, 2³², 2³²] are refused alike, and code that multiplies any
    // subset of a valid shape's dimensions cannot overflow.
    let nonzero = shape
        .iter()
        .filter(|&&dim| dim != 0)
        .try_fold(1u64, |acc, &dim| acc.checked_mul(dim as u64))
        .ok_or_else(|| Error::ElementCountOverflow {
            shape: shape.to_vec(),
        })?;
    Ok(if shape.contains(&0) { 0 } else { nonzero })
}

fn product(dims: impl IntoIterator<Item = usize>, shape: &[usize]) -> Result<u64> {
    dims.into_iter().try_fold(1u64, |acc, dim| {
        acc.checked_mul(dim as u64)
            .ok_or_else(|| Error::ElementCountOverflow {
                shape: shape.to_vec(),
            })
    })
}

fn divide_groups(dim: usize, groups: usize) -> Result<usize> {
    if groups == 0 || !dim.is_multiple_of(groups) {
        return Err(Error::GroupsDoNotDivide { dim, groups });
    }
    Ok(dim / groups)
}

/// Fans as counts, possibly zero (for empty tensors).
fn raw_fans(shape: &[usize], layout: &Layout, groups: usize) -> Result<(u64, u64)> {
    let rank = shape.len();
    if rank < 2 {
        return Err(Error::RankTooLow { rank, needed: 2 });
    }
    element_count(shape)?;
    // (inputs per unit, outputs per unit, receptive field); the fans are each count × rf,
    // multiplied checked: beside a zero dimension the other dimensions may be huge.
    let (inputs, outputs, rf) = match layout {
        Layout::OutIn => (
            shape[1],
            divide_groups(shape[0], groups)?,
            product(shape[2..].iter().copied(), shape)?,
        ),
        Layout::InOut => (
            shape[rank - 2],
            divide_groups(shape[rank - 1], groups)?,
            product(shape[..rank - 2].iter().copied(), shape)?,
        ),
        Layout::Transposed => (
            divide_groups(shape[0], groups)?,
            shape[1],
            product(shape[2..].iter().copied(), shape)?,
        ),
        Layout::Axes {
            in_axes,
            out_axes,
            batch_axes,
        } => {
            let mut used = vec![false; rank];
            let mut resolve = |axes: &[isize]| -> Result<Vec<usize>> {
                axes.iter()
                    .map(|&axis| {
                        let index = if axis < 0 {
                            axis.checked_add(rank as isize)
                        } else {
                            Some(axis)
                        };
                        match index {
                            Some(i) if i >= 0 && (i as usize) < rank && !used[i as usize] => {
                                used[i as usize] = true;
                                Ok(i as usize)
                            }
                            _ => Err(Error::InvalidAxis { axis, rank }),
                        }
                    })
                    .collect()
            };
            let ins = resolve(in_axes)?;
            let outs = resolve(out_axes)?;
            resolve(batch_axes)?;
            let rf = product((0..rank).filter(|&i| !used[i]).map(|i| shape[i]), shape)?;
            if groups != 1 {
                return Err(Error::GroupsWithAxes { groups });
            }
            let in_size = product(ins.iter().map(|&i| shape[i]), shape)?;
            let out_size = product(outs.iter().map(|&i| shape[i]), shape)?;
            let fan = |size: u64| {
                size.checked_mul(rf)
                    .ok_or_else(|| Error::ElementCountOverflow {
                        shape: shape.to_vec(),
                    })
            };
            return Ok((fan(in_size)?, fan(out_size)?));
        }
    };
    let fan = |count: usize| {
        product([count], shape)?
            .checked_mul(rf)
            .ok_or_else(|| Error::ElementCountOverflow {
                shape: shape.to_vec(),
            })
    };
    Ok((fan(inputs)?, fan(outputs)?))
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Layout::OutIn => f.write_str("out-in"),
            Layout::InOut => f.write_str("in-out"),
            Layout::Transposed => f.write_str("transposed"),
            Layout::Axes {
                in_axes,
                out_axes,
                batch_axes,
            } => {
                let list = |axes: &[isize]| {
                    axes.iter()
                        .map(|a| a.to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                };
                write!(
                    f,
                    "axes(in=[{}],out=[{}],batch=[{}])",
                    list(in_axes),
                    list(out_axes),
                    list(batch_axes)
                )
            }
        }
    }
}

impl FromStr for Layout {
    type Err = Error;

    /// Parses `out-in`, `in-out`, `transposed` (also with `_`) or
    /// `axes(in=[0], out=[1,2], batch=[])` (each list optional except `in` and `out`).
    fn from_str(text: &str) -> Result<Layout> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let lower = compact.to_ascii_lowercase().replace('_', "-");
        match lower.as_str() {
            "out-in" | "outin" => return Ok(Layout::OutIn),
            "in-out" | "inout" => return Ok(Layout::InOut),
            "transposed" => return Ok(Layout::Transposed),
            _ => {}
        }
        let unknown = || Error::UnknownLayout {
            input: text.to_string(),
        };
        let body = lower
            .strip_prefix("axes(")
            .and_then(|rest| rest.strip_suffix(')'))
            .ok_or_else(unknown)?;
        let (mut ins, mut outs, mut batch) = (None, None, None);
        let mut rest = body;
        while !rest.is_empty() {
            let (key, after) = rest.split_once("=[").ok_or_else(unknown)?;
            let (list, after) = after.split_once(']').ok_or_else(unknown)?;
            let axes = if list.is_empty() {
                Vec::new()
            } else {
                list.split(',')
                    .map(|a| a.parse::<isize>().map_err(|_| unknown()))
                    .collect::<Result<Vec<_>>>()?
            };
            let slot = match key {
                "in" => &mut ins,
                "out" => &mut outs,
                "batch" => &mut batch,
                _ => return Err(unknown()),
            };
            if slot.replace(axes).is_some() {
                return Err(unknown());
            }
            rest = after.strip_prefix(',').unwrap_or(after);
            if after.starts_with(',') && rest.is_empty() {
                return Err(unknown());
            }
        }
        match (ins, outs) {
            (Some(in_axes), Some(out_axes)) => Ok(Layout::Axes {
                in_axes,
                out_axes,
                batch_axes: batch.unwrap_or_default(),
            }),
            _ => Err(unknown()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fans(shape: &[usize], layout: &Layout, groups: usize) -> (u64, u64) {
        let f = Fans::of_shape(shape, layout, groups).unwrap();
        (f.fan_in(), f.fan_out())
    }

    #[test]
    fn linear_layers_in_each_layout() {
        assert_eq!(fans(&[256, 784], &Layout::OutIn, 1), (784, 256));
        assert_eq!(fans(&[784, 256], &Layout::InOut, 1), (784, 256));
        assert_eq!(fans(&[784, 256], &Layout::Transposed, 1), (784, 256));
    }

    #[test]
    fn conv_layers_match_pytorch_without_groups() {
        // nn.Conv2d(3, 64, kernel_size=(7, 5)): weight [64, 3, 7, 5]
        assert_eq!(fans(&[64, 3, 7, 5], &Layout::OutIn, 1), (105, 2240));
        // Keras Conv2D kernel [7, 5, 3, 64]
        assert_eq!(fans(&[7, 5, 3, 64], &Layout::InOut, 1), (105, 2240));
        // nn.ConvTranspose2d(64, 3, 7x5): weight [64, 3, 7, 5]; forward maps 64 -> 3 channels
        assert_eq!(fans(&[64, 3, 7, 5], &Layout::Transposed, 1), (2240, 105));
        // Conv1d and Conv3d
        assert_eq!(fans(&[10, 6, 9], &Layout::OutIn, 1), (54, 90));
        assert_eq!(fans(&[10, 6, 2, 3, 4], &Layout::OutIn, 1), (144, 240));
    }

    #[test]
    fn groups_divide_the_output_fan() {
        // Depthwise Conv2d(4, 4, 3, groups=4): weight [4, 1, 3, 3]; PyTorch says fan_out 36.
        assert_eq!(fans(&[4, 1, 3, 3], &Layout::OutIn, 4), (9, 9));
        // Grouped Conv2d(16 -> 32, 3x5, groups 4): weight [32, 4, 3, 5]
        assert_eq!(fans(&[32, 4, 3, 5], &Layout::OutIn, 4), (60, 120));
        assert_eq!(fans(&[3, 5, 4, 32], &Layout::InOut, 4), (60, 120));
        // ConvTranspose2d(16 -> 32, groups 4): weight [16, 8, 3, 5]
        assert_eq!(fans(&[16, 8, 3, 5], &Layout::Transposed, 4), (60, 120));
    }

    #[test]
    fn explicit_axes_follow_jax() {
        // Attention query kernel [512, 8, 64]: in = 512, out = 8·64.
        let layout: Layout = "axes(in=[0], out=[1,2])".parse().unwrap();
        assert_eq!(fans(&[512, 8, 64], &layout, 1), (512, 512));
        // Stacked layers [12, 96, 40] with a batch axis: receptive field 1.
        let layout: Layout = "axes(in=[-2],out=[-1],batch=[0])".parse().unwrap();
        assert_eq!(fans(&[12, 96, 40], &layout, 1), (96, 40));
        // Kernel dims outside the lists form the receptive field.
        let layout: Layout = "axes(in=[2],out=[3])".parse().unwrap();
        assert_eq!(fans(&[3, 5, 7, 11], &layout, 1), (105, 165));
    }

    #[test]
    fn bad_shapes_and_layouts_are_errors() {
        assert_eq!(
            Fans::of_shape(&[5], &Layout::OutIn, 1),
            Err(Error::RankTooLow { rank: 1, needed: 2 })
        );
        assert!(matches!(
            Fans::of_shape(&[], &Layout::InOut, 1),
            Err(Error::RankTooLow { rank: 0, .. })
        ));
        assert!(matches!(
            Fans::of_shape(&[6, 4], &Layout::OutIn, 4),
            Err(Error::GroupsDoNotDivide { dim: 6, groups: 4 })
        ));
        assert!(matches!(
            Fans::of_shape(&[6, 4], &Layout::OutIn, 0),
            Err(Error::GroupsDoNotDivide { groups: 0, .. })
        ));
        assert!(matches!(
            Fans::of_shape(&[0, 4], &Layout::OutIn, 1),
            Err(Error::ZeroFan { which: "fan_out" })
        ));
        assert!(matches!(
            Fans::of_shape(&[usize::MAX, 4, 4], &Layout::OutIn, 1),
            Err(Error::ElementCountOverflow { .. })
        ));
        let repeated: Layout = "axes(in=[0],out=[0])".parse().unwrap();
        assert!(matches!(
            Fans::of_shape(&[3, 4], &repeated, 1),
            Err(Error::InvalidAxis { axis: 0, rank: 2 })
        ));
        let axes: Layout = "axes(in=[0],out=[1])".parse().unwrap();
        assert_eq!(
            Fans::of_shape(&[4, 4], &axes, 2),
            Err(Error::GroupsWithAxes { groups: 2 })
        );
        let far: Layout = "axes(in=[0],out=[-3])".parse().unwrap();
        assert!(matches!(
            Fans::of_shape(&[3, 4], &far, 1),
            Err(Error::InvalidAxis { axis: -3, rank: 2 })
        ));
        // Axis = rank is the first index past the end (boundary of `i < rank`).
        let past: Layout = "axes(in=[0],out=[2])".parse().unwrap();
        assert_eq!(
            Fans::of_shape(&[3, 4], &past, 1),
            Err(Error::InvalidAxis { axis: 2, rank: 2 })
        );
        for bad in [
            "",
            "outin2",
            "axes(in=[0])",
            "axes(in=[a],out=[1])",
            "axes(in=[0],out=[1],)",
        ] {
            assert!(bad.parse::<Layout>().is_err(), "{bad}");
        }
    }

    #[test]
    fn layouts_print_and_parse_back() {
        for text in [
            "out-in",
            "in-out",
            "transposed",
            "axes(in=[0,1],out=[-1],batch=[])",
        ] {
            let layout: Layout = text.parse().unwrap();
            assert_eq!(layout.to_string().parse::<Layout>().unwrap(), layout);
        }
        assert_eq!("IN_OUT".parse::<Layout>().unwrap(), Layout::InOut);
    }

    #[test]
    fn fan_modes() {
        let fans = Fans::new(96, 40).unwrap();
        assert_eq!(fans.get(FanMode::FanIn), 96.0);
        assert_eq!(fans.get(FanMode::FanOut), 40.0);
        assert_eq!(fans.get(FanMode::FanAvg), 68.0);
        assert_eq!(fans.get(FanMode::FanGeoAvg), (3840.0f64).sqrt());
        assert_eq!(FanMode::from_name("FAN_AVG"), Some(FanMode::FanAvg));
        assert_eq!(FanMode::from_name("fan"), None);
        assert_eq!(fans.swapped().fan_in(), 40);
        // Display is the grammar spelling, which parses back.
        assert_eq!(FanMode::FanGeoAvg.to_string(), "fan_geo_avg");
        for mode in FanMode::ALL {
            assert_eq!(FanMode::from_name(&mode.to_string()), Some(mode));
        }
    }
}

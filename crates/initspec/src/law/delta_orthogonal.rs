//! The structured law [`DeltaOrthogonal`]: a convolution kernel that is zero except for an
//! orthogonal matrix at the centre tap.

use super::conv_shape::ConvShape;
use super::marginal::{Marginal, Part};
use super::orthogonal::Orthogonal;
use crate::error::{Error, Result, positive};
use crate::fans::Layout;
use crate::fill::KernelPath;
use crate::stream::Stream;
use crate::structured;

/// JAX's `delta_orthogonal(gain)` (Xiao et al. 2018): `gain` times a Haar-random `in × out`
/// matrix with orthonormal rows at the centre tap `((k₁−1)//2, …)`, zeros at every other tap.
///
/// ```text
/// in-out (JAX [*k, in, out]):     W[c₁, …, c_s, :, :] = gain · Q,  Q ∈ R^{in×out}, QQᵀ = I
/// out-in (PyTorch [out, in, *k]): W[:, :, c₁, …, c_s] = gain · Qᵀ  (the same kernel, transposed)
/// c_j = (k_j − 1)//2;   requires in ≤ out
/// one element: 0 with probability 1 − 1/K (K = Π k_j taps), else gain·u, u a coordinate of a
///   uniform unit vector in R^out:  Var = gain²/(K·out)
/// ```
/// The matrix is [`DeltaOrthogonal::centre`], drawn on the same stream (as
/// [`structured::orthogonal`] of `[in, out]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeltaOrthogonal {
    gain: f64,
    shape: ConvShape,
    layout: ConvLayout,
}

/// Where the channels of a [`DeltaOrthogonal`] kernel are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvLayout {
    /// `[*k, in, out]` (JAX, Keras).
    KernelInOut,
    /// `[out, in, *k]` (PyTorch).
    OutInKernel,
}

impl DeltaOrthogonal {
    /// `delta_orthogonal(gain)` on `shape` in `layout`.
    ///
    /// # Errors
    /// [`Error::RankUnsupported`] for a rank other than 3–5; [`Error::InExceedsOut`] for
    /// `in > out`;
    /// [`Error::LayoutUnsupported`] for `transposed` or explicit axes;
    /// [`Error::GroupsUnsupported`] for `groups ≠ 1`; gain errors.
    pub fn of_shape(
        gain: f64,
        shape: &[usize],
        layout: &Layout,
        groups: usize,
    ) -> Result<DeltaOrthogonal> {
        positive("gain", gain)?;
        let conv = ConvShape::new("delta_orthogonal", shape)?;
        if groups != 1 {
            return Err(Error::GroupsUnsupported {
                scheme: "delta_orthogonal",
                groups,
            });
        }
        let layout = match layout {
            Layout::InOut => ConvLayout::KernelInOut,
            Layout::OutIn => ConvLayout::OutInKernel,
            _ => {
                return Err(Error::LayoutUnsupported {
                    scheme: "delta_orthogonal",
                    layout: layout.to_string(),
                    accepted: "in-out (JAX's [*kernel, in, out]) or out-in ([out, in, *kernel])",
                });
            }
        };
        let law = DeltaOrthogonal {
            gain,
            shape: conv,
            layout,
        };
        let (fan_in, fan_out) = (law.in_channels(), law.out_channels());
        if fan_in > fan_out {
            return Err(Error::InExceedsOut {
                in_channels: fan_in,
                out_channels: fan_out,
            });
        }
        Ok(law)
    }

    /// The gain.
    pub fn gain(&self) -> f64 {
        self.gain
    }

    /// The tensor's shape.
    pub fn shape(&self) -> &[usize] {
        self.shape.dims()
    }

    /// Where the channels are.
    pub fn layout(&self) -> ConvLayout {
        self.layout
    }

    /// The spatial (kernel) dimensions.
    pub fn kernel(&self) -> &[usize] {
        let dims = self.shape.dims();
        match self.layout {
            ConvLayout::KernelInOut => &dims[..dims.len() - 2],
            ConvLayout::OutInKernel => &dims[2..],
        }
    }

    /// Input channels.
    pub fn in_channels(&self) -> usize {
        let dims = self.shape.dims();
        match self.layout {
            ConvLayout::KernelInOut => dims[dims.len() - 2],
            ConvLayout::OutInKernel => dims[1],
        }
    }

    /// Output channels.
    pub fn out_channels(&self) -> usize {
        let dims = self.shape.dims();
        match self.layout {
            ConvLayout::KernelInOut => dims[dims.len() - 1],
            ConvLayout::OutInKernel => dims[0],
        }
    }

    /// The row-major offset of the centre tap `((k₁−1)//2, …)` within the kernel's taps.
    pub fn centre_tap(&self) -> usize {
        self.kernel()
            .iter()
            .fold(0usize, |acc, &k| acc * k + k.saturating_sub(1) / 2)
    }

    /// The flat (row-major) index of kernel element (tap, input channel, output channel),
    /// `tap` the row-major offset within the kernel's taps:
    ///
    /// ```text
    /// in-out [*k, in, out]:  (tap·in + input)·out + output
    /// out-in [out, in, *k]:  (output·in + input)·K + tap        K = Π k_j
    /// ```
    pub fn index(&self, tap: usize, input: usize, output: usize) -> usize {
        let (fan_in, fan_out) = (self.in_channels(), self.out_channels());
        match self.layout {
            ConvLayout::KernelInOut => (tap * fan_in + input) * fan_out + output,
            ConvLayout::OutInKernel => {
                let taps: usize = self.kernel().iter().product();
                (output * fan_in + input) * taps + tap
            }
        }
    }

    /// The law of one element.
    pub fn marginal(&self) -> Marginal {
        let taps: usize = self.kernel().iter().product();
        Marginal {
            zero: if taps == 0 {
                0.0
            } else {
                1.0 - 1.0 / taps as f64
            },
            part: Part::SphereCoordinate {
                gain: self.gain,
                dimension: self.out_channels().max(1),
            },
        }
    }

    /// The law of the `in × out` matrix at the centre tap: `orthogonal(gain)` on `[in, out]`.
    pub fn centre(&self) -> Orthogonal {
        // Validated with this law: the gain, and in·out ≤ the kernel's element count.
        Orthogonal::validated(self.gain, self.in_channels(), self.out_channels())
    }

    /// The whole kernel, row-major in the tensor's shape.
    pub fn generate(&self, stream: &Stream) -> Vec<f64> {
        let total = self.shape.numel();
        if total == 0 {
            return Vec::new();
        }
        let (fan_in, fan_out) = (self.in_channels(), self.out_channels());
        let centre = self.centre_tap();
        let matrix = structured::haar(&self.centre(), stream, true, KernelPath::best());
        let mut out = vec![0.0; total];
        for input in 0..fan_in {
            for output in 0..fan_out {
                out[self.index(centre, input, output)] = matrix[input * fan_out + output];
            }
        }
        out
    }
}

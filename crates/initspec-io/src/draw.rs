//! Which law a stored tensor is drawn from, and whether its dtype can hold it: the checks
//! `initspec sample`, `initspec init` and the Python package share, so the three refuse the
//! same requests with the same words and draw the same bytes for the rest.
//!
//! A request (scheme, shape, layout, groups, dtype) is drawn when
//! - the scheme resolves to a law for the shape ([`Scheme::resolve`]); an empty tensor (a zero
//!   dim) draws nothing, but its rank, layout and groups are still checked;
//! - a random structured law (orthogonal, delta-orthogonal, sparse), which is computed whole,
//!   has at most [`MAX_STRUCTURED_ELEMENTS`] elements and its QR at most
//!   [`MAX_ORTHOGONAL_FLOPS`] operations;
//! - the dtype can represent the law ([`representable`]), unless lossy storage is allowed;
//! - no drawn value overflows the dtype ([`first_overflow`], checked after the fill).

use std::fmt;

use half::{bf16, f16};
use initspec::{Element, Fans, Law, Layout, Scheme, element_count};

use crate::Dtype;

/// The most elements of a random structured tensor (orthogonal, delta-orthogonal, sparse)
/// that is drawn: it is computed whole in `f64`, with several copies during a QR, so 2²⁸
/// elements may take up to 16 GiB.
pub const MAX_STRUCTURED_ELEMENTS: u64 = 1 << 28;

/// The most floating-point operations of one orthogonal QR that is started: 10¹³, several
/// minutes on two cores. An `m × n` QR and its Q take about `4·m·n² − (4/3)·n³` for
/// `m ≥ n` (Golub & Van Loan, *Matrix Computations*, 4th ed., §5.2.1: `2n²(m − n/3)` for the
/// Householder factorization and as much again to form Q).
pub const MAX_ORTHOGONAL_FLOPS: f64 = 1e13;

/// Why a request cannot be drawn. `Display` is one line.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum DrawError {
    /// The scheme cannot apply to the shape, layout or groups (rank < 2 for a fan-based
    /// scheme, a dim not divisible by groups, an overflowing shape, ...).
    Scheme(initspec::Error),
    /// The dtype cannot represent the law; [`representable`] says why.
    Lossy {
        /// The law.
        law: String,
        /// The dtype asked for.
        dtype: Dtype,
        /// What is lost, in words.
        detail: String,
    },
    /// A random structured law on more elements than [`MAX_STRUCTURED_ELEMENTS`].
    StructuredTooLarge {
        /// The law.
        law: String,
        /// Its elements.
        elements: u64,
    },
    /// An orthogonal QR of more than [`MAX_ORTHOGONAL_FLOPS`] operations.
    QrTooLarge {
        /// The law.
        law: String,
        /// Rows of the matrix factorized.
        rows: usize,
        /// Columns of the matrix factorized.
        cols: usize,
        /// Its estimated operation count.
        flops: f64,
    },
    /// A drawn value overflows the dtype (e.g. `normal(std=1e5)` in f16).
    Overflow {
        /// The law.
        law: String,
        /// The first element (flat C-order index in the whole tensor) that overflows.
        element: u64,
        /// The dtype.
        dtype: Dtype,
    },
}

impl fmt::Display for DrawError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DrawError::Scheme(e) => write!(f, "{e}"),
            DrawError::Lossy { law, dtype, detail } => write!(
                f,
                "{law} cannot be stored in {dtype}: {detail}; use a wider dtype, or allow lossy storage (--allow-lossy-dtype) to write it anyway"
            ),
            DrawError::StructuredTooLarge { law, elements } => write!(
                f,
                "{law} on {elements} elements is computed whole in memory; initspec draws at most {MAX_STRUCTURED_ELEMENTS} elements for it"
            ),
            DrawError::QrTooLarge {
                law,
                rows,
                cols,
                flops,
            } => write!(
                f,
                "{law} of a {rows}×{cols} matrix needs about {flops:.1e} floating-point operations (a QR and its Q); initspec refuses more than {MAX_ORTHOGONAL_FLOPS:e}"
            ),
            DrawError::Overflow {
                law,
                element,
                dtype,
            } => write!(
                f,
                "element {element} of {law} overflows {dtype} (the law's values exceed its range); use a wider dtype"
            ),
        }
    }
}

impl std::error::Error for DrawError {}

impl From<initspec::Error> for DrawError {
    fn from(e: initspec::Error) -> DrawError {
        DrawError::Scheme(e)
    }
}

/// The law a tensor of `shape` (fans in `layout`, `groups`) stored as `dtype` is drawn from,
/// or `None` for an empty tensor, with every check of the module docs but the overflow one
/// (which needs the values) and the memory the caller can give.
///
/// # Errors
/// Each [`DrawError`] but `Overflow`; `Lossy` only when `allow_lossy` is false.
///
/// # Example
/// ```
/// use initspec::{Layout, Scheme};
/// use initspec_io::{Dtype, draw::law_for};
/// let scheme: Scheme = "xavier_uniform".parse().unwrap();
/// let law = law_for(&scheme, &[64, 192], &Layout::OutIn, 1, Dtype::F32, false).unwrap();
/// assert_eq!(law.unwrap().to_string(), "uniform(a=-0.15309310892394865, b=0.15309310892394865)");
/// // A normal law with σ = 1e-50 is all zeros in f32: refused, not written.
/// let tiny: Scheme = "normal(std=1e-50)".parse().unwrap();
/// assert!(law_for(&tiny, &[4, 4], &Layout::OutIn, 1, Dtype::F32, false).is_err());
/// ```
pub fn law_for(
    scheme: &Scheme,
    shape: &[usize],
    layout: &Layout,
    groups: usize,
    dtype: Dtype,
    allow_lossy: bool,
) -> Result<Option<Law>, DrawError> {
    let elements = element_count(shape)?;
    if elements == 0 {
        // Rank, layout and groups are checked even for an empty tensor; a zero fan is fine:
        // nothing is drawn.
        let checked = if scheme.is_structured() {
            scheme.resolve(shape, layout, groups).map(drop)
        } else if scheme.needs_fans() {
            Fans::of_shape(shape, layout, groups).map(drop)
        } else {
            Ok(())
        };
        return match checked {
            Ok(()) | Err(initspec::Error::ZeroFan { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        };
    }
    let law = scheme.resolve(shape, layout, groups)?;
    check_structured_size(&law, elements)?;
    if !allow_lossy {
        representable(&law, dtype)?;
    }
    Ok(Some(law))
}

/// Whether `law` is computed whole in memory from random draws (orthogonal, delta-orthogonal,
/// sparse): its memory grows with its elements, unlike a scalar law's, which is drawn in
/// chunks.
pub fn is_random_structured(law: &Law) -> bool {
    matches!(
        law,
        Law::Orthogonal(_) | Law::DeltaOrthogonal(_) | Law::Sparse(_)
    )
}

/// Refuses random structured tensors above [`MAX_STRUCTURED_ELEMENTS`] elements or
/// [`MAX_ORTHOGONAL_FLOPS`] operations.
///
/// # Errors
/// [`DrawError::StructuredTooLarge`], [`DrawError::QrTooLarge`].
pub fn check_structured_size(law: &Law, elements: u64) -> Result<(), DrawError> {
    if is_random_structured(law) && elements > MAX_STRUCTURED_ELEMENTS {
        return Err(DrawError::StructuredTooLarge {
            law: law.to_string(),
            elements,
        });
    }
    let matrix = match law {
        Law::Orthogonal(o) => Some((o.rows(), o.cols())),
        Law::DeltaOrthogonal(d) => Some((d.in_channels(), d.out_channels())),
        _ => None,
    };
    if let Some((rows, cols)) = matrix {
        let (m, n) = (rows.max(cols) as f64, rows.min(cols) as f64);
        let flops = 4.0 * m * n * n - 4.0 / 3.0 * n * n * n;
        if flops > MAX_ORTHOGONAL_FLOPS {
            return Err(DrawError::QrTooLarge {
                law: law.to_string(),
                rows,
                cols,
                flops,
            });
        }
    }
    Ok(())
}

/// Checks that `dtype` can hold `law`: a non-zero constant must not round to 0, and the law's
/// standard deviation σ must be at least the spacing of `dtype` at the law's extent `m` (the
/// largest |x| of its support, or |mean| + 3σ for a normal law). Below that the stored
/// values collapse onto a few representable numbers (all zeros for `normal(std=1e-50)` in
/// f32; one value for `normal(mean=1e6, std=1e-3)` in bf16, whose step at 10⁶ is 4096), and
/// the tensor no longer follows the law it is labelled with.
///
/// # Errors
/// [`DrawError::Lossy`], saying what is lost.
pub fn representable(law: &Law, dtype: Dtype) -> Result<(), DrawError> {
    let std = law.std_dev();
    let mean = law.mean();
    let lossy = |detail: String| {
        Err(DrawError::Lossy {
            law: law.to_string(),
            dtype,
            detail,
        })
    };
    if std == 0.0 || !std.is_finite() {
        if mean != 0.0 && round(dtype, mean) == 0.0 {
            return lossy(format!(
                "{mean:e} rounds to 0 (the smallest positive {dtype} is {:e})",
                spacing(dtype, 0.0)
            ));
        }
        return Ok(());
    }
    let support = law.support();
    let extent = if support.low.is_finite() && support.high.is_finite() {
        support.low.abs().max(support.high.abs())
    } else {
        mean.abs() + 3.0 * std
    };
    let step = spacing(dtype, extent);
    if std < step {
        return lossy(format!(
            "its standard deviation {std:e} is below {step:e}, the step between neighbouring {dtype} values at {extent:e}"
        ));
    }
    Ok(())
}

/// `x` rounded to the nearest `dtype` value (ties to even), as the sampler stores it.
pub fn round(dtype: Dtype, x: f64) -> f64 {
    match dtype {
        Dtype::F64 => x,
        Dtype::F32 => f64::from(x as f32),
        Dtype::BF16 => <bf16 as Element>::from_f64(x).to_f64(),
        Dtype::F16 => <f16 as Element>::from_f64(x).to_f64(),
    }
}

/// The distance from a value of magnitude `x` to the next representable `dtype` value above
/// it: `2^(⌊log₂ x⌋ − (p − 1))` for `p` significant bits (53, 24, 8, 11), and at least the
/// smallest positive subnormal (`2⁻¹⁰⁷⁴`, `2⁻¹⁴⁹`, `2⁻¹³³`, `2⁻²⁴`).
pub fn spacing(dtype: Dtype, x: f64) -> f64 {
    let (bits, min_exponent) = match dtype {
        Dtype::F64 => (53, -1074),
        Dtype::F32 => (24, -149),
        Dtype::BF16 => (8, -133),
        Dtype::F16 => (11, -24),
    };
    let smallest = 2f64.powi(min_exponent);
    let x = x.abs();
    if !(x > 0.0) || !x.is_finite() {
        return smallest;
    }
    let exponent = x.log2().floor() as i32;
    2f64.powi(exponent - (bits - 1)).max(smallest)
}

/// Standard deviations beyond the mean that bound every value a sampler draws from an
/// unbounded law: Box–Muller from 53-bit uniforms reaches at most √(−2 ln 2⁻⁵³) ≈ 8.6 and the
/// inverse-CDF paths less, so 40 leaves a wide margin.
pub const DRAWN_SIGMAS_BOUND: f64 = 40.0;

/// Whether a value drawn from `law` could overflow `dtype`: its support (or, for an unbounded
/// support, `|mean| + 40σ`) reaches past the dtype's largest finite value. When it cannot,
/// the [`first_overflow`] pass over the values is skipped (it costs a read of the whole
/// tensor, a third of a fill's time).
pub fn may_overflow(law: &Law, dtype: Dtype) -> bool {
    let largest = match dtype {
        Dtype::F64 => f64::MAX,
        Dtype::F32 => f64::from(f32::MAX),
        Dtype::BF16 => bf16::MAX.to_f64(),
        Dtype::F16 => f16::MAX.to_f64(),
    };
    let support = law.support();
    let extent = if support.low.is_finite() && support.high.is_finite() {
        support.low.abs().max(support.high.abs())
    } else {
        law.mean().abs() + DRAWN_SIGMAS_BOUND * law.std_dev()
    };
    // NaN (an undefined spread) compares false: check.
    !(extent < largest)
}

/// The first value of `values` that is not finite: a drawn value that overflowed its dtype
/// (the sampler draws finite values, so an infinity here is a value past the dtype's range).
pub fn first_overflow<T: Element>(values: &[T]) -> Option<usize> {
    values.iter().position(|x| !x.to_f64().is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn law(scheme: &str, shape: &[usize], dtype: Dtype) -> Result<Option<Law>, DrawError> {
        law_for(
            &scheme.parse().unwrap(),
            shape,
            &Layout::OutIn,
            1,
            dtype,
            false,
        )
    }

    #[test]
    fn empty_tensors_draw_nothing_but_are_checked() {
        assert_eq!(law("xavier_uniform", &[0, 5], Dtype::F32), Ok(None));
        assert!(matches!(
            law("xavier_uniform", &[0], Dtype::F32),
            Err(DrawError::Scheme(_))
        ));
    }

    #[test]
    fn lossy_dtypes_are_refused_unless_allowed() {
        let err = law("normal(std=1e-50)", &[4, 4], Dtype::F32).unwrap_err();
        assert!(err.to_string().contains("cannot be stored in f32"), "{err}");
        let bf16 = law("normal(mean=1e6, std=1e-3)", &[4, 4], Dtype::BF16).unwrap_err();
        assert!(bf16.to_string().contains("4.096e3"), "{bf16}");
        let allowed = law_for(
            &"normal(std=1e-50)".parse().unwrap(),
            &[4, 4],
            &Layout::OutIn,
            1,
            Dtype::F32,
            true,
        );
        assert!(matches!(allowed, Ok(Some(_))));
        assert!(law("constant(value=1e-300)", &[3], Dtype::F16).is_err());
        assert!(law("constant(value=1e-300)", &[3], Dtype::F64).is_ok());
    }

    #[test]
    fn structured_caps() {
        let err = law("orthogonal", &[1 << 15, 1 << 14], Dtype::F32).unwrap_err();
        assert!(matches!(err, DrawError::StructuredTooLarge { .. }), "{err}");
        let qr = law("orthogonal", &[1 << 14, 1 << 14], Dtype::F32).unwrap_err();
        assert!(matches!(qr, DrawError::QrTooLarge { .. }), "{qr}");
        assert!(law("eye", &[1 << 15, 1 << 14], Dtype::F32).is_ok());
    }

    #[test]
    fn spacing_matches_the_formats() {
        assert_eq!(spacing(Dtype::F32, 1.0), f64::from(f32::EPSILON));
        assert_eq!(spacing(Dtype::F64, 1.0), f64::EPSILON);
        assert_eq!(spacing(Dtype::BF16, 1e6), 4096.0);
        assert_eq!(spacing(Dtype::F16, 0.0), 2f64.powi(-24));
        assert_eq!(first_overflow(&[1f32, f32::INFINITY]), Some(1));
        assert_eq!(first_overflow(&[1f32, 2.0]), None);
        let law = |text: &str| text.parse::<Law>().unwrap();
        assert!(!may_overflow(&law("normal(mean=0, std=0.02)"), Dtype::F16));
        assert!(may_overflow(&law("normal(mean=0, std=1e4)"), Dtype::F16));
        assert!(may_overflow(&law("uniform(a=-1e5, b=1e5)"), Dtype::F16));
        assert!(!may_overflow(&law("uniform(a=-1e5, b=1e5)"), Dtype::F32));
    }
}

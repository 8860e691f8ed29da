//! Auditing one tensor against the scheme it claims: the law, the checks, and the verdict in
//! words.

use initspec::{Fans, Law, Scheme};
use serde::Serialize;

use crate::check::{Verdict, check_sample, check_scalar, is_exact};
use crate::gof;
use crate::gof::moments::{MomentSums, variance_ratio_interval_of};
use crate::identify::{Candidate, identify};
use crate::sample::{Sample, Stored, Values, with_slice};

/// The confidence level of the variance-ratio interval in reports.
pub const INTERVAL_LEVEL: f64 = 0.999;

/// The observed variance against the law's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct VarianceComparison {
    /// The law's variance.
    pub expected: f64,
    /// The second moment about the law's mean.
    pub observed: f64,
    /// observed / expected.
    pub ratio: f64,
    /// Lower end of the [`INTERVAL_LEVEL`] confidence interval of the ratio.
    pub ratio_low: f64,
    /// Upper end of that interval.
    pub ratio_high: f64,
}

/// The audit of one tensor.
#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    /// The scheme as given.
    pub scheme: String,
    /// The law it resolves to for this tensor.
    pub law: String,
    /// The tensor's shape.
    pub shape: Vec<usize>,
    /// The storage dtype.
    pub dtype: String,
    /// Number of values.
    pub n: usize,
    /// Fan-in, when the shape has fans in the layout.
    pub fan_in: Option<u64>,
    /// Fan-out, when the shape has fans in the layout.
    pub fan_out: Option<u64>,
    /// The variance comparison (absent for a constant law or an empty tensor).
    pub variance: Option<VarianceComparison>,
    /// The checks and verdict (serialized by the caller as `verdict`, `alpha` and `checks`).
    #[serde(skip)]
    pub verdict: Verdict,
    /// What the weights look like when they fail: the best candidate of [`identify`].
    pub resembles: Option<Candidate>,
    /// The verdict in words.
    pub summary: String,
}

/// Audits `sample` against `scheme` (for the sample's shape, layout and groups) at
/// family-wise level `alpha`.
///
/// The values are read in their own width and never copied or widened for a scalar law:
/// besides the values, the audit of n values of `size` bytes needs at most about
/// `max(n·size/4, 1 MiB)` bytes for the sorted windows of [`crate::order`] plus a few MiB of
/// tables (N bytes for N f32 values), so reading a tensor and auditing it peaks near
/// 1.25 × its bytes. A structured law is checked in place on the values widened to `f64`
/// (8 bytes a value). A failing audit also runs [`identify`] (its subsample is at most
/// [`crate::identify::IDENTIFY_MAX_SAMPLES`] values).
///
/// # Errors
/// The scheme cannot apply to this shape (rank < 2 for a fan-based scheme, groups, ...).
///
/// # Example
/// ```
/// use initspec::{Law, Sampler, Scheme, Stream};
/// use initspec_verify::{audit::audit, sample::Sample, storage::Storage};
/// let scheme: Scheme = "xavier_normal".parse().unwrap();
/// let shape = [64, 300];
/// let law = scheme.resolve(&shape, &Default::default(), 1).unwrap();
/// let mut w = vec![0f32; 64 * 300];
/// Sampler::new(&law, Stream::new(3, "w")).fill(&mut w);
/// let report = audit(&Sample::new(&w, &shape, Storage::F32), &scheme, 1e-6).unwrap();
/// assert!(report.verdict.pass, "α = 1e-6, n = 19200, seed 3: {}", report.summary);
/// assert_eq!(report.dtype, "f32");
/// ```
pub fn audit(sample: &Sample<'_>, scheme: &Scheme, alpha: f64) -> Result<Audit, initspec::Error> {
    let (values, shape, layout) = (sample.values(), sample.shape(), sample.layout());
    let (groups, storage) = (sample.groups(), sample.storage());
    let fans = Fans::of_shape(shape, layout, groups).ok();
    let law = scheme.resolve(shape, layout, groups)?;
    let (verdict, m2) = if law.is_structured() {
        (check_sample(&law, values, storage, alpha), None)
    } else {
        check_scalar(&law, values, Some(shape), storage, alpha)
    };
    let variance = variance_comparison(values, &law, m2);
    // For a structured claim only structured look-alikes are worth naming: one element of an
    // orthogonal matrix is close to N(0, 1/n), so a scalar law would "fit" any of them.
    let resembles = if verdict.pass || values.is_empty() {
        None
    } else {
        identify(sample)
            .into_iter()
            .find(|c| c.p_value >= alpha && (!law.is_structured() || c.law_value.is_structured()))
    };
    let summary = summarize(&law, &verdict, variance.as_ref(), resembles.as_ref(), alpha);
    Ok(Audit {
        scheme: scheme.to_string(),
        law: law.to_string(),
        shape: shape.to_vec(),
        dtype: storage.name().to_string(),
        n: values.len(),
        fan_in: fans.map(|f| f.fan_in()),
        fan_out: fans.map(|f| f.fan_out()),
        variance,
        verdict,
        resembles,
        summary,
    })
}

/// The variance of the values against the law's: for a scalar law all values; for `sparse`
/// the non-zero values against `N(0, std²)`; none for the other structured laws, whose
/// elements are not independent (their second moment is fixed by the structure).
///
/// `m2` is the second moment about the law's mean that the variance check computed (over
/// the sorted values), when it ran; otherwise (a non-finite value) it is summed here in
/// index order.
fn variance_comparison(
    values: Values<'_>,
    law: &Law,
    m2: Option<f64>,
) -> Option<VarianceComparison> {
    let interval = if let Law::Sparse(s) = law {
        let non_zeros: Vec<f64> = with_slice!(values, v => v
            .iter()
            .map(|x| x.to_f64())
            .filter(|&x| x != 0.0)
            .collect());
        let normal = Law::Normal(s.values());
        if non_zeros.is_empty() {
            return None;
        }
        gof::variance_ratio_interval(
            &non_zeros,
            normal.mean(),
            normal.variance(),
            normal.fourth_central_moment(),
            true,
            INTERVAL_LEVEL,
        )
        .ok()?
    } else {
        if law.is_structured() || law.variance() <= 0.0 || values.is_empty() {
            return None;
        }
        let m2 = match m2 {
            Some(m2) => m2,
            None => {
                if values.any(f64::is_nan) {
                    return None;
                }
                let mut sums = MomentSums::default();
                with_slice!(values, v => v.iter().for_each(|x| sums.add(x.to_f64(), law.mean())));
                sums.second_moment(values.len())
            }
        };
        variance_ratio_interval_of(
            m2,
            values.len(),
            law.mean(),
            law.variance(),
            law.fourth_central_moment(),
            law.is_normal(),
            INTERVAL_LEVEL,
        )
        .ok()?
    };
    let expected = if let Law::Sparse(s) = law {
        Law::Normal(s.values()).variance()
    } else {
        law.variance()
    };
    Some(VarianceComparison {
        expected,
        observed: interval.ratio * expected,
        ratio: interval.ratio,
        ratio_low: interval.lower,
        ratio_high: interval.upper,
    })
}

fn summarize(
    law: &Law,
    verdict: &Verdict,
    variance: Option<&VarianceComparison>,
    resembles: Option<&Candidate>,
    alpha: f64,
) -> String {
    if verdict.pass {
        let variance = variance.map_or(String::new(), |v| {
            format!(
                "; variance {:.4}× the spec ({:.1}% interval [{:.4}, {:.4}])",
                v.ratio,
                INTERVAL_LEVEL * 100.0,
                v.ratio_low,
                v.ratio_high
            )
        });
        return format!("conforms: every check passes at α = {alpha:e}{variance}");
    }
    let mut reasons = Vec::new();
    for check in verdict
        .checks
        .iter()
        .filter(|c| is_exact(&c.name) && !c.pass)
    {
        reasons.push(check.detail.clone());
    }
    let failed = |name: &str| verdict.check(name).is_some_and(|c| !c.pass);
    if let Some(v) = variance
        && failed("variance")
    {
        reasons.push(format!("variance is {:.4}× the spec", v.ratio));
    }
    if failed("mean") {
        let shift = verdict
            .check("mean")
            .map_or(0.0, |c| c.statistic / (verdict.n as f64).sqrt());
        reasons.push(format!("the mean is shifted by {shift:+.4}σ"));
    }
    // The Haar checks mean something only for a matrix that is orthogonal in the first place.
    if (failed("haar_trace") || failed("haar_diagonal")) && !failed("orthogonality") {
        let negative = verdict
            .check("haar_diagonal")
            .is_some_and(|c| c.detail.contains("mean -"));
        let tested = if verdict.check("haar_trace").is_some() {
            "its trace and diagonal do"
        } else {
            "its diagonal does"
        };
        reasons.push(if negative {
            "the matrix is orthogonal but not Haar-distributed: its diagonal leans negative, the mark of QR without the sign fix Q·diag(sign Rᵢᵢ)".to_string()
        } else {
            format!("the matrix is orthogonal but {tested} not follow the Haar law")
        });
    }
    // Dependence among the values: say which structure was found, and do not send the
    // reader to the marginal shape, which dependent values can break on their own.
    let mut dependent = false;
    for check in verdict.checks.iter().filter(|c| !c.pass) {
        let reason = match check.name.as_str() {
            name if name.starts_with("serial") => {
                format!(
                    "the values are not independent: neighbours {}",
                    check.detail
                )
            }
            "atoms" => format!(
                "one value repeats far more often than the law allows: {}",
                check.detail
            ),
            "duplicate_rows" | "duplicate_columns" | "duplicate_blocks" => {
                format!("copied slices: {}", check.detail)
            }
            "similar_rows" | "similar_columns" => {
                format!("near-copied slices: {}", check.detail)
            }
            _ => continue,
        };
        dependent = true;
        reasons.push(reason);
    }
    let marginal_shape = ["ks", "anderson_darling", "chi2"].iter().any(|n| failed(n));
    if dependent && marginal_shape {
        reasons.push(
            "the marginal checks fail too, which that structure can cause on its own".to_string(),
        );
    }
    if reasons.is_empty() && marginal_shape {
        let family = match law {
            Law::Sparse(_) => "normal in its non-zero values",
            _ => law.family(),
        };
        reasons.push(format!(
            "the variance fits but the shape of the distribution is not {family}"
        ));
    }
    let mut summary = format!("does not conform: {}", reasons.join("; "));
    if let Some(c) = resembles.filter(|_| !dependent) {
        summary.push_str(&format!(
            ": these weights look like {} ({}), i.e. {}",
            c.scheme, c.origin, c.law
        ));
    }
    summary
}

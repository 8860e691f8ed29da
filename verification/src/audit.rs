//! Auditing one tensor against the scheme it claims: the law, the checks, and the verdict in
//! words.

use initspec::{Fans, Law, Scheme};
use serde::Serialize;

use crate::check::{Verdict, check_sample, is_exact};
use crate::gof;
use crate::identify::{Candidate, identify};
use crate::sample::Sample;

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
/// # Errors
/// The scheme cannot apply to this shape (rank < 2 for a fan-based scheme, groups, ...).
pub fn audit(sample: &Sample<'_>, scheme: &Scheme, alpha: f64) -> Result<Audit, initspec::Error> {
    let Sample {
        values,
        shape,
        ref layout,
        groups,
        storage,
    } = *sample;
    let fans = Fans::of_shape(shape, layout, groups).ok();
    let law = scheme.resolve(shape, layout, groups)?;
    let verdict = check_sample(&law, values, storage, alpha);
    let variance = variance_comparison(values, &law);
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
fn variance_comparison(values: &[f64], law: &Law) -> Option<VarianceComparison> {
    if let Law::Sparse(s) = law {
        let non_zeros: Vec<f64> = values.iter().copied().filter(|&x| x != 0.0).collect();
        return variance_comparison(&non_zeros, &Law::Normal(s.values()));
    }
    if law.is_structured() || law.variance() <= 0.0 || values.is_empty() {
        return None;
    }
    let interval = gof::variance_ratio_interval(
        values,
        law.mean(),
        law.variance(),
        law.fourth_central_moment(),
        law.is_normal(),
        INTERVAL_LEVEL,
    )
    .ok()?;
    Some(VarianceComparison {
        expected: law.variance(),
        observed: interval.ratio * law.variance(),
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
    if reasons.is_empty() && ["ks", "anderson_darling", "chi2"].iter().any(|n| failed(n)) {
        let family = match law {
            Law::Sparse(_) => "normal in its non-zero values",
            _ => law.family(),
        };
        reasons.push(format!(
            "the variance fits but the shape of the distribution is not {family}"
        ));
    }
    let mut summary = format!("does not conform: {}", reasons.join("; "));
    if let Some(c) = resembles {
        summary.push_str(&format!(
            ": these weights look like {} ({}), i.e. {}",
            c.scheme, c.origin, c.law
        ));
    }
    summary
}

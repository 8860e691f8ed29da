//! Holm's (1979) step-down multiple-testing procedure.
//!
//! Controls the family-wise error rate at α under any dependence between the tests,
//! and is uniformly more powerful than Bonferroni.

/// Holm-adjusted p-values, in input order.
///
/// ```text
/// p₍₁₎ ≤ … ≤ p₍ₖ₎ sorted;  p̃₍ᵢ₎ = maxⱼ≤ᵢ min(1, (K − j + 1) · p₍ⱼ₎)
/// ```
///
/// Hypothesis i is rejected at family-wise level α exactly when p̃ᵢ ≤ α. A NaN p-value
/// is treated as 1 (never rejected) and does not block the others; ties keep their
/// input order.
///
/// # Example
/// ```
/// # use initspec_verify::gof::holm_adjusted;
/// assert_eq!(holm_adjusted(&[0.01, 0.04, 0.03]), vec![0.03, 0.06, 0.06]);
/// ```
pub fn holm_adjusted(p_values: &[f64]) -> Vec<f64> {
    let k = p_values.len();
    let clean = |p: f64| if p.is_nan() { 1.0 } else { p.clamp(0.0, 1.0) };
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| clean(p_values[a]).total_cmp(&clean(p_values[b])));
    let mut adjusted = vec![1.0; k];
    let mut running = 0.0_f64;
    for (rank, &idx) in order.iter().enumerate() {
        let factor = (k - rank) as f64;
        running = running.max((factor * clean(p_values[idx])).min(1.0));
        adjusted[idx] = running;
    }
    adjusted
}

/// Holm's step-down test at family-wise level `alpha`: reject flags in input order.
///
/// ```text
/// sort p₍₁₎ ≤ … ≤ p₍ₖ₎; reject H₍₁₎, H₍₂₎, … while p₍ᵢ₎ ≤ α / (K − i + 1), then stop
/// ```
///
/// Equivalent to `holm_adjusted(p)[i] ≤ alpha`. NaN p-values are never rejected; a NaN
/// `alpha` rejects nothing.
///
/// # Example
/// ```
/// # use initspec_verify::gof::holm;
/// // α/3 = 0.0167 ≥ 0.01 → reject; α/2 = 0.025 < 0.03 → stop.
/// assert_eq!(holm(&[0.01, 0.04, 0.03], 0.05), vec![true, false, false]);
/// ```
pub fn holm(p_values: &[f64], alpha: f64) -> Vec<bool> {
    holm_adjusted(p_values)
        .into_iter()
        .zip(p_values)
        .map(|(adjusted, p)| !p.is_nan() && adjusted <= alpha)
        .collect()
}

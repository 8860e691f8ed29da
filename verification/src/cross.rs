//! Checks between the tensors of one checkpoint or file: is any tensor a copy of another, and
//! do any two share their random stream (the classic seed-reuse bug: the same seed set
//! before each layer's init, so the layers' values agree element by element)?
//!
//! ```text
//! duplicate       two tensors with random laws hold the same values (an exact check: for
//!                 independent continuous draws the chance is nil)
//! sign_agreement  for every pair of tensors whose laws are symmetric about 0: the number of
//!                 positions i < m where sign(xᵢ) = sign(yᵢ), against Binom(k, ½)
//! ```
//!
//! **Why signs.** Under independence, with each tensor iid and symmetric about 0, the signs
//! of two tensors at one position are two independent fair coins, so over the k positions
//! where neither value is 0 the agreements are *exactly* Binom(k, ½), whatever the laws,
//! scales or shapes: the p-value is exact, not asymptotic. A shared stream makes the values
//! proportional (the same uniform or normal draws scaled by each tensor's bound or std), so
//! every sign agrees (or every sign disagrees): p = 2·2⁻ᵏ. A partial correlation ρ moves
//! the agreement rate to ½ + arcsin(ρ)/π (Sheppard's formula), so a pair with ρ = 0.1 at
//! k = 4096 gives z ≈ 4.1.
//!
//! The positions compared are the first m values in C order (m = 4096, fewer when there
//! are so many pairs that m·pairs would exceed 2³¹ sign comparisons): a stream reused from
//! the start agrees from the first element on. Signs are packed 64 to a word, so a pair
//! costs m/64 XOR-and-popcounts.
//!
//! The pair p-values are combined by Bonferroni (the smallest, times the number of pairs)
//! into the check's one p-value, so the check holds its level whatever the number of
//! tensors; the pairs that fail on their own are listed.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use initspec::Law;
use rayon::prelude::*;
use serde::Serialize;
use statrs::distribution::{Binomial, ContinuousCDF, DiscreteCDF, Normal};

use crate::sample::Values;
use crate::storage::Storage;

/// The most leading values of a tensor the sign check compares.
pub const SIGN_PREFIX: usize = 4096;

/// The most sign comparisons (pairs × prefix) the check makes; beyond, the prefix shrinks.
pub const MAX_SIGN_COMPARISONS: u64 = 1 << 31;

/// What the cross-tensor checks keep of one tensor: a hash of its stored values and its
/// leading signs (a few hundred bytes, whatever its size).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// The tensor's name.
    pub name: String,
    /// 64-bit SipHash of the storage format, the length and the stored values' bits (`None`
    /// when the law is not random: constants, `eye` and `dirac` are equal by design).
    hash: Option<u64>,
    /// Sign bits (1: > 0) and non-zero bits of the first values, 64 to a word.
    signs: SignSketch,
    /// Whether the claimed law is a scalar law symmetric about 0: the signs are then iid fair
    /// coins under the claim, and any pair with this tensor has an exact null law.
    symmetric: bool,
}

/// The leading signs of a tensor, 64 to a word.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SignSketch {
    /// Bit i: value i is > 0.
    positive: Vec<u64>,
    /// Bit i: value i is neither 0 nor NaN.
    nonzero: Vec<u64>,
}

impl Fingerprint {
    /// The fingerprint of a tensor of `values` stored as `storage`, drawn (by claim) from
    /// `law`; `law` = `None` when nothing is claimed (the tensor is hashed, and its signs are
    /// compared only with those of tensors whose law is symmetric about 0).
    pub fn new<'a>(
        name: &str,
        values: impl Into<Values<'a>>,
        storage: Storage,
        law: Option<&Law>,
    ) -> Fingerprint {
        let values = values.into();
        let random = law.is_none_or(is_random);
        let hash = random.then(|| {
            let mut h = DefaultHasher::new();
            storage.name().hash(&mut h);
            values.len().hash(&mut h);
            match values {
                Values::F64(v) => v.iter().for_each(|x| x.to_bits().hash(&mut h)),
                Values::F32(v) => v.iter().for_each(|x| x.to_bits().hash(&mut h)),
                Values::BF16(v) => v.iter().for_each(|x| x.to_bits().hash(&mut h)),
                Values::F16(v) => v.iter().for_each(|x| x.to_bits().hash(&mut h)),
            }
            h.finish()
        });
        let m = values.len().min(SIGN_PREFIX);
        let words = m.div_ceil(64);
        let (mut positive, mut nonzero) = (vec![0u64; words], vec![0u64; words]);
        for i in 0..m {
            let v = values.get(i).unwrap_or(0.0);
            if v > 0.0 {
                positive[i / 64] |= 1 << (i % 64);
            }
            if v != 0.0 && !v.is_nan() {
                nonzero[i / 64] |= 1 << (i % 64);
            }
        }
        Fingerprint {
            name: name.to_string(),
            hash,
            signs: SignSketch { positive, nonzero },
            symmetric: law.is_some_and(symmetric_about_zero),
        }
    }
}

/// Whether `law` draws random values (two independent tensors of it are not equal).
fn is_random(law: &Law) -> bool {
    match law {
        Law::Orthogonal(_) | Law::DeltaOrthogonal(_) | Law::Sparse(_) => true,
        _ if law.is_structured() => false,
        _ => law.variance() > 0.0,
    }
}

/// Whether `law` is a scalar law symmetric about 0 with no atom at 0 (normal, uniform and
/// truncated normal laws centred at 0 on symmetric intervals).
fn symmetric_about_zero(law: &Law) -> bool {
    let support = law.support();
    !law.is_structured()
        && law.variance() > 0.0
        && law.mean() == 0.0
        && support.low == -support.high
}

/// One cross-tensor check's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrossCheck {
    /// `duplicate` or `sign_agreement`.
    pub name: String,
    /// The tensors involved (a duplicate group, the failing or the most extreme pair).
    pub tensors: Vec<String>,
    /// `duplicate`: the number of tensors in the group (0 when none); `sign_agreement`: the
    /// agreement rate of the pair.
    pub statistic: f64,
    /// The p-value: 0 or 1 for `duplicate`; for `sign_agreement` the pair's exact binomial
    /// p-value times the number of pairs (Bonferroni), at most 1.
    pub p_value: f64,
    /// Whether it passes at the level given.
    pub pass: bool,
    /// In words.
    pub detail: String,
}

/// Runs both checks over `prints` at level `alpha` for the sign check. Returns one entry per
/// duplicate group and per failing pair, and one passing entry per check that found
/// nothing (naming the most extreme pair).
pub fn cross_checks(prints: &[Fingerprint], alpha: f64) -> Vec<CrossCheck> {
    let mut out = duplicates(prints);
    out.extend(sign_agreement(prints, alpha));
    out
}

/// Groups of tensors with identical hashes.
fn duplicates(prints: &[Fingerprint]) -> Vec<CrossCheck> {
    let mut groups: HashMap<u64, Vec<&str>> = HashMap::new();
    for p in prints {
        if let Some(h) = p.hash {
            groups.entry(h).or_default().push(&p.name);
        }
    }
    let mut found: Vec<Vec<&str>> = groups.into_values().filter(|g| g.len() > 1).collect();
    found.sort();
    if found.is_empty() {
        let hashed = prints.iter().filter(|p| p.hash.is_some()).count();
        return vec![CrossCheck {
            name: "duplicate".to_string(),
            tensors: Vec::new(),
            statistic: 0.0,
            p_value: 1.0,
            pass: true,
            detail: format!("no two of the {hashed} tensors compared hold the same values"),
        }];
    }
    found
        .into_iter()
        .map(|group| CrossCheck {
            name: "duplicate".to_string(),
            tensors: group.iter().map(|s| s.to_string()).collect(),
            statistic: group.len() as f64,
            p_value: 0.0,
            pass: false,
            detail: format!(
                "{} hold identical values: one stream or one tensor used for {} tensors",
                quote_list(&group),
                group.len()
            ),
        })
        .collect()
}

/// The most tensors whose every pair is compared; beyond [`MAX_PAIRS`] pairs, only exact
/// sign-pattern matches of the first 64 values are looked for (by hashing, in linear time).
pub const MAX_PAIRWISE_TENSORS: usize = 1 << 14;

/// The most pairs compared one by one: those of [`MAX_PAIRWISE_TENSORS`] tensors (≈ 1.3·10⁸).
pub const MAX_PAIRS: u64 = (MAX_PAIRWISE_TENSORS as u64) * (MAX_PAIRWISE_TENSORS as u64 - 1) / 2;

/// One compared pair: tensors `i` and `j` agree at `agree` of `k` positions.
#[derive(Debug, Clone, Copy)]
struct Pair {
    i: usize,
    j: usize,
    agree: u64,
    k: u64,
}

impl Pair {
    /// |2·agree − k|/√k: the agreement's distance from k/2 in standard deviations.
    fn z(&self) -> f64 {
        if self.k == 0 {
            0.0
        } else {
            (2.0 * self.agree as f64 - self.k as f64).abs() / (self.k as f64).sqrt()
        }
    }
}

/// The sign-agreement check over every pair of tensors of which at least one has a law
/// symmetric about 0: that tensor's signs are iid fair coins under its claim, independent of
/// the other tensor under independence, so the agreement count is exactly Binom(k, ½)
/// whatever the other tensor's law (a constant, an orthogonal matrix, anything).
///
/// Each pair costs `words` XOR-and-popcounts; only the pairs whose normal-approximation
/// z-score could reach the level (z above the normal quantile of 100·α/pairs, less 1, a
/// margin far wider than the gap between the binomial and normal tails there) get their
/// exact binomial p-value, so that the check stays linear in the number of pairs.
fn sign_agreement(prints: &[Fingerprint], alpha: f64) -> Vec<CrossCheck> {
    // Tensors whose law is symmetric about 0 first: a pair is tested when its first tensor is.
    let mut order: Vec<&Fingerprint> = prints.iter().collect();
    order.sort_by_key(|p| !p.symmetric);
    let symmetric = order.iter().filter(|p| p.symmetric).count();
    let eligible: Vec<(&str, &SignSketch)> =
        order.iter().map(|p| (p.name.as_str(), &p.signs)).collect();
    let count = eligible.len();
    let pairs = |n: usize| (n as u64) * (n.saturating_sub(1) as u64) / 2;
    // Every pair with at least one symmetric tensor.
    let pairs = pairs(count) - pairs(count - symmetric);
    if pairs == 0 {
        return vec![CrossCheck {
            name: "sign_agreement".to_string(),
            tensors: Vec::new(),
            statistic: 0.5,
            p_value: 1.0,
            pass: true,
            detail: format!(
                "{symmetric} of {count} tensor(s) with laws symmetric about 0: no pair to compare"
            ),
        }];
    }
    let screen = Normal::standard().inverse_cdf(1.0 - (50.0 * alpha / pairs as f64).min(0.5)) - 1.0;
    let (words, pairwise) = if pairs <= MAX_PAIRS {
        // All 64 words unless pairs × values would pass the budget.
        let words = (MAX_SIGN_COMPARISONS / pairs / 64).clamp(1, (SIGN_PREFIX / 64) as u64);
        (words as usize, true)
    } else {
        (1, false)
    };
    let compare = |i: usize, j: usize| {
        let (a, b) = (eligible[i].1, eligible[j].1);
        let w = words.min(a.positive.len()).min(b.positive.len());
        let (mut agree, mut k) = (0u64, 0u64);
        for t in 0..w {
            let both = a.nonzero[t] & b.nonzero[t];
            k += u64::from(both.count_ones());
            agree += u64::from((!(a.positive[t] ^ b.positive[t]) & both).count_ones());
        }
        Pair { i, j, agree, k }
    };
    // (the most extreme pair, the pairs past the screen)
    let (extreme, flagged): (Option<Pair>, Vec<Pair>) = if pairwise {
        (0..symmetric)
            .into_par_iter()
            .map(|i| {
                let mut extreme: Option<Pair> = None;
                let mut flagged = Vec::new();
                for j in i + 1..count {
                    let pair = compare(i, j);
                    let z = pair.z();
                    if extreme.is_none_or(|e| z > e.z()) {
                        extreme = Some(pair);
                    }
                    if z >= screen {
                        flagged.push(pair);
                    }
                }
                (extreme, flagged)
            })
            .reduce(
                || (None, Vec::new()),
                |(e1, mut f1), (e2, f2)| {
                    f1.extend(f2);
                    let e = match (e1, e2) {
                        (Some(a), Some(b)) => Some(if b.z() > a.z() { b } else { a }),
                        (a, b) => a.or(b),
                    };
                    (e, f1)
                },
            )
    } else {
        let flagged = identical_sign_patterns(&eligible)
            .into_iter()
            .filter(|&(i, _)| i < symmetric)
            .map(|(i, j)| compare(i, j))
            .collect::<Vec<_>>();
        (flagged.first().copied(), flagged)
    };
    let adjusted = |pair: &Pair| (binomial_two_sided(pair.agree, pair.k) * pairs as f64).min(1.0);
    let mut failing: Vec<(Pair, f64)> = flagged
        .iter()
        .map(|p| (*p, adjusted(p)))
        .filter(|(_, p)| *p <= alpha)
        .collect();
    failing.sort_by_key(|(p, _)| (p.i, p.j));
    let mut out: Vec<CrossCheck> = failing
        .iter()
        .map(|&(pair, p)| CrossCheck {
            name: "sign_agreement".to_string(),
            tensors: vec![eligible[pair.i].0.to_string(), eligible[pair.j].0.to_string()],
            statistic: pair.agree as f64 / pair.k as f64,
            p_value: p,
            pass: false,
            detail: format!(
                "{:?} and {:?} agree in sign at {} of {} leading positions ({:.1}%; independent tensors agree at 50%): they share a random stream (a reused seed) or are correlated",
                eligible[pair.i].0,
                eligible[pair.j].0,
                pair.agree,
                pair.k,
                100.0 * pair.agree as f64 / pair.k as f64
            ),
        })
        .collect();
    if out.is_empty() {
        let compared = if pairwise {
            format!("on (up to) their first {} values", words * 64)
        } else {
            format!(
                "for identical sign patterns of their first 64 values (more than {MAX_PAIRS} pairs: partial correlation is not looked for)"
            )
        };
        let (tensors, statistic, p_value) = match extreme {
            Some(e) => (
                vec![eligible[e.i].0.to_string(), eligible[e.j].0.to_string()],
                if e.k == 0 {
                    0.5
                } else {
                    e.agree as f64 / e.k as f64
                },
                adjusted(&e),
            ),
            None => (Vec::new(), 0.5, 1.0),
        };
        out.push(CrossCheck {
            name: "sign_agreement".to_string(),
            tensors,
            statistic,
            p_value,
            pass: true,
            detail: format!(
                "{pairs} pairs of tensors compared {compared}: signs agree as for independent tensors"
            ),
        });
    }
    out
}

/// The pairs of tensors whose first 64 signs are identical or exactly opposite (with at least
/// 32 non-zero positions), found by hashing each tensor's canonical pattern: linear time.
fn identical_sign_patterns(eligible: &[(&str, &SignSketch)]) -> Vec<(usize, usize)> {
    let mut groups: HashMap<(u64, u64), Vec<usize>> = HashMap::new();
    for (i, (_, s)) in eligible.iter().enumerate() {
        let (Some(&positive), Some(&nonzero)) = (s.positive.first(), s.nonzero.first()) else {
            continue;
        };
        if nonzero.count_ones() < 32 {
            continue;
        }
        // Canonical: the first non-zero position positive (a negated copy matches too).
        let first = nonzero & nonzero.wrapping_neg();
        let positive = if positive & first == 0 {
            !positive & nonzero
        } else {
            positive & nonzero
        };
        groups.entry((positive, nonzero)).or_default().push(i);
    }
    let mut pairs = Vec::new();
    for members in groups.values() {
        for (x, &i) in members.iter().enumerate() {
            for &j in &members[x + 1..] {
                pairs.push((i.min(j), i.max(j)));
            }
        }
    }
    pairs.sort_unstable();
    pairs
}

/// The exact two-sided p-value of `agree` successes in `k` fair coin flips:
/// `min(1, 2·min(P(X ≤ agree), P(X ≥ agree)))`.
pub(crate) fn binomial_two_sided(agree: u64, k: u64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    let Ok(binomial) = Binomial::new(0.5, k) else {
        return 1.0;
    };
    let low = binomial.cdf(agree);
    let high = if agree == 0 {
        1.0
    } else {
        binomial.sf(agree - 1)
    };
    (2.0 * low.min(high)).min(1.0)
}

/// `"a", "b" and "c"`.
fn quote_list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => quoted.join(""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use initspec::{Sampler, Stream};

    fn draw(law: &str, seed: u64, name: &str, n: usize) -> (Law, Vec<f64>) {
        let law: Law = law.parse().unwrap();
        let mut v = vec![0f64; n];
        Sampler::new(&law, Stream::new(seed, name)).fill(&mut v);
        (law, v)
    }

    const ALPHA: f64 = 1e-6;

    #[test]
    fn binomial_p_values_match_scipy() {
        // scipy.stats.binomtest(k, n, 0.5).pvalue
        assert!((binomial_two_sided(5, 10) - 1.0).abs() < 1e-12);
        assert!((binomial_two_sided(2, 10) - 0.109375).abs() < 1e-12);
        assert!((binomial_two_sided(60, 100) - 0.056887933640980784).abs() < 1e-12);
        assert_eq!(binomial_two_sided(0, 0), 1.0);
        assert!((binomial_two_sided(64, 64) - 2f64.powi(-63)).abs() < 1e-30);
    }

    #[test]
    fn independent_tensors_pass_and_a_reused_stream_fails() {
        // α = 1e-6, n = 4096 leading values each, 12 tensors (66 pairs), seeds 1..=12.
        let mut prints: Vec<Fingerprint> = (1..=12)
            .map(|s| {
                let name = format!("layer.{s}");
                let (law, v) = draw("normal(std=0.02)", s, &name, 5000);
                Fingerprint::new(&name, &v, Storage::F32, Some(&law))
            })
            .collect();
        let checks = cross_checks(&prints, ALPHA);
        assert!(checks.iter().all(|c| c.pass), "{checks:#?}");
        // Negative control: the same (seed, name) stream drawn again at another scale and
        // size (4096 values of N(0, 0.5²)): the values are proportional, every sign agrees.
        let (law, v) = draw("normal(std=0.5)", 1, "layer.1", 4096);
        prints.push(Fingerprint::new("copy", &v, Storage::F32, Some(&law)));
        let checks = cross_checks(&prints, ALPHA);
        let failed: Vec<&CrossCheck> = checks.iter().filter(|c| !c.pass).collect();
        assert_eq!(failed.len(), 1, "{checks:#?}");
        assert_eq!(failed[0].tensors, ["layer.1", "copy"]);
        assert!(
            failed[0].detail.contains("share a random stream"),
            "{}",
            failed[0].detail
        );
    }

    #[test]
    fn beyond_the_pairwise_limit_reused_streams_are_still_found() {
        // α = 1e-6; MAX_PAIRWISE_TENSORS + 16 tensors of 64 values (seed i, name "t"),
        // then a copy of tensor 5's stream negated (the sign pattern flips as a whole).
        let law: Law = "normal(std=0.02)".parse().unwrap();
        let mut prints: Vec<Fingerprint> = (0..MAX_PAIRWISE_TENSORS as u64 + 16)
            .map(|s| {
                let (_, v) = draw("normal(std=0.02)", s, "t", 64);
                Fingerprint::new(&format!("t{s}"), &v, Storage::F32, Some(&law))
            })
            .collect();
        assert!(cross_checks(&prints, ALPHA).iter().all(|c| c.pass));
        let (_, v) = draw("normal(std=0.02)", 5, "t", 64);
        let negated: Vec<f64> = v.iter().map(|x| -x).collect();
        prints.push(Fingerprint::new("copy", &negated, Storage::F32, Some(&law)));
        let failed: Vec<CrossCheck> = cross_checks(&prints, ALPHA)
            .into_iter()
            .filter(|c| !c.pass)
            .collect();
        assert_eq!(failed.len(), 1, "{failed:#?}");
        assert_eq!(failed[0].tensors, ["t5", "copy"]);
        assert_eq!(failed[0].statistic, 0.0, "every sign disagrees");
    }

    #[test]
    fn one_symmetric_side_is_enough() {
        // α = 1e-6, n = 4096, seed 9: y = x + 10⁻⁴ claims N(10⁻⁴, 1) (not symmetric about 0)
        // and a constant claims nothing random; x's signs alone make each pair's null law
        // exact. y shares x's stream: caught; the constant and an unclaimed tensor are not.
        let (law, x) = draw("normal(std=1)", 9, "x", 4096);
        let shifted: Law = "normal(mean=0.0001, std=1)".parse().unwrap();
        let y: Vec<f64> = x.iter().map(|v| v + 1e-4).collect();
        let ones: Law = "ones".parse().unwrap();
        let (_, z) = draw("normal(std=1)", 10, "z", 4096);
        let prints = [
            Fingerprint::new("x", &x, Storage::F64, Some(&law)),
            Fingerprint::new("y", &y, Storage::F64, Some(&shifted)),
            Fingerprint::new("ln", &[1.0; 4096], Storage::F64, Some(&ones)),
            Fingerprint::new("z", &z, Storage::F64, None),
        ];
        let failed: Vec<CrossCheck> = cross_checks(&prints, ALPHA)
            .into_iter()
            .filter(|c| !c.pass)
            .collect();
        assert_eq!(failed.len(), 1, "{failed:#?}");
        assert_eq!(failed[0].tensors, ["x", "y"]);
    }

    #[test]
    fn a_partial_correlation_is_detected() {
        // y = ρx + √(1−ρ²)z with ρ = 0.2: agreement ½ + arcsin(0.2)/π = 0.564; at k = 4096
        // z = 0.064·√4096·2 = 8.2, p ≈ 2e-16 (α = 1e-6, seeds 7 and 8).
        let (law, x) = draw("normal(std=1)", 7, "x", 4096);
        let (_, z) = draw("normal(std=1)", 8, "z", 4096);
        let rho: f64 = 0.2;
        let y: Vec<f64> = x
            .iter()
            .zip(&z)
            .map(|(a, b)| rho * a + (1.0 - rho * rho).sqrt() * b)
            .collect();
        let prints = [
            Fingerprint::new("x", &x, Storage::F32, Some(&law)),
            Fingerprint::new("y", &y, Storage::F32, Some(&law)),
        ];
        let checks = cross_checks(&prints, ALPHA);
        assert!(
            checks.iter().any(|c| c.name == "sign_agreement" && !c.pass),
            "{checks:#?}"
        );
    }

    #[test]
    fn duplicates_of_random_laws_fail_and_constants_do_not() {
        let (law, v) = draw("uniform(a=-0.1, b=0.1)", 3, "a", 100);
        let ones: Law = "constant(value=1)".parse().unwrap();
        let prints = [
            Fingerprint::new("a", &v, Storage::F32, Some(&law)),
            Fingerprint::new("b", &v, Storage::F32, Some(&law)),
            Fingerprint::new("ln.0", &[1.0; 8], Storage::F32, Some(&ones)),
            Fingerprint::new("ln.1", &[1.0; 8], Storage::F32, Some(&ones)),
        ];
        let checks = cross_checks(&prints, ALPHA);
        let dup: Vec<&CrossCheck> = checks.iter().filter(|c| c.name == "duplicate").collect();
        assert_eq!(dup.len(), 1, "{checks:#?}");
        assert_eq!(
            (dup[0].pass, &dup[0].tensors[..]),
            (false, &["a".to_string(), "b".to_string()][..])
        );
        // The same values in another dtype are not the same tensor bytes.
        let prints = [
            Fingerprint::new("a", &v, Storage::F32, Some(&law)),
            Fingerprint::new("b", &v, Storage::F64, Some(&law)),
        ];
        assert!(duplicates(&prints)[0].pass);
    }
}

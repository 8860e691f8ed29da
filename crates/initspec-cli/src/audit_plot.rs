//! The figures of `audit --plot` and `identify --plot`: what the checks saw, drawn with
//! plotters into SVG (text as SVG `<text>`, so no system font is needed).
//!
//! - **Histogram against the law.** The values' histogram as a density, and the law's mass in
//!   each bin divided by the bin's width. For bf16 and f16 the bin edges are moved to rounding
//!   boundaries (the midpoints between neighbouring representable values), so each bin holds
//!   whole rounding cells and the law's mass in it is exactly that of the *rounded* law:
//!   `F(upper edge) − F(lower edge)`.
//! - **Q–Q plot with a simultaneous band.** Order statistics of (an evenly strided subsample
//!   of at most 2²⁰ of) the values against the law's quantiles at their plotting positions,
//!   with the Dvoretzky–Kiefer–Wolfowitz band at the audit's α: with probability at least
//!   1 − α an iid sample of the law lies inside it everywhere, since
//!   `P(sup |Fₙ − F| > ε) ≤ 2·exp(−2nε²)`, `ε = √(ln(2/α) / 2n)`.
//! - **The structure an independence check found** (only when one fails): the lag plot of
//!   consecutive values for `serial`, `serial_axisK`; the two rows or columns it names, value
//!   against value, for `duplicate_*` and `similar_*`; the most frequent values' counts
//!   against the most the rounded law allows for `atoms`.
//!
//! Colours are from the Okabe–Ito palette, which readers with the common colour-vision
//! deficiencies can tell apart.

use std::path::Path;

use anyhow::anyhow;
use initspec::Law;
use initspec_verify::check::Check;
use initspec_verify::sample::Values;
use initspec_verify::storage::Storage;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;

use crate::svg::short;

/// Okabe–Ito blue: the observed values.
const BLUE: RGBColor = RGBColor(0, 114, 178);
/// Okabe–Ito vermilion: the law (first candidate).
const VERMILION: RGBColor = RGBColor(213, 94, 0);
/// Okabe–Ito sky blue: the band.
const SKY: RGBColor = RGBColor(86, 180, 233);
/// The other candidates of `identify --plot`: Okabe–Ito bluish green, orange, reddish purple.
const CANDIDATE_COLOURS: [RGBColor; 4] = [
    VERMILION,
    RGBColor(0, 158, 115),
    RGBColor(230, 159, 0),
    RGBColor(204, 121, 167),
];

/// Bins of the histogram.
const BINS: usize = 60;
/// Values used for the order statistics, the lag plot and the atoms panel (2²⁰).
const SUBSAMPLE: usize = 1 << 20;
/// Points drawn in the Q–Q and lag plots.
const POINTS: usize = 1500;
/// Width of one panel and height of the figure, in pixels.
const PANEL_WIDTH: u32 = 440;
const HEIGHT: u32 = 430;
/// Height of the title strip.
const TITLE_HEIGHT: u32 = 62;
const FONT: &str = "sans-serif";

/// What one tensor's figure shows.
pub struct Subject<'a> {
    /// The file and tensor, for the title.
    pub name: String,
    /// The values, in their stored width.
    pub values: &'a Values<'a>,
    /// Their shape (C order).
    pub shape: &'a [usize],
    /// Their storage.
    pub storage: Storage,
}

/// `audit --plot`: the histogram against `law`, its Q–Q plot and, when an independence check
/// failed, the structure it found, as SVG text.
///
/// # Errors
/// Drawing failed (plotters' error, as text).
pub fn audit_figure(
    subject: &Subject<'_>,
    law: &Law,
    checks: &[Check],
    alpha: f64,
    verdict: &str,
) -> anyhow::Result<String> {
    let sub = subsample(subject.values);
    let failed_iid = checks
        .iter()
        .find(|c| !c.pass && is_structure_check(&c.name));
    let panels = if failed_iid.is_some() { 3 } else { 2 };
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (PANEL_WIDTH * panels, HEIGHT)).into_drawing_area();
        drew(root.fill(&WHITE))?;
        let (title, body) = root.split_vertically(TITLE_HEIGHT);
        let scalar = !law.is_structured();
        let subtitle = format!(
            "law {law}; {} values ({}); {verdict} at α = {alpha:e}",
            subject.values.len(),
            subject.storage.name()
        );
        draw_title(&title, &subject.name, &subtitle)?;
        let areas = body.split_evenly((1, panels as usize));
        let range = plot_range(&sub, scalar.then_some(law));
        let hist = Histogram::new(subject.values, subject.storage, range);
        let laws: Vec<(&Law, String)> = if scalar {
            vec![(law, "the law".to_string())]
        } else {
            Vec::new()
        };
        draw_histogram(&areas[0], &hist, &laws)?;
        if scalar {
            draw_qq(&areas[1], &sub, law, alpha)?;
        } else {
            draw_note(
                &areas[1],
                "A structured law: its checks are about the whole tensor (orthogonality, exact values), not one value's law; see the report.",
            )?;
        }
        if let Some(check) = failed_iid {
            draw_structure(&areas[2], check, subject, &sub)?;
        }
        drew(root.present())?;
    }
    Ok(svg)
}

/// `identify --plot`: the histogram with the top candidates' laws over it.
///
/// # Errors
/// Drawing failed.
pub fn identify_figure(
    subject: &Subject<'_>,
    candidates: &[(Law, String)],
) -> anyhow::Result<String> {
    let sub = subsample(subject.values);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (PANEL_WIDTH * 2, HEIGHT)).into_drawing_area();
        drew(root.fill(&WHITE))?;
        let (title, body) = root.split_vertically(TITLE_HEIGHT);
        let subtitle = format!(
            "{} values ({}); the {} best candidates of identify",
            subject.values.len(),
            subject.storage.name(),
            candidates.len()
        );
        draw_title(&title, &subject.name, &subtitle)?;
        let best = candidates.first().map(|(law, _)| law);
        let range = plot_range(&sub, best.filter(|l| !l.is_structured()));
        let hist = Histogram::new(subject.values, subject.storage, range);
        let laws: Vec<(&Law, String)> = candidates
            .iter()
            .filter(|(law, _)| !law.is_structured())
            .map(|(law, label)| (law, label.clone()))
            .collect();
        draw_histogram(&body, &hist, &laws)?;
        drew(root.present())?;
    }
    Ok(svg)
}

/// Writes `svg` to `path` atomically.
///
/// # Errors
/// The path cannot be written.
pub fn write(path: &Path, svg: &str) -> anyhow::Result<()> {
    crate::svg::write_svg(path, svg)
}

/// The checks whose failure has a picture in the third panel.
fn is_structure_check(name: &str) -> bool {
    name.starts_with("serial")
        || name.starts_with("duplicate_")
        || name.starts_with("similar_")
        || name == "atoms"
}

/// A plotters result as an anyhow result.
fn drew<T, E: std::fmt::Display>(result: Result<T, E>) -> anyhow::Result<T> {
    result.map_err(|e| anyhow!("cannot draw the figure: {e}"))
}

/// An evenly strided subsample of at most [`SUBSAMPLE`] finite values, in tensor order.
fn subsample(values: &Values<'_>) -> Vec<f64> {
    let n = values.len();
    let step = n.div_ceil(SUBSAMPLE).max(1);
    (0..n)
        .step_by(step)
        .filter_map(|i| values.get(i))
        .filter(|v| v.is_finite())
        .collect()
}

/// The plotted range: the values' 0.1 % to 99.9 % (of the subsample), widened to the law's
/// 0.1 % to 99.9 % quantiles when a scalar law is given, so that a tensor far from its law
/// still shows both.
fn plot_range(sub: &[f64], law: Option<&Law>) -> (f64, f64) {
    let mut sorted = sub.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| -> Option<f64> {
        let k = ((sorted.len() as f64 - 1.0) * q).round() as usize;
        sorted.get(k).copied()
    };
    let (mut lo, mut hi) = (at(0.001).unwrap_or(-1.0), at(0.999).unwrap_or(1.0));
    if let Some(law) = law {
        let (a, b) = (law.quantile(0.001), law.quantile(0.999));
        if a.is_finite() && b.is_finite() {
            lo = lo.min(a);
            hi = hi.max(b);
        }
    }
    if !(hi > lo) {
        let half = if lo == 0.0 { 1.0 } else { 0.5 * lo.abs() };
        (lo - half, lo + half)
    } else {
        let pad = 0.02 * (hi - lo);
        (lo - pad, hi + pad)
    }
}

/// The histogram of every value on [`BINS`] bins of the range.
struct Histogram {
    /// Bin edges (`BINS + 1`), at rounding boundaries for bf16 and f16.
    edges: Vec<f64>,
    counts: Vec<u64>,
    /// Finite values in all (inside the bins or not).
    n: u64,
    /// Values below or above the plotted range, and non-finite values.
    outside: u64,
}

impl Histogram {
    fn new(values: &Values<'_>, storage: Storage, (lo, hi): (f64, f64)) -> Histogram {
        let mut edges: Vec<f64> = (0..=BINS)
            .map(|i| lo + (hi - lo) * i as f64 / BINS as f64)
            .map(|e| snap(e, storage))
            .collect();
        edges.dedup();
        if edges.len() < 2 {
            edges = vec![lo, hi];
        }
        let mut counts = vec![0u64; edges.len() - 1];
        let (mut n, mut outside) = (0u64, 0u64);
        for i in 0..values.len() {
            let Some(v) = values.get(i).filter(|v| v.is_finite()) else {
                outside += 1;
                continue;
            };
            n += 1;
            // The bin whose [lower, upper) holds v; the last bin is closed.
            let k = edges.partition_point(|&e| e <= v);
            match k {
                0 => outside += 1,
                k if k < edges.len() => counts[k - 1] += 1,
                _ if v == edges[edges.len() - 1] => *counts.last_mut().unwrap_or(&mut 0) += 1,
                _ => outside += 1,
            }
        }
        Histogram {
            edges,
            counts,
            n,
            outside,
        }
    }

    /// Each bin as (lower, upper, observed density).
    fn densities(&self) -> Vec<(f64, f64, f64)> {
        let n = self.n.max(1) as f64;
        self.edges
            .windows(2)
            .zip(&self.counts)
            .map(|(e, &c)| (e[0], e[1], c as f64 / n / (e[1] - e[0])))
            .collect()
    }

    /// `law`'s mass in each bin over its width, as the points of a step line.
    fn law_steps(&self, law: &Law) -> Vec<(f64, f64)> {
        let mut points = Vec::with_capacity(2 * self.counts.len());
        for e in self.edges.windows(2) {
            let density = (law.cdf(e[1]) - law.cdf(e[0])).max(0.0) / (e[1] - e[0]);
            points.push((e[0], density));
            points.push((e[1], density));
        }
        points
    }
}

/// For bf16 and f16, `e` moved to the lower boundary of the rounding cell of the value it
/// rounds to; for f32 and f64, `e`.
fn snap(e: f64, storage: Storage) -> f64 {
    if !storage.is_lattice() {
        return e;
    }
    let (low, _) = storage.cell(storage.round(e));
    if low.is_finite() { low } else { e }
}

fn draw_title(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    title: &str,
    subtitle: &str,
) -> anyhow::Result<()> {
    drew(area.draw_text(title, &(FONT, 18).into_font().color(&BLACK), (12, 10)))?;
    drew(area.draw_text(subtitle, &(FONT, 13).into_font().color(&BLACK), (12, 36)))?;
    Ok(())
}

fn draw_note(area: &DrawingArea<SVGBackend<'_>, Shift>, text: &str) -> anyhow::Result<()> {
    let style = (FONT, 13).into_font().color(&BLACK);
    let mut line = String::new();
    let mut y = 40;
    for word in text.split(' ') {
        if line.len() + word.len() > 52 {
            drew(area.draw_text(&line, &style, (20, y)))?;
            line.clear();
            y += 18;
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    drew(area.draw_text(&line, &style, (20, y)))?;
    Ok(())
}

fn draw_histogram(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    hist: &Histogram,
    laws: &[(&Law, String)],
) -> anyhow::Result<()> {
    let bars = hist.densities();
    let steps: Vec<Vec<(f64, f64)>> = laws.iter().map(|(law, _)| hist.law_steps(law)).collect();
    let top = bars
        .iter()
        .map(|b| b.2)
        .chain(steps.iter().flatten().map(|p| p.1))
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    // Head room for the legend, one line per series.
    let headroom = 1.1 + 0.12 * laws.len() as f64;
    let top = if top > 0.0 { headroom * top } else { 1.0 };
    let (lo, hi) = (hist.edges[0], hist.edges[hist.edges.len() - 1]);
    let caption = if hist.outside > 0 {
        format!("histogram ({} values outside the range)", hist.outside)
    } else {
        "histogram".to_string()
    };
    let mut chart = real_chart(area, caption, lo..hi, 0.0..top)?;
    draw_axes(&mut chart, "value", "density", false)?;
    drew(
        chart
            .draw_series(
                bars.iter()
                    .map(|&(a, b, d)| Rectangle::new([(a, 0.0), (b, d)], BLUE.mix(0.45).filled())),
            )
            .map(|s| {
                s.label("the values").legend(|(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 14, y + 5)], BLUE.mix(0.45).filled())
                })
            }),
    )?;
    for (i, ((_, label), points)) in laws.iter().zip(steps).enumerate() {
        let colour = CANDIDATE_COLOURS[i % CANDIDATE_COLOURS.len()];
        drew(
            chart
                .draw_series(LineSeries::new(points, colour.stroke_width(2)))
                .map(|s| {
                    s.label(label.as_str()).legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 14, y)], colour.stroke_width(2))
                    })
                }),
        )?;
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight)
}

fn draw_qq(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    sub: &[f64],
    law: &Law,
    alpha: f64,
) -> anyhow::Result<()> {
    let mut sorted = sub.to_vec();
    sorted.sort_by(f64::total_cmp);
    let s = sorted.len();
    if s == 0 {
        return draw_note(area, "no finite values to plot");
    }
    let eps = ((2.0 / alpha).ln() / (2.0 * s as f64)).sqrt();
    let step = s.div_ceil(POINTS).max(1);
    let points: Vec<(f64, f64)> = (0..s)
        .step_by(step)
        .map(|k| (law.quantile((k as f64 + 0.5) / s as f64), sorted[k]))
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    // The band: at p, the sample quantile lies in [F⁻¹(p − ε), F⁻¹(p + ε)].
    // Only where both ends are finite: p − ε > 0 and p + ε < 1.
    let ps: Vec<f64> = (1..200)
        .map(|i| f64::from(i) / 200.0)
        .filter(|&p| p - eps > 0.0 && p + eps < 1.0)
        .collect();
    let clamp = |p: f64| p.clamp(1e-12, 1.0 - 1e-12);
    let upper: Vec<(f64, f64)> = ps
        .iter()
        .map(|&p| (law.quantile(p), law.quantile(clamp(p + eps))))
        .collect();
    let lower: Vec<(f64, f64)> = ps
        .iter()
        .rev()
        .map(|&p| (law.quantile(p), law.quantile(clamp(p - eps))))
        .collect();
    let finite = |v: &f64| v.is_finite();
    let xs = points
        .iter()
        .map(|p| p.0)
        .chain(upper.iter().map(|p| p.0))
        .filter(finite);
    let ys = points.iter().map(|p| p.1).filter(finite);
    let (x_lo, x_hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let (y_lo, y_hi) = ys.fold((x_lo, x_hi), |(a, b), v| (a.min(v), b.max(v)));
    let pad = |a: f64, b: f64| {
        let w = if b > a { 0.04 * (b - a) } else { 1.0 };
        (a - w, b + w)
    };
    let ((x_lo, x_hi), (y_lo, y_hi)) = (pad(x_lo, x_hi), pad(y_lo, y_hi));
    let mut chart = real_chart(area, "Q–Q against the law", x_lo..x_hi, y_lo..y_hi)?;
    draw_axes(
        &mut chart,
        "quantile of the law",
        "value (order statistic)",
        true,
    )?;
    let in_view = |&(x, y): &(f64, f64)| x.is_finite() && y.is_finite();
    let band: Vec<(f64, f64)> = upper
        .into_iter()
        .chain(lower)
        .filter(in_view)
        .map(|(x, y)| (x.clamp(x_lo, x_hi), y.clamp(y_lo, y_hi)))
        .collect();
    drew(
        chart
            .draw_series(std::iter::once(Polygon::new(band, SKY.mix(0.35).filled())))
            .map(|s| {
                s.label(format!("{:.0e}-level band (DKW)", alpha))
                    .legend(|(x, y)| {
                        Rectangle::new([(x, y - 5), (x + 14, y + 5)], SKY.mix(0.35).filled())
                    })
            }),
    )?;
    drew(chart.draw_series(LineSeries::new(
        vec![
            (x_lo.max(y_lo), x_lo.max(y_lo)),
            (x_hi.min(y_hi), x_hi.min(y_hi)),
        ],
        BLACK.mix(0.5).stroke_width(1),
    )))?;
    let shown = one_per_pixel(&chart, &points);
    drew(
        chart
            .draw_series(shown.iter().map(|&p| Circle::new(p, 2, BLUE.filled())))
            .map(|s| {
                s.label(format!("{} order statistics", points.len()))
                    .legend(|(x, y)| Circle::new((x + 7, y), 3, BLUE.filled()))
            }),
    )?;
    draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)
}

/// The third panel: the structure the failed check `check` found.
fn draw_structure(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    check: &Check,
    subject: &Subject<'_>,
    sub: &[f64],
) -> anyhow::Result<()> {
    let name = check.name.as_str();
    if let Some(axis) = name.strip_prefix("serial") {
        // serial: the flat order; serial_axisK: along axis K (stride = the product of the
        // later axes).
        let stride = match axis
            .strip_prefix("_axis")
            .and_then(|k| k.parse::<usize>().ok())
        {
            Some(k) if k < subject.shape.len() => subject.shape[k + 1..].iter().product(),
            _ => 1,
        };
        let n = subject.values.len();
        let pairs: Vec<(f64, f64)> = (0..n.saturating_sub(stride))
            .take(POINTS)
            .filter_map(|i| Some((subject.values.get(i)?, subject.values.get(i + stride)?)))
            .filter(|(a, b)| a.is_finite() && b.is_finite())
            .collect();
        let what = if stride == 1 {
            "next value in C order".to_string()
        } else {
            format!("value {stride} later (next along axis {})", &axis[5..])
        };
        return scatter(
            area,
            &format!("{name} failed: lag plot"),
            "value",
            &what,
            &pairs,
        );
    }
    if name.starts_with("duplicate_") || name.starts_with("similar_") {
        let columns = name.ends_with("columns");
        let (rows, cols) = matrix_view(subject.shape);
        if let Some((a, b)) = first_two_indices(&check.detail) {
            let limit = if columns { cols } else { rows };
            if a < limit && b < limit {
                let (len, at) = if columns {
                    (
                        rows,
                        Box::new(move |k: usize, i: usize| k * cols + i)
                            as Box<dyn Fn(usize, usize) -> usize>,
                    )
                } else {
                    (
                        cols,
                        Box::new(move |k: usize, i: usize| i * cols + k)
                            as Box<dyn Fn(usize, usize) -> usize>,
                    )
                };
                let step = len.div_ceil(POINTS).max(1);
                let pairs: Vec<(f64, f64)> = (0..len)
                    .step_by(step)
                    .filter_map(|k| {
                        Some((subject.values.get(at(k, a))?, subject.values.get(at(k, b))?))
                    })
                    .collect();
                let kind = if columns { "column" } else { "row" };
                return scatter(
                    area,
                    &format!("{name} failed: {kind}s {a} and {b}"),
                    &format!("{kind} {a}"),
                    &format!("{kind} {b}"),
                    &pairs,
                );
            }
        }
        return draw_note(area, &format!("{name} failed: {}", check.detail));
    }
    // atoms: the most frequent values of the subsample, with their counts, and the most
    // that one value should occur (the check's n·p*, read from its detail).
    let mut sorted = sub.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut runs: Vec<(f64, u64)> = Vec::new();
    for v in sorted {
        match runs.last_mut() {
            Some((last, count)) if *last == v => *count += 1,
            _ => runs.push((v, 1)),
        }
    }
    runs.sort_by_key(|r| std::cmp::Reverse(r.1));
    runs.truncate(6);
    let whole = sub.len() == subject.values.len();
    let allowed = if whole {
        expected_at_most(&check.detail)
    } else {
        None
    };
    let top = runs
        .first()
        .map_or(1.0, |r| r.1 as f64)
        .max(allowed.unwrap_or(0.0))
        * 1.15;
    let mut chart = drew(
        ChartBuilder::on(area)
            .caption("atoms failed: the most frequent values", (FONT, 15))
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(62)
            .build_cartesian_2d(0..runs.len().max(1), 0.0..top),
    )?;
    let labels: Vec<String> = runs.iter().map(|r| short(r.0)).collect();
    drew(
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc("value")
            .y_desc(if whole {
                "count"
            } else {
                "count in the subsample"
            })
            .x_labels(runs.len().max(1))
            .x_label_formatter(&|i| labels.get(*i).cloned().unwrap_or_default())
            .y_label_formatter(&|v| short(*v))
            .draw(),
    )?;
    drew(
        chart
            .draw_series(runs.iter().enumerate().map(|(i, r)| {
                Rectangle::new([(i, 0.0), (i + 1, r.1 as f64)], VERMILION.mix(0.7).filled())
            }))
            .map(|s| {
                s.label("occurrences").legend(|(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 14, y + 5)], VERMILION.mix(0.7).filled())
                })
            }),
    )?;
    if let Some(allowed) = allowed {
        drew(
            chart
                .draw_series(LineSeries::new(
                    vec![(0, allowed), (runs.len().max(1), allowed)],
                    BLUE.stroke_width(2),
                ))
                .map(|s| {
                    s.label("the most the law allows one value (n·p*)")
                        .legend(|(x, y)| {
                            PathElement::new(vec![(x, y), (x + 14, y)], BLUE.stroke_width(2))
                        })
                }),
        )?;
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// The count in "(≤ 361.076 expected)" of the `atoms` check's detail.
fn expected_at_most(detail: &str) -> Option<f64> {
    let start = detail.find("(≤ ")? + "(≤ ".len();
    let end = start + detail[start..].find(" expected")?;
    detail[start..end].parse().ok()
}

/// A real-valued chart.
type RealChart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A real-valued chart on `area` with the figures' caption, margin and label areas.
fn real_chart<'a, 'b>(
    area: &'a DrawingArea<SVGBackend<'b>, Shift>,
    caption: impl AsRef<str>,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
) -> anyhow::Result<RealChart<'a, 'b>> {
    drew(
        ChartBuilder::on(area)
            .caption(caption, (FONT, 15))
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(62)
            .build_cartesian_2d(x, y),
    )
}

/// The axes of a real-valued chart: their descriptions, six ticks each with short labels,
/// and grid lines (none across x when `x_mesh` is false).
fn draw_axes(
    chart: &mut RealChart<'_, '_>,
    x_desc: &str,
    y_desc: &str,
    x_mesh: bool,
) -> anyhow::Result<()> {
    let mut mesh = chart.configure_mesh();
    if !x_mesh {
        mesh.disable_x_mesh();
    }
    drew(
        mesh.x_desc(x_desc)
            .y_desc(y_desc)
            .x_labels(6)
            .y_labels(6)
            .x_label_formatter(&|v| short(*v))
            .y_label_formatter(&|v| short(*v))
            .draw(),
    )
}

/// The legend of `chart`'s labelled series, in the corner `position`.
fn draw_legend<'a, 'b: 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, SVGBackend<'b>, CT>,
    position: SeriesLabelPosition,
) -> anyhow::Result<()> {
    drew(
        chart
            .configure_series_labels()
            .position(position)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .label_font((FONT, 12))
            .draw(),
    )
}

/// The [rows, columns] view the row and column checks use: [shape[0], rest].
fn matrix_view(shape: &[usize]) -> (usize, usize) {
    match shape {
        [] => (1, 1),
        [n] => (1, *n),
        [rows, rest @ ..] => (*rows, rest.iter().product()),
    }
}

/// The first two integers after "rows " or "columns " in a check's detail (which names the
/// pair it found, e.g. "rows 0, 1, 2, 3 are identical", "rows 51 and 102 agree …").
fn first_two_indices(detail: &str) -> Option<(usize, usize)> {
    let start = ["rows ", "columns ", "blocks "]
        .iter()
        .filter_map(|w| detail.find(w).map(|i| i + w.len()))
        .min()?;
    let mut numbers = detail[start..]
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse::<usize>().ok());
    Some((numbers.next()?, numbers.next()?))
}

fn scatter(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    caption: &str,
    x_desc: &str,
    y_desc: &str,
    pairs: &[(f64, f64)],
) -> anyhow::Result<()> {
    if pairs.is_empty() {
        return draw_note(area, caption);
    }
    let (lo, hi) = pairs
        .iter()
        .flat_map(|&(a, b)| [a, b])
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(v), h.max(v))
        });
    let pad = if hi > lo { 0.05 * (hi - lo) } else { 1.0 };
    let (lo, hi) = (lo - pad, hi + pad);
    let mut chart = real_chart(area, caption, lo..hi, lo..hi)?;
    draw_axes(&mut chart, x_desc, y_desc, true)?;
    let shown = one_per_pixel(&chart, pairs);
    drew(
        chart.draw_series(
            shown
                .iter()
                .map(|&p| Circle::new(p, 2, VERMILION.mix(0.6).filled())),
        ),
    )?;
    Ok(())
}

/// The points that land on distinct pixels (the first of each): points drawn on top of each
/// other add bytes to the SVG and nothing to the picture.
fn one_per_pixel(chart: &RealChart<'_, '_>, points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut seen = std::collections::HashSet::new();
    points
        .iter()
        .copied()
        .filter(|&p| seen.insert(chart.backend_coord(&p)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_are_read_from_the_details() {
        assert_eq!(
            first_two_indices("rows 0, 1, 2, 3 are identical"),
            Some((0, 1))
        );
        assert_eq!(
            first_two_indices(
                "most extreme pair: rows 51 and 102 agree in sign at 0.4273 of 784 positions"
            ),
            Some((51, 102))
        );
        assert_eq!(first_two_indices("columns 7 and 9"), Some((7, 9)));
        assert_eq!(first_two_indices("no two of the 256 rows"), None);
    }

    #[test]
    fn the_atoms_bound_is_read_from_the_detail() {
        let detail = "the most frequent value -3.1494140625e-2 occurs 575 times; the law rounded to the storage puts at most 1.799e-3 in one value (≤ 361.076 expected)";
        assert_eq!(expected_at_most(detail), Some(361.076));
        assert_eq!(expected_at_most("no value repeats"), None);
    }

    #[test]
    fn bf16_bins_hold_whole_rounding_cells() {
        // Every edge is a rounding boundary: the values on either side round differently.
        for e in [0.013, -0.4, 1.7] {
            let s = snap(e, Storage::BF16);
            let below = Storage::BF16.round(s - s.abs() * 1e-9);
            let above = Storage::BF16.round(s + s.abs() * 1e-9);
            assert_ne!(below, above, "{e} → {s}");
        }
        assert_eq!(snap(0.013, Storage::F32), 0.013);
    }

    #[test]
    fn the_histogram_counts_every_value_once() {
        let v: Vec<f32> = (0..1000).map(|i| i as f32 / 999.0).collect();
        let values = Values::from(&v[..]);
        let h = Histogram::new(&values, Storage::F32, (0.0, 1.0));
        assert_eq!(h.counts.iter().sum::<u64>() + h.outside, 1000);
        assert_eq!(h.outside, 0);
        let h = Histogram::new(&values, Storage::F32, (0.25, 0.75));
        assert_eq!(h.counts.iter().sum::<u64>() + h.outside, 1000);
        assert!(h.outside > 490 && h.outside < 510);
    }
}

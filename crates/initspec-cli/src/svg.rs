//! The `initspec propagate --plot` figure: per-layer activation histograms (the figures of the
//! classic write-ups) above a chart of the per-layer mean and std against the recursion's
//! prediction. Plain SVG 1.1 with generic `font-family="sans-serif"` text, so no font file is
//! needed anywhere; written atomically (a temporary name, then a rename).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::anyhow;
use initspec_io::AtomicFile;

/// Bins of each layer's histogram.
pub const HISTOGRAM_BINS: usize = 40;
/// Histogram panels per row.
pub const PANELS_PER_ROW: usize = 10;
/// Whole figure width in px.
const FIG_WIDTH: f64 = 1100.0;
const PANEL_W: f64 = 100.0;
const PANEL_H: f64 = 110.0;
const PANEL_GAP: f64 = 8.0;
const CHART_H: f64 = 300.0;
const MARGIN: f64 = 45.0;

/// One layer's histogram of post-activations.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerHistogram {
    /// The 1-based layer.
    pub layer: usize,
    /// Counts of the non-zero values in [`HISTOGRAM_BINS`] equal bins over the common range.
    pub counts: Vec<u64>,
    /// Values exactly 0 (ReLU's dead half), shown as a number rather than a bar.
    pub zeros: u64,
    /// All values.
    pub total: u64,
    /// Mean of the values.
    pub mean: f64,
    /// Std of the values.
    pub std: f64,
}

/// A common histogram range `[lo, hi]` over every layer's values (`[-1, 1]` when all are 0
/// or none is finite).
pub fn common_range<'a>(layers: impl IntoIterator<Item = &'a [f64]>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for values in layers {
        for &v in values.iter().filter(|v| v.is_finite()) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if !(hi > lo) {
        let c = if lo.is_finite() { lo } else { 0.0 };
        return (c - 1.0, c + 1.0);
    }
    (lo, hi)
}

/// The histogram of `values` over `[lo, hi]` (non-finite values are counted in `total` only).
pub fn histogram(layer: usize, values: &[f64], lo: f64, hi: f64) -> LayerHistogram {
    let mut counts = vec![0u64; HISTOGRAM_BINS];
    let mut zeros = 0;
    let width = (hi - lo) / HISTOGRAM_BINS as f64;
    for &v in values {
        if v == 0.0 {
            zeros += 1;
        } else if v.is_finite() && width > 0.0 {
            let bin = (((v - lo) / width).floor().max(0.0) as usize).min(HISTOGRAM_BINS - 1);
            counts[bin] += 1;
        }
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let std = (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt();
    LayerHistogram {
        layer,
        counts,
        zeros,
        total: values.len() as u64,
        mean,
        std,
    }
}

/// A per-layer line of the lower chart; `None` points are skipped.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// CSS color.
    pub color: &'static str,
    /// Dashed (predictions) or solid with dots (measurements).
    pub dashed: bool,
    /// One value per layer.
    pub values: Vec<Option<f64>>,
}

/// Escapes text for SVG.
pub(crate) fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A short number for labels.
pub fn short(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if !v.is_finite() {
        format!("{v}")
    } else if (1e-2..1e4).contains(&v.abs()) {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{v:.1e}")
    }
}

/// The figure as SVG text.
pub fn propagation_svg(
    title: &str,
    subtitle: &str,
    range: (f64, f64),
    layers: &[LayerHistogram],
    series: &[Series],
) -> String {
    let rows = layers.len().div_ceil(PANELS_PER_ROW).max(1);
    let hist_top = 60.0;
    let chart_top = hist_top + rows as f64 * (PANEL_H + 36.0) + 20.0;
    let height = chart_top + CHART_H + 70.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{FIG_WIDTH}" height="{height}" viewBox="0 0 {FIG_WIDTH} {height}" font-family="sans-serif">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{MARGIN}" y="24" font-size="16" font-weight="bold">{}</text>"#,
        esc(title)
    );
    let _ = writeln!(
        s,
        r##"<text x="{MARGIN}" y="44" font-size="12" fill="#444">{}</text>"##,
        esc(subtitle)
    );
    // Histograms.
    for (i, h) in layers.iter().enumerate() {
        let (r, c) = (i / PANELS_PER_ROW, i % PANELS_PER_ROW);
        let x0 = MARGIN + c as f64 * (PANEL_W + PANEL_GAP);
        let y0 = hist_top + r as f64 * (PANEL_H + 36.0) + 14.0;
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle">layer {}</text>"#,
            x0 + PANEL_W / 2.0,
            y0 - 3.0,
            h.layer
        );
        let _ = writeln!(
            s,
            r##"<rect x="{x0:.1}" y="{y0:.1}" width="{PANEL_W}" height="{PANEL_H}" fill="#f7f7f7" stroke="#999" stroke-width="0.5"/>"##
        );
        let peak = h.counts.iter().copied().max().unwrap_or(0).max(1) as f64;
        let bw = PANEL_W / HISTOGRAM_BINS as f64;
        for (b, &count) in h.counts.iter().enumerate() {
            if count == 0 {
                continue;
            }
            let bh = (PANEL_H - 4.0) * count as f64 / peak;
            let _ = writeln!(
                s,
                r##"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="#3b6fb6"/>"##,
                x0 + b as f64 * bw,
                y0 + PANEL_H - bh,
                bw,
                bh
            );
        }
        let mut line = y0 + PANEL_H + 12.0;
        for text in [
            format!("mean {}", short(h.mean)),
            format!("std {}", short(h.std)),
        ] {
            let _ = writeln!(
                s,
                r#"<text x="{x0:.1}" y="{line:.1}" font-size="9">{}</text>"#,
                esc(&text)
            );
            line += 10.0;
        }
        if h.zeros > 0 {
            let pct = 100.0 * h.zeros as f64 / h.total.max(1) as f64;
            let _ = writeln!(
                s,
                r##"<text x="{:.1}" y="{:.1}" font-size="9" fill="#b33" text-anchor="end">{pct:.0}% = 0</text>"##,
                x0 + PANEL_W - 2.0,
                y0 + 10.0
            );
        }
    }
    if !layers.is_empty() {
        let _ = writeln!(
            s,
            r##"<text x="{MARGIN}" y="{:.1}" font-size="10" fill="#444">post-activation histograms, common x-range [{}, {}], {} bins, each panel scaled to its tallest bin; exact zeros counted in red, not drawn</text>"##,
            chart_top - 14.0,
            esc(&short(range.0)),
            esc(&short(range.1)),
            HISTOGRAM_BINS
        );
    }
    chart(&mut s, chart_top, layers.len(), series);
    s.push_str("</svg>\n");
    s
}

/// The lower chart: value per layer, log scale when the values span more than 100×.
fn chart(s: &mut String, top: f64, depth: usize, series: &[Series]) {
    let left = MARGIN + 30.0;
    let width = FIG_WIDTH - left - 230.0;
    let all: Vec<f64> = series
        .iter()
        .flat_map(|se| se.values.iter().flatten().copied())
        .filter(|v| v.is_finite())
        .collect();
    let positive: Vec<f64> = all.iter().copied().filter(|&v| v > 0.0).collect();
    let (pmin, pmax) = positive
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let log = all.iter().all(|&v| v > 0.0) && pmax / pmin > 100.0;
    let (lo, hi) = if log {
        (pmin.log10().floor(), pmax.log10().ceil())
    } else {
        let lo = all.iter().copied().fold(0.0f64, f64::min);
        let hi = all.iter().copied().fold(0.0f64, f64::max);
        if hi > lo {
            (lo, hi * 1.05)
        } else {
            (lo, lo + 1.0)
        }
    };
    let ymap = |v: f64| {
        let t = if log { v.log10() } else { v };
        top + CHART_H - CHART_H * (t - lo) / (hi - lo)
    };
    let xmap = |layer: usize| {
        if depth <= 1 {
            left + width / 2.0
        } else {
            left + width * (layer - 1) as f64 / (depth - 1) as f64
        }
    };
    let _ = writeln!(
        s,
        r##"<rect x="{left:.1}" y="{top:.1}" width="{width:.1}" height="{CHART_H}" fill="none" stroke="#999" stroke-width="0.5"/>"##
    );
    // y ticks
    let ticks: Vec<f64> = if log {
        let step = ((hi - lo) / 8.0).ceil().max(1.0);
        let mut t = lo;
        let mut v = Vec::new();
        while t <= hi + 1e-9 {
            v.push(10f64.powf(t));
            t += step;
        }
        v
    } else {
        (0..=5).map(|k| lo + (hi - lo) * k as f64 / 5.0).collect()
    };
    for t in ticks {
        let y = ymap(t);
        let _ = writeln!(
            s,
            r##"<line x1="{left:.1}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd" stroke-width="0.5"/><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end">{}</text>"##,
            left + width,
            left - 4.0,
            y + 3.0,
            esc(&short(t))
        );
    }
    for layer in 1..=depth {
        let label_every = depth.div_ceil(20).max(1);
        if layer % label_every == 0 || layer == 1 {
            let _ = writeln!(
                s,
                r#"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle">{layer}</text>"#,
                xmap(layer),
                top + CHART_H + 14.0
            );
        }
    }
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle">layer{}</text>"#,
        left + width / 2.0,
        top + CHART_H + 30.0,
        if log { " (log-scale values)" } else { "" }
    );
    for (k, se) in series.iter().enumerate() {
        let mut path = String::new();
        let mut pen_down = false;
        for (i, v) in se.values.iter().enumerate() {
            match v {
                Some(v) if v.is_finite() && (!log || *v > 0.0) => {
                    let _ = write!(
                        path,
                        "{}{:.1},{:.1} ",
                        if pen_down { "L" } else { "M" },
                        xmap(i + 1),
                        ymap(*v)
                    );
                    pen_down = true;
                    if !se.dashed {
                        let _ = writeln!(
                            s,
                            r#"<circle cx="{:.1}" cy="{:.1}" r="2.5" fill="{}"/>"#,
                            xmap(i + 1),
                            ymap(*v),
                            se.color
                        );
                    }
                }
                _ => pen_down = false,
            }
        }
        if !path.is_empty() {
            let dash = if se.dashed {
                r#" stroke-dasharray="5,3""#
            } else {
                ""
            };
            let _ = writeln!(
                s,
                r#"<path d="{}" fill="none" stroke="{}" stroke-width="1.5"{dash}/>"#,
                path.trim_end(),
                se.color
            );
        }
        let ly = top + 12.0 + 16.0 * k as f64;
        let lx = left + width + 14.0;
        let dash = if se.dashed {
            r#" stroke-dasharray="5,3""#
        } else {
            ""
        };
        let _ = writeln!(
            s,
            r#"<line x1="{lx:.1}" x2="{:.1}" y1="{ly:.1}" y2="{ly:.1}" stroke="{}" stroke-width="1.5"{dash}/><text x="{:.1}" y="{:.1}" font-size="11">{}</text>"#,
            lx + 22.0,
            se.color,
            lx + 28.0,
            ly + 4.0,
            esc(&se.label)
        );
    }
}

/// Checks, before any work starts, that `path` names an `.svg` file: the figure is SVG, and
/// a `.png` or `.pdf` name would hold text that its extension promises otherwise.
///
/// # Errors
/// Any other extension, or none.
pub fn check_svg_path(path: &Path) -> anyhow::Result<()> {
    let is_svg = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("svg"));
    if is_svg {
        Ok(())
    } else {
        Err(anyhow!(
            "--plot {} must end in .svg: the figure is written as SVG",
            path.display()
        ))
    }
}

/// [`check_svg_path`], and that a file can be created next to `path` (its directory exists
/// and is writable): checked before the work starts, so that a long run does not end in an
/// unwritable figure. Creates and removes a temporary file; `path` itself is not touched.
///
/// # Errors
/// A wrong extension, a missing or unwritable directory, or a directory at `path`.
pub fn check_plot_path(path: &Path) -> anyhow::Result<()> {
    check_svg_path(path)?;
    // Dropped without commit: the temporary file is removed.
    AtomicFile::create(path).map_err(|e| anyhow!("--plot: {e}"))?;
    Ok(())
}

/// Writes `svg` to `path` atomically.
///
/// # Errors
/// An error naming the path when it cannot be written or does not end in `.svg`.
pub fn write_svg(path: &Path, svg: &str) -> anyhow::Result<()> {
    check_svg_path(path)?;
    let mut file = AtomicFile::create(path)?;
    file.write_all(svg.as_bytes())?;
    file.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_counts_and_zeros() {
        let values = [0.0, 0.0, -1.0, 1.0, 0.5, f64::NAN];
        let h = histogram(3, &values, -1.0, 1.0);
        assert_eq!(h.zeros, 2);
        assert_eq!(h.total, 6);
        assert_eq!(h.counts.iter().sum::<u64>(), 3);
        assert_eq!(h.counts[0], 1);
        assert_eq!(h.counts[HISTOGRAM_BINS - 1], 1);
        assert_eq!(common_range([&[0.0, 0.0][..]]), (-1.0, 1.0));
        assert_eq!(
            common_range([&[2.0][..], &[-3.0, f64::INFINITY][..]]),
            (-3.0, 2.0)
        );
    }

    #[test]
    fn figure_is_well_formed_and_writes_atomically() {
        let layers: Vec<_> = (1..=12)
            .map(|l| histogram(l, &[0.1 * l as f64, -0.2, 0.0], -1.0, 2.0))
            .collect();
        let series = vec![
            Series {
                label: "post std".into(),
                color: "#3b6fb6",
                dashed: false,
                values: (1..=12).map(|l| Some(10f64.powi(-l))).collect(),
            },
            Series {
                label: "predicted <std>".into(),
                color: "#d62728",
                dashed: true,
                values: vec![None; 12],
            },
        ];
        let svg = propagation_svg("t & t", "sub", (-1.0, 2.0), &layers, &series);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert!(svg.contains("layer 12") && svg.contains("t &amp; t"));
        assert!(svg.contains("&lt;std&gt;") && svg.contains("log-scale"));
        assert!(svg.contains(r#"font-family="sans-serif""#));
        assert_eq!(svg.matches("<svg").count(), svg.matches("</svg>").count());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.svg");
        write_svg(&path, &svg).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), svg);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(write_svg(&dir.path().join("missing/f.svg"), &svg).is_err());
    }
}

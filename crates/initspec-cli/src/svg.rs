//! The `initspec propagate --plot` figure: per-layer activation histograms (the figures of the
//! classic write-ups) above a chart of the per-layer mean and std against the recursion's
//! prediction. Drawn with plotters' SVG backend, text as SVG `<text>` in the generic
//! `sans-serif` family, so no font file is needed anywhere; written atomically (a temporary
//! name, then a rename).

use std::path::Path;

use anyhow::anyhow;
use initspec_io::AtomicFile;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Bins of each layer's histogram.
pub const HISTOGRAM_BINS: usize = 40;
/// Histogram panels per row.
pub const PANELS_PER_ROW: usize = 10;
/// Whole figure width in px.
const FIG_WIDTH: f64 = 1130.0;
const PANEL_W: f64 = 100.0;
const PANEL_H: f64 = 110.0;
const PANEL_GAP: f64 = 8.0;
const CHART_H: f64 = 300.0;
const MARGIN: f64 = 45.0;
const FONT: &str = "sans-serif";
/// Okabe–Ito blue: the histograms, and the post-activation series.
pub const BLUE: RGBColor = RGBColor(0, 114, 178);
/// Okabe–Ito vermilion: the zero counts, and the pre-activation series.
pub const VERMILION: RGBColor = RGBColor(213, 94, 0);
const GREY: RGBColor = RGBColor(68, 68, 68);
const PANEL: RGBColor = RGBColor(247, 247, 247);
const FRAME: RGBColor = RGBColor(153, 153, 153);
const LIGHT: RGBColor = RGBColor(221, 221, 221);

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
    /// Its colour.
    pub color: RGBColor,
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

/// The figure as SVG text, drawn with plotters: a grid of per-layer histograms
/// ([`PANELS_PER_ROW`] a row, each scaled to its tallest bin, exact zeros counted in red, not
/// drawn), a note on their common range, and below them the per-layer chart of `series`
/// (log scale when every value is positive and they span more than 100×), its legend on the
/// right.
pub fn propagation_svg(
    title: &str,
    subtitle: &str,
    range: (f64, f64),
    layers: &[LayerHistogram],
    series: &[Series],
) -> String {
    let mut svg = String::new();
    // Drawing into a String cannot fail for I/O; a plotters error would be a layout bug,
    // and the figure is then what was drawn before it.
    let _ = draw_propagation(&mut svg, title, subtitle, range, layers, series);
    svg
}

fn draw_propagation(
    svg: &mut String,
    title: &str,
    subtitle: &str,
    range: (f64, f64),
    layers: &[LayerHistogram],
    series: &[Series],
) -> Result<(), Box<dyn std::error::Error>> {
    let rows = layers.len().div_ceil(PANELS_PER_ROW).max(1);
    let hist_top = 60.0;
    let row_height = PANEL_H + 36.0;
    let chart_top = hist_top + rows as f64 * row_height + 20.0;
    let height = chart_top + CHART_H + 70.0;
    let root = SVGBackend::with_string(svg, (FIG_WIDTH as u32, height as u32)).into_drawing_area();
    root.fill(&WHITE)?;
    let font = |size: u32| (FONT, size).into_font().color(&BLACK);
    root.draw_text(
        title,
        &(FONT, 16).into_font().style(FontStyle::Bold).color(&BLACK),
        (MARGIN as i32, 10),
    )?;
    root.draw_text(
        subtitle,
        &(FONT, 12).into_font().color(&GREY),
        (MARGIN as i32, 32),
    )?;
    for (i, h) in layers.iter().enumerate() {
        let (r, c) = (i / PANELS_PER_ROW, i % PANELS_PER_ROW);
        let x0 = (MARGIN + c as f64 * (PANEL_W + PANEL_GAP)) as i32;
        let y0 = (hist_top + r as f64 * row_height + 14.0) as i32;
        let (w, ph) = (PANEL_W as i32, PANEL_H as i32);
        root.draw_text(
            &format!("layer {}", h.layer),
            &font(11).pos(Pos::new(HPos::Center, VPos::Bottom)),
            (x0 + w / 2, y0 - 3),
        )?;
        root.draw(&Rectangle::new(
            [(x0, y0), (x0 + w, y0 + ph)],
            PANEL.filled(),
        ))?;
        root.draw(&Rectangle::new(
            [(x0, y0), (x0 + w, y0 + ph)],
            FRAME.stroke_width(1),
        ))?;
        let peak = h.counts.iter().copied().max().unwrap_or(0).max(1) as f64;
        let bin_width = PANEL_W / HISTOGRAM_BINS as f64;
        for (b, &count) in h.counts.iter().enumerate().filter(|(_, c)| **c > 0) {
            let bar = (PANEL_H - 4.0) * count as f64 / peak;
            let left = x0 + (b as f64 * bin_width).round() as i32;
            let right = x0 + ((b + 1) as f64 * bin_width).round() as i32;
            let top = y0 + (PANEL_H - bar).round() as i32;
            root.draw(&Rectangle::new(
                [(left, top), (right, y0 + ph)],
                BLUE.filled(),
            ))?;
        }
        root.draw_text(
            &format!("mean {}", short(h.mean)),
            &font(9),
            (x0, y0 + ph + 4),
        )?;
        root.draw_text(
            &format!("std {}", short(h.std)),
            &font(9),
            (x0, y0 + ph + 14),
        )?;
        if h.zeros > 0 {
            let pct = 100.0 * h.zeros as f64 / h.total.max(1) as f64;
            let red = (FONT, 9)
                .into_font()
                .color(&VERMILION)
                .pos(Pos::new(HPos::Right, VPos::Top));
            root.draw_text(&format!("{pct:.0}% = 0"), &red, (x0 + w - 2, y0 + 3))?;
        }
    }
    if !layers.is_empty() {
        root.draw_text(
            &format!(
                "post-activation histograms, common x-range [{}, {}], {} bins, each panel scaled to its tallest bin; exact zeros counted in red, not drawn",
                short(range.0),
                short(range.1),
                HISTOGRAM_BINS
            ),
            &(FONT, 10).into_font().color(&GREY),
            (MARGIN as i32, chart_top as i32 - 12),
        )?;
    }
    let lower = root.clone().shrink(
        (0, chart_top as i32),
        (FIG_WIDTH as u32, (CHART_H + 70.0) as u32),
    );
    per_layer_chart(&lower, layers.len(), series)
}

/// The lower chart: each series against the layer, and its legend to the right.
fn per_layer_chart(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    depth: usize,
    series: &[Series],
) -> Result<(), Box<dyn std::error::Error>> {
    let (plot, legend) = area.split_horizontally(FIG_WIDTH as u32 - 230);
    let all: Vec<f64> = series
        .iter()
        .flat_map(|se| se.values.iter().flatten().copied())
        .filter(|v| v.is_finite())
        .collect();
    let (pmin, pmax) = all
        .iter()
        .filter(|&&v| v > 0.0)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let log = !all.is_empty() && all.iter().all(|&v| v > 0.0) && pmax / pmin > 100.0;
    // On a log scale the chart holds log10 of each value and labels the ticks with 10^t.
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
    let to_y = |v: f64| if log { v.log10() } else { v };
    let x_hi = depth.max(2) as f64;
    let mut chart = ChartBuilder::on(&plot)
        .margin_left(MARGIN as u32)
        .margin_right(10)
        .margin_bottom(10)
        .x_label_area_size(36)
        .y_label_area_size(44)
        .build_cartesian_2d(0.5..x_hi + 0.5, lo..hi)?;
    let label_every = depth.div_ceil(20).max(1);
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .bold_line_style(LIGHT)
        .x_desc(if log {
            "layer (log-scale values)"
        } else {
            "layer"
        })
        .x_labels(depth.clamp(1, 20))
        .x_label_formatter(&|x| {
            let layer = x.round();
            let whole = (x - layer).abs() < 1e-9 && layer >= 1.0 && layer <= depth as f64;
            if whole && ((layer as usize).is_multiple_of(label_every) || layer == 1.0) {
                format!("{layer}")
            } else {
                String::new()
            }
        })
        .y_labels(8)
        .y_label_formatter(&|t| {
            if log {
                short(10f64.powf(*t))
            } else {
                short(*t)
            }
        })
        .label_style((FONT, 10))
        .axis_desc_style((FONT, 11))
        .draw()?;
    for se in series {
        // One polyline per run of finite values (a gap where a value is missing).
        let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
        for (i, v) in se.values.iter().enumerate() {
            match v {
                Some(v) if v.is_finite() && (!log || *v > 0.0) => {
                    if let Some(run) = runs.last_mut() {
                        run.push(((i + 1) as f64, to_y(*v)));
                    }
                }
                _ => runs.push(Vec::new()),
            }
        }
        let style = se.color.stroke_width(2);
        for run in runs.into_iter().filter(|r| !r.is_empty()) {
            if se.dashed {
                chart.draw_series(DashedLineSeries::new(run, 5, 3, style))?;
            } else {
                chart.draw_series(run.iter().map(|&p| Circle::new(p, 3, se.color.filled())))?;
                chart.draw_series(LineSeries::new(run, style))?;
            }
        }
    }
    for (k, se) in series.iter().enumerate() {
        let y = 22 + 16 * k as i32;
        let style = se.color.stroke_width(2);
        if se.dashed {
            for x in [14, 24] {
                legend.draw(&PathElement::new(vec![(x, y), (x + 6, y)], style))?;
            }
        } else {
            legend.draw(&PathElement::new(vec![(14, y), (36, y)], style))?;
        }
        legend.draw_text(
            &se.label,
            &(FONT, 11)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Left, VPos::Center)),
            (42, y),
        )?;
    }
    area.present()?;
    Ok(())
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
                color: BLUE,
                dashed: false,
                values: (1..=12).map(|l| Some(10f64.powi(-l))).collect(),
            },
            Series {
                label: "predicted <std>".into(),
                color: VERMILION,
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

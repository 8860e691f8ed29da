//! The `initspec train --plot` figure: test accuracy against epoch, the mean over seeds as a
//! line and the band from the lowest to the highest seed shaded, from epoch 0 (before any
//! step). Drawn with plotters' SVG backend, text in the generic `sans-serif` family.

use initspec_nn::RunResult;
use plotters::prelude::*;

use crate::svg::BLUE;

const WIDTH: u32 = 760;
const HEIGHT: u32 = 440;
const LEFT: i32 = 60;
const TOP: i32 = 50;
const FONT: &str = "sans-serif";
const GREY: RGBColor = RGBColor(68, 68, 68);
const LIGHT: RGBColor = RGBColor(221, 221, 221);

/// Characters of the title's first line (13 px bold sans-serif in the figure's width).
const TITLE_CHARS: usize = 95;

/// `text` split at the last ", " that keeps the first part within `max` characters (the
/// second part is empty when the whole fits).
fn wrap(text: &str, max: usize) -> (&str, &str) {
    if text.chars().count() <= max {
        return (text, "");
    }
    let limit = text.char_indices().nth(max).map_or(text.len(), |(i, _)| i);
    match text[..limit].rfind(", ") {
        Some(i) => (&text[..i], &text[i + 2..]),
        None => (text, ""),
    }
}

/// Per epoch (0 = before training), the mean, lowest and highest test accuracy over the runs
/// that reached it.
pub fn curve(runs: &[RunResult], epochs: usize) -> Vec<(usize, f64, f64, f64)> {
    (0..=epochs)
        .filter_map(|e| {
            let values: Vec<f64> = runs
                .iter()
                .filter_map(|r| {
                    if e == 0 {
                        Some(r.run.initial_test_accuracy)
                    } else {
                        r.run.epochs.get(e - 1).map(|ep| ep.test_accuracy)
                    }
                })
                .collect();
            if values.is_empty() {
                return None;
            }
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            let low = values.iter().copied().fold(f64::INFINITY, f64::min);
            let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            Some((e, mean, low, high))
        })
        .collect()
}

/// The figure as SVG text, drawn with plotters.
pub fn learning_curves_svg(title: &str, runs: &[RunResult], epochs: usize) -> String {
    let mut svg = String::new();
    // Drawing into a String cannot fail for I/O; a plotters error would be a layout bug,
    // and the figure is then what was drawn before it.
    let _ = draw(&mut svg, title, runs, epochs);
    svg
}

fn draw(
    svg: &mut String,
    title: &str,
    runs: &[RunResult],
    epochs: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let points = curve(runs, epochs);
    let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let (first, second) = wrap(title, TITLE_CHARS);
    root.draw_text(
        first,
        &(FONT, 13).into_font().style(FontStyle::Bold).color(&BLACK),
        (LEFT, 8),
    )?;
    let subtitle = format!(
        "{}test accuracy: mean over {} seed(s), band from the lowest to the highest",
        if second.is_empty() {
            String::new()
        } else {
            format!("{second}; ")
        },
        runs.len()
    );
    root.draw_text(&subtitle, &(FONT, 11).into_font().color(&GREY), (LEFT, 26))?;
    let body = root.margin(TOP, 10, 0, 20);
    let mut chart = ChartBuilder::on(&body)
        .x_label_area_size(40)
        .y_label_area_size(LEFT - 20)
        .build_cartesian_2d(0f64..epochs.max(1) as f64, 0f64..1f64)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .bold_line_style(LIGHT)
        .x_desc("epoch")
        .x_labels(11)
        .y_labels(11)
        .x_label_formatter(&|e| {
            if e.fract() == 0.0 {
                format!("{e}")
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|a| format!("{a:.1}"))
        .label_style((FONT, 10))
        .axis_desc_style((FONT, 11))
        .draw()?;
    if !points.is_empty() {
        let band: Vec<(f64, f64)> = points
            .iter()
            .map(|&(e, _, _, high)| (e as f64, high.clamp(0.0, 1.0)))
            .chain(
                points
                    .iter()
                    .rev()
                    .map(|&(e, _, low, _)| (e as f64, low.clamp(0.0, 1.0))),
            )
            .collect();
        chart.draw_series(std::iter::once(Polygon::new(band, BLUE.mix(0.2).filled())))?;
        let mean: Vec<(f64, f64)> = points
            .iter()
            .map(|&(e, mean, _, _)| (e as f64, mean.clamp(0.0, 1.0)))
            .collect();
        chart.draw_series(LineSeries::new(mean, BLUE.stroke_width(2)))?;
    }
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use initspec_nn::experiment::InitDetails;
    use initspec_nn::train::{EpochRecord, TrainRun};

    fn run(seed: u64, accuracies: &[f64]) -> RunResult {
        RunResult {
            seed,
            run: TrainRun {
                initial_test_accuracy: 0.1,
                epochs: accuracies
                    .iter()
                    .enumerate()
                    .map(|(i, &a)| EpochRecord {
                        epoch: i + 1,
                        train_loss: 1.0,
                        test_accuracy: a,
                    })
                    .collect(),
                diverged_at: None,
            },
            details: InitDetails::None,
        }
    }

    #[test]
    fn the_band_spans_the_seeds() {
        let runs = [run(0, &[0.5, 0.9]), run(1, &[0.7, 0.8]), run(2, &[0.6])];
        let c = curve(&runs, 2);
        assert_eq!((c[0].0, c[0].2, c[0].3), (0, 0.1, 0.1));
        assert!((c[0].1 - 0.1).abs() < 1e-15);
        assert!((c[1].1 - 0.6).abs() < 1e-12 && c[1].2 == 0.5 && c[1].3 == 0.7);
        // A run that stopped early (diverged) no longer counts.
        assert!((c[2].1 - 0.85).abs() < 1e-12);
        let svg = learning_curves_svg("t <&>", &runs, 2);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert!(
            svg.contains("t &lt;&amp;&gt;") && svg.contains("<polygon"),
            "{svg}"
        );
        assert_eq!(wrap("a, b, c", 4), ("a", "b, c"));
        assert_eq!(wrap("a, b", 10), ("a, b", ""));
    }
}

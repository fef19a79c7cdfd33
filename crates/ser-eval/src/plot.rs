//! Plots with plotters: confusion matrix (PNG + SVG), the emotion distribution bar chart and the
//! training curves of deep models (loss, validation UAR per epoch).
//!
//! Text is drawn with DejaVu Sans (embedded, see `assets/DejaVuSans-LICENSE.txt`), registered
//! as the `sans-serif` family of plotters' `ab_glyph` text renderer: no system font is needed.
//! PNG files are written to a temporary file in the same folder and renamed into place.

use std::path::Path;
use std::sync::Once;

use ndarray::Array2;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontTransform;
use plotters::style::text_anchor;

use crate::{Error, Result};

static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

/// Registers the embedded font once per process (idempotent).
fn register_font() {
    REGISTER.call_once(|| {
        // The bytes are a valid TrueType font embedded at build time; a failure here would only
        // show up as missing text, so it is ignored rather than turned into a panic.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
        let _ = plotters::style::register_font("sans-serif", FontStyle::Bold, FONT);
    });
}

const FAMILY: &str = "sans-serif";

/// Pixel size of the confusion-matrix image for `n_classes` classes: `(width, height)`.
pub fn confusion_image_size(n_classes: usize) -> (u32, u32) {
    let (cell, left, top, right, bottom) = confusion_layout(n_classes);
    let k = n_classes as u32;
    (left + k * cell + right, top + k * cell + bottom)
}

/// `(cell, left, top, right, bottom)` in pixels.
fn confusion_layout(n_classes: usize) -> (u32, u32, u32, u32, u32) {
    let cell = if n_classes <= 6 { 110 } else { 90 };
    (cell, 150, 90, 60, 80)
}

/// Draws a PNG of `size` pixels atomically: `draw` renders into a temporary file next to `path`
/// (named by [`ser_fs::temp_path_for`], so the encoder still sees `.png`), which
/// [`ser_fs::persist`] syncs and renames into place; on failure the temporary file is removed.
fn png_atomic(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> std::result::Result<(), String>,
) -> Result<()> {
    ser_fs::create_parent(path)?;
    let tmp = ser_fs::temp_path_for(path);
    let drawn = {
        let root = BitMapBackend::new(&tmp, size).into_drawing_area();
        draw(&root)
    };
    if let Err(m) = drawn {
        let _ = std::fs::remove_file(&tmp);
        return Err(plot_err(path, m));
    }
    Ok(ser_fs::persist(&tmp, path)?)
}

fn plot_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Plot {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Colour of a row-normalised value in [0, 1]: white to dark blue (matplotlib "Blues").
fn blues(v: f64) -> RGBColor {
    let v = v.clamp(0.0, 1.0);
    let lo = (247.0, 251.0, 255.0);
    let hi = (8.0, 48.0, 107.0);
    let mix = |a: f64, b: f64| (a + (b - a) * v).round() as u8;
    RGBColor(mix(lo.0, hi.0), mix(lo.1, hi.1), mix(lo.2, hi.2))
}

fn draw_confusion<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    counts: &Array2<u64>,
    labels: &[String],
    title: &str,
) -> std::result::Result<(), String> {
    let k = labels.len();
    let (cell, left, top, _right, _bottom) = confusion_layout(k);
    let (cell, left, top) = (cell as i32, left as i32, top as i32);
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(e)?;
    let title_style = TextStyle::from((FAMILY, 22).into_font()).color(&BLACK);
    root.draw_text(title, &title_style, (20, 20)).map_err(e)?;
    let sub_style = TextStyle::from((FAMILY, 14).into_font()).color(&RGBColor(90, 90, 90));
    root.draw_text(
        "counts; colour = share of the true class (row-normalised)",
        &sub_style,
        (20, 52),
    )
    .map_err(e)?;
    let label_style = TextStyle::from((FAMILY, 16).into_font()).color(&BLACK);
    for (i, label) in labels.iter().enumerate() {
        let i = i as i32;
        // row labels (truth), right-aligned left of the grid
        let ls = label_style.pos(text_anchor::Pos::new(
            text_anchor::HPos::Right,
            text_anchor::VPos::Center,
        ));
        root.draw_text(label, &ls, (left - 10, top + i * cell + cell / 2))
            .map_err(e)?;
        // column labels (prediction), under the grid
        let cs = label_style.pos(text_anchor::Pos::new(
            text_anchor::HPos::Center,
            text_anchor::VPos::Top,
        ));
        root.draw_text(
            label,
            &cs,
            (left + i * cell + cell / 2, top + k as i32 * cell + 10),
        )
        .map_err(e)?;
    }
    let axis_style = TextStyle::from((FAMILY, 18).into_font()).color(&BLACK);
    root.draw_text(
        "predicted",
        &axis_style.pos(text_anchor::Pos::new(
            text_anchor::HPos::Center,
            text_anchor::VPos::Bottom,
        )),
        (
            left + k as i32 * cell / 2,
            top + k as i32 * cell + confusion_layout(k).4 as i32 - 6,
        ),
    )
    .map_err(e)?;
    let true_style = TextStyle::from((FAMILY, 18).into_font().transform(FontTransform::Rotate270))
        .color(&BLACK)
        .pos(text_anchor::Pos::new(
            text_anchor::HPos::Center,
            text_anchor::VPos::Top,
        ));
    root.draw_text("true", &true_style, (8, top + k as i32 * cell / 2))
        .map_err(e)?;
    for t in 0..k {
        let row_sum: u64 = counts.row(t).sum();
        for p in 0..k {
            let c = counts[[t, p]];
            let share = if row_sum == 0 {
                0.0
            } else {
                c as f64 / row_sum as f64
            };
            let x0 = left + p as i32 * cell;
            let y0 = top + t as i32 * cell;
            root.draw(&Rectangle::new(
                [(x0, y0), (x0 + cell, y0 + cell)],
                blues(share).filled(),
            ))
            .map_err(e)?;
            root.draw(&Rectangle::new(
                [(x0, y0), (x0 + cell, y0 + cell)],
                RGBColor(200, 200, 200).stroke_width(1),
            ))
            .map_err(e)?;
            let fg = if share > 0.5 { WHITE } else { BLACK };
            let centre =
                text_anchor::Pos::new(text_anchor::HPos::Center, text_anchor::VPos::Center);
            let count_style = TextStyle::from((FAMILY, 22).into_font())
                .color(&fg)
                .pos(centre);
            root.draw_text(
                &c.to_string(),
                &count_style,
                (x0 + cell / 2, y0 + cell / 2 - 10),
            )
            .map_err(e)?;
            let pct_style = TextStyle::from((FAMILY, 14).into_font())
                .color(&fg)
                .pos(centre);
            root.draw_text(
                &format!("{:.0}%", share * 100.0),
                &pct_style,
                (x0 + cell / 2, y0 + cell / 2 + 16),
            )
            .map_err(e)?;
        }
    }
    root.draw(&Rectangle::new(
        [(left, top), (left + k as i32 * cell, top + k as i32 * cell)],
        BLACK.stroke_width(1),
    ))
    .map_err(e)?;
    root.present().map_err(e)?;
    Ok(())
}

fn check_confusion(counts: &Array2<u64>, labels: &[String]) -> Result<()> {
    let k = labels.len();
    if k == 0 || counts.dim() != (k, k) {
        return Err(Error::Data(format!(
            "confusion plot: expected a {k}x{k} matrix for {k} labels, found {:?}",
            counts.dim()
        )));
    }
    Ok(())
}

/// Writes the confusion matrix as a PNG of [`confusion_image_size`] pixels.
pub fn confusion_png(
    path: &Path,
    counts: &Array2<u64>,
    labels: &[String],
    title: &str,
) -> Result<()> {
    check_confusion(counts, labels)?;
    register_font();
    png_atomic(path, confusion_image_size(labels.len()), |root| {
        draw_confusion(root, counts, labels, title)
    })
}

/// Writes the confusion matrix as an SVG (same layout as the PNG).
pub fn confusion_svg(
    path: &Path,
    counts: &Array2<u64>,
    labels: &[String],
    title: &str,
) -> Result<()> {
    check_confusion(counts, labels)?;
    register_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, confusion_image_size(labels.len()))
            .into_drawing_area();
        draw_confusion(&root, counts, labels, title).map_err(|m| plot_err(path, m))?;
    }
    Ok(ser_fs::write_bytes(path, svg.as_bytes())?)
}

/// Size of the emotion-distribution chart, pixels.
pub const DISTRIBUTION_SIZE: (u32, u32) = (900, 520);

/// Writes a bar chart of the number of utterances per emotion (PNG).
pub fn distribution_png(path: &Path, counts: &[(String, usize)], title: &str) -> Result<()> {
    if counts.is_empty() {
        return Err(Error::Data("distribution plot: no classes".into()));
    }
    register_font();
    png_atomic(path, DISTRIBUTION_SIZE, |root| {
        draw_distribution(root, counts, title)
    })
}

fn draw_distribution<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    counts: &[(String, usize)],
    title: &str,
) -> std::result::Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(e)?;
    let k = counts.len();
    let max = counts.iter().map(|c| c.1).max().unwrap_or(1).max(1);
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FAMILY, 22))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(60)
        .build_cartesian_2d((0..k - 1).into_segmented(), 0..(max + max / 8 + 1))
        .map_err(|e| e.to_string())?;
    let names: Vec<String> = counts.iter().map(|c| c.0.clone()).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_desc("utterances")
        .x_desc("emotion")
        .x_labels(k)
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                names.get(*i).cloned().unwrap_or_default()
            }
            SegmentValue::Last => String::new(),
        })
        .label_style((FAMILY, 15))
        .axis_desc_style((FAMILY, 16))
        .draw()
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(
            Histogram::vertical(&chart)
                .style(RGBColor(49, 130, 189).filled())
                .margin(12)
                .data(counts.iter().enumerate().map(|(i, c)| (i, c.1))),
        )
        .map_err(|e| e.to_string())?;
    let centre = text_anchor::Pos::new(text_anchor::HPos::Center, text_anchor::VPos::Bottom);
    chart
        .draw_series(counts.iter().enumerate().map(|(i, c)| {
            Text::new(
                c.1.to_string(),
                (SegmentValue::CenterOf(i), c.1),
                TextStyle::from((FAMILY, 14).into_font()).pos(centre),
            )
        }))
        .map_err(|e| e.to_string())?;
    root.present().map_err(e)?;
    Ok(())
}

/// One training run's curve for [`training_curve_png`]: per epoch (1-based epoch, training
/// loss, validation loss, validation UAR); NaN values (no validation split) are left out.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingCurve {
    /// Legend label (e.g. the fold's test speaker).
    pub label: String,
    pub epochs: Vec<(usize, f64, f64, f64)>,
}

/// Size of the training-curve chart, pixels.
pub const TRAINING_CURVE_SIZE: (u32, u32) = (1200, 500);

/// Writes the training curves of one or more fits (a deep model per fold) as a PNG: loss on the
/// left (training solid, validation dashed), validation UAR on the right, one colour per curve.
pub fn training_curve_png(path: &Path, curves: &[TrainingCurve], title: &str) -> Result<()> {
    if curves.iter().all(|c| c.epochs.is_empty()) {
        return Err(Error::Data("training-curve plot: no epochs".into()));
    }
    register_font();
    png_atomic(path, TRAINING_CURVE_SIZE, |root| {
        draw_training_curves(root, curves, title)
    })
}

fn draw_training_curves<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    curves: &[TrainingCurve],
    title: &str,
) -> std::result::Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(e)?;
    let root = root.titled(title, (FAMILY, 22)).map_err(e)?;
    let (left, right) = root.split_horizontally(600);
    let max_epoch = curves
        .iter()
        .flat_map(|c| c.epochs.iter().map(|r| r.0))
        .max()
        .unwrap_or(1)
        .max(2);
    let finite = |v: f64| v.is_finite();
    let max_loss = curves
        .iter()
        .flat_map(|c| c.epochs.iter().flat_map(|r| [r.1, r.2]))
        .filter(|v| finite(*v))
        .fold(0.1f64, f64::max);
    let colour = |i: usize| Palette99::pick(i).to_rgba();
    let mut loss = ChartBuilder::on(&left)
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d(1..max_epoch, 0.0..max_loss * 1.05)
        .map_err(|e| e.to_string())?;
    loss.configure_mesh()
        .x_desc("epoch")
        .y_desc("weighted cross-entropy (solid: training, dashed: validation)")
        .label_style((FAMILY, 13))
        .axis_desc_style((FAMILY, 14))
        .draw()
        .map_err(|e| e.to_string())?;
    let mut uar = ChartBuilder::on(&right)
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d(1..max_epoch, 0.0..1.0)
        .map_err(|e| e.to_string())?;
    uar.configure_mesh()
        .x_desc("epoch")
        .y_desc("validation UAR (held-out training speakers)")
        .label_style((FAMILY, 13))
        .axis_desc_style((FAMILY, 14))
        .draw()
        .map_err(|e| e.to_string())?;
    for (i, c) in curves.iter().enumerate() {
        let col = colour(i);
        let pts = |f: fn(&(usize, f64, f64, f64)) -> f64| -> Vec<(usize, f64)> {
            c.epochs
                .iter()
                .filter(|r| f(r).is_finite())
                .map(|r| (r.0, f(r)))
                .collect()
        };
        loss.draw_series(LineSeries::new(pts(|r| r.1), col.stroke_width(2)))
            .map_err(|e| e.to_string())?;
        loss.draw_series(DashedLineSeries::new(
            pts(|r| r.2),
            6,
            4,
            col.stroke_width(1),
        ))
        .map_err(|e| e.to_string())?;
        uar.draw_series(LineSeries::new(pts(|r| r.3), col.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(c.label.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], col.stroke_width(2)));
    }
    uar.configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .label_font((FAMILY, 12))
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(e)?;
    Ok(())
}

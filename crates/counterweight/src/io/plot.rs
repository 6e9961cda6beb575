//! Charts, each written as both `{stem}.svg` and `{stem}.png` (atomically).
//!
//! Pure data in, files out: nothing here knows about models. The PNG text uses the
//! embedded DejaVu Sans (no system fontconfig); the SVG names `sans-serif` and is
//! rendered by the viewer's own font.
//!
//! Style: a fixed colour-blind-safe qualitative palette (Okabe–Ito), 2 px lines, a light
//! grid, the legend placed in the emptiest corner of the plot. Non-finite values (and
//! non-positive ones on a log axis) break a line rather than crash it.

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;
use plotters::style::FontStyle;

use super::IoError;
use super::atomic::write_atomic_bytes;

const FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
static FONT_ONCE: Once = Once::new();

/// Register the embedded font as `sans-serif` (once per process).
fn ensure_font() {
    FONT_ONCE.call_once(|| {
        // The font is compiled in and known to parse; a failure would only lose PNG text.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// Okabe–Ito palette, ordered for contrast on white (yellow last).
const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(0, 0, 0),       // black
    RGBColor(240, 228, 66),  // yellow
];

/// The colour of series `i`.
pub fn palette(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

const FONT_FAMILY: &str = "sans-serif";
const GRID_BOLD: RGBColor = RGBColor(222, 222, 222);
const GRID_LIGHT: RGBColor = RGBColor(242, 242, 242);
const AXIS: RGBColor = RGBColor(110, 110, 110);
const TEXT: RGBColor = RGBColor(40, 40, 40);

/// Default chart size in pixels (width, height).
pub const CHART_SIZE: (u32, u32) = (1000, 600);

/// One named line.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// The legend entry (an empty label has none).
    pub label: String,
    /// x of each point, in the chart's x unit.
    pub xs: Vec<f64>,
    /// y of each point, paired with `xs` by index (extra values of the longer one are
    /// ignored). A non-finite point (or a non-positive one on a log axis) breaks the line
    /// instead of failing the chart.
    pub ys: Vec<f64>,
    /// Draw the line dashed (e.g. a reference that may lie on top of another line).
    pub dashed: bool,
}

impl Series {
    /// A solid line of points `(xs[i], ys[i])` named `label`.
    pub fn new(label: impl Into<String>, xs: Vec<f64>, ys: Vec<f64>) -> Self {
        Self {
            label: label.into(),
            xs,
            ys,
            dashed: false,
        }
    }

    /// The same line, dashed: drawn on top of a line it coincides with, both stay visible.
    pub fn dashed(mut self) -> Self {
        self.dashed = true;
        self
    }
}

/// Font sizes of one chart (pixels).
#[derive(Debug, Clone, Copy)]
struct Fonts {
    title: u32,
    tick: u32,
    axis: u32,
    legend: u32,
}

/// A single chart.
const FONTS: Fonts = Fonts {
    title: 26,
    tick: 15,
    axis: 17,
    legend: 15,
};

/// A panel of small multiples: larger text, since the whole figure is shown scaled down.
const PANEL_FONTS: Fonts = Fonts {
    title: 24,
    tick: 19,
    axis: 20,
    legend: 18,
};

/// The width of `text` at font `size` in pixels: the font's own measure, but never less
/// than 0.52 em per character (the measure can fall short of what is drawn).
fn text_width<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, text: &str, size: u32) -> u32 {
    let rough = (text.chars().count() as f64 * size as f64 * 0.52).ceil() as u32;
    area.estimate_text_size(text, &TextStyle::from((FONT_FAMILY, size).into_font()))
        .map_or(rough, |(w, _)| w.max(rough))
}

/// The largest font size up to `max` (down to `min`) at which `text` fits `width` pixels.
fn fitted_size<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    max: u32,
    min: u32,
    width: u32,
) -> u32 {
    let mut size = max;
    while size > min && text_width(area, text, size) > width {
        size -= 1;
    }
    size
}

/// Draw `title` centred at the top of `area` at a size that fits its width; returns the
/// area below it.
fn titled<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    max: u32,
) -> Result<DrawingArea<DB, Shift>, String> {
    if title.is_empty() {
        return Ok(area.clone());
    }
    let (w, _) = area.dim_in_pixel();
    let size = fitted_size(area, title, max, 12, w.saturating_sub(24));
    area.margin(10, 0, 0, 0)
        .titled(title, (FONT_FAMILY, size).into_font().color(&TEXT))
        .map_err(|e| e.to_string())
}

/// A line chart. Use `..Default::default()` for the optional fields.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LineChart {
    /// Centred above the plot, shrunk to fit its width; empty: no title.
    pub title: String,
    /// Axis labels, with units, e.g. "time (model years)".
    pub x_label: String,
    /// The y axis label, with its unit (see `x_label`).
    pub y_label: String,
    /// The lines, coloured by [`palette`] in order.
    pub series: Vec<Series>,
    /// Fixed y range; otherwise fitted to the data.
    pub y_range: Option<(f64, f64)>,
    /// Fixed x range; otherwise fitted to the data.
    pub x_range: Option<(f64, f64)>,
    /// A logarithmic y axis (for values spanning decades, e.g. a Pareto tail); points with
    /// y <= 0 are left out.
    pub log_y: bool,
    /// A logarithmic x axis; points with x <= 0 are left out.
    pub log_x: bool,
    /// Draw the y = x reference line (grey, dashed), labelled "equality".
    pub diagonal: bool,
    /// The x values are dates as decimal years (`2024.5` is 2 July 2024): ticks read as
    /// dates.
    pub x_dates: bool,
}

fn plot_err(path: &Path, e: impl std::fmt::Display) -> IoError {
    IoError::Plot {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Render with `draw` into an SVG string.
fn render_svg(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), String>,
) -> Result<String, String> {
    ensure_font();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        draw(&root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

/// Render with `draw` into an SVG string and an RGB buffer, then write `{stem}.svg` and
/// `{stem}.png` atomically. Returns both paths.
fn render_both(
    dir: &Path,
    stem: &str,
    size: (u32, u32),
    draw_svg: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), String> + Send,
    draw_png: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), String> + Send,
) -> Result<Vec<PathBuf>, IoError> {
    let svg_path = dir.join(format!("{stem}.svg"));
    let png_path = dir.join(format!("{stem}.png"));

    // The two drawings are independent: side by side on the pool (a run's four charts
    // make eight tasks for its threads instead of four of unequal length). The SVG's
    // error, if both fail, is the one reported, as before.
    let png_of = || -> Result<Vec<u8>, String> {
        let (w, h) = size;
        let mut rgb = vec![255u8; w as usize * h as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
            root.fill(&WHITE).map_err(|e| e.to_string())?;
            draw_png(&root)?;
            root.present().map_err(|e| e.to_string())?;
        }
        encode_png(&rgb, w, h).map_err(|e| e.to_string())
    };
    // Both drawings measure text with the font: registered before either starts.
    ensure_font();
    let (svg, png) = rayon::join(|| render_svg(size, draw_svg), png_of);
    let svg = svg.map_err(|e| plot_err(&svg_path, e))?;
    let png = png.map_err(|e| plot_err(&png_path, e))?;

    write_atomic_bytes(&svg_path, svg.as_bytes())?;
    write_atomic_bytes(&png_path, &png)?;
    Ok(vec![svg_path, png_path])
}

/// An 8-bit RGB buffer as PNG bytes: fast compression (`fdeflate`) and adaptive filtering,
/// the defaults of `image`'s `PngEncoder`, which wrote these files before and gives the
/// same bytes; the `png` crate alone spares the build `image` and its JPEG decoder.
fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    encoder.set_filter(png::FilterType::Sub);
    encoder.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(out)
}

/// A line chart, written as `{dir}/{stem}.svg` and `.png`.
pub fn line_chart(dir: &Path, stem: &str, chart: &LineChart) -> Result<Vec<PathBuf>, IoError> {
    render_both(
        dir,
        stem,
        CHART_SIZE,
        |a| draw_chart(a, chart, FONTS),
        |a| draw_chart(a, chart, FONTS),
    )
}

/// A line chart as SVG text, in memory: the same drawing [`line_chart`] writes to
/// `{stem}.svg` (e.g. for a notebook).
pub fn line_chart_svg(chart: &LineChart) -> Result<String, String> {
    render_svg(CHART_SIZE, |a| draw_chart(a, chart, FONTS))
}

/// Small multiples: several line charts side by side under one title (each panel keeps
/// its own title and axes). Used when one chart per metric reads better than one crowded
/// chart.
pub fn panel_chart(
    dir: &Path,
    stem: &str,
    title: &str,
    panels: &[LineChart],
) -> Result<Vec<PathBuf>, IoError> {
    let (size, grid) = panel_layout(panels);
    render_both(
        dir,
        stem,
        size,
        |a| draw_panels(a, title, panels, grid),
        |a| draw_panels(a, title, panels, grid),
    )
}

/// Small multiples as SVG text, in memory: the same drawing [`panel_chart`] writes.
pub fn panel_chart_svg(title: &str, panels: &[LineChart]) -> Result<String, String> {
    let (size, grid) = panel_layout(panels);
    render_svg(size, |a| draw_panels(a, title, panels, grid))
}

/// One panel of [`mixed_panel_chart`]: lines or bars.
#[derive(Debug, Clone, PartialEq)]
pub enum Panel {
    /// A line chart.
    Line(LineChart),
    /// A bar chart.
    Bars(BarChart),
}

/// A fixed grid of small multiples, filled row by row, each row under its own title
/// (e.g. one row per variant).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Grid {
    /// The number of rows.
    pub rows: usize,
    /// The number of panels in a row.
    pub cols: usize,
    /// One title per row, drawn above it ("" or missing: none).
    pub row_titles: Vec<String>,
}

/// Small multiples of lines and bars under one title: [`panel_chart`] where a panel may
/// also be a bar chart (a final state over named categories beside lines over time).
/// `grid` fixes the rows and columns; otherwise up to three panels go in one row, more in
/// two.
pub fn mixed_panel_chart(
    dir: &Path,
    stem: &str,
    title: &str,
    panels: &[Panel],
    grid: Option<&Grid>,
) -> Result<Vec<PathBuf>, IoError> {
    let (size, grid) = mixed_layout(panels, grid);
    render_both(
        dir,
        stem,
        size,
        |a| draw_mixed_panels(a, title, panels, &grid),
        |a| draw_mixed_panels(a, title, panels, &grid),
    )
}

/// Mixed small multiples as SVG text, in memory: the same drawing
/// [`mixed_panel_chart`] writes.
pub fn mixed_panel_chart_svg(
    title: &str,
    panels: &[Panel],
    grid: Option<&Grid>,
) -> Result<String, String> {
    let (size, grid) = mixed_layout(panels, grid);
    render_svg(size, |a| draw_mixed_panels(a, title, panels, &grid))
}

/// Height of a row's title strip.
const ROW_TITLE: u32 = 44;

/// The size in pixels and the grid of mixed small multiples: rows of bars only are as
/// tall as their longest bar chart needs; a fixed grid of more than two rows gets smaller
/// panels.
fn mixed_layout(panels: &[Panel], grid: Option<&Grid>) -> ((u32, u32), Grid) {
    let ((w, h), (auto_rows, auto_cols)) = panel_grid(panels.len());
    let grid = grid
        .filter(|g| g.rows >= 1 && g.cols >= 1 && g.rows * g.cols >= panels.len())
        .cloned();
    let fixed = grid.is_some();
    let grid = grid.unwrap_or(Grid {
        rows: auto_rows,
        cols: auto_cols,
        row_titles: Vec::new(),
    });
    let bars_only = panels.iter().all(|p| matches!(p, Panel::Bars(_)));
    let mut row_height = if bars_only {
        panels
            .iter()
            .filter_map(|p| match p {
                Panel::Bars(b) => Some(bar_chart_size(b).1 + 40),
                Panel::Line(_) => None,
            })
            .max()
            .unwrap_or(340)
    } else if grid.rows > 2 {
        500
    } else {
        (h - 60) / grid.rows.max(1) as u32
    };
    if grid.row_titles.iter().any(|t| !t.is_empty()) {
        row_height += ROW_TITLE;
    }
    let width = if fixed {
        ((if grid.rows > 2 { 500 } else { 560 }) * grid.cols).max(900) as u32
    } else {
        w
    };
    ((width, 60 + row_height * grid.rows as u32), grid)
}

fn draw_mixed_panels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    panels: &[Panel],
    grid: &Grid,
) -> Result<(), String> {
    let body = titled(root, title, 30)?;
    let draw = |area: &DrawingArea<DB, Shift>, panel: &Panel| match panel {
        Panel::Line(chart) => draw_chart(area, chart, PANEL_FONTS),
        Panel::Bars(chart) => draw_bar_chart(area, chart),
    };
    if grid.row_titles.iter().all(|t| t.is_empty()) {
        for (area, panel) in body.split_evenly((grid.rows, grid.cols)).iter().zip(panels) {
            draw(area, panel)?;
        }
        return Ok(());
    }
    let rows = body.split_evenly((grid.rows, 1));
    for (r, row) in rows.iter().enumerate() {
        let t = grid.row_titles.get(r).map_or("", String::as_str);
        let (w, _) = row.dim_in_pixel();
        let (head, cells) = row.split_vertically(ROW_TITLE);
        if !t.is_empty() {
            // Left-aligned and a little larger than the panels' titles, so a row reads as
            // one group; separated from the row above by a rule.
            let size = fitted_size(&head, t, 26, 12, w.saturating_sub(40));
            head.draw(&PathElement::new(
                vec![(10, 4), (w as i32 - 10, 4)],
                GRID_BOLD.stroke_width(2),
            ))
            .map_err(|e| e.to_string())?;
            head.draw(&Text::new(
                t.to_string(),
                (16, 12),
                (FONT_FAMILY, size)
                    .into_font()
                    .style(FontStyle::Bold)
                    .color(&TEXT),
            ))
            .map_err(|e| e.to_string())?;
        }
        let start = r * grid.cols;
        let row_panels = panels
            .get(start..(start + grid.cols).min(panels.len()))
            .unwrap_or(&[]);
        for (area, panel) in cells.split_evenly((1, grid.cols)).iter().zip(row_panels) {
            draw(area, panel)?;
        }
    }
    Ok(())
}

/// The size in pixels and the grid (rows, columns) of a panel chart.
fn panel_layout(panels: &[LineChart]) -> ((u32, u32), (usize, usize)) {
    panel_grid(panels.len())
}

/// The size in pixels and the grid (rows, columns) of `n` panels.
fn panel_grid(n: usize) -> ((u32, u32), (usize, usize)) {
    let n = n.max(1);
    let (cols, rows) = if n <= 3 { (n, 1) } else { (n.div_ceil(2), 2) };
    // Three panels side by side are shown scaled down: more height and larger text.
    let size = ((560 * cols).max(900) as u32, (60 + 640 * rows) as u32);
    (size, (rows, cols))
}

fn draw_panels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    panels: &[LineChart],
    grid: (usize, usize),
) -> Result<(), String> {
    let body = titled(root, title, 30)?;
    for (area, chart) in body.split_evenly(grid).iter().zip(panels) {
        draw_chart(area, chart, PANEL_FONTS)?;
    }
    Ok(())
}

/// Lorenz curves (cumulative share of actors, poorest first, against cumulative share of
/// the total), with the equality diagonal.
pub fn lorenz_chart(
    dir: &Path,
    stem: &str,
    title: &str,
    curves: &[(String, Vec<(f64, f64)>)],
) -> Result<Vec<PathBuf>, IoError> {
    line_chart(dir, stem, &lorenz_line_chart(title, curves))
}

/// The line chart [`lorenz_chart`] draws.
pub fn lorenz_line_chart(title: &str, curves: &[(String, Vec<(f64, f64)>)]) -> LineChart {
    LineChart {
        title: title.to_string(),
        x_label: "cumulative share of actors, smallest first".into(),
        y_label: "cumulative share of the total".into(),
        series: curves
            .iter()
            .map(|(label, pts)| {
                Series::new(
                    label.clone(),
                    pts.iter().map(|p| p.0).collect(),
                    pts.iter().map(|p| p.1).collect(),
                )
            })
            .collect(),
        x_range: Some((0.0, 1.0)),
        y_range: Some((0.0, 1.0)),
        diagonal: true,
        ..Default::default()
    }
}

/// Maximum points drawn per series in a distribution chart.
pub const MAX_DISTRIBUTION_POINTS: usize = 2000;

/// The empirical complementary CDF P(X ≥ x) of `values` at its positive values,
/// subsampled to at most [`MAX_DISTRIBUTION_POINTS`] points (half evenly in rank, half
/// evenly in log rank so the tail keeps its detail). Probabilities are relative to all
/// finite values; non-positive and non-finite values are not plotted.
pub fn ccdf_points(values: &[f64]) -> Vec<(f64, f64)> {
    let finite = crate::metrics::sorted_finite(values);
    let n_finite = finite.len();
    // In total order the values <= 0 (-0.0 and 0.0 among them) come first.
    let pos = &finite[finite.partition_point(|v| *v <= 0.0)..];
    if pos.is_empty() {
        return Vec::new();
    }
    let m = pos.len();
    let nf = n_finite as f64;
    // Rank r = number of values ≥ pos[i], counted from the top: r = m - i.
    let point = |i: usize| (pos[i], (m - i) as f64 / nf);
    if m <= MAX_DISTRIBUTION_POINTS {
        return (0..m).map(point).collect();
    }
    let half = MAX_DISTRIBUTION_POINTS / 2;
    let mut idx: Vec<usize> = Vec::with_capacity(MAX_DISTRIBUTION_POINTS);
    for k in 0..half {
        idx.push(k * (m - 1) / (half - 1));
    }
    let lm = (m as f64).ln();
    for k in 0..half {
        // Ranks from 1 (the largest value) to m, geometrically spaced.
        let r = (lm * k as f64 / (half - 1) as f64).exp().round() as usize;
        let r = r.clamp(1, m);
        idx.push(m - r);
    }
    idx.sort_unstable();
    idx.dedup();
    idx.into_iter().map(point).collect()
}

/// Complementary CDFs P(X ≥ x) against x on log–log axes, one line per sample.
pub fn distribution_chart(
    dir: &Path,
    stem: &str,
    title: &str,
    samples: &[(String, Vec<f64>)],
) -> Result<Vec<PathBuf>, IoError> {
    line_chart(dir, stem, &distribution_line_chart(title, samples))
}

/// The line chart [`distribution_chart`] draws.
pub fn distribution_line_chart<V: AsRef<[f64]>>(title: &str, samples: &[(String, V)]) -> LineChart {
    LineChart {
        title: title.to_string(),
        x_label: "final value x".into(),
        y_label: "P(X ≥ x)".into(),
        series: samples
            .iter()
            .map(|(label, v)| {
                let pts = ccdf_points(v.as_ref());
                Series::new(
                    label.clone(),
                    pts.iter().map(|p| p.0).collect(),
                    pts.iter().map(|p| p.1).collect(),
                )
            })
            .collect(),
        log_x: true,
        log_y: true,
        ..Default::default()
    }
}

// --- drawing ---------------------------------------------------------------------------
//
// Axes are drawn in *plot coordinates*: the value itself on a linear axis, log10 of the
// value on a logarithmic one, and the tick positions are placed here ([`linear_ticks`],
// [`log_ticks`]) rather than by the plotting library. The library's own logarithmic axis
// loops or allocates without bound once the ratio of its ends overflows f64 (any range
// from below 1e-8 to above 1e300 does), and its linear ticks can stall on ranges a few
// ulps wide. In log10 space every finite positive value is a number in [-324, 309], so
// every range, padding and tick stays finite, and the number of ticks is bounded by
// construction: drawing any finite data always finishes.

/// Largest number of labelled ticks on an axis.
const MAX_TICKS: usize = 8;

fn usable(v: f64, log: bool) -> bool {
    v.is_finite() && (!log || v > 0.0)
}

/// A value in plot coordinates: log10 of it on a logarithmic axis.
fn to_plot(v: f64, log: bool) -> f64 {
    if log { v.log10() } else { v }
}

/// Split a series into runs of drawable points, in plot coordinates.
fn segments(s: &Series, log_x: bool, log_y: bool) -> Vec<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    for (&x, &y) in s.xs.iter().zip(&s.ys) {
        if usable(x, log_x) && usable(y, log_y) {
            cur.push((to_plot(x, log_x), to_plot(y, log_y)));
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The range of one axis in plot coordinates (log10 on a log axis), padded, never empty,
/// always finite with a finite, positive width.
fn fit_range(values: impl Iterator<Item = f64>, log: bool, pad: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|&v| usable(v, log)) {
        let p = to_plot(v, log);
        lo = lo.min(p);
        hi = hi.max(p);
    }
    if lo > hi {
        return if log { (-1.0, 1.0) } else { (0.0, 1.0) };
    }
    if log {
        // Decades: one value gets half a decade either side (about x/3 .. 3x).
        if hi - lo < 1e-9 {
            return (lo - 0.5, hi + 0.5);
        }
        let d = if pad { (hi - lo) * 0.04 } else { 0.0 };
        return (lo - d, hi + d);
    }
    // Halves keep the width finite for values near ±f64::MAX.
    let half_width = hi / 2.0 - lo / 2.0;
    if half_width <= f64::EPSILON * hi.abs().max(1.0) / 2.0 {
        let d = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        return finite_linear(lo - d.max(1e-300), hi + d.max(1e-300));
    }
    let d = if pad { half_width * 0.08 } else { 0.0 };
    // Keep a non-negative quantity's axis starting at zero when it is close to it.
    let lo2 = if lo >= 0.0 && lo - d < 0.0 {
        0.0
    } else {
        lo - d
    };
    finite_linear(lo2, hi + d)
}

/// Clamp a linear range to finite ends whose difference is finite too (clipping data
/// beyond ±f64::MAX/2 only when the data spans nearly the whole of f64).
fn finite_linear(lo: f64, hi: f64) -> (f64, f64) {
    let lo = lo.max(-f64::MAX);
    let hi = hi.min(f64::MAX);
    if (hi - lo).is_finite() {
        (lo, hi)
    } else {
        (lo.max(-f64::MAX / 2.0), hi.min(f64::MAX / 2.0))
    }
}

/// A fixed range given in values, in plot coordinates; `None` if unusable (e.g. a
/// non-positive end on a log axis), so the caller fits the data instead.
fn fixed_range(r: Option<(f64, f64)>, log: bool) -> Option<(f64, f64)> {
    let (a, b) = r?;
    if !(usable(a, log) && usable(b, log) && a < b) {
        return None;
    }
    let (a, b) = (to_plot(a, log), to_plot(b, log));
    (b > a && (b - a).is_finite()).then_some((a, b))
}

/// Up to about `max` "nice" numbers (1, 2 or 5 times a power of ten apart) in [lo, hi],
/// and the step between them. Bounded work whatever the range.
fn nice_ticks(lo: f64, hi: f64, max: usize) -> (Vec<f64>, f64) {
    let width = hi - lo;
    if !(lo.is_finite() && hi.is_finite() && width > 0.0 && width.is_finite()) {
        return (
            vec![lo, hi].into_iter().filter(|v| v.is_finite()).collect(),
            0.0,
        );
    }
    let raw = width / max as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let mut step = f64::NAN;
    for m in [1.0, 2.0, 5.0, 10.0, 20.0] {
        let s = m * mag;
        if s > 0.0 && s.is_finite() && (hi / s).floor() - (lo / s).ceil() < max as f64 {
            step = s;
            break;
        }
    }
    if !(step > 0.0 && step.is_finite()) {
        return (vec![lo, hi], 0.0);
    }
    let first = (lo / step).ceil();
    let mut out: Vec<f64> = Vec::new();
    for i in 0..=max + 1 {
        let v = (first + i as f64) * step;
        if v > hi {
            break;
        }
        // A tick within rounding of zero is zero (no "-1e-17" labels).
        let v = if v.abs() < step * 1e-9 { 0.0 } else { v };
        if v >= lo && out.last().is_none_or(|&l| v > l) {
            out.push(v);
        }
    }
    if out.is_empty() {
        out = vec![lo, hi];
    }
    (out, step)
}

/// Ticks of a linear axis: labelled ticks and light grid lines between them.
fn linear_ticks(lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
    let (bold, step) = nice_ticks(lo, hi, MAX_TICKS);
    let mut light = Vec::new();
    if step > 0.0 {
        let half = step / 2.0;
        let first = (lo / half).ceil();
        for i in 0..=2 * MAX_TICKS + 3 {
            let v = (first + i as f64) * half;
            if v > hi {
                break;
            }
            light.push(v);
        }
    }
    (bold, light)
}

/// Ticks of a logarithmic axis over [lo, hi] in log10 units: whole decades (every 1, 2,
/// 5, 10, ... decades) with light lines at 2..9 times a power of ten; or, on a range
/// holding fewer than two whole decades, nice values of the quantity itself.
fn log_ticks(lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
    let first = lo.ceil();
    let last = hi.floor();
    let decades = if last >= first {
        last - first + 1.0
    } else {
        0.0
    };
    if decades >= 2.0 {
        let mut step = 1.0;
        for s in [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0] {
            step = s;
            if (hi / s).floor() - (lo / s).ceil() < MAX_TICKS as f64 {
                break;
            }
        }
        let mut bold = Vec::new();
        let k0 = (lo / step).ceil();
        for i in 0..=MAX_TICKS + 1 {
            let v = (k0 + i as f64) * step;
            if v > hi {
                break;
            }
            bold.push(v);
        }
        let mut light = Vec::new();
        if step == 1.0 {
            for i in 0..=(decades as usize).min(MAX_TICKS + 1) {
                let d = first - 1.0 + i as f64;
                for m in 2..=9 {
                    let v = d + (m as f64).log10();
                    if v >= lo && v <= hi {
                        light.push(v);
                    }
                }
            }
        } else if decades <= 100.0 {
            light = (0..decades as usize).map(|i| first + i as f64).collect();
        }
        if bold.len() < 3 {
            // Two decades only: label 2 and 5 times each power of ten too (3+ labels).
            for v in light.iter().copied() {
                let m = 10f64.powf(v - v.floor()).round();
                if m == 2.0 || m == 5.0 {
                    bold.push(v);
                }
            }
            bold.sort_by(f64::total_cmp);
            light.retain(|v| !bold.contains(v));
        }
        return (bold, light);
    }
    // Less than two decades: nice values of the quantity, where it is a normal f64.
    let (a, b) = (10f64.powf(lo), 10f64.powf(hi));
    if a >= f64::MIN_POSITIVE && b.is_finite() && b > a {
        for max in [MAX_TICKS, 2 * MAX_TICKS] {
            let (values, _) = nice_ticks(a, b, max);
            let mut bold: Vec<f64> = values
                .into_iter()
                .filter(|&v| v > 0.0)
                .map(f64::log10)
                .filter(|&v| v >= lo && v <= hi)
                .collect();
            if decades == 1.0 && !bold.iter().any(|&v| (v - first).abs() < 1e-9) {
                bold.push(first);
                bold.sort_by(f64::total_cmp);
            }
            if bold.len() >= 3 {
                return (bold, Vec::new());
            }
        }
    }
    // At the very ends of f64 (subnormals, near f64::MAX): evenly in log10.
    let bold = (0..=4).map(|i| lo + (hi - lo) * i as f64 / 4.0).collect();
    (bold, Vec::new())
}

/// One axis: a linear map of plot coordinates onto pixels, with the ticks placed here.
struct TickedAxis {
    lo: f64,
    hi: f64,
    bold: Vec<f64>,
    light: Vec<f64>,
}

impl Ranged for TickedAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let t = (v - self.lo) / (self.hi - self.lo);
        let px = limit.0 as f64 + (limit.1 - limit.0) as f64 * t;
        // Far outside the area (never drawn: lines are clipped first) stays a sane pixel.
        if px.is_nan() {
            return limit.0;
        }
        (px + 1e-3).floor().clamp(-1e6, 1e6) as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.light.clone()
        } else {
            self.bold.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// The coordinate of one axis: a linear range in plot coordinates with our ticks.
fn axis_coord(range: (f64, f64), log: bool) -> TickedAxis {
    let (bold, light) = if log {
        log_ticks(range.0, range.1)
    } else {
        linear_ticks(range.0, range.1)
    };
    TickedAxis {
        lo: range.0,
        hi: range.1,
        bold,
        light,
    }
}

/// Tick label: compact, no float noise. `pow10`: write powers of ten as 10ⁿ (used on
/// log axes that span beyond 0.01..1000, for every tick so the axis reads uniformly).
fn fmt_tick(v: f64, pow10: bool) -> String {
    if !v.is_finite() {
        return String::new();
    }
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if pow10 {
        let k = a.log10().round();
        if (a.log10() - k).abs() < 1e-9 {
            return format!(
                "{}10{}",
                if v < 0.0 { "−" } else { "" },
                superscript(k as i64)
            );
        }
    }
    if !(1e-3..1e6).contains(&a) {
        let s = format!("{v:.2e}");
        // 1.50e6 -> 1.5e6
        if let Some((m, e)) = s.split_once('e') {
            let m = m.trim_end_matches('0').trim_end_matches('.');
            return format!("{m}e{e}");
        }
        return s;
    }
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// The number printed at the end of a bar: four significant digits (`10.99`, not the tick
/// format's `10.9873`; issue 15 item 19), or a percentage with two decimals.
fn bar_label(v: f64, percent: bool) -> String {
    if percent {
        format!("{:.2}%", 100.0 * v)
    } else {
        crate::fmt::sig(v, 4)
    }
}

/// Label of a tick at `l` = log10(value) on a log axis, computed from the exponent so
/// that values beyond the range of f64 (after padding) still read right.
fn fmt_log_tick(l: f64, pow10: bool) -> String {
    if !l.is_finite() {
        return String::new();
    }
    let k = l.round();
    if (l - k).abs() < 1e-9 && (pow10 || !(-3.0..6.0).contains(&k)) {
        return format!("10{}", superscript(k as i64));
    }
    let v = 10f64.powf(l);
    if v.is_normal() {
        return fmt_tick(v, false);
    }
    // Subnormal or beyond f64::MAX: mantissa and exponent from the logarithm.
    let e = l.floor();
    let m = 10f64.powf(l - e);
    let s = format!("{m:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}e{e}")
}

fn superscript(k: i64) -> String {
    const SUP: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let mut s = String::new();
    if k < 0 {
        s.push('⁻');
    }
    for c in k.unsigned_abs().to_string().chars() {
        s.push(SUP[c.to_digit(10).unwrap_or(0) as usize]);
    }
    s
}

/// The tick label formatter of one axis.
fn tick_formatter(log: bool, range: (f64, f64), pow10_always: bool) -> impl Fn(&f64) -> String {
    // Powers of ten as 10ⁿ once a log axis spans beyond 0.01 .. 1000, and only when its
    // ticks are whole decades (a narrower axis labels 1, 2, 5 ... as plain numbers).
    let decades = range.1.floor() - range.0.ceil() + 1.0 >= 2.0;
    let pow10 = log && decades && (pow10_always || range.0 < -2.0 || range.1 > 3.0);
    move |v: &f64| {
        if log {
            fmt_log_tick(*v, pow10)
        } else {
            fmt_tick(*v, false)
        }
    }
}

/// A decimal year (`2024.5`) as a date label: `2024-07-02`, or `2024-07` / `2024` on axes
/// spanning more than two / twenty years (`span`, in years).
pub fn format_decimal_year(y: f64, span: f64) -> String {
    use chrono::{Datelike, Duration, NaiveDate};
    if !y.is_finite() || y.abs() > 200_000.0 {
        return fmt_tick(y, false);
    }
    let year = y.floor();
    let Some(start) = NaiveDate::from_ymd_opt(year as i32, 1, 1) else {
        return fmt_tick(y, false);
    };
    let days = if NaiveDate::from_ymd_opt(year as i32, 12, 31).is_some_and(|d| d.ordinal() == 366) {
        366.0
    } else {
        365.0
    };
    let day = ((y - year) * days + 1e-6).floor() as i64;
    let d = start + Duration::days(day);
    if span > 20.0 {
        format!("{}", d.year())
    } else if span > 2.0 {
        d.format("%Y-%m").to_string()
    } else {
        d.format("%Y-%m-%d").to_string()
    }
}

/// The first corner of the plot (upper left, upper right, lower right, lower left) where
/// a legend box of `size` (fractions of the plot's width and height) covers no data: the
/// lines are followed between their points, not only at them. `None` when every corner
/// holds data: the legend then goes beside the plot (or, in a narrow panel, to the
/// corner holding the least data: [`least_busy_corner`]).
fn legend_corner(
    series: &[Vec<Vec<(f64, f64)>>],
    diagonal: Option<&[(f64, f64)]>,
    xr: (f64, f64),
    yr: (f64, f64),
    size: (f64, f64),
) -> Option<SeriesLabelPosition> {
    corner_counts(series, diagonal, xr, yr, size)
        .into_iter()
        .find(|(_, n)| *n == 0)
        .map(|(c, _)| c)
}

/// The corner whose legend box would cover the fewest sampled points of the lines.
fn least_busy_corner(
    series: &[Vec<Vec<(f64, f64)>>],
    diagonal: Option<&[(f64, f64)]>,
    xr: (f64, f64),
    yr: (f64, f64),
    size: (f64, f64),
) -> SeriesLabelPosition {
    corner_counts(series, diagonal, xr, yr, size)
        .into_iter()
        .min_by_key(|(_, n)| *n)
        .map_or(SeriesLabelPosition::UpperLeft, |(c, _)| c)
}

/// How many sampled points of the lines each corner's legend box would cover, in the
/// order upper left, upper right, lower right, lower left.
fn corner_counts(
    series: &[Vec<Vec<(f64, f64)>>],
    diagonal: Option<&[(f64, f64)]>,
    xr: (f64, f64),
    yr: (f64, f64),
    size: (f64, f64),
) -> Vec<(SeriesLabelPosition, usize)> {
    let norm = |p: (f64, f64)| ((p.0 - xr.0) / (xr.1 - xr.0), (p.1 - yr.0) / (yr.1 - yr.0));
    let (w, h) = (size.0.clamp(0.05, 1.0), size.1.clamp(0.05, 1.0));
    // Corner boxes in normalised coordinates: (x0, x1, y0, y1), with a small margin.
    let corners = [
        (
            SeriesLabelPosition::UpperLeft,
            (0.0, w + 0.03, 1.0 - h - 0.03, 1.0),
        ),
        (
            SeriesLabelPosition::UpperRight,
            (1.0 - w - 0.03, 1.0, 1.0 - h - 0.03, 1.0),
        ),
        (
            SeriesLabelPosition::LowerRight,
            (1.0 - w - 0.03, 1.0, 0.0, h + 0.03),
        ),
        (
            SeriesLabelPosition::LowerLeft,
            (0.0, w + 0.03, 0.0, h + 0.03),
        ),
    ];
    let mut hit = [0usize; 4];
    let mut add = |(u, v): (f64, f64)| {
        for (i, (_, (x0, x1, y0, y1))) in corners.iter().enumerate() {
            if u >= *x0 && u <= *x1 && v >= *y0 && v <= *y1 {
                hit[i] += 1;
            }
        }
    };
    let mut follow = |pts: &[(f64, f64)]| {
        // Every series counts whatever its length: at most ~2,000 steps along it.
        let stride = (pts.len() / 2000).max(1);
        let picked: Vec<(f64, f64)> = pts.iter().step_by(stride).map(|&p| norm(p)).collect();
        if let Some(&p) = picked.first() {
            add(p);
        }
        for w in picked.windows(2) {
            let (a, b) = (w[0], w[1]);
            let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
            let k = if len.is_finite() {
                (len / 0.01).ceil().clamp(1.0, 200.0) as usize
            } else {
                1
            };
            for j in 1..=k {
                let t = j as f64 / k as f64;
                add((a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1)));
            }
        }
    };
    for segs in series {
        for seg in segs {
            follow(seg);
        }
    }
    if let Some(d) = diagonal {
        follow(d);
    }
    corners
        .iter()
        .zip(hit)
        .map(|((c, _), n)| (c.clone(), n))
        .collect()
}

/// The legend box's size as fractions of the plot (about: the plot is `area` less the
/// axis label areas).
fn legend_fraction<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
    fonts: Fonts,
) -> (f64, f64) {
    let (w, h) = area.dim_in_pixel();
    let (pw, ph) = ((w as f64 - 140.0).max(100.0), (h as f64 - 150.0).max(100.0));
    let widest = entries
        .iter()
        .map(|en| text_width(area, &en.label, fonts.legend) as f64)
        .fold(0.0, f64::max);
    let bw = widest + 70.0;
    let bh = entries.len() as f64 * (fonts.legend as f64 + 7.0) + 34.0;
    (bw / pw, bh / ph)
}

/// Clip a polyline (plot coordinates) to the rectangle `xr` × `yr`: the pieces inside,
/// so nothing is ever drawn outside the plotting area (points far outside it would map to
/// pixel coordinates near ±2³¹).
fn clip_polyline(pts: &[(f64, f64)], xr: (f64, f64), yr: (f64, f64)) -> Vec<Vec<(f64, f64)>> {
    let inside = |p: (f64, f64)| p.0 >= xr.0 && p.0 <= xr.1 && p.1 >= yr.0 && p.1 <= yr.1;
    if pts.len() == 1 {
        return if inside(pts[0]) {
            vec![pts.to_vec()]
        } else {
            Vec::new()
        };
    }
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    for w in pts.windows(2) {
        let (a, b) = (w[0], w[1]);
        // Liang–Barsky: the parameter interval [t0, t1] of a + t (b - a) inside.
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        let mut visible = true;
        for (p, q) in [
            (-dx, a.0 - xr.0),
            (dx, xr.1 - a.0),
            (-dy, a.1 - yr.0),
            (dy, yr.1 - a.1),
        ] {
            if p == 0.0 {
                if q < 0.0 {
                    visible = false;
                }
            } else {
                let r = q / p;
                if p < 0.0 {
                    t0 = t0.max(r);
                } else {
                    t1 = t1.min(r);
                }
            }
        }
        if !visible || t0 > t1 || !t0.is_finite() || !t1.is_finite() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let at = |t: f64| {
            (
                (a.0 + t * dx).clamp(xr.0, xr.1),
                (a.1 + t * dy).clamp(yr.0, yr.1),
            )
        };
        let (p0, p1) = (at(t0), at(t1));
        if cur.last() != Some(&p0) {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            cur.push(p0);
        }
        cur.push(p1);
        if t1 < 1.0 {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn draw_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &LineChart,
    fonts: Fonts,
) -> Result<(), String> {
    let (log_x, log_y) = (chart.log_x, chart.log_y);
    let xr = fixed_range(chart.x_range, log_x).unwrap_or_else(|| {
        fit_range(
            chart.series.iter().flat_map(|s| s.xs.iter().copied()),
            log_x,
            log_x,
        )
    });
    let yr = fixed_range(chart.y_range, log_y).unwrap_or_else(|| {
        fit_range(
            chart.series.iter().flat_map(|s| s.ys.iter().copied()),
            log_y,
            true,
        )
    });
    let diagonal: Option<Vec<(f64, f64)>> = chart
        .diagonal
        .then(|| {
            // y = x, in plot coordinates: a straight line when both axes share a scale.
            if log_x == log_y {
                let (a, b) = (xr.0.max(yr.0), xr.1.min(yr.1));
                if a < b {
                    vec![(a, a), (b, b)]
                } else {
                    Vec::new()
                }
            } else {
                (0..=100)
                    .filter_map(|i| {
                        let p = xr.0 + (xr.1 - xr.0) * i as f64 / 100.0;
                        let v = if log_x { 10f64.powf(p) } else { p };
                        let q = to_plot(v, log_y);
                        (usable(v, log_y) && q >= yr.0 && q <= yr.1).then_some((p, q))
                    })
                    .collect()
            }
        })
        .filter(|pts| pts.len() >= 2);
    let drawn: Vec<Vec<Vec<(f64, f64)>>> = chart
        .series
        .iter()
        .map(|s| segments(s, log_x, log_y))
        .collect();
    let diag_style = ShapeStyle {
        color: RGBColor(150, 150, 150).to_rgba(),
        filled: false,
        stroke_width: 1,
    };
    let mut entries: Vec<LegendEntry> = Vec::new();
    if diagonal.is_some() {
        entries.push(LegendEntry {
            label: "equality".into(),
            style: diag_style,
            mark: Mark::Dashed,
        });
    }
    for (i, (s, segs)) in chart.series.iter().zip(&drawn).enumerate() {
        if !s.label.is_empty() && segs.iter().any(|g| !g.is_empty()) {
            entries.push(LegendEntry {
                label: s.label.clone(),
                style: line_style(i),
                mark: if s.dashed { Mark::Dashed } else { Mark::Line },
            });
        }
    }
    let body = titled(area, &chart.title, fonts.title)?;
    let size = legend_fraction(&body, &entries, fonts);
    let mut corner = legend_corner(&drawn, diagonal.as_deref(), xr, yr, size);
    if corner.is_none() && body.dim_in_pixel().0 < 800 {
        // A narrow panel has no room beside it: the corner with the least data.
        corner = Some(least_busy_corner(&drawn, diagonal.as_deref(), xr, yr, size));
    }
    let (plot_area, side) = split_for_legend(&body, &entries, corner.as_ref(), fonts);
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let mut cc = ChartBuilder::on(&plot_area)
        .margin(18)
        .x_label_area_size(40 + fonts.tick + fonts.axis / 2)
        .y_label_area_size(60 + fonts.tick + fonts.axis)
        .build_cartesian_2d(axis_coord(xr, log_x), axis_coord(yr, log_y))
        .map_err(e)?;
    let xf: Box<dyn Fn(&f64) -> String> = if chart.x_dates && !log_x {
        let span = xr.1 - xr.0;
        Box::new(move |v: &f64| format_decimal_year(*v, span))
    } else {
        Box::new(tick_formatter(log_x, xr, false))
    };
    let yf = tick_formatter(log_y, yr, false);
    configure_mesh(&mut cc, &chart.x_label, &chart.y_label, &xf, &yf, fonts)?;

    let inside = side.is_none();
    if let Some(pts) = &diagonal {
        let ann = cc
            .draw_series(DashedLineSeries::new(pts.clone(), 6, 5, diag_style))
            .map_err(e)?;
        if inside {
            ann.label("equality")
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], diag_style));
        }
    }
    for (i, (s, segs)) in chart.series.iter().zip(&drawn).enumerate() {
        let label = if inside { s.label.as_str() } else { "" };
        draw_line(&mut cc, label, segs, i, s.dashed, xr, yr)?;
    }
    match (side, corner) {
        (Some(side), _) => draw_side_legend(&side, &entries, fonts)?,
        (None, Some(pos)) if !entries.is_empty() => draw_legend(&mut cc, pos, fonts)?,
        _ => {}
    }
    Ok(())
}

/// How a legend entry is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mark {
    Line,
    Dashed,
    Cross,
}

/// One legend entry: its text, colour and mark.
#[derive(Debug, Clone)]
struct LegendEntry {
    label: String,
    style: ShapeStyle,
    mark: Mark,
}

/// The 2 px line of palette colour `i`.
fn line_style(i: usize) -> ShapeStyle {
    ShapeStyle {
        color: palette(i).to_rgba(),
        filled: false,
        stroke_width: 2,
    }
}

/// When no corner of the plot is free of data (`corner` is `None`), cut a strip off the
/// right of `area` for the legend, so it covers nothing: (the plot's area, the strip).
fn split_for_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
    corner: Option<&SeriesLabelPosition>,
    fonts: Fonts,
) -> (DrawingArea<DB, Shift>, Option<DrawingArea<DB, Shift>>) {
    if corner.is_some() || entries.is_empty() {
        return (area.clone(), None);
    }
    let (w, _) = area.dim_in_pixel();
    let widest = entries
        .iter()
        .map(|en| text_width(area, &en.label, fonts.legend))
        .max()
        .unwrap_or(0);
    let strip = (widest + 50).min(w * 2 / 5).max(80);
    let (plot, side) = area.split_horizontally(w.saturating_sub(strip));
    (plot, Some(side))
}

/// A legend drawn by hand in its own strip beside the plot, entries top to bottom; labels
/// too long for the strip are cut with `…`.
fn draw_side_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
    fonts: Fonts,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let (w, _) = area.dim_in_pixel();
    let font = (FONT_FAMILY, fonts.legend).into_font().color(&TEXT);
    let row = (fonts.legend as i32 * 3) / 2 + 4;
    let top = 30;
    for (k, en) in entries.iter().enumerate() {
        let y = top + row * k as i32;
        let style = en.style;
        match en.mark {
            Mark::Line => area
                .draw(&PathElement::new(vec![(4, y), (28, y)], style))
                .map_err(e)?,
            Mark::Dashed => {
                for x in [4, 14, 24] {
                    area.draw(&PathElement::new(vec![(x, y), (x + 6, y)], style))
                        .map_err(e)?;
                }
            }
            Mark::Cross => area.draw(&Cross::new((16, y), 6, style)).map_err(e)?,
        }
        let max_chars = ((w as f64 - 40.0) / (fonts.legend as f64 * 0.52)).max(4.0) as usize;
        let label = short_name(&en.label, max_chars);
        area.draw(&Text::new(
            label,
            (36, y - fonts.legend as i32 / 2 - 1),
            font.clone(),
        ))
        .map_err(e)?;
    }
    Ok(())
}

/// The mesh (grid, axes, tick labels, axis titles), in the same style on every chart.
fn configure_mesh<'a, DB: DrawingBackend + 'a>(
    cc: &mut ChartContext<'a, DB, Cartesian2d<TickedAxis, TickedAxis>>,
    x_label: &str,
    y_label: &str,
    xf: &dyn Fn(&f64) -> String,
    yf: &dyn Fn(&f64) -> String,
    fonts: Fonts,
) -> Result<(), String> {
    cc.configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .x_label_formatter(xf)
        .y_label_formatter(yf)
        .label_style((FONT_FAMILY, fonts.tick).into_font().color(&TEXT))
        .axis_desc_style((FONT_FAMILY, fonts.axis).into_font().color(&TEXT))
        .bold_line_style(GRID_BOLD)
        .light_line_style(GRID_LIGHT)
        .axis_style(AXIS)
        .draw()
        .map_err(|e| e.to_string())
}

/// Draw one series (its segments in plot coordinates) in palette colour `i`: lines,
/// single points as dots, clipped to the plotting area. The first piece carries the
/// legend entry; returns whether there is one.
fn draw_line<'a, DB, CT>(
    cc: &mut ChartContext<'a, DB, CT>,
    label: &str,
    segs: &[Vec<(f64, f64)>],
    i: usize,
    dashed: bool,
    xr: (f64, f64),
    yr: (f64, f64),
) -> Result<bool, String>
where
    DB: DrawingBackend + 'a,
    CT: CoordTranslate<From = (f64, f64)>,
{
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let style = line_style(i);
    let mut labelled = false;
    for seg in segs {
        let single = seg.len() == 1;
        for piece in clip_polyline(seg, xr, yr) {
            let ann = if single {
                cc.draw_series(std::iter::once(Circle::new(piece[0], 4, style.filled())))
                    .map_err(e)?
            } else if piece.len() >= 2 && dashed {
                cc.draw_series(DashedLineSeries::new(piece, 9, 6, style))
                    .map_err(e)?
            } else if piece.len() >= 2 {
                cc.draw_series(LineSeries::new(piece, style)).map_err(e)?
            } else {
                continue;
            };
            if !labelled && !label.is_empty() {
                if dashed {
                    ann.label(label).legend(move |(x, y)| {
                        EmptyElement::at((x, y))
                            + PathElement::new(vec![(0, 0), (6, 0)], style)
                            + PathElement::new(vec![(10, 0), (16, 0)], style)
                            + PathElement::new(vec![(20, 0), (22, 0)], style)
                    });
                } else {
                    ann.label(label)
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], style));
                }
                labelled = true;
            }
        }
    }
    Ok(labelled)
}

/// The legend box, in the same style on every chart.
fn draw_legend<'a, DB, CT>(
    cc: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
    fonts: Fonts,
) -> Result<(), String>
where
    DB: DrawingBackend + 'a,
    CT: CoordTranslate<From = (f64, f64)>,
{
    cc.configure_series_labels()
        .position(position)
        .margin(12)
        .legend_area_size(30)
        .background_style(WHITE.mix(0.88))
        .border_style(RGBColor(200, 200, 200))
        .label_font((FONT_FAMILY, fonts.legend).into_font().color(&TEXT))
        .draw()
        .map_err(|e| e.to_string())
}
// --- bar charts ------------------------------------------------------------------------

/// Horizontal bars, one per category, largest first at the top (e.g. the top holders).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BarChart {
    /// Centred above the bars; empty: no title.
    pub title: String,
    /// The label of the value axis, with its unit.
    pub x_label: String,
    /// (category, value), drawn top to bottom. Non-finite or negative values are drawn
    /// as empty bars.
    pub bars: Vec<(String, f64)>,
    /// Write each value at the end of its bar as a percentage (values are shares in
    /// [0, 1]); otherwise as a number.
    pub percent: bool,
}

/// A bar chart, written as `{dir}/{stem}.svg` and `.png`.
pub fn bar_chart(dir: &Path, stem: &str, chart: &BarChart) -> Result<Vec<PathBuf>, IoError> {
    render_both(
        dir,
        stem,
        bar_chart_size(chart),
        |a| draw_bar_chart(a, chart),
        |a| draw_bar_chart(a, chart),
    )
}

/// A bar chart as SVG text, in memory: the same drawing [`bar_chart`] writes.
pub fn bar_chart_svg(chart: &BarChart) -> Result<String, String> {
    render_svg(bar_chart_size(chart), |a| draw_bar_chart(a, chart))
}

/// The size of a bar chart: taller with more bars.
fn bar_chart_size(chart: &BarChart) -> (u32, u32) {
    let n = chart.bars.len().max(1);
    (CHART_SIZE.0, (120 + 34 * n).clamp(300, 1400) as u32)
}

/// At most `max` characters of a category name, cut with `…`.
fn short_name(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

fn draw_bar_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &BarChart,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let n = chart.bars.len();
    let good = |v: f64| v.is_finite() && v >= 0.0;
    let max = chart
        .bars
        .iter()
        .map(|b| b.1)
        .filter(|&v| good(v))
        .fold(0.0f64, f64::max);
    // Room at the right end for the value labels.
    let xr = finite_linear(0.0, if max > 0.0 { max * 1.18 } else { 1.0 });
    let yr = (-0.5, n.max(1) as f64 - 0.5);
    let names: Vec<String> = chart.bars.iter().map(|b| short_name(&b.0, 28)).collect();
    let longest = names.iter().map(|s| s.chars().count()).max().unwrap_or(4);
    let mut y_axis = axis_coord(yr, false);
    // One tick per bar; bar k (from the top) sits at y = n - 1 - k.
    y_axis.bold = (0..n).map(|k| k as f64).collect();
    y_axis.light = Vec::new();
    let body = titled(area, &chart.title, FONTS.title)?;
    let mut cc = ChartBuilder::on(&body)
        .margin(18)
        .x_label_area_size(56)
        .y_label_area_size((longest as u32 * 9 + 24).clamp(60, 300))
        .build_cartesian_2d(axis_coord(xr, false), y_axis)
        .map_err(e)?;
    let xf = tick_formatter(false, xr, false);
    let labels = names.clone();
    let yf = move |v: &f64| {
        let k = v.round();
        if (v - k).abs() < 1e-6 && k >= 0.0 && (k as usize) < labels.len() {
            labels[labels.len() - 1 - k as usize].clone()
        } else {
            String::new()
        }
    };
    configure_mesh(&mut cc, &chart.x_label, "", &xf, &yf, FONTS)?;
    let colour = palette(0);
    cc.draw_series(chart.bars.iter().enumerate().map(|(k, b)| {
        let y = (n - 1 - k) as f64;
        let v = if good(b.1) { b.1.min(xr.1) } else { 0.0 };
        Rectangle::new([(0.0, y - 0.36), (v, y + 0.36)], colour.filled())
    }))
    .map_err(e)?;
    let percent = chart.percent;
    let fmt = move |v: f64| bar_label(v, percent);
    cc.draw_series(
        chart
            .bars
            .iter()
            .enumerate()
            .filter(|(_, b)| good(b.1))
            .map(|(k, b)| {
                let y = (n - 1 - k) as f64;
                Text::new(
                    fmt(b.1),
                    (b.1.min(xr.1) + (xr.1 - xr.0) * 0.01, y + 0.2),
                    (FONT_FAMILY, 14).into_font().color(&TEXT),
                )
            }),
    )
    .map_err(e)?;
    Ok(())
}

// --- sweeps: confidence bands and heatmaps ---------------------------------------------

/// A line with a shaded band around it (e.g. a mean and its 95% confidence interval).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Band {
    /// The legend entry (an empty label has none).
    pub label: String,
    /// x of each point (e.g. the swept parameter's values).
    pub xs: Vec<f64>,
    /// The line through the points, paired with `xs`; a non-finite value breaks it.
    pub mean: Vec<f64>,
    /// Lower bound of the band at each x (e.g. the 95% confidence interval's).
    pub lo: Vec<f64>,
    /// Upper bound of the band at each x; the band is shaded where both bounds are finite.
    pub hi: Vec<f64>,
    /// x values with no value to draw (e.g. every run of the point failed): marked with a
    /// cross in the band's colour at the bottom of the plot, and a legend entry.
    pub failed: Vec<f64>,
}

/// The legend entry of the crosses that mark [`Band::failed`] points.
pub const FAILED_LEGEND: &str = "every run failed";

/// Lines with confidence bands. Points where the mean is not finite break the line; a
/// band is drawn where both bounds are finite (a lone point with finite bounds gets an
/// error bar).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BandChart {
    /// Centred above the plot; empty: no title.
    pub title: String,
    /// The x axis label, with its unit.
    pub x_label: String,
    /// The y axis label, with its unit.
    pub y_label: String,
    /// The lines with their bands, coloured by [`palette`] in order.
    pub bands: Vec<Band>,
    /// Fixed y range (bands are clipped to it); otherwise fitted to means and bounds.
    pub y_range: Option<(f64, f64)>,
    /// A logarithmic x axis (log-spaced sweep values); points with x <= 0 are left out.
    pub log_x: bool,
}

/// A band chart, written as `{dir}/{stem}.svg` and `.png`.
pub fn band_chart(dir: &Path, stem: &str, chart: &BandChart) -> Result<Vec<PathBuf>, IoError> {
    render_both(
        dir,
        stem,
        CHART_SIZE,
        |a| draw_band_chart(a, chart),
        |a| draw_band_chart(a, chart),
    )
}

/// A band chart as SVG text, in memory: the same drawing [`band_chart`] writes (e.g. for
/// the fuzz target of the charts, which must not spend its time encoding PNGs).
pub fn band_chart_svg(chart: &BandChart) -> Result<String, String> {
    render_svg(CHART_SIZE, |a| draw_band_chart(a, chart))
}

fn draw_band_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &BandChart,
) -> Result<(), String> {
    let fonts = FONTS;
    let log_x = chart.log_x;
    let xr = fit_range(
        chart
            .bands
            .iter()
            .flat_map(|b| b.xs.iter().chain(&b.failed).copied()),
        log_x,
        true,
    );
    let yr = fixed_range(chart.y_range, false).unwrap_or_else(|| {
        fit_range(
            chart
                .bands
                .iter()
                .flat_map(|b| b.mean.iter().chain(&b.lo).chain(&b.hi).copied()),
            false,
            true,
        )
    });
    let ok = |x: f64, y: f64| usable(x, log_x) && y.is_finite();
    // The bands (runs of points with both bounds), clamped to the plot, and the lines.
    let mut band_runs: Vec<Vec<Vec<(f64, f64, f64)>>> = Vec::new();
    for b in &chart.bands {
        let mut runs = vec![Vec::new()];
        for k in 0..b.xs.len().min(b.lo.len()).min(b.hi.len()) {
            let (x, lo, hi) = (b.xs[k], b.lo[k], b.hi[k]);
            if ok(x, lo) && ok(x, hi) {
                let clamp = |v: f64| v.max(yr.0).min(yr.1);
                runs.last_mut().expect("a run").push((
                    to_plot(x, log_x).clamp(xr.0, xr.1),
                    clamp(lo),
                    clamp(hi),
                ));
            } else if !runs.last().expect("a run").is_empty() {
                runs.push(Vec::new());
            }
        }
        runs.retain(|r| !r.is_empty());
        band_runs.push(runs);
    }
    let lines: Vec<Vec<Vec<(f64, f64)>>> = chart
        .bands
        .iter()
        .map(|b| segments(&Series::new("", b.xs.clone(), b.mean.clone()), log_x, false))
        .collect();
    let cross_y = yr.0 + (yr.1 - yr.0) * 0.03;
    let crosses: Vec<Vec<(f64, f64)>> = chart
        .bands
        .iter()
        .map(|b| {
            b.failed
                .iter()
                .filter(|&&x| usable(x, log_x))
                .map(|&x| (to_plot(x, log_x), cross_y))
                .filter(|p| p.0 >= xr.0 && p.0 <= xr.1)
                .collect()
        })
        .collect();
    let mut entries: Vec<LegendEntry> = chart
        .bands
        .iter()
        .zip(&lines)
        .enumerate()
        .filter(|(_, (b, segs))| !b.label.is_empty() && segs.iter().any(|g| !g.is_empty()))
        .map(|(i, (b, _))| LegendEntry {
            label: b.label.clone(),
            style: line_style(i),
            mark: Mark::Line,
        })
        .collect();
    if crosses.iter().any(|c| !c.is_empty()) {
        entries.push(LegendEntry {
            label: FAILED_LEGEND.into(),
            style: ShapeStyle {
                color: RGBColor(90, 90, 90).to_rgba(),
                filled: false,
                stroke_width: 2,
            },
            mark: Mark::Cross,
        });
    }
    // What a legend must not cover: the lines, the bands' edges, the crosses.
    let mut occupied: Vec<Vec<Vec<(f64, f64)>>> = lines.clone();
    for runs in &band_runs {
        occupied.push(
            runs.iter()
                .flat_map(|r| {
                    [
                        r.iter().map(|p| (p.0, p.1)).collect::<Vec<_>>(),
                        r.iter().map(|p| (p.0, p.2)).collect(),
                    ]
                })
                .collect(),
        );
    }
    occupied.push(crosses.iter().flatten().map(|&p| vec![p]).collect());

    let body = titled(area, &chart.title, fonts.title)?;
    let corner = legend_corner(
        &occupied,
        None,
        xr,
        yr,
        legend_fraction(&body, &entries, fonts),
    );
    let (plot_area, side) = split_for_legend(&body, &entries, corner.as_ref(), fonts);
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let mut cc = ChartBuilder::on(&plot_area)
        .margin(18)
        .x_label_area_size(56)
        .y_label_area_size(80)
        .build_cartesian_2d(axis_coord(xr, log_x), axis_coord(yr, false))
        .map_err(e)?;
    let xf = tick_formatter(log_x, xr, true);
    let yf = tick_formatter(false, yr, false);
    configure_mesh(&mut cc, &chart.x_label, &chart.y_label, &xf, &yf, fonts)?;
    // Bands first, lines on top.
    for (i, runs) in band_runs.iter().enumerate() {
        let fill = palette(i).mix(0.22).filled();
        let whisker = ShapeStyle {
            color: palette(i).mix(0.6),
            filled: false,
            stroke_width: 2,
        };
        for run in runs {
            if run.len() >= 2 {
                let mut poly: Vec<(f64, f64)> = run.iter().map(|p| (p.0, p.2)).collect();
                poly.extend(run.iter().rev().map(|p| (p.0, p.1)));
                cc.draw_series(std::iter::once(Polygon::new(poly, fill)))
                    .map_err(e)?;
            } else if let [(x, lo, hi)] = run[..] {
                // A lone point: its interval as an error bar.
                cc.draw_series(std::iter::once(PathElement::new(
                    vec![(x, lo), (x, hi)],
                    whisker,
                )))
                .map_err(e)?;
            }
        }
    }
    let inside = side.is_none();
    for (i, (b, segs)) in chart.bands.iter().zip(&lines).enumerate() {
        let label = if inside { b.label.as_str() } else { "" };
        draw_line(&mut cc, label, segs, i, false, xr, yr)?;
    }
    // Points without a value: a cross at the bottom, in the band's colour.
    let mut crossed = false;
    for (i, pts) in crosses.iter().enumerate() {
        if pts.is_empty() {
            continue;
        }
        let ann = cc
            .draw_series(pts.iter().map(|&p| Cross::new(p, 7, line_style(i))))
            .map_err(e)?;
        if inside && !crossed {
            let grey = ShapeStyle {
                color: RGBColor(90, 90, 90).to_rgba(),
                filled: false,
                stroke_width: 2,
            };
            ann.label(FAILED_LEGEND)
                .legend(move |(x, y)| Cross::new((x + 11, y), 6, grey));
        }
        crossed = true;
    }
    match (side, corner) {
        (Some(side), _) => draw_side_legend(&side, &entries, fonts)?,
        (None, Some(pos)) if !entries.is_empty() => draw_legend(&mut cc, pos, fonts)?,
        _ => {}
    }
    Ok(())
}
/// A heatmap over a grid: `values[iy][ix]` is the cell at column `ix` (x value
/// `x_values[ix]`) and row `iy` (y value `y_values[iy]`). Cells are drawn with equal size
/// whatever the spacing of the values (log-spaced grids read correctly); non-finite cells
/// are grey. A colour bar on the right maps colour to value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Heatmap {
    /// Centred above the grid; empty: no title.
    pub title: String,
    /// The label of the x axis (the columns' parameter), with its unit.
    pub x_label: String,
    /// The label of the y axis (the rows' parameter), with its unit.
    pub y_label: String,
    /// Tick labels of the columns and rows.
    pub x_values: Vec<String>,
    /// Tick labels of the rows, bottom to top (see `x_values`).
    pub y_values: Vec<String>,
    /// The cells, `values[iy][ix]`, one inner vector per row.
    pub values: Vec<Vec<f64>>,
    /// What the colour shows (the colour bar's label).
    pub colour_label: String,
    /// Fixed colour range; otherwise the data's.
    pub range: Option<(f64, f64)>,
}

/// The viridis colour map (perceptually uniform, colour-blind safe) at `t` in [0, 1].
pub fn viridis(t: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 9] = [
        (68, 1, 84),
        (71, 44, 122),
        (59, 81, 139),
        (44, 113, 142),
        (33, 144, 141),
        (39, 173, 129),
        (92, 200, 99),
        (170, 220, 50),
        (253, 231, 37),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let x = t * (STOPS.len() - 1) as f64;
    let i = (x.floor() as usize).min(STOPS.len() - 2);
    let f = x - i as f64;
    let lerp = |a: u8, b: u8| (a as f64 + f * (b as f64 - a as f64)).round() as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    RGBColor(lerp(a.0, b.0), lerp(a.1, b.1), lerp(a.2, b.2))
}

/// The size of a heatmap in pixels: taller than [`CHART_SIZE`] for the colour bar's label.
const HEATMAP_SIZE: (u32, u32) = (1000, 720);

/// A heatmap with a colour bar, written as `{dir}/{stem}.svg` and `.png`.
pub fn heatmap(dir: &Path, stem: &str, map: &Heatmap) -> Result<Vec<PathBuf>, IoError> {
    render_both(
        dir,
        stem,
        HEATMAP_SIZE,
        |a| draw_heatmap(a, map),
        |a| draw_heatmap(a, map),
    )
}

/// A heatmap as SVG text, in memory: the same drawing [`heatmap`] writes.
pub fn heatmap_svg(map: &Heatmap) -> Result<String, String> {
    render_svg(HEATMAP_SIZE, |a| draw_heatmap(a, map))
}

fn draw_heatmap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    map: &Heatmap,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let nx = map.x_values.len().max(1);
    let ny = map.y_values.len().max(1);
    let (lo, hi) = fixed_range(map.range, false)
        .unwrap_or_else(|| fit_range(map.values.iter().flatten().copied(), false, false));
    let span = hi - lo;
    let body = titled(area, &map.title, FONTS.title)?;
    let (w, _) = body.dim_in_pixel();
    let (main, bar) = body.split_horizontally(w.saturating_sub(150));

    let xs = map.x_values.clone();
    let ys = map.y_values.clone();
    let xf = move |v: &f64| tick_at(&xs, *v);
    let yf = move |v: &f64| tick_at(&ys, *v);
    let mut cc = ChartBuilder::on(&main)
        .margin(18)
        .x_label_area_size(56)
        .y_label_area_size(96)
        .build_cartesian_2d(-0.5..nx as f64 - 0.5, -0.5..ny as f64 - 0.5)
        .map_err(e)?;
    cc.configure_mesh()
        .disable_mesh()
        .x_desc(map.x_label.as_str())
        .y_desc(map.y_label.as_str())
        .x_labels(nx.min(12) + 1)
        .y_labels(ny.min(12) + 1)
        .x_label_formatter(&xf)
        .y_label_formatter(&yf)
        .label_style((FONT_FAMILY, 15).into_font().color(&TEXT))
        .axis_desc_style((FONT_FAMILY, 17).into_font().color(&TEXT))
        .axis_style(AXIS)
        .draw()
        .map_err(e)?;
    let mut cells = Vec::new();
    for (iy, row) in map.values.iter().enumerate() {
        for (ix, &v) in row.iter().enumerate() {
            let colour = if v.is_finite() {
                viridis((v - lo) / span)
            } else {
                RGBColor(200, 200, 200)
            };
            let (x, y) = (ix as f64, iy as f64);
            cells.push(Rectangle::new(
                [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)],
                colour.filled(),
            ));
        }
    }
    cc.draw_series(cells).map_err(e)?;

    // The colour bar: a column of thin strips, labelled by value.
    let mut cb = ChartBuilder::on(&bar)
        .margin_top(18)
        .margin_bottom(74)
        .margin_right(10)
        .y_label_area_size(70)
        .caption(
            &map.colour_label,
            (FONT_FAMILY, 15).into_font().color(&TEXT),
        )
        .build_cartesian_2d(0.0..1.0, axis_coord((lo, hi), false))
        .map_err(e)?;
    let yf2 = move |v: &f64| fmt_tick(*v, false);
    cb.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_label_formatter(&yf2)
        .label_style((FONT_FAMILY, 14).into_font().color(&TEXT))
        .axis_style(AXIS)
        .draw()
        .map_err(e)?;
    let strips = 100;
    cb.draw_series((0..strips).map(|k| {
        let a = lo + span * k as f64 / strips as f64;
        let b = lo + span * (k + 1) as f64 / strips as f64;
        Rectangle::new(
            [(0.0, a), (1.0, b)],
            viridis((k as f64 + 0.5) / strips as f64).filled(),
        )
    }))
    .map_err(e)?;
    Ok(())
}

/// The label of the cell whose centre is at the integer `v`, else nothing.
fn tick_at(labels: &[String], v: f64) -> String {
    let k = v.round();
    if (v - k).abs() < 1e-6 && k >= 0.0 && (k as usize) < labels.len() {
        labels[k as usize].clone()
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ccdf_small_and_large() {
        let pts = ccdf_points(&[3.0, 1.0, 2.0, 0.0, f64::NAN, -1.0]);
        // Finite values: 3,1,2,0,-1 -> n = 5.
        assert_eq!(pts, vec![(1.0, 0.6), (2.0, 0.4), (3.0, 0.2)]);
        let big: Vec<f64> = (1..=100_000).map(|i| i as f64).collect();
        let pts = ccdf_points(&big);
        assert!(pts.len() <= MAX_DISTRIBUTION_POINTS);
        assert_eq!(pts.first().unwrap().0, 1.0);
        assert_eq!(pts.last().unwrap(), &(100_000.0, 1e-5));
        assert!(pts.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 > w[1].1));
    }

    /// Every log axis has at least three labelled ticks (a seal sweep over 0.25%–5% once
    /// had one), however narrow or wide its range.
    #[test]
    fn log_axes_have_three_ticks() {
        for (a, b) in [
            (0.25, 5.0),
            (0.22, 5.6),
            (0.126, 12.6),
            (0.9, 110.0),
            (1.0, 1.001),
            (1.5, 2.5),
            (0.5, 1.0),
            (3.0, 30.0),
            (1e-300, 1e300),
            (5e-324, 1e-320),
            (1e300, f64::MAX),
        ] {
            let (lo, hi) = (f64::log10(a), f64::log10(b));
            let (bold, _) = log_ticks(lo, hi);
            assert!(bold.len() >= 3, "{a}..{b}: {bold:?}");
            assert!(
                bold.iter().all(|&v| v >= lo - 1e-9 && v <= hi + 1e-9),
                "{a}..{b}"
            );
        }
    }

    /// The legend goes to a corner the lines do not cross (followed between their
    /// points), or beside the plot when there is none (the core-claim distribution once
    /// hid a steep two-point line under a lower-left legend).
    #[test]
    fn legends_avoid_lines_between_points() {
        let r = (0.0, 1.0);
        let size = (0.3, 0.2);
        // A diagonal from lower left to upper right, given by its two ends only.
        let diag = vec![vec![vec![(0.0, 0.0), (1.0, 1.0)]]];
        let c = legend_corner(&diag, None, r, r, size);
        assert!(matches!(c, Some(SeriesLabelPosition::UpperLeft)), "{c:?}");
        // Steep lines at the left and the right edge, and a falling diagonal: no corner
        // is free.
        let busy = vec![
            vec![vec![(0.02, 1.0), (0.05, 0.0)]],
            vec![vec![(0.3, 1.0), (1.0, 0.0)]],
            vec![vec![(0.97, 1.0), (0.98, 0.0)]],
        ];
        assert!(legend_corner(&busy, None, r, r, size).is_none());
    }

    /// SVG text elements that read as tick labels (numbers, powers of ten).
    fn numeric_texts(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| {
                let body = t.split_once('>')?.1.split_once("</text>")?.0.trim();
                let plain = body.replace('−', "-");
                (plain.parse::<f64>().is_ok() || plain.starts_with("10")).then(|| body.to_string())
            })
            .collect()
    }

    /// A distribution of two actors (one decade or less on both axes) has tick labels on
    /// both axes; the legend sits beside or inside without covering the line.
    #[test]
    fn two_actor_distribution_has_ticks() {
        let dir = tempfile::tempdir().unwrap();
        for (i, values) in [vec![1.0, 2.0], vec![3.3e4, 1.2e5], vec![0.4, 0.6]]
            .into_iter()
            .enumerate()
        {
            let stem = format!("d{i}");
            distribution_chart(
                dir.path(),
                &stem,
                "two actors",
                &[("pair".into(), values.clone())],
            )
            .unwrap();
            let svg = std::fs::read_to_string(dir.path().join(format!("{stem}.svg"))).unwrap();
            let ticks = numeric_texts(&svg);
            assert!(ticks.len() >= 6, "{values:?}: {ticks:?}");
        }
    }

    /// A title longer than its chart shrinks until it fits (item 20: `phase_stopped`'s
    /// title was clipped); a short one keeps the largest size.
    #[test]
    fn titles_shrink_to_fit_their_width() {
        let mut svg = String::new();
        let area = SVGBackend::with_string(&mut svg, (600, 400)).into_drawing_area();
        // 77 characters: too wide at 22 px on 576 px, narrow enough at the 12 px floor.
        let long = "Fraction of runs stopped at stop_at_share over returns to scale and spillover";
        let size = fitted_size(&area, long, 22, 12, 600 - 24);
        assert!(size < 22, "{size}");
        assert!(size > 12, "{size}");
        assert!(text_width(&area, long, size) <= 576, "{size}");
        // A title that cannot fit stops at the floor (it is then clipped, never smaller).
        let longer = long.repeat(2);
        assert_eq!(fitted_size(&area, &longer, 22, 12, 576), 12);
        assert_eq!(fitted_size(&area, "short", 22, 12, 576), 22);
    }

    #[test]
    fn ticks_are_compact() {
        assert_eq!(fmt_tick(0.30000000000000004, false), "0.3");
        // Bar labels: significant digits, not four decimals.
        assert_eq!(bar_label(10.9873, false), "10.99");
        assert_eq!(bar_label(0.000123456, false), "0.0001235");
        assert_eq!(bar_label(5_792_448.0, false), "5792448");
        assert_eq!(bar_label(0.25, true), "25.00%");
        assert_eq!(fmt_tick(1000.0, false), "1000");
        assert_eq!(fmt_tick(2_500_000.0, false), "2.5e6");
        assert_eq!(fmt_tick(1e-5, true), "10⁻⁵");
        assert_eq!(fmt_tick(100.0, true), "10²");
        assert_eq!(fmt_tick(1.0, true), "10⁰");
        assert_eq!(fmt_tick(100.0, false), "100");
    }

    #[test]
    fn charts_survive_nan_empty_and_single_points() {
        let dir = tempfile::tempdir().unwrap();
        let chart = LineChart {
            title: "NaN test".into(),
            x_label: "time (steps)".into(),
            y_label: "share".into(),
            series: vec![
                Series::new(
                    "gappy",
                    vec![0.0, 1.0, 2.0, 3.0, 4.0],
                    vec![0.1, f64::NAN, 0.3, 0.4, f64::INFINITY],
                ),
                Series::new("single", vec![2.0], vec![0.5]),
                Series::new("empty", vec![], vec![]),
            ],
            ..Default::default()
        };
        let files = line_chart(dir.path(), "nan", &chart).unwrap();
        assert_eq!(files.len(), 2);
        for f in &files {
            assert!(std::fs::metadata(f).unwrap().len() > 1000, "{f:?}");
        }
        let all_nan = LineChart {
            series: vec![Series::new("x", vec![f64::NAN], vec![f64::NAN])],
            log_y: true,
            ..Default::default()
        };
        line_chart(dir.path(), "allnan", &all_nan).unwrap();
        distribution_chart(
            dir.path(),
            "dist",
            "empty",
            &[("none".into(), vec![0.0, -1.0])],
        )
        .unwrap();
        let png = std::fs::read(dir.path().join("nan.png")).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        let svg = std::fs::read_to_string(dir.path().join("nan.svg")).unwrap();
        assert!(svg.contains("<svg") && svg.contains("NaN test"));
        // No temporary files left behind.
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(!name.starts_with('.'), "{name}");
        }
    }

    #[test]
    fn png_encoding_round_trips_the_drawn_pixels() {
        // A buffer with structure in both directions, so every adaptive filter is tried.
        let (w, h) = (37u32, 23u32);
        let rgb: Vec<u8> = (0..w * h * 3)
            .map(|i| ((i * 7) ^ ((i / (w * 3)) * 13)) as u8)
            .collect();
        let png = encode_png(&rgb, w, h).unwrap();
        let mut reader = png::Decoder::new(std::io::Cursor::new(png))
            .read_info()
            .unwrap();
        let mut back = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut back).unwrap();
        assert_eq!((info.width, info.height), (w, h));
        assert_eq!(
            (info.color_type, info.bit_depth),
            (png::ColorType::Rgb, png::BitDepth::Eight)
        );
        assert_eq!(&back[..info.buffer_size()], &rgb[..]);
    }

    #[test]
    fn band_chart_and_heatmap_draw() {
        let dir = tempfile::tempdir().unwrap();
        let chart = BandChart {
            title: "bands".into(),
            x_label: "beta".into(),
            y_label: "top-1 share".into(),
            bands: vec![Band {
                label: "D = 0.1".into(),
                xs: vec![1.0, 1.1, 1.2, 1.3],
                mean: vec![0.1, 0.2, f64::NAN, 0.5],
                lo: vec![0.05, 0.15, f64::NAN, 0.4],
                hi: vec![0.15, 0.25, f64::NAN, 0.6],
                failed: vec![1.4],
            }],
            ..Default::default()
        };
        assert_eq!(band_chart(dir.path(), "band", &chart).unwrap().len(), 2);
        // in memory: the very drawing written to band.svg
        assert_eq!(
            band_chart_svg(&chart).unwrap(),
            std::fs::read_to_string(dir.path().join("band.svg")).unwrap()
        );
        let map = Heatmap {
            title: "phase".into(),
            x_label: "beta".into(),
            y_label: "D".into(),
            x_values: vec!["1".into(), "1.1".into()],
            y_values: vec!["0.1".into(), "1".into(), "10".into()],
            values: vec![vec![0.1, 0.9], vec![0.2, f64::NAN], vec![0.3, 0.4]],
            colour_label: "top-1 share".into(),
            range: Some((0.0, 1.0)),
        };
        let files = heatmap(dir.path(), "heat", &map).unwrap();
        assert!(std::fs::metadata(&files[1]).unwrap().len() > 1000);
        assert_eq!(
            heatmap_svg(&map).unwrap(),
            std::fs::read_to_string(&files[0]).unwrap()
        );
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
        assert_eq!(tick_at(&map.x_values, 1.0), "1.1");
        assert_eq!(tick_at(&map.x_values, 0.5), "");
    }
}

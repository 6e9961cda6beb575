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
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
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
    pub label: String,
    pub xs: Vec<f64>,
    pub ys: Vec<f64>,
}

impl Series {
    pub fn new(label: impl Into<String>, xs: Vec<f64>, ys: Vec<f64>) -> Self {
        Self {
            label: label.into(),
            xs,
            ys,
        }
    }
}

/// A line chart. Use `..Default::default()` for the optional fields.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LineChart {
    pub title: String,
    /// Axis labels, with units, e.g. "time (model years)".
    pub x_label: String,
    pub y_label: String,
    pub series: Vec<Series>,
    /// Fixed y range; otherwise fitted to the data.
    pub y_range: Option<(f64, f64)>,
    /// Fixed x range; otherwise fitted to the data.
    pub x_range: Option<(f64, f64)>,
    pub log_y: bool,
    pub log_x: bool,
    /// Draw the y = x reference line (grey, dashed), labelled "equality".
    pub diagonal: bool,
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
    draw_svg: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), String>,
    draw_png: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), String>,
) -> Result<Vec<PathBuf>, IoError> {
    let svg_path = dir.join(format!("{stem}.svg"));
    let png_path = dir.join(format!("{stem}.png"));

    let svg = render_svg(size, draw_svg).map_err(|e| plot_err(&svg_path, e))?;

    let (w, h) = size;
    let mut rgb = vec![255u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| plot_err(&png_path, e))?;
        draw_png(&root).map_err(|e| plot_err(&png_path, e))?;
        root.present().map_err(|e| plot_err(&png_path, e))?;
    }
    let mut png = Vec::new();
    {
        use image::ImageEncoder;
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(&rgb, w, h, image::ColorType::Rgb8)
            .map_err(|e| plot_err(&png_path, e))?;
    }

    write_atomic_bytes(&svg_path, svg.as_bytes())?;
    write_atomic_bytes(&png_path, &png)?;
    Ok(vec![svg_path, png_path])
}

/// A line chart, written as `{dir}/{stem}.svg` and `.png`.
pub fn line_chart(dir: &Path, stem: &str, chart: &LineChart) -> Result<Vec<PathBuf>, IoError> {
    render_both(
        dir,
        stem,
        CHART_SIZE,
        |a| draw_chart(a, chart, 26),
        |a| draw_chart(a, chart, 26),
    )
}

/// A line chart as SVG text, in memory: the same drawing [`line_chart`] writes to
/// `{stem}.svg` (e.g. for a notebook).
pub fn line_chart_svg(chart: &LineChart) -> Result<String, String> {
    render_svg(CHART_SIZE, |a| draw_chart(a, chart, 26))
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

/// The size in pixels and the grid (rows, columns) of a panel chart.
fn panel_layout(panels: &[LineChart]) -> ((u32, u32), (usize, usize)) {
    let n = panels.len().max(1);
    let (cols, rows) = if n <= 3 { (n, 1) } else { (n.div_ceil(2), 2) };
    let size = ((560 * cols).max(900) as u32, (40 + 520 * rows) as u32);
    (size, (rows, cols))
}

fn draw_panels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    panels: &[LineChart],
    grid: (usize, usize),
) -> Result<(), String> {
    let body = root
        .margin(14, 0, 0, 0)
        .titled(title, (FONT_FAMILY, 26).into_font().color(&TEXT))
        .map_err(|e| e.to_string())?;
    for (area, chart) in body.split_evenly(grid).iter().zip(panels) {
        draw_chart(area, chart, 20)?;
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
    let n_finite = values.iter().filter(|v| v.is_finite()).count();
    let mut pos: Vec<f64> = values
        .iter()
        .copied()
        .filter(|v| v.is_finite() && *v > 0.0)
        .collect();
    if pos.is_empty() {
        return Vec::new();
    }
    pos.sort_by(f64::total_cmp);
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
pub fn distribution_line_chart(title: &str, samples: &[(String, Vec<f64>)]) -> LineChart {
    LineChart {
        title: title.to_string(),
        x_label: "final value x".into(),
        y_label: "P(X ≥ x)".into(),
        series: samples
            .iter()
            .map(|(label, v)| {
                let pts = ccdf_points(v);
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

fn usable(v: f64, log: bool) -> bool {
    v.is_finite() && (!log || v > 0.0)
}

/// Split a series into runs of drawable points.
fn segments(s: &Series, log_x: bool, log_y: bool) -> Vec<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    for (&x, &y) in s.xs.iter().zip(&s.ys) {
        if usable(x, log_x) && usable(y, log_y) {
            cur.push((x, y));
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The data range along one axis, padded, never empty.
fn fit_range(values: impl Iterator<Item = f64>, log: bool, pad: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|&v| usable(v, log)) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        return if log { (0.1, 10.0) } else { (0.0, 1.0) };
    }
    if log {
        if hi / lo < 1.0 + 1e-9 {
            return (lo / 3.0, hi * 3.0);
        }
        let f = if pad { (hi / lo).powf(0.04) } else { 1.0 };
        return (lo / f, hi * f);
    }
    if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
        let d = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        return (lo - d, hi + d);
    }
    let d = if pad { (hi - lo) * 0.04 } else { 0.0 };
    // Keep a non-negative quantity's axis starting at zero when it is close to it.
    let lo2 = if lo >= 0.0 && lo - d < 0.0 {
        0.0
    } else {
        lo - d
    };
    (lo2, hi + d)
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

/// Pick the legend corner holding the fewest data points.
fn legend_corner(chart: &LineChart, xr: (f64, f64), yr: (f64, f64)) -> SeriesLabelPosition {
    let norm = |v: f64, (lo, hi): (f64, f64), log: bool| {
        if log {
            (v.ln() - lo.ln()) / (hi.ln() - lo.ln())
        } else {
            (v - lo) / (hi - lo)
        }
    };
    // Corner boxes in normalised coordinates: (x0, x1, y0, y1).
    let corners = [
        (SeriesLabelPosition::UpperLeft, (0.0, 0.4, 0.6, 1.0)),
        (SeriesLabelPosition::UpperRight, (0.6, 1.0, 0.6, 1.0)),
        (SeriesLabelPosition::LowerRight, (0.6, 1.0, 0.0, 0.4)),
        (SeriesLabelPosition::LowerLeft, (0.0, 0.4, 0.0, 0.4)),
    ];
    let mut counts = [0usize; 4];
    let mut add = |x: f64, y: f64| {
        let (u, v) = (norm(x, xr, chart.log_x), norm(y, yr, chart.log_y));
        for (i, (_, (x0, x1, y0, y1))) in corners.iter().enumerate() {
            if u >= *x0 && u <= *x1 && v >= *y0 && v <= *y1 {
                counts[i] += 1;
            }
        }
    };
    for s in &chart.series {
        // Weight every series equally whatever its length.
        let step = (s.xs.len() / 200).max(1);
        for (&x, &y) in s.xs.iter().zip(&s.ys).step_by(step) {
            if usable(x, chart.log_x) && usable(y, chart.log_y) {
                add(x, y);
            }
        }
    }
    if chart.diagonal {
        for i in 0..=50 {
            let t = i as f64 / 50.0;
            add(xr.0 + t * (xr.1 - xr.0), yr.0 + t * (yr.1 - yr.0));
        }
    }
    let best = (0..4).min_by_key(|&i| counts[i]).unwrap_or(0);
    corners[best].0.clone()
}

fn draw_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &LineChart,
    caption: u32,
) -> Result<(), String> {
    let xr = chart.x_range.unwrap_or_else(|| {
        fit_range(
            chart.series.iter().flat_map(|s| s.xs.iter().copied()),
            chart.log_x,
            chart.log_x,
        )
    });
    let yr = chart.y_range.unwrap_or_else(|| {
        fit_range(
            chart.series.iter().flat_map(|s| s.ys.iter().copied()),
            chart.log_y,
            true,
        )
    });
    match (chart.log_x, chart.log_y) {
        (false, false) => draw_in(area, chart, caption, xr.0..xr.1, yr.0..yr.1, xr, yr),
        (true, false) => draw_in(
            area,
            chart,
            caption,
            (xr.0..xr.1).log_scale(),
            yr.0..yr.1,
            xr,
            yr,
        ),
        (false, true) => draw_in(
            area,
            chart,
            caption,
            xr.0..xr.1,
            (yr.0..yr.1).log_scale(),
            xr,
            yr,
        ),
        (true, true) => draw_in(
            area,
            chart,
            caption,
            (xr.0..xr.1).log_scale(),
            (yr.0..yr.1).log_scale(),
            xr,
            yr,
        ),
    }
}

#[allow(clippy::too_many_arguments)]
fn draw_in<DB, X, Y>(
    area: &DrawingArea<DB, Shift>,
    chart: &LineChart,
    caption: u32,
    x_spec: X,
    y_spec: Y,
    xr: (f64, f64),
    yr: (f64, f64),
) -> Result<(), String>
where
    DB: DrawingBackend,
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let mut cc = ChartBuilder::on(area)
        .caption(
            &chart.title,
            (FONT_FAMILY, caption).into_font().color(&TEXT),
        )
        .margin(18)
        .x_label_area_size(56)
        .y_label_area_size(80)
        .build_cartesian_2d(x_spec, y_spec)
        .map_err(e)?;
    let (log_x, log_y) = (chart.log_x, chart.log_y);
    let wide = |log: bool, (lo, hi): (f64, f64)| log && (lo < 0.01 || hi > 1000.0);
    let (px, py) = (wide(log_x, xr), wide(log_y, yr));
    let xf = move |v: &f64| fmt_tick(*v, px);
    let yf = move |v: &f64| fmt_tick(*v, py);
    cc.configure_mesh()
        .x_desc(chart.x_label.as_str())
        .y_desc(chart.y_label.as_str())
        .x_labels(8)
        .y_labels(8)
        .x_label_formatter(&xf)
        .y_label_formatter(&yf)
        .label_style((FONT_FAMILY, 15).into_font().color(&TEXT))
        .axis_desc_style((FONT_FAMILY, 17).into_font().color(&TEXT))
        .bold_line_style(GRID_BOLD)
        .light_line_style(GRID_LIGHT)
        .max_light_lines(if log_x || log_y { 9 } else { 2 })
        .axis_style(AXIS)
        .draw()
        .map_err(e)?;

    let mut labelled = 0;
    if chart.diagonal {
        let style = ShapeStyle {
            color: RGBColor(150, 150, 150).to_rgba(),
            filled: false,
            stroke_width: 1,
        };
        cc.draw_series(DashedLineSeries::new(
            vec![
                (xr.0.max(yr.0), xr.0.max(yr.0)),
                (xr.1.min(yr.1), xr.1.min(yr.1)),
            ],
            6,
            5,
            style,
        ))
        .map_err(e)?
        .label("equality")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], style));
        labelled += 1;
    }
    for (i, s) in chart.series.iter().enumerate() {
        if draw_line(&mut cc, s, i, log_x, log_y)? {
            labelled += 1;
        }
    }
    if labelled > 0 {
        draw_legend(&mut cc, legend_corner(chart, xr, yr))?;
    }
    Ok(())
}

/// Draw one series in palette colour `i`: lines, single points as dots, broken where a
/// value cannot be plotted. The first segment carries the legend entry; returns whether
/// there is one.
fn draw_line<DB, CT>(
    cc: &mut ChartContext<'_, DB, CT>,
    s: &Series,
    i: usize,
    log_x: bool,
    log_y: bool,
) -> Result<bool, String>
where
    DB: DrawingBackend,
    CT: CoordTranslate<From = (f64, f64)>,
{
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let style = ShapeStyle {
        color: palette(i).to_rgba(),
        filled: false,
        stroke_width: 2,
    };
    let mut labelled = false;
    for (k, seg) in segments(s, log_x, log_y).into_iter().enumerate() {
        let ann = if seg.len() == 1 {
            cc.draw_series(std::iter::once(Circle::new(seg[0], 4, style.filled())))
                .map_err(e)?
        } else {
            cc.draw_series(LineSeries::new(seg, style)).map_err(e)?
        };
        if k == 0 && !s.label.is_empty() {
            ann.label(s.label.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], style));
            labelled = true;
        }
    }
    Ok(labelled)
}

/// The legend box, in the same style on every chart.
fn draw_legend<'a, DB, CT>(
    cc: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
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
        .label_font((FONT_FAMILY, 15).into_font().color(&TEXT))
        .draw()
        .map_err(|e| e.to_string())
}

// --- sweeps: confidence bands and heatmaps ---------------------------------------------

/// A line with a shaded band around it (e.g. a mean and its 95% confidence interval).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Band {
    pub label: String,
    pub xs: Vec<f64>,
    pub mean: Vec<f64>,
    pub lo: Vec<f64>,
    pub hi: Vec<f64>,
}

/// Lines with confidence bands. Points where the mean is not finite break the line; a
/// band is drawn where both bounds are finite.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BandChart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub bands: Vec<Band>,
    pub y_range: Option<(f64, f64)>,
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

fn draw_band_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &BandChart,
) -> Result<(), String> {
    let xr = fit_range(
        chart.bands.iter().flat_map(|b| b.xs.iter().copied()),
        chart.log_x,
        true,
    );
    let yr = chart.y_range.unwrap_or_else(|| {
        fit_range(
            chart
                .bands
                .iter()
                .flat_map(|b| b.mean.iter().chain(&b.lo).chain(&b.hi).copied()),
            false,
            true,
        )
    });
    if chart.log_x {
        draw_band_in(area, chart, (xr.0..xr.1).log_scale(), yr)
    } else {
        draw_band_in(area, chart, xr.0..xr.1, yr)
    }
}

fn draw_band_in<DB, X>(
    area: &DrawingArea<DB, Shift>,
    chart: &BandChart,
    x_spec: X,
    yr: (f64, f64),
) -> Result<(), String>
where
    DB: DrawingBackend,
    X: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
{
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let mut cc = ChartBuilder::on(area)
        .caption(&chart.title, (FONT_FAMILY, 26).into_font().color(&TEXT))
        .margin(18)
        .x_label_area_size(56)
        .y_label_area_size(80)
        .build_cartesian_2d(x_spec, yr.0..yr.1)
        .map_err(e)?;
    let log_x = chart.log_x;
    let xf = move |v: &f64| fmt_tick(*v, log_x);
    let yf = move |v: &f64| fmt_tick(*v, false);
    cc.configure_mesh()
        .x_desc(chart.x_label.as_str())
        .y_desc(chart.y_label.as_str())
        .x_labels(8)
        .y_labels(8)
        .x_label_formatter(&xf)
        .y_label_formatter(&yf)
        .label_style((FONT_FAMILY, 15).into_font().color(&TEXT))
        .axis_desc_style((FONT_FAMILY, 17).into_font().color(&TEXT))
        .bold_line_style(GRID_BOLD)
        .light_line_style(GRID_LIGHT)
        .axis_style(AXIS)
        .draw()
        .map_err(e)?;
    let ok = |x: f64, y: f64| usable(x, log_x) && y.is_finite();
    // Bands first, lines on top.
    for (i, b) in chart.bands.iter().enumerate() {
        let fill = palette(i).mix(0.22).filled();
        let mut run: Vec<(f64, f64, f64)> = Vec::new();
        let mut flush = |run: &mut Vec<(f64, f64, f64)>| -> Result<(), String> {
            if run.len() >= 2 {
                let mut poly: Vec<(f64, f64)> = run.iter().map(|p| (p.0, p.2)).collect();
                poly.extend(run.iter().rev().map(|p| (p.0, p.1)));
                cc.draw_series(std::iter::once(Polygon::new(poly, fill)))
                    .map_err(e)?;
            }
            run.clear();
            Ok(())
        };
        for k in 0..b.xs.len() {
            let (x, lo, hi) = (b.xs[k], b.lo[k], b.hi[k]);
            if ok(x, lo) && ok(x, hi) {
                run.push((x, lo.max(yr.0).min(yr.1), hi.max(yr.0).min(yr.1)));
            } else {
                flush(&mut run)?;
            }
        }
        flush(&mut run)?;
    }
    let mut labelled = 0;
    for (i, b) in chart.bands.iter().enumerate() {
        let s = Series::new(b.label.clone(), b.xs.clone(), b.mean.clone());
        if draw_line(&mut cc, &s, i, log_x, false)? {
            labelled += 1;
        }
    }
    if labelled > 0 {
        let as_lines = LineChart {
            series: chart
                .bands
                .iter()
                .map(|b| Series::new("", b.xs.clone(), b.mean.clone()))
                .collect(),
            log_x,
            ..Default::default()
        };
        let xr = fit_range(
            chart.bands.iter().flat_map(|b| b.xs.iter().copied()),
            log_x,
            true,
        );
        draw_legend(&mut cc, legend_corner(&as_lines, xr, yr))?;
    }
    Ok(())
}

/// A heatmap over a grid: `values[iy][ix]` is the cell at column `ix` (x value
/// `x_values[ix]`) and row `iy` (y value `y_values[iy]`). Cells are drawn with equal size
/// whatever the spacing of the values (log-spaced grids read correctly); non-finite cells
/// are grey. A colour bar on the right maps colour to value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Heatmap {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// Tick labels of the columns and rows.
    pub x_values: Vec<String>,
    pub y_values: Vec<String>,
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

/// A heatmap with a colour bar, written as `{dir}/{stem}.svg` and `.png`.
pub fn heatmap(dir: &Path, stem: &str, map: &Heatmap) -> Result<Vec<PathBuf>, IoError> {
    render_both(
        dir,
        stem,
        (1000, 720),
        |a| draw_heatmap(a, map),
        |a| draw_heatmap(a, map),
    )
}

fn draw_heatmap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    map: &Heatmap,
) -> Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let nx = map.x_values.len().max(1);
    let ny = map.y_values.len().max(1);
    let (lo, hi) = map
        .range
        .unwrap_or_else(|| fit_range(map.values.iter().flatten().copied(), false, false));
    let span = if hi > lo { hi - lo } else { 1.0 };
    let body = area
        .titled(&map.title, (FONT_FAMILY, 26).into_font().color(&TEXT))
        .map_err(e)?;
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
        .build_cartesian_2d(0.0..1.0, lo..lo + span)
        .map_err(e)?;
    let yf2 = move |v: &f64| fmt_tick(*v, false);
    cb.configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(6)
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

    #[test]
    fn ticks_are_compact() {
        assert_eq!(fmt_tick(0.30000000000000004, false), "0.3");
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
            }],
            ..Default::default()
        };
        assert_eq!(band_chart(dir.path(), "band", &chart).unwrap().len(), 2);
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
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
        assert_eq!(tick_at(&map.x_values, 1.0), "1.1");
        assert_eq!(tick_at(&map.x_values, 0.5), "");
    }
}

//! Every chart kind finishes on any finite positive data (issue 15, item 1): random
//! values from 5e-324 to f64::MAX, on linear and logarithmic axes. Before the fix, the
//! plotting library's log axis looped or allocated without bound once the ratio of the
//! axis ends overflowed f64 (e.g. values 1 and 1e290, or 5e-324 and 2).

use std::sync::mpsc;
use std::time::Duration;

use counterweight::io::plot::ccdf_points;
use counterweight::io::{
    Band, BandChart, Heatmap, LineChart, Series, band_chart, distribution_chart, heatmap,
    line_chart, lorenz_chart, panel_chart,
};
use proptest::prelude::*;

/// Run `f` on its own thread; fail if it has not finished after `secs` seconds (a hang
/// then fails the test instead of stalling the suite).
fn finishes_within(secs: u64, what: String, f: impl FnOnce() + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(()) => {}
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: still drawing after {secs} s"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: the drawing panicked"),
    }
}

/// A finite positive f64 spread over the whole exponent range (subnormals included).
fn positive() -> impl Strategy<Value = f64> {
    prop_oneof![
        1 => Just(f64::MIN_POSITIVE * f64::EPSILON), // 5e-324, the smallest subnormal
        1 => Just(f64::MAX),
        1 => Just(1e308),
        1 => Just(1.0),
        8 => (-323.0f64..308.25, 1.0f64..10.0).prop_map(|(e, m)| {
            let v = m * 10f64.powf(e.floor());
            if v.is_finite() && v > 0.0 { v } else { f64::MIN_POSITIVE }
        }),
    ]
}

fn values() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(positive(), 1..12)
}

/// Every chart kind on `xs` and `ys` (same length), into a temporary directory.
fn draw_all(xs: Vec<f64>, ys: Vec<f64>) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (log_x, log_y) in [(false, false), (true, false), (false, true), (true, true)] {
        let chart = LineChart {
            title: "extreme".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            series: vec![
                Series::new("a", xs.clone(), ys.clone()),
                Series::new("b", ys.clone(), xs.clone()),
            ],
            log_x,
            log_y,
            diagonal: log_x == log_y,
            ..Default::default()
        };
        let files = line_chart(d, &format!("line-{log_x}-{log_y}"), &chart).unwrap();
        assert_eq!(files.len(), 2);
    }
    // a fixed range that the data leave (lines are clipped, not drawn to ±2^31 pixels)
    let clipped = LineChart {
        series: vec![Series::new("a", xs.clone(), ys.clone())],
        y_range: Some((0.0, 1.0)),
        x_range: Some((0.25, 0.5)),
        ..Default::default()
    };
    line_chart(d, "clipped", &clipped).unwrap();
    let panels = vec![
        LineChart {
            series: vec![Series::new("a", xs.clone(), ys.clone())],
            log_y: true,
            ..Default::default()
        },
        LineChart {
            series: vec![Series::new("b", ys.clone(), xs.clone())],
            log_x: true,
            ..Default::default()
        },
    ];
    panel_chart(d, "panels", "panels", &panels).unwrap();
    let pts = ccdf_points(&ys);
    lorenz_chart(d, "lorenz", "lorenz", &[("ccdf".into(), pts)]).unwrap();
    distribution_chart(
        d,
        "distribution",
        "distribution",
        &[("x".into(), xs.clone()), ("y".into(), ys.clone())],
    )
    .unwrap();
    for log_x in [false, true] {
        let band = BandChart {
            title: "band".into(),
            bands: vec![Band {
                label: "m".into(),
                xs: xs.clone(),
                mean: ys.clone(),
                lo: ys.iter().map(|y| y / 2.0).collect(),
                hi: ys.iter().map(|y| y * 1.5).collect(),
                failed: Vec::new(),
            }],
            log_x,
            ..Default::default()
        };
        band_chart(d, &format!("band-{log_x}"), &band).unwrap();
    }
    let map = Heatmap {
        title: "heat".into(),
        x_values: xs.iter().map(|x| format!("{x:e}")).collect(),
        y_values: vec!["1".into()],
        values: vec![ys.clone()],
        colour_label: "v".into(),
        ..Default::default()
    };
    heatmap(d, "heat", &map).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Each chart kind renders random finite positive ranges, and finishes.
    #[test]
    fn every_chart_finishes_on_any_positive_range(xs in values(), ys in values()) {
        let n = xs.len().min(ys.len());
        let (xs, ys) = (xs[..n].to_vec(), ys[..n].to_vec());
        let what = format!("xs = {xs:?}, ys = {ys:?}");
        finishes_within(60, what, move || draw_all(xs, ys));
    }
}

/// The inputs of the report (issue 15, item 1), each drawn within seconds.
#[test]
fn reported_extreme_ranges_finish() {
    let cases: [&[f64]; 5] = [
        &[5e-324, 2.0],
        &[1.0, 1e290],
        &[1e-300, 10.0],
        &[1e308, 1e308],
        &[5e-324, f64::MAX],
    ];
    for v in cases {
        let v = v.to_vec();
        finishes_within(60, format!("{v:?}"), move || draw_all(v.clone(), v));
    }
}

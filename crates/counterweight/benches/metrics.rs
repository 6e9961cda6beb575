//! One metrics evaluation (`metrics::concentration`: the sort, HHI, Gini, Theil, top
//! shares, Nakamoto, Hill) on N lognormal values (σ = 0.5, as the growth model's shares
//! look after a while), the cost the runner pays at every recorded step.
//!
//! `cargo bench --workspace --bench metrics`. Environment: `CW_METRICS_N` (comma
//! separated sizes, default 10000,100000,1000000), `CW_REPEAT` (best of, default 7),
//! `CW_METRICS_FROM` (an `actors.csv` written by `counterweight run --actors final` for one
//! replicate: the evaluation on that run's final values instead, e.g. the headline's,
//! whose shape costs the sort more than the lognormal's does).

use std::hint::black_box;
use std::time::Instant;

use counterweight::metrics::{MetricOptions, concentration};
use counterweight::rng::Normals;

/// CPU seconds of the live threads of this process (Linux; NaN elsewhere).
fn cpu_seconds() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return f64::NAN;
    };
    let mut ns = 0u64;
    for e in dir.flatten() {
        if let Ok(s) = std::fs::read_to_string(e.path().join("schedstat")) {
            ns += s
                .split_whitespace()
                .next()
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    ns as f64 * 1e-9
}

fn main() {
    let sizes: Vec<usize> = std::env::var("CW_METRICS_N")
        .unwrap_or_else(|_| "10000,100000,1000000".into())
        .split(',')
        .map(|s| s.trim().parse::<f64>().expect("CW_METRICS_N: numbers") as usize)
        .collect();
    let repeat: usize = std::env::var("CW_REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7);
    let opts = MetricOptions::default();
    let inputs: Vec<(String, Vec<f64>)> = match std::env::var("CW_METRICS_FROM") {
        Ok(path) => vec![(path.clone(), actor_values(&path))],
        Err(_) => sizes
            .into_iter()
            .map(|n| {
                let mut xs = vec![0.0; n];
                Normals::new(7, 0).fill(0, &mut xs);
                xs.iter_mut().for_each(|z| *z = (0.5 * *z).exp());
                ("lognormal".to_string(), xs)
            })
            .collect(),
    };
    for (source, xs) in inputs {
        let n = xs.len();
        let first = concentration(&xs, &opts).expect("metrics");
        let (mut wall, mut cpu) = (f64::INFINITY, f64::INFINITY);
        for _ in 0..repeat.max(1) {
            let c0 = cpu_seconds();
            let t0 = Instant::now();
            let c = concentration(black_box(&xs), &opts).expect("metrics");
            let (w, c1) = (t0.elapsed().as_secs_f64(), cpu_seconds() - c0);
            assert_eq!(format!("{c:?}"), format!("{first:?}"), "not deterministic");
            if c1 < cpu {
                (wall, cpu) = (w, c1);
            }
        }
        println!(
            "metrics::concentration, N={n} ({source}): {:.3} ms wall, {:.3} ms CPU (best of {repeat}); {:.2} ns CPU per value; gini {:.6} theil {:.6} hhi {:.6e}",
            1e3 * wall,
            1e3 * cpu,
            1e9 * cpu / n as f64,
            first.gini,
            first.theil_t,
            first.hhi
        );
    }
    println!(
        "load average: {}",
        std::fs::read_to_string("/proc/loadavg")
            .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    );
}

/// The `value` column of an `actors.csv` written by `counterweight run --actors final` for
/// one replicate (values printed in the shortest form that reads back to the same bits),
/// read with the `csv` crate (group names may be quoted); every row must be of the same
/// replicate and step.
fn actor_values(path: &str) -> Vec<f64> {
    let mut reader = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let header = reader
        .headers()
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .clone();
    let at = |name: &str| header.iter().position(|h| h == name);
    let (Some(replicate), Some(step), Some(value), None) =
        (at("replicate"), at("step"), at("value"), at("variant"))
    else {
        panic!(
            "{path}: expected the actors.csv of a run without variants (replicate,step,…,value), \
             got the header {}",
            header.iter().collect::<Vec<_>>().join(",")
        );
    };
    let mut first = None;
    reader
        .records()
        .map(|r| {
            let r = r.unwrap_or_else(|e| panic!("{path}: {e}"));
            let state = (r[replicate].to_string(), r[step].to_string());
            assert_eq!(
                first.get_or_insert_with(|| state.clone()),
                &state,
                "{path}: more than one (replicate, step); write it with --actors final and one replicate"
            );
            r[value]
                .parse()
                .unwrap_or_else(|_| panic!("{path}: {:?} is not a number", &r[value]))
        })
        .collect()
}

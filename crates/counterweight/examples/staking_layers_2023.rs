//! Capability vs control on the 2023-04-19 staking snapshot: the share of all stake held
//! by the k largest holders of each layer — providers (capability), operators (consensus
//! control: keys), controllers (governance) — under the operator and controller assumption
//! of `docs/staking.md`, with the same stake under a stakers' veto for comparison. Where a
//! curve crosses 1/3, 1/2 and 2/3 are the layer's Nakamoto coefficients.
//!
//! `cargo run --release --example staking_layers_2023 -- [OUT_DIR]` (default `docs/img`)
//! writes `OUT_DIR/staking-2023-layers.{svg,png}` and prints the coefficients.

use std::path::PathBuf;

use counterweight::io::{LineChart, Series, line_chart};
use counterweight::metrics::LayerMetrics;
use counterweight::model::staking::control::Veto;
use counterweight::model::staking::{Staking, StakingParams, snapshot};

const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../scenarios/data/eth-staking-entities-2023-04-19.csv"
);

/// (k, share of the k largest) for k = 1..n.
fn cumulative(mut v: Vec<f64>) -> (Vec<f64>, Vec<f64>) {
    v.sort_by(|a, b| b.total_cmp(a));
    let total: f64 = v.iter().sum();
    let mut acc = 0.0;
    let ys = v
        .iter()
        .map(|x| {
            acc += x;
            acc / total
        })
        .collect();
    ((1..=v.len()).map(|k| k as f64).collect(), ys)
}

fn main() {
    let out = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "docs/img".into()));
    std::fs::create_dir_all(&out).expect("create output directory");
    let mut rdr = csv::Reader::from_path(DATA).expect("scenarios/data beside the crate");
    let rows: Vec<(String, f64)> = rdr
        .records()
        .map(|r| {
            let r = r.expect("a CSV row");
            (r[0].to_string(), r[1].parse().expect("ETH deposited"))
        })
        .collect();
    let params = StakingParams::new(snapshot::providers(&rows));
    let m = Staking::new(&params, 1.0, 1.0, 0).expect("valid snapshot");
    let mut vetoed = params.clone();
    vetoed.providers[0].veto = Some(Veto::mainnet(snapshot::steth_holders()));
    let mv = Staking::new(&vetoed, 1.0, 1.0, 0).expect("valid snapshot");

    let layers: [(&str, Vec<f64>); 4] = [
        (
            "providers (capability)",
            m.stake().iter().map(|&n| n as f64).collect(),
        ),
        ("operators (consensus: keys)", m.consensus_holdings().1),
        ("controllers (governance, 2023)", m.governance_holdings().1),
        (
            "controllers (with a stakers' veto)",
            mv.governance_holdings().1,
        ),
    ];
    let mut series = Vec::new();
    for (label, v) in &layers {
        let l = LayerMetrics::of(v).expect("positive stake");
        let nc = |x: Option<usize>| x.map_or("-".into(), |k| k.to_string());
        println!(
            "{label:<36} holders {:>5}  HHI {:.4}  Nakamoto 1/3 {:>4}  1/2 {:>4}  2/3 {:>4}",
            l.n,
            l.hhi,
            nc(l.nakamoto_1_3),
            nc(l.nakamoto_1_2),
            nc(l.nakamoto_2_3)
        );
        let (xs, ys) = cumulative(v.clone());
        series.push(Series::new(*label, xs, ys));
    }
    let xmax = 5000.0;
    for (label, y) in [("1/3", 1.0 / 3.0), ("1/2", 0.5), ("2/3", 2.0 / 3.0)] {
        series.push(Series::new(label, vec![1.0, xmax], vec![y, y]));
    }
    let chart = LineChart {
        title: "Ethereum staking, 2023-04-19: share held by the k largest holders, by layer".into(),
        x_label: "k largest holders".into(),
        y_label: "share of all staked ETH".into(),
        series,
        y_range: Some((0.0, 1.0)),
        x_range: Some((1.0, xmax)),
        log_x: true,
        ..Default::default()
    };
    let paths = line_chart(&out, "staking-2023-layers", &chart).expect("write the chart");
    for p in paths {
        println!("wrote {}", p.display());
    }
}

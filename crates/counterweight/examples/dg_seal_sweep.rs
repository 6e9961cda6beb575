//! Sweep of Dual Governance's seals with the veto simulation: the trade-off between harmful
//! proposals blocked and the delay of honest proposals.
//!
//! `cargo run --release --example dg_seal_sweep -- OUT_DIR [REPLICATES]`
//! writes `OUT_DIR/seal_sweep.csv` and `OUT_DIR/seal_sweep.{svg,png}` (the same numbers as
//! a shell loop over `counterweight govern simulate --set config.first_seal=... --json`).

use std::path::PathBuf;

use counterweight::governance::dual::simulate::{self, DEFAULT_SCENARIO};
use counterweight::governance::dual::timeline::parse_percent_d16;
use counterweight::io::{Column, LineChart, Series, Table, panel_chart, write_csv};

fn main() {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().unwrap_or_else(|| "docs/governance".into()));
    let replicates: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    std::fs::create_dir_all(&out).expect("create output directory");
    let base = simulate::parse(DEFAULT_SCENARIO).expect("default scenario");

    let first = ["0.25%", "0.5%", "1%", "2%", "3%", "5%"];
    let second = ["5%", "10%", "15%", "20%", "30%"];
    let mut rows: Vec<(String, f64, simulate::Summary)> = Vec::new();
    for (which, values) in [("first_seal", &first[..]), ("second_seal", &second[..])] {
        for v in values {
            let mut sc = base.clone();
            sc.replicates = replicates;
            let p = parse_percent_d16(v).unwrap();
            if which == "first_seal" {
                sc.config.first_seal = p;
            } else {
                sc.config.second_seal = p;
            }
            sc.config.validate().expect("valid seals");
            let s = simulate::simulate(&sc).summary();
            eprintln!(
                "{which} = {v:>6}: blocked {:.3}, honest delay mean {:.2} d p90 {:.2} d, rage quits {:.2}, stake left {:.3}",
                s.harmful_blocked_share,
                s.honest_delay_days[0],
                s.honest_delay_days[2],
                s.rage_quits_per_replicate,
                s.stake_left_mean
            );
            rows.push((which.to_string(), p.as_percent_f64(), s));
        }
    }

    let mut t = Table::new();
    t.push(
        "parameter",
        Column::Str(rows.iter().map(|r| r.0.clone()).collect()),
    );
    t.push(
        "value_percent",
        Column::F64(rows.iter().map(|r| r.1).collect()),
    );
    let col =
        |f: &dyn Fn(&simulate::Summary) -> f64| Column::F64(rows.iter().map(|r| f(&r.2)).collect());
    t.push("harmful_blocked_share", col(&|s| s.harmful_blocked_share));
    t.push(
        "harmful_executed_after_rage_quit_share",
        col(&|s| s.harmful_executed_after_rage_quit_share),
    );
    t.push("honest_delay_mean_days", col(&|s| s.honest_delay_days[0]));
    t.push("honest_delay_p50_days", col(&|s| s.honest_delay_days[1]));
    t.push("honest_delay_p90_days", col(&|s| s.honest_delay_days[2]));
    t.push(
        "rage_quits_per_replicate",
        col(&|s| s.rage_quits_per_replicate),
    );
    t.push("stake_left_mean", col(&|s| s.stake_left_mean));
    t.push("share_time_normal", col(&|s| s.state_share[0]));
    write_csv(&t, &out.join("seal_sweep.csv")).expect("write csv");

    let series = |which: &str, f: &dyn Fn(&simulate::Summary) -> f64, label: &str| {
        let pts: Vec<&(String, f64, simulate::Summary)> =
            rows.iter().filter(|r| r.0 == which).collect();
        Series::new(
            label,
            pts.iter().map(|r| r.1).collect(),
            pts.iter().map(|r| f(&r.2)).collect(),
        )
    };
    let tradeoff = |which: &str, label: &str| {
        let pts: Vec<&(String, f64, simulate::Summary)> =
            rows.iter().filter(|r| r.0 == which).collect();
        Series::new(
            label,
            pts.iter().map(|r| r.2.honest_delay_days[0]).collect(),
            pts.iter().map(|r| r.2.harmful_blocked_share).collect(),
        )
    };
    let panels = vec![
        LineChart {
            title: "first seal sweep (second seal 10%)".into(),
            x_label: "first seal (% of supply)".into(),
            y_label: "share / days".into(),
            series: vec![
                series(
                    "first_seal",
                    &|s| s.harmful_blocked_share,
                    "harmful blocked (share)",
                ),
                series(
                    "first_seal",
                    &|s| s.honest_delay_days[0] / 10.0,
                    "honest delay mean (10 days)",
                ),
                series(
                    "first_seal",
                    &|s| s.stake_left_mean,
                    "stake that left (share)",
                ),
            ],
            log_x: true,
            ..Default::default()
        },
        LineChart {
            title: "second seal sweep (first seal 1%)".into(),
            x_label: "second seal (% of supply)".into(),
            y_label: "share / days".into(),
            series: vec![
                series(
                    "second_seal",
                    &|s| s.harmful_blocked_share,
                    "harmful blocked (share)",
                ),
                series(
                    "second_seal",
                    &|s| s.honest_delay_days[0] / 10.0,
                    "honest delay mean (10 days)",
                ),
                series(
                    "second_seal",
                    &|s| s.stake_left_mean,
                    "stake that left (share)",
                ),
            ],
            ..Default::default()
        },
        LineChart {
            title: "trade-off".into(),
            x_label: "honest delay, mean (days)".into(),
            y_label: "harmful blocked (share)".into(),
            series: vec![
                tradeoff("first_seal", "first seal 0.25% .. 5%"),
                tradeoff("second_seal", "second seal 5% .. 30%"),
            ],
            ..Default::default()
        },
    ];
    panel_chart(
        &out,
        "seal_sweep",
        &format!("Dual Governance seals: blocked harmful proposals vs honest delay ({replicates} replicates x 730 d per point)"),
        &panels,
    )
    .expect("write chart");
    println!("{}", out.join("seal_sweep.svg").display());
}

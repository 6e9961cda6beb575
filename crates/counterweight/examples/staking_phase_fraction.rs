//! The staking γ × self-limit phase diagram as the fraction of runs in which the largest
//! provider ends with more than a third of all stake (enough to censor and stop finality),
//! read from a sweep's `results.csv` (one row per run: its varied keys and final metrics).
//! `counterweight sweep` draws the mean final share (`phase_first_share`); whether a
//! run ends above a threshold is a per-run event, so its fraction per point is counted
//! here from the per-run rows and drawn with the same heatmap.
//!
//! ```text
//! counterweight sweep docs/examples/staking-phase.toml \
//!   --vary staking.gamma=0.8:1.4:0.05 \
//!   --vary 'policy[0].cap=0.2,0.25,0.3,0.32,0.35,0.4,0.5,0.6,0.8,1.0' \
//!   --replicates 100 --out runs/staking-phase
//! cargo run --release -p counterweight --example staking_phase_fraction -- \
//!   runs/staking-phase/results.csv docs/img
//! ```
//!
//! writes `OUT_DIR/staking-phase-above-third.{svg,png}` and prints the table of fractions
//! (rows: cap, columns: γ). A run counts when `top1_share > 1/3` (strictly: the capability
//! Nakamoto coefficient at 1/3 is then 1); failed runs (no value) are left out.

use std::collections::BTreeMap;
use std::path::PathBuf;

use counterweight::io::{Heatmap, heatmap};

const X_KEY: &str = "staking.gamma";
const Y_KEY: &str = "policy[0].cap";
const METRIC: &str = "top1_share";
const THRESHOLD: f64 = 1.0 / 3.0;

/// A grid key in ascending order (values are short decimals written by the sweep).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Key(f64);
impl Eq for Key {}
impl PartialOrd for Key {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Key {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&o.0)
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let results = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "runs/staking-phase/results.csv".into()),
    );
    let out = PathBuf::from(args.next().unwrap_or_else(|| "docs/img".into()));
    let mut rdr = csv::Reader::from_path(&results)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", results.display()));
    let header = rdr.headers().expect("a header row").clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{} has no column {name}", results.display()))
    };
    let (ix, iy, im) = (col(X_KEY), col(Y_KEY), col(METRIC));
    // (cap, gamma) -> (runs above the threshold, runs with a value)
    let mut counts: BTreeMap<(Key, Key), (u32, u32)> = BTreeMap::new();
    for rec in rdr.records() {
        let rec = rec.expect("a well-formed row");
        let num = |i: usize| rec[i].trim().parse::<f64>().ok();
        let (Some(x), Some(y)) = (num(ix), num(iy)) else {
            panic!("a run without {X_KEY} or {Y_KEY}");
        };
        let e = counts.entry((Key(y), Key(x))).or_insert((0, 0));
        if let Some(v) = num(im).filter(|v| v.is_finite()) {
            e.1 += 1;
            if v > THRESHOLD {
                e.0 += 1;
            }
        }
    }
    let mut xs: Vec<Key> = counts.keys().map(|k| k.1).collect();
    let mut ys: Vec<Key> = counts.keys().map(|k| k.0).collect();
    xs.sort();
    xs.dedup();
    ys.sort();
    ys.dedup();
    let runs = counts.values().map(|c| c.1).max().unwrap_or(0);
    let values: Vec<Vec<f64>> = ys
        .iter()
        .map(|&y| {
            xs.iter()
                .map(|&x| match counts.get(&(y, x)) {
                    Some(&(k, n)) if n > 0 => f64::from(k) / f64::from(n),
                    _ => f64::NAN,
                })
                .collect()
        })
        .collect();
    let label = |k: &Key| counterweight::fmt::sig(k.0, 3);
    let map = Heatmap {
        title: format!(
            "Fraction of {runs} runs in which the largest provider ends above 1/3 of all stake"
        ),
        x_label: format!("{X_KEY} (network effect γ)"),
        y_label: format!("{Y_KEY} (self-limit cap)"),
        x_values: xs.iter().map(label).collect(),
        y_values: ys.iter().map(label).collect(),
        values: values.clone(),
        colour_label: "share of runs".into(),
        range: Some((0.0, 1.0)),
    };
    std::fs::create_dir_all(&out).expect("create the output directory");
    let files = heatmap(&out, "staking-phase-above-third", &map).expect("write the heatmap");
    print!("{:>6}", "cap\\γ");
    for x in &xs {
        print!(" {:>5}", label(x));
    }
    println!();
    for (y, row) in ys.iter().zip(&values).rev() {
        print!("{:>6}", label(y));
        for v in row {
            print!(" {v:>5.2}");
        }
        println!();
    }
    for f in files {
        println!("wrote {}", f.display());
    }
}

//! Exchange-model throughput in actor-steps per second (one replicate, one thread: a step
//! of the exchange model is sequential; replicates run in parallel in the runner).
//!
//!     cargo bench --workspace --bench exchange            # all sizes
//!     cargo bench --workspace --bench exchange -- quick   # smaller sizes
//!
//! Rules and sizes: `boltzmann` at 10^4, 10^5, 3·10^5 agents (mesa-frames' published sizes),
//! `yard_sale` (ζ = 0.2, χ = 0.05, never-clipping dt) and `fixed_amount` at 10^4 … 10^6.
//! Each line: rule, N, steps, best-of-3 wall time, actor-steps/s.

use std::time::Instant;

use counterweight::model;
use counterweight::scenario;

fn scenario_for(rule: &str, n: usize, steps: u64) -> scenario::Scenario {
    let (dt, body) = match rule {
        "yard_sale" => (
            0.1 / (0.2 * n as f64).powi(2),
            "stake_rate = 0.1\nadvantage = 0.2\nredistribution = 0.05".to_string(),
        ),
        "fixed_amount" => (1.0, "rule = \"fixed_amount\"\namount = 1.0".to_string()),
        _ => (1.0, "rule = \"boltzmann\"".to_string()),
    };
    let src = format!(
        "name = \"bench\"\nmodel = \"exchange\"\ntime = {{ end = {}, dt = {dt:e} }}\n[exchange]\n{body}\n\
         [[actors]]\ngroup = \"a\"\ncount = {n}\ninitial = {{ constant = 1 }}\n",
        dt * steps as f64
    );
    scenario::parse(&src, "bench", None, &[])
        .expect("bench scenario")
        .variants[0]
        .scenario
        .clone()
}

fn time_rule(rule: &str, n: usize, steps: u64) -> f64 {
    let sc = scenario_for(rule, n, steps);
    let mut best = f64::INFINITY;
    for rep in 0..3 {
        let mut m = model::build(&sc, rep);
        let t0 = Instant::now();
        for k in 1..=sc.time.steps {
            m.step(k, (k - 1) as f64 * sc.time.dt).expect("step");
            std::hint::black_box(m.max());
        }
        best = best.min(t0.elapsed().as_secs_f64());
    }
    let rate = n as f64 * sc.time.steps as f64 / best;
    println!(
        "counterweight {rule:<12} agents={n:<8} steps={} step_s={best:.4} agent_steps_per_s={rate:.4e}",
        sc.time.steps
    );
    rate
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let steps = 100;
    let boltz: &[usize] = if quick {
        &[10_000, 100_000]
    } else {
        &[10_000, 100_000, 300_000]
    };
    for &n in boltz {
        time_rule("boltzmann", n, steps);
    }
    let ys: &[usize] = if quick {
        &[10_000, 100_000]
    } else {
        &[10_000, 100_000, 1_000_000]
    };
    for &n in ys {
        time_rule("yard_sale", n, steps);
    }
    for &n in ys {
        time_rule("fixed_amount", n, steps);
    }
}

//! Adoptions per second of the adoption model (`cargo bench --workspace --bench
//! adoption`), for gamma in {0.5, 1, 2}, theta in {0, 0.5} and 10^6..10^8 adopters per
//! run, two platforms from (1, 1), one replicate, 100 steps, metrics every 10 steps,
//! through the runner (what `counterweight run` does). `sequential` forces the
//! one-by-one sampler; `auto` is the default (an exact batch where one exists: here
//! gamma = 1, theta = 0). One thread per run. Prints a table and one JSON line per case.
//!
//! Then the NumPy peer's setting: 10^4 replicates x 10^3 adopters (10 steps), sequential,
//! replicates in parallel on the rayon pool (RAYON_NUM_THREADS=1 for one thread).
//!
//! Environment: ADOPTERS (comma-separated list, default 1e6,1e7,1e8; empty: skip).

use std::time::Instant;

use counterweight::model::adoption::AdoptionSetup;
use counterweight::model::adoption::Method;
use counterweight::runner;
use counterweight::scenario;

fn main() {
    let sizes: Vec<u64> = std::env::var("ADOPTERS")
        .unwrap_or_else(|_| "1e6,1e7,1e8".into())
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse::<f64>().expect("a number") as u64)
        .collect();
    println!(
        "{:>6} {:>6} {:>12} {:>11} {:>10} {:>14}",
        "gamma", "theta", "adopters", "method", "seconds", "adoptions/s"
    );
    for &a in &sizes {
        for gamma in [0.5, 1.0, 2.0] {
            for theta in [0.0, 0.5] {
                let src = format!(
                    "name = \"bench\"\nmodel = \"adoption\"\nseed = 42\n\
                     time = {{ end = 100.0, dt = 1.0 }}\n[adoption]\nplatforms = 2\n\
                     gamma = {gamma}\ninteroperability = {theta}\ninitial = [1, 1]\n\
                     adopters = {a}\n[output]\nevery = 10\n"
                );
                let exp = scenario::parse(&src, "bench", None, &[]).expect("valid");
                let mut sc = exp.variants[0].scenario.clone();
                let batch = gamma == 1.0 && theta == 0.0;
                let methods: &[Method] = if batch {
                    &[Method::Sequential, Method::Auto]
                } else {
                    &[Method::Sequential]
                };
                for &method in methods {
                    if let Some(s) = sc.model.get_mut::<AdoptionSetup>() {
                        s.params.method = method;
                    }
                    let t = Instant::now();
                    let out = runner::run(&sc, &Default::default()).expect("runs");
                    let secs = t.elapsed().as_secs_f64();
                    assert_eq!(out.final_values[0].iter().sum::<f64>(), (a + 2) as f64);
                    let name = if method == Method::Auto {
                        "auto"
                    } else {
                        "sequential"
                    };
                    let rate = a as f64 / secs;
                    println!("{gamma:>6} {theta:>6} {a:>12} {name:>11} {secs:>10.3} {rate:>14.3e}");
                    eprintln!(
                        "{{\"impl\":\"counterweight\",\"gamma\":{gamma},\"theta\":{theta},\"adopters\":{a},\"method\":\"{name}\",\"seconds\":{secs},\"adoptions_per_s\":{rate}}}"
                    );
                }
            }
        }
    }
    println!(
        "\n10^4 replicates x 10^3 adopters, sequential, {} threads",
        rayon::current_num_threads()
    );
    for gamma in [0.5, 1.0, 2.0] {
        for theta in [0.0, 0.5] {
            let src = format!(
                "name = \"bench\"\nmodel = \"adoption\"\nseed = 42\nreplicates = 10000\n\
                 time = {{ end = 10.0, dt = 1.0 }}\n[adoption]\nplatforms = 2\n\
                 gamma = {gamma}\ninteroperability = {theta}\ninitial = [1, 1]\n\
                 adopters = 1000\n[output]\nevery = 10\n"
            );
            let exp = scenario::parse(&src, "bench", None, &[]).expect("valid");
            let mut sc = exp.variants[0].scenario.clone();
            if let Some(s) = sc.model.get_mut::<AdoptionSetup>() {
                s.params.method = Method::Sequential;
            }
            let t = Instant::now();
            runner::run(&sc, &Default::default()).expect("runs");
            let secs = t.elapsed().as_secs_f64();
            let rate = 1e7 / secs;
            println!(
                "{gamma:>6} {theta:>6} {:>12} {:>11} {secs:>10.3} {rate:>14.3e}",
                "1e4 x 1e3", "sequential"
            );
            eprintln!(
                "{{\"impl\":\"counterweight\",\"gamma\":{gamma},\"theta\":{theta},\"replicates\":10000,\"adopters\":1000,\"threads\":{},\"seconds\":{secs},\"adoptions_per_s\":{rate}}}",
                rayon::current_num_threads()
            );
        }
    }
}

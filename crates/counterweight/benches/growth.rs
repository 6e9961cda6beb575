//! The headline benchmark (DESIGN.md §8, bench/README.md): the growth model in its
//! Bouchaud–Mézard form (exchange + shocks), N = 10^6 actors, 100 steps, metrics every 10
//! steps, through `runner::run`, in actor-steps per second — the same model and sizes as
//! `bench/numpy_growth.py`. Also prints the roofline (a plain loop that only draws the
//! same normals and streams the array), the run without metrics, and a small scaling
//! table (N = 10^5 and 10^6, 1 and 2 threads).
//!
//! `cargo bench -p counterweight --bench growth`. Environment: `CW_N` (default 1000000),
//! `CW_STEPS` (100), `CW_REPEAT` (3, best of, after one warm-up), `CW_SCALING=0` skips the
//! scaling table. `bench/compare.sh` parses the line starting `counterweight growth: `.

use std::hint::black_box;
use std::time::Instant;

use counterweight::rng;
use counterweight::runner::{self, RunOptions};
use counterweight::scenario::{self, Scenario};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

/// Actors per random stream, as in the model.
const CHUNK: usize = counterweight::model::growth::CHUNK;

fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .replace('_', "")
            .parse::<f64>()
            .map(|x| x as usize)
            .unwrap_or_else(|_| panic!("{name}={v}: expected a number")),
        Err(_) => default,
    }
}

/// The Bouchaud–Mézard scenario of bench/numpy_growth.py: J = 1, sigma = 1, dt = 0.01,
/// one group of `n` actors starting at 1, seed 42, metrics every `every` steps.
fn scenario(n: usize, steps: usize, every: usize) -> Scenario {
    let src = format!(
        r#"name = "bench"
model = "growth"
seed = 42
time = {{ end = {end:?}, dt = 0.01 }}

[growth]
exchange = 1.0
volatility = 1.0

[[actors]]
group = "all"
count = {n}
initial = {{ constant = 1.0 }}

[output]
every = {every}
"#,
        end = steps as f64 * 0.01,
    );
    let mut exp = scenario::parse(&src, "bench", None, &[]).expect("bench scenario is valid");
    let sc = exp.variants.remove(0).scenario;
    assert_eq!(sc.time.steps as usize, steps, "step count");
    assert_eq!(sc.actor_count(), n);
    sc
}

/// Best wall-clock seconds of `repeat` calls of `f`, after one warm-up call.
fn best_of(repeat: usize, mut f: impl FnMut()) -> f64 {
    f();
    (0..repeat.max(1))
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn time_model(n: usize, steps: usize, every: usize, repeat: usize) -> f64 {
    let sc = scenario(n, steps, every);
    best_of(repeat, || {
        let out = runner::run(&sc, &RunOptions::default()).expect("bench run");
        black_box(out);
    })
}

/// The roofline: per step, draw one N(0,1) per actor from the same generator (ChaCha8 +
/// rand_distr's StandardNormal, one stream per chunk of CHUNK actors, chunks on rayon)
/// and stream the array once (`x *= exp(s z)`). No exchange, no sums, no metrics.
fn roofline(n: usize, steps: usize) -> Vec<f64> {
    let mut x = vec![1.0f64; n];
    let mut rngs: Vec<ChaCha8Rng> = (0..n.div_ceil(CHUNK) as u64)
        .map(|c| rng::stream(42, c))
        .collect();
    let s = 0.1f64;
    for _ in 0..steps {
        x.par_chunks_mut(CHUNK)
            .zip(rngs.par_iter_mut())
            .for_each(|(vals, rng)| {
                for v in vals.iter_mut() {
                    let z: f64 = StandardNormal.sample(rng);
                    *v *= (s * z).exp();
                }
            });
    }
    x
}

fn time_roofline(n: usize, steps: usize, repeat: usize) -> f64 {
    best_of(repeat, || {
        black_box(roofline(n, steps));
    })
}

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool")
        .install(f)
}

fn main() {
    // `cargo bench` passes `--bench`; ignore arguments.
    let n = env_usize("CW_N", 1_000_000);
    let steps = env_usize("CW_STEPS", 100);
    let repeat = env_usize("CW_REPEAT", 3);
    let scaling = env_usize("CW_SCALING", 1) != 0;
    let threads = rayon::current_num_threads();
    let work = (n * steps) as f64;

    let t = time_model(n, steps, 10, repeat);
    println!(
        "counterweight growth: N={n} steps={steps} seconds={t:.4} actor_steps_per_s={:.4e} threads={threads}",
        work / t
    );
    let t_nm = time_model(n, steps, steps, repeat);
    println!(
        "without metrics (output.every = steps): N={n} steps={steps} seconds={t_nm:.4} actor_steps_per_s={:.4e} (metrics are {:.0}% of the run)",
        work / t_nm,
        100.0 * (t - t_nm) / t
    );
    let t_rf = time_roofline(n, steps, repeat);
    println!(
        "roofline (normals + one stream of the array per step): N={n} steps={steps} seconds={t_rf:.4} actor_steps_per_s={:.4e}",
        work / t_rf
    );
    println!(
        "counterweight/roofline = {:.3} (with metrics), {:.3} (without)",
        t_rf / t,
        t_rf / t_nm
    );

    if scaling {
        println!();
        println!("scaling (metrics every 10 steps, best of {repeat}; actor-steps/s):");
        println!(
            "{:>9} {:>6} {:>8} {:>12} {:>12} {:>12}",
            "N", "steps", "threads", "seconds", "model", "roofline"
        );
        for &sn in &[100_000usize, 1_000_000] {
            for th in 1..=threads.max(2) {
                let (tm, tr) = in_pool(th, || {
                    (
                        time_model(sn, steps, 10, repeat),
                        time_roofline(sn, steps, repeat),
                    )
                });
                let w = (sn * steps) as f64;
                println!(
                    "{sn:>9} {steps:>6} {th:>8} {tm:>12.4} {:>12.4e} {:>12.4e}",
                    w / tm,
                    w / tr
                );
            }
        }
    }
}

//! The headline benchmark (DESIGN.md §8, bench/README.md): the growth model in its
//! Bouchaud–Mézard form (exchange + shocks), N = 10^6 actors, 100 steps, metrics every 10
//! steps, through `runner::run`, in actor-steps per second — the same model and sizes as
//! `bench/numpy_growth.py`. Also prints the roofline (a plain loop that only draws the
//! same normals and streams the array), the memory roofline (one read and one write of the
//! array per step), the generator alone, the run without metrics, one fused step, and a
//! scaling table (N = 10^4 … 10^7, 1 and 2 threads).
//!
//! `cargo bench --workspace --bench growth`. Environment: `CW_N` (default 1000000),
//! `CW_STEPS` (100), `CW_REPEAT` (3, best of, after one warm-up), `CW_SCALING=0` skips the
//! scaling table, `CW_SIZES` (comma-separated N of the scaling table, default
//! 1e4,1e5,1e6,1e7). `bench/compare.sh` parses the lines starting `counterweight growth: `,
//! `roofline`, `memory roofline` and `generator alone`.

use std::hint::black_box;
use std::time::Instant;

use counterweight::rng::{self, Normals};
use counterweight::runner::{self, RunOptions};
use counterweight::scenario::{self, Scenario};
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

/// CPU seconds used so far by the live threads of this process: the sum over
/// /proc/self/task/*/schedstat (Linux, nanoseconds; NaN elsewhere). Threads that have
/// exited are not counted, so take differences around work done by live threads. A CPU
/// time well below threads x wall clock means other processes competed for the cores.
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

/// Wall-clock and CPU seconds of one timed call.
#[derive(Clone, Copy)]
struct Timing {
    wall: f64,
    cpu: f64,
}

/// The best (lowest wall clock) of `repeat` calls of `f`, after one warm-up call.
fn best_of(repeat: usize, mut f: impl FnMut()) -> Timing {
    f();
    (0..repeat.max(1))
        .map(|_| {
            let c0 = cpu_seconds();
            let t0 = Instant::now();
            f();
            Timing {
                wall: t0.elapsed().as_secs_f64(),
                cpu: cpu_seconds() - c0,
            }
        })
        .fold(
            Timing {
                wall: f64::INFINITY,
                cpu: f64::NAN,
            },
            |b, t| if t.wall < b.wall { t } else { b },
        )
}

fn time_model(n: usize, steps: usize, every: usize, repeat: usize) -> Timing {
    let sc = scenario(n, steps, every);
    best_of(repeat, || {
        let out = runner::run(&sc, &RunOptions::default()).expect("bench run");
        black_box(out);
    })
}

/// The roofline (DESIGN.md §8: "a plain loop that only draws the random numbers and
/// streams the arrays"): per step, draw one N(0,1) per actor from the same generator as
/// the model (`rng::Normals`, ARS-7 + ziggurat, one stream per chunk of CHUNK
/// actors, filled 256 at a time, chunks on rayon) and stream the array once (`x += s z`). No exp, no exchange, no sums,
/// no metrics. With `with_exp`, `x *= exp(s z)` with the standard library's exp instead,
/// to show what a per-actor libm exp costs.
fn roofline(n: usize, steps: usize, with_exp: bool) -> Vec<f64> {
    let mut x = vec![1.0f64; n];
    let s = 0.1f64;
    for step in 0..steps as u64 {
        x.par_chunks_mut(CHUNK).enumerate().for_each(|(c, vals)| {
            let normals = Normals::new(42, c as u64);
            let mut z = [0.0f64; 256];
            let mut index = step * CHUNK as u64;
            for block in vals.chunks_mut(256) {
                let z = &mut z[..block.len()];
                normals.fill(index, z);
                index += z.len() as u64;
                if with_exp {
                    for (v, &z) in block.iter_mut().zip(z.iter()) {
                        *v *= (s * z).exp();
                    }
                } else {
                    for (v, &z) in block.iter_mut().zip(z.iter()) {
                        *v += s * z;
                    }
                }
            }
        });
    }
    x
}

/// The memory roofline: no random numbers at all, only one read and one write of every
/// actor's value per step (`x = a x + b`, which the compiler vectorises), chunked on rayon
/// as the model is. No model step can be faster than this on the machine.
fn bandwidth(n: usize, steps: usize) -> Vec<f64> {
    let mut x = vec![1.0f64; n];
    for step in 0..steps {
        let (a, b) = (1.0 - 1e-9 * step as f64, 1e-12);
        x.par_chunks_mut(CHUNK).for_each(|vals| {
            for v in vals.iter_mut() {
                *v = a * *v + b;
            }
        });
    }
    x
}

/// The generator alone: every step draws one N(0, 1) per actor from the model's stream
/// (`rng::Normals`, the same chunks and blocks) into a block buffer, which only
/// `black_box` reads, so nothing but the generator touches memory. (A running sum of the
/// normals, as before 2026-12-03, was one chain of dependent additions, 4 cycles each, and
/// made the generator look slower than the roofline that also streams the array.)
fn generator(n: usize, steps: usize) -> f64 {
    (0..steps as u64)
        .map(|step| {
            (0..n.div_ceil(CHUNK))
                .into_par_iter()
                .map(|c| {
                    let len = CHUNK.min(n - c * CHUNK);
                    let normals = Normals::new(42, c as u64);
                    let mut z = [0.0f64; 256];
                    let mut index = step * CHUNK as u64;
                    let mut acc = 0.0;
                    let mut left = len;
                    while left > 0 {
                        let m = left.min(256);
                        normals.fill(index, &mut z[..m]);
                        index += m as u64;
                        acc += black_box(&z)[m - 1];
                        left -= m;
                    }
                    acc
                })
                .sum::<f64>()
        })
        .sum()
}

fn time_roofline(n: usize, steps: usize, with_exp: bool, repeat: usize) -> Timing {
    best_of(repeat, || {
        black_box(roofline(n, steps, with_exp));
    })
}

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool")
        .install(f)
}

/// Seconds of one `metrics::concentration` call on `n` lognormal values (the recorder
/// makes one per recorded step for all actors and one per group).
fn time_metrics(n: usize, repeat: usize) -> Timing {
    use counterweight::metrics::{MetricOptions, concentration};
    let mut g = rng::stream(7, 0);
    let xs: Vec<f64> = (0..n)
        .map(|_| {
            let z: f64 = StandardNormal.sample(&mut g);
            (0.5 * z).exp()
        })
        .collect();
    best_of(repeat.max(5), || {
        black_box(concentration(&xs, &MetricOptions::default()).expect("metrics"));
    })
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
        "counterweight growth: N={n} steps={steps} seconds={:.4} actor_steps_per_s={:.4e} threads={threads} cpu_seconds={:.2}",
        t.wall,
        work / t.wall,
        t.cpu
    );
    let t_nm = time_model(n, steps, steps, repeat);
    println!(
        "without metrics (output.every = steps): N={n} steps={steps} seconds={:.4} actor_steps_per_s={:.4e} cpu_seconds={:.2} (metrics: {:.0}% of the run)",
        t_nm.wall,
        work / t_nm.wall,
        t_nm.cpu,
        100.0 * (t.wall - t_nm.wall) / t.wall
    );
    let t_rf = time_roofline(n, steps, false, repeat);
    println!(
        "roofline (normals + one stream of the array per step): N={n} steps={steps} seconds={:.4} actor_steps_per_s={:.4e} cpu_seconds={:.2}",
        t_rf.wall,
        work / t_rf.wall,
        t_rf.cpu
    );
    let t_rx = time_roofline(n, steps, true, repeat);
    println!(
        "roofline + libm exp per actor (x *= exp(s z)): N={n} steps={steps} seconds={:.4} actor_steps_per_s={:.4e} cpu_seconds={:.2}",
        t_rx.wall,
        work / t_rx.wall,
        t_rx.cpu
    );
    let t_bw = best_of(repeat, || {
        black_box(bandwidth(n, steps));
    });
    println!(
        "memory roofline (one read + one write of the array per step, no random numbers): N={n} steps={steps} seconds={:.4} actor_steps_per_s={:.4e} cpu_seconds={:.2}",
        t_bw.wall,
        work / t_bw.wall,
        t_bw.cpu
    );
    let t_gen = best_of(repeat, || {
        black_box(generator(n, steps));
    });
    println!(
        "generator alone (one normal per actor-step, nothing stored): N={n} steps={steps} seconds={:.4} normals_per_s={:.4e} cpu_seconds={:.2}",
        t_gen.wall,
        work / t_gen.wall,
        t_gen.cpu
    );
    println!(
        "counterweight/roofline = {:.3} (with metrics), {:.3} (without)",
        t_rf.wall / t.wall,
        t_rf.wall / t_nm.wall
    );
    // One step: the difference between runs of `steps` and `steps / 2` steps without
    // metrics, per step, so set-up (allocation, the step-0 state) cancels out.
    let half = (steps / 2).max(1);
    let t_half = time_model(n, half, half, repeat);
    let per_step = (t_nm.wall - t_half.wall) / (steps - half).max(1) as f64;
    println!(
        "one fused step (exchange + shocks, one pass over the array), N={n}: {:.3} ms = {:.2} ns per actor",
        1e3 * per_step,
        1e9 * per_step / n as f64
    );
    let t_m = time_metrics(n, repeat);
    println!(
        "one metrics::concentration call on N={n} values: {:.2} ms (cpu {:.2} ms)",
        1e3 * t_m.wall,
        1e3 * t_m.cpu
    );

    // Determinism: the same scenario on 1 and on 2 threads gives bit-identical final values
    // and metrics (DESIGN.md §9).
    let det_n = n.min(200_000);
    let det_sc = scenario(det_n, steps.min(20), 10);
    let [a, b] = [1, 2].map(|th| {
        in_pool(th, || {
            runner::run(&det_sc, &RunOptions::default()).expect("bench run")
        })
    });
    let same_values = a.final_values[0]
        .iter()
        .zip(&b.final_values[0])
        .all(|(x, y)| x.to_bits() == y.to_bits());
    let same_metrics = format!("{:?}", a.metrics) == format!("{:?}", b.metrics);
    println!(
        "deterministic across 1 and 2 threads (N={det_n}, {} steps): {}",
        steps.min(20),
        if same_values && same_metrics {
            "yes (final values and metrics bit-identical)"
        } else {
            "NO"
        }
    );

    if scaling {
        println!();
        println!("scaling (metrics every 10 steps, best of {repeat}; actor-steps/s):");
        println!(
            "{:>9} {:>6} {:>8} {:>10} {:>8} {:>12} {:>12}",
            "N", "steps", "threads", "seconds", "cpu_s", "model", "roofline"
        );
        let sizes = match std::env::var("CW_SIZES") {
            Ok(v) => v
                .split(',')
                .map(|x| x.trim().parse::<f64>().expect("CW_SIZES: numbers") as usize)
                .collect(),
            Err(_) => vec![10_000usize, 100_000, 1_000_000, 10_000_000],
        };
        for &sn in &sizes {
            // 10^7 actors x 100 steps is 10^9 actor-steps: once is enough.
            let rep = if sn >= 10_000_000 { 1 } else { repeat };
            for th in 1..=threads.max(2) {
                let (tm, tr) = in_pool(th, || {
                    (
                        time_model(sn, steps, 10, rep),
                        time_roofline(sn, steps, false, rep),
                    )
                });
                let w = (sn * steps) as f64;
                println!(
                    "{sn:>9} {steps:>6} {th:>8} {:>10.4} {:>8.2} {:>12.4e} {:>12.4e}",
                    tm.wall,
                    tm.cpu,
                    w / tm.wall,
                    w / tr.wall
                );
            }
        }
    }
    println!("load average: {}", load_average());
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

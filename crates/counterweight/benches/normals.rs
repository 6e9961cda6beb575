//! The generator alone: standard normals per second from the bulk ARS-7 + ziggurat
//! stream (`rng::Normals::fill`) against the previous path (one ChaCha8 stream
//! per chunk + rand_distr's ziggurat `StandardNormal`, one value at a time: what the growth
//! model used before), on one
//! thread and on the rayon pool, filling a buffer of one chunk (8192 values) at a time as
//! the growth model does. Also the ARS blocks alone on the portable path: with the AES
//! round this CPU's portable path uses, and with the table round of CPUs without AES
//! instructions (`rng::ars::AesRound`).
//!
//! `cargo bench --workspace --bench normals`. Environment: `CW_NORMALS` (values per
//! timing, default 10^8 / 4), `CW_REPEAT` (best of, default 3).

use std::hint::black_box;
use std::time::Instant;

use counterweight::rng::{self, Normals, ars};
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

const CHUNK: usize = 8192;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().replace('_', "").parse::<f64>().ok())
        .map_or(default, |x| x as usize)
}

/// CPU seconds used so far by the live threads of this process (sum over
/// /proc/self/task/*/schedstat; NaN where that does not exist). On this shared machine the
/// wall clock mostly measures the other tenants; the CPU time measures the work.
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

/// Wall-clock and CPU seconds of the call with the least CPU time, after one warm-up.
fn best_of(repeat: usize, mut f: impl FnMut()) -> (f64, f64) {
    f();
    (0..repeat.max(1))
        .map(|_| {
            let c0 = cpu_seconds();
            let t0 = Instant::now();
            f();
            (t0.elapsed().as_secs_f64(), cpu_seconds() - c0)
        })
        .fold((f64::INFINITY, f64::INFINITY), |b, t| {
            if t.1 < b.1 { t } else { b }
        })
}

fn main() {
    let n = env_usize("CW_NORMALS", 25_000_000).div_ceil(CHUNK) * CHUNK;
    let repeat = env_usize("CW_REPEAT", 3);
    let chunks = n / CHUNK;
    let threads = rayon::current_num_threads();
    println!("normals: {n} values per timing, chunks of {CHUNK}, best of {repeat}");

    let chacha_one = best_of(repeat, || {
        let mut buf = vec![0.0f64; CHUNK];
        for c in 0..chunks {
            let mut g = rng::stream(42, c as u64);
            for v in buf.iter_mut() {
                *v = StandardNormal.sample(&mut g);
            }
            black_box(&buf);
        }
    });
    let ars_one = best_of(repeat, || {
        let mut buf = vec![0.0f64; CHUNK];
        let s = Normals::new(42, 0);
        for c in 0..chunks {
            s.fill((c * CHUNK) as u64, &mut buf);
            black_box(&buf);
        }
    });
    let blocks = |round: ars::AesRound, n: usize| {
        best_of(repeat, || {
            let mut acc = 0u64;
            for b in 0..(n / 2 / ars::LANES) as u64 {
                let first = b * ars::LANES as u64;
                let w = black_box(ars::blocks_at_with(
                    round,
                    std::array::from_fn(|l| first + l as u64),
                    0,
                    12,
                ));
                acc ^= w[3];
            }
            black_box(acc);
        })
    };
    let blocks_one = blocks(ars::AesRound::of_this_cpu(), n);
    // The table round (CPUs without AES instructions) on a tenth as many blocks.
    let tables_one = blocks(ars::AesRound::Tables, n / 10);
    // One buffer for every parallel timing, written once before: allocating and
    // page-faulting n values inside the timing measured the kernel, not the generator.
    let mut buf = vec![1.0f64; n];
    let mut par = |ars: bool| {
        best_of(repeat, || {
            let s = Normals::new(42, 0);
            buf.par_chunks_mut(CHUNK).enumerate().for_each(|(c, b)| {
                if ars {
                    s.fill((c * CHUNK) as u64, b);
                } else {
                    let mut g = rng::stream(42, c as u64);
                    for v in b.iter_mut() {
                        *v = StandardNormal.sample(&mut g);
                    }
                }
            });
            black_box(&buf);
        })
    };
    let (chacha_par, ars_par) = (par(false), par(true));
    let nf = n as f64;
    let line = |what: &str, (wall, cpu): (f64, f64)| {
        println!(
            "{what:34} {:>10.3e} normals/s wall, {:>6.2} ns CPU per normal ({:.3} s wall, {:.3} s CPU)",
            nf / wall,
            1e9 * cpu / nf,
            wall,
            cpu
        );
    };
    line("ChaCha8 + ziggurat, 1 thread", chacha_one);
    line("ARS-7 + ziggurat, 1 thread", ars_one);
    line(
        &format!("ChaCha8 + ziggurat, {threads} threads"),
        chacha_par,
    );
    line(&format!("ARS-7 + ziggurat, {threads} threads"), ars_par);
    println!(
        "ARS-7 blocks only (portable path, {:?}): {:.2} ns CPU per 128-bit block",
        ars::AesRound::of_this_cpu(),
        1e9 * blocks_one.1 / (nf / 2.0)
    );
    println!(
        "ARS-7 blocks only (portable path, Tables: CPUs without AES instructions): {:.2} ns CPU per 128-bit block",
        1e9 * tables_one.1 / (nf / 20.0)
    );
    println!(
        "ARS-7 + ziggurat / ChaCha8 + ziggurat: {:.2}x in CPU time per normal (1 thread), {:.2}x in wall clock ({threads} threads)",
        chacha_one.1 / ars_one.1,
        chacha_par.0 / ars_par.0
    );
    println!(
        "load average: {}",
        std::fs::read_to_string("/proc/loadavg")
            .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    );
}

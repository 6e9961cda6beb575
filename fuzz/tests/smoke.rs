//! A short, deterministic fuzz run that needs no AFL (part of the test suite and CI):
//! every seed, every file under `regressions/`, and a few thousand mutations of each seed
//! through every target. The coverage-guided campaigns (docs/fuzzing.md) go much further.

use std::path::Path;

type Target = fn(&[u8]);

const TARGETS: [(&str, Target); 7] = [
    ("scenario", counterweight_fuzz::scenario),
    ("timeline", counterweight_fuzz::timeline),
    ("measure", counterweight_fuzz::measure),
    ("vary", counterweight_fuzz::vary),
    ("chart", counterweight_fuzz::chart),
    ("chart_png", counterweight_fuzz::chart_png),
    ("run", counterweight_fuzz::run),
];

fn files(dir: &Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        let mut paths: Vec<_> = rd.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            if p.is_file() {
                out.push(std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// xorshift64*: a fixed, dependency-free stream of mutations.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TOKENS: &[&[u8]] = &[
    b"\n",
    b"\r\n",
    b"=",
    b"\"",
    b"[",
    b"]",
    b"{",
    b"}",
    b",",
    b":",
    b".",
    b"-",
    b"%",
    b"e308",
    b"5e-324",
    b"1e-20",
    b"nan",
    b"inf",
    b"-1",
    b"0",
    b"18446744073709551615",
    b"9223372036854775807",
    b"213503982334601d",
    b"[[step]]\n",
    b"[[actors]]\n",
    b"\xff",
    b"\t",
    b"d",
    b"h",
    b"s",
];

fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(v.len() + 1);
        match rng.below(5) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                v.splice(at..at, t.iter().copied());
            }
            2 if !v.is_empty() => {
                let end = (at + 1 + rng.below(16)).min(v.len());
                v.drain(at.min(end)..end);
            }
            3 if !v.is_empty() => {
                let a = rng.below(v.len());
                let b = (a + 1 + rng.below(32)).min(v.len());
                let chunk: Vec<u8> = v[a..b].to_vec();
                v.splice(at..at, chunk);
            }
            _ => v.truncate(at),
        }
    }
    v
}

#[test]
fn smoke_fuzz_every_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let iterations: usize = std::env::var("FUZZ_SMOKE_ITERATIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    for (name, target) in TARGETS {
        // `chart_png` draws `chart`'s inputs through the files (SVG and PNG)
        let seeds = files(&root.join("seeds").join(name.trim_end_matches("_png")));
        assert!(!seeds.is_empty(), "no seeds for {name}");
        for r in files(&root.join("regressions").join(name)) {
            target(&r);
        }
        // `run` runs a simulation per input and `chart_png` draws and encodes PNGs
        // (milliseconds, not microseconds): a twentieth (a fiftieth) of the mutations keeps
        // the smoke run in seconds.
        let n = match name {
            "run" => iterations / 20,
            "chart_png" => iterations / 50,
            _ => iterations,
        };
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ name.len() as u64);
        for s in &seeds {
            target(s);
            for _ in 0..n {
                target(&mutate(s, &mut rng));
            }
        }
    }
}

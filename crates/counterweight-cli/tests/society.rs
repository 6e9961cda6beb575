//! The society models through the binary: `counterweight sweep` over the bounded-confidence
//! threshold ε of the opinion model reproduces the ⌊1/(2ε)⌋ cluster count and consensus,
//! identically on 1 and 2 threads; `run` of the embedded examples.

use std::path::Path;

use assert_cmd::Command;

fn bin() -> Command {
    Command::cargo_bin("counterweight").unwrap()
}

const OPINION: &str = r#"
name = "epsilon"
model = "opinion"
seed = 2
time = { end = 300.0, dt = 1.0 }

[opinion]
rule = "deffuant"
confidence = 0.2
convergence = 0.5

[[actors]]
group = "people"
count = 1000
initial = { uniform = { low = 0.0, high = 1.0 } }

[output]
every = 300
"#;

/// `major_clusters` of every run, per value of `opinion.confidence`, from `results.csv`.
fn major_clusters(out: &Path) -> Vec<(f64, Vec<f64>)> {
    let text = std::fs::read_to_string(out.join("results.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (eps, major, status) = (
        col("opinion.confidence"),
        col("major_clusters"),
        col("status"),
    );
    let mut by: Vec<(f64, Vec<f64>)> = Vec::new();
    for l in lines {
        let f: Vec<&str> = l.split(',').collect();
        assert_eq!(f[status], "ok", "{l}");
        let e: f64 = f[eps].parse().unwrap();
        let m: f64 = f[major].parse().unwrap();
        match by.iter_mut().find(|(x, _)| *x == e) {
            Some((_, v)) => v.push(m),
            None => by.push((e, vec![m])),
        }
    }
    by
}

#[test]
fn sweep_over_confidence_gives_one_over_two_epsilon_clusters() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("opinion.toml");
    std::fs::write(&sc, OPINION).unwrap();
    let mut outs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("sweep{threads}"));
        bin()
            .args([
                "sweep",
                sc.to_str().unwrap(),
                "--quiet",
                "--threads",
                threads,
            ])
            .arg("--out")
            .arg(&out)
            .args(["--vary", "opinion.confidence=0.1,0.4", "--replicates", "8"])
            .assert()
            .success();
        outs.push(out);
    }
    for f in ["results.csv", "summary.csv"] {
        assert!(
            std::fs::read(outs[0].join(f)).unwrap() == std::fs::read(outs[1].join(f)).unwrap(),
            "{f} differs between 1 and 2 threads"
        );
    }
    let by = major_clusters(&outs[0]);
    assert_eq!(by.len(), 2);
    // ε = 0.4, well above the ≈0.27 consensus threshold: one major cluster in every run.
    let (_, wide) = &by[1];
    assert!(wide.iter().all(|&m| m == 1.0), "ε = 0.4: {wide:?}");
    // ε = 0.1: ⌊1/(2ε)⌋ = 5 major clusters, with the rule's own accuracy of one cluster
    // (the rate equations give 1/(2.155ε) ≈ 4.6) plus 4 standard errors of the mean over
    // the 8 replicates (SE = sample SD/√8).
    let (_, narrow) = &by[0];
    let r = narrow.len() as f64;
    let mean = narrow.iter().sum::<f64>() / r;
    let sd = (narrow.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / (r - 1.0)).sqrt();
    let tol = 1.0 + 4.0 * sd / r.sqrt();
    assert!(
        (mean - 5.0).abs() <= tol,
        "ε = 0.1: mean {mean} major clusters, expected 5 ± {tol} ({narrow:?})"
    );
}

#[test]
fn society_examples_run_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    for (name, expect) in [
        ("civil-society", "major_clusters"),
        ("three-forces", "checks_hold"),
        ("fragile-world", "survival"),
    ] {
        let out = dir.path().join(name);
        let assert = bin()
            .args(["run", name, "--out"])
            .arg(&out)
            .assert()
            .success();
        let stdout = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
        assert!(stdout.contains(expect), "{name}: {stdout}");
        for f in ["metrics.csv", "report.html"] {
            assert!(out.join(f).exists(), "{name}: {f}");
        }
    }
}

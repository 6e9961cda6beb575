//! The society models (opinion, d/acc, checks) through the registry path: scenario text ->
//! `scenario::parse` -> `runner::run_experiment` -> recorded columns, compared with closed
//! forms and phase boundaries. Run with `cargo test --release -p counterweight --test integration society_registry`.
//!
//! Tolerance policy (shared/reference/validation.md): rounding bounds for exact
//! identities; at least ±4 standard errors of the statistic plus the known approximation
//! error of the target for Monte Carlo.

use counterweight::model::checks::ChecksSetup;
use counterweight::model::dacc::DaccParams;
use counterweight::runner::{self, RunOptions};
use counterweight::scenario;
use counterweight::table::Table;

fn run(text: &str) -> Vec<(String, Table)> {
    let exp = scenario::parse(text, "test", None, &[]).unwrap_or_else(|e| panic!("{e}"));
    let out = runner::run_experiment(&exp, &RunOptions::default()).unwrap();
    out.variants
        .into_iter()
        .map(|(l, o)| (l, o.metrics))
        .collect()
}

fn col(t: &Table, name: &str) -> Vec<f64> {
    t.f64_column(name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

/// The values of `name` at the last recorded step of every replicate.
fn finals(t: &Table, name: &str) -> Vec<f64> {
    let (step, v) = (col(t, "step"), col(t, name));
    let last = step.iter().copied().fold(0.0, f64::max);
    step.iter()
        .zip(&v)
        .filter(|(s, _)| **s == last)
        .map(|(_, x)| *x)
        .collect()
}

fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    (
        m,
        (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt(),
    )
}

fn opinion(rule: &str, eps: f64, n: usize, steps: u64, replicates: u32) -> String {
    format!(
        r#"
name = "opinion"
model = "opinion"
seed = 21
replicates = {replicates}
time = {{ end = {steps}.0, dt = 1.0 }}
[opinion]
rule = "{rule}"
confidence = {eps}
[[actors]]
group = "people"
count = {n}
initial = {{ uniform = {{ low = 0.0, high = 1.0 }} }}
"#
    )
}

#[test]
fn deffuant_through_the_registry_consensus_clusters_and_exact_mean() {
    // ε = 0.4, well above the ≈0.27 threshold (Lorenz 2007): one major cluster in every
    // replicate.
    let t = &run(&opinion("deffuant", 0.4, 1000, 300, 6))[0].1;
    let major = finals(t, "major_clusters");
    assert!(major.iter().all(|&m| m == 1.0), "ε = 0.4: {major:?}");
    // ε = 0.15: ⌊1/(2ε)⌋ = 3 major clusters, ± one cluster (the rule's own accuracy,
    // 1/(2.155ε) = 3.1 from the rate equations) + 4 SE of the mean over 10 replicates.
    let t = &run(&opinion("deffuant", 0.15, 1000, 300, 10))[0].1;
    let major = finals(t, "major_clusters");
    let (m, sd) = mean_sd(&major);
    let tol = 1.0 + 4.0 * sd / (major.len() as f64).sqrt();
    assert!((m - 3.0).abs() <= tol, "ε = 0.15: {m} ± {tol} ({major:?})");
    // The mean opinion is conserved: a meeting changes the sum by two roundings
    // (<= 2⁻⁵² for opinions in [0, 1]), N meetings per step, 300 steps: |Δ sum| <=
    // 300·1000·2⁻⁵² = 6.7e-11; the recorded mean is a plain sum of N values <= 1 (error
    // <= (N − 1)·2⁻⁵³·N = 1.1e-10) divided by N, twice: |Δ mean| <= 3e-13.
    let (rep, mean) = (col(t, "replicate"), col(t, "mean_opinion"));
    for r in 0..10 {
        let v: Vec<f64> = rep
            .iter()
            .zip(&mean)
            .filter(|(x, _)| **x == r as f64)
            .map(|(_, m)| *m)
            .collect();
        let drift = v.iter().map(|m| (m - v[0]).abs()).fold(0.0, f64::max);
        assert!(drift <= 3e-13, "replicate {r}: mean drifted by {drift}");
    }
}

#[test]
fn hegselmann_krause_through_the_registry_converges_to_consensus() {
    // Above the HK consensus threshold (≈0.2 for large N; Fortunato 2005) on the complete
    // graph: a fixed point (`converged` = 1) with one cluster holding everyone, within 100
    // steps (HK on uniform opinions settles in a few dozen).
    let t = &run(&opinion("hk", 0.3, 500, 100, 4))[0].1;
    assert!(finals(t, "converged").iter().all(|&c| c == 1.0));
    assert!(finals(t, "clusters").iter().all(|&c| c == 1.0));
    assert!(finals(t, "largest_cluster_share").iter().all(|&s| s == 1.0));
}

#[test]
fn opinion_on_networks_and_located_errors() {
    let base = opinion("deffuant", 0.3, 200, 50, 2);
    // Every generator runs through the scenario.
    for net in [
        "kind = \"ring\"\nk = 4",
        "kind = \"erdos_renyi\"\nmean_degree = 6.0",
        "kind = \"barabasi_albert\"\nm = 3",
        "kind = \"watts_strogatz\"\nk = 6\nrewire = 0.1\nseed = 9",
        "kind = \"sbm\"\nblocks = [100, 100]\np_in = 0.1\np_out = 0.01",
    ] {
        let t = &run(&format!("{base}[network]\n{net}\n"))[0].1;
        assert_eq!(finals(t, "clusters").len(), 2, "{net}");
    }
    // Located errors.
    let bad = |net: &str, field: &str| {
        let e =
            scenario::parse(&format!("{base}[network]\n{net}\n"), "t", None, &[]).expect_err(net);
        assert_eq!(e.field.as_deref(), Some(field), "{net}: {e}");
        e.to_string()
    };
    bad("kind = \"ring\"\nk = 3", "network.k");
    bad("kind = \"ring\"\nmean_degree = 3.0", "network.mean_degree");
    bad("kind = \"star\"", "network.kind");
    bad(
        "kind = \"sbm\"\nblocks = [100, 50]\np_in = 0.1\np_out = 0.0",
        "network.blocks",
    );
    let dir = tempfile::tempdir().unwrap();
    for (csv, at) in [
        ("source,target\n0,1\n1,200\n", "edges.csv:3:"),
        ("source,target\n0,1\n5,5\n", "edges.csv:3:"),
        ("source,target,weight\n0,1,1.0\n1,2,-2.0\n", "edges.csv:3:"),
    ] {
        std::fs::write(dir.path().join("edges.csv"), csv).unwrap();
        let text = format!("{base}[network]\nkind = \"edges\"\nfile = \"edges.csv\"\n");
        let e = scenario::parse(&text, "t", Some(dir.path()), &[]).expect_err(csv);
        assert_eq!(e.field.as_deref(), Some("network.file"), "{e}");
        assert!(e.to_string().contains(at), "{csv}: {e}");
    }
    // Opinions outside [0, 1] are rejected where they are given.
    let text = base.replace("uniform = { low = 0.0, high = 1.0 }", "constant = 2.0");
    let e = scenario::parse(&text, "t", None, &[]).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("actors[0].initial"), "{e}");
}

const DACC: &str = r#"
name = "dacc"
model = "dacc"
seed = 4
replicates = 2000
time = { end = 50.0, dt = 0.5 }
[dacc]
defence = [1.0, 2.0, 0.5, 1.5, 1.0, 3.0, 0.2, 1.0]
attempt_rate = 0.02
decisiveness = 1.5
diffusion = 0.3
offence_growth = 0.02
defence_growth = 0.01
[[actors]]
group = "states"
count = 8
initial = { values = [1.0, 0.5, 2.0, 1.0, 0.1, 1.0, 0.7, 1.2] }
"#;

#[test]
fn dacc_survival_matches_the_closed_form_and_monte_carlo() {
    let t = &run(DACC)[0].1;
    let exp = scenario::parse(DACC, "t", None, &[]).unwrap();
    let sc = &exp.variants[0].scenario;
    let mut p: DaccParams = sc
        .model
        .get::<counterweight::model::dacc::DaccSetup>()
        .unwrap()
        .params
        .clone();
    p.offence = vec![1.0, 0.5, 2.0, 1.0, 0.1, 1.0, 0.7, 1.2];
    let (step, surv) = (col(t, "step"), col(t, "survival"));
    // The recorded exp(−Σ dt h) and the product Π(1 − p_i) agree to rounding: 100 steps ×
    // 8 factors, each with relative error ~2⁻⁵²: 1e-12 relative is ample.
    for (k, s) in step.iter().zip(&surv).take(101) {
        let closed = p.survival_product(*k as u64, sc.time.dt);
        assert!(
            (s - closed).abs() <= 1e-12 * closed,
            "step {k}: {s} vs {closed}"
        );
    }
    // Monte Carlo: the share of the 2000 replicates with no catastrophe (`alive`) is a
    // binomial proportion with mean S(T): within 4 SE = 4·sqrt(S(1 − S)/R).
    let s_t = p.survival_product(sc.time.steps, sc.time.dt);
    assert!(s_t > 0.1 && s_t < 0.9, "an informative S(T): {s_t}");
    let alive = finals(t, "alive");
    let r = alive.len() as f64;
    let share = alive.iter().sum::<f64>() / r;
    let se = (s_t * (1.0 - s_t) / r).sqrt();
    assert!(
        (share - s_t).abs() <= 4.0 * se,
        "alive share {share} vs S(T) = {s_t} ± {}",
        4.0 * se
    );
}

const CHECKS: &str = r#"
name = "checks"
model = "checks"
time = { end = 80.0, dt = 0.01 }
[checks]
matrix = [[-1.0, -0.3, -0.3], [-0.3, -1.0, -0.3], [-0.3, -0.3, -1.0]]
[[checks.forces]]
name = "state"
power = 0.5
growth = 1.0
[[checks.forces]]
name = "business"
power = 0.8
growth = 1.0
[[checks.forces]]
name = "civic"
power = 0.3
growth = 1.0
"#;

#[test]
fn checks_balance_and_stability_match_the_linearisation() {
    // β = 1 (Lotka–Volterra): x* = −C⁻¹a = 1/(1 + 0.6) = 0.625 for every force; J =
    // diag(x*) C has eigenvalues 0.625·(−1.6) and 0.625·(−0.7) (twice): stable. The step
    // map's fixed point is x* exactly (F(x*) = 0), and deviations shrink at least as
    // exp(−0.4375 t): after t = 80, ~1e-15 of the start; tolerance 1e-9.
    let out = run(CHECKS);
    let t = &out[0].1;
    for f in ["state", "business", "civic"] {
        let s = finals(t, &format!("share.{f}"))[0];
        assert!((s - 1.0 / 3.0).abs() < 1e-9, "{f}: share {s}");
    }
    assert!(col(t, "checks_hold").iter().all(|&h| h == 1.0));
    let exp = scenario::parse(CHECKS, "t", None, &[]).unwrap();
    let setup = exp.variants[0].scenario.model.get::<ChecksSetup>().unwrap();
    let c = setup.params.checks_at(0.0);
    let x = setup.params.fixed_point(&c, &[1.0, 1.0, 1.0]).unwrap();
    assert!(x.iter().all(|v| (v - 0.625).abs() < 1e-12), "{x:?}");
    // A saddle: mutual restraint stronger than self-limitation (C_gh = −2, C_gg = −1).
    // x* = 1/3 each exists, but J has the eigenvalue (1/3)(−1 + 2) = 1/3 > 0: unstable,
    // and the simulation leaves the balance (competitive exclusion: one force takes all).
    let saddle = CHECKS
        .replace(
            "[[-1.0, -0.3, -0.3], [-0.3, -1.0, -0.3], [-0.3, -0.3, -1.0]]",
            "[[-1.0, -2.0], [-2.0, -1.0]]",
        )
        .replace(
            "[[checks.forces]]\nname = \"civic\"\npower = 0.3\ngrowth = 1.0\n",
            "",
        );
    let t = &run(&saddle)[0].1;
    assert!(col(t, "checks_hold").iter().all(|&h| h == 0.0));
    assert!(finals(t, "top1_share")[0] > 1.0 - 1e-6);
    // A merger (state and business feed each other from t = 30): no positive balance
    // remains; civil society's growth rate at the merged bloc's point (x = 2.5 each) is
    // 1 − 0.3·5 = −0.5, so its share decays like exp(−0.5 t): < 1e-6 by t = 80.
    let merger = format!(
        "{CHECKS}\n[[policy]]\nkind = \"check\"\nforce = \"state\"\nby = \"business\"\nvalue = 0.6\nfrom = 30.0\n\
         [[policy]]\nkind = \"check\"\nforce = \"business\"\nby = \"state\"\nvalue = 0.6\nfrom = 30.0\n"
    );
    let t = &run(&merger)[0].1;
    assert!(finals(t, "share.civic")[0] < 1e-6);
    assert_eq!(finals(t, "checks_hold")[0], 0.0);
    let e = scenario::parse(
        &format!("{CHECKS}\n[[policy]]\nkind = \"check\"\nforce = \"church\"\nby = \"state\"\nvalue = 1.0\n"),
        "t",
        None,
        &[],
    )
    .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("policy[0].force"), "{e}");
}

fn growth_on(network: &str) -> String {
    format!(
        r#"
name = "spill"
seed = 8
time = {{ end = 0.1, dt = 0.1 }}
[growth]
spillover = 0.5
[[actors]]
group = "leader"
initial = {{ values = [10.0] }}
openness = 1.0
[[actors]]
group = "laggards"
count = 99
initial = {{ constant = 1.0 }}
openness = 1.0
{network}
"#
    )
}

fn final_values(text: &str) -> Vec<f64> {
    let exp = scenario::parse(text, "t", None, &[]).unwrap_or_else(|e| panic!("{e}"));
    let out = runner::run_experiment(&exp, &RunOptions::default()).unwrap();
    out.variants[0].1.final_values[0].clone()
}

#[test]
fn growth_network_spillover_complete_equals_mean_field_and_ring_pulls_neighbours() {
    // One step of spillover only (dt·D = 0.05): R_i += dt·D·S_i. Mean field (no
    // [network]): every laggard gets S = (1/N)·9 = 0.09. The complete graph through
    // `[network]`: the same, up to summation order (a few ulps; 1e-13 relative).
    let mean_field = final_values(&growth_on(""));
    let complete = final_values(&growth_on("[network]\nkind = \"complete\""));
    for (a, b) in mean_field.iter().zip(&complete) {
        assert!((a - b).abs() <= 1e-13 * a, "{a} vs {b}");
    }
    assert!((mean_field[5] - (1.0 + 0.05 * 0.09)).abs() <= 1e-13);
    // A ring (k = 2): the leader's two neighbours (actors 1 and 99) average the gap 9 over
    // their closed neighbourhood of 3: S = 3, a pull 33 times the mean field's; the others
    // see no one ahead and stay at 1. The leader never loses (spillover is non-rival).
    let ring = final_values(&growth_on("[network]\nkind = \"ring\"\nk = 2"));
    for i in [1, 99] {
        assert!((ring[i] - 1.15).abs() <= 1e-13, "actor {i}: {}", ring[i]);
    }
    assert!(ring[2..99].iter().all(|&r| r == 1.0));
    assert_eq!(ring[0], 10.0);
}

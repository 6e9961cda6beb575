//! `[network]` in the interaction models (issue 13, item 1): every model that reads
//! `[network]` declares its parameters; the exchange model trades only along edges, with
//! the complete graph reproducing the mean field, a known stationary law on a ring, and
//! every component's wealth conserved when the graph is cut in two.
//!
//! Run with `cargo test --release -p counterweight --test integration network_models`.

use counterweight::model;
use counterweight::network::measure::components;
use counterweight::runner::{self, RunOptions};
use counterweight::scenario::{self, Experiment, Scenario};
use counterweight::setup::replicate_seed;

fn parse(text: &str) -> Experiment {
    scenario::parse(text, "test.toml", None, &[]).unwrap_or_else(|e| panic!("{e}"))
}

fn scenario_of(text: &str) -> Scenario {
    parse(text).variants.remove(0).scenario
}

/// The metrics table of a scenario run through the runner, as text (for bit-for-bit
/// comparisons).
fn table_of(text: &str) -> String {
    format!(
        "{:?}",
        runner::run_experiment(&parse(text), &RunOptions::default())
            .unwrap()
            .metrics_table()
    )
}

/// Replicate `rep` of `sc` run to its end: the actors' final values.
fn final_values(sc: &Scenario, rep: u32) -> Vec<f64> {
    let mut mdl = model::build(sc, rep);
    for s in 1..=sc.time.steps {
        mdl.step(s, (s - 1) as f64 * sc.time.dt).unwrap();
    }
    mdl.values().to_vec()
}

/// Every model that owns `[network]` declares all of its parameters.
#[test]
fn models_that_read_network_declare_its_params() {
    let want: Vec<&str> = counterweight::network::section::params()
        .iter()
        .map(|p| p.path)
        .collect();
    let mut readers = Vec::new();
    for m in model::builtin().models() {
        if !m.keys().contains(&"network") {
            continue;
        }
        readers.push(m.name());
        let have: Vec<&str> = m.params().iter().map(|p| p.path).collect();
        for p in &want {
            assert!(
                have.contains(p),
                "model {} reads [network] but does not declare {p}",
                m.name()
            );
        }
    }
    for name in ["growth", "opinion", "exchange", "adoption", "dacc"] {
        assert!(
            readers.contains(&name),
            "{name} should read [network]: {readers:?}"
        );
    }
}

const YARD_SALE: &str = r#"
name = "yard-sale"
model = "exchange"
seed = 5
time = { end = 20.0, dt = 0.1 }
replicates = 3

[exchange]
stake_rate = 1.0
advantage = 0.05
redistribution = 0.1

[[actors]]
group = "all"
count = 101
initial = { uniform = { low = 0.5, high = 1.5 } }
"#;

/// `kind = "complete"` is the mean field: the same table bit for bit.
#[test]
fn complete_network_is_the_mean_field_bit_for_bit() {
    let plain = table_of(YARD_SALE);
    let complete = table_of(&format!("{YARD_SALE}\n[network]\nkind = \"complete\"\n"));
    assert_eq!(plain, complete);
    // A sparse graph changes the run (the test can fail).
    let ring = table_of(&format!("{YARD_SALE}\n[network]\nkind = \"ring\"\nk = 2\n"));
    assert_ne!(plain, ring);
}

/// `fixed_amount` with amount 1, N actors holding M units in all: on any connected graph
/// the chain is symmetric, so its stationary law is uniform over the C(M+N−1, N−1)
/// compositions of M. Then Z, the number of actors with nothing, has
/// E[Z] = N·p0 and Var Z = N·p0 + N(N−1)·p00 − (N·p0)², with
/// p0 = C(M+N−2, N−2)/C(M+N−1, N−1) and p00 = C(M+N−3, N−3)/C(M+N−1, N−1). The mean of
/// Z over R independent replicates must lie within 3.89 standard errors (two-sided 99.99%)
/// of E[Z], on a ring, on the complete graph run as a sparse graph (Erdős–Rényi with
/// p = 1) and on the mean field.
#[test]
fn fixed_amount_reaches_the_uniform_law_on_a_ring_and_on_the_complete_graph() {
    let (n, units) = (20usize, 3.0);
    let m = n as f64 * units;
    // ln C(a, b)
    let lnc = |a: f64, b: f64| {
        statrs::function::gamma::ln_gamma(a + 1.0)
            - statrs::function::gamma::ln_gamma(b + 1.0)
            - statrs::function::gamma::ln_gamma(a - b + 1.0)
    };
    let nf = n as f64;
    let all = lnc(m + nf - 1.0, nf - 1.0);
    let p0 = (lnc(m + nf - 2.0, nf - 2.0) - all).exp();
    let p00 = (lnc(m + nf - 3.0, nf - 3.0) - all).exp();
    let ez = nf * p0;
    let var_z = nf * p0 + nf * (nf - 1.0) * p00 - ez * ez;
    let r = 600u32;
    let base = format!(
        r#"
name = "fixed"
model = "exchange"
seed = 17
time = {{ end = 3000.0, dt = 1.0 }}
replicates = {r}

[exchange]
rule = "fixed_amount"
amount = 1.0

[[actors]]
group = "all"
count = {n}
initial = {{ constant = {units} }}
"#
    );
    for (label, net) in [
        ("ring", "[network]\nkind = \"ring\"\nk = 2\n".to_string()),
        (
            "complete graph as a sparse graph",
            format!(
                "[network]\nkind = \"erdos_renyi\"\nmean_degree = {}\n",
                n - 1
            ),
        ),
        ("mean field", String::new()),
    ] {
        let sc = scenario_of(&format!("{base}\n{net}"));
        let mut zeros = Vec::new();
        for rep in 0..r {
            let v = final_values(&sc, rep);
            assert_eq!(v.iter().sum::<f64>(), m, "{label}: the total moved");
            zeros.push(v.iter().filter(|&&x| x == 0.0).count() as f64);
        }
        let mean = zeros.iter().sum::<f64>() / r as f64;
        let se = (var_z / r as f64).sqrt();
        println!(
            "{label}: mean actors with nothing {mean:.3}, uniform law {ez:.3} (SE {se:.3}, z = {:.2})",
            (mean - ez) / se
        );
        assert!(
            (mean - ez).abs() <= 3.89 * se,
            "{label}: {mean} vs {ez} ± {se}"
        );
    }
}

/// Two components (a stochastic block model with p_out = 0): wealth never crosses, so
/// each component's total is what it started with, every step, for every rule; on the
/// complete graph the same halves do exchange.
#[test]
fn disconnected_components_never_exchange_wealth() {
    let text = |rule: &str, net: &str| {
        format!(
            r#"
name = "split"
model = "exchange"
seed = 23
time = {{ end = 30.0, dt = 0.1 }}
replicates = 2

[exchange]
{rule}

[[actors]]
group = "poor"
count = 30
initial = {{ constant = 1 }}

[[actors]]
group = "rich"
count = 30
initial = {{ constant = 5 }}

{net}
"#
        )
    };
    let split = "[network]\nkind = \"sbm\"\nblocks = [30, 30]\np_in = 0.3\np_out = 0.0\n";
    for (rule, exact) in [
        ("rule = \"boltzmann\"", true),
        ("rule = \"fixed_amount\"\namount = 1.0", true),
        ("stake_rate = 1.0", false),
    ] {
        let sc = scenario_of(&text(rule, split));
        let setup = sc
            .model
            .get::<counterweight::model::exchange::ExchangeSetup>()
            .expect("an exchange setup");
        for rep in 0..sc.replicates {
            let graph = setup.network.network_for(60, replicate_seed(sc.seed, rep));
            let comp = components(&graph);
            assert!(comp.count() >= 2);
            let sums = |v: &[f64]| {
                let mut s = vec![0.0; comp.count()];
                for (i, x) in v.iter().enumerate() {
                    s[comp.labels[i] as usize] += x;
                }
                s
            };
            let mut mdl = model::build(&sc, rep);
            let start = sums(mdl.values());
            let first: Vec<f64> = mdl.values().to_vec();
            for s in 1..=sc.time.steps {
                mdl.step(s, (s - 1) as f64 * 0.1).unwrap();
                for (a, b) in sums(mdl.values()).iter().zip(&start) {
                    if exact {
                        assert_eq!(a, b, "{rule}: a component's total changed at step {s}");
                    } else {
                        assert!((a - b).abs() <= 1e-9 * b, "{rule}: {a} vs {b} at step {s}");
                    }
                }
            }
            assert_ne!(
                mdl.values(),
                &first[..],
                "{rule}: nothing traded inside the components"
            );
        }
        // On the complete graph the poor half gains from the rich half.
        let sc = scenario_of(&text(rule, ""));
        let poor: f64 = final_values(&sc, 0)[..30].iter().sum();
        assert!(poor != 30.0, "{rule}: the mean field moved nothing across");
    }
}

/// A weighted edge list is refused with a located error by the exchange and adoption
/// models (they do not use weights); the same list without weights is accepted.
#[test]
fn weighted_edges_are_refused_by_the_exchange_model() {
    let dir = std::env::temp_dir().join(format!("cw-net-models-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("e.csv"),
        "source,target,weight\n0,1,2.0\n1,2,1.0\n",
    )
    .unwrap();
    let text = r#"
name = "w"
model = "exchange"
time = { end = 1.0, dt = 0.1 }

[exchange]
stake_rate = 1.0

[[actors]]
group = "all"
count = 3
initial = { constant = 1 }

[network]
kind = "edges"
file = "e.csv"
"#;
    let e = scenario::parse(text, "w.toml", Some(&dir), &[]).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("network.file") && msg.contains("weight"),
        "{msg}"
    );
    let adoption = r#"
name = "w"
model = "adoption"
time = { end = 1.0, dt = 1.0 }

[adoption]
platforms = 3
adopters = 10

[network]
kind = "edges"
file = "e.csv"
"#;
    let e = scenario::parse(adoption, "w.toml", Some(&dir), &[]).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("network.file") && msg.contains("adoption model"),
        "{msg}"
    );
    // The same list without weights is accepted.
    std::fs::write(dir.join("e.csv"), "source,target\n0,1\n1,2\n").unwrap();
    scenario::parse(adoption, "w.toml", Some(&dir), &[]).unwrap();
    scenario::parse(text, "w.toml", Some(&dir), &[]).unwrap();
}

const LOCK_IN: &str = r#"
name = "urn"
model = "adoption"
seed = 31
time = { end = 50.0, dt = 1.0 }
replicates = 3

[adoption]
platforms = 4
gamma = 1.5
interoperability = 0.3
adopters = 500
switching = 0.01
"#;

/// Adoption: `kind = "complete"` is the mean-field urn bit for bit; a ring changes it.
#[test]
fn adoption_on_the_complete_network_is_the_mean_field_bit_for_bit() {
    let plain = table_of(LOCK_IN);
    assert_eq!(
        plain,
        table_of(&format!("{LOCK_IN}\n[network]\nkind = \"complete\"\n"))
    );
    assert_ne!(
        plain,
        table_of(&format!("{LOCK_IN}\n[network]\nkind = \"ring\"\n"))
    );
}

/// Adoption with interoperability along edges, on two disconnected components of two
/// platforms each (a block model with p_in = 1, p_out = 0), γ = 1, θ = 1, one adopter
/// each at the start: every platform of component c weighs S_c, so the components'
/// arrivals follow Pólya's urn from (2, 2): X, component 0's share of A arrivals, is
/// beta-binomial(A; 2, 2) with mean A/2 and variance A(A + 4)/20; inside a component each
/// arrival is a fair coin, so platform 0's gain Y given X is Binomial(X, 1/2). On the
/// complete graph (θ = 1) every platform weighs the same: Var X = A/4 instead.
/// Tolerances: the mean of X within 3.89 SE; the sample variance within 3.89 of its
/// relative standard error sqrt((κ − 1)/R), κ the kurtosis of the limit Beta(2, 2)
/// (3 − 6/7), inflated by 1.1 for the finite A; Y − X/2 has mean 0 within 3.89 SE.
#[test]
fn adoption_interoperates_only_inside_components() {
    let (a, r) = (200.0, 2000u32);
    let text = |net: &str| {
        format!(
            r#"
name = "blocs"
model = "adoption"
seed = 41
time = {{ end = 200.0, dt = 1.0 }}
replicates = {r}

[adoption]
platforms = 4
gamma = 1.0
interoperability = 1.0
adopters = {a}

{net}
"#
        )
    };
    let sample = |sc: &Scenario| {
        (0..sc.replicates)
            .map(|rep| {
                let v = final_values(sc, rep);
                assert_eq!(v.iter().sum::<f64>(), a + 4.0);
                (v[0] + v[1] - 2.0, v[0] - 1.0)
            })
            .collect::<Vec<_>>()
    };
    let stats = |xs: &[f64]| {
        let n = xs.len() as f64;
        let m = xs.iter().sum::<f64>() / n;
        (
            m,
            xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0),
        )
    };
    let rf = r as f64;
    let sc = scenario_of(&text(
        "[network]\nkind = \"sbm\"\nblocks = [2, 2]\np_in = 1.0\np_out = 0.0\n",
    ));
    let xy = sample(&sc);
    let x: Vec<f64> = xy.iter().map(|p| p.0).collect();
    let (mx, vx) = stats(&x);
    let var = a * (a + 4.0) / 20.0;
    let kurt = 3.0 - 6.0 / 7.0;
    let rel = 3.89 * 1.1 * ((kurt - 1.0) / rf).sqrt();
    let dev: Vec<f64> = xy.iter().map(|(x, y)| y - x / 2.0).collect();
    let (md, _) = stats(&dev);
    println!(
        "components: mean X {mx:.2} (want {}), var X {vx:.1} (want {var:.1} ± {:.0}%), mean Y − X/2 {md:.3}",
        a / 2.0,
        rel * 100.0
    );
    assert!(
        (mx - a / 2.0).abs() <= 3.89 * (var / rf).sqrt(),
        "mean X {mx}"
    );
    assert!((vx / var - 1.0).abs() <= rel, "var X {vx} vs {var}");
    assert!(
        md.abs() <= 3.89 * (a / 8.0 / rf).sqrt(),
        "mean Y − X/2 = {md}"
    );

    // The mean field with θ = 1: a multinomial split, Var X = A/4.
    let sc = scenario_of(&text("").replace(&format!("replicates = {r}"), "replicates = 400"));
    let x: Vec<f64> = sample(&sc).iter().map(|p| p.0).collect();
    let (_, v_mf) = stats(&x);
    println!("mean field: var X {v_mf:.1} (multinomial {})", a / 4.0);
    assert!(v_mf < 2.0 * a / 4.0, "mean-field var {v_mf}");
}

/// A model without interaction refuses `[network]`, naming every model that reads it.
#[test]
fn network_in_a_model_without_interaction_names_the_readers() {
    let text = r#"
name = "no-net"
model = "staking"
time = { end = 1.0, dt = 1.0 }

[staking]
deposit_rate = 1.0

[[staking.providers]]
name = "A"
validators = 1

[network]
kind = "ring"
"#;
    let e = scenario::parse(text, "n.toml", None, &[]).unwrap_err();
    let msg = format!("{} {:?}", e, e.help);
    assert_eq!(e.field.as_deref(), Some("network"), "{msg}");
    for m in ["growth", "exchange", "adoption", "opinion", "dacc"] {
        assert!(msg.contains(&format!("\"{m}\"")), "{m} missing: {msg}");
    }
}

const FRAGILE: &str = r#"
name = "fragile"
model = "dacc"
seed = 3
time = { end = 20.0, dt = 1.0 }
replicates = 2

[dacc]
attempt_rate = 0.05
decisiveness = 1.5
diffusion = 0.3
defence = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]

[[actors]]
group = "all"
count = 6
initial = { values = [1.0, 2.0, 1.0, 3.0, 1.0, 2.0] }
"#;

/// d/acc on a network: `kind = "complete"` is the mean field bit for bit; on a ring of six
/// the recorded survival is the closed form exp(−T Σ_i h_i) with the hazards recomputed
/// here from the definition (targets = the two neighbours, open defence from the closed
/// neighbourhood), to 1e-12; it differs from the mean field's.
#[test]
fn dacc_on_a_ring_matches_the_closed_form() {
    let plain = table_of(FRAGILE);
    assert_eq!(
        plain,
        table_of(&format!("{FRAGILE}\n[network]\nkind = \"complete\"\n"))
    );
    let survival_at_end = |text: &str| {
        let t = runner::run_experiment(&parse(text), &RunOptions::default())
            .unwrap()
            .metrics_table();
        let (step, s) = (
            t.f64_column("step").unwrap(),
            t.f64_column("survival").unwrap(),
        );
        let ends: Vec<f64> = step
            .iter()
            .zip(&s)
            .filter(|(k, _)| **k == 20.0)
            .map(|(_, v)| *v)
            .collect();
        assert_eq!(ends.len(), 2);
        assert_eq!(
            ends[0], ends[1],
            "survival is a closed form: the same in every replicate"
        );
        ends[0]
    };
    let a: [f64; 6] = [1.0, 2.0, 1.0, 3.0, 1.0, 2.0];
    let d = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let (q, kappa, theta, n) = (0.05, 1.5, 0.3, 6usize);
    let nb = |i: usize| [(i + n - 1) % n, (i + 1) % n];
    let e: Vec<f64> = (0..n)
        .map(|j| (1.0 - theta) * d[j] + theta * (d[j] + nb(j).iter().map(|&k| d[k]).sum::<f64>()))
        .collect();
    let hazard: f64 = (0..n)
        .map(|i| {
            let target = nb(i).iter().map(|&j| e[j]).fold(f64::INFINITY, f64::min);
            q * a[i].powf(kappa) / (a[i].powf(kappa) + target.powf(kappa))
        })
        .sum();
    let want = (-20.0 * hazard).exp();
    let ring = survival_at_end(&format!("{FRAGILE}\n[network]\nkind = \"ring\"\n"));
    let mean_field = survival_at_end(FRAGILE);
    println!(
        "d/acc survival at T = 20: ring {ring:.12} (closed form {want:.12}), mean field {mean_field:.12}"
    );
    assert!((ring / want - 1.0).abs() < 1e-12, "{ring} vs {want}");
    assert!(
        (mean_field - want).abs() > 1e-3,
        "the ring should differ from the mean field"
    );
}

//! The 2023-04-19 staking snapshot (scenarios/data) measured by layer, two ways that must
//! agree: `measure` with a group column on the holdings file (operators → providers), and
//! the staking model built from the entity file under the same operator assumption. Also
//! `measure_grouped_*` on small inputs: sums, exclusions, errors.

use std::path::Path;

use counterweight::measure::{
    MeasureError, MeasureOptions, measure_grouped_csv, measure_grouped_reader,
};
use counterweight::metrics::LayerMetrics;
use counterweight::model::staking::control::Veto;
use counterweight::model::staking::{Staking, StakingParams, snapshot};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios/data/");

fn path(name: &str) -> String {
    format!("{DATA}{name}")
}

/// (entity, ETH deposited) of the entity file, read by hand.
fn rows() -> Vec<(String, f64)> {
    let text = std::fs::read_to_string(path("eth-staking-entities-2023-04-19.csv")).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), f[1].parse().unwrap())
        })
        .collect()
}

/// (entity, validators), validators = round(ETH / 32).
fn entities() -> Vec<(String, u64)> {
    rows()
        .into_iter()
        .map(|(e, eth)| (e, snapshot::validators(eth)))
        .collect()
}

/// The model's providers under the assumption of docs/staking.md (`snapshot`).
fn snapshot_params() -> StakingParams {
    StakingParams::new(snapshot::providers(&rows()))
}

fn opts(exclude: &[&str]) -> MeasureOptions {
    MeasureOptions {
        entity: Some("operator".into()),
        exclude: exclude.iter().map(|s| s.to_string()).collect(),
        ..MeasureOptions::new("validators")
    }
}

/// The holdings file has the entity file's validators per provider, and its layers equal
/// the model's: by group = capability, by entity = consensus (same multisets of stakes).
/// The numbers quoted in docs/staking.md are pinned here.
#[test]
fn snapshot_layers_agree_between_measure_and_model() {
    let g = measure_grouped_csv(
        Path::new(&path("eth-staking-operators-2023-04-19.csv")),
        &opts(&[]),
        "provider",
    )
    .unwrap();
    let mut by_group = g.by_group.final_values.clone();
    by_group.sort_by(|a, b| a.0.cmp(&b.0));
    let mut want: Vec<(String, f64)> = entities().into_iter().map(|(e, v)| (e, v as f64)).collect();
    want.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(by_group, want);

    let model = Staking::new(&snapshot_params(), 1.0, 1.0, 0).unwrap();
    let layers = model.layers();
    assert_eq!(layers.capability, g.group_layer);
    assert_eq!(layers.consensus, g.entity_layer);
    let nc = |l: &LayerMetrics| (l.nakamoto_1_3, l.nakamoto_1_2, l.nakamoto_2_3);
    println!(
        "by provider: {:?}; by operator: {:?}",
        g.group_layer, g.entity_layer
    );
    assert_eq!(nc(&g.group_layer), (Some(2), Some(2), Some(4)));
    assert_eq!(nc(&g.entity_layer), (Some(6), Some(21), Some(36)));
    assert_eq!(g.entity_layer.n, 2753);
    // Governance, 2023 (no veto yet): Coinbase, then the LDO blocs.
    println!("governance (2023, LDO blocs): {:?}", layers.governance);
    assert_eq!(nc(&layers.governance), (Some(4), Some(6), Some(12)));
    // Counterfactual: the same stake under a stakers' veto, stETH held by three holders of
    // 10% each (20squares, Feb 2025: three entities could each reach the 10% second seal)
    // and 1,000 equal others.
    let mut veto = snapshot_params();
    veto.providers[0].veto = Some(Veto::mainnet(snapshot::steth_holders()));
    let gv = Staking::new(&veto, 1.0, 1.0, 0)
        .unwrap()
        .layers()
        .governance;
    println!("governance (with a stakers' veto): {gv:?}");
    assert_eq!(nc(&gv), (Some(6), Some(17), Some(636)));

    // Without the unidentified depositors, Lido alone passes a third.
    let g = measure_grouped_csv(
        Path::new(&path("eth-staking-operators-2023-04-19.csv")),
        &opts(&["Other"]),
        "provider",
    )
    .unwrap();
    assert_eq!(nc(&g.group_layer), (Some(1), Some(2), Some(4)));
    assert_eq!(nc(&g.entity_layer), (Some(4), Some(10), Some(22)));
}

#[test]
fn grouped_sums_and_exclusions() {
    let csv = "op,pool,v\na,P,1\nb,P,2\nc,Q,4\na,Q,3\nd,R,5\n";
    let m = measure_grouped_reader(csv.as_bytes(), "t", &opts_for("op", &[]), "pool").unwrap();
    // By entity: a = 4 (in two pools), b = 2, c = 4, d = 5.
    assert_eq!(
        m.by_entity.final_values,
        vec![
            ("d".to_string(), 5.0),
            ("a".to_string(), 4.0),
            ("c".to_string(), 4.0),
            ("b".to_string(), 2.0)
        ]
    );
    // By group: P = 3, Q = 7, R = 5.
    assert_eq!(
        m.by_group.final_values,
        vec![
            ("Q".to_string(), 7.0),
            ("R".to_string(), 5.0),
            ("P".to_string(), 3.0)
        ]
    );
    assert_eq!(m.group_layer.nakamoto_1_3, Some(1));
    assert_eq!(m.group_layer.nakamoto_2_3, Some(2));
    // Excluding an entity drops its rows from both; excluding a group drops its rows too.
    let m = measure_grouped_reader(csv.as_bytes(), "t", &opts_for("op", &["a"]), "pool").unwrap();
    assert_eq!(m.by_group.final_values.len(), 3);
    assert_eq!(m.by_group.final_values[0], ("R".to_string(), 5.0));
    let m = measure_grouped_reader(csv.as_bytes(), "t", &opts_for("op", &["Q"]), "pool").unwrap();
    assert_eq!(m.by_entity.final_values.len(), 3);
    assert!(m.by_group.final_values.iter().all(|(g, _)| g != "Q"));
}

fn opts_for(entity: &str, exclude: &[&str]) -> MeasureOptions {
    MeasureOptions {
        entity: Some(entity.into()),
        exclude: exclude.iter().map(|s| s.to_string()).collect(),
        ..MeasureOptions::new("v")
    }
}

#[test]
fn grouped_errors() {
    let csv = "op,pool,v\na,P,1\n";
    let e =
        measure_grouped_reader(csv.as_bytes(), "t", &MeasureOptions::new("v"), "pool").unwrap_err();
    assert!(matches!(e, MeasureError::GroupWithoutEntity { .. }), "{e}");
    let e =
        measure_grouped_reader(csv.as_bytes(), "t", &opts_for("op", &[]), "provider").unwrap_err();
    assert!(
        matches!(&e, MeasureError::MissingColumn { column, .. } if column == "provider"),
        "{e}"
    );
    let e = measure_grouped_csv(Path::new("/nonexistent.csv"), &opts_for("op", &[]), "pool")
        .unwrap_err();
    assert!(matches!(e, MeasureError::NotFound { .. }));
}

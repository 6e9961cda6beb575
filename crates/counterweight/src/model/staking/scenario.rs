//! The staking model as a registered model (`model = "staking"`): its `[staking]` section,
//! its `[[policy]]` kinds, its declared parameters and what a run records.
//!
//! ```toml
//! model = "staking"
//! time = { end = 365.0, dt = 1.0 }     # days
//!
//! [staking]
//! gamma = 1.0                 # network effect of a provider's share
//! deposit_rate = 500.0        # validators per day
//! snapshot = "2023-04-19"     # optional: the providers of the 2023 snapshot
//!
//! [[staking.providers]]       # more providers (after the snapshot's)
//! name = "Lido"
//! fee = 0.10
//! allocation = "min_first"
//! operators = 29              # a count (validators split evenly) or a list of tables
//! validators = 181014
//! token = { named = { "LDO investors" = 0.35 }, others = 100 }
//! veto = { first_seal = 0.01, second_seal = 0.10 }
//! ```
//!
//! Field meanings, units and defaults: `docs/scenarios.md` and `docs/staking.md` §3. The
//! actors of a run are the providers (one group, `providers`) with their stake in
//! validators, so the runner records the concentration of **capability**; the model adds
//! the layered columns ([`columns`]): every layer's holders, HHI, effective number, top-1
//! share and Nakamoto coefficients at 1/3, 1/2 and 2/3, the first provider's share and
//! the step's flows.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::control::{Governance, Holders, Veto};
use super::policy::{StakingPolicy, Window};
use super::{
    Allocation, Churn, ExitRule, OperatorParams, ProviderParams, Staking, StakingError,
    StakingParams, even_operators, snapshot,
};
use crate::governance::dual::{Config as DgConfig, PercentD16};
use crate::policy::{PolicyCx, PolicyFields};
use crate::registry::{
    ChartDef, ColumnDef, Model, ModelDef, ModelSetup, NameSource, Observation, PanelDef, ParamInfo,
    ParamType, PolicyInfo, ValidateCx,
};
use crate::scenario::validate::check::err;
use crate::scenario::{FieldError, Scenario};
use crate::setup::{ActorGroup, ActorKind, Initial, replicate_seed};

/// The 2023-04-19 snapshot by entity (`scenarios/data/`, from Dune query 2030664; see its
/// README), embedded for `snapshot = "2023-04-19"`.
pub const SNAPSHOT_2023: &str =
    include_str!("../../../../../scenarios/data/eth-staking-entities-2023-04-19.csv");

/// The name of the one actor group the providers form.
pub const GROUP: &str = "providers";

/// The policy kinds of the staking model and their fields.
pub const POLICY_KINDS: &[PolicyFields] = &[
    ("self_limit", &["cap", "provider"]),
    ("operator_cap", &["share", "provider"]),
    ("fee_bounds", &["floor", "cap", "provider"]),
    ("interoperability", &["theta"]),
    (
        "harmful_action",
        &["at", "provider", "opposed", "fee", "quality_factor"],
    ),
];

macro_rules! layer_columns {
    ($($layer:literal),*) => {
        [$(
            ColumnDef::count(concat!($layer, "_n"), concat!($layer, ": holders")),
            ColumnDef::share(concat!($layer, "_hhi"), concat!($layer, ": HHI")),
            ColumnDef::real(concat!($layer, "_effective_number"), concat!($layer, ": effective number")),
            ColumnDef::share(concat!($layer, "_top1_share"), concat!($layer, ": top-1 share")),
            ColumnDef::count(concat!($layer, "_nakamoto_1_3"), concat!($layer, ": Nakamoto 1/3")),
            ColumnDef::count(concat!($layer, "_nakamoto_1_2"), concat!($layer, ": Nakamoto 1/2")),
            ColumnDef::count(concat!($layer, "_nakamoto_2_3"), concat!($layer, ": Nakamoto 2/3")),
        )*]
    };
}

/// The layered columns, `{layer}_{metric}` in [`super::layers::LAYER_NAMES`] ×
/// [`super::layers::LAYER_METRIC_NAMES`] order.
pub const LAYER_COLUMNS: [ColumnDef; 21] = layer_columns!("capability", "consensus", "governance");

/// The other columns: the first provider's share of all stake, the step's flows (in
/// validators; see [`super::Flows`]) and the opponents harmed by executed harmful actions
/// so far.
pub const FLOW_COLUMNS: [ColumnDef; 8] = [
    ColumnDef::share("first_share", "share of the first provider"),
    ColumnDef::count("total_stake", "validators in all"),
    ColumnDef::count("deposits", "deposits in the step"),
    ColumnDef::count("redeposits", "redeposits in the step"),
    ColumnDef::count("refused", "deposits refused in the step"),
    ColumnDef::count("exits", "exits in the step"),
    ColumnDef::count("exit_queue", "validators in the exit queue"),
    ColumnDef::count("harmed", "opponents harmed so far"),
];

/// Every column the model records, in order.
pub fn columns() -> Vec<ColumnDef> {
    LAYER_COLUMNS.iter().chain(&FLOW_COLUMNS).cloned().collect()
}

/// `[staking]` as written.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StakingSpec {
    /// γ >= 0: network effect of a provider's share (default 1).
    pub gamma: Option<f64>,
    /// θ in `[0, 1]`: share of rivals' networks a provider's users reach (default 0).
    pub interoperability: Option<f64>,
    /// The fee difference (a fraction of rewards, > 0) that makes a provider e times less
    /// attractive (default 0.1).
    pub fee_scale: Option<f64>,
    /// New deposits, validators per unit time (>= 0, default 0).
    pub deposit_rate: Option<f64>,
    /// Exit requests per validator per unit time (>= 0, default 0).
    pub withdrawal_rate: Option<f64>,
    /// `"ethereum"` (default) or a whole number of validators per step.
    pub churn: Option<toml::Value>,
    /// Seconds per unit of model time (> 0, default 86,400: days).
    pub time_unit_seconds: Option<f64>,
    /// `"2023-04-19"` (the embedded snapshot) or a CSV path with columns `entity` and
    /// `eth_deposited` (relative to the scenario file).
    pub snapshot: Option<String>,
    /// `[[staking.providers]]`, added after the snapshot's providers.
    #[serde(default)]
    pub providers: Vec<ProviderSpec>,
}

/// `[[staking.providers]]` as written.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProviderSpec {
    /// The provider's name (unique).
    pub name: String,
    /// Fee, a fraction of rewards in `[0, 1]` (default 0).
    pub fee: Option<f64>,
    /// Quality or trust factor > 0 (default 1).
    pub quality: Option<f64>,
    /// `"min_first"` (default), `"proportional"`, `"single"` or `"bonded"`.
    pub allocation: Option<String>,
    /// `"max_first"` or `"random"` (default: max-first for min-first, else random).
    pub exits: Option<String>,
    /// `bonded`: bond in ETH per validator (>= 0, default 0: bonds set shares only).
    pub bond_per_validator: Option<f64>,
    /// Validators at the start, split evenly over `operators` when that is a count.
    pub validators: Option<f64>,
    /// A count of operators, or a list of operator tables.
    pub operators: Option<toml::Value>,
    /// One owner in control (default: the provider itself); not with `token`.
    pub owner: Option<String>,
    /// Token holders in control (a DAO); not with `owner`.
    pub token: Option<HoldersSpec>,
    /// Model time from a decision to its execution without a veto (>= 0, default 0).
    pub timelock: Option<f64>,
    /// A stakers' veto over governance decisions.
    pub veto: Option<VetoSpec>,
    /// Overrides `staking.withdrawal_rate` for this provider.
    pub withdrawal_rate: Option<f64>,
}

/// One operator as written.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OperatorSpec {
    /// The operator's name (the same name in several providers is one entity).
    pub name: String,
    /// Active validators at the start (a whole number >= 0, default 0).
    #[serde(default)]
    pub validators: f64,
    /// Target limit on active validators (a whole number; default none).
    pub target_limit: Option<f64>,
    /// Weight for `proportional`, or bond in ETH for `bonded`.
    pub weight: Option<f64>,
}

/// Holders of a token or of a provider's stake as written: named shares and `others`
/// equal anonymous holders sharing `others_share` (default: what the named leave).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HoldersSpec {
    /// Named holders and their shares.
    #[serde(default)]
    pub named: BTreeMap<String, f64>,
    /// Number of anonymous equal holders (a whole number, default 0).
    #[serde(default)]
    pub others: f64,
    /// Their share together (default: what the named holders leave).
    pub others_share: Option<f64>,
}

/// A stakers' veto as written (mainnet Dual Governance seals by default; stakers default
/// to 1,000 equal holders, an assumption).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VetoSpec {
    /// R1, a fraction in (0, 1] (default mainnet 1 %).
    pub first_seal: Option<f64>,
    /// R2, a fraction in (0, 1] (default mainnet 10 %).
    pub second_seal: Option<f64>,
    /// The stakers (default 1,000 equal holders).
    pub stakers: Option<HoldersSpec>,
}

/// The staking model, as registered.
pub struct StakingModel;

/// Validated parameters of a staking scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct StakingSetup {
    /// The validated staking parameters, providers and policies.
    pub params: StakingParams,
}

fn field(path: &str) -> String {
    if path.starts_with("policy[") || path.starts_with("time") {
        path.to_string()
    } else {
        format!("staking.{path}")
    }
}

impl From<StakingError> for FieldError {
    fn from(e: StakingError) -> FieldError {
        FieldError {
            field: field(&e.field),
            message: e.message,
            help: Some(e.valid),
        }
    }
}

fn whole(path: &str, v: f64) -> Result<u64, FieldError> {
    if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= super::MAX_VALIDATORS {
        Ok(v as u64)
    } else {
        Err(err(
            path,
            format!("{v} is not a whole number"),
            "an integer >= 0",
        ))
    }
}

fn holders(path: &str, h: &HoldersSpec) -> Result<Holders, FieldError> {
    let others = whole(&format!("{path}.others"), h.others)?;
    let named: Vec<(String, f64)> = h.named.iter().map(|(k, &v)| (k.clone(), v)).collect();
    let rest = 1.0 - named.iter().map(|(_, x)| x).sum::<f64>();
    let others_share = match h.others_share {
        Some(s) => s,
        None if others > 0 => rest,
        None => 0.0,
    };
    Ok(Holders {
        named,
        others,
        others_share,
    })
}

fn seal(path: &str, v: f64) -> Result<PercentD16, FieldError> {
    if v.is_finite() && v > 0.0 && v <= 1.0 {
        // 1e-12 resolution: far below the 1e-16 of the reference's units.
        Ok(PercentD16::from_fraction(
            (v * 1e12).round() as u128,
            1_000_000_000_000,
        ))
    } else {
        Err(err(path, format!("{v}"), "a fraction in (0, 1]"))
    }
}

fn provider(i: usize, p: &ProviderSpec) -> Result<ProviderParams, FieldError> {
    let f = |x: &str| format!("staking.providers[{i}].{x}");
    let allocation = match p.allocation.as_deref() {
        None if p.operators.is_none() => Allocation::Single,
        None | Some("min_first") => Allocation::MinFirst,
        Some("proportional") => Allocation::Proportional,
        Some("single") => Allocation::Single,
        Some("bonded") => Allocation::Bonded,
        Some(o) => {
            return Err(err(
                f("allocation"),
                format!("unknown allocation \"{o}\""),
                "min_first, proportional, single or bonded",
            ));
        }
    };
    let exits = match p.exits.as_deref() {
        None => allocation.default_exits(),
        Some("max_first") => ExitRule::MaxFirst,
        Some("random") => ExitRule::Random,
        Some(o) => {
            return Err(err(
                f("exits"),
                format!("unknown exit rule \"{o}\""),
                "max_first or random",
            ));
        }
    };
    let total = p
        .validators
        .map(|v| whole(&f("validators"), v))
        .transpose()?;
    let operators = match &p.operators {
        None => vec![OperatorParams::new(p.name.clone(), total.unwrap_or(0))],
        Some(toml::Value::Integer(n)) => {
            if *n < 1 || *n as usize > super::MAX_OPERATORS {
                return Err(err(
                    f("operators"),
                    format!("{n} operators"),
                    format!("from 1 to {}", super::MAX_OPERATORS),
                ));
            }
            even_operators(
                &format!("{} operator", p.name),
                *n as usize,
                total.unwrap_or(0),
            )
        }
        Some(toml::Value::Array(list)) => {
            if total.is_some() {
                return Err(err(
                    f("validators"),
                    "validators with a list of operators",
                    "give each operator its validators, or a count of operators",
                ));
            }
            let mut v = Vec::with_capacity(list.len());
            for (j, o) in list.iter().enumerate() {
                let g = |x: &str| format!("staking.providers[{i}].operators[{j}]{x}");
                let spec: OperatorSpec = o.clone().try_into().map_err(|e: toml::de::Error| {
                    err(
                        g(""),
                        e.message().to_string(),
                        "a table { name, validators, target_limit, weight }",
                    )
                })?;
                let mut op =
                    OperatorParams::new(spec.name, whole(&g(".validators"), spec.validators)?);
                op.target_limit = spec
                    .target_limit
                    .map(|t| whole(&g(".target_limit"), t))
                    .transpose()?;
                op.weight = spec.weight;
                v.push(op);
            }
            v
        }
        Some(other) => {
            return Err(err(
                f("operators"),
                format!("a {}", other.type_str()),
                "a count of operators, or a list of { name, validators } tables",
            ));
        }
    };
    let mut out = ProviderParams::new(p.name.clone(), allocation, operators);
    out.exits = exits;
    out.fee = p.fee.unwrap_or(0.0);
    out.quality = p.quality.unwrap_or(1.0);
    out.bond_per_validator = p.bond_per_validator.unwrap_or(0.0);
    out.timelock = p.timelock.unwrap_or(0.0);
    out.withdrawal_rate = p.withdrawal_rate;
    out.governance = match (&p.owner, &p.token) {
        (Some(_), Some(_)) => {
            return Err(err(
                f("token"),
                "both an owner and a token",
                "owner = \"...\" (one owner) or token = { ... } (a DAO), not both",
            ));
        }
        (Some(o), None) => Governance::Owner(o.clone()),
        (None, Some(h)) => Governance::Token(holders(&f("token"), h)?),
        (None, None) => Governance::Owner(p.name.clone()),
    };
    if let Some(v) = &p.veto {
        let mut dg = DgConfig::mainnet();
        if let Some(s) = v.first_seal {
            dg.first_seal = seal(&f("veto.first_seal"), s)?;
        }
        if let Some(s) = v.second_seal {
            dg.second_seal = seal(&f("veto.second_seal"), s)?;
        }
        let stakers = match &v.stakers {
            Some(h) => holders(&f("veto.stakers"), h)?,
            None => Holders::equal(snapshot::DAO_HOLDERS),
        };
        out.veto = Some(Veto { stakers, dg });
    }
    Ok(out)
}

/// (entity, ETH deposited) rows of a snapshot CSV with columns `entity` and
/// `eth_deposited`.
pub fn snapshot_rows(text: &str, origin: &str) -> Result<Vec<(String, f64)>, FieldError> {
    let fe = |m: String| {
        err(
            "staking.snapshot",
            m,
            "a CSV with columns entity, eth_deposited",
        )
    };
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines
        .next()
        .ok_or_else(|| fe(format!("{origin} is empty")))?
        .split(',')
        .map(str::trim)
        .collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or_else(|| fe(format!("{origin} has no column `{name}`")))
    };
    let (ce, cv) = (col("entity")?, col("eth_deposited")?);
    lines
        .enumerate()
        .map(|(i, l)| {
            let f: Vec<&str> = l.split(',').map(str::trim).collect();
            let eth = f
                .get(cv)
                .and_then(|x| x.parse::<f64>().ok())
                .filter(|x| x.is_finite() && *x >= 0.0)
                .ok_or_else(|| fe(format!("{origin} line {}: no ETH amount >= 0", i + 2)))?;
            let name = f
                .get(ce)
                .filter(|x| !x.is_empty())
                .ok_or_else(|| fe(format!("{origin} line {}: no entity", i + 2)))?;
            Ok((name.to_string(), eth))
        })
        .collect()
}

fn snapshot_providers(
    which: &str,
    base_dir: Option<&Path>,
) -> Result<Vec<ProviderParams>, FieldError> {
    let rows = if which == "2023-04-19" {
        snapshot_rows(SNAPSHOT_2023, "the 2023-04-19 snapshot")?
    } else {
        let path = match base_dir {
            Some(b) => b.join(which),
            None => Path::new(which).to_path_buf(),
        };
        let text = std::fs::read_to_string(&path).map_err(|e| {
            err(
                "staking.snapshot",
                format!("cannot read {}: {e}", path.display()),
                "\"2023-04-19\" (embedded) or a CSV path relative to the scenario",
            )
        })?;
        snapshot_rows(&text, &path.display().to_string())?
    };
    Ok(snapshot::providers(&rows))
}

fn provider_index(
    cx: &PolicyCx<'_>,
    providers: &[ProviderParams],
    required: bool,
) -> Result<Vec<usize>, FieldError> {
    match cx.str("provider")? {
        None if required => Err(err(
            cx.field("provider"),
            format!("`provider` is required for kind = \"{}\"", cx.kind()),
            "the name of a provider",
        )),
        None => Ok(Vec::new()),
        Some(name) => match providers.iter().position(|p| p.name == name) {
            Some(k) => Ok(vec![k]),
            None => Err(err(
                cx.field("provider"),
                format!("no provider \"{name}\""),
                "the name of one of the scenario's providers",
            )),
        },
    }
}

impl ModelDef for StakingModel {
    fn name(&self) -> &'static str {
        "staking"
    }
    fn about(&self) -> &'static str {
        "staking providers, their node operators and who controls what: capability vs control by layer (issue 11)"
    }
    fn keys(&self) -> &'static [&'static str] {
        &["staking"]
    }
    fn uses_actors(&self) -> bool {
        false
    }
    fn params(&self) -> Vec<ParamInfo> {
        let r = ParamInfo::real;
        vec![
            r(
                "staking.gamma",
                "1.0",
                Some(0.0),
                Some(super::MAX_GAMMA),
                "",
                "network effect of a provider's share: 1 = Pólya urn, > 1 increasing returns",
            ),
            r(
                "staking.interoperability",
                "0.0",
                Some(0.0),
                Some(1.0),
                "",
                "theta: the share of rivals' networks a provider's users reach (forks, wrapped tokens)",
            ),
            r(
                "staking.fee_scale",
                "0.1",
                Some(0.0),
                None,
                "fraction of rewards",
                "fee difference that makes a provider e times less attractive",
            ),
            r(
                "staking.deposit_rate",
                "0.0",
                Some(0.0),
                None,
                "validators per unit time",
                "new deposits (32 ETH each)",
            ),
            r(
                "staking.withdrawal_rate",
                "0.0",
                Some(0.0),
                None,
                "per validator per unit time",
                "rate at which a validator asks to exit",
            ),
            r(
                "staking.time_unit_seconds",
                "86400",
                Some(0.0),
                None,
                "seconds",
                "seconds per unit of model time (converts Dual Governance durations)",
            ),
            ParamInfo {
                path: "staking.churn",
                kind: ParamType::Integer,
                unit: "validators per step",
                default: "\"ethereum\"",
                min: Some(0.0),
                max: None,
                choices: &["ethereum"],
                doc: "exit churn limit: Ethereum's max(4, active/65536) per epoch, or a fixed number",
                ..ParamInfo::real("staking.churn", "", None, None, "", "")
            },
            ParamInfo::choice(
                "staking.snapshot",
                "",
                &["2023-04-19"],
                "start from the 2023-04-19 snapshot's providers (or a CSV path)",
            ),
        ]
    }
    fn policy_kinds(&self) -> &'static [PolicyFields] {
        POLICY_KINDS
    }
    fn policies(&self) -> Vec<PolicyInfo> {
        let r = ParamInfo::real;
        let share =
            |path: &'static str, doc: &'static str| r(path, "", Some(0.0), Some(1.0), "share", doc);
        // Names of providers written in the scenario (a snapshot's are not: its names
        // are typed in).
        const PROVIDERS: NameSource = NameSource::new("staking.providers", "name");
        let provider = |doc: &'static str| ParamInfo::name("provider", PROVIDERS, doc);
        let every = "a provider's name (absent: every provider)";
        vec![
            PolicyInfo::new(
                "self_limit",
                "a provider accepts deposits only while its stake stays <= cap x the total",
                vec![
                    share("cap", "the provider's largest share").with_example("0.33"),
                    provider(every).optional(),
                ],
            ),
            PolicyInfo::new(
                "operator_cap",
                "no operator above `share` of all stake",
                vec![
                    share("share", "an operator's largest share of all stake").with_example("0.01"),
                    provider(every).optional(),
                ],
            ),
            PolicyInfo::new(
                "fee_bounds",
                "a fee floor or cap",
                vec![
                    r(
                        "floor",
                        "0.0",
                        Some(0.0),
                        Some(1.0),
                        "fraction of rewards",
                        "the lowest fee",
                    ),
                    r(
                        "cap",
                        "1.0",
                        Some(0.0),
                        Some(1.0),
                        "fraction of rewards",
                        "the highest fee",
                    ),
                    provider(every).optional(),
                ],
            ),
            PolicyInfo::new(
                "interoperability",
                "theta is at least `theta` while in force",
                vec![share("theta", "the floor on theta").with_example("0.5")],
            ),
            PolicyInfo::new(
                "harmful_action",
                "a contested governance decision at time `at`, opposed by a share of the provider's stake",
                vec![
                    r(
                        "at",
                        "",
                        Some(0.0),
                        None,
                        "model time",
                        "when the decision is taken",
                    )
                    .with_example("1.0"),
                    provider("the provider whose governance decides (a provider's name)"),
                    share(
                        "opposed",
                        "the share of the provider's stake that opposes it",
                    )
                    .with_example("0.1"),
                    r(
                        "fee",
                        "",
                        Some(0.0),
                        Some(1.0),
                        "fraction of rewards",
                        "the provider's fee after execution (default: unchanged)",
                    ),
                    r(
                        "quality_factor",
                        "1.0",
                        Some(0.0),
                        None,
                        "",
                        "the provider's quality is multiplied by this on execution",
                    ),
                ],
            ),
        ]
    }
    fn validate(&self, cx: &mut ValidateCx<'_>) -> Result<Box<dyn ModelSetup>, FieldError> {
        let time = cx.time()?;
        if cx.actor_count() > 0 {
            return Err(err(
                "actors",
                "model = \"staking\" takes no [[actors]]: the providers are the actors",
                "remove [[actors]]; list [[staking.providers]] or set staking.snapshot",
            ));
        }
        let spec: StakingSpec = cx.require_section("staking")?;
        let mut providers = match &spec.snapshot {
            Some(s) => snapshot_providers(s, cx.base_dir)?,
            None => Vec::new(),
        };
        // Where each provider comes from: `None` the snapshot, `Some(i)` providers[i].
        let mut source: Vec<Option<usize>> = vec![None; providers.len()];
        for (i, p) in spec.providers.iter().enumerate() {
            // An entry named like a snapshot entity replaces it (keeping its stake unless
            // it says otherwise).
            match providers.iter().position(|q| q.name == p.name) {
                Some(k) if source[k].is_none() => {
                    let mut p = p.clone();
                    p.validators = p.validators.or(Some(providers[k].stake() as f64));
                    providers[k] = provider(i, &p)?;
                    source[k] = Some(i);
                }
                _ => {
                    providers.push(provider(i, p)?);
                    source.push(Some(i));
                }
            }
        }
        let mut params = StakingParams::new(providers);
        params.gamma = spec.gamma.unwrap_or(params.gamma);
        params.interoperability = spec.interoperability.unwrap_or(params.interoperability);
        params.fee_scale = spec.fee_scale.unwrap_or(params.fee_scale);
        params.deposit_rate = spec.deposit_rate.unwrap_or(0.0);
        params.withdrawal_rate = spec.withdrawal_rate.unwrap_or(0.0);
        params.time_unit_seconds = spec.time_unit_seconds.unwrap_or(params.time_unit_seconds);
        params.churn = match &spec.churn {
            None => Churn::ethereum(),
            Some(toml::Value::String(s)) if s == "ethereum" => Churn::ethereum(),
            Some(toml::Value::Integer(n)) if *n >= 0 => Churn::Fixed(*n as u64),
            Some(v) => {
                return Err(err(
                    "staking.churn",
                    format!("churn = {v}"),
                    "\"ethereum\" or a whole number of validators per step >= 0",
                ));
            }
        };
        let kinds = POLICY_KINDS;
        let providers = params.providers.clone();
        let policies = cx.policies(kinds, |p: &PolicyCx<'_>| {
            p.no_groups()?;
            let w = p.window();
            let window = Window {
                from: w.from,
                until: w.until,
            };
            let num = |name: &str| p.require_f64(name);
            Ok(match p.kind() {
                "self_limit" => StakingPolicy::SelfLimit {
                    window,
                    providers: provider_index(p, &providers, false)?,
                    cap: num("cap")?,
                },
                "operator_cap" => StakingPolicy::OperatorCap {
                    window,
                    providers: provider_index(p, &providers, false)?,
                    share: num("share")?,
                },
                "fee_bounds" => StakingPolicy::FeeBounds {
                    window,
                    providers: provider_index(p, &providers, false)?,
                    floor: p.f64("floor")?.unwrap_or(0.0),
                    cap: p.f64("cap")?.unwrap_or(1.0),
                },
                "interoperability" => StakingPolicy::Interoperability {
                    window,
                    theta: num("theta")?,
                },
                _ => StakingPolicy::HarmfulAction {
                    at: num("at")?,
                    provider: provider_index(p, &providers, true)?[0],
                    opposed: num("opposed")?,
                    fee: p.f64("fee")?,
                    quality_factor: p.f64("quality_factor")?.unwrap_or(1.0),
                },
            })
        })?;
        params.policies = policies.into_iter().map(|p| p.kind).collect();
        // Provider errors name the field as written: snapshot providers come first.
        params.check(time.dt, time.end).map_err(|e| {
            let mut fe = FieldError::from(e);
            if let Some(rest) = fe.field.strip_prefix("staking.providers[")
                && let Some((k, tail)) = rest.split_once(']')
                && let Ok(k) = k.parse::<usize>()
            {
                fe.field = match source.get(k).copied().flatten() {
                    Some(i) => format!("staking.providers[{i}]{tail}"),
                    None => "staking.snapshot".into(),
                };
            }
            fe
        })?;
        cx.groups = vec![ActorGroup {
            name: GROUP.into(),
            kind: ActorKind::Firm,
            count: params.providers.len(),
            initial: Initial::Values(params.providers.iter().map(|p| p.stake() as f64).collect()),
            openness: 0.0,
        }];
        Ok(Box::new(StakingSetup { params }))
    }
}

impl ModelSetup for StakingSetup {
    fn build(&self, sc: &Scenario, replicate: u32) -> Box<dyn Model> {
        let seed = replicate_seed(sc.seed, replicate);
        Box::new(
            Staking::new(&self.params, sc.time.dt, sc.time.end, seed)
                .expect("parameters checked when the scenario was validated"),
        )
    }
    fn observation(&self) -> Observation {
        Observation {
            concentration: true,
            columns: columns(),
            key: vec![
                "first_share",
                "capability_nakamoto_1_3",
                "consensus_nakamoto_1_3",
                "consensus_nakamoto_2_3",
                "governance_nakamoto_1_2",
            ],
        }
    }
    /// Capability vs control (issue 11): the top-1 share and the Nakamoto coefficients at
    /// 1/3, 1/2 and 2/3 of each layer, plotted together; and the stake's flows.
    fn charts(&self) -> Vec<ChartDef> {
        const LAYERS: [(&str, &str); 3] = [
            ("capability", "by provider (capability)"),
            ("consensus", "by operator (consensus)"),
            ("governance", "by controller (governance)"),
        ];
        let layered = |title: &str, y_label: &str, metric: &str| {
            LAYERS
                .iter()
                .fold(PanelDef::lines(title, y_label), |p, (l, label)| {
                    p.series(&format!("{l}_{metric}"), label)
                })
        };
        vec![
            ChartDef::new(
                "capability_vs_control",
                "Capability vs control",
                "Stake by provider (capability), by operator entity (consensus: who holds the \
                 validator keys) and by controller (governance: who can change a provider's \
                 rules without a binding veto): the largest holder's share, and the Nakamoto \
                 coefficients — the fewest holders with strictly more than 1/3 (can stop \
                 finality or censor), 1/2 and 2/3 (can finalise) of all stake.",
            )
            .panel(layered("largest holder", "top-1 share of all stake", "top1_share").share())
            .panel(layered("Nakamoto at 1/3", "holders", "nakamoto_1_3"))
            .panel(layered("Nakamoto at 1/2", "holders", "nakamoto_1_2"))
            .panel(layered("Nakamoto at 2/3", "holders", "nakamoto_2_3")),
            ChartDef::new(
                "stake_flows",
                "Stake and its flows over time",
                "The first provider's share of all stake, and the step's deposits, redeposits \
                 (rage-quit stake coming back), refused deposits, exits and the exit queue, in \
                 validators.",
            )
            .panel(
                PanelDef::lines("first provider", "share of all stake")
                    .series("first_share", "first provider's share")
                    .share(),
            )
            .panel(
                PanelDef::lines("flows", "validators per step")
                    .series("deposits", "deposits")
                    .series("redeposits", "redeposits")
                    .series("refused", "refused")
                    .series("exits", "exits")
                    .series("exit_queue", "exit queue"),
            ),
        ]
    }
}

/// The model's own columns of one replicate now, in [`columns`] order.
pub fn observe(m: &Staking, out: &mut Vec<f64>) {
    for (_, l) in m.layers().all() {
        out.extend(l.as_row());
    }
    let total = m.total_stake();
    let fl = m.flows();
    out.push(if total > 0 {
        m.stake()[0] as f64 / total as f64
    } else {
        f64::NAN
    });
    out.extend(
        [
            total,
            fl.deposits,
            fl.redeposits,
            fl.refused,
            fl.exits,
            fl.queue,
            m.actions().iter().map(|a| a.harmed).sum(),
        ]
        .map(|x| x as f64),
    );
}

//! Providers of the 2023-04-19 staking snapshot (`scenarios/data/eth-staking-entities-
//! 2023-04-19.csv`) under the operator and controller assumption of `docs/staking.md`.
//! Pure: the caller reads the file and passes (entity, ETH deposited) rows.
//!
//! * validators = ETH deposited / 32, rounded to the nearest whole validator (halves up);
//! * **Lido**: [`LIDO_OPERATORS`] = 29 curated operators at the end of Q1 2023 (Lido
//!   research forum, `research.lido.fi/t/inquiry-next-onboarding-round-for-lido-eth/
//!   4605/2`), min-first, validators split as evenly as integers allow (assumption); its
//!   governance: LDO voting power as the genesis allocation without the DAO treasury,
//!   each category voting as one bloc ([`ldo_blocs`], assumption: an upper bound on LDO
//!   concentration). No stakers' veto: Dual Governance went live in mid-2025;
//! * **RocketPool (Minipool)**: [`ROCKET_POOL_OPERATORS`] = 1,659 node operators (IQ.wiki
//!   "Rocket Pool", figure for October 2022), bonded with equal bonds (assumption); its
//!   governance: [`DAO_HOLDERS`] equal RPL holders (assumption);
//! * **Other** (unidentified depositors): [`OTHER_OPERATORS`] = 1,000 equal operators
//!   (assumption; any split into holders smaller than a Lido operator gives the same
//!   Nakamoto coefficients), each controlling its own stake ([`DAO_HOLDERS`] equal
//!   controllers);
//! * every other entity is a single provider that runs its own keys and owns its rules.

use super::control::{Governance, Holders};
use super::{Allocation, ProviderParams, even_operators};

/// Curated Lido operators at the end of Q1 2023.
pub const LIDO_OPERATORS: usize = 29;
/// Rocket Pool node operators (October 2022).
pub const ROCKET_POOL_OPERATORS: usize = 1659;
/// Anonymous operators standing for the `Other` row (assumption).
pub const OTHER_OPERATORS: usize = 1000;
/// Equal holders standing for a governance whose distribution is not modelled.
pub const DAO_HOLDERS: u64 = 1000;

/// Whole validators of `eth` deposited (32 ETH each, halves up).
pub fn validators(eth: f64) -> u64 {
    (eth / 32.0 + 0.5).floor() as u64
}

/// LDO voting power: the genesis allocation of 1e9 LDO without the DAO treasury (36.32%,
/// which does not vote): investors 22.18%, initial developers 20%, founders and future
/// employees 15%, validators and withdrawal-key signatories 6.5% (blog.lido.fi, as
/// summarised by tokenradar.ai), each category one bloc.
pub fn ldo_blocs() -> Holders {
    let blocs = [
        ("LDO investors", 22.18),
        ("LDO initial developers", 20.0),
        ("LDO founders and future employees", 15.0),
        ("LDO validators and signatories", 6.5),
    ];
    let total: f64 = blocs.iter().map(|b| b.1).sum();
    Holders {
        named: blocs
            .iter()
            .map(|(n, x)| (n.to_string(), x / total))
            .collect(),
        others: 0,
        others_share: 0.0,
    }
}

/// stETH holders for a stakers' veto: three holders of 10% each (20squares, Lido data of
/// February 2025: three entities could each reach the 10% second seal alone) and
/// [`DAO_HOLDERS`] equal others (assumption).
pub fn steth_holders() -> Holders {
    Holders {
        named: (1..=3)
            .map(|i| (format!("stETH holder {i}"), 0.1))
            .collect(),
        others: DAO_HOLDERS,
        others_share: 0.7,
    }
}

/// The providers of the snapshot, in file order, from (entity, ETH deposited) rows.
pub fn providers(entities: &[(String, f64)]) -> Vec<ProviderParams> {
    entities
        .iter()
        .map(|(name, eth)| {
            let v = validators(*eth);
            match name.as_str() {
                "Lido" => {
                    let mut p = ProviderParams::new(
                        name.as_str(),
                        Allocation::MinFirst,
                        even_operators("Lido operator", LIDO_OPERATORS, v),
                    );
                    p.governance = Governance::Token(ldo_blocs());
                    p
                }
                "RocketPool (Minipool)" => {
                    let mut p = ProviderParams::new(
                        name.as_str(),
                        Allocation::Bonded,
                        even_operators("Rocket Pool node", ROCKET_POOL_OPERATORS, v),
                    );
                    p.governance = Governance::Token(Holders::equal(DAO_HOLDERS));
                    p
                }
                "Other" => {
                    let mut p = ProviderParams::new(
                        name.as_str(),
                        Allocation::MinFirst,
                        even_operators("Other", OTHER_OPERATORS, v),
                    );
                    p.governance = Governance::Token(Holders::equal(DAO_HOLDERS));
                    p
                }
                _ => ProviderParams::single(name.as_str(), v),
            }
        })
        .collect()
}

//! Replay throughput: actions per second over a random timeline of 10^6 actions
//! (`cargo bench --workspace --bench governance_replay`; `-- N` for another size).
//! Each action is a full transaction on the shell (activation before and after, checks,
//! rollback on failure) plus the per-step record (persisted/effective state, R, T_lock).

use std::time::Instant;

use counterweight::governance::dual::Config;
use counterweight::governance::dual::timeline::{
    Action, Amount, DEFAULT_TOTAL_SUPPLY, Expect, Replayer, Step,
};
use rand::RngExt;

fn random_steps(seed: u64, n: usize) -> (Vec<Step>, usize) {
    let mut rng = counterweight::rng::stream(seed, 0);
    let mut steps = Vec::with_capacity(n);
    let mut t = 0u64;
    let mut proposals = 0usize;
    const ACTIONS: [Action; 13] = [
        Action::Lock,
        Action::Lock,
        Action::Unlock,
        Action::LockNft,
        Action::UnlockNft,
        Action::MarkFinalized,
        Action::Submit,
        Action::Schedule,
        Action::Execute,
        Action::CancelAll,
        Action::Activate,
        Action::WithdrawalsDone,
        Action::StartExtension,
    ];
    for _ in 0..n {
        t += rng.random_range(0..6 * 3600u64);
        let action = if rng.random_bool(0.02) {
            Action::WithdrawEth
        } else {
            ACTIONS[rng.random_range(0..ACTIONS.len())]
        };
        let holder = rng.random_range(0..1000u32);
        let (amount, proposal) = match action {
            Action::Lock | Action::LockNft => (
                Some(Amount::OfSupply {
                    num: rng.random_range(1..300u128),
                    den: 10_000,
                }),
                None,
            ),
            Action::Submit => {
                proposals += 1;
                (None, Some(proposals - 1))
            }
            Action::Schedule | Action::Execute if proposals > 0 => {
                (None, Some(rng.random_range(0..proposals)))
            }
            Action::Schedule | Action::Execute => (None, None),
            _ => (None, None),
        };
        let action = if matches!(action, Action::Schedule | Action::Execute) && proposal.is_none() {
            Action::Activate
        } else {
            action
        };
        steps.push(Step {
            at: t,
            action,
            holder: Some(holder),
            amount,
            negative: false,
            proposal,
            escrow: None,
            escrow_span: 0..0,
            expect: Expect::default(),
            line: 0,
            amount_span: 0..0,
        });
    }
    (steps, proposals)
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let (steps, proposals) = random_steps(42, n);
    let mut best = f64::INFINITY;
    let mut summary = String::new();
    for _ in 0..3 {
        let mut rp = Replayer::new(Config::mainnet(), DEFAULT_TOTAL_SUPPLY, proposals).unwrap();
        let start = Instant::now();
        let mut ok = 0usize;
        let mut states = [0usize; 5];
        for s in &steps {
            let rec = rp.step(s).expect("generated amounts are within the supply");
            ok += rec.result.is_ok() as usize;
            states[rec.persisted.index()] += 1;
        }
        let secs = start.elapsed().as_secs_f64();
        if secs < best {
            best = secs;
            summary = format!(
                "ok {ok}/{n}; steps per persisted state [Normal, VS, Deact, VC, RQ] = {states:?}; rage-quit escrows {}",
                rp.dg.escrows.len() - 1
            );
        }
    }
    println!(
        "governance replay: {n} actions, best of 3: {best:.3} s = {:.0} actions/s",
        n as f64 / best
    );
    println!("{summary}");
}

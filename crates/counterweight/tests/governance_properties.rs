//! Property tests over random action sequences (reference §8 issue #50 invariants and the
//! RV timing bounds of §6). Two regimes:
//! * `lazy`: mainnet config, random time jumps, nobody pokes the contract in between —
//!   checks the safety invariants and that a failed call changes nothing;
//! * `ticked`: a config with second-scale durations and an activation every second (the
//!   RV assumption of immediate transitions) — additionally checks the timing bounds.

use std::collections::HashMap;

use counterweight::governance::dual::escrow::EscrowState;
use counterweight::governance::dual::timelock::ProposalStatus;
use counterweight::governance::dual::{
    Config, DgError, DualGovernance, Duration, PercentD16, State, Timestamp,
};
use proptest::prelude::*;

const ETH: u128 = 1_000_000_000_000_000_000;

#[derive(Debug, Clone, Copy)]
struct Op {
    /// seconds to advance before the op (lazy regime only)
    dt: u32,
    kind: u8,
    holder: u8,
    /// amount in basis points of the current supply
    bp: u16,
    /// which proposal (index into submitted ids)
    prop: u8,
    /// pick an old (rage-quit) escrow instead of the signalling one
    old_escrow: bool,
}

fn op_strategy(max_dt: u32) -> impl Strategy<Value = Op> {
    (
        0..=max_dt,
        0u8..16,
        0u8..5,
        1u16..1200,
        any::<u8>(),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(dt, kind, holder, bp, prop, old_escrow)| Op {
            dt,
            kind,
            holder,
            bp,
            prop,
            old_escrow,
        })
}

fn fast_config() -> Config {
    let mut c = Config::mainnet();
    c.min_assets_lock_duration = Duration(3);
    c.veto_signalling_min_duration = Duration(5);
    c.veto_signalling_max_duration = Duration(45);
    c.veto_signalling_min_active_duration = Duration(5);
    c.veto_signalling_deactivation_max_duration = Duration(3);
    c.veto_cooldown_duration = Duration(5);
    c.rage_quit_extension_period_duration = Duration(7);
    c.rage_quit_eth_withdrawals_min_delay = Duration(6);
    c.rage_quit_eth_withdrawals_max_delay = Duration(18);
    c.rage_quit_eth_withdrawals_delay_growth = Duration(2);
    c.after_submit_delay = Duration(3);
    c.after_schedule_delay = Duration(1);
    c.min_execution_delay = Duration(3);
    c
}

/// Independent bookkeeping the properties are checked against.
#[derive(Default)]
struct Model {
    /// (escrow, holder) -> last lock time
    last_lock: HashMap<(usize, u32), u64>,
    proposals: Vec<u64>,
    consecutive_rage_quits: u32,
}

/// Run one op on `dg` at `now`; check the per-op safety invariants.
fn run_op(
    dg: &mut DualGovernance,
    m: &mut Model,
    op: &Op,
    now: Timestamp,
) -> Result<(), TestCaseError> {
    let before = dg.clone();
    // effective kind: cancel_all only one time in five, more submits and schedules
    let kind = match op.kind {
        10 if op.holder != 0 => 8,
        14 => 7,
        15 => 8,
        k => k,
    };
    let holder = op.holder as u32;
    let escrow = if op.old_escrow {
        dg.rage_quit_escrow.unwrap_or(dg.signalling_escrow)
    } else {
        dg.signalling_escrow
    };
    let escrow_was_rq = dg.escrows[escrow].h.state == EscrowState::RageQuitEscrow;
    let amount = dg.steth.total_supply() * op.bp as u128 / 10_000;
    let pid = if m.proposals.is_empty() {
        1 + op.prop as u64 % 3
    } else {
        m.proposals[op.prop as usize % m.proposals.len()]
    };
    let res: Result<(), DgError> = match kind {
        0 => {
            dg.activate_next_state(now);
            Ok(())
        }
        1 | 2 => dg.lock(escrow, holder, amount.max(1), now),
        3 => dg.unlock(escrow, holder, now).map(|_| ()),
        4 => dg.lock_nft(escrow, holder, amount.max(1), now).map(|_| ()),
        5 => dg.unlock_nft(escrow, holder, now).map(|_| ()),
        6 => dg.mark_finalized(escrow, Some(holder), now).map(|_| ()),
        7 => dg.submit(now).map(|id| m.proposals.push(id)),
        8 => dg.schedule(pid, now),
        9 => dg.execute(pid, now),
        10 => dg.cancel_all(now).map(|_| ()),
        11 => dg.withdrawals_done(now),
        12 => dg.start_extension(now),
        _ => dg.withdraw_eth(holder, now).map(|_| ()),
    };
    match &res {
        Err(_) => {
            // a failed call changes nothing, not even its leading activation
            prop_assert!(*dg == before, "failed op {op:?} changed the state");
        }
        Ok(()) => {
            let st = dg.persisted_state();
            match kind {
                7 => prop_assert!(
                    !matches!(st, State::VetoSignallingDeactivation | State::VetoCooldown),
                    "submission in {st}"
                ),
                8 => {
                    prop_assert!(
                        matches!(st, State::Normal | State::VetoCooldown),
                        "scheduling in {st}"
                    );
                    if st == State::VetoCooldown {
                        let sub = dg.timelock.get(pid).unwrap().submitted_at;
                        prop_assert!(
                            sub <= dg.ctx.veto_signalling_activated_at,
                            "scheduled in VetoCooldown a proposal submitted after t_act"
                        );
                    }
                }
                1 | 2 | 4 => {
                    m.last_lock.insert((escrow, holder), now.0);
                }
                3 | 5 => {
                    let last = m.last_lock.get(&(escrow, holder)).copied().unwrap_or(0);
                    prop_assert!(
                        now.0 > last + dg.cfg.min_assets_lock_duration.0 as u64,
                        "unlock before the min lock duration"
                    );
                }
                13 => {
                    let e = (0..dg.escrows.len())
                        .filter(|&i| dg.escrows[i].h.state == EscrowState::RageQuitEscrow)
                        .find(|&i| {
                            dg.escrows[i]
                                .holders
                                .get(&holder)
                                .is_some_and(|a| a.withdrawn_eth > 0 || a.steth_locked_shares == 0)
                        })
                        .unwrap();
                    let h = &dg.escrows[e].h;
                    prop_assert!(h.rage_quit_extension_period_started_at.is_set());
                    prop_assert!(
                        now > h.rage_quit_extension_period_started_at
                            + h.rage_quit_extension_period_duration
                            + h.rage_quit_eth_withdrawals_delay,
                        "ETH withdrawn before extension + delay"
                    );
                }
                _ => {}
            }
            if matches!(kind, 1..=6) {
                prop_assert!(
                    !escrow_was_rq,
                    "lock/unlock on a rage-quit escrow succeeded"
                );
            }
        }
    }
    if matches!(kind, 1..=6) && escrow_was_rq {
        prop_assert!(
            matches!(res, Err(DgError::UnexpectedEscrowState { .. })),
            "lock/unlock on a rage-quit escrow: {res:?}"
        );
    }
    // stETH is conserved: the escrows and the withdrawal queue never hold more than
    // exists, so R never exceeds 100% (issue 15, item 12)
    prop_assert!(
        dg.held_shares <= dg.steth.total_shares,
        "held {} > total {}",
        dg.held_shares,
        dg.steth.total_shares
    );
    prop_assert!(dg.rage_quit_support() <= counterweight::governance::dual::PercentD16::HUNDRED);
    // round counter bounds
    let r = dg.ctx.rage_quit_round;
    if dg.persisted_state() == State::VetoCooldown {
        prop_assert_eq!(r, 0);
    }
    if dg.persisted_state() == State::RageQuit {
        prop_assert!(r >= 1);
    }
    Ok(())
}

/// Track rage-quit rounds across a transition `from -> to`.
fn track_round(
    m: &mut Model,
    dg: &DualGovernance,
    from: State,
    to: State,
) -> Result<(), TestCaseError> {
    if from != to && to == State::RageQuit {
        m.consecutive_rage_quits += 1;
        prop_assert_eq!(
            dg.ctx.rage_quit_round as u32,
            m.consecutive_rage_quits.min(255)
        );
    }
    if from != to && to == State::VetoCooldown {
        m.consecutive_rage_quits = 0;
    }
    Ok(())
}

/// Episode bookkeeping for the RV bounds (ticked regime).
#[derive(Default)]
struct Rv {
    /// t_act and max R of the current VS episode
    episode: Option<(u64, PercentD16)>,
    vc_entered: Option<u64>,
}

fn check_rv(
    dg: &DualGovernance,
    rv: &mut Rv,
    from: State,
    to: State,
    now: u64,
) -> Result<(), TestCaseError> {
    let c = &dg.cfg;
    let min_active = c.veto_signalling_min_active_duration.0 as u64;
    let deact = c.veto_signalling_deactivation_max_duration.0 as u64;
    let lmax = c.veto_signalling_max_duration.0 as u64;
    if let Some((_, rmax)) = rv.episode.as_mut() {
        *rmax = (*rmax).max(dg.rage_quit_support());
    }
    if from == to {
        return Ok(());
    }
    match to {
        State::VetoSignalling if from != State::VetoSignallingDeactivation => {
            prop_assert_eq!(dg.ctx.veto_signalling_activated_at.0, now);
            rv.episode = Some((now, dg.rage_quit_support()));
        }
        State::VetoSignallingDeactivation => {
            let (t_act, rmax) = rv.episode.unwrap();
            let tl = c.veto_signalling_duration(rmax).0 as u64;
            prop_assert!(
                now - t_act <= tl + min_active + 1,
                "Deactivation entered {}s after VS entry > T_lock(Rmax) + min-active + 1 = {}",
                now - t_act,
                tl + min_active + 1
            );
        }
        State::VetoCooldown if from == State::VetoSignallingDeactivation => {
            let (t_act, rmax) = rv.episode.take().unwrap();
            let tl = c.veto_signalling_duration(rmax).0 as u64;
            let d = now - t_act;
            prop_assert!(d >= min_active + deact + 2, "VS episode too short: {d}");
            prop_assert!(
                d <= tl + min_active + deact + 2,
                "VS episode too long: {d} > {}",
                tl + min_active + deact + 2
            );
        }
        State::RageQuit => {
            let (t_act, _) = rv.episode.take().unwrap();
            let d = now - t_act;
            prop_assert!(d > lmax, "RageQuit after only {d}s");
            prop_assert!(
                d <= lmax + min_active + deact + 2,
                "VS -> RageQuit took {d}s"
            );
        }
        _ => {}
    }
    if from == State::VetoCooldown {
        let e = rv.vc_entered.take().unwrap();
        prop_assert_eq!(
            now - e,
            c.veto_cooldown_duration.0 as u64 + 1,
            "VetoCooldown length"
        );
    }
    if to == State::VetoCooldown {
        rv.vc_entered = Some(now);
    }
    if from == State::RageQuit {
        let h = &dg.escrows[dg.rage_quit_escrow.unwrap()].h;
        prop_assert_eq!(
            now,
            (h.rage_quit_extension_period_started_at + h.rage_quit_extension_period_duration).0 + 1,
            "RageQuit must end exactly extension + 1s after the extension started"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Mainnet config, lazy activation, random time jumps of up to ~20 days.
    #[test]
    fn lazy_invariants(ops in prop::collection::vec(op_strategy(20 * 86_400), 1..120)) {
        let mut dg = DualGovernance::new(Config::mainnet(), 1_000_000 * ETH, Timestamp(1)).unwrap();
        let mut m = Model::default();
        let mut now = 1u64;
        for op in &ops {
            now += op.dt as u64;
            let from = dg.persisted_state();
            run_op(&mut dg, &mut m, op, Timestamp(now))?;
            // lazily at most two transitions per op (leading + trailing); track rounds only
            // through states we can see
            let to = dg.persisted_state();
            if from != to && to == State::VetoCooldown { m.consecutive_rage_quits = 0; }
        }
    }

    /// Second-scale config, activation every second (RV's immediate transitions):
    /// safety invariants plus the RV timing bounds.
    #[test]
    fn ticked_rv_bounds(ops in prop::collection::vec(op_strategy(0), 50..600)) {
        let cfg = fast_config();
        let mut dg = DualGovernance::new(cfg, 1_000 * ETH, Timestamp(1)).unwrap();
        let mut m = Model::default();
        let mut rv = Rv::default();
        let mut tracked: Option<(u64, u64, PercentD16, Option<usize>)> = None;
        for (i, op) in ops.iter().enumerate() {
            let now = 2 + i as u64;
            // the tick's immediate activation
            let from = dg.persisted_state();
            dg.activate_next_state(Timestamp(now));
            let to = dg.persisted_state();
            track_round(&mut m, &dg, from, to)?;
            check_rv(&dg, &mut rv, from, to, now)?;
            // at most one transition per timestamp: a second activation changes nothing
            prop_assert!(!dg.clone().activate_next_state(Timestamp(now)));
            // the op
            let from = dg.persisted_state();
            run_op(&mut dg, &mut m, op, Timestamp(now))?;
            let to = dg.persisted_state();
            track_round(&mut m, &dg, from, to)?;
            check_rv(&dg, &mut rv, from, to, now)?;
            // RV proposal bound: a proposal submitted in Normal, scheduled as early as
            // possible (the DAO tries every tick), not cancelled and with no rage quit in
            // between, is scheduled within [T_min, T_min + T_lock(R_max) + min_active + deact + 2]
            // after submission (T_min inclusive: `now >= submittedAt + afterSubmitDelay`).
            if tracked.is_none()
                && matches!(op.kind, 7 | 14)
                && from == State::Normal
                && let Some(&id) = m.proposals.last()
                && dg.timelock.get(id).is_some_and(|p| p.submitted_at.0 == now)
            {
                tracked = Some((id, now, dg.rage_quit_support(), dg.rage_quit_escrow));
            }
            if let Some((id, t_sub, rmax, rq)) = tracked.as_mut() {
                *rmax = (*rmax).max(dg.rage_quit_support());
                let status = dg.timelock.status(*id);
                if dg.rage_quit_escrow != *rq || status == ProposalStatus::Cancelled || dg.persisted_state() == State::RageQuit {
                    tracked = None;
                } else {
                    let scheduled = status == ProposalStatus::Scheduled
                        || dg.schedule(*id, Timestamp(now)).is_ok();
                    if scheduled {
                        let c = &dg.cfg;
                        let sched_at = dg.timelock.get(*id).unwrap().scheduled_at.0;
                        let d = sched_at - *t_sub;
                        let hi = c.after_submit_delay.0 as u64
                            + c.veto_signalling_duration(*rmax).0 as u64
                            + c.veto_signalling_min_active_duration.0 as u64
                            + c.veto_signalling_deactivation_max_duration.0 as u64
                            + 2;
                        prop_assert!(d >= c.after_submit_delay.0 as u64, "scheduled {d}s after submission");
                        prop_assert!(d <= hi, "scheduled {d}s after submission > {hi}");
                        tracked = None;
                    }
                }
            }
        }
    }
}

/// Saturation of the round counter at 255 (`MAX_RAGE_QUIT_ROUND`), driven through the shell:
/// 300 consecutive rage quits RageQuit -> VetoSignalling -> RageQuit. Each rage quit's
/// withdrawals take its stake out of the supply; a positive rebase puts the supply back
/// to 1,000,000 stETH so that every round locks the same fractions of it (locks take
/// stETH that exists: the escrows never hold more than the supply, and the shares left
/// shrink by 11% a round, to about 6e8 of the 1e24 at the start after 300 rounds).
#[test]
fn rage_quit_round_saturates_at_255() {
    let cfg = fast_config();
    let mut dg = DualGovernance::new(cfg, 1_000_000 * ETH, Timestamp(1)).unwrap();
    let mut now = 1u64;
    for round in 1..=300u32 {
        // top the escrow up to 11% of the supply (>= the 10% second seal after rounding)
        let supply = dg.steth.total_supply();
        let e = dg.signalling_escrow;
        let have = dg.signalling_escrow().locked_value(&dg.steth);
        dg.lock(e, 10_000 + round, supply * 11 / 100 - have, Timestamp(now))
            .unwrap();
        assert_eq!(dg.persisted_state(), State::VetoSignalling);
        now += 46;
        dg.activate_next_state(Timestamp(now));
        assert_eq!(dg.persisted_state(), State::RageQuit);
        assert_eq!(dg.ctx.rage_quit_round as u32, round.min(255));
        let expected_w = (6 + 2 * round.min(255)).min(18);
        assert_eq!(
            dg.escrows[dg.rage_quit_escrow.unwrap()]
                .h
                .rage_quit_eth_withdrawals_delay
                .0,
            expected_w
        );
        dg.withdrawals_done(Timestamp(now)).unwrap();
        dg.start_extension(Timestamp(now)).unwrap();
        assert!(dg.held_shares <= dg.steth.total_shares);
        let left = dg.steth.total_supply();
        dg.rebase(1_000_000 * ETH - left, left, false).unwrap();
        // lock >= 1% in the new escrow so that RageQuit exits to VetoSignalling (no reset)
        let e = dg.signalling_escrow;
        dg.lock(
            e,
            20_000 + round,
            dg.steth.total_supply() / 50,
            Timestamp(now),
        )
        .unwrap();
        now += 8;
        dg.activate_next_state(Timestamp(now));
        assert_eq!(dg.persisted_state(), State::VetoSignalling);
    }
    assert_eq!(dg.ctx.rage_quit_round, 255);
}

/// The random sequences of `ticked_rv_bounds` do reach every transition (so the properties
/// are not vacuous): the same generator, driven by a fixed seed, over 300 sequences.
#[test]
fn ticked_sequences_cover_every_transition() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config as PtConfig, RngAlgorithm, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        PtConfig::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7u8; 32]),
    );
    let strat = prop::collection::vec(op_strategy(0), 300..600);
    let mut seen: HashMap<(State, State), usize> = HashMap::new();
    let mut scheduled_in_vc = 0;
    let mut withdrawn = 0;
    for _ in 0..300 {
        let ops = strat.new_tree(&mut runner).unwrap().current();
        let mut dg = DualGovernance::new(fast_config(), 1_000 * ETH, Timestamp(1)).unwrap();
        let mut m = Model::default();
        for (i, op) in ops.iter().enumerate() {
            let now = Timestamp(2 + i as u64);
            for phase in 0..2 {
                let from = dg.persisted_state();
                if phase == 0 {
                    dg.activate_next_state(now);
                } else {
                    let sched = |d: &DualGovernance| {
                        d.timelock
                            .proposals
                            .iter()
                            .filter(|p| p.scheduled_at.is_set())
                            .count()
                    };
                    let before_s = sched(&dg);
                    let before_w: u128 = dg
                        .escrows
                        .iter()
                        .flat_map(|e| e.holders.values())
                        .map(|a| a.withdrawn_eth)
                        .sum();
                    run_op(&mut dg, &mut m, op, now).unwrap();
                    let after_w: u128 = dg
                        .escrows
                        .iter()
                        .flat_map(|e| e.holders.values())
                        .map(|a| a.withdrawn_eth)
                        .sum();
                    withdrawn += (after_w > before_w) as usize;
                    if from == State::VetoCooldown && sched(&dg) > before_s {
                        scheduled_in_vc += 1;
                    }
                }
                let to = dg.persisted_state();
                if from != to {
                    *seen.entry((from, to)).or_default() += 1;
                }
            }
        }
    }
    use State::*;
    for t in [
        (Normal, VetoSignalling),
        (VetoSignalling, VetoSignallingDeactivation),
        (VetoSignallingDeactivation, VetoSignalling),
        (VetoSignallingDeactivation, VetoCooldown),
        (VetoCooldown, Normal),
        (VetoCooldown, VetoSignalling),
        (VetoSignalling, RageQuit),
        (RageQuit, VetoCooldown),
        (RageQuit, VetoSignalling),
    ] {
        assert!(
            seen.get(&t).copied().unwrap_or(0) > 0,
            "transition {t:?} never reached: {seen:?}"
        );
    }
    assert!(
        scheduled_in_vc > 0,
        "no proposal was ever scheduled in VetoCooldown"
    );
    assert!(withdrawn > 0, "no ETH was ever withdrawn");
}

//! Operators inside a provider: who holds the validator keys, and the rules that assign
//! new validators to them and pick the ones that exit.
//!
//! # Allocation rules (one validator per deposit)
//!
//! * [`Allocation::MinFirst`] — Lido's staking router (`MinFirstAllocationStrategy`, used by
//!   the router across modules and by the curated module across operators): the deposit goes
//!   to the operator with the **fewest active validators** among those below their limit;
//!   **ties go to the lowest operator index** (the on-chain loop keeps the first bucket
//!   with the lowest allocation). Dealing one validator at a time this way gives the same
//!   counts as the contract's batch water-filling (which hands the first of k tied buckets
//!   ⌈n/k⌉ at once), and keeps max − min ≤ 1 among operators without limits or exits.
//! * [`Allocation::Proportional`] — the deposit goes to operator i with probability
//!   weight_i / Σ weight over the operators below their limit (a provider that splits its
//!   stake among partners by contract; weights default to the initial validators).
//! * [`Allocation::Single`] — one operator: the provider runs its own keys (an exchange).
//! * [`Allocation::Bonded`] — permissionless operators who post a bond: the deposit goes to
//!   the operator with the smallest (active + 1) / bond (the D'Hondt highest-averages rule,
//!   ties to the lowest index), so validators stay in proportion to bonds (every operator
//!   holds at least ⌊bond share × validators⌋ when all start from zero); an operator can
//!   run at most ⌊bond / bond_per_validator⌋ validators when `bond_per_validator` > 0.
//!
//! A **limit** of an operator is the smaller of its own target limit (Lido's DAO-set target
//! limit; for a bonded operator also its bond capacity) and the provider-wide per-operator
//! cap of a policy. Deposits never push an operator above its limit; an operator already
//! above it (a cap lowered later) receives nothing and keeps what it has.
//!
//! # Exit rules
//!
//! Exits are requested validator by validator among validators not yet asked to exit:
//! * [`ExitRule::MaxFirst`] — from the operator with the most such validators, ties to the
//!   lowest index (Lido's "top-down" exits, the mirror of min-first);
//! * [`ExitRule::Random`] — a uniformly random such validator of the provider (operator i
//!   with probability proportional to its count).

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::model::adoption::SumTree;

/// How a provider assigns new validators to its operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allocation {
    /// Fewest active validators first, ties to the lowest index (Lido's staking router).
    MinFirst,
    /// At random in proportion to weights.
    Proportional,
    /// One operator: the provider runs its own keys.
    Single,
    /// Smallest `(active + 1) / bond` first (D'Hondt), within bond capacity.
    Bonded,
}

impl Allocation {
    /// The name used in scenarios (`allocation = "..."`).
    pub fn name(self) -> &'static str {
        match self {
            Allocation::MinFirst => "min_first",
            Allocation::Proportional => "proportional",
            Allocation::Single => "single",
            Allocation::Bonded => "bonded",
        }
    }

    /// The exit rule a provider uses unless it says otherwise: max-first for min-first
    /// (Lido), random for the others.
    pub fn default_exits(self) -> ExitRule {
        match self {
            Allocation::MinFirst => ExitRule::MaxFirst,
            _ => ExitRule::Random,
        }
    }
}

/// Which validators of a provider exit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitRule {
    /// From the operator with the most validators not yet asked to exit (Lido's top-down).
    MaxFirst,
    /// A uniformly random validator not yet asked to exit.
    Random,
}

impl ExitRule {
    /// The name used in scenarios (`exits = "..."`).
    pub fn name(self) -> &'static str {
        match self {
            ExitRule::MaxFirst => "max_first",
            ExitRule::Random => "random",
        }
    }
}

/// No limit.
pub const UNLIMITED: u64 = u64::MAX;

/// Arg-min over f64 keys with ties to the lowest index: a segment tree (O(log n) update
/// and query). `f64::INFINITY` marks an ineligible leaf.
#[derive(Debug, Clone)]
pub(crate) struct ArgMin {
    size: usize,
    key: Vec<f64>,
    idx: Vec<u32>,
}

impl ArgMin {
    pub(crate) fn new(keys: &[f64]) -> ArgMin {
        let size = keys.len().next_power_of_two().max(1);
        let mut t = ArgMin {
            size,
            key: vec![f64::INFINITY; 2 * size],
            idx: vec![u32::MAX; 2 * size],
        };
        for (i, &k) in keys.iter().enumerate() {
            t.key[size + i] = k;
            t.idx[size + i] = i as u32;
        }
        for i in (1..size).rev() {
            t.pull(i);
        }
        t
    }

    #[inline]
    fn pull(&mut self, i: usize) {
        let (l, r) = (2 * i, 2 * i + 1);
        // The left child holds the lower indices: it wins ties.
        let c = if self.key[r] < self.key[l] { r } else { l };
        self.key[i] = self.key[c];
        self.idx[i] = self.idx[c];
    }

    pub(crate) fn set(&mut self, i: usize, key: f64) {
        let mut j = self.size + i;
        self.key[j] = key;
        while j > 1 {
            j /= 2;
            self.pull(j);
        }
    }

    /// The index with the smallest key (lowest index among ties), `None` if every key is
    /// infinite.
    pub(crate) fn best(&self) -> Option<usize> {
        (self.key[1] < f64::INFINITY).then_some(self.idx[1] as usize)
    }
}

#[derive(Debug, Clone)]
enum DepositIndex {
    Min(ArgMin),
    Weighted(SumTree<f64>),
    Single,
}

#[derive(Debug, Clone)]
enum ExitIndex {
    Max(ArgMin),
    Random(SumTree<u64>),
}

/// The operators of one provider: validators per operator, limits, and the indexes that
/// serve the allocation and exit rules. Every count is an integer; `total` is always
/// Σ active.
#[derive(Debug, Clone)]
pub struct OperatorSet {
    rule: Allocation,
    exit_rule: ExitRule,
    active: Vec<u64>,
    exiting: Vec<u64>,
    /// Own target limit per operator (bond capacity included), [`UNLIMITED`] if none.
    limit: Vec<u64>,
    /// Proportional weights or bonds.
    weight: Vec<f64>,
    /// Per-operator cap of a policy, [`UNLIMITED`] if none.
    cap: u64,
    total: u64,
    exiting_total: u64,
    deposit: DepositIndex,
    exit: ExitIndex,
}

impl OperatorSet {
    /// `active[i]` validators per operator, `limit[i]` ([`UNLIMITED`] for none), `weight[i]`
    /// (proportional weight, or bond for [`Allocation::Bonded`]; > 0 for bonded).
    pub fn new(
        rule: Allocation,
        exit_rule: ExitRule,
        active: Vec<u64>,
        limit: Vec<u64>,
        weight: Vec<f64>,
    ) -> OperatorSet {
        let n = active.len();
        assert!(n >= 1 && limit.len() == n && weight.len() == n);
        assert!(rule != Allocation::Single || n == 1, "single: one operator");
        let mut s = OperatorSet {
            rule,
            exit_rule,
            total: active.iter().sum(),
            exiting: vec![0; n],
            active,
            limit,
            weight,
            cap: UNLIMITED,
            exiting_total: 0,
            deposit: DepositIndex::Single,
            exit: ExitIndex::Random(SumTree::new(&[0u64])),
        };
        s.rebuild();
        s
    }

    fn rebuild(&mut self) {
        let n = self.active.len();
        self.deposit = match self.rule {
            Allocation::MinFirst | Allocation::Bonded => {
                let keys: Vec<f64> = (0..n).map(|i| self.deposit_key(i)).collect();
                DepositIndex::Min(ArgMin::new(&keys))
            }
            Allocation::Proportional => {
                let w: Vec<f64> = (0..n).map(|i| self.deposit_weight(i)).collect();
                DepositIndex::Weighted(SumTree::new(&w))
            }
            Allocation::Single => DepositIndex::Single,
        };
        self.exit = match self.exit_rule {
            ExitRule::MaxFirst => {
                let keys: Vec<f64> = (0..n).map(|i| self.exit_key(i)).collect();
                ExitIndex::Max(ArgMin::new(&keys))
            }
            ExitRule::Random => {
                let c: Vec<u64> = (0..n).map(|i| self.available_of(i)).collect();
                ExitIndex::Random(SumTree::new(&c))
            }
        };
    }

    #[inline]
    fn room(&self, i: usize) -> bool {
        self.active[i] < self.limit[i].min(self.cap)
    }

    #[inline]
    fn deposit_key(&self, i: usize) -> f64 {
        if !self.room(i) {
            return f64::INFINITY;
        }
        match self.rule {
            Allocation::Bonded => (self.active[i] + 1) as f64 / self.weight[i],
            _ => self.active[i] as f64,
        }
    }

    #[inline]
    fn deposit_weight(&self, i: usize) -> f64 {
        if self.room(i) { self.weight[i] } else { 0.0 }
    }

    #[inline]
    fn available_of(&self, i: usize) -> u64 {
        self.active[i] - self.exiting[i]
    }

    #[inline]
    fn exit_key(&self, i: usize) -> f64 {
        match self.available_of(i) {
            0 => f64::INFINITY,
            a => -(a as f64),
        }
    }

    fn update(&mut self, i: usize) {
        let (dk, dw, ek, ea) = (
            self.deposit_key(i),
            self.deposit_weight(i),
            self.exit_key(i),
            self.available_of(i),
        );
        match &mut self.deposit {
            DepositIndex::Min(t) => t.set(i, dk),
            DepositIndex::Weighted(t) => t.set(i, dw),
            DepositIndex::Single => {}
        }
        match &mut self.exit {
            ExitIndex::Max(t) => t.set(i, ek),
            ExitIndex::Random(t) => t.set(i, ea),
        }
    }

    /// The allocation rule.
    pub fn allocation(&self) -> Allocation {
        self.rule
    }

    /// The exit rule.
    pub fn exit_rule(&self) -> ExitRule {
        self.exit_rule
    }

    /// Active validators per operator (including those asked to exit).
    pub fn active(&self) -> &[u64] {
        &self.active
    }

    /// Validators per operator asked to exit and still waiting in the exit queue.
    pub fn exiting(&self) -> &[u64] {
        &self.exiting
    }

    /// Σ active.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Active validators not yet asked to exit.
    pub fn available(&self) -> u64 {
        self.total - self.exiting_total
    }

    /// The effective limit of operator i (own limit and the policy cap).
    pub fn limit(&self, i: usize) -> u64 {
        self.limit[i].min(self.cap)
    }

    /// Set the per-operator cap of a policy ([`UNLIMITED`] for none).
    pub fn set_cap(&mut self, cap: u64) {
        if cap != self.cap {
            self.cap = cap;
            self.rebuild();
        }
    }

    /// Whether some operator can take another validator.
    pub fn has_room(&self) -> bool {
        match &self.deposit {
            DepositIndex::Min(t) => t.best().is_some(),
            DepositIndex::Weighted(t) => t.total() > 0.0,
            DepositIndex::Single => self.room(0),
        }
    }

    /// Assign one new validator by the allocation rule; `None` if every operator is at its
    /// limit (nothing changes then).
    pub fn deposit(&mut self, rng: &mut ChaCha8Rng) -> Option<usize> {
        let i = match &self.deposit {
            DepositIndex::Min(t) => t.best()?,
            DepositIndex::Weighted(t) => {
                let total = t.total();
                if total <= 0.0 {
                    return None;
                }
                loop {
                    let (i, _) = t.find(rng.random::<f64>() * total);
                    // Rounding can land past the last leaf or on a zero leaf: draw again.
                    if i < self.active.len() && self.deposit_weight(i) > 0.0 {
                        break i;
                    }
                }
            }
            DepositIndex::Single => {
                if !self.room(0) {
                    return None;
                }
                0
            }
        };
        self.active[i] += 1;
        self.total += 1;
        self.update(i);
        Some(i)
    }

    /// Ask `m` validators (at most [`OperatorSet::available`]) to exit, chosen by the exit
    /// rule. Adds the count per operator to `out` (indexed by operator, zeroed by the
    /// caller); returns how many were asked.
    pub fn request_exits(&mut self, m: u64, rng: &mut ChaCha8Rng, out: &mut [u64]) -> u64 {
        let m = m.min(self.available());
        for _ in 0..m {
            let i = match &self.exit {
                ExitIndex::Max(t) => t.best().expect("an available validator"),
                ExitIndex::Random(t) => t.find(rng.random_range(0..t.total())).0,
            };
            self.exiting[i] += 1;
            self.exiting_total += 1;
            out[i] += 1;
            self.update(i);
        }
        m
    }

    /// `m` validators of operator i that were asked to exit leave.
    pub fn complete_exits(&mut self, i: usize, m: u64) {
        assert!(
            m <= self.exiting[i],
            "completing more exits than were requested"
        );
        self.exiting[i] -= m;
        self.exiting_total -= m;
        self.active[i] -= m;
        self.total -= m;
        self.update(i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng;

    #[test]
    fn argmin_ties_to_lowest_index() {
        let mut t = ArgMin::new(&[3.0, 1.0, 1.0, f64::INFINITY, 2.0]);
        assert_eq!(t.best(), Some(1));
        t.set(1, 5.0);
        assert_eq!(t.best(), Some(2));
        t.set(0, 1.0);
        assert_eq!(t.best(), Some(0));
        let empty = ArgMin::new(&[f64::INFINITY, f64::INFINITY]);
        assert_eq!(empty.best(), None);
    }

    #[test]
    fn min_first_deals_in_index_order() {
        let mut s = OperatorSet::new(
            Allocation::MinFirst,
            ExitRule::MaxFirst,
            vec![0; 3],
            vec![UNLIMITED; 3],
            vec![1.0; 3],
        );
        let mut g = rng::stream(1, 0);
        let got: Vec<usize> = (0..7).map(|_| s.deposit(&mut g).unwrap()).collect();
        assert_eq!(got, vec![0, 1, 2, 0, 1, 2, 0]);
        let mut out = vec![0; 3];
        assert_eq!(s.request_exits(2, &mut g, &mut out), 2);
        // Max-first: operator 0 (3 available); then all three have 2 and the tie goes to
        // the lowest index, operator 0 again.
        assert_eq!(out, vec![2, 0, 0]);
        s.complete_exits(0, 2);
        assert_eq!(s.active(), &[1, 2, 2]);
        assert_eq!(s.total(), 5);
    }

    #[test]
    fn single_and_limits() {
        let mut s = OperatorSet::new(
            Allocation::Single,
            ExitRule::Random,
            vec![5],
            vec![6],
            vec![1.0],
        );
        let mut g = rng::stream(2, 0);
        assert_eq!(s.deposit(&mut g), Some(0));
        assert!(!s.has_room());
        assert_eq!(s.deposit(&mut g), None);
        assert_eq!(s.total(), 6);
    }
}

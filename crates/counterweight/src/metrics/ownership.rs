//! Common ownership: the modified HHI of O'Brien and Salop (2000), as used by Azar,
//! Schmalz and Tecu (2018) to measure how investors who own several competitors soften
//! competition between them.
//!
//! Firm j's manager is assumed to maximise a control-weighted sum of its owners'
//! portfolio profits, Σ_i γ_ij Σ_k β_ik π_k, where β_ik is investor i's ownership (cash-flow
//! rights) of firm k and γ_ij its control of firm j (equal to ownership unless given). In a
//! Cournot market this behaves as if concentration were
//!
//! ```text
//! MHHI = Σ_j Σ_k s_j s_k (Σ_i γ_ij β_ik) / (Σ_i γ_ij β_ij)  =  HHI + ΔMHHI,
//! ΔMHHI = Σ_j Σ_{k≠j} s_j s_k (Σ_i γ_ij β_ik) / (Σ_i γ_ij β_ij),
//! ```
//!
//! with market shares s_j. Separate owners give ΔMHHI = 0; one investor owning every firm
//! outright gives MHHI = 1 (a monopoly) whatever the shares. ΔMHHI is computed directly (not
//! as MHHI − HHI), in O(number of stakes): with B_i = Σ_k β_ik s_k,
//! ΔMHHI = Σ_j (s_j / D_j) Σ_i γ_ij (B_i − β_ij s_j), D_j = Σ_i γ_ij β_ij.
//!
//! Ownership fractions may sum to less than 1 per firm (the rest held by dispersed holders
//! who exert no control); they may not exceed 1 (beyond [`SUM_TOLERANCE`] for rounding in
//! data). The same holds for control.

use thiserror::Error;

use super::MetricsError;

/// Per-firm totals of ownership or control may exceed 1 by this much (rounding in data,
/// e.g. three stakes of 0.333333 and one of 0.000001).
pub const SUM_TOLERANCE: f64 = 1e-9;

/// One investor's stake in one firm.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stake {
    /// Index of the investor (any numbering; only equality matters).
    pub investor: usize,
    /// Index of the firm into the market-share values.
    pub firm: usize,
    /// β: the fraction of the firm's profits the investor owns, in [0, 1].
    pub ownership: f64,
    /// γ: the fraction of control, in [0, 1] (equal to `ownership` unless data say otherwise).
    pub control: f64,
}

impl Stake {
    /// A stake whose control equals its ownership.
    pub fn new(investor: usize, firm: usize, fraction: f64) -> Stake {
        Stake {
            investor,
            firm,
            ownership: fraction,
            control: fraction,
        }
    }
}

/// HHI, MHHI and their difference, all in [0, 1] scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CommonOwnership {
    /// HHI of market shares, `Σ s_j²`.
    pub hhi: f64,
    /// Modified HHI with common ownership (O'Brien–Salop), `HHI + ΔMHHI`.
    pub mhhi: f64,
    /// ΔMHHI, the part of the MHHI due to investors owning several firms.
    pub delta_mhhi: f64,
}

/// Why the MHHI cannot be computed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum OwnershipError {
    /// The market shares are invalid (empty, negative or zero in total).
    #[error("market shares: {0}")]
    Shares(MetricsError),
    /// An ownership or control fraction is outside `[0, 1]`.
    #[error(
        "stake {index} (investor {investor}, firm {firm}): {field} = {value} is outside [0, 1]"
    )]
    FractionOutOfRange {
        /// 0-based index of the stake.
        index: usize,
        /// Its investor.
        investor: usize,
        /// Its firm.
        firm: usize,
        /// `"fraction"` (ownership) or `"control"`.
        field: &'static str,
        /// The fraction found.
        value: f64,
    },
    /// A stake names a firm that has no market share.
    #[error("stake {index}: firm {firm} is not among the {firms} firms with market shares")]
    UnknownFirm {
        /// 0-based index of the stake.
        index: usize,
        /// The firm named.
        firm: usize,
        /// The number of firms with market shares.
        firms: usize,
    },
    /// A firm has no stake with positive ownership and control (its weight in the MHHI
    /// would be undefined).
    #[error(
        "firm {firm} has no owners (no stake with positive ownership and control); every firm needs at least one"
    )]
    FirmWithoutOwners {
        /// The firm.
        firm: usize,
    },
    /// A firm's ownership or control fractions sum above 1 (beyond [`SUM_TOLERANCE`]).
    #[error("firm {firm}: the {field} fractions sum to {total}, more than 1")]
    OwnedAboveOne {
        /// The firm.
        firm: usize,
        /// `"fraction"` (ownership) or `"control"`.
        field: &'static str,
        /// The sum found.
        total: f64,
    },
}

/// HHI, MHHI and ΔMHHI of firms with sizes `values` (market shares s_j = x_j/Σx, or shares
/// already) and the given stakes. Several stakes of one investor in one firm add up.
///
/// Errors: invalid sizes (empty, negative, all zero); a fraction outside [0, 1]; a stake in
/// a firm index ≥ `values.len()`; a firm whose ownership or control sums above 1 (+
/// [`SUM_TOLERANCE`]); a firm with Σ_i γ_ij β_ij = 0 (no owner with both ownership and control).
pub fn common_ownership(
    values: &[f64],
    stakes: &[Stake],
) -> Result<CommonOwnership, OwnershipError> {
    if values.is_empty() {
        return Err(OwnershipError::Shares(MetricsError::Empty));
    }
    let mut total = 0.0;
    for (index, &x) in values.iter().enumerate() {
        if !(x.is_finite() && x >= 0.0) {
            return Err(OwnershipError::Shares(MetricsError::InvalidValue {
                index,
                value: x,
            }));
        }
        total += x;
    }
    if total <= 0.0 {
        return Err(OwnershipError::Shares(MetricsError::ZeroTotal));
    }
    let shares: Vec<f64> = values.iter().map(|x| x / total).collect();
    let firms = values.len();
    let investors = stakes.iter().map(|s| s.investor + 1).max().unwrap_or(0);

    let mut owned = vec![0.0; firms];
    let mut controlled = vec![0.0; firms];
    let mut diag = vec![0.0; firms]; // D_j = Σ_i γ_ij β_ij
    let mut portfolio = vec![0.0; investors]; // B_i = Σ_k β_ik s_k
    for (index, s) in stakes.iter().enumerate() {
        for (field, value) in [("fraction", s.ownership), ("control", s.control)] {
            if !(0.0..=1.0).contains(&value) {
                return Err(OwnershipError::FractionOutOfRange {
                    index,
                    investor: s.investor,
                    firm: s.firm,
                    field,
                    value,
                });
            }
        }
        if s.firm >= firms {
            return Err(OwnershipError::UnknownFirm {
                index,
                firm: s.firm,
                firms,
            });
        }
        owned[s.firm] += s.ownership;
        controlled[s.firm] += s.control;
        portfolio[s.investor] += s.ownership * shares[s.firm];
    }
    for j in 0..firms {
        for (field, total) in [("fraction", owned[j]), ("control", controlled[j])] {
            if total > 1.0 + SUM_TOLERANCE {
                return Err(OwnershipError::OwnedAboveOne {
                    firm: j,
                    field,
                    total,
                });
            }
        }
    }
    // D_j needs the per-(investor, firm) totals when an investor has several stakes in one
    // firm: Σ_i (Σ γ)(Σ β). Merge stakes by (firm, investor).
    let mut merged: Vec<Stake> = stakes.to_vec();
    merged.sort_by_key(|a| (a.firm, a.investor));
    merged.dedup_by(|next, kept| {
        if next.firm == kept.firm && next.investor == kept.investor {
            kept.ownership += next.ownership;
            kept.control += next.control;
            true
        } else {
            false
        }
    });
    for s in &merged {
        diag[s.firm] += s.control * s.ownership;
    }
    for (j, &d) in diag.iter().enumerate() {
        if d <= 0.0 {
            return Err(OwnershipError::FirmWithoutOwners { firm: j });
        }
    }
    let hhi: f64 = shares.iter().map(|s| s * s).sum();
    let mut delta = 0.0;
    // Stakes grouped by firm (merged is sorted by firm).
    let mut start = 0;
    while start < merged.len() {
        let j = merged[start].firm;
        let mut end = start;
        let mut inner = 0.0;
        while end < merged.len() && merged[end].firm == j {
            let s = &merged[end];
            inner += s.control * (portfolio[s.investor] - s.ownership * shares[j]);
            end += 1;
        }
        delta += shares[j] / diag[j] * inner;
        start = end;
    }
    // B_i − β_ij s_j ≥ 0 mathematically; rounding may leave −1e-17.
    let delta = delta.max(0.0);
    Ok(CommonOwnership {
        hhi,
        mhhi: hhi + delta,
        delta_mhhi: delta,
    })
}

//! Tail family: the Hill estimator of the Pareto tail exponent (validation.md §7.6).

use super::MetricsError;
use super::sorted::Sorted;

/// A Hill estimate with the number of order statistics it used.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HillEstimate {
    /// `α̂_k = [ (1/k)·Σ_{i=1..k} ln(X_(i) / X_(k+1)) ]^{−1}`, `X_(1) >= X_(2) >= …`.
    pub alpha: f64,
    /// Asymptotic standard error α̂/√k.
    pub se: f64,
    /// The k actually used (0 when n < 2).
    pub k: usize,
}

/// Default k: round(√n) clamped to [1, n−1] (0 when n < 2).
pub fn default_hill_k(n: usize) -> usize {
    clamp_k((n as f64).sqrt().round() as usize, n)
}

fn clamp_k(k: usize, n: usize) -> usize {
    if n < 2 { 0 } else { k.clamp(1, n - 1) }
}

/// Hill estimator on the k largest values with threshold X_[k+1] (k terms).
/// `k = None` uses [`default_hill_k`]; an explicit k is clamped to [1, n−1] too (so a fixed
/// k can be used on groups of varying size). `alpha` and `se` are NaN when n < 2 or the
/// threshold X_[k+1] is 0, and +∞ when the k+1 largest values are all equal (no tail).
///
/// Errors: `Empty`, `InvalidValue` (a zero total is not an error here).
pub fn hill(values: &[f64], k: Option<usize>) -> Result<HillEstimate, MetricsError> {
    let s = Sorted::new(values)?;
    Ok(hill_sorted(&s, k))
}

pub(crate) fn hill_sorted(s: &Sorted, k: Option<usize>) -> HillEstimate {
    let n = s.n();
    let k = match k {
        Some(k) => clamp_k(k, n),
        None => default_hill_k(n),
    };
    if k == 0 {
        return HillEstimate {
            alpha: f64::NAN,
            se: f64::NAN,
            k,
        };
    }
    let threshold = s.desc(k);
    if threshold <= 0.0 {
        return HillEstimate {
            alpha: f64::NAN,
            se: f64::NAN,
            k,
        };
    }
    // Largest first, fixed order.
    let sum_ln: f64 = (0..k).map(|i| (s.desc(i) / threshold).ln()).sum();
    let alpha = k as f64 / sum_ln;
    HillEstimate {
        alpha,
        se: alpha / (k as f64).sqrt(),
        k,
    }
}

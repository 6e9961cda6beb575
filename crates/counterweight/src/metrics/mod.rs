//! Concentration and inequality measures on a slice of non-negative values.
//!
//! Definitions and test vectors: `shared/reference/validation.md` §7 (DESIGN.md §6).
//! The signatures below are what the runner, `measure` and the outputs rely on.
//!
//! Layout: one module per metric family, re-exported here.
//! * `concentration` — HHI, effective number, top-k / top-p shares, Nakamoto coefficients;
//! * `inequality` — Gini (population), Theil T, Lorenz curve;
//! * `tail` — Hill estimator;
//! * `layer` — [`LayerMetrics`], one layer of holdings with Nakamoto coefficients at 1/3,
//!   1/2 and 2/3 (the staking model's layers, `measure --group`);
//! * `columns` — [`MetricColumns`], the contract CSV/Parquet columns;
//! * `sorted` — validation, the one sort per call, deterministic chunked sums;
//! * [`interval`] — confidence intervals of a mean over replicates (Student-t, Wilson,
//!   logit-transformed t) for sweep summaries.
//!
//! Conventions (validation.md §7): shares s_i = x_i/X; **population** Gini by the sorted
//! formula; Theil T with 0·ln 0 = 0; top-p shares interpolated on the piecewise-linear
//! Lorenz curve (top 30% of n = 4 covers 1.2 entities); Nakamoto strict (share > θ);
//! Hill threshold at the (k+1)-th largest value.
//!
//! Cost: one validation pass and one sort (a radix sort on the bit patterns from 4,096
//! values on, the standard comparison sort below; buffers reused between calls), then
//! one pass for HHI, Gini and Theil together and short passes over the largest values
//! for the top shares, Nakamoto and Hill. Sums run over fixed chunks added in a fixed
//! order, so results are bit-identical for any number of threads.

use thiserror::Error;

mod columns;
mod concentration;
mod inequality;
pub mod interval;
mod layer;
pub mod ownership;
mod sorted;
mod tail;

pub use columns::{METRIC_COLUMN_NAMES, MetricColumns, label, unit_interval};
pub use concentration::{nakamoto_at, top_share};
pub use inequality::lorenz;
pub use layer::{LAYER_METRIC_NAMES, LayerMetrics};
pub(crate) use sorted::sorted_finite;
pub use tail::{HillEstimate, default_hill_k, hill};

use sorted::Sorted;

/// Why a metric cannot be computed.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum MetricsError {
    /// No values at all.
    #[error("no values")]
    Empty,
    /// A value is negative, NaN or infinite.
    #[error("value {index} is negative or not finite ({value})")]
    InvalidValue {
        /// 0-based position of the value.
        index: usize,
        /// The value found.
        value: f64,
    },
    /// All values are zero: shares are undefined.
    #[error("the values sum to zero")]
    ZeroTotal,
}

/// Options for [`concentration()`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricOptions {
    /// k of the top-k share column (`top{k}_share`).
    pub top_k: usize,
    /// Number of order statistics used by the Hill estimator; `None` = round(sqrt(n)),
    /// clamped to [1, n-1].
    pub hill_k: Option<usize>,
}

impl Default for MetricOptions {
    fn default() -> Self {
        MetricOptions {
            top_k: 3,
            hill_k: None,
        }
    }
}

/// All the summary metrics of one distribution (one recorded step, one group).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Concentration {
    /// Number of values (actors).
    pub n: usize,
    /// Sum of the values.
    pub total: f64,
    /// Herfindahl–Hirschman index `Σ s_i²`, in `[1/n, 1]` (DESIGN §6).
    pub hhi: f64,
    /// Effective number of actors `1/HHI`, in `[1, n]`.
    pub effective_number: f64,
    /// Population Gini (range [0, (n-1)/n]).
    pub gini: f64,
    /// Theil T index `Σ s_i ln(n s_i)`, in `[0, ln n]`.
    pub theil_t: f64,
    /// Share of the largest actor.
    pub top1_share: f64,
    /// Combined share of the `top_k` largest actors (all of them if k > n).
    pub topk_share: f64,
    /// Share of the top 1 % of actors (Lorenz-interpolated).
    pub top1pct_share: f64,
    /// Share of the top 10 % of actors (Lorenz-interpolated).
    pub top10pct_share: f64,
    /// Smallest number of actors whose combined share is strictly above 1/3.
    pub nakamoto_1_3: Option<usize>,
    /// Smallest number of actors whose combined share is strictly above 1/2.
    pub nakamoto_1_2: Option<usize>,
    /// Hill tail exponent (NaN when n < 2).
    pub hill_alpha: f64,
    /// Its asymptotic standard error alpha/sqrt(k).
    pub hill_se: f64,
}

/// Every metric of [`Concentration`] from one sort of the values.
///
/// * `hhi` = Σ s_i² in [1/n, 1]; `effective_number` = 1/HHI in [1, n].
/// * `gini`: population Gini, sorted formula 2·Σ i·x_(i)/(n·X) − (n+1)/n (ascending,
///   1-based i), range [0, (n−1)/n].
/// * `theil_t` = Σ s_i ln(n s_i), 0·ln 0 = 0, range [0, ln n].
/// * `top1_share`, `topk_share` (k = `opts.top_k`, all of them if k > n, 0 if k = 0).
/// * `top1pct_share`, `top10pct_share`: interpolated on the Lorenz curve (top p·n entities,
///   a fractional entity counted with that fraction of its value).
/// * `nakamoto_1_3`, `nakamoto_1_2`: smallest k with 3·S_k > X, resp. 2·S_k > X (strict).
/// * `hill_alpha`, `hill_se`: see [`hill`] (k = `opts.hill_k`, default round(√n) clamped to
///   [1, n−1]; NaN when n < 2 or the threshold value is 0).
///
/// HHI, Gini and Theil are clamped to their mathematical ranges (removes rounding
/// excursions of order 1e-16, e.g. a Gini of −1e-17 for equal values).
///
/// Errors: empty slice → `Empty`; a negative, NaN or infinite value → `InvalidValue` (the
/// first one); all zeros → `ZeroTotal`. A total that overflows to +∞ (values summing past
/// f64::MAX ≈ 1.8e308) is not detected; the share metrics are then meaningless.
pub fn concentration(values: &[f64], opts: &MetricOptions) -> Result<Concentration, MetricsError> {
    of_sorted(&Sorted::new(values)?, opts)
}

/// [`concentration()`], and the values sorted ascending (`f64::total_cmp` order) that it
/// computed them from, for a caller that needs that order too (the run's final-state
/// charts) instead of sorting again.
pub(crate) fn concentration_and_sorted(
    values: &[f64],
    opts: &MetricOptions,
) -> Result<(Concentration, Vec<f64>), MetricsError> {
    let mut s = Sorted::new(values)?;
    let c = of_sorted(&s, opts)?;
    Ok((c, std::mem::take(&mut s.asc)))
}

fn of_sorted(s: &Sorted, opts: &MetricOptions) -> Result<Concentration, MetricsError> {
    if s.total <= 0.0 {
        return Err(MetricsError::ZeroTotal);
    }
    // The three sums run over fixed chunks on the pool; the running sums from the top
    // (Nakamoto, the top shares; Hill's largest values) are chains of additions on one
    // thread (0.3–0.5 ms at 10^6 values), so for large n they run beside the sums instead
    // of after them, with the pool idle.
    let tops = || {
        (
            concentration::nakamoto(s),
            tail::hill_sorted(s, opts.hill_k),
            concentration::top_k_share(s, 1),
            concentration::top_k_share(s, opts.top_k),
            concentration::top_fraction_share(s, 1, 100),
            concentration::top_fraction_share(s, 10, 100),
        )
    };
    let ((hhi, gini, theil_t), tops) = if s.n() >= sorted::PAR_THRESHOLD {
        rayon::join(|| inequality::hhi_gini_theil(s), tops)
    } else {
        (inequality::hhi_gini_theil(s), tops())
    };
    let ((nakamoto_1_3, nakamoto_1_2), hill, top1_share, topk_share, top1pct, top10pct) = tops;
    Ok(Concentration {
        n: s.n(),
        total: s.total,
        hhi,
        effective_number: (1.0 / hhi).clamp(1.0, s.n() as f64),
        gini,
        theil_t,
        top1_share,
        topk_share,
        top1pct_share: top1pct,
        top10pct_share: top10pct,
        nakamoto_1_3,
        nakamoto_1_2,
        hill_alpha: hill.alpha,
        hill_se: hill.se,
    })
}

//! Concentration and inequality measures on a slice of non-negative values.
//!
//! Definitions and test vectors: `shared/reference/validation.md` §7 (DESIGN.md §6).
//! HELPER-OWNED: the metrics helper implements this module; the signatures below are the
//! contract the runner, `measure` and the outputs rely on.

use thiserror::Error;

/// Why a metric cannot be computed.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum MetricsError {
    #[error("no values")]
    Empty,
    #[error("value {index} is negative or not finite ({value})")]
    InvalidValue { index: usize, value: f64 },
    #[error("the values sum to zero")]
    ZeroTotal,
}

/// Options for [`concentration`].
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
    pub n: usize,
    pub total: f64,
    pub hhi: f64,
    pub effective_number: f64,
    /// Population Gini (range [0, (n-1)/n]).
    pub gini: f64,
    pub theil_t: f64,
    pub top1_share: f64,
    pub topk_share: f64,
    pub top1pct_share: f64,
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
pub fn concentration(values: &[f64], opts: &MetricOptions) -> Result<Concentration, MetricsError> {
    let _ = (values, opts);
    unimplemented!("metrics helper")
}

/// Lorenz curve: `points + 1` pairs (population share, value share) from (0,0) to (1,1),
/// at equally spaced population shares, piecewise-linear interpolation.
pub fn lorenz(values: &[f64], points: usize) -> Result<Vec<(f64, f64)>, MetricsError> {
    let _ = (values, points);
    unimplemented!("metrics helper")
}

/// Accumulates [`Concentration`] rows into the contract columns (stub until merged).
pub struct MetricColumns {
    top_k: usize,
    rows: Vec<Concentration>,
}

impl MetricColumns {
    pub fn new(top_k: usize) -> Self {
        MetricColumns { top_k, rows: Vec::new() }
    }
    pub fn push(&mut self, c: &Concentration) {
        self.rows.push(*c);
    }
    pub fn into_columns(self, suffix: &str) -> Vec<(String, crate::io::Column)> {
        let _ = (self.top_k, suffix);
        unimplemented!()
    }
}

//! The metrics of one layer of holdings (stake by provider, by operator, by controller; or
//! any grouping `measure --group` reads): holders, HHI, effective number, top-1 share and
//! the strict Nakamoto coefficients at 1/3, 1/2 and 2/3 (2/3: enough to finalise alone in a
//! proof-of-stake network). Unlike [`super::concentration()`], a zero total is not an error:
//! a layer can be empty (NaN shares, no Nakamoto coefficients).

use super::{MetricOptions, MetricsError, concentration, nakamoto_at};

/// The metrics recorded per layer, in column order (`{layer}_{metric}`).
pub const LAYER_METRIC_NAMES: [&str; 7] = [
    "n",
    "hhi",
    "effective_number",
    "top1_share",
    "nakamoto_1_3",
    "nakamoto_1_2",
    "nakamoto_2_3",
];

/// Concentration of one layer's holdings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayerMetrics {
    /// Holders (providers, operators or controllers), including empty ones.
    pub n: usize,
    /// The layer's total holdings (0 for an empty layer), in the holdings' unit.
    pub total: f64,
    /// Herfindahl–Hirschman index `Σ s_i²` on the [0, 1] scale (DESIGN.md §6); NaN for a
    /// zero total.
    pub hhi: f64,
    /// `1 / HHI`: the number of equal holders with the same HHI; NaN for a zero total.
    pub effective_number: f64,
    /// The largest holder's share; NaN for a zero total.
    pub top1_share: f64,
    /// Smallest number of holders with strictly more than 1/3 of the layer's stake
    /// (enough to stop finality, or to censor, at the consensus layer).
    pub nakamoto_1_3: Option<usize>,
    /// Smallest number with strictly more than 1/2 (a majority).
    pub nakamoto_1_2: Option<usize>,
    /// Smallest number with strictly more than 2/3 (enough to finalise alone).
    pub nakamoto_2_3: Option<usize>,
}

impl LayerMetrics {
    /// The metrics of `values` (non-negative). A zero total gives NaN shares and no
    /// Nakamoto coefficients.
    pub fn of(values: &[f64]) -> Result<LayerMetrics, MetricsError> {
        match concentration(values, &MetricOptions::default()) {
            Ok(c) => Ok(LayerMetrics {
                n: c.n,
                total: c.total,
                hhi: c.hhi,
                effective_number: c.effective_number,
                top1_share: c.top1_share,
                nakamoto_1_3: c.nakamoto_1_3,
                nakamoto_1_2: c.nakamoto_1_2,
                nakamoto_2_3: nakamoto_at(values, 2, 3)?,
            }),
            Err(MetricsError::ZeroTotal) => Ok(LayerMetrics {
                n: values.len(),
                total: 0.0,
                hhi: f64::NAN,
                effective_number: f64::NAN,
                top1_share: f64::NAN,
                nakamoto_1_3: None,
                nakamoto_1_2: None,
                nakamoto_2_3: None,
            }),
            Err(e) => Err(e),
        }
    }

    /// The values in [`LAYER_METRIC_NAMES`] order, as f64 (a missing Nakamoto coefficient
    /// is NaN).
    pub fn as_row(&self) -> [f64; 7] {
        let nc = |x: Option<usize>| x.map_or(f64::NAN, |v| v as f64);
        [
            self.n as f64,
            self.hhi,
            self.effective_number,
            self.top1_share,
            nc(self.nakamoto_1_3),
            nc(self.nakamoto_1_2),
            nc(self.nakamoto_2_3),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_metrics_of_a_vector() {
        // [50, 25, 25]: HHI 0.375, NC > 1/3 = 1, > 1/2 = 2 (exactly 1/2 is not enough),
        // > 2/3 = 2.
        let m = LayerMetrics::of(&[50.0, 25.0, 25.0]).unwrap();
        assert_eq!(m.hhi, 0.375);
        assert_eq!(
            (m.nakamoto_1_3, m.nakamoto_1_2, m.nakamoto_2_3),
            (Some(1), Some(2), Some(2))
        );
        let z = LayerMetrics::of(&[0.0, 0.0]).unwrap();
        assert!(z.hhi.is_nan() && z.nakamoto_2_3.is_none());
        assert_eq!(m.as_row().len(), LAYER_METRIC_NAMES.len());
    }
}

//! Concentration by layer: capability (stake by provider), consensus control (stake by
//! operator) and governance (stake by controller), each with the Nakamoto coefficients at
//! 1/3, 1/2 and 2/3: one [`LayerMetrics`] (a metric family of [`crate::metrics`]) per layer.

pub use crate::metrics::{LAYER_METRIC_NAMES, LayerMetrics};

/// The layers, in column order.
pub const LAYER_NAMES: [&str; 3] = ["capability", "consensus", "governance"];

/// The three layers at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Layers {
    /// Active validators by provider: who runs the capability (the liquid staking
    /// protocols, exchanges, solo stakers).
    pub capability: LayerMetrics,
    /// Stake by operator entity (operators of one name merged): who holds the validator
    /// keys and so controls consensus (> 1/3 stops finality, > 2/3 finalises alone).
    pub consensus: LayerMetrics,
    /// Stake by controller entity: who decides for the providers (their governance, or
    /// the stakers where a veto applies).
    pub governance: LayerMetrics,
}

impl Layers {
    /// The layers in [`LAYER_NAMES`] order.
    pub fn all(&self) -> [(&'static str, &LayerMetrics); 3] {
        [
            (LAYER_NAMES[0], &self.capability),
            (LAYER_NAMES[1], &self.consensus),
            (LAYER_NAMES[2], &self.governance),
        ]
    }

    /// Column names `{layer}_{metric}` in order.
    pub fn column_names() -> Vec<String> {
        LAYER_NAMES
            .iter()
            .flat_map(|l| LAYER_METRIC_NAMES.iter().map(move |m| format!("{l}_{m}")))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_columns() {
        assert_eq!(Layers::column_names()[0], "capability_n");
        assert_eq!(Layers::column_names().len(), 21);
    }
}

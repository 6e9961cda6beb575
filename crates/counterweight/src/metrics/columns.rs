//! The contract metric columns, built the same way by the runner and by `measure`.

use super::Concentration;
use crate::table::Column;

/// Accumulates one [`Concentration`] per row and turns them into the contract columns
/// (DESIGN.md §10), in this order, each name followed by a suffix:
/// `hhi, effective_number, gini, theil_t, top1_share, top10pct_share, nakamoto_1_3,
/// nakamoto_1_2, top{k}_share, top1pct_share, hill_alpha, hill_se, total`.
/// Floats are [`Column::F64`], the Nakamoto coefficients [`Column::OptU64`].
#[derive(Debug, Clone, PartialEq)]
pub struct MetricColumns {
    top_k: usize,
    hhi: Vec<f64>,
    effective_number: Vec<f64>,
    gini: Vec<f64>,
    theil_t: Vec<f64>,
    top1_share: Vec<f64>,
    top10pct_share: Vec<f64>,
    nakamoto_1_3: Vec<Option<u64>>,
    nakamoto_1_2: Vec<Option<u64>>,
    topk_share: Vec<f64>,
    top1pct_share: Vec<f64>,
    hill_alpha: Vec<f64>,
    hill_se: Vec<f64>,
    total: Vec<f64>,
}

/// Column names without suffix, in contract order (`top{k}_share` as a placeholder).
pub const METRIC_COLUMN_NAMES: [&str; 13] = [
    "hhi",
    "effective_number",
    "gini",
    "theil_t",
    "top1_share",
    "top10pct_share",
    "nakamoto_1_3",
    "nakamoto_1_2",
    "top{k}_share",
    "top1pct_share",
    "hill_alpha",
    "hill_se",
    "total",
];

/// The label of each contract metric column, for tables, charts and reports: the one
/// place they are spelled. `top{k}_share` is labelled by [`label`].
const METRIC_LABELS: [(&str, &str); 12] = [
    ("hhi", "HHI"),
    ("effective_number", "effective number (1/HHI)"),
    ("gini", "Gini"),
    ("theil_t", "Theil T"),
    ("top1_share", "top-1 share"),
    ("top10pct_share", "top-10% share"),
    ("nakamoto_1_3", "Nakamoto (> 1/3)"),
    ("nakamoto_1_2", "Nakamoto (> 1/2)"),
    ("top1pct_share", "top-1% share"),
    ("hill_alpha", "Hill tail exponent α"),
    ("hill_se", "standard error of the Hill exponent"),
    ("total", "total"),
];

/// The label of a contract metric column (`"gini"` -> `"Gini"`, `"top3_share"` ->
/// `"top-3 share"`), or `None` for a column that is not one.
pub fn label(name: &str) -> Option<std::borrow::Cow<'static, str>> {
    if let Some((_, l)) = METRIC_LABELS.iter().find(|(n, _)| *n == name) {
        return Some((*l).into());
    }
    let k = name.strip_prefix("top")?.strip_suffix("_share")?;
    k.parse::<usize>()
        .ok()
        .map(|k| format!("top-{k} share").into())
}

/// Whether a contract metric column (or a per-group one, `gini.firms`, or a group's
/// share of the total, `share.firms`) holds values in [0, 1]: HHI, Gini and the top
/// shares do; the effective number, Theil T, Nakamoto coefficients, Hill estimates and
/// totals do not.
pub fn unit_interval(name: &str) -> bool {
    let base = name.split_once('.').map_or(name, |(b, _)| b);
    if base == "share" && name.contains('.') {
        return true;
    }
    matches!(
        base,
        "hhi" | "gini" | "top1_share" | "top10pct_share" | "top1pct_share"
    ) || base
        .strip_prefix("top")
        .and_then(|k| k.strip_suffix("_share"))
        .is_some_and(|k| k.parse::<usize>().is_ok())
}

impl MetricColumns {
    /// `top_k` names the `top{k}_share` column; it should be the `MetricOptions::top_k`
    /// the pushed values were computed with.
    /// With `top_k = 1` that name collides with `top1_share`; callers should use k >= 2
    /// (the default is 3).
    pub fn new(top_k: usize) -> Self {
        MetricColumns {
            top_k,
            hhi: Vec::new(),
            effective_number: Vec::new(),
            gini: Vec::new(),
            theil_t: Vec::new(),
            top1_share: Vec::new(),
            top10pct_share: Vec::new(),
            nakamoto_1_3: Vec::new(),
            nakamoto_1_2: Vec::new(),
            topk_share: Vec::new(),
            top1pct_share: Vec::new(),
            hill_alpha: Vec::new(),
            hill_se: Vec::new(),
            total: Vec::new(),
        }
    }

    /// Append one row.
    pub fn push(&mut self, c: &Concentration) {
        self.hhi.push(c.hhi);
        self.effective_number.push(c.effective_number);
        self.gini.push(c.gini);
        self.theil_t.push(c.theil_t);
        self.top1_share.push(c.top1_share);
        self.top10pct_share.push(c.top10pct_share);
        self.nakamoto_1_3.push(c.nakamoto_1_3.map(|v| v as u64));
        self.nakamoto_1_2.push(c.nakamoto_1_2.map(|v| v as u64));
        self.topk_share.push(c.topk_share);
        self.top1pct_share.push(c.top1pct_share);
        self.hill_alpha.push(c.hill_alpha);
        self.hill_se.push(c.hill_se);
        self.total.push(c.total);
    }

    /// Append a row where the metrics are undefined (e.g. a group with no actors or a zero
    /// total): NaN floats, null Nakamoto coefficients, and `total` as given.
    pub fn push_undefined(&mut self, total: f64) {
        for v in [
            &mut self.hhi,
            &mut self.effective_number,
            &mut self.gini,
            &mut self.theil_t,
            &mut self.top1_share,
            &mut self.top10pct_share,
            &mut self.topk_share,
            &mut self.top1pct_share,
            &mut self.hill_alpha,
            &mut self.hill_se,
        ] {
            v.push(f64::NAN);
        }
        self.nakamoto_1_3.push(None);
        self.nakamoto_1_2.push(None);
        self.total.push(total);
    }

    /// Number of rows pushed.
    pub fn len(&self) -> usize {
        self.total.len()
    }

    /// Whether no row has been pushed yet.
    pub fn is_empty(&self) -> bool {
        self.total.is_empty()
    }

    /// The `top_k` this builder was created with.
    pub fn top_k(&self) -> usize {
        self.top_k
    }

    /// The named columns, in contract order, each name followed by `suffix`
    /// (`".firms"` gives `gini.firms`; `""` for all actors).
    pub fn into_columns(self, suffix: &str) -> Vec<(String, Column)> {
        let name = |base: &str| format!("{base}{suffix}");
        vec![
            (name("hhi"), Column::F64(self.hhi)),
            (name("effective_number"), Column::F64(self.effective_number)),
            (name("gini"), Column::F64(self.gini)),
            (name("theil_t"), Column::F64(self.theil_t)),
            (name("top1_share"), Column::F64(self.top1_share)),
            (name("top10pct_share"), Column::F64(self.top10pct_share)),
            (name("nakamoto_1_3"), Column::OptU64(self.nakamoto_1_3)),
            (name("nakamoto_1_2"), Column::OptU64(self.nakamoto_1_2)),
            (
                name(&format!("top{}_share", self.top_k)),
                Column::F64(self.topk_share),
            ),
            (name("top1pct_share"), Column::F64(self.top1pct_share)),
            (name("hill_alpha"), Column::F64(self.hill_alpha)),
            (name("hill_se"), Column::F64(self.hill_se)),
            (name("total"), Column::F64(self.total)),
        ]
    }
}

#[cfg(test)]
mod label_tests {
    use super::*;

    #[test]
    fn every_contract_column_has_a_label() {
        for name in METRIC_COLUMN_NAMES {
            let name = name.replace("{k}", "3");
            assert!(label(&name).is_some(), "{name}");
        }
        assert_eq!(label("top3_share").as_deref(), Some("top-3 share"));
        assert_eq!(label("mean"), None);
    }

    #[test]
    fn unit_interval_columns() {
        for n in [
            "hhi",
            "gini.firms",
            "top3_share",
            "top10pct_share",
            "share.firms",
        ] {
            assert!(unit_interval(n), "{n}");
        }
        for n in [
            "effective_number",
            "theil_t",
            "nakamoto_1_2",
            "total.firms",
            "share",
            "time",
        ] {
            assert!(!unit_interval(n), "{n}");
        }
    }
}

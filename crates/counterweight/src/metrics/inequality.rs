//! Inequality family: Gini, Theil T, Lorenz curve (validation.md §7.2, §7.3).

use super::MetricsError;
use super::sorted::{Sorted, chunked_sum};

/// **Population** Gini by the sorted formula
/// G = 2·Σ_i i·x_(i) / (n·X) − (n+1)/n, with x_(1) <= … <= x_(n) and i 1-based
/// (= Σ_iΣ_j|x_i − x_j| / (2n²μ); R `ineq::Gini(x, corr = FALSE)`).
/// Range [0, (n−1)/n]; n = 1 gives 0. Multiply by n/(n−1) for the small-sample corrected
/// form. Clamped to the range to remove rounding excursions of order 1e-16.
pub(crate) fn gini(s: &Sorted) -> f64 {
    let n = s.n() as f64;
    let total = s.total;
    // Σ i·s_(i) with s = x/X, i = start + j + 1 (1-based rank).
    let weighted = chunked_sum(&s.asc, |start, c| {
        c.iter()
            .enumerate()
            .map(|(j, &x)| (start + j + 1) as f64 * (x / total))
            .sum()
    });
    let g = (2.0 * weighted - (n + 1.0)) / n;
    g.clamp(0.0, (n - 1.0) / n)
}

/// Theil T = GE(1) = (1/n)·Σ (x_i/μ)·ln(x_i/μ) = Σ s_i·ln(n·s_i), with 0·ln 0 = 0.
/// Range [0, ln n]; clamped to it to remove rounding excursions.
pub(crate) fn theil_t(s: &Sorted) -> f64 {
    let n = s.n() as f64;
    let total = s.total;
    let t = chunked_sum(&s.asc, |_, c| {
        c.iter()
            .filter(|&&x| x > 0.0)
            .map(|&x| {
                let sh = x / total;
                sh * (n * sh).ln()
            })
            .sum()
    });
    t.clamp(0.0, n.ln())
}

/// Lorenz curve: `points + 1` pairs (population share p_j = j/points, value share L(p_j))
/// from (0, 0) to (1, 1), L being the piecewise-linear interpolation through
/// (i/n, Σ_{l<=i} x_(l) / X). `points = 0` is treated as 1 (just the two endpoints).
///
/// Errors: as [`super::concentration`] (`Empty`, `InvalidValue`, `ZeroTotal`).
pub fn lorenz(values: &[f64], points: usize) -> Result<Vec<(f64, f64)>, MetricsError> {
    let s = Sorted::new(values)?;
    if s.total <= 0.0 {
        return Err(MetricsError::ZeroTotal);
    }
    Ok(lorenz_sorted(&s, points))
}

pub(crate) fn lorenz_sorted(s: &Sorted, points: usize) -> Vec<(f64, f64)> {
    let points = points.max(1);
    let n = s.n();
    let mut out = Vec::with_capacity(points + 1);
    out.push((0.0, 0.0));
    // cum = Σ of the `idx` smallest values, advanced monotonically.
    let mut idx = 0usize;
    let mut cum = 0.0f64;
    for j in 1..points {
        // p·n = j·n/points split exactly into whole + frac.
        let num = j as u128 * n as u128;
        let whole = (num / points as u128) as usize;
        let frac = (num % points as u128) as f64 / points as f64;
        while idx < whole {
            cum += s.asc[idx];
            idx += 1;
        }
        let mut l = cum;
        if frac > 0.0 && whole < n {
            l += frac * s.asc[whole];
        }
        out.push((j as f64 / points as f64, (l / s.total).min(1.0)));
    }
    out.push((1.0, 1.0));
    out
}

//! Inequality family: Gini, Theil T, Lorenz curve (validation.md §7.2, §7.3).

use super::MetricsError;
use super::sorted::{Sorted, chunked_sums};

/// HHI, population Gini and Theil T from one pass over the sorted values (one read of
/// the data instead of three), each sum kept exactly as it was when the three had a pass
/// of their own: per fixed chunk, element by element in ascending order, then the chunk
/// sums in chunk order (so HHI and Gini are bit-identical to the three-pass version, and
/// independent of the number of threads).
///
/// * HHI = Σ s_i², s_i = x_i / X, in [1/n, 1] (the 0..10,000 form is `10_000 * hhi`).
/// * **Population** Gini by the sorted formula G = 2·Σ_i i·x_(i) / (n·X) − (n+1)/n, with
///   x_(1) <= … <= x_(n) and i 1-based (= Σ_iΣ_j|x_i − x_j| / (2n²μ); R
///   `ineq::Gini(x, corr = FALSE)`). Range [0, (n−1)/n]; n = 1 gives 0. Multiply by
///   n/(n−1) for the small-sample corrected form.
/// * Theil T = GE(1) = (1/n)·Σ (x_i/μ)·ln(x_i/μ) = Σ s_i·ln(n·s_i), with 0·ln 0 = 0. Range
///   [0, ln n]. The logarithms are taken a block at a time by `vmath::ln_in_place`
///   (vectorised, < 1 ulp) instead of the standard library's `ln` one value at a time;
///   each term can differ from the old one by 1 ulp of the log, so Theil T differs from
///   the three-pass value by at most Σ s_i·ulp(ln(n s_i)) <= 2^-52·max(1, |ln(n s)|_max),
///   about 1e-15 for any realistic data (exact equality is not promised for Theil).
///
/// All three are clamped to their mathematical ranges (removes rounding excursions of
/// order 1e-16, e.g. a Gini of −1e-17 for equal values).
pub(crate) fn hhi_gini_theil(s: &Sorted) -> (f64, f64, f64) {
    let n = s.n() as f64;
    let total = s.total;
    let [h, weighted, t] = chunked_sums(&s.asc, |start, c| sums_of_chunk(c, start, n, total));
    let hhi = h.clamp(1.0 / n, 1.0);
    let gini = ((2.0 * weighted - (n + 1.0)) / n).clamp(0.0, (n - 1.0) / n);
    (hhi, gini, t.clamp(0.0, n.ln()))
}

crate::simd::multiversion! {
    /// [`hhi_gini_theil`]'s three sums over one chunk, `start` the chunk's 0-based index in
    /// the sorted values: Σ s², Σ i·s (i the 1-based rank) and Σ s·ln(n s) over x > 0, added
    /// value by value in ascending order.
    ///
    /// Compiled for AVX-512 and AVX2 where the CPU has them (the shares and the logarithms'
    /// arguments eight or four at a time; the sums stay in order) and for the baseline; the
    /// same operations on each, so the same bits.
    fn sums_of_chunk / sums_of_chunk_on(c: &[f64], start: usize, n: f64, total: f64) -> [f64; 3] = sums_of_chunk_portable;
}

#[inline(always)]
fn sums_of_chunk_portable(c: &[f64], start: usize, n: f64, total: f64) -> [f64; 3] {
    let (mut h, mut g, mut t) = (0.0f64, 0.0f64, 0.0f64);
    let mut shares = [0.0f64; LN_BLOCK];
    let mut logs = [0.0f64; LN_BLOCK];
    // The rank as a float, counted up by 1.0: exact (ranks are far below 2^53), so it
    // equals `(start + j + 1) as f64` without a conversion per value.
    let mut rank = start as f64;
    for block in c.chunks(LN_BLOCK) {
        let shares = &mut shares[..block.len()];
        let logs = &mut logs[..block.len()];
        // Independent per value: vectorises. ln(n s) for x > 0; zeros are skipped below
        // (0·ln 0 = 0).
        for ((sh, l), &x) in shares.iter_mut().zip(logs.iter_mut()).zip(block) {
            *sh = x / total;
            *l = if x > 0.0 { n * *sh } else { 1.0 };
        }
        crate::vmath::ln_in_place(logs);
        for ((&x, &sh), &l) in block.iter().zip(shares.iter()).zip(logs.iter()) {
            rank += 1.0;
            h += sh * sh;
            g += rank * sh;
            if x > 0.0 {
                t += sh * l;
            }
        }
    }
    [h, g, t]
}

/// Values per call of `vmath::ln_in_place` in [`hhi_gini_theil`].
const LN_BLOCK: usize = 256;

/// Lorenz curve: `points + 1` pairs (population share p_j = j/points, value share L(p_j))
/// from (0, 0) to (1, 1), L being the piecewise-linear interpolation through
/// (i/n, Σ_{l<=i} x_(l) / X). `points = 0` is treated as 1 (just the two endpoints).
///
/// Errors: as [`super::concentration()`] (`Empty`, `InvalidValue`, `ZeroTotal`).
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::sorted::chunked_sum;

    /// The three passes as they were before [`hhi_gini_theil`] fused them.
    fn three_passes(s: &Sorted) -> (f64, f64, f64) {
        let n = s.n() as f64;
        let total = s.total;
        let h = chunked_sum(&s.asc, |_, c| {
            c.iter().map(|&x| (x / total) * (x / total)).sum()
        });
        let weighted = chunked_sum(&s.asc, |start, c| {
            c.iter()
                .enumerate()
                .map(|(j, &x)| (start + j + 1) as f64 * (x / total))
                .sum()
        });
        let t = chunked_sum(&s.asc, |_, c| {
            c.iter()
                .filter(|&&x| x > 0.0)
                .map(|&x| {
                    let sh = x / total;
                    sh * (n * sh).ln()
                })
                .sum()
        });
        (
            h.clamp(1.0 / n, 1.0),
            ((2.0 * weighted - (n + 1.0)) / n).clamp(0.0, (n - 1.0) / n),
            t.clamp(0.0, n.ln()),
        )
    }

    #[test]
    fn fused_pass_matches_the_three_passes() {
        let mut next = crate::rng::test_unit(11u64);
        for n in [1usize, 5, 300, 20_000, 250_003] {
            let xs: Vec<f64> = (0..n)
                .map(|i| {
                    if i % 17 == 0 {
                        0.0
                    } else {
                        (4.0 * next() - 2.0).exp()
                    }
                })
                .chain([1.0])
                .collect();
            let s = Sorted::new(&xs).unwrap();
            let (h, g, t) = hhi_gini_theil(&s);
            let (h0, g0, t0) = three_passes(&s);
            assert_eq!(h.to_bits(), h0.to_bits(), "hhi, n = {n}");
            assert_eq!(g.to_bits(), g0.to_bits(), "gini, n = {n}");
            // The documented bound: each log within 1 ulp.
            assert!(
                (t - t0).abs() <= 1e-15 * t0.abs().max(1.0),
                "theil {t} vs {t0}, n = {n}"
            );
        }
    }

    #[test]
    fn chunk_sums_are_the_same_on_every_path() {
        let mut next = crate::rng::test_unit(3u64);
        for len in [1usize, 7, LN_BLOCK - 1, LN_BLOCK + 1, 5000] {
            let mut c: Vec<f64> = (0..len)
                .map(|i| if i % 9 == 0 { 0.0 } else { 1e3 * next() })
                .collect();
            c.sort_by(f64::total_cmp);
            let total: f64 = c.iter().sum();
            let (start, n) = (16_384 * 3, 1e6);
            let bits = |v: [f64; 3]| v.map(f64::to_bits);
            let want = bits(sums_of_chunk_portable(&c, start, n, total));
            for isa in crate::simd::Isa::available() {
                let got = bits(sums_of_chunk_on(isa, &c, start, n, total));
                assert_eq!(got, want, "len {len} {isa:?}");
            }
        }
    }
}

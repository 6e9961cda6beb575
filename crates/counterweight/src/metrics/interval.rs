//! Confidence intervals for a mean over replicates, chosen by what the values can be.
//!
//! - [`student_t`]: `mean ± t(1−α/2, n−1)·s/√n`, for quantities without bounds (the
//!   effective number, the end time, a count).
//! - [`wilson`]: the Wilson score interval for `k` successes of `n` (a proportion of
//!   runs: stopped or not, blocked or not). It stays in [0, 1] and is not empty at
//!   `k = 0` or `k = n`, where the Wald interval collapses to a point.
//! - [`logit_t`]: for the mean of values in [0, 1] (shares: top-1 share, Gini, HHI): the
//!   Student-t interval on the logit scale by the delta method,
//!   `expit(logit(m) ± t·s/(√n·m(1−m)))`. It stays inside (0, 1) and is asymmetric near
//!   the bounds, where the symmetric interval leaves the range (`0.249 [-0.134, 0.632]`).
//!
//! [`bounded`] picks between the last two for a column of values in [0, 1]: Wilson when
//! every value is 0 or 1 (the mean is then a proportion of runs), the logit interval
//! otherwise. Quantiles come from `statrs`.

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// Which interval was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Student-t, symmetric about the mean.
    StudentT,
    /// Wilson score interval of a proportion.
    Wilson,
    /// Student-t on the logit scale (delta method), back-transformed.
    LogitT,
}

impl Method {
    /// A short name for tables and captions.
    pub fn name(self) -> &'static str {
        match self {
            Method::StudentT => "Student-t",
            Method::Wilson => "Wilson score",
            Method::LogitT => "logit-transformed t",
        }
    }
}

/// The `p` quantile of Student's t with `df` degrees of freedom (NaN if undefined).
pub fn t_quantile(p: f64, df: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df)
        .map(|d| d.inverse_cdf(p))
        .unwrap_or(f64::NAN)
}

/// The `p` quantile of the standard normal distribution.
pub fn normal_quantile(p: f64) -> f64 {
    Normal::new(0.0, 1.0)
        .map(|d| d.inverse_cdf(p))
        .unwrap_or(f64::NAN)
}

/// The Student-t interval of a mean at confidence `level` (e.g. 0.95), from the mean,
/// the sample standard deviation and the number of values. NaN bounds below two values.
pub fn student_t(mean: f64, sd: f64, n: u64, level: f64) -> (f64, f64) {
    if n < 2 || !mean.is_finite() || !sd.is_finite() {
        return (f64::NAN, f64::NAN);
    }
    let t = t_quantile(0.5 + level / 2.0, (n - 1) as f64);
    let h = t * sd / (n as f64).sqrt();
    (mean - h, mean + h)
}

/// The Wilson score interval of a proportion, `k` successes of `n`, at confidence
/// `level`: `(p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n)`. NaN bounds when
/// `n = 0`.
pub fn wilson(k: u64, n: u64, level: f64) -> (f64, f64) {
    if n == 0 || k > n {
        return (f64::NAN, f64::NAN);
    }
    let z = normal_quantile(0.5 + level / 2.0);
    let (kf, nf) = (k as f64, n as f64);
    let p = kf / nf;
    let z2 = z * z;
    let denom = 1.0 + z2 / nf;
    let centre = (p + z2 / (2.0 * nf)) / denom;
    let half = z / denom * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
    // Exact ends where the data sit on a bound (no rounding to 1e-17 below 0).
    let lo = if k == 0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let hi = if k == n {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    (lo, hi)
}

/// The logit-transformed Student-t interval of the mean `mean` of `n` values in [0, 1]
/// with sample standard deviation `sd`, at confidence `level`: the t interval of
/// `logit(mean)` with the delta-method standard error `s/(√n·m(1−m))`, back-transformed.
/// Inside (0, 1) whenever 0 < mean < 1; a point when `sd = 0`; NaN bounds below two
/// values or for a mean outside (0, 1).
pub fn logit_t(mean: f64, sd: f64, n: u64, level: f64) -> (f64, f64) {
    if n < 2 || !(mean > 0.0 && mean < 1.0) || !sd.is_finite() {
        return (f64::NAN, f64::NAN);
    }
    if sd == 0.0 {
        return (mean, mean);
    }
    let t = t_quantile(0.5 + level / 2.0, (n - 1) as f64);
    let l = (mean / (1.0 - mean)).ln();
    let se = sd / (n as f64).sqrt() / (mean * (1.0 - mean));
    let expit = |x: f64| 1.0 / (1.0 + (-x).exp());
    // expit can round to exactly 0 or 1 for extreme arguments: keep the bounds
    // ordered and inside [0, 1], and never on the wrong side of the mean.
    let lo = expit(l - t * se).min(mean);
    let hi = expit(l + t * se).max(mean);
    (lo, hi)
}

/// The interval of the mean of values in [0, 1]: [`wilson`] when all `n` values are 0 or
/// 1 (`ones` of them are 1), else [`logit_t`].
pub fn bounded(mean: f64, sd: f64, n: u64, ones: u64, all_binary: bool, level: f64) -> Interval {
    if all_binary {
        let (lo, hi) = wilson(ones, n, level);
        Interval {
            lo,
            hi,
            method: Method::Wilson,
        }
    } else {
        let (lo, hi) = logit_t(mean, sd, n, level);
        Interval {
            lo,
            hi,
            method: Method::LogitT,
        }
    }
}

/// A computed interval and how.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Lower bound at the confidence level asked for (NaN when undefined, e.g. below two
    /// values).
    pub lo: f64,
    /// Upper bound at the confidence level asked for (NaN when undefined).
    pub hi: f64,
    /// Which interval it is, to be named next to it ([`Method::name`]).
    pub method: Method,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;
    use rand_distr::{Beta, Distribution};

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn wilson_matches_the_textbook_formula() {
        // z = 1.959964; 0/10: [0, 0.2775]; 5/10: [0.2366, 0.7634]; 10/10: [0.7225, 1]
        // (Wilson 1927; Newcombe 1998, table I, method 3; Agresti & Coull 1998).
        let (lo, hi) = wilson(0, 10, 0.95);
        assert_eq!(lo, 0.0);
        assert!(close(hi, 0.277_53, 5e-5), "{hi}");
        let (lo, hi) = wilson(5, 10, 0.95);
        assert!(close(lo, 0.236_59, 5e-5), "{lo}");
        assert!(close(hi, 0.763_41, 5e-5), "{hi}");
        let (lo, hi) = wilson(10, 10, 0.95);
        assert!(close(lo, 0.722_47, 5e-5), "{lo}");
        assert_eq!(hi, 1.0);
        // Newcombe's example: 81/263 -> [0.2553, 0.3662].
        let (lo, hi) = wilson(81, 263, 0.95);
        assert!(
            close(lo, 0.2553, 1e-4) && close(hi, 0.3662, 1e-4),
            "{lo} {hi}"
        );
        assert!(wilson(0, 0, 0.95).0.is_nan());
    }

    #[test]
    fn student_t_matches_the_table() {
        // t(0.975, 4) = 2.776445; values 1..5: mean 3, s = sqrt(2.5).
        let (lo, hi) = student_t(3.0, 2.5f64.sqrt(), 5, 0.95);
        let h = 2.776_445_105 * 2.5f64.sqrt() / 5f64.sqrt();
        assert!(close(hi - 3.0, h, 1e-6) && close(3.0 - lo, h, 1e-6));
        assert!(student_t(3.0, 0.0, 1, 0.95).0.is_nan());
        assert!(close(normal_quantile(0.975), 1.959_964, 1e-6));
    }

    #[test]
    fn logit_interval_stays_inside_the_unit_interval() {
        // The case of the issue: mean 0.249 with a wide spread over 3 runs, where the
        // symmetric interval is [-0.134, 0.632].
        let (m, sd, n) = (0.249, 0.154_2, 3);
        let (tl, _) = student_t(m, sd, n, 0.95);
        assert!(tl < 0.0, "{tl}");
        let (lo, hi) = logit_t(m, sd, n, 0.95);
        assert!(lo > 0.0 && lo < m && hi > m && hi < 1.0, "{lo} {hi}");
        // Extreme spreads and means near the bounds stay in [0, 1] and ordered.
        for &(m, sd, n) in &[
            (1e-9, 0.3, 2),
            (1.0 - 1e-9, 0.3, 2),
            (0.5, 0.5, 2),
            (0.01, 0.05, 100),
            (0.999, 0.002, 50),
        ] {
            let (lo, hi) = logit_t(m, sd, n, 0.95);
            assert!(
                (0.0..=m).contains(&lo) && (m..=1.0).contains(&hi),
                "{m}: {lo} {hi}"
            );
        }
        // By hand: m = 0.5, s = 0.1, n = 4: logit 0 ± 3.182446·0.05/0.25.
        let (lo, hi) = logit_t(0.5, 0.1, 4, 0.95);
        let e: f64 = 3.182_446_305 * 0.05 / 0.25;
        assert!(close(hi, 1.0 / (1.0 + (-e).exp()), 1e-6), "{hi}");
        assert!(close(lo, 1.0 - hi, 1e-12));
        assert_eq!(logit_t(0.3, 0.0, 5, 0.95), (0.3, 0.3));
        assert!(logit_t(0.0, 0.0, 5, 0.95).0.is_nan());
    }

    /// Coverage by simulation, fixed seed: the share of intervals that contain the true
    /// mean is within 4 binomial standard errors (√(0.95·0.05/trials)) of 95%, plus the
    /// method's own approximation error (a percentage point for Wilson, two for the
    /// logit interval at n = 10).
    #[test]
    fn coverage_is_near_the_nominal_level() {
        let trials = 4000;
        let se = (0.95f64 * 0.05 / trials as f64).sqrt();
        let mut rng = crate::rng::stream(20_261_201, 0);
        // Wilson: Bernoulli(0.3), n = 40.
        let (p, n) = (0.3, 40u64);
        let mut hit = 0;
        for _ in 0..trials {
            let k = (0..n).filter(|_| rng.random::<f64>() < p).count() as u64;
            let (lo, hi) = wilson(k, n, 0.95);
            if lo <= p && p <= hi {
                hit += 1;
            }
        }
        let cov = hit as f64 / trials as f64;
        assert!(
            (cov - 0.95).abs() < 4.0 * se + 0.01,
            "Wilson coverage {cov}"
        );
        // Logit t: Beta(2, 8) shares (mean 0.2), n = 10.
        let beta = Beta::new(2.0, 8.0).unwrap();
        let n = 10;
        let mut hit = 0;
        for _ in 0..trials {
            let xs: Vec<f64> = (0..n).map(|_| beta.sample(&mut rng)).collect();
            let m = xs.iter().sum::<f64>() / n as f64;
            let sd = (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
            let (lo, hi) = logit_t(m, sd, n as u64, 0.95);
            assert!(lo > 0.0 && hi < 1.0);
            if lo <= 0.2 && 0.2 <= hi {
                hit += 1;
            }
        }
        let cov = hit as f64 / trials as f64;
        assert!((cov - 0.95).abs() < 4.0 * se + 0.02, "logit coverage {cov}");
    }

    #[test]
    fn bounded_picks_wilson_for_binary_values() {
        let i = bounded(0.0, 0.0, 10, 0, true, 0.95);
        assert_eq!(i.method, Method::Wilson);
        assert!(i.hi > 0.27);
        let i = bounded(0.4, 0.1, 10, 0, false, 0.95);
        assert_eq!(i.method, Method::LogitT);
    }
}

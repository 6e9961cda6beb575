//! Validation, the single sort, and deterministic (thread-count independent) sums.

use rayon::prelude::*;

use super::MetricsError;

/// Above this many values the sort and the O(n) passes run on the rayon pool.
pub(crate) const PAR_THRESHOLD: usize = 100_000;

/// Fixed chunk length of [`chunked_sum`]. The chunk boundaries do not depend on the number
/// of threads, and the per-chunk partial sums are added sequentially in chunk order, so a
/// sum is bit-identical whether it runs on one thread or many.
const CHUNK: usize = 1 << 14;

/// The values sorted ascending (x_(1) <= ... <= x_(n)) with their total.
#[derive(Debug, Clone)]
pub(crate) struct Sorted {
    /// Ascending, every element finite and >= 0.
    pub asc: Vec<f64>,
    /// Sum of `asc`, added in ascending order chunk by chunk (see [`chunked_sum`]).
    pub total: f64,
}

impl Sorted {
    /// Validate, copy and sort once. Errors: `Empty`, `InvalidValue` (first offending index).
    /// Does not reject a zero total; callers that need shares check `total > 0`.
    pub fn new(values: &[f64]) -> Result<Sorted, MetricsError> {
        if values.is_empty() {
            return Err(MetricsError::Empty);
        }
        if let Some((index, &value)) = values
            .iter()
            .enumerate()
            .find(|(_, v)| !(v.is_finite() && **v >= 0.0))
        {
            return Err(MetricsError::InvalidValue { index, value });
        }
        let mut asc = values.to_vec();
        if asc.len() > PAR_THRESHOLD {
            asc.par_sort_unstable_by(f64::total_cmp);
        } else {
            asc.sort_unstable_by(f64::total_cmp);
        }
        let total = chunked_sum(&asc, |_, chunk| chunk.iter().sum());
        Ok(Sorted { asc, total })
    }

    pub fn n(&self) -> usize {
        self.asc.len()
    }

    /// The i-th largest value, 0-based (`desc(0)` is the maximum).
    #[inline]
    pub fn desc(&self, i: usize) -> f64 {
        self.asc[self.asc.len() - 1 - i]
    }

    /// Sum of the `m` largest values, added from the largest down.
    pub fn top_sum(&self, m: usize) -> f64 {
        let m = m.min(self.n());
        self.asc[self.n() - m..].iter().rev().sum()
    }
}

/// Σ over fixed-size chunks of `f(start_index, chunk)`, partial sums added in chunk order.
/// Runs the chunks in parallel when the slice is long; the result is identical either way.
pub(crate) fn chunked_sum<F>(xs: &[f64], f: F) -> f64
where
    F: Fn(usize, &[f64]) -> f64 + Sync,
{
    if xs.len() > PAR_THRESHOLD {
        let partial: Vec<f64> = xs
            .par_chunks(CHUNK)
            .enumerate()
            .map(|(c, chunk)| f(c * CHUNK, chunk))
            .collect();
        partial.iter().sum()
    } else {
        xs.chunks(CHUNK)
            .enumerate()
            .map(|(c, chunk)| f(c * CHUNK, chunk))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_sum_is_the_same_sequential_and_parallel() {
        // Same chunk boundaries either way: compare a long slice against a sequential
        // fold over the same chunks.
        let xs: Vec<f64> = (0..PAR_THRESHOLD + 12345)
            .map(|i| ((i * 7919) % 1000) as f64 * 0.1 + 1e-3)
            .collect();
        let par = chunked_sum(&xs, |_, c| c.iter().sum());
        let seq: f64 = xs.chunks(CHUNK).map(|c| c.iter().sum::<f64>()).sum();
        assert_eq!(par.to_bits(), seq.to_bits());
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let one = pool.install(|| chunked_sum(&xs, |_, c| c.iter().sum()));
        assert_eq!(one.to_bits(), par.to_bits());
    }

    #[test]
    fn validation() {
        assert_eq!(Sorted::new(&[]).unwrap_err(), MetricsError::Empty);
        match Sorted::new(&[1.0, -2.0, f64::NAN]).unwrap_err() {
            MetricsError::InvalidValue { index, value } => {
                assert_eq!(index, 1);
                assert_eq!(value, -2.0);
            }
            e => panic!("{e:?}"),
        }
        assert!(matches!(
            Sorted::new(&[1.0, f64::INFINITY]).unwrap_err(),
            MetricsError::InvalidValue { index: 1, .. }
        ));
        assert!(matches!(
            Sorted::new(&[f64::NAN]).unwrap_err(),
            MetricsError::InvalidValue { index: 0, .. }
        ));
    }
}

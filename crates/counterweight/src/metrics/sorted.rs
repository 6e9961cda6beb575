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
        let asc = if values.len() >= RADIX_MIN {
            radix_sorted(values)
        } else {
            let mut asc = take_buffer(values.len());
            asc.extend_from_slice(values);
            asc.sort_unstable_by(f64::total_cmp);
            asc
        };
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

/// From this many values on, [`Sorted::new`] sorts with [`radix_sorted`]; below, with
/// the standard library's comparison sort.
pub(crate) const RADIX_MIN: usize = 4096;

const RADIX_BITS: usize = 8;
const BUCKETS: usize = 1 << RADIX_BITS;
const MASK: u64 = (BUCKETS - 1) as u64;
/// 8 digits of 8 bits cover the 64-bit key (8-bit digits measured faster than 11 or 16).
const PASSES: usize = 64_usize.div_ceil(RADIX_BITS);

/// An unsigned key whose order is `f64::total_cmp`'s: flip the sign bit of non-negative
/// values, all bits of negative ones.
#[inline]
fn key(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 { !b } else { b | 1 << 63 }
}

thread_local! {
    /// Sort buffers kept between calls on this thread (at most two: the result and the
    /// ping-pong buffer). Fresh multi-megabyte allocations are page-faulted in on every
    /// touch, which cost as much as the sort itself at n = 10^6.
    static BUFFERS: std::cell::RefCell<Vec<Vec<f64>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// An empty vector with room for `n`, from this thread's pool when it has one.
fn take_buffer(n: usize) -> Vec<f64> {
    let mut v = BUFFERS
        .try_with(|b| b.borrow_mut().pop())
        .ok()
        .flatten()
        .unwrap_or_default();
    v.clear();
    v.reserve(n);
    v
}

/// Give a buffer back to this thread's pool (dropped if the pool is full).
fn give_buffer(v: Vec<f64>) {
    if v.capacity() < RADIX_MIN {
        return;
    }
    let _ = BUFFERS.try_with(|b| {
        let mut b = b.borrow_mut();
        if b.len() < 2 {
            b.push(v);
        }
    });
}

impl Drop for Sorted {
    fn drop(&mut self) {
        give_buffer(std::mem::take(&mut self.asc));
    }
}

/// `values` sorted ascending by `f64::total_cmp`: an LSD radix sort on [`key`], 8-bit
/// digits, one counting pass for all digits, and digits on which all keys agree skipped.
/// The result is the same as a comparison sort's (equal keys are equal bit patterns).
pub(crate) fn radix_sorted(values: &[f64]) -> Vec<f64> {
    let n = values.len();
    let mut hist = vec![[0usize; BUCKETS]; PASSES];
    let mut a = take_buffer(n);
    for &x in values {
        let k = key(x);
        a.push(x);
        for (p, h) in hist.iter_mut().enumerate() {
            h[((k >> (p * RADIX_BITS)) & MASK) as usize] += 1;
        }
    }
    let mut b = take_buffer(n);
    b.resize(n, 0.0);
    for (p, h) in hist.iter().enumerate() {
        if h.contains(&n) {
            continue; // every key has the same digit here
        }
        let mut offset = [0usize; BUCKETS];
        let mut acc = 0;
        for (o, &c) in offset.iter_mut().zip(h.iter()) {
            *o = acc;
            acc += c;
        }
        let shift = p * RADIX_BITS;
        for &x in &a {
            let d = ((key(x) >> shift) & MASK) as usize;
            b[offset[d]] = x;
            offset[d] += 1;
        }
        std::mem::swap(&mut a, &mut b);
    }
    give_buffer(b);
    a
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
    fn radix_sort_matches_comparison_sort() {
        let mut state = 0x1234_5678_9abc_def0u64;
        let mut next = || {
            state = crate::rng::mix64(state);
            state
        };
        for n in [1usize, 2, 17, RADIX_MIN, 100_003] {
            let xs: Vec<f64> = (0..n)
                .map(|i| match i % 7 {
                    0 => 0.0,
                    1 => -0.0,
                    2 => 1.0,
                    3 => f64::MIN_POSITIVE / 3.0,
                    4 => (next() >> 11) as f64 * 1e300,
                    _ => f64::from_bits(next() >> 2),
                })
                .collect();
            let mut want = xs.clone();
            want.sort_unstable_by(f64::total_cmp);
            let got = radix_sorted(&xs);
            assert_eq!(
                got.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                want.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
            );
        }
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

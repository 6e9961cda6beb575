//! Validation, the single sort, and deterministic (thread-count independent) sums.

use rayon::prelude::*;

use super::MetricsError;

/// Above this many values the sort and the O(n) passes run on the rayon pool.
pub(crate) const PAR_THRESHOLD: usize = 100_000;

/// Fixed chunk length of [`chunked_sums`] and [`chunked_total`]. The chunk boundaries do
/// not depend on the number of threads, and the per-chunk partial sums are added
/// sequentially in chunk order, so a sum is bit-identical whether it runs on one thread or
/// many.
const CHUNK: usize = 1 << 14;

/// The values sorted ascending (x_(1) <= ... <= x_(n)) with their total.
#[derive(Debug, Clone)]
pub(crate) struct Sorted {
    /// Ascending, every element finite and >= 0.
    pub asc: Vec<f64>,
    /// Sum of `asc`, added in ascending order chunk by chunk (see [`chunked_total`]).
    pub total: f64,
}

impl Sorted {
    /// Validate, copy and sort once. Errors: `Empty`, `InvalidValue` (first offending index).
    /// Does not reject a zero total; callers that need shares check `total > 0`.
    pub fn new(values: &[f64]) -> Result<Sorted, MetricsError> {
        if values.is_empty() {
            return Err(MetricsError::Empty);
        }
        // The values' range in one branch-free pass that vectorises (on the pool for large
        // n), which is both the check and the sort's first digit's bounds; the search for
        // the first offending index only when the check fails.
        let ok = |v: f64| (0.0..=f64::MAX).contains(&v);
        let range = FloatRange::of_values(values);
        let all_valid = !range.nan && range.min >= 0.0 && range.max <= f64::MAX;
        if !all_valid
            && let Some((index, &value)) = values.iter().enumerate().find(|(_, v)| !ok(**v))
        {
            return Err(MetricsError::InvalidValue { index, value });
        }
        let asc = sorted_copy_in(values, || range);
        let total = chunked_total(&asc);
        Ok(Sorted { asc, total })
    }

    /// The number of values.
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

/// The first digit's width in [`radix_sorted`] (over the whole array).
const RADIX_BITS: usize = 8;
const BUCKETS: usize = 1 << RADIX_BITS;
/// The widest digit of [`sort_bucket`]'s passes in cache.
const LSD_BITS: usize = 11;
const LSD_SIZE: usize = 1 << LSD_BITS;
/// At most this many passes (over a 64-bit key).
const LSD_PASSES: usize = 64_usize.div_ceil(LSD_BITS);

/// An unsigned key whose order is `f64::total_cmp`'s: flip the sign bit of non-negative
/// values, all bits of negative ones.
#[inline]
fn key(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 { !b } else { b | 1 << 63 }
}

thread_local! {
    /// Sort buffers kept between calls on this thread (at most two; a radix sort takes one,
    /// which becomes its result). Fresh multi-megabyte allocations are page-faulted in on every
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

/// A vector of length `n` from this thread's pool when it has one, its contents
/// unspecified (whatever a previous call left; zeros where it grew): for buffers that are
/// entirely overwritten, without the cost of zeroing megabytes first.
fn take_filled_buffer(n: usize) -> Vec<f64> {
    let mut v = BUFFERS
        .try_with(|b| b.borrow_mut().pop())
        .ok()
        .flatten()
        .unwrap_or_default();
    if v.capacity() < n {
        // A fresh zeroed allocation: pages the kernel maps on first touch, i.e. in the
        // callers' parallel writes, instead of a serial `resize` zeroing 8 MB first
        // (2–3 ms at 10^6 values, once per run).
        return vec![0.0; n];
    }
    v.resize(n, 0.0);
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

/// Bits of the most significant digit of [`radix_sorted`]: at most 256 buckets, whose
/// write fronts (one cache line each) stay in L1, and whose LSD passes (a few thousand
/// values each at n = 10^6) stay in L2. 11 bits measured slower: per-bucket histogram
/// overhead on buckets of a few hundred values.
const MSD_BITS: u32 = 8;
/// Buckets up to this size are sorted by comparison instead of by LSD passes.
const SMALL_BUCKET: usize = 96;

/// A copy of `values` sorted in `f64::total_cmp` order: [`radix_sorted`] from
/// [`RADIX_MIN`] values, else a comparison sort (the same order: values equal under it
/// have the same bits), in a buffer from this thread's pool.
fn sorted_copy(values: &[f64]) -> Vec<f64> {
    sorted_copy_in(values, || FloatRange::of_values(values))
}

/// [`sorted_copy`] with the values' range from `range` (taken only for the radix sort).
fn sorted_copy_in(values: &[f64], range: impl FnOnce() -> FloatRange) -> Vec<f64> {
    if values.len() >= RADIX_MIN {
        radix_sorted(values, range())
    } else {
        let mut v = take_buffer(values.len());
        v.extend_from_slice(values);
        v.sort_unstable_by(f64::total_cmp);
        v
    }
}

/// The finite values of `values` in `f64::total_cmp` order: borrowed when they already
/// are (every value finite and in order, checked in one pass: a run's final values come
/// sorted from its last metrics evaluation), else filtered and sorted by [`sorted_copy`].
/// Saves the run's final-state charts two 8 MB copies and a sort at 10^6 actors.
pub(crate) fn sorted_finite(values: &[f64]) -> std::borrow::Cow<'_, [f64]> {
    if finite_and_sorted(values) {
        std::borrow::Cow::Borrowed(values)
    } else {
        let finite: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        std::borrow::Cow::Owned(sorted_copy(&finite))
    }
}

/// Pairs per block of [`finite_and_sorted_portable`]: folded without an early exit, so
/// that the block's comparisons vectorise; the blocks stop at the first that fails.
const CHECK_BLOCK: usize = 4096;

crate::simd::multiversion! {
    /// Whether every value is finite and `values` are in `f64::total_cmp` order. A run's
    /// final-state charts check their 10^6 values three times; `is_sorted_by` with
    /// `total_cmp` took 1.2–1.3 ms a time, one comparison after another (0.2–0.3 ms here).
    fn finite_and_sorted / finite_and_sorted_on(values: &[f64]) -> bool = finite_and_sorted_portable;
}

#[inline(always)]
fn finite_and_sorted_portable(values: &[f64]) -> bool {
    let n = values.len();
    if n == 0 {
        return true;
    }
    if !values[n - 1].is_finite() {
        return false;
    }
    // Indexed loops, no iterator adapters: a generic adapter is compiled apart from the
    // AVX2/AVX-512 versions and would run this check in baseline code.
    let mut start = 0;
    while start + 1 < n {
        let end = (start + CHECK_BLOCK).min(n - 1);
        let mut ok = true;
        for i in start..end {
            let (x, y) = (values[i], values[i + 1]);
            ok &= x.is_finite() & x.total_cmp(&y).is_le();
        }
        if !ok {
            return false;
        }
        start = end;
    }
    true
}

/// `values` sorted ascending by `f64::total_cmp` (equal keys are equal bit patterns, so
/// the result is exactly a comparison sort's).
///
/// One most-significant-digit pass, then least-significant-digit passes inside each
/// bucket, where they run in cache:
/// 1. bounds [lo, hi] on the keys ([`FloatRange::key_bounds`]), and the smallest shift `s` with
///    `(hi >> s) - (lo >> s) < 2^MSD_BITS`: the bits above `s` that vary become the first
///    digit (adaptive: values that share their exponent do not waste the digit);
/// 2. a counting pass and one scatter of the input into those buckets, both over fixed
///    chunks of [`SCATTER_CHUNK`] values (on the rayon pool for large n: each chunk writes
///    its values of bucket d after the earlier chunks' ones, so where a value lands does
///    not depend on the number of threads);
/// 3. each bucket (a few thousand values at n = 10^6) sorted on its low `s` bits by
///    [`sort_bucket`]: 8-bit LSD passes in cache over as many of those bits as its size
///    needs, or a comparison sort when small. Buckets are independent and run on the
///    rayon pool for large n.
///
/// Against the previous 8 full LSD passes over the whole array this moves the data
/// through memory once instead of eight times. (A second MSD pass with comparison sorts
/// of the sub-buckets, instead of the LSD passes, measured 1.3x slower.)
///
/// `range` is the values' [`FloatRange`] (taken by the caller, which may need it too).
fn radix_sorted(values: &[f64], range: FloatRange) -> Vec<f64> {
    let n = values.len();
    let par = n >= PAR_THRESHOLD;
    let (lo, hi) = range.key_bounds(values);
    let mut shift = 0u32;
    while shift < 64 && (hi >> shift) - (lo >> shift) >= 1 << MSD_BITS {
        shift += 1;
    }
    let base = lo >> shift;
    let nb = ((hi >> shift) - base + 1) as usize;
    // Counts per fixed chunk of the input (the chunks do not depend on the thread count).
    let count = |c: &[f64]| {
        let mut h = [0usize; BUCKETS];
        let (shift, base) = (shift, base);
        for &x in c {
            h[bucket(x, shift, base)] += 1;
        }
        h[..nb].to_vec()
    };
    let counts: Vec<Vec<usize>> = if par {
        values.par_chunks(SCATTER_CHUNK).map(count).collect()
    } else {
        values.chunks(SCATTER_CHUNK).map(count).collect()
    };
    // start[d]: where bucket d begins; offsets[c][d]: where chunk c writes its first
    // value of bucket d (after the earlier chunks' values of that bucket).
    let mut start = vec![0usize; nb + 1];
    for h in &counts {
        for (d, &k) in h.iter().enumerate() {
            start[d + 1] += k;
        }
    }
    for i in 0..nb {
        start[i + 1] += start[i];
    }
    let mut offsets = counts;
    let mut front = start.clone();
    for h in offsets.iter_mut() {
        for (d, k) in h.iter_mut().enumerate() {
            let here = front[d];
            front[d] += *k;
            *k = here;
        }
    }
    let mut b = take_filled_buffer(n);
    let dst = SharedOut(b.as_mut_ptr());
    let scatter = |(c, offsets): (&[f64], Vec<usize>)| {
        // Everything the loop reads in locals: read through the closure's captures, they
        // were loaded again after every store through `dst`, which might alias them.
        let mut next = [0usize; BUCKETS];
        next[..nb].copy_from_slice(&offsets);
        let (shift, base, dst) = (shift, base, dst);
        for &x in c {
            let d = bucket(x, shift, base);
            // SAFETY: `next[d]` runs over this chunk's own range of bucket d's slots,
            // [offsets[c][d], offsets[c][d] + counts[c][d]), which is inside `0..n` and
            // disjoint from every other chunk's ranges; `b` outlives the scatter.
            unsafe { dst.write(next[d], x) };
            next[d] += 1;
        }
    };
    if par {
        values
            .par_chunks(SCATTER_CHUNK)
            .zip(offsets.into_par_iter())
            .for_each(scatter);
    } else {
        values.chunks(SCATTER_CHUNK).zip(offsets).for_each(scatter);
    }
    // Split the buffer at the bucket boundaries and sort each bucket in place.
    let mut parts: Vec<&mut [f64]> = Vec::with_capacity(nb);
    let mut rest = b.as_mut_slice();
    for w in start.windows(2) {
        let (part, tail) = std::mem::take(&mut rest).split_at_mut(w[1] - w[0]);
        if !part.is_empty() {
            parts.push(part);
        }
        rest = tail;
    }
    let low_bits = shift as usize;
    let sort_part = |part: &mut [f64]| {
        // Without the thread's scratch (only while the thread is being torn down), a new one.
        if SCRATCH
            .try_with(|s| sort_bucket(part, &mut s.borrow_mut(), low_bits))
            .is_err()
        {
            sort_bucket(part, &mut Vec::new(), low_bits);
        }
    };
    if par {
        parts.into_par_iter().for_each(sort_part);
    } else {
        parts.into_iter().for_each(sort_part);
    }
    b
}

/// The first digit of `x` in [`radix_sorted`]: its key's bits from `shift` up, less the
/// smallest key's, below [`BUCKETS`] for every value in the bounds (the mask only tells
/// the compiler so, which drops the index checks).
#[inline(always)]
fn bucket(x: f64, shift: u32, base: u64) -> usize {
    (((key(x) >> shift) - base) as usize) & (BUCKETS - 1)
}

/// The smallest and largest value of a slice as floats (NaN skipped), and whether it holds
/// a NaN.
#[derive(Debug, Clone, Copy)]
struct FloatRange {
    min: f64,
    max: f64,
    nan: bool,
}

impl FloatRange {
    /// The range of `values`, over fixed chunks on the rayon pool for large n.
    fn of_values(values: &[f64]) -> FloatRange {
        if values.len() >= PAR_THRESHOLD {
            values
                .par_chunks(SCATTER_CHUNK)
                .map(FloatRange::of)
                .reduce(FloatRange::empty, FloatRange::merge)
        } else {
            FloatRange::of(values)
        }
    }

    fn empty() -> FloatRange {
        FloatRange {
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            nan: false,
        }
    }

    fn merge(a: FloatRange, b: FloatRange) -> FloatRange {
        FloatRange {
            min: if b.min < a.min { b.min } else { a.min },
            max: if b.max > a.max { b.max } else { a.max },
            nan: a.nan | b.nan,
        }
    }

    /// The range of `c`, in [`RANGE_LANES`] lanes: that vectorises, where a fold of the
    /// 64-bit keys stayed scalar (x86-64 has no unsigned 64-bit vector min/max before
    /// AVX-512), 3.5x faster at 10^6 values.
    fn of(c: &[f64]) -> FloatRange {
        let mut lo = [f64::INFINITY; RANGE_LANES];
        let mut hi = [f64::NEG_INFINITY; RANGE_LANES];
        let mut nan = [false; RANGE_LANES];
        let chunks = c.chunks_exact(RANGE_LANES);
        let rest = chunks.remainder();
        for ch in chunks {
            for l in 0..RANGE_LANES {
                let v = ch[l];
                lo[l] = if v < lo[l] { v } else { lo[l] };
                hi[l] = if v > hi[l] { v } else { hi[l] };
                nan[l] |= v.is_nan();
            }
        }
        let mut r = FloatRange {
            nan: nan.contains(&true),
            ..FloatRange::empty()
        };
        for &v in rest.iter().chain(&lo) {
            r.min = if v < r.min { v } else { r.min };
            r.nan |= v.is_nan();
        }
        for &v in rest.iter().chain(&hi) {
            r.max = if v > r.max { v } else { r.max };
        }
        r
    }

    /// Bounds `(lo, hi)` on the keys ([`key`]) of `values`, whose range this is: every key
    /// is in `lo..=hi`, and both are keys of values in `values`, except that a zero minimum
    /// (maximum) gives `key(-0.0)` (`key(0.0)`) whichever zeros it holds. Only
    /// [`radix_sorted`]'s first digit depends on the bounds, not its result. The floats'
    /// order is the keys' except for the two zeros (handled as above) and NaN, which the
    /// float comparisons skip: with a NaN the keys themselves are folded instead.
    fn key_bounds(self, values: &[f64]) -> (u64, u64) {
        if self.nan || values.is_empty() {
            return values.iter().fold((u64::MAX, 0u64), |(lo, hi), &x| {
                let k = key(x);
                (lo.min(k), hi.max(k))
            });
        }
        let lo = if self.min == 0.0 {
            key(-0.0)
        } else {
            key(self.min)
        };
        let hi = if self.max == 0.0 {
            key(0.0)
        } else {
            key(self.max)
        };
        (lo, hi)
    }
}

/// Lanes of [`FloatRange::of`]'s minimum and maximum.
const RANGE_LANES: usize = 8;

/// Input values per chunk of [`radix_sorted`]'s parallel range, count and scatter passes:
/// 61 chunks at 10^6 values, so that as many threads can share them (with 2^16, 16 chunks
/// capped those passes at 16 threads; on 2 cores the two sizes measured the same). The
/// chunks do not change the result: the sorted order is unique.
const SCATTER_CHUNK: usize = 1 << 14;

/// The scatter's destination, written from several threads at disjoint indices.
#[derive(Clone, Copy)]
struct SharedOut(*mut f64);
// SAFETY: only used by `radix_sorted`'s scatter, whose chunks write disjoint indices.
unsafe impl Send for SharedOut {}
unsafe impl Sync for SharedOut {}

impl SharedOut {
    /// # Safety
    /// `i` is in bounds of the buffer and no other thread writes or reads index `i`
    /// during the scatter.
    #[inline(always)]
    unsafe fn write(self, i: usize, x: f64) {
        unsafe { self.0.add(i).write(x) }
    }
}

/// Extra key bits, beyond log2 of a bucket's length, that [`sort_bucket`]'s LSD passes
/// sort on: with 2^6 times more possible prefixes than values, a value shares its
/// prefix with another one about once in 64 (for spread-out data), so the final pass
/// that orders runs of equal prefixes by their full keys finds almost nothing to do.
const SPARE_BITS: usize = 6;

thread_local! {
    /// [`sort_bucket`]'s scratch, kept between buckets on this thread: twice the largest
    /// bucket it sorted, up to [`SCRATCH_KEEP`] values (a larger one is freed after use).
    static SCRATCH: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
    /// [`sort_bucket`]'s digit counts, kept between buckets on this thread (48 KB).
    static HIST: std::cell::RefCell<[[u32; LSD_SIZE]; LSD_PASSES]> =
        const { std::cell::RefCell::new([[0; LSD_SIZE]; LSD_PASSES]) };
}

/// Scratch values a thread keeps between buckets (2 MB): twice a bucket of 2^17 values,
/// more than the largest a spread-out distribution of 10^7 values puts in one of 256.
const SCRATCH_KEEP: usize = 1 << 18;

/// Sort `bucket` (keys equal above bit `low_bits`) in place by the low `low_bits` bits of
/// the key: a comparison sort when small; otherwise LSD passes over only the top
/// `log2(len) + SPARE_BITS` of those bits (digits on which the whole bucket agrees
/// skipped), then runs of values whose sorted-on prefixes are equal are sorted by
/// comparison ([`sort_ties`]: exact, whatever the data). Against LSD passes over all
/// `low_bits` (6 passes for the growth model's values at 10^6) this halves the passes.
/// The passes are as few as digits of up to [`LSD_BITS`] bits allow, their digits as even
/// as possible: a bucket of a few thousand values sorts on 19 bits in two passes of 10
/// (three of 8 before; one metrics evaluation at 10^6 on one thread 12.5–13.0 → 11.3–12.0
/// ms of CPU).
///
/// The passes go through this thread's `scratch` (two halves of the bucket's length,
/// warm in the core's cache from one bucket to the next) and the last one writes back into
/// the bucket: the sort touches no other buffer of the size of the data, whose lines would
/// be cold (a second 8 MB buffer, last touched an evaluation ago, made the first pass take
/// 2.3–2.7 ms per 10^6 values against 1.4–1.8 for the others).
fn sort_bucket(bucket: &mut [f64], scratch: &mut Vec<f64>, low_bits: usize) {
    let len = bucket.len();
    if low_bits == 0 {
        // One key, so one bit pattern (`key` is one-to-one): already in order (e.g. a
        // run's equal initial values, whose one tie run a comparison sort took 1 ms to
        // confirm at 10^6).
        return;
    }
    if len <= SMALL_BUCKET {
        bucket.sort_unstable_by(f64::total_cmp);
        return;
    }
    let wanted = (usize::BITS - len.leading_zeros()) as usize + SPARE_BITS;
    let span = low_bits.min(wanted);
    let passes = span.div_ceil(LSD_BITS);
    // The digits as even as the passes allow (19 bits: two of 10, not 11 and 8).
    let bits = span.div_ceil(passes);
    // The lowest key bit the passes look at.
    let low = low_bits.saturating_sub(passes * bits);
    let size = 1usize << bits;
    HIST.with_borrow_mut(|hist| {
        let hist = &mut hist[..passes];
        for h in hist.iter_mut() {
            h[..size].fill(0);
        }
        count_all_digits(bucket, low, bits, hist);
        // The digits that move something (on the others the whole bucket agrees), each
        // histogram turned into its digit's first positions.
        let mut live = [0usize; LSD_PASSES];
        let mut m = 0;
        for (p, h) in hist.iter_mut().enumerate() {
            let h = &mut h[..size];
            if !h.iter().any(|&c| c as usize == len) {
                live[m] = p;
                m += 1;
                let mut acc = 0u32;
                for c in h.iter_mut() {
                    let here = acc;
                    acc += *c;
                    *c = here;
                }
            }
        }
        let Some((&last, first)) = live[..m].split_last() else {
            return;
        };
        if scratch.len() < 2 * len {
            scratch.resize(2 * len, 0.0);
        }
        let (mut here, mut there) = scratch[..2 * len].split_at_mut(len);
        let mut scatter = |from: &[f64], to: &mut [f64], p: usize| {
            scatter_digit(from, to, &mut hist[p], low + p * bits, bits);
        };
        match first.split_first() {
            // One pass: out to the scratch and back.
            None => {
                scatter(bucket, here, last);
                bucket.copy_from_slice(here);
            }
            Some((&p0, middle)) => {
                scatter(bucket, here, p0);
                for &p in middle {
                    scatter(here, there, p);
                    std::mem::swap(&mut here, &mut there);
                }
                scatter(here, bucket, last);
            }
        }
    });
    if scratch.capacity() > SCRATCH_KEEP {
        *scratch = Vec::new();
    }
    if low > 0 {
        sort_ties(bucket, low);
    }
}

/// `hist[p][d]` += the number of `values` whose digit p (the `bits` bits of the key from bit
/// `low + p·bits` up) is d, for every p < `hist.len()`: up to three digits per pass over the
/// values (more only in buckets of 2^28 values and up).
fn count_all_digits(values: &[f64], low: usize, bits: usize, hist: &mut [[u32; LSD_SIZE]]) {
    for (g, three) in hist.chunks_mut(3).enumerate() {
        let low = low + 3 * g * bits;
        match three {
            [a] => count_digits(values, low, bits, [a]),
            [a, b] => count_digits(values, low, bits, [a, b]),
            [a, b, c] => count_digits(values, low, bits, [a, b, c]),
            _ => unreachable!("chunks of at most three"),
        }
    }
}

/// The counts of `P` digits of `bits` bits from key bit `low` up, in one pass over
/// `values` (the digits' loop unrolled: the common bucket at 10^6 values has two or three).
#[inline(always)]
fn count_digits<const P: usize>(
    values: &[f64],
    low: usize,
    bits: usize,
    hist: [&mut [u32; LSD_SIZE]; P],
) {
    let mask = (1u64 << bits) - 1;
    for &x in values {
        let k = key(x) >> low;
        for p in 0..P {
            hist[p][((k >> (p * bits)) & mask) as usize & (LSD_SIZE - 1)] += 1;
        }
    }
}

/// One LSD pass: `from` scattered into `to` by the `bits`-bit digit at `shift`, stable,
/// with `next` that digit's first positions (advanced as the values are written).
#[inline(always)]
fn scatter_digit(
    from: &[f64],
    to: &mut [f64],
    next: &mut [u32; LSD_SIZE],
    shift: usize,
    bits: usize,
) {
    let mask = (1u64 << bits) - 1;
    // `& (LSD_SIZE - 1)` changes no digit (bits <= LSD_BITS): it tells the compiler the
    // index is in bounds, which drops the check.
    for &x in from {
        let d = ((key(x) >> shift) & mask) as usize & (LSD_SIZE - 1);
        to[next[d] as usize] = x;
        next[d] += 1;
    }
}

/// Neighbours per block of [`sort_ties`]' branch-free scan.
const TIE_BLOCK: usize = 64;

/// Sort by their full keys the runs of `out` (in order of `key >> low`) whose values agree
/// on `key >> low`. Such runs are rare (a few hundred among 10^6 values), so the scan
/// first asks of each block of [`TIE_BLOCK`] neighbours, without branching, whether it
/// holds one ([`has_tie`]; 1.1 → 0.2–0.4 ms per 10^6 values against a test per pair).
fn sort_ties(out: &mut [f64], low: usize) {
    let len = out.len();
    let prefix = |x: f64| key(x) >> low;
    let mut start = 0;
    while start + 1 < len {
        let end = (start + TIE_BLOCK).min(len - 1);
        if !has_tie(&out[start..=end], low) {
            start = end;
            continue;
        }
        let mut i = start;
        while i < end {
            if prefix(out[i]) != prefix(out[i + 1]) {
                i += 1;
                continue;
            }
            let p = prefix(out[i]);
            let mut j = i + 2;
            while j < len && prefix(out[j]) == p {
                j += 1;
            }
            out[i..j].sort_unstable_by(f64::total_cmp);
            i = j;
        }
        start = i.max(end);
    }
}

crate::simd::multiversion! {
    /// Whether two neighbours of `v` agree on `key >> low` (compiled for AVX2 and
    /// AVX-512 too: the baseline has no 64-bit vector comparison).
    fn has_tie / has_tie_on(v: &[f64], low: usize) -> bool = has_tie_portable;
}

#[inline(always)]
fn has_tie_portable(v: &[f64], low: usize) -> bool {
    let Some((_, rest)) = v.split_first() else {
        return false;
    };
    let mut tie = false;
    for (&x, &y) in v.iter().zip(rest) {
        tie |= ((key(x) ^ key(y)) >> low) == 0;
    }
    tie
}

/// Σ over fixed-size chunks of `f(start_index, chunk)`, partial sums added in chunk order.
/// Runs the chunks in parallel when the slice is long; the result is identical either way.
/// (For the tests: the definition that [`chunked_total`] and the fused sums are checked
/// against.)
#[cfg(test)]
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

/// `K` sums over fixed-size chunks at once: `f(start_index, chunk)` returns the K partial
/// sums of a chunk, and each of the K totals is the sum of its partials in chunk order (the
/// same association as K separate `chunked_sum` calls). Runs the chunks in parallel when
/// the slice is long; the result is identical either way.
pub(crate) fn chunked_sums<const K: usize, F>(xs: &[f64], f: F) -> [f64; K]
where
    F: Fn(usize, &[f64]) -> [f64; K] + Sync,
{
    let partial: Vec<[f64; K]> = if xs.len() > PAR_THRESHOLD {
        xs.par_chunks(CHUNK)
            .enumerate()
            .map(|(c, chunk)| f(c * CHUNK, chunk))
            .collect()
    } else {
        xs.chunks(CHUNK)
            .enumerate()
            .map(|(c, chunk)| f(c * CHUNK, chunk))
            .collect()
    };
    std::array::from_fn(|k| partial.iter().map(|p| p[k]).sum())
}

/// Chunks whose sums [`chunked_total`] adds side by side.
const GROUP: usize = 4;

/// The sum of `xs` chunk by chunk, as [`chunked_sums`] with `chunk.iter().sum()` gives
/// it: each chunk's values added in order, the chunks' sums in chunk order. One chunk's sum
/// is one chain of dependent additions, which runs at the adder's latency; [`GROUP`]
/// chunks at a time run their chains side by side ([`chunk_sums`]), while there are at
/// least four such groups per thread (otherwise one chunk per task, for many cores). The
/// same bits either way; one metrics evaluation at 10^6 on one thread about 0.6 ms of CPU
/// less (of 12).
fn chunked_total(xs: &[f64]) -> f64 {
    let par = xs.len() > PAR_THRESHOLD;
    let threads = if par { rayon::current_num_threads() } else { 1 };
    let per_task = if xs.len().div_ceil(CHUNK) >= 4 * GROUP * threads {
        GROUP * CHUNK
    } else {
        CHUNK
    };
    let partial: Vec<([f64; GROUP], usize)> = if par {
        xs.par_chunks(per_task).map(chunk_sums).collect()
    } else {
        xs.chunks(per_task).map(chunk_sums).collect()
    };
    partial.iter().flat_map(|(sums, m)| &sums[..*m]).sum()
}

/// The sums of the chunks of `part` (at most [`GROUP`]), each `chunk.iter().sum()`, and
/// how many there are; a whole group's additions interleaved, chunk by chunk in order.
fn chunk_sums(part: &[f64]) -> ([f64; GROUP], usize) {
    // `Sum` for floats starts from -0.0 (so that a sum of -0.0s is -0.0): so do these.
    let mut sums = [-0.0f64; GROUP];
    if part.len() == GROUP * CHUNK {
        let cs: [&[f64]; GROUP] = std::array::from_fn(|k| &part[k * CHUNK..(k + 1) * CHUNK]);
        // Value i of every chunk, then value i + 1: indexed on purpose.
        #[allow(clippy::needless_range_loop)]
        for i in 0..CHUNK {
            for k in 0..GROUP {
                sums[k] += cs[k][i];
            }
        }
        return (sums, GROUP);
    }
    let mut m = 0;
    for (sum, c) in sums.iter_mut().zip(part.chunks(CHUNK)) {
        *sum = c.iter().sum();
        m += 1;
    }
    (sums, m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_total_is_the_chunks_sums_in_order() {
        // Lengths with and without a partial last group and chunk, on one thread and two
        // (groups from 16 and 32 chunks on); chunks of -0.0 (whose `Sum` is -0.0).
        let mut xs: Vec<f64> = (0..3 * 4 * GROUP * CHUNK + CHUNK + 777)
            .map(|i| ((i * 7919) % 1000) as f64 * 0.1 + 1e-3 + (i as f64).sqrt() * 1e-7)
            .collect();
        xs[5 * CHUNK..7 * CHUNK].fill(-0.0);
        let zeros = vec![-0.0; 40 * CHUNK];
        let lens = [xs.len(), 8 * GROUP * CHUNK, 4 * GROUP * CHUNK - 1, 5000];
        let cases = lens.iter().map(|&n| &xs[..n]).chain([zeros.as_slice()]);
        for xs in cases {
            let want: f64 = xs.chunks(CHUNK).map(|c| c.iter().sum::<f64>()).sum();
            for threads in [1, 2] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let got = pool.install(|| chunked_total(xs));
                assert_eq!(
                    got.to_bits(),
                    want.to_bits(),
                    "{} values, {threads} threads",
                    xs.len()
                );
            }
        }
        let (sums, m) = chunk_sums(&zeros[..GROUP * CHUNK]);
        assert_eq!(
            (sums.map(f64::to_bits), m),
            ([(-0.0f64).to_bits(); GROUP], GROUP)
        );
        let (sums, m) = chunk_sums(&xs[..GROUP * CHUNK]);
        for (k, c) in xs[..GROUP * CHUNK].chunks(CHUNK).enumerate() {
            assert_eq!(
                sums[k].to_bits(),
                c.iter().sum::<f64>().to_bits(),
                "chunk {k}"
            );
        }
        assert_eq!(m, GROUP);
    }

    #[test]
    fn finite_and_sorted_is_the_definition_on_every_path() {
        let definition = |v: &[f64]| {
            v.iter().all(|x| x.is_finite()) && v.is_sorted_by(|a, b| a.total_cmp(b).is_le())
        };
        let mut next = crate::rng::test_bits(11u64);
        let special = [0.0, -0.0, 1.0, -1.0, f64::INFINITY, f64::NAN, 1e-310];
        let mut cases: Vec<Vec<f64>> =
            vec![vec![], vec![f64::NAN], vec![-0.0, 0.0], vec![0.0, -0.0]];
        for n in [
            1usize,
            2,
            3,
            17,
            CHECK_BLOCK,
            CHECK_BLOCK + 1,
            3 * CHECK_BLOCK + 5,
        ] {
            for kind in 0..4 {
                let mut v: Vec<f64> = (0..n).map(|_| (next() % 1000) as f64 - 300.0).collect();
                v.sort_by(f64::total_cmp);
                match kind {
                    // sorted, with a block of equal values
                    0 => {
                        let m = n / 2;
                        let x = v[m];
                        v[m..(m + 3).min(n)].fill(x);
                    }
                    // one special value somewhere
                    1 => v[(next() as usize) % n] = special[(next() as usize) % special.len()],
                    // two neighbours swapped
                    2 if n > 1 => {
                        let i = (next() as usize) % (n - 1);
                        v.swap(i, i + 1);
                    }
                    // the zeros of both signs in and out of order
                    _ => {
                        let i = (next() as usize) % n;
                        v[i] = if next().is_multiple_of(2) { 0.0 } else { -0.0 };
                    }
                }
                cases.push(v);
            }
        }
        let mut both = (0, 0);
        for v in &cases {
            let want = definition(v);
            if want {
                both.0 += 1
            } else {
                both.1 += 1
            }
            for isa in crate::simd::Isa::available() {
                assert_eq!(
                    finite_and_sorted_on(isa, v),
                    want,
                    "{isa:?} on {:?}",
                    &v[..v.len().min(8)]
                );
            }
        }
        // Both answers occur.
        assert!(both.0 > 5 && both.1 > 5, "{both:?}");
    }

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
        let mut next = crate::rng::test_bits(0x1234_5678_9abc_def0u64);
        for n in [
            1usize,
            2,
            17,
            SMALL_BUCKET + 1,
            RADIX_MIN,
            100_003,
            PAR_THRESHOLD + 7,
        ] {
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
            let got = radix_sorted(&xs, FloatRange::of_values(&xs));
            assert_eq!(
                got.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                want.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn float_range_key_bounds_bound_every_key() {
        let mut next = crate::rng::test_bits(99u64);
        let special = [
            0.0,
            -0.0,
            f64::NAN,
            -f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -1.5,
            f64::MIN_POSITIVE,
        ];
        for n in [1usize, 7, 8, 9, 100] {
            for case in 0..200 {
                let xs: Vec<f64> = (0..n)
                    .map(|_| match next() % 4 {
                        0 if case % 2 == 0 => special[(next() % 8) as usize],
                        1 => f64::from_bits(next()),
                        _ => (next() >> 11) as f64 * 1e-10,
                    })
                    .collect();
                let (lo, hi) = FloatRange::of_values(&xs).key_bounds(&xs);
                // The ranges of two parts merged are the range of the whole.
                let (a, b) = xs.split_at(n / 2);
                let merged = FloatRange::merge(FloatRange::of(a), FloatRange::of(b));
                assert_eq!(merged.key_bounds(&xs), (lo, hi), "{xs:?}");
                let keys = xs.iter().map(|&x| key(x));
                let (min, max) = (keys.clone().min().unwrap(), keys.max().unwrap());
                assert!(lo <= min && max <= hi, "{xs:?}");
                // Tight but for the zeros.
                let lo_ok = lo == min || (lo == key(-0.0) && min == key(0.0));
                let hi_ok = hi == max || (hi == key(0.0) && max == key(-0.0));
                assert!(
                    lo_ok && hi_ok,
                    "{xs:?}: ({lo:x}, {hi:x}) vs ({min:x}, {max:x})"
                );
            }
        }
    }

    #[test]
    fn sort_bucket_sorts_in_place_with_any_number_of_passes_and_frees_a_large_scratch() {
        let mut next = crate::rng::test_bits(13u64);
        let base = 1.5f64.to_bits();
        // Keys that vary only in their low `vary` bits, sorted on `low_bits` (one bucket of
        // the first digit): no live pass (the passes' digits are all equal: one tie run);
        // one pass of 8 bits; two of 8; two of 10 over the top 19 of 30 bits, then the
        // ties; three of 8 over the top 24 in a bucket larger than the scratch a thread
        // keeps.
        for (len, vary, low_bits, passes) in [
            (5_000usize, 5u32, 30usize, 0usize),
            (5_000, 8, 8, 1),
            (5_000, 16, 16, 2),
            (5_000, 30, 30, 2),
            (SCRATCH_KEEP / 2 + 1, 30, 30, 3),
        ] {
            let mut v: Vec<f64> = (0..len)
                .map(|_| f64::from_bits(base + (next() & ((1 << vary) - 1))))
                .collect();
            let mut want = v.clone();
            want.sort_unstable_by(f64::total_cmp);
            let mut scratch = Vec::new();
            sort_bucket(&mut v, &mut scratch, low_bits);
            assert!(
                v.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()),
                "len {len} vary {vary} low_bits {low_bits}"
            );
            let kept = scratch.capacity();
            assert!(kept <= SCRATCH_KEEP, "kept {kept} values of scratch");
            if passes == 0 {
                assert_eq!(kept, 0, "no pass, no scratch");
            } else if len < SCRATCH_KEEP / 2 {
                assert!(kept >= 2 * len, "the scratch is kept for the next bucket");
            }
        }
    }

    #[test]
    fn digit_counts_are_the_definition_for_any_number_of_digits() {
        let mut next = crate::rng::test_bits(17u64);
        let values: Vec<f64> = (0..3000).map(|_| f64::from_bits(next() >> 2)).collect();
        for (passes, bits, low) in [(1usize, 11usize, 0usize), (2, 10, 3), (3, 8, 40), (5, 9, 7)] {
            let mut hist = vec![[0u32; LSD_SIZE]; passes];
            count_all_digits(&values, low, bits, &mut hist);
            let mut want = vec![[0u32; LSD_SIZE]; passes];
            for &x in &values {
                for (p, h) in want.iter_mut().enumerate() {
                    h[((key(x) >> (low + p * bits)) & ((1 << bits) - 1)) as usize] += 1;
                }
            }
            assert!(
                hist == want,
                "{passes} digits of {bits} bits from bit {low}"
            );
        }
    }

    #[test]
    fn has_tie_is_the_definition_on_every_path() {
        let mut next = crate::rng::test_bits(11u64);
        let definition =
            |v: &[f64], low: usize| v.windows(2).any(|w| key(w[0]) >> low == key(w[1]) >> low);
        for low in [0usize, 3, 20, 40] {
            for len in [0usize, 1, 2, 7, TIE_BLOCK + 1] {
                // Distinct prefixes (ascending), then each pair in turn made a tie on the
                // prefix only: the bits below `low` still differ.
                let base: Vec<f64> = (0..len as u64)
                    .map(|i| f64::from_bits(((i + 1) << 44) | (next() & ((1 << 40) - 1))))
                    .collect();
                let mut cases = vec![base.clone()];
                for i in 0..len.saturating_sub(1) {
                    let mut v = base.clone();
                    let b = v[i].to_bits() >> low << low;
                    v[i + 1] = f64::from_bits(b | (next() & ((1u64 << low) - 1)));
                    cases.push(v);
                }
                for v in &cases {
                    let want = definition(v, low);
                    for isa in crate::simd::Isa::available() {
                        assert_eq!(has_tie_on(isa, v, low), want, "{isa:?} low {low} len {len}");
                    }
                }
                if len >= 2 && low > 0 {
                    assert!(!definition(&cases[0], low) && definition(&cases[1], low));
                }
            }
        }
    }

    #[test]
    fn radix_sort_matches_on_narrow_and_tied_data() {
        // Lognormal-like values (few exponents: the adaptive first digit), many exact ties,
        // a single repeated value, and values differing only in the last bit.
        let mut next = crate::rng::test_unit(7u64);
        let cases: Vec<Vec<f64>> = vec![
            (0..300_000).map(|_| (2.0 * next() - 1.0).exp()).collect(),
            (0..200_000).map(|_| (next() * 50.0).floor()).collect(),
            vec![3.5; 50_000],
            vec![f64::NAN; 5_000],
            (0..50_000u64)
                .map(|i| f64::from_bits(1.0f64.to_bits() + (i * 7919) % 1000))
                .collect(),
            (0..50_000)
                .map(|i| if i % 3 == 0 { -0.0 } else { 0.0 })
                .collect(),
            // All negative, then all positive with zeros of both signs.
            (0..150_000)
                .map(|i| -(2.0 * next() - 1.0).exp() - f64::from(i % 3))
                .collect(),
            (0..150_000)
                .map(|i| match i % 1000 {
                    0 => -0.0,
                    1 => 0.0,
                    _ => (2.0 * next() - 1.0).exp(),
                })
                .collect(),
            // NaNs of both signs, infinities and negative values among lognormal ones
            // (the range's fallback to the key fold).
            (0..120_000u64)
                .map(|i| match i % 50 {
                    0 => f64::NAN,
                    1 => -f64::NAN,
                    2 => f64::INFINITY,
                    3 => f64::NEG_INFINITY,
                    4 => -next(),
                    _ => (2.0 * next() - 1.0).exp(),
                })
                .collect(),
            // Spread-out values, and a cluster that agrees on every bit but the lowest 20:
            // one first-digit bucket holds a long run equal on the LSD passes' prefix,
            // which the final comparison pass must order.
            (0..300_000u64)
                .map(|i| {
                    if i % 2 == 0 {
                        1e-3 + 1e3 * next()
                    } else {
                        f64::from_bits(5.0f64.to_bits() + (crate::rng::mix64(i) & 0xF_FFFF))
                    }
                })
                .collect(),
        ];
        for xs in cases {
            let mut want = xs.clone();
            want.sort_unstable_by(f64::total_cmp);
            let got = radix_sorted(&xs, FloatRange::of_values(&xs));
            assert!(
                got.iter()
                    .zip(&want)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "radix sort differs from the comparison sort"
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
        // Long enough for the check on the pool: the first offender by index is reported
        // whichever chunk finds one first; -0.0 and f64::MAX are valid.
        let mut long = vec![1.0; 3 * PAR_THRESHOLD];
        long[7] = -0.0;
        long[8] = f64::MAX;
        assert!(Sorted::new(&long).is_ok());
        long[2 * PAR_THRESHOLD + 5] = f64::NEG_INFINITY;
        long[PAR_THRESHOLD + 3] = f64::NAN;
        match Sorted::new(&long).unwrap_err() {
            MetricsError::InvalidValue { index, value } => {
                assert_eq!(index, PAR_THRESHOLD + 3);
                assert!(value.is_nan());
            }
            e => panic!("{e:?}"),
        }
    }
}

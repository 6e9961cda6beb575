//! Standard normal deviates in bulk: ARS-7 blocks ([`ars`]) turned into normals by a
//! 256-layer ziggurat (Marsaglia and Tsang 2000, with Doornik's 2005 remedy: the layer
//! index and the uniform come from separate bits), written so that the common case
//! vectorises (VAES and AVX2 where the CPU has them, AES-NI and AVX2 where it has no VAES,
//! portable code otherwise, with bit-identical results: only integer operations and
//! IEEE-754 `+ - * / sqrt`, no fused multiply-add).
//!
//! **The stream** (version [`NORMAL_STREAM_VERSION`]). Normal `j` (j = 0, 1, 2, …,
//! j < 2^55) of the stream `(key, stream)` comes from the ARS-7 block `b = j / 2` with the
//! 128-bit counter `b + 2^64·stream` and the 128-bit key `key` (its high half zero): the
//! block's low 64 bits are the word `a` of even j, its high 64 bits that of odd j.
//! From `a`: the layer `i = a mod 256`, the sign bit 8, and `u = (a >> 12)·2^-52` ∈ [0, 1).
//!
//! * If `x = u·X[i] < X[i+1]` (the layer's rectangle under the density: 98.5% of draws),
//!   the normal is `±x`.
//! * Otherwise (the wedge of layer i > 0, or the tail beyond `R = X[1]` for the base layer
//!   i = 0) the standard ziggurat continues with fresh uniforms from the *fix-up blocks*
//!   of j: the blocks with counter `f = 2^63 + 256 j + t` (t = 0, 1, … the attempt; the
//!   main blocks never reach 2^63) in the same stream and key. A wedge attempt takes a
//!   uniform from the block's first 64-bit word (accept if under the density) and, when
//!   it rejects, a new (i, sign, u) from its second; a tail attempt is Marsaglia's (1964)
//!   method, `a = -ln(U1)/R, b = -ln(U2)`, accept `R + a` when `2b > a²`, with U1, U2 from
//!   the block's two words (U = 1 - v·2^-52 ∈ [2^-52, 1]).
//!
//! Every attempt draws fresh independent uniforms, so the law is exactly the ziggurat's:
//! N(0, 1) up to the tables' rounding. A normal is a pure function of (key, stream, j):
//! any slice of a stream can be made on any thread, in any order, with the same values;
//! nothing depends on how work is split. The largest |z| the tail can produce is
//! R + 52 ln 2 / R ≈ 13.5.
//!
//! The tables are computed once from R = 3.654152885361009 and the layer area
//! V = 0.00492867323399 (the constants of Marsaglia and Tsang, and of `rand_distr`) with
//! the crate's own deterministic `exp`/`ln` (fdlibm's algorithms, only IEEE operations),
//! so they are the same bits on every machine.

use std::sync::OnceLock;

use super::ars::{self, LANES, Words};
use crate::setup::numerics::exp_fast;
use crate::vmath::ln_fast;

/// Names the mapping from (key, stream, j) to a normal deviate. Recorded in run outputs:
/// a change of this mapping changes every random result, and gets a new version.
pub const NORMAL_STREAM_VERSION: &str = "ars7-ziggurat256-1";

/// Normals per batch: two per ARS block, [`LANES`] blocks side by side.
pub const BATCH: usize = 2 * LANES;

/// Indices at and above this are outside a stream (the fix-up blocks start at 2^63).
pub const MAX_INDEX: u64 = 1 << 55;

/// Ziggurat layers.
const LAYERS: usize = 256;
/// Start of the tail (the base layer's rectangle ends here).
const ZIG_R: f64 = 3.654_152_885_361_009;
/// Area of every layer (and of the base layer with the tail).
const ZIG_V: f64 = 0.004_928_673_233_99;

/// Bit pattern of 1.0.
const ONE_BITS: u64 = 0x3FF0_0000_0000_0000;

struct Tables {
    /// Layer edges, `x[0] = V / f(R) > x[1] = R > … > x[256] = 0`.
    x: [f64; LAYERS + 1],
    /// The density at the edges, `f[i] = exp(-x[i]²/2)`.
    f: [f64; LAYERS + 1],
}

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        let dens = |x: f64| exp_fast(-0.5 * x * x);
        let mut x = [0.0; LAYERS + 1];
        x[0] = ZIG_V / dens(ZIG_R);
        x[1] = ZIG_R;
        for i in 1..LAYERS - 1 {
            x[i + 1] = (-2.0 * ln_fast(ZIG_V / x[i] + dens(x[i]))).sqrt();
        }
        x[LAYERS] = 0.0;
        let mut f = [0.0; LAYERS + 1];
        for (fi, &xi) in f.iter_mut().zip(&x) {
            *fi = dens(xi);
        }
        f[LAYERS] = 1.0;
        Tables { x, f }
    })
}

/// A stream of standard normal deviates, addressed by index (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Normals {
    key: u128,
    stream: u64,
}

impl Normals {
    /// The stream `stream` under the 64-bit `key` (typically a seed derived with
    /// [`super::derive_seed`]).
    pub fn new(key: u64, stream: u64) -> Normals {
        Normals {
            key: u128::from(key),
            stream,
        }
    }

    /// Normal number `j` of the stream (the same value [`Normals::fill`] puts there).
    /// `j` must be below [`MAX_INDEX`].
    pub fn get(&self, j: u64) -> f64 {
        assert!(j < MAX_INDEX, "normal index {j} beyond the stream");
        let a = self.word(j);
        let t = tables();
        let (z, ok) = fast(t, a);
        if ok { z } else { self.slow(t, j, a) }
    }

    /// The 64-bit word normal `j` starts from (see the module docs).
    fn word(&self, j: u64) -> u64 {
        self.block(j / 2)[(j % 2) as usize]
    }

    /// The two 64-bit words (low half, high half) of the ARS block of counter `c` in this
    /// stream (see the module docs).
    fn block(&self, c: u64) -> [u64; 2] {
        let b = ars::block(ars::counter(c, self.stream), self.key);
        [b as u64, (b >> 64) as u64]
    }

    /// `out[i]` = normal number `start + i` of the stream, for every i
    /// (`start + out.len()` must not exceed [`MAX_INDEX`]).
    pub fn fill(&self, start: u64, out: &mut [f64]) {
        assert!(
            start <= MAX_INDEX && out.len() as u64 <= MAX_INDEX - start,
            "normal indices beyond the stream"
        );
        // The AES-NI and VAES paths are AVX2 code: `COUNTERWEIGHT_SIMD=baseline` turns
        // them off with the rest (`simd::in_use`).
        #[cfg(target_arch = "x86_64")]
        if crate::simd::allows(crate::simd::SimdLevel::Avx2) {
            if ars::has_vaes() {
                // SAFETY: AES-NI, AVX2 and VAES are available (checked just above).
                unsafe { fill_vaes(self, start, out) };
                return;
            }
            if has_aesni_avx2() {
                // SAFETY: AES-NI and AVX2 are available (checked just above).
                unsafe { fill_aesni(self, start, out) };
                return;
            }
        }
        fill_generic(self, start, out);
    }

    /// The ziggurat's continuation for normal `j` whose first attempt `a` missed the
    /// rectangles, from `j`'s fix-up blocks (see the module docs).
    #[cold]
    #[inline(never)]
    fn slow(&self, t: &Tables, j: u64, a: u64) -> f64 {
        self.resume(t, j, decode(a), 0)
    }

    /// The continuation of normal `j` from the layer state `(i, sign, u)`, with fix-up
    /// block `attempt` next.
    fn resume(&self, t: &Tables, j: u64, state: (usize, u64, f64), mut attempt: u64) -> f64 {
        let (mut i, mut neg, mut u) = state;
        loop {
            let x = u * t.x[i];
            if x < t.x[i + 1] {
                return sign(x, neg);
            }
            let [first, second] = self.block(fixup_counter(j, attempt));
            attempt += 1;
            match fixup(t, (i, neg, x), first, second) {
                Ok(z) => return z,
                Err(next) => (i, neg, u) = next,
            }
        }
    }
}

/// The counter of fix-up block `attempt` of normal `j` (see the module docs).
#[inline(always)]
fn fixup_counter(j: u64, attempt: u64) -> u64 {
    (1u64 << 63) | (j << 8) | (attempt & 0xFF)
}

/// One fix-up attempt for a draw `x = u·X[i]` that missed layer i's rectangle, with the
/// fix-up block's two 64-bit words: the normal, or the layer state of the next attempt.
#[inline(always)]
fn fixup(
    t: &Tables,
    (i, neg, x): (usize, u64, f64),
    first: u64,
    second: u64,
) -> Result<f64, (usize, u64, f64)> {
    if i == 0 {
        // The tail beyond R (Marsaglia 1964).
        let ta = -ln_fast(open_unit(first)) / ZIG_R;
        let tb = -ln_fast(open_unit(second));
        if tb + tb > ta * ta {
            return Ok(sign(ZIG_R + ta, neg));
        }
        // Rejected: another tail attempt with the next fix-up block (u = ∞ misses the
        // rectangle again).
        return Err((0, neg, f64::INFINITY));
    }
    // The wedge of layer i: a uniform height between f(x[i]) and f(x[i+1]).
    let v = f64::from_bits(first >> 12 | ONE_BITS) - 1.0;
    if t.f[i + 1] + v * (t.f[i] - t.f[i + 1]) < exp_fast(-0.5 * x * x) {
        return Ok(sign(x, neg));
    }
    Err(decode(second))
}

/// (layer, sign bit, u ∈ [0, 1)) of a 64-bit word.
#[inline(always)]
fn decode(a: u64) -> (usize, u64, f64) {
    let i = (a & 0xFF) as usize;
    let neg = (a >> 8) & 1;
    let u = f64::from_bits(a >> 12 | ONE_BITS) - 1.0;
    (i, neg, u)
}

/// `x` with the sign bit `neg` (0 or 1).
#[inline(always)]
fn sign(x: f64, neg: u64) -> f64 {
    f64::from_bits(x.to_bits() ^ neg << 63)
}

/// U = 1 - v·2^-52 ∈ [2^-52, 1] from the top 52 bits of `a` (exact).
#[inline(always)]
fn open_unit(a: u64) -> f64 {
    2.0 - f64::from_bits(a >> 12 | ONE_BITS)
}

/// The first attempt: `(±u·x[i], whether it fell inside the layer's rectangle)`.
#[inline(always)]
fn fast(t: &Tables, a: u64) -> (f64, bool) {
    let (i, neg, u) = decode(a);
    let x = u * t.x[i];
    (sign(x, neg), x < t.x[i + 1])
}

/// The instruction sets [`fill_with`] is compiled for: its ARS blocks use AES-NI on
/// 128-bit registers for [`AESNI`], VAES on 256-bit ones for [`VAES`], and the ziggurat's
/// bit work is compiled for AVX2 in both (without it, 2.9 against 2.1–2.4 ns per normal on
/// an AMD EPYC); portable code for [`PORTABLE`]. The results are the same.
const PORTABLE: u8 = 0;
// Used only on x86-64 (a build for Arm warned: `scripts/other-cpus`).
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
const AESNI: u8 = 1;
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
const VAES: u8 = 2;

/// Whether the CPU has what [`fill_aesni`] needs (AES-NI and AVX2).
#[cfg(target_arch = "x86_64")]
fn has_aesni_avx2() -> bool {
    ars::has_aesni() && std::arch::is_x86_feature_detected!("avx2")
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "aes,avx2")]
fn fill_aesni(n: &Normals, start: u64, out: &mut [f64]) {
    fill_with::<AESNI>(n, start, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "aes,avx2,vaes")]
fn fill_vaes(n: &Normals, start: u64, out: &mut [f64]) {
    fill_with::<VAES>(n, start, out);
}

fn fill_generic(n: &Normals, start: u64, out: &mut [f64]) {
    fill_with::<PORTABLE>(n, start, out);
}

/// Capacity of [`Misses`]: 64 of one call's ~1.5% misses wait for their fix-up blocks.
const MISSES: usize = 64;

/// The normals of a `fill` whose first attempt missed its rectangle (1.5% of them), waiting
/// for their first fix-up block, which is then computed for [`LANES`] of them at a time:
/// one ARS block on its own is a chain of seven dependent AES rounds, and eight side by
/// side cost little more than one.
struct Misses {
    len: usize,
    /// Position in the output.
    at: [usize; MISSES],
    /// Index in the stream.
    j: [u64; MISSES],
    /// The first attempt's word.
    word: [u64; MISSES],
}

impl Misses {
    fn new() -> Misses {
        Misses {
            len: 0,
            at: [0; MISSES],
            j: [0; MISSES],
            word: [0; MISSES],
        }
    }

    /// The missed positions of one batch (bit k of `missed`: normal `j + k`, at `at + k`,
    /// from the batch's words `w`).
    #[inline(always)]
    fn push(&mut self, mut missed: u32, at: usize, j: u64, w: &Words) {
        while missed != 0 {
            let k = missed.trailing_zeros() as usize;
            missed &= missed - 1;
            self.at[self.len] = at + k;
            self.j[self.len] = j + k as u64;
            self.word[self.len] = w[k];
            self.len += 1;
        }
    }

    /// Finish every waiting normal into `out`: the first fix-up attempt for [`LANES`] of
    /// them at once, the rare further attempts one by one ([`Normals::resume`]).
    #[inline(always)]
    fn resolve<const SIMD: u8>(&mut self, n: &Normals, t: &Tables, out: &mut [f64]) {
        for g in (0..self.len).step_by(LANES) {
            let m = (self.len - g).min(LANES);
            // Lanes past `m` compute the block of counter 0, which is not used.
            let mut counters = [0u64; LANES];
            for (c, &j) in counters.iter_mut().zip(&self.j[g..g + m]) {
                *c = fixup_counter(j, 0);
            }
            let w = ars_blocks_at::<SIMD>(counters, n.stream, n.key);
            // The wedge tests of the whole group first, without branches, so that their
            // `exp`s run side by side (lanes past `m` repeat the last miss; the tail
            // layer's lanes are computed and not used); then each normal: accepted in its
            // wedge, or the tail layer and the wedge's rejections by `fixup`.
            let mut x = [0.0f64; LANES];
            let mut below = [0.0f64; LANES];
            let mut e = [0.0f64; LANES];
            for l in 0..LANES {
                let (i, _, u) = decode(self.word[(g + l).min(self.len - 1)]);
                x[l] = u * t.x[i];
                let v = f64::from_bits(w[2 * l] >> 12 | ONE_BITS) - 1.0;
                below[l] = t.f[i + 1] + v * (t.f[i] - t.f[i + 1]);
                e[l] = -0.5 * x[l] * x[l];
            }
            for el in e.iter_mut() {
                *el = exp_fast(*el);
            }
            for l in 0..m {
                let k = g + l;
                let (i, neg, _) = decode(self.word[k]);
                out[self.at[k]] = if i != 0 && below[l] < e[l] {
                    sign(x[l], neg)
                } else {
                    let (first, second) = (w[2 * l], w[2 * l + 1]);
                    match fixup(t, (i, neg, x[l]), first, second) {
                        Ok(z) => z,
                        Err(next) => n.resume(t, self.j[k], next, 1),
                    }
                };
            }
        }
        self.len = 0;
    }
}

/// The fill loop; `SIMD` ([`PORTABLE`], [`AESNI`] or [`VAES`]) is the instruction set
/// of the caller ([`fill_generic`], [`fill_aesni`], [`fill_vaes`]).
#[inline(always)]
fn fill_with<const SIMD: u8>(n: &Normals, start: u64, out: &mut [f64]) {
    let t = tables();
    let mut out = out;
    let mut j = start;
    if j % 2 == 1 && !out.is_empty() {
        out[0] = n.get(j);
        out = &mut out[1..];
        j += 1;
    }
    let mut misses = Misses::new();
    let full = out.len() / BATCH;
    for b in 0..full {
        let at = b * BATCH;
        let c: &mut [f64; BATCH] = (&mut out[at..at + BATCH]).try_into().expect("BATCH values");
        let (missed, w) = batch::<SIMD>(n, t, j, c);
        misses.push(missed, at, j, &w);
        if misses.len > MISSES - BATCH {
            misses.resolve::<SIMD>(n, t, out);
        }
        j += BATCH as u64;
    }
    let rest = &mut out[full * BATCH..];
    if !rest.is_empty() {
        let mut tmp = [0.0; BATCH];
        let (missed, w) = batch::<SIMD>(n, t, j, &mut tmp);
        rest.copy_from_slice(&tmp[..rest.len()]);
        let kept = missed & ((1u32 << rest.len()) - 1);
        misses.push(kept, full * BATCH, j, &w);
    }
    misses.resolve::<SIMD>(n, t, out);
}

/// The first attempts at normals `j .. j + BATCH` of the stream (`j` even) into `out`:
/// bit k of the returned mask says that normal `j + k` missed its rectangle; the words
/// they came from (word k is normal `j + k`'s) are returned for those.
#[inline(always)]
fn batch<const SIMD: u8>(n: &Normals, t: &Tables, j: u64, out: &mut [f64; BATCH]) -> (u32, Words) {
    let w = ars_blocks::<SIMD>(j / 2, n.stream, n.key);
    // One normal at a time: compiled inside `fill_aesni`/`fill_vaes`, the compiler
    // vectorises the bit work and keeps the table loads scalar. Four at a time in AVX2
    // registers with the table entries fetched by gathers measured slower on an AMD EPYC
    // (2.1–2.6 against 1.9 ns per normal, 2026-12-02; bench/README).
    // Indexed, not `iter_mut().zip().enumerate()`: without LTO the zip's `next` stayed a
    // call in this loop (22% slower on one thread).
    let mut missed = 0u32;
    for k in 0..BATCH {
        let (z, ok) = fast(t, w[k]);
        out[k] = z;
        missed |= u32::from(!ok) << k;
    }
    (missed, w)
}

/// The ARS blocks of the counters `first .. first + LANES`, with the caller's instruction
/// set ([`ars_blocks_at`]).
#[inline(always)]
fn ars_blocks<const SIMD: u8>(first: u64, stream: u64, key: u128) -> Words {
    #[cfg(target_arch = "x86_64")]
    match SIMD {
        // SAFETY: as in `ars_blocks_at`.
        AESNI => return unsafe { ars::blocks_aesni(first, stream, key) },
        // SAFETY: as in `ars_blocks_at`.
        VAES => return unsafe { ars::blocks_vaes(first, stream, key) },
        _ => {}
    }
    ars::blocks_at(
        std::array::from_fn(|l| first.wrapping_add(l as u64)),
        stream,
        key,
    )
}

/// The ARS blocks of any [`LANES`] counters: VAES or AES-NI intrinsics inside the fill
/// compiled for them, portable code otherwise; the same words either way.
#[inline(always)]
fn ars_blocks_at<const SIMD: u8>(counters: [u64; LANES], stream: u64, key: u128) -> Words {
    #[cfg(target_arch = "x86_64")]
    match SIMD {
        // SAFETY: SIMD is AESNI only inside `fill_aesni`, which runs after the CPU was
        // checked for AES-NI and AVX2.
        AESNI => return unsafe { ars::blocks_aesni_at(counters, stream, key) },
        // SAFETY: SIMD is VAES only inside `fill_vaes`, which runs after the CPU was
        // checked for AES-NI, AVX2 and VAES.
        VAES => return unsafe { ars::blocks_vaes_at(counters, stream, key) },
        _ => {}
    }
    ars::blocks_at(counters, stream, key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_a_ziggurat() {
        let t = tables();
        // Layers have area V: x[i] (f[i+1] - f[i]) = V for i >= 1 (by construction up to
        // rounding, ~1e-13); the base layer with its tail too. The top layer, which closes at
        // the mode, matches V only as well as the published V (12 significant digits):
        // 1e-9 relative in double precision, so 1e-8 allows for our exp/ln's last bits.
        for i in 1..LAYERS {
            let area = t.x[i] * (t.f[i + 1] - t.f[i]);
            assert!((area / ZIG_V - 1.0).abs() < 1e-8, "layer {i}: area {area}");
        }
        assert!((t.x[0] * t.f[1] / ZIG_V - 1.0).abs() < 1e-15);
        assert!(t.x.windows(2).all(|w| w[0] > w[1]));
        // The last computed edge is small (the top layer's area matches V to ~1e-9).
        assert!(t.x[LAYERS - 1] < 0.3, "{}", t.x[LAYERS - 1]);
        // Fast-path probability: sum of x[i+1]/x[i] over layers / 256 = 0.98508...
        let p: f64 = (0..LAYERS).map(|i| t.x[i + 1] / t.x[i]).sum::<f64>() / LAYERS as f64;
        assert!((p - 0.98508).abs() < 1e-5, "{p}");
    }

    #[test]
    fn slow_path_values_are_deterministic_and_in_law() {
        // Words forcing the continuation: the base layer (tail) and a wedge.
        let n = Normals::new(99, 3);
        let t = tables();
        let tail_word = (u64::MAX >> 12) << 12; // layer 0, sign +, u just below 1
        let z = n.slow(t, 5, tail_word);
        assert!(z >= ZIG_R, "tail value {z}");
        assert_eq!(z.to_bits(), n.slow(t, 5, tail_word).to_bits());
        let wedge_word = (u64::MAX >> 12) << 12 | 0x1FF; // layer 255, sign -, u near 1
        let z = n.slow(t, 7, wedge_word);
        assert!(z.is_finite());
    }

    #[test]
    fn fill_matches_get_at_any_offset_and_the_portable_code() {
        let n = Normals::new(0x0123_4567_89AB_CDEF, 42);
        let want: Vec<f64> = (0..200u64).map(|j| n.get(j)).collect();
        for start in [0usize, 1, 2, 7, 16, 17, 33] {
            for len in [0usize, 1, 2, 15, 16, 17, 100, 200 - start] {
                let len = len.min(200 - start);
                let mut got = vec![0.0; len];
                n.fill(start as u64, &mut got);
                for (i, (&g, &w)) in got.iter().zip(&want[start..]).enumerate() {
                    assert_eq!(g.to_bits(), w.to_bits(), "start {start} len {len} i {i}");
                }
                let mut generic = vec![0.0; len];
                fill_generic(&n, start as u64, &mut generic);
                assert_eq!(
                    got.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                    generic.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
                );
            }
        }
    }

    #[test]
    fn simd_fill_matches_the_portable_code_over_many_misses() {
        // 2^18 normals: about 3,900 miss the rectangles (1.5%), which takes every one of
        // a batch's BATCH positions through `slow`; layer 0 (the tail's) about 90 of them.
        let n = Normals::new(0xDEAD_BEEF, 5);
        let len = 1 << 18;
        let mut filled = vec![0.0; len];
        let mut generic = vec![0.0; len];
        n.fill(1 << 40, &mut filled);
        fill_generic(&n, 1 << 40, &mut generic);
        let t = tables();
        let missed: Vec<u64> = (0..len as u64)
            .map(|k| n.word((1 << 40) + k))
            .filter(|&a| !fast(t, a).1)
            .collect();
        let tails = missed.iter().filter(|&&a| a & 0xFF == 0).count();
        assert!(missed.len() > 3_000, "{} misses", missed.len());
        assert!(tails > 20, "{tails} tail draws");
        for (k, (a, b)) in filled.iter().zip(&generic).enumerate() {
            assert_eq!(a.to_bits(), b.to_bits(), "normal {k}: {a} vs {b}");
        }
        // `fill` takes the VAES path where the CPU has it: the AES-NI path on its own.
        #[cfg(target_arch = "x86_64")]
        if has_aesni_avx2() {
            let mut aesni = vec![0.0; len];
            // SAFETY: AES-NI and AVX2 are available (checked just above).
            unsafe { fill_aesni(&n, 1 << 40, &mut aesni) };
            for (k, (a, b)) in aesni.iter().zip(&generic).enumerate() {
                assert_eq!(a.to_bits(), b.to_bits(), "AES-NI normal {k}: {a} vs {b}");
            }
        }
        // The misses are finished in groups (`Misses`), `get` finishes each on its own
        // with scalar blocks: the same values, also where a fill starts odd or ends
        // inside a batch.
        for k in 0..len as u64 {
            let z = filled[k as usize];
            assert_eq!(z.to_bits(), n.get((1 << 40) + k).to_bits(), "normal {k}");
        }
        for (start, len) in [(3u64, 4097usize), ((1 << 40) + 1, 1001), (17, 15)] {
            let mut got = vec![0.0; len];
            n.fill(start, &mut got);
            for (k, z) in got.iter().enumerate() {
                let want = n.get(start + k as u64);
                assert_eq!(z.to_bits(), want.to_bits(), "start {start} normal {k}");
            }
        }
    }

    #[test]
    fn stream_is_pinned() {
        // The first values of one stream, pinned: a change here changes every random
        // result and needs a new NORMAL_STREAM_VERSION.
        let n = Normals::new(7, 0);
        let got: Vec<u64> = (0..4).map(|j| n.get(j).to_bits()).collect();
        assert_eq!(
            got,
            PINNED,
            "{:?}",
            got.iter().map(|&b| f64::from_bits(b)).collect::<Vec<_>>()
        );
    }

    /// (-0.47699619519293257, 2.0253381031195734, 1.395556864200161, 0.3759978550456188).
    const PINNED: [u64; 4] = [
        0xBFDE_871B_0CAA_E28E,
        0x4000_33E4_76A1_EE11,
        0x3FF6_5433_6F37_2B07,
        0x3FD8_1059_4EB2_5F8A,
    ];
}

//! Standard normal deviates in bulk: Philox4x32-10 blocks turned into pairs of normals by
//! the Box–Muller transform, written so that the compiler vectorises it (AVX2 where the
//! CPU has it, SSE2 otherwise, with bit-identical results: only integer operations and
//! IEEE-754 `+ - * / sqrt`, no fused multiply-add).
//!
//! **The stream** (version [`NORMAL_STREAM_VERSION`]). Normal `j` (j = 0, 1, 2, …) of the
//! stream `(key, stream)` comes from the Philox block `b = j / 2` with counter
//! `[lo(b), hi(b), lo(stream), hi(stream)]` and key `[lo(key), hi(key)]`, words w0..w3:
//!
//! * `u1 = 1 - v · 2^-52` with `v = (w1·2^32 + w0) >> 12` (52 bits), so u1 ∈ [2^-52, 1]:
//!   radius `r = sqrt(-2 ln u1)` ∈ [0, 8.49];
//! * angle `θ = 2π · w2 / 2^32`;
//! * `z_{2b} = r cos θ`, `z_{2b+1} = r sin θ`. Word w3 is not used.
//!
//! So a normal is a pure function of (key, stream, j): any slice of a stream can be made
//! on any thread, in any order, with the same values; nothing depends on how work is
//! split. The largest |z| the stream can produce is sqrt(2·52·ln 2) ≈ 8.49, where the
//! normal tail has probability 2e-17; the angle's resolution, 2π/2^32, moves z by less
//! than 1.3e-8.
//!
//! `ln`, `sin` and `cos` are fdlibm's algorithms (Sun Microsystems, 1993, as in FreeBSD's
//! msun and musl): `vmath::ln_fast` (the argument is in [2^-52, 1]),
//! and the kernels `__sin`/`__cos` on [-π/4, π/4] after an exact quadrant reduction done
//! on the integer angle. Their error is below 1 ulp (checked against the standard library
//! in the tests); what matters here is that they are deterministic and smooth.

use super::philox::{self, LANES};

/// Names the mapping from (key, stream, j) to a normal deviate. Recorded in run outputs:
/// a change of this mapping changes every random result, and gets a new version.
pub const NORMAL_STREAM_VERSION: &str = "philox4x32-10-box-muller-1";

/// Normals per batch: two per Philox block, [`LANES`] blocks side by side.
pub const BATCH: usize = 2 * LANES;

/// A stream of standard normal deviates, addressed by index (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Normals {
    key: [u32; 2],
    stream: u64,
}

impl Normals {
    /// The stream `stream` under the 64-bit `key` (typically a seed derived with
    /// [`super::derive_seed`]).
    pub fn new(key: u64, stream: u64) -> Normals {
        Normals {
            key: philox::key_words(key),
            stream,
        }
    }

    /// Normal number `j` of the stream (the same value [`Normals::fill`] puts there).
    pub fn get(&self, j: u64) -> f64 {
        let w = philox::block(
            [
                (j / 2) as u32,
                ((j / 2) >> 32) as u32,
                self.stream as u32,
                (self.stream >> 32) as u32,
            ],
            self.key,
        );
        let (c, s) = pair(u64::from(w[0]), u64::from(w[1]), u64::from(w[2]));
        if j.is_multiple_of(2) { c } else { s }
    }

    /// `out[i]` = normal number `start + i` of the stream, for every i.
    pub fn fill(&self, start: u64, out: &mut [f64]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 is available (checked just above).
            unsafe { fill_avx2(self, start, out) };
            return;
        }
        fill_generic(self, start, out);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn fill_avx2(n: &Normals, start: u64, out: &mut [f64]) {
    fill_with::<true>(n, start, out);
}

fn fill_generic(n: &Normals, start: u64, out: &mut [f64]) {
    fill_with::<false>(n, start, out);
}

/// The fill loop; `AVX2` selects [`philox::blocks_avx2`] (only ever true when called
/// from [`fill_avx2`]).
#[inline(always)]
fn fill_with<const AVX2: bool>(n: &Normals, start: u64, out: &mut [f64]) {
    let mut out = out;
    let mut j = start;
    if j % 2 == 1 && !out.is_empty() {
        out[0] = n.get(j);
        out = &mut out[1..];
        j += 1;
    }
    let mut chunks = out.chunks_exact_mut(BATCH);
    for c in &mut chunks {
        batch::<AVX2>(n, j / 2, c.try_into().expect("BATCH values"));
        j += BATCH as u64;
    }
    let rest = chunks.into_remainder();
    if !rest.is_empty() {
        let mut tmp = [0.0; BATCH];
        batch::<AVX2>(n, j / 2, &mut tmp);
        rest.copy_from_slice(&tmp[..rest.len()]);
    }
}

/// Normals `2 b .. 2 b + BATCH` of the stream, `b = first_block`.
#[inline(always)]
fn batch<const AVX2: bool>(n: &Normals, first_block: u64, out: &mut [f64; BATCH]) {
    let [w0, w1, w2, _] = philox_blocks::<AVX2>(first_block, n.stream, n.key);
    for l in 0..LANES {
        let (c, s) = pair(w0[l], w1[l], w2[l]);
        out[2 * l] = c;
        out[2 * l + 1] = s;
    }
}

#[inline(always)]
fn philox_blocks<const AVX2: bool>(first: u64, stream: u64, key: [u32; 2]) -> [[u64; LANES]; 4] {
    #[cfg(target_arch = "x86_64")]
    if AVX2 {
        // SAFETY: AVX2 == true only inside `fill_avx2`, which runs after the CPU was
        // checked for AVX2.
        return unsafe { philox::blocks_avx2(first, stream, key) };
    }
    philox::blocks(first, stream, key).map(|w| w.map(u64::from))
}

/// One Box–Muller pair from the words w0, w1 (the radius) and w2 (the angle), each a
/// 32-bit value in a u64.
#[inline(always)]
fn pair(w0: u64, w1: u64, w2: u64) -> (f64, f64) {
    // u1 = 2 - (1 + v 2^-52) = 1 - v 2^-52, exact (v < 2^52), in [2^-52, 1].
    let v = (w1 << 32 | w0) >> 12;
    let u1 = 2.0 - f64::from_bits(v | ONE_BITS);
    let r = (-2.0 * crate::vmath::ln_fast(u1)).sqrt();
    let (c, s) = cos_sin_turn(w2);
    (r * c, r * s)
}

/// Bit pattern of 1.0.
const ONE_BITS: u64 = 0x3FF0_0000_0000_0000;
/// 2^52 as a bit pattern: `from_bits(MAGIC | m) - 2^52` is `m` as f64 for m < 2^52.
const MAGIC: u64 = 0x4330_0000_0000_0000;
const TWO52: f64 = 4_503_599_627_370_496.0;

/// (cos θ, sin θ) for θ = 2π · w / 2^32, w a 32-bit value: the nearest quarter turn q is
/// taken off exactly in integers, leaving |x| <= π/4 for fdlibm's kernels.
#[inline(always)]
fn cos_sin_turn(w: u64) -> (f64, f64) {
    const S1: f64 = f64::from_bits(0xBFC5_5555_5555_5549);
    const S2: f64 = f64::from_bits(0x3F81_1111_1110_F8A6);
    const S3: f64 = f64::from_bits(0xBF2A_01A0_19C1_61D5);
    const S4: f64 = f64::from_bits(0x3EC7_1DE3_57B1_FE7D);
    const S5: f64 = f64::from_bits(0xBE5A_E5E6_8A2B_9CEB);
    const S6: f64 = f64::from_bits(0x3DE5_D93A_5ACF_D57C);
    const C1: f64 = f64::from_bits(0x3FA5_5555_5555_554C);
    const C2: f64 = f64::from_bits(0xBF56_C16C_16C1_5177);
    const C3: f64 = f64::from_bits(0x3EFA_01A0_19CB_1590);
    const C4: f64 = f64::from_bits(0xBE92_7E4F_809C_52AD);
    const C5: f64 = f64::from_bits(0x3E21_EE9E_BDB4_B1C4);
    const C6: f64 = f64::from_bits(0xBDA8_FAE9_BE88_38D4);
    /// 2π / 2^32 (2π's double scaled by a power of two: exact).
    const STEP: f64 = std::f64::consts::TAU / 4_294_967_296.0;
    const HALF_Q: u64 = 1 << 29;
    // e = w + 2^29 (mod 2^32): q = round(4 w / 2^32) mod 4, and w - q 2^30 = m - 2^29.
    let e = (w + HALF_Q) & 0xFFFF_FFFF;
    let q = e >> 30;
    let m = e & 0x3FFF_FFFF;
    let x = ((f64::from_bits(MAGIC | m) - TWO52) - HALF_Q as f64) * STEP;
    let z = x * x;
    let zw = z * z;
    // __sin(x, 0, 0)
    let rs = S2 + z * (S3 + z * S4) + z * zw * (S5 + z * S6);
    let sin = x + z * x * (S1 + z * rs);
    // __cos(x, 0)
    let rc = z * (C1 + z * (C2 + z * C3)) + zw * zw * (C4 + z * (C5 + z * C6));
    let hz = 0.5 * z;
    let wc = 1.0 - hz;
    let cos = wc + (((1.0 - wc) - hz) + z * rc);
    // θ = q π/2 + x: cos θ = (c, -s, -c, s)[q], sin θ = (s, c, -s, -c)[q].
    let swap = 0u64.wrapping_sub(q & 1); // all ones when q is odd
    let (cb, sb) = (cos.to_bits(), sin.to_bits());
    let a = (cb & !swap) | (sb & swap);
    let b = (sb & !swap) | (cb & swap);
    let neg_cos = ((q + 1) >> 1 & 1) << 63;
    let neg_sin = (q >> 1) << 63;
    (f64::from_bits(a ^ neg_cos), f64::from_bits(b ^ neg_sin))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cos_sin_within_one_ulp_or_1e_16() {
        for w in (0..=u32::MAX as u64)
            .step_by(9973)
            .chain([0, 1 << 29, 1 << 30, (1 << 29) - 1])
        {
            let theta = std::f64::consts::TAU * (w as f64 / 4_294_967_296.0);
            let (c, s) = cos_sin_turn(w);
            // Absolute error: θ itself carries a rounding of ~4e-16 in the reference.
            assert!(
                (c - theta.cos()).abs() <= 1e-15,
                "cos at w = {w}: {c} vs {}",
                theta.cos()
            );
            assert!(
                (s - theta.sin()).abs() <= 1e-15,
                "sin at w = {w}: {s} vs {}",
                theta.sin()
            );
        }
        assert_eq!(cos_sin_turn(0), (1.0, 0.0));
    }

    #[test]
    fn fill_matches_get_at_any_offset_and_avx2_matches_generic() {
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

    /// (1.254967392614994, 1.0949263506891538, 0.8403508632873572, 1.570373854781045).
    const PINNED: [u64; 4] = [
        0x3FF4_1458_B04D_3EA2,
        0x3FF1_84D1_7E3B_D112,
        0x3FEA_E427_7E5F_8191,
        0x3FF9_2040_55CC_72DC,
    ];
}

//! Philox4x32-10, the counter-based generator of Salmon, Moraes, Dror and Shaw, "Parallel
//! random numbers: as easy as 1, 2, 3" (SC '11), as in Random123, NumPy's `Philox`, JAX
//! and cuRAND.
//!
//! A block is a pure function of a 128-bit counter and a 64-bit key: ten rounds of two
//! 32×32→64-bit multiplications and xors, the key bumped by the Weyl constants between
//! rounds. Nothing is stored between calls, so any block can be computed on its own, in any
//! order, on any thread: a stream is a key plus a range of counters. The block function is
//! checked against Random123's known-answer vectors (`kat_vectors`, the three
//! `philox4x32 10` lines) in the tests below.
//!
//! No maintained crate offers Philox on the `rand` 0.10 traits (the `philox` crate is an
//! unmaintained 0.0.0 from 2019), and the algorithm is 20 lines, so it is written here.

/// Round multipliers (Random123 `PHILOX_M4x32_0`, `PHILOX_M4x32_1`).
const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
/// Key schedule increments (Random123 `PHILOX_W32_0`, `PHILOX_W32_1`: the golden ratio
/// and sqrt(3) - 1 in 0.32 fixed point).
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;
/// Rounds. Salmon et al. found 7 rounds already pass BigCrush; 10 is their recommended
/// default, with a safety margin.
pub const ROUNDS: usize = 10;

/// Lanes of [`blocks`]: blocks computed side by side so that the multiplications map onto
/// SIMD registers (4 × 64-bit products per AVX2 instruction; 16 lanes measured slower).
pub const LANES: usize = 8;

/// One Philox4x32-10 block: 4 random 32-bit words for `counter` under `key`.
#[inline]
pub fn block(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let [mut x0, mut x1, mut x2, mut x3] = counter;
    let [mut k0, mut k1] = key;
    for r in 0..ROUNDS {
        if r > 0 {
            k0 = k0.wrapping_add(W0);
            k1 = k1.wrapping_add(W1);
        }
        let p0 = u64::from(x0) * u64::from(M0);
        let p1 = u64::from(x2) * u64::from(M1);
        (x0, x1, x2, x3) = (
            (p1 >> 32) as u32 ^ x1 ^ k0,
            p1 as u32,
            (p0 >> 32) as u32 ^ x3 ^ k1,
            p0 as u32,
        );
    }
    [x0, x1, x2, x3]
}

/// [`LANES`] consecutive blocks: lane `l` is [`block`] of the counter
/// `[lo(b + l), hi(b + l), lo(s), hi(s)]` (b = `first`, s = `stream`, both 64-bit, `lo`/`hi`
/// their 32-bit halves) under `key`. Returns the four words of every lane as four arrays
/// (`out[w][l]` is word `w` of lane `l`).
///
/// Written lane by lane on 32-bit arrays so that the compiler turns each round into a few
/// `vpmuludq` and shuffles per eight lanes (1.2 ns per block with AVX2 on the project
/// machine; a version on 64-bit lanes was 2.8× slower because the compiler emulated full
/// 64-bit products).
#[inline(always)]
pub fn blocks(first: u64, stream: u64, key: [u32; 2]) -> [[u32; LANES]; 4] {
    blocks_at(
        std::array::from_fn(|l| first.wrapping_add(l as u64)),
        stream,
        key,
    )
}

/// [`blocks`] of any [`LANES`] counters: lane `l` is [`block`] of the counter
/// `[lo(c), hi(c), lo(s), hi(s)]` with `c = counters[l]`.
#[inline(always)]
pub fn blocks_at(counters: [u64; LANES], stream: u64, key: [u32; 2]) -> [[u32; LANES]; 4] {
    let mut x0 = [0u32; LANES];
    let mut x1 = [0u32; LANES];
    for l in 0..LANES {
        x0[l] = counters[l] as u32;
        x1[l] = (counters[l] >> 32) as u32;
    }
    let mut x2 = [stream as u32; LANES];
    let mut x3 = [(stream >> 32) as u32; LANES];
    let (mut k0, mut k1) = (key[0], key[1]);
    for r in 0..ROUNDS {
        if r > 0 {
            k0 = k0.wrapping_add(W0);
            k1 = k1.wrapping_add(W1);
        }
        for l in 0..LANES {
            let p0 = u64::from(x0[l]) * u64::from(M0);
            let p1 = u64::from(x2[l]) * u64::from(M1);
            let n0 = (p1 >> 32) as u32 ^ x1[l] ^ k0;
            let n2 = (p0 >> 32) as u32 ^ x3[l] ^ k1;
            x1[l] = p1 as u32;
            x3[l] = p0 as u32;
            x0[l] = n0;
            x2[l] = n2;
        }
    }
    [x0, x1, x2, x3]
}

/// [`blocks`] with AVX2 intrinsics, each word returned in the low half of a u64 (high
/// half zero): each 256-bit register holds one word of four blocks in the low halves of
/// its 64-bit lanes, so a round is one `vpmuludq`, one shuffle and
/// two xors per word pair and four blocks (2.9 ns per block on the project machine,
/// against 5.4–6.9 ns for the best auto-vectorised form, where the compiler repacks or
/// emulates 64-bit products). Same results as [`blocks`] (integer arithmetic).
///
/// Details measured on an Intel Xeon (2026-12-02): the high half of a product moves down
/// with `vpshufd` (the shuffle port) rather than a shift (the ports the multiplications
/// need), and the key is xored into the other word first, off the multiplication's
/// dependency chain (`fill` 11% faster together); the round keys stay in vector registers,
/// bumped by a vector add rather than broadcast from a general register each round (on
/// the shuffle port too; 2–3%).
///
/// # Safety
///
/// The CPU must support AVX2 (`is_x86_feature_detected!("avx2")`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
pub fn blocks_avx2(first: u64, stream: u64, key: [u32; 2]) -> [[u64; LANES]; 4] {
    blocks_avx2_at(
        std::array::from_fn(|l| first.wrapping_add(l as u64)),
        stream,
        key,
    )
}

/// [`blocks_avx2`] of any [`LANES`] counters (as [`blocks_at`]).
///
/// # Safety
///
/// The CPU must support AVX2 (`is_x86_feature_detected!("avx2")`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
pub fn blocks_avx2_at(counters: [u64; LANES], stream: u64, key: [u32; 2]) -> [[u64; LANES]; 4] {
    // SAFETY: this function runs with AVX2 enabled, all `blocks_x86::<false>` needs.
    unsafe { blocks_x86::<false>(counters, stream, key) }
}

/// Whether the CPU has what [`blocks_avx512vl`] needs: AVX2, AVX-512F and AVX-512VL.
#[cfg(target_arch = "x86_64")]
pub fn has_avx512vl() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512vl")
}

/// [`blocks_avx2`] on a CPU that also has AVX-512VL ([`has_avx512vl`]): the same 256-bit registers, but the
/// two xors of a round are one `vpternlogq` (a quarter fewer instructions per round; `fill`
/// 4–6% faster on an Intel Xeon, 2026-12-02). Same results. 512-bit registers are not used:
/// their multiplications measured three times slower per block.
///
/// # Safety
///
/// The CPU must support AVX2, AVX-512F and AVX-512VL.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,avx512f,avx512vl")]
#[inline]
pub fn blocks_avx512vl(first: u64, stream: u64, key: [u32; 2]) -> [[u64; LANES]; 4] {
    blocks_avx512vl_at(
        std::array::from_fn(|l| first.wrapping_add(l as u64)),
        stream,
        key,
    )
}

/// [`blocks_avx512vl`] of any [`LANES`] counters (as [`blocks_at`]).
///
/// # Safety
///
/// The CPU must support AVX2, AVX-512F and AVX-512VL.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,avx512f,avx512vl")]
#[inline]
pub fn blocks_avx512vl_at(counters: [u64; LANES], stream: u64, key: [u32; 2]) -> [[u64; LANES]; 4] {
    // SAFETY: this function runs with the features `blocks_x86::<true>` needs.
    unsafe { blocks_x86::<true>(counters, stream, key) }
}

/// The body of [`blocks_avx2_at`] (`TERNLOG` false) and [`blocks_avx512vl_at`] (true),
/// inlined into each so that it is compiled with the caller's features.
///
/// # Safety
///
/// The CPU must support AVX2, and AVX-512F with AVX-512VL when `TERNLOG`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn blocks_x86<const TERNLOG: bool>(
    counters: [u64; LANES],
    stream: u64,
    key: [u32; 2],
) -> [[u64; LANES]; 4] {
    use std::arch::x86_64::*;
    const HALF: usize = LANES / 2;
    // SAFETY: the intrinsics need AVX2 (and AVX-512F/VL for `vpternlogq`), which the
    // caller guarantees; the transmutes are between types of the same size for which every
    // bit pattern is valid.
    unsafe {
        let lo = _mm256_set1_epi64x(0xFFFF_FFFF);
        let c = counters.map(|c| c as i64);
        let b = [
            _mm256_set_epi64x(c[3], c[2], c[1], c[0]),
            _mm256_set_epi64x(c[7], c[6], c[5], c[4]),
        ];
        // Words in the low 32 bits of each 64-bit lane. After the first round every word
        // keeps garbage in the high halves (x1 and x3 the products' high halves, x0 and x2
        // what the shuffle copies there); it only ever reaches high halves, which
        // `_mm256_mul_epu32` ignores and the final store drops.
        let mut x0 = b.map(|v| _mm256_and_si256(v, lo));
        let mut x1 = b.map(|v| _mm256_srli_epi64::<32>(v));
        let mut x2 = [_mm256_set1_epi64x((stream & 0xFFFF_FFFF) as i64); 2];
        let mut x3 = [_mm256_set1_epi64x((stream >> 32) as i64); 2];
        let m0 = _mm256_set1_epi64x(i64::from(M0));
        let m1 = _mm256_set1_epi64x(i64::from(M1));
        let xor3 = |a: __m256i, b: __m256i, k: __m256i| {
            if TERNLOG {
                // 0x96: a ^ b ^ c.
                _mm256_ternarylogic_epi64::<0x96>(a, b, k)
            } else {
                _mm256_xor_si256(a, _mm256_xor_si256(b, k))
            }
        };
        // The round keys in vector registers, bumped by a vector add: the low 32 bits of
        // each lane wrap as Philox's 32-bit key words do (the carry into the high half is
        // ignored like the words' other high halves).
        let (w0, w1) = (
            _mm256_set1_epi64x(i64::from(W0)),
            _mm256_set1_epi64x(i64::from(W1)),
        );
        let mut kv0 = _mm256_set1_epi64x(i64::from(key[0]));
        let mut kv1 = _mm256_set1_epi64x(i64::from(key[1]));
        for r in 0..ROUNDS {
            if r > 0 {
                kv0 = _mm256_add_epi64(kv0, w0);
                kv1 = _mm256_add_epi64(kv1, w1);
            }
            for h in 0..2 {
                let p0 = _mm256_mul_epu32(x0[h], m0);
                let p1 = _mm256_mul_epu32(x2[h], m1);
                // 0xF5: 32-bit elements 1, 1, 3, 3, i.e. each product's high half moved down.
                let (hi1, hi0) = (
                    _mm256_shuffle_epi32::<0xF5>(p1),
                    _mm256_shuffle_epi32::<0xF5>(p0),
                );
                x0[h] = xor3(hi1, x1[h], kv0);
                x2[h] = xor3(hi0, x3[h], kv1);
                x1[h] = p1;
                x3[h] = p0;
            }
        }
        let mut out = [[0u64; LANES]; 4];
        for (o, x) in out.iter_mut().zip([x0, x1, x2, x3]) {
            for h in 0..2 {
                let v = std::mem::transmute::<__m256i, [u64; HALF]>(_mm256_and_si256(x[h], lo));
                o[h * HALF..(h + 1) * HALF].copy_from_slice(&v);
            }
        }
        out
    }
}

/// The 64-bit key as Philox's two 32-bit key words (low word first).
#[inline]
pub fn key_words(key: u64) -> [u32; 2] {
    [key as u32, (key >> 32) as u32]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random123 1.14, `tests/kat_vectors`, the `philox4x32 10` lines: counter (4 words),
    /// key (2 words), expected output (4 words).
    const KAT: [([u32; 4], [u32; 2], [u32; 4]); 3] = [
        (
            [0, 0, 0, 0],
            [0, 0],
            [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8],
        ),
        (
            [u32::MAX; 4],
            [u32::MAX; 2],
            [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd],
        ),
        (
            [0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344],
            [0xa409_3822, 0x299f_31d0],
            [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1],
        ),
    ];

    #[test]
    fn known_answers() {
        for (ctr, key, want) in KAT {
            assert_eq!(block(ctr, key), want, "counter {ctr:08x?} key {key:08x?}");
        }
    }

    #[test]
    #[allow(clippy::needless_range_loop)] // lanes and words indexed side by side
    fn lanes_match_the_block_function() {
        let key = [0xa409_3822, 0x299f_31d0];
        for (first, stream) in [
            (0u64, 0u64),
            (u64::from(u32::MAX) - 3, 7),
            (u64::MAX - 2, u64::MAX),
            (0x85a3_08d3_243f_6a88, 0x0370_7344_1319_8a2e),
        ] {
            let got = blocks(first, stream, key);
            for l in 0..LANES {
                let b = first.wrapping_add(l as u64);
                let ctr = [
                    b as u32,
                    (b >> 32) as u32,
                    stream as u32,
                    (stream >> 32) as u32,
                ];
                let want = block(ctr, key);
                for w in 0..4 {
                    assert_eq!(got[w][l], want[w], "lane {l} word {w}");
                }
            }
        }
        // The third known answer through the lane function.
        let (ctr, key, want) = KAT[2];
        let first = u64::from(ctr[0]) | u64::from(ctr[1]) << 32;
        let stream = u64::from(ctr[2]) | u64::from(ctr[3]) << 32;
        let got = blocks(first, stream, key);
        assert_eq!(got.map(|w| w[0]), want);
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_lanes_match_the_block_function() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            return;
        }
        let key = [0xa409_3822, 0x299f_31d0];
        for (first, stream) in [(0u64, 0u64), (u64::MAX - 2, u64::MAX), (1 << 32, 9)] {
            // SAFETY: AVX2 is available (checked above).
            let got = unsafe { blocks_avx2(first, stream, key) };
            assert_eq!(got, blocks(first, stream, key).map(|w| w.map(u64::from)));
            if has_avx512vl() {
                // SAFETY: the features are available (checked just above).
                let vl = unsafe { blocks_avx512vl(first, stream, key) };
                assert_eq!(vl, got);
            }
        }
    }

    #[test]
    #[allow(clippy::needless_range_loop)] // lanes and words indexed side by side
    fn lanes_at_any_counters_match_the_block_function() {
        let key = [0x2412_6ea1, 0xd16c_fe09];
        let stream = 0x0370_7344_1319_8a2e;
        let counters = [
            1u64 << 63,
            (1 << 63) | 5 << 8 | 1,
            0,
            u64::MAX,
            0x85a3_08d3_243f_6a88,
            7,
            u64::from(u32::MAX),
            1 << 32,
        ];
        let got = blocks_at(counters, stream, key);
        for (l, &c) in counters.iter().enumerate() {
            let want = block(
                [
                    c as u32,
                    (c >> 32) as u32,
                    stream as u32,
                    (stream >> 32) as u32,
                ],
                key,
            );
            for w in 0..4 {
                assert_eq!(got[w][l], want[w], "lane {l} word {w}");
            }
        }
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 is available (checked just above).
            let avx2 = unsafe { blocks_avx2_at(counters, stream, key) };
            assert_eq!(avx2, got.map(|w| w.map(u64::from)));
        }
        #[cfg(target_arch = "x86_64")]
        if has_avx512vl() {
            // SAFETY: the features are available (checked just above).
            let vl = unsafe { blocks_avx512vl_at(counters, stream, key) };
            assert_eq!(vl, got.map(|w| w.map(u64::from)));
        }
    }
}

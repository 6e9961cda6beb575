//! ARS-7 ("Advanced Randomization System"), the counter-based generator built on the AES
//! round function by Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as
//! 1, 2, 3" (SC '11), as in Random123's `ars4x32` with its default 7 rounds.
//!
//! A block is a pure function of a 128-bit counter and a 128-bit key:
//!
//! ```text
//! k_0 = key,  k_{r+1} = k_r + W   (each 64-bit half on its own, wrapping),
//! v = counter ^ k_0,  v = AESENC(v, k_r) for r = 1 .. 6,  block = AESENCLAST(v, k_7),
//! ```
//!
//! with the Weyl increments `W = (0x9E3779B97F4A7C15, 0xBB67AE8584CAA73B)` (the golden ratio
//! and √3 − 1 in 0.64 fixed point, low half first). Nothing is stored between calls, so
//! any block can be computed on its own, in any order, on any thread: a stream is a key
//! plus a range of counters. Random123 reports no statistical flaws from 5 rounds up (BigCrush
//! included) and uses 7 for a safety margin; so do we.
//!
//! Why not Philox4x32-10, which this module replaced: an AES round is one instruction
//! (`aesenc`, on 128 bits; `vaesenc`, on two blocks per 256-bit register), so a block costs
//! 7 instructions where Philox needs ten rounds of multiplications and shuffles: 0.28
//! against 1.37 ns per normal on the project machine (AMD EPYC, 2026-12-02).
//!
//! Four paths with the same bits (AES is integer arithmetic): VAES on 256-bit registers,
//! AES-NI on 128-bit ones, and elsewhere ([`blocks_at`], [`block`]) the round function of
//! RustCrypto's `aes` crate (its `hazmat` module) on a CPU with AES instructions, or the
//! table-based round of `softaes` (its `unprotected` module) on one without ([`AesRound`]).
//! Both software paths are checked against Random123's known answers (`tests/kat_vectors`,
//! the `ars4x32 10` lines, and the 7-round cases of `tests/ut_ars.c`), and the vector paths
//! against them.

use aes::hazmat::{self, Block, Block8};

/// Rounds: Random123's default for ARS (`ARS1xm128i_DEFAULT_ROUNDS`).
pub const ROUNDS: usize = 7;

/// Blocks computed side by side by [`blocks_at`] and its vector forms: enough independent
/// `aesenc`s to cover the instruction's latency (4 cycles, 2 per cycle).
pub const LANES: usize = 8;

/// The 64-bit words of [`LANES`] blocks, block `l`'s low half at `2l`, its high half at
/// `2l + 1` (the order of the blocks' bytes in memory).
pub type Words = [u64; 2 * LANES];

/// The key schedule's increments for the low and the high 64-bit half (Random123's `kweyl`).
const WEYL: [u64; 2] = [0x9E37_79B9_7F4A_7C15, 0xBB67_AE85_84CA_A73B];

/// The next round key: each 64-bit half plus its Weyl increment (`_mm_add_epi64`).
#[inline(always)]
fn bump(k: u128) -> u128 {
    let lo = (k as u64).wrapping_add(WEYL[0]);
    let hi = ((k >> 64) as u64).wrapping_add(WEYL[1]);
    u128::from(lo) | u128::from(hi) << 64
}

/// Where the software paths ([`blocks_at`], [`block`]) take their AES round from.
///
/// The `aes` crate's round uses the CPU's AES instructions where it has them; on a CPU
/// without, it falls back to a constant-time bitsliced AES, which costs 240–265 ns per
/// block here (against 12–14 with the instructions): the normals would cost 137–143 ns
/// each instead of 2–8. A random stream needs no protection against timing side channels,
/// so without AES instructions the round comes from `softaes`'s tables instead: 35–42 ns
/// per block, 24–25 per normal on the portable code (bench/README.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AesRound {
    /// `aes::hazmat` (the CPU's AES instructions).
    Instructions,
    /// `softaes::unprotected` (tables, for CPUs without AES instructions).
    Tables,
}

impl AesRound {
    /// [`AesRound::Instructions`] where the CPU has AES instructions the `aes` crate uses
    /// (AES-NI on x86-64, the Armv8 AES extension on AArch64), else [`AesRound::Tables`].
    #[inline]
    pub fn of_this_cpu() -> AesRound {
        #[cfg(target_arch = "x86_64")]
        let instructions = has_aesni();
        #[cfg(target_arch = "aarch64")]
        let instructions = std::arch::is_aarch64_feature_detected!("aes");
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        let instructions = false;
        if instructions {
            AesRound::Instructions
        } else {
            AesRound::Tables
        }
    }
}

/// One ARS block of `counter` under `key` with `rounds` rounds (at least 1; Random123's
/// `ars1xm128i_R`); the 128-bit values are little-endian, as in an `__m128i`.
pub fn block_rounds(rounds: usize, counter: u128, key: u128) -> u128 {
    block_rounds_with(AesRound::of_this_cpu(), rounds, counter, key)
}

/// [`block_rounds`] with the round from `round`.
pub fn block_rounds_with(round: AesRound, rounds: usize, counter: u128, key: u128) -> u128 {
    assert!(rounds >= 1, "ARS needs at least one round");
    if round == AesRound::Tables {
        return table_block(rounds, counter, key);
    }
    let mut k = key;
    let mut v = Block::from((counter ^ k).to_le_bytes());
    for _ in 1..rounds {
        k = bump(k);
        hazmat::cipher_round(&mut v, &Block::from(k.to_le_bytes()));
    }
    last_round(v, bump(k))
}

/// `AESENCLAST(v, k)` = ShiftRows, SubBytes, then the key. The `hazmat` module has only
/// the full round, so its MixColumns is undone: a round with a zero key, then
/// InvMixColumns (exact: the two are inverse linear maps).
#[inline]
fn last_round(mut v: Block, k: u128) -> u128 {
    // `Block::from`, not `Block::default()`: the latter goes through `hybrid_array`'s
    // `try_from_fn`, an out-of-line call per block without LTO.
    hazmat::cipher_round(&mut v, &Block::from([0u8; 16]));
    hazmat::inv_mix_columns(&mut v);
    u128::from_le_bytes(v.into()) ^ k
}

/// One ARS-7 block.
#[inline]
pub fn block(counter: u128, key: u128) -> u128 {
    block_rounds(ROUNDS, counter, key)
}

/// The 128-bit counter of block `c` in stream `s`: `c` in the low half, `s` in the high.
#[inline(always)]
pub fn counter(c: u64, s: u64) -> u128 {
    u128::from(c) | u128::from(s) << 64
}

/// One ARS block with `softaes`'s table round ([`AesRound::Tables`]).
#[inline]
fn table_block(rounds: usize, counter: u128, key: u128) -> u128 {
    use softaes::unprotected::{Block, SoftAes};
    let mut k = key;
    let mut v = Block::from_bytes(&(counter ^ k).to_le_bytes());
    for _ in 1..rounds {
        k = bump(k);
        v = SoftAes::block_encrypt(&v, &Block::from_bytes(&k.to_le_bytes()));
    }
    let v = SoftAes::block_encrypt_last(&v, &Block::from_bytes(&bump(k).to_le_bytes()));
    u128::from_le_bytes(v.to_bytes())
}

/// [`LANES`] blocks, portably: block `l` of the counter `counter(counters[l], stream)`
/// under `key`, as [`Words`]. With AES instructions, eight blocks per round call of the
/// `aes` crate; without, `softaes`'s table round ([`AesRound`]).
pub fn blocks_at(counters: [u64; LANES], stream: u64, key: u128) -> Words {
    blocks_at_with(AesRound::of_this_cpu(), counters, stream, key)
}

/// [`blocks_at`] with the round from `round`.
pub fn blocks_at_with(round: AesRound, counters: [u64; LANES], stream: u64, key: u128) -> Words {
    if round == AesRound::Tables {
        let mut out = [0u64; 2 * LANES];
        for l in 0..LANES {
            let x = table_block(ROUNDS, counter(counters[l], stream), key);
            out[2 * l] = x as u64;
            out[2 * l + 1] = (x >> 64) as u64;
        }
        return out;
    }
    let mut k = key;
    // Indexed loops and `From` arrays, not `array::map`, iterator adapters or
    // `Default` (see `aesni_rounds` and `last_round`): all of it inlines without LTO.
    let mut v = Block8::from([Block::from([0u8; 16]); LANES]);
    for l in 0..LANES {
        v[l] = Block::from((counter(counters[l], stream) ^ k).to_le_bytes());
    }
    for _ in 1..ROUNDS {
        k = bump(k);
        let keys = Block8::from([Block::from(k.to_le_bytes()); LANES]);
        hazmat::cipher_round_par(&mut v, &keys);
    }
    let k = bump(k);
    let mut out = [0u64; 2 * LANES];
    for l in 0..LANES {
        let x = last_round(v[l], k);
        out[2 * l] = x as u64;
        out[2 * l + 1] = (x >> 64) as u64;
    }
    out
}

/// Whether the CPU has what [`blocks_aesni_at`] needs (AES-NI).
#[cfg(target_arch = "x86_64")]
pub fn has_aesni() -> bool {
    std::arch::is_x86_feature_detected!("aes")
}

/// Whether the CPU has what [`blocks_vaes_at`] needs (AES-NI, AVX2 and VAES).
#[cfg(target_arch = "x86_64")]
pub fn has_vaes() -> bool {
    std::arch::is_x86_feature_detected!("aes")
        && std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("vaes")
}

/// [`blocks_at`] with AES-NI: eight blocks in eight 128-bit registers, a round one
/// `aesenc` each. Same words.
///
/// # Safety
///
/// The CPU must support AES-NI ([`has_aesni`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "aes")]
#[inline]
pub fn blocks_aesni_at(counters: [u64; LANES], stream: u64, key: u128) -> Words {
    use std::arch::x86_64::*;
    let s = stream as i64;
    let mut v = [_mm_setzero_si128(); LANES];
    for l in 0..LANES {
        v[l] = _mm_set_epi64x(s, counters[l] as i64);
    }
    aesni_rounds(v, key)
}

/// [`blocks_aesni_at`] of the consecutive counters `first .. first + LANES`, built in
/// registers (from an array in memory they cost a store-forwarding stall per batch).
///
/// # Safety
///
/// The CPU must support AES-NI ([`has_aesni`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "aes")]
#[inline]
pub fn blocks_aesni(first: u64, stream: u64, key: u128) -> Words {
    use std::arch::x86_64::*;
    let base = _mm_set_epi64x(stream as i64, first as i64);
    let mut v = [base; LANES];
    for (l, x) in v.iter_mut().enumerate() {
        *x = _mm_add_epi64(base, _mm_set_epi64x(0, l as i64));
    }
    aesni_rounds(v, key)
}

/// The rounds of [`blocks_aesni_at`] on its counters.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "aes")]
#[inline]
fn aesni_rounds(counters: [std::arch::x86_64::__m128i; LANES], key: u128) -> Words {
    use std::arch::x86_64::*;
    let weyl = _mm_set_epi64x(WEYL[1] as i64, WEYL[0] as i64);
    let mut k = _mm_set_epi64x((key >> 64) as i64, key as i64);
    // Plain loops over the registers, not `array::map`: its closures are separate functions
    // that only link-time inlining folds back in (the release profile has no LTO; with
    // `map` the headline run took five times as long).
    let mut v = counters;
    for x in &mut v {
        *x = _mm_xor_si128(*x, k);
    }
    for _ in 1..ROUNDS {
        k = _mm_add_epi64(k, weyl);
        for x in &mut v {
            *x = _mm_aesenc_si128(*x, k);
        }
    }
    k = _mm_add_epi64(k, weyl);
    for x in &mut v {
        *x = _mm_aesenclast_si128(*x, k);
    }
    // SAFETY: eight 128-bit registers are the 16 u64 of `Words`, in memory order; every
    // bit pattern is a valid u64.
    unsafe { std::mem::transmute::<[__m128i; LANES], Words>(v) }
}

/// 256-bit registers holding two blocks each.
#[cfg(target_arch = "x86_64")]
const REGS: usize = LANES / 2;

/// [`blocks_at`] with VAES: two blocks per 256-bit register, a round one `vaesenc` per
/// register (each 128-bit half is a separate AES state with the same round key). Same
/// words.
///
/// # Safety
///
/// The CPU must support AES-NI, AVX2 and VAES ([`has_vaes`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "aes,avx2,vaes")]
#[inline]
pub fn blocks_vaes_at(counters: [u64; LANES], stream: u64, key: u128) -> Words {
    use std::arch::x86_64::*;
    let s = stream as i64;
    let mut v = [_mm256_setzero_si256(); REGS];
    for r in 0..REGS {
        v[r] = _mm256_set_epi64x(s, counters[2 * r + 1] as i64, s, counters[2 * r] as i64);
    }
    vaes_rounds(v, key)
}

/// [`blocks_vaes_at`] of the consecutive counters `first .. first + LANES`, built in
/// registers (from an array in memory they cost a store-forwarding stall per batch).
///
/// # Safety
///
/// The CPU must support AES-NI, AVX2 and VAES ([`has_vaes`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "aes,avx2,vaes")]
#[inline]
pub fn blocks_vaes(first: u64, stream: u64, key: u128) -> Words {
    use std::arch::x86_64::*;
    let (s, f) = (stream as i64, first as i64);
    let base = _mm256_set_epi64x(s, f, s, f);
    let mut v = [base; REGS];
    for (r, x) in v.iter_mut().enumerate() {
        let r = r as i64;
        *x = _mm256_add_epi64(base, _mm256_set_epi64x(0, 2 * r + 1, 0, 2 * r));
    }
    vaes_rounds(v, key)
}

/// The rounds of [`blocks_vaes_at`] on its counters.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "aes,avx2,vaes")]
#[inline]
fn vaes_rounds(counters: [std::arch::x86_64::__m256i; REGS], key: u128) -> Words {
    use std::arch::x86_64::*;
    let (w0, w1) = (WEYL[0] as i64, WEYL[1] as i64);
    let weyl = _mm256_set_epi64x(w1, w0, w1, w0);
    let (k0, k1) = (key as i64, (key >> 64) as i64);
    let mut k = _mm256_set_epi64x(k1, k0, k1, k0);
    // Plain loops, as in `aesni_rounds`.
    let mut v = counters;
    for x in &mut v {
        *x = _mm256_xor_si256(*x, k);
    }
    for _ in 1..ROUNDS {
        k = _mm256_add_epi64(k, weyl);
        for x in &mut v {
            *x = _mm256_aesenc_epi128(*x, k);
        }
    }
    k = _mm256_add_epi64(k, weyl);
    for x in &mut v {
        *x = _mm256_aesenclast_epi128(*x, k);
    }
    // SAFETY: four 256-bit registers are the 16 u64 of `Words`, in memory order; every
    // bit pattern is a valid u64.
    unsafe { std::mem::transmute::<[__m256i; REGS], Words>(v) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 32-bit words (lowest first) as a little-endian 128-bit value.
    fn from_words(w: [u32; 4]) -> u128 {
        w.iter()
            .rev()
            .fold(0u128, |acc, &x| acc << 32 | u128::from(x))
    }

    /// Random123 1.14, `tests/kat_vectors`, the `ars4x32 10` lines: counter, key, expected
    /// output (4 words each, lowest first), with ten rounds.
    const KAT10: [([u32; 4], [u32; 4], [u32; 4]); 3] = [
        (
            [0; 4],
            [0; 4],
            [0x8d73_ee19, 0x5064_01ef, 0x13c2_dbe4, 0x0cbe_9c0d],
        ),
        (
            [0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344],
            [0xa409_3822, 0x299f_31d0, 0x082e_fa98, 0xec4e_6c89],
            [0xa516_e7d6, 0x8357_ad74, 0x5b59_b3ec, 0x8763_fff3],
        ),
        (
            [u32::MAX; 4],
            [u32::MAX, u32::MAX, 0, 0],
            [0xbb37_43b1, 0x9f63_5551, 0xecbc_87fc, 0xa194_78a9],
        ),
    ];

    /// Both software rounds, whichever this CPU would use.
    const ROUND_SOURCES: [AesRound; 2] = [AesRound::Instructions, AesRound::Tables];

    #[test]
    fn known_answers_with_ten_rounds() {
        for round in ROUND_SOURCES {
            for (ctr, key, want) in KAT10 {
                let got = block_rounds_with(round, 10, from_words(ctr), from_words(key));
                assert_eq!(
                    got,
                    from_words(want),
                    "{round:?}, counter {ctr:08x?} key {key:08x?}"
                );
            }
        }
    }

    #[test]
    fn known_answers_with_seven_rounds() {
        // Random123 1.14, `tests/ut_ars.c`: `ars1xm128i_R(7, c, k)`, the 16 bytes in memory
        // order (counter 1 and 256, key 1).
        let bytes = |s: &str| {
            let hex: String = s.split_whitespace().collect();
            let b: Vec<u8> = (0..16)
                .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex"))
                .collect();
            u128::from_le_bytes(b.try_into().expect("16 bytes"))
        };
        assert_eq!(block(1, 1), bytes("2b1623350cd214dc 7740187993411872"));
        assert_eq!(block(0x100, 1), bytes("2de6b66fa461b668 f380126f32b9cd22"));
        for round in ROUND_SOURCES {
            assert_eq!(
                block_rounds_with(round, 7, 1, 1),
                bytes("2b1623350cd214dc 7740187993411872"),
                "{round:?}"
            );
            assert_eq!(
                block_rounds_with(round, 7, 0x100, 1),
                bytes("2de6b66fa461b668 f380126f32b9cd22"),
                "{round:?}"
            );
        }
    }

    #[test]
    fn the_table_round_is_the_aes_crates() {
        // Counters, streams and keys from a scrambled sequence: every byte value reaches
        // every table many times over 20,000 blocks of 7 rounds.
        let mut x = 11u64;
        let mut next = || {
            x = crate::rng::mix64(x);
            x
        };
        for _ in 0..2_500 {
            let counters: [u64; LANES] = std::array::from_fn(|_| next());
            let (stream, key) = (next(), u128::from(next()) | u128::from(next()) << 64);
            assert_eq!(
                blocks_at_with(AesRound::Tables, counters, stream, key),
                blocks_at_with(AesRound::Instructions, counters, stream, key),
                "stream {stream:#x}, key {key:#x}"
            );
        }
    }

    /// Counters with carries at every 32-bit boundary, the fix-up region and extremes.
    const COUNTERS: [u64; LANES] = [
        1 << 63,
        (1 << 63) | 5 << 8 | 1,
        0,
        u64::MAX,
        0x85a3_08d3_243f_6a88,
        7,
        u32::MAX as u64,
        1 << 32,
    ];

    #[test]
    fn lanes_match_the_block_function() {
        for (stream, key) in [
            (0u64, 0u128),
            (0x0370_7344_1319_8a2e, 0x299f_31d0_a409_3822),
            (u64::MAX, u128::MAX),
        ] {
            let want: Vec<u64> = COUNTERS
                .iter()
                .flat_map(|&c| {
                    let b = block(counter(c, stream), key);
                    [b as u64, (b >> 64) as u64]
                })
                .collect();
            assert_eq!(blocks_at(COUNTERS, stream, key).to_vec(), want);
            for round in ROUND_SOURCES {
                let got = blocks_at_with(round, COUNTERS, stream, key);
                assert_eq!(got.to_vec(), want, "{round:?}, stream {stream}");
            }
            #[cfg(target_arch = "x86_64")]
            if has_aesni() {
                // SAFETY: AES-NI is available (checked just above).
                let got = unsafe { blocks_aesni_at(COUNTERS, stream, key) };
                assert_eq!(got.to_vec(), want, "AES-NI, stream {stream}");
            }
            #[cfg(target_arch = "x86_64")]
            if has_vaes() {
                // SAFETY: AES-NI, AVX2 and VAES are available (checked just above).
                let got = unsafe { blocks_vaes_at(COUNTERS, stream, key) };
                assert_eq!(got.to_vec(), want, "VAES, stream {stream}");
            }
        }
    }

    #[test]
    fn consecutive_lanes_match_the_block_function() {
        let (stream, key) = (0x0370_7344_1319_8a2e, 0x299f_31d0_a409_3822);
        // The last start wraps the counter past u64::MAX.
        for first in [0u64, (1 << 32) - 3, 1 << 54, u64::MAX - 2] {
            let counters: [u64; LANES] = std::array::from_fn(|l| first.wrapping_add(l as u64));
            let want = blocks_at(counters, stream, key);
            #[cfg(target_arch = "x86_64")]
            if has_aesni() {
                // SAFETY: AES-NI is available (checked just above).
                let got = unsafe { blocks_aesni(first, stream, key) };
                assert_eq!(got, want, "AES-NI, first {first}");
            }
            #[cfg(target_arch = "x86_64")]
            if has_vaes() {
                // SAFETY: AES-NI, AVX2 and VAES are available (checked just above).
                let got = unsafe { blocks_vaes(first, stream, key) };
                assert_eq!(got, want, "VAES, first {first}");
            }
            assert_eq!(want[0], block(counter(first, stream), key) as u64);
        }
    }

    #[test]
    fn the_weyl_increments_wrap_each_half_on_its_own() {
        // The low half's carry must not reach the high half (`_mm_add_epi64`).
        let k = bump(u128::from(u64::MAX));
        assert_eq!(k as u64, WEYL[0] - 1);
        assert_eq!((k >> 64) as u64, WEYL[1]);
    }
}

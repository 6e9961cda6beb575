//! Random streams. One master seed per scenario; every (replicate, chunk) gets its own
//! stream derived from it, so results never depend on the number of threads or on the
//! order in which work completes. Observers (progress bars, plots) never draw.
//!
//! * [`stream`]: a ChaCha8 generator per (seed, stream number), for sequential draws
//!   (`rand`'s distributions, shuffles, initial values).
//! * [`Normals`]: standard normal deviates in bulk, addressed by index: a counter-based
//!   ARS-7 stream (AES rounds, [`ars`]) turned into normals by a 256-layer ziggurat whose
//!   common case is vectorised ([`normal`]). Version [`NORMAL_STREAM_VERSION`]; the growth
//!   model's shocks draw from it.

pub mod ars;
pub mod normal;

pub use normal::{NORMAL_STREAM_VERSION, Normals};

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;

/// SplitMix64 finaliser: a bijective mixer used to turn coordinates into seeds.
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Test data: the SplitMix64 sequence from `seed` (`mix64` applied again and again), as
/// 64-bit words.
#[cfg(test)]
pub(crate) fn test_bits(seed: u64) -> impl FnMut() -> u64 {
    let mut state = seed;
    move || {
        state = mix64(state);
        state
    }
}

/// [`test_bits`] as uniforms in [0, 1) (the top 53 bits).
#[cfg(test)]
pub(crate) fn test_unit(seed: u64) -> impl FnMut() -> f64 {
    let mut bits = test_bits(seed);
    move || (bits() >> 11) as f64 / (1u64 << 53) as f64
}

/// A seed derived deterministically from a master seed and coordinates
/// (e.g. `[point, replicate]`).
pub fn derive_seed(master: u64, coords: &[u64]) -> u64 {
    coords
        .iter()
        .fold(mix64(master), |acc, &c| mix64(acc ^ mix64(c)))
}

/// The generator for `stream` (e.g. an actor chunk) of a run seeded with `seed`.
pub fn stream(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    for (i, part) in key.chunks_exact_mut(8).enumerate() {
        part.copy_from_slice(
            &mix64(seed ^ (i as u64).wrapping_mul(0xA24B_AED4_963E_E407)).to_le_bytes(),
        );
    }
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(stream);
    rng
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn streams_differ_and_repeat() {
        let a: u64 = stream(7, 0).random();
        let b: u64 = stream(7, 1).random();
        let c: u64 = stream(7, 0).random();
        assert_ne!(a, b);
        assert_eq!(a, c);
        assert_ne!(derive_seed(1, &[0, 1]), derive_seed(1, &[1, 0]));
    }
}

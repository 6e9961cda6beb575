//! Units of the reference: `PercentD16` (1e18 = 100 %), `Duration` (u32 seconds),
//! `Timestamp` (u40 seconds in the reference, u64 here). All arithmetic is integer with
//! floor division, exactly as the Solidity code does it.

use std::fmt;
use std::ops::{Add, Sub};

/// A percentage with 16 decimals: `1e18` is 100 %, `1e16` is 1 % (PercentD16.sol).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PercentD16(pub u128);

impl PercentD16 {
    /// 100 % (`HUNDRED_PERCENT_D16 = 1e18`).
    pub const HUNDRED: PercentD16 = PercentD16(1_000_000_000_000_000_000);
    /// 0 %.
    pub const ZERO: PercentD16 = PercentD16(0);

    /// `1e18 * n / d`, floor; zero when `d == 0`.
    pub fn from_fraction(n: u128, d: u128) -> PercentD16 {
        if d == 0 {
            return PercentD16(0);
        }
        PercentD16(mul_div(Self::HUNDRED.0, n, d))
    }

    /// `1e18 * bp / 10_000`.
    pub fn from_basis_points(bp: u128) -> PercentD16 {
        PercentD16(Self::HUNDRED.0 * bp / 10_000)
    }

    /// The value as a percentage (lossy, for display and plots only).
    pub fn as_percent_f64(self) -> f64 {
        self.0 as f64 / 1e16
    }
}

impl fmt::Display for PercentD16 {
    /// Exact decimal percentage with trailing zeros trimmed to at least two decimals
    /// (`1.01%`, `0.9999999999999999%`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = 10u128.pow(16);
        let int = self.0 / unit;
        let frac = self.0 % unit;
        let mut s = format!("{frac:016}");
        while s.len() > 2 && s.ends_with('0') {
            s.pop();
        }
        write!(f, "{int}.{s}%")
    }
}

/// A duration in whole seconds (uint32 in the reference).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(pub u32);

impl Duration {
    /// No time.
    pub const ZERO: Duration = Duration(0);
    /// `s` seconds.
    pub const fn seconds(s: u32) -> Duration {
        Duration(s)
    }
    /// `h` hours (`h * 3600` seconds).
    pub const fn hours(h: u32) -> Duration {
        Duration(h * 3600)
    }
    /// `d` days (`d * 86_400` seconds).
    pub const fn days(d: u32) -> Duration {
        Duration(d * 86_400)
    }
    /// The length in seconds, widened to `u64` for timestamp arithmetic.
    pub fn as_secs(self) -> u64 {
        self.0 as u64
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&human_seconds(self.0 as u64))
    }
}

/// Seconds as `Nd Nh Nm Ns` (all four parts, e.g. `45d 0h 0m 1s`).
pub fn human_seconds(s: u64) -> String {
    format!(
        "{}d {}h {}m {}s",
        s / 86_400,
        (s % 86_400) / 3600,
        (s % 3600) / 60,
        s % 60
    )
}

/// A point in time in seconds. `Timestamp(0)` means "not set", as in the reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// The unset timestamp.
    pub const ZERO: Timestamp = Timestamp(0);
    /// Whether the timestamp is set (non-zero).
    pub fn is_set(self) -> bool {
        self.0 != 0
    }
}

impl Add<Duration> for Timestamp {
    type Output = Timestamp;
    /// Saturating: never wraps (timelines bound their clock far below `u64::MAX`).
    fn add(self, d: Duration) -> Timestamp {
        Timestamp(self.0.saturating_add(d.0 as u64))
    }
}

impl Sub<Timestamp> for Timestamp {
    type Output = u64;
    fn sub(self, o: Timestamp) -> u64 {
        self.0 - o.0
    }
}

impl Add<Duration> for Duration {
    type Output = Duration;
    fn add(self, d: Duration) -> Duration {
        Duration(self.0.saturating_add(d.0))
    }
}

/// `floor(a * b / d)` with a 256-bit intermediate product (the reference computes in
/// uint256). Saturates at `u128::MAX` if the quotient does not fit; `d` must be non-zero.
pub fn mul_div(a: u128, b: u128, d: u128) -> u128 {
    assert!(d != 0, "mul_div by zero");
    if let Some(p) = a.checked_mul(b) {
        return p / d;
    }
    let (hi, lo) = mul_wide(a, b);
    if hi >= d {
        return u128::MAX;
    }
    if d < (1u128 << 96) {
        // schoolbook long division in base 2^32: the remainder stays below d < 2^96, so
        // `rem << 32 | limb` fits in u128; leading zero limbs are skipped.
        let limbs = [
            (hi >> 96) as u32,
            (hi >> 64) as u32,
            (hi >> 32) as u32,
            hi as u32,
            (lo >> 96) as u32,
            (lo >> 64) as u32,
            (lo >> 32) as u32,
            lo as u32,
        ];
        let mut rem = 0u128;
        let mut q = 0u128;
        for limb in limbs {
            if rem == 0 && q == 0 && limb == 0 {
                continue;
            }
            let cur = (rem << 32) | limb as u128;
            q = (q << 32) | (cur / d);
            rem = cur % d;
        }
        return q;
    }
    // bitwise restoring division (branch-free step) for very large divisors
    let mut rem = hi;
    let mut q = 0u128;
    for i in (0..128).rev() {
        let carry = rem >> 127;
        rem = (rem << 1) | ((lo >> i) & 1);
        let ge = (carry == 1) | (rem >= d);
        rem = rem.wrapping_sub(d & 0u128.wrapping_sub(ge as u128));
        q = (q << 1) | ge as u128;
    }
    q
}

fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    const M: u128 = u64::MAX as u128;
    let (a1, a0) = (a >> 64, a & M);
    let (b1, b0) = (b >> 64, b & M);
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 64) + (p01 & M) + (p10 & M);
    let lo = (p00 & M) | (mid << 64);
    let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (hi, lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mul_div_wide_matches_small_and_known_values() {
        assert_eq!(mul_div(6, 7, 4), 10);
        // 1e18 * 9e24 / 9e24 = 1e18 needs 256 bits
        let s = 9_000_000u128 * 10u128.pow(18);
        assert_eq!(mul_div(10u128.pow(18), s, s), 10u128.pow(18));
        assert_eq!(mul_div(10u128.pow(18), s / 100 - 1, s), 10u128.pow(16) - 1);
        assert_eq!(mul_div(u128::MAX, u128::MAX, u128::MAX), u128::MAX);
        assert_eq!(mul_div(u128::MAX, 3, 6), u128::MAX / 2);
        // both division paths against a reference computed in two steps
        let big = (1u128 << 100) + 12345;
        assert_eq!(
            mul_div(u128::MAX / 3, 6, big),
            (u128::MAX / 3 / big) * 6 + ((u128::MAX / 3 % big) * 6) / big
        );
        let d = 9_000_000u128 * 10u128.pow(18) + 7;
        let a = 123_456_789_012_345_678_901_234u128;
        let expect = (a / d) * 10u128.pow(18) + {
            let r = a % d;
            let x = r * 10u128.pow(9);
            let (q1, r1) = (x / d, x % d);
            q1 * 10u128.pow(9) + (r1 * 10u128.pow(9)) / d
        };
        assert_eq!(mul_div(10u128.pow(18), a, d), expect);
    }

    #[test]
    fn percent_display_is_exact() {
        assert_eq!(PercentD16(10u128.pow(16)).to_string(), "1.00%");
        assert_eq!(PercentD16(101 * 10u128.pow(14)).to_string(), "1.01%");
        assert_eq!(
            PercentD16(10u128.pow(16) - 1).to_string(),
            "0.9999999999999999%"
        );
        assert_eq!(human_seconds(45 * 86_400 + 1), "45d 0h 0m 1s");
    }
}

//! Which vector instruction set a hot loop runs on, chosen from what the CPU has: the loop
//! is written once in portable Rust and compiled several times by the crate's
//! `multiversion!` macro.
//!
//! The loops it is used for only do integer work and IEEE-754 `+ - * /` (Rust never fuses
//! a multiply and an add), with their sums in a fixed association, so every version gives
//! the same bits: the wider registers only let the CPU keep more values in flight. Tests
//! compare every version this CPU has, value for value (`Isa::available`, test-only), and
//! whole runs under every [`SIMD_ENV`] limit, file for file.
//!
//! [`SIMD_ENV`] limits the widest set used: on CPUs that lower their clock for 512-bit
//! arithmetic (Intel Skylake-SP, Cascade Lake) `avx2` may be faster, and `baseline` runs
//! the portable code that machines without AVX2 run.

use std::sync::OnceLock;

use thiserror::Error;

/// The environment variable that limits the instruction sets of the hot loops: `auto`
/// (the default: the widest the CPU has), `avx512`, `avx2` or `baseline`. Results are the
/// same under every value; only the speed changes.
pub const SIMD_ENV: &str = "COUNTERWEIGHT_SIMD";

/// A level of vector instructions, narrowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SimdLevel {
    /// The target's baseline (SSE2 on x86-64), and the portable generator.
    Baseline,
    /// AVX2 (256-bit registers), with AES-NI and VAES for the generator where the CPU has
    /// them.
    Avx2,
    /// AVX-512F (512-bit registers).
    Avx512,
}

impl SimdLevel {
    /// Every level, narrowest first.
    const ALL: [SimdLevel; 3] = [SimdLevel::Baseline, SimdLevel::Avx2, SimdLevel::Avx512];

    /// The name [`SIMD_ENV`] takes for this level.
    pub fn name(self) -> &'static str {
        match self {
            SimdLevel::Baseline => "baseline",
            SimdLevel::Avx2 => "avx2",
            SimdLevel::Avx512 => "avx512",
        }
    }
}

/// [`SIMD_ENV`] holds something that is not a level.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{SIMD_ENV}={value:?} is not an instruction set: expected auto, avx512, avx2 or baseline")]
pub struct SimdEnvError {
    /// The value found.
    pub value: String,
}

/// The limit [`SIMD_ENV`] sets: `None` for `auto` or when unset. Front ends call this at
/// start-up to reject a misspelt value; the library itself treats one as `auto`.
pub fn limit_from_env() -> Result<Option<SimdLevel>, SimdEnvError> {
    match std::env::var_os(SIMD_ENV) {
        None => Ok(None),
        Some(v) => parse_limit(&v.to_string_lossy()),
    }
}

/// A value of [`SIMD_ENV`] (case and surrounding blanks ignored; empty is `auto`).
fn parse_limit(value: &str) -> Result<Option<SimdLevel>, SimdEnvError> {
    let name = value.trim().to_ascii_lowercase();
    if name.is_empty() || name == "auto" {
        return Ok(None);
    }
    match SimdLevel::ALL.into_iter().find(|l| l.name() == name) {
        Some(level) => Ok(Some(level)),
        None => Err(SimdEnvError {
            value: value.to_string(),
        }),
    }
}

/// The level the hot loops of this process run at: the widest the CPU has, at most
/// [`SIMD_ENV`]'s limit (read once, at the first call).
pub fn in_use() -> SimdLevel {
    static LEVEL: OnceLock<SimdLevel> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        let cpu = widest_on_cpu();
        match limit_from_env() {
            Ok(Some(limit)) => cpu.min(limit),
            _ => cpu,
        }
    })
}

/// Whether the hot loops may use `level` (the CPU has it and [`SIMD_ENV`] allows it).
// Only the x86-64 dispatch asks (elsewhere every level above the baseline is absent).
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) fn allows(level: SimdLevel) -> bool {
    in_use() >= level
}

/// The widest level this CPU has.
fn widest_on_cpu() -> SimdLevel {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return SimdLevel::Avx512;
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            return SimdLevel::Avx2;
        }
    }
    SimdLevel::Baseline
}

/// An instruction set that this CPU has (only [`Isa::best`] and `Isa::available` make
/// one, from levels at most [`widest_on_cpu`], so running code compiled for it is sound).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Isa(Level);

/// The instruction sets [`multiversion!`](crate::simd::multiversion) compiles a loop for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    /// The target's baseline (SSE2 on x86-64).
    Baseline,
    /// AVX2: 256-bit registers.
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// AVX-512F: 512-bit registers. On AMD Zen 4 one 512-bit operation is one entry in the
    /// scheduler for eight values where AVX2 takes two, so loops whose latency chains fill
    /// the scheduler (the `exp` of the shocks: about 25 dependent operations per value)
    /// run faster even though the units are 256 bits wide.
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Isa {
    /// The widest instruction set this CPU has that [`SIMD_ENV`] allows ([`in_use`]).
    #[inline]
    pub(crate) fn best() -> Isa {
        Isa::at(in_use())
    }

    /// Every instruction set this CPU has, the baseline first (for tests that compare the
    /// versions).
    #[cfg(test)]
    pub(crate) fn available() -> Vec<Isa> {
        let cpu = widest_on_cpu();
        SimdLevel::ALL
            .into_iter()
            .filter(|&l| l <= cpu)
            .map(Isa::at)
            .collect()
    }

    /// The compiled version for `level`, which must be at most [`widest_on_cpu`].
    fn at(level: SimdLevel) -> Isa {
        match level {
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Avx512 => Isa(Level::Avx512),
            #[cfg(target_arch = "x86_64")]
            SimdLevel::Avx2 => Isa(Level::Avx2),
            _ => Isa(Level::Baseline),
        }
    }

    /// Which one (for the compiled versions' dispatch).
    #[inline]
    pub(crate) fn level(self) -> Level {
        self.0
    }
}

/// `multiversion! { /// docs
/// fn name / name_on(arg: Type, ...) -> Ret = body_fn; }` defines `name(args)`, which runs
/// `body_fn(args)` compiled for [`Isa::best`], and `name_on(isa, args)`, which runs the
/// version for `isa`. `body_fn` should be `#[inline(always)]`, so that each version
/// compiles its own copy for its instruction set.
macro_rules! multiversion {
    (
        $(#[$meta:meta])*
        $vis:vis fn $name:ident / $name_on:ident ($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? = $body:path;
    ) => {
        $(#[$meta])*
        #[inline]
        $vis fn $name($($arg: $ty),*) $(-> $ret)? {
            $name_on($crate::simd::Isa::best(), $($arg),*)
        }

        /// The version of the function above compiled for `isa` (private to the module:
        /// for its tests).
        fn $name_on(isa: $crate::simd::Isa, $($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f")]
            fn avx512($($arg: $ty),*) $(-> $ret)? {
                $body($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2")]
            fn avx2($($arg: $ty),*) $(-> $ret)? {
                $body($($arg),*)
            }
            match isa.level() {
                // SAFETY: an `Isa` is only made for an instruction set the CPU has.
                #[cfg(target_arch = "x86_64")]
                $crate::simd::Level::Avx512 => unsafe { avx512($($arg),*) },
                // SAFETY: as above.
                #[cfg(target_arch = "x86_64")]
                $crate::simd::Level::Avx2 => unsafe { avx2($($arg),*) },
                $crate::simd::Level::Baseline => $body($($arg),*),
            }
        }
    };
}
pub(crate) use multiversion;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_parses_every_level_and_rejects_the_rest() {
        assert_eq!(parse_limit(""), Ok(None));
        assert_eq!(parse_limit(" Auto "), Ok(None));
        assert_eq!(parse_limit("AVX512"), Ok(Some(SimdLevel::Avx512)));
        assert_eq!(parse_limit("avx2"), Ok(Some(SimdLevel::Avx2)));
        assert_eq!(parse_limit("baseline"), Ok(Some(SimdLevel::Baseline)));
        let e = parse_limit("avx-2").unwrap_err();
        assert_eq!(
            e.to_string(),
            "COUNTERWEIGHT_SIMD=\"avx-2\" is not an instruction set: expected auto, avx512, avx2 or baseline"
        );
        for level in SimdLevel::ALL {
            assert_eq!(parse_limit(level.name()), Ok(Some(level)));
        }
        assert!(SimdLevel::Baseline < SimdLevel::Avx2 && SimdLevel::Avx2 < SimdLevel::Avx512);
    }

    #[test]
    fn the_level_in_use_is_one_the_cpu_has() {
        assert!(in_use() <= widest_on_cpu());
        let isa = Isa::best();
        assert!(Isa::available().contains(&isa));
    }
}

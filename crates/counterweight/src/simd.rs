//! Which vector instruction set a hot loop runs on, chosen once per call from what the CPU
//! has: the loop is written once in portable Rust and compiled several times by
//! [`multiversion!`](crate::simd::multiversion).
//!
//! The loops it is used for only do integer work and IEEE-754 `+ - * /` (Rust never fuses
//! a multiply and an add), with their sums in a fixed association, so every version gives
//! the same bits: the wider registers only let the CPU keep more values in flight. Tests
//! compare every version this CPU has, value for value (`Isa::available`, test-only).

/// An instruction set that this CPU has (only [`Isa::best`] and `Isa::available` make
/// one, so running code compiled for it is sound).
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
    /// The widest instruction set this CPU has.
    #[inline]
    pub(crate) fn best() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                return Isa(Level::Avx512);
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Isa(Level::Avx2);
            }
        }
        Isa(Level::Baseline)
    }

    /// Every instruction set this CPU has, the baseline first (for tests that compare the
    /// versions).
    #[cfg(test)]
    pub(crate) fn available() -> Vec<Isa> {
        let mut all = vec![Isa(Level::Baseline)];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                all.push(Isa(Level::Avx2));
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                all.push(Isa(Level::Avx512));
            }
        }
        all
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

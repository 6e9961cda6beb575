//! Numerical helpers every model may use: a vectorised `exp` that gives bit-identical
//! results with AVX-512, AVX2 or neither.

/// Actors per block of the shock term: normals are drawn for a block, then
/// exponentiated together by [`exp_in_place`].
pub const SHOCK_BLOCK: usize = 256;

/// Arguments of magnitude up to this take [`exp_in_place`]'s fast path (results normal).
const EXP_FAST_MAX: f64 = 708.0;

crate::simd::multiversion! {
    /// `v[i] = exp(v[i])` for every element, with error below 1 ulp (fdlibm's e_exp.c
    /// algorithm) and only IEEE +, -, *, / in the fast path, so it vectorises and gives
    /// bit-identical results with AVX-512, AVX2 or neither. Blocks with an argument outside
    /// [-708, 708] (or NaN) use the standard library's `exp` instead.
    pub fn exp_in_place / exp_in_place_on(v: &mut [f64]) = exp_in_place_generic;
}

#[inline(always)]
fn exp_in_place_generic(v: &mut [f64]) {
    if in_fast_range(v) {
        v.iter_mut().for_each(|x| *x = exp_fast(*x));
    } else {
        v.iter_mut().for_each(|x| *x = x.exp());
    }
}

/// Whether every argument in `v` is in [`exp_fast`]'s range (a branch-free fold that
/// vectorises; NaN is out of range).
#[inline(always)]
pub(crate) fn in_fast_range(v: &[f64]) -> bool {
    v.iter().fold(true, |ok, &x| ok & (x.abs() <= EXP_FAST_MAX))
}

/// exp(x) for |x| <= [`EXP_FAST_MAX`]: x = k ln2 + r with |r| <= ln2/2 (Cody–Waite), the
/// rational approximation of fdlibm's e_exp.c on r, times 2^k built from bits.
#[inline(always)]
pub(crate) fn exp_fast(x: f64) -> f64 {
    const LOG2E: f64 = std::f64::consts::LOG2_E;
    // fdlibm's constants, as bit patterns (ln2 split in a high part with trailing zeros
    // and a low part; P1..P5 the rational approximation's coefficients).
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000); // 6.93147180369123816490e-01
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76); // 1.90821492927058770002e-10
    const P1: f64 = f64::from_bits(0x3fc5_5555_5555_553e); // 1.66666666666666019037e-01
    const P2: f64 = f64::from_bits(0xbf66_c16c_16be_bd93); // -2.77777777770155933842e-03
    const P3: f64 = f64::from_bits(0x3f11_566a_af25_de2c); // 6.61375632143793436117e-05
    const P4: f64 = f64::from_bits(0xbebb_bd41_c5d2_6bf1); // -1.65339022054652515390e-06
    const P5: f64 = f64::from_bits(0x3e66_3769_72be_a4d0); // 4.13813679705723846039e-08
    // Adding 1.5 * 2^52 rounds to the nearest integer k and leaves k in the low bits.
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    let t = x * LOG2E + SHIFT;
    let k = t - SHIFT;
    let hi = x - k * LN2_HI;
    let lo = k * LN2_LO;
    let r = hi - lo;
    let rr = r * r;
    let c = r - rr * (P1 + rr * (P2 + rr * (P3 + rr * (P4 + rr * P5))));
    let y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
    // 2^k for k in [-1021, 1022]: biased exponent k + 1023 from t's low bits.
    let scale = f64::from_bits(t.to_bits().wrapping_add(1023) << 52);
    y * scale
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f64, b: f64) -> u64 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    #[test]
    fn exp_within_one_ulp_of_std() {
        let mut xs: Vec<f64> = vec![0.0, -0.0, 1e-300, -1e-20, 0.5, -0.5, 1.0, 708.0, -708.0];
        let mut state = 1u64;
        for i in 0..200_000 {
            state = crate::rng::mix64(state);
            let u = (state >> 11) as f64 / (1u64 << 53) as f64; // [0, 1)
            let width = [1.0, 10.0, 700.0][i % 3];
            xs.push((2.0 * u - 1.0) * width);
        }
        let mut generic = xs.clone();
        exp_in_place_generic(&mut generic);
        for (&x, &g) in xs.iter().zip(&generic) {
            assert!(ulps(g, x.exp()) <= 1, "exp({x}) = {g}, std {}", x.exp());
        }
        for isa in crate::simd::Isa::available() {
            let mut got = xs.clone();
            for block in got.chunks_mut(SHOCK_BLOCK) {
                exp_in_place_on(isa, block);
            }
            for ((&x, &g), &h) in xs.iter().zip(&got).zip(&generic) {
                assert_eq!(
                    g.to_bits(),
                    h.to_bits(),
                    "{isa:?} and generic differ at {x}"
                );
            }
        }
        // Out of the fast range: the standard library's exp.
        let mut v = vec![0.5, 800.0, -800.0, f64::NAN, f64::INFINITY];
        exp_in_place(&mut v);
        assert_eq!(v[0], 0.5f64.exp());
        assert_eq!(v[1], f64::INFINITY);
        assert_eq!(v[2], 0.0);
        assert!(v[3].is_nan());
        assert_eq!(v[4], f64::INFINITY);
    }
}

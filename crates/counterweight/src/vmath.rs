//! Elementary functions written so that the compiler vectorises them: only integer
//! operations and IEEE-754 `+ - * /` (no fused multiply-add), so a result is the same
//! bits with AVX-512, AVX2 or plain SSE2, and on any machine of the same architecture.

/// 2^52 as a bit pattern: `from_bits(MAGIC | m) - 2^52` is `m` as f64 for m < 2^52.
const MAGIC: u64 = 0x4330_0000_0000_0000;
const TWO52: f64 = 4_503_599_627_370_496.0;

/// Natural log of a positive normal finite `x` (fdlibm's `e_log.c`, Sun Microsystems
/// 1993, without its special cases), error below 1 ulp. Zero, subnormals, infinities and
/// NaN give meaningless results: callers range-check (see [`ln_in_place`]).
#[inline(always)]
pub(crate) fn ln_fast(x: f64) -> f64 {
    const LN2_HI: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76);
    const LG1: f64 = f64::from_bits(0x3FE5_5555_5555_5593);
    const LG2: f64 = f64::from_bits(0x3FD9_9999_9997_FA04);
    const LG3: f64 = f64::from_bits(0x3FD2_4924_9422_9359);
    const LG4: f64 = f64::from_bits(0x3FCC_71C5_1D8E_78AF);
    const LG5: f64 = f64::from_bits(0x3FC7_4664_96CB_03DE);
    const LG6: f64 = f64::from_bits(0x3FC3_9A09_D078_C69F);
    const LG7: f64 = f64::from_bits(0x3FC2_F112_DF3E_5244);
    let bits = x.to_bits();
    let hx = bits >> 32;
    // x = 2^k (1 + f) with 1 + f in [sqrt(2)/2, sqrt(2)): fdlibm's normalisation.
    let m = hx & 0x000F_FFFF;
    let i = (m + 0x95F64) & 0x0010_0000;
    let k = (hx >> 20) + (i >> 20); // k + 1023, in [1, 2047]
    let xn = f64::from_bits((m | (i ^ 0x3FF0_0000)) << 32 | (bits & 0xFFFF_FFFF));
    let f = xn - 1.0;
    let s = f / (2.0 + f);
    // k - 1023 as f64 without an integer-to-float conversion instruction (exact).
    let dk = f64::from_bits(MAGIC | k) - (TWO52 + 1023.0);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * (LG4 + w * LG6));
    let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    let r = t2 + t1;
    let hfsq = 0.5 * f * f;
    dk * LN2_HI - ((hfsq - (s * (hfsq + r) + dk * LN2_LO)) - f)
}

/// `v[i] = ln(v[i])` for every element, with [`ln_fast`] when every element is a positive
/// normal finite number, and the standard library's `ln` for the whole slice otherwise.
/// Inlined, so that it vectorises for the instruction set its caller is compiled for
/// ([`crate::simd::multiversion`]): the same bits on each.
#[inline(always)]
pub(crate) fn ln_in_place(v: &mut [f64]) {
    let normal = v.iter().fold(true, |ok, &x| {
        ok & (f64::MIN_POSITIVE..=f64::MAX).contains(&x)
    });
    if normal {
        v.iter_mut().for_each(|x| *x = ln_fast(*x));
    } else {
        v.iter_mut().for_each(|x| *x = x.ln());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f64, b: f64) -> u64 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    #[test]
    fn ln_within_one_ulp_of_std() {
        let mut state = 3u64;
        let mut xs = vec![
            1.0,
            0.5,
            2.0,
            f64::MIN_POSITIVE,
            f64::MAX,
            0.999_999_999,
            1.000_000_001,
            std::f64::consts::FRAC_1_SQRT_2,
        ];
        for _ in 0..300_000 {
            state = crate::rng::mix64(state);
            let e = (state % 2000) as i32 - 1000;
            let u = 1.0 + (state >> 11) as f64 / (1u64 << 53) as f64; // [1, 2)
            xs.push(u * 2f64.powi(e));
        }
        crate::simd::multiversion! {
            fn ln_each / ln_each_on(v: &mut [f64]) = ln_in_place;
        }
        let mut baseline = xs.clone();
        ln_in_place(&mut baseline);
        for (&x, &g) in xs.iter().zip(&baseline) {
            assert!(ulps(g, x.ln()) <= 1, "ln({x}) = {g}, std {}", x.ln());
        }
        for isa in crate::simd::Isa::available() {
            let mut got = xs.clone();
            ln_each_on(isa, &mut got);
            for ((&x, &g), &h) in xs.iter().zip(&got).zip(&baseline) {
                assert_eq!(
                    g.to_bits(),
                    h.to_bits(),
                    "{isa:?} and baseline differ at {x}"
                );
            }
        }
        let mut odd = vec![2.0, 0.0, 1e-310];
        ln_each(&mut odd);
        assert_eq!(odd, vec![2f64.ln(), f64::NEG_INFINITY, 1e-310f64.ln()]);
    }
}

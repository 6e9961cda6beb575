//! Numbers for people: chart labels, legends, captions and messages.
//!
//! Data files keep every digit (`io::csv` writes the shortest text that reads back
//! exactly); what a person reads is rounded to significant digits with no float noise:
//! `0.316227766017` is `0.3162`, `47.400000000000006` is `47.4`.

/// `x` to `digits` significant digits (at least 1), trailing zeros dropped: `sig(0.316227766017,
/// 4)` = `"0.3162"`, `sig(47.400000000000006, 6)` = `"47.4"`, `sig(1234567.0, 3)` =
/// `"1234567"` (integers below 10¹⁵ keep all their digits), `sig(1.5e-7, 3)` = `"1.5e-7"`
/// (scientific notation below 10⁻⁴ and from 10⁹ on). Non-finite values read `NaN`, `inf`,
/// `-inf`.
pub fn sig(x: f64, digits: usize) -> String {
    let digits = digits.max(1);
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return "0".into();
    }
    if x == x.trunc() && x.abs() < 1e15 {
        return format!("{x:.0}");
    }
    let a = x.abs();
    if !(1e-4..1e9).contains(&a) {
        let s = format!("{x:.prec$e}", prec = digits - 1);
        return match s.split_once('e') {
            Some((m, e)) => format!("{}e{e}", trim_zeros(m)),
            None => s,
        };
    }
    let exp = a.log10().floor() as i32;
    let decimals = (digits as i32 - 1 - exp).max(0) as usize;
    let s = format!("{x:.decimals$}");
    // Rounding can add a digit (9.9996 -> 10.000): the zeros go anyway.
    trim_zeros(&s).to_string()
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::sig;

    #[test]
    fn significant_digits() {
        assert_eq!(sig(0.316227766017, 4), "0.3162");
        assert_eq!(sig(47.400000000000006, 6), "47.4");
        assert_eq!(sig(0.30000000000000004, 4), "0.3");
        assert_eq!(sig(4.6506719595, 3), "4.65");
        assert_eq!(sig(0.160852113346, 3), "0.161");
        assert_eq!(sig(30.0, 3), "30");
        assert_eq!(sig(1234567.0, 3), "1234567");
        assert_eq!(sig(1234.5678, 3), "1235");
        assert_eq!(sig(9.9996, 4), "10");
        assert_eq!(sig(-0.0012345, 2), "-0.0012");
        assert_eq!(sig(1.5e-7, 3), "1.5e-7");
        assert_eq!(sig(2.5e12 + 0.5, 3), "2.5e12");
        assert_eq!(sig(0.0, 4), "0");
        assert_eq!(sig(f64::NAN, 4), "NaN");
        assert_eq!(sig(f64::NEG_INFINITY, 4), "-inf");
        assert_eq!(sig(0.5, 0), "0.5");
    }
}

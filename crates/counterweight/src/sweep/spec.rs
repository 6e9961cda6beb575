//! Parsing `--vary`, `--zip` and `--sample` into a list of points.
//!
//! Three forms of `--vary KEY=SPEC`:
//!
//! - `start:stop:step` — an arithmetic grid from `start`, inclusive of `stop` when it falls on
//!   the grid (to within a billionth of a step). Values are rounded to the number of decimals
//!   written in the spec, so `0:0.3:0.1` gives `0, 0.1, 0.2, 0.3`, not `0.30000000000000004`.
//!   When all three are integers, the values are integers (for fields like `actors[0].count`).
//! - `v1,v2,v3` — a list; each item is read as a TOML value (numbers, booleans, quoted or bare
//!   strings), exactly as `--set` reads it.
//! - `log:start:stop:n` — `n` values spaced geometrically from `start` to `stop` (both > 0).
//!
//! Several `--vary` make a full factorial (the first key varies slowest); `--zip` instead
//! pairs the i-th values of every key (all lists must have the same length). `--sample lhs:N`
//! draws N points by Latin hypercube over the continuous ranges of the varied keys (`start` to
//! `stop` of a range, log-uniform for a `log:` range, min to max of a numeric list); the
//! sample is drawn from its own seeded stream, so it is reproducible.

use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::rng;

/// One value of a varied key: its number (if numeric) and its TOML text for the override.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AxisValue {
    /// The TOML text assigned to the key (`1.25`, `3`, `"frontier"`).
    pub text: String,
    /// The numeric value, when the value is a number.
    pub number: Option<f64>,
}

impl AxisValue {
    fn float(x: f64) -> Self {
        let mut text = String::new();
        crate::io::csv::format_f64(x, &mut text);
        if !text.contains(['.', 'e', 'E', 'N', 'i']) {
            text.push_str(".0"); // keep it a TOML float, so float fields accept it
        }
        AxisValue {
            text,
            number: Some(x),
        }
    }

    fn int(x: i64) -> Self {
        AxisValue {
            text: x.to_string(),
            number: Some(x as f64),
        }
    }

    /// A label for tables and plots: the number, or the bare text.
    pub fn label(&self) -> String {
        match self.number {
            Some(x) => {
                let mut s = String::new();
                crate::io::csv::format_f64(x, &mut s);
                s
            }
            None => self.text.trim_matches('"').to_string(),
        }
    }
}

/// How a key's values were given (kept for Latin hypercube sampling).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AxisKind {
    /// `start:stop:step`, an arithmetic grid.
    Range {
        /// The first value.
        start: f64,
        /// The last value, when it falls on the grid.
        stop: f64,
        /// All three parts were written as integers, so the values are integers.
        integer: bool,
    },
    /// `log:start:stop:n`, geometric spacing (sampled log-uniformly by `lhs`).
    Log {
        /// The first value (> 0).
        start: f64,
        /// The last value (> 0).
        stop: f64,
    },
    /// `v1,v2,...`, explicit values (sampled between their min and max by `lhs` when
    /// all are numbers).
    List,
}

/// One varied key and its values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Axis {
    /// The scenario field it varies, as `--set` names it (`growth.returns_to_scale`).
    pub key: String,
    /// The spec as written (`1.0:1.5:0.1`).
    pub spec: String,
    /// The form of the spec, with its bounds.
    pub kind: AxisKind,
    /// The values the spec lists, in order (a Latin hypercube draws its points' values
    /// from the bounds instead).
    pub values: Vec<AxisValue>,
}

impl Axis {
    /// Whether every value is a number (for plots and sampling).
    pub fn numeric(&self) -> bool {
        self.values.iter().all(|v| v.number.is_some())
    }
}

/// How points are formed from the axes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Design {
    /// Full factorial, first key slowest.
    Grid,
    /// The i-th values of every key together.
    Zip,
    /// Latin hypercube with this many points.
    Lhs(usize),
}

/// A parsed `--vary`/`--zip`/`--sample` specification: the axes and the points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepSpec {
    /// The varied keys, in the order given (the first varies slowest in a grid).
    pub axes: Vec<Axis>,
    /// How the points were formed from the axes.
    pub design: Design,
    /// `points[p][a]` is the value of axis `a` at point `p`.
    pub points: Vec<Vec<AxisValue>>,
}

/// The key of the axis over a scenario's `[[compare]]` variants: a sweep of a scenario
/// with variants runs every point under each variant (or under those a
/// `--vary variant=LABEL,...` lists), and `variant` is a column of the results.
pub const VARIANT_KEY: &str = "variant";

impl SweepSpec {
    /// The index of the [`VARIANT_KEY`] axis, if any.
    pub fn variant_axis(&self) -> Option<usize> {
        self.axes.iter().position(|a| a.key == VARIANT_KEY)
    }

    /// Cross every point with the variants `labels` (the variant varying fastest), as a
    /// last axis [`VARIANT_KEY`] of strings.
    pub fn cross_variants(&mut self, labels: &[String]) {
        let values: Vec<AxisValue> = labels
            .iter()
            .map(|l| AxisValue {
                text: toml::Value::String(l.clone()).to_string(),
                number: None,
            })
            .collect();
        self.points = self
            .points
            .iter()
            .flat_map(|p| {
                values.iter().map(move |v| {
                    let mut q = p.clone();
                    q.push(v.clone());
                    q
                })
            })
            .collect();
        self.axes.push(Axis {
            key: VARIANT_KEY.to_string(),
            spec: labels.join(","),
            kind: AxisKind::List,
            values,
        });
    }

    /// The overrides (`key=value`) of point `p`.
    pub fn assignments(&self, p: usize) -> Vec<String> {
        self.axes
            .iter()
            .zip(&self.points[p])
            .map(|(a, v)| format!("{}={}", a.key, v.text))
            .collect()
    }
}

/// Parse one `--vary KEY=SPEC` into an axis.
pub fn parse_vary(arg: &str) -> Result<Axis, String> {
    let (key, spec) = arg.split_once('=').ok_or_else(|| {
        format!("--vary {arg}: expected KEY=SPEC, e.g. growth.spillover=0:1:0.25")
    })?;
    let key = key.trim();
    let spec = spec.trim();
    let err = |m: String| format!("--vary {arg}: {m}");
    if key.is_empty() {
        return Err(err("the key is empty".into()));
    }
    if spec.is_empty() {
        return Err(err("no values".into()));
    }
    let (kind, values) = if let Some(rest) = spec.strip_prefix("log:") {
        parse_log(rest).map_err(err)?
    } else if spec.contains(':') && !spec.contains(',') {
        parse_range(spec).map_err(err)?
    } else {
        let mut values = Vec::new();
        for item in spec.split(',') {
            let item = item.trim();
            if item.is_empty() {
                return Err(err("an empty item in the list".into()));
            }
            let (_, v) = crate::scenario::overrides::parse_assignment(&format!("v={item}"))
                .map_err(|m| err(m.to_string()))?;
            let number = match &v {
                toml::Value::Integer(i) => Some(*i as f64),
                toml::Value::Float(f) if f.is_finite() => Some(*f),
                toml::Value::Float(_) => {
                    return Err(err(format!("{item} is not a finite number")));
                }
                _ => None,
            };
            let text = match &v {
                toml::Value::String(s) => toml::Value::String(s.clone()).to_string(),
                other => other.to_string(),
            };
            values.push(AxisValue { text, number });
        }
        (AxisKind::List, values)
    };
    Ok(Axis {
        key: key.to_string(),
        spec: spec.to_string(),
        kind,
        values,
    })
}

fn num(s: &str, what: &str) -> Result<f64, String> {
    let x: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("{what} \"{}\" is not a number", s.trim()))?;
    if !x.is_finite() {
        return Err(format!("{what} must be finite"));
    }
    Ok(x)
}

fn decimals(s: &str) -> usize {
    let s = s.trim();
    if s.contains(['e', 'E']) {
        return 15;
    }
    s.split_once('.').map_or(0, |(_, d)| d.len()).min(15)
}

fn parse_range(spec: &str) -> Result<(AxisKind, Vec<AxisValue>), String> {
    let parts: Vec<&str> = spec.split(':').collect();
    if parts.len() != 3 {
        return Err("a range is start:stop:step (or log:start:stop:n, or a list v1,v2)".into());
    }
    let start = num(parts[0], "start")?;
    let stop = num(parts[1], "stop")?;
    let step = num(parts[2], "step")?;
    if step == 0.0 {
        return Err("the step is zero".into());
    }
    // Halves keep the span finite for ends near ±f64::MAX; a span too large for f64 (or
    // for a count) is refused, never wrapped (`0:1:1e-20` once gave "0 runs").
    let span = (stop / 2.0 - start / 2.0) / step * 2.0;
    if span < -1e-9 {
        return Err(format!(
            "empty range: a step of {step} never goes from {start} to {stop}"
        ));
    }
    let count = (span + 1e-9).floor() + 1.0;
    if !(count.is_finite() && count <= MAX_VALUES as f64) {
        return Err(format!(
            "{start}:{stop}:{step} has {} values, too many for one key (at most {MAX_VALUES}): use a larger step or log:START:STOP:N",
            if count.is_finite() {
                format!("{count:.0}")
            } else {
                "more than 10^308".to_string()
            }
        ));
    }
    let n = count as u64;
    let ints: Option<Vec<i64>> = parts.iter().map(|p| p.trim().parse::<i64>().ok()).collect();
    let integer = ints.is_some();
    let d = parts.iter().map(|p| decimals(p)).max().unwrap_or(0);
    let mut values = Vec::with_capacity(n as usize);
    for i in 0..n {
        if let Some(ints) = &ints {
            // Exact integers, checked: a value beyond i64 is an error, not a wrap.
            let v = (i as i64)
                .checked_mul(ints[2])
                .and_then(|x| x.checked_add(ints[0]))
                .ok_or_else(|| {
                    format!(
                        "the value number {} of the range does not fit a 64-bit integer",
                        i + 1
                    )
                })?;
            values.push(AxisValue::int(v));
        } else {
            let x = start + i as f64 * step;
            let rounded: f64 = format!("{x:.d$}").parse().unwrap_or(x);
            values.push(AxisValue::float(rounded));
        }
    }
    Ok((
        AxisKind::Range {
            start,
            stop,
            integer,
        },
        values,
    ))
}

fn parse_log(rest: &str) -> Result<(AxisKind, Vec<AxisValue>), String> {
    let parts: Vec<&str> = rest.split(':').collect();
    if parts.len() != 3 {
        return Err("a log range is log:start:stop:n".into());
    }
    let start = num(parts[0], "start")?;
    let stop = num(parts[1], "stop")?;
    let n: usize = parts[2].trim().parse().map_err(|_| {
        format!(
            "n \"{}\" is not a positive integer (at most {MAX_VALUES})",
            parts[2].trim()
        )
    })?;
    if start <= 0.0 || stop <= 0.0 {
        return Err("a log range needs start > 0 and stop > 0".into());
    }
    if n == 0 {
        return Err("empty range: n = 0".into());
    }
    if n > MAX_VALUES {
        return Err(format!(
            "{n} values is too many for one key (at most {MAX_VALUES})"
        ));
    }
    let values = (0..n)
        .map(|i| {
            // Interpolated in logarithms: finite for any positive ends (stop / start
            // would overflow from 1e-300 to 1e300).
            let x = if i == 0 {
                start
            } else if i == n - 1 {
                stop
            } else {
                (start.ln() + (stop.ln() - start.ln()) * i as f64 / (n - 1) as f64).exp()
            };
            // 12 significant digits: no float noise in the tables.
            let x: f64 = format!("{x:.11e}").parse().unwrap_or(x);
            AxisValue::float(x)
        })
        .collect();
    Ok((AxisKind::Log { start, stop }, values))
}

/// Parse `--sample lhs:N`.
pub fn parse_sample(s: &str) -> Result<usize, String> {
    let n = s
        .strip_prefix("lhs:")
        .ok_or_else(|| format!("--sample {s}: expected lhs:N"))?;
    let n: usize = n
        .trim()
        .parse()
        .map_err(|_| format!("--sample {s}: N must be a positive integer"))?;
    if n == 0 {
        return Err(format!("--sample {s}: N must be at least 1"));
    }
    Ok(n)
}

/// Maximum number of points in one sweep.
pub const MAX_POINTS: usize = 10_000_000;

/// Maximum number of values of one `--vary` key.
pub const MAX_VALUES: usize = 1_000_000;

/// Build the points of a sweep. `seed` keys the Latin hypercube stream.
pub fn build(axes: Vec<Axis>, design: Design, seed: u64) -> Result<SweepSpec, String> {
    if axes.is_empty() {
        return Err("nothing to vary: give at least one --vary KEY=SPEC".into());
    }
    for (i, a) in axes.iter().enumerate() {
        if axes[..i].iter().any(|b| b.key == a.key) {
            return Err(format!("--vary {}: the key is varied twice", a.key));
        }
    }
    let points = match design {
        Design::Grid => {
            let mut total: usize = 1;
            for a in &axes {
                total = total
                    .checked_mul(a.values.len())
                    .filter(|&t| t <= MAX_POINTS)
                    .ok_or_else(|| format!("more than {MAX_POINTS} points"))?;
            }
            (0..total)
                .map(|mut p| {
                    let mut idx = vec![0; axes.len()];
                    for (a, ax) in axes.iter().enumerate().rev() {
                        idx[a] = p % ax.values.len();
                        p /= ax.values.len();
                    }
                    idx.iter()
                        .zip(&axes)
                        .map(|(&i, ax)| ax.values[i].clone())
                        .collect()
                })
                .collect()
        }
        Design::Zip => {
            let n = axes[0].values.len();
            if let Some(a) = axes.iter().find(|a| a.values.len() != n) {
                return Err(format!(
                    "--zip needs lists of equal length: {} has {n} values, {} has {}",
                    axes[0].key,
                    a.key,
                    a.values.len()
                ));
            }
            (0..n)
                .map(|i| axes.iter().map(|a| a.values[i].clone()).collect())
                .collect()
        }
        Design::Lhs(n) => lhs(&axes, n, seed)?,
    };
    Ok(SweepSpec {
        axes,
        design,
        points,
    })
}

/// The unit-cube Latin hypercube: `n` points in `dims` dimensions, each dimension's `n`
/// strata `[k/n, (k+1)/n)` holding exactly one point. Stream `d` draws dimension `d`.
pub fn lhs_unit(n: usize, dims: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut out = vec![vec![0.0; dims]; n];
    for d in 0..dims {
        let mut r = rng::stream(rng::derive_seed(seed, &[0x004C_4853]), d as u64);
        let mut perm: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = r.random_range(0..=i);
            perm.swap(i, j);
        }
        for (i, row) in out.iter_mut().enumerate() {
            let u: f64 = r.random();
            row[d] = (perm[i] as f64 + u) / n as f64;
        }
    }
    out
}

fn lhs(axes: &[Axis], n: usize, seed: u64) -> Result<Vec<Vec<AxisValue>>, String> {
    if n > MAX_POINTS {
        return Err(format!("more than {MAX_POINTS} points"));
    }
    let mut bounds = Vec::new();
    for a in axes {
        let b = match a.kind {
            AxisKind::Range {
                start,
                stop,
                integer,
            } => (start.min(stop), start.max(stop), false, integer),
            AxisKind::Log { start, stop } => (start.min(stop), start.max(stop), true, false),
            AxisKind::List => {
                if !a.numeric() {
                    return Err(format!(
                        "--sample lhs needs numeric ranges; {} has non-numeric values",
                        a.key
                    ));
                }
                let xs = a.values.iter().filter_map(|v| v.number);
                let lo = xs.clone().fold(f64::INFINITY, f64::min);
                let hi = xs.fold(f64::NEG_INFINITY, f64::max);
                let integer = a.values.iter().all(|v| !v.text.contains(['.', 'e', 'E']));
                (lo, hi, false, integer)
            }
        };
        bounds.push(b);
    }
    Ok(lhs_unit(n, axes.len(), seed)
        .into_iter()
        .map(|u| {
            u.iter()
                .zip(&bounds)
                .map(|(&u, &(lo, hi, log, integer))| {
                    if log {
                        let x = (lo.ln() + u * (hi.ln() - lo.ln())).exp();
                        AxisValue::float(x)
                    } else if integer {
                        // Strata of equal width over lo-0.5 .. hi+0.5, rounded.
                        let x = (lo - 0.5 + u * (hi - lo + 1.0)).round().clamp(lo, hi);
                        AxisValue::int(x as i64)
                    } else if (hi - lo).is_finite() {
                        AxisValue::float(lo + u * (hi - lo))
                    } else {
                        // Ends near ±f64::MAX: (1-u) lo + u hi stays finite.
                        AxisValue::float(lo * (1.0 - u) + hi * u)
                    }
                })
                .collect()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(a: &Axis) -> Vec<String> {
        a.values.iter().map(|v| v.text.clone()).collect()
    }

    #[test]
    fn ranges_are_inclusive_and_clean() {
        let a = parse_vary("growth.spillover=0:0.3:0.1").unwrap();
        assert_eq!(texts(&a), ["0.0", "0.1", "0.2", "0.3"]);
        let a = parse_vary("x=1.0:1.5:0.2").unwrap();
        assert_eq!(texts(&a), ["1.0", "1.2", "1.4"]);
        let a = parse_vary("actors[0].count=10:30:10").unwrap();
        assert_eq!(texts(&a), ["10", "20", "30"]);
        let a = parse_vary("x=1:0:-0.5").unwrap();
        assert_eq!(texts(&a), ["1.0", "0.5", "0.0"]);
        let a = parse_vary("x=log:0.01:1:3").unwrap();
        assert_eq!(texts(&a), ["0.01", "0.1", "1.0"]);
        let a = parse_vary("growth.diffusion_scaling=constant,frontier").unwrap();
        assert_eq!(texts(&a), ["\"constant\"", "\"frontier\""]);
        let a = parse_vary("x=1,2.5").unwrap();
        assert_eq!(a.values[1].number, Some(2.5));
    }

    #[test]
    fn bad_specs() {
        for bad in [
            "x=0:1:0",
            "x=1:0:0.1",
            "x=0:1",
            "x=a:1:0.1",
            "x=log:0:1:3",
            "x=log:1:2:0",
            "=1,2",
            "x=",
            "x=1,,2",
            "novalue",
        ] {
            assert!(parse_vary(bad).is_err(), "{bad}");
        }
        assert!(parse_vary("x=0:1:0").unwrap_err().contains("zero"));
        assert!(parse_vary("x=1:0:0.1").unwrap_err().contains("empty"));
    }

    #[test]
    fn grid_and_zip() {
        let a = parse_vary("a=1,2").unwrap();
        let b = parse_vary("b=10,20,30").unwrap();
        let s = build(vec![a.clone(), b.clone()], Design::Grid, 1).unwrap();
        assert_eq!(s.points.len(), 6);
        assert_eq!(s.assignments(0), ["a=1", "b=10"]);
        assert_eq!(s.assignments(1), ["a=1", "b=20"]);
        assert_eq!(s.assignments(5), ["a=2", "b=30"]);
        assert!(build(vec![a.clone(), b], Design::Zip, 1).is_err());
        let c = parse_vary("c=5,6").unwrap();
        let z = build(vec![a, c], Design::Zip, 1).unwrap();
        assert_eq!(z.assignments(1), ["a=2", "c=6"]);
    }

    #[test]
    fn lhs_covers_each_stratum_once() {
        for &(n, dims) in &[(1usize, 1usize), (7, 2), (50, 3)] {
            let pts = lhs_unit(n, dims, 42);
            for d in 0..dims {
                let mut strata: Vec<usize> = pts
                    .iter()
                    .map(|p| (p[d] * n as f64).floor() as usize)
                    .collect();
                strata.sort_unstable();
                assert_eq!(strata, (0..n).collect::<Vec<_>>(), "n={n} d={d}");
            }
        }
        assert_eq!(lhs_unit(10, 2, 1), lhs_unit(10, 2, 1));
        assert_ne!(lhs_unit(10, 2, 1), lhs_unit(10, 2, 2));
        // Through the axes: each of the N equal-width strata of [1, 2] holds one point.
        let a = parse_vary("growth.returns_to_scale=1.0:2.0:0.5").unwrap();
        let s = build(vec![a], Design::Lhs(20), 3).unwrap();
        let mut strata: Vec<usize> = s
            .points
            .iter()
            .map(|p| ((p[0].number.unwrap() - 1.0) * 20.0).floor() as usize)
            .collect();
        strata.sort_unstable();
        assert_eq!(strata, (0..20).collect::<Vec<_>>());
    }
}

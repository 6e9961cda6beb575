//! Timelines: the TOML format of `counterweight govern replay` (a public contract,
//! documented in docs/governance.md) and the replay engine. Parsing validates everything
//! up front and reports problems with a byte span into the file; replay returns one
//! record per step and never prints.

use std::collections::HashMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::config::Config;
use super::errors::{DgError, ERROR_NAMES};
use super::escrow::Holder;
use super::state_machine::State;
use super::system::DualGovernance;
use super::types::{Duration, PercentD16, Timestamp, mul_div};

/// Internal timestamp of the timeline's t0 (above zero: 0 means "not set").
pub const T0: Timestamp = Timestamp(1);

/// The latest time a timeline may reach, in seconds since t0: the reference's timestamps
/// are `uint40` (about 34,800 years), and every internal time stays below `2^40`.
pub const MAX_TIME: u64 = (1 << 40) - 1 - T0.0;

/// One wei-denominated ether (the amount unit is wei).
pub const ETHER: u128 = 1_000_000_000_000_000_000;

/// Default stETH total supply: 9 000 000 stETH.
pub const DEFAULT_TOTAL_SUPPLY: u128 = 9_000_000 * ETHER;

// ---------------------------------------------------------------------------- errors

/// A problem with a timeline file (exit code 2 in the CLI), with its byte span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineError {
    pub message: String,
    pub span: Option<Range<usize>>,
}

impl TimelineError {
    fn at(span: Range<usize>, message: impl Into<String>) -> Self {
        TimelineError {
            message: message.into(),
            span: Some(span),
        }
    }

    /// 1-based (line, column) of the start of the span in `src` (columns count chars).
    pub fn line_col(&self, src: &str) -> Option<(usize, usize)> {
        self.span.as_ref().map(|s| line_col(src, s.start))
    }
}

impl std::fmt::Display for TimelineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TimelineError {}

/// 1-based line and column (in characters) of byte `offset` in `src`.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = src[line_start..offset].chars().count() + 1;
    (line, col)
}

// ---------------------------------------------------------------------------- format

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTimeline {
    #[allow(dead_code)]
    name: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
    config: Option<RawConfig>,
    #[serde(default)]
    step: Vec<Spanned<RawStep>>,
}

type V = Option<Spanned<toml::Value>>;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    first_seal: V,
    second_seal: V,
    min_assets_lock_duration: V,
    veto_signalling_min_duration: V,
    veto_signalling_max_duration: V,
    veto_signalling_min_active_duration: V,
    veto_signalling_deactivation_max_duration: V,
    veto_cooldown_duration: V,
    rage_quit_extension_period_duration: V,
    rage_quit_eth_withdrawals_min_delay: V,
    rage_quit_eth_withdrawals_max_delay: V,
    rage_quit_eth_withdrawals_delay_growth: V,
    after_submit_delay: V,
    after_schedule_delay: V,
    min_execution_delay: V,
    emergency_mode_duration: V,
    emergency_protection_duration: V,
    tiebreaker_activation_timeout: V,
    total_supply: V,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    at: V,
    after: V,
    #[serde(rename = "do")]
    action: Spanned<String>,
    holder: Option<Spanned<String>>,
    amount: V,
    proposal: Option<Spanned<String>>,
    expect_state: Option<Spanned<String>>,
    expect_effective_state: Option<Spanned<String>>,
    expect_error: Option<Spanned<String>>,
    expect_ok: Option<Spanned<bool>>,
    /// `withdraw_eth`: which rage-quit escrow (1 = the first rage quit's).
    escrow: Option<Spanned<i64>>,
    #[allow(dead_code)]
    note: Option<String>,
}

/// The actions a step can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Lock,
    Unlock,
    LockNft,
    UnlockNft,
    Submit,
    Schedule,
    Execute,
    CancelAll,
    Activate,
    WithdrawalsDone,
    StartExtension,
    WithdrawEth,
    MarkFinalized,
    Rebase,
    EmergencyActivate,
    EmergencyExecute,
    EmergencyReset,
    EmergencyDeactivate,
    TiebreakerSchedule,
    TiebreakerResume,
    Reseal,
}

/// Which keys an action takes: (holder, amount, proposal), each Required/Optional/No.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    Required,
    Optional,
    No,
}

impl Action {
    pub const ALL: [Action; 21] = [
        Action::Lock,
        Action::Unlock,
        Action::LockNft,
        Action::UnlockNft,
        Action::Submit,
        Action::Schedule,
        Action::Execute,
        Action::CancelAll,
        Action::Activate,
        Action::WithdrawalsDone,
        Action::StartExtension,
        Action::WithdrawEth,
        Action::MarkFinalized,
        Action::Rebase,
        Action::EmergencyActivate,
        Action::EmergencyExecute,
        Action::EmergencyReset,
        Action::EmergencyDeactivate,
        Action::TiebreakerSchedule,
        Action::TiebreakerResume,
        Action::Reseal,
    ];

    pub fn name(self) -> &'static str {
        use Action::*;
        match self {
            Lock => "lock",
            Unlock => "unlock",
            LockNft => "lock_nft",
            UnlockNft => "unlock_nft",
            Submit => "submit",
            Schedule => "schedule",
            Execute => "execute",
            CancelAll => "cancel_all",
            Activate => "activate",
            WithdrawalsDone => "withdrawals_done",
            StartExtension => "start_extension",
            WithdrawEth => "withdraw_eth",
            MarkFinalized => "mark_finalized",
            Rebase => "rebase",
            EmergencyActivate => "emergency_activate",
            EmergencyExecute => "emergency_execute",
            EmergencyReset => "emergency_reset",
            EmergencyDeactivate => "emergency_deactivate",
            TiebreakerSchedule => "tiebreaker_schedule",
            TiebreakerResume => "tiebreaker_resume",
            Reseal => "reseal",
        }
    }

    pub fn from_name(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == s)
    }

    fn needs(self) -> (Need, Need, Need) {
        use Action::*;
        use Need::*;
        match self {
            Lock | LockNft => (Required, Required, No),
            Unlock | UnlockNft | WithdrawEth => (Required, No, No),
            MarkFinalized => (Optional, No, No),
            Submit => (No, No, Optional),
            Schedule | Execute | EmergencyExecute | TiebreakerSchedule => (No, No, Required),
            Rebase => (No, Required, No),
            CancelAll | Activate | WithdrawalsDone | StartExtension | EmergencyActivate
            | EmergencyReset | EmergencyDeactivate | TiebreakerResume | Reseal => (No, No, No),
        }
    }
}

/// An amount: absolute wei, or a fraction of the stETH total supply at that moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Amount {
    Wei(u128),
    /// `num / den` of the supply (`"1.01%"` is 101 / 10 000).
    OfSupply {
        num: u128,
        den: u128,
    },
}

impl Amount {
    /// The amount in wei given the current supply.
    pub fn resolve(self, supply: u128) -> u128 {
        match self {
            Amount::Wei(w) => w,
            Amount::OfSupply { num, den } => mul_div(supply, num, den),
        }
    }
}

/// What a step expects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expect {
    pub state: Option<State>,
    pub effective_state: Option<State>,
    /// `Some(None)`: expect ok; `Some(Some(name))`: expect that error; `None`: no check.
    /// `expect_ok = false` is stored as `Some(Some("*"))` (any error).
    pub result: Option<Option<String>>,
}

/// One parsed step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Seconds since t0.
    pub at: u64,
    pub action: Action,
    pub holder: Option<Holder>,
    pub amount: Option<Amount>,
    /// A negative rebase.
    pub negative: bool,
    /// Index into `Timeline::proposals`.
    pub proposal: Option<usize>,
    /// `withdraw_eth` from the escrow of the N-th rage quit (1-based); `None`: the newest
    /// rage-quit escrow that holds the holder's stake.
    pub escrow: Option<u32>,
    /// Span of the `escrow` value (for run-time errors).
    pub escrow_span: Range<usize>,
    pub expect: Expect,
    /// 1-based line of the `[[step]]` header (0 for generated steps).
    pub line: usize,
    /// Span of the amount (for run-time amount errors).
    pub amount_span: Range<usize>,
}

/// A validated timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    pub config: Config,
    pub total_supply: u128,
    pub steps: Vec<Step>,
    pub holders: Vec<String>,
    pub proposals: Vec<String>,
}

// ---------------------------------------------------------------------------- value parsers

/// Parse a duration: `"5d"`, `"45d 1s"`, `"1d 2h 3m 4s"` (units d/h/m/s in any
/// combination, each at most once, optional spaces) or an integer number of seconds.
pub fn parse_duration_str(s: &str) -> Result<u64, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("empty duration".into());
    }
    let mut total: u64 = 0;
    let mut seen = [false; 4];
    let mut rest = t;
    while !rest.is_empty() {
        rest = rest.trim_start();
        let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return Err(format!(
                "malformed duration {s:?}: expected a number followed by d, h, m or s (e.g. \"45d 1s\")"
            ));
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("duration {s:?} is too large"))?;
        rest = rest[digits..].trim_start();
        let unit = rest
            .chars()
            .next()
            .ok_or_else(|| format!("malformed duration {s:?}: {n} has no unit (d, h, m or s)"))?;
        let (k, mult) = match unit {
            'd' => (0, 86_400),
            'h' => (1, 3_600),
            'm' => (2, 60),
            's' => (3, 1),
            other => {
                return Err(format!(
                    "malformed duration {s:?}: unknown unit {other:?} (use d, h, m or s)"
                ));
            }
        };
        if seen[k] {
            return Err(format!(
                "malformed duration {s:?}: unit {unit:?} appears twice"
            ));
        }
        seen[k] = true;
        total = n
            .checked_mul(mult)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("duration {s:?} is too large"))?;
        rest = &rest[1..];
        if rest.starts_with(|c: char| c.is_ascii_alphanumeric())
            && !rest.starts_with(|c: char| c.is_ascii_digit())
        {
            return Err(format!("malformed duration {s:?}"));
        }
    }
    Ok(total)
}

pub(crate) fn duration_value(v: &Spanned<toml::Value>) -> Result<u64, TimelineError> {
    match v.get_ref() {
        toml::Value::String(s) => parse_duration_str(s).map_err(|m| TimelineError::at(v.span(), m)),
        toml::Value::Integer(i) if *i >= 0 => Ok(*i as u64),
        toml::Value::Integer(_) => Err(TimelineError::at(v.span(), "negative duration")),
        _ => Err(TimelineError::at(
            v.span(),
            "a duration is a string like \"5d\", \"45d 1s\", \"5h 30m\" or an integer number of seconds",
        )),
    }
}

fn config_duration(v: &Spanned<toml::Value>) -> Result<Duration, TimelineError> {
    let s = duration_value(v)?;
    u32::try_from(s).map(Duration).map_err(|_| {
        TimelineError::at(
            v.span(),
            "duration does not fit the reference's uint32 seconds",
        )
    })
}

/// A decimal `"12.345"` as (digits, number of fractional digits). No sign.
fn parse_decimal(s: &str) -> Option<(u128, u32)> {
    let s = s.replace('_', "");
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i.to_string(), f.to_string()),
        None => (s.clone(), String::new()),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let digits: u128 = format!("{int}{frac}").parse().ok()?;
    Some((digits, frac.len() as u32))
}

/// `"1%"`, `"1.01%"`, `"0.9999999999999999%"` as an exact PercentD16.
pub fn parse_percent_d16(s: &str) -> Result<PercentD16, String> {
    let t = s.trim();
    let body = t
        .strip_suffix('%')
        .ok_or_else(|| format!("a percentage ends with % (e.g. \"1%\"), got {s:?}"))?;
    let (digits, frac) =
        parse_decimal(body.trim()).ok_or_else(|| format!("malformed percentage {s:?}"))?;
    if frac > 16 {
        return Err(format!(
            "percentage {s:?} has more than 16 decimals (PercentD16 resolution is 1e-16 %)"
        ));
    }
    let v = digits
        .checked_mul(10u128.pow(16 - frac))
        .ok_or_else(|| format!("percentage {s:?} is too large"))?;
    Ok(PercentD16(v))
}

/// An absolute amount: integer wei, or a decimal with a unit `ETH`/`stETH` (1e18 wei),
/// `gwei` (1e9) or `wei`. Exact; no sign.
pub fn parse_wei(s: &str) -> Result<u128, String> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let (num, mult) = if let Some(n) = lower.strip_suffix("steth") {
        (n, ETHER)
    } else if let Some(n) = lower.strip_suffix("gwei") {
        (n, 1_000_000_000)
    } else if let Some(n) = lower.strip_suffix("wei") {
        (n, 1)
    } else if let Some(n) = lower.strip_suffix("eth") {
        (n, ETHER)
    } else {
        (lower.as_str(), 1)
    };
    let (digits, frac) = parse_decimal(num.trim()).ok_or_else(|| {
        format!("malformed amount {s:?}: use \"1.01%\", \"1000 ETH\", \"5 gwei\" or an integer number of wei")
    })?;
    let scale = 10u128.pow(frac.min(38));
    if frac > 38 || mult % scale != 0 {
        return Err(format!("amount {s:?} is not a whole number of wei"));
    }
    digits
        .checked_mul(mult / scale)
        .ok_or_else(|| format!("amount {s:?} is too large"))
}

/// An amount value: returns (amount, negative).
fn amount_value(
    v: &Spanned<toml::Value>,
    allow_percent: bool,
) -> Result<(Amount, bool), TimelineError> {
    let err = |m: String| TimelineError::at(v.span(), m);
    match v.get_ref() {
        toml::Value::Integer(i) => {
            if *i < 0 {
                return Ok((Amount::Wei(i.unsigned_abs() as u128), true));
            }
            Ok((Amount::Wei(*i as u128), false))
        }
        toml::Value::String(s) => {
            let t = s.trim();
            let (neg, body) = match t.strip_prefix('-') {
                Some(b) => (true, b.trim_start()),
                None => (false, t.strip_prefix('+').unwrap_or(t).trim_start()),
            };
            if body.ends_with('%') {
                if !allow_percent {
                    return Err(err(format!("{s:?}: a percentage is not allowed here")));
                }
                let b = body.strip_suffix('%').expect("suffix").trim();
                let (digits, frac) = parse_decimal(b)
                    .ok_or_else(|| err(format!("malformed percentage {s:?}")))?;
                let den = 100u128
                    .checked_mul(10u128.checked_pow(frac).ok_or_else(|| err("too many decimals".into()))?)
                    .ok_or_else(|| err("too many decimals".into()))?;
                Ok((Amount::OfSupply { num: digits, den }, neg))
            } else {
                Ok((Amount::Wei(parse_wei(body).map_err(err)?), neg))
            }
        }
        toml::Value::Float(_) => Err(err(
            "floating-point amounts are not exact: write a string such as \"1.01%\" or \"1000.5 ETH\"".into(),
        )),
        _ => Err(err("an amount is a string such as \"1.01%\", \"1000 ETH\" or an integer number of wei".into())),
    }
}

// ---------------------------------------------------------------------------- parse

/// Resolve an optional `[config]` table into a validated config and the total supply.
pub(crate) fn parse_config(c: Option<&RawConfig>) -> Result<(Config, u128), TimelineError> {
    let mut config = Config::mainnet();
    let mut total_supply = DEFAULT_TOTAL_SUPPLY;
    let mut config_span = 0..0;
    if let Some(c) = c {
        let pct = |v: &Spanned<toml::Value>| -> Result<PercentD16, TimelineError> {
            match v.get_ref() {
                toml::Value::String(s) => {
                    parse_percent_d16(s).map_err(|m| TimelineError::at(v.span(), m))
                }
                _ => Err(TimelineError::at(
                    v.span(),
                    "a percentage is a string like \"1%\"",
                )),
            }
        };
        macro_rules! set_pct {
            ($f:ident) => {
                if let Some(v) = &c.$f {
                    config.$f = pct(v)?;
                    config_span = v.span();
                }
            };
        }
        macro_rules! set_dur {
            ($($f:ident),*) => {$(
                if let Some(v) = &c.$f {
                    config.$f = config_duration(v)?;
                }
            )*};
        }
        set_pct!(first_seal);
        set_pct!(second_seal);
        set_dur!(
            min_assets_lock_duration,
            veto_signalling_min_duration,
            veto_signalling_max_duration,
            veto_signalling_min_active_duration,
            veto_signalling_deactivation_max_duration,
            veto_cooldown_duration,
            rage_quit_extension_period_duration,
            rage_quit_eth_withdrawals_min_delay,
            rage_quit_eth_withdrawals_max_delay,
            rage_quit_eth_withdrawals_delay_growth,
            after_submit_delay,
            after_schedule_delay,
            min_execution_delay,
            emergency_mode_duration,
            emergency_protection_duration,
            tiebreaker_activation_timeout
        );
        if let Some(v) = &c.total_supply {
            match amount_value(v, false)? {
                (Amount::Wei(w), false) if w > 0 => total_supply = w,
                _ => {
                    return Err(TimelineError::at(
                        v.span(),
                        "total_supply must be a positive amount",
                    ));
                }
            }
        }
        // point config errors at the first config key present
        if let Some(v) = [
            &c.first_seal,
            &c.second_seal,
            &c.min_assets_lock_duration,
            &c.veto_signalling_min_duration,
            &c.veto_signalling_max_duration,
            &c.rage_quit_eth_withdrawals_min_delay,
        ]
        .into_iter()
        .flatten()
        .next()
        {
            config_span = v.span();
        }
    }
    config.validate().map_err(|e| TimelineError {
        message: format!("invalid [config]: {e}"),
        span: if c.is_some() { Some(config_span) } else { None },
    })?;

    Ok((config, total_supply))
}

/// Parse and validate a timeline from TOML source.
pub fn parse(src: &str) -> Result<Timeline, TimelineError> {
    let raw: RawTimeline = toml::from_str(src).map_err(|e| TimelineError {
        message: e.message().trim().to_string(),
        span: e.span(),
    })?;

    let (config, total_supply) = parse_config(raw.config.as_ref())?;

    let mut holders: Vec<String> = Vec::new();
    let mut holder_ix: HashMap<String, Holder> = HashMap::new();
    let mut proposals: Vec<String> = Vec::new();
    let mut proposal_ix: HashMap<String, usize> = HashMap::new();
    let mut steps = Vec::with_capacity(raw.step.len());
    let mut now: u64 = 0;

    for sp in &raw.step {
        let line = line_col(src, sp.span().start).0;
        let s = sp.get_ref();
        let action = Action::from_name(s.action.get_ref()).ok_or_else(|| {
            let names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
            TimelineError::at(
                s.action.span(),
                format!(
                    "unknown action {:?}; valid actions: {}",
                    s.action.get_ref(),
                    names.join(", ")
                ),
            )
        })?;
        // time
        match (&s.at, &s.after) {
            (Some(_), Some(a)) => {
                return Err(TimelineError::at(
                    a.span(),
                    "a step has `at` or `after`, not both",
                ));
            }
            (Some(at), None) => {
                let t = duration_value(at)?;
                if t < now {
                    return Err(TimelineError::at(
                        at.span(),
                        format!(
                            "time goes backwards: at = {} is before the previous step ({})",
                            super::types::human_seconds(t),
                            super::types::human_seconds(now)
                        ),
                    ));
                }
                now = t;
            }
            (None, Some(after)) => {
                now = now
                    .checked_add(duration_value(after)?)
                    .ok_or_else(|| TimelineError::at(after.span(), "the clock overflows"))?;
            }
            (None, None) => {}
        }
        if now > MAX_TIME {
            let span =
                s.at.as_ref()
                    .or(s.after.as_ref())
                    .map_or(sp.span(), |v| v.span());
            return Err(TimelineError::at(
                span,
                format!(
                    "the time reaches {} ({now} s), beyond the reference's uint40 timestamps: a timeline spans at most {} ({MAX_TIME} s, about 34,800 years)",
                    super::types::human_seconds(now),
                    super::types::human_seconds(MAX_TIME)
                ),
            ));
        }
        let (need_h, need_a, need_p) = action.needs();
        let check =
            |need: Need, present: Option<Range<usize>>, key: &str| -> Result<(), TimelineError> {
                match (need, present) {
                    (Need::Required, None) => Err(TimelineError::at(
                        s.action.span(),
                        format!("`{}` needs `{key}`", action.name()),
                    )),
                    (Need::No, Some(span)) => Err(TimelineError::at(
                        span,
                        format!("`{}` takes no `{key}`", action.name()),
                    )),
                    _ => Ok(()),
                }
            };
        check(need_h, s.holder.as_ref().map(|h| h.span()), "holder")?;
        check(need_a, s.amount.as_ref().map(|a| a.span()), "amount")?;
        check(need_p, s.proposal.as_ref().map(|p| p.span()), "proposal")?;
        let need_e = if action == Action::WithdrawEth {
            Need::Optional
        } else {
            Need::No
        };
        check(need_e, s.escrow.as_ref().map(|e| e.span()), "escrow")?;
        let escrow = match &s.escrow {
            None => None,
            Some(e) => Some(
                u32::try_from(*e.get_ref())
                    .ok()
                    .filter(|&n| n >= 1)
                    .ok_or_else(|| {
                        TimelineError::at(
                            e.span(),
                            "escrow is the number of a rage quit: 1 for the first rage quit's escrow, 2 for the second's, ...",
                        )
                    })?,
            ),
        };
        let escrow_span = s.escrow.as_ref().map_or(0..0, |e| e.span());

        let holder = s.holder.as_ref().map(|h| {
            let name = h.get_ref().clone();
            *holder_ix.entry(name.clone()).or_insert_with(|| {
                holders.push(name);
                (holders.len() - 1) as Holder
            })
        });

        let mut negative = false;
        let mut amount_span = 0..0;
        let amount = match &s.amount {
            None => None,
            Some(v) => {
                amount_span = v.span();
                let (a, neg) = amount_value(v, true)?;
                if neg && action != Action::Rebase {
                    return Err(TimelineError::at(
                        v.span(),
                        "negative amount (only `rebase` takes a sign)",
                    ));
                }
                negative = neg;
                match a {
                    Amount::OfSupply { num, den } if num > den && action != Action::Rebase => {
                        return Err(TimelineError::at(
                            v.span(),
                            "amount above the total supply (more than 100%)",
                        ));
                    }
                    Amount::OfSupply { num, den } if negative && num > den => {
                        return Err(TimelineError::at(
                            v.span(),
                            "a rebase cannot remove more than 100% of the pooled ether",
                        ));
                    }
                    Amount::Wei(w) if w > total_supply && action != Action::Rebase => {
                        return Err(TimelineError::at(
                            v.span(),
                            format!("amount above the total supply ({w} wei > {total_supply} wei)"),
                        ));
                    }
                    Amount::Wei(0) | Amount::OfSupply { num: 0, .. }
                        if action != Action::Rebase =>
                    {
                        return Err(TimelineError::at(v.span(), "amount must be positive"));
                    }
                    _ => {}
                }
                Some(a)
            }
        };

        let proposal = match &s.proposal {
            None => None,
            Some(p) => {
                let name = p.get_ref().clone();
                if action == Action::Submit {
                    if proposal_ix.contains_key(&name) {
                        return Err(TimelineError::at(
                            p.span(),
                            format!("proposal {name:?} is submitted twice"),
                        ));
                    }
                    proposals.push(name.clone());
                    proposal_ix.insert(name, proposals.len() - 1);
                    Some(proposals.len() - 1)
                } else {
                    Some(*proposal_ix.get(&name).ok_or_else(|| {
                        TimelineError::at(
                            p.span(),
                            format!("proposal {name:?} is not submitted by an earlier step"),
                        )
                    })?)
                }
            }
        };

        let state_of = |v: &Option<Spanned<String>>| -> Result<Option<State>, TimelineError> {
            match v {
                None => Ok(None),
                Some(v) => State::from_name(v.get_ref()).map(Some).ok_or_else(|| {
                    TimelineError::at(
                        v.span(),
                        format!(
                            "unknown state {:?}; valid: Normal, VetoSignalling, VetoSignallingDeactivation, VetoCooldown, RageQuit",
                            v.get_ref()
                        ),
                    )
                }),
            }
        };
        let mut expect = Expect {
            state: state_of(&s.expect_state)?,
            effective_state: state_of(&s.expect_effective_state)?,
            result: None,
        };
        match (&s.expect_error, &s.expect_ok) {
            (Some(_), Some(ok)) => {
                return Err(TimelineError::at(
                    ok.span(),
                    "a step has `expect_error` or `expect_ok`, not both",
                ));
            }
            (Some(e), None) => {
                if !ERROR_NAMES.contains(&e.get_ref().as_str()) {
                    return Err(TimelineError::at(
                        e.span(),
                        format!(
                            "unknown error name {:?} (see reference §10 / docs/governance.md)",
                            e.get_ref()
                        ),
                    ));
                }
                expect.result = Some(Some(e.get_ref().clone()));
            }
            (None, Some(ok)) => {
                expect.result = Some(if *ok.get_ref() {
                    None
                } else {
                    Some("*".into())
                });
            }
            (None, None) => {}
        }

        steps.push(Step {
            at: now,
            action,
            holder,
            amount,
            negative,
            proposal,
            escrow,
            escrow_span,
            expect,
            line,
            amount_span,
        });
    }

    Ok(Timeline {
        config,
        total_supply,
        steps,
        holders,
        proposals,
    })
}

// ---------------------------------------------------------------------------- replay

/// What a successful step returned (for display).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// `cancel_all`: whether anything was cancelled.
    Cancelled(bool),
    /// `submit`: the proposal id.
    ProposalId(u64),
    /// `lock_nft`: the NFT id.
    NftId(u64),
    /// Ether moved (unlock, withdraw_eth), in wei.
    Eth(u128),
    /// How many NFTs were affected.
    Count(usize),
    /// `activate`: whether the persisted state changed.
    Changed(bool),
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Done => Ok(()),
            Outcome::Cancelled(b) => write!(f, "cancelled={b}"),
            Outcome::ProposalId(i) => write!(f, "id={i}"),
            Outcome::NftId(i) => write!(f, "nft={i}"),
            Outcome::Eth(w) => write!(f, "eth={}", format_wei(*w)),
            Outcome::Count(n) => write!(f, "nfts={n}"),
            Outcome::Changed(b) => write!(f, "changed={b}"),
        }
    }
}

/// Wei as ether with up to 18 decimals, trailing zeros trimmed.
pub fn format_wei(w: u128) -> String {
    let int = w / ETHER;
    let frac = w % ETHER;
    if frac == 0 {
        return format!("{int}");
    }
    let s = format!("{frac:018}");
    format!("{int}.{}", s.trim_end_matches('0'))
}

/// One replayed step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRecord {
    pub index: usize,
    pub line: usize,
    /// Seconds since t0.
    pub time: u64,
    pub action: Action,
    pub holder: Option<Holder>,
    pub proposal: Option<usize>,
    /// `withdraw_eth`: the rage quit whose escrow was asked (1-based), if one was named.
    pub escrow: Option<u32>,
    /// The amount resolved to wei, if any.
    pub amount: Option<u128>,
    pub result: Result<Outcome, DgError>,
    pub persisted: State,
    pub effective: State,
    pub r: PercentD16,
    pub t_lock: Duration,
    pub rage_quit_round: u8,
    /// Failed expectations of this step, as messages.
    pub failures: Vec<String>,
}

/// A replay engine over a shell, usable step by step (benchmarks, simulations).
pub struct Replayer {
    pub dg: DualGovernance,
    /// Proposal id of each named proposal once its submit succeeded.
    pub proposal_ids: Vec<Option<u64>>,
    pub index: usize,
}

impl Replayer {
    pub fn new(
        config: Config,
        total_supply: u128,
        n_proposals: usize,
    ) -> Result<Replayer, DgError> {
        Ok(Replayer {
            dg: DualGovernance::new(config, total_supply, T0)?,
            proposal_ids: vec![None; n_proposals],
            index: 0,
        })
    }

    /// Run one step. Errors only for an amount that is invalid at run time.
    pub fn step(&mut self, step: &Step) -> Result<StepRecord, TimelineError> {
        let now = Timestamp(T0.0 + step.at);
        let escrow = self.dg.signalling_escrow;
        let supply = self.dg.steth.total_supply();
        let amount = step.amount.map(|a| a.resolve(supply));
        if let Some(w) = amount
            && step.action != Action::Rebase
            && w > supply
        {
            return Err(TimelineError::at(
                step.amount_span.clone(),
                format!(
                    "amount above the total supply at step {} (line {}): {} > {}",
                    self.index + 1,
                    step.line,
                    format_wei(w),
                    format_wei(supply)
                ),
            ));
        }
        let h = step.holder.unwrap_or(0);
        let pid = |s: &Self| -> u64 { step.proposal.and_then(|p| s.proposal_ids[p]).unwrap_or(0) };
        let dg = &mut self.dg;
        let result: Result<Outcome, DgError> = match step.action {
            Action::Lock => dg
                .lock(escrow, h, amount.unwrap_or(0), now)
                .map(|_| Outcome::Done),
            Action::Unlock => dg.unlock(escrow, h, now).map(Outcome::Eth),
            Action::LockNft => dg
                .lock_nft(escrow, h, amount.unwrap_or(0), now)
                .map(Outcome::NftId),
            Action::UnlockNft => dg.unlock_nft(escrow, h, now).map(Outcome::Count),
            Action::MarkFinalized => dg
                .mark_finalized(escrow, step.holder, now)
                .map(Outcome::Count),
            Action::Submit => {
                let r = dg.submit(now);
                if let (Ok(id), Some(p)) = (&r, step.proposal) {
                    self.proposal_ids[p] = Some(*id);
                }
                r.map(Outcome::ProposalId)
            }
            Action::Schedule => {
                let id = pid(self);
                self.dg.schedule(id, now).map(|_| Outcome::Done)
            }
            Action::Execute => {
                let id = pid(self);
                self.dg.execute(id, now).map(|_| Outcome::Done)
            }
            Action::EmergencyExecute => {
                let id = pid(self);
                self.dg.emergency_execute(id, now).map(|_| Outcome::Done)
            }
            Action::TiebreakerSchedule => {
                let id = pid(self);
                self.dg.tiebreaker_schedule(id, now).map(|_| Outcome::Done)
            }
            Action::CancelAll => dg.cancel_all(now).map(Outcome::Cancelled),
            Action::Activate => Ok(Outcome::Changed(dg.activate_next_state(now))),
            Action::WithdrawalsDone => dg.withdrawals_done(now).map(|_| Outcome::Done),
            Action::StartExtension => dg.start_extension(now).map(|_| Outcome::Done),
            Action::WithdrawEth => {
                let escrow = match step.escrow {
                    None => None,
                    Some(n) => {
                        // The N-th rage quit's escrow is the N-th escrow deployed.
                        let i = n as usize - 1;
                        let rage_quits = dg.escrows.len() - 1;
                        if i >= dg.escrows.len() {
                            return Err(TimelineError::at(
                                step.escrow_span.clone(),
                                format!(
                                    "escrow = {n} at step {} (line {}): there is no such escrow yet ({rage_quits} rage quit(s) so far; escrow {} is the current signalling escrow)",
                                    self.index + 1,
                                    step.line,
                                    rage_quits + 1
                                ),
                            ));
                        }
                        Some(i)
                    }
                };
                dg.withdraw_eth_from(escrow, h, now).map(Outcome::Eth)
            }
            Action::Rebase => match step.amount {
                Some(Amount::OfSupply { num, den }) => dg.rebase(num, den, step.negative),
                Some(Amount::Wei(w)) => dg.rebase_wei(w, step.negative),
                None => Ok(()),
            }
            .map(|_| Outcome::Done),
            Action::EmergencyActivate => dg.emergency_activate(now).map(|_| Outcome::Done),
            Action::EmergencyReset => dg.emergency_reset(now).map(|_| Outcome::Done),
            Action::EmergencyDeactivate => dg.emergency_deactivate(now).map(|_| Outcome::Done),
            Action::TiebreakerResume => dg.tiebreaker_resume(now).map(|_| Outcome::Done),
            Action::Reseal => dg.reseal(now).map(|_| Outcome::Done),
        };
        let dg = &self.dg;
        let r = dg.rage_quit_support();
        let mut rec = StepRecord {
            index: self.index,
            line: step.line,
            time: step.at,
            action: step.action,
            holder: step.holder,
            proposal: step.proposal,
            escrow: step.escrow,
            amount,
            result,
            persisted: dg.persisted_state(),
            effective: dg.effective_state_at(now, r),
            r,
            t_lock: dg.cfg.veto_signalling_duration(r),
            rage_quit_round: dg.ctx.rage_quit_round,
            failures: Vec::new(),
        };
        check_expectations(step, &mut rec);
        self.index += 1;
        Ok(rec)
    }
}

fn check_expectations(step: &Step, rec: &mut StepRecord) {
    let e = &step.expect;
    let what = |kind: &str| {
        format!(
            "step {} (line {}, {}): {kind}",
            rec.index + 1,
            step.line,
            step.action.name()
        )
    };
    if let Some(want) = &e.result {
        let got = match &rec.result {
            Ok(_) => "ok".to_string(),
            Err(err) => err.name().to_string(),
        };
        let pass = match (want, &rec.result) {
            (None, Ok(_)) => true,
            (Some(w), Err(err)) => w == "*" || w == err.name(),
            _ => false,
        };
        if !pass {
            let w = match want {
                None => "ok".to_string(),
                Some(w) if w == "*" => "an error".to_string(),
                Some(w) => w.clone(),
            };
            rec.failures
                .push(format!("{} expected {w}, got {got}", what("result")));
        }
    }
    if let Some(s) = e.state
        && s != rec.persisted
    {
        rec.failures.push(format!(
            "{} expected {s}, got {}",
            what("expect_state"),
            rec.persisted
        ));
    }
    if let Some(s) = e.effective_state
        && s != rec.effective
    {
        rec.failures.push(format!(
            "{} expected {s}, got {}",
            what("expect_effective_state"),
            rec.effective
        ));
    }
}

/// The result of replaying a timeline.
#[derive(Debug, Clone)]
pub struct Replay {
    pub records: Vec<StepRecord>,
    pub final_state: DualGovernance,
}

impl Replay {
    /// The first failed expectation, if any.
    pub fn first_failure(&self) -> Option<&str> {
        self.records
            .iter()
            .flat_map(|r| r.failures.iter())
            .next()
            .map(String::as_str)
    }

    pub fn failures(&self) -> usize {
        self.records.iter().map(|r| r.failures.len()).sum()
    }
}

/// Replay a whole timeline.
pub fn replay(tl: &Timeline) -> Result<Replay, TimelineError> {
    let mut rp = Replayer::new(tl.config, tl.total_supply, tl.proposals.len()).map_err(|e| {
        TimelineError {
            message: format!("invalid [config]: {e}"),
            span: None,
        }
    })?;
    let mut records = Vec::with_capacity(tl.steps.len());
    for s in &tl.steps {
        records.push(rp.step(s)?);
    }
    Ok(Replay {
        records,
        final_state: rp.dg,
    })
}

// ---------------------------------------------------------------------------- for people

/// Render a timeline error as `origin:line:col` with a window of the offending line and a
/// caret under the span ([`crate::diagnostic::timeline`] after `error: `): the text every
/// shell shows (the CLI on stderr, `serve` in the page).
pub fn render_error(origin: &str, src: &str, e: &TimelineError) -> String {
    format!("error: {}", crate::diagnostic::timeline(origin, src, e))
}

/// A step's result as (`ok` or the error's name, the outcome or the error's message).
pub fn result_parts(r: &StepRecord) -> (String, String) {
    match &r.result {
        Ok(o) => ("ok".into(), o.to_string()),
        Err(e) => (e.name().into(), e.to_string()),
    }
}

/// The holder, proposal, escrow and amount of a step, in words
/// (`attacker P escrow 1 90900 stETH`).
pub fn step_args(tl: &Timeline, r: &StepRecord) -> String {
    let mut parts = Vec::new();
    if let Some(h) = r.holder {
        parts.push(tl.holders[h as usize].clone());
    }
    if let Some(p) = r.proposal {
        parts.push(tl.proposals[p].clone());
    }
    if let Some(e) = r.escrow {
        parts.push(format!("escrow {e}"));
    }
    if let Some(a) = r.amount {
        parts.push(format!("{} stETH", format_wei(a)));
    }
    parts.join(" ")
}

/// One replayed step as a JSON object (`govern replay --json` prints one per line;
/// `serve` sends them to the page). The keys are a public contract (docs/governance.md).
pub fn step_json(tl: &Timeline, r: &StepRecord) -> serde_json::Value {
    use super::types::human_seconds;
    let (res, detail) = result_parts(r);
    serde_json::json!({
        "step": r.index + 1,
        "line": r.line,
        "time": r.time,
        "time_human": human_seconds(r.time),
        "action": r.action.name(),
        "holder": r.holder.map(|h| tl.holders[h as usize].clone()),
        "proposal": r.proposal.map(|p| tl.proposals[p].clone()),
        "amount_wei": r.amount.map(|a| a.to_string()),
        "escrow": r.escrow,
        "result": res,
        "detail": detail,
        "persisted_state": r.persisted.name(),
        "effective_state": r.effective.name(),
        "r_percent": r.r.to_string(),
        "r_d16": r.r.0.to_string(),
        "t_lock": r.t_lock.0,
        "t_lock_human": human_seconds(r.t_lock.as_secs()),
        "rage_quit_round": r.rage_quit_round,
        "expectation_failures": r.failures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_str("5d").unwrap(), 432_000);
        assert_eq!(parse_duration_str("45d 1s").unwrap(), 3_888_001);
        assert_eq!(parse_duration_str("5h").unwrap(), 18_000);
        assert_eq!(parse_duration_str("1s 1d").unwrap(), 86_401);
        assert_eq!(parse_duration_str("2h30m").unwrap(), 9_000);
        assert!(parse_duration_str("5x").is_err());
        assert!(parse_duration_str("d").is_err());
        assert!(parse_duration_str("5").is_err());
        assert!(parse_duration_str("1d 1d").is_err());
        assert!(parse_duration_str("").is_err());
    }

    #[test]
    fn percents_and_amounts() {
        assert_eq!(parse_percent_d16("1%").unwrap(), PercentD16(10u128.pow(16)));
        assert_eq!(
            parse_percent_d16("1.01%").unwrap(),
            PercentD16(101 * 10u128.pow(14))
        );
        assert!(parse_percent_d16("1.00000000000000001%").is_err());
        assert_eq!(parse_wei("1.5 ETH").unwrap(), 1_500_000_000_000_000_000);
        assert_eq!(parse_wei("1 gwei").unwrap(), 1_000_000_000);
        assert_eq!(parse_wei("123").unwrap(), 123);
        assert!(parse_wei("1.5").is_err());
        assert!(parse_wei("abc").is_err());
        // exact decimal percent of supply, no floats
        let a = Amount::OfSupply {
            num: 101,
            den: 10_000,
        };
        assert_eq!(a.resolve(9_000_000 * ETHER), 90_900 * ETHER);
    }

    #[test]
    fn line_col_counts_from_one() {
        let src = "a\nbc\nd";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 3), (2, 2));
        assert_eq!(line_col(src, 5), (3, 1));
    }
}

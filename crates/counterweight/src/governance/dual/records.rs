//! A replayed step as a JSON object: the rows of `counterweight govern replay --json` and of
//! the Python package's `govern.replay` table. The field names are a public contract.

use super::timeline::{StepRecord, Timeline};
use super::types::human_seconds;

/// The fields of [`step_json`], in order.
pub const FIELDS: [&str; 18] = [
    "step",
    "line",
    "time",
    "time_human",
    "action",
    "holder",
    "proposal",
    "amount_wei",
    "result",
    "detail",
    "persisted_state",
    "effective_state",
    "r_percent",
    "r_d16",
    "t_lock",
    "t_lock_human",
    "rage_quit_round",
    "expectation_failures",
];

/// `(result, detail)`: `ok` and the outcome (e.g. `id=1`, or empty), or the error's name
/// and its message.
pub fn result_text(r: &StepRecord) -> (String, String) {
    match &r.result {
        Ok(o) => ("ok".into(), o.to_string()),
        Err(e) => (e.name().into(), e.to_string()),
    }
}

/// One replayed step as a JSON object with the keys of [`FIELDS`], in that order.
pub fn step_json(tl: &Timeline, r: &StepRecord) -> serde_json::Value {
    let (res, detail) = result_text(r);
    serde_json::json!({
        "step": r.index + 1,
        "line": r.line,
        "time": r.time,
        "time_human": human_seconds(r.time),
        "action": r.action.name(),
        "holder": r.holder.map(|h| tl.holders[h as usize].clone()),
        "proposal": r.proposal.map(|p| tl.proposals[p].clone()),
        "amount_wei": r.amount.map(|a| a.to_string()),
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
    use crate::governance::dual::timeline;

    #[test]
    fn every_step_has_every_field() {
        let src = "[[step]]\nat = \"0s\"\ndo = \"lock\"\nholder = \"a\"\namount = \"1%\"\n\n[[step]]\nafter = \"1d\"\ndo = \"submit\"\nproposal = \"P\"\n";
        let tl = timeline::parse(src).unwrap();
        let rp = timeline::replay(&tl).unwrap();
        for r in &rp.records {
            let v = step_json(&tl, r);
            let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
            let mut want = FIELDS.to_vec();
            want.sort_unstable();
            let mut got = keys.clone();
            got.sort_unstable();
            assert_eq!(got, want);
        }
        assert_eq!(step_json(&tl, &rp.records[0])["holder"], "a");
        assert_eq!(step_json(&tl, &rp.records[1])["proposal"], "P");
        assert_eq!(step_json(&tl, &rp.records[1])["step"], 2);
    }
}

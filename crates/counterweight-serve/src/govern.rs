//! The Dual Governance page's replay: a timeline's text in, one JSON object per step
//! (the same objects as `counterweight govern replay --json`) and the final state out,
//! or the located error exactly as the CLI prints it.

use serde_json::json;

use counterweight::governance::dual::state_machine::State;
use counterweight::governance::dual::timeline::{self, TimelineError};

/// Replay `src` (named `origin` in errors).
pub(crate) fn replay_json(src: &str, origin: &str) -> serde_json::Value {
    let origin: String = origin
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let error = |e: &TimelineError| {
        let (line, col) = e
            .line_col(src)
            .map_or((None, None), |(l, c)| (Some(l), Some(c)));
        json!({"ok": false, "error": {
            "text": timeline::render_error(&origin, src, e),
            "message": e.message,
            "line": line,
            "col": col,
        }})
    };
    let tl = match timeline::parse(src) {
        Ok(t) => t,
        Err(e) => return error(&e),
    };
    let rp = match timeline::replay(&tl) {
        Ok(r) => r,
        Err(e) => return error(&e),
    };
    let steps: Vec<_> = rp
        .records
        .iter()
        .map(|r| {
            let mut v = timeline::step_json(&tl, r);
            v["args"] = json!(timeline::step_args(&tl, r));
            v["r"] = json!(r.r.as_percent_f64());
            v
        })
        .collect();
    let last = rp.records.last();
    json!({
        "ok": true,
        "states": State::ALL.iter().map(|s| s.name()).collect::<Vec<_>>(),
        "holders": tl.holders,
        "proposals": tl.proposals,
        "steps": steps,
        "failures": rp.failures(),
        "first_failure": rp.first_failure(),
        "final": last.map(|r| json!({
            "step": r.index + 1,
            "time": r.time,
            "time_human": counterweight::governance::dual::types::human_seconds(r.time),
            "persisted_state": r.persisted.name(),
            "effective_state": r.effective.name(),
            "r_percent": r.r.to_string(),
            "t_lock_human": counterweight::governance::dual::types::human_seconds(r.t_lock.as_secs()),
            "rage_quit_round": r.rage_quit_round,
        })),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_timeline_replays_to_its_final_state() {
        let (_, text) = crate::assets::TIMELINES
            .iter()
            .find(|t| t.0 == "s5_submitted_in_vs_blocked_in_next_cooldown")
            .unwrap();
        let v = replay_json(text, "s5.toml");
        assert_eq!(v["ok"], true);
        assert_eq!(v["failures"], 0);
        assert_eq!(v["steps"].as_array().unwrap().len(), 13);
        assert_eq!(v["final"]["persisted_state"], "VetoCooldown");
        assert_eq!(v["final"]["effective_state"], "VetoSignalling");
    }

    #[test]
    fn errors_are_located_as_in_the_cli() {
        let src = "[[step]]\nat = \"0s\"\ndo = \"dance\"\n";
        let v = replay_json(src, "t.toml");
        assert_eq!(v["ok"], false);
        assert_eq!(v["error"]["line"], 3);
        let text = v["error"]["text"].as_str().unwrap();
        assert!(text.starts_with("error: "), "{text}");
        assert!(text.contains("--> t.toml:3:"), "{text}");
    }
}

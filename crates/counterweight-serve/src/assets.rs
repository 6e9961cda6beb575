//! The files the pages are made of, embedded in the binary at compile time. They are
//! looked up by exact name in this table: no path is ever joined or read from disk.
//!
//! `vendor/uplot/` holds uPlot (MIT), the charting library, as built by its authors and
//! fetched from the npm registry by `assets/vendor/uplot/update.sh` (`package.json` and
//! `package-lock.json` pin the version); `cargo build` needs nothing but Rust.

/// One embedded file.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// The name under `/assets/` (pages are served at their own routes).
    pub name: &'static str,
    /// The `Content-Type` it is served with.
    pub mime: &'static str,
    /// The file's text, embedded by `include_str!`.
    pub body: &'static str,
}

macro_rules! asset {
    ($name:literal, $mime:literal, $path:literal) => {
        Asset {
            name: $name,
            mime: $mime,
            body: include_str!($path),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// The pages: route, file.
pub const PAGES: &[(&str, Asset)] = &[
    (
        "/",
        asset!("lab.html", "text/html; charset=utf-8", "../assets/lab.html"),
    ),
    (
        "/governance",
        asset!(
            "governance.html",
            "text/html; charset=utf-8",
            "../assets/governance.html"
        ),
    ),
    (
        "/measure",
        asset!(
            "measure.html",
            "text/html; charset=utf-8",
            "../assets/measure.html"
        ),
    ),
];

/// Scripts, styles and the vendored charting library, served under `/assets/NAME`.
pub const ASSETS: &[Asset] = &[
    Asset {
        name: "style.css",
        mime: CSS,
        body: include_str!("../assets/style.css"),
    },
    Asset {
        name: "common.js",
        mime: JS,
        body: include_str!("../assets/common.js"),
    },
    Asset {
        name: "lab.js",
        mime: JS,
        body: include_str!("../assets/lab.js"),
    },
    Asset {
        name: "governance.js",
        mime: JS,
        body: include_str!("../assets/governance.js"),
    },
    Asset {
        name: "measure.js",
        mime: JS,
        body: include_str!("../assets/measure.js"),
    },
    Asset {
        name: "uPlot.iife.min.js",
        mime: JS,
        body: include_str!("../assets/vendor/uplot/uPlot.iife.min.js"),
    },
    Asset {
        name: "uPlot.min.css",
        mime: CSS,
        body: include_str!("../assets/vendor/uplot/uPlot.min.css"),
    },
];

/// The asset called exactly `name`, if any.
pub fn get(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// The reference Dual Governance timelines (`scenarios/governance/`), for the page's menu.
pub const TIMELINES: &[(&str, &str)] = &[
    (
        "s1_first_seal_min_duration",
        include_str!("../../../scenarios/governance/s1_first_seal_min_duration.toml"),
    ),
    (
        "s2_full_deescalation",
        include_str!("../../../scenarios/governance/s2_full_deescalation.toml"),
    ),
    (
        "s2_veto_cooldown_loop",
        include_str!("../../../scenarios/governance/s2_veto_cooldown_loop.toml"),
    ),
    (
        "s3_front_run_rage_quit_pending",
        include_str!("../../../scenarios/governance/s3_front_run_rage_quit_pending.toml"),
    ),
    (
        "s3_front_run_unlock_at_boundary",
        include_str!("../../../scenarios/governance/s3_front_run_unlock_at_boundary.toml"),
    ),
    (
        "s3_second_seal_rage_quit",
        include_str!("../../../scenarios/governance/s3_second_seal_rage_quit.toml"),
    ),
    (
        "s4_submitted_before_vs_executes_in_cooldown",
        include_str!(
            "../../../scenarios/governance/s4_submitted_before_vs_executes_in_cooldown.toml"
        ),
    ),
    (
        "s5_submitted_in_vs_blocked_in_next_cooldown",
        include_str!(
            "../../../scenarios/governance/s5_submitted_in_vs_blocked_in_next_cooldown.toml"
        ),
    ),
    (
        "s7_submitted_in_rage_quit",
        include_str!("../../../scenarios/governance/s7_submitted_in_rage_quit.toml"),
    ),
    (
        "s9_flash_loan_same_address",
        include_str!("../../../scenarios/governance/s9_flash_loan_same_address.toml"),
    ),
    (
        "s9_flash_loan_two_addresses",
        include_str!("../../../scenarios/governance/s9_flash_loan_two_addresses.toml"),
    ),
    (
        "s12_persisted_vs_effective_can_schedule",
        include_str!("../../../scenarios/governance/s12_persisted_vs_effective_can_schedule.toml"),
    ),
    (
        "s12_unit_boundaries",
        include_str!("../../../scenarios/governance/s12_unit_boundaries.toml"),
    ),
    (
        "s12_unit_deactivation_to_rage_quit",
        include_str!("../../../scenarios/governance/s12_unit_deactivation_to_rage_quit.toml"),
    ),
    (
        "x_emergency_and_tiebreaker",
        include_str!("../../../scenarios/governance/x_emergency_and_tiebreaker.toml"),
    ),
    (
        "x_reseal_tie_and_emergency_reset",
        include_str!("../../../scenarios/governance/x_reseal_tie_and_emergency_reset.toml"),
    ),
];

/// The default timeline of the Dual Governance page.
pub const DEFAULT_TIMELINE: &str = "s5_submitted_in_vs_blocked_in_next_cooldown";

#[cfg(test)]
mod tests {
    use super::*;

    /// The menu lists every timeline of `scenarios/governance/`, and each one parses.
    #[test]
    fn every_reference_timeline_is_embedded_and_parses() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/governance");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| {
                let p = e.unwrap().path();
                (p.extension().is_some_and(|x| x == "toml"))
                    .then(|| p.file_stem().unwrap().to_string_lossy().into_owned())
            })
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = TIMELINES.iter().map(|t| t.0.to_string()).collect();
        embedded.sort();
        assert_eq!(embedded, on_disk);
        for (name, text) in TIMELINES {
            counterweight::governance::dual::timeline::parse(text)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        assert!(TIMELINES.iter().any(|t| t.0 == DEFAULT_TIMELINE));
    }

    #[test]
    fn assets_are_found_by_exact_name_only() {
        assert!(get("lab.js").is_some());
        assert!(get("../lab.js").is_none());
        assert!(get("/etc/passwd").is_none());
        assert!(get("").is_none());
    }
}

//! Resource limits: what the machine offers (memory from /proc/meminfo and the cgroup, free
//! disk space where the output goes), compared with the library's estimate before a
//! command starts. What does not fit is refused with exit 2, the numbers and `--no-limits`.

use std::path::Path;
use std::process::ExitCode;

use counterweight::estimate::{Available, Estimate};

use crate::render;

/// The flag that proceeds anyway.
pub const FLAG: &str = "--no-limits";

/// Memory and disk available for a command writing into `out`.
pub fn available(out: &Path) -> Available {
    Available {
        memory: memory_available(),
        disk: disk_free(out),
    }
}

/// `MemAvailable` of /proc/meminfo, lowered to what the cgroup (a container's limit) still
/// allows. `None` where neither can be read.
fn memory_available() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok();
    let mem = meminfo.as_deref().and_then(|text| {
        text.lines()
            .find_map(|l| l.strip_prefix("MemAvailable:"))
            .and_then(|v| v.trim().strip_suffix("kB"))
            .and_then(|kb| kb.trim().parse::<u64>().ok())
            .map(|kb| kb.saturating_mul(1024))
    });
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
    };
    let cgroup = read("/sys/fs/cgroup/memory.max")
        .map(|max| max.saturating_sub(read("/sys/fs/cgroup/memory.current").unwrap_or(0)));
    match (mem, cgroup) {
        (Some(m), Some(c)) => Some(m.min(c)),
        (m, c) => m.or(c),
    }
}

/// Free space (for an unprivileged user) on the file system that will hold `out`: the
/// nearest existing ancestor's.
fn disk_free(out: &Path) -> Option<u64> {
    let absolute = std::path::absolute(out).ok()?;
    let existing = absolute.ancestors().find(|p| p.exists())?;
    free_space(existing)
}

#[cfg(unix)]
fn free_space(p: &Path) -> Option<u64> {
    let s = rustix::fs::statvfs(p).ok()?;
    Some(s.f_bavail.saturating_mul(s.f_frsize))
}

#[cfg(not(unix))]
fn free_space(_: &Path) -> Option<u64> {
    None
}

/// Refuse (after printing why) when `est` does not fit and limits are on. `what` names
/// the command's work (`this run`, `this sweep`); `advice` says how to make it smaller.
pub fn enforce(
    est: &Estimate,
    available: &Available,
    no_limits: bool,
    what: &str,
    advice: &str,
) -> Result<(), ExitCode> {
    let excesses = est.excesses(available);
    if excesses.is_empty() || no_limits {
        return Ok(());
    }
    render::error(refusal(est, &excesses, what, advice));
    Err(ExitCode::from(2))
}

/// The refusal text: what does not fit, the largest parts of the memory estimate, and how
/// to proceed.
pub fn refusal(
    est: &Estimate,
    excesses: &[counterweight::estimate::Excess],
    what: &str,
    advice: &str,
) -> String {
    use counterweight::estimate::{Excess, format_bytes};
    let mut msg = format!("{what} is too large for this machine:");
    for e in excesses {
        msg.push_str(&format!("\n  - {e}"));
    }
    if excesses.iter().any(|e| matches!(e, Excess::Memory { .. })) {
        msg.push_str("\n  memory, largest parts:");
        for p in est.memory_parts.iter().take(3) {
            msg.push_str(&format!("\n    {:>9}  {}", format_bytes(p.bytes), p.what));
        }
    }
    msg.push_str(&format!(
        "\n{advice}, or pass {FLAG} to start it anyway (it may exhaust memory or disk)."
    ));
    msg
}

/// The estimate line `check` prints, and warnings for what would be refused.
pub fn report(est: &Estimate, available: &Available, what: &str) {
    println!("estimate: {}", est.summary());
    for e in est.excesses(available) {
        println!("warning: {what} would be refused without {FLAG}: {e}");
    }
}

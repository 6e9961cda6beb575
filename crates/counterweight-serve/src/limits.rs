//! What one client may ask of the server: request sizes, concurrent runs, run sizes.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// Bounds on what clients may ask. The defaults suit one person on a laptop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Largest request body (JSON: scenario text, timeline text), in bytes.
    pub max_body: usize,
    /// Largest upload (a CSV for `measure`), in bytes.
    pub max_upload: usize,
    /// Largest WebSocket message from the page, in bytes.
    pub max_message: usize,
    /// Runs one client (IP address) may have going at once, over all its pages.
    pub runs_per_client: usize,
    /// Runs the whole server may have going at once.
    pub runs_total: usize,
    /// Largest run: actors × replicates summed over the variants (the final values alone
    /// take 8 bytes each, kept for export; the model a few arrays more while it runs).
    pub max_actor_replicates: u64,
    /// Largest number of recorded metric rows of one run (steps / every × replicates,
    /// summed over the variants); a row has 8 bytes per column, about 12 columns per
    /// group plus a dozen.
    pub max_recorded_rows: u64,
    /// Largest number of per-actor rows (`output.actors`) of one run.
    pub max_actor_rows: u64,
    /// Completed runs kept in memory for export, per server (oldest dropped first).
    pub kept_runs: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: 1 << 20,
            max_upload: 16 << 20,
            max_message: 1 << 20,
            runs_per_client: 2,
            runs_total: 4,
            max_actor_replicates: 10_000_000,
            max_recorded_rows: 200_000,
            max_actor_rows: 5_000_000,
            kept_runs: 8,
        }
    }
}

/// Runs under way, per client and in total.
#[derive(Default)]
pub(crate) struct Clients {
    active: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// A run slot; released when dropped.
#[derive(Debug)]
pub(crate) struct RunSlot {
    active: Arc<Mutex<HashMap<IpAddr, usize>>>,
    ip: IpAddr,
}

impl Clients {
    /// Take a run slot for `ip`, or say why not.
    pub fn acquire(&self, ip: IpAddr, limits: &Limits) -> Result<RunSlot, String> {
        let mut map = self.active.lock().unwrap_or_else(|e| e.into_inner());
        let total: usize = map.values().sum();
        let mine = map.get(&ip).copied().unwrap_or(0);
        if mine >= limits.runs_per_client {
            return Err(format!(
                "you already have {mine} run(s) going (the limit is {} per client): cancel one or wait for it to finish",
                limits.runs_per_client
            ));
        }
        if total >= limits.runs_total {
            return Err(format!(
                "the server is running {total} simulations (its limit): try again when one finishes"
            ));
        }
        *map.entry(ip).or_insert(0) += 1;
        Ok(RunSlot {
            active: self.active.clone(),
            ip,
        })
    }
}

impl Drop for RunSlot {
    fn drop(&mut self) {
        let mut map = self.active.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = map.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_bounded_per_client_and_released_on_drop() {
        let limits = Limits {
            runs_per_client: 2,
            runs_total: 3,
            ..Limits::default()
        };
        let c = Clients::default();
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        let s1 = c.acquire(a, &limits).unwrap();
        let _s2 = c.acquire(a, &limits).unwrap();
        assert!(c.acquire(a, &limits).unwrap_err().contains("per client"));
        let _s3 = c.acquire(b, &limits).unwrap();
        assert!(c.acquire(b, &limits).unwrap_err().contains("its limit"));
        drop(s1);
        assert!(c.acquire(b, &limits).is_ok());
    }
}

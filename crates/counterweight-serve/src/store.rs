//! Completed runs kept in memory so the page can export them (the run directory as a
//! zip, the resolved scenario). Bounded: the oldest run is dropped first.

use std::collections::VecDeque;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex};

use counterweight::runner::ExperimentOutput;
use counterweight::scenario::Experiment;

/// One completed run.
pub(crate) struct StoredRun {
    pub id: String,
    pub experiment: Experiment,
    pub output: ExperimentOutput,
}

#[derive(Default)]
pub(crate) struct RunStore {
    runs: Mutex<VecDeque<Arc<StoredRun>>>,
}

impl RunStore {
    /// Keep a run (dropping the oldest beyond `keep`); returns its id.
    pub fn insert(&self, experiment: Experiment, output: ExperimentOutput, keep: usize) -> String {
        let id = new_id();
        let mut runs = self.runs.lock().unwrap_or_else(|e| e.into_inner());
        runs.push_back(Arc::new(StoredRun {
            id: id.clone(),
            experiment,
            output,
        }));
        while runs.len() > keep.max(1) {
            runs.pop_front();
        }
        id
    }

    pub fn get(&self, id: &str) -> Option<Arc<StoredRun>> {
        let runs = self.runs.lock().unwrap_or_else(|e| e.into_inner());
        runs.iter().find(|r| r.id == id).cloned()
    }
}

/// An unguessable run id: 128 bits from the standard library's randomly seeded hasher
/// (ids are capabilities for downloads, not secrets that need a CSPRNG on a local server).
fn new_id() -> String {
    let mut out = String::new();
    for _ in 0..2 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

/// Whether `id` has the shape of a run id (32 lowercase hex digits).
pub(crate) fn is_run_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

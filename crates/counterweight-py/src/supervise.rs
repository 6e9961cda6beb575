//! Long calls: the work runs on a helper thread without the GIL, while the calling thread
//! wakes every [`TICK`] to take the GIL, run Python's signal handlers (Ctrl-C, a Jupyter
//! interrupt) and report progress. Python is called once per tick, never per step.
//!
//! On an interrupt the cancel flag is set; the library stops at the next step boundary
//! (a run keeps nothing; a sweep keeps its completed part files), and the interrupt is
//! raised once the work has returned, so nothing is left half-written.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// How often the waiting thread checks for signals and reports progress.
pub const TICK: Duration = Duration::from_millis(100);

/// What the work and its supervisor share.
#[derive(Default)]
pub struct Hooks {
    /// Units done so far (steps of a run, runs of a sweep); the largest value reported.
    pub done: AtomicU64,
    /// Set to stop the work at its next step boundary.
    pub cancel: AtomicBool,
}

impl Hooks {
    /// A progress callback for the library (called from worker threads).
    pub fn report(&self, n: u64) {
        self.done.fetch_max(n, Ordering::Relaxed);
    }
}

/// Run `work` without the GIL on a helper thread; see the module documentation.
/// `progress(done)` is called with the GIL about every [`TICK`] and once at the end.
pub fn supervise<T: Send>(
    py: Python<'_>,
    progress: Option<&Bound<'_, PyAny>>,
    work: impl FnOnce(&Hooks) -> T + Send,
) -> PyResult<T> {
    supervise_interruptible(py, progress, work).map_err(|(e, _)| e)
}

/// [`supervise`], but an interrupt (or an error of the progress callback) also gives back
/// what the work returned once it stopped, e.g. how much of a sweep is saved.
pub fn supervise_interruptible<T: Send>(
    py: Python<'_>,
    progress: Option<&Bound<'_, PyAny>>,
    work: impl FnOnce(&Hooks) -> T + Send,
) -> Result<T, (PyErr, Option<T>)> {
    let hooks = Hooks::default();
    // Set by the helper thread when the work has returned.
    let finished_flag = (Mutex::new(false), Condvar::new());
    std::thread::scope(|s| {
        let h = &hooks;
        let flag = &finished_flag;
        let handle = s.spawn(move || {
            // Signal the end even if the work panics.
            struct Done<'a>(&'a (Mutex<bool>, Condvar));
            impl Drop for Done<'_> {
                fn drop(&mut self) {
                    *self.0.0.lock().unwrap_or_else(|p| p.into_inner()) = true;
                    self.0.1.notify_all();
                }
            }
            let _done = Done(flag);
            work(h)
        });
        let mut last = u64::MAX;
        let mut failure: Option<PyErr> = None;
        loop {
            let finished = py.detach(|| {
                let (lock, cvar) = flag;
                let guard = lock.lock().unwrap_or_else(|p| p.into_inner());
                let (guard, _) = cvar
                    .wait_timeout_while(guard, TICK, |f| !*f)
                    .unwrap_or_else(|p| p.into_inner());
                *guard
            });
            if failure.is_none() {
                let step = (|| -> PyResult<()> {
                    py.check_signals()?;
                    let done = hooks.done.load(Ordering::Relaxed);
                    if let Some(p) = progress
                        && done != last
                    {
                        p.call1((done,))?;
                        last = done;
                    }
                    Ok(())
                })();
                if let Err(e) = step {
                    hooks.cancel.store(true, Ordering::SeqCst);
                    failure = Some(e);
                }
            }
            if finished {
                break;
            }
        }
        let joined = py.detach(|| handle.join());
        if let Some(e) = failure {
            return Err((e, joined.ok()));
        }
        joined.map_err(|panic| {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            (
                PyRuntimeError::new_err(format!("counterweight: internal error: {msg}")),
                None,
            )
        })
    })
}

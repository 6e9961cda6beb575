//! Atomic file writes: write a temporary file in the target's directory, flush and
//! `sync_all` it, then rename it over the target. Readers see either the old file or
//! the complete new one, never a torn write. If writing fails, or the [`AtomicFile`] is
//! dropped before [`AtomicFile::commit`], the temporary file is removed.
//!
//! Temporary files are named `.{file}.tmp-{pid}-{n}` (hidden, unique per process and
//! call), so concurrent writers never share one.
//!
//! Whole directories are written the same way ([`write_dir_atomically`]): into a sibling
//! staging directory `{out}.partial-{pid}`, renamed to `out` when complete. Staging
//! directories left behind by processes that died (killed with SIGKILL, a power cut) are
//! removed the next time a directory is written beside them.
//!
//! Writes can be cancelled ([`cancellable`]): while a cancellation flag is in scope on a
//! thread, every atomic write on that thread checks it when a file is created, every few
//! thousand rows of a table and before each rename, and fails with
//! [`IoError::Cancelled`] once it is set; the temporary file (and staging directory) is
//! removed, so an interrupted write leaves nothing behind.

use std::cell::RefCell;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::IoError;

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// The cancellation flag in scope on this thread (see [`cancellable`]).
    static CANCEL: RefCell<Option<Arc<AtomicBool>>> = const { RefCell::new(None) };
}

/// Run `f` with the atomic writes it makes on this thread cancellable by `flag` (e.g. set
/// by Ctrl-C): once the flag is set, the next check fails with [`IoError::Cancelled`].
/// The flag is a value passed in, not global state; the scope ends when `f` returns.
pub fn cancellable<T>(flag: &Arc<AtomicBool>, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<Arc<AtomicBool>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let prev = self.0.take();
            CANCEL.with(|c| *c.borrow_mut() = prev);
        }
    }
    let prev = CANCEL.with(|c| c.replace(Some(flag.clone())));
    let _restore = Restore(prev);
    f()
}

/// The cancellation flag in scope on this thread, for work this thread hands to others
/// (the rayon pool's threads have none of their own): see [`with_flag`].
pub(crate) fn current_flag() -> Option<Arc<AtomicBool>> {
    CANCEL.with(|c| c.borrow().clone())
}

/// Run `f` with `flag` (from [`current_flag`] on the thread that handed the work over) in
/// scope on this thread.
pub(crate) fn with_flag<T>(flag: Option<&Arc<AtomicBool>>, f: impl FnOnce() -> T) -> T {
    match flag {
        Some(flag) => cancellable(flag, f),
        None => f(),
    }
}

/// Whether the cancellation flag in scope on this thread (if any) is set.
pub fn is_cancelled() -> bool {
    CANCEL.with(|c| {
        c.borrow()
            .as_ref()
            .is_some_and(|f| f.load(Ordering::SeqCst))
    })
}

/// `Err(IoError::Cancelled)` naming `path` if the writes on this thread were cancelled.
pub fn check_cancelled(path: &Path) -> Result<(), IoError> {
    if is_cancelled() {
        return Err(IoError::Cancelled {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

/// The temporary path used for `target`: `.{file}.tmp-{pid}-{n}` beside it.
fn temp_path_for(target: &Path) -> Result<PathBuf, IoError> {
    let name = target.file_name().ok_or_else(|| {
        IoError::fs(
            "cannot write",
            target,
            io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"),
        )
    })?;
    let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp_name = format!(
        ".{}.tmp-{}-{}",
        name.to_string_lossy(),
        std::process::id(),
        n
    );
    Ok(target.with_file_name(tmp_name))
}

/// A file being written atomically. Write through [`AtomicFile::writer`], then
/// [`AtomicFile::commit`]; dropping it uncommitted removes the temporary file.
#[derive(Debug)]
pub struct AtomicFile {
    target: PathBuf,
    tmp: PathBuf,
    file: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Create the temporary file beside `target` (the directory must exist).
    pub fn create(target: &Path) -> Result<Self, IoError> {
        check_cancelled(target)?;
        let tmp = temp_path_for(target)?;
        let file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| IoError::fs("cannot create", &tmp, e))?;
        Ok(Self {
            target: target.to_path_buf(),
            tmp,
            file: Some(BufWriter::with_capacity(1 << 16, file)),
        })
    }

    /// The final path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The temporary path currently being written.
    pub fn temp_path(&self) -> &Path {
        &self.tmp
    }

    /// The buffered writer onto the temporary file.
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.file
            .as_mut()
            .expect("AtomicFile writer used after commit")
    }

    /// Flush, `sync_all`, and rename over the target. On error the temporary file is removed.
    pub fn commit(mut self) -> Result<(), IoError> {
        check_cancelled(&self.target)?;
        let buf = self.file.take().expect("AtomicFile committed twice");
        let file = buf
            .into_inner()
            .map_err(|e| IoError::fs("cannot write", &self.tmp, e.into_error()))?;
        file.sync_all()
            .map_err(|e| IoError::fs("cannot sync", &self.tmp, e))?;
        drop(file);
        fs::rename(&self.tmp, &self.target)
            .map_err(|e| IoError::fs("cannot rename into place", &self.target, e))?;
        // Committed: nothing to clean up. Make the rename durable where we can.
        self.tmp = PathBuf::new();
        sync_dir(self.target.parent());
        Ok(())
    }
}

/// Writes go to the temporary file (so a writer that owns its output, such as a CSV or
/// Parquet writer, can own an [`AtomicFile`] and hand it back for [`AtomicFile::commit`]).
impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer().write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.writer().write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer().flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            self.file.take();
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Best-effort fsync of a directory so a rename survives a crash (Unix only; a no-op
/// elsewhere, and errors are ignored: the data itself is already synced).
pub(crate) fn sync_dir(dir: Option<&Path>) {
    #[cfg(unix)]
    {
        let dir = match dir {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if let Ok(f) = File::open(dir) {
            let _ = f.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Write `path` atomically with the closure `f`. If `f` fails, no file (and no temporary
/// file) is left behind and an existing file at `path` is untouched.
pub fn write_atomic(
    path: &Path,
    f: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), IoError> {
    let mut file = AtomicFile::create(path)?;
    f(file.writer()).map_err(|e| IoError::fs("cannot write", path, e))?;
    file.commit()
}

/// Write `bytes` to `path` atomically.
pub fn write_atomic_bytes(path: &Path, bytes: &[u8]) -> Result<(), IoError> {
    write_atomic(path, |w| w.write_all(bytes))
}

/// The staging directory of `out` for this process: `{out}.partial-{pid}`.
pub fn staging_dir(out: &Path) -> Result<PathBuf, IoError> {
    let name = out.file_name().ok_or_else(|| {
        IoError::fs(
            "cannot write directory",
            out,
            io::Error::new(io::ErrorKind::InvalidInput, "path has no final component"),
        )
    })?;
    Ok(out.with_file_name(format!(
        "{}.partial-{}",
        name.to_string_lossy(),
        std::process::id()
    )))
}

/// Whether process `pid` is alive. Only known where `/proc` is (Linux); elsewhere every
/// process counts as alive, so nothing is removed by mistake.
fn process_alive(pid: u32) -> bool {
    #[cfg(target_os = "linux")]
    {
        if Path::new("/proc/self").exists() {
            return pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists();
        }
    }
    let _ = pid;
    true
}

/// The process id of a staging directory's name `{name}.partial-{pid}`.
fn staging_pid(name: &str) -> Option<u32> {
    let (_, pid) = name.rsplit_once(".partial-")?;
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// Remove the staging directories (`*.partial-{pid}`) in `dir` whose process is dead:
/// what a killed writer left behind. Best effort: errors are ignored. Returns how many
/// were removed.
pub fn remove_stale_staging(dir: &Path) -> usize {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = staging_pid(&name) else {
            continue;
        };
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir && !process_alive(pid) && fs::remove_dir_all(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Write the directory `out` all-or-nothing: `write` fills a sibling staging directory
/// `{out}.partial-{pid}`, which is renamed to `out` once complete and removed on error or
/// cancellation. It is an error if `out` exists and is not an empty directory. Stale
/// staging directories of dead processes beside `out` are removed first. Returns the
/// final paths (the paths `write` returned, moved into `out`).
pub fn write_dir_atomically(
    out: &Path,
    write: impl FnOnce(&Path) -> Result<Vec<PathBuf>, IoError>,
) -> Result<Vec<PathBuf>, IoError> {
    write_dir_atomically_with(out, write)
}

/// [`write_dir_atomically`] with a `write` that may fail with its own error type (e.g. a
/// run computed inside the staging directory, whose rows stream there as it runs).
pub fn write_dir_atomically_with<E: From<IoError>>(
    out: &Path,
    write: impl FnOnce(&Path) -> Result<Vec<PathBuf>, E>,
) -> Result<Vec<PathBuf>, E> {
    let exists_err = || IoError::OutputExists {
        path: out.to_path_buf(),
    };
    let out_is_empty_dir = match fs::read_dir(out) {
        Ok(mut it) => {
            if it.next().is_some() {
                return Err(exists_err().into());
            }
            true
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(_) if out.exists() && !out.is_dir() => return Err(exists_err().into()),
        Err(e) => return Err(IoError::fs("cannot read directory", out, e).into()),
    };
    let staging = staging_dir(out)?;
    let parent = staging.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(parent) = parent {
        fs::create_dir_all(parent)
            .map_err(|e| IoError::fs("cannot create directory", parent, e))?;
    }
    remove_stale_staging(parent.unwrap_or(Path::new(".")));
    if staging.exists() {
        // Left over from an earlier process with the same id.
        fs::remove_dir_all(&staging)
            .map_err(|e| IoError::fs("cannot remove stale staging directory", &staging, e))?;
    }
    let result = fs::create_dir_all(&staging)
        .map_err(|e| E::from(IoError::fs("cannot create directory", &staging, e)))
        .and_then(|()| write(&staging))
        .and_then(|files| {
            move_into_place(out, &staging, out_is_empty_dir, &files).map_err(E::from)
        });
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

/// Rename the complete `staging` directory to `out` (removing `out` first when it is an
/// empty directory); the final paths of `files`.
fn move_into_place(
    out: &Path,
    staging: &Path,
    out_is_empty_dir: bool,
    files: &[PathBuf],
) -> Result<Vec<PathBuf>, IoError> {
    check_cancelled(out)?;
    if out_is_empty_dir {
        fs::remove_dir(out).map_err(|e| IoError::fs("cannot replace empty directory", out, e))?;
    }
    fs::rename(staging, out).map_err(|e| {
        if out.exists() {
            IoError::OutputExists {
                path: out.to_path_buf(),
            }
        } else {
            IoError::fs("cannot rename into place", out, e)
        }
    })?;
    sync_dir(out.parent());
    Ok(files
        .iter()
        .map(|p| out.join(p.file_name().unwrap_or_default()))
        .collect())
}

/// A scenario or file name as one safe file-name component for a default output
/// directory (`runs/<name>-<timestamp>`): letters, digits, `.`, `_` and `-` are kept,
/// anything else (path separators included) becomes `-`; no leading `.` or `-`; at most
/// 100 characters; `"run"` if nothing is left. A name can never escape `runs/`.
pub fn file_name_of(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        let c = if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
            c
        } else {
            '-'
        };
        if !(c == '-' && s.ends_with('-')) {
            s.push(c);
        }
        if s.len() >= 100 {
            break;
        }
    }
    let s = s.trim_start_matches(['.', '-']).trim_end_matches('-');
    if s.is_empty() {
        "run".into()
    } else {
        s.to_string()
    }
}

/// Check, before any computation, that the output directory `out` can be written: it is
/// absent or an empty directory, no existing part of its path is a file, it is not a
/// dangling symbolic link, and its name leaves room for the staging suffix within the
/// usual 255-byte limit of a file name.
pub fn check_output_dir(out: &Path) -> Result<(), IoError> {
    let bad = |reason: String| IoError::BadOutput {
        path: out.to_path_buf(),
        reason,
    };
    let name = out
        .file_name()
        .ok_or_else(|| bad("the path has no final name (e.g. ends in `..`)".into()))?;
    // `{name}.partial-{pid}` must fit in 255 bytes.
    if name.len() > 255 - ".partial-4294967295".len() {
        return Err(bad(format!(
            "the name has {} bytes; at most {} are possible",
            name.len(),
            255 - ".partial-4294967295".len()
        )));
    }
    match fs::symlink_metadata(out) {
        Ok(m) if m.file_type().is_symlink() && fs::metadata(out).is_err() => {
            return Err(bad("it is a symbolic link to nothing".into()));
        }
        Ok(_) => match fs::read_dir(out) {
            Ok(mut it) => {
                if it.next().is_some() {
                    return Err(IoError::OutputExists {
                        path: out.to_path_buf(),
                    });
                }
            }
            Err(_) if !out.is_dir() => return Err(bad("a file of that name exists".into())),
            Err(e) => return Err(bad(e.to_string())),
        },
        Err(_) => {}
    }
    // The nearest existing ancestor must be a directory.
    let mut p = out.parent();
    while let Some(dir) = p.filter(|d| !d.as_os_str().is_empty()) {
        match fs::metadata(dir) {
            Ok(m) if m.is_dir() => break,
            Ok(_) => {
                return Err(bad(format!("{} is a file, not a directory", dir.display())));
            }
            Err(_) => p = dir.parent(),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        write_atomic_bytes(&p, b"one").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"one");
        write_atomic(&p, |w| w.write_all(b"two")).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(entries(dir.path()), vec!["a.txt"]);
    }

    #[test]
    fn failing_writer_leaves_no_file_and_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("b.csv");
        let err = write_atomic(&p, |w| {
            w.write_all(b"partial")?;
            Err(io::Error::other("boom"))
        })
        .unwrap_err();
        assert!(err.to_string().contains("b.csv"), "{err}");
        assert!(entries(dir.path()).is_empty(), "{:?}", entries(dir.path()));
    }

    #[test]
    fn failing_writer_keeps_old_content() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.txt");
        write_atomic_bytes(&p, b"old").unwrap();
        assert!(write_atomic(&p, |_| Err(io::Error::other("boom"))).is_err());
        assert_eq!(fs::read(&p).unwrap(), b"old");
        assert_eq!(entries(dir.path()), vec!["c.txt"]);
    }

    #[test]
    fn drop_before_commit_removes_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.bin");
        {
            let mut f = AtomicFile::create(&p).unwrap();
            f.writer().write_all(b"xyz").unwrap();
            let name = f
                .temp_path()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            assert!(name.starts_with(".d.bin.tmp-"), "{name}");
            assert!(f.temp_path().exists());
        }
        assert!(entries(dir.path()).is_empty());
    }

    #[test]
    fn cancelled_writes_fail_and_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let flag = Arc::new(AtomicBool::new(false));
        let p = dir.path().join("x.txt");
        // not cancelled: writes as usual; outside the scope the flag is not consulted
        cancellable(&flag, || write_atomic_bytes(&p, b"1")).unwrap();
        flag.store(true, Ordering::SeqCst);
        write_atomic_bytes(&dir.path().join("y.txt"), b"2").unwrap();
        let err = cancellable(&flag, || {
            write_atomic_bytes(&dir.path().join("z.txt"), b"3")
        })
        .unwrap_err();
        assert!(matches!(err, IoError::Cancelled { .. }), "{err}");
        // set while a file is being written: the commit refuses, the temp file goes
        let err = cancellable(&Arc::new(AtomicBool::new(false)), || {
            let f2 = Arc::new(AtomicBool::new(false));
            cancellable(&f2, || {
                write_atomic(&dir.path().join("w.txt"), |w| {
                    w.write_all(b"partial")?;
                    f2.store(true, Ordering::SeqCst);
                    Ok(())
                })
            })
        })
        .unwrap_err();
        assert!(matches!(err, IoError::Cancelled { .. }), "{err}");
        assert_eq!(entries(dir.path()), vec!["x.txt", "y.txt"]);
        // a whole directory: nothing left, not even the staging directory
        let out = dir.path().join("run");
        let err = cancellable(&flag, || {
            write_dir_atomically(&out, |d| {
                let p = d.join("a.txt");
                write_atomic_bytes(&p, b"a")?;
                Ok(vec![p])
            })
        })
        .unwrap_err();
        assert!(matches!(err, IoError::Cancelled { .. }), "{err}");
        assert_eq!(entries(dir.path()), vec!["x.txt", "y.txt"]);
    }

    #[test]
    fn a_flag_carried_to_another_thread_cancels_its_writes() {
        let dir = tempfile::tempdir().unwrap();
        let flag = Arc::new(AtomicBool::new(true));
        cancellable(&flag, || {
            let carried = current_flag();
            std::thread::scope(|s| {
                // Another thread has no flag of its own: it writes.
                s.spawn(|| write_atomic_bytes(&dir.path().join("a.txt"), b"a").unwrap());
                // With the flag handed over, the write there is cancelled.
                let err = s
                    .spawn(|| {
                        with_flag(carried.as_ref(), || {
                            write_atomic_bytes(&dir.path().join("b.txt"), b"b")
                        })
                    })
                    .join()
                    .unwrap()
                    .unwrap_err();
                assert!(matches!(err, IoError::Cancelled { .. }), "{err}");
            });
        });
        assert_eq!(entries(dir.path()), vec!["a.txt"]);
        // No flag in scope: none is carried, and the write goes ahead.
        assert!(current_flag().is_none());
        with_flag(None, || write_atomic_bytes(&dir.path().join("c.txt"), b"c")).unwrap();
    }

    #[test]
    fn stale_staging_of_dead_processes_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        // a pid above the kernel's maximum (4194304) is never alive
        let dead = dir.path().join("out.partial-4294967295");
        fs::create_dir(&dead).unwrap();
        fs::write(dead.join("metrics.csv"), b"x").unwrap();
        let mine = dir
            .path()
            .join(format!("other.partial-{}", std::process::id()));
        fs::create_dir(&mine).unwrap();
        let not_staging = dir.path().join("notes.partial-abc");
        fs::create_dir(&not_staging).unwrap();
        let out = dir.path().join("new");
        write_dir_atomically(&out, |d| {
            let p = d.join("a.txt");
            write_atomic_bytes(&p, b"a")?;
            Ok(vec![p])
        })
        .unwrap();
        let names = entries(dir.path());
        if cfg!(target_os = "linux") {
            assert!(!dead.exists(), "{names:?}");
        }
        assert!(mine.exists() && not_staging.exists(), "{names:?}");
        assert_eq!(fs::read(out.join("a.txt")).unwrap(), b"a");
        assert_eq!(staging_pid("x.partial-12"), Some(12));
        assert_eq!(staging_pid("x.partial-"), None);
        assert_eq!(staging_pid("x.partial-1a"), None);
    }

    #[test]
    fn missing_directory_is_an_error_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("nope").join("e.txt");
        let err = write_atomic_bytes(&p, b"x").unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
    }
}

//! Atomic file writes: write a temporary file in the target's directory, flush and
//! `sync_all` it, then rename it over the target. Readers see either the old file or
//! the complete new one, never a torn write. If writing fails, or the [`AtomicFile`] is
//! dropped before [`AtomicFile::commit`], the temporary file is removed.
//!
//! Temporary files are named `.{file}.tmp-{pid}-{n}` (hidden, unique per process and
//! call), so concurrent writers never share one.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::IoError;

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

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
    fn missing_directory_is_an_error_naming_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("nope").join("e.txt");
        let err = write_atomic_bytes(&p, b"x").unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
    }
}

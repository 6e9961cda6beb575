//! Reading user-named input files safely: only regular files (never a device such as
//! `/dev/zero`, a directory or a FIFO, which would grow memory without bound or hang),
//! at most a size limit, and text as UTF-8 with the line and column of the first invalid
//! byte.

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Why an input file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read (not found, no permission, ...).
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The path is a directory, a device or a pipe, not a regular file.
    #[error("not a regular file (a directory, device or pipe cannot be read as input)")]
    NotRegular,
    /// The file is larger than the limit for its kind (see [`TEXT_LIMIT`]).
    #[error("the file has {size} bytes, more than the limit of {limit} bytes")]
    TooLarge {
        /// The file's size in bytes.
        size: u64,
        /// The largest size accepted, in bytes.
        limit: u64,
    },
    /// The text is not valid UTF-8.
    #[error("invalid UTF-8 at line {line}, column {col}: the file must be UTF-8 text")]
    NotUtf8 {
        /// 1-based line of the first invalid byte.
        line: usize,
        /// 1-based column (in characters) of the first invalid byte.
        col: usize,
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
}

impl ReadError {
    /// Whether the file does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::Io(e) if e.kind() == std::io::ErrorKind::NotFound)
    }
}

/// The largest scenario or timeline file read (bytes).
pub const TEXT_LIMIT: u64 = 16 << 20;
/// The largest CSV of initial values read (bytes).
pub const VALUES_CSV_LIMIT: u64 = 256 << 20;

/// Open `path` for reading if it is a regular file (symbolic links followed) of at most
/// `limit` bytes; the check happens before opening, so a FIFO never blocks.
pub fn open_regular(path: &Path, limit: u64) -> Result<File, ReadError> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular);
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge {
            size: meta.len(),
            limit,
        });
    }
    Ok(File::open(path)?)
}

/// Read the regular file `path` (at most `limit` bytes) as UTF-8 text.
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    let mut bytes = Vec::new();
    open_regular(path, limit)?
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        // grew after the check
        return Err(ReadError::TooLarge {
            size: bytes.len() as u64,
            limit,
        });
    }
    text(bytes)
}

/// `bytes` as UTF-8 text, or where the first invalid byte is.
pub fn text(bytes: Vec<u8>) -> Result<String, ReadError> {
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let valid = &e.as_bytes()[..offset];
        let before = std::str::from_utf8(valid).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        ReadError::NotUtf8 { line, col, offset }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_is_located() {
        let e = text(b"a = 1\nb = \"x\xff\"\n".to_vec()).unwrap_err();
        assert!(matches!(
            e,
            ReadError::NotUtf8 {
                line: 2,
                col: 7,
                offset: 12
            }
        ));
    }

    #[test]
    fn only_regular_files_within_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            read_text(dir.path(), 10),
            Err(ReadError::NotRegular)
        ));
        let p = dir.path().join("f");
        std::fs::write(&p, "0123456789x").unwrap();
        assert!(matches!(
            read_text(&p, 10),
            Err(ReadError::TooLarge { size: 11, .. })
        ));
        assert_eq!(read_text(&p, 11).unwrap(), "0123456789x");
        #[cfg(unix)]
        assert!(matches!(
            read_text(Path::new("/dev/zero"), 10),
            Err(ReadError::NotRegular)
        ));
    }
}

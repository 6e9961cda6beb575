//! The one error type of the `io` module. Every variant names the path it concerns.

use std::path::PathBuf;

/// An output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum IoError {
    /// A file-system operation failed (create, write, sync, rename, remove).
    #[error("{op} {path}: {source}")]
    Fs {
        /// What was being done ("cannot create", "cannot write", ...).
        op: &'static str,
        /// The file or directory operated on.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The CSV writer failed.
    #[error("cannot write CSV {path}: {source}")]
    Csv {
        /// The file being written.
        path: PathBuf,
        /// The CSV writer's error.
        #[source]
        source: csv::Error,
    },
    /// The Parquet writer failed.
    #[error("cannot write Parquet {path}: {source}")]
    Parquet {
        /// The file being written.
        path: PathBuf,
        /// The Parquet writer's error.
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// JSON serialisation failed.
    #[error("cannot write JSON {path}: {source}")]
    Json {
        /// The file being written.
        path: PathBuf,
        /// The serialiser's error.
        #[source]
        source: serde_json::Error,
    },
    /// A chart could not be drawn or encoded.
    #[error("cannot draw chart {path}: {message}")]
    Plot {
        /// The image file being written.
        path: PathBuf,
        /// What went wrong, from the plotting backend.
        message: String,
    },
    /// The table handed to a writer is malformed (a programming error upstream).
    #[error("invalid table for {path}: {message}")]
    InvalidTable {
        /// The file the table was meant for.
        path: PathBuf,
        /// What is wrong with its shape ([`crate::table::Table::validate`]).
        message: String,
    },
    /// The output directory of a run already exists and holds files.
    #[error("output directory {path} already exists and is not empty")]
    OutputExists {
        /// The existing directory.
        path: PathBuf,
    },
    /// The output directory cannot be written where it was asked for (found before any
    /// computation: a file in the path, a dangling symbolic link, a name too long).
    #[error("cannot write output directory {path}: {reason}")]
    BadOutput {
        /// The directory asked for.
        path: PathBuf,
        /// Why it cannot be written there.
        reason: String,
    },
    /// Writing was cancelled (e.g. by Ctrl-C); nothing was left behind.
    #[error("writing {path} was interrupted; nothing was written")]
    Cancelled {
        /// The file or directory whose writing was cancelled.
        path: PathBuf,
    },
}

impl IoError {
    pub(crate) fn fs(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        IoError::Fs {
            op,
            path: path.into(),
            source,
        }
    }

    /// The path the error concerns.
    pub fn path(&self) -> &std::path::Path {
        match self {
            IoError::Fs { path, .. }
            | IoError::Csv { path, .. }
            | IoError::Parquet { path, .. }
            | IoError::Json { path, .. }
            | IoError::Plot { path, .. }
            | IoError::InvalidTable { path, .. }
            | IoError::OutputExists { path }
            | IoError::BadOutput { path, .. }
            | IoError::Cancelled { path } => path,
        }
    }
}

//! Outputs: columnar tables (CSV and Parquet), atomic file writes, plots and reports.
//! Everything that touches the file system lives here.
//!
//! - [`table`]: the [`Table`] every output is written from;
//! - [`atomic`]: temp-file-then-rename writes ([`write_atomic`], [`AtomicFile`]);
//! - [`csv`] and [`parquet`]: [`write_csv`], [`write_parquet`];
//! - [`error`]: [`IoError`], which always names the path.

pub mod atomic;
pub mod csv;
pub mod error;
pub mod parquet;
pub mod table;

pub use atomic::{AtomicFile, write_atomic, write_atomic_bytes};
pub use csv::write_csv;
pub use error::IoError;
pub use parquet::write_parquet;
pub use table::{Column, Table};

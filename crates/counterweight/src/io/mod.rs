//! Outputs: columnar tables (CSV and Parquet), atomic file writes, plots and reports.
//! Everything that touches the file system lives here.

pub mod table;

pub use table::{Column, Table};

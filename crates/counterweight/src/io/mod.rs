//! Outputs: columnar tables (CSV and Parquet), atomic file writes, plots and reports.
//! Everything that touches the file system lives here.
//!
//! - [`Table`] (from [`crate::table`]): what every output is written from;
//! - [`atomic`]: temp-file-then-rename writes ([`write_atomic`], [`AtomicFile`]);
//! - [`csv`] and [`parquet`]: [`write_csv`], [`write_parquet`], and their streaming twins;
//! - [`actors`]: `actors.csv` and `actors.parquet` written while a run runs;
//! - [`plot`]: SVG + PNG charts ([`line_chart`], [`lorenz_chart`], [`distribution_chart`],
//!   [`band_chart`] with confidence bands, [`heatmap`] with a colour bar);
//! - [`report`]: the self-contained `report.html`;
//! - [`run`]: a whole run directory ([`RunRecord`], [`write_run`], [`write_run_dir`]);
//! - [`measured`]: the directory of a measurement of real data ([`measured::write_measure_dir`]);
//! - [`error`]: [`IoError`], which always names the path.

pub mod actors;
pub mod atomic;
pub mod csv;
pub mod error;
pub mod input;
pub mod measured;
pub mod parquet;
pub mod plot;
pub mod report;
pub mod run;

pub use crate::table::{Column, Table};
pub use atomic::{AtomicFile, write_atomic, write_atomic_bytes};
pub use csv::write_csv;
pub use error::IoError;
pub use parquet::write_parquet;
pub use plot::{
    Band, BandChart, BarChart, Heatmap, LineChart, Series, band_chart, bar_chart,
    distribution_chart, heatmap, line_chart, lorenz_chart, panel_chart,
};
pub use run::{METRICS_CONTRACT, RunRecord, VariantRecord, write_run, write_run_dir};

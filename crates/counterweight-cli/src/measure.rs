//! `measure`: concentration metrics of data a user brings.

use std::path::PathBuf;
use std::process::ExitCode;

use std::sync::atomic::Ordering;

use clap::Args;
use comfy_table::{Table as Pretty, presets::UTF8_BORDERS_ONLY};
use counterweight::io::atomic;
use counterweight::io::measured::{
    MeasureRecord, TOP_HOLDERS, description, key_numbers, write_measure_dir,
};
use counterweight::measure::{MeasureOptions, measure_csv};

use crate::{progress, render};

#[derive(Args)]
pub struct MeasureArgs {
    /// A CSV file with a header row.
    pub file: PathBuf,
    /// The column holding the values (stake, wealth, market share, ...).
    #[arg(long, value_name = "COL")]
    pub value: String,
    /// The column naming the holder; rows of the same holder (and time) are summed.
    #[arg(long, value_name = "COL")]
    pub entity: Option<String>,
    /// The column holding the time: one row of metrics per time, and plots over time.
    /// Numbers, ISO 8601 dates (2024-02-01, 2024-02-01T12:00) or any text (sorted).
    #[arg(long, value_name = "COL")]
    pub time: Option<String>,
    /// Leave out an entity (repeatable), e.g. --exclude Other for an aggregate row. Needs --entity.
    #[arg(long, value_name = "NAME", requires = "entity")]
    pub exclude: Vec<String>,
    /// Output directory (default: `runs/measure-<file>-<timestamp>/`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print only the report's path.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn measure(args: MeasureArgs) -> ExitCode {
    let opts = MeasureOptions {
        value: args.value.clone(),
        entity: args.entity.clone(),
        time: args.time.clone(),
        exclude: args.exclude.clone(),
        ..MeasureOptions::new(args.value.clone())
    };
    let m = match measure_csv(&args.file, &opts) {
        Ok(m) => m,
        Err(e) => {
            render::error(e);
            return ExitCode::from(2);
        }
    };
    let stem = args
        .file
        .file_stem()
        .map_or("data".into(), |s| s.to_string_lossy().to_string());
    let Some(out) = crate::run::output_dir(args.out.clone(), &format!("measure-{stem}")) else {
        return ExitCode::from(2);
    };
    let record = MeasureRecord {
        name: format!("measure {stem}"),
        source: args.file.display().to_string(),
        options: &opts,
        measurement: &m,
        version: counterweight::VERSION.to_string(),
    };
    let cancel = progress::interrupt_flag();
    let written = atomic::cancellable(&cancel, || write_measure_dir(&out, &record));
    if let Err(e) = written {
        if cancel.load(Ordering::SeqCst) {
            progress::exit_interrupted();
        }
        render::error(e);
        return ExitCode::from(1);
    }
    if args.quiet {
        println!("{}", out.join("report.html").display());
        return ExitCode::SUCCESS;
    }
    let mut t = Pretty::new();
    t.load_style(UTF8_BORDERS_ONLY);
    t.set_header(vec!["metric", "value"]);
    for (k, v) in key_numbers(&m) {
        t.add_row(vec![k, v]);
    }
    println!("{}", description(&record));
    println!("{t}");
    println!("top holders:");
    for h in m.top_holders(5) {
        println!("  {:<24} {:>6.2}%", h.entity, 100.0 * h.share);
    }
    println!(
        "report: {} (top {TOP_HOLDERS} holders also in top_holders.csv)",
        out.join("report.html").display()
    );
    ExitCode::SUCCESS
}

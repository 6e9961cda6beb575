//! `measure`: concentration metrics of data a user brings.

use std::path::PathBuf;
use std::process::ExitCode;

use std::sync::atomic::Ordering;

use clap::Args;
use comfy_table::{Table as Pretty, presets::UTF8_BORDERS_ONLY};
use counterweight::io::atomic;
use counterweight::io::measured::{
    MeasureRecord, TOP_HOLDERS, all_key_numbers, description, write_measure_dir,
};
use counterweight::measure::{
    MeasureOptions, add_common_ownership, measure_csv, measure_grouped_csv, read_owners_csv,
};

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
    /// Common ownership: a CSV with columns investor, firm, fraction (and optionally control);
    /// adds the modified HHI (mhhi) and delta_mhhi. Firms are matched to --entity names.
    #[arg(long, value_name = "OWNERS.csv", requires = "entity")]
    pub owners: Option<PathBuf>,
    /// The column naming each entity's group (e.g. the provider an operator runs keys for):
    /// report shares and layered metrics by entity and by group. Needs --entity.
    #[arg(long, value_name = "COL", requires = "entity")]
    pub group: Option<String>,
    /// Output directory (default: `runs/measure-<file>-<timestamp>/`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print only the report's path.
    #[arg(long, short)]
    pub quiet: bool,
    /// Read the file even when the estimate of memory (48 bytes a row without --entity,
    /// --time and --group, which keep only the values; with them 144 bytes a row and twice
    /// the file for the names) exceeds what this machine has.
    #[arg(long)]
    pub no_limits: bool,
}

/// Data rows of a CSV of `len` bytes, extrapolated from the newlines of its first MB (at
/// least one row per 2 bytes is impossible to exceed with a value and a newline); on a
/// read error, that bound. `None` when the first MB holds no line end (a record as long
/// as the file: the whole-file estimate applies).
fn estimated_rows(path: &std::path::Path, len: u64) -> Option<u64> {
    use std::io::Read;
    let bound = len / 2 + 1;
    let mut head = Vec::with_capacity(1 << 20);
    let Ok(file) = std::fs::File::open(path) else {
        return Some(bound);
    };
    if file.take(1 << 20).read_to_end(&mut head).is_err() || head.is_empty() {
        return Some(bound);
    }
    let newlines = head.iter().filter(|&&b| b == b'\n').count() as u64;
    if newlines == 0 && (head.len() as u64) < len {
        // No line ends in the first MB: a record may be as long as the file, and the CSV
        // reader holds a record whole. Not a table to stream.
        return None;
    }
    if head.len() as u64 >= len {
        return Some(newlines + 1);
    }
    // Extrapolate with 10% to spare (later rows may be shorter).
    let per_byte = (newlines.max(1)) as f64 / head.len() as f64;
    Some(((len as f64 * per_byte * 1.1) as u64).min(bound))
}

pub fn measure(args: MeasureArgs) -> ExitCode {
    // A file too large for memory is refused before it is read (a missing or irregular
    // file is left to the reader, which says why).
    if let Ok(meta) = std::fs::metadata(&args.file)
        && meta.is_file()
    {
        // The estimate counts rows, from the lines of the first MB: without an entity,
        // time or group column only the value column is kept (8 bytes a row, streamed);
        // with one, a slot per holder and its name.
        let values_only = args.entity.is_none() && args.time.is_none() && args.group.is_none();
        let est = match estimated_rows(&args.file, meta.len()) {
            Some(rows) if values_only => counterweight::estimate::measure_values(meta.len(), rows),
            Some(rows) => counterweight::estimate::measure_holders(meta.len(), rows),
            None => counterweight::estimate::measure(meta.len()),
        };
        let available = crate::limits::available(args.out.as_deref().unwrap_or("runs".as_ref()));
        if let Err(code) = crate::limits::enforce(
            &est,
            &available,
            args.no_limits,
            &format!("this measurement of {}", args.file.display()),
            "Measure a smaller file (split it by time, or aggregate rows per entity first)",
        ) {
            return code;
        }
    }
    let opts = MeasureOptions {
        value: args.value.clone(),
        entity: args.entity.clone(),
        time: args.time.clone(),
        exclude: args.exclude.clone(),
        ..MeasureOptions::new(args.value.clone())
    };
    let grouped = match &args.group {
        Some(g) => match measure_grouped_csv(&args.file, &opts, g) {
            Ok(gm) => Some(gm),
            Err(e) => {
                render::error(e);
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let mut m = match &grouped {
        Some(g) => g.by_entity.clone(),
        None => match measure_csv(&args.file, &opts) {
            Ok(m) => m,
            Err(e) => {
                render::error(e);
                return ExitCode::from(2);
            }
        },
    };
    if let Some(owners_path) = &args.owners {
        let added = read_owners_csv(owners_path).and_then(|owners| {
            add_common_ownership(&mut m, &opts, &owners, &args.file.display().to_string())
        });
        if let Err(e) = added {
            render::error(e);
            return ExitCode::from(2);
        }
    }
    if let Some(g) = &grouped {
        g.append_group_columns(&mut m);
    }
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
        grouped: grouped
            .as_ref()
            .map(|g| (args.group.as_deref().unwrap_or_default(), g)),
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
    for (k, v) in all_key_numbers(&record) {
        t.add_row(vec![k, v]);
    }
    println!("{}", description(&record));
    println!("{t}");
    println!("top holders:");
    for h in m.top_holders(5) {
        println!("  {:<24} {:>6.2}%", h.entity, 100.0 * h.share);
    }
    if let Some(g) = &grouped {
        println!("top groups:");
        for h in g.by_group.top_holders(5) {
            println!("  {:<24} {:>6.2}%", h.entity, 100.0 * h.share);
        }
    }
    println!(
        "report: {} (top {TOP_HOLDERS} holders also in top_holders.csv)",
        out.join("report.html").display()
    );
    ExitCode::SUCCESS
}

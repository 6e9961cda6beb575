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
}

pub fn measure(args: MeasureArgs) -> ExitCode {
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
    // By group: the same times in the same order, the group columns follow, suffixed.
    let mut extra_keys = Vec::new();
    if let Some(g) = &grouped {
        for (name, col) in g.by_group.table.names.iter().zip(&g.by_group.table.columns) {
            match name.as_str() {
                "time" | "time_label" => {}
                "n_entities" => m.table.push("n_groups", col.clone()),
                _ => m.table.push(format!("{name}_by_group"), col.clone()),
            }
        }
        let nc = |x: Option<usize>| x.map_or("-".to_string(), |v| v.to_string());
        let layer = |l: &counterweight::model::staking::LayerMetrics| {
            format!(
                "{}, {}, {}",
                nc(l.nakamoto_1_3),
                nc(l.nakamoto_1_2),
                nc(l.nakamoto_2_3)
            )
        };
        let group = args.group.clone().unwrap_or_default();
        extra_keys.extend([
            (
                "Nakamoto by entity (> 1/3, > 1/2, > 2/3)".to_string(),
                layer(&g.entity_layer),
            ),
            (format!("groups ({group})"), g.group_layer.n.to_string()),
            (
                "top-1 group share".to_string(),
                format!("{:.4}", g.group_layer.top1_share),
            ),
            (
                "HHI by group (0-10,000 scale)".to_string(),
                format!("{:.0}", g.group_layer.hhi * 10_000.0),
            ),
            (
                "Nakamoto by group (> 1/3, > 1/2, > 2/3)".to_string(),
                layer(&g.group_layer),
            ),
        ]);
    }
    if args.owners.is_some() {
        let last = |name: &str| {
            m.table
                .f64_column(name)
                .and_then(|c| c.last().copied())
                .unwrap_or(f64::NAN)
        };
        extra_keys.push((
            "MHHI (0-10,000)".to_string(),
            format!("{:.0}", last("mhhi") * 10_000.0),
        ));
        extra_keys.push((
            "ΔMHHI = MHHI − HHI (0-10,000)".to_string(),
            format!("{:.0}", last("delta_mhhi") * 10_000.0),
        ));
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
    for (k, v) in key_numbers(&m).into_iter().chain(extra_keys) {
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

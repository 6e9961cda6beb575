//! `measure`: concentration metrics of data a user brings.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use comfy_table::{Table as Pretty, presets::UTF8_BORDERS_ONLY};
use counterweight::io::run::{RunRecord, VariantRecord, write_run_dir};
use counterweight::io::{Column, Table};
use counterweight::measure::{
    MeasureOptions, add_common_ownership, measure_csv, measure_grouped_csv, read_owners_csv,
};

use crate::render;

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
    #[arg(long, value_name = "COL")]
    pub time: Option<String>,
    /// Leave out an entity (repeatable), e.g. --exclude Other for an aggregate row; with
    /// --group, also the rows of a group of that name. Needs --entity.
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
    /// Output directory (default: runs/measure-<file>-<timestamp>/).
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
    let stem = args
        .file
        .file_stem()
        .map_or("data".into(), |s| s.to_string_lossy().to_string());
    let Some(out) = crate::run::output_dir(args.out.clone(), &format!("measure-{stem}")) else {
        return ExitCode::from(2);
    };

    // The contract columns: replicate, step, time, then the metrics.
    let rows = m.table.rows();
    let mut table = Table::new();
    table.push("replicate", Column::U64(vec![0; rows]));
    table.push("step", Column::U64((0..rows as u64).collect()));
    match m.table.column("time") {
        Some(c) => table.push("time", c.clone()),
        None => table.push("time", Column::F64(vec![0.0; rows])),
    }
    for (name, col) in m.table.names.iter().zip(&m.table.columns) {
        if name != "time" {
            table.push(name.clone(), col.clone());
        }
    }

    if let Some(g) = &grouped {
        // The same times in the same order: the group columns follow, suffixed.
        for (name, col) in g.by_group.table.names.iter().zip(&g.by_group.table.columns) {
            match name.as_str() {
                "time" => {}
                "n_entities" => table.push("n_groups", col.clone()),
                _ => table.push(format!("{name}_by_group"), col.clone()),
            }
        }
    }
    let last = |name: &str| {
        table
            .f64_column(name)
            .and_then(|c| c.last().copied())
            .unwrap_or(f64::NAN)
    };
    let count = |x: f64| {
        if x.is_finite() {
            format!("{x:.0}")
        } else {
            "-".into()
        }
    };
    let leader = m
        .final_values
        .first()
        .map_or("-".to_string(), |(e, _)| e.clone());
    let mut description = format!(
        "Concentration of `{}` in {}",
        args.value,
        args.file.display()
    );
    if !args.exclude.is_empty() {
        description.push_str(&format!(", excluding {}", args.exclude.join(", ")));
    }
    if let Some(t) = m.times.last() {
        description.push_str(&format!("; final time {t}"));
    }
    let mut key_numbers = vec![
        ("entities".to_string(), count(last("n_entities"))),
        ("largest".to_string(), leader.clone()),
        (
            "top-1 share".to_string(),
            format!("{:.4}", last("top1_share")),
        ),
        (
            "top-10% share".to_string(),
            format!("{:.4}", last("top10pct_share")),
        ),
        (
            "HHI (0-10,000)".to_string(),
            format!("{:.0}", last("hhi") * 10_000.0),
        ),
        (
            "effective number".to_string(),
            format!("{:.2}", last("effective_number")),
        ),
        ("Gini".to_string(), format!("{:.4}", last("gini"))),
        (
            "Nakamoto coefficient (> 1/3, > 1/2)".to_string(),
            format!(
                "{}, {}",
                count(last("nakamoto_1_3")),
                count(last("nakamoto_1_2"))
            ),
        ),
    ];
    if args.owners.is_some() {
        key_numbers.push((
            "MHHI (0-10,000)".to_string(),
            format!("{:.0}", last("mhhi") * 10_000.0),
        ));
        key_numbers.push((
            "ΔMHHI = MHHI − HHI (0-10,000)".to_string(),
            format!("{:.0}", last("delta_mhhi") * 10_000.0),
        ));
    }
    if let Some(g) = &grouped {
        let nc = |x: Option<usize>| x.map_or("-".to_string(), |v| v.to_string());
        let layer = |l: &counterweight::model::staking::LayerMetrics| {
            format!(
                "{}, {}, {}",
                nc(l.nakamoto_1_3),
                nc(l.nakamoto_1_2),
                nc(l.nakamoto_2_3)
            )
        };
        key_numbers.push((
            "Nakamoto by entity (> 1/3, > 1/2, > 2/3)".to_string(),
            layer(&g.entity_layer),
        ));
        key_numbers.push((
            format!("groups ({})", args.group.clone().unwrap_or_default()),
            g.group_layer.n.to_string(),
        ));
        key_numbers.push((
            "largest group".to_string(),
            g.by_group
                .final_values
                .first()
                .map_or("-".to_string(), |(e, _)| e.clone()),
        ));
        key_numbers.push((
            "top-1 group share".to_string(),
            format!("{:.4}", g.group_layer.top1_share),
        ));
        key_numbers.push((
            "HHI by group (0-10,000)".to_string(),
            format!("{:.0}", g.group_layer.hhi * 10_000.0),
        ));
        key_numbers.push((
            "Nakamoto by group (> 1/3, > 1/2, > 2/3)".to_string(),
            layer(&g.group_layer),
        ));
        description.push_str(&format!(
            "; by entity and by group `{}`",
            args.group.clone().unwrap_or_default()
        ));
    }
    let mut notes = Vec::new();
    if let Some(o) = &args.owners {
        notes.push(format!(
            "Common ownership from {}: MHHI = Σ_j Σ_k s_j s_k (Σ_i γ_ij β_ik)/(Σ_i γ_ij β_ij) (O'Brien–Salop), β = ownership, γ = control.",
            o.display()
        ));
    }
    if !args.exclude.is_empty() {
        notes.push(format!("Excluded entities: {}.", args.exclude.join(", ")));
    }
    let record = RunRecord {
        name: format!("measure {stem}"),
        description,
        model: "measure".into(),
        seed: 0,
        version: counterweight::VERSION.to_string(),
        scenario_toml: format!(
            "# counterweight {} — measure\nfile = {:?}\nvalue = {:?}\nentity = {:?}\ntime = {:?}\nexclude = {:?}\nowners = {:?}\ngroup = {:?}\n",
            counterweight::VERSION,
            args.file.display().to_string(),
            args.value,
            args.entity.clone().unwrap_or_default(),
            args.time.clone().unwrap_or_default(),
            args.exclude,
            args.owners
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            args.group.clone().unwrap_or_default()
        ),
        metrics: table,
        actors: None,
        variants: vec![VariantRecord {
            label: m.times.last().cloned().unwrap_or_else(|| stem.clone()),
            groups: Vec::new(),
            final_values: m.final_values.iter().map(|(_, v)| *v).collect(),
        }],
        key_numbers: key_numbers.clone(),
        notes,
    };
    if let Err(e) = write_run_dir(&out, &record) {
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
    for (k, v) in &key_numbers {
        t.add_row(vec![k.clone(), v.clone()]);
    }
    println!("{}", record.description);
    println!("{t}");
    println!("top holders:");
    let total: f64 = m.final_values.iter().map(|(_, v)| v).sum();
    for (e, v) in m.final_values.iter().take(5) {
        println!("  {e:<24} {:>6.2}%", 100.0 * v / total);
    }
    if let Some(g) = &grouped {
        println!("top groups:");
        let total: f64 = g.by_group.final_values.iter().map(|(_, v)| v).sum();
        for (e, v) in g.by_group.final_values.iter().take(5) {
            println!("  {e:<24} {:>6.2}%", 100.0 * v / total);
        }
    }
    println!("report: {}", out.join("report.html").display());
    ExitCode::SUCCESS
}

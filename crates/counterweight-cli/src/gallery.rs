//! `counterweight run --gallery`: runs every entry with a progress bar and prints their
//! numbers; the library ([`counterweight::gallery`]) writes the directory.

use std::process::ExitCode;

use counterweight::gallery::{Entry, key_table, write_gallery_dir};
use counterweight::runner::{self, RunError, RunOptions};

use crate::run::{RunArgs, output_dir};
use crate::{progress, render};

pub fn run(args: &RunArgs) -> ExitCode {
    let Some(out) = output_dir(args.out.clone(), "gallery") else {
        return ExitCode::from(2);
    };

    // Load every entry first: a broken entry fails before anything runs.
    let loaded = match counterweight::gallery::load() {
        Ok(l) => l,
        Err(e) => {
            render::scenario_error(&e);
            return ExitCode::from(2);
        }
    };

    let started = std::time::Instant::now();
    let cancel = progress::interrupt_flag();
    let bar = progress::bar(loaded.len() as u64, args.quiet, "gallery");
    let mut entries = Vec::new();
    for (g, exp) in loaded {
        bar.set_message(exp.name.clone());
        let opts = RunOptions {
            progress: None,
            cancel: Some(&cancel),
        };
        match runner::run_experiment(&exp, &opts) {
            Ok(output) => entries.push(Entry {
                gallery: g,
                exp,
                output,
            }),
            Err(RunError::Cancelled) => {
                bar.finish_and_clear();
                progress::exit_interrupted();
            }
            Err(e) => {
                bar.finish_and_clear();
                render::error(format!("gallery entry {}: {e}", exp.name));
                return ExitCode::from(1);
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();

    let written =
        counterweight::io::atomic::cancellable(&cancel, || write_gallery_dir(&out, &entries));
    if let Err(e) = written {
        if cancel.load(std::sync::atomic::Ordering::SeqCst) {
            progress::exit_interrupted();
        }
        render::error(e);
        return ExitCode::from(1);
    }
    let index = out.join("report.html");
    if args.quiet {
        println!("{}", index.display());
    } else {
        for e in &entries {
            println!("{}", e.exp.name);
            // The entry's key numbers (the model's key columns), one line per variant.
            let (headers, rows) = key_table(e);
            for row in &rows {
                let cells: Vec<String> = headers
                    .iter()
                    .zip(row)
                    .skip(1)
                    .map(|(h, v)| format!("{h} {v}"))
                    .collect();
                println!("  {:<50} {}", row[0], cells.join("  "));
            }
        }
        println!(
            "gallery of {} entries finished in {:.2} s; report: {}",
            entries.len(),
            started.elapsed().as_secs_f64(),
            index.display()
        );
    }
    ExitCode::SUCCESS
}

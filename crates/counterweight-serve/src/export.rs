//! The run directory of a completed run, as a zip: the library writes the directory
//! ([`counterweight::io::run::write_run`]) into a private temporary directory, which is
//! zipped and removed.

use std::io::{Cursor, Write};

use counterweight::io::run::{RunRecord, VariantRecord, write_run};

use crate::store::StoredRun;

/// The zip of `run`'s directory, every file under `NAME/`.
pub(crate) fn run_zip(run: &StoredRun) -> Result<Vec<u8>, String> {
    let rec = record(run);
    let tmp = tempfile::Builder::new()
        .prefix("counterweight-serve-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    let files = write_run(tmp.path(), &rec).map_err(|e| e.to_string())?;
    let folder: String = rec
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o644);
    let mut names: Vec<_> = files.iter().filter_map(|p| p.file_name()).collect();
    names.sort();
    for name in names {
        let bytes = std::fs::read(tmp.path().join(name))
            .map_err(|e| format!("cannot read {}: {e}", name.to_string_lossy()))?;
        zip.start_file(format!("{folder}/{}", name.to_string_lossy()), opts)
            .map_err(|e| e.to_string())?;
        zip.write_all(&bytes).map_err(|e| e.to_string())?;
    }
    let cursor = zip.finish().map_err(|e| e.to_string())?;
    Ok(cursor.into_inner())
}

/// The run as the library writes it.
///
// TODO(registry): use the library's recording function once `record()` moves out of the
// CLI (issue 8); until then this fills the record from library values only, without the
// CLI's key numbers and notes (the metrics, actors, plots and scenario are the same).
fn record(run: &StoredRun) -> RunRecord {
    let exp = &run.experiment;
    let first = &exp.variants[0].scenario;
    RunRecord {
        name: exp.name.clone(),
        description: exp.description.clone(),
        model: first.model.name().into(),
        seed: first.seed,
        version: counterweight::VERSION.to_string(),
        scenario_toml: crate::lab::resolved_toml(exp),
        metrics: run.output.metrics_table(),
        actors: run.output.actors_table(),
        variants: run
            .output
            .variants
            .iter()
            .zip(&exp.variants)
            .map(|((label, o), v)| VariantRecord {
                label: label.clone(),
                groups: v.scenario.groups.iter().map(|g| g.name.clone()).collect(),
                final_values: o.final_values.first().cloned().unwrap_or_default(),
            })
            .collect(),
        key_numbers: Vec::new(),
        notes: Vec::new(),
    }
}

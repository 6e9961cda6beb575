//! The run directory of a completed run, as a zip: the library writes the directory
//! ([`counterweight::io::run::write_run`]) into a private temporary directory, which is
//! zipped and removed.

use std::io::{Cursor, Write};

use counterweight::io::run::{RunRecord, write_run};

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

/// The run as `counterweight run` records it: the library's
/// [`RunRecord::from_output`] (key numbers, notes, tables, final values).
fn record(run: &StoredRun) -> RunRecord {
    RunRecord::from_output(&run.experiment, &run.output)
}

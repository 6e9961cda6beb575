//! The sweep directory on disk: the manifest, the part files runs are streamed into, and
//! the streaming readers and writers that turn the parts into the final dataset.
//!
//! ```text
//! OUT/manifest.json               the resolved sweep (written before any run)
//! OUT/parts/part-000042.parquet   final metrics of the runs of batch 42 (one row per run)
//! OUT/series/part-000042.parquet  their recorded time series (one row per run and step)
//! ```
//!
//! A batch is complete when its `parts/` file exists: the series part is written first, and
//! both are written atomically, so a sweep killed at any instant leaves only whole files.
//!
//! The manifest also records each complete part's identity ([`PartRecord`]: its runs,
//! points, a fingerprint of their seeds and of both files). A resumed sweep checks every part
//! on disk against it (and a part not yet recorded, e.g. after a kill between the part and
//! the manifest, against the plan by its point, replicate and seed columns): a part copied
//! over another batch, truncated or otherwise changed is refused with the files to delete.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, Float64Array, RecordBatch, StringArray, UInt64Array};
use arrow_schema::DataType;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use serde::{Deserialize, Serialize};

use super::SweepError;
use super::plan::{Kind, Plan};
use super::spec::{Axis, Design};
use crate::io::parquet::arrow_schema;
use crate::io::{AtomicFile, Column, IoError, Table, write_atomic_bytes};

/// The manifest's file name in a sweep directory.
pub const MANIFEST: &str = "manifest.json";
/// The folder of the final-metrics part files.
pub const PARTS: &str = "parts";
/// The folder of the time-series part files.
pub const SERIES: &str = "series";

/// What `manifest.json` records: everything that determines the results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format version of the directory layout (1).
    pub format: u32,
    /// The counterweight version that started the sweep.
    pub counterweight: String,
    /// Where the scenario came from (its path or example name).
    pub scenario: String,
    /// Hash of the resolved scenario text.
    pub scenario_hash: String,
    /// The `--set` overrides.
    pub set: Vec<String>,
    /// The `--vary` axes as `key=spec`.
    pub vary: Vec<String>,
    /// Grid, zip or Latin hypercube.
    pub design: Design,
    /// Replicates per point.
    pub replicates: u32,
    /// The sweep's seed.
    pub seed: u64,
    /// Number of points.
    pub points: u64,
    /// Number of runs (points × replicates).
    pub runs: u64,
    /// Runs per batch (one part file per batch).
    pub batch_size: u64,
    /// Fingerprint of every point's values (covers a Latin hypercube's draws).
    pub points_hash: String,
    /// The complete parts, by batch (missing in manifests of earlier versions).
    #[serde(default)]
    pub parts: Vec<PartRecord>,
}

/// The identity of one complete batch on disk: which runs it holds and the fingerprints
/// (FNV-1a, [`super::plan::fingerprint`]) of its seeds and files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartRecord {
    /// The batch number N of `parts/part-N.parquet` (batch b holds runs from
    /// `b × batch_size`).
    pub batch: u64,
    /// Its runs, `[first, end)`.
    pub runs: [u64; 2],
    /// The points of its first and last run.
    pub points: [u64; 2],
    /// Fingerprint of its runs' seeds (one per line).
    pub seeds: String,
    /// Fingerprint of `parts/part-N.parquet`.
    pub results: String,
    /// Fingerprint of `series/part-N.parquet`.
    pub series: String,
}

impl PartRecord {
    /// The record batch `b` of `plan` should have, with the fingerprints of its two files
    /// as they are in `dir` now.
    pub fn of(plan: &Plan, dir: &Path, b: u64) -> Result<PartRecord, String> {
        let hash = |kind: &str| {
            let p = part_path(dir, kind, b);
            fs::read(&p)
                .map(|bytes| super::plan::fingerprint(&bytes))
                .map_err(|e| format!("cannot read {}: {e}", p.display()))
        };
        Ok(PartRecord {
            results: hash(PARTS)?,
            series: hash(SERIES)?,
            ..PartRecord::expected(plan, b)
        })
    }

    /// The runs, points and seeds of batch `b` (file fingerprints empty).
    fn expected(plan: &Plan, b: u64) -> PartRecord {
        let runs = plan.batch_runs(b);
        let seeds: String = runs
            .clone()
            .map(|r| format!("{}\n", plan.seed(r)))
            .collect();
        PartRecord {
            batch: b,
            runs: [runs.start, runs.end],
            points: [
                plan.coords(runs.start).0,
                plan.coords(runs.end.saturating_sub(1).max(runs.start)).0,
            ],
            seeds: super::plan::fingerprint(seeds.as_bytes()),
            results: String::new(),
            series: String::new(),
        }
    }
}

impl Manifest {
    /// The manifest of a prepared sweep.
    pub fn of(plan: &Plan) -> Self {
        let points_text: String = (0..plan.spec.points.len())
            .map(|p| plan.spec.assignments(p).join(";") + "\n")
            .collect();
        Manifest {
            format: 1,
            counterweight: crate::VERSION.to_string(),
            scenario: plan.source.origin.clone(),
            scenario_hash: plan.scenario_hash.clone(),
            set: plan.sets.clone(),
            vary: plan
                .spec
                .axes
                .iter()
                .map(|a: &Axis| format!("{}={}", a.key, a.spec))
                .collect(),
            design: plan.spec.design,
            replicates: plan.replicates,
            seed: plan.master_seed,
            points: plan.points(),
            runs: plan.runs(),
            batch_size: plan.batch_size,
            points_hash: super::plan::fingerprint(points_text.as_bytes()),
            parts: Vec::new(),
        }
    }

    /// The fields in which `other` differs (the scenario's path may differ).
    fn differences(&self, other: &Manifest) -> Vec<String> {
        let mut d = Vec::new();
        let mut cmp = |name: &str, a: String, b: String| {
            if a != b {
                d.push(format!("{name}: {a} (on disk) vs {b} (now)"));
            }
        };
        cmp(
            "counterweight version",
            self.counterweight.clone(),
            other.counterweight.clone(),
        );
        cmp(
            "scenario (hash of the resolved scenario)",
            self.scenario_hash.clone(),
            other.scenario_hash.clone(),
        );
        cmp(
            "--set",
            format!("{:?}", self.set),
            format!("{:?}", other.set),
        );
        cmp(
            "--vary",
            format!("{:?}", self.vary),
            format!("{:?}", other.vary),
        );
        cmp(
            "design (--zip / --sample)",
            format!("{:?}", self.design),
            format!("{:?}", other.design),
        );
        cmp(
            "replicates",
            self.replicates.to_string(),
            other.replicates.to_string(),
        );
        cmp("seed", self.seed.to_string(), other.seed.to_string());
        cmp(
            "points",
            self.points_hash.clone(),
            other.points_hash.clone(),
        );
        cmp(
            "batch size",
            self.batch_size.to_string(),
            other.batch_size.to_string(),
        );
        d
    }
}

/// The state of a sweep directory when the sweep starts.
#[derive(Debug, Clone)]
pub struct Opened {
    /// Batches already complete (their part files exist and were checked).
    pub done: BTreeSet<u64>,
    /// Whether a previous sweep's manifest was found (a resume).
    pub resumed: bool,
    /// The manifest as on disk, with a record for every batch in `done`; execution adds
    /// the batches it completes.
    pub manifest: Manifest,
}

/// Write `manifest` into `dir`, atomically.
pub fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<(), IoError> {
    let json = serde_json::to_string_pretty(manifest).expect("a manifest serialises");
    write_atomic_bytes(&dir.join(MANIFEST), format!("{json}\n").as_bytes())
}

/// Check the part files of batch `b` against their record (or, without one, against the
/// plan by their columns) and return the record. The error names the files to delete.
fn check_part(
    plan: &Plan,
    dir: &Path,
    b: u64,
    recorded: Option<&PartRecord>,
) -> Result<PartRecord, SweepError> {
    let results = part_path(dir, PARTS, b);
    let series = part_path(dir, SERIES, b);
    let refuse = |why: String| {
        SweepError::Resume(format!(
            "{} {why}. Delete {} and {}, then run the same command again: its {} runs are run again.",
            results.display(),
            results.display(),
            series.display(),
            plan.batch_runs(b).end - plan.batch_runs(b).start
        ))
    };
    let now = PartRecord::of(plan, dir, b).map_err(&refuse)?;
    let expected = PartRecord::expected(plan, b);
    match recorded {
        Some(rec) => {
            if (rec.runs, rec.points, &rec.seeds)
                != (expected.runs, expected.points, &expected.seeds)
            {
                return Err(refuse(format!(
                    "is recorded in {MANIFEST} with runs {}..{} and points {}..={}, but this sweep's batch {b} holds runs {}..{} and points {}..={}",
                    rec.runs[0],
                    rec.runs[1],
                    rec.points[0],
                    rec.points[1],
                    expected.runs[0],
                    expected.runs[1],
                    expected.points[0],
                    expected.points[1]
                )));
            }
            if rec.results != now.results {
                return Err(refuse(format!(
                    "does not match the fingerprint {MANIFEST} recorded for batch {b} ({} now, {} recorded): it was changed, truncated or copied from another batch",
                    now.results, rec.results
                )));
            }
            if rec.series != now.series {
                return Err(refuse(format!(
                    "is intact, but {} does not match the fingerprint {MANIFEST} recorded for batch {b}: it was changed, truncated or copied from another batch",
                    series.display()
                )));
            }
        }
        None => {
            // Not recorded (killed between the part and the manifest, or a manifest of an
            // earlier version): its own columns must be batch b's runs.
            let t = read_parquet(&results).map_err(|e| refuse(format!("cannot be read ({e})")))?;
            let runs = plan.batch_runs(b);
            let col = |name: &str| match t.column(name) {
                Some(Column::U64(v)) => Some(v.clone()),
                _ => None,
            };
            let want_points: Vec<u64> = runs.clone().map(|r| plan.coords(r).0).collect();
            let want_reps: Vec<u64> = runs.clone().map(|r| u64::from(plan.coords(r).1)).collect();
            let want_seeds: Vec<u64> = runs.clone().map(|r| plan.seed(r)).collect();
            if col("point") != Some(want_points)
                || col("replicate") != Some(want_reps)
                || col("seed") != Some(want_seeds)
            {
                return Err(refuse(format!(
                    "does not hold the runs of batch {b} (runs {}..{}): it was copied from another batch or another sweep",
                    runs.start, runs.end
                )));
            }
            read_parquet(&series).map_err(|e| {
                refuse(format!(
                    "is intact, but {} cannot be read ({e})",
                    series.display()
                ))
            })?;
        }
    }
    Ok(now)
}

/// Prepare `dir` for `plan`: create it and write the manifest, or, if it holds the same
/// sweep, find the completed batches. A directory holding anything else is refused.
pub fn open(dir: &Path, plan: &Plan) -> Result<Opened, SweepError> {
    let manifest = Manifest::of(plan);
    let mpath = dir.join(MANIFEST);
    let io = |op: &'static str, p: &Path, e: std::io::Error| SweepError::Io(IoError::fs(op, p, e));
    if mpath.exists() {
        let text = fs::read_to_string(&mpath).map_err(|e| io("cannot read", &mpath, e))?;
        let old: Manifest = serde_json::from_str(&text).map_err(|e| {
            SweepError::Resume(format!(
                "{} is not a sweep manifest this version can read ({e}); choose another --out",
                mpath.display()
            ))
        })?;
        let diff = old.differences(&manifest);
        if !diff.is_empty() {
            return Err(SweepError::Resume(format!(
                "{} holds a different sweep, so it cannot be resumed with this command:\n  {}\nRun the original command again to finish it, or choose another --out.",
                dir.display(),
                diff.join("\n  ")
            )));
        }
        clean_temporaries(dir);
        let mut done = BTreeSet::new();
        if let Ok(entries) = fs::read_dir(dir.join(PARTS)) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if let Some(n) = name
                    .strip_prefix("part-")
                    .and_then(|s| s.strip_suffix(".parquet"))
                    .and_then(|s| s.parse::<u64>().ok())
                    && n < plan.batches()
                {
                    done.insert(n);
                }
            }
        }
        let mut checked = Vec::with_capacity(done.len());
        for &b in &done {
            let recorded = old.parts.iter().find(|r| r.batch == b);
            checked.push(check_part(plan, dir, b, recorded)?);
        }
        let mut manifest = old;
        if manifest.parts != checked {
            // Record the parts found unrecorded (after the checks above).
            manifest.parts = checked;
            write_manifest(dir, &manifest).map_err(SweepError::Io)?;
        }
        return Ok(Opened {
            done,
            resumed: true,
            manifest,
        });
    }
    if dir.exists()
        && fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(SweepError::Resume(format!(
            "output directory {} exists, is not empty and holds no sweep manifest (choose another --out)",
            dir.display()
        )));
    }
    for d in [dir.to_path_buf(), dir.join(PARTS), dir.join(SERIES)] {
        fs::create_dir_all(&d).map_err(|e| io("cannot create", &d, e))?;
    }
    write_manifest(dir, &manifest).map_err(SweepError::Io)?;
    Ok(Opened {
        done: BTreeSet::new(),
        resumed: false,
        manifest,
    })
}

/// Remove temporary files a killed process left behind (`.{name}.tmp-{pid}-{n}`).
fn clean_temporaries(dir: &Path) {
    for d in [dir.to_path_buf(), dir.join(PARTS), dir.join(SERIES)] {
        if let Ok(entries) = fs::read_dir(&d) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') && name.contains(".tmp-") {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
    }
}

/// The path of batch `batch`'s part file in folder `kind` ([`PARTS`] or [`SERIES`]).
pub fn part_path(dir: &Path, kind: &str, batch: u64) -> PathBuf {
    dir.join(kind).join(format!("part-{batch:06}.parquet"))
}

/// Rows per Parquet row group. The writer buffers one row group in memory, so this bounds
/// the memory of `results.parquet` however many runs there are.
const ROW_GROUP_ROWS: usize = 8192;

fn props() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build()
}

/// Read a Parquet file written by [`crate::io::write_parquet`] back into a [`Table`].
pub fn read_parquet(path: &Path) -> Result<Table, SweepError> {
    let bad = |m: String| SweepError::Read {
        path: path.to_path_buf(),
        message: m,
    };
    let file = fs::File::open(path).map_err(|e| bad(e.to_string()))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| bad(e.to_string()))?;
    // An empty part (e.g. the series of a batch whose runs all failed) has no batches:
    // its columns come from the schema.
    let empty = RecordBatch::new_empty(builder.schema().clone());
    let reader = builder.build().map_err(|e| bad(e.to_string()))?;
    let mut out: Option<Table> = None;
    for batch in reader {
        let batch = batch.map_err(|e| bad(e.to_string()))?;
        let t = batch_to_table(&batch).map_err(bad)?;
        out = Some(match out {
            None => t,
            Some(mut acc) => {
                for (a, b) in acc.columns.iter_mut().zip(t.columns) {
                    match (a, b) {
                        (Column::F64(a), Column::F64(b)) => a.extend(b),
                        (Column::U64(a), Column::U64(b)) => a.extend(b),
                        (Column::OptU64(a), Column::OptU64(b)) => a.extend(b),
                        (Column::Str(a), Column::Str(b)) => a.extend(b),
                        _ => return Err(bad("inconsistent column types".into())),
                    }
                }
                acc
            }
        });
    }
    match out {
        Some(t) => Ok(t),
        None => batch_to_table(&empty).map_err(bad),
    }
}

fn batch_to_table(batch: &RecordBatch) -> Result<Table, String> {
    let schema = batch.schema();
    let mut t = Table::new();
    for (field, col) in schema.fields().iter().zip(batch.columns()) {
        let c = match field.data_type() {
            DataType::Float64 => {
                let a = col
                    .as_any()
                    .downcast_ref::<Float64Array>()
                    .ok_or("bad Float64 column")?;
                Column::F64(a.values().to_vec())
            }
            DataType::UInt64 => {
                let a = col
                    .as_any()
                    .downcast_ref::<UInt64Array>()
                    .ok_or("bad UInt64 column")?;
                if field.is_nullable() {
                    Column::OptU64(
                        (0..a.len())
                            .map(|i| (!a.is_null(i)).then(|| a.value(i)))
                            .collect(),
                    )
                } else {
                    Column::U64(a.values().to_vec())
                }
            }
            DataType::Utf8 => {
                let a = col
                    .as_any()
                    .downcast_ref::<StringArray>()
                    .ok_or("bad Utf8 column")?;
                Column::Str((0..a.len()).map(|i| a.value(i).to_string()).collect())
            }
            other => return Err(format!("unexpected column type {other}")),
        };
        t.push(field.name().clone(), c);
    }
    Ok(t)
}

fn to_arrays(t: &Table) -> Vec<ArrayRef> {
    t.columns
        .iter()
        .map(|c| -> ArrayRef {
            match c {
                Column::F64(v) => Arc::new(Float64Array::from(v.clone())),
                Column::U64(v) => Arc::new(UInt64Array::from(v.clone())),
                Column::OptU64(v) => Arc::new(UInt64Array::from(v.clone())),
                Column::Str(v) => {
                    Arc::new(StringArray::from_iter_values(v.iter().map(String::as_str)))
                }
            }
        })
        .collect()
}

/// A Parquet file written table by table, committed atomically at the end.
pub struct ParquetStream {
    path: PathBuf,
    // The Arrow writer writes through a second handle on the temporary file; the
    // `AtomicFile` keeps ownership of the name and does the sync and rename.
    writer: Option<ArrowWriter<std::io::BufWriter<fs::File>>>,
    schema: arrow_schema::SchemaRef,
    file: Option<AtomicFile>,
}

impl ParquetStream {
    /// Start writing to a temporary file next to `path`, with the columns of `like`.
    pub fn create(path: &Path, like: &Table) -> Result<Self, IoError> {
        let mut file = AtomicFile::create(path)?;
        let handle = file
            .writer()
            .get_ref()
            .try_clone()
            .map_err(|e| IoError::fs("cannot write", path, e))?;
        let schema = arrow_schema(like);
        let writer = ArrowWriter::try_new(
            std::io::BufWriter::with_capacity(1 << 16, handle),
            schema.clone(),
            Some(props()),
        )
        .map_err(|source| IoError::Parquet {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(ParquetStream {
            path: path.to_path_buf(),
            writer: Some(writer),
            schema,
            file: Some(file),
        })
    }

    /// Append the rows of `t` (same columns as at creation).
    pub fn write(&mut self, t: &Table) -> Result<(), IoError> {
        let w = self.writer.as_mut().expect("open");
        let batch = RecordBatch::try_new(self.schema.clone(), to_arrays(t)).map_err(|source| {
            IoError::Arrow {
                path: self.path.clone(),
                source,
            }
        })?;
        w.write(&batch).map_err(|source| IoError::Parquet {
            path: self.path.clone(),
            source,
        })
    }

    /// Finish the file and rename it into place.
    pub fn commit(mut self) -> Result<(), IoError> {
        let w = self.writer.take().expect("open");
        let mut inner = w.into_inner().map_err(|source| IoError::Parquet {
            path: self.path.clone(),
            source,
        })?;
        use std::io::Write;
        inner
            .flush()
            .map_err(|e| IoError::fs("cannot write", &self.path, e))?;
        drop(inner);
        self.file.take().expect("open").commit()
    }
}

/// Write a whole table as one Parquet file, atomically (a part file).
pub fn write_part(path: &Path, t: &Table) -> Result<(), IoError> {
    let mut s = ParquetStream::create(path, t)?;
    s.write(t)?;
    s.commit()
}

/// A CSV file written table by table, committed atomically at the end. Cells are formatted
/// exactly as [`crate::io::write_csv`] formats them.
pub struct CsvStream {
    path: PathBuf,
    file: AtomicFile,
    line: String,
}

impl CsvStream {
    /// Start writing to a temporary file next to `path`, with a header of `names`.
    pub fn create(path: &Path, names: &[String]) -> Result<Self, IoError> {
        let mut s = CsvStream {
            path: path.to_path_buf(),
            file: AtomicFile::create(path)?,
            line: String::new(),
        };
        let header: Vec<String> = names.iter().map(|n| quote(n)).collect();
        s.put(&(header.join(",") + "\n"))?;
        Ok(s)
    }

    fn put(&mut self, text: &str) -> Result<(), IoError> {
        use std::io::Write;
        self.file
            .writer()
            .write_all(text.as_bytes())
            .map_err(|e| IoError::fs("cannot write", &self.path, e))
    }

    /// Append the rows of `t` (same columns as the header).
    pub fn write(&mut self, t: &Table) -> Result<(), IoError> {
        for row in 0..t.rows() {
            let mut line = std::mem::take(&mut self.line);
            line.clear();
            for (i, c) in t.columns.iter().enumerate() {
                if i > 0 {
                    line.push(',');
                }
                match c {
                    Column::F64(v) => crate::io::csv::format_f64(v[row], &mut line),
                    Column::U64(v) => line.push_str(&v[row].to_string()),
                    Column::OptU64(v) => {
                        if let Some(x) = v[row] {
                            line.push_str(&x.to_string());
                        }
                    }
                    Column::Str(v) => line.push_str(&quote(&v[row])),
                }
            }
            line.push('\n');
            self.put(&line)?;
            self.line = line;
        }
        Ok(())
    }

    /// Finish the file and rename it into place.
    pub fn commit(self) -> Result<(), IoError> {
        self.file.commit()
    }
}

/// Quote a CSV field when it needs it (comma, quote, newline).
fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Make an empty column of `kind` (for schemas).
pub fn empty_column(kind: Kind) -> Column {
    match kind {
        Kind::F64 => Column::F64(Vec::new()),
        Kind::OptU64 => Column::OptU64(Vec::new()),
    }
}

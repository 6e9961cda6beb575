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

use serde::{Deserialize, Serialize};

use super::SweepError;
use super::plan::{Kind, Plan};
use super::spec::{Axis, Design};
use crate::io::parquet::ParquetStream;
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

/// Record every complete batch of `dir` in its manifest, as a sweep run in one process
/// does while it goes: for sweeps whose parts were written by other processes (Dask
/// workers, each of which records only its own batches), once they have all finished,
/// by the one process that then finalises the directory. Batches whose results part is
/// missing are left unrecorded (they are not complete).
pub fn record_parts(plan: &Plan, dir: &Path) -> Result<(), SweepError> {
    let mut manifest = Manifest::of(plan);
    for b in 0..plan.batches() {
        if part_path(dir, PARTS, b).is_file() {
            manifest
                .parts
                .push(PartRecord::of(plan, dir, b).map_err(SweepError::Resume)?);
        }
    }
    write_manifest(dir, &manifest).map_err(SweepError::Io)
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

/// Rows per Parquet row group of `results.parquet` and the part files. The writer buffers
/// one row group in memory, so this bounds the memory of `results.parquet` however many
/// runs there are.
pub const ROW_GROUP_ROWS: usize = 8192;

/// Read a Parquet file written by [`crate::io::write_parquet`] back into a [`Table`].
pub fn read_parquet(path: &Path) -> Result<Table, SweepError> {
    crate::io::parquet::read_parquet(path).map_err(|message| SweepError::Read {
        path: path.to_path_buf(),
        message,
    })
}

/// Write a whole table as one Parquet file, atomically (a part file).
pub fn write_part(path: &Path, t: &Table) -> Result<(), IoError> {
    let mut s = ParquetStream::with_row_groups(path, t, ROW_GROUP_ROWS)?;
    s.push(t)?;
    s.finish()
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

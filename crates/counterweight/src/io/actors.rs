//! `actors.csv` and `actors.parquet` written while the run runs ([`ActorFiles`], the
//! runner's [`ActorSink`]): the per-actor rows of `output.actors` go to disk as the
//! replicates produce them, so memory does not grow with them (10^6 actors × 1,000
//! recorded steps are 10^9 rows, about 70 GB held in memory before).
//!
//! The files are those the in-memory path writes ([`super::write_csv`] and
//! [`super::write_parquet`] of `ExperimentOutput::actors_table`), byte for byte, on any
//! number of threads: rows are in the order variant, replicate, step, actor. Replicates
//! run in parallel, so only the first replicate not yet finished (the head) writes into
//! the files; every other one appends its rows to its own spill file in the staging
//! directory (36 bytes a row), which is copied into the files, in order, when the head
//! reaches it, and then removed. Spill files are hidden (`.actors-spill-*`) and are
//! removed when [`ActorFiles`] is dropped unfinished; the whole staging directory is
//! removed anyway when the run fails.

use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use super::csv::CsvStream;
use super::parquet::ParquetStream;
use super::{Column, IoError, Table};
use crate::runner::{ACTOR_BATCH_ROWS, ActorBatch, ActorSink, SinkError};
use crate::scenario::{ActorsOutput, Experiment};

/// Bytes of one spilled row: step, time, actor (8 each), group (4), value (8).
pub const SPILL_ROW_BYTES: u64 = 36;

/// The columns of the per-actor tables, after the optional `variant`.
const COLUMNS: [&str; 6] = ["replicate", "step", "time", "actor", "group", "value"];

/// The sink that writes `actors.csv` and `actors.parquet` into a (staging) directory.
pub struct ActorFiles {
    dir: PathBuf,
    /// Per variant: its label when the experiment has several (the `variant` column).
    labels: Option<Vec<String>>,
    /// Per variant: its groups' names.
    groups: Vec<Vec<String>>,
    /// Per variant: the index of its replicate 0 among all replicates.
    offsets: Vec<usize>,
    head: Mutex<Head>,
    slots: Vec<Mutex<Slot>>,
}

/// The files, and the replicate that writes into them.
struct Head {
    /// Index of the replicate whose rows go straight into the files.
    at: usize,
    csv: CsvStream,
    parquet: ParquetStream,
}

/// One replicate's state.
struct Slot {
    /// Its rows go straight into the files (it is, or was, the head).
    direct: bool,
    /// It has handed over all its rows.
    done: bool,
    /// Its spill file, while it is not the head.
    spill: Option<(PathBuf, BufWriter<File>)>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some((path, w)) = self.spill.take() {
            drop(w);
            let _ = fs::remove_file(path);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic on another worker thread ends the run anyway; the state is still consistent
    // for dropping.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl ActorFiles {
    /// Start `dir/actors.csv` and `dir/actors.parquet` for the runs of `exp`; `None` when
    /// it records no per-actor rows.
    pub fn create(dir: &Path, exp: &Experiment) -> Result<Option<Self>, IoError> {
        // As in memory (`ExperimentOutput::actors_table`): per-actor files only when every
        // variant records them.
        if exp
            .variants
            .iter()
            .any(|v| v.scenario.output.actors == ActorsOutput::None)
        {
            return Ok(None);
        }
        let several = exp.variants.len() > 1;
        let labels = several.then(|| exp.variants.iter().map(|v| v.label.clone()).collect());
        let groups = exp
            .variants
            .iter()
            .map(|v| v.scenario.groups.iter().map(|g| g.name.clone()).collect())
            .collect();
        let mut offsets = Vec::with_capacity(exp.variants.len());
        let mut total = 0usize;
        for v in &exp.variants {
            offsets.push(total);
            total += v.scenario.replicates as usize;
        }
        let mut template = Table::new();
        if several {
            template.push("variant", Column::Str(Vec::new()));
        }
        template.push(COLUMNS[0], Column::U64(Vec::new()));
        template.push(COLUMNS[1], Column::U64(Vec::new()));
        template.push(COLUMNS[2], Column::F64(Vec::new()));
        template.push(COLUMNS[3], Column::U64(Vec::new()));
        template.push(COLUMNS[4], Column::Str(Vec::new()));
        template.push(COLUMNS[5], Column::F64(Vec::new()));
        let csv = CsvStream::create(&dir.join("actors.csv"), &template.names)?;
        let parquet = ParquetStream::create(&dir.join("actors.parquet"), &template)?;
        let slots = (0..total)
            .map(|i| {
                Mutex::new(Slot {
                    direct: i == 0,
                    done: false,
                    spill: None,
                })
            })
            .collect();
        Ok(Some(Self {
            dir: dir.to_path_buf(),
            labels,
            groups,
            offsets,
            head: Mutex::new(Head {
                at: 0,
                csv,
                parquet,
            }),
            slots,
        }))
    }

    /// Write both files' ends and move them into place; it is an error if a replicate has
    /// not finished. Returns the two paths.
    pub fn finish(self) -> Result<Vec<PathBuf>, IoError> {
        let head = self.head.into_inner().unwrap_or_else(|e| e.into_inner());
        if head.at < self.slots.len() {
            return Err(IoError::InvalidTable {
                path: self.dir.join("actors.csv"),
                message: format!(
                    "the rows of replicate {} of {} never ended",
                    head.at,
                    self.slots.len()
                ),
            });
        }
        head.csv.finish()?;
        head.parquet.finish()?;
        Ok(vec![
            self.dir.join("actors.csv"),
            self.dir.join("actors.parquet"),
        ])
    }

    fn slot(&self, variant: usize, replicate: u32) -> Result<usize, SinkError> {
        self.offsets
            .get(variant)
            .map(|o| o + replicate as usize)
            .filter(|&i| i < self.slots.len())
            .ok_or_else(|| format!("no replicate {replicate} of variant {variant}").into())
    }

    /// The variant of replicate slot `i`.
    fn variant_of(&self, i: usize) -> usize {
        self.offsets.partition_point(|&o| o <= i) - 1
    }

    /// The rows of `batch` as a table of the files' columns.
    fn table(&self, variant: usize, replicate: u32, batch: &ActorBatch) -> Table {
        let n = batch.len();
        let mut t = Table::new();
        if let Some(labels) = &self.labels {
            t.push("variant", Column::Str(vec![labels[variant].clone(); n]));
        }
        let names = &self.groups[variant];
        t.push(COLUMNS[0], Column::U64(vec![u64::from(replicate); n]));
        t.push(COLUMNS[1], Column::U64(batch.step.clone()));
        t.push(COLUMNS[2], Column::F64(batch.time.clone()));
        t.push(COLUMNS[3], Column::U64(batch.actor.clone()));
        t.push(
            COLUMNS[4],
            Column::Str(
                batch
                    .group
                    .iter()
                    .map(|&g| names.get(g as usize).cloned().unwrap_or_default())
                    .collect(),
            ),
        );
        t.push(COLUMNS[5], Column::F64(batch.value.clone()));
        t
    }

    fn write(&self, head: &mut Head, i: usize, batch: &ActorBatch) -> Result<(), IoError> {
        let variant = self.variant_of(i);
        let replicate = (i - self.offsets[variant]) as u32;
        let t = self.table(variant, replicate, batch);
        head.csv.push(&t)?;
        head.parquet.push(&t)
    }

    /// Copy slot `i`'s spill file into the files, remove it, and make the slot direct.
    fn drain(&self, head: &mut Head, i: usize, slot: &mut Slot) -> Result<(), IoError> {
        slot.direct = true;
        let Some((path, w)) = slot.spill.take() else {
            return Ok(());
        };
        let fs_err = |what, e| IoError::fs(what, &path, e);
        w.into_inner()
            .map_err(|e| fs_err("cannot write", e.into_error()))?;
        let mut r = BufReader::with_capacity(
            1 << 16,
            File::open(&path).map_err(|e| fs_err("cannot read", e))?,
        );
        let mut batch = ActorBatch::default();
        let mut row = [0u8; SPILL_ROW_BYTES as usize];
        loop {
            match r.read_exact(&mut row) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
                Err(e) => return Err(fs_err("cannot read", e)),
            }
            let u = |a: usize| u64::from_le_bytes(row[a..a + 8].try_into().expect("8 bytes"));
            batch.step.push(u(0));
            batch.time.push(f64::from_bits(u(8)));
            batch.actor.push(u(16));
            batch
                .group
                .push(u32::from_le_bytes(row[24..28].try_into().expect("4 bytes")));
            batch.value.push(f64::from_bits(u(28)));
            if batch.len() == ACTOR_BATCH_ROWS {
                self.write(head, i, &batch)?;
                batch = ActorBatch::default();
            }
        }
        if !batch.is_empty() {
            self.write(head, i, &batch)?;
        }
        drop(r);
        fs::remove_file(&path).map_err(|e| fs_err("cannot remove", e))
    }
}

/// Append `batch` to a spill file.
fn spill(w: &mut impl Write, batch: &ActorBatch) -> io::Result<()> {
    for k in 0..batch.len() {
        w.write_all(&batch.step[k].to_le_bytes())?;
        w.write_all(&batch.time[k].to_bits().to_le_bytes())?;
        w.write_all(&batch.actor[k].to_le_bytes())?;
        w.write_all(&batch.group[k].to_le_bytes())?;
        w.write_all(&batch.value[k].to_bits().to_le_bytes())?;
    }
    Ok(())
}

impl ActorSink for ActorFiles {
    fn rows(&self, variant: usize, replicate: u32, batch: &ActorBatch) -> Result<(), SinkError> {
        let i = self.slot(variant, replicate)?;
        {
            let mut slot = lock(&self.slots[i]);
            if !slot.direct {
                if slot.spill.is_none() {
                    let path = self.dir.join(format!(".actors-spill-{i}"));
                    let f =
                        File::create(&path).map_err(|e| IoError::fs("cannot create", &path, e))?;
                    slot.spill = Some((path, BufWriter::with_capacity(1 << 16, f)));
                }
                let (path, w) = slot.spill.as_mut().expect("just created");
                spill(w, batch).map_err(|e| IoError::fs("cannot write", &*path, e))?;
                return Ok(());
            }
        }
        // Direct: once a slot is direct it stays so, and only the head's replicate is.
        let mut head = lock(&self.head);
        self.write(&mut head, i, batch)?;
        Ok(())
    }

    fn replicate_done(&self, variant: usize, replicate: u32) -> Result<(), SinkError> {
        let i = self.slot(variant, replicate)?;
        lock(&self.slots[i]).done = true;
        // Lock order: head, then a slot (`rows` never holds a slot while taking the head).
        let mut head = lock(&self.head);
        if head.at != i {
            // A later replicate: the head will copy its spill when it gets there.
            return Ok(());
        }
        // Move the head past every finished replicate, copying their spills in order,
        // and stop at the first one still running (it writes directly from now on).
        loop {
            head.at += 1;
            let Some(next) = self.slots.get(head.at) else {
                break;
            };
            let mut slot = lock(next);
            let at = head.at;
            self.drain(&mut head, at, &mut slot)?;
            if !slot.done {
                break;
            }
        }
        Ok(())
    }
}

//! What a run, a sweep or a measurement will take — memory, disk and number of runs —
//! estimated from validated parameters before anything starts.
//!
//! The figures are deliberately simple and on the high side: the model's state (each
//! model says how many bytes an actor takes, [`crate::registry::ModelSetup::state_bytes`]),
//! the recorded rows (rows × columns × 8 bytes, times the copies made while combining and
//! writing them), the per-actor rows of `output.actors` (on disk: they stream there while
//! the run runs, so in memory they take only fixed buffers), and for a sweep its points ×
//! replicates. The caller (the CLI) compares an [`Estimate`] with what the machine has
//! ([`Available`]) and decides; [`Estimate::excesses`] names what does not fit.

use std::fmt;

use crate::metrics::METRIC_COLUMN_NAMES;
use crate::scenario::{ActorsOutput, Experiment, Scenario};

/// Bytes of model state per actor when a model does not say otherwise: its value, a few
/// arrays of the same length (rates, previous values, random draws) and the sorted copy
/// the metrics take of every value.
pub const DEFAULT_BYTES_PER_ACTOR: u64 = 64;

/// Bytes per recorded cell in memory (a float or an integer).
const CELL: u64 = 8;
/// Copies of the recorded tables alive at the peak: the replicates' own tables, the
/// combined table, and the one being written.
const TABLE_COPIES: u64 = 3;
/// Memory of the per-actor rows while they stream to disk, whatever their number: per
/// replicate in flight, its batch of [`crate::runner::ACTOR_BATCH_ROWS`] rows (36 bytes
/// each) ...
const ACTOR_BATCH_BYTES: u64 = (crate::runner::ACTOR_BATCH_ROWS as u64) * 36;
/// ... and once, the writers: the Parquet writer's pending Arrow batch (2^18 rows with
/// their strings) and its open row group (up to 2^20 rows, encoded). Calibrated: 10^5
/// actors × 1,001 recorded steps peaked at 85.5 MB in all (docs/fuzzing.md, "Estimates").
const ACTOR_WRITER_BYTES: u64 = 32 << 20;
/// Bytes on disk per recorded cell: its CSV text and its Parquet twin.
const DISK_CELL: u64 = 27;
/// Bytes on disk per per-actor row (CSV and Parquet): 36.2 + 10.8 were measured for
/// 10^8 rows of the growth model (docs/fuzzing.md, "Estimates").
const DISK_ACTOR_ROW: u64 = 50;
/// Charts, report and small files of one output directory.
const DISK_FIXED: u64 = 4 << 20;
/// Memory of the program itself, the charts and the report.
const MEMORY_FIXED: u64 = 64 << 20;
/// `measure` holds about this many bytes per byte of the CSV it reads (the parsed rows,
/// the entity names and the sorted copies; 15× was measured on a 0.74 GB file).
pub const MEASURE_BYTES_PER_FILE_BYTE: u64 = 16;

/// `measure` without an entity, time or group column keeps only the value column, 8 bytes
/// a row, in a vector that may have doubled (16); at the peak the metrics' sorted copy
/// and the Lorenz curve's sorted values and running sums take 8 bytes a row each.
/// Calibrated: 8.5 million rows (a 289 MB CSV) peaked at 414 MB, 46 bytes a row above the
/// program's own 20 MB (docs/scenarios.md, "Resource estimates, calibrated").
pub const MEASURE_BYTES_PER_ROW: u64 = 48;

/// `measure` with an entity, time or group column keeps one slot per distinct (time,
/// holder): the name once, its summed value, the set's entry and index, then at the end
/// the (name, value) pairs and the last time's sorted copy. Per data row (each row a new
/// holder, the worst case) this many bytes, plus twice the file's bytes for the names
/// ([`measure_holders`]). Calibrated: 5 million rows `holder-000000001,12.3456` (a 124 MB
/// CSV, every holder distinct) peaked at 849 MB, 166 bytes a row above the program's own
/// 20 MB, where the estimate is 1.03 GB (docs/scenarios.md, "Resource estimates,
/// calibrated").
pub const MEASURE_BYTES_PER_HOLDER_ROW: u64 = 144;

/// The most runs (a sweep's points × replicates) started without `--no-limits`: beyond it
/// the validation alone takes minutes and the part files run into the thousands.
pub const MAX_RUNS: u64 = 1_000_000;

/// The size of one scenario's run: what its replicates hold and record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunSize {
    /// Actors of one replicate.
    pub actors: u64,
    /// Replicates.
    pub replicates: u64,
    /// Bytes of one replicate's model state.
    pub state_bytes: u64,
    /// Recorded rows of one replicate (the initial state, every `output.every` steps, the end).
    pub rows_per_replicate: u64,
    /// Columns of a recorded row.
    pub columns: u64,
    /// Per-actor rows of one replicate (`output.actors`).
    pub actor_rows_per_replicate: u64,
}

impl RunSize {
    /// The size of a run of `sc`, from its validated parameters (nothing is built).
    pub fn of(sc: &Scenario) -> RunSize {
        let actors = sc.actor_count() as u64;
        let steps = sc.time.steps;
        let every = sc.output.every.max(1);
        let rows = 1 + steps / every + u64::from(!steps.is_multiple_of(every));
        let observation = sc.model.setup().observation();
        let groups = sc.groups.len() as u64;
        let metric = METRIC_COLUMN_NAMES.len() as u64;
        let concentration = if observation.concentration {
            metric * (1 + groups) + groups
        } else {
            0
        };
        let columns = 3 + concentration + observation.columns.len() as u64;
        let actor_rows = match sc.output.actors {
            ActorsOutput::None => 0,
            ActorsOutput::Final => actors,
            ActorsOutput::All => actors.saturating_mul(rows),
        };
        RunSize {
            actors,
            replicates: u64::from(sc.replicates),
            state_bytes: sc.model.setup().state_bytes(sc),
            rows_per_replicate: rows,
            columns,
            actor_rows_per_replicate: actor_rows,
        }
    }

    /// Bytes of one replicate's model while it runs (what it records is counted with the
    /// recorded tables).
    fn in_flight(&self) -> u64 {
        self.state_bytes
    }

    /// Recorded rows of all replicates.
    pub fn recorded_rows(&self) -> u64 {
        self.rows_per_replicate.saturating_mul(self.replicates)
    }

    /// Per-actor rows of all replicates.
    pub fn actor_rows(&self) -> u64 {
        self.actor_rows_per_replicate
            .saturating_mul(self.replicates)
    }
}

/// One part of an estimate, for people: what it is and how many bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// What the bytes hold, with the arithmetic that gives them (e.g. `recorded metrics:
    /// 1,000 rows × 12 columns × 8 bytes × 2 copies`).
    pub what: String,
    /// How many bytes.
    pub bytes: u64,
}

/// What a command will take.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Estimate {
    /// Peak memory, in bytes.
    pub memory: u64,
    /// Bytes written to the output directory.
    pub disk: u64,
    /// Runs (replicates summed over the variants; a sweep's points × replicates).
    pub runs: u64,
    /// Whether [`MAX_RUNS`] applies (a sweep; a run's replicates are capped by validation).
    pub runs_capped: bool,
    /// The largest parts of `memory`, largest first.
    pub memory_parts: Vec<Part>,
}

fn part(what: String, bytes: u64) -> Part {
    Part { what, bytes }
}

impl Estimate {
    fn finish(mut self) -> Self {
        self.memory_parts.retain(|p| p.bytes > 0);
        self.memory_parts
            .sort_by_key(|p| std::cmp::Reverse(p.bytes));
        self.memory = self
            .memory_parts
            .iter()
            .fold(MEMORY_FIXED, |m, p| m.saturating_add(p.bytes));
        self
    }

    /// What does not fit in `available` (nothing when everything does).
    pub fn excesses(&self, available: &Available) -> Vec<Excess> {
        let mut out = Vec::new();
        if self.runs_capped && self.runs > MAX_RUNS {
            out.push(Excess::Runs {
                runs: self.runs,
                max: MAX_RUNS,
            });
        }
        if let Some(a) = available.memory
            && self.memory > a
        {
            out.push(Excess::Memory {
                needed: self.memory,
                available: a,
            });
        }
        if let Some(a) = available.disk
            && self.disk > a
        {
            out.push(Excess::Disk {
                needed: self.disk,
                available: a,
            });
        }
        out
    }

    /// One line for people: `about 1.2 GB of memory, 30 MB on disk, 4 runs`.
    pub fn summary(&self) -> String {
        format!(
            "about {} of memory, {} on disk, {} run{}",
            format_bytes(self.memory),
            format_bytes(self.disk),
            format_count(self.runs),
            if self.runs == 1 { "" } else { "s" }
        )
    }
}

/// What the machine offers; `None` when unknown (never refused on it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Available {
    /// Memory available to this process, in bytes.
    pub memory: Option<u64>,
    /// Free space where the output goes, in bytes.
    pub disk: Option<u64>,
}

/// A limit an [`Estimate`] exceeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Excess {
    /// Peak memory above what the machine has.
    Memory {
        /// The estimated peak, in bytes.
        needed: u64,
        /// Memory available to this process, in bytes.
        available: u64,
    },
    /// Output above the free space where it goes.
    Disk {
        /// The estimated output, in bytes.
        needed: u64,
        /// Free space there, in bytes.
        available: u64,
    },
    /// A sweep with more runs than [`MAX_RUNS`].
    Runs {
        /// The sweep's runs (points × replicates).
        runs: u64,
        /// The limit, [`MAX_RUNS`].
        max: u64,
    },
}

impl fmt::Display for Excess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Excess::Memory { needed, available } => write!(
                f,
                "it needs about {} of memory, but {} is available",
                format_bytes(needed),
                format_bytes(available)
            ),
            Excess::Disk { needed, available } => write!(
                f,
                "it writes about {} to disk, but {} is free there",
                format_bytes(needed),
                format_bytes(available)
            ),
            Excess::Runs { runs, max } => write!(
                f,
                "it has {} runs, more than {} (validating every point alone takes minutes)",
                format_count(runs),
                format_count(max)
            ),
        }
    }
}

/// The estimate of running `exp` (all its variants, one after another) with `threads`
/// worker threads.
pub fn experiment(exp: &Experiment, threads: usize) -> Estimate {
    let threads = threads.max(1) as u64;
    let mut est = Estimate::default();
    let mut in_flight_max = (0u64, String::new());
    let mut kept_rows = 0u64;
    let mut kept_finals = 0u64;
    let mut actor_buffers = 0u64;
    let mut spill = 0u64;
    let mut disk = DISK_FIXED;
    for v in &exp.variants {
        let s = RunSize::of(&v.scenario);
        est.runs = est.runs.saturating_add(s.replicates);
        let parallel = s.replicates.min(threads);
        let in_flight = parallel.saturating_mul(s.in_flight());
        if in_flight > in_flight_max.0 {
            in_flight_max = (
                in_flight,
                format!(
                    "model state: {} actors × {} replicate{} in flight × {} bytes",
                    format_count(s.actors),
                    parallel,
                    if parallel == 1 { "" } else { "s" },
                    s.state_bytes.checked_div(s.actors).unwrap_or(s.state_bytes)
                ),
            );
        }
        let cells = s.recorded_rows().saturating_mul(s.columns);
        kept_rows = kept_rows.saturating_add(cells);
        kept_finals = kept_finals.saturating_add(s.actors.saturating_mul(s.replicates));
        if s.actor_rows() > 0 {
            actor_buffers = actor_buffers.max(parallel.saturating_mul(ACTOR_BATCH_BYTES));
        }
        // Replicates other than the first unfinished one spill their rows until it is
        // their turn: with p in flight, about (p - 1)/p of them, 36 bytes a row.
        let spilled = s
            .actor_rows()
            .saturating_mul(parallel - 1)
            .checked_div(parallel)
            .unwrap_or(0)
            .saturating_mul(crate::io::actors::SPILL_ROW_BYTES);
        spill = spill.max(spilled);
        disk = disk
            .saturating_add(cells.saturating_mul(DISK_CELL))
            .saturating_add(s.actor_rows().saturating_mul(DISK_ACTOR_ROW));
    }
    let rows: u64 = exp
        .variants
        .iter()
        .map(|v| RunSize::of(&v.scenario).recorded_rows())
        .fold(0, u64::saturating_add);
    let actor_rows: u64 = exp
        .variants
        .iter()
        .map(|v| RunSize::of(&v.scenario).actor_rows())
        .fold(0, u64::saturating_add);
    est.memory_parts = vec![
        part(in_flight_max.1, in_flight_max.0),
        part(
            format!(
                "recorded metrics: {} rows × {} columns × 8 bytes × {TABLE_COPIES} copies",
                format_count(rows),
                kept_rows / rows.max(1)
            ),
            kept_rows.saturating_mul(CELL).saturating_mul(TABLE_COPIES),
        ),
        part(
            format!(
                "buffers of the per-actor rows (--actors: {} rows, written to disk as they come)",
                format_count(actor_rows)
            ),
            if actor_rows > 0 {
                actor_buffers.saturating_add(ACTOR_WRITER_BYTES)
            } else {
                0
            },
        ),
        part(
            "final values: actors × replicates × 8 bytes".to_string(),
            kept_finals.saturating_mul(CELL),
        ),
    ];
    est.disk = disk.saturating_add(spill);
    est.finish()
}

/// The estimate of a sweep of `points` points × `replicates` replicates whose largest run
/// is `run` (one replicate), with `threads` worker threads, `batch_size` runs per part
/// file and `axes` varied keys.
pub fn sweep(
    points: u64,
    replicates: u64,
    run: &RunSize,
    axes: u64,
    batch_size: u64,
    threads: usize,
) -> Estimate {
    let threads = threads.max(1) as u64;
    let runs = points.saturating_mul(replicates);
    let one = RunSize {
        replicates: 1,
        ..*run
    };
    let series = one
        .rows_per_replicate
        .saturating_mul(one.columns)
        .saturating_mul(CELL);
    let parallel = runs.min(threads);
    let mut est = Estimate {
        runs,
        runs_capped: true,
        ..Estimate::default()
    };
    est.memory_parts = vec![
        part(
            format!(
                "runs in flight: {} × ({} actors × {} bytes + {} recorded rows × {} columns × 8 bytes)",
                parallel,
                format_count(one.actors),
                one.state_bytes
                    .checked_div(one.actors)
                    .unwrap_or(one.state_bytes),
                format_count(one.rows_per_replicate),
                one.columns
            ),
            parallel.saturating_mul(
                one.in_flight()
                    .saturating_add(series.saturating_mul(TABLE_COPIES)),
            ),
        ),
        part(
            format!(
                "part files being gathered: {parallel} × {batch_size} runs × their recorded rows"
            ),
            parallel
                .saturating_mul(batch_size.min(runs))
                .saturating_mul(series),
        ),
        part(
            format!(
                "the points: {} × {axes} values, and their summaries",
                format_count(points)
            ),
            points.saturating_mul(axes.saturating_add(3 * one.columns).saturating_mul(64)),
        ),
    ];
    est.disk = DISK_FIXED
        .saturating_add(
            // series parts, and the per-point series summary (mean and interval)
            runs.saturating_mul(one.rows_per_replicate)
                .saturating_mul(one.columns.saturating_add(axes + 2))
                .saturating_mul(CELL),
        )
        .saturating_add(
            points
                .saturating_mul(one.rows_per_replicate)
                .saturating_mul(one.columns.saturating_mul(3))
                .saturating_mul(DISK_CELL),
        )
        .saturating_add(
            // results parts, results.csv and results.parquet
            runs.saturating_mul(one.columns.saturating_add(axes + 4))
                .saturating_mul(DISK_CELL + CELL),
        );
    est.finish()
}

/// The estimate of `measure` reading a CSV of `file_bytes` bytes.
pub fn measure(file_bytes: u64) -> Estimate {
    Estimate {
        runs: 1,
        disk: DISK_FIXED,
        memory_parts: vec![part(
            format!(
                "the CSV ({}) parsed: about {MEASURE_BYTES_PER_FILE_BYTE} bytes per byte of the file",
                format_bytes(file_bytes)
            ),
            file_bytes.saturating_mul(MEASURE_BYTES_PER_FILE_BYTE),
        )],
        ..Estimate::default()
    }
    .finish()
}

/// The estimate of `measure` reading a CSV of `file_bytes` bytes and about `rows` data
/// rows when only the value column is kept (no entity, time or group column): the rows
/// stream through and each keeps [`MEASURE_BYTES_PER_ROW`] bytes, whatever the width of
/// the file.
pub fn measure_values(file_bytes: u64, rows: u64) -> Estimate {
    Estimate {
        runs: 1,
        disk: DISK_FIXED,
        memory_parts: vec![part(
            format!(
                "the value column of the CSV ({}, about {} rows): {MEASURE_BYTES_PER_ROW} bytes a row",
                format_bytes(file_bytes),
                format_count(rows)
            ),
            rows.saturating_mul(MEASURE_BYTES_PER_ROW),
        )],
        ..Estimate::default()
    }
    .finish()
}

/// The estimate of `measure` reading a CSV of `file_bytes` bytes and about `rows` data
/// rows with an entity, time or group column: [`MEASURE_BYTES_PER_HOLDER_ROW`] a row, as
/// if every row were a new holder, and the names, up to twice the file.
pub fn measure_holders(file_bytes: u64, rows: u64) -> Estimate {
    Estimate {
        runs: 1,
        disk: DISK_FIXED,
        memory_parts: vec![
            part(
                format!(
                    "the holders of the CSV ({}, about {} rows): {MEASURE_BYTES_PER_HOLDER_ROW} bytes a row",
                    format_bytes(file_bytes),
                    format_count(rows)
                ),
                rows.saturating_mul(MEASURE_BYTES_PER_HOLDER_ROW),
            ),
            part(
                "their names (at most twice the file)".to_string(),
                file_bytes.saturating_mul(2),
            ),
        ],
        ..Estimate::default()
    }
    .finish()
}

/// Bytes for people: `512 bytes`, `3.4 MB`, `11.7 GB` (powers of 1000).
pub fn format_bytes(b: u64) -> String {
    const UNITS: [&str; 6] = ["kB", "MB", "GB", "TB", "PB", "EB"];
    if b < 1000 {
        return format!("{b} bytes");
    }
    let mut x = b as f64 / 1000.0;
    let mut unit = 0;
    while x >= 999.95 && unit + 1 < UNITS.len() {
        x /= 1000.0;
        unit += 1;
    }
    format!("{x:.1} {}", UNITS[unit])
}

/// A count with thousands separators: `4,294,967,295`.
pub fn format_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_and_counts_read_well() {
        assert_eq!(format_bytes(512), "512 bytes");
        assert_eq!(format_bytes(11_700_000_000), "11.7 GB");
        assert_eq!(format_bytes(999_990), "1.0 MB");
        assert_eq!(format_bytes(u64::MAX), "18.4 EB");
        assert_eq!(format_count(4_294_967_295), "4,294,967,295");
        assert_eq!(format_count(100), "100");
        assert_eq!(format_count(1000), "1,000");
    }

    #[test]
    fn excesses_name_what_does_not_fit() {
        let e = measure(1 << 30);
        assert!(e.memory > 16 << 30);
        let a = Available {
            memory: Some(8 << 30),
            disk: Some(1 << 40),
        };
        assert_eq!(e.excesses(&a).len(), 1);
        assert!(
            e.excesses(&Available::default()).is_empty(),
            "unknown = no refusal"
        );
        let s = sweep(
            10_000_000,
            1,
            &RunSize {
                rows_per_replicate: 1,
                columns: 1,
                ..RunSize::default()
            },
            1,
            256,
            2,
        );
        assert!(matches!(
            s.excesses(&Available::default())[..],
            [Excess::Runs {
                runs: 10_000_000,
                ..
            }]
        ));
    }
}

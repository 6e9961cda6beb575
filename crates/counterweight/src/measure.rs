//! `measure`: concentration metrics on data a user brings (a CSV of values, optionally
//! per entity and per time). This module reads the CSV and turns rows into a metric table
//! with the same metric columns as a run's `metrics.csv` ([`MetricColumns`]);
//! [`crate::io::measured`] writes it out with the top holders, charts and a report.
//!
//! * Rows with the same (time, entity) are summed (in file order). Without an entity
//!   column each row is its own holder, named `line N`.
//! * Without a time column: one row of metrics. With one: a row per distinct time, in
//!   time order. Times are of one [`TimeKind`]: numbers if every time parses as a number;
//!   dates if every time is an ISO 8601 date or date-time (`2024-02-01`,
//!   `2024-02-01T12:00:00`, `2024-02-01 12:00`, optional `Z`); otherwise text, sorted
//!   lexicographically.
//! * The `time` column is always a float (one documented type): the number itself; for
//!   dates the decimal year (`2024-02-01` is 2024 + 31/366 = 2024.0847, so times are
//!   ordered and evenly spaced on an axis); for text the rank (0, 1, 2, ...) in sorted
//!   order. `time_label` holds the time as written in the file.
//! * Values must be numbers >= 0 and finite; a time whose values are all zero gets a row of
//!   undefined metrics (NaN, empty Nakamoto); a file whose values are all zero is an error.
//! * Times and entities are grouped by their text (after trimming), so `1` and `1.0` are
//!   two different times.
//! * Common ownership ([`add_common_ownership`]): with an owners table (`investor, firm,
//!   fraction[, control]`, [`read_owners_csv`]) the table gains `mhhi` and `delta_mhhi`.
//! * With a group column ([`measure_grouped_csv`]) the same rows are measured by entity
//!   and by group (e.g. operators and the providers they run keys for), with Nakamoto
//!   coefficients at 1/3, 1/2 and 2/3 for both.
//! * Line numbers in messages count physical lines of the file with the header as line 1,
//!   i.e. the row number a spreadsheet shows for an ordinary file, whatever the line
//!   endings (LF or CRLF): they are counted from the byte offset of each record.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use indexmap::IndexSet;
use thiserror::Error;

use crate::io::{Column, Table};
use crate::metrics::LayerMetrics;
use crate::metrics::{MetricColumns, MetricOptions, MetricsError, concentration};

/// What to read from the CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasureOptions {
    /// Column holding the values (stake, wealth, market share, …).
    pub value: String,
    /// Column naming the holder; rows of the same holder (and time) are summed.
    pub entity: Option<String>,
    /// Column holding the time; one row of metrics per distinct time.
    pub time: Option<String>,
    /// k of the `top{k}_share` column.
    pub top_k: usize,
    /// Entities to leave out (e.g. an `Other` row that aggregates unidentified holders).
    /// Requires `entity`.
    pub exclude: Vec<String>,
}

impl MeasureOptions {
    /// Options for a value column, no entity or time column, top_k = 3.
    pub fn new(value: impl Into<String>) -> Self {
        MeasureOptions {
            value: value.into(),
            entity: None,
            time: None,
            top_k: MetricOptions::default().top_k,
            exclude: Vec::new(),
        }
    }
}

/// What the times of a time column are (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeKind {
    /// Every time is a number; `time` is that number.
    Number,
    /// Every time is an ISO 8601 date or date-time; `time` is the decimal year.
    Date,
    /// Anything else; `time` is the rank in lexicographic order.
    Text,
}

impl TimeKind {
    /// The kind in words (`number`, `date`, `text`): `time_kind` in a measurement's
    /// `summary.json`, and its report.
    pub fn name(self) -> &'static str {
        match self {
            TimeKind::Number => "number",
            TimeKind::Date => "date",
            TimeKind::Text => "text",
        }
    }
}

/// An ISO 8601 date or date-time as a decimal year: the year plus the elapsed fraction of
/// it (`2024-01-01` is 2024.0, `2024-07-02` is 2024.5). `None` if `s` is not one.
pub fn decimal_year(s: &str) -> Option<f64> {
    use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
    let t = s.trim();
    let t = t.strip_suffix('Z').unwrap_or(t);
    let dt = NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .or_else(|| {
            [
                "%Y-%m-%dT%H:%M:%S",
                "%Y-%m-%dT%H:%M",
                "%Y-%m-%d %H:%M:%S",
                "%Y-%m-%d %H:%M",
                "%Y-%m-%dT%H:%M:%S%.f",
            ]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
        })?;
    let year = dt.year();
    let days = if NaiveDate::from_ymd_opt(year, 12, 31)?.ordinal() == 366 {
        366.0
    } else {
        365.0
    };
    let seconds = dt.num_seconds_from_midnight() as f64 + dt.nanosecond() as f64 * 1e-9;
    Some(year as f64 + (dt.ordinal0() as f64 + seconds / 86_400.0) / days)
}

/// The result of `measure`.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// Columns: `time` (F64, see the module documentation) and `time_label` (Str, as
    /// written) when a time column was given, `n_entities` (U64), then the
    /// [`MetricColumns`] with an empty suffix.
    pub table: Table,
    /// The last time's distribution (entity, value), sorted by value descending (ties by
    /// entity name).
    pub final_values: Vec<(String, f64)>,
    /// The distinct times as written in the file, in table order (empty without a time
    /// column).
    pub times: Vec<String>,
    /// Every time's distribution (entity, value) in first-seen order, in table order (one
    /// entry without a time column). Used by [`add_common_ownership`].
    pub distributions: Vec<Vec<(String, f64)>>,
    /// What the times are (`None` without a time column).
    pub time_kind: Option<TimeKind>,
    /// Without an entity, time or group column each row is its own holder: the rows'
    /// values are kept as numbers ([`RowValues`], 8 bytes a row) and `final_values` and
    /// `distributions` are left empty, so that a large file is not held as strings (issue
    /// 15 item 2: 15 times the file). Read the holders through
    /// [`Measurement::named_final_values`], [`Measurement::final_numbers`] and
    /// [`Measurement::top_holders`], which serve both forms.
    pub rows: Option<RowValues>,
}

/// The values of a file whose rows are the holders, in file order, with the lines they
/// are on: the holder of row `i` is named `line {line(i)}`, as the string form would name
/// it. Lines are stored only where they do not follow the previous row's (blank lines,
/// quoted newlines), so memory is 8 bytes a row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RowValues {
    /// The values, in file order.
    pub values: Vec<f64>,
    /// (row, line) where row's line is not the previous row's + 1, ascending by row.
    jumps: Vec<(usize, u64)>,
}

impl RowValues {
    fn push(&mut self, value: f64, line: u64) {
        let row = self.values.len();
        if row == 0 || self.line(row - 1) + 1 != line {
            self.jumps.push((row, line));
        }
        self.values.push(value);
    }

    /// The file line of row `i` (header = line 1).
    pub fn line(&self, i: usize) -> u64 {
        let k = self.jumps.partition_point(|&(r, _)| r <= i);
        let (r, l) = self.jumps[k - 1];
        l + (i - r) as u64
    }

    /// The holder name of row `i`: `line N`.
    pub fn name(&self, i: usize) -> String {
        format!("line {}", self.line(i))
    }

    /// Order of the holders: value descending, ties by name (as the string form sorts).
    fn cmp_rows(&self, a: usize, b: usize) -> std::cmp::Ordering {
        self.values[b]
            .total_cmp(&self.values[a])
            .then_with(|| self.name(a).cmp(&self.name(b)))
    }
}

/// One of the largest holders at the latest time.
#[derive(Debug, Clone, PartialEq)]
pub struct Holder {
    /// 1 for the largest.
    pub rank: usize,
    /// The holder's name (the entity column's text, or `line N` without one).
    pub entity: String,
    /// Its value at that time, summed over its rows, in the value column's unit.
    pub value: f64,
    /// value / total of all holders at that time.
    pub share: f64,
}

impl Measurement {
    /// The `n` largest holders at the latest time (ties by name), with their shares.
    pub fn top_holders(&self, n: usize) -> Vec<Holder> {
        let holder = |i: usize, entity: String, value: f64, total: f64| Holder {
            rank: i + 1,
            entity,
            value,
            share: if total > 0.0 { value / total } else { f64::NAN },
        };
        if let Some(rows) = &self.rows {
            // The n best rows in one pass (the file's rows are not sorted as a whole).
            // The total summed largest first, as the string form sums its sorted list, so
            // that shares are the same to the last bit.
            let mut sorted = rows.values.clone();
            sorted.sort_unstable_by(|a, b| b.total_cmp(a));
            let total: f64 = sorted.iter().sum();
            drop(sorted);
            let mut best: Vec<usize> = Vec::with_capacity(n + 1);
            for i in 0..rows.values.len() {
                if best.len() == n
                    && best
                        .last()
                        .is_none_or(|&w| rows.cmp_rows(i, w) != std::cmp::Ordering::Less)
                {
                    continue;
                }
                let at = best.partition_point(|&b| rows.cmp_rows(b, i) == std::cmp::Ordering::Less);
                best.insert(at, i);
                best.truncate(n);
            }
            return best
                .into_iter()
                .enumerate()
                .map(|(k, i)| holder(k, rows.name(i), rows.values[i], total))
                .collect();
        }
        let total: f64 = self.final_values.iter().map(|(_, v)| v).sum();
        self.final_values
            .iter()
            .take(n)
            .enumerate()
            .map(|(i, (e, v))| holder(i, e.clone(), *v, total))
            .collect()
    }

    /// The values of the latest time's holders (in no particular order): for the Lorenz
    /// curve and other pictures of the whole distribution.
    pub fn final_numbers(&self) -> Vec<f64> {
        match &self.rows {
            Some(rows) => rows.values.clone(),
            None => self.final_values.iter().map(|(_, v)| *v).collect(),
        }
    }

    /// How many holders the latest time has.
    pub fn final_count(&self) -> usize {
        self.rows
            .as_ref()
            .map_or(self.final_values.len(), |r| r.values.len())
    }

    /// The latest time's distribution (entity, value), sorted by value descending (ties by
    /// name): `final_values`, or made from [`Measurement::rows`] (a string per row: for
    /// small data, e.g. a Python caller asking for the list).
    pub fn named_final_values(&self) -> std::borrow::Cow<'_, [(String, f64)]> {
        match &self.rows {
            None => std::borrow::Cow::Borrowed(&self.final_values),
            Some(rows) => {
                let mut order: Vec<usize> = (0..rows.values.len()).collect();
                order.sort_by(|&a, &b| rows.cmp_rows(a, b));
                std::borrow::Cow::Owned(
                    order
                        .into_iter()
                        .map(|i| (rows.name(i), rows.values[i]))
                        .collect(),
                )
            }
        }
    }
}

/// A reader that remembers where its newlines are, so that a record's byte offset can be
/// turned into a line number (the CSV reader's own line count is off by one per record
/// with CRLF endings). Only the newlines not yet asked about are kept: memory stays
/// bounded by the CSV reader's read-ahead.
struct LineCounter<R> {
    inner: R,
    offset: u64,
    state: Rc<RefCell<Lines>>,
}

#[derive(Default)]
struct Lines {
    /// Offsets of line-ending bytes (`\r` or `\n`, with whether it is `\n`) not yet
    /// passed, ascending.
    pending: VecDeque<(u64, bool)>,
    /// Newlines before the last offset asked about.
    counted: u64,
}

impl Lines {
    /// 1-based line of the record that starts at byte `offset` (offsets asked in
    /// ascending order). The CSV reader may place a record's start on the line ending
    /// before it (the `\n` of a CRLF, a skipped blank line): line-ending bytes at the
    /// offset are stepped over first.
    fn line_at(&mut self, mut offset: u64) -> u64 {
        loop {
            match self.pending.front().copied() {
                Some((o, nl)) if o < offset => {
                    self.pending.pop_front();
                    self.counted += u64::from(nl);
                }
                Some((o, nl)) if o == offset => {
                    self.pending.pop_front();
                    self.counted += u64::from(nl);
                    offset += 1;
                }
                _ => break,
            }
        }
        self.counted + 1
    }
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut st = self.state.borrow_mut();
        for (i, &b) in buf[..n].iter().enumerate() {
            if b == b'\n' || b == b'\r' {
                st.pending.push_back((self.offset + i as u64, b == b'\n'));
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// A CSV table as `measure` reads it: a header row (fields trimmed, a BOM ignored), data
/// rows with as many fields as the header, blank lines skipped, and every error naming
/// the file and the physical line ([`LineCounter`], right for LF and CRLF endings). The
/// one reader of the data file and the owners file.
struct CsvRows<'a, R> {
    rdr: csv::Reader<LineCounter<R>>,
    lines: Rc<RefCell<Lines>>,
    headers: Vec<String>,
    source_name: &'a str,
}

impl<'a, R: Read> CsvRows<'a, R> {
    /// Read the header row; an empty file is [`MeasureError::EmptyFile`].
    fn open(reader: R, source_name: &'a str) -> Result<Self, MeasureError> {
        let lines = Rc::new(RefCell::new(Lines::default()));
        let mut rows = CsvRows {
            rdr: csv::ReaderBuilder::new()
                .has_headers(true)
                .trim(csv::Trim::All)
                .flexible(true)
                .from_reader(LineCounter {
                    inner: reader,
                    offset: 0,
                    state: lines.clone(),
                }),
            lines,
            headers: Vec::new(),
            source_name,
        };
        let headers = match rows.rdr.headers() {
            Ok(h) => h
                .iter()
                .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
                .collect::<Vec<_>>(),
            Err(e) => return Err(rows.error(e)),
        };
        if headers.is_empty() || (headers.len() == 1 && headers[0].is_empty()) {
            return Err(MeasureError::EmptyFile {
                source_name: source_name.to_string(),
            });
        }
        rows.headers = headers;
        Ok(rows)
    }

    /// The index of column `name`, or [`MeasureError::MissingColumn`] listing the columns.
    fn column(&self, name: &str) -> Result<usize, MeasureError> {
        self.headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| MeasureError::MissingColumn {
                source_name: self.source_name.to_string(),
                column: name.to_string(),
                available: self.headers.clone(),
            })
    }

    /// The next data row into `record`, with its line number; `None` at the end.
    fn next(&mut self, record: &mut csv::StringRecord) -> Result<Option<u64>, MeasureError> {
        loop {
            match self.rdr.read_record(record) {
                Ok(false) => return Ok(None),
                Ok(true) => {}
                Err(e) => return Err(self.error(e)),
            }
            let line = self.line_of(record.position());
            // A line of whitespace only is not a data row.
            if record.len() == 1 && record[0].is_empty() && self.headers.len() > 1 {
                continue;
            }
            if record.len() != self.headers.len() {
                return Err(MeasureError::Malformed {
                    source_name: self.source_name.to_string(),
                    line,
                    message: format!(
                        "{} fields where the header has {}",
                        record.len(),
                        self.headers.len()
                    ),
                });
            }
            return Ok(Some(line));
        }
    }

    fn line_of(&self, pos: Option<&csv::Position>) -> u64 {
        pos.map_or(0, |p| self.lines.borrow_mut().line_at(p.byte()))
    }

    fn error(&self, e: csv::Error) -> MeasureError {
        if e.is_io_error() {
            return MeasureError::Unreadable {
                source_name: self.source_name.to_string(),
                message: e.to_string(),
            };
        }
        MeasureError::Malformed {
            source_name: self.source_name.to_string(),
            line: self.line_of(e.position()),
            message: match e.kind() {
                csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".to_string(),
                _ => e.to_string(),
            },
        }
    }
}

/// Why `measure` failed. Every message is one line and names the file.
#[derive(Debug, Error)]
pub enum MeasureError {
    /// The path does not exist.
    #[error("{}: file not found", path.display())]
    NotFound {
        /// The path as given.
        path: PathBuf,
    },
    /// The file exists but cannot be read (permissions, not a regular file, an I/O error),
    /// or in-memory columns have different lengths.
    #[error("{source_name}: cannot read the file: {message}")]
    Unreadable {
        /// The name of the file (or in-memory data) the error is about, as given.
        source_name: String,
        /// What went wrong, from the operating system or the CSV reader.
        message: String,
    },
    /// Not even a header line.
    #[error("{source_name}: the file is empty (no header line)")]
    EmptyFile {
        /// The name of the file (or in-memory data) the error is about, as given.
        source_name: String,
    },
    /// A header but no data rows (blank lines do not count).
    #[error("{source_name}: no data rows after the header")]
    NoDataRows {
        /// The name of the file (or in-memory data) the error is about, as given.
        source_name: String,
    },
    /// Not CSV: a row with more or fewer fields than the header, text that is not UTF-8.
    #[error("{source_name}: not valid CSV at line {line}: {message}")]
    Malformed {
        /// The name of the file (or in-memory data) the error is about, as given.
        source_name: String,
        /// The physical line of the file, the header being line 1 (LF or CRLF endings).
        line: u64,
        /// What is wrong with it.
        message: String,
    },
    /// A column named in the options (or required in an owners file) is not in the header.
    #[error("{source_name}: no column \"{column}\" (the columns are: {})", available.join(", "))]
    MissingColumn {
        /// The name of the file (or in-memory data) the error is about, as given.
        source_name: String,
        /// The column asked for.
        column: String,
        /// The header's columns, in order, so that a typo is easy to see.
        available: Vec<String>,
    },
    /// A value (or an ownership fraction) in the file does not parse as a number.
    #[error(
        "{source_name}, line {line} (header = line 1): column \"{column}\" holds \"{value}\", which is not a number"
    )]
    NotNumeric {
        /// The name of the file (or in-memory data) the error is about, as given.
        source_name: String,
        /// The physical line of the file, the header being line 1 (LF or CRLF endings).
        line: u64,
        /// The column's name in the header.
        column: String,
        /// The text found, as written (trimmed).
        value: String,
    },
    /// A value in the file is negative, infinite or NaN: shares need finite values >= 0
    /// (DESIGN.md §6).
    #[error(
        "{source_name}, line {line} (header = line 1): column \"{column}\" holds {value}; values must be finite and >= 0"
    )]
    InvalidValue {
        /// The name of the file (or in-memory data) the error is about, as given.
        source_name: String,
        /// The physical line of the file, the header being line 1 (LF or CRLF endings).
        line: u64,
        /// The column's name in the header.
        column: String,
        /// The number found.
        value: f64,
    },
    /// [`NotNumeric`](Self::NotNumeric) for in-memory columns ([`measure_columns`]):
    /// a missing value, or text that does not parse.
    #[error("{source_name}, row {row}: column \"{column}\" holds {value}, which is not a number")]
    NotNumericRow {
        /// The name of the file (or in-memory data) the error is about, as given.
        source_name: String,
        /// The row, numbered from 0.
        row: u64,
        /// The value column's name.
        column: String,
        /// What was found, ready for the message (`"text"` in quotes, or `a missing
        /// value`).
        value: String,
    },
    /// [`InvalidValue`](Self::InvalidValue) for in-memory columns ([`measure_columns`]).
    #[error(
        "{source_name}, row {row}: column \"{column}\" holds {value}; values must be finite and >= 0"
    )]
    InvalidRowValue {
        /// The name of the file (or in-memory data) the error is about, as given.
        source_name: String,
        /// The row, numbered from 0.
        row: u64,
        /// The value column's name.
        column: String,
        /// The number found.
        value: f64,
    },
    /// Every value (after exclusions) is zero, at every time: no share is defined.
    #[error("{source_name}: all values in column \"{column}\" are zero; shares are undefined")]
    AllZero {
        /// The name of the file (or in-memory data) the error is about, as given.
        source_name: String,
        /// The value column.
        column: String,
    },
    /// An owners-file fraction or control outside [0, 1].
    #[error(
        "{source_name}, line {line} (header = line 1): column \"{column}\" holds {value}; ownership and control fractions must be in [0, 1]"
    )]
    FractionOutOfRange {
        /// The owners file's name, as given.
        source_name: String,
        /// The physical line of the file, the header being line 1 (LF or CRLF endings).
        line: u64,
        /// `fraction` or `control`.
        column: String,
        /// The number found.
        value: f64,
    },
    /// The fractions (or controls) of one firm sum to more than 1 (beyond
    /// [`crate::metrics::ownership::SUM_TOLERANCE`]): more than the whole firm is owned.
    #[error(
        "{source_name}: the \"{column}\" fractions of firm \"{firm}\" sum to {total}, more than 1 (lines {})",
        lines.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
    )]
    OwnedAboveOne {
        /// The owners file's name, as given.
        source_name: String,
        /// The firm.
        firm: String,
        /// `fraction` or `control`.
        column: String,
        /// Their sum.
        total: f64,
        /// The lines of the firm's rows (header = line 1), to find them in the file.
        lines: Vec<u64>,
    },
    /// A firm with a market share has no owner with a positive fraction and control: its
    /// O'Brien–Salop weights are undefined.
    #[error(
        "{owners_name}: firm \"{firm}\" of {source_name}{} has no owners (no row with a positive fraction and control); every firm with a market share needs at least one",
        time.as_ref().map(|t| format!(" (time {t})")).unwrap_or_default()
    )]
    FirmWithoutOwners {
        /// The market-shares file's name.
        source_name: String,
        /// The owners file's name.
        owners_name: String,
        /// The firm without owners.
        firm: String,
        /// The time as written, when the file has a time column.
        time: Option<String>,
    },
    /// Common ownership was asked without an entity column: nothing names the firms.
    #[error(
        "{source_name}: common ownership needs an entity column (--entity) naming the firms of the owners file"
    )]
    OwnersNeedEntity {
        /// The name of the file (or in-memory data) the error is about, as given.
        source_name: String,
    },
    /// The common-ownership computation rejected the data at one time.
    #[error("{source_name}{}: {error}", time.as_ref().map(|t| format!(", time {t}")).unwrap_or_default())]
    Ownership {
        /// The name of the file (or in-memory data) the error is about, as given.
        source_name: String,
        /// The time as written, when the file has a time column.
        time: Option<String>,
        /// Why.
        error: crate::metrics::ownership::OwnershipError,
    },
    /// A group column was given without an entity column: grouping needs holders to group.
    #[error("{source_name}: grouping (--group) needs an entity column (--entity)")]
    GroupWithoutEntity {
        /// The name of the file (or in-memory data) the error is about, as given.
        source_name: String,
    },
    /// A metric could not be computed at one time.
    #[error("{source_name}{}: {error}", time.as_ref().map(|t| format!(", time {t}")).unwrap_or_default())]
    Metrics {
        /// The name of the file (or in-memory data) the error is about, as given.
        source_name: String,
        /// The time as written, when the file has a time column.
        time: Option<String>,
        /// Why.
        error: MetricsError,
    },
}

/// Measure a CSV file. See the module documentation for the rules.
pub fn measure_csv(path: &Path, opts: &MeasureOptions) -> Result<Measurement, MeasureError> {
    let source_name = path.display().to_string();
    // Regular files only (a device such as /dev/zero, or a FIFO, would grow memory or
    // hang); no size limit: a large table is what `measure` is for.
    let file = crate::io::input::open_regular(path, u64::MAX).map_err(|e| {
        if e.is_not_found() {
            MeasureError::NotFound {
                path: path.to_path_buf(),
            }
        } else {
            MeasureError::Unreadable {
                source_name: source_name.clone(),
                message: e.to_string(),
            }
        }
    })?;
    measure_reader(file, &source_name, opts)
}

/// Measure CSV text from any reader; `source_name` is used in error messages.
pub fn measure_reader<R: Read>(
    reader: R,
    source_name: &str,
    opts: &MeasureOptions,
) -> Result<Measurement, MeasureError> {
    measure_reader_by(reader, source_name, opts, None, false)
}

/// [`measure_reader`] with a group column (`group`, e.g. the provider an operator runs keys
/// for): a row is left out if its entity or its group is excluded, and with `by_group` the
/// holders are the groups (rows of one group and time are summed) instead of the
/// entities.
pub fn measure_reader_by<R: Read>(
    reader: R,
    source_name: &str,
    opts: &MeasureOptions,
    group: Option<&str>,
    by_group: bool,
) -> Result<Measurement, MeasureError> {
    let src = || source_name.to_string();
    let mut rows = CsvRows::open(reader, source_name)?;
    let value_col = rows.column(&opts.value)?;
    let entity_col = opts.entity.as_deref().map(|c| rows.column(c)).transpose()?;
    let time_col = opts.time.as_deref().map(|c| rows.column(c)).transpose()?;
    let group_col = group.map(|c| rows.column(c)).transpose()?;
    let mut record = csv::StringRecord::new();
    let parse = |raw: &str, line: u64| -> Result<f64, MeasureError> {
        let value: f64 = raw.parse().map_err(|_| MeasureError::NotNumeric {
            source_name: src(),
            line,
            column: opts.value.clone(),
            value: raw.to_string(),
        })?;
        if !(value.is_finite() && value >= 0.0) {
            return Err(MeasureError::InvalidValue {
                source_name: src(),
                line,
                column: opts.value.clone(),
                value,
            });
        }
        Ok(value)
    };

    if entity_col.is_none() && time_col.is_none() && group_col.is_none() {
        // Each row is its own holder: only the value column is kept (8 bytes a row).
        let mut values = RowValues::default();
        while let Some(line) = rows.next(&mut record)? {
            values.push(parse(record.get(value_col).unwrap_or(""), line)?, line);
        }
        return measure_rows(values, source_name, opts);
    }

    let mut acc = Accumulator::new(source_name, opts);
    acc.by_group = by_group;
    while let Some(line) = rows.next(&mut record)? {
        let value = parse(record.get(value_col).unwrap_or(""), line)?;
        let time = time_col.map_or("", |c| record.get(c).unwrap_or(""));
        let named;
        let entity = match entity_col {
            Some(c) => record.get(c).unwrap_or(""),
            None => {
                named = format!("line {line}");
                &named
            }
        };
        let group = group_col.map(|c| record.get(c).unwrap_or(""));
        acc.add(value, entity, group, time);
    }
    acc.finish()
}

/// The measurement of a file whose rows are its holders (no entity, time or group
/// column): the same table as the accumulator's, the holders kept as [`RowValues`].
fn measure_rows(
    rows: RowValues,
    source_name: &str,
    opts: &MeasureOptions,
) -> Result<Measurement, MeasureError> {
    if rows.values.is_empty() {
        return Err(MeasureError::NoDataRows {
            source_name: source_name.to_string(),
        });
    }
    if !rows.values.iter().any(|&v| v > 0.0) {
        return Err(MeasureError::AllZero {
            source_name: source_name.to_string(),
            column: opts.value.clone(),
        });
    }
    let metric_opts = MetricOptions {
        top_k: opts.top_k,
        hill_k: None,
    };
    let mut cols = MetricColumns::new(opts.top_k);
    match concentration(&rows.values, &metric_opts) {
        Ok(c) => cols.push(&c),
        Err(error) => {
            return Err(MeasureError::Metrics {
                source_name: source_name.to_string(),
                time: None,
                error,
            });
        }
    }
    let mut table = Table::new();
    table.push("n_entities", Column::U64(vec![rows.values.len() as u64]));
    for (name, column) in cols.into_columns("") {
        table.push(name, column);
    }
    Ok(Measurement {
        table,
        final_values: Vec::new(),
        times: Vec::new(),
        distributions: Vec::new(),
        time_kind: None,
        rows: Some(rows),
    })
}

/// The values of one column of a data frame (or any columnar table), row by row.
#[derive(Debug, Clone, Copy)]
pub enum ValueColumn<'a> {
    /// Numbers (`None` = a missing value, an error).
    Numbers(&'a [Option<f64>]),
    /// Text, parsed as the CSV reader parses a cell (`None` = a missing value, an error).
    Text(&'a [Option<String>]),
}

impl ValueColumn<'_> {
    fn len(&self) -> usize {
        match self {
            ValueColumn::Numbers(v) => v.len(),
            ValueColumn::Text(v) => v.len(),
        }
    }
}

/// Measure columns already in memory (a pandas or polars DataFrame, an Arrow table): the
/// same rules and results as [`measure_reader`] on the same data written as CSV, with rows
/// numbered from 0 in messages and, without an entity column, holders named `row N`.
/// Entities and times are given as text (missing ones as empty text), as a CSV holds them.
pub fn measure_columns(
    source_name: &str,
    value: ValueColumn<'_>,
    entity: Option<&[String]>,
    time: Option<&[String]>,
    opts: &MeasureOptions,
) -> Result<Measurement, MeasureError> {
    let rows = value.len();
    for (name, len) in [
        ("entity", entity.map(<[String]>::len)),
        ("time", time.map(<[String]>::len)),
    ] {
        if let Some(len) = len
            && len != rows
        {
            return Err(MeasureError::Unreadable {
                source_name: source_name.to_string(),
                message: format!("the {name} column has {len} rows and the value column {rows}"),
            });
        }
    }
    let mut acc = Accumulator::new(source_name, opts);
    acc.time_given = time.is_some();
    for i in 0..rows {
        let bad = |shown: String| MeasureError::NotNumericRow {
            source_name: source_name.to_string(),
            row: i as u64,
            column: opts.value.clone(),
            value: shown,
        };
        let v = match value {
            ValueColumn::Numbers(v) => v[i].ok_or_else(|| bad("a missing value".into()))?,
            ValueColumn::Text(v) => match &v[i] {
                None => return Err(bad("a missing value".into())),
                Some(t) => t.trim().parse().map_err(|_| bad(format!("\"{t}\"")))?,
            },
        };
        if !(v.is_finite() && v >= 0.0) {
            return Err(MeasureError::InvalidRowValue {
                source_name: source_name.to_string(),
                row: i as u64,
                column: opts.value.clone(),
                value: v,
            });
        }
        let t = time.map_or("", |t| t[i].trim());
        let named;
        let e = match entity {
            Some(e) => e[i].trim(),
            None => {
                named = format!("row {i}");
                &named
            }
        };
        acc.add(v, e, None, t);
    }
    acc.finish()
}

/// Rows grouped by time and entity, then the metrics per time: the part of `measure` that
/// does not depend on where the rows come from.
struct Accumulator<'a> {
    source_name: &'a str,
    opts: &'a MeasureOptions,
    /// Whether a time column was given (a `time` column in the result).
    time_given: bool,
    /// Whether the holders are the groups (see [`measure_reader_by`]).
    by_group: bool,
    // time -> slot; slots of (entity, summed value), times in first-seen order.
    time_index: HashMap<String, usize>,
    slices: Vec<Slice>,
    any_positive: bool,
    rows: usize,
}

impl<'a> Accumulator<'a> {
    fn new(source_name: &'a str, opts: &'a MeasureOptions) -> Self {
        Accumulator {
            source_name,
            opts,
            time_given: opts.time.is_some(),
            by_group: false,
            time_index: HashMap::new(),
            slices: Vec::new(),
            any_positive: false,
            rows: 0,
        }
    }

    /// One data row with a valid value (finite, >= 0), its holder and, with a group
    /// column, its group. A row is left out if its entity or its group is excluded.
    ///
    /// Borrowed text: a name is copied only the first time its slice sees it.
    fn add(&mut self, value: f64, entity: &str, group: Option<&str>, time: &str) {
        self.rows += 1;
        if self.opts.entity.is_some() && self.opts.exclude.iter().any(|x| x == entity) {
            return;
        }
        let entity = match group {
            Some(g) if self.opts.exclude.iter().any(|x| x == g) => return,
            Some(g) if self.by_group => g,
            _ => entity,
        };
        self.any_positive |= value > 0.0;
        let t = match self.time_index.get(time) {
            Some(&t) => t,
            None => {
                self.slices.push(Slice::new(time.to_string()));
                self.time_index
                    .insert(time.to_string(), self.slices.len() - 1);
                self.slices.len() - 1
            }
        };
        self.slices[t].add(entity, value);
    }

    fn finish(self) -> Result<Measurement, MeasureError> {
        let src = || self.source_name.to_string();
        let opts = self.opts;
        let slices = self.slices;
        let time_col = self.time_given.then_some(());
        if self.rows == 0 {
            return Err(MeasureError::NoDataRows { source_name: src() });
        }
        if !self.any_positive {
            return Err(MeasureError::AllZero {
                source_name: src(),
                column: opts.value.clone(),
            });
        }
        // Order the times: numbers, else dates, else text.
        let (time_kind, numeric): (Option<TimeKind>, Option<Vec<f64>>) = if time_col.is_some() {
            let numbers: Option<Vec<f64>> = slices
                .iter()
                .map(|s| s.time.parse::<f64>().ok().filter(|t| t.is_finite()))
                .collect();
            match numbers {
                Some(t) => (Some(TimeKind::Number), Some(t)),
                None => match slices.iter().map(|s| decimal_year(&s.time)).collect() {
                    Some(t) => (Some(TimeKind::Date), Some(t)),
                    None => (Some(TimeKind::Text), None),
                },
            }
        } else {
            (None, None)
        };
        let mut order: Vec<usize> = (0..slices.len()).collect();
        match &numeric {
            Some(t) => order.sort_by(|&a, &b| {
                t[a].total_cmp(&t[b])
                    .then_with(|| slices[a].time.cmp(&slices[b].time))
            }),
            None => order.sort_by(|&a, &b| slices[a].time.cmp(&slices[b].time)),
        }

        let metric_opts = MetricOptions {
            top_k: opts.top_k,
            hill_k: None,
        };
        let mut cols = MetricColumns::new(opts.top_k);
        let mut n_entities = Vec::with_capacity(order.len());
        for &i in &order {
            let s = &slices[i];
            n_entities.push(s.values.len() as u64);
            match concentration(&s.values, &metric_opts) {
                Ok(c) => cols.push(&c),
                Err(MetricsError::ZeroTotal) => cols.push_undefined(0.0),
                Err(error) => {
                    return Err(MeasureError::Metrics {
                        source_name: src(),
                        time: time_col.map(|_| s.time.clone()),
                        error,
                    });
                }
            }
        }

        let mut table = Table::new();
        if time_col.is_some() {
            let time = match &numeric {
                Some(t) => order.iter().map(|&i| t[i]).collect(),
                None => (0..order.len()).map(|r| r as f64).collect(),
            };
            table.push("time", Column::F64(time));
            table.push(
                "time_label",
                Column::Str(order.iter().map(|&i| slices[i].time.clone()).collect()),
            );
        }
        table.push("n_entities", Column::U64(n_entities));
        for (name, column) in cols.into_columns("") {
            table.push(name, column);
        }

        let times = if time_col.is_some() {
            order.iter().map(|&i| slices[i].time.clone()).collect()
        } else {
            Vec::new()
        };
        // The slices move into the distributions (names are not copied again); only the
        // last time's are copied once more, sorted, as `final_values`.
        let mut slices: Vec<Option<Slice>> = slices.into_iter().map(Some).collect();
        let distributions: Vec<Vec<(String, f64)>> = order
            .iter()
            .map(|&i| slices[i].take().expect("each slice once").into_pairs())
            .collect();
        let mut final_values = distributions.last().expect("at least one row").clone();
        final_values.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(Measurement {
            table,
            final_values,
            times,
            distributions,
            time_kind,
            rows: None,
        })
    }
}

/// The holders at one time, in first-seen order, with their summed values. Each name is
/// stored once (the set is both the order and the index; `values[i]` is the holder
/// `entities[i]`'s), about 100 bytes a holder with a short name, where a map from name to
/// slot beside a list of names held it twice (1.45 GB for 5 million holders, a 124 MB CSV).
struct Slice {
    time: String,
    entities: IndexSet<Box<str>>,
    values: Vec<f64>,
}

impl Slice {
    fn new(time: String) -> Self {
        Slice {
            time,
            entities: IndexSet::new(),
            values: Vec::new(),
        }
    }

    fn add(&mut self, entity: &str, value: f64) {
        match self.entities.get_index_of(entity) {
            Some(i) => self.values[i] += value,
            None => {
                self.entities.insert(entity.into());
                self.values.push(value);
            }
        }
    }

    /// (entity, value) in first-seen order; the names move (`Box<str>` into `String`
    /// without copying).
    fn into_pairs(self) -> Vec<(String, f64)> {
        self.entities
            .into_iter()
            .map(String::from)
            .zip(self.values)
            .collect()
    }
}

// --- common ownership: the owners table and MHHI -------------------------------------

/// One row of an owners table: `investor` owns `fraction` of `firm` (and holds `control`
/// of its votes; equal to `fraction` unless the file has a `control` column).
#[derive(Debug, Clone, PartialEq)]
pub struct OwnerRow {
    /// Who owns (an index fund, a family), as written.
    pub investor: String,
    /// The firm owned; matches an entity of the market-shares file.
    pub firm: String,
    /// β: the investor's share of the firm's profits (cash-flow rights), in [0, 1]; the
    /// ownership weight of the modified HHI ([`crate::metrics::ownership`]).
    pub fraction: f64,
    /// γ: the investor's share of control of the firm, in [0, 1]; the control weight of
    /// the modified HHI. Equal to `fraction` when the file has no `control` column.
    pub control: f64,
    /// The line of the file (header = line 1).
    pub line: u64,
}

/// An owners table (`investor, firm, fraction[, control]`), validated: fractions in
/// [0, 1], and per firm the fractions (and the controls) sum to at most 1 (+1e-9).
#[derive(Debug, Clone, PartialEq)]
pub struct Owners {
    /// The file name used in messages.
    pub source_name: String,
    /// The rows in file order.
    pub rows: Vec<OwnerRow>,
    /// Whether the file had a `control` column.
    pub has_control: bool,
}

/// Read an owners CSV file (see [`read_owners_reader`]).
pub fn read_owners_csv(path: &Path) -> Result<Owners, MeasureError> {
    let source_name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => MeasureError::NotFound {
            path: path.to_path_buf(),
        },
        _ => MeasureError::Unreadable {
            source_name: source_name.clone(),
            message: e.to_string(),
        },
    })?;
    read_owners_reader(file, &source_name)
}

/// Read an owners table from CSV text: columns `investor`, `firm`, `fraction` and
/// optionally `control` (other columns are ignored), the same CSV conventions as
/// [`measure_reader`] (header row, fields trimmed, a BOM ignored, blank lines skipped).
/// Errors name the file, the line and the column.
pub fn read_owners_reader<R: Read>(reader: R, source_name: &str) -> Result<Owners, MeasureError> {
    let src = || source_name.to_string();
    let mut csv_rows = CsvRows::open(reader, source_name)?;
    let investor_col = csv_rows.column("investor")?;
    let firm_col = csv_rows.column("firm")?;
    let fraction_col = csv_rows.column("fraction")?;
    let control_col = csv_rows.column("control").ok();

    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    while let Some(line) = csv_rows.next(&mut record)? {
        let number = |col: usize, column: &str| -> Result<f64, MeasureError> {
            let raw = record.get(col).unwrap_or("");
            let value: f64 = raw.parse().map_err(|_| MeasureError::NotNumeric {
                source_name: src(),
                line,
                column: column.to_string(),
                value: raw.to_string(),
            })?;
            if !(0.0..=1.0).contains(&value) {
                return Err(MeasureError::FractionOutOfRange {
                    source_name: src(),
                    line,
                    column: column.to_string(),
                    value,
                });
            }
            Ok(value)
        };
        let fraction = number(fraction_col, "fraction")?;
        let control = match control_col {
            Some(c) => number(c, "control")?,
            None => fraction,
        };
        rows.push(OwnerRow {
            investor: record.get(investor_col).unwrap_or("").to_string(),
            firm: record.get(firm_col).unwrap_or("").to_string(),
            fraction,
            control,
            line,
        });
    }
    if rows.is_empty() {
        return Err(MeasureError::NoDataRows { source_name: src() });
    }
    // Per firm, fractions and controls sum to at most 1 (in first-seen firm order).
    let mut firms: Vec<&str> = Vec::new();
    let mut totals: HashMap<&str, (f64, f64, Vec<u64>)> = HashMap::new();
    for r in &rows {
        let e = totals.entry(r.firm.as_str()).or_insert_with(|| {
            firms.push(r.firm.as_str());
            (0.0, 0.0, Vec::new())
        });
        e.0 += r.fraction;
        e.1 += r.control;
        e.2.push(r.line);
    }
    for firm in firms {
        let (owned, controlled, lines) = &totals[firm];
        for (column, total) in [("fraction", *owned), ("control", *controlled)] {
            if total > 1.0 + crate::metrics::ownership::SUM_TOLERANCE {
                return Err(MeasureError::OwnedAboveOne {
                    source_name: src(),
                    firm: firm.to_string(),
                    column: column.to_string(),
                    total,
                    lines: lines.clone(),
                });
            }
        }
    }
    Ok(Owners {
        source_name: src(),
        rows,
        has_control: control_col.is_some(),
    })
}

/// Add the columns `mhhi` and `delta_mhhi` (O'Brien–Salop modified HHI and its excess over
/// the HHI, [`crate::metrics::ownership`]) to a measurement of market shares, one value per
/// time. The owners table applies to every time; rows about firms absent at a time (or
/// excluded) are ignored there. Every firm present needs an owner. `source_name` is the
/// shares file, for messages; the measurement must have been made with an entity column
/// (`opts.entity`), whose names are the owners table's `firm`s.
pub fn add_common_ownership(
    m: &mut Measurement,
    opts: &MeasureOptions,
    owners: &Owners,
    source_name: &str,
) -> Result<(), MeasureError> {
    use crate::metrics::ownership::{OwnershipError, Stake, common_ownership};
    if opts.entity.is_none() {
        return Err(MeasureError::OwnersNeedEntity {
            source_name: source_name.to_string(),
        });
    }
    let mut investors: HashMap<&str, usize> = HashMap::new();
    for r in &owners.rows {
        let n = investors.len();
        investors.entry(r.investor.as_str()).or_insert(n);
    }
    let time_of = |t: usize| m.times.get(t).cloned();
    let mut mhhi = Vec::with_capacity(m.distributions.len());
    let mut delta = Vec::with_capacity(m.distributions.len());
    for (t, dist) in m.distributions.iter().enumerate() {
        let index: HashMap<&str, usize> = dist
            .iter()
            .enumerate()
            .map(|(j, (e, _))| (e.as_str(), j))
            .collect();
        let values: Vec<f64> = dist.iter().map(|(_, v)| *v).collect();
        if values.iter().all(|&v| v == 0.0) {
            mhhi.push(f64::NAN);
            delta.push(f64::NAN);
            continue;
        }
        let stakes: Vec<Stake> = owners
            .rows
            .iter()
            .filter_map(|r| {
                index.get(r.firm.as_str()).map(|&firm| Stake {
                    investor: investors[r.investor.as_str()],
                    firm,
                    ownership: r.fraction,
                    control: r.control,
                })
            })
            .collect();
        match common_ownership(&values, &stakes) {
            Ok(c) => {
                mhhi.push(c.mhhi);
                delta.push(c.delta_mhhi);
            }
            Err(OwnershipError::FirmWithoutOwners { firm }) => {
                return Err(MeasureError::FirmWithoutOwners {
                    source_name: source_name.to_string(),
                    owners_name: owners.source_name.clone(),
                    firm: dist[firm].0.clone(),
                    time: time_of(t),
                });
            }
            Err(error) => {
                return Err(MeasureError::Ownership {
                    source_name: source_name.to_string(),
                    time: time_of(t),
                    error,
                });
            }
        }
    }
    m.table.push("mhhi", Column::F64(mhhi));
    m.table.push("delta_mhhi", Column::F64(delta));
    Ok(())
}

/// A holdings file measured twice: by entity (e.g. node operators: who holds the keys) and
/// by group (e.g. the staking providers the operators run validators for), with the
/// layered metrics (Nakamoto coefficients at 1/3, 1/2 and 2/3) of the last time of each.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupedMeasurement {
    /// The rows with the entities as holders (an entity in several groups is one holder).
    pub by_entity: Measurement,
    /// The rows with the groups as holders (rows of one group and time summed); its
    /// `n_entities` column counts groups.
    pub by_group: Measurement,
    /// The layered metrics of the entities at the last time.
    pub entity_layer: LayerMetrics,
    /// The layered metrics of the groups at the last time.
    pub group_layer: LayerMetrics,
}

impl GroupedMeasurement {
    /// Append the by-group columns to `m` (a measurement of the same rows, e.g.
    /// `by_entity`; same times, same order): `n_groups` and each metric suffixed
    /// `_by_group`.
    pub fn append_group_columns(&self, m: &mut Measurement) {
        let t = &self.by_group.table;
        for (name, col) in t.names.iter().zip(&t.columns) {
            match name.as_str() {
                "time" | "time_label" => {}
                "n_entities" => m.table.push("n_groups", col.clone()),
                _ => m.table.push(format!("{name}_by_group"), col.clone()),
            }
        }
    }

    /// Headline numbers of the layers (Nakamoto coefficients at 1/3, 1/2, 2/3 by entity
    /// and by group; the group count, top share and HHI), `group` naming the column.
    pub fn key_numbers(&self, group: &str) -> Vec<(String, String)> {
        let nc = |x: Option<usize>| x.map_or("-".to_string(), |v| v.to_string());
        let layer = |l: &LayerMetrics| {
            format!(
                "{}, {}, {}",
                nc(l.nakamoto_1_3),
                nc(l.nakamoto_1_2),
                nc(l.nakamoto_2_3)
            )
        };
        let g = &self.group_layer;
        vec![
            (
                "Nakamoto by entity (> 1/3, > 1/2, > 2/3)".to_string(),
                layer(&self.entity_layer),
            ),
            (format!("groups ({group})"), g.n.to_string()),
            (
                "top-1 group share".to_string(),
                format!("{:.4}", g.top1_share),
            ),
            (
                "HHI by group (0-10,000 scale)".to_string(),
                format!("{:.0}", g.hhi * 10_000.0),
            ),
            (
                "Nakamoto by group (> 1/3, > 1/2, > 2/3)".to_string(),
                layer(g),
            ),
        ]
    }
}

/// MHHI and ΔMHHI at the latest time on the 0–10,000 scale, for a measurement that
/// [`add_common_ownership`] extended.
pub fn ownership_key_numbers(m: &Measurement) -> Vec<(String, String)> {
    let last = |name: &str| {
        m.table
            .f64_column(name)
            .and_then(|c| c.last().copied())
            .unwrap_or(f64::NAN)
    };
    vec![
        (
            "MHHI (0-10,000)".to_string(),
            format!("{:.0}", last("mhhi") * 10_000.0),
        ),
        (
            "ΔMHHI = MHHI − HHI (0-10,000)".to_string(),
            format!("{:.0}", last("delta_mhhi") * 10_000.0),
        ),
    ]
}

/// Measure a holdings CSV by entity and by the group column `group`. `opts.entity` is
/// required. See [`measure_grouped_reader`].
pub fn measure_grouped_csv(
    path: &Path,
    opts: &MeasureOptions,
    group: &str,
) -> Result<GroupedMeasurement, MeasureError> {
    let source_name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => MeasureError::NotFound {
            path: path.to_path_buf(),
        },
        _ => MeasureError::Unreadable {
            source_name: source_name.clone(),
            message: e.to_string(),
        },
    })?;
    measure_grouped_reader(file, &source_name, opts, group)
}

/// Measure holdings by entity and by group: the same rows (after exclusions: a row goes
/// if its entity or its group is excluded) summed per entity and per group. An entity may appear in several groups (an operator
/// that runs keys for several providers): it is one holder in the by-entity measurement.
pub fn measure_grouped_reader<R: Read>(
    mut reader: R,
    source_name: &str,
    opts: &MeasureOptions,
    group: &str,
) -> Result<GroupedMeasurement, MeasureError> {
    if opts.entity.is_none() {
        return Err(MeasureError::GroupWithoutEntity {
            source_name: source_name.to_string(),
        });
    }
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| MeasureError::Unreadable {
            source_name: source_name.to_string(),
            message: e.to_string(),
        })?;
    let by_entity = measure_reader_by(&bytes[..], source_name, opts, Some(group), false)?;
    let by_group = measure_reader_by(&bytes[..], source_name, opts, Some(group), true)?;
    let layer = |m: &Measurement| {
        let v: Vec<f64> = m.final_values.iter().map(|(_, x)| *x).collect();
        LayerMetrics::of(&v).map_err(|error| MeasureError::Metrics {
            source_name: source_name.to_string(),
            time: m.times.last().cloned(),
            error,
        })
    };
    Ok(GroupedMeasurement {
        entity_layer: layer(&by_entity)?,
        group_layer: layer(&by_group)?,
        by_entity,
        by_group,
    })
}

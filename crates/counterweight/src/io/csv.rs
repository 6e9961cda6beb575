//! CSV output of a [`Table`]: header = column names, one line per row, written atomically.
//!
//! Floats use Rust's shortest round-trip `Display` (`{}`), so the text is deterministic
//! and parses back to the identical bits; NaN is `NaN`, infinities are `inf` / `-inf`
//! (the spellings Rust, pandas and polars all read). A missing `OptU64` is an empty
//! field. Strings are quoted by the `csv` crate only when needed.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::atomic::AtomicFile;
use super::{Column, IoError, Table};

/// Write `table` to `path` as CSV, atomically.
pub fn write_csv(table: &Table, path: &Path) -> Result<(), IoError> {
    table.validate().map_err(|message| IoError::InvalidTable {
        path: path.to_path_buf(),
        message,
    })?;
    let mut file = AtomicFile::create(path)?;
    {
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(file.writer());
        if !table.names.is_empty() {
            w.write_record(&table.names).map_err(csv_err(path))?;
        }
        write_rows(&mut w, table, path)?;
        w.flush()
            .map_err(|e| IoError::fs("cannot write", path, e))?;
    }
    file.commit()
}

fn csv_err(path: &Path) -> impl Fn(csv::Error) -> IoError + '_ {
    |source| IoError::Csv {
        path: path.to_path_buf(),
        source,
    }
}

/// Write every row of `table` (no header) to `w`.
fn write_rows<W: Write>(w: &mut csv::Writer<W>, table: &Table, path: &Path) -> Result<(), IoError> {
    let mut field = String::with_capacity(32);
    for row in 0..table.rows() {
        if row % 4096 == 0 {
            super::atomic::check_cancelled(path)?;
        }
        for col in &table.columns {
            field.clear();
            format_cell(col, row, &mut field);
            w.write_field(field.as_bytes()).map_err(csv_err(path))?;
        }
        w.write_record(None::<&[u8]>).map_err(csv_err(path))?;
    }
    Ok(())
}

/// A CSV file written a batch of rows at a time, atomically (it appears at
/// [`CsvStream::finish`]): the same text [`write_csv`] writes for the concatenated rows.
#[derive(Debug)]
pub struct CsvStream {
    path: PathBuf,
    writer: csv::Writer<AtomicFile>,
    columns: usize,
}

impl CsvStream {
    /// Start `path` with the header `names`.
    pub fn create(path: &Path, names: &[String]) -> Result<Self, IoError> {
        let file = AtomicFile::create(path)?;
        let mut writer = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(file);
        if !names.is_empty() {
            writer.write_record(names).map_err(csv_err(path))?;
        }
        Ok(Self {
            path: path.to_path_buf(),
            writer,
            columns: names.len(),
        })
    }

    /// Append the rows of `table` (its columns in the header's order).
    pub fn push(&mut self, table: &Table) -> Result<(), IoError> {
        let invalid = |message| IoError::InvalidTable {
            path: self.path.clone(),
            message,
        };
        table.validate().map_err(invalid)?;
        if table.columns.len() != self.columns {
            return Err(invalid(format!(
                "{} columns, the header has {}",
                table.columns.len(),
                self.columns
            )));
        }
        write_rows(&mut self.writer, table, &self.path)
    }

    /// Flush, sync and rename the file into place.
    pub fn finish(self) -> Result<(), IoError> {
        let path = self.path;
        let file = self
            .writer
            .into_inner()
            .map_err(|e| IoError::fs("cannot write", &path, e.into_error()))?;
        file.commit()
    }
}

/// Append the text of one cell to `out`.
fn format_cell(col: &Column, row: usize, out: &mut String) {
    match col {
        Column::F64(v) => format_f64(v[row], out),
        Column::U64(v) => {
            let _ = write!(out, "{}", v[row]);
        }
        Column::OptU64(v) => {
            if let Some(x) = v[row] {
                let _ = write!(out, "{x}");
            }
        }
        Column::Str(v) => out.push_str(&v[row]),
    }
}

/// Shortest round-trip decimal; `NaN`, `inf`, `-inf` for the non-finite values.
pub(crate) fn format_f64(x: f64, out: &mut String) {
    // Rust's Display already spells these NaN / inf / -inf; be explicit so a future
    // change of the standard library cannot silently change the contract.
    if x.is_nan() {
        out.push_str("NaN");
    } else if x == f64::INFINITY {
        out.push_str("inf");
    } else if x == f64::NEG_INFINITY {
        out.push_str("-inf");
    } else {
        let _ = write!(out, "{x}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut t = Table::new();
        t.push("replicate", Column::U64(vec![0, 1, 2]));
        t.push("x", Column::F64(vec![0.1, f64::NAN, -f64::INFINITY]));
        t.push("n", Column::OptU64(vec![Some(3), None, Some(0)]));
        t.push(
            "label",
            Column::Str(vec!["plain".into(), "with, comma".into(), "q\"uote".into()]),
        );
        t
    }

    #[test]
    fn writes_header_and_rows() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        write_csv(&sample(), &p).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(
            text,
            "replicate,x,n,label\n0,0.1,3,plain\n1,NaN,,\"with, comma\"\n2,-inf,0,\"q\"\"uote\"\n"
        );
    }

    #[test]
    fn floats_round_trip_bit_exactly() {
        let xs = [
            0.1 + 0.2,
            1.0 / 3.0,
            f64::MIN_POSITIVE,
            5e-324,
            f64::MAX,
            -0.0,
            1e21,
            123456789.125,
            f64::INFINITY,
        ];
        for x in xs {
            let mut s = String::new();
            format_f64(x, &mut s);
            let back: f64 = s.parse().unwrap();
            assert_eq!(back.to_bits(), x.to_bits(), "{s}");
        }
    }

    #[test]
    fn mismatched_table_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.csv");
        let t = Table {
            names: vec!["a".into(), "b".into()],
            columns: vec![Column::U64(vec![1, 2]), Column::U64(vec![1])],
        };
        let err = write_csv(&t, &p).unwrap_err();
        assert!(matches!(err, IoError::InvalidTable { .. }), "{err}");
        assert!(!p.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}

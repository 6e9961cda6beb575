//! Parquet output of a [`Table`], Snappy-compressed, written atomically, and reading it
//! back.
//!
//! Types: `F64` → DOUBLE, `U64` → INT64 annotated unsigned 64-bit integer (read as
//! `uint64` by pyarrow, pandas, polars and DuckDB), `OptU64` → the same, optional (null
//! where `None`), `Str` → BYTE_ARRAY annotated as a UTF-8 string. Only `OptU64` columns
//! are nullable.
//!
//! Written with the `parquet` crate's column writers, without its Arrow layer: the Arrow
//! writer and the `arrow-*` crates it needs were about a third of a clean build's compile
//! time (issue 14 asks for a first build under two minutes), and a [`Table`]'s columns
//! are already the flat arrays Parquet stores.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use parquet::basic::{Compression, IntType, LogicalType, Repetition, Type as PhysicalType};
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::record::Field;
use parquet::schema::types::{Type as SchemaType, TypePtr};

use super::atomic::AtomicFile;
use super::{Column, IoError, Table};

/// Rows per row group of [`write_parquet`] and [`ParquetStream::create`]: the writer
/// holds at most this many pending rows (bounds the extra memory for large tables).
pub const BATCH_ROWS: usize = 1 << 18;

/// The Parquet schema a table is written with (see the module's documentation).
pub fn parquet_schema(table: &Table) -> TypePtr {
    let fields = table
        .names
        .iter()
        .zip(&table.columns)
        .map(|(name, col)| {
            let unsigned = Some(LogicalType::Integer(IntType {
                bit_width: 64,
                is_signed: false,
            }));
            let (physical, logical, repetition) = match col {
                Column::F64(_) => (PhysicalType::DOUBLE, None, Repetition::REQUIRED),
                Column::U64(_) => (PhysicalType::INT64, unsigned, Repetition::REQUIRED),
                Column::OptU64(_) => (PhysicalType::INT64, unsigned, Repetition::OPTIONAL),
                Column::Str(_) => (
                    PhysicalType::BYTE_ARRAY,
                    Some(LogicalType::String),
                    Repetition::REQUIRED,
                ),
            };
            Arc::new(
                SchemaType::primitive_type_builder(name, physical)
                    .with_repetition(repetition)
                    .with_logical_type(logical)
                    .build()
                    .expect("a flat primitive column is a valid Parquet type"),
            )
        })
        .collect();
    Arc::new(
        SchemaType::group_type_builder("schema")
            .with_fields(fields)
            .build()
            .expect("a group of primitive columns is a valid Parquet schema"),
    )
}

/// The writer's properties: Snappy, the crate's defaults otherwise.
fn writer_properties() -> Arc<WriterProperties> {
    Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build(),
    )
}

/// Write `table` to `path` as Parquet (Snappy), atomically, in row groups of
/// [`BATCH_ROWS`] rows.
pub fn write_parquet(table: &Table, path: &Path) -> Result<(), IoError> {
    table.validate().map_err(|message| IoError::InvalidTable {
        path: path.to_path_buf(),
        message,
    })?;
    let mut stream = ParquetStream::create(path, table)?;
    let rows = table.rows();
    let mut start = 0;
    while start < rows {
        let end = (start + BATCH_ROWS).min(rows);
        stream.write_rows(table, start, end)?;
        start = end;
    }
    stream.finish()
}

/// A Parquet file written a batch of rows at a time, atomically (it appears at
/// [`ParquetStream::finish`]). Rows are regrouped into row groups of a fixed size from the
/// first row, so the file is byte-identical to the one [`write_parquet`] writes for the
/// concatenated rows however they were pushed; at most one row group's rows are held in
/// memory.
pub struct ParquetStream {
    path: PathBuf,
    writer: SerializedFileWriter<AtomicFile>,
    /// Rows not yet written (fewer than `group_rows`).
    pending: Table,
    group_rows: usize,
}

impl std::fmt::Debug for ParquetStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetStream")
            .field("path", &self.path)
            .field("pending", &self.pending.rows())
            .field("group_rows", &self.group_rows)
            .finish()
    }
}

impl ParquetStream {
    /// Start `path` with the columns (names and types) of `template`, whose rows are
    /// ignored, in row groups of [`BATCH_ROWS`] rows.
    pub fn create(path: &Path, template: &Table) -> Result<Self, IoError> {
        Self::with_row_groups(path, template, BATCH_ROWS)
    }

    /// As [`ParquetStream::create`], with row groups of `group_rows` rows (a sweep's
    /// results, read back part by part, use small ones).
    pub fn with_row_groups(
        path: &Path,
        template: &Table,
        group_rows: usize,
    ) -> Result<Self, IoError> {
        let file = AtomicFile::create(path)?;
        let writer = SerializedFileWriter::new(file, parquet_schema(template), writer_properties())
            .map_err(|source| IoError::Parquet {
                path: path.to_path_buf(),
                source,
            })?;
        let pending = Table {
            names: template.names.clone(),
            columns: template.columns.iter().map(empty_like).collect(),
        };
        Ok(Self {
            path: path.to_path_buf(),
            writer,
            pending,
            group_rows: group_rows.max(1),
        })
    }

    /// Append the rows of `table` (the template's columns, in order and type).
    pub fn push(&mut self, table: &Table) -> Result<(), IoError> {
        let invalid = |message: String| IoError::InvalidTable {
            path: self.path.clone(),
            message,
        };
        table.validate().map_err(invalid)?;
        if table.names != self.pending.names {
            return Err(invalid(format!(
                "columns {:?}, the file has {:?}",
                table.names, self.pending.names
            )));
        }
        for (p, c) in self.pending.columns.iter_mut().zip(&table.columns) {
            match (p, c) {
                (Column::F64(a), Column::F64(b)) => a.extend_from_slice(b),
                (Column::U64(a), Column::U64(b)) => a.extend_from_slice(b),
                (Column::OptU64(a), Column::OptU64(b)) => a.extend_from_slice(b),
                (Column::Str(a), Column::Str(b)) => a.extend_from_slice(b),
                _ => return Err(invalid("a column's type differs from the file's".into())),
            }
        }
        while self.pending.rows() >= self.group_rows {
            let pending = std::mem::take(&mut self.pending);
            let result = self.write_rows(&pending, 0, self.group_rows);
            self.pending = pending;
            result?;
            for c in &mut self.pending.columns {
                match c {
                    Column::F64(v) => drop(v.drain(..self.group_rows)),
                    Column::U64(v) => drop(v.drain(..self.group_rows)),
                    Column::OptU64(v) => drop(v.drain(..self.group_rows)),
                    Column::Str(v) => drop(v.drain(..self.group_rows)),
                }
            }
        }
        Ok(())
    }

    /// Write rows `start..end` of `table` (this file's columns) as one row group.
    fn write_rows(&mut self, table: &Table, start: usize, end: usize) -> Result<(), IoError> {
        super::atomic::check_cancelled(&self.path)?;
        let path = self.path.clone();
        let pq = |source: ParquetError| IoError::Parquet {
            path: path.clone(),
            source,
        };
        if table.columns.is_empty() || start >= end {
            return Ok(());
        }
        let mut group = self.writer.next_row_group().map_err(pq)?;
        for col in &table.columns {
            let mut w = group
                .next_column()
                .map_err(pq)?
                .ok_or_else(|| pq(ParquetError::General("more columns than the schema".into())))?;
            match col {
                Column::F64(v) => {
                    w.typed::<DoubleType>()
                        .write_batch(&v[start..end], None, None)
                        .map_err(pq)?;
                }
                Column::U64(v) => {
                    // Parquet stores unsigned 64-bit integers in INT64, bit for bit.
                    let xs: Vec<i64> = v[start..end].iter().map(|&x| x as i64).collect();
                    w.typed::<Int64Type>()
                        .write_batch(&xs, None, None)
                        .map_err(pq)?;
                }
                Column::OptU64(v) => {
                    let rows = &v[start..end];
                    let defined: Vec<i16> = rows.iter().map(|x| i16::from(x.is_some())).collect();
                    let xs: Vec<i64> = rows.iter().flatten().map(|&x| x as i64).collect();
                    w.typed::<Int64Type>()
                        .write_batch(&xs, Some(&defined), None)
                        .map_err(pq)?;
                }
                Column::Str(v) => {
                    let xs: Vec<ByteArray> = v[start..end]
                        .iter()
                        .map(|s| ByteArray::from(s.as_str()))
                        .collect();
                    w.typed::<ByteArrayType>()
                        .write_batch(&xs, None, None)
                        .map_err(pq)?;
                }
            }
            w.close().map_err(pq)?;
        }
        group.close().map_err(pq)?;
        Ok(())
    }

    /// Write the last rows and the footer, sync and rename the file into place.
    pub fn finish(mut self) -> Result<(), IoError> {
        let rows = self.pending.rows();
        if rows > 0 {
            let pending = std::mem::take(&mut self.pending);
            self.write_rows(&pending, 0, rows)?;
        }
        let path = self.path;
        let file = self
            .writer
            .into_inner()
            .map_err(|source| IoError::Parquet {
                path: path.clone(),
                source,
            })?;
        file.commit()
    }
}

/// Read a Parquet file of flat columns (as [`write_parquet`] writes them) back into a
/// [`Table`]: DOUBLE → `F64`; INT64 → `U64`, or `OptU64` when optional; BYTE_ARRAY →
/// `Str`. Any other column is an error naming it.
pub fn read_parquet(path: &Path) -> Result<Table, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let reader = SerializedFileReader::new(file).map_err(|e| e.to_string())?;
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    let mut t = Table::new();
    for c in schema.columns() {
        let optional = c.self_type().get_basic_info().repetition() == Repetition::OPTIONAL;
        let col = match (c.physical_type(), optional) {
            (PhysicalType::DOUBLE, false) => Column::F64(Vec::new()),
            (PhysicalType::INT64, false) => Column::U64(Vec::new()),
            (PhysicalType::INT64, true) => Column::OptU64(Vec::new()),
            (PhysicalType::BYTE_ARRAY, false) => Column::Str(Vec::new()),
            (other, _) => {
                return Err(format!(
                    "column {:?}: unexpected type {other}{}",
                    c.name(),
                    if optional { " (optional)" } else { "" }
                ));
            }
        };
        t.push(c.name().to_string(), col);
    }
    let rows = reader.get_row_iter(None).map_err(|e| e.to_string())?;
    for row in rows {
        let row = row.map_err(|e| e.to_string())?;
        for ((_, field), col) in row.get_column_iter().zip(t.columns.iter_mut()) {
            match (col, field) {
                (Column::F64(v), Field::Double(x)) => v.push(*x),
                (Column::U64(v), Field::ULong(x)) => v.push(*x),
                (Column::U64(v), Field::Long(x)) => v.push(*x as u64),
                (Column::OptU64(v), Field::ULong(x)) => v.push(Some(*x)),
                (Column::OptU64(v), Field::Long(x)) => v.push(Some(*x as u64)),
                (Column::OptU64(v), Field::Null) => v.push(None),
                (Column::Str(v), Field::Str(s)) => v.push(s.clone()),
                (_, other) => return Err(format!("unexpected value {other}")),
            }
        }
    }
    Ok(t)
}

/// An empty column of the same type.
fn empty_like(c: &Column) -> Column {
    match c {
        Column::F64(_) => Column::F64(Vec::new()),
        Column::U64(_) => Column::U64(Vec::new()),
        Column::OptU64(_) => Column::OptU64(Vec::new()),
        Column::Str(_) => Column::Str(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(n: usize) -> Table {
        let mut t = Table::new();
        t.push(
            "variant",
            Column::Str((0..n).map(|i| format!("v{}", i % 3)).collect()),
        );
        t.push(
            "step",
            Column::U64((0..n as u64).map(|i| i << 40).collect()),
        );
        t.push(
            "gini",
            Column::F64(
                (0..n)
                    .map(|i| if i == 7 { f64::NAN } else { i as f64 / 7.0 })
                    .collect(),
            ),
        );
        t.push(
            "nakamoto_1_3",
            Column::OptU64((0..n as u64).map(|i| (i % 5 != 0).then_some(i)).collect()),
        );
        t
    }

    fn assert_same(a: &Table, b: &Table) {
        assert_eq!(a.names, b.names);
        for (x, y) in a.columns.iter().zip(&b.columns) {
            match (x, y) {
                (Column::F64(x), Column::F64(y)) => {
                    assert_eq!(x.len(), y.len());
                    for (p, q) in x.iter().zip(y) {
                        assert_eq!(p.to_bits(), q.to_bits());
                    }
                }
                _ => assert_eq!(x, y),
            }
        }
    }

    #[test]
    fn round_trip_keeps_every_type_and_bit() {
        let t = sample(1000);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.parquet");
        write_parquet(&t, &p).unwrap();
        assert_eq!(&std::fs::read(&p).unwrap()[..4], b"PAR1");
        let back = read_parquet(&p).unwrap();
        assert_same(&t, &back);
        // The annotations readers rely on: unsigned integers, strings, one optional column.
        let reader = SerializedFileReader::new(std::fs::File::open(&p).unwrap()).unwrap();
        let schema = reader.metadata().file_metadata().schema_descr_ptr();
        assert_eq!(
            schema.column(1).logical_type_ref(),
            Some(&LogicalType::Integer(IntType {
                bit_width: 64,
                is_signed: false
            }))
        );
        assert_eq!(
            schema.column(0).logical_type_ref(),
            Some(&LogicalType::String)
        );
        assert_eq!(
            schema.column(3).self_type().get_basic_info().repetition(),
            Repetition::OPTIONAL
        );
    }

    #[test]
    fn stream_is_byte_identical_however_rows_arrive() {
        let t = sample(700);
        let dir = tempfile::tempdir().unwrap();
        let whole = dir.path().join("whole.parquet");
        let mut s = ParquetStream::with_row_groups(&whole, &t, 256).unwrap();
        s.push(&t).unwrap();
        s.finish().unwrap();
        let pieces = dir.path().join("pieces.parquet");
        let mut s = ParquetStream::with_row_groups(&pieces, &t, 256).unwrap();
        let mut start = 0;
        for len in [1usize, 300, 0, 255, 144] {
            let end = start + len;
            let piece = Table {
                names: t.names.clone(),
                columns: t
                    .columns
                    .iter()
                    .map(|c| match c {
                        Column::F64(v) => Column::F64(v[start..end].to_vec()),
                        Column::U64(v) => Column::U64(v[start..end].to_vec()),
                        Column::OptU64(v) => Column::OptU64(v[start..end].to_vec()),
                        Column::Str(v) => Column::Str(v[start..end].to_vec()),
                    })
                    .collect(),
            };
            s.push(&piece).unwrap();
            start = end;
        }
        assert_eq!(start, 700);
        s.finish().unwrap();
        assert_eq!(
            std::fs::read(&whole).unwrap(),
            std::fs::read(&pieces).unwrap()
        );
        let reader = SerializedFileReader::new(std::fs::File::open(&whole).unwrap()).unwrap();
        assert_eq!(reader.metadata().num_row_groups(), 3);
        assert_same(&t, &read_parquet(&pieces).unwrap());
    }

    #[test]
    fn empty_table_is_valid_parquet() {
        let mut t = Table::new();
        t.push("step", Column::U64(vec![]));
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("e.parquet");
        write_parquet(&t, &p).unwrap();
        let reader = SerializedFileReader::new(std::fs::File::open(&p).unwrap()).unwrap();
        assert_eq!(reader.metadata().file_metadata().num_rows(), 0);
        let back = read_parquet(&p).unwrap();
        assert_eq!(back.names, vec!["step".to_string()]);
        assert_eq!(back.rows(), 0);
    }
}

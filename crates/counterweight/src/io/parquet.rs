//! Parquet output of a [`Table`] through Arrow, Snappy-compressed, written atomically.
//!
//! Types: `F64` → Float64, `U64` → UInt64, `OptU64` → nullable UInt64, `Str` → Utf8.
//! Only `OptU64` columns are nullable. Readable by pyarrow/pandas, polars and DuckDB.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray, UInt64Array};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use super::atomic::AtomicFile;
use super::{Column, IoError, Table};

/// Rows per Arrow batch handed to the writer (bounds the extra memory for large tables).
const BATCH_ROWS: usize = 1 << 18;

/// The Arrow schema a table is written with.
pub fn arrow_schema(table: &Table) -> SchemaRef {
    let fields: Vec<Field> = table
        .names
        .iter()
        .zip(&table.columns)
        .map(|(name, col)| match col {
            Column::F64(_) => Field::new(name, DataType::Float64, false),
            Column::U64(_) => Field::new(name, DataType::UInt64, false),
            Column::OptU64(_) => Field::new(name, DataType::UInt64, true),
            Column::Str(_) => Field::new(name, DataType::Utf8, false),
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// Rows `start..end` of one column as an Arrow array.
fn column_slice(col: &Column, start: usize, end: usize) -> ArrayRef {
    match col {
        Column::F64(v) => Arc::new(Float64Array::from(v[start..end].to_vec())),
        Column::U64(v) => Arc::new(UInt64Array::from(v[start..end].to_vec())),
        Column::OptU64(v) => Arc::new(UInt64Array::from(v[start..end].to_vec())),
        Column::Str(v) => Arc::new(StringArray::from_iter_values(
            v[start..end].iter().map(String::as_str),
        )),
    }
}

/// The writer's properties: Snappy, the crate's defaults otherwise.
fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build()
}

/// Write `table` to `path` as Parquet (Snappy), atomically.
pub fn write_parquet(table: &Table, path: &Path) -> Result<(), IoError> {
    table.validate().map_err(|message| IoError::InvalidTable {
        path: path.to_path_buf(),
        message,
    })?;
    let pq_err = |source| IoError::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let schema = arrow_schema(table);
    let props = writer_properties();
    let mut file = AtomicFile::create(path)?;
    {
        let mut writer =
            ArrowWriter::try_new(file.writer(), schema.clone(), Some(props)).map_err(pq_err)?;
        let rows = table.rows();
        if !table.columns.is_empty() {
            let mut start = 0;
            while start < rows {
                super::atomic::check_cancelled(path)?;
                let end = (start + BATCH_ROWS).min(rows);
                let arrays: Vec<ArrayRef> = table
                    .columns
                    .iter()
                    .map(|c| column_slice(c, start, end))
                    .collect();
                let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(|source| {
                    IoError::Arrow {
                        path: path.to_path_buf(),
                        source,
                    }
                })?;
                writer.write(&batch).map_err(pq_err)?;
                start = end;
            }
        }
        writer.close().map_err(pq_err)?;
    }
    file.commit()
}

/// A Parquet file written a batch of rows at a time, atomically (it appears at
/// [`ParquetStream::finish`]). Rows are regrouped into the Arrow batches of
/// [`write_parquet`] (the same 2^18 rows from the first row), so the file is
/// byte-identical to the one [`write_parquet`] writes for the concatenated rows; at most
/// one batch and the writer's open row group are held in memory.
pub struct ParquetStream {
    path: PathBuf,
    schema: SchemaRef,
    writer: ArrowWriter<AtomicFile>,
    /// Rows not yet handed to the writer (fewer than [`BATCH_ROWS`]).
    pending: Table,
}

impl std::fmt::Debug for ParquetStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetStream")
            .field("path", &self.path)
            .field("pending", &self.pending.rows())
            .finish()
    }
}

impl ParquetStream {
    /// Start `path` with the columns (names and types) of `template`, whose rows are ignored.
    pub fn create(path: &Path, template: &Table) -> Result<Self, IoError> {
        let schema = arrow_schema(template);
        let file = AtomicFile::create(path)?;
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(writer_properties()))
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
            schema,
            writer,
            pending,
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
        while self.pending.rows() >= BATCH_ROWS {
            self.write_batch(BATCH_ROWS)?;
        }
        Ok(())
    }

    /// Hand the first `n` pending rows to the writer as one Arrow batch.
    fn write_batch(&mut self, n: usize) -> Result<(), IoError> {
        super::atomic::check_cancelled(&self.path)?;
        let arrays: Vec<ArrayRef> = self
            .pending
            .columns
            .iter()
            .map(|c| column_slice(c, 0, n))
            .collect();
        let batch =
            RecordBatch::try_new(self.schema.clone(), arrays).map_err(|source| IoError::Arrow {
                path: self.path.clone(),
                source,
            })?;
        self.writer
            .write(&batch)
            .map_err(|source| IoError::Parquet {
                path: self.path.clone(),
                source,
            })?;
        for c in &mut self.pending.columns {
            match c {
                Column::F64(v) => drop(v.drain(..n)),
                Column::U64(v) => drop(v.drain(..n)),
                Column::OptU64(v) => drop(v.drain(..n)),
                Column::Str(v) => drop(v.drain(..n)),
            }
        }
        Ok(())
    }

    /// Write the last rows and the footer, sync and rename the file into place.
    pub fn finish(mut self) -> Result<(), IoError> {
        let rows = self.pending.rows();
        if rows > 0 && !self.pending.columns.is_empty() {
            self.write_batch(rows)?;
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
    use arrow_array::Array;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    #[test]
    fn round_trip_through_arrow_reader() {
        let mut t = Table::new();
        let n = 1000;
        t.push(
            "variant",
            Column::Str((0..n).map(|i| format!("v{}", i % 3)).collect()),
        );
        t.push("step", Column::U64((0..n as u64).collect()));
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
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.parquet");
        write_parquet(&t, &p).unwrap();
        assert_eq!(&std::fs::read(&p).unwrap()[..4], b"PAR1");

        let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&p).unwrap())
            .unwrap()
            .build()
            .unwrap();
        let mut rows = 0;
        let mut variants = Vec::new();
        let mut steps = Vec::new();
        let mut gini = Vec::new();
        let mut nak = Vec::new();
        for batch in reader {
            let batch = batch.unwrap();
            let schema = batch.schema();
            assert_eq!(schema.field(0).name(), "variant");
            assert_eq!(schema.field(0).data_type(), &DataType::Utf8);
            assert_eq!(schema.field(1).data_type(), &DataType::UInt64);
            assert_eq!(schema.field(2).data_type(), &DataType::Float64);
            assert!(schema.field(3).is_nullable());
            rows += batch.num_rows();
            let v = batch
                .column(0)
                .as_any()
                .downcast_ref::<StringArray>()
                .unwrap();
            variants.extend(v.iter().map(|s| s.unwrap().to_string()));
            let s = batch
                .column(1)
                .as_any()
                .downcast_ref::<UInt64Array>()
                .unwrap();
            steps.extend(s.values().iter().copied());
            let g = batch
                .column(2)
                .as_any()
                .downcast_ref::<Float64Array>()
                .unwrap();
            gini.extend(g.values().iter().copied());
            let k = batch
                .column(3)
                .as_any()
                .downcast_ref::<UInt64Array>()
                .unwrap();
            nak.extend((0..k.len()).map(|i| (!k.is_null(i)).then(|| k.value(i))));
        }
        assert_eq!(rows, n);
        assert_eq!(Column::Str(variants), t.columns[0]);
        assert_eq!(Column::U64(steps), t.columns[1]);
        assert_eq!(Column::OptU64(nak), t.columns[3]);
        let Column::F64(orig) = &t.columns[2] else {
            unreachable!()
        };
        for (a, b) in orig.iter().zip(&gini) {
            assert_eq!(a.to_bits(), b.to_bits());
        }
    }

    #[test]
    fn empty_table_is_valid_parquet() {
        let mut t = Table::new();
        t.push("step", Column::U64(vec![]));
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("e.parquet");
        write_parquet(&t, &p).unwrap();
        let b = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&p).unwrap()).unwrap();
        assert_eq!(b.metadata().file_metadata().num_rows(), 0);
    }
}

//! A small columnar table: the one shape every output (metrics, actors, measure,
//! sweeps) is written from, so CSV and Parquet always agree.

/// One typed column.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Real values (`Float64` in Parquet).
    F64(Vec<f64>),
    /// Non-negative integers: counts, steps, replicate numbers (`UInt64` in Parquet).
    U64(Vec<u64>),
    /// Nullable integer (e.g. a Nakamoto coefficient that cannot be reached).
    OptU64(Vec<Option<u64>>),
    /// Text (e.g. the labels of swept values, run statuses).
    Str(Vec<String>),
}

impl Column {
    /// The number of rows.
    pub fn len(&self) -> usize {
        match self {
            Column::F64(v) => v.len(),
            Column::U64(v) => v.len(),
            Column::OptU64(v) => v.len(),
            Column::Str(v) => v.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Named columns of equal length.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// The column names, in order (`names[i]` names `columns[i]`).
    pub names: Vec<String>,
    /// The columns, in order; [`Table::validate`] checks the shape.
    pub columns: Vec<Column>,
}

impl Table {
    /// An empty table (no columns, no rows).
    pub fn new() -> Self {
        Self::default()
    }

    /// Append a column; panics if its length differs from the others (a programming error).
    pub fn push(&mut self, name: impl Into<String>, column: Column) {
        if let Some(first) = self.columns.first() {
            assert_eq!(first.len(), column.len(), "column length mismatch");
        }
        self.names.push(name.into());
        self.columns.push(column);
    }

    /// The number of rows: the length of the first column (0 without columns).
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, Column::len)
    }

    /// The column named `name` (the first one, if names repeat).
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| &self.columns[i])
    }

    /// A float view of a numeric column (integers converted, nulls as NaN).
    pub fn f64_column(&self, name: &str) -> Option<Vec<f64>> {
        match self.column(name)? {
            Column::F64(v) => Some(v.clone()),
            Column::U64(v) => Some(v.iter().map(|&x| x as f64).collect()),
            Column::OptU64(v) => Some(v.iter().map(|x| x.map_or(f64::NAN, |x| x as f64)).collect()),
            Column::Str(_) => None,
        }
    }
}

impl Table {
    /// Check the shape: one name per column, all columns the same length, unique names.
    pub fn validate(&self) -> Result<(), String> {
        if self.names.len() != self.columns.len() {
            return Err(format!(
                "{} names for {} columns",
                self.names.len(),
                self.columns.len()
            ));
        }
        let rows = self.rows();
        for (name, col) in self.names.iter().zip(&self.columns) {
            if col.len() != rows {
                return Err(format!(
                    "column `{name}` has {} rows, expected {rows}",
                    col.len()
                ));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for name in &self.names {
            if !seen.insert(name.as_str()) {
                return Err(format!("duplicate column name `{name}`"));
            }
        }
        Ok(())
    }

    /// The string column `name`, if it exists and holds strings.
    pub fn str_column(&self, name: &str) -> Option<&[String]> {
        match self.column(name)? {
            Column::Str(v) => Some(v),
            _ => None,
        }
    }

    /// A new table holding only the rows whose index satisfies `keep`, in order.
    pub fn filter_rows(&self, mut keep: impl FnMut(usize) -> bool) -> Table {
        let idx: Vec<usize> = (0..self.rows()).filter(|&i| keep(i)).collect();
        let columns = self
            .columns
            .iter()
            .map(|c| match c {
                Column::F64(v) => Column::F64(idx.iter().map(|&i| v[i]).collect()),
                Column::U64(v) => Column::U64(idx.iter().map(|&i| v[i]).collect()),
                Column::OptU64(v) => Column::OptU64(idx.iter().map(|&i| v[i]).collect()),
                Column::Str(v) => Column::Str(idx.iter().map(|&i| v[i].clone()).collect()),
            })
            .collect();
        Table {
            names: self.names.clone(),
            columns,
        }
    }
}

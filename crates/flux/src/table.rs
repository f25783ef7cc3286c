//! Flux's table model on Arrow: a table is a group key (columns whose value is
//! the same on every row) plus an Arrow `RecordBatch`; a stream is a list of tables.

use crate::error::{Error, Result};
use crate::value::Value;
use arrow::array::{
    Array, ArrayRef, BooleanArray, BooleanBuilder, Float64Array, Float64Builder, Int64Array,
    Int64Builder, StringArray, StringBuilder, TimestampNanosecondArray, TimestampNanosecondBuilder,
    UInt64Array, UInt64Builder,
};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use std::sync::Arc;

/// Column types of Flux tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColType {
    Bool,
    Int,
    UInt,
    Float,
    String,
    Time,
}

impl ColType {
    /// Arrow type used to store the column.
    pub fn arrow(self) -> DataType {
        match self {
            ColType::Bool => DataType::Boolean,
            ColType::Int => DataType::Int64,
            ColType::UInt => DataType::UInt64,
            ColType::Float => DataType::Float64,
            ColType::String => DataType::Utf8,
            ColType::Time => DataType::Timestamp(TimeUnit::Nanosecond, None),
        }
    }

    /// Column type of an Arrow type.
    pub fn from_arrow(t: &DataType) -> Result<Self> {
        Ok(match t {
            DataType::Boolean => ColType::Bool,
            DataType::Int64 => ColType::Int,
            DataType::UInt64 => ColType::UInt,
            DataType::Float64 => ColType::Float,
            DataType::Utf8 => ColType::String,
            DataType::Timestamp(TimeUnit::Nanosecond, _) => ColType::Time,
            other => return Err(Error::unsupported(format!("column type {other}"))),
        })
    }

    /// Type of a scalar value (None for null and non-column values).
    pub fn of(v: &Value) -> Option<Self> {
        Some(match v {
            Value::Bool(_) => ColType::Bool,
            Value::Int(_) => ColType::Int,
            Value::UInt(_) => ColType::UInt,
            Value::Float(_) => ColType::Float,
            Value::String(_) => ColType::String,
            Value::Time(_) => ColType::Time,
            _ => return None,
        })
    }

    /// Flux type name.
    pub fn name(self) -> &'static str {
        match self {
            ColType::Bool => "bool",
            ColType::Int => "int",
            ColType::UInt => "uint",
            ColType::Float => "float",
            ColType::String => "string",
            ColType::Time => "time",
        }
    }
}

/// Metadata of one column.
#[derive(Debug, Clone, PartialEq)]
pub struct ColMeta {
    /// Column label.
    pub label: String,
    /// Column type.
    pub typ: ColType,
}

/// The group key: labels (sorted) with their types and values.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GroupKey {
    /// Key columns, sorted by label.
    pub cols: Vec<(ColMeta, Value)>,
}

impl GroupKey {
    /// Build from unsorted columns.
    pub fn new(mut cols: Vec<(ColMeta, Value)>) -> Self {
        cols.sort_by(|a, b| a.0.label.cmp(&b.0.label));
        cols.dedup_by(|a, b| a.0.label == b.0.label);
        GroupKey { cols }
    }

    /// Whether a label is part of the key.
    pub fn has(&self, label: &str) -> bool {
        self.cols.iter().any(|(c, _)| c.label == label)
    }

    /// Value of a key column.
    pub fn get(&self, label: &str) -> Option<&Value> {
        self.cols
            .iter()
            .find(|(c, _)| c.label == label)
            .map(|(_, v)| v)
    }

    /// Key labels in order.
    pub fn labels(&self) -> Vec<&str> {
        self.cols.iter().map(|(c, _)| c.label.as_str()).collect()
    }

    /// Order between keys (by labels then values) used to sort output tables.
    pub fn order(&self, other: &GroupKey) -> std::cmp::Ordering {
        for (a, b) in self.cols.iter().zip(other.cols.iter()) {
            let o = a.0.label.cmp(&b.0.label).then_with(|| a.1.sort_cmp(&b.1));
            if o != std::cmp::Ordering::Equal {
                return o;
            }
        }
        self.cols.len().cmp(&other.cols.len())
    }
}

/// One Flux table.
#[derive(Debug, Clone)]
pub struct Table {
    /// Group key.
    pub key: GroupKey,
    /// Column metadata, in table order.
    pub cols: Vec<ColMeta>,
    /// The data.
    pub batch: RecordBatch,
}

impl Table {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.batch.num_rows()
    }

    /// True when the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.batch.num_rows() == 0
    }

    /// Index of a column.
    pub fn index(&self, label: &str) -> Option<usize> {
        self.cols.iter().position(|c| c.label == label)
    }

    /// Value at (column, row).
    pub fn value(&self, col: usize, row: usize) -> Value {
        array_value(self.batch.column(col).as_ref(), self.cols[col].typ, row)
    }

    /// All values of a column.
    pub fn column_values(&self, col: usize) -> Vec<Value> {
        (0..self.len()).map(|r| self.value(col, r)).collect()
    }

    /// A row as a record.
    pub fn row(&self, row: usize) -> crate::value::Record {
        crate::value::Record {
            fields: self
                .cols
                .iter()
                .enumerate()
                .map(|(i, c)| (c.label.clone(), self.value(i, row)))
                .collect(),
        }
    }

    /// Build a table from columns of values.
    pub fn from_columns(key: GroupKey, cols: Vec<(ColMeta, Vec<Value>)>) -> Result<Table> {
        let n = cols.first().map(|c| c.1.len()).unwrap_or(0);
        let mut fields = Vec::with_capacity(cols.len());
        let mut arrays = Vec::with_capacity(cols.len());
        let mut metas = Vec::with_capacity(cols.len());
        for (meta, vals) in cols {
            if vals.len() != n {
                return Err(Error::rt("table columns have different lengths"));
            }
            arrays.push(build_array(meta.typ, &vals, &meta.label)?);
            fields.push(Field::new(&meta.label, meta.typ.arrow(), true));
            metas.push(meta);
        }
        let schema = Arc::new(Schema::new(fields));
        let batch = RecordBatch::try_new_with_options(
            schema,
            arrays,
            &RecordBatchOptions::new().with_row_count(Some(n)),
        )?;
        Ok(Table {
            key,
            cols: metas,
            batch,
        })
    }

    /// Build a table from an Arrow batch (types must be Flux column types).
    pub fn from_batch(key: GroupKey, batch: RecordBatch) -> Result<Table> {
        let cols = batch
            .schema()
            .fields()
            .iter()
            .map(|f| {
                Ok(ColMeta {
                    label: f.name().clone(),
                    typ: ColType::from_arrow(f.data_type())?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Table { key, cols, batch })
    }

    /// All columns as values (meta, values).
    pub fn to_columns(&self) -> Vec<(ColMeta, Vec<Value>)> {
        self.cols
            .iter()
            .enumerate()
            .map(|(i, c)| (c.clone(), self.column_values(i)))
            .collect()
    }

    /// Keep the given rows (by index), same schema and key.
    pub fn take_rows(&self, rows: &[usize]) -> Result<Table> {
        let idx =
            arrow::array::UInt32Array::from(rows.iter().map(|&r| r as u32).collect::<Vec<_>>());
        let arrays = self
            .batch
            .columns()
            .iter()
            .map(|a| arrow::compute::take(a.as_ref(), &idx, None))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let batch = RecordBatch::try_new_with_options(
            self.batch.schema(),
            arrays,
            &RecordBatchOptions::new().with_row_count(Some(rows.len())),
        )?;
        Ok(Table {
            key: self.key.clone(),
            cols: self.cols.clone(),
            batch,
        })
    }
}

/// Read one cell of an Arrow array as a Flux value.
pub fn array_value(a: &dyn Array, typ: ColType, row: usize) -> Value {
    if a.is_null(row) {
        return Value::Null;
    }
    let any = a.as_any();
    match typ {
        ColType::Bool => any
            .downcast_ref::<BooleanArray>()
            .map(|a| Value::Bool(a.value(row))),
        ColType::Int => any
            .downcast_ref::<Int64Array>()
            .map(|a| Value::Int(a.value(row))),
        ColType::UInt => any
            .downcast_ref::<UInt64Array>()
            .map(|a| Value::UInt(a.value(row))),
        ColType::Float => any
            .downcast_ref::<Float64Array>()
            .map(|a| Value::Float(a.value(row))),
        ColType::String => any
            .downcast_ref::<StringArray>()
            .map(|a| Value::str(a.value(row))),
        ColType::Time => any
            .downcast_ref::<TimestampNanosecondArray>()
            .map(|a| Value::Time(a.value(row))),
    }
    .unwrap_or(Value::Null)
}

fn mismatch(label: &str, typ: ColType, v: &Value) -> Error {
    Error::rt(format!(
        "schema collision: column {label:?} is {} but found {} value",
        typ.name(),
        v.type_name()
    ))
}

/// Build an Arrow array of the given Flux type from values (nulls allowed).
pub fn build_array(typ: ColType, vals: &[Value], label: &str) -> Result<ArrayRef> {
    Ok(match typ {
        ColType::Bool => {
            let mut b = BooleanBuilder::with_capacity(vals.len());
            for v in vals {
                match v {
                    Value::Bool(x) => b.append_value(*x),
                    Value::Null => b.append_null(),
                    v => return Err(mismatch(label, typ, v)),
                }
            }
            Arc::new(b.finish())
        }
        ColType::Int => {
            let mut b = Int64Builder::with_capacity(vals.len());
            for v in vals {
                match v {
                    Value::Int(x) => b.append_value(*x),
                    Value::Null => b.append_null(),
                    v => return Err(mismatch(label, typ, v)),
                }
            }
            Arc::new(b.finish())
        }
        ColType::UInt => {
            let mut b = UInt64Builder::with_capacity(vals.len());
            for v in vals {
                match v {
                    Value::UInt(x) => b.append_value(*x),
                    Value::Null => b.append_null(),
                    v => return Err(mismatch(label, typ, v)),
                }
            }
            Arc::new(b.finish())
        }
        ColType::Float => {
            let mut b = Float64Builder::with_capacity(vals.len());
            for v in vals {
                match v {
                    Value::Float(x) => b.append_value(*x),
                    Value::Null => b.append_null(),
                    v => return Err(mismatch(label, typ, v)),
                }
            }
            Arc::new(b.finish())
        }
        ColType::String => {
            let mut b = StringBuilder::with_capacity(vals.len(), vals.len() * 8);
            for v in vals {
                match v {
                    Value::String(x) => b.append_value(x),
                    Value::Null => b.append_null(),
                    v => return Err(mismatch(label, typ, v)),
                }
            }
            Arc::new(b.finish())
        }
        ColType::Time => {
            let mut b = TimestampNanosecondBuilder::with_capacity(vals.len());
            for v in vals {
                match v {
                    Value::Time(x) => b.append_value(*x),
                    Value::Null => b.append_null(),
                    v => return Err(mismatch(label, typ, v)),
                }
            }
            Arc::new(b.finish())
        }
    })
}

/// Row-wise table builder: columns are added as they appear, types are fixed by
/// the first non-null value.
#[derive(Debug, Default)]
pub struct TableBuilder {
    key: GroupKey,
    cols: Vec<(String, Option<ColType>, Vec<Value>)>,
    rows: usize,
}

impl TableBuilder {
    /// A builder for a table with this key.
    pub fn new(key: GroupKey) -> Self {
        TableBuilder {
            key,
            cols: Vec::new(),
            rows: 0,
        }
    }

    /// Declare a column with a known type (keeps column order).
    pub fn add_column(&mut self, label: &str, typ: Option<ColType>) {
        if !self.cols.iter().any(|c| c.0 == label) {
            self.cols
                .push((label.to_string(), typ, vec![Value::Null; self.rows]));
        }
    }

    /// Append a row from a record; missing columns get nulls.
    pub fn push_record(&mut self, rec: &crate::value::Record) -> Result<()> {
        for (k, v) in &rec.fields {
            let typ = ColType::of(v);
            if !v.is_null() && typ.is_none() {
                return Err(Error::rt(format!(
                    "column {k:?}: a table cannot hold a {} value",
                    v.type_name()
                )));
            }
            match self.cols.iter_mut().find(|c| &c.0 == k) {
                Some(c) => {
                    if c.1.is_none() {
                        c.1 = typ;
                    } else if typ.is_some() && c.1 != typ {
                        return Err(Error::rt(format!(
                            "schema collision: cannot group {} and {} types together",
                            c.1.map(|t| t.name()).unwrap_or("null"),
                            typ.map(|t| t.name()).unwrap_or("null")
                        )));
                    }
                    c.2.push(v.clone());
                }
                None => {
                    let mut vals = vec![Value::Null; self.rows];
                    vals.push(v.clone());
                    self.cols.push((k.clone(), typ, vals));
                }
            }
        }
        self.rows += 1;
        for c in &mut self.cols {
            if c.2.len() < self.rows {
                c.2.push(Value::Null);
            }
        }
        Ok(())
    }

    /// Number of rows so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Finish; all-null columns of unknown type become strings... unless the
    /// column is absent from every row, in which case it is dropped.
    pub fn build(self) -> Result<Table> {
        let key = self.key;
        let cols = self
            .cols
            .into_iter()
            .map(|(label, typ, vals)| {
                let typ = typ
                    .or_else(|| {
                        key.cols
                            .iter()
                            .find(|(c, _)| c.label == label)
                            .map(|(c, _)| c.typ)
                    })
                    .unwrap_or(ColType::String);
                (ColMeta { label, typ }, vals)
            })
            .collect();
        Table::from_columns(key, cols)
    }
}

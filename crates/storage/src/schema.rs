//! Arrow schemas of measurements: tag columns, field columns and `time`.

use std::sync::Arc;

use almanac_catalog::{FieldType, MeasurementSchema};
use arrow::array::{new_null_array, ArrayRef, RecordBatch, RecordBatchOptions};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

use crate::error::StorageError;

/// Name of the timestamp column of every measurement.
pub const TIME_COLUMN: &str = "time";

/// Arrow type of tag columns: dictionary-encoded strings.
pub fn tag_arrow_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// Arrow type of the `time` column.
pub fn time_arrow_type() -> DataType {
    DataType::Timestamp(TimeUnit::Nanosecond, None)
}

/// Arrow type of a field column.
pub fn field_arrow_type(field_type: FieldType) -> DataType {
    match field_type {
        FieldType::Float => DataType::Float64,
        FieldType::Integer => DataType::Int64,
        FieldType::UInteger => DataType::UInt64,
        FieldType::String => DataType::Utf8,
        FieldType::Boolean => DataType::Boolean,
    }
}

/// Whether a schema field is a tag column.
pub fn is_tag(field: &Field) -> bool {
    field.data_type() == &tag_arrow_type()
}

/// The full Arrow schema of a measurement: tags (sorted), fields (sorted),
/// then `time`. A tag and a field may share a name in InfluxDB; the tag then
/// keeps the name and the field column is called `<name>::field`.
pub fn measurement_schema(schema: &MeasurementSchema) -> SchemaRef {
    let mut fields = Vec::with_capacity(schema.tags.len() + schema.fields.len() + 1);
    for tag in &schema.tags {
        fields.push(Field::new(tag, tag_arrow_type(), true));
    }
    for (name, field_type) in &schema.fields {
        let column = field_column_name(name, schema.tags.contains(name));
        fields.push(Field::new(column, field_arrow_type(*field_type), true));
    }
    fields.push(Field::new(TIME_COLUMN, time_arrow_type(), false));
    Arc::new(Schema::new(fields))
}

/// Column name of field `name`; `clashes_with_tag` when a tag has that name.
pub fn field_column_name(name: &str, clashes_with_tag: bool) -> String {
    if clashes_with_tag {
        format!("{name}::field")
    } else {
        name.to_string()
    }
}

/// Reorders and fills `batch` so that it has exactly the columns of
/// `target` (missing columns become nulls; extra columns are dropped).
pub fn conform(batch: &RecordBatch, target: &SchemaRef) -> Result<RecordBatch, StorageError> {
    if batch.schema().fields() == target.fields() {
        return Ok(batch.clone());
    }
    let rows = batch.num_rows();
    let columns: Vec<ArrayRef> = target
        .fields()
        .iter()
        .map(|field| {
            let found = batch.column_by_name(field.name()).or_else(|| {
                // A chunk written before the clashing tag existed names the
                // field plainly; the types (fields are never dictionaries) tell.
                field
                    .name()
                    .strip_suffix("::field")
                    .and_then(|plain| batch.column_by_name(plain))
            });
            match found {
                Some(col) if col.data_type() == field.data_type() => col.clone(),
                _ => new_null_array(field.data_type(), rows),
            }
        })
        .collect();
    let options = RecordBatchOptions::new().with_row_count(Some(rows));
    Ok(RecordBatch::try_new_with_options(
        target.clone(),
        columns,
        &options,
    )?)
}

/// A schema holding the union of the columns of `schemas`, in canonical
/// order (tags sorted, fields sorted, `time` last).
pub fn union_schema<'a>(schemas: impl IntoIterator<Item = &'a SchemaRef>) -> SchemaRef {
    let mut tags = std::collections::BTreeMap::new();
    let mut fields = std::collections::BTreeMap::new();
    for schema in schemas {
        for field in schema.fields() {
            if field.name() == TIME_COLUMN {
                continue;
            }
            if is_tag(field) {
                tags.insert(field.name().clone(), field.clone());
            } else {
                fields.insert(field.name().clone(), field.clone());
            }
        }
    }
    let mut renamed = std::collections::BTreeMap::new();
    for (name, field) in fields {
        if tags.contains_key(&name) {
            let column = field_column_name(&name, true);
            renamed.insert(
                column.clone(),
                Arc::new(field.as_ref().clone().with_name(column)),
            );
        } else {
            renamed.entry(name).or_insert(field);
        }
    }
    let mut all: Vec<Arc<Field>> = tags.into_values().collect();
    all.extend(renamed.into_values());
    all.push(Arc::new(Field::new(TIME_COLUMN, time_arrow_type(), false)));
    Arc::new(Schema::new(all))
}

//! `influxdata/influxdb/schema` (and the older `influxdata/influxdb/v1`):
//! schema exploration written in Flux over `from()`. `option schema._from`
//! replaces the data source, as upstream tests do.

use super::PackageDef;

const PRELUDE: &str = r#"
_from = (bucket) => from(bucket: bucket)
fieldsAsCols = (tables=<-) =>
    tables |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")
tagValues = (bucket, tag, predicate=(r) => true, start=-30d, stop=now()) =>
    _from(bucket: bucket)
        |> range(start: start, stop: stop)
        |> filter(fn: predicate)
        |> keep(columns: [tag])
        |> group()
        |> distinct(column: tag)
tagKeys = (bucket, predicate=(r) => true, start=-30d, stop=now()) =>
    _from(bucket: bucket)
        |> range(start: start, stop: stop)
        |> filter(fn: predicate)
        |> keys()
        |> keep(columns: ["_value"])
        |> distinct()
measurements = (bucket, start=-30d, stop=now()) =>
    tagValues(bucket: bucket, tag: "_measurement", start: start, stop: stop)
fieldKeys = (bucket, predicate=(r) => true, start=-30d, stop=now()) =>
    tagValues(bucket: bucket, tag: "_field", predicate: predicate, start: start, stop: stop)
measurementTagValues = (bucket, measurement, tag, start=-30d, stop=now()) =>
    tagValues(bucket: bucket, tag: tag, predicate: (r) => r._measurement == measurement, start: start, stop: stop)
measurementTagKeys = (bucket, measurement, start=-30d, stop=now()) =>
    tagKeys(bucket: bucket, predicate: (r) => r._measurement == measurement, start: start, stop: stop)
measurementFieldKeys = (bucket, measurement, start=-30d, stop=now()) =>
    fieldKeys(bucket: bucket, predicate: (r) => r._measurement == measurement, start: start, stop: stop)
"#;

/// Build the package definition.
pub fn package() -> PackageDef {
    PackageDef {
        flux: Some(PRELUDE),
        ..Default::default()
    }
}

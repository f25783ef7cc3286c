//! Conversions between the task model (points, batches) and UDF protocol messages.

use std::sync::Arc;

use super::proto;
use crate::model::{Batch, Dimensions, FieldValue, Fields, Point, Tags};

/// Kapacitor's group id on the wire: empty for the nil group.
fn wire_group(id: String) -> String {
    if id == "nil" {
        String::new()
    } else {
        id
    }
}

/// A point as a protocol message.
pub fn point_to_proto(p: &Point) -> proto::Point {
    let mut m = proto::Point {
        time: p.time,
        name: p.name.to_string(),
        database: p.database.to_string(),
        retention_policy: p.retention_policy.to_string(),
        group: wire_group(p.group_id()),
        dimensions: p.group_tag_names(),
        tags: p.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        by_name: p.dims.by_name,
        ..Default::default()
    };
    for (k, v) in p.fields.iter() {
        match v {
            FieldValue::Float(f) => {
                m.fields_double.insert(k.to_string(), *f);
            }
            FieldValue::Int(i) => {
                m.fields_int.insert(k.to_string(), *i);
            }
            // The protocol has no unsigned integers; values above i64::MAX become doubles.
            FieldValue::UInt(u) => match i64::try_from(*u) {
                Ok(i) => {
                    m.fields_int.insert(k.to_string(), i);
                }
                Err(_) => {
                    m.fields_double.insert(k.to_string(), *u as f64);
                }
            },
            FieldValue::Str(s) => {
                m.fields_string.insert(k.to_string(), s.clone());
            }
            FieldValue::Bool(b) => {
                m.fields_bool.insert(k.to_string(), *b);
            }
        }
    }
    m
}

/// A batch as begin, point and end messages.
pub fn batch_to_proto(b: &Batch) -> (proto::BeginBatch, Vec<proto::Point>, proto::EndBatch) {
    let tags: std::collections::HashMap<String, String> =
        b.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let group = wire_group(b.group_id());
    let begin = proto::BeginBatch {
        name: b.name.to_string(),
        group: group.clone(),
        tags: tags.clone(),
        size: b.points.len() as i64,
        by_name: b.dims.by_name,
    };
    let points = b.points.iter().map(point_to_proto).collect();
    let end = proto::EndBatch {
        name: b.name.to_string(),
        group,
        tmax: b.tmax,
        tags,
        by_name: b.dims.by_name,
    };
    (begin, points, end)
}

/// A protocol point as a task point.
pub fn point_from_proto(m: proto::Point) -> Point {
    let mut dims: Vec<String> = m.dimensions;
    dims.sort();
    dims.dedup();
    let mut fields = Fields::new();
    fields.extend(
        m.fields_double
            .into_iter()
            .map(|(k, v)| (k, FieldValue::Float(v))),
    );
    fields.extend(
        m.fields_int
            .into_iter()
            .map(|(k, v)| (k, FieldValue::Int(v))),
    );
    fields.extend(
        m.fields_string
            .into_iter()
            .map(|(k, v)| (k, FieldValue::Str(v))),
    );
    fields.extend(
        m.fields_bool
            .into_iter()
            .map(|(k, v)| (k, FieldValue::Bool(v))),
    );
    Point {
        database: m.database.into(),
        retention_policy: m.retention_policy.into(),
        name: m.name.into(),
        tags: Arc::new(m.tags.into_iter().collect()),
        fields: Arc::new(fields),
        time: m.time,
        dims: Arc::new(Dimensions {
            by_name: m.by_name,
            tag_names: dims,
            star: false,
        }),
    }
}

/// A batch the UDF is sending, between its begin and end messages.
#[derive(Debug)]
pub struct BatchBuilder {
    begin: proto::BeginBatch,
    points: Vec<Point>,
}

impl BatchBuilder {
    /// Starts from a begin message.
    pub fn new(begin: proto::BeginBatch) -> Self {
        BatchBuilder {
            points: Vec::with_capacity(begin.size.clamp(0, 10_000) as usize),
            begin,
        }
    }

    /// Adds a point.
    pub fn push(&mut self, p: proto::Point) {
        self.points.push(point_from_proto(p));
    }

    /// The finished batch (the end message's metadata wins).
    pub fn finish(self, end: proto::EndBatch) -> Batch {
        let tags: Tags = if end.tags.is_empty() {
            self.begin.tags.into_iter().collect()
        } else {
            end.tags.into_iter().collect()
        };
        let name = if end.name.is_empty() {
            self.begin.name
        } else {
            end.name
        };
        let dims = Arc::new(Dimensions {
            by_name: end.by_name || self.begin.by_name,
            tag_names: tags.keys().cloned().collect(),
            star: false,
        });
        let points = self
            .points
            .into_iter()
            .map(|mut p| {
                p.dims = dims.clone();
                p
            })
            .collect();
        Batch {
            name: name.into(),
            tags: Arc::new(tags),
            tmax: end.tmax,
            dims,
            points,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_round_trip() {
        let mut tags = Tags::new();
        tags.insert("host".into(), "a".into());
        let mut fields = Fields::new();
        fields.insert("f".into(), FieldValue::Float(1.5));
        fields.insert("i".into(), FieldValue::Int(-3));
        fields.insert("s".into(), FieldValue::Str("x".into()));
        fields.insert("b".into(), FieldValue::Bool(true));
        let mut p = Point::new("db", "rp", "cpu", tags, fields, 42);
        p.dims = Arc::new(Dimensions {
            by_name: false,
            tag_names: vec!["host".into()],
            star: false,
        });
        let m = point_to_proto(&p);
        assert_eq!(m.group, "host=a");
        assert_eq!(m.dimensions, ["host"]);
        assert_eq!(point_from_proto(m), p);
        let ungrouped = Point::new("db", "rp", "cpu", Tags::new(), Fields::new(), 1);
        assert_eq!(point_to_proto(&ungrouped).group, "");
    }
}

//! An owned point and its checked conversion to one line of line protocol.

use almanac_lineproto::{parse_lines, write_line, FieldValue, Precision};

/// Why a decoded point cannot be written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PointError {
    /// The measurement name is empty.
    #[error("missing measurement")]
    MissingMeasurement,
    /// The point has no field.
    #[error("missing fields")]
    MissingFields,
    /// A float field is NaN or infinite (InfluxDB rejects both).
    #[error("invalid number")]
    InvalidNumber,
    /// The serialized line does not parse back (newline in a name, trailing
    /// backslash, timestamp out of range, …); the text is the parser's error.
    #[error("{0}")]
    Unrepresentable(String),
}

/// One decoded point: measurement, tags, fields and a timestamp in ns.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Measurement name (unescaped).
    pub measurement: String,
    /// Tags (unescaped); tags with an empty key or value are left out when
    /// serializing, as InfluxDB drops them from the series key.
    pub tags: Vec<(String, String)>,
    /// Fields (unescaped).
    pub fields: Vec<(String, FieldValue<'static>)>,
    /// Timestamp in nanoseconds since the epoch.
    pub time_ns: i64,
}

impl Point {
    /// A point with one float field.
    pub fn float(
        measurement: impl Into<String>,
        tags: Vec<(String, String)>,
        field: impl Into<String>,
        value: f64,
        time_ns: i64,
    ) -> Self {
        Point {
            measurement: measurement.into(),
            tags,
            fields: vec![(field.into(), FieldValue::Float(value))],
            time_ns,
        }
    }

    /// Serializes the point as one line (with `\n`) and checks that it parses
    /// back to the same measurement, tag count and field count.
    pub fn to_line(&self) -> Result<String, PointError> {
        if self.measurement.is_empty() {
            return Err(PointError::MissingMeasurement);
        }
        if self.fields.is_empty() {
            return Err(PointError::MissingFields);
        }
        if self
            .fields
            .iter()
            .any(|(_, v)| matches!(v, FieldValue::Float(f) if !f.is_finite()))
        {
            return Err(PointError::InvalidNumber);
        }
        let mut tags: Vec<(&str, &str)> = self
            .tags
            .iter()
            .filter(|(k, v)| !k.is_empty() && !v.is_empty())
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        tags.sort_by(|a, b| a.0.cmp(b.0));
        tags.dedup_by(|a, b| a.0 == b.0);
        let fields: Vec<(&str, FieldValue<'_>)> = self
            .fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        let mut out = String::with_capacity(64);
        write_line(
            &mut out,
            &self.measurement,
            &tags,
            &fields,
            Some(self.time_ns),
        );
        // Re-parse: anything the format cannot carry is caught here rather
        // than by the server, where it would fail the whole batch.
        let mut parsed = parse_lines(out.as_bytes());
        match parsed.next() {
            Some(Ok(line)) => {
                if line.measurement != self.measurement
                    || line.tags.len() != tags.len()
                    || line.fields.len() != fields.len()
                {
                    return Err(PointError::Unrepresentable(format!(
                        "unable to represent point {:?} in line protocol",
                        self.measurement
                    )));
                }
                line.timestamp_ns(Precision::Nanosecond, 0)
                    .map_err(|e| PointError::Unrepresentable(e.to_string()))?;
            }
            Some(Err(e)) => return Err(PointError::Unrepresentable(e.to_string())),
            None => {
                return Err(PointError::Unrepresentable(format!(
                    "unable to represent point {:?} in line protocol",
                    self.measurement
                )))
            }
        }
        if parsed.next().is_some() {
            return Err(PointError::Unrepresentable(format!(
                "point {:?} spans several lines",
                self.measurement
            )));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_sorted_and_drops_empty_tags() {
        let p = Point::float(
            "cpu load",
            vec![
                ("z".into(), "1".into()),
                ("a".into(), "x,y".into()),
                ("e".into(), String::new()),
            ],
            "value",
            0.5,
            10,
        );
        assert_eq!(
            p.to_line().unwrap(),
            "cpu\\ load,a=x\\,y,z=1 value=0.5 10\n"
        );
    }

    #[test]
    fn rejects_what_line_protocol_cannot_carry() {
        let nan = Point::float("m", vec![], "value", f64::NAN, 1);
        assert_eq!(nan.to_line(), Err(PointError::InvalidNumber));
        let nl = Point::float("a\nb", vec![], "value", 1.0, 1);
        assert!(matches!(nl.to_line(), Err(PointError::Unrepresentable(_))));
        let empty = Point::float("", vec![], "value", 1.0, 1);
        assert_eq!(empty.to_line(), Err(PointError::MissingMeasurement));
        let out_of_range = Point::float("m", vec![], "value", 1.0, i64::MAX);
        assert!(matches!(
            out_of_range.to_line(),
            Err(PointError::Unrepresentable(_))
        ));
    }
}

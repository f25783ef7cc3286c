//! `SELECT ... INTO`: the result rows written back as points.

use almanac_influxql::ast::Into as IntoClause;
use almanac_influxql::MeasurementName;
use almanac_lineproto::{write_line, FieldValue, Precision};

use crate::result::{Series, StatementResult, Value};
use crate::{ExecError, Executor};

/// Points are written in bodies of at most this many lines.
const BATCH_LINES: usize = 10_000;

impl Executor {
    /// Writes `series` into the `INTO` target and returns InfluxDB's
    /// `result` series with the number of points written.
    pub(crate) async fn write_into(
        &self,
        into: &IntoClause,
        series: &[Series],
        db: &str,
        rp: Option<&str>,
    ) -> Result<StatementResult, ExecError> {
        let target = &into.measurement;
        let target_db = target.database.as_deref().unwrap_or(db);
        if target_db.is_empty() {
            return Err(ExecError::Query("database name required".into()));
        }
        let target_rp = target
            .retention_policy
            .as_deref()
            .or(if target.database.is_some() { None } else { rp });
        let fixed_name = match &target.name {
            MeasurementName::Name(n) if !into.backref_measurement => Some(n.clone()),
            MeasurementName::Name(_) => None,
            MeasurementName::Regex(_) => {
                return Err(ExecError::Query("invalid INTO target: regex".into()))
            }
        };
        let mut body = String::new();
        let mut lines = 0usize;
        let mut written = 0i64;
        for s in series {
            let name = fixed_name.as_deref().unwrap_or(&s.name);
            let tags: Vec<(&str, &str)> = s
                .tags
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            for row in &s.values {
                let Some(Value::Time(t)) = row.first() else {
                    continue;
                };
                let fields: Vec<(&str, FieldValue)> = s.columns[1..]
                    .iter()
                    .zip(&row[1..])
                    .filter_map(|(c, v)| {
                        let fv = match v {
                            Value::Float(f) => FieldValue::Float(*f),
                            Value::Integer(i) => FieldValue::Integer(*i),
                            Value::Unsigned(u) => FieldValue::UInteger(*u),
                            Value::String(s) => FieldValue::String(s.as_str().into()),
                            Value::Boolean(b) => FieldValue::Boolean(*b),
                            Value::Time(t) => FieldValue::Integer(*t),
                            // Only SHOW SUBSCRIPTIONS makes lists; as one string.
                            Value::Strings(items) => FieldValue::String(items.join(",").into()),
                            Value::Null => return None,
                        };
                        Some((c.as_str(), fv))
                    })
                    .collect();
                if fields.is_empty() {
                    continue;
                }
                write_line(&mut body, name, &tags, &fields, Some(*t));
                lines += 1;
                written += 1;
                if lines >= BATCH_LINES {
                    self.flush_into(target_db, target_rp, &mut body).await?;
                    lines = 0;
                }
            }
        }
        if lines > 0 {
            self.flush_into(target_db, target_rp, &mut body).await?;
        }
        let mut s = Series::new("result", &["time", "written"]);
        s.values.push(vec![Value::Time(0), Value::Integer(written)]);
        Ok(StatementResult::with_series(vec![s]))
    }

    async fn flush_into(
        &self,
        db: &str,
        rp: Option<&str>,
        body: &mut String,
    ) -> Result<(), ExecError> {
        let outcome = self
            .storage()
            .write(db, rp, body.as_bytes(), Precision::Nanosecond)
            .await?;
        body.clear();
        if outcome.dropped() > 0 {
            return Err(ExecError::Query(format!(
                "partial write: {} points dropped writing INTO {db}",
                outcome.dropped()
            )));
        }
        Ok(())
    }
}

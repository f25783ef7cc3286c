//! One run of a check at its scheduled time: query, levels, statuses.
//!
//! As InfluxDB 2's `monitor.check`: every pivoted row of the query result
//! becomes one status with `_level` = the first of crit, warn, info whose
//! threshold it meets, else `ok` (or `unknown` when an OK threshold exists
//! and is not met). A deadman check looks at the last row of each series:
//! dead when it is older than `timeSince` (or, with `reportZero`, when every
//! value since then is zero); the row gets a `dead` column.

use almanac_flux::Value;

use super::model::{Check, CheckKind, Level, Threshold};
use super::query::CheckQuery;
use super::rows::{fields_as_cols, write_row, Row};
use crate::AppState;

/// Runs `check` for scheduled time `at`; returns the number of statuses written.
pub async fn run(state: &AppState, check: &Check, at: i64) -> Result<usize, String> {
    let query = CheckQuery::build(check)?;
    let source = super::flux_source(state, check.owner_id.as_deref(), &check.org_id)?;
    let check_owned = check.clone();
    let lines = tokio::task::spawn_blocking(move || -> Result<(String, usize), String> {
        let ctx = almanac_flux::ExecContext {
            now: at,
            globals: Vec::new(),
        };
        let results = almanac_flux::execute(&query.script, &ctx, &source)
            .map_err(|e| format!("check query: {e}"))?;
        let tables: Vec<_> = results.into_iter().flat_map(|(_, t)| t).collect();
        let series = fields_as_cols(&tables);
        let levelled = evaluate(&check_owned, query.field.as_deref(), &series, at);
        let mut out = String::new();
        let n = levelled.len();
        for (row, level) in levelled {
            let mut status = status_row(&check_owned, row, level, at);
            let message =
                super::render_template(&check_owned.message_template, &status, &source, at)
                    .map_err(|e| format!("statusMessageTemplate: {e}"))?;
            status.set("_message", Value::String(message.into()), false);
            write_row(&mut out, "statuses", &status, at);
        }
        Ok((out, n))
    })
    .await
    .map_err(|e| format!("check run panicked: {e}"))??;
    super::write_monitoring(state, lines.0).await?;
    Ok(lines.1)
}

/// Whether `t` holds for a row's value `v`, given whether it held for every
/// row of the series (`all`).
fn meets(t: &Threshold, v: Option<f64>, all: bool) -> bool {
    if t.all_values {
        all
    } else {
        v.is_some_and(|v| t.condition.matches(v))
    }
}

/// The rows a check reports, each with its level.
pub fn evaluate(
    check: &Check,
    field: Option<&str>,
    series: &[Vec<Row>],
    at: i64,
) -> Vec<(Row, Level)> {
    let mut out = Vec::new();
    match &check.kind {
        CheckKind::Threshold(thresholds) => {
            let field = field.unwrap_or("_value");
            let has_ok = thresholds.iter().any(|t| t.level == Level::Ok);
            for rows in series {
                let all: Vec<bool> = thresholds
                    .iter()
                    .map(|t| {
                        rows.iter()
                            .all(|r| r.number(field).is_some_and(|v| t.condition.matches(v)))
                    })
                    .collect();
                for row in rows {
                    let v = row.number(field);
                    let hit = |level: Level| {
                        thresholds
                            .iter()
                            .zip(&all)
                            .any(|(t, all)| t.level == level && meets(t, v, *all))
                    };
                    let level = [Level::Crit, Level::Warn, Level::Info]
                        .into_iter()
                        .find(|l| hit(*l))
                        .unwrap_or(if !has_ok || hit(Level::Ok) {
                            Level::Ok
                        } else {
                            Level::Unknown
                        });
                    out.push((row.clone(), level));
                }
            }
        }
        CheckKind::Deadman {
            time_since,
            report_zero,
            level,
            ..
        } => {
            let since = at - time_since.ns;
            for rows in series {
                let Some(last) = rows
                    .iter()
                    .max_by_key(|r| r.time("_time").unwrap_or(i64::MIN))
                else {
                    continue;
                };
                let mut dead = last.time("_time").is_none_or(|t| t < since);
                if !dead && *report_zero {
                    let recent = rows
                        .iter()
                        .filter(|r| r.time("_time").is_some_and(|t| t >= since));
                    dead = recent.into_iter().all(|r| {
                        r.cols
                            .iter()
                            .filter(|(k, _)| !k.starts_with('_') && !r.key.contains(*k))
                            .all(|(_, v)| {
                                !matches!(v, Value::Float(f) if *f != 0.0)
                                    && !matches!(v, Value::Int(i) if *i != 0)
                                    && !matches!(v, Value::UInt(u) if *u != 0)
                            })
                    });
                }
                let mut row = last.clone();
                row.set("dead", Value::Bool(dead), false);
                out.push((row, if dead { *level } else { Level::Ok }));
            }
        }
    }
    out
}

/// A result row turned into a status (`monitor.check`'s columns).
pub fn status_row(check: &Check, mut row: Row, level: Level, at: i64) -> Row {
    let source_measurement = row.str("_measurement").unwrap_or("").to_string();
    let source_time = row.time("_time").unwrap_or(at);
    for (k, v) in &check.tags {
        row.set(k, Value::String(v.as_str().into()), true);
    }
    row.set("_measurement", Value::String("statuses".into()), true);
    row.set(
        "_source_measurement",
        Value::String(source_measurement.into()),
        true,
    );
    row.set("_type", Value::String(check.kind.type_name().into()), true);
    row.set("_check_id", Value::String(check.id.as_str().into()), true);
    row.set(
        "_check_name",
        Value::String(check.name.as_str().into()),
        true,
    );
    row.set("_level", Value::String(level.tag().into()), true);
    row.set("_source_timestamp", Value::Int(source_time), false);
    row.set("_time", Value::Time(at), false);
    row
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitoring::model::{Condition, Dur};

    fn check(kind: CheckKind) -> Check {
        Check {
            id: "c1".into(),
            org_id: "o".into(),
            name: "cpu check".into(),
            query: String::new(),
            every: Dur {
                text: "1s".into(),
                ns: 1_000_000_000,
            },
            offset: Dur {
                text: "0s".into(),
                ns: 0,
            },
            tags: vec![("team".into(), "ops".into())],
            message_template: String::new(),
            kind,
            active: true,
            owner_id: None,
        }
    }

    fn row(time: i64, v: f64) -> Row {
        let mut r = Row::default();
        r.set("_measurement", Value::String("cpu".into()), true);
        r.set("host", Value::String("a".into()), true);
        r.set("_time", Value::Time(time), false);
        r.set("usage", Value::Float(v), false);
        r
    }

    fn threshold(level: Level, all: bool, condition: Condition) -> Threshold {
        Threshold {
            level,
            all_values: all,
            condition,
        }
    }

    #[test]
    fn threshold_levels() {
        let c = check(CheckKind::Threshold(vec![
            threshold(Level::Crit, false, Condition::Greater(90.0)),
            threshold(
                Level::Warn,
                false,
                Condition::Range {
                    min: 50.0,
                    max: 90.0,
                    within: true,
                },
            ),
            threshold(Level::Info, true, Condition::Greater(10.0)),
        ]));
        let series = vec![
            vec![row(1, 95.0), row(2, 60.0), row(3, 20.0)],
            vec![row(1, 5.0)],
        ];
        let levels: Vec<Level> = evaluate(&c, Some("usage"), &series, 10)
            .into_iter()
            .map(|(_, l)| l)
            .collect();
        // info needs every value of the series above 10: true for the first series only
        assert_eq!(
            levels,
            vec![Level::Crit, Level::Warn, Level::Info, Level::Ok]
        );
        let with_ok = check(CheckKind::Threshold(vec![threshold(
            Level::Ok,
            false,
            Condition::Lesser(50.0),
        )]));
        let levels: Vec<Level> = evaluate(&with_ok, Some("usage"), &series, 10)
            .into_iter()
            .map(|(_, l)| l)
            .collect();
        assert_eq!(
            levels,
            vec![Level::Unknown, Level::Unknown, Level::Ok, Level::Ok]
        );
    }

    #[test]
    fn deadman_and_status_columns() {
        let d = |report_zero| {
            check(CheckKind::Deadman {
                time_since: Dur {
                    text: "5s".into(),
                    ns: 5,
                },
                stale_time: Dur {
                    text: "1m".into(),
                    ns: 60,
                },
                report_zero,
                level: Level::Crit,
            })
        };
        let series = vec![vec![row(1, 3.0), row(8, 0.0)], vec![row(2, 1.0)]];
        let out = evaluate(&d(false), None, &series, 10);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].1, Level::Ok);
        assert_eq!(out[0].0.cols.get("dead"), Some(&Value::Bool(false)));
        assert_eq!(out[1].1, Level::Crit);
        let out = evaluate(&d(true), None, &series, 10);
        assert_eq!(out[0].1, Level::Crit, "only zeros since 5s ago");
        let status = status_row(&d(false), out[1].0.clone(), Level::Crit, 10);
        let mut lines = String::new();
        write_row(&mut lines, "statuses", &status, 10);
        assert_eq!(
            lines.trim_end(),
            "statuses,_check_id=c1,_check_name=cpu\\ check,_level=crit,_source_measurement=cpu,_type=deadman,host=a,team=ops _source_timestamp=2i,dead=true,usage=1.0 10"
        );
    }
}

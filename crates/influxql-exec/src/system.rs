//! Server introspection statements: `SHOW SHARDS`, `SHOW SHARD GROUPS`,
//! `DROP SHARD`, `SHOW STATS`, `SHOW DIAGNOSTICS`, `SHOW QUERIES`,
//! `KILL QUERY`, and the registry of running queries behind the last two.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use almanac_storage::{DeletePredicate, PartitionKey};
use parking_lot::Mutex;

use crate::meta::go_duration;
use crate::result::{Series, Value};
use crate::{ExecError, Executor};

/// A running statement.
struct RunningQuery {
    /// Rendered only when `SHOW QUERIES` lists it.
    statement: Arc<almanac_influxql::Statement>,
    database: String,
    started: Instant,
    abort: Option<tokio::task::AbortHandle>,
    killed: bool,
    /// Wakes the statement's caller when the statement is killed.
    kill_signal: Arc<tokio::sync::Notify>,
}

/// Statements in flight, for `SHOW QUERIES` and `KILL QUERY`.
#[derive(Default)]
pub struct QueryRegistry {
    next_id: AtomicU64,
    running: Mutex<BTreeMap<u64, RunningQuery>>,
}

impl QueryRegistry {
    /// Registers a statement; returns its id and what wakes when it is killed.
    pub(crate) fn register(
        &self,
        statement: Arc<almanac_influxql::Statement>,
        database: String,
    ) -> (u64, Arc<tokio::sync::Notify>) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let kill_signal = Arc::new(tokio::sync::Notify::new());
        self.running.lock().insert(
            id,
            RunningQuery {
                statement,
                database,
                started: Instant::now(),
                abort: None,
                killed: false,
                kill_signal: kill_signal.clone(),
            },
        );
        (id, kill_signal)
    }

    pub(crate) fn set_abort(&self, id: u64, abort: tokio::task::AbortHandle) {
        if let Some(q) = self.running.lock().get_mut(&id) {
            if q.killed {
                abort.abort();
            }
            q.abort = Some(abort);
        }
    }

    /// Whether `KILL QUERY` has been given for a running statement.
    pub(crate) fn is_killed(&self, id: u64) -> bool {
        self.running.lock().get(&id).is_some_and(|q| q.killed)
    }

    /// Removes a finished statement; true when it had been killed.
    pub(crate) fn finish(&self, id: u64) -> bool {
        self.running.lock().remove(&id).is_some_and(|q| q.killed)
    }

    fn kill(&self, id: u64) -> Result<(), ExecError> {
        let mut running = self.running.lock();
        let q = running
            .get_mut(&id)
            .ok_or_else(|| ExecError::Query(format!("no such query id: {id}")))?;
        q.killed = true;
        if let Some(a) = &q.abort {
            a.abort();
        }
        q.kill_signal.notify_one();
        Ok(())
    }

    fn list(&self) -> Vec<(u64, String, String, std::time::Duration)> {
        let running: Vec<_> = self
            .running
            .lock()
            .iter()
            .map(|(id, q)| {
                (
                    *id,
                    q.statement.clone(),
                    q.database.clone(),
                    q.started.elapsed(),
                )
            })
            .collect();
        running
            .into_iter()
            .map(|(id, statement, db, elapsed)| (id, statement.to_string(), db, elapsed))
            .collect()
    }
}

/// Shard groups as InfluxDB shows them: one per (database, RP, window).
struct ShardGroup {
    id: u64,
    database: String,
    rp: String,
    start: i64,
    end: i64,
    expiry: i64,
    db_id: u64,
}

fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map(|kb| kb * 1024)
}

fn threads() -> Option<i64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("Threads:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
}

fn row_series(name: &str, pairs: Vec<(&str, Value)>) -> Series {
    let mut pairs = pairs;
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    let mut s = Series::new(name, &pairs.iter().map(|(k, _)| *k).collect::<Vec<_>>());
    s.values.push(pairs.into_iter().map(|(_, v)| v).collect());
    s
}

/// A shard time as influxd formats it (`time.RFC3339` of UTC).
fn shard_time(ns: i64) -> Value {
    let t = chrono::DateTime::from_timestamp_nanos(ns);
    Value::String(t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

impl Executor {
    fn shard_groups(&self) -> Vec<ShardGroup> {
        let catalog = self.storage().catalog().snapshot();
        let mut windows: BTreeMap<(u64, String, i64), i64> = BTreeMap::new();
        for PartitionKey {
            db_id,
            rp,
            start,
            end,
            ..
        } in self.storage().partition_keys()
        {
            windows.insert((db_id, rp, start), end);
        }
        let mut out = Vec::new();
        for (i, ((db_id, rp, start), end)) in windows.into_iter().enumerate() {
            let Some(db) = catalog.database_by_id(db_id) else {
                continue;
            };
            let duration = db
                .retention_policies
                .get(&rp)
                .and_then(|r| r.duration_ns)
                .unwrap_or(0);
            out.push(ShardGroup {
                id: i as u64 + 1,
                database: db.name.clone(),
                rp,
                start,
                end,
                expiry: end.saturating_add(duration),
                db_id,
            });
        }
        out
    }

    /// `SHOW SHARDS`: one series per database. Times are strings (RFC3339 to
    /// the second), whatever the `epoch` or format, as influxd 1.6.7 sends them.
    pub(crate) fn show_shards(&self) -> Vec<Series> {
        let mut by_db: Vec<Series> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for g in self.shard_groups() {
            let i = *index.entry(g.database.clone()).or_insert_with(|| {
                by_db.push(Series::new(
                    g.database.clone(),
                    &[
                        "id",
                        "database",
                        "retention_policy",
                        "shard_group",
                        "start_time",
                        "end_time",
                        "expiry_time",
                        "owners",
                    ],
                ));
                by_db.len() - 1
            });
            by_db[i].values.push(vec![
                Value::Integer(g.id as i64),
                Value::from(g.database.as_str()),
                Value::from(g.rp.as_str()),
                Value::Integer(g.id as i64),
                shard_time(g.start),
                shard_time(g.end),
                shard_time(g.expiry),
                Value::from(""),
            ]);
        }
        by_db
    }

    pub(crate) fn show_shard_groups(&self) -> Vec<Series> {
        let mut s = Series::new(
            "shard groups",
            &[
                "id",
                "database",
                "retention_policy",
                "start_time",
                "end_time",
                "expiry_time",
            ],
        );
        for g in self.shard_groups() {
            s.values.push(vec![
                Value::Integer(g.id as i64),
                Value::from(g.database.as_str()),
                Value::from(g.rp.as_str()),
                shard_time(g.start),
                shard_time(g.end),
                shard_time(g.expiry),
            ]);
        }
        vec![s]
    }

    pub(crate) async fn drop_shard(&self, id: u64) -> Result<(), ExecError> {
        let Some(g) = self.shard_groups().into_iter().find(|g| g.id == id) else {
            // InfluxDB answers success for unknown shard ids.
            return Ok(());
        };
        let predicate = DeletePredicate {
            db_id: g.db_id,
            rp: Some(g.rp),
            measurement: None,
            min_time: g.start,
            max_time: g.end - 1,
            tags: vec![],
        };
        self.storage().delete(predicate, false).await?;
        Ok(())
    }

    pub(crate) fn show_stats(&self, module: Option<&str>) -> Vec<Series> {
        let storage = self.storage();
        let stats = &storage.stats;
        let load = |v: &AtomicU64| Value::Integer(v.load(Ordering::Relaxed) as i64);
        let manifest = storage.manifest();
        let files: usize = manifest.partitions.values().map(|p| p.files.len()).sum();
        let file_bytes: u64 = manifest
            .partitions
            .values()
            .flat_map(|p| p.files.iter().map(|f| f.bytes))
            .sum();
        let mut out = vec![
            row_series(
                "write",
                vec![
                    ("req", load(&stats.write_requests)),
                    ("pointReq", load(&stats.lines_written)),
                    ("writeDrop", load(&stats.lines_rejected)),
                    ("writeBytes", load(&stats.bytes_written)),
                ],
            ),
            row_series(
                "storage",
                vec![
                    ("files", Value::Integer(files as i64)),
                    ("diskBytes", Value::Integer(file_bytes as i64)),
                    (
                        "bufferBytes",
                        Value::Integer(storage.buffer().bytes() as i64),
                    ),
                    ("filesPersisted", load(&stats.files_persisted)),
                    ("compactions", load(&stats.compactions)),
                    ("partitionsExpired", load(&stats.partitions_expired)),
                ],
            ),
            {
                // InfluxDB's `cq` module: queries run and failed.
                let (runs, failures, _) = self.continuous_query_metrics().snapshot();
                row_series(
                    "cq",
                    vec![
                        (
                            "queryOk",
                            Value::Integer(runs.saturating_sub(failures) as i64),
                        ),
                        ("queryFail", Value::Integer(failures as i64)),
                    ],
                )
            },
            row_series(
                "runtime",
                vec![
                    ("Sys", Value::Integer(rss_bytes().unwrap_or(0) as i64)),
                    ("NumThreads", Value::Integer(threads().unwrap_or(0))),
                ],
            ),
        ];
        out.extend(self.subscriber_metrics().stats_series());
        for db in storage.catalog().databases() {
            let mut s = row_series(
                "database",
                vec![(
                    "numMeasurements",
                    Value::Integer(db.measurements.len() as i64),
                )],
            );
            s.tags.insert("database".into(), db.name.clone());
            out.push(s);
        }
        if let Some(m) = module {
            out.retain(|s| s.name == m);
        }
        out
    }

    pub(crate) fn show_diagnostics(&self, module: Option<&str>) -> Vec<Series> {
        let now = chrono::Utc::now();
        let uptime = self.started.elapsed();
        let mut out = vec![
            row_series(
                "build",
                vec![
                    ("Branch", Value::from("main")),
                    ("Build Time", Value::from("")),
                    ("Commit", Value::from(env!("CARGO_PKG_VERSION"))),
                    ("Version", Value::from(crate::INFLUXDB_VERSION)),
                ],
            ),
            row_series(
                "runtime",
                vec![
                    ("GOARCH", Value::from(std::env::consts::ARCH)),
                    ("GOOS", Value::from(std::env::consts::OS)),
                    (
                        "GOMAXPROCS",
                        Value::Integer(
                            std::thread::available_parallelism()
                                .map(|n| n.get() as i64)
                                .unwrap_or(1),
                        ),
                    ),
                    (
                        "version",
                        Value::from(concat!("almanac ", env!("CARGO_PKG_VERSION"))),
                    ),
                ],
            ),
            row_series(
                "system",
                vec![
                    ("PID", Value::Integer(std::process::id() as i64)),
                    (
                        "currentTime",
                        Value::from(now.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)),
                    ),
                    (
                        "started",
                        Value::from(
                            (now - chrono::Duration::from_std(uptime).unwrap_or_default())
                                .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
                        ),
                    ),
                    ("uptime", Value::from(go_duration(uptime.as_nanos() as i64))),
                ],
            ),
            row_series(
                "network",
                vec![(
                    "hostname",
                    Value::from(
                        std::fs::read_to_string("/proc/sys/kernel/hostname")
                            .map(|h| h.trim().to_string())
                            .unwrap_or_default(),
                    ),
                )],
            ),
            row_series(
                "config-data",
                vec![(
                    "dir",
                    Value::from(self.storage().config().data_dir.display().to_string()),
                )],
            ),
        ];
        if let Some(m) = module {
            out.retain(|s| s.name == m);
        }
        out
    }

    pub(crate) fn show_queries(&self) -> Vec<Series> {
        let mut s = Series::new("", &["qid", "query", "database", "duration", "status"]);
        for (id, text, db, elapsed) in self.queries.list() {
            s.values.push(vec![
                Value::Integer(id as i64),
                Value::from(text),
                Value::from(db),
                Value::from(go_duration(elapsed.as_nanos() as i64)),
                Value::from("running"),
            ]);
        }
        vec![s]
    }

    pub(crate) fn kill_query(&self, id: u64) -> Result<(), ExecError> {
        self.queries.kill(id)
    }
}

/// Keeps the registry alive in clones of the executor.
pub(crate) type SharedRegistry = Arc<QueryRegistry>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_times_are_rfc3339_strings() {
        // influxd 1.6.7 (also with epoch=ms and as CSV): "2019-12-30T00:00:00Z".
        assert_eq!(
            shard_time(1_577_664_000_000_000_000),
            Value::from("2019-12-30T00:00:00Z")
        );
        assert_eq!(
            shard_time(1_500_000_000),
            Value::from("1970-01-01T00:00:01Z")
        );
    }
}

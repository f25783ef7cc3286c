//! `CREATE SUBSCRIPTION`, `DROP SUBSCRIPTION` and `SHOW SUBSCRIPTIONS`
//! (stored in the catalog), and [`SubscriberMetrics`], the counters of the
//! service that forwards writes to the destinations (the server runs it;
//! `SHOW STATS` shows them as InfluxDB's `subscriber` module).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use almanac_catalog::{SubscriptionDef, SubscriptionMode};
use almanac_influxql::Statement;
use parking_lot::Mutex;

use crate::result::{Series, StatementResult, Value};
use crate::{ExecError, Executor};

/// Identifies one destination of one subscription: (database, retention
/// policy, subscription name, destination URL).
pub type DestinationKey = (String, String, String, String);

/// Counters of one destination (or of all of them together).
#[derive(Debug, Default)]
pub struct DestinationCounters {
    /// Points delivered (HTTP 2xx, or UDP datagrams sent).
    pub points_written: AtomicU64,
    /// Requests (HTTP) or datagrams (UDP) sent successfully.
    pub writes_ok: AtomicU64,
    /// Deliveries that failed for good (after retries), with their points lost.
    pub write_failures: AtomicU64,
    /// Points lost because the destination's queue was full (slow or down).
    pub points_dropped: AtomicU64,
    /// Attempts repeated after a transient error.
    pub retries: AtomicU64,
}

impl DestinationCounters {
    fn add(&self, field: fn(&Self) -> &AtomicU64, n: u64) {
        field(self).fetch_add(n, Ordering::Relaxed);
    }

    fn fields(&self) -> Vec<(&'static str, Value)> {
        let load = |v: &AtomicU64| Value::Integer(v.load(Ordering::Relaxed) as i64);
        vec![
            ("pointsWritten", load(&self.points_written)),
            ("writesOk", load(&self.writes_ok)),
            ("writeFailures", load(&self.write_failures)),
            ("pointsDropped", load(&self.points_dropped)),
            ("writeRetries", load(&self.retries)),
        ]
    }
}

/// The counters one destination worker updates: its own and the totals.
#[derive(Debug, Clone)]
pub struct DestinationStats {
    own: Arc<DestinationCounters>,
    totals: Arc<DestinationCounters>,
}

impl DestinationStats {
    fn bump(&self, field: fn(&DestinationCounters) -> &AtomicU64, n: u64) {
        self.own.add(field, n);
        self.totals.add(field, n);
    }

    /// `points` delivered in one successful request/datagram.
    pub fn written(&self, points: u64) {
        self.bump(|c| &c.points_written, points);
        self.bump(|c| &c.writes_ok, 1);
    }

    /// One delivery failed for good.
    pub fn failed(&self) {
        self.bump(|c| &c.write_failures, 1);
    }

    /// `points` dropped because the queue was full.
    pub fn dropped(&self, points: u64) {
        self.bump(|c| &c.points_dropped, points);
    }

    /// One attempt is being repeated.
    pub fn retried(&self) {
        self.bump(|c| &c.retries, 1);
    }

    /// This destination's counters.
    pub fn own(&self) -> &DestinationCounters {
        &self.own
    }
}

/// Counters of the subscription service: totals (monotonic, for `/metrics`)
/// and one set per live destination.
#[derive(Debug, Default)]
pub struct SubscriberMetrics {
    totals: Arc<DestinationCounters>,
    /// Destinations whose URL could not be turned into a writer.
    create_failures: AtomicU64,
    destinations: Mutex<BTreeMap<DestinationKey, Arc<DestinationCounters>>>,
}

impl SubscriberMetrics {
    /// The counters of destination `key` (created on first use).
    pub fn destination(&self, key: &DestinationKey) -> DestinationStats {
        let own = self
            .destinations
            .lock()
            .entry(key.clone())
            .or_default()
            .clone();
        DestinationStats {
            own,
            totals: self.totals.clone(),
        }
    }

    /// Forgets the per-destination counters of a removed destination (the
    /// totals keep what it did).
    pub fn forget(&self, key: &DestinationKey) {
        self.destinations.lock().remove(key);
    }

    /// Counts a destination that could not be set up.
    pub fn create_failed(&self) {
        self.create_failures.fetch_add(1, Ordering::Relaxed);
    }

    /// The totals.
    pub fn totals(&self) -> &DestinationCounters {
        &self.totals
    }

    /// Destinations that could not be set up.
    pub fn create_failures(&self) -> u64 {
        self.create_failures.load(Ordering::Relaxed)
    }

    /// Each live destination with its counters.
    pub fn each_destination(&self) -> Vec<(DestinationKey, Arc<DestinationCounters>)> {
        self.destinations
            .lock()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// `SHOW STATS` rows of module `subscriber`: the totals, then one row
    /// per destination tagged with database, retention_policy, name and
    /// destination.
    pub(crate) fn stats_series(&self) -> Vec<Series> {
        let mut total = self.totals.fields();
        total.push((
            "createFailures",
            Value::Integer(self.create_failures() as i64),
        ));
        let mut out = vec![row("subscriber", total)];
        for ((db, rp, name, dest), counters) in self.each_destination() {
            let mut s = row("subscriber", counters.fields());
            s.tags.insert("database".into(), db);
            s.tags.insert("retention_policy".into(), rp);
            s.tags.insert("name".into(), name);
            s.tags.insert("destination".into(), dest);
            out.push(s);
        }
        out
    }
}

fn row(name: &str, mut pairs: Vec<(&str, Value)>) -> Series {
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    let columns: Vec<&str> = pairs.iter().map(|(k, _)| *k).collect();
    let mut s = Series::new(name, &columns);
    s.values.push(pairs.into_iter().map(|(_, v)| v).collect());
    s
}

/// The catalog's mode for the parser's.
fn mode(m: almanac_influxql::SubscriptionMode) -> SubscriptionMode {
    match m {
        almanac_influxql::SubscriptionMode::All => SubscriptionMode::All,
        almanac_influxql::SubscriptionMode::Any => SubscriptionMode::Any,
    }
}

impl Executor {
    /// Runs `CREATE SUBSCRIPTION`, `DROP SUBSCRIPTION` or `SHOW SUBSCRIPTIONS`.
    pub(crate) fn execute_subscription_statement(
        &self,
        stmt: &Statement,
    ) -> Result<StatementResult, ExecError> {
        let catalog = self.storage().catalog();
        match stmt {
            Statement::CreateSubscription {
                name,
                database,
                retention_policy,
                mode: m,
                destinations,
            } => {
                catalog.create_subscription(
                    database,
                    SubscriptionDef {
                        name: name.clone(),
                        retention_policy: retention_policy.clone(),
                        mode: mode(*m),
                        destinations: destinations.clone(),
                    },
                )?;
                Ok(StatementResult::default())
            }
            Statement::DropSubscription {
                name,
                database,
                retention_policy,
            } => {
                catalog.drop_subscription(database, retention_policy, name)?;
                Ok(StatementResult::default())
            }
            Statement::ShowSubscriptions => Ok(StatementResult::with_series(show_subscriptions(
                &catalog.subscriptions(),
            ))),
            other => Err(ExecError::Query(format!(
                "not a subscription statement: {other}"
            ))),
        }
    }
}

/// SHOW SUBSCRIPTIONS: one series per database that has subscriptions,
/// columns `retention_policy, name, mode, destinations` (an array).
fn show_subscriptions(subs: &[(String, SubscriptionDef)]) -> Vec<Series> {
    let mut out: Vec<Series> = Vec::new();
    for (db, s) in subs {
        if out.last().is_none_or(|last| last.name != *db) {
            out.push(Series::new(
                db.as_str(),
                &["retention_policy", "name", "mode", "destinations"],
            ));
        }
        let series = out.last_mut().expect("pushed above");
        series.values.push(vec![
            Value::from(s.retention_policy.as_str()),
            Value::from(s.name.as_str()),
            Value::from(s.mode.as_str()),
            Value::Strings(s.destinations.clone()),
        ]);
    }
    out
}

#[cfg(test)]
mod tests {
    use almanac_catalog::Catalog;
    use almanac_storage::{Storage, StorageConfig};

    use super::*;
    use crate::encode::{encode_json, EncodeOptions};
    use crate::ExecContext;

    async fn run(ex: &Executor, q: &str) -> StatementResult {
        let stmt = almanac_influxql::parse_statement(q).unwrap();
        ex.execute(&stmt, &ExecContext::default()).await
    }

    async fn error(ex: &Executor, q: &str) -> Option<String> {
        run(ex, q).await.error
    }

    #[tokio::test]
    async fn statements_store_show_and_drop_subscriptions() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(&dir.path().join("catalog.redb")).unwrap();
        let storage = Storage::open(StorageConfig::new(dir.path()), catalog).unwrap();
        let ex = Executor::new(storage);
        assert_eq!(
            run(&ex, "SHOW SUBSCRIPTIONS").await,
            StatementResult::default()
        );
        for q in [
            "CREATE DATABASE d1",
            "CREATE DATABASE d0",
            "CREATE SUBSCRIPTION s1 ON d1.autogen DESTINATIONS ALL 'http://127.0.0.1:9092', 'udp://h:1'",
            "CREATE SUBSCRIPTION \"Q q\" ON d1.autogen DESTINATIONS ANY 'HTTP://h:1'",
            "CREATE SUBSCRIPTION z ON d0.autogen DESTINATIONS ANY 'udp://h:2'",
        ] {
            assert_eq!(error(&ex, q).await, None, "{q}");
        }
        for (q, e) in [
            (
                "CREATE SUBSCRIPTION s1 ON d1.autogen DESTINATIONS ANY 'http://h:1'",
                "subscription already exists",
            ),
            (
                "CREATE SUBSCRIPTION x ON nodb.autogen DESTINATIONS ANY 'udp://h:1'",
                "database not found: nodb",
            ),
            (
                "CREATE SUBSCRIPTION x ON d1.norp DESTINATIONS ANY 'udp://h:1'",
                "retention policy not found: norp",
            ),
            (
                "CREATE SUBSCRIPTION x ON d1.autogen DESTINATIONS ANY 'udp://h'",
                "invalid subscription URL: udp://h",
            ),
            (
                "DROP SUBSCRIPTION nosuch ON d1.autogen",
                "subscription not found",
            ),
            (
                "DROP SUBSCRIPTION s1 ON d1.norp",
                "retention policy not found: norp",
            ),
        ] {
            assert_eq!(error(&ex, q).await.as_deref(), Some(e), "{q}");
        }
        let show = run(&ex, "SHOW SUBSCRIPTIONS").await;
        let json = encode_json(&[show], &EncodeOptions::default());
        assert_eq!(
            json,
            r#"{"results":[{"statement_id":0,"series":[{"name":"d1","columns":["retention_policy","name","mode","destinations"],"values":[["autogen","s1","ALL",["http://127.0.0.1:9092","udp://h:1"]],["autogen","Q q","ANY",["HTTP://h:1"]]]},{"name":"d0","columns":["retention_policy","name","mode","destinations"],"values":[["autogen","z","ANY",["udp://h:2"]]]}]}]}
"#
        );
        assert_eq!(error(&ex, "DROP SUBSCRIPTION s1 ON d1.autogen").await, None);
        assert_eq!(
            error(&ex, "DROP SUBSCRIPTION \"Q q\" ON d1.autogen").await,
            None
        );
        let show = run(&ex, "SHOW SUBSCRIPTIONS").await;
        assert_eq!(show.series.len(), 1);
        assert_eq!(show.series[0].name, "d0");
    }

    #[test]
    fn stats_rows_carry_totals_and_destinations() {
        let m = SubscriberMetrics::default();
        let key: DestinationKey = (
            "db".into(),
            "autogen".into(),
            "s".into(),
            "udp://h:1".into(),
        );
        let d = m.destination(&key);
        d.written(3);
        d.dropped(2);
        d.retried();
        d.failed();
        m.create_failed();
        let rows = m.stats_series();
        assert_eq!(rows.len(), 2);
        let col = |s: &Series, c: &str| {
            let i = s.columns.iter().position(|x| x == c).unwrap();
            s.values[0][i].clone()
        };
        assert_eq!(col(&rows[0], "pointsWritten"), Value::Integer(3));
        assert_eq!(col(&rows[0], "createFailures"), Value::Integer(1));
        assert_eq!(col(&rows[1], "pointsDropped"), Value::Integer(2));
        assert_eq!(col(&rows[1], "writeRetries"), Value::Integer(1));
        assert_eq!(rows[1].tags["destination"], "udp://h:1");
        m.forget(&key);
        assert_eq!(m.stats_series().len(), 1);
        assert_eq!(
            col(&m.stats_series()[0], "writeFailures"),
            Value::Integer(1)
        );
    }
}

//! The TSBS devops query types, written the way TSBS's InfluxDB query
//! generator writes them, with seeded random parameters.
//!
//! Each query type fixes a shape (which aggregate, how many `cpu` fields, how
//! many hosts, how long a window); the random parts are the hosts (distinct,
//! uniformly chosen among `host_0 … host_{scale-1}`) and the window's start
//! (uniform, whole seconds, so the window lies inside the data set's time
//! range). Times are written as RFC 3339 in UTC without fractional seconds.
//!
//! Two departures from TSBS, both only for data sets smaller than the query
//! needs: a window longer than the data set's time range becomes the whole
//! range (TSBS refuses to generate), and a type that asks for more hosts than
//! the data set has uses every host.
//!
//! Every type also has a Flux form (sent to `/api/v2/query`), built from the
//! same random hosts and window: `from |> range |> filter` (measurement,
//! fields, hosts) followed by the type's shaping — `group` by field (and host)
//! then `aggregateWindow` for the grouped types (and, with several fields,
//! `group` by host or nothing then `pivot` to fields side by side, the shape
//! of InfluxQL's answer; session 18 — before, each field's rows were sent
//! apart, repeating every tag), `pivot` then a `usage_user` filter for
//! `high-cpu-*`, `last` then `pivot` for `lastpoint` (session 19), and `aggregateWindow`
//! then `limit` for `groupby-orderby-limit`. TSBS has no Flux generator of
//! its own; these ask the same questions as the InfluxQL texts, so that the
//! two answers can be cross-checked (see [`crate::flux`]).
//!
//! Some types also have a PromQL form (for VictoriaMetrics, which does not
//! speak InfluxQL): `single-groupby-*`, `cpu-max-all-*` and `double-groupby-*`,
//! following TSBS's VictoriaMetrics generator; the others have none.

use std::fmt;
use std::str::FromStr;

use crate::gen::{Rng, FIELD_KEYS};

/// One TSBS devops query type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QueryType {
    /// `single-groupby-M-H-T`: max of M fields, H hosts, T hours, by 1m.
    SingleGroupby {
        /// Fields.
        metrics: u8,
        /// Hosts.
        hosts: u8,
        /// Window, in hours.
        hours: u8,
    },
    /// `cpu-max-all-H`: max of all ten fields, H hosts, 8 h window, by 1m.
    CpuMaxAll {
        /// Hosts.
        hosts: u8,
    },
    /// `double-groupby-M`: mean of M fields, all hosts, 12 h, by 1h and hostname.
    DoubleGroupby {
        /// Fields (10 for `-all`).
        metrics: u8,
    },
    /// `high-cpu-H`: every point with `usage_user > 90` in 12 h, H hosts (0 = all).
    HighCpu {
        /// Hosts; 0 means all hosts.
        hosts: u8,
    },
    /// `lastpoint`: the last point of every host.
    Lastpoint,
    /// `groupby-orderby-limit`: the first five 1m maxima before a random time.
    GroupbyOrderbyLimit,
}

/// Every query type of the devops use case, in TSBS's order.
pub const ALL_TYPES: [QueryType; 15] = [
    QueryType::SingleGroupby {
        metrics: 1,
        hosts: 1,
        hours: 1,
    },
    QueryType::SingleGroupby {
        metrics: 1,
        hosts: 1,
        hours: 12,
    },
    QueryType::SingleGroupby {
        metrics: 1,
        hosts: 8,
        hours: 1,
    },
    QueryType::SingleGroupby {
        metrics: 5,
        hosts: 1,
        hours: 1,
    },
    QueryType::SingleGroupby {
        metrics: 5,
        hosts: 1,
        hours: 12,
    },
    QueryType::SingleGroupby {
        metrics: 5,
        hosts: 8,
        hours: 1,
    },
    QueryType::CpuMaxAll { hosts: 1 },
    QueryType::CpuMaxAll { hosts: 8 },
    QueryType::DoubleGroupby { metrics: 1 },
    QueryType::DoubleGroupby { metrics: 5 },
    QueryType::DoubleGroupby { metrics: 10 },
    QueryType::HighCpu { hosts: 1 },
    QueryType::HighCpu { hosts: 0 },
    QueryType::Lastpoint,
    QueryType::GroupbyOrderbyLimit,
];

const HOUR_NS: i64 = 3_600_000_000_000;
const SECOND_NS: i64 = 1_000_000_000;

impl QueryType {
    /// TSBS's name, e.g. `single-groupby-1-1-12`.
    pub fn name(&self) -> String {
        match *self {
            QueryType::SingleGroupby {
                metrics,
                hosts,
                hours,
            } => format!("single-groupby-{metrics}-{hosts}-{hours}"),
            QueryType::CpuMaxAll { hosts } => format!("cpu-max-all-{hosts}"),
            QueryType::DoubleGroupby { metrics: 10 } => "double-groupby-all".into(),
            QueryType::DoubleGroupby { metrics } => format!("double-groupby-{metrics}"),
            QueryType::HighCpu { hosts: 0 } => "high-cpu-all".into(),
            QueryType::HighCpu { hosts } => format!("high-cpu-{hosts}"),
            QueryType::Lastpoint => "lastpoint".into(),
            QueryType::GroupbyOrderbyLimit => "groupby-orderby-limit".into(),
        }
    }

    /// Whether a correct answer may hold no rows (a threshold that no point
    /// crosses in the window); for every other type an empty answer is a failure.
    pub fn may_be_empty(&self) -> bool {
        matches!(self, QueryType::HighCpu { .. })
    }

    /// Whether the type has a PromQL form.
    pub fn has_promql(&self) -> bool {
        matches!(
            self,
            QueryType::SingleGroupby { .. }
                | QueryType::CpuMaxAll { .. }
                | QueryType::DoubleGroupby { .. }
        )
    }

    /// Position in [`ALL_TYPES`]; it seeds the type's own random stream.
    fn index(&self) -> u64 {
        ALL_TYPES.iter().position(|t| t == self).unwrap_or(0) as u64
    }
}

impl fmt::Display for QueryType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// A name that is not a TSBS devops query type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown query type {0:?} (known: {known})", known = known_names())]
pub struct UnknownQueryType(pub String);

fn known_names() -> String {
    ALL_TYPES
        .iter()
        .map(|t| t.name())
        .collect::<Vec<_>>()
        .join(", ")
}

impl FromStr for QueryType {
    type Err = UnknownQueryType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ALL_TYPES
            .iter()
            .find(|t| t.name() == s.trim())
            .copied()
            .ok_or_else(|| UnknownQueryType(s.to_string()))
    }
}

/// Parses a comma-separated list of types; `all` means every type.
pub fn parse_types(list: &str) -> Result<Vec<QueryType>, UnknownQueryType> {
    let mut out = Vec::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if part == "all" {
            out.extend(ALL_TYPES);
        } else {
            out.push(part.parse()?);
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|t| seen.insert(*t));
    Ok(out)
}

/// What the queries run against: the data set's hosts and time range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct DataSpan {
    /// Hosts `host_0 … host_{scale-1}`.
    pub scale: u64,
    /// First timestamp, ns.
    pub start_ns: i64,
    /// End of the range (exclusive), ns.
    pub end_ns: i64,
}

/// A PromQL range query (`/api/v1/query_range`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PromQuery {
    /// The expression.
    pub query: String,
    /// Start, Unix seconds.
    pub start: i64,
    /// End, Unix seconds.
    pub end: i64,
    /// Step, seconds.
    pub step: u32,
}

/// One generated query, in every language the type has.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Query {
    /// The type.
    #[serde(serialize_with = "ser_type")]
    pub qtype: QueryType,
    /// InfluxQL, as TSBS writes it.
    pub influxql: String,
    /// The PromQL equivalent, for the types that have one.
    pub promql: Option<PromQuery>,
    /// The Flux form after its `from(bucket: …)` (the bucket depends on the
    /// database: [`crate::flux::script`] puts the two together).
    pub flux: String,
}

fn ser_type<S: serde::Serializer>(t: &QueryType, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.name())
}

/// RFC 3339 in UTC, whole seconds (Go's `time.RFC3339`).
pub fn rfc3339(ns: i64) -> String {
    let secs = ns.div_euclid(SECOND_NS);
    match chrono::DateTime::from_timestamp(secs, 0) {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => "1970-01-01T00:00:00Z".into(),
    }
}

/// Generates the queries of one type.
#[derive(Debug, Clone)]
pub struct QueryGenerator {
    span: DataSpan,
    qtype: QueryType,
    rng: Rng,
}

impl QueryGenerator {
    /// A generator for `qtype` over `span`; each type has its own stream, so
    /// the queries of one type do not depend on which other types run.
    pub fn new(span: DataSpan, qtype: QueryType, seed: u64) -> QueryGenerator {
        let mut seeder = Rng::new(seed ^ (qtype.index() + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        QueryGenerator {
            span,
            qtype,
            rng: Rng::new(seeder.next_u64()),
        }
    }

    /// A random window of `len_ns` inside the span, as (start, end) ns. The
    /// start is a whole second; a window longer than the span is the span.
    fn window(&mut self, len_ns: i64) -> (i64, i64) {
        let span = self.span.end_ns.saturating_sub(self.span.start_ns);
        let first = self.span.start_ns.div_euclid(SECOND_NS) * SECOND_NS;
        if len_ns >= span {
            return (first, first.saturating_add(span.max(SECOND_NS)));
        }
        let choices = ((span - len_ns) / SECOND_NS).max(1) as u64;
        let start = first + self.rng.below(choices) as i64 * SECOND_NS;
        (start, start + len_ns)
    }

    /// `n` distinct random hosts (every host when the data set has fewer).
    fn hosts(&mut self, n: u64) -> Vec<String> {
        let scale = self.span.scale.max(1);
        let n = n.min(scale);
        let mut picked: Vec<u64> = Vec::with_capacity(n as usize);
        while (picked.len() as u64) < n {
            let h = self.rng.below(scale);
            if !picked.contains(&h) {
                picked.push(h);
            }
        }
        picked.into_iter().map(|h| format!("host_{h}")).collect()
    }

    /// The next query.
    pub fn next_query(&mut self) -> Query {
        let qtype = self.qtype;
        match qtype {
            QueryType::SingleGroupby {
                metrics,
                hosts,
                hours,
            } => {
                let (start, end) = self.window(hours as i64 * HOUR_NS);
                let hosts = self.hosts(hosts as u64);
                let fields = &FIELD_KEYS[..metrics as usize];
                let influxql = format!(
                    "SELECT {} from cpu where {} and time >= '{}' and time < '{}' group by time(1m)",
                    aggregates("max", fields, ", "),
                    host_clause(&hosts),
                    rfc3339(start),
                    rfc3339(end),
                );
                let promql = PromQuery {
                    query: format!(
                        "max(max_over_time({}[1m])) by (__name__)",
                        prom_selector(fields, &hosts)
                    ),
                    start: start.div_euclid(SECOND_NS),
                    end: end.div_euclid(SECOND_NS),
                    step: 60,
                };
                Query {
                    qtype,
                    influxql,
                    promql: Some(promql),
                    flux: flux_grouped(start, end, fields, &hosts, &["_field"], "1m", "max"),
                }
            }
            QueryType::CpuMaxAll { hosts } => {
                let (start, end) = self.window(8 * HOUR_NS);
                let hosts = self.hosts(hosts as u64);
                let influxql = format!(
                    "SELECT {} from cpu where {} and time >= '{}' and time < '{}' group by time(1m)",
                    aggregates("max", &FIELD_KEYS, ","),
                    host_clause(&hosts),
                    rfc3339(start),
                    rfc3339(end),
                );
                let promql = PromQuery {
                    query: format!(
                        "max(max_over_time({}[1h])) by (__name__)",
                        prom_selector(&FIELD_KEYS, &hosts)
                    ),
                    start: start.div_euclid(SECOND_NS),
                    end: end.div_euclid(SECOND_NS),
                    step: 3600,
                };
                Query {
                    qtype,
                    influxql,
                    promql: Some(promql),
                    flux: flux_grouped(start, end, &FIELD_KEYS, &hosts, &["_field"], "1m", "max"),
                }
            }
            QueryType::DoubleGroupby { metrics } => {
                let (start, end) = self.window(12 * HOUR_NS);
                let fields = &FIELD_KEYS[..metrics as usize];
                let influxql = format!(
                    "SELECT {} from cpu where time >= '{}' and time < '{}' group by time(1h),hostname",
                    aggregates("mean", fields, ", "),
                    rfc3339(start),
                    rfc3339(end),
                );
                let promql = PromQuery {
                    query: format!(
                        "avg(avg_over_time({}[1h])) by (__name__, hostname)",
                        prom_selector(fields, &[])
                    ),
                    start: start.div_euclid(SECOND_NS),
                    end: end.div_euclid(SECOND_NS),
                    step: 3600,
                };
                Query {
                    qtype,
                    influxql,
                    promql: Some(promql),
                    flux: flux_grouped(
                        start,
                        end,
                        fields,
                        &[],
                        &["hostname", "_field"],
                        "1h",
                        "mean",
                    ),
                }
            }
            QueryType::HighCpu { hosts } => {
                let (start, end) = self.window(12 * HOUR_NS);
                // TSBS leaves the host clause's slot empty for all hosts,
                // hence the double space.
                let picked = if hosts == 0 {
                    Vec::new()
                } else {
                    self.hosts(hosts as u64)
                };
                let clause = if hosts == 0 {
                    String::new()
                } else {
                    format!("and {}", host_clause(&picked))
                };
                let influxql = format!(
                    "SELECT * from cpu where usage_user > 90.0 {clause} and time >= '{}' and time < '{}'",
                    rfc3339(start),
                    rfc3339(end),
                );
                let flux = format!(
                    "{}\n  |> pivot(rowKey: [\"_time\"], columnKey: [\"_field\"], valueColumn: \"_value\")\n  |> filter(fn: (r) => r.usage_user > 90.0)",
                    flux_select(&rfc3339(start), Some(end), &[], &picked)
                );
                Query {
                    qtype,
                    influxql,
                    promql: None,
                    flux,
                }
            }
            QueryType::Lastpoint => Query {
                qtype,
                influxql: "SELECT * from cpu group by \"hostname\" order by time desc limit 1"
                    .into(),
                promql: None,
                // Each field's last point, side by side per host as
                // InfluxQL answers (`last()` alone sends 1,000 one-row
                // tables, each repeating every tag).
                flux: format!(
                    "{}\n  |> last()\n  |> pivot(rowKey: [\"_time\"], columnKey: [\"_field\"], valueColumn: \"_value\")",
                    flux_select(EPOCH, None, &[], &[])
                ),
            },
            QueryType::GroupbyOrderbyLimit => {
                let (_, end) = self.window(HOUR_NS);
                Query {
                    qtype,
                    influxql: format!(
                        "SELECT max(usage_user) from cpu WHERE time < '{}' group by time(1m) limit 5",
                        rfc3339(end)
                    ),
                    promql: None,
                    flux: format!(
                        "{}\n  |> group(columns: [\"_field\"])\n  |> aggregateWindow(every: 1m, fn: max, createEmpty: false)\n  |> limit(n: 5)",
                        flux_select(EPOCH, Some(end), &FIELD_KEYS[..1], &[])
                    ),
                }
            }
        }
    }

    /// The next `n` queries.
    pub fn take(&mut self, n: usize) -> Vec<Query> {
        (0..n).map(|_| self.next_query()).collect()
    }
}

/// The start of the Flux range of the queries without a lower time bound.
const EPOCH: &str = "1970-01-01T00:00:00Z";

/// `|> range |> filter` of the `cpu` measurement, the fields (none: all) and
/// the hosts (none: all).
fn flux_select(start: &str, end: Option<i64>, fields: &[&str], hosts: &[String]) -> String {
    let range = match end {
        Some(e) => format!("  |> range(start: {start}, stop: {})", rfc3339(e)),
        None => format!("  |> range(start: {start})"),
    };
    let mut conds = vec!["r._measurement == \"cpu\"".to_string()];
    let any = |col: &str, vals: &mut dyn Iterator<Item = &str>| {
        let parts: Vec<String> = vals.map(|v| format!("r.{col} == \"{v}\"")).collect();
        if parts.len() == 1 {
            parts[0].clone()
        } else {
            format!("({})", parts.join(" or "))
        }
    };
    if !fields.is_empty() {
        conds.push(any("_field", &mut fields.iter().copied()));
    }
    if !hosts.is_empty() {
        conds.push(any("hostname", &mut hosts.iter().map(String::as_str)));
    }
    format!("{range}\n  |> filter(fn: (r) => {})", conds.join(" and "))
}

/// `group(columns: by)` then the fields side by side, one row per time, as
/// InfluxQL answers a question about several fields (Flux's own answer has
/// a row per field and time, each repeating every tag).
fn flux_fields_as_columns(by: &[&str]) -> String {
    let by: Vec<String> = by.iter().map(|c| format!("\"{c}\"")).collect();
    format!(
        "\n  |> group(columns: [{}])\n  |> pivot(rowKey: [\"_time\"], columnKey: [\"_field\"], valueColumn: \"_value\")",
        by.join(", ")
    )
}

/// A grouped type in Flux: select, `group(columns:)`, `aggregateWindow`,
/// and with several fields [`flux_fields_as_columns`] per `by` without
/// `_field`.
fn flux_grouped(
    start: i64,
    end: i64,
    fields: &[&str],
    hosts: &[String],
    by: &[&str],
    every: &str,
    func: &str,
) -> String {
    let quoted: Vec<String> = by.iter().map(|c| format!("\"{c}\"")).collect();
    let mut flux = format!(
        "{}\n  |> group(columns: [{}])\n  |> aggregateWindow(every: {every}, fn: {func}, createEmpty: false)",
        flux_select(&rfc3339(start), Some(end), fields, hosts),
        quoted.join(", ")
    );
    if fields.len() > 1 {
        let rest: Vec<&str> = by.iter().copied().filter(|c| *c != "_field").collect();
        flux.push_str(&flux_fields_as_columns(&rest));
    }
    flux
}

fn aggregates(func: &str, fields: &[&str], sep: &str) -> String {
    fields
        .iter()
        .map(|f| format!("{func}({f})"))
        .collect::<Vec<_>>()
        .join(sep)
}

fn host_clause(hosts: &[String]) -> String {
    let parts: Vec<String> = hosts.iter().map(|h| format!("hostname = '{h}'")).collect();
    format!("({})", parts.join(" or "))
}

/// A PromQL selector of `cpu_<field>` series, as VictoriaMetrics names the
/// fields of Influx line protocol (`<measurement>_<field>`).
fn prom_selector(fields: &[&str], hosts: &[String]) -> String {
    let hosts_clause = match hosts {
        [] => String::new(),
        [one] => format!("hostname='{one}'"),
        many => format!("hostname=~'{}'", many.join("|")),
    };
    match fields {
        [one] => format!("cpu_{one}{{{hosts_clause}}}"),
        many => {
            let names = many.join("|");
            if hosts_clause.is_empty() {
                format!("{{__name__=~'cpu_({names})'}}")
            } else {
                format!("{{__name__=~'cpu_({names})', {hosts_clause}}}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: i64 = 1_451_606_400_000_000_000; // 2016-01-01T00:00:00Z

    fn span(scale: u64, hours: i64) -> DataSpan {
        DataSpan {
            scale,
            start_ns: START,
            end_ns: START + hours * HOUR_NS,
        }
    }

    #[test]
    fn names_round_trip_and_are_the_tsbs_ones() {
        let names: Vec<String> = ALL_TYPES.iter().map(|t| t.name()).collect();
        assert_eq!(
            names,
            [
                "single-groupby-1-1-1",
                "single-groupby-1-1-12",
                "single-groupby-1-8-1",
                "single-groupby-5-1-1",
                "single-groupby-5-1-12",
                "single-groupby-5-8-1",
                "cpu-max-all-1",
                "cpu-max-all-8",
                "double-groupby-1",
                "double-groupby-5",
                "double-groupby-all",
                "high-cpu-1",
                "high-cpu-all",
                "lastpoint",
                "groupby-orderby-limit",
            ]
        );
        for t in ALL_TYPES {
            assert_eq!(t.name().parse::<QueryType>().unwrap(), t);
        }
        assert!("single-groupby-2-2-2".parse::<QueryType>().is_err());
        assert_eq!(parse_types("all").unwrap().len(), 15);
        assert_eq!(
            parse_types("lastpoint, high-cpu-1,lastpoint").unwrap(),
            vec![QueryType::Lastpoint, QueryType::HighCpu { hosts: 1 }]
        );
        let err = parse_types("nope").unwrap_err().to_string();
        assert!(err.contains("nope") && err.contains("lastpoint"), "{err}");
    }

    #[test]
    fn texts_follow_tsbs() {
        let s = span(100, 48);
        let mut g = QueryGenerator::new(s, "single-groupby-5-8-1".parse().unwrap(), 1);
        let q = g.next_query();
        assert!(q.influxql.starts_with(
            "SELECT max(usage_user), max(usage_system), max(usage_idle), max(usage_nice), max(usage_iowait) from cpu where (hostname = 'host_"
        ), "{}", q.influxql);
        assert_eq!(q.influxql.matches(" or ").count(), 7);
        assert!(q.influxql.ends_with("' group by time(1m)"));

        let q = QueryGenerator::new(s, QueryType::CpuMaxAll { hosts: 1 }, 1).next_query();
        assert!(q
            .influxql
            .starts_with("SELECT max(usage_user),max(usage_system),"));
        assert!(q
            .influxql
            .contains("max(usage_guest_nice) from cpu where (hostname = 'host_"));

        let q = QueryGenerator::new(s, QueryType::DoubleGroupby { metrics: 1 }, 1).next_query();
        assert!(q
            .influxql
            .starts_with("SELECT mean(usage_user) from cpu where time >= '"));
        assert!(q.influxql.ends_with("' group by time(1h),hostname"));

        let q = QueryGenerator::new(s, QueryType::HighCpu { hosts: 0 }, 1).next_query();
        assert!(q
            .influxql
            .starts_with("SELECT * from cpu where usage_user > 90.0  and time >= '"));
        assert!(q.promql.is_none());
        let q = QueryGenerator::new(s, QueryType::HighCpu { hosts: 1 }, 1).next_query();
        assert!(q
            .influxql
            .starts_with("SELECT * from cpu where usage_user > 90.0 and (hostname = 'host_"));

        let q = QueryGenerator::new(s, QueryType::Lastpoint, 1).next_query();
        assert_eq!(
            q.influxql,
            "SELECT * from cpu group by \"hostname\" order by time desc limit 1"
        );
        let q = QueryGenerator::new(s, QueryType::GroupbyOrderbyLimit, 1).next_query();
        assert!(q
            .influxql
            .starts_with("SELECT max(usage_user) from cpu WHERE time < '2016-01-0"));
        assert!(q.influxql.ends_with("' group by time(1m) limit 5"));
    }

    fn times(q: &str) -> Vec<i64> {
        q.split('\'')
            .filter(|p| p.starts_with("2016-"))
            .map(|p| crate::util::parse_time_ns(p).unwrap())
            .collect()
    }

    #[test]
    fn windows_lie_in_the_span_and_have_the_type_length() {
        let s = span(100, 24);
        for (t, len_h) in [
            ("single-groupby-1-1-1", 1),
            ("single-groupby-1-1-12", 12),
            ("cpu-max-all-8", 8),
            ("double-groupby-5", 12),
            ("high-cpu-1", 12),
        ] {
            let mut g = QueryGenerator::new(s, t.parse().unwrap(), 7);
            for q in g.take(200) {
                let ts = times(&q.influxql);
                assert_eq!(ts.len(), 2, "{}", q.influxql);
                assert!(ts[0] >= s.start_ns && ts[1] <= s.end_ns, "{}", q.influxql);
                assert_eq!(ts[1] - ts[0], len_h * HOUR_NS);
                assert_eq!(ts[0] % SECOND_NS, 0);
            }
        }
    }

    #[test]
    fn small_data_sets_clamp_windows_and_hosts() {
        let s = DataSpan {
            scale: 2,
            start_ns: START,
            end_ns: START + 600 * SECOND_NS,
        };
        let q = QueryGenerator::new(s, "single-groupby-1-8-1".parse().unwrap(), 3).next_query();
        assert_eq!(q.influxql.matches("hostname = ").count(), 2);
        assert!(q.influxql.contains("'host_0'") && q.influxql.contains("'host_1'"));
        assert_eq!(
            times(&q.influxql),
            vec![START, START + 600 * SECOND_NS],
            "{}",
            q.influxql
        );
    }

    #[test]
    fn hosts_are_distinct_and_in_range() {
        let s = span(10, 24);
        let mut g = QueryGenerator::new(s, QueryType::CpuMaxAll { hosts: 8 }, 11);
        for q in g.take(100) {
            let mut hosts: Vec<u64> = q
                .influxql
                .split("'host_")
                .skip(1)
                .map(|p| p.split('\'').next().unwrap().parse().unwrap())
                .collect();
            assert_eq!(hosts.len(), 8);
            assert!(hosts.iter().all(|h| *h < 10));
            hosts.sort();
            hosts.dedup();
            assert_eq!(hosts.len(), 8);
        }
    }

    #[test]
    fn seeded_and_independent_per_type() {
        let s = span(100, 24);
        let t = QueryType::SingleGroupby {
            metrics: 1,
            hosts: 1,
            hours: 1,
        };
        let a = QueryGenerator::new(s, t, 5).take(20);
        let b = QueryGenerator::new(s, t, 5).take(20);
        let c = QueryGenerator::new(s, t, 6).take(20);
        assert_eq!(a, b);
        assert_ne!(a, c);
        let other = QueryGenerator::new(
            s,
            QueryType::SingleGroupby {
                metrics: 5,
                hosts: 1,
                hours: 1,
            },
            5,
        )
        .take(20);
        assert_ne!(
            a.iter().map(|q| times(&q.influxql)).collect::<Vec<_>>(),
            other.iter().map(|q| times(&q.influxql)).collect::<Vec<_>>()
        );
    }

    #[test]
    fn promql_forms() {
        let s = span(100, 24);
        let q = QueryGenerator::new(s, "single-groupby-1-1-1".parse().unwrap(), 2).next_query();
        let p = q.promql.unwrap();
        assert!(p
            .query
            .starts_with("max(max_over_time(cpu_usage_user{hostname='host_"));
        assert!(p.query.ends_with("}[1m])) by (__name__)"));
        assert_eq!(p.step, 60);
        assert_eq!(p.end - p.start, 3600);
        let q = QueryGenerator::new(s, "single-groupby-5-8-1".parse().unwrap(), 2).next_query();
        let p = q.promql.unwrap();
        assert!(p.query.starts_with(
            "max(max_over_time({__name__=~'cpu_(usage_user|usage_system|usage_idle|usage_nice|usage_iowait)', hostname=~'host_"
        ), "{}", p.query);
        assert_eq!(p.query.matches('|').count(), 4 + 7);
        let q = QueryGenerator::new(s, "double-groupby-all".parse().unwrap(), 2).next_query();
        let p = q.promql.unwrap();
        assert!(p
            .query
            .starts_with("avg(avg_over_time({__name__=~'cpu_(usage_user|"));
        assert!(p
            .query
            .ends_with("usage_guest_nice)'}[1h])) by (__name__, hostname)"));
        assert_eq!(p.step, 3600);
        for t in ALL_TYPES {
            let q = QueryGenerator::new(s, t, 1).next_query();
            assert_eq!(q.promql.is_some(), t.has_promql(), "{t}");
        }
    }

    #[test]
    fn flux_forms_share_the_influxql_parameters() {
        let s = span(100, 24);
        for t in ALL_TYPES {
            let q = QueryGenerator::new(s, t, 4).next_query();
            assert!(q.flux.starts_with("  |> range(start: "), "{t}: {}", q.flux);
            assert!(q.flux.contains("r._measurement == \"cpu\""), "{t}");
            // the same window and hosts as the InfluxQL text
            for part in q
                .influxql
                .split('\'')
                .filter(|p| p.starts_with("2016-") || p.starts_with("host_"))
            {
                assert!(q.flux.contains(part), "{t}: {part} not in {}", q.flux);
            }
        }
        let q = QueryGenerator::new(s, "single-groupby-5-8-1".parse().unwrap(), 3).next_query();
        assert_eq!(q.flux.matches("r._field == ").count(), 5);
        assert_eq!(q.flux.matches("r.hostname == ").count(), 8);
        assert!(q.flux.contains(
            "|> group(columns: [\"_field\"])\n  |> aggregateWindow(every: 1m, fn: max, createEmpty: false)\n  |> group(columns: [])\n  |> pivot("
        ));
        let q = QueryGenerator::new(s, "single-groupby-1-8-1".parse().unwrap(), 3).next_query();
        assert!(q.flux.ends_with("createEmpty: false)"), "{}", q.flux);
        let q = QueryGenerator::new(s, "double-groupby-all".parse().unwrap(), 3).next_query();
        assert!(q
            .flux
            .contains("group(columns: [\"hostname\", \"_field\"])"));
        assert!(q.flux.contains("every: 1h, fn: mean"));
        assert!(q
            .flux
            .contains("|> group(columns: [\"hostname\"])\n  |> pivot("));
        assert!(!q.flux.contains("r.hostname"));
        let q = QueryGenerator::new(s, QueryType::HighCpu { hosts: 0 }, 3).next_query();
        assert!(q
            .flux
            .ends_with("|> filter(fn: (r) => r.usage_user > 90.0)"));
        assert!(!q.flux.contains("r.hostname"));
        let q = QueryGenerator::new(s, QueryType::Lastpoint, 3).next_query();
        assert!(q.flux.contains("|> last()\n  |> pivot("));
        let q = QueryGenerator::new(s, QueryType::GroupbyOrderbyLimit, 3).next_query();
        assert!(q.flux.ends_with("|> limit(n: 5)"));
        assert!(q.flux.contains("r._field == \"usage_user\""));
    }

    #[test]
    fn rfc3339_is_whole_seconds_utc() {
        assert_eq!(rfc3339(START), "2016-01-01T00:00:00Z");
        assert_eq!(rfc3339(START + 1_999_999_999), "2016-01-01T00:00:01Z");
    }
}

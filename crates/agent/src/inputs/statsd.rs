//! `inputs.statsd`: a StatsD server (UDP or TCP) aggregating counters, gauges, sets and
//! timings/histograms (mean, stddev, sum, upper, lower, count, `<p>_percentile`) and emitting them on every gather.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde::Deserialize;
use tokio::io::AsyncReadExt;
use tokio::task::JoinHandle;

use crate::config::{ConfigError, PluginOptions};
use crate::metric::{now_ns, Metric};
use crate::parsers::GraphiteParser;
use crate::plugin::{Accumulator, Input, PluginError, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Input> = PluginSpec {
    name: "statsd",
    description: "Statsd Server",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[inputs.statsd]]
  ## Protocol, must be "tcp", "udp4", "udp6" or "udp" (default=udp)
  protocol = "udp"

  ## Address and port to host UDP listener on
  service_address = ":8125"

  ## Reset gauges/counters/sets/timings every interval (default=true).
  delete_gauges = true
  delete_counters = true
  delete_sets = true
  delete_timings = true

  ## Percentiles to calculate for timing & histogram stats.
  percentiles = [50.0, 90.0, 99.0, 99.9, 99.95, 100.0]

  ## separator to use between elements of a statsd metric
  metric_separator = "_"

  ## Parses tags in the datadog statsd format
  datadog_extensions = false

  ## Statsd data translation templates, more info can be read here:
  ## https://github.com/influxdata/telegraf/blob/master/docs/TEMPLATE_PATTERN.md
  # templates = [
  #     "cpu.* measurement*"
  # ]

  ## Number of UDP messages allowed to queue up, once filled,
  ## the statsd server will start dropping packets
  allowed_pending_messages = 10000

  ## Number of timing/histogram values to track per-measurement in the
  ## calculation of percentiles.
  percentile_limit = 1000
"#;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct StatsdConfig {
    protocol: String,
    service_address: String,
    max_tcp_connections: usize,
    tcp_keep_alive: bool,
    tcp_keep_alive_period: Option<crate::config::Dur>,
    delete_gauges: bool,
    delete_counters: bool,
    delete_sets: bool,
    delete_timings: bool,
    percentiles: Vec<f64>,
    metric_separator: String,
    datadog_extensions: bool,
    datadog_distributions: bool,
    parse_data_dog_tags: bool,
    templates: Vec<String>,
    allowed_pending_messages: usize,
    number_workers_threads: Option<usize>,
    percentile_limit: usize,
    read_buffer_size: Option<usize>,
    float_counters: bool,
    max_ttl: Option<crate::config::Dur>,
    enable_aggregation_temporality: bool,
}

impl Default for StatsdConfig {
    fn default() -> Self {
        StatsdConfig {
            protocol: "udp".into(),
            service_address: ":8125".into(),
            max_tcp_connections: 250,
            tcp_keep_alive: false,
            tcp_keep_alive_period: None,
            delete_gauges: true,
            delete_counters: true,
            delete_sets: true,
            delete_timings: true,
            percentiles: vec![50.0, 90.0, 99.0, 99.9, 99.95, 100.0],
            metric_separator: "_".into(),
            datadog_extensions: false,
            datadog_distributions: false,
            parse_data_dog_tags: false,
            templates: vec![],
            allowed_pending_messages: 10000,
            number_workers_threads: None,
            percentile_limit: 1000,
            read_buffer_size: None,
            float_counters: false,
            max_ttl: None,
            enable_aggregation_temporality: false,
        }
    }
}

fn build(o: &PluginOptions) -> Result<Box<dyn Input>, ConfigError> {
    let c: StatsdConfig = o.parse()?;
    if !matches!(c.protocol.as_str(), "udp" | "udp4" | "udp6" | "tcp") {
        return Err(o.invalid_option("protocol", "must be tcp, udp, udp4 or udp6"));
    }
    if c.enable_aggregation_temporality {
        return Err(o.not_supported("enable_aggregation_temporality"));
    }
    let names = GraphiteParser::new(&c.metric_separator, &c.templates)
        .map_err(|m| o.invalid_option("templates", m))?;
    Ok(Box::new(Statsd {
        state: Arc::new(Mutex::new(Aggregates::default())),
        names: Arc::new(names),
        cfg: c,
        tasks: vec![],
        bound: None,
    }))
}

/// Timing samples and running stats.
#[derive(Debug, Default, Clone)]
struct Timing {
    samples: Vec<f64>,
    count: i64,
    sum: f64,
    sum_sq: f64,
    lo: f64,
    hi: f64,
    seen: i64,
}

/// Measurement name and tags.
type SeriesId = (String, BTreeMap<String, String>);

/// Aggregated state between gathers; keyed by series, then field.
#[derive(Debug, Default)]
pub struct Aggregates {
    counters: HashMap<SeriesId, BTreeMap<String, f64>>,
    gauges: HashMap<SeriesId, BTreeMap<String, f64>>,
    sets: HashMap<SeriesId, BTreeMap<String, HashSet<String>>>,
    timings: HashMap<SeriesId, BTreeMap<String, Timing>>,
    /// Lines that could not be parsed.
    pub bad_lines: u64,
}

/// The statsd input.
pub struct Statsd {
    cfg: StatsdConfig,
    state: Arc<Mutex<Aggregates>>,
    names: Arc<GraphiteParser>,
    tasks: Vec<JoinHandle<()>>,
    /// Bound address after start.
    pub bound: Option<std::net::SocketAddr>,
}

/// Parses one statsd line into the aggregates.
pub fn ingest_line(
    line: &str,
    agg: &mut Aggregates,
    names: &GraphiteParser,
    cfg_dd: bool,
    limit: usize,
) -> Result<(), String> {
    let line = line.trim();
    if line.is_empty() {
        return Ok(());
    }
    // datadog tags: `|#a:b,c`
    let mut dd_tags = BTreeMap::new();
    let mut body = line;
    if let Some(i) = line.find("|#") {
        if cfg_dd {
            for t in line[i + 2..].split('|').next().unwrap_or("").split(',') {
                if t.is_empty() {
                    continue;
                }
                match t.split_once(':') {
                    Some((k, v)) => dd_tags.insert(k.to_string(), v.to_string()),
                    None => dd_tags.insert(t.to_string(), "true".to_string()),
                };
            }
        }
        body = &line[..i];
    }
    let colon = body
        .find(':')
        .ok_or_else(|| format!("no value in {line:?}"))?;
    let bucket_raw = &body[..colon];
    // influx-style tags in the bucket: name,tag=v,tag2=v2
    let mut bparts = bucket_raw.split(',');
    let bucket = bparts.next().unwrap_or("");
    if bucket.is_empty() {
        return Err(format!("empty bucket in {line:?}"));
    }
    let mut tags = dd_tags;
    for kv in bparts {
        if let Some((k, v)) = kv.split_once('=') {
            tags.insert(k.to_string(), v.to_string());
        }
    }
    let (name, ttags, field) = names.apply_template(bucket);
    for (k, v) in ttags {
        tags.entry(k).or_insert(v);
    }
    for sample in body[colon + 1..].split(':') {
        let mut segs = sample.split('|');
        let val = segs.next().ok_or("missing value")?;
        let ty = segs
            .next()
            .ok_or_else(|| format!("missing type in {line:?}"))?;
        let mut rate = 1.0;
        for s in segs {
            if let Some(r) = s.strip_prefix('@') {
                rate = r
                    .parse::<f64>()
                    .map_err(|_| format!("invalid sample rate {r:?}"))?;
                if !(rate > 0.0 && rate <= 1.0) {
                    return Err(format!("invalid sample rate {r:?}"));
                }
            }
        }
        let mut t = tags.clone();
        match ty {
            "c" => {
                let v: f64 = val
                    .parse()
                    .map_err(|_| format!("invalid counter value {val:?}"))?;
                t.insert("metric_type".into(), "counter".into());
                *agg.counters
                    .entry((name.clone(), t))
                    .or_default()
                    .entry(field.clone())
                    .or_default() += v / rate;
            }
            "g" => {
                let v: f64 = val
                    .parse()
                    .map_err(|_| format!("invalid gauge value {val:?}"))?;
                t.insert("metric_type".into(), "gauge".into());
                let e = agg
                    .gauges
                    .entry((name.clone(), t))
                    .or_default()
                    .entry(field.clone())
                    .or_default();
                if val.starts_with('+') || val.starts_with('-') {
                    *e += v;
                } else {
                    *e = v;
                }
            }
            "s" => {
                t.insert("metric_type".into(), "set".into());
                agg.sets
                    .entry((name.clone(), t))
                    .or_default()
                    .entry(field.clone())
                    .or_default()
                    .insert(val.to_string());
            }
            "ms" | "h" | "d" => {
                let v: f64 = val
                    .parse()
                    .map_err(|_| format!("invalid timing value {val:?}"))?;
                let kind = match ty {
                    "ms" => "timing",
                    "h" => "histogram",
                    _ => "distribution",
                };
                t.insert("metric_type".into(), kind.into());
                let e = agg
                    .timings
                    .entry((name.clone(), t))
                    .or_default()
                    .entry(field.clone())
                    .or_default();
                let n = (1.0 / rate).round().max(1.0) as i64;
                for _ in 0..n {
                    if e.count == 0 {
                        e.lo = v;
                        e.hi = v;
                    }
                    e.count += 1;
                    e.sum += v;
                    e.sum_sq += v * v;
                    e.lo = e.lo.min(v);
                    e.hi = e.hi.max(v);
                    e.seen += 1;
                    if e.samples.len() < limit {
                        e.samples.push(v);
                    } else {
                        // ring-style replacement keeps recent values
                        let idx = (e.seen as usize) % limit.max(1);
                        e.samples[idx] = v;
                    }
                }
            }
            other => return Err(format!("unknown metric type {other:?}")),
        }
    }
    Ok(())
}

/// `90_percentile`, `99.9_percentile` (the percentile printed like Go's `%v`).
fn pct_name(p: f64) -> String {
    format!("{p}_percentile")
}

/// Emits the aggregates as metrics and clears what the `delete_*` options say.
fn flush(agg: &mut Aggregates, cfg: &StatsdConfig, now: i64) -> Vec<Metric> {
    let mut out = Vec::new();
    let mk = |name: &str, tags: &BTreeMap<String, String>| {
        let mut m = Metric::new(name, now);
        m.tags = tags.clone();
        m
    };
    for ((n, t), fields) in &agg.counters {
        let mut m = mk(n, t);
        for (f, v) in fields {
            if cfg.float_counters {
                m.add_field(f.clone(), *v);
            } else {
                m.add_field(f.clone(), *v as i64);
            }
        }
        out.push(m);
    }
    for ((n, t), fields) in &agg.gauges {
        let mut m = mk(n, t);
        for (f, v) in fields {
            m.add_field(f.clone(), *v);
        }
        out.push(m);
    }
    for ((n, t), fields) in &agg.sets {
        let mut m = mk(n, t);
        for (f, v) in fields {
            m.add_field(f.clone(), v.len() as i64);
        }
        out.push(m);
    }
    for ((n, t), fields) in &agg.timings {
        let mut m = mk(n, t);
        for (f, s) in fields {
            let prefix = if f == "value" {
                String::new()
            } else {
                format!("{f}_")
            };
            let cnt = s.count as f64;
            let mean = if cnt > 0.0 { s.sum / cnt } else { 0.0 };
            let var = if cnt > 0.0 {
                (s.sum_sq / cnt - mean * mean).max(0.0)
            } else {
                0.0
            };
            let mut sorted = s.samples.clone();
            sorted.sort_by(|a, b| a.total_cmp(b));
            m.add_field(format!("{prefix}lower"), s.lo);
            m.add_field(format!("{prefix}upper"), s.hi);
            m.add_field(format!("{prefix}mean"), mean);
            m.add_field(format!("{prefix}stddev"), var.sqrt());
            m.add_field(format!("{prefix}sum"), s.sum);
            m.add_field(format!("{prefix}count"), s.count);
            if !sorted.is_empty() {
                for p in &cfg.percentiles {
                    // Telegraf: index = floor(len * p / 100), capped at the last sample
                    let i = ((sorted.len() as f64) * p / 100.0).floor().max(0.0) as usize;
                    let v = sorted[i.min(sorted.len() - 1)];
                    m.add_field(format!("{prefix}{}", pct_name(*p)), v);
                }
            }
        }
        out.push(m);
    }
    if cfg.delete_counters {
        agg.counters.clear();
    }
    if cfg.delete_gauges {
        agg.gauges.clear();
    }
    if cfg.delete_sets {
        agg.sets.clear();
    }
    if cfg.delete_timings {
        agg.timings.clear();
    }
    out.retain(|m| !m.fields.is_empty());
    out
}

static PROCESSED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Statsd lines processed by every statsd input of this process (benchmarks).
pub fn processed_lines() -> u64 {
    PROCESSED.load(std::sync::atomic::Ordering::Relaxed)
}

fn ingest_packet(
    data: &[u8],
    state: &Mutex<Aggregates>,
    names: &GraphiteParser,
    dd: bool,
    limit: usize,
    acc: &Accumulator,
) {
    let text = String::from_utf8_lossy(data);
    let mut g = state.lock().unwrap_or_else(|e| e.into_inner());
    for line in text.lines() {
        PROCESSED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Err(e) = ingest_line(line, &mut g, names, dd, limit) {
            g.bad_lines += 1;
            acc.add_error(format!("statsd: {e}"));
        }
    }
}

#[async_trait]
impl Input for Statsd {
    async fn gather(&mut self, acc: &Accumulator) -> Result<(), PluginError> {
        let ms = {
            let mut g = self.state.lock().unwrap_or_else(|e| e.into_inner());
            flush(&mut g, &self.cfg, now_ns())
        };
        for m in ms {
            acc.add(m);
        }
        Ok(())
    }

    fn is_service(&self) -> bool {
        true
    }

    async fn start(&mut self, acc: Accumulator) -> Result<(), PluginError> {
        let addr = super::influxdb_listener::listen_addr(&self.cfg.service_address);
        let (state, names) = (self.state.clone(), self.names.clone());
        let dd = self.cfg.datadog_extensions || self.cfg.parse_data_dog_tags;
        let limit = self.cfg.percentile_limit.max(1);
        if self.cfg.protocol == "tcp" {
            let l = tokio::net::TcpListener::bind(&addr).await?;
            self.bound = l.local_addr().ok();
            let sem = Arc::new(tokio::sync::Semaphore::new(
                self.cfg.max_tcp_connections.max(1),
            ));
            self.tasks.push(tokio::spawn(async move {
                while let Ok((s, _)) = l.accept().await {
                    let Ok(permit) = sem.clone().acquire_owned().await else {
                        break;
                    };
                    let (state, names, acc) = (state.clone(), names.clone(), acc.clone());
                    tokio::spawn(async move {
                        let mut s = s;
                        let mut buf = vec![0u8; 256 * 1024];
                        let mut carry: Vec<u8> = Vec::new();
                        loop {
                            let n = match s.read(&mut buf).await {
                                Ok(0) => break,
                                Err(e) => {
                                    acc.add_error(format!("statsd: read error: {e}"));
                                    break;
                                }
                                Ok(n) => n,
                            };
                            carry.extend_from_slice(&buf[..n]);
                            if let Some(pos) = carry.iter().rposition(|b| *b == b'\n') {
                                let rest = carry.split_off(pos + 1);
                                ingest_packet(&carry, &state, &names, dd, limit, &acc);
                                carry = rest;
                            } else if carry.len() > 1 << 20 {
                                carry.clear();
                            }
                        }
                        if !carry.is_empty() {
                            ingest_packet(&carry, &state, &names, dd, limit, &acc);
                        }
                        drop(permit);
                    });
                }
            }));
        } else {
            let sock = tokio::net::UdpSocket::bind(&addr).await?;
            self.bound = sock.local_addr().ok();
            self.tasks.push(tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                while let Ok((n, _)) = sock.recv_from(&mut buf).await {
                    ingest_packet(&buf[..n], &state, &names, dd, limit, &acc);
                }
            }));
        }
        Ok(())
    }

    async fn stop(&mut self) {
        for t in self.tasks.drain(..) {
            t.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::Value;
    use proptest::prelude::*;

    fn cfg() -> StatsdConfig {
        StatsdConfig {
            percentiles: vec![50.0, 90.0, 99.9],
            ..Default::default()
        }
    }

    #[test]
    fn aggregates() {
        let names = GraphiteParser::new("_", &[]).unwrap();
        let mut a = Aggregates::default();
        for l in [
            "deploys.test.myservice:1|c",
            "deploys.test.myservice:1|c|@0.5",
            "users.current,service=payroll:32|g",
            "users.current,service=payroll:+8|g",
            "uniques:765|s",
            "uniques:765|s",
            "uniques:3|s",
            "load.time:100|ms:200|ms",
            "load.time:300|ms",
            "dd.metric:1|c|#env:prod,role",
        ] {
            ingest_line(l, &mut a, &names, true, 1000).unwrap();
        }
        assert!(ingest_line("bad", &mut a, &names, false, 1000).is_err());
        assert!(ingest_line("x:1|q", &mut a, &names, false, 1000).is_err());
        let ms = flush(&mut a, &cfg(), 7);
        let get = |n: &str| {
            ms.iter()
                .find(|m| m.name == n)
                .unwrap_or_else(|| panic!("{n} in {ms:?}"))
        };
        let c = get("deploys_test_myservice");
        assert_eq!(c.field("value"), Some(&Value::Int(3)));
        assert_eq!(c.tag("metric_type"), Some("counter"));
        let g = get("users_current");
        assert_eq!(g.tag("service"), Some("payroll"));
        assert_eq!(g.field("value"), Some(&Value::Float(40.0)));
        assert_eq!(get("uniques").field("value"), Some(&Value::Int(2)));
        let t = get("load_time");
        assert_eq!(t.field("count"), Some(&Value::Int(3)));
        assert_eq!(t.field("mean"), Some(&Value::Float(200.0)));
        assert_eq!(t.field("lower"), Some(&Value::Float(100.0)));
        assert_eq!(t.field("upper"), Some(&Value::Float(300.0)));
        assert_eq!(t.field("50_percentile"), Some(&Value::Float(200.0)));
        assert_eq!(t.field("90_percentile"), Some(&Value::Float(300.0)));
        assert_eq!(t.field("99.9_percentile"), Some(&Value::Float(300.0)));
        assert!(t.field("median").is_none());
        let d = get("dd_metric");
        assert_eq!(d.tag("env"), Some("prod"));
        assert_eq!(d.tag("role"), Some("true"));
        assert!(flush(&mut a, &cfg(), 8).is_empty(), "deleted after flush");
    }

    #[test]
    fn templates() {
        let names =
            GraphiteParser::new("_", &["servers.* .host.measurement.field".into()]).unwrap();
        let mut a = Aggregates::default();
        ingest_line("servers.web1.cpu.idle:5|g", &mut a, &names, false, 10).unwrap();
        let ms = flush(&mut a, &cfg(), 1);
        assert_eq!(ms[0].name, "cpu");
        assert_eq!(ms[0].tag("host"), Some("web1"));
        assert_eq!(ms[0].field("idle"), Some(&Value::Float(5.0)));
    }

    #[tokio::test]
    async fn udp_end_to_end() {
        let o = PluginOptions::from_toml("inputs", "statsd", "service_address = \"127.0.0.1:0\"")
            .unwrap();
        let c: StatsdConfig = o.parse().unwrap();
        let names = Arc::new(GraphiteParser::new("_", &[]).unwrap());
        let mut s = Statsd {
            cfg: c,
            state: Default::default(),
            names,
            tasks: vec![],
            bound: None,
        };
        let (acc, mut rx) = Accumulator::collecting();
        s.start(acc.clone()).await.unwrap();
        let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        sock.send_to(b"hits:1|c\nhits:2|c", s.bound.unwrap())
            .await
            .unwrap();
        for _ in 0..100 {
            if !s.state.lock().unwrap().counters.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        s.gather(&acc).await.unwrap();
        let m = rx.recv().await.unwrap();
        assert_eq!(m.field("value"), Some(&Value::Int(3)));
        s.stop().await;
    }

    proptest! {
        #[test]
        fn never_panics(s in ".{0,64}") {
            let names = GraphiteParser::new("_", &[]).unwrap();
            let mut a = Aggregates::default();
            let _ = ingest_line(&s, &mut a, &names, true, 3);
            let _ = flush(&mut a, &cfg(), 0);
        }
    }
}

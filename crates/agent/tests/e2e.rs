//! End-to-end tests: the agent runs realistic Telegraf configs against an in-process
//! InfluxDB-like receiver (`/write`, `/query`, `/ping`).

use std::collections::BTreeSet;
use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use almanac_agent::{Agent, Config, PluginFilters};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::io::AsyncWriteExt;

/// What the fake InfluxDB saw.
#[derive(Default)]
struct Receiver {
    lines: Mutex<Vec<String>>,
    queries: Mutex<Vec<String>>,
    dbs: Mutex<Vec<String>>,
    writes: AtomicUsize,
    fail_next: AtomicUsize,
    partial: AtomicBool,
}

async fn write(
    State(r): State<Arc<Receiver>>,
    Query(q): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    r.writes.fetch_add(1, Ordering::SeqCst);
    if r.fail_next
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
    {
        return (StatusCode::SERVICE_UNAVAILABLE, "overloaded").into_response();
    }
    let gz = headers.get("content-encoding").is_some_and(|v| v == "gzip");
    let text = if gz {
        let mut s = String::new();
        flate2::read::GzDecoder::new(&body[..])
            .read_to_string(&mut s)
            .expect("gzip body");
        s
    } else {
        String::from_utf8(body.to_vec()).expect("utf8")
    };
    r.dbs
        .lock()
        .unwrap()
        .push(q.get("db").cloned().unwrap_or_default());
    if r.partial.load(Ordering::SeqCst) {
        return (
            StatusCode::BAD_REQUEST,
            "{\"error\":\"partial write: field type conflict dropped=1\"}",
        )
            .into_response();
    }
    r.lines
        .lock()
        .unwrap()
        .extend(text.lines().map(str::to_string));
    StatusCode::NO_CONTENT.into_response()
}

async fn query(State(r): State<Arc<Receiver>>, body: String) -> Response {
    r.queries.lock().unwrap().push(body);
    axum::Json(serde_json::json!({"results":[{"statement_id":0}]})).into_response()
}

async fn serve(port: u16, r: Arc<Receiver>) -> tokio::task::JoinHandle<()> {
    let app = axum::Router::new()
        .route("/write", axum::routing::post(write))
        .route("/query", axum::routing::post(query))
        .route(
            "/ping",
            axum::routing::get(|| async { StatusCode::NO_CONTENT }),
        )
        .with_state(r);
    let l = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind receiver");
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn load(text: &str) -> Config {
    let mut c = Config::default();
    c.add_text("test.conf", text, &PluginFilters::default())
        .unwrap_or_else(|e| panic!("config: {e}"));
    c
}

async fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    f()
}

fn measurement(line: &str) -> &str {
    line.split([',', ' ']).next().unwrap_or("")
}

#[test]
fn realistic_config_plan() {
    std::env::set_var("INFLUX_URL", "http://10.1.2.3:8086");
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let cfg = Config::load(
        &[format!("{dir}/telegraf.conf").into()],
        &[],
        &PluginFilters::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfg.agent.hostname, "web-01");
    assert_eq!(cfg.agent.interval.0, Duration::from_secs(10));
    assert_eq!(cfg.agent.metric_buffer_limit, 10000);
    assert_eq!(cfg.global_tags["dc"], "eu-west-1");
    assert!(cfg.global_tags["user"] == "ops" || std::env::var("AGENT_TEST_USER").is_ok());
    let inputs: Vec<&str> = cfg.inputs.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(
        inputs,
        [
            "cpu",
            "disk",
            "diskio",
            "kernel",
            "mem",
            "processes",
            "swap",
            "system",
            "net",
            "netstat",
            "internal",
            "procstat",
            "nginx",
            "http_response",
            "exec",
            "tail",
            "statsd",
            "socket_listener",
            "influxdb_listener",
            "syslog",
            "prometheus",
            "ping",
            "redis",
            "temp"
        ]
    );
    let outputs: Vec<&str> = cfg.outputs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(
        outputs,
        [
            "influxdb",
            "influxdb_v2",
            "file",
            "prometheus_client",
            "discard"
        ]
    );
    let procs: Vec<&str> = cfg.processors.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        procs,
        ["converter", "rename", "enum", "strings"],
        "sorted by order"
    );
    let aggs: Vec<&str> = cfg.aggregators.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(aggs, ["basicstats", "minmax"]);
    let nginx = cfg.inputs.iter().find(|i| i.name == "nginx").unwrap();
    assert_eq!(nginx.common.interval.unwrap().0, Duration::from_secs(30));
    let exec = cfg.inputs.iter().find(|i| i.name == "exec").unwrap();
    assert_eq!(exec.common.name_override.as_deref(), Some("app_status"));
    let hr = cfg
        .inputs
        .iter()
        .find(|i| i.name == "http_response")
        .unwrap();
    assert_eq!(hr.common.tags["service"], "frontend");
    let prom = cfg.inputs.iter().find(|i| i.name == "prometheus").unwrap();
    assert_eq!(prom.common.alias.as_deref(), Some("node_exporter"));
    assert!(cfg.inputs[0].filter.is_active(), "cpu fielddrop");
    assert!(cfg.outputs[0].filter.is_active(), "influxdb namedrop");
    assert_eq!(cfg.outputs[1].common.alias.as_deref(), Some("v2-mirror"));
    assert_eq!(
        cfg.aggregators[0].common.period.unwrap().0,
        Duration::from_secs(60)
    );
}

#[test]
fn config_directory_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("10-agent.conf"),
        "[agent]\ninterval = \"2s\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("20-inputs.conf"),
        "[[inputs.cpu]]\n[[inputs.mem]]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("30-out.conf"),
        "[[outputs.discard]]\n[[outputs.file]]\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("ignored.txt"), "garbage").unwrap();
    let filters = PluginFilters {
        inputs: vec!["mem".into()],
        outputs: vec!["discard".into()],
        ..Default::default()
    };
    let cfg = Config::load(&[], &[dir.path().to_path_buf()], &filters).unwrap();
    assert_eq!(cfg.agent.interval.0, Duration::from_secs(2));
    assert_eq!(cfg.inputs.len(), 1);
    assert_eq!(cfg.inputs[0].name, "mem");
    assert_eq!(cfg.outputs.len(), 1);
    assert_eq!(cfg.files.len(), 3);
    std::fs::write(
        dir.path().join("40-bad.conf"),
        "[[inputs.mem]]\n\n  per_cpu = true\n",
    )
    .unwrap();
    let err = Config::load(&[], &[dir.path().to_path_buf()], &filters)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("40-bad.conf:3") && err.contains("per_cpu"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn end_to_end_host_metrics_arrive() {
    let port = free_port();
    let recv = Arc::new(Receiver::default());
    let _srv = serve(port, recv.clone()).await;
    let cfg = load(&format!(
        r#"
[global_tags]
  dc = "test"
[agent]
  interval = "1s"
  round_interval = false
  flush_interval = "300ms"
  hostname = "e2e-host"
[[outputs.influxdb]]
  urls = ["http://127.0.0.1:{port}"]
  database = "e2e"
[[processors.override]]
  [processors.override.tags]
    pipeline = "agent"
[[inputs.cpu]]
[[inputs.mem]]
[[inputs.system]]
[[inputs.disk]]
  mount_points = ["/"]
[[inputs.internal]]
[[inputs.exec]]
  commands = ["echo 'app_status state=\"ok\",up=1i'"]
  data_format = "influx"
"#
    ));
    let agent = Agent::start(cfg).await.unwrap();
    let wanted = [
        "cpu",
        "mem",
        "system",
        "disk",
        "internal_agent",
        "app_status",
    ];
    let ok = wait_until(Duration::from_secs(15), || {
        let lines = recv.lines.lock().unwrap();
        wanted
            .iter()
            .all(|w| lines.iter().any(|l| measurement(l) == *w))
    })
    .await;
    agent.stop().await;
    let lines = recv.lines.lock().unwrap().clone();
    assert!(
        ok,
        "missing measurements; got {:?}",
        lines
            .iter()
            .map(|l| measurement(l))
            .collect::<BTreeSet<_>>()
    );
    let cpu = lines
        .iter()
        .find(|l| l.starts_with("cpu,cpu=cpu-total"))
        .expect("cpu-total line");
    assert!(cpu.contains("usage_idle="), "{cpu}");
    assert!(
        cpu.contains("host=e2e-host") && cpu.contains("dc=test") && cpu.contains("pipeline=agent"),
        "{cpu}"
    );
    let mem = lines.iter().find(|l| measurement(l) == "mem").unwrap();
    assert!(
        mem.contains("used_percent=") && mem.contains("total="),
        "{mem}"
    );
    let disk = lines.iter().find(|l| measurement(l) == "disk").unwrap();
    assert!(
        disk.contains("path=/") && disk.contains("inodes_used="),
        "{disk}"
    );
    let app = lines
        .iter()
        .find(|l| measurement(l) == "app_status")
        .unwrap();
    assert!(app.contains("state=\"ok\""), "{app}");
    let queries = recv.queries.lock().unwrap().clone();
    assert!(
        queries
            .iter()
            .any(|q| q.contains("CREATE+DATABASE") || q.contains("CREATE%20DATABASE")),
        "{queries:?}"
    );
    assert!(recv.dbs.lock().unwrap().iter().all(|d| d == "e2e"));
}

async fn send_seq(port: u16, range: std::ops::Range<usize>) {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("socket_listener up");
    let mut buf = String::new();
    for i in range {
        buf.push_str(&format!(
            "seq,src=test n={i}i {}\n",
            1_700_000_000_000_000_000i64 + i as i64
        ));
    }
    s.write_all(buf.as_bytes()).await.unwrap();
    s.shutdown().await.unwrap();
}

fn seqs(recv: &Receiver) -> Vec<usize> {
    recv.lines
        .lock()
        .unwrap()
        .iter()
        .filter(|l| measurement(l) == "seq")
        .filter_map(|l| {
            let i = l.find(" n=")?;
            l[i + 3..].split('i').next()?.parse().ok()
        })
        .collect()
}

async fn wait_listener(port: u16) {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("listener on {port} never came up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outage_then_recovery_loses_nothing_within_buffer() {
    let out_port = free_port();
    let in_port = free_port();
    let cfg = load(&format!(
        r#"
[agent]
  interval = "1s"
  flush_interval = "200ms"
  metric_batch_size = 100
  metric_buffer_limit = 5000
  omit_hostname = true
[[outputs.influxdb]]
  urls = ["http://127.0.0.1:{out_port}"]
  skip_database_creation = true
[[inputs.socket_listener]]
  service_address = "tcp://127.0.0.1:{in_port}"
"#
    ));
    let agent = Agent::start(cfg).await.unwrap();
    wait_listener(in_port).await;
    // Phase 1: the server is down (nothing listens on out_port).
    send_seq(in_port, 0..1500).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    // Phase 2: the server is up but overloaded for a few requests (503 → retried).
    let recv = Arc::new(Receiver::default());
    recv.fail_next.store(3, Ordering::SeqCst);
    let _srv = serve(out_port, recv.clone()).await;
    send_seq(in_port, 1500..2000).await;
    let ok = wait_until(Duration::from_secs(20), || seqs(&recv).len() >= 2000).await;
    agent.stop().await;
    let got = seqs(&recv);
    assert!(ok, "only {} of 2000 arrived", got.len());
    let set: BTreeSet<usize> = got.iter().copied().collect();
    assert_eq!(set.len(), 2000, "every metric exactly once");
    assert_eq!(got.len(), 2000, "no duplicates");
    assert_eq!(set.iter().next_back(), Some(&1999));
    assert!(
        recv.writes.load(Ordering::SeqCst) >= 23,
        "503s were retried"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buffer_overflow_keeps_newest_and_counts_drops() {
    let out_port = free_port();
    let in_port = free_port();
    let cfg = load(&format!(
        r#"
[agent]
  flush_interval = "200ms"
  metric_batch_size = 50
  metric_buffer_limit = 100
  omit_hostname = true
[[outputs.influxdb]]
  alias = "overflow-test"
  urls = ["http://127.0.0.1:{out_port}"]
  skip_database_creation = true
[[inputs.socket_listener]]
  service_address = "tcp://127.0.0.1:{in_port}"
"#
    ));
    let agent = Agent::start(cfg).await.unwrap();
    wait_listener(in_port).await;
    send_seq(in_port, 0..300).await;
    let st = almanac_agent::stats::global().output("influxdb", "overflow-test");
    assert!(wait_until(Duration::from_secs(5), || st.metrics_added.get() >= 300).await);
    let recv = Arc::new(Receiver::default());
    let _srv = serve(out_port, recv.clone()).await;
    let ok = wait_until(Duration::from_secs(10), || seqs(&recv).len() >= 100).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    agent.stop().await;
    assert!(ok);
    let got: BTreeSet<usize> = seqs(&recv).into_iter().collect();
    assert_eq!(got, (200..300).collect::<BTreeSet<_>>(), "newest 100 kept");
    assert_eq!(st.metrics_dropped.get(), 200);
    assert_eq!(st.metrics_written.get(), 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_write_is_not_retried() {
    let out_port = free_port();
    let in_port = free_port();
    let recv = Arc::new(Receiver::default());
    recv.partial.store(true, Ordering::SeqCst);
    let _srv = serve(out_port, recv.clone()).await;
    let cfg = load(&format!(
        r#"
[agent]
  flush_interval = "100ms"
  omit_hostname = true
[[outputs.influxdb]]
  urls = ["http://127.0.0.1:{out_port}"]
  skip_database_creation = true
[[inputs.socket_listener]]
  service_address = "tcp://127.0.0.1:{in_port}"
"#
    ));
    let agent = Agent::start(cfg).await.unwrap();
    wait_listener(in_port).await;
    send_seq(in_port, 0..10).await;
    assert!(
        wait_until(Duration::from_secs(5), || recv
            .writes
            .load(Ordering::SeqCst)
            >= 1)
        .await
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    agent.stop().await;
    assert_eq!(
        recv.writes.load(Ordering::SeqCst),
        1,
        "a 400 partial write is dropped, not retried"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_stop_flushes_and_aggregators_push() {
    let out_port = free_port();
    let in_port = free_port();
    let recv = Arc::new(Receiver::default());
    let _srv = serve(out_port, recv.clone()).await;
    let cfg = load(&format!(
        r#"
[agent]
  flush_interval = "1h"
  omit_hostname = true
[[outputs.influxdb]]
  urls = ["http://127.0.0.1:{out_port}"]
  skip_database_creation = true
  content_encoding = "identity"
[[aggregators.minmax]]
  period = "1h"
  namepass = ["seq"]
[[inputs.socket_listener]]
  alias = "graceful"
  service_address = "tcp://127.0.0.1:{in_port}"
"#
    ));
    let agent = Agent::start(cfg).await.unwrap();
    wait_listener(in_port).await;
    send_seq(in_port, 0..25).await;
    let st = almanac_agent::stats::global().input("socket_listener", "graceful");
    assert!(wait_until(Duration::from_secs(5), || st.metrics_gathered.get() >= 25).await);
    assert_eq!(
        recv.writes.load(Ordering::SeqCst),
        0,
        "nothing flushed before stop"
    );
    agent.stop().await;
    assert_eq!(seqs(&recv).len(), 25);
    let lines = recv.lines.lock().unwrap().clone();
    let agg = lines
        .iter()
        .find(|l| l.contains("n_min="))
        .unwrap_or_else(|| panic!("minmax pushed at stop: {lines:?}"));
    assert!(agg.contains("n_min=0") && agg.contains("n_max=24"), "{agg}");
}

#[tokio::test]
async fn test_mode_gathers_once_with_processors() {
    let cfg = load(
        r#"
[agent]
  hostname = "h1"
[[processors.rename]]
  [[processors.rename.replace]]
    measurement = "mem"
    dest = "memory"
[[inputs.mem]]
[[inputs.system]]
[[inputs.cpu]]
  percpu = false
"#,
    );
    let ms = almanac_agent::runtime::gather_once(cfg).await.unwrap();
    let names: BTreeSet<&str> = ms.iter().map(|m| m.name.as_str()).collect();
    assert!(
        names.contains("memory") && names.contains("system") && names.contains("cpu"),
        "{names:?}"
    );
    assert!(ms.iter().all(|m| m.tag("host") == Some("h1")));
    let cpu = ms.iter().find(|m| m.name == "cpu").unwrap();
    assert_eq!(cpu.tag("cpu"), Some("cpu-total"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disk_buffer_survives_a_restart_while_the_server_is_down() {
    let out_port = free_port();
    let in_port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"
[agent]
  flush_interval = "100ms"
  omit_hostname = true
  buffer_strategy = "disk"
  buffer_directory = "{}"
[[outputs.influxdb]]
  urls = ["http://127.0.0.1:{out_port}"]
  skip_database_creation = true
[[inputs.socket_listener]]
  alias = "disk-buffer"
  service_address = "tcp://127.0.0.1:{in_port}"
"#,
        dir.path().display()
    );
    // run 1: server down, 40 metrics arrive, agent stops
    let agent = Agent::start(load(&text)).await.unwrap();
    wait_listener(in_port).await;
    send_seq(in_port, 0..40).await;
    let st = almanac_agent::stats::global().input("socket_listener", "disk-buffer");
    assert!(wait_until(Duration::from_secs(5), || st.metrics_gathered.get() >= 40).await);
    tokio::time::sleep(Duration::from_millis(300)).await;
    agent.stop().await;
    let spill = dir.path().join("influxdb-1.wal");
    let pending = |path: &std::path::Path| {
        almanac_agent::buffer::Buffer::open(100, Default::default(), path)
            .unwrap()
            .len()
    };
    assert_eq!(pending(&spill), 40);
    // run 2: server up; the saved metrics are sent
    let recv = Arc::new(Receiver::default());
    let _srv = serve(out_port, recv.clone()).await;
    let agent = Agent::start(load(&text)).await.unwrap();
    let ok = wait_until(Duration::from_secs(10), || seqs(&recv).len() >= 40).await;
    agent.stop().await;
    assert!(ok, "got {}", seqs(&recv).len());
    assert_eq!(
        seqs(&recv).into_iter().collect::<BTreeSet<_>>(),
        (0..40).collect()
    );
    assert_eq!(pending(&spill), 0, "buffer file emptied after delivery");
}

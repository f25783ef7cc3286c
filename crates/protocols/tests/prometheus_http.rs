//! Prometheus remote write/read through a small HTTP server that mounts
//! `prometheus::handle_write` / `handle_read` over an in-memory store, first
//! with hand-built requests, then with Debian's real `prometheus` (skipped
//! when `/usr/bin/prometheus` is not installed).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use almanac_lineproto::{parse_lines, FieldValue, Precision};
use almanac_protocols::prometheus::proto::{
    Label, LabelMatcher, MatchType, Query, ReadRequest, ReadResponse, Sample, TimeSeries,
    WriteRequest,
};
use almanac_protocols::prometheus::{
    handle_read, handle_write, snappy_decode, snappy_encode, PromSeries, ReadQuery, SeriesSource,
};
use almanac_protocols::{PointSink, SharedSink, SinkError};
use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use prost::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Stores line protocol per database; answers reads by scanning it.
#[derive(Default)]
struct Store {
    lines: Mutex<Vec<(String, String)>>,
    reads: AtomicUsize,
}

#[async_trait]
impl PointSink for Store {
    async fn write(&self, db: &str, _rp: Option<&str>, lines: Vec<u8>) -> Result<(), SinkError> {
        if db == "missing" {
            return Err(SinkError::DatabaseNotFound(db.into()));
        }
        let text = String::from_utf8(lines).map_err(|e| SinkError::Other(e.to_string()))?;
        let mut v = self.lines.lock().unwrap();
        v.extend(text.lines().map(|l| (db.to_string(), l.to_string())));
        Ok(())
    }
}

#[async_trait]
impl SeriesSource for Store {
    async fn select(
        &self,
        db: &str,
        _rp: Option<&str>,
        q: &ReadQuery,
    ) -> Result<Vec<PromSeries>, SinkError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        let stored = self.lines.lock().unwrap().clone();
        let mut series: BTreeMap<String, PromSeries> = BTreeMap::new();
        for (d, text) in &stored {
            if d != db {
                continue;
            }
            for line in parse_lines(text.as_bytes()).flatten() {
                let Some(FieldValue::Float(v)) = line.field(q.field) else {
                    continue;
                };
                let ts = line.timestamp_ns(Precision::Nanosecond, 0).unwrap_or(0);
                if ts < q.start_ns
                    || ts > q.end_ns
                    || !q.matches_series(&line.measurement, |k| line.tag(k))
                {
                    continue;
                }
                let entry = series
                    .entry(line.series_key())
                    .or_insert_with(|| PromSeries {
                        labels: line
                            .tags
                            .iter()
                            .map(|(k, v)| (k.to_string(), v.to_string()))
                            .collect(),
                        samples: Vec::new(),
                    });
                entry.samples.push((ts, *v));
            }
        }
        Ok(series.into_values().collect())
    }
}

fn query_param<'a>(query: &'a str, key: &str) -> &'a str {
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
        .unwrap_or("")
}

/// Serves the two prom endpoints until the test ends.
async fn serve(store: Arc<Store>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let store = store.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |req: hyper::Request<hyper::body::Incoming>| {
                        let store = store.clone();
                        async move {
                            let path = req.uri().path().to_string();
                            let q = req.uri().query().unwrap_or("").to_string();
                            let body = req
                                .into_body()
                                .collect()
                                .await
                                .map(|b| b.to_bytes())
                                .unwrap_or_default();
                            let db = query_param(&q, "db").to_string();
                            let (status, out): (u16, Vec<u8>) = match path.as_str() {
                                "/api/v1/prom/write" => {
                                    let sink: SharedSink = store.clone();
                                    match handle_write(&body, &sink, &db, None).await {
                                        Ok(_) => (204, Vec::new()),
                                        Err(e) => (
                                            e.status,
                                            format!("{{\"error\":{:?}}}", e.message).into_bytes(),
                                        ),
                                    }
                                }
                                "/api/v1/prom/read" => {
                                    match handle_read(&body, store.as_ref(), &db, None).await {
                                        Ok(b) => (200, b),
                                        Err(e) => (
                                            e.status,
                                            format!("{{\"error\":{:?}}}", e.message).into_bytes(),
                                        ),
                                    }
                                }
                                _ => (404, Vec::new()),
                            };
                            let mut resp = hyper::Response::new(Full::new(Bytes::from(out)));
                            *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                            if path == "/api/v1/prom/read" && status == 200 {
                                let h = resp.headers_mut();
                                h.insert("content-type", "application/x-protobuf".parse().unwrap());
                                h.insert("content-encoding", "snappy".parse().unwrap());
                            }
                            Ok::<_, std::convert::Infallible>(resp)
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// Minimal HTTP/1.1 client: returns (status, body).
async fn post(addr: SocketAddr, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut conn = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Encoding: snappy\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(body).await.unwrap();
    let mut out = Vec::new();
    conn.read_to_end(&mut out).await.unwrap();
    let split = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let status: u16 = String::from_utf8_lossy(&out[9..12]).parse().unwrap();
    (status, out[split + 4..].to_vec())
}

fn label(n: &str, v: &str) -> Label {
    Label {
        name: n.into(),
        value: v.into(),
    }
}

#[tokio::test]
async fn write_then_read_over_http() {
    let store = Arc::new(Store::default());
    let addr = serve(store.clone()).await;
    let req = WriteRequest {
        timeseries: vec![
            TimeSeries {
                labels: vec![
                    label("__name__", "cpu_seconds"),
                    label("mode", "idle"),
                    label("job", "node"),
                ],
                samples: vec![
                    Sample {
                        value: 1.5,
                        timestamp: 1000,
                    },
                    Sample {
                        value: f64::NAN,
                        timestamp: 2000,
                    },
                    Sample {
                        value: 2.5,
                        timestamp: 3000,
                    },
                ],
            },
            TimeSeries {
                labels: vec![
                    label("__name__", "cpu_seconds"),
                    label("mode", "user"),
                    label("job", "node"),
                ],
                samples: vec![Sample {
                    value: 7.0,
                    timestamp: 1000,
                }],
            },
        ],
    };
    let (status, _) = post(
        addr,
        "/api/v1/prom/write?db=prom",
        &snappy_encode(&req.encode_to_vec()),
    )
    .await;
    assert_eq!(status, 204);
    let stored: Vec<String> = store
        .lines
        .lock()
        .unwrap()
        .iter()
        .map(|(_, l)| l.clone())
        .collect();
    assert_eq!(
        stored,
        vec![
            "cpu_seconds,__name__=cpu_seconds,job=node,mode=idle value=1.5 1000000000",
            "cpu_seconds,__name__=cpu_seconds,job=node,mode=idle value=2.5 3000000000",
            "cpu_seconds,__name__=cpu_seconds,job=node,mode=user value=7.0 1000000000",
        ]
    );

    let (status, body) = post(
        addr,
        "/api/v1/prom/write",
        &snappy_encode(&req.encode_to_vec()),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body, b"{\"error\":\"database is required\"}");
    let (status, _) = post(
        addr,
        "/api/v1/prom/write?db=missing",
        &snappy_encode(&req.encode_to_vec()),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = post(addr, "/api/v1/prom/write?db=prom", b"not snappy").await;
    assert_eq!(status, 400);

    let read = ReadRequest {
        queries: vec![Query {
            start_timestamp_ms: 0,
            end_timestamp_ms: 2000,
            matchers: vec![
                LabelMatcher {
                    r#type: MatchType::Equal as i32,
                    name: "__name__".into(),
                    value: "cpu_seconds".into(),
                },
                LabelMatcher {
                    r#type: MatchType::RegexMatch as i32,
                    name: "mode".into(),
                    value: "id.*".into(),
                },
            ],
            hints: None,
        }],
        accepted_response_types: vec![0],
    };
    let (status, body) = post(
        addr,
        "/api/v1/prom/read?db=prom",
        &snappy_encode(&read.encode_to_vec()),
    )
    .await;
    assert_eq!(status, 200);
    let resp = ReadResponse::decode(snappy_decode(&body).unwrap().as_slice()).unwrap();
    assert_eq!(resp.results.len(), 1);
    let ts = &resp.results[0].timeseries;
    assert_eq!(ts.len(), 1);
    assert_eq!(
        ts[0].labels,
        vec![
            label("__name__", "cpu_seconds"),
            label("job", "node"),
            label("mode", "idle")
        ]
    );
    assert_eq!(
        ts[0].samples,
        vec![Sample {
            value: 1.5,
            timestamp: 1000
        }]
    );

    let two = ReadRequest {
        queries: vec![Query::default(), Query::default()],
        accepted_response_types: vec![],
    };
    let (status, body) = post(
        addr,
        "/api/v1/prom/read?db=prom",
        &snappy_encode(&two.encode_to_vec()),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        String::from_utf8(body).unwrap(),
        "{\"error\":\"Prometheus read endpoint currently only supports one query at a time\"}"
    );
}

const PROMETHEUS: &str = "/usr/bin/prometheus";

async fn get(addr: SocketAddr, path: &str) -> String {
    let mut conn = TcpStream::connect(addr).await.unwrap();
    conn.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    conn.read_to_end(&mut out).await.unwrap();
    String::from_utf8_lossy(&out).to_string()
}

#[tokio::test]
async fn real_prometheus_remote_write_and_read() {
    if !Path::new(PROMETHEUS).exists() {
        eprintln!("skipped: {PROMETHEUS} (Debian package prometheus) not installed");
        return;
    }
    let store = Arc::new(Store::default());
    let addr = serve(store.clone()).await;
    // A metric only Almanac has: Prometheus can only answer it through remote read.
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    store
        .write(
            "prom",
            None,
            format!(
                "almanac_only,__name__=almanac_only,src=test value=42.5 {}\n",
                now_ms * 1_000_000
            )
            .into_bytes(),
        )
        .await
        .unwrap();

    let prom_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("prometheus.yml");
    std::fs::write(
        &conf,
        format!(
            r#"global:
  scrape_interval: 1s
scrape_configs:
  - job_name: self
    static_configs:
      - targets: ["127.0.0.1:{prom_port}"]
remote_write:
  - url: "http://{addr}/api/v1/prom/write?db=prom"
    queue_config:
      batch_send_deadline: 1s
remote_read:
  - url: "http://{addr}/api/v1/prom/read?db=prom"
    read_recent: true
"#
        ),
    )
    .unwrap();
    let mut child = tokio::process::Command::new(PROMETHEUS)
        .arg(format!("--config.file={}", conf.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start prometheus");

    let prom_addr: SocketAddr = format!("127.0.0.1:{prom_port}").parse().unwrap();
    let written = |name: &str| {
        store
            .lines
            .lock()
            .unwrap()
            .iter()
            .any(|(_, l)| l.starts_with(&format!("{name},__name__={name},")))
    };
    let mut wrote = false;
    for _ in 0..300 {
        if written("up") && written("prometheus_build_info") {
            wrote = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut answer = String::new();
    if wrote {
        for _ in 0..50 {
            if TcpStream::connect(prom_addr).await.is_ok() {
                answer = get(prom_addr, "/api/v1/query?query=almanac_only").await;
                if answer.contains("42.5") {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let _ = child.start_kill();
    let _ = child.wait().await;
    assert!(
        wrote,
        "no remote write received: {:?}",
        store.lines.lock().unwrap().len()
    );
    let up = store
        .lines
        .lock()
        .unwrap()
        .iter()
        .find(|(_, l)| l.starts_with("up,"))
        .map(|(_, l)| l.clone())
        .unwrap();
    assert!(
        up.starts_with(&format!(
            "up,__name__=up,instance=127.0.0.1:{prom_port},job=self value=1.0 "
        )),
        "{up}"
    );
    assert!(
        store.reads.load(Ordering::SeqCst) > 0,
        "Prometheus never used remote read"
    );
    assert!(
        answer.contains("\"almanac_only\"") && answer.contains("\"42.5\""),
        "{answer}"
    );
}

//! `load` against a tiny in-process receiver.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex};

use almanac_bench::gen::{GenConfig, Generator, UseCase};
use almanac_bench::load::{self, Api, LoadOptions};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;

#[derive(Default)]
struct Received {
    bodies: Vec<Vec<u8>>,
    gzip_requests: usize,
    queries: Vec<String>,
    params: Vec<HashMap<String, String>>,
}

type Shared = Arc<Mutex<Received>>;

async fn write(
    State(state): State<Shared>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> (StatusCode, String) {
    let gzip = headers
        .get("content-encoding")
        .is_some_and(|v| v.as_bytes() == b"gzip");
    let body = if gzip {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&body[..])
            .read_to_end(&mut out)
            .unwrap();
        out
    } else {
        body.to_vec()
    };
    let reject = body.windows(4).any(|w| w == b"FAIL");
    let mut r = state.lock().unwrap();
    r.gzip_requests += gzip as usize;
    r.params.push(params);
    r.bodies.push(body);
    if reject {
        (
            StatusCode::BAD_REQUEST,
            "{\"error\":\"rejected on purpose\"}".into(),
        )
    } else {
        (StatusCode::NO_CONTENT, String::new())
    }
}

async fn query(
    State(state): State<Shared>,
    Query(params): Query<HashMap<String, String>>,
) -> String {
    state
        .lock()
        .unwrap()
        .queries
        .push(params.get("q").cloned().unwrap_or_default());
    "{\"results\":[{\"statement_id\":0}]}".into()
}

async fn receiver() -> (String, Shared) {
    let state = Shared::default();
    let app = Router::new()
        .route("/write", post(write))
        .route("/api/v2/write", post(write))
        .route("/query", post(query))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), state)
}

fn options(url: &str, api: Api, gzip: bool) -> LoadOptions {
    LoadOptions {
        url: url.to_string(),
        db: "benchmark".into(),
        create_db: true,
        workers: 3,
        batch_size: 100,
        gzip,
        api,
        token: None,
        progress: false,
    }
}

fn data() -> Vec<u8> {
    Generator::generate(GenConfig {
        use_case: UseCase::CpuOnly,
        scale: 10,
        seed: 1,
        interval_ns: 10_000_000_000,
        start_ns: 0,
        duration_ns: 3_600_000_000_000,
    })
}

#[tokio::test]
async fn loads_every_line_exactly_once_with_gzip() {
    let (url, state) = receiver().await;
    let data = data();
    let prepared = load::prepare(&data, 100, true).unwrap();
    let report = load::run(&options(&url, Api::V1, true), prepared)
        .await
        .unwrap();
    assert_eq!(report.lines, 3600);
    assert_eq!(report.field_values, 36_000);
    assert_eq!(report.batches, 36);
    assert_eq!(report.failed_batches, 0);
    assert!(report.errors.is_empty());
    assert!(report.values_per_sec > 0.0);
    assert!(report.latency.p50_ms <= report.latency.p99_ms);
    assert!(report.latency.p99_ms <= report.latency.max_ms);
    assert!(report.body_bytes < report.raw_bytes);

    let r = state.lock().unwrap();
    assert_eq!(r.queries, vec!["CREATE DATABASE \"benchmark\"".to_string()]);
    assert_eq!(r.bodies.len(), 36);
    assert_eq!(r.gzip_requests, 36);
    assert!(r
        .params
        .iter()
        .all(|p| p.get("db").map(String::as_str) == Some("benchmark")));
    // Every line arrived once; batches may arrive in any order.
    let mut got: Vec<&[u8]> = r
        .bodies
        .iter()
        .flat_map(|b| b.split(|&c| c == b'\n').filter(|l| !l.is_empty()))
        .collect();
    let mut want: Vec<&[u8]> = data
        .split(|&c| c == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    for body in &r.bodies {
        assert_eq!(body.iter().filter(|&&c| c == b'\n').count(), 100);
    }
}

#[tokio::test]
async fn v2_endpoint_and_failures_are_reported() {
    let (url, state) = receiver().await;
    let mut data = data();
    data.extend_from_slice(b"cpu,hostname=FAIL usage_user=1i 1\n");
    let prepared = load::prepare(&data, 100, false).unwrap();
    let report = load::run(&options(&url, Api::V2, false), prepared)
        .await
        .unwrap();
    assert_eq!(report.lines, 3601);
    assert_eq!(report.batches, 37);
    assert_eq!(report.failed_batches, 1);
    assert_eq!(report.failed_lines, 1);
    assert_eq!(report.errors.len(), 1);
    assert!(report.errors[0].contains("400"), "{}", report.errors[0]);
    assert!(
        report.errors[0].contains("rejected on purpose"),
        "{}",
        report.errors[0]
    );
    let r = state.lock().unwrap();
    assert_eq!(r.gzip_requests, 0);
    assert!(r
        .params
        .iter()
        .all(|p| p.get("bucket").map(String::as_str) == Some("benchmark")));
}

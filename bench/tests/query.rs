//! `query` against tiny in-process servers whose answers are scripted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use almanac_bench::query::{self, Language, QueryOptions};
use almanac_bench::tsbs::{self, DataSpan, ALL_TYPES};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;

/// How the fake server answers.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// One row per query, whose value depends on the query text.
    Rows,
    /// Like `Rows`, but the value is off by 1 % for `lastpoint`.
    Skewed,
    /// No series at all.
    Empty,
    /// A statement error.
    Error,
}

#[derive(Clone)]
struct Fake {
    mode: Mode,
    seen: Arc<Mutex<Vec<HashMap<String, String>>>>,
}

fn value_of(q: &str) -> f64 {
    (q.len() % 97) as f64 + 0.25
}

async fn influxql(
    State(fake): State<Fake>,
    Query(params): Query<HashMap<String, String>>,
) -> (StatusCode, String) {
    let q = params.get("q").cloned().unwrap_or_default();
    fake.seen.lock().unwrap().push(params);
    let mut v = value_of(&q);
    match fake.mode {
        Mode::Empty => (StatusCode::OK, r#"{"results":[{"statement_id":0}]}"#.into()),
        Mode::Error => (
            StatusCode::OK,
            r#"{"results":[{"statement_id":0,"error":"not supported yet: something"}]}"#.into(),
        ),
        Mode::Rows | Mode::Skewed => {
            if fake.mode == Mode::Skewed && q.contains("limit 1") {
                v *= 1.01;
            }
            (
                StatusCode::OK,
                format!(
                    r#"{{"results":[{{"statement_id":0,"series":[{{"name":"cpu","columns":["time","max"],"values":[["2016-01-01T00:00:00Z",{v}]]}}]}}]}}"#
                ),
            )
        }
    }
}

async fn promql(State(fake): State<Fake>, Query(params): Query<HashMap<String, String>>) -> String {
    fake.seen.lock().unwrap().push(params);
    r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"cpu_usage_user"},"values":[[1451606400,"1"]]}]}}"#.into()
}

/// `/api/v2/query`: one annotated CSV table per query (or an in-band error).
async fn flux(State(fake): State<Fake>, axum::Json(body): axum::Json<serde_json::Value>) -> String {
    let script = body["query"].as_str().unwrap_or_default().to_string();
    let dialect = body["dialect"]["annotations"].to_string();
    fake.seen.lock().unwrap().push(HashMap::from([
        ("flux".to_string(), script.clone()),
        ("annotations".to_string(), dialect),
    ]));
    let v = value_of(&script);
    match fake.mode {
        Mode::Empty => "#datatype,string,long,double\n#group,false,false,false\n,result,table,_value\n\n".into(),
        Mode::Error => "#datatype,string,string\n#group,true,true\n,error,reference\n,not supported yet: something,\n\n".into(),
        Mode::Rows | Mode::Skewed => format!(
            "#datatype,string,long,dateTime:RFC3339,string,string,double\n#group,false,false,false,true,true,false\n,result,table,_time,_field,hostname,_value\n,_result,0,2016-01-01T00:01:00Z,usage_user,host_1,{v}\n\n"
        ),
    }
}

async fn serve(mode: Mode) -> (String, Fake) {
    let fake = Fake {
        mode,
        seen: Arc::default(),
    };
    let app = Router::new()
        .route("/query", get(influxql))
        .route("/api/v1/query_range", get(promql))
        .route("/api/v2/query", axum::routing::post(flux))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), fake)
}

fn options(url: &str, language: Language, queries: usize) -> QueryOptions {
    QueryOptions {
        url: url.into(),
        db: "benchmark".into(),
        types: ALL_TYPES.to_vec(),
        queries,
        warmup: 0,
        warmup_time: std::time::Duration::ZERO,
        workers: 3,
        seed: 9,
        span: DataSpan {
            scale: 100,
            start_ns: 1_451_606_400_000_000_000,
            end_ns: 1_451_606_400_000_000_000 + 24 * 3_600_000_000_000,
        },
        language,
        keep_answers: queries,
        timeout: Duration::from_secs(10),
    }
}

#[tokio::test]
async fn every_type_runs_and_sends_the_planned_queries() {
    let (url, fake) = serve(Mode::Rows).await;
    let opts = options(&url, Language::Influxql, 4);
    let report = query::run(&opts).await.unwrap();
    assert_eq!(report.failed, 0);
    assert_eq!(report.types.len(), 15);
    for t in &report.types {
        assert_eq!(
            (t.queries, t.ok, t.failed, t.rows),
            (4, 4, 0, 4),
            "{}",
            t.query_type
        );
        let l = t.latency.as_ref().unwrap();
        assert!(l.p50_ms <= l.p95_ms && l.p95_ms <= l.p99_ms && l.p99_ms <= l.max_ms);
    }
    let seen = fake.seen.lock().unwrap();
    assert_eq!(seen.len(), 60);
    assert!(seen.iter().all(|p| p["db"] == "benchmark"));
    let mut sent: Vec<&str> = seen.iter().map(|p| p["q"].as_str()).collect();
    let mut planned: Vec<String> = query::plan(&opts)
        .into_iter()
        .flat_map(|(_, qs)| qs.into_iter().map(|q| q.influxql))
        .collect();
    sent.sort();
    planned.sort();
    assert_eq!(sent, planned);
}

#[tokio::test]
async fn a_warm_up_time_repeats_the_warm_up_queries_until_it_has_passed() {
    let (url, fake) = serve(Mode::Rows).await;
    let mut opts = options(&url, Language::Influxql, 4);
    opts.types = ALL_TYPES[..1].to_vec();
    opts.workers = 1;
    opts.warmup = 2;
    opts.warmup_time = std::time::Duration::from_millis(150);
    let started = std::time::Instant::now();
    let report = query::run(&opts).await.unwrap();
    assert!(started.elapsed() >= opts.warmup_time);
    assert_eq!(report.types[0].queries, 4);
    let seen = fake.seen.lock().unwrap();
    let sent: Vec<&str> = seen.iter().map(|p| p["q"].as_str()).collect();
    let [timed] = &query::plan(&opts)[..] else {
        panic!("one type")
    };
    let timed: Vec<String> = timed.1.iter().map(|q| q.influxql.clone()).collect();
    // Rounds of the same two warm-up queries, then the four timed ones.
    let (warm, rest) = sent.split_at(sent.len() - 4);
    assert!(
        warm.len() > 2 && warm.len() % 2 == 0,
        "{} warm-up queries",
        warm.len()
    );
    for round in warm.chunks(2) {
        assert_eq!(round, &warm[..2]);
    }
    assert!(warm.iter().all(|q| !timed.iter().any(|t| t == q)));
    let mut rest = rest.to_vec();
    let mut want: Vec<&str> = timed.iter().map(String::as_str).collect();
    rest.sort();
    want.sort();
    assert_eq!(rest, want);
}

#[tokio::test]
async fn warm_up_queries_are_sent_first_with_other_parameters_and_not_timed() {
    let (url, fake) = serve(Mode::Rows).await;
    let mut opts = options(&url, Language::Influxql, 4);
    opts.types = ALL_TYPES[..2].to_vec();
    opts.warmup = 3;
    let report = query::run(&opts).await.unwrap();
    assert_eq!(report.warmup_per_type, 3);
    for t in &report.types {
        assert_eq!((t.queries, t.ok, t.rows), (4, 4, 4), "{}", t.query_type);
    }
    let seen = fake.seen.lock().unwrap();
    let sent: Vec<&str> = seen.iter().map(|p| p["q"].as_str()).collect();
    assert_eq!(sent.len(), 2 * (3 + 4));
    let planned: Vec<Vec<String>> = query::plan(&opts)
        .into_iter()
        .map(|(_, qs)| qs.into_iter().map(|q| q.influxql).collect())
        .collect();
    // Per type: 3 warm-up queries (none of them a timed one), then the
    // timed ones.
    for (i, timed) in planned.iter().enumerate() {
        let block = &sent[i * 7..(i + 1) * 7];
        assert!(block[..3].iter().all(|q| !timed.iter().any(|t| t == q)));
        let mut rest: Vec<&str> = block[3..].to_vec();
        let mut want: Vec<&str> = timed.iter().map(String::as_str).collect();
        rest.sort();
        want.sort();
        assert_eq!(rest, want);
    }
}

#[tokio::test]
async fn empty_answers_fail_except_where_allowed_and_errors_fail() {
    let (url, _) = serve(Mode::Empty).await;
    let report = query::run(&options(&url, Language::Influxql, 2))
        .await
        .unwrap();
    for t in &report.types {
        let allowed = t.query_type.starts_with("high-cpu");
        if allowed {
            assert_eq!((t.ok, t.failed, t.empty), (2, 0, 2), "{}", t.query_type);
        } else {
            assert_eq!((t.ok, t.failed), (0, 2), "{}", t.query_type);
            assert!(t.latency.is_none());
            assert!(t.errors[0].contains("empty answer"), "{:?}", t.errors);
        }
    }
    assert_eq!(report.failed, 26);

    let (url, _) = serve(Mode::Error).await;
    let report = query::run(&options(&url, Language::Influxql, 1))
        .await
        .unwrap();
    assert_eq!(report.failed, 15);
    assert!(report.types[0].errors[0].contains("not supported yet: something"));
    assert!(report.summary().contains("error: query 0"));
}

#[tokio::test]
async fn cross_check_finds_the_skewed_type_only() {
    let (a, _) = serve(Mode::Rows).await;
    let (b, _) = serve(Mode::Skewed).await;
    let (c, _) = serve(Mode::Rows).await;
    let opts = options(&a, Language::Influxql, 3);
    let mut report = query::run(&opts).await.unwrap();
    assert_eq!(query::cross_check(&opts, &mut report, &c).await.unwrap(), 0);
    let mut report = query::run(&opts).await.unwrap();
    let mismatches = query::cross_check(&opts, &mut report, &b).await.unwrap();
    assert_eq!(mismatches, 3);
    for t in &report.types {
        assert_eq!(t.cross_checked, 3);
        assert_eq!(
            t.mismatches.is_empty(),
            t.query_type != "lastpoint",
            "{}",
            t.query_type
        );
    }
    // The same through two stored runs.
    let mut mine = query::run(&opts).await.unwrap();
    let theirs = query::run(&options(&b, Language::Influxql, 3))
        .await
        .unwrap();
    assert_eq!(query::compare_reports(&mut mine, &theirs, "b"), 3);
}

#[tokio::test]
async fn promql_runs_the_mapped_types_and_skips_the_rest() {
    let (url, fake) = serve(Mode::Rows).await;
    let report = query::run(&options(&url, Language::Promql, 2))
        .await
        .unwrap();
    assert_eq!(report.failed, 0);
    for t in &report.types {
        let mapped = t
            .query_type
            .parse::<tsbs::QueryType>()
            .unwrap()
            .has_promql();
        assert_eq!(t.skipped.is_none(), mapped, "{}", t.query_type);
        assert_eq!(t.ok, if mapped { 2 } else { 0 });
    }
    let seen = fake.seen.lock().unwrap();
    assert_eq!(seen.len(), 11 * 2);
    assert!(seen
        .iter()
        .all(|p| p.contains_key("query") && p.contains_key("step")));
}

#[tokio::test]
async fn flux_sends_the_planned_scripts_and_reads_annotated_csv() {
    let (url, fake) = serve(Mode::Rows).await;
    let opts = options(&url, Language::Flux, 2);
    let report = query::run(&opts).await.unwrap();
    assert_eq!(report.failed, 0);
    for t in &report.types {
        assert_eq!((t.ok, t.rows), (2, 2), "{}", t.query_type);
        assert!(t
            .example
            .as_ref()
            .unwrap()
            .starts_with("from(bucket: \"benchmark/autogen\")"));
    }
    {
        let seen = fake.seen.lock().unwrap();
        assert!(seen.iter().all(|p| p["annotations"].contains("datatype")));
        let mut sent: Vec<&str> = seen.iter().map(|p| p["flux"].as_str()).collect();
        let mut planned: Vec<String> = query::plan(&opts)
            .into_iter()
            .flat_map(|(_, qs)| qs.into_iter())
            .map(|q| almanac_bench::flux::script(&q, "benchmark/autogen"))
            .collect();
        sent.sort();
        planned.sort();
        assert_eq!(sent, planned);
    }

    let (url, _) = serve(Mode::Error).await;
    let report = query::run(&options(&url, Language::Flux, 1)).await.unwrap();
    assert_eq!(report.failed, 15);
    assert!(report.types[0].errors[0].contains("not supported yet: something"));

    let (url, _) = serve(Mode::Empty).await;
    let report = query::run(&options(&url, Language::Flux, 1)).await.unwrap();
    assert_eq!(report.failed, 13, "only high-cpu may be empty");
}

//! Query driver: the TSBS devops query types against a server, with
//! per-type latency percentiles, answer checks and cross-checks.
//!
//! The types run one after the other; within a type, `workers` tasks take
//! the next unsent query, so at most `workers` queries are in flight. Each
//! answer must be a successful, well-formed answer holding at least one row
//! (types whose answer may rightly be empty, `high-cpu-*`, only count empty
//! answers). Failures are counted and reported per type, never as zeros.
//!
//! The answers of the first `keep_answers` queries of each type are kept, so
//! that two targets' answers to the same queries can be compared
//! ([`cross_check`]) without timing the second target.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use hdrhistogram::Histogram;
use serde::Serialize;

use crate::answer::{self, Answer, AnswerError};
use crate::flux;
use crate::load::Latency;
use crate::tsbs::{DataSpan, Query, QueryGenerator, QueryType};

/// Failures whose details are kept per type.
const MAX_REPORTED_ERRORS: usize = 5;

/// Which API and language the queries use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// InfluxQL through `GET /query?db=…&q=…` (InfluxDB 1.x).
    Influxql,
    /// PromQL through `GET /api/v1/query_range` (types without a PromQL form are skipped).
    Promql,
    /// Flux through `POST /api/v2/query` (bucket `<db>/autogen`, annotated CSV).
    Flux,
}

/// How to run the queries.
#[derive(Debug, Clone)]
pub struct QueryOptions {
    /// Server base URL.
    pub url: String,
    /// Database (InfluxQL; Flux reads bucket `<db>/autogen`).
    pub db: String,
    /// Query types, in run order.
    pub types: Vec<QueryType>,
    /// Queries per type.
    pub queries: usize,
    /// Untimed queries per type sent before the timed ones (other
    /// parameters, same concurrency), so that the medians measure a warm
    /// server rather than its first reads of each file.
    pub warmup: usize,
    /// Least time the warm-up of each type lasts: its untimed queries are
    /// sent again, round after round, until it has passed (a small type's
    /// few warm-up queries otherwise last a few milliseconds).
    pub warmup_time: Duration,
    /// Concurrent queries.
    pub workers: usize,
    /// Seed of the random parameters.
    pub seed: u64,
    /// The data set the queries run on.
    pub span: DataSpan,
    /// Query language / API.
    pub language: Language,
    /// Answers kept per type for cross-checking.
    pub keep_answers: usize,
    /// Per-request timeout.
    pub timeout: Duration,
}

/// Every query of a run, per type, generated before the clock starts.
pub fn plan(opts: &QueryOptions) -> Vec<(QueryType, Vec<Query>)> {
    opts.types
        .iter()
        .map(|t| {
            (
                *t,
                QueryGenerator::new(opts.span, *t, opts.seed).take(opts.queries),
            )
        })
        .collect()
}

/// Seed of the warm-up queries: derived from the run's seed, so that they
/// are repeatable but not the timed queries themselves.
fn warmup_seed(seed: u64) -> u64 {
    seed ^ 0x5741_524d_5550
}

/// Results of one query type.
#[derive(Debug, Clone, Serialize)]
pub struct TypeReport {
    /// TSBS name.
    pub query_type: String,
    /// Queries sent (0 when skipped).
    pub queries: u64,
    /// Queries answered successfully (including empty answers where allowed).
    pub ok: u64,
    /// Queries that failed (error, bad answer, or empty where rows are required).
    pub failed: u64,
    /// Successful answers without rows.
    pub empty: u64,
    /// Rows over all successful answers.
    pub rows: u64,
    /// Latency of successful queries.
    pub latency: Option<Latency>,
    /// Queries per second over the type's wall time.
    pub queries_per_sec: f64,
    /// Why the type was not run (e.g. no PromQL form).
    pub skipped: Option<String>,
    /// The first failures.
    pub errors: Vec<String>,
    /// An example of the query text.
    pub example: Option<String>,
    /// Disagreements with another target (filled by cross-checks).
    pub mismatches: Vec<String>,
    /// Answers compared with another target.
    pub cross_checked: u64,
    /// Kept answers (not serialized).
    #[serde(skip)]
    pub answers: Vec<Option<Answer>>,
}

/// What a query run did.
#[derive(Debug, Clone, Serialize)]
pub struct QueryReport {
    /// Server base URL.
    pub url: String,
    /// Language / API.
    pub language: Language,
    /// Queries per type.
    pub queries_per_type: usize,
    /// Untimed warm-up queries per type.
    pub warmup_per_type: usize,
    /// Concurrent queries.
    pub workers: usize,
    /// Seed.
    pub seed: u64,
    /// Per-type results, in run order.
    pub types: Vec<TypeReport>,
    /// Failed queries over all types.
    pub failed: u64,
}

impl QueryReport {
    /// A table, one type a line.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} queries per type (after {} untimed), {} workers, {:?} against {}\n{:<24} {:>6} {:>6} {:>6} {:>9} {:>9} {:>9} {:>9}\n",
            self.queries_per_type,
            self.warmup_per_type,
            self.workers,
            self.language,
            self.url,
            "type",
            "ok",
            "failed",
            "empty",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "rows/q"
        );
        for t in &self.types {
            if let Some(why) = &t.skipped {
                s.push_str(&format!("{:<24} skipped: {why}\n", t.query_type));
                continue;
            }
            let (p50, p95, p99) = t
                .latency
                .as_ref()
                .map_or((f64::NAN, f64::NAN, f64::NAN), |l| {
                    (l.p50_ms, l.p95_ms, l.p99_ms)
                });
            s.push_str(&format!(
                "{:<24} {:>6} {:>6} {:>6} {:>9.2} {:>9.2} {:>9.2} {:>9.1}\n",
                t.query_type,
                t.ok,
                t.failed,
                t.empty,
                p50,
                p95,
                p99,
                if t.ok > 0 {
                    t.rows as f64 / t.ok as f64
                } else {
                    0.0
                }
            ));
            for e in &t.errors {
                s.push_str(&format!("    error: {e}\n"));
            }
            for m in &t.mismatches {
                s.push_str(&format!("    mismatch: {m}\n"));
            }
        }
        s.push_str(&format!("failed queries: {}", self.failed));
        s
    }
}

fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds")
}

/// Latency summary of a histogram of µs, None when empty.
pub fn latency_of(hist: &Histogram<u64>) -> Option<Latency> {
    if hist.is_empty() {
        return None;
    }
    let ms = |us: u64| us as f64 / 1000.0;
    Some(Latency {
        p50_ms: ms(hist.value_at_quantile(0.50)),
        p95_ms: ms(hist.value_at_quantile(0.95)),
        p99_ms: ms(hist.value_at_quantile(0.99)),
        max_ms: ms(hist.max()),
        mean_ms: hist.mean() / 1000.0,
    })
}

/// Builds the request for `q`.
pub fn request(
    client: &reqwest::Client,
    base: &str,
    db: &str,
    language: Language,
    q: &Query,
) -> anyhow::Result<reqwest::RequestBuilder> {
    let base = base.trim_end_matches('/');
    Ok(match language {
        Language::Influxql => client
            .get(format!("{base}/query"))
            .query(&[("db", db), ("q", q.influxql.as_str())]),
        Language::Flux => client
            .post(format!("{base}/api/v2/query"))
            .header("Accept", "application/csv")
            .json(&flux::request_body(&flux::script(
                q,
                &format!("{db}/autogen"),
            ))),
        Language::Promql => {
            let p = q
                .promql
                .as_ref()
                .with_context(|| format!("{} has no PromQL form", q.qtype))?;
            client.get(format!("{base}/api/v1/query_range")).query(&[
                ("query", p.query.clone()),
                ("start", p.start.to_string()),
                ("end", p.end.to_string()),
                ("step", p.step.to_string()),
            ])
        }
    })
}

/// Sends one query and parses its answer.
pub async fn execute(
    client: &reqwest::Client,
    base: &str,
    db: &str,
    language: Language,
    q: &Query,
) -> Result<Answer, String> {
    let req = build(client, base, db, language, q)?;
    let (status, body) = receive(client, req).await?;
    parse(language, status, &body)
}

/// The request for `q`, built (URL encoded, body serialized) ahead of
/// sending, as TSBS reads its queries pre-encoded from a file.
fn build(
    client: &reqwest::Client,
    base: &str,
    db: &str,
    language: Language,
    q: &Query,
) -> Result<reqwest::Request, String> {
    request(client, base, db, language, q)
        .and_then(|r| Ok(r.build()?))
        .map_err(|e| e.to_string())
}

/// Sends a built request; also the query's latency: from sending the
/// request until the whole answer has arrived, without parsing it (as TSBS
/// times queries — the client's parser is not the server's cost, and
/// Flux's annotated CSV is several times larger than InfluxQL's JSON).
async fn send_timed(
    client: &reqwest::Client,
    req: reqwest::Request,
) -> (Result<(reqwest::StatusCode, String), String>, Duration) {
    let t0 = Instant::now();
    let received = receive(client, req).await;
    (received, t0.elapsed())
}

/// The status and body of one query's answer.
async fn receive(
    client: &reqwest::Client,
    req: reqwest::Request,
) -> Result<(reqwest::StatusCode, String), String> {
    let resp = client
        .execute(req)
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    let status = resp.status();
    let body = resp
        .text()
        .await
        .map_err(|e| format!("reading the answer: {e}"))?;
    Ok((status, body))
}

/// The rows of an answer of `language`, checked as [`parse`] checks it;
/// InfluxQL answers are not built ([`answer::influxql_rows`]).
fn rows_of(language: Language, status: reqwest::StatusCode, body: &str) -> Result<usize, String> {
    match language {
        Language::Influxql => verdict(status, answer::influxql_rows(body)),
        _ => parse(language, status, body).map(|a| a.rows()),
    }
}

/// Parses an answer of `language`.
fn parse(language: Language, status: reqwest::StatusCode, body: &str) -> Result<Answer, String> {
    let parsed = match language {
        Language::Influxql => answer::parse_influxql(body),
        Language::Promql => answer::parse_promql(body),
        Language::Flux if !status.is_success() => Err(AnswerError::Query(v2_error(body))),
        Language::Flux => flux::parse_csv(body),
    };
    verdict(status, parsed)
}

/// A parsed answer as the query's outcome: failures worded with the status.
fn verdict<T>(status: reqwest::StatusCode, parsed: Result<T, AnswerError>) -> Result<T, String> {
    match parsed {
        Ok(a) if status.is_success() => Ok(a),
        Ok(_) => Err(format!("HTTP {status}")),
        Err(AnswerError::Query(msg)) => Err(format!("HTTP {status}: {msg}")),
        Err(e) => Err(format!("HTTP {status}: {e}")),
    }
}

/// The message of a `/api/v2` JSON error body (`{"code", "message"}`).
fn v2_error(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| body.chars().take(200).collect())
}

/// The text of `q` in `language` (for examples and error reports).
pub fn text_of(q: &Query, language: Language, db: &str) -> String {
    match language {
        Language::Influxql => q.influxql.clone(),
        Language::Flux => flux::script(q, &format!("{db}/autogen")),
        Language::Promql => q.promql.as_ref().map_or_else(String::new, |p| {
            format!(
                "{} (start={} end={} step={})",
                p.query, p.start, p.end, p.step
            )
        }),
    }
}

/// Runs every type of `opts` and reports. The client runs on a thread of
/// its own (a single-threaded runtime): it shares the machine's cores with
/// the server it measures, and a multi-threaded client spent a tenth of its
/// CPU handing tasks between its threads.
pub async fn run(opts: &QueryOptions) -> anyhow::Result<QueryReport> {
    let opts = opts.clone();
    tokio::task::spawn_blocking(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(run_on_this_thread(&opts))
    })
    .await
    .context("query client thread panicked")?
}

async fn run_on_this_thread(opts: &QueryOptions) -> anyhow::Result<QueryReport> {
    if opts.workers == 0 {
        bail!("--workers must be at least 1");
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(opts.workers)
        .timeout(opts.timeout)
        .build()?;
    let mut types = Vec::new();
    for (qtype, queries) in plan(opts) {
        types.push(run_type(&client, opts, qtype, queries).await?);
    }
    let failed = types.iter().map(|t| t.failed).sum();
    Ok(QueryReport {
        url: opts.url.clone(),
        language: opts.language,
        queries_per_type: opts.queries,
        warmup_per_type: opts.warmup,
        workers: opts.workers,
        seed: opts.seed,
        types,
        failed,
    })
}

#[derive(Default)]
struct Outcome {
    ok: u64,
    failed: u64,
    empty: u64,
    rows: u64,
    errors: Vec<String>,
}

async fn run_type(
    client: &reqwest::Client,
    opts: &QueryOptions,
    qtype: QueryType,
    queries: Vec<Query>,
) -> anyhow::Result<TypeReport> {
    let mut report = TypeReport {
        query_type: qtype.name(),
        queries: 0,
        ok: 0,
        failed: 0,
        empty: 0,
        rows: 0,
        latency: None,
        queries_per_sec: 0.0,
        skipped: None,
        errors: Vec::new(),
        example: queries.first().map(|q| text_of(q, opts.language, &opts.db)),
        mismatches: Vec::new(),
        cross_checked: 0,
        answers: Vec::new(),
    };
    if opts.language == Language::Promql && !qtype.has_promql() {
        report.skipped = Some("no simple PromQL equivalent".into());
        report.example = None;
        return Ok(report);
    }
    warm_up(client, opts, qtype).await;
    let keep = opts.keep_answers.min(queries.len());
    let requests = prepare(client, opts, &queries)?;
    let queries = Arc::new(queries);
    let answers = Arc::new(std::sync::Mutex::new(vec![None; keep]));
    let next = Arc::new(AtomicUsize::new(0));
    let hist = Arc::new(std::sync::Mutex::new(new_histogram()));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..opts.workers.min(queries.len().max(1)) {
        let client = client.clone();
        let queries = queries.clone();
        let answers = answers.clone();
        let next = next.clone();
        let hist = hist.clone();
        let requests = requests.clone();
        let db = opts.db.clone();
        let language = opts.language;
        tasks.push(tokio::spawn(async move {
            let mut local = new_histogram();
            let mut out = Outcome::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(q) = queries.get(i) else { break };
                let Some(req) = requests[i].lock().expect("request lock").take() else {
                    break;
                };
                let (received, latency) = send_timed(&client, req).await;
                let micros = (latency.as_micros() as u64).max(1);
                // Only kept answers are built; the others are counted.
                let checked = received.and_then(|(status, body)| {
                    if i < keep {
                        parse(language, status, &body).map(|a| (a.rows(), Some(a)))
                    } else {
                        rows_of(language, status, &body).map(|rows| (rows, None))
                    }
                });
                let verdict = match checked {
                    Ok((0, _)) if !q.qtype.may_be_empty() => {
                        Err("empty answer (no rows)".to_string())
                    }
                    Ok((rows, answer)) => {
                        local.saturating_record(micros);
                        out.ok += 1;
                        out.rows += rows as u64;
                        if rows == 0 {
                            out.empty += 1;
                        }
                        if let Some(a) = answer {
                            answers.lock().expect("answers lock")[i] = Some(a);
                        }
                        Ok(())
                    }
                    Err(e) => Err(e),
                };
                if let Err(e) = verdict {
                    out.failed += 1;
                    if out.errors.len() < MAX_REPORTED_ERRORS {
                        let text = text_of(q, language, &db);
                        out.errors.push(format!("query {i}: {e} [{text}]"));
                    }
                }
            }
            hist.lock()
                .expect("histogram lock")
                .add(&local)
                .expect("same histogram bounds");
            out
        }));
    }
    for task in tasks {
        let out = task.await.context("query worker panicked")?;
        report.ok += out.ok;
        report.failed += out.failed;
        report.empty += out.empty;
        report.rows += out.rows;
        for e in out.errors {
            if report.errors.len() < MAX_REPORTED_ERRORS {
                report.errors.push(e);
            }
        }
    }
    let wall = started.elapsed().as_secs_f64();
    report.queries = queries.len() as u64;
    report.latency = latency_of(&hist.lock().expect("histogram lock"));
    report.queries_per_sec = if wall > 0.0 {
        report.ok as f64 / wall
    } else {
        0.0
    };
    report.answers = std::mem::take(&mut *answers.lock().expect("answers lock"));
    Ok(report)
}

/// Every query's request, built before the first is sent; each is taken
/// (once) by the worker that sends it.
fn prepare(
    client: &reqwest::Client,
    opts: &QueryOptions,
    queries: &[Query],
) -> anyhow::Result<Arc<Vec<std::sync::Mutex<Option<reqwest::Request>>>>> {
    let requests = queries
        .iter()
        .map(|q| {
            build(client, &opts.url, &opts.db, opts.language, q)
                .map(|r| std::sync::Mutex::new(Some(r)))
                .map_err(|e| anyhow::anyhow!("building the request for {}: {e}", q.qtype))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Arc::new(requests))
}

/// Sends `opts.warmup` queries of `qtype` (parameters from
/// [`warmup_seed`]), `opts.workers` at a time, round after round until
/// `opts.warmup_time` has passed; their answers and errors are not looked at
/// (the timed queries report failures).
async fn warm_up(client: &reqwest::Client, opts: &QueryOptions, qtype: QueryType) {
    if opts.warmup == 0 {
        return;
    }
    let queries = QueryGenerator::new(opts.span, qtype, warmup_seed(opts.seed)).take(opts.warmup);
    let started = Instant::now();
    loop {
        if !warm_up_round(client, opts, &queries).await || started.elapsed() >= opts.warmup_time {
            return;
        }
    }
}

/// One round of [`warm_up`]: every query once. False when the requests
/// could not be built.
async fn warm_up_round(client: &reqwest::Client, opts: &QueryOptions, queries: &[Query]) -> bool {
    let Ok(requests) = prepare(client, opts, queries) else {
        return false;
    };
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..opts.workers.min(queries.len()) {
        let (client, requests, next) = (client.clone(), requests.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            while let Some(slot) = requests.get(next.fetch_add(1, Ordering::Relaxed)) {
                let Some(req) = slot.lock().expect("request lock").take() else {
                    continue;
                };
                let _ = receive(&client, req).await;
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    true
}

/// Compares the answers kept in `a` and `b` (two runs of the same plan),
/// recording disagreements in `a`'s types. Returns the mismatch count.
pub fn compare_reports(a: &mut QueryReport, b: &QueryReport, b_label: &str) -> u64 {
    let mut total = 0;
    for ta in &mut a.types {
        let Some(tb) = b.types.iter().find(|t| t.query_type == ta.query_type) else {
            continue;
        };
        for (i, (x, y)) in ta.answers.iter().zip(&tb.answers).enumerate() {
            let (Some(x), Some(y)) = (x, y) else { continue };
            ta.cross_checked += 1;
            if let Some(diff) = answer::first_difference(x, y) {
                total += 1;
                if ta.mismatches.len() < MAX_REPORTED_ERRORS {
                    ta.mismatches
                        .push(format!("query {i} vs {b_label}: {diff}"));
                }
            }
        }
    }
    total
}

/// Sends the kept queries of `report` to `other_url` (untimed, one at a
/// time) and compares the answers. Returns the mismatch count.
pub async fn cross_check(
    opts: &QueryOptions,
    report: &mut QueryReport,
    other_url: &str,
) -> anyhow::Result<u64> {
    let client = reqwest::Client::builder().timeout(opts.timeout).build()?;
    let plan = plan(opts);
    let mut total = 0;
    for t in &mut report.types {
        let Some((_, queries)) = plan.iter().find(|(q, _)| q.name() == t.query_type) else {
            continue;
        };
        for (i, mine) in t.answers.iter().enumerate() {
            let Some(mine) = mine else { continue };
            let Some(q) = queries.get(i) else { continue };
            t.cross_checked += 1;
            let diff = match execute(&client, other_url, &opts.db, opts.language, q).await {
                Ok(theirs) => answer::first_difference(mine, &theirs),
                Err(e) => Some(format!("{other_url} failed: {e}")),
            };
            if let Some(diff) = diff {
                total += 1;
                if t.mismatches.len() < MAX_REPORTED_ERRORS {
                    t.mismatches
                        .push(format!("query {i} vs {other_url}: {diff} [{}]", q.influxql));
                }
            }
        }
    }
    Ok(total)
}

/// One type of a `--lang both` run: the two medians and their ratio.
#[derive(Debug, Clone, Serialize)]
pub struct Ratio {
    /// TSBS name.
    pub query_type: String,
    /// InfluxQL p50, ms.
    pub influxql_p50_ms: Option<f64>,
    /// Flux p50, ms.
    pub flux_p50_ms: Option<f64>,
    /// Flux p50 / InfluxQL p50.
    pub ratio: Option<f64>,
}

/// The Flux/InfluxQL median ratio of every type run in both languages.
pub fn ratios(influxql: &QueryReport, flux: &QueryReport) -> Vec<Ratio> {
    influxql
        .types
        .iter()
        .map(|q| {
            let f = flux.types.iter().find(|t| t.query_type == q.query_type);
            let ql = q.latency.as_ref().map(|l| l.p50_ms);
            let fx = f.and_then(|t| t.latency.as_ref()).map(|l| l.p50_ms);
            Ratio {
                query_type: q.query_type.clone(),
                influxql_p50_ms: ql,
                flux_p50_ms: fx,
                ratio: match (fx, ql) {
                    (Some(f), Some(q)) if q > 0.0 => Some(f / q),
                    _ => None,
                },
            }
        })
        .collect()
}

/// A table of [`ratios`].
pub fn ratio_summary(r: &[Ratio]) -> String {
    let mut s = format!(
        "{:<24} {:>12} {:>10} {:>11}\n",
        "type", "influxql p50", "flux p50", "flux/influxql"
    );
    let fmt = |v: Option<f64>, p: usize| v.map_or_else(|| "-".to_string(), |v| format!("{v:.p$}"));
    for x in r {
        s.push_str(&format!(
            "{:<24} {:>12} {:>10} {:>11}\n",
            x.query_type,
            fmt(x.influxql_p50_ms, 2),
            fmt(x.flux_p50_ms, 2),
            fmt(x.ratio, 2)
        ));
    }
    s
}

/// Compares the kept answers of a Flux run with those of an InfluxQL run of
/// the same plan by their numbers ([`flux::flux_numbers`]), recording
/// disagreements in the Flux report. Returns the mismatch count.
pub fn cross_check_flux(flux_report: &mut QueryReport, influxql: &QueryReport) -> u64 {
    let mut total = 0;
    for tf in &mut flux_report.types {
        let Some(tq) = influxql
            .types
            .iter()
            .find(|t| t.query_type == tf.query_type)
        else {
            continue;
        };
        let Ok(qtype) = tf.query_type.parse::<QueryType>() else {
            continue;
        };
        for (i, (f, q)) in tf.answers.iter().zip(&tq.answers).enumerate() {
            let (Some(f), Some(q)) = (f, q) else { continue };
            tf.cross_checked += 1;
            let diff = flux::numbers_differ(
                &flux::flux_numbers(qtype, f),
                &flux::influxql_numbers(qtype, q),
            );
            if let Some(diff) = diff {
                total += 1;
                if tf.mismatches.len() < MAX_REPORTED_ERRORS {
                    tf.mismatches.push(format!("query {i} vs InfluxQL: {diff}"));
                }
            }
        }
    }
    total
}

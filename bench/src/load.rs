//! Ingest load: batches of line protocol written by parallel HTTP workers.
//!
//! Everything that is not the server's work happens before the clock starts:
//! the input is split into batches of `batch_size` lines, the lines and field
//! values of every batch are counted, and batches are gzip-compressed when
//! asked. The timed section only sends the prepared bodies: `workers` tasks
//! take the next unsent batch, POST it and wait for the answer, so at most
//! `workers` requests are in flight.

use std::io::{IsTerminal, Read};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bytes::Bytes;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

/// Failures whose details are kept for the report.
const MAX_REPORTED_ERRORS: usize = 10;
/// Longest part of an error body kept.
const MAX_ERROR_BODY: usize = 500;

/// Which write endpoint to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Api {
    /// `POST /write?db=<db>` (InfluxDB 1.x).
    V1,
    /// `POST /api/v2/write?bucket=<db>` (InfluxDB 2.x).
    V2,
}

/// How to load.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Server base URL, e.g. `http://127.0.0.1:8086`.
    pub url: String,
    /// Database (v1) or bucket (v2).
    pub db: String,
    /// Issue `CREATE DATABASE` first.
    pub create_db: bool,
    /// Concurrent requests.
    pub workers: usize,
    /// Lines per request.
    pub batch_size: usize,
    /// Send bodies gzip-compressed.
    pub gzip: bool,
    /// Write endpoint.
    pub api: Api,
    /// `Authorization: Token …` header, if any.
    pub token: Option<String>,
    /// Show a progress bar on stderr (only drawn when stderr is a terminal).
    pub progress: bool,
}

/// One request body, ready to send.
#[derive(Debug, Clone)]
pub struct Batch {
    /// What is sent (compressed when gzip is on).
    pub body: Bytes,
    /// Lines in the batch (blank and comment lines excluded).
    pub lines: u64,
    /// Field values of the lines that parse.
    pub field_values: u64,
    /// Uncompressed size.
    pub raw_bytes: u64,
}

/// The input split into batches.
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    /// Batches, in input order.
    pub batches: Vec<Batch>,
    /// Lines that do not parse as line protocol (sent anyway).
    pub invalid_lines: u64,
    /// Seconds spent splitting, counting and compressing.
    pub prepare_seconds: f64,
}

impl Prepared {
    /// Total lines.
    pub fn lines(&self) -> u64 {
        self.batches.iter().map(|b| b.lines).sum()
    }

    /// Total field values.
    pub fn field_values(&self) -> u64 {
        self.batches.iter().map(|b| b.field_values).sum()
    }

    /// Total uncompressed bytes.
    pub fn raw_bytes(&self) -> u64 {
        self.batches.iter().map(|b| b.raw_bytes).sum()
    }

    /// Total bytes sent.
    pub fn body_bytes(&self) -> u64 {
        self.batches.iter().map(|b| b.body.len() as u64).sum()
    }
}

/// Gunzips `data` when it starts with the gzip magic bytes.
pub fn maybe_gunzip(data: Vec<u8>) -> anyhow::Result<Vec<u8>> {
    if data.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(data.len() * 8);
        MultiGzDecoder::new(&data[..])
            .read_to_end(&mut out)
            .context("decompressing gzip input")?;
        Ok(out)
    } else {
        Ok(data)
    }
}

fn is_data_line(line: &[u8]) -> bool {
    match line
        .iter()
        .position(|&c| !matches!(c, b' ' | b'\t' | b'\r' | b'\n' | 0))
    {
        Some(i) => line[i] != b'#',
        None => false,
    }
}

/// Byte ranges of consecutive `batch_size`-line chunks of `data`, with their line counts.
/// Blank and comment lines ride along without counting.
pub fn split_batches(data: &[u8], batch_size: usize) -> Vec<(std::ops::Range<usize>, u64)> {
    let batch_size = batch_size.max(1) as u64;
    let mut out = Vec::new();
    let mut start = 0;
    let mut pos = 0;
    let mut lines = 0u64;
    while pos < data.len() {
        let end = data[pos..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(data.len(), |i| pos + i + 1);
        if is_data_line(&data[pos..end]) {
            lines += 1;
        }
        pos = end;
        if lines == batch_size {
            out.push((start..pos, lines));
            start = pos;
            lines = 0;
        }
    }
    if lines > 0 {
        out.push((start..data.len(), lines));
    }
    out
}

/// Splits, counts and (optionally) compresses, using every core.
pub fn prepare(data: &[u8], batch_size: usize, gzip: bool) -> anyhow::Result<Prepared> {
    let started = Instant::now();
    let ranges = split_batches(data, batch_size);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(ranges.len().max(1));
    let chunk = ranges.len().div_ceil(threads).max(1);
    let results: Vec<anyhow::Result<Vec<(Batch, u64)>>> = std::thread::scope(|s| {
        let handles: Vec<_> = ranges
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|(range, lines)| make_batch(&data[range.clone()], *lines, gzip))
                        .collect::<anyhow::Result<Vec<_>>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("batch preparation does not panic"))
            .collect()
    });
    let mut prepared = Prepared::default();
    for part in results {
        for (batch, invalid) in part? {
            prepared.invalid_lines += invalid;
            prepared.batches.push(batch);
        }
    }
    prepared.prepare_seconds = started.elapsed().as_secs_f64();
    Ok(prepared)
}

fn make_batch(raw: &[u8], lines: u64, gzip: bool) -> anyhow::Result<(Batch, u64)> {
    let mut field_values = 0u64;
    let mut invalid = 0u64;
    for line in almanac_lineproto::parse_lines(raw) {
        match line {
            Ok(line) => field_values += line.fields.len() as u64,
            Err(_) => invalid += 1,
        }
    }
    let body = if gzip {
        let mut enc = GzEncoder::new(Vec::with_capacity(raw.len() / 4), Compression::default());
        std::io::Write::write_all(&mut enc, raw)?;
        Bytes::from(enc.finish()?)
    } else {
        Bytes::copy_from_slice(raw)
    };
    Ok((
        Batch {
            body,
            lines,
            field_values,
            raw_bytes: raw.len() as u64,
        },
        invalid,
    ))
}

/// Per-batch latency summary, in milliseconds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Latency {
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest.
    pub max_ms: f64,
    /// Mean.
    pub mean_ms: f64,
}

/// What a load run did.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    /// Server base URL.
    pub url: String,
    /// Database / bucket.
    pub db: String,
    /// Endpoint family.
    pub api: Api,
    /// Concurrent requests.
    pub workers: usize,
    /// Lines per batch.
    pub batch_size: usize,
    /// Bodies were gzip-compressed.
    pub gzip: bool,
    /// Lines sent.
    pub lines: u64,
    /// Field values sent.
    pub field_values: u64,
    /// Lines that did not parse locally.
    pub invalid_lines: u64,
    /// Requests sent.
    pub batches: u64,
    /// Requests that did not get 204.
    pub failed_batches: u64,
    /// Lines in failed requests.
    pub failed_lines: u64,
    /// Uncompressed line-protocol bytes.
    pub raw_bytes: u64,
    /// Bytes of request bodies.
    pub body_bytes: u64,
    /// Seconds spent preparing batches (not timed).
    pub prepare_seconds: f64,
    /// Seconds from the first request to the last answer.
    pub wall_seconds: f64,
    /// Lines per second of wall time.
    pub rows_per_sec: f64,
    /// Field values per second of wall time.
    pub values_per_sec: f64,
    /// Uncompressed megabytes per second.
    pub raw_mb_per_sec: f64,
    /// Per-request latency.
    pub latency: Latency,
    /// The first failures: batch number, status and body.
    pub errors: Vec<String>,
}

impl LoadReport {
    /// A human-readable summary.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "loaded {lines} lines ({values} field values, {mb:.1} MB) in {wall:.3} s \
             with {workers} workers, {batches} batches of {bs} lines{gz} via {api:?}\n\
             rows/s:     {rows:.0}\n\
             values/s:   {vps:.0}\n\
             MB/s:       {mbs:.1} (uncompressed)\n\
             latency ms: p50 {p50:.1}  p95 {p95:.1}  p99 {p99:.1}  max {max:.1}  mean {mean:.1}\n\
             failures:   {failed} batches ({failed_lines} lines)",
            lines = self.lines,
            values = self.field_values,
            mb = self.raw_bytes as f64 / 1e6,
            wall = self.wall_seconds,
            workers = self.workers,
            batches = self.batches,
            bs = self.batch_size,
            gz = if self.gzip { ", gzip" } else { "" },
            api = self.api,
            rows = self.rows_per_sec,
            vps = self.values_per_sec,
            mbs = self.raw_mb_per_sec,
            p50 = self.latency.p50_ms,
            p95 = self.latency.p95_ms,
            p99 = self.latency.p99_ms,
            max = self.latency.max_ms,
            mean = self.latency.mean_ms,
            failed = self.failed_batches,
            failed_lines = self.failed_lines,
        );
        if self.invalid_lines > 0 {
            s.push_str(&format!(
                "\nwarning: {} lines did not parse locally",
                self.invalid_lines
            ));
        }
        for e in &self.errors {
            s.push_str("\nerror: ");
            s.push_str(e);
        }
        s
    }
}

fn base_url(url: &str) -> anyhow::Result<reqwest::Url> {
    let url = reqwest::Url::parse(url).with_context(|| format!("invalid URL {url:?}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        bail!("URL {url} is not http(s)");
    }
    Ok(url)
}

fn endpoint(base: &reqwest::Url, path: &str) -> reqwest::Url {
    let mut url = base.clone();
    let prefix = url.path().trim_end_matches('/').to_string();
    url.set_path(&format!("{prefix}{path}"));
    url.set_query(None);
    url
}

/// The write URL for `opts`.
pub fn write_url(opts: &LoadOptions) -> anyhow::Result<reqwest::Url> {
    let base = base_url(&opts.url)?;
    let mut url = match opts.api {
        Api::V1 => endpoint(&base, "/write"),
        Api::V2 => endpoint(&base, "/api/v2/write"),
    };
    let key = match opts.api {
        Api::V1 => "db",
        Api::V2 => "bucket",
    };
    url.query_pairs_mut().append_pair(key, &opts.db);
    Ok(url)
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `CREATE DATABASE <db>` through `POST /query`.
pub async fn create_database(client: &reqwest::Client, opts: &LoadOptions) -> anyhow::Result<()> {
    let base = base_url(&opts.url)?;
    let q = format!("CREATE DATABASE {}", quote_ident(&opts.db));
    let mut req = client.post(endpoint(&base, "/query")).query(&[("q", &q)]);
    if let Some(token) = &opts.token {
        req = req.header(reqwest::header::AUTHORIZATION, format!("Token {token}"));
    }
    let resp = req.send().await.with_context(|| format!("{q}: request"))?;
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    if !status.is_success() {
        bail!("{q}: HTTP {status}: {}", truncate(&body));
    }
    // InfluxDB answers 200 with the statement's error inside the results.
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(&body) {
        let err = v.get("error").or_else(|| {
            v.get("results")
                .and_then(|r| r.get(0))
                .and_then(|r| r.get("error"))
        });
        if let Some(err) = err {
            bail!("{q}: {err}");
        }
    }
    Ok(())
}

fn truncate(s: &str) -> String {
    let s = s.trim();
    if s.len() <= MAX_ERROR_BODY {
        return s.to_string();
    }
    let mut end = MAX_ERROR_BODY;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

fn new_histogram() -> Histogram<u64> {
    // 1 µs .. 1 hour, 3 significant digits.
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds")
}

#[derive(Default)]
struct WorkerResult {
    failed_batches: u64,
    failed_lines: u64,
    errors: Vec<String>,
}

fn progress_bar(opts: &LoadOptions, lines: u64) -> ProgressBar {
    if !opts.progress || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(lines);
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] [{wide_bar}] {human_pos}/{human_len} lines ({per_sec}, eta {eta})",
        )
        .expect("valid progress template")
        .progress_chars("=> "),
    );
    pb
}

/// Sends every prepared batch and measures; failed batches are counted, not retried.
pub async fn run(opts: &LoadOptions, prepared: Prepared) -> anyhow::Result<LoadReport> {
    if opts.workers == 0 {
        bail!("--workers must be at least 1");
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(opts.workers)
        .timeout(Duration::from_secs(600))
        .build()?;
    if opts.create_db {
        create_database(&client, opts).await?;
    }
    let url = write_url(opts)?;
    let lines = prepared.lines();
    let values = prepared.field_values();
    let raw = prepared.raw_bytes();
    let body_bytes = prepared.body_bytes();
    let batches = Arc::new(prepared.batches);
    let next = Arc::new(AtomicUsize::new(0));
    let pb = progress_bar(opts, lines);
    let hist = Arc::new(std::sync::Mutex::new(new_histogram()));

    let started = Instant::now();
    let mut tasks = Vec::with_capacity(opts.workers);
    for _ in 0..opts.workers {
        let client = client.clone();
        let url = url.clone();
        let batches = batches.clone();
        let next = next.clone();
        let pb = pb.clone();
        let hist = hist.clone();
        let gzip = opts.gzip;
        let token = opts.token.clone();
        tasks.push(tokio::spawn(async move {
            let mut local = new_histogram();
            let mut result = WorkerResult::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(batch) = batches.get(i) else { break };
                let mut req = client
                    .post(url.clone())
                    .header(reqwest::header::CONTENT_TYPE, "text/plain; charset=utf-8")
                    .body(batch.body.clone());
                if gzip {
                    req = req.header(reqwest::header::CONTENT_ENCODING, "gzip");
                }
                if let Some(token) = &token {
                    req = req.header(reqwest::header::AUTHORIZATION, format!("Token {token}"));
                }
                let t0 = Instant::now();
                let outcome = match req.send().await {
                    Ok(resp) => {
                        let status = resp.status();
                        // Read the body so the connection can be reused.
                        let body = resp.text().await.unwrap_or_default();
                        if status == reqwest::StatusCode::NO_CONTENT {
                            Ok(())
                        } else {
                            Err(format!("HTTP {status}: {}", truncate(&body)))
                        }
                    }
                    Err(e) => Err(format!("request failed: {e}")),
                };
                let micros = (t0.elapsed().as_micros() as u64).max(1);
                local.saturating_record(micros);
                if let Err(e) = outcome {
                    result.failed_batches += 1;
                    result.failed_lines += batch.lines;
                    if result.errors.len() < MAX_REPORTED_ERRORS {
                        result.errors.push(format!("batch {i}: {e}"));
                    }
                }
                pb.inc(batch.lines);
            }
            hist.lock()
                .expect("histogram lock")
                .add(&local)
                .expect("same histogram bounds");
            result
        }));
    }
    let mut failed_batches = 0;
    let mut failed_lines = 0;
    let mut errors = Vec::new();
    for task in tasks {
        let r = task.await.context("load worker panicked")?;
        failed_batches += r.failed_batches;
        failed_lines += r.failed_lines;
        errors.extend(r.errors);
    }
    let wall = started.elapsed().as_secs_f64();
    pb.finish_and_clear();
    errors.truncate(MAX_REPORTED_ERRORS);

    let hist = hist.lock().expect("histogram lock");
    let ms = |us: u64| us as f64 / 1000.0;
    let latency = if hist.is_empty() {
        Latency {
            p50_ms: 0.0,
            p95_ms: 0.0,
            p99_ms: 0.0,
            max_ms: 0.0,
            mean_ms: 0.0,
        }
    } else {
        Latency {
            p50_ms: ms(hist.value_at_quantile(0.50)),
            p95_ms: ms(hist.value_at_quantile(0.95)),
            p99_ms: ms(hist.value_at_quantile(0.99)),
            max_ms: ms(hist.max()),
            mean_ms: hist.mean() / 1000.0,
        }
    };
    let per_sec = |n: u64| if wall > 0.0 { n as f64 / wall } else { 0.0 };
    Ok(LoadReport {
        url: opts.url.clone(),
        db: opts.db.clone(),
        api: opts.api,
        workers: opts.workers,
        batch_size: opts.batch_size,
        gzip: opts.gzip,
        lines,
        field_values: values,
        invalid_lines: prepared.invalid_lines,
        batches: batches.len() as u64,
        failed_batches,
        failed_lines,
        raw_bytes: raw,
        body_bytes,
        prepare_seconds: prepared.prepare_seconds,
        wall_seconds: wall,
        rows_per_sec: per_sec(lines),
        values_per_sec: per_sec(values),
        raw_mb_per_sec: per_sec(raw) / 1e6,
        latency,
        errors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_by_line_count_and_keeps_every_byte() {
        let data = b"a x=1 1\n\n# c\nb x=2 2\nc x=3 3\nd x=4 4\ne x=5 5";
        let parts = split_batches(data, 2);
        let counts: Vec<u64> = parts.iter().map(|(_, n)| *n).collect();
        assert_eq!(counts, vec![2, 2, 1]);
        let joined: Vec<u8> = parts
            .iter()
            .flat_map(|(r, _)| data[r.clone()].iter().copied())
            .collect();
        assert_eq!(joined, data);
        assert_eq!(&data[parts[0].0.clone()], b"a x=1 1\n\n# c\nb x=2 2\n");
    }

    #[test]
    fn prepare_counts_and_compresses() {
        let data = b"m,t=a x=1,y=2i 1\nm,t=b x=1 2\nbad\n".to_vec();
        let p = prepare(&data, 2, true).unwrap();
        assert_eq!(p.batches.len(), 2);
        assert_eq!(p.lines(), 3);
        assert_eq!(p.field_values(), 3);
        assert_eq!(p.invalid_lines, 1);
        assert_eq!(p.raw_bytes(), data.len() as u64);
        let mut joined = Vec::new();
        for b in &p.batches {
            joined.extend(maybe_gunzip(b.body.to_vec()).unwrap());
        }
        assert_eq!(joined, data);
    }

    #[test]
    fn urls() {
        let mut opts = LoadOptions {
            url: "http://127.0.0.1:8086/".into(),
            db: "my db".into(),
            create_db: false,
            workers: 1,
            batch_size: 1,
            gzip: false,
            api: Api::V1,
            token: None,
            progress: false,
        };
        assert_eq!(
            write_url(&opts).unwrap().as_str(),
            "http://127.0.0.1:8086/write?db=my+db"
        );
        opts.api = Api::V2;
        assert_eq!(
            write_url(&opts).unwrap().as_str(),
            "http://127.0.0.1:8086/api/v2/write?bucket=my+db"
        );
        assert_eq!(quote_ident("a\"b"), "\"a\\\"b\"");
    }
}

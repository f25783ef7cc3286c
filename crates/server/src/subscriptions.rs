//! The subscription service: forwards every write accepted by storage to the
//! destinations of the subscriptions of its database and retention policy
//! (InfluxQL `CREATE SUBSCRIPTION … DESTINATIONS ALL|ANY 'url', …`), as
//! InfluxDB 1.x's subscriber does.
//!
//! * It reads the storage write stream (the broadcast the Kapacitor tasks
//!   use), after the write is durable, and only while at least one
//!   subscription exists: a catalog listener subscribes to the stream
//!   before `CREATE SUBSCRIPTION` is answered, so the next write is seen.
//! * Each destination has a worker with a bounded queue
//!   ([`QUEUE_WRITES`] writes). Dispatching never waits: when a queue is
//!   full (destination slow or down) the write is dropped for it and counted
//!   (`pointsDropped`), so ingest is never slowed or blocked.
//! * Points are sent as line protocol with nanosecond timestamps (lines
//!   written without one get the server time storage gave them), tags in
//!   canonical order. HTTP/HTTPS: `POST <url path>/write?db=<db>&rp=<rp>`,
//!   basic auth from the URL's user info, queued writes batched up to
//!   [`MAX_BATCH_BYTES`]; transient errors (connection, timeout, 5xx, 429)
//!   are retried [`RETRIES`] times with back-off, then the batch counts as a
//!   write failure. UDP: datagrams of whole lines up to
//!   [`MAX_DATAGRAM_BYTES`].
//! * `ALL` sends every write to every destination; `ANY` to one, in
//!   round-robin, moving on to the next destination whose queue has room.
//!
//! Counters live in the executor's [`SubscriberMetrics`] (`SHOW STATS`
//! module `subscriber`, `/metrics`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use almanac_catalog::{CatalogSnapshot, SubscriptionDef, SubscriptionMode};
use almanac_influxql_exec::subscriptions::{DestinationKey, DestinationStats, SubscriberMetrics};
use almanac_lineproto::{escape_tag, parse_lines, FieldValue, Line, Precision};
use almanac_storage::stream::WriteEvent;
use almanac_storage::Storage;
use parking_lot::Mutex;
use tokio::sync::{broadcast, mpsc, Notify};

use crate::AppState;

/// Writes queued per destination before new ones are dropped.
pub const QUEUE_WRITES: usize = 1024;
/// Largest HTTP body made by batching queued writes.
pub const MAX_BATCH_BYTES: usize = 1 << 20;
/// Largest UDP datagram (whole lines; a longer line goes alone).
pub const MAX_DATAGRAM_BYTES: usize = 1400;
/// Retries of a transient HTTP failure.
pub const RETRIES: usize = 3;
/// HTTP request timeout (influxd's `http-timeout` default).
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// State shared between the catalog listener and the service loop.
#[derive(Default)]
struct Shared {
    state: Mutex<StreamState>,
    /// The catalog changed: rebuild the routes.
    dirty: AtomicBool,
    wake: Notify,
}

#[derive(Default)]
struct StreamState {
    /// A receiver made by the listener, waiting for the loop.
    pending: Option<broadcast::Receiver<Arc<WriteEvent>>>,
    /// Whether the loop holds (or will take) a receiver.
    subscribed: bool,
}

impl Shared {
    /// Subscribes to the write stream when subscriptions exist and nobody
    /// holds a receiver.
    fn ensure_subscribed(&self, storage: &Storage, has_subscriptions: bool) {
        let mut st = self.state.lock();
        if has_subscriptions && !st.subscribed {
            st.pending = Some(storage.write_stream().subscribe());
            st.subscribed = true;
        }
    }
}

fn has_subscriptions(snap: &CatalogSnapshot) -> bool {
    snap.databases.values().any(|d| !d.subscriptions.is_empty())
}

/// Starts the service; it runs until `stop` turns true.
pub fn spawn(
    state: AppState,
    stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let storage = state.storage.clone();
    let metrics = state.influxql.subscriber_metrics().clone();
    let shared = Arc::new(Shared::default());
    {
        let weak_storage: Weak<Storage> = Arc::downgrade(&storage);
        let weak_shared: Weak<Shared> = Arc::downgrade(&shared);
        storage.catalog().on_change(move |snap| {
            let (Some(storage), Some(shared)) = (weak_storage.upgrade(), weak_shared.upgrade())
            else {
                return;
            };
            shared.ensure_subscribed(&storage, has_subscriptions(snap));
            shared.dirty.store(true, Ordering::Release);
            shared.wake.notify_one();
        });
    }
    shared.ensure_subscribed(&storage, has_subscriptions(&storage.catalog().snapshot()));
    shared.dirty.store(true, Ordering::Release);
    tokio::spawn(run(storage, metrics, shared, stop))
}

async fn run(
    storage: Arc<Storage>,
    metrics: Arc<SubscriberMetrics>,
    shared: Arc<Shared>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let client = reqwest::Client::builder()
        .timeout(HTTP_TIMEOUT)
        .user_agent(concat!("almanac-subscriber/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default();
    let mut routes = Routes::default();
    let mut rx: Option<broadcast::Receiver<Arc<WriteEvent>>> = None;
    loop {
        refresh(&storage, &metrics, &client, &shared, &mut routes, &mut rx);
        tokio::select! {
            _ = stop.changed() => break,
            _ = shared.wake.notified() => {}
            ev = async { rx.as_mut().expect("guarded").recv().await }, if rx.is_some() => match ev {
                Ok(ev) => {
                    // The catalog listener marks a change before CREATE/DROP
                    // SUBSCRIPTION is answered, so a write made after the
                    // answer finds the new routes here even when its event
                    // wins the race against the wake-up.
                    refresh(&storage, &metrics, &client, &shared, &mut routes, &mut rx);
                    routes.dispatch(&ev);
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "subscriptions: fell behind the write stream; writes not forwarded");
                }
                Err(broadcast::error::RecvError::Closed) => {
                    rx = None;
                    shared.state.lock().subscribed = false;
                }
            },
        }
    }
}

/// Rebuilds the routes when the catalog changed, drops the stream receiver
/// when no subscription is left and takes the one the listener made.
fn refresh(
    storage: &Storage,
    metrics: &Arc<SubscriberMetrics>,
    client: &reqwest::Client,
    shared: &Shared,
    routes: &mut Routes,
    rx: &mut Option<broadcast::Receiver<Arc<WriteEvent>>>,
) {
    if shared.dirty.swap(false, Ordering::AcqRel) {
        routes.rebuild(&storage.catalog().snapshot(), metrics, client);
        if routes.is_empty() {
            let mut st = shared.state.lock();
            // Under the lock the listener takes: it cannot subscribe in
            // between (the catalog swaps its snapshot before telling it).
            if !has_subscriptions(&storage.catalog().snapshot()) {
                *rx = None;
                st.pending = None;
                st.subscribed = false;
            }
        }
    }
    if let Some(fresh) = shared.state.lock().pending.take() {
        *rx = Some(fresh);
    }
}

/// One write and, made once by whichever worker needs it first, its line
/// protocol with nanosecond timestamps.
struct Payload {
    event: Arc<WriteEvent>,
    encoded: OnceLock<(String, u64)>,
}

impl Payload {
    /// (line protocol, points).
    fn encoded(&self) -> &(String, u64) {
        self.encoded.get_or_init(|| encode_event(&self.event))
    }

    /// Points in the write (counted without parsing, for drop counters).
    fn points(&self) -> u64 {
        match self.encoded.get() {
            Some((_, n)) => *n,
            None => self
                .event
                .lines
                .split(|b| *b == b'\n')
                .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
                .count() as u64,
        }
    }
}

/// The precision whose unit is `nanos` ns.
fn precision_of(nanos: i64) -> Precision {
    [
        Precision::Second,
        Precision::Millisecond,
        Precision::Microsecond,
        Precision::Minute,
        Precision::Hour,
    ]
    .into_iter()
    .find(|p| p.nanos() == nanos)
    .unwrap_or(Precision::Nanosecond)
}

/// Re-serializes the accepted lines of `ev` with nanosecond timestamps, as
/// influxd's subscriber sends its points: the series key in canonical form
/// (tags sorted), the fields, the time in ns. Floats are written as Go's
/// `strconv.FormatFloat(v, 'f', -1, 64)` does (shortest digits, no
/// exponent: `2`, `1.5`), which is also how they were usually written.
fn encode_event(ev: &WriteEvent) -> (String, u64) {
    let precision = precision_of(ev.precision_nanos);
    let mut out = String::with_capacity(ev.lines.len() + ev.lines.len() / 8);
    let mut points = 0;
    for line in parse_lines(&ev.lines) {
        // Storage accepted these lines; one failing here cannot happen.
        let Ok(line) = line else { continue };
        let Ok(ns) = line.timestamp_ns(precision, ev.default_time) else {
            continue;
        };
        push_line(&mut out, &line, ns);
        points += 1;
    }
    (out, points)
}

/// Appends `line` with time `ns` and a newline to `out`.
fn push_line(out: &mut String, line: &Line<'_>, ns: i64) {
    use std::fmt::Write as _;
    out.push_str(&line.series_key());
    for (i, (key, value)) in line.fields.iter().enumerate() {
        out.push(if i == 0 { ' ' } else { ',' });
        out.push_str(&escape_tag(key));
        out.push('=');
        let _ = match value {
            FieldValue::Float(f) => write!(out, "{f}"),
            other => write!(out, "{other}"),
        };
    }
    let _ = writeln!(out, " {ns}");
}

/// The running subscriptions by (database, retention policy).
#[derive(Default)]
struct Routes {
    by_target: HashMap<(String, String), Vec<Arc<Running>>>,
}

/// One subscription with its destination workers.
struct Running {
    def: SubscriptionDef,
    destinations: Vec<Destination>,
    next: AtomicUsize,
}

/// The sending side of one destination worker.
struct Destination {
    key: DestinationKey,
    tx: mpsc::Sender<Arc<Payload>>,
    stats: DestinationStats,
}

impl Routes {
    fn is_empty(&self) -> bool {
        self.by_target.is_empty()
    }

    /// Makes the running set match the catalog: unchanged subscriptions
    /// keep their workers and queues; removed ones are dropped (their
    /// workers finish what is queued, then stop).
    fn rebuild(
        &mut self,
        snap: &CatalogSnapshot,
        metrics: &Arc<SubscriberMetrics>,
        client: &reqwest::Client,
    ) {
        let mut old: HashMap<(String, String, String), Arc<Running>> = self
            .by_target
            .drain()
            .flat_map(|((db, rp), subs)| {
                subs.into_iter()
                    .map(move |s| ((db.clone(), rp.clone(), s.def.name.clone()), s))
            })
            .collect();
        for (db, def) in snap.subscriptions() {
            let id = (db.clone(), def.retention_policy.clone(), def.name.clone());
            let running = match old.remove(&id) {
                Some(r) if r.def == def => r,
                stale => {
                    if let Some(stale) = stale {
                        forget(&stale, metrics);
                    }
                    start(&db, def.clone(), metrics, client)
                }
            };
            self.by_target
                .entry((db, def.retention_policy))
                .or_default()
                .push(running);
        }
        for gone in old.values() {
            forget(gone, metrics);
        }
    }

    /// Queues `ev` for the subscriptions of its database and policy.
    fn dispatch(&self, ev: &Arc<WriteEvent>) {
        let Some(subs) = self
            .by_target
            .get(&(ev.database.clone(), ev.retention_policy.clone()))
        else {
            return;
        };
        let payload = Arc::new(Payload {
            event: ev.clone(),
            encoded: OnceLock::new(),
        });
        for sub in subs {
            sub.dispatch(&payload);
        }
    }
}

impl Running {
    fn dispatch(&self, payload: &Arc<Payload>) {
        if self.destinations.is_empty() {
            return;
        }
        match self.def.mode {
            SubscriptionMode::All => {
                for d in &self.destinations {
                    if d.tx.try_send(payload.clone()).is_err() {
                        d.stats.dropped(payload.points());
                    }
                }
            }
            SubscriptionMode::Any => {
                let n = self.destinations.len();
                let first = self.next.fetch_add(1, Ordering::Relaxed) % n;
                let sent = (0..n)
                    .map(|i| &self.destinations[(first + i) % n])
                    .any(|d| d.tx.try_send(payload.clone()).is_ok());
                if !sent {
                    self.destinations[first].stats.dropped(payload.points());
                }
            }
        }
    }
}

fn forget(running: &Running, metrics: &SubscriberMetrics) {
    for d in &running.destinations {
        metrics.forget(&d.key);
    }
}

/// Starts the workers of subscription `def` of database `db`.
fn start(
    db: &str,
    def: SubscriptionDef,
    metrics: &Arc<SubscriberMetrics>,
    client: &reqwest::Client,
) -> Arc<Running> {
    let mut destinations = Vec::new();
    for url in &def.destinations {
        let key: DestinationKey = (
            db.to_string(),
            def.retention_policy.clone(),
            def.name.clone(),
            url.clone(),
        );
        let writer = match Writer::new(url, db, &def.retention_policy, client) {
            Ok(w) => w,
            Err(e) => {
                metrics.create_failed();
                tracing::warn!(subscription = %def.name, destination = %url, error = %e, "subscriptions: destination not started");
                continue;
            }
        };
        let stats = metrics.destination(&key);
        let (tx, rx) = mpsc::channel(QUEUE_WRITES);
        tokio::spawn(writer.run(rx, stats.clone()));
        destinations.push(Destination { key, tx, stats });
    }
    Arc::new(Running {
        def,
        destinations,
        next: AtomicUsize::new(0),
    })
}

/// How one destination is written to.
enum Writer {
    Http {
        client: reqwest::Client,
        url: reqwest::Url,
        auth: Option<(String, String)>,
    },
    Udp {
        /// `host:port` to resolve.
        addr: String,
    },
}

/// Why a destination could not be set up.
#[derive(Debug, thiserror::Error)]
enum WriterError {
    #[error("invalid URL: {0}")]
    Url(String),
    #[error("unsupported scheme {0:?}")]
    Scheme(String),
}

impl Writer {
    fn new(
        dest: &str,
        db: &str,
        rp: &str,
        client: &reqwest::Client,
    ) -> Result<Writer, WriterError> {
        let parsed = reqwest::Url::parse(dest).map_err(|e| WriterError::Url(e.to_string()))?;
        match parsed.scheme() {
            "http" | "https" => {
                let mut url = parsed.clone();
                let _ = url.set_username("");
                let _ = url.set_password(None);
                url.set_fragment(None);
                let path = format!("{}/write", parsed.path().trim_end_matches('/'));
                url.set_path(&path);
                url.query_pairs_mut()
                    .append_pair("db", db)
                    .append_pair("rp", rp);
                let auth =
                    (!parsed.username().is_empty() || parsed.password().is_some()).then(|| {
                        (
                            percent_decode(parsed.username()),
                            percent_decode(parsed.password().unwrap_or("")),
                        )
                    });
                Ok(Writer::Http {
                    client: client.clone(),
                    url,
                    auth,
                })
            }
            "udp" => {
                let host = parsed
                    .host_str()
                    .ok_or_else(|| WriterError::Url("no host".into()))?;
                let port = parsed
                    .port()
                    .ok_or_else(|| WriterError::Url("no port".into()))?;
                let host = if host.is_empty() { "127.0.0.1" } else { host };
                Ok(Writer::Udp {
                    addr: format!("{host}:{port}"),
                })
            }
            other => Err(WriterError::Scheme(other.to_string())),
        }
    }

    /// Drains the queue until every sender is gone.
    async fn run(self, mut rx: mpsc::Receiver<Arc<Payload>>, stats: DestinationStats) {
        let mut udp: Option<tokio::net::UdpSocket> = None;
        while let Some(first) = rx.recv().await {
            let mut body = first.encoded().0.clone();
            let mut points = first.encoded().1;
            if matches!(self, Writer::Http { .. }) {
                while body.len() < MAX_BATCH_BYTES {
                    let Ok(next) = rx.try_recv() else { break };
                    let (text, n) = next.encoded();
                    body.push_str(text);
                    points += n;
                }
            }
            if points == 0 {
                continue;
            }
            match &self {
                Writer::Http { client, url, auth } => {
                    post(client, url, auth.as_ref(), body, points, &stats).await
                }
                Writer::Udp { addr } => send_udp(&mut udp, addr, &body, &stats).await,
            }
        }
    }
}

/// Decodes `%XX` escapes of URL user info.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether an HTTP outcome is worth retrying.
fn transient(result: &Result<reqwest::StatusCode, reqwest::Error>) -> bool {
    match result {
        Ok(status) => status.is_server_error() || *status == reqwest::StatusCode::TOO_MANY_REQUESTS,
        Err(e) => e.is_connect() || e.is_timeout() || e.is_request(),
    }
}

async fn post(
    client: &reqwest::Client,
    url: &reqwest::Url,
    auth: Option<&(String, String)>,
    body: String,
    points: u64,
    stats: &DestinationStats,
) {
    let body = bytes::Bytes::from(body);
    let mut delay = Duration::from_millis(100);
    for attempt in 0..=RETRIES {
        let mut req = client
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(body.clone());
        if let Some((user, password)) = auth {
            req = req.basic_auth(user, Some(password));
        }
        let result = req.send().await.map(|r| r.status());
        match &result {
            Ok(status) if status.is_success() => {
                stats.written(points);
                return;
            }
            _ if attempt < RETRIES && transient(&result) => {
                stats.retried();
                tokio::time::sleep(delay).await;
                delay *= 4;
            }
            Ok(status) => {
                stats.failed();
                tracing::warn!(destination = %url, %status, points, "subscriptions: write refused");
                return;
            }
            Err(e) => {
                stats.failed();
                tracing::warn!(destination = %url, error = %e, points, "subscriptions: write failed");
                return;
            }
        }
    }
}

/// Sends `body` (whole lines) as datagrams of at most [`MAX_DATAGRAM_BYTES`].
async fn send_udp(
    socket: &mut Option<tokio::net::UdpSocket>,
    addr: &str,
    body: &str,
    stats: &DestinationStats,
) {
    let mut start = 0;
    let mut lines_in = 0u64;
    let mut end = 0;
    let bytes = body.as_bytes();
    while end < bytes.len() {
        let line_end = match memchr_newline(&bytes[end..]) {
            Some(i) => end + i + 1,
            None => bytes.len(),
        };
        if line_end - start > MAX_DATAGRAM_BYTES && lines_in > 0 {
            send_datagram(socket, addr, &bytes[start..end], lines_in, stats).await;
            start = end;
            lines_in = 0;
        }
        end = line_end;
        lines_in += 1;
    }
    if lines_in > 0 {
        send_datagram(socket, addr, &bytes[start..end], lines_in, stats).await;
    }
}

fn memchr_newline(b: &[u8]) -> Option<usize> {
    b.iter().position(|c| *c == b'\n')
}

async fn send_datagram(
    socket: &mut Option<tokio::net::UdpSocket>,
    addr: &str,
    datagram: &[u8],
    points: u64,
    stats: &DestinationStats,
) {
    for attempt in 0..2 {
        if socket.is_none() {
            *socket = connect_udp(addr).await;
        }
        let Some(s) = socket.as_ref() else {
            break;
        };
        match s.send(datagram).await {
            Ok(_) => {
                stats.written(points);
                return;
            }
            Err(e) => {
                // E.g. a refusal reported for an earlier datagram: reconnect once.
                *socket = None;
                if attempt == 0 {
                    stats.retried();
                } else {
                    tracing::warn!(destination = %addr, error = %e, "subscriptions: UDP send failed");
                }
            }
        }
    }
    stats.failed();
}

async fn connect_udp(addr: &str) -> Option<tokio::net::UdpSocket> {
    let target = match tokio::net::lookup_host(addr).await {
        Ok(mut addrs) => addrs.next()?,
        Err(e) => {
            tracing::warn!(destination = %addr, error = %e, "subscriptions: cannot resolve");
            return None;
        }
    };
    let local = if target.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let socket = tokio::net::UdpSocket::bind(local).await.ok()?;
    socket.connect(target).await.ok()?;
    Some(socket)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(lines: &str, precision: Precision, default_time: i64) -> WriteEvent {
        WriteEvent {
            database: "db".into(),
            retention_policy: "autogen".into(),
            precision_nanos: precision.nanos(),
            default_time,
            lines: lines.as_bytes().to_vec(),
            rows: None,
        }
    }

    #[test]
    fn events_are_sent_with_nanosecond_timestamps_and_canonical_tags() {
        let ev = event(
            "cpu,z=1,a=2 v=1,w=2.50,x=1e3 5\nmem free=3i\ns msg=\"a \\\"b\",ok=t,u=4u 7\nm\\ x,t\\=k=v\\ w f\\,g=-0.0 8",
            Precision::Second,
            42,
        );
        let (text, points) = encode_event(&ev);
        assert_eq!(points, 4);
        assert_eq!(
            text,
            "cpu,a=2,z=1 v=1,w=2.5,x=1000 5000000000\nmem free=3i 42\ns msg=\"a \\\"b\",ok=true,u=4u 7000000000\nm\\ x,t\\=k=v\\ w f\\,g=-0 8000000000\n"
        );
        let payload = Payload {
            event: Arc::new(ev),
            encoded: OnceLock::new(),
        };
        assert_eq!(payload.points(), 4);
    }

    #[test]
    fn http_urls_get_write_db_and_rp_and_auth() {
        let client = reqwest::Client::new();
        let Writer::Http { url, auth, .. } = Writer::new(
            "http://u%40x:p%3Aw@127.0.0.1:9092/kapacitor/v1/",
            "my db",
            "autogen",
            &client,
        )
        .unwrap() else {
            panic!("not http");
        };
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9092/kapacitor/v1/write?db=my+db&rp=autogen"
        );
        assert_eq!(auth, Some(("u@x".to_string(), "p:w".to_string())));
        let Writer::Http { url, auth, .. } = Writer::new("HTTPS://h:1", "d", "r", &client).unwrap()
        else {
            panic!("not http");
        };
        assert_eq!(url.as_str(), "https://h:1/write?db=d&rp=r");
        assert_eq!(auth, None);
        assert!(matches!(
            Writer::new("udp://127.0.0.1:8089", "d", "r", &client).unwrap(),
            Writer::Udp { addr } if addr == "127.0.0.1:8089"
        ));
        // influxd accepts a port its URL parser does not check.
        assert!(Writer::new("http://h:99999", "d", "r", &client).is_err());
    }

    #[tokio::test]
    async fn udp_datagrams_hold_whole_lines() {
        let receiver = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = receiver.local_addr().unwrap().to_string();
        let metrics = SubscriberMetrics::default();
        let stats = metrics.destination(&("d".into(), "r".into(), "s".into(), addr.clone()));
        let line = format!("m v=\"{}\" 1\n", "x".repeat(600));
        let body = line.repeat(3);
        let mut socket = None;
        send_udp(&mut socket, &addr, &body, &stats).await;
        let mut got = Vec::new();
        let mut buf = vec![0u8; 65536];
        for _ in 0..2 {
            let n = receiver.recv(&mut buf).await.unwrap();
            got.push(String::from_utf8(buf[..n].to_vec()).unwrap());
        }
        assert_eq!(got, vec![line.repeat(2), line.clone()]);
        assert_eq!(stats.own().points_written.load(Ordering::Relaxed), 3);
    }
}

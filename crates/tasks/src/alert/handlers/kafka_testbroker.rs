//! A minimal in-process Kafka broker for the kafka handler's tests. It
//! speaks the part of the wire protocol a producer needs — ApiVersions
//! (v0–v3), Metadata (v1–v4) and Produce (v3–v7, record batches of magic 2
//! without compression, CRC-32C checked) — as one broker (node 0) leading
//! every partition of its topics, over plain TCP or TLS, and records every
//! produced record.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

/// API keys.
const PRODUCE: i16 = 0;
const METADATA: i16 = 3;
const API_VERSIONS: i16 = 18;

/// Error code of an unknown topic or partition.
const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;

/// One produced record.
#[derive(Debug, Clone)]
pub struct Produced {
    pub topic: String,
    pub partition: i32,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    /// Create time, ms since the epoch.
    pub timestamp: i64,
}

impl Produced {
    /// The key as text.
    pub fn key_text(&self) -> String {
        String::from_utf8(self.key.clone().unwrap_or_default()).unwrap()
    }

    /// The value as text.
    pub fn value_text(&self) -> String {
        String::from_utf8(self.value.clone().unwrap_or_default()).unwrap()
    }

    /// The value as JSON.
    pub fn json(&self) -> serde_json::Value {
        let t = self.value_text();
        serde_json::from_str(&t).unwrap_or_else(|e| panic!("{e}: {t}"))
    }
}

struct State {
    port: u16,
    /// Topic name → partition count.
    topics: BTreeMap<String, i32>,
    /// Next offset per (topic, partition).
    offsets: Mutex<BTreeMap<(String, i32), i64>>,
    /// (api key, version) of every request.
    requests: Mutex<Vec<(i16, i16)>>,
    produced: mpsc::UnboundedSender<Produced>,
}

/// A running broker.
pub struct TestBroker {
    /// `127.0.0.1:port`.
    pub addr: String,
    state: Arc<State>,
    rx: mpsc::UnboundedReceiver<Produced>,
}

impl TestBroker {
    /// Starts a plain-TCP broker with these topics (name, partitions).
    pub async fn start(topics: &[(&str, i32)]) -> TestBroker {
        Self::start_with(topics, None).await
    }

    /// Starts a broker that accepts TLS only.
    pub async fn start_tls(topics: &[(&str, i32)], tls: tokio_rustls::TlsAcceptor) -> TestBroker {
        Self::start_with(topics, Some(tls)).await
    }

    async fn start_with(
        topics: &[(&str, i32)],
        tls: Option<tokio_rustls::TlsAcceptor>,
    ) -> TestBroker {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let (tx, rx) = mpsc::unbounded_channel();
        let state = Arc::new(State {
            port,
            topics: topics.iter().map(|(n, p)| (n.to_string(), *p)).collect(),
            offsets: Mutex::new(BTreeMap::new()),
            requests: Mutex::new(Vec::new()),
            produced: tx,
        });
        let st = state.clone();
        tokio::spawn(async move {
            while let Ok((s, _)) = l.accept().await {
                let (st, tls) = (st.clone(), tls.clone());
                tokio::spawn(async move {
                    match tls {
                        Some(a) => {
                            if let Ok(s) = a.accept(s).await {
                                serve(s, st).await;
                            }
                        }
                        None => serve(s, st).await,
                    }
                });
            }
        });
        TestBroker {
            addr: format!("127.0.0.1:{port}"),
            state,
            rx,
        }
    }

    /// The next produced record (fails the test after 5 s without one).
    pub async fn next(&mut self) -> Produced {
        tokio::time::timeout(std::time::Duration::from_secs(5), self.rx.recv())
            .await
            .expect("no record was produced")
            .expect("broker stopped")
    }

    /// Asserts nothing more is produced within `ms`.
    pub async fn assert_quiet(&mut self, ms: u64) {
        if let Ok(Some(p)) =
            tokio::time::timeout(std::time::Duration::from_millis(ms), self.rx.recv()).await
        {
            panic!("unexpected record: {p:?}");
        }
    }

    /// (api key, version) of the requests so far.
    pub fn requests(&self) -> Vec<(i16, i16)> {
        self.state.requests.lock().clone()
    }
}

/// Serves one connection: size-prefixed requests, answered in order.
async fn serve<S: AsyncRead + AsyncWrite + Unpin>(mut s: S, state: Arc<State>) {
    loop {
        let Ok(len) = s.read_i32().await else { return };
        let mut buf = vec![0u8; len as usize];
        if s.read_exact(&mut buf).await.is_err() {
            return;
        }
        let mut r = Reader { b: &buf, pos: 0 };
        // Request header v1 (v2 adds tagged fields for flexible versions).
        let api_key = r.i16();
        let version = r.i16();
        let correlation_id = r.i32();
        let _client_id = r.nullable_string();
        if api_key == API_VERSIONS && version >= 3 {
            r.skip_tagged_fields();
        }
        state.requests.lock().push((api_key, version));
        let body = match api_key {
            API_VERSIONS => Some(api_versions(version)),
            METADATA => Some(metadata(&state, version, &mut r)),
            PRODUCE => produce(&state, version, &mut r),
            other => panic!("test broker: unexpected request, api key {other} v{version}"),
        };
        let Some(body) = body else { continue };
        // Response header v0 (no request here uses a flexible response header).
        let mut out = Vec::with_capacity(body.len() + 8);
        out.extend(((body.len() + 4) as i32).to_be_bytes());
        out.extend(correlation_id.to_be_bytes());
        out.extend(body);
        if s.write_all(&out).await.is_err() || s.flush().await.is_err() {
            return;
        }
    }
}

/// ApiVersions response: Produce 3–7, Metadata 1–4, ApiVersions 0–3.
fn api_versions(version: i16) -> Vec<u8> {
    let keys = [(PRODUCE, 3, 7), (METADATA, 1, 4), (API_VERSIONS, 0, 3)];
    let flexible = version >= 3;
    let mut w = Vec::new();
    put_i16(&mut w, 0);
    if flexible {
        put_uvarint(&mut w, keys.len() as u64 + 1);
    } else {
        put_i32(&mut w, keys.len() as i32);
    }
    for (k, min, max) in keys {
        put_i16(&mut w, k);
        put_i16(&mut w, min);
        put_i16(&mut w, max);
        if flexible {
            put_uvarint(&mut w, 0);
        }
    }
    if version >= 1 {
        put_i32(&mut w, 0); // throttle_time_ms
    }
    if flexible {
        put_uvarint(&mut w, 0);
    }
    w
}

/// Metadata response (v1–v4): this broker leads every partition.
fn metadata(state: &State, version: i16, r: &mut Reader) -> Vec<u8> {
    assert!((1..=4).contains(&version), "metadata v{version}");
    let n = r.i32();
    let wanted: Vec<String> = if n < 0 {
        state.topics.keys().cloned().collect()
    } else {
        (0..n).map(|_| r.string()).collect()
    };
    if version >= 4 {
        r.i8(); // allow_auto_topic_creation
    }
    let mut w = Vec::new();
    if version >= 3 {
        put_i32(&mut w, 0); // throttle_time_ms
    }
    put_i32(&mut w, 1);
    put_i32(&mut w, 0); // node_id
    put_string(&mut w, "127.0.0.1");
    put_i32(&mut w, state.port as i32);
    put_i16(&mut w, -1); // rack: null
    if version >= 2 {
        put_string(&mut w, "almanac-test-cluster");
    }
    put_i32(&mut w, 0); // controller_id
    put_i32(&mut w, wanted.len() as i32);
    for name in &wanted {
        let partitions = state.topics.get(name).copied();
        put_i16(
            &mut w,
            if partitions.is_some() {
                0
            } else {
                UNKNOWN_TOPIC_OR_PARTITION
            },
        );
        put_string(&mut w, name);
        w.push(0); // is_internal
        let n = partitions.unwrap_or(0);
        put_i32(&mut w, n);
        for p in 0..n {
            put_i16(&mut w, 0);
            put_i32(&mut w, p);
            put_i32(&mut w, 0); // leader
            for _ in 0..2 {
                // replicas, then in-sync replicas: this broker
                put_i32(&mut w, 1);
                put_i32(&mut w, 0);
            }
        }
    }
    w
}

/// Produce (v3–v7): records the records; no response when acks = 0.
fn produce(state: &State, version: i16, r: &mut Reader) -> Option<Vec<u8>> {
    assert!((3..=7).contains(&version), "produce v{version}");
    let _transactional_id = r.nullable_string();
    let acks = r.i16();
    let _timeout_ms = r.i32();
    let mut w = Vec::new();
    let topics = r.i32();
    put_i32(&mut w, topics);
    for _ in 0..topics {
        let name = r.string();
        put_string(&mut w, &name);
        let partitions = r.i32();
        put_i32(&mut w, partitions);
        for _ in 0..partitions {
            let partition = r.i32();
            let len = r.i32();
            let data = if len < 0 {
                &[][..]
            } else {
                r.take(len as usize)
            };
            let known = state.topics.get(&name).is_some_and(|n| partition < *n);
            let mut base = -1;
            if known {
                let records = decode_batches(data);
                let mut offsets = state.offsets.lock();
                let next = offsets.entry((name.clone(), partition)).or_insert(0);
                base = *next;
                *next += records.len() as i64;
                for (key, value, timestamp) in records {
                    let _ = state.produced.send(Produced {
                        topic: name.clone(),
                        partition,
                        key,
                        value,
                        timestamp,
                    });
                }
            }
            put_i32(&mut w, partition);
            put_i16(&mut w, if known { 0 } else { UNKNOWN_TOPIC_OR_PARTITION });
            put_i64(&mut w, base);
            put_i64(&mut w, -1); // log_append_time_ms: create time is used
            if version >= 5 {
                put_i64(&mut w, 0); // log_start_offset
            }
        }
    }
    put_i32(&mut w, 0); // throttle_time_ms
    (acks != 0).then_some(w)
}

/// A decoded record: key, value, timestamp (ms).
type DecodedRecord = (Option<Vec<u8>>, Option<Vec<u8>>, i64);

/// Decodes a produce request's record batches (magic 2, uncompressed).
fn decode_batches(data: &[u8]) -> Vec<DecodedRecord> {
    let mut out = Vec::new();
    let mut r = Reader { b: data, pos: 0 };
    while r.pos < data.len() {
        let _base_offset = r.i64();
        let batch_len = r.i32() as usize;
        let batch = r.take(batch_len);
        let mut b = Reader { b: batch, pos: 0 };
        let _leader_epoch = b.i32();
        assert_eq!(b.i8(), 2, "record batch magic");
        let crc = b.i32() as u32;
        assert_eq!(crc, crc32c(&batch[b.pos..]), "record batch CRC-32C");
        let attributes = b.i16();
        assert_eq!(attributes & 0x7, 0, "compressed record batch");
        let _last_offset_delta = b.i32();
        let base_timestamp = b.i64();
        let _max_timestamp = b.i64();
        let _producer_id = b.i64();
        let _producer_epoch = b.i16();
        let _base_sequence = b.i32();
        let count = b.i32();
        for _ in 0..count {
            let len = b.varint() as usize;
            let mut rec = Reader {
                b: b.take(len),
                pos: 0,
            };
            let _attributes = rec.i8();
            let timestamp_delta = rec.varint();
            let _offset_delta = rec.varint();
            let key = rec.varbytes();
            let value = rec.varbytes();
            let headers = rec.varint();
            for _ in 0..headers {
                rec.varbytes();
                rec.varbytes();
            }
            assert_eq!(rec.pos, rec.b.len(), "record length");
            out.push((key, value, base_timestamp + timestamp_delta));
        }
        assert_eq!(b.pos, batch.len(), "record batch length");
    }
    out
}

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78).
fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= byte as u32;
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0x82F6_3B78 & mask);
        }
    }
    !crc
}

/// Big-endian reads of a request (panics past the end: a protocol error).
struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        let s = &self.b[self.pos..self.pos + n];
        self.pos += n;
        s
    }

    fn i8(&mut self) -> i8 {
        self.take(1)[0] as i8
    }

    fn i16(&mut self) -> i16 {
        i16::from_be_bytes(self.take(2).try_into().unwrap())
    }

    fn i32(&mut self) -> i32 {
        i32::from_be_bytes(self.take(4).try_into().unwrap())
    }

    fn i64(&mut self) -> i64 {
        i64::from_be_bytes(self.take(8).try_into().unwrap())
    }

    fn string(&mut self) -> String {
        let n = self.i16();
        assert!(n >= 0, "null string");
        String::from_utf8(self.take(n as usize).to_vec()).unwrap()
    }

    fn nullable_string(&mut self) -> Option<String> {
        let n = self.i16();
        (n >= 0).then(|| String::from_utf8(self.take(n as usize).to_vec()).unwrap())
    }

    fn uvarint(&mut self) -> u64 {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let b = self.take(1)[0];
            v |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return v;
            }
            shift += 7;
        }
    }

    /// A zigzag-encoded signed varint.
    fn varint(&mut self) -> i64 {
        let u = self.uvarint();
        (u >> 1) as i64 ^ -((u & 1) as i64)
    }

    /// Varint length (-1: null), then the bytes.
    fn varbytes(&mut self) -> Option<Vec<u8>> {
        let n = self.varint();
        (n >= 0).then(|| self.take(n as usize).to_vec())
    }

    fn skip_tagged_fields(&mut self) {
        for _ in 0..self.uvarint() {
            self.uvarint(); // tag
            let n = self.uvarint() as usize;
            self.take(n);
        }
    }
}

fn put_i16(w: &mut Vec<u8>, v: i16) {
    w.extend(v.to_be_bytes());
}

fn put_i32(w: &mut Vec<u8>, v: i32) {
    w.extend(v.to_be_bytes());
}

fn put_i64(w: &mut Vec<u8>, v: i64) {
    w.extend(v.to_be_bytes());
}

fn put_string(w: &mut Vec<u8>, s: &str) {
    put_i16(w, s.len() as i16);
    w.extend(s.as_bytes());
}

fn put_uvarint(w: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        w.push((v as u8) | 0x80);
        v >>= 7;
    }
    w.push(v as u8);
}

#[test]
fn crc32c_check_value() {
    assert_eq!(crc32c(b"123456789"), 0xE306_9283);
}

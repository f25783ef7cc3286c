//! `kafka` handler: writes each alert as a message to a Kafka topic
//! (Kapacitor's `.kafka()` in TICKscript, `kind: kafka` in topic handlers).
//!
//! Handler options: `cluster` (the `[kafka]` section's `id`; empty means
//! the section), `topic` (required; `.kafkaTopic()` in TICKscript, since
//! `.topic()` is the alert node's), `template` (a Go template over the
//! alert data whose output replaces the JSON message),
//! `disablePartitionById`, `partitionAlgorithm` (`crc32`, the default,
//! `murmur2`, `murmur3` or `fnv-1a`).
//!
//! Section options (Kapacitor's `[[kafka]]`): `id` (`default`), `brokers`
//! (`host:port` list), `timeout` (network operations, `0s` = 10s),
//! `batch-size` (messages per write, 0 = 100), `batch-timeout` (longest
//! wait before an incomplete batch is written, `0s` = 1s), `use-ssl`,
//! `ssl-ca`, `ssl-cert`, `ssl-key`, `insecure-skip-verify`, and SASL with
//! `sasl-username`, `sasl-password`, `sasl-mechanism` (`PLAIN` by default,
//! `SCRAM-SHA-256`, `SCRAM-SHA-512`).
//!
//! The message: key = the alert id, value = the alert data JSON (the post
//! handler's body, ending in a newline as Go's JSON encoder writes it) or
//! the rendered template. The partition: by default a hash of the key, so
//! an alert's messages stay in order on one partition — `crc32` (as
//! librdkafka), `murmur2` (as the Java client), `murmur3`, `fnv-1a` (as
//! sarama) — each computed as Kapacitor computes it; with
//! `disablePartitionById` the messages go round-robin over the partitions.
//!
//! Like Kapacitor's asynchronous producer, there is one writer per cluster
//! and topic: the first message connects (unreachable brokers and a topic
//! the brokers do not list are the handler's error), then messages are
//! queued and written in batches of up to `batch-size`, at the latest
//! `batch-timeout` after the first one queued; a failed write is logged. A
//! changed section replaces the writer (the old one writes what it holds).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rskafka::client::partition::{Compression, PartitionClient, UnknownTopicHandling};
use rskafka::client::{Client, ClientBuilder, Credentials, SaslConfig};
use rskafka::record::Record;
use rskafka::BackoffConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use tokio::sync::{mpsc, Mutex};

use super::opts::Opts;
use crate::alert::template::Template;
use crate::alert::AlertEvent;

/// How a message's partition is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partitioner {
    /// CRC-32 (IEEE) of the key.
    Crc32,
    /// Kafka's Java murmur2 of the key.
    Murmur2,
    /// Murmur3 (32 bit, seed 0) of the key.
    Murmur3,
    /// FNV-1a (32 bit) of the key.
    Fnv1a,
    /// `disablePartitionById`: round-robin.
    RoundRobin,
}

/// TLS settings (`use-ssl`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tls {
    /// PEM file of the CAs to trust (the web roots when empty).
    pub ca: String,
    /// PEM client certificate.
    pub cert: String,
    /// PEM private key of `cert`.
    pub key: String,
    /// Accept any server certificate and name.
    pub insecure_skip_verify: bool,
}

/// SASL settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sasl {
    /// `PLAIN`, `SCRAM-SHA-256` or `SCRAM-SHA-512`.
    pub mechanism: String,
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// A cluster's connection settings (the `[kafka]` section).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// Section id.
    pub id: String,
    /// Bootstrap brokers, `host:port`.
    pub brokers: Vec<String>,
    /// Network timeout.
    pub timeout: Duration,
    /// Most messages per write.
    pub batch_size: usize,
    /// Longest wait before a batch is written.
    pub batch_timeout: Duration,
    /// TLS, when `use-ssl`.
    pub tls: Option<Tls>,
    /// SASL, when a user name or mechanism is set.
    pub sasl: Option<Sasl>,
}

/// Kafka handler options.
#[derive(Debug, Clone)]
pub struct KafkaOptions {
    /// The cluster.
    pub cluster: Cluster,
    /// Topic written to.
    pub topic: String,
    /// Message template (the alert data JSON without).
    pub template: Option<Template>,
    /// Partition choice.
    pub partitioner: Partitioner,
}

impl KafkaOptions {
    /// Reads the merged options.
    pub fn parse(o: &Opts) -> Result<KafkaOptions, String> {
        let id = o.string("id")?;
        let cluster = o.string("cluster")?;
        if !cluster.is_empty() && cluster != id {
            return Err(format!(
                "kafka handler: unknown cluster {cluster:?} (the [kafka] section is cluster {id:?})"
            ));
        }
        let topic = o.string("topic")?;
        if topic.is_empty() {
            return Err(
                "kafka handler: missing option \"topic\" (.kafkaTopic() in TICKscript)".into(),
            );
        }
        let template = match o.string("template")? {
            t if t.is_empty() => None,
            t => Some(
                Template::parse(&t)
                    .map_err(|e| format!("kafka handler: failed to parse template: {e}"))?,
            ),
        };
        let algorithm = o.string("partitionAlgorithm")?;
        let partitioner = if o.bool("disablePartitionById")? {
            Partitioner::RoundRobin
        } else {
            match algorithm.as_str() {
                "" | "crc32" => Partitioner::Crc32,
                "murmur2" => Partitioner::Murmur2,
                "murmur3" => Partitioner::Murmur3,
                "fnv-1a" => Partitioner::Fnv1a,
                other => {
                    return Err(format!(
                        "kafka handler: invalid partition algorithm: {other:?}"
                    ))
                }
            }
        };
        let duration = |key: &str, default: Duration| -> Result<Duration, String> {
            match o.duration(key, 0)? {
                0 => Ok(default),
                d if d < 0 => Err(format!("kafka handler: {key} must not be negative")),
                d => Ok(Duration::from_nanos(d as u64)),
            }
        };
        let batch_size = match o.int("batch-size", 0)? {
            0 => 100,
            n if n < 0 => return Err("kafka handler: batch-size must not be negative".into()),
            n => n as usize,
        };
        let tls = if o.bool("use-ssl")? {
            Some(Tls {
                ca: o.string("ssl-ca")?,
                cert: o.string("ssl-cert")?,
                key: o.string("ssl-key")?,
                insecure_skip_verify: o.bool("insecure-skip-verify")?,
            })
        } else {
            None
        };
        let username = o.string("sasl-username")?;
        let mechanism = o.string("sasl-mechanism")?;
        let sasl = if username.is_empty() && mechanism.is_empty() {
            None
        } else {
            let mechanism = match mechanism.as_str() {
                "" | "PLAIN" => "PLAIN",
                "SCRAM-SHA-256" => "SCRAM-SHA-256",
                "SCRAM-SHA-512" => "SCRAM-SHA-512",
                other => {
                    return Err(format!(
                        "not supported yet: kafka sasl-mechanism {other:?} (PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 are)"
                    ))
                }
            };
            Some(Sasl {
                mechanism: mechanism.into(),
                username,
                password: o.string("sasl-password")?,
            })
        };
        Ok(KafkaOptions {
            cluster: Cluster {
                id,
                brokers: o.strings("brokers")?,
                timeout: duration("timeout", Duration::from_secs(10))?,
                batch_size,
                batch_timeout: duration("batch-timeout", Duration::from_secs(1))?,
                tls,
                sasl,
            },
            topic,
            template,
            partitioner,
        })
    }
}

/// Queues the event's message on the cluster's writer for the topic.
pub async fn deliver(opts: &KafkaOptions, event: &AlertEvent) -> Result<(), String> {
    if opts.cluster.brokers.is_empty() {
        return Err(format!(
            "kafka handler: cluster {:?} has no brokers (set brokers in the [kafka] section)",
            opts.cluster.id
        ));
    }
    let value = message(opts, event)?;
    let key = event.id.as_bytes().to_vec();
    let writer = writer(&opts.cluster, &opts.topic).await?;
    let partition = writer.partition(opts.partitioner, &key);
    let record = Record {
        key: Some(key),
        value: Some(value),
        headers: BTreeMap::new(),
        timestamp: chrono::Utc::now(),
    };
    writer
        .tx
        .send((partition, record))
        .map_err(|_| "kafka handler: the writer has stopped".to_string())
}

/// The message value: the rendered template, or the alert data JSON.
pub fn message(opts: &KafkaOptions, event: &AlertEvent) -> Result<Vec<u8>, String> {
    match &opts.template {
        Some(t) => t
            .execute(&super::post::template_data(event))
            .map(String::into_bytes)
            .map_err(|e| format!("kafka handler: failed to execute alert template: {e}")),
        None => {
            let mut s = event.alert_data().to_string();
            s.push('\n');
            Ok(s.into_bytes())
        }
    }
}

/// Murmur2 as Kafka's Java client computes it (seed 0x9747b28c).
fn murmur2(data: &[u8]) -> u32 {
    const M: u32 = 0x5bd1_e995;
    let mut h = 0x9747_b28c_u32 ^ data.len() as u32;
    let mut blocks = data.chunks_exact(4);
    for b in &mut blocks {
        let mut k = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> 24;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M) ^ k;
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate().rev() {
            h ^= (b as u32) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^ (h >> 15)
}

/// Murmur3, x86 32-bit variant, seed 0.
fn murmur3_32(data: &[u8]) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mix = |k: u32| k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
    let mut h = 0u32;
    let mut blocks = data.chunks_exact(4);
    for b in &mut blocks {
        h ^= mix(u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        let k = tail
            .iter()
            .enumerate()
            .fold(0u32, |k, (i, &b)| k | (b as u32) << (8 * i));
        h ^= mix(k);
    }
    h ^= data.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

/// FNV-1a, 32 bit.
fn fnv1a_32(data: &[u8]) -> u32 {
    data.iter().fold(0x811c_9dc5_u32, |h, &b| {
        (h ^ b as u32).wrapping_mul(0x0100_0193)
    })
}

/// The partition index (into the topic's sorted partitions) of a key, as
/// Kapacitor's partitioners compute it; `spread` picks one when the
/// partitioner does not hash (round-robin, or crc32 of an empty key).
fn partition_index(p: Partitioner, key: &[u8], n: usize, spread: usize) -> usize {
    let n32 = n as u32;
    // sarama's hash partitioner: the signed hash modulo n, made positive.
    let signed = |h: u32| ((h as i32) % (n as i32)).unsigned_abs() as usize;
    match p {
        Partitioner::RoundRobin => spread % n,
        Partitioner::Crc32 if key.is_empty() => spread % n,
        Partitioner::Crc32 => ((crc32fast::hash(key) % n32) & 0x7fff_ffff) as usize,
        Partitioner::Murmur2 => ((murmur2(key) & 0x7fff_ffff) % n32) as usize,
        Partitioner::Murmur3 => signed(murmur3_32(key)),
        Partitioner::Fnv1a => signed(fnv1a_32(key)),
    }
}

/// A message waiting to be written: partition and record.
type Queued = (i32, Record);

/// The writer of one cluster and topic.
struct Writer {
    cluster: Cluster,
    /// The topic's partitions, sorted.
    partitions: Vec<i32>,
    /// Round-robin position.
    next: AtomicUsize,
    tx: mpsc::UnboundedSender<Queued>,
}

impl Writer {
    fn partition(&self, p: Partitioner, key: &[u8]) -> i32 {
        let spread = self.next.fetch_add(1, Ordering::Relaxed);
        self.partitions[partition_index(p, key, self.partitions.len(), spread)]
    }
}

/// Writers by (cluster id, topic).
type Writers = Mutex<HashMap<(String, String), Arc<Writer>>>;

fn writers() -> &'static Writers {
    static W: OnceLock<Writers> = OnceLock::new();
    W.get_or_init(Default::default)
}

/// The writer of a cluster and topic, connecting when there is none (or
/// its settings changed).
async fn writer(cluster: &Cluster, topic: &str) -> Result<Arc<Writer>, String> {
    let mut all = writers().lock().await;
    let key = (cluster.id.clone(), topic.to_string());
    if let Some(w) = all.get(&key) {
        if w.cluster == *cluster && !w.tx.is_closed() {
            return Ok(w.clone());
        }
    }
    let w = Arc::new(open(cluster, topic).await?);
    all.insert(key, w.clone());
    Ok(w)
}

/// Runs `f` with the cluster's timeout; errors name the cluster.
async fn timed<T, E: std::fmt::Display>(
    cluster: &Cluster,
    what: &str,
    f: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, String> {
    let at = || {
        format!(
            "kafka handler (cluster {:?}, brokers {})",
            cluster.id,
            cluster.brokers.join(",")
        )
    };
    match tokio::time::timeout(cluster.timeout, f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!("{}: {what}: {e}", at())),
        Err(_) => Err(format!(
            "{}: {what}: timed out after {:?}",
            at(),
            cluster.timeout
        )),
    }
}

/// Connects to the cluster, reads the topic's partitions and starts the
/// writer's task.
async fn open(cluster: &Cluster, topic: &str) -> Result<Writer, String> {
    let mut b = ClientBuilder::new(cluster.brokers.clone())
        .client_id(cluster.id.clone())
        .backoff_config(BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
            base: 2.0,
            deadline: Some(cluster.timeout),
        });
    if let Some(t) = &cluster.tls {
        b = b.tls_config(tls_config(t)?);
    }
    if let Some(s) = &cluster.sasl {
        let c = Credentials::new(s.username.clone(), s.password.clone());
        b = b.sasl_config(match s.mechanism.as_str() {
            "SCRAM-SHA-256" => SaslConfig::ScramSha256(c),
            "SCRAM-SHA-512" => SaslConfig::ScramSha512(c),
            _ => SaslConfig::Plain(c),
        });
    }
    let client = timed(cluster, "connecting", b.build()).await?;
    let topics = timed(cluster, "reading metadata", client.list_topics()).await?;
    let partitions: Vec<i32> = topics
        .into_iter()
        .find(|t| t.name == topic)
        .map(|t| t.partitions.into_iter().collect())
        .unwrap_or_default();
    if partitions.is_empty() {
        return Err(format!(
            "kafka handler (cluster {:?}): unknown topic {topic:?} (the brokers list no partition of it)",
            cluster.id
        ));
    }
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(run(client, topic.to_string(), cluster.clone(), rx));
    Ok(Writer {
        cluster: cluster.clone(),
        partitions,
        next: AtomicUsize::new(0),
        tx,
    })
}

/// The writer's task: gathers up to `batch-size` messages (waiting at most
/// `batch-timeout` after the first) and writes them, partition by
/// partition in queue order, until every sender is gone and the queue is
/// empty.
async fn run(
    client: Client,
    topic: String,
    cluster: Cluster,
    mut rx: mpsc::UnboundedReceiver<Queued>,
) {
    let mut partitions: HashMap<i32, PartitionClient> = HashMap::new();
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        let deadline = tokio::time::Instant::now() + cluster.batch_timeout;
        while batch.len() < cluster.batch_size {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(m)) => batch.push(m),
                Ok(None) | Err(_) => break,
            }
        }
        let mut by_partition: Vec<(i32, Vec<Record>)> = Vec::new();
        for (p, r) in batch {
            match by_partition.iter_mut().find(|(q, _)| *q == p) {
                Some((_, rs)) => rs.push(r),
                None => by_partition.push((p, vec![r])),
            }
        }
        for (p, records) in by_partition {
            let n = records.len();
            if let Err(e) = write(&client, &mut partitions, &cluster, &topic, p, records).await {
                tracing::warn!(cluster = %cluster.id, topic = %topic, partition = p, messages = n, error = %e, "kafka handler: write failed");
            }
        }
    }
}

/// Writes records to one partition (its leader's client made on first use).
async fn write(
    client: &Client,
    partitions: &mut HashMap<i32, PartitionClient>,
    cluster: &Cluster,
    topic: &str,
    p: i32,
    records: Vec<Record>,
) -> Result<(), String> {
    let pc = match partitions.entry(p) {
        std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
        std::collections::hash_map::Entry::Vacant(e) => e.insert(
            timed(
                cluster,
                "finding the partition leader",
                client.partition_client(topic, p, UnknownTopicHandling::Retry),
            )
            .await?,
        ),
    };
    timed(
        cluster,
        "writing",
        pc.produce(records, Compression::NoCompression),
    )
    .await
    .map(|_| ())
}

/// The rustls configuration of `use-ssl`.
fn tls_config(t: &Tls) -> Result<Arc<rustls::ClientConfig>, String> {
    let read = |what: &str, path: &str| {
        std::fs::read(path).map_err(|e| format!("kafka handler: reading {what} {path:?}: {e}"))
    };
    let bad = |what: &str, path: &str, e: &dyn std::fmt::Display| {
        format!("kafka handler: invalid {what} {path:?}: {e}")
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("kafka handler: TLS: {e}"))?;
    let builder = if t.insecure_skip_verify {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCert(provider)))
    } else {
        let mut roots = rustls::RootCertStore::empty();
        if t.ca.is_empty() {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        } else {
            let pem = read("ssl-ca", &t.ca)?;
            for c in CertificateDer::pem_slice_iter(&pem) {
                let c = c.map_err(|e| bad("ssl-ca", &t.ca, &e))?;
                roots.add(c).map_err(|e| bad("ssl-ca", &t.ca, &e))?;
            }
            if roots.is_empty() {
                return Err(bad("ssl-ca", &t.ca, &"no certificate found"));
            }
        }
        builder.with_root_certificates(roots)
    };
    let cfg = match (t.cert.is_empty(), t.key.is_empty()) {
        (true, true) => builder.with_no_client_auth(),
        (false, false) => {
            let certs = CertificateDer::pem_slice_iter(&read("ssl-cert", &t.cert)?)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| bad("ssl-cert", &t.cert, &e))?;
            let key = PrivateKeyDer::from_pem_slice(&read("ssl-key", &t.key)?)
                .map_err(|e| bad("ssl-key", &t.key, &e))?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| format!("kafka handler: TLS client certificate: {e}"))?
        }
        _ => return Err("kafka handler: ssl-cert and ssl-key must be set together".into()),
    };
    Ok(Arc::new(cfg))
}

/// `insecure-skip-verify`: any server certificate and name are accepted
/// (the handshake signatures are still checked).
#[derive(Debug)]
struct AcceptAnyCert(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AcceptAnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::super::kafka_testbroker::TestBroker;
    use super::super::testutil::{event, spec};
    use super::*;
    use crate::alert::Level;

    /// Delivers through the handler registry, as the alert service does.
    async fn send(options: serde_json::Value, level: Level) -> Result<(), String> {
        let s = spec("kafka", options);
        super::super::validate(&s)?;
        super::super::deliver(&reqwest::Client::new(), &s, &event(level)).await
    }

    #[test]
    fn hashes_and_partitions_are_kapacitors() {
        assert_eq!(crc32fast::hash(b"123456789"), 0xCBF4_3926);
        assert_eq!(fnv1a_32(b""), 0x811c_9dc5);
        assert_eq!(fnv1a_32(b"a"), 0xe40c_292c);
        assert_eq!(murmur3_32(b""), 0);
        assert_eq!(murmur3_32(b"hello"), 0x248b_fa47);
        assert_eq!(
            murmur3_32(b"The quick brown fox jumps over the lazy dog"),
            0x2e4f_f723
        );
        // Kafka's Java test set for murmur2.
        for (data, want) in [
            ("21", -973932308),
            ("foobar", -790332482),
            ("a-little-bit-long-string", -985981536),
            ("a-little-bit-longer-string", -1486304829),
            (
                "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
                -58897971,
            ),
            ("abc", 479470107),
        ] {
            assert_eq!(murmur2(data.as_bytes()) as i32, want, "{data}");
        }
        // Kapacitor's partitioner cases (1000 partitions).
        let p = |alg, key: &str| partition_index(alg, key.as_bytes(), 1000, 0);
        for (key, crc, mm2) in [
            ("hello", 870, 229),
            ("hello2", 502, 907),
            ("hello3", 592, 759),
            ("hello4", 787, 299),
            ("hello5", 413, 841),
        ] {
            assert_eq!(p(Partitioner::Crc32, key), crc, "crc32 {key}");
            assert_eq!(p(Partitioner::Murmur2, key), mm2, "murmur2 {key}");
        }
        assert_eq!(p(Partitioner::Murmur2, ""), 681);
        // An empty key is spread under crc32; round-robin ignores the key.
        assert_eq!(partition_index(Partitioner::Crc32, b"", 3, 7), 1);
        assert_eq!(partition_index(Partitioner::RoundRobin, b"x", 3, 5), 2);
        // sarama's signed modulo: fnv1a("a") is negative as an i32.
        let h = fnv1a_32(b"a") as i32;
        assert!(h < 0);
        assert_eq!(
            partition_index(Partitioner::Fnv1a, b"a", 7, 0),
            (h % 7).unsigned_abs() as usize
        );
    }

    #[test]
    fn options_defaults_and_errors() {
        let m = json!({"id": "default", "topic": "t"});
        let o = KafkaOptions::parse(&Opts::new("kafka", m.as_object().unwrap())).unwrap();
        assert_eq!(o.cluster.timeout, Duration::from_secs(10));
        assert_eq!(o.cluster.batch_size, 100);
        assert_eq!(o.cluster.batch_timeout, Duration::from_secs(1));
        assert_eq!(o.partitioner, Partitioner::Crc32);
        assert!(o.cluster.tls.is_none() && o.cluster.sasl.is_none());
        let err = |v: serde_json::Value| {
            KafkaOptions::parse(&Opts::new("kafka", v.as_object().unwrap())).unwrap_err()
        };
        assert_eq!(
            err(json!({"id": "default", "cluster": "other", "topic": "t"})),
            "kafka handler: unknown cluster \"other\" (the [kafka] section is cluster \"default\")"
        );
        assert_eq!(
            err(json!({"id": "a", "topic": "t", "sasl-mechanism": "GSSAPI"})),
            "not supported yet: kafka sasl-mechanism \"GSSAPI\" (PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 are)"
        );
        assert_eq!(
            err(json!({"id": "a", "topic": "t", "batch-timeout": "soon"})),
            "kafka handler: option \"batch-timeout\" must be a duration like \"10s\""
        );
        assert!(err(json!({"id": "a", "topic": "t", "template": "{{ .ID "}))
            .starts_with("kafka handler: failed to parse template"));
        let m = json!({"id": "a", "topic": "t", "disablePartitionById": true,
                       "partitionAlgorithm": "fnv-1a", "sasl-username": "u"});
        let o = KafkaOptions::parse(&Opts::new("kafka", m.as_object().unwrap())).unwrap();
        assert_eq!(o.partitioner, Partitioner::RoundRobin);
        assert_eq!(o.cluster.sasl.unwrap().mechanism, "PLAIN");
        // A missing ssl-ca file is reported when the cluster is used.
        let e = tls_config(&Tls {
            ca: "/nonexistent/ca.pem".into(),
            cert: String::new(),
            key: String::new(),
            insecure_skip_verify: false,
        })
        .unwrap_err();
        assert!(e.starts_with("kafka handler: reading ssl-ca"), "{e}");
    }

    #[tokio::test]
    async fn writes_the_alert_data_keyed_by_the_alert_id() {
        let mut b = TestBroker::start(&[("alerts-json", 3)]).await;
        let opts = json!({"brokers": [b.addr], "topic": "alerts-json", "batch-timeout": "10ms"});
        send(opts.clone(), Level::Critical).await.unwrap();
        let m = b.next().await;
        assert_eq!(m.topic, "alerts-json");
        assert_eq!(m.key_text(), "cpu:host=serverA");
        let want = partition_index(Partitioner::Crc32, b"cpu:host=serverA", 3, 0) as i32;
        assert_eq!(m.partition, want);
        assert!(m.value_text().ends_with("}\n"), "{}", m.value_text());
        let body = m.json();
        assert_eq!(body["id"], "cpu:host=serverA");
        assert_eq!(body["level"], "CRITICAL");
        assert_eq!(body["message"], "cpu is high");
        assert_eq!(body["previousLevel"], "OK");
        assert_eq!(body["data"]["series"][0]["name"], "cpu");
        assert_eq!(body, event(Level::Critical).alert_data());
        let age = chrono::Utc::now().timestamp_millis() - m.timestamp;
        assert!((0..60_000).contains(&age), "timestamp {}", m.timestamp);
        // The same alert goes to the same partition, through the same writer.
        send(opts, Level::Ok).await.unwrap();
        let m = b.next().await;
        assert_eq!(
            (m.partition, m.json()["level"].clone()),
            (want, json!("OK"))
        );
        b.assert_quiet(100).await;
        // One connection's version handshake, then the highest versions both speak.
        let reqs = b.requests();
        assert!(reqs.contains(&(18, 3)), "{reqs:?}");
        assert!(reqs.contains(&(3, 4)), "{reqs:?}");
        assert_eq!(reqs.iter().filter(|r| r.0 == 0).count(), 2, "{reqs:?}");
        assert!(
            reqs.iter().filter(|r| r.0 == 0).all(|r| r.1 == 7),
            "{reqs:?}"
        );
    }

    #[tokio::test]
    async fn template_partition_algorithms_and_round_robin() {
        let mut b = TestBroker::start(&[("alerts-tmpl", 4)]).await;
        let base = json!({"brokers": [b.addr], "topic": "alerts-tmpl", "batch-timeout": "10ms"});
        let with = |extra: serde_json::Value| {
            let mut o = base.clone();
            for (k, v) in extra.as_object().unwrap() {
                o[k] = v.clone();
            }
            o
        };
        send(
            with(json!({"template": "{{ .ID }} is {{ .Level }} (was {{ .PreviousLevel }}) {{ range .Data.Series }}{{ .Name }}{{ end }}",
                        "partitionAlgorithm": "murmur2"})),
            Level::Warning,
        )
        .await
        .unwrap();
        let m = b.next().await;
        assert_eq!(m.value_text(), "cpu:host=serverA is WARNING (was OK) cpu");
        let key = b"cpu:host=serverA";
        assert_eq!(
            m.partition,
            partition_index(Partitioner::Murmur2, key, 4, 0) as i32
        );
        for (alg, p) in [
            ("murmur3", Partitioner::Murmur3),
            ("fnv-1a", Partitioner::Fnv1a),
        ] {
            send(with(json!({"partitionAlgorithm": alg})), Level::Warning)
                .await
                .unwrap();
            assert_eq!(
                b.next().await.partition,
                partition_index(p, key, 4, 0) as i32,
                "{alg}"
            );
        }
        // Without partitioning by id the messages go round-robin.
        let mut seen = Vec::new();
        for _ in 0..4 {
            send(with(json!({"disablePartitionById": true})), Level::Warning)
                .await
                .unwrap();
            seen.push(b.next().await.partition);
        }
        seen.sort();
        assert_eq!(seen, vec![0, 1, 2, 3]);
    }

    #[tokio::test]
    async fn batches_are_written_when_full_or_after_the_batch_timeout() {
        let mut b = TestBroker::start(&[("alerts-full", 1), ("alerts-late", 1)]).await;
        // A full batch is written at once (long before its 30 s timeout).
        let opts = json!({"brokers": [b.addr], "topic": "alerts-full",
                          "batch-size": 2, "batch-timeout": "30s"});
        send(opts.clone(), Level::Critical).await.unwrap();
        b.assert_quiet(300).await;
        send(opts, Level::Warning).await.unwrap();
        let (m1, m2) = (b.next().await, b.next().await);
        assert_eq!(m1.json()["level"], "CRITICAL");
        assert_eq!(m2.json()["level"], "WARNING");
        let produce = |b: &TestBroker| b.requests().iter().filter(|r| r.0 == 0).count();
        assert_eq!(produce(&b), 1, "both in one produce request");
        // An incomplete batch waits for its timeout.
        let opts = json!({"brokers": [b.addr], "topic": "alerts-late", "batch-timeout": "500ms"});
        let started = std::time::Instant::now();
        send(opts, Level::Ok).await.unwrap();
        b.assert_quiet(200).await;
        assert_eq!(b.next().await.json()["level"], "OK");
        assert!(started.elapsed() >= std::time::Duration::from_millis(500));
        assert_eq!(produce(&b), 2);
    }

    #[tokio::test]
    async fn unknown_topics_and_unreachable_brokers_are_errors() {
        let b = TestBroker::start(&[("alerts-known", 1)]).await;
        let e = send(
            json!({"brokers": [b.addr], "topic": "alerts-missing"}),
            Level::Critical,
        )
        .await
        .unwrap_err();
        assert_eq!(
            e,
            "kafka handler (cluster \"default\"): unknown topic \"alerts-missing\" (the brokers list no partition of it)"
        );
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = closed.local_addr().unwrap().to_string();
        drop(closed);
        let e = send(
            json!({"brokers": [addr], "topic": "t", "timeout": "300ms"}),
            Level::Critical,
        )
        .await
        .unwrap_err();
        assert!(
            e.starts_with(&format!(
                "kafka handler (cluster \"default\", brokers {addr}): connecting:"
            )),
            "{e}"
        );
        let e = send(json!({"brokers": [], "topic": "t"}), Level::Critical)
            .await
            .unwrap_err();
        assert_eq!(
            e,
            "kafka handler: cluster \"default\" has no brokers (set brokers in the [kafka] section)"
        );
    }

    #[tokio::test]
    async fn tls_brokers_with_a_ca_file_or_insecure_skip_verify() {
        let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, cert.cert.pem()).unwrap();
        let server = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.cert.der().clone()],
            PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into()),
        )
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
        let mut b = TestBroker::start_tls(&[("alerts-tls", 1)], acceptor).await;
        let opts = json!({"brokers": [b.addr], "topic": "alerts-tls", "batch-timeout": "10ms",
                          "use-ssl": true, "ssl-ca": ca.to_str().unwrap()});
        send(opts, Level::Critical).await.unwrap();
        assert_eq!(b.next().await.key_text(), "cpu:host=serverA");
        // Another cluster id: its own writer, trusting any certificate.
        let opts = json!({"id": "insecure", "brokers": [b.addr], "topic": "alerts-tls",
                          "batch-timeout": "10ms", "use-ssl": true, "insecure-skip-verify": true});
        send(opts, Level::Warning).await.unwrap();
        assert_eq!(b.next().await.json()["level"], "WARNING");
        // The web roots do not trust the self-signed certificate.
        let opts = json!({"id": "webroots", "brokers": [b.addr], "topic": "alerts-tls",
                          "use-ssl": true, "timeout": "500ms"});
        let e = send(opts, Level::Critical).await.unwrap_err();
        assert!(e.contains("connecting"), "{e}");
    }

    #[tokio::test]
    async fn service_test_sends_a_test_alert() {
        let mut b = TestBroker::start(&[("test", 1)]).await;
        let opts = json!({"brokers": [b.addr], "batch-timeout": "10ms"});
        super::super::test_event("kafka", opts.as_object().unwrap())
            .await
            .unwrap();
        let m = b.next().await;
        assert_eq!(
            (m.topic.as_str(), m.key_text()),
            ("test", "testAlertID".into())
        );
        assert_eq!(m.json()["message"], "test kafka message");
        assert_eq!(m.json()["level"], "CRITICAL");
    }

    struct NoWrites;

    impl crate::PointWriter for NoWrites {
        fn write_points(&self, _: &str, _: &str, _: &[crate::model::Point]) -> Result<(), String> {
            Ok(())
        }

        fn create_database(&self, _: &str) -> Result<(), String> {
            Ok(())
        }
    }

    /// A TICKscript alert with `.stateChangesOnly()`: only level changes
    /// reach the broker (the only test that sets the global `[kafka]` section).
    #[tokio::test]
    async fn task_alerts_reach_the_topic_on_state_changes_only() {
        use crate::manager::{Dbrp, TaskRequest};
        let mut b = TestBroker::start(&[("cpu-alerts", 2)]).await;
        let set = json!({"brokers": [b.addr], "batch-timeout": "10ms"});
        super::super::config::global()
            .update("kafka", set.as_object().unwrap(), &[])
            .unwrap();
        let store = Arc::new(crate::MemoryStore::default());
        let alerts = Arc::new(crate::alert::service::AlertService::new(store.clone()).unwrap());
        let worker = alerts.start_delivery();
        let services = Arc::new(crate::Services::new(Arc::new(NoWrites), alerts.clone()));
        let manager = crate::TaskManager::new(services, store).unwrap();
        let script = "stream
    |from().measurement('cpu').groupBy('host')
    |alert()
        .crit(lambda: \"usage_user\" > 90.0)
        .stateChangesOnly()
        .kafka()
            .cluster('default')
            .kafkaTopic('cpu-alerts')";
        manager
            .create(TaskRequest {
                id: Some("kafka_cpu".into()),
                task_type: Some("stream".into()),
                dbrps: Some(vec![Dbrp {
                    db: "telegraf".into(),
                    rp: "autogen".into(),
                }]),
                script: Some(script.into()),
                status: Some("enabled".into()),
                ..Default::default()
            })
            .unwrap();
        // 95 fires, 97 and 99 repeat CRITICAL (not sent), 5 recovers, 6 stays OK.
        let lp = "cpu,host=a usage_user=95 1\ncpu,host=a usage_user=97 2\n\
                  cpu,host=a usage_user=99 3\ncpu,host=a usage_user=5 4\n\
                  cpu,host=a usage_user=6 5\n";
        manager
            .feed_line_protocol("telegraf", "autogen", lp.as_bytes(), 1_000_000_000, 0)
            .unwrap();
        let crit = b.next().await;
        let ok = b.next().await;
        b.assert_quiet(300).await;
        super::super::config::global().reset("kafka");
        alerts.stop_delivery();
        let _ = worker.await;
        for (m, level) in [(&crit, "CRITICAL"), (&ok, "OK")] {
            assert_eq!(m.topic, "cpu-alerts");
            assert_eq!(m.key_text(), "cpu:host=a");
            let body = m.json();
            assert_eq!(body["id"], "cpu:host=a");
            assert_eq!(body["level"], level);
            assert_eq!(body["message"], format!("cpu:host=a is {level}"));
        }
        assert_eq!(crit.json()["time"], "1970-01-01T00:00:01Z");
        assert_eq!(ok.json()["previousLevel"], "CRITICAL");
        assert_eq!(crit.partition, ok.partition);
    }
}

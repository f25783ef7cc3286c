//! Listener tests over loopback sockets with an in-memory sink.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use almanac_protocols::collectd::packet::{encode, part};
use almanac_protocols::collectd::{CollectdListener, ParseOptions, TypesDb, Value};
use almanac_protocols::config::{
    CollectdConfig, GraphiteConfig, OpenTsdbConfig, ParseMultiValuePlugin, SecurityLevel, UdpConfig,
};
use almanac_protocols::graphite::GraphiteListener;
use almanac_protocols::opentsdb::OpenTsdbListener;
use almanac_protocols::udp::UdpListener;
use almanac_protocols::{PointSink, SharedSink, SinkError};
use async_trait::async_trait;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::oneshot;

/// Stores every batch; optionally fails.
#[derive(Default)]
struct MemSink {
    batches: Mutex<Vec<(String, Option<String>, String)>>,
    fail: bool,
}

#[async_trait]
impl PointSink for MemSink {
    async fn write(&self, db: &str, rp: Option<&str>, lines: Vec<u8>) -> Result<(), SinkError> {
        if self.fail {
            return Err(SinkError::Other("disk full".into()));
        }
        self.batches.lock().unwrap().push((
            db.to_string(),
            rp.map(str::to_string),
            String::from_utf8(lines).unwrap(),
        ));
        Ok(())
    }
}

impl MemSink {
    fn lines(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .batches
            .lock()
            .unwrap()
            .iter()
            .flat_map(|(_, _, t)| t.lines().map(str::to_string).collect::<Vec<_>>())
            .collect();
        v.sort();
        v
    }

    async fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..200 {
            if self.lines().len() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.lines()
    }
}

#[tokio::test]
async fn udp_line_protocol() {
    let cfg = UdpConfig {
        bind_address: "127.0.0.1:0".into(),
        database: "udpdb".into(),
        retention_policy: "short".into(),
        precision: "s".into(),
        batch_timeout: Duration::from_millis(20),
        ..UdpConfig::default()
    };
    let listener = UdpListener::bind(cfg).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stats = listener.stats();
    let sink = Arc::new(MemSink::default());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(listener.run(sink.clone() as SharedSink, async {
        let _ = stopped.await;
    }));

    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    client
        .send_to(
            b"cpu,host=a value=1 1700000000\ncpu,host=b value=2 1700000001\nnot valid\n",
            addr,
        )
        .await
        .unwrap();
    let lines = sink.wait_for(2).await;
    assert_eq!(
        lines,
        vec![
            "cpu,host=a value=1.0 1700000000000000000",
            "cpu,host=b value=2.0 1700000001000000000"
        ]
    );
    {
        let b = sink.batches.lock().unwrap();
        assert_eq!(b[0].0, "udpdb");
        assert_eq!(b[0].1.as_deref(), Some("short"));
    }
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    let s = stats.snapshot();
    assert_eq!(s.points_received, 2);
    assert_eq!(s.points_parse_fail, 1);
    assert_eq!(s.points_transmitted, 2);
    assert!(s.bytes_received > 0);
}

#[tokio::test]
async fn udp_batch_is_flushed_on_shutdown_and_failures_counted() {
    let cfg = UdpConfig {
        bind_address: "127.0.0.1:0".into(),
        batch_timeout: Duration::from_secs(3600),
        ..UdpConfig::default()
    };
    let listener = UdpListener::bind(cfg).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stats = listener.stats();
    let sink = Arc::new(MemSink {
        fail: true,
        ..MemSink::default()
    });
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(listener.run(sink.clone() as SharedSink, async {
        let _ = stopped.await;
    }));
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    client.send_to(b"m v=1 1\n", addr).await.unwrap();
    for _ in 0..100 {
        if stats.snapshot().points_received == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    let s = stats.snapshot();
    assert_eq!(s.points_received, 1);
    assert_eq!(s.batches_transmit_fail, 1);
    assert_eq!(s.points_transmitted, 0);
}

#[tokio::test]
async fn udp_rejects_bad_precision() {
    let cfg = UdpConfig {
        bind_address: "127.0.0.1:0".into(),
        precision: "weeks".into(),
        ..UdpConfig::default()
    };
    assert!(UdpListener::bind(cfg).await.is_err());
}

fn graphite_cfg(protocol: &str) -> GraphiteConfig {
    GraphiteConfig {
        bind_address: "127.0.0.1:0".into(),
        protocol: protocol.into(),
        batch_timeout: Duration::from_millis(20),
        templates: vec![
            "servers.* .host.measurement*".into(),
            "measurement* region=default".into(),
        ],
        tags: vec!["dc=eu".into()],
        ..GraphiteConfig::default()
    }
}

#[tokio::test]
async fn graphite_over_tcp() {
    let listener = GraphiteListener::bind(graphite_cfg("tcp")).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stats = listener.stats();
    let sink = Arc::new(MemSink::default());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(listener.run(sink.clone() as SharedSink, async {
        let _ = stopped.await;
    }));
    let mut conn = TcpStream::connect(addr).await.unwrap();
    conn.write_all(b"servers.web01.cpu.load 0.5 1435077219\r\nother.metric 3 1435077219\nbad\nnan.metric NaN 1\n")
        .await
        .unwrap();
    conn.shutdown().await.unwrap();
    let lines = sink.wait_for(2).await;
    assert_eq!(
        lines,
        vec![
            "cpu.load,dc=eu,host=web01 value=0.5 1435077219000000000",
            "other.metric,dc=eu,region=default value=3.0 1435077219000000000"
        ]
    );
    assert_eq!(sink.batches.lock().unwrap()[0].0, "graphite");
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    let s = stats.snapshot();
    assert_eq!(
        s.points_parse_fail, 1,
        "bad line counted, NaN silently dropped"
    );
    assert_eq!(s.connections_handled, 1);
    assert_eq!(s.connections_active, 0);
}

#[tokio::test]
async fn graphite_over_udp() {
    let listener = GraphiteListener::bind(graphite_cfg("udp")).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sink = Arc::new(MemSink::default());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(listener.run(sink.clone() as SharedSink, async {
        let _ = stopped.await;
    }));
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    client
        .send_to(
            b"servers.a.mem.free 10 1435077219\nservers.b.mem.free 11 1435077219",
            addr,
        )
        .await
        .unwrap();
    let lines = sink.wait_for(2).await;
    assert_eq!(
        lines,
        vec![
            "mem.free,dc=eu,host=a value=10.0 1435077219000000000",
            "mem.free,dc=eu,host=b value=11.0 1435077219000000000"
        ]
    );
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn graphite_rejects_bad_config() {
    let mut cfg = graphite_cfg("tcp");
    cfg.templates = vec!["host.cpu".into()];
    assert!(GraphiteListener::bind(cfg).await.is_err());
    let mut cfg = graphite_cfg("sctp");
    cfg.templates.clear();
    assert!(GraphiteListener::bind(cfg).await.is_err());
}

fn collectd_packet() -> Vec<u8> {
    let mut p = Vec::new();
    encode::string(&mut p, part::HOST, "h1");
    encode::numeric(&mut p, part::TIME_HR, 1_700_000_000u64 << 30);
    encode::string(&mut p, part::PLUGIN, "interface");
    encode::string(&mut p, part::PLUGIN_INSTANCE, "eth0");
    encode::string(&mut p, part::TYPE, "if_octets");
    encode::values(&mut p, &[Value::Derive(100), Value::Derive(200)]);
    p
}

async fn collectd_roundtrip(
    level: SecurityLevel,
    mode: ParseMultiValuePlugin,
    packets: Vec<Vec<u8>>,
    expect: usize,
) -> (Vec<String>, almanac_protocols::StatsSnapshot) {
    let cfg = CollectdConfig {
        bind_address: "127.0.0.1:0".into(),
        batch_timeout: Duration::from_millis(20),
        security_level: level,
        parse_multivalue_plugin: mode,
        ..CollectdConfig::default()
    };
    let opts = ParseOptions {
        types: TypesDb::embedded(),
        security: level,
        auth: almanac_protocols::collectd::AuthFile::single("alice", "secret"),
    };
    let listener = CollectdListener::bind_with(cfg, opts).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stats = listener.stats();
    let sink = Arc::new(MemSink::default());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(listener.run(sink.clone() as SharedSink, async {
        let _ = stopped.await;
    }));
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for p in &packets {
        client.send_to(p, addr).await.unwrap();
    }
    // Wait for every datagram to be read.
    for _ in 0..200 {
        let s = stats.snapshot();
        if s.points_received as usize >= expect
            && s.bytes_received as usize >= packets.iter().map(Vec::len).sum::<usize>()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    sink.wait_for(expect).await;
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    (sink.lines(), stats.snapshot())
}

#[tokio::test]
async fn collectd_split_and_join() {
    let (lines, _) = collectd_roundtrip(
        SecurityLevel::None,
        ParseMultiValuePlugin::Split,
        vec![collectd_packet()],
        2,
    )
    .await;
    assert_eq!(
        lines,
        vec![
            "interface_rx,host=h1,instance=eth0,type=if_octets value=100.0 1700000000000000000",
            "interface_tx,host=h1,instance=eth0,type=if_octets value=200.0 1700000000000000000"
        ]
    );
    let (lines, _) = collectd_roundtrip(
        SecurityLevel::None,
        ParseMultiValuePlugin::Join,
        vec![collectd_packet()],
        1,
    )
    .await;
    assert_eq!(
        lines,
        vec![
            "interface,host=h1,instance=eth0,type=if_octets rx=100.0,tx=200.0 1700000000000000000"
        ]
    );
}

#[tokio::test]
async fn collectd_security_levels() {
    let plain = collectd_packet();
    let signed = encode::sign(&plain, "alice", "secret");
    let encrypted = encode::encrypt(&plain, "alice", "secret", [3u8; 16]);
    // sign: plain rejected, signed and encrypted accepted.
    let (lines, stats) = collectd_roundtrip(
        SecurityLevel::Sign,
        ParseMultiValuePlugin::Join,
        vec![plain.clone(), signed.clone(), encrypted.clone()],
        2,
    )
    .await;
    assert_eq!(lines.len(), 2);
    assert_eq!(stats.points_parse_fail, 1);
    // encrypt: only the encrypted packet.
    let (lines, stats) = collectd_roundtrip(
        SecurityLevel::Encrypt,
        ParseMultiValuePlugin::Join,
        vec![plain, signed, encrypted],
        1,
    )
    .await;
    assert_eq!(lines.len(), 1);
    assert_eq!(stats.points_parse_fail, 2);
}

#[tokio::test]
async fn collectd_missing_typesdb_is_a_config_error() {
    let cfg = CollectdConfig {
        bind_address: "127.0.0.1:0".into(),
        typesdb: "/nonexistent/types.db".into(),
        ..CollectdConfig::default()
    };
    let err = CollectdListener::bind(cfg).await.unwrap_err().to_string();
    assert!(err.contains("/nonexistent/types.db"), "{err}");
}

async fn start_opentsdb() -> (
    std::net::SocketAddr,
    Arc<MemSink>,
    Arc<almanac_protocols::ListenerStats>,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<Result<(), almanac_protocols::ListenerError>>,
) {
    let cfg = OpenTsdbConfig {
        bind_address: "127.0.0.1:0".into(),
        batch_timeout: Duration::from_millis(20),
        retention_policy: "rp1".into(),
        ..OpenTsdbConfig::default()
    };
    let listener = OpenTsdbListener::bind(cfg).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stats = listener.stats();
    let sink = Arc::new(MemSink::default());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(listener.run(sink.clone() as SharedSink, async {
        let _ = stopped.await;
    }));
    (addr, sink, stats, stop, task)
}

#[tokio::test]
async fn opentsdb_telnet() {
    let (addr, sink, stats, stop, task) = start_opentsdb().await;
    let mut conn = TcpStream::connect(addr).await.unwrap();
    conn.write_all(b"put sys.cpu.user 1356998400 42.5 host=webserver01 cpu=0\r\nput bad\nversion\nput m 1356998400123 1\n")
        .await
        .unwrap();
    let mut reply = [0u8; 19];
    conn.read_exact(&mut reply).await.unwrap();
    assert_eq!(&reply, b"InfluxDB TSDB proxy");
    drop(conn);
    let lines = sink.wait_for(2).await;
    assert_eq!(
        lines,
        vec![
            "m value=1.0 1356998400123000000",
            "sys.cpu.user,cpu=0,host=webserver01 value=42.5 1356998400000000000"
        ]
    );
    {
        let b = sink.batches.lock().unwrap();
        assert_eq!(b[0].0, "opentsdb");
        assert_eq!(b[0].1.as_deref(), Some("rp1"));
    }
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    assert_eq!(stats.snapshot().points_parse_fail, 1);
}

async fn http(addr: std::net::SocketAddr, request: String) -> String {
    let mut conn = TcpStream::connect(addr).await.unwrap();
    conn.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    conn.read_to_end(&mut out).await.unwrap();
    String::from_utf8_lossy(&out).to_string()
}

#[tokio::test]
async fn opentsdb_http_on_the_same_port() {
    let (addr, sink, stats, stop, task) = start_opentsdb().await;
    let body =
        r#"[{"metric":"sys.cpu.nice","timestamp":1346846400,"value":18,"tags":{"host":"web01"}}]"#;
    let resp = http(
        addr,
        format!(
            "POST /api/put HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
    .await;
    assert!(resp.starts_with("HTTP/1.1 204"), "{resp}");
    assert_eq!(
        sink.lines(),
        vec!["sys.cpu.nice,host=web01 value=18.0 1346846400000000000"]
    );

    let resp = http(
        addr,
        "POST /api/put HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc"
            .to_string(),
    )
    .await;
    assert!(resp.starts_with("HTTP/1.1 400"), "{resp}");
    assert!(resp.ends_with("expected JSON array or hash\n"), "{resp}");

    let resp = http(
        addr,
        "GET /api/put HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_string(),
    )
    .await;
    assert!(resp.starts_with("HTTP/1.1 405"), "{resp}");
    let resp = http(
        addr,
        "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_string(),
    )
    .await;
    assert!(resp.starts_with("HTTP/1.1 404"), "{resp}");
    let resp = http(
        addr,
        "POST /api/metadata/put HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string(),
    )
    .await;
    assert!(resp.starts_with("HTTP/1.1 204"), "{resp}");

    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
    assert_eq!(stats.snapshot().http_requests, 5);
}

#[tokio::test]
async fn opentsdb_tls_not_supported_yet() {
    let cfg = OpenTsdbConfig {
        bind_address: "127.0.0.1:0".into(),
        tls_enabled: true,
        ..OpenTsdbConfig::default()
    };
    let err = OpenTsdbListener::bind(cfg).await.err().unwrap().to_string();
    assert_eq!(err, "not supported yet: opentsdb tls-enabled");
}

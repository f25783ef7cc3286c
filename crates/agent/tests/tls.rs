//! TLS of the HTTP-based plugins against a local HTTPS server with a certificate made at
//! test time (rcgen): `tls_ca` trusts it, `insecure_skip_verify` skips verification, and
//! without either the handshake is refused.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use almanac_agent::config::PluginOptions;
use almanac_agent::plugin::{drain, Accumulator};
use almanac_agent::{registry, Metric};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;

/// A self-signed certificate for localhost / 127.0.0.1, written as PEM files.
struct Pki {
    dir: tempfile::TempDir,
    cert_der: rustls::pki_types::CertificateDer<'static>,
    key_der: Vec<u8>,
}

impl Pki {
    fn new() -> Pki {
        let ck = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), ck.cert.pem()).unwrap();
        std::fs::write(dir.path().join("key.pem"), ck.key_pair.serialize_pem()).unwrap();
        Pki {
            cert_der: ck.cert.der().clone(),
            key_der: ck.key_pair.serialize_der(),
            dir,
        }
    }

    fn path(&self, f: &str) -> String {
        self.dir.path().join(f).display().to_string()
    }
}

/// Requests the HTTPS server saw: (request line, body).
type Seen = Arc<Mutex<Vec<(String, String)>>>;

/// A minimal HTTPS/1.1 server: one request per connection; GET answers `get_body`,
/// anything else 204.
async fn https_server(pki: &Pki, get_body: &'static str) -> (u16, Seen) {
    let cfg = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![pki.cert_der.clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(pki.key_der.clone().into()),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let seen: Seen = Arc::default();
    let seen2 = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = l.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let seen = seen2.clone();
            tokio::spawn(async move {
                // handshake failures (untrusted certificate on the client side) end here
                let Ok(mut s) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let head_end = loop {
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                    match s.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                while buf.len() < head_end + len {
                    match s.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let body = String::from_utf8_lossy(&buf[head_end..head_end + len]).to_string();
                let line = head.lines().next().unwrap_or_default().to_string();
                let resp = if line.starts_with("GET") {
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{get_body}",
                        get_body.len()
                    )
                } else {
                    "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .to_string()
                };
                seen.lock().unwrap().push((line, body));
                let _ = s.write_all(resp.as_bytes()).await;
                let _ = s.shutdown().await;
            });
        }
    });
    (port, seen)
}

fn output(name: &str, body: &str) -> Box<dyn almanac_agent::plugin::Output> {
    let o = PluginOptions::from_toml("outputs", name, body).unwrap();
    let spec = registry::outputs().iter().find(|s| s.name == name).unwrap();
    (spec.build)(&o).unwrap_or_else(|e| panic!("{e}"))
}

fn input(name: &str, body: &str) -> Box<dyn almanac_agent::plugin::Input> {
    let o = PluginOptions::from_toml("inputs", name, body).unwrap();
    let spec = registry::inputs().iter().find(|s| s.name == name).unwrap();
    (spec.build)(&o).unwrap_or_else(|e| panic!("{e}"))
}

fn batch() -> Vec<Metric> {
    vec![Metric::new("cpu", 1_000_000_000)
        .with_tag("host", "h")
        .with_field("usage_user", 1.5)]
}

#[tokio::test]
async fn influxdb_outputs_over_https() {
    let pki = Pki::new();
    let (port, seen) = https_server(&pki, "").await;
    let ca = pki.path("ca.pem");

    // trusted through tls_ca
    let mut o = output(
        "influxdb",
        &format!(
            "urls=[\"https://localhost:{port}\"]\nskip_database_creation=true\ncontent_encoding=\"identity\"\ntls_ca=\"{ca}\""
        ),
    );
    o.write(&batch()).await.unwrap();
    // influxdb_v2 with the same CA
    let mut o2 = output(
        "influxdb_v2",
        &format!(
            "urls=[\"https://127.0.0.1:{port}\"]\ntoken=\"t\"\norganization=\"o\"\nbucket=\"b\"\ntls_ca=\"{ca}\""
        ),
    );
    o2.write(&batch()).await.unwrap();
    // untrusted: the self-signed certificate is refused
    let mut bad = output(
        "influxdb",
        &format!(
            "urls=[\"https://localhost:{port}\"]\nskip_database_creation=true\ntimeout=\"2s\""
        ),
    );
    assert!(bad.write(&batch()).await.is_err());
    // insecure_skip_verify accepts it
    let mut skip = output(
        "http",
        &format!("url=\"https://localhost:{port}/telegraf\"\ninsecure_skip_verify=true"),
    );
    skip.write(&batch()).await.unwrap();

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(seen[0].0.starts_with("POST /write"), "{:?}", seen[0]);
    assert_eq!(seen[0].1, "cpu,host=h usage_user=1.5 1000000000\n");
    assert!(seen[1].0.starts_with("POST /api/v2/write"), "{:?}", seen[1]);
    assert!(seen[2].0.starts_with("POST /telegraf"), "{:?}", seen[2]);
}

#[tokio::test]
async fn http_inputs_over_https() {
    let pki = Pki::new();
    let (port, _seen) = https_server(&pki, "app,env=prod requests=42i 1000000000\n").await;
    let ca = pki.path("ca.pem");

    let mut i = input(
        "http",
        &format!("urls=[\"https://localhost:{port}/m\"]\ntls_ca=\"{ca}\"\ndata_format=\"influx\""),
    );
    let (acc, mut rx) = Accumulator::collecting();
    i.gather(&acc).await.unwrap();
    let ms = drain(&mut rx);
    assert_eq!(ms.len(), 1, "{ms:?}");
    assert_eq!(ms[0].name, "app");

    let mut hr = input(
        "http_response",
        &format!("urls=[\"https://localhost:{port}/\"]\ninsecure_skip_verify=true"),
    );
    hr.gather(&acc).await.unwrap();
    let ms = drain(&mut rx);
    let m = ms.iter().find(|m| m.name == "http_response").unwrap();
    assert_eq!(m.tag("result"), Some("success"), "{m:?}");
    assert_eq!(
        m.field("http_response_code"),
        Some(&almanac_agent::Value::Int(200))
    );

    // untrusted certificate: the request fails (reported as a result, not a panic)
    let mut hr_bad = input(
        "http_response",
        &format!("urls=[\"https://localhost:{port}/\"]\nresponse_timeout=\"2s\""),
    );
    hr_bad.gather(&acc).await.unwrap();
    let ms = drain(&mut rx);
    let m = ms.iter().find(|m| m.name == "http_response").unwrap();
    assert_ne!(m.tag("result"), Some("success"), "{m:?}");

    // a bad CA path is a load-time error naming the option
    let o = PluginOptions::from_toml(
        "inputs",
        "prometheus",
        "urls=[\"https://localhost:1/metrics\"]\ntls_ca=\"/nonexistent/ca.pem\"",
    )
    .unwrap();
    let spec = registry::inputs()
        .iter()
        .find(|s| s.name == "prometheus")
        .unwrap();
    let e = (spec.build)(&o).err().unwrap().to_string();
    assert!(e.contains("/nonexistent/ca.pem"), "{e}");
    tokio::time::sleep(Duration::from_millis(10)).await;
}

/// A TLS server for raw sockets: everything read from each connection is sent on the
/// returned channel when the connection ends.
async fn tls_line_server(pki: &Pki) -> (u16, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let cfg = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![pki.cert_der.clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(pki.key_der.clone().into()),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = l.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                let Ok(mut s) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut out = Vec::new();
                let _ = s.read_to_end(&mut out).await;
                let _ = tx.send(String::from_utf8_lossy(&out).into_owned());
            });
        }
    });
    (port, rx)
}

#[tokio::test]
async fn graphite_and_socket_writer_over_tls() {
    let pki = Pki::new();
    let (port, mut rx) = tls_line_server(&pki).await;
    let ca = pki.path("ca.pem");

    let mut g = output(
        "graphite",
        &format!("servers=[\"localhost:{port}\"]\ntls_ca=\"{ca}\""),
    );
    g.connect().await.unwrap();
    g.write(&batch()).await.unwrap();
    g.close().await;
    let got = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, "h.cpu.usage_user 1.5 1\n");

    let mut w = output(
        "socket_writer",
        &format!("address=\"tcp://127.0.0.1:{port}\"\ninsecure_skip_verify=true"),
    );
    w.connect().await.unwrap();
    w.write(&batch()).await.unwrap();
    w.close().await;
    let got = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, "cpu,host=h usage_user=1.5 1000000000\n");

    // a CA that did not sign the server's certificate: the handshake is refused
    let other = Pki::new();
    let mut bad = output(
        "socket_writer",
        &format!(
            "address=\"tcp://localhost:{port}\"\ntls_ca=\"{}\"",
            other.path("ca.pem")
        ),
    );
    assert!(bad.connect().await.is_err());
    // TLS is refused on datagram sockets
    let o = PluginOptions::from_toml(
        "outputs",
        "socket_writer",
        &format!("address=\"udp://127.0.0.1:1\"\ntls_ca=\"{ca}\""),
    )
    .unwrap();
    let spec = registry::outputs()
        .iter()
        .find(|s| s.name == "socket_writer")
        .unwrap();
    let e = (spec.build)(&o).err().unwrap().to_string();
    assert!(e.contains("not supported yet"), "{e}");
}

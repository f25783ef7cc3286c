//! A local HTTP receiver for handler tests: records every request (method,
//! path with query, headers, body) and answers with a fixed status.

use std::collections::BTreeMap;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

/// One recorded request.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Header names lower-cased.
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

impl Request {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// A running receiver.
pub struct Receiver {
    /// `http://127.0.0.1:port`.
    pub url: String,
    rx: mpsc::UnboundedReceiver<Request>,
}

impl Receiver {
    /// Starts one answering every request with `status` and `body`.
    pub async fn start(status: u16, body: &'static str) -> Receiver {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = l.accept().await {
                let tx = tx.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    let head_end = loop {
                        let n = s.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i;
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                    let mut lines = head.split("\r\n");
                    let mut first = lines.next().unwrap_or("").split(' ');
                    let method = first.next().unwrap_or("").to_string();
                    let path = first.next().unwrap_or("").to_string();
                    let headers: BTreeMap<String, String> = lines
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                        .collect();
                    let len: usize = headers
                        .get("content-length")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    let mut rest = buf[head_end + 4..].to_vec();
                    while rest.len() < len {
                        let n = s.read(&mut chunk).await.unwrap_or(0);
                        if n == 0 {
                            break;
                        }
                        rest.extend_from_slice(&chunk[..n]);
                    }
                    let resp = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = s.write_all(resp.as_bytes()).await;
                    let _ = s.shutdown().await;
                    let _ = tx.send(Request {
                        method,
                        path,
                        headers,
                        body: String::from_utf8_lossy(&rest).to_string(),
                    });
                });
            }
        });
        Receiver { url, rx }
    }

    /// The next request (fails the test after 5 s without one).
    pub async fn next(&mut self) -> Request {
        tokio::time::timeout(std::time::Duration::from_secs(5), self.rx.recv())
            .await
            .expect("no request arrived")
            .expect("receiver closed")
    }
}

/// A test event: task `cpu_alert`, measurement `cpu`, tag host=serverA.
pub fn event(level: crate::alert::Level) -> crate::alert::AlertEvent {
    crate::alert::AlertEvent {
        topic: "main:cpu_alert:alert2".into(),
        id: "cpu:host=serverA".into(),
        state: crate::alert::EventState {
            message: "cpu is high".into(),
            details: "<b>details</b>".into(),
            time: 1_700_000_000_123_000_000,
            duration: 0,
            level,
        },
        previous_level: crate::alert::Level::Ok,
        recoverable: true,
        data: serde_json::json!({"series": [{
            "name": "cpu", "tags": {"host": "serverA"},
            "columns": ["time", "usage"], "values": [["2023-11-14T22:13:20.123Z", 97.5]],
        }]}),
        task: "cpu_alert".into(),
        category: String::new(),
        tags: [("host".to_string(), "serverA".to_string())]
            .into_iter()
            .collect(),
    }
}

/// A spec of `kind` with JSON options.
pub fn spec(kind: &str, options: serde_json::Value) -> crate::alert::HandlerSpec {
    crate::alert::HandlerSpec {
        id: "h".into(),
        kind: kind.into(),
        options: options.as_object().cloned().unwrap_or_default(),
        match_expr: String::new(),
    }
}

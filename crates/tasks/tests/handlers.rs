//! Alert handlers against local receivers (TCP listener, HTTP server,
//! a real program for exec).

use almanac_tasks::alert::handlers::{deliver, validate};
use almanac_tasks::alert::{AlertEvent, EventState, HandlerSpec, Level};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

fn event() -> AlertEvent {
    AlertEvent {
        topic: "t".into(),
        id: "cpu:nil".into(),
        state: EventState {
            message: "cpu:nil is CRITICAL".into(),
            details: "d".into(),
            time: 2_000_000_000,
            duration: 1_000_000_000,
            level: Level::Critical,
        },
        previous_level: Level::Warning,
        recoverable: true,
        data: serde_json::json!({"series": []}),
        task: "task".into(),
        category: String::new(),
        tags: Default::default(),
    }
}

fn spec(kind: &str, options: serde_json::Value) -> HandlerSpec {
    HandlerSpec {
        id: "h".into(),
        kind: kind.into(),
        options: options.as_object().cloned().unwrap_or_default(),
        match_expr: String::new(),
    }
}

fn expected() -> serde_json::Value {
    serde_json::json!({
        "id": "cpu:nil", "message": "cpu:nil is CRITICAL", "details": "d",
        "time": "1970-01-01T00:00:02Z", "duration": 1_000_000_000, "level": "CRITICAL",
        "data": {"series": []}, "previousLevel": "WARNING", "recoverable": true,
    })
}

#[tokio::test]
async fn tcp_handler_writes_one_json_line() {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let server = tokio::spawn(async move {
        let (s, _) = l.accept().await.unwrap();
        let mut line = String::new();
        BufReader::new(s).read_line(&mut line).await.unwrap();
        line
    });
    let client = reqwest::Client::new();
    deliver(
        &client,
        &spec("tcp", serde_json::json!({"address": addr})),
        &event(),
    )
    .await
    .unwrap();
    let line = server.await.unwrap();
    assert!(line.ends_with('\n'));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&line).unwrap(),
        expected()
    );
}

#[tokio::test]
async fn exec_handler_pipes_alert_data_to_the_program() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.json");
    let s = spec(
        "exec",
        serde_json::json!({"prog": "/bin/sh", "args": ["-c", format!("cat > {}", out.display())]}),
    );
    deliver(&reqwest::Client::new(), &s, &event())
        .await
        .unwrap();
    let got: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(got, expected());
    let failing = spec(
        "exec",
        serde_json::json!({"prog": "/bin/sh", "args": ["-c", "echo nope >&2; exit 3"]}),
    );
    let err = deliver(&reqwest::Client::new(), &failing, &event())
        .await
        .unwrap_err();
    assert!(err.contains("nope"), "{err}");
}

/// A one-request HTTP server: returns (request head, body) and answers `status`.
async fn http_once(
    status: u16,
    reply: &'static str,
) -> (String, tokio::task::JoinHandle<(String, String)>) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", l.local_addr().unwrap());
    let h = tokio::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = s.read(&mut chunk).await.unwrap();
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf).to_string();
            if let Some(end) = text.find("\r\n\r\n") {
                let head = text[..end].to_string();
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap())
                    })
                    .unwrap_or(0);
                if buf.len() >= end + 4 + len {
                    let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).to_string();
                    let resp = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}", reply.len());
                    s.write_all(resp.as_bytes()).await.unwrap();
                    return (head, body);
                }
            }
            if n == 0 {
                panic!("connection closed early");
            }
        }
    });
    (url, h)
}

#[tokio::test]
async fn post_handler_sends_json_headers_and_templates() {
    let client = reqwest::Client::new();
    let (url, h) = http_once(200, "").await;
    deliver(
        &client,
        &spec(
            "post",
            serde_json::json!({"url": url, "headers": {"X-Token": "abc"}}),
        ),
        &event(),
    )
    .await
    .unwrap();
    let (head, body) = h.await.unwrap();
    assert!(head.starts_with("POST /hook HTTP/1.1"), "{head}");
    assert!(head.to_ascii_lowercase().contains("x-token: abc"), "{head}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        expected()
    );

    let (url, h) = http_once(200, "").await;
    let s = spec(
        "post",
        serde_json::json!({"url": url, "alert-template": "{{ .ID }} went {{ .PreviousLevel }} -> {{ .Level }} after {{ .Duration }}"}),
    );
    deliver(&client, &s, &event()).await.unwrap();
    assert_eq!(
        h.await.unwrap().1,
        "cpu:nil went WARNING -> CRITICAL after 1s"
    );

    let (url, h) = http_once(500, "boom").await;
    let s = spec(
        "post",
        serde_json::json!({"url": url, "capture-response": true}),
    );
    let err = deliver(&client, &s, &event()).await.unwrap_err();
    h.await.unwrap();
    assert!(
        err.ends_with("status 500 Internal Server Error: boom"),
        "{err}"
    );
}

#[test]
fn specs_are_validated() {
    assert_eq!(
        validate(&spec("post", serde_json::json!({}))).unwrap_err(),
        "post handler: missing option \"url\""
    );
    assert!(
        validate(&spec("log", serde_json::json!({"path": "rel/x.log"})))
            .unwrap_err()
            .contains("absolute")
    );
    assert!(validate(&spec("pagerDuty2", serde_json::json!({})))
        .unwrap_err()
        .starts_with("not supported yet"));
    assert!(validate(&spec("tcp", serde_json::json!({"address": "nohostport"}))).is_err());
    assert!(validate(&spec(
        "exec",
        serde_json::json!({"prog": "/bin/true", "args": "x"})
    ))
    .is_err());
    assert!(validate(&spec(
        "post",
        serde_json::json!({"url": "http://x", "alert-template": "{{ .ID "})
    ))
    .is_err());
    // Match expressions are checked when the spec is defined.
    let mut m = spec("log", serde_json::json!({"path": "/tmp/x"}));
    m.match_expr = "level() == CRITICAL".into();
    validate(&m).unwrap();
    m.match_expr = "level( == CRITICAL".into();
    assert!(validate(&m).is_err());
}

#[tokio::test]
async fn slack_handler_sends_kapacitors_payload() {
    let (url, h) = http_once(200, "ok").await;
    let s = spec(
        "slack",
        serde_json::json!({"url": url, "channel": "#alerts", "username": "kapacitor", "icon-emoji": ":fire:"}),
    );
    deliver(&reqwest::Client::new(), &s, &event())
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&h.await.unwrap().1).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "as_user": false, "channel": "#alerts", "text": "",
            "attachments": [{"fallback": "cpu:nil is CRITICAL", "color": "danger",
                             "text": "cpu:nil is CRITICAL", "mrkdwn_in": ["text"]}],
            "username": "kapacitor", "icon_emoji": ":fire:",
        })
    );
    // Without a url the spec relies on the [slack] service section.
    validate(&spec("slack", serde_json::json!({}))).unwrap();
    assert!(validate(&spec("slack", serde_json::json!({"url": 5}))).is_err());
}

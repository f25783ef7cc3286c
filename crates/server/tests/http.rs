//! The HTTP API driven over a real socket.

use std::io::Write;

use almanac_server::{Server, ServerConfig};
use serde_json::Value;

struct Running {
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

async fn start() -> Running {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServerConfig::new(dir.path(), "127.0.0.1:0".parse().unwrap());
    config.max_body_size = 64 * 1024;
    let server = Server::start(config).await.unwrap();
    let url = format!("http://{}", server.local_addr());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        server
            .run(async {
                let _ = rx.await;
            })
            .await
            .unwrap();
    });
    Running {
        url,
        stop: Some(tx),
        task,
        _dir: dir,
    }
}

impl Running {
    async fn shutdown(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.await.unwrap();
    }
}

async fn query(client: &reqwest::Client, url: &str, q: &str) -> Value {
    client
        .post(format!("{url}/query"))
        .form(&[("q", q)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn sql(client: &reqwest::Client, url: &str, q: &str) -> Value {
    let response = client
        .get(format!("{url}/api/v3/query_sql"))
        .query(&[("db", "db"), ("q", q)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_and_read_back_through_every_endpoint() {
    let server = start().await;
    let url = server.url.clone();
    let client = reqwest::Client::new();

    let ping = client.get(format!("{url}/ping")).send().await.unwrap();
    assert_eq!(ping.status(), 204);
    assert!(ping.headers().contains_key("x-influxdb-version"));

    let created = query(&client, &url, "CREATE DATABASE db").await;
    assert_eq!(
        created,
        serde_json::json!({"results": [{"statement_id": 0}]})
    );
    let shown = query(&client, &url, "SHOW DATABASES").await;
    assert_eq!(
        shown,
        serde_json::json!({"results": [{"statement_id": 0, "series": [{"name": "databases", "columns": ["name"], "values": [["db"]]}]}]})
    );

    // gzip v1 write, second precision.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(b"cpu,host=a usage=1.5,n=1i 100\ncpu,host=b usage=2 100\n")
        .unwrap();
    let response = client
        .post(format!("{url}/write?db=db&precision=s"))
        .header("Content-Encoding", "gzip")
        .body(gz.finish().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);

    // Partial write: the good lines are kept.
    let response = client
        .post(format!("{url}/write?db=db&precision=s"))
        .body("cpu,host=a usage=3 100\ncpu,host=c usage=\ncpu,host=c usage=4 100")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    let message = body["error"].as_str().unwrap();
    assert!(
        message.starts_with("partial write: unable to parse 'cpu,host=c usage=': "),
        "{message}"
    );
    assert!(message.ends_with(" dropped=1"), "{message}");

    // v2 write into "db/autogen".
    let response = client
        .post(format!(
            "{url}/api/v2/write?org=o&bucket=db/autogen&precision=s"
        ))
        .header("Authorization", "Token x")
        .body("cpu,host=d usage=5 100")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);

    let rows = sql(
        &client,
        &url,
        "SELECT host, usage, n FROM cpu ORDER BY host",
    )
    .await;
    assert_eq!(
        rows,
        serde_json::json!([
            {"host": "a", "usage": 3.0, "n": 1},
            {"host": "b", "usage": 2.0},
            {"host": "c", "usage": 4.0},
            {"host": "d", "usage": 5.0},
        ])
    );

    // Errors in InfluxDB's shapes.
    let missing = client
        .post(format!("{url}/write?db=nope"))
        .body("m x=1")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.json::<Value>().await.unwrap(),
        serde_json::json!({"error": "database not found: \"nope\""})
    );
    let missing_v2 = client
        .post(format!("{url}/api/v2/write?org=o&bucket=nope"))
        .body("m x=1")
        .send()
        .await
        .unwrap();
    assert_eq!(missing_v2.status(), 404);
    assert_eq!(
        missing_v2.json::<Value>().await.unwrap(),
        serde_json::json!({"code": "not found", "message": "bucket \"nope\" not found"})
    );
    let big = client
        .post(format!("{url}/write?db=db"))
        .body(vec![b'x'; 100 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(big.status(), 413);
    let conflict = client
        .post(format!("{url}/write?db=db"))
        .body("cpu,host=z usage=1i")
        .send()
        .await
        .unwrap();
    assert_eq!(conflict.status(), 400);
    assert_eq!(
        conflict.json::<Value>().await.unwrap()["error"],
        "partial write: field type conflict: input field \"usage\" on measurement \"cpu\" is type integer, already exists as type float dropped=1"
    );
    let selected = query(&client, &url, "SELECT * FROM \"db\".\"autogen\".\"cpu\"").await;
    assert_eq!(selected["results"][0]["series"][0]["name"], "cpu");
    let unsupported: Value = client
        .post(format!("{url}/query"))
        .form(&[
            ("db", "db"),
            ("q", "DELETE FROM cpu WHERE host = 'a' OR host = 'b'"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(unsupported["results"][0]["error"]
        .as_str()
        .unwrap()
        .starts_with("not supported yet"));

    // Other SQL formats.
    let csv = client
        .get(format!("{url}/api/v3/query_sql"))
        .query(&[
            ("db", "db"),
            ("q", "SELECT host FROM cpu ORDER BY host"),
            ("format", "csv"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv, "host\na\nb\nc\nd\n");
    let bad_sql = client
        .get(format!("{url}/api/v3/query_sql"))
        .query(&[("db", "db"), ("q", "SELEC nonsense")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad_sql.status(), 400);
    assert!(bad_sql.json::<Value>().await.unwrap()["error"].is_string());

    let metrics = client
        .get(format!("{url}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("almanac_write_lines_total 5"), "{metrics}");

    server.shutdown().await;
}

/// The body of a `/query` answer asked for with `Accept-Encoding: gzip`:
/// its `Content-Encoding` and the gunzipped text.
async fn gzipped_query(url: &str, params: &[(&str, &str)]) -> (Option<String>, String) {
    use std::io::Read;
    let raw = reqwest::Client::builder().no_gzip().build().unwrap();
    let response = raw
        .get(format!("{url}/query"))
        .header("Accept-Encoding", "gzip")
        .query(params)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let encoding = response
        .headers()
        .get("content-encoding")
        .map(|v| v.to_str().unwrap().to_string());
    let bytes = response.bytes().await.unwrap();
    let mut text = String::new();
    if encoding.as_deref() == Some("gzip") {
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .unwrap();
    } else {
        text = String::from_utf8(bytes.to_vec()).unwrap();
    }
    (encoding, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_answers_are_gzipped_for_clients_that_accept_it() {
    let server = start().await;
    let url = &server.url;
    let client = reqwest::Client::new();
    query(&client, url, "CREATE DATABASE gz").await;
    let lines: String = (0..300)
        .map(|i| format!("m,host=h{} v={i} {}\n", i % 3, i * 1_000_000_000i64))
        .collect();
    let written = client
        .post(format!("{url}/write?db=gz"))
        .body(lines)
        .send()
        .await
        .unwrap();
    assert_eq!(written.status(), 204);

    let q = "SELECT v FROM gz..m GROUP BY host";
    let plain = query(&client, url, q).await;
    assert_eq!(plain["results"][0]["series"].as_array().unwrap().len(), 3);
    let (encoding, text) = gzipped_query(url, &[("q", q)]).await;
    assert_eq!(encoding.as_deref(), Some("gzip"));
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), plain);

    // Chunked: one gzip stream holding every chunk, each a JSON document.
    let (encoding, text) =
        gzipped_query(url, &[("q", q), ("chunked", "true"), ("chunk_size", "40")]).await;
    assert_eq!(encoding.as_deref(), Some("gzip"));
    let chunks: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(chunks.len() > 3, "{} chunks", chunks.len());
    let values: usize = chunks
        .iter()
        .map(|c| {
            c["results"][0]["series"][0]["values"]
                .as_array()
                .unwrap()
                .len()
        })
        .sum();
    assert_eq!(values, 300);

    // Answers without a database take the same path.
    let (_, text) = gzipped_query(url, &[("q", "SHOW DATABASES")]).await;
    assert!(text.contains("\"gz\""), "{text}");
    server.shutdown().await;
}

/// POSTs a Flux script to `/api/v2/query`; the status and the CSV text.
async fn flux(client: &reqwest::Client, url: &str, script: &str) -> (u16, String) {
    let response = client
        .post(format!("{url}/api/v2/query?org=o"))
        .header("Content-Type", "application/vnd.flux")
        .body(script.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Flux scripts run on the runtime's workers: a read, a `to()` write
/// (which waits for storage on the worker it runs on), a script that
/// imports a package, and queries of other clients meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flux_scripts_read_and_write_on_the_workers() {
    let server = start().await;
    let url = server.url.clone();
    let client = reqwest::Client::new();
    query(&client, &url, "CREATE DATABASE src").await;
    query(&client, &url, "CREATE DATABASE down").await;
    let lines: String = (0..120)
        .map(|i| format!("cpu,host=h{} usage={} {}\n", i % 3, i, 1_000 + i * 10))
        .collect();
    let response = client
        .post(format!("{url}/write?db=src&precision=s"))
        .body(lines)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);

    let downsample = r#"from(bucket: "src/autogen")
  |> range(start: 1970-01-01T00:00:00Z, stop: 1970-01-01T01:00:00Z)
  |> filter(fn: (r) => r._measurement == "cpu" and r._field == "usage")
  |> aggregateWindow(every: 100s, fn: count)
  |> set(key: "_measurement", value: "cpu_count")
  |> to(bucket: "down/autogen")"#;
    // several clients at once, each writing the same counts
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let (client, url) = (client.clone(), url.clone());
            tokio::spawn(async move { flux(&client, &url, downsample).await })
        })
        .collect();
    for run in runs {
        let (status, text) = run.await.unwrap();
        assert_eq!(status, 200, "{text}");
    }
    let counts = query(
        &client,
        &url,
        "SELECT sum(usage) FROM down.autogen.cpu_count GROUP BY host",
    )
    .await;
    let series = counts["results"][0]["series"].as_array().unwrap();
    assert_eq!(series.len(), 3, "{counts}");
    for s in series {
        assert_eq!(s["values"][0][1], 40, "{counts}");
    }

    let (status, text) = flux(
        &client,
        &url,
        r#"import "strings"
from(bucket: "down/autogen")
  |> range(start: 1970-01-01T00:00:00Z, stop: 1970-01-01T01:00:00Z)
  |> filter(fn: (r) => r._measurement == "cpu_count")
  |> map(fn: (r) => ({r with host: strings.toUpper(v: r.host)}))
  |> keep(columns: ["host"])
  |> distinct(column: "host")"#,
    )
    .await;
    assert_eq!(status, 200, "{text}");
    for host in ["H0", "H1", "H2"] {
        assert!(text.contains(host), "{host} missing: {text}");
    }
    server.shutdown().await;
}

//! `sensu` handler: sends a check result to a Sensu client socket (TCP,
//! one JSON object; the client answers `ok`). Options (handler, over the
//! `[sensu]` section): `source`, `handlers` (list), `metadata` (object of
//! extra check attributes); section: `addr` (`host:3030`).

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::opts::Opts;
use crate::alert::{AlertEvent, Level};

/// Sensu handler options.
#[derive(Debug, Clone)]
pub struct SensuOptions {
    /// Client socket address.
    pub addr: String,
    /// Check source (the proxy client name).
    pub source: String,
    /// Sensu handlers to run.
    pub handlers: Vec<String>,
    /// Extra check attributes.
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

impl SensuOptions {
    /// Reads the merged options.
    pub fn parse(o: &Opts) -> Result<SensuOptions, String> {
        let metadata = match o.map.get("metadata") {
            None | Some(serde_json::Value::Null) => serde_json::Map::new(),
            Some(serde_json::Value::Object(m)) => m.clone(),
            Some(_) => return Err("sensu handler: option \"metadata\" must be an object".into()),
        };
        Ok(SensuOptions {
            addr: o.string("addr")?,
            source: o.string("source")?,
            handlers: o.strings("handlers")?,
            metadata,
        })
    }
}

/// Whether `name` is a valid Sensu check name (`^[\w.-]+$`).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '-')
}

/// The check result for an event.
pub fn payload(opts: &SensuOptions, event: &AlertEvent) -> serde_json::Value {
    let status = match event.state.level {
        Level::Ok | Level::Info => 0,
        Level::Warning => 1,
        Level::Critical => 2,
    };
    let mut body = serde_json::Map::new();
    body.insert("name".into(), event.id.clone().into());
    body.insert("source".into(), opts.source.clone().into());
    body.insert("output".into(), event.state.message.clone().into());
    body.insert("status".into(), status.into());
    if !opts.handlers.is_empty() {
        body.insert("handlers".into(), opts.handlers.clone().into());
    }
    for (k, v) in &opts.metadata {
        body.insert(k.clone(), v.clone());
    }
    body.into()
}

/// Sends the event.
pub async fn deliver(opts: &SensuOptions, event: &AlertEvent) -> Result<(), String> {
    if !valid_name(&event.id) {
        return Err(format!(
            "sensu handler: invalid name {:?} for sensu alert. Must match ^[\\w\\.-]+$ (set the alert's .id)",
            event.id
        ));
    }
    if opts.addr.is_empty() {
        return Err("sensu handler: missing option \"addr\" (in the [sensu] section)".into());
    }
    let io = async {
        let mut s = tokio::net::TcpStream::connect(&opts.addr).await?;
        let mut line = payload(opts, event).to_string();
        line.push('\n');
        s.write_all(line.as_bytes()).await?;
        s.shutdown().await?;
        let mut resp = String::new();
        s.read_to_string(&mut resp).await?;
        Ok::<_, std::io::Error>(resp)
    };
    let resp = tokio::time::timeout(std::time::Duration::from_secs(10), io)
        .await
        .map_err(|_| format!("sensu handler {}: timed out", opts.addr))?
        .map_err(|e| format!("sensu handler {}: {e}", opts.addr))?;
    if resp.trim() != "ok" {
        return Err(format!("sensu handler: sensu socket error: {resp}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{event, spec};
    use crate::alert::Level;
    use serde_json::json;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn writes_check_result_and_reads_ok() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap().to_string();
        let server = tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut buf = String::new();
            s.read_to_string(&mut buf).await.unwrap();
            s.write_all(b"ok").await.unwrap();
            buf
        });
        let s = spec(
            "sensu",
            json!({"addr": addr, "source": "almanac", "handlers": ["mail"],
                   "metadata": {"team": "ops"}}),
        );
        let mut ev = event(Level::Warning);
        ev.id = "cpu.serverA".into();
        super::super::deliver(&reqwest::Client::new(), &s, &ev)
            .await
            .unwrap();
        let got: serde_json::Value = serde_json::from_str(&server.await.unwrap()).unwrap();
        assert_eq!(
            got,
            json!({"name": "cpu.serverA", "source": "almanac", "output": "cpu is high",
                   "status": 1, "handlers": ["mail"], "team": "ops"})
        );
    }

    #[tokio::test]
    async fn rejects_names_sensu_refuses() {
        let s = spec("sensu", json!({"addr": "127.0.0.1:1"}));
        let e = super::super::deliver(&reqwest::Client::new(), &s, &event(Level::Critical))
            .await
            .unwrap_err();
        assert!(e.contains("invalid name \"cpu:host=serverA\""), "{e}");
    }
}

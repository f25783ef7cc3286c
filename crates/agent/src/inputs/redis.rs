//! `inputs.redis`: `INFO` over TCP (RESP), measurements `redis` and `redis_keyspace`.

use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::config::{ConfigError, PluginOptions};
use crate::metric::{now_ns, Metric, Value};
use crate::plugin::{Accumulator, Input, PluginError, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Input> = PluginSpec {
    name: "redis",
    description: "Read metrics from one or many redis servers",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[inputs.redis]]
  ## specify servers via a url matching:
  ##  [protocol://][username:password]@address[:port]
  ##  e.g.
  ##    tcp://localhost:6379
  ##    tcp://username:password@192.168.99.100
  servers = ["tcp://localhost:6379"]

  ## Optional. Specify redis password.
  # password = ""
"#;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RedisConfig {
    servers: Vec<String>,
    username: String,
    password: String,
    commands: Vec<serde::de::IgnoredAny>,
}

fn build(o: &PluginOptions) -> Result<Box<dyn Input>, ConfigError> {
    let mut c: RedisConfig = o.parse()?;
    if !c.commands.is_empty() {
        return Err(o.not_supported("commands"));
    }
    if c.servers.is_empty() {
        c.servers.push("tcp://localhost:6379".into());
    }
    for s in &c.servers {
        if s.starts_with("unix://") || s.starts_with("tls://") || s.starts_with("rediss://") {
            return Err(o.not_supported(format!("server scheme of {s:?}")));
        }
    }
    Ok(Box::new(Redis {
        servers: c.servers,
        username: c.username,
        password: c.password,
    }))
}

/// The redis input.
pub struct Redis {
    servers: Vec<String>,
    username: String,
    password: String,
}

/// Parses INFO text into the `redis` and `redis_keyspace` metrics.
pub fn parse_info(info: &str, server: &str, port: &str, time: i64) -> Vec<Metric> {
    let mut m = Metric::new("redis", time)
        .with_tag("server", server)
        .with_tag("port", port);
    let mut out = Vec::new();
    for line in info.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        if k == "role" {
            m.add_tag("replication_role", v);
            continue;
        }
        if k.starts_with("db") && v.contains("keys=") {
            let mut ks = Metric::new("redis_keyspace", time)
                .with_tag("server", server)
                .with_tag("port", port)
                .with_tag("database", k);
            for kv in v.split(',') {
                if let Some((a, b)) = kv.split_once('=') {
                    if let Ok(n) = b.parse::<i64>() {
                        ks.add_field(a, n);
                    }
                }
            }
            out.push(ks);
            continue;
        }
        let name = match k {
            "uptime_in_seconds" => "uptime",
            "connected_clients" => "clients",
            other => other,
        };
        let val = if let Ok(i) = v.parse::<i64>() {
            Value::Int(i)
        } else if let Ok(f) = v.parse::<f64>() {
            Value::Float(f)
        } else if let Some(p) = v.strip_suffix('%').and_then(|p| p.parse::<f64>().ok()) {
            Value::Float(p)
        } else {
            Value::Str(v.to_string())
        };
        m.add_field(name, val);
    }
    out.insert(0, m);
    out
}

async fn fetch_info(addr: &str, user: &str, pass: &str) -> Result<String, PluginError> {
    let mut s = tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect(addr))
        .await??;
    let mut req = Vec::new();
    if !pass.is_empty() {
        if user.is_empty() {
            req.extend(format!("*2\r\n$4\r\nAUTH\r\n${}\r\n{}\r\n", pass.len(), pass).into_bytes());
        } else {
            req.extend(
                format!(
                    "*3\r\n$4\r\nAUTH\r\n${}\r\n{}\r\n${}\r\n{}\r\n",
                    user.len(),
                    user,
                    pass.len(),
                    pass
                )
                .into_bytes(),
            );
        }
    }
    req.extend_from_slice(b"*1\r\n$4\r\nINFO\r\n");
    s.write_all(&req).await?;
    let mut buf = Vec::new();
    let mut tmp = [0u8; 8192];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut tmp)).await??;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&tmp[..n]);
        let text = String::from_utf8_lossy(&buf);
        if text.starts_with('-') || text.contains("\n-") {
            anyhow::bail!(
                "redis error: {}",
                text.lines()
                    .find(|l| l.starts_with('-'))
                    .unwrap_or("")
                    .trim()
            );
        }
        // skip +OK from AUTH, then a bulk string `$<len>\r\n<data>\r\n`
        let body = text.trim_start_matches("+OK\r\n");
        if let Some(rest) = body.strip_prefix('$') {
            if let Some((len, data)) = rest.split_once("\r\n") {
                let len: usize = len
                    .parse()
                    .map_err(|_| anyhow::anyhow!("bad RESP length"))?;
                if data.len() >= len {
                    return Ok(data[..len].to_string());
                }
            }
        }
    }
    anyhow::bail!("connection closed before INFO reply")
}

#[async_trait]
impl Input for Redis {
    async fn gather(&mut self, acc: &Accumulator) -> Result<(), PluginError> {
        for srv in &self.servers {
            let rest = srv.strip_prefix("tcp://").unwrap_or(srv);
            let (cred, hostport) = match rest.rsplit_once('@') {
                Some((c, h)) => (Some(c), h),
                None => (None, rest),
            };
            let (user, pass) = match cred.and_then(|c| c.split_once(':')) {
                Some((u, p)) => (u.to_string(), p.to_string()),
                None => (self.username.clone(), self.password.clone()),
            };
            let hostport = if hostport.contains(':') {
                hostport.to_string()
            } else {
                format!("{hostport}:6379")
            };
            let (host, port) = hostport
                .rsplit_once(':')
                .map(|(h, p)| (h.to_string(), p.to_string()))
                .unwrap_or_default();
            match fetch_info(&hostport, &user, &pass).await {
                Ok(info) => parse_info(&info, &host, &port, now_ns())
                    .into_iter()
                    .for_each(|m| acc.add(m)),
                Err(e) => acc.add_error(format!("redis {srv}: {e:#}")),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFO: &str = "# Server\r\nredis_version:7.0.0\r\nuptime_in_seconds:100\r\n# Clients\r\nconnected_clients:3\r\n# Memory\r\nused_memory:1024\r\nmem_fragmentation_ratio:1.5\r\n# Replication\r\nrole:master\r\n# Keyspace\r\ndb0:keys=5,expires=1,avg_ttl=300\r\n";

    #[test]
    fn parses_info() {
        let ms = parse_info(INFO, "localhost", "6379", 1);
        assert_eq!(ms[0].tag("replication_role"), Some("master"));
        assert_eq!(ms[0].field("uptime"), Some(&Value::Int(100)));
        assert_eq!(ms[0].field("clients"), Some(&Value::Int(3)));
        assert_eq!(
            ms[0].field("mem_fragmentation_ratio"),
            Some(&Value::Float(1.5))
        );
        assert_eq!(ms[1].name, "redis_keyspace");
        assert_eq!(ms[1].tag("database"), Some("db0"));
        assert_eq!(ms[1].field("keys"), Some(&Value::Int(5)));
    }

    #[tokio::test]
    async fn speaks_resp_to_a_fake_server() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            let mut buf = [0u8; 256];
            let n = s.read(&mut buf).await.unwrap();
            assert!(String::from_utf8_lossy(&buf[..n]).contains("INFO"));
            let reply = format!("${}\r\n{}\r\n", INFO.len(), INFO);
            s.write_all(reply.as_bytes()).await.unwrap();
        });
        let toml = format!("servers = [\"tcp://{addr}\"]");
        let mut r = build(&PluginOptions::from_toml("inputs", "redis", &toml).unwrap()).unwrap();
        let (acc, mut rx) = Accumulator::collecting();
        r.gather(&acc).await.unwrap();
        let ms = crate::plugin::drain(&mut rx);
        assert_eq!(ms.len(), 2, "{ms:?}");
        assert_eq!(ms[0].tag("port"), Some(&addr.port().to_string()[..]));
    }
}

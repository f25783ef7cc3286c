//! `inputs.docker`: engine and per-container stats from the Docker API over its Unix socket.

use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::Value as J;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::config::{ConfigError, Dur, PluginOptions};
use crate::filter::GlobSet;
use crate::metric::{now_ns, Metric};
use crate::plugin::{Accumulator, Input, PluginError, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Input> = PluginSpec {
    name: "docker",
    description: "Read metrics about docker containers",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[inputs.docker]]
  ## Docker Endpoint (unix sockets only)
  endpoint = "unix:///var/run/docker.sock"

  ## Only collect metrics for these containers, collect all if empty
  container_names = []

  ## Containers to include and exclude. Globs accepted.
  container_name_include = []
  container_name_exclude = []

  ## Container states to include and exclude. Globs accepted.
  # container_state_include = []
  # container_state_exclude = []

  ## Timeout for docker list, info, and stats commands
  timeout = "5s"

  ## Whether to report for each container per-device blkio and network stats or not
  # perdevice_include = ["cpu", "blkio", "network"]
  # total_include = ["cpu", "blkio", "network"]
"#;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct DockerConfig {
    endpoint: String,
    container_names: Vec<String>,
    container_name_include: Vec<String>,
    container_name_exclude: Vec<String>,
    container_state_include: Vec<String>,
    container_state_exclude: Vec<String>,
    timeout: Dur,
    perdevice: Option<bool>,
    perdevice_include: Vec<String>,
    total: Option<bool>,
    total_include: Vec<String>,
    docker_label_include: Vec<String>,
    docker_label_exclude: Vec<String>,
    tag_env: Vec<String>,
    gather_services: bool,
    source_tag: bool,
    storage_objects: Vec<String>,
}

impl Default for DockerConfig {
    fn default() -> Self {
        DockerConfig {
            endpoint: "unix:///var/run/docker.sock".into(),
            container_names: vec![],
            container_name_include: vec![],
            container_name_exclude: vec![],
            container_state_include: vec![],
            container_state_exclude: vec![],
            timeout: Dur(Duration::from_secs(5)),
            perdevice: None,
            perdevice_include: vec!["cpu".into(), "blkio".into(), "network".into()],
            total: None,
            total_include: vec!["cpu".into(), "blkio".into(), "network".into()],
            docker_label_include: vec![],
            docker_label_exclude: vec![],
            tag_env: vec![],
            gather_services: false,
            source_tag: false,
            storage_objects: vec![],
        }
    }
}

fn build(o: &PluginOptions) -> Result<Box<dyn Input>, ConfigError> {
    let c: DockerConfig = o.parse()?;
    let Some(path) = c.endpoint.strip_prefix("unix://") else {
        if c.endpoint == "ENV" {
            return Err(o.not_supported("endpoint = \"ENV\""));
        }
        return Err(o.not_supported(format!("endpoint {:?} (only unix:// sockets)", c.endpoint)));
    };
    if c.gather_services {
        return Err(o.not_supported("gather_services"));
    }
    let mut include = c.container_names.clone();
    include.extend(c.container_name_include.iter().cloned());
    Ok(Box::new(Docker {
        socket: path.to_string(),
        include: GlobSet::new(&include),
        exclude: GlobSet::new(&c.container_name_exclude),
        state_include: GlobSet::new(&c.container_state_include),
        state_exclude: GlobSet::new(&c.container_state_exclude),
        cfg: c,
    }))
}

/// The docker input.
pub struct Docker {
    cfg: DockerConfig,
    socket: String,
    include: GlobSet,
    exclude: GlobSet,
    state_include: GlobSet,
    state_exclude: GlobSet,
}

/// GET over a Unix socket with HTTP/1.0 (no chunked encoding); returns the JSON body.
pub async fn unix_get(socket: &str, path: &str, timeout: Duration) -> Result<J, PluginError> {
    let fut = async {
        let mut s = tokio::net::UnixStream::connect(socket).await?;
        s.write_all(
            format!("GET {path} HTTP/1.0\r\nHost: docker\r\nAccept: application/json\r\n\r\n")
                .as_bytes(),
        )
        .await?;
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await?;
        let split = buf
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or_else(|| anyhow::anyhow!("malformed HTTP response"))?;
        let head = String::from_utf8_lossy(&buf[..split]);
        let status: u16 = head
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = &buf[split + 4..];
        if !(200..300).contains(&status) {
            anyhow::bail!(
                "GET {path}: status {status}: {}",
                String::from_utf8_lossy(body).trim()
            );
        }
        Ok::<J, PluginError>(serde_json::from_slice(body)?)
    };
    tokio::time::timeout(timeout, fut)
        .await
        .map_err(|_| anyhow::anyhow!("GET {path}: timed out"))?
}

fn num(v: &J) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_u64().map(|u| u.min(i64::MAX as u64) as i64))
}

/// The `docker` engine metric from `/info`.
pub fn info_metric(info: &J, time: i64) -> Metric {
    let g = |k: &str| info.get(k).and_then(num).unwrap_or(0);
    Metric::new("docker", time)
        .with_tag(
            "engine_host",
            info.get("Name").and_then(J::as_str).unwrap_or(""),
        )
        .with_tag(
            "server_version",
            info.get("ServerVersion").and_then(J::as_str).unwrap_or(""),
        )
        .with_field("n_used_file_descriptors", g("NFd"))
        .with_field("n_cpus", g("NCPU"))
        .with_field("n_containers", g("Containers"))
        .with_field("n_containers_running", g("ContainersRunning"))
        .with_field("n_containers_stopped", g("ContainersStopped"))
        .with_field("n_containers_paused", g("ContainersPaused"))
        .with_field("n_images", g("Images"))
        .with_field("n_goroutines", g("NGoroutines"))
        .with_field("n_listener_events", g("NEventsListener"))
        .with_field("memory_total", g("MemTotal"))
}

/// Container metrics from one `/containers/{id}/stats?stream=false` document.
pub fn container_metrics(base: &Metric, id: &str, stats: &J, time: i64) -> Vec<Metric> {
    let mut out = Vec::new();
    let mk = |name: &str| {
        let mut m = base.clone();
        m.name = name.to_string();
        m.time = time;
        m.add_field("container_id", id);
        m
    };
    // memory
    if let Some(mem) = stats
        .get("memory_stats")
        .filter(|m| m.get("usage").is_some())
    {
        let mut m = mk("docker_container_mem");
        let usage = mem.get("usage").and_then(num).unwrap_or(0);
        let limit = mem.get("limit").and_then(num).unwrap_or(0);
        if let Some(J::Object(st)) = mem.get("stats") {
            for (k, v) in st {
                if let Some(n) = num(v) {
                    m.add_field(k.clone(), n);
                }
            }
        }
        let cache = mem
            .pointer("/stats/inactive_file")
            .or_else(|| mem.pointer("/stats/total_inactive_file"))
            .and_then(num)
            .unwrap_or(0);
        m.add_field("usage", usage);
        m.add_field("limit", limit);
        if let Some(x) = mem.get("max_usage").and_then(num) {
            m.add_field("max_usage", x);
        }
        if let Some(x) = mem.get("failcnt").and_then(num) {
            m.add_field("fail_count", x);
        }
        if limit > 0 {
            m.add_field(
                "usage_percent",
                100.0 * (usage - cache).max(0) as f64 / limit as f64,
            );
        }
        out.push(m);
    }
    // cpu
    if let Some(cpu) = stats.get("cpu_stats") {
        let mut m = mk("docker_container_cpu").with_tag("cpu", "cpu-total");
        let g = |p: &str| cpu.pointer(p).and_then(num).unwrap_or(0);
        let total = g("/cpu_usage/total_usage");
        m.add_field("usage_total", total);
        m.add_field("usage_in_usermode", g("/cpu_usage/usage_in_usermode"));
        m.add_field("usage_in_kernelmode", g("/cpu_usage/usage_in_kernelmode"));
        m.add_field("usage_system", g("/system_cpu_usage"));
        m.add_field("throttling_periods", g("/throttling_data/periods"));
        m.add_field(
            "throttling_throttled_periods",
            g("/throttling_data/throttled_periods"),
        );
        m.add_field(
            "throttling_throttled_time",
            g("/throttling_data/throttled_time"),
        );
        let pre = stats.get("precpu_stats");
        let pre_total = pre
            .and_then(|p| p.pointer("/cpu_usage/total_usage"))
            .and_then(num)
            .unwrap_or(0);
        let pre_sys = pre
            .and_then(|p| p.get("system_cpu_usage"))
            .and_then(num)
            .unwrap_or(0);
        let (dc, ds) = (total - pre_total, g("/system_cpu_usage") - pre_sys);
        let ncpu = cpu
            .get("online_cpus")
            .and_then(num)
            .filter(|n| *n > 0)
            .unwrap_or_else(|| {
                cpu.pointer("/cpu_usage/percpu_usage")
                    .and_then(J::as_array)
                    .map(|a| a.len() as i64)
                    .unwrap_or(1)
            });
        if dc > 0 && ds > 0 {
            m.add_field("usage_percent", dc as f64 / ds as f64 * ncpu as f64 * 100.0);
        }
        out.push(m);
    }
    // network
    if let Some(J::Object(nets)) = stats.get("networks") {
        let mut total = mk("docker_container_net").with_tag("network", "total");
        for (name, n) in nets {
            let mut m = mk("docker_container_net").with_tag("network", name.as_str());
            if let J::Object(fields) = n {
                for (k, v) in fields {
                    if let Some(x) = num(v) {
                        m.add_field(k.clone(), x);
                        let cur = total.field(k).and_then(|v| v.as_f64()).unwrap_or(0.0) as i64;
                        total.add_field(k.clone(), cur + x);
                    }
                }
            }
            out.push(m);
        }
        if total.fields.len() > 1 {
            out.push(total);
        }
    }
    // blkio
    if let Some(J::Array(entries)) = stats.pointer("/blkio_stats/io_service_bytes_recursive") {
        let mut by_dev: std::collections::BTreeMap<String, Metric> = Default::default();
        for e in entries {
            let dev = format!(
                "{}:{}",
                e.get("major").and_then(num).unwrap_or(0),
                e.get("minor").and_then(num).unwrap_or(0)
            );
            let op = e.get("op").and_then(J::as_str).unwrap_or("").to_lowercase();
            let v = e.get("value").and_then(num).unwrap_or(0);
            by_dev
                .entry(dev.clone())
                .or_insert_with(|| mk("docker_container_blkio").with_tag("device", dev.as_str()))
                .add_field(format!("io_service_bytes_recursive_{op}"), v);
        }
        out.extend(by_dev.into_values());
    }
    out
}

#[async_trait]
impl Input for Docker {
    async fn gather(&mut self, acc: &Accumulator) -> Result<(), PluginError> {
        let t = self.cfg.timeout.0;
        let info = unix_get(&self.socket, "/info", t).await?;
        let now = now_ns();
        let engine = info_metric(&info, now);
        let engine_host = engine.tag("engine_host").unwrap_or("").to_string();
        let server_version = engine.tag("server_version").unwrap_or("").to_string();
        acc.add(engine);
        let list = unix_get(&self.socket, "/containers/json?all=true", t).await?;
        for c in list.as_array().cloned().unwrap_or_default() {
            let id = c.get("Id").and_then(J::as_str).unwrap_or("").to_string();
            let name = c
                .get("Names")
                .and_then(J::as_array)
                .and_then(|a| a.first())
                .and_then(J::as_str)
                .unwrap_or("")
                .trim_start_matches('/')
                .to_string();
            let state = c.get("State").and_then(J::as_str).unwrap_or("").to_string();
            if (!self.include.is_empty() && !self.include.matches(&name))
                || self.exclude.matches(&name)
            {
                continue;
            }
            let state_ok = if self.state_include.is_empty() {
                state == "running"
            } else {
                self.state_include.matches(&state)
            };
            if !state_ok || self.state_exclude.matches(&state) {
                continue;
            }
            let image = c.get("Image").and_then(J::as_str).unwrap_or("");
            let (img, ver) = match image.rsplit_once(':') {
                Some((i, v)) if !v.contains('/') => (i, v),
                _ => (image, "unknown"),
            };
            let base = Metric::new("docker_container", now)
                .with_tag("engine_host", engine_host.as_str())
                .with_tag("server_version", server_version.as_str())
                .with_tag("container_name", name.as_str())
                .with_tag("container_image", img)
                .with_tag("container_version", ver)
                .with_tag("container_status", state.as_str());
            match unix_get(
                &self.socket,
                &format!("/containers/{id}/stats?stream=false"),
                t,
            )
            .await
            {
                Ok(stats) => container_metrics(&base, &id, &stats, now)
                    .into_iter()
                    .for_each(|m| acc.add(m)),
                Err(e) => acc.add_error(format!("docker: stats of {name}: {e:#}")),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::Value;
    use tokio::io::AsyncBufReadExt;

    const INFO: &str = r#"{"Name":"dockerhost","ServerVersion":"24.0.7","Containers":2,"ContainersRunning":1,"ContainersStopped":1,"ContainersPaused":0,"Images":5,"NCPU":4,"NFd":30,"NGoroutines":40,"NEventsListener":0,"MemTotal":8000000000}"#;
    const LIST: &str = r#"[{"Id":"abc123","Names":["/web"],"Image":"nginx:1.25","State":"running"},{"Id":"def","Names":["/old"],"Image":"busybox","State":"exited"}]"#;
    const STATS: &str = r#"{"memory_stats":{"usage":1000,"limit":4000,"max_usage":1500,"stats":{"inactive_file":200,"rss":600}},"cpu_stats":{"cpu_usage":{"total_usage":3000,"usage_in_usermode":2000,"usage_in_kernelmode":1000},"system_cpu_usage":20000,"online_cpus":2,"throttling_data":{"periods":0,"throttled_periods":0,"throttled_time":0}},"precpu_stats":{"cpu_usage":{"total_usage":1000},"system_cpu_usage":10000},"networks":{"eth0":{"rx_bytes":10,"tx_bytes":20}},"blkio_stats":{"io_service_bytes_recursive":[{"major":8,"minor":0,"op":"Read","value":4096},{"major":8,"minor":0,"op":"Write","value":8192}]}}"#;

    #[tokio::test]
    async fn against_a_fake_engine() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("docker.sock");
        let l = tokio::net::UnixListener::bind(&sock).unwrap();
        tokio::spawn(async move {
            while let Ok((s, _)) = l.accept().await {
                tokio::spawn(async move {
                    let (r, mut w) = s.into_split();
                    let mut lines = tokio::io::BufReader::new(r).lines();
                    let first = lines.next_line().await.unwrap().unwrap_or_default();
                    let path = first.split_whitespace().nth(1).unwrap_or("").to_string();
                    let body = if path == "/info" {
                        INFO
                    } else if path.starts_with("/containers/json") {
                        LIST
                    } else if path.starts_with("/containers/abc123/stats") {
                        STATS
                    } else {
                        "{}"
                    };
                    let resp =
                        format!("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{body}");
                    w.write_all(resp.as_bytes()).await.unwrap();
                });
            }
        });
        let toml = format!("endpoint = \"unix://{}\"", sock.display());
        let mut d = build(&PluginOptions::from_toml("inputs", "docker", &toml).unwrap()).unwrap();
        let (acc, mut rx) = Accumulator::collecting();
        d.gather(&acc).await.unwrap();
        let ms = crate::plugin::drain(&mut rx);
        let get = |n: &str| {
            ms.iter()
                .find(|m| m.name == n)
                .unwrap_or_else(|| panic!("{n}: {ms:?}"))
        };
        assert_eq!(
            get("docker").field("n_containers_running"),
            Some(&Value::Int(1))
        );
        let mem = get("docker_container_mem");
        assert_eq!(mem.tag("container_name"), Some("web"));
        assert_eq!(mem.tag("container_image"), Some("nginx"));
        assert_eq!(mem.tag("container_version"), Some("1.25"));
        assert_eq!(mem.field("usage_percent"), Some(&Value::Float(20.0)));
        let cpu = get("docker_container_cpu");
        assert_eq!(cpu.field("usage_percent"), Some(&Value::Float(40.0)));
        assert!(ms
            .iter()
            .any(|m| m.name == "docker_container_net" && m.tag("network") == Some("eth0")));
        let blk = get("docker_container_blkio");
        assert_eq!(
            blk.field("io_service_bytes_recursive_write"),
            Some(&Value::Int(8192))
        );
        assert!(
            !ms.iter().any(|m| m.tag("container_name") == Some("old")),
            "exited containers skipped"
        );
    }

    #[test]
    fn rejects_tcp_endpoints() {
        let e = build(
            &PluginOptions::from_toml("inputs", "docker", "endpoint = \"tcp://1.2.3.4:2375\"")
                .unwrap(),
        )
        .err()
        .unwrap();
        assert!(e.to_string().contains("not supported yet"));
    }
}

//! `inputs.procstat`: per-process CPU, memory, threads and I/O for processes selected by
//! `pid_file`, `exe`, `pattern` or `user` (native finder over `/proc`).

use std::collections::HashMap;
use std::path::PathBuf;

use async_trait::async_trait;
use regex::Regex;
use serde::Deserialize;

use crate::config::{ConfigError, PluginOptions};
use crate::metric::{now_ns, Metric};
use crate::plugin::{Accumulator, Input, PluginError, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Input> = PluginSpec {
    name: "procstat",
    description: "Monitor process cpu and memory usage",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[inputs.procstat]]
  ## PID file to monitor process
  # pid_file = "/var/run/nginx.pid"
  ## executable name (ie, pgrep <exe>)
  # exe = "nginx"
  ## pattern as argument for pgrep (ie, pgrep -f <pattern>)
  pattern = "almanac"
  ## user as argument for pgrep (ie, pgrep -u <user>)
  # user = "nginx"

  ## Field name prefix
  # prefix = ""
  ## When true add the full cmdline as a tag.
  # cmdline_tag = false
  ## Add the PID as a tag instead of as a field.
  # pid_tag = false
  ## Method to use when finding process IDs: "pgrep" or "native" (both native here).
  # pid_finder = "pgrep"
"#;

/// Options.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProcstatConfig {
    /// PID file.
    pub pid_file: Option<String>,
    /// Regex on the process name.
    pub exe: Option<String>,
    /// Regex on the full command line.
    pub pattern: Option<String>,
    /// User name.
    pub user: Option<String>,
    /// Field prefix.
    pub prefix: String,
    /// Add `cmdline` tag.
    pub cmdline_tag: bool,
    /// PID as tag.
    pub pid_tag: bool,
    /// `pgrep` or `native`.
    pub pid_finder: Option<String>,
    /// Override `process_name` tag.
    pub process_name: Option<String>,
    /// Not supported.
    pub systemd_unit: Option<String>,
    /// Not supported.
    pub cgroup: Option<String>,
    /// Not supported.
    pub win_service: Option<String>,
}

fn build(o: &PluginOptions) -> Result<Box<dyn Input>, ConfigError> {
    let c: ProcstatConfig = o.parse()?;
    if c.systemd_unit.is_some() {
        return Err(o.not_supported("systemd_unit"));
    }
    if c.cgroup.is_some() || c.win_service.is_some() {
        return Err(o.not_supported("cgroup / win_service"));
    }
    let re = |s: &Option<String>, k: &str| -> Result<Option<Regex>, ConfigError> {
        s.as_deref()
            .map(Regex::new)
            .transpose()
            .map_err(|e| o.invalid_option(k, e.to_string()))
    };
    let exe_re = re(&c.exe, "exe")?;
    let pattern_re = re(&c.pattern, "pattern")?;
    if c.pid_file.is_none() && c.exe.is_none() && c.pattern.is_none() && c.user.is_none() {
        return Err(o.invalid_option(
            "pattern",
            "one of pid_file, exe, pattern or user is required",
        ));
    }
    Ok(Box::new(Procstat {
        cfg: c,
        exe_re,
        pattern_re,
        proc: super::host_proc(),
        last_cpu: HashMap::new(),
    }))
}

/// The procstat input.
pub struct Procstat {
    cfg: ProcstatConfig,
    exe_re: Option<Regex>,
    pattern_re: Option<Regex>,
    proc: PathBuf,
    last_cpu: HashMap<u32, (f64, std::time::Instant)>,
}

/// Fields of /proc/<pid>/stat we need.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PidStat {
    /// comm.
    pub comm: String,
    /// utime seconds.
    pub utime: f64,
    /// stime seconds.
    pub stime: f64,
    /// Threads.
    pub threads: i64,
    /// Start time (ticks since boot).
    pub starttime: u64,
    /// Virtual memory bytes.
    pub vsize: i64,
    /// RSS pages.
    pub rss_pages: i64,
}

/// Parses one /proc/<pid>/stat.
pub fn parse_pid_stat(s: &str) -> Option<PidStat> {
    let open = s.find('(')?;
    let close = s.rfind(')')?;
    let comm = s.get(open + 1..close)?.to_string();
    let r: Vec<&str> = s.get(close + 1..)?.split_whitespace().collect();
    let n = |i: usize| r.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    Some(PidStat {
        comm,
        utime: n(11) / 100.0,
        stime: n(12) / 100.0,
        threads: n(17) as i64,
        starttime: n(19) as u64,
        vsize: n(20) as i64,
        rss_pages: n(21) as i64,
    })
}

fn uid_of(user: &str) -> Option<u32> {
    if let Ok(u) = user.parse() {
        return Some(u);
    }
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.first() == Some(&user))
            .then(|| f.get(2)?.parse().ok())
            .flatten()
    })
}

impl Procstat {
    fn find_pids(&self) -> Result<Vec<u32>, PluginError> {
        if let Some(pf) = &self.cfg.pid_file {
            let s = std::fs::read_to_string(pf)?;
            return Ok(s.trim().parse::<u32>().map(|p| vec![p]).unwrap_or_default());
        }
        let me = std::process::id();
        let uid = match &self.cfg.user {
            Some(u) => Some(uid_of(u).ok_or_else(|| anyhow::anyhow!("unknown user {u}"))?),
            None => None,
        };
        let mut pids = Vec::new();
        for e in std::fs::read_dir(&self.proc)?.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
                continue;
            };
            if pid == me {
                continue;
            }
            let dir = e.path();
            if let Some(re) = &self.exe_re {
                let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
                if !re.is_match(comm.trim()) {
                    continue;
                }
            }
            if let Some(re) = &self.pattern_re {
                let cmd = std::fs::read(dir.join("cmdline")).unwrap_or_default();
                let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
                if !re.is_match(cmd.trim()) {
                    continue;
                }
            }
            if let Some(uid) = uid {
                let status = std::fs::read_to_string(dir.join("status")).unwrap_or_default();
                let puid = status
                    .lines()
                    .find(|l| l.starts_with("Uid:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|u| u.parse::<u32>().ok());
                if puid != Some(uid) {
                    continue;
                }
            }
            pids.push(pid);
        }
        pids.sort_unstable();
        Ok(pids)
    }

    fn selector_tags(&self) -> Vec<(&'static str, String)> {
        let mut t = Vec::new();
        if let Some(v) = &self.cfg.pid_file {
            t.push(("pidfile", v.clone()));
        }
        if let Some(v) = &self.cfg.exe {
            t.push(("exe", v.clone()));
        }
        if let Some(v) = &self.cfg.pattern {
            t.push(("pattern", v.clone()));
        }
        if let Some(v) = &self.cfg.user {
            t.push(("user", v.clone()));
        }
        t
    }
}

#[async_trait]
impl Input for Procstat {
    async fn gather(&mut self, acc: &Accumulator) -> Result<(), PluginError> {
        let now = now_ns();
        let sel = self.selector_tags();
        let pids = self.find_pids();
        let found = pids.as_ref().map(|p| p.len()).unwrap_or(0);
        let mut lookup = Metric::new("procstat_lookup", now)
            .with_tag(
                "pid_finder",
                self.cfg
                    .pid_finder
                    .clone()
                    .unwrap_or_else(|| "pgrep".into()),
            )
            .with_field("pid_count", found as i64)
            .with_field("running", found as i64)
            .with_field("result_code", if pids.is_ok() { 0i64 } else { 1 });
        lookup.add_tag(
            "result",
            if pids.is_ok() {
                "success"
            } else {
                "lookup_error"
            },
        );
        for (k, v) in &sel {
            lookup.add_tag(*k, v.as_str());
        }
        acc.add(lookup);
        let pids = pids?;
        let page = 4096i64;
        let boot = std::fs::read_to_string(self.proc.join("stat"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("btime"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<i64>().ok())
            })
            .unwrap_or(0);
        let p = &self.cfg.prefix;
        let f = |n: &str| {
            if p.is_empty() {
                n.to_string()
            } else {
                format!("{p}_{n}")
            }
        };
        let mut seen = HashMap::new();
        for pid in pids {
            let dir = self.proc.join(pid.to_string());
            let Some(st) = std::fs::read_to_string(dir.join("stat"))
                .ok()
                .and_then(|s| parse_pid_stat(&s))
            else {
                continue;
            };
            let mut m = Metric::new("procstat", now).with_tag(
                "process_name",
                self.cfg
                    .process_name
                    .clone()
                    .unwrap_or_else(|| st.comm.clone()),
            );
            for (k, v) in &sel {
                m.add_tag(*k, v.as_str());
            }
            if self.cfg.pid_tag {
                m.add_tag("pid", pid.to_string());
            } else {
                m.add_field("pid", pid as i64);
            }
            if self.cfg.cmdline_tag {
                let cmd = std::fs::read(dir.join("cmdline")).unwrap_or_default();
                m.add_tag(
                    "cmdline",
                    String::from_utf8_lossy(&cmd)
                        .replace('\0', " ")
                        .trim()
                        .to_string(),
                );
            }
            m.add_field(f("num_threads"), st.threads);
            m.add_field(f("cpu_time_user"), st.utime);
            m.add_field(f("cpu_time_system"), st.stime);
            let total = st.utime + st.stime;
            let t = std::time::Instant::now();
            if let Some((last, lt)) = self.last_cpu.get(&pid) {
                let dt = t.duration_since(*lt).as_secs_f64();
                if dt > 0.0 {
                    m.add_field(f("cpu_usage"), 100.0 * (total - last) / dt);
                }
            }
            seen.insert(pid, (total, t));
            m.add_field(f("memory_rss"), st.rss_pages * page);
            m.add_field(f("memory_vms"), st.vsize);
            let status = std::fs::read_to_string(dir.join("status")).unwrap_or_default();
            let kv = super::parse_kv_kb(&status);
            if let Some(s) = kv.get("VmSwap") {
                m.add_field(f("memory_swap"), *s as i64);
            }
            if let Some(s) = kv.get("VmData") {
                m.add_field(f("memory_data"), *s as i64);
            }
            if let Ok(io) = std::fs::read_to_string(dir.join("io")) {
                let kv = super::parse_kv_kb(&io);
                for (src, dst) in [
                    ("rchar", "read_count"),
                    ("wchar", "write_count"),
                    ("read_bytes", "read_bytes"),
                    ("write_bytes", "write_bytes"),
                ] {
                    if let Some(v) = kv.get(src) {
                        m.add_field(f(dst), *v as i64);
                    }
                }
            }
            let created_ms = (boot * 1000) + (st.starttime as i64 * 10);
            m.add_field(f("created_at"), created_ms * 1_000_000);
            acc.add(m);
        }
        self.last_cpu = seen;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::Value;

    #[test]
    fn stat_line() {
        let s = parse_pid_stat("42 (my proc) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 1000 123456 10 18446744073709551615").unwrap();
        assert_eq!(s.comm, "my proc");
        assert_eq!(s.utime, 2.5);
        assert_eq!(s.stime, 0.5);
        assert_eq!(s.threads, 3);
        assert_eq!(s.vsize, 123456);
        assert_eq!(s.rss_pages, 10);
        assert!(parse_pid_stat("garbage").is_none());
    }

    #[tokio::test]
    async fn finds_a_child_process() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let opts =
            PluginOptions::from_toml("inputs", "procstat", "exe = \"^sleep$\"\npid_tag = true")
                .unwrap();
        let mut p = build(&opts).unwrap();
        let (acc, mut rx) = Accumulator::collecting();
        let mut ms = Vec::new();
        for _ in 0..20 {
            p.gather(&acc).await.unwrap();
            ms = crate::plugin::drain(&mut rx);
            // Right after exec the kernel may not have mapped the new image yet
            // (RSS 0), so wait until the child is seen with resident memory.
            if ms.iter().any(|m| {
                m.tag("pid") == Some(&child.id().to_string())
                    && matches!(m.field("memory_rss"), Some(Value::Int(n)) if *n > 0)
            }) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        let lookup = ms.iter().find(|m| m.name == "procstat_lookup").unwrap();

        assert!(matches!(lookup.field("pid_count"), Some(Value::Int(n)) if *n >= 1));
        let ours = ms
            .iter()
            .find(|m| m.name == "procstat" && m.tag("pid") == Some(&child.id().to_string()))
            .expect("child found");
        assert_eq!(ours.tag("process_name"), Some("sleep"));
        assert!(matches!(ours.field("memory_rss"), Some(Value::Int(n)) if *n > 0));
        assert!(build(&PluginOptions::from_toml("inputs", "procstat", "").unwrap()).is_err());
    }
}

//! The servers a comparison runs: Almanac, InfluxDB 1.x (`influxd`) and
//! VictoriaMetrics, each started in its own temporary directory on a free
//! loopback port, watched through `/proc` while it runs, and stopped with
//! SIGTERM.
//!
//! influxd gets a minimal configuration: data, meta and WAL directories in
//! the temporary directory, the HTTP listener on loopback, reporting and the
//! monitor store disabled, `wal-fsync-delay = "0s"` so every acknowledged
//! write is fsynced, no series or tag-value limits, and short cold
//! durations so the cache is snapshotted to TSM and fully compacted soon
//! after the load ends. VictoriaMetrics keeps data for 100 years (the data
//! set is from 2016) and runs with its rollup-result cache disabled, so
//! repeated query windows are computed, not served from a cache.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde::Serialize;

use crate::stats;

/// A kind of server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// `almanac server`.
    Almanac,
    /// InfluxDB 1.x `influxd` (Debian package `influxdb`).
    Influxd,
    /// VictoriaMetrics single node (Debian package `victoria-metrics`).
    #[value(name = "victoria-metrics")]
    VictoriaMetrics,
}

impl Kind {
    /// Short name used in results.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Almanac => "almanac",
            Kind::Influxd => "influxd",
            Kind::VictoriaMetrics => "victoria-metrics",
        }
    }

    /// Executable looked up in PATH (Almanac's is given explicitly).
    pub fn default_binary(&self) -> &'static str {
        match self {
            Kind::Almanac => "almanac",
            Kind::Influxd => "influxd",
            Kind::VictoriaMetrics => "victoria-metrics",
        }
    }

    /// Debian package that provides the binary.
    pub fn package(&self) -> Option<&'static str> {
        match self {
            Kind::Almanac => None,
            Kind::Influxd => Some("influxdb"),
            Kind::VictoriaMetrics => Some("victoria-metrics"),
        }
    }

    /// Whether the server answers InfluxQL on `/query`.
    pub fn speaks_influxql(&self) -> bool {
        !matches!(self, Kind::VictoriaMetrics)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Finds `name` in PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        let p = PathBuf::from(name);
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The binary for `kind`, installing its Debian package with apt-get when it
/// is missing (needs root).
pub fn ensure_installed(kind: Kind) -> anyhow::Result<PathBuf> {
    if let Some(p) = which(kind.default_binary()) {
        return Ok(p);
    }
    let Some(pkg) = kind.package() else {
        bail!("{} not found in PATH", kind.default_binary());
    };
    eprintln!(
        "==> {} missing: apt-get install -y {pkg}",
        kind.default_binary()
    );
    let status = Command::new("apt-get")
        .args(["install", "-y", "--no-install-recommends", pkg])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .context("running apt-get")?;
    if !status.success() {
        bail!("apt-get install {pkg} failed ({status}); install it by hand");
    }
    which(kind.default_binary()).with_context(|| {
        format!(
            "{} still missing after installing {pkg}",
            kind.default_binary()
        )
    })
}

/// The version of an installed Debian package.
pub fn package_version(pkg: &str) -> Option<String> {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f", "${Version}", pkg])
        .output()
        .ok()?;
    let v = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !v.is_empty()).then_some(v)
}

/// The version line of a binary, plus its Debian package's version.
pub fn version_of(kind: Kind, binary: &Path) -> String {
    let line = version_line(kind, binary);
    match kind.package().and_then(package_version) {
        Some(v) if line.is_empty() => {
            format!("Debian package {} {v}", kind.package().unwrap_or(""))
        }
        Some(v) => format!("{line} (Debian package {v})"),
        None => line,
    }
}

fn version_line(kind: Kind, binary: &Path) -> String {
    let args: &[&str] = match kind {
        Kind::Almanac => &["--version"],
        Kind::Influxd => &["version"],
        Kind::VictoriaMetrics => &["-version"],
    };
    Command::new(binary)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map(|o| {
            let text = String::from_utf8_lossy(&o.stdout).to_string()
                + &String::from_utf8_lossy(&o.stderr);
            text.lines().next().unwrap_or("").trim().to_string()
        })
        .unwrap_or_else(|e| format!("unknown ({e})"))
}

/// A free TCP port on 127.0.0.1 (bound once and released).
pub fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(l.local_addr()?.port())
}

/// Bytes of the regular files under `dir` whose name satisfies `keep`.
pub fn dir_bytes(dir: &Path, keep: &dyn Fn(&Path) -> bool) -> u64 {
    let mut total = 0;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    for e in entries.flatten() {
        let path = e.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            total += dir_bytes(&path, keep);
        } else if meta.is_file() && keep(&path) {
            total += meta.len();
        }
    }
    total
}

/// Bytes allocated on disk (like `du`) by everything under `dir` except
/// files whose name satisfies `skip`; sparse, preallocated files count only
/// their allocated blocks.
pub fn allocated_bytes(dir: &Path, skip: &dyn Fn(&Path) -> bool) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut total = 0;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    for e in entries.flatten() {
        let path = e.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            total += allocated_bytes(&path, skip);
        } else if meta.is_file() && !skip(&path) {
            total += meta.blocks() * 512;
        }
    }
    total
}

/// Files under `dir` whose extension is `ext`.
pub fn count_files(dir: &Path, ext: &str) -> u64 {
    let mut n = 0;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() {
            n += count_files(&path, ext);
        } else if path.extension().is_some_and(|x| x == ext) {
            n += 1;
        }
    }
    n
}

/// Whether `path` has extension `ext`.
pub fn has_ext(path: &Path, ext: &str) -> bool {
    path.extension().is_some_and(|x| x == ext)
}

/// Latest `/proc` readings of a process, kept by a polling thread.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Usage {
    /// Largest VmHWM seen, bytes.
    pub peak_rss_bytes: u64,
    /// Last VmRSS seen, bytes.
    pub rss_bytes: u64,
    /// Last utime + stime seen, seconds.
    pub cpu_seconds: f64,
}

/// Polls `/proc/<pid>` every 50 ms until the process is gone or stopped.
#[derive(Debug)]
pub struct Monitor {
    usage: Arc<Mutex<Usage>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    pid: u32,
}

/// One reading of `/proc/<pid>`, None when the process is gone.
pub fn read_usage(pid: u32) -> Option<Usage> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (user, system) = stats::parse_stat_times(&stat).ok()?;
    Some(Usage {
        peak_rss_bytes: stats::status_kib_field(&status, "VmHWM")?,
        rss_bytes: stats::status_kib_field(&status, "VmRSS").unwrap_or(0),
        cpu_seconds: user + system,
    })
}

impl Monitor {
    /// Starts watching `pid`.
    pub fn start(pid: u32) -> Monitor {
        let usage = Arc::new(Mutex::new(read_usage(pid).unwrap_or_default()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let usage = usage.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match read_usage(pid) {
                        Some(u) => {
                            let mut cur = usage.lock().expect("usage lock");
                            cur.peak_rss_bytes = cur.peak_rss_bytes.max(u.peak_rss_bytes);
                            cur.rss_bytes = u.rss_bytes;
                            cur.cpu_seconds = cur.cpu_seconds.max(u.cpu_seconds);
                        }
                        None => break,
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            })
        };
        Monitor {
            usage,
            stop,
            thread: Some(thread),
            pid,
        }
    }

    /// The readings so far (refreshed now when the process is alive).
    pub fn usage(&self) -> Usage {
        let mut cur = self.usage.lock().expect("usage lock");
        if let Some(u) = read_usage(self.pid) {
            cur.peak_rss_bytes = cur.peak_rss_bytes.max(u.peak_rss_bytes);
            cur.rss_bytes = u.rss_bytes;
            cur.cpu_seconds = cur.cpu_seconds.max(u.cpu_seconds);
        }
        *cur
    }

    /// Stops polling and returns the final readings.
    pub fn finish(mut self) -> Usage {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        *self.usage.lock().expect("usage lock")
    }
}

/// How to start a server.
#[derive(Debug, Clone)]
pub struct ServerSpec {
    /// Kind.
    pub kind: Kind,
    /// Executable.
    pub binary: PathBuf,
    /// Working directory (data, config and log live here).
    pub dir: PathBuf,
    /// HTTP port on 127.0.0.1.
    pub port: u16,
    /// A second free port, for influxd's RPC service (backup/restore).
    pub rpc_port: u16,
    /// Extra command-line arguments.
    pub extra_args: Vec<String>,
}

impl ServerSpec {
    /// A spec in a fresh subdirectory `name` of `root` on a free port.
    pub fn new(kind: Kind, binary: PathBuf, root: &Path, name: &str) -> anyhow::Result<ServerSpec> {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(ServerSpec {
            kind,
            binary,
            dir,
            port: free_port()?,
            rpc_port: free_port()?,
            extra_args: Vec::new(),
        })
    }

    /// Base URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Where the server keeps its data.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// influxd's configuration file (written by [`ServerSpec::start`]).
    pub fn influxd_config(&self) -> String {
        let d = self.dir.display();
        let rpc = self.rpc_port;
        format!(
            "reporting-disabled = true\n\
             bind-address = \"127.0.0.1:{rpc}\"\n\
             [meta]\n  dir = \"{d}/meta\"\n\
             [data]\n  dir = \"{d}/data\"\n  wal-dir = \"{d}/wal\"\n  \
             wal-fsync-delay = \"0s\"\n  query-log-enabled = false\n  \
             max-series-per-database = 0\n  max-values-per-tag = 0\n  \
             cache-snapshot-write-cold-duration = \"10s\"\n  \
             compact-full-write-cold-duration = \"30s\"\n\
             [monitor]\n  store-enabled = false\n\
             [http]\n  bind-address = \"127.0.0.1:{port}\"\n  log-enabled = false\n\
             [continuous_queries]\n  enabled = false\n",
            port = self.port,
        )
    }

    fn command(&self) -> anyhow::Result<Command> {
        let mut cmd = Command::new(&self.binary);
        match self.kind {
            Kind::Almanac => {
                cmd.arg("server")
                    .arg("--data-dir")
                    .arg(self.data_dir())
                    .arg("--http-bind")
                    .arg(format!("127.0.0.1:{}", self.port));
            }
            Kind::Influxd => {
                let config = self.dir.join("influxdb.conf");
                std::fs::write(&config, self.influxd_config())
                    .with_context(|| format!("writing {}", config.display()))?;
                cmd.arg("-config").arg(config);
            }
            Kind::VictoriaMetrics => {
                cmd.arg(format!("-storageDataPath={}", self.data_dir().display()))
                    .arg(format!("-httpListenAddr=127.0.0.1:{}", self.port))
                    .arg("-retentionPeriod=100y")
                    .arg("-search.disableCache")
                    .arg("-loggerLevel=WARN");
            }
        }
        cmd.args(&self.extra_args);
        Ok(cmd)
    }

    /// Starts the server and waits until `/ping` answers (at most `timeout`).
    pub async fn start(&self, timeout: Duration) -> anyhow::Result<Server> {
        let log_path = self.dir.join(format!("{}.log", self.kind.name()));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .with_context(|| format!("opening {}", log_path.display()))?;
        let mut cmd = self.command()?;
        cmd.current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {}", self.binary.display()))?;
        let pid = child.id();
        let mut server = Server {
            spec: self.clone(),
            child: Some(child),
            pid,
            log_path,
            monitor: Some(Monitor::start(pid)),
            started: Instant::now(),
        };
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        let url = format!("{}/ping", self.url());
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = server.try_wait()? {
                bail!(
                    "{} exited during start-up ({status}); log:\n{}",
                    self.kind,
                    server.log_tail(30)
                );
            }
            if let Ok(resp) = client.get(&url).send().await {
                if resp.status().is_success() {
                    return Ok(server);
                }
            }
            if Instant::now() > deadline {
                server.kill();
                bail!(
                    "{} did not answer {url} within {timeout:?}; log:\n{}",
                    self.kind,
                    server.log_tail(30)
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A running server.
#[derive(Debug)]
pub struct Server {
    /// How it was started.
    pub spec: ServerSpec,
    child: Option<Child>,
    /// Process id.
    pub pid: u32,
    /// Its log file.
    pub log_path: PathBuf,
    monitor: Option<Monitor>,
    started: Instant,
}

/// How a server stopped.
#[derive(Debug, Clone, Serialize)]
pub struct Stopped {
    /// Exit code (None when killed by a signal).
    pub exit_code: Option<i32>,
    /// Seconds from SIGTERM to exit.
    pub shutdown_seconds: f64,
    /// Whether it had to be killed after the grace period.
    pub killed: bool,
    /// Resource use over the whole life of the process.
    pub usage: Usage,
    /// Seconds the process ran.
    pub uptime_seconds: f64,
}

impl Server {
    /// Base URL.
    pub fn url(&self) -> String {
        self.spec.url()
    }

    /// Current readings.
    pub fn usage(&self) -> Usage {
        self.monitor
            .as_ref()
            .map(Monitor::usage)
            .unwrap_or_default()
    }

    fn try_wait(&mut self) -> anyhow::Result<Option<std::process::ExitStatus>> {
        match self.child.as_mut() {
            Some(c) => Ok(c.try_wait()?),
            None => Ok(None),
        }
    }

    /// The last `n` lines of the log.
    pub fn log_tail(&self, n: usize) -> String {
        let text = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    fn signal(&self, sig: libc::c_int) {
        if let Ok(pid) = libc::pid_t::try_from(self.pid) {
            // SAFETY: kill(2) with a pid we spawned and still own (not yet reaped).
            unsafe {
                libc::kill(pid, sig);
            }
        }
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM, then wait up to `grace` for the exit (SIGKILL after it).
    pub async fn stop(mut self, grace: Duration) -> anyhow::Result<Stopped> {
        let t0 = Instant::now();
        self.signal(libc::SIGTERM);
        let mut killed = false;
        let status = loop {
            if let Some(s) = self.try_wait()? {
                break s;
            }
            if t0.elapsed() > grace {
                killed = true;
                self.signal(libc::SIGKILL);
                let mut c = self.child.take().context("child already reaped")?;
                break c.wait()?;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let shutdown_seconds = t0.elapsed().as_secs_f64();
        self.child = None;
        let usage = self.monitor.take().map(Monitor::finish).unwrap_or_default();
        Ok(Stopped {
            exit_code: status.code(),
            shutdown_seconds,
            killed,
            usage,
            uptime_seconds: self.started.elapsed().as_secs_f64(),
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        if let Some(m) = self.monitor.take() {
            m.finish();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn influxd_config_has_the_required_settings() {
        let spec = ServerSpec {
            kind: Kind::Influxd,
            binary: "influxd".into(),
            dir: "/tmp/x".into(),
            port: 18086,
            rpc_port: 18087,
            extra_args: vec![],
        };
        let c = spec.influxd_config();
        for needle in [
            "reporting-disabled = true",
            "dir = \"/tmp/x/data\"",
            "wal-dir = \"/tmp/x/wal\"",
            "dir = \"/tmp/x/meta\"",
            "wal-fsync-delay = \"0s\"",
            "max-series-per-database = 0",
            "[monitor]\n  store-enabled = false",
            "bind-address = \"127.0.0.1:18086\"",
            "bind-address = \"127.0.0.1:18087\"",
        ] {
            assert!(c.contains(needle), "missing {needle:?} in\n{c}");
        }
    }

    #[test]
    fn dir_sizes_and_counts() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("a/b")).unwrap();
        std::fs::write(d.path().join("a/b/x.parquet"), [0u8; 100]).unwrap();
        std::fs::write(d.path().join("a/y.parquet"), [0u8; 10]).unwrap();
        std::fs::write(d.path().join("z.wal"), [0u8; 7]).unwrap();
        assert_eq!(dir_bytes(d.path(), &|_| true), 117);
        assert_eq!(dir_bytes(d.path(), &|p| has_ext(p, "parquet")), 110);
        assert_eq!(count_files(d.path(), "parquet"), 2);
        assert_eq!(dir_bytes(&d.path().join("missing"), &|_| true), 0);
    }

    #[test]
    fn monitor_reads_own_process() {
        let m = Monitor::start(std::process::id());
        let u = m.usage();
        assert!(u.peak_rss_bytes > 0 && u.peak_rss_bytes >= u.rss_bytes);
        let f = m.finish();
        assert!(f.peak_rss_bytes >= u.peak_rss_bytes);
        assert!(read_usage(u32::MAX).is_none());
    }

    #[test]
    fn which_finds_sh() {
        assert!(which("sh").is_some());
        assert!(which("definitely-not-a-binary-xyz").is_none());
        assert!(free_port().unwrap() > 0);
    }
}

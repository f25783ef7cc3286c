//! `inputs.execd`: runs a long-lived program and parses what it prints, line by line.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use crate::config::{ConfigError, Dur, PluginOptions};
use crate::metric::now_ns;
use crate::parsers::Parser;
use crate::plugin::{Accumulator, Input, PluginError, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Input> = PluginSpec {
    name: "execd",
    description: "Run executable as long-running input plugin",
    sample: SAMPLE_CONFIG,
    data_format: true,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[inputs.execd]]
  ## One program to run as daemon.
  ## NOTE: process and each argument should each be their own string
  command = ["/path/to/program", "arg1"]

  ## Environment variables (KEY=value)
  # environment = []

  ## Define how the process is signaled on each collection interval.
  ## Valid values are:
  ##   "none"    : Do not signal anything. (Recommended for service inputs)
  ##   "STDIN"   : Send a newline on STDIN. (Recommended for gather inputs)
  ##   "SIGHUP"  : Send a HUP signal.
  ##   "SIGUSR1" : Send a USR1 signal.
  ##   "SIGUSR2" : Send a USR2 signal.
  signal = "none"

  ## Delay before the process is restarted after an unexpected termination
  restart_delay = "10s"

  ## Data format to consume.
  data_format = "influx"
"#;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct ExecdConfig {
    command: Vec<String>,
    environment: Vec<String>,
    signal: String,
    restart_delay: Dur,
    buffer_size: Option<crate::config::Size>,
    stop_on_error: bool,
}

impl Default for ExecdConfig {
    fn default() -> Self {
        ExecdConfig {
            command: vec![],
            environment: vec![],
            signal: "none".into(),
            restart_delay: Dur(Duration::from_secs(10)),
            buffer_size: None,
            stop_on_error: false,
        }
    }
}

fn build(o: &PluginOptions) -> Result<Box<dyn Input>, ConfigError> {
    let c: ExecdConfig = o.parse()?;
    if c.command.is_empty() {
        return Err(o.invalid_option("command", "command is required"));
    }
    if !matches!(
        c.signal.as_str(),
        "none" | "STDIN" | "SIGHUP" | "SIGUSR1" | "SIGUSR2"
    ) {
        return Err(o.invalid_option("signal", format!("unknown signal {:?}", c.signal)));
    }
    Ok(Box::new(Execd {
        parser: Arc::from(o.parser()?),
        cfg: c,
        task: None,
        stdin: Arc::new(Mutex::new(None)),
        pid: Arc::new(std::sync::atomic::AtomicU32::new(0)),
    }))
}

/// The execd input.
pub struct Execd {
    cfg: ExecdConfig,
    parser: Arc<dyn Parser>,
    task: Option<JoinHandle<()>>,
    stdin: Arc<Mutex<Option<tokio::process::ChildStdin>>>,
    pid: Arc<std::sync::atomic::AtomicU32>,
}

#[async_trait]
impl Input for Execd {
    async fn gather(&mut self, _acc: &Accumulator) -> Result<(), PluginError> {
        match self.cfg.signal.as_str() {
            "STDIN" => {
                if let Some(s) = self.stdin.lock().await.as_mut() {
                    s.write_all(b"\n").await?;
                    s.flush().await?;
                }
            }
            sig @ ("SIGHUP" | "SIGUSR1" | "SIGUSR2") => {
                let pid = self.pid.load(std::sync::atomic::Ordering::Relaxed);
                if pid != 0 {
                    let n = match sig {
                        "SIGHUP" => libc::SIGHUP,
                        "SIGUSR1" => libc::SIGUSR1,
                        _ => libc::SIGUSR2,
                    };
                    // SAFETY: sending a signal to our own child process id.
                    unsafe {
                        libc::kill(pid as i32, n);
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn is_service(&self) -> bool {
        true
    }

    async fn start(&mut self, acc: Accumulator) -> Result<(), PluginError> {
        let cfg = self.cfg.clone();
        let parser = self.parser.clone();
        let stdin_slot = self.stdin.clone();
        let pid_slot = self.pid.clone();
        self.task = Some(tokio::spawn(async move {
            loop {
                let mut cmd = tokio::process::Command::new(&cfg.command[0]);
                cmd.args(&cfg.command[1..])
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .kill_on_drop(true);
                for kv in &cfg.environment {
                    if let Some((k, v)) = kv.split_once('=') {
                        cmd.env(k, v);
                    }
                }
                match cmd.spawn() {
                    Err(e) => acc.add_error(format!("execd: starting {:?}: {e}", cfg.command[0])),
                    Ok(mut child) => {
                        pid_slot.store(
                            child.id().unwrap_or(0),
                            std::sync::atomic::Ordering::Relaxed,
                        );
                        *stdin_slot.lock().await = child.stdin.take();
                        if let Some(err) = child.stderr.take() {
                            let acc2 = acc.clone();
                            tokio::spawn(async move {
                                let mut lines = tokio::io::BufReader::new(err).lines();
                                while let Ok(Some(l)) = lines.next_line().await {
                                    acc2.add_error(format!("execd stderr: {l}"));
                                }
                            });
                        }
                        if let Some(out) = child.stdout.take() {
                            let mut lines = tokio::io::BufReader::new(out).lines();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l.trim().is_empty() {
                                    continue;
                                }
                                match parser.parse_line(&l, now_ns()) {
                                    Ok(ms) => ms.into_iter().for_each(|m| acc.add(m)),
                                    Err(e) => acc.add_error(format!("execd: parse error: {e}")),
                                }
                            }
                        }
                        let status = child.wait().await;
                        *stdin_slot.lock().await = None;
                        pid_slot.store(0, std::sync::atomic::Ordering::Relaxed);
                        acc.add_error(format!("execd: process exited: {status:?}"));
                        if cfg.stop_on_error {
                            return;
                        }
                    }
                }
                tokio::time::sleep(cfg.restart_delay.0).await;
            }
        }));
        Ok(())
    }

    async fn stop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::Value;

    #[tokio::test]
    async fn reads_lines_and_signals_stdin() {
        // a tiny "program": prints one metric per line read from stdin
        let o = PluginOptions::from_toml(
            "inputs",
            "execd",
            "command = [\"sh\", \"-c\", \"i=0; while read x; do i=$((i+1)); echo \\\"tick n=${i}i\\\"; done\"]\nsignal = \"STDIN\"\nrestart_delay = \"100ms\"",
        )
        .unwrap();
        let mut e = build(&o).unwrap();
        let (acc, mut rx) = Accumulator::collecting();
        e.start(acc.clone()).await.unwrap();
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(20)).await;
            e.gather(&acc).await.unwrap();
            if let Ok(m) = rx.try_recv() {
                assert_eq!(m.name, "tick");
                assert!(matches!(m.field("n"), Some(Value::Int(n)) if *n >= 1));
                e.stop().await;
                return;
            }
        }
        panic!("no metric from execd");
    }
}

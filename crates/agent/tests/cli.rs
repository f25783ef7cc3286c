//! CLI tests that run the `agent` example binary: `--test` output, config errors, SIGHUP
//! reload and SIGTERM flushing. Plain `cargo test -p almanac-agent` builds the example
//! first; with `--test cli` alone the example may be stale (build it with `--examples`).

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn agent_bin() -> PathBuf {
    // tests live in <target>/<profile>/deps; examples in <target>/<profile>/examples
    let exe = std::env::current_exe().unwrap();
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .unwrap()
        .join("examples");
    let bin = dir.join("agent");
    assert!(bin.exists(), "example binary missing at {}", bin.display());
    bin
}

#[test]
fn test_mode_prints_line_protocol() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("t.conf");
    std::fs::write(&conf, "[agent]\n  hostname = \"cli\"\n[[outputs.discard]]\n[[inputs.mem]]\n[[inputs.system]]\n  fieldpass = [\"n_cpus\"]\n").unwrap();
    let out = Command::new(agent_bin())
        .arg("--config")
        .arg(&conf)
        .arg("--test")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("> mem,host=cli ") && l.contains("used_percent=")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("> system,host=cli n_cpus=")),
        "{text}"
    );
}

#[test]
fn bad_config_fails_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("bad.conf");
    std::fs::write(
        &conf,
        "[[inputs.mem]]\n\n[[inputs.cpu]]\n  totalcpus = true\n",
    )
    .unwrap();
    let out = Command::new(agent_bin())
        .arg("--config")
        .arg(&conf)
        .arg("--test")
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.conf:4") && err.contains("totalcpus"),
        "{err}"
    );
}

#[test]
fn sample_config_and_usage() {
    let out = Command::new(agent_bin())
        .args([
            "config",
            "--input-filter",
            "cpu:mem",
            "--output-filter",
            "file",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("[[inputs.cpu]]")
            && text.contains("[[inputs.mem]]")
            && text.contains("[[outputs.file]]")
    );
    assert!(!text.contains("[[inputs.disk]]") && !text.contains("[[outputs.influxdb]]"));
    let out = Command::new(agent_bin())
        .args(["--usage", "statsd"])
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("[[inputs.statsd]]"));
    assert!(!Command::new(agent_bin())
        .args(["--usage", "nope"])
        .output()
        .unwrap()
        .status
        .success());
}

fn wait_for(path: &std::path::Path, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if pred(&text) || start.elapsed() > timeout {
            return text;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn sighup_reloads_and_sigterm_flushes() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("a.conf");
    let out = dir.path().join("out.lp");
    let base = format!(
        "[agent]\n  interval = \"200ms\"\n  round_interval = false\n  flush_interval = \"1h\"\n  omit_hostname = true\n[[outputs.file]]\n  files = [\"{}\"]\n[[inputs.mem]]\n",
        out.display()
    );
    std::fs::write(&conf, &base).unwrap();
    let pidfile = dir.path().join("agent.pid");
    let mut child = Command::new(agent_bin())
        .arg("--config")
        .arg(&conf)
        .arg("--pidfile")
        .arg(&pidfile)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(
        std::fs::read_to_string(&pidfile).unwrap().trim(),
        child.id().to_string()
    );
    // flush_interval is 1h: nothing is written until the reload stops the first agent
    std::fs::write(&conf, format!("{base}[[inputs.kernel]]\n")).unwrap();
    // SAFETY: signalling the child we spawned.
    unsafe { libc::kill(child.id() as i32, libc::SIGHUP) };
    let text = wait_for(&out, Duration::from_secs(10), |t| {
        t.lines().any(|l| l.starts_with("mem "))
    });
    assert!(
        text.lines().any(|l| l.starts_with("mem ")),
        "reload flushed the old agent: {text:?}"
    );
    std::thread::sleep(Duration::from_millis(800));
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(!pidfile.exists(), "pidfile removed at exit");
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.lines().any(|l| l.starts_with("kernel ")),
        "new input ran and was flushed at stop: {text}"
    );
}

//! `exec` handler: runs a program with the alert data JSON on its stdin.

use tokio::io::AsyncWriteExt;

use super::opt_str;
use crate::alert::{AlertEvent, HandlerSpec};

/// Options: `prog` (required), `args` (list of strings).
#[derive(Debug, Clone)]
pub struct ExecOptions {
    /// Program to run.
    pub prog: String,
    /// Its arguments.
    pub args: Vec<String>,
}

impl ExecOptions {
    /// Reads the options of a spec.
    pub fn from_spec(spec: &HandlerSpec) -> Result<ExecOptions, String> {
        let prog = opt_str(spec, "prog")?;
        let args = match spec.options.get("args") {
            None => Vec::new(),
            Some(serde_json::Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(String::from)
                        .ok_or("exec handler: args must be strings")
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err("exec handler: args must be a list".into()),
        };
        Ok(ExecOptions { prog, args })
    }
}

/// Runs the program and waits for it (60 s at most).
pub async fn deliver(opts: &ExecOptions, event: &AlertEvent) -> Result<(), String> {
    let mut child = tokio::process::Command::new(&opts.prog)
        .args(&opts.args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("exec handler {}: {e}", opts.prog))?;
    if let Some(mut stdin) = child.stdin.take() {
        let body = event.alert_data().to_string();
        // A program that exits without reading its input is judged by its
        // exit status below, not by the broken pipe.
        if let Err(e) = stdin.write_all(body.as_bytes()).await {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                return Err(format!("exec handler {}: {e}", opts.prog));
            }
        }
    }
    let out = tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
        .await
        .map_err(|_| format!("exec handler {}: timed out", opts.prog))?
        .map_err(|e| format!("exec handler {}: {e}", opts.prog))?;
    if !out.status.success() {
        return Err(format!(
            "exec handler {}: {}: {}",
            opts.prog,
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(())
}

//! `inputs.exec`: runs commands and parses their stdout with `data_format`.

use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;

use crate::config::{ConfigError, Dur, PluginOptions};
use crate::metric::now_ns;
use crate::parsers::Parser;
use crate::plugin::{Accumulator, Input, PluginError, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Input> = PluginSpec {
    name: "exec",
    description: "Read metrics from one or more commands that can output to stdout",
    sample: SAMPLE_CONFIG,
    data_format: true,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[inputs.exec]]
  ## Commands array
  commands = ["echo metric value=1i"]

  ## Environment variables (KEY=value)
  # environment = []

  ## Timeout for each command to complete.
  timeout = "5s"

  ## Data format to consume.
  data_format = "influx"
"#;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct ExecConfig {
    commands: Vec<String>,
    command: Option<String>,
    environment: Vec<String>,
    timeout: Dur,
    ignore_error: bool,
}

impl Default for ExecConfig {
    fn default() -> Self {
        ExecConfig {
            commands: vec![],
            command: None,
            environment: vec![],
            timeout: Dur(Duration::from_secs(5)),
            ignore_error: false,
        }
    }
}

fn build(o: &PluginOptions) -> Result<Box<dyn Input>, ConfigError> {
    let mut c: ExecConfig = o.parse()?;
    if let Some(cmd) = c.command.take() {
        c.commands.push(cmd);
    }
    let mut cmds = Vec::new();
    for cmd in &c.commands {
        let words = split_command(cmd).map_err(|e| o.invalid_option("commands", e))?;
        if words.is_empty() {
            return Err(o.invalid_option("commands", "empty command"));
        }
        cmds.push(words);
    }
    Ok(Box::new(Exec {
        cmds,
        env: c.environment,
        timeout: c.timeout.0,
        ignore_error: c.ignore_error,
        parser: o.parser()?,
    }))
}

/// Splits a command line like a POSIX shell would (quotes and backslashes, no expansion).
pub fn split_command(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut has = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                has = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => cur.push(x),
                        None => return Err("unterminated single quote".into()),
                    }
                }
            }
            '"' => {
                has = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x) => cur.push(x),
                            None => return Err("dangling backslash".into()),
                        },
                        Some(x) => cur.push(x),
                        None => return Err("unterminated double quote".into()),
                    }
                }
            }
            '\\' => match chars.next() {
                Some(x) => {
                    cur.push(x);
                    has = true;
                }
                None => return Err("dangling backslash".into()),
            },
            c if c.is_whitespace() => {
                if has {
                    out.push(std::mem::take(&mut cur));
                    has = false;
                }
            }
            c => {
                cur.push(c);
                has = true;
            }
        }
    }
    if has {
        out.push(cur);
    }
    Ok(out)
}

/// The exec input.
pub struct Exec {
    cmds: Vec<Vec<String>>,
    env: Vec<String>,
    timeout: Duration,
    ignore_error: bool,
    parser: Box<dyn Parser>,
}

#[async_trait]
impl Input for Exec {
    async fn gather(&mut self, acc: &Accumulator) -> Result<(), PluginError> {
        for words in &self.cmds {
            let mut cmd = tokio::process::Command::new(&words[0]);
            cmd.args(&words[1..])
                .kill_on_drop(true)
                .stdin(std::process::Stdio::null());
            for kv in &self.env {
                if let Some((k, v)) = kv.split_once('=') {
                    cmd.env(k, v);
                }
            }
            let out = match tokio::time::timeout(self.timeout, cmd.output()).await {
                Ok(Ok(o)) => o,
                Ok(Err(e)) => {
                    acc.add_error(format!("exec {:?}: {e}", words[0]));
                    continue;
                }
                Err(_) => {
                    acc.add_error(format!(
                        "exec {:?}: command timed out after {:?}",
                        words[0], self.timeout
                    ));
                    continue;
                }
            };
            if !out.status.success() && !self.ignore_error {
                acc.add_error(format!(
                    "exec {:?}: {}: {}",
                    words.join(" "),
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
                continue;
            }
            match self.parser.parse(&out.stdout, now_ns()) {
                Ok(ms) => ms.into_iter().for_each(|m| acc.add(m)),
                Err(e) => acc.add_error(format!("exec {:?}: parsing output: {e}", words[0])),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::Value;

    #[test]
    fn splitting() {
        assert_eq!(
            split_command("a 'b c' \"d\\\"e\" f\\ g").unwrap(),
            vec!["a", "b c", "d\"e", "f g"]
        );
        assert!(split_command("a 'b").is_err());
        assert_eq!(split_command("  ").unwrap(), Vec::<String>::new());
    }

    #[tokio::test]
    async fn runs_and_parses() {
        let o = PluginOptions::from_toml(
            "inputs",
            "exec",
            "commands = [\"echo '{\\\"a\\\": 1.5}'\", \"false\"]\ndata_format = \"json\"",
        )
        .unwrap();
        let mut e = build(&o).unwrap();
        let (acc, mut rx) = Accumulator::collecting();
        e.gather(&acc).await.unwrap();
        let ms = crate::plugin::drain(&mut rx);
        assert_eq!(ms.len(), 1);
        assert_eq!(ms[0].name, "exec");
        assert_eq!(ms[0].field("a"), Some(&Value::Float(1.5)));
    }
}

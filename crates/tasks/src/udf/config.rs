//! UDF configuration, as Kapacitor's `[udf.functions.NAME]` sections:
//! `prog`, `args`, `timeout`, `env` for a process the server starts, or
//! `socket` for an agent already listening on a unix socket.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::UdfError;

/// Kapacitor's default UDF timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The `[udf]` section.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UdfConfig {
    /// `[udf.functions.NAME]` by name (the name TICKscript calls as `@NAME()`).
    #[serde(default)]
    pub functions: BTreeMap<String, FunctionConfig>,
}

/// One `[udf.functions.NAME]` section.
#[derive(Deserialize, Debug, Clone, Default, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FunctionConfig {
    /// Program to run (its stdin/stdout speak the protocol).
    #[serde(default)]
    pub prog: String,
    /// Arguments of `prog`.
    #[serde(default)]
    pub args: Vec<String>,
    /// Go-style duration (`"10s"`): how long a request or keepalive may go unanswered.
    #[serde(default)]
    pub timeout: Option<String>,
    /// Extra environment variables of `prog`.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Unix socket of an agent that is already running (instead of `prog`).
    #[serde(default)]
    pub socket: String,
}

/// How to reach a UDF.
#[derive(Debug, Clone, PartialEq)]
pub enum Transport {
    /// A child process over stdin/stdout.
    Process {
        /// Program.
        prog: String,
        /// Its arguments.
        args: Vec<String>,
        /// Extra environment.
        env: BTreeMap<String, String>,
    },
    /// A unix socket.
    Socket(PathBuf),
}

impl FunctionConfig {
    /// The transport and timeout, checking that exactly one of `prog` and `socket` is set.
    pub fn resolve(&self, name: &str) -> Result<(Transport, Duration), UdfError> {
        let bad = |m: String| UdfError::Config {
            name: name.to_string(),
            message: m,
        };
        let transport = match (self.prog.is_empty(), self.socket.is_empty()) {
            (false, true) => Transport::Process {
                prog: self.prog.clone(),
                args: self.args.clone(),
                env: self.env.clone(),
            },
            (true, false) => {
                if !self.args.is_empty() || !self.env.is_empty() {
                    return Err(bad("args and env apply to prog, not to socket".into()));
                }
                Transport::Socket(PathBuf::from(&self.socket))
            }
            (false, false) => return Err(bad("set either prog or socket, not both".into())),
            (true, true) => return Err(bad("one of prog or socket is required".into())),
        };
        let timeout = match &self.timeout {
            None => DEFAULT_TIMEOUT,
            Some(text) => {
                let ns = crate::lambda::parse_duration_text(text)
                    .filter(|ns| *ns >= 0)
                    .ok_or_else(|| {
                        bad(format!("timeout: invalid duration {text:?} (e.g. \"10s\")"))
                    })?;
                Duration::from_nanos(ns as u64)
            }
        };
        Ok((transport, timeout))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_process_and_socket() {
        let c = FunctionConfig {
            prog: "/usr/bin/python3".into(),
            args: vec!["-u".into(), "avg.py".into()],
            timeout: Some("2s".into()),
            ..Default::default()
        };
        let (t, d) = c.resolve("avg").unwrap();
        assert!(matches!(t, Transport::Process { ref prog, .. } if prog == "/usr/bin/python3"));
        assert_eq!(d, Duration::from_secs(2));
        let c = FunctionConfig {
            socket: "/tmp/x.sock".into(),
            ..Default::default()
        };
        assert_eq!(
            c.resolve("s").unwrap(),
            (Transport::Socket("/tmp/x.sock".into()), DEFAULT_TIMEOUT)
        );
        let e = FunctionConfig::default().resolve("none").unwrap_err();
        assert_eq!(
            e.to_string(),
            "[udf.functions.none]: one of prog or socket is required"
        );
        let e = FunctionConfig {
            prog: "x".into(),
            timeout: Some("soon".into()),
            ..Default::default()
        }
        .resolve("t")
        .unwrap_err();
        assert!(e.to_string().contains("timeout: invalid duration"), "{e}");
    }
}

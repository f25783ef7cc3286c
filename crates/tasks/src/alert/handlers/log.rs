//! `log` handler: appends each event's alert data as one JSON line to a file.

use std::io::Write;

use super::opt_str;
use crate::alert::{AlertEvent, HandlerSpec};

/// Options: `path` (required), `mode` (file mode for a new file, default 0600).
#[derive(Debug, Clone)]
pub struct LogOptions {
    /// File to append to.
    pub path: String,
    /// Permissions of a newly created file.
    pub mode: u32,
}

impl LogOptions {
    /// Reads the options of a spec.
    pub fn from_spec(spec: &HandlerSpec) -> Result<LogOptions, String> {
        let path = opt_str(spec, "path")?;
        if !std::path::Path::new(&path).is_absolute() {
            return Err(format!("log handler: path must be absolute, got {path:?}"));
        }
        let mode = match spec.options.get("mode") {
            None => 0o600,
            Some(v) => {
                v.as_u64()
                    .filter(|m| *m <= 0o777)
                    .ok_or("log handler: mode must be an integer file mode")? as u32
            }
        };
        Ok(LogOptions { path, mode })
    }
}

/// Appends the event.
pub fn deliver(opts: &LogOptions, event: &AlertEvent) -> Result<(), String> {
    let mut o = std::fs::OpenOptions::new();
    o.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(opts.mode);
    }
    let mut f = o
        .open(&opts.path)
        .map_err(|e| format!("log handler {}: {e}", opts.path))?;
    let mut line = event.alert_data().to_string();
    line.push('\n');
    f.write_all(line.as_bytes())
        .map_err(|e| format!("log handler {}: {e}", opts.path))
}

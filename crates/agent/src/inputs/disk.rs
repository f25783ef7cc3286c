//! `inputs.disk`: file system usage (statvfs over the mount table).

use std::ffi::CString;
use std::path::PathBuf;

use async_trait::async_trait;
use serde::Deserialize;

use crate::config::{ConfigError, PluginOptions};
use crate::metric::{now_ns, Metric};
use crate::plugin::{Accumulator, Input, PluginError, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Input> = PluginSpec {
    name: "disk",
    description: "Read metrics about disk usage by mount point",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[inputs.disk]]
  ## By default stats will be gathered for all mount points.
  ## Set mount_points will restrict the stats to only the specified mount points.
  # mount_points = ["/"]

  ## Ignore mount points by filesystem type.
  ignore_fs = ["tmpfs", "devtmpfs", "devfs", "iso9660", "overlay", "aufs", "squashfs"]

  ## Ignore mount points by mount options.
  # ignore_mount_opts = []
"#;

/// Options.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DiskConfig {
    /// Only these mount points.
    pub mount_points: Vec<String>,
    /// Skip these file system types.
    pub ignore_fs: Vec<String>,
    /// Skip mounts with any of these options.
    pub ignore_mount_opts: Vec<String>,
    /// Deprecated name of `mount_points`.
    pub mountpoints: Vec<String>,
}

fn build(o: &PluginOptions) -> Result<Box<dyn Input>, ConfigError> {
    let mut cfg: DiskConfig = o.parse()?;
    let legacy = std::mem::take(&mut cfg.mountpoints);
    cfg.mount_points.extend(legacy);
    Ok(Box::new(Disk {
        cfg,
        proc: super::host_proc(),
        prefix: std::env::var("HOST_MOUNT_PREFIX").unwrap_or_default(),
    }))
}

/// The disk input.
pub struct Disk {
    cfg: DiskConfig,
    proc: PathBuf,
    prefix: String,
}

/// One mount table entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Mount {
    /// Device.
    pub device: String,
    /// Mount point.
    pub path: String,
    /// File system type.
    pub fstype: String,
    /// Options.
    pub opts: Vec<String>,
}

fn unescape_mount(s: &str) -> String {
    // /proc/mounts escapes space, tab, newline and backslash as octal (`\040`).
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            if let Some(v) = s
                .get(i + 1..i + 4)
                .and_then(|o| u8::from_str_radix(o, 8).ok())
            {
                out.push(v);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses `/proc/mounts`.
pub fn parse_mounts(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            if w.len() < 4 {
                return None;
            }
            Some(Mount {
                device: unescape_mount(w[0]),
                path: unescape_mount(w[1]),
                fstype: w[2].to_string(),
                opts: w[3].split(',').map(str::to_string).collect(),
            })
        })
        .collect()
}

/// Statvfs numbers.
#[derive(Debug, Clone, Copy, Default)]
pub struct FsStat {
    /// Fragment size.
    pub frsize: u64,
    /// Blocks.
    pub blocks: u64,
    /// Free blocks.
    pub bfree: u64,
    /// Blocks available to unprivileged users.
    pub bavail: u64,
    /// Inodes.
    pub files: u64,
    /// Free inodes.
    pub ffree: u64,
}

fn statvfs(path: &str) -> Option<FsStat> {
    let c = CString::new(path).ok()?;
    // SAFETY: `c` is a valid NUL-terminated path and `st` is a properly sized out-parameter.
    unsafe {
        let mut st: libc::statvfs = std::mem::zeroed();
        if libc::statvfs(c.as_ptr(), &mut st) != 0 {
            return None;
        }
        Some(FsStat {
            frsize: st.f_frsize as u64,
            blocks: st.f_blocks as u64,
            bfree: st.f_bfree as u64,
            bavail: st.f_bavail as u64,
            files: st.f_files as u64,
            ffree: st.f_ffree as u64,
        })
    }
}

/// The `disk` metric of one mount.
pub fn disk_metric(m: &Mount, s: &FsStat, time: i64) -> Metric {
    let total = s.blocks * s.frsize;
    let free = s.bavail * s.frsize;
    let used = (s.blocks.saturating_sub(s.bfree)) * s.frsize;
    let used_pct = if used + free > 0 {
        100.0 * used as f64 / (used + free) as f64
    } else {
        0.0
    };
    let inodes_used = s.files.saturating_sub(s.ffree);
    let ino_pct = if s.files > 0 {
        100.0 * inodes_used as f64 / s.files as f64
    } else {
        0.0
    };
    let i = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let device = m.device.rsplit('/').next().unwrap_or(&m.device).to_string();
    let mode = if m.opts.iter().any(|o| o == "ro") {
        "ro"
    } else {
        "rw"
    };
    Metric::new("disk", time)
        .with_tag("path", m.path.as_str())
        .with_tag("device", device)
        .with_tag("fstype", m.fstype.as_str())
        .with_tag("mode", mode)
        .with_field("total", i(total))
        .with_field("free", i(free))
        .with_field("used", i(used))
        .with_field("used_percent", used_pct)
        .with_field("inodes_total", i(s.files))
        .with_field("inodes_free", i(s.ffree))
        .with_field("inodes_used", i(inodes_used))
        .with_field("inodes_used_percent", ino_pct)
}

impl Disk {
    fn selected(&self, m: &Mount) -> bool {
        if self.cfg.ignore_fs.contains(&m.fstype) {
            return false;
        }
        if m.opts
            .iter()
            .any(|o| self.cfg.ignore_mount_opts.contains(o))
        {
            return false;
        }
        self.cfg.mount_points.is_empty() || self.cfg.mount_points.contains(&m.path)
    }
}

#[async_trait]
impl Input for Disk {
    async fn gather(&mut self, acc: &Accumulator) -> Result<(), PluginError> {
        let text = std::fs::read_to_string(self.proc.join("self/mounts"))
            .or_else(|_| std::fs::read_to_string(self.proc.join("mounts")))?;
        let now = now_ns();
        let mut seen = std::collections::HashSet::new();
        for m in parse_mounts(&text) {
            if !self.selected(&m) || !seen.insert(m.path.clone()) {
                continue;
            }
            let Some(st) = statvfs(&format!("{}{}", self.prefix, m.path)) else {
                continue;
            };
            if st.blocks == 0 {
                continue;
            }
            acc.add(disk_metric(&m, &st, now));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::Value;

    #[test]
    fn mounts_and_math() {
        let ms = parse_mounts("/dev/sda1 / ext4 rw,relatime 0 0\ntmpfs /run tmpfs rw 0 0\n/dev/sdb /mnt/my\\040disk xfs ro 0 0\n");
        assert_eq!(ms.len(), 3);
        assert_eq!(ms[2].path, "/mnt/my disk");
        let st = FsStat {
            frsize: 4096,
            blocks: 100,
            bfree: 40,
            bavail: 30,
            files: 10,
            ffree: 4,
        };
        let m = disk_metric(&ms[0], &st, 1);
        assert_eq!(m.tag("device"), Some("sda1"));
        assert_eq!(m.tag("mode"), Some("rw"));
        assert_eq!(m.field("used"), Some(&Value::Int(60 * 4096)));
        assert_eq!(m.field("free"), Some(&Value::Int(30 * 4096)));
        assert_eq!(
            m.field("used_percent"),
            Some(&Value::Float(100.0 * 60.0 / 90.0))
        );
        assert_eq!(m.field("inodes_used"), Some(&Value::Int(6)));
        assert_eq!(disk_metric(&ms[2], &st, 1).tag("mode"), Some("ro"));
    }

    #[tokio::test]
    async fn this_host_root() {
        let opts = PluginOptions::from_toml("inputs", "disk", "mount_points = [\"/\"]").unwrap();
        let mut i = build(&opts).unwrap();
        let (acc, mut rx) = Accumulator::collecting();
        i.gather(&acc).await.unwrap();
        let ms = crate::plugin::drain(&mut rx);
        let root = ms
            .iter()
            .find(|m| m.tag("path") == Some("/"))
            .expect("root fs");
        let p = root.field("used_percent").and_then(Value::as_f64).unwrap();
        assert!((0.0..=100.0).contains(&p));
        assert!(root.field("inodes_used").is_some());
    }
}

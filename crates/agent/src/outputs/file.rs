//! `outputs.file`: writes serialized metrics to stdout and/or files, with rotation.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::Deserialize;

use crate::config::{ConfigError, Dur, PluginOptions, Size};
use crate::metric::Metric;
use crate::plugin::{Output, PluginError, PluginSpec};
use crate::serializers::Serializer;

/// Registry entry.
pub const SPEC: PluginSpec<dyn Output> = PluginSpec {
    name: "file",
    description: "Send telegraf metrics to file(s)",
    sample: SAMPLE_CONFIG,
    data_format: true,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[outputs.file]]
  ## Files to write to, "stdout" is a specially handled file.
  files = ["stdout"]

  ## Use batch serialization format instead of line based delimiting.
  # use_batch_format = false

  ## The file will be rotated after the time interval specified.  When set
  ## to 0 no time based rotation is performed.
  # rotation_interval = "0h"

  ## The logfile will be rotated when it becomes larger than the specified
  ## size.  When set to 0 no size based rotation is performed.
  # rotation_max_size = "0MB"

  ## Maximum number of rotated archives to keep, any older logs are deleted.
  ## If set to -1, no archives are removed.
  # rotation_max_archives = 5

  ## Data format to output.
  data_format = "influx"
"#;

/// Options.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileConfig {
    /// Targets; `stdout` is special.
    pub files: Vec<String>,
    /// Rotate after this long.
    pub rotation_interval: Dur,
    /// Rotate past this size.
    pub rotation_max_size: Size,
    /// Archives kept (-1 = all).
    pub rotation_max_archives: i64,
    /// Compression (not supported).
    pub compression_algorithm: Option<String>,
}

impl Default for FileConfig {
    fn default() -> Self {
        FileConfig {
            files: vec!["stdout".into()],
            rotation_interval: Dur::default(),
            rotation_max_size: Size::default(),
            rotation_max_archives: 5,
            compression_algorithm: None,
        }
    }
}

fn build(o: &PluginOptions) -> Result<Box<dyn Output>, ConfigError> {
    let c: FileConfig = o.parse()?;
    if c.compression_algorithm.is_some() {
        return Err(o.not_supported("compression_algorithm"));
    }
    let ser = o.serializer()?;
    Ok(Box::new(FileOutput {
        targets: c
            .files
            .iter()
            .map(|f| Target {
                path: (f != "stdout").then(|| PathBuf::from(f)),
                file: None,
                opened: Instant::now(),
                size: 0,
            })
            .collect(),
        cfg: c,
        ser,
    }))
}

struct Target {
    path: Option<PathBuf>,
    file: Option<std::fs::File>,
    opened: Instant,
    size: u64,
}

/// The file output.
pub struct FileOutput {
    cfg: FileConfig,
    ser: Box<dyn Serializer>,
    targets: Vec<Target>,
}

impl FileOutput {
    fn rotate(&self, t: &mut Target) -> std::io::Result<()> {
        let Some(path) = &t.path else { return Ok(()) };
        t.file = None;
        let stamp = chrono::Utc::now().format("%Y-%m-%d-%H%M%S%.9f");
        let archived = PathBuf::from(format!("{}.{stamp}", path.display()));
        std::fs::rename(path, &archived)?;
        if self.cfg.rotation_max_archives >= 0 {
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let base = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_string();
            let mut archives: Vec<PathBuf> = std::fs::read_dir(dir)?
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(&format!("{base}.")))
                })
                .collect();
            archives.sort();
            let keep = self.cfg.rotation_max_archives as usize;
            while archives.len() > keep {
                let old = archives.remove(0);
                let _ = std::fs::remove_file(old);
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Output for FileOutput {
    async fn write(&mut self, metrics: &[Metric]) -> Result<(), PluginError> {
        let mut buf = Vec::new();
        self.ser.serialize(metrics, &mut buf);
        let max = self.cfg.rotation_max_size.0;
        let iv = self.cfg.rotation_interval.0;
        let mut targets = std::mem::take(&mut self.targets);
        let mut result = Ok(());
        for t in targets.iter_mut() {
            let r = (|| -> std::io::Result<()> {
                let Some(path) = t.path.clone() else {
                    let mut out = std::io::stdout().lock();
                    out.write_all(&buf)?;
                    return out.flush();
                };
                let due = (max > 0 && t.size > 0 && t.size + buf.len() as u64 > max)
                    || (iv > Duration::ZERO && t.opened.elapsed() >= iv && t.size > 0);
                if due && t.file.is_some() {
                    self.rotate(t)?;
                }
                if t.file.is_none() {
                    let f = std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(&path)?;
                    t.size = f.metadata().map(|m| m.len()).unwrap_or(0);
                    t.opened = Instant::now();
                    t.file = Some(f);
                }
                if let Some(f) = t.file.as_mut() {
                    f.write_all(&buf)?;
                    t.size += buf.len() as u64;
                }
                Ok(())
            })();
            if let Err(e) = r {
                result = Err(anyhow::anyhow!("writing {:?}: {e}", t.path));
            }
        }
        self.targets = targets;
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn writes_json_and_rotates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        let toml = format!(
            "files = [{:?}]\ndata_format = \"json\"\nrotation_max_size = 150\nrotation_max_archives = 1",
            path.display().to_string()
        );
        let mut f = build(&PluginOptions::from_toml("outputs", "file", &toml).unwrap()).unwrap();
        for i in 0..4 {
            f.write(&[Metric::new("m", i * 1_000_000_000).with_field("v", i)])
                .await
                .unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"name\":\"m\""), "{text}");
        let archives = std::fs::read_dir(dir.path()).unwrap().count() - 1;
        assert_eq!(archives, 1, "rotation keeps one archive");
    }
}

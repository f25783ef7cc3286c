//! `inputs.temp`: temperatures from `/sys/class/hwmon` (°C), tag `sensor`.

use std::path::PathBuf;

use async_trait::async_trait;
use serde::Deserialize;

use crate::config::{ConfigError, PluginOptions};
use crate::metric::{now_ns, Metric};
use crate::plugin::{Accumulator, Input, PluginError, PluginSpec};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Input> = PluginSpec {
    name: "temp",
    description: "Read metrics about temperature",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = "[[inputs.temp]]\n  ## Add device tag to distinguish devices with the same name (accepted)\n  # add_device_tag = false\n";

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct TempConfig {
    add_device_tag: bool,
    metric_format: Option<String>,
}

fn build(o: &PluginOptions) -> Result<Box<dyn Input>, ConfigError> {
    let c: TempConfig = o.parse()?;
    if c.metric_format.as_deref().is_some_and(|f| f != "v2") {
        return Err(o.not_supported("metric_format other than v2"));
    }
    Ok(Box::new(Temp {
        sys: super::host_sys(),
        add_device_tag: c.add_device_tag,
    }))
}

/// The temp input.
pub struct Temp {
    sys: PathBuf,
    add_device_tag: bool,
}

/// Sensor name the way Telegraf builds it: `<chip>_<label>` lowercased, spaces → `_`.
pub fn sensor_name(chip: &str, label: Option<&str>, idx: &str) -> String {
    let base = match label {
        Some(l) if !l.trim().is_empty() => format!("{chip}_{}", l.trim()),
        _ => format!("{chip}_{idx}"),
    };
    base.to_lowercase().replace(' ', "_")
}

/// Reads every hwmon `temp*_input` under `<sys>/class/hwmon`.
pub fn read_hwmon(sys: &std::path::Path, add_device: bool, time: i64) -> Vec<Metric> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(sys.join("class/hwmon")) else {
        return out;
    };
    let mut dirs: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    dirs.sort();
    for d in dirs {
        let chip = std::fs::read_to_string(d.join("name"))
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        let Ok(files) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut inputs: Vec<String> = files
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.starts_with("temp") && n.ends_with("_input"))
            .collect();
        inputs.sort();
        for f in inputs {
            let idx = f.trim_end_matches("_input");
            let Some(milli) = std::fs::read_to_string(d.join(&f))
                .ok()
                .and_then(|s| s.trim().parse::<f64>().ok())
            else {
                continue;
            };
            let label = std::fs::read_to_string(d.join(format!("{idx}_label"))).ok();
            let mut m = Metric::new("temp", time)
                .with_tag("sensor", sensor_name(&chip, label.as_deref(), idx))
                .with_field("temp", milli / 1000.0);
            if add_device {
                if let Some(dev) = d.file_name().and_then(|n| n.to_str()) {
                    m.add_tag("device", dev);
                }
            }
            out.push(m);
        }
    }
    out
}

#[async_trait]
impl Input for Temp {
    async fn gather(&mut self, acc: &Accumulator) -> Result<(), PluginError> {
        for m in read_hwmon(&self.sys, self.add_device_tag, now_ns()) {
            acc.add(m);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::Value;

    #[test]
    fn fixture_tree() {
        let dir = tempfile::tempdir().unwrap();
        let h = dir.path().join("class/hwmon/hwmon0");
        std::fs::create_dir_all(&h).unwrap();
        std::fs::write(h.join("name"), "coretemp\n").unwrap();
        std::fs::write(h.join("temp1_input"), "45000\n").unwrap();
        std::fs::write(h.join("temp1_label"), "Package id 0\n").unwrap();
        std::fs::write(h.join("temp2_input"), "41500\n").unwrap();
        let ms = read_hwmon(dir.path(), false, 1);
        assert_eq!(ms.len(), 2);
        assert_eq!(ms[0].tag("sensor"), Some("coretemp_package_id_0"));
        assert_eq!(ms[0].field("temp"), Some(&Value::Float(45.0)));
        assert_eq!(ms[1].tag("sensor"), Some("coretemp_temp2"));
    }
}

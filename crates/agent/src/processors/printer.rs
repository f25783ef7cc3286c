//! `processors.printer`: prints every metric (serialized) to stdout and passes it on.

use std::io::Write;

use crate::config::{ConfigError, PluginOptions};
use crate::metric::Metric;
use crate::plugin::{PluginSpec, Processor};
use crate::serializers::Serializer;

/// Registry entry.
pub const SPEC: PluginSpec<dyn Processor> = PluginSpec {
    name: "printer",
    description: "Print all metrics that pass through this filter.",
    sample: SAMPLE_CONFIG,
    data_format: true,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[processors.printer]]
  ## Data format to print in.
  # data_format = "influx"
"#;

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PrinterConfig {}

fn build(o: &PluginOptions) -> Result<Box<dyn Processor>, ConfigError> {
    let _: PrinterConfig = o.parse()?;
    Ok(Box::new(Printer {
        ser: o.serializer()?,
        sink: None,
    }))
}

/// The printer processor.
pub struct Printer {
    ser: Box<dyn Serializer>,
    /// Test hook: capture instead of stdout.
    sink: Option<Vec<u8>>,
}

impl crate::plugin::Processor for Printer {
    fn apply(&mut self, metrics: Vec<Metric>) -> Vec<Metric> {
        let mut buf = Vec::new();
        self.ser.serialize(&metrics, &mut buf);
        match &mut self.sink {
            Some(s) => s.extend_from_slice(&buf),
            None => {
                let _ = std::io::stdout().lock().write_all(&buf);
            }
        }
        metrics
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::Processor;

    #[test]
    fn prints_and_passes() {
        let o =
            PluginOptions::from_toml("processors", "printer", "data_format = \"influx\"").unwrap();
        let mut p = Printer {
            ser: o.serializer().unwrap(),
            sink: Some(Vec::new()),
        };
        let out = p.apply(vec![Metric::new("m", 7).with_field("v", 1i64)]);
        assert_eq!(out.len(), 1);
        assert_eq!(p.sink.as_deref(), Some(&b"m v=1i 7\n"[..]));
    }
}

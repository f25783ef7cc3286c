//! `processors.converter`: changes tags to fields and field types.

use serde::Deserialize;

use crate::config::{ConfigError, PluginOptions};
use crate::filter::GlobSet;
use crate::metric::{Metric, Value};
use crate::plugin::{PluginSpec, Processor};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Processor> = PluginSpec {
    name: "converter",
    description: "Convert values to another metric value type",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[processors.converter]]
  ## Tags to convert
  ##
  ## The table key determines the target type, and the array of key-values
  ## select the keys to convert.  The array may contain globs.
  ##   <target-type> = [<tag-key>...]
  [processors.converter.tags]
    measurement = []
    string = []
    integer = []
    unsigned = []
    boolean = []
    float = []

  ## Fields to convert
  [processors.converter.fields]
    measurement = []
    tag = []
    string = []
    integer = []
    unsigned = []
    boolean = []
    float = []
"#;

/// Keys per target type.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Targets {
    /// → measurement name.
    pub measurement: Vec<String>,
    /// → tag (fields only).
    pub tag: Vec<String>,
    /// → string field.
    pub string: Vec<String>,
    /// → integer field.
    pub integer: Vec<String>,
    /// → unsigned field.
    pub unsigned: Vec<String>,
    /// → boolean field.
    pub boolean: Vec<String>,
    /// → float field.
    pub float: Vec<String>,
    /// → metric time (fields only).
    pub timestamp: Vec<String>,
    /// Format of `timestamp` conversions.
    pub timestamp_format: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct ConverterConfig {
    tags: Targets,
    fields: Targets,
}

fn build(o: &PluginOptions) -> Result<Box<dyn Processor>, ConfigError> {
    let c: ConverterConfig = o.parse()?;
    if !c.tags.tag.is_empty() || !c.tags.timestamp.is_empty() {
        return Err(o.invalid_option("tags", "tags cannot be converted to `tag` or `timestamp`"));
    }
    Ok(Box::new(Converter::new(c.tags, c.fields)))
}

struct Compiled {
    measurement: GlobSet,
    tag: GlobSet,
    string: GlobSet,
    integer: GlobSet,
    unsigned: GlobSet,
    boolean: GlobSet,
    float: GlobSet,
    timestamp: GlobSet,
    timestamp_format: String,
}

impl Compiled {
    fn new(t: &Targets) -> Compiled {
        Compiled {
            measurement: GlobSet::new(&t.measurement),
            tag: GlobSet::new(&t.tag),
            string: GlobSet::new(&t.string),
            integer: GlobSet::new(&t.integer),
            unsigned: GlobSet::new(&t.unsigned),
            boolean: GlobSet::new(&t.boolean),
            float: GlobSet::new(&t.float),
            timestamp: GlobSet::new(&t.timestamp),
            timestamp_format: t.timestamp_format.clone().unwrap_or_else(|| "unix".into()),
        }
    }
}

/// The converter processor.
pub struct Converter {
    tags: Compiled,
    fields: Compiled,
}

fn to_int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::UInt(u) => i64::try_from(*u).ok(),
        Value::Float(f) if f.is_finite() && *f >= i64::MIN as f64 && *f <= i64::MAX as f64 => {
            Some(*f as i64)
        }
        Value::Bool(b) => Some(*b as i64),
        Value::Str(s) => s
            .parse::<i64>()
            .ok()
            .or_else(|| {
                s.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(|f| f as i64)
            })
            .or_else(|| s.parse::<bool>().ok().map(|b| b as i64))
            .or_else(|| {
                s.strip_prefix("0x")
                    .and_then(|h| i64::from_str_radix(h, 16).ok())
            }),
        _ => None,
    }
}

fn to_uint(v: &Value) -> Option<u64> {
    match v {
        Value::UInt(u) => Some(*u),
        Value::Int(i) => u64::try_from(*i).ok(),
        Value::Float(f) if f.is_finite() && *f >= 0.0 => Some(*f as u64),
        Value::Bool(b) => Some(*b as u64),
        Value::Str(s) => s
            .parse::<u64>()
            .ok()
            .or_else(|| {
                s.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite() && *f >= 0.0)
                    .map(|f| f as u64)
            })
            .or_else(|| s.parse::<bool>().ok().map(|b| b as u64)),
        _ => None,
    }
}

fn to_float(v: &Value) -> Option<f64> {
    match v {
        Value::Str(s) => s
            .parse::<f64>()
            .ok()
            .or_else(|| s.parse::<bool>().ok().map(|b| b as u8 as f64)),
        v => v.as_f64(),
    }
}

fn to_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Str(s) => s
            .parse::<bool>()
            .ok()
            .or_else(|| s.parse::<f64>().ok().map(|f| f != 0.0)),
        v => v.as_f64().map(|f| f != 0.0),
    }
}

impl Converter {
    /// Builds from the two target tables.
    pub fn new(tags: Targets, fields: Targets) -> Converter {
        Converter {
            tags: Compiled::new(&tags),
            fields: Compiled::new(&fields),
        }
    }

    fn convert(&self, m: &mut Metric) {
        let tag_keys: Vec<String> = m.tags.keys().cloned().collect();
        for k in tag_keys {
            let t = &self.tags;
            let Some(v) = m.tags.get(&k).cloned() else {
                continue;
            };
            let sv = Value::Str(v.clone());
            let nv = if t.measurement.matches(&k) {
                m.name = v;
                m.tags.remove(&k);
                continue;
            } else if t.string.matches(&k) {
                Some(sv)
            } else if t.integer.matches(&k) {
                to_int(&sv).map(Value::Int)
            } else if t.unsigned.matches(&k) {
                to_uint(&sv).map(Value::UInt)
            } else if t.boolean.matches(&k) {
                to_bool(&sv).map(Value::Bool)
            } else if t.float.matches(&k) {
                to_float(&sv).map(Value::Float)
            } else {
                continue;
            };
            m.tags.remove(&k);
            if let Some(nv) = nv {
                m.fields.insert(k, nv);
            }
        }
        let field_keys: Vec<String> = m.fields.keys().cloned().collect();
        for k in field_keys {
            let f = &self.fields;
            let Some(v) = m.fields.get(&k).cloned() else {
                continue;
            };
            if f.measurement.matches(&k) {
                m.name = v.to_plain_string();
                m.fields.remove(&k);
            } else if f.tag.matches(&k) {
                m.tags.insert(k.clone(), v.to_plain_string());
                m.fields.remove(&k);
            } else if f.timestamp.matches(&k) {
                if let Ok(ns) = crate::timefmt::parse_time(&v, &f.timestamp_format) {
                    m.time = ns;
                    m.fields.remove(&k);
                }
            } else {
                let nv = if f.string.matches(&k) {
                    Some(Value::Str(v.to_plain_string()))
                } else if f.integer.matches(&k) {
                    to_int(&v).map(Value::Int)
                } else if f.unsigned.matches(&k) {
                    to_uint(&v).map(Value::UInt)
                } else if f.boolean.matches(&k) {
                    to_bool(&v).map(Value::Bool)
                } else if f.float.matches(&k) {
                    to_float(&v).map(Value::Float)
                } else {
                    continue;
                };
                match nv {
                    Some(nv) => {
                        m.fields.insert(k, nv);
                    }
                    None => {
                        m.fields.remove(&k);
                    }
                }
            }
        }
    }
}

impl Processor for Converter {
    fn apply(&mut self, mut metrics: Vec<Metric>) -> Vec<Metric> {
        for m in metrics.iter_mut() {
            self.convert(m);
        }
        metrics
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts() {
        let o = PluginOptions::from_toml(
            "processors",
            "converter",
            "[processors.converter.tags]\ninteger = [\"port\"]\nmeasurement = [\"kind\"]\n[processors.converter.fields]\ntag = [\"host*\"]\nfloat = [\"v\"]\ninteger = [\"s\"]\n",
        )
        .unwrap();
        let mut p = build(&o).unwrap();
        let m = Metric::new("m", 1)
            .with_tag("port", "8080")
            .with_tag("kind", "web")
            .with_field("hostname", "a")
            .with_field("v", 3i64)
            .with_field("s", "12.7")
            .with_field("keep", true);
        let out = p.apply(vec![m]).pop().unwrap();
        assert_eq!(out.name, "web");
        assert_eq!(out.field("port"), Some(&Value::Int(8080)));
        assert_eq!(out.tag("hostname"), Some("a"));
        assert_eq!(out.field("v"), Some(&Value::Float(3.0)));
        assert_eq!(out.field("s"), Some(&Value::Int(12)));
        assert_eq!(out.field("keep"), Some(&Value::Bool(true)));
    }
}

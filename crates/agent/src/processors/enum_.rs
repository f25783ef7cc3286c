//! `processors.enum`: maps tag/field values through a table.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::config::{ConfigError, PluginOptions};
use crate::filter::GlobSet;
use crate::metric::{Metric, Value};
use crate::plugin::{PluginSpec, Processor};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Processor> = PluginSpec {
    name: "enum",
    description: "Map enum values according to given table.",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[processors.enum]]
  [[processors.enum.mapping]]
    ## Names of the fields to map. Globs accepted.
    fields = ["status"]

    ## Name of the tags to map. Globs accepted.
    # tags = ["status"]

    ## Destination tag or field to be used for the mapped value.  By default the
    ## source tag or field is used, overwriting the original value.
    dest = "status_code"

    ## Default value to be used for all values not contained in the mapping
    ## table.  When unset and no match is found, the original field will remain
    ## unmodified and the destination tag or field will not be created.
    # default = 0

    ## Table of mappings
    [processors.enum.mapping.value_mappings]
      green = 1
      amber = 2
      red = 3
"#;

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Mapped {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
}

impl Mapped {
    fn value(&self) -> Value {
        match self {
            Mapped::Int(i) => Value::Int(*i),
            Mapped::Float(f) => Value::Float(*f),
            Mapped::Bool(b) => Value::Bool(*b),
            Mapped::Str(s) => Value::Str(s.clone()),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Mapping {
    field: Option<String>,
    fields: Vec<String>,
    tag: Option<String>,
    tags: Vec<String>,
    dest: Option<String>,
    default: Option<Mapped>,
    value_mappings: BTreeMap<String, Mapped>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct EnumConfig {
    mapping: Vec<Mapping>,
}

struct Compiled {
    fields: GlobSet,
    tags: GlobSet,
    m: Mapping,
}

fn build(o: &PluginOptions) -> Result<Box<dyn Processor>, ConfigError> {
    let c: EnumConfig = o.parse()?;
    let maps = c
        .mapping
        .into_iter()
        .map(|m| {
            let mut f = m.fields.clone();
            f.extend(m.field.clone());
            let mut t = m.tags.clone();
            t.extend(m.tag.clone());
            Compiled {
                fields: GlobSet::new(&f),
                tags: GlobSet::new(&t),
                m,
            }
        })
        .collect();
    Ok(Box::new(Enum { maps }))
}

/// The enum processor.
pub struct Enum {
    maps: Vec<Compiled>,
}

impl Enum {
    fn lookup(m: &Mapping, v: &Value) -> Option<Value> {
        let key = v.to_plain_string();
        m.value_mappings
            .get(&key)
            .or(m.default.as_ref())
            .map(Mapped::value)
    }
}

impl Processor for Enum {
    fn apply(&mut self, mut metrics: Vec<Metric>) -> Vec<Metric> {
        for metric in metrics.iter_mut() {
            for c in &self.maps {
                if !c.fields.is_empty() {
                    let keys: Vec<String> = metric
                        .fields
                        .keys()
                        .filter(|k| c.fields.matches(k))
                        .cloned()
                        .collect();
                    for k in keys {
                        let Some(v) = metric.fields.get(&k) else {
                            continue;
                        };
                        if matches!(v, Value::Float(_)) {
                            continue; // Telegraf only maps string/int/uint/bool values
                        }
                        if let Some(nv) = Self::lookup(&c.m, v) {
                            metric.fields.insert(c.m.dest.clone().unwrap_or(k), nv);
                        }
                    }
                }
                if !c.tags.is_empty() {
                    let keys: Vec<String> = metric
                        .tags
                        .keys()
                        .filter(|k| c.tags.matches(k))
                        .cloned()
                        .collect();
                    for k in keys {
                        let Some(v) = metric.tags.get(&k) else {
                            continue;
                        };
                        if let Some(nv) = Self::lookup(&c.m, &Value::Str(v.clone())) {
                            metric
                                .tags
                                .insert(c.m.dest.clone().unwrap_or(k), nv.to_plain_string());
                        }
                    }
                }
            }
        }
        metrics
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps() {
        let mut c = crate::config::Config::default();
        c.add_text("t", SAMPLE_CONFIG, &Default::default()).unwrap();
        let p = &mut c.processors[0].plugin;
        let out = p.apply(vec![
            Metric::new("m", 1).with_field("status", "red"),
            Metric::new("m", 1).with_field("status", "blue"),
        ]);
        assert_eq!(out[0].field("status_code"), Some(&Value::Int(3)));
        assert!(out[1].field("status_code").is_none());
        let o = PluginOptions::from_toml("processors", "enum", "[[processors.enum.mapping]]\ntag = \"lvl\"\ndefault = \"other\"\n[processors.enum.mapping.value_mappings]\n1 = \"low\"\n").unwrap();
        let mut p = build(&o).unwrap();
        let out = p.apply(vec![
            Metric::new("m", 1)
                .with_tag("lvl", "1")
                .with_field("v", 1i64),
            Metric::new("m", 1)
                .with_tag("lvl", "9")
                .with_field("v", 1i64),
        ]);
        assert_eq!(out[0].tag("lvl"), Some("low"));
        assert_eq!(out[1].tag("lvl"), Some("other"));
    }
}

//! `processors.strings`: string transformations on tags, fields, names and keys.

use serde::Deserialize;

use crate::config::{ConfigError, PluginOptions};
use crate::filter::Glob;
use crate::metric::{Metric, Value};
use crate::plugin::{PluginSpec, Processor};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Processor> = PluginSpec {
    name: "strings",
    description: "Perform string processing on tags, fields, and measurements",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[processors.strings]]
  ## Convert a field value to lowercase and store in a new field
  # [[processors.strings.lowercase]]
  #   field = "uri_stem"
  #   dest = "uri_stem_normalised"

  ## Convert a tag value to uppercase
  [[processors.strings.uppercase]]
    tag = "method"

  ## Trim leading and trailing whitespace using the default cutset
  # [[processors.strings.trim]]
  #   field = "message"

  ## Trim the given prefix / suffix
  # [[processors.strings.trim_prefix]]
  #   tag = "*"
  #   prefix = "my_"

  ## Replace all non-overlapping instances of old with new
  # [[processors.strings.replace]]
  #   measurement = "*"
  #   old = ":"
  #   new = "_"

  ## Trims strings based on width
  # [[processors.strings.left]]
  #   field = "message"
  #   width = 10
"#;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Op {
    field: Option<String>,
    tag: Option<String>,
    measurement: Option<String>,
    field_key: Option<String>,
    tag_key: Option<String>,
    dest: Option<String>,
    cutset: Option<String>,
    prefix: Option<String>,
    suffix: Option<String>,
    old: Option<String>,
    new: Option<String>,
    width: Option<usize>,
    replacement: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct StringsConfig {
    lowercase: Vec<Op>,
    uppercase: Vec<Op>,
    titlecase: Vec<Op>,
    trim: Vec<Op>,
    trim_left: Vec<Op>,
    trim_right: Vec<Op>,
    trim_prefix: Vec<Op>,
    trim_suffix: Vec<Op>,
    replace: Vec<Op>,
    left: Vec<Op>,
    base64decode: Vec<Op>,
    valid_utf8: Vec<Op>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Lower,
    Upper,
    Title,
    Trim,
    TrimLeft,
    TrimRight,
    TrimPrefix,
    TrimSuffix,
    Replace,
    Left,
    Base64,
    ValidUtf8,
}

struct Compiled {
    kind: Kind,
    op: Op,
    field: Option<Glob>,
    tag: Option<Glob>,
    measurement: Option<Glob>,
    field_key: Option<Glob>,
    tag_key: Option<Glob>,
}

fn build(o: &PluginOptions) -> Result<Box<dyn Processor>, ConfigError> {
    let c: StringsConfig = o.parse()?;
    let mut ops = Vec::new();
    for (kind, list) in [
        (Kind::Lower, c.lowercase),
        (Kind::Upper, c.uppercase),
        (Kind::Title, c.titlecase),
        (Kind::Trim, c.trim),
        (Kind::TrimLeft, c.trim_left),
        (Kind::TrimRight, c.trim_right),
        (Kind::TrimPrefix, c.trim_prefix),
        (Kind::TrimSuffix, c.trim_suffix),
        (Kind::Replace, c.replace),
        (Kind::Left, c.left),
        (Kind::Base64, c.base64decode),
        (Kind::ValidUtf8, c.valid_utf8),
    ] {
        for op in list {
            if kind == Kind::Base64 {
                return Err(o.not_supported("base64decode"));
            }
            let g = |s: &Option<String>| s.as_deref().map(Glob::new);
            ops.push(Compiled {
                kind,
                field: g(&op.field),
                tag: g(&op.tag),
                measurement: g(&op.measurement),
                field_key: g(&op.field_key),
                tag_key: g(&op.tag_key),
                op,
            });
        }
    }
    Ok(Box::new(Strings { ops }))
}

/// The strings processor.
pub struct Strings {
    ops: Vec<Compiled>,
}

fn transform(c: &Compiled, s: &str) -> String {
    let op = &c.op;
    match c.kind {
        Kind::Lower => s.to_lowercase(),
        Kind::Upper => s.to_uppercase(),
        Kind::Title => s
            .split(' ')
            .map(|w| {
                let mut ch = w.chars();
                match ch.next() {
                    Some(f) => f.to_uppercase().chain(ch).collect(),
                    None => String::new(),
                }
            })
            .collect::<Vec<_>>()
            .join(" "),
        Kind::Trim | Kind::TrimLeft | Kind::TrimRight => {
            let cut: Option<Vec<char>> = op.cutset.as_ref().map(|c| c.chars().collect());
            let pred = |ch: char| match &cut {
                Some(set) => set.contains(&ch),
                None => ch.is_whitespace(),
            };
            match c.kind {
                Kind::Trim => s.trim_matches(pred).to_string(),
                Kind::TrimLeft => s.trim_start_matches(pred).to_string(),
                _ => s.trim_end_matches(pred).to_string(),
            }
        }
        Kind::TrimPrefix => s
            .strip_prefix(op.prefix.as_deref().unwrap_or(""))
            .unwrap_or(s)
            .to_string(),
        Kind::TrimSuffix => s
            .strip_suffix(op.suffix.as_deref().unwrap_or(""))
            .unwrap_or(s)
            .to_string(),
        Kind::Replace => {
            let old = op.old.as_deref().unwrap_or("");
            if old.is_empty() {
                s.to_string()
            } else {
                s.replace(old, op.new.as_deref().unwrap_or(""))
            }
        }
        Kind::Left => s.chars().take(op.width.unwrap_or(usize::MAX)).collect(),
        Kind::Base64 => s.to_string(),
        Kind::ValidUtf8 => s.to_string(),
    }
}

impl Processor for Strings {
    fn apply(&mut self, mut metrics: Vec<Metric>) -> Vec<Metric> {
        for m in metrics.iter_mut() {
            for c in &self.ops {
                if let Some(g) = &c.measurement {
                    if g.matches(&m.name) {
                        m.name = transform(c, &m.name);
                    }
                }
                if let Some(g) = &c.tag {
                    let keys: Vec<String> =
                        m.tags.keys().filter(|k| g.matches(k)).cloned().collect();
                    for k in keys {
                        if let Some(v) = m.tags.get(&k).cloned() {
                            let dest = c.op.dest.clone().unwrap_or(k);
                            m.tags.insert(dest, transform(c, &v));
                        }
                    }
                }
                if let Some(g) = &c.field {
                    let keys: Vec<String> =
                        m.fields.keys().filter(|k| g.matches(k)).cloned().collect();
                    for k in keys {
                        if let Some(Value::Str(v)) = m.fields.get(&k).cloned() {
                            let dest = c.op.dest.clone().unwrap_or(k);
                            m.fields.insert(dest, Value::Str(transform(c, &v)));
                        }
                    }
                }
                if let Some(g) = &c.tag_key {
                    let keys: Vec<String> =
                        m.tags.keys().filter(|k| g.matches(k)).cloned().collect();
                    for k in keys {
                        if let Some(v) = m.tags.remove(&k) {
                            m.tags.insert(transform(c, &k), v);
                        }
                    }
                }
                if let Some(g) = &c.field_key {
                    let keys: Vec<String> =
                        m.fields.keys().filter(|k| g.matches(k)).cloned().collect();
                    for k in keys {
                        if let Some(v) = m.fields.remove(&k) {
                            m.fields.insert(transform(c, &k), v);
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
    fn ops() {
        let o = PluginOptions::from_toml(
            "processors",
            "strings",
            "[[processors.strings.uppercase]]\ntag = \"method\"\n[[processors.strings.lowercase]]\nfield = \"uri\"\ndest = \"uri_n\"\n[[processors.strings.trim_prefix]]\nmeasurement = \"*\"\nprefix = \"my_\"\n[[processors.strings.replace]]\ntag_key = \"*\"\nold = \"-\"\nnew = \"_\"\n[[processors.strings.left]]\nfield = \"msg\"\nwidth = 3\n[[processors.strings.trim]]\nfield = \"pad\"\ncutset = \"x\"\n",
        )
        .unwrap();
        let mut p = build(&o).unwrap();
        let m = Metric::new("my_app", 1)
            .with_tag("method", "get")
            .with_tag("a-b", "1")
            .with_field("uri", "/A/B")
            .with_field("msg", "hello")
            .with_field("pad", "xxhixx");
        let out = p.apply(vec![m]).pop().unwrap();
        assert_eq!(out.name, "app");
        assert_eq!(out.tag("method"), Some("GET"));
        assert_eq!(out.tag("a_b"), Some("1"));
        assert_eq!(out.field("uri_n"), Some(&Value::Str("/a/b".into())));
        assert_eq!(out.field("msg"), Some(&Value::Str("hel".into())));
        assert_eq!(out.field("pad"), Some(&Value::Str("hi".into())));
    }
}

//! `processors.regex`: regex replacements on tag/field values and on names.

use serde::Deserialize;

use crate::config::{ConfigError, PluginOptions};
use crate::filter::Glob;
use crate::metric::{Metric, Value};
use crate::plugin::{PluginSpec, Processor};

/// Registry entry.
pub const SPEC: PluginSpec<dyn Processor> = PluginSpec {
    name: "regex",
    description: "Transforms tag and field values as well as measurement, tag and field names with regex pattern",
    sample: SAMPLE_CONFIG,
    data_format: false,
    build,
};

/// Sample configuration.
pub const SAMPLE_CONFIG: &str = r#"[[processors.regex]]
  ## Tag value conversions
  [[processors.regex.tags]]
    ## Tag to change (globs allowed)
    key = "resp_code"
    ## Regular expression to match on a tag value
    pattern = "^(\\d)\\d\\d$"
    ## Matches of the pattern will be replaced with this string.  Use ${1}
    ## notation to use the text of the first submatch.
    replacement = "${1}xx"

  [[processors.regex.fields]]
    key = "request"
    pattern = "^/api(?P<method>/[\\w/]+)\\S*"
    replacement = "${method}"
    ## If result_key is present, a new field will be created
    ## instead of changing existing field
    result_key = "method"

  ## Rename metric fields
  # [[processors.regex.field_rename]]
  #   pattern = "^search_(\\w+)d$"
  #   replacement = "${1}"
  #   ## "keep" or "overwrite" when the new name already exists
  #   # result_key = "keep"
"#;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ValueRule {
    key: String,
    pattern: String,
    #[serde(default)]
    replacement: String,
    #[serde(default)]
    result_key: Option<String>,
    #[serde(default)]
    append: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct NameRule {
    pattern: String,
    #[serde(default)]
    replacement: String,
    #[serde(default)]
    result_key: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RegexConfig {
    tags: Vec<ValueRule>,
    fields: Vec<ValueRule>,
    tag_rename: Vec<NameRule>,
    field_rename: Vec<NameRule>,
    metric_rename: Vec<NameRule>,
}

struct Rule {
    key: Glob,
    re: regex::Regex,
    replacement: String,
    result_key: Option<String>,
    append: bool,
}

struct Renamer {
    re: regex::Regex,
    replacement: String,
    overwrite: bool,
}

fn build(o: &PluginOptions) -> Result<Box<dyn Processor>, ConfigError> {
    let c: RegexConfig = o.parse()?;
    let compile =
        |p: &str, opt: &str| regex::Regex::new(p).map_err(|e| o.invalid_option(opt, e.to_string()));
    let rules = |v: &[ValueRule], opt: &str| -> Result<Vec<Rule>, ConfigError> {
        v.iter()
            .map(|r| {
                Ok(Rule {
                    key: Glob::new(&r.key),
                    re: compile(&r.pattern, opt)?,
                    replacement: r.replacement.clone(),
                    result_key: r.result_key.clone().filter(|s| !s.is_empty()),
                    append: r.append,
                })
            })
            .collect()
    };
    let renamers = |v: &[NameRule], opt: &str| -> Result<Vec<Renamer>, ConfigError> {
        v.iter()
            .map(|r| {
                Ok(Renamer {
                    re: compile(&r.pattern, opt)?,
                    replacement: r.replacement.clone(),
                    overwrite: r.result_key.as_deref() == Some("overwrite"),
                })
            })
            .collect()
    };
    Ok(Box::new(RegexProc {
        tags: rules(&c.tags, "tags")?,
        fields: rules(&c.fields, "fields")?,
        tag_rename: renamers(&c.tag_rename, "tag_rename")?,
        field_rename: renamers(&c.field_rename, "field_rename")?,
        metric_rename: renamers(&c.metric_rename, "metric_rename")?,
    }))
}

/// The regex processor.
pub struct RegexProc {
    tags: Vec<Rule>,
    fields: Vec<Rule>,
    tag_rename: Vec<Renamer>,
    field_rename: Vec<Renamer>,
    metric_rename: Vec<Renamer>,
}

fn apply_rule(r: &Rule, key: &str, value: &str) -> Option<(String, String)> {
    if !r.re.is_match(value) {
        return None;
    }
    let new = r.re.replace_all(value, r.replacement.as_str()).into_owned();
    Some((r.result_key.clone().unwrap_or_else(|| key.to_string()), new))
}

impl Processor for RegexProc {
    fn apply(&mut self, mut metrics: Vec<Metric>) -> Vec<Metric> {
        for m in metrics.iter_mut() {
            for r in &self.tags {
                let keys: Vec<String> = m
                    .tags
                    .keys()
                    .filter(|k| r.key.matches(k))
                    .cloned()
                    .collect();
                for k in keys {
                    let Some(v) = m.tags.get(&k).cloned() else {
                        continue;
                    };
                    if let Some((dest, new)) = apply_rule(r, &k, &v) {
                        match m.tags.get_mut(&dest) {
                            Some(existing) if r.append && dest != k => existing.push_str(&new),
                            _ => {
                                m.tags.insert(dest, new);
                            }
                        }
                    }
                }
            }
            for r in &self.fields {
                let keys: Vec<String> = m
                    .fields
                    .keys()
                    .filter(|k| r.key.matches(k))
                    .cloned()
                    .collect();
                for k in keys {
                    let Some(Value::Str(v)) = m.fields.get(&k).cloned() else {
                        continue;
                    };
                    if let Some((dest, new)) = apply_rule(r, &k, &v) {
                        m.fields.insert(dest, Value::Str(new));
                    }
                }
            }
            for r in &self.metric_rename {
                if r.re.is_match(&m.name) {
                    m.name =
                        r.re.replace_all(&m.name, r.replacement.as_str())
                            .into_owned();
                }
            }
            for r in &self.tag_rename {
                let keys: Vec<String> = m.tags.keys().cloned().collect();
                for k in keys {
                    if !r.re.is_match(&k) {
                        continue;
                    }
                    let nk = r.re.replace_all(&k, r.replacement.as_str()).into_owned();
                    if nk == k || (m.tags.contains_key(&nk) && !r.overwrite) {
                        continue;
                    }
                    if let Some(v) = m.tags.remove(&k) {
                        m.tags.insert(nk, v);
                    }
                }
            }
            for r in &self.field_rename {
                let keys: Vec<String> = m.fields.keys().cloned().collect();
                for k in keys {
                    if !r.re.is_match(&k) {
                        continue;
                    }
                    let nk = r.re.replace_all(&k, r.replacement.as_str()).into_owned();
                    if nk == k || (m.fields.contains_key(&nk) && !r.overwrite) {
                        continue;
                    }
                    if let Some(v) = m.fields.remove(&k) {
                        m.fields.insert(nk, v);
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
    fn sample_rules() {
        let mut c = crate::config::Config::default();
        c.add_text("t", SAMPLE_CONFIG, &Default::default()).unwrap();
        let p = &mut c.processors[0].plugin;
        let m = Metric::new("nginx", 1)
            .with_tag("resp_code", "404")
            .with_field("request", "/api/search/?q=x");
        let out = p.apply(vec![m]).pop().unwrap();
        assert_eq!(out.tag("resp_code"), Some("4xx"));
        assert_eq!(out.field("method"), Some(&Value::Str("/search/".into())));
        assert_eq!(
            out.field("request"),
            Some(&Value::Str("/api/search/?q=x".into()))
        );
        let bad = PluginOptions::from_toml(
            "processors",
            "regex",
            "[[processors.regex.tags]]\nkey=\"a\"\npattern=\"(\"",
        )
        .unwrap();
        assert!(build(&bad).is_err());
    }
}

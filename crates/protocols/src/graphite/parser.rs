//! Graphite plaintext lines and InfluxDB's template language.
//!
//! A template is `[filter] template [tag1=v1,tag2=v2]`. The template's
//! dot-separated parts name what each part of the metric path becomes:
//! `measurement` (joined with the separator when repeated), `measurement*`
//! (this part and all following), `field` (once), `field*` (this part and all
//! following; not together with `measurement*`), an empty part (skipped), or
//! a tag key. The filter picks the template: parts are matched exactly or by
//! `*`, exact parts win over `*`, and a metric no filter matches uses the
//! template without filter (default `measurement*`).

use std::collections::BTreeMap;

use crate::point::Point;

/// Earliest Graphite timestamp accepted (1901-12-13T00:00:00Z), in seconds.
const MIN_UNIX: i64 = -2_147_558_400;
/// Latest Graphite timestamp accepted (2038-01-19T00:00:00Z), in seconds.
const MAX_UNIX: i64 = 2_147_472_000;

/// Error parsing a template, a config or a Graphite line (messages as InfluxDB's).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GraphiteError {
    /// Invalid configuration (templates, tags).
    #[error("{0}")]
    Config(String),
    /// A line that cannot be parsed.
    #[error("{0}")]
    Line(String),
    /// A NaN or infinite value (NaN is dropped silently by the listener).
    #[error("field \"{field}\" value: \"{shown}\" is unsupported")]
    UnsupportedValue {
        /// The metric path.
        field: String,
        /// The value as Go prints it (`NaN`, `+Inf`, `-Inf`).
        shown: String,
        /// True for NaN.
        nan: bool,
    },
}

/// One template: its parts, its own default tags and the separator.
#[derive(Debug, Clone, PartialEq)]
struct Template {
    parts: Vec<String>,
    tags: Vec<(String, String)>,
    separator: String,
}

/// What a template extracted from a metric path.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Applied {
    /// Measurement (empty: the template named none; the path is used).
    pub measurement: String,
    /// Tags, sorted by key.
    pub tags: BTreeMap<String, String>,
    /// Field name (`None`: `value`).
    pub field: Option<String>,
}

impl Template {
    fn new(
        pattern: &str,
        tags: Vec<(String, String)>,
        separator: &str,
    ) -> Result<Self, GraphiteError> {
        let parts: Vec<String> = pattern.split('.').map(str::to_string).collect();
        if !parts.iter().any(|p| p.starts_with("measurement")) {
            return Err(GraphiteError::Config(format!(
                "no measurement specified for template. {pattern:?}"
            )));
        }
        Ok(Template {
            parts,
            tags,
            separator: separator.to_string(),
        })
    }

    fn apply(&self, metric: &str) -> Result<Applied, GraphiteError> {
        let fields: Vec<&str> = metric.split('.').collect();
        let mut measurement: Vec<&str> = Vec::new();
        let mut tags: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut field: Option<String> = None;
        for (k, v) in &self.tags {
            tags.entry(k.clone()).or_default().push(v.clone());
        }
        let has_m_star = self.parts.iter().any(|p| p == "measurement*");
        let has_f_star = self.parts.iter().any(|p| p == "field*");
        if has_m_star && has_f_star {
            return Err(GraphiteError::Line(format!(
                "either 'field*' or 'measurement*' can be used in each template (but not both together): {:?}",
                self.parts.join(&self.separator)
            )));
        }
        for (i, part) in self.parts.iter().enumerate() {
            let Some(value) = fields.get(i) else { continue };
            match part.as_str() {
                "measurement" => measurement.push(value),
                "field" => {
                    if field.as_deref().is_some_and(|f| !f.is_empty()) {
                        return Err(GraphiteError::Line(format!(
                            "'field' can only be used once in each template: {metric:?}"
                        )));
                    }
                    field = Some(value.to_string());
                }
                "field*" => {
                    field = Some(fields[i..].join(&self.separator));
                    break;
                }
                "measurement*" => {
                    measurement.extend_from_slice(&fields[i..]);
                    break;
                }
                "" => {}
                tag => tags
                    .entry(tag.to_string())
                    .or_default()
                    .push(value.to_string()),
            }
        }
        Ok(Applied {
            measurement: measurement.join(&self.separator),
            tags: tags
                .into_iter()
                .map(|(k, v)| (k, v.join(&self.separator)))
                .collect(),
            field: field.filter(|f| !f.is_empty()),
        })
    }
}

/// Node of the filter tree; children sorted, `*` last.
#[derive(Debug, Default, Clone)]
struct Node {
    value: String,
    children: Vec<Node>,
    template: Option<usize>,
}

impl Node {
    fn insert(&mut self, values: &[&str], template: usize) {
        let Some((first, rest)) = values.split_first() else {
            self.template = Some(template);
            return;
        };
        if let Some(child) = self.children.iter_mut().find(|c| c.value == *first) {
            child.insert(rest, template);
            return;
        }
        let mut node = Node {
            value: first.to_string(),
            ..Node::default()
        };
        // A new wildcard node inherits its parent's template.
        if *first == "*" {
            node.template = self.template;
        }
        node.insert(rest, template);
        self.children.push(node);
        self.children
            .sort_by(|a, b| match (a.value == "*", b.value == "*") {
                (true, false) => std::cmp::Ordering::Greater,
                (false, true) => std::cmp::Ordering::Less,
                _ => a.value.cmp(&b.value),
            });
    }

    fn search(&self, parts: &[&str]) -> Option<usize> {
        let Some((first, rest)) = parts.split_first() else {
            return self.template;
        };
        if self.children.is_empty() {
            return self.template;
        }
        if let Some(child) = self
            .children
            .iter()
            .find(|c| c.value != "*" && c.value == *first)
        {
            return child.search(rest);
        }
        if let Some(star) = self.children.last().filter(|c| c.value == "*") {
            return star.search(rest);
        }
        self.template
    }
}

/// Parses Graphite lines with a set of templates.
#[derive(Debug, Clone)]
pub struct GraphiteParser {
    templates: Vec<Template>,
    root: Node,
    default_template: usize,
    default_tags: Vec<(String, String)>,
}

/// Splits `k=v,k2=v2` (already validated).
fn parse_tag_list(s: &str) -> Result<Vec<(String, String)>, GraphiteError> {
    s.split(',').map(parse_tag).collect()
}

fn parse_tag(kv: &str) -> Result<(String, String), GraphiteError> {
    let parts: Vec<&str> = kv.split('=').collect();
    if parts.len() != 2 {
        return Err(GraphiteError::Config(format!(
            "invalid template tags: '{kv}'"
        )));
    }
    if parts[0].is_empty() || parts[1].is_empty() {
        return Err(GraphiteError::Config(format!(
            "invalid template tags: {kv}'"
        )));
    }
    Ok((parts[0].to_string(), parts[1].to_string()))
}

/// Checks templates and tags as InfluxDB's `graphite.Config.Validate` does.
pub fn validate(templates: &[String], tags: &[String]) -> Result<(), GraphiteError> {
    let mut filters = std::collections::HashSet::new();
    for (i, t) in templates.iter().enumerate() {
        let parts: Vec<&str> = t.split_whitespace().collect();
        if parts.is_empty() {
            return Err(GraphiteError::Config(format!(
                "missing template at position: {i}"
            )));
        }
        if parts.len() > 3 {
            return Err(GraphiteError::Config(format!(
                "invalid template format: '{t}'"
            )));
        }
        let (mut template, mut filter, mut tag_str) = (parts[0], "", "");
        if parts.len() >= 2 {
            if parts[1].contains('=') {
                tag_str = parts[1];
            } else {
                filter = parts[0];
                template = parts[1];
            }
        }
        if parts.len() == 3 {
            tag_str = parts[2];
        }
        if !template
            .split('.')
            .any(|p| p == "measurement" || p == "measurement*")
        {
            return Err(GraphiteError::Config(format!(
                "no measurement in template `{template}`"
            )));
        }
        if !filters.insert(filter.to_string()) {
            return Err(GraphiteError::Config(format!(
                "duplicate filter '{filter}' found at position: {i}"
            )));
        }
        if !filter.is_empty() {
            for p in filter.split('.') {
                if p.is_empty() {
                    return Err(GraphiteError::Config(format!(
                        "filter contains blank section: {filter}"
                    )));
                }
                if p.contains('*') && p != "*" {
                    return Err(GraphiteError::Config(format!(
                        "invalid filter wildcard section: {filter}"
                    )));
                }
            }
        }
        if !tag_str.is_empty() {
            parse_tag_list(tag_str)?;
        }
    }
    for t in tags {
        parse_tag(t)?;
    }
    Ok(())
}

/// Formats a float as Go's `%v` does for the special values.
fn go_special(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v > 0.0 {
        "+Inf".into()
    } else {
        "-Inf".into()
    }
}

/// Parses a float as Go's `strconv.ParseFloat` (close enough: Rust's grammar
/// plus Go's `Inf`/`+Inf` spellings).
fn parse_go_float(s: &str) -> Result<f64, String> {
    let lower = s.to_ascii_lowercase();
    let t = lower.strip_prefix('+').unwrap_or(&lower);
    if t == "inf" || t == "infinity" {
        return Ok(if lower.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    s.parse::<f64>()
        .map_err(|_| format!("strconv.ParseFloat: parsing {s:?}: invalid syntax"))
}

impl GraphiteParser {
    /// Builds a parser: `templates` as in the config, `separator` joins
    /// measurement/field parts, `tags` are `k=v` added when missing.
    pub fn new(
        templates: &[String],
        separator: &str,
        tags: &[String],
    ) -> Result<Self, GraphiteError> {
        validate(templates, tags)?;
        let separator = if separator.is_empty() { "." } else { separator };
        let mut parser = GraphiteParser {
            templates: vec![Template::new("measurement*", Vec::new(), ".")?],
            root: Node::default(),
            default_template: 0,
            default_tags: tags
                .iter()
                .map(|t| parse_tag(t))
                .collect::<Result<_, _>>()?,
        };
        for pattern in templates {
            let parts: Vec<&str> = pattern.split_whitespace().collect();
            let (mut template, mut filter) = (parts.first().copied().unwrap_or(""), "");
            if parts.len() >= 2 && !parts[1].contains('=') {
                filter = parts[0];
                template = parts[1];
            }
            let tags = match parts.last() {
                Some(last) if last.contains('=') => parse_tag_list(last)?,
                _ => Vec::new(),
            };
            let idx = parser.templates.len();
            parser
                .templates
                .push(Template::new(template, tags, separator)?);
            if filter.is_empty() {
                parser.default_template = idx;
            } else {
                let values: Vec<&str> = filter.split('.').collect();
                parser.root.insert(&values, idx);
            }
        }
        Ok(parser)
    }

    /// Builds a parser from a `[[graphite]]` section.
    pub fn from_config(config: &crate::config::GraphiteConfig) -> Result<Self, GraphiteError> {
        GraphiteParser::new(&config.templates, &config.separator, &config.tags)
    }

    /// Applies the matching template to a metric path.
    pub fn apply_template(&self, metric: &str) -> Result<Applied, GraphiteError> {
        let parts: Vec<&str> = metric.split('.').collect();
        let idx = self.root.search(&parts).unwrap_or(self.default_template);
        let mut applied = self.templates[idx].apply(metric)?;
        for (k, v) in &self.default_tags {
            applied.tags.entry(k.clone()).or_insert_with(|| v.clone());
        }
        Ok(applied)
    }

    /// Parses `path value [timestamp]`; a missing timestamp or `-1` means `now_ns`.
    pub fn parse(&self, line: &str, now_ns: i64) -> Result<Point, GraphiteError> {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() != 2 && fields.len() != 3 {
            return Err(GraphiteError::Line(format!(
                "received {line:?} which doesn't have required fields"
            )));
        }
        let applied = self.apply_template(fields[0])?;
        let measurement = if applied.measurement.is_empty() {
            fields[0].to_string()
        } else {
            applied.measurement
        };
        let value = parse_go_float(fields[1])
            .map_err(|e| GraphiteError::Line(format!("field \"{}\" value: {e}", fields[0])))?;
        if !value.is_finite() {
            return Err(GraphiteError::UnsupportedValue {
                field: fields[0].to_string(),
                shown: go_special(value),
                nan: value.is_nan(),
            });
        }
        let mut time_ns = now_ns;
        if let Some(ts) = fields.get(2) {
            let unix = parse_go_float(ts)
                .map_err(|e| GraphiteError::Line(format!("field \"{}\" time: {e}", fields[0])))?;
            if unix != -1.0 {
                if !unix.is_finite() || unix.trunc() < MIN_UNIX as f64 || unix > MAX_UNIX as f64 {
                    return Err(GraphiteError::Line("timestamp out of range".into()));
                }
                let secs = unix.trunc() as i64;
                let frac = ((unix - unix.floor()) * 1e9) as i64;
                time_ns = secs * 1_000_000_000 + frac;
            }
        }
        Ok(Point::float(
            measurement,
            applied.tags.into_iter().collect(),
            applied.field.unwrap_or_else(|| "value".to_string()),
            value,
            time_ns,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parser(templates: &[&str]) -> GraphiteParser {
        let t: Vec<String> = templates.iter().map(|s| s.to_string()).collect();
        GraphiteParser::new(&t, ".", &[]).unwrap()
    }

    fn line(p: &GraphiteParser, l: &str) -> String {
        p.parse(l, 7).unwrap().to_line().unwrap()
    }

    #[test]
    fn default_template_uses_whole_path() {
        let p = parser(&[]);
        assert_eq!(
            line(&p, "servers.localhost.cpu.loadavg.10 12.5 1435077219"),
            "servers.localhost.cpu.loadavg.10 value=12.5 1435077219000000000\n"
        );
        assert_eq!(line(&p, "cpu 1"), "cpu value=1.0 7\n");
        assert_eq!(line(&p, "cpu 1 -1"), "cpu value=1.0 7\n");
    }

    #[test]
    fn readme_examples() {
        let p = parser(&[".host.resource.measurement*"]);
        assert_eq!(
            line(&p, "servers.localhost.cpu.loadavg.10 1 1"),
            "loadavg.10,host=localhost,resource=cpu value=1.0 1000000000\n"
        );
        let p = parser(&[".host.measurement.cpu.measurement"]);
        assert_eq!(
            line(&p, "servers.localhost.cpu.cpu0.user 1 1"),
            "cpu.user,cpu=cpu0,host=localhost value=1.0 1000000000\n"
        );
        let p = GraphiteParser::new(&[".host.measurement.cpu.measurement".to_string()], "_", &[])
            .unwrap();
        assert_eq!(
            line(&p, "servers.localhost.cpu.cpu0.user 1 1"),
            "cpu_user,cpu=cpu0,host=localhost value=1.0 1000000000\n"
        );
        let p = parser(&["host.measurement.field*"]);
        assert_eq!(
            line(&p, "server01.cpu.idle.percent 50 1"),
            "cpu,host=server01 idle.percent=50.0 1000000000\n"
        );
        let p = parser(&["measurement.measurement.field.region"]);
        assert_eq!(
            line(&p, "cpu.usage.idle.eu-east 100 1"),
            "cpu.usage,region=eu-east idle=100.0 1000000000\n"
        );
    }

    #[test]
    fn filters_and_template_tags() {
        let p = parser(&[
            "*.app env.service.resource.measurement",
            "stats.* .host.measurement* region=us-west,zone=1a",
            "servers.localhost .host.measurement*",
            "measurement*",
        ]);
        assert_eq!(
            line(&p, "prod.app.cpu.load 1 1"),
            "load,env=prod,resource=cpu,service=app value=1.0 1000000000\n"
        );
        assert_eq!(
            line(&p, "stats.web01.requests 3 1"),
            "requests,host=web01,region=us-west,zone=1a value=3.0 1000000000\n"
        );
        assert_eq!(
            line(&p, "servers.localhost.cpu 3 1"),
            "cpu,host=localhost value=3.0 1000000000\n"
        );
        // No filter matches: the template without filter.
        assert_eq!(
            line(&p, "other.thing 3 1"),
            "other.thing value=3.0 1000000000\n"
        );
    }

    #[test]
    fn exact_filter_wins_over_wildcard() {
        let p = parser(&[
            "servers.localhost .host.measurement*",
            "servers.* .measurement*",
        ]);
        assert_eq!(
            line(&p, "servers.localhost.cpu 1 1"),
            "cpu,host=localhost value=1.0 1000000000\n"
        );
        assert_eq!(
            line(&p, "servers.remote.cpu 1 1"),
            "remote.cpu value=1.0 1000000000\n"
        );
    }

    #[test]
    fn config_tags_fill_in_missing_tags_only() {
        let p = GraphiteParser::new(
            &[".host.measurement*".to_string()],
            ".",
            &["host=default".to_string(), "dc=eu".to_string()],
        )
        .unwrap();
        assert_eq!(
            line(&p, "a.web.cpu 1 1"),
            "cpu,dc=eu,host=web value=1.0 1000000000\n"
        );
    }

    #[test]
    fn errors_match_influxdb() {
        let p = parser(&[]);
        assert_eq!(
            p.parse("cpu", 0).unwrap_err().to_string(),
            "received \"cpu\" which doesn't have required fields"
        );
        assert_eq!(
            p.parse("cpu abc", 0).unwrap_err().to_string(),
            "field \"cpu\" value: strconv.ParseFloat: parsing \"abc\": invalid syntax"
        );
        assert_eq!(
            p.parse("cpu 1 x", 0).unwrap_err().to_string(),
            "field \"cpu\" time: strconv.ParseFloat: parsing \"x\": invalid syntax"
        );
        assert_eq!(
            p.parse("cpu NaN 1", 0).unwrap_err().to_string(),
            "field \"cpu\" value: \"NaN\" is unsupported"
        );
        assert_eq!(
            p.parse("cpu 1 99999999999", 0).unwrap_err().to_string(),
            "timestamp out of range"
        );
        let both = parser(&["measurement*.field*"]);
        assert!(both
            .parse("a.b 1", 0)
            .unwrap_err()
            .to_string()
            .starts_with("either 'field*'"));
        let twice = parser(&["measurement.field.field"]);
        assert!(twice
            .parse("a.b.c 1", 0)
            .unwrap_err()
            .to_string()
            .starts_with("'field' can only"));
    }

    #[test]
    fn validation_messages() {
        let v = |t: &[&str]| {
            validate(&t.iter().map(|s| s.to_string()).collect::<Vec<_>>(), &[])
                .unwrap_err()
                .to_string()
        };
        assert_eq!(v(&["host.cpu"]), "no measurement in template `host.cpu`");
        assert_eq!(v(&["a b c d"]), "invalid template format: 'a b c d'");
        assert_eq!(
            v(&["a.* measurement*", "a.* .measurement*"]),
            "duplicate filter 'a.*' found at position: 1"
        );
        assert_eq!(
            v(&["a..b measurement*"]),
            "filter contains blank section: a..b"
        );
        assert_eq!(
            v(&["a.b* measurement*"]),
            "invalid filter wildcard section: a.b*"
        );
        assert_eq!(v(&["measurement* a=b=c"]), "invalid template tags: 'a=b=c'");
        assert_eq!(v(&[""]), "missing template at position: 0");
    }

    #[test]
    fn fractional_timestamps() {
        let p = parser(&[]);
        assert_eq!(line(&p, "m 1 1.5"), "m value=1.0 1500000000\n");
    }
}

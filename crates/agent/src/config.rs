//! Telegraf's configuration format: `[global_tags]`, `[agent]`, `[[inputs.X]]`,
//! `[[processors.X]]`, `[[aggregators.X]]`, `[[outputs.X]]`, environment substitution and
//! errors that name the file, line and option.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::{DeserializeOwned, IntoDeserializer};
use serde::{Deserialize, Deserializer};
use toml_edit::{ImDocument, Item, Table};

use crate::filter::{Filter, FilterConfig, FILTER_KEYS};
use crate::plugin::{Aggregator, Input, Output, PluginSpec, Processor};
use crate::{parsers, registry, serializers};

/// Errors while loading a configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// Path.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The TOML itself is malformed.
    #[error("{file}:{line}: invalid TOML: {message}")]
    Syntax {
        /// File.
        file: String,
        /// 1-based line.
        line: usize,
        /// Parser message.
        message: String,
    },
    /// An option is unknown or has a bad value.
    #[error("{file}:{line}: {plugin}: option `{option}`: {message}")]
    Option {
        /// File.
        file: String,
        /// 1-based line.
        line: usize,
        /// e.g. `inputs.cpu` or `agent`.
        plugin: String,
        /// Option name.
        option: String,
        /// What is wrong.
        message: String,
    },
    /// A plugin is not known at all.
    #[error("{file}:{line}: undefined but requested {kind}: {name}")]
    UnknownPlugin {
        /// File.
        file: String,
        /// 1-based line.
        line: usize,
        /// `input`, `output`, ...
        kind: String,
        /// Plugin name.
        name: String,
    },
    /// A Telegraf feature this agent does not implement.
    #[error("{file}:{line}: not supported yet: {what}")]
    NotSupported {
        /// File.
        file: String,
        /// 1-based line.
        line: usize,
        /// e.g. `inputs.snmp`.
        what: String,
    },
    /// Any other invalid setting.
    #[error("{file}:{line}: {plugin}: {message}")]
    Invalid {
        /// File.
        file: String,
        /// 1-based line.
        line: usize,
        /// Plugin (or section) name.
        plugin: String,
        /// What is wrong.
        message: String,
    },
    /// No configuration given and none found at the default paths.
    #[error("no config file given and none found at the default locations")]
    NoConfig,
}

/// A Telegraf duration: `"10s"`, `"1m30s"`, `"500ms"`, or an integer number of seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dur(pub Duration);

impl Dur {
    /// Parses a Go-style duration string (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`, `d`).
    pub fn parse(s: &str) -> Result<Dur, String> {
        let s = s.trim();
        if s.is_empty() || s == "0" {
            return Ok(Dur(Duration::ZERO));
        }
        if let Ok(n) = s.parse::<u64>() {
            return Ok(Dur(Duration::from_secs(n)));
        }
        let mut total = 0f64;
        let mut rest = s;
        while !rest.is_empty() {
            let num_end = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .ok_or_else(|| format!("missing unit in duration {s:?}"))?;
            let num: f64 = rest[..num_end]
                .parse()
                .map_err(|_| format!("invalid duration {s:?}"))?;
            rest = &rest[num_end..];
            let unit_end = rest
                .find(|c: char| c.is_ascii_digit() || c == '.')
                .unwrap_or(rest.len());
            let mult = match &rest[..unit_end] {
                "ns" => 1e-9,
                "us" | "µs" | "μs" => 1e-6,
                "ms" => 1e-3,
                "s" => 1.0,
                "m" => 60.0,
                "h" => 3600.0,
                "d" => 86400.0,
                u => return Err(format!("unknown unit {u:?} in duration {s:?}")),
            };
            total += num * mult;
            rest = &rest[unit_end..];
        }
        Ok(Dur(Duration::from_secs_f64(total)))
    }
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(i64),
            Float(f64),
            Str(String),
        }
        match Raw::deserialize(d)? {
            Raw::Int(n) if n >= 0 => Ok(Dur(Duration::from_secs(n as u64))),
            Raw::Float(f) if f >= 0.0 && f.is_finite() => Ok(Dur(Duration::from_secs_f64(f))),
            Raw::Str(s) => Dur::parse(&s).map_err(serde::de::Error::custom),
            _ => Err(serde::de::Error::custom("negative duration")),
        }
    }
}

/// A Telegraf size: `"10MB"`, `"1KiB"` or an integer number of bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Size(pub u64);

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(u64),
            Str(String),
        }
        match Raw::deserialize(d)? {
            Raw::Int(n) => Ok(Size(n)),
            Raw::Str(s) => {
                let t = s.trim();
                let idx = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
                let n: u64 = t[..idx]
                    .parse()
                    .map_err(|_| serde::de::Error::custom(format!("invalid size {s:?}")))?;
                let mult: u64 = match t[idx..].trim().to_ascii_lowercase().as_str() {
                    "" | "b" => 1,
                    "kb" => 1000,
                    "kib" => 1024,
                    "mb" => 1_000_000,
                    "mib" => 1 << 20,
                    "gb" => 1_000_000_000,
                    "gib" => 1 << 30,
                    u => return Err(serde::de::Error::custom(format!("unknown size unit {u:?}"))),
                };
                Ok(Size(n.saturating_mul(mult)))
            }
        }
    }
}

/// The `[agent]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AgentSettings {
    /// Default gather interval.
    pub interval: Dur,
    /// Align gathers to multiples of the interval.
    pub round_interval: bool,
    /// Metrics per write.
    pub metric_batch_size: usize,
    /// Per-output buffer capacity.
    pub metric_buffer_limit: usize,
    /// Random delay before each gather.
    pub collection_jitter: Dur,
    /// Fixed delay added to each gather.
    pub collection_offset: Dur,
    /// Output flush interval.
    pub flush_interval: Dur,
    /// Random delay added to each flush.
    pub flush_jitter: Dur,
    /// Timestamp precision of collected metrics (`""` = ns).
    pub precision: Dur,
    /// Override the `host` tag.
    pub hostname: String,
    /// Do not add a `host` tag.
    pub omit_hostname: bool,
    /// Debug logging.
    pub debug: bool,
    /// Errors-only logging.
    pub quiet: bool,
    /// Log file ("" = stderr).
    pub logfile: String,
    /// `stderr`, `file`, `eventlog` (deprecated).
    pub logtarget: String,
    /// Log format (`text`, `structured`).
    pub logformat: String,
    /// Log level.
    pub log_level: String,
    /// Time zone of log lines.
    pub log_with_timezone: String,
    /// Rotation interval of the log file.
    pub logfile_rotation_interval: Dur,
    /// Rotation size of the log file.
    pub logfile_rotation_max_size: Size,
    /// Archives kept.
    pub logfile_rotation_max_archives: i64,
    /// `memory` (default) or `disk`: each output's buffer is a write-ahead file in
    /// `buffer_directory` (survives restarts and crashes of the agent).
    pub buffer_strategy: String,
    /// Directory for the disk buffer.
    pub buffer_directory: String,
    /// Telegraf: `gosmi` / `netsnmp` (accepted, unused).
    pub snmp_translator: String,
    /// State persistence file (accepted, unused).
    pub statefile: String,
    /// Telegraf option (accepted, unused).
    pub always_include_local_tags: bool,
    /// Telegraf option (accepted, unused).
    pub always_include_global_tags: bool,
    /// Do not run processors again after aggregators.
    pub skip_processors_after_aggregators: bool,
    /// Deprecated in Telegraf (ignored).
    pub flush_buffer_when_full: bool,
    /// Deprecated in Telegraf (ignored).
    pub utc: bool,
}

impl Default for AgentSettings {
    fn default() -> Self {
        AgentSettings {
            interval: Dur(Duration::from_secs(10)),
            round_interval: true,
            metric_batch_size: 1000,
            metric_buffer_limit: 10000,
            collection_jitter: Dur::default(),
            collection_offset: Dur::default(),
            flush_interval: Dur(Duration::from_secs(10)),
            flush_jitter: Dur::default(),
            precision: Dur::default(),
            hostname: String::new(),
            omit_hostname: false,
            debug: false,
            quiet: false,
            logfile: String::new(),
            logtarget: String::new(),
            logformat: String::new(),
            log_level: String::new(),
            log_with_timezone: String::new(),
            logfile_rotation_interval: Dur::default(),
            logfile_rotation_max_size: Size::default(),
            logfile_rotation_max_archives: 5,
            buffer_strategy: String::new(),
            buffer_directory: String::new(),
            snmp_translator: String::new(),
            statefile: String::new(),
            always_include_local_tags: false,
            always_include_global_tags: false,
            skip_processors_after_aggregators: false,
            flush_buffer_when_full: false,
            utc: false,
        }
    }
}

/// Options every input accepts.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InputCommon {
    /// Gather interval (agent's when absent).
    pub interval: Option<Dur>,
    /// Timestamp precision.
    pub precision: Option<Dur>,
    /// Random delay before each gather.
    pub collection_jitter: Option<Dur>,
    /// Fixed offset of each gather.
    pub collection_offset: Option<Dur>,
    /// Replace the measurement name.
    pub name_override: Option<String>,
    /// Prepend to the measurement name.
    pub name_prefix: Option<String>,
    /// Append to the measurement name.
    pub name_suffix: Option<String>,
    /// Instance name used in logs and internal stats.
    pub alias: Option<String>,
    /// Extra tags.
    pub tags: BTreeMap<String, String>,
    /// Log level of this plugin.
    pub log_level: Option<String>,
    /// Startup error behaviour (accepted).
    pub startup_error_behavior: Option<String>,
}

/// Options every output accepts.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OutputCommon {
    /// Instance name.
    pub alias: Option<String>,
    /// Flush interval override.
    pub flush_interval: Option<Dur>,
    /// Flush jitter override.
    pub flush_jitter: Option<Dur>,
    /// Batch size override.
    pub metric_batch_size: Option<usize>,
    /// Buffer limit override.
    pub metric_buffer_limit: Option<usize>,
    /// Replace the measurement name.
    pub name_override: Option<String>,
    /// Prepend to the measurement name.
    pub name_prefix: Option<String>,
    /// Append to the measurement name.
    pub name_suffix: Option<String>,
    /// Log level.
    pub log_level: Option<String>,
    /// Startup error behaviour (accepted).
    pub startup_error_behavior: Option<String>,
}

/// Options every processor accepts.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProcessorCommon {
    /// Instance name.
    pub alias: Option<String>,
    /// Position in the processor chain.
    pub order: Option<i64>,
    /// Log level.
    pub log_level: Option<String>,
}

/// Options every aggregator accepts.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AggregatorCommon {
    /// Instance name.
    pub alias: Option<String>,
    /// Aggregation period (30s when absent).
    pub period: Option<Dur>,
    /// Delay before pushing.
    pub delay: Option<Dur>,
    /// Accept late metrics within this window.
    pub grace: Option<Dur>,
    /// Drop the original metrics after aggregating.
    pub drop_original: bool,
    /// Replace the measurement name.
    pub name_override: Option<String>,
    /// Prepend to the measurement name.
    pub name_prefix: Option<String>,
    /// Append to the measurement name.
    pub name_suffix: Option<String>,
    /// Extra tags.
    pub tags: BTreeMap<String, String>,
    /// Log level.
    pub log_level: Option<String>,
}

const INPUT_COMMON_KEYS: &[&str] = &[
    "interval",
    "precision",
    "collection_jitter",
    "collection_offset",
    "name_override",
    "name_prefix",
    "name_suffix",
    "alias",
    "tags",
    "log_level",
    "startup_error_behavior",
];
const OUTPUT_COMMON_KEYS: &[&str] = &[
    "alias",
    "flush_interval",
    "flush_jitter",
    "metric_batch_size",
    "metric_buffer_limit",
    "name_override",
    "name_prefix",
    "name_suffix",
    "log_level",
    "startup_error_behavior",
];
const PROCESSOR_COMMON_KEYS: &[&str] = &["alias", "order", "log_level"];
const AGGREGATOR_COMMON_KEYS: &[&str] = &[
    "alias",
    "period",
    "delay",
    "grace",
    "drop_original",
    "name_override",
    "name_prefix",
    "name_suffix",
    "tags",
    "log_level",
];

/// Where a table came from, for error messages.
#[derive(Debug, Clone, Default)]
pub struct Source {
    /// File path.
    pub file: String,
    /// Line of the table header.
    pub line: usize,
    /// Line of each key.
    pub key_lines: HashMap<String, usize>,
}

impl Source {
    fn line_of(&self, key: &str) -> usize {
        self.key_lines.get(key).copied().unwrap_or(self.line)
    }
}

/// The options of one plugin instance, handed to its constructor.
#[derive(Debug, Clone)]
pub struct PluginOptions {
    /// `inputs`, `outputs`, `processors` or `aggregators`.
    pub kind: &'static str,
    /// Plugin name.
    pub name: String,
    /// Where it was defined.
    pub source: Source,
    table: toml_edit::InlineTable,
    data_format: toml_edit::InlineTable,
}

impl PluginOptions {
    /// Options for tests / programmatic use: parses `toml` as the plugin body.
    pub fn from_toml(
        kind: &'static str,
        name: &str,
        toml: &str,
    ) -> Result<PluginOptions, ConfigError> {
        let text = format!("[[{kind}.{name}]]\n{toml}\n");
        let doc = parse_doc("<inline>", &text)?;
        let mut out = None;
        visit_plugins(
            &doc,
            "<inline>",
            &text,
            &mut |k: &str, n: &str, t: &Table, src: Source| {
                if k == kind && n == name {
                    out = Some((t.clone(), src));
                }
                Ok(())
            },
        )?;
        let (t, src) = out.ok_or(ConfigError::NoConfig)?;
        let keys = match kind {
            "inputs" => INPUT_COMMON_KEYS,
            "outputs" => OUTPUT_COMMON_KEYS,
            "processors" => PROCESSOR_COMMON_KEYS,
            _ => AGGREGATOR_COMMON_KEYS,
        };
        use crate::registry as r;
        let data_format = match kind {
            "inputs" => r::inputs()
                .iter()
                .find(|s| s.name == name)
                .map(|s| s.data_format),
            "outputs" => r::outputs()
                .iter()
                .find(|s| s.name == name)
                .map(|s| s.data_format),
            "processors" => r::processors()
                .iter()
                .find(|s| s.name == name)
                .map(|s| s.data_format),
            _ => None,
        }
        .unwrap_or(true);
        let (_, _, opts) = split_options(kind, name, t, src, keys, data_format)?;
        Ok(opts)
    }

    /// Deserializes the plugin's own options (common/filter/data_format keys removed).
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, ConfigError> {
        deserialize_table(&self.table, &self.plugin_label(), &self.source)
    }

    /// The parser configured by `data_format` and its options (default `influx`).
    pub fn parser(&self) -> Result<Box<dyn parsers::Parser>, ConfigError> {
        let mut cfg: parsers::ParserConfig =
            deserialize_table(&self.data_format, &self.plugin_label(), &self.source)?;
        if cfg.metric_name.is_none() {
            cfg.metric_name = Some(self.name.clone());
        }
        parsers::build(&cfg).map_err(|m| self.invalid_option("data_format", m))
    }

    /// The serializer configured by `data_format` and its options (default `influx`).
    pub fn serializer(&self) -> Result<Box<dyn serializers::Serializer>, ConfigError> {
        let cfg: serializers::SerializerConfig =
            deserialize_table(&self.data_format, &self.plugin_label(), &self.source)?;
        serializers::build(&cfg).map_err(|m| self.invalid_option("data_format", m))
    }

    /// `inputs.cpu` style label.
    pub fn plugin_label(&self) -> String {
        format!("{}.{}", self.kind, self.name)
    }

    /// An error about one option of this plugin.
    pub fn invalid_option(&self, option: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::Option {
            file: self.source.file.clone(),
            line: self.source.line_of(option),
            plugin: self.plugin_label(),
            option: option.to_string(),
            message: message.into(),
        }
    }

    /// A "not supported yet" error for one feature of this plugin.
    pub fn not_supported(&self, what: impl Into<String>) -> ConfigError {
        ConfigError::NotSupported {
            file: self.source.file.clone(),
            line: self.source.line,
            what: format!("{}: {}", self.plugin_label(), what.into()),
        }
    }
}

fn deserialize_table<T: DeserializeOwned>(
    table: &toml_edit::InlineTable,
    plugin: &str,
    src: &Source,
) -> Result<T, ConfigError> {
    let value = toml_edit::Value::InlineTable(table.clone());
    T::deserialize(value.into_deserializer()).map_err(|e| {
        let msg = e.message().trim().to_string();
        let full = e.to_string();
        let option = extract_option(&msg, table)
            .or_else(|| {
                let i = full.rfind("in `")?;
                let rest = &full[i + 4..];
                let key = &rest[..rest.find('`')?];
                Some(key.split('.').next().unwrap_or(key).to_string())
            })
            .unwrap_or_default();
        ConfigError::Option {
            file: src.file.clone(),
            line: src.line_of(&option),
            plugin: plugin.to_string(),
            option,
            message: msg,
        }
    })
}

/// Finds which option an error is about: `unknown field `x``, `missing field `x``, or a key
/// whose name appears in the message.
fn extract_option(msg: &str, table: &toml_edit::InlineTable) -> Option<String> {
    for marker in ["unknown field `", "missing field `", "duplicate field `"] {
        if let Some(i) = msg.find(marker) {
            let rest = &msg[i + marker.len()..];
            if let Some(end) = rest.find('`') {
                return Some(rest[..end].to_string());
            }
        }
    }
    table
        .iter()
        .map(|(k, _)| k.to_string())
        .find(|k| msg.contains(&format!("`{k}`")) || msg.contains(&format!("key `{k}`")))
}

/// Replaces `${VAR}`, `${VAR:-default}`, `${VAR-default}` and `$VAR` with environment values.
/// Undefined variables without default are left as written; comment lines are untouched.
pub fn substitute_env(text: &str, env: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if line.trim_start().starts_with('#') {
            out.push_str(line);
            continue;
        }
        let b = line.as_bytes();
        let mut j = 0;
        while j < b.len() {
            if b[j] == b'$' && j + 1 < b.len() {
                if b[j + 1] == b'$' {
                    out.push('$');
                    j += 2;
                    continue;
                }
                if b[j + 1] == b'{' {
                    if let Some(end) = line[j + 2..].find('}') {
                        let inner = &line[j + 2..j + 2 + end];
                        let (name, default) = if let Some(p) = inner.find(":-") {
                            (&inner[..p], Some((&inner[p + 2..], true)))
                        } else if let Some(p) = inner.find('-') {
                            (&inner[..p], Some((&inner[p + 1..], false)))
                        } else {
                            (inner, None)
                        };
                        if is_env_name(name) {
                            let val = env(name);
                            match (val, default) {
                                (Some(v), Some((_, true))) if v.is_empty() => {
                                    out.push_str(default.map(|d| d.0).unwrap_or(""))
                                }
                                (Some(v), _) => out.push_str(&v),
                                (None, Some((d, _))) => out.push_str(d),
                                (None, None) => out.push_str(&line[j..j + 3 + end]),
                            }
                            j += 3 + end;
                            continue;
                        }
                    }
                } else {
                    let end = line[j + 1..]
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .map(|e| j + 1 + e)
                        .unwrap_or(line.len());
                    let name = &line[j + 1..end];
                    if is_env_name(name) {
                        match env(name) {
                            Some(v) => out.push_str(&v),
                            None => out.push_str(&line[j..end]),
                        }
                        j = end;
                        continue;
                    }
                }
            }
            // push one UTF-8 char
            let ch_len = line[j..].chars().next().map(char::len_utf8).unwrap_or(1);
            out.push_str(&line[j..j + ch_len]);
            j += ch_len;
        }
    }
    out
}

fn is_env_name(s: &str) -> bool {
    !s.is_empty()
        && !s.as_bytes()[0].is_ascii_digit()
        && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

fn line_at(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

fn parse_doc(file: &str, text: &str) -> Result<ImDocument<String>, ConfigError> {
    ImDocument::parse(text.to_string()).map_err(|e| ConfigError::Syntax {
        file: file.to_string(),
        line: e.span().map(|s| line_at(text, s.start)).unwrap_or(0),
        message: e.message().to_string(),
    })
}

fn source_of(file: &str, text: &str, t: &Table) -> Source {
    let line = t.span().map(|s| line_at(text, s.start)).unwrap_or(0);
    let mut key_lines = HashMap::new();
    for (k, _) in t.iter() {
        if let Some((key, item)) = t.get_key_value(k) {
            let span = key.span().or_else(|| item.span());
            if let Some(s) = span {
                key_lines.insert(k.to_string(), line_at(text, s.start));
            } else if let Item::Table(sub) = item {
                if let Some(s) = sub.span() {
                    key_lines.insert(k.to_string(), line_at(text, s.start));
                }
            }
        }
    }
    Source {
        file: file.to_string(),
        line,
        key_lines,
    }
}

type VisitFn<'a> = dyn FnMut(&str, &str, &Table, Source) -> Result<(), ConfigError> + 'a;

fn visit_plugins(
    doc: &ImDocument<String>,
    file: &str,
    text: &str,
    f: &mut VisitFn<'_>,
) -> Result<(), ConfigError> {
    for kind in ["inputs", "outputs", "processors", "aggregators"] {
        let Some(item) = doc.get(kind) else { continue };
        let Some(section) = item.as_table() else {
            return Err(ConfigError::Invalid {
                file: file.to_string(),
                line: item.span().map(|s| line_at(text, s.start)).unwrap_or(0),
                plugin: kind.to_string(),
                message: "must be a table of plugins".into(),
            });
        };
        for (name, entry) in section.iter() {
            match entry {
                Item::ArrayOfTables(arr) => {
                    for t in arr.iter() {
                        f(kind, name, t, source_of(file, text, t))?;
                    }
                }
                Item::Table(t) => f(kind, name, t, source_of(file, text, t))?,
                other => {
                    return Err(ConfigError::Invalid {
                        file: file.to_string(),
                        line: other.span().map(|s| line_at(text, s.start)).unwrap_or(0),
                        plugin: format!("{kind}.{name}"),
                        message: "expected [[".to_string() + kind + "." + name + "]]",
                    })
                }
            }
        }
    }
    Ok(())
}

fn split_options(
    kind: &'static str,
    name: &str,
    t: Table,
    source: Source,
    common_keys: &[&str],
    data_format: bool,
) -> Result<(toml_edit::InlineTable, FilterConfig, PluginOptions), ConfigError> {
    let mut common = toml_edit::InlineTable::new();
    let mut filter = toml_edit::InlineTable::new();
    let mut df = toml_edit::InlineTable::new();
    let mut own = toml_edit::InlineTable::new();
    let df_keys: &[&str] = match kind {
        "inputs" => parsers::PARSER_KEYS,
        "outputs" | "processors" => serializers::SERIALIZER_KEYS,
        _ => &[],
    };
    for (k, item) in t.into_iter() {
        let v = match item {
            Item::Value(v) => v,
            Item::Table(t) => toml_edit::Value::InlineTable(t.into_inline_table()),
            Item::ArrayOfTables(a) => toml_edit::Value::Array(a.into_array()),
            Item::None => continue,
        };
        let k = k.to_string();
        if common_keys.contains(&k.as_str()) {
            common.insert(&k, v);
        } else if FILTER_KEYS.contains(&k.as_str()) {
            filter.insert(&k, v);
        } else if data_format && df_keys.contains(&k.as_str()) {
            df.insert(&k, v);
        } else {
            own.insert(&k, v);
        }
    }
    let label = format!("{kind}.{name}");
    let filter: FilterConfig = deserialize_table(&filter, &label, &source)?;
    Ok((
        common,
        filter,
        PluginOptions {
            kind,
            name: name.to_string(),
            source,
            table: own,
            data_format: df,
        },
    ))
}

/// A configured input.
pub struct InputEntry {
    /// Plugin name.
    pub name: String,
    /// Common options.
    pub common: InputCommon,
    /// Compiled filter.
    pub filter: Filter,
    /// The plugin.
    pub plugin: Box<dyn Input>,
    /// Where it was defined.
    pub source: Source,
}

/// A configured output.
pub struct OutputEntry {
    /// Plugin name.
    pub name: String,
    /// Common options.
    pub common: OutputCommon,
    /// Compiled filter.
    pub filter: Filter,
    /// The plugin.
    pub plugin: Box<dyn Output>,
    /// Where it was defined.
    pub source: Source,
}

/// A configured processor.
pub struct ProcessorEntry {
    /// Plugin name.
    pub name: String,
    /// Common options.
    pub common: ProcessorCommon,
    /// Compiled filter.
    pub filter: Filter,
    /// The plugin.
    pub plugin: Box<dyn Processor>,
    /// Where it was defined.
    pub source: Source,
}

/// A configured aggregator.
pub struct AggregatorEntry {
    /// Plugin name.
    pub name: String,
    /// Common options.
    pub common: AggregatorCommon,
    /// Compiled filter.
    pub filter: Filter,
    /// The plugin.
    pub plugin: Box<dyn Aggregator>,
    /// Where it was defined.
    pub source: Source,
}

/// A loaded configuration: settings plus constructed plugins.
#[derive(Default)]
pub struct Config {
    /// `[agent]`.
    pub agent: AgentSettings,
    /// `[global_tags]`.
    pub global_tags: BTreeMap<String, String>,
    /// Inputs in file order.
    pub inputs: Vec<InputEntry>,
    /// Outputs in file order.
    pub outputs: Vec<OutputEntry>,
    /// Processors sorted by `order` then file order.
    pub processors: Vec<ProcessorEntry>,
    /// Aggregators in file order.
    pub aggregators: Vec<AggregatorEntry>,
    /// Files loaded.
    pub files: Vec<PathBuf>,
}

/// Plugin-name filters from `--input-filter` etc. (empty = all).
#[derive(Debug, Clone, Default)]
pub struct PluginFilters {
    /// Allowed inputs.
    pub inputs: Vec<String>,
    /// Allowed outputs.
    pub outputs: Vec<String>,
    /// Allowed processors.
    pub processors: Vec<String>,
    /// Allowed aggregators.
    pub aggregators: Vec<String>,
}

fn allowed(list: &[String], name: &str) -> bool {
    list.is_empty() || list.iter().any(|n| n == name)
}

impl Config {
    /// Loads config files and every `*.conf` in the directories, in that order.
    pub fn load(
        files: &[PathBuf],
        dirs: &[PathBuf],
        filters: &PluginFilters,
    ) -> Result<Config, ConfigError> {
        let mut paths: Vec<PathBuf> = files.to_vec();
        for d in dirs {
            let rd = std::fs::read_dir(d).map_err(|e| ConfigError::Io {
                path: d.display().to_string(),
                source: e,
            })?;
            let mut found: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "conf") && p.is_file())
                .collect();
            found.sort();
            paths.extend(found);
        }
        if paths.is_empty() {
            paths.push(default_config_path().ok_or(ConfigError::NoConfig)?);
        }
        let mut cfg = Config::default();
        for p in &paths {
            let text = std::fs::read_to_string(p).map_err(|e| ConfigError::Io {
                path: p.display().to_string(),
                source: e,
            })?;
            cfg.add_text(&p.display().to_string(), &text, filters)?;
            cfg.files.push(p.clone());
        }
        cfg.processors
            .sort_by_key(|p| p.common.order.unwrap_or(i64::MAX));
        Ok(cfg)
    }

    /// Parses one file's text into this config (env substitution included).
    pub fn add_text(
        &mut self,
        file: &str,
        raw: &str,
        filters: &PluginFilters,
    ) -> Result<(), ConfigError> {
        let text = substitute_env(raw, &|k| std::env::var(k).ok());
        let doc = parse_doc(file, &text)?;
        for (key, item) in doc.iter() {
            let line = item
                .span()
                .or_else(|| item.as_table().and_then(|t| t.span()))
                .map(|s| line_at(&text, s.start))
                .unwrap_or(0);
            match key {
                "inputs" | "outputs" | "processors" | "aggregators" => {}
                "agent" | "global_tags" => {
                    let Some(t) = item.as_table() else {
                        return Err(ConfigError::Invalid {
                            file: file.into(),
                            line,
                            plugin: key.into(),
                            message: "must be a table".into(),
                        });
                    };
                    let src = source_of(file, &text, t);
                    let mut merged = toml_edit::InlineTable::new();
                    for (k, v) in t.clone().into_iter() {
                        if let Item::Value(v) = v {
                            merged.insert(&k, v);
                        } else {
                            return Err(ConfigError::Option {
                                file: file.into(),
                                line: src.line_of(&k),
                                plugin: key.into(),
                                option: k.to_string(),
                                message: "unexpected sub-table".into(),
                            });
                        }
                    }
                    if key == "agent" {
                        let a: AgentSettings = deserialize_table(&merged, "agent", &src)?;
                        if !a.logfile_rotation_interval.0.is_zero()
                            || a.logfile_rotation_max_size.0 > 0
                        {
                            return Err(ConfigError::NotSupported {
                                file: file.into(),
                                line: if a.logfile_rotation_interval.0.is_zero() {
                                    src.line_of("logfile_rotation_max_size")
                                } else {
                                    src.line_of("logfile_rotation_interval")
                                },
                                what: "agent.logfile_rotation_interval / logfile_rotation_max_size"
                                    .into(),
                            });
                        }
                        match a.buffer_strategy.as_str() {
                            "" | "memory" => {}
                            "disk" if !a.buffer_directory.is_empty() => {}
                            "disk" => {
                                return Err(ConfigError::Option {
                                    file: file.into(),
                                    line: src.line_of("buffer_strategy"),
                                    plugin: "agent".into(),
                                    option: "buffer_directory".into(),
                                    message: "buffer_strategy = \"disk\" needs buffer_directory"
                                        .into(),
                                })
                            }
                            other => {
                                return Err(ConfigError::Option {
                                    file: file.into(),
                                    line: src.line_of("buffer_strategy"),
                                    plugin: "agent".into(),
                                    option: "buffer_strategy".into(),
                                    message: format!("unknown buffer strategy {other:?}"),
                                })
                            }
                        }
                        self.agent = a;
                    } else {
                        let g: BTreeMap<String, String> =
                            deserialize_table(&merged, "global_tags", &src)?;
                        self.global_tags.extend(g);
                    }
                }
                other => {
                    return Err(ConfigError::Invalid {
                        file: file.into(),
                        line,
                        plugin: other.into(),
                        message: format!("unknown section [{other}]"),
                    })
                }
            }
        }
        let mut err = None;
        let mut entries = Vec::new();
        visit_plugins(&doc, file, &text, &mut |kind, name, t, src| {
            entries.push((kind.to_string(), name.to_string(), t.clone(), src));
            Ok(())
        })?;
        for (kind, name, t, src) in entries {
            if let Err(e) = self.add_plugin(&kind, &name, t, src, filters) {
                err = Some(e);
                break;
            }
        }
        err.map_or(Ok(()), Err)
    }

    fn add_plugin(
        &mut self,
        kind: &str,
        name: &str,
        t: Table,
        src: Source,
        filters: &PluginFilters,
    ) -> Result<(), ConfigError> {
        fn find<T: ?Sized>(
            specs: &'static [PluginSpec<T>],
            kind: &str,
            name: &str,
            src: &Source,
        ) -> Result<&'static PluginSpec<T>, ConfigError> {
            specs.iter().find(|s| s.name == name).ok_or_else(|| {
                if registry::is_known_unsupported(kind, name) {
                    ConfigError::NotSupported {
                        file: src.file.clone(),
                        line: src.line,
                        what: format!("{kind}.{name}"),
                    }
                } else {
                    ConfigError::UnknownPlugin {
                        file: src.file.clone(),
                        line: src.line,
                        kind: kind.trim_end_matches('s').to_string(),
                        name: name.to_string(),
                    }
                }
            })
        }
        let label = format!("{kind}.{name}");
        match kind {
            "inputs" => {
                let spec = find(registry::inputs(), kind, name, &src)?;
                if !allowed(&filters.inputs, name) {
                    return Ok(());
                }
                let (common, fc, opts) = split_options(
                    "inputs",
                    name,
                    t,
                    src.clone(),
                    INPUT_COMMON_KEYS,
                    spec.data_format,
                )?;
                let common: InputCommon = deserialize_table(&common, &label, &src)?;
                let plugin = (spec.build)(&opts)?;
                self.inputs.push(InputEntry {
                    name: name.into(),
                    common,
                    filter: Filter::new(&fc),
                    plugin,
                    source: src,
                });
            }
            "outputs" => {
                let spec = find(registry::outputs(), kind, name, &src)?;
                if !allowed(&filters.outputs, name) {
                    return Ok(());
                }
                let (common, fc, opts) = split_options(
                    "outputs",
                    name,
                    t,
                    src.clone(),
                    OUTPUT_COMMON_KEYS,
                    spec.data_format,
                )?;
                let common: OutputCommon = deserialize_table(&common, &label, &src)?;
                let plugin = (spec.build)(&opts)?;
                self.outputs.push(OutputEntry {
                    name: name.into(),
                    common,
                    filter: Filter::new(&fc),
                    plugin,
                    source: src,
                });
            }
            "processors" => {
                let spec = find(registry::processors(), kind, name, &src)?;
                if !allowed(&filters.processors, name) {
                    return Ok(());
                }
                let (common, fc, opts) = split_options(
                    "processors",
                    name,
                    t,
                    src.clone(),
                    PROCESSOR_COMMON_KEYS,
                    spec.data_format,
                )?;
                let common: ProcessorCommon = deserialize_table(&common, &label, &src)?;
                let plugin = (spec.build)(&opts)?;
                self.processors.push(ProcessorEntry {
                    name: name.into(),
                    common,
                    filter: Filter::new(&fc),
                    plugin,
                    source: src,
                });
            }
            _ => {
                let spec = find(registry::aggregators(), kind, name, &src)?;
                if !allowed(&filters.aggregators, name) {
                    return Ok(());
                }
                let (common, fc, opts) = split_options(
                    "aggregators",
                    name,
                    t,
                    src.clone(),
                    AGGREGATOR_COMMON_KEYS,
                    false,
                )?;
                let common: AggregatorCommon = deserialize_table(&common, &label, &src)?;
                let plugin = (spec.build)(&opts)?;
                self.aggregators.push(AggregatorEntry {
                    name: name.into(),
                    common,
                    filter: Filter::new(&fc),
                    plugin,
                    source: src,
                });
            }
        }
        Ok(())
    }

    /// The `host` tag value (hostname setting or the system's), None with omit_hostname.
    pub fn host_tag(&self) -> Option<String> {
        if self.agent.omit_hostname {
            return None;
        }
        if !self.agent.hostname.is_empty() {
            return Some(self.agent.hostname.clone());
        }
        Some(system_hostname())
    }
}

/// The machine's hostname.
pub fn system_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

/// `$TELEGRAF_CONFIG_PATH`, `~/.telegraf/telegraf.conf`, `/etc/telegraf/telegraf.conf`.
pub fn default_config_path() -> Option<PathBuf> {
    let mut cands = Vec::new();
    if let Ok(p) = std::env::var("TELEGRAF_CONFIG_PATH") {
        cands.push(PathBuf::from(p));
    }
    if let Ok(h) = std::env::var("HOME") {
        cands.push(Path::new(&h).join(".telegraf/telegraf.conf"));
    }
    cands.push(PathBuf::from("/etc/telegraf/telegraf.conf"));
    cands.into_iter().find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Config, ConfigError> {
        let mut c = Config::default();
        c.add_text("test.conf", text, &PluginFilters::default())?;
        Ok(c)
    }

    #[test]
    fn durations() {
        assert_eq!(Dur::parse("10s").unwrap().0, Duration::from_secs(10));
        assert_eq!(Dur::parse("1m30s").unwrap().0, Duration::from_secs(90));
        assert_eq!(Dur::parse("500ms").unwrap().0, Duration::from_millis(500));
        assert_eq!(Dur::parse("").unwrap().0, Duration::ZERO);
        assert!(Dur::parse("10x").is_err());
        assert!(Dur::parse("s").is_err());
    }

    #[test]
    fn env_substitution() {
        let env = |k: &str| match k {
            "DB" => Some("telegraf".to_string()),
            "EMPTY" => Some(String::new()),
            _ => None,
        };
        assert_eq!(substitute_env("db = \"${DB}\"", &env), "db = \"telegraf\"");
        assert_eq!(substitute_env("db = \"$DB\"", &env), "db = \"telegraf\"");
        assert_eq!(substitute_env("x = \"${NOPE}\"", &env), "x = \"${NOPE}\"");
        assert_eq!(substitute_env("x = \"${NOPE:-d}\"", &env), "x = \"d\"");
        assert_eq!(substitute_env("x = \"${EMPTY:-d}\"", &env), "x = \"d\"");
        assert_eq!(substitute_env("# ${DB}", &env), "# ${DB}");
        assert_eq!(substitute_env("a = \"$$DB µ\"", &env), "a = \"$DB µ\"");
    }

    #[test]
    fn unknown_option_names_file_line_option() {
        let err =
            load("[agent]\n  interval = \"10s\"\n\n[[inputs.cpu]]\n  percpu = true\n  bogus = 1\n")
                .err()
                .expect("error");
        let msg = err.to_string();
        assert!(msg.starts_with("test.conf:6:"), "{msg}");
        assert!(msg.contains("inputs.cpu") && msg.contains("bogus"), "{msg}");
    }

    #[test]
    fn unknown_agent_option_and_plugin() {
        let msg = load("[agent]\n  intervl = \"10s\"\n")
            .err()
            .unwrap()
            .to_string();
        assert!(
            msg.contains("test.conf:2") && msg.contains("intervl"),
            "{msg}"
        );
        let msg = load("\n[[inputs.nosuch]]\n").err().unwrap().to_string();
        assert_eq!(msg, "test.conf:2: undefined but requested input: nosuch");
        let msg = load("[[inputs.snmp]]\n").err().unwrap().to_string();
        assert_eq!(msg, "test.conf:1: not supported yet: inputs.snmp");
        let msg = load("[[inputs.cpu]]\ninterval = \"1q\"\n")
            .err()
            .unwrap()
            .to_string();
        assert!(
            msg.contains("test.conf:2") && msg.contains("interval"),
            "{msg}"
        );
    }

    #[test]
    fn common_options_and_filters() {
        let c = load(
            r#"
[global_tags]
  dc = "eu-1"
[agent]
  interval = "5s"
  metric_batch_size = 10
[[inputs.cpu]]
  interval = "1s"
  name_override = "processor"
  namepass = ["cpu*"]
  [inputs.cpu.tags]
    role = "db"
  [inputs.cpu.tagpass]
    cpu = ["cpu-total"]
[[outputs.discard]]
  alias = "null"
"#,
        )
        .unwrap();
        assert_eq!(c.agent.interval.0, Duration::from_secs(5));
        assert_eq!(c.agent.metric_batch_size, 10);
        assert_eq!(c.global_tags["dc"], "eu-1");
        let i = &c.inputs[0];
        assert_eq!(i.common.interval.unwrap().0, Duration::from_secs(1));
        assert_eq!(i.common.name_override.as_deref(), Some("processor"));
        assert_eq!(i.common.tags["role"], "db");
        assert!(i.filter.is_active());
        assert_eq!(c.outputs[0].common.alias.as_deref(), Some("null"));
    }

    #[test]
    fn syntax_error_has_line() {
        let msg = load("[agent]\ninterval = \n").err().unwrap().to_string();
        assert!(msg.starts_with("test.conf:2: invalid TOML"), "{msg}");
    }

    #[test]
    fn deprecated_and_unsupported_agent_options() {
        assert!(load("[agent]\nflush_buffer_when_full = true\nutc = true\n").is_ok());
        let msg = load("[agent]\nlogfile = \"/tmp/x\"\nlogfile_rotation_max_size = \"10MB\"\n")
            .err()
            .unwrap()
            .to_string();
        assert!(msg.starts_with("test.conf:3: not supported yet"), "{msg}");
    }

    #[test]
    fn disk_buffer_needs_directory() {
        let msg = load("[agent]\nbuffer_strategy = \"disk\"\n")
            .err()
            .unwrap()
            .to_string();
        assert!(msg.contains("buffer_directory"), "{msg}");
        assert!(load("[agent]\nbuffer_strategy = \"disk\"\nbuffer_directory = \"/tmp\"\n").is_ok());
        assert!(load("[agent]\nbuffer_strategy = \"tape\"\n").is_err());
    }

    proptest::proptest! {
        /// Arbitrary text never panics the loader (it may of course be rejected).
        #[test]
        fn loader_never_panics(text in "(\\[\\[inputs\\.[a-z]{1,6}\\]\\]\n|[a-z_]{1,8} = (\"[^\"\\\\]{0,8}\"|[0-9]{1,4}|true|\\[\\])\n|\\[agent\\]\n|\\$\\{[A-Z]{1,4}\\}|.{0,10}\n){0,12}") {
            let mut c = Config::default();
            let _ = c.add_text("p.conf", &text, &PluginFilters::default());
        }
    }
}

//! Parsers selected with `data_format` on inputs that read external data.

mod csv;
mod graphite;
mod grok;
mod influx;
mod json;
mod json_v2;
mod logfmt;
mod nagios;
mod prometheus;
mod value;

use serde::Deserialize;

use crate::metric::Metric;

pub use self::csv::CsvParser;
pub use self::graphite::{GraphiteParser, Template};
pub use self::grok::GrokParser;
pub use self::influx::InfluxParser;
pub use self::json::JsonParser;
pub use self::json_v2::{JsonV2Config, JsonV2Parser};
pub use self::logfmt::LogfmtParser;
pub use self::nagios::NagiosParser;
pub use self::prometheus::PrometheusParser;
pub use self::value::ValueParser;

/// A parse failure.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
#[error("{0}")]
pub struct ParseError(pub String);

impl ParseError {
    /// Builds an error from anything printable.
    pub fn new(m: impl Into<String>) -> ParseError {
        ParseError(m.into())
    }
}

/// Turns raw bytes into metrics.
pub trait Parser: Send + Sync {
    /// Parses a whole payload. `now` is the default timestamp.
    fn parse(&self, data: &[u8], now: i64) -> Result<Vec<Metric>, ParseError>;
    /// Parses one line (for `tail`, `socket_listener` in line mode). Default: `parse`.
    fn parse_line(&self, line: &str, now: i64) -> Result<Vec<Metric>, ParseError> {
        self.parse(line.as_bytes(), now)
    }
    /// True when `parse` accepts many newline-separated records at once (stream inputs
    /// then hand over whole chunks instead of single lines).
    fn multi_line(&self) -> bool {
        false
    }
}

/// Options of every parser, as written next to `data_format`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ParserConfig {
    /// `influx`, `json`, `value`, `logfmt`, `csv`, `graphite`, `nagios`, `prometheus`.
    pub data_format: Option<String>,
    /// Metric name for formats without one (`json`, `value`, `csv`, `logfmt`).
    pub metric_name: Option<String>,
    /// `influx`: parser implementation (accepted, one implementation).
    pub influx_parser_type: Option<String>,
    /// `influx`: precision of timestamps without unit.
    pub influx_timestamp_precision: Option<crate::config::Dur>,
    /// `json`: GJSON-style path to the object/array to parse.
    pub json_query: Option<String>,
    /// `json`/`csv`/`logfmt`: keys turned into tags.
    pub tag_keys: Vec<String>,
    /// `json`: string keys kept as fields.
    pub json_string_fields: Vec<String>,
    /// `json`: key holding the measurement name.
    pub json_name_key: Option<String>,
    /// `json`: key holding the time.
    pub json_time_key: Option<String>,
    /// `json`: `unix`, `unix_ms`, `unix_us`, `unix_ns` or a Go layout.
    pub json_time_format: Option<String>,
    /// `json`: time zone of `json_time_format` (only `UTC`/`Local` supported).
    pub json_timezone: Option<String>,
    /// `json`: fail on a non-object element (default true).
    pub json_strict: Option<bool>,
    /// `value`: `integer`, `float`, `long`, `string`, `boolean`, `auto_integer`, `auto_float`.
    pub data_type: Option<String>,
    /// `value`: field name (default `value`).
    pub value_field_name: Option<String>,
    /// `graphite`: separator between template parts.
    pub separator: Option<String>,
    /// `graphite`: templates.
    pub templates: Vec<String>,
    /// `csv`: number of header rows.
    pub csv_header_row_count: usize,
    /// `csv`: explicit column names.
    pub csv_column_names: Vec<String>,
    /// `csv`: explicit column types (`int`, `float`, `bool`, `string`).
    pub csv_column_types: Vec<String>,
    /// `csv`: columns that become tags.
    pub csv_tag_columns: Vec<String>,
    /// `csv`: column holding the measurement name.
    pub csv_measurement_column: Option<String>,
    /// `csv`: column holding the time.
    pub csv_timestamp_column: Option<String>,
    /// `csv`: time format of that column.
    pub csv_timestamp_format: Option<String>,
    /// `csv`: field delimiter (default `,`).
    pub csv_delimiter: Option<String>,
    /// `csv`: comment prefix.
    pub csv_comment: Option<String>,
    /// `csv`: rows skipped before the header.
    pub csv_skip_rows: usize,
    /// `csv`: columns skipped on the left.
    pub csv_skip_columns: usize,
    /// `csv`: trim spaces around values.
    pub csv_trim_space: bool,
    /// `csv`: time zone (only UTC supported).
    pub csv_timezone: Option<String>,
    /// `csv`: how to handle the header on each payload (accepted).
    pub csv_reset_mode: Option<String>,
    /// `logfmt`: keys turned into tags.
    pub logfmt_tag_keys: Vec<String>,
    /// `grok`: patterns tried in order.
    pub grok_patterns: Vec<String>,
    /// `grok`: extra patterns, one `NAME regex` per line.
    pub grok_custom_patterns: String,
    /// `grok`: files of extra patterns.
    pub grok_custom_pattern_files: Vec<String>,
    /// `grok`: time zone (only UTC / Local-as-UTC supported).
    pub grok_timezone: Option<String>,
    /// `grok`: unique timestamps (accepted).
    pub grok_unique_timestamp: Option<String>,
    /// `[[inputs.X.json_v2]]` blocks.
    pub json_v2: Vec<JsonV2Config>,
}

/// Keys of [`ParserConfig`]; stripped from an input's table when it takes `data_format`.
pub const PARSER_KEYS: &[&str] = &[
    "data_format",
    "metric_name",
    "influx_parser_type",
    "influx_timestamp_precision",
    "json_query",
    "tag_keys",
    "json_string_fields",
    "json_name_key",
    "json_time_key",
    "json_time_format",
    "json_timezone",
    "json_strict",
    "data_type",
    "value_field_name",
    "separator",
    "templates",
    "csv_header_row_count",
    "csv_column_names",
    "csv_column_types",
    "csv_tag_columns",
    "csv_measurement_column",
    "csv_timestamp_column",
    "csv_timestamp_format",
    "csv_delimiter",
    "csv_comment",
    "csv_skip_rows",
    "csv_skip_columns",
    "csv_trim_space",
    "csv_timezone",
    "csv_reset_mode",
    "logfmt_tag_keys",
    "grok_patterns",
    "grok_custom_patterns",
    "grok_custom_pattern_files",
    "grok_timezone",
    "grok_unique_timestamp",
    "json_v2",
];

/// Builds the parser a config selects; the error names the problem.
pub fn build(c: &ParserConfig) -> Result<Box<dyn Parser>, String> {
    let name = c.metric_name.clone().unwrap_or_default();
    let fmt = c.data_format.as_deref().unwrap_or("influx");
    Ok(match fmt {
        "influx" => Box::new(InfluxParser::new(
            c.influx_timestamp_precision
                .map(|d| d.0.as_nanos() as i64)
                .unwrap_or(1),
        )),
        "json" => Box::new(JsonParser::from_config(c, &name)?),
        "value" => Box::new(ValueParser::new(
            &name,
            c.data_type.as_deref().unwrap_or("float"),
            c.value_field_name.as_deref().unwrap_or("value"),
        )?),
        "logfmt" => Box::new(LogfmtParser::new(&name, &c.logfmt_tag_keys)),
        "csv" => Box::new(CsvParser::from_config(c, &name)?),
        "graphite" => Box::new(GraphiteParser::new(
            c.separator.as_deref().unwrap_or("."),
            &c.templates,
        )?),
        "nagios" => Box::new(NagiosParser::new(&name)),
        "prometheus" => Box::new(PrometheusParser::default()),
        "json_v2" => Box::new(JsonV2Parser::new(&name, c.json_v2.clone())?),
        "grok" => {
            let mut custom = c.grok_custom_patterns.clone();
            for f in &c.grok_custom_pattern_files {
                let text = std::fs::read_to_string(f).map_err(|e| format!("reading {f}: {e}"))?;
                custom.push('\n');
                custom.push_str(&text);
            }
            if let Some(tz) = &c.grok_timezone {
                if !matches!(tz.as_str(), "" | "UTC" | "Local") {
                    return Err(format!("not supported yet: grok_timezone {tz:?}"));
                }
            }
            Box::new(GrokParser::new(&name, &c.grok_patterns, &custom)?)
        }
        "collectd"
        | "dropwizard"
        | "form_urlencoded"
        | "wavefront"
        | "xpath_json"
        | "xml"
        | "xpath_msgpack"
        | "xpath_protobuf"
        | "avro"
        | "binary"
        | "opentsdb"
        | "prometheusremotewrite"
        | "parquet" => return Err(format!("not supported yet: data_format {fmt:?}")),
        other => return Err(format!("unknown data_format {other:?}")),
    })
}

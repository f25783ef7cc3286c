//! The InfluxDB 2 monitoring resources as the runner uses them: checks,
//! notification endpoints and notification rules, read (and validated) from
//! their stored JSON documents with InfluxDB 2.7's field names and error
//! messages.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::tasks_runner::schedule::parse_duration;

/// Catalog document kind (and permission type) of checks.
pub const CHECKS: &str = "checks";
/// Catalog document kind (and permission type) of notification endpoints.
pub const ENDPOINTS: &str = "notificationEndpoints";
/// Catalog document kind (and permission type) of notification rules.
pub const RULES: &str = "notificationRules";

/// A check or rule level. The API writes them upper case (`CRIT`), statuses
/// carry them lower case (`crit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// `UNKNOWN`.
    Unknown,
    /// `OK`.
    Ok,
    /// `INFO`.
    Info,
    /// `WARN`.
    Warn,
    /// `CRIT`.
    Crit,
}

impl Level {
    /// Reads an API level (`CRIT`, case-insensitive).
    pub fn parse(text: &str) -> Option<Level> {
        Some(match text.to_ascii_uppercase().as_str() {
            "UNKNOWN" => Level::Unknown,
            "OK" => Level::Ok,
            "INFO" => Level::Info,
            "WARN" => Level::Warn,
            "CRIT" => Level::Crit,
            _ => return None,
        })
    }

    /// The `_level` tag value of a status (`crit`).
    pub fn tag(self) -> &'static str {
        match self {
            Level::Unknown => "unknown",
            Level::Ok => "ok",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Crit => "crit",
        }
    }

    /// The alert engine's level of a status level (unknown counts as OK).
    pub fn alert_level(self) -> almanac_tasks::alert::Level {
        use almanac_tasks::alert::Level as A;
        match self {
            Level::Unknown | Level::Ok => A::Ok,
            Level::Info => A::Info,
            Level::Warn => A::Warning,
            Level::Crit => A::Critical,
        }
    }
}

/// A duration field as written (`"1m"`) and in nanoseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dur {
    /// The Flux duration literal.
    pub text: String,
    /// Nanoseconds.
    pub ns: i64,
}

fn str_field<'a>(body: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    body.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn duration_field(body: &Map<String, Value>, key: &str, what: &str) -> Result<Option<Dur>, String> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => {
            let ns = parse_duration(s).map_err(|e| format!("{what} {key}: {e}"))?;
            Ok(Some(Dur {
                text: s.clone(),
                ns,
            }))
        }
        Some(other) => Err(format!(
            "{what} {key} must be a duration string, got {other}"
        )),
    }
}

/// Every and offset of a check or rule, validated as InfluxDB does.
fn schedule_fields(body: &Map<String, Value>, what: &str) -> Result<(Dur, Dur), String> {
    if str_field(body, "cron").is_some() {
        return Err(format!(
            "not supported yet: cron schedules of {what}s (use every)"
        ));
    }
    let every =
        duration_field(body, "every", what)?.ok_or_else(|| format!("{what} Every must exist"))?;
    if every.ns <= 0 {
        return Err(format!("{what} Every can't be empty"));
    }
    let offset = duration_field(body, "offset", what)?.unwrap_or(Dur {
        text: "0s".into(),
        ns: 0,
    });
    if offset.ns >= every.ns {
        return Err("Offset should not be equal or greater than the interval".into());
    }
    Ok((every, offset))
}

/// One threshold condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `value > v`.
    Greater(f64),
    /// `value < v`.
    Lesser(f64),
    /// `min < value < max` (within) or `value < min or value > max`.
    Range {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
        /// Inside (true) or outside the range.
        within: bool,
    },
}

impl Condition {
    /// Whether `v` meets the condition.
    pub fn matches(&self, v: f64) -> bool {
        match *self {
            Condition::Greater(t) => v > t,
            Condition::Lesser(t) => v < t,
            Condition::Range { min, max, within } => {
                if within {
                    v < max && v > min
                } else {
                    v < min || v > max
                }
            }
        }
    }
}

/// One entry of a threshold check's `thresholds`.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// Level given to rows that meet it.
    pub level: Level,
    /// Only when every row of the series in the window meets it.
    pub all_values: bool,
    /// The condition.
    pub condition: Condition,
}

/// What a check evaluates.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckKind {
    /// `type: threshold`.
    Threshold(Vec<Threshold>),
    /// `type: deadman`.
    Deadman {
        /// A series is dead when its last point is older than this.
        time_since: Dur,
        /// How far back the query looks for series.
        stale_time: Dur,
        /// Also dead when only zero values arrived since `time_since`.
        report_zero: bool,
        /// Level of a dead series.
        level: Level,
    },
}

impl CheckKind {
    /// `threshold` or `deadman`.
    pub fn type_name(&self) -> &'static str {
        match self {
            CheckKind::Threshold(_) => "threshold",
            CheckKind::Deadman { .. } => "deadman",
        }
    }
}

/// A check, ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// Id.
    pub id: String,
    /// Organization.
    pub org_id: String,
    /// Name.
    pub name: String,
    /// `query.text`: the Flux query.
    pub query: String,
    /// Schedule interval.
    pub every: Dur,
    /// Delay after each scheduled time.
    pub offset: Dur,
    /// `tags`: added to every status.
    pub tags: Vec<(String, String)>,
    /// `statusMessageTemplate` (a Flux string over `r`).
    pub message_template: String,
    /// Threshold or deadman.
    pub kind: CheckKind,
    /// `status == "active"`.
    pub active: bool,
    /// The user it runs as.
    pub owner_id: Option<String>,
}

fn level_field(v: Option<&Value>, what: &str) -> Result<Level, String> {
    match v.and_then(Value::as_str) {
        Some(s) => Level::parse(s).ok_or_else(|| format!("invalid {what} level {s}")),
        None => Err(format!("{what} level is required")),
    }
}

fn number(v: Option<&Value>, what: &str) -> Result<f64, String> {
    match v {
        None | Some(Value::Null) => Ok(0.0),
        Some(v) => v.as_f64().ok_or_else(|| format!("{what} must be a number")),
    }
}

fn parse_threshold(v: &Value) -> Result<Threshold, String> {
    let obj = v.as_object().ok_or("a threshold must be an object")?;
    let typ = obj.get("type").and_then(Value::as_str).unwrap_or("");
    let condition = match typ {
        "greater" => Condition::Greater(number(obj.get("value"), "threshold value")?),
        "lesser" => Condition::Lesser(number(obj.get("value"), "threshold value")?),
        "range" => {
            let min = number(obj.get("min"), "threshold min")?;
            let max = number(obj.get("max"), "threshold max")?;
            if min > max {
                return Err("range threshold min can't be larger than max".into());
            }
            Condition::Range {
                min,
                max,
                within: obj.get("within").and_then(Value::as_bool).unwrap_or(false),
            }
        }
        other => return Err(format!("invalid threshold type {other}")),
    };
    Ok(Threshold {
        level: level_field(obj.get("level"), "threshold")?,
        all_values: obj
            .get("allValues")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        condition,
    })
}

/// Reads `[{key, value}]` tags.
fn tags_field(body: &Map<String, Value>, what: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let Some(list) = body.get("tags").filter(|v| !v.is_null()) else {
        return Ok(out);
    };
    for t in list
        .as_array()
        .ok_or(format!("{what} tags must be an array"))?
    {
        let key = t.get("key").and_then(Value::as_str).unwrap_or("");
        let value = t.get("value").and_then(Value::as_str).unwrap_or("");
        if key.is_empty() {
            return Err("tag must contain a key and a value".into());
        }
        out.push((key.to_string(), value.to_string()));
    }
    Ok(out)
}

impl Check {
    /// Reads and validates a check body (without the computed fields).
    pub fn from_body(id: &str, org_id: &str, body: &Map<String, Value>) -> Result<Check, String> {
        let name = str_field(body, "name").ok_or("Check Name can't be empty")?;
        let query = body
            .get("query")
            .and_then(|q| q.get("text"))
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .ok_or("Check query text can't be empty")?;
        let (every, offset) = schedule_fields(body, "Check")?;
        let kind = match body.get("type").and_then(Value::as_str).unwrap_or("") {
            "threshold" => {
                let list = match body.get("thresholds") {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::Array(a)) => {
                        a.iter().map(parse_threshold).collect::<Result<_, _>>()?
                    }
                    Some(_) => return Err("thresholds must be an array".into()),
                };
                CheckKind::Threshold(list)
            }
            "deadman" => {
                let time_since = duration_field(body, "timeSince", "Check")?
                    .ok_or("deadman check timeSince is required")?;
                let stale_time = duration_field(body, "staleTime", "Check")?
                    .ok_or("deadman check staleTime is required")?;
                CheckKind::Deadman {
                    time_since,
                    stale_time,
                    report_zero: body
                        .get("reportZero")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                    level: level_field(body.get("level"), "deadman check")?,
                }
            }
            "custom" => return Err("not supported yet: custom checks".into()),
            other => return Err(format!("invalid check type {other}")),
        };
        let check = Check {
            id: id.to_string(),
            org_id: org_id.to_string(),
            name: name.to_string(),
            query: query.to_string(),
            every,
            offset,
            tags: tags_field(body, "Check")?,
            message_template: body
                .get("statusMessageTemplate")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            kind,
            active: body.get("status").and_then(Value::as_str) != Some("inactive"),
            owner_id: str_field(body, "ownerID").map(str::to_string),
        };
        // the query must be one a check can run (one field for thresholds)
        super::query::CheckQuery::build(&check)?;
        Ok(check)
    }
}

/// How an HTTP endpoint authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpAuth {
    /// `none`.
    None,
    /// `basic` with username and password.
    Basic(String, String),
    /// `bearer` with a token.
    Bearer(String),
}

/// The kind-specific part of an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointKind {
    /// `type: http`.
    Http {
        /// Target URL.
        url: String,
        /// `POST`, `GET` or `PUT`.
        method: String,
        /// Authentication.
        auth: HttpAuth,
        /// Extra headers.
        headers: BTreeMap<String, String>,
    },
    /// `type: slack`.
    Slack {
        /// Incoming webhook URL.
        url: String,
        /// API token (secret).
        token: String,
    },
    /// `type: pagerduty`.
    PagerDuty {
        /// Link to the client shown in PagerDuty.
        client_url: String,
        /// Integration routing key (secret).
        routing_key: String,
    },
    /// `type: telegram`.
    Telegram {
        /// Bot API base URL, the token and `/sendMessage` are appended
        /// (Almanac's `url` field; InfluxDB 2 always uses Telegram's).
        url: String,
        /// Bot token (secret).
        token: String,
        /// Chat id or `@channel` to send to.
        channel: String,
    },
}

/// Slack's Web API method that posts a message (a slack endpoint with a
/// token and no URL sends there, as Flux's `slack.message` does).
pub const SLACK_POST_MESSAGE_URL: &str = "https://slack.com/api/chat.postMessage";

/// Telegram's Bot API base URL.
pub const TELEGRAM_BOT_API_URL: &str = "https://api.telegram.org/bot";

impl EndpointKind {
    /// `http`, `slack`, `pagerduty` or `telegram`.
    pub fn type_name(&self) -> &'static str {
        match self {
            EndpointKind::Http { .. } => "http",
            EndpointKind::Slack { .. } => "slack",
            EndpointKind::PagerDuty { .. } => "pagerduty",
            EndpointKind::Telegram { .. } => "telegram",
        }
    }
}

/// A notification endpoint with its secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// `status == "active"`.
    pub active: bool,
    /// Kind and settings.
    pub kind: EndpointKind,
}

/// Names of the secret fields of each endpoint type.
pub fn secret_fields(typ: &str) -> &'static [&'static str] {
    match typ {
        "http" => &["username", "password", "token"],
        "slack" => &["token"],
        "pagerduty" => &["routingKey"],
        "telegram" => &["token"],
        _ => &[],
    }
}

impl Endpoint {
    /// Reads an endpoint document: settings in `body`, secret values under
    /// `body.secrets`.
    pub fn from_body(id: &str, body: &Map<String, Value>) -> Result<Endpoint, String> {
        let name = str_field(body, "name").ok_or("Notification Endpoint Name can't be empty")?;
        let secret = |k: &str| {
            body.get("secrets")
                .and_then(|s| s.get(k))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let kind = match body.get("type").and_then(Value::as_str).unwrap_or("") {
            "http" => {
                let url = str_field(body, "url").ok_or("http endpoint URL is empty")?;
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(format!("http endpoint URL is invalid: {url}"));
                }
                let method = str_field(body, "method")
                    .unwrap_or("POST")
                    .to_ascii_uppercase();
                if !matches!(method.as_str(), "POST" | "GET" | "PUT") {
                    return Err(format!("invalid http http method {method}"));
                }
                let auth = match str_field(body, "authMethod").unwrap_or("none") {
                    "none" => HttpAuth::None,
                    "basic" => HttpAuth::Basic(secret("username"), secret("password")),
                    "bearer" => HttpAuth::Bearer(secret("token")),
                    other => return Err(format!("invalid http auth method {other}")),
                };
                let mut headers = BTreeMap::new();
                if let Some(h) = body.get("headers").filter(|h| !h.is_null()) {
                    for (k, v) in h
                        .as_object()
                        .ok_or("http endpoint headers must be an object")?
                    {
                        let v = v
                            .as_str()
                            .ok_or("http endpoint header values must be strings")?;
                        headers.insert(k.clone(), v.to_string());
                    }
                }
                EndpointKind::Http {
                    url: url.to_string(),
                    method,
                    auth,
                    headers,
                }
            }
            "slack" => {
                let url = str_field(body, "url").unwrap_or("").to_string();
                let token = secret("token");
                if url.is_empty() && token.is_empty() {
                    return Err("slack endpoint URL must be provided".into());
                }
                EndpointKind::Slack { url, token }
            }
            "pagerduty" => EndpointKind::PagerDuty {
                client_url: str_field(body, "clientURL").unwrap_or("").to_string(),
                routing_key: secret("routingKey"),
            },
            "telegram" => {
                let token = secret("token");
                if token.is_empty() {
                    return Err("empty telegram bot token".into());
                }
                let channel = str_field(body, "channel").unwrap_or("").to_string();
                if channel.is_empty() {
                    return Err("empty telegram channel".into());
                }
                let url = match str_field(body, "url").filter(|u| !u.is_empty()) {
                    None => TELEGRAM_BOT_API_URL.to_string(),
                    Some(u) if u.starts_with("http://") || u.starts_with("https://") => {
                        u.to_string()
                    }
                    Some(u) => return Err(format!("telegram endpoint URL is invalid: {u}")),
                };
                EndpointKind::Telegram {
                    url,
                    token,
                    channel,
                }
            }
            "" => return Err("Notification Endpoint type is required".into()),
            other => {
                return Err(format!(
                    "not supported yet: notification endpoint type {other}"
                ))
            }
        };
        Ok(Endpoint {
            id: id.to_string(),
            name: name.to_string(),
            active: body.get("status").and_then(Value::as_str) != Some("inactive"),
            kind,
        })
    }
}

/// A rule's `statusRules` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusRule {
    /// The level the status has (`None` = ANY).
    pub current: Option<Level>,
    /// The level the previous status of the series had (`None` = ANY);
    /// the rule matches changes only when set.
    pub previous: Option<Option<Level>>,
}

/// A tag rule operator.
#[derive(Debug, Clone)]
pub enum TagOp {
    /// `equal`.
    Equal,
    /// `notequal`.
    NotEqual,
    /// `equalregex`.
    EqualRegex(regex::Regex),
    /// `notequalregex`.
    NotEqualRegex(regex::Regex),
}

/// A rule's `tagRules` entry.
#[derive(Debug, Clone)]
pub struct TagRule {
    /// Tag key.
    pub key: String,
    /// Value (or pattern).
    pub value: String,
    /// Comparison.
    pub op: TagOp,
}

impl PartialEq for TagOp {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (TagOp::Equal, TagOp::Equal) | (TagOp::NotEqual, TagOp::NotEqual) => true,
            (TagOp::EqualRegex(a), TagOp::EqualRegex(b))
            | (TagOp::NotEqualRegex(a), TagOp::NotEqualRegex(b)) => a.as_str() == b.as_str(),
            _ => false,
        }
    }
}

impl TagRule {
    /// Whether a status with tag value `v` (absent = `None`) passes.
    pub fn matches(&self, v: Option<&str>) -> bool {
        match &self.op {
            TagOp::Equal => v == Some(self.value.as_str()),
            TagOp::NotEqual => v != Some(self.value.as_str()),
            TagOp::EqualRegex(re) => v.is_some_and(|v| re.is_match(v)),
            TagOp::NotEqualRegex(re) => !v.is_some_and(|v| re.is_match(v)),
        }
    }
}

/// A notification rule, ready to run.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Id.
    pub id: String,
    /// Organization.
    pub org_id: String,
    /// Name.
    pub name: String,
    /// `http`, `slack`, `pagerduty` or `telegram` (the endpoint's type).
    pub typ: String,
    /// Endpoint id.
    pub endpoint_id: String,
    /// Schedule interval.
    pub every: Dur,
    /// Delay after each scheduled time.
    pub offset: Dur,
    /// Status rules (any of them).
    pub status_rules: Vec<StatusRule>,
    /// Tag rules (all of them).
    pub tag_rules: Vec<TagRule>,
    /// `messageTemplate` (slack, pagerduty, telegram).
    pub message_template: String,
    /// `channel` (slack).
    pub channel: String,
    /// `parseMode` (telegram): `MarkdownV2` (default), `HTML` or `Markdown`.
    pub parse_mode: String,
    /// `disableWebPagePreview` (telegram).
    pub disable_web_page_preview: bool,
    /// At most `limit.0` notifications per `limit.1` seconds.
    pub limit: Option<(u64, u64)>,
    /// `status == "active"`.
    pub active: bool,
    /// The user it runs as.
    pub owner_id: Option<String>,
}

fn rule_level(v: Option<&Value>, what: &str) -> Result<Option<Level>, String> {
    match v.and_then(Value::as_str) {
        None => Err(format!("{what} is required")),
        Some(s) if s.eq_ignore_ascii_case("ANY") => Ok(None),
        Some(s) => Level::parse(s)
            .map(Some)
            .ok_or_else(|| format!("invalid {what} {s}")),
    }
}

impl Rule {
    /// Reads and validates a rule body.
    pub fn from_body(id: &str, org_id: &str, body: &Map<String, Value>) -> Result<Rule, String> {
        let name = str_field(body, "name").ok_or("Notification Rule Name can't be empty")?;
        let endpoint_id =
            str_field(body, "endpointID").ok_or("Notification Rule EndpointID is invalid")?;
        let typ = str_field(body, "type").ok_or("Notification Rule type is required")?;
        if !matches!(typ, "http" | "slack" | "pagerduty" | "telegram") {
            return Err(format!("not supported yet: notification rule type {typ}"));
        }
        match body.get("status").and_then(Value::as_str) {
            None | Some("active") | Some("inactive") => {}
            Some(_) => return Err("invalid status".into()),
        }
        let (every, offset) = schedule_fields(body, "Notification Rule")?;
        let parse_mode = match str_field(body, "parseMode").unwrap_or("") {
            "" => "MarkdownV2",
            m @ ("MarkdownV2" | "HTML" | "Markdown") => m,
            other => {
                return Err(format!(
                    "invalid parseMode {other:?}: use MarkdownV2, HTML or Markdown"
                ))
            }
        };
        let mut status_rules = Vec::new();
        if let Some(list) = body.get("statusRules").and_then(Value::as_array) {
            for s in list {
                let current = rule_level(s.get("currentLevel"), "status rule currentLevel")?;
                let previous = match s.get("previousLevel") {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(rule_level(Some(v), "status rule previousLevel")?),
                };
                status_rules.push(StatusRule { current, previous });
            }
        }
        let mut tag_rules = Vec::new();
        if let Some(list) = body.get("tagRules").and_then(Value::as_array) {
            for t in list {
                let key = t.get("key").and_then(Value::as_str).unwrap_or("");
                let value = t.get("value").and_then(Value::as_str).unwrap_or("");
                if key.is_empty() {
                    return Err("tag must contain a key and a value".into());
                }
                let regex = || {
                    regex::Regex::new(value)
                        .map_err(|e| format!("tag rule {key}: invalid regex {value:?}: {e}"))
                };
                let op = match t.get("operator").and_then(Value::as_str).unwrap_or("equal") {
                    "equal" => TagOp::Equal,
                    "notequal" => TagOp::NotEqual,
                    "equalregex" => TagOp::EqualRegex(regex()?),
                    "notequalregex" => TagOp::NotEqualRegex(regex()?),
                    other => return Err(format!("Operator {other:?} is invalid")),
                };
                tag_rules.push(TagRule {
                    key: key.to_string(),
                    value: value.to_string(),
                    op,
                });
            }
        }
        let limit = match (body.get("limit"), body.get("limitEvery")) {
            (None | Some(Value::Null), None | Some(Value::Null)) => None,
            (l, e) => {
                let l = l.and_then(Value::as_i64).unwrap_or(0);
                let e = e.and_then(Value::as_i64).unwrap_or(0);
                if l <= 0 || e <= 0 {
                    return Err(
                        "if limit is set, limit and limitEvery must be larger than 0".into(),
                    );
                }
                Some((l as u64, e as u64))
            }
        };
        Ok(Rule {
            id: id.to_string(),
            org_id: org_id.to_string(),
            name: name.to_string(),
            typ: typ.to_string(),
            endpoint_id: endpoint_id.to_string(),
            every,
            offset,
            status_rules,
            tag_rules,
            message_template: body
                .get("messageTemplate")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            channel: body
                .get("channel")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            parse_mode: parse_mode.to_string(),
            disable_web_page_preview: body
                .get("disableWebPagePreview")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            limit,
            active: body.get("status").and_then(Value::as_str) != Some("inactive"),
            owner_id: str_field(body, "ownerID").map(str::to_string),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    const QUERY: &str = "from(bucket: \"b\") |> range(start: v.timeRangeStart) |> filter(fn: (r) => r._field == \"usage\")";

    #[test]
    fn reads_checks() {
        let c = Check::from_body(
            "1",
            "o",
            &obj(json!({"name": "c", "type": "threshold", "every": "1m", "offset": "5s",
                "query": {"text": QUERY}, "tags": [{"key": "team", "value": "ops"}],
                "thresholds": [{"type": "greater", "value": 80, "level": "CRIT"},
                               {"type": "range", "min": 1, "max": 2, "within": true, "level": "WARN", "allValues": true}]})),
        )
        .unwrap();
        assert_eq!(c.every.ns, 60_000_000_000);
        assert_eq!(c.tags, vec![("team".into(), "ops".into())]);
        let CheckKind::Threshold(t) = &c.kind else {
            panic!()
        };
        assert!(t[0].condition.matches(81.0) && !t[0].condition.matches(80.0));
        assert!(t[1].all_values && t[1].condition.matches(1.5) && !t[1].condition.matches(2.0));
        let err = |v: Value| Check::from_body("1", "o", &obj(v)).unwrap_err();
        assert_eq!(
            err(json!({"type": "threshold", "every": "1m", "query": {"text": QUERY}})),
            "Check Name can't be empty"
        );
        assert_eq!(
            err(json!({"name": "c", "type": "threshold", "query": {"text": QUERY}})),
            "Check Every must exist"
        );
        assert_eq!(
            err(
                json!({"name": "c", "type": "threshold", "every": "1m", "offset": "1m", "query": {"text": QUERY}})
            ),
            "Offset should not be equal or greater than the interval"
        );
        assert_eq!(
            err(json!({"name": "c", "type": "bogus", "every": "1m", "query": {"text": QUERY}})),
            "invalid check type bogus"
        );
        assert_eq!(
            err(
                json!({"name": "c", "type": "threshold", "every": "1m", "query": {"text": QUERY},
                "thresholds": [{"type": "range", "min": 3, "max": 2, "level": "CRIT"}]})
            ),
            "range threshold min can't be larger than max"
        );
        let d = Check::from_body(
            "1",
            "o",
            &obj(
                json!({"name": "d", "type": "deadman", "every": "1s", "timeSince": "90s",
                "staleTime": "10m", "level": "CRIT", "query": {"text": QUERY}}),
            ),
        )
        .unwrap();
        assert!(matches!(
            d.kind,
            CheckKind::Deadman {
                level: Level::Crit,
                ..
            }
        ));
    }

    #[test]
    fn reads_endpoints_and_rules() {
        let e = Endpoint::from_body(
            "e",
            &obj(
                json!({"name": "h", "type": "http", "url": "http://x/", "method": "POST",
                "authMethod": "bearer", "secrets": {"token": "t"}}),
            ),
        )
        .unwrap();
        assert!(
            matches!(e.kind, EndpointKind::Http { auth: HttpAuth::Bearer(ref t), .. } if t == "t")
        );
        assert!(Endpoint::from_body(
            "e",
            &obj(json!({"name": "h", "type": "http", "url": "ftp://x"}))
        )
        .is_err());
        let r = Rule::from_body(
            "r",
            "o",
            &obj(
                json!({"name": "r", "type": "http", "endpointID": "e", "every": "1s",
                "statusRules": [{"currentLevel": "CRIT", "previousLevel": "ANY"}],
                "tagRules": [{"key": "team", "value": "o.*", "operator": "equalregex"}]}),
            ),
        )
        .unwrap();
        assert_eq!(
            r.status_rules,
            vec![StatusRule {
                current: Some(Level::Crit),
                previous: Some(None)
            }]
        );
        assert!(r.tag_rules[0].matches(Some("ops")) && !r.tag_rules[0].matches(None));
        assert!(Rule::from_body(
            "r",
            "o",
            &obj(json!({"name": "r", "type": "http", "endpointID": "e",
            "every": "1s", "limit": 0, "limitEvery": 1}))
        )
        .is_err());
    }

    #[test]
    fn reads_telegram_endpoints_and_rules() {
        let e = Endpoint::from_body(
            "e",
            &obj(json!({"name": "t", "type": "telegram", "channel": "-1001",
                "secrets": {"token": "123:abc"}})),
        )
        .unwrap();
        assert_eq!(
            e.kind,
            EndpointKind::Telegram {
                url: TELEGRAM_BOT_API_URL.into(),
                token: "123:abc".into(),
                channel: "-1001".into()
            }
        );
        let no_token = Endpoint::from_body(
            "e",
            &obj(json!({"name": "t", "type": "telegram", "channel": "c"})),
        );
        assert_eq!(no_token.unwrap_err(), "empty telegram bot token");
        let no_channel = Endpoint::from_body(
            "e",
            &obj(json!({"name": "t", "type": "telegram", "secrets": {"token": "x"}})),
        );
        assert_eq!(no_channel.unwrap_err(), "empty telegram channel");
        let body = |extra: Value| {
            let mut b = obj(json!({"name": "r", "type": "telegram", "endpointID": "e",
                "every": "1m", "messageTemplate": "m"}));
            b.extend(obj(extra));
            Rule::from_body("r", "o", &b)
        };
        let r = body(json!({})).unwrap();
        assert_eq!(r.parse_mode, "MarkdownV2");
        assert!(!r.disable_web_page_preview);
        let r = body(json!({"parseMode": "HTML", "disableWebPagePreview": true})).unwrap();
        assert_eq!(
            (r.parse_mode.as_str(), r.disable_web_page_preview),
            ("HTML", true)
        );
        assert!(body(json!({"parseMode": "rst"}))
            .unwrap_err()
            .contains("parseMode"));
    }
}

//! A check's query as InfluxDB 2 runs it: every `start:` argument becomes
//! `-every` (`-staleTime` for deadman checks), every `every:` argument the
//! check's interval, `stop:` is dropped from `range()`, `aggregateWindow()`
//! gets `createEmpty: false` (threshold) or is removed (deadman). The edits
//! are made on the script text at the positions the Flux parser reports.
//! Also renders the Flux script InfluxDB would generate for a check or a
//! notification rule (`GET …/{id}/query`).

use serde_json::Value;

use super::model::{Check, CheckKind, Endpoint, EndpointKind, Rule};

/// The query a check runs, and the field its thresholds compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckQuery {
    /// The rewritten Flux script.
    pub script: String,
    /// The single `_field` a threshold check compares (`None` for deadman).
    pub field: Option<String>,
}

/// Byte offset of a (line, column) position (both from 1, columns in
/// characters).
fn byte_offset(text: &str, pos: &Value) -> Option<usize> {
    let line = pos.get("line")?.as_u64()? as usize;
    let column = pos.get("column")?.as_u64()? as usize;
    let mut start = 0;
    for _ in 1..line {
        start += text[start..].find('\n')? + 1;
    }
    let rest = &text[start..];
    let col = column.checked_sub(1)?;
    match rest.char_indices().nth(col) {
        Some((i, _)) => Some(start + i),
        None if rest.chars().count() == col => Some(start + rest.len()),
        None => None,
    }
}

fn span(text: &str, node: &Value) -> Option<(usize, usize)> {
    let loc = node.get("location")?;
    Some((
        byte_offset(text, loc.get("start")?)?,
        byte_offset(text, loc.get("end")?)?,
    ))
}

fn key_name(prop: &Value) -> Option<&str> {
    let key = prop.get("key")?;
    key.get("name")
        .or_else(|| key.get("value"))
        .and_then(Value::as_str)
}

fn callee_name(call: &Value) -> Option<&str> {
    let callee = call.get("callee")?;
    (callee.get("type")?.as_str()? == "Identifier")
        .then(|| callee.get("name")?.as_str())
        .flatten()
}

/// Text edits: (start, end, replacement).
type Edits = Vec<(usize, usize, String)>;

struct Rewriter<'a> {
    text: &'a str,
    duration: &'a str,
    deadman: bool,
    edits: Edits,
    fields: Vec<String>,
}

impl Rewriter<'_> {
    fn visit(&mut self, node: &Value) {
        match node {
            Value::Array(items) => items.iter().for_each(|i| self.visit(i)),
            Value::Object(obj) => {
                match obj.get("type").and_then(Value::as_str) {
                    Some("Property") => self.property(node),
                    Some("CallExpression") => self.call(node),
                    Some("PipeExpression") if self.deadman => self.pipe(node),
                    Some("BinaryExpression") => self.binary(node),
                    _ => {}
                }
                obj.iter()
                    .filter(|(k, _)| k.as_str() != "location")
                    .for_each(|(_, v)| self.visit(v));
            }
            _ => {}
        }
    }

    fn property(&mut self, prop: &Value) {
        let replacement = match key_name(prop) {
            Some("start") => format!("-{}", self.duration),
            Some("every") => self.duration.to_string(),
            _ => return,
        };
        if let Some((s, e)) = prop.get("value").and_then(|v| span(self.text, v)) {
            self.edits.push((s, e, replacement));
        }
    }

    fn call(&mut self, call: &Value) {
        let Some(args) = call
            .get("arguments")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
        else {
            return;
        };
        let props = args
            .get("properties")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        match callee_name(call) {
            Some("range") => {
                // drop every argument but start (as InfluxDB does)
                let kept = props
                    .iter()
                    .filter(|p| key_name(p) == Some("start"))
                    .count();
                if kept == props.len() {
                    return;
                }
                let Some((start, end)) = self.properties_span(args, &props) else {
                    return;
                };
                let text = format!("start: -{}", self.duration);
                self.edits.push((start, end, text));
            }
            Some("aggregateWindow") if !self.deadman => {
                if props.iter().any(|p| key_name(p) == Some("createEmpty")) {
                    return;
                }
                if let Some((_, end)) = self.properties_span(args, &props) {
                    let sep = if props.is_empty() { "" } else { ", " };
                    self.edits
                        .push((end, end, format!("{sep}createEmpty: false")));
                }
            }
            _ => {}
        }
    }

    /// The text of a call's properties (without the parentheses, which
    /// the argument object's location may include).
    fn properties_span(&self, args: &Value, props: &[Value]) -> Option<(usize, usize)> {
        if let (Some(first), Some(last)) = (props.first(), props.last()) {
            return Some((span(self.text, first)?.0, span(self.text, last)?.1));
        }
        let (s, e) = span(self.text, args)?;
        let inner = &self.text[s..e];
        if inner.starts_with('(') && inner.ends_with(')') && e - s >= 2 {
            Some((s + 1, e - 1))
        } else {
            Some((s, e))
        }
    }

    fn pipe(&mut self, pipe: &Value) {
        let Some(call) = pipe.get("call") else { return };
        if callee_name(call) != Some("aggregateWindow") {
            return;
        }
        let (Some((_, arg_end)), Some((_, pipe_end))) = (
            pipe.get("argument").and_then(|a| span(self.text, a)),
            span(self.text, pipe),
        ) else {
            return;
        };
        self.edits.push((arg_end, pipe_end, String::new()));
    }

    fn binary(&mut self, bin: &Value) {
        let left = bin.get("left");
        let is_field = left
            .filter(|l| l.get("type").and_then(Value::as_str) == Some("MemberExpression"))
            .and_then(|l| l.get("property"))
            .and_then(|p| p.get("name").or_else(|| p.get("value")))
            .and_then(Value::as_str)
            == Some("_field");
        if !is_field {
            return;
        }
        let right = bin.get("right");
        if right.and_then(|r| r.get("type")).and_then(Value::as_str) == Some("StringLiteral") {
            if let Some(v) = right.and_then(|r| r.get("value")).and_then(Value::as_str) {
                self.fields.push(v.to_string());
            }
        }
    }
}

/// Applies edits, skipping those inside an earlier (wider) one.
fn apply(text: &str, mut edits: Edits) -> String {
    // widest first at each start, then drop edits nested in a kept one
    edits.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut kept: Edits = Vec::new();
    for e in edits {
        if let Some(last) = kept.last() {
            let insertion_at_end = e.0 == e.1 && e.0 == last.1;
            if e.0 < last.1 || (e.0 == last.0 && e.1 <= last.1 && !insertion_at_end) {
                continue;
            }
        }
        kept.push(e);
    }
    let mut out = String::with_capacity(text.len() + 32);
    let mut at = 0;
    for (s, e, r) in kept {
        out.push_str(&text[at..s]);
        out.push_str(&r);
        at = e;
    }
    out.push_str(&text[at..]);
    out
}

impl CheckQuery {
    /// The query `check` runs (400-worthy messages as InfluxDB's).
    pub fn build(check: &Check) -> Result<CheckQuery, String> {
        let file = almanac_flux::parse_file(&check.query).map_err(|e| e.to_string())?;
        let ast = serde_json::to_value(&file).map_err(|e| e.to_string())?;
        let (deadman, duration) = match &check.kind {
            CheckKind::Threshold(_) => (false, check.every.text.as_str()),
            CheckKind::Deadman { stale_time, .. } => (true, stale_time.text.as_str()),
        };
        let body = ast
            .get("body")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if body != 1 {
            return Err(format!(
                "expected there to be a single statement in the flux script body, received {body}"
            ));
        }
        let mut rw = Rewriter {
            text: &check.query,
            duration,
            deadman,
            edits: Vec::new(),
            fields: Vec::new(),
        };
        rw.visit(&ast);
        let field = if deadman {
            None
        } else {
            if rw.fields.len() != 1 {
                return Err(format!(
                    "expected a single field but got: [{}]",
                    rw.fields.join(" ")
                ));
            }
            rw.fields.pop()
        };
        Ok(CheckQuery {
            script: apply(&check.query, rw.edits),
            field,
        })
    }
}

/// A Flux string literal.
pub fn flux_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The pipeline of a check's query with a trailing `yield()` removed.
fn data_expression(script: &str) -> String {
    let trimmed = script.trim();
    match trimmed.rfind("|> yield(") {
        Some(i) if trimmed.ends_with(')') => trimmed[..i].trim_end().to_string(),
        _ => trimmed.to_string(),
    }
}

/// The Flux script InfluxDB 2 generates for `check` (what
/// `GET /api/v2/checks/{id}/query` answers). Almanac runs the same steps
/// natively (see the module docs of [`super`]).
pub fn check_flux(check: &Check) -> Result<String, String> {
    let q = CheckQuery::build(check)?;
    let mut out = String::new();
    let imports = match check.kind {
        CheckKind::Threshold(_) => "import \"influxdata/influxdb/monitor\"\nimport \"influxdata/influxdb/v1\"\n",
        CheckKind::Deadman { .. } => "import \"influxdata/influxdb/monitor\"\nimport \"experimental\"\nimport \"influxdata/influxdb/v1\"\n",
    };
    out.push_str(imports);
    out.push_str(&format!("\ndata = {}\n\n", data_expression(&q.script)));
    out.push_str(&format!(
        "option task = {{name: {}, every: {}, offset: {}}}\n\n",
        flux_string(&check.name),
        check.every.text,
        check.offset.text
    ));
    let tags: Vec<String> = check
        .tags
        .iter()
        .map(|(k, v)| format!("{k}: {}", flux_string(v)))
        .collect();
    out.push_str(&format!(
        "check = {{_check_id: {}, _check_name: {}, _type: {}, tags: {{{}}}}}\n",
        flux_string(&check.id),
        flux_string(&check.name),
        flux_string(check.kind.type_name()),
        tags.join(", ")
    ));
    let mut levels = Vec::new();
    match &check.kind {
        CheckKind::Threshold(list) => {
            let field = q.field.unwrap_or_default();
            let member = format!("r[{}]", flux_string(&field));
            for t in list {
                let lvl = t.level.tag();
                let body = match t.condition {
                    super::model::Condition::Greater(v) => format!("{member} > {v:?}"),
                    super::model::Condition::Lesser(v) => format!("{member} < {v:?}"),
                    super::model::Condition::Range { min, max, within } => {
                        if within {
                            format!("{member} < {max:?} and {member} > {min:?}")
                        } else {
                            format!("{member} < {min:?} or {member} > {max:?}")
                        }
                    }
                };
                out.push_str(&format!("{lvl} = (r) => {body}\n"));
                levels.push(lvl);
            }
        }
        CheckKind::Deadman { level, .. } => {
            out.push_str(&format!("{} = (r) => r[\"dead\"]\n", level.tag()));
            levels.push(level.tag());
        }
    }
    out.push_str(&format!(
        "messageFn = (r) => {}\n\n",
        flux_string(&check.message_template)
    ));
    let level_args: String = levels.iter().map(|l| format!(", {l}: {l}")).collect();
    match &check.kind {
        CheckKind::Threshold(_) => out.push_str(&format!(
            "data\n    |> v1[\"fieldsAsCols\"]()\n    |> monitor[\"check\"](data: check, messageFn: messageFn{level_args})\n"
        )),
        CheckKind::Deadman { time_since, .. } => out.push_str(&format!(
            "data\n    |> v1[\"fieldsAsCols\"]()\n    |> monitor[\"deadman\"](t: experimental[\"subDuration\"](from: now(), d: {}))\n    |> monitor[\"check\"](data: check, messageFn: messageFn{level_args})\n",
            time_since.text
        )),
    }
    Ok(out)
}

/// The Flux script InfluxDB 2 generates for `rule` sending through
/// `endpoint` (what `GET /api/v2/notificationRules/{id}/query` answers).
pub fn rule_flux(rule: &Rule, endpoint: &Endpoint) -> String {
    let mut out = String::from("import \"influxdata/influxdb/monitor\"\n");
    let (package, endpoint_def, map_fn) = match &endpoint.kind {
        EndpointKind::Http { url, .. } => (
            "http",
            format!(
                "headers = {{\"Content-Type\": \"application/json\"}}\nendpoint = http[\"endpoint\"](url: {})\n",
                flux_string(url)
            ),
            "(r) => {\n        body = {r with _version: 1}\n\n        return {headers: headers, data: json[\"encode\"](v: body)}\n    }".to_string(),
        ),
        EndpointKind::Slack { url, token } => (
            "slack",
            match (url.is_empty(), token.is_empty()) {
                (false, true) => format!(
                    "slack_endpoint = slack[\"endpoint\"](url: {})\n",
                    flux_string(url)
                ),
                (true, _) => format!(
                    "slack_endpoint = slack[\"endpoint\"](token: secrets[\"get\"](key: \"{}-token\"))\n",
                    endpoint.id
                ),
                (false, false) => format!(
                    "slack_endpoint = slack[\"endpoint\"](url: {}, token: secrets[\"get\"](key: \"{}-token\"))\n",
                    flux_string(url),
                    endpoint.id
                ),
            },
            format!(
                "(r) => ({{channel: {}, text: {}, color: if r[\"_level\"] == \"crit\" then \"danger\" else if r[\"_level\"] == \"warn\" then \"warning\" else \"good\"}})",
                flux_string(&rule.channel),
                flux_string(&rule.message_template)
            ),
        ),
        EndpointKind::PagerDuty { client_url, .. } => (
            "pagerduty",
            "pagerduty_endpoint = pagerduty[\"endpoint\"]()\n".to_string(),
            format!(
                "(r) => ({{routingKey: secrets[\"get\"](key: \"{}-routing-key\"), client: \"influxdata\", clientURL: {}, class: r._check_name, group: r[\"_source_measurement\"], severity: pagerduty[\"severityFromLevel\"](level: r[\"_level\"]), eventAction: pagerduty[\"actionFromLevel\"](level: r[\"_level\"]), source: notification[\"_notification_rule_name\"], summary: {}, timestamp: time(v: r[\"_source_timestamp\"])}})",
                endpoint.id,
                flux_string(client_url),
                flux_string(&rule.message_template)
            ),
        ),
        EndpointKind::Telegram { channel, .. } => (
            "contrib/sranka/telegram",
            format!(
                "telegram_endpoint = telegram[\"endpoint\"](token: secrets[\"get\"](key: \"{}-token\"), parseMode: {}, disableWebPagePreview: {})\n",
                endpoint.id,
                flux_string(&rule.parse_mode),
                rule.disable_web_page_preview
            ),
            format!(
                "(r) => ({{channel: {}, text: {}, silent: true}})",
                flux_string(channel),
                flux_string(&rule.message_template)
            ),
        ),
    };
    out.push_str(&format!("import \"{package}\"\n"));
    if package == "http" {
        out.push_str("import \"json\"\n");
    }
    if endpoint_def.contains("secrets[") || map_fn.contains("secrets[") {
        out.push_str("import \"influxdata/influxdb/secrets\"\n");
    }
    out.push_str("import \"experimental\"\n\n");
    out.push_str(&format!(
        "option task = {{name: {}, every: {}, offset: {}}}\n\n",
        flux_string(&rule.name),
        rule.every.text,
        rule.offset.text
    ));
    out.push_str(&endpoint_def);
    out.push_str(&format!(
        "notification = {{_notification_rule_id: {}, _notification_rule_name: {}, _notification_endpoint_id: {}, _notification_endpoint_name: {}}}\n",
        flux_string(&rule.id),
        flux_string(&rule.name),
        flux_string(&endpoint.id),
        flux_string(&endpoint.name)
    ));
    let tag_fn: Vec<String> = rule
        .tag_rules
        .iter()
        .map(|t| {
            let op = match t.op {
                super::model::TagOp::Equal => "==",
                super::model::TagOp::NotEqual => "!=",
                super::model::TagOp::EqualRegex(_) => "=~",
                super::model::TagOp::NotEqualRegex(_) => "!~",
            };
            let value = match t.op {
                super::model::TagOp::EqualRegex(_) | super::model::TagOp::NotEqualRegex(_) => {
                    format!("/{}/", t.value.replace('/', "\\/"))
                }
                _ => flux_string(&t.value),
            };
            format!("r[{}] {op} {value}", flux_string(&t.key))
        })
        .collect();
    let fn_arg = if tag_fn.is_empty() {
        String::new()
    } else {
        format!(", fn: (r) => {}", tag_fn.join(" and "))
    };
    out.push_str(&format!(
        "statuses = monitor[\"from\"](start: -{}{fn_arg})\n",
        double(&rule.every.text)
    ));
    let mut names = Vec::new();
    for s in &rule.status_rules {
        let to = s.current.map_or("any", |l| l.tag());
        match s.previous {
            None => {
                let name = to.to_string();
                out.push_str(&format!(
                    "{name} = statuses |> filter(fn: (r) => r[\"_level\"] == \"{to}\")\n"
                ));
                names.push(name);
            }
            Some(prev) => {
                let from = prev.map_or("any", |l| l.tag());
                let name = format!("{from}_to_{to}");
                out.push_str(&format!(
                    "{name} = statuses |> monitor[\"stateChanges\"](fromLevel: \"{from}\", toLevel: \"{to}\")\n"
                ));
                names.push(name);
            }
        }
    }
    let filter = format!(
        "filter(fn: (r) => r[\"_time\"] >= experimental[\"subDuration\"](from: now(), d: {}))",
        rule.every.text
    );
    match names.len() {
        0 => out.push_str(&format!("all_statuses = statuses |> {filter}\n\n")),
        1 => out.push_str(&format!("all_statuses = {} |> {filter}\n\n", names[0])),
        _ => out.push_str(&format!(
            "all_statuses = union(tables: [{}]) |> sort(columns: [\"_time\"]) |> {filter}\n\n",
            names.join(", ")
        )),
    }
    let endpoint_name = match package {
        "http" => "endpoint",
        "slack" => "slack_endpoint",
        "contrib/sranka/telegram" => "telegram_endpoint",
        _ => "pagerduty_endpoint",
    };
    out.push_str(&format!(
        "all_statuses\n    |> monitor[\"notify\"](data: notification, endpoint: {endpoint_name}(mapFn: {map_fn}))\n"
    ));
    out
}

/// Twice a duration literal (`1m` → `2m`, `1m30s` → `2m60s`).
fn double(text: &str) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            if !digits.is_empty() {
                let n: i64 = digits.parse().unwrap_or(0);
                out.push_str(&(n * 2).to_string());
                digits.clear();
            }
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitoring::model::{Check, Condition, Dur, Level, Threshold};

    fn check(query: &str, kind: CheckKind) -> Check {
        Check {
            id: "0000000000000001".into(),
            org_id: "o".into(),
            name: "cpu".into(),
            query: query.into(),
            every: Dur {
                text: "1m".into(),
                ns: 60_000_000_000,
            },
            offset: Dur {
                text: "0s".into(),
                ns: 0,
            },
            tags: vec![("team".into(), "ops".into())],
            message_template: "Check: ${ r._check_name } is: ${ r._level }".into(),
            kind,
            active: true,
            owner_id: None,
        }
    }

    const BUILDER: &str = "from(bucket: \"telegraf\")\n  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)\n  |> filter(fn: (r) => r[\"_measurement\"] == \"cpu\")\n  |> filter(fn: (r) => r[\"_field\"] == \"usage_idle\")\n  |> aggregateWindow(every: v.windowPeriod, fn: mean)\n  |> yield(name: \"mean\")";

    #[test]
    fn threshold_query_rewrite() {
        let t = CheckKind::Threshold(vec![Threshold {
            level: Level::Crit,
            all_values: false,
            condition: Condition::Lesser(10.0),
        }]);
        let q = CheckQuery::build(&check(BUILDER, t.clone())).unwrap();
        assert_eq!(q.field.as_deref(), Some("usage_idle"));
        assert_eq!(
            q.script,
            "from(bucket: \"telegraf\")\n  |> range(start: -1m)\n  |> filter(fn: (r) => r[\"_measurement\"] == \"cpu\")\n  |> filter(fn: (r) => r[\"_field\"] == \"usage_idle\")\n  |> aggregateWindow(every: 1m, fn: mean, createEmpty: false)\n  |> yield(name: \"mean\")"
        );
        let two = "from(bucket: \"b\") |> range(start: -1h) |> filter(fn: (r) => r._field == \"a\" or r._field == \"b\")";
        assert_eq!(
            CheckQuery::build(&check(two, t.clone())).unwrap_err(),
            "expected a single field but got: [a b]"
        );
        let flux = check_flux(&check(BUILDER, t)).unwrap();
        assert!(
            flux.contains("crit = (r) => r[\"usage_idle\"] < 10.0"),
            "{flux}"
        );
        assert!(flux.contains("check = {_check_id: \"0000000000000001\", _check_name: \"cpu\", _type: \"threshold\", tags: {team: \"ops\"}}"));
        assert!(almanac_flux::parse_file(&flux).is_ok(), "{flux}");
    }

    #[test]
    fn deadman_query_rewrite() {
        let d = CheckKind::Deadman {
            time_since: Dur {
                text: "90s".into(),
                ns: 90_000_000_000,
            },
            stale_time: Dur {
                text: "10m".into(),
                ns: 600_000_000_000,
            },
            report_zero: false,
            level: Level::Crit,
        };
        let q = CheckQuery::build(&check(BUILDER, d)).unwrap();
        assert_eq!(
            q.script,
            "from(bucket: \"telegraf\")\n  |> range(start: -10m)\n  |> filter(fn: (r) => r[\"_measurement\"] == \"cpu\")\n  |> filter(fn: (r) => r[\"_field\"] == \"usage_idle\")\n  |> yield(name: \"mean\")"
        );
        assert_eq!(double("1m30s"), "2m60s");
    }
}

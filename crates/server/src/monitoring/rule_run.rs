//! One run of a notification rule at its scheduled time `T`.
//!
//! As InfluxDB 2's generated rule task: statuses of the last two intervals
//! are read from `_monitoring` (through Flux), filtered by the tag rules;
//! a status rule with only `currentLevel` keeps statuses of that level, one
//! with `previousLevel` keeps level changes (the previous status of the same
//! series had `previousLevel`); then each status not notified yet is sent
//! through the endpoint and recorded in measurement `notifications`.
//! InfluxDB keeps only statuses newer than `T - every`, which loses a
//! status its check wrote after the rule ran; Almanac remembers what it sent
//! in the last two intervals instead, so a late status is sent on the next
//! run (the first run of a rule still starts at `T - every`).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::LazyLock;

use almanac_flux::Value;
use almanac_tasks::alert::handlers;
use almanac_tasks::alert::{AlertEvent, EventState, HandlerSpec};
use parking_lot::Mutex;
use serde_json::json;

use super::model::{
    Endpoint, EndpointKind, HttpAuth, Level, Rule, StatusRule, ENDPOINTS, SLACK_POST_MESSAGE_URL,
};
use super::rows::{fields_as_cols, json_object, write_row, Row};
use crate::AppState;

/// What a rule remembers between runs.
#[derive(Debug, Default)]
struct Memory {
    /// Statuses already notified (series key + time) → status time.
    sent: HashMap<String, i64>,
    /// Times of the notifications sent (for `limit`).
    recent: VecDeque<i64>,
}

static MEMORY: LazyLock<Mutex<HashMap<String, Memory>>> = LazyLock::new(Default::default);

/// Forgets a deleted rule.
pub fn forget(id: &str) {
    MEMORY.lock().remove(id);
}

/// The endpoint of `rule`.
pub fn load_endpoint(state: &AppState, rule: &Rule) -> Result<Endpoint, String> {
    let snap = state.storage.catalog().snapshot();
    let doc = snap
        .v2
        .documents
        .get(&(ENDPOINTS.to_string(), rule.endpoint_id.clone()))
        .ok_or_else(|| format!("notification endpoint {} not found", rule.endpoint_id))?;
    let body = serde_json::from_str(&doc.body).map_err(|e| e.to_string())?;
    Endpoint::from_body(&doc.id, &body)
}

/// Runs `rule` for scheduled time `at`; returns the number of notifications.
pub async fn run(
    state: &AppState,
    client: &reqwest::Client,
    rule: &Rule,
    at: i64,
) -> Result<usize, String> {
    let endpoint = load_endpoint(state, rule)?;
    if !endpoint.active {
        return Ok(0);
    }
    let source = super::flux_source(state, rule.owner_id.as_deref(), &rule.org_id)?;
    let window = 2 * rule.every.ns;
    let script = format!(
        "from(bucket: \"{}\") |> range(start: -{window}ns, stop: 1ns) |> filter(fn: (r) => r._measurement == \"statuses\")",
        super::BUCKET
    );
    let rule_owned = rule.clone();
    let endpoint_owned = endpoint.clone();
    // read statuses and render messages on a blocking thread (Flux)
    let prepared = tokio::task::spawn_blocking(move || -> Result<Vec<(Row, String)>, String> {
        let ctx = almanac_flux::ExecContext {
            now: at,
            globals: Vec::new(),
        };
        let tables = match almanac_flux::execute(&script, &ctx, &source) {
            Ok(results) => results.into_iter().flat_map(|(_, t)| t).collect::<Vec<_>>(),
            // no status written yet
            Err(almanac_flux::Error::NotFound(_)) => Vec::new(),
            Err(e) => return Err(format!("reading statuses: {e}")),
        };
        let statuses = select(&rule_owned, fields_as_cols(&tables));
        let fresh = claim(&rule_owned, statuses, at);
        let mut out = Vec::new();
        for status in fresh {
            let notification = notification_row(&rule_owned, &endpoint_owned, status, at);
            let message = match endpoint_owned.kind {
                EndpointKind::Http { .. } => String::new(),
                _ => {
                    super::render_template(&rule_owned.message_template, &notification, &source, at)
                        .map_err(|e| format!("messageTemplate: {e}"))?
                }
            };
            out.push((notification, message));
        }
        Ok(out)
    })
    .await
    .map_err(|e| format!("rule run panicked: {e}"))??;
    let mut lines = String::new();
    let mut errors = Vec::new();
    let n = prepared.len();
    for (mut row, message) in prepared {
        let sent = match send(client, rule, &endpoint, &row, &message, at).await {
            Ok(()) => true,
            Err(e) => {
                errors.push(e);
                false
            }
        };
        row.set("_sent", Value::String(sent.to_string().into()), true);
        write_row(&mut lines, "notifications", &row, at);
    }
    super::write_monitoring(state, lines).await?;
    match errors.first() {
        None => Ok(n),
        Some(e) => Err(format!(
            "{} of {n} notification(s) failed: {e}",
            errors.len()
        )),
    }
}

/// Whether a status level matches a wanted level (`None` = any).
fn level_is(row: &Row, want: Option<Level>) -> bool {
    let level = row.str("_level").and_then(Level::parse);
    match want {
        None => level.is_some(),
        Some(w) => level == Some(w),
    }
}

/// The statuses `rule` matches (tag rules, then any status rule), in time
/// order.
pub fn select(rule: &Rule, series: Vec<Vec<Row>>) -> Vec<Row> {
    // regroup by series without _level, in (source time, time) order
    let mut by_series: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    for mut row in series.into_iter().flatten() {
        // the read's window is not part of a status's identity (it moves
        // with every run); the columns stay in the body sent
        row.key.remove("_start");
        row.key.remove("_stop");
        if !rule.tag_rules.iter().all(|t| t.matches(row.str(&t.key))) {
            continue;
        }
        by_series
            .entry(row.series_key(&["_level"]))
            .or_default()
            .push(row);
    }
    let mut out = Vec::new();
    for rows in by_series.values_mut() {
        rows.sort_by_key(|r| (r.time("_source_timestamp"), r.time("_time")));
        for (i, row) in rows.iter().enumerate() {
            let hit = |s: &StatusRule| match s.previous {
                None => level_is(row, s.current),
                Some(prev) => {
                    let Some(before) = i.checked_sub(1).map(|j| &rows[j]) else {
                        return false;
                    };
                    let to_ok = match s.current {
                        Some(_) => level_is(row, s.current),
                        None => row.str("_level") != before.str("_level"),
                    };
                    let from_ok = match prev {
                        Some(_) => level_is(before, prev),
                        None => before.str("_level") != row.str("_level"),
                    };
                    to_ok && from_ok
                }
            };
            if rule.status_rules.iter().any(hit) {
                out.push(row.clone());
            }
        }
    }
    out.sort_by_key(|r| r.time("_time"));
    out
}

/// The statuses not notified yet (and within the rule's rate limit);
/// remembers them as notified.
fn claim(rule: &Rule, statuses: Vec<Row>, at: i64) -> Vec<Row> {
    let mut memory = MEMORY.lock();
    let first = !memory.contains_key(&rule.id);
    let mem = memory.entry(rule.id.clone()).or_default();
    let oldest = at - 2 * rule.every.ns;
    // the read window starts at `oldest` inclusive: keep what it can still see
    mem.sent.retain(|_, t| *t >= oldest);
    let mut out = Vec::new();
    for s in statuses {
        let time = s.time("_time").unwrap_or(i64::MIN);
        if first && time <= at - rule.every.ns {
            continue;
        }
        let id = format!("{}{time}", s.series_key(&[]));
        if mem.sent.contains_key(&id) {
            continue;
        }
        if let Some((limit, every_s)) = rule.limit {
            let since = at - every_s as i64 * 1_000_000_000;
            while mem.recent.front().is_some_and(|t| *t <= since) {
                mem.recent.pop_front();
            }
            if mem.recent.len() as u64 >= limit {
                continue;
            }
            mem.recent.push_back(at);
        }
        mem.sent.insert(id, time);
        out.push(s);
    }
    out
}

/// A status turned into a notification (`monitor.notify`'s columns).
pub fn notification_row(rule: &Rule, endpoint: &Endpoint, mut row: Row, at: i64) -> Row {
    let status_time = row.time("_time").unwrap_or(at);
    let tag = |row: &mut Row, k: &str, v: &str| row.set(k, Value::String(v.into()), true);
    tag(&mut row, "_notification_rule_id", &rule.id);
    tag(&mut row, "_notification_rule_name", &rule.name);
    tag(&mut row, "_notification_endpoint_id", &endpoint.id);
    tag(&mut row, "_notification_endpoint_name", &endpoint.name);
    tag(&mut row, "_measurement", "notifications");
    row.set("_status_timestamp", Value::Int(status_time), false);
    row.set("_time", Value::Time(at), false);
    row
}

/// Text without `{{`, so that the post handler's template sends it as it is
/// (JSON strings may spell `{` as `\u007b`; JSON syntax never has `{{`).
fn literal_template(json: &str) -> String {
    json.replace("{{", "{\\u007b")
}

/// The alert event handlers get for a notification.
fn event(rule: &Rule, row: &Row, message: &str, at: i64) -> AlertEvent {
    let level = row
        .str("_level")
        .and_then(Level::parse)
        .unwrap_or(Level::Unknown)
        .alert_level();
    let tags = row
        .key
        .iter()
        .filter(|k| !k.starts_with('_'))
        .filter_map(|k| Some((k.clone(), row.str(k)?.to_string())))
        .collect();
    AlertEvent {
        topic: format!("notificationRule:{}", rule.id),
        id: format!(
            "{}:{}",
            row.str("_check_name").unwrap_or(""),
            row.series_key(&["_level"])
        ),
        state: EventState {
            message: message.to_string(),
            details: String::new(),
            time: at,
            duration: 0,
            level,
        },
        previous_level: almanac_tasks::alert::Level::Ok,
        recoverable: true,
        data: serde_json::Value::Null,
        // handlers show it as the source's name (PagerDuty's `class`: the
        // check name, as InfluxDB 2 sends)
        task: row.str("_check_name").unwrap_or(&rule.name).to_string(),
        category: String::new(),
        tags,
    }
}

/// Whether notifications can be sent through `endpoint` (a `not supported
/// yet: …` message when not).
pub fn sendable(endpoint: &Endpoint) -> Result<(), String> {
    match &endpoint.kind {
        EndpointKind::Http { method, .. } if method != "POST" => Err(format!(
            "not supported yet: http endpoint method {method} (notifications are POSTed)"
        )),
        _ => Ok(()),
    }
}

/// The handler spec that sends a notification through `endpoint`
/// (`message`: the rendered `messageTemplate`, for the endpoints that send one).
pub fn handler_spec(
    rule: &Rule,
    endpoint: &Endpoint,
    row: &Row,
    message: &str,
) -> Result<HandlerSpec, String> {
    sendable(endpoint)?;
    let (kind, options) = match &endpoint.kind {
        EndpointKind::Http {
            url, auth, headers, ..
        } => {
            let mut headers = headers.clone();
            match auth {
                HttpAuth::None => {}
                HttpAuth::Basic(user, password) => {
                    use base64::Engine;
                    let creds = base64::engine::general_purpose::STANDARD
                        .encode(format!("{user}:{password}"));
                    headers.insert("Authorization".into(), format!("Basic {creds}"));
                }
                HttpAuth::Bearer(token) => {
                    headers.insert("Authorization".into(), format!("Bearer {token}"));
                }
            }
            let mut body = row.clone();
            body.set("_version", Value::Int(1), false);
            (
                "post",
                json!({
                    "url": url,
                    "headers": headers,
                    "alert-template": literal_template(&json_object(&body)),
                    "capture-response": true,
                }),
            )
        }
        EndpointKind::Slack { url, token } if token.is_empty() => {
            ("slack", json!({ "url": url, "channel": rule.channel }))
        }
        // With a token: Slack's Web API (chat.postMessage), in the body and
        // with the bearer header Flux's `slack.message` sends.
        EndpointKind::Slack { url, token } => {
            let url = if url.is_empty() {
                SLACK_POST_MESSAGE_URL
            } else {
                url.as_str()
            };
            let color = match row.str("_level") {
                Some("crit") => "danger",
                Some("warn") => "warning",
                _ => "good",
            };
            let body = json!({
                "channel": rule.channel,
                "attachments": [{ "color": color, "text": message, "mrkdwn_in": ["text"] }],
                "as_user": false,
            });
            (
                "post",
                json!({
                    "url": url,
                    "headers": { "Authorization": format!("Bearer {token}") },
                    "alert-template": literal_template(&body.to_string()),
                    "capture-response": true,
                }),
            )
        }
        // Telegram's Bot API sendMessage, with the fields Flux's
        // `telegram.message` sends (silent by default).
        EndpointKind::Telegram {
            url,
            token,
            channel,
        } => {
            let body = json!({
                "chat_id": channel,
                "text": message,
                "parse_mode": rule.parse_mode,
                "disable_web_page_preview": rule.disable_web_page_preview,
                "disable_notification": true,
            });
            (
                "post",
                json!({
                    "url": format!("{url}{token}/sendMessage"),
                    "alert-template": literal_template(&body.to_string()),
                    "capture-response": true,
                }),
            )
        }
        EndpointKind::PagerDuty {
            client_url,
            routing_key,
        } => {
            let mut o = json!({ "routing-key": routing_key });
            if !client_url.is_empty() {
                o["links"] = json!([{ "href": client_url, "text": "client" }]);
            }
            ("pagerduty2", o)
        }
    };
    let options = match options {
        serde_json::Value::Object(m) => m,
        _ => Default::default(),
    };
    Ok(HandlerSpec {
        id: rule.id.clone(),
        kind: kind.to_string(),
        options,
        match_expr: String::new(),
    })
}

async fn send(
    client: &reqwest::Client,
    rule: &Rule,
    endpoint: &Endpoint,
    row: &Row,
    message: &str,
    at: i64,
) -> Result<(), String> {
    let message = if message.is_empty() {
        row.str("_message").unwrap_or("")
    } else {
        message
    };
    let spec = handler_spec(rule, endpoint, row, message)?;
    handlers::deliver(client, &spec, &event(rule, row, message, at)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitoring::model::{Dur, TagOp, TagRule};

    fn rule(status_rules: Vec<StatusRule>) -> Rule {
        Rule {
            id: "r1".into(),
            org_id: "o".into(),
            name: "rule".into(),
            typ: "http".into(),
            endpoint_id: "e1".into(),
            every: Dur {
                text: "10s".into(),
                ns: 10,
            },
            offset: Dur {
                text: "0s".into(),
                ns: 0,
            },
            status_rules,
            tag_rules: vec![TagRule {
                key: "team".into(),
                value: "ops".into(),
                op: TagOp::Equal,
            }],
            message_template: String::new(),
            channel: String::new(),
            parse_mode: "MarkdownV2".into(),
            disable_web_page_preview: false,
            limit: None,
            active: true,
            owner_id: None,
        }
    }

    fn status(time: i64, level: &str, team: &str) -> Row {
        let mut r = Row::default();
        r.set("_check_id", Value::String("c".into()), true);
        r.set("team", Value::String(team.into()), true);
        r.set("_level", Value::String(level.into()), true);
        r.set("_time", Value::Time(time), false);
        r.set("_source_timestamp", Value::Int(time), false);
        r.set(
            "_message",
            Value::String(format!("is {level}").into()),
            false,
        );
        r
    }

    fn times(rows: &[Row]) -> Vec<i64> {
        rows.iter().map(|r| r.time("_time").unwrap()).collect()
    }

    #[test]
    fn status_and_tag_rules() {
        let series = || {
            vec![
                vec![status(1, "ok", "ops"), status(3, "ok", "ops")],
                vec![status(2, "crit", "ops"), status(4, "crit", "ops")],
                vec![status(2, "crit", "dev")],
            ]
        };
        let current = rule(vec![StatusRule {
            current: Some(Level::Crit),
            previous: None,
        }]);
        assert_eq!(times(&select(&current, series())), vec![2, 4]);
        let change = rule(vec![StatusRule {
            current: Some(Level::Crit),
            previous: Some(Some(Level::Ok)),
        }]);
        assert_eq!(times(&select(&change, series())), vec![2, 4]);
        let back = rule(vec![StatusRule {
            current: Some(Level::Ok),
            previous: Some(None),
        }]);
        assert_eq!(times(&select(&back, series())), vec![3]);
        // each status is sent once; the first run starts one interval back
        let mut r = rule(vec![StatusRule {
            current: Some(Level::Crit),
            previous: None,
        }]);
        r.id = "claim-test".into();
        assert_eq!(times(&claim(&r, select(&r, series()), 12)), vec![4]);
        assert_eq!(
            times(&claim(
                &r,
                vec![status(4, "crit", "ops"), status(13, "crit", "ops")],
                14
            )),
            vec![13]
        );
        // the same status read by two runs (whose windows differ) is sent once
        let read = |start: i64, stop: i64| {
            let mut s = status(21, "crit", "ops");
            s.set("_start", Value::Time(start), true);
            s.set("_stop", Value::Time(stop), true);
            vec![vec![s]]
        };
        assert_eq!(times(&claim(&r, select(&r, read(2, 22)), 22)), vec![21]);
        assert!(claim(&r, select(&r, read(3, 23)), 23).is_empty());
        // still remembered when it is the oldest the window reads (21 = 41 - 2 × 10)
        assert!(claim(&r, select(&r, read(21, 41)), 41).is_empty());
    }

    #[test]
    fn http_body_is_sent_literally() {
        let e = Endpoint {
            id: "e1".into(),
            name: "hook".into(),
            active: true,
            kind: EndpointKind::Http {
                url: "http://127.0.0.1:1/".into(),
                method: "POST".into(),
                auth: HttpAuth::Bearer("tok".into()),
                headers: Default::default(),
            },
        };
        let r = rule(vec![]);
        let mut s = status(5, "crit", "ops");
        s.set("_message", Value::String("a {{ .ID }} b".into()), false);
        let n = notification_row(&r, &e, s, 7);
        let spec = handler_spec(&r, &e, &n, "").unwrap();
        let body = rendered_body(&spec);
        assert_eq!(body["_message"], "a {{ .ID }} b");
        assert_eq!(body["_version"], 1);
        assert_eq!(body["_notification_endpoint_name"], "hook");
        assert_eq!(body["_status_timestamp"], 5);
        assert_eq!(spec.options["headers"]["Authorization"], "Bearer tok");
    }

    fn rendered_body(spec: &HandlerSpec) -> serde_json::Value {
        let t = spec.options["alert-template"].as_str().unwrap();
        let rendered = almanac_tasks::alert::template::Template::parse(t)
            .unwrap()
            .execute(&almanac_tasks::alert::template::TValue::Map(
                Default::default(),
            ))
            .unwrap();
        serde_json::from_str(&rendered).unwrap()
    }

    #[test]
    fn telegram_sends_the_bot_api_message() {
        let e = Endpoint {
            id: "e1".into(),
            name: "tg".into(),
            active: true,
            kind: EndpointKind::Telegram {
                url: "http://127.0.0.1:1/bot".into(),
                token: "123:abc".into(),
                channel: "-10042".into(),
            },
        };
        let mut r = rule(vec![]);
        r.parse_mode = "HTML".into();
        r.disable_web_page_preview = true;
        let n = notification_row(&r, &e, status(5, "crit", "ops"), 7);
        let spec = handler_spec(&r, &e, &n, "cpu {{ high }} on <b>ops</b>").unwrap();
        assert_eq!(spec.kind, "post");
        assert_eq!(
            spec.options["url"],
            "http://127.0.0.1:1/bot123:abc/sendMessage"
        );
        let body = rendered_body(&spec);
        assert_eq!(body["chat_id"], "-10042");
        assert_eq!(body["text"], "cpu {{ high }} on <b>ops</b>");
        assert_eq!(body["parse_mode"], "HTML");
        assert_eq!(body["disable_web_page_preview"], true);
        assert_eq!(body["disable_notification"], true);
    }

    #[test]
    fn slack_with_a_token_uses_the_web_api() {
        let e = Endpoint {
            id: "e1".into(),
            name: "sl".into(),
            active: true,
            kind: EndpointKind::Slack {
                url: String::new(),
                token: "xoxb-1".into(),
            },
        };
        let mut r = rule(vec![]);
        r.channel = "#ops".into();
        let n = notification_row(&r, &e, status(5, "warn", "ops"), 7);
        let spec = handler_spec(&r, &e, &n, "disk full").unwrap();
        assert_eq!(spec.kind, "post");
        assert_eq!(spec.options["url"], SLACK_POST_MESSAGE_URL);
        assert_eq!(spec.options["headers"]["Authorization"], "Bearer xoxb-1");
        let body = rendered_body(&spec);
        assert_eq!(body["channel"], "#ops");
        assert_eq!(body["as_user"], false);
        assert_eq!(body["attachments"][0]["color"], "warning");
        assert_eq!(body["attachments"][0]["text"], "disk full");

        // a webhook URL without a token keeps Kapacitor's slack handler
        let hook = Endpoint {
            kind: EndpointKind::Slack {
                url: "http://127.0.0.1:1/hook".into(),
                token: String::new(),
            },
            ..e
        };
        assert_eq!(handler_spec(&r, &hook, &n, "x").unwrap().kind, "slack");
    }
}

//! Service-level configuration of the alert handlers: Kapacitor's
//! `kapacitor.conf` sections (`[smtp]`, `[pagerduty2]`, `[slack]`, ...,
//! one `[[kafka]]` cluster with its `id`), as `/kapacitor/v1/config` shows
//! and overrides them.
//!
//! # API (used by the `/kapacitor/v1/config` and `/service-tests` routes)
//!
//! - [`SERVICES`]: the configurable service names (the section names).
//! - [`defaults`]`(service)`: the built-in section with every option and its
//!   default value; the option names are Kapacitor's. [`redacted`]`(service)`
//!   names its secret options.
//! - [`global()`]: the process-wide [`ServiceConfigs`] registry (one
//!   server per process, like Kapacitor's own configuration). On it:
//!   - [`ServiceConfigs::section`]`(service)`: the effective section
//!     (defaults overlaid with the overrides);
//!   - [`ServiceConfigs::overrides`]`(service)`: only what was set;
//!   - [`ServiceConfigs::update`]`(service, set, delete)`: Kapacitor's
//!     `{"set": {...}, "delete": [...]}` override; unknown options and
//!     values of the wrong JSON type are rejected with an error naming them;
//!   - [`ServiceConfigs::reset`]`(service)`: drops every override.
//! - [`ServiceConfigs::merged`]`(spec)`: the options a handler runs with —
//!   its section under the spec's own options. A section with
//!   `"enabled": false` makes delivery fail with `service is not enabled`.
//! - [`super::test_event`]`(service, options)` sends a test alert through
//!   a service; [`super::test_options`]`(service)` gives its default options.
//!
//! Sections with `"global": true` add a handler of that kind to every
//! alert published by a task's alert node ([`ServiceConfigs::global_handlers`]),
//! only on level changes when `"state-changes-only": true`.
//!
//! Unlike Kapacitor, every section is enabled by default: Almanac has no
//! configuration file for them, so a handler whose spec names its
//! endpoint works without configuration.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use parking_lot::RwLock;
use serde_json::{json, Map, Value};

use crate::alert::HandlerSpec;

/// Configurable services (Kapacitor's section names, also the handler kinds).
pub const SERVICES: &[&str] = &[
    "alerta",
    "discord",
    "kafka",
    "mqtt",
    "opsgenie2",
    "pagerduty2",
    "pushover",
    "sensu",
    "slack",
    "smtp",
    "teams",
    "telegram",
    "victorops",
];

/// The built-in section of a service: every option with its default.
pub fn defaults(service: &str) -> Option<Map<String, Value>> {
    let v = match service {
        "alerta" => json!({
            "url": "", "insecure-skip-verify": false, "token": "", "token-prefix": "",
            "environment": "", "origin": "", "timeout": "0s",
        }),
        "discord" => json!({
            "workspace": "", "url": "", "username": "", "avatar-url": "",
            "embed-title": "", "timestamp": false,
        }),
        "kafka" => json!({
            "id": "default", "brokers": [], "timeout": "10s", "batch-size": 100,
            "batch-timeout": "1s", "use-ssl": false, "ssl-ca": "", "ssl-cert": "",
            "ssl-key": "", "insecure-skip-verify": false, "sasl-username": "",
            "sasl-password": "", "sasl-mechanism": "",
        }),
        "mqtt" => json!({
            "name": "", "url": "", "client-id": "", "username": "", "password": "",
        }),
        "opsgenie2" => json!({
            "api-key": "", "url": "https://api.opsgenie.com/v2/alerts",
            "recovery_action": "notes", "teams": [], "recipients": [],
        }),
        "pagerduty2" => json!({
            "url": "https://events.pagerduty.com/v2/enqueue", "routing-key": "",
        }),
        "pushover" => json!({
            "token": "", "user-key": "", "url": "https://api.pushover.net/1/messages.json",
        }),
        "sensu" => json!({ "addr": "", "source": "Kapacitor", "handlers": [] }),
        "slack" => json!({
            "workspace": "", "url": "", "channel": "", "username": "kapacitor", "icon-emoji": "",
        }),
        "smtp" => json!({
            "host": "localhost", "port": 25, "username": "", "password": "",
            "no-verify": false, "from": "", "to": [], "idle-timeout": "30s",
        }),
        "teams" => json!({ "channel-url": "" }),
        "telegram" => json!({
            "url": "https://api.telegram.org/bot", "token": "", "chat-id": "",
            "parse-mode": "", "disable-web-page-preview": false, "disable-notification": false,
        }),
        "victorops" => json!({
            "api-key": "", "routing-key": "",
            "url": "https://alert.victorops.com/integrations/generic/20131114/alert",
            "json-data": false,
        }),
        _ => return None,
    };
    let Value::Object(mut m) = v else {
        return None;
    };
    m.insert("enabled".into(), Value::Bool(true));
    m.insert("global".into(), Value::Bool(false));
    m.insert("state-changes-only".into(), Value::Bool(false));
    Some(m)
}

/// Secret options of a section, which `/kapacitor/v1/config` shows only as
/// set or not (Kapacitor's `redacted` list).
pub fn redacted(service: &str) -> &'static [&'static str] {
    match service {
        "alerta" => &["token"],
        "discord" | "slack" => &["url"],
        "kafka" => &["sasl-password"],
        "mqtt" | "smtp" => &["password"],
        "opsgenie2" | "victorops" => &["api-key"],
        "pagerduty2" => &["routing-key"],
        "pushover" => &["token", "user-key"],
        "teams" => &["channel-url"],
        "telegram" => &["token"],
        _ => &[],
    }
}

/// Same JSON type (numbers of any kind match each other).
fn same_type(a: &Value, b: &Value) -> bool {
    matches!(
        (a, b),
        (Value::String(_), Value::String(_))
            | (Value::Bool(_), Value::Bool(_))
            | (Value::Number(_), Value::Number(_))
            | (Value::Array(_), Value::Array(_))
            | (Value::Object(_), Value::Object(_))
    )
}

/// Overrides of the service sections, settable at runtime.
#[derive(Debug, Default)]
pub struct ServiceConfigs {
    overrides: RwLock<BTreeMap<String, Map<String, Value>>>,
}

/// The process-wide registry.
pub fn global() -> &'static ServiceConfigs {
    static G: OnceLock<ServiceConfigs> = OnceLock::new();
    G.get_or_init(ServiceConfigs::default)
}

impl ServiceConfigs {
    /// The effective section of a service (defaults overlaid with overrides).
    pub fn section(&self, service: &str) -> Option<Map<String, Value>> {
        let mut m = defaults(service)?;
        if let Some(o) = self.overrides.read().get(service) {
            for (k, v) in o {
                m.insert(k.clone(), v.clone());
            }
        }
        Some(m)
    }

    /// Only the options set at runtime.
    pub fn overrides(&self, service: &str) -> Map<String, Value> {
        self.overrides
            .read()
            .get(service)
            .cloned()
            .unwrap_or_default()
    }

    /// Applies Kapacitor's override: `set` options, then `delete` (back to
    /// the default). Checks names and types first; nothing changes on error.
    pub fn update(
        &self,
        service: &str,
        set: &Map<String, Value>,
        delete: &[String],
    ) -> Result<(), String> {
        let d = defaults(service).ok_or_else(|| format!("unknown service {service:?}"))?;
        for (k, v) in set {
            let def = d
                .get(k)
                .ok_or_else(|| format!("unknown option {k:?} in section {service:?}"))?;
            if !same_type(def, v) {
                return Err(format!(
                    "option {k:?} in section {service:?}: expected {}, got {v}",
                    type_name(def)
                ));
            }
            if k == "timeout" || k == "idle-timeout" || k == "batch-timeout" {
                let s = v.as_str().unwrap_or_default();
                super::opts::parse_go_duration(s).ok_or_else(|| {
                    format!("option {k:?} in section {service:?}: invalid duration {s:?}")
                })?;
            }
            if let Value::Array(a) = v {
                if a.iter().any(|x| !x.is_string()) {
                    return Err(format!(
                        "option {k:?} in section {service:?}: expected a list of strings"
                    ));
                }
            }
        }
        for k in delete {
            if !d.contains_key(k) {
                return Err(format!("unknown option {k:?} in section {service:?}"));
            }
        }
        let mut all = self.overrides.write();
        let o = all.entry(service.to_string()).or_default();
        for (k, v) in set {
            o.insert(k.clone(), v.clone());
        }
        for k in delete {
            o.remove(k);
        }
        Ok(())
    }

    /// Drops every override of a service.
    pub fn reset(&self, service: &str) {
        self.overrides.write().remove(service);
    }

    /// The options a handler runs with: its service section (when the kind
    /// has one) under the spec's own options. Errors when the section is disabled.
    pub fn merged(&self, spec: &HandlerSpec) -> Result<Map<String, Value>, String> {
        let Some(mut m) = self.section(&spec.kind) else {
            return Ok(spec.options.clone());
        };
        if m.get("enabled") == Some(&Value::Bool(false)) {
            return Err(format!("{} handler: service is not enabled", spec.kind));
        }
        for (k, v) in &spec.options {
            m.insert(k.clone(), v.clone());
        }
        Ok(m)
    }

    /// Handlers of the sections marked `global`, for an alert whose level
    /// `changed` (or not): those with `state-changes-only` only on changes.
    pub fn global_handlers(&self, changed: bool) -> Vec<HandlerSpec> {
        // Called for every published alert: only the three flags are looked
        // up (the defaults' once), not whole sections.
        static DEFAULT_FLAGS: OnceLock<Vec<[bool; 3]>> = OnceLock::new();
        const FLAGS: [&str; 3] = ["enabled", "global", "state-changes-only"];
        let default_flags = DEFAULT_FLAGS.get_or_init(|| {
            SERVICES
                .iter()
                .map(|s| {
                    let d = defaults(s).unwrap_or_default();
                    FLAGS.map(|k| d.get(k) == Some(&Value::Bool(true)))
                })
                .collect()
        });
        let overrides = self.overrides.read();
        SERVICES
            .iter()
            .zip(default_flags)
            .filter_map(|(s, d)| {
                let o = overrides.get(*s);
                let on = |i: usize| match o.and_then(|o| o.get(FLAGS[i])) {
                    Some(v) => v == &Value::Bool(true),
                    None => d[i],
                };
                (on(0) && on(1) && (changed || !on(2))).then(|| HandlerSpec {
                    id: format!("global-{s}"),
                    kind: s.to_string(),
                    options: Map::new(),
                    match_expr: String::new(),
                })
            })
            .collect()
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
        Value::Null => "null",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: &str, options: Value) -> HandlerSpec {
        HandlerSpec {
            id: "h".into(),
            kind: kind.into(),
            options: options.as_object().cloned().unwrap_or_default(),
            match_expr: String::new(),
        }
    }

    #[test]
    fn overrides_merge_under_spec_options() {
        let c = ServiceConfigs::default();
        let set = json!({"routing-key": "cfg", "url": "http://x/v2"});
        c.update("pagerduty2", set.as_object().unwrap(), &[])
            .unwrap();
        let m = c
            .merged(&spec("pagerduty2", json!({"routing-key": "own"})))
            .unwrap();
        assert_eq!(m["routing-key"], "own");
        assert_eq!(m["url"], "http://x/v2");
        c.update("pagerduty2", &Map::new(), &["url".into()])
            .unwrap();
        assert_eq!(
            c.section("pagerduty2").unwrap()["url"],
            "https://events.pagerduty.com/v2/enqueue"
        );
    }

    #[test]
    fn update_rejects_unknown_and_mistyped_options() {
        let c = ServiceConfigs::default();
        let e = c
            .update("smtp", json!({"hots": "x"}).as_object().unwrap(), &[])
            .unwrap_err();
        assert_eq!(e, "unknown option \"hots\" in section \"smtp\"");
        let e = c
            .update("smtp", json!({"port": "25"}).as_object().unwrap(), &[])
            .unwrap_err();
        assert!(e.contains("expected a number"), "{e}");
        assert!(c.update("nope", &Map::new(), &[]).is_err());
        assert!(c.overrides("smtp").is_empty());
    }

    #[test]
    fn redacted_options_exist_in_their_sections() {
        for s in SERVICES {
            let d = defaults(s).unwrap();
            for k in redacted(s) {
                assert!(d.contains_key(*k), "{s}.{k}");
            }
        }
    }

    #[test]
    fn disabled_service_and_global_handlers() {
        let c = ServiceConfigs::default();
        c.update("teams", json!({"enabled": false}).as_object().unwrap(), &[])
            .unwrap();
        assert_eq!(
            c.merged(&spec("teams", json!({}))).unwrap_err(),
            "teams handler: service is not enabled"
        );
        let set = json!({"global": true, "state-changes-only": true});
        c.update("slack", set.as_object().unwrap(), &[]).unwrap();
        assert_eq!(c.global_handlers(true).len(), 1);
        assert!(c.global_handlers(false).is_empty());
        c.reset("slack");
        assert!(c.global_handlers(true).is_empty());
    }
}

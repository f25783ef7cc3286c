//! `/api/v2/notificationEndpoints`: where notification rules send (http,
//! slack, pagerduty, telegram), stored as documents. Secret fields (`username`,
//! `password`, `token`, `routingKey`) are kept apart in the document and
//! never answered: reads show `"secret: <id>-<field>"` as InfluxDB 2 does,
//! and sending that text back on an update keeps the stored secret.

use axum::Router;
use serde_json::{json, Map, Value};

use super::documents::Doc;
use crate::error::ApiError;
use crate::monitoring::api::{bad, base_json, routes as crud_routes, Resource};
use crate::monitoring::model::{secret_fields, Endpoint, ENDPOINTS};
use crate::AppState;

/// The notification endpoints resource.
pub struct NotificationEndpoints;

impl Resource for NotificationEndpoints {
    const KIND: &'static str = ENDPOINTS;
    const WHAT: &'static str = "notification endpoint";
    const LIST_KEY: &'static str = "notificationEndpoints";
    const PATH: &'static str = "/api/v2/notificationEndpoints";
    const FIELDS: &'static [&'static str] = &[
        "name",
        "description",
        "ownerID",
        "userID",
        "status",
        "type",
        "url",
        "method",
        "authMethod",
        "contentTemplate",
        "headers",
        "clientURL",
        "channel",
        "username",
        "password",
        "token",
        "routingKey",
    ];

    fn prepare(
        _state: &AppState,
        id: &str,
        _org: &str,
        body: &mut Map<String, Value>,
        previous: Option<&Map<String, Value>>,
    ) -> Result<(), ApiError> {
        let typ = body
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let old = previous
            .and_then(|p| p.get("secrets"))
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let mut secrets = Map::new();
        for field in secret_fields(&typ) {
            match body.remove(*field) {
                Some(Value::String(s)) if s.starts_with("secret: ") || s.is_empty() => {
                    if let Some(v) = old.get(*field) {
                        secrets.insert(field.to_string(), v.clone());
                    }
                }
                Some(Value::String(s)) => {
                    secrets.insert(field.to_string(), json!(s));
                }
                Some(Value::Null) | None => {
                    if let Some(v) = old.get(*field) {
                        secrets.insert(field.to_string(), v.clone());
                    }
                }
                Some(_) => return Err(bad(format!("{field} must be a string"))),
            }
        }
        for field in ["username", "password", "token", "routingKey"] {
            body.remove(field);
        }
        body.insert("secrets".into(), Value::Object(secrets));
        if typ == "http" {
            body.entry("method").or_insert(json!("POST"));
            body.entry("authMethod").or_insert(json!("none"));
        }
        let endpoint = Endpoint::from_body(id, body).map_err(bad)?;
        // what the runner cannot send yet is refused up front (501)
        crate::monitoring::rule_run::sendable(&endpoint).map_err(bad)?;
        Ok(())
    }

    fn render(state: &AppState, doc: &Doc) -> Value {
        let mut out = base_json::<Self>(state, doc);
        let b = &doc.body;
        let typ = b.get("type").and_then(Value::as_str).unwrap_or("");
        let mut copy = |k: &str, default: Option<Value>| {
            if let Some(v) = b.get(k).cloned().or(default) {
                out.insert(k.into(), v);
            }
        };
        copy("name", Some(json!("")));
        copy("description", Some(json!("")));
        copy("status", Some(json!("active")));
        copy("type", None);
        copy("userID", None);
        match typ {
            "http" => {
                copy("url", None);
                copy("method", Some(json!("POST")));
                copy("authMethod", Some(json!("none")));
                copy("contentTemplate", None);
                copy("headers", None);
            }
            "slack" => copy("url", None),
            "pagerduty" => copy("clientURL", Some(json!(""))),
            "telegram" => {
                copy("channel", None);
                copy("url", None);
            }
            _ => {}
        }
        if let Some(secrets) = b.get("secrets").and_then(Value::as_object) {
            for field in secrets.keys() {
                out.insert(
                    field.clone(),
                    json!(format!("secret: {}-{field}", doc.def.id)),
                );
            }
        }
        Value::Object(out)
    }
}

/// The routes of `/api/v2/notificationEndpoints`.
pub fn routes() -> Router<AppState> {
    crud_routes::<NotificationEndpoints>()
}

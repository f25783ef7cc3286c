//! `/api/v2/notificationRules`: which statuses to send through which
//! endpoint (status rules, tag rules, every/offset), stored as documents and
//! run by [`crate::monitoring`]; with labels, `?checkID=` and `?tag=key:value`
//! filters, and `GET /api/v2/notificationRules/{id}/query`.

use std::collections::HashMap;

use axum::extract::{Extension, Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use super::documents::{self, Doc};
use super::errors::{invalid, not_found};
use super::token_auth::Principal;
use crate::error::ApiError;
use crate::monitoring::api::{bad, base_json, routes as crud_routes, Resource};
use crate::monitoring::model::{Check, Endpoint, Rule, CHECKS, ENDPOINTS, RULES};
use crate::AppState;

/// The notification rules resource.
pub struct NotificationRules;

fn endpoint_of(state: &AppState, org: &str, id: &str) -> Result<Endpoint, ApiError> {
    let snap = state.storage.catalog().snapshot();
    let doc = snap
        .v2
        .documents
        .get(&(ENDPOINTS.to_string(), id.to_string()))
        .filter(|d| d.org_id == org)
        .ok_or_else(|| not_found("notification endpoint not found"))?;
    let body =
        serde_json::from_str(&doc.body).map_err(|e| super::errors::internal(e.to_string()))?;
    Endpoint::from_body(id, &body).map_err(bad)
}

impl Resource for NotificationRules {
    const KIND: &'static str = RULES;
    const WHAT: &'static str = "notification rule";
    const LIST_KEY: &'static str = "notificationRules";
    const PATH: &'static str = "/api/v2/notificationRules";
    const FIELDS: &'static [&'static str] = &[
        "name",
        "description",
        "ownerID",
        "status",
        "type",
        "endpointID",
        "every",
        // kept so that validation refuses it (not supported yet)
        "cron",
        "offset",
        "sleepUntil",
        "runbookLink",
        "limitEvery",
        "limit",
        "tagRules",
        "statusRules",
        "messageTemplate",
        "channel",
        "parseMode",
        "disableWebPagePreview",
    ];

    fn prepare(
        state: &AppState,
        id: &str,
        org: &str,
        body: &mut Map<String, Value>,
        _previous: Option<&Map<String, Value>>,
    ) -> Result<(), ApiError> {
        if body.get("sleepUntil").is_some_and(|v| !v.is_null()) {
            return Err(bad("not supported yet: notification rule sleepUntil".into()));
        }
        let rule = Rule::from_body(id, org, body).map_err(bad)?;
        let endpoint = endpoint_of(state, org, &rule.endpoint_id)?;
        if endpoint.kind.type_name() != rule.typ {
            return Err(invalid(format!(
                "notification rule type {} does not match its endpoint's type {}",
                rule.typ,
                endpoint.kind.type_name()
            )));
        }
        Ok(())
    }

    fn render(state: &AppState, doc: &Doc) -> Value {
        let mut out = base_json::<Self>(state, doc);
        let b = &doc.body;
        let mut copy = |k: &str, default: Option<Value>| {
            if let Some(v) = b.get(k).cloned().or(default) {
                out.insert(k.into(), v);
            }
        };
        copy("name", Some(json!("")));
        copy("description", Some(json!("")));
        copy("ownerID", None);
        copy("status", Some(json!("active")));
        copy("type", None);
        copy("endpointID", None);
        copy("every", None);
        copy("offset", Some(json!("0s")));
        copy("runbookLink", Some(json!("")));
        copy("limitEvery", None);
        copy("limit", None);
        copy("tagRules", Some(json!([])));
        copy("statusRules", Some(json!([])));
        match b.get("type").and_then(Value::as_str) {
            Some("slack") => {
                copy("messageTemplate", Some(json!("")));
                copy("channel", Some(json!("")));
            }
            Some("pagerduty") => copy("messageTemplate", Some(json!(""))),
            Some("telegram") => {
                copy("messageTemplate", Some(json!("")));
                copy("parseMode", Some(json!("MarkdownV2")));
                copy("disableWebPagePreview", Some(json!(false)));
            }
            _ => {}
        }
        if let Some(links) = out.get_mut("links").and_then(Value::as_object_mut) {
            links.insert(
                "query".into(),
                json!(format!("/api/v2/notificationRules/{}/query", doc.def.id)),
            );
        }
        crate::monitoring::add_run_fields(&doc.def.id, &mut out);
        Value::Object(out)
    }

    /// `checkID`: rules whose tag rules the check's tags satisfy; `tag`
    /// (`key:value`): rules with that equality tag rule.
    fn keep(state: &AppState, doc: &Doc, params: &HashMap<String, String>) -> bool {
        let Ok(rule) = Rule::from_body(&doc.def.id, &doc.def.org_id, &doc.body) else {
            return true;
        };
        if let Some(tag) = params.get("tag").filter(|t| !t.is_empty()) {
            let (k, v) = tag.split_once(':').unwrap_or((tag, ""));
            let has = rule.tag_rules.iter().any(|t| {
                t.key == k && t.value == v && t.op == crate::monitoring::model::TagOp::Equal
            });
            if !has {
                return false;
            }
        }
        if let Some(check_id) = params.get("checkID").filter(|t| !t.is_empty()) {
            let snap = state.storage.catalog().snapshot();
            let Some(check) = snap
                .v2
                .documents
                .get(&(CHECKS.to_string(), check_id.clone()))
                .and_then(|d| {
                    let body = serde_json::from_str(&d.body).ok()?;
                    Check::from_body(&d.id, &d.org_id, &body).ok()
                })
            else {
                return false;
            };
            let tags: HashMap<&str, &str> = check
                .tags
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            return rule
                .tag_rules
                .iter()
                .all(|t| t.matches(tags.get(t.key.as_str()).copied()));
        }
        true
    }
}

/// `GET /api/v2/notificationRules/{id}/query`: `{"flux": …}`.
async fn query(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let doc = documents::readable(&state, &principal, RULES, &id, "notification rule")?;
    let rule = Rule::from_body(&id, &doc.def.org_id, &doc.body).map_err(bad)?;
    let endpoint = endpoint_of(&state, &doc.def.org_id, &rule.endpoint_id)?;
    let flux = crate::monitoring::query::rule_flux(&rule, &endpoint);
    Ok(Json(json!({ "flux": flux })).into_response())
}

/// The routes of `/api/v2/notificationRules`.
pub fn routes() -> Router<AppState> {
    crud_routes::<NotificationRules>().route("/api/v2/notificationRules/{id}/query", get(query))
}

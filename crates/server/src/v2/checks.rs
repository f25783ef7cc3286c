//! `/api/v2/checks`: InfluxDB 2 threshold and deadman checks (stored as
//! documents, run by [`crate::monitoring`]), with labels and
//! `GET /api/v2/checks/{id}/query` (the Flux InfluxDB would generate).

use axum::extract::{Extension, Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use super::documents::{self, Doc};
use super::token_auth::Principal;
use crate::error::ApiError;
use crate::monitoring::api::{bad, base_json, routes as crud_routes, Resource};
use crate::monitoring::model::{Check, CHECKS};
use crate::AppState;

/// The checks resource.
pub struct Checks;

impl Resource for Checks {
    const KIND: &'static str = CHECKS;
    const WHAT: &'static str = "check";
    const LIST_KEY: &'static str = "checks";
    const PATH: &'static str = "/api/v2/checks";
    const FIELDS: &'static [&'static str] = &[
        "name",
        "description",
        "ownerID",
        "query",
        "statusMessageTemplate",
        "every",
        // kept so that validation refuses it (not supported yet)
        "cron",
        "offset",
        "tags",
        "type",
        "thresholds",
        "timeSince",
        "staleTime",
        "reportZero",
        "level",
        "status",
    ];

    fn prepare(
        _state: &AppState,
        id: &str,
        org: &str,
        body: &mut Map<String, Value>,
        _previous: Option<&Map<String, Value>>,
    ) -> Result<(), ApiError> {
        Check::from_body(id, org, body).map_err(bad)?;
        if !body.contains_key("statusMessageTemplate") {
            body.insert("statusMessageTemplate".into(), json!(""));
        }
        // the query as InfluxDB 2 answers it: a DashboardQuery with every field
        if let Some(q) = body.get_mut("query").and_then(Value::as_object_mut) {
            q.entry("editMode").or_insert(json!("advanced"));
            q.entry("name").or_insert(json!(""));
            let builder = q.entry("builderConfig").or_insert(json!({}));
            if let Some(b) = builder.as_object_mut() {
                for k in ["buckets", "tags", "functions"] {
                    b.entry(k).or_insert(json!([]));
                }
                b.entry("aggregateWindow")
                    .or_insert(json!({"period": "", "fillValues": false}));
            }
        }
        Ok(())
    }

    fn render(state: &AppState, doc: &Doc) -> Value {
        render(state, doc)
    }
}

/// The API shape of a stored check.
fn render(state: &AppState, doc: &Doc) -> Value {
    let mut out = base_json::<Checks>(state, doc);
    let b = &doc.body;
    let copy = |out: &mut Map<String, Value>, k: &str, default: Value| {
        out.insert(k.into(), b.get(k).cloned().unwrap_or(default));
    };
    copy(&mut out, "name", json!(""));
    copy(&mut out, "description", json!(""));
    if let Some(owner) = b.get("ownerID") {
        out.insert("ownerID".into(), owner.clone());
    }
    copy(&mut out, "query", json!({"text": ""}));
    copy(&mut out, "statusMessageTemplate", json!(""));
    copy(&mut out, "every", Value::Null);
    copy(&mut out, "offset", json!("0s"));
    copy(&mut out, "tags", json!([]));
    copy(&mut out, "type", json!("threshold"));
    copy(&mut out, "status", json!("active"));
    match b.get("type").and_then(Value::as_str) {
        Some("deadman") => {
            copy(&mut out, "timeSince", Value::Null);
            copy(&mut out, "staleTime", Value::Null);
            copy(&mut out, "reportZero", json!(false));
            copy(&mut out, "level", Value::Null);
        }
        _ => {
            let thresholds: Vec<Value> = b
                .get("thresholds")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|mut t| {
                    if let Some(o) = t.as_object_mut() {
                        o.entry("allValues").or_insert(json!(false));
                    }
                    t
                })
                .collect();
            out.insert("thresholds".into(), Value::Array(thresholds));
        }
    }
    if let Some(links) = out.get_mut("links").and_then(Value::as_object_mut) {
        links.insert(
            "query".into(),
            json!(format!("/api/v2/checks/{}/query", doc.def.id)),
        );
    }
    crate::monitoring::add_run_fields(&doc.def.id, &mut out);
    Value::Object(out)
}

/// `GET /api/v2/checks/{id}/query`: `{"flux": …}`.
async fn query(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let doc = documents::readable(&state, &principal, CHECKS, &id, "check")?;
    let check = Check::from_body(&id, &doc.def.org_id, &doc.body).map_err(bad)?;
    let flux = crate::monitoring::query::check_flux(&check).map_err(bad)?;
    Ok(Json(json!({ "flux": flux })).into_response())
}

/// The routes of `/api/v2/checks`.
pub fn routes() -> Router<AppState> {
    crud_routes::<Checks>().route("/api/v2/checks/{id}/query", get(query))
}

//! Shared handling of the resources stored as JSON documents in the catalog
//! (labels, variables, dashboards): loading with permission checks, listing
//! per organization, saving.
//!
//! The document kind is also the permission resource type.

use std::collections::HashMap;
use std::sync::Arc;

use almanac_catalog::{Action, DocumentDef};
use serde_json::{Map, Value};

use super::errors::{catalog, internal, not_found};
use super::token_auth::{resolve_org, Principal};
use crate::error::ApiError;
use crate::AppState;

/// A loaded document: its catalog record and its JSON object.
pub struct Doc {
    /// The stored record (id, org, times).
    pub def: Arc<DocumentDef>,
    /// The JSON object.
    pub body: Map<String, Value>,
}

fn decode(def: Arc<DocumentDef>) -> Result<Doc, ApiError> {
    match serde_json::from_str(&def.body) {
        Ok(Value::Object(body)) => Ok(Doc { def, body }),
        _ => Err(internal(format!(
            "stored {} {} is not a JSON object",
            def.kind, def.id
        ))),
    }
}

/// Document `kind`/`id` that the caller may read (404 `<what> not found`,
/// 401 without permission).
pub fn readable(
    state: &AppState,
    principal: &Principal,
    kind: &str,
    id: &str,
    what: &str,
) -> Result<Doc, ApiError> {
    let snap = state.storage.catalog().snapshot();
    let def = snap
        .v2
        .documents
        .get(&(kind.to_string(), id.to_string()))
        .cloned()
        .ok_or_else(|| not_found(format!("{what} not found")))?;
    principal.require(Action::Read, kind, Some(&def.org_id), Some(id))?;
    decode(def)
}

/// Like [`readable`], also requiring write permission.
pub fn writable(
    state: &AppState,
    principal: &Principal,
    kind: &str,
    id: &str,
    what: &str,
) -> Result<Doc, ApiError> {
    let doc = readable(state, principal, kind, id, what)?;
    principal.require(Action::Write, kind, Some(&doc.def.org_id), Some(id))?;
    Ok(doc)
}

/// The readable documents of `kind`, filtered by the `org`/`orgID`
/// parameters, oldest first.
pub fn list(
    state: &AppState,
    principal: &Principal,
    kind: &str,
    params: &HashMap<String, String>,
) -> Result<Vec<Doc>, ApiError> {
    let snap = state.storage.catalog().snapshot();
    let org = resolve_org(
        &snap,
        params.get("org").map(String::as_str),
        params.get("orgID").map(String::as_str),
    )?;
    let mut defs: Vec<_> = snap
        .v2
        .documents
        .range((kind.to_string(), String::new())..)
        .take_while(|((k, _), _)| k == kind)
        .map(|(_, d)| d.clone())
        .filter(|d| org.as_deref().is_none_or(|o| d.org_id == o))
        .filter(|d| principal.allows(Action::Read, kind, Some(&d.org_id), Some(&d.id)))
        .collect();
    defs.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    defs.into_iter().map(decode).collect()
}

/// The organization a new document goes to (`orgID` of the body, else
/// the `org` name), checked to exist and to allow writing `kind`.
pub fn target_org(
    state: &AppState,
    principal: &Principal,
    kind: &str,
    body: &Map<String, Value>,
) -> Result<String, ApiError> {
    let snap = state.storage.catalog().snapshot();
    let str_field = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let org = match (str_field("orgID"), str_field("org")) {
        (None, None) => snap.v2.default_org().map(|o| o.id.clone()),
        (id, name) => resolve_org(&snap, name, id)?,
    }
    .ok_or_else(|| super::errors::invalid("orgID is required"))?;
    principal.require(Action::Write, kind, Some(&org), None)?;
    Ok(org)
}

/// Stores `body` as document `kind`/`id` (`None` = new); returns the record.
pub fn save(
    state: &AppState,
    kind: &str,
    id: Option<&str>,
    org_id: &str,
    body: &Map<String, Value>,
) -> Result<Arc<DocumentDef>, ApiError> {
    let text = serde_json::to_string(body).map_err(|e| internal(e.to_string()))?;
    state
        .storage
        .catalog()
        .put_document(kind, id, org_id, text)
        .map_err(catalog)
}

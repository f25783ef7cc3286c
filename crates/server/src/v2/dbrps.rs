//! `/api/v2/dbrps`: database/retention-policy mappings.
//!
//! Every bucket has an automatic ("virtual") mapping from its own database
//! and retention policy; explicit mappings add other 1.x names for a bucket.
//! Access follows the target bucket's permissions, as in InfluxDB.

use std::collections::HashMap;

use almanac_catalog::{bucket_id, virtual_dbrp_id, Action, CatalogSnapshot, DbrpDef};
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{json, Value};

use super::errors::{catalog, invalid, not_found, parse_json};
use super::token_auth::{resolve_org, Principal};
use crate::error::ApiError;
use crate::AppState;

/// A mapping as the API renders it.
#[derive(Debug, Clone)]
struct Mapping {
    def: DbrpDef,
    virtual_: bool,
}

fn mapping_json(m: &Mapping) -> Value {
    json!({
        "id": m.def.id,
        "orgID": m.def.org_id,
        "bucketID": m.def.bucket_id,
        "database": m.def.database,
        "retention_policy": m.def.retention_policy,
        "default": m.def.default,
        "virtual": m.virtual_,
    })
}

/// Explicit mappings, then one virtual mapping per bucket.
fn all_mappings(snap: &CatalogSnapshot) -> Vec<Mapping> {
    let mut out: Vec<Mapping> = snap
        .v2
        .dbrps
        .values()
        .filter(|d| snap.bucket(&d.bucket_id).is_some())
        .map(|d| Mapping {
            def: DbrpDef::clone(d),
            virtual_: false,
        })
        .collect();
    for db in snap.databases.values() {
        for rp in db.retention_policies.keys() {
            let bid = bucket_id(db.id, rp);
            out.push(Mapping {
                def: DbrpDef {
                    id: virtual_dbrp_id(&bid),
                    org_id: snap.bucket_org_id(&bid).unwrap_or_default(),
                    bucket_id: bid,
                    database: db.name.clone(),
                    retention_policy: rp.clone(),
                    default: *rp == db.default_rp,
                },
                virtual_: true,
            });
        }
    }
    out
}

fn allowed(principal: &Principal, m: &Mapping, action: Action) -> bool {
    principal.allows(
        action,
        "buckets",
        Some(&m.def.org_id),
        Some(&m.def.bucket_id),
    ) || principal.allows(action, "dbrp", Some(&m.def.org_id), Some(&m.def.id))
}

fn find(
    state: &AppState,
    principal: &Principal,
    id: &str,
    action: Action,
) -> Result<Mapping, ApiError> {
    let snap = state.storage.catalog().snapshot();
    let m = all_mappings(&snap)
        .into_iter()
        .find(|m| m.def.id == id)
        .ok_or_else(|| not_found("unable to find DBRP"))?;
    if !allowed(principal, &m, action) {
        principal.require(
            action,
            "buckets",
            Some(&m.def.org_id),
            Some(&m.def.bucket_id),
        )?;
    }
    Ok(m)
}

/// `GET /api/v2/dbrps?orgID=|org=&id=&bucketID=&default=&db=&rp=`: `{"content": [...]}`.
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let snap = state.storage.catalog().snapshot();
    let get = |k: &str| params.get(k).map(String::as_str).filter(|s| !s.is_empty());
    if get("org").is_none() && get("orgID").is_none() && !snap.v2.orgs.is_empty() {
        return Err(invalid("either \"org\" or \"orgID\" must be provided"));
    }
    let org = resolve_org(&snap, get("org"), get("orgID"))?;
    let default = match get("default") {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => return Err(invalid(format!("invalid default: {other}"))),
    };
    let content: Vec<Value> = all_mappings(&snap)
        .into_iter()
        .filter(|m| org.as_deref().is_none_or(|o| m.def.org_id == o))
        .filter(|m| get("id").is_none_or(|v| m.def.id == v))
        .filter(|m| get("bucketID").is_none_or(|v| m.def.bucket_id == v))
        .filter(|m| get("db").is_none_or(|v| m.def.database == v))
        .filter(|m| get("rp").is_none_or(|v| m.def.retention_policy == v))
        .filter(|m| default.is_none_or(|d| m.def.default == d))
        .filter(|m| allowed(&principal, m, Action::Read))
        .map(|m| mapping_json(&m))
        .collect();
    Ok(Json(json!({ "content": content })).into_response())
}

#[derive(Deserialize)]
struct DbrpBody {
    #[serde(rename = "orgID")]
    org_id: Option<String>,
    org: Option<String>,
    #[serde(rename = "bucketID")]
    bucket_id: Option<String>,
    database: Option<String>,
    retention_policy: Option<String>,
    default: Option<bool>,
}

/// `POST /api/v2/dbrps`: 201 with the mapping.
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: DbrpBody = parse_json(&body)?;
    let snap = state.storage.catalog().snapshot();
    let org = resolve_org(&snap, req.org.as_deref(), req.org_id.as_deref())?
        .ok_or_else(|| invalid("either \"org\" or \"orgID\" must be provided"))?;
    let bucket = req
        .bucket_id
        .filter(|b| !b.is_empty())
        .ok_or_else(|| invalid("bucketID is required"))?;
    if snap.bucket(&bucket).is_none() || snap.bucket_org_id(&bucket).as_deref() != Some(&org) {
        return Err(not_found("bucket not found"));
    }
    principal.require(Action::Write, "buckets", Some(&org), Some(&bucket))?;
    let dbrp = state
        .storage
        .catalog()
        .create_dbrp(
            &org,
            &bucket,
            req.database.as_deref().unwrap_or(""),
            req.retention_policy.as_deref().unwrap_or(""),
            req.default.unwrap_or(false),
        )
        .map_err(catalog)?;
    let m = Mapping {
        def: DbrpDef::clone(&dbrp),
        virtual_: false,
    };
    Ok((StatusCode::CREATED, Json(mapping_json(&m))).into_response())
}

/// `GET /api/v2/dbrps/{id}`: `{"content": mapping}`.
pub async fn get_one(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let m = find(&state, &principal, &id, Action::Read)?;
    Ok(Json(json!({ "content": mapping_json(&m) })).into_response())
}

/// `PATCH /api/v2/dbrps/{id}` `{retention_policy, default}`: `{"content": mapping}`.
pub async fn patch(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let m = find(&state, &principal, &id, Action::Write)?;
    if m.virtual_ {
        return Err(invalid("cannot update a virtual DBRP mapping"));
    }
    let req: DbrpBody = parse_json(&body)?;
    let mut def = m.def.clone();
    if let Some(rp) = req.retention_policy.filter(|r| !r.is_empty()) {
        def.retention_policy = rp;
    }
    if let Some(d) = req.default {
        def.default = d;
    }
    state
        .storage
        .catalog()
        .update_dbrp(def.clone())
        .map_err(catalog)?;
    let snap = state.storage.catalog().snapshot();
    let def = snap
        .v2
        .dbrps
        .get(&id)
        .map(|d| DbrpDef::clone(d))
        .unwrap_or(def);
    Ok(Json(json!({ "content": mapping_json(&Mapping { def, virtual_: false }) })).into_response())
}

/// `DELETE /api/v2/dbrps/{id}`: 204.
pub async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let m = find(&state, &principal, &id, Action::Write)?;
    if m.virtual_ {
        return Err(invalid("cannot delete a virtual DBRP mapping"));
    }
    state.storage.catalog().delete_dbrp(&id).map_err(catalog)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The bucket an explicit mapping gives the 1.x name `db`/`rp` (`rp`
/// `None` = the database's default mapping), when `db` is not itself a
/// database: (database, retention policy) of the target bucket.
pub fn map_v1_name(state: &AppState, db: &str, rp: Option<&str>) -> Option<(String, String)> {
    let snap = state.storage.catalog().snapshot();
    if snap.databases.contains_key(db) {
        return None;
    }
    let m = snap
        .v2
        .dbrps
        .values()
        .filter(|d| d.database == db)
        .find(|d| match rp {
            Some(rp) => d.retention_policy == rp,
            None => d.default,
        })?;
    let (target, target_rp) = snap.bucket(&m.bucket_id)?;
    Some((target.name.clone(), target_rp))
}

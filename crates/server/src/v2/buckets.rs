//! `/api/v2/buckets`: a bucket is a (database, retention policy) pair.
//!
//! Creating a bucket creates database `<name>` with RP `autogen`; every 1.x
//! database/RP is listed as a bucket (`db` for the default RP, `db/rp` for
//! the others) with an id derived from the database's id and the RP name.

use std::collections::HashMap;
use std::sync::Arc;

use almanac_catalog::{bucket_id, Action, CatalogSnapshot, DatabaseDef, DroppedBucket};
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{json, Value};

use super::errors::{catalog, internal, invalid, not_found, parse_json};
use super::token_auth::{resolve_org, Principal};
use super::{labels, rfc3339, Paging};
use crate::error::ApiError;
use crate::AppState;

/// A bucket as InfluxDB 2 renders it.
pub fn bucket_json(snap: &CatalogSnapshot, db: &DatabaseDef, rp: &str) -> Value {
    let id = bucket_id(db.id, rp);
    let org_id = snap.bucket_org_id(&id).unwrap_or_default();
    let meta = snap.v2.bucket_meta.get(&id);
    let policy = db.retention_policies.get(rp);
    let every = policy.and_then(|p| p.duration_ns).unwrap_or(0) / 1_000_000_000;
    let shard = policy.map(|p| p.shard_group_duration_ns).unwrap_or(0) / 1_000_000_000;
    let mut v = json!({
        "links": {
            "labels": format!("/api/v2/buckets/{id}/labels"),
            "members": format!("/api/v2/buckets/{id}/members"),
            "org": format!("/api/v2/orgs/{org_id}"),
            "owners": format!("/api/v2/buckets/{id}/owners"),
            "self": format!("/api/v2/buckets/{id}"),
            "write": format!("/api/v2/write?org={org_id}&bucket={id}"),
        },
        "id": id,
        "orgID": org_id,
        // `_monitoring` (and 1.x's `_internal`): InfluxDB 2's system buckets
        "type": if db.name.starts_with('_') { "system" } else { "user" },
        "name": snap.bucket_name(db, rp),
        "description": meta.map(|m| m.description.clone()).unwrap_or_default(),
        "rp": rp,
        "retentionRules": [{
            "type": "expire",
            "everySeconds": every,
            "shardGroupDurationSeconds": shard,
        }],
        "labels": labels::resource_labels(snap, "buckets", &id),
    });
    if let Some(m) = meta {
        v["createdAt"] = json!(rfc3339(m.created_at));
        v["updatedAt"] = json!(rfc3339(m.updated_at));
    }
    v
}

/// Every bucket: (id, database, rp), sorted by id.
fn all_buckets(snap: &CatalogSnapshot) -> Vec<(String, Arc<DatabaseDef>, String)> {
    let mut out: Vec<_> = snap
        .databases
        .values()
        .flat_map(|db| {
            db.retention_policies
                .keys()
                .map(|rp| (bucket_id(db.id, rp), db.clone(), rp.clone()))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Bucket `id`, readable by the caller: (database, rp, org id).
pub fn readable_bucket(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<(Arc<DatabaseDef>, String, Option<String>), ApiError> {
    let snap = state.storage.catalog().snapshot();
    let (db, rp) = snap
        .bucket(id)
        .ok_or_else(|| not_found("bucket not found"))?;
    let org = snap.bucket_org_id(id);
    principal.require(Action::Read, "buckets", org.as_deref(), Some(id))?;
    Ok((db, rp, org))
}

/// `GET /api/v2/buckets?org=&orgID=&name=&id=` with paging.
pub async fn list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let paging = Paging::from_params(&params)?;
    let snap = state.storage.catalog().snapshot();
    let get = |k: &str| params.get(k).map(String::as_str).filter(|s| !s.is_empty());
    let org = resolve_org(&snap, get("org"), get("orgID"))?;
    let name = get("name");
    let id = get("id");
    let items: Vec<(String, Value)> = all_buckets(&snap)
        .into_iter()
        .filter(|(bid, _, _)| id.is_none_or(|i| i == bid))
        .filter(|(bid, _, _)| {
            org.as_deref()
                .is_none_or(|o| snap.bucket_org_id(bid).as_deref() == Some(o))
        })
        .filter(|(_, db, rp)| {
            name.is_none_or(|n| {
                snap.bucket_name(db, rp) == n
                    || snap
                        .bucket_by_name(n)
                        .is_some_and(|(d, r)| d.id == db.id && r == *rp)
            })
        })
        .filter(|(bid, _, _)| {
            let org = snap.bucket_org_id(bid);
            principal.allows(Action::Read, "buckets", org.as_deref(), Some(bid))
        })
        .map(|(bid, db, rp)| (bid, bucket_json(&snap, &db, &rp)))
        .collect();
    let (page, more) = paging.page(items);
    let filters: Vec<(&str, &str)> = ["org", "orgID", "name", "id"]
        .into_iter()
        .filter_map(|k| get(k).map(|v| (k, v)))
        .collect();
    Ok(Json(json!({
        "links": paging.links("/api/v2/buckets", &filters, more),
        "buckets": page,
    }))
    .into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RetentionRule {
    #[serde(rename = "type")]
    kind: Option<String>,
    every_seconds: Option<i64>,
    shard_group_duration_seconds: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BucketBody {
    #[serde(rename = "orgID")]
    org_id: Option<String>,
    name: Option<String>,
    description: Option<String>,
    retention_rules: Option<Vec<RetentionRule>>,
}

/// Retention and shard group duration (ns) of a rule list: `None` = no
/// rule given; `Some((None, _))` = infinite.
#[allow(clippy::type_complexity)]
fn retention(
    rules: Option<&[RetentionRule]>,
) -> Result<Option<(Option<i64>, Option<i64>)>, ApiError> {
    let Some(rules) = rules else {
        return Ok(None);
    };
    let Some(rule) = rules.first() else {
        return Ok(Some((None, None)));
    };
    if rules.len() > 1 {
        return Err(invalid("buckets support a single retention rule"));
    }
    if rule.kind.as_deref().is_some_and(|k| k != "expire") {
        return Err(invalid("retention rule type must be \"expire\""));
    }
    let every = rule.every_seconds.unwrap_or(0);
    if every < 0 {
        return Err(invalid(
            "expiration seconds must be greater than or equal to one hour",
        ));
    }
    let shard = rule.shard_group_duration_seconds.unwrap_or(0);
    if shard < 0 {
        return Err(invalid("shard-group duration must be positive"));
    }
    let ns = |s: i64| (s > 0).then(|| s.saturating_mul(1_000_000_000));
    Ok(Some((ns(every), ns(shard))))
}

/// `POST /api/v2/buckets`: 201 with the bucket.
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let req: BucketBody = parse_json(&body)?;
    let snap = state.storage.catalog().snapshot();
    let org_id = match req.org_id.filter(|o| !o.is_empty()) {
        Some(id) => id,
        None => snap
            .v2
            .default_org()
            .map(|o| o.id.clone())
            .ok_or_else(|| invalid("orgID is required"))?,
    };
    if !snap.v2.orgs.contains_key(&org_id) {
        return Err(not_found("organization not found"));
    }
    principal.require(Action::Write, "buckets", Some(&org_id), None)?;
    let name = req
        .name
        .filter(|n| !n.is_empty())
        .ok_or_else(|| invalid("bucket name is empty"))?;
    let (every, shard) = retention(req.retention_rules.as_deref())?.unwrap_or((None, None));
    let id = state
        .storage
        .catalog()
        .create_bucket(
            &org_id,
            &name,
            req.description.as_deref().unwrap_or(""),
            every,
            shard,
        )
        .map_err(catalog)?;
    let snap = state.storage.catalog().snapshot();
    let (db, rp) = snap
        .bucket(&id)
        .ok_or_else(|| internal("bucket vanished"))?;
    Ok((StatusCode::CREATED, Json(bucket_json(&snap, &db, &rp))).into_response())
}

/// `GET /api/v2/buckets/{id}`.
pub async fn get_one(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (db, rp, _) = readable_bucket(&state, &principal, &id)?;
    let snap = state.storage.catalog().snapshot();
    Ok(Json(bucket_json(&snap, &db, &rp)).into_response())
}

/// `PATCH /api/v2/buckets/{id}`: name, description, retention rules
/// (`[]` or `everySeconds: 0` = infinite).
pub async fn patch(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (_, _, org) = readable_bucket(&state, &principal, &id)?;
    principal.require(Action::Write, "buckets", org.as_deref(), Some(&id))?;
    let req: BucketBody = parse_json(&body)?;
    let rules = retention(req.retention_rules.as_deref())?;
    state
        .storage
        .catalog()
        .update_bucket(
            &id,
            req.name.filter(|n| !n.is_empty()),
            req.description,
            rules.map(|(every, _)| every),
            rules.and_then(|(_, shard)| shard),
        )
        .map_err(catalog)?;
    let snap = state.storage.catalog().snapshot();
    let (db, rp) = snap
        .bucket(&id)
        .ok_or_else(|| not_found("bucket not found"))?;
    Ok(Json(bucket_json(&snap, &db, &rp)).into_response())
}

/// `DELETE /api/v2/buckets/{id}`: 204; drops the retention policy (or the
/// database when it was its last) with its data.
pub async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (_, _, org) = readable_bucket(&state, &principal, &id)?;
    principal.require(Action::Write, "buckets", org.as_deref(), Some(&id))?;
    let dropped = state
        .storage
        .catalog()
        .delete_bucket(&id)
        .map_err(catalog)?;
    labels::forget_resource(&state, "buckets", &id)?;
    let storage = state.storage.clone();
    tokio::task::spawn_blocking(move || match dropped {
        DroppedBucket::Database(db) => storage.drop_database(db),
        DroppedBucket::RetentionPolicy(db, rp) => storage.drop_retention_policy(db, &rp),
    })
    .await
    .map_err(|e| internal(e.to_string()))?
    .map_err(|e| internal(e.to_string()))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v2/buckets/{id}/labels`.
pub async fn list_labels(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    readable_bucket(&state, &principal, &id)?;
    labels::list_resource_labels(&state, "buckets", &id)
}

/// `POST /api/v2/buckets/{id}/labels` `{"labelID": …}`: 201.
pub async fn add_label(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (_, _, org) = readable_bucket(&state, &principal, &id)?;
    principal.require(Action::Write, "buckets", org.as_deref(), Some(&id))?;
    labels::add_resource_label(&state, &principal, "buckets", &id, org.as_deref(), &body)
}

/// `DELETE /api/v2/buckets/{id}/labels/{labelID}`: 204.
pub async fn remove_label(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, label)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (_, _, org) = readable_bucket(&state, &principal, &id)?;
    principal.require(Action::Write, "buckets", org.as_deref(), Some(&id))?;
    labels::remove_resource_label(&state, "buckets", &id, &label)
}

/// `GET /api/v2/buckets/{id}/members|owners`: membership is per
/// organization here, so a bucket's members/owners are its org's.
fn list_role(
    state: &AppState,
    principal: &Principal,
    id: &str,
    role: almanac_catalog::MemberRole,
) -> Result<Response, ApiError> {
    let (_, _, org) = readable_bucket(state, principal, id)?;
    let snap = state.storage.catalog().snapshot();
    let users: Vec<Value> = snap
        .v2
        .members
        .iter()
        .filter(|((o, _), r)| Some(o) == org.as_ref() && **r == role)
        .map(|((_, user), r)| super::orgs::member_json(&snap, user, *r))
        .collect();
    Ok(Json(json!({
        "links": { "self": format!("/api/v2/buckets/{id}/{}s", role.name()) },
        "users": users,
    }))
    .into_response())
}

/// `GET /api/v2/buckets/{id}/members`.
pub async fn list_members(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    list_role(&state, &principal, &id, almanac_catalog::MemberRole::Member)
}

/// `GET /api/v2/buckets/{id}/owners`.
pub async fn list_owners(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    list_role(&state, &principal, &id, almanac_catalog::MemberRole::Owner)
}

/// `POST|DELETE /api/v2/buckets/{id}/members|owners…`: 501, membership is
/// managed per organization (`/api/v2/orgs/{id}/members|owners`).
pub async fn change_role() -> ApiError {
    super::errors::not_implemented(
        "per-bucket members and owners (manage them on the organization)",
    )
}

//! `/api/v2` (route index), `/api/v2/ready` and `/api/v2/config`.

use axum::extract::{Extension, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::token_auth::Principal;
use crate::error::ApiError;
use crate::AppState;

/// `GET /api/v2`: links to the resource collections, as InfluxDB lists them.
pub async fn routes_index() -> Response {
    Json(json!({
        "authorizations": "/api/v2/authorizations",
        "buckets": "/api/v2/buckets",
        "config": "/api/v2/config",
        "dashboards": "/api/v2/dashboards",
        "dbrps": "/api/v2/dbrps",
        "delete": "/api/v2/delete",
        "health": "/api/v2/health",
        "labels": "/api/v2/labels",
        "me": "/api/v2/me",
        "orgs": "/api/v2/orgs",
        "query": {
            "self": "/api/v2/query",
            "ast": "/api/v2/query/ast",
            "analyze": "/api/v2/query/analyze",
        },
        "ready": "/api/v2/ready",
        "setup": "/api/v2/setup",
        "signin": "/api/v2/signin",
        "signout": "/api/v2/signout",
        "system": {
            "metrics": "/metrics",
            "health": "/health",
            "debug": "/debug/pprof",
        },
        "tasks": "/api/v2/tasks",
        "users": "/api/v2/users",
        "variables": "/api/v2/variables",
        "write": "/api/v2/write",
    }))
    .into_response()
}

/// Go's `time.Duration.String()` for whole milliseconds and above.
fn go_duration(d: std::time::Duration) -> String {
    let total_ms = d.as_millis();
    let (h, rest) = (total_ms / 3_600_000, total_ms % 3_600_000);
    let (m, rest) = (rest / 60_000, rest % 60_000);
    let secs = rest as f64 / 1000.0;
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    out.push_str(&format!("{secs}s"));
    out
}

/// `GET /api/v2/ready`: `{"status":"ready","started":…,"up":…}`.
pub async fn ready(State(state): State<AppState>) -> Response {
    Json(json!({
        "status": "ready",
        "started": state
            .v2
            .started
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        "up": go_duration(state.v2.uptime()),
    }))
    .into_response()
}

/// `GET /api/v2/config`: the running configuration (secrets left out);
/// needs read permission on everything (an operator), as in InfluxDB.
pub async fn config(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
) -> Result<Response, ApiError> {
    if !principal.allows(almanac_catalog::Action::Read, "orgs", None, Some("*any*"))
        || !principal.allows(almanac_catalog::Action::Read, "users", None, Some("*any*"))
    {
        return Err(super::errors::v2(
            axum::http::StatusCode::UNAUTHORIZED,
            "unauthorized access",
        ));
    }
    let c = &state.config;
    let s = &c.storage;
    Ok(Json(json!({
        "config": {
            "http-bind-address": c.http_bind.to_string(),
            "auth-enabled": c.auth_enabled,
            "shared-secret-set": !c.shared_secret.is_empty(),
            "max-body-size": c.max_body_size,
            "engine-path": s.data_dir.display().to_string(),
            "wal-segment-bytes": s.wal_segment_bytes,
            "buffer-limit-bytes": s.buffer_limit_bytes,
            "persist-rows": s.persist_rows,
            "persist-age": go_duration(s.persist_age),
            "compaction-files": s.compaction_files,
            "maintenance-interval": go_duration(s.maintenance_interval),
        }
    }))
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::go_duration;
    use std::time::Duration;

    #[test]
    fn durations_as_go_prints_them() {
        assert_eq!(go_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(go_duration(Duration::from_secs(61)), "1m1s");
        assert_eq!(go_duration(Duration::from_secs(3600)), "1h0m0s");
    }
}

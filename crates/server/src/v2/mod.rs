//! The InfluxDB 2.x management API: setup, sign-in, orgs, users, buckets,
//! DBRP mappings, authorizations, deletes, labels, variables, dashboards,
//! health/ready/config.
//!
//! [`routes`] builds the router (merged into the server's by one line);
//! every route goes through [`token_auth::layer`], which authenticates the
//! caller and leaves a [`token_auth::Principal`] for the handlers' permission
//! checks. Entities live in the catalog (`almanac-catalog`'s v2 commands).

pub mod authorizations;
pub mod buckets;
pub mod checks;
pub mod dashboards;
pub mod dbrps;
pub mod delete;
pub mod documents;
pub mod errors;
pub mod labels;
pub mod notification_endpoints;
pub mod notification_rules;
pub mod orgs;
pub mod setup;
pub mod system;
pub mod tasks;
pub mod token_auth;
pub mod users;
pub mod variables;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::middleware::from_fn_with_state;
use axum::routing::{get, post, put};
use axum::Router;
use parking_lot::Mutex;
use serde_json::{json, Value};

pub use token_auth::{require_bucket_permission, resolve_bucket, Principal};

use crate::AppState;

/// How long a sign-in session lasts (InfluxDB 2's default: 60 minutes).
pub const SESSION_LENGTH: Duration = Duration::from_secs(60 * 60);

/// Process-lifetime state of the v2 API: start time and sign-in sessions
/// (kept in memory: a restart signs everyone out).
pub struct V2Runtime {
    /// When the server started (for `/api/v2/ready`).
    pub started: chrono::DateTime<chrono::Utc>,
    started_at: Instant,
    /// Session id → (user name, expiry).
    sessions: Mutex<HashMap<String, (String, Instant)>>,
    /// Run history of tasks.
    pub tasks: crate::tasks_runner::runs::RunStore,
}

impl Default for V2Runtime {
    fn default() -> Self {
        V2Runtime {
            started: chrono::Utc::now(),
            started_at: Instant::now(),
            sessions: Mutex::new(HashMap::new()),
            tasks: Default::default(),
        }
    }
}

impl std::fmt::Debug for V2Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("V2Runtime")
            .field("started", &self.started)
            .field("sessions", &self.sessions.lock().len())
            .finish()
    }
}

impl V2Runtime {
    /// Time since start.
    pub fn uptime(&self) -> Duration {
        self.started_at.elapsed()
    }

    /// Opens a session for `user`; returns its id.
    pub fn open_session(&self, user: &str) -> Result<String, almanac_catalog::CatalogError> {
        let id = almanac_catalog::new_token()?;
        let mut sessions = self.sessions.lock();
        let now = Instant::now();
        sessions.retain(|_, (_, expiry)| *expiry > now);
        sessions.insert(id.clone(), (user.to_string(), now + SESSION_LENGTH));
        Ok(id)
    }

    /// The user of a live session.
    pub fn session_user(&self, id: &str) -> Option<String> {
        let sessions = self.sessions.lock();
        let (user, expiry) = sessions.get(id)?;
        (*expiry > Instant::now()).then(|| user.clone())
    }

    /// Ends a session.
    pub fn close_session(&self, id: &str) {
        self.sessions.lock().remove(id);
    }
}

/// RFC 3339 with nanoseconds (Go's `time.RFC3339Nano`) of a time in ns.
pub fn rfc3339(ns: i64) -> String {
    chrono::DateTime::from_timestamp_nanos(ns).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Paging of list endpoints: `offset`, `limit` (default 20, at most 100),
/// `after` (an id: start after it), `descending`.
#[derive(Debug, Clone)]
pub struct Paging {
    /// Items to skip.
    pub offset: usize,
    /// Items per page.
    pub limit: usize,
    /// Start after this id.
    pub after: Option<String>,
    /// Reverse order.
    pub descending: bool,
}

impl Paging {
    /// Reads the paging parameters (400 `invalid` for bad numbers).
    pub fn from_params(params: &HashMap<String, String>) -> Result<Paging, crate::error::ApiError> {
        let number = |name: &str, default: usize| -> Result<usize, crate::error::ApiError> {
            match params.get(name).filter(|v| !v.is_empty()) {
                None => Ok(default),
                Some(v) => v
                    .parse::<usize>()
                    .map_err(|_| errors::invalid(format!("invalid {name}: {v}"))),
            }
        };
        let limit = number("limit", 20)?;
        if !(1..=100).contains(&limit) {
            return Err(errors::invalid("limit must be between 1 and 100"));
        }
        Ok(Paging {
            offset: number("offset", 0)?,
            limit,
            after: params.get("after").filter(|a| !a.is_empty()).cloned(),
            descending: params.get("descending").is_some_and(|d| d == "true"),
        })
    }

    /// One page of `items` (each with its id), and whether more follow.
    pub fn page<T>(&self, mut items: Vec<(String, T)>) -> (Vec<T>, bool) {
        if self.descending {
            items.reverse();
        }
        let start = match &self.after {
            Some(after) => items
                .iter()
                .position(|(id, _)| id == after)
                .map_or(items.len(), |i| i + 1),
            None => self.offset.min(items.len()),
        };
        let more = items.len() > start + self.limit;
        let page = items
            .into_iter()
            .skip(start)
            .take(self.limit)
            .map(|(_, t)| t)
            .collect();
        (page, more)
    }

    /// `links` of a page at `path` with the other `filters` kept.
    pub fn links(&self, path: &str, filters: &[(&str, &str)], more: bool) -> Value {
        let query = |offset: usize| {
            let mut q = form_urlencoded::Serializer::new(String::new());
            q.append_pair("descending", if self.descending { "true" } else { "false" });
            q.append_pair("limit", &self.limit.to_string());
            q.append_pair("offset", &offset.to_string());
            for (k, v) in filters {
                q.append_pair(k, v);
            }
            format!("{path}?{}", q.finish())
        };
        let mut links = json!({ "self": query(self.offset) });
        if more && self.after.is_none() {
            links["next"] = json!(query(self.offset + self.limit));
        }
        if self.offset > 0 && self.after.is_none() {
            links["prev"] = json!(query(self.offset.saturating_sub(self.limit)));
        }
        links
    }
}

/// A v2 `status` field: `active` → true, `inactive` → false; anything
/// else is 400 `invalid` with `"<what>: <value>"`.
pub(crate) fn parse_status(
    status: Option<&str>,
    what: &str,
) -> Result<Option<bool>, crate::error::ApiError> {
    match status {
        None => Ok(None),
        Some("active") => Ok(Some(true)),
        Some("inactive") => Ok(Some(false)),
        Some(other) => Err(errors::invalid(format!("{what}: {other}"))),
    }
}

/// Every v2 management route (not `/api/v2/write`, `/api/v2/query*`),
/// behind the authentication layer.
pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/api/v2", get(system::routes_index))
        .route("/api/v2/", get(system::routes_index))
        .route("/api/v2/health", get(crate::v1::health))
        .route("/api/v2/ready", get(system::ready))
        .route("/api/v2/config", get(system::config))
        .route(
            "/api/v2/setup",
            get(setup::get_setup).post(setup::post_setup),
        )
        .route("/api/v2/signin", post(users::signin))
        .route("/api/v2/signout", post(users::signout))
        .route("/api/v2/me", get(users::me))
        .route("/api/v2/me/password", put(users::me_password))
        .route("/api/v2/users", get(users::list).post(users::create))
        .route(
            "/api/v2/users/{id}",
            get(users::get_one)
                .patch(users::patch)
                .delete(users::delete),
        )
        .route(
            "/api/v2/users/{id}/password",
            post(users::set_password).put(users::set_password),
        )
        .route("/api/v2/orgs", get(orgs::list).post(orgs::create))
        .route(
            "/api/v2/orgs/{id}",
            get(orgs::get_one).patch(orgs::patch).delete(orgs::delete),
        )
        .route(
            "/api/v2/orgs/{id}/members",
            get(orgs::list_members).post(orgs::add_member),
        )
        .route(
            "/api/v2/orgs/{id}/members/{user}",
            axum::routing::delete(orgs::remove_member),
        )
        .route(
            "/api/v2/orgs/{id}/owners",
            get(orgs::list_owners).post(orgs::add_owner),
        )
        .route(
            "/api/v2/orgs/{id}/owners/{user}",
            axum::routing::delete(orgs::remove_owner),
        )
        .route("/api/v2/buckets", get(buckets::list).post(buckets::create))
        .route(
            "/api/v2/buckets/{id}",
            get(buckets::get_one)
                .patch(buckets::patch)
                .delete(buckets::delete),
        )
        .route(
            "/api/v2/buckets/{id}/members",
            get(buckets::list_members).post(buckets::change_role),
        )
        .route(
            "/api/v2/buckets/{id}/owners",
            get(buckets::list_owners).post(buckets::change_role),
        )
        .route(
            "/api/v2/buckets/{id}/members/{user}",
            axum::routing::delete(buckets::change_role),
        )
        .route(
            "/api/v2/buckets/{id}/owners/{user}",
            axum::routing::delete(buckets::change_role),
        )
        .route(
            "/api/v2/buckets/{id}/labels",
            get(buckets::list_labels).post(buckets::add_label),
        )
        .route(
            "/api/v2/buckets/{id}/labels/{label}",
            axum::routing::delete(buckets::remove_label),
        )
        .route("/api/v2/dbrps", get(dbrps::list).post(dbrps::create))
        .route(
            "/api/v2/dbrps/{id}",
            get(dbrps::get_one)
                .patch(dbrps::patch)
                .delete(dbrps::delete),
        )
        .route(
            "/api/v2/authorizations",
            get(authorizations::list).post(authorizations::create),
        )
        .route(
            "/api/v2/authorizations/{id}",
            get(authorizations::get_one)
                .patch(authorizations::patch)
                .delete(authorizations::delete),
        )
        .route("/api/v2/delete", post(delete::delete))
        .route("/api/v2/labels", get(labels::list).post(labels::create))
        .route(
            "/api/v2/labels/{id}",
            get(labels::get_one)
                .patch(labels::patch)
                .delete(labels::delete),
        )
        .route(
            "/api/v2/variables",
            get(variables::list).post(variables::create),
        )
        .route(
            "/api/v2/variables/{id}",
            get(variables::get_one)
                .patch(variables::patch)
                .put(variables::replace)
                .delete(variables::delete),
        )
        .route(
            "/api/v2/dashboards",
            get(dashboards::list).post(dashboards::create),
        )
        .route(
            "/api/v2/dashboards/{id}",
            get(dashboards::get_one)
                .patch(dashboards::patch)
                .delete(dashboards::delete),
        )
        .route(
            "/api/v2/dashboards/{id}/cells",
            post(dashboards::add_cell).put(dashboards::replace_cells),
        )
        .route(
            "/api/v2/dashboards/{id}/cells/{cell}",
            axum::routing::patch(dashboards::patch_cell).delete(dashboards::delete_cell),
        )
        .route(
            "/api/v2/dashboards/{id}/cells/{cell}/view",
            get(dashboards::get_view).patch(dashboards::patch_view),
        )
        .merge(labels::document_label_routes(
            "/api/v2/dashboards",
            dashboards::KIND,
            "dashboard",
        ))
        .route("/api/v2/tasks", get(tasks::list).post(tasks::create))
        .route(
            "/api/v2/tasks/{id}",
            get(tasks::get_one)
                .patch(tasks::patch)
                .delete(tasks::delete),
        )
        .route(
            "/api/v2/tasks/{id}/runs",
            get(tasks::list_runs).post(tasks::run_now),
        )
        .route(
            "/api/v2/tasks/{id}/runs/{run}",
            get(tasks::get_run).delete(tasks::cancel_run),
        )
        .route(
            "/api/v2/tasks/{id}/runs/{run}/retry",
            post(tasks::retry_run),
        )
        .route("/api/v2/tasks/{id}/runs/{run}/logs", get(tasks::run_logs))
        .route("/api/v2/tasks/{id}/logs", get(tasks::task_logs))
        .merge(labels::document_label_routes(
            "/api/v2/tasks",
            crate::tasks_runner::KIND,
            "task",
        ))
        .route(
            "/api/v2/tasks/{id}/owners",
            get(tasks::members).post(tasks::members),
        )
        .route(
            "/api/v2/tasks/{id}/members",
            get(tasks::members).post(tasks::members),
        )
        .merge(checks::routes())
        .merge(notification_endpoints::routes())
        .merge(notification_rules::routes())
        .layer(from_fn_with_state(state, token_auth::layer))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn paging_by_offset_and_after() {
        let items = || (0..5).map(|i| (format!("id{i}"), i)).collect::<Vec<_>>();
        let p = Paging::from_params(&params(&[("limit", "2")])).unwrap();
        assert_eq!(p.page(items()), (vec![0, 1], true));
        let links = p.links("/api/v2/buckets", &[("org", "a b")], true);
        assert_eq!(
            links["next"],
            "/api/v2/buckets?descending=false&limit=2&offset=2&org=a+b"
        );
        assert!(links.get("prev").is_none());
        let p = Paging::from_params(&params(&[("limit", "2"), ("offset", "4")])).unwrap();
        assert_eq!(p.page(items()), (vec![4], false));
        let p = Paging::from_params(&params(&[("after", "id1")])).unwrap();
        assert_eq!(p.page(items()), (vec![2, 3, 4], false));
        let p = Paging::from_params(&params(&[("descending", "true"), ("limit", "1")])).unwrap();
        assert_eq!(p.page(items()), (vec![4], true));
        assert!(Paging::from_params(&params(&[("limit", "0")])).is_err());
        assert!(Paging::from_params(&params(&[("limit", "101")])).is_err());
        assert!(Paging::from_params(&params(&[("offset", "x")])).is_err());
    }

    #[test]
    fn times_and_sessions() {
        assert_eq!(rfc3339(1_500_000_000), "1970-01-01T00:00:01.500Z");
        let rt = V2Runtime::default();
        let id = rt.open_session("ann").unwrap();
        assert_eq!(rt.session_user(&id).as_deref(), Some("ann"));
        rt.close_session(&id);
        assert_eq!(rt.session_user(&id), None);
    }
}

//! Who is calling, and what they may do: token, session and 1.x-credential
//! authentication for the v2 API, and permission checks per resource.
//!
//! Policy (docs/architecture.md, "v2 API"):
//! * Authentication is *required* once setup has run (an operator token
//!   exists), or when `--auth-enabled` is set and a 1.x admin exists.
//!   Otherwise every request is allowed, as the 1.x API with auth off and
//!   InfluxDB 1.8's `/api/v2/write` compatibility endpoint behave.
//! * Credentials: `Authorization: Token <token>` or `Bearer <token>` (a v2
//!   token; `Token user:password` and a JWT `Bearer` with a shared secret are
//!   1.x credentials), basic auth (a 1.x user, or any user with a token as
//!   password), or the `influxdb-oss-session` cookie from `/api/v2/signin`.
//! * A token has exactly its permissions. A signed-in (or 1.x) user has: all
//!   permissions if a 1.x admin; read+write on everything of orgs it owns,
//!   read on orgs it is a member of; read+write on its own user; and bucket
//!   permissions from its 1.x database privileges.

use std::sync::Arc;

use almanac_catalog::{
    bucket_id, operator_permissions, Action, AuthorizationDef, CatalogSnapshot, MemberRole,
    Permission, Privilege, Resource, UserDef, RESOURCE_TYPES,
};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::errors::{forbidden, not_found, unauthorized, v2};
use crate::error::ApiError;
use crate::AppState;

/// Name of the session cookie InfluxDB 2 sets at sign-in.
pub const SESSION_COOKIE: &str = "influxdb-oss-session";

/// The caller of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The user, when authenticated.
    pub user: Option<Arc<UserDef>>,
    /// The token used, when one was.
    pub auth: Option<Arc<AuthorizationDef>>,
    /// What the caller may do; `None` = everything (authentication not required).
    permissions: Option<Arc<Vec<Permission>>>,
    /// The session id, when signed in with a cookie.
    pub session: Option<String>,
}

impl Principal {
    /// A caller allowed everything (authentication is not required).
    pub fn open() -> Principal {
        Principal {
            user: None,
            auth: None,
            permissions: None,
            session: None,
        }
    }

    /// Whether authentication was skipped.
    pub fn is_open(&self) -> bool {
        self.permissions.is_none()
    }

    /// The caller's permissions (`None` = everything).
    pub fn permissions(&self) -> Option<&[Permission]> {
        self.permissions.as_deref().map(Vec::as_slice)
    }

    /// Whether the caller may do `action` on resource `kind`/`id` of org `org_id`.
    pub fn allows(
        &self,
        action: Action,
        kind: &str,
        org_id: Option<&str>,
        id: Option<&str>,
    ) -> bool {
        match &self.permissions {
            None => true,
            Some(perms) => perms.iter().any(|p| p.allows(action, kind, org_id, id)),
        }
    }

    /// Like [`Principal::allows`], answering 401 as InfluxDB does
    /// (`write:orgs/<org>/buckets/<id> is unauthorized`) when not allowed.
    pub fn require(
        &self,
        action: Action,
        kind: &str,
        org_id: Option<&str>,
        id: Option<&str>,
    ) -> Result<(), ApiError> {
        if self.allows(action, kind, org_id, id) {
            return Ok(());
        }
        let mut path = String::new();
        if let Some(org) = org_id.filter(|_| kind != "orgs") {
            path.push_str(&format!("orgs/{org}/"));
        }
        path.push_str(kind);
        if let Some(id) = id {
            path.push_str(&format!("/{id}"));
        }
        Err(v2(
            StatusCode::UNAUTHORIZED,
            format!("{action}:{path} is unauthorized"),
        ))
    }
}

/// Whether requests must authenticate (see the module docs).
pub fn auth_required(state: &AppState) -> bool {
    let catalog = state.storage.catalog();
    catalog.is_setup_done() || (state.config.auth_enabled && catalog.has_admin_user())
}

/// What a user may do without a token (see the module docs).
pub fn user_permissions(snap: &CatalogSnapshot, user: &UserDef) -> Vec<Permission> {
    if user.is_admin() {
        return operator_permissions();
    }
    let user_id = user.id();
    let mut perms = Vec::new();
    let scoped = |action, kind: &str, org_id: Option<&str>, id: Option<&str>| Permission {
        action,
        resource: Resource {
            kind: kind.to_string(),
            id: id.map(str::to_string),
            org_id: org_id.map(str::to_string),
            name: None,
            org: None,
        },
    };
    for ((org_id, member), role) in &snap.v2.members {
        if *member != user_id {
            continue;
        }
        perms.push(scoped(Action::Read, "orgs", None, Some(org_id)));
        for kind in RESOURCE_TYPES.iter().filter(|k| **k != "orgs") {
            perms.push(scoped(Action::Read, kind, Some(org_id), None));
            if *role == MemberRole::Owner {
                perms.push(scoped(Action::Write, kind, Some(org_id), None));
            }
        }
        if *role == MemberRole::Owner {
            perms.push(scoped(Action::Write, "orgs", None, Some(org_id)));
        }
    }
    perms.push(scoped(Action::Read, "users", None, Some(&user_id)));
    perms.push(scoped(Action::Write, "users", None, Some(&user_id)));
    for (db_name, privilege) in &user.privileges {
        let Some(db) = snap.databases.get(db_name) else {
            continue;
        };
        for rp in db.retention_policies.keys() {
            let id = bucket_id(db.id, rp);
            let org = snap.bucket_org_id(&id);
            if privilege.includes(Privilege::Read) && *privilege != Privilege::NoPrivileges {
                perms.push(scoped(Action::Read, "buckets", org.as_deref(), Some(&id)));
            }
            if privilege.includes(Privilege::Write) && *privilege != Privilege::NoPrivileges {
                perms.push(scoped(Action::Write, "buckets", org.as_deref(), Some(&id)));
            }
        }
    }
    perms
}

/// The principal of a token (`None` when unknown or inactive).
pub fn token_principal(state: &AppState, token: &str) -> Option<Principal> {
    let (auth, user) = state.storage.catalog().authenticate_token(token)?;
    Some(Principal {
        user: Some(user),
        permissions: Some(Arc::new(auth.permissions.clone())),
        auth: Some(auth),
        session: None,
    })
}

/// The principal of a signed-in or 1.x user.
pub fn user_principal(state: &AppState, user: Arc<UserDef>, session: Option<String>) -> Principal {
    let snap = state.storage.catalog().snapshot();
    let perms = user_permissions(&snap, &user);
    Principal {
        user: Some(user),
        auth: None,
        permissions: Some(Arc::new(perms)),
        session,
    }
}

/// Checks a user name and password against the 1.x user store (bcrypt off
/// the async workers); inactive users are refused.
pub async fn password_user(
    state: &AppState,
    username: &str,
    password: &str,
) -> Option<Arc<UserDef>> {
    let storage = state.storage.clone();
    let (u, p) = (username.to_string(), password.to_string());
    let user = tokio::task::spawn_blocking(move || storage.catalog().authenticate(&u, &p))
        .await
        .ok()?
        .ok()?;
    is_active(state, &user).then_some(user)
}

/// Whether `user` is not marked inactive.
fn is_active(state: &AppState, user: &UserDef) -> bool {
    !state
        .storage
        .catalog()
        .snapshot()
        .v2
        .inactive_users
        .contains(&user.id())
}

/// The value of cookie `name`.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Authenticates a request with whatever credentials it carries (tokens,
/// session cookie, basic auth, 1.x `Token user:password`), regardless of
/// whether authentication is required. `Ok(None)` = no credentials.
pub async fn credentials_principal(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Principal>, ApiError> {
    if let Some(header) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let (scheme, value) = header.split_once(' ').unwrap_or((header, ""));
        let value = value.trim();
        if scheme == "Token" || scheme == "Bearer" {
            if scheme == "Token" {
                if let Some((u, p)) = value.split_once(':') {
                    let user = password_user(state, u, p).await.ok_or_else(unauthorized)?;
                    return Ok(Some(user_principal(state, user, None)));
                }
            }
            if let Some(p) = token_principal(state, value) {
                return Ok(Some(p));
            }
            if scheme == "Bearer" && !state.config.shared_secret.is_empty() {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs() as i64)
                    .unwrap_or(0);
                if let Ok(name) =
                    crate::auth::verify_jwt(value, state.config.shared_secret.as_bytes(), now)
                {
                    if let Some(user) = state.storage.catalog().user(&name) {
                        if is_active(state, &user) {
                            return Ok(Some(user_principal(state, user, None)));
                        }
                    }
                }
            }
            return Err(unauthorized());
        }
        if scheme.eq_ignore_ascii_case("basic") {
            let (u, p) = decode_basic(value).ok_or_else(unauthorized)?;
            if let Some(user) = password_user(state, &u, &p).await {
                return Ok(Some(user_principal(state, user, None)));
            }
            return token_principal(state, &p)
                .map(Some)
                .ok_or_else(unauthorized);
        }
        return Err(unauthorized());
    }
    if let Some(id) = cookie(headers, SESSION_COOKIE) {
        let user = state
            .v2
            .session_user(&id)
            .and_then(|name| state.storage.catalog().user(&name))
            .filter(|user| is_active(state, user))
            .ok_or_else(unauthorized)?;
        return Ok(Some(user_principal(state, user, Some(id))));
    }
    Ok(None)
}

/// `user:password` of a basic-auth value.
fn decode_basic(value: &str) -> Option<(String, String)> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

/// Authenticates a v2 request: the open principal when authentication is
/// not required, else the caller (401 `unauthorized access` without valid
/// credentials).
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Principal, ApiError> {
    if !auth_required(state) {
        return Ok(Principal::open());
    }
    credentials_principal(state, headers)
        .await?
        .ok_or_else(unauthorized)
}

/// Routes that answer without credentials.
fn is_public(method: &axum::http::Method, path: &str) -> bool {
    let path = path.trim_end_matches('/');
    matches!(
        path,
        "/api/v2" | "/api/v2/health" | "/api/v2/ready" | "/api/v2/signin" | "/api/v2/signout"
    ) || (path == "/api/v2/setup"
        && (method == axum::http::Method::GET || method == axum::http::Method::POST))
}

/// Middleware of every v2 route: authenticates and stores the [`Principal`]
/// in the request's extensions (public routes get the open principal when
/// they carry no valid credentials).
pub async fn layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let principal = if is_public(req.method(), req.uri().path()) {
        match credentials_principal(&state, req.headers()).await {
            Ok(Some(p)) => p,
            _ => Principal::open(),
        }
    } else {
        match authenticate(&state, req.headers()).await {
            Ok(p) => p,
            Err(e) => return e.into_response(),
        }
    };
    req.extensions_mut().insert(principal);
    next.run(req).await
}

/// Resolves a bucket given by name or id, within the organization named
/// `org` or with id `org_id` when given, to its (database, retention policy).
///
/// Before any organization exists (no setup yet), `org`/`orgID` are ignored
/// as InfluxDB 1.8's compatibility API does. Errors: 404 `organization name
/// "<org>" not found`, `organization not found`, `bucket "<name>" not found`.
pub fn resolve_bucket(
    state: &AppState,
    org: Option<&str>,
    org_id: Option<&str>,
    bucket_or_id: &str,
) -> Result<(String, String), ApiError> {
    let snap = state.storage.catalog().snapshot();
    let org = resolve_org(&snap, org, org_id)?;
    let missing = || not_found(format!("bucket \"{bucket_or_id}\" not found"));
    let (db, rp) = snap
        .bucket(bucket_or_id)
        .or_else(|| snap.bucket_by_name(bucket_or_id))
        .ok_or_else(missing)?;
    if let Some(org) = org {
        if snap.bucket_org_id(&bucket_id(db.id, &rp)).as_deref() != Some(org.as_str()) {
            return Err(missing());
        }
    }
    Ok((db.name.clone(), rp))
}

/// The org id named by `org` / `org_id` (`None` when neither is given or
/// no organization exists yet).
pub fn resolve_org(
    snap: &CatalogSnapshot,
    org: Option<&str>,
    org_id: Option<&str>,
) -> Result<Option<String>, ApiError> {
    if snap.v2.orgs.is_empty() {
        return Ok(None);
    }
    if let Some(id) = org_id.filter(|s| !s.is_empty()) {
        return snap
            .v2
            .orgs
            .contains_key(id)
            .then(|| Some(id.to_string()))
            .ok_or_else(|| not_found("organization not found"));
    }
    if let Some(name) = org.filter(|s| !s.is_empty()) {
        if let Some(o) = snap.v2.org_by_name(name) {
            return Ok(Some(o.id.clone()));
        }
        // Clients may pass an org id where a name is expected.
        if snap.v2.orgs.contains_key(name) {
            return Ok(Some(name.to_string()));
        }
        return Err(not_found(format!("organization name \"{name}\" not found")));
    }
    Ok(None)
}

/// Authenticates the request (as [`authenticate`]) and checks that it may
/// do `action` on bucket (`db`, `rp`): 403 `insufficient permissions for
/// read|write` otherwise, as InfluxDB 2's write and query endpoints answer.
pub async fn require_bucket_permission(
    state: &AppState,
    headers: &HeaderMap,
    bucket: (&str, &str),
    action: Action,
) -> Result<Principal, ApiError> {
    let principal = authenticate(state, headers).await?;
    check_bucket(state, &principal, bucket, action)?;
    Ok(principal)
}

/// The permission check of [`require_bucket_permission`] for a known principal.
pub fn check_bucket(
    state: &AppState,
    principal: &Principal,
    (db, rp): (&str, &str),
    action: Action,
) -> Result<(), ApiError> {
    if principal.is_open() {
        return Ok(());
    }
    let snap = state.storage.catalog().snapshot();
    let id = snap
        .databases
        .get(db)
        .map(|d| bucket_id(d.id, rp))
        .ok_or_else(|| not_found(format!("bucket \"{db}/{rp}\" not found")))?;
    let org = snap.bucket_org_id(&id);
    if principal.allows(action, "buckets", org.as_deref(), Some(&id)) {
        Ok(())
    } else {
        Err(forbidden(format!("insufficient permissions for {action}")))
    }
}

/// A 1.x view of a token, for `/write` and `/query` with auth enabled: a
/// user (the token's owner) whose privileges are the token's bucket
/// permissions per database (read/write on any bucket of a database gives
/// READ/WRITE on it), admin when the token may write every bucket and user.
pub fn v1_user_for_token(state: &AppState, token: &str) -> Option<Arc<UserDef>> {
    let (auth, user) = state.storage.catalog().authenticate_token(token)?;
    let snap = state.storage.catalog().snapshot();
    let mut v1 = UserDef::clone(&user);
    v1.admin = auth.allows(Action::Write, "buckets", Some("*any*"), Some("*any*"))
        && auth.allows(Action::Write, "users", None, Some("*any*"));
    v1.privileges.clear();
    for db in snap.databases.values() {
        let mut bits = 0u8;
        for rp in db.retention_policies.keys() {
            let id = bucket_id(db.id, rp);
            let org = snap.bucket_org_id(&id);
            if auth.allows(Action::Read, "buckets", org.as_deref(), Some(&id)) {
                bits |= Privilege::Read.bits();
            }
            if auth.allows(Action::Write, "buckets", org.as_deref(), Some(&id)) {
                bits |= Privilege::Write.bits();
            }
        }
        if bits != 0 {
            v1.privileges
                .insert(db.name.clone(), Privilege::from_bits(bits));
        }
    }
    Some(Arc::new(v1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn perm(action: Action, kind: &str, org: Option<&str>, id: Option<&str>) -> Permission {
        Permission {
            action,
            resource: Resource {
                kind: kind.into(),
                id: id.map(Into::into),
                org_id: org.map(Into::into),
                name: None,
                org: None,
            },
        }
    }

    fn principal(perms: Vec<Permission>) -> Principal {
        Principal {
            user: None,
            auth: None,
            permissions: Some(Arc::new(perms)),
            session: None,
        }
    }

    #[test]
    fn permissions_scope_by_org_and_id() {
        let p = principal(vec![
            perm(Action::Read, "buckets", Some("o1"), Some("b1")),
            perm(Action::Write, "buckets", Some("o1"), None),
            perm(Action::Read, "orgs", None, Some("o1")),
        ]);
        assert!(p.allows(Action::Read, "buckets", Some("o1"), Some("b1")));
        assert!(!p.allows(Action::Read, "buckets", Some("o1"), Some("b2")));
        assert!(!p.allows(Action::Read, "buckets", Some("o2"), Some("b1")));
        assert!(p.allows(Action::Write, "buckets", Some("o1"), Some("b9")));
        assert!(p.allows(Action::Write, "buckets", Some("o1"), None));
        assert!(!p.allows(Action::Write, "buckets", None, None));
        assert!(p.allows(Action::Read, "orgs", None, Some("o1")));
        assert!(!p.allows(Action::Write, "orgs", None, Some("o1")));
        assert!(Principal::open().allows(Action::Write, "users", None, None));
        let err = p
            .require(Action::Read, "buckets", Some("o2"), Some("b1"))
            .unwrap_err();
        assert_eq!(err.status, StatusCode::UNAUTHORIZED);
        assert_eq!(err.message, "read:orgs/o2/buckets/b1 is unauthorized");
        let err = p
            .require(Action::Write, "orgs", None, Some("o1"))
            .unwrap_err();
        assert_eq!(err.message, "write:orgs/o1 is unauthorized");
    }

    #[test]
    fn operator_permissions_allow_everything() {
        let p = principal(operator_permissions());
        for kind in RESOURCE_TYPES {
            assert!(
                p.allows(Action::Write, kind, Some("x"), Some("y")),
                "{kind}"
            );
        }
    }

    #[test]
    fn session_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            axum::http::header::COOKIE,
            "a=1; influxdb-oss-session=abc==; b=2"
                .parse()
                .expect("header"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE).as_deref(), Some("abc=="));
        assert_eq!(cookie(&headers, "c"), None);
        assert_eq!(
            decode_basic("YW5uOnB3OmQ="),
            Some(("ann".into(), "pw:d".into()))
        );
    }
}

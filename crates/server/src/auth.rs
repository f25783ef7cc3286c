//! Authentication and authorization of HTTP requests, as InfluxDB 1.x does
//! it when `auth-enabled` is set.
//!
//! Credentials come, in this order of precedence, from the `u`/`p`
//! parameters (URL, or a form body), an `Authorization: Bearer <JWT>`
//! header (HMAC-signed with the shared secret, claims `username` and
//! `exp`), an `Authorization: Token user:password` header (1.8 style) or
//! basic auth. InfluxDB 2.x API tokens are accepted too (`Token <token>`,
//! `Bearer <token>`, or as the password), with the token's bucket
//! permissions as database privileges (`v2::token_auth::v1_user_for_token`). Authentication is skipped while no admin user exists; then
//! InfluxDB's bootstrap rule applies: with no users at all, only a query
//! that starts with `CREATE USER ... WITH ALL PRIVILEGES` may run.
//!
//! Failures answer 401 with InfluxDB's messages (`unable to parse
//! authentication credentials`, `authorization failed`, the JWT errors);
//! statements and writes the user may not run answer 403.

use std::collections::HashMap;
use std::sync::Arc;

use almanac_catalog::{Privilege, UserDef};
use almanac_influxql::Query;
use almanac_influxql_exec::users::authorize_query;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use serde_json::Value;

use crate::error::ApiError;
use crate::AppState;

/// Credentials found in a request.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// A user name and password (`u`/`p`, basic auth, `Token user:pass`).
    User {
        /// User name.
        username: String,
        /// Password.
        password: String,
    },
    /// A JWT from `Authorization: Bearer` (or a v2 API token).
    Bearer(String),
    /// A v2 API token from `Authorization: Token <token>`.
    ApiToken(String),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::User { username, .. } => f
                .debug_struct("User")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            Credentials::Bearer(_) => f.write_str("Bearer(<redacted>)"),
            Credentials::ApiToken(_) => f.write_str("ApiToken(<redacted>)"),
        }
    }
}

/// Why a request could not be authenticated; the message is InfluxDB's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No usable credentials in the request.
    #[error("unable to parse authentication credentials")]
    Unparsable,
    /// An empty user name.
    #[error("username required")]
    UsernameRequired,
    /// Unknown user or wrong password.
    #[error("authorization failed")]
    Failed,
    /// A bearer token while no shared secret is configured.
    #[error("bearer auth disabled")]
    BearerDisabled,
    /// The JWT was rejected (the message of the check that failed).
    #[error("{0}")]
    Token(String),
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> ApiError {
        ApiError::v1(StatusCode::UNAUTHORIZED, e.to_string())
    }
}

/// Finds the credentials of a request (`params`: URL and form parameters).
pub fn parse_credentials(
    params: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<Credentials, AuthError> {
    if let (Some(u), Some(p)) = (params.get("u"), params.get("p")) {
        if !u.is_empty() && !p.is_empty() {
            return Ok(Credentials::User {
                username: u.clone(),
                password: p.clone(),
            });
        }
    }
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(AuthError::Unparsable)?;
    let words: Vec<&str> = header.split(' ').collect();
    if let [scheme, value] = words.as_slice() {
        match *scheme {
            "Bearer" => return Ok(Credentials::Bearer(value.to_string())),
            "Token" => {
                if let Some((u, p)) = value.split_once(':') {
                    return Ok(Credentials::User {
                        username: u.to_string(),
                        password: p.to_string(),
                    });
                }
                if !value.is_empty() {
                    return Ok(Credentials::ApiToken(value.to_string()));
                }
            }
            _ => {}
        }
    }
    basic_auth(header).ok_or(AuthError::Unparsable)
}

/// `Basic base64(user:password)` (scheme name case-insensitive).
fn basic_auth(header: &str) -> Option<Credentials> {
    let (scheme, encoded) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = decode_base64(encoded.as_bytes(), Alphabet::Standard).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (u, p) = text.split_once(':')?;
    Some(Credentials::User {
        username: u.to_string(),
        password: p.to_string(),
    })
}

/// Authenticates a request: `None` when authentication is disabled or no
/// admin user exists yet (InfluxDB then skips it), else the user.
pub async fn authenticate(
    state: &AppState,
    params: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<Option<Arc<UserDef>>, ApiError> {
    if !state.config.auth_enabled {
        return Ok(None);
    }
    let catalog = state.storage.catalog();
    if !catalog.has_admin_user() {
        return Ok(None);
    }
    match parse_credentials(params, headers)? {
        Credentials::User { username, password } => {
            if username.is_empty() {
                return Err(AuthError::UsernameRequired.into());
            }
            // bcrypt is slow on purpose: keep it off the async workers.
            let storage = state.storage.clone();
            let checked = password.clone();
            let user = tokio::task::spawn_blocking(move || {
                storage.catalog().authenticate(&username, &checked)
            })
            .await
            .map_err(|e| ApiError::internal(e.to_string()))?;
            match user {
                Ok(user) => Ok(Some(user)),
                // As InfluxDB 2's 1.x compatibility: a v2 token as password.
                Err(_) => crate::v2::token_auth::v1_user_for_token(state, &password)
                    .map(Some)
                    .ok_or_else(|| AuthError::Failed.into()),
            }
        }
        Credentials::ApiToken(token) => crate::v2::token_auth::v1_user_for_token(state, &token)
            .map(Some)
            .ok_or_else(|| AuthError::Failed.into()),
        Credentials::Bearer(token) => {
            if let Some(user) = crate::v2::token_auth::v1_user_for_token(state, &token) {
                return Ok(Some(user));
            }
            let secret = &state.config.shared_secret;
            if secret.is_empty() {
                return Err(AuthError::BearerDisabled.into());
            }
            let username = verify_jwt(&token, secret.as_bytes(), unix_now())?;
            catalog
                .user(&username)
                .map(Some)
                .ok_or_else(|| AuthError::Token("user not found".into()).into())
        }
    }
}

/// Checks every statement of `query` before any runs (403 with
/// `error authorizing query: ...` otherwise). Nothing to check when
/// authentication is disabled.
pub fn authorize(
    state: &AppState,
    user: Option<&UserDef>,
    query: &Query,
    db: Option<&str>,
) -> Result<(), ApiError> {
    if !state.config.auth_enabled {
        return Ok(());
    }
    let user_count = state.storage.catalog().snapshot().users.len();
    authorize_query(user, user_count, query, db)
        .map_err(|e| ApiError::v1(StatusCode::FORBIDDEN, e.message()))
}

/// Checks that `user` may write to `db` (403 otherwise); a missing
/// database answers 404 first, as InfluxDB does. Nothing to check when
/// authentication is disabled.
pub fn authorize_write(state: &AppState, user: Option<&UserDef>, db: &str) -> Result<(), ApiError> {
    if !state.config.auth_enabled {
        return Ok(());
    }
    if state.storage.catalog().database(db).is_none() {
        return Err(ApiError::v1(
            StatusCode::NOT_FOUND,
            format!("database not found: {}", go_quote(db)),
        ));
    }
    match user {
        None => Err(ApiError::v1(
            StatusCode::FORBIDDEN,
            format!("user is required to write to database {}", go_quote(db)),
        )),
        Some(u) if !u.authorize(db, Privilege::Write) => Err(ApiError::v1(
            StatusCode::FORBIDDEN,
            format!(
                "{} user is not authorized to write to database {}",
                go_quote(&u.name),
                go_quote(db)
            ),
        )),
        Some(_) => Ok(()),
    }
}

/// What a route guarded by [`require_write`], [`require_read`] or
/// [`require_admin`] needs from the user (checked only with auth enabled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    /// WRITE on the `db` parameter (Prometheus remote write).
    Write,
    /// READ on the `db` parameter (Prometheus remote read).
    Read,
    /// A cluster admin (the SQL endpoint, whose database may come in the body).
    Admin,
}

/// Middleware: authenticates the request and requires WRITE on `db`.
pub async fn require_write(State(state): State<AppState>, req: Request, next: Next) -> Response {
    guard(state, Need::Write, req, next).await
}

/// Middleware: authenticates the request and requires READ on `db`.
pub async fn require_read(State(state): State<AppState>, req: Request, next: Next) -> Response {
    guard(state, Need::Read, req, next).await
}

/// Middleware: authenticates the request and requires an admin user.
pub async fn require_admin(State(state): State<AppState>, req: Request, next: Next) -> Response {
    guard(state, Need::Admin, req, next).await
}

async fn guard(state: AppState, need: Need, req: Request, next: Next) -> Response {
    if !state.config.auth_enabled {
        return next.run(req).await;
    }
    let params: HashMap<String, String> = req
        .uri()
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let user = match authenticate(&state, &params, req.headers()).await {
        Ok(user) => user,
        Err(e) => return e.into_response(),
    };
    let db = params.get("db").map(String::as_str).unwrap_or("");
    let forbidden = |m: String| ApiError::v1(StatusCode::FORBIDDEN, m).into_response();
    match need {
        // Without a database the handler answers 400 and touches nothing.
        Need::Write if db.is_empty() => {}
        Need::Write => {
            if let Err(e) = authorize_write(&state, user.as_deref(), db) {
                return e.into_response();
            }
        }
        Need::Read => match user.as_deref() {
            None => {
                return forbidden(format!(
                    "user is required to read from database {}",
                    go_quote(db)
                ))
            }
            Some(u) if !u.authorize(db, Privilege::Read) => {
                return forbidden(format!(
                    "user {} is not authorized to read from database {}",
                    go_quote(&u.name),
                    go_quote(db)
                ))
            }
            Some(_) => {}
        },
        Need::Admin => match user.as_deref() {
            Some(u) if u.is_admin() => {}
            Some(u) => {
                return forbidden(format!(
                    "error authorizing query: {} not authorized to execute SQL queries, requires admin privilege",
                    u.name
                ))
            }
            None => return forbidden("error authorizing query: no user provided".into()),
        },
    }
    next.run(req).await
}

/// A string quoted as Go's `%q` does for printable text.
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[derive(Clone, Copy)]
enum Alphabet {
    Standard,
    Url,
}

/// Base64 decoding with Go's error text: missing padding is added first
/// (as JWT segments need), and the error names the offset of the first
/// bad byte (`illegal base64 data at input byte N`).
fn decode_base64(input: &[u8], alphabet: Alphabet) -> Result<Vec<u8>, String> {
    let value = |c: u8| -> Option<u32> {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' if matches!(alphabet, Alphabet::Standard) => 62,
            b'/' if matches!(alphabet, Alphabet::Standard) => 63,
            b'-' if matches!(alphabet, Alphabet::Url) => 62,
            b'_' if matches!(alphabet, Alphabet::Url) => 63,
            _ => return None,
        };
        Some(u32::from(v))
    };
    let illegal = |at: usize| format!("illegal base64 data at input byte {at}");
    // Data ends at the first '=' (only padding may follow).
    let end = input.iter().position(|&c| c == b'=').unwrap_or(input.len());
    let padded_len = match alphabet {
        // JWT segments come unpadded; jwt-go pads them before decoding.
        Alphabet::Url => end.div_ceil(4) * 4,
        Alphabet::Standard => input.len(),
    };
    if let Some(i) = input[end..].iter().position(|&c| c != b'=') {
        return Err(illegal(end + i));
    }
    if matches!(alphabet, Alphabet::Standard) && !input.len().is_multiple_of(4) {
        return Err(illegal(input.len() - input.len() % 4));
    }
    let mut out = Vec::with_capacity(end * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for (i, &c) in input[..end].iter().enumerate() {
        let v = value(c).ok_or_else(|| illegal(i))?;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    match end % 4 {
        // One character cannot encode a byte: Go reports the padding after it.
        1 => Err(illegal(end)),
        _ if padded_len - end > 2 => Err(illegal(end)),
        _ => Ok(out),
    }
}

/// Validates a JWT as InfluxDB 1.x does (jwt-go's checks, then InfluxDB's
/// own) and returns its `username`. `now` is in seconds since the epoch.
pub fn verify_jwt(token: &str, secret: &[u8], now: i64) -> Result<String, AuthError> {
    let err = |m: &str| AuthError::Token(m.to_string());
    let parts: Vec<&str> = token.split('.').collect();
    let [head, body, signature] = parts.as_slice() else {
        return Err(err("token contains an invalid number of segments"));
    };
    let header: Value = serde_json::from_slice(
        &decode_base64(head.as_bytes(), Alphabet::Url).map_err(AuthError::Token)?,
    )
    .map_err(|e| AuthError::Token(e.to_string()))?;
    let claims: Value = serde_json::from_slice(
        &decode_base64(body.as_bytes(), Alphabet::Url).map_err(AuthError::Token)?,
    )
    .map_err(|e| AuthError::Token(e.to_string()))?;
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let known_other = matches!(
        alg,
        "none"
            | "RS256"
            | "RS384"
            | "RS512"
            | "ES256"
            | "ES384"
            | "ES512"
            | "PS256"
            | "PS384"
            | "PS512"
    );
    if !matches!(alg, "HS256" | "HS384" | "HS512") {
        return Err(if known_other {
            AuthError::Token(format!("unexpected signing method: {alg}"))
        } else {
            err("signing method (alg) is unavailable.")
        });
    }
    // Registered claims, in jwt-go's order; a later failure replaces an earlier one.
    let mut failure: Option<&str> = None;
    let number = |name: &str| claims.get(name).and_then(Value::as_f64);
    if let Some(exp) = number("exp") {
        if exp as i64 != 0 && now > exp as i64 {
            failure = Some("Token is expired");
        }
    }
    if let Some(iat) = number("iat") {
        if iat as i64 != 0 && now < iat as i64 {
            failure = Some("Token used before issued");
        }
    }
    if let Some(nbf) = number("nbf") {
        if nbf as i64 != 0 && now < nbf as i64 {
            failure = Some("Token is not valid yet");
        }
    }
    let signed = format!("{head}.{body}");
    let sig = decode_base64(signature.as_bytes(), Alphabet::Url).map_err(AuthError::Token)?;
    if !hmac_ok(alg, secret, signed.as_bytes(), &sig) {
        return Err(err("signature is invalid"));
    }
    if let Some(m) = failure {
        return Err(err(m));
    }
    match number("exp") {
        Some(exp) if exp > 0.0 => {}
        _ => return Err(err("token expiration required")),
    }
    match claims.get("username").and_then(Value::as_str) {
        None => Err(err("username in token must be a string")),
        Some("") => Err(err("token must contain a username")),
        Some(u) => Ok(u.to_string()),
    }
}

/// Constant-time check of an HMAC signature (`HS256`, `HS384`, else `HS512`).
fn hmac_ok(alg: &str, secret: &[u8], data: &[u8], sig: &[u8]) -> bool {
    macro_rules! check {
        ($digest:ty) => {
            match Hmac::<$digest>::new_from_slice(secret) {
                Ok(mut mac) => {
                    mac.update(data);
                    mac.verify_slice(sig).is_ok()
                }
                Err(_) => false,
            }
        };
    }
    match alg {
        "HS256" => check!(sha2::Sha256),
        "HS384" => check!(sha2::Sha384),
        _ => check!(sha2::Sha512),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn b64url(data: &[u8]) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in data.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
            for i in 0..=chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }

    fn jwt(header: &str, claims: &str, secret: &[u8]) -> String {
        let signed = format!(
            "{}.{}",
            b64url(header.as_bytes()),
            b64url(claims.as_bytes())
        );
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).expect("any key size");
        mac.update(signed.as_bytes());
        format!("{signed}.{}", b64url(&mac.finalize().into_bytes()))
    }

    const HS: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

    fn msg(r: Result<String, AuthError>) -> String {
        match r {
            Ok(u) => format!("ok {u}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn jwt_checks_match_influxd() {
        let s = b"s3cr3t";
        let now = 1_000_000;
        let ok = jwt(HS, r#"{"username":"bob","exp":1000100}"#, s);
        assert_eq!(msg(verify_jwt(&ok, s, now)), "ok bob");
        assert_eq!(msg(verify_jwt(&ok, b"other", now)), "signature is invalid");
        let expired = jwt(HS, r#"{"username":"bob","exp":999999}"#, s);
        assert_eq!(msg(verify_jwt(&expired, s, now)), "Token is expired");
        assert_eq!(
            msg(verify_jwt(&expired, b"other", now)),
            "signature is invalid"
        );
        let no_exp = jwt(HS, r#"{"username":"bob"}"#, s);
        assert_eq!(
            msg(verify_jwt(&no_exp, s, now)),
            "token expiration required"
        );
        let str_exp = jwt(HS, r#"{"username":"bob","exp":"abc"}"#, s);
        assert_eq!(
            msg(verify_jwt(&str_exp, s, now)),
            "token expiration required"
        );
        let no_user = jwt(HS, r#"{"exp":1000100}"#, s);
        assert_eq!(
            msg(verify_jwt(&no_user, s, now)),
            "username in token must be a string"
        );
        let empty_user = jwt(HS, r#"{"username":"","exp":1000100}"#, s);
        assert_eq!(
            msg(verify_jwt(&empty_user, s, now)),
            "token must contain a username"
        );
        assert_eq!(
            msg(verify_jwt("xyz", s, now)),
            "token contains an invalid number of segments"
        );
        assert_eq!(
            msg(verify_jwt("a.b.c", s, now)),
            "illegal base64 data at input byte 1"
        );
        let none = format!(
            "{}.{}.",
            b64url(br#"{"alg":"none"}"#),
            b64url(br#"{"username":"admin","exp":1000100}"#)
        );
        assert_eq!(
            msg(verify_jwt(&none, s, now)),
            "unexpected signing method: none"
        );
    }

    #[test]
    fn credentials_in_influxd_precedence() {
        let mut params = HashMap::new();
        let mut headers = HeaderMap::new();
        assert_eq!(
            parse_credentials(&params, &headers),
            Err(AuthError::Unparsable)
        );
        headers.insert(
            "authorization",
            HeaderValue::from_static("Basic Ym9iOmJwdzp4"),
        );
        assert_eq!(
            parse_credentials(&params, &headers),
            Ok(Credentials::User {
                username: "bob".into(),
                password: "bpw:x".into()
            })
        );
        headers.insert("authorization", HeaderValue::from_static("Basic Ym9iYnB3"));
        assert_eq!(
            parse_credentials(&params, &headers),
            Err(AuthError::Unparsable)
        );
        headers.insert("authorization", HeaderValue::from_static("Token bob:pw"));
        assert_eq!(
            parse_credentials(&params, &headers),
            Ok(Credentials::User {
                username: "bob".into(),
                password: "pw".into()
            })
        );
        headers.insert("authorization", HeaderValue::from_static("Bearer abc"));
        assert_eq!(
            parse_credentials(&params, &headers),
            Ok(Credentials::Bearer("abc".into()))
        );
        headers.insert("authorization", HeaderValue::from_static("bearer abc"));
        assert_eq!(
            parse_credentials(&params, &headers),
            Err(AuthError::Unparsable)
        );
        params.insert("u".to_string(), "carl".to_string());
        assert_eq!(
            parse_credentials(&params, &headers),
            Err(AuthError::Unparsable)
        );
        params.insert("p".to_string(), "cpw".to_string());
        assert_eq!(
            parse_credentials(&params, &headers),
            Ok(Credentials::User {
                username: "carl".into(),
                password: "cpw".into()
            })
        );
    }

    #[test]
    fn go_quoting() {
        assert_eq!(go_quote("db1"), "\"db1\"");
        assert_eq!(go_quote("a\"b\\"), "\"a\\\"b\\\\\"");
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_tokens_never_panic(token in ".{0,120}", secret in proptest::collection::vec(0u8..=255, 0..40)) {
            let _ = verify_jwt(&token, &secret, 0);
        }

        #[test]
        fn arbitrary_headers_never_panic(header in "[ -~]{0,80}") {
            let mut headers = HeaderMap::new();
            if let Ok(v) = HeaderValue::from_str(&header) {
                headers.insert("authorization", v);
            }
            let _ = parse_credentials(&HashMap::new(), &headers);
        }

        #[test]
        fn base64_roundtrip(data in proptest::collection::vec(0u8..=255, 0..64)) {
            let encoded = b64url(&data);
            proptest::prop_assert_eq!(decode_base64(encoded.as_bytes(), Alphabet::Url), Ok(data));
        }
    }
}

//! The web UI: the built assets of `ui/` (`ui/dist`, checked in) embedded in
//! the binary and served at `/`.
//!
//! [`serve`] is the router's fallback, so it only sees paths no API route
//! matched. It answers an embedded file when one has that path, the SPA's
//! `index.html` for the UI's own routes ([`UI_ROUTES`], read from
//! `ui/routes.json`: `/explorer`, `/dashboards/…`), and an empty 404 —
//! exactly what the server answered before the UI existed — for everything
//! else (API prefixes, unknown paths, missing files).
//!
//! Hashed files under `/assets/` are cached for a year; `index.html` is
//! revalidated with its ETag. Text assets are gzip-compressed once, on first
//! request, when the client accepts gzip.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, LazyLock};

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use parking_lot::Mutex;
use rust_embed::RustEmbed;

/// The built UI (`ui/dist`, produced by `scripts/build-ui`).
#[derive(RustEmbed)]
#[folder = "../../ui/dist/"]
struct Assets;

/// Path prefixes owned by the APIs: never answered with the UI.
const API_PREFIXES: &[&str] = &[
    "/api/",
    "/api",
    "/debug",
    "/query",
    "/write",
    "/ping",
    "/health",
    "/metrics",
    "/kapacitor",
    "/chronograf",
];

/// Whether `path` belongs to an API (so a miss stays a plain 404).
pub fn is_api_path(path: &str) -> bool {
    API_PREFIXES.iter().any(|p| {
        path == *p
            || path
                .strip_prefix(p)
                .is_some_and(|rest| p.ends_with('/') || rest.starts_with('/'))
    })
}

/// The UI's route list, shared with `ui/src/App.tsx` (its navigation).
const ROUTES_JSON: &str = include_str!("../../../ui/routes.json");

#[derive(serde::Deserialize)]
struct RouteList {
    routes: Vec<RouteEntry>,
}

#[derive(serde::Deserialize)]
struct RouteEntry {
    path: String,
}

/// First path segments of the UI's own (client-side) routes, read from
/// `ui/routes.json` (the list `ui/src/App.tsx` builds its navigation from);
/// `/` is one too. A malformed file leaves only `/` (a unit test catches it).
pub static UI_ROUTES: LazyLock<Vec<String>> = LazyLock::new(|| {
    serde_json::from_str::<RouteList>(ROUTES_JSON)
        .map(|l| {
            l.routes
                .into_iter()
                .filter_map(|r| {
                    let seg = r
                        .path
                        .trim_start_matches('/')
                        .split('/')
                        .next()?
                        .to_string();
                    (!seg.is_empty()).then_some(seg)
                })
                .collect()
        })
        .unwrap_or_default()
});

/// Which embedded file answers `path`: the file itself, or `index.html` for
/// `/` and the UI's routes; `None` for API paths and everything else.
pub fn resolve(path: &str) -> Option<Cow<'static, str>> {
    if is_api_path(path) {
        return None;
    }
    let rel = path.trim_start_matches('/');
    if rel.is_empty() {
        return Some(Cow::Borrowed("index.html"));
    }
    if rel.split('/').any(|seg| seg == ".." || seg == ".") {
        return None;
    }
    if Assets::get(rel).is_some() {
        return Some(Cow::Owned(rel.to_string()));
    }
    let first = rel.split('/').next().unwrap_or(rel);
    UI_ROUTES
        .iter()
        .any(|r| r == first)
        .then_some(Cow::Borrowed("index.html"))
}

/// Gzipped copies of text assets, made on first request.
static GZIPPED: Mutex<Option<HashMap<String, Arc<Vec<u8>>>>> = Mutex::new(None);

fn gzipped(name: &str, data: &[u8]) -> Arc<Vec<u8>> {
    if let Some(hit) = GZIPPED.lock().as_ref().and_then(|m| m.get(name)) {
        return hit.clone();
    }
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(data);
    let out = Arc::new(enc.finish().unwrap_or_default());
    GZIPPED
        .lock()
        .get_or_insert_with(HashMap::new)
        .insert(name.to_string(), out.clone());
    out
}

fn compressible(mime: &str) -> bool {
    mime.starts_with("text/")
        || mime.contains("javascript")
        || mime.contains("json")
        || mime.contains("svg")
}

fn not_found() -> Response {
    StatusCode::NOT_FOUND.into_response()
}

/// The router's fallback: embedded files, the SPA's routes, else 404.
pub async fn serve(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return not_found();
    }
    let Some(name) = resolve(uri.path()) else {
        return not_found();
    };
    let Some(file) = Assets::get(&name) else {
        // A clone whose ui/dist lacks index.html (built without the UI).
        return not_found();
    };
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()[..16]));
    let mime = mime_guess::from_path(name.as_ref())
        .first_or_octet_stream()
        .to_string();
    let cache = if name.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut builder = Response::builder()
        .header(header::CONTENT_TYPE, &mime)
        .header(header::CACHE_CONTROL, cache)
        .header(header::ETAG, &etag)
        .header(header::VARY, "Accept-Encoding");
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        return builder
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .unwrap_or_else(|_| not_found());
    }
    let body: Vec<u8> =
        if crate::body::accepts_gzip(&headers) && compressible(&mime) && file.data.len() > 512 {
            builder = builder.header(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            gzipped(&name, &file.data).as_ref().clone()
        } else {
            file.data.into_owned()
        };
    let body = if method == Method::HEAD {
        builder = builder.header(header::CONTENT_LENGTH, body.len());
        Body::empty()
    } else {
        Body::from(body)
    };
    builder.body(body).unwrap_or_else(|_| not_found())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_paths_are_never_the_ui() {
        for p in [
            "/api/v2/nope",
            "/api",
            "/query",
            "/query/x",
            "/write",
            "/ping",
            "/health",
            "/metrics",
            "/debug/vars",
            "/debug/pprof/heap",
            "/kapacitor/v1/tasks",
            "/chronograf/v1/dashboards",
        ] {
            assert!(is_api_path(p), "{p}");
            assert_eq!(resolve(p), None, "{p}");
        }
        for p in [
            "/",
            "/explorer",
            "/queryx",
            "/dashboards/12",
            "/admin/users",
        ] {
            assert!(!is_api_path(p), "{p}");
        }
    }

    fn get(path: &str, headers: &[(header::HeaderName, &str)]) -> (Method, Uri, HeaderMap) {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(k.clone(), HeaderValue::from_str(v).unwrap());
        }
        (Method::GET, path.parse().unwrap(), map)
    }

    async fn body(r: Response) -> Vec<u8> {
        axum::body::to_bytes(r.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec()
    }

    #[tokio::test]
    async fn serves_index_with_etag_and_revalidation() {
        let (m, u, h) = get("/dashboards/1", &[]);
        let r = serve(m, u, h).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "text/html");
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-cache");
        let etag = r.headers()[header::ETAG].to_str().unwrap().to_string();
        let html = String::from_utf8(body(r).await).unwrap();
        assert!(html.contains("<div id=\"app\">"), "{html}");
        let (m, u, h) = get("/", &[(header::IF_NONE_MATCH, &etag)]);
        let r = serve(m, u, h).await;
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
        assert!(body(r).await.is_empty());
    }

    #[tokio::test]
    async fn gzips_hashed_assets_for_clients_that_accept_it() {
        let js = Assets::iter()
            .find(|f| f.starts_with("assets/") && f.ends_with(".js"))
            .expect("ui/dist has a script");
        let plain = Assets::get(&js).unwrap().data.into_owned();
        let (m, u, h) = get(&format!("/{js}"), &[(header::ACCEPT_ENCODING, "br, gzip")]);
        let r = serve(m, u, h).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CONTENT_ENCODING], "gzip");
        assert!(r.headers()[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable"));
        let zipped = body(r).await;
        assert!(zipped.len() < plain.len());
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&zipped[..]), &mut out)
            .unwrap();
        assert_eq!(out, plain);
        let (m, u, h) = get(&format!("/{js}"), &[]);
        let r = serve(m, u, h).await;
        assert!(r.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(body(r).await, plain);
    }

    #[tokio::test]
    async fn api_paths_and_other_methods_stay_404() {
        for path in ["/api/v2/nope", "/debug/pprof", "/missing.png"] {
            let (m, u, h) = get(path, &[]);
            let r = serve(m, u, h).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
            assert!(body(r).await.is_empty());
        }
        let r = serve(Method::POST, "/".parse().unwrap(), HeaderMap::new()).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }

    #[test]
    fn route_list_is_read_from_routes_json() {
        let segs: Vec<&str> = UI_ROUTES.iter().map(String::as_str).collect();
        for seg in [
            "explorer",
            "dashboards",
            "hosts",
            "logs",
            "alerting",
            "admin",
        ] {
            assert!(segs.contains(&seg), "{seg} missing from {segs:?}");
        }
        for seg in &segs {
            assert!(!is_api_path(&format!("/{seg}")), "{seg} is an API path");
        }
    }

    #[test]
    fn ui_routes_fall_back_to_index() {
        assert_eq!(resolve("/alerting/rules/x").as_deref(), Some("index.html"));
        assert_eq!(resolve("/").as_deref(), Some("index.html"));
        assert_eq!(resolve("/dashboards/abc").as_deref(), Some("index.html"));
        assert_eq!(resolve("/hosts/web-1").as_deref(), Some("index.html"));
        assert_eq!(resolve("/logs").as_deref(), Some("index.html"));
        assert_eq!(resolve("/missing.js"), None);
        assert_eq!(resolve("/../Cargo.toml"), None);
        assert_eq!(resolve("/index.html").as_deref(), Some("index.html"));
    }
}

//! Sending a service handler's HTTP request and judging its response the
//! way Kapacitor does (accepted status codes, error text from the body).

/// Sends `req`; a status outside `ok` becomes an error carrying the
/// service's own error text when its JSON body has one.
pub async fn send(req: reqwest::RequestBuilder, service: &str, ok: &[u16]) -> Result<(), String> {
    let resp = req
        .timeout(std::time::Duration::from_secs(30))
        .send()
        .await
        .map_err(|e| format!("{service}: {e}"))?;
    let status = resp.status().as_u16();
    if ok.contains(&status) {
        return Ok(());
    }
    let body = resp.text().await.unwrap_or_default();
    let parsed: Option<serde_json::Value> = serde_json::from_str(&body).ok();
    let text = parsed.as_ref().and_then(|v| {
        ["message", "error", "description"]
            .iter()
            .find_map(|k| v.get(k).and_then(|m| m.as_str()).map(String::from))
    });
    Err(match text {
        Some(t) => format!("{service}: status {status}: {t}"),
        None => format!(
            "{service}: failed to understand {service} response. code: {status} content: {}",
            body.trim()
        ),
    })
}

/// Appends path segments to a URL's path (Go's `path.Join` on the URL path).
pub fn join_path(base: &str, segments: &[&str]) -> Result<String, String> {
    let mut u = reqwest::Url::parse(base).map_err(|e| format!("invalid URL {base:?}: {e}"))?;
    {
        let mut p = u
            .path_segments_mut()
            .map_err(|_| format!("invalid URL {base:?}: cannot have a path"))?;
        p.pop_if_empty();
        for s in segments {
            p.push(s);
        }
    }
    Ok(u.to_string())
}

//! `/kapacitor/v1/config`: the alert services' configuration sections
//! (`smtp`, `slack`, `pagerduty2`, …) with their effective options, and
//! Kapacitor's overrides (`{"set": {…}, "delete": […]}`).
//!
//! Options and defaults come from the handlers' registry
//! (`almanac_tasks::alert::handlers::config`); this module shows them in
//! Kapacitor 1.7's shape, redacts secrets (`true` when set, `false` when
//! empty) and keeps every override in `kapacitor.redb` (a `config` document
//! per section), applying them again at start-up.

use std::sync::Arc;

use almanac_tasks::alert::handlers::config::{self as services, SERVICES};
use almanac_tasks::alert::handlers::httppost::{self, EndpointConfig};
use almanac_tasks::Store;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::error;
use crate::AppState;

/// Store kind of override documents (one per section).
const KIND: &str = "config";

/// The persisted overrides of the service sections.
pub struct ConfigOverrides {
    store: Arc<dyn Store>,
}

impl ConfigOverrides {
    /// Applies the stored overrides to the services' registry.
    pub fn load(store: Arc<dyn Store>) -> Result<ConfigOverrides, String> {
        for doc in store.list(KIND)? {
            let section = doc["section"].as_str().unwrap_or_default().to_string();
            if section == httppost::SECTION {
                match serde_json::from_value::<
                    std::collections::BTreeMap<String, Option<EndpointConfig>>,
                >(doc["elements"].clone())
                {
                    Ok(elements) => httppost::global().load_overrides(elements),
                    Err(e) => {
                        tracing::warn!(error = %e, "kapacitor: stored httppost endpoints not applied")
                    }
                }
                continue;
            }
            let set = doc["overrides"].as_object().cloned().unwrap_or_default();
            if let Err(e) = services::global().update(&section, &set, &[]) {
                tracing::warn!(section = %section, error = %e, "kapacitor: stored config override not applied");
            }
        }
        Ok(ConfigOverrides { store })
    }

    /// Applies `set`/`delete` to a section and stores the section's overrides.
    pub fn update(
        &self,
        section: &str,
        set: &Map<String, Value>,
        delete: &[String],
    ) -> Result<(), String> {
        let registry = services::global();
        registry.update(section, set, delete)?;
        let overrides = registry.overrides(section);
        if overrides.is_empty() {
            self.store.delete(KIND, section)
        } else {
            self.store.put(
                KIND,
                section,
                &json!({ "section": section, "overrides": overrides }),
            )
        }
    }

    /// Applies a change to the `[[httppost]]` list and stores the list's changes.
    pub fn update_endpoints(
        &self,
        change: impl FnOnce(&httppost::Endpoints) -> Result<(), String>,
    ) -> Result<(), String> {
        let registry = httppost::global();
        change(registry)?;
        let overrides = registry.overrides();
        self.store.put(
            KIND,
            httppost::SECTION,
            &json!({ "section": httppost::SECTION, "elements": overrides }),
        )
    }
}

/// One `[[httppost]]` endpoint as an element of its list section.
fn endpoint_json(e: &EndpointConfig) -> Value {
    json!({
        "link": {"rel": "self", "href": format!("/kapacitor/v1/config/httppost/{}", e.endpoint)},
        "options": e.options_json(),
        "redacted": httppost::REDACTED,
    })
}

/// One section's single element: options with secrets redacted.
fn element_json(section: &str) -> Option<Value> {
    let mut options = services::global().section(section)?;
    let red = services::redacted(section);
    for k in red {
        if let Some(v) = options.get_mut(*k) {
            let set = match v {
                Value::String(s) => !s.is_empty(),
                Value::Null => false,
                _ => true,
            };
            *v = Value::Bool(set);
        }
    }
    Some(json!({
        "link": {"rel": "self", "href": format!("/kapacitor/v1/config/{section}/")},
        "options": options,
        "redacted": red,
    }))
}

fn section_json(section: &str) -> Option<Value> {
    let elements = if section == httppost::SECTION {
        httppost::global()
            .list()
            .iter()
            .map(endpoint_json)
            .collect()
    } else {
        vec![element_json(section)?]
    };
    Some(json!({
        "link": {"rel": "self", "href": format!("/kapacitor/v1/config/{section}")},
        "elements": elements,
    }))
}

/// Whether `section` is one this server configures.
fn known_section(section: &str) -> bool {
    section == httppost::SECTION || services::defaults(section).is_some()
}

fn unknown_section(section: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        format!("unknown section {section:?}"),
    )
}

/// `GET /kapacitor/v1/config`: every section.
pub async fn all() -> Response {
    let sections: Map<String, Value> = SERVICES
        .iter()
        .copied()
        .chain([httppost::SECTION])
        .filter_map(|s| Some((s.to_string(), section_json(s)?)))
        .collect();
    Json(json!({
        "link": {"rel": "self", "href": "/kapacitor/v1/config"},
        "sections": sections,
    }))
    .into_response()
}

/// `GET /kapacitor/v1/config/{section}`.
pub async fn section(Path(section): Path<String>) -> Response {
    match section_json(&section) {
        Some(v) => Json(v).into_response(),
        None => unknown_section(&section),
    }
}

/// `GET /kapacitor/v1/config/{section}/{element}` (the element of a
/// non-list section is the empty name: `/config/smtp/`).
pub async fn element(Path((section, element)): Path<(String, String)>) -> Response {
    if section == httppost::SECTION {
        return match httppost::global().get(&element) {
            Some(e) => Json(endpoint_json(&e)).into_response(),
            None => element_missing(&section, &element),
        };
    }
    if !element.is_empty() {
        return element_missing(&section, &element);
    }
    match element_json(&section) {
        Some(v) => Json(v).into_response(),
        None => unknown_section(&section),
    }
}

/// `GET /kapacitor/v1/config/{section}/`.
pub async fn element_root(Path(section): Path<String>) -> Response {
    element(Path((section, String::new()))).await
}

fn element_missing(section: &str, element: &str) -> Response {
    if !known_section(section) {
        return unknown_section(section);
    }
    if section == httppost::SECTION {
        return error(
            StatusCode::NOT_FOUND,
            format!("element {element:?} does not exist in section {section:?}"),
        );
    }
    error(
        StatusCode::NOT_FOUND,
        format!("section {section:?} is not a list: it has no element {element:?}"),
    )
}

/// An override request.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Override {
    #[serde(default)]
    set: Map<String, Value>,
    #[serde(default)]
    delete: Vec<String>,
    #[serde(default)]
    add: Option<Map<String, Value>>,
    #[serde(default)]
    remove: Option<Vec<String>>,
}

async fn apply(state: &AppState, section: &str, element: &str, body: &[u8]) -> Response {
    if !known_section(section) {
        return unknown_section(section);
    }
    let o: Override = match serde_json::from_slice(body) {
        Ok(o) => o,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("invalid JSON: {e}")),
    };
    if section == httppost::SECTION {
        return apply_endpoints(state, element, o);
    }
    if !element.is_empty() {
        return element_missing(section, element);
    }
    if o.add.is_some() || o.remove.is_some() {
        return error(
            StatusCode::BAD_REQUEST,
            format!("section {section:?} is not a list: add and remove do not apply"),
        );
    }
    match state.kapacitor.config.update(section, &o.set, &o.delete) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => error(
            StatusCode::BAD_REQUEST,
            format!("failed to apply update: {e}"),
        ),
    }
}

/// Changes of the `[[httppost]]` list: `add`/`remove` on the section,
/// `set`/`delete` on one endpoint.
fn apply_endpoints(state: &AppState, element: &str, o: Override) -> Response {
    let config = &state.kapacitor.config;
    let result = if element.is_empty() {
        if !o.set.is_empty() || !o.delete.is_empty() {
            return error(
                StatusCode::BAD_REQUEST,
                "section \"httppost\" is a list: set and delete apply to one of its elements (/kapacitor/v1/config/httppost/<endpoint>)",
            );
        }
        config.update_endpoints(|r| {
            // Every removal is checked before anything changes, and the
            // addition (checked by `add`) comes before the removals, so a
            // rejected request changes nothing.
            if let Some(name) = o.remove.iter().flatten().find(|n| r.get(n).is_none()) {
                return Err(format!("endpoint {name:?} does not exist"));
            }
            if let Some(add) = &o.add {
                r.add(add)?;
            }
            for name in o.remove.iter().flatten() {
                r.remove(name)?;
            }
            Ok(())
        })
    } else {
        if o.add.is_some() || o.remove.is_some() {
            return error(
                StatusCode::BAD_REQUEST,
                "add and remove apply to the section \"httppost\", not to one of its elements",
            );
        }
        if httppost::global().get(element).is_none() {
            return element_missing(httppost::SECTION, element);
        }
        config.update_endpoints(|r| r.update(element, &o.set, &o.delete))
    };
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => error(
            StatusCode::BAD_REQUEST,
            format!("failed to apply update: {e}"),
        ),
    }
}

/// `POST /kapacitor/v1/config/{section}`.
pub async fn update_section(
    State(state): State<AppState>,
    Path(section): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    apply(&state, &section, "", &body).await
}

/// `POST /kapacitor/v1/config/{section}/{element}` (and `/config/{section}/`).
pub async fn update_element(
    State(state): State<AppState>,
    Path((section, element)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    apply(&state, &section, &element, &body).await
}

/// `POST /kapacitor/v1/config/{section}/`.
pub async fn update_element_root(
    State(state): State<AppState>,
    Path(section): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    apply(&state, &section, "", &body).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted() {
        let e = element_json("smtp").unwrap();
        assert_eq!(e["options"]["password"], json!(false));
        assert_eq!(e["redacted"], json!(["password"]));
        assert_eq!(e["link"]["href"], "/kapacitor/v1/config/smtp/");
        assert!(element_json("nope").is_none());
    }

    #[test]
    fn overrides_are_stored_and_reloaded() {
        let store: Arc<dyn Store> = Arc::new(almanac_tasks::MemoryStore::default());
        let c = ConfigOverrides::load(store.clone()).unwrap();
        let mut set = Map::new();
        set.insert("channel".into(), json!("#ops-test"));
        c.update("slack", &set, &[]).unwrap();
        assert_eq!(store.list(KIND).unwrap().len(), 1);
        assert!(c.update("slack", &Map::new(), &["bogus".into()]).is_err());
        services::global().reset("slack");
        ConfigOverrides::load(store.clone()).unwrap();
        assert_eq!(
            services::global().section("slack").unwrap()["channel"],
            json!("#ops-test")
        );
        c.update("slack", &Map::new(), &["channel".into()]).unwrap();
        assert!(store.list(KIND).unwrap().is_empty());
    }
}

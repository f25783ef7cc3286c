//! Kapacitor's `[[httppost]]` endpoints: named URLs with extra headers,
//! basic auth and body templates. The `post` alert handler uses one with
//! `.post().endpoint('name')` (or `options: {endpoint: name}` in a handler
//! file) and the `httpPost` node with `.endpoint('name')`.
//!
//! The endpoints of the configuration file are the base list
//! ([`Endpoints::set_base`]); `/kapacitor/v1/config/httppost` changes it at
//! runtime as Kapacitor's list sections do (`add`, `remove`, and `set` /
//! `delete` on one element). Those changes are kept per endpoint
//! ([`Endpoints::overrides`]) so the server can store them and apply them
//! again at start-up ([`Endpoints::load_overrides`]).

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::alert::template::Template;

/// The section name, in the configuration file and in `/kapacitor/v1/config`.
pub const SECTION: &str = "httppost";

/// Options shown only as set or not by `/kapacitor/v1/config`.
pub const REDACTED: &[&str] = &["basic-auth"];

/// One `[[httppost]]` section, with kapacitor.conf's option names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct EndpointConfig {
    /// The endpoint's name (its id; not part of the URL).
    pub endpoint: String,
    /// Where requests go.
    pub url: String,
    /// Extra request headers.
    pub headers: BTreeMap<String, String>,
    /// Credentials sent as HTTP basic auth.
    pub basic_auth: Option<BasicAuth>,
    /// Body template of alerts (`post` handler), over the alert data.
    pub alert_template: String,
    /// File holding the alert template.
    pub alert_template_file: String,
    /// Body template of rows (`httpPost` node): `.Name`, `.Tags`, `.Values`.
    pub row_template: String,
    /// File holding the row template.
    pub row_template_file: String,
}

/// `basic-auth = { username = "...", password = "..." }`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BasicAuth {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// An endpoint ready to send to: templates parsed (and read from their files).
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Its name.
    pub name: String,
    /// Target URL.
    pub url: String,
    /// Extra request headers.
    pub headers: BTreeMap<String, String>,
    /// Basic auth credentials.
    pub basic_auth: Option<BasicAuth>,
    /// Alert body template.
    pub alert_template: Option<Arc<Template>>,
    /// Row body template.
    pub row_template: Option<Arc<Template>>,
}

/// Whether a URL is one this engine can post to.
pub fn valid_url(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

impl EndpointConfig {
    /// Checks the section and reads its templates; errors name the endpoint
    /// and the option (or file) at fault.
    pub fn resolve(&self) -> Result<Endpoint, String> {
        let at = |msg: String| format!("[[httppost]] endpoint {:?}: {msg}", self.endpoint);
        if self.endpoint.is_empty() {
            return Err(
                "[[httppost]]: option \"endpoint\" (the endpoint's name) is required".into(),
            );
        }
        if !valid_url(&self.url) {
            return Err(at(format!(
                "url {:?} must start with http:// or https://",
                self.url
            )));
        }
        let template =
            |inline: &str, file: &str, what: &str| -> Result<Option<Arc<Template>>, String> {
                let text = match (inline.is_empty(), file.is_empty()) {
                    (true, true) => return Ok(None),
                    (false, false) => {
                        return Err(at(format!(
                            "{what}-template and {what}-template-file are mutually exclusive"
                        )))
                    }
                    (false, true) => inline.to_string(),
                    (true, false) => std::fs::read_to_string(file)
                        .map_err(|e| at(format!("{what}-template-file {file}: {e}")))?,
                };
                Template::parse(&text)
                    .map(|t| Some(Arc::new(t)))
                    .map_err(|e| at(format!("{what}-template: {e}")))
            };
        Ok(Endpoint {
            name: self.endpoint.clone(),
            url: self.url.clone(),
            headers: self.headers.clone(),
            basic_auth: self.basic_auth.clone(),
            alert_template: template(&self.alert_template, &self.alert_template_file, "alert")?,
            row_template: template(&self.row_template, &self.row_template_file, "row")?,
        })
    }

    /// The options as `/kapacitor/v1/config` shows them (basic auth only as
    /// set or not).
    pub fn options_json(&self) -> Map<String, Value> {
        let Ok(Value::Object(mut m)) = serde_json::to_value(self) else {
            return Map::new();
        };
        m.insert("basic-auth".into(), Value::Bool(self.basic_auth.is_some()));
        m
    }

    /// Applies `set` options, then resets the `delete` ones to their
    /// defaults; the name cannot change.
    fn updated(
        &self,
        set: &Map<String, Value>,
        delete: &[String],
    ) -> Result<EndpointConfig, String> {
        let Ok(Value::Object(mut m)) = serde_json::to_value(self) else {
            return Err("internal error: endpoint not encodable".into());
        };
        let defaults = match serde_json::to_value(EndpointConfig::default()) {
            Ok(Value::Object(d)) => d,
            _ => Map::new(),
        };
        for (k, v) in set {
            if !defaults.contains_key(k) {
                return Err(format!("unknown option {k:?} in section \"httppost\""));
            }
            if k == "endpoint" && v.as_str() != Some(self.endpoint.as_str()) {
                return Err("option \"endpoint\" is the element's id and cannot be changed".into());
            }
            m.insert(k.clone(), v.clone());
        }
        for k in delete {
            let d = defaults
                .get(k)
                .ok_or_else(|| format!("unknown option {k:?} in section \"httppost\""))?;
            if k == "endpoint" {
                return Err("option \"endpoint\" is the element's id and cannot be deleted".into());
            }
            m.insert(k.clone(), d.clone());
        }
        serde_json::from_value(Value::Object(m)).map_err(|e| format!("section \"httppost\": {e}"))
    }
}

/// The endpoint registry: the configuration file's list under the runtime
/// changes (`Some` = added or changed, `None` = removed).
#[derive(Debug, Default)]
pub struct Endpoints {
    base: RwLock<BTreeMap<String, EndpointConfig>>,
    overrides: RwLock<BTreeMap<String, Option<EndpointConfig>>>,
    /// The effective endpoints resolved (template files read) once per
    /// change, not once per request.
    resolved: RwLock<BTreeMap<String, Endpoint>>,
}

/// The process-wide registry (one server per process, as Kapacitor's configuration).
pub fn global() -> &'static Endpoints {
    static G: OnceLock<Endpoints> = OnceLock::new();
    G.get_or_init(Endpoints::default)
}

impl Endpoints {
    /// Sets the configuration file's endpoints; each is checked, names unique.
    pub fn set_base(&self, list: Vec<EndpointConfig>) -> Result<(), String> {
        let mut base = BTreeMap::new();
        for e in list {
            e.resolve()?;
            if base.contains_key(&e.endpoint) {
                return Err(format!(
                    "[[httppost]]: endpoint {:?} is defined twice",
                    e.endpoint
                ));
            }
            base.insert(e.endpoint.clone(), e);
        }
        *self.base.write() = base;
        self.refresh();
        Ok(())
    }

    /// The effective endpoints, by name.
    pub fn list(&self) -> Vec<EndpointConfig> {
        let mut all = self.base.read().clone();
        for (name, o) in self.overrides.read().iter() {
            match o {
                Some(e) => all.insert(name.clone(), e.clone()),
                None => all.remove(name),
            };
        }
        all.into_values().collect()
    }

    /// One effective endpoint.
    pub fn get(&self, name: &str) -> Option<EndpointConfig> {
        if let Some(o) = self.overrides.read().get(name) {
            return o.clone();
        }
        self.base.read().get(name).cloned()
    }

    /// An endpoint ready to use, or an error naming the missing one.
    pub fn resolve(&self, name: &str) -> Result<Endpoint, String> {
        if let Some(e) = self.resolved.read().get(name) {
            return Ok(e.clone());
        }
        self.get(name)
            .ok_or_else(|| {
                format!(
                    "unknown httppost endpoint {name:?} (see [[httppost]] in the configuration)"
                )
            })?
            .resolve()
    }

    /// Kapacitor's `{"add": {...}}`: a new endpoint from its options.
    pub fn add(&self, options: &Map<String, Value>) -> Result<String, String> {
        let e: EndpointConfig = serde_json::from_value(Value::Object(options.clone()))
            .map_err(|e| format!("section \"httppost\": {e}"))?;
        e.resolve()?;
        if self.get(&e.endpoint).is_some() {
            return Err(format!("endpoint {:?} already exists", e.endpoint));
        }
        let name = e.endpoint.clone();
        self.overrides.write().insert(name.clone(), Some(e));
        self.refresh();
        Ok(name)
    }

    /// Kapacitor's `{"remove": [...]}`.
    pub fn remove(&self, name: &str) -> Result<(), String> {
        if self.get(name).is_none() {
            return Err(format!("endpoint {name:?} does not exist"));
        }
        self.overrides.write().insert(name.to_string(), None);
        self.refresh();
        Ok(())
    }

    /// `set`/`delete` on one endpoint; nothing changes on error.
    pub fn update(
        &self,
        name: &str,
        set: &Map<String, Value>,
        delete: &[String],
    ) -> Result<(), String> {
        let current = self
            .get(name)
            .ok_or_else(|| format!("endpoint {name:?} does not exist"))?;
        let next = current.updated(set, delete)?;
        next.resolve()?;
        self.overrides.write().insert(name.to_string(), Some(next));
        self.refresh();
        Ok(())
    }

    /// The runtime changes, to be stored.
    pub fn overrides(&self) -> BTreeMap<String, Option<EndpointConfig>> {
        self.overrides.read().clone()
    }

    /// Applies stored runtime changes (at start-up).
    pub fn load_overrides(&self, overrides: BTreeMap<String, Option<EndpointConfig>>) {
        *self.overrides.write() = overrides;
        self.refresh();
    }

    /// Resolves the effective endpoints again (after every change); one that
    /// no longer resolves (a template file gone) is left out, and
    /// [`Endpoints::resolve`] then reports why.
    fn refresh(&self) {
        let resolved = self
            .list()
            .iter()
            .filter_map(|e| Some((e.endpoint.clone(), e.resolve().ok()?)))
            .collect();
        *self.resolved.write() = resolved;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn endpoint(name: &str, url: &str) -> EndpointConfig {
        EndpointConfig {
            endpoint: name.into(),
            url: url.into(),
            ..Default::default()
        }
    }

    #[test]
    fn config_file_sections_parse_with_kapacitors_names() {
        #[derive(Deserialize)]
        struct File {
            httppost: Vec<EndpointConfig>,
        }
        let f: File = toml::from_str(
            r#"
[[httppost]]
  endpoint = "example"
  url = "http://example.com/path"
  headers = { Example = "your-key" }
  basic-auth = { username = "my-user", password = "my-pass" }
  alert-template = "{{.Message}}"
  row-template = '{{.Name}} host={{index .Tags "host"}}'
"#,
        )
        .unwrap();
        let e = &f.httppost[0];
        assert_eq!(e.headers["Example"], "your-key");
        assert_eq!(e.basic_auth.as_ref().unwrap().password, "my-pass");
        let r = e.resolve().unwrap();
        assert!(r.alert_template.is_some() && r.row_template.is_some());
        assert_eq!(e.options_json()["basic-auth"], json!(true));
    }

    #[test]
    fn errors_name_the_endpoint_and_option() {
        let mut e = endpoint("a", "ftp://x");
        assert_eq!(
            e.resolve().unwrap_err(),
            "[[httppost]] endpoint \"a\": url \"ftp://x\" must start with http:// or https://"
        );
        e.url = "http://x".into();
        e.row_template_file = "/nonexistent/row.tmpl".into();
        let err = e.resolve().unwrap_err();
        assert!(
            err.starts_with(
                "[[httppost]] endpoint \"a\": row-template-file /nonexistent/row.tmpl:"
            ),
            "{err}"
        );
        e.row_template = "{{.Name}}".into();
        assert!(e.resolve().unwrap_err().contains("mutually exclusive"));
        let r = Endpoints::default();
        let twice = vec![endpoint("a", "http://x"), endpoint("a", "http://y")];
        assert_eq!(
            r.set_base(twice).unwrap_err(),
            "[[httppost]]: endpoint \"a\" is defined twice"
        );
    }

    #[test]
    fn runtime_changes_overlay_the_file_list() {
        let r = Endpoints::default();
        r.set_base(vec![endpoint("a", "http://a"), endpoint("b", "http://b")])
            .unwrap();
        r.add(
            json!({"endpoint": "c", "url": "http://c"})
                .as_object()
                .unwrap(),
        )
        .unwrap();
        assert!(r
            .add(
                json!({"endpoint": "a", "url": "http://a2"})
                    .as_object()
                    .unwrap()
            )
            .is_err());
        r.remove("b").unwrap();
        assert!(r.remove("b").is_err());
        r.update(
            "a",
            json!({"url": "http://a3", "headers": {"X": "1"}})
                .as_object()
                .unwrap(),
            &[],
        )
        .unwrap();
        let names: Vec<String> = r.list().into_iter().map(|e| e.endpoint).collect();
        assert_eq!(names, ["a", "c"]);
        assert_eq!(r.get("a").unwrap().headers["X"], "1");
        assert!(r.update("a", &Map::new(), &["endpoint".into()]).is_err());
        assert!(r
            .update("a", json!({"url": "nope"}).as_object().unwrap(), &[])
            .is_err());
        assert_eq!(r.get("a").unwrap().url, "http://a3");
        r.update("a", &Map::new(), &["headers".into()]).unwrap();
        assert!(r.get("a").unwrap().headers.is_empty());

        let again = Endpoints::default();
        again
            .set_base(vec![endpoint("a", "http://a"), endpoint("b", "http://b")])
            .unwrap();
        again.load_overrides(r.overrides());
        assert_eq!(again.list(), r.list());
        assert!(again
            .resolve("b")
            .unwrap_err()
            .starts_with("unknown httppost endpoint \"b\""));
    }

    #[test]
    fn template_files_are_read_when_the_endpoint_changes_not_per_request() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("alert.tmpl");
        std::fs::write(&file, "{{.Message}}").unwrap();
        let r = Endpoints::default();
        let mut e = endpoint("f", "http://f");
        e.alert_template_file = file.display().to_string();
        r.set_base(vec![e]).unwrap();
        std::fs::remove_file(&file).unwrap();
        assert!(r.resolve("f").unwrap().alert_template.is_some());
        // A change resolves again: the file is gone now.
        r.update("f", json!({"url": "http://g"}).as_object().unwrap(), &[])
            .unwrap_err();
        assert_eq!(r.get("f").unwrap().url, "http://f");
    }
}

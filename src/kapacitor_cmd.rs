//! `almanac kapacitor …`: the `kapacitor` command-line client against
//! Almanac's Kapacitor API. Commands, Go-style flags (`-flag value`,
//! `-flag=value`) and output formats follow Kapacitor 1.7's CLI, so scripts
//! written for it work unchanged.
//!
//! The server is `-url` (before the command), else `KAPACITOR_URL`, else
//! `http://localhost:8086` (Almanac serves the Kapacitor API on its HTTP
//! port, not on Kapacitor's 9092). `u` and `p` query parameters of the URL
//! are sent as basic-auth credentials.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use reqwest::Method;
use serde_json::{json, Value};

/// The default server: Almanac's HTTP port.
pub const DEFAULT_URL: &str = "http://localhost:8086";

/// Arguments of `almanac kapacitor`: the command and its flags, passed
/// through as the `kapacitor` CLI takes them.
#[derive(clap::Args)]
pub struct KapacitorArgs {
    /// `[-url URL] COMMAND [ARGS…]` (run `almanac kapacitor help`).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
    args: Vec<String>,
}

const USAGE: &str = "Usage: almanac kapacitor [-url URL] COMMAND [ARGS…]

Options:
  -url URL   the server (default $KAPACITOR_URL, else http://localhost:8086)

Commands:
  define               Create/update a task (-tick, -type, -dbrp, -template, -vars, -file, -no-reload).
  define-template      Create/update a template (-tick, -type).
  define-topic-handler Create/update a topic handler from a YAML or JSON file.
  replay               Replay a recording to a task (-task, -recording, -real-clock, -rec-time, -replay-id, -no-wait).
  replay-live          Replay data to a task without recording it: batch (-past | -start/-stop) or query (-query).
  record               Record stream (-task, -duration), batch (-task, -past | -start/-stop) or query (-query, -type).
  enable               Enable and start tasks.
  disable              Stop and disable tasks.
  reload               Disable then enable tasks.
  delete               Delete tasks, templates, recordings, replays, topics or topic-handlers.
  list                 List tasks, templates, recordings, replays, topics, topic-handlers or service-tests.
  show                 Show a task.
  show-template        Show a template.
  show-topic           Show a topic.
  show-topic-handler   Show a topic handler.
  service-tests        Run service tests.
  stats                Show general statistics.
  vars                 Print the server's debug vars.
  version              Print the version.
  help                 This message.
";

/// Runs one command and prints its output.
pub async fn run(args: KapacitorArgs) -> anyhow::Result<()> {
    let mut args = args.args;
    let mut url = std::env::var("KAPACITOR_URL")
        .ok()
        .filter(|u| !u.is_empty());
    while let Some(a) = args.first() {
        let Some(name) = flag_name(a) else { break };
        let (name, inline) = split_inline(name);
        match name {
            "url" => {
                let v = match inline {
                    Some(v) => v,
                    None => args
                        .get(1)
                        .cloned()
                        .ok_or_else(|| anyhow!("flag needs an argument: -url"))?,
                };
                let taken = if a.contains('=') { 1 } else { 2 };
                url = Some(v);
                args.drain(..taken);
            }
            "skipVerify" => {
                args.remove(0);
            }
            "h" | "help" => {
                print!("{USAGE}");
                return Ok(());
            }
            other => bail!("flag provided but not defined: -{other}"),
        }
    }
    let Some(command) = args.first().cloned() else {
        print!("{USAGE}");
        bail!("no command given");
    };
    let rest = &args[1..];
    let client = Client::new(url.as_deref().unwrap_or(DEFAULT_URL))?;
    match command.as_str() {
        "help" => {
            print!("{USAGE}");
            Ok(())
        }
        "version" => {
            println!(
                "Almanac {} (kapacitor CLI for the Kapacitor 1.7 API)",
                env!("CARGO_PKG_VERSION")
            );
            Ok(())
        }
        "define" => define(&client, rest).await,
        "define-template" => define_template(&client, rest).await,
        "define-topic-handler" => define_topic_handler(&client, rest).await,
        "enable" | "disable" | "reload" => set_status(&client, &command, rest).await,
        "list" => list(&client, rest).await,
        "show" => show(&client, rest).await,
        "show-template" => show_template(&client, rest).await,
        "show-topic" => show_topic(&client, rest).await,
        "show-topic-handler" => show_topic_handler(&client, rest).await,
        "delete" => delete(&client, rest).await,
        "record" => record(&client, rest).await,
        "replay" => replay(&client, rest).await,
        "replay-live" => replay_live(&client, rest).await,
        "service-tests" => service_tests(&client, rest).await,
        "stats" => stats(&client, rest).await,
        "vars" => {
            let v = client.get("/kapacitor/v1/debug/vars").await?;
            println!("{}", serde_json::to_string(&v)?);
            Ok(())
        }
        other => bail!("unknown command {other:?}; run 'almanac kapacitor help'"),
    }
}

fn flag_name(a: &str) -> Option<&str> {
    if a == "-" || a == "--" || !a.starts_with('-') {
        return None;
    }
    Some(a.trim_start_matches('-'))
}

fn split_inline(name: &str) -> (&str, Option<String>) {
    match name.split_once('=') {
        Some((n, v)) => (n, Some(v.to_string())),
        None => (name, None),
    }
}

/// Parsed command flags: values by name (repeatable), set booleans and
/// positional arguments.
#[derive(Debug, Default)]
struct Flags {
    values: HashMap<String, Vec<String>>,
    bools: HashSet<String>,
    positional: Vec<String>,
}

impl Flags {
    /// Parses `args` Go-style; flags may come before or after positionals.
    fn parse(args: &[String], value_flags: &[&str], bool_flags: &[&str]) -> anyhow::Result<Flags> {
        let mut f = Flags::default();
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
            i += 1;
            let Some(name) = flag_name(a) else {
                f.positional.push(a.clone());
                continue;
            };
            let (name, inline) = split_inline(name);
            if bool_flags.contains(&name) {
                let on = inline.map(|v| v != "false").unwrap_or(true);
                if on {
                    f.bools.insert(name.to_string());
                }
            } else if value_flags.contains(&name) {
                let v = match inline {
                    Some(v) => v,
                    None => {
                        let v = args
                            .get(i)
                            .cloned()
                            .ok_or_else(|| anyhow!("flag needs an argument: -{name}"))?;
                        i += 1;
                        v
                    }
                };
                f.values.entry(name.to_string()).or_default().push(v);
            } else {
                bail!("flag provided but not defined: -{name}");
            }
        }
        Ok(f)
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .and_then(|v| v.last())
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }

    fn all(&self, name: &str) -> &[String] {
        self.values.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    fn on(&self, name: &str) -> bool {
        self.bools.contains(name)
    }
}

/// An HTTP client of the Kapacitor API.
struct Client {
    base: String,
    auth: Option<(String, String)>,
    http: reqwest::Client,
}

impl Client {
    fn new(url: &str) -> anyhow::Result<Client> {
        let parsed = reqwest::Url::parse(url).with_context(|| format!("invalid -url {url:?}"))?;
        let pairs: HashMap<String, String> = parsed.query_pairs().into_owned().collect();
        let auth = pairs
            .get("u")
            .map(|u| (u.clone(), pairs.get("p").cloned().unwrap_or_default()));
        let mut base = parsed.clone();
        base.set_query(None);
        Ok(Client {
            base: base.as_str().trim_end_matches('/').to_string(),
            auth,
            http: reqwest::Client::new(),
        })
    }

    /// Sends a request; a non-2xx answer becomes an error with Kapacitor's message.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let url = format!("{}{path}", self.base);
        let mut req = self.http.request(method, &url);
        if let Some((u, p)) = &self.auth {
            req = req.basic_auth(u, Some(p));
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req
            .send()
            .await
            .with_context(|| format!("could not reach {url}"))?;
        let status = resp.status();
        let text = resp.text().await.context("reading the answer")?;
        let v: Value = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        if !status.is_success() {
            let msg = v
                .get("error")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| format!("{status}: {v}"));
            return Err(ApiError {
                status: status.as_u16(),
                message: msg,
            }
            .into());
        }
        Ok((status.as_u16(), v))
    }

    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        Ok(self.send(Method::GET, path, None).await?.1)
    }

    /// Every item of a paginated list endpoint (`key` is the list's field).
    /// The items of a list whose `id` matches one of `patterns` (all when none).
    async fn list_matching(
        &self,
        path: &str,
        key: &str,
        patterns: &[String],
    ) -> anyhow::Result<Vec<Value>> {
        let mut items = self.list_all(path, key).await?;
        items.retain(|t| matches_any(patterns, s(t, "id")));
        Ok(items)
    }

    async fn list_all(&self, path: &str, key: &str) -> anyhow::Result<Vec<Value>> {
        let mut out = Vec::new();
        let sep = if path.contains('?') { '&' } else { '?' };
        loop {
            let v = self
                .get(&format!("{path}{sep}offset={}&limit=100", out.len()))
                .await?;
            let items = v[key].as_array().cloned().unwrap_or_default();
            let n = items.len();
            out.extend(items);
            if n < 100 {
                return Ok(out);
            }
        }
    }
}

/// A non-2xx answer: the HTTP status and Kapacitor's error message.
#[derive(Debug)]
struct ApiError {
    status: u16,
    message: String,
}

impl std::error::Error for ApiError {}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

fn is_not_found(e: &anyhow::Error) -> bool {
    e.downcast_ref::<ApiError>()
        .is_some_and(|a| a.status == 404)
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Reads a file, naming it in the error.
fn read_file(path: &str) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {path}"))
}

/// Parses `"db"."rp"` or `db.rp`.
fn parse_dbrp(s: &str) -> anyhow::Result<Value> {
    fn part(s: &str) -> anyhow::Result<(String, &str)> {
        if let Some(rest) = s.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = rest.char_indices();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            out.push(n);
                        }
                    }
                    '"' => return Ok((out, &rest[i + 1..])),
                    c => out.push(c),
                }
            }
            bail!("unterminated quote in dbrp {s:?}")
        } else {
            let end = s.find('.').unwrap_or(s.len());
            Ok((s[..end].to_string(), &s[end..]))
        }
    }
    let (db, rest) = part(s)?;
    let rest = rest
        .strip_prefix('.')
        .ok_or_else(|| anyhow!("invalid dbrp {s:?}: expected \"db\".\"rp\""))?;
    let (rp, tail) = part(rest)?;
    if db.is_empty() || rp.is_empty() || !tail.is_empty() {
        bail!("invalid dbrp {s:?}: expected \"db\".\"rp\"");
    }
    Ok(json!({"db": db, "rp": rp}))
}

/// Reads a vars file (JSON, Kapacitor's `{"name": {"type": …, "value": …}}`).
fn read_vars(path: &str) -> anyhow::Result<Value> {
    let text = read_file(path)?;
    let v: Value = serde_json::from_str(&text)
        .map_err(|e| anyhow!("{path}: line {} column {}: {e}", e.line(), e.column()))?;
    if !v.is_object() {
        bail!("{path}: vars must be a JSON object of {{\"type\", \"value\"}} entries");
    }
    Ok(v)
}

/// Parses a YAML or JSON file into JSON, naming file and line on error.
fn read_yaml(path: &str) -> anyhow::Result<Value> {
    let text = read_file(path)?;
    serde_yaml_ng::from_str::<Value>(&text).map_err(|e| match e.location() {
        Some(l) => anyhow!("{path}: line {} column {}: {e}", l.line(), l.column()),
        None => anyhow!("{path}: {e}"),
    })
}

/// Prefixes a server error about a TICKscript with the script's path.
fn script_error(path: Option<&str>, e: anyhow::Error) -> anyhow::Error {
    match path {
        Some(p) if e.to_string().contains("TICKscript") => anyhow!("{p}: {e}"),
        _ => e,
    }
}

async fn define(c: &Client, args: &[String]) -> anyhow::Result<()> {
    let f = Flags::parse(
        args,
        &["tick", "type", "dbrp", "template", "vars", "file"],
        &["no-reload"],
    )?;
    let id = f
        .positional
        .first()
        .ok_or_else(|| anyhow!("must provide a task ID: define <TASK_ID> -tick <file> …"))?;
    if f.positional.len() > 1 {
        bail!(
            "unexpected arguments after the task ID: {:?}",
            &f.positional[1..]
        );
    }
    let mut body = serde_json::Map::new();
    if let Some(file) = f.get("file") {
        if f.get("tick").is_some() || f.get("template").is_some() || f.get("vars").is_some() {
            bail!("-file cannot be combined with -tick, -template or -vars");
        }
        let d = read_yaml(file)?;
        for key in ["template-id", "dbrps", "vars"] {
            if let Some(v) = d.get(key) {
                body.insert(key.into(), v.clone());
            }
        }
        if !body.contains_key("template-id") {
            bail!("{file}: must name a \"template-id\"");
        }
    }
    if let Some(t) = f.get("tick") {
        if f.get("template").is_some() {
            bail!("-tick and -template cannot be combined");
        }
        body.insert("script".into(), read_file(t)?.into());
    }
    if let Some(t) = f.get("template") {
        body.insert("template-id".into(), t.into());
    }
    if let Some(t) = f.get("type") {
        if t != "stream" && t != "batch" {
            bail!("invalid -type {t:?}: must be stream or batch");
        }
        body.insert("type".into(), t.into());
    }
    if !f.all("dbrp").is_empty() {
        let dbrps = f
            .all("dbrp")
            .iter()
            .map(|d| parse_dbrp(d))
            .collect::<anyhow::Result<Vec<_>>>()?;
        body.insert("dbrps".into(), Value::Array(dbrps));
    }
    if let Some(v) = f.get("vars") {
        body.insert("vars".into(), read_vars(v)?);
    }
    let path = format!("/kapacitor/v1/tasks/{}", enc(id));
    let tick = f.get("tick");
    match c.get(&path).await {
        Ok(existing) => {
            if body.is_empty() {
                bail!("nothing to change: give -tick, -template, -vars, -dbrp or -file");
            }
            c.send(Method::PATCH, &path, Some(&Value::Object(body)))
                .await
                .map_err(|e| script_error(tick, e))?;
            if existing["status"] == "enabled" && !f.on("no-reload") {
                c.send(Method::PATCH, &path, Some(&json!({"status": "disabled"})))
                    .await?;
                c.send(Method::PATCH, &path, Some(&json!({"status": "enabled"})))
                    .await?;
            }
        }
        Err(e) if is_not_found(&e) => {
            if !body.contains_key("script") && !body.contains_key("template-id") {
                bail!("must provide a TICKscript (-tick) or a template (-template or -file)");
            }
            body.insert("id".into(), id.as_str().into());
            body.insert("status".into(), "disabled".into());
            c.send(
                Method::POST,
                "/kapacitor/v1/tasks",
                Some(&Value::Object(body)),
            )
            .await
            .map_err(|e| script_error(tick, e))?;
        }
        Err(e) => return Err(e),
    }
    Ok(())
}

async fn define_template(c: &Client, args: &[String]) -> anyhow::Result<()> {
    let f = Flags::parse(args, &["tick", "type"], &[])?;
    let id = f
        .positional
        .first()
        .ok_or_else(|| anyhow!("must provide a template ID: define-template <ID> -tick <file>"))?;
    let tick = f.get("tick");
    let mut body = serde_json::Map::new();
    if let Some(t) = tick {
        body.insert("script".into(), read_file(t)?.into());
    }
    if let Some(t) = f.get("type") {
        body.insert("type".into(), t.into());
    }
    let path = format!("/kapacitor/v1/templates/{}", enc(id));
    match c.get(&path).await {
        Ok(_) => {
            c.send(Method::PATCH, &path, Some(&Value::Object(body)))
                .await
                .map_err(|e| script_error(tick, e))?;
        }
        Err(e) if is_not_found(&e) => {
            if tick.is_none() {
                bail!("must provide a TICKscript (-tick)");
            }
            body.insert("id".into(), id.as_str().into());
            c.send(
                Method::POST,
                "/kapacitor/v1/templates",
                Some(&Value::Object(body)),
            )
            .await
            .map_err(|e| script_error(tick, e))?;
        }
        Err(e) => return Err(e),
    }
    Ok(())
}

async fn define_topic_handler(c: &Client, args: &[String]) -> anyhow::Result<()> {
    let f = Flags::parse(args, &[], &[])?;
    let [file] = f.positional.as_slice() else {
        bail!("usage: define-topic-handler <PATH_TO_HANDLER_FILE>");
    };
    let d = read_yaml(file)?;
    let field = |k: &str| -> anyhow::Result<String> {
        d.get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .ok_or_else(|| anyhow!("{file}: missing \"{k}\""))
    };
    let topic = field("topic")?;
    let id = field("id")?;
    let mut body = json!({
        "id": id,
        "kind": field("kind")?,
        "options": d.get("options").cloned().unwrap_or_else(|| json!({})),
    });
    if let Some(m) = d
        .get("match")
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty())
    {
        body["match"] = m.into();
    }
    let base = format!("/kapacitor/v1/alerts/topics/{}/handlers", enc(&topic));
    let one = format!("{base}/{}", enc(&id));
    let r = match c.get(&one).await {
        Ok(_) => c.send(Method::PUT, &one, Some(&body)).await,
        Err(e) if is_not_found(&e) => c.send(Method::POST, &base, Some(&body)).await,
        Err(e) => Err(e),
    };
    r.map_err(|e| anyhow!("{file}: {e}"))?;
    Ok(())
}

async fn set_status(c: &Client, command: &str, args: &[String]) -> anyhow::Result<()> {
    let f = Flags::parse(args, &[], &[])?;
    if f.positional.is_empty() {
        bail!("must provide at least one task ID: {command} <TASK_ID>…");
    }
    for id in &f.positional {
        let path = format!("/kapacitor/v1/tasks/{}", enc(id));
        let steps: &[&str] = match command {
            "enable" => &["enabled"],
            "disable" => &["disabled"],
            _ => &["disabled", "enabled"],
        };
        for s in steps {
            c.send(Method::PATCH, &path, Some(&json!({ "status": s })))
                .await
                .with_context(|| format!("{command} {id}"))?;
        }
    }
    Ok(())
}

/// Go's `path.Match` subset Kapacitor uses for patterns: `*` and `?`.
fn glob(pattern: &str, s: &str) -> bool {
    fn m(p: &[char], s: &[char]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some(('*', rest)) => (0..=s.len()).any(|i| m(rest, &s[i..])),
            Some(('?', rest)) => !s.is_empty() && m(rest, &s[1..]),
            Some((c, rest)) => s.first() == Some(c) && m(rest, &s[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = s.chars().collect();
    m(&p, &s)
}

fn matches_any(patterns: &[String], id: &str) -> bool {
    patterns.is_empty() || patterns.iter().any(|p| glob(p, id))
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or_default()
}

fn width(items: &[Value], key: &str, header: &str) -> usize {
    items
        .iter()
        .map(|v| s(v, key).chars().count())
        .chain([header.len()])
        .max()
        .unwrap_or(0)
}

/// Kapacitor's date column: Go's `02 Jan 06 15:04 MST`, in UTC.
fn short_date(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|d| {
            d.with_timezone(&chrono::Utc)
                .format("%d %b %y %H:%M UTC")
                .to_string()
        })
        .unwrap_or_default()
}

/// go-humanize's SI byte sizes (`23 B`, `3.2 kB`, `12 MB`).
fn human_bytes(n: u64) -> String {
    if n < 10 {
        return format!("{n} B");
    }
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let e = ((n as f64).ln() / 1000f64.ln()).floor() as usize;
    let e = e.min(UNITS.len() - 1);
    let v = ((n as f64 / 1000f64.powi(e as i32)) * 10.0 + 0.5).floor() / 10.0;
    if v < 10.0 {
        format!("{v:.1} {}", UNITS[e])
    } else {
        format!("{v:.0} {}", UNITS[e])
    }
}

fn dbrps_text(v: &Value) -> String {
    let parts: Vec<String> = v
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| format!("{:?}.{:?}", s(d, "db"), s(d, "rp")))
        .collect();
    format!("[{}]", parts.join(", "))
}

async fn list(c: &Client, args: &[String]) -> anyhow::Result<()> {
    let f = Flags::parse(args, &[], &[])?;
    let Some((kind, patterns)) = f.positional.split_first() else {
        bail!("usage: list (tasks|templates|recordings|replays|topics|topic-handlers|service-tests) [ID or pattern]…");
    };
    let mut out = String::new();
    match kind.as_str() {
        "tasks" => {
            let items: Vec<Value> = c.list_matching("/kapacitor/v1/tasks?fields=type,status,executing,dbrps", "tasks", patterns).await?;
            let w = width(&items, "id", "ID");
            out.push_str(&format!(
                "{:<w$} {:<10}{:<10}{:<10}{}\n",
                "ID", "Type", "Status", "Executing", "Databases and Retention Policies"
            ));
            for t in &items {
                out.push_str(&format!(
                    "{:<w$} {:<10}{:<10}{:<10}{}\n",
                    s(t, "id"),
                    s(t, "type"),
                    s(t, "status"),
                    t["executing"].as_bool().unwrap_or(false),
                    dbrps_text(&t["dbrps"])
                ));
            }
        }
        "templates" => {
            let items: Vec<Value> = c.list_matching("/kapacitor/v1/templates", "templates", patterns).await?;
            let w = width(&items, "id", "ID");
            out.push_str(&format!("{:<w$} {:<10}{}\n", "ID", "Type", "Vars"));
            for t in &items {
                let vars: Vec<&String> = t["vars"]
                    .as_object()
                    .map(|o| o.keys().collect())
                    .unwrap_or_default();
                let vars: Vec<&str> = vars.iter().map(|k| k.as_str()).collect();
                out.push_str(&format!(
                    "{:<w$} {:<10}{}\n",
                    s(t, "id"),
                    s(t, "type"),
                    vars.join(",")
                ));
            }
        }
        "recordings" => {
            let items: Vec<Value> = c.list_matching("/kapacitor/v1/recordings", "recordings", patterns).await?;
            let w = width(&items, "id", "ID");
            out.push_str(&format!(
                "{:<w$} {:<8}{:<10}{:<10}{}\n",
                "ID", "Type", "Status", "Size", "Date"
            ));
            for r in &items {
                out.push_str(&format!(
                    "{:<w$} {:<8}{:<10}{:<10}{}\n",
                    s(r, "id"),
                    s(r, "type"),
                    s(r, "status"),
                    human_bytes(r["size"].as_u64().unwrap_or(0)),
                    short_date(s(r, "date"))
                ));
            }
        }
        "replays" => {
            let items: Vec<Value> = c.list_matching("/kapacitor/v1/replays", "replays", patterns).await?;
            let w = width(&items, "id", "ID");
            let wt = width(&items, "task", "Task");
            let wr = width(&items, "recording", "Recording");
            out.push_str(&format!(
                "{:<w$} {:<wt$} {:<wr$} {:<9}{:<8}{}\n",
                "ID", "Task", "Recording", "Status", "Clock", "Date"
            ));
            for r in &items {
                out.push_str(&format!(
                    "{:<w$} {:<wt$} {:<wr$} {:<9}{:<8}{}\n",
                    s(r, "id"),
                    s(r, "task"),
                    s(r, "recording"),
                    s(r, "status"),
                    s(r, "clock"),
                    short_date(s(r, "date"))
                ));
            }
        }
        "topics" => {
            let v = c.get("/kapacitor/v1/alerts/topics").await?;
            let items: Vec<Value> = v["topics"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|t| matches_any(patterns, s(t, "id")))
                .collect();
            let w = width(&items, "id", "ID");
            out.push_str(&format!("{:<w$} {:<10}{:>9}\n", "ID", "Level", "Collected"));
            for t in &items {
                out.push_str(&format!(
                    "{:<w$} {:<10}{:>9}\n",
                    s(t, "id"),
                    s(t, "level"),
                    t["collected"].as_u64().unwrap_or(0)
                ));
            }
        }
        "topic-handlers" | "handlers" => {
            let v = c.get("/kapacitor/v1/alerts/topics").await?;
            let mut rows = Vec::new();
            for t in v["topics"].as_array().into_iter().flatten() {
                let topic = s(t, "id");
                let hs = c
                    .get(&format!("/kapacitor/v1/alerts/topics/{}/handlers", enc(topic)))
                    .await?;
                for h in hs["handlers"].as_array().into_iter().flatten() {
                    if matches_any(patterns, s(h, "id")) {
                        rows.push(json!({"topic": topic, "id": s(h, "id"), "kind": s(h, "kind")}));
                    }
                }
            }
            let wt = width(&rows, "topic", "Topic");
            let wi = width(&rows, "id", "ID");
            out.push_str(&format!("{:<wt$} {:<wi$} {}\n", "Topic", "ID", "Kind"));
            for r in &rows {
                out.push_str(&format!(
                    "{:<wt$} {:<wi$} {}\n",
                    s(r, "topic"),
                    s(r, "id"),
                    s(r, "kind")
                ));
            }
        }
        "service-tests" => {
            let v = c.get("/kapacitor/v1/service-tests").await?;
            out.push_str("Service Name\n");
            for t in v["services"].as_array().into_iter().flatten() {
                if matches_any(patterns, s(t, "name")) {
                    out.push_str(s(t, "name"));
                    out.push('\n');
                }
            }
        }
        other => bail!(
            "cannot list {other:?}: expected tasks, templates, recordings, replays, topics, topic-handlers or service-tests"
        ),
    }
    print!("{out}");
    Ok(())
}

async fn show(c: &Client, args: &[String]) -> anyhow::Result<()> {
    let f = Flags::parse(args, &["replay"], &[])?;
    if f.get("replay").is_some() {
        bail!("not supported yet: show -replay (replays run a private task instance; see the replay's stats)");
    }
    let [id] = f.positional.as_slice() else {
        bail!("usage: show <TASK_ID>");
    };
    let t = c.get(&format!("/kapacitor/v1/tasks/{}", enc(id))).await?;
    let mut out = format!("ID: {}\n", s(&t, "id"));
    if !s(&t, "template-id").is_empty() {
        out.push_str(&format!("Template: {}\n", s(&t, "template-id")));
    }
    out.push_str(&format!("Error: {}\n", s(&t, "error")));
    out.push_str(&format!("Type: {}\n", s(&t, "type")));
    out.push_str(&format!("Status: {}\n", s(&t, "status")));
    out.push_str(&format!(
        "Executing: {}\n",
        t["executing"].as_bool().unwrap_or(false)
    ));
    out.push_str(&format!("Created: {}\n", short_date(s(&t, "created"))));
    out.push_str(&format!("Modified: {}\n", short_date(s(&t, "modified"))));
    out.push_str(&format!(
        "LastEnabled: {}\n",
        short_date(s(&t, "last-enabled"))
    ));
    out.push_str(&format!(
        "Databases Retention Policies: {}\n",
        dbrps_text(&t["dbrps"])
    ));
    out.push_str("TICKscript:\n");
    out.push_str(s(&t, "script"));
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str("\nDOT:\n");
    out.push_str(s(&t, "dot"));
    if !out.ends_with('\n') {
        out.push('\n');
    }
    print!("{out}");
    Ok(())
}

async fn show_template(c: &Client, args: &[String]) -> anyhow::Result<()> {
    let f = Flags::parse(args, &[], &[])?;
    let [id] = f.positional.as_slice() else {
        bail!("usage: show-template <TEMPLATE_ID>");
    };
    let t = c
        .get(&format!("/kapacitor/v1/templates/{}", enc(id)))
        .await?;
    let mut out = format!(
        "ID: {}\nError: {}\nType: {}\nCreated: {}\nModified: {}\nTICKscript:\n{}",
        s(&t, "id"),
        s(&t, "error"),
        s(&t, "type"),
        short_date(s(&t, "created")),
        short_date(s(&t, "modified")),
        s(&t, "script")
    );
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str("\nVars:\n");
    out.push_str(&format!(
        "{:<30}{:<10}{:<40}{}\n",
        "Name", "Type", "Default Value", "Description"
    ));
    let vars: BTreeMap<String, Value> = t["vars"]
        .as_object()
        .map(|o| o.clone().into_iter().collect())
        .unwrap_or_default();
    for (name, v) in vars {
        let default = match &v["value"] {
            Value::Null => "<required>".to_string(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        out.push_str(&format!(
            "{:<30}{:<10}{:<40}{}\n",
            name,
            s(&v, "type"),
            default,
            s(&v, "description")
        ));
    }
    out.push_str("DOT:\n");
    out.push_str(s(&t, "dot"));
    if !out.ends_with('\n') {
        out.push('\n');
    }
    print!("{out}");
    Ok(())
}

async fn show_topic(c: &Client, args: &[String]) -> anyhow::Result<()> {
    let f = Flags::parse(args, &[], &[])?;
    let [id] = f.positional.as_slice() else {
        bail!("usage: show-topic <TOPIC_ID>");
    };
    let base = format!("/kapacitor/v1/alerts/topics/{}", enc(id));
    let t = c.get(&base).await?;
    let hs = c.get(&format!("{base}/handlers")).await?;
    let ev = c.get(&format!("{base}/events")).await?;
    let handlers: Vec<&str> = hs["handlers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| s(h, "id"))
        .collect();
    let mut out = format!(
        "ID: {}\nLevel: {}\nCollected: {}\nHandlers: [{}]\nEvents:\n",
        s(&t, "id"),
        s(&t, "level"),
        t["collected"].as_u64().unwrap_or(0),
        handlers.join(", ")
    );
    let events: Vec<Value> = ev["events"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|e| {
            json!({
                "id": s(&e, "id"),
                "level": s(&e["state"], "level"),
                "message": s(&e["state"], "message"),
                "date": short_date(s(&e["state"], "time")),
            })
        })
        .collect();
    let wi = width(&events, "id", "Event");
    let wm = width(&events, "message", "Message");
    out.push_str(&format!(
        "{:<wi$} {:<8} {:<wm$} {}\n",
        "Event", "Level", "Message", "Date"
    ));
    for e in &events {
        out.push_str(&format!(
            "{:<wi$} {:<8} {:<wm$} {}\n",
            s(e, "id"),
            s(e, "level"),
            s(e, "message"),
            s(e, "date")
        ));
    }
    print!("{out}");
    Ok(())
}

async fn show_topic_handler(c: &Client, args: &[String]) -> anyhow::Result<()> {
    let f = Flags::parse(args, &[], &[])?;
    let [topic, id] = f.positional.as_slice() else {
        bail!("usage: show-topic-handler <TOPIC_ID> <HANDLER_ID>");
    };
    let h = c
        .get(&format!(
            "/kapacitor/v1/alerts/topics/{}/handlers/{}",
            enc(topic),
            enc(id)
        ))
        .await?;
    println!(
        "ID: {}\nTopic: {}\nKind: {}\nMatch: {}\nOptions: {}",
        s(&h, "id"),
        topic,
        s(&h, "kind"),
        s(&h, "match"),
        serde_json::to_string(&h["options"])?
    );
    Ok(())
}

async fn delete(c: &Client, args: &[String]) -> anyhow::Result<()> {
    let f = Flags::parse(args, &[], &[])?;
    let Some((kind, patterns)) = f.positional.split_first() else {
        bail!("usage: delete (tasks|templates|recordings|replays|topics|topic-handlers) <ID or pattern>…");
    };
    if patterns.is_empty() {
        bail!("must provide at least one ID or pattern");
    }
    let (list_path, key, base) = match kind.as_str() {
        "tasks" => ("/kapacitor/v1/tasks?fields=id", "tasks", "/kapacitor/v1/tasks"),
        "templates" => ("/kapacitor/v1/templates", "templates", "/kapacitor/v1/templates"),
        "recordings" => ("/kapacitor/v1/recordings", "recordings", "/kapacitor/v1/recordings"),
        "replays" => ("/kapacitor/v1/replays", "replays", "/kapacitor/v1/replays"),
        "topics" => ("", "topics", "/kapacitor/v1/alerts/topics"),
        "topic-handlers" | "handlers" => {
            let [topic, id] = patterns else {
                bail!("usage: delete topic-handlers <TOPIC_ID> <HANDLER_ID>");
            };
            c.send(
                Method::DELETE,
                &format!(
                    "/kapacitor/v1/alerts/topics/{}/handlers/{}",
                    enc(topic),
                    enc(id)
                ),
                None,
            )
            .await?;
            return Ok(());
        }
        other => bail!("cannot delete {other:?}: expected tasks, templates, recordings, replays, topics or topic-handlers"),
    };
    let items = if list_path.is_empty() {
        c.get(base).await?[key]
            .as_array()
            .cloned()
            .unwrap_or_default()
    } else {
        c.list_all(list_path, key).await?
    };
    for item in items {
        let id = s(&item, "id");
        if matches_any(patterns, id) {
            c.send(Method::DELETE, &format!("{base}/{}", enc(id)), None)
                .await
                .with_context(|| format!("deleting {id}"))?;
        }
    }
    Ok(())
}

fn rfc3339_after(d: Duration) -> String {
    let t = chrono::Utc::now() + chrono::Duration::from_std(d).unwrap_or_default();
    t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

/// Parses a CLI duration: `10s`, `1.5m`, `1h30m`, `2d`, `1w`.
fn parse_duration(s: &str) -> anyhow::Result<Duration> {
    let bad = || anyhow!("invalid duration {s:?} (e.g. 30s, 5m, 1h30m)");
    let mut total = 0f64;
    let mut rest = s.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let n_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let n: f64 = rest[..n_end].parse().map_err(|_| bad())?;
        rest = &rest[n_end..];
        let u_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        total += n * match &rest[..u_end] {
            "ns" => 1e-9,
            "us" | "u" | "µs" | "µ" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86400.0,
            "w" => 604800.0,
            _ => return Err(bad()),
        };
        rest = &rest[u_end..];
    }
    Ok(Duration::from_secs_f64(total))
}

/// Polls a recording or replay until it stops running, showing progress
/// on stderr; fails with its error when it failed.
async fn wait(c: &Client, what: &str, path: &str) -> anyhow::Result<Value> {
    let mut stderr = std::io::stderr();
    loop {
        let v = c.get(path).await?;
        let status = s(&v, "status");
        if status != "running" {
            let _ = writeln!(stderr, "\r{what} {}: {status}            ", s(&v, "id"));
            if status == "failed" {
                bail!("{what} {} failed: {}", s(&v, "id"), s(&v, "error"));
            }
            return Ok(v);
        }
        let pct = v["progress"].as_f64().unwrap_or(0.0) * 100.0;
        let _ = write!(stderr, "\r{what} {}: {pct:.0}%", s(&v, "id"));
        let _ = stderr.flush();
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn record(c: &Client, args: &[String]) -> anyhow::Result<()> {
    let Some((kind, rest)) = args.split_first() else {
        bail!("usage: record (stream|batch|query) …");
    };
    let f = Flags::parse(
        rest,
        &[
            "task",
            "duration",
            "past",
            "start",
            "stop",
            "recording-id",
            "query",
            "type",
            "cluster",
        ],
        &["no-wait"],
    )?;
    let mut body = serde_json::Map::new();
    if let Some(id) = f.get("recording-id") {
        body.insert("id".into(), id.into());
    }
    let need = |name: &str| -> anyhow::Result<String> {
        f.get(name)
            .map(str::to_string)
            .ok_or_else(|| anyhow!("must provide -{name}"))
    };
    match kind.as_str() {
        "stream" => {
            body.insert("task".into(), need("task")?.into());
            let d = parse_duration(&need("duration")?)?;
            body.insert("stop".into(), rfc3339_after(d).into());
        }
        "batch" => {
            body.insert("task".into(), need("task")?.into());
            batch_range(&f, &mut body)?;
        }
        "query" => {
            body.insert("query".into(), need("query")?.into());
            body.insert("type".into(), need("type")?.into());
            if let Some(cl) = f.get("cluster") {
                body.insert("cluster".into(), cl.into());
            }
        }
        other => bail!("cannot record {other:?}: expected stream, batch or query"),
    }
    let (_, r) = c
        .send(
            Method::POST,
            &format!("/kapacitor/v1/recordings/{kind}"),
            Some(&Value::Object(body)),
        )
        .await?;
    let id = s(&r, "id").to_string();
    if !f.on("no-wait") {
        wait(
            c,
            "recording",
            &format!("/kapacitor/v1/recordings/{}", enc(&id)),
        )
        .await?;
    }
    println!("{id}");
    Ok(())
}

fn batch_range(f: &Flags, body: &mut serde_json::Map<String, Value>) -> anyhow::Result<()> {
    match (f.get("past"), f.get("start")) {
        (Some(_), Some(_)) => bail!("-past and -start cannot be combined"),
        (Some(p), None) => {
            let d = parse_duration(p)?;
            body.insert("past".into(), (d.as_nanos() as i64).into());
        }
        (None, Some(s)) => {
            body.insert("start".into(), s.into());
        }
        (None, None) => bail!("must provide -past or -start"),
    }
    if let Some(s) = f.get("stop") {
        body.insert("stop".into(), s.into());
    }
    if let Some(cl) = f.get("cluster") {
        body.insert("cluster".into(), cl.into());
    }
    Ok(())
}

async fn replay(c: &Client, args: &[String]) -> anyhow::Result<()> {
    let f = Flags::parse(
        args,
        &["task", "recording", "replay-id"],
        &["real-clock", "rec-time", "no-wait"],
    )?;
    let task = f.get("task").ok_or_else(|| anyhow!("must provide -task"))?;
    let recording = f
        .get("recording")
        .ok_or_else(|| anyhow!("must provide -recording"))?;
    let mut body = json!({
        "task": task,
        "recording": recording,
        "clock": if f.on("real-clock") { "real" } else { "fast" },
        "recording-time": f.on("rec-time"),
    });
    if let Some(id) = f.get("replay-id") {
        body["id"] = id.into();
    }
    start_replay(c, "/kapacitor/v1/replays", &body, f.on("no-wait")).await
}

async fn start_replay(c: &Client, path: &str, body: &Value, no_wait: bool) -> anyhow::Result<()> {
    let (_, r) = c.send(Method::POST, path, Some(body)).await?;
    let id = s(&r, "id").to_string();
    if !no_wait {
        wait(c, "replay", &format!("/kapacitor/v1/replays/{}", enc(&id))).await?;
    }
    println!("{id}");
    Ok(())
}

async fn replay_live(c: &Client, args: &[String]) -> anyhow::Result<()> {
    let Some((kind, rest)) = args.split_first() else {
        bail!("usage: replay-live (batch|query) -task <TASK_ID> …");
    };
    let f = Flags::parse(
        rest,
        &[
            "task",
            "past",
            "start",
            "stop",
            "query",
            "cluster",
            "replay-id",
        ],
        &["real-clock", "rec-time", "no-wait"],
    )?;
    let task = f.get("task").ok_or_else(|| anyhow!("must provide -task"))?;
    let mut body = serde_json::Map::new();
    body.insert("task".into(), task.into());
    body.insert(
        "clock".into(),
        if f.on("real-clock") { "real" } else { "fast" }.into(),
    );
    body.insert("recording-time".into(), f.on("rec-time").into());
    if let Some(id) = f.get("replay-id") {
        body.insert("id".into(), id.into());
    }
    match kind.as_str() {
        "batch" => batch_range(&f, &mut body)?,
        "query" => {
            let q = f
                .get("query")
                .ok_or_else(|| anyhow!("must provide -query"))?;
            body.insert("query".into(), q.into());
            if let Some(cl) = f.get("cluster") {
                body.insert("cluster".into(), cl.into());
            }
        }
        other => bail!("cannot replay-live {other:?}: expected batch or query"),
    }
    start_replay(
        c,
        &format!("/kapacitor/v1/replays/{kind}"),
        &Value::Object(body),
        f.on("no-wait"),
    )
    .await
}

async fn service_tests(c: &Client, args: &[String]) -> anyhow::Result<()> {
    let f = Flags::parse(args, &[], &[])?;
    let v = c.get("/kapacitor/v1/service-tests").await?;
    let names: Vec<String> = v["services"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| s(t, "name").to_string())
        .filter(|n| matches_any(&f.positional, n))
        .collect();
    let mut out = format!("{:<20}{:<10}{}\n", "Service", "Success", "Message");
    for name in names {
        let r = c
            .send(
                Method::POST,
                &format!("/kapacitor/v1/service-tests/{}", enc(&name)),
                Some(&json!({})),
            )
            .await?
            .1;
        out.push_str(&format!(
            "{:<20}{:<10}{}\n",
            name,
            r["success"].as_bool().unwrap_or(false),
            s(&r, "message")
        ));
    }
    print!("{out}");
    Ok(())
}

async fn stats(c: &Client, args: &[String]) -> anyhow::Result<()> {
    let f = Flags::parse(args, &[], &[])?;
    match f.positional.first().map(String::as_str) {
        Some("general") => {
            let v = c.get("/kapacitor/v1/debug/vars").await?;
            let rows = [
                ("ClusterID:", s(&v, "cluster_id").to_string()),
                ("ServerID:", s(&v, "server_id").to_string()),
                ("Host:", s(&v, "host").to_string()),
                ("Tasks:", v["num_tasks"].to_string()),
                ("Enabled Tasks:", v["num_enabled_tasks"].to_string()),
                ("Subscriptions:", v["num_subscriptions"].to_string()),
                ("Version:", s(&v, "version").to_string()),
            ];
            for (k, val) in rows {
                println!("{k:<30}{val}");
            }
            Ok(())
        }
        Some("ingress") => bail!("not supported yet: stats ingress"),
        _ => bail!("usage: stats (general|ingress)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn go_style_flags() {
        let f = Flags::parse(
            &v(&[
                "cpu",
                "-tick",
                "a.tick",
                "-dbrp=db.rp",
                "--dbrp",
                "x.y",
                "-no-reload",
            ]),
            &["tick", "dbrp"],
            &["no-reload"],
        )
        .unwrap();
        assert_eq!(f.positional, v(&["cpu"]));
        assert_eq!(f.get("tick"), Some("a.tick"));
        assert_eq!(f.all("dbrp"), v(&["db.rp", "x.y"]).as_slice());
        assert!(f.on("no-reload"));
        let e = Flags::parse(&v(&["-bogus"]), &[], &[]).unwrap_err();
        assert_eq!(e.to_string(), "flag provided but not defined: -bogus");
        assert!(Flags::parse(&v(&["-tick"]), &["tick"], &[]).is_err());
    }

    #[test]
    fn dbrps() {
        assert_eq!(
            parse_dbrp("\"telegraf\".\"autogen\"").unwrap(),
            json!({"db": "telegraf", "rp": "autogen"})
        );
        assert_eq!(
            parse_dbrp("db.rp").unwrap(),
            json!({"db": "db", "rp": "rp"})
        );
        assert_eq!(
            parse_dbrp("\"my.db\".autogen").unwrap(),
            json!({"db": "my.db", "rp": "autogen"})
        );
        assert!(parse_dbrp("nodot").is_err());
        assert!(parse_dbrp("a.b.c").is_err());
    }

    #[test]
    fn formats() {
        assert_eq!(human_bytes(23), "23 B");
        assert_eq!(human_bytes(998), "998 B");
        assert_eq!(human_bytes(1000), "1.0 kB");
        assert_eq!(human_bytes(3200), "3.2 kB");
        assert_eq!(human_bytes(12_345), "12 kB");
        assert_eq!(short_date("2026-11-26T08:05:00.5Z"), "26 Nov 26 08:05 UTC");
        assert!(glob("cpu*", "cpu_alert"));
        assert!(!glob("cpu*", "mem"));
        assert!(glob("c?u", "cpu"));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert!(parse_duration("soon").is_err());
        assert_eq!(
            dbrps_text(&json!([{"db": "telegraf", "rp": "autogen"}])),
            "[\"telegraf\".\"autogen\"]"
        );
    }
}

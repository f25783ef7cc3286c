//! `httpPost`: POSTs each point or batch to a URL — given as the node's
//! argument or by a `[[httppost]]` endpoint (`.endpoint('name')`) — as
//! Kapacitor's result JSON (`{"series": [...]}`) or as the endpoint's row
//! template. A URL with `{{ }}` is itself a row template (Kapacitor's
//! `httpPost('http://x/?host={{index .Tags "host"}}')`).
//!
//! Requests go through the alert service's delivery worker, except with
//! `.codeField('name')`: then each request is made before the data moves
//! on, and its status code (0 when the request failed below HTTP) is added
//! to every point as that field.

use std::collections::BTreeMap;
use std::sync::{mpsc, Arc};

use super::{args, Node, NodeCtx, NodeError};
use crate::alert::handlers::httppost::{self, BasicAuth};
use crate::alert::service::{send_post, HttpPostJob};
use crate::alert::template::{TValue, Template};
use crate::model::{FieldValue, Msg, Point};
use crate::tick::pipeline::NodeDef;
use crate::tick::TickError;

/// Where the node posts to.
enum Url {
    Fixed(String),
    Template(Arc<Template>),
}

/// The `httpPost` node.
pub struct HttpPostNode {
    url: Url,
    headers: BTreeMap<String, String>,
    basic_auth: Option<BasicAuth>,
    row_template: Option<Arc<Template>>,
    timeout: i64,
    capture_response: bool,
    code_field: Option<String>,
    poster: Option<SyncPoster>,
}

impl HttpPostNode {
    /// Builds from `httpPost(['url'])` and `.endpoint()`, `.header()`,
    /// `.timeout()`, `.captureResponse()`, `.codeField()`.
    pub fn new(def: &NodeDef) -> Result<Self, TickError> {
        if def.args.len() > 1 {
            return Err(TickError::at(def.pos, "httpPost expects 0 or 1 arguments"));
        }
        let mut endpoint = None;
        let mut headers = BTreeMap::new();
        let mut timeout = 10_000_000_000;
        let mut capture_response = false;
        let mut code_field = None;
        for p in &def.props {
            match p.name.as_str() {
                "endpoint" => {
                    args::count(&p.args, 1, p.pos, "endpoint")?;
                    if endpoint.is_some() || !def.args.is_empty() {
                        return Err(TickError::at(
                            p.pos,
                            "httpPost: only one url or endpoint may be given",
                        ));
                    }
                    let name = args::string(&p.args[0], "endpoint")?;
                    let e = httppost::global()
                        .get(&name)
                        .ok_or_else(|| {
                            TickError::at(p.pos, format!("endpoint '{name}' does not exist"))
                        })?
                        .resolve()
                        .map_err(|e| TickError::at(p.pos, e))?;
                    endpoint = Some(e);
                }
                "header" => {
                    args::count(&p.args, 2, p.pos, "header")?;
                    headers.insert(
                        args::string(&p.args[0], "header")?,
                        args::string(&p.args[1], "header")?,
                    );
                }
                "timeout" => {
                    timeout = args::duration(args::get(&p.args, 0, p.pos, "timeout")?, "timeout")?
                }
                "captureResponse" => capture_response = args::flag(p)?,
                "codeField" => {
                    args::count(&p.args, 1, p.pos, "codeField")?;
                    code_field = Some(args::string(&p.args[0], "codeField")?);
                }
                other => {
                    return Err(TickError::at(
                        p.pos,
                        format!("not supported yet: {} .{other}()", def.kind),
                    ))
                }
            }
        }
        let (url_text, url_pos, basic_auth, row_template) = match (def.args.first(), endpoint) {
            (Some(a), None) => (args::string(a, "url")?, a.pos, None, None),
            (None, Some(e)) => {
                // The endpoint's headers, under the node's own.
                for (k, v) in e.headers {
                    headers.entry(k).or_insert(v);
                }
                (e.url, def.pos, e.basic_auth, e.row_template)
            }
            _ => {
                return Err(TickError::at(
                    def.pos,
                    "httpPost: give a url or an .endpoint()",
                ))
            }
        };
        if !httppost::valid_url(&url_text) {
            return Err(TickError::at(
                url_pos,
                format!("httpPost: invalid url {url_text:?}"),
            ));
        }
        let url = if url_text.contains("{{") {
            let t = Template::parse(&url_text)
                .map_err(|e| TickError::at(url_pos, format!("httpPost url: {e}")))?;
            Url::Template(Arc::new(t))
        } else {
            Url::Fixed(url_text)
        };
        let poster = match code_field {
            Some(_) => Some(SyncPoster::start().map_err(|e| TickError::at(def.pos, e))?),
            None => None,
        };
        Ok(HttpPostNode {
            url,
            headers,
            basic_auth,
            row_template,
            timeout,
            capture_response,
            code_field,
            poster,
        })
    }

    /// The request for one message.
    fn job(&self, msg: &Msg) -> Result<HttpPostJob, NodeError> {
        let needs_row = self.row_template.is_some() || matches!(self.url, Url::Template(_));
        let row = needs_row.then(|| row_data(msg));
        let render = |t: &Template, what: &str| {
            t.execute(row.as_ref().unwrap_or(&TValue::Nil))
                .map_err(|e| NodeError(format!("httpPost {what}: {e}")))
        };
        let url = match &self.url {
            Url::Fixed(u) => u.clone(),
            Url::Template(t) => render(t, "url")?,
        };
        let (body, json) = match &self.row_template {
            Some(t) => (render(t, "row template")?, false),
            None => (
                serde_json::json!({ "series": [crate::nodes::http_out::msg_json(msg)] })
                    .to_string(),
                true,
            ),
        };
        Ok(HttpPostJob {
            url,
            headers: self.headers.clone(),
            basic_auth: self.basic_auth.clone(),
            timeout: self.timeout,
            body,
            json,
            capture_response: self.capture_response,
        })
    }
}

impl Node for HttpPostNode {
    fn process(
        &mut self,
        ctx: &NodeCtx<'_>,
        mut msg: Msg,
        out: &mut Vec<Msg>,
    ) -> Result<(), NodeError> {
        let job = self.job(&msg)?;
        if let (Some(field), Some(poster)) = (&self.code_field, &self.poster) {
            let code = FieldValue::Int(i64::from(poster.post(job)));
            let set = |p: &mut Point| {
                Arc::make_mut(&mut p.fields).insert(field.as_str().into(), code.clone());
            };
            match &mut msg {
                Msg::Point(p) => set(p),
                Msg::Batch(b) => b.points.iter_mut().for_each(set),
            }
            out.push(msg);
            return Ok(());
        }
        let queued = ctx.services.alerts.post(job);
        out.push(msg);
        if !queued {
            return Err(NodeError(
                "httpPost: the delivery worker is not running".into(),
            ));
        }
        Ok(())
    }
}

/// Kapacitor's row template data: `.Name`, `.Tags`, and `.Values`, one map
/// per point holding `time` and the point's fields.
fn row_data(msg: &Msg) -> TValue {
    let (name, tags, points): (&str, _, Vec<&Point>) = match msg {
        Msg::Point(p) => (&p.name, &p.tags, vec![p]),
        Msg::Batch(b) => (&b.name, &b.tags, b.points.iter().collect()),
    };
    let values = points
        .iter()
        .map(|p| {
            let mut m: BTreeMap<String, TValue> = p
                .fields
                .iter()
                .map(|(k, v)| (k.to_string(), field_value(v)))
                .collect();
            m.insert("time".into(), TValue::Time(p.time));
            TValue::Map(m)
        })
        .collect();
    let mut row = BTreeMap::new();
    row.insert("Name".to_string(), TValue::Str(name.to_string()));
    row.insert(
        "Tags".to_string(),
        TValue::Map(
            tags.iter()
                .map(|(k, v)| (k.clone(), TValue::Str(v.clone())))
                .collect(),
        ),
    );
    row.insert("Values".to_string(), TValue::List(values));
    TValue::Map(row)
}

fn field_value(v: &FieldValue) -> TValue {
    match v {
        FieldValue::Float(f) => TValue::Float(*f),
        FieldValue::Int(i) => TValue::Int(*i),
        FieldValue::UInt(u) => i64::try_from(*u)
            .map(TValue::Int)
            .unwrap_or(TValue::Float(*u as f64)),
        FieldValue::Str(s) => TValue::Str(s.clone()),
        FieldValue::Bool(b) => TValue::Bool(*b),
    }
}

type PostRequest = (HttpPostJob, mpsc::SyncSender<u16>);

/// Makes requests one at a time and waits for them, on a thread of its own
/// with its own small runtime (the node runs inside the server's runtime,
/// where blocking on a future is not allowed). The thread ends with the node.
struct SyncPoster {
    tx: mpsc::Sender<PostRequest>,
}

impl SyncPoster {
    fn start() -> Result<SyncPoster, String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("httpPost: starting its runtime: {e}"))?;
        let (tx, rx) = mpsc::channel::<PostRequest>();
        std::thread::Builder::new()
            .name("httpPost-codeField".into())
            .spawn(move || {
                let client = reqwest::Client::new();
                while let Ok((job, reply)) = rx.recv() {
                    let (code, result) = rt.block_on(send_post(&client, &job));
                    if let Err(e) = result {
                        tracing::warn!(url = %job.url, error = %e, "httpPost failed");
                    }
                    let _ = reply.send(code);
                }
            })
            .map_err(|e| format!("httpPost: starting its thread: {e}"))?;
        Ok(SyncPoster { tx })
    }

    /// The status code of the request (0 when it could not be made).
    fn post(&self, job: HttpPostJob) -> u16 {
        let (reply, answer) = mpsc::sync_channel(1);
        if self.tx.send((job, reply)).is_err() {
            return 0;
        }
        answer.recv().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tick::pipeline::{Arg, Property, Value};
    use crate::tick::Pos;
    use serde_json::json;

    fn s(text: &str) -> Arg {
        Arg {
            value: Value::Str(text.into()),
            pos: Pos::default(),
        }
    }

    fn def(args: Vec<Arg>, props: Vec<(&str, Vec<Arg>)>) -> NodeDef {
        NodeDef {
            id: 2,
            kind: "httpPost".into(),
            args,
            props: props
                .into_iter()
                .map(|(name, args)| Property {
                    name: name.into(),
                    args,
                    pos: Pos::default(),
                })
                .collect(),
            parent: Some(1),
            others: vec![],
            pos: Pos::default(),
        }
    }

    fn point() -> Msg {
        let tags = [("host".to_string(), "a b".to_string())]
            .into_iter()
            .collect();
        let fields = [("value".to_string(), FieldValue::Float(2.5))]
            .into_iter()
            .collect();
        Msg::Point(Point::new("db", "rp", "cpu", tags, fields, 1_000_000_000))
    }

    #[test]
    fn endpoint_gives_url_headers_auth_and_row_template() {
        httppost::global()
            .add(
                json!({
                    "endpoint": "node-test-rows",
                    "url": "http://127.0.0.1:9/rows/{{index .Tags \"host\"}}",
                    "headers": {"Example": "endpoint", "Other": "endpoint"},
                    "basic-auth": {"username": "u", "password": "p"},
                    "row-template": "{{.Name}}{{range .Values}} {{index . \"value\"}}{{end}}",
                })
                .as_object()
                .unwrap(),
            )
            .unwrap();
        let n = HttpPostNode::new(&def(
            vec![],
            vec![
                ("endpoint", vec![s("node-test-rows")]),
                ("header", vec![s("Other"), s("node")]),
            ],
        ))
        .unwrap();
        let job = n.job(&point()).unwrap();
        assert_eq!(job.url, "http://127.0.0.1:9/rows/a b");
        assert_eq!(job.body, "cpu 2.5");
        assert!(!job.json);
        assert_eq!(job.headers["Example"], "endpoint");
        assert_eq!(job.headers["Other"], "node");
        assert_eq!(job.basic_auth.unwrap().username, "u");
    }

    #[test]
    fn plain_url_posts_the_result_json() {
        let n = HttpPostNode::new(&def(vec![s("http://x/top")], vec![])).unwrap();
        let job = n.job(&point()).unwrap();
        let body: serde_json::Value = serde_json::from_str(&job.body).unwrap();
        assert_eq!(body["series"][0]["name"], "cpu");
        assert!(job.json && job.basic_auth.is_none());
    }

    #[test]
    fn definition_errors() {
        let e = |d: NodeDef| HttpPostNode::new(&d).err().unwrap().to_string();
        assert!(e(def(vec![], vec![])).contains("give a url or an .endpoint()"));
        assert!(
            e(def(vec![], vec![("endpoint", vec![s("node-test-none")])]))
                .contains("endpoint 'node-test-none' does not exist")
        );
        assert!(e(def(vec![s("http://a"), s("http://b")], vec![]))
            .contains("httpPost expects 0 or 1 arguments"));
        assert!(e(def(vec![s("ftp://a")], vec![])).contains("invalid url"));
    }

    #[test]
    fn code_field_carries_the_status_code() {
        use std::io::{Read, Write};
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            for mut c in l.incoming().flatten().take(1) {
                let mut buf = [0u8; 4096];
                let _ = c.read(&mut buf);
                let _ = c.write_all(
                    b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        });
        let mut n = HttpPostNode::new(&def(
            vec![s(&format!("http://{addr}/x"))],
            vec![("codeField", vec![s("code")])],
        ))
        .unwrap();
        let job = n.job(&point()).unwrap();
        let poster = n.poster.take().unwrap();
        assert_eq!(poster.post(job.clone()), 201);
        // Nobody listens any more: the request fails below HTTP.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let dead = format!("http://{}/x", closed.local_addr().unwrap());
        drop(closed);
        assert_eq!(poster.post(HttpPostJob { url: dead, ..job }), 0);
    }
}

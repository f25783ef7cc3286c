//! `httpOut`: keeps the latest result per group for
//! `GET /kapacitor/v1/tasks/<task>/<endpoint>`.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;

use super::{args, Node, NodeCtx, NodeError};
use crate::engine::Services;
use crate::model::{format_time, Msg, Point};
use crate::tick::pipeline::NodeDef;
use crate::tick::TickError;

/// Latest series per group of one endpoint.
pub type Endpoint = Arc<Mutex<BTreeMap<String, serde_json::Value>>>;

/// The `httpOut` node.
pub struct HttpOutNode {
    results: Endpoint,
}

impl HttpOutNode {
    /// Builds from `httpOut('endpoint')` and registers the endpoint.
    pub fn new(def: &NodeDef, task: &str, services: &Arc<Services>) -> Result<Self, TickError> {
        args::count(&def.args, 1, def.pos, "httpOut")?;
        let name = args::string(&def.args[0], "endpoint")?;
        let results = Endpoint::default();
        services
            .http_outs
            .lock()
            .insert((task.to_string(), name), results.clone());
        Ok(HttpOutNode { results })
    }
}

/// Kapacitor's series JSON of points of one group: `{name, tags, columns, values}`.
pub fn series_json(name: &str, tags: &crate::model::Tags, points: &[&Point]) -> serde_json::Value {
    let mut columns = vec!["time".to_string()];
    for p in points {
        for k in p.fields.keys() {
            if !columns.iter().any(|c| **c == **k) {
                columns.push(k.to_string());
            }
        }
    }
    columns[1..].sort();
    let values: Vec<serde_json::Value> = points
        .iter()
        .map(|p| {
            let mut row = vec![serde_json::Value::String(format_time(p.time))];
            for c in &columns[1..] {
                row.push(
                    p.fields
                        .get(c)
                        .map(|v| v.to_json())
                        .unwrap_or(serde_json::Value::Null),
                );
            }
            serde_json::Value::Array(row)
        })
        .collect();
    let mut s = serde_json::Map::new();
    s.insert("name".into(), name.into());
    if !tags.is_empty() {
        s.insert(
            "tags".into(),
            serde_json::to_value(tags).unwrap_or_default(),
        );
    }
    s.insert("columns".into(), columns.into());
    s.insert("values".into(), values.into());
    serde_json::Value::Object(s)
}

/// A message as one series.
pub fn msg_json(msg: &Msg) -> serde_json::Value {
    match msg {
        Msg::Point(p) => series_json(&p.name, &p.tags, &[p]),
        Msg::Batch(b) => series_json(&b.name, &b.tags, &b.points.iter().collect::<Vec<_>>()),
    }
}

impl Node for HttpOutNode {
    fn process(&mut self, _: &NodeCtx<'_>, msg: Msg, out: &mut Vec<Msg>) -> Result<(), NodeError> {
        let json = msg_json(&msg);
        self.results.lock().insert(msg.group_id(), json);
        out.push(msg);
        Ok(())
    }
}

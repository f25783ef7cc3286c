//! `GET /kapacitor/v1/debug/vars`: Kapacitor's statistics document (what
//! Telegraf's `kapacitor` input reads): ids, task counts, and one `nodes`
//! entry per node and one `edges` entry per edge of every running task.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::KAPACITOR_VERSION;
use crate::AppState;

fn kind_of(node: &str) -> &str {
    node.trim_end_matches(|c: char| c.is_ascii_digit())
}

/// The handler.
pub async fn debug_vars(State(state): State<AppState>) -> Response {
    let k = &state.kapacitor;
    let (cluster_id, server_id) = (k.ids.0.clone(), k.ids.1.clone());
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into());
    let tasks = k.manager.list();
    let mut stats = serde_json::Map::new();
    let base = |extra: serde_json::Value| {
        let mut tags =
            serde_json::json!({ "cluster_id": cluster_id, "server_id": server_id, "host": host });
        if let (Some(t), Some(e)) = (tags.as_object_mut(), extra.as_object()) {
            t.extend(e.clone());
        }
        tags
    };
    for t in tasks.iter().filter(|t| t.executing) {
        let ty = &t.def.task_type;
        for (node, s, counters) in &t.node_stats {
            let mut values = serde_json::json!({
                "avg_exec_time_ns": s.exec_ns.checked_div(s.collected).unwrap_or(0),
                "errors": s.errors,
            });
            if let Some(v) = values.as_object_mut() {
                for (name, n) in counters {
                    v.insert((*name).to_string(), (*n).into());
                }
            }
            stats.insert(
                format!("nodes:{}:{node}", t.def.id),
                serde_json::json!({
                    "name": "nodes",
                    "tags": base(serde_json::json!({ "task": t.def.id, "node": node, "kind": kind_of(node), "type": ty })),
                    "values": values,
                }),
            );
        }
        for (parent, child, n) in &t.edges {
            stats.insert(
                format!("edges:{}:{parent}:{child}", t.def.id),
                serde_json::json!({
                    "name": "edges",
                    "tags": base(serde_json::json!({ "task": t.def.id, "parent": parent, "child": child, "type": ty })),
                    "values": { "collected": n, "emitted": n },
                }),
            );
        }
    }
    Json(serde_json::json!({
        "cluster_id": cluster_id,
        "server_id": server_id,
        "host": host,
        "cmdline": std::env::args().collect::<Vec<_>>(),
        "kapacitor": stats,
        "num_enabled_tasks": tasks.iter().filter(|t| t.def.status == "enabled").count(),
        "num_subscriptions": 0,
        "num_tasks": tasks.len(),
        "product": "kapacitor",
        "version": KAPACITOR_VERSION,
    }))
    .into_response()
}

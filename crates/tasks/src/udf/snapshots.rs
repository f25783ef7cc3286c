//! Snapshots of UDF nodes by (task, node). A UDF node asks its agent for a
//! snapshot every [`SNAPSHOT_INTERVAL`] while it runs and once more when its
//! task stops; the next start of the same node restores the last one (as
//! Kapacitor does). They are kept in the task store, so they outlive a
//! restart of the server.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use parking_lot::Mutex;

use crate::store::Store;

/// How often a running UDF node is snapshotted (Kapacitor's
/// `[task] snapshot-interval` default).
pub const SNAPSHOT_INTERVAL: Duration = Duration::from_secs(60);

/// Store document kind of a snapshot.
const KIND: &str = "udf_snapshot";

/// The snapshots of one task manager's UDF nodes.
#[derive(Default)]
pub struct UdfSnapshots {
    snapshots: Mutex<HashMap<(String, String), Vec<u8>>>,
    store: OnceLock<Arc<dyn Store>>,
}

fn doc_id(task: &str, node: &str) -> String {
    format!("{task}/{node}")
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

impl UdfSnapshots {
    /// Keeps snapshots in `store` from now on, and loads those it holds.
    /// A store can be attached once.
    pub fn attach(&self, store: Arc<dyn Store>) -> Result<(), String> {
        let mut loaded = self.snapshots.lock();
        for doc in store.list(KIND)? {
            let field = |k: &str| doc.get(k).and_then(|v| v.as_str());
            match (
                field("task"),
                field("node"),
                field("snapshot").and_then(from_hex),
            ) {
                (Some(task), Some(node), Some(bytes)) => {
                    loaded.insert((task.to_string(), node.to_string()), bytes);
                }
                _ => tracing::warn!(doc = %doc, "stored UDF snapshot is malformed; ignored"),
            }
        }
        self.store
            .set(store)
            .map_err(|_| "UDF snapshots already have a store".to_string())
    }

    /// Keeps the latest snapshot of a node.
    pub fn save(&self, task: &str, node: &str, snapshot: Vec<u8>) {
        if let Some(store) = self.store.get() {
            let doc =
                serde_json::json!({"task": task, "node": node, "snapshot": to_hex(&snapshot)});
            if let Err(e) = store.put(KIND, &doc_id(task, node), &doc) {
                tracing::warn!(task = %task, node = %node, error = %e, "UDF snapshot not stored");
            }
        }
        self.snapshots
            .lock()
            .insert((task.to_string(), node.to_string()), snapshot);
    }

    /// The latest snapshot of a node, if any.
    pub fn get(&self, task: &str, node: &str) -> Option<Vec<u8>> {
        self.snapshots
            .lock()
            .get(&(task.to_string(), node.to_string()))
            .cloned()
    }

    /// Forgets the snapshots of a deleted task.
    pub fn remove_task(&self, task: &str) {
        let mut snapshots = self.snapshots.lock();
        let nodes: Vec<String> = snapshots
            .keys()
            .filter(|(t, _)| t == task)
            .map(|(_, n)| n.clone())
            .collect();
        for node in nodes {
            snapshots.remove(&(task.to_string(), node.clone()));
            if let Some(store) = self.store.get() {
                if let Err(e) = store.delete(KIND, &doc_id(task, &node)) {
                    tracing::warn!(task = %task, node = %node, error = %e, "UDF snapshot not deleted");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    #[test]
    fn snapshots_outlive_the_manager_through_the_store() {
        let store: Arc<dyn Store> = Arc::new(MemoryStore::default());
        let first = UdfSnapshots::default();
        first.attach(store.clone()).unwrap();
        first.save("t", "udf2", vec![0, 1, 0xfe, 0xff]);
        first.save("t", "udf2", b"latest".to_vec());
        first.save("other", "udf3", b"x".to_vec());

        let restarted = UdfSnapshots::default();
        restarted.attach(store.clone()).unwrap();
        assert_eq!(restarted.get("t", "udf2").unwrap(), b"latest");
        assert_eq!(restarted.get("other", "udf3").unwrap(), b"x");

        restarted.remove_task("t");
        assert_eq!(restarted.get("t", "udf2"), None);
        let again = UdfSnapshots::default();
        again.attach(store).unwrap();
        assert_eq!(again.get("t", "udf2"), None);
        assert_eq!(again.get("other", "udf3").unwrap(), b"x");
    }

    #[test]
    fn hex_round_trips() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(from_hex(&to_hex(&all)).unwrap(), all);
        assert_eq!(from_hex("abc"), None);
        assert_eq!(from_hex("zz"), None);
    }
}

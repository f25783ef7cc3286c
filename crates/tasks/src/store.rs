//! Persistence boundary: tasks, topics and handler specs are JSON documents
//! in a [`Store`] the server implements (Almanac keeps them in redb).

use std::collections::BTreeMap;

use parking_lot::Mutex;

/// A durable store of JSON documents by (kind, id).
pub trait Store: Send + Sync {
    /// Creates or replaces a document.
    fn put(&self, kind: &str, id: &str, doc: &serde_json::Value) -> Result<(), String>;
    /// Removes a document (no error when absent).
    fn delete(&self, kind: &str, id: &str) -> Result<(), String>;
    /// Every document of a kind, in id order.
    fn list(&self, kind: &str) -> Result<Vec<serde_json::Value>, String>;
}

/// An in-memory store (for tests and embedding without persistence).
#[derive(Debug, Default)]
pub struct MemoryStore {
    docs: Mutex<BTreeMap<(String, String), serde_json::Value>>,
}

impl Store for MemoryStore {
    fn put(&self, kind: &str, id: &str, doc: &serde_json::Value) -> Result<(), String> {
        self.docs
            .lock()
            .insert((kind.into(), id.into()), doc.clone());
        Ok(())
    }

    fn delete(&self, kind: &str, id: &str) -> Result<(), String> {
        self.docs.lock().remove(&(kind.to_string(), id.to_string()));
        Ok(())
    }

    fn list(&self, kind: &str) -> Result<Vec<serde_json::Value>, String> {
        Ok(self
            .docs
            .lock()
            .iter()
            .filter(|((k, _), _)| k == kind)
            .map(|(_, v)| v.clone())
            .collect())
    }
}

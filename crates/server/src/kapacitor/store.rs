//! Durable storage of Kapacitor documents (tasks, topics, handler specs):
//! a redb file `kapacitor.redb` in the data directory, one table mapping
//! `kind \0 id` to the document's JSON.

use std::path::Path;

use almanac_tasks::Store;
use redb::TableDefinition;

const DOCS: TableDefinition<&str, &[u8]> = TableDefinition::new("kapacitor_docs");

/// The redb-backed [`Store`].
pub struct RedbStore {
    db: redb::Database,
}

fn key(kind: &str, id: &str) -> String {
    format!("{kind}\0{id}")
}

impl RedbStore {
    /// Opens (or creates) `dir/kapacitor.redb`.
    pub fn open(dir: &Path) -> Result<RedbStore, String> {
        let path = dir.join("kapacitor.redb");
        let db = redb::Database::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let w = db.begin_write().map_err(|e| e.to_string())?;
        w.open_table(DOCS).map_err(|e| e.to_string())?;
        w.commit().map_err(|e| e.to_string())?;
        Ok(RedbStore { db })
    }
}

impl Store for RedbStore {
    fn put(&self, kind: &str, id: &str, doc: &serde_json::Value) -> Result<(), String> {
        let bytes = serde_json::to_vec(doc).map_err(|e| e.to_string())?;
        let w = self.db.begin_write().map_err(|e| e.to_string())?;
        {
            let mut t = w.open_table(DOCS).map_err(|e| e.to_string())?;
            t.insert(key(kind, id).as_str(), bytes.as_slice())
                .map_err(|e| e.to_string())?;
        }
        w.commit().map_err(|e| e.to_string())
    }

    fn delete(&self, kind: &str, id: &str) -> Result<(), String> {
        let w = self.db.begin_write().map_err(|e| e.to_string())?;
        {
            let mut t = w.open_table(DOCS).map_err(|e| e.to_string())?;
            t.remove(key(kind, id).as_str())
                .map_err(|e| e.to_string())?;
        }
        w.commit().map_err(|e| e.to_string())
    }

    fn list(&self, kind: &str) -> Result<Vec<serde_json::Value>, String> {
        let r = self.db.begin_read().map_err(|e| e.to_string())?;
        let t = r.open_table(DOCS).map_err(|e| e.to_string())?;
        let start = format!("{kind}\0");
        let end = format!("{kind}\u{1}");
        let mut out = Vec::new();
        for item in t
            .range(start.as_str()..end.as_str())
            .map_err(|e| e.to_string())?
        {
            let (_, v) = item.map_err(|e| e.to_string())?;
            out.push(serde_json::from_slice(v.value()).map_err(|e| e.to_string())?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = RedbStore::open(dir.path()).unwrap();
            s.put("task", "a", &serde_json::json!({"id": "a"})).unwrap();
            s.put("task", "b", &serde_json::json!({"id": "b"})).unwrap();
            s.put("topic", "a", &serde_json::json!({"id": "t"}))
                .unwrap();
            s.delete("task", "b").unwrap();
        }
        let s = RedbStore::open(dir.path()).unwrap();
        assert_eq!(
            s.list("task").unwrap(),
            vec![serde_json::json!({"id": "a"})]
        );
        assert_eq!(s.list("topic").unwrap().len(), 1);
    }
}

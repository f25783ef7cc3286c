//! Files that snapshots still read outlive their removal from the manifest.
//!
//! Compaction, retention and drops take files out of the manifest and
//! delete them. A query that took its snapshot just before would then open
//! a file that no longer exists. Each snapshot leases the files it names
//! (taken under the manifest lock, so a file is either leased or already
//! gone from the snapshot's view), and a file removed while leased is
//! deleted when its last lease ends.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::Mutex;

/// Lease counts and the removals waiting for them.
#[derive(Debug, Default)]
pub struct FileLeases {
    state: Mutex<LeaseState>,
}

#[derive(Debug, Default)]
struct LeaseState {
    /// Live leases per file id.
    counts: HashMap<u64, usize>,
    /// Files removed from the manifest while leased: deleted on release.
    doomed: HashMap<u64, PathBuf>,
}

/// A snapshot's hold on its files; ends when dropped.
#[derive(Debug)]
pub struct Lease {
    leases: Arc<FileLeases>,
    ids: Vec<u64>,
}

impl FileLeases {
    /// Leases `ids` (call with the manifest locked).
    pub fn lease(self: &Arc<Self>, ids: Vec<u64>) -> Lease {
        let mut state = self.state.lock();
        for id in &ids {
            *state.counts.entry(*id).or_default() += 1;
        }
        Lease {
            leases: self.clone(),
            ids,
        }
    }

    /// Deletes file `id` at `path` now, or when its last lease ends.
    pub fn remove(&self, id: u64, path: PathBuf) {
        {
            let mut state = self.state.lock();
            if state.counts.contains_key(&id) {
                state.doomed.insert(id, path);
                return;
            }
        }
        delete(&path);
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let mut released = Vec::new();
        {
            let mut state = self.leases.state.lock();
            for id in &self.ids {
                if let Some(count) = state.counts.get_mut(id) {
                    *count -= 1;
                    if *count == 0 {
                        state.counts.remove(id);
                        if let Some(path) = state.doomed.remove(id) {
                            released.push(path);
                        }
                    }
                }
            }
        }
        for path in released {
            delete(&path);
        }
    }
}

fn delete(path: &std::path::Path) {
    if let Err(e) = std::fs::remove_file(path) {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(path = %path.display(), error = %e, "could not remove file");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leased_files_are_deleted_when_the_last_lease_ends() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, b"a").unwrap();
        std::fs::write(&b, b"b").unwrap();
        let leases = Arc::new(FileLeases::default());
        let first = leases.lease(vec![1]);
        let second = leases.lease(vec![1]);
        leases.remove(1, a.clone());
        leases.remove(2, b.clone());
        assert!(a.exists(), "leased file deleted");
        assert!(!b.exists(), "unleased file kept");
        drop(first);
        assert!(a.exists());
        drop(second);
        assert!(!a.exists());
        assert!(leases.state.lock().counts.is_empty());
    }
}

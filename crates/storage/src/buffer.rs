//! The in-memory write buffer: one [`PartitionBuffer`] per
//! (database, retention policy, measurement, time partition).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use arrow::array::RecordBatch;
use parking_lot::Mutex;

use crate::chunk::Chunk;
use crate::delete::{apply_deletes, DeletePredicate};
use crate::error::StorageError;
use crate::PartitionKey;

/// A chunk that takes no more writes and waits to be persisted.
#[derive(Debug)]
pub struct Frozen {
    /// Unique id within the process.
    pub id: u64,
    chunk: Option<Chunk>,
    sorted: OnceLock<RecordBatch>,
    /// Largest WAL sequence number of its rows.
    pub max_seq: u64,
    /// Smallest WAL sequence number of its rows.
    pub min_seq: u64,
    /// Approximate memory use.
    pub bytes: usize,
}

impl Frozen {
    /// The rows sorted by (tags, time) and deduplicated; computed once.
    pub fn sorted(&self) -> Result<RecordBatch, StorageError> {
        if let Some(b) = self.sorted.get() {
            return Ok(b.clone());
        }
        let chunk = self
            .chunk
            .as_ref()
            .expect("unsorted frozen chunks keep their rows");
        let batch = chunk.sorted_record_batch()?;
        Ok(self.sorted.get_or_init(|| batch).clone())
    }
}

/// Buffered rows of one partition.
#[derive(Debug)]
pub struct PartitionBuffer {
    live: Chunk,
    live_version: u64,
    live_sorted: Option<(u64, RecordBatch)>,
    frozen: Vec<Arc<Frozen>>,
    /// When the live chunk got its first row.
    pub live_since: Option<Instant>,
}

impl PartitionBuffer {
    fn new() -> Self {
        PartitionBuffer {
            live: Chunk::new(),
            live_version: 0,
            live_sorted: None,
            frozen: Vec::new(),
            live_since: None,
        }
    }

    fn bytes(&self) -> usize {
        self.live.memory_bytes() + self.frozen.iter().map(|f| f.bytes).sum::<usize>()
    }
}

/// What a query sees of one buffered partition: sorted batches, oldest first.
#[derive(Debug, Clone)]
pub struct BufferedPartition {
    /// The partition.
    pub key: PartitionKey,
    /// Sorted, deduplicated batches; later ones win over earlier ones.
    pub batches: Vec<RecordBatch>,
}

/// Statistics about one partition, for the persistence policy.
#[derive(Debug, Clone)]
pub struct PartitionStat {
    /// The partition.
    pub key: PartitionKey,
    /// Rows in the live chunk.
    pub live_rows: usize,
    /// Memory used (live and frozen).
    pub bytes: usize,
    /// When the live chunk got its first row.
    pub live_since: Option<Instant>,
    /// Frozen chunks waiting to be persisted.
    pub frozen: usize,
}

/// The write buffer.
#[derive(Debug, Default)]
pub struct Buffer {
    partitions: Mutex<HashMap<PartitionKey, Arc<Mutex<PartitionBuffer>>>>,
    bytes: AtomicUsize,
    next_frozen_id: AtomicU64,
}

impl Buffer {
    /// Approximate memory held by all buffered rows.
    pub fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Relaxed)
    }

    fn partition(&self, key: &PartitionKey) -> Arc<Mutex<PartitionBuffer>> {
        self.partitions
            .lock()
            .entry(key.clone())
            .or_insert_with(|| Arc::new(Mutex::new(PartitionBuffer::new())))
            .clone()
    }

    fn existing(&self, key: &PartitionKey) -> Option<Arc<Mutex<PartitionBuffer>>> {
        self.partitions.lock().get(key).cloned()
    }

    /// Appends `chunk` (whose rows carry `seq`) to the partition's live chunk.
    pub fn apply(&self, key: &PartitionKey, chunk: &Chunk) {
        self.apply_with(key, |live| live.append(chunk));
    }

    /// Appends `chunk` to the live chunk of `key` as written by WAL record `seq`.
    pub fn apply_at(&self, key: &PartitionKey, chunk: &Chunk, seq: u64) {
        self.apply_with(key, |live| live.append_at(chunk, seq));
    }

    fn apply_with(&self, key: &PartitionKey, append: impl FnOnce(&mut Chunk)) {
        let partition = self.partition(key);
        let mut p = partition.lock();
        let before = p.live.memory_bytes();
        append(&mut p.live);
        p.live_version += 1;
        if p.live_since.is_none() {
            p.live_since = Some(Instant::now());
        }
        let after = p.live.memory_bytes();
        self.bytes.fetch_add(after - before, Ordering::Relaxed);
    }

    /// Freezes the live chunk of `key` (if it has rows); returns the frozen chunk.
    pub fn freeze(&self, key: &PartitionKey) -> Option<Arc<Frozen>> {
        let partition = self.existing(key)?;
        let mut p = partition.lock();
        if p.live.is_empty() {
            return None;
        }
        let chunk = std::mem::replace(&mut p.live, Chunk::new());
        let sorted = OnceLock::new();
        if let Some((version, batch)) = p.live_sorted.take() {
            if version == p.live_version {
                let _ = sorted.set(batch);
            }
        }
        p.live_version += 1;
        p.live_since = None;
        let frozen = Arc::new(Frozen {
            id: self.next_frozen_id.fetch_add(1, Ordering::Relaxed),
            min_seq: chunk.min_seq,
            max_seq: chunk.max_seq,
            bytes: chunk.memory_bytes(),
            chunk: Some(chunk),
            sorted,
        });
        p.frozen.push(frozen.clone());
        Some(frozen)
    }

    /// Forgets a frozen chunk once it is persisted.
    pub fn release(&self, key: &PartitionKey, frozen_id: u64) {
        let Some(partition) = self.existing(key) else {
            return;
        };
        let mut p = partition.lock();
        if let Some(pos) = p.frozen.iter().position(|f| f.id == frozen_id) {
            let f = p.frozen.remove(pos);
            self.bytes.fetch_sub(f.bytes, Ordering::Relaxed);
        }
        if p.live.is_empty() && p.frozen.is_empty() {
            drop(p);
            let mut map = self.partitions.lock();
            if let Some(current) = map.get(key) {
                let current = current.lock();
                if current.live.is_empty() && current.frozen.is_empty() {
                    drop(current);
                    map.remove(key);
                }
            }
        }
    }

    /// Adds to `out` the columns with values in the partitions `select` picks.
    pub fn columns_where(
        &self,
        select: impl Fn(&PartitionKey) -> bool,
        out: &mut std::collections::BTreeSet<String>,
    ) {
        let partitions: Vec<_> = self
            .partitions
            .lock()
            .iter()
            .filter(|(k, _)| select(k))
            .map(|(_, p)| p.clone())
            .collect();
        for p in partitions {
            let p = p.lock();
            if !p.live.is_empty() {
                out.extend(p.live.present_columns());
            }
            for f in &p.frozen {
                if let Ok(b) = f.sorted() {
                    out.extend(crate::present_columns(&b));
                }
            }
        }
    }

    /// Per-partition statistics.
    pub fn stats(&self) -> Vec<PartitionStat> {
        let partitions: Vec<_> = self
            .partitions
            .lock()
            .iter()
            .map(|(k, p)| (k.clone(), p.clone()))
            .collect();
        partitions
            .into_iter()
            .map(|(key, p)| {
                let p = p.lock();
                PartitionStat {
                    key,
                    live_rows: p.live.len(),
                    bytes: p.bytes(),
                    live_since: p.live_since,
                    frozen: p.frozen.len(),
                }
            })
            .collect()
    }

    /// Smallest WAL sequence number of any buffered row, if any.
    pub fn min_seq(&self) -> Option<u64> {
        let partitions: Vec<_> = self.partitions.lock().values().cloned().collect();
        partitions
            .iter()
            .filter_map(|p| {
                let p = p.lock();
                let live = (!p.live.is_empty()).then_some(p.live.min_seq);
                live.into_iter()
                    .chain(p.frozen.iter().map(|f| f.min_seq))
                    .min()
            })
            .min()
    }

    /// Sorted batches of the partitions selected by `filter`.
    pub fn snapshot(
        &self,
        filter: impl Fn(&PartitionKey) -> bool,
    ) -> Result<Vec<BufferedPartition>, StorageError> {
        let selected: Vec<_> = self
            .partitions
            .lock()
            .iter()
            .filter(|(k, _)| filter(k))
            .map(|(k, p)| (k.clone(), p.clone()))
            .collect();
        let mut out = Vec::with_capacity(selected.len());
        for (key, partition) in selected {
            let (frozen, live) = {
                let p = partition.lock();
                let live = match &p.live_sorted {
                    Some((v, batch)) if *v == p.live_version => Ok(batch.clone()),
                    _ if p.live.is_empty() => Err(None),
                    // A copy taken under the lock, sorted outside it.
                    _ => Err(Some((p.live_version, Box::new(p.live.clone())))),
                };
                (p.frozen.clone(), live)
            };
            let mut batches = Vec::with_capacity(frozen.len() + 1);
            for f in &frozen {
                batches.push(f.sorted()?);
            }
            match live {
                Ok(batch) => batches.push(batch),
                Err(None) => {}
                Err(Some((version, unsorted))) => {
                    let sorted = unsorted.sorted_record_batch()?;
                    drop(unsorted);
                    let mut p = partition.lock();
                    if p.live_version == version {
                        p.live_sorted = Some((version, sorted.clone()));
                    }
                    batches.push(sorted);
                }
            }
            if !batches.is_empty() {
                out.push(BufferedPartition { key, batches });
            }
        }
        Ok(out)
    }

    /// Applies a delete to every buffered partition it touches: the live
    /// chunk is frozen and all frozen chunks are filtered.
    pub fn delete(&self, predicate: &DeletePredicate) -> Result<(), StorageError> {
        let keys: Vec<PartitionKey> = self
            .partitions
            .lock()
            .keys()
            .filter(|k| predicate.touches(k))
            .cloned()
            .collect();
        for key in keys {
            self.freeze(&key);
            let Some(partition) = self.existing(&key) else {
                continue;
            };
            let frozen = partition.lock().frozen.clone();
            let mut replaced = Vec::with_capacity(frozen.len());
            for f in frozen {
                let filtered = apply_deletes(f.sorted()?, [predicate])?;
                let sorted = OnceLock::new();
                let bytes = filtered.get_array_memory_size();
                let _ = sorted.set(filtered);
                replaced.push(Arc::new(Frozen {
                    id: f.id,
                    chunk: None,
                    sorted,
                    max_seq: f.max_seq,
                    min_seq: f.min_seq,
                    bytes,
                }));
            }
            let mut p = partition.lock();
            for new in replaced {
                if let Some(slot) = p.frozen.iter_mut().find(|f| f.id == new.id) {
                    let old_bytes = slot.bytes;
                    self.bytes.fetch_add(new.bytes, Ordering::Relaxed);
                    self.bytes.fetch_sub(old_bytes, Ordering::Relaxed);
                    *slot = new;
                }
            }
        }
        Ok(())
    }

    /// Drops every partition `filter` selects (database or measurement drop, retention).
    pub fn drop_where(&self, filter: impl Fn(&PartitionKey) -> bool) {
        let mut map = self.partitions.lock();
        let doomed: Vec<PartitionKey> = map.keys().filter(|k| filter(k)).cloned().collect();
        for key in doomed {
            if let Some(p) = map.remove(&key) {
                let bytes = p.lock().bytes();
                self.bytes.fetch_sub(bytes, Ordering::Relaxed);
            }
        }
    }
}

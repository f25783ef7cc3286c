//! The manifest: which Parquet files hold which partition, and the
//! tombstones still to apply. Replaced atomically (write, fsync, rename).

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::delete::Tombstone;
use crate::error::StorageError;
use crate::prune::TagRange;
use crate::PartitionKey;

/// One immutable Parquet file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileMeta {
    /// Unique file id.
    pub id: u64,
    /// Path relative to the data directory.
    pub path: String,
    /// Smallest timestamp in the file.
    pub min_time: i64,
    /// Largest timestamp in the file.
    pub max_time: i64,
    /// Rows in the file.
    pub rows: u64,
    /// Size of the file in bytes.
    pub bytes: u64,
    /// Largest WAL sequence number of any row in the file.
    pub max_seq: u64,
    /// Columns with at least one value (`None` for files written before
    /// this was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<String>>,
    /// Smallest and largest value of each tag column, for pruning (`None`
    /// for files written before this was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag_ranges: Option<BTreeMap<String, TagRange>>,
}

/// The persisted state of one partition.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionFiles {
    /// Files, oldest first (later files win on duplicates).
    pub files: Vec<FileMeta>,
    /// Every write to this partition with a sequence number up to this one
    /// is in `files`; replay skips them.
    pub persisted_through: u64,
}

#[derive(Serialize, Deserialize)]
struct PartitionEntry {
    key: PartitionKey,
    #[serde(flatten)]
    files: PartitionFiles,
}

#[derive(Serialize, Deserialize, Default)]
struct ManifestFile {
    version: u64,
    next_file_id: u64,
    partitions: Vec<PartitionEntry>,
    tombstones: Vec<Tombstone>,
}

/// In-memory manifest with its file on disk.
#[derive(Debug, Clone, Default)]
pub struct Manifest {
    /// Incremented on every save.
    pub version: u64,
    /// Next file id to hand out.
    pub next_file_id: u64,
    /// Files per partition.
    pub partitions: BTreeMap<PartitionKey, PartitionFiles>,
    /// Deletes still to apply to older files.
    pub tombstones: Vec<Tombstone>,
}

/// File name of the manifest within the data directory.
pub const MANIFEST_FILE: &str = "manifest.json";

impl Manifest {
    /// Loads the manifest from `dir`, or an empty one when there is none.
    pub fn load(dir: &Path) -> Result<Manifest, StorageError> {
        let path = dir.join(MANIFEST_FILE);
        let text = match fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Manifest::default()),
            Err(e) => return Err(StorageError::io(&path, e)),
        };
        let file: ManifestFile =
            serde_json::from_slice(&text).map_err(|e| StorageError::Manifest {
                path: path.clone(),
                message: e.to_string(),
            })?;
        Ok(Manifest {
            version: file.version,
            next_file_id: file.next_file_id,
            partitions: file
                .partitions
                .into_iter()
                .map(|e| (e.key, e.files))
                .collect(),
            tombstones: file.tombstones,
        })
    }

    /// Writes the manifest to `dir` atomically and bumps its version.
    pub fn save(&mut self, dir: &Path) -> Result<(), StorageError> {
        self.version += 1;
        let file = ManifestFile {
            version: self.version,
            next_file_id: self.next_file_id,
            partitions: self
                .partitions
                .iter()
                .filter(|(_, f)| !f.files.is_empty() || f.persisted_through > 0)
                .map(|(k, f)| PartitionEntry {
                    key: k.clone(),
                    files: f.clone(),
                })
                .collect(),
            tombstones: self.tombstones.clone(),
        };
        let bytes = serde_json::to_vec(&file).map_err(|e| StorageError::Manifest {
            path: dir.join(MANIFEST_FILE),
            message: e.to_string(),
        })?;
        write_atomically(dir, MANIFEST_FILE, &bytes)
    }

    /// Hands out a new file id.
    pub fn allocate_file_id(&mut self) -> u64 {
        self.next_file_id += 1;
        self.next_file_id
    }

    /// The largest WAL sequence number the manifest refers to.
    pub fn max_seq(&self) -> u64 {
        let partitions = self.partitions.values().flat_map(|p| {
            std::iter::once(p.persisted_through).chain(p.files.iter().map(|f| f.max_seq))
        });
        let tombstones = self.tombstones.iter().map(|t| t.seq);
        partitions.chain(tombstones).max().unwrap_or(0)
    }

    /// Every file path the manifest references.
    pub fn file_paths(&self) -> impl Iterator<Item = &str> {
        self.partitions
            .values()
            .flat_map(|p| p.files.iter().map(|f| f.path.as_str()))
    }
}

/// Writes `name` in `dir` through a temporary file and a rename, with fsyncs.
pub fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), StorageError> {
    let tmp: PathBuf = dir.join(format!("{name}.tmp"));
    let target = dir.join(name);
    let mut f = fs::File::create(&tmp).map_err(|e| StorageError::io(&tmp, e))?;
    f.write_all(bytes).map_err(|e| StorageError::io(&tmp, e))?;
    f.sync_all().map_err(|e| StorageError::io(&tmp, e))?;
    drop(f);
    fs::rename(&tmp, &target).map_err(|e| StorageError::io(&target, e))?;
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StorageError::io(dir, e))
}

//! Errors of the storage engine.

use std::path::{Path, PathBuf};

/// Everything that can go wrong in storage.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A file operation failed; names the file.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory at fault.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The WAL could not make a write durable.
    #[error("write-ahead log: {0}")]
    Wal(String),
    /// Arrow computation failed.
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// Parquet encoding or decoding failed.
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// The catalog refused a change.
    #[error(transparent)]
    Catalog(#[from] almanac_catalog::CatalogError),
    /// The database does not exist.
    #[error("database not found: \"{0}\"")]
    DatabaseNotFound(String),
    /// The retention policy does not exist.
    #[error("retention policy not found: {0}")]
    RetentionPolicyNotFound(String),
    /// The manifest could not be read or written.
    #[error("manifest {path}: {message}")]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A WAL record could not be decoded.
    #[error("corrupt WAL record {seq}: {message}")]
    CorruptRecord {
        /// Sequence number of the record.
        seq: u64,
        /// What is wrong.
        message: String,
    },
    /// The engine is shutting down and takes no more writes.
    #[error("storage engine is shutting down")]
    ShuttingDown,
}

impl StorageError {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        StorageError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

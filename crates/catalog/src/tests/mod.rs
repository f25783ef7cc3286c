//! Tests of the catalog crate.

mod basics;
mod columns;
mod persistence;
mod props;
mod retention;

use std::path::PathBuf;

use crate::Catalog;

/// A fresh catalog in a temporary directory (kept alive by the returned guard).
pub(crate) fn temp_catalog() -> (tempfile::TempDir, PathBuf, Catalog) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("catalog.redb");
    let catalog = Catalog::open(&path).expect("open catalog");
    (dir, path, catalog)
}

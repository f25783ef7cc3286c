//! Tests of the catalog crate.

mod basics;
mod columns;
mod compat;
mod continuous_queries;
mod persistence;
mod props;
mod retention;
mod subscriptions;
mod users;
mod v2;

use std::path::{Path, PathBuf};

use crate::{Catalog, CatalogOptions, MIN_BCRYPT_COST};

/// A fresh catalog in a temporary directory (kept alive by the returned guard).
pub(crate) fn temp_catalog() -> (tempfile::TempDir, PathBuf, Catalog) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("catalog.redb");
    let catalog = Catalog::open(&path).expect("open catalog");
    (dir, path, catalog)
}

/// Options with the cheapest bcrypt cost, so tests that hash stay fast.
pub(crate) fn fast_options() -> CatalogOptions {
    CatalogOptions {
        bcrypt_cost: MIN_BCRYPT_COST,
    }
}

/// Like [`temp_catalog`], hashing passwords at the minimum bcrypt cost.
pub(crate) fn fast_catalog() -> (tempfile::TempDir, PathBuf, Catalog) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("catalog.redb");
    let catalog = Catalog::open_with_options(&path, fast_options()).expect("open catalog");
    (dir, path, catalog)
}

/// Reopens the catalog at `path` with [`fast_options`].
pub(crate) fn reopen_fast(path: &Path) -> Catalog {
    Catalog::open_with_options(path, fast_options()).expect("reopen catalog")
}

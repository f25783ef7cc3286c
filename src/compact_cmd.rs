//! `almanac compact`: rewrites every partition of a stopped server's data
//! directory as one compacted file (ZSTD, integer fields as restart deltas),
//! the form the server's own compaction gives partitions that collect many
//! files. Progress and sizes go to stderr, one line per partition.

use std::time::Instant;

use almanac_catalog::Catalog;
use almanac_storage::{PartitionKey, Storage};
use anyhow::Context;

use crate::config::{ServerArgs, Settings};

/// Flags of `almanac compact`.
#[derive(clap::Args, Debug)]
pub struct CompactArgs {
    /// TOML configuration file of the server (for its `data_dir`).
    #[arg(long, env = "ALMANAC_CONFIG")]
    config: Option<std::path::PathBuf>,
    /// The server's data directory [default: ./almanac-data].
    #[arg(long, env = "ALMANAC_DATA_DIR")]
    data_dir: Option<std::path::PathBuf>,
}

/// Bytes of a partition's files.
fn partition_bytes(storage: &Storage, key: &PartitionKey) -> (usize, u64) {
    storage.manifest().partitions.get(key).map_or((0, 0), |p| {
        (p.files.len(), p.files.iter().map(|f| f.bytes).sum())
    })
}

/// Runs `almanac compact`.
pub fn run(args: CompactArgs) -> anyhow::Result<()> {
    let settings = Settings::resolve(ServerArgs {
        config: args.config,
        data_dir: args.data_dir,
        ..ServerArgs::default()
    })?;
    let config = settings.server.storage;
    let dir = config.data_dir.clone();
    anyhow::ensure!(
        dir.join("catalog.redb").exists(),
        "{}: no Almanac data directory here (no catalog.redb)",
        dir.display()
    );
    let catalog = Catalog::open(&dir.join("catalog.redb")).with_context(|| {
        format!(
            "{}: cannot open the catalog (is a server running on this directory?)",
            dir.display()
        )
    })?;
    let storage = Storage::open(config, catalog)
        .with_context(|| format!("{}: cannot open the storage", dir.display()))?;
    // Rows only in the WAL go to Parquet first, so that they are compacted too.
    let persisted = storage.persist_all().context("persisting the WAL's rows")?;
    if persisted > 0 {
        eprintln!("persisted {persisted} partition(s) from the WAL");
    }
    let keys: Vec<PartitionKey> = storage
        .manifest()
        .partitions
        .iter()
        .filter(|(_, p)| !p.files.is_empty())
        .map(|(k, _)| k.clone())
        .collect();
    let started = Instant::now();
    let (mut before_total, mut after_total) = (0u64, 0u64);
    for (i, key) in keys.iter().enumerate() {
        let (files, before) = partition_bytes(&storage, key);
        let t0 = Instant::now();
        storage
            .compact_partition(key)
            .with_context(|| format!("compacting {} ({})", key.measurement, key.rp))?;
        let (_, after) = partition_bytes(&storage, key);
        before_total += before;
        after_total += after;
        eprintln!(
            "[{}/{}] db {} rp {} {} from {}: {files} file(s), {before} -> {after} bytes ({:.0} %), {:.1} s",
            i + 1,
            keys.len(),
            key.db_id,
            key.rp,
            key.measurement,
            format_time(key.start),
            100.0 * after as f64 / before.max(1) as f64,
            t0.elapsed().as_secs_f64()
        );
    }
    storage.shutdown().context("closing the storage")?;
    eprintln!(
        "compacted {} partition(s): {before_total} -> {after_total} bytes ({:.0} %) in {:.1} s",
        keys.len(),
        100.0 * after_total as f64 / before_total.max(1) as f64,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A partition start as RFC 3339.
fn format_time(ns: i64) -> String {
    chrono::DateTime::from_timestamp_nanos(ns).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

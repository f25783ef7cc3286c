//! Persistence of the catalog state in redb.
//!
//! Layout (all values JSON):
//! * `catalog_meta`: `&str → u64` — `format_version`, `next_database_id`, `version`.
//! * `catalog_databases`: `u64 (id) → {name, default_rp, retention_policies, subscriptions}`.
//! * `catalog_measurements`: `(u64 id, &str name) → {tags, fields}`.
//! * `catalog_users`: `&str name → {password_hash, admin, privileges, created_at_version}`.
//! * `catalog_continuous_queries`: `(u64 id, &str name) → {query, created_at_version}`.
//! * `catalog_v2`: `(&str kind, &str id) → JSON` — InfluxDB 2.x orgs, memberships, bucket
//!   metadata, DBRP mappings, authorizations (token hashes only), documents.
//!
//! The last two tables were added after format 1 was released without
//! changing the format: a file without them simply has no users and no
//! continuous queries (they are created empty on open).
//!
//! Splitting measurements into their own rows keeps a schema change a
//! single-row write however large the database is.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

use redb::{Database, ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::command::Write;
use crate::error::CatalogError;
use crate::types::{
    CatalogSnapshot, ContinuousQueryDef, DatabaseDef, FieldType, MeasurementSchema, RetentionPolicy,
};
use crate::users::{Privilege, UserDef};

const META: TableDefinition<&str, u64> = TableDefinition::new("catalog_meta");
const DATABASES: TableDefinition<u64, &[u8]> = TableDefinition::new("catalog_databases");
const MEASUREMENTS: TableDefinition<(u64, &str), &[u8]> =
    TableDefinition::new("catalog_measurements");

const USERS: TableDefinition<&str, &[u8]> = TableDefinition::new("catalog_users");
const CONTINUOUS_QUERIES: TableDefinition<(u64, &str), &[u8]> =
    TableDefinition::new("catalog_continuous_queries");

/// InfluxDB 2.x rows: (kind, id) → JSON (see `v2types::kinds`).
const V2_ROWS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("catalog_v2");

const KEY_FORMAT: &str = "format_version";
const KEY_NEXT_ID: &str = "next_database_id";
const KEY_VERSION: &str = "version";
const FORMAT_VERSION: u64 = 1;

/// redb page cache size; the catalog is small.
const CACHE_BYTES: usize = 16 * 1024 * 1024;

#[derive(Serialize, Deserialize)]
struct StoredDatabase {
    name: String,
    default_rp: String,
    retention_policies: Vec<RetentionPolicy>,
    /// Added without a format change: absent in older files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    subscriptions: Vec<crate::subscriptions::SubscriptionDef>,
}

#[derive(Deserialize)]
struct StoredMeasurement {
    tags: BTreeSet<String>,
    fields: BTreeMap<String, FieldType>,
}

/// Borrowing twin of [`StoredMeasurement`] for writing.
#[derive(Serialize)]
struct StoredMeasurementRef<'a> {
    tags: &'a BTreeSet<String>,
    fields: &'a BTreeMap<String, FieldType>,
}

#[derive(Deserialize)]
struct StoredUser {
    password_hash: String,
    admin: bool,
    #[serde(default)]
    privileges: BTreeMap<String, Privilege>,
    #[serde(default)]
    created_at_version: u64,
}

/// Borrowing twin of [`StoredUser`] for writing.
#[derive(Serialize)]
struct StoredUserRef<'a> {
    password_hash: &'a str,
    admin: bool,
    privileges: &'a BTreeMap<String, Privilege>,
    created_at_version: u64,
}

#[derive(Serialize, Deserialize)]
struct StoredContinuousQuery {
    query: String,
    #[serde(default)]
    created_at_version: u64,
}

fn corrupt(what: impl std::fmt::Display) -> CatalogError {
    CatalogError::Corrupt(what.to_string())
}

/// Opens (creating if needed) the redb file and loads the state.
pub(crate) fn open(path: &Path) -> Result<(Database, CatalogSnapshot), CatalogError> {
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent)?;
        }
    }
    let db = Database::builder()
        .set_cache_size(CACHE_BYTES)
        .create(path)?;
    let txn = db.begin_write()?;
    let snapshot = {
        let mut meta = txn.open_table(META)?;
        let format = meta.get(KEY_FORMAT)?.map(|v| v.value());
        match format {
            None => {
                meta.insert(KEY_FORMAT, FORMAT_VERSION)?;
                meta.insert(KEY_NEXT_ID, 1)?;
                meta.insert(KEY_VERSION, 0)?;
            }
            Some(FORMAT_VERSION) => {}
            Some(other) => {
                return Err(corrupt(format!(
                    "unsupported catalog format version {other} (expected {FORMAT_VERSION})"
                )))
            }
        }
        drop(meta);
        load(&txn)?
    };
    txn.commit()?;
    Ok((db, snapshot))
}

fn load(txn: &WriteTransaction) -> Result<CatalogSnapshot, CatalogError> {
    let meta = txn.open_table(META)?;
    let next_database_id = meta
        .get(KEY_NEXT_ID)?
        .map(|v| v.value())
        .ok_or_else(|| corrupt("missing next_database_id"))?;
    let version = meta.get(KEY_VERSION)?.map(|v| v.value()).unwrap_or(0);

    let mut defs: HashMap<u64, DatabaseDef> = HashMap::new();
    let databases = txn.open_table(DATABASES)?;
    for row in databases.iter()? {
        let (key, value) = row?;
        let id = key.value();
        let stored: StoredDatabase = serde_json::from_slice(value.value())
            .map_err(|e| corrupt(format!("database {id}: {e}")))?;
        let retention_policies = stored
            .retention_policies
            .into_iter()
            .map(|rp| (rp.name.clone(), rp))
            .collect();
        defs.insert(
            id,
            DatabaseDef {
                id,
                name: stored.name,
                default_rp: stored.default_rp,
                retention_policies,
                measurements: BTreeMap::new(),
                continuous_queries: BTreeMap::new(),
                subscriptions: stored.subscriptions,
            },
        );
    }
    let measurements = txn.open_table(MEASUREMENTS)?;
    for row in measurements.iter()? {
        let (key, value) = row?;
        let (id, name) = key.value();
        let stored: StoredMeasurement = serde_json::from_slice(value.value())
            .map_err(|e| corrupt(format!("measurement {name:?} of database {id}: {e}")))?;
        let db = defs
            .get_mut(&id)
            .ok_or_else(|| corrupt(format!("measurement {name:?} of unknown database {id}")))?;
        db.measurements.insert(
            name.to_string(),
            Arc::new(MeasurementSchema {
                name: name.to_string(),
                tags: stored.tags,
                fields: stored.fields,
            }),
        );
    }

    let continuous_queries = txn.open_table(CONTINUOUS_QUERIES)?;
    for row in continuous_queries.iter()? {
        let (key, value) = row?;
        let (id, name) = key.value();
        let stored: StoredContinuousQuery = serde_json::from_slice(value.value())
            .map_err(|e| corrupt(format!("continuous query {name:?} of database {id}: {e}")))?;
        let db = defs.get_mut(&id).ok_or_else(|| {
            corrupt(format!(
                "continuous query {name:?} of unknown database {id}"
            ))
        })?;
        db.continuous_queries.insert(
            name.to_string(),
            ContinuousQueryDef {
                name: name.to_string(),
                query: stored.query,
                created_at_version: stored.created_at_version,
            },
        );
    }

    let mut users = BTreeMap::new();
    let user_rows = txn.open_table(USERS)?;
    for row in user_rows.iter()? {
        let (key, value) = row?;
        let name = key.value();
        let stored: StoredUser = serde_json::from_slice(value.value())
            .map_err(|e| corrupt(format!("user {name:?}: {e}")))?;
        users.insert(
            name.to_string(),
            Arc::new(UserDef {
                name: name.to_string(),
                password_hash: stored.password_hash,
                admin: stored.admin,
                privileges: stored.privileges,
                created_at_version: stored.created_at_version,
            }),
        );
    }

    let mut v2 = crate::v2types::V2State::default();
    let v2_rows = txn.open_table(V2_ROWS)?;
    for row in v2_rows.iter()? {
        let (key, value) = row?;
        let (kind, id) = key.value();
        v2.load_row(kind, id, value.value())?;
    }

    let mut snapshot = CatalogSnapshot {
        next_database_id,
        version,
        users,
        v2,
        ..CatalogSnapshot::default()
    };
    for (id, db) in defs {
        if id >= next_database_id {
            return Err(corrupt(format!(
                "database id {id} not below next id {next_database_id}"
            )));
        }
        if snapshot.databases.contains_key(&db.name) {
            return Err(corrupt(format!("duplicate database name {:?}", db.name)));
        }
        snapshot.put_database(db);
    }
    Ok(snapshot)
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, CatalogError> {
    serde_json::to_vec(value).map_err(|e| CatalogError::Storage(format!("encoding: {e}")))
}

/// Writes the rows named by `writes` from `next` in one durable transaction.
pub(crate) fn persist(
    db: &Database,
    next: &CatalogSnapshot,
    writes: &[Write],
) -> Result<(), CatalogError> {
    let txn = db.begin_write()?;
    {
        let mut meta = txn.open_table(META)?;
        let mut databases = txn.open_table(DATABASES)?;
        let mut measurements = txn.open_table(MEASUREMENTS)?;
        let mut users = txn.open_table(USERS)?;
        let mut continuous_queries = txn.open_table(CONTINUOUS_QUERIES)?;
        let mut v2_rows = txn.open_table(V2_ROWS)?;
        for write in writes {
            match write {
                Write::Database(id) => {
                    let def = next
                        .database_by_id(*id)
                        .ok_or_else(|| CatalogError::Storage(format!("database {id} vanished")))?;
                    let stored = StoredDatabase {
                        name: def.name.clone(),
                        default_rp: def.default_rp.clone(),
                        retention_policies: def.retention_policies.values().cloned().collect(),
                        subscriptions: def.subscriptions.clone(),
                    };
                    databases.insert(*id, encode(&stored)?.as_slice())?;
                }
                Write::DeleteDatabase(id) => {
                    databases.remove(*id)?;
                    match id.checked_add(1) {
                        Some(end) => {
                            measurements.retain_in((*id, "")..(end, ""), |_, _| false)?;
                            continuous_queries.retain_in((*id, "")..(end, ""), |_, _| false)?;
                        }
                        None => {
                            measurements.retain_in((*id, "").., |_, _| false)?;
                            continuous_queries.retain_in((*id, "").., |_, _| false)?;
                        }
                    }
                }
                Write::Measurement(id, name) => {
                    let schema = next
                        .database_by_id(*id)
                        .and_then(|d| d.measurements.get(name))
                        .ok_or_else(|| {
                            CatalogError::Storage(format!("measurement {name:?} vanished"))
                        })?;
                    let stored = StoredMeasurementRef {
                        tags: &schema.tags,
                        fields: &schema.fields,
                    };
                    measurements.insert((*id, name.as_str()), encode(&stored)?.as_slice())?;
                }
                Write::DeleteMeasurement(id, name) => {
                    measurements.remove((*id, name.as_str()))?;
                }
                Write::User(name) => {
                    let user = next
                        .users
                        .get(name)
                        .ok_or_else(|| CatalogError::Storage(format!("user {name:?} vanished")))?;
                    let stored = StoredUserRef {
                        password_hash: &user.password_hash,
                        admin: user.admin,
                        privileges: &user.privileges,
                        created_at_version: user.created_at_version,
                    };
                    users.insert(name.as_str(), encode(&stored)?.as_slice())?;
                }
                Write::DeleteUser(name) => {
                    users.remove(name.as_str())?;
                }
                Write::ContinuousQuery(id, name) => {
                    let cq = next
                        .database_by_id(*id)
                        .and_then(|d| d.continuous_queries.get(name))
                        .ok_or_else(|| {
                            CatalogError::Storage(format!("continuous query {name:?} vanished"))
                        })?;
                    let stored = StoredContinuousQuery {
                        query: cq.query.clone(),
                        created_at_version: cq.created_at_version,
                    };
                    continuous_queries.insert((*id, name.as_str()), encode(&stored)?.as_slice())?;
                }
                Write::DeleteContinuousQuery(id, name) => {
                    continuous_queries.remove((*id, name.as_str()))?;
                }
                Write::V2(kind, id) => match next.v2.row(kind, id)? {
                    Some(bytes) => {
                        v2_rows.insert((*kind, id.as_str()), bytes.as_slice())?;
                    }
                    None => {
                        v2_rows.remove((*kind, id.as_str()))?;
                    }
                },
            }
        }
        meta.insert(KEY_NEXT_ID, next.next_database_id)?;
        meta.insert(KEY_VERSION, next.version)?;
    }
    txn.commit()?;
    Ok(())
}

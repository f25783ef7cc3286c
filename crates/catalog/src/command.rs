//! Catalog changes as data, and the one pure function that applies them.
//!
//! Every change to the catalog is a [`CatalogCommand`]. Applying a command to
//! a snapshot is deterministic (new database ids come from the snapshot's own
//! counter), so replaying the same command sequence on any replica yields the
//! same state.

use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize};

use crate::error::CatalogError;
use crate::types::ContinuousQueryDef;
use crate::types::{
    normalise_duration, normalised_shard_group_duration, CatalogSnapshot, DatabaseDef,
    FieldConflict, FieldType, MeasurementSchema, RetentionPolicy, RetentionPolicySpec,
    MIN_RETENTION_POLICY_DURATION_NS,
};
use crate::users::{Privilege, UserDef};
use crate::v2apply::V2Command;

/// One change to the catalog, serde-serializable so it can be logged and
/// replicated (serialize it with `serde_json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum CatalogCommand {
    /// CREATE DATABASE, optionally WITH a retention policy that becomes the default.
    CreateDatabase {
        /// Database name.
        name: String,
        /// Retention policy to create as default; `None` → "autogen".
        retention_policy: Option<RetentionPolicySpec>,
    },
    /// DROP DATABASE (no-op when absent).
    DropDatabase {
        /// Database name.
        name: String,
    },
    /// CREATE RETENTION POLICY.
    CreateRetentionPolicy {
        /// Database name.
        database: String,
        /// The policy to create.
        spec: RetentionPolicySpec,
        /// Make it the database's default policy.
        make_default: bool,
    },
    /// ALTER RETENTION POLICY.
    AlterRetentionPolicy {
        /// Database name.
        database: String,
        /// Policy name.
        name: String,
        /// New duration: `None` = keep, `Some(None)` = infinite, `Some(Some(ns))` = finite.
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "present"
        )]
        duration_ns: Option<Option<i64>>,
        /// New shard group duration (`Some(0)` = default for the duration).
        shard_group_duration_ns: Option<i64>,
        /// New replication factor.
        replication: Option<u32>,
        /// Make it the database's default policy.
        make_default: bool,
    },
    /// DROP RETENTION POLICY (no-op when the database or policy is absent).
    DropRetentionPolicy {
        /// Database name.
        database: String,
        /// Policy name.
        name: String,
    },
    /// Add tag keys and typed fields to a measurement, creating it if needed.
    /// Fields already present with another type are skipped and reported.
    AddColumns {
        /// Database id.
        database_id: u64,
        /// Measurement name.
        measurement: String,
        /// Tag keys.
        tags: Vec<String>,
        /// Field keys with their types.
        fields: Vec<(String, FieldType)>,
    },
    /// DROP MEASUREMENT (no-op when absent).
    DropMeasurement {
        /// Database id.
        database_id: u64,
        /// Measurement name.
        measurement: String,
    },
    /// CREATE USER. No-op when the user exists with the same hash and admin
    /// flag; `user already exists` when either differs.
    CreateUser {
        /// User name.
        name: String,
        /// bcrypt hash of the password.
        password_hash: String,
        /// Cluster admin (WITH ALL PRIVILEGES).
        admin: bool,
    },
    /// DROP USER (`user not found` when absent).
    DropUser {
        /// User name.
        name: String,
    },
    /// SET PASSWORD FOR (`user not found` when absent).
    SetPassword {
        /// User name.
        name: String,
        /// bcrypt hash of the new password.
        password_hash: String,
    },
    /// GRANT / REVOKE ALL PRIVILEGES: make a user (not) a cluster admin.
    SetAdmin {
        /// User name.
        name: String,
        /// Admin or not.
        admin: bool,
    },
    /// Set a user's privilege on a database (GRANT stores the granted
    /// privilege; REVOKE stores what is left, computed from the current one).
    SetPrivilege {
        /// User name.
        user: String,
        /// Database name.
        database: String,
        /// The privilege to record (`NoPrivileges` is recorded too, as in InfluxDB).
        privilege: Privilege,
    },
    /// CREATE CONTINUOUS QUERY. No-op when a query of that name exists with
    /// the same text (compared case-insensitively, as InfluxDB does).
    CreateContinuousQuery {
        /// Database name.
        database: String,
        /// Query name.
        name: String,
        /// The full CREATE CONTINUOUS QUERY statement.
        query: String,
    },
    /// DROP CONTINUOUS QUERY (no-op when the database or query is absent,
    /// as in InfluxDB 1.x).
    DropContinuousQuery {
        /// Database name.
        database: String,
        /// Query name.
        name: String,
    },
    /// CREATE SUBSCRIPTION (see [`crate::SubscriptionDef`]).
    CreateSubscription {
        /// Database name.
        database: String,
        /// The subscription, naming its retention policy.
        subscription: crate::subscriptions::SubscriptionDef,
    },
    /// DROP SUBSCRIPTION (`subscription not found` when absent).
    DropSubscription {
        /// Database name.
        database: String,
        /// Retention policy name.
        retention_policy: String,
        /// Subscription name.
        name: String,
    },
    /// An InfluxDB 2.x change (orgs, buckets, tokens, …).
    V2(Box<V2Command>),
}

/// Deserializes a field that is present as `Some(value)`, so that a present
/// `null` becomes `Some(None)` while an absent field stays `None` (via `default`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// What applying a command did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyOutcome {
    /// Whether the state changed (and a write transaction was committed).
    pub changed: bool,
    /// For `AddColumns`: requested fields rejected because of a type conflict.
    pub conflicts: Vec<FieldConflict>,
}

/// A storage-level change implied by a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Write {
    /// (Re)write the database row for this id (not its measurements).
    Database(u64),
    /// Delete the database row and all its measurement rows.
    DeleteDatabase(u64),
    /// (Re)write one measurement row.
    Measurement(u64, String),
    /// Delete one measurement row.
    DeleteMeasurement(u64, String),
    /// (Re)write one user row.
    User(String),
    /// Delete one user row.
    DeleteUser(String),
    /// (Re)write one continuous query row.
    ContinuousQuery(u64, String),
    /// Delete one continuous query row.
    DeleteContinuousQuery(u64, String),
    /// (Re)write, or delete when gone from the state, one `catalog_v2` row (kind, id).
    V2(&'static str, String),
}

/// Result of the pure state transition.
#[derive(Debug)]
pub(crate) struct Transition {
    /// The new state (equal to the old one when `writes` is empty).
    pub next: CatalogSnapshot,
    /// Storage rows to rewrite; empty means "nothing changed".
    pub writes: Vec<Write>,
    /// Field conflicts found by `AddColumns`.
    pub conflicts: Vec<FieldConflict>,
}

fn check_min_duration(duration_ns: Option<i64>) -> Result<(), CatalogError> {
    match duration_ns {
        Some(d) if d != 0 && d < MIN_RETENTION_POLICY_DURATION_NS => {
            Err(CatalogError::RetentionPolicyDurationTooLow)
        }
        _ => Ok(()),
    }
}

/// Checks a fully defaulted policy before it is added.
fn check_new_policy(rp: &RetentionPolicy) -> Result<(), CatalogError> {
    if rp.name.is_empty() {
        return Err(CatalogError::RetentionPolicyNameRequired);
    }
    if rp.replication < 1 {
        return Err(CatalogError::ReplicationFactorTooLow);
    }
    if let Some(d) = rp.duration_ns {
        if d < rp.shard_group_duration_ns {
            return Err(CatalogError::IncompatibleDurations);
        }
    }
    Ok(())
}

impl CatalogSnapshot {
    /// Applies `cmd` to this state, returning the successor state and what
    /// changed. Pure and deterministic; does not touch storage.
    pub(crate) fn transition(&self, cmd: &CatalogCommand) -> Result<Transition, CatalogError> {
        let mut next = self.clone();
        let mut writes = Vec::new();
        let mut conflicts = Vec::new();
        match cmd {
            CatalogCommand::CreateDatabase {
                name,
                retention_policy,
            } => create_database(&mut next, &mut writes, name, retention_policy.as_ref())?,
            CatalogCommand::DropDatabase { name } => {
                if let Some(db) = next.remove_database(name) {
                    writes.push(Write::DeleteDatabase(db.id));
                    // As InfluxDB: privileges on the dropped database go with it.
                    drop_privileges_on(&mut next, &mut writes, name);
                }
            }
            CatalogCommand::CreateRetentionPolicy {
                database,
                spec,
                make_default,
            } => create_retention_policy(&mut next, &mut writes, database, spec, *make_default)?,
            CatalogCommand::AlterRetentionPolicy {
                database,
                name,
                duration_ns,
                shard_group_duration_ns,
                replication,
                make_default,
            } => alter_retention_policy(
                &mut next,
                &mut writes,
                database,
                name,
                *duration_ns,
                *shard_group_duration_ns,
                *replication,
                *make_default,
            )?,
            CatalogCommand::DropRetentionPolicy { database, name } => {
                if let Some(db) = next.databases.get(database) {
                    if db.retention_policies.contains_key(name) {
                        let mut db = DatabaseDef::clone(db);
                        db.retention_policies.remove(name);
                        // As InfluxDB: the policy's subscriptions go with it.
                        db.subscriptions.retain(|s| s.retention_policy != *name);
                        writes.push(Write::Database(db.id));
                        next.put_database(db);
                    }
                }
            }
            CatalogCommand::AddColumns {
                database_id,
                measurement,
                tags,
                fields,
            } => {
                conflicts = add_columns(
                    &mut next,
                    &mut writes,
                    *database_id,
                    measurement,
                    tags.iter().map(String::as_str),
                    fields.iter().map(|(f, t)| (f.as_str(), *t)),
                )?
            }
            CatalogCommand::DropMeasurement {
                database_id,
                measurement,
            } => {
                let db = next
                    .database_by_id(*database_id)
                    .ok_or(CatalogError::DatabaseIdNotFound(*database_id))?;
                if db.measurements.contains_key(measurement.as_str()) {
                    let mut db = DatabaseDef::clone(db);
                    db.measurements.remove(measurement.as_str());
                    writes.push(Write::DeleteMeasurement(db.id, measurement.clone()));
                    next.put_database(db);
                }
            }
            CatalogCommand::CreateUser {
                name,
                password_hash,
                admin,
            } => create_user(&mut next, &mut writes, name, password_hash, *admin)?,
            CatalogCommand::DropUser { name } => {
                let Some(user) = next.users.remove(name) else {
                    return Err(CatalogError::UserNotFound);
                };
                writes.push(Write::DeleteUser(name.clone()));
                crate::v2apply::forget_user(&mut next, &mut writes, &user);
            }
            CatalogCommand::SetPassword {
                name,
                password_hash,
            } => update_user(&mut next, &mut writes, name, |u| {
                if u.password_hash == *password_hash {
                    return false;
                }
                u.password_hash = password_hash.clone();
                true
            })?,
            CatalogCommand::SetAdmin { name, admin } => {
                update_user(&mut next, &mut writes, name, |u| {
                    let changed = u.admin != *admin;
                    u.admin = *admin;
                    changed
                })?
            }
            CatalogCommand::SetPrivilege {
                user,
                database,
                privilege,
            } => {
                if !next.users.contains_key(user) {
                    return Err(CatalogError::UserNotFound);
                }
                if !next.databases.contains_key(database) {
                    return Err(CatalogError::DatabaseNotFound(database.clone()));
                }
                update_user(&mut next, &mut writes, user, |u| {
                    u.privileges.insert(database.clone(), *privilege) != Some(*privilege)
                })?
            }
            CatalogCommand::CreateContinuousQuery {
                database,
                name,
                query,
            } => create_continuous_query(&mut next, &mut writes, database, name, query)?,
            CatalogCommand::DropContinuousQuery { database, name } => {
                if let Some(db) = next.databases.get(database) {
                    if db.continuous_queries.contains_key(name) {
                        let mut db = DatabaseDef::clone(db);
                        db.continuous_queries.remove(name);
                        writes.push(Write::DeleteContinuousQuery(db.id, name.clone()));
                        next.put_database(db);
                    }
                }
            }
            CatalogCommand::CreateSubscription {
                database,
                subscription,
            } => crate::subscriptions::create_subscription(
                &mut next,
                &mut writes,
                database,
                subscription,
            )?,
            CatalogCommand::DropSubscription {
                database,
                retention_policy,
                name,
            } => crate::subscriptions::drop_subscription(
                &mut next,
                &mut writes,
                database,
                retention_policy,
                name,
            )?,
            CatalogCommand::V2(cmd) => crate::v2apply::apply(&mut next, &mut writes, cmd)?,
        }
        if !writes.is_empty() {
            next.version += 1;
        }
        Ok(Transition {
            next,
            writes,
            conflicts,
        })
    }
}

fn new_database(
    next: &mut CatalogSnapshot,
    writes: &mut Vec<Write>,
    name: &str,
    rp: RetentionPolicy,
) {
    let id = next.next_database_id;
    next.next_database_id += 1;
    let mut db = DatabaseDef {
        id,
        name: name.to_string(),
        default_rp: rp.name.clone(),
        retention_policies: Default::default(),
        measurements: Default::default(),
        continuous_queries: Default::default(),
        subscriptions: Default::default(),
    };
    db.retention_policies.insert(rp.name.clone(), rp);
    writes.push(Write::Database(id));
    next.put_database(db);
}

/// InfluxDB's CreateDatabase / CreateDatabaseWithRetentionPolicy.
pub(crate) fn create_database(
    next: &mut CatalogSnapshot,
    writes: &mut Vec<Write>,
    name: &str,
    spec: Option<&RetentionPolicySpec>,
) -> Result<(), CatalogError> {
    if name.is_empty() {
        return Err(CatalogError::DatabaseNameRequired);
    }
    let Some(spec) = spec else {
        if !next.databases.contains_key(name) {
            new_database(next, writes, name, RetentionPolicy::autogen());
        }
        return Ok(());
    };
    check_min_duration(spec.duration_ns)?;
    let rp = spec.to_retention_policy();
    let Some(existing) = next.databases.get(name) else {
        check_new_policy(&rp)?;
        new_database(next, writes, name, rp);
        return Ok(());
    };
    if existing.retention_policies.is_empty() {
        // No policies left: the requested one becomes the (new) default.
        check_new_policy(&rp)?;
        let mut db = DatabaseDef::clone(existing);
        db.default_rp = rp.name.clone();
        db.retention_policies.insert(rp.name.clone(), rp);
        writes.push(Write::Database(db.id));
        next.put_database(db);
        return Ok(());
    }
    match existing.retention_policies.get(&rp.name) {
        Some(current) if spec.matches(current) => {}
        _ => return Err(CatalogError::RetentionPolicyConflict),
    }
    // CREATE DATABASE ... WITH only ever names the default policy.
    if existing.default_rp != rp.name {
        return Err(CatalogError::RetentionPolicyConflict);
    }
    Ok(())
}

/// InfluxDB's CreateRetentionPolicy.
fn create_retention_policy(
    next: &mut CatalogSnapshot,
    writes: &mut Vec<Write>,
    database: &str,
    spec: &RetentionPolicySpec,
    make_default: bool,
) -> Result<(), CatalogError> {
    check_min_duration(spec.duration_ns)?;
    if spec.name.is_empty() {
        return Err(CatalogError::RetentionPolicyNameRequired);
    }
    let rp = spec.to_retention_policy();
    check_new_policy(&rp)?;
    let db = next
        .databases
        .get(database)
        .ok_or_else(|| CatalogError::DatabaseNotFound(database.to_string()))?;
    if let Some(current) = db.retention_policies.get(&rp.name) {
        if *current != rp {
            return Err(CatalogError::RetentionPolicyExists);
        }
        if make_default && db.default_rp != rp.name {
            return Err(CatalogError::RetentionPolicyConflict);
        }
        return Ok(());
    }
    let mut db = DatabaseDef::clone(db);
    if make_default {
        db.default_rp = rp.name.clone();
    }
    db.retention_policies.insert(rp.name.clone(), rp);
    writes.push(Write::Database(db.id));
    next.put_database(db);
    Ok(())
}

/// InfluxDB's UpdateRetentionPolicy (without renaming).
#[allow(clippy::too_many_arguments)]
pub(crate) fn alter_retention_policy(
    next: &mut CatalogSnapshot,
    writes: &mut Vec<Write>,
    database: &str,
    name: &str,
    duration_ns: Option<Option<i64>>,
    shard_group_duration_ns: Option<i64>,
    replication: Option<u32>,
    make_default: bool,
) -> Result<(), CatalogError> {
    let db = next
        .databases
        .get(database)
        .ok_or_else(|| CatalogError::DatabaseNotFound(database.to_string()))?;
    let current = db
        .retention_policies
        .get(name)
        .ok_or_else(|| CatalogError::RetentionPolicyNotFound(name.to_string()))?;
    let duration_ns = duration_ns.map(normalise_duration);
    if let Some(d) = duration_ns {
        check_min_duration(d)?;
    }
    if replication == Some(0) {
        return Err(CatalogError::ReplicationFactorTooLow);
    }
    let incompatible = match (duration_ns, shard_group_duration_ns) {
        (Some(Some(d)), Some(s)) => d < s,
        (Some(Some(d)), None) => d < current.shard_group_duration_ns,
        (None, Some(s)) => current.duration_ns.is_some_and(|d| d < s),
        _ => false,
    };
    if incompatible {
        return Err(CatalogError::IncompatibleDurations);
    }
    let mut rp = current.clone();
    if let Some(d) = duration_ns {
        rp.duration_ns = d;
    }
    if let Some(r) = replication {
        rp.replication = r;
    }
    if let Some(s) = shard_group_duration_ns {
        rp.shard_group_duration_ns = normalised_shard_group_duration(Some(s), rp.duration_ns);
    }
    let becomes_default = make_default && db.default_rp != name;
    if rp == *current && !becomes_default {
        return Ok(());
    }
    let mut db = DatabaseDef::clone(db);
    if becomes_default {
        db.default_rp = name.to_string();
    }
    db.retention_policies.insert(name.to_string(), rp);
    writes.push(Write::Database(db.id));
    next.put_database(db);
    Ok(())
}

/// Checks names of an add-columns request.
fn check_column_names<'a>(
    measurement: &str,
    mut tags: impl Iterator<Item = &'a str>,
    mut fields: impl Iterator<Item = &'a str>,
) -> Result<(), CatalogError> {
    if measurement.is_empty() {
        return Err(CatalogError::MeasurementNameRequired);
    }
    if tags.any(str::is_empty) {
        return Err(CatalogError::TagKeyRequired);
    }
    if fields.any(str::is_empty) {
        return Err(CatalogError::FieldKeyRequired);
    }
    Ok(())
}

/// Merges tags and fields into `schema`; returns whether anything was added.
/// Conflicting fields (including a second, different type for the same key
/// within one request) are skipped and pushed onto `conflicts`.
fn merge_columns<'a>(
    schema: &mut MeasurementSchema,
    tags: impl Iterator<Item = &'a str>,
    fields: impl Iterator<Item = (&'a str, FieldType)>,
    conflicts: &mut Vec<FieldConflict>,
) -> bool {
    let mut changed = false;
    for tag in tags {
        if !schema.tags.contains(tag) {
            schema.tags.insert(tag.to_string());
            changed = true;
        }
    }
    for (field, requested) in fields {
        match schema.fields.get(field) {
            Some(&existing) if existing != requested => conflicts.push(FieldConflict {
                field: field.to_string(),
                requested,
                existing,
            }),
            Some(_) => {}
            None => {
                schema.fields.insert(field.to_string(), requested);
                changed = true;
            }
        }
    }
    changed
}

fn add_columns<'a>(
    next: &mut CatalogSnapshot,
    writes: &mut Vec<Write>,
    database_id: u64,
    measurement: &str,
    tags: impl Iterator<Item = &'a str> + Clone,
    fields: impl Iterator<Item = (&'a str, FieldType)> + Clone,
) -> Result<Vec<FieldConflict>, CatalogError> {
    check_column_names(measurement, tags.clone(), fields.clone().map(|(f, _)| f))?;
    let db = next
        .database_by_id(database_id)
        .ok_or(CatalogError::DatabaseIdNotFound(database_id))?;
    let existing = db.measurements.get(measurement);
    let mut schema = match existing {
        Some(m) => MeasurementSchema::clone(m),
        None => MeasurementSchema::new(measurement),
    };
    let mut conflicts = Vec::new();
    let added = merge_columns(&mut schema, tags, fields, &mut conflicts);
    if added || existing.is_none() {
        let mut db = DatabaseDef::clone(db);
        db.measurements
            .insert(measurement.to_string(), Arc::new(schema));
        writes.push(Write::Measurement(db.id, measurement.to_string()));
        next.put_database(db);
    }
    Ok(conflicts)
}

/// Removes every user's privilege entry on database `name`.
fn drop_privileges_on(next: &mut CatalogSnapshot, writes: &mut Vec<Write>, name: &str) {
    for (user_name, user) in next.users.iter_mut() {
        if user.privileges.contains_key(name) {
            let mut updated = UserDef::clone(user);
            updated.privileges.remove(name);
            *user = Arc::new(updated);
            writes.push(Write::User(user_name.clone()));
        }
    }
}

/// InfluxDB's CreateUser, with the meta client's "same user again is fine" rule.
fn create_user(
    next: &mut CatalogSnapshot,
    writes: &mut Vec<Write>,
    name: &str,
    password_hash: &str,
    admin: bool,
) -> Result<(), CatalogError> {
    if name.is_empty() {
        return Err(CatalogError::UsernameRequired);
    }
    if let Some(existing) = next.users.get(name) {
        if existing.password_hash == password_hash && existing.admin == admin {
            return Ok(());
        }
        return Err(CatalogError::UserExists);
    }
    let user = UserDef {
        name: name.to_string(),
        password_hash: password_hash.to_string(),
        admin,
        privileges: Default::default(),
        // The version this command will commit as.
        created_at_version: next.version + 1,
    };
    next.users.insert(name.to_string(), Arc::new(user));
    writes.push(Write::User(name.to_string()));
    Ok(())
}

/// Applies `change` to user `name`; `change` returns whether it changed anything.
fn update_user(
    next: &mut CatalogSnapshot,
    writes: &mut Vec<Write>,
    name: &str,
    change: impl FnOnce(&mut UserDef) -> bool,
) -> Result<(), CatalogError> {
    let user = next.users.get(name).ok_or(CatalogError::UserNotFound)?;
    let mut updated = UserDef::clone(user);
    if change(&mut updated) {
        next.users.insert(name.to_string(), Arc::new(updated));
        writes.push(Write::User(name.to_string()));
    }
    Ok(())
}

/// InfluxDB's CreateContinuousQuery.
fn create_continuous_query(
    next: &mut CatalogSnapshot,
    writes: &mut Vec<Write>,
    database: &str,
    name: &str,
    query: &str,
) -> Result<(), CatalogError> {
    let db = next
        .databases
        .get(database)
        .ok_or_else(|| CatalogError::DatabaseNotFound(database.to_string()))?;
    if let Some(existing) = db.continuous_queries.get(name) {
        // InfluxDB compares the texts lower-cased: same statement, same query.
        if existing.query.to_lowercase() == query.to_lowercase() {
            return Ok(());
        }
        return Err(CatalogError::ContinuousQueryExists);
    }
    let mut db = DatabaseDef::clone(db);
    db.continuous_queries.insert(
        name.to_string(),
        ContinuousQueryDef {
            name: name.to_string(),
            query: query.to_string(),
            created_at_version: next.version + 1,
        },
    );
    writes.push(Write::ContinuousQuery(db.id, name.to_string()));
    next.put_database(db);
    Ok(())
}

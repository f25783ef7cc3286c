//! The [`Catalog`] handle: durable commands plus an in-memory snapshot.

use std::path::Path;
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use crate::auth::AuthCache;
use crate::command::{ApplyOutcome, CatalogCommand};
use crate::error::CatalogError;
use crate::store;
use crate::types::{CatalogSnapshot, DatabaseDef, FieldConflict, FieldType, RetentionPolicySpec};
use crate::users::{check_bcrypt_cost, hash_password, Privilege, UserDef, DEFAULT_BCRYPT_COST};

/// Settings of an opened catalog that are not stored in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogOptions {
    /// bcrypt cost for new password hashes (4–31); InfluxDB's default is 10.
    /// Existing hashes keep the cost they were made with.
    pub bcrypt_cost: u32,
}

impl Default for CatalogOptions {
    fn default() -> Self {
        CatalogOptions {
            bcrypt_cost: DEFAULT_BCRYPT_COST,
        }
    }
}

/// The durable catalog. Cheap to clone; all clones share one state.
///
/// Reads go to an immutable [`CatalogSnapshot`]. Every change is a
/// [`CatalogCommand`], applied under a mutex, committed in one durable redb
/// write transaction, and only then published as the new snapshot.
#[derive(Clone)]
pub struct Catalog {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) db: redb::Database,
    /// Serializes changes so they form one consistent sequence.
    write_lock: Mutex<()>,
    /// Current state; replaced wholesale after each commit.
    current: RwLock<Arc<CatalogSnapshot>>,
    /// bcrypt cost for new password hashes.
    bcrypt_cost: u32,
    /// Successful password checks, so that bcrypt runs once per password.
    auth_cache: AuthCache,
    /// Called with every new snapshot (see [`Catalog::on_change`]).
    listeners: RwLock<Vec<ChangeListener>>,
}

/// A function told about every committed change.
type ChangeListener = Arc<dyn Fn(&CatalogSnapshot) + Send + Sync>;

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let snap = self.snapshot();
        f.debug_struct("Catalog")
            .field("databases", &snap.databases.len())
            .field("users", &snap.users.len())
            .field("version", &snap.version())
            .finish()
    }
}

impl Catalog {
    /// Opens the catalog stored in the redb file at `path`, creating the file
    /// (and its parent directories) if missing, with default options.
    pub fn open(path: &Path) -> Result<Catalog, CatalogError> {
        Catalog::open_with_options(path, CatalogOptions::default())
    }

    /// Like [`Catalog::open`] with explicit options (e.g. a low bcrypt cost in tests).
    pub fn open_with_options(
        path: &Path,
        options: CatalogOptions,
    ) -> Result<Catalog, CatalogError> {
        check_bcrypt_cost(options.bcrypt_cost)?;
        let (db, snapshot) = store::open(path)?;
        Ok(Catalog {
            inner: Arc::new(Inner {
                db,
                write_lock: Mutex::new(()),
                current: RwLock::new(Arc::new(snapshot)),
                bcrypt_cost: options.bcrypt_cost,
                auth_cache: AuthCache::default(),
                listeners: RwLock::new(Vec::new()),
            }),
        })
    }

    /// bcrypt cost used for new password hashes.
    pub fn bcrypt_cost(&self) -> u32 {
        self.inner.bcrypt_cost
    }

    /// Registers `listener`, called with the new snapshot after every
    /// committed change, in commit order, before the change's caller gets its
    /// answer (so services can react before a client sees the change). It
    /// runs under the catalog's write lock: it must be quick and must not
    /// change the catalog.
    pub fn on_change(&self, listener: impl Fn(&CatalogSnapshot) + Send + Sync + 'static) {
        self.inner.listeners.write().push(Arc::new(listener));
    }

    /// The current immutable state.
    pub fn snapshot(&self) -> Arc<CatalogSnapshot> {
        self.inner.current.read().clone()
    }

    /// Database named `name`.
    pub fn database(&self, name: &str) -> Option<Arc<DatabaseDef>> {
        self.inner.current.read().databases.get(name).cloned()
    }

    /// All databases, sorted by name.
    pub fn databases(&self) -> Vec<Arc<DatabaseDef>> {
        self.inner
            .current
            .read()
            .databases
            .values()
            .cloned()
            .collect()
    }

    /// Applies one command durably: validates it against the current state,
    /// commits the resulting rows in a single redb write transaction, then
    /// publishes the new snapshot. A command that changes nothing opens no
    /// write transaction.
    pub fn apply(&self, cmd: &CatalogCommand) -> Result<ApplyOutcome, CatalogError> {
        self.execute(cmd).map(|(_, _, outcome)| outcome)
    }

    /// Like [`Catalog::apply`], also returning the states before and after.
    pub(crate) fn execute(
        &self,
        cmd: &CatalogCommand,
    ) -> Result<(Arc<CatalogSnapshot>, Arc<CatalogSnapshot>, ApplyOutcome), CatalogError> {
        self.execute_with(|_| Ok(Some(cmd.clone())))
    }

    /// Like [`Catalog::execute`], with the command built from the current
    /// state under the write lock (so read-modify-write changes such as
    /// REVOKE cannot race); `None` means "nothing to do".
    pub(crate) fn execute_with(
        &self,
        build: impl FnOnce(&CatalogSnapshot) -> Result<Option<CatalogCommand>, CatalogError>,
    ) -> Result<(Arc<CatalogSnapshot>, Arc<CatalogSnapshot>, ApplyOutcome), CatalogError> {
        let _guard = self.inner.write_lock.lock();
        let before = self.snapshot();
        let Some(cmd) = build(&before)? else {
            return Ok((before.clone(), before, ApplyOutcome::default()));
        };
        let transition = before.transition(&cmd)?;
        if transition.writes.is_empty() {
            let outcome = ApplyOutcome {
                changed: false,
                conflicts: transition.conflicts,
            };
            return Ok((before.clone(), before, outcome));
        }
        store::persist(&self.inner.db, &transition.next, &transition.writes)?;
        let after = Arc::new(transition.next);
        *self.inner.current.write() = after.clone();
        for listener in self.inner.listeners.read().iter() {
            listener(&after);
        }
        let outcome = ApplyOutcome {
            changed: true,
            conflicts: transition.conflicts,
        };
        Ok((before, after, outcome))
    }

    /// CREATE DATABASE: idempotent when it exists with a compatible (or no) RP spec; when the
    /// spec conflicts with the existing RP of that name → CatalogError::RetentionPolicyConflict
    /// ("retention policy conflicts with an existing policy").
    ///
    /// Without a spec a new database gets RP "autogen" (infinite duration,
    /// shard group duration 7 days, replication 1) as default. With a spec
    /// the policy (empty name → "autogen") is created as the default. As in
    /// InfluxDB, naming an existing policy that is not the default, or any
    /// policy that does not exist on an existing database that has policies,
    /// is a conflict too.
    pub fn create_database(
        &self,
        name: &str,
        rp: Option<RetentionPolicySpec>,
    ) -> Result<Arc<DatabaseDef>, CatalogError> {
        let cmd = CatalogCommand::CreateDatabase {
            name: name.to_string(),
            retention_policy: rp,
        };
        let (_, after, _) = self.execute(&cmd)?;
        after
            .databases
            .get(name)
            .cloned()
            .ok_or_else(|| CatalogError::DatabaseNotFound(name.to_string()))
    }

    /// DROP DATABASE: returns the dropped definition, or `Ok(None)` if absent.
    pub fn drop_database(&self, name: &str) -> Result<Option<Arc<DatabaseDef>>, CatalogError> {
        let cmd = CatalogCommand::DropDatabase {
            name: name.to_string(),
        };
        let (before, _, outcome) = self.execute(&cmd)?;
        Ok(if outcome.changed {
            before.databases.get(name).cloned()
        } else {
            None
        })
    }

    /// CREATE RETENTION POLICY on database `db`, optionally as its default.
    ///
    /// Idempotent for an identical existing policy; a different existing
    /// policy of that name → `RetentionPolicyExists`; an identical one that
    /// is not the default while `make_default` is set → `RetentionPolicyConflict`.
    pub fn create_retention_policy(
        &self,
        db: &str,
        spec: RetentionPolicySpec,
        make_default: bool,
    ) -> Result<(), CatalogError> {
        let cmd = CatalogCommand::CreateRetentionPolicy {
            database: db.to_string(),
            spec,
            make_default,
        };
        self.execute(&cmd).map(|_| ())
    }

    /// ALTER RETENTION POLICY: `duration` is `None` = keep, `Some(None)` =
    /// infinite, `Some(Some(ns))` = finite; a shard group duration of 0
    /// means the default for the (new) duration.
    pub fn alter_retention_policy(
        &self,
        db: &str,
        name: &str,
        duration: Option<Option<i64>>,
        shard_group_duration: Option<i64>,
        replication: Option<u32>,
        make_default: bool,
    ) -> Result<(), CatalogError> {
        let cmd = CatalogCommand::AlterRetentionPolicy {
            database: db.to_string(),
            name: name.to_string(),
            duration_ns: duration,
            shard_group_duration_ns: shard_group_duration,
            replication,
            make_default,
        };
        self.execute(&cmd).map(|_| ())
    }

    /// DROP RETENTION POLICY. As in InfluxDB this is a no-op when the
    /// database or policy does not exist, and dropping the default policy is
    /// allowed (the database's `default_rp` name is kept but then resolves to
    /// nothing; see [`DatabaseDef::default_rp`]).
    pub fn drop_retention_policy(&self, db: &str, name: &str) -> Result<(), CatalogError> {
        let cmd = CatalogCommand::DropRetentionPolicy {
            database: db.to_string(),
            name: name.to_string(),
        };
        self.execute(&cmd).map(|_| ())
    }

    /// Adds tag keys and typed fields to a measurement's schema (creating the measurement), in
    /// ONE durable transaction. For each requested field that already exists with a different
    /// type, nothing is added for that field and it is reported in the returned Vec as a
    /// FieldConflict; all non-conflicting additions are committed. A no-op (everything already
    /// present) must not open a write transaction.
    ///
    /// The no-op case is decided on the current snapshot without taking the
    /// write mutex, so steady-state writes never contend here.
    pub fn add_columns(
        &self,
        db_id: u64,
        measurement: &str,
        tags: &[&str],
        fields: &[(&str, FieldType)],
    ) -> Result<Vec<FieldConflict>, CatalogError> {
        if let Some(conflicts) = self.add_columns_noop(db_id, measurement, tags, fields) {
            return Ok(conflicts);
        }
        let cmd = CatalogCommand::AddColumns {
            database_id: db_id,
            measurement: measurement.to_string(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            fields: fields.iter().map(|(f, t)| (f.to_string(), *t)).collect(),
        };
        self.execute(&cmd).map(|(_, _, outcome)| outcome.conflicts)
    }

    /// If the request adds nothing to the current snapshot, its conflicts.
    fn add_columns_noop(
        &self,
        db_id: u64,
        measurement: &str,
        tags: &[&str],
        fields: &[(&str, FieldType)],
    ) -> Option<Vec<FieldConflict>> {
        let snap = self.snapshot();
        let schema = snap.database_by_id(db_id)?.measurements.get(measurement)?;
        if !tags.iter().all(|t| schema.tags.contains(*t))
            || !fields.iter().all(|(f, _)| schema.fields.contains_key(*f))
        {
            return None;
        }
        // Everything is present, so each field either matches or conflicts.
        let conflicts = fields
            .iter()
            .filter_map(|&(field, requested)| {
                let existing = schema.fields[field];
                (existing != requested).then(|| FieldConflict {
                    field: field.to_string(),
                    requested,
                    existing,
                })
            })
            .collect();
        Some(conflicts)
    }

    /// DROP MEASUREMENT from the database with id `db_id`: `Ok(true)` if it
    /// existed, `Ok(false)` if not; `DatabaseIdNotFound` for an unknown id.
    pub fn drop_measurement(&self, db_id: u64, measurement: &str) -> Result<bool, CatalogError> {
        let cmd = CatalogCommand::DropMeasurement {
            database_id: db_id,
            measurement: measurement.to_string(),
        };
        self.execute(&cmd).map(|(_, _, outcome)| outcome.changed)
    }
}

/// Users and privileges.
impl Catalog {
    /// CREATE USER `name` WITH PASSWORD `password` [WITH ALL PRIVILEGES when `admin`].
    ///
    /// As InfluxDB's meta client: creating an existing user again with the
    /// same password and admin flag is a no-op returning that user; a
    /// different password or admin flag → `user already exists`; an empty
    /// name → `username required`. The password is hashed with bcrypt
    /// (outside the write lock); only the hash is stored.
    pub fn create_user(
        &self,
        name: &str,
        password: &str,
        admin: bool,
    ) -> Result<Arc<UserDef>, CatalogError> {
        if name.is_empty() {
            return Err(CatalogError::UsernameRequired);
        }
        let cost = self.inner.bcrypt_cost;
        // Hash before taking the write lock: bcrypt is slow on purpose.
        let hash = match self.user(name) {
            None => Some(hash_password(password, cost)?),
            Some(_) => None,
        };
        let cache = &self.inner.auth_cache;
        let (_, after, _) = self.execute_with(|snap| match snap.user(name) {
            Some(existing)
                if existing.admin == admin
                    && (cache.matches(name, &existing.password_hash, password)
                        || existing.verify_password(password)) =>
            {
                Ok(None)
            }
            Some(_) => Err(CatalogError::UserExists),
            None => Ok(Some(CatalogCommand::CreateUser {
                name: name.to_string(),
                password_hash: match hash {
                    Some(hash) => hash,
                    // Dropped since we looked: hash now.
                    None => hash_password(password, cost)?,
                },
                admin,
            })),
        })?;
        after.user(name).cloned().ok_or(CatalogError::UserNotFound)
    }

    /// Forgets the cached password check of `name` (renamed or changed).
    pub(crate) fn forget_cached_password(&self, name: &str) {
        self.inner.auth_cache.forget(name);
    }

    /// DROP USER; `user not found` when absent.
    pub fn drop_user(&self, name: &str) -> Result<(), CatalogError> {
        let cmd = CatalogCommand::DropUser {
            name: name.to_string(),
        };
        self.execute(&cmd)?;
        self.inner.auth_cache.forget(name);
        Ok(())
    }

    /// SET PASSWORD FOR `name`; `user not found` when absent.
    pub fn set_password(&self, name: &str, password: &str) -> Result<(), CatalogError> {
        if self.user(name).is_none() {
            return Err(CatalogError::UserNotFound);
        }
        let cmd = CatalogCommand::SetPassword {
            name: name.to_string(),
            password_hash: hash_password(password, self.inner.bcrypt_cost)?,
        };
        self.execute(&cmd)?;
        self.inner.auth_cache.forget(name);
        Ok(())
    }

    /// GRANT ALL PRIVILEGES TO `name` (`admin` = true) or REVOKE ALL
    /// PRIVILEGES FROM `name` (`admin` = false); `user not found` when absent.
    /// Per-database privileges are kept either way, as in InfluxDB.
    pub fn set_admin(&self, name: &str, admin: bool) -> Result<(), CatalogError> {
        let cmd = CatalogCommand::SetAdmin {
            name: name.to_string(),
            admin,
        };
        self.execute(&cmd).map(|_| ())
    }

    /// GRANT `privilege` ON `db` TO `user`: the user's privilege on `db`
    /// becomes exactly `privilege` (GRANT READ to a user holding WRITE leaves
    /// READ, as in InfluxDB). Errors: `user not found`, then
    /// `database not found: <db>`.
    pub fn grant(&self, user: &str, db: &str, privilege: Privilege) -> Result<(), CatalogError> {
        let cmd = CatalogCommand::SetPrivilege {
            user: user.to_string(),
            database: db.to_string(),
            privilege,
        };
        self.execute(&cmd).map(|_| ())
    }

    /// REVOKE `privilege` ON `db` FROM `user`, computed as InfluxDB does:
    /// revoking ALL leaves `NoPrivileges`; otherwise the revoked bits are
    /// cleared from the current privilege (revoking READ from ALL leaves
    /// WRITE). The result is recorded even when it is `NoPrivileges`, so the
    /// entry still shows in SHOW GRANTS. Returns the privilege left.
    /// Errors: `user not found`, then `database not found: <db>`.
    pub fn revoke(
        &self,
        user: &str,
        db: &str,
        privilege: Privilege,
    ) -> Result<Privilege, CatalogError> {
        let mut left = Privilege::NoPrivileges;
        self.execute_with(|snap| {
            let current = snap.user(user).ok_or(CatalogError::UserNotFound)?;
            left = if privilege == Privilege::All {
                Privilege::NoPrivileges
            } else {
                current.privilege(db).without(privilege)
            };
            Ok(Some(CatalogCommand::SetPrivilege {
                user: user.to_string(),
                database: db.to_string(),
                privilege: left,
            }))
        })?;
        Ok(left)
    }

    /// All users, in creation order (as SHOW USERS lists them).
    pub fn users(&self) -> Vec<Arc<UserDef>> {
        self.snapshot().users_in_creation_order()
    }

    /// User named `name`.
    pub fn user(&self, name: &str) -> Option<Arc<UserDef>> {
        self.inner.current.read().users.get(name).cloned()
    }

    /// Whether at least one admin user exists (with none, InfluxDB lets an
    /// unauthenticated client create the first admin).
    pub fn has_admin_user(&self) -> bool {
        self.inner.current.read().has_admin_user()
    }

    /// Checks `password` for user `name`: the user on success; `user not
    /// found` for an unknown user and `authentication failed` for a wrong
    /// password (InfluxDB's meta store errors; its HTTP layer answers 401
    /// `authorization failed` to both).
    ///
    /// The first success per password runs bcrypt; later checks of the same
    /// password compare a salted SHA-256 kept in memory (as InfluxDB does).
    pub fn authenticate(&self, name: &str, password: &str) -> Result<Arc<UserDef>, CatalogError> {
        let user = self.user(name).ok_or(CatalogError::UserNotFound)?;
        let cache = &self.inner.auth_cache;
        if cache.matches(name, &user.password_hash, password) {
            return Ok(user);
        }
        if !user.verify_password(password) {
            return Err(CatalogError::AuthenticationFailed);
        }
        cache.remember(name, &user.password_hash, password);
        Ok(user)
    }
}

/// Continuous queries.
impl Catalog {
    /// CREATE CONTINUOUS QUERY `name` ON `db`, `query` being the full
    /// statement text to store. Same name and same text (ignoring case) → no-op;
    /// same name, other text → `continuous query already exists`; unknown
    /// database → `database not found: <db>`.
    pub fn create_continuous_query(
        &self,
        db: &str,
        name: &str,
        query: &str,
    ) -> Result<(), CatalogError> {
        let cmd = CatalogCommand::CreateContinuousQuery {
            database: db.to_string(),
            name: name.to_string(),
            query: query.to_string(),
        };
        self.execute(&cmd).map(|_| ())
    }

    /// DROP CONTINUOUS QUERY `name` ON `db`: `Ok(true)` if it existed. As in
    /// InfluxDB 1.x, dropping a query (or on a database) that does not exist
    /// is not an error (`Ok(false)`).
    pub fn drop_continuous_query(&self, db: &str, name: &str) -> Result<bool, CatalogError> {
        let cmd = CatalogCommand::DropContinuousQuery {
            database: db.to_string(),
            name: name.to_string(),
        };
        self.execute(&cmd).map(|(_, _, outcome)| outcome.changed)
    }
}

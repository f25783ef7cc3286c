//! The InfluxDB 2.x commands ([`V2Command`]) and their pure application.
//!
//! They travel inside [`CatalogCommand::V2`](crate::CatalogCommand::V2), so
//! they are logged and replicated like every other change. Everything a
//! command needs that is not derived from the state (ids, times, token
//! hashes, bcrypt hashes) is carried in the command, so applying it is
//! deterministic.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::command::Write;
use crate::error::CatalogError;
use crate::types::{CatalogSnapshot, DatabaseDef, RetentionPolicySpec};
use crate::users::UserDef;
use crate::v2types::{
    bucket_id, kinds, AuthorizationDef, BucketMeta, DbrpDef, DocumentDef, MemberRole, OrgDef,
    ONBOARDING_ROW,
};

/// One InfluxDB 2.x change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op")]
pub enum V2Command {
    /// `/api/v2/setup`: first user (a 1.x admin too), org, bucket and operator token.
    Setup {
        /// The organization to create (becomes the default org).
        org: OrgDef,
        /// User name.
        user: String,
        /// bcrypt hash of the password; `None` = no password login.
        password_hash: Option<String>,
        /// Bucket (= database with RP `autogen`) to create.
        bucket: String,
        /// Bucket retention; `None` = infinite.
        retention_ns: Option<i64>,
        /// The operator authorization; its `user_id` is filled in.
        auth: AuthorizationDef,
    },
    /// Create an organization.
    CreateOrg {
        /// The organization.
        org: OrgDef,
    },
    /// Rename / describe an organization.
    UpdateOrg {
        /// Org id.
        id: String,
        /// New name.
        name: Option<String>,
        /// New description.
        description: Option<String>,
        /// Change time, ns.
        now: i64,
    },
    /// Delete an organization with its memberships, tokens, mappings and documents.
    DeleteOrg {
        /// Org id.
        id: String,
    },
    /// Add, change or (with `role: None`) remove a membership.
    SetMember {
        /// Org id.
        org_id: String,
        /// User id.
        user_id: String,
        /// New role.
        role: Option<MemberRole>,
    },
    /// Create a bucket: database `name` with RP `autogen`.
    CreateBucket {
        /// Owning org.
        org_id: String,
        /// Bucket (and database) name.
        name: String,
        /// Free text.
        description: String,
        /// Retention; `None` = infinite.
        retention_ns: Option<i64>,
        /// Shard group duration; `None` = default.
        shard_group_ns: Option<i64>,
        /// Creation time, ns.
        now: i64,
    },
    /// Change a bucket's name, description or retention.
    UpdateBucket {
        /// Bucket id.
        id: String,
        /// New name.
        name: Option<String>,
        /// New description.
        description: Option<String>,
        /// New retention: `Some(None)` = infinite.
        retention_ns: Option<Option<i64>>,
        /// New shard group duration.
        shard_group_ns: Option<i64>,
        /// Change time, ns.
        now: i64,
    },
    /// Create or replace an explicit DBRP mapping.
    PutDbrp {
        /// The mapping.
        dbrp: DbrpDef,
    },
    /// Delete an explicit DBRP mapping.
    DeleteDbrp {
        /// Mapping id.
        id: String,
    },
    /// Create an authorization.
    CreateAuthorization {
        /// The authorization.
        auth: AuthorizationDef,
    },
    /// Change an authorization's status or description.
    UpdateAuthorization {
        /// Authorization id.
        id: String,
        /// New status.
        active: Option<bool>,
        /// New description.
        description: Option<String>,
        /// Change time, ns.
        now: i64,
    },
    /// Delete an authorization.
    DeleteAuthorization {
        /// Authorization id.
        id: String,
    },
    /// Rename a user (its id, privileges and tokens stay).
    RenameUser {
        /// Current name.
        name: String,
        /// New name.
        new_name: String,
    },
    /// Mark a user active or inactive.
    SetUserActive {
        /// User name.
        name: String,
        /// Active or not.
        active: bool,
    },
    /// Create or replace a stored document.
    PutDocument {
        /// The document.
        doc: DocumentDef,
    },
    /// Delete a stored document.
    DeleteDocument {
        /// Kind.
        kind: String,
        /// Id.
        id: String,
    },
}

fn not_found(what: &str) -> CatalogError {
    CatalogError::NotFound(format!("{what} not found"))
}

fn row(kind: &'static str, id: impl Into<String>) -> Write {
    Write::V2(kind, id.into())
}

fn member_row(org_id: &str, user_id: &str) -> Write {
    row(kinds::MEMBER, format!("{org_id}/{user_id}"))
}

impl CatalogSnapshot {
    /// The user whose v2 id is `id`.
    pub fn user_by_id(&self, id: &str) -> Option<&Arc<UserDef>> {
        self.users.values().find(|u| u.id() == id)
    }

    /// The database and retention policy name of bucket `id`.
    pub fn bucket(&self, id: &str) -> Option<(Arc<DatabaseDef>, String)> {
        self.databases.values().find_map(|db| {
            db.retention_policies
                .keys()
                .find(|rp| bucket_id(db.id, rp) == id)
                .map(|rp| (db.clone(), rp.clone()))
        })
    }

    /// The name bucket (`db`, `rp`) is listed under: its renamed name, else
    /// `db` for the default policy and `db/rp` for the others.
    pub fn bucket_name(&self, db: &DatabaseDef, rp: &str) -> String {
        if let Some(name) = self
            .v2
            .bucket_meta
            .get(&bucket_id(db.id, rp))
            .and_then(|m| m.name.clone())
        {
            return name;
        }
        if db.default_rp == rp {
            db.name.clone()
        } else {
            format!("{}/{rp}", db.name)
        }
    }

    /// The bucket a name refers to: a renamed bucket's name, a database name
    /// (its default policy), or `db/rp`.
    pub fn bucket_by_name(&self, name: &str) -> Option<(Arc<DatabaseDef>, String)> {
        if let Some(meta) = self
            .v2
            .bucket_meta
            .values()
            .find(|m| m.name.as_deref() == Some(name))
        {
            if let Some(found) = self.bucket(&meta.id) {
                return Some(found);
            }
        }
        if let Some(db) = self.databases.get(name) {
            if db.retention_policies.contains_key(&db.default_rp) {
                return Some((db.clone(), db.default_rp.clone()));
            }
        }
        let (db, rp) = name.rsplit_once('/')?;
        let db = self.databases.get(db)?;
        db.retention_policies
            .contains_key(rp)
            .then(|| (db.clone(), rp.to_string()))
    }

    /// The org id of bucket `id` (its metadata's, else the default org's).
    pub fn bucket_org_id(&self, id: &str) -> Option<String> {
        self.v2
            .bucket_meta
            .get(id)
            .map(|m| m.org_id.clone())
            .filter(|org| self.v2.orgs.contains_key(org))
            .or_else(|| self.v2.default_org().map(|o| o.id.clone()))
    }
}

/// Applies one v2 command to `next`, recording the rows to rewrite.
pub(crate) fn apply(
    next: &mut CatalogSnapshot,
    writes: &mut Vec<Write>,
    cmd: &V2Command,
) -> Result<(), CatalogError> {
    match cmd {
        V2Command::Setup {
            org,
            user,
            password_hash,
            bucket,
            retention_ns,
            auth,
        } => setup(
            next,
            writes,
            org,
            user,
            password_hash.as_deref(),
            bucket,
            *retention_ns,
            auth,
        ),
        V2Command::CreateOrg { org } => create_org(next, writes, org),
        V2Command::UpdateOrg {
            id,
            name,
            description,
            now,
        } => {
            let current = next
                .v2
                .orgs
                .get(id)
                .ok_or_else(|| not_found("organization"))?;
            let mut org = OrgDef::clone(current);
            if let Some(name) = name {
                if name.is_empty() {
                    return Err(CatalogError::Invalid("org name is empty".into()));
                }
                if next.v2.org_by_name(name).is_some_and(|o| o.id != *id) {
                    return Err(CatalogError::Conflict(format!(
                        "organization with name {name} already exists"
                    )));
                }
                org.name = name.clone();
            }
            if let Some(d) = description {
                org.description = d.clone();
            }
            if org != **current {
                org.updated_at = *now;
                next.v2.orgs.insert(id.clone(), Arc::new(org));
                writes.push(row(kinds::ORG, id.clone()));
            }
            Ok(())
        }
        V2Command::DeleteOrg { id } => delete_org(next, writes, id),
        V2Command::SetMember {
            org_id,
            user_id,
            role,
        } => {
            if !next.v2.orgs.contains_key(org_id) {
                return Err(not_found("organization"));
            }
            if next.user_by_id(user_id).is_none() {
                return Err(not_found("user"));
            }
            let key = (org_id.clone(), user_id.clone());
            let changed = match role {
                Some(r) => next.v2.members.insert(key, *r) != Some(*r),
                None => next.v2.members.remove(&key).is_some(),
            };
            if changed {
                writes.push(member_row(org_id, user_id));
            }
            Ok(())
        }
        V2Command::CreateBucket {
            org_id,
            name,
            description,
            retention_ns,
            shard_group_ns,
            now,
        } => create_bucket(
            next,
            writes,
            org_id,
            name,
            description,
            *retention_ns,
            *shard_group_ns,
            *now,
        ),
        V2Command::UpdateBucket {
            id,
            name,
            description,
            retention_ns,
            shard_group_ns,
            now,
        } => update_bucket(
            next,
            writes,
            id,
            name.as_deref(),
            description.as_deref(),
            *retention_ns,
            *shard_group_ns,
            *now,
        ),
        V2Command::PutDbrp { dbrp } => put_dbrp(next, writes, dbrp),
        V2Command::DeleteDbrp { id } => {
            next.v2.dbrps.remove(id).ok_or_else(|| not_found("DBRP"))?;
            writes.push(row(kinds::DBRP, id.clone()));
            Ok(())
        }
        V2Command::CreateAuthorization { auth } => create_authorization(next, writes, auth),
        V2Command::UpdateAuthorization {
            id,
            active,
            description,
            now,
        } => {
            let current = next
                .v2
                .authorizations
                .get(id)
                .ok_or_else(|| not_found("authorization"))?;
            let mut auth = AuthorizationDef::clone(current);
            if let Some(a) = active {
                auth.active = *a;
            }
            if let Some(d) = description {
                auth.description = d.clone();
            }
            if auth != **current {
                auth.updated_at = *now;
                next.v2.authorizations.insert(id.clone(), Arc::new(auth));
                writes.push(row(kinds::AUTH, id.clone()));
            }
            Ok(())
        }
        V2Command::DeleteAuthorization { id } => {
            let auth = next
                .v2
                .authorizations
                .remove(id)
                .ok_or_else(|| not_found("authorization"))?;
            next.v2.token_index.remove(&auth.token_hash);
            writes.push(row(kinds::AUTH, id.clone()));
            Ok(())
        }
        V2Command::RenameUser { name, new_name } => {
            if new_name.is_empty() {
                return Err(CatalogError::UsernameRequired);
            }
            if name == new_name {
                return Ok(());
            }
            if next.users.contains_key(new_name) {
                return Err(CatalogError::Conflict(format!(
                    "user with name {new_name} already exists"
                )));
            }
            let user = next.users.remove(name).ok_or(CatalogError::UserNotFound)?;
            let mut renamed = UserDef::clone(&user);
            renamed.name = new_name.clone();
            next.users.insert(new_name.clone(), Arc::new(renamed));
            writes.push(Write::DeleteUser(name.clone()));
            writes.push(Write::User(new_name.clone()));
            Ok(())
        }
        V2Command::SetUserActive { name, active } => {
            let id = next.users.get(name).ok_or(CatalogError::UserNotFound)?.id();
            let changed = if *active {
                next.v2.inactive_users.remove(&id)
            } else {
                next.v2.inactive_users.insert(id.clone())
            };
            if changed {
                writes.push(row(kinds::USER_STATUS, id));
            }
            Ok(())
        }
        V2Command::PutDocument { doc } => {
            if !doc.org_id.is_empty() && !next.v2.orgs.contains_key(&doc.org_id) {
                return Err(not_found("organization"));
            }
            let key = (doc.kind.clone(), doc.id.clone());
            if next.v2.documents.get(&key).map(|d| d.as_ref()) != Some(doc) {
                next.v2.documents.insert(key, Arc::new(doc.clone()));
                writes.push(row(kinds::DOC, format!("{}/{}", doc.kind, doc.id)));
            }
            Ok(())
        }
        V2Command::DeleteDocument { kind, id } => {
            next.v2
                .documents
                .remove(&(kind.clone(), id.clone()))
                .ok_or_else(|| CatalogError::NotFound(format!("{kind} not found")))?;
            writes.push(row(kinds::DOC, format!("{kind}/{id}")));
            Ok(())
        }
    }
}

fn create_org(
    next: &mut CatalogSnapshot,
    writes: &mut Vec<Write>,
    org: &OrgDef,
) -> Result<(), CatalogError> {
    if org.name.is_empty() {
        return Err(CatalogError::Invalid("org name is empty".into()));
    }
    if next.v2.org_by_name(&org.name).is_some() {
        return Err(CatalogError::Conflict(format!(
            "organization with name {} already exists",
            org.name
        )));
    }
    if next.v2.orgs.contains_key(&org.id) {
        return Err(CatalogError::Conflict(format!(
            "organization id {} in use",
            org.id
        )));
    }
    next.v2.orgs.insert(org.id.clone(), Arc::new(org.clone()));
    writes.push(row(kinds::ORG, org.id.clone()));
    Ok(())
}

fn delete_org(
    next: &mut CatalogSnapshot,
    writes: &mut Vec<Write>,
    id: &str,
) -> Result<(), CatalogError> {
    next.v2
        .orgs
        .remove(id)
        .ok_or_else(|| not_found("organization"))?;
    writes.push(row(kinds::ORG, id));
    remove_members(next, writes, |org, _| org == id);
    remove_authorizations(next, writes, |a| a.org_id == id);
    next.v2.dbrps.retain(|dbrp_id, d| {
        let keep = d.org_id != id;
        if !keep {
            writes.push(row(kinds::DBRP, dbrp_id.clone()));
        }
        keep
    });
    next.v2.documents.retain(|(kind, doc_id), d| {
        let keep = d.org_id != id;
        if !keep {
            writes.push(row(kinds::DOC, format!("{kind}/{doc_id}")));
        }
        keep
    });
    if next.v2.onboarding.default_org_id.as_deref() == Some(id) {
        next.v2.onboarding.default_org_id = None;
        writes.push(row(kinds::SETTINGS, ONBOARDING_ROW));
    }
    Ok(())
}

/// Removes the memberships `(org, user)` for which `gone` holds.
fn remove_members(
    next: &mut CatalogSnapshot,
    writes: &mut Vec<Write>,
    gone: impl Fn(&String, &String) -> bool,
) {
    next.v2.members.retain(|(org, user), _| {
        let drop = gone(org, user);
        if drop {
            writes.push(member_row(org, user));
        }
        !drop
    });
}

/// Removes the authorizations (and their token index entries) for which
/// `gone` holds.
fn remove_authorizations(
    next: &mut CatalogSnapshot,
    writes: &mut Vec<Write>,
    gone: impl Fn(&AuthorizationDef) -> bool,
) {
    let tokens = &mut next.v2.token_index;
    next.v2.authorizations.retain(|id, auth| {
        let drop = gone(auth);
        if drop {
            tokens.remove(&auth.token_hash);
            writes.push(row(kinds::AUTH, id.clone()));
        }
        !drop
    });
}

/// Removes what the v2 state holds about a dropped user.
pub(crate) fn forget_user(next: &mut CatalogSnapshot, writes: &mut Vec<Write>, user: &UserDef) {
    let id = user.id();
    remove_members(next, writes, |_, u| *u == id);
    remove_authorizations(next, writes, |a| a.user_id == id);
    if next.v2.inactive_users.remove(&id) {
        writes.push(row(kinds::USER_STATUS, id));
    }
}

#[allow(clippy::too_many_arguments)]
fn create_bucket(
    next: &mut CatalogSnapshot,
    writes: &mut Vec<Write>,
    org_id: &str,
    name: &str,
    description: &str,
    retention_ns: Option<i64>,
    shard_group_ns: Option<i64>,
    now: i64,
) -> Result<(), CatalogError> {
    if name.is_empty() {
        return Err(CatalogError::Invalid("bucket name is empty".into()));
    }
    if name.starts_with('_') {
        return Err(CatalogError::Invalid(format!(
            "bucket name {name} is invalid. Buckets may not start with underscore"
        )));
    }
    if !next.v2.orgs.contains_key(org_id) {
        return Err(not_found("organization"));
    }
    if next.databases.contains_key(name) || next.bucket_by_name(name).is_some() {
        return Err(CatalogError::Conflict(format!(
            "bucket with name {name} already exists"
        )));
    }
    let spec = RetentionPolicySpec {
        name: crate::types::DEFAULT_RETENTION_POLICY_NAME.to_string(),
        duration_ns: retention_ns,
        shard_group_duration_ns: shard_group_ns,
        replication: None,
    };
    crate::command::create_database(next, writes, name, Some(&spec))?;
    let db = next
        .databases
        .get(name)
        .ok_or_else(|| CatalogError::DatabaseNotFound(name.to_string()))?;
    let id = bucket_id(db.id, &db.default_rp);
    next.v2.bucket_meta.insert(
        id.clone(),
        Arc::new(BucketMeta {
            id: id.clone(),
            org_id: org_id.to_string(),
            name: None,
            description: description.to_string(),
            created_at: now,
            updated_at: now,
        }),
    );
    writes.push(row(kinds::BUCKET, id));
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn update_bucket(
    next: &mut CatalogSnapshot,
    writes: &mut Vec<Write>,
    id: &str,
    name: Option<&str>,
    description: Option<&str>,
    retention_ns: Option<Option<i64>>,
    shard_group_ns: Option<i64>,
    now: i64,
) -> Result<(), CatalogError> {
    let (db, rp) = next.bucket(id).ok_or_else(|| not_found("bucket"))?;
    if retention_ns.is_some() || shard_group_ns.is_some() {
        crate::command::alter_retention_policy(
            next,
            writes,
            &db.name,
            &rp,
            retention_ns,
            shard_group_ns,
            None,
            false,
        )?;
    }
    let mut meta = match next.v2.bucket_meta.get(id) {
        Some(m) => BucketMeta::clone(m),
        None => BucketMeta {
            id: id.to_string(),
            org_id: next.bucket_org_id(id).unwrap_or_default(),
            name: None,
            description: String::new(),
            created_at: now,
            updated_at: now,
        },
    };
    let before = meta.clone();
    if let Some(name) = name {
        if name.is_empty() {
            return Err(CatalogError::Invalid("bucket name is empty".into()));
        }
        if let Some((other_db, other_rp)) = next.bucket_by_name(name) {
            if bucket_id(other_db.id, &other_rp) != id {
                return Err(CatalogError::Conflict(format!(
                    "bucket with name {name} already exists"
                )));
            }
        }
        let derived = {
            let mut plain = next.clone();
            plain.v2.bucket_meta.remove(id);
            plain.bucket_name(&db, &rp)
        };
        meta.name = (name != derived).then(|| name.to_string());
    }
    if let Some(d) = description {
        meta.description = d.to_string();
    }
    let is_new = !next.v2.bucket_meta.contains_key(id);
    if meta != before || is_new || !writes.is_empty() {
        meta.updated_at = now;
        next.v2.bucket_meta.insert(id.to_string(), Arc::new(meta));
        writes.push(row(kinds::BUCKET, id));
    }
    Ok(())
}

fn put_dbrp(
    next: &mut CatalogSnapshot,
    writes: &mut Vec<Write>,
    dbrp: &DbrpDef,
) -> Result<(), CatalogError> {
    if dbrp.database.is_empty() {
        return Err(CatalogError::Invalid("database must not be empty".into()));
    }
    if dbrp.retention_policy.is_empty() {
        return Err(CatalogError::Invalid(
            "retention policy must not be empty".into(),
        ));
    }
    if !next.v2.orgs.contains_key(&dbrp.org_id) {
        return Err(not_found("organization"));
    }
    if next.bucket(&dbrp.bucket_id).is_none() {
        return Err(not_found("bucket"));
    }
    if next.v2.dbrps.values().any(|d| {
        d.id != dbrp.id
            && d.org_id == dbrp.org_id
            && d.database == dbrp.database
            && d.retention_policy == dbrp.retention_policy
    }) {
        return Err(CatalogError::Conflict(
            "another DBRP mapping with same orgID, db, and rp exists".into(),
        ));
    }
    let mut dbrp = dbrp.clone();
    let same_db: Vec<_> = next
        .v2
        .dbrps
        .values()
        .filter(|d| d.id != dbrp.id && d.org_id == dbrp.org_id && d.database == dbrp.database)
        .cloned()
        .collect();
    if dbrp.default {
        for other in same_db.iter().filter(|d| d.default) {
            let mut o = DbrpDef::clone(other);
            o.default = false;
            writes.push(row(kinds::DBRP, o.id.clone()));
            next.v2.dbrps.insert(o.id.clone(), Arc::new(o));
        }
    } else if same_db.is_empty() {
        // The first mapping of a database is its default, as in InfluxDB.
        dbrp.default = true;
    }
    if next.v2.dbrps.get(&dbrp.id).map(|d| d.as_ref()) != Some(&dbrp) {
        writes.push(row(kinds::DBRP, dbrp.id.clone()));
        next.v2.dbrps.insert(dbrp.id.clone(), Arc::new(dbrp));
    }
    Ok(())
}

fn create_authorization(
    next: &mut CatalogSnapshot,
    writes: &mut Vec<Write>,
    auth: &AuthorizationDef,
) -> Result<(), CatalogError> {
    if !next.v2.orgs.contains_key(&auth.org_id) {
        return Err(not_found("organization"));
    }
    if next.user_by_id(&auth.user_id).is_none() {
        return Err(not_found("user"));
    }
    if next.v2.authorizations.contains_key(&auth.id)
        || next.v2.token_index.contains_key(&auth.token_hash)
    {
        return Err(CatalogError::Conflict(
            "authorization already exists".into(),
        ));
    }
    next.v2
        .token_index
        .insert(auth.token_hash.clone(), auth.id.clone());
    next.v2
        .authorizations
        .insert(auth.id.clone(), Arc::new(auth.clone()));
    writes.push(row(kinds::AUTH, auth.id.clone()));
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn setup(
    next: &mut CatalogSnapshot,
    writes: &mut Vec<Write>,
    org: &OrgDef,
    user: &str,
    password_hash: Option<&str>,
    bucket: &str,
    retention_ns: Option<i64>,
    auth: &AuthorizationDef,
) -> Result<(), CatalogError> {
    if next.v2.onboarding.done {
        return Err(CatalogError::Conflict(
            "onboarding has already been completed".into(),
        ));
    }
    if user.is_empty() {
        return Err(CatalogError::UsernameRequired);
    }
    if next.users.contains_key(user) {
        return Err(CatalogError::Conflict(format!(
            "user with name {user} already exists"
        )));
    }
    create_org(next, writes, org)?;
    let created = UserDef {
        name: user.to_string(),
        password_hash: password_hash.unwrap_or_default().to_string(),
        admin: true,
        privileges: Default::default(),
        created_at_version: next.version + 1,
    };
    let user_id = created.id();
    next.users.insert(user.to_string(), Arc::new(created));
    writes.push(Write::User(user.to_string()));
    next.v2
        .members
        .insert((org.id.clone(), user_id.clone()), MemberRole::Owner);
    writes.push(member_row(&org.id, &user_id));
    create_bucket(
        next,
        writes,
        &org.id,
        bucket,
        "",
        retention_ns,
        None,
        org.created_at,
    )?;
    let mut auth = auth.clone();
    auth.user_id = user_id;
    auth.org_id = org.id.clone();
    create_authorization(next, writes, &auth)?;
    next.v2.onboarding.done = true;
    next.v2.onboarding.default_org_id = Some(org.id.clone());
    writes.push(row(kinds::SETTINGS, ONBOARDING_ROW));
    Ok(())
}

//! InfluxDB 2.x operations of the [`Catalog`]: setup, organizations,
//! memberships, buckets, DBRP mappings, users' v2 attributes and documents.
//! Tokens are in `tokens.rs`.

use std::sync::Arc;

use crate::catalog::Catalog;
use crate::command::CatalogCommand;
use crate::error::CatalogError;
use crate::users::{hash_password, UserDef};
use crate::v2apply::V2Command;
use crate::v2types::{
    bucket_id, new_id, operator_permissions, AuthorizationDef, DbrpDef, DocumentDef, MemberRole,
    OrgDef,
};

/// Nanoseconds since the epoch, now.
pub(crate) fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

/// What `/api/v2/setup` asks for.
#[derive(Clone)]
pub struct SetupRequest {
    /// Organization name.
    pub org: String,
    /// User name.
    pub user: String,
    /// Password (`None`: the user cannot sign in with a password).
    pub password: Option<String>,
    /// Bucket name.
    pub bucket: String,
    /// Bucket retention, ns; `None` = infinite.
    pub retention_ns: Option<i64>,
    /// The operator token to create; `None` = generate one.
    pub token: Option<String>,
}

impl std::fmt::Debug for SetupRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetupRequest")
            .field("org", &self.org)
            .field("user", &self.user)
            .field("bucket", &self.bucket)
            .field("retention_ns", &self.retention_ns)
            .finish_non_exhaustive()
    }
}

/// What setup created.
#[derive(Debug, Clone)]
pub struct SetupResult {
    /// The user.
    pub user: Arc<UserDef>,
    /// The organization.
    pub org: Arc<OrgDef>,
    /// The bucket's id.
    pub bucket_id: String,
    /// The operator authorization.
    pub auth: Arc<AuthorizationDef>,
    /// The operator token (only returned here; the catalog keeps its hash).
    pub token: String,
}

/// What a bucket deletion removed, for the storage engine to drop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DroppedBucket {
    /// The whole database (its last retention policy was the bucket).
    Database(u64),
    /// One retention policy of a database.
    RetentionPolicy(u64, String),
}

impl Catalog {
    fn apply_v2(&self, cmd: V2Command) -> Result<(), CatalogError> {
        self.execute(&CatalogCommand::V2(Box::new(cmd))).map(|_| ())
    }

    /// Whether `/api/v2/setup` has completed.
    pub fn is_setup_done(&self) -> bool {
        self.snapshot().v2.onboarding.done
    }

    /// Runs the initial setup: user (also a 1.x admin), organization,
    /// bucket and an operator token, in one durable change.
    pub fn setup(&self, req: SetupRequest) -> Result<SetupResult, CatalogError> {
        let now = now_ns();
        let token = match req.token.clone() {
            Some(t) if !t.is_empty() => t,
            _ => crate::tokens::new_token()?,
        };
        let password_hash = req
            .password
            .as_deref()
            .map(|p| hash_password(p, self.bcrypt_cost()))
            .transpose()?;
        let org = OrgDef {
            id: new_id()?,
            name: req.org.clone(),
            description: String::new(),
            created_at: now,
            updated_at: now,
        };
        let auth = AuthorizationDef {
            id: new_id()?,
            token_hash: crate::v2types::token_hash(&token),
            org_id: org.id.clone(),
            user_id: String::new(),
            description: format!("{}'s Token", req.user),
            active: true,
            permissions: operator_permissions(),
            created_at: now,
            updated_at: now,
        };
        let auth_id = auth.id.clone();
        let org_id = org.id.clone();
        self.apply_v2(V2Command::Setup {
            org,
            user: req.user.clone(),
            password_hash,
            bucket: req.bucket.clone(),
            retention_ns: req.retention_ns,
            auth,
        })?;
        let snap = self.snapshot();
        let missing = || CatalogError::Storage("setup result vanished".into());
        let (db, rp) = snap.bucket_by_name(&req.bucket).ok_or_else(missing)?;
        Ok(SetupResult {
            user: snap.users.get(&req.user).cloned().ok_or_else(missing)?,
            org: snap.v2.orgs.get(&org_id).cloned().ok_or_else(missing)?,
            bucket_id: bucket_id(db.id, &rp),
            auth: snap
                .v2
                .authorizations
                .get(&auth_id)
                .cloned()
                .ok_or_else(missing)?,
            token,
        })
    }

    /// Creates an organization.
    pub fn create_org(&self, name: &str, description: &str) -> Result<Arc<OrgDef>, CatalogError> {
        let now = now_ns();
        let org = OrgDef {
            id: new_id()?,
            name: name.to_string(),
            description: description.to_string(),
            created_at: now,
            updated_at: now,
        };
        let id = org.id.clone();
        self.apply_v2(V2Command::CreateOrg { org })?;
        self.snapshot()
            .v2
            .orgs
            .get(&id)
            .cloned()
            .ok_or_else(|| CatalogError::NotFound("organization not found".into()))
    }

    /// Renames or re-describes an organization.
    pub fn update_org(
        &self,
        id: &str,
        name: Option<String>,
        description: Option<String>,
    ) -> Result<Arc<OrgDef>, CatalogError> {
        self.apply_v2(V2Command::UpdateOrg {
            id: id.to_string(),
            name,
            description,
            now: now_ns(),
        })?;
        self.snapshot()
            .v2
            .orgs
            .get(id)
            .cloned()
            .ok_or_else(|| CatalogError::NotFound("organization not found".into()))
    }

    /// Deletes an organization with its memberships, tokens, DBRP mappings
    /// and documents (its buckets' databases stay, in the default org).
    pub fn delete_org(&self, id: &str) -> Result<(), CatalogError> {
        self.apply_v2(V2Command::DeleteOrg { id: id.to_string() })
    }

    /// Sets (or with `None` removes) a user's role in an organization.
    pub fn set_member(
        &self,
        org_id: &str,
        user_id: &str,
        role: Option<MemberRole>,
    ) -> Result<(), CatalogError> {
        self.apply_v2(V2Command::SetMember {
            org_id: org_id.to_string(),
            user_id: user_id.to_string(),
            role,
        })
    }

    /// Creates a bucket: database `name` with retention policy `autogen`
    /// (retention `retention_ns`, `None` = infinite). Returns its id.
    pub fn create_bucket(
        &self,
        org_id: &str,
        name: &str,
        description: &str,
        retention_ns: Option<i64>,
        shard_group_ns: Option<i64>,
    ) -> Result<String, CatalogError> {
        self.apply_v2(V2Command::CreateBucket {
            org_id: org_id.to_string(),
            name: name.to_string(),
            description: description.to_string(),
            retention_ns,
            shard_group_ns,
            now: now_ns(),
        })?;
        let snap = self.snapshot();
        let db = snap
            .databases
            .get(name)
            .ok_or_else(|| CatalogError::NotFound("bucket not found".into()))?;
        Ok(bucket_id(db.id, &db.default_rp))
    }

    /// Changes a bucket's name, description or retention
    /// (`retention_ns: Some(None)` = infinite).
    pub fn update_bucket(
        &self,
        id: &str,
        name: Option<String>,
        description: Option<String>,
        retention_ns: Option<Option<i64>>,
        shard_group_ns: Option<i64>,
    ) -> Result<(), CatalogError> {
        self.apply_v2(V2Command::UpdateBucket {
            id: id.to_string(),
            name,
            description,
            retention_ns,
            shard_group_ns,
            now: now_ns(),
        })
    }

    /// Deletes bucket `id`: its retention policy, or the whole database when
    /// that policy is the database's only one. The caller drops the data.
    pub fn delete_bucket(&self, id: &str) -> Result<DroppedBucket, CatalogError> {
        let snap = self.snapshot();
        let (db, rp) = snap
            .bucket(id)
            .ok_or_else(|| CatalogError::NotFound("bucket not found".into()))?;
        if db.retention_policies.len() <= 1 {
            self.drop_database(&db.name)?;
            Ok(DroppedBucket::Database(db.id))
        } else {
            self.drop_retention_policy(&db.name, &rp)?;
            Ok(DroppedBucket::RetentionPolicy(db.id, rp))
        }
    }

    /// Creates an explicit DBRP mapping; returns it.
    pub fn create_dbrp(
        &self,
        org_id: &str,
        bucket_id: &str,
        database: &str,
        retention_policy: &str,
        default: bool,
    ) -> Result<Arc<DbrpDef>, CatalogError> {
        let dbrp = DbrpDef {
            id: new_id()?,
            org_id: org_id.to_string(),
            bucket_id: bucket_id.to_string(),
            database: database.to_string(),
            retention_policy: retention_policy.to_string(),
            default,
        };
        let id = dbrp.id.clone();
        self.apply_v2(V2Command::PutDbrp { dbrp })?;
        self.snapshot()
            .v2
            .dbrps
            .get(&id)
            .cloned()
            .ok_or_else(|| CatalogError::NotFound("DBRP not found".into()))
    }

    /// Replaces an explicit DBRP mapping (same id).
    pub fn update_dbrp(&self, dbrp: DbrpDef) -> Result<(), CatalogError> {
        if !self.snapshot().v2.dbrps.contains_key(&dbrp.id) {
            return Err(CatalogError::NotFound("DBRP not found".into()));
        }
        self.apply_v2(V2Command::PutDbrp { dbrp })
    }

    /// Deletes an explicit DBRP mapping.
    pub fn delete_dbrp(&self, id: &str) -> Result<(), CatalogError> {
        self.apply_v2(V2Command::DeleteDbrp { id: id.to_string() })
    }

    /// Renames user `name`.
    pub fn rename_user(&self, name: &str, new_name: &str) -> Result<(), CatalogError> {
        self.apply_v2(V2Command::RenameUser {
            name: name.to_string(),
            new_name: new_name.to_string(),
        })?;
        self.forget_cached_password(name);
        Ok(())
    }

    /// Marks user `name` active or inactive (inactive users cannot sign in
    /// and their tokens authenticate nothing).
    pub fn set_user_active(&self, name: &str, active: bool) -> Result<(), CatalogError> {
        self.apply_v2(V2Command::SetUserActive {
            name: name.to_string(),
            active,
        })
    }

    /// Creates or replaces a document of `kind` (`id: None` = new id); returns it.
    pub fn put_document(
        &self,
        kind: &str,
        id: Option<&str>,
        org_id: &str,
        body: String,
    ) -> Result<Arc<DocumentDef>, CatalogError> {
        let now = now_ns();
        let (id, created_at) = match id {
            Some(id) => {
                let snap = self.snapshot();
                let existing = snap
                    .v2
                    .documents
                    .get(&(kind.to_string(), id.to_string()))
                    .ok_or_else(|| CatalogError::NotFound(format!("{kind} not found")))?;
                (id.to_string(), existing.created_at)
            }
            None => (new_id()?, now),
        };
        let doc = DocumentDef {
            kind: kind.to_string(),
            id: id.clone(),
            org_id: org_id.to_string(),
            body,
            created_at,
            updated_at: now,
        };
        self.apply_v2(V2Command::PutDocument { doc })?;
        self.snapshot()
            .v2
            .documents
            .get(&(kind.to_string(), id))
            .cloned()
            .ok_or_else(|| CatalogError::NotFound(format!("{kind} not found")))
    }

    /// Creates or replaces document `kind`/`id` with a caller-chosen id.
    pub fn put_named_document(
        &self,
        kind: &str,
        id: &str,
        org_id: &str,
        body: String,
    ) -> Result<Arc<DocumentDef>, CatalogError> {
        let now = now_ns();
        let key = (kind.to_string(), id.to_string());
        let created_at = self
            .snapshot()
            .v2
            .documents
            .get(&key)
            .map_or(now, |d| d.created_at);
        let doc = DocumentDef {
            kind: kind.to_string(),
            id: id.to_string(),
            org_id: org_id.to_string(),
            body,
            created_at,
            updated_at: now,
        };
        self.apply_v2(V2Command::PutDocument { doc })?;
        self.snapshot()
            .v2
            .documents
            .get(&key)
            .cloned()
            .ok_or_else(|| CatalogError::NotFound(format!("{kind} not found")))
    }

    /// Deletes a document.
    pub fn delete_document(&self, kind: &str, id: &str) -> Result<(), CatalogError> {
        self.apply_v2(V2Command::DeleteDocument {
            kind: kind.to_string(),
            id: id.to_string(),
        })
    }
}

//! InfluxDB 2.x entities held by the catalog: organizations, memberships,
//! bucket metadata, DBRP mappings, authorizations (tokens) and stored JSON
//! documents (labels, variables, dashboards).
//!
//! Buckets are not stored as such: every (database, retention policy) pair
//! *is* a bucket, whose id is derived from the database's never-reused id and
//! the policy name ([`bucket_id`]), so it stays stable without a row. What a
//! bucket has beyond its database/RP (organization, description, a renamed
//! name, creation time) is kept in an optional [`BucketMeta`] row.
//!
//! Ids are 16 lower-case hex digits, as InfluxDB 2 prints its 64-bit ids.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::CatalogError;

/// Resource types a permission may name (InfluxDB 2.7's list).
pub const RESOURCE_TYPES: &[&str] = &[
    "authorizations",
    "buckets",
    "dashboards",
    "orgs",
    "sources",
    "tasks",
    "telegrafs",
    "users",
    "variables",
    "scrapers",
    "secrets",
    "labels",
    "views",
    "documents",
    "notificationRules",
    "notificationEndpoints",
    "checks",
    "dbrp",
    "notebooks",
    "annotations",
    "remotes",
    "replications",
];

/// A fresh random 16-hex-digit id (never all zeros, which InfluxDB treats as invalid).
pub fn new_id() -> Result<String, CatalogError> {
    loop {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes)
            .map_err(|e| CatalogError::Storage(format!("no randomness for an id: {e}")))?;
        if bytes != [0; 8] {
            return Ok(hex(&bytes));
        }
    }
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// First 8 bytes of SHA-256 over `parts`, as a 16-hex-digit id.
pub(crate) fn derived_id(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for p in parts {
        hasher.update((p.len() as u64).to_le_bytes());
        hasher.update(p);
    }
    let digest = hasher.finalize();
    hex(&digest[..8])
}

/// The stable id of the bucket that is retention policy `rp` of database `db_id`.
pub fn bucket_id(db_id: u64, rp: &str) -> String {
    derived_id(&[b"bucket", &db_id.to_le_bytes(), rp.as_bytes()])
}

/// The id of the automatic DBRP mapping of bucket `bucket_id`.
pub fn virtual_dbrp_id(bucket_id: &str) -> String {
    derived_id(&[b"dbrp", bucket_id.as_bytes()])
}

/// SHA-256 (hex) of a token: what the catalog stores instead of the token.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// An organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgDef {
    /// 16-hex-digit id.
    pub id: String,
    /// Unique name.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Creation time, ns since the epoch.
    pub created_at: i64,
    /// Last change, ns since the epoch.
    pub updated_at: i64,
}

/// A user's role in an organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MemberRole {
    /// May read and change everything in the organization.
    Owner,
    /// May read the organization's resources.
    Member,
}

impl MemberRole {
    /// InfluxDB's spelling ("owner", "member").
    pub fn name(self) -> &'static str {
        match self {
            MemberRole::Owner => "owner",
            MemberRole::Member => "member",
        }
    }
}

/// What a bucket has beyond its (database, retention policy).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketMeta {
    /// The bucket id ([`bucket_id`] of its database and policy).
    pub id: String,
    /// Owning organization.
    pub org_id: String,
    /// A name given through the v2 API that differs from the derived one.
    #[serde(default)]
    pub name: Option<String>,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Creation time, ns since the epoch.
    pub created_at: i64,
    /// Last change, ns since the epoch.
    pub updated_at: i64,
}

/// An explicit DBRP mapping: v1 `database`/`retention_policy` → a bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbrpDef {
    /// 16-hex-digit id.
    pub id: String,
    /// Organization.
    pub org_id: String,
    /// Target bucket.
    pub bucket_id: String,
    /// v1 database name.
    pub database: String,
    /// v1 retention policy name.
    pub retention_policy: String,
    /// Whether this is the database's default mapping.
    pub default: bool,
}

/// `read` or `write`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Read access.
    Read,
    /// Write access.
    Write,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Read => "read",
            Action::Write => "write",
        })
    }
}

/// The resource a permission applies to; absent `id`/`orgID` mean "all".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    /// Resource type (one of [`RESOURCE_TYPES`]).
    #[serde(rename = "type")]
    pub kind: String,
    /// One resource, or every resource of the type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Resources of one organization, or of all.
    #[serde(rename = "orgID", default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    /// Name of the resource (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Name of the organization (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
}

/// One permission of an authorization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permission {
    /// What it allows.
    pub action: Action,
    /// On what.
    pub resource: Resource,
}

impl Permission {
    /// Permission to do `action` on every resource of type `kind` (in every org).
    pub fn all_of(action: Action, kind: &str) -> Permission {
        Permission {
            action,
            resource: Resource {
                kind: kind.to_string(),
                id: None,
                org_id: None,
                name: None,
                org: None,
            },
        }
    }

    /// Whether this permission allows `action` on the resource of type `kind`
    /// with id `id` in organization `org_id` (`None` = the resource type as a
    /// whole, e.g. to create or list).
    pub fn allows(
        &self,
        action: Action,
        kind: &str,
        org_id: Option<&str>,
        id: Option<&str>,
    ) -> bool {
        if self.action != action || self.resource.kind != kind {
            return false;
        }
        if let Some(want) = &self.resource.id {
            if id != Some(want.as_str()) {
                return false;
            }
        }
        if let Some(want) = &self.resource.org_id {
            // A permission scoped to an org covers only resources of that org;
            // for orgs themselves the org is the resource.
            let org = if kind == "orgs" {
                id.or(org_id)
            } else {
                org_id
            };
            if org != Some(want.as_str()) {
                return false;
            }
        }
        true
    }
}

/// The permissions of an operator token: everything, everywhere.
pub fn operator_permissions() -> Vec<Permission> {
    RESOURCE_TYPES
        .iter()
        .flat_map(|kind| {
            [Action::Read, Action::Write]
                .into_iter()
                .map(move |a| Permission::all_of(a, kind))
        })
        .collect()
}

/// An authorization: a token with permissions, owned by a user in an org.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationDef {
    /// 16-hex-digit id.
    pub id: String,
    /// SHA-256 (hex) of the token; the token itself is never stored.
    pub token_hash: String,
    /// Organization.
    pub org_id: String,
    /// Owning user's id.
    pub user_id: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Inactive tokens authenticate nothing.
    pub active: bool,
    /// What the token allows.
    pub permissions: Vec<Permission>,
    /// Creation time, ns since the epoch.
    pub created_at: i64,
    /// Last change, ns since the epoch.
    pub updated_at: i64,
}

impl AuthorizationDef {
    /// Whether the token allows `action` on the given resource (see [`Permission::allows`]).
    pub fn allows(
        &self,
        action: Action,
        kind: &str,
        org_id: Option<&str>,
        id: Option<&str>,
    ) -> bool {
        self.permissions
            .iter()
            .any(|p| p.allows(action, kind, org_id, id))
    }
}

/// A stored JSON document: a label, variable or dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentDef {
    /// Kind ("labels", "variables", "dashboards", …).
    pub kind: String,
    /// 16-hex-digit id.
    pub id: String,
    /// Organization.
    pub org_id: String,
    /// The document, JSON text; its shape belongs to the HTTP layer.
    pub body: String,
    /// Creation time, ns since the epoch.
    pub created_at: i64,
    /// Last change, ns since the epoch.
    pub updated_at: i64,
}

/// Onboarding state: whether `/api/v2/setup` ran, and the organization that
/// databases created through the 1.x API belong to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Onboarding {
    /// Setup completed (an operator token exists).
    pub done: bool,
    /// Organization of buckets without their own metadata.
    pub default_org_id: Option<String>,
}

/// Everything InfluxDB 2.x-specific in a catalog snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct V2State {
    /// Setup state.
    pub onboarding: Onboarding,
    /// Organizations by id.
    pub orgs: BTreeMap<String, Arc<OrgDef>>,
    /// Memberships: (org id, user id) → role.
    pub members: BTreeMap<(String, String), MemberRole>,
    /// Bucket metadata by bucket id.
    pub bucket_meta: BTreeMap<String, Arc<BucketMeta>>,
    /// Explicit DBRP mappings by id.
    pub dbrps: BTreeMap<String, Arc<DbrpDef>>,
    /// Authorizations by id.
    pub authorizations: BTreeMap<String, Arc<AuthorizationDef>>,
    /// Token hash → authorization id.
    pub(crate) token_index: BTreeMap<String, String>,
    /// Ids of users marked inactive.
    pub inactive_users: BTreeSet<String>,
    /// Documents by (kind, id).
    pub documents: BTreeMap<(String, String), Arc<DocumentDef>>,
}

/// Row kinds of the `catalog_v2` table.
pub(crate) mod kinds {
    pub const SETTINGS: &str = "settings";
    pub const ORG: &str = "org";
    pub const MEMBER: &str = "member";
    pub const BUCKET: &str = "bucket";
    pub const DBRP: &str = "dbrp";
    pub const AUTH: &str = "auth";
    pub const USER_STATUS: &str = "user_inactive";
    pub const DOC: &str = "doc";
}

/// The row id of the onboarding settings.
pub(crate) const ONBOARDING_ROW: &str = "onboarding";

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, CatalogError> {
    serde_json::to_vec(value).map_err(|e| CatalogError::Storage(format!("encoding: {e}")))
}

fn decode<T: for<'a> Deserialize<'a>>(
    kind: &str,
    id: &str,
    bytes: &[u8],
) -> Result<T, CatalogError> {
    serde_json::from_slice(bytes).map_err(|e| CatalogError::Corrupt(format!("{kind} {id:?}: {e}")))
}

/// Splits a two-part row id `a/b`.
fn pair(kind: &str, id: &str) -> Result<(String, String), CatalogError> {
    id.split_once('/')
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .ok_or_else(|| CatalogError::Corrupt(format!("{kind} row id {id:?}")))
}

impl V2State {
    /// The organization named `name`.
    pub fn org_by_name(&self, name: &str) -> Option<&Arc<OrgDef>> {
        self.orgs.values().find(|o| o.name == name)
    }

    /// The authorization whose token is `token` (active or not).
    pub fn authorization_by_token(&self, token: &str) -> Option<&Arc<AuthorizationDef>> {
        let id = self.token_index.get(&token_hash(token))?;
        self.authorizations.get(id)
    }

    /// Role of user `user_id` in org `org_id`.
    pub fn role(&self, org_id: &str, user_id: &str) -> Option<MemberRole> {
        self.members
            .get(&(org_id.to_string(), user_id.to_string()))
            .copied()
    }

    /// The organization buckets without metadata belong to: the default org
    /// of the setup, else the oldest organization.
    pub fn default_org(&self) -> Option<&Arc<OrgDef>> {
        self.onboarding
            .default_org_id
            .as_ref()
            .and_then(|id| self.orgs.get(id))
            .or_else(|| {
                self.orgs
                    .values()
                    .min_by_key(|o| (o.created_at, o.id.clone()))
            })
    }

    /// The encoded row `(kind, id)`, or `None` when it no longer exists.
    pub(crate) fn row(&self, kind: &str, id: &str) -> Result<Option<Vec<u8>>, CatalogError> {
        Ok(match kind {
            kinds::SETTINGS => Some(encode(&self.onboarding)?),
            kinds::ORG => self.orgs.get(id).map(|v| encode(v.as_ref())).transpose()?,
            kinds::MEMBER => {
                let key = pair(kind, id)?;
                self.members.get(&key).map(encode).transpose()?
            }
            kinds::BUCKET => self
                .bucket_meta
                .get(id)
                .map(|v| encode(v.as_ref()))
                .transpose()?,
            kinds::DBRP => self.dbrps.get(id).map(|v| encode(v.as_ref())).transpose()?,
            kinds::AUTH => self
                .authorizations
                .get(id)
                .map(|v| encode(v.as_ref()))
                .transpose()?,
            kinds::USER_STATUS => self.inactive_users.contains(id).then(|| b"true".to_vec()),
            kinds::DOC => {
                let key = pair(kind, id)?;
                self.documents
                    .get(&key)
                    .map(|v| encode(v.as_ref()))
                    .transpose()?
            }
            other => {
                return Err(CatalogError::Storage(format!(
                    "unknown v2 row kind {other}"
                )))
            }
        })
    }

    /// Loads one stored row.
    pub(crate) fn load_row(
        &mut self,
        kind: &str,
        id: &str,
        bytes: &[u8],
    ) -> Result<(), CatalogError> {
        match kind {
            kinds::SETTINGS => self.onboarding = decode(kind, id, bytes)?,
            kinds::ORG => {
                self.orgs
                    .insert(id.to_string(), Arc::new(decode(kind, id, bytes)?));
            }
            kinds::MEMBER => {
                self.members
                    .insert(pair(kind, id)?, decode(kind, id, bytes)?);
            }
            kinds::BUCKET => {
                self.bucket_meta
                    .insert(id.to_string(), Arc::new(decode(kind, id, bytes)?));
            }
            kinds::DBRP => {
                self.dbrps
                    .insert(id.to_string(), Arc::new(decode(kind, id, bytes)?));
            }
            kinds::AUTH => {
                let auth: AuthorizationDef = decode(kind, id, bytes)?;
                self.token_index
                    .insert(auth.token_hash.clone(), auth.id.clone());
                self.authorizations.insert(id.to_string(), Arc::new(auth));
            }
            kinds::USER_STATUS => {
                self.inactive_users.insert(id.to_string());
            }
            kinds::DOC => {
                self.documents
                    .insert(pair(kind, id)?, Arc::new(decode(kind, id, bytes)?));
            }
            other => {
                return Err(CatalogError::Corrupt(format!(
                    "unknown v2 row kind {other}"
                )))
            }
        }
        Ok(())
    }
}

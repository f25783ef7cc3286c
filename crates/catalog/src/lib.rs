//! Durable metadata catalog of Almanac.
//!
//! The catalog records, per database, its retention policies, the schema
//! of every measurement (tag keys and typed field columns) and its
//! continuous queries, plus the cluster's users and their privileges
//! (bcrypt password hashes, as InfluxDB 1.x stores them) and the InfluxDB 2.x
//! entities: organizations, buckets (= database + retention policy), DBRP
//! mappings, authorizations (tokens, stored as SHA-256 hashes) and JSON
//! documents (labels, variables, dashboards). It is stored in a
//! [redb](https://docs.rs/redb) file and mirrored in memory as an immutable
//! [`CatalogSnapshot`] behind an `Arc`, so the write path can read it
//! without contending with writers.
//!
//! * Every database has a unique numeric id that is never reused: a database
//!   dropped and re-created under the same name is a different database.
//! * Every change is a serde-serializable [`CatalogCommand`] applied by one
//!   deterministic function ([`Catalog::apply`]), so a command log can later
//!   be replicated. Changes are serialized by a mutex, committed in a single
//!   durable redb write transaction, and only then published as the new
//!   snapshot.
//! * Semantics and error messages follow InfluxDB 1.x's meta store.
//!
//! ```no_run
//! use almanac_catalog::{Catalog, FieldType, Privilege};
//! # fn main() -> Result<(), almanac_catalog::CatalogError> {
//! let catalog = Catalog::open(std::path::Path::new("/var/lib/almanac/catalog.redb"))?;
//! let db = catalog.create_database("telegraf", None)?;
//! let conflicts = catalog.add_columns(db.id, "cpu", &["host"], &[("usage", FieldType::Float)])?;
//! assert!(conflicts.is_empty());
//!
//! // Users: bcrypt hashes (InfluxDB's cost 10 by default), InfluxDB's privilege rules.
//! catalog.create_user("writer", "s3cret", false)?;
//! catalog.grant("writer", "telegraf", Privilege::All)?;
//! catalog.revoke("writer", "telegraf", Privilege::Read)?; // leaves WRITE
//! let user = catalog.authenticate("writer", "s3cret")?;
//! assert!(user.authorize("telegraf", Privilege::Write));
//! assert!(!user.authorize("telegraf", Privilege::Read));
//!
//! // Continuous queries are stored as their full statement text.
//! catalog.create_continuous_query(
//!     "telegraf",
//!     "cpu_1h",
//!     "CREATE CONTINUOUS QUERY cpu_1h ON telegraf BEGIN SELECT mean(usage) INTO cpu_1h FROM cpu GROUP BY time(1h) END",
//! )?;
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

mod auth;
mod catalog;
mod command;
mod error;
mod orgs;
mod store;
mod subscriptions;
mod tokens;
mod types;
mod users;
mod v2apply;
mod v2types;

#[cfg(test)]
mod tests;

pub use catalog::{Catalog, CatalogOptions};
pub use command::{ApplyOutcome, CatalogCommand};
pub use error::CatalogError;
pub use orgs::{DroppedBucket, SetupRequest, SetupResult};
pub use subscriptions::{validate_destination, SubscriptionDef, SubscriptionMode};
pub use tokens::new_token;
pub use types::{
    default_shard_group_duration, CatalogSnapshot, ContinuousQueryDef, DatabaseDef, FieldConflict,
    FieldType, MeasurementSchema, RetentionPolicy, RetentionPolicySpec, DAY_NS,
    DEFAULT_REPLICATION, DEFAULT_RETENTION_POLICY_NAME, HOUR_NS, MIN_RETENTION_POLICY_DURATION_NS,
    WEEK_NS,
};
pub use users::{
    check_bcrypt_cost, hash_password, verify_password, Privilege, UserDef, DEFAULT_BCRYPT_COST,
    MAX_BCRYPT_COST, MIN_BCRYPT_COST,
};
pub use v2apply::V2Command;
pub use v2types::{
    bucket_id, new_id, operator_permissions, token_hash, virtual_dbrp_id, Action, AuthorizationDef,
    BucketMeta, DbrpDef, DocumentDef, MemberRole, Onboarding, OrgDef, Permission, Resource,
    V2State, RESOURCE_TYPES,
};

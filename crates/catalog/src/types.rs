//! Plain data types held by the catalog.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::users::UserDef;

/// One hour in nanoseconds.
pub const HOUR_NS: i64 = 3_600_000_000_000;
/// One day in nanoseconds.
pub const DAY_NS: i64 = 24 * HOUR_NS;
/// One week in nanoseconds.
pub const WEEK_NS: i64 = 7 * DAY_NS;
/// Shortest finite retention duration InfluxDB accepts (1h).
pub const MIN_RETENTION_POLICY_DURATION_NS: i64 = HOUR_NS;
/// Name of the retention policy created with every new database.
pub const DEFAULT_RETENTION_POLICY_NAME: &str = "autogen";
/// Replication factor used when none is given.
pub const DEFAULT_REPLICATION: u32 = 1;

/// Nanoseconds from 0001-01-01T00:00:00Z (Go's zero time) to the Unix epoch.
///
/// InfluxDB computes shard group boundaries with Go's `time.Truncate`, which
/// works relative to Go's zero time, not the Unix epoch. Day and hour windows
/// are the same either way, but e.g. 7-day windows start on Mondays.
const GO_ZERO_TO_UNIX_NS: i128 = 62_135_596_800 * 1_000_000_000;

/// Type of a field column. Once a field has a type in a measurement it keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum FieldType {
    /// 64-bit float.
    #[serde(rename = "float")]
    Float,
    /// Signed 64-bit integer.
    #[serde(rename = "integer")]
    Integer,
    /// Unsigned 64-bit integer.
    #[serde(rename = "unsigned")]
    UInteger,
    /// UTF-8 string.
    #[serde(rename = "string")]
    String,
    /// Boolean.
    #[serde(rename = "boolean")]
    Boolean,
}

impl FieldType {
    /// InfluxDB's name for the type ("float", "integer", "unsigned", "string", "boolean").
    pub fn name(&self) -> &'static str {
        match self {
            FieldType::Float => "float",
            FieldType::Integer => "integer",
            FieldType::UInteger => "unsigned",
            FieldType::String => "string",
            FieldType::Boolean => "boolean",
        }
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// InfluxDB 1.x default shard group duration for a retention duration.
///
/// Infinite (`None`, or `Some(0)`) or at least 180 days → 7 days; at least
/// 2 days → 1 day; anything shorter → 1 hour.
pub fn default_shard_group_duration(duration_ns: Option<i64>) -> i64 {
    match duration_ns {
        None | Some(0) => WEEK_NS,
        Some(d) if d >= 180 * DAY_NS => WEEK_NS,
        Some(d) if d >= 2 * DAY_NS => DAY_NS,
        Some(_) => HOUR_NS,
    }
}

/// InfluxDB's `normalisedShardDuration`: unspecified (`None`/0) → default for
/// the duration; anything below 1h → 1h; otherwise unchanged.
pub(crate) fn normalised_shard_group_duration(sgd: Option<i64>, duration_ns: Option<i64>) -> i64 {
    match sgd {
        None | Some(0) => default_shard_group_duration(duration_ns),
        Some(s) if s < MIN_RETENTION_POLICY_DURATION_NS => {
            default_shard_group_duration(Some(MIN_RETENTION_POLICY_DURATION_NS))
        }
        Some(s) => s,
    }
}

/// Maps InfluxDB's "0 means infinite" onto `None`.
pub(crate) fn normalise_duration(duration_ns: Option<i64>) -> Option<i64> {
    duration_ns.filter(|d| *d != 0)
}

/// A retention policy: how long data is kept and how it is partitioned in time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionPolicy {
    /// Policy name, unique within its database.
    pub name: String,
    /// How long data is kept; `None` = forever.
    pub duration_ns: Option<i64>,
    /// Width of one shard group (time partition); always ≥ 1h.
    pub shard_group_duration_ns: i64,
    /// Replication factor (≥ 1).
    pub replication: u32,
}

impl RetentionPolicy {
    /// The policy every database gets when created without a spec: "autogen",
    /// infinite duration, 7-day shard groups, replication 1.
    pub fn autogen() -> RetentionPolicy {
        RetentionPolicy {
            name: DEFAULT_RETENTION_POLICY_NAME.to_string(),
            duration_ns: None,
            shard_group_duration_ns: default_shard_group_duration(None),
            replication: DEFAULT_REPLICATION,
        }
    }

    /// Start of the shard group window containing `time_ns` (floor; correct
    /// for negative times).
    ///
    /// Windows are aligned exactly like InfluxDB's (Go `time.Truncate`, i.e.
    /// relative to 0001-01-01T00:00:00Z), so hour and day windows start at
    /// midnight UTC multiples and 7-day windows start on Mondays 00:00 UTC.
    /// Saturates at `i64::MIN` for times within one window of the minimum.
    pub fn partition_start(&self, time_ns: i64) -> i64 {
        let width = i128::from(self.shard_group_duration_ns.max(1));
        let t = i128::from(time_ns);
        let start = t - (t + GO_ZERO_TO_UNIX_NS).rem_euclid(width);
        i64::try_from(start).unwrap_or(i64::MIN)
    }

    /// End (exclusive) of the shard group window containing `time_ns`;
    /// saturates at `i64::MAX`.
    pub fn partition_end(&self, time_ns: i64) -> i64 {
        let end = i128::from(self.partition_start(time_ns))
            + i128::from(self.shard_group_duration_ns.max(1));
        i64::try_from(end).unwrap_or(i64::MAX)
    }
}

/// Requested settings for a new retention policy; unset parts take InfluxDB defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionPolicySpec {
    /// Policy name. In `create_database` an empty name means "autogen".
    pub name: String,
    /// Retention duration; `None` (or `Some(0)`) = infinite.
    pub duration_ns: Option<i64>,
    /// Shard group duration; `None` (or `Some(0)`) → [`default_shard_group_duration`].
    /// Values below 1h are raised to 1h, as InfluxDB does.
    pub shard_group_duration_ns: Option<i64>,
    /// Replication factor; `None` → 1.
    pub replication: Option<u32>,
}

impl RetentionPolicySpec {
    /// A spec with the given name and all settings defaulted.
    pub fn named(name: impl Into<String>) -> RetentionPolicySpec {
        RetentionPolicySpec {
            name: name.into(),
            ..Default::default()
        }
    }

    /// The policy this spec describes, with defaults filled in (InfluxDB's
    /// `NewRetentionPolicyInfo`). Does not validate.
    pub fn to_retention_policy(&self) -> RetentionPolicy {
        let name = if self.name.is_empty() {
            DEFAULT_RETENTION_POLICY_NAME.to_string()
        } else {
            self.name.clone()
        };
        let duration_ns = normalise_duration(self.duration_ns);
        RetentionPolicy {
            name,
            duration_ns,
            shard_group_duration_ns: normalised_shard_group_duration(
                self.shard_group_duration_ns,
                duration_ns,
            ),
            replication: self.replication.unwrap_or(DEFAULT_REPLICATION),
        }
    }

    /// Whether an existing policy satisfies this spec (InfluxDB's `Matches`):
    /// every setting given in the spec must be equal, and the normalised shard
    /// group duration must be equal.
    pub fn matches(&self, rp: &RetentionPolicy) -> bool {
        if !self.name.is_empty() && self.name != rp.name {
            return false;
        }
        if self.duration_ns.is_some() && normalise_duration(self.duration_ns) != rp.duration_ns {
            return false;
        }
        if let Some(r) = self.replication {
            if r != rp.replication {
                return false;
            }
        }
        normalised_shard_group_duration(self.shard_group_duration_ns, rp.duration_ns)
            == rp.shard_group_duration_ns
    }
}

/// Schema of one measurement: its tag keys and typed field columns.
///
/// A tag key and a field key may share a name (InfluxDB allows it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeasurementSchema {
    /// Measurement name.
    pub name: String,
    /// Tag keys ever written to the measurement.
    pub tags: BTreeSet<String>,
    /// Field keys and their (fixed) types.
    pub fields: BTreeMap<String, FieldType>,
}

impl MeasurementSchema {
    /// An empty schema named `name`.
    pub fn new(name: impl Into<String>) -> MeasurementSchema {
        MeasurementSchema {
            name: name.into(),
            tags: BTreeSet::new(),
            fields: BTreeMap::new(),
        }
    }

    /// Type of field `name`, if the field exists.
    pub fn field_type(&self, name: &str) -> Option<FieldType> {
        self.fields.get(name).copied()
    }

    /// Whether `key` is a known tag key.
    pub fn has_tag(&self, key: &str) -> bool {
        self.tags.contains(key)
    }
}

/// A requested field whose type differs from the type already recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldConflict {
    /// Field key.
    pub field: String,
    /// Type the caller asked for (rejected).
    pub requested: FieldType,
    /// Type the field already has.
    pub existing: FieldType,
}

impl FieldConflict {
    /// InfluxDB's error text for this conflict on `measurement`.
    pub fn message(&self, measurement: &str) -> String {
        format!(
            "field type conflict: input field \"{}\" on measurement \"{}\" is type {}, already exists as type {}",
            self.field, measurement, self.requested, self.existing
        )
    }
}

/// A continuous query of a database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContinuousQueryDef {
    /// Query name, unique within its database.
    pub name: String,
    /// The full `CREATE CONTINUOUS QUERY …` statement, as InfluxDB stores it
    /// (and SHOW CONTINUOUS QUERIES prints it).
    pub query: String,
    /// Catalog version that created the query; orders queries by creation,
    /// as InfluxDB lists them.
    pub created_at_version: u64,
}

/// A database: its identity, retention policies, measurement schemas and
/// continuous queries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseDef {
    /// Unique, never reused id; storage keys data by it.
    pub id: u64,
    /// Database name.
    pub name: String,
    /// Name of the default retention policy.
    ///
    /// As in InfluxDB, dropping the default policy does not clear this name:
    /// the database then has no usable default (`rp(None)` is `None`) until a
    /// policy is made default, or a policy with this name is created again.
    pub default_rp: String,
    /// Retention policies by name.
    pub retention_policies: BTreeMap<String, RetentionPolicy>,
    /// Measurement schemas by name.
    pub measurements: BTreeMap<String, Arc<MeasurementSchema>>,
    /// Continuous queries by name.
    pub continuous_queries: BTreeMap<String, ContinuousQueryDef>,
    /// Subscriptions of its retention policies, in creation order.
    pub subscriptions: Vec<crate::subscriptions::SubscriptionDef>,
}

impl DatabaseDef {
    /// Policy `name`, or the default policy when `name` is `None` or empty.
    pub fn rp(&self, name: Option<&str>) -> Option<&RetentionPolicy> {
        match name {
            Some(n) if !n.is_empty() => self.retention_policies.get(n),
            _ => self.retention_policies.get(&self.default_rp),
        }
    }

    /// Schema of measurement `name`.
    pub fn measurement(&self, name: &str) -> Option<&Arc<MeasurementSchema>> {
        self.measurements.get(name)
    }

    /// Continuous query `name`.
    pub fn continuous_query(&self, name: &str) -> Option<&ContinuousQueryDef> {
        self.continuous_queries.get(name)
    }

    /// Continuous queries in creation order (SHOW CONTINUOUS QUERIES order).
    pub fn continuous_queries_in_creation_order(&self) -> Vec<&ContinuousQueryDef> {
        let mut cqs: Vec<_> = self.continuous_queries.values().collect();
        cqs.sort_by_key(|cq| cq.created_at_version);
        cqs
    }
}

/// An immutable view of the whole catalog at one point in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogSnapshot {
    /// Databases by name.
    pub databases: BTreeMap<String, Arc<DatabaseDef>>,
    /// Users by name (cluster-wide).
    pub users: BTreeMap<String, Arc<UserDef>>,
    /// InfluxDB 2.x entities (orgs, bucket metadata, tokens, documents).
    pub v2: crate::v2types::V2State,
    /// Index id → name, kept in step with `databases` by the catalog.
    pub(crate) ids: BTreeMap<u64, String>,
    /// Id the next created database will get.
    pub(crate) next_database_id: u64,
    /// Number of changes committed since the catalog was created.
    pub(crate) version: u64,
}

impl Default for CatalogSnapshot {
    fn default() -> Self {
        CatalogSnapshot {
            databases: BTreeMap::new(),
            users: BTreeMap::new(),
            v2: Default::default(),
            ids: BTreeMap::new(),
            next_database_id: 1,
            version: 0,
        }
    }
}

impl CatalogSnapshot {
    /// Database named `name`.
    pub fn database(&self, name: &str) -> Option<&Arc<DatabaseDef>> {
        self.databases.get(name)
    }

    /// Database with id `id`.
    pub fn database_by_id(&self, id: u64) -> Option<&Arc<DatabaseDef>> {
        let indexed = self
            .ids
            .get(&id)
            .and_then(|name| self.databases.get(name))
            .filter(|db| db.id == id);
        // Fall back to a scan in case `databases` was edited on a cloned snapshot.
        indexed.or_else(|| self.databases.values().find(|db| db.id == id))
    }

    /// User named `name`.
    pub fn user(&self, name: &str) -> Option<&Arc<UserDef>> {
        self.users.get(name)
    }

    /// Users in creation order (SHOW USERS order).
    pub fn users_in_creation_order(&self) -> Vec<Arc<UserDef>> {
        let mut users: Vec<_> = self.users.values().cloned().collect();
        users.sort_by_key(|u| u.created_at_version);
        users
    }

    /// Whether at least one user is an admin (InfluxDB's `AdminUserExists`).
    pub fn has_admin_user(&self) -> bool {
        self.users.values().any(|u| u.admin)
    }

    /// Id the next created database will get (ids are never reused).
    pub fn next_database_id(&self) -> u64 {
        self.next_database_id
    }

    /// Number of changes committed so far; grows by one per effective command.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Inserts or replaces a database, keeping the id index in step.
    pub(crate) fn put_database(&mut self, db: DatabaseDef) {
        self.ids.insert(db.id, db.name.clone());
        self.databases.insert(db.name.clone(), Arc::new(db));
    }

    /// Removes a database by name, keeping the id index in step.
    pub(crate) fn remove_database(&mut self, name: &str) -> Option<Arc<DatabaseDef>> {
        let db = self.databases.remove(name)?;
        self.ids.remove(&db.id);
        Some(db)
    }
}

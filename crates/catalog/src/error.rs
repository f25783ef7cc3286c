//! The catalog's error type.

/// Everything that can go wrong while reading or changing the catalog.
///
/// Messages follow InfluxDB 1.x wording wherever InfluxDB has an equivalent
/// error, so they can be passed straight through to HTTP clients.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// A database name was empty.
    #[error("database name required")]
    DatabaseNameRequired,
    /// No database has the given name.
    #[error("database not found: {0}")]
    DatabaseNotFound(String),
    /// No database has the given id (it was dropped, or never existed).
    #[error("database not found: id {0}")]
    DatabaseIdNotFound(u64),
    /// A retention policy name was empty.
    #[error("retention policy name required")]
    RetentionPolicyNameRequired,
    /// The database has no retention policy of the given name.
    #[error("retention policy not found: {0}")]
    RetentionPolicyNotFound(String),
    /// CREATE RETENTION POLICY named an existing policy with different settings.
    #[error("retention policy already exists")]
    RetentionPolicyExists,
    /// The request is incompatible with an existing policy of the same name
    /// (or would silently change which policy is the default).
    #[error("retention policy conflicts with an existing policy")]
    RetentionPolicyConflict,
    /// A finite retention duration shorter than one hour was requested.
    #[error("retention policy duration must be at least 1h0m0s")]
    RetentionPolicyDurationTooLow,
    /// The shard group duration would exceed the (finite) retention duration.
    #[error("retention policy duration must be greater than the shard duration")]
    IncompatibleDurations,
    /// A replication factor of zero was requested.
    #[error("replication factor must be greater than 0")]
    ReplicationFactorTooLow,
    /// A measurement name was empty.
    #[error("measurement name required")]
    MeasurementNameRequired,
    /// A tag key was empty.
    #[error("tag key required")]
    TagKeyRequired,
    /// A field key was empty.
    #[error("field key required")]
    FieldKeyRequired,
    /// A user name was empty.
    #[error("username required")]
    UsernameRequired,
    /// CREATE USER named an existing user with another password or admin flag.
    #[error("user already exists")]
    UserExists,
    /// No user has the given name.
    #[error("user not found")]
    UserNotFound,
    /// The password does not match the user's hash.
    #[error("authentication failed")]
    AuthenticationFailed,
    /// A bcrypt cost outside 4..=31 was configured.
    #[error("invalid bcrypt cost {0}: must be between 4 and 31")]
    InvalidBcryptCost(u32),
    /// The password could not be hashed.
    #[error("password hashing failed: {0}")]
    PasswordHash(String),
    /// CREATE CONTINUOUS QUERY named an existing query with a different text.
    #[error("continuous query already exists")]
    ContinuousQueryExists,
    /// CREATE SUBSCRIPTION named an existing subscription of the policy.
    #[error("subscription already exists")]
    SubscriptionExists,
    /// DROP SUBSCRIPTION named no subscription of the policy.
    #[error("subscription not found")]
    SubscriptionNotFound,
    /// A subscription destination is not an `http`/`https`/`udp` URL with a port.
    #[error("invalid subscription URL: {0}")]
    InvalidSubscriptionUrl(String),
    /// An InfluxDB 2.x entity does not exist (message names it).
    #[error("{0}")]
    NotFound(String),
    /// An InfluxDB 2.x entity conflicts with an existing one (message says which).
    #[error("{0}")]
    Conflict(String),
    /// An InfluxDB 2.x request is invalid (message says why).
    #[error("{0}")]
    Invalid(String),
    /// The redb file could not be opened, read or written.
    #[error("catalog storage error: {0}")]
    Storage(String),
    /// The redb file holds data this version cannot interpret.
    #[error("catalog is corrupt: {0}")]
    Corrupt(String),
}

macro_rules! storage_error_from {
    ($($t:ty),* $(,)?) => {
        $(
            impl From<$t> for CatalogError {
                fn from(e: $t) -> Self {
                    CatalogError::Storage(e.to_string())
                }
            }
        )*
    };
}

storage_error_from!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    std::io::Error,
);

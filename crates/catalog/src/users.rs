//! Users, their privileges, and password hashing (InfluxDB 1.x semantics).
//!
//! Users are cluster-wide. A user is either an admin (all privileges
//! everywhere, may manage users and databases) or has a per-database
//! [`Privilege`]. Passwords are stored only as bcrypt hashes in the `$2a$`
//! format InfluxDB 1.x writes, so hashes move between the two unchanged.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::CatalogError;

/// bcrypt cost InfluxDB 1.x uses (Go's `bcrypt.DefaultCost`).
pub const DEFAULT_BCRYPT_COST: u32 = 10;
/// Smallest bcrypt cost accepted (Go's `bcrypt.MinCost`); meant for tests.
pub const MIN_BCRYPT_COST: u32 = 4;
/// Largest bcrypt cost accepted (Go's `bcrypt.MaxCost`).
pub const MAX_BCRYPT_COST: u32 = 31;

/// A privilege on one database, InfluxQL's `influxql.Privilege`.
///
/// The privileges form a two-bit set (`READ` = 1, `WRITE` = 2,
/// `ALL` = both), which is how InfluxDB computes REVOKE: the revoked bits
/// are cleared from what the user holds, so revoking READ from ALL leaves
/// WRITE. An explicit [`Privilege::NoPrivileges`] entry is what REVOKE leaves
/// behind; SHOW GRANTS lists it as `NO PRIVILEGES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Privilege {
    /// No access (an entry left by REVOKE).
    #[serde(rename = "none")]
    NoPrivileges,
    /// May query the database.
    #[serde(rename = "read")]
    Read,
    /// May write to the database.
    #[serde(rename = "write")]
    Write,
    /// May read and write.
    #[serde(rename = "all")]
    All,
}

impl Privilege {
    /// The privilege as InfluxDB's bit set (`NoPrivileges` = 0, `Read` = 1,
    /// `Write` = 2, `All` = 3).
    pub fn bits(self) -> u8 {
        match self {
            Privilege::NoPrivileges => 0,
            Privilege::Read => 1,
            Privilege::Write => 2,
            Privilege::All => 3,
        }
    }

    /// The privilege with the given bit set; bits above the two low ones are ignored.
    pub fn from_bits(bits: u8) -> Privilege {
        match bits & 3 {
            0 => Privilege::NoPrivileges,
            1 => Privilege::Read,
            2 => Privilege::Write,
            _ => Privilege::All,
        }
    }

    /// Both privileges together (`READ` ∪ `WRITE` = `ALL`).
    pub fn union(self, other: Privilege) -> Privilege {
        Privilege::from_bits(self.bits() | other.bits())
    }

    /// This privilege with `revoked` taken away (Go's `p &^ revoked`), what
    /// InfluxDB's REVOKE stores.
    pub fn without(self, revoked: Privilege) -> Privilege {
        Privilege::from_bits(self.bits() & !revoked.bits())
    }

    /// Whether holding this privilege allows what `need` asks for.
    /// Everything includes `NoPrivileges`.
    pub fn includes(self, need: Privilege) -> bool {
        self.bits() & need.bits() == need.bits()
    }

    /// InfluxQL spelling, as SHOW GRANTS prints it: `NO PRIVILEGES`, `READ`,
    /// `WRITE`, `ALL PRIVILEGES`.
    pub fn name(self) -> &'static str {
        match self {
            Privilege::NoPrivileges => "NO PRIVILEGES",
            Privilege::Read => "READ",
            Privilege::Write => "WRITE",
            Privilege::All => "ALL PRIVILEGES",
        }
    }
}

impl fmt::Display for Privilege {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A user account.
#[derive(Clone, PartialEq, Eq)]
pub struct UserDef {
    /// User name, unique in the cluster.
    pub name: String,
    /// bcrypt hash of the password (`$2a$…`); the password itself is never stored.
    pub password_hash: String,
    /// Cluster admin (GRANT ALL PRIVILEGES): every privilege on every database.
    pub admin: bool,
    /// Privileges by database name. Entries may be `NoPrivileges` (left by REVOKE).
    pub privileges: BTreeMap<String, Privilege>,
    /// Catalog version that created the user; orders users by creation, as
    /// InfluxDB lists them in SHOW USERS.
    pub created_at_version: u64,
}

impl fmt::Debug for UserDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserDef")
            .field("name", &self.name)
            .field("password_hash", &"<redacted>")
            .field("admin", &self.admin)
            .field("privileges", &self.privileges)
            .field("created_at_version", &self.created_at_version)
            .finish()
    }
}

impl UserDef {
    /// The user's InfluxDB 2.x id (16 hex digits), derived from its creation
    /// so it survives renames and restarts without being stored.
    pub fn id(&self) -> String {
        if self.created_at_version == 0 {
            // Users from before creation versions were recorded.
            crate::v2types::derived_id(&[b"user-name", self.name.as_bytes()])
        } else {
            crate::v2types::derived_id(&[b"user", &self.created_at_version.to_le_bytes()])
        }
    }

    /// Whether the user is a cluster admin.
    pub fn is_admin(&self) -> bool {
        self.admin
    }

    /// The privilege recorded for `database` (`NoPrivileges` when none),
    /// InfluxDB's `UserPrivilege`. Does not consider admin status.
    pub fn privilege(&self, database: &str) -> Privilege {
        self.privileges
            .get(database)
            .copied()
            .unwrap_or(Privilege::NoPrivileges)
    }

    /// Whether the user may do what `need` asks on `database` (InfluxDB's
    /// `AuthorizeDatabase`): admins may do everything, `NoPrivileges` is
    /// always granted, otherwise the recorded privilege must include `need`.
    pub fn authorize(&self, database: &str, need: Privilege) -> bool {
        self.admin || self.privilege(database).includes(need)
    }

    /// Whether the user may run statements that need cluster admin
    /// (user management, CREATE/DROP DATABASE, …).
    pub fn authorize_admin(&self) -> bool {
        self.admin
    }

    /// Whether `password` matches the stored hash (a full bcrypt check).
    pub fn verify_password(&self, password: &str) -> bool {
        verify_password(password, &self.password_hash)
    }
}

/// Checks that `cost` is a bcrypt cost InfluxDB's Go library accepts (4–31).
pub fn check_bcrypt_cost(cost: u32) -> Result<(), CatalogError> {
    if (MIN_BCRYPT_COST..=MAX_BCRYPT_COST).contains(&cost) {
        Ok(())
    } else {
        Err(CatalogError::InvalidBcryptCost(cost))
    }
}

/// Hashes `password` with bcrypt at `cost`, in the `$2a$` form InfluxDB 1.x
/// stores. As in Go's bcrypt of InfluxDB 1.x, only the first 72 bytes count.
pub fn hash_password(password: &str, cost: u32) -> Result<String, CatalogError> {
    check_bcrypt_cost(cost)?;
    bcrypt::hash_with_result(password, cost)
        .map(|parts| parts.format_for_version(bcrypt::Version::TwoA))
        .map_err(|e| CatalogError::PasswordHash(e.to_string()))
}

/// Whether `password` matches the bcrypt `hash` (`$2a$`, `$2b$`, `$2x$`,
/// `$2y$`). A malformed hash matches nothing.
pub fn verify_password(password: &str, hash: &str) -> bool {
    bcrypt::verify(password, hash).unwrap_or(false)
}

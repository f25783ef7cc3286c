//! In-memory cache of successful password checks.
//!
//! bcrypt at InfluxDB's cost 10 takes tens of milliseconds by design, too
//! slow to pay on every authenticated HTTP request. Like InfluxDB's meta
//! client, after a successful bcrypt check the catalog remembers a salted
//! SHA-256 of the password, tied to the bcrypt hash it was checked against:
//! later requests with the same password compare digests; a changed password
//! (new bcrypt hash) or a dropped user makes the entry stale. A digest
//! mismatch falls back to the full bcrypt check. Nothing here is persisted.

use std::collections::HashMap;

use parking_lot::Mutex;
use sha2::{Digest, Sha256};

/// One remembered successful check.
struct Entry {
    /// The bcrypt hash the password was verified against.
    bcrypt_hash: String,
    /// Random per-entry salt.
    salt: [u8; 16],
    /// SHA-256(salt ‖ password).
    digest: [u8; 32],
}

/// Cache of successful password checks by user name.
#[derive(Default)]
pub(crate) struct AuthCache {
    entries: Mutex<HashMap<String, Entry>>,
}

fn salted_digest(salt: &[u8; 16], password: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(password.as_bytes());
    hasher.finalize().into()
}

/// Equality whose time does not depend on where the inputs differ.
fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl AuthCache {
    /// Whether `password` was already verified for `user` against `bcrypt_hash`.
    pub(crate) fn matches(&self, user: &str, bcrypt_hash: &str, password: &str) -> bool {
        let entries = self.entries.lock();
        match entries.get(user) {
            Some(e) if e.bcrypt_hash == bcrypt_hash => {
                constant_time_eq(&salted_digest(&e.salt, password), &e.digest)
            }
            _ => false,
        }
    }

    /// Remembers that `password` matched `bcrypt_hash` for `user`. Without
    /// a random salt (no OS randomness) nothing is remembered.
    pub(crate) fn remember(&self, user: &str, bcrypt_hash: &str, password: &str) {
        let mut salt = [0u8; 16];
        if getrandom::fill(&mut salt).is_err() {
            return;
        }
        let entry = Entry {
            bcrypt_hash: bcrypt_hash.to_string(),
            salt,
            digest: salted_digest(&salt, password),
        };
        self.entries.lock().insert(user.to_string(), entry);
    }

    /// Forgets `user` (dropped, or password changed).
    pub(crate) fn forget(&self, user: &str) {
        self.entries.lock().remove(user);
    }
}

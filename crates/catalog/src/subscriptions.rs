//! Subscriptions: InfluxDB 1.x's `CREATE SUBSCRIPTION name ON db.rp
//! DESTINATIONS ALL|ANY 'url', …`, which forward every write to a retention
//! policy to other servers (Kapacitor, another InfluxDB) over HTTP(S) or UDP.
//!
//! A subscription belongs to one retention policy of one database and is kept
//! in the database's row (so dropping the database or the policy drops it).
//! Validation and error wording follow influxd 1.6.7's meta store:
//! destinations are checked first (`invalid subscription URL: <url>`: the
//! scheme must be `http`, `https` or `udp`, and the URL must parse as Go's
//! `net/url` does with a `host:port`), then the database, the retention
//! policy, and the name (`subscription already exists`, per policy).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::command::{CatalogCommand, Write};
use crate::error::CatalogError;
use crate::types::{CatalogSnapshot, DatabaseDef};

/// How a subscription spreads writes over its destinations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SubscriptionMode {
    /// Every destination receives every write.
    #[serde(rename = "ALL")]
    All,
    /// Each write goes to one destination (round-robin).
    #[serde(rename = "ANY")]
    Any,
}

impl SubscriptionMode {
    /// `ALL` or `ANY`, as SHOW SUBSCRIPTIONS prints it.
    pub fn as_str(&self) -> &'static str {
        match self {
            SubscriptionMode::All => "ALL",
            SubscriptionMode::Any => "ANY",
        }
    }
}

/// One subscription of a database.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SubscriptionDef {
    /// Name, unique within its retention policy.
    pub name: String,
    /// The retention policy whose writes are forwarded.
    pub retention_policy: String,
    /// ALL or ANY.
    pub mode: SubscriptionMode,
    /// Destination URLs as given (`http://h:p`, `https://h:p/path`, `udp://h:p`).
    pub destinations: Vec<String>,
}

/// Checks one destination URL as influxd does: Go's `url.Parse` must accept
/// it, its scheme must be `http`, `https` or `udp`, and its host must carry a
/// port (`net.SplitHostPort`). Error: `invalid subscription URL: <url>`.
pub fn validate_destination(url: &str) -> Result<(), CatalogError> {
    if go_url_has_host_port(url) {
        Ok(())
    } else {
        Err(CatalogError::InvalidSubscriptionUrl(url.to_string()))
    }
}

/// Go `net/url` parsing rules that matter for a subscription URL.
fn go_url_has_host_port(url: &str) -> bool {
    let (rest, fragment) = match url.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (url, None),
    };
    if fragment.is_some_and(|f| !valid_escapes(f)) {
        return false;
    }
    let Some(colon) = rest.find(':') else {
        return false;
    };
    let scheme = &rest[..colon];
    let mut chars = scheme.chars();
    if !chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return false;
    }
    if !matches!(
        scheme.to_ascii_lowercase().as_str(),
        "http" | "https" | "udp"
    ) {
        return false;
    }
    // The query is not validated by Go's parser.
    let rest = rest[colon + 1..].split('?').next().unwrap_or("");
    // Without `//` the URL is opaque: no host, so no port.
    let Some(after) = rest.strip_prefix("//") else {
        return false;
    };
    let (authority, path) = match after.find('/') {
        Some(i) => after.split_at(i),
        None => (after, ""),
    };
    if !valid_escapes(path) {
        return false;
    }
    let host = match authority.rfind('@') {
        Some(i) => {
            if !valid_userinfo(&authority[..i]) {
                return false;
            }
            &authority[i + 1..]
        }
        None => authority,
    };
    let (name, port) = if let Some(inner) = host.strip_prefix('[') {
        let Some(end) = inner.find(']') else {
            return false;
        };
        match inner[end + 1..].strip_prefix(':') {
            Some(port) => (&inner[..end], port),
            None => return false,
        }
    } else {
        match host.rfind(':') {
            Some(i) => (&host[..i], &host[i + 1..]),
            None => return false,
        }
    };
    // `net.SplitHostPort` then needs a port, and no further colon unbracketed.
    let bracketed = host.starts_with('[');
    !port.is_empty()
        && port.bytes().all(|b| b.is_ascii_digit())
        && (bracketed || (!name.contains(':') && valid_host(name)))
}

/// Every `%` starts a two-hex-digit escape.
fn valid_escapes(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if i + 2 >= b.len() {
                return false;
            }
            if !(b[i + 1].is_ascii_hexdigit() && b[i + 2].is_ascii_hexdigit()) {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

/// Go's `validUserinfo` plus its escape check.
fn valid_userinfo(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || !c.is_ascii() || "-._:~!$&'()*+,;=%@".contains(c))
        && valid_escapes(s)
}

/// Go's host rules (`unescape` in host mode): ASCII bytes must be
/// unreserved or sub-delimiters, and `%` may only escape a non-ASCII byte
/// (or be `%25`).
fn valid_host(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'%' {
            if i + 2 >= b.len() || !b[i + 1].is_ascii_hexdigit() || !b[i + 2].is_ascii_hexdigit() {
                return false;
            }
            let high = (b[i + 1] as char).to_digit(16).unwrap_or(0);
            if high < 8 && &s[i..i + 3] != "%25" {
                return false;
            }
            i += 3;
            continue;
        }
        let allowed =
            c >= 0x80 || c.is_ascii_alphanumeric() || b"-_.~!$&'()*+,;=:[]<>\"".contains(&c);
        if !allowed {
            return false;
        }
        i += 1;
    }
    true
}

/// The retention policy `rp` of `database`, with InfluxDB's errors.
fn policy_owner<'a>(
    next: &'a CatalogSnapshot,
    database: &str,
    rp: &str,
) -> Result<&'a Arc<DatabaseDef>, CatalogError> {
    let db = next
        .databases
        .get(database)
        .ok_or_else(|| CatalogError::DatabaseNotFound(database.to_string()))?;
    if !db.retention_policies.contains_key(rp) {
        return Err(CatalogError::RetentionPolicyNotFound(rp.to_string()));
    }
    Ok(db)
}

/// InfluxDB's CreateSubscription.
pub(crate) fn create_subscription(
    next: &mut CatalogSnapshot,
    writes: &mut Vec<Write>,
    database: &str,
    def: &SubscriptionDef,
) -> Result<(), CatalogError> {
    for d in &def.destinations {
        validate_destination(d)?;
    }
    let db = policy_owner(next, database, &def.retention_policy)?;
    if db
        .subscriptions
        .iter()
        .any(|s| s.retention_policy == def.retention_policy && s.name == def.name)
    {
        return Err(CatalogError::SubscriptionExists);
    }
    let mut db = DatabaseDef::clone(db);
    db.subscriptions.push(def.clone());
    writes.push(Write::Database(db.id));
    next.put_database(db);
    Ok(())
}

/// InfluxDB's DropSubscription.
pub(crate) fn drop_subscription(
    next: &mut CatalogSnapshot,
    writes: &mut Vec<Write>,
    database: &str,
    rp: &str,
    name: &str,
) -> Result<(), CatalogError> {
    let db = policy_owner(next, database, rp)?;
    let Some(pos) = db
        .subscriptions
        .iter()
        .position(|s| s.retention_policy == rp && s.name == name)
    else {
        return Err(CatalogError::SubscriptionNotFound);
    };
    let mut db = DatabaseDef::clone(db);
    db.subscriptions.remove(pos);
    writes.push(Write::Database(db.id));
    next.put_database(db);
    Ok(())
}

/// Subscriptions.
impl Catalog {
    /// CREATE SUBSCRIPTION `def.name` ON `database`.`def.retention_policy`:
    /// errors `invalid subscription URL: <url>`, `database not found: <db>`,
    /// `retention policy not found: <rp>`, `subscription already exists`.
    pub fn create_subscription(
        &self,
        database: &str,
        def: SubscriptionDef,
    ) -> Result<(), CatalogError> {
        let cmd = CatalogCommand::CreateSubscription {
            database: database.to_string(),
            subscription: def,
        };
        self.execute(&cmd).map(|_| ())
    }

    /// DROP SUBSCRIPTION `name` ON `database`.`rp` (`subscription not found`
    /// when absent, after the database and policy checks).
    pub fn drop_subscription(
        &self,
        database: &str,
        rp: &str,
        name: &str,
    ) -> Result<(), CatalogError> {
        let cmd = CatalogCommand::DropSubscription {
            database: database.to_string(),
            retention_policy: rp.to_string(),
            name: name.to_string(),
        };
        self.execute(&cmd).map(|_| ())
    }

    /// Every subscription as (database, subscription), databases in creation
    /// order, then policies by name, then subscriptions in creation order.
    pub fn subscriptions(&self) -> Vec<(String, SubscriptionDef)> {
        self.snapshot().subscriptions()
    }
}

impl CatalogSnapshot {
    /// See [`Catalog::subscriptions`].
    pub fn subscriptions(&self) -> Vec<(String, SubscriptionDef)> {
        let mut dbs: Vec<&Arc<DatabaseDef>> = self.databases.values().collect();
        dbs.sort_by_key(|d| d.id);
        let mut out = Vec::new();
        for db in dbs {
            for s in db.subscriptions_in_show_order() {
                out.push((db.name.clone(), s.clone()));
            }
        }
        out
    }
}

impl DatabaseDef {
    /// This database's subscriptions grouped by retention policy (policies by
    /// name, as SHOW RETENTION POLICIES lists them), each policy's in
    /// creation order.
    pub fn subscriptions_in_show_order(&self) -> Vec<&SubscriptionDef> {
        let mut subs: Vec<(usize, &SubscriptionDef)> =
            self.subscriptions.iter().enumerate().collect();
        subs.sort_by(|a, b| {
            a.1.retention_policy
                .cmp(&b.1.retention_policy)
                .then(a.0.cmp(&b.0))
        });
        subs.into_iter().map(|(_, s)| s).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_checked_like_influxd() {
        // Each accepted/rejected by influxd 1.6.7 (CREATE SUBSCRIPTION).
        for ok in [
            "http://127.0.0.1:9092",
            "https://h:1/a/b?c=d#frag",
            "udp://u:pw@127.0.0.1:1/path?x=1",
            "HTTP://h:1",
            "Udp://h:1",
            "http://:8086",
            "http://h:99999",
            "http://[::1]:1",
            "http://user@h:1",
            "http://ü:1",
        ] {
            assert!(validate_destination(ok).is_ok(), "{ok} should be valid");
        }
        for bad in [
            "",
            "notaurl",
            "127.0.0.1:18399",
            "ftp://127.0.0.1:1",
            "tcp://h:1",
            "http://",
            "http://h:p:q",
            "http://h:",
            "udp://h",
            "http://h h:1",
            "http://h/%zz",
            "udp:h:1",
            "http:///x",
            " http://h:1",
            "http://h:1 ",
            "http://h:-1",
            "http://h:1a",
            "http://h%20x:1",
            "http://h:1#%z",
            "http://h:1/%",
        ] {
            assert_eq!(
                validate_destination(bad).unwrap_err().to_string(),
                format!("invalid subscription URL: {bad}"),
            );
        }
    }
}

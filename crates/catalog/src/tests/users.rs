//! Users, passwords and privileges (semantics checked against influxd 1.6.7).

use super::{fast_catalog, reopen_fast};
use crate::*;

#[test]
fn privilege_algebra() {
    use Privilege::*;
    let all = [NoPrivileges, Read, Write, All];
    for p in all {
        assert_eq!(Privilege::from_bits(p.bits()), p);
        assert_eq!(p.without(p), NoPrivileges);
        assert_eq!(p.without(NoPrivileges), p);
        assert_eq!(p.union(NoPrivileges), p);
        assert_eq!(p.union(All), All);
        assert!(p.includes(NoPrivileges));
        assert!(All.includes(p));
        for q in all {
            assert_eq!(p.union(q), q.union(p));
            // Revoking then granting back restores at least what was granted.
            assert!(p.without(q).union(q).includes(q));
            assert!(!p.without(q).includes(q) || q == NoPrivileges);
            assert_eq!(p.includes(q), p.union(q) == p);
        }
    }
    assert_eq!(All.without(Read), Write);
    assert_eq!(All.without(Write), Read);
    assert_eq!(Write.without(Read), Write);
    assert_eq!(Read.union(Write), All);
    assert!(!Read.includes(Write));
    assert!(!Write.includes(Read));
    assert!(!Read.includes(All));
    assert_eq!(Privilege::from_bits(7), All);
    let names: Vec<_> = all.iter().map(|p| p.to_string()).collect();
    assert_eq!(names, ["NO PRIVILEGES", "READ", "WRITE", "ALL PRIVILEGES"]);
    assert_eq!(serde_json::to_string(&Read).unwrap(), "\"read\"");
    assert_eq!(
        serde_json::from_str::<Privilege>("\"none\"").unwrap(),
        NoPrivileges
    );
}

#[test]
fn create_user_hashes_and_is_idempotent() {
    let (_dir, _path, cat) = fast_catalog();
    assert!(!cat.has_admin_user());
    // The password holds characters outside bcrypt's alphabet (`./A-Za-z0-9`),
    // so it cannot turn up inside a salted hash by chance.
    let bob = cat.create_user("bob", "pw #1!", false).unwrap();
    assert_eq!(bob.name, "bob");
    assert!(!bob.admin);
    assert!(bob.privileges.is_empty());
    assert!(
        bob.password_hash.starts_with("$2a$04$"),
        "{}",
        bob.password_hash
    );
    assert_eq!(bob.password_hash.len(), 60);
    assert!(!bob.password_hash.contains("pw #1!"));
    assert!(bob.verify_password("pw #1!"));
    assert!(!bob.verify_password("PW #1!"));

    // Same password and admin flag: no-op, same user (hash unchanged).
    let version = cat.snapshot().version();
    let again = cat.create_user("bob", "pw #1!", false).unwrap();
    assert_eq!(again.password_hash, bob.password_hash);
    assert_eq!(cat.snapshot().version(), version);

    // Different password or admin flag: InfluxDB's error.
    let err = cat.create_user("bob", "other", false).unwrap_err();
    assert_eq!(err, CatalogError::UserExists);
    assert_eq!(err.to_string(), "user already exists");
    assert_eq!(
        cat.create_user("bob", "pw", true).unwrap_err(),
        CatalogError::UserExists
    );
    assert!(!cat.user("bob").unwrap().admin);

    let err = cat.create_user("", "pw", true).unwrap_err();
    assert_eq!(err, CatalogError::UsernameRequired);
    assert_eq!(err.to_string(), "username required");

    let root = cat.create_user("root", "rootpw", true).unwrap();
    assert!(root.admin && root.is_admin() && root.authorize_admin());
    assert!(cat.has_admin_user());
}

#[test]
fn create_user_command_compares_hashes() {
    let (_dir, _path, cat) = fast_catalog();
    let cmd = |hash: &str, admin| CatalogCommand::CreateUser {
        name: "u".into(),
        password_hash: hash.into(),
        admin,
    };
    assert!(cat.apply(&cmd("h1", false)).unwrap().changed);
    assert!(!cat.apply(&cmd("h1", false)).unwrap().changed);
    assert_eq!(
        cat.apply(&cmd("h2", false)).unwrap_err(),
        CatalogError::UserExists
    );
    assert_eq!(
        cat.apply(&cmd("h1", true)).unwrap_err(),
        CatalogError::UserExists
    );
}

#[test]
fn users_listed_in_creation_order() {
    let (_dir, path, cat) = fast_catalog();
    for name in ["zed", "root", "bob"] {
        cat.create_user(name, "x", false).unwrap();
    }
    let names =
        |cat: &Catalog| -> Vec<String> { cat.users().iter().map(|u| u.name.clone()).collect() };
    assert_eq!(names(&cat), ["zed", "root", "bob"]);
    // Changing a user keeps its place; a re-created user goes last.
    cat.set_admin("zed", true).unwrap();
    cat.drop_user("root").unwrap();
    cat.create_user("root", "y", false).unwrap();
    assert_eq!(names(&cat), ["zed", "bob", "root"]);
    drop(cat);
    let cat = reopen_fast(&path);
    assert_eq!(names(&cat), ["zed", "bob", "root"]);
}

#[test]
fn drop_user_and_unknown_users() {
    let (_dir, _path, cat) = fast_catalog();
    cat.create_database("db", None).unwrap();
    cat.create_user("bob", "pw", true).unwrap();
    cat.drop_user("bob").unwrap();
    assert!(cat.user("bob").is_none());
    assert!(cat.users().is_empty());
    assert!(!cat.has_admin_user());

    let not_found = |r: Result<(), CatalogError>| {
        let err = r.unwrap_err();
        assert_eq!(err, CatalogError::UserNotFound);
        assert_eq!(err.to_string(), "user not found");
    };
    not_found(cat.drop_user("bob"));
    not_found(cat.set_password("bob", "x"));
    not_found(cat.set_admin("bob", true));
    not_found(cat.set_admin("bob", false));
    not_found(cat.grant("bob", "db", Privilege::Read));
    not_found(cat.revoke("bob", "db", Privilege::Read).map(|_| ()));
    not_found(cat.revoke("bob", "db", Privilege::All).map(|_| ()));
    // The user is checked before the database, as in InfluxDB.
    not_found(cat.grant("bob", "nodb", Privilege::Read));
    not_found(cat.revoke("bob", "nodb", Privilege::Read).map(|_| ()));
    assert_eq!(
        cat.authenticate("bob", "pw").unwrap_err(),
        CatalogError::UserNotFound
    );
    assert_eq!(cat.snapshot().version(), 3);
}

#[test]
fn set_password_and_authenticate() {
    let (_dir, _path, cat) = fast_catalog();
    cat.create_user("bob", "pw", false).unwrap();
    let user = cat.authenticate("bob", "pw").unwrap();
    assert_eq!(user.name, "bob");
    // Second time through the cache, same answer.
    assert_eq!(cat.authenticate("bob", "pw").unwrap().name, "bob");
    let err = cat.authenticate("bob", "wrong").unwrap_err();
    assert_eq!(err, CatalogError::AuthenticationFailed);
    assert_eq!(err.to_string(), "authentication failed");
    assert_eq!(
        cat.authenticate("bob", "").unwrap_err(),
        CatalogError::AuthenticationFailed
    );

    let old_hash = cat.user("bob").unwrap().password_hash.clone();
    cat.set_password("bob", "newpw").unwrap();
    let new_hash = cat.user("bob").unwrap().password_hash.clone();
    assert_ne!(old_hash, new_hash);
    // The cached old password must not work any more.
    assert_eq!(
        cat.authenticate("bob", "pw").unwrap_err(),
        CatalogError::AuthenticationFailed
    );
    assert!(cat.authenticate("bob", "newpw").is_ok());
    assert!(cat.authenticate("bob", "newpw").is_ok());

    // Dropped and re-created with another password: the cache is stale.
    cat.drop_user("bob").unwrap();
    cat.create_user("bob", "third", false).unwrap();
    assert_eq!(
        cat.authenticate("bob", "newpw").unwrap_err(),
        CatalogError::AuthenticationFailed
    );
    assert!(cat.authenticate("bob", "third").is_ok());

    // A password changed through a replicated command is seen too.
    let hash = hash_password("fourth", MIN_BCRYPT_COST).unwrap();
    cat.apply(&CatalogCommand::SetPassword {
        name: "bob".into(),
        password_hash: hash,
    })
    .unwrap();
    assert_eq!(
        cat.authenticate("bob", "third").unwrap_err(),
        CatalogError::AuthenticationFailed
    );
    assert!(cat.authenticate("bob", "fourth").is_ok());
}

#[test]
fn authenticate_accepts_influxdb_hashes() {
    // Written by influxd 1.6.7 (Go bcrypt, cost 10) for password "rootpw".
    let influx_hash = "$2a$10$kw4UdLNgXoP/2UtbdBXb3OngSBwMv6QdJ4UCMCDC2iWsqREt1cvWi";
    assert!(verify_password("rootpw", influx_hash));
    assert!(!verify_password("rootpW", influx_hash));
    assert!(!verify_password("rootpw", "not a hash"));
    assert!(!verify_password("rootpw", ""));

    let (_dir, _path, cat) = fast_catalog();
    cat.apply(&CatalogCommand::CreateUser {
        name: "root".into(),
        password_hash: influx_hash.into(),
        admin: true,
    })
    .unwrap();
    assert!(cat.authenticate("root", "rootpw").unwrap().admin);
    assert_eq!(
        cat.authenticate("root", "nope").unwrap_err(),
        CatalogError::AuthenticationFailed
    );
    // A corrupt hash never authenticates and never panics.
    cat.apply(&CatalogCommand::SetPassword {
        name: "root".into(),
        password_hash: "$2a$10$short".into(),
    })
    .unwrap();
    assert_eq!(
        cat.authenticate("root", "rootpw").unwrap_err(),
        CatalogError::AuthenticationFailed
    );
}

#[test]
fn hashing_cost_and_format() {
    let hash = hash_password("secret", MIN_BCRYPT_COST).unwrap();
    assert!(hash.starts_with("$2a$04$"));
    assert!(verify_password("secret", &hash));
    // Salted: two hashes of one password differ.
    assert_ne!(hash, hash_password("secret", MIN_BCRYPT_COST).unwrap());
    assert_eq!(
        hash_password("x", 3).unwrap_err(),
        CatalogError::InvalidBcryptCost(3)
    );
    assert_eq!(
        hash_password("x", 32).unwrap_err().to_string(),
        "invalid bcrypt cost 32: must be between 4 and 31"
    );
    // Like Go's bcrypt of InfluxDB 1.x, only the first 72 bytes count.
    let long = "a".repeat(80);
    let hash = hash_password(&long, MIN_BCRYPT_COST).unwrap();
    assert!(verify_password(&"a".repeat(72), &hash));
    assert!(!verify_password(&"a".repeat(71), &hash));
    // Unicode passwords are bytes like any other.
    let hash = hash_password("pässwörd ✓", MIN_BCRYPT_COST).unwrap();
    assert!(verify_password("pässwörd ✓", &hash));
    assert!(!verify_password("passwort ✓", &hash));

    assert_eq!(DEFAULT_BCRYPT_COST, 10);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.redb");
    let err = Catalog::open_with_options(&path, CatalogOptions { bcrypt_cost: 2 }).unwrap_err();
    assert_eq!(err, CatalogError::InvalidBcryptCost(2));
    let cat = Catalog::open(&path).unwrap();
    assert_eq!(cat.bcrypt_cost(), DEFAULT_BCRYPT_COST);
    let user = cat.create_user("u", "p", false).unwrap();
    assert!(user.password_hash.starts_with("$2a$10$"));
}

#[test]
fn set_admin_grants_and_revokes_all_privileges() {
    let (_dir, _path, cat) = fast_catalog();
    cat.create_database("db", None).unwrap();
    cat.create_user("bob", "pw", false).unwrap();
    cat.grant("bob", "db", Privilege::Read).unwrap();
    let bob = cat.user("bob").unwrap();
    assert!(!bob.authorize("db", Privilege::Write));
    assert!(!bob.authorize("other", Privilege::Read));
    assert!(!bob.authorize_admin());

    cat.set_admin("bob", true).unwrap();
    let bob = cat.user("bob").unwrap();
    assert!(bob.admin);
    assert!(cat.has_admin_user());
    for p in [Privilege::Read, Privilege::Write, Privilege::All] {
        assert!(bob.authorize("db", p));
        assert!(bob.authorize("any database", p));
    }
    // Idempotent.
    let version = cat.snapshot().version();
    cat.set_admin("bob", true).unwrap();
    assert_eq!(cat.snapshot().version(), version);

    // Revoking admin keeps the database privileges, as InfluxDB does.
    cat.set_admin("bob", false).unwrap();
    let bob = cat.user("bob").unwrap();
    assert!(!bob.admin);
    assert!(!cat.has_admin_user());
    assert_eq!(bob.privilege("db"), Privilege::Read);
    assert!(bob.authorize("db", Privilege::Read));
}

#[test]
fn grant_replaces_and_revoke_clears_bits() {
    let (_dir, _path, cat) = fast_catalog();
    cat.create_database("db1", None).unwrap();
    cat.create_database("db2", None).unwrap();
    cat.create_user("bob", "pw", false).unwrap();
    let privilege = |db: &str| cat.user("bob").unwrap().privilege(db);

    // GRANT ALL, REVOKE READ → WRITE; REVOKE WRITE → NO PRIVILEGES (kept).
    cat.grant("bob", "db1", Privilege::All).unwrap();
    assert_eq!(
        cat.revoke("bob", "db1", Privilege::Read).unwrap(),
        Privilege::Write
    );
    assert_eq!(privilege("db1"), Privilege::Write);
    assert_eq!(
        cat.revoke("bob", "db1", Privilege::Write).unwrap(),
        Privilege::NoPrivileges
    );
    let bob = cat.user("bob").unwrap();
    assert_eq!(
        bob.privileges.get("db1"),
        Some(&Privilege::NoPrivileges),
        "REVOKE leaves an explicit entry"
    );
    assert!(!bob.authorize("db1", Privilege::Read));
    assert!(bob.authorize("db1", Privilege::NoPrivileges));

    // GRANT replaces: WRITE then READ leaves READ, not ALL.
    cat.grant("bob", "db2", Privilege::Write).unwrap();
    cat.grant("bob", "db2", Privilege::Read).unwrap();
    assert_eq!(privilege("db2"), Privilege::Read);
    // Revoking what is not held changes nothing.
    assert_eq!(
        cat.revoke("bob", "db2", Privilege::Write).unwrap(),
        Privilege::Read
    );
    // REVOKE ALL always leaves NO PRIVILEGES.
    cat.grant("bob", "db2", Privilege::Write).unwrap();
    assert_eq!(
        cat.revoke("bob", "db2", Privilege::All).unwrap(),
        Privilege::NoPrivileges
    );

    // REVOKE on a database the user has nothing on records NO PRIVILEGES.
    cat.create_database("db3", None).unwrap();
    assert_eq!(
        cat.revoke("bob", "db3", Privilege::Read).unwrap(),
        Privilege::NoPrivileges
    );
    assert_eq!(
        cat.user("bob").unwrap().privileges.get("db3"),
        Some(&Privilege::NoPrivileges)
    );

    // Unknown database: InfluxDB's wording.
    let err = cat.grant("bob", "nodb", Privilege::Read).unwrap_err();
    assert_eq!(err.to_string(), "database not found: nodb");
    let err = cat.revoke("bob", "nodb", Privilege::Read).unwrap_err();
    assert_eq!(err, CatalogError::DatabaseNotFound("nodb".into()));
    assert!(!cat.user("bob").unwrap().privileges.contains_key("nodb"));

    // Authorization follows the privilege.
    cat.grant("bob", "db1", Privilege::Write).unwrap();
    let bob = cat.user("bob").unwrap();
    assert!(bob.authorize("db1", Privilege::Write));
    assert!(!bob.authorize("db1", Privilege::Read));
    assert!(!bob.authorize("db1", Privilege::All));
    cat.grant("bob", "db1", Privilege::All).unwrap();
    let bob = cat.user("bob").unwrap();
    assert!(bob.authorize("db1", Privilege::Read));
    assert!(bob.authorize("db1", Privilege::Write));
    assert!(bob.authorize("db1", Privilege::All));
}

#[test]
fn grant_is_a_noop_when_unchanged() {
    let (_dir, _path, cat) = fast_catalog();
    cat.create_database("db", None).unwrap();
    cat.create_user("bob", "pw", false).unwrap();
    let cmd = CatalogCommand::SetPrivilege {
        user: "bob".into(),
        database: "db".into(),
        privilege: Privilege::Read,
    };
    assert!(cat.apply(&cmd).unwrap().changed);
    assert!(!cat.apply(&cmd).unwrap().changed);
}

#[test]
fn dropping_a_database_drops_privileges_on_it() {
    let (_dir, path, cat) = fast_catalog();
    cat.create_database("db1", None).unwrap();
    cat.create_database("db2", None).unwrap();
    cat.create_user("bob", "pw", false).unwrap();
    cat.create_user("amy", "pw", false).unwrap();
    cat.create_user("cid", "pw", false).unwrap();
    cat.grant("bob", "db1", Privilege::All).unwrap();
    cat.grant("bob", "db2", Privilege::Read).unwrap();
    cat.grant("amy", "db1", Privilege::Write).unwrap();
    let cid_before = cat.user("cid").unwrap();

    cat.drop_database("db1").unwrap();
    let bob = cat.user("bob").unwrap();
    assert!(!bob.privileges.contains_key("db1"));
    assert_eq!(bob.privilege("db2"), Privilege::Read);
    assert!(cat.user("amy").unwrap().privileges.is_empty());
    // Users without privileges on it are untouched (shared, not copied).
    assert!(std::sync::Arc::ptr_eq(
        &cid_before,
        &cat.user("cid").unwrap()
    ));

    // Re-creating the database does not bring them back.
    cat.create_database("db1", None).unwrap();
    assert!(!cat.user("bob").unwrap().privileges.contains_key("db1"));

    drop(cat);
    let cat = reopen_fast(&path);
    let bob = cat.user("bob").unwrap();
    assert!(!bob.privileges.contains_key("db1"));
    assert_eq!(bob.privilege("db2"), Privilege::Read);
    assert!(cat.user("amy").unwrap().privileges.is_empty());
}

#[test]
fn users_survive_reopen() {
    let (_dir, path, cat) = fast_catalog();
    cat.create_database("db", None).unwrap();
    cat.create_user("root", "rootpw", true).unwrap();
    cat.create_user("bob", "pw", false).unwrap();
    cat.create_user("gone", "pw", false).unwrap();
    cat.grant("bob", "db", Privilege::Write).unwrap();
    cat.set_password("bob", "pw2").unwrap();
    cat.drop_user("gone").unwrap();
    let before = cat.snapshot();
    drop(cat);

    let cat = reopen_fast(&path);
    assert_eq!(*cat.snapshot(), *before);
    assert!(cat.has_admin_user());
    assert!(cat.user("gone").is_none());
    let bob = cat.authenticate("bob", "pw2").unwrap();
    assert_eq!(bob.privilege("db"), Privilege::Write);
    assert!(cat.authenticate("root", "rootpw").unwrap().admin);
    assert_eq!(
        cat.authenticate("bob", "pw").unwrap_err(),
        CatalogError::AuthenticationFailed
    );
}

#[test]
fn user_debug_hides_the_hash() {
    let (_dir, _path, cat) = fast_catalog();
    let user = cat.create_user("bob", "pw", false).unwrap();
    let debug = format!("{user:?}");
    assert!(!debug.contains(&user.password_hash), "{debug}");
    assert!(debug.contains("bob"));
}

#[test]
fn user_commands_round_trip_through_json() {
    let cmds = [
        CatalogCommand::CreateUser {
            name: "u".into(),
            password_hash: "$2a$04$x".into(),
            admin: true,
        },
        CatalogCommand::DropUser { name: "u".into() },
        CatalogCommand::SetPassword {
            name: "u".into(),
            password_hash: "h".into(),
        },
        CatalogCommand::SetAdmin {
            name: "u".into(),
            admin: false,
        },
        CatalogCommand::SetPrivilege {
            user: "u".into(),
            database: "db".into(),
            privilege: Privilege::NoPrivileges,
        },
    ];
    for cmd in cmds {
        let json = serde_json::to_string(&cmd).unwrap();
        let back: CatalogCommand = serde_json::from_str(&json).unwrap();
        assert_eq!(back, cmd);
    }
    let json = r#"{"type":"SetPrivilege","user":"u","database":"db","privilege":"all"}"#;
    let cmd: CatalogCommand = serde_json::from_str(json).unwrap();
    assert_eq!(
        cmd,
        CatalogCommand::SetPrivilege {
            user: "u".into(),
            database: "db".into(),
            privilege: Privilege::All,
        }
    );
}

#[test]
fn concurrent_authentication_and_password_changes() {
    let (_dir, _path, cat) = fast_catalog();
    cat.create_user("bob", "pw", false).unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            let cat = cat.clone();
            s.spawn(move || {
                for _ in 0..20 {
                    // Either password may be current; a wrong one never passes.
                    let _ = cat.authenticate("bob", "pw");
                    let _ = cat.authenticate("bob", "pw2");
                    assert_eq!(
                        cat.authenticate("bob", "nope").unwrap_err(),
                        CatalogError::AuthenticationFailed
                    );
                }
            });
        }
        s.spawn(|| {
            for i in 0..10 {
                cat.set_password("bob", if i % 2 == 0 { "pw2" } else { "pw" })
                    .unwrap();
            }
        });
    });
    assert!(cat.authenticate("bob", "pw").is_ok());
}

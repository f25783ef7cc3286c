//! Random command sequences: the durable catalog must agree with a pure
//! in-memory replay, and reopening must restore exactly the same state.

use proptest::prelude::*;

use super::{fast_catalog, reopen_fast};
use crate::*;

fn pick<T: Clone + std::fmt::Debug + 'static>(items: &'static [T]) -> impl Strategy<Value = T> {
    proptest::sample::select(items)
}

const DBS: &[&str] = &["a", "b", "c"];
const RPS: &[&str] = &["autogen", "r1", "r2", ""];
const MEASUREMENTS: &[&str] = &["m1", "m2", "m3"];
const TAGS: &[&str] = &["t1", "t2", "f1"];
const FIELDS: &[&str] = &["f1", "f2", "f3"];
const TYPES: &[FieldType] = &[
    FieldType::Float,
    FieldType::Integer,
    FieldType::UInteger,
    FieldType::String,
    FieldType::Boolean,
];
const DURATIONS: &[Option<i64>] = &[
    None,
    Some(0),
    Some(HOUR_NS / 2),
    Some(HOUR_NS),
    Some(DAY_NS),
    Some(3 * DAY_NS),
    Some(200 * DAY_NS),
];
const SHARD_DURATIONS: &[Option<i64>] = &[
    None,
    Some(0),
    Some(HOUR_NS / 6),
    Some(HOUR_NS),
    Some(DAY_NS),
    Some(WEEK_NS),
];
const REPLICATION: &[Option<u32>] = &[None, Some(0), Some(1), Some(2)];
const USERS: &[&str] = &["root", "bob", "amy", ""];
/// Stand-ins for bcrypt hashes: the transition never looks inside them.
const HASHES: &[&str] = &["$2a$04$h1", "$2a$04$h2"];
const PRIVILEGES: &[Privilege] = &[
    Privilege::NoPrivileges,
    Privilege::Read,
    Privilege::Write,
    Privilege::All,
];
const CQS: &[&str] = &["cq1", "cq2"];
const CQ_TEXTS: &[&str] = &["SELECT 1", "select 1", "SELECT 2"];

fn spec() -> impl Strategy<Value = RetentionPolicySpec> {
    (
        pick(RPS),
        pick(DURATIONS),
        pick(SHARD_DURATIONS),
        pick(REPLICATION),
    )
        .prop_map(|(name, d, s, r)| RetentionPolicySpec {
            name: name.to_string(),
            duration_ns: d,
            shard_group_duration_ns: s,
            replication: r,
        })
}

fn command() -> impl Strategy<Value = CatalogCommand> {
    // Mostly valid names and live ids, sometimes invalid ones.
    let db = || prop_oneof![9 => pick(DBS), 1 => Just("")].prop_map(str::to_string);
    let id = || prop_oneof![8 => 1u64..5, 1 => 0u64..10];
    let measurement = || prop_oneof![9 => pick(MEASUREMENTS), 1 => Just("")];
    prop_oneof![
        3 => (db(), proptest::option::of(spec())).prop_map(|(name, retention_policy)| {
            CatalogCommand::CreateDatabase { name, retention_policy }
        }),
        1 => db().prop_map(|name| CatalogCommand::DropDatabase { name }),
        2 => (db(), spec(), any::<bool>()).prop_map(|(database, spec, make_default)| {
            CatalogCommand::CreateRetentionPolicy { database, spec, make_default }
        }),
        2 => (
            db(),
            pick(RPS),
            proptest::option::of(pick(DURATIONS)),
            pick(SHARD_DURATIONS),
            pick(REPLICATION),
            any::<bool>()
        )
            .prop_map(|(database, name, duration_ns, sgd, replication, make_default)| {
                CatalogCommand::AlterRetentionPolicy {
                    database,
                    name: name.to_string(),
                    duration_ns,
                    shard_group_duration_ns: sgd,
                    replication,
                    make_default,
                }
            }),
        1 => (db(), pick(RPS)).prop_map(|(database, name)| {
            CatalogCommand::DropRetentionPolicy { database, name: name.to_string() }
        }),
        5 => (
            id(),
            measurement(),
            proptest::collection::vec(pick(TAGS), 0..3),
            proptest::collection::vec((pick(FIELDS), pick(TYPES)), 0..4)
        )
            .prop_map(|(database_id, m, tags, fields)| CatalogCommand::AddColumns {
                database_id,
                measurement: m.to_string(),
                tags: tags.into_iter().map(str::to_string).collect(),
                fields: fields.into_iter().map(|(f, t)| (f.to_string(), t)).collect(),
            }),
        1 => (id(), measurement()).prop_map(|(database_id, m)| {
            CatalogCommand::DropMeasurement { database_id, measurement: m.to_string() }
        }),
        6 => prop_oneof![
            2 => (pick(USERS), pick(HASHES), any::<bool>()).prop_map(|(name, hash, admin)| {
                CatalogCommand::CreateUser {
                    name: name.to_string(),
                    password_hash: hash.to_string(),
                    admin,
                }
            }),
            1 => pick(USERS).prop_map(|name| CatalogCommand::DropUser { name: name.to_string() }),
            1 => (pick(USERS), pick(HASHES)).prop_map(|(name, hash)| CatalogCommand::SetPassword {
                name: name.to_string(),
                password_hash: hash.to_string(),
            }),
            1 => (pick(USERS), any::<bool>()).prop_map(|(name, admin)| CatalogCommand::SetAdmin {
                name: name.to_string(),
                admin,
            }),
            3 => (pick(USERS), db(), pick(PRIVILEGES)).prop_map(|(user, database, privilege)| {
                CatalogCommand::SetPrivilege { user: user.to_string(), database, privilege }
            }),
        ],
        3 => prop_oneof![
            2 => (db(), pick(CQS), pick(CQ_TEXTS)).prop_map(|(database, name, query)| {
                CatalogCommand::CreateContinuousQuery {
                    database,
                    name: name.to_string(),
                    query: query.to_string(),
                }
            }),
            1 => (db(), pick(CQS)).prop_map(|(database, name)| {
                CatalogCommand::DropContinuousQuery { database, name: name.to_string() }
            }),
        ],
    ]
}

/// Structural invariants every state must satisfy.
fn check_invariants(s: &CatalogSnapshot) -> Result<(), TestCaseError> {
    let mut ids = std::collections::BTreeSet::new();
    for (name, db) in &s.databases {
        prop_assert_eq!(name, &db.name);
        prop_assert!(!name.is_empty());
        prop_assert!(db.id >= 1 && db.id < s.next_database_id());
        prop_assert!(ids.insert(db.id), "duplicate id");
        prop_assert!(Arc::ptr_eq(s.database_by_id(db.id).unwrap(), db));
        for (rp_name, rp) in &db.retention_policies {
            prop_assert_eq!(rp_name, &rp.name);
            prop_assert!(rp.shard_group_duration_ns >= HOUR_NS);
            prop_assert!(rp.replication >= 1);
            if let Some(d) = rp.duration_ns {
                prop_assert!(d >= rp.shard_group_duration_ns);
            }
        }
        for (m_name, m) in &db.measurements {
            prop_assert_eq!(m_name, &m.name);
        }
        for (cq_name, cq) in &db.continuous_queries {
            prop_assert_eq!(cq_name, &cq.name);
            prop_assert!(cq.created_at_version >= 1 && cq.created_at_version <= s.version());
        }
    }
    for (name, user) in &s.users {
        prop_assert_eq!(name, &user.name);
        prop_assert!(!name.is_empty());
        prop_assert!(user.created_at_version >= 1 && user.created_at_version <= s.version());
        // Privileges only ever name live databases (dropping one removes them).
        for db in user.privileges.keys() {
            prop_assert!(
                s.databases.contains_key(db),
                "privilege on dropped {:?}",
                db
            );
        }
    }
    prop_assert_eq!(s.has_admin_user(), s.users.values().any(|u| u.admin));
    Ok(())
}

use std::sync::Arc;

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn random_commands_match_model_and_survive_reopen(
        cmds in proptest::collection::vec(command(), 1..60),
        reopen_at in 0usize..62,
    ) {
        let (_dir, path, mut cat) = fast_catalog();
        let mut model = CatalogSnapshot::default();
        let setup = ["a", "b"].map(|name| CatalogCommand::CreateDatabase {
            name: name.to_string(),
            retention_policy: None,
        });
        for (i, cmd) in setup.iter().chain(cmds.iter()).enumerate() {
            if i == reopen_at {
                drop(cat);
                cat = reopen_fast(&path);
                prop_assert_eq!(&*cat.snapshot(), &model);
            }
            let json = serde_json::to_string(cmd).unwrap();
            let decoded: CatalogCommand = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(&decoded, cmd);

            let expected = model.transition(cmd);
            let got = cat.apply(cmd);
            match (expected, got) {
                (Ok(t), Ok(outcome)) => {
                    prop_assert_eq!(outcome.changed, !t.writes.is_empty());
                    prop_assert_eq!(&outcome.conflicts, &t.conflicts);
                    model = t.next;
                }
                (Err(a), Err(b)) => prop_assert_eq!(a, b),
                (a, b) => prop_assert!(false, "model {:?} vs catalog {:?}", a.map(|_| ()), b),
            }
            prop_assert_eq!(&*cat.snapshot(), &model);
            check_invariants(&model)?;
        }
        drop(cat);
        let reopened = reopen_fast(&path);
        prop_assert_eq!(&*reopened.snapshot(), &model);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Arbitrary passwords against arbitrary (mostly malformed) hashes never
    /// panic and never match.
    #[test]
    fn verify_password_never_panics(password in ".{0,80}", hash in ".{0,80}") {
        prop_assert!(!verify_password(&password, &hash));
        let bcrypt_like = format!("$2a$04${hash}");
        prop_assert!(!verify_password(&password, &bcrypt_like));
    }

    /// Arbitrary user, database and query names and texts are stored and
    /// reloaded exactly.
    #[test]
    fn arbitrary_names_round_trip(
        user in ".{1,24}",
        database in ".{1,24}",
        cq in ".{0,24}",
        text in ".{0,200}",
        privilege in pick(PRIVILEGES),
    ) {
        let (_dir, path, cat) = fast_catalog();
        cat.create_database(&database, None).unwrap();
        cat.apply(&CatalogCommand::CreateUser {
            name: user.clone(),
            password_hash: "$2a$04$x".into(),
            admin: false,
        })
        .unwrap();
        cat.grant(&user, &database, privilege).unwrap();
        cat.create_continuous_query(&database, &cq, &text).unwrap();
        let before = cat.snapshot();
        drop(cat);
        let cat = reopen_fast(&path);
        prop_assert_eq!(&*cat.snapshot(), &*before);
        prop_assert_eq!(cat.user(&user).unwrap().privilege(&database), privilege);
        let db = cat.database(&database).unwrap();
        prop_assert_eq!(&db.continuous_query(&cq).unwrap().query, &text);
    }
}

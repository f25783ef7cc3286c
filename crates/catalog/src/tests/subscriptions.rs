//! Subscriptions (semantics and errors checked against influxd 1.6.7).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::temp_catalog;
use crate::*;

fn sub(name: &str, rp: &str, mode: SubscriptionMode, dests: &[&str]) -> SubscriptionDef {
    SubscriptionDef {
        name: name.into(),
        retention_policy: rp.into(),
        mode,
        destinations: dests.iter().map(|d| d.to_string()).collect(),
    }
}

fn names(cat: &Catalog) -> Vec<(String, String, String)> {
    cat.subscriptions()
        .into_iter()
        .map(|(db, s)| (db, s.retention_policy, s.name))
        .collect()
}

#[test]
fn create_show_drop_with_influxd_errors() {
    let (_dir, _path, cat) = temp_catalog();
    cat.create_database("d1", None).unwrap();
    cat.create_database("d0", None).unwrap();
    let all = sub(
        "s1",
        "autogen",
        SubscriptionMode::All,
        &["http://h:1", "udp://h:2"],
    );
    cat.create_subscription("d1", all.clone()).unwrap();
    // The name is unique per policy, whatever the rest says.
    let any = sub("s1", "autogen", SubscriptionMode::Any, &["http://h:1"]);
    let err = cat.create_subscription("d1", any.clone()).unwrap_err();
    assert_eq!(err.to_string(), "subscription already exists");
    cat.create_retention_policy("d1", RetentionPolicySpec::named("r2"), false)
        .unwrap();
    cat.create_subscription(
        "d1",
        sub("s1", "r2", SubscriptionMode::Any, &["https://h:3"]),
    )
    .unwrap();
    cat.create_subscription(
        "d0",
        sub("z", "autogen", SubscriptionMode::Any, &["udp://h:4"]),
    )
    .unwrap();
    cat.create_subscription(
        "d1",
        sub("a0", "autogen", SubscriptionMode::Any, &["http://h:5"]),
    )
    .unwrap();

    let err = cat
        .create_subscription(
            "nodb",
            sub("x", "autogen", SubscriptionMode::Any, &["udp://h:1"]),
        )
        .unwrap_err();
    assert_eq!(err.to_string(), "database not found: nodb");
    let err = cat
        .create_subscription(
            "d1",
            sub("x", "norp", SubscriptionMode::Any, &["udp://h:1"]),
        )
        .unwrap_err();
    assert_eq!(err.to_string(), "retention policy not found: norp");
    // Destinations are checked before the database.
    let err = cat
        .create_subscription(
            "nodb",
            sub(
                "x",
                "norp",
                SubscriptionMode::All,
                &["http://ok:1", "ftp://a:1"],
            ),
        )
        .unwrap_err();
    assert_eq!(err.to_string(), "invalid subscription URL: ftp://a:1");

    // Databases in creation order, policies by name, then creation order.
    assert_eq!(
        names(&cat),
        vec![
            ("d1".into(), "autogen".into(), "s1".into()),
            ("d1".into(), "autogen".into(), "a0".into()),
            ("d1".into(), "r2".into(), "s1".into()),
            ("d0".into(), "autogen".into(), "z".into()),
        ]
    );
    assert_eq!(cat.subscriptions()[0].1, all);

    assert_eq!(
        cat.drop_subscription("d1", "autogen", "nosuch")
            .unwrap_err()
            .to_string(),
        "subscription not found"
    );
    assert_eq!(
        cat.drop_subscription("nodb", "autogen", "s1")
            .unwrap_err()
            .to_string(),
        "database not found: nodb"
    );
    assert_eq!(
        cat.drop_subscription("d1", "norp", "s1")
            .unwrap_err()
            .to_string(),
        "retention policy not found: norp"
    );
    cat.drop_subscription("d1", "autogen", "s1").unwrap();
    // Dropping a policy drops its subscriptions; dropping a database, all.
    cat.drop_retention_policy("d1", "r2").unwrap();
    assert_eq!(
        names(&cat),
        vec![
            ("d1".into(), "autogen".into(), "a0".into()),
            ("d0".into(), "autogen".into(), "z".into()),
        ]
    );
    cat.create_retention_policy("d1", RetentionPolicySpec::named("r2"), false)
        .unwrap();
    assert_eq!(names(&cat).len(), 2, "a re-created policy has none");
    cat.drop_database("d0").unwrap();
    cat.create_database("d0", None).unwrap();
    assert_eq!(
        names(&cat),
        vec![("d1".into(), "autogen".into(), "a0".into())]
    );
}

#[test]
fn subscriptions_survive_a_reopen() {
    let (_dir, path, cat) = temp_catalog();
    cat.create_database("db", None).unwrap();
    let s = sub(
        "s",
        "autogen",
        SubscriptionMode::All,
        &["http://a:1", "http://a:1"],
    );
    cat.create_subscription("db", s.clone()).unwrap();
    let version = cat.snapshot().version();
    drop(cat);
    let cat = Catalog::open(&path).unwrap();
    assert_eq!(cat.subscriptions(), vec![("db".to_string(), s)]);
    assert_eq!(cat.snapshot().version(), version);
    cat.drop_subscription("db", "autogen", "s").unwrap();
    drop(cat);
    let cat = Catalog::open(&path).unwrap();
    assert!(cat.subscriptions().is_empty());
}

#[test]
fn change_listeners_see_each_committed_snapshot() {
    let (_dir, _path, cat) = temp_catalog();
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    cat.on_change(move |snap| {
        counter.store(snap.subscriptions().len() + 100, Ordering::SeqCst);
    });
    cat.create_database("db", None).unwrap();
    assert_eq!(seen.load(Ordering::SeqCst), 100);
    cat.create_subscription(
        "db",
        sub("s", "autogen", SubscriptionMode::Any, &["udp://h:1"]),
    )
    .unwrap();
    assert_eq!(seen.load(Ordering::SeqCst), 101);
    // A failed or no-op command publishes nothing.
    seen.store(0, Ordering::SeqCst);
    let _ = cat.create_subscription(
        "db",
        sub("s", "autogen", SubscriptionMode::Any, &["udp://h:1"]),
    );
    cat.create_database("db", None).unwrap();
    assert_eq!(seen.load(Ordering::SeqCst), 0);
}

#[test]
fn commands_round_trip_through_json() {
    let cmd = CatalogCommand::CreateSubscription {
        database: "db".into(),
        subscription: sub("s", "autogen", SubscriptionMode::Any, &["udp://h:1"]),
    };
    let text = serde_json::to_string(&cmd).unwrap();
    assert!(text.contains("\"mode\":\"ANY\""), "{text}");
    assert_eq!(serde_json::from_str::<CatalogCommand>(&text).unwrap(), cmd);
}

use super::temp_catalog;
use crate::*;

#[test]
fn state_survives_reopen() {
    let (_dir, path, cat) = temp_catalog();
    let a = cat.create_database("a", None).unwrap();
    let b = cat
        .create_database(
            "b",
            Some(RetentionPolicySpec {
                name: "short".into(),
                duration_ns: Some(3 * DAY_NS),
                shard_group_duration_ns: Some(12 * HOUR_NS),
                replication: Some(2),
            }),
        )
        .unwrap();
    cat.create_retention_policy("a", RetentionPolicySpec::named("second"), true)
        .unwrap();
    cat.add_columns(a.id, "cpu", &["host"], &[("v", FieldType::Float)])
        .unwrap();
    cat.add_columns(b.id, "mem", &["h"], &[("free", FieldType::UInteger)])
        .unwrap();
    cat.add_columns(b.id, "gone", &["x"], &[("y", FieldType::String)])
        .unwrap();
    cat.drop_measurement(b.id, "gone").unwrap();
    let c = cat.create_database("c", None).unwrap();
    cat.add_columns(c.id, "disk", &["path"], &[("used", FieldType::Integer)])
        .unwrap();
    cat.drop_database("c").unwrap();

    let before = cat.snapshot();
    assert_eq!(before.next_database_id(), 4);
    drop(cat);

    let cat = Catalog::open(&path).unwrap();
    let after = cat.snapshot();
    assert_eq!(*after, *before);
    assert_eq!(after.next_database_id(), 4);
    assert_eq!(after.version(), before.version());
    assert_eq!(cat.database("a").unwrap().default_rp, "second");
    let short = cat.database("b").unwrap().rp(None).unwrap().clone();
    assert_eq!(short.shard_group_duration_ns, 12 * HOUR_NS);
    assert_eq!(short.replication, 2);

    // Ids keep increasing after reopen; the dropped database's id is not reused,
    // and its measurements are gone.
    let c2 = cat.create_database("c", None).unwrap();
    assert_eq!(c2.id, 4);
    assert!(c2.measurements.is_empty());
    drop(cat);
    let cat = Catalog::open(&path).unwrap();
    assert_eq!(cat.database("c").unwrap().id, 4);
    assert_eq!(cat.snapshot().next_database_id(), 5);
}

#[test]
fn open_creates_parent_directories_and_reopens_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/deeper/catalog.redb");
    let cat = Catalog::open(&path).unwrap();
    assert!(cat.databases().is_empty());
    assert_eq!(cat.snapshot().next_database_id(), 1);
    drop(cat);
    let cat = Catalog::open(&path).unwrap();
    assert_eq!(*cat.snapshot(), CatalogSnapshot::default());
}

#[test]
fn snapshots_are_immutable() {
    let (_dir, _path, cat) = temp_catalog();
    let db = cat.create_database("db", None).unwrap();
    let old = cat.snapshot();
    cat.add_columns(db.id, "cpu", &[], &[("v", FieldType::Float)])
        .unwrap();
    assert!(old.database("db").unwrap().measurements.is_empty());
    assert!(cat
        .snapshot()
        .database("db")
        .unwrap()
        .measurement("cpu")
        .is_some());
    // Untouched databases are shared between snapshots.
    let other = cat.create_database("other", None).unwrap();
    let s1 = cat.snapshot();
    cat.add_columns(db.id, "mem", &[], &[]).unwrap();
    let s2 = cat.snapshot();
    assert!(std::sync::Arc::ptr_eq(
        s1.database("other").unwrap(),
        s2.database("other").unwrap()
    ));
    assert_eq!(s2.database_by_id(other.id).unwrap().name, "other");
}

#[test]
fn apply_reports_changes() {
    let (_dir, _path, cat) = temp_catalog();
    let cmd = CatalogCommand::CreateDatabase {
        name: "db".into(),
        retention_policy: None,
    };
    assert!(cat.apply(&cmd).unwrap().changed);
    assert!(!cat.apply(&cmd).unwrap().changed);
    let out = cat
        .apply(&CatalogCommand::AddColumns {
            database_id: 1,
            measurement: "m".into(),
            tags: vec![],
            fields: vec![
                ("f".into(), FieldType::Float),
                ("f".into(), FieldType::Boolean),
            ],
        })
        .unwrap();
    assert!(out.changed);
    assert_eq!(out.conflicts.len(), 1);
}

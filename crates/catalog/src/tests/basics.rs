use super::temp_catalog;
use crate::*;

#[test]
fn catalog_is_send_sync_clone() {
    fn check<T: Send + Sync + Clone + 'static>() {}
    check::<Catalog>();
    fn check_snapshot<T: Send + Sync>() {}
    check_snapshot::<CatalogSnapshot>();
}

#[test]
fn create_drop_recreate_gets_new_id() {
    let (_dir, _path, cat) = temp_catalog();
    let a = cat.create_database("db", None).unwrap();
    assert_eq!(a.id, 1);
    assert_eq!(a.name, "db");
    // Idempotent.
    let again = cat.create_database("db", None).unwrap();
    assert_eq!(again.id, a.id);

    let dropped = cat.drop_database("db").unwrap().expect("was present");
    assert_eq!(dropped.id, a.id);
    assert!(cat.database("db").is_none());
    assert!(cat.drop_database("db").unwrap().is_none());

    let b = cat.create_database("db", None).unwrap();
    assert_ne!(b.id, a.id);
    assert!(b.id > a.id);
    assert!(cat.snapshot().database_by_id(a.id).is_none());
    assert_eq!(cat.snapshot().database_by_id(b.id).unwrap().name, "db");
    assert_eq!(cat.snapshot().next_database_id(), b.id + 1);
}

#[test]
fn databases_sorted_and_lookup() {
    let (_dir, _path, cat) = temp_catalog();
    for name in ["zeta", "alpha", "Mid", "ünïcødé name", "with space"] {
        cat.create_database(name, None).unwrap();
    }
    let names: Vec<_> = cat.databases().iter().map(|d| d.name.clone()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert_eq!(names.len(), 5);
    let snap = cat.snapshot();
    for db in snap.databases.values() {
        assert_eq!(snap.database_by_id(db.id).unwrap().name, db.name);
        assert_eq!(snap.database(&db.name).unwrap().id, db.id);
    }
}

#[test]
fn empty_database_name_rejected() {
    let (_dir, _path, cat) = temp_catalog();
    let err = cat.create_database("", None).unwrap_err();
    assert_eq!(err, CatalogError::DatabaseNameRequired);
    assert_eq!(err.to_string(), "database name required");
    assert!(cat.drop_database("").unwrap().is_none());
}

#[test]
fn error_messages_match_influxdb() {
    assert_eq!(
        CatalogError::DatabaseNotFound("x".into()).to_string(),
        "database not found: x"
    );
    assert_eq!(
        CatalogError::RetentionPolicyNotFound("rp".into()).to_string(),
        "retention policy not found: rp"
    );
    assert_eq!(
        CatalogError::RetentionPolicyExists.to_string(),
        "retention policy already exists"
    );
    assert_eq!(
        CatalogError::RetentionPolicyConflict.to_string(),
        "retention policy conflicts with an existing policy"
    );
    assert_eq!(
        CatalogError::RetentionPolicyDurationTooLow.to_string(),
        "retention policy duration must be at least 1h0m0s"
    );
    assert_eq!(
        CatalogError::IncompatibleDurations.to_string(),
        "retention policy duration must be greater than the shard duration"
    );
}

#[test]
fn field_type_names_and_serde() {
    let all = [
        (FieldType::Float, "float"),
        (FieldType::Integer, "integer"),
        (FieldType::UInteger, "unsigned"),
        (FieldType::String, "string"),
        (FieldType::Boolean, "boolean"),
    ];
    for (t, name) in all {
        assert_eq!(t.name(), name);
        assert_eq!(t.to_string(), name);
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, format!("\"{name}\""));
        assert_eq!(serde_json::from_str::<FieldType>(&json).unwrap(), t);
    }
}

#[test]
fn field_conflict_message() {
    let c = FieldConflict {
        field: "value".into(),
        requested: FieldType::Integer,
        existing: FieldType::Float,
    };
    assert_eq!(
        c.message("cpu"),
        r#"field type conflict: input field "value" on measurement "cpu" is type integer, already exists as type float"#
    );
}

#[test]
fn command_serde_round_trip() {
    let cmds = [
        CatalogCommand::CreateDatabase {
            name: "db".into(),
            retention_policy: Some(RetentionPolicySpec {
                name: "rp".into(),
                duration_ns: Some(2 * DAY_NS),
                shard_group_duration_ns: None,
                replication: Some(1),
            }),
        },
        CatalogCommand::DropDatabase { name: "db".into() },
        CatalogCommand::AddColumns {
            database_id: 3,
            measurement: "cpu".into(),
            tags: vec!["host".into()],
            fields: vec![("v".into(), FieldType::UInteger)],
        },
        CatalogCommand::DropMeasurement {
            database_id: 3,
            measurement: "cpu".into(),
        },
        CatalogCommand::DropRetentionPolicy {
            database: "db".into(),
            name: "rp".into(),
        },
        CatalogCommand::CreateRetentionPolicy {
            database: "db".into(),
            spec: RetentionPolicySpec::named("x"),
            make_default: true,
        },
    ];
    let alters =
        [None, Some(None), Some(Some(HOUR_NS * 5))].map(|d| CatalogCommand::AlterRetentionPolicy {
            database: "db".into(),
            name: "rp".into(),
            duration_ns: d,
            shard_group_duration_ns: Some(HOUR_NS),
            replication: None,
            make_default: false,
        });
    for cmd in cmds.iter().chain(alters.iter()) {
        let json = serde_json::to_string(cmd).unwrap();
        let back: CatalogCommand = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, cmd, "{json}");
    }
}

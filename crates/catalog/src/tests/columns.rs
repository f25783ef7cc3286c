use std::sync::{mpsc, Arc, Barrier};
use std::thread;
use std::time::Duration;

use super::temp_catalog;
use crate::*;

#[test]
fn add_columns_creates_measurement_and_merges() {
    let (_dir, _path, cat) = temp_catalog();
    let db = cat.create_database("db", None).unwrap();
    let c = cat
        .add_columns(
            db.id,
            "cpu",
            &["host", "region"],
            &[("usage", FieldType::Float), ("count", FieldType::Integer)],
        )
        .unwrap();
    assert!(c.is_empty());
    let m = cat
        .database("db")
        .unwrap()
        .measurement("cpu")
        .unwrap()
        .clone();
    assert_eq!(m.name, "cpu");
    assert!(m.has_tag("host") && m.has_tag("region"));
    assert_eq!(m.field_type("usage"), Some(FieldType::Float));
    assert_eq!(m.field_type("count"), Some(FieldType::Integer));

    // A tag and a field may share a key.
    let c = cat
        .add_columns(db.id, "cpu", &["usage"], &[("host", FieldType::String)])
        .unwrap();
    assert!(c.is_empty());
    let m = cat
        .database("db")
        .unwrap()
        .measurement("cpu")
        .unwrap()
        .clone();
    assert!(m.has_tag("usage"));
    assert_eq!(m.field_type("host"), Some(FieldType::String));
    assert_eq!(m.field_type("usage"), Some(FieldType::Float));

    // Measurement with no columns is still created.
    cat.add_columns(db.id, "empty", &[], &[]).unwrap();
    assert!(cat.database("db").unwrap().measurement("empty").is_some());
}

#[test]
fn conflicts_reported_and_others_committed_in_one_change() {
    let (_dir, path, cat) = temp_catalog();
    let db = cat.create_database("db", None).unwrap();
    cat.add_columns(db.id, "cpu", &[], &[("value", FieldType::Float)])
        .unwrap();
    let version = cat.snapshot().version();
    let conflicts = cat
        .add_columns(
            db.id,
            "cpu",
            &["host"],
            &[
                ("value", FieldType::Integer),
                ("other", FieldType::Boolean),
                ("value", FieldType::Float),
            ],
        )
        .unwrap();
    assert_eq!(
        conflicts,
        vec![FieldConflict {
            field: "value".into(),
            requested: FieldType::Integer,
            existing: FieldType::Float,
        }]
    );
    assert_eq!(
        conflicts[0].message("cpu"),
        r#"field type conflict: input field "value" on measurement "cpu" is type integer, already exists as type float"#
    );
    // Exactly one committed change.
    assert_eq!(cat.snapshot().version(), version + 1);
    let m = cat
        .database("db")
        .unwrap()
        .measurement("cpu")
        .unwrap()
        .clone();
    assert_eq!(m.field_type("value"), Some(FieldType::Float));
    assert_eq!(m.field_type("other"), Some(FieldType::Boolean));
    assert!(m.has_tag("host"));

    // Conflicts within a single request: first type wins.
    let conflicts = cat
        .add_columns(
            db.id,
            "mem",
            &[],
            &[("x", FieldType::String), ("x", FieldType::UInteger)],
        )
        .unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].existing, FieldType::String);
    assert_eq!(conflicts[0].requested, FieldType::UInteger);

    // Everything durable.
    let snap = cat.snapshot();
    drop(cat);
    let reopened = Catalog::open(&path).unwrap();
    assert_eq!(*reopened.snapshot(), *snap);
}

#[test]
fn noop_add_columns_opens_no_write_transaction() {
    let (_dir, _path, cat) = temp_catalog();
    let db = cat.create_database("db", None).unwrap();
    cat.add_columns(db.id, "cpu", &["host"], &[("v", FieldType::Float)])
        .unwrap();
    let version = cat.snapshot().version();

    // Hold redb's single write transaction: any attempt to begin another
    // would block until it is released.
    let held = cat.inner.db.begin_write().unwrap();
    let (tx, rx) = mpsc::channel();
    let worker = {
        let cat = cat.clone();
        thread::spawn(move || {
            let same = cat
                .add_columns(db.id, "cpu", &["host"], &[("v", FieldType::Float)])
                .unwrap();
            let conflicting = cat
                .add_columns(db.id, "cpu", &[], &[("v", FieldType::Integer)])
                .unwrap();
            tx.send((same, conflicting)).unwrap();
        })
    };
    let (same, conflicting) = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("no-op add_columns blocked on a write transaction");
    held.abort().unwrap();
    worker.join().unwrap();
    assert!(same.is_empty());
    assert_eq!(conflicting.len(), 1);
    assert_eq!(cat.snapshot().version(), version);
}

#[test]
fn add_columns_validation() {
    let (_dir, _path, cat) = temp_catalog();
    let db = cat.create_database("db", None).unwrap();
    assert_eq!(
        cat.add_columns(db.id + 100, "cpu", &[], &[]).unwrap_err(),
        CatalogError::DatabaseIdNotFound(db.id + 100)
    );
    assert_eq!(
        cat.add_columns(db.id, "", &[], &[]).unwrap_err(),
        CatalogError::MeasurementNameRequired
    );
    assert_eq!(
        cat.add_columns(db.id, "m", &[""], &[]).unwrap_err(),
        CatalogError::TagKeyRequired
    );
    assert_eq!(
        cat.add_columns(db.id, "m", &[], &[("", FieldType::Float)])
            .unwrap_err(),
        CatalogError::FieldKeyRequired
    );
    assert!(cat.database("db").unwrap().measurements.is_empty());
    // Ids of dropped databases are not found even if the name is re-created.
    cat.drop_database("db").unwrap();
    let db2 = cat.create_database("db", None).unwrap();
    assert_eq!(
        cat.add_columns(db.id, "cpu", &[], &[]).unwrap_err(),
        CatalogError::DatabaseIdNotFound(db.id)
    );
    cat.add_columns(db2.id, "cpu", &[], &[]).unwrap();
}

#[test]
fn drop_measurement() {
    let (_dir, path, cat) = temp_catalog();
    let db = cat.create_database("db", None).unwrap();
    cat.add_columns(db.id, "cpu", &["host"], &[("v", FieldType::Float)])
        .unwrap();
    assert!(cat.drop_measurement(db.id, "cpu").unwrap());
    assert!(!cat.drop_measurement(db.id, "cpu").unwrap());
    assert_eq!(
        cat.drop_measurement(999, "cpu").unwrap_err(),
        CatalogError::DatabaseIdNotFound(999)
    );
    // The type is forgotten with the measurement.
    let c = cat
        .add_columns(db.id, "cpu", &[], &[("v", FieldType::Integer)])
        .unwrap();
    assert!(c.is_empty());
    drop(cat);
    let cat = Catalog::open(&path).unwrap();
    let m = cat
        .database("db")
        .unwrap()
        .measurement("cpu")
        .unwrap()
        .clone();
    assert_eq!(m.field_type("v"), Some(FieldType::Integer));
    assert!(m.tags.is_empty());
}

#[test]
fn concurrent_add_columns_one_type_wins() {
    const THREADS: usize = 8;
    const FIELDS: usize = 12;
    let types = [
        FieldType::Float,
        FieldType::Integer,
        FieldType::UInteger,
        FieldType::String,
        FieldType::Boolean,
    ];
    let (_dir, path, cat) = temp_catalog();
    let db_id = cat.create_database("db", None).unwrap().id;
    let barrier = Arc::new(Barrier::new(THREADS));
    let names: Vec<String> = (0..FIELDS).map(|i| format!("f{i}")).collect();

    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let cat = cat.clone();
            let barrier = barrier.clone();
            let names = names.clone();
            thread::spawn(move || {
                // Each thread asks for its own type per field, in its own order.
                let mut request: Vec<(String, FieldType)> = (0..FIELDS)
                    .map(|f| (names[f].clone(), types[(t + f) % types.len()]))
                    .collect();
                request.rotate_left(t % FIELDS);
                let fields: Vec<(&str, FieldType)> =
                    request.iter().map(|(n, ty)| (n.as_str(), *ty)).collect();
                let tag = format!("tag{t}");
                barrier.wait();
                let conflicts = cat
                    .add_columns(db_id, "m", &[tag.as_str(), "shared"], &fields)
                    .unwrap();
                (request, conflicts)
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();

    let schema = cat
        .database("db")
        .unwrap()
        .measurement("m")
        .unwrap()
        .clone();
    assert_eq!(schema.fields.len(), FIELDS);
    assert_eq!(schema.tags.len(), THREADS + 1);
    for (request, conflicts) in &results {
        for (name, requested) in request {
            let winner = schema.field_type(name).unwrap();
            let reported = conflicts.iter().find(|c| &c.field == name);
            if *requested == winner {
                assert!(reported.is_none(), "winner reported a conflict on {name}");
            } else {
                let c = reported.expect("loser not told about conflict");
                assert_eq!(c.existing, winner);
                assert_eq!(c.requested, *requested);
            }
        }
        assert_eq!(
            conflicts.len(),
            request
                .iter()
                .filter(|(n, ty)| schema.field_type(n) != Some(*ty))
                .count()
        );
    }
    let snap = cat.snapshot();
    drop(cat);
    assert_eq!(*Catalog::open(&path).unwrap().snapshot(), *snap);
}

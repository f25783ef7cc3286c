//! Catalog files written before users and continuous queries existed.

use std::path::Path;

use super::{fast_options, reopen_fast};
use crate::*;

/// A copy of `tests/fixtures/catalog_format1.redb` (written by the format-1
/// code before users and continuous queries were added) in a temporary
/// directory, since opening a catalog writes to it.
fn fixture_copy() -> (tempfile::TempDir, std::path::PathBuf) {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/catalog_format1.redb");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.redb");
    std::fs::copy(&fixture, &path).unwrap();
    (dir, path)
}

#[test]
fn format1_file_without_new_tables_opens() {
    let (_dir, path) = fixture_copy();
    let cat = Catalog::open_with_options(&path, fast_options()).unwrap();
    let snap = cat.snapshot();
    // What the fixture writer created.
    assert_eq!(snap.version(), 7);
    assert_eq!(snap.next_database_id(), 4);
    let names: Vec<_> = snap.databases.keys().cloned().collect();
    assert_eq!(names, ["telegraf", "weather"]);
    let telegraf = snap.database("telegraf").unwrap();
    assert_eq!(telegraf.id, 1);
    assert_eq!(telegraf.default_rp, "autogen");
    assert!(telegraf.retention_policies.contains_key("forever"));
    let cpu = telegraf.measurement("cpu").unwrap();
    assert!(cpu.has_tag("host") && cpu.has_tag("cpu"));
    assert_eq!(cpu.field_type("usage_idle"), Some(FieldType::Float));
    assert_eq!(cpu.field_type("n"), Some(FieldType::Integer));
    let weather = snap.database("weather").unwrap();
    assert_eq!(weather.default_rp, "two_days");
    assert_eq!(weather.rp(None).unwrap().duration_ns, Some(2 * DAY_NS));
    assert!(snap.database_by_id(3).is_none(), "dropped in the fixture");
    // The new parts are simply empty.
    assert!(snap.users.is_empty());
    assert!(!cat.has_admin_user());
    assert!(snap
        .databases
        .values()
        .all(|db| db.continuous_queries.is_empty()));

    // And the file takes the new data, which survives reopening.
    cat.create_user("root", "pw", true).unwrap();
    cat.grant("root", "telegraf", Privilege::Read).unwrap();
    cat.create_continuous_query("telegraf", "cq", "CREATE CONTINUOUS QUERY cq ON telegraf BEGIN SELECT mean(usage_idle) INTO m FROM cpu GROUP BY time(1h) END")
        .unwrap();
    let db = cat.create_database("new", None).unwrap();
    assert_eq!(db.id, 4);
    let before = cat.snapshot();
    drop(cat);
    let cat = reopen_fast(&path);
    assert_eq!(*cat.snapshot(), *before);
    assert!(cat.authenticate("root", "pw").unwrap().admin);
    assert_eq!(cat.snapshot().version(), 11);
}

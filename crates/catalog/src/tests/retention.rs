use super::temp_catalog;
use crate::*;

fn spec(name: &str, duration: Option<i64>) -> RetentionPolicySpec {
    RetentionPolicySpec {
        name: name.into(),
        duration_ns: duration,
        ..Default::default()
    }
}

#[test]
fn default_shard_group_durations() {
    assert_eq!(default_shard_group_duration(None), WEEK_NS);
    assert_eq!(default_shard_group_duration(Some(0)), WEEK_NS);
    assert_eq!(default_shard_group_duration(Some(HOUR_NS)), HOUR_NS);
    assert_eq!(default_shard_group_duration(Some(2 * DAY_NS - 1)), HOUR_NS);
    assert_eq!(default_shard_group_duration(Some(2 * DAY_NS)), DAY_NS);
    assert_eq!(default_shard_group_duration(Some(180 * DAY_NS - 1)), DAY_NS);
    // InfluxDB: `d >= 180*24*time.Hour` → 7 days.
    assert_eq!(default_shard_group_duration(Some(180 * DAY_NS)), WEEK_NS);
    assert_eq!(default_shard_group_duration(Some(365 * DAY_NS)), WEEK_NS);
}

#[test]
fn autogen_is_default() {
    let (_dir, _path, cat) = temp_catalog();
    let db = cat.create_database("db", None).unwrap();
    assert_eq!(db.default_rp, "autogen");
    let rp = db.rp(None).unwrap();
    assert_eq!(rp, &RetentionPolicy::autogen());
    assert_eq!(rp.duration_ns, None);
    assert_eq!(rp.shard_group_duration_ns, 7 * DAY_NS);
    assert_eq!(rp.replication, 1);
    assert_eq!(db.rp(Some("")), Some(rp));
    assert_eq!(db.rp(Some("autogen")), Some(rp));
    assert_eq!(db.rp(Some("nope")), None);
}

#[test]
fn create_database_with_spec() {
    let (_dir, _path, cat) = temp_catalog();
    let db = cat
        .create_database("db", Some(spec("one_day", Some(DAY_NS))))
        .unwrap();
    assert_eq!(db.default_rp, "one_day");
    assert_eq!(db.retention_policies.len(), 1);
    let rp = db.rp(None).unwrap();
    assert_eq!(rp.duration_ns, Some(DAY_NS));
    assert_eq!(rp.shard_group_duration_ns, HOUR_NS);

    // Same spec again: idempotent.
    let again = cat
        .create_database("db", Some(spec("one_day", Some(DAY_NS))))
        .unwrap();
    assert_eq!(again.id, db.id);
    // Spec naming only some settings that match: still compatible.
    cat.create_database("db", Some(spec("one_day", None)))
        .unwrap();
    // Without a spec: idempotent.
    cat.create_database("db", None).unwrap();
    // Conflicting duration.
    assert_eq!(
        cat.create_database("db", Some(spec("one_day", Some(2 * DAY_NS))))
            .unwrap_err(),
        CatalogError::RetentionPolicyConflict
    );
    // Conflicting replication.
    let mut s = spec("one_day", None);
    s.replication = Some(3);
    assert_eq!(
        cat.create_database("db", Some(s)).unwrap_err(),
        CatalogError::RetentionPolicyConflict
    );
    // A policy the database does not have.
    assert_eq!(
        cat.create_database("db", Some(spec("other", None)))
            .unwrap_err(),
        CatalogError::RetentionPolicyConflict
    );
    // An existing but non-default policy.
    cat.create_retention_policy("db", spec("other", None), false)
        .unwrap();
    assert_eq!(
        cat.create_database("db", Some(spec("other", None)))
            .unwrap_err(),
        CatalogError::RetentionPolicyConflict
    );
    // Nothing above changed the database.
    assert_eq!(cat.database("db").unwrap().default_rp, "one_day");

    // Empty spec name means autogen.
    let d2 = cat
        .create_database("d2", Some(spec("", Some(3 * DAY_NS))))
        .unwrap();
    assert_eq!(d2.default_rp, "autogen");
    assert_eq!(d2.rp(None).unwrap().shard_group_duration_ns, DAY_NS);
}

#[test]
fn create_database_with_invalid_spec_creates_nothing() {
    let (_dir, _path, cat) = temp_catalog();
    let version = cat.snapshot().version();
    assert_eq!(
        cat.create_database("db", Some(spec("rp", Some(HOUR_NS / 2))))
            .unwrap_err(),
        CatalogError::RetentionPolicyDurationTooLow
    );
    let mut s = spec("rp", Some(2 * HOUR_NS));
    s.shard_group_duration_ns = Some(3 * HOUR_NS);
    assert_eq!(
        cat.create_database("db", Some(s)).unwrap_err(),
        CatalogError::IncompatibleDurations
    );
    let mut s = spec("rp", None);
    s.replication = Some(0);
    assert_eq!(
        cat.create_database("db", Some(s)).unwrap_err(),
        CatalogError::ReplicationFactorTooLow
    );
    assert!(cat.database("db").is_none());
    assert_eq!(cat.snapshot().version(), version);
    assert_eq!(cat.snapshot().next_database_id(), 1);
}

#[test]
fn create_retention_policy_rules() {
    let (_dir, _path, cat) = temp_catalog();
    assert_eq!(
        cat.create_retention_policy("nodb", spec("rp", None), false)
            .unwrap_err(),
        CatalogError::DatabaseNotFound("nodb".into())
    );
    cat.create_database("db", None).unwrap();
    assert_eq!(
        cat.create_retention_policy("db", spec("", None), false)
            .unwrap_err(),
        CatalogError::RetentionPolicyNameRequired
    );
    assert_eq!(
        cat.create_retention_policy("db", spec("rp", Some(HOUR_NS - 1)), false)
            .unwrap_err(),
        CatalogError::RetentionPolicyDurationTooLow
    );
    assert_eq!(
        cat.create_retention_policy("db", spec("rp", Some(-5)), false)
            .unwrap_err(),
        CatalogError::RetentionPolicyDurationTooLow
    );
    // Exactly one hour is allowed, with 1h shard groups.
    cat.create_retention_policy("db", spec("hour", Some(HOUR_NS)), false)
        .unwrap();
    let db = cat.database("db").unwrap();
    assert_eq!(
        db.rp(Some("hour")).unwrap().shard_group_duration_ns,
        HOUR_NS
    );
    assert_eq!(db.default_rp, "autogen");

    // Shard group durations below 1h are raised to 1h, as InfluxDB does.
    let mut s = spec("small_sg", Some(DAY_NS));
    s.shard_group_duration_ns = Some(60_000_000_000);
    cat.create_retention_policy("db", s, false).unwrap();
    let db = cat.database("db").unwrap();
    assert_eq!(
        db.rp(Some("small_sg")).unwrap().shard_group_duration_ns,
        HOUR_NS
    );

    // Shard group longer than the duration.
    let mut s = spec("bad", Some(DAY_NS));
    s.shard_group_duration_ns = Some(2 * DAY_NS);
    assert_eq!(
        cat.create_retention_policy("db", s, false).unwrap_err(),
        CatalogError::IncompatibleDurations
    );

    // Duration 0 means infinite.
    cat.create_retention_policy("db", spec("inf", Some(0)), false)
        .unwrap();
    let db = cat.database("db").unwrap();
    assert_eq!(db.rp(Some("inf")).unwrap().duration_ns, None);
    assert_eq!(db.rp(Some("inf")).unwrap().shard_group_duration_ns, WEEK_NS);

    // Identical again: fine. Different: exists. Identical but make default: conflict.
    cat.create_retention_policy("db", spec("hour", Some(HOUR_NS)), false)
        .unwrap();
    assert_eq!(
        cat.create_retention_policy("db", spec("hour", Some(2 * HOUR_NS)), false)
            .unwrap_err(),
        CatalogError::RetentionPolicyExists
    );
    assert_eq!(
        cat.create_retention_policy("db", spec("hour", Some(HOUR_NS)), true)
            .unwrap_err(),
        CatalogError::RetentionPolicyConflict
    );
    // Identical and already default: fine.
    cat.create_retention_policy("db", spec("autogen", None), true)
        .unwrap();

    // New policy as default.
    cat.create_retention_policy("db", spec("week", Some(WEEK_NS)), true)
        .unwrap();
    let db = cat.database("db").unwrap();
    assert_eq!(db.default_rp, "week");
    assert_eq!(db.rp(None).unwrap().shard_group_duration_ns, DAY_NS);
}

#[test]
fn alter_retention_policy_rules() {
    let (_dir, _path, cat) = temp_catalog();
    assert_eq!(
        cat.alter_retention_policy("nodb", "autogen", None, None, None, false)
            .unwrap_err(),
        CatalogError::DatabaseNotFound("nodb".into())
    );
    cat.create_database("db", None).unwrap();
    assert_eq!(
        cat.alter_retention_policy("db", "nope", None, None, None, false)
            .unwrap_err(),
        CatalogError::RetentionPolicyNotFound("nope".into())
    );
    let version = cat.snapshot().version();
    // No-op alter commits nothing.
    cat.alter_retention_policy("db", "autogen", None, None, None, true)
        .unwrap();
    assert_eq!(cat.snapshot().version(), version);

    assert_eq!(
        cat.alter_retention_policy("db", "autogen", Some(Some(HOUR_NS / 2)), None, None, false)
            .unwrap_err(),
        CatalogError::RetentionPolicyDurationTooLow
    );
    // autogen has 7d shard groups; 2d duration is shorter.
    assert_eq!(
        cat.alter_retention_policy("db", "autogen", Some(Some(2 * DAY_NS)), None, None, false)
            .unwrap_err(),
        CatalogError::IncompatibleDurations
    );
    assert_eq!(
        cat.alter_retention_policy("db", "autogen", None, None, Some(0), false)
            .unwrap_err(),
        CatalogError::ReplicationFactorTooLow
    );
    // Duration plus shard group duration together.
    cat.alter_retention_policy(
        "db",
        "autogen",
        Some(Some(2 * DAY_NS)),
        Some(DAY_NS),
        Some(2),
        false,
    )
    .unwrap();
    let rp = cat.database("db").unwrap().rp(None).unwrap().clone();
    assert_eq!(rp.duration_ns, Some(2 * DAY_NS));
    assert_eq!(rp.shard_group_duration_ns, DAY_NS);
    assert_eq!(rp.replication, 2);
    // Shard group longer than the existing duration.
    assert_eq!(
        cat.alter_retention_policy("db", "autogen", None, Some(3 * DAY_NS), None, false)
            .unwrap_err(),
        CatalogError::IncompatibleDurations
    );
    // Shard group 0 → default for the duration.
    cat.alter_retention_policy("db", "autogen", None, Some(0), None, false)
        .unwrap();
    assert_eq!(
        cat.database("db")
            .unwrap()
            .rp(None)
            .unwrap()
            .shard_group_duration_ns,
        DAY_NS
    );
    // Back to infinite; shard groups keep their width.
    cat.alter_retention_policy("db", "autogen", Some(None), None, None, false)
        .unwrap();
    let rp = cat.database("db").unwrap().rp(None).unwrap().clone();
    assert_eq!(rp.duration_ns, None);
    assert_eq!(rp.shard_group_duration_ns, DAY_NS);
    // Some(Some(0)) is infinite too.
    cat.alter_retention_policy("db", "autogen", Some(Some(0)), Some(0), None, false)
        .unwrap();
    let rp = cat.database("db").unwrap().rp(None).unwrap().clone();
    assert_eq!(rp.duration_ns, None);
    assert_eq!(rp.shard_group_duration_ns, WEEK_NS);

    // make_default switches the default.
    cat.create_retention_policy("db", spec("other", Some(DAY_NS)), false)
        .unwrap();
    cat.alter_retention_policy("db", "other", None, None, None, true)
        .unwrap();
    assert_eq!(cat.database("db").unwrap().default_rp, "other");
}

#[test]
fn drop_retention_policy_mirrors_influxdb() {
    let (_dir, path, cat) = temp_catalog();
    // Absent database or policy: no error, nothing committed.
    cat.drop_retention_policy("nodb", "autogen").unwrap();
    let db = cat.create_database("db", None).unwrap();
    let version = cat.snapshot().version();
    cat.drop_retention_policy("db", "nope").unwrap();
    assert_eq!(cat.snapshot().version(), version);

    cat.create_retention_policy("db", spec("other", Some(DAY_NS)), false)
        .unwrap();
    cat.drop_retention_policy("db", "other").unwrap();
    assert!(cat.database("db").unwrap().rp(Some("other")).is_none());

    // Dropping the default policy is allowed; the default name dangles.
    cat.drop_retention_policy("db", "autogen").unwrap();
    let after = cat.database("db").unwrap();
    assert_eq!(after.id, db.id);
    assert!(after.retention_policies.is_empty());
    assert_eq!(after.default_rp, "autogen");
    assert!(after.rp(None).is_none());
    // Survives reopen.
    drop(cat);
    let cat = Catalog::open(&path).unwrap();
    assert_eq!(cat.database("db").unwrap().default_rp, "autogen");
    // Re-creating a policy with that name makes it the default again.
    cat.create_retention_policy("db", spec("autogen", None), false)
        .unwrap();
    assert_eq!(
        cat.database("db").unwrap().rp(None).unwrap().name,
        "autogen"
    );
    // With no policies left, CREATE DATABASE ... WITH installs a new default.
    cat.drop_retention_policy("db", "autogen").unwrap();
    cat.create_database("db", Some(spec("fresh", Some(DAY_NS))))
        .unwrap();
    let db2 = cat.database("db").unwrap();
    assert_eq!(db2.id, db.id);
    assert_eq!(db2.default_rp, "fresh");
}

#[test]
fn partition_start_floors() {
    let hour = RetentionPolicy {
        name: "h".into(),
        duration_ns: None,
        shard_group_duration_ns: HOUR_NS,
        replication: 1,
    };
    assert_eq!(hour.partition_start(0), 0);
    assert_eq!(hour.partition_start(1), 0);
    assert_eq!(hour.partition_start(HOUR_NS - 1), 0);
    assert_eq!(hour.partition_start(HOUR_NS), HOUR_NS);
    assert_eq!(hour.partition_start(-1), -HOUR_NS);
    assert_eq!(hour.partition_start(-HOUR_NS), -HOUR_NS);
    assert_eq!(hour.partition_start(-HOUR_NS - 1), -2 * HOUR_NS);
    assert_eq!(hour.partition_end(5), HOUR_NS);

    let day = RetentionPolicy {
        shard_group_duration_ns: DAY_NS,
        ..hour.clone()
    };
    assert_eq!(day.partition_start(DAY_NS + 5), DAY_NS);
    assert_eq!(day.partition_start(-5), -DAY_NS);

    // 7-day groups start on Mondays like InfluxDB's (1970-01-01 was a Thursday).
    let week = RetentionPolicy::autogen();
    assert_eq!(week.partition_start(0), -3 * DAY_NS);
    assert_eq!(week.partition_start(4 * DAY_NS - 1), -3 * DAY_NS);
    assert_eq!(week.partition_start(4 * DAY_NS), 4 * DAY_NS);
    // 2016-10-03T00:00:00Z (a Monday) starts a group.
    let monday = 1_475_452_800 * 1_000_000_000i64;
    assert_eq!(week.partition_start(monday), monday);
    assert_eq!(week.partition_start(monday + WEEK_NS - 1), monday);
    assert_eq!(week.partition_start(monday - 1), monday - WEEK_NS);

    // Extremes do not overflow.
    assert_eq!(week.partition_start(i64::MIN), i64::MIN);
    let s = week.partition_start(i64::MAX);
    assert!(i64::MAX - s < WEEK_NS);
    assert_eq!(week.partition_end(i64::MAX), i64::MAX);

    // Every time lies in [start, start + width).
    for t in [
        -10 * WEEK_NS - 7,
        -1,
        0,
        1,
        123_456_789_012_345,
        5 * WEEK_NS + 3,
    ] {
        for rp in [&hour, &day, &week] {
            let s = rp.partition_start(t);
            assert!(s <= t && t < s + rp.shard_group_duration_ns, "{t} {s}");
        }
    }
}

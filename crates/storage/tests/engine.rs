//! End-to-end tests of the storage engine: write, persist, merge, replay,
//! compact, delete, expire.

use std::sync::Arc;

use almanac_catalog::{Catalog, RetentionPolicySpec};
use almanac_lineproto::Precision;
use almanac_storage::schema::measurement_schema;
use almanac_storage::{DeletePredicate, Storage, StorageConfig, TagMatch};
use arrow::util::pretty::pretty_format_batches;

fn open(dir: &std::path::Path) -> Arc<Storage> {
    let catalog = Catalog::open(&dir.join("catalog.redb")).unwrap();
    let mut config = StorageConfig::new(dir);
    config.compaction_files = 3;
    Storage::open(config, catalog).unwrap()
}

/// The measurement's rows as a pretty table (all partitions, merged).
fn table(storage: &Storage, db: &str, measurement: &str) -> String {
    let def = storage.catalog().database(db).unwrap();
    let schema = measurement_schema(def.measurement(measurement).unwrap());
    let mut batches = Vec::new();
    for p in storage
        .table_snapshot(def.id, &def.default_rp, measurement, i64::MIN, i64::MAX)
        .unwrap()
    {
        batches.extend(p.read(&schema, None).unwrap());
    }
    pretty_format_batches(&batches).unwrap().to_string()
}

async fn write(storage: &Storage, db: &str, body: &str) {
    let outcome = storage
        .write(db, None, body.as_bytes(), Precision::Second)
        .await
        .unwrap();
    assert_eq!(outcome.dropped(), 0, "{:?}", outcome.reason());
}

#[tokio::test]
async fn duplicates_merge_in_buffer_across_files_and_after_compaction() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path());
    storage.catalog().create_database("db", None).unwrap();
    write(&storage, "db", "m,h=a x=1,y=1 10\nm,h=b x=5 10").await;
    storage.persist_all().unwrap();
    write(&storage, "db", "m,h=a x=2 10").await;
    let expected = "\
+---+-----+-----+---------------------+
| h | x   | y   | time                |
+---+-----+-----+---------------------+
| a | 2.0 | 1.0 | 1970-01-01T00:00:10 |
| b | 5.0 |     | 1970-01-01T00:00:10 |
+---+-----+-----+---------------------+";
    // File + buffer.
    assert_eq!(table(&storage, "db", "m"), expected);
    storage.persist_all().unwrap();
    // Two files.
    assert_eq!(table(&storage, "db", "m"), expected);
    assert_eq!(
        storage
            .manifest()
            .partitions
            .values()
            .next()
            .unwrap()
            .files
            .len(),
        2
    );
    let key = storage.manifest().partitions.keys().next().unwrap().clone();
    let codecs = |storage: &Storage| -> Vec<parquet::basic::Compression> {
        storage.manifest().partitions[&key]
            .files
            .iter()
            .map(|f| {
                let file = std::fs::File::open(dir.path().join(&f.path)).unwrap();
                let reader = parquet::file::reader::SerializedFileReader::new(file).unwrap();
                let meta = parquet::file::reader::FileReader::metadata(&reader).clone();
                let x = meta.file_metadata().schema_descr().column(1);
                assert_eq!(x.name(), "x");
                meta.row_group(0).column(1).compression()
            })
            .collect()
    };
    // Persisted files are written for read speed, compacted ones for size.
    assert!(codecs(&storage)
        .iter()
        .all(|c| *c == parquet::basic::Compression::LZ4_RAW));
    storage.compact_partition(&key).unwrap();
    assert_eq!(storage.manifest().partitions[&key].files.len(), 1);
    assert_eq!(table(&storage, "db", "m"), expected);
    assert!(matches!(
        codecs(&storage)[..],
        [parquet::basic::Compression::ZSTD(_)]
    ));
}

#[tokio::test]
async fn wal_replay_restores_unpersisted_writes_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let expected;
    {
        let storage = open(dir.path());
        storage.catalog().create_database("db", None).unwrap();
        write(&storage, "db", "m,h=a x=1 10\nm,h=a x=2 20").await;
        storage.persist_all().unwrap();
        write(&storage, "db", "m,h=a x=3 30\nm,h=a x=9 10").await;
        expected = table(&storage, "db", "m");
        // Dropped without shutdown: the buffer is lost, the WAL is not.
    }
    let storage = open(dir.path());
    assert_eq!(table(&storage, "db", "m"), expected);
    assert!(
        expected.contains("| a | 9.0 | 1970-01-01T00:00:10 |"),
        "{expected}"
    );
    // Reopen again after persisting everything: the WAL is truncated and
    // nothing is replayed twice.
    storage.persist_all().unwrap();
    drop(storage);
    let storage = open(dir.path());
    assert_eq!(table(&storage, "db", "m"), expected);
}

fn gzip(text: &str) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(text.as_bytes()).unwrap();
    enc.finish().unwrap()
}

/// Bytes of the WAL segments under `dir`.
fn wal_bytes(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "wal") {
                total += e.metadata().unwrap().len();
            }
        }
    }
    total
}

#[tokio::test]
async fn gzipped_writes_replay_from_the_body_as_sent_and_partial_ones_from_their_text() {
    let dir = tempfile::tempdir().unwrap();
    let expected;
    // 2,000 lines of one series: the text is ~50 KB, gzipped a few KB.
    let whole: String = (0..2000)
        .map(|i| {
            format!(
                "m,host=server-{:03} x={i},y=\"a string\" {}\n",
                i % 7,
                100 + i
            )
        })
        .collect();
    {
        let storage = open(dir.path());
        storage.catalog().create_database("db", None).unwrap();
        let before = wal_bytes(dir.path());
        let sent = gzip(&whole);
        let outcome = storage
            .write_as_sent("db", None, whole.as_bytes(), Some(&sent), Precision::Second)
            .await
            .unwrap();
        assert_eq!((outcome.accepted, outcome.dropped()), (2000, 0));
        // The record is the gzipped body and a few header bytes.
        let logged = wal_bytes(dir.path()) - before;
        assert!(
            logged < sent.len() as u64 + 64,
            "{logged} WAL bytes for {} of text sent as {}",
            whole.len(),
            sent.len()
        );
        // A rejected line (type conflict) and a bad one: the WAL keeps the
        // accepted line's text, not the body.
        let partial = "m x=\"text\" 1\nm,host=z x=5 2\nnot line protocol";
        let outcome = storage
            .write_as_sent(
                "db",
                None,
                partial.as_bytes(),
                Some(&gzip(partial)),
                Precision::Second,
            )
            .await
            .unwrap();
        assert_eq!((outcome.accepted, outcome.dropped()), (1, 2));
        expected = table(&storage, "db", "m");
        // Dropped without shutdown: the buffer is lost, the WAL is not.
    }
    assert!(expected.contains("| z          | 5.0    |"), "{expected}");
    assert!(expected.contains("| server-003 | 1998.0 |"), "{expected}");
    let storage = open(dir.path());
    assert_eq!(table(&storage, "db", "m"), expected);
}

#[tokio::test]
async fn deletes_apply_to_buffer_and_files_and_survive_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let storage = open(dir.path());
        let db = storage.catalog().create_database("db", None).unwrap();
        write(&storage, "db", "m,h=a x=1 10\nm,h=b x=2 10\nm,h=a x=3 20").await;
        storage.persist_all().unwrap();
        write(&storage, "db", "m,h=a x=4 15").await;
        storage
            .delete(
                DeletePredicate {
                    db_id: db.id,
                    rp: None,
                    measurement: Some("m".into()),
                    min_time: 0,
                    max_time: 15_000_000_000,
                    tags: vec![TagMatch {
                        key: "h".into(),
                        value: "a".into(),
                        negated: false,
                    }],
                },
                false,
            )
            .await
            .unwrap();
        write(&storage, "db", "m,h=a x=5 12").await;
    }
    let storage = open(dir.path());
    let expected = "\
+---+-----+---------------------+
| h | x   | time                |
+---+-----+---------------------+
| a | 5.0 | 1970-01-01T00:00:12 |
| a | 3.0 | 1970-01-01T00:00:20 |
| b | 2.0 | 1970-01-01T00:00:10 |
+---+-----+---------------------+";
    assert_eq!(table(&storage, "db", "m"), expected);
    storage.persist_all().unwrap();
    let key = storage.manifest().partitions.keys().next().unwrap().clone();
    storage.compact_partition(&key).unwrap();
    assert!(storage.manifest().tombstones.is_empty());
    assert_eq!(table(&storage, "db", "m"), expected);
}

#[tokio::test]
async fn field_type_conflicts_reject_only_the_conflicting_lines() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path());
    storage.catalog().create_database("db", None).unwrap();
    let outcome = storage
        .write(
            "db",
            None,
            b"m x=1 1\nm x=1i 2\nm x=2 3\nm y=\"s\" 4\nm y=true 5",
            Precision::Second,
        )
        .await
        .unwrap();
    assert_eq!(outcome.accepted, 3);
    assert_eq!(outcome.conflicts.len(), 2);
    assert_eq!(
        outcome.conflicts[0],
        "field type conflict: input field \"x\" on measurement \"m\" is type integer, already exists as type float"
    );
}

#[tokio::test]
async fn retention_drops_expired_partitions_and_rejects_old_points() {
    const HOUR: i64 = 3_600_000_000_000;
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path());
    storage
        .catalog()
        .create_database(
            "db",
            Some(RetentionPolicySpec {
                name: "rp".into(),
                duration_ns: Some(24 * HOUR),
                shard_group_duration_ns: Some(HOUR),
                replication: None,
            }),
        )
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let outcome = storage
        .write(
            "db",
            None,
            format!(
                "m x=1 {}\nm x=2 {}\nm x=3 {}",
                now - 48 * 3600,
                now - 3 * 3600,
                now
            )
            .as_bytes(),
            Precision::Second,
        )
        .await
        .unwrap();
    assert_eq!(outcome.accepted, 2);
    assert_eq!(outcome.beyond_retention, 1);
    assert_eq!(outcome.reason().unwrap(), "points beyond retention policy");
    storage.persist_all().unwrap();
    write(&storage, "db", &format!("m x=4 {}", now - 3 * 3600 + 1)).await;
    assert_eq!(storage.manifest().partitions.len(), 2);
    // Shorten the policy to 1h: the partition of three hours ago expires,
    // in the files and in the buffer; the current one stays.
    storage
        .catalog()
        .alter_retention_policy("db", "rp", Some(Some(HOUR)), None, None, false)
        .unwrap();
    storage.maintain().unwrap();
    assert_eq!(storage.manifest().partitions.len(), 1);
    let text = table(&storage, "db", "m");
    assert!(
        text.contains("3.0") && !text.contains("2.0") && !text.contains("4.0"),
        "{text}"
    );
    assert_eq!(
        storage
            .stats
            .partitions_expired
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
}

#[tokio::test]
async fn dropped_database_leaves_nothing_behind_and_ignores_old_wal() {
    let dir = tempfile::tempdir().unwrap();
    {
        let storage = open(dir.path());
        let db = storage.catalog().create_database("db", None).unwrap();
        write(&storage, "db", "m x=1 10").await;
        storage.persist_all().unwrap();
        write(&storage, "db", "m x=2 20").await;
        storage.catalog().drop_database("db").unwrap();
        storage.drop_database(db.id).unwrap();
        storage.catalog().create_database("db", None).unwrap();
        write(&storage, "db", "m x=3 30").await;
    }
    let storage = open(dir.path());
    let text = table(&storage, "db", "m");
    assert!(
        text.contains("3.0") && !text.contains("1.0") && !text.contains("2.0"),
        "{text}"
    );
}

#[tokio::test]
async fn series_filters_skip_files_and_rows_but_keep_merges_right() {
    use almanac_storage::TagFilter;
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path());
    storage.catalog().create_database("db", None).unwrap();
    write(&storage, "db", "m,h=a x=1,y=1 10\nm,h=b x=5 10").await;
    storage.persist_all().unwrap();
    write(&storage, "db", "m,h=c x=7 10\nm,h=d x=8 10").await;
    storage.persist_all().unwrap();
    write(&storage, "db", "m,h=a x=2 10").await;
    let def = storage.catalog().database("db").unwrap();
    let schema = measurement_schema(def.measurement("m").unwrap());
    let read = |values: &[&str]| {
        let filter = TagFilter::new("h", values.iter().map(|v| v.to_string()).collect());
        let snapshots = storage
            .table_snapshot_filtered(def.id, "autogen", "m", i64::MIN, i64::MAX, &[filter])
            .unwrap();
        let files: usize = snapshots.iter().map(|s| s.files.len()).sum();
        let mut batches = Vec::new();
        for p in snapshots {
            batches.extend(p.read(&schema, None).unwrap());
        }
        (files, pretty_format_batches(&batches).unwrap().to_string())
    };
    // Series `a`: the first file (a..b) and the buffer; the second file
    // (c..d) is skipped; the buffered write still wins per field.
    let (files, rows) = read(&["a"]);
    assert_eq!(files, 1);
    assert_eq!(
        rows,
        "\
+---+-----+-----+---------------------+
| h | x   | y   | time                |
+---+-----+-----+---------------------+
| a | 2.0 | 1.0 | 1970-01-01T00:00:10 |
+---+-----+-----+---------------------+"
    );
    let (files, rows) = read(&["d", "b"]);
    assert_eq!(files, 2);
    assert!(
        rows.contains("| b | 5.0 |") && rows.contains("| d | 8.0 |"),
        "{rows}"
    );
    assert!(!rows.contains("| a ") && !rows.contains("| c "), "{rows}");
    let (files, rows) = read(&["zz"]);
    assert_eq!(files, 0);
    assert_eq!(rows.trim(), "++\n++");
}

/// Per `h`, the newest `(time, x)` with a value in `x` among `batches`.
fn newest_x(
    batches: &[arrow::array::RecordBatch],
) -> std::collections::BTreeMap<String, (i64, f64)> {
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{Float64Type, Int32Type, TimestampNanosecondType};
    let mut out = std::collections::BTreeMap::new();
    for b in batches {
        let h = b.column_by_name("h").unwrap().as_dictionary::<Int32Type>();
        let names = h.values().as_string::<i32>();
        let x = b.column_by_name("x").unwrap().as_primitive::<Float64Type>();
        let t = b
            .column_by_name("time")
            .unwrap()
            .as_primitive::<TimestampNanosecondType>();
        for r in 0..b.num_rows() {
            if x.is_null(r) {
                continue;
            }
            let key = names.value(h.keys().value(r) as usize).to_string();
            let e = out.entry(key).or_insert((i64::MIN, 0.0));
            if t.value(r) > e.0 {
                *e = (t.value(r), x.value(r));
            }
        }
    }
    out
}

#[tokio::test]
async fn reading_series_ends_across_files_and_buffer_finds_the_newest_values() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path());
    storage.catalog().create_database("db", None).unwrap();
    let mut body = String::new();
    for t in 1..=50 {
        body.push_str(&format!("m,h=a x={t},y={t} {t}\nm,h=b x={t} {t}\n"));
    }
    write(&storage, "db", &body).await;
    storage.persist_all().unwrap();
    // The newest rows of the second file lack `x`; one older point changes.
    write(
        &storage,
        "db",
        "m,h=a y=100 60\nm,h=a y=101 61\nm,h=b x=-5 20",
    )
    .await;
    storage.persist_all().unwrap();
    write(&storage, "db", "m,h=c x=7 5").await;
    let def = storage.catalog().database("db").unwrap();
    let schema = measurement_schema(def.measurement("m").unwrap());
    let read = |ends: Option<almanac_storage::files::SeriesEnds>, time: (i64, i64)| {
        let mut batches = Vec::new();
        for mut p in storage
            .table_snapshot(def.id, &def.default_rp, "m", time.0, time.1)
            .unwrap()
        {
            p.ends = ends.clone();
            batches.extend(p.read(&schema, None).unwrap());
        }
        batches
    };
    let ends = almanac_storage::files::SeriesEnds {
        rows: 1,
        newest: true,
        counting: vec!["x".into()],
        every: false,
    };
    let s = 1_000_000_000i64;
    for time in [
        (i64::MIN, i64::MAX),
        (0, 30 * s),
        (21 * s, 21 * s),
        (55 * s, 70 * s),
    ] {
        let whole = newest_x(&read(None, time));
        let clipped = read(Some(ends.clone()), time);
        assert_eq!(newest_x(&clipped), whole, "time {time:?}");
        // Only the ends were decoded where they sufficed.
        if time == (i64::MIN, i64::MAX) {
            let rows: usize = clipped.iter().map(|b| b.num_rows()).sum();
            assert!(rows < 60, "{rows} rows read");
        }
    }
    assert_eq!(
        newest_x(&read(Some(ends.clone()), (i64::MIN, i64::MAX)))["a"],
        (50 * s, 50.0)
    );
    // A delete of the newest points leaves the ones before them.
    let predicate = DeletePredicate {
        db_id: def.id,
        rp: None,
        measurement: Some("m".into()),
        min_time: 45 * s,
        max_time: i64::MAX,
        tags: vec![],
    };
    storage.delete(predicate, false).await.unwrap();
    let after = newest_x(&read(Some(ends), (i64::MIN, i64::MAX)));
    assert_eq!(after["a"], (44 * s, 44.0));
    assert_eq!(after, newest_x(&read(None, (i64::MIN, i64::MAX))));
}

/// A snapshot taken before a compaction still reads the files compaction
/// removed; they leave the disk when the snapshot is dropped.
#[tokio::test]
async fn snapshots_keep_reading_files_compaction_removes() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path());
    storage.catalog().create_database("db", None).unwrap();
    write(&storage, "db", "m,h=a x=1 10\nm,h=b x=2 10").await;
    storage.persist_all().unwrap();
    write(&storage, "db", "m,h=a x=3 20").await;
    storage.persist_all().unwrap();
    let def = storage.catalog().database("db").unwrap();
    let schema = measurement_schema(def.measurement("m").unwrap());
    let before = storage
        .table_snapshot(def.id, &def.default_rp, "m", i64::MIN, i64::MAX)
        .unwrap();
    let old_files: Vec<std::path::PathBuf> = before
        .iter()
        .flat_map(|p| p.files.iter().map(|(path, _, _)| path.clone()))
        .collect();
    assert_eq!(old_files.len(), 2);
    let key = storage.manifest().partitions.keys().next().unwrap().clone();
    storage.compact_partition(&key).unwrap();
    assert!(old_files.iter().all(|f| f.exists()), "leased files deleted");
    let rows: usize = before
        .iter()
        .flat_map(|p| p.read(&schema, None).unwrap())
        .map(|b| b.num_rows())
        .sum();
    assert_eq!(rows, 3);
    drop(before);
    assert!(
        old_files.iter().all(|f| !f.exists()),
        "files outlived their lease"
    );
    assert_eq!(
        table(&storage, "db", "m").lines().count(),
        7,
        "{}",
        table(&storage, "db", "m")
    );
}

#[tokio::test]
async fn a_snapshot_knows_when_it_reads_one_series() {
    use almanac_storage::TagFilter;
    let dir = tempfile::tempdir().unwrap();
    let storage = open(dir.path());
    storage.catalog().create_database("db", None).unwrap();
    // Series (h=a,r=x) is in both files; (h=a,r=y) and (h=b,r=x) in the second.
    write(&storage, "db", "m,h=a,r=x v=1 10\nm,h=c v=3 10").await;
    storage.persist_all().unwrap();
    write(
        &storage,
        "db",
        "m,h=a,r=x v=2 20\nm,h=a,r=y v=4 20\nm,h=b,r=x v=5 20",
    )
    .await;
    storage.persist_all().unwrap();
    let def = storage.catalog().database("db").unwrap();
    let single = |filters: &[TagFilter], min: i64, max: i64| {
        let snapshots = storage
            .table_snapshot_filtered(def.id, "autogen", "m", min, max, filters)
            .unwrap();
        assert!(snapshots.len() <= 1);
        snapshots.iter().all(|s| s.single_series())
    };
    let tag = |k: &str, v: &str| TagFilter::new(k, vec![v.to_string()]);
    // One series over two files.
    assert!(single(&[tag("h", "a"), tag("r", "x")], i64::MIN, i64::MAX));
    // h=a is two series (r=x, r=y) in the second file.
    assert!(!single(&[tag("h", "a")], i64::MIN, i64::MAX));
    // ... but only one of them before time 20.
    assert!(single(&[tag("h", "a")], i64::MIN, 15));
    // r=x: (h=a,r=x) and (h=b,r=x).
    assert!(!single(&[tag("r", "x")], i64::MIN, i64::MAX));
    // A series without the tag r, alone.
    assert!(single(&[tag("h", "c")], i64::MIN, i64::MAX));
    // Nothing matches: no series.
    assert!(single(&[tag("h", "zz")], i64::MIN, i64::MAX));
    // Buffered rows: not known.
    write(&storage, "db", "m,h=c v=6 30").await;
    assert!(!single(&[tag("h", "c")], i64::MIN, i64::MAX));
}

//! Continuous queries (semantics checked against influxd 1.6.7).

use super::{fast_catalog, reopen_fast};
use crate::*;

const CQ1: &str = "CREATE CONTINUOUS QUERY cq1 ON db BEGIN SELECT mean(v) INTO db.autogen.m2 FROM db.autogen.m GROUP BY time(1h) END";
const CQ1_OTHER: &str = "CREATE CONTINUOUS QUERY cq1 ON db BEGIN SELECT max(v) INTO db.autogen.m2 FROM db.autogen.m GROUP BY time(1h) END";

#[test]
fn create_is_idempotent_for_the_same_text() {
    let (_dir, _path, cat) = fast_catalog();
    cat.create_database("db", None).unwrap();
    cat.create_continuous_query("db", "cq1", CQ1).unwrap();
    let cq = cat
        .database("db")
        .unwrap()
        .continuous_query("cq1")
        .cloned()
        .unwrap();
    assert_eq!(cq.name, "cq1");
    assert_eq!(cq.query, CQ1);

    let version = cat.snapshot().version();
    cat.create_continuous_query("db", "cq1", CQ1).unwrap();
    // InfluxDB compares the texts lower-cased.
    cat.create_continuous_query("db", "cq1", &CQ1.to_lowercase())
        .unwrap();
    assert_eq!(cat.snapshot().version(), version);
    assert_eq!(
        cat.database("db")
            .unwrap()
            .continuous_query("cq1")
            .unwrap()
            .query,
        CQ1,
        "the first text is kept"
    );

    let err = cat
        .create_continuous_query("db", "cq1", CQ1_OTHER)
        .unwrap_err();
    assert_eq!(err, CatalogError::ContinuousQueryExists);
    assert_eq!(err.to_string(), "continuous query already exists");

    let err = cat.create_continuous_query("nodb", "cq1", CQ1).unwrap_err();
    assert_eq!(err.to_string(), "database not found: nodb");
}

#[test]
fn same_name_in_two_databases_is_fine() {
    let (_dir, _path, cat) = fast_catalog();
    cat.create_database("a", None).unwrap();
    cat.create_database("b", None).unwrap();
    cat.create_continuous_query("a", "cq", "Q A").unwrap();
    cat.create_continuous_query("b", "cq", "Q B").unwrap();
    assert_eq!(
        cat.database("a")
            .unwrap()
            .continuous_query("cq")
            .unwrap()
            .query,
        "Q A"
    );
    assert_eq!(
        cat.database("b")
            .unwrap()
            .continuous_query("cq")
            .unwrap()
            .query,
        "Q B"
    );
    assert!(cat.drop_continuous_query("a", "cq").unwrap());
    assert!(cat.database("a").unwrap().continuous_queries.is_empty());
    assert_eq!(cat.database("b").unwrap().continuous_queries.len(), 1);
}

#[test]
fn drop_reports_whether_it_existed() {
    let (_dir, _path, cat) = fast_catalog();
    cat.create_database("db", None).unwrap();
    cat.create_continuous_query("db", "cq1", CQ1).unwrap();
    assert!(cat.drop_continuous_query("db", "cq1").unwrap());
    assert!(cat
        .database("db")
        .unwrap()
        .continuous_query("cq1")
        .is_none());
    // As influxd 1.6.7: dropping a missing query, or on a missing database,
    // is not an error.
    let version = cat.snapshot().version();
    assert!(!cat.drop_continuous_query("db", "cq1").unwrap());
    assert!(!cat.drop_continuous_query("nodb", "cq1").unwrap());
    assert_eq!(cat.snapshot().version(), version);
    // After a drop the name is free for another text.
    cat.create_continuous_query("db", "cq1", CQ1_OTHER).unwrap();
    assert_eq!(
        cat.database("db")
            .unwrap()
            .continuous_query("cq1")
            .unwrap()
            .query,
        CQ1_OTHER
    );
}

#[test]
fn listed_in_creation_order() {
    let (_dir, path, cat) = fast_catalog();
    cat.create_database("db", None).unwrap();
    for name in ["zz", "aa", "mm"] {
        cat.create_continuous_query("db", name, &format!("Q {name}"))
            .unwrap();
    }
    cat.drop_continuous_query("db", "aa").unwrap();
    cat.create_continuous_query("db", "aa", "Q aa again")
        .unwrap();
    let order = |cat: &Catalog| -> Vec<String> {
        cat.database("db")
            .unwrap()
            .continuous_queries_in_creation_order()
            .iter()
            .map(|cq| cq.name.clone())
            .collect()
    };
    assert_eq!(order(&cat), ["zz", "mm", "aa"]);
    drop(cat);
    assert_eq!(order(&reopen_fast(&path)), ["zz", "mm", "aa"]);
}

#[test]
fn dropping_the_database_drops_its_queries() {
    let (_dir, path, cat) = fast_catalog();
    cat.create_database("db", None).unwrap();
    cat.create_database("keep", None).unwrap();
    cat.create_continuous_query("db", "cq1", CQ1).unwrap();
    cat.create_continuous_query("db", "cq2", "Q2").unwrap();
    cat.create_continuous_query("keep", "cq1", "K").unwrap();
    cat.drop_database("db").unwrap();
    cat.create_database("db", None).unwrap();
    assert!(cat.database("db").unwrap().continuous_queries.is_empty());
    drop(cat);

    let cat = reopen_fast(&path);
    assert!(cat.database("db").unwrap().continuous_queries.is_empty());
    assert_eq!(
        cat.database("keep")
            .unwrap()
            .continuous_query("cq1")
            .unwrap()
            .query,
        "K"
    );
}

#[test]
fn queries_survive_reopen() {
    let (_dir, path, cat) = fast_catalog();
    cat.create_database("db", None).unwrap();
    let text = "CREATE CONTINUOUS QUERY \"my cq\" ON db RESAMPLE EVERY 2h FOR 4h BEGIN SELECT count(v) INTO db1.autogen.m3 FROM db.autogen.m GROUP BY time(1h), * END";
    cat.create_continuous_query("db", "my cq", text).unwrap();
    cat.create_continuous_query("db", "", "empty name").unwrap();
    cat.create_continuous_query("db", "ünï ✓", "unicode")
        .unwrap();
    let before = cat.snapshot();
    drop(cat);
    let cat = reopen_fast(&path);
    assert_eq!(*cat.snapshot(), *before);
    let db = cat.database("db").unwrap();
    assert_eq!(db.continuous_query("my cq").unwrap().query, text);
    assert_eq!(db.continuous_queries.len(), 3);
}

#[test]
fn commands_round_trip_through_json() {
    for cmd in [
        CatalogCommand::CreateContinuousQuery {
            database: "db".into(),
            name: "cq".into(),
            query: CQ1.into(),
        },
        CatalogCommand::DropContinuousQuery {
            database: "db".into(),
            name: "cq".into(),
        },
    ] {
        let json = serde_json::to_string(&cmd).unwrap();
        assert_eq!(serde_json::from_str::<CatalogCommand>(&json).unwrap(), cmd);
    }
}

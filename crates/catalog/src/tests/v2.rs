//! InfluxDB 2.x entities: setup, orgs, buckets, DBRPs, tokens, documents.

use super::{fast_catalog, reopen_fast};
use crate::*;

fn setup(cat: &Catalog) -> SetupResult {
    cat.setup(SetupRequest {
        org: "acme".into(),
        user: "ann".into(),
        password: Some("password1".into()),
        bucket: "metrics".into(),
        retention_ns: Some(48 * HOUR_NS),
        token: None,
    })
    .unwrap()
}

#[test]
fn setup_creates_everything_once_and_survives_reopen() {
    let (_dir, path, cat) = fast_catalog();
    assert!(!cat.is_setup_done());
    let res = setup(&cat);
    assert!(cat.is_setup_done());
    assert_eq!(res.org.name, "acme");
    assert_eq!(res.org.id.len(), 16);
    assert!(res.token.len() >= 64, "{}", res.token.len());
    // The setup user is a 1.x admin and can sign in with the password.
    assert!(cat.authenticate("ann", "password1").unwrap().is_admin());
    // The bucket is database "metrics" with RP autogen of 48h.
    let db = cat.database("metrics").unwrap();
    assert_eq!(db.default_rp, "autogen");
    assert_eq!(db.rp(None).unwrap().duration_ns, Some(48 * HOUR_NS));
    assert_eq!(res.bucket_id, bucket_id(db.id, "autogen"));
    // The token resolves to an operator authorization of ann.
    let (auth, user) = cat.authenticate_token(&res.token).unwrap();
    assert_eq!(user.name, "ann");
    assert_eq!(auth.user_id, user.id());
    assert!(auth.allows(Action::Write, "buckets", Some("any-org"), Some("x")));
    assert!(auth.allows(Action::Read, "users", None, None));
    assert!(cat.authenticate_token("not-a-token").is_none());
    let snap = cat.snapshot();
    assert_eq!(
        snap.v2.role(&res.org.id, &user.id()),
        Some(MemberRole::Owner)
    );
    // Setup runs once.
    let again = cat.setup(SetupRequest {
        org: "other".into(),
        user: "bob".into(),
        password: None,
        bucket: "b".into(),
        retention_ns: None,
        token: None,
    });
    assert!(matches!(again, Err(CatalogError::Conflict(_))), "{again:?}");
    assert!(cat.database("b").is_none() && cat.user("bob").is_none());

    let before = cat.snapshot();
    drop(cat);
    let cat = reopen_fast(&path);
    assert_eq!(*cat.snapshot(), *before);
    assert!(cat.is_setup_done());
    let (_, user) = cat.authenticate_token(&res.token).unwrap();
    assert_eq!(user.id(), res.user.id());
}

#[test]
fn v1_databases_are_buckets_with_stable_ids() {
    let (_dir, path, cat) = fast_catalog();
    let res = setup(&cat);
    let db = cat.create_database("telegraf", None).unwrap();
    cat.create_retention_policy("telegraf", RetentionPolicySpec::named("short"), false)
        .unwrap();
    let snap = cat.snapshot();
    let default_id = bucket_id(db.id, "autogen");
    let short_id = bucket_id(db.id, "short");
    assert_ne!(default_id, short_id);
    assert_eq!(snap.bucket_name(&db, "autogen"), "telegraf");
    let db = snap.database("telegraf").unwrap().clone();
    assert_eq!(snap.bucket_name(&db, "short"), "telegraf/short");
    for (name, id) in [
        ("telegraf", &default_id),
        ("telegraf/autogen", &default_id),
        ("telegraf/short", &short_id),
    ] {
        let (d, rp) = snap.bucket_by_name(name).unwrap();
        assert_eq!(&bucket_id(d.id, &rp), id, "{name}");
    }
    assert!(snap.bucket_by_name("telegraf/nope").is_none());
    assert_eq!(snap.bucket_org_id(&short_id), Some(res.org.id.clone()));
    drop(snap);
    drop(cat);
    let cat = reopen_fast(&path);
    let snap = cat.snapshot();
    let (d, rp) = snap.bucket(&short_id).unwrap();
    assert_eq!((d.name.as_str(), rp.as_str()), ("telegraf", "short"));
}

#[test]
fn buckets_create_update_delete() {
    let (_dir, path, cat) = fast_catalog();
    let res = setup(&cat);
    let id = cat
        .create_bucket(&res.org.id, "b1", "first", Some(2 * DAY_NS), Some(HOUR_NS))
        .unwrap();
    let dup = cat.create_bucket(&res.org.id, "b1", "", None, None);
    assert_eq!(
        dup,
        Err(CatalogError::Conflict(
            "bucket with name b1 already exists".into()
        ))
    );
    assert!(matches!(
        cat.create_bucket("0000000000000001", "b2", "", None, None),
        Err(CatalogError::NotFound(_))
    ));
    assert_eq!(
        cat.create_bucket(&res.org.id, "b3", "", Some(60_000_000_000), None),
        Err(CatalogError::RetentionPolicyDurationTooLow)
    );
    cat.update_bucket(
        &id,
        Some("renamed".into()),
        Some("desc".into()),
        Some(None),
        None,
    )
    .unwrap();
    let snap = cat.snapshot();
    let (db, rp) = snap.bucket_by_name("renamed").unwrap();
    assert_eq!(db.name, "b1");
    assert_eq!(db.rp(Some(&rp)).unwrap().duration_ns, None);
    assert_eq!(snap.bucket_name(&db, &rp), "renamed");
    assert_eq!(snap.v2.bucket_meta[&id].description, "desc");
    drop(snap);
    let cat = {
        drop(cat);
        reopen_fast(&path)
    };
    assert_eq!(
        cat.snapshot()
            .bucket_name(&cat.database("b1").unwrap(), "autogen"),
        "renamed"
    );
    // A second RP: deleting it drops only the RP, deleting the last drops the database.
    cat.create_retention_policy("b1", RetentionPolicySpec::named("rp2"), false)
        .unwrap();
    let db_id = cat.database("b1").unwrap().id;
    let rp2 = bucket_id(db_id, "rp2");
    assert_eq!(
        cat.delete_bucket(&rp2).unwrap(),
        DroppedBucket::RetentionPolicy(db_id, "rp2".into())
    );
    assert_eq!(
        cat.delete_bucket(&id).unwrap(),
        DroppedBucket::Database(db_id)
    );
    assert!(cat.database("b1").is_none());
    assert!(matches!(
        cat.delete_bucket(&id),
        Err(CatalogError::NotFound(_))
    ));
}

#[test]
fn orgs_members_tokens_and_cascades() {
    let (_dir, path, cat) = fast_catalog();
    let res = setup(&cat);
    let org = cat.create_org("second", "two").unwrap();
    assert!(matches!(
        cat.create_org("second", ""),
        Err(CatalogError::Conflict(_))
    ));
    let bob = cat.create_user("bob", "pw", false).unwrap();
    cat.set_member(&org.id, &bob.id(), Some(MemberRole::Member))
        .unwrap();
    let bucket = cat.create_bucket(&org.id, "sb", "", None, None).unwrap();
    let perms = vec![Permission {
        action: Action::Read,
        resource: Resource {
            kind: "buckets".into(),
            id: Some(bucket.clone()),
            org_id: Some(org.id.clone()),
            name: None,
            org: None,
        },
    }];
    let (auth, token) = cat
        .create_authorization(&org.id, &bob.id(), "read sb", true, perms)
        .unwrap();
    assert!(auth.allows(Action::Read, "buckets", Some(&org.id), Some(&bucket)));
    assert!(!auth.allows(Action::Write, "buckets", Some(&org.id), Some(&bucket)));
    assert!(!auth.allows(Action::Read, "buckets", Some(&org.id), Some(&res.bucket_id)));
    assert_eq!(cat.authenticate_token(&token).unwrap().1.name, "bob");
    cat.update_authorization(&auth.id, Some(false), Some("off".into()))
        .unwrap();
    assert!(cat.authenticate_token(&token).is_none());
    cat.update_authorization(&auth.id, Some(true), None)
        .unwrap();
    cat.set_user_active("bob", false).unwrap();
    assert!(cat.authenticate_token(&token).is_none());
    cat.set_user_active("bob", true).unwrap();
    cat.rename_user("bob", "robert").unwrap();
    assert_eq!(cat.authenticate_token(&token).unwrap().1.name, "robert");
    assert_eq!(cat.user("robert").unwrap().id(), bob.id());
    let org = cat.update_org(&org.id, Some("deux".into()), None).unwrap();
    assert_eq!(
        (org.name.as_str(), org.description.as_str()),
        ("deux", "two")
    );
    let dbrp = cat
        .create_dbrp(&org.id, &bucket, "legacy", "rp", false)
        .unwrap();
    assert!(
        dbrp.default,
        "the first mapping of a database is its default"
    );
    let doc = cat
        .put_document("labels", None, &org.id, r#"{"name":"l"}"#.into())
        .unwrap();

    // Everything survives a reopen.
    let before = cat.snapshot();
    drop(cat);
    let cat = reopen_fast(&path);
    assert_eq!(*cat.snapshot(), *before);
    assert!(cat.authenticate_token(&token).is_some());

    // Deleting the org removes its members, tokens, mappings and documents.
    cat.delete_org(&org.id).unwrap();
    let snap = cat.snapshot();
    assert!(snap.v2.members.keys().all(|(o, _)| *o != org.id));
    assert!(cat.authenticate_token(&token).is_none());
    assert!(!snap.v2.dbrps.contains_key(&dbrp.id));
    assert!(!snap
        .v2
        .documents
        .contains_key(&("labels".to_string(), doc.id.clone())));
    // The operator token is untouched; dropping its user removes it.
    assert!(cat.authenticate_token(&res.token).is_some());
    cat.drop_user("ann").unwrap();
    assert!(cat.authenticate_token(&res.token).is_none());
    drop(snap);
    drop(cat);
    let cat = reopen_fast(&path);
    assert!(cat.snapshot().v2.authorizations.is_empty());
}

#[test]
fn v2_commands_round_trip_through_json() {
    let cmd = CatalogCommand::V2(Box::new(V2Command::SetMember {
        org_id: "0000000000000001".into(),
        user_id: "0000000000000002".into(),
        role: Some(MemberRole::Owner),
    }));
    let text = serde_json::to_string(&cmd).unwrap();
    assert_eq!(serde_json::from_str::<CatalogCommand>(&text).unwrap(), cmd);
}

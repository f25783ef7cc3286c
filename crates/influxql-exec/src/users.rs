//! Users and privileges: the user-management statements (`CREATE USER`,
//! `DROP USER`, `SET PASSWORD`, `GRANT`, `REVOKE`, `SHOW USERS`,
//! `SHOW GRANTS`) and the authorization of statements, with InfluxDB 1.x's
//! rules and messages.
//!
//! [`required_privilege`] says what a statement needs (InfluxDB's
//! `RequiredPrivileges`); [`authorize_statement`] and [`authorize_query`]
//! check it against a user, the latter with InfluxDB's first-admin bootstrap
//! (with no users at all, only a query starting with
//! `CREATE USER ... WITH ALL PRIVILEGES` may run).

use std::sync::Arc;

use almanac_catalog::{Privilege, UserDef};
use almanac_influxql::{Query, SelectStatement, Source, Statement};

use crate::result::{Series, StatementResult, Value};
use crate::{ExecError, Executor};

/// What a statement needs from the user running it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    /// Any authenticated user may run it (`SHOW DATABASES`, which then
    /// lists only the databases the user may read or write).
    None,
    /// Only a cluster admin may run it.
    Admin,
    /// Each listed privilege on each listed database. A database name may
    /// be empty when neither the statement nor the `db` parameter names
    /// one; only admins pass such a requirement (READ/WRITE "on ").
    Databases(Vec<(String, Privilege)>),
}

/// Why a user may not run a query; the HTTP layer prefixes
/// `error authorizing query: `.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorizeError {
    /// No users exist and the query does not start by creating an admin.
    #[error("create admin user first or disable authentication")]
    CreateAdminFirst,
    /// Users exist but the request was not authenticated (no admin exists,
    /// so InfluxDB skips authentication).
    #[error("no user provided")]
    NoUser,
    /// The statement needs a cluster admin.
    #[error("{user} not authorized to execute statement '{statement}', requires admin privilege")]
    RequiresAdmin {
        /// The user's name.
        user: String,
        /// The statement as InfluxQL.
        statement: String,
    },
    /// The statement needs a privilege on a database.
    #[error(
        "{user} not authorized to execute statement '{statement}', requires {privilege} on {database}"
    )]
    RequiresPrivilege {
        /// The user's name.
        user: String,
        /// The statement as InfluxQL.
        statement: String,
        /// The missing privilege.
        privilege: Privilege,
        /// The database (empty when none was named).
        database: String,
    },
}

impl AuthorizeError {
    /// The message InfluxDB answers with (HTTP 403 body, statement error).
    pub fn message(&self) -> String {
        format!("error authorizing query: {self}")
    }
}

fn to_catalog(p: almanac_influxql::Privilege) -> Privilege {
    match p {
        almanac_influxql::Privilege::Read => Privilege::Read,
        almanac_influxql::Privilege::Write => Privilege::Write,
        almanac_influxql::Privilege::All => Privilege::All,
    }
}

/// `name` if given and not empty, else the request's `db` (or "").
fn db_or(name: Option<&str>, db: Option<&str>) -> String {
    name.filter(|n| !n.is_empty())
        .or(db)
        .unwrap_or_default()
        .to_string()
}

/// READ on every source of `select` (subqueries included) and WRITE on the
/// `INTO` database, each defaulting to `db`.
fn select_privileges(
    select: &SelectStatement,
    db: Option<&str>,
    out: &mut Vec<(String, Privilege)>,
) {
    for source in &select.sources {
        match source {
            Source::Measurement(m) => {
                out.push((db_or(m.database.as_deref(), db), Privilege::Read));
            }
            Source::Subquery(inner) => select_privileges(inner, db, out),
        }
    }
    if let Some(into) = &select.into {
        out.push((
            db_or(into.measurement.database.as_deref(), db),
            Privilege::Write,
        ));
    }
}

/// What `stmt` needs, following InfluxDB's `RequiredPrivileges`; `db` is
/// the request's `db` parameter, used where the statement names no database.
///
/// Where InfluxDB 1.6.7 checks the `db` parameter although the statement
/// names another database (`SHOW FIELD KEY CARDINALITY ON other`, the exact
/// cardinality variants), the named database is checked instead.
pub fn required_privilege(stmt: &Statement, db: Option<&str>) -> Requirement {
    let read_on = |name: &Option<String>| {
        Requirement::Databases(vec![(db_or(name.as_deref(), db), Privilege::Read)])
    };
    let write_on =
        |name: Option<&str>| Requirement::Databases(vec![(db_or(name, db), Privilege::Write)]);
    match stmt {
        Statement::Select(select) => {
            let mut privileges = Vec::new();
            select_privileges(select, db, &mut privileges);
            Requirement::Databases(privileges)
        }
        Statement::Explain { statement, .. } => {
            let mut privileges = Vec::new();
            select_privileges(statement, db, &mut privileges);
            Requirement::Databases(privileges)
        }
        Statement::ShowDatabases => Requirement::None,
        Statement::ShowRetentionPolicies { database }
        | Statement::ShowMeasurements { database, .. }
        | Statement::ShowSeries { database, .. }
        | Statement::ShowTagKeys { database, .. }
        | Statement::ShowTagValues { database, .. }
        | Statement::ShowFieldKeys { database, .. }
        | Statement::ShowCardinality { database, .. } => read_on(database),
        Statement::ShowQueries | Statement::ShowContinuousQueries => read_on(&None),
        Statement::Delete { .. } | Statement::DropSeries { .. } => write_on(None),
        Statement::DropRetentionPolicy { database, .. }
        | Statement::DropContinuousQuery { database, .. } => write_on(Some(database.as_str())),
        Statement::CreateContinuousQuery {
            database, query, ..
        } => {
            let mut privileges = vec![(db_or(Some(database.as_str()), db), Privilege::Read)];
            if let Some(target) = query
                .into
                .as_ref()
                .and_then(|i| i.measurement.database.as_deref())
                .filter(|d| !d.is_empty())
            {
                privileges.push((target.to_string(), Privilege::Write));
            }
            Requirement::Databases(privileges)
        }
        Statement::ShowShards
        | Statement::ShowShardGroups
        | Statement::ShowStats { .. }
        | Statement::ShowDiagnostics { .. }
        | Statement::KillQuery { .. }
        | Statement::CreateDatabase { .. }
        | Statement::DropDatabase { .. }
        | Statement::CreateRetentionPolicy { .. }
        | Statement::AlterRetentionPolicy { .. }
        | Statement::DropMeasurement { .. }
        | Statement::DropShard { .. }
        | Statement::CreateUser { .. }
        | Statement::DropUser { .. }
        | Statement::SetPassword { .. }
        | Statement::Grant { .. }
        | Statement::GrantAdmin { .. }
        | Statement::Revoke { .. }
        | Statement::RevokeAdmin { .. }
        | Statement::ShowUsers
        | Statement::ShowGrants { .. }
        | Statement::CreateSubscription { .. }
        | Statement::DropSubscription { .. }
        | Statement::ShowSubscriptions => Requirement::Admin,
    }
}

/// Checks that `user` may run `stmt` with `db` as the `db` parameter
/// (InfluxDB's per-statement check: admins may run everything).
pub fn authorize_statement(
    user: &UserDef,
    stmt: &Statement,
    db: Option<&str>,
) -> Result<(), AuthorizeError> {
    if user.is_admin() {
        return Ok(());
    }
    match required_privilege(stmt, db) {
        Requirement::None => Ok(()),
        Requirement::Admin => Err(AuthorizeError::RequiresAdmin {
            user: user.name.clone(),
            statement: stmt.to_string(),
        }),
        Requirement::Databases(needed) => {
            for (database, privilege) in needed {
                if !user.authorize(&database, privilege) {
                    return Err(AuthorizeError::RequiresPrivilege {
                        user: user.name.clone(),
                        statement: stmt.to_string(),
                        privilege,
                        database,
                    });
                }
            }
            Ok(())
        }
    }
}

/// Checks a whole query before any of it runs, as InfluxDB's query
/// authorizer does: with `user_count == 0` only a query whose first
/// statement is `CREATE USER ... WITH ALL PRIVILEGES` passes; otherwise an
/// unauthenticated request (`user` = `None`) fails and a user must be
/// allowed every statement.
pub fn authorize_query(
    user: Option<&UserDef>,
    user_count: usize,
    query: &Query,
    db: Option<&str>,
) -> Result<(), AuthorizeError> {
    if user_count == 0 {
        return match query.statements.first() {
            Some(Statement::CreateUser { admin: true, .. }) => Ok(()),
            _ => Err(AuthorizeError::CreateAdminFirst),
        };
    }
    let user = user.ok_or(AuthorizeError::NoUser)?;
    for stmt in &query.statements {
        authorize_statement(user, stmt, db)?;
    }
    Ok(())
}

/// Keeps, in a `SHOW DATABASES` result, only the databases `user` may read
/// or write (all of them for an admin), as InfluxDB lists them.
pub fn filter_databases(mut result: StatementResult, user: &UserDef) -> StatementResult {
    if user.is_admin() {
        return result;
    }
    for series in &mut result.series {
        series.values.retain(|row| match row.first() {
            Some(Value::String(name)) => {
                user.authorize(name, Privilege::Read) || user.authorize(name, Privilege::Write)
            }
            _ => false,
        });
    }
    result
}

impl Executor {
    /// Runs a user-management statement against the catalog. bcrypt
    /// hashing and checking run on the blocking pool.
    pub(crate) async fn execute_user_statement(
        &self,
        stmt: &Statement,
    ) -> Result<StatementResult, ExecError> {
        let storage = self.storage().clone();
        let stmt = stmt.clone();
        tokio::task::spawn_blocking(move || user_statement(storage.catalog(), &stmt))
            .await
            .map_err(|e| ExecError::Query(format!("internal error: {e}")))?
    }
}

/// Executes one user-management statement synchronously.
fn user_statement(
    catalog: &almanac_catalog::Catalog,
    stmt: &Statement,
) -> Result<StatementResult, ExecError> {
    let done = || Ok(StatementResult::default());
    match stmt {
        Statement::CreateUser {
            name,
            password,
            admin,
        } => {
            catalog.create_user(name, password, *admin)?;
            done()
        }
        Statement::DropUser { name } => {
            catalog.drop_user(name)?;
            done()
        }
        Statement::SetPassword { name, password } => {
            catalog.set_password(name, password)?;
            done()
        }
        Statement::Grant {
            privilege,
            database,
            user,
        } => {
            catalog.grant(user, database, to_catalog(*privilege))?;
            done()
        }
        Statement::Revoke {
            privilege,
            database,
            user,
        } => {
            catalog.revoke(user, database, to_catalog(*privilege))?;
            done()
        }
        Statement::GrantAdmin { user } => {
            catalog.set_admin(user, true)?;
            done()
        }
        Statement::RevokeAdmin { user } => {
            catalog.set_admin(user, false)?;
            done()
        }
        Statement::ShowUsers => Ok(StatementResult::with_series(vec![show_users(
            &catalog.users(),
        )])),
        Statement::ShowGrants { user } => {
            let user = catalog
                .user(user)
                .ok_or(almanac_catalog::CatalogError::UserNotFound)?;
            Ok(StatementResult::with_series(vec![show_grants(&user)]))
        }
        other => Err(ExecError::Query(format!(
            "not a user statement: {}",
            crate::meta::statement_head(other)
        ))),
    }
}

/// `SHOW USERS`: columns `user`, `admin`, in creation order.
fn show_users(users: &[Arc<UserDef>]) -> Series {
    let mut s = Series::new("", &["user", "admin"]);
    s.values = users
        .iter()
        .map(|u| vec![Value::from(u.name.as_str()), Value::Boolean(u.admin)])
        .collect();
    s
}

/// `SHOW GRANTS FOR user`: columns `database`, `privilege`, one row per
/// recorded privilege (including `NO PRIVILEGES` left by REVOKE), by
/// database name (InfluxDB's order is its map's, i.e. unspecified).
fn show_grants(user: &UserDef) -> Series {
    let mut s = Series::new("", &["database", "privilege"]);
    s.values = user
        .privileges
        .iter()
        .map(|(db, p)| vec![Value::from(db.as_str()), Value::from(p.name())])
        .collect();
    s
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use almanac_influxql::parse_query;

    fn user(name: &str, admin: bool, grants: &[(&str, Privilege)]) -> UserDef {
        UserDef {
            name: name.into(),
            password_hash: String::new(),
            admin,
            privileges: grants
                .iter()
                .map(|(d, p)| (d.to_string(), *p))
                .collect::<BTreeMap<_, _>>(),
            created_at_version: 0,
        }
    }

    fn stmt(q: &str) -> Statement {
        parse_query(q).expect("valid InfluxQL").statements.remove(0)
    }

    fn check(u: &UserDef, q: &str, db: Option<&str>) -> Result<(), String> {
        authorize_statement(u, &stmt(q), db).map_err(|e| e.message())
    }

    #[test]
    fn requirements_follow_influxdb() {
        let db = Some("db1");
        assert_eq!(
            required_privilege(&stmt("SHOW DATABASES"), db),
            Requirement::None
        );
        assert_eq!(
            required_privilege(&stmt("SHOW USERS"), db),
            Requirement::Admin
        );
        assert_eq!(
            required_privilege(&stmt("SELECT * INTO db2..x FROM m, db3..n"), db),
            Requirement::Databases(vec![
                ("db1".into(), Privilege::Read),
                ("db3".into(), Privilege::Read),
                ("db2".into(), Privilege::Write),
            ])
        );
        assert_eq!(
            required_privilege(&stmt("SELECT * FROM (SELECT * FROM db2..m)"), None),
            Requirement::Databases(vec![("db2".into(), Privilege::Read)])
        );
        assert_eq!(
            required_privilege(&stmt("DROP RETENTION POLICY r ON db3"), db),
            Requirement::Databases(vec![("db3".into(), Privilege::Write)])
        );
        assert_eq!(
            required_privilege(&stmt("DELETE FROM m"), db),
            Requirement::Databases(vec![("db1".into(), Privilege::Write)])
        );
        assert_eq!(
            required_privilege(&stmt("SHOW QUERIES"), None),
            Requirement::Databases(vec![(String::new(), Privilege::Read)])
        );
        assert_eq!(
            required_privilege(
                &stmt("CREATE CONTINUOUS QUERY c ON db1 BEGIN SELECT mean(v) INTO db2..x FROM m GROUP BY time(1m) END"),
                Some("other")
            ),
            Requirement::Databases(vec![
                ("db1".into(), Privilege::Read),
                ("db2".into(), Privilege::Write)
            ])
        );
    }

    #[test]
    fn messages_match_influxd_1_6_7() {
        let bob = user(
            "bob",
            false,
            &[("db1", Privilege::Read), ("db2", Privilege::Write)],
        );
        assert_eq!(
            check(&bob, "SHOW USERS", Some("db1")),
            Err("error authorizing query: bob not authorized to execute statement 'SHOW USERS', requires admin privilege".into())
        );
        assert_eq!(
            check(&bob, "SELECT * FROM db2..m", Some("db1")),
            Err("error authorizing query: bob not authorized to execute statement 'SELECT * FROM db2..m', requires READ on db2".into())
        );
        assert_eq!(
            check(&bob, "SELECT * FROM m", None),
            Err("error authorizing query: bob not authorized to execute statement 'SELECT * FROM m', requires READ on ".into())
        );
        assert_eq!(
            check(&bob, "SELECT * INTO x FROM m", Some("db1")),
            Err("error authorizing query: bob not authorized to execute statement 'SELECT * INTO x FROM m', requires WRITE on db1".into())
        );
        assert_eq!(
            check(&bob, "SET PASSWORD FOR bob = 'x'", Some("db1")),
            Err("error authorizing query: bob not authorized to execute statement 'SET PASSWORD FOR bob = [REDACTED]', requires admin privilege".into())
        );
        assert_eq!(
            check(&bob, "SELECT * INTO db2..x FROM m", Some("db1")),
            Ok(())
        );
        assert_eq!(check(&bob, "SHOW MEASUREMENTS", Some("db1")), Ok(()));
        assert_eq!(check(&bob, "SHOW DATABASES", None), Ok(()));
        let admin = user("root", true, &[]);
        assert_eq!(check(&admin, "DROP DATABASE x", None), Ok(()));
        assert_eq!(check(&admin, "SELECT * FROM m", None), Ok(()));
    }

    #[test]
    fn bootstrap_allows_only_a_first_admin() {
        let create = parse_query("CREATE USER a WITH PASSWORD 'p' WITH ALL PRIVILEGES; SHOW USERS")
            .expect("valid");
        assert_eq!(authorize_query(None, 0, &create, None), Ok(()));
        let plain = parse_query("CREATE USER a WITH PASSWORD 'p'").expect("valid");
        assert_eq!(
            authorize_query(None, 0, &plain, None),
            Err(AuthorizeError::CreateAdminFirst)
        );
        assert_eq!(
            authorize_query(None, 1, &create, None),
            Err(AuthorizeError::NoUser)
        );
        let bob = user("bob", false, &[("db1", Privilege::Read)]);
        let q = parse_query("SELECT * FROM m; SHOW USERS").expect("valid");
        assert!(matches!(
            authorize_query(Some(&bob), 1, &q, Some("db1")),
            Err(AuthorizeError::RequiresAdmin { .. })
        ));
    }

    #[test]
    fn show_databases_lists_readable_or_writable() {
        let carl = user(
            "carl",
            false,
            &[
                ("a", Privilege::NoPrivileges),
                ("b", Privilege::Write),
                ("c", Privilege::Read),
            ],
        );
        let mut s = Series::new("databases", &["name"]);
        for d in ["a", "b", "c", "d"] {
            s.values.push(vec![Value::from(d)]);
        }
        let r = filter_databases(StatementResult::with_series(vec![s]), &carl);
        let names: Vec<_> = r.series[0].values.iter().map(|v| v[0].clone()).collect();
        assert_eq!(names, vec![Value::from("b"), Value::from("c")]);
    }

    #[test]
    fn grants_and_users_shapes() {
        let u = user(
            "carl",
            false,
            &[("db2", Privilege::NoPrivileges), ("db1", Privilege::All)],
        );
        let s = show_grants(&u);
        assert_eq!(s.columns, vec!["database", "privilege"]);
        assert_eq!(
            s.values,
            vec![
                vec![Value::from("db1"), Value::from("ALL PRIVILEGES")],
                vec![Value::from("db2"), Value::from("NO PRIVILEGES")],
            ]
        );
        let s = show_users(&[Arc::new(user("a", true, &[])), Arc::new(u)]);
        assert_eq!(s.columns, vec!["user", "admin"]);
        assert_eq!(
            s.values[1],
            vec![Value::from("carl"), Value::Boolean(false)]
        );
    }

    proptest::proptest! {
        #[test]
        fn authorization_never_panics(q in ".{0,200}", db in proptest::option::of("[a-z]{0,5}")) {
            if let Ok(query) = parse_query(&q) {
                let u = user("p", false, &[("a", Privilege::Read)]);
                let _ = authorize_query(Some(&u), 1, &query, db.as_deref());
                let _ = authorize_query(None, 0, &query, db.as_deref());
            }
        }
    }
}

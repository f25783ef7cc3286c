//! Every statement form of InfluxQL 1.8 parses, displays canonically, and
//! parses back to the same AST.

use almanac_influxql::*;

/// (input, canonical display). An empty display means "same as input".
const CASES: &[(&str, &str)] = &[
    // --- SELECT: projections
    ("SELECT * FROM cpu", ""),
    ("select * from cpu", "SELECT * FROM cpu"),
    ("SELECT value FROM cpu", ""),
    ("SELECT value, host FROM cpu", ""),
    ("SELECT value AS v FROM cpu", ""),
    ("SELECT \"value\" FROM \"cpu\"", "SELECT value FROM cpu"),
    ("SELECT \"my value\" AS \"my alias\" FROM \"my m\"", ""),
    ("SELECT \"select\" FROM \"from\"", ""),
    ("SELECT \"a\\\"b\" FROM cpu", ""),
    ("SELECT value::float, host::tag FROM cpu", ""),
    ("SELECT value::integer, a::unsigned, b::string, c::boolean, d::field FROM cpu", ""),
    ("SELECT value::FLOAT FROM cpu", "SELECT value::float FROM cpu"),
    ("SELECT *::field FROM cpu", ""),
    ("SELECT *::tag, *::field FROM cpu", ""),
    ("SELECT /usage/ FROM cpu", ""),
    ("SELECT /us\\/age/ FROM cpu", ""),
    ("SELECT field1, * FROM myseries GROUP BY *", ""),
    ("SELECT \"foo.bar.baz\" AS foo FROM myseries", ""),
    ("SELECT value + 1 FROM cpu", ""),
    ("SELECT value * 2 + 1 FROM cpu", ""),
    ("SELECT (value + 1) * 2 FROM cpu", ""),
    ("SELECT a - b - c FROM cpu", ""),
    ("SELECT a / b % c FROM cpu", ""),
    ("SELECT a & b | c ^ d FROM cpu", ""),
    ("SELECT -value FROM cpu", "SELECT -1 * value FROM cpu"),
    ("SELECT +value FROM cpu", "SELECT 1 * value FROM cpu"),
    ("SELECT value * -1.5 FROM cpu", "SELECT value * -1.500 FROM cpu"),
    ("SELECT 1.5, 2, -3, 'str', true, false, 10s FROM cpu", "SELECT 1.500, 2, -3, 'str', true, false, 10s FROM cpu"),
    ("SELECT 0.0001 FROM cpu", ""),
    ("SELECT .5 FROM cpu", "SELECT 0.500 FROM cpu"),
    ("SELECT 18446744073709551615 FROM cpu", ""),
    ("SELECT -9223372036854775808 FROM cpu", ""),
    ("SELECT 'it\\'s' FROM cpu", ""),
    ("SELECT 'line\\nbreak' FROM cpu", ""),
    // --- functions
    ("SELECT count(value) FROM cpu", ""),
    ("SELECT COUNT(value) FROM cpu", "SELECT count(value) FROM cpu"),
    ("SELECT count(*) FROM cpu", ""),
    ("SELECT count(/reg/) FROM cpu", ""),
    ("SELECT count(DISTINCT value) FROM cpu", ""),
    ("SELECT count(distinct(value)) FROM cpu", ""),
    ("SELECT DISTINCT value FROM cpu", ""),
    ("SELECT distinct(value) FROM cpu", ""),
    ("SELECT integral(value, 1s) FROM cpu", ""),
    ("SELECT mean(value), median(value), mode(value), spread(value), stddev(value), sum(value) FROM cpu", ""),
    ("SELECT bottom(value, 3), first(value), last(value), max(value), min(value) FROM cpu", ""),
    ("SELECT percentile(value, 95), sample(value, 10) FROM cpu", ""),
    ("SELECT top(value, host, 3) FROM cpu", ""),
    ("SELECT top(value, host, region, 3), other FROM cpu", ""),
    ("SELECT max(value), host FROM cpu", ""),
    ("SELECT abs(value), acos(value), asin(value), atan(value), atan2(value, 2), ceil(value), cos(value) FROM cpu", ""),
    ("SELECT exp(value), floor(value), ln(value), log(value, 2), log2(value), log10(value), pow(value, 2), round(value), sin(value), sqrt(value), tan(value) FROM cpu", ""),
    ("SELECT cumulative_sum(value), difference(value), non_negative_difference(value), elapsed(value, 1s) FROM cpu", ""),
    ("SELECT derivative(value, 1s), non_negative_derivative(value) FROM cpu", ""),
    ("SELECT moving_average(value, 3) FROM cpu", ""),
    ("SELECT derivative(mean(value), 1s) FROM cpu WHERE time > now() - 1h GROUP BY time(10s)", ""),
    ("SELECT derivative(field1, 1h) / derivative(field2, 1h) FROM myseries", ""),
    ("SELECT holt_winters(first(value), 10, 4) FROM cpu WHERE time > now() - 1d GROUP BY time(1h)", ""),
    ("SELECT holt_winters_with_fit(first(value), 10, 4) FROM cpu WHERE time > now() - 1d GROUP BY time(1h)", ""),
    ("SELECT chande_momentum_oscillator(value, 10), exponential_moving_average(value, 10), double_exponential_moving_average(value, 10) FROM cpu", ""),
    ("SELECT kaufmans_efficiency_ratio(value, 10), kaufmans_adaptive_moving_average(value, 10), triple_exponential_moving_average(value, 10) FROM cpu", ""),
    ("SELECT triple_exponential_derivative(value, 10), relative_strength_index(value, 10, 5, 'none') FROM cpu", ""),
    ("SELECT mean(value) * 2 + sum(other) FROM cpu", ""),
    ("SELECT now() FROM cpu", ""),
    ("SELECT count( ) FROM cpu", "SELECT count() FROM cpu"),
    // --- FROM
    ("SELECT value FROM cpu, mem", ""),
    ("SELECT value FROM /cpu.*/", ""),
    ("SELECT value FROM /cpu/, mem", ""),
    ("SELECT value FROM db.rp.cpu", ""),
    ("SELECT value FROM \"db\".\"rp\".\"cpu\"", "SELECT value FROM db.rp.cpu"),
    ("SELECT value FROM \"db\"..\"cpu\"", "SELECT value FROM db..cpu"),
    ("SELECT value FROM rp.cpu", ""),
    ("SELECT value FROM rp./cpu/", ""),
    ("SELECT value FROM db.rp./cpu/", ""),
    ("SELECT value FROM db../cpu/", ""),
    ("SELECT value FROM \"db.with.dots\".\"rp\".\"m-1\"", "SELECT value FROM \"db.with.dots\".rp.\"m-1\""),
    ("SELECT mean(value) FROM (SELECT value FROM cpu)", ""),
    ("SELECT mean(v) FROM (SELECT max(value) AS v FROM cpu GROUP BY time(1m), host) WHERE time > now() - 1h GROUP BY time(10m)", ""),
    ("SELECT a FROM (SELECT b FROM (SELECT c FROM (SELECT d FROM m)))", ""),
    ("SELECT a FROM (SELECT b FROM m1), m2", ""),
    // --- WHERE
    ("SELECT value FROM cpu WHERE host = 'a'", ""),
    ("SELECT value FROM cpu WHERE host != 'a' AND region <> 'b'", "SELECT value FROM cpu WHERE host != 'a' AND region != 'b'"),
    ("SELECT value FROM cpu WHERE host =~ /^a/ OR host !~ /b$/", ""),
    ("SELECT value FROM cpu WHERE value > 1 AND value >= 2 AND value < 3 AND value <= 4", ""),
    ("SELECT value FROM cpu WHERE (host = 'a' OR host = 'b') AND time > now() - 1h", ""),
    ("SELECT value FROM cpu WHERE a = 1 OR b = 2 AND c = 3", ""),
    ("SELECT value FROM cpu WHERE time > '2020-01-01T00:00:00Z' AND time < '2020-01-02'", ""),
    ("SELECT value FROM cpu WHERE time >= 1577836800000000000 AND time <= 1577836800s", "SELECT value FROM cpu WHERE time >= 1577836800000000000 AND time <= 18262d"),
    ("SELECT value FROM cpu WHERE time > now() - 1h30m", "SELECT value FROM cpu WHERE time > now() - 90m"),
    ("SELECT value FROM cpu WHERE time > now() - 5u AND time < now() + 5µ", "SELECT value FROM cpu WHERE time > now() - 5u AND time < now() + 5u"),
    ("SELECT value FROM cpu WHERE time > now() - 10ms - 3ns", ""),
    ("SELECT value FROM cpu WHERE time > now() - 2w - 1d", ""),
    ("SELECT value FROM cpu WHERE b = true AND s = 'x' AND f = 1.5 AND i = -2", "SELECT value FROM cpu WHERE b = true AND s = 'x' AND f = 1.500 AND i = -2"),
    ("SELECT value FROM cpu WHERE \"host\"::tag = 'a' AND value::field > 0", "SELECT value FROM cpu WHERE host::tag = 'a' AND value::field > 0"),
    ("SELECT value FROM cpu WHERE value > -(1 + 2)", "SELECT value FROM cpu WHERE value > -1 * (1 + 2)"),
    ("SELECT value FROM cpu WHERE host = $host", ""),
    ("SELECT value FROM cpu WHERE \"host\" = $\"my param\"", "SELECT value FROM cpu WHERE host = $\"my param\""),
    // --- GROUP BY, fill, order, limits, tz
    ("SELECT mean(value) FROM cpu GROUP BY host", ""),
    ("SELECT mean(value) FROM cpu GROUP BY host, region", ""),
    ("SELECT mean(value) FROM cpu GROUP BY *", ""),
    ("SELECT mean(value) FROM cpu GROUP BY /reg/", ""),
    ("SELECT mean(value) FROM cpu GROUP BY \"host name\"", ""),
    ("SELECT mean(value) FROM cpu WHERE time > now() - 1h GROUP BY time(10m)", ""),
    ("SELECT mean(value) FROM cpu WHERE time > now() - 1h GROUP BY time(10m, -5m), *", ""),
    ("SELECT mean(value) FROM cpu WHERE time > now() - 1h GROUP BY time(10m, 5m)", ""),
    ("SELECT mean(value) FROM cpu WHERE time > now() - 1h GROUP BY time(10m, now())", ""),
    ("SELECT mean(value) FROM cpu WHERE time > now() - 1h GROUP BY host, time(1h)", ""),
    // Time-literal offsets stay literals (influxd fails them when executing).
    ("SELECT mean(value) FROM cpu WHERE time > now() - 1h GROUP BY time(1h, '2020-01-01T00:30:00Z')", ""),
    ("SELECT mean(value) FROM cpu GROUP BY time(1d, '2020-01-01 02:00:00') tz('Europe/Paris')", ""),
    ("SELECT mean(value) FROM cpu GROUP BY time(1w, '1970-01-01')", ""),
    ("SELECT mean(value) FROM cpu GROUP BY time(1m) fill(null)", "SELECT mean(value) FROM cpu GROUP BY time(1m)"),
    ("SELECT mean(value) FROM cpu GROUP BY time(1m) fill(none)", ""),
    ("SELECT mean(value) FROM cpu GROUP BY time(1m) fill(previous)", ""),
    ("SELECT mean(value) FROM cpu GROUP BY time(1m) fill(linear)", ""),
    ("SELECT mean(value) FROM cpu GROUP BY time(1m) fill(0)", ""),
    ("SELECT mean(value) FROM cpu GROUP BY time(1m) fill(-1)", ""),
    ("SELECT mean(value) FROM cpu GROUP BY time(1m) fill(1.5)", ""),
    ("SELECT mean(value) FROM cpu GROUP BY time(1m) FILL(100.0)", "SELECT mean(value) FROM cpu GROUP BY time(1m) fill(100.0)"),
    ("SELECT value FROM cpu ORDER BY time DESC", ""),
    ("SELECT value FROM cpu ORDER BY DESC", "SELECT value FROM cpu ORDER BY time DESC"),
    ("SELECT value FROM cpu ORDER BY time ASC", "SELECT value FROM cpu"),
    ("SELECT value FROM cpu ORDER BY time", "SELECT value FROM cpu"),
    ("SELECT value FROM cpu LIMIT 10", ""),
    ("SELECT value FROM cpu LIMIT 10 OFFSET 5", ""),
    ("SELECT value FROM cpu GROUP BY host SLIMIT 2 SOFFSET 1", ""),
    ("SELECT value FROM cpu GROUP BY host LIMIT 1 OFFSET 2 SLIMIT 3 SOFFSET 4", ""),
    ("SELECT value FROM cpu tz('America/Chicago')", ""),
    ("SELECT value FROM cpu TZ('UTC')", "SELECT value FROM cpu tz('UTC')"),
    ("SELECT mean(value) FROM cpu WHERE time > now() - 1d GROUP BY time(1h) fill(0) ORDER BY time DESC LIMIT 5 OFFSET 1 SLIMIT 2 SOFFSET 3 tz('Europe/Paris')", ""),
    // --- INTO
    ("SELECT value INTO cpu_copy FROM cpu", ""),
    ("SELECT value INTO rp.cpu_copy FROM cpu", ""),
    ("SELECT value INTO db.rp.cpu_copy FROM cpu", ""),
    ("SELECT value INTO \"db\"..cpu_copy FROM cpu", "SELECT value INTO db..cpu_copy FROM cpu"),
    ("SELECT * INTO \"db\".\"rp\".:MEASUREMENT FROM /.*/", "SELECT * INTO db.rp.:MEASUREMENT FROM /.*/"),
    ("SELECT * INTO db..:MEASUREMENT FROM cpu GROUP BY *", ""),
    ("SELECT mean(*) INTO rp.:MEASUREMENT FROM cpu GROUP BY time(5m)", ""),
    // --- comments and whitespace
    ("SELECT value /* inline */ FROM cpu -- trailing", "SELECT value FROM cpu"),
    ("SELECT\tvalue\nFROM\r\ncpu", "SELECT value FROM cpu"),
    // --- SHOW
    ("SHOW DATABASES", ""),
    ("show databases", "SHOW DATABASES"),
    ("SHOW RETENTION POLICIES", ""),
    ("SHOW RETENTION POLICIES ON mydb", ""),
    ("SHOW MEASUREMENTS", ""),
    ("SHOW MEASUREMENTS ON db0", ""),
    ("SHOW MEASUREMENTS WITH MEASUREMENT = cpu", ""),
    ("SHOW MEASUREMENTS WITH MEASUREMENT =~ /cpu.*/", ""),
    ("SHOW MEASUREMENTS WITH MEASUREMENT = /cpu.*/", "SHOW MEASUREMENTS WITH MEASUREMENT =~ /cpu.*/"),
    ("SHOW MEASUREMENTS WHERE host = 'a' LIMIT 10 OFFSET 2", ""),
    ("SHOW MEASUREMENTS ON db0 WITH MEASUREMENT =~ /x/ WHERE a = 'b' LIMIT 1", ""),
    ("SHOW MEASUREMENTS ORDER BY ASC", "SHOW MEASUREMENTS"),
    ("SHOW SERIES", ""),
    ("SHOW SERIES ON db0 FROM cpu WHERE host = 'a' LIMIT 10 OFFSET 1", ""),
    ("SHOW SERIES FROM /cpu/, mem", ""),
    ("SHOW TAG KEYS", ""),
    ("SHOW TAG KEYS ON db0 FROM cpu WHERE host = 'a' LIMIT 1 OFFSET 2 SLIMIT 3 SOFFSET 4", ""),
    ("SHOW TAG KEYS WITH KEY IN (host, region)", ""),
    ("SHOW TAG VALUES WITH KEY = host", ""),
    ("SHOW TAG VALUES WITH KEY = \"host\"", "SHOW TAG VALUES WITH KEY = host"),
    ("SHOW TAG VALUES WITH KEY != host", ""),
    ("SHOW TAG VALUES ON db0 FROM cpu WITH KEY IN (host, region) WHERE a = 'b' LIMIT 5 OFFSET 1", ""),
    ("SHOW TAG VALUES FROM cpu WITH KEY =~ /ho.*/", ""),
    ("SHOW TAG VALUES FROM cpu WITH KEY !~ /ho.*/", ""),
    ("SHOW FIELD KEYS", ""),
    ("SHOW FIELD KEYS ON db0 FROM cpu LIMIT 1 OFFSET 2", ""),
    ("SHOW SERIES CARDINALITY", ""),
    ("SHOW SERIES EXACT CARDINALITY", ""),
    ("SHOW SERIES CARDINALITY ON db0 FROM cpu WHERE host = 'a' GROUP BY region LIMIT 1 OFFSET 2", ""),
    ("SHOW MEASUREMENT CARDINALITY", ""),
    ("SHOW MEASUREMENT EXACT CARDINALITY ON db0", ""),
    ("SHOW TAG KEY CARDINALITY", ""),
    ("SHOW TAG KEY EXACT CARDINALITY FROM cpu", ""),
    ("SHOW TAG VALUES CARDINALITY WITH KEY = host", ""),
    ("SHOW TAG VALUES EXACT CARDINALITY ON db0 FROM cpu WITH KEY IN (a, b) WHERE x = 'y'", ""),
    ("SHOW FIELD KEY CARDINALITY", ""),
    ("SHOW FIELD KEY EXACT CARDINALITY ON db0", ""),
    ("SHOW SHARDS", ""),
    ("SHOW SHARD GROUPS", ""),
    ("SHOW STATS", ""),
    ("SHOW STATS FOR 'httpd'", ""),
    ("SHOW DIAGNOSTICS", ""),
    ("SHOW DIAGNOSTICS FOR 'build'", ""),
    ("SHOW QUERIES", ""),
    ("KILL QUERY 36", ""),
    ("KILL QUERY 36 ON host1", ""),
    ("SHOW USERS", ""),
    ("SHOW GRANTS FOR jdoe", ""),
    ("SHOW CONTINUOUS QUERIES", ""),
    ("SHOW SUBSCRIPTIONS", ""),
    // --- EXPLAIN
    ("EXPLAIN SELECT value FROM cpu", ""),
    ("EXPLAIN ANALYZE SELECT mean(value) FROM cpu GROUP BY host", ""),
    ("EXPLAIN ANALYZE VERBOSE SELECT value FROM cpu", ""),
    // --- databases and retention policies
    ("CREATE DATABASE mydb", ""),
    ("CREATE DATABASE \"my-db\"", ""),
    ("CREATE DATABASE mydb WITH DURATION 1d", ""),
    ("CREATE DATABASE mydb WITH DURATION INF", "CREATE DATABASE mydb WITH DURATION 0s"),
    ("CREATE DATABASE mydb WITH DURATION 1d REPLICATION 1 SHARD DURATION 1h NAME myrp", ""),
    ("CREATE DATABASE mydb WITH NAME myrp", ""),
    ("CREATE DATABASE mydb WITH REPLICATION 2", ""),
    ("CREATE DATABASE mydb WITH SHARD DURATION 30m", ""),
    ("DROP DATABASE mydb", ""),
    ("CREATE RETENTION POLICY rp1 ON mydb DURATION 1h REPLICATION 1", ""),
    ("CREATE RETENTION POLICY rp1 ON mydb DURATION INF REPLICATION 1 DEFAULT", "CREATE RETENTION POLICY rp1 ON mydb DURATION 0s REPLICATION 1 DEFAULT"),
    ("CREATE RETENTION POLICY \"1h.cpu\" ON mydb DURATION 2d REPLICATION 3 SHARD DURATION 1h DEFAULT", ""),
    ("ALTER RETENTION POLICY rp1 ON mydb DURATION 1m REPLICATION 4 DEFAULT", ""),
    ("ALTER RETENTION POLICY rp1 ON mydb DEFAULT REPLICATION 4 DURATION 1m", "ALTER RETENTION POLICY rp1 ON mydb DURATION 1m REPLICATION 4 DEFAULT"),
    ("ALTER RETENTION POLICY default ON mydb REPLICATION 4", "ALTER RETENTION POLICY \"default\" ON mydb REPLICATION 4"),
    ("ALTER RETENTION POLICY rp1 ON mydb SHARD DURATION 10m", ""),
    ("ALTER RETENTION POLICY rp1 ON mydb DURATION INF", "ALTER RETENTION POLICY rp1 ON mydb DURATION 0s"),
    ("DROP RETENTION POLICY rp1 ON mydb", ""),
    // --- data
    ("DROP MEASUREMENT cpu", ""),
    ("DROP SERIES FROM cpu", ""),
    ("DROP SERIES FROM cpu WHERE host = 'a'", ""),
    ("DROP SERIES WHERE host = 'a'", ""),
    ("DROP SERIES FROM /cpu.*/, mem", ""),
    ("DELETE FROM cpu", ""),
    ("DELETE FROM cpu WHERE time < '2020-01-01T00:00:00Z'", ""),
    ("DELETE WHERE host = 'a'", ""),
    ("DELETE FROM /cpu.*/ WHERE time < now() - 1d", ""),
    ("DROP SHARD 42", ""),
    // --- users
    ("CREATE USER jdoe WITH PASSWORD 'secret'", "CREATE USER jdoe WITH PASSWORD [REDACTED]"),
    ("CREATE USER admin WITH PASSWORD 'secret' WITH ALL PRIVILEGES", "CREATE USER admin WITH PASSWORD [REDACTED] WITH ALL PRIVILEGES"),
    ("SET PASSWORD FOR jdoe = 'new'", "SET PASSWORD FOR jdoe = [REDACTED]"),
    ("DROP USER jdoe", ""),
    ("GRANT READ ON mydb TO jdoe", ""),
    ("GRANT WRITE ON mydb TO jdoe", ""),
    ("GRANT ALL ON mydb TO jdoe", "GRANT ALL PRIVILEGES ON mydb TO jdoe"),
    ("GRANT ALL PRIVILEGES ON mydb TO jdoe", ""),
    ("GRANT ALL TO jdoe", "GRANT ALL PRIVILEGES TO jdoe"),
    ("GRANT ALL PRIVILEGES TO jdoe", ""),
    ("REVOKE READ ON mydb FROM jdoe", ""),
    ("REVOKE WRITE ON mydb FROM jdoe", ""),
    ("REVOKE ALL ON mydb FROM jdoe", "REVOKE ALL PRIVILEGES ON mydb FROM jdoe"),
    ("REVOKE ALL PRIVILEGES FROM jdoe", ""),
    // --- continuous queries
    ("CREATE CONTINUOUS QUERY cq0 ON db0 BEGIN SELECT mean(value) INTO cpu_1h FROM cpu GROUP BY time(1h) END", ""),
    ("CREATE CONTINUOUS QUERY cq0 ON db0 BEGIN SELECT mean(*) INTO db1..:MEASUREMENT FROM cpu GROUP BY time(5m) END", ""),
    ("CREATE CONTINUOUS QUERY cq0 ON db0 RESAMPLE EVERY 1h FOR 2h BEGIN SELECT mean(value) INTO db0.rp.cpu_1h FROM cpu GROUP BY time(1h), * END", ""),
    ("CREATE CONTINUOUS QUERY cq0 ON db0 RESAMPLE EVERY 10m BEGIN SELECT max(value) INTO x FROM cpu GROUP BY time(1h) fill(0) END", ""),
    ("CREATE CONTINUOUS QUERY cq0 ON db0 RESAMPLE FOR 2h BEGIN SELECT count(value) INTO x FROM cpu GROUP BY time(1h) END", ""),
    ("CREATE CONTINUOUS QUERY \"my cq\" ON \"my db\" BEGIN SELECT value INTO x FROM cpu END", ""),
    ("DROP CONTINUOUS QUERY cq0 ON db0", ""),
    // --- subscriptions
    ("CREATE SUBSCRIPTION sub0 ON db0.autogen DESTINATIONS ALL 'udp://h1:9090', 'udp://h2:9090'", ""),
    ("CREATE SUBSCRIPTION \"name\" ON \"db\".\"rp\" DESTINATIONS ANY 'udp://host1:9093'", "CREATE SUBSCRIPTION \"name\" ON db.rp DESTINATIONS ANY 'udp://host1:9093'"),
    ("DROP SUBSCRIPTION sub0 ON db0.autogen", ""),
];

fn has_password(s: &Statement) -> bool {
    matches!(
        s,
        Statement::CreateUser { .. } | Statement::SetPassword { .. }
    )
}

#[test]
fn statements_parse_display_and_round_trip() {
    let mut failures = vec![];
    for (input, want) in CASES {
        let want = if want.is_empty() { *input } else { *want };
        let stmt = match parse_statement(input) {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{input:?}: {e}"));
                continue;
            }
        };
        let shown = stmt.to_string();
        if shown != want {
            failures.push(format!("{input:?}:\n   shown {shown:?}\n    want {want:?}"));
            continue;
        }
        if has_password(&stmt) {
            continue;
        }
        match parse_statement(&shown) {
            Ok(again) if again == stmt => {}
            Ok(again) => failures.push(format!(
                "{input:?}: round trip differs:\n {stmt:?}\n {again:?}"
            )),
            Err(e) => failures.push(format!("{input:?}: display {shown:?} does not parse: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

/// Every function InfluxDB 1.8 knows, with every kind of argument list, parses and round-trips.
#[test]
fn every_function_round_trips() {
    let all = [
        AGGREGATE_FUNCTIONS,
        SELECTOR_FUNCTIONS,
        TRANSFORM_FUNCTIONS,
        PREDICTOR_FUNCTIONS,
        TECHNICAL_ANALYSIS_FUNCTIONS,
    ]
    .concat();
    let arg_lists = [
        "value",
        "value, 2",
        "mean(value), 1s",
        "*",
        "/re/, 3",
        "value, host, 3",
    ];
    let mut n = 0;
    for f in &all {
        assert!(function_kind(f).is_some());
        for args in arg_lists {
            for tail in [
                "",
                " WHERE time > now() - 1h GROUP BY time(1m), host fill(none)",
            ] {
                let q = format!("SELECT {f}({args}) FROM cpu{tail}");
                let stmt = parse_statement(&q).unwrap_or_else(|e| panic!("{q}: {e}"));
                assert_eq!(stmt.to_string(), q);
                assert_eq!(parse_statement(&stmt.to_string()).unwrap(), stmt);
                n += 1;
            }
        }
    }
    assert!(n > 400);
}

#[test]
fn select_ast_shape() {
    let Statement::Select(s) = parse_statement(
        "SELECT mean(\"value\") AS m, host FROM \"db\"..\"cpu\", /mem.*/ WHERE host =~ /a/ AND time > now() - 1h \
         GROUP BY time(10m, -5m), * fill(linear) ORDER BY time DESC LIMIT 3 OFFSET 1 SLIMIT 2 SOFFSET 4 tz('America/Chicago')",
    )
    .unwrap() else {
        panic!("not a select")
    };
    assert_eq!(
        s.fields[0],
        Field {
            expr: Expr::call("mean", vec![Expr::var("value")]),
            alias: Some("m".into())
        }
    );
    assert_eq!(
        s.sources[0],
        Source::Measurement(MeasurementRef {
            database: Some("db".into()),
            retention_policy: None,
            name: MeasurementName::Name("cpu".into())
        })
    );
    assert_eq!(
        s.sources[1],
        Source::Measurement(MeasurementRef {
            database: None,
            retention_policy: None,
            name: MeasurementName::Regex("mem.*".into())
        })
    );
    assert_eq!(
        s.dimensions,
        vec![
            Dimension::Time {
                interval: 600_000_000_000,
                offset: Some(TimeOffset::Duration(-300_000_000_000))
            },
            Dimension::Wildcard
        ]
    );
    assert_eq!(s.fill, Fill::Linear);
    assert!(s.order_desc);
    assert_eq!(
        (s.limit, s.offset, s.slimit, s.soffset),
        (Some(3), Some(1), Some(2), Some(4))
    );
    assert_eq!(s.timezone.as_deref(), Some("America/Chicago"));
    assert!(!s.is_raw_query());
    assert_eq!(s.group_by_interval(), Some(600_000_000_000));
    let Some(Expr::Binary {
        op: BinaryOp::And,
        lhs,
        rhs,
    }) = &s.condition
    else {
        panic!("condition {:?}", s.condition)
    };
    assert_eq!(
        **lhs,
        Expr::binary(
            BinaryOp::EqRegex,
            Expr::var("host"),
            Expr::Regex("a".into())
        )
    );
    let Expr::Binary {
        op: BinaryOp::Gt,
        lhs: t,
        rhs: r,
    } = &**rhs
    else {
        panic!()
    };
    assert!(t.is_time_ref());
    assert_eq!(
        **r,
        Expr::binary(
            BinaryOp::Sub,
            Expr::call("now", vec![]),
            Expr::Duration(3_600_000_000_000)
        )
    );
}

#[test]
fn precedence() {
    let e = parse_expr("a + b * c - d / e").unwrap();
    assert_eq!(e.to_string(), "a + b * c - d / e");
    let want = Expr::binary(
        BinaryOp::Sub,
        Expr::binary(
            BinaryOp::Add,
            Expr::var("a"),
            Expr::binary(BinaryOp::Mul, Expr::var("b"), Expr::var("c")),
        ),
        Expr::binary(BinaryOp::Div, Expr::var("d"), Expr::var("e")),
    );
    assert_eq!(e, want);
    let e = parse_expr("a = 1 OR b = 2 AND c = 3").unwrap();
    let Expr::Binary {
        op: BinaryOp::Or,
        rhs,
        ..
    } = e
    else {
        panic!()
    };
    assert!(matches!(
        *rhs,
        Expr::Binary {
            op: BinaryOp::And,
            ..
        }
    ));
    let e = parse_expr("x | y & z").unwrap();
    let Expr::Binary {
        op: BinaryOp::BitOr,
        rhs,
        ..
    } = e
    else {
        panic!()
    };
    assert!(matches!(
        *rhs,
        Expr::Binary {
            op: BinaryOp::BitAnd,
            ..
        }
    ));
    assert_eq!(parse_expr("-5m").unwrap(), Expr::Duration(-300_000_000_000));
    assert_eq!(parse_expr("-1.5").unwrap(), Expr::Number(-1.5));
    assert_eq!(
        parse_expr("-x").unwrap(),
        Expr::binary(BinaryOp::Mul, Expr::Integer(-1), Expr::var("x"))
    );
}

#[test]
fn into_and_subqueries() {
    let Statement::Select(s) =
        parse_statement("SELECT * INTO \"db\".\"rp\".:MEASUREMENT FROM (SELECT max(v) FROM m GROUP BY time(1m)) GROUP BY *")
            .unwrap()
    else {
        panic!()
    };
    let into = s.into.clone().unwrap();
    assert!(into.backref_measurement);
    assert_eq!(into.measurement.database.as_deref(), Some("db"));
    assert_eq!(into.measurement.retention_policy.as_deref(), Some("rp"));
    let Source::Subquery(sub) = &s.sources[0] else {
        panic!()
    };
    assert_eq!(sub.group_by_interval(), Some(60_000_000_000));
    assert!(s.is_raw_query());
}

#[test]
fn statements_of_every_kind() {
    use Statement as S;
    let check = |q: &str, want: S| assert_eq!(parse_statement(q).unwrap(), want, "{q}");
    check(
        "SHOW RETENTION POLICIES ON d",
        S::ShowRetentionPolicies {
            database: Some("d".into()),
        },
    );
    check(
        "KILL QUERY 7 ON h",
        S::KillQuery {
            id: 7,
            host: Some("h".into()),
        },
    );
    check("DROP SHARD 3", S::DropShard { id: 3 });
    check(
        "CREATE RETENTION POLICY r ON d DURATION INF REPLICATION 2 SHARD DURATION 1h DEFAULT",
        S::CreateRetentionPolicy {
            name: "r".into(),
            database: "d".into(),
            duration: 0,
            replication: 2,
            shard_duration: Some(3_600_000_000_000),
            default: true,
        },
    );
    check(
        "ALTER RETENTION POLICY r ON d DURATION 2h",
        S::AlterRetentionPolicy {
            name: "r".into(),
            database: "d".into(),
            duration: Some(7_200_000_000_000),
            replication: None,
            shard_duration: None,
            default: false,
        },
    );
    check(
        "CREATE DATABASE d WITH DURATION 1d REPLICATION 1 SHARD DURATION 1h NAME r",
        S::CreateDatabase {
            name: "d".into(),
            rp: Some(RetentionPolicySpec {
                duration: Some(86_400_000_000_000),
                replication: Some(1),
                shard_duration: Some(3_600_000_000_000),
                name: Some("r".into()),
            }),
        },
    );
    check(
        "CREATE USER u WITH PASSWORD 'p' WITH ALL PRIVILEGES",
        S::CreateUser {
            name: "u".into(),
            password: "p".into(),
            admin: true,
        },
    );
    check(
        "SET PASSWORD FOR u = 'x'",
        S::SetPassword {
            name: "u".into(),
            password: "x".into(),
        },
    );
    check(
        "GRANT WRITE ON d TO u",
        S::Grant {
            privilege: Privilege::Write,
            database: "d".into(),
            user: "u".into(),
        },
    );
    check("REVOKE ALL FROM u", S::RevokeAdmin { user: "u".into() });
    check(
        "SHOW TAG VALUES WITH KEY IN (a, \"b c\")",
        S::ShowTagValues {
            database: None,
            sources: vec![],
            key: TagKeyMatch::In(vec!["a".into(), "b c".into()]),
            condition: None,
            limit: None,
            offset: None,
        },
    );
    let S::ShowCardinality { exact, kind, .. } =
        parse_statement("SHOW TAG VALUES EXACT CARDINALITY WITH KEY =~ /h/").unwrap()
    else {
        panic!()
    };
    assert!(exact);
    assert_eq!(
        kind,
        CardinalityKind::TagValues {
            key: TagKeyMatch::Regex("h".into())
        }
    );
    let S::CreateContinuousQuery { resample_every, resample_for, query, .. } = parse_statement(
        "CREATE CONTINUOUS QUERY c ON d RESAMPLE EVERY 1h FOR 2h BEGIN SELECT mean(v) INTO x FROM m GROUP BY time(1h) END",
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(
        (resample_every, resample_for),
        (Some(3_600_000_000_000), Some(7_200_000_000_000))
    );
    assert_eq!(
        query.into.unwrap().measurement.name,
        MeasurementName::Name("x".into())
    );
}

#[test]
fn multiple_statements_and_comments() {
    let q = parse_query(
        "SELECT * FROM cpu; -- read from cpu database\n\n/* create continuous query */\nCREATE CONTINUOUS QUERY cq0 ON db0 BEGIN\n\tSELECT mean(*) INTO db1..:MEASUREMENT FROM cpu GROUP BY time(5m)\nEND;\n\n/* just a multline comment\nwhat is this doing here?\n**/\n\n-- should ignore the trailing multiline comment /*\nSELECT mean(value) FROM gpu;\n-- trailing comment at the end",
    )
    .unwrap();
    assert_eq!(q.statements.len(), 3);
    assert_eq!(parse_query("SELECT a FROM b;").unwrap().statements.len(), 1);
    assert_eq!(parse_query("").unwrap().statements.len(), 0);
    assert_eq!(parse_query(";;").unwrap().statements.len(), 0);
    let q = parse_query("SHOW DATABASES; SHOW USERS").unwrap();
    assert_eq!(q.to_string(), "SHOW DATABASES;\nSHOW USERS");
}

#[test]
fn bind_parameters() {
    let params = serde_json::json!({
        "host": "server01",
        "v": 1.5,
        "n": 10,
        "b": true,
        "m": {"identifier": "cpu"},
        "re": {"regex": "^a"},
        "d": {"duration": "1h"},
    });
    let params = params.as_object().unwrap();
    // Scan-time substitution, as InfluxDB: parameters may stand for identifiers and LIMIT values.
    let q = parse_query_with_params(
        "SELECT count($m) FROM $m WHERE host = $host AND v > $v AND n < $n AND b = $b AND r =~ $re AND time > now() - $d GROUP BY time($d) LIMIT $n",
        params,
    )
    .unwrap();
    assert_eq!(
        q.to_string(),
        "SELECT count(cpu) FROM cpu WHERE host = 'server01' AND v > 1.500 AND n < 10 AND b = true AND r =~ /^a/ AND time > now() - 1h GROUP BY time(1h) LIMIT 10"
    );
    // AST substitution.
    let mut stmt =
        parse_statement("SELECT a FROM (SELECT b FROM c WHERE x = $host) WHERE v > $v AND $m = 1")
            .unwrap();
    bind(&mut stmt, params).unwrap();
    assert_eq!(
        stmt.to_string(),
        "SELECT a FROM (SELECT b FROM c WHERE x = 'server01') WHERE v > 1.500 AND cpu = 1"
    );
    let mut stmt = parse_statement("SELECT a FROM b WHERE c = $missing").unwrap();
    assert_eq!(
        bind(&mut stmt, params).unwrap_err().to_string(),
        "missing parameter: missing"
    );
}

#[test]
fn helpers() {
    let s = match parse_statement("SELECT value, host FROM cpu").unwrap() {
        Statement::Select(s) => s,
        _ => panic!(),
    };
    assert!(s.is_raw_query());
    let mut names = vec![];
    parse_expr("derivative(mean(x), 1s) + y")
        .unwrap()
        .walk(&mut |e| {
            if let Expr::Call { name, .. } = e {
                names.push(name.clone());
            }
        });
    assert_eq!(names, vec!["derivative", "mean"]);
    assert_eq!(function_kind("top"), Some(FunctionKind::Selector));
    assert_eq!(function_kind("mean"), Some(FunctionKind::Aggregate));
    assert_eq!(function_kind("derivative"), Some(FunctionKind::Transform));
    assert_eq!(function_kind("nope"), None);
    assert!(parse_expr("TIME").unwrap().is_time_ref());
    assert!(parse_expr("now()").unwrap().is_now_call());
}

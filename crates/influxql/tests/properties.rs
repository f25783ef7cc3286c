//! Property tests: the parser never panics, and generated statements
//! round-trip through their canonical display.

use almanac_influxql::*;
use proptest::prelude::*;

const WORDS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP",
    "BY",
    "time",
    "(",
    ")",
    ",",
    ";",
    "*",
    "/",
    "+",
    "-",
    "=",
    "=~",
    "!~",
    "!=",
    "<>",
    "<",
    ">=",
    "AND",
    "OR",
    "::",
    ":",
    ".",
    "..",
    "INTO",
    ":MEASUREMENT",
    "fill",
    "tz",
    "ORDER",
    "DESC",
    "LIMIT",
    "OFFSET",
    "SLIMIT",
    "SOFFSET",
    "SHOW",
    "TAG",
    "KEY",
    "VALUES",
    "WITH",
    "IN",
    "CREATE",
    "DROP",
    "DATABASE",
    "RETENTION",
    "POLICY",
    "ON",
    "DURATION",
    "REPLICATION",
    "SHARD",
    "DEFAULT",
    "INF",
    "CONTINUOUS",
    "QUERY",
    "BEGIN",
    "END",
    "RESAMPLE",
    "EVERY",
    "FOR",
    "GRANT",
    "REVOKE",
    "ALL",
    "PRIVILEGES",
    "USER",
    "PASSWORD",
    "EXPLAIN",
    "ANALYZE",
    "DISTINCT",
    "mean",
    "count",
    "now()",
    "value",
    "\"quoted id\"",
    "'str'",
    "/re/",
    "1",
    "1.5",
    "10m",
    "-",
    "$p",
    "$",
    "\"",
    "'",
    "\\",
    "/*",
    "*/",
    "--",
    "\n",
    "EXACT",
    "CARDINALITY",
    "MEASUREMENT",
    "MEASUREMENTS",
    "SERIES",
    "DELETE",
    "KILL",
    "SET",
    "ALTER",
    "9223372036854775808",
    "18446744073709551616",
    "1x",
    "µ",
    "5µ",
    "{",
    "}",
    "\0",
    "\r",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec((0..WORDS.len(), prop::bool::ANY), 0..40).prop_map(|v| {
        let mut s = String::new();
        for (i, space) in v {
            s.push_str(WORDS[i]);
            if space {
                s.push(' ');
            }
        }
        s
    })
}

fn ident() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_][a-z0-9_]{0,6}",
        "[ -~]{0,6}",
        Just("select".to_string()),
        Just("time".to_string()),
        Just("a.b".to_string()),
        Just("x\"y".to_string()),
    ]
}

fn literal() -> impl Strategy<Value = String> {
    prop_oneof![
        (0i64..1_000_000).prop_map(|i| i.to_string()),
        (0u32..100_000, 0u32..1000).prop_map(|(a, b)| format!("{a}.{b}")),
        "[ -~]{0,8}".prop_map(|s| quote_string(&s)),
        (
            1i64..10_000,
            prop::sample::select(vec!["ns", "u", "ms", "s", "m", "h", "d", "w"])
        )
            .prop_map(|(n, u)| format!("{n}{u}")),
        Just("true".to_string()),
        Just("now()".to_string()),
    ]
}

fn expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        ident().prop_map(|i| quote_ident(&i)),
        literal(),
        (
            ident(),
            prop::sample::select(vec!["float", "integer", "tag", "field"])
        )
            .prop_map(|(i, t)| format!("{}::{t}", quote_ident(&i))),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(vec!["+", "-", "*", "/", "%", "&", "|", "^"]),
                inner.clone()
            )
                .prop_map(|(a, op, b)| format!("{a} {op} {b}")),
            inner.clone().prop_map(|a| format!("({a})")),
            (
                prop::sample::select(vec!["mean", "max", "derivative", "top"]),
                prop::collection::vec(inner, 1..3)
            )
                .prop_map(|(f, args)| format!("{f}({})", args.join(", "))),
        ]
    })
}

fn condition() -> impl Strategy<Value = String> {
    let cmp = (
        expr(),
        prop::sample::select(vec!["=", "!=", "<", "<=", ">", ">="]),
        expr(),
    )
        .prop_map(|(a, op, b)| format!("{a} {op} {b}"));
    let re = (ident(), "\\^?[a-z]{1,3}(\\.\\*)?\\$?")
        .prop_map(|(i, r)| format!("{} =~ /{r}/", quote_ident(&i)));
    prop_oneof![cmp, re].prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(vec!["AND", "OR"]),
                inner.clone()
            )
                .prop_map(|(a, op, b)| format!("{a} {op} {b}")),
            inner.prop_map(|a| format!("({a})")),
        ]
    })
}

fn select() -> impl Strategy<Value = String> {
    (
        prop::collection::vec((expr(), prop::option::of(ident())), 1..4),
        prop::collection::vec(ident(), 1..3),
        prop::option::of(condition()),
        prop::option::of((1i64..100, prop::bool::ANY)),
        prop::option::of(prop::sample::select(vec![
            "fill(none)",
            "fill(previous)",
            "fill(0)",
            "fill(linear)",
            "fill(1.5)",
        ])),
        prop::bool::ANY,
        prop::option::of(0u32..100),
        prop::option::of(prop::sample::select(vec![
            "UTC",
            "America/Chicago",
            "Asia/Tokyo",
        ])),
    )
        .prop_map(|(fields, from, cond, group, fill, desc, limit, tz)| {
            let fields: Vec<String> = fields
                .into_iter()
                .map(|(e, a)| match a {
                    Some(a) => format!("{e} AS {}", quote_ident(&a)),
                    None => e,
                })
                .collect();
            let from: Vec<String> = from.iter().map(|m| quote_ident(m)).collect();
            let mut q = format!("SELECT {} FROM {}", fields.join(", "), from.join(", "));
            if let Some(c) = cond {
                q += &format!(" WHERE {c}");
            }
            if let Some((m, host)) = group {
                q += &format!(" GROUP BY time({m}m)");
                if host {
                    q += ", host";
                }
                if let Some(f) = fill {
                    q += &format!(" {f}");
                }
            }
            if desc {
                q += " ORDER BY time DESC";
            }
            if let Some(l) = limit {
                q += &format!(" LIMIT {l}");
            }
            if let Some(tz) = tz {
                q += &format!(" tz('{tz}')");
            }
            q
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,80}") {
        let _ = parse_query(&s);
        let _ = parse_expr(&s);
        let _ = parse_statement(&s);
    }

    #[test]
    fn token_soup_never_panics(s in token_soup()) {
        let _ = parse_query(&s);
        let _ = parse_expr(&s);
        let params = serde_json::json!({"p": {"identifier": "x"}});
        let _ = parse_query_with_params(&s, params.as_object().unwrap());
        if let Ok(q) = parse_query(&s) {
            // Whatever parses displays, and the display parses again.
            for stmt in &q.statements {
                let shown = stmt.to_string();
                if !matches!(stmt, Statement::CreateUser { .. } | Statement::SetPassword { .. }) {
                    let again = parse_statement(&shown);
                    prop_assert!(again.is_ok(), "{:?} -> {:?}: {:?}", s, shown, again);
                }
            }
        }
    }

    #[test]
    fn generated_selects_round_trip(q in select()) {
        let stmt = parse_statement(&q).map_err(|e| TestCaseError::fail(format!("{q}: {e}")))?;
        let shown = stmt.to_string();
        let again = parse_statement(&shown).map_err(|e| TestCaseError::fail(format!("{shown}: {e}")))?;
        // The display is a fixpoint; the AST is equal except where InfluxDB's
        // own unary-minus rewriting (`-x` -> `-1 * x`) re-associates.
        prop_assert_eq!(again.to_string(), shown.clone());
        if !shown.contains("-1 * ") {
            prop_assert_eq!(again, stmt);
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let deep = format!(
                "SELECT {}a{} FROM m",
                "(".repeat(10_000),
                ")".repeat(10_000)
            );
            let err = parse_query(&deep).unwrap_err();
            assert!(
                err.message.starts_with("not supported yet: nesting deeper"),
                "{err}"
            );
            let calls = format!("SELECT {}a{} FROM m", "f(".repeat(5_000), ")".repeat(5_000));
            assert!(parse_query(&calls).is_err());
            let subs = format!(
                "SELECT a FROM {}m{}",
                "(SELECT a FROM ".repeat(1_000),
                ")".repeat(1_000)
            );
            assert!(parse_query(&subs).is_err());
            let unary = format!("SELECT {}a FROM m", "-".repeat(10_000));
            assert!(parse_query(&unary).is_err());
            // Long flat chains are fine (Grafana-style OR lists) and display without deep recursion.
            let terms: Vec<String> = (0..2_000).map(|i| format!("host = 'h{i}'")).collect();
            let wide = format!("SELECT a FROM m WHERE {}", terms.join(" OR "));
            let q = parse_query(&wide).unwrap();
            assert_eq!(q.to_string(), wide);
            let too_wide: Vec<String> = (0..5_000).map(|i| format!("a{i}")).collect();
            assert!(parse_query(&format!("SELECT {} FROM m", too_wide.join(" + "))).is_err());
        })
        .unwrap()
        .join()
        .unwrap();
}

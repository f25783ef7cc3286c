//! Runs Almanac's own Flux test corpus (`tests/corpus/<package>/<case>.flux`,
//! format in `tests/corpus/README.md`) with the in-memory engine, compares each
//! answer with the case's expected annotated CSV and prints pass counts per
//! package. Fails on a failing case that is not listed in
//! `tests/corpus/known_failures.txt`, and on a listed case that passes.
//!
//! `FLUX_CASE=<substring>` runs only matching cases; `FLUX_VERBOSE=1` prints
//! every failure in full.

use almanac_flux::ast::{Expression, Statement};
use almanac_flux::{execute, parse_file, EmptySource, ExecContext, Table, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// `now()` in every case: 2030-01-01T00:00:00Z.
const NOW: i64 = 1_893_456_000_000_000_000;

/// What a case expects.
enum Want {
    /// These tables (annotated CSV).
    Tables(String),
    /// An error whose message contains this text.
    Error(String),
}

struct Case {
    id: String,
    package: String,
    script: String,
    want: Want,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read corpus dir")
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|e| e == "flux") {
            out.push(p);
        }
    }
}

/// Read one case: the script is the whole file; `want` is the string bound
/// to the top-level variable `want`, or a `// want-error:` comment.
fn load(path: &Path, root: &Path) -> Result<Case, String> {
    let rel = path.strip_prefix(root).expect("under root");
    let id = rel.with_extension("").to_string_lossy().replace('\\', "/");
    let package = rel
        .parent()
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default();
    let script = std::fs::read_to_string(path).map_err(|e| format!("{id}: {e}"))?;
    if !script.lines().any(|l| l.starts_with("// doc: ")) {
        return Err(format!("{id}: no `// doc: <url>` line"));
    }
    let want_error = script
        .lines()
        .find_map(|l| l.strip_prefix("// want-error:"))
        .map(|s| s.trim().to_string());
    let file = parse_file(&script).map_err(|e| format!("{id}: does not parse: {e}"))?;
    let want_csv = file.body.iter().find_map(|s| match s {
        Statement::VariableAssignment(v) if v.id.name == "want" => match &v.init {
            Expression::StringLiteral(s) => Some(s.value.clone()),
            _ => None,
        },
        _ => None,
    });
    let want = match (want_csv, want_error) {
        (Some(csv), None) => Want::Tables(csv),
        (None, Some(e)) => Want::Error(e),
        (Some(_), Some(_)) => return Err(format!("{id}: both `want` and `// want-error:`")),
        (None, None) => {
            return Err(format!(
                "{id}: no `want = \"<annotated csv>\"` string and no `// want-error:`"
            ))
        }
    };
    Ok(Case {
        id,
        package,
        script,
        want,
    })
}

/// A table in a form where equal tables compare equal: key and columns
/// sorted by label, rows in table order.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
struct Canon {
    key: Vec<(String, String)>,
    cols: Vec<(String, &'static str)>,
    rows: Vec<Vec<Cell>>,
}

/// One cell; floats compare with a relative tolerance.
#[derive(Debug, Clone, PartialOrd)]
enum Cell {
    Null,
    Float(f64),
    Other(String),
}

impl PartialEq for Cell {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Cell::Null, Cell::Null) => true,
            (Cell::Float(a), Cell::Float(b)) => {
                a == b
                    || (a.is_nan() && b.is_nan())
                    || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-300)
            }
            (Cell::Other(a), Cell::Other(b)) => a == b,
            _ => false,
        }
    }
}

fn cell(v: &Value) -> Cell {
    match v {
        Value::Null => Cell::Null,
        Value::Float(f) => Cell::Float(*f),
        other => Cell::Other(format!("{other:?}")),
    }
}

fn canon(t: &Table) -> Canon {
    let mut order: Vec<usize> = (0..t.cols.len()).collect();
    order.sort_by(|&a, &b| t.cols[a].label.cmp(&t.cols[b].label));
    Canon {
        key: t
            .key
            .cols
            .iter()
            .map(|(m, v)| (format!("{}:{}", m.label, m.typ.name()), format!("{v:?}")))
            .collect(),
        cols: order
            .iter()
            .map(|&i| (t.cols[i].label.clone(), t.cols[i].typ.name()))
            .collect(),
        rows: (0..t.len())
            .map(|r| order.iter().map(|&c| cell(&t.value(c, r))).collect())
            .collect(),
    }
}

fn show(c: &Canon) -> String {
    let mut s = format!("  key {:?}\n  cols {:?}\n", c.key, c.cols);
    for r in &c.rows {
        s.push_str(&format!("  {r:?}\n"));
    }
    s
}

fn sorted(mut v: Vec<Canon>) -> Vec<Canon> {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v
}

/// Run one case; `Err` says why it failed.
fn run_case(case: &Case) -> Result<(), String> {
    let ctx = ExecContext {
        globals: Vec::new(),
        now: NOW,
    };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        execute(&case.script, &ctx, &EmptySource)
    }))
    .map_err(|_| "panic".to_string())?;
    match &case.want {
        Want::Error(text) => match outcome {
            Ok(_) => Err(format!("expected an error containing {text:?}, got tables")),
            Err(e) if e.to_string().contains(text.as_str()) => Ok(()),
            Err(e) => Err(format!("expected an error containing {text:?}, got: {e}")),
        },
        Want::Tables(csv) => {
            let got = outcome.map_err(|e| format!("error: {e}"))?;
            let want = almanac_flux::csv::decode(csv)
                .map_err(|e| format!("bad `want` CSV in the case: {e}"))?;
            let got: Vec<Canon> = got
                .iter()
                .flat_map(|(_, ts)| ts.iter())
                .filter(|t| !t.is_empty())
                .map(canon)
                .collect();
            let want: Vec<Canon> = want.iter().map(canon).collect();
            let (got, want) = (sorted(got), sorted(want));
            if got == want {
                return Ok(());
            }
            let mut msg = format!("{} tables, want {}\n", got.len(), want.len());
            for (i, w) in want.iter().enumerate() {
                match got.get(i) {
                    Some(g) if g == w => {}
                    Some(g) => {
                        msg.push_str(&format!("table {i} want:\n{}got:\n{}", show(w), show(g)));
                        break;
                    }
                    None => msg.push_str(&format!("table {i} missing:\n{}", show(w))),
                }
            }
            for g in got.iter().skip(want.len()) {
                msg.push_str(&format!("extra table:\n{}", show(g)));
            }
            Err(msg)
        }
    }
}

/// `known_failures.txt`: `<case id>  <reason>` per line, `#` comments.
fn known_failures(root: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(root.join("known_failures.txt")).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (id, reason) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
            (id.to_string(), reason.trim().to_string())
        })
        .collect()
}

#[test]
fn flux_corpus() {
    let root = corpus_dir();
    let mut paths = Vec::new();
    collect(&root, &mut paths);
    let filter = std::env::var("FLUX_CASE").ok();
    let verbose = std::env::var("FLUX_VERBOSE").is_ok();
    let known = known_failures(&root);
    let mut problems = Vec::new();
    let mut per_pkg: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    let (mut pass, mut total) = (0, 0);
    for p in &paths {
        let case = match load(p, &root) {
            Ok(c) => c,
            Err(e) => {
                problems.push(format!("malformed case {e}"));
                continue;
            }
        };
        seen.insert(case.id.clone());
        if filter
            .as_ref()
            .is_some_and(|f| !case.id.contains(f.as_str()))
        {
            continue;
        }
        total += 1;
        let e = per_pkg.entry(case.package.clone()).or_default();
        e.1 += 1;
        let res = run_case(&case);
        let listed = known.contains_key(&case.id);
        match (&res, listed) {
            (Ok(()), false) => {}
            (Ok(()), true) => problems.push(format!(
                "{} passes but is listed in known_failures.txt: remove it",
                case.id
            )),
            (Err(m), false) => problems.push(format!("FAIL {}: {m}", case.id)),
            (Err(_), true) => {}
        }
        if let Err(m) = &res {
            if verbose {
                println!("FAIL {}: {m}", case.id);
            }
        } else {
            pass += 1;
            e.0 += 1;
        }
    }
    if filter.is_none() {
        for id in known.keys().filter(|id| !seen.contains(*id)) {
            problems.push(format!(
                "known_failures.txt lists {id}, which is not a case"
            ));
        }
    }
    println!("{:30} {:>6} {:>6}", "package", "passed", "cases");
    for (p, (ok, n)) in &per_pkg {
        println!("{p:30} {ok:6} {n:6}");
    }
    println!("{:30} {pass:6} {total:6}", "total");
    assert!(
        total > 0 || filter.is_some(),
        "no cases found under {root:?}"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

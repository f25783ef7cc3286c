//! Runs the upstream conformance scripts through `execute` and counts passes
//! (no error and an empty `testing.diff` output). Ignored by default:
//! `cargo test -p almanac-flux --test conformance_run -- --ignored --nocapture`.

use almanac_flux::{execute, EmptySource, ExecContext};
use std::collections::BTreeMap;
use std::path::Path;

const CASES: &str = "/work/shared/flux-conformance/cases.jsonl";

#[test]
#[ignore]
fn conformance_pass_count() {
    if !Path::new(CASES).exists() {
        eprintln!("skipping: {CASES} not present");
        return;
    }
    let text = std::fs::read_to_string(CASES).expect("read cases");
    let filter = std::env::var("FLUX_CASE").ok();
    let verbose = std::env::var("FLUX_VERBOSE").is_ok();
    let mut per_pkg: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    let (mut pass, mut total, mut vacuous) = (0, 0, 0);
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).expect("json line");
        let id = v["id"].as_str().unwrap_or("?").to_string();
        if filter.as_ref().is_some_and(|f| !id.contains(f.as_str())) {
            continue;
        }
        let pkg = v["package_path"].as_str().unwrap_or("?").to_string();
        let script = v["script"].as_str().unwrap_or("");
        total += 1;
        let ctx = ExecContext::default();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            execute(script, &ctx, &EmptySource)
        }));
        let outcome = match r {
            Err(_) => Err("panic".to_string()),
            Ok(Err(e)) => Err(e.to_string()),
            Ok(Ok(results)) => {
                let rows: usize = results
                    .iter()
                    .flat_map(|(_, t)| t.iter())
                    .map(|t| t.len())
                    .sum();
                if rows == 0 {
                    Ok(())
                } else {
                    Err(format!(
                        "diff not empty:\n{}",
                        almanac_flux::encode_csv(&results)
                    ))
                }
            }
        };
        // a pass where `got` holds no rows at all proves little: count those apart
        if outcome.is_ok() {
            if let Some(strict) = v["script_strict"].as_str() {
                if let Ok(Ok(res)) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    execute(strict, &ctx, &EmptySource)
                })) {
                    let got_rows: Option<usize> = res
                        .iter()
                        .find(|(n, _)| n == "_almanac_got")
                        .map(|(_, t)| t.iter().map(|t| t.len()).sum());
                    if got_rows == Some(0) {
                        vacuous += 1;
                    }
                }
            }
        }
        let e = per_pkg.entry(pkg).or_default();
        e.1 += 1;
        match outcome {
            Ok(()) => {
                pass += 1;
                e.0 += 1;
            }
            Err(msg) => {
                let first: String = msg.lines().next().unwrap_or("").chars().take(90).collect();
                *errors.entry(first).or_default() += 1;
                if verbose {
                    println!("FAIL {id}: {}", msg.chars().take(3000).collect::<String>());
                }
            }
        }
    }
    for (p, (ok, n)) in &per_pkg {
        println!("{p:40} {ok:4}/{n}");
    }
    let mut errs: Vec<_> = errors.into_iter().collect();
    errs.sort_by_key(|e| std::cmp::Reverse(e.1));
    for (m, n) in errs.iter().take(40) {
        println!("{n:4}  {m}");
    }
    println!("{pass} passed of {total} ({vacuous} of the passes have an empty `got`)");
}

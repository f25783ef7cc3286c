//! Every upstream conformance script (when the shared corpus is present) parses.

use std::path::Path;

const CASES: &str = "/work/shared/flux-conformance/cases.jsonl";

#[test]
fn all_conformance_scripts_parse() {
    if !Path::new(CASES).exists() {
        eprintln!("skipping: {CASES} not present");
        return;
    }
    let text = std::fs::read_to_string(CASES).expect("read cases");
    let mut failures = Vec::new();
    let mut n = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).expect("json line");
        let id = v["id"].as_str().unwrap_or("?").to_string();
        let script = v["script"].as_str().unwrap_or("");
        n += 1;
        if let Err(e) = almanac_flux::parse_file(script) {
            failures.push(format!("{id}: {e}"));
        }
    }
    assert!(n > 0);
    assert!(
        failures.is_empty(),
        "{} of {n} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

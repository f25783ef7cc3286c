//! Fuzzes the InfluxQL parser: no input may panic, and whatever parses must
//! display as text that parses again.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = almanac_influxql::parse_expr(text);
    if let Ok(query) = almanac_influxql::parse_query(text) {
        for stmt in &query.statements {
            let shown = stmt.to_string();
            if !matches!(
                stmt,
                almanac_influxql::Statement::CreateUser { .. }
                    | almanac_influxql::Statement::SetPassword { .. }
            ) {
                assert!(
                    almanac_influxql::parse_statement(&shown).is_ok(),
                    "{text:?} displayed as {shown:?}, which does not parse"
                );
            }
        }
    }
});

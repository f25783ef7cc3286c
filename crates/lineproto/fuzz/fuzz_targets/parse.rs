//! Fuzz target: parsing arbitrary bytes must never panic, and every line that
//! parses must serialize to text that parses back to the same values.

#![no_main]

use almanac_lineproto::{parse_lines, Precision};
use libfuzzer_sys::fuzz_target;

const PRECISIONS: [Precision; 6] = [
    Precision::Nanosecond,
    Precision::Microsecond,
    Precision::Millisecond,
    Precision::Second,
    Precision::Minute,
    Precision::Hour,
];

fuzz_target!(|data: &[u8]| {
    for result in parse_lines(data) {
        let line = match result {
            Ok(line) => line,
            Err(e) => {
                let _ = e.to_string();
                continue;
            }
        };
        for precision in PRECISIONS {
            let _ = line.timestamp_ns(precision, 0);
        }
        let _ = line.series_key();
        let text = line.to_line_protocol();
        let again: Vec<_> = parse_lines(text.as_bytes()).collect();
        assert_eq!(again.len(), 1, "{text:?}");
        let again = again[0].as_ref().expect("serialized line must parse");
        assert_eq!(again.measurement, line.measurement);
        assert_eq!(again.tags, line.tags);
        assert_eq!(again.fields, line.fields);
        assert_eq!(again.timestamp, line.timestamp);
    }
});

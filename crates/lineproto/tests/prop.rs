//! Property tests: the parser never panics, and serialization round-trips.
//!
//! Generated names avoid what line protocol cannot represent:
//! * empty names (measurement, tag keys/values, field keys);
//! * a name ending with a backslash (the backslash would escape the delimiter
//!   that follows it; InfluxDB has the same ambiguity);
//! * `\n` in names (only string field values may contain newlines);
//! * a measurement or field key starting with a tab or NUL (leading
//!   whitespace is skipped), or a measurement starting with `#` (a comment);
//! * the reserved tag keys `_measurement`, `_field` and `time`, and repeated
//!   tag keys (both are rejected by InfluxDB);
//! * NaN and infinite floats.

use std::collections::BTreeMap;

use almanac_lineproto::{
    parse_lines, parse_lines_selecting, write_line, FieldValue, Line, Precision,
};
use proptest::prelude::*;

const PRECISIONS: [Precision; 6] = [
    Precision::Nanosecond,
    Precision::Microsecond,
    Precision::Millisecond,
    Precision::Second,
    Precision::Minute,
    Precision::Hour,
];

/// Exercises everything callable on a parse result.
fn exercise(input: &[u8]) {
    for result in parse_lines(input) {
        match result {
            Ok(line) => {
                for p in PRECISIONS {
                    let _ = line.timestamp_ns(p, 0);
                }
                assert_eq!(line.series_key_cow(), line.series_key());
                let _ = line.to_line_protocol();
                assert!(!line.fields.is_empty());
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
    // The selecting parse never panics either, whatever it is given.
    for tags in [false, true] {
        for result in parse_lines_selecting(input, tags, |k| k.len() % 2 == 0) {
            if let Ok(line) = result {
                assert!(line.series_key_raw.len() <= line.raw.len());
            }
        }
    }
}

/// The parts of a line that must survive a round trip.
type Parts = (
    String,
    Vec<(String, String)>,
    Vec<(String, FieldValue<'static>)>,
    Option<i64>,
);

fn parts(line: &Line<'_>) -> Parts {
    (
        line.measurement.to_string(),
        line.tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        line.fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone().into_owned()))
            .collect(),
        line.timestamp,
    )
}

/// Characters that stress the escaping rules, mixed with arbitrary ones.
fn tricky_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => prop::sample::select(vec![
            ' ', ',', '=', '"', '\\', '#', '\t', '\r', '\0', 'i', 'u', 'e', '-', '.', '0', '9', 'é', '€', '😀',
        ]),
        2 => prop::char::range('a', 'z'),
        1 => any::<char>(),
    ]
}

/// A non-empty name, adjusted (not filtered, to keep rejections rare) into
/// something line protocol can represent.
fn name() -> impl Strategy<Value = String> {
    prop::collection::vec(tricky_char(), 1..12).prop_map(|chars| {
        let mut s: String = chars
            .into_iter()
            .map(|c| if c == '\n' { 'n' } else { c })
            .collect();
        if s.starts_with(['\t', '\0']) {
            s.insert(0, 'a');
        }
        if s.ends_with('\\') {
            s.push('z');
        }
        s
    })
}

fn measurement() -> impl Strategy<Value = String> {
    name().prop_map(|s| {
        if s.starts_with('#') {
            format!("m{s}")
        } else {
            s
        }
    })
}

fn tag_key() -> impl Strategy<Value = String> {
    name().prop_filter("not reserved", |s| {
        !matches!(s.as_str(), "_measurement" | "_field" | "time")
    })
}

fn field_value() -> impl Strategy<Value = FieldValue<'static>> {
    prop_oneof![
        any::<f64>()
            .prop_filter("finite", |v| v.is_finite())
            .prop_map(FieldValue::Float),
        prop::sample::select(vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            1e21,
            1e-7,
            f64::MAX,
            f64::MIN_POSITIVE
        ])
        .prop_map(FieldValue::Float),
        any::<i64>().prop_map(FieldValue::Integer),
        any::<u64>().prop_map(FieldValue::UInteger),
        any::<bool>().prop_map(FieldValue::Boolean),
        prop::collection::vec(prop_oneof![tricky_char(), Just('\n')], 0..16)
            .prop_map(|c| FieldValue::String(c.into_iter().collect::<String>().into())),
    ]
}

/// Line-protocol-looking text, to reach deeper parser states than random bytes.
fn lp_like() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(vec![
                "m", "cpu", ",", " ", "=", "\"", "\\", "\n", "\r\n", "#", "\t", "1", "-", ".", "e",
                "i", "u", "t", "true", "F", "5", "1.5", "9223372036854775807", "\\\"", "\\\\",
                "\\ ", "\\,", "\\=", "é", "NaN", "+",
            ]).prop_map(str::to_owned),
            1 => any::<String>(),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(input in prop::collection::vec(any::<u8>(), 0..512)) {
        exercise(&input);
    }

    #[test]
    fn lp_like_text_never_panics_and_reparses(input in lp_like()) {
        exercise(input.as_bytes());
        // Whatever parses serializes to text that parses back to the same values.
        for line in parse_lines(input.as_bytes()).flatten() {
            let text = line.to_line_protocol();
            let mut again: Vec<_> = parse_lines(text.as_bytes()).collect();
            prop_assert_eq!(again.len(), 1, "{:?} -> {:?}", line.raw, text);
            let again = again.remove(0);
            prop_assert!(again.is_ok(), "{:?} -> {:?}: {:?}", line.raw, text, again);
            prop_assert_eq!(parts(&again.unwrap()), parts(&line));
        }
    }

    #[test]
    fn borrowed_series_keys_are_the_canonical_ones(
        m in "[a-z=]{1,4}",
        tags in prop::collection::btree_map("[a-c]{1,2}", "[a-z=]{1,3}", 0..5),
        shuffle in any::<prop::sample::Index>(),
    ) {
        let mut written: Vec<(String, String)> = tags.into_iter().collect();
        let sorted = written.clone();
        let rotate = if written.is_empty() { 0 } else { shuffle.index(written.len()) };
        written.rotate_left(rotate);
        let mut text = m.clone();
        for (k, v) in &written {
            text.push_str(&format!(",{k}={v}"));
        }
        text.push_str(" f=1");
        let lines: Vec<_> = parse_lines(text.as_bytes()).collect();
        let Some(Ok(line)) = lines.into_iter().next() else { return Ok(()) };
        let key = line.series_key_cow();
        prop_assert_eq!(&key, &line.series_key());
        // Written sorted and with nothing to escape: borrowed, not built.
        let plain = !m.contains('=') && !sorted.iter().any(|(_, v)| v.contains('='));
        if plain && written == sorted {
            prop_assert!(matches!(key, std::borrow::Cow::Borrowed(_)), "{}", text);
        }
    }

    #[test]
    fn selecting_parse_keeps_what_the_full_parse_has(input in lp_like(), keep_odd in any::<bool>(), tags in any::<bool>()) {
        // On input whose every line parses, the selecting parse gives the
        // same lines with the kept fields only (and tags only if asked).
        let full: Result<Vec<_>, _> = parse_lines(input.as_bytes()).collect();
        let Ok(full) = full else { return Ok(()) };
        let keep = |k: &str| (k.len() % 2 == 1) == keep_odd;
        let selected: Vec<_> = parse_lines_selecting(input.as_bytes(), tags, keep).collect();
        prop_assert_eq!(selected.len(), full.len());
        for (line, sel) in full.iter().zip(selected) {
            let sel = sel.map_err(|e| TestCaseError::fail(format!("{input:?}: {e}")))?;
            let mut want = parts(line);
            want.2.retain(|(k, _)| keep(k));
            if !tags {
                want.1.clear();
            }
            prop_assert_eq!(parts(&sel), want);
            prop_assert_eq!(sel.raw, line.raw);
            prop_assert_eq!(sel.line_number, line.line_number);
        }
    }

    #[test]
    fn write_then_parse_round_trips(
        measurement in measurement(),
        tags in prop::collection::btree_map(tag_key(), name(), 0..6),
        fields in prop::collection::vec((name(), field_value()), 1..6),
        timestamp in any::<Option<i64>>(),
    ) {
        // Unique field keys, in order of first occurrence.
        let mut seen = BTreeMap::new();
        let fields: Vec<_> = fields.into_iter().filter(|(k, _)| seen.insert(k.clone(), ()).is_none()).collect();

        // Write tags in reverse order: the parser sorts them.
        let tag_refs: Vec<(&str, &str)> = tags.iter().rev().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let field_refs: Vec<(&str, FieldValue<'_>)> = fields.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        let mut body = String::new();
        write_line(&mut body, &measurement, &tag_refs, &field_refs, timestamp);
        // A second line checks that the first one ends where it should.
        write_line(&mut body, "next", &[], &[("v", FieldValue::Boolean(true))], None);

        let lines: Vec<_> = parse_lines(body.as_bytes()).collect();
        prop_assert_eq!(lines.len(), 2, "{:?}", body);
        let line = match &lines[0] {
            Ok(line) => line,
            Err(e) => return Err(TestCaseError::fail(format!("{body:?}: {e}"))),
        };
        let expected: Parts = (
            measurement.clone(),
            tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            fields.clone(),
            timestamp,
        );
        prop_assert_eq!(parts(line), expected);
        // Serializing the parsed line gives the same values again.
        let text = line.to_line_protocol();
        let again: Vec<_> = parse_lines(text.as_bytes()).collect();
        prop_assert_eq!(again.len(), 1);
        prop_assert_eq!(again[0].as_ref().map(parts).ok(), Some(parts(line)));
        prop_assert!(lines[1].is_ok());
        prop_assert_eq!(lines[1].as_ref().unwrap().measurement.as_ref(), "next");
        // Selecting the first field alone finds it and where the line ends.
        let first = fields[0].0.clone();
        let selected: Vec<_> = parse_lines_selecting(body.as_bytes(), false, |k| k == first).collect();
        prop_assert_eq!(selected.len(), 2);
        let sel = selected[0].as_ref().map_err(|e| TestCaseError::fail(format!("{body:?}: {e}")))?;
        prop_assert_eq!(parts(sel), (measurement, Vec::new(), vec![fields[0].clone()], timestamp));
        prop_assert!(selected[1].as_ref().is_ok_and(|l| l.fields.len() == usize::from(first == "v")));
    }
}

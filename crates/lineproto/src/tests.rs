//! Unit tests.

use std::borrow::Cow;

use crate::*;

fn all(input: &str) -> Vec<Result<Line<'_>, ParseError>> {
    parse_lines(input.as_bytes()).collect()
}

fn one(input: &str) -> Line<'_> {
    let mut lines = all(input);
    assert_eq!(lines.len(), 1, "expected one line in {input:?}");
    match lines.remove(0) {
        Ok(line) => line,
        Err(e) => panic!("{input:?} failed: {e}"),
    }
}

fn kind(input: &str) -> ParseErrorKind {
    let mut lines = all(input);
    assert_eq!(lines.len(), 1, "expected one line in {input:?}");
    match lines.remove(0) {
        Ok(line) => panic!("{input:?} parsed: {line:?}"),
        Err(e) => e.kind,
    }
}

fn tags<'a>(line: &'a Line<'_>) -> Vec<(&'a str, &'a str)> {
    line.tags
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_ref()))
        .collect()
}

fn fields<'a>(line: &'a Line<'_>) -> Vec<(&'a str, FieldValue<'a>)> {
    line.fields
        .iter()
        .map(|(k, v)| (k.as_ref(), v.clone()))
        .collect()
}

fn string(s: &str) -> FieldValue<'_> {
    FieldValue::String(Cow::Borrowed(s))
}

const TSBS: &str = "cpu,hostname=host_0,region=eu-central-1,datacenter=eu-central-1a,rack=6,os=Ubuntu15.10,arch=x86,team=SF,service=19,service_version=1,service_environment=test usage_user=58i,usage_system=2i,usage_idle=24i,usage_nice=61i,usage_iowait=22i,usage_irq=63i,usage_softirq=6i,usage_steal=44i,usage_guest=80i,usage_guest_nice=38i 1451606400000000000";

#[test]
fn tsbs_line() {
    let line = one(TSBS);
    assert_eq!(line.measurement, "cpu");
    assert_eq!(
        tags(&line),
        vec![
            ("arch", "x86"),
            ("datacenter", "eu-central-1a"),
            ("hostname", "host_0"),
            ("os", "Ubuntu15.10"),
            ("rack", "6"),
            ("region", "eu-central-1"),
            ("service", "19"),
            ("service_environment", "test"),
            ("service_version", "1"),
            ("team", "SF"),
        ]
    );
    assert_eq!(line.fields.len(), 10);
    assert_eq!(line.fields[0].0, "usage_user");
    assert_eq!(line.fields[0].1, FieldValue::Integer(58));
    assert_eq!(line.fields[9].0, "usage_guest_nice");
    assert_eq!(line.fields[9].1, FieldValue::Integer(38));
    assert_eq!(line.timestamp, Some(1451606400000000000));
    assert_eq!(line.raw, TSBS.as_bytes());
    assert_eq!(line.line_number, 1);
    // Zero-copy: nothing was unescaped.
    assert!(matches!(line.measurement, Cow::Borrowed(_)));
    assert!(line
        .tags
        .iter()
        .all(|(k, v)| matches!(k, Cow::Borrowed(_)) && matches!(v, Cow::Borrowed(_))));
    assert!(line
        .fields
        .iter()
        .all(|(k, _)| matches!(k, Cow::Borrowed(_))));
    assert_eq!(line.tag("rack"), Some("6"));
    assert_eq!(line.tag("nope"), None);
    assert_eq!(line.field("usage_irq"), Some(&FieldValue::Integer(63)));
}

#[test]
fn minimal_line() {
    let line = one("m f=1");
    assert_eq!(line.measurement, "m");
    assert!(line.tags.is_empty());
    assert_eq!(fields(&line), vec![("f", FieldValue::Float(1.0))]);
    assert_eq!(line.timestamp, None);
}

// ---------------------------------------------------------------- escaping

#[test]
fn measurement_escapes() {
    assert_eq!(one(r"a\,b f=1").measurement, "a,b");
    assert_eq!(one(r"a\ b f=1").measurement, "a b");
    // `=` needs no escape in a measurement, and `\=` is not an escape there.
    assert_eq!(one("a=b f=1").measurement, "a=b");
    assert_eq!(one(r"a\=b f=1").measurement, r"a\=b");
    // Other backslashes are literal.
    assert_eq!(one(r"a\b f=1").measurement, r"a\b");
    assert_eq!(one(r"a\\b f=1").measurement, r"a\\b");
    // `\\,`: the first backslash is literal, the second escapes the comma.
    assert_eq!(one(r"a\\,b f=1").measurement, r"a\,b");
    assert_eq!(one(r"a\\ b f=1").measurement, r"a\ b");
    assert_eq!(one(r"\ a f=1").measurement, " a");
    assert_eq!(one(r#""m" f=1"#).measurement, r#""m""#);
    assert!(matches!(one(r"a\b f=1").measurement, Cow::Borrowed(_)));
    assert!(matches!(one(r"a\,b f=1").measurement, Cow::Owned(_)));
    assert_eq!(one("mé€ f=1").measurement, "mé€");
}

#[test]
fn tag_escapes() {
    let line = one(r"m,a\,b=c\,d,e\ f=g\ h,i\=j=k\=l f=1");
    assert_eq!(
        tags(&line),
        vec![("a,b", "c,d"), ("e f", "g h"), ("i=j", "k=l")]
    );
    let line = one(r"m,k=a\b,k2=a\\b,k3=a\\\,b f=1");
    assert_eq!(
        tags(&line),
        vec![("k", r"a\b"), ("k2", r"a\\b"), ("k3", r"a\\,b")]
    );
    assert!(matches!(line.tags[0].1, Cow::Borrowed(_)));
    assert!(matches!(line.tags[2].1, Cow::Owned(_)));
    // Quotes are ordinary bytes in tags.
    let line = one(r#"m,"k"="v" "f"=1i"#);
    assert_eq!(tags(&line), vec![(r#""k""#, r#""v""#)]);
    assert_eq!(fields(&line), vec![(r#""f""#, FieldValue::Integer(1))]);
    // InfluxDB tolerates `=` as the first byte of a tag value.
    assert_eq!(tags(&one("m,k==v f=1")), vec![("k", "=v")]);
}

#[test]
fn field_key_escapes() {
    let line = one(r"m a\,b=1,c\ d=2,e\=f=3,g\h=4");
    assert_eq!(
        fields(&line),
        vec![
            ("a,b", FieldValue::Float(1.0)),
            ("c d", FieldValue::Float(2.0)),
            ("e=f", FieldValue::Float(3.0)),
            (r"g\h", FieldValue::Float(4.0)),
        ]
    );
    assert_eq!(fields(&one(r"m \ a=1"))[0].0, " a");
}

#[test]
fn string_field_values() {
    let line =
        one(r#"m a="hello",b="",c="with \"quotes\"",d="back\\slash",e="lit\eral",f="x\\\"y""#);
    assert_eq!(
        fields(&line),
        vec![
            ("a", string("hello")),
            ("b", string("")),
            ("c", string(r#"with "quotes""#)),
            ("d", string(r"back\slash")),
            ("e", string(r"lit\eral")),
            ("f", string(r#"x\"y"#)),
        ]
    );
    assert!(matches!(
        &line.fields[0].1,
        FieldValue::String(Cow::Borrowed(_))
    ));
    assert!(matches!(
        &line.fields[2].1,
        FieldValue::String(Cow::Owned(_))
    ));
    assert!(matches!(
        &line.fields[4].1,
        FieldValue::String(Cow::Borrowed(_))
    ));
    // Delimiters inside strings.
    let line = one(r#"m a="x, y=z \" w",b=1i 5"#);
    assert_eq!(
        fields(&line),
        vec![
            ("a", string(r#"x, y=z " w"#)),
            ("b", FieldValue::Integer(1))
        ]
    );
    assert_eq!(line.timestamp, Some(5));
    assert_eq!(
        fields(&one("m s=\"日本語 ✓\"")),
        vec![("s", string("日本語 ✓"))]
    );
}

#[test]
fn newline_inside_string() {
    let input = "m s=\"a\nb\" 1\nm s=\"c\r\nd\",i=2i 2\nm f=3 3";
    let lines: Vec<_> = all(input).into_iter().map(Result::unwrap).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(fields(&lines[0]), vec![("s", string("a\nb"))]);
    assert_eq!(lines[0].line_number, 1);
    assert_eq!(lines[0].raw, b"m s=\"a\nb\" 1");
    assert_eq!(fields(&lines[1])[0], ("s", string("c\r\nd")));
    assert_eq!(lines[1].line_number, 3);
    assert_eq!(lines[2].line_number, 5);
    assert_eq!(lines[2].timestamp, Some(3));
    // An escaped quote does not close the string; an escaped backslash does not escape the quote.
    let input = "m s=\"a\\\"\nb\",t=\"c\\\\\"\nm f=1";
    let lines: Vec<_> = all(input).into_iter().map(Result::unwrap).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        fields(&lines[0]),
        vec![("s", string("a\"\nb")), ("t", string("c\\"))]
    );
    // Quotes in the key section or in a field key do not open strings.
    let input = "m,t=\"x f=1\n\"k\"=2\nm f=\"a\"\"";
    let out = all(input);
    assert_eq!(out.len(), 3);
    assert_eq!(tags(out[0].as_ref().unwrap()), vec![("t", "\"x")]);
    let e = out[1].clone().unwrap_err();
    assert_eq!((e.line_number, e.kind), (2, ParseErrorKind::MissingFields));
    let e = out[2].clone().unwrap_err();
    assert_eq!(
        (e.line_number, e.kind),
        (3, ParseErrorKind::InvalidFieldFormat)
    );
}

#[test]
fn unterminated_string_runs_to_end_of_input() {
    let out = all("m s=\"abc\nm f=1\nm f=2\n");
    assert_eq!(out.len(), 1);
    let e = out[0].clone().unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::UnbalancedQuotes);
    assert_eq!(e.line_text, "m s=\"abc\nm f=1\nm f=2");
}

// ---------------------------------------------------------------- field types

#[test]
fn floats() {
    for (text, value) in [
        ("1", 1.0),
        ("-1", -1.0),
        ("1.5", 1.5),
        ("-1.5", -1.5),
        (".5", 0.5),
        ("-.5", -0.5),
        ("5.", 5.0),
        ("1e10", 1e10),
        ("-1e10", -1e10),
        ("1E10", 1e10),
        ("1e+10", 1e10),
        ("1e-10", 1e-10),
        ("1.e1", 10.0),
        ("5.e1", 50.0),
        ("0", 0.0),
        ("-0", -0.0),
        ("1.7976931348623157e308", f64::MAX),
        ("1e-400", 0.0),
        ("0000123.25", 123.25),
    ] {
        let input = format!("m v={text}");
        assert_eq!(one(&input).fields[0].1, FieldValue::Float(value), "{text}");
    }
    assert!(matches!(
        one("m v=-0").fields[0].1,
        FieldValue::Float(v) if v.is_sign_negative()
    ));
}

#[test]
fn integers_and_unsigned() {
    assert_eq!(one("m v=1i").fields[0].1, FieldValue::Integer(1));
    assert_eq!(one("m v=-1i").fields[0].1, FieldValue::Integer(-1));
    assert_eq!(one("m v=007i").fields[0].1, FieldValue::Integer(7));
    assert_eq!(
        one("m v=9223372036854775807i").fields[0].1,
        FieldValue::Integer(i64::MAX)
    );
    assert_eq!(
        one("m v=-9223372036854775808i").fields[0].1,
        FieldValue::Integer(i64::MIN)
    );
    assert_eq!(one("m v=0u").fields[0].1, FieldValue::UInteger(0));
    assert_eq!(
        one("m v=18446744073709551615u").fields[0].1,
        FieldValue::UInteger(u64::MAX)
    );
    assert_eq!(
        kind("m v=9223372036854775808i"),
        ParseErrorKind::InvalidInteger("9223372036854775808".into())
    );
    assert_eq!(
        kind("m v=-9223372036854775809i"),
        ParseErrorKind::InvalidInteger("-9223372036854775809".into())
    );
    assert_eq!(
        kind("m v=18446744073709551616u"),
        ParseErrorKind::InvalidUnsigned("18446744073709551616".into())
    );
    assert_eq!(
        kind("m v=99999999999999999999999999i").to_string(),
        "unable to parse integer 99999999999999999999999999: strconv.ParseInt: parsing \"99999999999999999999999999\": value out of range"
    );
    assert_eq!(
        kind("m v=18446744073709551616u").to_string(),
        "unable to parse unsigned 18446744073709551616: strconv.ParseUint: parsing \"18446744073709551616\": value out of range"
    );
}

#[test]
fn booleans() {
    for t in ["t", "T", "true", "True", "TRUE"] {
        assert_eq!(
            one(&format!("m v={t}")).fields[0].1,
            FieldValue::Boolean(true)
        );
    }
    for f in ["f", "F", "false", "False", "FALSE"] {
        assert_eq!(
            one(&format!("m v={f}")).fields[0].1,
            FieldValue::Boolean(false)
        );
    }
    for bad in [
        "tRUE", "true1", "tr", "fals", "FaLsE", "x", "+5", "e1", "inf", "Inf", "=1", "yes",
    ] {
        assert_eq!(
            kind(&format!("m v={bad}")),
            ParseErrorKind::InvalidBoolean,
            "{bad}"
        );
    }
}

#[test]
fn invalid_numbers() {
    for bad in [
        "1_000", "1.5.5", "1ii", "1i2", "-", "-i", "NaN", "nan", "-inf", "-7u", "1e3i", "1.5i",
        "1=2", "..", "-.", ".", "1iu", "1u2", "0x10", "1-2", "1e+-5", "1\t", "-NaN", "--1",
    ] {
        assert_eq!(
            kind(&format!("m v={bad}")),
            ParseErrorKind::InvalidNumber,
            "{bad}"
        );
    }
    for bad in [
        "1e", ".e3", "1e5e5", "1e+", "1e999", "-1e999", "1e.5", "-e5",
    ] {
        assert_eq!(
            kind(&format!("m v={bad}")),
            ParseErrorKind::InvalidFloat,
            "{bad}"
        );
    }
}

#[test]
fn field_types_and_names() {
    let line = one(r#"m a=1,b=1i,c=1u,d="s",e=t"#);
    let types: Vec<_> = line.fields.iter().map(|(_, v)| v.field_type()).collect();
    assert_eq!(
        types,
        vec![
            FieldType::Float,
            FieldType::Integer,
            FieldType::UInteger,
            FieldType::String,
            FieldType::Boolean
        ]
    );
    let names: Vec<_> = types.iter().map(FieldType::name).collect();
    assert_eq!(
        names,
        vec!["float", "integer", "unsigned", "string", "boolean"]
    );
    assert_eq!(FieldType::UInteger.to_string(), "unsigned");
}

#[test]
fn duplicate_fields_last_wins_at_first_position() {
    let line = one("m a=1,b=2,a=3i,c=4,b=\"x\"");
    assert_eq!(
        fields(&line),
        vec![
            ("a", FieldValue::Integer(3)),
            ("b", string("x")),
            ("c", FieldValue::Float(4.0)),
        ]
    );
    // Escaped and unescaped spellings of the same key are the same key.
    let line = one(r"m a\ b=1,a\ b=2");
    assert_eq!(fields(&line), vec![("a b", FieldValue::Float(2.0))]);
}

#[test]
fn distinct_field_keys_with_same_length_and_last_byte() {
    let line = one("m ab=1,cb=2,ab=3,xyzb=4,wxyb=5");
    assert_eq!(
        fields(&line),
        vec![
            ("ab", FieldValue::Float(3.0)),
            ("cb", FieldValue::Float(2.0)),
            ("xyzb", FieldValue::Float(4.0)),
            ("wxyb", FieldValue::Float(5.0)),
        ]
    );
}

#[test]
fn escapes_across_64_byte_blocks() {
    // Put escapes and delimiters at every offset around block boundaries.
    for pad in 0..130 {
        let m = "m".repeat(pad);
        let input = format!(r#"{m}\ x,k{m}\,=v\={m} f{m}\ x="s{m}\\\"",g=1i 7"#);
        let line = one(&input);
        assert_eq!(line.measurement, format!("{m} x"));
        let (k, v) = (format!("k{m},"), format!("v={m}"));
        assert_eq!(tags(&line), vec![(k.as_str(), v.as_str())]);
        assert_eq!(line.fields[0].0, format!("f{m} x"));
        let expected = format!(r#"s{m}\""#);
        assert_eq!(line.fields[0].1, string(&expected));
        assert_eq!(line.fields[1].1, FieldValue::Integer(1));
        assert_eq!(line.timestamp, Some(7));
    }
}

#[test]
fn sorted_input_tags_and_many_tags() {
    let line = one("m,a=1,b=2,c=3 f=1");
    assert_eq!(tags(&line), vec![("a", "1"), ("b", "2"), ("c", "3")]);
    assert_eq!(kind("m,a=1,b=2,b=3 f=1"), ParseErrorKind::DuplicateTags);
    let many: Vec<String> = (0..100).rev().map(|i| format!("t{i:03}=v{i}")).collect();
    let input = format!("m,{} f=1", many.join(","));
    let line = one(&input);
    assert_eq!(line.tags.len(), 100);
    assert!(line.tags.windows(2).all(|w| w[0].0 < w[1].0));
    assert_eq!(line.tag("t042"), Some("v42"));
}

// ---------------------------------------------------------------- tags

#[test]
fn tags_are_sorted() {
    let line = one("m,z=1,a=2,m=3,B=4,é=5 f=1");
    assert_eq!(
        tags(&line),
        vec![("B", "4"), ("a", "2"), ("m", "3"), ("z", "1"), ("é", "5")]
    );
}

#[test]
fn duplicate_tags_are_rejected() {
    assert_eq!(kind("m,t=1,t=2 v=1"), ParseErrorKind::DuplicateTags);
    assert_eq!(kind("m,t=1,u=0,t=1 v=1"), ParseErrorKind::DuplicateTags);
    assert_eq!(kind(r"m,a\,b=1,a\,b=2 v=1"), ParseErrorKind::DuplicateTags);
    assert_eq!(kind("m,t=1,t=2 v="), ParseErrorKind::DuplicateTags);
    assert_eq!(kind("m,t=1,t=2 v=1").to_string(), "duplicate tags");
}

#[test]
fn reserved_tag_keys() {
    for key in ["_measurement", "_field", "time"] {
        let k = kind(&format!("m,a=1,{key}=x v=1"));
        assert_eq!(k, ParseErrorKind::ReservedTagKey(key.into()));
        assert_eq!(
            k.to_string(),
            format!("cannot use reserved tag key \"{key}\"")
        );
    }
    // Only as tag keys.
    one("time,x=_field time=1,_measurement=2");
}

// ---------------------------------------------------------------- errors

#[test]
fn error_kinds_and_messages() {
    use ParseErrorKind as E;
    let cases: &[(&str, ParseErrorKind, &str)] = &[
        ("zz", E::MissingFields, "missing fields"),
        ("zz,t=1", E::MissingFields, "missing fields"),
        (r"zz,t=a\", E::MissingFields, "missing fields"),
        (r"zz\", E::MissingFields, "missing fields"),
        (",t=1 v=1", E::MissingMeasurement, "missing measurement"),
        (",", E::MissingMeasurement, "missing measurement"),
        ("zz,t v=1", E::MissingTagValue, "missing tag value"),
        ("zz,t=1,u v=1", E::MissingTagValue, "missing tag value"),
        ("zz,t= v=1", E::MissingTagValue, "missing tag value"),
        ("zz,t=,u=1 v=1", E::MissingTagValue, "missing tag value"),
        ("zz,t", E::MissingTagValue, "missing tag value"),
        ("zz,t=", E::MissingTagValue, "missing tag value"),
        (r"zz,t\=1 v=1i", E::MissingTagValue, "missing tag value"),
        ("zz,=1 v=1", E::MissingTagKey, "missing tag key"),
        ("zz, v=1", E::MissingTagKey, "missing tag key"),
        ("zz,,t=1 v=1", E::MissingTagKey, "missing tag key"),
        ("zz,", E::MissingTagKey, "missing tag key"),
        ("zz,t=a=b v=1", E::InvalidTagFormat, "invalid tag format"),
        (
            r"zz,t=a\\ v=1i 5",
            E::InvalidTagFormat,
            "invalid tag format",
        ),
        ("zz =1", E::MissingFieldKey, "missing field key"),
        ("zz v=1,=2", E::MissingFieldKey, "missing field key"),
        ("zz v=", E::MissingFieldValue, "missing field value"),
        ("zz v=,w=1", E::MissingFieldValue, "missing field value"),
        ("zz v=1,w=", E::MissingFieldValue, "missing field value"),
        ("zz v= 1", E::MissingFieldValue, "missing field value"),
        ("zz v", E::InvalidFieldFormat, "invalid field format"),
        ("zz 5", E::InvalidFieldFormat, "invalid field format"),
        ("zz ", E::InvalidFieldFormat, "invalid field format"),
        ("zz  \t", E::InvalidFieldFormat, "invalid field format"),
        ("zz v=1,w", E::InvalidFieldFormat, "invalid field format"),
        ("zz v=1,,w=2", E::InvalidFieldFormat, "invalid field format"),
        ("zz v=1,", E::InvalidFieldFormat, "invalid field format"),
        ("zz v=1, w=2", E::InvalidFieldFormat, "invalid field format"),
        (r"zz a\=1", E::InvalidFieldFormat, "invalid field format"),
        (
            r"zq\\ v=1i 5",
            E::InvalidFieldFormat,
            "invalid field format",
        ),
        (
            r#"zz "a b"=1"#,
            E::InvalidFieldFormat,
            "invalid field format",
        ),
        (
            r#"zz v="a"b"#,
            E::InvalidFieldFormat,
            "invalid field format",
        ),
        (r#"zz v="abc"#, E::UnbalancedQuotes, "unbalanced quotes"),
        (r#"zz v="abc\""#, E::UnbalancedQuotes, "unbalanced quotes"),
        ("zz v=x", E::InvalidBoolean, "invalid boolean"),
        ("zz v=1.5.5", E::InvalidNumber, "invalid number"),
        ("zz v=1e999", E::InvalidFloat, "invalid float"),
        ("zz v=1 abc", E::BadTimestamp, "bad timestamp"),
        ("zz v=1 1.5", E::BadTimestamp, "bad timestamp"),
        ("zz v=1 +5", E::BadTimestamp, "bad timestamp"),
        ("zz v=1 1e3", E::BadTimestamp, "bad timestamp"),
        ("zz v=1 5\t", E::BadTimestamp, "bad timestamp"),
        ("zz v=1 5-", E::BadTimestamp, "bad timestamp"),
        (
            "zz v=1 -",
            E::TimestampSyntax("-".into()),
            "strconv.ParseInt: parsing \"-\": invalid syntax",
        ),
        (
            "zz v=1 99999999999999999999",
            E::TimestampOverflow("99999999999999999999".into()),
            "strconv.ParseInt: parsing \"99999999999999999999\": value out of range",
        ),
        ("zz v=1 5 6", E::InvalidPoint, "point is invalid"),
        ("zz v=1 5 #x", E::InvalidPoint, "point is invalid"),
    ];
    for (line, expected, message) in cases {
        let got = kind(line);
        assert_eq!(&got, expected, "{line:?}");
        assert_eq!(got.to_string(), *message, "{line:?}");
    }
}

#[test]
fn error_display_line_number_and_text() {
    let input = "m v=1\n\n  # comment\n   bad line here\nm v=2\n\tzz v=";
    let out = all(input);
    assert_eq!(out.len(), 4);
    assert!(out[0].is_ok());
    let e = out[1].clone().unwrap_err();
    assert_eq!(e.line_number, 4);
    assert_eq!(e.line_text, "bad line here");
    assert_eq!(e.kind, ParseErrorKind::InvalidFieldFormat);
    assert_eq!(
        e.to_string(),
        "unable to parse 'bad line here': invalid field format"
    );
    assert_eq!(out[2].as_ref().unwrap().line_number, 5);
    let e = out[3].clone().unwrap_err();
    assert_eq!(e.line_number, 6);
    assert_eq!(
        e.to_string(),
        "unable to parse 'zz v=': missing field value"
    );
}

#[test]
fn long_error_text_is_truncated() {
    let long = format!("m v={}", "x".repeat(5000));
    let e = all(&long)[0].clone().unwrap_err();
    assert_eq!(e.line_text.len(), MAX_ERROR_LINE_TEXT + 3);
    assert!(e.line_text.ends_with("..."));
}

#[test]
fn invalid_utf8_fails_only_its_line() {
    let mut input = b"m v=1\nm,t=\xff\xfe v=1\nm v=2\nm s=\"\xc3\" 1\n".to_vec();
    input.extend_from_slice(b"# comment \xff is skipped\nm v=3");
    let out: Vec<_> = parse_lines(&input).collect();
    assert_eq!(out.len(), 5);
    assert!(out[0].is_ok());
    let e = out[1].clone().unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::InvalidUtf8);
    assert_eq!(e.line_number, 2);
    assert_eq!(e.line_text, "m,t=\u{fffd}\u{fffd} v=1");
    assert_eq!(e.kind.to_string(), "invalid UTF-8");
    assert!(out[2].is_ok());
    assert_eq!(
        out[3].clone().unwrap_err().kind,
        ParseErrorKind::InvalidUtf8
    );
    assert_eq!(out[4].as_ref().unwrap().line_number, 6);
}

#[test]
fn max_key_length() {
    let tag = "x".repeat(MAX_KEY_LENGTH);
    let e = all(&format!("m,t={tag} v=1"))[0].clone().unwrap_err();
    assert_eq!(
        e.kind,
        ParseErrorKind::MaxKeyLengthExceeded {
            size: MAX_KEY_LENGTH + 4
        }
    );
    assert_eq!(
        e.kind.to_string(),
        format!("max key length exceeded: {} > 65535", MAX_KEY_LENGTH + 4)
    );
    // Key plus "#!~#" plus field key.
    let m = "m".repeat(MAX_KEY_LENGTH - 5);
    one(&format!("{m} v=1"));
    assert_eq!(
        all(&format!("{m} vv=1"))[0].clone().unwrap_err().kind,
        ParseErrorKind::MaxKeyLengthExceeded {
            size: MAX_KEY_LENGTH + 1
        }
    );
}

// ---------------------------------------------------------------- lines, whitespace

#[test]
fn blank_lines_comments_and_crlf() {
    let input = "\n\r\n   \n\t\n# comment\n  # indented comment with \"quote\nm v=1\r\nm v=2 2\r\n\r\nm v=3\r";
    let out: Vec<_> = all(input).into_iter().map(Result::unwrap).collect();
    assert_eq!(out.len(), 3);
    assert_eq!(out[0].line_number, 7);
    assert_eq!(out[0].raw, b"m v=1");
    assert_eq!(out[1].line_number, 8);
    assert_eq!(out[1].timestamp, Some(2));
    assert_eq!(out[1].raw, b"m v=2 2");
    assert_eq!(out[2].line_number, 10);
    assert_eq!(out[2].raw, b"m v=3");
    assert!(all("").is_empty());
    assert!(all("\n\n").is_empty());
    assert!(all("\0 \t\n  # c").is_empty());
}

#[test]
fn whitespace_handling() {
    let line = one("  \tm,t=1   \t f=1i   \t 5   ");
    assert_eq!(line.measurement, "m");
    assert_eq!(line.timestamp, Some(5));
    assert_eq!(line.raw, b"  \tm,t=1   \t f=1i   \t 5   ");
    assert_eq!(one("m f=1 ").timestamp, None);
    assert_eq!(one("m f=1 \t ").timestamp, None);
    assert_eq!(one("m f=1  5").timestamp, Some(5));
    assert_eq!(one("m f=1 -5").timestamp, Some(-5));
    // A tab is not a field separator.
    assert_eq!(kind("m f=1\t5"), ParseErrorKind::InvalidNumber);
}

#[test]
fn timestamps() {
    assert_eq!(one("m v=1 -9223372036854775808").timestamp, Some(i64::MIN));
    assert_eq!(one("m v=1 9223372036854775807").timestamp, Some(i64::MAX));
    assert_eq!(one("m v=1 0").timestamp, Some(0));
    assert_eq!(one("m v=1 -0").timestamp, Some(0));
}

#[test]
fn timestamp_ns_per_precision() {
    let line = one("m v=1 3");
    for (p, expected) in [
        (Precision::Nanosecond, 3),
        (Precision::Microsecond, 3_000),
        (Precision::Millisecond, 3_000_000),
        (Precision::Second, 3_000_000_000),
        (Precision::Minute, 180_000_000_000),
        (Precision::Hour, 10_800_000_000_000),
    ] {
        assert_eq!(line.timestamp_ns(p, 42).unwrap(), expected);
    }
    let line = one("m v=1");
    assert_eq!(line.timestamp_ns(Precision::Second, 42).unwrap(), 42);
    let line = one("m v=1 -2");
    assert_eq!(
        line.timestamp_ns(Precision::Second, 0).unwrap(),
        -2_000_000_000
    );
}

#[test]
fn timestamp_range() {
    let ok = |text: &str, p| one(&format!("m v=1 {text}")).timestamp_ns(p, 0);
    assert_eq!(
        ok("9223372036854775806", Precision::Nanosecond).unwrap(),
        MAX_NANOS
    );
    assert_eq!(
        ok("-9223372036854775806", Precision::Nanosecond).unwrap(),
        MIN_NANOS
    );
    for (text, p) in [
        ("9223372036854775807", Precision::Nanosecond),
        ("-9223372036854775807", Precision::Nanosecond),
        ("-9223372036854775808", Precision::Nanosecond),
        ("9223372036854776", Precision::Microsecond),
        ("9223372037", Precision::Second),
        ("-9223372037", Precision::Second),
        ("2562048", Precision::Hour),
    ] {
        let e = ok(text, p).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::TimeOutOfRange, "{text} {p:?}");
        assert_eq!(
            e.to_string(),
            format!(
                "unable to parse 'm v=1 {text}': time outside range -9223372036854775806 - 9223372036854775806"
            )
        );
        assert_eq!(e.line_number, 1);
    }
    assert_eq!(
        ok("9223372036854775", Precision::Microsecond).unwrap(),
        9223372036854775000
    );
    assert_eq!(
        ok("9223372036", Precision::Second).unwrap(),
        9223372036000000000
    );
    assert_eq!(
        ok("2562047", Precision::Hour).unwrap(),
        2562047 * 3_600_000_000_000
    );
}

#[test]
fn precision_parse() {
    use Precision as P;
    for (s, p) in [
        ("", P::Nanosecond),
        ("n", P::Nanosecond),
        ("ns", P::Nanosecond),
        ("u", P::Microsecond),
        ("us", P::Microsecond),
        ("µ", P::Microsecond),
        ("µs", P::Microsecond),
        ("ms", P::Millisecond),
        ("s", P::Second),
        ("m", P::Minute),
        ("h", P::Hour),
    ] {
        assert_eq!(P::parse(s), Some(p), "{s:?}");
        assert_eq!(P::parse(p.as_str()), Some(p));
    }
    for s in ["x", "sec", "NS", " s", "d"] {
        assert_eq!(P::parse(s), None, "{s:?}");
    }
    assert_eq!(P::default(), P::Nanosecond);
    assert_eq!(P::Hour.nanos(), 3_600_000_000_000);
}

// ---------------------------------------------------------------- serializer

#[test]
fn escaping_helpers() {
    assert_eq!(escape_measurement("a, b=c"), r"a\,\ b=c");
    assert_eq!(escape_tag("a, b=c"), r"a\,\ b\=c");
    assert_eq!(escape_string_field(r#"a"b\c"#), r#"a\"b\\c"#);
    assert!(matches!(
        escape_measurement("plain"),
        Cow::Borrowed("plain")
    ));
    assert!(matches!(escape_tag("plain"), Cow::Borrowed("plain")));
    assert!(matches!(
        escape_string_field("plain"),
        Cow::Borrowed("plain")
    ));
    assert_eq!(escape_tag("é,€"), "é\\,€");
}

#[test]
fn write_line_output() {
    let mut out = String::new();
    write_line(
        &mut out,
        "my measurement,x",
        &[("tag key", "tag=value"), ("b", "c")],
        &[
            ("f,1", FieldValue::Float(1.0)),
            ("f2", FieldValue::Integer(-3)),
            ("f3", FieldValue::UInteger(4)),
            ("f4", FieldValue::String(r#"say "hi" \o/"#.into())),
            ("f5", FieldValue::Boolean(true)),
            ("f6", FieldValue::Boolean(false)),
            ("f7", FieldValue::Float(1e-7)),
            ("f8", FieldValue::Float(1e100)),
        ],
        Some(-5),
    );
    assert_eq!(
        out,
        "my\\ measurement\\,x,tag\\ key=tag\\=value,b=c f\\,1=1.0,f2=-3i,f3=4u,f4=\"say \\\"hi\\\" \\\\o/\",f5=true,f6=false,f7=1e-7,f8=1e100 -5\n"
    );
    write_line(&mut out, "m", &[], &[("v", FieldValue::Float(0.5))], None);
    assert!(out.ends_with("\nm v=0.5\n"));
    let lines: Vec<_> = parse_lines(out.as_bytes()).map(Result::unwrap).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].measurement, "my measurement,x");
    assert_eq!(tags(&lines[0]), vec![("b", "c"), ("tag key", "tag=value")]);
    assert_eq!(lines[0].fields[3].1, string(r#"say "hi" \o/"#));
    assert_eq!(lines[0].fields[0].1, FieldValue::Float(1.0));
    assert_eq!(lines[0].timestamp, Some(-5));
}

#[test]
fn field_value_display() {
    assert_eq!(FieldValue::Float(2.0).to_string(), "2.0");
    assert_eq!(FieldValue::Integer(2).to_string(), "2i");
    assert_eq!(FieldValue::UInteger(2).to_string(), "2u");
    assert_eq!(FieldValue::String("a\"".into()).to_string(), "\"a\\\"\"");
    assert_eq!(FieldValue::Boolean(false).to_string(), "false");
}

#[test]
fn to_line_protocol_and_series_key() {
    let line = one(r#"weather,zone=b\ 1,city=a\,x temp=1.5,ok=T,n=3i,s="q\"" 100"#);
    assert_eq!(line.series_key(), r"weather,city=a\,x,zone=b\ 1");
    let text = line.to_line_protocol();
    assert_eq!(
        text,
        r#"weather,city=a\,x,zone=b\ 1 temp=1.5,ok=true,n=3i,s="q\"" 100"#
    );
    assert_eq!(one(&text).fields, line.fields);
    assert_eq!(one("m v=1").series_key(), "m");
    assert_eq!(one(r"a\ b=c v=1").series_key(), r"a\ b=c");
}

#[test]
fn lines_remainder_and_fused() {
    let mut lines = parse_lines(b"m v=1\nm v=2");
    assert!(lines.next().unwrap().is_ok());
    assert_eq!(lines.remainder(), b"m v=2");
    assert!(lines.next().unwrap().is_ok());
    assert!(lines.next().is_none());
    assert!(lines.next().is_none());
}

#[test]
fn capacity_hints_do_not_leak_between_lines() {
    let out: Vec<_> = all("m,a=1,b=2 x=1,y=2,z=3\nm w=1\nm,c=3 v=1,u=2")
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(out[0].tags.len(), 2);
    assert_eq!(out[1].tags.len(), 0);
    assert_eq!(out[1].fields.len(), 1);
    assert_eq!(out[2].tags.len(), 1);
    assert_eq!(out[2].fields.len(), 2);
}

#[test]
fn never_panics_on_tricky_inputs() {
    let samples: &[&[u8]] = &[
        b"\\",
        b"\\\\",
        b"m\\",
        b"m,\\",
        b"m,t=\\",
        b"m f=\"\\",
        b"m f=\"\\\"",
        b"m f=\"",
        b"\"",
        b"m \"",
        b"m f=\"a\" \"",
        b"=",
        b"m =",
        b"m ,",
        b"m f=-",
        b"m f=1 -",
        b"m f=1 \r",
        b"\r",
        b"\r\r\n",
        b"#",
        b"m f=1\n\xff",
        b"\xff\xfe",
        b"m,t=\xe2\x82 f=1",
        b"m f=1e",
        b"m f=\xc3\xa9",
        b"m f=1 1 \"\n\"",
    ];
    for s in samples {
        for line in parse_lines(s).flatten() {
            let _ = line.timestamp_ns(Precision::Hour, 0);
            let _ = line.to_line_protocol();
        }
    }
}

#[test]
fn selecting_parse_skips_tags_and_unwanted_fields() {
    use crate::parse_lines_selecting;
    let body = b"cpu,host=a,dc=x usage_user=1.5,usage_idle=oops,s=\"q,\\\" x\" 10\nmem v=2i";
    let lines: Vec<_> = parse_lines_selecting(body, false, |k| k == "usage_user" || k == "v")
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].measurement, "cpu");
    assert!(lines[0].tags.is_empty());
    // The value of a skipped field is not checked.
    assert_eq!(
        lines[0].fields,
        vec![("usage_user".into(), FieldValue::Float(1.5))]
    );
    assert_eq!(lines[0].timestamp, Some(10));
    assert_eq!(lines[1].fields, vec![("v".into(), FieldValue::Integer(2))]);
    assert_eq!(lines[0].series_key_raw, b"cpu,host=a,dc=x");
    assert_eq!(lines[1].series_key_raw, b"mem");
    // A line may keep no field at all.
    let none: Vec<_> = parse_lines_selecting(b"m,t=1 a=1 5", true, |_| false)
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(none[0].fields.is_empty());
    assert_eq!(none[0].tags, vec![("t".into(), "1".into())]);
    // The structure is still checked.
    assert!(
        parse_lines_selecting(b"m,t=1 a=1 notatime", false, |_| false)
            .next()
            .unwrap()
            .is_err()
    );
    // Skipped tags are not checked; kept ones are.
    assert!(parse_lines_selecting(b"m,t a=1", false, |_| false)
        .next()
        .unwrap()
        .is_ok_and(|l| l.series_key_raw == b"m,t"));
    assert!(parse_lines_selecting(b"m,t a=1", true, |_| false)
        .next()
        .unwrap()
        .is_err());
}

#[test]
fn series_key_raw_ends_at_the_first_unescaped_space() {
    let body = b"  m,t=a\\\\ b f=1 1\nm\\ n,x=\\,y f=2\nm f=3";
    let keys: Vec<Vec<u8>> = parse_lines(body)
        .map(|l| l.unwrap().series_key_raw.to_vec())
        .collect();
    assert_eq!(
        keys,
        vec![
            b"m,t=a\\\\ b".to_vec(),
            b"m\\ n,x=\\,y".to_vec(),
            b"m".to_vec()
        ]
    );
}

//! Property tests: no decoder panics on arbitrary input, and what decoders
//! emit is always valid line protocol.

use almanac_lineproto::{parse_lines, Precision};
use almanac_protocols::collectd::packet::{encode, part};
use almanac_protocols::collectd::{decode_packet, AuthFile, ParseOptions, TypesDb, Value};
use almanac_protocols::config::{ParseMultiValuePlugin, SecurityLevel};
use almanac_protocols::graphite::{decode_lines, GraphiteParser};
use almanac_protocols::opentsdb::{decode_put_body, parse_telnet_line, TelnetCommand};
use almanac_protocols::prometheus::proto::{Label, Sample, TimeSeries, WriteRequest};
use almanac_protocols::prometheus::{decode_read_request, decode_write_request, snappy_encode};
use almanac_protocols::udp::decode_payload;
use almanac_protocols::Point;
use proptest::prelude::*;
use prost::Message;

/// Every line parses and carries a timestamp.
fn assert_valid_lines(lines: &[u8], expected: usize) {
    let mut n = 0;
    for l in parse_lines(lines) {
        let l = l
            .unwrap_or_else(|e| panic!("invalid output {:?}: {e}", String::from_utf8_lossy(lines)));
        assert!(l.timestamp.is_some());
        n += 1;
    }
    assert_eq!(n, expected);
}

fn collectd_opts(level: SecurityLevel) -> ParseOptions {
    ParseOptions {
        types: TypesDb::embedded(),
        security: level,
        auth: AuthFile::single("alice", "secret"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn udp_never_panics(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        let d = decode_payload(&data, Precision::Nanosecond, 1);
        assert_valid_lines(&d.lines, d.points);
    }

    #[test]
    fn graphite_never_panics(text in "\\PC{0,200}", template in "[a-z*.]{0,20}") {
        let parser = GraphiteParser::new(&[], ".", &[]).unwrap();
        let (lines, points, _) = decode_lines(&parser, &text, 1);
        assert_valid_lines(&lines, points);
        // Arbitrary templates either fail validation or parse lines without panicking.
        if let Ok(p) = GraphiteParser::new(&[format!("{template} measurement*.field")], "_", &[]) {
            let (lines, points, _) = decode_lines(&p, &text, 1);
            assert_valid_lines(&lines, points);
        }
    }

    #[test]
    fn graphite_structured_lines(
        parts in proptest::collection::vec("[a-z0-9 =,\\\\]{0,6}", 1..6),
        value in any::<f64>(),
        ts in any::<i64>(),
    ) {
        let parser = GraphiteParser::new(&["a.* .host.measurement*".to_string(), ".field.measurement*".to_string()], ".", &[]).unwrap();
        let line = format!("{} {value} {ts}", parts.join("."));
        let (lines, points, _) = decode_lines(&parser, &line, 1);
        assert_valid_lines(&lines, points);
    }

    #[test]
    fn collectd_never_panics(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        for level in [SecurityLevel::None, SecurityLevel::Sign, SecurityLevel::Encrypt] {
            for mode in [ParseMultiValuePlugin::Split, ParseMultiValuePlugin::Join] {
                if let Ok(d) = decode_packet(&data, &collectd_opts(level), mode, 1) {
                    assert_valid_lines(&d.lines, d.points);
                }
            }
        }
    }

    #[test]
    fn collectd_mutated_packets_never_panic(
        host in "\\PC{0,12}",
        gauge in any::<f64>(),
        derive in any::<i64>(),
        flip in any::<usize>(),
        secure in 0u8..3,
    ) {
        let mut p = Vec::new();
        encode::string(&mut p, part::HOST, &host);
        encode::numeric(&mut p, part::TIME_HR, 1 << 40);
        encode::string(&mut p, part::PLUGIN, "disk");
        encode::string(&mut p, part::TYPE, "disk_octets");
        encode::values(&mut p, &[Value::Gauge(gauge), Value::Derive(derive)]);
        let mut p = match secure {
            0 => p,
            1 => encode::sign(&p, "alice", "secret"),
            _ => encode::encrypt(&p, "alice", "secret", [9; 16]),
        };
        // Intact packets decode; a flipped byte never panics.
        let d = decode_packet(&p, &collectd_opts(SecurityLevel::None), ParseMultiValuePlugin::Split, 1).unwrap();
        assert_valid_lines(&d.lines, d.points);
        let i = flip % p.len();
        p[i] ^= 0x5a;
        if let Ok(d) = decode_packet(&p, &collectd_opts(SecurityLevel::Sign), ParseMultiValuePlugin::Join, 1) {
            assert_valid_lines(&d.lines, d.points);
        }
    }

    #[test]
    fn opentsdb_never_panics(line in "\\PC{0,200}", body in proptest::collection::vec(any::<u8>(), 0..256)) {
        if let Ok(TelnetCommand::Put(p, _)) = parse_telnet_line(&line) {
            assert_valid_lines(p.to_line().unwrap().as_bytes(), 1);
        }
        for gzip in [false, true] {
            if let Ok(d) = decode_put_body(&body, gzip) {
                assert_valid_lines(&d.lines, d.points);
            }
        }
    }

    #[test]
    fn opentsdb_structured_puts(metric in "[a-z.]{1,8}", ts in 1_000_000_000i64..9_999_999_999, v in any::<f64>(), tag in "\\PC{0,10}") {
        let line = format!("put {metric} {ts} {v} {tag}");
        if let Ok(TelnetCommand::Put(p, _)) = parse_telnet_line(&line) {
            assert_valid_lines(p.to_line().unwrap().as_bytes(), 1);
        }
    }

    #[test]
    fn prometheus_never_panics(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(d) = decode_write_request(&data) {
            assert_valid_lines(&d.lines, d.points);
        }
        let _ = decode_read_request(&data);
        // Valid snappy around arbitrary protobuf bytes.
        let wrapped = snappy_encode(&data);
        if let Ok(d) = decode_write_request(&wrapped) {
            assert_valid_lines(&d.lines, d.points);
        }
        let _ = decode_read_request(&wrapped);
    }

    #[test]
    fn prometheus_write_output_is_valid(
        labels in proptest::collection::vec(("[a-z_]{0,6}", "\\PC{0,8}"), 0..4),
        samples in proptest::collection::vec((any::<f64>(), -1_000_000_000_000i64..4_000_000_000_000), 0..4),
    ) {
        let req = WriteRequest {
            timeseries: vec![TimeSeries {
                labels: labels.into_iter().map(|(name, value)| Label { name, value }).collect(),
                samples: samples.into_iter().map(|(value, timestamp)| Sample { value, timestamp }).collect(),
            }],
        };
        // Either an error (a label that line protocol cannot carry) or valid lines.
        if let Ok(d) = decode_write_request(&snappy_encode(&req.encode_to_vec())) {
            assert_valid_lines(&d.lines, d.points);
        }
    }

    #[test]
    fn point_serialization_round_trips_or_errors(
        m in "\\PC{0,10}",
        k in "\\PC{0,6}",
        v in "\\PC{0,6}",
        f in "\\PC{0,6}",
        x in any::<f64>(),
        t in any::<i64>(),
    ) {
        let p = Point::float(m.clone(), vec![(k, v)], f, x, t);
        if let Ok(line) = p.to_line() {
            let parsed = parse_lines(line.as_bytes()).next().unwrap().unwrap();
            assert_eq!(parsed.measurement, m);
            assert_eq!(parsed.timestamp, Some(t));
        }
    }
    #[test]
    fn config_text_parsers_never_panic(text in "\\PC{0,80}", list in proptest::collection::vec("\\PC{0,20}", 0..4)) {
        let _ = almanac_protocols::config::go_duration::parse(&text);
        let _ = TypesDb::parse(&text);
        let _ = AuthFile::parse(&text);
        let _ = almanac_protocols::graphite::parser::validate(&list, &list);
        let _ = GraphiteParser::new(&list, &text, &[]);
    }
}

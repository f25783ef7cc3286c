//! The annotated CSV decoder never panics, and encode → decode keeps the data.

use almanac_flux::csv::{decode, encode};
use almanac_flux::{execute, EmptySource, ExecContext};
use proptest::prelude::*;

proptest! {
    #[test]
    fn decoder_never_panics(s in "[#a-z0-9,\"\\n:.TZ-]{0,300}") {
        let _ = decode(&s);
    }

    #[test]
    fn encode_decode_roundtrip(vals in proptest::collection::vec((-1000i64..1000, "[a-z ,\"]{0,6}"), 1..20)) {
        let rows: Vec<String> = vals
            .iter()
            .map(|(i, s)| format!("{{i: {i}, s: {:?}, k: \"x\"}}", s))
            .collect();
        let script = format!("import \"array\"\narray.from(rows: [{}]) |> group(columns: [\"k\"])", rows.join(", "));
        let res = execute(&script, &ExecContext::default(), &EmptySource).expect("run");
        let text = encode(&res);
        let back = decode(&text).expect("decode");
        prop_assert_eq!(back.len(), 1);
        prop_assert_eq!(back[0].len(), vals.len());
        prop_assert_eq!(&back[0].key, &res[0].1[0].key);
        for (r, (i, s)) in vals.iter().enumerate() {
            prop_assert_eq!(back[0].value(back[0].index("i").unwrap(), r), almanac_flux::Value::Int(*i));
            let got = back[0].value(back[0].index("s").unwrap(), r);
            if s.is_empty() {
                prop_assert_eq!(got, almanac_flux::Value::Null);
            } else {
                prop_assert_eq!(got, almanac_flux::Value::str(s));
            }
        }
    }

    /// Columns of few distinct values (so that many hold one value in a
    /// table, which the encoder writes once) keep every row's value.
    #[test]
    fn constant_columns_keep_every_row(
        vals in proptest::collection::vec((0i64..2, 0usize..3, 0usize..3, any::<bool>(), 0i64..2), 1..8)
    ) {
        const STRS: [&str; 3] = ["a", "a,\\\"b", ""];
        const FLOATS: [&str; 3] = ["0.0", "-0.0", "1.5"];
        let rows: Vec<String> = vals
            .iter()
            .map(|(i, s, f, b, t)| format!(
                "{{i: {i}, s: \"{}\", f: {}, b: {b}, _time: {}}}",
                STRS[*s], FLOATS[*f], if *t == 0 { "2020-01-01T00:00:00Z" } else { "2020-01-01T00:00:01.5Z" }
            ))
            .collect();
        let script = format!("import \"array\"\narray.from(rows: [{}])", rows.join(", "));
        let res = execute(&script, &ExecContext::default(), &EmptySource).expect("run");
        let text = encode(&res);
        let back = decode(&text).expect("decode");
        prop_assert_eq!(back.len(), 1);
        let (want, got) = (&res[0].1[0], &back[0]);
        prop_assert_eq!(got.len(), want.len());
        for c in 0..want.cols.len() {
            let gc = got.index(&want.cols[c].label).expect("column");
            for r in 0..want.len() {
                let (w, g) = (want.value(c, r), got.value(gc, r));
                match (&w, &g) {
                    (almanac_flux::Value::Float(a), almanac_flux::Value::Float(b)) =>
                        prop_assert_eq!(a.to_bits(), b.to_bits(), "{} row {}", want.cols[c].label, r),
                    (almanac_flux::Value::String(a), almanac_flux::Value::Null) if a.is_empty() => {}
                    _ => prop_assert_eq!(&w, &g, "{} row {}\n{}", want.cols[c].label, r, text),
                }
            }
        }
    }
}

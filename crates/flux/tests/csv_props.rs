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
}

//! The TICKscript parser never panics, whatever the input.

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parse_never_panics(s in "\\PC{0,200}") {
        let _ = almanac_tasks::tick::parse(&s);
    }

    #[test]
    fn parse_tick_like_never_panics(parts in prop::collection::vec(prop::sample::select(vec![
        "stream", "|", "from", "(", ")", ".", "measurement", "'cpu'", "lambda", ":", "\"v\"",
        ">", "10", "10s", "/re/", "*", "AND", "!", "-", "var", "x", "=", "dbrp", "@", ",", "[",
        "]", "'''t'''", "1.5", "TRUE", "\n", "//c\n", " ",
    ]), 0..60)) {
        let s: String = parts.concat();
        if let Ok(p) = almanac_tasks::tick::parse(&s) {
            let _ = almanac_tasks::tick::pipeline::evaluate(&p, &Default::default());
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let s = format!("var x = {}1{}", "(".repeat(5000), ")".repeat(5000));
    assert!(almanac_tasks::tick::parse(&s).is_err());
    let s = format!("var x = {}1", "-".repeat(5000));
    assert!(almanac_tasks::tick::parse(&s).is_err());
}

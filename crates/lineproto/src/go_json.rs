//! Go's `encoding/json` text for floats and strings. InfluxDB writes its
//! JSON answers (1.x `/query`, Flux's `json.encode`) with it, so clients and
//! their tests see exactly these spellings.

use std::fmt::Write;

/// Appends `f` as `encoding/json` does: shortest round-trip digits, plain
/// notation within `[1e-6, 1e21)`, otherwise `1.5e-7` / `1e+21`. `f` must be
/// finite (JSON has no NaN or infinity).
pub fn write_float(out: &mut String, f: f64) {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let s = format!("{f:e}");
        match s.split_once('e') {
            Some((mantissa, exp)) if !exp.starts_with('-') => {
                let _ = write!(out, "{mantissa}e+{exp}");
            }
            _ => out.push_str(&s),
        }
    } else {
        let _ = write!(out, "{f}");
    }
}

/// Appends `s` as a quoted JSON string with `encoding/json`'s escapes
/// (including the HTML-safe `\u003c`, `\u003e`, `\u0026`).
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    // Every character that needs an escape is ASCII: copy the runs between
    // them whole (tag values and names rarely hold any).
    let mut run = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            b'<' => "\\u003c",
            b'>' => "\\u003e",
            b'&' => "\\u0026",
            b if b < 0x20 => "",
            _ => continue,
        };
        out.push_str(&s[run..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{:04x}", b);
        } else {
            out.push_str(escape);
        }
        run = i + 1;
    }
    out.push_str(&s[run..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float(f: f64) -> String {
        let mut s = String::new();
        write_float(&mut s, f);
        s
    }

    /// `encoding/json`'s escapes, one character at a time.
    fn escaped_by_chars(s: &str) -> String {
        let mut out = String::from('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '<' => out.push_str("\\u003c"),
                '>' => out.push_str("\\u003e"),
                '&' => out.push_str("\\u0026"),
                c if (c as u32) < 0x20 => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    proptest::proptest! {
        #[test]
        fn strings_escape_as_char_by_char(s in "(?s).{0,40}|[a-z<>&\"\\\\\x00-\x1f\u{e9}\u{1f600}]{0,40}") {
            let mut out = String::new();
            write_string(&mut out, &s);
            proptest::prop_assert_eq!(out, escaped_by_chars(&s));
        }
    }

    #[test]
    fn floats_as_go() {
        assert_eq!(float(1.0), "1");
        assert_eq!(float(0.1), "0.1");
        assert_eq!(float(-2.5), "-2.5");
        assert_eq!(float(1.5e-7), "1.5e-7");
        assert_eq!(float(1e21), "1e+21");
        assert_eq!(float(123456789.0), "123456789");
        assert_eq!(float(0.0), "0");
    }

    #[test]
    fn strings_as_go() {
        let mut s = String::new();
        write_string(&mut s, "a\"b\\<&>\n\u{1}é");
        assert_eq!(s, r#""a\"b\\\u003c\u0026\u003e\n\u0001é""#);
    }
}

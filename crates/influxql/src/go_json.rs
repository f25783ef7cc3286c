//! The `params` JSON of `/query` decoded as InfluxDB does it: with Go's
//! `json.Decoder` into a `map[string]interface{}`, so that malformed input
//! fails with Go's wording (`invalid character 'o' in literal null
//! (expecting 'u')`, `unexpected EOF`, `json: cannot unmarshal array into Go
//! value of type map[string]interface {}`, ...).
//!
//! Like the decoder, only the first JSON value is read: whatever follows it
//! is ignored.

use serde_json::{Map, Value};

/// Decodes the `params` parameter; the error is the text InfluxDB puts after
/// `error parsing query parameters: `. `null` gives no parameters.
pub fn decode_params(raw: &str) -> Result<Map<String, Value>, String> {
    let end = scan_first_value(raw.as_bytes())?;
    let value: Value = serde_json::from_str(&raw[..end]).map_err(|e| e.to_string())?;
    let kind = match value {
        Value::Object(map) => return Ok(map),
        Value::Null => return Ok(Map::new()),
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "bool",
    };
    Err(format!(
        "json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"
    ))
}

/// Go's `quoteChar`: the offending byte as the scanner's errors show it.
fn quote_char(c: u8) -> String {
    match c {
        b'\'' => r"'\''".to_string(),
        b'"' => "'\"'".to_string(),
        _ => {
            // Go converts the byte to the rune of the same number.
            let ch = char::from(c);
            let inner = match ch {
                '\u{7}' => r"\a".to_string(),
                '\u{8}' => r"\b".to_string(),
                '\u{c}' => r"\f".to_string(),
                '\n' => r"\n".to_string(),
                '\r' => r"\r".to_string(),
                '\t' => r"\t".to_string(),
                '\u{b}' => r"\v".to_string(),
                '\\' => r"\\".to_string(),
                c if (c as u32) < 0x20 || c as u32 == 0x7f => format!(r"\x{:02x}", c as u32),
                // U+0080..U+00A0 and the soft hyphen are not printable in Go.
                c if (0x80..=0xa0).contains(&(c as u32)) || c as u32 == 0xad => {
                    format!(r"\u{:04x}", c as u32)
                }
                c => c.to_string(),
            };
            format!("'{inner}'")
        }
    }
}

fn syntax_error(c: u8, context: &str) -> String {
    format!("invalid character {} {context}", quote_char(c))
}

#[derive(Clone, Copy, PartialEq)]
enum Container {
    Object,
    Array,
}

/// Where the scanner is, as in Go's `encoding/json` scanner.
#[derive(Clone, Copy, PartialEq)]
enum State {
    BeginValue,
    BeginValueOrEmpty,
    BeginStringOrEmpty,
    BeginString,
    /// After a complete value (the byte is looked at again).
    EndValue,
    InString,
    InStringEsc,
    InStringEscU(u8),
    Neg,
    Zero,
    One,
    Dot,
    Dot0,
    E,
    ESign,
    E0,
    /// Inside a literal: the rest of the word still expected.
    Literal(&'static str, &'static [u8], usize),
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// Scans the first value of `input` as Go's `Decoder.Decode` does and
/// returns the byte offset where it ends; Go's error text otherwise.
fn scan_first_value(input: &[u8]) -> Result<usize, String> {
    let mut stack: Vec<Container> = Vec::new();
    // Whether the value at the top of an object is its key.
    let mut key: Vec<bool> = Vec::new();
    let mut state = State::BeginValue;
    let mut i = 0;
    let mut started = false;
    while i < input.len() {
        let c = input[i];
        match state {
            State::BeginValue | State::BeginValueOrEmpty => {
                if is_space(c) {
                    i += 1;
                    continue;
                }
                if state == State::BeginValueOrEmpty && c == b']' {
                    state = State::EndValue;
                    continue;
                }
                started = true;
                state = match c {
                    b'{' => {
                        stack.push(Container::Object);
                        key.push(true);
                        State::BeginStringOrEmpty
                    }
                    b'[' => {
                        stack.push(Container::Array);
                        key.push(false);
                        State::BeginValueOrEmpty
                    }
                    b'"' => State::InString,
                    b'-' => State::Neg,
                    b'0' => State::Zero,
                    b'1'..=b'9' => State::One,
                    b't' => State::Literal("true", b"rue", 0),
                    b'f' => State::Literal("false", b"alse", 0),
                    b'n' => State::Literal("null", b"ull", 0),
                    _ => return Err(syntax_error(c, "looking for beginning of value")),
                };
                i += 1;
            }
            State::BeginStringOrEmpty | State::BeginString => {
                if is_space(c) {
                    i += 1;
                    continue;
                }
                if state == State::BeginStringOrEmpty && c == b'}' {
                    // The empty object ends here; `EndValue` pops it.
                    if let Some(k) = key.last_mut() {
                        *k = false;
                    }
                    state = State::EndValue;
                    continue;
                }
                if c != b'"' {
                    return Err(syntax_error(
                        c,
                        "looking for beginning of object key string",
                    ));
                }
                state = State::InString;
                i += 1;
            }
            State::EndValue => {
                let Some(top) = stack.last().copied() else {
                    // A complete top-level value: the decoder stops here.
                    return Ok(i);
                };
                if is_space(c) {
                    i += 1;
                    continue;
                }
                match top {
                    Container::Object if key.last() == Some(&true) => {
                        if c != b':' {
                            return Err(syntax_error(c, "after object key"));
                        }
                        *key.last_mut().expect("object") = false;
                        state = State::BeginValue;
                        i += 1;
                    }
                    Container::Object => match c {
                        b',' => {
                            *key.last_mut().expect("object") = true;
                            state = State::BeginString;
                            i += 1;
                        }
                        b'}' => {
                            stack.pop();
                            key.pop();
                            i += 1;
                            if stack.is_empty() {
                                return Ok(i);
                            }
                        }
                        _ => return Err(syntax_error(c, "after object key:value pair")),
                    },
                    Container::Array => match c {
                        b',' => {
                            state = State::BeginValue;
                            i += 1;
                        }
                        b']' => {
                            stack.pop();
                            key.pop();
                            i += 1;
                            if stack.is_empty() {
                                return Ok(i);
                            }
                        }
                        _ => return Err(syntax_error(c, "after array element")),
                    },
                }
            }
            State::InString => {
                i += 1;
                match c {
                    b'"' => state = State::EndValue,
                    b'\\' => state = State::InStringEsc,
                    c if c < 0x20 => return Err(syntax_error(c, "in string literal")),
                    _ => {}
                }
            }
            State::InStringEsc => {
                i += 1;
                state = match c {
                    b'b' | b'f' | b'n' | b'r' | b't' | b'\\' | b'/' | b'"' => State::InString,
                    b'u' => State::InStringEscU(0),
                    _ => return Err(syntax_error(c, "in string escape code")),
                };
            }
            State::InStringEscU(n) => {
                if !c.is_ascii_hexdigit() {
                    return Err(syntax_error(c, "in \\u hexadecimal character escape"));
                }
                i += 1;
                state = if n == 3 {
                    State::InString
                } else {
                    State::InStringEscU(n + 1)
                };
            }
            State::Neg => {
                state = match c {
                    b'0' => State::Zero,
                    b'1'..=b'9' => State::One,
                    _ => return Err(syntax_error(c, "in numeric literal")),
                };
                i += 1;
            }
            State::One if c.is_ascii_digit() => i += 1,
            State::One | State::Zero => match c {
                b'.' => {
                    state = State::Dot;
                    i += 1;
                }
                b'e' | b'E' => {
                    state = State::E;
                    i += 1;
                }
                _ => state = State::EndValue,
            },
            State::Dot => {
                if !c.is_ascii_digit() {
                    return Err(syntax_error(c, "after decimal point in numeric literal"));
                }
                state = State::Dot0;
                i += 1;
            }
            State::Dot0 => match c {
                b'0'..=b'9' => i += 1,
                b'e' | b'E' => {
                    state = State::E;
                    i += 1;
                }
                _ => state = State::EndValue,
            },
            State::E | State::ESign => {
                if state == State::E && (c == b'+' || c == b'-') {
                    state = State::ESign;
                    i += 1;
                    continue;
                }
                if !c.is_ascii_digit() {
                    return Err(syntax_error(c, "in exponent of numeric literal"));
                }
                state = State::E0;
                i += 1;
            }
            State::E0 => {
                if c.is_ascii_digit() {
                    i += 1;
                } else {
                    state = State::EndValue;
                }
            }
            State::Literal(word, rest, k) => {
                if c != rest[k] {
                    return Err(syntax_error(
                        c,
                        &format!("in literal {word} (expecting {})", quote_char(rest[k])),
                    ));
                }
                i += 1;
                state = if k + 1 == rest.len() {
                    State::EndValue
                } else {
                    State::Literal(word, rest, k + 1)
                };
            }
        }
    }
    // End of input: a top-level number or literal is complete at EOF.
    let complete = stack.is_empty()
        && matches!(
            state,
            State::EndValue | State::Zero | State::One | State::Dot0 | State::E0
        );
    if complete {
        Ok(input.len())
    } else if started {
        Err("unexpected EOF".into())
    } else {
        Err("EOF".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(raw: &str) -> String {
        decode_params(raw).unwrap_err()
    }

    #[test]
    fn errors_are_go_decoder_errors() {
        // Each answer is influxd 1.6.7's, after "error parsing query parameters: ".
        let cases = [
            (
                "notjson",
                "invalid character 'o' in literal null (expecting 'u')",
            ),
            ("{", "unexpected EOF"),
            ("{\"a\":1", "unexpected EOF"),
            ("nul", "unexpected EOF"),
            (" ", "EOF"),
            (
                "[1]",
                "json: cannot unmarshal array into Go value of type map[string]interface {}",
            ),
            (
                "\"x\"",
                "json: cannot unmarshal string into Go value of type map[string]interface {}",
            ),
            (
                "{\"a\":tru}",
                "invalid character '}' in literal true (expecting 'e')",
            ),
            (
                "{\"a\":1,}",
                "invalid character '}' looking for beginning of object key string",
            ),
            (
                "{a:1}",
                "invalid character 'a' looking for beginning of object key string",
            ),
            ("{\"a\" 1}", "invalid character '1' after object key"),
            (
                "{\"a\":1 \"b\":2}",
                "invalid character '\"' after object key:value pair",
            ),
            ("{\"a\":[1 2]}", "invalid character '2' after array element"),
            (
                "{\"a\":\"\\x\"}",
                "invalid character 'x' in string escape code",
            ),
            (
                "{\"a\":01}",
                "invalid character '1' after object key:value pair",
            ),
            (
                "{\"a\":1.}",
                "invalid character '}' after decimal point in numeric literal",
            ),
            (
                "{\"a\":1e}",
                "invalid character '}' in exponent of numeric literal",
            ),
            ("{\"a\":-}", "invalid character '}' in numeric literal"),
            (
                "{\"a\":\"\\u12G4\"}",
                "invalid character 'G' in \\u hexadecimal character escape",
            ),
            ("x", "invalid character 'x' looking for beginning of value"),
            (
                "{\"a\":\"\t\"}",
                "invalid character '\\t' in string literal",
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(err(raw), want, "{raw}");
        }
    }

    #[test]
    fn reads_only_the_first_value() {
        let m = decode_params("{\"a\":1} x").unwrap();
        assert_eq!(m.get("a"), Some(&Value::from(1)));
        let m = decode_params(" {\"a\": [1, {\"b\": null}], \"c\": \"d\"}").unwrap();
        assert_eq!(m.len(), 2);
        assert!(decode_params("null").unwrap().is_empty());
        assert_eq!(
            err("1x"),
            "json: cannot unmarshal number into Go value of type map[string]interface {}"
        );
        assert_eq!(
            err("true"),
            "json: cannot unmarshal bool into Go value of type map[string]interface {}"
        );
    }

    #[test]
    fn quotes_bytes_as_go() {
        assert_eq!(quote_char(b'\''), r"'\''");
        assert_eq!(quote_char(0x01), r"'\x01'");
        assert_eq!(quote_char(0xc3), "'Ã'");
        assert_eq!(quote_char(0x85), r"'\u0085'");
    }
}

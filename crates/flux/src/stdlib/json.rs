//! The `json` package: `json.encode` (values to JSON bytes, as Go's
//! `encoding/json` writes them: record keys sorted, floats in shortest form,
//! times as RFC 3339 strings, durations as Flux duration strings).

use super::PackageDef;
use crate::error::{Error, Result};
use crate::value::{format_time_go, Value};
use almanac_lineproto::go_json;
use std::fmt::Write;
use std::sync::Arc;

/// Build the package definition.
pub fn package() -> PackageDef {
    let mut p = PackageDef::default();
    p.f("encode", &["v"], &[], None, |_, a| {
        let v = a.req("v")?;
        let mut out = String::new();
        encode(&v, &mut out)?;
        Ok(Value::Bytes(Arc::new(out.into_bytes())))
    });
    p
}

/// Append the JSON text of `v` to `out`.
pub fn encode(v: &Value, out: &mut String) -> Result<()> {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::UInt(u) => {
            let _ = write!(out, "{u}");
        }
        Value::Float(f) if !f.is_finite() => {
            return Err(Error::rt(format!(
                "json.encode: unsupported value: {f} (JSON has no NaN or infinity)"
            )))
        }
        Value::Float(f) => go_json::write_float(out, *f),
        Value::String(s) => string(s, out),
        Value::Time(t) => string(&format_time_go(*t), out),
        Value::Duration(_) => string(&v.to_string(), out),
        Value::Bytes(b) => string(&base64(b), out),
        Value::Regex(r) => string(r.as_str(), out),
        Value::Array(items) => {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                encode(x, out)?;
            }
            out.push(']');
        }
        Value::Record(r) => {
            let mut fields: Vec<&(String, Value)> = r.fields.iter().collect();
            fields.sort_by(|a, b| a.0.cmp(&b.0));
            out.push('{');
            for (i, (k, x)) in fields.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                string(k, out);
                out.push(':');
                encode(x, out)?;
            }
            out.push('}');
        }
        Value::Dict(pairs) => {
            let mut fields = Vec::with_capacity(pairs.len());
            for (k, x) in pairs.iter() {
                let Value::String(k) = k else {
                    return Err(Error::rt(
                        "json.encode: only dictionaries with string keys can be encoded",
                    ));
                };
                fields.push((k.to_string(), x));
            }
            fields.sort_by(|a, b| a.0.cmp(&b.0));
            out.push('{');
            for (i, (k, x)) in fields.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                string(&k, out);
                out.push(':');
                encode(x, out)?;
            }
            out.push('}');
        }
        Value::Function(_) | Value::Stream(_) => {
            return Err(Error::rt(format!(
                "json.encode: cannot encode a value of type {}",
                v.type_name()
            )))
        }
    }
    Ok(())
}

fn string(s: &str, out: &mut String) {
    go_json::write_string(out, s)
}

/// Standard base64 with padding (how Go encodes `[]byte`).
fn base64(b: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(b.len().div_ceil(3) * 4);
    for chunk in b.chunks(3) {
        let n = chunk.len();
        let v = (chunk[0] as u32) << 16
            | (*chunk.get(1).unwrap_or(&0) as u32) << 8
            | *chunk.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= n {
                out.push(A[(v >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_and_bytes_as_go_writes_them() {
        let float = |f: f64| {
            let mut s = String::new();
            go_json::write_float(&mut s, f);
            s
        };
        assert_eq!(float(1.0), "1");
        assert_eq!(float(1.5), "1.5");
        assert_eq!(float(1e21), "1e+21");
        // encoding/json trims the exponent's leading zero ("e-07" → "e-7").
        assert_eq!(float(1.5e-7), "1.5e-7");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"abc"), "YWJj");
    }
}

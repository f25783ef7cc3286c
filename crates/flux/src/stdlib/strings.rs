//! The `strings` package (basics).

use super::PackageDef;
use crate::error::Result;
use crate::value::{Args, Value};
use std::sync::Arc;

fn v(a: &mut Args) -> Result<String> {
    a.string("v")
}

fn strings_array(parts: Vec<String>) -> Value {
    Value::Array(Arc::new(parts.into_iter().map(Value::str).collect()))
}

/// Go's `SplitN`/`SplitAfterN`: at most `n` parts when `n > 0`, none when
/// `n == 0`, all when `n < 0`; `after` keeps the separator on each part.
fn split_go(s: &str, sep: &str, n: i64, after: bool) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if sep.is_empty() {
        let chars: Vec<String> = s.chars().map(|c| c.to_string()).collect();
        if n > 0 && chars.len() > n as usize {
            let head: Vec<String> = chars[..n as usize - 1].to_vec();
            let tail: String = chars[n as usize - 1..].concat();
            return head.into_iter().chain(std::iter::once(tail)).collect();
        }
        return chars;
    }
    let mut out = Vec::new();
    let mut rest = s;
    while n < 0 || (out.len() as i64) < n - 1 {
        let Some(i) = rest.find(sep) else { break };
        let cut = if after { i + sep.len() } else { i };
        out.push(rest[..cut].to_string());
        rest = &rest[i + sep.len()..];
    }
    out.push(rest.to_string());
    out
}

/// `strings.isDigit` and friends: a test on the string's single character.
fn char_test(a: &mut Args, f: fn(char) -> bool) -> Result<Value> {
    let s = v(a)?;
    let mut it = s.chars();
    match (it.next(), it.next()) {
        (Some(c), None) => Ok(Value::Bool(f(c))),
        _ => Err(crate::error::Error::rt(format!(
            "{}: expected a single-character string, got {s:?}",
            a.func
        ))),
    }
}

/// Build the package definition.
pub fn package() -> PackageDef {
    let mut p = PackageDef::default();
    p.f("toUpper", &["v"], &[], None, |_, a| {
        Ok(Value::str(v(a)?.to_uppercase()))
    });
    p.f("toLower", &["v"], &[], None, |_, a| {
        Ok(Value::str(v(a)?.to_lowercase()))
    });
    p.f("title", &["v"], &[], None, |_, a| {
        let s = v(a)?;
        let mut out = String::with_capacity(s.len());
        let mut prev_letter = false;
        for c in s.chars() {
            if !prev_letter && c.is_alphabetic() {
                out.extend(c.to_uppercase());
            } else {
                out.push(c);
            }
            prev_letter = c.is_alphanumeric() || c == '_' || c == '\'';
        }
        Ok(Value::str(out))
    });
    p.f("trimSpace", &["v"], &[], None, |_, a| {
        Ok(Value::str(v(a)?.trim()))
    });
    p.f("trim", &["v", "cutset"], &[], None, |_, a| {
        let c: Vec<char> = a.string("cutset")?.chars().collect();
        Ok(Value::str(v(a)?.trim_matches(|x| c.contains(&x))))
    });
    p.f("trimLeft", &["v", "cutset"], &[], None, |_, a| {
        let c: Vec<char> = a.string("cutset")?.chars().collect();
        Ok(Value::str(v(a)?.trim_start_matches(|x| c.contains(&x))))
    });
    p.f("trimRight", &["v", "cutset"], &[], None, |_, a| {
        let c: Vec<char> = a.string("cutset")?.chars().collect();
        Ok(Value::str(v(a)?.trim_end_matches(|x| c.contains(&x))))
    });
    p.f("trimPrefix", &["v", "prefix"], &[], None, |_, a| {
        let pre = a.string("prefix")?;
        let s = v(a)?;
        Ok(Value::str(s.strip_prefix(pre.as_str()).unwrap_or(&s)))
    });
    p.f("trimSuffix", &["v", "suffix"], &[], None, |_, a| {
        let suf = a.string("suffix")?;
        let s = v(a)?;
        Ok(Value::str(s.strip_suffix(suf.as_str()).unwrap_or(&s)))
    });
    p.f("hasPrefix", &["v", "prefix"], &[], None, |_, a| {
        let pre = a.string("prefix")?;
        Ok(Value::Bool(v(a)?.starts_with(&pre)))
    });
    p.f("hasSuffix", &["v", "suffix"], &[], None, |_, a| {
        let suf = a.string("suffix")?;
        Ok(Value::Bool(v(a)?.ends_with(&suf)))
    });
    p.f("containsStr", &["v", "substr"], &[], None, |_, a| {
        let sub = a.string("substr")?;
        Ok(Value::Bool(v(a)?.contains(&sub)))
    });
    p.f("containsAny", &["v", "chars"], &[], None, |_, a| {
        let c = a.string("chars")?;
        Ok(Value::Bool(v(a)?.chars().any(|x| c.contains(x))))
    });
    p.f("equalFold", &["v", "t"], &[], None, |_, a| {
        let t = a.string("t")?;
        Ok(Value::Bool(v(a)?.to_lowercase() == t.to_lowercase()))
    });
    p.f("compare", &["v", "t"], &[], None, |_, a| {
        let t = a.string("t")?;
        Ok(Value::Int(v(a)?.cmp(&t) as i64))
    });
    p.f("countStr", &["v", "substr"], &[], None, |_, a| {
        let sub = a.string("substr")?;
        Ok(Value::Int(if sub.is_empty() {
            v(a)?.chars().count() as i64 + 1
        } else {
            v(a)?.matches(&sub).count() as i64
        }))
    });
    p.f("index", &["v", "substr"], &[], None, |_, a| {
        let sub = a.string("substr")?;
        Ok(Value::Int(v(a)?.find(&sub).map(|i| i as i64).unwrap_or(-1)))
    });
    p.f("lastIndex", &["v", "substr"], &[], None, |_, a| {
        let sub = a.string("substr")?;
        Ok(Value::Int(
            v(a)?.rfind(&sub).map(|i| i as i64).unwrap_or(-1),
        ))
    });
    p.f("repeat", &["v", "i"], &[], None, |_, a| {
        let i = a.opt_int("i")?.unwrap_or(0).max(0) as usize;
        Ok(Value::str(v(a)?.repeat(i)))
    });
    p.f("replace", &["v", "t", "u", "i"], &[], None, |_, a| {
        let (t, u) = (a.string("t")?, a.string("u")?);
        let i = a.opt_int("i")?.unwrap_or(-1);
        let s = v(a)?;
        Ok(Value::str(if i < 0 {
            s.replace(&t, &u)
        } else {
            s.replacen(&t, &u, i as usize)
        }))
    });
    p.f("replaceAll", &["v", "t", "u"], &[], None, |_, a| {
        let (t, u) = (a.string("t")?, a.string("u")?);
        Ok(Value::str(v(a)?.replace(&t, &u)))
    });
    p.f("split", &["v", "t"], &[], None, |_, a| {
        let t = a.string("t")?;
        let s = v(a)?;
        let parts: Vec<Value> = if t.is_empty() {
            s.chars().map(|c| Value::str(c.to_string())).collect()
        } else {
            s.split(t.as_str()).map(Value::str).collect()
        };
        Ok(Value::Array(Arc::new(parts)))
    });
    p.f("splitN", &["v", "t", "i"], &[], None, |_, a| {
        let (t, s) = (a.string("t")?, v(a)?);
        let i = a.opt_int("i")?.unwrap_or(-1);
        Ok(strings_array(split_go(&s, &t, i, false)))
    });
    p.f("splitAfter", &["v", "t"], &[], None, |_, a| {
        let (t, s) = (a.string("t")?, v(a)?);
        Ok(strings_array(split_go(&s, &t, -1, true)))
    });
    p.f("splitAfterN", &["v", "t", "i"], &[], None, |_, a| {
        let (t, s) = (a.string("t")?, v(a)?);
        let i = a.opt_int("i")?.unwrap_or(-1);
        Ok(strings_array(split_go(&s, &t, i, true)))
    });
    p.f("indexAny", &["v", "chars"], &[], None, |_, a| {
        let c = a.string("chars")?;
        let s = v(a)?;
        Ok(Value::Int(
            s.find(|x| c.contains(x)).map(|i| i as i64).unwrap_or(-1),
        ))
    });
    p.f("lastIndexAny", &["v", "chars"], &[], None, |_, a| {
        let c = a.string("chars")?;
        let s = v(a)?;
        Ok(Value::Int(
            s.rfind(|x| c.contains(x)).map(|i| i as i64).unwrap_or(-1),
        ))
    });
    p.f("toTitle", &["v"], &[], None, |_, a| {
        Ok(Value::str(v(a)?.to_uppercase()))
    });
    p.f("isDigit", &["v"], &[], None, |_, a| {
        char_test(a, char::is_numeric)
    });
    p.f("isLetter", &["v"], &[], None, |_, a| {
        char_test(a, char::is_alphabetic)
    });
    p.f("isLower", &["v"], &[], None, |_, a| {
        char_test(a, char::is_lowercase)
    });
    p.f("isUpper", &["v"], &[], None, |_, a| {
        char_test(a, char::is_uppercase)
    });
    p.f("joinStr", &["arr", "v"], &[], None, |_, a| {
        let arr = a.strings("arr")?;
        Ok(Value::str(arr.join(&v(a)?)))
    });
    p.f("strlen", &["v"], &[], None, |_, a| {
        Ok(Value::Int(v(a)?.chars().count() as i64))
    });
    p.f("substring", &["v", "start", "end"], &[], None, |_, a| {
        let s: Vec<char> = v(a)?.chars().collect();
        let start = a.opt_int("start")?.unwrap_or(0).clamp(0, s.len() as i64) as usize;
        let end = a
            .opt_int("end")?
            .unwrap_or(s.len() as i64)
            .clamp(start as i64, s.len() as i64) as usize;
        Ok(Value::str(s[start..end].iter().collect::<String>()))
    });
    p
}

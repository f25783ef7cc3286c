//! Typed reads of a handler's merged options (service configuration
//! under the handler spec's own options), with errors naming the option.

use serde_json::{Map, Value};

/// A handler's options after merging, tagged with its kind for errors.
#[derive(Debug, Clone)]
pub struct Opts<'a> {
    /// Handler kind (`pagerduty2`, `smtp`, ...).
    pub kind: &'a str,
    /// The merged options.
    pub map: &'a Map<String, Value>,
}

impl<'a> Opts<'a> {
    /// Wraps a merged option map.
    pub fn new(kind: &'a str, map: &'a Map<String, Value>) -> Opts<'a> {
        Opts { kind, map }
    }

    fn bad(&self, key: &str, want: &str) -> String {
        format!("{} handler: option {key:?} must be {want}", self.kind)
    }

    /// A string option, empty when absent.
    pub fn string(&self, key: &str) -> Result<String, String> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(self.bad(key, "a string")),
        }
    }

    /// The first non-empty of several string options (handler key, then config key).
    pub fn first_string(&self, keys: &[&str]) -> Result<String, String> {
        for k in keys {
            let s = self.string(k)?;
            if !s.is_empty() {
                return Ok(s);
            }
        }
        Ok(String::new())
    }

    /// A required non-empty string option; `hint` says where it usually comes from.
    pub fn required(&self, key: &str, hint: &str) -> Result<String, String> {
        let s = self.string(key)?;
        if s.is_empty() {
            return Err(format!(
                "{} handler: missing option {key:?} ({hint})",
                self.kind
            ));
        }
        Ok(s)
    }

    /// A boolean option, `false` when absent.
    pub fn bool(&self, key: &str) -> Result<bool, String> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(self.bad(key, "a boolean")),
        }
    }

    /// An integer option, `default` when absent.
    pub fn int(&self, key: &str, default: i64) -> Result<i64, String> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Number(n)) => n.as_i64().ok_or_else(|| self.bad(key, "an integer")),
            Some(_) => Err(self.bad(key, "an integer")),
        }
    }

    /// A list of strings (a single string counts as a list of one), empty when absent.
    pub fn strings(&self, key: &str) -> Result<Vec<String>, String> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::String(s)) if s.is_empty() => Ok(Vec::new()),
            Some(Value::String(s)) => Ok(vec![s.clone()]),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(String::from)
                        .ok_or_else(|| self.bad(key, "a list of strings"))
                })
                .collect(),
            Some(_) => Err(self.bad(key, "a list of strings")),
        }
    }

    /// A string-to-string object option, empty when absent.
    pub fn string_map(&self, key: &str) -> Result<Vec<(String, String)>, String> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Object(o)) => o
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    _ => Err(self.bad(key, "an object of strings")),
                })
                .collect(),
            Some(_) => Err(self.bad(key, "an object of strings")),
        }
    }

    /// A duration option (Kapacitor duration text like `10s`, or integer
    /// nanoseconds), `default` ns when absent.
    pub fn duration(&self, key: &str, default: i64) -> Result<i64, String> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::String(s)) if s.is_empty() => Ok(default),
            Some(Value::String(s)) => {
                parse_go_duration(s).ok_or_else(|| self.bad(key, "a duration like \"10s\""))
            }
            Some(Value::Number(n)) => n.as_i64().ok_or_else(|| self.bad(key, "a duration")),
            Some(_) => Err(self.bad(key, "a duration")),
        }
    }

    /// A URL option that must be http(s).
    pub fn http_url(&self, key: &str, hint: &str) -> Result<String, String> {
        let u = self.required(key, hint)?;
        if !(u.starts_with("http://") || u.starts_with("https://")) {
            return Err(format!("{} handler: invalid {key} {u:?}", self.kind));
        }
        Ok(u)
    }
}

/// Parses Go's duration text (`1h0m0s`, `1.5s`, `100ms`, `10us`, `-2m`), as
/// Kapacitor writes durations in handler options; ns.
pub fn parse_go_duration(s: &str) -> Option<i64> {
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return None;
        }
        let n: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let mult = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += n * mult;
    }
    if total > i64::MAX as f64 {
        return None;
    }
    let ns = total.round() as i64;
    Some(if neg { -ns } else { ns })
}

#[cfg(test)]
mod tests {
    use super::parse_go_duration;

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("1h0m0s"), Some(3_600_000_000_000));
        assert_eq!(parse_go_duration("1.5s"), Some(1_500_000_000));
        assert_eq!(parse_go_duration("100ms"), Some(100_000_000));
        assert_eq!(parse_go_duration("10µs"), Some(10_000));
        assert_eq!(parse_go_duration("-2m"), Some(-120_000_000_000));
        assert_eq!(parse_go_duration("0"), Some(0));
        assert_eq!(parse_go_duration("10"), None);
        assert_eq!(parse_go_duration("1d"), None);
        assert_eq!(parse_go_duration(""), None);
    }
}

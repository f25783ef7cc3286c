//! `data_format = "grok"`: Logstash-style `%{PATTERN:name:modifier}` patterns compiled to
//! regexes, with a built-in library of the common patterns (including Telegraf's
//! `COMMON_LOG_FORMAT` and `COMBINED_LOG_FORMAT`).

use std::collections::HashMap;

use regex::Regex;

use super::{ParseError, Parser};
use crate::metric::{Metric, Value};
use crate::timefmt;

/// Built-in patterns (name, regex with `%{...}` references).
const BUILTIN: &[(&str, &str)] = &[
    ("USERNAME", r"[a-zA-Z0-9._-]+"),
    ("USER", r"%{USERNAME}"),
    ("EMAILLOCALPART", r"[a-zA-Z][a-zA-Z0-9_.+-=:]+"),
    ("EMAILADDRESS", r"%{EMAILLOCALPART}@%{HOSTNAME}"),
    ("INT", r"[+-]?(?:[0-9]+)"),
    ("BASE10NUM", r"[+-]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)"),
    ("NUMBER", r"%{BASE10NUM}"),
    ("BASE16NUM", r"(?:0[xX])?[0-9A-Fa-f]+"),
    ("POSINT", r"\b[1-9][0-9]*\b"),
    ("NONNEGINT", r"\b[0-9]+\b"),
    ("WORD", r"\b\w+\b"),
    ("NOTSPACE", r"\S+"),
    ("SPACE", r"\s*"),
    ("DATA", r".*?"),
    ("GREEDYDATA", r".*"),
    (
        "QUOTEDSTRING",
        r#""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`"#,
    ),
    ("QS", r"%{QUOTEDSTRING}"),
    (
        "UUID",
        r"[A-Fa-f0-9]{8}-(?:[A-Fa-f0-9]{4}-){3}[A-Fa-f0-9]{12}",
    ),
    (
        "MAC",
        r"(?:[A-Fa-f0-9]{2}[:-]){5}[A-Fa-f0-9]{2}|(?:[A-Fa-f0-9]{4}\.){2}[A-Fa-f0-9]{4}",
    ),
    (
        "IPV4",
        r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])",
    ),
    (
        "IPV6",
        r"(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?:%[0-9A-Za-z]+)?",
    ),
    ("IP", r"(?:%{IPV6}|%{IPV4})"),
    (
        "HOSTNAME",
        r"\b(?:[0-9A-Za-z][0-9A-Za-z-]{0,62})(?:\.(?:[0-9A-Za-z][0-9A-Za-z-]{0,62}))*\.?",
    ),
    ("HOST", r"%{HOSTNAME}"),
    ("IPORHOST", r"(?:%{IP}|%{HOSTNAME})"),
    ("HOSTPORT", r"%{IPORHOST}:%{POSINT}"),
    ("PATH", r"(?:/[^\s]*)+"),
    ("URIPROTO", r"[A-Za-z]+(?:\+[A-Za-z+]+)?"),
    ("URIHOST", r"%{IPORHOST}(?::%{POSINT})?"),
    ("URIPATH", r"(?:/[A-Za-z0-9$.+!*'(){},~:;=@#%&_\-]*)+"),
    ("URIPARAM", r"\?[A-Za-z0-9$.+!*'|(){},~@#%&/=:;_?\-\[\]<>]*"),
    ("URIPATHPARAM", r"%{URIPATH}(?:%{URIPARAM})?"),
    (
        "URI",
        r"%{URIPROTO}://(?:%{USER}(?::[^@]*)?@)?(?:%{URIHOST})?(?:%{URIPATHPARAM})?",
    ),
    (
        "MONTH",
        r"\b(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:tember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b",
    ),
    ("MONTHNUM", r"(?:0?[1-9]|1[0-2])"),
    ("MONTHDAY", r"(?:(?:0[1-9])|(?:[12][0-9])|(?:3[01])|[1-9])"),
    (
        "DAY",
        r"(?:Mon(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Fri(?:day)?|Sat(?:urday)?|Sun(?:day)?)",
    ),
    ("YEAR", r"(?:\d\d){1,2}"),
    ("HOUR", r"(?:2[0123]|[01]?[0-9])"),
    ("MINUTE", r"(?:[0-5][0-9])"),
    ("SECOND", r"(?:(?:[0-5]?[0-9]|60)(?:[:.,][0-9]+)?)"),
    ("TIME", r"%{HOUR}:%{MINUTE}(?::%{SECOND})?"),
    ("DATE_US", r"%{MONTHNUM}[/-]%{MONTHDAY}[/-]%{YEAR}"),
    ("DATE_EU", r"%{MONTHDAY}[./-]%{MONTHNUM}[./-]%{YEAR}"),
    ("ISO8601_TIMEZONE", r"(?:Z|[+-]%{HOUR}(?::?%{MINUTE}))"),
    ("ISO8601_SECOND", r"(?:%{SECOND}|60)"),
    (
        "TIMESTAMP_ISO8601",
        r"%{YEAR}-%{MONTHNUM}-%{MONTHDAY}[T ]%{HOUR}:?%{MINUTE}(?::?%{SECOND})?%{ISO8601_TIMEZONE}?",
    ),
    ("DATE", r"%{DATE_US}|%{DATE_EU}"),
    ("DATESTAMP", r"%{DATE}[- ]%{TIME}"),
    ("TZ", r"[A-Z]{3}"),
    ("HTTPDATE", r"%{MONTHDAY}/%{MONTH}/%{YEAR}:%{TIME} %{INT}"),
    ("SYSLOGTIMESTAMP", r"%{MONTH} +%{MONTHDAY} %{TIME}"),
    (
        "LOGLEVEL",
        r"(?:[Aa]lert|ALERT|[Tt]race|TRACE|[Dd]ebug|DEBUG|[Nn]otice|NOTICE|[Ii]nfo|INFO|[Ww]arn?(?:ing)?|WARN?(?:ING)?|[Ee]rr?(?:or)?|ERR?(?:OR)?|[Cc]rit?(?:ical)?|CRIT?(?:ICAL)?|[Ff]atal|FATAL|[Ss]evere|SEVERE|EMERG(?:ENCY)?|[Ee]merg(?:ency)?)",
    ),
    ("NGUSERNAME", r"[a-zA-Z0-9._@%+-]+"),
    ("NGUSER", r"%{NGUSERNAME}"),
    ("CLIENT", r"(?:%{IPORHOST}|-)"),
    (
        "COMMON_LOG_FORMAT",
        r#"%{CLIENT:client_ip} %{NOTSPACE:ident} %{NOTSPACE:auth} \[%{HTTPDATE:ts:ts-httpd}\] "(?:%{WORD:verb:tag} %{NOTSPACE:request}(?: HTTP/%{NUMBER:http_version:float})?|%{DATA})" %{NUMBER:resp_code:tag} (?:%{NUMBER:resp_bytes:int}|-)"#,
    ),
    (
        "COMBINED_LOG_FORMAT",
        r"%{COMMON_LOG_FORMAT} %{QS:referrer} %{QS:agent}",
    ),
];

/// What to do with a capture.
#[derive(Debug, Clone, PartialEq)]
enum Modifier {
    Str,
    Int,
    Float,
    Tag,
    Drop,
    Duration,
    Ts(String),
}

/// Compiled pattern: regex plus group → (name, modifier).
#[derive(Debug, Clone)]
struct Compiled {
    re: Regex,
    groups: Vec<(String, String, Modifier)>,
}

/// The grok parser.
#[derive(Debug, Clone)]
pub struct GrokParser {
    name: String,
    patterns: Vec<Compiled>,
}

fn modifier(m: &str) -> Result<Modifier, String> {
    Ok(match m {
        "" | "string" => Modifier::Str,
        "int" => Modifier::Int,
        "float" => Modifier::Float,
        "tag" => Modifier::Tag,
        "drop" => Modifier::Drop,
        "duration" => Modifier::Duration,
        "ts" => Modifier::Ts("auto".into()),
        t if t.starts_with("ts-") => Modifier::Ts(t[3..].trim_matches('"').to_string()),
        other => return Err(format!("unknown grok modifier {other:?}")),
    })
}

fn expand(
    pat: &str,
    lib: &HashMap<String, String>,
    groups: &mut Vec<(String, String, Modifier)>,
    depth: usize,
) -> Result<String, String> {
    if depth > 32 {
        return Err("grok pattern recursion too deep".into());
    }
    let mut out = String::new();
    let mut rest = pat;
    while let Some(i) = rest.find("%{") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("unterminated %{{ in {pat:?}"))?;
        let spec = &after[..end];
        let mut parts = spec.splitn(3, ':');
        let pname = parts.next().unwrap_or("");
        let fname = parts.next();
        let modi = parts.next().unwrap_or("");
        let def = lib
            .get(pname)
            .ok_or_else(|| format!("unknown grok pattern {pname:?}"))?;
        let inner = expand(def, lib, groups, depth + 1)?;
        match fname {
            Some(f) if !f.is_empty() => {
                let g = format!("g{}", groups.len());
                groups.push((g.clone(), f.to_string(), modifier(modi)?));
                out.push_str(&format!("(?P<{g}>{inner})"));
            }
            _ => out.push_str(&format!("(?:{inner})")),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn parse_duration(s: &str) -> Option<i64> {
    crate::config::Dur::parse(s)
        .ok()
        .map(|d| d.0.as_nanos() as i64)
}

impl GrokParser {
    /// Compiles `patterns` with the built-in library plus `custom` (`NAME regex` lines).
    pub fn new(name: &str, patterns: &[String], custom: &str) -> Result<GrokParser, String> {
        if patterns.is_empty() {
            return Err("grok_patterns must not be empty".into());
        }
        let mut lib: HashMap<String, String> = BUILTIN
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        for line in custom.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (k, v) = line
                .split_once(char::is_whitespace)
                .ok_or_else(|| format!("invalid custom pattern line {line:?}"))?;
            lib.insert(k.to_string(), v.trim().to_string());
        }
        let mut compiled = Vec::new();
        for p in patterns {
            let mut groups = Vec::new();
            let re_src = expand(p, &lib, &mut groups, 0)?;
            let re = Regex::new(&format!("^(?:{re_src})$"))
                .map_err(|e| format!("grok pattern {p:?}: {e}"))?;
            compiled.push(Compiled { re, groups });
        }
        Ok(GrokParser {
            name: if name.is_empty() {
                "grok".into()
            } else {
                name.into()
            },
            patterns: compiled,
        })
    }

    fn line(&self, line: &str, now: i64) -> Option<Metric> {
        for c in &self.patterns {
            let Some(caps) = c.re.captures(line) else {
                continue;
            };
            let mut m = Metric::new(&self.name, now);
            for (g, name, modi) in &c.groups {
                let Some(v) = caps.name(g).map(|x| x.as_str()) else {
                    continue;
                };
                if v.is_empty() || v == "-" && !matches!(modi, Modifier::Str | Modifier::Tag) {
                    continue;
                }
                match modi {
                    Modifier::Str => m.add_field(name.clone(), v),
                    Modifier::Tag => m.add_tag(name.clone(), v),
                    Modifier::Drop => {}
                    Modifier::Int => {
                        if let Ok(i) = v.parse::<i64>() {
                            m.add_field(name.clone(), i);
                        }
                    }
                    Modifier::Float => {
                        if let Ok(f) = v.parse::<f64>() {
                            m.add_field(name.clone(), f);
                        }
                    }
                    Modifier::Duration => {
                        if let Some(d) = parse_duration(v) {
                            m.add_field(name.clone(), d);
                        }
                    }
                    Modifier::Ts(fmt) => {
                        let layout = match fmt.as_str() {
                            "httpd" => "02/Jan/2006:15:04:05 -0700",
                            "rfc3339" => "RFC3339",
                            "rfc3339nano" => "RFC3339Nano",
                            "syslog" => "Jan _2 15:04:05",
                            "ansic" => "ANSIC",
                            "epoch" => "unix",
                            "epochmilli" => "unix_ms",
                            "epochnano" => "unix_ns",
                            "auto" => "RFC3339",
                            other => other,
                        };
                        if let Ok(t) = timefmt::parse_time(&Value::Str(v.to_string()), layout) {
                            m.time = t;
                        }
                    }
                }
            }
            return Some(m);
        }
        None
    }
}

impl Parser for GrokParser {
    fn parse(&self, data: &[u8], now: i64) -> Result<Vec<Metric>, ParseError> {
        let text = String::from_utf8_lossy(data);
        let mut out = Vec::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            match self.line(line, now) {
                Some(m) if !m.fields.is_empty() => out.push(m),
                Some(_) => {}
                None => {
                    return Err(ParseError::new(format!(
                        "grok: no pattern matched {line:?}"
                    )))
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn combined_log_format() {
        let p = GrokParser::new("tail", &["%{COMBINED_LOG_FORMAT}".into()], "").unwrap();
        let line = r#"127.0.0.1 user-identifier frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08""#;
        let ms = p.parse(line.as_bytes(), 0).unwrap();
        let m = &ms[0];
        assert_eq!(m.name, "tail");
        assert_eq!(m.tag("verb"), Some("GET"));
        assert_eq!(m.tag("resp_code"), Some("200"));
        assert_eq!(m.field("client_ip"), Some(&Value::Str("127.0.0.1".into())));
        assert_eq!(
            m.field("request"),
            Some(&Value::Str("/apache_pb.gif".into()))
        );
        assert_eq!(m.field("resp_bytes"), Some(&Value::Int(2326)));
        assert_eq!(m.field("http_version"), Some(&Value::Float(1.0)));
        assert_eq!(
            m.field("agent"),
            Some(&Value::Str("\"Mozilla/4.08\"".into()))
        );
        assert_eq!(m.time, 971_211_336_000_000_000);
        assert!(p.parse(b"garbage", 0).is_err());
    }

    #[test]
    fn custom_patterns_and_modifiers() {
        let p = GrokParser::new(
            "app",
            &["%{TIMESTAMP_ISO8601:ts:ts-rfc3339} %{LOGLEVEL:level:tag} took=%{DURATION:took:duration} n=%{NUMBER:n:float} %{GREEDYDATA:msg}".into()],
            "DURATION [0-9.]+(?:ms|s)\n",
        )
        .unwrap();
        let ms = p
            .parse(b"2024-01-02T03:04:05Z ERROR took=1.5s n=3 disk full", 0)
            .unwrap();
        let m = &ms[0];
        assert_eq!(m.tag("level"), Some("ERROR"));
        assert_eq!(m.field("took"), Some(&Value::Int(1_500_000_000)));
        assert_eq!(m.field("n"), Some(&Value::Float(3.0)));
        assert_eq!(m.field("msg"), Some(&Value::Str("disk full".into())));
        assert_eq!(m.time, 1_704_164_645_000_000_000);
        assert!(GrokParser::new("x", &["%{NOPE}".into()], "").is_err());
        assert!(GrokParser::new("x", &["%{WORD:a:weird}".into()], "").is_err());
        assert!(
            GrokParser::new("x", &["%{A}".into()], "A %{A}").is_err(),
            "recursion bounded"
        );
    }

    proptest! {
        #[test]
        fn never_panics(s in ".{0,80}") {
            let p = GrokParser::new("x", &["%{COMBINED_LOG_FORMAT}".into(), "%{SYSLOGTIMESTAMP:ts:ts-syslog} %{GREEDYDATA:m}".into()], "").unwrap();
            let _ = p.parse(s.as_bytes(), 0);
        }
    }
}

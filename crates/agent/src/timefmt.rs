//! Time parsing shared by parsers and processors: `unix`, `unix_ms`, `unix_us`, `unix_ns`
//! and Go reference layouts (`2006-01-02T15:04:05Z07:00`) translated to chrono formats.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

use crate::metric::Value;

/// Translates a Go time layout to a chrono format string.
pub fn go_layout_to_chrono(layout: &str) -> String {
    const TOKENS: &[(&str, &str)] = &[
        ("January", "%B"),
        ("Monday", "%A"),
        ("2006", "%Y"),
        ("Z07:00", "%:z"),
        ("-07:00", "%:z"),
        ("Z0700", "%z"),
        ("-0700", "%z"),
        (".000000000", "%.9f"),
        (".999999999", "%.f"),
        (".000000", "%.6f"),
        (".999999", "%.f"),
        (".000", "%.3f"),
        (".999", "%.f"),
        ("Jan", "%b"),
        ("Mon", "%a"),
        ("MST", "%Z"),
        ("_2", "%e"),
        ("01", "%m"),
        ("02", "%d"),
        ("03", "%I"),
        ("04", "%M"),
        ("05", "%S"),
        ("06", "%y"),
        ("15", "%H"),
        ("PM", "%p"),
        ("pm", "%P"),
        ("1", "%-m"),
        ("2", "%-d"),
        ("3", "%-I"),
        ("4", "%-M"),
        ("5", "%-S"),
    ];
    let mut out = String::new();
    let mut rest = layout;
    'outer: while !rest.is_empty() {
        for (go, ch) in TOKENS {
            if let Some(r) = rest.strip_prefix(go) {
                out.push_str(ch);
                rest = r;
                continue 'outer;
            }
        }
        let c = rest.chars().next().unwrap_or(' ');
        if c == '%' {
            out.push_str("%%");
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Named layouts Telegraf accepts besides Go layouts.
fn named_layout(name: &str) -> Option<&'static str> {
    Some(match name {
        "RFC3339" => "2006-01-02T15:04:05Z07:00",
        "RFC3339Nano" => "2006-01-02T15:04:05.999999999Z07:00",
        "RFC1123" => "Mon, 02 Jan 2006 15:04:05 MST",
        "RFC1123Z" => "Mon, 02 Jan 2006 15:04:05 -0700",
        "RFC822" => "02 Jan 06 15:04 MST",
        "RFC822Z" => "02 Jan 06 15:04 -0700",
        "ANSIC" => "Mon Jan _2 15:04:05 2006",
        "DateTime" => "2006-01-02 15:04:05",
        "DateOnly" => "2006-01-02",
        _ => return None,
    })
}

/// Parses a timestamp value with `format` (`unix*` or a layout); returns ns.
pub fn parse_time(value: &Value, format: &str) -> Result<i64, String> {
    let unit = match format {
        "unix" => Some(1_000_000_000f64),
        "unix_ms" => Some(1_000_000f64),
        "unix_us" => Some(1_000f64),
        "unix_ns" => Some(1f64),
        _ => None,
    };
    if let Some(mult) = unit {
        let f = match value {
            Value::Str(s) => s
                .trim()
                .parse::<f64>()
                .map_err(|_| format!("invalid {format} time {s:?}"))?,
            v => v.as_f64().ok_or("invalid time")?,
        };
        if let (Value::Int(i), 1) = (value, mult as i64) {
            return Ok(*i);
        }
        let ns = f * mult;
        if !ns.is_finite() || ns.abs() > 9.2e18 {
            return Err("time out of range".into());
        }
        return Ok(ns as i64);
    }
    let s = value.to_plain_string();
    parse_layout(&s, format)
}

/// Parses `s` with a Go layout (or a named one); naive times are UTC.
pub fn parse_layout(s: &str, layout: &str) -> Result<i64, String> {
    let layout = named_layout(layout).unwrap_or(layout);
    let fmt = go_layout_to_chrono(layout);
    let s = s.trim();
    let to_ns = |dt: DateTime<Utc>| {
        dt.timestamp_nanos_opt()
            .ok_or_else(|| "time out of range".to_string())
    };
    if let Ok(dt) = DateTime::parse_from_str(s, &fmt) {
        return to_ns(dt.with_timezone(&Utc));
    }
    // chrono's %:z does not accept a literal Z.
    if fmt.contains("%:z") && s.ends_with('Z') {
        let s2 = format!("{}+00:00", &s[..s.len() - 1]);
        if let Ok(dt) = DateTime::parse_from_str(&s2, &fmt) {
            return to_ns(dt.with_timezone(&Utc));
        }
    }
    if let Ok(n) = NaiveDateTime::parse_from_str(s, &fmt) {
        return to_ns(Utc.from_utc_datetime(&n));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, &fmt) {
        if let Some(n) = d.and_hms_opt(0, 0, 0) {
            return to_ns(Utc.from_utc_datetime(&n));
        }
    }
    Err(format!("cannot parse {s:?} with layout {layout:?}"))
}

/// Formats ns with a Go layout (UTC).
pub fn format_layout(ns: i64, layout: &str) -> String {
    let layout = named_layout(layout).unwrap_or(layout);
    let dt = Utc.timestamp_nanos(ns);
    let fmt = go_layout_to_chrono(layout);
    let s = dt.format(&fmt).to_string();
    // Go prints Z for UTC with Z07:00 layouts.
    if layout.contains("Z07:00") {
        s.replace("+00:00", "Z")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts() {
        assert_eq!(
            parse_layout("2024-01-02T03:04:05Z", "2006-01-02T15:04:05Z07:00"),
            Ok(1_704_164_645_000_000_000)
        );
        assert_eq!(
            parse_layout("2024-01-02T05:04:05+02:00", "RFC3339"),
            Ok(1_704_164_645_000_000_000)
        );
        assert_eq!(
            parse_layout("2024-01-02 03:04:05", "2006-01-02 15:04:05"),
            Ok(1_704_164_645_000_000_000)
        );
        assert_eq!(
            parse_layout("2024-01-02", "2006-01-02"),
            Ok(1_704_153_600_000_000_000)
        );
        assert!(parse_layout("garbage", "2006-01-02").is_err());
        assert_eq!(
            format_layout(1_704_164_645_000_000_000, "2006-01-02T15:04:05Z07:00"),
            "2024-01-02T03:04:05Z"
        );
    }

    #[test]
    fn unix() {
        assert_eq!(parse_time(&Value::Float(1.5), "unix"), Ok(1_500_000_000));
        assert_eq!(
            parse_time(&Value::Str("1700".into()), "unix_ms"),
            Ok(1_700_000_000)
        );
        assert_eq!(parse_time(&Value::Int(5), "unix_ns"), Ok(5));
        assert!(parse_time(&Value::Str("x".into()), "unix").is_err());
    }
}

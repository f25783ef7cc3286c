//! Small parsers for command-line values.

use anyhow::{bail, Context};

/// Parses a duration such as `10s`, `12h`, `500ms`, `1h30m` or `2d` into ns.
/// Units: `ns`, `us`/`µs`, `ms`, `s`, `m`, `h`, `d`, `w`.
pub fn parse_duration_ns(s: &str) -> anyhow::Result<i64> {
    let s = s.trim();
    if s.is_empty() {
        bail!("empty duration");
    }
    let mut total: i64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            bail!("invalid duration {s:?}: expected a number");
        }
        let n: i64 = rest[..digits]
            .parse()
            .with_context(|| format!("invalid duration {s:?}"))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let scale: i64 = match unit {
            "ns" => 1,
            "us" | "µs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60 * 1_000_000_000,
            "h" => 3_600 * 1_000_000_000,
            "d" => 86_400 * 1_000_000_000,
            "w" => 7 * 86_400 * 1_000_000_000,
            "" => bail!("invalid duration {s:?}: missing unit (ns, us, ms, s, m, h, d, w)"),
            other => bail!("invalid duration {s:?}: unknown unit {other:?}"),
        };
        let part = n
            .checked_mul(scale)
            .with_context(|| format!("duration {s:?} is too long"))?;
        total = total
            .checked_add(part)
            .with_context(|| format!("duration {s:?} is too long"))?;
    }
    Ok(total)
}

/// Parses an RFC 3339 timestamp (`2016-01-01T00:00:00Z`) into ns since the epoch.
pub fn parse_time_ns(s: &str) -> anyhow::Result<i64> {
    let t = chrono::DateTime::parse_from_rfc3339(s.trim())
        .with_context(|| format!("invalid RFC 3339 time {s:?}"))?;
    t.timestamp_nanos_opt()
        .with_context(|| format!("time {s:?} is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ns("10s").unwrap(), 10_000_000_000);
        assert_eq!(parse_duration_ns("12h").unwrap(), 43_200_000_000_000);
        assert_eq!(parse_duration_ns("1h30m").unwrap(), 5_400_000_000_000);
        assert_eq!(parse_duration_ns("250ms").unwrap(), 250_000_000);
        assert_eq!(parse_duration_ns("3d").unwrap(), 259_200_000_000_000);
        assert!(parse_duration_ns("10").is_err());
        assert!(parse_duration_ns("s").is_err());
        assert!(parse_duration_ns("5x").is_err());
        assert!(parse_duration_ns("").is_err());
    }

    #[test]
    fn times() {
        assert_eq!(
            parse_time_ns("2016-01-01T00:00:00Z").unwrap(),
            1_451_606_400_000_000_000
        );
        assert_eq!(
            parse_time_ns("2016-01-01T01:00:00+01:00").unwrap(),
            1_451_606_400_000_000_000
        );
        assert!(parse_time_ns("2016-01-01").is_err());
    }
}

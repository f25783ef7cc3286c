//! Cron expressions (UTC), shared by batch `query` nodes (`.cron('…')`) and
//! the server's InfluxDB 2 task scheduler.
//!
//! Two dialects differ only in what six fields mean:
//! - [`Cron::parse`] (InfluxDB 2 tasks): 5 fields `min hour dom month dow`,
//!   or 6 with seconds first.
//! - [`Cron::parse_kapacitor`] (Kapacitor, gorhill/cronexpr): 5 fields, 6
//!   with a year last, or 7 `sec min hour dom month dow year`.
//!
//! Fields take `*`, `?`, numbers, `a-b`, `*/n`, `a/n`, `a-b/n` and comma
//! lists; months and weekdays also take names (`JAN`, `mon-fri`); weekday 7
//! is Sunday. `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`,
//! `@midnight` and `@hourly` are accepted. When both day-of-month and
//! day-of-week are restricted a day matching either runs.

use chrono::{DateTime, Datelike, Timelike, Utc};

const NS_PER_SEC: i64 = 1_000_000_000;
const FIRST_YEAR: i32 = 1970;
const LAST_YEAR: i32 = 2099;

/// A cron expression that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid cron expression {expr:?}: {reason}")]
pub struct CronError {
    /// The expression as written.
    pub expr: String,
    /// What is wrong with it.
    pub reason: String,
}

/// A parsed cron expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    seconds: u64,
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    weekdays: u64,
    /// Allowed years, index `y - 1970`.
    years: Vec<bool>,
    /// Day-of-month restricted (not `*`).
    days_restricted: bool,
    /// Day-of-week restricted (not `*`).
    weekdays_restricted: bool,
}

const MONTHS: &[&str] = &[
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

fn shortcut(text: &str) -> Option<&'static str> {
    Some(match text {
        "@yearly" | "@annually" => "0 0 0 1 1 *",
        "@monthly" => "0 0 0 1 * *",
        "@weekly" => "0 0 0 * * 0",
        "@daily" | "@midnight" => "0 0 0 * * *",
        "@hourly" => "0 0 * * * *",
        _ => return None,
    })
}

impl Cron {
    /// Parses InfluxDB 2's form: 5 fields, or 6 with seconds first.
    pub fn parse(text: &str) -> Result<Cron, CronError> {
        let trimmed = text.trim();
        let expanded = shortcut(trimmed).unwrap_or(trimmed);
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        let fields: Vec<&str> = match fields.len() {
            5 => std::iter::once("0").chain(fields).collect(),
            6 => fields,
            n => return Err(error(text, format!("expected 5 or 6 fields, found {n}"))),
        };
        Cron::from_fields(text, &fields, "*")
    }

    /// Parses Kapacitor's form: 5 fields, 6 with a year last, or 7 with
    /// seconds first and a year last.
    pub fn parse_kapacitor(text: &str) -> Result<Cron, CronError> {
        let trimmed = text.trim();
        if let Some(s) = shortcut(trimmed) {
            let fields: Vec<&str> = s.split_whitespace().collect();
            return Cron::from_fields(text, &fields, "*");
        }
        let fields: Vec<&str> = trimmed.split_whitespace().collect();
        match fields.len() {
            5 => {
                let f: Vec<&str> = std::iter::once("0").chain(fields).collect();
                Cron::from_fields(text, &f, "*")
            }
            6 => {
                let f: Vec<&str> = std::iter::once("0")
                    .chain(fields[..5].iter().copied())
                    .collect();
                Cron::from_fields(text, &f, fields[5])
            }
            7 => Cron::from_fields(text, &fields[..6], fields[6]),
            n => Err(error(text, format!("expected 5 to 7 fields, found {n}"))),
        }
    }

    /// Builds from six fields (seconds first) and a year field.
    fn from_fields(text: &str, f: &[&str], year: &str) -> Result<Cron, CronError> {
        let field = |i: usize, lo: u32, hi: u32, names: &[&str]| {
            parse_field(f[i], lo, hi, names).map_err(|m| error(text, m))
        };
        let weekdays = field(5, 0, 7, WEEKDAYS)?;
        let mut years = vec![false; (LAST_YEAR - FIRST_YEAR + 1) as usize];
        for y in field_values(year, FIRST_YEAR as u32, LAST_YEAR as u32, &[])
            .map_err(|m| error(text, m))?
        {
            years[(y - FIRST_YEAR as u32) as usize] = true;
        }
        Ok(Cron {
            seconds: field(0, 0, 59, &[])?,
            minutes: field(1, 0, 59, &[])?,
            hours: field(2, 0, 23, &[])?,
            days: field(3, 1, 31, &[])?,
            months: field(4, 1, 12, MONTHS)?,
            // 7 is Sunday too
            weekdays: (weekdays | (weekdays >> 7)) & 0x7f,
            years,
            days_restricted: f[3] != "*" && f[3] != "?",
            weekdays_restricted: f[5] != "*" && f[5] != "?",
        })
    }

    fn day_matches(&self, t: &DateTime<Utc>) -> bool {
        let dom = self.days & (1 << t.day()) != 0;
        let dow = self.weekdays & (1 << t.weekday().num_days_from_sunday()) != 0;
        match (self.days_restricted, self.weekdays_restricted) {
            (true, true) => dom || dow,
            (true, false) => dom,
            (false, true) => dow,
            (false, false) => true,
        }
    }

    fn year_matches(&self, year: i32) -> bool {
        (FIRST_YEAR..=LAST_YEAR).contains(&year) && self.years[(year - FIRST_YEAR) as usize]
    }

    /// The first matching time strictly after `after` (ns since the epoch),
    /// or `None` when nothing matches within about five years.
    pub fn next_after(&self, after: i64) -> Option<i64> {
        let secs = after.div_euclid(NS_PER_SEC) + 1;
        let mut t = DateTime::<Utc>::from_timestamp(secs, 0)?;
        let limit = t + chrono::Duration::days(5 * 366);
        while t < limit {
            if !self.year_matches(t.year()) {
                if t.year() > LAST_YEAR {
                    return None;
                }
                t = chrono::NaiveDate::from_ymd_opt(t.year() + 1, 1, 1)?
                    .and_hms_opt(0, 0, 0)?
                    .and_utc();
                continue;
            }
            if self.months & (1 << t.month()) == 0 {
                let (y, m) = if t.month() == 12 {
                    (t.year() + 1, 1)
                } else {
                    (t.year(), t.month() + 1)
                };
                t = chrono::NaiveDate::from_ymd_opt(y, m, 1)?
                    .and_hms_opt(0, 0, 0)?
                    .and_utc();
                continue;
            }
            if !self.day_matches(&t) {
                t = (t.date_naive() + chrono::Duration::days(1))
                    .and_hms_opt(0, 0, 0)?
                    .and_utc();
                continue;
            }
            if self.hours & (1 << t.hour()) == 0 {
                t = t.with_minute(0)?.with_second(0)? + chrono::Duration::hours(1);
                continue;
            }
            if self.minutes & (1 << t.minute()) == 0 {
                t = t.with_second(0)? + chrono::Duration::minutes(1);
                continue;
            }
            if self.seconds & (1 << t.second()) == 0 {
                t += chrono::Duration::seconds(1);
                continue;
            }
            return t.timestamp_nanos_opt();
        }
        None
    }
}

fn error(text: &str, reason: String) -> CronError {
    CronError {
        expr: text.to_string(),
        reason,
    }
}

/// One cron field of values in `lo..=hi` (≤ 63) as a bit set.
fn parse_field(text: &str, lo: u32, hi: u32, names: &[&str]) -> Result<u64, String> {
    Ok(field_values(text, lo, hi, names)?
        .into_iter()
        .fold(0, |bits, v| bits | 1 << v))
}

/// The values one cron field selects; `names` are month or weekday names.
fn field_values(text: &str, lo: u32, hi: u32, names: &[&str]) -> Result<Vec<u32>, String> {
    let mut values = Vec::new();
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (
                r,
                s.parse::<u32>()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| format!("invalid step in {part:?}"))?,
            ),
            None => (part, 1),
        };
        let number = |s: &str| {
            let by_name = names
                .iter()
                .position(|n| n.eq_ignore_ascii_case(s))
                .map(|i| i as u32 + if names.len() == 12 { 1 } else { 0 });
            by_name
                .or_else(|| s.parse::<u32>().ok())
                .filter(|n| (lo..=hi).contains(n))
                .ok_or_else(|| format!("{s:?} is not a value in {lo}-{hi}"))
        };
        let (start, end) = match range {
            "*" | "?" => (lo, hi),
            r => match r.split_once('-') {
                Some((a, b)) => (number(a)?, number(b)?),
                None if step > 1 => (number(r)?, hi),
                None => {
                    let n = number(r)?;
                    (n, n)
                }
            },
        };
        if start > end {
            return Err(format!("invalid range {range:?}"));
        }
        let mut v = start;
        while v <= end {
            values.push(v);
            v += step;
        }
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s)
            .unwrap()
            .timestamp_nanos_opt()
            .unwrap()
    }

    #[test]
    fn five_and_six_fields() {
        let c = Cron::parse("*/15 9-17 * * 1-5").unwrap();
        // Saturday 2024-01-06 → next Monday 09:00
        assert_eq!(
            c.next_after(ts("2024-01-06T12:00:00Z")),
            Some(ts("2024-01-08T09:00:00Z"))
        );
        assert_eq!(
            c.next_after(ts("2024-01-08T17:45:00Z")),
            Some(ts("2024-01-09T09:00:00Z"))
        );
        let six = Cron::parse("*/10 * * * * *").unwrap();
        assert_eq!(
            six.next_after(ts("2024-01-01T00:00:01Z")),
            Some(ts("2024-01-01T00:00:10Z"))
        );
        assert_eq!(
            Cron::parse("@monthly")
                .unwrap()
                .next_after(ts("2024-01-31T23:59:59Z")),
            Some(ts("2024-02-01T00:00:00Z"))
        );
        // day of month or day of week when both are given; 7 is Sunday
        let either = Cron::parse("0 0 13 * 7").unwrap();
        assert_eq!(
            either.next_after(ts("2024-01-01T00:00:00Z")),
            Some(ts("2024-01-07T00:00:00Z"))
        );
        assert!(Cron::parse("* * *").is_err());
        assert!(Cron::parse("*/0 * * * *").is_err());
        assert!(Cron::parse("5-1 * * * *").is_err());
        assert_eq!(
            Cron::parse("61 * * * *").unwrap_err().to_string(),
            "invalid cron expression \"61 * * * *\": \"61\" is not a value in 0-59"
        );
    }

    #[test]
    fn kapacitor_years_and_names() {
        // six fields: the last is a year
        let c = Cron::parse_kapacitor("15 10 * * * 2025").unwrap();
        assert_eq!(
            c.next_after(ts("2024-06-01T00:00:00Z")),
            Some(ts("2025-01-01T10:15:00Z"))
        );
        assert_eq!(c.next_after(ts("2025-12-31T10:15:00Z")), None);
        // seven fields: seconds first
        let c = Cron::parse_kapacitor("30 */5 * * * * *").unwrap();
        assert_eq!(
            c.next_after(ts("2024-01-01T00:00:31Z")),
            Some(ts("2024-01-01T00:05:30Z"))
        );
        let c = Cron::parse_kapacitor("0 12 * jan-feb MON-fri").unwrap();
        // 2024-01-06 is a Saturday
        assert_eq!(
            c.next_after(ts("2024-01-06T00:00:00Z")),
            Some(ts("2024-01-08T12:00:00Z"))
        );
        assert_eq!(
            c.next_after(ts("2024-02-29T12:00:00Z")),
            Some(ts("2025-01-01T12:00:00Z"))
        );
        assert!(Cron::parse_kapacitor("* * * *").is_err());
        assert!(Cron::parse_kapacitor("* * * * * 1969").is_err());
    }
}

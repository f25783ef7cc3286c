//! The `timezone` package and the location arithmetic shared by `date`:
//! a location is a record `{zone, offset}` (IANA zone name plus a fixed offset).

use super::PackageDef;
use crate::error::{Error, Result};
use crate::value::{Duration, Value};
use chrono::{NaiveDateTime, Offset, TimeZone};

/// A resolved location.
#[derive(Debug, Clone, Copy)]
pub struct Location {
    tz: Option<chrono_tz::Tz>,
    fixed: i64,
}

impl Location {
    /// UTC.
    pub const UTC: Location = Location { tz: None, fixed: 0 };

    /// Resolve a location record.
    pub fn from_value(v: &Value) -> Result<Location> {
        let Value::Record(r) = v else {
            return Err(Error::rt(format!(
                "location: expected record but found {}",
                v.type_name()
            )));
        };
        let zone = match r.get("zone") {
            Some(Value::String(z)) => z.to_string(),
            _ => "UTC".into(),
        };
        let fixed = match r.get("offset") {
            Some(Value::Duration(d)) => d.nanos,
            _ => 0,
        };
        let tz = if zone == "UTC" || zone.is_empty() {
            None
        } else {
            Some(
                zone.parse::<chrono_tz::Tz>()
                    .map_err(|_| Error::rt(format!("unknown time zone {zone:?}")))?,
            )
        };
        Ok(Location { tz, fixed })
    }

    /// True for UTC itself (no zone, no fixed offset).
    pub fn is_utc(&self) -> bool {
        self.tz.is_none() && self.fixed == 0
    }

    /// Offset from UTC (ns) in effect at a UTC instant.
    pub fn offset_at(&self, t: i64) -> i64 {
        let zone = match self.tz {
            Some(tz) => {
                let utc = chrono::DateTime::from_timestamp_nanos(t).naive_utc();
                tz.offset_from_utc_datetime(&utc).fix().local_minus_utc() as i64 * 1_000_000_000
            }
            None => 0,
        };
        zone + self.fixed
    }

    /// Wall-clock time of a UTC instant.
    pub fn to_local(&self, t: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp_nanos(t.saturating_add(self.offset_at(t))).naive_utc()
    }

    /// Local wall-clock nanoseconds (as if UTC) of an instant.
    pub fn local_nanos(&self, t: i64) -> i64 {
        t.saturating_add(self.offset_at(t))
    }

    /// UTC instant of a local wall-clock time given as nanoseconds (earliest on ambiguity).
    pub fn from_local_nanos(&self, local: i64) -> Result<i64> {
        let naive = chrono::DateTime::from_timestamp_nanos(local).naive_utc();
        let base = match self.tz {
            Some(tz) => {
                let r = tz.from_local_datetime(&naive);
                let dt = r.earliest().or_else(|| {
                    // inside a DST gap: move forward one hour
                    tz.from_local_datetime(&(naive + chrono::Duration::hours(1)))
                        .earliest()
                });
                dt.and_then(|d| d.timestamp_nanos_opt())
                    .ok_or_else(|| Error::rt("time out of range"))?
            }
            None => local,
        };
        Ok(base - self.fixed)
    }
}

/// Build the package definition.
pub fn package() -> PackageDef {
    let mut p = PackageDef::default();
    let utc = Value::record(vec![
        ("zone".into(), Value::str("UTC")),
        ("offset".into(), Value::Duration(Duration::default())),
    ]);
    p.consts.push(("utc", utc));
    p.f("fixed", &["offset"], &[], None, |_, a| {
        let d = a.opt_duration("offset")?.unwrap_or_default();
        Ok(Value::record(vec![
            ("zone".into(), Value::str("UTC")),
            ("offset".into(), Value::Duration(d)),
        ]))
    });
    p.f("location", &["name"], &[], None, |_, a| {
        let name = a.string("name")?;
        let v = Value::record(vec![
            ("zone".into(), Value::str(&name)),
            ("offset".into(), Value::Duration(Duration::default())),
        ]);
        Location::from_value(&v)?;
        Ok(v)
    });
    p
}

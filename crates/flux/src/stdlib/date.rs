//! The `date` package; results follow the `location` argument or option.

use super::timezone::Location;
use super::PackageDef;
use crate::error::{Error, Result};
use crate::value::{Args, Value};
use chrono::{DateTime, Datelike, Timelike};

fn location(it: &crate::interp::Interp, a: &mut Args) -> Result<Location> {
    match a.opt("location") {
        Some(v) => Location::from_value(&v),
        None => match it.universe.lookup("location") {
            Some(v) => Location::from_value(&v),
            None => Ok(Location::UTC),
        },
    }
}

fn time_arg(it: &mut crate::interp::Interp, a: &mut Args) -> Result<(i64, Location)> {
    let loc = location(it, a)?;
    let t = match a.req("t")? {
        Value::Time(t) => t,
        Value::Duration(d) => d.add_to(it.now()?)?,
        v => return Err(super::type_error(&a.func, "time", &v)),
    };
    Ok((t, loc))
}

macro_rules! part {
    ($p:ident, $name:literal, $f:expr) => {
        $p.f($name, &["t"], &["location"], None, |it, a| {
            let (t, loc) = time_arg(it, a)?;
            let dt = loc.to_local(t);
            let f: fn(&chrono::NaiveDateTime) -> i64 = $f;
            Ok(Value::Int(f(&dt)))
        });
    };
}

/// Build the package definition.
pub fn package() -> PackageDef {
    let mut p = PackageDef::default();
    part!(p, "second", |d| d.second() as i64);
    part!(p, "minute", |d| d.minute() as i64);
    part!(p, "hour", |d| d.hour() as i64);
    part!(p, "weekDay", |d| d.weekday().num_days_from_sunday() as i64);
    part!(p, "monthDay", |d| d.day() as i64);
    part!(p, "yearDay", |d| d.ordinal() as i64);
    part!(p, "month", |d| d.month() as i64);
    part!(p, "year", |d| d.year() as i64);
    part!(p, "week", |d| d.iso_week().week() as i64);
    part!(p, "quarter", |d| d.month0() as i64 / 3 + 1);
    part!(p, "millisecond", |d| (d.nanosecond() / 1_000_000) as i64);
    part!(p, "microsecond", |d| (d.nanosecond() / 1_000) as i64);
    part!(p, "nanosecond", |d| d.nanosecond() as i64);
    for (n, v) in [
        ("Sunday", 0),
        ("Monday", 1),
        ("Tuesday", 2),
        ("Wednesday", 3),
        ("Thursday", 4),
        ("Friday", 5),
        ("Saturday", 6),
        ("January", 1),
        ("February", 2),
        ("March", 3),
        ("April", 4),
        ("May", 5),
        ("June", 6),
        ("July", 7),
        ("August", 8),
        ("September", 9),
        ("October", 10),
        ("November", 11),
        ("December", 12),
    ] {
        p.consts.push((n, Value::Int(v)));
    }
    p.f("truncate", &["t", "unit"], &["location"], None, |it, a| {
        let (t, loc) = time_arg(it, a)?;
        let Some(u) = a.opt_duration("unit")? else {
            return Err(Error::rt("date.truncate: missing unit"));
        };
        let local = loc.local_nanos(t);
        let truncated = if u.months != 0 {
            let dt = DateTime::from_timestamp_nanos(local);
            let months =
                (dt.year() as i64 * 12 + dt.month0() as i64).div_euclid(u.months) * u.months;
            let (y, m) = (
                months.div_euclid(12) as i32,
                months.rem_euclid(12) as u32 + 1,
            );
            let d = chrono::NaiveDate::from_ymd_opt(y, m, 1)
                .ok_or_else(|| Error::rt("time out of range"))?;
            d.and_hms_opt(0, 0, 0)
                .and_then(|x| x.and_utc().timestamp_nanos_opt())
                .ok_or_else(|| Error::rt("time out of range"))?
        } else if u.nanos <= 0 {
            return Err(Error::rt("date.truncate: unit must be positive"));
        } else if u.nanos % (7 * 86_400_000_000_000) == 0 {
            // weeks start on Monday (the epoch was a Thursday)
            let monday = 4 * 86_400_000_000_000;
            (local - monday).div_euclid(u.nanos) * u.nanos + monday
        } else {
            local.div_euclid(u.nanos) * u.nanos
        };
        Ok(Value::Time(loc.from_local_nanos(truncated)?))
    });
    p.f("time", &["t"], &["location"], None, |it, a| {
        Ok(Value::Time(time_arg(it, a)?.0))
    });
    p.f("add", &["d", "to"], &["location"], None, |it, a| {
        shift(it, a, false)
    });
    p.f("sub", &["d", "from"], &["location"], None, |it, a| {
        shift(it, a, true)
    });
    p
}

fn shift(it: &mut crate::interp::Interp, a: &mut Args, sub: bool) -> Result<Value> {
    let Some(d) = a.opt_duration("d")? else {
        return Err(Error::rt(format!("{}: missing d", a.func)));
    };
    let t = match a.req(if sub { "from" } else { "to" })? {
        Value::Time(t) => t,
        Value::Duration(x) => x.add_to(it.now()?)?,
        v => return Err(super::type_error(&a.func, "time", &v)),
    };
    let _ = a.opt("location");
    Ok(Value::Time(if sub {
        d.negated().add_to(t)?
    } else {
        d.add_to(t)?
    }))
}

/// Local midnight (as local nanoseconds) of the day `days` after the local day of `now`.
fn local_day(loc: &Location, now: i64, days: i64) -> Result<chrono::NaiveDate> {
    let d = loc.to_local(now).date();
    d.checked_add_signed(chrono::Duration::days(days))
        .ok_or_else(|| Error::rt("time out of range"))
}

fn instant(loc: &Location, d: chrono::NaiveDate) -> Result<i64> {
    let local = d
        .and_hms_opt(0, 0, 0)
        .and_then(|x| x.and_utc().timestamp_nanos_opt())
        .ok_or_else(|| Error::rt("time out of range"))?;
    loc.from_local_nanos(local)
}

fn span(loc: &Location, a: chrono::NaiveDate, b: chrono::NaiveDate) -> Result<Value> {
    Ok(Value::record(vec![
        ("start".into(), Value::Time(instant(loc, a)?)),
        ("stop".into(), Value::Time(instant(loc, b)?)),
    ]))
}

fn weekday_bounds(it: &mut crate::interp::Interp, a: &mut Args, target: u32) -> Result<Value> {
    let loc = location(it, a)?;
    let now = it.now()?;
    let today = loc.to_local(now).date();
    let wd = today.weekday().num_days_from_monday();
    let mut back = (wd + 7 - target) % 7;
    if back == 0 {
        back = 7;
    }
    let day = local_day(&loc, now, -(back as i64))?;
    span(
        &loc,
        day,
        day.succ_opt()
            .ok_or_else(|| Error::rt("time out of range"))?,
    )
}

/// The `experimental/date/boundaries` package: start/stop records of calendar periods.
pub fn boundaries() -> PackageDef {
    let mut p = PackageDef::default();
    p.f("yesterday", &[], &[], None, |it, a| {
        let loc = location(it, a)?;
        let now = it.now()?;
        span(&loc, local_day(&loc, now, -1)?, local_day(&loc, now, 0)?)
    });
    p.f("monday", &[], &[], None, |it, a| weekday_bounds(it, a, 0));
    p.f("tuesday", &[], &[], None, |it, a| weekday_bounds(it, a, 1));
    p.f("wednesday", &[], &[], None, |it, a| {
        weekday_bounds(it, a, 2)
    });
    p.f("thursday", &[], &[], None, |it, a| weekday_bounds(it, a, 3));
    p.f("friday", &[], &[], None, |it, a| weekday_bounds(it, a, 4));
    p.f("saturday", &[], &[], None, |it, a| weekday_bounds(it, a, 5));
    p.f("sunday", &[], &[], None, |it, a| weekday_bounds(it, a, 6));
    p.f(
        "week",
        &[],
        &["start_sunday", "week_offset"],
        None,
        |it, a| {
            let sunday = a.opt_bool("start_sunday")?.unwrap_or(false);
            let offset = a.opt_int("week_offset")?.unwrap_or(0);
            let loc = location(it, a)?;
            let now = it.now()?;
            let today = loc.to_local(now).date();
            let back = if sunday {
                today.weekday().num_days_from_sunday()
            } else {
                today.weekday().num_days_from_monday()
            };
            let start = local_day(&loc, now, offset * 7 - back as i64)?;
            let stop = start
                .checked_add_signed(chrono::Duration::days(7))
                .ok_or_else(|| Error::rt("time out of range"))?;
            span(&loc, start, stop)
        },
    );
    p.f("month", &[], &["month_offset"], None, |it, a| {
        let offset = a.opt_int("month_offset")?.unwrap_or(0);
        let loc = location(it, a)?;
        let now = it.now()?;
        let today = loc.to_local(now).date();
        let first = |k: i64| {
            let m = today.year() as i64 * 12 + today.month0() as i64 + k;
            chrono::NaiveDate::from_ymd_opt(m.div_euclid(12) as i32, m.rem_euclid(12) as u32 + 1, 1)
                .ok_or_else(|| Error::rt("time out of range"))
        };
        span(&loc, first(offset)?, first(offset + 1)?)
    });
    p
}

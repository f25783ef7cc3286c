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
        d.neg().add_to(t)?
    } else {
        d.add_to(t)?
    }))
}

//! Calendar-month windows (`every: 1mo`, `3mo`, `1y`): bounds on the wall
//! clock of a location, aligned to whole multiples of the window's months
//! counted from January 1970.

use super::timezone::Location;
use crate::error::{Error, Result};
use chrono::{Datelike, NaiveDate};

/// Months since January 1970 of a (local) calendar month.
fn month_index(year: i32, month0: u32) -> i64 {
    (year as i64 - 1970) * 12 + month0 as i64
}

/// The UTC instant of local midnight on the first day of month `index`.
fn month_start(index: i64, loc: &Location) -> Result<i64> {
    let year = 1970 + index.div_euclid(12);
    let month = index.rem_euclid(12) as u32 + 1;
    let date = i32::try_from(year)
        .ok()
        .and_then(|y| NaiveDate::from_ymd_opt(y, month, 1))
        .ok_or_else(|| Error::rt("window: time out of range"))?;
    let local = date
        .and_hms_opt(0, 0, 0)
        .and_then(|d| d.and_utc().timestamp_nanos_opt())
        .ok_or_else(|| Error::rt("window: time out of range"))?;
    loc.from_local_nanos(local)
}

/// The window of `every` months holding instant `t`: (start, stop), UTC ns.
pub fn window_of(t: i64, every: i64, loc: &Location) -> Result<(i64, i64)> {
    let local = loc.to_local(t);
    let m = month_index(local.year(), local.month0());
    let first = m.div_euclid(every) * every;
    let (start, stop) = (month_start(first, loc)?, month_start(first + every, loc)?);
    // a local midnight that falls before `t`'s month start in UTC (offset
    // changes) still bounds the right window
    if t < start {
        return Ok((month_start(first - every, loc)?, start));
    }
    Ok((start, stop))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000_000_000;
    const JAN_2021: i64 = 1_609_459_200_000_000_000;

    #[test]
    fn months_and_quarters() {
        let utc = Location::UTC;
        // 2021-02-10 lies in [2021-02-01, 2021-03-01)
        let (s, e) = window_of(JAN_2021 + 40 * DAY, 1, &utc).unwrap();
        assert_eq!((s, e), (JAN_2021 + 31 * DAY, JAN_2021 + 59 * DAY));
        // quarters aligned to January 1970: Q1 2021
        let (s, e) = window_of(JAN_2021 + 40 * DAY, 3, &utc).unwrap();
        assert_eq!((s, e), (JAN_2021, JAN_2021 + 90 * DAY));
        // a year
        let (s, _) = window_of(JAN_2021 + 200 * DAY, 12, &utc).unwrap();
        assert_eq!(s, JAN_2021);
    }
}

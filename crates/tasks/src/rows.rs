//! [`ParsedRow`]: a row of a write that the storage engine has already
//! parsed, so that stream tasks can read it without parsing its line
//! protocol again (see [`crate::manager::TaskManager::feed_rows`]).

use almanac_lineproto::FieldValue;

/// One accepted row of a write, as its parser left it.
pub trait ParsedRow {
    /// Measurement.
    fn measurement(&self) -> &str;

    /// Series key: measurement and tags, the same text for every row of a
    /// series.
    fn series_key(&self) -> &str;

    /// A number the rows of one series share within one write and other
    /// series do not (below the `series_slots` given with the rows).
    fn series_slot(&self) -> usize;

    /// Calls `f` with each tag, sorted by key.
    fn for_each_tag(&self, f: impl FnMut(&str, &str));

    /// Time, ns since the epoch.
    fn time(&self) -> i64;

    /// The value of field `name`, if the row has it.
    fn field(&self, name: &str) -> Option<FieldValue<'_>>;

    /// Calls `f` with each field, sorted by name.
    fn for_each_field(&self, f: impl FnMut(&str, FieldValue<'_>));
}

/// A parsed line-protocol line as a [`ParsedRow`] (for writes that did not
/// come through the storage engine, and for tests of the feed).
#[derive(Debug)]
pub struct LineRow<'a> {
    line: almanac_lineproto::Line<'a>,
    key: String,
    slot: usize,
    time: i64,
}

/// Parses a line-protocol body into rows; returns them with their number
/// of series slots. Fails on the first line that does not parse.
pub fn parse_rows(
    body: &[u8],
    precision: almanac_lineproto::Precision,
    now: i64,
) -> Result<(Vec<LineRow<'_>>, usize), String> {
    let mut slots: std::collections::HashMap<String, usize> = Default::default();
    let mut rows = Vec::new();
    for line in almanac_lineproto::parse_lines(body) {
        let line = line.map_err(|e| e.to_string())?;
        let time = line
            .timestamp_ns(precision, now)
            .map_err(|e| e.to_string())?;
        let key = line.series_key();
        let next = slots.len();
        let slot = *slots.entry(key.clone()).or_insert(next);
        rows.push(LineRow {
            line,
            key,
            slot,
            time,
        });
    }
    Ok((rows, slots.len()))
}

impl ParsedRow for &LineRow<'_> {
    fn measurement(&self) -> &str {
        &self.line.measurement
    }

    fn series_key(&self) -> &str {
        &self.key
    }

    fn series_slot(&self) -> usize {
        self.slot
    }

    fn for_each_tag(&self, mut f: impl FnMut(&str, &str)) {
        for (k, v) in &self.line.tags {
            f(k, v);
        }
    }

    fn time(&self) -> i64 {
        self.time
    }

    fn field(&self, name: &str) -> Option<FieldValue<'_>> {
        self.line
            .fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    fn for_each_field(&self, mut f: impl FnMut(&str, FieldValue<'_>)) {
        for (k, v) in &self.line.fields {
            f(k, v.clone());
        }
    }
}

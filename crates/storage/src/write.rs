//! The write path: parsing a body, validating it against the catalog,
//! grouping rows into per-partition chunks, and the WAL record formats.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use almanac_catalog::{Catalog, DatabaseDef, FieldType, RetentionPolicy};
use almanac_lineproto::{parse_lines, Line, ParseError, Precision};

use crate::chunk::{value_type, Chunk};
use crate::delete::DeletePredicate;
use crate::error::StorageError;
use crate::schema::TIME_COLUMN;
use crate::PartitionKey;

/// Result of a write request.
#[derive(Debug, Default)]
pub struct WriteOutcome {
    /// Lines stored.
    pub accepted: usize,
    /// Lines that did not parse.
    pub parse_errors: Vec<ParseError>,
    /// Field type conflicts, in InfluxDB's wording, one per rejected line.
    pub conflicts: Vec<String>,
    /// Lines older than the retention policy keeps.
    pub beyond_retention: usize,
    /// Lines with a field InfluxDB does not allow (named `time`), one message each.
    pub invalid_fields: Vec<String>,
}

impl WriteOutcome {
    /// Lines rejected for any reason.
    pub fn dropped(&self) -> usize {
        self.parse_errors.len()
            + self.conflicts.len()
            + self.beyond_retention
            + self.invalid_fields.len()
    }

    /// The reason text InfluxDB 1.x gives for the rejected lines (without
    /// the `partial write:` prefix and `dropped=` suffix).
    pub fn reason(&self) -> Option<String> {
        let mut parts: Vec<String> = Vec::new();
        if !self.parse_errors.is_empty() {
            parts.push(
                self.parse_errors
                    .iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
        }
        if let Some(first) = self.conflicts.first() {
            parts.push(first.clone());
        }
        if let Some(first) = self.invalid_fields.first() {
            parts.push(first.clone());
        }
        if self.beyond_retention > 0 {
            parts.push("points beyond retention policy".to_string());
        }
        (!parts.is_empty()).then(|| parts.join("\n"))
    }
}

/// Rows of one request, grouped per partition, ready to apply.
pub type Grouped = Vec<(PartitionKey, Chunk)>;

/// Tag keys and fields that a request adds to one measurement's schema.
#[derive(Default)]
struct NewColumns {
    tags: BTreeSet<String>,
    fields: BTreeMap<String, FieldType>,
}

/// Whether two lines have the same measurement, tag keys and field keys
/// and types (in the same order), so the schema accepts both or neither.
fn same_shape(a: &Line<'_>, b: &Line<'_>) -> bool {
    a.measurement == b.measurement
        && a.tags.len() == b.tags.len()
        && a.fields.len() == b.fields.len()
        && a.tags.iter().zip(&b.tags).all(|((x, _), (y, _))| x == y)
        && a.fields
            .iter()
            .zip(&b.fields)
            .all(|((x, u), (y, v))| x == y && value_type(u) == value_type(v))
}

/// Checks a line's fields against the measurement schema and what earlier
/// lines of the request add; returns the conflict message if any.
fn check_fields(
    db: &DatabaseDef,
    line: &Line<'_>,
    pending: &HashMap<String, NewColumns>,
) -> Option<String> {
    let schema = db.measurement(&line.measurement);
    let added = pending.get(line.measurement.as_ref());
    for (name, value) in &line.fields {
        let requested = value_type(value);
        let existing = schema
            .and_then(|s| s.field_type(name))
            .or_else(|| added.and_then(|a| a.fields.get(name.as_ref()).copied()));
        if let Some(existing) = existing {
            if existing != requested {
                return Some(format!(
                    "field type conflict: input field \"{name}\" on measurement \"{}\" is type {}, already exists as type {}",
                    line.measurement,
                    requested.name(),
                    existing.name()
                ));
            }
        }
    }
    None
}

/// A request after [`prepare_write`].
pub struct Prepared {
    /// The accepted rows, grouped per partition (in order of first appearance).
    pub grouped: Grouped,
    /// Per accepted line, in line order: its group's index and its row there
    /// (lines in partitions `skip` excluded have none).
    pub order: Vec<(u32, u32)>,
    /// The accepted lines' text, newline separated (for the WAL); `None`
    /// when the caller said it can do without and every line was accepted
    /// (the WAL then keeps the request's body as it was sent).
    pub wal_text: Option<Vec<u8>>,
    /// The outcome so far.
    pub outcome: WriteOutcome,
}

/// Parses `body`, validates every line, makes new columns durable in the
/// catalog, and groups the accepted rows per partition. With `text_needed`
/// false the accepted lines' text is only gathered when some line is
/// rejected.
pub fn prepare_write(
    catalog: &Catalog,
    db: &DatabaseDef,
    rp: &RetentionPolicy,
    body: &[u8],
    precision: Precision,
    now_ns: i64,
    skip: &dyn Fn(&PartitionKey) -> bool,
    text_needed: bool,
) -> Result<Prepared, StorageError> {
    let mut outcome = WriteOutcome::default();
    let mut lines: Vec<(Line<'_>, i64)> = Vec::new();
    let oldest = rp.duration_ns.map(|d| now_ns.saturating_sub(d));
    for parsed in parse_lines(body) {
        let line = match parsed {
            Ok(line) => line,
            Err(e) => {
                outcome.parse_errors.push(e);
                continue;
            }
        };
        let time = match line.timestamp_ns(precision, now_ns) {
            Ok(t) => t,
            Err(e) => {
                outcome.parse_errors.push(e);
                continue;
            }
        };
        if oldest.is_some_and(|o| time < o) {
            outcome.beyond_retention += 1;
            continue;
        }
        if line.fields.iter().any(|(k, _)| k == TIME_COLUMN) {
            outcome.invalid_fields.push(format!(
                "invalid field name: input field \"{TIME_COLUMN}\" on measurement \"{}\" is invalid",
                line.measurement
            ));
            continue;
        }
        lines.push((line, time));
    }

    // Validate types and collect the columns this request adds.
    let mut db_view = std::borrow::Cow::Borrowed(db);
    let mut accepted = vec![true; lines.len()];
    for _attempt in 0..3 {
        let mut pending: HashMap<String, NewColumns> = HashMap::new();
        let mut conflicts = Vec::new();
        // The last line found to fit the schema as it is: a line of the same
        // shape fits too (most lines of a request repeat a few shapes).
        let mut fits: Option<&Line<'_>> = None;
        for (i, (line, _)) in lines.iter().enumerate() {
            if fits.is_some_and(|f| same_shape(f, line)) {
                accepted[i] = true;
                continue;
            }
            if let Some(conflict) = check_fields(&db_view, line, &pending) {
                accepted[i] = false;
                conflicts.push(conflict);
                continue;
            }
            accepted[i] = true;
            let schema = db_view.measurement(&line.measurement);
            let new_tags: Vec<&str> = line
                .tags
                .iter()
                .map(|(k, _)| k.as_ref())
                .filter(|k| !schema.is_some_and(|s| s.has_tag(k)))
                .collect();
            let new_fields: Vec<(&str, FieldType)> = line
                .fields
                .iter()
                .map(|(k, v)| (k.as_ref(), value_type(v)))
                .filter(|(k, _)| schema.and_then(|s| s.field_type(k)).is_none())
                .collect();
            if new_tags.is_empty() && new_fields.is_empty() && schema.is_some() {
                fits = Some(line);
                continue;
            }
            let entry = pending.entry(line.measurement.to_string()).or_default();
            entry.tags.extend(new_tags.iter().map(|t| t.to_string()));
            for (k, t) in new_fields {
                entry.fields.entry(k.to_string()).or_insert(t);
            }
        }
        if pending.is_empty() {
            outcome.conflicts = conflicts;
            break;
        }
        let mut raced = false;
        for (measurement, cols) in &pending {
            let tags: Vec<&str> = cols.tags.iter().map(|s| s.as_str()).collect();
            let fields: Vec<(&str, FieldType)> =
                cols.fields.iter().map(|(k, t)| (k.as_str(), *t)).collect();
            let lost = catalog.add_columns(db.id, measurement, &tags, &fields)?;
            raced |= !lost.is_empty();
        }
        // Re-validate against what the catalog now holds: a concurrent
        // request may have fixed a field's type first.
        match catalog.snapshot().database_by_id(db.id) {
            Some(fresh) => db_view = std::borrow::Cow::Owned((**fresh).clone()),
            None => return Err(StorageError::DatabaseNotFound(db.name.clone())),
        }
        if !raced {
            outcome.conflicts = conflicts;
            break;
        }
    }

    // Groups in the order they first appear; `order` says, per accepted
    // line, which group and row it became.
    let mut group_index: HashMap<(String, i64), Option<usize>> = HashMap::new();
    // The previous line's (measurement, partition start) and group (`None`
    // when `skip` excludes it): consecutive lines mostly share them.
    let mut last_group: Option<(&str, i64, Option<usize>)> = None;
    // Per group, the chunk's id of each series as written.
    let mut series_ids: HashMap<(usize, &[u8]), u32, ahash::RandomState> = HashMap::default();
    let mut grouped: Grouped = Vec::new();
    let mut order: Vec<(u32, u32)> = Vec::with_capacity(lines.len());
    let every_line_accepted = outcome.dropped() == 0 && accepted.iter().all(|ok| *ok);
    let mut wal_text =
        (text_needed || !every_line_accepted).then(|| Vec::with_capacity(body.len()));
    for ((line, time), ok) in lines.iter().zip(&accepted) {
        if !ok {
            continue;
        }
        let start = rp.partition_start(*time);
        outcome.accepted += 1;
        if let Some(text) = &mut wal_text {
            if !text.is_empty() {
                text.push(b'\n');
            }
            text.extend_from_slice(line.raw);
        }
        let index = match last_group {
            Some((m, s, index)) if s == start && m == line.measurement => index,
            _ => {
                let index = *group_index
                    .entry((line.measurement.to_string(), start))
                    .or_insert_with(|| {
                        let key = PartitionKey {
                            db_id: db.id,
                            rp: rp.name.clone(),
                            measurement: line.measurement.to_string(),
                            start,
                            end: start.saturating_add(rp.shard_group_duration_ns),
                        };
                        if skip(&key) {
                            return None;
                        }
                        grouped.push((key, Chunk::new()));
                        Some(grouped.len() - 1)
                    });
                last_group = Some((line.measurement.as_ref(), start, index));
                index
            }
        };
        let Some(index) = index else {
            continue;
        };
        let fields: Vec<(&str, &almanac_lineproto::FieldValue<'_>)> =
            line.fields.iter().map(|(k, v)| (k.as_ref(), v)).collect();
        let chunk = &mut grouped[index].1;
        // A series is written many times in a request: its key is built once.
        let series = *series_ids
            .entry((index, line.series_key_raw))
            .or_insert_with(|| {
                let tags: Vec<(&str, &str)> = line
                    .tags
                    .iter()
                    .map(|(k, v)| (k.as_ref(), v.as_ref()))
                    .collect();
                chunk.series_id(&line.series_key_cow(), &tags)
            });
        order.push((index as u32, chunk.len() as u32));
        chunk.push_row_of(series, &fields, *time, 0);
    }
    Ok(Prepared {
        grouped,
        order,
        wal_text,
        outcome,
    })
}

const KIND_WRITE: u8 = 1;
const KIND_DELETE: u8 = 2;
/// A write whose lines are the request's body as sent, gzipped: every line
/// was accepted, and the client's compression spares the log ~90 % of the
/// bytes it would otherwise copy, checksum and sync.
const KIND_WRITE_GZIP: u8 = 3;

/// A decoded WAL record.
#[derive(Debug, PartialEq)]
pub enum WalRecord {
    /// Accepted lines of one write request.
    Write {
        /// Database id.
        db_id: u64,
        /// Retention policy name.
        rp: String,
        /// Precision of the timestamps in `lines`.
        precision_nanos: i64,
        /// Server time used for lines without a timestamp.
        default_time: i64,
        /// The accepted lines, newline separated.
        lines: Vec<u8>,
    },
    /// A delete; `drop_schema` also removes the measurement from the catalog.
    Delete {
        /// What is deleted.
        predicate: DeletePredicate,
        /// Whether the measurement's schema is dropped too.
        drop_schema: bool,
    },
}

impl WalRecord {
    /// Encodes the record as a WAL payload.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            WalRecord::Write {
                db_id,
                rp,
                precision_nanos,
                default_time,
                lines,
            } => write_payload(
                KIND_WRITE,
                *db_id,
                rp,
                *precision_nanos,
                *default_time,
                lines,
            ),
            WalRecord::Delete {
                predicate,
                drop_schema,
            } => {
                let mut out = vec![KIND_DELETE, *drop_schema as u8];
                out.extend_from_slice(
                    &serde_json::to_vec(predicate).expect("predicates serialize"),
                );
                out
            }
        }
    }

    /// Encodes a write of `lines` (as [`WalRecord::Write`] would, without
    /// owning them).
    pub fn encode_write(
        db_id: u64,
        rp: &str,
        precision_nanos: i64,
        default_time: i64,
        lines: &[u8],
    ) -> Vec<u8> {
        write_payload(KIND_WRITE, db_id, rp, precision_nanos, default_time, lines)
    }

    /// Encodes a write whose lines are `gzipped` (one or more gzip
    /// members, as a client sent them); it decodes as [`WalRecord::Write`]
    /// with the lines uncompressed.
    pub fn encode_gzipped_write(
        db_id: u64,
        rp: &str,
        precision_nanos: i64,
        default_time: i64,
        gzipped: &[u8],
    ) -> Vec<u8> {
        write_payload(
            KIND_WRITE_GZIP,
            db_id,
            rp,
            precision_nanos,
            default_time,
            gzipped,
        )
    }

    /// Decodes a WAL payload.
    pub fn decode(seq: u64, payload: &[u8]) -> Result<WalRecord, StorageError> {
        let corrupt = |message: &str| StorageError::CorruptRecord {
            seq,
            message: message.to_string(),
        };
        let (&kind, rest) = payload.split_first().ok_or_else(|| corrupt("empty"))?;
        match kind {
            KIND_WRITE | KIND_WRITE_GZIP => {
                let take = |from: &[u8], n: usize| -> Result<(Vec<u8>, usize), StorageError> {
                    match from.get(..n) {
                        Some(head) => Ok((head.to_vec(), n)),
                        None => Err(corrupt("truncated write record")),
                    }
                };
                let mut rest = rest;
                let mut field = |n: usize| -> Result<Vec<u8>, StorageError> {
                    let (head, used) = take(rest, n)?;
                    rest = &rest[used..];
                    Ok(head)
                };
                let id = field(8)?;
                let rp_len = u32::from_le_bytes(field(4)?.try_into().expect("4 bytes")) as usize;
                let rp = field(rp_len)?;
                let precision = field(8)?;
                let default_time = field(8)?;
                let lines = match kind {
                    KIND_WRITE_GZIP => gunzip(rest).map_err(|e| corrupt(&format!("gzip: {e}")))?,
                    _ => rest.to_vec(),
                };
                Ok(WalRecord::Write {
                    db_id: u64::from_le_bytes(id.try_into().expect("8 bytes")),
                    rp: String::from_utf8(rp).map_err(|_| corrupt("retention policy not UTF-8"))?,
                    precision_nanos: i64::from_le_bytes(precision.try_into().expect("8 bytes")),
                    default_time: i64::from_le_bytes(default_time.try_into().expect("8 bytes")),
                    lines,
                })
            }
            KIND_DELETE => {
                let (&drop_schema, json) = rest
                    .split_first()
                    .ok_or_else(|| corrupt("truncated delete record"))?;
                let predicate =
                    serde_json::from_slice(json).map_err(|e| corrupt(&e.to_string()))?;
                Ok(WalRecord::Delete {
                    predicate,
                    drop_schema: drop_schema != 0,
                })
            }
            _ => Err(corrupt("unknown record kind")),
        }
    }
}

/// A write record's payload: `kind`, the header fields, then `lines`.
fn write_payload(
    kind: u8,
    db_id: u64,
    rp: &str,
    precision_nanos: i64,
    default_time: i64,
    lines: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(lines.len() + rp.len() + 32);
    out.push(kind);
    out.extend_from_slice(&db_id.to_le_bytes());
    out.extend_from_slice(&(rp.len() as u32).to_le_bytes());
    out.extend_from_slice(rp.as_bytes());
    out.extend_from_slice(&precision_nanos.to_le_bytes());
    out.extend_from_slice(&default_time.to_le_bytes());
    out.extend_from_slice(lines);
    out
}

/// The bytes of every gzip member of `data`, concatenated.
fn gunzip(data: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    // Line protocol gzips about 10:1; the guess is capped for large bodies.
    let mut out = Vec::with_capacity(data.len().saturating_mul(8).min(64 << 20));
    flate2::read::MultiGzDecoder::new(data).read_to_end(&mut out)?;
    Ok(out)
}

/// The precision whose unit is `nanos` nanoseconds.
pub fn precision_from_nanos(nanos: i64) -> Precision {
    [
        Precision::Nanosecond,
        Precision::Microsecond,
        Precision::Millisecond,
        Precision::Second,
        Precision::Minute,
        Precision::Hour,
    ]
    .into_iter()
    .find(|p| p.nanos() == nanos)
    .unwrap_or(Precision::Nanosecond)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let w = WalRecord::Write {
            db_id: 7,
            rp: "autogen".into(),
            precision_nanos: 1_000_000_000,
            default_time: 42,
            lines: b"cpu value=1 1\ncpu value=2 2".to_vec(),
        };
        assert_eq!(WalRecord::decode(1, &w.encode()).unwrap(), w);
        let d = WalRecord::Delete {
            predicate: DeletePredicate {
                db_id: 1,
                rp: None,
                measurement: Some("cpu".into()),
                min_time: i64::MIN,
                max_time: i64::MAX,
                tags: vec![],
            },
            drop_schema: true,
        };
        assert_eq!(WalRecord::decode(2, &d.encode()).unwrap(), d);
        assert!(WalRecord::decode(3, &[1, 2, 3]).is_err());
        assert!(WalRecord::decode(3, &[]).is_err());
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    fn want_lines(r: &WalRecord) -> Vec<u8> {
        match r {
            WalRecord::Write { lines, .. } => lines.clone(),
            WalRecord::Delete { .. } => panic!("a write"),
        }
    }

    #[test]
    fn gzipped_writes_decode_to_their_lines() {
        let lines = b"cpu value=1 1\ncpu value=2 2\n".to_vec();
        // Two gzip members, as a client may concatenate them.
        let mut sent = gzip(&lines[..14]);
        sent.extend(gzip(&lines[14..]));
        let payload = WalRecord::encode_gzipped_write(7, "autogen", 1_000_000_000, 42, &sent);
        let want = WalRecord::Write {
            db_id: 7,
            rp: "autogen".into(),
            precision_nanos: 1_000_000_000,
            default_time: 42,
            lines,
        };
        assert_eq!(WalRecord::decode(1, &payload).unwrap(), want);
        assert_eq!(
            WalRecord::encode_write(7, "autogen", 1_000_000_000, 42, &want_lines(&want)),
            want.encode()
        );
        // A cut-off body is a corrupt record, not a panic or short lines.
        let cut = &payload[..payload.len() - 5];
        assert!(matches!(
            WalRecord::decode(1, cut),
            Err(StorageError::CorruptRecord { .. })
        ));
        let mut flipped = payload.clone();
        *flipped.last_mut().unwrap() ^= 0xff;
        assert!(WalRecord::decode(1, &flipped).is_err());
    }
}

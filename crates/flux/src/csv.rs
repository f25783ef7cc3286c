//! Annotated CSV: the encoder InfluxDB 2 uses for `/api/v2/query` answers
//! (`#datatype`, `#group`, `#default`, `result` and `table` columns) and the
//! decoder behind `csv.from`.

use crate::error::{Error, Result};
use crate::lexer::parse_time;
use crate::table::{ColMeta, ColType, GroupKey, Table};
use crate::value::{format_time, TimeText, Value, TIME_TEXT_MAX};
use arrow::array::{
    Array, BooleanArray, Float64Array, Int64Array, StringArray, TimestampNanosecondArray,
    UInt64Array,
};
use arrow::buffer::NullBuffer;

/// Split CSV text into records (RFC 4180 quoting; quoted fields may span lines).
pub fn split_records(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rec: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' => {
                in_quotes = true;
                any = true;
            }
            ',' => {
                rec.push(std::mem::take(&mut field));
                any = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                if any || !field.is_empty() {
                    rec.push(std::mem::take(&mut field));
                }
                out.push(std::mem::take(&mut rec));
                any = false;
            }
            c => {
                field.push(c);
                any = true;
            }
        }
    }
    if any || !field.is_empty() {
        rec.push(field);
    }
    if !rec.is_empty() {
        out.push(rec);
    }
    out
}

fn col_type(annot: &str) -> Result<ColType> {
    Ok(match annot {
        "string" | "" => ColType::String,
        "long" => ColType::Int,
        "unsignedLong" => ColType::UInt,
        "double" => ColType::Float,
        "boolean" => ColType::Bool,
        "dateTime:RFC3339" | "dateTime:RFC3339Nano" | "dateTime" => ColType::Time,
        other => {
            return Err(Error::unsupported(format!(
                "annotated CSV datatype {other:?}"
            )))
        }
    })
}

fn annot_name(t: ColType) -> &'static str {
    match t {
        ColType::String => "string",
        ColType::Int => "long",
        ColType::UInt => "unsignedLong",
        ColType::Float => "double",
        ColType::Bool => "boolean",
        ColType::Time => "dateTime:RFC3339",
    }
}

/// Parse one CSV cell of a column type (empty = null).
pub fn parse_cell(s: &str, t: ColType) -> Result<Value> {
    if s.is_empty() {
        return Ok(Value::Null);
    }
    let bad = || Error::rt(format!("failed to parse {s:?} as {}", t.name()));
    Ok(match t {
        ColType::String => Value::str(s),
        ColType::Int => Value::Int(s.parse().map_err(|_| bad())?),
        ColType::UInt => Value::UInt(s.parse().map_err(|_| bad())?),
        ColType::Float => Value::Float(match s {
            "+Inf" | "Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            "NaN" => f64::NAN,
            s => s.parse().map_err(|_| bad())?,
        }),
        ColType::Bool => Value::Bool(match s {
            "true" => true,
            "false" => false,
            _ => return Err(bad()),
        }),
        ColType::Time => Value::Time(parse_time(s).ok_or_else(bad)?),
    })
}

struct Block {
    types: Option<Vec<String>>,
    group: Option<Vec<String>>,
    defaults: Option<Vec<String>>,
    header: Option<Vec<String>>,
    rows: Vec<Vec<String>>,
}

impl Block {
    fn new() -> Self {
        Block {
            types: None,
            group: None,
            defaults: None,
            header: None,
            rows: Vec::new(),
        }
    }
}

/// Decode annotated CSV into tables (the `result` and `table` columns are dropped).
pub fn decode(text: &str) -> Result<Vec<Table>> {
    let mut blocks = Vec::new();
    let mut cur = Block::new();
    for rec in split_records(text) {
        if rec.is_empty() || (rec.len() == 1 && rec[0].trim().is_empty()) {
            // blank lines separate blocks only when annotations follow
            continue;
        }
        let first = rec[0].as_str();
        if first.starts_with('#') {
            if cur.header.is_some() {
                blocks.push(std::mem::replace(&mut cur, Block::new()));
            }
            let vals = rec[1..].to_vec();
            match first {
                "#datatype" => cur.types = Some(vals),
                "#group" => cur.group = Some(vals),
                "#default" => cur.defaults = Some(vals),
                _ => {}
            }
            continue;
        }
        if cur.header.is_none() {
            cur.header = Some(rec[1.min(rec.len())..].to_vec());
        } else {
            cur.rows.push(rec[1.min(rec.len())..].to_vec());
        }
    }
    if cur.header.is_some() {
        blocks.push(cur);
    }
    let mut out = Vec::new();
    for b in blocks {
        decode_block(b, &mut out)?;
    }
    Ok(out)
}

fn decode_block(b: Block, out: &mut Vec<Table>) -> Result<()> {
    let Some(header) = b.header else {
        return Ok(());
    };
    let Some(types) = b.types else {
        return Err(Error::rt("missing #datatype annotation in annotated CSV"));
    };
    let n = header.len();
    let get = |v: &Option<Vec<String>>, i: usize| {
        v.as_ref()
            .and_then(|v| v.get(i).cloned())
            .unwrap_or_default()
    };
    let mut metas = Vec::new();
    let mut keep = Vec::new();
    let mut table_col = None;
    for (i, label) in header.iter().enumerate() {
        if label == "result" {
            continue;
        }
        if label == "table" {
            table_col = Some(i);
            continue;
        }
        let typ = col_type(&get(&Some(types.clone()), i))?;
        metas.push((
            ColMeta {
                label: label.clone(),
                typ,
            },
            get(&b.group, i) == "true",
            get(&b.defaults, i),
        ));
        keep.push(i);
    }
    // split rows into tables by the `table` column (or group key change)
    let mut groups: Vec<(String, Vec<Vec<Value>>)> = Vec::new();
    for row in &b.rows {
        if row.len() != n {
            return Err(Error::rt(format!(
                "annotated CSV row has {} columns, header has {n}",
                row.len()
            )));
        }
        let id = table_col.map(|i| row[i].clone()).unwrap_or_default();
        let mut vals = Vec::with_capacity(keep.len());
        for (k, &i) in keep.iter().enumerate() {
            let (meta, _, default) = &metas[k];
            let cell = if row[i].is_empty() {
                default.as_str()
            } else {
                row[i].as_str()
            };
            vals.push(parse_cell(cell, meta.typ)?);
        }
        let same = groups.last().is_some_and(|(gid, rows)| {
            *gid == id
                && rows.first().is_some_and(|r0| {
                    metas
                        .iter()
                        .enumerate()
                        .all(|(k, m)| !m.1 || r0[k] == vals[k])
                })
        });
        if same {
            if let Some(g) = groups.last_mut() {
                g.1.push(vals);
            }
        } else {
            groups.push((id, vec![vals]));
        }
    }
    for (_, rows) in groups {
        let key = GroupKey::new(
            metas
                .iter()
                .enumerate()
                .filter(|(_, m)| m.1)
                .map(|(k, m)| (m.0.clone(), rows[0][k].clone()))
                .collect(),
        );
        let cols = metas
            .iter()
            .enumerate()
            .map(|(k, m)| (m.0.clone(), rows.iter().map(|r| r[k].clone()).collect()))
            .collect();
        out.push(Table::from_columns(key, cols)?);
    }
    Ok(())
}

/// Decode CSV in `raw` mode: the first row is the header, every column a string.
pub fn decode_raw(text: &str) -> Result<Vec<Table>> {
    let recs = split_records(text);
    let mut it = recs
        .into_iter()
        .filter(|r| !(r.len() == 1 && r[0].is_empty()));
    let Some(header) = it.next() else {
        return Ok(vec![]);
    };
    let rows: Vec<Vec<String>> = it.collect();
    let cols = header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            (
                ColMeta {
                    label: h.clone(),
                    typ: ColType::String,
                },
                rows.iter()
                    .map(|r| r.get(i).map(Value::str).unwrap_or(Value::Null))
                    .collect(),
            )
        })
        .collect();
    Ok(vec![Table::from_columns(GroupKey::default(), cols)?])
}

/// How `/api/v2/query` answers are written (the request's `dialect`).
#[derive(Debug, Clone, PartialEq)]
pub struct Dialect {
    /// Write the header row of each table.
    pub header: bool,
    /// Column delimiter.
    pub delimiter: char,
    /// Write `#datatype` rows.
    pub datatype: bool,
    /// Write `#group` rows.
    pub group: bool,
    /// Write `#default` rows.
    pub default: bool,
}

impl Default for Dialect {
    /// Everything on, as `influx query` and the client libraries ask.
    fn default() -> Self {
        Dialect {
            header: true,
            delimiter: ',',
            datatype: true,
            group: true,
            default: true,
        }
    }
}

impl Dialect {
    /// Header only, no annotations (what InfluxDB answers a bare `application/vnd.flux` body).
    pub fn plain() -> Self {
        Dialect {
            header: true,
            delimiter: ',',
            datatype: false,
            group: false,
            default: false,
        }
    }

    fn any_annotation(&self) -> bool {
        self.datatype || self.group || self.default
    }
}

fn cell(v: &Value, delim: char) -> String {
    let s = match v {
        Value::Null => return String::new(),
        Value::Time(t) => format_time(*t),
        Value::Float(f) if f.is_infinite() => {
            if *f > 0.0 {
                "+Inf".into()
            } else {
                "-Inf".into()
            }
        }
        Value::Float(f) if f.is_nan() => "NaN".into(),
        Value::Float(f) => format!("{f}"),
        v => v.to_string(),
    };
    if s.contains([delim, '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// Writes the cells of one column straight from its Arrow array, as
/// [`cell`] writes the column's values (no per-cell `Value` or `String`).
struct CellWriter<'a> {
    cells: Cells<'a>,
    /// Validity of the column's rows (`None`: no nulls).
    nulls: Option<&'a NullBuffer>,
}

enum Cells<'a> {
    Bool(&'a BooleanArray),
    Int(&'a Int64Array),
    UInt(&'a UInt64Array),
    Float(&'a Float64Array),
    /// Strings; `true` when some value holds a character that needs quotes.
    Str(&'a StringArray, bool),
    /// Times; the text of the last one written is kept, since `_start` and
    /// `_stop` repeat on every row.
    Time(&'a TimestampNanosecondArray, TimeCell),
    /// Any other layout: through `Table::value`.
    General,
}

/// The renderer of a time column and its last text.
struct TimeCell {
    text: TimeText,
    last: Option<i64>,
    buf: [u8; TIME_TEXT_MAX],
    len: usize,
}

/// Whether `s` holds a character that makes a cell need quotes.
fn needs_quotes(s: &str, sep: char) -> bool {
    if sep.is_ascii() {
        let sep = sep as u8;
        let special = |b: u8| (b == sep) | (b == b'"') | (b == b'\n') | (b == b'\r');
        // whole chunks without early exits (the compiler vectorizes them)
        let mut chunks = s.as_bytes().chunks_exact(64);
        for chunk in &mut chunks {
            if chunk.iter().fold(false, |acc, &b| acc | special(b)) {
                return true;
            }
        }
        chunks.remainder().iter().any(|&b| special(b))
    } else {
        s.contains([sep, '"', '\n', '\r'])
    }
}

impl<'a> CellWriter<'a> {
    fn new(t: &'a Table, c: usize, sep: char) -> CellWriter<'a> {
        let array = t.batch.column(c);
        let any = array.as_any();
        let cells = match t.cols[c].typ {
            ColType::Bool => any.downcast_ref().map(Cells::Bool),
            ColType::Int => any.downcast_ref().map(Cells::Int),
            ColType::UInt => any.downcast_ref().map(Cells::UInt),
            ColType::Float => any.downcast_ref().map(Cells::Float),
            ColType::String => any.downcast_ref::<StringArray>().map(|a| {
                // one look at the column's bytes instead of one per cell
                let offsets = a.value_offsets();
                let (lo, hi) = (offsets[0] as usize, offsets[a.len()] as usize);
                let bytes = &a.value_data()[lo..hi];
                let quote = match std::str::from_utf8(bytes) {
                    Ok(text) => needs_quotes(text, sep),
                    Err(_) => true,
                };
                Cells::Str(a, quote)
            }),
            ColType::Time => any.downcast_ref().map(|a| {
                Cells::Time(
                    a,
                    TimeCell {
                        text: TimeText::new(),
                        last: None,
                        buf: [0; TIME_TEXT_MAX],
                        len: 0,
                    },
                )
            }),
        };
        match cells {
            Some(cells) => CellWriter {
                cells,
                nulls: array.nulls().filter(|n| n.null_count() > 0),
            },
            None => Self::general(),
        }
    }

    fn general() -> CellWriter<'a> {
        CellWriter {
            cells: Cells::General,
            nulls: None,
        }
    }

    fn write(&mut self, out: &mut String, t: &Table, c: usize, r: usize, sep: char) {
        use std::fmt::Write;
        if self.nulls.is_some_and(|n| n.is_null(r)) {
            return;
        }
        match &mut self.cells {
            Cells::Bool(a) => out.push_str(if a.value(r) { "true" } else { "false" }),
            Cells::Int(a) => {
                let _ = write!(out, "{}", a.value(r));
            }
            Cells::UInt(a) => {
                let _ = write!(out, "{}", a.value(r));
            }
            Cells::Float(a) if a.value(r).is_finite() => {
                let _ = write!(out, "{}", a.value(r));
            }
            Cells::Str(a, quote) => {
                let s = a.value(r);
                if *quote && needs_quotes(s, sep) {
                    out.push('"');
                    out.push_str(&s.replace('"', "\"\""));
                    out.push('"');
                } else {
                    out.push_str(s);
                }
            }
            Cells::Time(a, cell) => {
                let v = a.value(r);
                if cell.last != Some(v) {
                    cell.len = cell.text.render(v, &mut cell.buf);
                    cell.last = Some(v);
                }
                out.push_str(std::str::from_utf8(&cell.buf[..cell.len]).unwrap_or_default());
            }
            _ => {
                if t.batch.column(c).is_null(r) {
                    return;
                }
                out.push_str(&cell(&t.value(c, r), sep))
            }
        }
    }
}

/// A piece of a table's row: text that is the same on every row, or the
/// cell of a column.
enum RowPart {
    Text(String),
    Cell(usize),
}

/// Whether every row of `a` holds the same value (or every row is null);
/// `false` for layouts it does not compare.
fn is_constant(a: &dyn Array) -> bool {
    use arrow::array::AsArray;
    use arrow::datatypes::{DataType, Float64Type, Int64Type, TimestampNanosecondType, UInt64Type};
    fn same<T: PartialEq>(v: &[T]) -> bool {
        v.split_first()
            .is_none_or(|(first, rest)| rest.iter().all(|x| x == first))
    }
    let n = a.len();
    if n <= 1 {
        return true;
    }
    match a.null_count() {
        0 => {}
        nulls => return nulls == n,
    }
    match a.data_type() {
        DataType::Utf8 => {
            let s = a.as_string::<i32>();
            let first = s.value(0);
            (1..n).all(|r| s.value(r) == first)
        }
        DataType::Int64 => same(a.as_primitive::<Int64Type>().values()),
        DataType::UInt64 => same(a.as_primitive::<UInt64Type>().values()),
        DataType::Timestamp(_, _) => match a.as_primitive_opt::<TimestampNanosecondType>() {
            Some(t) => same(t.values()),
            None => false,
        },
        DataType::Float64 => {
            let v = a.as_primitive::<Float64Type>().values();
            v.split_first()
                .is_none_or(|(f, rest)| rest.iter().all(|x| x.to_bits() == f.to_bits()))
        }
        DataType::Boolean => {
            let b = a.as_boolean();
            let ones = b.true_count();
            ones == 0 || ones == n
        }
        _ => false,
    }
}

/// Encode results as InfluxDB 2 writes them (CRLF line ends, a blank line after each result).
pub fn encode(results: &[(String, Vec<Table>)]) -> String {
    encode_with(results, &Dialect::default())
}

/// Encode results with a dialect (annotations, header, delimiter).
pub fn encode_with(results: &[(String, Vec<Table>)], d: &Dialect) -> String {
    let mut out = String::new();
    for (name, tables) in results {
        encode_result(&mut out, name, tables, d);
    }
    out
}

/// Encode one result (used to stream results one by one).
pub fn encode_result(out: &mut String, name: &str, tables: &[Table], d: &Dialect) {
    let mut enc = ResultEncoder::new(name, d);
    for t in tables {
        enc.table(out, t, usize::MAX, &mut |_| {});
    }
    enc.finish(out);
}

/// Writes one result's tables one at a time, as [`encode_result`] writes
/// them (for answers sent in pieces while they are written).
pub struct ResultEncoder<'d> {
    name: String,
    d: &'d Dialect,
    /// Columns (label, type, in the key) of the last block's header.
    prev: Option<Vec<(String, ColType, bool)>>,
    started: bool,
    /// The next table's number.
    id: usize,
    /// The `result` cell of every row (empty when a `#default` row names it).
    row_result: String,
}

impl<'d> ResultEncoder<'d> {
    /// An encoder for the result `name`.
    pub fn new(name: &str, d: &'d Dialect) -> Self {
        ResultEncoder {
            name: name.to_string(),
            d,
            prev: None,
            started: false,
            id: 0,
            row_result: if d.default {
                String::new()
            } else {
                cell(&Value::str(name), d.delimiter)
            },
        }
    }

    /// Appends table `t` to `out`; whenever `out` holds `chunk` bytes or
    /// more after a row, `full` is called (to take them away).
    pub fn table(
        &mut self,
        out: &mut String,
        t: &Table,
        chunk: usize,
        full: &mut dyn FnMut(&mut String),
    ) {
        let d = self.d;
        let sep = d.delimiter;
        // a delimiter that can occur in a number or a time quotes those cells
        let numbers_need_no_quotes = !(sep.is_ascii_alphanumeric() || ".-+:".contains(sep));
        let id = self.id;
        self.id += 1;
        // The columns' (label, type, in the key): a new header when they change.
        let same_columns = self.prev.as_ref().is_some_and(|prev| {
            prev.len() == t.cols.len()
                && prev.iter().zip(&t.cols).all(|((label, typ, keyed), c)| {
                    *label == c.label && *typ == c.typ && *keyed == t.key.has(&c.label)
                })
        });
        if !same_columns || (t.is_empty() && d.default) {
            let sig: Vec<(String, ColType, bool)> = t
                .cols
                .iter()
                .map(|c| (c.label.clone(), c.typ, t.key.has(&c.label)))
                .collect();
            if self.started {
                out.push_str("\r\n");
            }
            self.started = true;
            if d.datatype {
                out.push_str("#datatype");
                out.push(sep);
                out.push_str("string");
                out.push(sep);
                out.push_str("long");
                for c in &t.cols {
                    out.push(sep);
                    out.push_str(annot_name(c.typ));
                }
                out.push_str("\r\n");
            }
            if d.group {
                out.push_str("#group");
                out.push(sep);
                out.push_str("false");
                out.push(sep);
                out.push_str("false");
                for c in &t.cols {
                    out.push(sep);
                    out.push_str(if t.key.has(&c.label) { "true" } else { "false" });
                }
                out.push_str("\r\n");
            }
            if d.default {
                out.push_str("#default");
                out.push(sep);
                out.push_str(&cell(&Value::str(&self.name), sep));
                out.push(sep);
                if t.is_empty() {
                    out.push_str(&id.to_string());
                }
                for c in &t.cols {
                    out.push(sep);
                    if t.is_empty() {
                        if let Some(v) = t.key.get(&c.label) {
                            out.push_str(&cell(v, sep));
                        }
                    }
                }
                out.push_str("\r\n");
            }
            if d.header {
                out.push(sep);
                out.push_str("result");
                out.push(sep);
                out.push_str("table");
                for c in &t.cols {
                    out.push(sep);
                    out.push_str(&cell(&Value::str(&c.label), sep));
                }
                out.push_str("\r\n");
            }
            self.prev = if t.is_empty() && d.default {
                None
            } else {
                Some(sig)
            };
        }
        // `,result,table` of every row of this table
        let mut prefix = String::new();
        prefix.push(sep);
        prefix.push_str(&self.row_result);
        prefix.push(sep);
        prefix.push_str(&id.to_string());
        let mut cols: Vec<CellWriter> = (0..t.cols.len())
            .map(|c| match numbers_need_no_quotes {
                true => CellWriter::new(t, c, sep),
                false => CellWriter::general(),
            })
            .collect();
        if t.is_empty() {
            return;
        }
        if t.len() == 1 {
            out.push_str(&prefix);
            for (c, w) in cols.iter_mut().enumerate() {
                out.push(sep);
                w.write(out, t, c, 0, sep);
            }
            out.push_str("\r\n");
            if out.len() >= chunk {
                full(out);
            }
            return;
        }
        // Every row as text runs and varying cells: the cells of a column
        // holding one value (a group key's, or a single series' tags) are
        // written into the runs once.
        let mut row = Vec::new();
        let mut text = prefix;
        for (c, w) in cols.iter_mut().enumerate() {
            text.push(sep);
            if is_constant(t.batch.column(c).as_ref()) {
                w.write(&mut text, t, c, 0, sep);
            } else {
                row.push(RowPart::Text(std::mem::take(&mut text)));
                row.push(RowPart::Cell(c));
            }
        }
        text.push_str("\r\n");
        row.push(RowPart::Text(text));
        row.retain(|p| !matches!(p, RowPart::Text(s) if s.is_empty()));
        for r in 0..t.len() {
            for part in &row {
                match part {
                    RowPart::Text(s) => out.push_str(s),
                    RowPart::Cell(c) => cols[*c].write(out, t, *c, r, sep),
                }
            }
            if out.len() >= chunk {
                full(out);
            }
        }
    }

    /// Ends the result (a blank line when anything was written).
    pub fn finish(self, out: &mut String) {
        if self.started {
            out.push_str("\r\n");
        }
    }
}

/// The table InfluxDB writes when a query fails after its answer started
/// (`error` and `reference` columns; clients raise the message).
pub fn encode_error(message: &str, d: &Dialect) -> String {
    let sep = d.delimiter;
    let mut out = String::new();
    if d.datatype {
        out.push_str(&format!("#datatype{sep}string{sep}string\r\n"));
    }
    if d.group {
        out.push_str(&format!("#group{sep}true{sep}true\r\n"));
    }
    if d.default {
        out.push_str(&format!("#default{sep}{sep}\r\n"));
    }
    if d.header || d.any_annotation() {
        out.push_str(&format!("{sep}error{sep}reference\r\n"));
    }
    out.push_str(&format!(
        "{sep}{}{sep}\r\n\r\n",
        cell(&Value::str(message), sep)
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::{encode, needs_quotes};
    use crate::table::{ColMeta, ColType, GroupKey, Table};
    use crate::value::Value;

    fn meta(label: &str, typ: ColType) -> ColMeta {
        ColMeta {
            label: label.into(),
            typ,
        }
    }

    /// Key columns with one value are written once per table, and still
    /// cell by cell where a key column's rows differ or hold nulls.
    #[test]
    fn constant_key_cells_are_written_as_every_row_has_them() {
        let key = GroupKey::new(vec![
            (meta("host", ColType::String), Value::str("a,b")),
            (meta("n", ColType::Int), Value::Int(1)),
            (meta("odd", ColType::Float), Value::Float(f64::NAN)),
            (meta("gap", ColType::String), Value::Null),
        ]);
        let time = |t| Value::Time(t);
        let table = Table::from_columns(
            key,
            vec![
                (
                    meta("_time", ColType::Time),
                    vec![time(0), time(10_000_000_000)],
                ),
                (
                    meta("gap", ColType::String),
                    vec![Value::Null, Value::str("x")],
                ),
                (
                    meta("host", ColType::String),
                    vec![Value::str("a,b"), Value::str("a,b")],
                ),
                (meta("n", ColType::Int), vec![Value::Int(1), Value::Int(2)]),
                (
                    meta("odd", ColType::Float),
                    vec![Value::Float(f64::NAN), Value::Float(f64::NAN)],
                ),
                (
                    meta("_value", ColType::Float),
                    vec![Value::Float(1.5), Value::Null],
                ),
            ],
        )
        .unwrap();
        let text = encode(&[("_result".into(), vec![table])]);
        let rows: Vec<&str> = text.split("\r\n").skip(4).take(2).collect();
        assert_eq!(
            rows,
            [
                ",,0,1970-01-01T00:00:00Z,,\"a,b\",1,NaN,1.5",
                ",,0,1970-01-01T00:00:10Z,x,\"a,b\",2,NaN,",
            ],
            "{text}"
        );
    }

    #[test]
    fn quoting_is_found_anywhere_in_long_text() {
        for len in [0usize, 1, 63, 64, 65, 130, 200] {
            let plain = "a".repeat(len);
            assert!(!needs_quotes(&plain, ','), "{len}");
            for pos in 0..len {
                for special in [',', '"', '\n', '\r'] {
                    let mut s = plain.clone().into_bytes();
                    s[pos] = special as u8;
                    let s = String::from_utf8(s).unwrap();
                    assert!(needs_quotes(&s, ','), "{len} {pos} {special:?}");
                }
                let mut s = plain.clone().into_bytes();
                s[pos] = b';';
                let s = String::from_utf8(s).unwrap();
                assert!(needs_quotes(&s, ';') && !needs_quotes(&s, ','));
            }
        }
        assert!(needs_quotes("aé§b", '§') && !needs_quotes("aéb", '§'));
    }
}

//! The line protocol parser.
//!
//! A body is first cut into lines ([`Lines`]): a line ends at the first `\n`
//! unless a double-quoted string field value is open at that point. Each line
//! is then checked for UTF-8 and parsed by [`parse_line`], which works on byte
//! offsets of the validated `&str` and only allocates for the tag and field
//! vectors and for values in which an escape sequence had to be undone.

use std::borrow::Cow;

use memchr::{memchr, memchr2};

use crate::{FieldValue, Line, ParseError, ParseErrorKind, MAX_KEY_LENGTH};

// Byte classes used by the scanners.
const SPACE: u8 = 1;
const COMMA: u8 = 2;
const EQUALS: u8 = 4;
const BACKSLASH: u8 = 8;
const WHITESPACE: u8 = 16;

static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b' ' as usize] = SPACE | WHITESPACE;
    t[b'\t' as usize] = WHITESPACE;
    t[0] = WHITESPACE;
    t[b',' as usize] = COMMA;
    t[b'=' as usize] = EQUALS;
    t[b'\\' as usize] = BACKSLASH;
    t
};

/// Bytes a backslash escapes in a measurement.
const MEASUREMENT_ESCAPES: u8 = SPACE | COMMA;
/// Bytes a backslash escapes in tag keys, tag values and field keys.
const TAG_ESCAPES: u8 = SPACE | COMMA | EQUALS;

/// Whitespace skipped at the start of a line and between sections
/// (space, tab and NUL, like InfluxDB).
#[inline]
pub(crate) fn is_ws(c: u8) -> bool {
    CLASS[c as usize] & WHITESPACE != 0
}

/// Iterator over the lines of a body: skips blank lines and lines starting with '#' (after leading whitespace), accepts \n and \r\n.
pub fn parse_lines(input: &[u8]) -> Lines<'_> {
    Lines {
        input,
        pos: 0,
        line_number: 1,
        tag_hint: 0,
        field_hint: 0,
        scratch: Scratch::default(),
    }
}

/// Iterator returned by [`parse_lines`]: one `Result` per non-blank, non-comment line.
#[derive(Debug, Clone)]
pub struct Lines<'a> {
    input: &'a [u8],
    pos: usize,
    /// Line number of the byte at `pos`.
    line_number: usize,
    /// Tag and field counts of the previous line, used as capacity hints.
    tag_hint: usize,
    field_hint: usize,
    scratch: Scratch,
}

/// Buffers reused from line to line.
#[derive(Debug, Clone, Default)]
struct Scratch {
    /// Delimiter bitmap of the current line (see [`delimiter_masks`]).
    masks: Vec<u64>,
}

impl<'a> Lines<'a> {
    /// The input not yet consumed.
    pub fn remainder(&self) -> &'a [u8] {
        self.input.get(self.pos..).unwrap_or(&[])
    }
}

impl<'a> Lines<'a> {
    /// The next non-blank, non-comment line: its content (without leading
    /// whitespace), its raw bytes and its line number.
    fn next_raw(&mut self) -> Option<(&'a [u8], &'a [u8], usize)> {
        let input = self.input;
        loop {
            if self.pos >= input.len() {
                return None;
            }
            let start = self.pos;
            let line_number = self.line_number;
            let mut content_start = start;
            while content_start < input.len() && is_ws(input[content_start]) {
                content_start += 1;
            }
            let (end, inner_newlines) = if input.get(content_start) == Some(&b'#') {
                // A comment runs to the end of its physical line, quotes or not.
                let end = memchr(b'\n', &input[content_start..])
                    .map_or(input.len(), |k| content_start + k);
                (end, 0)
            } else {
                find_line_end(input, content_start)
            };
            self.pos = end + 1;
            self.line_number += 1 + inner_newlines;

            let mut raw = &input[start..end];
            if end == input.len() {
                // A string left open ran to the end of the input: like
                // InfluxDB, do not count a final newline as part of the line.
                if let [rest @ .., b'\n'] = raw {
                    raw = rest;
                }
            }
            if let [rest @ .., b'\r'] = raw {
                raw = rest;
            }
            let content = raw.get(content_start - start..).unwrap_or(&[]);
            if content.is_empty() || content[0] == b'#' {
                continue;
            }
            return Some((content, raw, line_number));
        }
    }

    fn parse_next<K: Keep>(&mut self, keep: &mut K) -> Option<Result<Line<'a>, ParseError>> {
        let (content, raw, line_number) = self.next_raw()?;
        let hints = (self.tag_hint, self.field_hint);
        let result = parse_line(content, raw, line_number, hints, &mut self.scratch, keep);
        if let Ok(line) = &result {
            self.tag_hint = line.tags.len();
            self.field_hint = line.fields.len();
        }
        Some(result)
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = Result<Line<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.parse_next(&mut KeepAll)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let rest = self.input.len().saturating_sub(self.pos);
        (0, Some(rest.div_ceil(2)))
    }
}

/// Parses lines keeping only some of what they hold, for a reader of input
/// that was validated before (such as the lines a write accepted) who needs
/// a few fields: tags are skipped (neither parsed nor checked: only the end
/// of the series key is found) unless `tags` is set, and only the fields for
/// which `keep_field` answers true are kept, the values of the others
/// neither parsed nor checked. The rest of each line is still checked, so
/// errors are those of [`parse_lines`] except for skipped parts.
/// A line may come out with no fields.
pub fn parse_lines_selecting<F: FnMut(&str) -> bool>(
    input: &[u8],
    tags: bool,
    keep_field: F,
) -> SelectingLines<'_, F> {
    SelectingLines {
        lines: parse_lines(input),
        keep: Selecting {
            tags,
            field: keep_field,
        },
    }
}

/// Iterator returned by [`parse_lines_selecting`].
pub struct SelectingLines<'a, F> {
    lines: Lines<'a>,
    keep: Selecting<F>,
}

impl<'a, F: FnMut(&str) -> bool> Iterator for SelectingLines<'a, F> {
    type Item = Result<Line<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.lines.parse_next(&mut self.keep)
    }
}

/// What a parse keeps of each line.
trait Keep {
    /// Whether tags are collected (and checked for reserved and repeated keys).
    fn tags(&self) -> bool;
    /// Whether the field named `key` is kept (its value parsed).
    fn field(&mut self, key: &str) -> bool;
}

/// Keeps everything: the ordinary parse.
struct KeepAll;

impl Keep for KeepAll {
    #[inline(always)]
    fn tags(&self) -> bool {
        true
    }

    #[inline(always)]
    fn field(&mut self, _: &str) -> bool {
        true
    }
}

struct Selecting<F> {
    tags: bool,
    field: F,
}

impl<F: FnMut(&str) -> bool> Keep for Selecting<F> {
    #[inline]
    fn tags(&self) -> bool {
        self.tags
    }

    #[inline]
    fn field(&mut self, key: &str) -> bool {
        (self.field)(key)
    }
}

impl std::iter::FusedIterator for Lines<'_> {}

/// Finds the end (index of the terminating `\n`, or the input length) of the
/// line whose content starts at `start`, and counts the newlines inside
/// quoted string values before it.
#[inline]
fn find_line_end(input: &[u8], start: usize) -> (usize, usize) {
    let rest = &input[start..];
    match memchr2(b'\n', b'"', rest) {
        None => (input.len(), 0),
        Some(k) if rest[k] == b'\n' => (start + k, 0),
        Some(_) => find_line_end_quoted(input, start),
    }
}

/// Slow path of [`find_line_end`] for lines containing a double quote: follows
/// the structure of the line (the same rules as the parser) to know whether a
/// `\n` is inside a string field value.
fn find_line_end_quoted(input: &[u8], start: usize) -> (usize, usize) {
    #[derive(PartialEq)]
    enum State {
        Key,
        FieldKey,
        ValueStart,
        Value,
        Str,
        Time,
    }
    let mut state = State::Key;
    let mut newlines = 0;
    let mut i = start;
    while i < input.len() {
        let c = input[i];
        match state {
            State::Key | State::FieldKey => match c {
                b'\n' => return (i, newlines),
                b'\\' => {
                    let escapes_next = input
                        .get(i + 1)
                        .is_some_and(|&n| CLASS[n as usize] & TAG_ESCAPES != 0);
                    i += if escapes_next { 2 } else { 1 };
                    continue;
                }
                b' ' if state == State::Key => {
                    i += 1;
                    while i < input.len() && is_ws(input[i]) {
                        i += 1;
                    }
                    state = State::FieldKey;
                    continue;
                }
                b' ' => state = State::Time,
                b'=' if state == State::FieldKey => state = State::ValueStart,
                _ => {}
            },
            State::ValueStart => {
                state = State::Value;
                if c == b'"' {
                    state = State::Str;
                } else {
                    continue; // examine `c` as part of a bare value
                }
            }
            State::Value => match c {
                b'\n' => return (i, newlines),
                b',' => state = State::FieldKey,
                b' ' => state = State::Time,
                _ => {}
            },
            State::Str => match c {
                b'\\' if matches!(input.get(i + 1), Some(b'"' | b'\\')) => {
                    i += 2;
                    continue;
                }
                b'"' => state = State::Value,
                b'\n' => newlines += 1,
                _ => {}
            },
            State::Time => {
                if c == b'\n' {
                    return (i, newlines);
                }
            }
        }
        i += 1;
    }
    (input.len(), newlines)
}

/// Parses one line. `content` is the line without leading whitespace and
/// terminator (never empty), `raw` the whole line.
fn parse_line<'a>(
    content: &'a [u8],
    raw: &'a [u8],
    line_number: usize,
    (tag_hint, field_hint): (usize, usize),
    scratch: &mut Scratch,
    keep: &mut impl Keep,
) -> Result<Line<'a>, ParseError> {
    let fail = |kind| ParseError::new(line_number, content, kind);
    let s = std::str::from_utf8(content).map_err(|_| fail(ParseErrorKind::InvalidUtf8))?;
    delimiter_masks(content, &mut scratch.masks);
    let mut tags = Vec::with_capacity(tag_hint);
    let mut fields = Vec::with_capacity(field_hint);
    let result = parse_body(s, &scratch.masks, &mut tags, &mut fields, keep);
    let (measurement, key_len, timestamp) = result.map_err(fail)?;
    Ok(Line {
        measurement,
        tags,
        fields,
        timestamp,
        raw,
        series_key_raw: &content[..key_len],
        line_number,
    })
}

type Tags<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;
type Fields<'a> = Vec<(Cow<'a, str>, FieldValue<'a>)>;

/// One bit per byte of a 64-byte block: set for space, comma, `=` and backslash.
#[inline(always)]
fn block_mask(block: &[u8; 64]) -> u64 {
    // Written so that the compiler vectorizes the comparisons; the 0/1 bytes
    // are then gathered eight at a time with a multiplication.
    let mut hits = [0u8; 64];
    for (hit, &c) in hits.iter_mut().zip(block) {
        *hit = u8::from((c == b' ') | (c == b',') | (c == b'=') | (c == b'\\'));
    }
    let mut mask = 0u64;
    for (k, eight) in hits.chunks_exact(8).enumerate() {
        let mut word = [0u8; 8];
        word.copy_from_slice(eight);
        let bits = u64::from_le_bytes(word).wrapping_mul(0x0102_0408_1020_4080) >> 56;
        mask |= bits << (k * 8);
    }
    mask
}

/// Fills `masks` with the delimiter bitmap of `b`: bit `i % 64` of
/// `masks[i / 64]` is set when `b[i]` is a space, comma, `=` or backslash.
fn delimiter_masks(b: &[u8], masks: &mut Vec<u64>) {
    masks.clear();
    let (blocks, rest) = b.as_chunks::<64>();
    masks.extend(blocks.iter().map(block_mask));
    if !rest.is_empty() {
        let mut bytes = [0u8; 64];
        bytes[..rest.len()].copy_from_slice(rest);
        masks.push(block_mask(&bytes));
    }
}

/// Index of the first delimiter (space, comma, `=`, backslash) at or after
/// `i`, or `usize::MAX` if there is none.
#[inline(always)]
fn next_delimiter(masks: &[u64], i: usize) -> usize {
    let mut word = i >> 6;
    let Some(&first) = masks.get(word) else {
        return usize::MAX;
    };
    let mut mask = first & (u64::MAX << (i & 63));
    loop {
        if mask != 0 {
            return (word << 6) | mask.trailing_zeros() as usize;
        }
        word += 1;
        match masks.get(word) {
            Some(&m) => mask = m,
            None => return usize::MAX,
        }
    }
}

/// Scans from `i` to the first space, comma (or `=` if `equals`) that is not
/// escaped (preceded by a backslash). Returns its index (or `b.len()`) and
/// whether an escape sequence (a backslash before a byte of class
/// `escapable`) was seen.
#[inline(always)]
fn scan(b: &[u8], masks: &[u64], mut i: usize, equals: bool, escapable: u8) -> (usize, bool) {
    let mut escaped = false;
    loop {
        i = next_delimiter(masks, i);
        if i >= b.len() {
            return (b.len(), escaped);
        }
        match b[i] {
            b'\\' => {
                if i + 1 < b.len() && CLASS[b[i + 1] as usize] & escapable != 0 {
                    escaped = true;
                    i += 2;
                } else {
                    i += 1;
                }
            }
            b'=' if !equals => i += 1,
            _ => return (i, escaped),
        }
    }
}

/// Removes the backslash of each escape sequence (backslash + a byte of class
/// `escapable`); other backslashes are kept.
fn unescape(s: &str, escapable: u8) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() && CLASS[b[i + 1] as usize] & escapable != 0 {
            // Indices are at ASCII bytes, hence char boundaries.
            out.push_str(&s[last..i]);
            last = i + 1;
            i += 2;
        } else {
            i += 1;
        }
    }
    out.push_str(&s[last..]);
    out
}

/// Removes the backslash of `\"` and `\\` in a string field value.
fn unescape_string(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && matches!(b.get(i + 1), Some(b'"' | b'\\')) {
            out.push_str(&s[last..i]);
            last = i + 1;
            i += 2;
        } else {
            i += 1;
        }
    }
    out.push_str(&s[last..]);
    out
}

#[inline(always)]
fn name<'a>(s: &'a str, start: usize, end: usize, escaped: bool, escapable: u8) -> Cow<'a, str> {
    let text = &s[start..end];
    if escaped {
        Cow::Owned(unescape(text, escapable))
    } else {
        Cow::Borrowed(text)
    }
}

/// Parses a whole line (without leading whitespace), filling `tags` and
/// `fields`; returns the measurement, the length of the series key and the
/// raw timestamp.
fn parse_body<'a>(
    s: &'a str,
    masks: &[u64],
    tags: &mut Tags<'a>,
    fields: &mut Fields<'a>,
    keep: &mut impl Keep,
) -> Result<(Cow<'a, str>, usize, Option<i64>), ParseErrorKind> {
    use ParseErrorKind as E;
    let b = s.as_bytes();
    let len = b.len();

    // Measurement.
    if b.first().is_none_or(|&c| c == b',') {
        return Err(E::MissingMeasurement);
    }
    let (end, escaped) = scan(b, masks, 0, false, MEASUREMENT_ESCAPES);
    if end >= len {
        return Err(E::MissingFields);
    }
    let measurement = name(s, 0, end, escaped, MEASUREMENT_ESCAPES);
    let mut pos = end;

    // Tags.
    if b[pos] == b',' && !keep.tags() {
        // A reader of checked input who skips the tags needs only where the
        // series key ends: at the first space no backslash escapes (in a
        // series key a backslash never escapes another one).
        pos = unescaped_space(b, pos).ok_or(E::MissingFields)?;
    } else if b[pos] == b',' {
        pos += 1;
        loop {
            if pos >= len || matches!(b[pos], b' ' | b',' | b'=') {
                return Err(E::MissingTagKey);
            }
            let (key_end, escaped) = scan(b, masks, pos, true, TAG_ESCAPES);
            if key_end >= len || b[key_end] != b'=' {
                return Err(E::MissingTagValue);
            }
            let key_escaped = escaped;
            let value_start = key_end + 1;
            if value_start >= len || matches!(b[value_start], b' ' | b',') {
                return Err(E::MissingTagValue);
            }
            // Like InfluxDB, an `=` is tolerated as the first byte of a value.
            let from = value_start + usize::from(b[value_start] == b'=');
            let (value_end, escaped) = scan(b, masks, from, true, TAG_ESCAPES);
            if value_end >= len {
                return Err(E::MissingFields);
            }
            if keep.tags() {
                let key = name(s, pos, key_end, key_escaped, TAG_ESCAPES);
                let value = name(s, value_start, value_end, escaped, TAG_ESCAPES);
                tags.push((key, value));
            }
            match b[value_end] {
                b'=' => return Err(E::InvalidTagFormat),
                b',' => pos = value_end + 1,
                _ => {
                    pos = value_end;
                    break;
                }
            }
        }
        if keep.tags() {
            sort_tags(tags)?;
        }
    }
    let key_len = pos;
    if key_len > MAX_KEY_LENGTH {
        return Err(E::MaxKeyLengthExceeded { size: key_len });
    }

    // Fields.
    let mut seen = 0u64;
    while pos < len && is_ws(b[pos]) {
        pos += 1;
    }
    loop {
        if pos >= len || matches!(b[pos], b' ' | b',') {
            return Err(E::InvalidFieldFormat);
        }
        if b[pos] == b'=' {
            return Err(E::MissingFieldKey);
        }
        let (key_end, escaped) = scan(b, masks, pos, true, TAG_ESCAPES);
        if key_end >= len || b[key_end] != b'=' {
            return Err(E::InvalidFieldFormat);
        }
        let size = key_len + 4 + (key_end - pos);
        if size > MAX_KEY_LENGTH {
            return Err(E::MaxKeyLengthExceeded { size });
        }
        let key = name(s, pos, key_end, escaped, TAG_ESCAPES);
        let value_start = key_end + 1;
        if value_start >= len || matches!(b[value_start], b' ' | b',') {
            return Err(E::MissingFieldValue);
        }
        let kept = keep.field(&key);
        let (value, value_end) = if b[value_start] == b'"' {
            let (value, close) = parse_string(s, value_start + 1)?;
            let after = close + 1;
            if after < len && !matches!(b[after], b' ' | b',') {
                return Err(E::InvalidFieldFormat);
            }
            (Some(value), after)
        } else {
            // Unquoted values have no escapes: they end at the next comma or space.
            let mut end = value_start + 1;
            loop {
                end = next_delimiter(masks, end).min(len);
                if end == len || matches!(b[end], b',' | b' ') {
                    break;
                }
                end += 1;
            }
            let value = if kept {
                Some(parse_scalar(&s[value_start..end])?)
            } else {
                None
            };
            (value, end)
        };
        if let (true, Some(value)) = (kept, value) {
            insert_field(fields, &mut seen, key, value);
        }
        if value_end >= len {
            return Ok((measurement, key_len, None));
        }
        pos = value_end + 1;
        if b[value_end] == b' ' {
            break;
        }
    }

    // Timestamp.
    while pos < len && is_ws(b[pos]) {
        pos += 1;
    }
    if pos >= len {
        return Ok((measurement, key_len, None));
    }
    let ts_start = pos;
    while pos < len && b[pos] != b' ' {
        let c = b[pos];
        if !(c.is_ascii_digit() || (c == b'-' && pos == ts_start)) {
            return Err(E::BadTimestamp);
        }
        pos += 1;
    }
    let text = &s[ts_start..pos];
    let timestamp = match parse_i64(text.as_bytes()) {
        Some(Ok(ts)) => ts,
        Some(Err(())) => return Err(E::TimestampOverflow(text.to_owned())),
        None => return Err(E::TimestampSyntax(text.to_owned())),
    };
    if b[pos..].iter().any(|&c| c != b' ') {
        return Err(E::InvalidPoint);
    }
    Ok((measurement, key_len, Some(timestamp)))
}

/// Index of the first space at or after `from` that does not follow a backslash.
fn unescaped_space(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    loop {
        let k = i + memchr(b' ', &b[i..])?;
        if k == 0 || b[k - 1] != b'\\' {
            return Some(k);
        }
        i = k + 1;
    }
}

/// Sorts the tags by key in place, rejecting reserved and repeated keys.
fn sort_tags(tags: &mut Tags<'_>) -> Result<(), ParseErrorKind> {
    for (key, _) in tags.iter() {
        if let b"_measurement" | b"_field" | b"time" = key.as_bytes() {
            return Err(ParseErrorKind::ReservedTagKey(key.to_string()));
        }
    }
    // Already strictly ascending (common: most clients sort their tags)
    // means sorted without duplicates.
    if tags.windows(2).all(|w| key_cmp(&w[0].0, &w[1].0).is_lt()) {
        return Ok(());
    }
    // Small slices are insertion-sorted by std.
    tags.sort_unstable_by(|a, b| key_cmp(&a.0, &b.0));
    if tags.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(ParseErrorKind::DuplicateTags);
    }
    Ok(())
}

/// Byte-order comparison, deciding on the first bytes inline when they differ.
#[inline(always)]
fn key_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    match (a.first(), b.first()) {
        (Some(x), Some(y)) if x != y => x.cmp(y),
        _ => a.cmp(b),
    }
}

/// Adds a field; a repeated key replaces the earlier value in place.
///
/// `seen` is a 64-bit filter over (length, last byte) of the keys so far:
/// a key whose bit is not set cannot be a repeat, which avoids comparing
/// strings in the common case.
#[inline]
fn insert_field<'a>(
    fields: &mut Fields<'a>,
    seen: &mut u64,
    key: Cow<'a, str>,
    value: FieldValue<'a>,
) {
    let bytes = key.as_bytes();
    let last = bytes.last().copied().unwrap_or(0) as usize;
    let bit = 1u64 << ((bytes.len().wrapping_mul(7) ^ last) & 63);
    if *seen & bit != 0 {
        if let Some(slot) = fields.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = value;
            return;
        }
    }
    *seen |= bit;
    fields.push((key, value));
}

/// Parses a string field value whose contents start at `start` (just after
/// the opening quote); returns the value and the index of the closing quote.
fn parse_string(s: &str, start: usize) -> Result<(FieldValue<'_>, usize), ParseErrorKind> {
    let b = s.as_bytes();
    let mut i = start;
    let mut escaped = false;
    loop {
        let k = memchr2(b'"', b'\\', &b[i..]).ok_or(ParseErrorKind::UnbalancedQuotes)?;
        let at = i + k;
        if b[at] == b'"' {
            let text = &s[start..at];
            let value = if escaped {
                Cow::Owned(unescape_string(text))
            } else {
                Cow::Borrowed(text)
            };
            return Ok((FieldValue::String(value), at));
        }
        if matches!(b.get(at + 1), Some(b'"' | b'\\')) {
            escaped = true;
            i = at + 2;
        } else {
            i = at + 1;
        }
    }
}

/// Parses an unquoted field value (non-empty, no `,` or space).
fn parse_scalar(text: &str) -> Result<FieldValue<'_>, ParseErrorKind> {
    let b = text.as_bytes();
    match b[0] {
        b'0'..=b'9' | b'.' | b'-' => parse_number(text),
        b'N' | b'n' => Err(ParseErrorKind::InvalidNumber),
        _ => match text {
            "t" | "T" | "true" | "True" | "TRUE" => Ok(FieldValue::Boolean(true)),
            "f" | "F" | "false" | "False" | "FALSE" => Ok(FieldValue::Boolean(false)),
            _ => Err(ParseErrorKind::InvalidBoolean),
        },
    }
}

/// Parses `-?[0-9]+` as i64: `None` on bad syntax, `Some(Err)` on overflow.
#[inline]
fn parse_i64(b: &[u8]) -> Option<Result<i64, ()>> {
    let (negative, digits) = match b {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, b),
    };
    let magnitude = parse_u64(digits)?;
    Some(match magnitude {
        Ok(m) if negative && m <= 1u64 << 63 => Ok((m as i64).wrapping_neg()),
        Ok(m) if !negative && m <= i64::MAX as u64 => Ok(m as i64),
        _ => Err(()),
    })
}

/// Parses `[0-9]+` as u64: `None` on bad syntax, `Some(Err)` on overflow.
#[inline]
fn parse_u64(digits: &[u8]) -> Option<Result<u64, ()>> {
    if digits.is_empty() {
        return None;
    }
    let mut value: u64 = 0;
    let mut overflow = false;
    for &c in digits {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        match value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d)))
        {
            Some(v) => value = v,
            None => overflow = true,
        }
    }
    Some(if overflow { Err(()) } else { Ok(value) })
}

/// Parses a numeric field value (starts with a digit, `.` or `-`).
fn parse_number(text: &str) -> Result<FieldValue<'_>, ParseErrorKind> {
    use ParseErrorKind as E;
    let b = text.as_bytes();
    match b[b.len() - 1] {
        b'i' => {
            let body = &text[..text.len() - 1];
            match parse_i64(body.as_bytes()) {
                Some(Ok(v)) => Ok(FieldValue::Integer(v)),
                Some(Err(())) => Err(E::InvalidInteger(body.to_owned())),
                None => Err(E::InvalidNumber),
            }
        }
        b'u' => {
            let body = &text[..text.len() - 1];
            match parse_u64(body.as_bytes()) {
                Some(Ok(v)) => Ok(FieldValue::UInteger(v)),
                Some(Err(())) => Err(E::InvalidUnsigned(body.to_owned())),
                None => Err(E::InvalidNumber),
            }
        }
        _ => parse_float(text),
    }
}

/// Parses a float with InfluxDB's lexical rules: an optional leading `-`,
/// digits, at most one `.`, and `e`/`E` (after the first byte) optionally
/// followed by a sign.
fn parse_float(text: &str) -> Result<FieldValue<'_>, ParseErrorKind> {
    use ParseErrorKind as E;
    let b = text.as_bytes();
    let mut dot = false;
    let mut prev = 0u8;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'0'..=b'9' => {}
            b'.' if !dot => dot = true,
            b'e' | b'E' if i > 0 => {}
            b'-' if i == 0 => {}
            b'+' | b'-' if matches!(prev, b'e' | b'E') => {}
            _ => return Err(E::InvalidNumber),
        }
        prev = c;
    }
    let significant = b.len() - usize::from(dot) - usize::from(b[0] == b'-');
    if significant == 0 {
        return Err(E::InvalidNumber);
    }
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(FieldValue::Float(v)),
        // Malformed exponents ("1e", "1e5e5", ".e3") or out of range ("1e999").
        _ => Err(E::InvalidFloat),
    }
}

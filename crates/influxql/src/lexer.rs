//! The InfluxQL scanner.
//!
//! It works like InfluxDB's: the parser asks for one token at a time, may put
//! tokens back (`unscan`), and switches to regex scanning where a `/.../` may
//! start. Positions are (line, char) counted in Unicode scalars, `\r\n` and
//! `\r` count as one newline, and the position reported for EOF follows
//! InfluxDB's (one further when a token or whitespace ran into the end).

use crate::error::{ParseError, Pos};

/// A token kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    Illegal,
    Eof,
    Ws,
    Comment,
    Ident,
    BoundParam,
    Number,
    Integer,
    DurationVal,
    Str,
    BadString,
    BadEscape,
    True,
    False,
    Regex,
    BadRegex,
    // Operators.
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    BitAnd,
    BitOr,
    BitXor,
    And,
    Or,
    In,
    Eq,
    Neq,
    EqRegex,
    NeqRegex,
    Lt,
    Lte,
    Gt,
    Gte,
    // Punctuation.
    LParen,
    RParen,
    Comma,
    Colon,
    DoubleColon,
    Semicolon,
    Dot,
    // Keywords.
    All,
    Alter,
    Analyze,
    Any,
    As,
    Asc,
    Begin,
    By,
    Cardinality,
    Create,
    Continuous,
    Database,
    Databases,
    Default,
    Delete,
    Desc,
    Destinations,
    Diagnostics,
    Distinct,
    Drop,
    Duration,
    End,
    Every,
    Exact,
    Explain,
    Field,
    For,
    From,
    Grant,
    Grants,
    Group,
    Groups,
    Inf,
    Insert,
    Into,
    Key,
    Keys,
    Kill,
    Limit,
    Measurement,
    Measurements,
    Name,
    Offset,
    On,
    Order,
    Password,
    Policy,
    Policies,
    Privileges,
    Queries,
    Query,
    Read,
    Replication,
    Resample,
    Retention,
    Revoke,
    Select,
    Series,
    Set,
    Show,
    Shard,
    Shards,
    Slimit,
    Soffset,
    Stats,
    Subscription,
    Subscriptions,
    Tag,
    To,
    User,
    Users,
    Values,
    Where,
    With,
    Write,
}

/// Keywords by lower-case spelling.
const KEYWORDS: &[(&str, Tok)] = &[
    ("all", Tok::All),
    ("alter", Tok::Alter),
    ("analyze", Tok::Analyze),
    ("and", Tok::And),
    ("any", Tok::Any),
    ("as", Tok::As),
    ("asc", Tok::Asc),
    ("begin", Tok::Begin),
    ("by", Tok::By),
    ("cardinality", Tok::Cardinality),
    ("continuous", Tok::Continuous),
    ("create", Tok::Create),
    ("database", Tok::Database),
    ("databases", Tok::Databases),
    ("default", Tok::Default),
    ("delete", Tok::Delete),
    ("desc", Tok::Desc),
    ("destinations", Tok::Destinations),
    ("diagnostics", Tok::Diagnostics),
    ("distinct", Tok::Distinct),
    ("drop", Tok::Drop),
    ("duration", Tok::Duration),
    ("end", Tok::End),
    ("every", Tok::Every),
    ("exact", Tok::Exact),
    ("explain", Tok::Explain),
    ("false", Tok::False),
    ("field", Tok::Field),
    ("for", Tok::For),
    ("from", Tok::From),
    ("grant", Tok::Grant),
    ("grants", Tok::Grants),
    ("group", Tok::Group),
    ("groups", Tok::Groups),
    ("in", Tok::In),
    ("inf", Tok::Inf),
    ("insert", Tok::Insert),
    ("into", Tok::Into),
    ("key", Tok::Key),
    ("keys", Tok::Keys),
    ("kill", Tok::Kill),
    ("limit", Tok::Limit),
    ("measurement", Tok::Measurement),
    ("measurements", Tok::Measurements),
    ("name", Tok::Name),
    ("offset", Tok::Offset),
    ("on", Tok::On),
    ("or", Tok::Or),
    ("order", Tok::Order),
    ("password", Tok::Password),
    ("policies", Tok::Policies),
    ("policy", Tok::Policy),
    ("privileges", Tok::Privileges),
    ("queries", Tok::Queries),
    ("query", Tok::Query),
    ("read", Tok::Read),
    ("replication", Tok::Replication),
    ("resample", Tok::Resample),
    ("retention", Tok::Retention),
    ("revoke", Tok::Revoke),
    ("select", Tok::Select),
    ("series", Tok::Series),
    ("set", Tok::Set),
    ("shard", Tok::Shard),
    ("shards", Tok::Shards),
    ("show", Tok::Show),
    ("slimit", Tok::Slimit),
    ("soffset", Tok::Soffset),
    ("stats", Tok::Stats),
    ("subscription", Tok::Subscription),
    ("subscriptions", Tok::Subscriptions),
    ("tag", Tok::Tag),
    ("to", Tok::To),
    ("true", Tok::True),
    ("user", Tok::User),
    ("users", Tok::Users),
    ("values", Tok::Values),
    ("where", Tok::Where),
    ("with", Tok::With),
    ("write", Tok::Write),
];

/// The keyword token for a word, if it is one (case-insensitive).
pub(crate) fn lookup_keyword(word: &str) -> Option<Tok> {
    if word.len() > 13 || !word.is_ascii() {
        return None;
    }
    let lower = word.to_ascii_lowercase();
    KEYWORDS
        .binary_search_by(|(k, _)| k.cmp(&lower.as_str()))
        .ok()
        .map(|i| KEYWORDS[i].1)
}

impl Tok {
    /// The token's name as InfluxDB prints it in "found X" / "expected X".
    pub(crate) fn name(self) -> &'static str {
        match self {
            Tok::Illegal => "ILLEGAL",
            Tok::Eof => "EOF",
            Tok::Ws => "WS",
            Tok::Comment => "COMMENT",
            Tok::Ident => "IDENT",
            Tok::BoundParam => "BOUNDPARAM",
            Tok::Number => "NUMBER",
            Tok::Integer => "INTEGER",
            Tok::DurationVal => "DURATIONVAL",
            Tok::Str => "STRING",
            Tok::BadString => "BADSTRING",
            Tok::BadEscape => "BADESCAPE",
            Tok::True => "TRUE",
            Tok::False => "FALSE",
            Tok::Regex => "REGEX",
            Tok::BadRegex => "BADREGEX",
            Tok::Add => "+",
            Tok::Sub => "-",
            Tok::Mul => "*",
            Tok::Div => "/",
            Tok::Mod => "%",
            Tok::BitAnd => "&",
            Tok::BitOr => "|",
            Tok::BitXor => "^",
            Tok::And => "AND",
            Tok::Or => "OR",
            Tok::In => "IN",
            Tok::Eq => "=",
            Tok::Neq => "!=",
            Tok::EqRegex => "=~",
            Tok::NeqRegex => "!~",
            Tok::Lt => "<",
            Tok::Lte => "<=",
            Tok::Gt => ">",
            Tok::Gte => ">=",
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::Comma => ",",
            Tok::Colon => ":",
            Tok::DoubleColon => "::",
            Tok::Semicolon => ";",
            Tok::Dot => ".",
            Tok::All => "ALL",
            Tok::Alter => "ALTER",
            Tok::Analyze => "ANALYZE",
            Tok::Any => "ANY",
            Tok::As => "AS",
            Tok::Asc => "ASC",
            Tok::Begin => "BEGIN",
            Tok::By => "BY",
            Tok::Cardinality => "CARDINALITY",
            Tok::Create => "CREATE",
            Tok::Continuous => "CONTINUOUS",
            Tok::Database => "DATABASE",
            Tok::Databases => "DATABASES",
            Tok::Default => "DEFAULT",
            Tok::Delete => "DELETE",
            Tok::Desc => "DESC",
            Tok::Destinations => "DESTINATIONS",
            Tok::Diagnostics => "DIAGNOSTICS",
            Tok::Distinct => "DISTINCT",
            Tok::Drop => "DROP",
            Tok::Duration => "DURATION",
            Tok::End => "END",
            Tok::Every => "EVERY",
            Tok::Exact => "EXACT",
            Tok::Explain => "EXPLAIN",
            Tok::Field => "FIELD",
            Tok::For => "FOR",
            Tok::From => "FROM",
            Tok::Grant => "GRANT",
            Tok::Grants => "GRANTS",
            Tok::Group => "GROUP",
            Tok::Groups => "GROUPS",
            Tok::Inf => "INF",
            Tok::Insert => "INSERT",
            Tok::Into => "INTO",
            Tok::Key => "KEY",
            Tok::Keys => "KEYS",
            Tok::Kill => "KILL",
            Tok::Limit => "LIMIT",
            Tok::Measurement => "MEASUREMENT",
            Tok::Measurements => "MEASUREMENTS",
            Tok::Name => "NAME",
            Tok::Offset => "OFFSET",
            Tok::On => "ON",
            Tok::Order => "ORDER",
            Tok::Password => "PASSWORD",
            Tok::Policy => "POLICY",
            Tok::Policies => "POLICIES",
            Tok::Privileges => "PRIVILEGES",
            Tok::Queries => "QUERIES",
            Tok::Query => "QUERY",
            Tok::Read => "READ",
            Tok::Replication => "REPLICATION",
            Tok::Resample => "RESAMPLE",
            Tok::Retention => "RETENTION",
            Tok::Revoke => "REVOKE",
            Tok::Select => "SELECT",
            Tok::Series => "SERIES",
            Tok::Set => "SET",
            Tok::Show => "SHOW",
            Tok::Shard => "SHARD",
            Tok::Shards => "SHARDS",
            Tok::Slimit => "SLIMIT",
            Tok::Soffset => "SOFFSET",
            Tok::Stats => "STATS",
            Tok::Subscription => "SUBSCRIPTION",
            Tok::Subscriptions => "SUBSCRIPTIONS",
            Tok::Tag => "TAG",
            Tok::To => "TO",
            Tok::User => "USER",
            Tok::Users => "USERS",
            Tok::Values => "VALUES",
            Tok::Where => "WHERE",
            Tok::With => "WITH",
            Tok::Write => "WRITE",
        }
    }

    /// True for binary operator tokens (including `IN`, which InfluxDB lists as one).
    pub(crate) fn is_operator(self) -> bool {
        matches!(
            self,
            Tok::Add
                | Tok::Sub
                | Tok::Mul
                | Tok::Div
                | Tok::Mod
                | Tok::BitAnd
                | Tok::BitOr
                | Tok::BitXor
                | Tok::And
                | Tok::Or
                | Tok::In
                | Tok::Eq
                | Tok::Neq
                | Tok::EqRegex
                | Tok::NeqRegex
                | Tok::Lt
                | Tok::Lte
                | Tok::Gt
                | Tok::Gte
        )
    }
}

/// One scanned token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    /// Where the token starts (1-based, as InfluxDB reports it).
    pub pos: Pos,
    /// The literal: identifier text, unescaped string, number text, ...; empty for keywords.
    pub lit: String,
}

impl Token {
    /// What InfluxDB prints for this token after "found".
    pub(crate) fn found(&self) -> String {
        if self.lit.is_empty() {
            self.tok.name().to_string()
        } else {
            self.lit.clone()
        }
    }
}

/// The character scanner over one query text.
pub(crate) struct Scanner {
    chars: Vec<char>,
    /// (line, char) of every index, 0-based; one extra entry for the end.
    positions: Vec<(usize, usize)>,
    idx: usize,
    /// Set once scanning ran into the end of input (InfluxDB then reports EOF one char further).
    eof_consumed: bool,
}

fn is_ws(c: char) -> bool {
    c == ' ' || c == '\t' || c == '\n'
}

fn is_letter(c: char) -> bool {
    c.is_ascii_alphabetic()
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit()
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

impl Scanner {
    /// A scanner over `text` (`\r\n` and `\r` become `\n`; a NUL ends the input, as in InfluxDB).
    pub(crate) fn new(text: &str) -> Self {
        let mut chars = Vec::with_capacity(text.len());
        let mut it = text.chars().peekable();
        while let Some(c) = it.next() {
            match c {
                '\0' => break,
                '\r' => {
                    if it.peek() == Some(&'\n') {
                        it.next();
                    }
                    chars.push('\n');
                }
                c => chars.push(c),
            }
        }
        let mut positions = Vec::with_capacity(chars.len() + 1);
        let (mut line, mut col) = (0usize, 0usize);
        for &c in &chars {
            positions.push((line, col));
            if c == '\n' {
                line += 1;
                col = 0;
            } else {
                col += 1;
            }
        }
        positions.push((line, col));
        Self {
            chars,
            positions,
            idx: 0,
            eof_consumed: false,
        }
    }

    /// The 1-based position of a char index (the end of input counts as EOF).
    fn pos(&self, idx: usize) -> Pos {
        let (line, col) = self.positions[idx.min(self.chars.len())];
        let extra = usize::from(idx >= self.chars.len() && self.eof_consumed);
        Pos {
            line: line + 1,
            char: col + 1 + extra,
        }
    }

    fn at(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    /// The next char without consuming it; peeking at the end counts as reaching it.
    pub(crate) fn peek_char(&mut self) -> Option<char> {
        let c = self.at(self.idx);
        if c.is_none() {
            self.eof_consumed = true;
        }
        c
    }

    fn token(&self, tok: Tok, start: usize, lit: impl Into<String>) -> Token {
        Token {
            tok,
            pos: self.pos(start),
            lit: lit.into(),
        }
    }

    /// Scans the next token.
    pub(crate) fn scan(&mut self) -> Token {
        let start = self.idx;
        let Some(c) = self.at(start) else {
            // Reading EOF marks it: the next read reports one char further.
            let t = self.token(Tok::Eof, start, "");
            self.eof_consumed = true;
            return t;
        };
        if is_ws(c) {
            while matches!(self.at(self.idx), Some(c) if is_ws(c)) {
                self.idx += 1;
            }
            if self.idx >= self.chars.len() {
                self.eof_consumed = true;
            }
            let lit: String = self.chars[start..self.idx].iter().collect();
            return self.token(Tok::Ws, start, lit);
        }
        if is_letter(c) || c == '_' || c == '"' {
            return self.scan_ident(true);
        }
        if is_digit(c) {
            return self.scan_number();
        }
        self.idx += 1;
        let next = self.at(self.idx);
        let single = |s: &mut Self, tok: Tok| s.token(tok, start, "");
        match c {
            '\'' => {
                self.idx = start;
                self.scan_string()
            }
            '.' => {
                if matches!(next, Some(d) if is_digit(d)) {
                    self.idx = start;
                    self.scan_number()
                } else {
                    single(self, Tok::Dot)
                }
            }
            '$' => {
                let t = self.scan_ident(false);
                let lit = format!("${}", t.lit);
                if t.tok != Tok::Ident {
                    return self.token(t.tok, start, lit);
                }
                self.token(Tok::BoundParam, start, lit)
            }
            '+' => single(self, Tok::Add),
            '-' => {
                if next == Some('-') {
                    while let Some(ch) = self.at(self.idx) {
                        self.idx += 1;
                        if ch == '\n' {
                            return single(self, Tok::Comment);
                        }
                    }
                    self.eof_consumed = true;
                    return single(self, Tok::Comment);
                }
                single(self, Tok::Sub)
            }
            '*' => single(self, Tok::Mul),
            '/' => {
                if next == Some('*') {
                    self.idx += 1;
                    loop {
                        match self.at(self.idx) {
                            None => {
                                self.eof_consumed = true;
                                return single(self, Tok::Illegal);
                            }
                            Some('*') if self.at(self.idx + 1) == Some('/') => {
                                self.idx += 2;
                                return single(self, Tok::Comment);
                            }
                            Some(_) => self.idx += 1,
                        }
                    }
                }
                single(self, Tok::Div)
            }
            '%' => single(self, Tok::Mod),
            '&' => single(self, Tok::BitAnd),
            '|' => single(self, Tok::BitOr),
            '^' => single(self, Tok::BitXor),
            '=' => {
                if next == Some('~') {
                    self.idx += 1;
                    single(self, Tok::EqRegex)
                } else {
                    single(self, Tok::Eq)
                }
            }
            '!' => match next {
                Some('=') => {
                    self.idx += 1;
                    single(self, Tok::Neq)
                }
                Some('~') => {
                    self.idx += 1;
                    single(self, Tok::NeqRegex)
                }
                _ => self.token(Tok::Illegal, start, "!"),
            },
            '>' => {
                if next == Some('=') {
                    self.idx += 1;
                    single(self, Tok::Gte)
                } else {
                    single(self, Tok::Gt)
                }
            }
            '<' => match next {
                Some('=') => {
                    self.idx += 1;
                    single(self, Tok::Lte)
                }
                Some('>') => {
                    self.idx += 1;
                    single(self, Tok::Neq)
                }
                _ => single(self, Tok::Lt),
            },
            '(' => single(self, Tok::LParen),
            ')' => single(self, Tok::RParen),
            ',' => single(self, Tok::Comma),
            ';' => single(self, Tok::Semicolon),
            ':' => {
                if next == Some(':') {
                    self.idx += 1;
                    single(self, Tok::DoubleColon)
                } else {
                    single(self, Tok::Colon)
                }
            }
            other => self.token(Tok::Illegal, start, other.to_string()),
        }
    }

    /// Scans an identifier (bare or double-quoted); keywords when `lookup`.
    fn scan_ident(&mut self, lookup: bool) -> Token {
        let start = self.idx;
        let mut buf = String::new();
        loop {
            match self.at(self.idx) {
                None => {
                    self.eof_consumed = true;
                    break;
                }
                Some('"') => {
                    // A quoted part replaces what was read (InfluxDB's behaviour).
                    let t = self.scan_quoted('"');
                    return match t.tok {
                        Tok::Str => self.token(Tok::Ident, start, t.lit),
                        _ => t,
                    };
                }
                Some(c) if is_ident_char(c) => {
                    while let Some(c) = self.at(self.idx) {
                        if !is_ident_char(c) {
                            break;
                        }
                        buf.push(c);
                        self.idx += 1;
                    }
                    if self.idx >= self.chars.len() {
                        self.eof_consumed = true;
                    }
                }
                Some(_) => break,
            }
        }
        if lookup {
            if let Some(kw) = lookup_keyword(&buf) {
                return self.token(kw, start, "");
            }
        }
        self.token(Tok::Ident, start, buf)
    }

    /// Scans a single-quoted string literal.
    fn scan_string(&mut self) -> Token {
        self.scan_quoted('\'')
    }

    /// Scans text between `quote`s with `\n \\ \" \'` escapes.
    ///
    /// Like InfluxDB, the token's position is the char *before* the opening quote.
    fn scan_quoted(&mut self, quote: char) -> Token {
        let start = self.idx;
        self.idx += 1;
        let tok = |s: &Self, tok: Tok, lit: String| Token {
            tok,
            pos: if start == 0 {
                Pos { line: 1, char: 1 }
            } else {
                s.pos(start - 1)
            },
            lit,
        };
        let mut buf = String::new();
        loop {
            let Some(c) = self.at(self.idx) else {
                self.eof_consumed = true;
                return tok(self, Tok::BadString, buf);
            };
            self.idx += 1;
            if c == quote {
                return tok(self, Tok::Str, buf);
            }
            match c {
                '\n' => return tok(self, Tok::BadString, buf),
                '\\' => {
                    let esc = self.at(self.idx);
                    self.idx += 1;
                    match esc {
                        Some('n') => buf.push('\n'),
                        Some('\\') => buf.push('\\'),
                        Some('"') => buf.push('"'),
                        Some('\'') => buf.push('\''),
                        other => {
                            // InfluxDB reports the position of the char after the escape.
                            let mut lit = String::from('\\');
                            if let Some(o) = other {
                                lit.push(o);
                            } else {
                                self.eof_consumed = true;
                            }
                            let at = self.idx.saturating_sub(1).min(self.chars.len());
                            return self.token(Tok::BadEscape, at, lit);
                        }
                    }
                }
                c => buf.push(c),
            }
        }
    }

    /// Scans a number, integer or duration.
    fn scan_number(&mut self) -> Token {
        let start = self.idx;
        let mut buf = String::new();
        self.scan_digits(&mut buf);
        let mut decimal = false;
        if self.at(self.idx) == Some('.') {
            decimal = true;
            self.idx += 1;
            if matches!(self.at(self.idx), Some(d) if is_digit(d)) {
                buf.push('.');
                self.scan_digits(&mut buf);
            }
        }
        if decimal {
            return self.token(Tok::Number, start, buf);
        }
        let is_unit = |c: Option<char>| matches!(c, Some(c) if is_letter(c) || c == 'µ');
        if is_unit(self.at(self.idx)) {
            while let Some(c) = self.at(self.idx) {
                if is_letter(c) || c == 'µ' || is_digit(c) {
                    buf.push(c);
                    self.idx += 1;
                } else {
                    break;
                }
            }
            return self.token(Tok::DurationVal, start, buf);
        }
        self.token(Tok::Integer, start, buf)
    }

    fn scan_digits(&mut self, buf: &mut String) {
        while let Some(c) = self.at(self.idx) {
            if !is_digit(c) {
                return;
            }
            buf.push(c);
            self.idx += 1;
        }
    }

    /// Scans a `/regex/` at the current index; `\/` is unescaped, other escapes kept.
    ///
    /// The token's position is the char before the `/`, as InfluxDB reports
    /// it (its scanner takes the position of the last rune read).
    pub(crate) fn scan_regex(&mut self) -> Token {
        let start = self.idx;
        if self.at(start) != Some('/') {
            let found = self.at(start).map(String::from).unwrap_or_default();
            return self.token(Tok::BadRegex, start, found);
        }
        let start = start.saturating_sub(1);
        self.idx += 1;
        let mut buf = String::new();
        loop {
            let Some(c) = self.at(self.idx) else {
                self.eof_consumed = true;
                return self.token(Tok::BadRegex, start, "");
            };
            self.idx += 1;
            match c {
                '/' => return self.token(Tok::Regex, start, buf),
                '\n' => return self.token(Tok::BadRegex, start, ""),
                '\\' => match self.at(self.idx) {
                    Some('/') => {
                        self.idx += 1;
                        buf.push('/');
                    }
                    Some(_) => buf.push('\\'),
                    None => {
                        self.eof_consumed = true;
                        return self.token(Tok::BadRegex, start, "");
                    }
                },
                c => buf.push(c),
            }
        }
    }
}

/// Parses an InfluxQL duration literal (`1h30m`, `10ms`, `5u`, `5µ`, `2w`, `-5m`) into ns.
///
/// Errors are InfluxDB's: `invalid duration`, or the overflow message.
pub fn parse_duration(s: &str) -> Result<i64, ParseError> {
    let a: Vec<char> = s.chars().collect();
    if a.len() < 2 {
        return Err(ParseError::bare("invalid duration"));
    }
    let mut i = 0;
    let negative = a[0] == '-';
    if negative {
        i += 1;
    }
    let mut d: i64 = 0;
    let mut measure: i64 = 0;
    let mut unit = String::new();
    while i < a.len() {
        let start = i;
        while i < a.len() && a[i].is_ascii_digit() {
            i += 1;
        }
        if i >= a.len() || i == start {
            return Err(ParseError::bare("invalid duration"));
        }
        let digits: String = a[start..i].iter().collect();
        let n: i64 = digits
            .parse()
            .map_err(|_| ParseError::bare("invalid duration"))?;
        measure = n;
        unit = a[i].to_string();
        let mult: i64 = match a[i] {
            'n' if a.get(i + 1) == Some(&'s') => {
                unit = "ns".into();
                i += 1;
                1
            }
            'u' | 'µ' => 1_000,
            'm' if a.get(i + 1) == Some(&'s') => {
                unit = "ms".into();
                i += 1;
                1_000_000
            }
            'm' => 60_000_000_000,
            's' => 1_000_000_000,
            'h' => 3_600_000_000_000,
            'd' => 86_400_000_000_000,
            'w' => 604_800_000_000_000,
            _ => return Err(ParseError::bare("invalid duration")),
        };
        d = d.wrapping_add(n.wrapping_mul(mult));
        i += 1;
    }
    if d < 0 && !negative {
        return Err(ParseError::bare(format!(
            "overflowed duration {measure}{unit}: choose a smaller duration or INF"
        )));
    }
    Ok(if negative { d.wrapping_neg() } else { d })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<(Tok, String)> {
        let mut sc = Scanner::new(s);
        let mut out = vec![];
        loop {
            let t = sc.scan();
            if t.tok == Tok::Eof {
                return out;
            }
            if t.tok != Tok::Ws {
                out.push((t.tok, t.lit));
            }
        }
    }

    #[test]
    fn keywords_sorted() {
        assert!(KEYWORDS.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn scans_tokens() {
        let t = toks(r#"SELECT "a b", c_1 FROM x WHERE y =~ 10 AND z <> 'it\'s' -- c"#);
        let kinds: Vec<Tok> = t.iter().map(|x| x.0).collect();
        assert_eq!(
            kinds,
            vec![
                Tok::Select,
                Tok::Ident,
                Tok::Comma,
                Tok::Ident,
                Tok::From,
                Tok::Ident,
                Tok::Where,
                Tok::Ident,
                Tok::EqRegex,
                Tok::Integer,
                Tok::And,
                Tok::Ident,
                Tok::Neq,
                Tok::Str,
                Tok::Comment
            ]
        );
        assert_eq!(t[1].1, "a b");
        assert_eq!(t[13].1, "it's");
        assert_eq!(toks("1h30m")[0], (Tok::DurationVal, "1h30m".into()));
        assert_eq!(toks("1.5")[0], (Tok::Number, "1.5".into()));
        assert_eq!(toks(".5")[0], (Tok::Number, ".5".into()));
        assert_eq!(toks("$host")[0], (Tok::BoundParam, "$host".into()));
        assert_eq!(toks(r#"$"a b""#)[0], (Tok::BoundParam, "$a b".into()));
    }

    #[test]
    fn regex_scanning() {
        let mut sc = Scanner::new(r"/a\/b\d/ x");
        let t = sc.scan_regex();
        assert_eq!((t.tok, t.lit.as_str()), (Tok::Regex, r"a/b\d"));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h30m").unwrap(), 5_400_000_000_000);
        assert_eq!(parse_duration("10ms").unwrap(), 10_000_000);
        assert_eq!(parse_duration("5u").unwrap(), 5_000);
        assert_eq!(parse_duration("5µ").unwrap(), 5_000);
        assert_eq!(parse_duration("3ns").unwrap(), 3);
        assert_eq!(parse_duration("2w").unwrap(), 1_209_600_000_000_000);
        assert_eq!(parse_duration("-5m").unwrap(), -300_000_000_000);
        assert_eq!(parse_duration("1d").unwrap(), 86_400_000_000_000);
        for bad in ["", "1", "h", "1x", "1n", "10", "1h5"] {
            assert_eq!(
                parse_duration(bad).unwrap_err().to_string(),
                "invalid duration",
                "{bad}"
            );
        }
        assert!(parse_duration("9999999999999999w")
            .unwrap_err()
            .message
            .starts_with("overflowed duration"));
    }
}

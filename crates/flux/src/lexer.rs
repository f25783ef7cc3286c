//! Flux lexer: turns source text into tokens with positions. Regex literals
//! are recognised by context (a `/` where an operand is expected); string
//! literals are split into text and `${...}` parts, each part lexed recursively.

use crate::ast::{Location, Position};
use crate::error::{Error, Result};

/// A piece of a string literal.
#[derive(Debug, Clone, PartialEq)]
pub enum StrPart {
    /// Literal text (escapes already decoded).
    Text(String, Location),
    /// Tokens of an interpolated `${ ... }` expression (ending with `Eof`).
    Interp(Vec<Token>, Location),
}

/// Token kinds.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Ident(String),
    Int(String),
    Float(String),
    Str(Vec<StrPart>),
    Regex(String),
    Duration(Vec<(i64, String)>),
    Time(String),
    And,
    Or,
    Not,
    Exists,
    If,
    Then,
    Else,
    Import,
    Package,
    Return,
    Option,
    Builtin,
    Testcase,
    Plus,
    Minus,
    Mul,
    Div,
    Mod,
    Pow,
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    RegexEq,
    RegexNeq,
    Assign,
    Arrow,
    PipeForward,
    PipeReceive,
    LParen,
    RParen,
    LBrack,
    RBrack,
    LBrace,
    RBrace,
    Comma,
    Dot,
    Colon,
    Question,
    Eof,
}

impl Tok {
    /// Flux's name for the token kind, used in error messages.
    pub fn name(&self) -> &'static str {
        use Tok::*;
        match self {
            Ident(_) => "IDENT",
            Int(_) => "INT",
            Float(_) => "FLOAT",
            Str(_) => "STRING",
            Regex(_) => "REGEX",
            Duration(_) => "DURATION",
            Time(_) => "TIME",
            And => "AND",
            Or => "OR",
            Not => "NOT",
            Exists => "EXISTS",
            If => "IF",
            Then => "THEN",
            Else => "ELSE",
            Import => "IMPORT",
            Package => "PACKAGE",
            Return => "RETURN",
            Option => "OPTION",
            Builtin => "BUILTIN",
            Testcase => "TESTCASE",
            Plus => "ADD",
            Minus => "SUB",
            Mul => "MUL",
            Div => "DIV",
            Mod => "MOD",
            Pow => "POW",
            Eq => "EQ",
            Neq => "NEQ",
            Lt => "LT",
            Lte => "LTE",
            Gt => "GT",
            Gte => "GTE",
            RegexEq => "REGEXEQ",
            RegexNeq => "REGEXNEQ",
            Assign => "ASSIGN",
            Arrow => "ARROW",
            PipeForward => "PIPE_FORWARD",
            PipeReceive => "PIPE_RECEIVE",
            LParen => "LPAREN",
            RParen => "RPAREN",
            LBrack => "LBRACK",
            RBrack => "RBRACK",
            LBrace => "LBRACE",
            RBrace => "RBRACE",
            Comma => "COMMA",
            Dot => "DOT",
            Colon => "COLON",
            Question => "QUESTION_MARK",
            Eof => "EOF",
        }
    }

    fn ends_operand(&self) -> bool {
        matches!(
            self,
            Tok::Ident(_)
                | Tok::Int(_)
                | Tok::Float(_)
                | Tok::Str(_)
                | Tok::Regex(_)
                | Tok::Duration(_)
                | Tok::Time(_)
                | Tok::RParen
                | Tok::RBrack
                | Tok::RBrace
        )
    }
}

/// A token with its source range.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub loc: Location,
}

/// Duration units, longest first so `mo`/`ms` win over `m`.
const UNITS: &[&str] = &["mo", "ms", "us", "µs", "ns", "y", "w", "d", "h", "m", "s"];

struct Lexer<'a> {
    chars: Vec<char>,
    i: usize,
    line: u32,
    col: u32,
    depth: usize,
    _src: &'a str,
}

/// Lex a whole source text.
pub fn lex(src: &str) -> Result<Vec<Token>> {
    let mut lx = Lexer {
        chars: src.chars().collect(),
        i: 0,
        line: 1,
        col: 1,
        depth: 0,
        _src: src,
    };
    let mut out = Vec::new();
    lx.run(&mut out, false)?;
    Ok(out)
}

impl Lexer<'_> {
    fn pos(&self) -> Position {
        Position {
            line: self.line,
            column: self.col,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.chars.get(self.i + n).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.get(self.i).copied()?;
        self.i += 1;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn err<T>(&self, start: Position, msg: impl Into<String>) -> Result<T> {
        Err(Error::Syntax {
            loc: Location {
                start,
                end: self.pos(),
            },
            msg: msg.into(),
        })
    }

    /// Lex tokens into `out`. With `interp`, stop at the `}` closing a `${`.
    fn run(&mut self, out: &mut Vec<Token>, interp: bool) -> Result<()> {
        let mut depth = 0usize;
        loop {
            // skip white space and comments
            while let Some(c) = self.peek() {
                if c.is_whitespace() {
                    self.bump();
                } else if c == '/' && self.peek_at(1) == Some('/') {
                    while let Some(c) = self.peek() {
                        if c == '\n' {
                            break;
                        }
                        self.bump();
                    }
                } else {
                    break;
                }
            }
            let start = self.pos();
            let Some(c) = self.peek() else {
                if interp {
                    return self.err(start, "got unexpected EOF in string expression");
                }
                out.push(Token {
                    tok: Tok::Eof,
                    loc: Location { start, end: start },
                });
                return Ok(());
            };
            if interp && c == '}' && depth == 0 {
                self.bump();
                out.push(Token {
                    tok: Tok::Eof,
                    loc: Location { start, end: start },
                });
                return Ok(());
            }
            let prev_operand = out.last().map(|t| t.tok.ends_operand()).unwrap_or(false);
            let tok = if c.is_alphabetic() || c == '_' {
                let mut s = String::new();
                while let Some(c) = self.peek() {
                    if c.is_alphanumeric() || c == '_' {
                        s.push(c);
                        self.bump();
                    } else {
                        break;
                    }
                }
                match s.as_str() {
                    "and" => Tok::And,
                    "or" => Tok::Or,
                    "not" => Tok::Not,
                    "exists" => Tok::Exists,
                    "if" => Tok::If,
                    "then" => Tok::Then,
                    "else" => Tok::Else,
                    "import" => Tok::Import,
                    "package" => Tok::Package,
                    "return" => Tok::Return,
                    "option" => Tok::Option,
                    "builtin" => Tok::Builtin,
                    "testcase" => Tok::Testcase,
                    _ => Tok::Ident(s),
                }
            } else if c.is_ascii_digit() {
                self.number(start)?
            } else if c == '"' {
                self.bump();
                Tok::Str(self.string(start)?)
            } else if c == '/' && !prev_operand {
                self.bump();
                self.regex(start)?
            } else {
                self.bump();
                let n = self.peek();
                let two = |t: Tok, lx: &mut Self| {
                    lx.bump();
                    t
                };
                match c {
                    '+' => Tok::Plus,
                    '-' => Tok::Minus,
                    '*' => Tok::Mul,
                    '/' => Tok::Div,
                    '%' => Tok::Mod,
                    '^' => Tok::Pow,
                    '=' if n == Some('=') => two(Tok::Eq, self),
                    '=' if n == Some('~') => two(Tok::RegexEq, self),
                    '=' if n == Some('>') => two(Tok::Arrow, self),
                    '=' => Tok::Assign,
                    '!' if n == Some('=') => two(Tok::Neq, self),
                    '!' if n == Some('~') => two(Tok::RegexNeq, self),
                    '<' if n == Some('=') => two(Tok::Lte, self),
                    '<' if n == Some('-') => two(Tok::PipeReceive, self),
                    '<' => Tok::Lt,
                    '>' if n == Some('=') => two(Tok::Gte, self),
                    '>' => Tok::Gt,
                    '|' if n == Some('>') => two(Tok::PipeForward, self),
                    '(' => Tok::LParen,
                    ')' => Tok::RParen,
                    '[' => Tok::LBrack,
                    ']' => Tok::RBrack,
                    '{' => {
                        depth += 1;
                        Tok::LBrace
                    }
                    '}' => {
                        depth = depth.saturating_sub(1);
                        Tok::RBrace
                    }
                    ',' => Tok::Comma,
                    '.' => Tok::Dot,
                    ':' => Tok::Colon,
                    '?' => Tok::Question,
                    other => return self.err(start, format!("invalid token {other:?}")),
                }
            };
            out.push(Token {
                tok,
                loc: Location {
                    start,
                    end: self.pos(),
                },
            });
        }
    }

    fn digits(&mut self) -> String {
        let mut s = String::new();
        while let Some(c) = self.peek() {
            if c.is_ascii_digit() {
                s.push(c);
                self.bump();
            } else {
                break;
            }
        }
        s
    }

    fn number(&mut self, start: Position) -> Result<Tok> {
        // date-time: YYYY-MM-DD...
        let is_date = (0..4).all(|k| self.peek_at(k).is_some_and(|c| c.is_ascii_digit()))
            && self.peek_at(4) == Some('-')
            && self.peek_at(5).is_some_and(|c| c.is_ascii_digit());
        if is_date {
            return self.datetime(start);
        }
        let int = self.digits();
        match self.peek() {
            Some('.') if self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) => {
                self.bump();
                let frac = self.digits();
                let mut s = format!("{int}.{frac}");
                if matches!(self.peek(), Some('e') | Some('E')) {
                    let sign_ok = match self.peek_at(1) {
                        Some(c) if c.is_ascii_digit() => true,
                        Some('+') | Some('-') => {
                            self.peek_at(2).is_some_and(|c| c.is_ascii_digit())
                        }
                        _ => false,
                    };
                    if sign_ok {
                        s.push('e');
                        self.bump();
                        if let Some(c @ ('+' | '-')) = self.peek() {
                            s.push(c);
                            self.bump();
                        }
                        s.push_str(&self.digits());
                    }
                }
                Ok(Tok::Float(s))
            }
            Some(c) if c.is_alphabetic() => {
                let mut parts = Vec::new();
                let mut mag = int;
                loop {
                    let unit = UNITS.iter().find(|u| {
                        u.chars()
                            .enumerate()
                            .all(|(k, uc)| self.peek_at(k) == Some(uc))
                            && !self
                                .peek_at(u.chars().count())
                                .is_some_and(|c| c.is_alphabetic() || c == '_')
                    });
                    let Some(unit) = unit else {
                        return self.err(start, "invalid duration unit");
                    };
                    for _ in 0..unit.chars().count() {
                        self.bump();
                    }
                    let Ok(m) = mag.parse::<i64>() else {
                        return self.err(start, "duration magnitude out of range");
                    };
                    let unit = if *unit == "µs" { "us" } else { unit };
                    parts.push((m, unit.to_string()));
                    if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                        mag = self.digits();
                        if !self.peek().is_some_and(|c| c.is_alphabetic()) {
                            return self.err(start, "invalid duration: missing unit");
                        }
                    } else {
                        break;
                    }
                }
                Ok(Tok::Duration(parts))
            }
            _ => Ok(Tok::Int(int)),
        }
    }

    fn datetime(&mut self, start: Position) -> Result<Tok> {
        let mut s = String::new();
        // Consume characters that can belong to an RFC3339 literal.
        while let Some(c) = self.peek() {
            let ok = c.is_ascii_digit()
                || c == '-'
                || c == ':'
                || c == '.'
                || c == 'T'
                || c == 'Z'
                || (c == '+' && s.contains('T'));
            // a '-' is part of the literal only when followed by a digit
            if !ok || (c == '-' && !self.peek_at(1).is_some_and(|d| d.is_ascii_digit())) {
                break;
            }
            // a '.' is part of the literal only when followed by a digit
            if c == '.' && !self.peek_at(1).is_some_and(|d| d.is_ascii_digit()) {
                break;
            }
            s.push(c);
            self.bump();
        }
        if parse_time(&s).is_none() {
            return self.err(start, format!("invalid date time literal {s:?}"));
        }
        Ok(Tok::Time(s))
    }

    fn regex(&mut self, start: Position) -> Result<Tok> {
        let mut s = String::new();
        loop {
            match self.bump() {
                None | Some('\n') => return self.err(start, "regex literal not terminated"),
                Some('/') => return Ok(Tok::Regex(s)),
                Some('\\') => match self.bump() {
                    Some('/') => s.push('/'),
                    Some(c) => {
                        s.push('\\');
                        s.push(c);
                    }
                    None => return self.err(start, "regex literal not terminated"),
                },
                Some(c) => s.push(c),
            }
        }
    }

    /// Lex a string body after the opening quote.
    fn string(&mut self, start: Position) -> Result<Vec<StrPart>> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut bytes: Vec<u8> = Vec::new();
        let mut text_start = self.pos();
        fn flush_bytes(bytes: &mut Vec<u8>, text: &mut String) -> bool {
            if bytes.is_empty() {
                return true;
            }
            let ok = match std::str::from_utf8(bytes) {
                Ok(s) => {
                    text.push_str(s);
                    true
                }
                Err(_) => false,
            };
            bytes.clear();
            ok
        }
        loop {
            let Some(c) = self.bump() else {
                return self.err(start, "string literal not terminated");
            };
            if c != '\\' && !flush_bytes(&mut bytes, &mut text) {
                return self.err(start, "invalid byte sequence in string literal");
            }
            match c {
                '"' => {
                    if !text.is_empty() || parts.is_empty() {
                        let loc = Location {
                            start: text_start,
                            end: self.pos(),
                        };
                        parts.push(StrPart::Text(std::mem::take(&mut text), loc));
                    }
                    return Ok(parts);
                }
                '\\' => match self.bump() {
                    Some(e) if e != 'x' && !flush_bytes(&mut bytes, &mut text) => {
                        return self.err(start, "invalid byte sequence in string literal")
                    }
                    Some('n') => text.push('\n'),
                    Some('r') => text.push('\r'),
                    Some('t') => text.push('\t'),
                    Some('\\') => text.push('\\'),
                    Some('"') => text.push('"'),
                    Some('$') => text.push('$'),
                    Some('x') => {
                        let h: String = [self.bump(), self.bump()].iter().flatten().collect();
                        match u8::from_str_radix(&h, 16) {
                            Ok(b) if h.len() == 2 => bytes.push(b),
                            _ => return self.err(start, "invalid byte value in string literal"),
                        }
                    }
                    Some(o) => {
                        return self.err(start, format!("invalid escape sequence \\{o} in string"))
                    }
                    None => return self.err(start, "string literal not terminated"),
                },
                '$' if self.peek() == Some('{') => {
                    let istart = self.pos();
                    self.bump();
                    if !text.is_empty() {
                        let loc = Location {
                            start: text_start,
                            end: istart,
                        };
                        parts.push(StrPart::Text(std::mem::take(&mut text), loc));
                    }
                    let mut toks = Vec::new();
                    if self.depth >= 16 {
                        return self.err(istart, "string interpolation is too deeply nested");
                    }
                    self.depth += 1;
                    let r = self.run(&mut toks, true);
                    self.depth -= 1;
                    r?;
                    parts.push(StrPart::Interp(
                        toks,
                        Location {
                            start: istart,
                            end: self.pos(),
                        },
                    ));
                    text_start = self.pos();
                }
                c => text.push(c),
            }
        }
    }
}

/// Parse a Flux date-time literal (RFC3339 with optional fraction and zone, or
/// a bare date) into nanoseconds since the epoch.
pub fn parse_time(s: &str) -> Option<i64> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime};
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return d.timestamp_nanos_opt();
    }
    if let Ok(d) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return d.and_utc().timestamp_nanos_opt();
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        if s.len() == 10 {
            return d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_nanos_opt();
        }
    }
    None
}

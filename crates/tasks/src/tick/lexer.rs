//! TICKscript lexer: turns a script into tokens with line/column positions.

use super::{Pos, TickError};

/// Kinds of tokens.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// An identifier (`stream`, `from`, `var` names, function names).
    Ident(String),
    /// A double-quoted reference to a field or tag (`"value"`).
    Reference(String),
    /// A single- or triple-quoted string literal.
    Str(String),
    /// An integer literal.
    Int(i64),
    /// A float literal.
    Float(f64),
    /// A duration literal, in nanoseconds.
    Duration(i64),
    /// A regex literal (`/.../`), its pattern.
    Regex(String),
    /// `TRUE` / `FALSE`.
    Bool(bool),
    /// `var`.
    Var,
    /// `lambda`.
    Lambda,
    /// `dbrp`.
    Dbrp,
    /// `*` where an operand is expected (`groupBy(*)`).
    Star,
    /// An operator (`+ - * / % == != < <= > >= =~ !~ AND OR !`).
    Op(&'static str),
    /// `|`.
    Pipe,
    /// `.`.
    Dot,
    /// `@`.
    At,
    /// `=`.
    Assign,
    /// `(`.
    LParen,
    /// `)`.
    RParen,
    /// `[`.
    LBracket,
    /// `]`.
    RBracket,
    /// `,`.
    Comma,
    /// `:`.
    Colon,
    /// End of input.
    Eof,
}

impl Tok {
    /// How the token reads in error messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("identifier {s:?}"),
            Tok::Reference(s) => format!("reference \"{s}\""),
            Tok::Str(s) => format!("string '{s}'"),
            Tok::Int(i) => format!("number {i}"),
            Tok::Float(f) => format!("number {f}"),
            Tok::Duration(_) => "duration".into(),
            Tok::Regex(r) => format!("regex /{r}/"),
            Tok::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
            Tok::Var => "var".into(),
            Tok::Lambda => "lambda".into(),
            Tok::Dbrp => "dbrp".into(),
            Tok::Star => "*".into(),
            Tok::Op(o) => (*o).into(),
            Tok::Pipe => "|".into(),
            Tok::Dot => ".".into(),
            Tok::At => "@".into(),
            Tok::Assign => "=".into(),
            Tok::LParen => "(".into(),
            Tok::RParen => ")".into(),
            Tok::LBracket => "[".into(),
            Tok::RBracket => "]".into(),
            Tok::Comma => ",".into(),
            Tok::Colon => ":".into(),
            Tok::Eof => "end of script".into(),
        }
    }

    /// Whether the token ends an operand (so `/` and `*` after it are operators).
    fn ends_operand(&self) -> bool {
        matches!(
            self,
            Tok::Ident(_)
                | Tok::Reference(_)
                | Tok::Str(_)
                | Tok::Int(_)
                | Tok::Float(_)
                | Tok::Duration(_)
                | Tok::Regex(_)
                | Tok::Bool(_)
                | Tok::Star
                | Tok::RParen
                | Tok::RBracket
        )
    }
}

/// A token with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// The token.
    pub tok: Tok,
    /// Where it starts.
    pub pos: Pos,
}

/// Nanoseconds per duration unit, longest unit names first.
const UNITS: &[(&str, i64)] = &[
    ("ms", 1_000_000),
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("u", 1_000),
    ("µ", 1_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
    ("d", 86_400_000_000_000),
    ("w", 604_800_000_000_000),
];

/// Splits `src` into tokens (the last one is [`Tok::Eof`]).
pub fn lex(src: &str) -> Result<Vec<Token>, TickError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out: Vec<Token> = Vec::new();
    let (mut i, mut line, mut col) = (0usize, 1usize, 1usize);
    macro_rules! bump {
        () => {{
            if chars[i] == '\n' {
                line += 1;
                col = 1;
            } else {
                col += 1;
            }
            i += 1;
        }};
    }
    while i < chars.len() {
        let c = chars[i];
        let pos = Pos { line, col };
        if c.is_whitespace() {
            bump!();
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                bump!();
            }
            continue;
        }
        let after_operand = out.last().map(|t| t.tok.ends_operand()).unwrap_or(false);
        let tok = if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                bump!();
            }
            let word: String = chars[start..i].iter().collect();
            match word.as_str() {
                "var" => Tok::Var,
                "lambda" => Tok::Lambda,
                "dbrp" => Tok::Dbrp,
                "TRUE" => Tok::Bool(true),
                "FALSE" => Tok::Bool(false),
                "AND" => Tok::Op("AND"),
                "OR" => Tok::Op("OR"),
                _ => Tok::Ident(word),
            }
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                bump!();
            }
            let mut is_float = false;
            if i + 1 < chars.len() && chars[i] == '.' && chars[i + 1].is_ascii_digit() {
                is_float = true;
                bump!();
                while i < chars.len() && chars[i].is_ascii_digit() {
                    bump!();
                }
            }
            let text: String = chars[start..i].iter().collect();
            let unit = UNITS.iter().find(|(name, _)| {
                let n: Vec<char> = name.chars().collect();
                chars.len() >= i + n.len()
                    && chars[i..i + n.len()] == n[..]
                    && !chars
                        .get(i + n.len())
                        .map(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .unwrap_or(false)
            });
            if let Some((name, nanos)) = unit {
                for _ in 0..name.chars().count() {
                    bump!();
                }
                let value: f64 = text
                    .parse()
                    .map_err(|_| TickError::at(pos, "invalid duration"))?;
                let ns = value * *nanos as f64;
                if !ns.is_finite() || ns.abs() > i64::MAX as f64 {
                    return Err(TickError::at(
                        pos,
                        format!("duration {text}{name} out of range"),
                    ));
                }
                Tok::Duration(ns as i64)
            } else if is_float {
                Tok::Float(
                    text.parse()
                        .map_err(|_| TickError::at(pos, "invalid number"))?,
                )
            } else {
                match text.parse::<i64>() {
                    Ok(v) => Tok::Int(v),
                    Err(_) => {
                        return Err(TickError::at(pos, format!("integer {text} out of range")))
                    }
                }
            }
        } else if c == '"' {
            bump!();
            let mut s = String::new();
            loop {
                match chars.get(i) {
                    None | Some('\n') => return Err(TickError::at(pos, "unterminated reference")),
                    Some('"') => {
                        bump!();
                        break;
                    }
                    Some('\\') if matches!(chars.get(i + 1), Some('"') | Some('\\')) => {
                        bump!();
                        s.push(chars[i]);
                        bump!();
                    }
                    Some(&ch) => {
                        s.push(ch);
                        bump!();
                    }
                }
            }
            Tok::Reference(s)
        } else if c == '\'' {
            let triple = chars.get(i + 1) == Some(&'\'') && chars.get(i + 2) == Some(&'\'');
            let mut s = String::new();
            if triple {
                bump!();
                bump!();
                bump!();
                loop {
                    if i >= chars.len() {
                        return Err(TickError::at(pos, "unterminated string"));
                    }
                    if chars[i] == '\''
                        && chars.get(i + 1) == Some(&'\'')
                        && chars.get(i + 2) == Some(&'\'')
                    {
                        bump!();
                        bump!();
                        bump!();
                        break;
                    }
                    s.push(chars[i]);
                    bump!();
                }
            } else {
                bump!();
                loop {
                    match chars.get(i) {
                        None | Some('\n') => return Err(TickError::at(pos, "unterminated string")),
                        Some('\'') => {
                            bump!();
                            break;
                        }
                        Some('\\') if matches!(chars.get(i + 1), Some('\'') | Some('\\')) => {
                            bump!();
                            s.push(chars[i]);
                            bump!();
                        }
                        Some(&ch) => {
                            s.push(ch);
                            bump!();
                        }
                    }
                }
            }
            Tok::Str(s)
        } else if c == '/' && !after_operand {
            bump!();
            let mut s = String::new();
            loop {
                match chars.get(i) {
                    None | Some('\n') => return Err(TickError::at(pos, "unterminated regex")),
                    Some('/') => {
                        bump!();
                        break;
                    }
                    Some('\\') if chars.get(i + 1) == Some(&'/') => {
                        bump!();
                        s.push('/');
                        bump!();
                    }
                    Some(&ch) => {
                        s.push(ch);
                        bump!();
                    }
                }
            }
            Tok::Regex(s)
        } else {
            let next = chars.get(i + 1).copied();
            let (tok, len) = match (c, next) {
                ('=', Some('=')) => (Tok::Op("=="), 2),
                ('=', Some('~')) => (Tok::Op("=~"), 2),
                ('!', Some('=')) => (Tok::Op("!="), 2),
                ('!', Some('~')) => (Tok::Op("!~"), 2),
                ('<', Some('=')) => (Tok::Op("<="), 2),
                ('>', Some('=')) => (Tok::Op(">="), 2),
                ('=', _) => (Tok::Assign, 1),
                ('!', _) => (Tok::Op("!"), 1),
                ('<', _) => (Tok::Op("<"), 1),
                ('>', _) => (Tok::Op(">"), 1),
                ('+', _) => (Tok::Op("+"), 1),
                ('-', _) => (Tok::Op("-"), 1),
                ('*', _) if after_operand => (Tok::Op("*"), 1),
                ('*', _) => (Tok::Star, 1),
                ('/', _) => (Tok::Op("/"), 1),
                ('%', _) => (Tok::Op("%"), 1),
                ('|', _) => (Tok::Pipe, 1),
                ('.', _) => (Tok::Dot, 1),
                ('@', _) => (Tok::At, 1),
                ('(', _) => (Tok::LParen, 1),
                (')', _) => (Tok::RParen, 1),
                ('[', _) => (Tok::LBracket, 1),
                (']', _) => (Tok::RBracket, 1),
                (',', _) => (Tok::Comma, 1),
                (':', _) => (Tok::Colon, 1),
                _ => return Err(TickError::at(pos, format!("unexpected character {c:?}"))),
            };
            for _ in 0..len {
                bump!();
            }
            tok
        };
        out.push(Token { tok, pos });
    }
    out.push(Token {
        tok: Tok::Eof,
        pos: Pos { line, col },
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        lex(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn durations_regex_and_star() {
        assert_eq!(
            toks("groupBy(*) 10s 1ms 2w (/a\\/b/"),
            vec![
                Tok::Ident("groupBy".into()),
                Tok::LParen,
                Tok::Star,
                Tok::RParen,
                Tok::Duration(10_000_000_000),
                Tok::Duration(1_000_000),
                Tok::Duration(1_209_600_000_000_000),
                Tok::LParen,
                Tok::Regex("a/b".into()),
                Tok::Eof
            ]
        );
        assert_eq!(
            toks("\"a\" / 2 * 3"),
            vec![
                Tok::Reference("a".into()),
                Tok::Op("/"),
                Tok::Int(2),
                Tok::Op("*"),
                Tok::Int(3),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn strings_and_comments() {
        assert_eq!(
            toks("// c\n'a\\'b' '''x\n'y'''"),
            vec![Tok::Str("a'b".into()), Tok::Str("x\n'y".into()), Tok::Eof]
        );
        let err = lex("\n  'abc").unwrap_err();
        assert_eq!(err.to_string(), "line 2 char 3: unterminated string");
    }
}

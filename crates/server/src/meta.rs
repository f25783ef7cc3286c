//! The few InfluxQL statements `/query` answers before the InfluxQL crate
//! exists: `CREATE DATABASE` (with its `WITH` clause), `SHOW DATABASES` and
//! `DROP DATABASE`. Every other statement is recognised by its leading
//! keywords and answered with a "not supported yet" error naming it.

use almanac_catalog::RetentionPolicySpec;

/// A statement `/query` can run.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// `CREATE DATABASE name [WITH ...]`.
    CreateDatabase {
        /// Database name.
        name: String,
        /// Retention policy from the `WITH` clause.
        rp: Option<RetentionPolicySpec>,
    },
    /// `SHOW DATABASES`.
    ShowDatabases,
    /// `DROP DATABASE name`.
    DropDatabase {
        /// Database name.
        name: String,
    },
    /// A valid-looking statement Almanac does not run yet (its leading keywords).
    Unsupported(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Quoted(String),
    Number(String),
    Semicolon,
}

/// Splits `q` into tokens; strings in single quotes, identifiers in double quotes.
fn tokenize(q: &str) -> Result<Vec<(usize, Token)>, String> {
    let chars: Vec<char> = q.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && chars.get(i + 1) == Some(&'-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == ';' {
            tokens.push((i, Token::Semicolon));
            i += 1;
        } else if c == '"' || c == '\'' {
            let start = i;
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => {
                        return Err(format!(
                            "found unterminated quote, expected identifier at line 1, char {}",
                            start + 1
                        ))
                    }
                    Some('\\') if chars.get(i + 1).is_some() => {
                        s.push(chars[i + 1]);
                        i += 2;
                    }
                    Some(ch) if *ch == c => {
                        i += 1;
                        break;
                    }
                    Some(ch) => {
                        s.push(*ch);
                        i += 1;
                    }
                }
            }
            tokens.push((start, Token::Quoted(s)));
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
            tokens.push((start, Token::Number(chars[start..i].iter().collect())));
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push((start, Token::Word(chars[start..i].iter().collect())));
        } else {
            // Anything else belongs to statements we do not parse here;
            // keep it as a word so the statement can still be named.
            tokens.push((i, Token::Word(c.to_string())));
            i += 1;
        }
    }
    Ok(tokens)
}

/// Parses an InfluxQL duration literal such as `1h`, `90m`, `1h30m`, `INF`.
/// Returns `None` for infinite.
pub fn parse_duration(s: &str) -> Result<Option<i64>, String> {
    if s.eq_ignore_ascii_case("inf") {
        return Ok(None);
    }
    let mut total: i64 = 0;
    let mut rest = s;
    if rest.is_empty() {
        return Err(format!("invalid duration {s}"));
    }
    while !rest.is_empty() {
        let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return Err(format!("invalid duration {s}"));
        }
        let n: i64 = rest[..digits]
            .parse()
            .map_err(|_| format!("invalid duration {s}"))?;
        rest = &rest[digits..];
        let unit_len = rest
            .chars()
            .take_while(|c| c.is_ascii_alphabetic() || *c == 'µ')
            .map(|c| c.len_utf8())
            .sum::<usize>();
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let nanos: i64 = match unit {
            "ns" => 1,
            "u" | "µ" | "us" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "d" => 86_400_000_000_000,
            "w" => 604_800_000_000_000,
            _ => return Err(format!("invalid duration {s}")),
        };
        total = n
            .checked_mul(nanos)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("overflowed duration {s}"))?;
    }
    Ok(Some(total))
}

/// Leading keywords of every InfluxQL statement, to name unsupported ones.
const STATEMENT_HEADS: &[&str] = &[
    "SELECT",
    "DELETE",
    "GRANT",
    "REVOKE",
    "EXPLAIN",
    "EXPLAIN ANALYZE",
    "KILL QUERY",
    "SET PASSWORD",
    "SHOW SERIES",
    "SHOW MEASUREMENTS",
    "SHOW TAG KEYS",
    "SHOW TAG VALUES",
    "SHOW FIELD KEYS",
    "SHOW RETENTION POLICIES",
    "SHOW CONTINUOUS QUERIES",
    "SHOW USERS",
    "SHOW GRANTS",
    "SHOW SHARDS",
    "SHOW SHARD GROUPS",
    "SHOW STATS",
    "SHOW DIAGNOSTICS",
    "SHOW QUERIES",
    "SHOW SUBSCRIPTIONS",
    "SHOW MEASUREMENT CARDINALITY",
    "SHOW SERIES CARDINALITY",
    "SHOW TAG KEY CARDINALITY",
    "SHOW TAG VALUES CARDINALITY",
    "SHOW FIELD KEY CARDINALITY",
    "SHOW MEASUREMENT EXACT CARDINALITY",
    "SHOW SERIES EXACT CARDINALITY",
    "CREATE RETENTION POLICY",
    "CREATE USER",
    "CREATE CONTINUOUS QUERY",
    "CREATE SUBSCRIPTION",
    "DROP RETENTION POLICY",
    "DROP MEASUREMENT",
    "DROP SERIES",
    "DROP SHARD",
    "DROP USER",
    "DROP CONTINUOUS QUERY",
    "DROP SUBSCRIPTION",
    "ALTER RETENTION POLICY",
];

struct Parser {
    tokens: Vec<(usize, Token)>,
    pos: usize,
}

impl Parser {
    fn peek_word(&self) -> Option<String> {
        match self.tokens.get(self.pos) {
            Some((_, Token::Word(w))) => Some(w.to_ascii_uppercase()),
            _ => None,
        }
    }

    fn keyword(&mut self, kw: &str) -> bool {
        if self.peek_word().as_deref() == Some(kw) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn found(&self) -> String {
        match self.tokens.get(self.pos) {
            None => "EOF".to_string(),
            Some((_, Token::Word(w))) | Some((_, Token::Number(w))) => w.clone(),
            Some((_, Token::Quoted(w))) => w.clone(),
            Some((_, Token::Semicolon)) => ";".to_string(),
        }
    }

    fn position(&self) -> usize {
        self.tokens.get(self.pos).map(|(p, _)| p + 1).unwrap_or(0)
    }

    fn error(&self, expected: &str) -> String {
        format!(
            "found {}, expected {} at line 1, char {}",
            self.found(),
            expected,
            self.position()
        )
    }

    fn ident(&mut self) -> Result<String, String> {
        match self.tokens.get(self.pos) {
            Some((_, Token::Word(w))) | Some((_, Token::Quoted(w))) => {
                let w = w.clone();
                self.pos += 1;
                Ok(w)
            }
            _ => Err(self.error("identifier")),
        }
    }

    fn duration(&mut self) -> Result<Option<i64>, String> {
        match self.tokens.get(self.pos) {
            Some((_, Token::Number(n))) | Some((_, Token::Word(n))) => {
                let n = n.clone();
                let d = parse_duration(&n).map_err(|_| self.error("duration"))?;
                self.pos += 1;
                Ok(d)
            }
            _ => Err(self.error("duration")),
        }
    }

    fn statement_end(&self) -> bool {
        matches!(
            self.tokens.get(self.pos),
            None | Some((_, Token::Semicolon))
        )
    }

    /// Skips to the end of the statement; returns its head (e.g. `SHOW TAG KEYS`).
    fn skip_statement(&mut self) -> String {
        let mut words = Vec::new();
        let mut leading = true;
        while !self.statement_end() {
            match self.tokens.get(self.pos) {
                Some((_, Token::Word(w))) if leading && words.len() < 4 => {
                    words.push(w.to_ascii_uppercase())
                }
                _ => leading = false,
            }
            self.pos += 1;
        }
        let joined = words.join(" ");
        STATEMENT_HEADS
            .iter()
            .filter(|head| joined == **head || joined.starts_with(&format!("{head} ")))
            .max_by_key(|head| head.len())
            .map(|head| head.to_string())
            .unwrap_or_else(|| words.first().cloned().unwrap_or_default())
    }

    fn statement(&mut self) -> Result<Statement, String> {
        let start = self.pos;
        if self.keyword("CREATE") && self.keyword("DATABASE") {
            let name = self.ident()?;
            let mut rp = None;
            if self.keyword("WITH") {
                let mut spec = RetentionPolicySpec::default();
                let mut any = false;
                loop {
                    if self.keyword("DURATION") {
                        spec.duration_ns = self.duration()?;
                    } else if self.keyword("REPLICATION") {
                        let n = match self.tokens.get(self.pos) {
                            Some((_, Token::Number(n))) => n.parse::<u32>().ok(),
                            _ => None,
                        };
                        spec.replication = Some(n.ok_or_else(|| self.error("integer"))?);
                        self.pos += 1;
                    } else if self.keyword("SHARD") {
                        if !self.keyword("DURATION") {
                            return Err(self.error("DURATION"));
                        }
                        spec.shard_group_duration_ns = Some(self.duration()?.unwrap_or(0));
                    } else if self.keyword("NAME") {
                        spec.name = self.ident()?;
                    } else {
                        break;
                    }
                    any = true;
                }
                if !any {
                    return Err(self.error("DURATION, NAME, REPLICATION, SHARD"));
                }
                rp = Some(spec);
            }
            if !self.statement_end() {
                return Err(self.error(";"));
            }
            return Ok(Statement::CreateDatabase { name, rp });
        }
        self.pos = start;
        if self.keyword("SHOW") && self.keyword("DATABASES") {
            if !self.statement_end() {
                return Err(self.error(";"));
            }
            return Ok(Statement::ShowDatabases);
        }
        self.pos = start;
        if self.keyword("DROP") && self.keyword("DATABASE") {
            let name = self.ident()?;
            if !self.statement_end() {
                return Err(self.error(";"));
            }
            return Ok(Statement::DropDatabase { name });
        }
        self.pos = start;
        const FIRST: [&str; 11] = [
            "SELECT", "SHOW", "CREATE", "DROP", "DELETE", "ALTER", "GRANT", "REVOKE", "SET",
            "KILL", "EXPLAIN",
        ];
        match self.peek_word() {
            Some(w) if FIRST.contains(&w.as_str()) => {
                Ok(Statement::Unsupported(self.skip_statement()))
            }
            _ => Err(self.error(
                "SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL",
            )),
        }
    }
}

/// Parses `;`-separated statements; errors use InfluxDB's parser wording.
pub fn parse_statements(q: &str) -> Result<Vec<Statement>, String> {
    let tokens = tokenize(q)?;
    let mut parser = Parser { tokens, pos: 0 };
    let mut statements = Vec::new();
    loop {
        while matches!(parser.tokens.get(parser.pos), Some((_, Token::Semicolon))) {
            parser.pos += 1;
        }
        if parser.pos >= parser.tokens.len() {
            break;
        }
        statements.push(parser.statement()?);
    }
    Ok(statements)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_database_statements() {
        let s = parse_statements(
            "CREATE DATABASE \"my db\" WITH DURATION 1d REPLICATION 1 SHARD DURATION 1h NAME \"rp1\"; show databases;drop database x",
        )
        .unwrap();
        assert_eq!(
            s[0],
            Statement::CreateDatabase {
                name: "my db".into(),
                rp: Some(RetentionPolicySpec {
                    name: "rp1".into(),
                    duration_ns: Some(86_400_000_000_000),
                    shard_group_duration_ns: Some(3_600_000_000_000),
                    replication: Some(1),
                }),
            }
        );
        assert_eq!(s[1], Statement::ShowDatabases);
        assert_eq!(s[2], Statement::DropDatabase { name: "x".into() });
    }

    #[test]
    fn other_statements_are_named_and_garbage_is_rejected() {
        assert_eq!(
            parse_statements("SELECT * FROM cpu").unwrap(),
            vec![Statement::Unsupported("SELECT".into())]
        );
        assert_eq!(
            parse_statements("show tag keys from cpu; DROP MEASUREMENT cpu").unwrap(),
            vec![
                Statement::Unsupported("SHOW TAG KEYS".into()),
                Statement::Unsupported("DROP MEASUREMENT".into())
            ]
        );
        let err = parse_statements("FOO BAR").unwrap_err();
        assert!(err.starts_with("found FOO, expected SELECT"), "{err}");
        assert!(parse_statements("CREATE DATABASE").is_err());
        assert!(parse_statements("CREATE DATABASE x WITH").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h30m").unwrap(), Some(5_400_000_000_000));
        assert_eq!(parse_duration("INF").unwrap(), None);
        assert!(parse_duration("1x").is_err());
        assert!(parse_duration("h").is_err());
    }
}

#[cfg(test)]
mod prop {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parsing_arbitrary_text_never_panics(q in "\\PC{0,80}") {
            let _ = parse_statements(&q);
        }

        #[test]
        fn create_database_round_trips_any_quoted_name(name in "[a-zA-Z0-9 _.-]{1,20}") {
            let q = format!("CREATE DATABASE \"{name}\"");
            prop_assert_eq!(
                parse_statements(&q).unwrap(),
                vec![Statement::CreateDatabase { name: name.clone(), rp: None }]
            );
        }
    }
}

//! The InfluxQL parser: a recursive-descent parser that follows InfluxDB
//! 1.8's token by token, so that error messages and positions are the same.

use crate::ast::*;
use crate::error::{ParseError, Pos};
use crate::lexer::{parse_duration, Scanner, Tok, Token};
use crate::params::BoundValue;
use std::collections::HashMap;

/// Deepest nesting of parentheses, calls and subqueries accepted.
const MAX_DEPTH: usize = 100;
/// Most binary operators accepted in one expression.
const MAX_OPERATORS: usize = 4096;

/// Parses several statements separated by `;`.
///
/// `$name` bind parameters in expression positions are kept as
/// [`Expr::BindParam`]; substitute them with [`crate::bind`], or use
/// [`parse_query_with_params`] for InfluxDB's exact behaviour.
pub fn parse_query(text: &str) -> Result<Query, ParseError> {
    Parser::new(text, None).parse_query()
}

/// Parses several statements, substituting `$name` bind parameters from the
/// JSON `params` object while scanning, exactly as InfluxDB 1.8 does (so a
/// parameter may stand for a literal, an identifier `{"identifier": "cpu"}`,
/// a regex `{"regex": "^a"}`, a duration, ... and a missing one is the error
/// `missing parameter: name`).
pub fn parse_query_with_params(
    text: &str,
    params: &serde_json::Map<String, serde_json::Value>,
) -> Result<Query, ParseError> {
    let bound = params
        .iter()
        .map(|(k, v)| (k.clone(), BoundValue::from_json(v)))
        .collect();
    Parser::new(text, Some(bound)).parse_query()
}

/// Parses exactly one statement (trailing text after it is an error only if
/// it is not whitespace or `;`).
pub fn parse_statement(text: &str) -> Result<Statement, ParseError> {
    let mut p = Parser::new(text, None);
    let stmt = p.parse_statement()?;
    let t = p.scan_ignore_ws();
    if t.tok != Tok::Eof && t.tok != Tok::Semicolon {
        return Err(ParseError::unexpected(&t.found(), &[";"], t.pos));
    }
    Ok(stmt)
}

/// Parses one expression.
pub fn parse_expr(text: &str) -> Result<Expr, ParseError> {
    let mut p = Parser::new(text, None);
    let e = p.parse_expr()?;
    let t = p.scan_ignore_ws();
    if t.tok != Tok::Eof {
        return Err(ParseError::unexpected(&t.found(), &["EOF"], t.pos));
    }
    Ok(e)
}

/// Where an `INTO` clause is allowed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Required,
    NotRequired,
    Subquery,
}

struct Parser {
    sc: Scanner,
    /// Ring of the last scanned tokens, for `unscan`.
    buf: [Option<Token>; 3],
    i: usize,
    n: usize,
    params: Option<HashMap<String, BoundValue>>,
    depth: usize,
}

fn err_at(t: &Token, expected: &[&str]) -> ParseError {
    ParseError::unexpected(&t.found(), expected, t.pos)
}

/// Position InfluxDB reports for errors built without one (its zero `Pos`).
const ZERO_POS: Pos = Pos { line: 1, char: 1 };

impl Parser {
    fn new(text: &str, params: Option<HashMap<String, BoundValue>>) -> Self {
        Self {
            sc: Scanner::new(text),
            buf: [None, None, None],
            i: 0,
            n: 0,
            params,
            depth: 0,
        }
    }

    // ---- token plumbing -------------------------------------------------

    fn curr(&self) -> Token {
        let idx = (self.i + 3 - self.n) % 3;
        self.buf[idx].clone().unwrap_or(Token {
            tok: Tok::Eof,
            pos: ZERO_POS,
            lit: String::new(),
        })
    }

    fn push(&mut self, mut t: Token) -> Token {
        if t.tok == Tok::BoundParam {
            if let Some(params) = &self.params {
                let key = t.lit.trim_start_matches('$');
                if !key.is_empty() {
                    if let Some(v) = params.get(key) {
                        let (tok, lit) = v.token();
                        t.tok = tok;
                        t.lit = lit;
                    }
                }
            }
        }
        self.i = (self.i + 1) % 3;
        self.buf[self.i] = Some(t);
        self.curr()
    }

    fn scan(&mut self) -> Token {
        if self.n > 0 {
            self.n -= 1;
            return self.curr();
        }
        let t = self.sc.scan();
        self.push(t)
    }

    fn scan_regex(&mut self) -> Token {
        if self.n > 0 {
            self.n -= 1;
            return self.curr();
        }
        let t = self.sc.scan_regex();
        self.push(t)
    }

    fn unscan(&mut self) {
        if self.n < 3 {
            self.n += 1;
        }
    }

    fn scan_ignore_ws(&mut self) -> Token {
        loop {
            let t = self.scan();
            if t.tok != Tok::Ws && t.tok != Tok::Comment {
                return t;
            }
        }
    }

    fn consume_whitespace(&mut self) {
        if self.scan().tok != Tok::Ws {
            self.unscan();
        }
    }

    fn peek_rune(&mut self) -> Option<char> {
        self.sc.peek_char()
    }

    /// Consumes `tok` (after whitespace) or fails with "expected NAME".
    fn expect(&mut self, tok: Tok) -> Result<Token, ParseError> {
        let t = self.scan_ignore_ws();
        if t.tok != tok {
            return Err(err_at(&t, &[tok.name()]));
        }
        Ok(t)
    }

    /// Consumes `tok` if it comes next.
    fn accept(&mut self, tok: Tok) -> bool {
        if self.scan_ignore_ws().tok == tok {
            true
        } else {
            self.unscan();
            false
        }
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ParseError::bare(format!(
                "not supported yet: nesting deeper than {MAX_DEPTH} levels"
            )));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    // ---- small pieces ---------------------------------------------------

    fn parse_ident(&mut self) -> Result<String, ParseError> {
        let t = self.scan_ignore_ws();
        if t.tok != Tok::Ident {
            return Err(err_at(&t, &["identifier"]));
        }
        Ok(t.lit)
    }

    fn parse_ident_list(&mut self) -> Result<Vec<String>, ParseError> {
        let mut out = vec![self.parse_ident()?];
        while self.accept(Tok::Comma) {
            out.push(self.parse_ident()?);
        }
        Ok(out)
    }

    fn parse_string(&mut self) -> Result<String, ParseError> {
        let t = self.scan_ignore_ws();
        if t.tok != Tok::Str {
            return Err(err_at(&t, &["string"]));
        }
        Ok(t.lit)
    }

    fn parse_string_list(&mut self) -> Result<Vec<String>, ParseError> {
        let mut out = vec![self.parse_string()?];
        while self.accept(Tok::Comma) {
            out.push(self.parse_string()?);
        }
        Ok(out)
    }

    fn parse_int(&mut self, min: i64, max: i64) -> Result<i64, ParseError> {
        let t = self.scan_ignore_ws();
        if t.tok != Tok::Integer {
            return Err(err_at(&t, &["integer"]));
        }
        let n: i64 = t.lit.parse().map_err(|_| {
            ParseError::at(
                format!("strconv.Atoi: parsing \"{}\": value out of range", t.lit),
                t.pos,
            )
        })?;
        if n < min || n > max {
            return Err(ParseError::at(
                format!("invalid value {n}: must be {min} <= n <= {max}"),
                t.pos,
            ));
        }
        Ok(n)
    }

    fn parse_u64(&mut self) -> Result<u64, ParseError> {
        let t = self.scan_ignore_ws();
        if t.tok != Tok::Integer {
            return Err(err_at(&t, &["integer"]));
        }
        t.lit.parse().map_err(|_| {
            ParseError::at(
                format!(
                    "strconv.ParseUint: parsing \"{}\": value out of range",
                    t.lit
                ),
                t.pos,
            )
        })
    }

    /// A duration or `INF` (0).
    fn parse_duration_tok(&mut self) -> Result<i64, ParseError> {
        let t = self.scan_ignore_ws();
        match t.tok {
            Tok::Inf => Ok(0),
            Tok::DurationVal => {
                parse_duration(&t.lit).map_err(|e| ParseError::at(e.message, t.pos))
            }
            _ => Err(err_at(&t, &["duration"])),
        }
    }

    /// `SHARD DURATION d` after SHARD was consumed; INF is refused.
    fn parse_shard_duration(&mut self) -> Result<i64, ParseError> {
        self.expect(Tok::Duration)?;
        let t = self.scan_ignore_ws();
        if t.tok == Tok::Inf {
            return Err(ParseError::at(
                "invalid duration INF for shard duration",
                t.pos,
            ));
        }
        self.unscan();
        self.parse_duration_tok()
    }

    fn parse_optional_int(&mut self, tok: Tok) -> Result<Option<u64>, ParseError> {
        if !self.accept(tok) {
            return Ok(None);
        }
        let t = self.scan_ignore_ws();
        if t.tok != Tok::Integer {
            return Err(err_at(&t, &["integer"]));
        }
        // InfluxDB clamps values beyond int64 to its maximum.
        let n = t
            .lit
            .parse::<u64>()
            .unwrap_or(u64::MAX)
            .min(i64::MAX as u64);
        Ok(Some(n))
    }

    fn parse_on_database(&mut self) -> Result<Option<String>, ParseError> {
        if self.accept(Tok::On) {
            Ok(Some(self.parse_ident()?))
        } else {
            Ok(None)
        }
    }

    fn parse_optional_from(&mut self) -> Result<Vec<Source>, ParseError> {
        if self.accept(Tok::From) {
            self.parse_sources(false)
        } else {
            Ok(vec![])
        }
    }

    /// Segmented identifiers: `"db"."rp"."m"`, `"db".."m"`, stopping before `/re/` or `:`.
    fn parse_segmented_idents(&mut self) -> Result<Vec<String>, ParseError> {
        let mut idents = vec![self.parse_ident()?];
        loop {
            if self.scan().tok != Tok::Dot {
                self.unscan();
                break;
            }
            match self.peek_rune() {
                Some('/') | Some(':') => break,
                Some('.') => {
                    idents.push(String::new());
                    continue;
                }
                _ => idents.push(self.parse_ident()?),
            }
        }
        if idents.len() > 3 {
            let quoted: Vec<&str> = idents.iter().map(String::as_str).collect();
            return Err(ParseError::at(
                format!(
                    "too many segments in {}",
                    crate::display::quote_segments(&quoted)
                ),
                ZERO_POS,
            ));
        }
        Ok(idents)
    }

    /// A `/regex/` if one comes next (after whitespace), else `None`.
    fn parse_regex(&mut self) -> Result<Option<String>, ParseError> {
        if matches!(self.peek_rune(), Some(c) if c == ' ' || c == '\t' || c == '\n') {
            self.consume_whitespace();
        }
        match self.peek_rune() {
            Some('$') => {
                let t = self.scan();
                self.unscan();
                if t.tok != Tok::Regex {
                    return Ok(None);
                }
            }
            Some('/') => {}
            _ => return Ok(None),
        }
        let t = self.scan_regex();
        match t.tok {
            Tok::BadEscape => Err(ParseError::at(format!("bad escape: {}", t.lit), t.pos)),
            Tok::BadRegex => Err(ParseError::at(format!("bad regex: {}", t.lit), t.pos)),
            Tok::Regex => {
                validate_regex(&t.lit).map_err(|m| ParseError::at(m, t.pos))?;
                Ok(Some(t.lit))
            }
            _ => Err(err_at(&t, &["regex"])),
        }
    }

    // ---- statements -----------------------------------------------------

    fn parse_query(&mut self) -> Result<Query, ParseError> {
        let mut statements = vec![];
        let mut semi = true;
        loop {
            let t = self.scan_ignore_ws();
            match t.tok {
                Tok::Eof => return Ok(Query { statements }),
                Tok::Semicolon => semi = true,
                _ => {
                    if !semi {
                        return Err(err_at(&t, &[";"]));
                    }
                    self.unscan();
                    statements.push(self.parse_statement()?);
                    semi = false;
                }
            }
        }
    }

    fn parse_statement(&mut self) -> Result<Statement, ParseError> {
        let t = self.scan_ignore_ws();
        match t.tok {
            Tok::Select => Ok(Statement::Select(Box::new(
                self.parse_select(Target::NotRequired)?,
            ))),
            Tok::Delete => self.parse_delete(),
            Tok::Show => self.parse_show(),
            Tok::Create => self.parse_create(),
            Tok::Drop => self.parse_drop(),
            Tok::Explain => self.parse_explain(),
            Tok::Grant => self.parse_grant(),
            Tok::Revoke => self.parse_revoke(),
            Tok::Alter => {
                self.expect(Tok::Retention)?;
                self.expect(Tok::Policy)?;
                self.parse_alter_rp()
            }
            Tok::Set => {
                self.expect(Tok::Password)?;
                self.expect(Tok::For)?;
                let name = self.parse_ident()?;
                let t = self.scan_ignore_ws();
                if t.tok != Tok::Eq {
                    return Err(err_at(&t, &["="]));
                }
                let password = self.parse_string()?;
                Ok(Statement::SetPassword { name, password })
            }
            Tok::Kill => {
                self.expect(Tok::Query)?;
                let id = self.parse_u64()?;
                let host = if self.accept(Tok::On) {
                    Some(self.parse_ident()?)
                } else {
                    None
                };
                Ok(Statement::KillQuery { id, host })
            }
            _ => Err(err_at(
                &t,
                &[
                    "SELECT", "DELETE", "SHOW", "CREATE", "DROP", "EXPLAIN", "GRANT", "REVOKE",
                    "ALTER", "SET", "KILL",
                ],
            )),
        }
    }

    fn parse_show(&mut self) -> Result<Statement, ParseError> {
        let t = self.scan_ignore_ws();
        match t.tok {
            Tok::Continuous => {
                self.expect(Tok::Queries)?;
                Ok(Statement::ShowContinuousQueries)
            }
            Tok::Databases => Ok(Statement::ShowDatabases),
            Tok::Diagnostics => Ok(Statement::ShowDiagnostics {
                module: self.parse_for_module()?,
            }),
            Tok::Field => {
                let t = self.scan_ignore_ws();
                match t.tok {
                    Tok::Key => {
                        self.parse_cardinality_with_optional_exact(CardinalityKind::FieldKey)
                    }
                    Tok::Keys => {
                        let database = self.parse_on_database()?;
                        let sources = self.parse_optional_from()?;
                        self.parse_order_by()?;
                        let limit = self.parse_optional_int(Tok::Limit)?;
                        let offset = self.parse_optional_int(Tok::Offset)?;
                        Ok(Statement::ShowFieldKeys {
                            database,
                            sources,
                            limit,
                            offset,
                        })
                    }
                    _ => Err(err_at(&t, &["KEY", "KEYS"])),
                }
            }
            Tok::Grants => {
                self.expect(Tok::For)?;
                Ok(Statement::ShowGrants {
                    user: self.parse_ident()?,
                })
            }
            Tok::Measurement => {
                let t = self.scan_ignore_ws();
                match t.tok {
                    Tok::Exact => {
                        self.expect(Tok::Cardinality)?;
                        self.parse_cardinality(true, CardinalityKind::Measurement)
                    }
                    Tok::Cardinality => self.parse_cardinality(false, CardinalityKind::Measurement),
                    _ => Err(err_at(&t, &["EXACT", "CARDINALITY"])),
                }
            }
            Tok::Measurements => self.parse_show_measurements(),
            Tok::Queries => Ok(Statement::ShowQueries),
            Tok::Retention => {
                self.expect(Tok::Policies)?;
                Ok(Statement::ShowRetentionPolicies {
                    database: self.parse_on_database()?,
                })
            }
            Tok::Series => {
                let exact = self.accept(Tok::Exact);
                if self.accept(Tok::Cardinality) {
                    return self.parse_cardinality(exact, CardinalityKind::Series);
                }
                let database = self.parse_on_database()?;
                let sources = self.parse_optional_from()?;
                let condition = self.parse_condition()?;
                self.parse_order_by()?;
                let limit = self.parse_optional_int(Tok::Limit)?;
                let offset = self.parse_optional_int(Tok::Offset)?;
                Ok(Statement::ShowSeries {
                    database,
                    sources,
                    condition,
                    limit,
                    offset,
                })
            }
            Tok::Shard => {
                self.expect(Tok::Groups)?;
                Ok(Statement::ShowShardGroups)
            }
            Tok::Shards => Ok(Statement::ShowShards),
            Tok::Stats => Ok(Statement::ShowStats {
                module: self.parse_for_module()?,
            }),
            Tok::Subscriptions => Ok(Statement::ShowSubscriptions),
            Tok::Tag => {
                let t = self.scan_ignore_ws();
                match t.tok {
                    Tok::Key => self.parse_cardinality_with_optional_exact(CardinalityKind::TagKey),
                    Tok::Keys => self.parse_show_tag_keys(),
                    Tok::Values => self.parse_show_tag_values(),
                    _ => Err(err_at(&t, &["KEY", "KEYS", "VALUES"])),
                }
            }
            Tok::Users => Ok(Statement::ShowUsers),
            _ => Err(err_at(
                &t,
                &[
                    "CONTINUOUS",
                    "DATABASES",
                    "DIAGNOSTICS",
                    "FIELD",
                    "GRANTS",
                    "MEASUREMENT",
                    "MEASUREMENTS",
                    "QUERIES",
                    "RETENTION",
                    "SERIES",
                    "SHARD",
                    "SHARDS",
                    "STATS",
                    "SUBSCRIPTIONS",
                    "TAG",
                    "USERS",
                ],
            )),
        }
    }

    fn parse_for_module(&mut self) -> Result<Option<String>, ParseError> {
        if self.accept(Tok::For) {
            Ok(Some(self.parse_string()?))
        } else {
            Ok(None)
        }
    }

    /// `SHOW TAG KEY` / `SHOW FIELD KEY`: `[EXACT] CARDINALITY ...`.
    fn parse_cardinality_with_optional_exact(
        &mut self,
        kind: CardinalityKind,
    ) -> Result<Statement, ParseError> {
        let exact = self.accept(Tok::Exact);
        let t = self.scan_ignore_ws();
        if t.tok != Tok::Cardinality {
            let expected: &[&str] = if exact {
                &["CARDINALITY"]
            } else {
                &["EXACT", "CARDINALITY"]
            };
            return Err(err_at(&t, expected));
        }
        self.parse_cardinality(exact, kind)
    }

    /// The rest of a cardinality statement: `[ON db] [FROM ...] [WITH KEY ...] [WHERE ...] [GROUP BY ...] [LIMIT] [OFFSET]`.
    fn parse_cardinality(
        &mut self,
        exact: bool,
        kind: CardinalityKind,
    ) -> Result<Statement, ParseError> {
        let database = self.parse_on_database()?;
        let sources = self.parse_optional_from()?;
        let kind = match kind {
            CardinalityKind::TagValues { .. } => CardinalityKind::TagValues {
                key: self.parse_tag_key_expr()?,
            },
            k => k,
        };
        let condition = self.parse_condition()?;
        let dims = self.parse_dimensions()?;
        let group_by = convert_dimensions(dims, None)?;
        let limit = self.parse_optional_int(Tok::Limit)?;
        let offset = self.parse_optional_int(Tok::Offset)?;
        Ok(Statement::ShowCardinality {
            exact,
            kind,
            database,
            sources,
            condition,
            group_by,
            limit,
            offset,
        })
    }

    fn parse_show_measurements(&mut self) -> Result<Statement, ParseError> {
        let database = self.parse_on_database()?;
        let mut with_measurement = None;
        if self.accept(Tok::With) {
            self.expect(Tok::Measurement)?;
            let t = self.scan_ignore_ws();
            match t.tok {
                Tok::Eq | Tok::EqRegex => {
                    let src = self.parse_source(false)?;
                    with_measurement = Some(match src {
                        Source::Measurement(m) => match m.name {
                            MeasurementName::Regex(r) => MeasurementMatch::Regex(r),
                            MeasurementName::Name(n) => MeasurementMatch::Name(n),
                        },
                        Source::Subquery(_) => {
                            return Err(ParseError::bare("not supported yet: subquery here"))
                        }
                    });
                }
                _ => return Err(err_at(&t, &["=", "=~"])),
            }
        }
        let condition = self.parse_condition()?;
        self.parse_order_by()?;
        let limit = self.parse_optional_int(Tok::Limit)?;
        let offset = self.parse_optional_int(Tok::Offset)?;
        Ok(Statement::ShowMeasurements {
            database,
            with_measurement,
            condition,
            limit,
            offset,
        })
    }

    fn parse_show_tag_keys(&mut self) -> Result<Statement, ParseError> {
        let database = self.parse_on_database()?;
        let sources = self.parse_optional_from()?;
        let key = if self.accept(Tok::With) {
            self.unscan();
            Some(self.parse_tag_key_expr()?)
        } else {
            None
        };
        let condition = self.parse_condition()?;
        self.parse_order_by()?;
        let limit = self.parse_optional_int(Tok::Limit)?;
        let offset = self.parse_optional_int(Tok::Offset)?;
        let slimit = self.parse_optional_int(Tok::Slimit)?;
        let soffset = self.parse_optional_int(Tok::Soffset)?;
        Ok(Statement::ShowTagKeys {
            database,
            sources,
            key,
            condition,
            limit,
            offset,
            slimit,
            soffset,
        })
    }

    fn parse_show_tag_values(&mut self) -> Result<Statement, ParseError> {
        let t = self.scan_ignore_ws();
        match t.tok {
            Tok::Exact => {
                self.expect(Tok::Cardinality)?;
                return self.parse_cardinality(
                    true,
                    CardinalityKind::TagValues {
                        key: TagKeyMatch::In(vec![]),
                    },
                );
            }
            Tok::Cardinality => {
                return self.parse_cardinality(
                    false,
                    CardinalityKind::TagValues {
                        key: TagKeyMatch::In(vec![]),
                    },
                )
            }
            _ => self.unscan(),
        }
        let database = self.parse_on_database()?;
        let sources = self.parse_optional_from()?;
        let key = self.parse_tag_key_expr()?;
        let condition = self.parse_condition()?;
        self.parse_order_by()?;
        let limit = self.parse_optional_int(Tok::Limit)?;
        let offset = self.parse_optional_int(Tok::Offset)?;
        Ok(Statement::ShowTagValues {
            database,
            sources,
            key,
            condition,
            limit,
            offset,
        })
    }

    /// `WITH KEY {= k | != k | IN (k, ...) | =~ /re/ | !~ /re/}`.
    fn parse_tag_key_expr(&mut self) -> Result<TagKeyMatch, ParseError> {
        self.expect(Tok::With)?;
        self.expect(Tok::Key)?;
        let t = self.scan_ignore_ws();
        match t.tok {
            Tok::In => {
                let t = self.scan_ignore_ws();
                if t.tok != Tok::LParen {
                    return Err(err_at(&t, &["("]));
                }
                let keys = self.parse_ident_list()?;
                let t = self.scan_ignore_ws();
                if t.tok != Tok::RParen {
                    return Err(err_at(&t, &[")"]));
                }
                Ok(TagKeyMatch::In(keys))
            }
            Tok::Eq => Ok(TagKeyMatch::Eq(self.parse_ident()?)),
            Tok::Neq => Ok(TagKeyMatch::NotEq(self.parse_ident()?)),
            Tok::EqRegex | Tok::NeqRegex => match self.parse_regex()? {
                Some(re) if t.tok == Tok::EqRegex => Ok(TagKeyMatch::Regex(re)),
                Some(re) => Ok(TagKeyMatch::NotRegex(re)),
                None => {
                    let t = self.scan_ignore_ws();
                    Err(err_at(&t, &["regex"]))
                }
            },
            _ => Err(err_at(&t, &["IN", "=", "=~"])),
        }
    }

    fn parse_create(&mut self) -> Result<Statement, ParseError> {
        let t = self.scan_ignore_ws();
        match t.tok {
            Tok::Continuous => {
                self.expect(Tok::Query)?;
                self.parse_create_cq()
            }
            Tok::Database => self.parse_create_database(),
            Tok::User => {
                let name = self.parse_ident()?;
                self.expect(Tok::With)?;
                self.expect(Tok::Password)?;
                let password = self.parse_string()?;
                let admin = if self.accept(Tok::With) {
                    self.expect(Tok::All)?;
                    self.expect(Tok::Privileges)?;
                    true
                } else {
                    false
                };
                Ok(Statement::CreateUser {
                    name,
                    password,
                    admin,
                })
            }
            Tok::Retention => {
                self.expect(Tok::Policy)?;
                self.parse_create_rp()
            }
            Tok::Subscription => {
                let name = self.parse_ident()?;
                self.expect(Tok::On)?;
                let database = self.parse_ident()?;
                let t = self.scan();
                if t.tok != Tok::Dot {
                    return Err(err_at(&t, &["."]));
                }
                let retention_policy = self.parse_ident()?;
                self.expect(Tok::Destinations)?;
                let t = self.scan_ignore_ws();
                let mode = match t.tok {
                    Tok::All => SubscriptionMode::All,
                    Tok::Any => SubscriptionMode::Any,
                    _ => return Err(err_at(&t, &["ALL", "ANY"])),
                };
                let destinations = self.parse_string_list()?;
                Ok(Statement::CreateSubscription {
                    name,
                    database,
                    retention_policy,
                    mode,
                    destinations,
                })
            }
            _ => Err(err_at(
                &t,
                &[
                    "CONTINUOUS",
                    "DATABASE",
                    "USER",
                    "RETENTION",
                    "SUBSCRIPTION",
                ],
            )),
        }
    }

    fn parse_create_database(&mut self) -> Result<Statement, ParseError> {
        let name = self.parse_ident()?;
        if !self.accept(Tok::With) {
            return Ok(Statement::CreateDatabase { name, rp: None });
        }
        let t = self.scan_ignore_ws();
        if !matches!(
            t.tok,
            Tok::Duration | Tok::Name | Tok::Replication | Tok::Shard
        ) {
            return Err(err_at(&t, &["DURATION", "NAME", "REPLICATION", "SHARD"]));
        }
        self.unscan();
        let mut spec = RetentionPolicySpec::default();
        if self.accept(Tok::Duration) {
            spec.duration = Some(self.parse_duration_tok()?);
        }
        if self.accept(Tok::Replication) {
            spec.replication = Some(self.parse_int(1, i32::MAX as i64)? as u32);
        }
        if self.accept(Tok::Shard) {
            let t = self.scan_ignore_ws();
            if t.tok != Tok::Duration {
                return Err(err_at(&t, &["DURATION"]));
            }
            let d = self.parse_duration_tok()?;
            spec.shard_duration = (d != 0).then_some(d);
        }
        if self.accept(Tok::Name) {
            spec.name = Some(self.parse_ident()?);
        }
        Ok(Statement::CreateDatabase {
            name,
            rp: Some(spec),
        })
    }

    fn parse_create_rp(&mut self) -> Result<Statement, ParseError> {
        let name = self.parse_ident()?;
        self.expect(Tok::On)?;
        let database = self.parse_ident()?;
        self.expect(Tok::Duration)?;
        let duration = self.parse_duration_tok()?;
        self.expect(Tok::Replication)?;
        let replication = self.parse_int(1, i32::MAX as i64)? as u32;
        let shard_duration = if self.accept(Tok::Shard) {
            Some(self.parse_shard_duration()?)
        } else {
            None
        };
        let default = self.accept(Tok::Default);
        Ok(Statement::CreateRetentionPolicy {
            name,
            database,
            duration,
            replication,
            shard_duration,
            default,
        })
    }

    fn parse_alter_rp(&mut self) -> Result<Statement, ParseError> {
        let t = self.scan_ignore_ws();
        let name = match t.tok {
            Tok::Default => "default".to_string(),
            Tok::Ident => t.lit,
            _ => return Err(err_at(&t, &["identifier"])),
        };
        self.expect(Tok::On)?;
        let database = self.parse_ident()?;
        let (mut duration, mut replication, mut shard_duration, mut default) =
            (None, None, None, false);
        let mut found: Vec<Tok> = vec![];
        loop {
            let t = self.scan_ignore_ws();
            if found.contains(&t.tok) {
                return Err(ParseError::at(
                    format!("found duplicate {} option", t.tok.name()),
                    t.pos,
                ));
            }
            match t.tok {
                Tok::Duration => duration = Some(self.parse_duration_tok()?),
                Tok::Replication => replication = Some(self.parse_int(1, i32::MAX as i64)? as u32),
                Tok::Shard => {
                    let t2 = self.scan_ignore_ws();
                    if t2.tok != Tok::Duration {
                        return Err(err_at(&t2, &["DURATION"]));
                    }
                    self.unscan();
                    shard_duration = Some(self.parse_shard_duration()?);
                }
                Tok::Default => default = true,
                _ => {
                    if found.is_empty() {
                        return Err(err_at(&t, &["DURATION", "REPLICATION", "SHARD", "DEFAULT"]));
                    }
                    self.unscan();
                    break;
                }
            }
            found.push(t.tok);
        }
        Ok(Statement::AlterRetentionPolicy {
            name,
            database,
            duration,
            replication,
            shard_duration,
            default,
        })
    }

    fn parse_create_cq(&mut self) -> Result<Statement, ParseError> {
        let name = self.parse_ident()?;
        self.expect(Tok::On)?;
        let database = self.parse_ident()?;
        let (mut resample_every, mut resample_for) = (None, None);
        if self.accept(Tok::Resample) {
            if self.accept(Tok::Every) {
                resample_every = Some(self.parse_resample_duration()?);
            }
            if self.accept(Tok::For) {
                resample_for = Some(self.parse_resample_duration()?);
            }
            if resample_every.unwrap_or(0) == 0 && resample_for.unwrap_or(0) == 0 {
                let t = self.scan_ignore_ws();
                return Err(err_at(&t, &["EVERY", "FOR"]));
            }
        }
        self.expect(Tok::Begin)?;
        self.expect(Tok::Select)?;
        let query = self.parse_select_inner(Target::Required)?;
        if !query.is_raw_query() {
            let interval = group_by_interval_checked(&query);
            let ok = matches!(interval, Ok(d) if d != 0);
            if !ok {
                self.unscan();
                self.unscan();
                let t = self.scan_ignore_ws();
                let mut expected = vec!["GROUP BY time(...)".to_string()];
                if let Err(e) = &interval {
                    expected.push(e.clone());
                }
                let refs: Vec<&str> = expected.iter().map(String::as_str).collect();
                return Err(err_at(&t, &refs));
            }
        }
        self.expect(Tok::End)?;
        // InfluxDB's CQ validation.
        let interval = group_by_interval_checked(&query).map_err(ParseError::bare)?;
        if let Some(for_d) = resample_for.filter(|d| *d != 0) {
            let mut interval = interval;
            if let Some(every) = resample_every.filter(|d| *d != 0) {
                if every > interval {
                    interval = every;
                }
            }
            if interval > for_d {
                return Err(ParseError::bare(format!(
                    "FOR duration must be >= GROUP BY time duration: must be a minimum of {}, got {}",
                    crate::display::format_duration(interval),
                    crate::display::format_duration(for_d)
                )));
            }
        }
        let query = finish_select(query)?;
        Ok(Statement::CreateContinuousQuery {
            name,
            database,
            resample_every,
            resample_for,
            query: Box::new(query),
        })
    }

    fn parse_resample_duration(&mut self) -> Result<i64, ParseError> {
        let t = self.scan_ignore_ws();
        if t.tok != Tok::DurationVal {
            return Err(err_at(&t, &["duration"]));
        }
        parse_duration(&t.lit).map_err(|e| ParseError::at(e.message, t.pos))
    }

    fn parse_drop(&mut self) -> Result<Statement, ParseError> {
        let t = self.scan_ignore_ws();
        match t.tok {
            Tok::Continuous => {
                self.expect(Tok::Query)?;
                let name = self.parse_ident()?;
                self.expect(Tok::On)?;
                let database = self.parse_ident()?;
                Ok(Statement::DropContinuousQuery { name, database })
            }
            Tok::Database => Ok(Statement::DropDatabase {
                name: self.parse_ident()?,
            }),
            Tok::Measurement => Ok(Statement::DropMeasurement {
                name: self.parse_ident()?,
            }),
            Tok::Retention => {
                self.expect(Tok::Policy)?;
                let name = self.parse_ident()?;
                self.expect(Tok::On)?;
                let database = self.parse_ident()?;
                Ok(Statement::DropRetentionPolicy { name, database })
            }
            Tok::Series => {
                let (sources, condition) = self.parse_from_where(true)?;
                Ok(Statement::DropSeries { sources, condition })
            }
            Tok::Shard => Ok(Statement::DropShard {
                id: self.parse_u64()?,
            }),
            Tok::Subscription => {
                let name = self.parse_ident()?;
                self.expect(Tok::On)?;
                let database = self.parse_ident()?;
                let t = self.scan();
                if t.tok != Tok::Dot {
                    return Err(err_at(&t, &["."]));
                }
                let retention_policy = self.parse_ident()?;
                Ok(Statement::DropSubscription {
                    name,
                    database,
                    retention_policy,
                })
            }
            Tok::User => Ok(Statement::DropUser {
                name: self.parse_ident()?,
            }),
            _ => Err(err_at(
                &t,
                &[
                    "CONTINUOUS",
                    "DATABASE",
                    "MEASUREMENT",
                    "RETENTION",
                    "SERIES",
                    "SHARD",
                    "SUBSCRIPTION",
                    "USER",
                ],
            )),
        }
    }

    fn parse_delete(&mut self) -> Result<Statement, ParseError> {
        let (sources, condition) = self.parse_from_where(false)?;
        Ok(Statement::Delete { sources, condition })
    }

    /// `[FROM ...] [WHERE ...]` of DELETE / DROP SERIES (at least one required).
    fn parse_from_where(&mut self, no_rp: bool) -> Result<(Vec<Source>, Option<Expr>), ParseError> {
        let t = self.scan_ignore_ws();
        let mut sources = vec![];
        if t.tok == Tok::From {
            sources = self.parse_sources(false)?;
            let mut err = None;
            for s in &sources {
                if let Source::Measurement(m) = s {
                    if m.database.is_some() {
                        err = Some("database not supported");
                    }
                    if no_rp && m.retention_policy.is_some() {
                        err = Some("retention policy not supported");
                    }
                }
            }
            if let Some(e) = err {
                return Err(ParseError::at(e, ZERO_POS));
            }
        } else {
            self.unscan();
        }
        let condition = self.parse_condition()?;
        if condition.is_none() && sources.is_empty() {
            return Err(err_at(&t, &["FROM", "WHERE"]));
        }
        Ok((sources, condition))
    }

    fn parse_explain(&mut self) -> Result<Statement, ParseError> {
        let analyze = self.accept(Tok::Analyze);
        let t = self.scan_ignore_ws();
        let verbose = t.tok == Tok::Ident && t.lit.eq_ignore_ascii_case("verbose");
        if !verbose {
            self.unscan();
        }
        let t = self.scan_ignore_ws();
        if t.tok != Tok::Select {
            return Err(err_at(&t, &["SELECT"]));
        }
        let statement = self.parse_select(Target::NotRequired)?;
        Ok(Statement::Explain {
            analyze,
            verbose,
            statement: Box::new(statement),
        })
    }

    fn parse_privilege(&mut self) -> Result<Privilege, ParseError> {
        let t = self.scan_ignore_ws();
        match t.tok {
            Tok::Read => Ok(Privilege::Read),
            Tok::Write => Ok(Privilege::Write),
            Tok::All => {
                if self.scan_ignore_ws().tok != Tok::Privileges {
                    self.unscan();
                }
                Ok(Privilege::All)
            }
            _ => Err(err_at(&t, &["READ", "WRITE", "ALL [PRIVILEGES]"])),
        }
    }

    fn parse_grant(&mut self) -> Result<Statement, ParseError> {
        let privilege = self.parse_privilege()?;
        let t = self.scan_ignore_ws();
        match t.tok {
            Tok::On => {
                let database = self.parse_ident()?;
                self.expect(Tok::To)?;
                let user = self.parse_ident()?;
                Ok(Statement::Grant {
                    privilege,
                    database,
                    user,
                })
            }
            Tok::To if privilege == Privilege::All => Ok(Statement::GrantAdmin {
                user: self.parse_ident()?,
            }),
            _ if privilege == Privilege::All => Err(err_at(&t, &["ON", "TO"])),
            _ => Err(err_at(&t, &["ON"])),
        }
    }

    fn parse_revoke(&mut self) -> Result<Statement, ParseError> {
        let privilege = self.parse_privilege()?;
        let t = self.scan_ignore_ws();
        match t.tok {
            Tok::On => {
                let database = self.parse_ident()?;
                self.expect(Tok::From)?;
                let user = self.parse_ident()?;
                Ok(Statement::Revoke {
                    privilege,
                    database,
                    user,
                })
            }
            Tok::From if privilege == Privilege::All => Ok(Statement::RevokeAdmin {
                user: self.parse_ident()?,
            }),
            _ if privilege == Privilege::All => Err(err_at(&t, &["ON", "FROM"])),
            _ => Err(err_at(&t, &["ON"])),
        }
    }

    // ---- SELECT ---------------------------------------------------------

    fn parse_select(&mut self, target: Target) -> Result<SelectStatement, ParseError> {
        let s = self.parse_select_inner(target)?;
        finish_select(s)
    }

    /// Parses a SELECT (after the keyword) into a statement whose dimensions are still raw.
    fn parse_select_inner(&mut self, target: Target) -> Result<RawSelect, ParseError> {
        self.enter()?;
        let r = self.parse_select_body(target);
        self.leave();
        r
    }

    fn parse_select_body(&mut self, target: Target) -> Result<RawSelect, ParseError> {
        let fields = self.parse_fields()?;
        let into = self.parse_target(target)?;
        let t = self.scan_ignore_ws();
        if t.tok != Tok::From {
            return Err(err_at(&t, &["FROM"]));
        }
        let sources = self.parse_sources(true)?;
        let condition = self.parse_condition()?;
        let dimensions = self.parse_dimensions()?;
        let fill = self.parse_fill()?;
        let order_desc = self.parse_order_by()?.unwrap_or(false);
        let limit = self.parse_optional_int(Tok::Limit)?;
        let offset = self.parse_optional_int(Tok::Offset)?;
        let slimit = self.parse_optional_int(Tok::Slimit)?;
        let soffset = self.parse_optional_int(Tok::Soffset)?;
        let timezone = self.parse_location()?;
        Ok(RawSelect {
            stmt: SelectStatement {
                fields,
                into,
                sources,
                condition,
                dimensions: vec![],
                fill,
                order_desc,
                limit,
                offset,
                slimit,
                soffset,
                timezone,
            },
            dimensions,
        })
    }

    fn parse_fields(&mut self) -> Result<Vec<Field>, ParseError> {
        let mut fields = vec![];
        loop {
            fields.push(self.parse_field()?);
            if self.scan().tok != Tok::Comma {
                self.unscan();
                return Ok(fields);
            }
        }
    }

    fn parse_field(&mut self) -> Result<Field, ParseError> {
        let expr = if let Some(re) = self.parse_regex()? {
            Expr::Regex(re)
        } else {
            let start = self.scan_ignore_ws().pos;
            self.unscan();
            let expr = self.parse_expr()?;
            if let Some(op) = last_invalid_select_op(&expr) {
                return Err(ParseError::bare(format!(
                    "invalid operator {} in SELECT clause at line {}, char {}; operator is intended for WHERE clause",
                    op.as_str(),
                    start.line,
                    start.char
                )));
            }
            expr
        };
        let alias = self.parse_alias()?;
        self.consume_whitespace();
        Ok(Field { expr, alias })
    }

    fn parse_alias(&mut self) -> Result<Option<String>, ParseError> {
        if !self.accept(Tok::As) {
            return Ok(None);
        }
        Ok(Some(self.parse_ident()?))
    }

    fn parse_target(&mut self, target: Target) -> Result<Option<Into>, ParseError> {
        let t = self.scan_ignore_ws();
        if t.tok != Tok::Into {
            if target == Target::Required {
                return Err(err_at(&t, &["INTO"]));
            }
            self.unscan();
            return Ok(None);
        }
        let mut idents = self.parse_segmented_idents()?;
        let mut backref = false;
        if idents.len() < 3 && self.peek_rune() == Some(':') {
            let t = self.scan_ignore_ws();
            if t.tok != Tok::Colon {
                return Err(err_at(&t, &[":"]));
            }
            self.expect(Tok::Measurement)?;
            idents.push(String::new());
            backref = true;
        }
        let opt = |s: &String| (!s.is_empty()).then(|| s.clone());
        let (database, retention_policy, name) = match idents.as_slice() {
            [n] => (None, None, n.clone()),
            [rp, n] => (None, opt(rp), n.clone()),
            [db, rp, n] => (opt(db), opt(rp), n.clone()),
            _ => (None, None, String::new()),
        };
        Ok(Some(Into {
            measurement: MeasurementRef {
                database,
                retention_policy,
                name: MeasurementName::Name(name),
            },
            backref_measurement: backref,
        }))
    }

    fn parse_sources(&mut self, subqueries: bool) -> Result<Vec<Source>, ParseError> {
        let mut sources = vec![];
        loop {
            sources.push(self.parse_source(subqueries)?);
            if !self.accept(Tok::Comma) {
                return Ok(sources);
            }
        }
    }

    fn parse_source(&mut self, subqueries: bool) -> Result<Source, ParseError> {
        if let Some(re) = self.parse_regex()? {
            return Ok(Source::Measurement(MeasurementRef {
                database: None,
                retention_policy: None,
                name: MeasurementName::Regex(re),
            }));
        }
        if subqueries && self.accept(Tok::LParen) {
            self.expect(Tok::Select)?;
            let stmt = self.parse_select(Target::Subquery)?;
            self.expect(Tok::RParen)?;
            return Ok(Source::Subquery(Box::new(stmt)));
        }
        let idents = self.parse_segmented_idents()?;
        let opt = |s: &String| (!s.is_empty()).then(|| s.clone());
        if let [db, rp, n] = idents.as_slice() {
            return Ok(Source::Measurement(MeasurementRef {
                database: opt(db),
                retention_policy: opt(rp),
                name: MeasurementName::Name(n.clone()),
            }));
        }
        let re = self.parse_regex()?;
        let m = match (idents.as_slice(), re) {
            ([rp], Some(re)) => MeasurementRef {
                database: None,
                retention_policy: opt(rp),
                name: MeasurementName::Regex(re),
            },
            ([n], None) => MeasurementRef {
                database: None,
                retention_policy: None,
                name: MeasurementName::Name(n.clone()),
            },
            ([db, rp], Some(re)) => MeasurementRef {
                database: opt(db),
                retention_policy: opt(rp),
                name: MeasurementName::Regex(re),
            },
            ([rp, n], None) => MeasurementRef {
                database: None,
                retention_policy: opt(rp),
                name: MeasurementName::Name(n.clone()),
            },
            _ => MeasurementRef {
                database: None,
                retention_policy: None,
                name: MeasurementName::Name(String::new()),
            },
        };
        Ok(Source::Measurement(m))
    }

    fn parse_condition(&mut self) -> Result<Option<Expr>, ParseError> {
        if !self.accept(Tok::Where) {
            return Ok(None);
        }
        Ok(Some(self.parse_expr()?))
    }

    /// `GROUP BY ...` as raw expressions (converted by [`convert_dimensions`]).
    fn parse_dimensions(&mut self) -> Result<Vec<Expr>, ParseError> {
        if !self.accept(Tok::Group) {
            return Ok(vec![]);
        }
        let t = self.scan_ignore_ws();
        if t.tok != Tok::By {
            return Err(err_at(&t, &["BY"]));
        }
        let mut dims = vec![];
        loop {
            if let Some(re) = self.parse_regex()? {
                dims.push(Expr::Regex(re));
            } else {
                dims.push(self.parse_expr()?);
                self.consume_whitespace();
            }
            if self.scan().tok != Tok::Comma {
                self.unscan();
                return Ok(dims);
            }
        }
    }

    fn parse_fill(&mut self) -> Result<Fill, ParseError> {
        let t = self.scan_ignore_ws();
        self.unscan();
        if t.tok != Tok::Ident || !t.lit.eq_ignore_ascii_case("fill") {
            return Ok(Fill::Null);
        }
        let expr = self.parse_expr()?;
        let Expr::Call { args, .. } = expr else {
            return Err(ParseError::bare("fill must be a function call"));
        };
        if args.len() != 1 {
            return Err(ParseError::bare(
                "fill requires an argument, e.g.: 0, null, none, previous, linear",
            ));
        }
        match &args[0] {
            Expr::VarRef {
                name,
                data_type: None,
            } if name == "null" => Ok(Fill::Null),
            Expr::VarRef {
                name,
                data_type: None,
            } if name == "none" => Ok(Fill::None),
            Expr::VarRef {
                name,
                data_type: None,
            } if name == "previous" => Ok(Fill::Previous),
            Expr::VarRef {
                name,
                data_type: None,
            } if name == "linear" => Ok(Fill::Linear),
            Expr::Integer(i) => Ok(Fill::Integer(*i)),
            Expr::Number(f) => Ok(Fill::Number(*f)),
            _ => Err(ParseError::bare("expected number argument in fill()")),
        }
    }

    /// `ORDER BY ...`: `Some(true)` for descending.
    fn parse_order_by(&mut self) -> Result<Option<bool>, ParseError> {
        if !self.accept(Tok::Order) {
            return Ok(None);
        }
        let t = self.scan_ignore_ws();
        if t.tok != Tok::By {
            return Err(err_at(&t, &["BY"]));
        }
        let t = self.scan_ignore_ws();
        let desc = match t.tok {
            Tok::Asc => false,
            Tok::Desc => true,
            Tok::Ident => {
                self.unscan();
                let d = self.parse_sort_field()?;
                if t.lit != "time" {
                    return Err(ParseError::bare(
                        "only ORDER BY time supported at this time",
                    ));
                }
                d
            }
            _ => return Err(err_at(&t, &["identifier", "ASC", "DESC"])),
        };
        let mut count = 1;
        while self.accept(Tok::Comma) {
            self.parse_sort_field()?;
            count += 1;
        }
        if count > 1 {
            return Err(ParseError::bare(
                "only ORDER BY time supported at this time",
            ));
        }
        Ok(Some(desc))
    }

    /// One `name [ASC|DESC]`; returns true for DESC.
    fn parse_sort_field(&mut self) -> Result<bool, ParseError> {
        self.parse_ident()?;
        let t = self.scan_ignore_ws();
        match t.tok {
            Tok::Asc => Ok(false),
            Tok::Desc => Ok(true),
            _ => {
                self.unscan();
                Ok(false)
            }
        }
    }

    fn parse_location(&mut self) -> Result<Option<String>, ParseError> {
        let t = self.scan_ignore_ws();
        self.unscan();
        if t.tok != Tok::Ident || !t.lit.eq_ignore_ascii_case("tz") {
            return Ok(None);
        }
        let expr = self.parse_expr()?;
        let Expr::Call { args, .. } = expr else {
            return Err(ParseError::bare("tz must be a function call"));
        };
        if args.len() != 1 {
            return Err(ParseError::bare("tz requires exactly one argument"));
        }
        let Expr::String(name) = &args[0] else {
            return Err(ParseError::bare("expected string argument in tz()"));
        };
        if !is_known_time_zone(name) {
            return Err(ParseError::bare(format!("unable to find time zone {name}")));
        }
        Ok(Some(name.clone()))
    }

    // ---- expressions ----------------------------------------------------

    fn parse_expr(&mut self) -> Result<Expr, ParseError> {
        self.enter()?;
        let r = self.parse_expr_inner();
        self.leave();
        r
    }

    fn parse_expr_inner(&mut self) -> Result<Expr, ParseError> {
        let mut root = self.parse_unary()?;
        let mut operators = 0usize;
        loop {
            let t = self.scan_ignore_ws();
            if !t.tok.is_operator() {
                self.unscan();
                return Ok(root);
            }
            operators += 1;
            if operators > MAX_OPERATORS {
                return Err(ParseError::bare(format!(
                    "not supported yet: more than {MAX_OPERATORS} operators in one expression"
                )));
            }
            let op = match binary_op(t.tok) {
                Some(op) => op,
                None => return Err(ParseError::at("not supported yet: the IN operator", t.pos)),
            };
            let rhs = if matches!(op, BinaryOp::EqRegex | BinaryOp::NotEqRegex) {
                match self.parse_regex()? {
                    Some(re) => Expr::Regex(re),
                    None => {
                        let t = self.scan_ignore_ws();
                        return Err(err_at(&t, &["regex"]));
                    }
                }
            } else {
                self.parse_unary()?
            };
            root = insert_binary(root, op, rhs);
        }
    }

    fn parse_unary(&mut self) -> Result<Expr, ParseError> {
        self.enter()?;
        let r = self.parse_unary_inner();
        self.leave();
        r
    }

    fn parse_unary_inner(&mut self) -> Result<Expr, ParseError> {
        if self.scan_ignore_ws().tok == Tok::LParen {
            let e = self.parse_expr()?;
            let t = self.scan_ignore_ws();
            if t.tok != Tok::RParen {
                return Err(err_at(&t, &[")"]));
            }
            return Ok(Expr::Paren(Box::new(e)));
        }
        self.unscan();
        let t = self.scan_ignore_ws();
        match t.tok {
            Tok::Ident => {
                if self.scan().tok == Tok::LParen {
                    return self.parse_call(&t.lit);
                }
                self.unscan();
                self.unscan();
                self.parse_var_ref()
            }
            Tok::Distinct => {
                let t0 = self.scan();
                match t0.tok {
                    Tok::LParen => self.parse_call("distinct"),
                    Tok::Ws => {
                        let t1 = self.scan_ignore_ws();
                        if t1.tok != Tok::Ident {
                            return Err(err_at(&t1, &["identifier"]));
                        }
                        Ok(Expr::Distinct(t1.lit))
                    }
                    _ => Err(err_at(&t0, &["(", "identifier"])),
                }
            }
            Tok::Str => Ok(Expr::String(t.lit)),
            Tok::Number => t
                .lit
                .parse::<f64>()
                .map(Expr::Number)
                .map_err(|_| ParseError::at("unable to parse number", t.pos)),
            Tok::Integer => {
                if let Ok(v) = t.lit.parse::<i64>() {
                    Ok(Expr::Integer(v))
                } else if let Ok(v) = t.lit.parse::<u64>() {
                    Ok(Expr::Unsigned(v))
                } else {
                    Err(ParseError::at("unable to parse integer", t.pos))
                }
            }
            Tok::True => Ok(Expr::Boolean(true)),
            Tok::False => Ok(Expr::Boolean(false)),
            Tok::DurationVal => parse_duration(&t.lit).map(Expr::Duration),
            Tok::Mul => {
                let mut data_type = None;
                if self.scan().tok == Tok::DoubleColon {
                    let t = self.scan();
                    data_type = Some(match t.tok {
                        Tok::Field => VarType::Field,
                        Tok::Tag => VarType::Tag,
                        _ => return Err(err_at(&t, &["field", "tag"])),
                    });
                } else {
                    self.unscan();
                }
                Ok(Expr::Wildcard { data_type })
            }
            Tok::Regex => {
                validate_regex(&t.lit).map_err(|m| ParseError::at(m, t.pos))?;
                Ok(Expr::Regex(t.lit))
            }
            Tok::BoundParam => {
                let k = t.lit.trim_start_matches('$').to_string();
                if k.is_empty() {
                    return Err(ParseError::bare("empty bound parameter"));
                }
                match &self.params {
                    None => Ok(Expr::BindParam(k)),
                    Some(params) => match params.get(&k) {
                        None => Err(ParseError::bare(format!("missing parameter: {k}"))),
                        Some(v) => Err(ParseError::bare(v.token().1)),
                    },
                }
            }
            Tok::Add | Tok::Sub => {
                let neg = t.tok == Tok::Sub;
                let t0 = self.scan_ignore_ws();
                match t0.tok {
                    Tok::Number | Tok::Integer | Tok::DurationVal | Tok::LParen | Tok::Ident => {
                        self.unscan();
                        let e = self.parse_unary()?;
                        let mul: i64 = if neg { -1 } else { 1 };
                        match e {
                            Expr::Number(v) => Ok(Expr::Number(if neg { -v } else { v })),
                            Expr::Integer(v) => Ok(Expr::Integer(v.wrapping_mul(mul))),
                            Expr::Unsigned(v) if neg => {
                                if v == 1u64 << 63 {
                                    Ok(Expr::Integer(i64::MIN))
                                } else {
                                    Err(ParseError::bare(format!("constant -{v} underflows int64")))
                                }
                            }
                            Expr::Duration(v) => Ok(Expr::Duration(v.wrapping_mul(mul))),
                            e @ (Expr::VarRef { .. } | Expr::Call { .. } | Expr::Paren(_)) => {
                                Ok(Expr::binary(BinaryOp::Mul, Expr::Integer(mul), e))
                            }
                            e => Ok(e),
                        }
                    }
                    _ => Err(err_at(&t0, &["identifier", "number", "duration", "("])),
                }
            }
            _ => Err(err_at(&t, &["identifier", "string", "number", "bool"])),
        }
    }

    fn parse_var_ref(&mut self) -> Result<Expr, ParseError> {
        let segments = self.parse_segmented_idents()?;
        let mut data_type = None;
        if self.scan().tok == Tok::DoubleColon {
            let t = self.scan();
            data_type = Some(match t.tok {
                Tok::Ident => match t.lit.to_ascii_lowercase().as_str() {
                    "float" => VarType::Float,
                    "integer" => VarType::Integer,
                    "unsigned" => VarType::Unsigned,
                    "string" => VarType::String,
                    "boolean" => VarType::Boolean,
                    _ => {
                        return Err(err_at(
                            &t,
                            &[
                                "float", "integer", "unsigned", "string", "boolean", "field", "tag",
                            ],
                        ))
                    }
                },
                Tok::Field => VarType::Field,
                Tok::Tag => VarType::Tag,
                _ => {
                    return Err(err_at(
                        &t,
                        &["float", "integer", "string", "boolean", "field", "tag"],
                    ))
                }
            });
        } else {
            self.unscan();
        }
        Ok(Expr::VarRef {
            name: segments.join("."),
            data_type,
        })
    }

    fn parse_call(&mut self, name: &str) -> Result<Expr, ParseError> {
        self.enter()?;
        let r = self.parse_call_inner(name);
        self.leave();
        r
    }

    fn parse_call_inner(&mut self, name: &str) -> Result<Expr, ParseError> {
        let name = name.to_ascii_lowercase();
        let mut args = vec![];
        if let Some(re) = self.parse_regex()? {
            args.push(Expr::Regex(re));
        } else {
            if self.scan().tok == Tok::RParen {
                return Ok(Expr::Call { name, args });
            }
            self.unscan();
            args.push(self.parse_expr()?);
        }
        while self.accept(Tok::Comma) {
            if let Some(re) = self.parse_regex()? {
                args.push(Expr::Regex(re));
                continue;
            }
            args.push(self.parse_expr()?);
        }
        let t = self.scan();
        if t.tok != Tok::RParen {
            return Err(err_at(&t, &[")"]));
        }
        Ok(Expr::Call { name, args })
    }
}

/// A SELECT whose `GROUP BY` expressions are not converted to [`Dimension`]s yet.
struct RawSelect {
    stmt: SelectStatement,
    dimensions: Vec<Expr>,
}

impl RawSelect {
    fn is_raw_query(&self) -> bool {
        self.stmt.is_raw_query()
    }
}

fn finish_select(raw: RawSelect) -> Result<SelectStatement, ParseError> {
    let mut stmt = raw.stmt;
    stmt.dimensions = convert_dimensions(raw.dimensions, stmt.timezone.as_deref())?;
    Ok(stmt)
}

/// InfluxDB's `GroupByInterval`: the first `time(...)` dimension's interval.
fn group_by_interval_checked(raw: &RawSelect) -> Result<i64, String> {
    for d in &raw.dimensions {
        if let Expr::Call { name, args } = d {
            if name == "time" {
                if args.is_empty() || args.len() > 2 {
                    return Err("time dimension expected 1 or 2 arguments".into());
                }
                return match &args[0] {
                    Expr::Duration(d) => Ok(*d),
                    _ => Err("time dimension must have duration argument".into()),
                };
            }
        }
    }
    Ok(0)
}

/// Turns `GROUP BY` expressions into dimensions, with InfluxDB's checks and wording.
fn convert_dimensions(
    exprs: Vec<Expr>,
    timezone: Option<&str>,
) -> Result<Vec<Dimension>, ParseError> {
    let mut out = Vec::with_capacity(exprs.len());
    let mut have_time = false;
    for e in exprs {
        let d = match e {
            Expr::Call { name, args } => {
                if name != "time" {
                    return Err(ParseError::validation(
                        "only time() calls allowed in dimensions",
                    ));
                }
                if args.is_empty() || args.len() > 2 {
                    return Err(ParseError::validation(
                        "time dimension expected 1 or 2 arguments",
                    ));
                }
                let Expr::Duration(interval) = args[0] else {
                    return Err(ParseError::validation(
                        "time dimension must have duration argument",
                    ));
                };
                if have_time {
                    return Err(ParseError::validation(
                        "multiple time dimensions not allowed",
                    ));
                }
                have_time = true;
                let offset = match args.get(1) {
                    None => None,
                    Some(Expr::Duration(d)) => Some(TimeOffset::Duration(*d)),
                    Some(Expr::Call { name, args }) => {
                        if name != "now" {
                            return Err(ParseError::validation(
                                "time dimension offset function must be now()",
                            ));
                        }
                        if !args.is_empty() {
                            return Err(ParseError::validation(
                                "time dimension offset now() function requires no arguments",
                            ));
                        }
                        Some(TimeOffset::Now)
                    }
                    Some(Expr::String(t)) if looks_like_time(t) => {
                        parse_time_literal(t, timezone)
                            .map_err(|_| ParseError::validation("invalid timestamp string"))?;
                        Some(TimeOffset::Time(t.clone()))
                    }
                    Some(_) => {
                        return Err(ParseError::validation(
                            "time dimension offset must be duration or now()",
                        ))
                    }
                };
                Dimension::Time { interval, offset }
            }
            Expr::VarRef { name, .. } => {
                if name.eq_ignore_ascii_case("time") {
                    return Err(ParseError::validation(
                        "time() is a function and expects at least one argument",
                    ));
                }
                Dimension::Tag(name)
            }
            Expr::Wildcard { .. } => Dimension::Wildcard,
            Expr::Regex(re) => Dimension::Regex(re),
            _ => {
                return Err(ParseError::validation(
                    "only time and tag dimensions allowed",
                ))
            }
        };
        out.push(d);
    }
    Ok(out)
}

/// Parses a time literal as InfluxDB does (RFC 3339, `YYYY-MM-DD hh:mm:ss[.f]`
/// or `YYYY-MM-DD`; without a zone, in the query's `tz()` or UTC) to Unix ns.
fn parse_time_literal(s: &str, timezone: Option<&str>) -> Result<i64, ParseError> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone};
    let bad = || ParseError::validation(format!("unable to parse time literal '{s}'"));
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return t.timestamp_nanos_opt().ok_or_else(bad);
    }
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f"))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
        .ok_or_else(bad)?;
    let utc = match timezone.and_then(|z| z.parse::<chrono_tz::Tz>().ok()) {
        Some(tz) => tz
            .from_local_datetime(&naive)
            .earliest()
            .map(|t| t.naive_utc())
            .ok_or_else(bad)?,
        None => naive,
    };
    utc.and_utc().timestamp_nanos_opt().ok_or_else(bad)
}

/// InfluxDB's test for a string literal that is a time: `YYYY-MM-DD` and optionally more.
fn looks_like_time(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
}

fn binary_op(tok: Tok) -> Option<BinaryOp> {
    Some(match tok {
        Tok::Add => BinaryOp::Add,
        Tok::Sub => BinaryOp::Sub,
        Tok::Mul => BinaryOp::Mul,
        Tok::Div => BinaryOp::Div,
        Tok::Mod => BinaryOp::Mod,
        Tok::BitAnd => BinaryOp::BitAnd,
        Tok::BitOr => BinaryOp::BitOr,
        Tok::BitXor => BinaryOp::BitXor,
        Tok::And => BinaryOp::And,
        Tok::Or => BinaryOp::Or,
        Tok::Eq => BinaryOp::Eq,
        Tok::Neq => BinaryOp::NotEq,
        Tok::EqRegex => BinaryOp::EqRegex,
        Tok::NeqRegex => BinaryOp::NotEqRegex,
        Tok::Lt => BinaryOp::Lt,
        Tok::Lte => BinaryOp::LtEq,
        Tok::Gt => BinaryOp::Gt,
        Tok::Gte => BinaryOp::GtEq,
        _ => return None,
    })
}

/// Adds `op rhs` to the tree the way InfluxDB does: descend the right spine
/// while the operator there binds looser than `op`.
fn insert_binary(node: Expr, op: BinaryOp, rhs: Expr) -> Expr {
    // Iterative descent along the right spine to keep the stack flat.
    let mut spine: Vec<(BinaryOp, Box<Expr>)> = vec![];
    let mut cur = node;
    loop {
        match cur {
            Expr::Binary { op: o, lhs, rhs: r } if o.precedence() < op.precedence() => {
                spine.push((o, lhs));
                cur = *r;
            }
            other => {
                cur = other;
                break;
            }
        }
    }
    let mut out = Expr::binary(op, cur, rhs);
    while let Some((o, lhs)) = spine.pop() {
        out = Expr::Binary {
            op: o,
            lhs,
            rhs: Box::new(out),
        };
    }
    out
}

/// The comparison/logical operator InfluxDB complains about in a SELECT field
/// (the last one found, pre-order, not descending into offending nodes).
fn last_invalid_select_op(e: &Expr) -> Option<BinaryOp> {
    let mut found = None;
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match e {
            Expr::Binary { op, lhs, rhs } => {
                if op.is_comparison() || op.is_logical() {
                    found = Some(*op);
                } else {
                    stack.push(rhs);
                    stack.push(lhs);
                }
            }
            Expr::Call { args, .. } => stack.extend(args.iter().rev()),
            Expr::Paren(inner) => stack.push(inner),
            _ => {}
        }
    }
    found
}

/// Checks a regex compiles, with Go's `error parsing regexp: <code>: `<expr>`` wording.
fn validate_regex(pattern: &str) -> Result<(), String> {
    use regex_syntax::ast::ErrorKind as K;
    if let Err(e) = regex_syntax::ast::parse::Parser::new().parse(pattern) {
        let span = e.span();
        let at = |from: usize, to: usize| pattern.get(from..to).unwrap_or(pattern).to_string();
        let end = if span.end.offset > span.start.offset {
            span.end.offset
        } else {
            pattern[span.start.offset.min(pattern.len())..]
                .chars()
                .next()
                .map_or(span.start.offset, |c| span.start.offset + c.len_utf8())
        };
        let spanned = at(span.start.offset, end);
        let (code, expr) = match e.kind() {
            K::GroupUnclosed => ("missing closing )", pattern.to_string()),
            K::GroupUnopened => ("unexpected )", pattern.to_string()),
            K::ClassUnclosed => ("missing closing ]", at(span.start.offset, pattern.len())),
            K::RepetitionMissing => ("missing argument to repetition operator", spanned),
            K::ClassRangeInvalid => ("invalid character class range", spanned),
            K::EscapeUnexpectedEof => ("trailing backslash at end of expression", String::new()),
            K::EscapeUnrecognized | K::EscapeHexInvalid | K::EscapeHexEmpty => {
                ("invalid escape sequence", spanned)
            }
            K::RepetitionCountInvalid
            | K::RepetitionCountUnclosed
            | K::RepetitionCountDecimalEmpty
            | K::DecimalInvalid
            | K::DecimalEmpty => ("invalid repeat count", spanned),
            K::GroupNameInvalid
            | K::GroupNameDuplicate { .. }
            | K::GroupNameEmpty
            | K::GroupNameUnexpectedEof => ("invalid named capture", spanned),
            _ => ("invalid or unsupported Perl syntax", spanned),
        };
        return Err(format!("error parsing regexp: {code}: `{expr}`"));
    }
    match regex::Regex::new(pattern) {
        Ok(_) => Ok(()),
        Err(regex::Error::CompiledTooBig(_)) => Err(format!(
            "error parsing regexp: expression too large: `{pattern}`"
        )),
        Err(_) => Err(format!(
            "error parsing regexp: invalid or unsupported Perl syntax: `{pattern}`"
        )),
    }
}

/// True for time zone names Go's `time.LoadLocation` accepts.
fn is_known_time_zone(name: &str) -> bool {
    name.is_empty() || name == "UTC" || name == "Local" || name.parse::<chrono_tz::Tz>().is_ok()
}

//! Canonical InfluxQL text for the AST, as InfluxDB's `String()` methods write it.
//!
//! Identifiers are quoted only when needed, floats print with three decimals
//! (more when three would lose precision), passwords are `[REDACTED]`.

use crate::ast::*;
use crate::lexer::lookup_keyword;
use std::fmt::{self, Display, Formatter, Write};

/// True when `s` must be double-quoted to read back as the same identifier.
fn ident_needs_quotes(s: &str) -> bool {
    if lookup_keyword(s).is_some() {
        return true;
    }
    let mut chars = s.chars();
    match chars.next() {
        None => false,
        Some(c) if !(c.is_ascii_alphabetic() || c == '_') => true,
        Some(_) => chars.any(|c| !(c.is_ascii_alphanumeric() || c == '_')),
    }
}

fn escape_into(out: &mut String, s: &str, quote: char) {
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\\' => out.push_str("\\\\"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
}

/// Quotes one identifier when InfluxQL needs it (keywords, non-identifier chars, empty).
pub fn quote_ident(s: &str) -> String {
    quote_segments(&[s])
}

/// Quotes dot-separated identifier segments the way InfluxDB's `QuoteIdent` does.
pub(crate) fn quote_segments(segments: &[&str]) -> String {
    let mut out = String::new();
    let last = segments.len().saturating_sub(1);
    for (i, seg) in segments.iter().enumerate() {
        let quote = ident_needs_quotes(seg)
            || (i < last && !seg.is_empty())
            || ((i == 0 || i == last) && seg.is_empty());
        if quote {
            out.push('"');
        }
        escape_into(&mut out, seg, '"');
        if quote {
            out.push('"');
        }
        if i < last {
            out.push('.');
        }
    }
    out
}

/// Quotes a string literal with `'`, escaping `\`, `'` and newlines.
pub fn quote_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    escape_into(&mut out, s, '\'');
    out.push('\'');
    out
}

/// Formats a duration in ns the way InfluxDB does (`1h`, `90m`, `1500ms`, `7d`, `2w`, `0s`).
pub fn format_duration(d: i64) -> String {
    const US: i64 = 1_000;
    const MS: i64 = 1_000_000;
    const S: i64 = 1_000_000_000;
    const M: i64 = 60 * S;
    const H: i64 = 60 * M;
    const D: i64 = 24 * H;
    const W: i64 = 7 * D;
    if d == 0 {
        "0s".into()
    } else if d % W == 0 {
        format!("{}w", d / W)
    } else if d % D == 0 {
        format!("{}d", d / D)
    } else if d % H == 0 {
        format!("{}h", d / H)
    } else if d % M == 0 {
        format!("{}m", d / M)
    } else if d % S == 0 {
        format!("{}s", d / S)
    } else if d % MS == 0 {
        format!("{}ms", d / MS)
    } else if d % US == 0 {
        format!("{}u", d / US)
    } else {
        format!("{d}ns")
    }
}

/// A float literal: InfluxDB's three decimals when they are exact, else the shortest exact form.
fn format_number(v: f64) -> String {
    let three = format!("{v:.3}");
    if three.parse::<f64>().ok() == Some(v) {
        return three;
    }
    let s = format!("{v}");
    if s.contains('.') || !v.is_finite() {
        s
    } else {
        format!("{s}.0")
    }
}

/// A regex literal between slashes, `/` escaped.
fn format_regex(re: &str) -> String {
    format!("/{}/", re.replace('/', "\\/"))
}

fn var_type_name(t: VarType) -> &'static str {
    match t {
        VarType::Float => "float",
        VarType::Integer => "integer",
        VarType::Unsigned => "unsigned",
        VarType::String => "string",
        VarType::Boolean => "boolean",
        VarType::Field => "field",
        VarType::Tag => "tag",
    }
}

impl Display for VarType {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(var_type_name(*self))
    }
}

impl Display for BinaryOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::VarRef { name, data_type } => {
                f.write_str(&quote_ident(name))?;
                if let Some(t) = data_type {
                    write!(f, "::{t}")?;
                }
                Ok(())
            }
            Expr::Call { name, args } => {
                write!(f, "{name}(")?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_char(')')
            }
            Expr::Distinct(name) => write!(f, "DISTINCT {}", quote_ident(name)),
            Expr::Binary { .. } => {
                // Left spines are written iteratively so long chains need no deep stack.
                let mut spine = vec![];
                let mut cur = self;
                while let Expr::Binary { op, lhs, rhs } = cur {
                    spine.push((op, rhs));
                    cur = lhs;
                }
                write!(f, "{cur}")?;
                while let Some((op, rhs)) = spine.pop() {
                    write!(f, " {op} {rhs}")?;
                }
                Ok(())
            }
            Expr::Paren(e) => write!(f, "({e})"),
            Expr::Number(v) => f.write_str(&format_number(*v)),
            Expr::Integer(v) => write!(f, "{v}"),
            Expr::Unsigned(v) => write!(f, "{v}"),
            Expr::String(s) => f.write_str(&quote_string(s)),
            Expr::Boolean(b) => write!(f, "{b}"),
            Expr::Duration(d) => f.write_str(&format_duration(*d)),
            Expr::Regex(re) => f.write_str(&format_regex(re)),
            Expr::BindParam(name) => write!(f, "${}", quote_ident(name)),
            Expr::Wildcard { data_type } => {
                f.write_char('*')?;
                if let Some(t) = data_type {
                    write!(f, "::{t}")?;
                }
                Ok(())
            }
            Expr::Nil => f.write_str("<nil>"),
        }
    }
}

impl MeasurementRef {
    /// Writes `db.rp.` / `db..` / `rp.` (nothing when neither is given).
    fn fmt_prefix(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Some(db) = &self.database {
            write!(f, "{}.", quote_ident(db))?;
        }
        if let Some(rp) = &self.retention_policy {
            f.write_str(&quote_ident(rp))?;
        }
        if self.database.is_some() || self.retention_policy.is_some() {
            f.write_char('.')?;
        }
        Ok(())
    }
}

impl Display for MeasurementRef {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.fmt_prefix(f)?;
        match &self.name {
            MeasurementName::Name(n) => f.write_str(&quote_ident(n)),
            MeasurementName::Regex(re) => f.write_str(&format_regex(re)),
        }
    }
}

impl Display for Source {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Source::Measurement(m) => write!(f, "{m}"),
            Source::Subquery(s) => write!(f, "({s})"),
        }
    }
}

impl Display for Into {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("INTO ")?;
        if self.backref_measurement {
            self.measurement.fmt_prefix(f)?;
            f.write_str(":MEASUREMENT")
        } else {
            write!(f, "{}", self.measurement)
        }
    }
}

impl Display for TimeOffset {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            TimeOffset::Duration(d) => f.write_str(&format_duration(*d)),
            TimeOffset::Now => f.write_str("now()"),
            TimeOffset::Time(t) => f.write_str(&quote_string(t)),
        }
    }
}

impl Display for Dimension {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Dimension::Time { interval, offset } => {
                write!(f, "time({}", format_duration(*interval))?;
                if let Some(o) = offset {
                    write!(f, ", {o}")?;
                }
                f.write_char(')')
            }
            Dimension::Tag(t) => f.write_str(&quote_ident(t)),
            Dimension::Regex(re) => f.write_str(&format_regex(re)),
            Dimension::Wildcard => f.write_char('*'),
        }
    }
}

impl Display for Field {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.expr)?;
        if let Some(a) = &self.alias {
            write!(f, " AS {}", quote_ident(a))?;
        }
        Ok(())
    }
}

impl Display for Fill {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Fill::Null => f.write_str("fill(null)"),
            Fill::None => f.write_str("fill(none)"),
            Fill::Previous => f.write_str("fill(previous)"),
            Fill::Linear => f.write_str("fill(linear)"),
            Fill::Integer(i) => write!(f, "fill({i})"),
            Fill::Number(v) => {
                let s = format!("{v}");
                if s.contains('.') || !v.is_finite() {
                    write!(f, "fill({s})")
                } else {
                    write!(f, "fill({s}.0)")
                }
            }
        }
    }
}

fn join<T: Display>(items: &[T]) -> String {
    let mut out = String::new();
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{it}");
    }
    out
}

fn write_on(f: &mut Formatter<'_>, db: &Option<String>) -> fmt::Result {
    if let Some(db) = db {
        write!(f, " ON {}", quote_ident(db))?;
    }
    Ok(())
}

fn write_from(f: &mut Formatter<'_>, sources: &[Source]) -> fmt::Result {
    if !sources.is_empty() {
        write!(f, " FROM {}", join(sources))?;
    }
    Ok(())
}

fn write_where(f: &mut Formatter<'_>, cond: &Option<Expr>) -> fmt::Result {
    if let Some(c) = cond {
        write!(f, " WHERE {c}")?;
    }
    Ok(())
}

fn write_n(f: &mut Formatter<'_>, kw: &str, n: &Option<u64>) -> fmt::Result {
    if let Some(n) = n {
        write!(f, " {kw} {n}")?;
    }
    Ok(())
}

impl Display for TagKeyMatch {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("WITH KEY ")?;
        match self {
            TagKeyMatch::Eq(k) => write!(f, "= {}", quote_ident(k)),
            TagKeyMatch::NotEq(k) => write!(f, "!= {}", quote_ident(k)),
            TagKeyMatch::In(keys) => {
                let q: Vec<String> = keys.iter().map(|k| quote_ident(k)).collect();
                write!(f, "IN ({})", q.join(", "))
            }
            TagKeyMatch::Regex(re) => write!(f, "=~ {}", format_regex(re)),
            TagKeyMatch::NotRegex(re) => write!(f, "!~ {}", format_regex(re)),
        }
    }
}

impl Display for SelectStatement {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "SELECT {}", join(&self.fields))?;
        if let Some(into) = &self.into {
            write!(f, " {into}")?;
        }
        write_from(f, &self.sources)?;
        write_where(f, &self.condition)?;
        if !self.dimensions.is_empty() {
            write!(f, " GROUP BY {}", join(&self.dimensions))?;
        }
        if self.fill != Fill::Null {
            write!(f, " {}", self.fill)?;
        }
        if self.order_desc {
            f.write_str(" ORDER BY time DESC")?;
        }
        write_n(f, "LIMIT", &self.limit)?;
        write_n(f, "OFFSET", &self.offset)?;
        write_n(f, "SLIMIT", &self.slimit)?;
        write_n(f, "SOFFSET", &self.soffset)?;
        if let Some(tz) = &self.timezone {
            write!(f, " tz({})", quote_string(tz))?;
        }
        Ok(())
    }
}

impl Display for Privilege {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Privilege::Read => "READ",
            Privilege::Write => "WRITE",
            Privilege::All => "ALL PRIVILEGES",
        })
    }
}

impl Display for Statement {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        use Statement as S;
        match self {
            S::Select(s) => write!(f, "{s}"),
            S::ShowDatabases => f.write_str("SHOW DATABASES"),
            S::ShowRetentionPolicies { database } => {
                f.write_str("SHOW RETENTION POLICIES")?;
                write_on(f, database)
            }
            S::ShowMeasurements {
                database,
                with_measurement,
                condition,
                limit,
                offset,
            } => {
                f.write_str("SHOW MEASUREMENTS")?;
                write_on(f, database)?;
                match with_measurement {
                    Some(MeasurementMatch::Name(n)) => {
                        write!(f, " WITH MEASUREMENT = {}", quote_ident(n))?
                    }
                    Some(MeasurementMatch::Regex(re)) => {
                        write!(f, " WITH MEASUREMENT =~ {}", format_regex(re))?
                    }
                    None => {}
                }
                write_where(f, condition)?;
                write_n(f, "LIMIT", limit)?;
                write_n(f, "OFFSET", offset)
            }
            S::ShowSeries {
                database,
                sources,
                condition,
                limit,
                offset,
            } => {
                f.write_str("SHOW SERIES")?;
                write_on(f, database)?;
                write_from(f, sources)?;
                write_where(f, condition)?;
                write_n(f, "LIMIT", limit)?;
                write_n(f, "OFFSET", offset)
            }
            S::ShowTagKeys {
                database,
                sources,
                key,
                condition,
                limit,
                offset,
                slimit,
                soffset,
            } => {
                f.write_str("SHOW TAG KEYS")?;
                write_on(f, database)?;
                write_from(f, sources)?;
                if let Some(k) = key {
                    write!(f, " {k}")?;
                }
                write_where(f, condition)?;
                write_n(f, "LIMIT", limit)?;
                write_n(f, "OFFSET", offset)?;
                write_n(f, "SLIMIT", slimit)?;
                write_n(f, "SOFFSET", soffset)
            }
            S::ShowTagValues {
                database,
                sources,
                key,
                condition,
                limit,
                offset,
            } => {
                f.write_str("SHOW TAG VALUES")?;
                write_on(f, database)?;
                write_from(f, sources)?;
                write!(f, " {key}")?;
                write_where(f, condition)?;
                write_n(f, "LIMIT", limit)?;
                write_n(f, "OFFSET", offset)
            }
            S::ShowFieldKeys {
                database,
                sources,
                limit,
                offset,
            } => {
                f.write_str("SHOW FIELD KEYS")?;
                write_on(f, database)?;
                write_from(f, sources)?;
                write_n(f, "LIMIT", limit)?;
                write_n(f, "OFFSET", offset)
            }
            S::ShowCardinality {
                exact,
                kind,
                database,
                sources,
                condition,
                group_by,
                limit,
                offset,
            } => {
                let head = match kind {
                    CardinalityKind::Series => "SHOW SERIES",
                    CardinalityKind::Measurement => "SHOW MEASUREMENT",
                    CardinalityKind::TagKey => "SHOW TAG KEY",
                    CardinalityKind::TagValues { .. } => "SHOW TAG VALUES",
                    CardinalityKind::FieldKey => "SHOW FIELD KEY",
                };
                f.write_str(head)?;
                if *exact {
                    f.write_str(" EXACT")?;
                }
                f.write_str(" CARDINALITY")?;
                write_on(f, database)?;
                write_from(f, sources)?;
                if let CardinalityKind::TagValues { key } = kind {
                    write!(f, " {key}")?;
                }
                write_where(f, condition)?;
                if !group_by.is_empty() {
                    write!(f, " GROUP BY {}", join(group_by))?;
                }
                write_n(f, "LIMIT", limit)?;
                write_n(f, "OFFSET", offset)
            }
            S::ShowShards => f.write_str("SHOW SHARDS"),
            S::ShowShardGroups => f.write_str("SHOW SHARD GROUPS"),
            S::ShowStats { module } => {
                f.write_str("SHOW STATS")?;
                if let Some(m) = module {
                    write!(f, " FOR {}", quote_string(m))?;
                }
                Ok(())
            }
            S::ShowDiagnostics { module } => {
                f.write_str("SHOW DIAGNOSTICS")?;
                if let Some(m) = module {
                    write!(f, " FOR {}", quote_string(m))?;
                }
                Ok(())
            }
            S::ShowQueries => f.write_str("SHOW QUERIES"),
            S::KillQuery { id, host } => {
                write!(f, "KILL QUERY {id}")?;
                if let Some(h) = host {
                    write!(f, " ON {}", quote_ident(h))?;
                }
                Ok(())
            }
            S::Explain {
                analyze,
                verbose,
                statement,
            } => {
                f.write_str("EXPLAIN ")?;
                if *analyze {
                    f.write_str("ANALYZE ")?;
                }
                if *verbose {
                    f.write_str("VERBOSE ")?;
                }
                write!(f, "{statement}")
            }
            S::CreateDatabase { name, rp } => {
                write!(f, "CREATE DATABASE {}", quote_ident(name))?;
                if let Some(rp) = rp {
                    f.write_str(" WITH")?;
                    if let Some(d) = rp.duration {
                        write!(f, " DURATION {}", format_duration(d))?;
                    }
                    if let Some(r) = rp.replication {
                        write!(f, " REPLICATION {r}")?;
                    }
                    if let Some(d) = rp.shard_duration {
                        write!(f, " SHARD DURATION {}", format_duration(d))?;
                    }
                    if let Some(n) = &rp.name {
                        write!(f, " NAME {}", quote_ident(n))?;
                    }
                }
                Ok(())
            }
            S::DropDatabase { name } => write!(f, "DROP DATABASE {}", quote_ident(name)),
            S::CreateRetentionPolicy {
                name,
                database,
                duration,
                replication,
                shard_duration,
                default,
            } => {
                write!(
                    f,
                    "CREATE RETENTION POLICY {} ON {} DURATION {} REPLICATION {replication}",
                    quote_ident(name),
                    quote_ident(database),
                    format_duration(*duration)
                )?;
                if let Some(d) = shard_duration {
                    write!(f, " SHARD DURATION {}", format_duration(*d))?;
                }
                if *default {
                    f.write_str(" DEFAULT")?;
                }
                Ok(())
            }
            S::AlterRetentionPolicy {
                name,
                database,
                duration,
                replication,
                shard_duration,
                default,
            } => {
                write!(
                    f,
                    "ALTER RETENTION POLICY {} ON {}",
                    quote_ident(name),
                    quote_ident(database)
                )?;
                if let Some(d) = duration {
                    write!(f, " DURATION {}", format_duration(*d))?;
                }
                if let Some(r) = replication {
                    write!(f, " REPLICATION {r}")?;
                }
                if let Some(d) = shard_duration {
                    write!(f, " SHARD DURATION {}", format_duration(*d))?;
                }
                if *default {
                    f.write_str(" DEFAULT")?;
                }
                Ok(())
            }
            S::DropRetentionPolicy { name, database } => write!(
                f,
                "DROP RETENTION POLICY {} ON {}",
                quote_ident(name),
                quote_ident(database)
            ),
            S::DropMeasurement { name } => write!(f, "DROP MEASUREMENT {}", quote_ident(name)),
            S::DropSeries { sources, condition } => {
                f.write_str("DROP SERIES")?;
                write_from(f, sources)?;
                write_where(f, condition)
            }
            S::Delete { sources, condition } => {
                f.write_str("DELETE")?;
                write_from(f, sources)?;
                write_where(f, condition)
            }
            S::DropShard { id } => write!(f, "DROP SHARD {id}"),
            S::CreateUser { name, admin, .. } => {
                write!(
                    f,
                    "CREATE USER {} WITH PASSWORD [REDACTED]",
                    quote_ident(name)
                )?;
                if *admin {
                    f.write_str(" WITH ALL PRIVILEGES")?;
                }
                Ok(())
            }
            S::DropUser { name } => write!(f, "DROP USER {}", quote_ident(name)),
            S::SetPassword { name, .. } => {
                write!(f, "SET PASSWORD FOR {} = [REDACTED]", quote_ident(name))
            }
            S::Grant {
                privilege,
                database,
                user,
            } => write!(
                f,
                "GRANT {privilege} ON {} TO {}",
                quote_ident(database),
                quote_ident(user)
            ),
            S::GrantAdmin { user } => write!(f, "GRANT ALL PRIVILEGES TO {}", quote_ident(user)),
            S::Revoke {
                privilege,
                database,
                user,
            } => write!(
                f,
                "REVOKE {privilege} ON {} FROM {}",
                quote_ident(database),
                quote_ident(user)
            ),
            S::RevokeAdmin { user } => {
                write!(f, "REVOKE ALL PRIVILEGES FROM {}", quote_ident(user))
            }
            S::ShowUsers => f.write_str("SHOW USERS"),
            S::ShowGrants { user } => write!(f, "SHOW GRANTS FOR {}", quote_ident(user)),
            S::CreateContinuousQuery {
                name,
                database,
                resample_every,
                resample_for,
                query,
            } => {
                write!(
                    f,
                    "CREATE CONTINUOUS QUERY {} ON {} ",
                    quote_ident(name),
                    quote_ident(database)
                )?;
                let every = resample_every.filter(|d| *d != 0);
                let for_ = resample_for.filter(|d| *d != 0);
                if every.is_some() || for_.is_some() {
                    f.write_str("RESAMPLE ")?;
                    if let Some(d) = every {
                        write!(f, "EVERY {} ", format_duration(d))?;
                    }
                    if let Some(d) = for_ {
                        write!(f, "FOR {} ", format_duration(d))?;
                    }
                }
                write!(f, "BEGIN {query} END")
            }
            S::DropContinuousQuery { name, database } => write!(
                f,
                "DROP CONTINUOUS QUERY {} ON {}",
                quote_ident(name),
                quote_ident(database)
            ),
            S::ShowContinuousQueries => f.write_str("SHOW CONTINUOUS QUERIES"),
            S::CreateSubscription {
                name,
                database,
                retention_policy,
                mode,
                destinations,
            } => {
                let dests: Vec<String> = destinations.iter().map(|d| quote_string(d)).collect();
                write!(
                    f,
                    "CREATE SUBSCRIPTION {} ON {}.{} DESTINATIONS {} {}",
                    quote_ident(name),
                    quote_ident(database),
                    quote_ident(retention_policy),
                    match mode {
                        SubscriptionMode::All => "ALL",
                        SubscriptionMode::Any => "ANY",
                    },
                    dests.join(", ")
                )
            }
            S::DropSubscription {
                name,
                database,
                retention_policy,
            } => write!(
                f,
                "DROP SUBSCRIPTION {} ON {}.{}",
                quote_ident(name),
                quote_ident(database),
                quote_ident(retention_policy)
            ),
            S::ShowSubscriptions => f.write_str("SHOW SUBSCRIPTIONS"),
        }
    }
}

impl Display for Query {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, s) in self.statements.iter().enumerate() {
            if i > 0 {
                f.write_str(";\n")?;
            }
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote_ident("cpu"), "cpu");
        assert_eq!(quote_ident("select"), "\"select\"");
        assert_eq!(quote_ident("a b"), "\"a b\"");
        assert_eq!(quote_ident("1a"), "\"1a\"");
        assert_eq!(quote_ident("a\"b"), "\"a\\\"b\"");
        assert_eq!(quote_ident(""), "\"\"");
        assert_eq!(quote_string("it's"), "'it\\'s'");
        assert_eq!(quote_segments(&["db", "", "m"]), "\"db\"..m");
    }

    #[test]
    fn durations() {
        assert_eq!(format_duration(0), "0s");
        assert_eq!(format_duration(3_600_000_000_000), "1h");
        assert_eq!(format_duration(5_400_000_000_000), "90m");
        assert_eq!(format_duration(-300_000_000_000), "-5m");
        assert_eq!(format_duration(1_500_000), "1500u");
        assert_eq!(format_duration(604_800_000_000_000), "1w");
        assert_eq!(format_duration(1), "1ns");
    }

    #[test]
    fn numbers() {
        assert_eq!(format_number(1.5), "1.500");
        assert_eq!(format_number(100.0), "100.000");
        assert_eq!(format_number(0.0001), "0.0001");
    }
}

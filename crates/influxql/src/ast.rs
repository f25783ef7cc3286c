//! The InfluxQL abstract syntax tree (InfluxDB 1.8).
//!
//! Every statement of the language has a [`Statement`] variant; `SELECT` has its
//! own [`SelectStatement`]. Expressions ([`Expr`]) keep literals as written:
//! time literals stay [`Expr::String`], `now()` is a [`Expr::Call`] named `now`,
//! and the executor resolves them. Durations are `i64` nanoseconds.
//!
//! `Display` (in `display.rs`) renders canonical InfluxQL the way InfluxDB's
//! `String()` methods do, so `parse(display(ast)) == ast` for parsed trees.

/// A whole query: statements separated by `;`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Query {
    /// The statements, in order.
    pub statements: Vec<Statement>,
}

/// A privilege that can be granted on a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Privilege {
    /// `READ`
    Read,
    /// `WRITE`
    Write,
    /// `ALL [PRIVILEGES]`
    All,
}

/// The kind of a `SHOW ... CARDINALITY` statement.
#[derive(Debug, Clone, PartialEq)]
pub enum CardinalityKind {
    /// `SHOW SERIES [EXACT] CARDINALITY`
    Series,
    /// `SHOW MEASUREMENT [EXACT] CARDINALITY`
    Measurement,
    /// `SHOW TAG KEY [EXACT] CARDINALITY`
    TagKey,
    /// `SHOW TAG VALUES [EXACT] CARDINALITY WITH KEY ...`
    TagValues {
        /// The `WITH KEY` clause.
        key: TagKeyMatch,
    },
    /// `SHOW FIELD KEY [EXACT] CARDINALITY`
    FieldKey,
}

/// The `WITH KEY` clause of `SHOW TAG VALUES` / `SHOW TAG KEYS`.
#[derive(Debug, Clone, PartialEq)]
pub enum TagKeyMatch {
    /// `WITH KEY = key`
    Eq(String),
    /// `WITH KEY != key`
    NotEq(String),
    /// `WITH KEY IN (k1, k2)`
    In(Vec<String>),
    /// `WITH KEY =~ /re/` (the pattern, without slashes)
    Regex(String),
    /// `WITH KEY !~ /re/`
    NotRegex(String),
}

/// The `WITH MEASUREMENT` clause of `SHOW MEASUREMENTS`.
#[derive(Debug, Clone, PartialEq)]
pub enum MeasurementMatch {
    /// `WITH MEASUREMENT = name`
    Name(String),
    /// `WITH MEASUREMENT =~ /re/`
    Regex(String),
}

/// The `WITH ...` part of `CREATE DATABASE`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RetentionPolicySpec {
    /// `DURATION d` (ns, 0 = INF).
    pub duration: Option<i64>,
    /// `REPLICATION n`
    pub replication: Option<u32>,
    /// `SHARD DURATION d` (ns).
    pub shard_duration: Option<i64>,
    /// `NAME rp`
    pub name: Option<String>,
}

/// Subscription delivery mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionMode {
    /// `ALL`: every destination gets every write.
    All,
    /// `ANY`: writes are spread over the destinations.
    Any,
}

/// One InfluxQL statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// `SELECT ...`
    Select(Box<SelectStatement>),
    /// `SHOW DATABASES`
    ShowDatabases,
    /// `SHOW RETENTION POLICIES [ON db]`
    ShowRetentionPolicies { database: Option<String> },
    /// `SHOW MEASUREMENTS [ON db] [WITH MEASUREMENT ...] [WHERE ...] [LIMIT] [OFFSET]`
    ShowMeasurements {
        database: Option<String>,
        with_measurement: Option<MeasurementMatch>,
        condition: Option<Expr>,
        limit: Option<u64>,
        offset: Option<u64>,
    },
    /// `SHOW SERIES [ON db] [FROM ...] [WHERE ...] [LIMIT] [OFFSET]`
    ShowSeries {
        database: Option<String>,
        sources: Vec<Source>,
        condition: Option<Expr>,
        limit: Option<u64>,
        offset: Option<u64>,
    },
    /// `SHOW TAG KEYS [ON db] [FROM ...] [WITH KEY ...] [WHERE ...] [LIMIT] [OFFSET] [SLIMIT] [SOFFSET]`
    ShowTagKeys {
        database: Option<String>,
        sources: Vec<Source>,
        key: Option<TagKeyMatch>,
        condition: Option<Expr>,
        limit: Option<u64>,
        offset: Option<u64>,
        slimit: Option<u64>,
        soffset: Option<u64>,
    },
    /// `SHOW TAG VALUES [ON db] [FROM ...] WITH KEY ... [WHERE ...] [LIMIT] [OFFSET]`
    ShowTagValues {
        database: Option<String>,
        sources: Vec<Source>,
        key: TagKeyMatch,
        condition: Option<Expr>,
        limit: Option<u64>,
        offset: Option<u64>,
    },
    /// `SHOW FIELD KEYS [ON db] [FROM ...] [LIMIT] [OFFSET]`
    ShowFieldKeys {
        database: Option<String>,
        sources: Vec<Source>,
        limit: Option<u64>,
        offset: Option<u64>,
    },
    /// `SHOW {SERIES|MEASUREMENT|TAG KEY|TAG VALUES|FIELD KEY} [EXACT] CARDINALITY ...`
    ShowCardinality {
        exact: bool,
        kind: CardinalityKind,
        database: Option<String>,
        sources: Vec<Source>,
        condition: Option<Expr>,
        group_by: Vec<Dimension>,
        limit: Option<u64>,
        offset: Option<u64>,
    },
    /// `SHOW SHARDS`
    ShowShards,
    /// `SHOW SHARD GROUPS`
    ShowShardGroups,
    /// `SHOW STATS [FOR 'module']`
    ShowStats { module: Option<String> },
    /// `SHOW DIAGNOSTICS [FOR 'module']`
    ShowDiagnostics { module: Option<String> },
    /// `SHOW QUERIES`
    ShowQueries,
    /// `KILL QUERY id [ON host]`
    KillQuery { id: u64, host: Option<String> },
    /// `EXPLAIN [ANALYZE] [VERBOSE] SELECT ...`
    Explain {
        analyze: bool,
        verbose: bool,
        statement: Box<SelectStatement>,
    },
    /// `CREATE DATABASE name [WITH [DURATION d] [REPLICATION n] [SHARD DURATION d] [NAME rp]]`
    CreateDatabase {
        name: String,
        rp: Option<RetentionPolicySpec>,
    },
    /// `DROP DATABASE name`
    DropDatabase { name: String },
    /// `CREATE RETENTION POLICY name ON db DURATION d REPLICATION n [SHARD DURATION d] [DEFAULT]`
    CreateRetentionPolicy {
        name: String,
        database: String,
        /// ns, 0 = INF.
        duration: i64,
        replication: u32,
        shard_duration: Option<i64>,
        default: bool,
    },
    /// `ALTER RETENTION POLICY name ON db [DURATION d] [REPLICATION n] [SHARD DURATION d] [DEFAULT]`
    AlterRetentionPolicy {
        name: String,
        database: String,
        duration: Option<i64>,
        replication: Option<u32>,
        shard_duration: Option<i64>,
        default: bool,
    },
    /// `DROP RETENTION POLICY name ON db`
    DropRetentionPolicy { name: String, database: String },
    /// `DROP MEASUREMENT name`
    DropMeasurement { name: String },
    /// `DROP SERIES [FROM ...] [WHERE ...]`
    DropSeries {
        sources: Vec<Source>,
        condition: Option<Expr>,
    },
    /// `DELETE [FROM ...] [WHERE ...]`
    Delete {
        sources: Vec<Source>,
        condition: Option<Expr>,
    },
    /// `DROP SHARD id`
    DropShard { id: u64 },
    /// `CREATE USER name WITH PASSWORD 'pw' [WITH ALL PRIVILEGES]`
    CreateUser {
        name: String,
        password: String,
        admin: bool,
    },
    /// `DROP USER name`
    DropUser { name: String },
    /// `SET PASSWORD FOR name = 'pw'`
    SetPassword { name: String, password: String },
    /// `GRANT priv ON db TO user`
    Grant {
        privilege: Privilege,
        database: String,
        user: String,
    },
    /// `GRANT ALL [PRIVILEGES] TO user`
    GrantAdmin { user: String },
    /// `REVOKE priv ON db FROM user`
    Revoke {
        privilege: Privilege,
        database: String,
        user: String,
    },
    /// `REVOKE ALL [PRIVILEGES] FROM user`
    RevokeAdmin { user: String },
    /// `SHOW USERS`
    ShowUsers,
    /// `SHOW GRANTS FOR user`
    ShowGrants { user: String },
    /// `CREATE CONTINUOUS QUERY name ON db [RESAMPLE [EVERY d] [FOR d]] BEGIN SELECT ... END`
    CreateContinuousQuery {
        name: String,
        database: String,
        resample_every: Option<i64>,
        resample_for: Option<i64>,
        query: Box<SelectStatement>,
    },
    /// `DROP CONTINUOUS QUERY name ON db`
    DropContinuousQuery { name: String, database: String },
    /// `SHOW CONTINUOUS QUERIES`
    ShowContinuousQueries,
    /// `CREATE SUBSCRIPTION name ON db.rp DESTINATIONS {ALL|ANY} 'url', ...`
    CreateSubscription {
        name: String,
        database: String,
        retention_policy: String,
        mode: SubscriptionMode,
        destinations: Vec<String>,
    },
    /// `DROP SUBSCRIPTION name ON db.rp`
    DropSubscription {
        name: String,
        database: String,
        retention_policy: String,
    },
    /// `SHOW SUBSCRIPTIONS`
    ShowSubscriptions,
}

/// A `SELECT` statement (also the body of subqueries, `EXPLAIN` and continuous queries).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SelectStatement {
    /// The projections.
    pub fields: Vec<Field>,
    /// `INTO` target.
    pub into: Option<Into>,
    /// `FROM` sources.
    pub sources: Vec<Source>,
    /// `WHERE` expression.
    pub condition: Option<Expr>,
    /// `GROUP BY` dimensions.
    pub dimensions: Vec<Dimension>,
    /// `fill(...)` option.
    pub fill: Fill,
    /// `ORDER BY time DESC` (or `ORDER BY DESC`).
    pub order_desc: bool,
    /// `LIMIT n`
    pub limit: Option<u64>,
    /// `OFFSET n`
    pub offset: Option<u64>,
    /// `SLIMIT n`
    pub slimit: Option<u64>,
    /// `SOFFSET n`
    pub soffset: Option<u64>,
    /// `tz('Area/City')`: the IANA time zone name as written.
    pub timezone: Option<String>,
}

/// One projection of a `SELECT`.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The expression.
    pub expr: Expr,
    /// `AS alias`
    pub alias: Option<String>,
}

/// The `INTO` clause of a `SELECT`.
///
/// `measurement.name` is `MeasurementName::Name("")` when the target is the
/// `:MEASUREMENT` back-reference (`backref_measurement` is then true).
/// Empty database / retention policy mean "not given" and are `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct Into {
    /// Target database, retention policy and measurement.
    pub measurement: MeasurementRef,
    /// `:MEASUREMENT`: write each point into the measurement it was read from.
    pub backref_measurement: bool,
}

/// One `FROM` source.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A measurement (or a regex of measurements), optionally qualified.
    Measurement(MeasurementRef),
    /// `(SELECT ...)`
    Subquery(Box<SelectStatement>),
}

/// A possibly qualified measurement: `"db"."rp"."m"`, `"db".."m"`, `"rp"./re/`.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasurementRef {
    /// Database, when given.
    pub database: Option<String>,
    /// Retention policy, when given.
    pub retention_policy: Option<String>,
    /// The name or regex.
    pub name: MeasurementName,
}

/// A measurement name or a measurement regex.
#[derive(Debug, Clone, PartialEq)]
pub enum MeasurementName {
    /// A literal name.
    Name(String),
    /// A regex pattern (without the slashes, `\/` unescaped).
    Regex(String),
}

/// A `GROUP BY` dimension.
#[derive(Debug, Clone, PartialEq)]
pub enum Dimension {
    /// `time(interval[, offset])`
    Time {
        /// Interval in ns.
        interval: i64,
        /// Optional offset.
        offset: Option<TimeOffset>,
    },
    /// A tag key.
    Tag(String),
    /// `/regex/` matching tag keys.
    Regex(String),
    /// `*`: all tags.
    Wildcard,
}

/// The offset argument of `GROUP BY time(interval, offset)`.
#[derive(Debug, Clone, PartialEq)]
pub enum TimeOffset {
    /// A duration in ns (may be negative or larger than the interval: the
    /// executor takes it modulo the interval, as InfluxDB does).
    Duration(i64),
    /// `now()`: aligns buckets on the query's now.
    Now,
    /// A time literal (`time(1h, '2020-01-01T00:30:00Z')`). InfluxDB's
    /// compiler accepts it when it parses as a time, but building the
    /// iterators then fails (`invalid time dimension offset: '...'`) for any
    /// positive interval; the executor answers the same.
    Time(String),
}

/// The `fill(...)` option.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Fill {
    /// `fill(null)`, the default.
    #[default]
    Null,
    /// `fill(none)`
    None,
    /// `fill(previous)`
    Previous,
    /// `fill(linear)`
    Linear,
    /// `fill(1.5)`
    Number(f64),
    /// `fill(1)`
    Integer(i64),
}

/// A `::type` cast on a variable reference or wildcard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VarType {
    /// `::float`
    Float,
    /// `::integer`
    Integer,
    /// `::unsigned`
    Unsigned,
    /// `::string`
    String,
    /// `::boolean`
    Boolean,
    /// `::field` (any field type)
    Field,
    /// `::tag`
    Tag,
}

/// An InfluxQL expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A field, tag or `time` reference (segments joined by `.`).
    VarRef {
        name: String,
        data_type: Option<VarType>,
    },
    /// A function call; `name` is lower-cased.
    Call { name: String, args: Vec<Expr> },
    /// The `DISTINCT field` keyword form (`distinct(field)` is a `Call`).
    Distinct(String),
    /// A binary operation.
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// A parenthesized expression.
    Paren(Box<Expr>),
    /// A float literal.
    Number(f64),
    /// An integer literal.
    Integer(i64),
    /// An integer literal too large for `i64`.
    Unsigned(u64),
    /// A single-quoted string literal (also time literals).
    String(String),
    /// `true` / `false`
    Boolean(bool),
    /// A duration literal in ns.
    Duration(i64),
    /// A regex literal (the pattern, without slashes).
    Regex(String),
    /// `$name`: a bind parameter not substituted yet.
    BindParam(String),
    /// `*`, `*::field`, `*::tag`
    Wildcard { data_type: Option<VarType> },
    /// The absence of a value (only produced by binding a JSON `null`).
    Nil,
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
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
    Eq,
    NotEq,
    EqRegex,
    NotEqRegex,
    Lt,
    LtEq,
    Gt,
    GtEq,
}

impl BinaryOp {
    /// Precedence as InfluxQL defines it (higher binds tighter).
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::NotEq
            | BinaryOp::EqRegex
            | BinaryOp::NotEqRegex
            | BinaryOp::Lt
            | BinaryOp::LtEq
            | BinaryOp::Gt
            | BinaryOp::GtEq => 3,
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::BitOr | BinaryOp::BitXor => 4,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod | BinaryOp::BitAnd => 5,
        }
    }

    /// The operator as written in InfluxQL.
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
            BinaryOp::BitAnd => "&",
            BinaryOp::BitOr => "|",
            BinaryOp::BitXor => "^",
            BinaryOp::And => "AND",
            BinaryOp::Or => "OR",
            BinaryOp::Eq => "=",
            BinaryOp::NotEq => "!=",
            BinaryOp::EqRegex => "=~",
            BinaryOp::NotEqRegex => "!~",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
        }
    }

    /// True for comparison operators (`=`, `!=`, `=~`, `!~`, `<`, `<=`, `>`, `>=`).
    pub fn is_comparison(self) -> bool {
        self.precedence() == 3
    }

    /// True for `AND` / `OR`.
    pub fn is_logical(self) -> bool {
        matches!(self, BinaryOp::And | BinaryOp::Or)
    }

    /// True for the arithmetic and bitwise operators.
    pub fn is_math(self) -> bool {
        self.precedence() >= 4
    }
}

impl Expr {
    /// A variable reference without a cast.
    pub fn var(name: impl std::convert::Into<String>) -> Expr {
        Expr::VarRef {
            name: name.into(),
            data_type: None,
        }
    }

    /// A function call.
    pub fn call(name: impl std::convert::Into<String>, args: Vec<Expr>) -> Expr {
        Expr::Call {
            name: name.into(),
            args,
        }
    }

    /// A binary expression.
    pub fn binary(op: BinaryOp, lhs: Expr, rhs: Expr) -> Expr {
        Expr::Binary {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        }
    }

    /// Visits this expression and every sub-expression, parents first.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        f(self);
        match self {
            Expr::Call { args, .. } => args.iter().for_each(|a| a.walk(f)),
            Expr::Binary { lhs, rhs, .. } => {
                lhs.walk(f);
                rhs.walk(f);
            }
            Expr::Paren(e) => e.walk(f),
            _ => {}
        }
    }

    /// Visits this expression and every sub-expression mutably, parents first.
    pub fn walk_mut(&mut self, f: &mut dyn FnMut(&mut Expr)) {
        f(self);
        match self {
            Expr::Call { args, .. } => args.iter_mut().for_each(|a| a.walk_mut(f)),
            Expr::Binary { lhs, rhs, .. } => {
                lhs.walk_mut(f);
                rhs.walk_mut(f);
            }
            Expr::Paren(e) => e.walk_mut(f),
            _ => {}
        }
    }

    /// True for a reference to `time` (case-insensitive, as InfluxDB).
    pub fn is_time_ref(&self) -> bool {
        matches!(self, Expr::VarRef { name, .. } if name.eq_ignore_ascii_case("time"))
    }

    /// True for `now()`.
    pub fn is_now_call(&self) -> bool {
        matches!(self, Expr::Call { name, args } if name == "now" && args.is_empty())
    }

    /// The expression without any enclosing parentheses.
    pub fn unparen(&self) -> &Expr {
        let mut e = self;
        while let Expr::Paren(inner) = e {
            e = inner;
        }
        e
    }

    /// True if any function call appears in the expression.
    pub fn has_call(&self) -> bool {
        let mut found = false;
        self.walk(&mut |e| {
            if matches!(e, Expr::Call { .. } | Expr::Distinct(_)) {
                found = true;
            }
        });
        found
    }
}

impl SelectStatement {
    /// True when no function call (aggregate, selector or transform) is
    /// projected: InfluxDB's `IsRawQuery`, except that the keyword form
    /// `DISTINCT x` also counts as a call here (InfluxDB rewrites it to
    /// `distinct(x)` later).
    pub fn is_raw_query(&self) -> bool {
        !self.fields.iter().any(|f| f.expr.has_call())
    }

    /// The `GROUP BY time(...)` interval in ns, if any.
    pub fn group_by_interval(&self) -> Option<i64> {
        self.dimensions.iter().find_map(|d| match d {
            Dimension::Time { interval, .. } => Some(*interval),
            _ => None,
        })
    }

    /// The `GROUP BY time(..., offset)` offset, if any.
    pub fn group_by_offset(&self) -> Option<&TimeOffset> {
        self.dimensions.iter().find_map(|d| match d {
            Dimension::Time { offset, .. } => offset.as_ref(),
            _ => None,
        })
    }

    /// Visits every expression of the statement (fields, condition), not subqueries.
    pub fn walk_exprs<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        for field in &self.fields {
            field.expr.walk(f);
        }
        if let Some(cond) = &self.condition {
            cond.walk(f);
        }
    }
}

/// The kind of an InfluxQL function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunctionKind {
    /// Reduces a window to one value (`mean`, `count`, ...).
    Aggregate,
    /// Picks points from a window, keeping their time (`first`, `max`, `top`, ...).
    Selector,
    /// Maps each point or each window output (`derivative`, `abs`, ...).
    Transform,
    /// Predicts values (`holt_winters`, `holt_winters_with_fit`).
    Predictor,
    /// Technical analysis (`exponential_moving_average`, ...).
    TechnicalAnalysis,
}

/// Aggregate functions of InfluxDB 1.8.
pub const AGGREGATE_FUNCTIONS: &[&str] = &[
    "count", "distinct", "integral", "mean", "median", "mode", "spread", "stddev", "sum",
];

/// Selector functions of InfluxDB 1.8.
pub const SELECTOR_FUNCTIONS: &[&str] = &[
    "bottom",
    "first",
    "last",
    "max",
    "min",
    "percentile",
    "sample",
    "top",
];

/// Transformation functions of InfluxDB 1.8.
pub const TRANSFORM_FUNCTIONS: &[&str] = &[
    "abs",
    "acos",
    "asin",
    "atan",
    "atan2",
    "ceil",
    "cos",
    "cumulative_sum",
    "derivative",
    "difference",
    "elapsed",
    "exp",
    "floor",
    "ln",
    "log",
    "log2",
    "log10",
    "moving_average",
    "non_negative_derivative",
    "non_negative_difference",
    "pow",
    "round",
    "sin",
    "sqrt",
    "tan",
];

/// Predictor functions of InfluxDB 1.8.
pub const PREDICTOR_FUNCTIONS: &[&str] = &["holt_winters", "holt_winters_with_fit"];

/// Technical analysis functions of InfluxDB 1.8.
pub const TECHNICAL_ANALYSIS_FUNCTIONS: &[&str] = &[
    "chande_momentum_oscillator",
    "exponential_moving_average",
    "double_exponential_moving_average",
    "kaufmans_efficiency_ratio",
    "kaufmans_adaptive_moving_average",
    "triple_exponential_moving_average",
    "triple_exponential_derivative",
    "relative_strength_index",
];

/// The kind of a function by (lower-case) name, `None` if InfluxDB does not know it.
pub fn function_kind(name: &str) -> Option<FunctionKind> {
    if AGGREGATE_FUNCTIONS.contains(&name) {
        Some(FunctionKind::Aggregate)
    } else if SELECTOR_FUNCTIONS.contains(&name) {
        Some(FunctionKind::Selector)
    } else if TRANSFORM_FUNCTIONS.contains(&name) {
        Some(FunctionKind::Transform)
    } else if PREDICTOR_FUNCTIONS.contains(&name) {
        Some(FunctionKind::Predictor)
    } else if TECHNICAL_ANALYSIS_FUNCTIONS.contains(&name) {
        Some(FunctionKind::TechnicalAnalysis)
    } else {
        None
    }
}

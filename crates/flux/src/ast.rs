//! Flux abstract syntax tree. `Serialize` yields the JSON shape of InfluxDB's
//! `/api/v2/query/ast` answer (`{"type": "Package", "files": [...]}`).

use serde::{Serialize, Serializer};
use std::sync::Arc;

/// A 1-based line/column position.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Position {
    /// Line, from 1.
    pub line: u32,
    /// Column (characters), from 1.
    pub column: u32,
}

/// A source range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Location {
    /// First character.
    pub start: Position,
    /// One past the last character.
    pub end: Position,
}

impl Location {
    /// The range from the start of `self` to the end of `other`.
    pub fn to(self, other: Location) -> Location {
        Location {
            start: self.start,
            end: other.end,
        }
    }
}

/// A whole package (what `/api/v2/query/ast` answers under `ast`).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename = "Package")]
pub struct Package {
    /// Package name (`main` unless a package clause says otherwise).
    pub package: String,
    /// Files of the package (one for a query).
    pub files: Vec<File>,
}

/// One source file.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename = "File")]
pub struct File {
    pub location: Location,
    pub package: Option<PackageClause>,
    pub imports: Vec<ImportDeclaration>,
    pub body: Vec<Statement>,
}

/// `package name`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename = "PackageClause")]
pub struct PackageClause {
    pub location: Location,
    pub name: Identifier,
}

/// `import [alias] "path"`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename = "ImportDeclaration")]
pub struct ImportDeclaration {
    pub location: Location,
    #[serde(rename = "as")]
    pub alias: Option<Identifier>,
    pub path: StringLiteral,
}

/// A statement.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Statement {
    ExpressionStatement(ExpressionStatement),
    VariableAssignment(VariableAssignment),
    OptionStatement(OptionStatement),
    ReturnStatement(ReturnStatement),
    BuiltinStatement(BuiltinStatement),
    TestCaseStatement(TestCaseStatement),
}

impl Statement {
    /// Source range of the statement.
    pub fn location(&self) -> Location {
        match self {
            Statement::ExpressionStatement(s) => s.location,
            Statement::VariableAssignment(s) => s.location,
            Statement::OptionStatement(s) => s.location,
            Statement::ReturnStatement(s) => s.location,
            Statement::BuiltinStatement(s) => s.location,
            Statement::TestCaseStatement(s) => s.location,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub struct ExpressionStatement {
    pub location: Location,
    pub expression: Expression,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub struct VariableAssignment {
    pub location: Location,
    pub id: Identifier,
    pub init: Expression,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub struct MemberAssignment {
    pub location: Location,
    pub member: MemberExpression,
    pub init: Expression,
}

/// The assignment of an option statement.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Assignment {
    VariableAssignment(VariableAssignment),
    MemberAssignment(MemberAssignment),
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub struct OptionStatement {
    pub location: Location,
    pub assignment: Assignment,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub struct ReturnStatement {
    pub location: Location,
    pub argument: Expression,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub struct BuiltinStatement {
    pub location: Location,
    pub id: Identifier,
    pub ty: TypeExpression,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub struct TestCaseStatement {
    pub location: Location,
    pub id: Identifier,
    pub extends: Option<StringLiteral>,
    pub block: Block,
}

/// `{ statements }` body of a function or a testcase.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename = "Block")]
pub struct Block {
    pub location: Location,
    pub body: Vec<Statement>,
}

/// A type expression with its constraints (`T where T: Record`).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename = "TypeExpression")]
pub struct TypeExpression {
    pub location: Location,
    pub monotype: MonoType,
    pub constraints: Vec<TypeConstraint>,
}

/// `T: Kind + Kind`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename = "TypeConstraint")]
pub struct TypeConstraint {
    pub location: Location,
    pub tvar: Identifier,
    pub kinds: Vec<Identifier>,
}

/// A monotype in a type expression.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub enum MonoType {
    NamedType {
        location: Location,
        name: Identifier,
    },
    TvarType {
        location: Location,
        name: Identifier,
    },
    ArrayType {
        location: Location,
        element: Box<MonoType>,
    },
    StreamType {
        location: Location,
        element: Box<MonoType>,
    },
    VectorType {
        location: Location,
        element: Box<MonoType>,
    },
    DictType {
        location: Location,
        key: Box<MonoType>,
        val: Box<MonoType>,
    },
    RecordType {
        location: Location,
        tvar: Option<Identifier>,
        properties: Vec<PropertyType>,
    },
    FunctionType {
        location: Location,
        parameters: Vec<ParameterType>,
        monotype: Box<MonoType>,
    },
}

/// `name: T` in a record type.
#[derive(Debug, Clone, Serialize)]
pub struct PropertyType {
    pub location: Location,
    pub name: Identifier,
    pub monotype: MonoType,
}

/// A function type parameter: required, optional (`?x`) or pipe (`<-x`).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub enum ParameterType {
    Required {
        location: Location,
        name: Identifier,
        monotype: MonoType,
    },
    Optional {
        location: Location,
        name: Identifier,
        monotype: MonoType,
    },
    Pipe {
        location: Location,
        name: Option<Identifier>,
        monotype: MonoType,
    },
}

/// An expression.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Expression {
    Identifier(Identifier),
    ArrayExpression(ArrayExpression),
    DictExpression(DictExpression),
    FunctionExpression(FunctionExpression),
    LogicalExpression(LogicalExpression),
    ObjectExpression(ObjectExpression),
    MemberExpression(MemberExpression),
    IndexExpression(IndexExpression),
    BinaryExpression(BinaryExpression),
    UnaryExpression(UnaryExpression),
    PipeExpression(PipeExpression),
    CallExpression(CallExpression),
    ConditionalExpression(ConditionalExpression),
    StringExpression(StringExpression),
    ParenExpression(ParenExpression),
    IntegerLiteral(IntegerLiteral),
    UnsignedIntegerLiteral(UnsignedIntegerLiteral),
    FloatLiteral(FloatLiteral),
    StringLiteral(StringLiteral),
    BooleanLiteral(BooleanLiteral),
    DurationLiteral(DurationLiteral),
    DateTimeLiteral(DateTimeLiteral),
    RegexpLiteral(RegexpLiteral),
    PipeLiteral(PipeLiteral),
}

impl Expression {
    /// Source range of the expression.
    pub fn location(&self) -> Location {
        use Expression::*;
        match self {
            Identifier(e) => e.location,
            ArrayExpression(e) => e.location,
            DictExpression(e) => e.location,
            FunctionExpression(e) => e.location,
            LogicalExpression(e) => e.location,
            ObjectExpression(e) => e.location,
            MemberExpression(e) => e.location,
            IndexExpression(e) => e.location,
            BinaryExpression(e) => e.location,
            UnaryExpression(e) => e.location,
            PipeExpression(e) => e.location,
            CallExpression(e) => e.location,
            ConditionalExpression(e) => e.location,
            StringExpression(e) => e.location,
            ParenExpression(e) => e.location,
            IntegerLiteral(e) => e.location,
            UnsignedIntegerLiteral(e) => e.location,
            FloatLiteral(e) => e.location,
            StringLiteral(e) => e.location,
            BooleanLiteral(e) => e.location,
            DurationLiteral(e) => e.location,
            DateTimeLiteral(e) => e.location,
            RegexpLiteral(e) => e.location,
            PipeLiteral(e) => e.location,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "type")]
pub struct Identifier {
    pub location: Location,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub struct ArrayExpression {
    pub location: Location,
    pub elements: Vec<Expression>,
}

/// One `key: value` item of a dictionary literal.
#[derive(Debug, Clone, Serialize)]
pub struct DictItem {
    pub key: Expression,
    pub val: Expression,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub struct DictExpression {
    pub location: Location,
    pub elements: Vec<DictItem>,
}

/// Function body: a block or a single expression.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum FunctionBody {
    Block(Block),
    Expression(Box<Expression>),
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub struct FunctionExpression {
    pub location: Location,
    pub params: Arc<Vec<Property>>,
    pub body: Arc<FunctionBody>,
}

/// `and` / `or`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LogicalOperator {
    #[serde(rename = "and")]
    And,
    #[serde(rename = "or")]
    Or,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub struct LogicalExpression {
    pub location: Location,
    pub operator: LogicalOperator,
    pub left: Box<Expression>,
    pub right: Box<Expression>,
}

/// Property key: identifier or string literal.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum PropertyKey {
    Identifier(Identifier),
    StringLiteral(StringLiteral),
}

impl PropertyKey {
    /// The key's text.
    pub fn name(&self) -> &str {
        match self {
            PropertyKey::Identifier(i) => &i.name,
            PropertyKey::StringLiteral(s) => &s.value,
        }
    }

    /// Source range of the key.
    pub fn location(&self) -> Location {
        match self {
            PropertyKey::Identifier(i) => i.location,
            PropertyKey::StringLiteral(s) => s.location,
        }
    }
}

/// `key: value` (or just `key`) in a record, a call or a parameter list.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename = "Property")]
pub struct Property {
    pub location: Location,
    pub key: PropertyKey,
    pub value: Option<Expression>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub struct ObjectExpression {
    pub location: Location,
    pub with: Option<Identifier>,
    pub properties: Vec<Property>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub struct MemberExpression {
    pub location: Location,
    pub object: Box<Expression>,
    pub property: PropertyKey,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub struct IndexExpression {
    pub location: Location,
    pub array: Box<Expression>,
    pub index: Box<Expression>,
}

/// Binary and unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Operator {
    #[serde(rename = "*")]
    Mul,
    #[serde(rename = "/")]
    Div,
    #[serde(rename = "%")]
    Mod,
    #[serde(rename = "^")]
    Pow,
    #[serde(rename = "+")]
    Add,
    #[serde(rename = "-")]
    Sub,
    #[serde(rename = "<=")]
    Lte,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = ">=")]
    Gte,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Neq,
    #[serde(rename = "=~")]
    RegexMatch,
    #[serde(rename = "!~")]
    RegexNotMatch,
    #[serde(rename = "not")]
    Not,
    #[serde(rename = "exists")]
    Exists,
}

impl Operator {
    /// The operator as written in Flux.
    pub fn as_str(self) -> &'static str {
        use Operator::*;
        match self {
            Mul => "*",
            Div => "/",
            Mod => "%",
            Pow => "^",
            Add => "+",
            Sub => "-",
            Lte => "<=",
            Lt => "<",
            Gte => ">=",
            Gt => ">",
            Eq => "==",
            Neq => "!=",
            RegexMatch => "=~",
            RegexNotMatch => "!~",
            Not => "not",
            Exists => "exists",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub struct BinaryExpression {
    pub location: Location,
    pub operator: Operator,
    pub left: Box<Expression>,
    pub right: Box<Expression>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub struct UnaryExpression {
    pub location: Location,
    pub operator: Operator,
    pub argument: Box<Expression>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub struct PipeExpression {
    pub location: Location,
    pub argument: Box<Expression>,
    pub call: CallExpression,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub struct CallExpression {
    pub location: Location,
    pub callee: Box<Expression>,
    /// Zero or one record of named arguments (Flux's JSON shape).
    pub arguments: Vec<ObjectExpression>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub struct ConditionalExpression {
    pub location: Location,
    pub test: Box<Expression>,
    pub consequent: Box<Expression>,
    pub alternate: Box<Expression>,
}

/// A part of an interpolated string.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub enum StringExpressionPart {
    TextPart {
        location: Location,
        value: String,
    },
    InterpolatedPart {
        location: Location,
        expression: Box<Expression>,
    },
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub struct StringExpression {
    pub location: Location,
    pub parts: Vec<StringExpressionPart>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub struct ParenExpression {
    pub location: Location,
    pub expression: Box<Expression>,
}

fn ser_to_string<S: Serializer, T: ToString>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&v.to_string())
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub struct IntegerLiteral {
    pub location: Location,
    #[serde(serialize_with = "ser_to_string")]
    pub value: i64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub struct UnsignedIntegerLiteral {
    pub location: Location,
    #[serde(serialize_with = "ser_to_string")]
    pub value: u64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub struct FloatLiteral {
    pub location: Location,
    pub value: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "type")]
pub struct StringLiteral {
    pub location: Location,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub struct BooleanLiteral {
    pub location: Location,
    pub value: bool,
}

/// One `magnitude unit` pair of a duration literal.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Duration {
    pub magnitude: i64,
    pub unit: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub struct DurationLiteral {
    pub location: Location,
    pub values: Vec<Duration>,
}

/// A date-time literal; `value` is the instant in nanoseconds since the epoch.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub struct DateTimeLiteral {
    pub location: Location,
    #[serde(rename = "value")]
    pub text: String,
    #[serde(skip)]
    pub nanos: i64,
}

/// A regular expression literal, compiled at parse time.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub struct RegexpLiteral {
    pub location: Location,
    #[serde(serialize_with = "ser_regex")]
    pub value: Arc<regex::Regex>,
}

fn ser_regex<S: Serializer>(v: &Arc<regex::Regex>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v.as_str())
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub struct PipeLiteral {
    pub location: Location,
}

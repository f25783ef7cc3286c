//! The subset of Go's `text/template` Kapacitor alert templates use:
//! `{{ .Field }}`, nested fields, `{{ index .Tags "host" }}`, pipes
//! (`{{ index .Fields "v" | printf "%0.3f" }}`), `if`/`else if`/`else`/`end`,
//! `range` over maps and lists, comparison functions (`eq ne lt le gt ge`),
//! `and or not`, `printf print len json`, and `{{-`/`-}}` trimming.

use std::collections::BTreeMap;

/// A template error (parse or execution).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("template: {0}")]
pub struct TemplateError(pub String);

/// A value templates work on.
#[derive(Debug, Clone, PartialEq)]
pub enum TValue {
    /// No value.
    Nil,
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A time (ns since the epoch), printed as Go prints `time.Time`.
    Time(i64),
    /// A duration (ns), printed as Go prints `time.Duration`.
    Duration(i64),
    /// A map (printed `map[k:v ...]`).
    Map(BTreeMap<String, TValue>),
    /// A list.
    List(Vec<TValue>),
}

impl TValue {
    fn truthy(&self) -> bool {
        match self {
            TValue::Nil => false,
            TValue::Str(s) => !s.is_empty(),
            TValue::Int(i) | TValue::Time(i) | TValue::Duration(i) => *i != 0,
            TValue::Float(f) => *f != 0.0,
            TValue::Bool(b) => *b,
            TValue::Map(m) => !m.is_empty(),
            TValue::List(l) => !l.is_empty(),
        }
    }

    /// Go's `%v` rendering.
    pub fn render(&self) -> String {
        match self {
            TValue::Nil => "<no value>".into(),
            TValue::Str(s) => s.clone(),
            TValue::Int(i) => i.to_string(),
            TValue::Float(f) => go_float(*f),
            TValue::Bool(b) => b.to_string(),
            TValue::Time(t) => crate::model::format_go_time(*t),
            TValue::Duration(d) => crate::model::format_duration(*d),
            TValue::Map(m) => {
                let parts: Vec<String> = m
                    .iter()
                    .map(|(k, v)| format!("{k}:{}", v.render()))
                    .collect();
                format!("map[{}]", parts.join(" "))
            }
            TValue::List(l) => format!(
                "[{}]",
                l.iter().map(|v| v.render()).collect::<Vec<_>>().join(" ")
            ),
        }
    }

    /// JSON form (for the `json` function).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            TValue::Nil => serde_json::Value::Null,
            TValue::Str(s) => s.clone().into(),
            TValue::Int(i) | TValue::Duration(i) => (*i).into(),
            TValue::Float(f) => serde_json::Number::from_f64(*f)
                .map(Into::into)
                .unwrap_or(serde_json::Value::Null),
            TValue::Bool(b) => (*b).into(),
            TValue::Time(t) => crate::model::format_time(*t).into(),
            TValue::Map(m) => {
                serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
            TValue::List(l) => serde_json::Value::Array(l.iter().map(|v| v.to_json()).collect()),
        }
    }
}

/// The same JSON as [`TValue::to_json`], written without building a
/// `serde_json::Value` first (the `json` function renders every sent
/// alert's details).
impl serde::Serialize for TValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            TValue::Nil => s.serialize_unit(),
            TValue::Str(v) => s.serialize_str(v),
            TValue::Int(i) | TValue::Duration(i) => s.serialize_i64(*i),
            TValue::Float(f) if f.is_finite() => s.serialize_f64(*f),
            TValue::Float(_) => s.serialize_unit(),
            TValue::Bool(b) => s.serialize_bool(*b),
            TValue::Time(t) => s.serialize_str(&crate::model::format_time(*t)),
            TValue::Map(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            TValue::List(l) => s.collect_seq(l),
        }
    }
}

/// Go's `%v` for float64 (shortest representation, exponent for large/small).
pub fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-4..1e21).contains(&abs) {
        let s = format!("{f:e}");
        // Rust: 1e21 / 1.5e-5; Go: 1e+21 / 1.5e-05.
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let (sign, digits) = match e.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', e),
        };
        return format!("{m}e{sign}{digits:0>2}");
    }
    format!("{f}")
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Field(Vec<String>),
    Var(String, Vec<String>),
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Ident(String),
    Sub(Box<Pipeline>),
}

#[derive(Debug, Clone, PartialEq)]
struct Pipeline {
    decl: Vec<String>,
    cmds: Vec<Vec<Operand>>,
}

#[derive(Debug, Clone, PartialEq)]
enum Item {
    Text(String),
    Action(Pipeline),
    If(Vec<(Pipeline, Vec<Item>)>, Vec<Item>),
    Range(Pipeline, Vec<Item>, Vec<Item>),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    items: Vec<Item>,
    source: String,
}

enum Tok {
    Text(String),
    Action(String),
}

fn split(src: &str) -> Result<Vec<Tok>, TemplateError> {
    let mut out = Vec::new();
    let mut rest = src;
    let mut trim_next = false;
    while let Some(start) = rest.find("{{") {
        let mut text = &rest[..start];
        if trim_next {
            text = text.trim_start();
        }
        let after = &rest[start + 2..];
        let trim_left =
            after.starts_with("- ") || after.starts_with("-\t") || after.starts_with("-\n");
        if trim_left {
            text = text.trim_end();
        }
        out.push(Tok::Text(text.to_string()));
        let end = after
            .find("}}")
            .ok_or_else(|| TemplateError("unclosed action".into()))?;
        let mut action = &after[..end];
        if trim_left {
            action = &action[1..];
        }
        trim_next = action.ends_with(" -") || action.ends_with("\t-") || action.ends_with("\n-");
        if trim_next {
            action = &action[..action.len() - 1];
        }
        out.push(Tok::Action(action.trim().to_string()));
        rest = &after[end + 2..];
    }
    out.push(Tok::Text(
        if trim_next { rest.trim_start() } else { rest }.to_string(),
    ));
    Ok(out)
}

fn lex_action(s: &str) -> Result<Vec<String>, TemplateError> {
    let chars: Vec<char> = s.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '"' || c == '`' {
            let q = c;
            let mut j = i + 1;
            let mut lit = String::from(q);
            while j < chars.len() && chars[j] != q {
                if chars[j] == '\\' && q == '"' && j + 1 < chars.len() {
                    lit.push(chars[j]);
                    j += 1;
                }
                lit.push(chars[j]);
                j += 1;
            }
            if j >= chars.len() {
                return Err(TemplateError("unterminated quoted string".into()));
            }
            lit.push(q);
            toks.push(lit);
            i = j + 1;
        } else if "|()".contains(c) {
            toks.push(c.to_string());
            i += 1;
        } else if c == ':' && chars.get(i + 1) == Some(&'=') {
            toks.push(":=".into());
            i += 2;
        } else {
            let mut j = i;
            while j < chars.len()
                && !chars[j].is_whitespace()
                && !"|()\"`".contains(chars[j])
                && (chars[j] != ':' || chars.get(j + 1) != Some(&'='))
            {
                j += 1;
            }
            toks.push(chars[i..j].iter().collect());
            i = j;
        }
    }
    Ok(toks)
}

fn unquote(t: &str) -> Result<String, TemplateError> {
    if t.starts_with('`') {
        return Ok(t[1..t.len() - 1].to_string());
    }
    serde_json::from_str::<String>(t).map_err(|_| TemplateError(format!("invalid string {t}")))
}

fn parse_pipeline(toks: &[String]) -> Result<Pipeline, TemplateError> {
    let mut i = 0;
    let mut decl = Vec::new();
    if let Some(pos) = toks.iter().position(|t| t == ":=") {
        for t in &toks[..pos] {
            let t = t.trim_end_matches(',');
            if !t.starts_with('$') {
                return Err(TemplateError(format!("invalid variable declaration {t}")));
            }
            decl.push(t.to_string());
        }
        i = pos + 1;
    }
    let (cmds, used) = parse_cmds(&toks[i..])?;
    if i + used != toks.len() {
        return Err(TemplateError("unexpected \")\"".into()));
    }
    if cmds.is_empty() || cmds.iter().any(|c| c.is_empty()) {
        return Err(TemplateError("missing value for command".into()));
    }
    Ok(Pipeline { decl, cmds })
}

fn parse_cmds(toks: &[String]) -> Result<(Vec<Vec<Operand>>, usize), TemplateError> {
    let mut cmds = vec![Vec::new()];
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        match t.as_str() {
            ")" => return Ok((cmds, i)),
            "|" => cmds.push(Vec::new()),
            "(" => {
                let (sub, used) = parse_cmds(&toks[i + 1..])?;
                if toks.get(i + 1 + used).map(|s| s.as_str()) != Some(")") {
                    return Err(TemplateError("unclosed left paren".into()));
                }
                cmds.last_mut()
                    .expect("non-empty")
                    .push(Operand::Sub(Box::new(Pipeline {
                        decl: vec![],
                        cmds: sub,
                    })));
                i += used + 1;
            }
            _ => {
                let op = if t.starts_with('"') || t.starts_with('`') {
                    Operand::Str(unquote(t)?)
                } else if t == "." {
                    Operand::Field(vec![])
                } else if let Some(rest) = t.strip_prefix('.') {
                    Operand::Field(rest.split('.').map(String::from).collect())
                } else if t.starts_with('$') {
                    let mut parts = t.split('.');
                    let name = parts.next().unwrap_or("$").to_string();
                    Operand::Var(name, parts.map(String::from).collect())
                } else if t == "true" || t == "false" {
                    Operand::Bool(t == "true")
                } else if let Ok(i) = t.parse::<i64>() {
                    Operand::Int(i)
                } else if let Ok(f) = t.parse::<f64>() {
                    Operand::Float(f)
                } else if t.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    Operand::Ident(t.clone())
                } else {
                    return Err(TemplateError(format!("unexpected {t:?} in command")));
                };
                cmds.last_mut().expect("non-empty").push(op);
            }
        }
        i += 1;
    }
    Ok((cmds, i))
}

impl Template {
    /// Parses a template.
    pub fn parse(src: &str) -> Result<Template, TemplateError> {
        let toks = split(src)?;
        let mut pos = 0;
        let (items, end) = parse_items(&toks, &mut pos)?;
        if let Some(e) = end {
            return Err(TemplateError(format!("unexpected {{{{{e}}}}}")));
        }
        Ok(Template {
            items,
            source: src.to_string(),
        })
    }

    /// The source text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Executes with `data` as `.`.
    pub fn execute(&self, data: &TValue) -> Result<String, TemplateError> {
        let mut out = String::new();
        let mut vars = vec![("$".to_string(), data.clone())];
        exec_items(&self.items, data, &mut vars, &mut out, 0)?;
        Ok(out)
    }
}

/// Parses items until `end`/`else`; returns the terminating keyword's text.
fn parse_items(
    toks: &[Tok],
    pos: &mut usize,
) -> Result<(Vec<Item>, Option<String>), TemplateError> {
    let mut items = Vec::new();
    while *pos < toks.len() {
        let t = &toks[*pos];
        *pos += 1;
        match t {
            Tok::Text(s) => {
                if !s.is_empty() {
                    items.push(Item::Text(s.clone()));
                }
            }
            Tok::Action(a) => {
                if a.starts_with("/*") {
                    continue;
                }
                let words = lex_action(a)?;
                match words.first().map(|s| s.as_str()) {
                    Some("end") | Some("else") => return Ok((items, Some(a.clone()))),
                    Some("if") => {
                        let mut branches = Vec::new();
                        let mut cond = parse_pipeline(&words[1..])?;
                        let otherwise;
                        loop {
                            let (body, end) = parse_items(toks, pos)?;
                            branches.push((cond, body));
                            let end =
                                end.ok_or_else(|| TemplateError("unexpected EOF in if".into()))?;
                            let ew = lex_action(&end)?;
                            if ew.first().map(|s| s.as_str()) == Some("end") {
                                otherwise = Vec::new();
                                break;
                            }
                            if ew.get(1).map(|s| s.as_str()) == Some("if") {
                                cond = parse_pipeline(&ew[2..])?;
                                continue;
                            }
                            let (body, end) = parse_items(toks, pos)?;
                            if end.as_deref().map(|e| e.trim()) != Some("end") {
                                return Err(TemplateError("expected end after else".into()));
                            }
                            otherwise = body;
                            break;
                        }
                        items.push(Item::If(branches, otherwise));
                    }
                    Some("range") => {
                        let p = parse_pipeline(&words[1..])?;
                        let (body, end) = parse_items(toks, pos)?;
                        let end =
                            end.ok_or_else(|| TemplateError("unexpected EOF in range".into()))?;
                        let otherwise = if end.trim() == "else" {
                            let (b, e) = parse_items(toks, pos)?;
                            if e.as_deref().map(|e| e.trim()) != Some("end") {
                                return Err(TemplateError("expected end after else".into()));
                            }
                            b
                        } else {
                            Vec::new()
                        };
                        items.push(Item::Range(p, body, otherwise));
                    }
                    Some(kw @ ("with" | "define" | "template" | "block")) => {
                        return Err(TemplateError(format!("not supported yet: {{{{{kw}}}}}")))
                    }
                    _ => items.push(Item::Action(parse_pipeline(&words)?)),
                }
            }
        }
    }
    Ok((items, None))
}

fn field(mut v: TValue, path: &[String]) -> TValue {
    for p in path {
        v = match v {
            TValue::Map(mut m) => m.remove(p).unwrap_or(TValue::Nil),
            _ => TValue::Nil,
        };
    }
    v
}

fn eval_pipeline(
    p: &Pipeline,
    dot: &TValue,
    vars: &mut Vec<(String, TValue)>,
) -> Result<TValue, TemplateError> {
    let mut prev: Option<TValue> = None;
    for cmd in &p.cmds {
        prev = Some(eval_cmd(cmd, dot, vars, prev)?);
    }
    let v = prev.unwrap_or(TValue::Nil);
    if let Some(name) = p.decl.first() {
        vars.push((name.clone(), v.clone()));
    }
    Ok(v)
}

fn eval_operand(
    o: &Operand,
    dot: &TValue,
    vars: &mut Vec<(String, TValue)>,
) -> Result<TValue, TemplateError> {
    Ok(match o {
        Operand::Field(path) => field(dot.clone(), path),
        Operand::Var(name, path) => {
            let v = vars
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| TemplateError(format!("undefined variable: {name}")))?;
            field(v, path)
        }
        Operand::Str(s) => TValue::Str(s.clone()),
        Operand::Int(i) => TValue::Int(*i),
        Operand::Float(f) => TValue::Float(*f),
        Operand::Bool(b) => TValue::Bool(*b),
        Operand::Sub(p) => eval_pipeline(p, dot, vars)?,
        Operand::Ident(f) => call(f, vec![])?,
    })
}

fn eval_cmd(
    cmd: &[Operand],
    dot: &TValue,
    vars: &mut Vec<(String, TValue)>,
    prev: Option<TValue>,
) -> Result<TValue, TemplateError> {
    if let Operand::Ident(f) = &cmd[0] {
        let mut args = cmd[1..]
            .iter()
            .map(|o| eval_operand(o, dot, vars))
            .collect::<Result<Vec<_>, _>>()?;
        args.extend(prev);
        return call(f, args);
    }
    if cmd.len() > 1 || prev.is_some() {
        return Err(TemplateError("can't give argument to non-function".into()));
    }
    eval_operand(&cmd[0], dot, vars)
}

fn compare(a: &TValue, b: &TValue) -> Result<std::cmp::Ordering, TemplateError> {
    use TValue::*;
    let num = |v: &TValue| match v {
        Int(i) | Time(i) | Duration(i) => Some(*i as f64),
        Float(f) => Some(*f),
        _ => None,
    };
    match (a, b) {
        (Str(x), Str(y)) => Ok(x.cmp(y)),
        (Bool(x), Bool(y)) => Ok(x.cmp(y)),
        _ => match (num(a), num(b)) {
            (Some(x), Some(y)) => Ok(x.total_cmp(&y)),
            _ => Err(TemplateError("incompatible types for comparison".into())),
        },
    }
}

fn call(name: &str, args: Vec<TValue>) -> Result<TValue, TemplateError> {
    let need = |n: usize| -> Result<(), TemplateError> {
        if args.len() < n {
            Err(TemplateError(format!(
                "wrong number of args for {name}: want {n} got {}",
                args.len()
            )))
        } else {
            Ok(())
        }
    };
    Ok(match name {
        "index" => {
            need(1)?;
            let mut v = args[0].clone();
            for k in &args[1..] {
                v = match (v, k) {
                    (TValue::Map(mut m), TValue::Str(k)) => m.remove(k).unwrap_or(TValue::Nil),
                    (TValue::List(l), TValue::Int(i)) => l
                        .get(*i as usize)
                        .cloned()
                        .ok_or_else(|| TemplateError(format!("index out of range: {i}")))?,
                    _ => return Err(TemplateError("can't index item".into())),
                };
            }
            v
        }
        "eq" => {
            need(2)?;
            TValue::Bool(
                args[1..]
                    .iter()
                    .any(|b| compare(&args[0], b).map(|o| o.is_eq()).unwrap_or(false)),
            )
        }
        "ne" | "lt" | "le" | "gt" | "ge" => {
            need(2)?;
            let o = compare(&args[0], &args[1])?;
            TValue::Bool(match name {
                "ne" => !o.is_eq(),
                "lt" => o.is_lt(),
                "le" => o.is_le(),
                "gt" => o.is_gt(),
                _ => o.is_ge(),
            })
        }
        "and" => {
            need(1)?;
            args.iter()
                .find(|a| !a.truthy())
                .cloned()
                .unwrap_or_else(|| args[args.len() - 1].clone())
        }
        "or" => {
            need(1)?;
            args.iter()
                .find(|a| a.truthy())
                .cloned()
                .unwrap_or_else(|| args[args.len() - 1].clone())
        }
        "not" => {
            need(1)?;
            TValue::Bool(!args[0].truthy())
        }
        "len" => {
            need(1)?;
            TValue::Int(match &args[0] {
                TValue::Str(s) => s.len(),
                TValue::Map(m) => m.len(),
                TValue::List(l) => l.len(),
                _ => return Err(TemplateError("len of invalid type".into())),
            } as i64)
        }
        "print" => TValue::Str(args.iter().map(|a| a.render()).collect::<Vec<_>>().join("")),
        "printf" => {
            need(1)?;
            let TValue::Str(fmt) = &args[0] else {
                return Err(TemplateError("printf format must be a string".into()));
            };
            TValue::Str(sprintf(fmt, &args[1..]))
        }
        "json" => {
            need(1)?;
            TValue::Str(serde_json::to_string(&args[0]).map_err(|e| TemplateError(e.to_string()))?)
        }
        other => return Err(TemplateError(format!("function {other:?} not defined"))),
    })
}

/// Go's `fmt.Sprintf` for the verbs templates use: `%v %s %d %f %e %g %q %t %%`, width and precision.
pub fn sprintf(fmt: &str, args: &[TValue]) -> String {
    let mut out = String::new();
    let chars: Vec<char> = fmt.chars().collect();
    let mut i = 0;
    let mut arg = 0;
    while i < chars.len() {
        if chars[i] != '%' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        i += 1;
        let mut flags = String::new();
        while i < chars.len() && "+-# 0".contains(chars[i]) {
            flags.push(chars[i]);
            i += 1;
        }
        let mut width = String::new();
        while i < chars.len() && chars[i].is_ascii_digit() {
            width.push(chars[i]);
            i += 1;
        }
        let mut prec: Option<usize> = None;
        if i < chars.len() && chars[i] == '.' {
            i += 1;
            let mut p = String::new();
            while i < chars.len() && chars[i].is_ascii_digit() {
                p.push(chars[i]);
                i += 1;
            }
            prec = Some(p.parse().unwrap_or(0));
        }
        let Some(&verb) = chars.get(i) else {
            out.push_str("%!(NOVERB)");
            break;
        };
        i += 1;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(a) = args.get(arg) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        arg += 1;
        let as_f = match a {
            TValue::Float(f) => Some(*f),
            TValue::Int(v) => Some(*v as f64),
            _ => None,
        };
        let body = match (verb, a) {
            ('d', TValue::Int(v)) => v.to_string(),
            ('f' | 'F', _) if as_f.is_some() && matches!(a, TValue::Float(_)) => {
                format!("{:.*}", prec.unwrap_or(6), as_f.unwrap_or(0.0))
            }
            ('e', TValue::Float(f)) => {
                let s = format!("{:.*e}", prec.unwrap_or(6), f);
                let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
                let (sign, d) = match e.strip_prefix('-') {
                    Some(d) => ('-', d),
                    None => ('+', e),
                };
                format!("{m}e{sign}{d:0>2}")
            }
            ('g', TValue::Float(f)) => go_float(*f),
            ('s' | 'v', v) => v.render(),
            ('q', TValue::Str(s)) => serde_json::to_string(s).unwrap_or_default(),
            ('t', TValue::Bool(b)) => b.to_string(),
            (verb, v) => format!("%!{verb}({})", v.render()),
        };
        let w: usize = width.parse().unwrap_or(0);
        let pad = w.saturating_sub(body.chars().count());
        if flags.contains('-') {
            out.push_str(&body);
            out.push_str(&" ".repeat(pad));
        } else if flags.contains('0') && as_f.is_some() {
            let (sign, digits) = body
                .strip_prefix('-')
                .map(|d| ("-", d))
                .unwrap_or(("", &body));
            out.push_str(sign);
            out.push_str(&"0".repeat(pad));
            out.push_str(digits);
        } else {
            out.push_str(&" ".repeat(pad));
            out.push_str(&body);
        }
    }
    out
}

const MAX_DEPTH: usize = 50;

fn exec_items(
    items: &[Item],
    dot: &TValue,
    vars: &mut Vec<(String, TValue)>,
    out: &mut String,
    depth: usize,
) -> Result<(), TemplateError> {
    if depth > MAX_DEPTH {
        return Err(TemplateError("exceeded maximum template depth".into()));
    }
    for item in items {
        match item {
            Item::Text(t) => out.push_str(t),
            Item::Action(p) => {
                let v = eval_pipeline(p, dot, vars)?;
                if p.decl.is_empty() {
                    out.push_str(&v.render());
                }
            }
            Item::If(branches, otherwise) => {
                let mut done = false;
                for (cond, body) in branches {
                    if eval_pipeline(cond, dot, vars)?.truthy() {
                        exec_items(body, dot, vars, out, depth + 1)?;
                        done = true;
                        break;
                    }
                }
                if !done {
                    exec_items(otherwise, dot, vars, out, depth + 1)?;
                }
            }
            Item::Range(p, body, otherwise) => {
                let mut decl = p.decl.clone();
                let undeclared = Pipeline {
                    decl: vec![],
                    cmds: p.cmds.clone(),
                };
                let v = eval_pipeline(&undeclared, dot, vars)?;
                let entries: Vec<(TValue, TValue)> = match v {
                    TValue::Map(m) => m.into_iter().map(|(k, v)| (TValue::Str(k), v)).collect(),
                    TValue::List(l) => l
                        .into_iter()
                        .enumerate()
                        .map(|(i, v)| (TValue::Int(i as i64), v))
                        .collect(),
                    TValue::Nil => Vec::new(),
                    _ => return Err(TemplateError("range can't iterate over value".into())),
                };
                if entries.is_empty() {
                    exec_items(otherwise, dot, vars, out, depth + 1)?;
                }
                for (k, v) in entries {
                    let mark = vars.len();
                    match decl.len() {
                        0 => {}
                        1 => vars.push((decl[0].clone(), v.clone())),
                        _ => {
                            vars.push((decl[0].clone(), k));
                            vars.push((decl[1].clone(), v.clone()));
                        }
                    }
                    exec_items(body, &v, vars, out, depth + 1)?;
                    vars.truncate(mark);
                }
                decl.clear();
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_written_directly_matches_the_json_value() {
        let mut m = BTreeMap::new();
        m.insert("s".to_string(), TValue::Str("a \"q\"\n\u{1}é".into()));
        m.insert("f".to_string(), TValue::Float(91.5));
        m.insert("whole".to_string(), TValue::Float(95.0));
        m.insert("nan".to_string(), TValue::Float(f64::NAN));
        m.insert("i".to_string(), TValue::Int(-3));
        m.insert("d".to_string(), TValue::Duration(1_500_000_000));
        m.insert("t".to_string(), TValue::Time(1_500_000_000));
        m.insert("b".to_string(), TValue::Bool(true));
        m.insert("nil".to_string(), TValue::Nil);
        m.insert(
            "l".to_string(),
            TValue::List(vec![TValue::Int(1), TValue::Map(BTreeMap::new())]),
        );
        let v = TValue::Map(m);
        assert_eq!(serde_json::to_string(&v).unwrap(), v.to_json().to_string());
    }

    fn data() -> TValue {
        let mut tags = BTreeMap::new();
        tags.insert("host".to_string(), TValue::Str("serverA".into()));
        let mut fields = BTreeMap::new();
        fields.insert("value".to_string(), TValue::Float(91.23456));
        let mut m = BTreeMap::new();
        m.insert("ID".to_string(), TValue::Str("cpu:nil".into()));
        m.insert("Level".to_string(), TValue::Str("CRITICAL".into()));
        m.insert("Tags".to_string(), TValue::Map(tags));
        m.insert("Fields".to_string(), TValue::Map(fields));
        m.insert("Time".to_string(), TValue::Time(0));
        TValue::Map(m)
    }

    fn run(src: &str) -> String {
        Template::parse(src).unwrap().execute(&data()).unwrap()
    }

    #[test]
    fn kapacitor_templates() {
        assert_eq!(run("{{ .ID }} is {{ .Level }}"), "cpu:nil is CRITICAL");
        assert_eq!(
            run("{{ index .Tags \"host\" }}: {{ index .Fields \"value\" | printf \"%0.3f\" }}"),
            "serverA: 91.235"
        );
        assert_eq!(
            run("{{ if eq .Level \"OK\" }}alive{{ else }}dead{{ end }}"),
            "dead"
        );
        assert_eq!(run("{{ if eq .Level \"OK\" }}a{{ else if eq .Level \"CRITICAL\" }}c{{ else }}x{{ end }}"), "c");
        assert_eq!(
            run("{{ .Tags }} {{ .Time }}"),
            "map[host:serverA] 1970-01-01 00:00:00 +0000 UTC"
        );
        assert_eq!(
            run("{{range $k, $v := .Tags}}{{$k}}={{$v}};{{end}}"),
            "host=serverA;"
        );
        assert_eq!(run("a  {{- .Level -}}  b"), "aCRITICALb");
        assert_eq!(run("{{ json .Tags }}"), "{\"host\":\"serverA\"}");
        assert_eq!(run("{{ .Missing }}"), "<no value>");
    }

    #[test]
    fn errors() {
        assert!(Template::parse("{{ .ID ").is_err());
        assert!(Template::parse("{{ if .ID }}x").is_err());
        assert!(Template::parse("{{ end }}").is_err());
        assert!(Template::parse("{{ nofunc .ID }}")
            .unwrap()
            .execute(&data())
            .is_err());
    }

    #[test]
    fn printf_verbs() {
        assert_eq!(
            sprintf(
                "%d|%5.1f|%-4s|%v|%%",
                &[
                    TValue::Int(3),
                    TValue::Float(2.25),
                    TValue::Str("a".into()),
                    TValue::Bool(true)
                ]
            ),
            "3|  2.2|a   |true|%"
        );
        assert_eq!(go_float(1e21), "1e+21");
        assert_eq!(go_float(0.5), "0.5");
    }
}

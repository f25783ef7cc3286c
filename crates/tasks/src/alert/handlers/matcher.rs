//! Handler `match` expressions: a lambda body (without `lambda:`) over the
//! event, as in Kapacitor's topic handler specs. Besides tag references
//! (`"host" == 'serverA'`) and the lambda functions it knows `level()`
//! (compared with `OK`, `INFO`, `WARNING`, `CRITICAL`), `changed()` (the
//! level differs from the previous one), `name()` (measurement),
//! `taskName()` and `duration()`.

use crate::alert::{AlertEvent, Level};
use crate::lambda::Lambda;
use crate::tick::ast::Expr;

/// A parsed match expression.
#[derive(Debug, Clone)]
pub struct Match {
    expr: Expr,
}

fn level_value(l: Level) -> i64 {
    match l {
        Level::Ok => 0,
        Level::Info => 1,
        Level::Warning => 2,
        Level::Critical => 3,
    }
}

/// Replaces the event functions and level names by the event's values.
fn bind(e: &Expr, ev: &AlertEvent, name: &str) -> Result<Expr, String> {
    Ok(match e {
        Expr::Ident(id, pos) => match Level::parse(id) {
            Some(l) if id.chars().all(|c| c.is_ascii_uppercase()) => {
                Expr::Int(level_value(l), *pos)
            }
            _ => return Err(format!("match: unknown identifier {id}")),
        },
        Expr::Call { name: f, args, pos } => {
            let bound = || -> Result<Vec<Expr>, String> {
                args.iter().map(|a| bind(a, ev, name)).collect()
            };
            let event_fn = match f.as_str() {
                "level" => Some(Expr::Int(level_value(ev.state.level), *pos)),
                "changed" => Some(Expr::Bool(ev.previous_level != ev.state.level, *pos)),
                "name" => Some(Expr::Str(name.to_string(), *pos)),
                "taskName" => Some(Expr::Str(ev.task.clone(), *pos)),
                "duration" => Some(Expr::Duration(ev.state.duration, *pos)),
                _ => None,
            };
            match event_fn {
                Some(v) if args.is_empty() => v,
                Some(_) => return Err(format!("match: {f}() takes no arguments")),
                None => Expr::Call {
                    name: f.clone(),
                    args: bound()?,
                    pos: *pos,
                },
            }
        }
        Expr::Unary { op, expr, pos } => Expr::Unary {
            op,
            expr: Box::new(bind(expr, ev, name)?),
            pos: *pos,
        },
        Expr::Binary { op, lhs, rhs, pos } => Expr::Binary {
            op,
            lhs: Box::new(bind(lhs, ev, name)?),
            rhs: Box::new(bind(rhs, ev, name)?),
            pos: *pos,
        },
        other => other.clone(),
    })
}

impl Match {
    /// Parses and checks an expression (unknown functions are errors).
    pub fn parse(src: &str) -> Result<Match, String> {
        let expr = crate::tick::parser::parse_lambda_body(src)
            .map_err(|e| format!("invalid match expression: {e}"))?;
        let m = Match { expr };
        let probe = AlertEvent {
            topic: String::new(),
            id: String::new(),
            state: crate::alert::EventState {
                message: String::new(),
                details: String::new(),
                time: 0,
                duration: 0,
                level: Level::Ok,
            },
            previous_level: Level::Ok,
            recoverable: true,
            data: serde_json::Value::Null,
            task: String::new(),
            category: String::new(),
            tags: Default::default(),
        };
        let bound = bind(&m.expr, &probe, "").map_err(|e| format!("invalid {e}"))?;
        Lambda::compile(&bound).map_err(|e| format!("invalid match expression: {e}"))?;
        Ok(m)
    }

    /// Whether the event matches (a tag the expression reads but the event
    /// lacks makes it not match, like a failing lambda).
    pub fn matches(&self, event: &AlertEvent) -> Result<bool, String> {
        let data = super::EventData::of(event);
        let bound = bind(&self.expr, event, &data.name)?;
        let mut l = Lambda::compile(&bound).map_err(|e| format!("match: {e}"))?;
        Ok(
            l.eval_bool(&Default::default(), &data.tags, event.state.time)
                .unwrap_or(false),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::event;
    use super::Match;
    use crate::alert::Level;

    #[test]
    fn level_changed_tags_and_names() {
        let crit = event(Level::Critical);
        let mut again = event(Level::Critical);
        again.previous_level = Level::Critical;
        let m = |s: &str, e| Match::parse(s).unwrap().matches(e).unwrap();
        assert!(m("level() == CRITICAL", &crit));
        assert!(!m("level() < WARNING", &crit));
        assert!(m("changed()", &crit));
        assert!(!m("changed() == TRUE", &again));
        assert!(m("\"host\" == 'serverA' AND name() == 'cpu'", &crit));
        assert!(!m("\"dc\" == 'x'", &crit));
        assert!(m("taskName() == 'cpu_alert' AND duration() < 1m", &crit));
        assert!(Match::parse("nope() == 1").is_err());
        assert!(Match::parse("level( == 1").is_err());
        assert!(Match::parse("level() == CRIT")
            .unwrap_err()
            .contains("CRIT"));
    }
}

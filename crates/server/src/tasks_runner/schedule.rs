//! Task options and schedules: reading `option task = {...}` from a script,
//! Flux duration literals as nanoseconds, and the next run time of an
//! `every` or `cron` schedule.
//!
//! `every` runs are aligned as InfluxDB aligns them: at the multiples of the
//! interval since the epoch; `offset` delays the execution without moving the
//! scheduled time (which is the script's `now()`).

use almanac_flux::ast::{Assignment, Expression, Statement};
pub use almanac_tasks::cron::Cron;

const NS_PER_SEC: i64 = 1_000_000_000;

/// Errors reading task options or schedules.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScheduleError {
    /// The script does not parse.
    #[error("{0}")]
    Flux(String),
    /// No `option task` statement.
    #[error("no task options defined")]
    NoOptions,
    /// More than one `option task` statement.
    #[error("multiple task options defined")]
    MultipleOptions,
    /// `option task` is not a record literal.
    #[error("task option expected to be object literal, but found {0:?}")]
    NotObject(String),
    /// Both `every` and `cron`.
    #[error("cannot use both cron and every in task options")]
    BothIntervals,
    /// Neither `every` nor `cron`.
    #[error("task options must set every or cron")]
    NoInterval,
    /// No `name`.
    #[error("task options must set a name")]
    NoName,
    /// An option of the wrong type or value.
    #[error("invalid task option {0}: {1}")]
    Invalid(&'static str, String),
    /// A cron expression that does not parse.
    #[error("invalid cron expression {0:?}: {1}")]
    Cron(String, String),
}

/// The options of a task script.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskOptions {
    /// `name`.
    pub name: String,
    /// `every` as written (`1h`), if set.
    pub every: Option<String>,
    /// `cron`, if set.
    pub cron: Option<String>,
    /// `offset` as written, if set.
    pub offset: Option<String>,
}

impl TaskOptions {
    /// The schedule these options describe.
    pub fn schedule(&self) -> Result<Schedule, ScheduleError> {
        let offset = match &self.offset {
            Some(o) => parse_duration(o).map_err(|e| ScheduleError::Invalid("offset", e))?,
            None => 0,
        };
        let kind = match (&self.every, &self.cron) {
            (Some(_), Some(_)) => return Err(ScheduleError::BothIntervals),
            (None, None) => return Err(ScheduleError::NoInterval),
            (Some(every), None) => {
                let ns = parse_duration(every).map_err(|e| ScheduleError::Invalid("every", e))?;
                if ns < NS_PER_SEC || ns % NS_PER_SEC != 0 {
                    return Err(ScheduleError::Invalid(
                        "every",
                        format!("{every} must be a positive whole number of seconds"),
                    ));
                }
                ScheduleKind::Every(ns)
            }
            (None, Some(cron)) => ScheduleKind::Cron(
                Cron::parse(cron).map_err(|e| ScheduleError::Cron(e.expr, e.reason))?,
            ),
        };
        Ok(Schedule { kind, offset })
    }
}

/// Reads `option task = {name, every | cron, offset}` from `script`.
pub fn task_options(script: &str) -> Result<TaskOptions, ScheduleError> {
    let file = almanac_flux::parse_file(script).map_err(|e| ScheduleError::Flux(e.to_string()))?;
    let mut found = None;
    for st in &file.body {
        let Statement::OptionStatement(o) = st else {
            continue;
        };
        let Assignment::VariableAssignment(a) = &o.assignment else {
            continue;
        };
        if a.id.name != "task" {
            continue;
        }
        if found.is_some() {
            return Err(ScheduleError::MultipleOptions);
        }
        found = Some(&a.init);
    }
    let init = found.ok_or(ScheduleError::NoOptions)?;
    let Expression::ObjectExpression(obj) = init else {
        return Err(ScheduleError::NotObject(expression_kind(init)));
    };
    let mut opts = TaskOptions::default();
    for prop in &obj.properties {
        let Some(value) = &prop.value else { continue };
        match prop.key.name() {
            "name" => opts.name = string_option("name", value)?,
            "cron" => opts.cron = Some(string_option("cron", value)?),
            "every" => opts.every = Some(duration_option("every", value)?),
            "offset" => opts.offset = Some(duration_option("offset", value)?),
            _ => {}
        }
    }
    if opts.name.is_empty() {
        return Err(ScheduleError::NoName);
    }
    opts.schedule()?;
    Ok(opts)
}

/// Byte offset of a (line, column) position (both from 1, columns in
/// characters) in `text`.
fn byte_offset(text: &str, pos: almanac_flux::ast::Position) -> Option<usize> {
    let mut line_start = 0;
    for _ in 1..pos.line {
        line_start += text[line_start..].find('\n')? + 1;
    }
    let line = &text[line_start..];
    let col = pos.column.checked_sub(1)? as usize;
    match line.char_indices().nth(col) {
        Some((i, _)) => Some(line_start + i),
        None if line.chars().count() == col => Some(line_start + line.len()),
        None => None,
    }
}

/// `script` with its `option task` record replaced by one holding `opts`
/// (other properties of the record, such as `concurrency`, are kept).
pub fn rewrite_options(script: &str, opts: &TaskOptions) -> Result<String, ScheduleError> {
    let file = almanac_flux::parse_file(script).map_err(|e| ScheduleError::Flux(e.to_string()))?;
    let mut record = vec![format!("name: {}", flux_string(&opts.name))];
    if let Some(every) = &opts.every {
        record.push(format!("every: {every}"));
    }
    if let Some(cron) = &opts.cron {
        record.push(format!("cron: {}", flux_string(cron)));
    }
    if let Some(offset) = &opts.offset {
        record.push(format!("offset: {offset}"));
    }
    let bad = || ScheduleError::Flux("cannot locate the task option in the script".into());
    for st in &file.body {
        let Statement::OptionStatement(o) = st else {
            continue;
        };
        let Assignment::VariableAssignment(a) = &o.assignment else {
            continue;
        };
        if a.id.name != "task" {
            continue;
        }
        if let Expression::ObjectExpression(obj) = &a.init {
            for prop in &obj.properties {
                if matches!(prop.key.name(), "name" | "every" | "cron" | "offset") {
                    continue;
                }
                let start = byte_offset(script, prop.location.start).ok_or_else(bad)?;
                let end = byte_offset(script, prop.location.end).ok_or_else(bad)?;
                record.push(script.get(start..end).ok_or_else(bad)?.to_string());
            }
        }
        let start = byte_offset(script, o.location.start).ok_or_else(bad)?;
        let end = byte_offset(script, o.location.end).ok_or_else(bad)?;
        return Ok(format!(
            "{}option task = {{{}}}{}",
            &script[..start],
            record.join(", "),
            &script[end..]
        ));
    }
    Ok(format!(
        "option task = {{{}}}\n\n{script}",
        record.join(", ")
    ))
}

/// A Flux string literal of `s`.
fn flux_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' => out.push_str("\\$"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn expression_kind(e: &Expression) -> String {
    serde_json::to_value(e)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_string))
        .unwrap_or_else(|| "expression".into())
}

fn string_option(name: &'static str, e: &Expression) -> Result<String, ScheduleError> {
    match e {
        Expression::StringLiteral(s) => Ok(s.value.clone()),
        other => Err(ScheduleError::Invalid(
            name,
            format!(
                "expected a string literal, found {}",
                expression_kind(other)
            ),
        )),
    }
}

fn duration_option(name: &'static str, e: &Expression) -> Result<String, ScheduleError> {
    match e {
        Expression::DurationLiteral(d) => Ok(d
            .values
            .iter()
            .map(|v| format!("{}{}", v.magnitude, v.unit))
            .collect()),
        other => Err(ScheduleError::Invalid(
            name,
            format!(
                "expected a duration literal, found {}",
                expression_kind(other)
            ),
        )),
    }
}

/// A Flux duration (`1h30m`, `10s`) in nanoseconds; months and years have no
/// fixed length and are refused.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let mut total: i64 = 0;
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err("empty duration".into());
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!("invalid duration {text:?}"));
        }
        let magnitude: i64 = rest[..digits]
            .parse()
            .map_err(|_| format!("invalid duration {text:?}"))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let scale: i64 = match unit {
            "ns" => 1,
            "us" | "µs" => 1_000,
            "ms" => 1_000_000,
            "s" => NS_PER_SEC,
            "m" => 60 * NS_PER_SEC,
            "h" => 3_600 * NS_PER_SEC,
            "d" => 86_400 * NS_PER_SEC,
            "w" => 7 * 86_400 * NS_PER_SEC,
            "mo" | "y" => return Err(format!("{text}: months and years are not supported")),
            _ => return Err(format!("invalid duration unit {unit:?} in {text:?}")),
        };
        total = magnitude
            .checked_mul(scale)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("duration {text:?} overflows"))?;
    }
    Ok(total)
}

/// When a task runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Interval or cron.
    pub kind: ScheduleKind,
    /// Delay of each execution after its scheduled time, ns.
    pub offset: i64,
}

/// `every` (ns) or a cron expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleKind {
    /// Every so many nanoseconds, aligned to the epoch.
    Every(i64),
    /// A cron expression.
    Cron(Cron),
}

impl Schedule {
    /// The first scheduled time strictly after `after` (ns).
    pub fn next_after(&self, after: i64) -> Option<i64> {
        match &self.kind {
            ScheduleKind::Every(every) => Some(after.div_euclid(*every) * every + every),
            ScheduleKind::Cron(cron) => cron.next_after(after),
        }
    }

    /// The latest scheduled time after `after` whose execution (scheduled
    /// time + offset) is due at `now`; missed intervals in between are
    /// skipped (only the newest one runs).
    pub fn due(&self, after: i64, now: i64) -> Option<i64> {
        let mut next = self.next_after(after)?;
        if next + self.offset > now {
            return None;
        }
        if let ScheduleKind::Every(every) = self.kind {
            let latest = (now - self.offset).div_euclid(every) * every;
            return Some(latest.max(next));
        }
        // cron: walk forward a bounded number of steps to the newest due time
        for _ in 0..10_000 {
            match self.next_after(next) {
                Some(n) if n + self.offset <= now => next = n,
                _ => break,
            }
        }
        Some(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn ts(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s)
            .unwrap()
            .timestamp_nanos_opt()
            .unwrap()
    }

    #[test]
    fn reads_task_options() {
        let opts = task_options(
            "option task = {name: \"down\", every: 1h30m, offset: 10s}\nfrom(bucket: \"b\") |> range(start: -task.every)",
        )
        .unwrap();
        assert_eq!(opts.name, "down");
        assert_eq!(opts.every.as_deref(), Some("1h30m"));
        assert_eq!(opts.offset.as_deref(), Some("10s"));
        assert_eq!(opts.cron, None);
        let s = opts.schedule().unwrap();
        assert_eq!(s.kind, ScheduleKind::Every(5_400 * NS_PER_SEC));
        assert_eq!(s.offset, 10 * NS_PER_SEC);
        let cron = task_options("option task = {name: \"c\", cron: \"0 * * * *\"}").unwrap();
        assert_eq!(cron.cron.as_deref(), Some("0 * * * *"));
    }

    #[test]
    fn rejects_bad_task_options() {
        assert_eq!(
            task_options("from(bucket: \"b\")"),
            Err(ScheduleError::NoOptions)
        );
        assert_eq!(
            task_options("option task = {name: \"x\", every: 1s, cron: \"* * * * *\"}"),
            Err(ScheduleError::BothIntervals)
        );
        assert_eq!(
            task_options("option task = {name: \"x\"}"),
            Err(ScheduleError::NoInterval)
        );
        assert_eq!(
            task_options("option task = {every: 1m}"),
            Err(ScheduleError::NoName)
        );
        assert_eq!(
            task_options(
                "option task = {name: \"a\", every: 1m}\noption task = {name: \"a\", every: 1m}"
            ),
            Err(ScheduleError::MultipleOptions)
        );
        assert!(matches!(
            task_options("option task = {name: \"a\", every: \"1m\"}"),
            Err(ScheduleError::Invalid("every", _))
        ));
        assert!(matches!(
            task_options("option task = {name: \"a\", every: 1mo}"),
            Err(ScheduleError::Invalid("every", _))
        ));
        assert!(matches!(
            task_options("option task = {name: \"a\", cron: \"61 * * * *\"}"),
            Err(ScheduleError::Cron(..))
        ));
        assert!(matches!(
            task_options("option task = {"),
            Err(ScheduleError::Flux(_))
        ));
    }

    #[test]
    fn rewrites_task_options() {
        let script = "import \"x\"\n  option task = {name: \"a\", every: 1h, concurrency: 2}\nfrom(bucket: \"é\") |> range(start: -task.every)";
        let mut opts = task_options(script).unwrap();
        opts.every = None;
        opts.cron = Some("0 * * * *".into());
        opts.offset = Some("5m".into());
        opts.name = "b \"q\"".into();
        let out = rewrite_options(script, &opts).unwrap();
        assert_eq!(
            out,
            "import \"x\"\n  option task = {name: \"b \\\"q\\\"\", cron: \"0 * * * *\", offset: 5m, concurrency: 2}\nfrom(bucket: \"é\") |> range(start: -task.every)"
        );
        assert_eq!(task_options(&out).unwrap(), opts);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1s"), Ok(NS_PER_SEC));
        assert_eq!(parse_duration("1m30s"), Ok(90 * NS_PER_SEC));
        assert_eq!(parse_duration("2w"), Ok(14 * 86_400 * NS_PER_SEC));
        assert_eq!(parse_duration("5ms"), Ok(5_000_000));
        assert!(parse_duration("1x").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn every_schedule_is_aligned() {
        let s = Schedule {
            kind: ScheduleKind::Every(60 * NS_PER_SEC),
            offset: 5 * NS_PER_SEC,
        };
        let t0 = ts("2024-01-01T10:00:20Z");
        assert_eq!(s.next_after(t0), Some(ts("2024-01-01T10:01:00Z")));
        assert_eq!(
            s.next_after(ts("2024-01-01T10:01:00Z")),
            Some(ts("2024-01-01T10:02:00Z"))
        );
        // not yet due: offset delays execution
        assert_eq!(s.due(t0, ts("2024-01-01T10:01:04Z")), None);
        assert_eq!(
            s.due(t0, ts("2024-01-01T10:01:05Z")),
            Some(ts("2024-01-01T10:01:00Z"))
        );
        // missed intervals: the newest due one runs
        assert_eq!(
            s.due(t0, ts("2024-01-01T10:07:30Z")),
            Some(ts("2024-01-01T10:07:00Z"))
        );
    }

    #[test]
    fn cron_schedule() {
        let s = Schedule {
            kind: ScheduleKind::Cron(Cron::parse("0 * * * *").unwrap()),
            offset: 0,
        };
        assert_eq!(
            s.due(ts("2024-01-01T00:30:00Z"), ts("2024-01-01T03:10:00Z")),
            Some(ts("2024-01-01T03:00:00Z"))
        );
        assert_eq!(
            s.due(ts("2024-01-01T00:30:00Z"), ts("2024-01-01T00:59:00Z")),
            None
        );
    }
}

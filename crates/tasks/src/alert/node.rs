//! The `alert` node: evaluates the level lambdas per message, keeps the
//! state of each alert id (restored from its topic at start), decides which
//! events to send (state changes, recoveries, flapping, inhibition) and
//! publishes them to the [`AlertService`](super::service::AlertService).
//!
//! Levels are checked from CRITICAL down, as Kapacitor does: a level above
//! the current one wins when its lambda is true; while the current level's
//! reset lambda (`.critReset()` …) is false the level stays; otherwise the
//! highest true level at or below it, else OK. A lambda that fails (e.g. a
//! missing field) counts as false. An event is sent when the level is not
//! OK or just changed, except: `.stateChangesOnly()` sends only changes (or
//! after its optional interval), `.noRecoveries()` drops OK events,
//! `.flapping(low, high)` silences a flapping alert, `.inhibit()` silences
//! alerts while one of the given category is active with the same tags.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use super::template::{TValue, Template};
use super::{handlers, AlertEvent, EventState, HandlerSpec, Level};
use crate::engine::Services;
use crate::lambda::Lambda;
use crate::model::{FieldValue, Fields, Msg, Point, Tags};
use crate::nodes::{args, Node, NodeCtx, NodeError};
use crate::tick::pipeline::{NodeDef, Property};
use crate::tick::TickError;

const DEFAULT_ID: &str = "{{ .Name }}:{{ .Group }}";
const DEFAULT_MESSAGE: &str = "{{ .ID }} is {{ .Level }}";
const DEFAULT_DETAILS: &str = "{{ json . }}";

#[derive(Debug, Default)]
struct AlertState {
    level: Level,
    first_triggered: i64,
    history: VecDeque<Level>,
    flapping: bool,
    last_sent: Option<i64>,
}

impl AlertState {
    /// Nagios-style weighted share of state changes in the history (0..1):
    /// changes between consecutive entries weigh 0.8 (oldest) to 1.2 (newest).
    fn percent_change(&self) -> f64 {
        let l = self.history.len();
        if l < 2 {
            return 0.0;
        }
        let (min_w, max_w) = (0.8, 1.2);
        let step = (max_w - min_w) / (l - 1) as f64;
        let mut weight = min_w;
        let mut changes = 0.0;
        for i in 0..l - 1 {
            if self.history[i] != self.history[i + 1] {
                changes += weight;
            }
            weight += step;
        }
        changes / (l - 1) as f64
    }
}

/// The `alert` node.
pub struct AlertNode {
    topic: String,
    id: Template,
    message: Template,
    details: Template,
    /// Level lambdas: index 0 info, 1 warning, 2 critical.
    levels: [Option<Lambda>; 3],
    resets: [Option<Lambda>; 3],
    state_changes_only: Option<i64>,
    flapping: Option<(f64, f64)>,
    history: usize,
    level_tag: Option<String>,
    level_field: Option<String>,
    id_tag: Option<String>,
    id_field: Option<String>,
    message_field: Option<String>,
    duration_field: Option<String>,
    no_recoveries: bool,
    inhibits: Vec<(String, Vec<String>)>,
    category: String,
    all: bool,
    quiet: bool,
    handlers: Vec<HandlerSpec>,
    states: HashMap<String, AlertState, ahash::RandomState>,
    counts: [u64; 4],
    inhibited: u64,
}

fn level_index(l: Level) -> Option<usize> {
    match l {
        Level::Ok => None,
        Level::Info => Some(0),
        Level::Warning => Some(1),
        Level::Critical => Some(2),
    }
}

const LEVELS_DESC: [Level; 3] = [Level::Critical, Level::Warning, Level::Info];

fn template(p: &Property) -> Result<Template, TickError> {
    let src = args::string(args::get(&p.args, 0, p.pos, &p.name)?, &p.name)?;
    Template::parse(&src).map_err(|e| TickError::at(p.args[0].pos, e.to_string()))
}

fn opt_name(p: &Property) -> Result<Option<String>, TickError> {
    Ok(Some(args::string(
        args::get(&p.args, 0, p.pos, &p.name)?,
        &p.name,
    )?))
}

impl AlertNode {
    /// Builds from the node's properties; `task` names the anonymous topic.
    pub fn new(def: &NodeDef, task: &str, _services: &Arc<Services>) -> Result<Self, TickError> {
        let mut n = AlertNode {
            topic: format!("main:{task}:{}", def.name()),
            id: Template::parse(DEFAULT_ID).expect("valid"),
            message: Template::parse(DEFAULT_MESSAGE).expect("valid"),
            details: Template::parse(DEFAULT_DETAILS).expect("valid"),
            levels: [None, None, None],
            resets: [None, None, None],
            state_changes_only: None,
            flapping: None,
            history: 21,
            level_tag: None,
            level_field: None,
            id_tag: None,
            id_field: None,
            message_field: None,
            duration_field: None,
            no_recoveries: false,
            inhibits: Vec::new(),
            category: String::new(),
            all: false,
            quiet: false,
            handlers: Vec::new(),
            states: HashMap::default(),
            counts: [0; 4],
            inhibited: 0,
        };
        for p in &def.props {
            let lambda =
                |p: &Property| args::lambda(args::get(&p.args, 0, p.pos, &p.name)?, &p.name);
            match p.name.as_str() {
                "id" => n.id = template(p)?,
                "message" => n.message = template(p)?,
                "details" => n.details = template(p)?,
                "info" => n.levels[0] = Some(lambda(p)?),
                "warn" => n.levels[1] = Some(lambda(p)?),
                "crit" => n.levels[2] = Some(lambda(p)?),
                "infoReset" => n.resets[0] = Some(lambda(p)?),
                "warnReset" => n.resets[1] = Some(lambda(p)?),
                "critReset" => n.resets[2] = Some(lambda(p)?),
                "stateChangesOnly" => {
                    n.state_changes_only = Some(match p.args.first() {
                        Some(a) => args::duration(a, "stateChangesOnly")?,
                        None => 0,
                    })
                }
                "flapping" => {
                    args::count(&p.args, 2, p.pos, "flapping")?;
                    let (low, high) = (
                        args::float(&p.args[0], "low")?,
                        args::float(&p.args[1], "high")?,
                    );
                    if !(0.0..=1.0).contains(&low) || !(0.0..=1.0).contains(&high) || low > high {
                        return Err(TickError::at(p.pos, "flapping: need 0 <= low <= high <= 1"));
                    }
                    n.flapping = Some((low, high));
                }
                "history" => {
                    let h = args::int(args::get(&p.args, 0, p.pos, "history")?, "history")?;
                    if h < 2 {
                        return Err(TickError::at(p.pos, "history must be >= 2"));
                    }
                    n.history = h as usize;
                }
                "levelTag" => n.level_tag = opt_name(p)?,
                "levelField" => n.level_field = opt_name(p)?,
                "idTag" => n.id_tag = opt_name(p)?,
                "idField" => n.id_field = opt_name(p)?,
                "messageField" => n.message_field = opt_name(p)?,
                "durationField" => n.duration_field = opt_name(p)?,
                "noRecoveries" => n.no_recoveries = args::flag(p)?,
                "inhibit" => {
                    let cat = args::string(args::get(&p.args, 0, p.pos, "category")?, "category")?;
                    n.inhibits.push((cat, args::strings(&p.args[1..], "tags")?));
                }
                "category" => {
                    n.category =
                        args::string(args::get(&p.args, 0, p.pos, "category")?, "category")?
                }
                "topic" => n.topic = args::string(args::get(&p.args, 0, p.pos, "topic")?, "topic")?,
                "all" => n.all = args::flag(p)?,
                "quiet" => n.quiet = args::flag(p)?,
                name if handlers::tick::is_property(name) => {
                    handlers::tick::apply(&mut n.handlers, p)?
                }
                _ => unreachable!("property checked by the pipeline"),
            }
        }
        for h in &n.handlers {
            handlers::validate(h).map_err(|e| TickError::at(def.pos, e))?;
        }
        Ok(n)
    }

    fn matches(
        &mut self,
        idx: usize,
        reset: bool,
        points: &[(&Fields, &Tags, i64)],
    ) -> Result<bool, NodeError> {
        let lambda = if reset {
            &mut self.resets[idx]
        } else {
            &mut self.levels[idx]
        };
        let Some(l) = lambda else { return Ok(false) };
        let mut any = false;
        for (f, t, time) in points {
            let r = match l.eval_bool(f, t, *time) {
                Ok(b) => b,
                Err(e) => {
                    if !self.quiet {
                        tracing::debug!(error = %e, "error evaluating alert expression");
                    }
                    false
                }
            };
            if self.all && !r {
                return Ok(false);
            }
            any |= r;
            if any && !self.all {
                return Ok(true);
            }
        }
        Ok(any)
    }

    fn determine_level(
        &mut self,
        current: Level,
        points: &[(&Fields, &Tags, i64)],
    ) -> Result<Level, NodeError> {
        for lvl in LEVELS_DESC.iter().filter(|l| **l > current) {
            if self.matches(level_index(*lvl).unwrap_or(0), false, points)? {
                return Ok(*lvl);
            }
        }
        if let Some(i) = level_index(current) {
            if self.resets[i].is_some() && !self.matches(i, true, points)? {
                return Ok(current);
            }
        }
        for lvl in LEVELS_DESC.iter().filter(|l| **l <= current) {
            if self.matches(level_index(*lvl).unwrap_or(0), false, points)? {
                return Ok(*lvl);
            }
        }
        Ok(Level::Ok)
    }

    fn restore(&self, ctx: &NodeCtx<'_>, id: &str) -> AlertState {
        match ctx.services.alerts.event_state(&self.topic, id) {
            Some(ev) => AlertState {
                level: ev.level,
                first_triggered: ev.time - ev.duration,
                ..Default::default()
            },
            None => AlertState::default(),
        }
    }

    /// Per-node counters for the task's dot graph.
    pub fn counters(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("alerts_triggered", self.counts.iter().sum()),
            ("alerts_inhibited", self.inhibited),
            ("oks_triggered", self.counts[0]),
            ("infos_triggered", self.counts[1]),
            ("warns_triggered", self.counts[2]),
            ("crits_triggered", self.counts[3]),
        ]
    }
}

fn tag_map(t: &Tags) -> TValue {
    TValue::Map(
        t.iter()
            .map(|(k, v)| (k.clone(), TValue::Str(v.clone())))
            .collect(),
    )
}

fn field_map(f: &Fields) -> TValue {
    TValue::Map(
        f.iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    match v {
                        FieldValue::Float(x) => TValue::Float(*x),
                        FieldValue::Int(i) => TValue::Int(*i),
                        FieldValue::UInt(u) => TValue::Int(*u as i64),
                        FieldValue::Str(s) => TValue::Str(s.clone()),
                        FieldValue::Bool(b) => TValue::Bool(*b),
                    },
                )
            })
            .collect(),
    )
}

impl Node for AlertNode {
    fn process(
        &mut self,
        ctx: &NodeCtx<'_>,
        msg: Msg,
        out: &mut Vec<Msg>,
    ) -> Result<(), NodeError> {
        let (name, tags, time) = match &msg {
            Msg::Point(p) => (p.name.clone(), p.tags.clone(), p.time),
            Msg::Batch(b) => (b.name.clone(), b.tags.clone(), b.tmax),
        };
        let points: Vec<&Point> = match &msg {
            Msg::Point(p) => vec![p],
            Msg::Batch(b) => b.points.iter().collect(),
        };
        if points.is_empty() {
            return Ok(());
        }
        let group = msg.group_id();
        // The template data is only built when a template needs it: the
        // default id is `name:group`, rendered directly.
        let base = || {
            let mut base = BTreeMap::new();
            base.insert("Name".to_string(), TValue::Str(name.to_string()));
            base.insert("TaskName".to_string(), TValue::Str(ctx.task.to_string()));
            base.insert("Group".to_string(), TValue::Str(group.clone()));
            base.insert("Tags".to_string(), tag_map(&tags));
            base.insert("ServerInfo".to_string(), TValue::Map(BTreeMap::new()));
            base
        };
        let id = if self.id.source() == DEFAULT_ID {
            let mut id = String::with_capacity(name.len() + 1 + group.len());
            id.push_str(&name);
            id.push(':');
            id.push_str(&group);
            id
        } else {
            self.id
                .execute(&TValue::Map(base()))
                .map_err(|e| NodeError(e.to_string()))?
        };

        let mut state = match self.states.remove(&id) {
            Some(s) => s,
            None => {
                let mut s = self.restore(ctx, &id);
                // Kapacitor's flapping history starts full of OK levels.
                s.history = std::iter::repeat_n(Level::Ok, self.history).collect();
                s
            }
        };
        let refs: Vec<(&Fields, &Tags, i64)> = points
            .iter()
            .map(|p| (&*p.fields, &*p.tags, p.time))
            .collect();
        let level = self.determine_level(state.level, &refs);
        let level = match level {
            Ok(l) => l,
            Err(e) => {
                self.states.insert(id, state);
                return Err(e);
            }
        };
        // Fields shown in templates: those of the (batch's first) point.
        let fields = points[0].fields.clone();

        let previous = state.level;
        let changed = previous != level;
        if previous == Level::Ok && level != Level::Ok {
            state.first_triggered = time;
        }
        let duration = if level == Level::Ok && !changed {
            0
        } else {
            time - state.first_triggered
        };
        state.level = level;
        if self.flapping.is_some() {
            state.history.push_back(level);
            while state.history.len() > self.history {
                state.history.pop_front();
            }
        }
        if let Some((low, high)) = self.flapping {
            let p = state.percent_change();
            if !state.flapping && p > high {
                state.flapping = true;
            } else if state.flapping && p < low {
                state.flapping = false;
            }
        }
        let mut send = level != Level::Ok || changed;
        if let Some(max_interval) = self.state_changes_only {
            let expired =
                max_interval > 0 && state.last_sent.is_some_and(|t| time - t >= max_interval);
            send &= changed || expired;
        }
        if self.no_recoveries && level == Level::Ok {
            send = false;
        }
        if state.flapping {
            send = false;
        }
        if send
            && self
                .inhibits
                .iter()
                .any(|(cat, keys)| ctx.services.alerts.inhibited(cat, &tags, keys))
        {
            self.inhibited += 1;
            send = false;
        }
        if !send {
            self.states.insert(id, state);
            return Ok(());
        }
        state.last_sent = Some(time);
        self.states.insert(id.clone(), state);

        let mut data = base();
        data.insert("ID".to_string(), TValue::Str(id.clone()));
        data.insert("Level".to_string(), TValue::Str(level.as_str().into()));
        data.insert("Fields".to_string(), field_map(&fields));
        data.insert("Time".to_string(), TValue::Time(time));
        data.insert("Duration".to_string(), TValue::Duration(duration));
        let mut data = TValue::Map(data);
        let message = self
            .message
            .execute(&data)
            .map_err(|e| NodeError(e.to_string()))?;
        if let TValue::Map(m) = &mut data {
            m.insert("Message".to_string(), TValue::Str(message.clone()));
        }
        let details = self
            .details
            .execute(&data)
            .map_err(|e| NodeError(e.to_string()))?;

        self.counts[level_index(level).map(|i| i + 1).unwrap_or(0)] += 1;
        let event = AlertEvent {
            topic: self.topic.clone(),
            id: id.clone(),
            state: EventState {
                message: message.clone(),
                details,
                time,
                duration,
                level,
            },
            previous_level: previous,
            recoverable: !self.no_recoveries,
            data: serde_json::json!({ "series": [crate::nodes::http_out::msg_json(&msg)] }),
            task: ctx.task.to_string(),
            category: self.category.clone(),
            tags: (*tags).clone(),
        };
        ctx.services.alerts.publish(event, &self.handlers);

        let decorate = |p: &mut Point| {
            if let Some(t) = &self.level_tag {
                Arc::make_mut(&mut p.tags).insert(t.clone(), level.as_str().into());
            }
            if let Some(t) = &self.id_tag {
                Arc::make_mut(&mut p.tags).insert(t.clone(), id.clone());
            }
            if let Some(f) = &self.level_field {
                Arc::make_mut(&mut p.fields)
                    .insert(f.as_str().into(), FieldValue::Str(level.as_str().into()));
            }
            if let Some(f) = &self.id_field {
                Arc::make_mut(&mut p.fields).insert(f.as_str().into(), FieldValue::Str(id.clone()));
            }
            if let Some(f) = &self.message_field {
                Arc::make_mut(&mut p.fields)
                    .insert(f.as_str().into(), FieldValue::Str(message.clone()));
            }
            if let Some(f) = &self.duration_field {
                Arc::make_mut(&mut p.fields).insert(f.as_str().into(), FieldValue::Int(duration));
            }
        };
        let mut msg = msg;
        match &mut msg {
            Msg::Point(p) => decorate(p),
            Msg::Batch(b) => b.points.iter_mut().for_each(decorate),
        }
        out.push(msg);
        Ok(())
    }

    fn counters(&self) -> Vec<(&'static str, u64)> {
        AlertNode::counters(self)
    }
}

#[cfg(test)]
mod tests {
    //! The alert node passes the points it sends downstream, decorated, so a
    //! Chronograf-style rule can copy its alerts into `chronograf.alerts`.

    use std::sync::Arc;

    use parking_lot::Mutex;

    use crate::alert::service::AlertService;
    use crate::manager::{Dbrp, TaskRequest};
    use crate::model::{FieldValue, Point};
    use crate::{MemoryStore, PointWriter, Services, TaskManager};

    #[derive(Default)]
    struct Recorder(Mutex<Vec<(String, Point)>>);

    impl PointWriter for Recorder {
        fn write_points(&self, db: &str, _rp: &str, points: &[Point]) -> Result<(), String> {
            self.0
                .lock()
                .extend(points.iter().map(|p| (db.to_string(), p.clone())));
            Ok(())
        }

        fn create_database(&self, _: &str) -> Result<(), String> {
            Ok(())
        }
    }

    const SCRIPT: &str = "var name = 'cpu high'
var idVar = name + ':{{.Group}}'
var trigger = stream
    |from().measurement('cpu').groupBy('host')
    |eval(lambda: \"usage_user\").as('value')
    |alert()
        .crit(lambda: \"value\" > 90.0)
        .id(idVar)
        .idTag('alertID')
        .levelTag('level')
        .messageField('message')
        .durationField('duration')
        .stateChangesOnly()
trigger
    |influxDBOut()
        .create()
        .database('chronograf')
        .measurement('alerts')
        .tag('alertName', name)
";

    #[test]
    fn sent_alerts_flow_downstream_with_their_level_id_message_and_duration() {
        let store = Arc::new(MemoryStore::default());
        let writer = Arc::new(Recorder::default());
        let alerts = Arc::new(AlertService::new(store.clone()).unwrap());
        let manager =
            TaskManager::new(Arc::new(Services::new(writer.clone(), alerts)), store).unwrap();
        manager
            .create(TaskRequest {
                id: Some("rule".into()),
                task_type: Some("stream".into()),
                dbrps: Some(vec![Dbrp {
                    db: "telegraf".into(),
                    rp: "autogen".into(),
                }]),
                script: Some(SCRIPT.into()),
                status: Some("enabled".into()),
                ..Default::default()
            })
            .unwrap();
        let s = 1_000_000_000;
        // 95 fires, 97 is no change (not sent, so not passed on), 5 recovers.
        let lp =
            "cpu,host=a usage_user=95 1\ncpu,host=a usage_user=97 2\ncpu,host=a usage_user=5 4\n";
        manager
            .feed_line_protocol("telegraf", "autogen", lp.as_bytes(), s, 0)
            .unwrap();
        let out = writer.0.lock().clone();
        assert_eq!(out.len(), 2, "{out:?}");
        let (db, crit) = &out[0];
        assert_eq!(db, "chronograf");
        assert_eq!(&*crit.name, "alerts");
        assert_eq!(crit.time, s);
        assert_eq!(crit.tags.get("level").map(String::as_str), Some("CRITICAL"));
        assert_eq!(
            crit.tags.get("alertID").map(String::as_str),
            Some("cpu high:host=a")
        );
        assert_eq!(
            crit.tags.get("alertName").map(String::as_str),
            Some("cpu high")
        );
        assert_eq!(
            crit.fields.get("message"),
            Some(&FieldValue::Str("cpu high:host=a is CRITICAL".into()))
        );
        assert_eq!(crit.fields.get("value"), Some(&FieldValue::Float(95.0)));
        let (_, ok) = &out[1];
        assert_eq!(ok.tags.get("level").map(String::as_str), Some("OK"));
        assert_eq!(ok.fields.get("duration"), Some(&FieldValue::Int(3 * s)));
    }
}

//! Task definitions (Kapacitor's task objects), their persistence, enabling
//! and disabling, and feeding the write stream into enabled stream tasks.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};

use crate::engine::{static_dot, NodeReport, Services, Task};
use crate::model::{FieldKey, FieldValue, Point};
use crate::projection::FieldNeeds;
use crate::rows::ParsedRow;
use crate::store::Store;
use crate::tick::ast::VarType;
use crate::tick::pipeline::{evaluate, Pipeline, TaskType, Value};

/// A database / retention policy pair a task reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dbrp {
    /// Database.
    pub db: String,
    /// Retention policy.
    pub rp: String,
}

/// A template variable as Kapacitor's API writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VarDef {
    /// Type name (`int`, `float`, `string`, `bool`, `duration`, `lambda`, `regex`, `list`, `star`).
    #[serde(rename = "type")]
    pub ty: String,
    /// The value.
    #[serde(default)]
    pub value: serde_json::Value,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// A stored task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskDef {
    /// Task id.
    pub id: String,
    /// Template it was created from (unused until templates exist).
    #[serde(rename = "template-id", default)]
    pub template_id: String,
    /// `stream` or `batch`.
    #[serde(rename = "type")]
    pub task_type: String,
    /// Databases / RPs it reads.
    pub dbrps: Vec<Dbrp>,
    /// TICKscript source.
    pub script: String,
    /// Template variables.
    #[serde(default)]
    pub vars: BTreeMap<String, VarDef>,
    /// `enabled` or `disabled`.
    pub status: String,
    /// Creation time (RFC 3339).
    pub created: String,
    /// Last change (RFC 3339).
    pub modified: String,
    /// Last time it was enabled (RFC 3339, or empty).
    #[serde(rename = "last-enabled", default)]
    pub last_enabled: String,
}

/// A create or update request (every field optional, as Kapacitor's PATCH).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TaskRequest {
    /// Task id.
    pub id: Option<String>,
    /// Template id (templates are not supported yet).
    #[serde(rename = "template-id")]
    pub template_id: Option<String>,
    /// `stream` or `batch`.
    #[serde(rename = "type")]
    pub task_type: Option<String>,
    /// Databases / RPs.
    pub dbrps: Option<Vec<Dbrp>>,
    /// TICKscript.
    pub script: Option<String>,
    /// `enabled` or `disabled`.
    pub status: Option<String>,
    /// Template variables.
    pub vars: Option<BTreeMap<String, VarDef>>,
}

/// A stored task template (a script whose declared `var`s tasks fill in).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateDef {
    /// Template id.
    pub id: String,
    /// `stream` or `batch`.
    #[serde(rename = "type")]
    pub task_type: String,
    /// TICKscript source.
    pub script: String,
    /// Creation time (RFC 3339).
    pub created: String,
    /// Last change (RFC 3339).
    pub modified: String,
}

/// A template create or update request.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TemplateRequest {
    /// Template id.
    pub id: Option<String>,
    /// `stream` or `batch`.
    #[serde(rename = "type")]
    pub task_type: Option<String>,
    /// TICKscript.
    pub script: Option<String>,
}

/// A template with what Kapacitor shows about it.
#[derive(Debug, Clone)]
pub struct TemplateInfo {
    /// The definition.
    pub def: TemplateDef,
    /// Its variables (declared ones have a null value).
    pub vars: BTreeMap<String, VarDef>,
    /// Its dot graph.
    pub dot: String,
    /// Ids of the tasks created from it.
    pub tasks: Vec<String>,
}

/// Errors of task management, with the HTTP status Kapacitor answers.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TaskError {
    /// 404.
    #[error("{0}")]
    NotFound(String),
    /// 400.
    #[error("{0}")]
    Invalid(String),
    /// 500.
    #[error("{0}")]
    Internal(String),
}

/// A task with its runtime view.
#[derive(Debug, Clone)]
pub struct TaskInfo {
    /// The definition.
    pub def: TaskDef,
    /// Whether it is running.
    pub executing: bool,
    /// Why it is not running although enabled (or a script error).
    pub error: String,
    /// Its dot graph (with statistics when running).
    pub dot: String,
    /// Per-node statistics when running.
    pub node_stats: Vec<NodeReport>,
    /// Edges (parent, child, messages received) when running.
    pub edges: Vec<(String, String, u64)>,
}

/// All tasks of the server.
pub struct TaskManager {
    defs: RwLock<BTreeMap<String, TaskDef>>,
    templates: RwLock<BTreeMap<String, TemplateDef>>,
    running: RwLock<HashMap<String, Arc<Mutex<Task>>>>,
    errors: Mutex<HashMap<String, String>>,
    services: Arc<Services>,
    store: Arc<dyn Store>,
    /// Series of recent writes (parsing shares their names and tags).
    series: Mutex<SeriesCache>,
}

fn now_rfc3339() -> String {
    let ns = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0);
    crate::model::format_time(ns)
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.' || c == '_')
}

/// Converts API variables into script values.
pub fn vars_to_values(vars: &BTreeMap<String, VarDef>) -> Result<HashMap<String, Value>, String> {
    vars.iter()
        .map(|(k, v)| Ok((k.clone(), var_value(k, v)?)))
        .collect()
}

fn var_value(name: &str, v: &VarDef) -> Result<Value, String> {
    use serde_json::Value as J;
    let bad = || format!("invalid value for var {name:?} of type {}", v.ty);
    let ty = VarType::from_name(&v.ty)
        .ok_or_else(|| format!("invalid var type {:?} for {name:?}", v.ty))?;
    Ok(match (ty, &v.value) {
        (VarType::Int, J::Number(n)) => Value::Int(n.as_i64().ok_or_else(bad)?),
        (VarType::Float, J::Number(n)) => Value::Float(n.as_f64().ok_or_else(bad)?),
        (VarType::String, J::String(s)) => Value::Str(s.clone()),
        (VarType::Bool, J::Bool(b)) => Value::Bool(*b),
        (VarType::Duration, J::Number(n)) => Value::Duration(n.as_i64().ok_or_else(bad)?),
        (VarType::Duration, J::String(s)) => Value::Duration(
            crate::lambda::parse_duration_text(s)
                .or_else(|| parse_go_duration(s))
                .ok_or_else(bad)?,
        ),
        (VarType::Lambda, J::String(s)) => {
            let e = crate::tick::parser::parse_lambda_body(s)
                .map_err(|e| format!("var {name:?}: {e}"))?;
            Value::Lambda(e)
        }
        (VarType::Regex, J::String(s)) => {
            regex::Regex::new(s).map_err(|e| format!("var {name:?}: {e}"))?;
            Value::Regex(s.clone())
        }
        (VarType::Star, _) => Value::Star,
        (VarType::List, J::Array(items)) => Value::List(
            items
                .iter()
                .map(|i| {
                    let d: VarDef = serde_json::from_value(i.clone()).map_err(|_| bad())?;
                    var_value(name, &d)
                })
                .collect::<Result<_, _>>()?,
        ),
        _ => return Err(bad()),
    })
}

/// Parses Go's duration format (`1m0s`, `1h30m`, `1.5s`).
fn parse_go_duration(s: &str) -> Option<i64> {
    let mut total = 0f64;
    let mut rest = s;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let n_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let n: f64 = rest[..n_end].parse().ok()?;
        rest = &rest[n_end..];
        let u_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..u_end] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total += n * unit;
        rest = &rest[u_end..];
    }
    Some(total as i64)
}

impl TaskManager {
    /// Loads the stored tasks and starts the enabled ones.
    pub fn new(services: Arc<Services>, store: Arc<dyn Store>) -> Result<TaskManager, String> {
        let m = TaskManager {
            defs: RwLock::new(BTreeMap::new()),
            templates: RwLock::new(BTreeMap::new()),
            running: RwLock::new(HashMap::new()),
            errors: Mutex::new(HashMap::new()),
            services,
            store,
            series: Mutex::new(SeriesCache::default()),
        };
        m.services.udf_snapshots.attach(m.store.clone())?;
        for doc in m.store.list("template")? {
            let t: TemplateDef =
                serde_json::from_value(doc).map_err(|e| format!("stored template: {e}"))?;
            m.templates.write().insert(t.id.clone(), t);
        }
        for doc in m.store.list("task")? {
            let def: TaskDef =
                serde_json::from_value(doc).map_err(|e| format!("stored task: {e}"))?;
            if def.status == "enabled" {
                if let Err(e) = m.start(&def) {
                    tracing::error!(task = %def.id, error = %e, "stored task failed to start");
                    m.errors.lock().insert(def.id.clone(), e.to_string());
                }
            }
            m.defs.write().insert(def.id.clone(), def);
        }
        Ok(m)
    }

    /// The shared services.
    pub fn services(&self) -> &Arc<Services> {
        &self.services
    }

    fn pipeline(def: &TaskDef) -> Result<Pipeline, TaskError> {
        let program = crate::tick::parse(&def.script)
            .map_err(|e| TaskError::Invalid(format!("invalid TICKscript: {e}")))?;
        let vars = vars_to_values(&def.vars).map_err(TaskError::Invalid)?;
        let p = evaluate(&program, &vars)
            .map_err(|e| TaskError::Invalid(format!("invalid TICKscript: {e}")))?;
        if let Some((name, _)) = p.vars.iter().find(|(_, (_, v))| v.is_none()) {
            return Err(TaskError::Invalid(format!(
                "missing value for var {name:?}"
            )));
        }
        let ty = match p.task_type {
            TaskType::Stream => "stream",
            TaskType::Batch => "batch",
        };
        if def.task_type != ty {
            return Err(TaskError::Invalid(format!(
                "task type {:?} does not match the script, which is a {ty} task",
                def.task_type
            )));
        }
        Ok(p)
    }

    fn start(&self, def: &TaskDef) -> Result<(), TaskError> {
        let p = Self::pipeline(def)?;
        let task = Task::new(&def.id, &p, self.services.clone())
            .map_err(|e| TaskError::Invalid(format!("invalid TICKscript: {e}")))?;
        self.running
            .write()
            .insert(def.id.clone(), Arc::new(Mutex::new(task)));
        self.errors.lock().remove(&def.id);
        Ok(())
    }

    fn stop(&self, id: &str) {
        self.running.write().remove(id);
        self.services.http_outs.lock().retain(|(t, _), _| t != id);
    }

    /// Creates a task (Kapacitor's `POST /kapacitor/v1/tasks`).
    pub fn create(&self, req: TaskRequest) -> Result<TaskInfo, TaskError> {
        let id = req
            .id
            .clone()
            .unwrap_or_else(|| format!("task-{}", now_rfc3339().replace([':', '.'], "-")));
        if !valid_id(&id) {
            return Err(TaskError::Invalid(format!(
                "task ID must contain only letters, numbers, '-', '.' and '_'. {id:?}"
            )));
        }
        if self.defs.read().contains_key(&id) {
            return Err(TaskError::Invalid(format!("task {id} already exists")));
        }
        let template_id = req.template_id.clone().unwrap_or_default();
        let (script, task_type) = if template_id.is_empty() {
            (
                req.script.clone().unwrap_or_default(),
                req.task_type.clone().unwrap_or_default(),
            )
        } else {
            if req.script.as_deref().is_some_and(|s| !s.is_empty()) {
                return Err(TaskError::Invalid(
                    "cannot specify both template-id and script".into(),
                ));
            }
            let t = self
                .templates
                .read()
                .get(&template_id)
                .cloned()
                .ok_or_else(|| TaskError::Invalid(format!("unknown template {template_id:?}")))?;
            (t.script, t.task_type)
        };
        if script.trim().is_empty() {
            return Err(TaskError::Invalid("must provide TICKscript".into()));
        }
        let now = now_rfc3339();
        let mut def = TaskDef {
            id: id.clone(),
            template_id,
            task_type,
            dbrps: req.dbrps.clone().unwrap_or_default(),
            script,
            vars: req.vars.clone().unwrap_or_default(),
            status: req.status.clone().unwrap_or_else(|| "disabled".into()),
            created: now.clone(),
            modified: now,
            last_enabled: String::new(),
        };
        self.check_and_fill(&mut def)?;
        if def.status == "enabled" {
            self.start(&def)?;
            def.last_enabled = def.modified.clone();
        }
        self.save(&def)?;
        self.defs.write().insert(id.clone(), def);
        self.get(&id)
    }

    fn check_and_fill(&self, def: &mut TaskDef) -> Result<(), TaskError> {
        if def.status != "enabled" && def.status != "disabled" {
            return Err(TaskError::Invalid(format!(
                "invalid status {:?}, must be enabled or disabled",
                def.status
            )));
        }
        let program = crate::tick::parse(&def.script)
            .map_err(|e| TaskError::Invalid(format!("invalid TICKscript: {e}")))?;
        let vars = vars_to_values(&def.vars).map_err(TaskError::Invalid)?;
        let p = evaluate(&program, &vars)
            .map_err(|e| TaskError::Invalid(format!("invalid TICKscript: {e}")))?;
        if def.task_type.is_empty() {
            def.task_type = match p.task_type {
                TaskType::Stream => "stream".into(),
                TaskType::Batch => "batch".into(),
            };
        }
        if def.task_type != "stream" && def.task_type != "batch" {
            return Err(TaskError::Invalid(format!(
                "unknown task type {:?}",
                def.task_type
            )));
        }
        if def.dbrps.is_empty() {
            def.dbrps = p
                .dbrps
                .iter()
                .map(|(db, rp)| Dbrp {
                    db: db.clone(),
                    rp: rp.clone(),
                })
                .collect();
        }
        if def.dbrps.is_empty() {
            return Err(TaskError::Invalid(
                "must provide at least one database and retention policy.".into(),
            ));
        }
        let p = Self::pipeline(def)?;
        // Build the nodes once (against scratch services, so nothing is
        // registered) to check every property even for a disabled task.
        let store: Arc<dyn Store> = Arc::new(crate::store::MemoryStore::default());
        let scratch = Arc::new(Services::new(
            Arc::new(crate::engine::NoWriter),
            Arc::new(crate::alert::service::AlertService::new(store).map_err(TaskError::Internal)?),
        ));
        Task::new(&def.id, &p, scratch)
            .map_err(|e| TaskError::Invalid(format!("invalid TICKscript: {e}")))?;
        Ok(())
    }

    fn save(&self, def: &TaskDef) -> Result<(), TaskError> {
        let doc = serde_json::to_value(def).map_err(|e| TaskError::Internal(e.to_string()))?;
        self.store
            .put("task", &def.id, &doc)
            .map_err(TaskError::Internal)
    }

    /// Changes a task (Kapacitor's `PATCH`): script, vars, dbrps, type, status.
    pub fn update(&self, id: &str, req: TaskRequest) -> Result<TaskInfo, TaskError> {
        let mut def = self
            .defs
            .read()
            .get(id)
            .cloned()
            .ok_or_else(|| TaskError::NotFound(format!("no task exists with ID {id}")))?;
        if let Some(new_id) = &req.id {
            if new_id != id {
                return Err(TaskError::Invalid(
                    "not supported yet: renaming a task".into(),
                ));
            }
        }
        let was_enabled = def.status == "enabled";
        let mut changed_def = false;
        if let Some(s) = req.script {
            if !def.template_id.is_empty() {
                return Err(TaskError::Invalid(
                    "cannot change the script of a task created from a template; update the template".into(),
                ));
            }
            def.script = s;
            changed_def = true;
        }
        if let Some(v) = req.vars {
            def.vars = v;
            changed_def = true;
        }
        if let Some(d) = req.dbrps {
            def.dbrps = d;
        }
        if let Some(t) = req.task_type {
            def.task_type = t;
            changed_def = true;
        }
        if let Some(s) = req.status {
            def.status = s;
        }
        self.check_and_fill(&mut def)?;
        def.modified = now_rfc3339();
        let enable = def.status == "enabled";
        if was_enabled && (!enable || changed_def) {
            self.stop(id);
        }
        if enable && (!was_enabled || changed_def) {
            self.start(&def)?;
            def.last_enabled = def.modified.clone();
        }
        self.save(&def)?;
        self.defs.write().insert(id.to_string(), def);
        self.get(id)
    }

    fn template_info(&self, def: TemplateDef) -> Result<TemplateInfo, TaskError> {
        let p = template_pipeline(&def.script)?;
        let vars = p
            .vars
            .iter()
            .map(|(k, (ty, v))| {
                (
                    k.clone(),
                    VarDef {
                        ty: ty.name().into(),
                        value: v
                            .as_ref()
                            .map(value_json)
                            .unwrap_or(serde_json::Value::Null),
                        description: String::new(),
                    },
                )
            })
            .collect();
        let tasks = self
            .defs
            .read()
            .values()
            .filter(|t| t.template_id == def.id)
            .map(|t| t.id.clone())
            .collect();
        Ok(TemplateInfo {
            dot: static_dot(&def.id, &p),
            vars,
            tasks,
            def,
        })
    }

    /// Creates a template (`POST /kapacitor/v1/templates`).
    pub fn create_template(&self, req: TemplateRequest) -> Result<TemplateInfo, TaskError> {
        let id = req.id.unwrap_or_default();
        if !valid_id(&id) {
            return Err(TaskError::Invalid(format!(
                "template ID must contain only letters, numbers, '-', '.' and '_'. {id:?}"
            )));
        }
        if self.templates.read().contains_key(&id) {
            return Err(TaskError::Invalid(format!("template {id} already exists")));
        }
        let script = req.script.unwrap_or_default();
        let p = template_pipeline(&script)?;
        let ty = match p.task_type {
            TaskType::Stream => "stream",
            TaskType::Batch => "batch",
        };
        let task_type = req.task_type.unwrap_or_else(|| ty.to_string());
        if task_type != ty {
            return Err(TaskError::Invalid(format!(
                "template type {task_type:?} does not match the script, which is a {ty} task"
            )));
        }
        let now = now_rfc3339();
        let def = TemplateDef {
            id: id.clone(),
            task_type,
            script,
            created: now.clone(),
            modified: now,
        };
        self.save_template(&def)?;
        self.templates.write().insert(id, def.clone());
        self.template_info(def)
    }

    fn save_template(&self, def: &TemplateDef) -> Result<(), TaskError> {
        let doc = serde_json::to_value(def).map_err(|e| TaskError::Internal(e.to_string()))?;
        self.store
            .put("template", &def.id, &doc)
            .map_err(TaskError::Internal)
    }

    /// Changes a template's script or type; every task created from it is
    /// checked with the new script first, then reloaded.
    pub fn update_template(
        &self,
        id: &str,
        req: TemplateRequest,
    ) -> Result<TemplateInfo, TaskError> {
        let mut def = self
            .templates
            .read()
            .get(id)
            .cloned()
            .ok_or_else(|| TaskError::NotFound(format!("no template exists with ID {id}")))?;
        if req.id.as_deref().is_some_and(|n| n != id) {
            return Err(TaskError::Invalid(
                "not supported yet: renaming a template".into(),
            ));
        }
        if let Some(s) = req.script {
            def.script = s;
        }
        if let Some(t) = req.task_type {
            def.task_type = t;
        }
        template_pipeline(&def.script)?;
        let mut tasks: Vec<TaskDef> = self
            .defs
            .read()
            .values()
            .filter(|t| t.template_id == id)
            .cloned()
            .collect();
        for t in &mut tasks {
            t.script = def.script.clone();
            t.task_type = def.task_type.clone();
            self.check_and_fill(t).map_err(|e| {
                TaskError::Invalid(format!("error reloading associated task {}: {e}", t.id))
            })?;
        }
        def.modified = now_rfc3339();
        self.save_template(&def)?;
        self.templates.write().insert(id.to_string(), def.clone());
        for mut t in tasks {
            t.modified = def.modified.clone();
            if t.status == "enabled" {
                self.stop(&t.id);
                self.start(&t)?;
            }
            self.save(&t)?;
            self.defs.write().insert(t.id.clone(), t);
        }
        self.template_info(def)
    }

    /// One template.
    pub fn get_template(&self, id: &str) -> Result<TemplateInfo, TaskError> {
        let def = self
            .templates
            .read()
            .get(id)
            .cloned()
            .ok_or_else(|| TaskError::NotFound(format!("no template exists with ID {id}")))?;
        self.template_info(def)
    }

    /// Every template, by id.
    pub fn list_templates(&self) -> Vec<TemplateInfo> {
        let defs: Vec<TemplateDef> = self.templates.read().values().cloned().collect();
        defs.into_iter()
            .filter_map(|d| self.template_info(d).ok())
            .collect()
    }

    /// Deletes a template (tasks created from it keep their copy of the script).
    pub fn delete_template(&self, id: &str) -> Result<(), TaskError> {
        if self.templates.write().remove(id).is_none() {
            return Err(TaskError::NotFound(format!(
                "no template exists with ID {id}"
            )));
        }
        self.store
            .delete("template", id)
            .map_err(TaskError::Internal)
    }

    /// A fresh instance of task `id` over the shared services, not
    /// registered as running: replays push recorded data through it, so its
    /// alerts and outputs happen as if live.
    pub fn instance(&self, id: &str) -> Result<(TaskDef, Task), TaskError> {
        let def = self
            .defs
            .read()
            .get(id)
            .cloned()
            .ok_or_else(|| TaskError::NotFound(format!("no task exists with ID {id}")))?;
        let p = Self::pipeline(&def)?;
        let task = Task::new(&def.id, &p, self.services.clone())
            .map_err(|e| TaskError::Invalid(format!("invalid TICKscript: {e}")))?;
        Ok((def, task))
    }

    /// An instance of task `id` over scratch services (nothing registered,
    /// nothing delivered): to list the queries a batch recording runs.
    pub fn scratch_instance(&self, id: &str) -> Result<(TaskDef, Task), TaskError> {
        let def = self
            .defs
            .read()
            .get(id)
            .cloned()
            .ok_or_else(|| TaskError::NotFound(format!("no task exists with ID {id}")))?;
        let p = Self::pipeline(&def)?;
        let store: Arc<dyn Store> = Arc::new(crate::store::MemoryStore::default());
        let scratch = Arc::new(Services::new(
            Arc::new(crate::engine::NoWriter),
            Arc::new(crate::alert::service::AlertService::new(store).map_err(TaskError::Internal)?),
        ));
        let task = Task::new(&def.id, &p, scratch)
            .map_err(|e| TaskError::Invalid(format!("invalid TICKscript: {e}")))?;
        Ok((def, task))
    }

    /// Feeds what `kapacitorLoopback` nodes of a task instance sent back
    /// (replays call it after pushing data).
    pub fn flush_loopback(&self) {
        self.drain_loopback();
    }

    /// Deletes a task and its anonymous alert topics.
    pub fn delete(&self, id: &str) -> Result<(), TaskError> {
        if self.defs.write().remove(id).is_none() {
            return Err(TaskError::NotFound(format!("no task exists with ID {id}")));
        }
        self.stop(id);
        self.store.delete("task", id).map_err(TaskError::Internal)?;
        self.services.udf_snapshots.remove_task(id);
        // The task's anonymous topics (alerts without `.topic()`) go with it.
        let prefix = format!("main:{id}:");
        for (topic, _, _) in self.services.alerts.topics() {
            if topic.starts_with(&prefix) {
                self.services
                    .alerts
                    .delete_topic(&topic)
                    .map_err(TaskError::Internal)?;
            }
        }
        Ok(())
    }

    /// One task.
    pub fn get(&self, id: &str) -> Result<TaskInfo, TaskError> {
        let def = self
            .defs
            .read()
            .get(id)
            .cloned()
            .ok_or_else(|| TaskError::NotFound(format!("no task exists with ID {id}")))?;
        Ok(self.info(def))
    }

    fn info(&self, def: TaskDef) -> TaskInfo {
        let running = self.running.read().get(&def.id).cloned();
        let error = self.errors.lock().get(&def.id).cloned().unwrap_or_default();
        match running {
            Some(t) => {
                let t = t.lock();
                // A node that failed for good (a dead UDF) stops the task, as in Kapacitor.
                let failure = t.failure();
                TaskInfo {
                    dot: t.dot(),
                    node_stats: t.node_stats(),
                    edges: t.edges(),
                    executing: failure.is_none(),
                    error: failure.unwrap_or(error),
                    def,
                }
            }
            None => {
                let dot = Self::pipeline(&def)
                    .map(|p| static_dot(&def.id, &p))
                    .unwrap_or_default();
                TaskInfo {
                    dot,
                    node_stats: Vec::new(),
                    edges: Vec::new(),
                    executing: false,
                    error,
                    def,
                }
            }
        }
    }

    /// Every task, by id.
    pub fn list(&self) -> Vec<TaskInfo> {
        let defs: Vec<TaskDef> = self.defs.read().values().cloned().collect();
        defs.into_iter().map(|d| self.info(d)).collect()
    }

    /// Feeds points written to `db`/`rp` into the enabled tasks reading them.
    pub fn feed(&self, db: &str, rp: &str, points: &[Point]) {
        if points.is_empty() {
            return;
        }
        let targets = self.stream_targets(db, rp);
        Self::push_all(&targets, points);
        self.drain_loopback();
    }

    /// The running stream tasks reading `db`/`rp`.
    fn stream_targets(&self, db: &str, rp: &str) -> Vec<Arc<Mutex<Task>>> {
        let defs = self.defs.read();
        let running = self.running.read();
        running
            .iter()
            .filter(|(id, _)| {
                defs.get(*id).is_some_and(|d| {
                    d.task_type == "stream" && d.dbrps.iter().any(|x| x.db == db && x.rp == rp)
                })
            })
            .map(|(_, t)| t.clone())
            .collect()
    }

    fn push_all(targets: &[Arc<Mutex<Task>>], points: &[Point]) {
        for t in targets {
            let mut t = t.lock();
            for p in points {
                t.push(p.clone());
            }
        }
    }

    /// Like [`Self::push_all`], moving the points into the last task
    /// instead of copying them (`points` is left empty).
    fn push_all_moving(targets: &[Arc<Mutex<Task>>], points: &mut Vec<Point>) {
        let Some((last, others)) = targets.split_last() else {
            points.clear();
            return;
        };
        Self::push_all(others, points);
        let mut t = last.lock();
        for p in points.drain(..) {
            t.push(p);
        }
    }

    /// Feeds what `kapacitorLoopback` nodes sent back; a few rounds at most,
    /// so a task looping into itself cannot spin forever.
    fn drain_loopback(&self) {
        thread_local! {
            static DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
        }
        if DEPTH.with(|d| d.get()) >= 8 {
            return;
        }
        let queued = std::mem::take(&mut *self.services.loopback.lock());
        if queued.is_empty() {
            return;
        }
        DEPTH.with(|d| d.set(d.get() + 1));
        for (db, rp, points) in queued {
            self.feed(&db, &rp, &points);
        }
        DEPTH.with(|d| d.set(d.get() - 1));
    }

    /// Parses line protocol and feeds it (Kapacitor's `/write`): every line
    /// is checked in full. Returns the number of points fed, or the first
    /// parse error.
    pub fn feed_line_protocol(
        &self,
        db: &str,
        rp: &str,
        body: &[u8],
        precision_ns: i64,
        now: i64,
    ) -> Result<usize, String> {
        self.parse_and_feed(db, rp, body, precision_ns, now, false)
    }

    /// Feeds lines a write accepted (the storage write stream). They were
    /// checked when written, so only the fields the tasks can observe are
    /// parsed (see [`crate::projection`]).
    pub fn feed_accepted_lines(
        &self,
        db: &str,
        rp: &str,
        body: &[u8],
        precision_ns: i64,
        now: i64,
    ) -> Result<usize, String> {
        self.parse_and_feed(db, rp, body, precision_ns, now, true)
    }

    fn parse_and_feed(
        &self,
        db: &str,
        rp: &str,
        body: &[u8],
        precision_ns: i64,
        now: i64,
        trusted: bool,
    ) -> Result<usize, String> {
        let targets = self.stream_targets(db, rp);
        let mut needs = if trusted {
            FieldNeeds::default()
        } else {
            FieldNeeds::All
        };
        for t in &targets {
            needs.add(t.lock().field_needs());
        }
        self.build_and_push(&targets, |cache, points| {
            cache.parse_into(db, rp, body, precision_ns, now, &needs, points)
        })
    }

    /// Builds a write's points with `build` into the buffer kept from one
    /// write to the next (an event holds thousands of points: fresh memory
    /// for each costs page faults), pushes them to `targets` unless building
    /// failed, and returns how many there were.
    fn build_and_push(
        &self,
        targets: &[Arc<Mutex<Task>>],
        build: impl FnOnce(&mut SeriesCache, &mut Vec<Point>) -> Result<(), String>,
    ) -> Result<usize, String> {
        let (mut points, built) = {
            let mut cache = self.series.lock();
            let mut points = std::mem::take(&mut cache.spare);
            let built = build(&mut cache, &mut points);
            (points, built)
        };
        let n = points.len();
        if built.is_ok() {
            Self::push_all_moving(targets, &mut points);
        }
        points.clear();
        self.series.lock().spare = points;
        built?;
        if n > 0 && !targets.is_empty() {
            self.drain_loopback();
        }
        Ok(n)
    }

    /// Feeds the rows of an accepted write as the storage engine parsed them
    /// (no line protocol is parsed again); `series_slots` bounds the rows'
    /// [`ParsedRow::series_slot`]. Points get only the fields the tasks can
    /// observe. Returns the number of points fed.
    pub fn feed_rows<R: ParsedRow>(
        &self,
        db: &str,
        rp: &str,
        rows: impl IntoIterator<Item = R>,
        series_slots: usize,
    ) -> usize {
        let targets = self.stream_targets(db, rp);
        if targets.is_empty() {
            return 0;
        }
        let mut needs = FieldNeeds::default();
        for t in &targets {
            needs.add(t.lock().field_needs());
        }
        self.build_and_push(&targets, |cache, points| {
            cache.points_from_rows(db, rp, rows, series_slots, &needs, points);
            Ok(())
        })
        .unwrap_or_default()
    }

    /// Whether any running task reads `db`/`rp` (lets callers skip parsing).
    pub fn wants(&self, db: &str, rp: &str) -> bool {
        let defs = self.defs.read();
        self.running.read().keys().any(|id| {
            defs.get(id).is_some_and(|d| {
                d.task_type == "stream" && d.dbrps.iter().any(|x| x.db == db && x.rp == rp)
            })
        })
    }

    /// Runs every batch query due at `now` through `querier` and feeds the
    /// results to their tasks (a failed run counts as an error of its node).
    pub async fn run_batches<Q: crate::engine::BatchQuerier>(&self, querier: &Q, now: i64) {
        let tasks: Vec<Arc<Mutex<Task>>> = self.running.read().values().cloned().collect();
        let mut due = Vec::new();
        for t in tasks {
            let qs = t.lock().due_queries(now);
            due.extend(qs.into_iter().map(|q| (t.clone(), q)));
        }
        for (task, q) in due {
            match querier.query(&q).await {
                Ok(batches) => {
                    task.lock().push_batches(q.node, batches);
                    self.drain_loopback();
                }
                Err(e) => {
                    tracing::warn!(task = %q.task, error = %e, "batch query failed");
                    task.lock().query_failed(q.node);
                }
            }
        }
    }

    /// Whether any stream task is running (only those read the write stream).
    pub fn has_running(&self) -> bool {
        let defs = self.defs.read();
        self.running
            .read()
            .keys()
            .any(|id| defs.get(id).is_some_and(|d| d.task_type == "stream"))
    }

    /// Advances wall-clock driven nodes of every running task and saves the
    /// alert topics that changed.
    pub fn tick(&self, now: i64) {
        let tasks: Vec<Arc<Mutex<Task>>> = self.running.read().values().cloned().collect();
        for t in tasks {
            t.lock().tick(now);
        }
        self.drain_loopback();
        self.services.alerts.flush();
    }

    /// The latest result of an `httpOut` endpoint: `{"series": [...]}`.
    pub fn http_out(&self, task: &str, endpoint: &str) -> Option<serde_json::Value> {
        let e = self
            .services
            .http_outs
            .lock()
            .get(&(task.to_string(), endpoint.to_string()))
            .cloned()?;
        let series: Vec<serde_json::Value> = e.lock().values().cloned().collect();
        Some(serde_json::json!({ "series": series }))
    }
}

/// Evaluates a template script: declared variables get placeholder values
/// of their type (and are listed without a value).
fn template_pipeline(script: &str) -> Result<Pipeline, TaskError> {
    use crate::tick::ast::{Expr, Statement};
    let program = crate::tick::parse(script)
        .map_err(|e| TaskError::Invalid(format!("invalid TICKscript: {e}")))?;
    let mut placeholders = HashMap::new();
    let mut declared = Vec::new();
    for st in &program.statements {
        if let Statement::Declare { name, ty, pos } = st {
            let v = match ty {
                VarType::Int => Value::Int(0),
                VarType::Float => Value::Float(0.0),
                VarType::String => Value::Str(String::new()),
                VarType::Bool => Value::Bool(false),
                VarType::Duration => Value::Duration(1_000_000_000),
                VarType::Lambda => Value::Lambda(Expr::Bool(true, *pos)),
                VarType::Regex => Value::Regex(".*".into()),
                VarType::List => Value::List(Vec::new()),
                VarType::Star => Value::Star,
            };
            placeholders.insert(name.clone(), v);
            declared.push((name.clone(), *ty));
        }
    }
    let mut p = evaluate(&program, &placeholders)
        .map_err(|e| TaskError::Invalid(format!("invalid TICKscript: {e}")))?;
    for (name, ty) in declared {
        p.vars.insert(name, (ty, None));
    }
    Ok(p)
}

/// A script value as Kapacitor's vars JSON writes it.
fn value_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Int(i) => (*i).into(),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(Into::into)
            .unwrap_or(serde_json::Value::Null),
        Value::Str(s) | Value::Regex(s) | Value::Reference(s) => s.clone().into(),
        Value::Bool(b) => (*b).into(),
        Value::Duration(d) => crate::model::format_duration(*d).into(),
        Value::Lambda(e) => e.to_string().into(),
        Value::List(items) => serde_json::Value::Array(items.iter().map(value_json).collect()),
        Value::Star | Value::Node(_) | Value::GroupByTime(_) => serde_json::Value::Null,
    }
}

/// Parses a line-protocol body into points (all lines must parse).
pub fn parse_points(
    db: &str,
    rp: &str,
    body: &[u8],
    precision_ns: i64,
    now: i64,
) -> Result<Vec<Point>, String> {
    SeriesCache::default().parse(db, rp, body, precision_ns, now)
}

/// The name and tags of a series, shared by all its points.
type SeriesEntry = (Arc<str>, Arc<crate::model::Tags>);

/// Series seen in recent writes: the measurement name and tags parsed from a
/// line's series key (the bytes before its fields), shared by every point of
/// that series, so parsing a point allocates only its fields.
#[derive(Default)]
pub struct SeriesCache {
    series: HashMap<Box<[u8]>, SeriesEntry, ahash::RandomState>,
    /// Field keys seen, shared by the points that carry them.
    field_keys: HashMap<Box<str>, FieldKey, ahash::RandomState>,
    /// A points buffer kept from one write to the next.
    spare: Vec<Point>,
}

/// Series kept at most; the cache starts over when it is full.
const SERIES_CACHE_LIMIT: usize = 10_000;

impl SeriesCache {
    /// Parses a line-protocol body into points (all lines must parse).
    pub fn parse(
        &mut self,
        db: &str,
        rp: &str,
        body: &[u8],
        precision_ns: i64,
        now: i64,
    ) -> Result<Vec<Point>, String> {
        let mut out = Vec::new();
        self.parse_into(db, rp, body, precision_ns, now, &FieldNeeds::All, &mut out)?;
        Ok(out)
    }

    /// Like [`SeriesCache::parse`], appending to `out`, and the points get
    /// only the fields `needs` keeps; the values of the others are not
    /// parsed (nor checked).
    #[allow(clippy::too_many_arguments)]
    pub fn parse_into(
        &mut self,
        db: &str,
        rp: &str,
        body: &[u8],
        precision_ns: i64,
        now: i64,
        needs: &FieldNeeds,
        out: &mut Vec<Point>,
    ) -> Result<(), String> {
        let precision = almanac_lineproto::Precision::parse(match precision_ns {
            1 => "ns",
            1_000 => "u",
            1_000_000 => "ms",
            1_000_000_000 => "s",
            60_000_000_000 => "m",
            3_600_000_000_000 => "h",
            _ => "ns",
        })
        .unwrap_or(almanac_lineproto::Precision::Nanosecond);
        let (dbs, rps): (Arc<str>, Arc<str>) = (db.into(), rp.into());
        let dims: Arc<crate::model::Dimensions> = Default::default();
        // Tags are parsed only for a series not seen before.
        for line in almanac_lineproto::parse_lines_selecting(body, false, |k| needs.keeps(k)) {
            let line = line.map_err(|e| e.to_string())?;
            let time = line
                .timestamp_ns(precision, now)
                .map_err(|e| e.to_string())?;
            let (name, tags) = match self.series.get(line.series_key_raw) {
                Some((name, tags)) => (name.clone(), tags.clone()),
                None => self.add_series(&line)?,
            };
            let mut fields = crate::model::Fields::with_capacity(line.fields.len());
            for (k, v) in &line.fields {
                fields.insert(self.field_key(k), FieldValue::from_line(v));
            }
            out.push(Point {
                database: dbs.clone(),
                retention_policy: rps.clone(),
                name,
                tags,
                fields: Arc::new(fields),
                time,
                dims: dims.clone(),
            });
        }
        Ok(())
    }

    /// Appends the points of parsed `rows` to `out`, with the fields `needs`
    /// keeps.
    fn points_from_rows<R: ParsedRow>(
        &mut self,
        db: &str,
        rp: &str,
        rows: impl IntoIterator<Item = R>,
        series_slots: usize,
        needs: &FieldNeeds,
        out: &mut Vec<Point>,
    ) {
        let (dbs, rps): (Arc<str>, Arc<str>) = (db.into(), rp.into());
        let dims: Arc<crate::model::Dimensions> = Default::default();
        // A write's series, found once each (not hashed per row).
        let mut by_slot: Vec<Option<SeriesEntry>> = vec![None; series_slots];
        let wanted: Option<Vec<(FieldKey, &str)>> = match needs {
            FieldNeeds::All => None,
            FieldNeeds::Only(names) => Some(
                names
                    .iter()
                    .map(|n| (self.field_key(n), n.as_str()))
                    .collect(),
            ),
        };
        for row in rows {
            let slot = row.series_slot();
            let (name, tags) = match by_slot.get(slot) {
                Some(Some(entry)) => entry.clone(),
                _ => {
                    let entry = self.series_of_row(&row);
                    if let Some(s) = by_slot.get_mut(slot) {
                        *s = Some(entry.clone());
                    }
                    entry
                }
            };
            let fields = match &wanted {
                Some(wanted) => {
                    let mut fields = crate::model::Fields::with_capacity(wanted.len());
                    for (key, name) in wanted {
                        if let Some(v) = row.field(name) {
                            fields.insert(key.clone(), FieldValue::from_line(&v));
                        }
                    }
                    fields
                }
                None => {
                    let mut fields = crate::model::Fields::new();
                    row.for_each_field(|k, v| {
                        fields.insert(self.field_key(k), FieldValue::from_line(&v));
                    });
                    fields
                }
            };
            out.push(Point {
                database: dbs.clone(),
                retention_policy: rps.clone(),
                name,
                tags,
                fields: Arc::new(fields),
                time: row.time(),
                dims: dims.clone(),
            });
        }
    }

    /// The name and tags of a row's series, remembered by its key.
    fn series_of_row(&mut self, row: &impl ParsedRow) -> SeriesEntry {
        if let Some(entry) = self.series.get(row.series_key().as_bytes()) {
            return entry.clone();
        }
        let name: Arc<str> = row.measurement().into();
        let mut tags = crate::model::Tags::new();
        row.for_each_tag(|k, v| {
            tags.insert(k.to_string(), v.to_string());
        });
        let entry: SeriesEntry = (name, Arc::new(tags));
        self.remember(row.series_key().as_bytes(), &entry);
        entry
    }

    /// Remembers a series by its key (starting over when the cache is full).
    fn remember(&mut self, key: &[u8], entry: &SeriesEntry) {
        if self.series.len() >= SERIES_CACHE_LIMIT {
            self.series.clear();
        }
        self.series.insert(key.into(), entry.clone());
    }

    /// The shared key for a field name.
    fn field_key(&mut self, name: &str) -> FieldKey {
        if let Some(k) = self.field_keys.get(name) {
            return k.clone();
        }
        if self.field_keys.len() >= SERIES_CACHE_LIMIT {
            self.field_keys.clear();
        }
        let key: FieldKey = name.into();
        self.field_keys.insert(name.into(), key.clone());
        key
    }

    /// Parses the tags of a line whose series is new and remembers them.
    fn add_series(&mut self, line: &almanac_lineproto::Line<'_>) -> Result<SeriesEntry, String> {
        let full = almanac_lineproto::parse_lines(line.raw)
            .next()
            .ok_or("a line vanished when parsed again")?
            .map_err(|e| e.to_string())?;
        let name: Arc<str> = line.measurement.as_ref().into();
        let tags: Arc<crate::model::Tags> = Arc::new(
            full.tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        let entry: SeriesEntry = (name, tags);
        self.remember(line.series_key_raw, &entry);
        Ok(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manager_with_mean_task() -> TaskManager {
        let store: Arc<dyn Store> = Arc::new(crate::store::MemoryStore::default());
        let alerts = Arc::new(crate::alert::service::AlertService::new(store.clone()).unwrap());
        let services = Arc::new(Services::new(Arc::new(crate::engine::NoWriter), alerts));
        let m = TaskManager::new(services, store).unwrap();
        m.create(TaskRequest {
            id: Some("t".into()),
            task_type: Some("stream".into()),
            dbrps: Some(vec![Dbrp {
                db: "db".into(),
                rp: "rp".into(),
            }]),
            script: Some(
                "stream|from().measurement('cpu')|window().period(10s).every(10s)|mean('v')".into(),
            ),
            status: Some("enabled".into()),
            ..Default::default()
        })
        .unwrap();
        m
    }

    #[test]
    fn kapacitor_writes_are_checked_in_full_and_accepted_lines_only_where_read() {
        let m = manager_with_mean_task();
        // `/kapacitor/v1/write`: a bad value in a field no task reads, or a
        // bad tag, still rejects the write.
        assert!(m
            .feed_line_protocol("db", "rp", b"cpu,host=a v=1,w=oops 1", 1, 0)
            .is_err());
        assert!(m
            .feed_line_protocol("db", "rp", b"cpu,host v=1 1", 1, 0)
            .is_err());
        assert_eq!(
            m.feed_line_protocol("db", "rp", b"cpu,host=a v=1,w=2 1", 1, 0),
            Ok(1)
        );
        // Lines a write accepted are parsed for the task's field only.
        assert_eq!(
            m.feed_accepted_lines(
                "db",
                "rp",
                b"cpu,host=a v=3,w=oops 2\ncpu,host=a v=5 20000000000",
                1,
                0
            ),
            Ok(2)
        );
        let info = m.get("t").unwrap();
        let collected = |prefix: &str| {
            info.node_stats
                .iter()
                .find(|(n, _, _)| n.starts_with(prefix))
                .map(|(_, s, _)| s.collected)
        };
        assert_eq!(collected("from"), Some(3));
        assert_eq!(collected("mean"), Some(1));
    }

    #[test]
    fn points_of_one_series_share_name_and_tags() {
        let body = b"cpu,host=a\\ b,dc=x v=1 1\ncpu,host=a\\ b,dc=x v=2 2\ncpu,dc=x,host=a\\ b v=3i 3\nmem v=4 4";
        let mut cache = SeriesCache::default();
        let points = cache.parse("db", "rp", body, 1, 0).unwrap();
        assert_eq!(points.len(), 4);
        let (a, b, c, d) = (&points[0], &points[1], &points[2], &points[3]);
        assert_eq!(&*a.name, "cpu");
        assert_eq!(a.tags.get("host").map(String::as_str), Some("a b"));
        assert!(Arc::ptr_eq(&a.tags, &b.tags) && Arc::ptr_eq(&a.name, &b.name));
        // Another spelling of the same series: its own entry, equal tags.
        assert_eq!(a.tags, c.tags);
        assert_eq!(c.fields.get("v"), Some(&FieldValue::Int(3)));
        assert_eq!((&*d.name, d.tags.len(), d.time), ("mem", 0, 4));
        // The next write reuses the series seen before.
        let again = cache
            .parse("db", "rp", b"cpu,host=a\\ b,dc=x v=5 5", 1, 0)
            .unwrap();
        assert!(Arc::ptr_eq(&again[0].tags, &a.tags));
        assert_eq!(again[0].fields.get("v"), Some(&FieldValue::Float(5.0)));
        assert!(cache.parse("db", "rp", b"cpu,host=a v=", 1, 0).is_err());
    }
}

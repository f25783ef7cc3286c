//! The run history of tasks, kept in memory: at most [`MAX_RUNS`] runs per
//! task, oldest dropped first. The scheduler persists the newest finished
//! runs of each task (see [`super::PERSISTED_RUNS`]) and restores them at
//! start; runs that were pending or running at shutdown are not kept.

use std::collections::{HashMap, VecDeque};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

/// Runs kept per task.
pub const MAX_RUNS: usize = 100;

/// State of a run, as InfluxDB names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Waiting to start (manual runs and retries).
    Scheduled,
    /// Running.
    Started,
    /// Finished without error.
    Success,
    /// Finished with an error.
    Failed,
    /// Canceled before it finished.
    Canceled,
}

impl RunStatus {
    /// The API's name of the status.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Scheduled => "scheduled",
            RunStatus::Started => "started",
            RunStatus::Success => "success",
            RunStatus::Failed => "failed",
            RunStatus::Canceled => "canceled",
        }
    }

    /// Whether the run is over.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            RunStatus::Success | RunStatus::Failed | RunStatus::Canceled
        )
    }
}

/// One log line of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEvent {
    /// The run.
    pub run_id: String,
    /// When, ns.
    pub time: i64,
    /// What happened.
    pub message: String,
}

/// One execution of a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    /// Run id (16 hex digits).
    pub id: String,
    /// The task.
    pub task_id: String,
    /// Where it is.
    pub status: RunStatus,
    /// The time it runs for (the script's `now()`), ns.
    pub scheduled_for: i64,
    /// When a manual run or retry was requested, ns.
    pub requested_at: Option<i64>,
    /// When it started, ns.
    pub started_at: Option<i64>,
    /// When it finished, ns.
    pub finished_at: Option<i64>,
    /// Its log.
    pub log: Vec<LogEvent>,
    /// The script it ran.
    pub flux: String,
}

#[derive(Debug, Default)]
struct History {
    runs: VecDeque<Run>,
}

/// The runs of every task.
#[derive(Debug, Default)]
pub struct RunStore {
    tasks: Mutex<HashMap<String, History>>,
}

fn now_ns() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
}

impl RunStore {
    /// The runs of a task, oldest first.
    pub fn list(&self, task_id: &str) -> Vec<Run> {
        self.tasks
            .lock()
            .get(task_id)
            .map(|h| h.runs.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// One run.
    pub fn get(&self, task_id: &str, run_id: &str) -> Option<Run> {
        let tasks = self.tasks.lock();
        tasks
            .get(task_id)?
            .runs
            .iter()
            .find(|r| r.id == run_id)
            .cloned()
    }

    /// Whether a run of the task is executing now.
    pub fn is_running(&self, task_id: &str) -> bool {
        self.tasks
            .lock()
            .get(task_id)
            .is_some_and(|h| h.runs.iter().any(|r| r.status == RunStatus::Started))
    }

    fn push(&self, run: Run) -> Run {
        let mut tasks = self.tasks.lock();
        let history = tasks.entry(run.task_id.clone()).or_default();
        history.runs.push_back(run.clone());
        while history.runs.len() > MAX_RUNS {
            // drop the oldest finished run (never one still pending)
            match history.runs.iter().position(|r| r.status.is_final()) {
                Some(i) => {
                    history.runs.remove(i);
                }
                None => break,
            }
        }
        run
    }

    /// Queues a manual run (or retry) for `scheduled_for`.
    pub fn queue(&self, id: String, task_id: &str, scheduled_for: i64, flux: &str) -> Run {
        self.push(Run {
            id,
            task_id: task_id.to_string(),
            status: RunStatus::Scheduled,
            scheduled_for,
            requested_at: Some(now_ns()),
            started_at: None,
            finished_at: None,
            log: Vec::new(),
            flux: flux.to_string(),
        })
    }

    /// Starts the oldest queued run of the task, if any and none is running.
    pub fn start_queued(&self, task_id: &str) -> Option<Run> {
        let mut tasks = self.tasks.lock();
        let history = tasks.get_mut(task_id)?;
        if history.runs.iter().any(|r| r.status == RunStatus::Started) {
            return None;
        }
        let run = history
            .runs
            .iter_mut()
            .find(|r| r.status == RunStatus::Scheduled)?;
        run.status = RunStatus::Started;
        run.started_at = Some(now_ns());
        Some(run.clone())
    }

    /// Records a scheduled run as started.
    pub fn start(&self, id: String, task_id: &str, scheduled_for: i64, flux: &str) -> Run {
        self.push(Run {
            id,
            task_id: task_id.to_string(),
            status: RunStatus::Started,
            scheduled_for,
            requested_at: None,
            started_at: Some(now_ns()),
            finished_at: None,
            log: Vec::new(),
            flux: flux.to_string(),
        })
    }

    /// Adds a log line to a run.
    pub fn log(&self, task_id: &str, run_id: &str, message: impl Into<String>) {
        if let Some(run) = self.run_mut(task_id, run_id).as_mut() {
            run.log.push(LogEvent {
                run_id: run_id.to_string(),
                time: now_ns(),
                message: message.into(),
            });
        }
    }

    fn run_mut(
        &self,
        task_id: &str,
        run_id: &str,
    ) -> Option<parking_lot::MappedMutexGuard<'_, Run>> {
        let guard = self.tasks.lock();
        parking_lot::MutexGuard::try_map(guard, |tasks| {
            tasks
                .get_mut(task_id)?
                .runs
                .iter_mut()
                .find(|r| r.id == run_id)
        })
        .ok()
    }

    /// Ends a run (unless it was canceled meanwhile); returns its final state.
    pub fn finish(&self, task_id: &str, run_id: &str, status: RunStatus) -> Option<Run> {
        let mut run = self.run_mut(task_id, run_id)?;
        if run.status != RunStatus::Canceled {
            run.status = status;
        }
        run.finished_at = Some(now_ns());
        let message = format!("Completed({})", run.status.as_str());
        run.log.push(LogEvent {
            run_id: run_id.to_string(),
            time: now_ns(),
            message,
        });
        Some(run.clone())
    }

    /// Cancels a pending or running run; `false` when there is no such
    /// unfinished run.
    pub fn cancel(&self, task_id: &str, run_id: &str) -> bool {
        let Some(mut run) = self.run_mut(task_id, run_id) else {
            return false;
        };
        if run.status.is_final() {
            return false;
        }
        run.status = RunStatus::Canceled;
        run.finished_at = Some(now_ns());
        true
    }

    /// The newest `n` finished runs of a task, oldest first.
    pub fn finished(&self, task_id: &str, n: usize) -> Vec<Run> {
        let tasks = self.tasks.lock();
        let Some(history) = tasks.get(task_id) else {
            return Vec::new();
        };
        let mut runs: Vec<Run> = history
            .runs
            .iter()
            .rev()
            .filter(|r| r.status.is_final())
            .take(n)
            .cloned()
            .collect();
        runs.reverse();
        runs
    }

    /// Puts back the persisted runs of a task (before any new run).
    pub fn restore(&self, task_id: &str, runs: Vec<Run>) {
        let mut tasks = self.tasks.lock();
        let history = tasks.entry(task_id.to_string()).or_default();
        for run in runs.into_iter().rev() {
            if !history.runs.iter().any(|r| r.id == run.id) {
                history.runs.push_front(run);
            }
        }
    }

    /// Forgets a deleted task's runs.
    pub fn forget(&self, task_id: &str) {
        self.tasks.lock().remove(task_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_lifecycle() {
        let store = RunStore::default();
        let run = store.start("r1".into(), "t", 10, "flux");
        assert!(store.is_running("t"));
        store.log("t", "r1", "hello");
        let queued = store.queue("r2".into(), "t", 20, "flux");
        assert_eq!(queued.status, RunStatus::Scheduled);
        // one run at a time
        assert_eq!(store.start_queued("t"), None);
        let done = store.finish("t", &run.id, RunStatus::Success).unwrap();
        assert_eq!(done.status, RunStatus::Success);
        assert_eq!(
            done.log
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>(),
            vec!["hello", "Completed(success)"]
        );
        let next = store.start_queued("t").unwrap();
        assert_eq!((next.id.as_str(), next.status), ("r2", RunStatus::Started));
        assert!(store.cancel("t", "r2"));
        assert!(!store.cancel("t", "r2"));
        let r2 = store.finish("t", "r2", RunStatus::Success).unwrap();
        assert_eq!(r2.status, RunStatus::Canceled);
        assert!(!store.cancel("t", "r1"));
        assert_eq!(store.list("t").len(), 2);
        let kept = store.finished("t", 1);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].id, "r2");
        let restored = RunStore::default();
        restored.restore("t", store.finished("t", 5));
        restored.start("r3".into(), "t", 30, "flux");
        let ids: Vec<String> = restored.list("t").into_iter().map(|r| r.id).collect();
        assert_eq!(ids, vec!["r1", "r2", "r3"]);
        store.forget("t");
        assert!(store.list("t").is_empty());
    }

    #[test]
    fn history_is_bounded() {
        let store = RunStore::default();
        for i in 0..(MAX_RUNS + 10) {
            let id = format!("r{i}");
            store.start(id.clone(), "t", i as i64, "f");
            store.finish("t", &id, RunStatus::Failed);
        }
        let runs = store.list("t");
        assert_eq!(runs.len(), MAX_RUNS);
        assert_eq!(runs[0].id, "r10");
    }
}

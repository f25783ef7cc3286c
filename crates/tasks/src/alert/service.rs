//! Topics: the latest event state per alert id, a bounded history of
//! events, handler specs bound to topics, inhibition, and delivery of events
//! to handlers (a worker on the async runtime, in publish order).
//!
//! Topic state is saved to the store by [`AlertService::flush`] (the task
//! manager's wall-clock tick, every 250 ms in the server, and shutdown), not
//! on every event: encoding a topic with its history costs far more than the
//! event itself, and a busy alert would otherwise write once per point.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use super::{handlers, AlertEvent, EventState, HandlerSpec, Level};
use crate::store::Store;

/// Events kept per topic in its history.
pub const HISTORY_LEN: usize = 100;

/// A topic's persisted state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Topic {
    /// Topic id.
    pub id: String,
    /// Latest state per alert id.
    pub events: BTreeMap<String, EventState>,
    /// Latest events, oldest first.
    pub history: VecDeque<AlertEvent>,
    /// Events published to it since start-up (Kapacitor's `collected`).
    #[serde(skip)]
    pub collected: u64,
}

impl Topic {
    /// The highest level among its events.
    pub fn level(&self) -> Level {
        self.events
            .values()
            .map(|e| e.level)
            .max()
            .unwrap_or(Level::Ok)
    }
}

#[derive(Serialize, Deserialize)]
struct HandlerDoc {
    topic: String,
    handler: HandlerSpec,
}

/// A request of the `httpPost` node.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpPostJob {
    /// Target URL.
    pub url: String,
    /// Extra headers (set after `Content-Type`, so they may replace it).
    pub headers: BTreeMap<String, String>,
    /// HTTP basic auth.
    pub basic_auth: Option<handlers::httppost::BasicAuth>,
    /// Timeout, ns.
    pub timeout: i64,
    /// Body: Kapacitor's result JSON, or a rendered row template.
    pub body: String,
    /// Whether the body is JSON (sent with `Content-Type: application/json`).
    pub json: bool,
    /// Log the response body of failed requests.
    pub capture_response: bool,
}

enum Delivery {
    Alert(Vec<HandlerSpec>, Box<AlertEvent>),
    Post(HttpPostJob),
}

/// Sends an `httpPost` request: the status code (0 when the request failed
/// below HTTP, as Kapacitor's `codeField` reports it) and, for failures,
/// why.
pub async fn send_post(client: &reqwest::Client, job: &HttpPostJob) -> (u16, Result<(), String>) {
    let mut req = client
        .post(&job.url)
        .timeout(std::time::Duration::from_nanos(job.timeout.max(1) as u64))
        .body(job.body.clone());
    if job.json {
        req = req.header("Content-Type", "application/json");
    }
    for (k, v) in &job.headers {
        req = req.header(k, v);
    }
    if let Some(a) = &job.basic_auth {
        req = req.basic_auth(&a.username, Some(&a.password));
    }
    let resp = match req.send().await {
        Ok(r) => r,
        Err(e) => return (0, Err(e.to_string())),
    };
    let status = resp.status();
    if status.is_success() {
        return (status.as_u16(), Ok(()));
    }
    let error = if job.capture_response {
        let body = resp.text().await.unwrap_or_default();
        format!("status {status}: {}", body.trim())
    } else {
        format!("status {status}")
    };
    (status.as_u16(), Err(error))
}

/// The alert service shared by every task.
pub struct AlertService {
    topics: Mutex<BTreeMap<String, Topic>>,
    handlers: Mutex<BTreeMap<String, BTreeMap<String, HandlerSpec>>>,
    /// Active inhibitors: (category, tags) of non-OK alerts.
    inhibitors: Mutex<HashMap<(String, String), (String, crate::model::Tags)>>,
    store: Arc<dyn Store>,
    tx: Mutex<Option<tokio::sync::mpsc::UnboundedSender<Delivery>>>,
    /// Topics changed since they were last saved.
    dirty: Mutex<std::collections::BTreeSet<String>>,
    /// Held while topics are written to or deleted from the store, so a
    /// flush cannot save a topic again after it was deleted.
    persist: Mutex<()>,
}

impl AlertService {
    /// Loads topics and handler specs from `store`.
    pub fn new(store: Arc<dyn Store>) -> Result<AlertService, String> {
        let mut topics = BTreeMap::new();
        for doc in store.list("topic")? {
            let t: Topic = serde_json::from_value(doc).map_err(|e| format!("stored topic: {e}"))?;
            topics.insert(t.id.clone(), t);
        }
        let mut handlers: BTreeMap<String, BTreeMap<String, HandlerSpec>> = BTreeMap::new();
        for doc in store.list("topic-handler")? {
            let h: HandlerDoc =
                serde_json::from_value(doc).map_err(|e| format!("stored handler: {e}"))?;
            handlers
                .entry(h.topic)
                .or_default()
                .insert(h.handler.id.clone(), h.handler);
        }
        let svc = AlertService {
            topics: Mutex::new(topics),
            handlers: Mutex::new(handlers),
            inhibitors: Mutex::new(HashMap::new()),
            store,
            tx: Mutex::new(None),
            dirty: Mutex::new(Default::default()),
            persist: Mutex::new(()),
        };
        Ok(svc)
    }

    /// Starts the delivery worker on the current tokio runtime.
    pub fn start_delivery(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Delivery>();
        *self.tx.lock() = Some(tx);
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            while let Some(d) = rx.recv().await {
                match d {
                    Delivery::Alert(specs, event) => {
                        for spec in &specs {
                            if let Err(e) = handlers::deliver(&client, spec, &event).await {
                                tracing::warn!(topic = %event.topic, handler = %spec.id, error = %e, "alert handler failed");
                            }
                        }
                    }
                    Delivery::Post(job) => {
                        if let (_, Err(e)) = send_post(&client, &job).await {
                            tracing::warn!(url = %job.url, error = %e, "httpPost failed");
                        }
                    }
                }
            }
        })
    }

    /// Queues an `httpPost` request; false when the worker is not running.
    pub fn post(&self, job: HttpPostJob) -> bool {
        match &*self.tx.lock() {
            Some(tx) => tx.send(Delivery::Post(job)).is_ok(),
            None => false,
        }
    }

    /// Stops accepting deliveries (the worker ends once its queue is empty).
    pub fn stop_delivery(&self) {
        self.tx.lock().take();
    }

    /// The stored state of an alert id (used by alert nodes to restore their state).
    pub fn event_state(&self, topic: &str, id: &str) -> Option<EventState> {
        self.topics
            .lock()
            .get(topic)
            .and_then(|t| t.events.get(id).cloned())
    }

    /// Every event state of a topic.
    pub fn topic_states(&self, topic: &str) -> Vec<(String, EventState)> {
        self.topics
            .lock()
            .get(topic)
            .map(|t| {
                t.events
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether `tags` are inhibited by an active alert of `category`.
    pub fn inhibited(
        &self,
        category: &str,
        tags: &crate::model::Tags,
        match_tags: &[String],
    ) -> bool {
        self.inhibitors
            .lock()
            .values()
            .any(|(c, t)| c == category && match_tags.iter().all(|k| t.get(k) == tags.get(k)))
    }

    /// Saves the topics changed since the last flush.
    pub fn flush(&self) {
        let _persist = self.persist.lock();
        let dirty = std::mem::take(&mut *self.dirty.lock());
        for id in dirty {
            let doc = match self.topics.lock().get(&id) {
                Some(t) => serde_json::to_value(t),
                None => continue,
            };
            match doc {
                Ok(doc) => {
                    if let Err(e) = self.store.put("topic", &id, &doc) {
                        tracing::error!(topic = %id, error = %e, "saving alert topic failed");
                    }
                }
                Err(e) => tracing::error!(error = %e, "encoding alert topic failed"),
            }
        }
    }

    /// Publishes an event: updates the topic (saved by the next
    /// [`AlertService::flush`]), delivers it to the given handlers and those
    /// bound to the topic.
    pub fn publish(&self, event: AlertEvent, task_handlers: &[HandlerSpec]) {
        if !event.category.is_empty() {
            let key = (event.topic.clone(), event.id.clone());
            let mut inh = self.inhibitors.lock();
            if event.state.level == Level::Ok {
                inh.remove(&key);
            } else {
                inh.insert(key, (event.category.clone(), event.tags.clone()));
            }
        }
        let mut specs: Vec<HandlerSpec> = task_handlers.to_vec();
        if let Some(bound) = self.handlers.lock().get(&event.topic) {
            specs.extend(bound.values().cloned());
        }
        // Services whose configuration section is `global` handle every alert.
        specs.extend(
            handlers::config::global().global_handlers(event.previous_level != event.state.level),
        );
        {
            let mut dirty = self.dirty.lock();
            if !dirty.contains(&event.topic) {
                dirty.insert(event.topic.clone());
            }
        }
        let mut topics = self.topics.lock();
        let t = topics.entry(event.topic.clone()).or_insert_with(|| Topic {
            id: event.topic.clone(),
            ..Default::default()
        });
        t.collected += 1;
        t.events.insert(event.id.clone(), event.state.clone());
        let event = if specs.is_empty() {
            // Nobody to deliver to: the history takes the event itself.
            t.history.push_back(event);
            while t.history.len() > HISTORY_LEN {
                t.history.pop_front();
            }
            return;
        } else {
            t.history.push_back(event.clone());
            while t.history.len() > HISTORY_LEN {
                t.history.pop_front();
            }
            drop(topics);
            event
        };
        let (sync, async_specs): (Vec<_>, Vec<_>) = specs
            .into_iter()
            .partition(|s| !handlers::is_async(&s.kind));
        for s in &sync {
            if let Err(e) = handlers::deliver_sync(s, &event) {
                tracing::warn!(topic = %event.topic, handler = %s.id, error = %e, "alert handler failed");
            }
        }
        if !async_specs.is_empty() {
            match &*self.tx.lock() {
                Some(tx) => {
                    let _ = tx.send(Delivery::Alert(async_specs, Box::new(event)));
                }
                None => {
                    tracing::warn!(topic = %event.topic, "alert delivery is not running; event not sent to async handlers")
                }
            }
        }
    }

    /// Topic ids with their level and collected count.
    pub fn topics(&self) -> Vec<(String, Level, u64)> {
        self.topics
            .lock()
            .values()
            .map(|t| (t.id.clone(), t.level(), t.collected))
            .collect()
    }

    /// A topic by id.
    pub fn topic(&self, id: &str) -> Option<Topic> {
        self.topics.lock().get(id).cloned()
    }

    /// Deletes a topic with its events and handlers.
    pub fn delete_topic(&self, id: &str) -> Result<bool, String> {
        let _persist = self.persist.lock();
        self.dirty.lock().remove(id);
        let existed = self.topics.lock().remove(id).is_some();
        self.store.delete("topic", id)?;
        let removed = self.handlers.lock().remove(id);
        if let Some(hs) = &removed {
            for h in hs.keys() {
                self.store.delete("topic-handler", &handler_key(id, h))?;
            }
        }
        Ok(existed || removed.is_some())
    }

    /// Handler specs bound to a topic.
    pub fn handlers(&self, topic: &str) -> Vec<HandlerSpec> {
        self.handlers
            .lock()
            .get(topic)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Creates or replaces a handler spec of a topic (the topic is created if needed).
    pub fn put_handler(&self, topic: &str, spec: HandlerSpec) -> Result<(), String> {
        handlers::validate(&spec)?;
        let doc = serde_json::to_value(HandlerDoc {
            topic: topic.into(),
            handler: spec.clone(),
        })
        .map_err(|e| e.to_string())?;
        self.store
            .put("topic-handler", &handler_key(topic, &spec.id), &doc)?;
        self.handlers
            .lock()
            .entry(topic.into())
            .or_default()
            .insert(spec.id.clone(), spec);
        self.topics
            .lock()
            .entry(topic.into())
            .or_insert_with(|| Topic {
                id: topic.into(),
                ..Default::default()
            });
        Ok(())
    }

    /// Removes a handler spec; false when it did not exist.
    pub fn delete_handler(&self, topic: &str, id: &str) -> Result<bool, String> {
        let removed = self
            .handlers
            .lock()
            .get_mut(topic)
            .and_then(|m| m.remove(id))
            .is_some();
        if removed {
            self.store
                .delete("topic-handler", &handler_key(topic, id))?;
        }
        Ok(removed)
    }
}

impl Drop for AlertService {
    /// Saves what changed since the last flush.
    fn drop(&mut self) {
        self.flush();
    }
}

fn handler_key(topic: &str, id: &str) -> String {
    format!("{topic}\u{1f}{id}")
}

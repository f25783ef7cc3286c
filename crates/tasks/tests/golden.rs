//! Golden tests written from Kapacitor's documentation examples: input line
//! protocol, expected alerts and expected output points.

use std::sync::Arc;

use almanac_tasks::alert::service::AlertService;
use almanac_tasks::manager::{Dbrp, TaskRequest};
use almanac_tasks::model::{format_time, FieldValue, Point};
use almanac_tasks::{MemoryStore, PointWriter, Services, Store, TaskManager};
use parking_lot::Mutex;

const S: i64 = 1_000_000_000;

#[derive(Default)]
struct RecWriter {
    points: Mutex<Vec<(String, String, Point)>>,
}

impl PointWriter for RecWriter {
    fn write_points(&self, db: &str, rp: &str, points: &[Point]) -> Result<(), String> {
        let mut w = self.points.lock();
        for p in points {
            w.push((db.into(), rp.into(), p.clone()));
        }
        Ok(())
    }

    fn create_database(&self, _: &str) -> Result<(), String> {
        Ok(())
    }
}

struct Harness {
    manager: TaskManager,
    writer: Arc<RecWriter>,
    alerts: Arc<AlertService>,
    store: Arc<MemoryStore>,
}

fn harness_with(store: Arc<MemoryStore>) -> Harness {
    let writer = Arc::new(RecWriter::default());
    let alerts = Arc::new(AlertService::new(store.clone()).unwrap());
    let services = Arc::new(Services::new(writer.clone(), alerts.clone()));
    let manager = TaskManager::new(services, store.clone()).unwrap();
    Harness {
        manager,
        writer,
        alerts,
        store,
    }
}

fn harness() -> Harness {
    harness_with(Arc::new(MemoryStore::default()))
}

impl Harness {
    fn define(&self, id: &str, script: &str) {
        self.manager
            .create(TaskRequest {
                id: Some(id.into()),
                task_type: Some("stream".into()),
                dbrps: Some(vec![Dbrp {
                    db: "telegraf".into(),
                    rp: "autogen".into(),
                }]),
                script: Some(script.into()),
                status: Some("enabled".into()),
                ..Default::default()
            })
            .unwrap_or_else(|e| panic!("define {id}: {e}"));
    }

    /// Writes line protocol with second precision, fed as the storage
    /// engine feeds its writes: parsed rows (the node suites in
    /// nodes_golden.rs feed line-protocol text).
    fn write(&self, lp: &str) {
        let (rows, slots) =
            almanac_tasks::rows::parse_rows(lp.as_bytes(), almanac_lineproto::Precision::Second, 0)
                .unwrap();
        self.manager
            .feed_rows("telegraf", "autogen", rows.iter(), slots);
    }

    /// (id, level, message, duration in s) of every event sent to a topic.
    fn events(&self, topic: &str) -> Vec<(String, String, String, i64)> {
        self.alerts
            .topic(topic)
            .map(|t| {
                t.history
                    .iter()
                    .map(|e| {
                        (
                            e.id.clone(),
                            e.state.level.as_str().to_string(),
                            e.state.message.clone(),
                            e.state.duration / S,
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

fn ev(id: &str, level: &str, msg: &str, dur: i64) -> (String, String, String, i64) {
    (id.into(), level.into(), msg.into(), dur)
}

const CPU_INPUT: &str = "cpu,host=serverA,cpu=cpu-total usage_idle=90 1
cpu,host=serverA,cpu=cpu-total usage_idle=65 2
cpu,host=serverA,cpu=cpu-total usage_idle=60 3
cpu,host=serverA,cpu=cpu-total usage_idle=95 4
cpu,host=serverA,cpu=cpu-total usage_idle=96 5
";

#[test]
fn cpu_alert_sends_every_non_ok_event_and_the_recovery() {
    let h = harness();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("alerts.log");
    h.define(
        "cpu_alert",
        &format!(
            "stream
    |from()
        .measurement('cpu')
    |alert()
        .crit(lambda: int(\"usage_idle\") < 70)
        .log('{}')",
            log.display()
        ),
    );
    h.write(CPU_INPUT);
    assert_eq!(
        h.events("main:cpu_alert:alert2"),
        vec![
            ev("cpu:nil", "CRITICAL", "cpu:nil is CRITICAL", 0),
            ev("cpu:nil", "CRITICAL", "cpu:nil is CRITICAL", 1),
            ev("cpu:nil", "OK", "cpu:nil is OK", 2),
        ]
    );
    // The log handler writes Kapacitor's alert data, one JSON object per line.
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        lines[0],
        serde_json::json!({
            "id": "cpu:nil",
            "message": "cpu:nil is CRITICAL",
            "details": lines[0]["details"],
            "time": "1970-01-01T00:00:02Z",
            "duration": 0,
            "level": "CRITICAL",
            "data": {"series": [{"name": "cpu", "tags": {"cpu": "cpu-total", "host": "serverA"}, "columns": ["time", "usage_idle"], "values": [["1970-01-01T00:00:02Z", 65.0]]}]},
            "previousLevel": "OK",
            "recoverable": true,
        })
    );
    assert_eq!(lines[2]["previousLevel"], "CRITICAL");
    h.manager.delete("cpu_alert").unwrap();
    assert!(h.alerts.topic("main:cpu_alert:alert2").is_none());
    assert_eq!(lines[2]["duration"], 2 * S);
    // Default details: the template data as JSON.
    let details: serde_json::Value =
        serde_json::from_str(lines[0]["details"].as_str().unwrap()).unwrap();
    assert_eq!(details["TaskName"], "cpu_alert");
    assert_eq!(details["Level"], "CRITICAL");
}

#[test]
fn state_changes_only_and_templates() {
    let h = harness();
    h.define(
        "cpu_changes",
        "var crit = 70
stream
    |from()
        .measurement('cpu')
        .groupBy('host')
    |alert()
        .id('{{ .TaskName }}/{{ index .Tags \"host\" }}')
        .message('{{ .ID }} {{ .Level }} idle={{ index .Fields \"usage_idle\" | printf \"%.1f\" }} group={{ .Group }}')
        .crit(lambda: \"usage_idle\" < crit)
        .stateChangesOnly()
        .topic('cpu')",
    );
    h.write(CPU_INPUT);
    assert_eq!(
        h.events("cpu"),
        vec![
            ev(
                "cpu_changes/serverA",
                "CRITICAL",
                "cpu_changes/serverA CRITICAL idle=65.0 group=host=serverA",
                0
            ),
            ev(
                "cpu_changes/serverA",
                "OK",
                "cpu_changes/serverA OK idle=95.0 group=host=serverA",
                2
            ),
        ]
    );
}

#[test]
fn warn_crit_levels_and_resets() {
    let h = harness();
    h.define(
        "levels",
        "stream|from().measurement('m')
    |alert()
        .warn(lambda: \"v\" > 50)
        .crit(lambda: \"v\" > 90)
        .critReset(lambda: \"v\" < 80)
        .topic('levels')",
    );
    h.write("m v=60 1\nm v=95 2\nm v=85 3\nm v=70 4\nm v=10 5\n");
    let levels: Vec<String> = h.events("levels").into_iter().map(|e| e.1).collect();
    // 85 stays CRITICAL: the reset lambda (v < 80) is false.
    assert_eq!(levels, ["WARNING", "CRITICAL", "CRITICAL", "WARNING", "OK"]);
}

#[test]
fn deadman_fires_when_throughput_drops() {
    let h = harness();
    h.define(
        "deadman_test",
        "stream|from().measurement('cpu')|deadman(1.0, 10s).topic('dead')",
    );
    let tick = |t: i64| h.manager.tick(t * S);
    tick(100);
    h.write("cpu v=1 101\ncpu v=1 102\ncpu v=1 103\n");
    tick(110); // first count, no rate yet
    h.write("cpu v=1 111\ncpu v=1 112\n");
    tick(120); // 2 points / 10s: alive, OK → nothing sent
    tick(130); // 0 points: dead
    h.write("cpu v=1 131\ncpu v=1 132\ncpu v=1 133\ncpu v=1 134\n");
    tick(140); // 4 points: alive again
    let id = "node 'from1' in task 'deadman_test'";
    assert_eq!(
        h.events("dead"),
        vec![
            ev(
                id,
                "CRITICAL",
                &format!("{id} is dead: 0.000 points/10s."),
                0
            ),
            ev(id, "OK", &format!("{id} is alive: 4.000 points/10s."), 10),
        ]
    );
}

#[test]
fn rate_of_change_via_derivative() {
    let h = harness();
    h.define(
        "rate",
        "stream
    |from().measurement('net').groupBy('host')
    |derivative('bytes').unit(1s).nonNegative().as('rate')
    |alert()
        .crit(lambda: \"rate\" > 100.0)
        .message('{{ index .Tags \"host\" }} rate {{ index .Fields \"rate\" }}')
        .topic('net')",
    );
    h.write("net,host=a bytes=0i 0\nnet,host=a bytes=50i 1\nnet,host=a bytes=300i 2\nnet,host=a bytes=350i 3\nnet,host=a bytes=100i 4\nnet,host=a bytes=160i 5\n");
    assert_eq!(
        h.events("net"),
        vec![
            ev("net:host=a", "CRITICAL", "a rate 250", 0),
            ev("net:host=a", "OK", "a rate 50", 1)
        ]
    );
}

#[test]
fn top_n_per_window() {
    let h = harness();
    h.define(
        "top",
        "stream
    |from().measurement('cpu')
    |window().period(10s).every(10s).align()
    |top(2, 'usage', 'host')
    |httpOut('top')",
    );
    h.write(
        "cpu,host=a usage=10 1\ncpu,host=b usage=50 2\ncpu,host=c usage=30 3\ncpu,host=a usage=70 4\ncpu,host=b usage=20 5\ncpu,host=c usage=99 10\n",
    );
    let out = h.manager.http_out("top", "top").unwrap();
    assert_eq!(
        out,
        serde_json::json!({"series": [{"name": "cpu", "columns": ["time", "top"], "values": [
            ["1970-01-01T00:00:10Z", 50.0], ["1970-01-01T00:00:10Z", 70.0]
        ]}]})
    );
}

#[test]
fn downsampling_with_window_mean_and_influxdb_out() {
    let h = harness();
    h.define(
        "downsample",
        "stream
    |from().database('telegraf').measurement('cpu').groupBy(*)
    |window().period(1m).every(1m).align()
    |mean('usage_idle').as('usage_idle')
    |influxDBOut()
        .database('telegraf')
        .retentionPolicy('one_year')
        .measurement('cpu_1m')
        .tag('source', 'kapacitor')
        .precision('s')",
    );
    h.write(
        "cpu,host=a usage_idle=10 0\ncpu,host=b usage_idle=1 5\ncpu,host=a usage_idle=20 30\ncpu,host=a usage_idle=90 60\ncpu,host=b usage_idle=3 70\ncpu,host=a usage_idle=0 120\n",
    );
    let written: Vec<String> = h
        .writer
        .points
        .lock()
        .iter()
        .map(|(db, rp, p)| {
            format!(
                "{db}.{rp} {} {:?} {:?} {}",
                p.name,
                p.tags,
                p.fields,
                format_time(p.time)
            )
        })
        .collect();
    assert_eq!(
        written,
        [
            "telegraf.one_year cpu_1m {\"host\": \"a\", \"source\": \"kapacitor\"} {\"usage_idle\": Float(15.0)} 1970-01-01T00:01:00Z",
            "telegraf.one_year cpu_1m {\"host\": \"b\", \"source\": \"kapacitor\"} {\"usage_idle\": Float(1.0)} 1970-01-01T00:01:00Z",
            "telegraf.one_year cpu_1m {\"host\": \"a\", \"source\": \"kapacitor\"} {\"usage_idle\": Float(90.0)} 1970-01-01T00:02:00Z",
        ]
    );
}

#[test]
fn eval_default_delete_state_and_change_detect() {
    let h = harness();
    h.define(
        "transform",
        "stream
    |from().measurement('m')
    |default().field('v', 0.0).tag('dc', 'none')
    |where(lambda: \"dc\" != 'skip')
    |eval(lambda: \"v\" * 2.0, lambda: if(\"v\" > 5.0, 'high', 'low'))
        .as('double', 'band')
        .tags('band')
        .keep()
    |delete().field('v')
    |stateCount(lambda: \"double\" > 10.0)
    |changeDetect('state_count')
    |shift(1h)
    |influxDBOut().database('out')",
    );
    h.write("m v=1 1\nm,dc=skip v=100 2\nm v=6 3\nm v=7 4\nm x=1 5\nm v=1 6\n");
    let rows: Vec<String> = h
        .writer
        .points
        .lock()
        .iter()
        .map(|(_, _, p)| {
            let f: Vec<String> = p
                .fields
                .iter()
                .map(|(k, v)| match v {
                    FieldValue::Float(x) => format!("{k}={x}"),
                    FieldValue::Int(i) => format!("{k}={i}i"),
                    other => format!("{k}={other:?}"),
                })
                .collect();
            format!("{:?} {} {}", p.tags, f.join(","), p.time / S)
        })
        .collect();
    assert_eq!(
        rows,
        [
            "{\"band\": \"low\", \"dc\": \"none\"} double=2,state_count=-1i 3601",
            "{\"band\": \"high\", \"dc\": \"none\"} double=12,state_count=1i 3603",
            "{\"band\": \"high\", \"dc\": \"none\"} double=14,state_count=2i 3604",
            "{\"band\": \"low\", \"dc\": \"none\"} double=0,state_count=-1i,x=1 3605",
        ]
    );
}

#[test]
fn alert_state_survives_a_restart() {
    let store = Arc::new(MemoryStore::default());
    let script = "stream|from().measurement('cpu')|alert().crit(lambda: \"v\" > 90).stateChangesOnly().topic('t')";
    {
        let h = harness_with(store.clone());
        h.define("restart", script);
        h.write("cpu v=95 10\n");
        assert_eq!(h.events("t").len(), 1);
        assert_eq!(h.store.list("task").unwrap().len(), 1);
    }
    // A new manager over the same store: the task is running again and the
    // alert remembers it is CRITICAL (no new event for another high value).
    let h = harness_with(store);
    h.write("cpu v=99 20\ncpu v=10 30\n");
    let events = h.events("t");
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[1], ev("cpu:nil", "OK", "cpu:nil is OK", 20));
}

#[test]
fn task_errors_are_kapacitor_shaped() {
    let h = harness();
    let err = h
        .manager
        .create(TaskRequest {
            id: Some("bad".into()),
            script: Some(
                "stream|from()\n  .measurement('cpu')\n  |window().period(1m).bogus()".into(),
            ),
            dbrps: Some(vec![Dbrp {
                db: "d".into(),
                rp: "r".into(),
            }]),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid TICKscript: line 3 char 24: no method or property \"bogus\" on WindowNode"
    );
    let err = h
        .manager
        .create(TaskRequest {
            id: Some("nodb".into()),
            script: Some("stream|from()".into()),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "must provide at least one database and retention policy."
    );
    let err = h
        .manager
        .create(TaskRequest {
            id: Some("b".into()),
            script: Some("batch|query('SELECT 1')".into()),
            dbrps: Some(vec![Dbrp {
                db: "d".into(),
                rp: "r".into(),
            }]),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid TICKscript: line 1 char 7: query: period and every must be set"
    );
    let err = h
        .manager
        .create(TaskRequest {
            id: Some("j".into()),
            script: Some("stream|from()|k8sAutoscale()".into()),
            dbrps: Some(vec![Dbrp {
                db: "d".into(),
                rp: "r".into(),
            }]),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid TICKscript: line 1 char 15: not supported yet: k8sAutoscale node"
    );
}

#[test]
fn no_recoveries_level_tag_and_id_field() {
    let h = harness();
    h.define(
        "norec",
        "stream|from().measurement('m')
    |alert().crit(lambda: \"v\" > 1).noRecoveries().levelTag('level').idField('alert_id').durationField('dur').topic('nr')
    |influxDBOut().database('alerts')",
    );
    h.write("m v=5 1\nm v=0 2\nm v=7 3\n");
    let levels: Vec<String> = h.events("nr").into_iter().map(|e| e.1).collect();
    assert_eq!(levels, ["CRITICAL", "CRITICAL"]);
    let rows: Vec<String> = h
        .writer
        .points
        .lock()
        .iter()
        .map(|(_, _, p)| format!("{:?} {:?} {}", p.tags, p.fields.get("alert_id"), p.time / S))
        .collect();
    assert_eq!(
        rows,
        [
            "{\"level\": \"CRITICAL\"} Some(Str(\"m:nil\")) 1",
            "{\"level\": \"CRITICAL\"} Some(Str(\"m:nil\")) 3",
        ]
    );
}

#[test]
fn flapping_alerts_are_silenced() {
    let h = harness();
    h.define(
        "flap",
        "stream|from().measurement('m')|alert().crit(lambda: \"v\" > 1).flapping(0.25, 0.5).history(4).topic('f')",
    );
    // History of 4 levels, initially OK. The first CRITICAL is a single
    // change (weighted share 0.36 < 0.5): sent. The recovery makes it 0.67:
    // flapping, silent until the share drops below 0.25 (after three OKs).
    h.write("m v=5 1\nm v=0 2\nm v=5 3\nm v=0 4\nm v=5 5\nm v=0 6\nm v=0 7\nm v=0 8\n");
    let levels: Vec<String> = h.events("f").into_iter().map(|e| e.1).collect();
    assert_eq!(levels, ["CRITICAL"]);
    h.write("m v=0 9\nm v=5 10\n");
    let levels: Vec<String> = h.events("f").into_iter().map(|e| e.1).collect();
    assert_eq!(levels, ["CRITICAL", "CRITICAL"]);
}

#[test]
fn inhibited_alerts_are_not_sent() {
    let h = harness();
    h.define(
        "inhibitor",
        "stream|from().measurement('up')|alert().category('host_down').crit(lambda: \"up\" == 0).topic('hosts')",
    );
    h.define(
        "cpu",
        "stream|from().measurement('cpu')|alert().crit(lambda: \"v\" > 90).inhibit('host_down', 'host').topic('cpu')",
    );
    // One write per step: a write is fed to one task after the other.
    h.write("up,host=a up=0i 1\n");
    h.write("cpu,host=a v=95 2\ncpu,host=b v=95 3\n");
    h.write("up,host=a up=1i 4\n");
    h.write("cpu,host=a v=96 5\n");
    assert_eq!(h.events("hosts").len(), 2);
    let cpu: Vec<i64> = h
        .alerts
        .topic("cpu")
        .unwrap()
        .history
        .iter()
        .map(|e| e.state.time / S)
        .collect();
    // host=a at 2 is inhibited (its host is down); host=b at 3 is not; at 5 host=a is up again.
    assert_eq!(cpu, [3, 5]);
}

/// A querier answering from fixed rows, recording the queries it got.
struct FakeQuerier {
    seen: Mutex<Vec<almanac_tasks::nodes::query::BatchQuery>>,
}

impl almanac_tasks::engine::BatchQuerier for FakeQuerier {
    async fn query(
        &self,
        q: &almanac_tasks::nodes::query::BatchQuery,
    ) -> Result<Vec<almanac_tasks::model::Batch>, String> {
        self.seen.lock().push(q.clone());
        let mk = |host: &str, v: f64, t: i64| {
            let mut tags = almanac_tasks::model::Tags::new();
            tags.insert("host".into(), host.into());
            let mut fields = almanac_tasks::model::Fields::new();
            fields.insert("mean".into(), FieldValue::Float(v));
            Point::new("telegraf", "autogen", "cpu", tags, fields, t)
        };
        let batch = |host: &str, vals: &[(f64, i64)]| {
            let mut tags = almanac_tasks::model::Tags::new();
            tags.insert("host".into(), host.into());
            almanac_tasks::model::Batch {
                name: "cpu".into(),
                tags: Arc::new(tags),
                tmax: q.stop,
                dims: Arc::new(almanac_tasks::model::Dimensions {
                    tag_names: vec!["host".into()],
                    ..Default::default()
                }),
                points: vals.iter().map(|(v, t)| mk(host, *v, *t)).collect(),
            }
        };
        Ok(vec![
            batch("a", &[(10.0, q.start), (95.0, q.start + S)]),
            batch("b", &[(20.0, q.start), (30.0, q.start + S)]),
        ])
    }
}

#[tokio::test]
async fn batch_task_runs_queries_on_schedule() {
    let h = harness();
    h.manager
        .create(TaskRequest {
            id: Some("batch_cpu".into()),
            dbrps: Some(vec![Dbrp {
                db: "telegraf".into(),
                rp: "autogen".into(),
            }]),
            script: Some(
                "batch
    |query('SELECT mean(usage_idle) FROM \"telegraf\".\"autogen\".\"cpu\"')
        .period(2m)
        .every(1m)
        .align()
        .groupBy(time(1m), 'host')
    |max('mean')
    |alert().crit(lambda: \"max\" > 90).topic('batch')"
                    .into(),
            ),
            status: Some("enabled".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(h.manager.get("batch_cpu").unwrap().def.task_type, "batch");
    let q = FakeQuerier {
        seen: Mutex::new(Vec::new()),
    };
    h.manager.run_batches(&q, 90 * S).await; // schedules the first run at 120 s
    assert!(q.seen.lock().is_empty());
    h.manager.run_batches(&q, 121 * S).await;
    let seen = q.seen.lock().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!((seen[0].start, seen[0].stop), (0, 120 * S));
    assert_eq!(seen[0].group_by_time, Some(60 * S));
    let events = h.events("batch");
    assert_eq!(
        events,
        vec![ev("cpu:host=a", "CRITICAL", "cpu:host=a is CRITICAL", 0)]
    );
    // Stream writes do not reach batch tasks.
    h.write("cpu,host=a mean=99 1\n");
    assert_eq!(h.events("batch").len(), 1);
}

#[test]
fn templates_define_tasks_and_reload_them() {
    let h = harness();
    let t = h
        .manager
        .create_template(almanac_tasks::manager::TemplateRequest {
            id: Some("threshold".into()),
            task_type: None,
            script: Some(
                "var measurement string
var limit = 90.0
var topic = 'tpl'
stream|from().measurement(measurement)|alert().crit(lambda: \"v\" > limit).topic(topic)"
                    .into(),
            ),
        })
        .unwrap();
    assert_eq!(t.def.task_type, "stream");
    let vars: Vec<(String, String, serde_json::Value)> = t
        .vars
        .iter()
        .map(|(k, v)| (k.clone(), v.ty.clone(), v.value.clone()))
        .collect();
    assert_eq!(
        vars,
        vec![
            ("limit".into(), "float".into(), serde_json::json!(90.0)),
            (
                "measurement".into(),
                "string".into(),
                serde_json::Value::Null
            ),
            ("topic".into(), "string".into(), serde_json::json!("tpl")),
        ]
    );
    let mut vars = std::collections::BTreeMap::new();
    vars.insert(
        "measurement".to_string(),
        almanac_tasks::manager::VarDef {
            ty: "string".into(),
            value: "cpu".into(),
            description: String::new(),
        },
    );
    vars.insert(
        "limit".to_string(),
        almanac_tasks::manager::VarDef {
            ty: "float".into(),
            value: 50.0.into(),
            description: String::new(),
        },
    );
    h.manager
        .create(TaskRequest {
            id: Some("from_tpl".into()),
            template_id: Some("threshold".into()),
            dbrps: Some(vec![Dbrp {
                db: "telegraf".into(),
                rp: "autogen".into(),
            }]),
            vars: Some(vars),
            status: Some("enabled".into()),
            ..Default::default()
        })
        .unwrap();
    h.write("cpu v=60 1\nmem v=99 2\n");
    assert_eq!(h.events("tpl").len(), 1);
    // A task missing a declared var is refused.
    let err = h
        .manager
        .create(TaskRequest {
            id: Some("missing".into()),
            template_id: Some("threshold".into()),
            dbrps: Some(vec![Dbrp {
                db: "telegraf".into(),
                rp: "autogen".into(),
            }]),
            ..Default::default()
        })
        .unwrap_err();
    assert!(err.to_string().contains("measurement"), "{err}");
    // Updating the template reloads its tasks.
    h.manager
        .update_template(
            "threshold",
            almanac_tasks::manager::TemplateRequest {
                script: Some(
                    "var measurement string
var limit = 90.0
stream|from().measurement(measurement)|alert().crit(lambda: \"v\" > limit).topic('tpl2')"
                        .into(),
                ),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        h.manager.get_template("threshold").unwrap().tasks,
        vec!["from_tpl".to_string()]
    );
    h.write("cpu v=70 3\n");
    assert_eq!(h.events("tpl2").len(), 1);
    assert!(h
        .manager
        .get("from_tpl")
        .unwrap()
        .def
        .script
        .contains("tpl2"));
}

#[test]
fn join_computes_an_error_rate_and_union_merges() {
    let h = harness();
    h.define(
        "error_rate",
        "var errors = stream|from().measurement('errors').groupBy('service')
var requests = stream|from().measurement('requests').groupBy('service')
errors
    |join(requests)
        .as('errors', 'requests')
        .tolerance(1s)
    |eval(lambda: \"errors.value\" / \"requests.value\")
        .as('rate')
    |influxDBOut().database('out').measurement('error_rate')",
    );
    h.write(
        "errors,service=a value=1 10\nrequests,service=a value=10 10\nrequests,service=b value=4 10\nerrors,service=a value=3 20\nrequests,service=a value=30 20\nerrors,service=a value=5 30\nrequests,service=a value=7 40\nerrors,service=a value=1 40\n",
    );
    let rows: Vec<String> = h
        .writer
        .points
        .lock()
        .iter()
        .map(|(_, _, p)| {
            format!(
                "{} {:?} {:?} {}",
                p.name,
                p.tags,
                p.fields.get("rate"),
                p.time / S
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            "error_rate {\"service\": \"a\"} Some(Float(0.1)) 10",
            "error_rate {\"service\": \"a\"} Some(Float(0.1)) 20",
            format!(
                "error_rate {{\"service\": \"a\"}} Some(Float({:?})) 40",
                1.0f64 / 7.0
            )
            .as_str(),
        ]
    );

    let h = harness();
    h.define(
        "merged",
        "var a = stream|from().measurement('a')
var b = stream|from().measurement('b')
a|union(b).rename('ab')|httpOut('all')",
    );
    h.write("a v=1 1\nb v=2 2\nc v=3 3\n");
    let out = h.manager.http_out("merged", "all").unwrap();
    assert_eq!(
        out,
        serde_json::json!({"series": [{"name": "ab", "columns": ["time", "v"], "values": [["1970-01-01T00:00:02Z", 2.0]]}]})
    );
    let dot = h.manager.get("merged").unwrap().dot;
    assert!(
        dot.contains("from1 -> union3") && dot.contains("from2 -> union3"),
        "{dot}"
    );
}

#[test]
fn sample_by_count_and_by_time() {
    let h = harness();
    h.define(
        "by_count",
        "stream|from().measurement('m').groupBy('h')|sample(2)|influxDBOut().database('c')",
    );
    h.define(
        "by_time",
        "stream|from().measurement('n')|sample(10s)|influxDBOut().database('t')",
    );
    h.write("m,h=a v=1 1\nm,h=b v=2 2\nm,h=a v=3 3\nm,h=a v=4 4\nm,h=b v=5 5\n");
    h.write("n v=1 1\nn v=2 5\nn v=3 10\nn v=4 19\nn v=5 20\n");
    let mut rows: Vec<String> = h
        .writer
        .points
        .lock()
        .iter()
        .map(|(db, _, p)| format!("{db} {} {}", p.name, p.time / S))
        .collect();
    rows.sort();
    assert_eq!(
        rows,
        ["c m 1", "c m 2", "c m 4", "t n 1", "t n 10", "t n 20"]
    );
}

#[test]
fn flatten_merges_points_of_a_time() {
    let h = harness();
    h.define(
        "flat",
        "stream|from().measurement('req').groupBy('dc')|flatten().on('service', 'host').tolerance(1s)|influxDBOut().database('f')",
    );
    h.write(
        "req,dc=x,service=api,host=a n=1 10\nreq,dc=x,service=web,host=b n=2 10\nreq,dc=x,service=api,host=a n=3 20\nreq,dc=x,service=api,host=a n=4 30\n",
    );
    let rows: Vec<String> = h
        .writer
        .points
        .lock()
        .iter()
        .map(|(_, _, p)| format!("{:?} {:?} {}", p.tags, p.fields, p.time / S))
        .collect();
    assert_eq!(
        rows,
        [
            "{\"dc\": \"x\"} {\"api.a.n\": Float(1.0), \"web.b.n\": Float(2.0)} 10",
            "{\"dc\": \"x\"} {\"api.a.n\": Float(3.0)} 20",
        ]
    );
}

#[test]
fn kapacitor_loopback_feeds_other_tasks() {
    let h = harness();
    h.define(
        "producer",
        "stream|from().measurement('cpu')|eval(lambda: \"v\" * 2.0).as('double')|kapacitorLoopback().database('telegraf').retentionPolicy('autogen').measurement('cpu2').tag('via', 'loop')",
    );
    h.define(
        "consumer",
        "stream|from().measurement('cpu2')|influxDBOut().database('out')",
    );
    h.write("cpu v=2 1\n");
    let rows: Vec<String> = h
        .writer
        .points
        .lock()
        .iter()
        .map(|(_, _, p)| format!("{} {:?} {:?}", p.name, p.tags, p.fields))
        .collect();
    assert_eq!(rows, ["cpu2 {\"via\": \"loop\"} {\"double\": Float(4.0)}"]);
}

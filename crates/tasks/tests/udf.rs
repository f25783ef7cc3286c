//! UDFs end to end inside the crate: an in-test agent speaking Kapacitor's
//! UDF protocol over a unix socket (round trip, type checks, snapshot and
//! restore, crash, keepalive timeout, failed init), the Python example
//! over a child process, and the built-in anomaly detectors before `alert`.

use std::io::BufReader;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use almanac_tasks::alert::service::AlertService;
use almanac_tasks::manager::{Dbrp, TaskRequest};
use almanac_tasks::model::{FieldValue, Point};
use almanac_tasks::udf::codec::{read_message, write_message};
use almanac_tasks::udf::proto::{self, request, response, EdgeType, ValueType};
use almanac_tasks::udf::registry::fetch_info;
use almanac_tasks::udf::{registry, FunctionConfig, Transport, UdfConfig};
use almanac_tasks::{MemoryStore, PointWriter, Services, TaskManager};
use parking_lot::Mutex;

const S: i64 = 1_000_000_000;

#[derive(Default)]
struct RecWriter {
    points: Mutex<Vec<Point>>,
}

impl PointWriter for RecWriter {
    fn write_points(&self, _: &str, _: &str, points: &[Point]) -> Result<(), String> {
        self.points.lock().extend_from_slice(points);
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
    services: Arc<Services>,
    store: Arc<MemoryStore>,
}

fn harness() -> Harness {
    harness_over(Arc::new(MemoryStore::default()))
}

/// A manager over `store` (a second one over the same store is the server
/// after a restart).
fn harness_over(store: Arc<MemoryStore>) -> Harness {
    let writer = Arc::new(RecWriter::default());
    let alerts = Arc::new(AlertService::new(store.clone()).unwrap());
    let services = Arc::new(Services::new(writer.clone(), alerts.clone()));
    Harness {
        manager: TaskManager::new(services.clone(), store.clone()).unwrap(),
        writer,
        alerts,
        services,
        store,
    }
}

impl Harness {
    fn define(&self, id: &str, script: &str) -> Result<(), String> {
        self.manager
            .create(TaskRequest {
                id: Some(id.into()),
                task_type: Some("stream".into()),
                dbrps: Some(vec![Dbrp {
                    db: "db".into(),
                    rp: "autogen".into(),
                }]),
                script: Some(script.into()),
                status: Some("enabled".into()),
                ..Default::default()
            })
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn set_status(&self, id: &str, status: &str) {
        self.manager
            .update(
                id,
                TaskRequest {
                    status: Some(status.into()),
                    ..Default::default()
                },
            )
            .unwrap();
    }

    fn write(&self, lp: &str) {
        self.manager
            .feed_line_protocol("db", "autogen", lp.as_bytes(), S, 0)
            .unwrap();
    }

    /// Ticks until `done` holds (UDF answers arrive asynchronously); panics after 10 s.
    fn wait_for(&self, what: &str, done: impl Fn(&Harness) -> bool) {
        let start = Instant::now();
        while !done(self) {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "timed out waiting for {what}"
            );
            std::thread::sleep(Duration::from_millis(10));
            self.manager.tick(0);
        }
    }

    fn outputs(&self, field: &str) -> Vec<(i64, f64)> {
        self.writer
            .points
            .lock()
            .iter()
            .filter_map(|p| {
                p.fields
                    .get(field)
                    .and_then(FieldValue::as_f64)
                    .map(|v| (p.time / S, v))
            })
            .collect()
    }

    fn error(&self, id: &str) -> String {
        self.manager.get(id).unwrap().error
    }
}

/// How the in-test agent misbehaves.
#[derive(Clone, Copy)]
enum Mode {
    Normal,
    /// Closes the connection on the n-th point.
    CloseAt(u64),
    /// Never answers keepalives.
    IgnoreKeepalive,
}

/// A "scale" UDF: multiplies `.field()` by `.factor()` and adds `seen`, the
/// number of points it has seen (which snapshots and restores carry).
fn spawn_agent(dir: &Path, name: &str, mode: Mode) -> PathBuf {
    let path = dir.join(format!("{name}.sock"));
    let listener = UnixListener::bind(&path).unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(c) = conn else { return };
            std::thread::spawn(move || serve(c, mode));
        }
    });
    path
}

fn serve(c: UnixStream, mode: Mode) {
    use response::Message as R;
    let mut r = BufReader::new(c.try_clone().unwrap());
    let mut w = c;
    let (mut factor, mut field, mut seen) = (1.0, String::new(), 0u64);
    while let Ok(Some(req)) = read_message::<proto::Request, _>(&mut r) {
        let reply = match req.message {
            Some(request::Message::Info(_)) => Some(R::Info(proto::InfoResponse {
                wants: EdgeType::Stream as i32,
                provides: EdgeType::Stream as i32,
                options: [("factor", ValueType::Double), ("field", ValueType::String)]
                    .into_iter()
                    .map(|(k, t)| {
                        (
                            k.to_string(),
                            proto::OptionInfo {
                                value_types: vec![t as i32],
                            },
                        )
                    })
                    .collect(),
            })),
            Some(request::Message::Init(i)) => {
                for o in i.options {
                    match (o.name.as_str(), o.values[0].value.clone()) {
                        ("factor", Some(proto::option_value::Value::DoubleValue(f))) => factor = f,
                        ("field", Some(proto::option_value::Value::StringValue(s))) => field = s,
                        _ => {}
                    }
                }
                let ok = factor >= 0.0;
                Some(R::Init(proto::InitResponse {
                    success: ok,
                    error: if ok {
                        String::new()
                    } else {
                        "factor must be >= 0".into()
                    },
                }))
            }
            Some(request::Message::Keepalive(k)) => match mode {
                Mode::IgnoreKeepalive => None,
                _ => Some(R::Keepalive(proto::KeepaliveResponse { time: k.time })),
            },
            Some(request::Message::Snapshot(_)) => Some(R::Snapshot(proto::SnapshotResponse {
                snapshot: seen.to_string().into_bytes(),
            })),
            Some(request::Message::Restore(r)) => {
                seen = String::from_utf8_lossy(&r.snapshot).parse().unwrap_or(0);
                Some(R::Restore(proto::RestoreResponse {
                    success: true,
                    error: String::new(),
                }))
            }
            Some(request::Message::Point(mut p)) => {
                seen += 1;
                if matches!(mode, Mode::CloseAt(n) if n == seen) {
                    return;
                }
                if let Some(v) = p.fields_double.get_mut(&field) {
                    *v *= factor;
                }
                p.fields_int.insert("seen".into(), seen as i64);
                Some(R::Point(p))
            }
            _ => Some(R::Error(proto::ErrorResponse {
                error: "scale wants a stream".into(),
            })),
        };
        if let Some(m) = reply {
            if write_message(&mut w, &proto::response(m)).is_err() {
                return;
            }
        }
    }
}

fn install_socket(dir: &Path, name: &str, mode: Mode, timeout: Duration) {
    let path = spawn_agent(dir, name, mode);
    registry().install(fetch_info(name, Transport::Socket(path), timeout).unwrap());
}

#[test]
fn socket_udf_round_trip_snapshot_and_restore() {
    let dir = tempfile::tempdir().unwrap();
    install_socket(dir.path(), "scaleA", Mode::Normal, Duration::from_secs(10));
    let h = harness();
    h.define(
        "t",
        "stream|from().measurement('m')@scaleA().field('v').factor(2.5)|influxDBOut().database('out')",
    )
    .unwrap();
    h.write("m,host=a v=1 1\nm,host=a v=2 2\nm,host=b v=4 3\n");
    h.wait_for("three scaled points", |h| h.outputs("v").len() == 3);
    assert_eq!(h.outputs("v"), [(1, 2.5), (2, 5.0), (3, 10.0)]);
    assert_eq!(h.outputs("seen"), [(1, 1.0), (2, 2.0), (3, 3.0)]);
    let p = h.writer.points.lock()[2].clone();
    assert_eq!(p.tags["host"], "b");
    let info = h.manager.get("t").unwrap();
    assert!(info.executing && info.error.is_empty());
    assert!(info.dot.contains("scaleA2 ["), "{}", info.dot);
    assert!(info.dot.contains("points_received=\"3\""), "{}", info.dot);

    // Stopping the task snapshots the UDF; starting it again restores it.
    h.set_status("t", "disabled");
    let start = Instant::now();
    let snapshot = || h.services.udf_snapshots.get("t", "scaleA2");
    while snapshot().is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no snapshot taken"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(snapshot().unwrap(), b"3");
    h.set_status("t", "enabled");
    h.write("m,host=a v=10 4\n");
    h.wait_for("the fourth point", |h| h.outputs("v").len() == 4);
    assert_eq!(h.outputs("seen")[3], (4, 4.0));

    // The snapshot is in the task store: a restarted server (a new manager
    // over the same store) restores it.
    h.set_status("t", "disabled");
    let start = Instant::now();
    while snapshot().unwrap() != b"4" {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no second snapshot"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let restarted = harness_over(h.store.clone());
    restarted.set_status("t", "enabled");
    restarted.write("m,host=a v=1 5\n");
    restarted.wait_for("a point after the restart", |h| h.outputs("v").len() == 1);
    assert_eq!(restarted.outputs("seen"), [(5, 5.0)]);

    // Deleting the task deletes its snapshots.
    restarted.manager.delete("t").unwrap();
    assert_eq!(restarted.services.udf_snapshots.get("t", "scaleA2"), None);
}

#[test]
fn options_are_type_checked_at_define_time() {
    let dir = tempfile::tempdir().unwrap();
    install_socket(dir.path(), "scaleB", Mode::Normal, Duration::from_secs(10));
    let h = harness();
    let e = h
        .define("bad1", "stream|from()\n  @scaleB()\n    .factor(2)")
        .unwrap_err();
    assert_eq!(
        e,
        "invalid TICKscript: line 3 char 13: unexpected arg to factor, got INT expected DOUBLE"
    );
    let e = h
        .define("bad2", "stream|from()@scaleB().size(2)")
        .unwrap_err();
    assert_eq!(
        e,
        "invalid TICKscript: line 1 char 24: no option \"size\" on UDF @scaleB (options: factor, field)"
    );
    let e = h
        .define("bad3", "stream|from()@scaleB().field('a', 'b')")
        .unwrap_err();
    assert_eq!(
        e,
        "invalid TICKscript: line 1 char 24: unexpected number of args to field, got 2 expected 1"
    );
    let e = h
        .define(
            "bad4",
            "stream|from()|window().period(1m).every(1m)@scaleB()",
        )
        .unwrap_err();
    assert_eq!(
        e,
        "invalid TICKscript: line 1 char 45: cannot add child mismatched edges: window2:batch -> scaleB:stream"
    );
    let e = h.define("bad5", "stream|from()@nosuch()").unwrap_err();
    assert_eq!(
        e,
        "invalid TICKscript: line 1 char 15: no UDF named \"nosuch\" (configure it in [udf.functions.nosuch])"
    );
    assert!(h.manager.list().is_empty());
}

#[test]
fn crashed_udf_fails_the_task() {
    let dir = tempfile::tempdir().unwrap();
    install_socket(
        dir.path(),
        "scaleC",
        Mode::CloseAt(2),
        Duration::from_secs(10),
    );
    let h = harness();
    h.define(
        "c",
        "stream|from()@scaleC().field('v')|influxDBOut().database('out')",
    )
    .unwrap();
    h.write("m v=1 1\nm v=2 2\n");
    h.wait_for("the task error", |h| !h.error("c").is_empty());
    let info = h.manager.get("c").unwrap();
    assert_eq!(info.error, "scaleC2: UDF scaleC: the UDF closed its output");
    assert!(!info.executing);
    // Later points are refused by the failed node, nothing panics.
    h.write("m v=3 3\n");
    h.manager.tick(0);
    assert_eq!(h.outputs("v"), [(1, 1.0)]);
}

#[test]
fn unanswered_keepalive_fails_the_task() {
    let dir = tempfile::tempdir().unwrap();
    install_socket(
        dir.path(),
        "scaleD",
        Mode::IgnoreKeepalive,
        Duration::from_millis(200),
    );
    let h = harness();
    h.define(
        "k",
        "stream|from()@scaleD().field('v')|influxDBOut().database('out')",
    )
    .unwrap();
    h.wait_for("the keepalive error", |h| !h.error("k").is_empty());
    assert_eq!(
        h.error("k"),
        "scaleD2: UDF scaleD: keepalive timedout, last keepalive received was: never"
    );
}

#[test]
fn failed_init_fails_the_task() {
    let dir = tempfile::tempdir().unwrap();
    install_socket(dir.path(), "scaleE", Mode::Normal, Duration::from_secs(10));
    let h = harness();
    h.define(
        "i",
        "stream|from()@scaleE().factor(-1.0)|influxDBOut().database('out')",
    )
    .unwrap();
    h.wait_for("the init error", |h| !h.error("i").is_empty());
    assert_eq!(
        h.error("i"),
        "scaleE2: UDF scaleE: init failed: factor must be >= 0"
    );
}

#[test]
fn unavailable_udf_says_why() {
    let mut config = UdfConfig::default();
    config.functions.insert(
        "ghost".into(),
        FunctionConfig {
            prog: "/nonexistent/udf".into(),
            ..Default::default()
        },
    );
    let errors = registry().load(&config);
    assert_eq!(errors.len(), 1);
    let e = harness().define("g", "stream|from()@ghost()").unwrap_err();
    assert!(
        e.starts_with("invalid TICKscript: line 1 char 15: UDF \"ghost\" is unavailable: UDF ghost: starting \"/nonexistent/udf\""),
        "{e}"
    );
}

#[test]
fn python_example_over_a_child_process() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/udf/moving_avg.py");
    let mut config = UdfConfig::default();
    config.functions.insert(
        "pyAvg".into(),
        FunctionConfig {
            prog: "python3".into(),
            args: vec!["-u".into(), script.display().to_string()],
            timeout: Some("5s".into()),
            ..Default::default()
        },
    );
    assert_eq!(registry().load(&config), Vec::<String>::new());
    let h = harness();
    h.define(
        "py",
        "stream|from().measurement('m').groupBy('host')@pyAvg().field('v').size(2).as('avg')|influxDBOut().database('out')",
    )
    .unwrap();
    h.write("m,host=a v=1 1\nm,host=b v=10 2\nm,host=a v=2 3\nm,host=a v=4i 4\nm,host=b v=20 5\n");
    h.wait_for("three averages", |h| h.outputs("avg").len() == 3);
    assert_eq!(h.outputs("avg"), [(3, 1.5), (4, 3.0), (5, 15.0)]);
    let p = h.writer.points.lock()[2].clone();
    assert_eq!(p.tags["host"], "b");
    assert_eq!(p.fields.len(), 1);
    let e = h.define(
        "py2",
        "stream|from()@pyAvg().field('v').size(0)|influxDBOut().database('out')",
    );
    e.unwrap();
    h.wait_for("the init error", |h| !h.error("py2").is_empty());
    assert_eq!(
        h.error("py2"),
        "pyAvg2: UDF pyAvg: init failed: size must be > 0, got 0"
    );
}

#[test]
fn anomaly_detector_before_alert() {
    let h = harness();
    h.define(
        "anom",
        "stream|from().measurement('lat')@mad().field('ms').size(6)
    |alert().id('lat').crit(lambda: \"is_anomaly\").message('{{ .Level }} {{ index .Fields \"ms\" }}').topic('anom')",
    )
    .unwrap();
    let values = [20.0, 21.0, 19.0, 22.0, 20.0, 21.0, 20.5, 95.0, 21.0, 20.0];
    let lp: String = values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("lat ms={v} {}\n", i + 1))
        .collect();
    h.write(&lp);
    let events: Vec<(String, String)> = h
        .alerts
        .topic("anom")
        .unwrap()
        .history
        .iter()
        .map(|e| (e.state.level.as_str().to_string(), e.state.message.clone()))
        .collect();
    assert_eq!(
        events,
        [
            ("CRITICAL".to_string(), "CRITICAL 95".to_string()),
            ("OK".to_string(), "OK 21".to_string())
        ]
    );
}

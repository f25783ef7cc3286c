//! Golden tests of the nodes added for issue 8 (combine, barrier, count
//! windows, holtWinters, sideload, join on/batches, batch cron): input line
//! protocol, a script, and the exact points it writes.

use std::sync::Arc;

use almanac_tasks::alert::service::AlertService;
use almanac_tasks::manager::{Dbrp, TaskRequest};
use almanac_tasks::model::Point;
use almanac_tasks::{MemoryStore, PointWriter, Services, TaskManager};
use parking_lot::Mutex;

const S: i64 = 1_000_000_000;

#[derive(Default)]
struct RecWriter {
    points: Mutex<Vec<Point>>,
}

impl PointWriter for RecWriter {
    fn write_points(&self, _: &str, _: &str, points: &[Point]) -> Result<(), String> {
        self.points.lock().extend(points.iter().cloned());
        Ok(())
    }

    fn create_database(&self, _: &str) -> Result<(), String> {
        Ok(())
    }
}

struct Harness {
    manager: TaskManager,
    writer: Arc<RecWriter>,
}

fn harness() -> Harness {
    let store = Arc::new(MemoryStore::default());
    let writer = Arc::new(RecWriter::default());
    let alerts = Arc::new(AlertService::new(store.clone()).unwrap());
    let services = Arc::new(Services::new(writer.clone(), alerts));
    Harness {
        manager: TaskManager::new(services, store).unwrap(),
        writer,
    }
}

impl Harness {
    fn try_define(&self, id: &str, kind: &str, script: &str) -> Result<(), String> {
        self.manager
            .create(TaskRequest {
                id: Some(id.into()),
                task_type: Some(kind.into()),
                dbrps: Some(vec![Dbrp {
                    db: "telegraf".into(),
                    rp: "autogen".into(),
                }]),
                script: Some(script.into()),
                status: Some("enabled".into()),
                ..Default::default()
            })
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn define(&self, id: &str, script: &str) {
        self.try_define(id, "stream", script)
            .unwrap_or_else(|e| panic!("define {id}: {e}"));
    }

    /// Writes line protocol with second precision.
    fn write(&self, lp: &str) {
        self.manager
            .feed_accepted_lines("telegraf", "autogen", lp.as_bytes(), S, 0)
            .unwrap();
    }

    /// Written points as `name tags fields time(s)`.
    fn rows(&self) -> Vec<String> {
        self.writer
            .points
            .lock()
            .iter()
            .map(|p| format!("{} {:?} {:?} {}", p.name, p.tags, p.fields, p.time / S))
            .collect()
    }
}

#[test]
fn combine_pairs_points_of_a_time() {
    let h = harness();
    h.define(
        "combine",
        "stream
    |from().measurement('request_latency')
    |combine(lambda: \"service\" == 'login', lambda: TRUE)
        .as('login', 'other')
        .tolerance(1s)
    |influxDBOut().database('out')",
    );
    h.write(
        "request_latency,service=login value=10 10\nrequest_latency,service=cart value=20 10\nrequest_latency,service=auth value=30 10\nrequest_latency,service=login value=1 20\n",
    );
    assert_eq!(
        h.rows(),
        [
            "request_latency {\"login.service\": \"login\", \"other.service\": \"cart\"} {\"login.value\": Float(10.0), \"other.value\": Float(20.0)} 10",
            "request_latency {\"login.service\": \"login\", \"other.service\": \"auth\"} {\"login.value\": Float(10.0), \"other.value\": Float(30.0)} 10",
        ]
    );
    // Group dimensions keep their names; .max() caps the combinations.
    let h = harness();
    h.define(
        "triples",
        "stream|from().measurement('m').groupBy('dc')|combine(lambda: TRUE, lambda: TRUE, lambda: TRUE).as('a', 'b', 'c').delimiter('_').max(3)|influxDBOut().database('out')",
    );
    h.write("m,dc=x,h=1 v=1 1\nm,dc=x,h=2 v=2 1\nm,dc=x,h=3 v=3 1\nm,dc=x,h=4 v=4 1\nm,dc=x,h=1 v=9 2\nm,dc=x,h=1 v=1 3\n");
    // 4 points choose 3 = 4 > max 3: nothing for t=1; one point at t=2: nothing.
    assert!(h.rows().is_empty(), "{:?}", h.rows());
    h.write("m,dc=x,h=1 v=1 4\nm,dc=x,h=2 v=2 4\nm,dc=x,h=3 v=3 4\nm,dc=x,h=1 v=1 5\n");
    assert_eq!(
        h.rows(),
        ["m {\"a_h\": \"1\", \"b_h\": \"2\", \"c_h\": \"3\", \"dc\": \"x\"} {\"a_v\": Float(1.0), \"b_v\": Float(2.0), \"c_v\": Float(3.0)} 4"]
    );
    let err = harness()
        .try_define(
            "bad",
            "stream",
            "stream|from()|combine(lambda: TRUE, lambda: TRUE).as('a.x', 'b')",
        )
        .unwrap_err();
    assert!(err.contains("cannot use name a.x as field prefix"), "{err}");
}

#[test]
fn count_windows_emit_every_n_points() {
    let h = harness();
    h.define(
        "counted",
        "stream|from().measurement('c')|window().periodCount(3).everyCount(2)|sum('v')|influxDBOut().database('out')",
    );
    h.write("c v=1 1\nc v=2 2\nc v=3 3\nc v=4 4\nc v=5 5\n");
    assert_eq!(
        h.rows(),
        [
            "c {} {\"sum\": Float(3.0)} 2",
            "c {} {\"sum\": Float(9.0)} 4",
        ]
    );
    let h = harness();
    h.define(
        "filled",
        "stream|from().measurement('c')|window().periodCount(3).everyCount(1).fillPeriod()|sum('v')|influxDBOut().database('out')",
    );
    h.write("c v=1 1\nc v=2 2\nc v=3 3\nc v=4 4\n");
    assert_eq!(
        h.rows(),
        [
            "c {} {\"sum\": Float(6.0)} 3",
            "c {} {\"sum\": Float(9.0)} 4",
        ]
    );
    let err = harness()
        .try_define("bad", "stream", "stream|from()|window().periodCount(3)")
        .unwrap_err();
    assert!(
        err.contains("everyCount must be greater than zero"),
        "{err}"
    );
    let err = harness()
        .try_define(
            "bad",
            "stream",
            "stream|from()|window().period(1s).periodCount(3).everyCount(1)",
        )
        .unwrap_err();
    assert!(
        err.contains("cannot specify both period and periodCount"),
        "{err}"
    );
}

#[test]
fn every_zero_windows_emit_on_each_point() {
    let h = harness();
    h.define(
        "sliding",
        "stream|from().measurement('c')|window().period(2s).every(0s)|sum('v')|influxDBOut().database('out')",
    );
    h.write("c v=1 1\nc v=2 2\nc v=3 3\n");
    assert_eq!(
        h.rows(),
        [
            "c {} {\"sum\": Float(1.0)} 1",
            "c {} {\"sum\": Float(3.0)} 2",
            "c {} {\"sum\": Float(5.0)} 3",
        ]
    );
}

#[test]
fn idle_barrier_closes_windows_when_data_stops() {
    let h = harness();
    h.define(
        "idle",
        "stream|from().measurement('m').groupBy('host')|barrier().idle(2s)|window().period(10s).every(10s)|count('v')|influxDBOut().database('out')",
    );
    h.write("m,host=a v=1 1\nm,host=a v=2 2\nm,host=a v=3 3\n");
    assert!(h.rows().is_empty());
    h.manager.tick(100 * S);
    h.manager.tick(101 * S);
    assert!(h.rows().is_empty(), "idle for 1s only");
    h.manager.tick(102 * S);
    assert_eq!(h.rows(), ["m {\"host\": \"a\"} {\"count\": Int(3)} 11"]);
    // Points older than the barrier are dropped.
    h.write("m,host=a v=4 50\n");
    h.manager.tick(200 * S);
    h.manager.tick(203 * S);
    assert_eq!(h.rows().len(), 1, "{:?}", h.rows());

    let h = harness();
    h.define(
        "periodic",
        "stream|from().measurement('m')|barrier().period(5s).delete(TRUE)|window().period(10s).every(10s)|count('v')|influxDBOut().database('out')",
    );
    h.write("m v=1 1000000\nm v=2 1000001\n");
    h.manager.tick(1_000_000 * S);
    h.manager.tick(1_000_004 * S);
    assert!(h.rows().is_empty());
    h.manager.tick(1_000_010 * S);
    assert_eq!(h.rows(), ["m {} {\"count\": Int(2)} 1000010"]);
    // The group was deleted: new data starts a new window.
    h.write("m v=3 1000020\nm v=4 1000031\n");
    assert_eq!(h.rows().len(), 2, "{:?}", h.rows());
    assert!(h.rows()[1].ends_with("Int(1)} 1000030"), "{:?}", h.rows());
    let err = harness()
        .try_define("bad", "stream", "stream|from()|barrier()")
        .unwrap_err();
    assert!(err.contains("idle must be greater than zero"), "{err}");
}

#[test]
fn join_on_a_subset_of_the_dimensions() {
    let h = harness();
    h.define(
        "on",
        "var maintlock = stream|from().measurement('maintlock').groupBy('service')
var requests = stream|from().measurement('requests').groupBy('service', 'host')
requests
    |join(maintlock)
        .as('requests', 'maintlock')
        .on('service')
    |influxDBOut().database('out')",
    );
    h.write(
        "requests,service=api,host=a v=5 10\nrequests,service=api,host=b v=7 10\nmaintlock,service=api lock=1 10\nrequests,service=web,host=c v=1 10\n",
    );
    h.write("requests,service=api,host=a v=6 20\nmaintlock,service=api lock=0 20\n");
    assert_eq!(
        h.rows(),
        [
            "requests {\"host\": \"a\", \"service\": \"api\"} {\"maintlock.lock\": Float(1.0), \"requests.v\": Float(5.0)} 10",
            "requests {\"host\": \"b\", \"service\": \"api\"} {\"maintlock.lock\": Float(1.0), \"requests.v\": Float(7.0)} 10",
            "requests {\"host\": \"a\", \"service\": \"api\"} {\"maintlock.lock\": Float(0.0), \"requests.v\": Float(6.0)} 20",
        ]
    );
}

/// Answers each batch query from fixed batches chosen by its measurement.
struct FakeQuerier;

impl almanac_tasks::engine::BatchQuerier for FakeQuerier {
    async fn query(
        &self,
        q: &almanac_tasks::nodes::query::BatchQuery,
    ) -> Result<Vec<almanac_tasks::model::Batch>, String> {
        use almanac_tasks::model::{Batch, Dimensions, FieldValue, Fields, Tags};
        let (name, values): (&str, &[f64]) = if q.query.contains("errors") {
            ("errors", &[1.0, 2.0])
        } else {
            ("requests", &[10.0, 20.0, 40.0])
        };
        let mut tags = Tags::new();
        tags.insert("service".into(), "a".into());
        let points = values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let mut fields = Fields::new();
                fields.insert("sum".into(), FieldValue::Float(*v));
                Point::new(
                    "telegraf",
                    "autogen",
                    name,
                    tags.clone(),
                    fields,
                    q.start + i as i64 * 10 * S,
                )
            })
            .collect();
        Ok(vec![Batch {
            name: name.into(),
            tags: Arc::new(tags.clone()),
            tmax: q.stop,
            dims: Arc::new(Dimensions {
                tag_names: vec!["service".into()],
                ..Default::default()
            }),
            points,
        }])
    }
}

#[tokio::test]
async fn join_of_batches_matches_points_by_time() {
    let h = harness();
    h.try_define(
        "rates",
        "batch",
        "var errors = batch|query('SELECT sum(value) FROM errors').period(1m).every(1m).groupBy(time(10s), 'service')
var requests = batch|query('SELECT sum(value) FROM requests').period(1m).every(1m).groupBy(time(10s), 'service')
errors
    |join(requests)
        .as('errors', 'requests')
        .fill(0.0)
    |eval(lambda: \"errors.sum\" / \"requests.sum\")
        .as('rate')
    |influxDBOut().database('out').measurement('rate')",
    )
    .unwrap();
    h.manager.run_batches(&FakeQuerier, 30 * S).await;
    h.manager.run_batches(&FakeQuerier, 90 * S).await;
    assert_eq!(
        h.rows(),
        [
            "rate {\"service\": \"a\"} {\"rate\": Float(0.1)} 30",
            "rate {\"service\": \"a\"} {\"rate\": Float(0.1)} 40",
            "rate {\"service\": \"a\"} {\"rate\": Float(0.0)} 50",
        ]
    );
}

/// Field `v` of measurement `m`, one value a minute (the series the
/// InfluxQL executor's holt_winters tests compare with influxd 1.6.7).
const M_V: [f64; 30] = [
    10.0, 14.771, 18.027, 15.216, 14.125, 12.246, 7.442, 8.438, 11.744, 12.784, 17.535, 20.741,
    17.873, 16.745, 14.868, 10.102, 11.154, 14.509, 15.568, 20.298, 23.453, 20.529, 19.366, 17.49,
    12.762, 13.872, 17.276, 18.352, 23.06, 26.164,
];

#[test]
fn holt_winters_forecasts_like_influxql() {
    let h = harness();
    h.define(
        "forecast",
        "stream|from().measurement('m')|window().period(30m).every(30m)|holtWinters('v', 5, 0, 1m)|influxDBOut().database('out')",
    );
    h.define(
        "fit",
        "stream|from().measurement('m')|window().period(30m).every(30m)|holtWintersWithFit('v', 2, 0, 1m).as('hw')|influxDBOut().database('fit')",
    );
    let lp: String = M_V
        .iter()
        .enumerate()
        .map(|(k, v)| format!("m v={v} {}\n", k * 60))
        .collect();
    h.write(&lp);
    h.write("m v=0 1800\n");
    let points = h.writer.points.lock().clone();
    let forecast: Vec<(i64, f64)> = points
        .iter()
        .filter_map(|p| match p.fields.get("holtWinters") {
            Some(almanac_tasks::model::FieldValue::Float(f)) => Some((p.time / S, *f)),
            _ => None,
        })
        .collect();
    // influxd 1.6.7: SELECT holt_winters(mean(v), 5, 0) FROM m WHERE time >= 0
    // AND time < 30m GROUP BY time(1m)
    let want = [
        (1800, 25.591052627932065),
        (1860, 28.164132989578935),
        (1920, 31.40104005768247),
        (1980, 35.49245660675584),
        (2040, 40.68850480877745),
    ];
    assert_eq!(forecast.len(), want.len(), "{forecast:?}");
    for ((t, v), (wt, wv)) in forecast.iter().zip(want) {
        assert_eq!(*t, wt);
        assert!((v - wv).abs() < 1e-9, "{t}: {v} vs {wv}");
    }
    // With fit: one fitted value per minute from the first point, then 2 more.
    let fit: Vec<i64> = points
        .iter()
        .filter(|p| p.fields.contains_key("hw"))
        .map(|p| p.time / S)
        .collect();
    assert_eq!(fit.len(), 32);
    assert_eq!((fit[0], fit[31]), (0, 1860));
    let err = harness()
        .try_define(
            "bad",
            "stream",
            "stream|from()|window().period(1m)|holtWinters('v', 5, 0)",
        )
        .unwrap_err();
    assert!(err.contains("holtWinters expects 4 argument(s)"), "{err}");
}

#[test]
fn sideload_adds_fields_and_tags_from_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("host")).unwrap();
    std::fs::create_dir_all(dir.path().join("service")).unwrap();
    std::fs::write(
        dir.path().join("host/a.yml"),
        "cpu_threshold: 80\nteam: db\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("service/api.json"),
        r#"{"cpu_threshold": 95.5, "team": "web", "paged": "true"}"#,
    )
    .unwrap();
    let script = format!(
        "stream|from().measurement('cpu')
    |sideload()
        .source('file://{}')
        .order('host/{{{{.host}}}}.yml', 'service/{{{{.service}}}}.json')
        .field('cpu_threshold', 0.0)
        .field('paged', FALSE)
        .tag('team', 'nobody')
    |influxDBOut().database('out')",
        dir.path().display()
    );
    let h = harness();
    h.define("side", &script);
    h.write(
        "cpu,host=a,service=api v=1 1\ncpu,host=b,service=api v=2 2\ncpu,host=c,service=x v=3 3\n",
    );
    assert_eq!(
        h.rows(),
        [
            "cpu {\"host\": \"a\", \"service\": \"api\", \"team\": \"db\"} {\"cpu_threshold\": Float(80.0), \"paged\": Bool(true), \"v\": Float(1.0)} 1",
            "cpu {\"host\": \"b\", \"service\": \"api\", \"team\": \"web\"} {\"cpu_threshold\": Float(95.5), \"paged\": Bool(true), \"v\": Float(2.0)} 2",
            "cpu {\"host\": \"c\", \"service\": \"x\", \"team\": \"nobody\"} {\"cpu_threshold\": Float(0.0), \"paged\": Bool(false), \"v\": Float(3.0)} 3",
        ]
    );
    // A task reload reads the files again.
    std::fs::write(dir.path().join("host/c.yml"), "team: ops\n").unwrap();
    h.manager
        .update(
            "side",
            TaskRequest {
                status: Some("disabled".into()),
                ..Default::default()
            },
        )
        .unwrap();
    h.manager
        .update(
            "side",
            TaskRequest {
                status: Some("enabled".into()),
                ..Default::default()
            },
        )
        .unwrap();
    h.write("cpu,host=c,service=x v=4 4\n");
    assert!(h.rows()[3].contains("\"team\": \"ops\""), "{:?}", h.rows());
    let err = harness()
        .try_define(
            "bad",
            "stream",
            "stream|from()|sideload().source('http://example.com/x').field('a', 1)",
        )
        .unwrap_err();
    assert!(
        err.contains("not supported yet: sideload source scheme http"),
        "{err}"
    );
}

#[test]
fn every_node_takes_quiet_and_unsupported_properties_say_so() {
    let h = harness();
    h.define(
        "quiet",
        "stream|from().measurement('m').quiet()|where(lambda: \"v\" > 1).quiet()|window().period(2s).every(2s).quiet()|mean('v').quiet()|influxDBOut().database('out').quiet()",
    );
    h.write("m v=1 1\nm v=2 2\nm v=4 3\nm v=9 5\n");
    assert_eq!(h.rows(), ["m {} {\"mean\": Float(3.0)} 4"]);
    let h = harness();
    let err = h
        .try_define("q", "stream", "stream|from().quiet(1)")
        .unwrap_err();
    assert!(err.contains(".quiet() takes no arguments"), "{err}");
    for (script, want) in [
        (
            "stream|from()|httpPost().endpoint('example')",
            "endpoint 'example' does not exist",
        ),
        (
            "batch|query('SELECT v FROM m').period(1m).every(1m).cluster('b')",
            "not supported yet: query .cluster()",
        ),
    ] {
        let kind = if script.starts_with("batch") {
            "batch"
        } else {
            "stream"
        };
        let err = h.try_define("x", kind, script).unwrap_err();
        assert!(err.contains(want), "{script}: {err}");
    }
}

#[test]
fn influxdb_out_buffers_when_asked() {
    let h = harness();
    h.define(
        "buffered",
        "stream|from().measurement('m')|influxDBOut().database('out').buffer(3).flushInterval(5s).writeConsistency('all')",
    );
    h.write("m v=1 1\nm v=2 2\n");
    assert!(h.rows().is_empty());
    h.write("m v=3 3\nm v=4 4\n");
    assert_eq!(h.rows().len(), 3, "{:?}", h.rows());
    h.manager.tick(100 * S);
    h.manager.tick(104 * S);
    assert_eq!(h.rows().len(), 3);
    h.manager.tick(105 * S);
    assert_eq!(h.rows().len(), 4);
    let err = harness()
        .try_define(
            "bad",
            "stream",
            "stream|from()|influxDBOut().database('d').writeConsistency('most')",
        )
        .unwrap_err();
    assert!(err.contains("invalid write consistency \"most\""), "{err}");
}

#[tokio::test]
async fn trickle_turns_batches_into_points() {
    let h = harness();
    h.try_define(
        "trickled",
        "batch",
        "batch|query('SELECT sum(value) FROM requests').period(1m).every(1m).groupBy(time(10s), 'service')|trickle()|window().period(20s).every(20s)|count('sum')|influxDBOut().database('out')",
    )
    .unwrap();
    h.manager.run_batches(&FakeQuerier, 30 * S).await;
    h.manager.run_batches(&FakeQuerier, 90 * S).await;
    // Points at 30, 40, 50: the window [30, 50) closes when 50 arrives.
    assert_eq!(
        h.rows(),
        ["requests {\"service\": \"a\"} {\"count\": Int(2)} 50"]
    );
}

#[test]
fn barriers_let_joins_emit_when_a_parent_goes_quiet() {
    let h = harness();
    h.define(
        "joined",
        "var a = stream|from().measurement('a')|barrier().idle(1s)
var b = stream|from().measurement('b')
a|join(b).as('a', 'b').fill(0.0)|influxDBOut().database('out')",
    );
    h.write("a v=1 10\nb v=2 10\nb v=3 20\nb v=4 30\n");
    assert_eq!(h.rows().len(), 1, "{:?}", h.rows());
    h.manager.tick(100 * S);
    h.manager.tick(101 * S);
    assert_eq!(
        h.rows()[1],
        "b {} {\"a.v\": Float(0.0), \"b.v\": Float(3.0)} 20"
    );
    assert_eq!(h.rows().len(), 2, "{:?}", h.rows());
}

#[test]
fn http_post_code_field_adds_the_status_code_to_each_point() {
    use std::io::{Read, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let bodies = Arc::new(parking_lot::Mutex::new(Vec::<String>::new()));
    let seen = bodies.clone();
    std::thread::spawn(move || {
        for (i, mut c) in l.incoming().flatten().enumerate() {
            // The whole request: head, then Content-Length bytes of body.
            let mut req = Vec::new();
            let mut chunk = [0u8; 4096];
            loop {
                let n = c.read(&mut chunk).unwrap_or(0);
                req.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&req).to_string();
                let complete = text.split_once("\r\n\r\n").is_some_and(|(head, body)| {
                    let len = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    body.len() >= len
                });
                if n == 0 || complete {
                    break;
                }
            }
            seen.lock().push(String::from_utf8_lossy(&req).to_string());
            let status = if i == 0 { "202 Accepted" } else { "500 Oops" };
            let resp =
                format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            let _ = c.write_all(resp.as_bytes());
        }
    });
    let h = harness();
    h.define(
        "coded",
        &format!(
            "stream|from().measurement('m')|httpPost('http://{addr}/hook').codeField('code')|influxDBOut().database('out')"
        ),
    );
    h.write("m v=1 1\nm v=2 2\n");
    assert_eq!(
        h.rows(),
        [
            "m {} {\"code\": Int(202), \"v\": Float(1.0)} 1",
            "m {} {\"code\": Int(500), \"v\": Float(2.0)} 2"
        ]
    );
    let first = bodies.lock()[0].clone();
    assert!(first.starts_with("POST /hook HTTP/1.1"), "{first}");
    assert!(first.contains("\"series\":[{"), "{first}");
}

//! `kill -9` in the middle of writes and of a solve, then a restart, on the real binary with
//! a real SQLite file and with a real PostgreSQL database: every write the server
//! acknowledged is there exactly once, the SQLite file passes its integrity check, and the
//! interrupted solve job is run again (never left running).
//!
//! The writes are coordinators' manual attendance entries (签到补录) for the duties of a
//! published roster in the past: lawyers' own check-ins are gated by the server's clock, and
//! this test runs the real binary on the real clock.

use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::helpers::{Backend, TestDb, fixture, run_ok, zhiban};

/// A server process, killed when dropped (also when the test fails).
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(url: &str) -> (Guard, String) {
    let mut child = zhiban()
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--job-lease-seconds",
            "2",
            "--database-url",
            url,
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let listening = lines.next().unwrap().unwrap();
    let addr = listening
        .split("http://")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap()
        .to_string();
    std::thread::spawn(move || for _ in lines {});
    (Guard(child), addr)
}

/// One request; None when the connection fails (the server is gone).
fn call(
    addr: &str,
    method: &str,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> Option<(u16, Value)> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    if resp.len() < 12 {
        return None;
    }
    let status = resp[9..12].parse().ok()?;
    let text = resp.split_once("\r\n\r\n").map(|x| x.1).unwrap_or_default();
    Some((status, serde_json::from_str(text).unwrap_or(Value::Null)))
}

fn wait_job(addr: &str, token: &str, id: i64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(240);
    loop {
        if let Some((200, job)) = call(addr, "GET", &format!("/api/v1/jobs/{id}"), token, None)
            && (job["status"] == "succeeded" || job["status"] == "failed")
        {
            return job;
        }
        assert!(Instant::now() < deadline, "job {id} never ended");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn monday_weeks_ago(weeks: i64) -> chrono::NaiveDate {
    let today = chrono::Utc::now().date_naive();
    let monday = today
        - chrono::Days::new(u64::from(
            chrono::Datelike::weekday(&today).num_days_from_monday(),
        ));
    monday - chrono::Duration::weeks(weeks)
}

#[test]
fn kill_9_loses_no_acknowledged_write_and_an_interrupted_solve_runs_again_sqlite() {
    kill_9(Backend::Sqlite);
}

#[test]
fn kill_9_loses_no_acknowledged_write_and_an_interrupted_solve_runs_again_postgres() {
    kill_9(Backend::Postgres);
}

fn kill_9(backend: Backend) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(TestDb::new(backend));
    let url = db.url.clone();
    let fixture = fixture("guangzhou");
    run_ok(&["import", fixture.to_str().unwrap(), "--database-url", &url]);
    let out = run_ok(&["token", "create", "--role", "admin", "--database-url", &url]);
    let token = out.split('\t').next().unwrap().trim().to_string();
    let (mut server, addr) = start(&url);

    // Published rosters of four past weeks: their duties are the records to enter.
    let from = monday_weeks_ago(5).to_string();
    let centres = ["GZ-TH", "GZ-BY", "GZ-PY", "GZ-HD", "GZ-ZC", "GZ-NS"];
    let mut duties: Vec<Value> = Vec::new();
    for c in centres {
        let body = json!({"centre_id": c, "from": from, "weeks": 4});
        let (status, job) = call(&addr, "POST", "/api/v1/rosters", &token, Some(&body)).unwrap();
        assert_eq!(status, 202, "{job}");
        let job = wait_job(&addr, &token, job["id"].as_i64().unwrap());
        let version = job["version_id"].as_i64().unwrap();
        let publish = format!("/api/v1/versions/{version}/publish");
        let (status, _) = call(&addr, "POST", &publish, &token, None).unwrap();
        assert_eq!(status, 200);
        let path = format!("/api/v1/versions/{version}");
        let (_, v) = call(&addr, "GET", &path, &token, None).unwrap();
        duties.extend(v["assignments"].as_array().unwrap().iter().cloned());
    }
    assert!(duties.len() > 300, "{} duties", duties.len());

    // Sixteen clients enter them as fast as the server takes them; the server is killed
    // (SIGKILL) while they write.
    let acknowledged: Arc<Mutex<BTreeMap<i64, String>>> = Arc::default();
    let duties = Arc::new(duties);
    let mut clients = Vec::new();
    for c in 0..16 {
        let (addr, token, duties, acked) = (
            addr.clone(),
            token.clone(),
            duties.clone(),
            acknowledged.clone(),
        );
        clients.push(std::thread::spawn(move || {
            for d in duties.iter().skip(c).step_by(16) {
                let date = d["date"].as_str().unwrap();
                // Most of the half-day on site (times are UTC; the stations are UTC+8).
                let (hour, out) = if d["half_day"] == "am" {
                    ("01", "03:25")
                } else {
                    ("06", "08:55")
                };
                let body = json!({
                    "station_id": d["station_id"], "date": date, "half_day": d["half_day"],
                    "role": d["role"], "lawyer_id": d["lawyer_id"],
                    "check_in_at": format!("{date}T{hour}:05:00Z"),
                    "check_out_at": format!("{date}T{out}:00Z"),
                    "reason": "纸质签到表补录",
                });
                match call(
                    &addr,
                    "POST",
                    "/api/v1/checkins/manual",
                    &token,
                    Some(&body),
                ) {
                    Some((201, rec)) => {
                        let key = format!(
                            "{}|{}|{}|{}|{}",
                            d["station_id"], date, d["half_day"], d["lawyer_id"], d["role"]
                        );
                        acked
                            .lock()
                            .unwrap()
                            .insert(rec["id"].as_i64().unwrap(), key);
                    }
                    Some((s, e)) => panic!("manual entry refused: {s} {e}"),
                    None => return, // the server is gone
                }
            }
        }));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while acknowledged.lock().unwrap().len() < 60 {
        assert!(Instant::now() < deadline, "the entries do not go in");
        std::thread::sleep(Duration::from_millis(5));
    }
    server.0.kill().unwrap(); // SIGKILL
    server.0.wait().unwrap();
    for c in clients {
        c.join().unwrap();
    }
    let acked = acknowledged.lock().unwrap().clone();
    assert!(
        acked.len() < duties.len(),
        "the kill came in the middle of the writes"
    );

    // Restart: the file is sound and holds every acknowledged entry exactly once.
    let (server, addr) = start(&url);
    let (check, records) = rt.block_on(async {
        // SQLite's own check of the file; PostgreSQL recovers from its write-ahead log
        // before it accepts connections.
        let check = match backend {
            Backend::Sqlite => zhiban_store::sqlite::SqliteStore::open(&url)
                .await
                .unwrap()
                .integrity_check()
                .await
                .unwrap(),
            Backend::Postgres => "ok".to_string(),
        };
        let s = zhiban_store::connect(&url).await.unwrap();
        let first = chrono::NaiveDate::parse_from_str(&from, "%Y-%m-%d").unwrap();
        let mut recs = Vec::new();
        for c in centres {
            let centre = zhiban_domain::CentreId::parse(c).unwrap();
            let to = first + chrono::Duration::days(40);
            recs.extend(s.list_attendance(&centre, first, to).await.unwrap());
        }
        (check, recs)
    });
    assert_eq!(check, "ok");
    let stored: BTreeMap<i64, String> = records
        .iter()
        .map(|r| {
            let d = &r.duty;
            (
                r.id,
                format!(
                    "\"{}\"|{}|\"{}\"|\"{}\"|\"{}\"",
                    d.station_id,
                    d.date,
                    d.half_day.code(),
                    d.lawyer_id,
                    d.role.code()
                ),
            )
        })
        .collect();
    for (id, key) in &acked {
        assert_eq!(
            stored.get(id),
            Some(key),
            "acknowledged entry {id} ({key}) is lost or changed"
        );
    }
    let distinct: BTreeSet<&String> = stored.values().collect();
    assert_eq!(distinct.len(), stored.len(), "no duty has two records");
    assert!(
        stored.len() <= acked.len() + 16,
        "at most one unacknowledged write in flight per client"
    );

    // A long solve killed mid-run is taken back after the restart and finishes.
    let (status, job) = call(&addr, "POST", "/api/v1/rosters", &token,
        Some(&json!({"centre_id": "GZ-TH", "from": monday_weeks_ago(-2).to_string(), "weeks": 12, "time_limit_seconds": 60}))).unwrap();
    assert_eq!(status, 202, "{job}");
    let id = job["id"].as_i64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, j) = call(&addr, "GET", &format!("/api/v1/jobs/{id}"), &token, None).unwrap();
        if j["status"] == "running" {
            break;
        }
        assert_eq!(
            j["status"], "queued",
            "ended before it could be killed: {j}"
        );
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(server); // SIGKILL mid-solve
    let (server, addr) = start(&url);
    let (_, j) = call(&addr, "GET", &format!("/api/v1/jobs/{id}"), &token, None).unwrap();
    assert_eq!(
        j["status"], "running",
        "still leased to the dead process: {j}"
    );
    let done = wait_job(&addr, &token, id);
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["attempts"], 2, "{done}");
    drop(server);
    drop(rt);
    drop(db);
}

//! Several `zhiban serve` processes on one PostgreSQL database, run as real processes:
//! solve jobs are claimed by exactly one process, a job whose process is killed is taken
//! up by another, and publishing is serialised per centre across processes.

use crate::helpers::{Backend, TestDb, fixture, run_ok, zhiban};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    addr: String,
    worker: String,
}

impl Server {
    fn start(url: &str) -> Self {
        let mut child = zhiban()
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--job-lease-seconds",
                "3",
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
        let worker_line = lines.next().unwrap().unwrap();
        let worker = worker_line
            .strip_prefix("job worker ")
            .and_then(|s| s.strip_suffix(" started"))
            .unwrap_or_else(|| panic!("{worker_line}"))
            .to_string();
        // Keep reading its output so the pipe never fills.
        std::thread::spawn(move || for _ in lines {});
        Self {
            child,
            addr,
            worker,
        }
    }

    fn call(&self, method: &str, path: &str, token: &str, body: Option<&Value>) -> (u16, Value) {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        )
        .unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        let status = resp[9..12].parse().unwrap();
        let text = resp.split_once("\r\n\r\n").map(|x| x.1).unwrap_or_default();
        (status, serde_json::from_str(text).unwrap_or(Value::Null))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_job(s: &Server, token: &str, id: i64, secs: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let (status, job) = s.call("GET", &format!("/api/v1/jobs/{id}"), token, None);
        assert_eq!(status, 200, "{job}");
        if job["status"] == "succeeded" || job["status"] == "failed" {
            return job;
        }
        assert!(Instant::now() < deadline, "job {id} did not end: {job}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn next_monday() -> chrono::NaiveDate {
    let today = chrono::Utc::now().date_naive();
    let d = today + chrono::Days::new(7);
    d - chrono::Days::new(u64::from(
        chrono::Datelike::weekday(&d).num_days_from_monday(),
    ))
}

/// The process holding (or last holding) a job's lease, read from the database: the API
/// does not show it.
fn worker_of(rt: &tokio::runtime::Runtime, url: &str, job: i64) -> String {
    rt.block_on(async {
        let store = zhiban_store::connect(url).await.unwrap();
        let j = store.get_job(job).await.unwrap().unwrap();
        j.worker.expect("a worker took it")
    })
}

#[test]
fn two_processes_share_jobs_take_over_a_killed_ones_job_and_publish_one_at_a_time() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(TestDb::new(Backend::Postgres));
    let url = db.url.clone();
    let fixture = fixture("guangzhou");
    run_ok(&["import", fixture.to_str().unwrap(), "--database-url", &url]);
    let out = run_ok(&["token", "create", "--role", "admin", "--database-url", &url]);
    let token = out.split('\t').next().unwrap().trim().to_string();
    let a = Server::start(&url);
    let b = Server::start(&url);
    assert_ne!(a.worker, b.worker);
    let from = next_monday().to_string();

    // 1. Every centre that solves alone gets a job, asked of A and B in turn: each job runs
    //    once, in one process, and both processes do some of the work.
    let centres = [
        "GZ-BY", "GZ-CH", "GZ-HD", "GZ-HP", "GZ-NS", "GZ-PY", "GZ-ZC",
    ];
    let mut jobs = Vec::new();
    for (i, c) in centres.iter().enumerate() {
        let s = if i % 2 == 0 { &a } else { &b };
        let (status, job) = s.call(
            "POST",
            "/api/v1/rosters",
            &token,
            Some(&json!({"centre_id": c, "from": from, "weeks": 1, "time_limit_seconds": 30})),
        );
        assert_eq!(status, 202, "{job}");
        jobs.push(job["id"].as_i64().unwrap());
    }
    let mut workers = std::collections::BTreeSet::new();
    for id in &jobs {
        let job = wait_job(&a, &token, *id, 120);
        assert_eq!(job["status"], "succeeded", "{job}");
        assert_eq!(job["attempts"], 1, "claimed once: {job}");
        assert!(
            job.get("worker").is_none(),
            "no host or pid for clients: {job}"
        );
        workers.insert(worker_of(&rt, &url, *id));
    }
    assert_eq!(
        workers,
        [a.worker.clone(), b.worker.clone()].into_iter().collect(),
        "both processes ran jobs"
    );
    let (_, log) = b.call("GET", "/api/v1/audit?limit=200", &token, None);
    for id in &jobs {
        let ends = log["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["target"] == format!("job/{id}") && e["action"] == "job.succeeded")
            .count();
        assert_eq!(ends, 1, "job {id} finished exactly once");
    }

    // 2. A long solve is killed with its process (kill -9): the other process takes it back
    //    once the lease lapses and finishes it.
    let (status, job) = a.call(
        "POST",
        "/api/v1/rosters",
        &token,
        Some(&json!({"centre_id": "GZ-TH", "from": from, "weeks": 12, "time_limit_seconds": 40})),
    );
    assert_eq!(status, 202, "{job}");
    let long = job["id"].as_i64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let holder = loop {
        let (_, j) = b.call("GET", &format!("/api/v1/jobs/{long}"), &token, None);
        if j["status"] == "running" {
            break worker_of(&rt, &url, long);
        }
        assert!(
            j["status"] == "queued",
            "the long job ended too soon to be killed: {j}"
        );
        assert!(Instant::now() < deadline, "the long job never started: {j}");
        std::thread::sleep(Duration::from_millis(20));
    };
    // Whichever process holds it (A was woken for it, B may have polled first) dies.
    let mut servers = [a, b];
    let victim = servers.iter().position(|s| s.worker == holder).unwrap();
    servers[victim].child.kill().unwrap();
    servers[victim].child.wait().unwrap();
    let survivor = &servers[1 - victim];
    let (_, j) = survivor.call("GET", &format!("/api/v1/jobs/{long}"), &token, None);
    assert_eq!(j["status"], "running", "killed mid-solve: {j}");
    let done = wait_job(survivor, &token, long, 180);
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["attempts"], 2, "{done}");
    assert_eq!(worker_of(&rt, &url, long), survivor.worker);
    servers[victim] = Server::start(&url);
    let [a, b] = servers;

    // 3. Two drafts of the same centre and week, published at the same moment through the
    //    two processes: exactly one is published, the other is refused.
    for round in 0..3 {
        let week = (next_monday() + chrono::Days::new(7 * (20 + round))).to_string();
        let mut versions = Vec::new();
        for s in [&a, &b] {
            let (status, job) = s.call(
                "POST",
                "/api/v1/rosters",
                &token,
                Some(&json!({"centre_id": "GZ-CH", "from": week, "weeks": 1})),
            );
            assert_eq!(status, 202, "{job}");
            let job = wait_job(s, &token, job["id"].as_i64().unwrap(), 120);
            versions.push(job["version_id"].as_i64().unwrap());
        }
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let results: Vec<u16> = std::thread::scope(|scope| {
            let hs: Vec<_> = [(&a, versions[0]), (&b, versions[1])]
                .into_iter()
                .map(|(s, v)| {
                    let barrier = barrier.clone();
                    let token = &token;
                    scope.spawn(move || {
                        barrier.wait();
                        s.call(
                            "POST",
                            &format!("/api/v1/versions/{v}/publish"),
                            token,
                            None,
                        )
                        .0
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut sorted = results.clone();
        sorted.sort();
        assert_eq!(sorted, [200, 409], "round {round}: {results:?}");
    }
    drop(a);
    drop(b);
    drop(db);
}

#[test]
fn migrate_db_moves_a_city_to_postgres_and_the_service_carries_on_there() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", tmp.path().join("city.db").display());
    let fixture = fixture("small");
    run_ok(&[
        "import",
        fixture.to_str().unwrap(),
        "--database-url",
        &sqlite,
    ]);
    let out = run_ok(&[
        "token",
        "create",
        "--role",
        "admin",
        "--database-url",
        &sqlite,
    ]);
    let token = out.split('\t').next().unwrap().trim().to_string();
    // Some roster history on the city's own database first.
    let s = Server::start(&sqlite);
    let (status, job) = s.call(
        "POST",
        "/api/v1/rosters",
        &token,
        Some(&json!({"centre_id": "CH", "from": next_monday().to_string(), "weeks": 1})),
    );
    assert_eq!(status, 202, "{job}");
    let job = wait_job(&s, &token, job["id"].as_i64().unwrap(), 120);
    let version = job["version_id"].as_i64().unwrap();
    let (status, _) = s.call(
        "POST",
        &format!("/api/v1/versions/{version}/publish"),
        &token,
        None,
    );
    assert_eq!(status, 200);
    drop(s);

    let db = rt.block_on(TestDb::new(Backend::Postgres));
    let report = run_ok(&["migrate-db", "--from", &sqlite, "--to", &db.url]);
    let row = |t: &str| -> u64 {
        let line = report
            .lines()
            .find(|l| l.split_whitespace().next() == Some(t))
            .unwrap_or_else(|| panic!("{t} missing from:\n{report}"));
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cols[2].len(), 64, "a SHA-256 per table: {line}");
        cols[1].parse().unwrap()
    };
    assert_eq!(row("lawyers"), 12, "{report}");
    assert_eq!(row("roster_versions"), 1, "{report}");
    assert!(row("assignments") > 10, "{report}");
    assert_eq!(row("api_tokens"), 1, "{report}");
    assert!(report.contains("copied and verified"), "{report}");
    // Again: the target is not empty, nothing is written.
    let out = zhiban()
        .args(["migrate-db", "--from", &sqlite, "--to", &db.url])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not empty"), "{err}");
    // The service runs on PostgreSQL with the same token, roster and duties.
    let s = Server::start(&db.url);
    let (status, v) = s.call("GET", &format!("/api/v1/versions/{version}"), &token, None);
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["version"]["status"], "published", "{v}");
    let (status, duties) = s.call("GET", "/api/v1/duties?limit=5", &token, None);
    assert_eq!(status, 200, "{duties}");
    assert!(duties["total"].as_u64().unwrap() > 10, "{duties}");
    drop(s);
    drop(db);
}

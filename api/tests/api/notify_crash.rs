//! The notification dispatcher killed with SIGKILL in the middle of a batch, on both
//! databases, as real `zhiban serve` processes: after a restart every message reaches the
//! receiver at least once, and none twice beyond the documented window (the message being
//! sent when the process died; see `zhiban_api::notify`).

use crate::helpers::{Backend, TestDb, fixture, run_ok, zhiban};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const MESSAGES: usize = 120;
const SECRET: &str = "the crash test's webhook secret";

#[test]
fn kill_nine_mid_batch_then_restart_sends_each_message_on_sqlite() {
    kill_nine(Backend::Sqlite);
}

#[test]
fn kill_nine_mid_batch_then_restart_sends_each_message_on_postgres() {
    kill_nine(Backend::Postgres);
}

struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(url: &str, hook: &str) -> Serve {
    let mut child = zhiban()
        .args(["serve", "--addr", "127.0.0.1:0", "--database-url", url])
        .env("ZHIBAN_WEBHOOK_URL", hook)
        .env("ZHIBAN_WEBHOOK_SECRET", SECRET)
        .env("ZHIBAN_NOTIFY_LEASE_SECONDS", "35")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // Listening, the job worker, then the notifications line: the dispatcher is running.
    for _ in 0..3 {
        lines.next().unwrap().unwrap();
    }
    std::thread::spawn(move || for _ in lines {});
    Serve(child)
}

fn kill_nine(backend: Backend) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let db = rt.block_on(TestDb::new(backend));
    let url = db.url.clone();
    run_ok(&[
        "import",
        fixture("small").to_str().unwrap(),
        "--database-url",
        &url,
    ]);
    // A receiver that takes 50 ms a message and counts each idempotency key.
    let got: Arc<Mutex<BTreeMap<String, u32>>> = Arc::default();
    let g = got.clone();
    let hook = rt.block_on(async move {
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: axum::http::HeaderMap| {
                let g = g.clone();
                async move {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    let key = headers["idempotency-key"].to_str().unwrap().to_string();
                    *g.lock().unwrap().entry(key).or_default() += 1;
                    axum::http::StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        url
    });
    // The outbox holds MESSAGES messages before any process runs.
    rt.block_on(async {
        let store = zhiban_store::connect(&url).await.unwrap();
        let now = chrono::Utc::now();
        let rows: Vec<zhiban_store::NewNotification> = (0..MESSAGES)
            .map(|i| zhiban_store::NewNotification {
                centre_id: zhiban_domain::CentreId::parse("CH").unwrap(),
                lawyer_id: Some(
                    zhiban_domain::LawyerId::parse(&format!("CH-L{:02}", i % 12 + 1)).unwrap(),
                ),
                audience: "lawyer",
                event: "roster_changed".into(),
                subject: format!("值班安排变动 {i}"),
                body: "测试".into(),
                link: "/#view=mine".into(),
                idempotency_key: format!("crash-{i:03}"),
                due: now,
                expires_at: None,
                urgent: false,
            })
            .collect();
        store.write_notifications(&rows, now).await.unwrap();
    });
    let received = |got: &Arc<Mutex<BTreeMap<String, u32>>>| {
        got.lock().unwrap().values().sum::<u32>() as usize
    };
    let first = serve(&url, &hook);
    let deadline = Instant::now() + Duration::from_secs(60);
    while received(&got) < 25 {
        assert!(Instant::now() < deadline, "the first process sends");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SIGKILL in the middle of a batch (batches are 20): no chance to mark anything.
    drop(first);
    let at_kill = received(&got);
    assert!(at_kill < MESSAGES, "killed before the end");
    let _second = serve(&url, &hook);
    // The rows the dead process held wait for its lease (35 s) to run out.
    let deadline = Instant::now() + Duration::from_secs(150);
    loop {
        let pending = rt.block_on(async {
            let store = zhiban_store::connect(&url).await.unwrap();
            let q = zhiban_store::NotificationQuery {
                status: Some(zhiban_store::NotificationStatus::Pending),
                ..Default::default()
            };
            store.list_notifications(&q, 500).await.unwrap().len()
        });
        if pending == 0 && got.lock().unwrap().len() == MESSAGES {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{pending} still pending, {} of {MESSAGES} received",
            got.lock().unwrap().len()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let got = got.lock().unwrap();
    assert_eq!(got.len(), MESSAGES, "every message at least once");
    let twice: Vec<_> = got.iter().filter(|(_, n)| **n > 1).collect();
    // Sends are one at a time: only the message in flight at the kill can repeat.
    assert!(
        twice.len() <= 1 && twice.iter().all(|(_, n)| **n == 2),
        "{twice:?}"
    );
    eprintln!(
        "{backend:?}: {at_kill} received before the kill, {} repeated after it",
        twice.len()
    );
}

//! Load: 200 simulated lawyers checking in and out at once over real HTTP, then calendar
//! feeds, against the real router on a real socket; SQLite or PostgreSQL.
//!
//! ```sh
//! cargo bench -p zhiban-api --bench load -- sqlite 60
//! cargo bench -p zhiban-api --bench load -- postgres 60   # ZHIBAN_TEST_POSTGRES or 127.0.0.1:5432
//! ```
//!
//! Guangzhou's panel with 19 copies of each station (780 in all); for one morning every one
//! of 200 lawyers holds a primary and a backup duty at each station (a synthetic published roster, so that there are
//! enough duties to check in to for the whole run). Each simulated lawyer keeps one HTTP/1.1
//! connection and goes through its duties: check in (with its position), check out. The
//! run ends after the given seconds or when every duty is done. Afterwards every check-in
//! answered 2xx must exist exactly once in the database. Then 200 connections fetch
//! the iCal feeds of 200 other lawyers (8 duties each in the coming month) for 10 s. Prints a Markdown row per measurement for
//! benches/README.md.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use chrono::{Duration, NaiveDate};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use zhiban_api::{AppState, app};
use zhiban_domain::{Assignment, HalfDay, Role, Station, StationId};
use zhiban_store::{Audit, NewVersion, RosterRef, TokenRole};

const LAWYERS: usize = 200;
/// Copies of each station (see `run`).
const STATION_COPIES: usize = 19;

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    r: BufReader<TcpStream>,
    host: String,
}

impl Conn {
    async fn new(addr: &str) -> Self {
        let s = TcpStream::connect(addr).await.unwrap();
        s.set_nodelay(true).unwrap();
        Self {
            r: BufReader::new(s),
            host: addr.to_string(),
        }
    }

    async fn call(
        &mut self,
        method: &str,
        path: &str,
        token: &str,
        extra: &str,
        body: &str,
    ) -> (u16, String) {
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n{extra}\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.host,
            body.len()
        );
        self.r.get_mut().write_all(req.as_bytes()).await.unwrap();
        let mut line = String::new();
        self.r.read_line(&mut line).await.unwrap();
        let status: u16 = line[9..12].parse().unwrap();
        let mut len = 0usize;
        loop {
            line.clear();
            self.r.read_line(&mut line).await.unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
        }
        let mut buf = vec![0; len];
        self.r.read_exact(&mut buf).await.unwrap();
        (status, String::from_utf8_lossy(&buf).into_owned())
    }
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let backend = args.first().cloned().unwrap_or_else(|| "sqlite".into());
    let seconds: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(60);
    // Check-ins per second offered in all (0: as fast as the server answers).
    let rate: f64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(0.0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run(&backend, seconds, rate));
}

async fn run(backend: &str, seconds: u64, rate: f64) {
    let tmp = tempfile::tempdir().unwrap();
    let server = std::env::var("ZHIBAN_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let pg_name = format!("zb_load_{}", std::process::id());
    let url = match backend {
        "sqlite" => format!("sqlite://{}", tmp.path().join("load.db").display()),
        "postgres" => {
            zhiban_store::postgres::create_database(&server, &pg_name)
                .await
                .unwrap();
            zhiban_store::postgres::database_url(&server, &pg_name)
        }
        other => panic!("backend {other}: sqlite or postgres"),
    };
    let store = zhiban_store::connect(&url).await.unwrap();
    let mut ds = zhiban_fixtures::guangzhou();
    // Copies of the city's stations (ids with `.1` to `.19` appended), so that there are enough duties for
    // a minute of check-ins at the targeted rate.
    let copies: Vec<Station> = (1..=STATION_COPIES)
        .flat_map(|k| {
            ds.stations.iter().map(move |s| {
                let mut s = s.clone();
                s.id = StationId::parse(&format!("{}.{k}", s.id)).unwrap();
                s.name = format!("{}（{k}）", s.name);
                s
            })
        })
        .collect();
    ds.stations.extend(copies);
    store.import_dataset(&ds).await.unwrap();
    // Next Monday morning.
    let today = chrono::Utc::now().date_naive();
    let date: NaiveDate = today
        + Duration::days(7 - i64::from(chrono::Datelike::weekday(&today).num_days_from_monday()));
    let lawyers: Vec<_> = ds
        .lawyers
        .iter()
        .take(LAWYERS)
        .map(|l| l.id.clone())
        .collect();
    let audit = Audit {
        actor: "bench".into(),
        centre_id: None,
        action: "bench".into(),
        target: String::new(),
        detail: serde_json::Value::Null,
    };
    for c in &ds.centres {
        let assignments: Vec<Assignment> = ds
            .stations
            .iter()
            .filter(|s| s.centre_id == c.id)
            .flat_map(|s| {
                lawyers.iter().flat_map(move |l| {
                    [Role::Primary, Role::Backup].map(|role| Assignment {
                        date,
                        half_day: HalfDay::Am,
                        station_id: s.id.clone(),
                        lawyer_id: l.clone(),
                        role,
                    })
                })
            })
            .collect();
        if assignments.is_empty() {
            continue;
        }
        store
            .create_version(
                &NewVersion {
                    roster: RosterRef::New {
                        centre_id: c.id.clone(),
                        from: date,
                        weeks: 1,
                    },
                    based_on: None,
                    origin: zhiban_store::VersionOrigin::Solve,
                    report: zhiban_domain::SolveReport::not_solved(Default::default()),
                    assignments,
                    pins: Default::default(),
                    publish: true,
                    created_by: "bench".into(),
                    now: chrono::Utc::now(),
                },
                &audit,
            )
            .await
            .unwrap();
    }
    // The feeds are those of 200 other lawyers, with a realistic month: from the week after,
    // a duty every three days (8 in all) at their centre's stations.
    let feed_lawyers: Vec<_> = ds
        .lawyers
        .iter()
        .skip(LAWYERS)
        .take(LAWYERS)
        .map(|l| l.id.clone())
        .collect();
    let month_from = date + Duration::days(7);
    for (ci, c) in ds.centres.iter().enumerate() {
        let stations: Vec<_> = ds.stations.iter().filter(|s| s.centre_id == c.id).collect();
        if stations.is_empty() {
            continue;
        }
        let assignments: Vec<Assignment> = feed_lawyers
            .iter()
            .enumerate()
            .filter(|(j, _)| j % ds.centres.len() == ci)
            .flat_map(|(j, l)| {
                let stations = &stations;
                (0..8).map(move |k| Assignment {
                    date: month_from + Duration::days(3 * k as i64),
                    half_day: HalfDay::Am,
                    station_id: stations[(j + k) % stations.len()].id.clone(),
                    lawyer_id: l.clone(),
                    role: Role::Primary,
                })
            })
            .collect();
        store
            .create_version(
                &NewVersion {
                    roster: RosterRef::New {
                        centre_id: c.id.clone(),
                        from: month_from,
                        weeks: 4,
                    },
                    based_on: None,
                    origin: zhiban_store::VersionOrigin::Solve,
                    report: zhiban_domain::SolveReport::not_solved(Default::default()),
                    assignments,
                    pins: Default::default(),
                    publish: true,
                    created_by: "bench".into(),
                    now: chrono::Utc::now(),
                },
                &audit,
            )
            .await
            .unwrap();
    }
    // The bench's clock stands still: check-outs count at once only with no minimum time on
    // site (the rule is checked all the same, from the cached centre policy).
    for c in store.list_centres().await.unwrap() {
        let policy = zhiban_store::CentrePolicy {
            min_presence_pct: 0,
            ..zhiban_store::CentrePolicy::default()
        };
        store
            .put_centre_policy(&c.id, &policy, chrono::Utc::now(), &audit)
            .await
            .unwrap();
    }
    let mut feed_tokens = Vec::new();
    for l in &feed_lawyers {
        let t =
            zhiban_api::cli::create_token(&store, TokenRole::Lawyer, None, Some(l.clone()), "load")
                .await
                .unwrap();
        feed_tokens.push(t.token);
    }
    let mut tokens = Vec::new();
    for l in &lawyers {
        let t =
            zhiban_api::cli::create_token(&store, TokenRole::Lawyer, None, Some(l.clone()), "load")
                .await
                .unwrap();
        tokens.push(t.token);
    }
    let mut state = AppState::new(store.clone());
    // 08:50 local: check-in is open, nobody is late.
    let now = date.and_hms_opt(0, 50, 0).unwrap().and_utc();
    state.clock = Arc::new(move || now);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let stations: Vec<_> = ds.stations.clone();
    let deadline = Instant::now() + std::time::Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (i, (lawyer, token)) in lawyers.iter().zip(&tokens).enumerate() {
        let (addr, token, stations, lawyer) = (
            addr.clone(),
            token.clone(),
            stations.clone(),
            lawyer.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::new(&addr).await;
            let (mut lat_in, mut lat_out, mut ids, mut errors) = (Vec::new(), Vec::new(), Vec::new(), 0u64);
            // Each lawyer starts at a different station so writers spread out.
            let n = stations.len();
            // Paced: this lawyer's check-ins are due every LAWYERS / rate seconds, the
            // lawyers offset evenly; a check-in's latency counts from when it was due, so a
            // server that falls behind is charged for the wait (no coordinated omission).
            let interval = (rate > 0.0).then(|| std::time::Duration::from_secs_f64(LAWYERS as f64 / rate));
            let mut due = started + interval.map_or(std::time::Duration::ZERO, |d| d.mul_f64(i as f64 / LAWYERS as f64));
            'duties: for k in 0..n {
                let s = &stations[(i + k) % n];
                for role in ["primary", "backup"] {
                    if let Some(d) = interval {
                        tokio::time::sleep_until(due.into()).await;
                        due += d;
                    }
                    if Instant::now() >= deadline {
                        break 'duties;
                    }
                    let body = format!(
                        r#"{{"station_id":"{}","date":"{date}","half_day":"am","role":"{role}","method":"app","lat":{},"lon":{}}}"#,
                        s.id, s.location.lat, s.location.lon
                    );
                    let key = format!("Idempotency-Key: {lawyer}-{}-{role}\r\n", s.id);
                    let t = if interval.is_some() { due - interval.unwrap_or_default() } else { Instant::now() };
                    let (status, text) = conn.call("POST", "/api/v1/checkins", &token, &key, &body).await;
                    lat_in.push(t.elapsed().as_secs_f64() * 1000.0);
                    if status / 100 != 2 {
                        errors += 1;
                        continue;
                    }
                    let rec: serde_json::Value = serde_json::from_str(&text).unwrap();
                    let id = rec["id"].as_i64().unwrap();
                    ids.push(id);
                    let t = Instant::now();
                    let (status, _) = conn.call("POST", &format!("/api/v1/checkins/{id}/checkout"), &token, "", "").await;
                    lat_out.push(t.elapsed().as_secs_f64() * 1000.0);
                    if status / 100 != 2 {
                        errors += 1;
                    }
                }
            }
            (lat_in, lat_out, ids, errors)
        }));
    }
    let (mut lat_in, mut lat_out, mut ids, mut errors) = (Vec::new(), Vec::new(), Vec::new(), 0);
    for t in tasks {
        let (a, b, c, e) = t.await.unwrap();
        lat_in.extend(a);
        lat_out.extend(b);
        ids.extend(c);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    lat_in.sort_by(f64::total_cmp);
    lat_out.sort_by(f64::total_cmp);
    // Every acknowledged check-in is stored exactly once.
    let mut stored = Vec::new();
    for c in &ds.centres {
        stored.extend(
            store
                .list_attendance(&c.id, date, date)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.id),
        );
    }
    let stored_set: BTreeSet<i64> = stored.iter().copied().collect();
    assert_eq!(stored_set.len(), stored.len(), "a record appears twice");
    let acked: BTreeSet<i64> = ids.iter().copied().collect();
    assert_eq!(acked.len(), ids.len(), "an id was acknowledged twice");
    assert!(
        acked.is_subset(&stored_set),
        "an acknowledged check-in is missing"
    );
    let what = if rate > 0.0 {
        format!("check-ins, {rate:.0}/s offered")
    } else {
        "check-ins, unpaced".to_string()
    };
    println!(
        "| {backend} | {what} | {} in {elapsed:.1} s | {:.0}/s | p50 {:.1} ms | p99 {:.1} ms | errors {errors} |",
        lat_in.len(),
        lat_in.len() as f64 / elapsed,
        pct(&lat_in, 0.5),
        pct(&lat_in, 0.99)
    );
    println!(
        "| {backend} | check-outs | {} | {:.0}/s | p50 {:.1} ms | p99 {:.1} ms | |",
        lat_out.len(),
        lat_out.len() as f64 / elapsed,
        pct(&lat_out, 0.5),
        pct(&lat_out, 0.99)
    );
    println!(
        "| {backend} | check-ins + check-outs | {} writes | {:.0}/s | | | all {} acknowledged check-ins stored once |",
        lat_in.len() + lat_out.len(),
        (lat_in.len() + lat_out.len()) as f64 / elapsed,
        acked.len()
    );

    // Feeds: each connection fetches its lawyer's calendar again and again for 10 s.
    let mut feed_urls = Vec::new();
    for (l, t) in feed_lawyers.iter().zip(&feed_tokens) {
        let mut c = Conn::new(&addr).await;
        let (status, text) = c
            .call(
                "POST",
                &format!("/api/v1/lawyers/{l}/feed-token"),
                t,
                "",
                "",
            )
            .await;
        assert_eq!(status / 100, 2, "{status} {text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let u = v["url"].as_str().unwrap();
        feed_urls.push(u[u.find("/ical/").unwrap()..].to_string());
    }
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for u in feed_urls {
        let addr = addr.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::new(&addr).await;
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                let (status, _) = conn.call("GET", &u, "", "", "").await;
                assert_eq!(status, 200);
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);
    println!(
        "| {backend} | iCal feeds | {} in {elapsed:.1} s | {:.0}/s | p50 {:.1} ms | p99 {:.1} ms | |",
        lat.len(),
        lat.len() as f64 / elapsed,
        pct(&lat, 0.5),
        pct(&lat, 0.99)
    );
    if backend == "postgres" {
        drop(store);
        let _ = zhiban_store::postgres::drop_database(&server, &pg_name).await;
    }
}

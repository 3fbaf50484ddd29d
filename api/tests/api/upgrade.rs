//! The upgrade test: databases made by an earlier release open with this code, migrate, and
//! keep every row and every statement total.
//!
//! `fixtures/upgrade/<release>/` holds, for each release that made one:
//! - `zhiban.db`, a SQLite file, and `postgres.sql`, a plain `pg_dump --inserts` of the same
//!   story on PostgreSQL: the Guangzhou panel; a two-week roster of 天河 (GZ-TH) from
//!   2026-10-26, published, then repaired (a lawyer out) and published again; check-ins in
//!   and out of the fence, an approval, an excuse, a no-show; ledger entries with a
//!   confirmed claim, a rating, applications on time and overdue; October approved (locked);
//!   a correction of a locked duty; November's facts left open;
//! - `sqlite.json` and `postgres.json`: what that release saw in it, each table's columns,
//!   row count and SHA-256 of its rows (by those columns), and what its API answered for the
//!   versions, attendance, ledger, corrections and statements.
//!
//! The test copies or restores each database, opens it with today's code (which migrates
//! it), and checks that each table's rows, by the release's columns, and each API answer
//! are the same. A later migration may add columns and tables; it may not change a row.
//!
//! `make_upgrade_fixture` (ignored) wrote those files: run it only on the release that
//! makes a new fixture folder, with `ZHIBAN_UPGRADE_OUT=fixtures/upgrade/<release>`.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use zhiban_store::TokenRole;

use crate::helpers::*;

/// The releases whose databases must keep opening.
const RELEASES: &[&str] = &["2026-12-06-3d0b7f3"];

const CENTRE: &str = "GZ-TH";

fn release_dir(release: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/upgrade")
        .join(release)
}

on_both!(an_earlier_release_s_database_opens_migrates_and_keeps_every_row_and_total);

async fn an_earlier_release_s_database_opens_migrates_and_keeps_every_row_and_total(
    backend: Backend,
) {
    for release in RELEASES {
        let dir = release_dir(release);
        let mut db = TestDb::new(backend).await;
        let name = match backend {
            Backend::Sqlite => {
                let path = db.url.trim_start_matches("sqlite://").to_string();
                std::fs::copy(dir.join("zhiban.db"), &path).unwrap();
                "sqlite"
            }
            Backend::Postgres => {
                restore_pg(&db.url, &dir.join("postgres.sql")).await;
                "postgres"
            }
        };
        let _ = db.dir();
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap(),
        )
        .unwrap();
        let t = TestApp::open(db).await;
        // Tables first, before this test writes anything (its own tokens).
        let tables = table_sums(&t, Some(&expected["tables"])).await;
        for (table, want) in expected["tables"].as_object().unwrap() {
            let got = tables.get(table).unwrap_or_else(|| {
                panic!("{release} {name}: table {table} is gone after the upgrade")
            });
            assert_eq!(
                got, want,
                "{release} {name}: table {table} changed in the upgrade"
            );
        }
        let api = api_view(&t, &expected["api"]["versions"]).await;
        for (k, want) in expected["api"].as_object().unwrap() {
            assert_eq!(&api[k], want, "{release} {name}: the API's {k} changed");
        }
        let totals = &api["statements"];
        assert!(
            totals["2026-10"]["total_fen"].as_i64().unwrap() > 0,
            "{release}: October pays something: {totals}"
        );
    }
}

/// Restores a plain `pg_dump` into the (new, empty) database at `url`.
async fn restore_pg(url: &str, dump: &Path) {
    use sqlx::Connection;
    let text = std::fs::read_to_string(dump).unwrap();
    // psql meta-commands (`\restrict`, newer pg_dump) are not SQL.
    let sql: String = text
        .lines()
        .filter(|l| !l.starts_with('\\'))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
}

/// Splits a dump line (`col=value|col=value`, `|` and `\` escaped) into its cells.
fn cells(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.last_mut().unwrap().push('\\');
                if let Some(n) = chars.next() {
                    out.last_mut().unwrap().push(n);
                }
            }
            '|' => out.push(String::new()),
            c => out.last_mut().unwrap().push(c),
        }
    }
    out
}

/// Each table's columns, row count and SHA-256 of its rows, by the columns `only` names for
/// that table (all of them when `only` is None or does not name the table).
async fn table_sums(t: &TestApp, only: Option<&Value>) -> BTreeMap<String, Value> {
    use sha2::{Digest, Sha256};
    let dump = t.store.dump_tables().await.unwrap();
    let mut out = BTreeMap::new();
    for (table, rows) in dump {
        let keep: Option<Vec<String>> = only
            .and_then(|o| o.get(&table))
            .map(|e| serde_json::from_value(e["columns"].clone()).unwrap());
        let mut columns: Vec<String> = Vec::new();
        let mut lines: Vec<String> = rows
            .iter()
            .map(|r| {
                let kept: Vec<String> = cells(r)
                    .into_iter()
                    .filter(|c| {
                        let col = c.split('=').next().unwrap_or_default();
                        keep.as_ref().is_none_or(|k| k.iter().any(|x| x == col))
                    })
                    .collect();
                if columns.is_empty() {
                    columns = kept
                        .iter()
                        .map(|c| c.split('=').next().unwrap_or_default().to_string())
                        .collect();
                }
                kept.join("|")
            })
            .collect();
        lines.sort();
        if let Some(k) = &keep {
            columns = k.clone();
        }
        let mut h = Sha256::new();
        for l in &lines {
            h.update(l.as_bytes());
            h.update(b"\n");
        }
        let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        out.insert(
            table,
            json!({"columns": columns, "rows": lines.len(), "sha256": hex}),
        );
    }
    out
}

fn pick(v: &Value, keys: &[&str]) -> Value {
    Value::Object(
        keys.iter()
            .map(|k| ((*k).to_string(), v[*k].clone()))
            .collect(),
    )
}

fn sorted(mut v: Vec<Value>) -> Value {
    v.sort_by_key(|x| x.to_string());
    Value::Array(v)
}

/// What the API answers about the story, as plain facts (no ids of its own, no times of the
/// answer), so that a new field or a new order does not count as a change.
async fn api_view(t: &TestApp, versions: &Value) -> Value {
    t.set_time(Some(local("2026-11-10", "12:00")));
    let admin = t.token(TokenRole::Admin, None, None).await;
    let get = |uri: String| {
        let admin = admin.clone();
        async move {
            let r = t.get(&uri, &admin).await;
            assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.body);
            r.body
        }
    };
    let mut out = serde_json::Map::new();
    let mut vs = serde_json::Map::new();
    for (id, _) in versions.as_object().unwrap() {
        let v = get(format!("/api/v1/versions/{id}")).await;
        let duties: Vec<Value> = v["assignments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| pick(a, &["station_id", "date", "half_day", "lawyer_id", "role"]))
            .collect();
        vs.insert(
            id.clone(),
            json!({"status": v["status"], "assignments": sorted(duties)}),
        );
    }
    out.insert("versions".into(), Value::Object(vs));
    let att = get(format!(
        "/api/v1/attendance?centre_id={CENTRE}&from=2026-10-26&to=2026-11-08"
    ))
    .await;
    let att: Vec<Value> = att
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let mut p = pick(
                &a["duty"],
                &["station_id", "date", "half_day", "lawyer_id", "role"],
            );
            p["state"] = a["state"].clone();
            p["record"] = pick(
                &a["record"],
                &[
                    "status",
                    "check_in_at",
                    "check_out_at",
                    "method",
                    "minutes_late",
                    "late",
                    "outside_geofence",
                    "approved",
                    "voided",
                    "proof",
                    "reason",
                ],
            );
            p
        })
        .collect();
    out.insert("attendance".into(), sorted(att));
    let mut ledger = serde_json::Map::new();
    let mut statements = serde_json::Map::new();
    let mut corrections = serde_json::Map::new();
    for month in ["2026-10", "2026-11"] {
        let l = get(format!("/api/v1/ledger?centre_id={CENTRE}&month={month}")).await;
        let l: Vec<Value> = l
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                pick(
                    e,
                    &[
                        "station_id",
                        "date",
                        "half_day",
                        "lawyer_id",
                        "consultations",
                        "plea_signings",
                        "confirmed_plea_signings",
                        "quality",
                        "notes",
                        "applications",
                        "overdue_applications",
                    ],
                )
            })
            .collect();
        ledger.insert(month.into(), sorted(l));
        let st = get(format!("/api/v1/statements/{CENTRE}/{month}")).await;
        let lines: Vec<Value> = st["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                pick(
                    x,
                    &[
                        "lawyer_id",
                        "firm_id",
                        "date",
                        "station_id",
                        "half_day",
                        "rule",
                        "description",
                        "amount_fen",
                    ],
                )
            })
            .collect();
        statements.insert(
            month.into(),
            json!({
                "status": st["status"],
                "total_fen": st["total_fen"],
                "pending": st["pending"],
                "pending_fen": st["pending_fen"],
                "pending_claims": st["pending_claims"].as_array().map(Vec::len),
                "off_roster": st["off_roster"],
                "unpaid": st["unpaid"].as_array().map(Vec::len),
                "corrections": st["corrections"].as_array().map(Vec::len),
                "lines": sorted(lines),
                "lawyers": st["lawyers"],
                "firms": st["firms"],
            }),
        );
        let c = get(format!(
            "/api/v1/corrections?centre_id={CENTRE}&month={month}"
        ))
        .await;
        let c: Vec<Value> = c
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                pick(
                    x,
                    &["month", "duty", "before", "after", "reason", "created_by"],
                )
            })
            .collect();
        corrections.insert(month.into(), sorted(c));
    }
    out.insert("ledger".into(), Value::Object(ledger));
    out.insert("statements".into(), Value::Object(statements));
    out.insert("corrections".into(), Value::Object(corrections));
    Value::Object(out)
}

// ---------------------------------------------------------------------------------------
// Making a fixture (run once per release that makes one).

/// The Guangzhou stations' positions and half-day hours, from the data set.
fn stations() -> BTreeMap<String, ((f64, f64), [String; 4])> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/guangzhou/stations.csv");
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let f = |n: &str| rec[col(n)].to_string();
            (
                f("id"),
                (
                    (f("lat").parse().unwrap(), f("lon").parse().unwrap()),
                    [f("am_start"), f("am_end"), f("pm_start"), f("pm_end")],
                ),
            )
        })
        .collect()
}

struct Story {
    coord: String,
    finance: String,
    lawyers: BTreeMap<String, String>,
    stations: BTreeMap<String, ((f64, f64), [String; 4])>,
}

impl Story {
    fn hours(&self, d: &Value) -> ((f64, f64), String, String) {
        let (pos, h) = &self.stations[&s(&d["station_id"])];
        if d["half_day"] == "am" {
            (*pos, h[0].clone(), h[1].clone())
        } else {
            (*pos, h[2].clone(), h[3].clone())
        }
    }

    async fn lawyer(&mut self, t: &TestApp, d: &Value) -> String {
        let l = s(&d["lawyer_id"]);
        if !self.lawyers.contains_key(&l) {
            let tok = t.token(TokenRole::Lawyer, None, Some(&l)).await;
            self.lawyers.insert(l.clone(), tok);
        }
        self.lawyers[&l].clone()
    }

    /// Checks in 10 minutes early at `offset_lat` degrees north of the station, and out 5
    /// minutes after the end; returns the record id.
    async fn attend(&mut self, t: &TestApp, d: &Value, offset_lat: f64) -> i64 {
        let tok = self.lawyer(t, d).await;
        let date = s(&d["date"]);
        let ((lat, lon), start, end) = self.hours(d);
        t.set_time(Some(local(&date, &add_minutes(&start, -10))));
        let body = with_duty(
            d,
            json!({"lat": lat + offset_lat, "lon": lon, "method": "app"}),
        );
        let r = t.post("/api/v1/checkins", &tok, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.body["id"].as_i64().unwrap();
        t.set_time(Some(local(&date, &add_minutes(&end, 5))));
        let r = t
            .post(&format!("/api/v1/checkins/{id}/checkout"), &tok, json!({}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        id
    }
}

/// The story, told through the API; returns the two versions.
async fn tell(t: &TestApp) -> (i64, i64) {
    let mut st = Story {
        coord: t.token(TokenRole::Coordinator, Some(CENTRE), None).await,
        finance: t.token(TokenRole::Finance, Some(CENTRE), None).await,
        lawyers: BTreeMap::new(),
        stations: stations(),
    };
    let coord = st.coord.clone();
    t.set_time(Some(local("2026-10-20", "08:00")));
    let body = json!({"centre_id": CENTRE, "from": "2026-10-26", "weeks": 2});
    let v1 = t.run_and_publish(&coord, "/api/v1/rosters", body).await;
    let first = t.primaries(&coord, v1).await;
    let out = first
        .iter()
        .find(|d| s(&d["date"]).as_str() >= "2026-10-28")
        .unwrap();
    let change = json!({"changes": [{"kind": "lawyer_out", "lawyer_id": out["lawyer_id"],
        "from": "2026-10-28", "to": "2026-11-03"}]});
    let v2 = t
        .run_and_publish(&coord, &format!("/api/v1/versions/{v1}/repair"), change)
        .await;
    let duties = t.primaries(&coord, v2).await;
    let mut oct: Vec<&Value> = Vec::new();
    for d in duties
        .iter()
        .filter(|d| s(&d["date"]).starts_with("2026-10"))
    {
        if oct.iter().all(|o| o["lawyer_id"] != d["lawyer_id"]) {
            oct.push(d);
        }
    }
    assert!(oct.len() >= 7, "{}", oct.len());
    for d in &oct[..4] {
        st.attend(t, d, 0.0003).await;
    }
    // Outside the fence, approved by the coordinator.
    let outside = st.attend(t, oct[4], 0.05).await;
    let r = t
        .post(
            &format!("/api/v1/checkins/{outside}/approve"),
            &coord,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Excused after the start; oct[6] is a no-show.
    let (_, start, _) = st.hours(oct[5]);
    t.set_time(Some(local(&s(&oct[5]["date"]), &add_minutes(&start, 30))));
    let body = with_duty(
        oct[5],
        json!({"lawyer_id": oct[5]["lawyer_id"], "reason": "突发疾病，有病假条"}),
    );
    let r = t.post("/api/v1/absences/excuse", &coord, body).await;
    assert!(r.status.is_success(), "{}", r.body);
    ledger(t, &mut st, &oct).await;
    // Finance approves October on 2 November; a coordinator corrects a locked duty.
    t.set_time(Some(local("2026-11-02", "10:00")));
    let r = t
        .post(
            &format!("/api/v1/statements/{CENTRE}/2026-10/approve"),
            &st.finance,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let fix = with_duty(
        oct[0],
        json!({"lawyer_id": oct[0]["lawyer_id"], "plea_signings": 3, "reason": "台账漏记一件"}),
    );
    let r = t.post("/api/v1/corrections", &coord, fix).await;
    assert!(r.status.is_success(), "{}", r.body);
    // November stays open: two duties attended, one claim left pending.
    let nov: Vec<&Value> = duties
        .iter()
        .filter(|d| s(&d["date"]).as_str() >= "2026-11-03")
        .take(2)
        .collect();
    for d in &nov {
        st.attend(t, d, 0.0).await;
    }
    let tok = st.lawyer(t, nov[0]).await;
    let body = with_duty(nov[0], json!({"consultations": 1, "plea_signings": 1}));
    let r = t
        .call(Method::PUT, "/api/v1/ledger", &tok, Some(body))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    (v1, v2)
}

/// October's ledger: a confirmed claim with an application forwarded in time, a rating and
/// an overdue application.
async fn ledger(t: &TestApp, st: &mut Story, oct: &[&Value]) {
    let d = oct[0];
    let tok = st.lawyer(t, d).await;
    let (_, start, _) = st.hours(d);
    let received = local(&s(&d["date"]), &start);
    let body = with_duty(
        d,
        json!({"consultations": 3, "plea_signings": 2, "notes": "会见两名在押人员",
        "applications": [{"applicant": "李某", "received_at": received,
            "forwarded_at": received + chrono::Duration::hours(2)}]}),
    );
    let r = t
        .call(Method::PUT, "/api/v1/ledger", &tok, Some(body))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let key = with_duty(d, json!({"lawyer_id": d["lawyer_id"], "plea_signings": 2}));
    let r = t
        .post(
            "/api/v1/ledger/confirm",
            &st.coord,
            json!({"centre_id": CENTRE, "duties": [key]}),
        )
        .await;
    assert_eq!(r.body["confirmed"], 1, "{}", r.body);
    let d = oct[1];
    let body = with_duty(
        d,
        json!({"lawyer_id": d["lawyer_id"], "consultations": 5, "plea_signings": 0,
        "quality": "excellent"}),
    );
    let r = t
        .call(Method::PUT, "/api/v1/ledger", &st.coord, Some(body))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let d = oct[2];
    let tok = st.lawyer(t, d).await;
    let (_, start, _) = st.hours(d);
    let received = local(&s(&d["date"]), &start);
    let body = with_duty(
        d,
        json!({"consultations": 2, "plea_signings": 0,
        "applications": [{"applicant": "王某", "received_at": received,
            "forwarded_at": received + chrono::Duration::hours(30)}]}),
    );
    let r = t
        .call(Method::PUT, "/api/v1/ledger", &tok, Some(body))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// Writes `fixtures/upgrade/<release>/` for this code: run only when making a new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "makes a fixture; run by hand with ZHIBAN_UPGRADE_OUT"]
async fn make_upgrade_fixture() {
    let out = PathBuf::from(std::env::var("ZHIBAN_UPGRADE_OUT").unwrap());
    std::fs::create_dir_all(&out).unwrap();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let t = TestApp::on(backend, "guangzhou").await;
        let (v1, v2) = tell(&t).await;
        let versions = json!({v1.to_string(): {}, v2.to_string(): {}});
        let api = api_view(&t, &versions).await;
        // After the API's reads (which add a token), as the test will find it.
        let tables = table_sums(&t, None).await;
        let name = match backend {
            Backend::Sqlite => {
                let path = out.join("zhiban.db");
                let _ = std::fs::remove_file(&path);
                t.store.backup_to(&path).await.unwrap();
                "sqlite"
            }
            Backend::Postgres => {
                let status = std::process::Command::new("pg_dump")
                    .args(["--inserts", "--no-owner", "--no-privileges", "--dbname"])
                    .arg(t.url())
                    .arg("--file")
                    .arg(out.join("postgres.sql"))
                    .status()
                    .unwrap();
                assert!(status.success());
                "postgres"
            }
        };
        let snapshot = json!({"tables": tables, "api": api});
        std::fs::write(
            out.join(format!("{name}.json")),
            serde_json::to_string_pretty(&snapshot).unwrap() + "\n",
        )
        .unwrap();
    }
}

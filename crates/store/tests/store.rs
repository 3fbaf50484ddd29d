// Over the ~600-line sizing rule on purpose: the store suite, each test run on both backends by one macro.
//! The store against real databases: SQLite files and a real PostgreSQL server. Every
//! test of the `Store` trait runs on both (`…::sqlite` and `…::postgres`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/db.rs"]
mod db;

use chrono::NaiveDate;
use db::{Backend, TestDb};
use sqlx::Row;
use std::path::PathBuf;
use std::sync::Arc;
use zhiban_domain::{Dataset, HalfDay, LawyerId, Leave};
use zhiban_store::sqlite::SqliteStore;
use zhiban_store::{Store, StoreError};

/// Runs `async fn NAME(Backend)` as two tests, `NAME::sqlite` and `NAME::postgres`.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                super::$name(super::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                super::$name(super::Backend::Postgres).await
            }
        }
    )*};
}

on_both!(
    the_small_fixture_imports_and_exports_unchanged,
    importing_the_same_data_set_twice_changes_nothing,
    a_reimport_replaces_a_lawyers_leave_and_keeps_other_records,
    an_import_that_fails_part_way_leaves_the_database_unchanged,
    every_fixture_round_trips_through_a_database,
    roster_versions_publish_once_and_published_ones_never_change,
    concurrent_publishes_of_overlapping_rosters_let_exactly_one_through,
    jobs_are_leased_to_one_worker_and_taken_back_when_it_dies,
    check_ins_are_stored_once_with_their_audit_entries_and_a_bad_one_leaves_no_trace,
    a_reimport_cannot_reprice_a_locked_month,
);

/// A data set imported again with other rates for an approved month is refused as a whole;
/// with new rates only from after it, it lands.
async fn a_reimport_cannot_reprice_a_locked_month(backend: Backend) {
    let (_db, store) = open(backend).await;
    let ds = fixture("small");
    store.import_dataset(&ds).await.unwrap();
    let centre = zhiban_domain::CentreId::parse("CH").unwrap();
    let sept = zhiban_domain::month::Month::parse("2026-09").unwrap();
    store
        .lock_month(
            &centre,
            sept,
            &serde_json::json!({}),
            &ds.settings.subsidy,
            &audit("statement.approve"),
        )
        .await
        .unwrap();
    let mut raised = ds.clone();
    raised.settings.subsidy[0].plea_case_fen += 1_000;
    let before = dump(&store).await;
    let err = store.import_dataset(&raised).await.unwrap_err();
    assert!(matches!(err, zhiban_store::StoreError::Locked(_)), "{err}");
    assert_eq!(
        dump(&store).await,
        before,
        "a refused import changes nothing"
    );
    let mut later = ds.clone();
    let mut oct = ds.settings.subsidy[0].clone();
    oct.effective_from = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
    oct.plea_case_fen += 1_000;
    later.settings.subsidy.push(oct);
    store.import_dataset(&later).await.unwrap();
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
}

fn fixture(name: &str) -> Dataset {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name);
    zhiban_dataset::read_dir(&dir, today()).unwrap()
}

async fn open(backend: Backend) -> (TestDb, Arc<dyn Store>) {
    let db = TestDb::new(backend).await;
    let store = zhiban_store::connect(&db.url).await.unwrap();
    (db, store)
}

async fn dump(store: &Arc<dyn Store>) -> String {
    zhiban_store::render_dump(&store.dump_tables().await.unwrap())
}

fn normalized(mut ds: Dataset) -> Dataset {
    ds.normalize();
    ds
}

#[tokio::test]
async fn a_new_database_file_uses_wal_and_enforces_foreign_keys() {
    let db = TestDb::new(Backend::Sqlite).await;
    let store = SqliteStore::open(&db.url).await.unwrap();
    let mut conn = store.pool().acquire().await.unwrap();
    let mode: String = sqlx::query("PRAGMA journal_mode")
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .get(0);
    let fk: i64 = sqlx::query("PRAGMA foreign_keys")
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .get(0);
    assert_eq!((mode.as_str(), fk), ("wal", 1));
    let err =
        sqlx::query("INSERT INTO firms (id, name, centre_id) VALUES ('F', 'x', 'NO-SUCH-CENTRE')")
            .execute(&mut *conn)
            .await
            .unwrap_err();
    assert!(err.to_string().contains("FOREIGN KEY"), "{err}");
    assert!(store.counts().await.unwrap().is_empty());
    assert_eq!(store.integrity_check().await.unwrap(), "ok");
}

#[tokio::test]
async fn a_new_postgres_database_gets_the_schema_and_enforces_foreign_keys() {
    let db = TestDb::new(Backend::Postgres).await;
    let store = zhiban_store::postgres::PgStore::open(&db.url)
        .await
        .unwrap();
    let err =
        sqlx::query("INSERT INTO firms (id, name, centre_id) VALUES ('F', 'x', 'NO-SUCH-CENTRE')")
            .execute(store.pool())
            .await
            .unwrap_err();
    assert!(err.to_string().contains("foreign key"), "{err}");
    let err = sqlx::query(
        "INSERT INTO audit_log (at, actor, action, target, detail) VALUES ('yesterday', 'a', 'b', 'c', '{}')",
    )
    .execute(store.pool())
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("instant"),
        "instants are checked: {err}"
    );
    assert!(store.counts().await.unwrap().is_empty());
    // Opening again (a second process, a restart) finds the schema up to date.
    let again = zhiban_store::connect(&db.url).await.unwrap();
    again.ping().await.unwrap();
}

async fn the_small_fixture_imports_and_exports_unchanged(backend: Backend) {
    let (_db, store) = open(backend).await;
    let ds = fixture("small");
    let counts = store.import_dataset(&ds).await.unwrap();
    assert_eq!(
        (
            counts.centres,
            counts.firms,
            counts.stations,
            counts.lawyers
        ),
        (1, 3, 3, 12)
    );
    assert_eq!((counts.demand, counts.leave, counts.calendar), (9, 3, 39));
    assert_eq!(
        normalized(store.export_dataset().await.unwrap()),
        normalized(ds)
    );
    let kss = store.list_stations(Some(&"CH".parse_id())).await.unwrap();
    assert_eq!(kss.len(), 3);
}

trait ParseId {
    fn parse_id(&self) -> zhiban_domain::CentreId;
}
impl ParseId for &str {
    fn parse_id(&self) -> zhiban_domain::CentreId {
        zhiban_domain::CentreId::parse(self).unwrap()
    }
}

async fn importing_the_same_data_set_twice_changes_nothing(backend: Backend) {
    let (_db, store) = open(backend).await;
    let ds = fixture("small");
    store.import_dataset(&ds).await.unwrap();
    let first = dump(&store).await;
    let rev = store.revisions().await.unwrap();
    store.import_dataset(&ds).await.unwrap();
    // Only the panel's revision counter moves (caches re-read the panel once, harmlessly).
    let without_counters = |d: String| {
        d.lines()
            .filter(|l| !l.contains("revision:panel"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(first.contains("revision:panel"), "{first}");
    assert_eq!(
        without_counters(dump(&store).await),
        without_counters(first)
    );
    assert_eq!(store.revisions().await.unwrap().panel, rev.panel + 1);
}

async fn a_reimport_replaces_a_lawyers_leave_and_keeps_other_records(backend: Backend) {
    let (_db, store) = open(backend).await;
    let mut ds = fixture("small");
    store.import_dataset(&ds).await.unwrap();
    ds.leave.retain(|l| l.lawyer_id.as_str() != "CH-L02");
    ds.leave.push(Leave {
        lawyer_id: LawyerId::parse("CH-L02").unwrap(),
        from: NaiveDate::from_ymd_opt(2026, 12, 14).unwrap(),
        to: NaiveDate::from_ymd_opt(2026, 12, 14).unwrap(),
        half_day: Some(HalfDay::Pm),
        reason: "开庭".into(),
    });
    ds.lawyers[0].name = "陈志明（改）".into();
    store.import_dataset(&ds).await.unwrap();
    let back = store.export_dataset().await.unwrap();
    assert_eq!(normalized(back), normalized(ds));
}

async fn an_import_that_fails_part_way_leaves_the_database_unchanged(backend: Backend) {
    let (db, store) = open(backend).await;
    store.import_dataset(&fixture("small")).await.unwrap();
    // A database-side failure on the last lawyer, after centres, firms, stations and eleven
    // lawyers have already been written inside the transaction.
    match backend {
        Backend::Sqlite => {
            let s = SqliteStore::open(&db.url).await.unwrap();
            sqlx::query(
                "CREATE TRIGGER fail_last BEFORE UPDATE ON lawyers WHEN NEW.id = 'CH-L12' \
                 BEGIN SELECT RAISE(ABORT, 'simulated failure'); END",
            )
            .execute(s.pool())
            .await
            .unwrap();
        }
        Backend::Postgres => {
            let s = zhiban_store::postgres::PgStore::open(&db.url)
                .await
                .unwrap();
            sqlx::raw_sql(
                "CREATE FUNCTION fail_last() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'simulated failure'; END $$; \
                 CREATE TRIGGER fail_last BEFORE UPDATE ON lawyers FOR EACH ROW \
                 WHEN (NEW.id = 'CH-L12') EXECUTE FUNCTION fail_last();",
            )
            .execute(s.pool())
            .await
            .unwrap();
        }
    }
    let before = dump(&store).await;
    let mut changed = fixture("small");
    for l in &mut changed.lawyers {
        l.name.push('X');
    }
    changed.stations[0].name = "改名".into();
    changed.settings.name = "changed".into();
    let err = store.import_dataset(&changed).await.unwrap_err();
    assert!(err.to_string().contains("simulated failure"), "{err}");
    assert_eq!(dump(&store).await, before);
}

async fn every_fixture_round_trips_through_a_database(backend: Backend) {
    for name in ["small", "guangzhou", "baotou"] {
        let (_da, a) = open(backend).await;
        let ds = fixture(name);
        a.import_dataset(&ds).await.unwrap();
        let exported = a.export_dataset().await.unwrap();
        assert_eq!(
            normalized(exported.clone()),
            normalized(ds),
            "{name}: export differs from import"
        );
        let (_db, b) = open(backend).await;
        b.import_dataset(&exported).await.unwrap();
        assert_eq!(
            a.dump_tables().await.unwrap(),
            b.dump_tables().await.unwrap(),
            "{name}: second import differs"
        );
    }
}

#[tokio::test]
async fn the_same_content_dumps_the_same_on_both_backends() {
    let (_a, sqlite) = open(Backend::Sqlite).await;
    let (_b, pg) = open(Backend::Postgres).await;
    for s in [&sqlite, &pg] {
        s.import_dataset(&fixture("guangzhou")).await.unwrap();
    }
    let (a, b) = (
        sqlite.dump_tables().await.unwrap(),
        pg.dump_tables().await.unwrap(),
    );
    // Settings hold no instants; every panel table compares row for row.
    for t in [
        "centres",
        "firms",
        "stations",
        "demand_rules",
        "lawyers",
        "lawyer_leave",
        "calendar_days",
        "settings",
    ] {
        assert!(!a[t].is_empty(), "{t}");
        assert_eq!(a[t], b[t], "{t}");
    }
}

#[tokio::test]
async fn in_memory_databases_work() {
    let store = zhiban_store::connect("sqlite::memory:").await.unwrap();
    store.import_dataset(&fixture("small")).await.unwrap();
    assert_eq!(store.counts().await.unwrap().lawyers, 12);
    store.ping().await.unwrap();
}

#[tokio::test]
async fn a_postgres_url_that_does_not_answer_is_a_clear_error_without_the_password() {
    let err = zhiban_store::connect("postgres://u:pw@127.0.0.1:1/test")
        .await
        .err()
        .unwrap();
    let msg = err.to_string();
    assert!(
        msg.contains("database error") && !msg.contains("pw"),
        "{msg}"
    );
}

fn audit(action: &str) -> zhiban_store::Audit {
    zhiban_store::Audit {
        actor: "test".into(),
        centre_id: Some(zhiban_domain::CentreId::parse("CH").unwrap()),
        action: action.into(),
        target: String::new(),
        detail: serde_json::json!({}),
    }
}

fn duty(day: u32, lawyer: &str) -> zhiban_domain::Assignment {
    zhiban_domain::Assignment {
        date: NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
        half_day: HalfDay::Am,
        station_id: zhiban_domain::StationId::parse("CH-KSS").unwrap(),
        lawyer_id: LawyerId::parse(lawyer).unwrap(),
        role: zhiban_domain::Role::Primary,
    }
}

fn new_version(roster: zhiban_store::RosterRef, lawyers: &[&str]) -> zhiban_store::NewVersion {
    zhiban_store::NewVersion {
        roster,
        based_on: None,
        origin: "solve".into(),
        report: serde_json::json!({"posts_filled": lawyers.len()}),
        assignments: lawyers
            .iter()
            .enumerate()
            .map(|(i, l)| duty(23 + i as u32, l))
            .collect(),
        pins: Default::default(),
        publish: false,
        created_by: "test".into(),
    }
}

async fn roster_versions_publish_once_and_published_ones_never_change(backend: Backend) {
    use zhiban_store::{RosterRef, StoreError, VersionStatus};
    let (_db, store) = open(backend).await;
    store.import_dataset(&fixture("small")).await.unwrap();
    let centre = zhiban_domain::CentreId::parse("CH").unwrap();
    let from = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let new = RosterRef::New {
        centre_id: centre.clone(),
        from,
        weeks: 1,
    };
    let v1 = store
        .create_version(
            &new_version(new.clone(), &["CH-L01", "CH-L02"]),
            &audit("create"),
        )
        .await
        .unwrap();
    let got = store.get_version(v1).await.unwrap().unwrap();
    assert_eq!(got.version.status, VersionStatus::Draft);
    assert_eq!(got.assignments.len(), 2);
    assert_eq!(
        got.roster.to(),
        NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
    );
    // A draft changes at its revision only.
    let edited = vec![duty(23, "CH-L03")];
    let err = store
        .update_draft(
            v1,
            7,
            &edited,
            &Default::default(),
            &serde_json::json!({}),
            &audit("edit"),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    store
        .update_draft(
            v1,
            1,
            &edited,
            &Default::default(),
            &serde_json::json!({}),
            &audit("edit"),
        )
        .await
        .unwrap();
    store.publish_version(v1, &audit("publish")).await.unwrap();
    let err = store
        .publish_version(v1, &audit("publish"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    let err = store
        .update_draft(
            v1,
            2,
            &[],
            &Default::default(),
            &serde_json::json!({}),
            &audit("edit"),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    // A second roster of the centre over an overlapping period cannot be published.
    let other = store
        .create_version(&new_version(new, &["CH-L04"]), &audit("create"))
        .await
        .unwrap();
    let err = store
        .publish_version(other, &audit("publish"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(ref m) if m.contains("overlapping")),
        "{err}"
    );
    // Published duties are listed; the refused steps left no audit entries behind.
    let duties = store
        .list_duties(
            &zhiban_store::DutyQuery::default(),
            zhiban_store::Page {
                limit: 10,
                offset: 0,
            },
        )
        .await
        .unwrap();
    assert_eq!(duties.total, 1);
    assert_eq!(duties.items[0].assignment.lawyer_id.as_str(), "CH-L03");
    let log = store
        .list_audit(
            Some(&centre),
            zhiban_store::Page {
                limit: 100,
                offset: 0,
            },
        )
        .await
        .unwrap();
    let actions: Vec<&str> = log.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["create", "publish", "edit", "create"]);
}

async fn concurrent_publishes_of_overlapping_rosters_let_exactly_one_through(backend: Backend) {
    use zhiban_store::RosterRef;
    let (_db, store) = open(backend).await;
    store.import_dataset(&fixture("small")).await.unwrap();
    let centre = zhiban_domain::CentreId::parse("CH").unwrap();
    let from = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    for round in 0..5 {
        // Eight drafts of eight series over the same week, published all at once.
        let mut drafts = Vec::new();
        for _ in 0..8 {
            let new = RosterRef::New {
                centre_id: centre.clone(),
                from: from + chrono::Days::new(28 * round),
                weeks: 1,
            };
            drafts.push(
                store
                    .create_version(&new_version(new, &["CH-L01"]), &audit("create"))
                    .await
                    .unwrap(),
            );
        }
        let mut tasks = Vec::new();
        for v in drafts {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store.publish_version(v, &audit("publish")).await
            }));
        }
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(()) => ok += 1,
                Err(StoreError::Conflict(m)) => assert!(m.contains("overlapping"), "{m}"),
                Err(e) => panic!("publishing failed otherwise: {e}"),
            }
        }
        assert_eq!(
            ok, 1,
            "round {round}: exactly one roster of the week is published"
        );
    }
}

async fn jobs_are_leased_to_one_worker_and_taken_back_when_it_dies(backend: Backend) {
    use zhiban_store::{JobKind, JobStatus, RosterRef};
    let (_db, store) = open(backend).await;
    store.import_dataset(&fixture("guangzhou")).await.unwrap();
    let centres = store.list_centres().await.unwrap();
    let req = serde_json::json!({"weeks": 1});
    let mut jobs = Vec::new();
    for c in &centres {
        jobs.push(
            store
                .create_job(&c.id, JobKind::Solve, &req, None, &audit("job"))
                .await
                .unwrap(),
        );
    }
    // One queued or running job per centre.
    let err = store
        .create_job(&centres[0].id, JobKind::Solve, &req, None, &audit("job"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    // Sixteen workers claim at once, again and again: every job goes to exactly one.
    let mut tasks = Vec::new();
    for w in 0..16 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            while let Some(j) = store.claim_next_job(&format!("w{w}")).await.unwrap() {
                assert_eq!(j.status, JobStatus::Running);
                assert_eq!(j.worker.as_deref(), Some(format!("w{w}").as_str()));
                got.push(j.id);
            }
            (format!("w{w}"), got)
        }));
    }
    let mut claimed = Vec::new();
    let mut owner = std::collections::BTreeMap::new();
    for t in tasks {
        let (w, got) = t.await.unwrap();
        for id in got {
            owner.insert(id, w.clone());
            claimed.push(id);
        }
    }
    claimed.sort();
    assert_eq!(claimed, jobs, "each job claimed once, none lost");
    let first = jobs[0];
    let w0 = owner[&first].clone();
    assert!(store.heartbeat_job(first, &w0).await.unwrap());
    assert!(!store.heartbeat_job(first, "someone-else").await.unwrap());
    store
        .set_job_progress(first, &serde_json::json!({"parts_done": 1}))
        .await
        .unwrap();
    // Nothing is stale yet.
    let past = chrono::Utc::now() - chrono::Duration::seconds(60);
    assert_eq!(store.requeue_stale_jobs(past, 2).await.unwrap(), (0, 0));
    // Every worker "dies": their leases go stale and the jobs are queued again.
    let future = chrono::Utc::now() + chrono::Duration::seconds(1);
    let n = jobs.len() as u64;
    assert_eq!(store.requeue_stale_jobs(future, 2).await.unwrap(), (n, 0));
    let j = store.get_job(first).await.unwrap().unwrap();
    assert_eq!(
        (j.status, j.worker, j.attempts),
        (JobStatus::Queued, None, 1)
    );
    // The old owner's result is refused: it lost the lease, nothing is stored.
    let centre = j.centre_id.clone();
    let version = zhiban_store::NewVersion {
        roster: RosterRef::New {
            centre_id: centre.clone(),
            from: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            weeks: 1,
        },
        based_on: None,
        origin: "solve".into(),
        report: serde_json::json!({}),
        assignments: vec![],
        pins: Default::default(),
        publish: false,
        created_by: "test".into(),
    };
    let err = store
        .finish_job(first, &w0, Ok(&version), &audit("job.succeeded"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert!(
        store
            .list_rosters(
                None,
                zhiban_store::Page {
                    limit: 10,
                    offset: 0
                }
            )
            .await
            .unwrap()
            .items
            .is_empty()
    );
    // A second worker takes it (attempt 2) and finishes it.
    let mut again = None;
    while let Some(j) = store.claim_next_job("w-new").await.unwrap() {
        if j.id == first {
            again = Some(j);
        }
    }
    let again = again.unwrap();
    assert_eq!(again.attempts, 2);
    let vid = store
        .finish_job(first, "w-new", Ok(&version), &audit("job.succeeded"))
        .await
        .unwrap()
        .unwrap();
    let done = store.get_job(first).await.unwrap().unwrap();
    assert_eq!(
        (done.status, done.version_id),
        (JobStatus::Succeeded, Some(vid))
    );
    // The others died again on their second attempt: at the limit they fail for good.
    let (requeued, failed) = store
        .requeue_stale_jobs(chrono::Utc::now() + chrono::Duration::seconds(1), 2)
        .await
        .unwrap();
    assert_eq!((requeued, failed), (0, n - 1));
    let j = store.get_job(jobs[1]).await.unwrap().unwrap();
    assert_eq!(j.status, JobStatus::Failed);
    assert!(j.error.unwrap().contains("interrupted"));
    // The centre may solve again.
    store
        .create_job(&centres[1].id, JobKind::Solve, &req, None, &audit("job"))
        .await
        .unwrap();
}

#[tokio::test]
async fn migrate_db_copies_everything_verified_and_refuses_a_non_empty_target() {
    use zhiban_store::RosterRef;
    let src = TestDb::new(Backend::Sqlite).await;
    let store = zhiban_store::connect(&src.url).await.unwrap();
    store.import_dataset(&fixture("guangzhou")).await.unwrap();
    let c = store.list_centres().await.unwrap()[0].id.clone();
    let v = store
        .create_version(
            &zhiban_store::NewVersion {
                roster: RosterRef::New {
                    centre_id: c.clone(),
                    from: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
                    weeks: 1,
                },
                based_on: None,
                origin: "solve".into(),
                report: serde_json::json!({"note": "引号 ' 和 | 竖线"}),
                assignments: vec![],
                pins: Default::default(),
                publish: true,
                created_by: "test".into(),
            },
            &audit("create"),
        )
        .await
        .unwrap();
    drop(store);
    let dst = TestDb::new(Backend::Postgres).await;
    let report = zhiban_store::migrate::sqlite_to_postgres(&src.url, &dst.url)
        .await
        .unwrap();
    let rows = |t: &str| report.iter().find(|r| r.table == t).unwrap().rows;
    assert!(rows("lawyers") > 100, "{report:?}");
    assert_eq!(rows("roster_versions"), 1);
    assert!(rows("audit_log") >= 1);
    let a = zhiban_store::connect(&src.url).await.unwrap();
    let b = zhiban_store::connect(&dst.url).await.unwrap();
    assert_eq!(
        a.dump_tables().await.unwrap(),
        b.dump_tables().await.unwrap()
    );
    assert_eq!(
        normalized(a.export_dataset().await.unwrap()),
        normalized(b.export_dataset().await.unwrap())
    );
    assert_eq!(b.get_version(v).await.unwrap().unwrap().version.id, v);
    // Ids go on after the copied ones.
    let v2 = b
        .create_version(
            &zhiban_store::NewVersion {
                roster: RosterRef::Existing(b.get_version(v).await.unwrap().unwrap().roster.id),
                based_on: Some(v),
                origin: "edit".into(),
                report: serde_json::json!({}),
                assignments: vec![],
                pins: Default::default(),
                publish: false,
                created_by: "test".into(),
            },
            &audit("create"),
        )
        .await
        .unwrap();
    assert!(v2 > v);
    // A second run finds the target full and writes nothing.
    let before = b.dump_tables().await.unwrap();
    let err = zhiban_store::migrate::sqlite_to_postgres(&src.url, &dst.url)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not empty"), "{err}");
    assert_eq!(b.dump_tables().await.unwrap(), before);
}

#[tokio::test]
async fn concurrent_sqlite_writes_are_committed_in_groups_and_a_failed_one_leaves_no_trace() {
    // 200 writers at once through the one write connection (group commit), every tenth
    // followed by a write that fails half-way (a version for a roster that does not exist:
    // its savepoint is rolled back while the others in its batch commit).
    let db = TestDb::new(Backend::Sqlite).await;
    let store = Arc::new(SqliteStore::open(&db.url).await.unwrap());
    store.import_dataset(&fixture("small")).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            let made = s
                .create_token(
                    &zhiban_store::NewToken {
                        hash: format!("{i:064x}"),
                        role: zhiban_store::TokenRole::Admin,
                        centre_id: None,
                        lawyer_id: None,
                        station_id: None,
                        label: format!("writer {i}"),
                    },
                    &audit("token.create"),
                )
                .await
                .map(|t| t.id);
            let failed = if i % 10 == 0 {
                Some(
                    s.update_draft(
                        987_654,
                        1,
                        &[],
                        &Default::default(),
                        &serde_json::json!({}),
                        &audit("roster.edit"),
                    )
                    .await,
                )
            } else {
                None
            };
            (made, failed.map(|f| f.is_err()))
        }));
    }
    let mut ids = std::collections::BTreeSet::new();
    for t in tasks {
        let (made, failed) = t.await.unwrap();
        ids.insert(made.unwrap());
        assert_ne!(failed, Some(false), "the bad write was refused");
    }
    assert_eq!(ids.len(), 200);
    // A second store on the file (another process, a restart) sees every acknowledged write
    // once, and no audit row of the failed writes.
    drop(store);
    let again = SqliteStore::open(&db.url).await.unwrap();
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, label FROM api_tokens")
        .fetch_all(again.pool())
        .await
        .unwrap();
    assert_eq!(rows.len(), 200);
    assert!(rows.iter().all(|(id, _)| ids.contains(id)));
    let edits: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'roster.edit'")
            .fetch_one(again.pool())
            .await
            .unwrap();
    assert_eq!(edits, 0);
    assert_eq!(again.integrity_check().await.unwrap(), "ok");
}

async fn check_ins_are_stored_once_with_their_audit_entries_and_a_bad_one_leaves_no_trace(
    backend: Backend,
) {
    use zhiban_store::{AttendanceStatus, NewAttendance, Page, RosterRef};
    let (_db, store) = open(backend).await;
    let ds = fixture("small");
    store.import_dataset(&ds).await.unwrap();
    let centre = zhiban_domain::CentreId::parse("CH").unwrap();
    let lawyers: Vec<&str> = ds
        .lawyers
        .iter()
        .filter(|l| l.home_centre_id == centre)
        .map(|l| l.id.as_str())
        .collect();
    assert!(lawyers.len() >= 10);
    let v = store
        .create_version(
            &new_version(
                RosterRef::New {
                    centre_id: centre.clone(),
                    from: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
                    weeks: 1,
                },
                &[],
            ),
            &audit("create"),
        )
        .await
        .unwrap();
    let roster_id = store.get_version(v).await.unwrap().unwrap().roster.id;
    let record = |lawyer: &str, role: zhiban_domain::Role, key: &str| NewAttendance {
        centre_id: centre.clone(),
        roster_id,
        duty: zhiban_domain::Assignment {
            role,
            ..duty(23, lawyer)
        },
        status: AttendanceStatus::CheckedIn,
        method: Some(zhiban_store::CheckInMethod::App),
        check_in_at: Some(chrono::Utc::now()),
        check_out_at: None,
        lat: Some(23.49),
        lon: Some(113.5),
        distance_m: Some(12.0),
        minutes_late: 0,
        late: false,
        outside_geofence: false,
        approved: true,
        proof: "geofence",
        checkout_window: None,
        reason: String::new(),
        idempotency_key: Some(key.to_string()),
    };
    // Every lawyer checks in to a primary and a backup duty at once; every third write is
    // followed by one that fails (a station that does not exist).
    let mut tasks = Vec::new();
    for (i, l) in lawyers.iter().enumerate() {
        for role in [zhiban_domain::Role::Primary, zhiban_domain::Role::Backup] {
            let s = store.clone();
            let good = record(l, role, &format!("{l}-{}", role.code()));
            let mut bad = record(l, role, &format!("{l}-{}-bad", role.code()));
            bad.duty.station_id = zhiban_domain::StationId::parse("CH-NOPE").unwrap();
            tasks.push(tokio::spawn(async move {
                let made = s
                    .create_attendance(&good, &audit("attendance.check_in"))
                    .await;
                let failed = if i % 3 == 0 {
                    Some(
                        s.create_attendance(&bad, &audit("attendance.check_in"))
                            .await,
                    )
                } else {
                    None
                };
                (good, made.unwrap(), failed.map(|f| f.is_err()))
            }));
        }
    }
    let mut made = Vec::new();
    for t in tasks {
        let (good, (rec, new), failed) = t.await.unwrap();
        assert!(new, "{rec:?}");
        assert_eq!(rec.duty, good.duty);
        assert_eq!(rec.status, AttendanceStatus::CheckedIn);
        assert_ne!(
            failed,
            Some(false),
            "the check-in at an unknown station was refused"
        );
        made.push((good, rec));
    }
    // A retry with the same key finds the record; another key for the same duty is refused.
    let (good, first) = &made[0];
    let (again, new) = store
        .create_attendance(good, &audit("attendance.check_in"))
        .await
        .unwrap();
    assert!(!new);
    assert_eq!(again.id, first.id);
    let mut other = good.clone();
    other.idempotency_key = Some("another".into());
    let err = store
        .create_attendance(&other, &audit("attendance.check_in"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    // Checked out once, by its own lawyer only; a second check-out is refused. The audit
    // entries name no centre: the store takes the record's.
    let stranger = zhiban_domain::LawyerId::parse(lawyers[1]).unwrap();
    for (_, rec) in &made {
        let mut a = audit("attendance.check_out");
        a.target = format!("attendance/{}", rec.id);
        a.centre_id = None;
        if rec.duty.lawyer_id != stranger {
            let err = store
                .check_out(rec.id, &stranger, chrono::Utc::now(), &a)
                .await
                .unwrap_err();
            assert!(matches!(err, StoreError::NotFound(_)), "{err}");
        }
        let out = store
            .check_out(rec.id, &rec.duty.lawyer_id, chrono::Utc::now(), &a)
            .await
            .unwrap();
        assert_eq!(out.status, AttendanceStatus::Attended);
        assert!(out.check_out_at.is_some());
        let err = store
            .check_out(rec.id, &rec.duty.lawyer_id, chrono::Utc::now(), &a)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    }
    let err = store
        .check_out(i64::MAX, &stranger, chrono::Utc::now(), &audit("x"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err}");
    let stored = store
        .list_attendance(
            &centre,
            duty(23, lawyers[0]).date,
            duty(23, lawyers[0]).date,
        )
        .await
        .unwrap();
    assert_eq!(stored.len(), made.len());
    assert!(
        stored
            .iter()
            .all(|r| r.status == AttendanceStatus::Attended)
    );
    // One audit entry per stored check-in and per check-out, naming the record; none for
    // the refused writes.
    let log = store
        .list_audit(
            None,
            Page {
                limit: 1000,
                offset: 0,
            },
        )
        .await
        .unwrap()
        .items;
    let targets = |action: &str| {
        let mut t: Vec<String> = log
            .iter()
            .filter(|e| e.action == action)
            .map(|e| e.target.clone())
            .collect();
        t.sort();
        t
    };
    let mut want: Vec<String> = made
        .iter()
        .map(|(_, r)| format!("attendance/{}", r.id))
        .collect();
    want.sort();
    assert_eq!(targets("attendance.check_in"), want);
    assert_eq!(targets("attendance.check_out"), want);
    assert!(
        log.iter()
            .filter(|e| e.action == "attendance.check_out")
            .all(|e| e.centre_id.as_ref() == Some(&centre)),
        "check-out entries carry the record's centre"
    );
}

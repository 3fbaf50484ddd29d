//! The SQLite store against real database files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use sqlx::Row;
use std::path::{Path, PathBuf};
use zhiban_domain::{Dataset, HalfDay, LawyerId, Leave};
use zhiban_store::Store;
use zhiban_store::sqlite::SqliteStore;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
}

fn fixture(name: &str) -> Dataset {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name);
    zhiban_dataset::read_dir(&dir, today()).unwrap()
}

async fn open(dir: &Path, name: &str) -> SqliteStore {
    let url = format!("sqlite://{}", dir.join(name).display());
    SqliteStore::open(&url).await.unwrap()
}

fn normalized(mut ds: Dataset) -> Dataset {
    ds.normalize();
    ds
}

#[tokio::test]
async fn a_new_database_file_uses_wal_and_enforces_foreign_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path(), "a.db").await;
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
async fn the_small_fixture_imports_and_exports_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path(), "a.db").await;
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

#[tokio::test]
async fn importing_the_same_data_set_twice_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path(), "a.db").await;
    let ds = fixture("small");
    store.import_dataset(&ds).await.unwrap();
    let first = store.dump().await.unwrap();
    store.import_dataset(&ds).await.unwrap();
    assert_eq!(store.dump().await.unwrap(), first);
}

#[tokio::test]
async fn a_reimport_replaces_a_lawyers_leave_and_keeps_other_records() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path(), "a.db").await;
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

#[tokio::test]
async fn an_import_that_fails_part_way_leaves_the_database_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path(), "a.db").await;
    store.import_dataset(&fixture("small")).await.unwrap();
    // A database-side failure on the last lawyer, after centres, firms, stations and eleven
    // lawyers have already been written inside the transaction.
    sqlx::query(
        "CREATE TRIGGER fail_last BEFORE UPDATE ON lawyers WHEN NEW.id = 'CH-L12' \
         BEGIN SELECT RAISE(ABORT, 'simulated failure'); END",
    )
    .execute(store.pool())
    .await
    .unwrap();
    let before = store.dump().await.unwrap();
    let mut changed = fixture("small");
    for l in &mut changed.lawyers {
        l.name.push('X');
    }
    changed.stations[0].name = "改名".into();
    changed.settings.name = "changed".into();
    let err = store.import_dataset(&changed).await.unwrap_err();
    assert!(err.to_string().contains("simulated failure"), "{err}");
    assert_eq!(store.dump().await.unwrap(), before);
}

#[tokio::test]
async fn every_fixture_round_trips_through_a_database() {
    for name in ["small", "guangzhou", "baotou"] {
        let tmp = tempfile::tempdir().unwrap();
        let a = open(tmp.path(), "a.db").await;
        let ds = fixture(name);
        a.import_dataset(&ds).await.unwrap();
        let exported = a.export_dataset().await.unwrap();
        assert_eq!(
            normalized(exported.clone()),
            normalized(ds),
            "{name}: export differs from import"
        );
        let b = open(tmp.path(), "b.db").await;
        b.import_dataset(&exported).await.unwrap();
        assert_eq!(
            a.dump().await.unwrap(),
            b.dump().await.unwrap(),
            "{name}: second import differs"
        );
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
async fn a_postgres_url_is_refused_with_a_clear_message() {
    let err = zhiban_store::connect("postgres://u:pw@127.0.0.1/test")
        .await
        .err()
        .unwrap();
    let msg = err.to_string();
    assert!(
        msg.contains("not built yet") && !msg.contains("pw"),
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

#[tokio::test]
async fn roster_versions_publish_once_and_published_ones_never_change() {
    use zhiban_store::{RosterRef, StoreError, VersionStatus};
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path(), "r.db").await;
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
    assert_eq!(store.integrity_check().await.unwrap(), "ok");
}

#[tokio::test]
async fn a_centre_has_one_active_job_and_a_restart_fails_unfinished_ones() {
    use zhiban_store::{JobKind, JobStatus, StoreError};
    let tmp = tempfile::tempdir().unwrap();
    let store = open(tmp.path(), "j.db").await;
    store.import_dataset(&fixture("small")).await.unwrap();
    let centre = zhiban_domain::CentreId::parse("CH").unwrap();
    let req = serde_json::json!({"weeks": 1});
    let job = store
        .create_job(&centre, JobKind::Solve, &req, None, &audit("job"))
        .await
        .unwrap();
    let err = store
        .create_job(&centre, JobKind::Solve, &req, None, &audit("job"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert!(store.claim_job(job).await.unwrap());
    assert!(
        !store.claim_job(job).await.unwrap(),
        "a job is claimed once"
    );
    store
        .set_job_progress(job, &serde_json::json!({"parts_done": 1}))
        .await
        .unwrap();
    assert_eq!(store.fail_unfinished_jobs("restarted").await.unwrap(), 1);
    let j = store.get_job(job).await.unwrap().unwrap();
    assert_eq!(j.status, JobStatus::Failed);
    assert_eq!(j.error.as_deref(), Some("restarted"));
    assert_eq!(j.progress.unwrap()["parts_done"], 1);
    // The centre may solve again.
    store
        .create_job(&centre, JobKind::Solve, &req, None, &audit("job"))
        .await
        .unwrap();
}

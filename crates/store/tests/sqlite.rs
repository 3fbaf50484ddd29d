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

//! Opening databases: schemas, pragmas and foreign keys on each backend, in-memory
//! SQLite, clear errors for a server that does not answer, equal dumps on both backends,
//! and copying a database from one backend to the other.

use chrono::NaiveDate;
use sqlx::Row;
use zhiban_store::prelude::*;
use zhiban_store::sqlite::SqliteStore;
use zhiban_testkit::{Backend, TestDb};

use crate::helpers::*;

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
                origin: zhiban_store::VersionOrigin::Solve,
                report: report(0),
                assignments: vec![],
                pins: Default::default(),
                publish: true,
                created_by: "引号 ' 和 | 竖线".into(),
                now: chrono::Utc::now(),
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
                origin: zhiban_store::VersionOrigin::Edit,
                report: zhiban_domain::SolveReport::not_solved(Default::default()),
                assignments: vec![],
                pins: Default::default(),
                publish: false,
                created_by: "test".into(),
                now: chrono::Utc::now(),
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

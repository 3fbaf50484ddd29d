//! Data sets in and out: round trips of every fixture, re-imports that change nothing or
//! only what changed, a failed import that leaves nothing, and no repricing of a locked month.

use chrono::NaiveDate;
use zhiban_domain::{HalfDay, LawyerId, Leave};
use zhiban_store::sqlite::SqliteStore;
use zhiban_testkit::{Backend, on_both};

use crate::helpers::*;

on_both!(
    worker_threads = 4;
    the_small_fixture_imports_and_exports_unchanged,
    importing_the_same_data_set_twice_changes_nothing,
    a_reimport_replaces_a_lawyers_leave_and_keeps_other_records,
    an_import_that_fails_part_way_leaves_the_database_unchanged,
    every_fixture_round_trips_through_a_database,
    a_reimport_cannot_reprice_a_locked_month,
);

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
            &statement("CH", "2026-09", 0),
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

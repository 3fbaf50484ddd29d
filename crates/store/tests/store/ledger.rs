//! The duty ledger: each writer sets only its own columns, so a lawyer's counts and a
//! coordinator's rating written at the same time both survive; a locked month refuses both.

use chrono::{NaiveDate, TimeZone, Utc};
use zhiban_domain::{CentreId, HalfDay, LawyerId, StationId};
use zhiban_store::{LedgerEntry, LedgerWriter, StoreError};
use zhiban_testkit::{Backend, on_both};

use crate::helpers::*;

on_both!(
    worker_threads = 4;
    a_lawyers_counts_and_a_coordinators_rating_written_together_both_survive,
    concurrent_lawyer_and_coordinator_writes_never_lose_the_rating,
    a_locked_month_refuses_ledger_writes_of_either_writer,
);

fn entry(day: u32, consultations: u32, plea: u32, quality: Option<&str>) -> LedgerEntry {
    LedgerEntry {
        centre_id: CentreId::parse("CH").unwrap(),
        station_id: StationId::parse("CH-KSS").unwrap(),
        date: NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
        half_day: HalfDay::Am,
        lawyer_id: LawyerId::parse("CH-L01").unwrap(),
        consultations,
        plea_signings: plea,
        confirmed_plea_signings: None,
        confirmed_by: None,
        confirmed_at: None,
        quality: quality.map(String::from),
        notes: format!("{consultations} consultations"),
        applications: vec![],
        updated_at: Utc.with_ymd_and_hms(2026, 11, day, 12, 0, 0).unwrap(),
        updated_by: "test".into(),
    }
}

async fn stored(store: &std::sync::Arc<dyn zhiban_store::Store>, day: u32) -> LedgerEntry {
    let d = NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
    let mut all = store
        .list_ledger(&CentreId::parse("CH").unwrap(), d, d)
        .await
        .unwrap();
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0)
}

/// The lost update the old read-then-write allowed: the lawyer's write is built from a read
/// taken before the coordinator rated the duty (no rating in it), and lands after. Both the
/// lawyer's new counts and the coordinator's rating stay; the confirmed count is the one the
/// coordinator confirmed, and the lawyer's different claim is pending.
async fn a_lawyers_counts_and_a_coordinators_rating_written_together_both_survive(
    backend: Backend,
) {
    let (_db, store) = open(backend).await;
    store.import_dataset(&fixture("small")).await.unwrap();
    let a = audit("ledger.put");
    store
        .put_ledger(&entry(10, 3, 1, None), LedgerWriter::Lawyer, &a)
        .await
        .unwrap();
    // The lawyer's next write, from what they saw: no rating.
    let lawyers = entry(10, 5, 2, None);
    // Meanwhile the coordinator rates the duty (confirming the claim they saw).
    let rated = store
        .put_ledger(
            &entry(10, 3, 1, Some("excellent")),
            LedgerWriter::Coordinator,
            &a,
        )
        .await
        .unwrap();
    assert_eq!(rated.quality.as_deref(), Some("excellent"));
    assert_eq!(rated.confirmed_plea_signings, Some(1));
    let back = store
        .put_ledger(&lawyers, LedgerWriter::Lawyer, &a)
        .await
        .unwrap();
    for e in [back, stored(&store, 10).await] {
        assert_eq!(
            e.quality.as_deref(),
            Some("excellent"),
            "the rating survives"
        );
        assert_eq!(
            (e.consultations, e.plea_signings),
            (5, 2),
            "the counts survive"
        );
        assert_eq!(e.notes, "5 consultations");
        assert_eq!(
            e.confirmed_plea_signings,
            Some(1),
            "the new claim is pending"
        );
        assert_eq!(e.confirmed_by.as_deref(), Some("test"));
    }
    // A lawyer's first write of a duty makes an entry with no rating and nothing confirmed.
    let first = store
        .put_ledger(&entry(11, 2, 0, Some("ignored")), LedgerWriter::Lawyer, &a)
        .await
        .unwrap();
    assert_eq!(first.quality, None);
    assert_eq!(first.confirmed_plea_signings, None);
}

/// Lawyer and coordinator writes of one entry racing each other, many times over: however
/// they commit, the coordinator's rating is there at the end.
async fn concurrent_lawyer_and_coordinator_writes_never_lose_the_rating(backend: Backend) {
    let (_db, store) = open(backend).await;
    store.import_dataset(&fixture("small")).await.unwrap();
    let a = audit("ledger.put");
    for round in 0..10u32 {
        let day = 12 + round % 5;
        let (s1, s2) = (store.clone(), store.clone());
        let (a1, a2) = (a.clone(), a.clone());
        let quality = format!("q{round}");
        let lawyer = tokio::spawn(async move {
            s1.put_ledger(&entry(day, round, 1, None), LedgerWriter::Lawyer, &a1)
                .await
        });
        let coordinator = {
            let quality = quality.clone();
            tokio::spawn(async move {
                s2.put_ledger(
                    &entry(day, round, 1, Some(&quality)),
                    LedgerWriter::Coordinator,
                    &a2,
                )
                .await
            })
        };
        lawyer.await.unwrap().unwrap();
        coordinator.await.unwrap().unwrap();
        let e = stored(&store, day).await;
        assert_eq!(
            e.quality.as_deref(),
            Some(quality.as_str()),
            "round {round}"
        );
        assert_eq!(e.consultations, round, "round {round}");
    }
}

/// Approving a month closes its ledger to both writers; other months stay open.
async fn a_locked_month_refuses_ledger_writes_of_either_writer(backend: Backend) {
    let (_db, store) = open(backend).await;
    let ds = fixture("small");
    store.import_dataset(&ds).await.unwrap();
    let a = audit("ledger.put");
    store
        .put_ledger(
            &entry(10, 3, 1, Some("good")),
            LedgerWriter::Coordinator,
            &a,
        )
        .await
        .unwrap();
    store
        .lock_month(
            &CentreId::parse("CH").unwrap(),
            zhiban_domain::month::Month::parse("2026-11").unwrap(),
            &statement("CH", "2026-11", 0),
            &ds.settings.subsidy,
            &audit("statement.approve"),
        )
        .await
        .unwrap();
    let before = dump(&store).await;
    for by in [LedgerWriter::Lawyer, LedgerWriter::Coordinator] {
        for day in [10, 11] {
            let err = store
                .put_ledger(&entry(day, 9, 9, None), by, &a)
                .await
                .unwrap_err();
            assert!(matches!(err, StoreError::Locked(_)), "{by:?}: {err}");
        }
    }
    assert_eq!(dump(&store).await, before, "refused writes change nothing");
    let e = stored(&store, 10).await;
    assert_eq!((e.consultations, e.quality.as_deref()), (3, Some("good")));
    let mut dec = entry(1, 4, 0, None);
    dec.date = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    store
        .put_ledger(&dec, LedgerWriter::Lawyer, &a)
        .await
        .unwrap();
}

//! Roster versions: published once and never changed, one of two overlapping concurrent
//! publishes let through.

use chrono::NaiveDate;
use zhiban_store::StoreError;
use zhiban_testkit::{Backend, on_both};

use crate::helpers::*;

on_both!(
    worker_threads = 4;
    roster_versions_publish_once_and_published_ones_never_change,
    concurrent_publishes_of_overlapping_rosters_let_exactly_one_through,
);

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
            &report(0),
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
            &report(0),
            &audit("edit"),
        )
        .await
        .unwrap();
    store
        .publish_version(v1, chrono::Utc::now(), &audit("publish"))
        .await
        .unwrap();
    let err = store
        .publish_version(v1, chrono::Utc::now(), &audit("publish"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    let err = store
        .update_draft(v1, 2, &[], &Default::default(), &report(0), &audit("edit"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    // A second roster of the centre over an overlapping period cannot be published.
    let other = store
        .create_version(&new_version(new, &["CH-L04"]), &audit("create"))
        .await
        .unwrap();
    let err = store
        .publish_version(other, chrono::Utc::now(), &audit("publish"))
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
                store
                    .publish_version(v, chrono::Utc::now(), &audit("publish"))
                    .await
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

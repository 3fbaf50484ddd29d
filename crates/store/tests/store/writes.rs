//! Writes: SQLite's group commit, and check-ins stored once with their audit entries.

use chrono::NaiveDate;
use std::sync::Arc;
use zhiban_store::StoreError;
use zhiban_store::prelude::*;
use zhiban_store::sqlite::SqliteStore;
use zhiban_testkit::{Backend, TestDb, on_both};

use crate::helpers::*;

on_both!(
    worker_threads = 4;
    check_ins_are_stored_once_with_their_audit_entries_and_a_bad_one_leaves_no_trace,
);

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
                        &report(0),
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

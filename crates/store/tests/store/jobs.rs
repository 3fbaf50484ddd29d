//! Solve jobs: leased to one worker and taken back when it dies.

use chrono::NaiveDate;
use zhiban_store::StoreError;
use zhiban_testkit::{Backend, on_both};

use crate::helpers::*;

on_both!(
    worker_threads = 4;
    jobs_are_leased_to_one_worker_and_taken_back_when_it_dies,
);

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
        .set_job_progress(
            first,
            &zhiban_domain::JobProgress {
                parts_done: 1,
                ..Default::default()
            },
        )
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
        origin: zhiban_store::VersionOrigin::Solve,
        report: zhiban_domain::SolveReport::not_solved(Default::default()),
        assignments: vec![],
        pins: Default::default(),
        publish: false,
        created_by: "test".into(),
        now: chrono::Utc::now(),
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

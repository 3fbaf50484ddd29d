//! Solve and repair jobs: queued in the store; every `zhiban serve` process runs a worker
//! that leases queued jobs (any process's: several processes share one PostgreSQL
//! database), solves them on a blocking thread, writes progress back as each independent
//! part is solved and renews its lease meanwhile. A process that dies stops renewing; the
//! next worker to look takes the job back and runs it again (up to three attempts).

use crate::AppState;
use crate::error::ApiError;
use crate::planning::problem_for;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use zhiban_domain::{CentreId, Roster};
use zhiban_solver::{Change, SolveInput, SolveSettings, repair, solve_with_progress};
use zhiban_store::{Audit, JobRecord, NewVersion, RosterRef, VersionOrigin};

/// What a job does, as stored in its `request`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "work", rename_all = "snake_case")]
pub(crate) enum Work {
    /// Generate a roster for a centre and period.
    Solve {
        /// Centre.
        centre_id: CentreId,
        /// First day.
        from: NaiveDate,
        /// Weeks.
        weeks: u32,
        /// Add the result as a new version of this series (else a new series).
        roster_id: Option<i64>,
        /// Seconds.
        time_limit_seconds: f64,
    },
    /// Repair a version after changes.
    Repair {
        /// The version to repair.
        version_id: i64,
        /// What happened.
        changes: Vec<Change>,
        /// Seconds.
        time_limit_seconds: f64,
    },
}

/// How this process runs jobs.
#[derive(Debug)]
pub struct JobRunner {
    /// This process's name in job leases (host, process id and a random part).
    pub worker: String,
    /// A lease not renewed for this long is taken back from its (dead) process.
    pub lease: Duration,
    /// How often to look for queued jobs when not woken.
    pub poll: Duration,
    /// Attempts before an interrupted job fails for good.
    pub max_attempts: u32,
    /// Jobs this process solves at once.
    pub concurrency: usize,
    wake: tokio::sync::Notify,
    started: std::sync::OnceLock<()>,
}

impl Default for JobRunner {
    fn default() -> Self {
        Self::new(Duration::from_secs(60))
    }
}

impl JobRunner {
    /// A runner with the given lease (heartbeats go every third of it).
    pub fn new(lease: Duration) -> Self {
        let host = std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_default();
        let nonce = chrono::Utc::now().timestamp_subsec_nanos();
        Self {
            worker: format!("{host}:{}:{nonce:08x}", std::process::id()),
            lease,
            poll: Duration::from_secs(1).min(lease / 4),
            max_attempts: 3,
            concurrency: 2,
            wake: tokio::sync::Notify::new(),
            started: std::sync::OnceLock::new(),
        }
    }
}

/// Makes sure this process's worker runs, and wakes it: a job was queued.
pub(crate) fn wake(state: &AppState) {
    start(state);
    state.jobs.wake.notify_one();
}

/// Starts this process's worker (once): it takes back jobs of dead processes, leases
/// queued jobs of any process with `FOR UPDATE SKIP LOCKED`, and runs them.
pub fn start(state: &AppState) {
    state.jobs.started.get_or_init(|| {
        let state = state.clone();
        tokio::spawn(async move { worker_loop(state).await });
    });
}

async fn worker_loop(state: AppState) {
    let runner = state.jobs.clone();
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(runner.concurrency.max(1)));
    tracing::info!(worker = %runner.worker, "job worker started");
    let mut last_check: Option<tokio::time::Instant> = None;
    loop {
        // Abandoned jobs are looked for a few times per lease, not at every poll.
        if last_check.is_some_and(|t| t.elapsed() < runner.lease / 4) {
            claim_all(&state, &runner, &slots).await;
            wait(&runner).await;
            continue;
        }
        last_check = Some(tokio::time::Instant::now());
        let stale_before = chrono::Utc::now()
            - chrono::Duration::from_std(runner.lease).unwrap_or(chrono::Duration::seconds(60));
        match state
            .store
            .requeue_stale_jobs(stale_before, runner.max_attempts)
            .await
        {
            Ok((0, 0)) => {}
            Ok((requeued, failed)) => {
                tracing::warn!(requeued, failed, "took back jobs of a process that stopped");
            }
            Err(e) => tracing::warn!(error = %e, "could not check for abandoned jobs"),
        }
        claim_all(&state, &runner, &slots).await;
        wait(&runner).await;
    }
}

/// Leases queued jobs while this process has free slots, starting each.
async fn claim_all(
    state: &AppState,
    runner: &JobRunner,
    slots: &std::sync::Arc<tokio::sync::Semaphore>,
) {
    while let Ok(slot) = slots.clone().try_acquire_owned() {
        match state.store.claim_next_job(&runner.worker).await {
            Ok(Some(job)) => {
                let state = state.clone();
                tokio::spawn(async move {
                    run(&state, job).await;
                    drop(slot);
                    state.jobs.wake.notify_one();
                });
            }
            Ok(None) => break,
            Err(e) => {
                tracing::warn!(error = %e, "could not claim a job");
                break;
            }
        }
    }
}

/// Until woken (a job was queued here, or one ended) or the poll interval passes.
async fn wait(runner: &JobRunner) {
    tokio::select! {
        _ = runner.wake.notified() => {}
        _ = tokio::time::sleep(runner.poll) => {}
    }
}

/// Runs a job this process leased, renewing the lease while it works.
async fn run(state: &AppState, job: JobRecord) {
    let runner = state.jobs.clone();
    let job_id = job.id;
    let beat = {
        let store = state.store.clone();
        let runner = runner.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(runner.lease / 3).await;
                match store.heartbeat_job(job_id, &runner.worker).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(job = job_id, "lease lost; the result will be dropped");
                        break;
                    }
                    Err(e) => tracing::warn!(job = job_id, error = %e, "lease not renewed"),
                }
            }
        })
    };
    let actor = job.created_by.clone();
    let outcome = match serde_json::from_value::<Work>(job.request.clone()) {
        // On a task of its own, so that a panic anywhere in the work ends as a failed job
        // with its lease released, not as a job left "running" with a live lease.
        Ok(work) => {
            let (state, actor) = (state.clone(), actor.clone());
            tokio::spawn(async move { compute(&state, job_id, work, &actor).await })
                .await
                .unwrap_or_else(|e| Err(ApiError::Internal(anyhow::anyhow!("job task: {e}"))))
        }
        Err(e) => Err(ApiError::Conflict(format!(
            "the job's request is not valid: {e}"
        ))),
    };
    beat.abort();
    let audit = |action: &str, detail: serde_json::Value| Audit {
        actor: actor.clone(),
        centre_id: Some(job.centre_id.clone()),
        action: action.into(),
        target: format!("job/{job_id}"),
        detail,
    };
    let recorded = match outcome {
        Ok(v) => {
            let a = audit(
                "job.succeeded",
                serde_json::json!({"assignments": v.assignments.len(), "attempt": job.attempts}),
            );
            state
                .store
                .finish_job(job_id, &runner.worker, Ok(&v), &a)
                .await
        }
        Err(e) => {
            let msg = match &e {
                ApiError::Internal(_) => {
                    "an internal error stopped the job; it has been logged".to_string()
                }
                other => other.to_string(),
            };
            tracing::warn!(job = job_id, error = %e, "job failed");
            let a = audit("job.failed", serde_json::json!({"error": msg}));
            state
                .store
                .finish_job(job_id, &runner.worker, Err(&msg), &a)
                .await
        }
    };
    if let Err(e) = recorded {
        tracing::error!(job = job_id, error = %e, "job result not recorded");
    }
}

fn settings(time_limit_seconds: f64) -> SolveSettings {
    SolveSettings {
        time_limit: Duration::from_secs_f64(time_limit_seconds),
        ..SolveSettings::default()
    }
}

async fn compute(
    state: &AppState,
    job_id: i64,
    work: Work,
    actor: &str,
) -> Result<NewVersion, ApiError> {
    // Progress goes from the solver thread through a channel to the store.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<zhiban_solver::Progress>();
    let store = state.store.clone();
    let writer = tokio::spawn(async move {
        while let Some(p) = rx.recv().await {
            if let Err(e) = store.set_job_progress(job_id, &p.into()).await {
                tracing::warn!(job = job_id, error = %e, "progress not recorded");
            }
        }
    });
    let result = match work {
        Work::Solve {
            centre_id,
            from,
            weeks,
            roster_id,
            time_limit_seconds,
        } => {
            let (_, problem) = problem_for(state, &centre_id, from, weeks, roster_id).await?;
            let solved = tokio::task::spawn_blocking(move || {
                let r = solve_with_progress(
                    SolveInput {
                        problem: &problem,
                        pins: &[],
                        previous: None,
                    },
                    &settings(time_limit_seconds),
                    &move |p| {
                        let _ = tx.send(p);
                    },
                );
                (r, problem)
            })
            .await
            .map_err(|e| ApiError::Internal(e.into()))?;
            let (solved, _) = solved;
            let solved = solved.map_err(|e| ApiError::Conflict(e.to_string()))?;
            Ok(NewVersion {
                roster: match roster_id {
                    Some(id) => RosterRef::Existing(id),
                    None => RosterRef::New {
                        centre_id,
                        from,
                        weeks,
                    },
                },
                based_on: None,
                origin: VersionOrigin::Solve,
                report: solved.report,
                assignments: solved.roster.assignments,
                pins: Default::default(),
                publish: false,
                created_by: actor.to_string(),
                now: chrono::Utc::now(),
            })
        }
        Work::Repair {
            version_id,
            changes,
            time_limit_seconds,
        } => {
            drop(tx);
            let v = state
                .store
                .get_version(version_id)
                .await?
                .ok_or_else(|| ApiError::not_found("version", version_id))?;
            let (_, problem) = problem_for(
                state,
                &v.roster.centre_id,
                v.roster.from,
                v.roster.weeks,
                Some(v.roster.id),
            )
            .await?;
            let previous = Roster::new(v.assignments.clone());
            let pins: Vec<_> = v.pins.iter().cloned().collect();
            let repaired = tokio::task::spawn_blocking(move || {
                repair(
                    &problem,
                    &previous,
                    &pins,
                    &changes,
                    &settings(time_limit_seconds),
                )
                .map(|r| {
                    // The solver's view of the re-solved parts (status, bound, gap, time,
                    // model size), with the whole roster's evaluation against the previous.
                    let report = zhiban_solver::SolveReport {
                        evaluation: zhiban_solver::evaluate(
                            &r.problem,
                            &r.solved.roster,
                            Some(&previous),
                            &zhiban_solver::Weights::default(),
                        ),
                        ..r.solved.report.clone()
                    };
                    (r, report)
                })
            })
            .await
            .map_err(|e| ApiError::Internal(e.into()))?
            .map_err(|e| ApiError::Conflict(e.to_string()))?;
            let (r, report) = repaired;
            let pins = r.pins.into_iter().collect();
            Ok(NewVersion {
                roster: RosterRef::Existing(v.roster.id),
                based_on: Some(v.version.id),
                origin: VersionOrigin::Repair,
                report,
                assignments: r.solved.roster.assignments,
                pins,
                publish: false,
                created_by: actor.to_string(),
                now: chrono::Utc::now(),
            })
        }
    };
    let _ = writer.await;
    result
}

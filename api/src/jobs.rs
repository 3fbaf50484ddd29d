//! Solve and repair jobs: queued in the store, run on a blocking thread, progress written
//! back as each independent part of the problem is solved.

use crate::AppState;
use crate::error::ApiError;
use crate::planning::{problem_for, report_json};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use zhiban_domain::{CentreId, Roster};
use zhiban_solver::{Change, SolveInput, SolveSettings, repair, solve_with_progress};
use zhiban_store::{Audit, NewVersion, RosterRef};

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

/// Starts a job in the background.
pub(crate) fn spawn(state: AppState, job_id: i64, work: Work, actor: String) {
    tokio::spawn(async move {
        if let Err(e) = run(&state, job_id, work, &actor).await {
            tracing::error!(job = job_id, error = %e, "job could not be recorded");
        }
    });
}

async fn run(state: &AppState, job_id: i64, work: Work, actor: &str) -> Result<(), ApiError> {
    if !state.store.claim_job(job_id).await? {
        return Ok(());
    }
    let centre = match &work {
        Work::Solve { centre_id, .. } => Some(centre_id.clone()),
        Work::Repair { .. } => None,
    };
    let outcome = compute(state, job_id, work, actor).await;
    let audit = |action: &str, detail: serde_json::Value| Audit {
        actor: actor.to_string(),
        centre_id: centre.clone(),
        action: action.into(),
        target: format!("job/{job_id}"),
        detail,
    };
    match outcome {
        Ok(v) => {
            let a = audit(
                "job.succeeded",
                serde_json::json!({"assignments": v.assignments.len()}),
            );
            state.store.finish_job(job_id, Ok(&v), &a).await?;
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
            state.store.finish_job(job_id, Err(&msg), &a).await?;
        }
    }
    Ok(())
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
            let v = serde_json::to_value(p).unwrap_or_default();
            if let Err(e) = store.set_job_progress(job_id, &v).await {
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
                origin: "solve".into(),
                report: serde_json::to_value(&solved.report).unwrap_or_default(),
                assignments: solved.roster.assignments,
                pins: Default::default(),
                publish: false,
                created_by: actor.to_string(),
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
                    let report = report_json(&r.problem, &r.solved.roster, Some(&previous));
                    (r, report)
                })
            })
            .await
            .map_err(|e| ApiError::Internal(e.into()))?
            .map_err(|e| ApiError::Conflict(e.to_string()))?;
            let (r, mut report) = repaired;
            // Keep the solver's view of the re-solved parts alongside the whole-roster terms.
            if let (Some(obj), Ok(solver)) = (
                report.as_object_mut(),
                serde_json::to_value(&r.solved.report),
            ) {
                for k in [
                    "status",
                    "solver_objective",
                    "best_bound",
                    "gap",
                    "solve_seconds",
                    "parts",
                ] {
                    if let Some(x) = solver.get(k) {
                        obj.insert(k.into(), x.clone());
                    }
                }
            }
            let pins = r.pins.into_iter().collect();
            Ok(NewVersion {
                roster: RosterRef::Existing(v.roster.id),
                based_on: Some(v.version.id),
                origin: "repair".into(),
                report,
                assignments: r.solved.roster.assignments,
                pins,
                publish: false,
                created_by: actor.to_string(),
            })
        }
    };
    let _ = writer.await;
    result
}

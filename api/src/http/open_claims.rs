//! Taking a post of an open duty, for a claim (`crate::http::open_duties`) or a
//! coordinator's pick (`crate::http::open_bids`): the roster with the lawyer added is
//! checked against the rules as they stand now, and published in the transaction that
//! takes the post with one conditional update (retried when another change published
//! first).

use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::http::open_duties::{ATTEMPTS, Claimed, out};
use crate::planning::{problem_for, report_of, violations_json};
use axum::Json;
use axum::http::StatusCode;
use zhiban_domain::{Assignment, Roster};
use zhiban_solver::new_violations;
use zhiban_store::{NewClaim, NewVersion, OpenDuty, RosterRef, StoreError};

/// Takes a post of open duty `d` for `duty`'s lawyer (a claim, or a coordinator's pick,
/// audited as `action`) and publishes the roster with them on duty: 201 with the new
/// version, 409 when no post is left, 422 when the rules rule the lawyer out.
pub(crate) async fn take_post(
    state: &AppState,
    who: &Principal,
    d: &OpenDuty,
    duty: Assignment,
    ds: &zhiban_domain::Dataset,
    action: &str,
) -> Result<(StatusCode, Json<Claimed>), ApiError> {
    let (id, lawyer) = (d.id, duty.lawyer_id.clone());
    // Another change may publish between the check and the claim: check again and retry.
    let mut last = None;
    for _ in 0..ATTEMPTS {
        let v = checked(state, who, d, &duty).await?;
        let audit = who.audit(
            Some(&d.centre_id),
            action,
            format!("open_duty/{id}"),
            serde_json::json!({"lawyer_id": lawyer, "duty": duty}),
        );
        let claim = NewClaim {
            open_duty_id: id,
            lawyer_id: lawyer.clone(),
            claimed_by: who.actor(),
            now: state.now(),
        };
        // The store refuses a stale base itself; the lock only spares this process's own
        // publishers a retry.
        let won = {
            let _guard = state.publish_lock.lock().await;
            state.store.claim_open_duty(&claim, &v, &audit).await
        };
        match won {
            Ok(version_id) => {
                let now = state
                    .store
                    .get_open_duty(id)
                    .await?
                    .ok_or_else(|| ApiError::not_found("open duty", id))?;
                let body = Claimed {
                    open_duty: out(now, ds),
                    status: "won".into(),
                    version_id: Some(version_id),
                };
                return Ok((StatusCode::CREATED, Json(body)));
            }
            Err(StoreError::Conflict(m)) if m.contains("published version changed") => {
                last = Some(m);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::Conflict(last.unwrap_or_default()))
}

/// The roster with `duty` added, checked against the rules as they stand now (with the
/// open duty's extra posts counted): the version to publish.
pub(crate) async fn checked(
    state: &AppState,
    who: &Principal,
    d: &OpenDuty,
    duty: &Assignment,
) -> Result<NewVersion, ApiError> {
    let (roster, current) = crate::http::rosters::published_of(state, d.roster_id).await?;
    let (_, problem) = problem_for(
        state,
        &roster.centre_id,
        roster.from,
        roster.weeks,
        Some(roster.id),
    )
    .await?;
    if current.assignments.contains(duty) {
        return Err(ApiError::Conflict("you hold this duty already".into()));
    }
    match duty.slot_in(&problem).map(|i| problem.slots[i].start) {
        Some(start) if start > state.now() => {}
        Some(_) => {
            return Err(ApiError::Conflict(
                "the duty has started: it can no longer be claimed".into(),
            ));
        }
        None => {
            return Err(ApiError::Conflict(
                "the roster no longer has this duty".into(),
            ));
        }
    }
    let before = Roster::new(current.assignments.clone());
    let mut after_list = current.assignments.clone();
    after_list.push(duty.clone());
    let after = Roster::new(after_list);
    let pins: Vec<Assignment> = current.pins.iter().cloned().collect();
    let broken = new_violations(&problem, &before, &after, &pins);
    if !broken.is_empty() {
        // A lawyer learns that they cannot take it, not the rules of others' duties.
        let mine = who.for_lawyers();
        return Err(ApiError::Unprocessable {
            detail: format!(
                "{} cannot take this duty under the roster's rules (eligibility, availability, \
                 another duty then, or their limits)",
                duty.lawyer_id
            ),
            errors: vec![crate::error::FieldError::new(
                "lawyer_id",
                "cannot take this duty",
            )],
            violations: if mine {
                vec![]
            } else {
                violations_json(&broken)
            },
        });
    }
    let report = report_of(&problem, &after, Some(&before));
    Ok(NewVersion {
        roster: RosterRef::Existing(roster.id),
        based_on: Some(current.version.id),
        origin: zhiban_store::VersionOrigin::Edit,
        report,
        assignments: after.assignments,
        pins: current.pins.clone(),
        publish: true,
        created_by: who.actor(),
        now: state.now(),
    })
}

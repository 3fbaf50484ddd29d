//! Keeping personal data no longer than needed (个人信息保护法): the exact position sent with
//! a check-in is forgotten once its centre's `position_retention_days` (default 90) have
//! passed; the distance from the station and the inside/outside verdict stay, because pay
//! and approvals rest on them. Notifications sent (or dead) are deleted after
//! [`NOTIFICATION_DAYS`].
//!
//! Every `zhiban serve` process runs [`start`]: at start-up and then every hour, each
//! centre's old positions are cleared in one statement (idempotent, so several processes on
//! one database do no harm), audited with how many were cleared.

use crate::AppState;
use std::time::Duration;
use zhiban_store::Audit;

/// How often the positions are looked at.
pub const EVERY: Duration = Duration::from_secs(3600);

/// The instant before which a check-in's position is forgotten, for a retention of `days`.
pub fn cutoff(now: chrono::DateTime<chrono::Utc>, days: u32) -> chrono::DateTime<chrono::Utc> {
    now - chrono::Duration::days(i64::from(days.max(1)))
}

/// Forgets the positions of every centre's check-ins older than its retention period, by
/// the server's clock; how many were forgotten.
pub async fn forget_old_positions(state: &AppState) -> Result<u64, zhiban_store::StoreError> {
    let now = state.now();
    let mut total = 0;
    for c in state.store.list_centres().await? {
        let days = state
            .store
            .centre_policy(&c.id)
            .await?
            .position_retention_days;
        let audit = Audit {
            actor: "system".into(),
            centre_id: Some(c.id.clone()),
            action: "privacy.positions_forgotten".into(),
            target: format!("centre/{}", c.id),
            detail: serde_json::json!({"retention_days": days}),
        };
        total += state
            .store
            .forget_positions(&c.id, cutoff(now, days), &audit)
            .await?;
    }
    Ok(total)
}

/// Messages sent (or dead) are kept this many days, then deleted: they name lawyers and
/// their duties; a year and a month covers a year's questions about who was told what.
pub const NOTIFICATION_DAYS: u32 = 400;

/// Deletes the messages sent or dead more than [`NOTIFICATION_DAYS`] ago by the server's
/// clock; how many.
pub async fn purge_old_notifications(state: &AppState) -> Result<u64, zhiban_store::StoreError> {
    state
        .store
        .purge_notifications(cutoff(state.now(), NOTIFICATION_DAYS))
        .await
}

/// Runs [`forget_old_positions`] and [`purge_old_notifications`] now and every [`EVERY`],
/// for as long as the process lives.
pub fn start(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(EVERY);
        loop {
            tick.tick().await;
            match forget_old_positions(&state).await {
                Ok(0) => {}
                Ok(n) => {
                    tracing::info!(forgotten = n, "check-in positions past retention forgotten")
                }
                Err(e) => tracing::warn!(error = %e, "could not forget old check-in positions"),
            }
            match purge_old_notifications(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "notifications past retention deleted"),
                Err(e) => tracing::warn!(error = %e, "could not delete old notifications"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cutoff_is_the_retention_before_now() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-06T08:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(cutoff(now, 90).to_rfc3339(), "2026-09-07T08:00:00+00:00");
        assert_eq!(cutoff(now, 0), cutoff(now, 1));
    }
}

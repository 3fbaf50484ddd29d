//! Notifications: the log of the messages sent about a centre's rosters (coordinators and
//! admins: sent, pending, dead letters, with a retry), and each lawyer's own inbox (the
//! messages to them). Messages are written by the changes that cause them, in the same
//! transaction (`zhiban_store`'s outbox), and sent by `crate::notify`.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Path, Query};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_store::{Notification, NotificationQuery, NotificationStatus, TokenRole};

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(retry))
}

/// Which messages.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct NotificationFilter {
    /// `pending`, `sent` or `dead`.
    status: Option<String>,
    /// At most this many, newest first (default 50, at most 200).
    limit: Option<u32>,
}

/// A message as the API shows it: what it says, and for staff how its delivery went.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MessageOut {
    /// Id.
    id: i64,
    /// What happened: `roster_published`, `roster_changed`.
    event: String,
    /// Subject (Chinese).
    subject: String,
    /// Text (Chinese).
    body: String,
    /// Where in the page to look.
    link: String,
    /// When it was written (UTC).
    created_at: chrono::DateTime<chrono::Utc>,
    /// Its delivery (coordinators and admins only: a lawyer's inbox shows the messages).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    delivery: Option<Notification>,
}

fn message(n: Notification, staff: bool) -> MessageOut {
    MessageOut {
        id: n.id,
        event: n.event.clone(),
        subject: n.subject.clone(),
        body: n.body.clone(),
        link: n.link.clone(),
        created_at: n.created_at,
        delivery: staff.then_some(n),
    }
}

/// The notification log of the caller's centres (coordinators and admins: every message,
/// reminders scheduled for later included), or a lawyer's own inbox, or finance staff's
/// (the messages due by now, without how they were delivered); newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(NotificationFilter),
    responses((status = 200, body = Vec<MessageOut>), (status = 400, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem)))]
async fn list_notifications(
    State(state): State<AppState>,
    who: Principal,
    Query(f): Query<NotificationFilter>,
) -> Result<Json<Vec<MessageOut>>, ApiError> {
    let limit = f.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::field("limit", "1 to 200"));
    }
    let status = f
        .status
        .as_deref()
        .map(|s| NotificationStatus::parse(s).map_err(|m| ApiError::field("status", m)))
        .transpose()?;
    let staff = matches!(who.role(), TokenRole::Admin | TokenRole::Coordinator);
    let q = match who.lawyer() {
        // An inbox shows what is due: tomorrow's reminders wait for their time.
        Some(me) if who.role() == TokenRole::Lawyer => NotificationQuery {
            lawyer: Some(me.clone()),
            status,
            due_by: Some(state.now()),
            ..NotificationQuery::default()
        },
        _ if who.role() == TokenRole::Finance => NotificationQuery {
            centres: who.centre_scope(),
            audience: Some("finance"),
            status,
            due_by: Some(state.now()),
            ..NotificationQuery::default()
        },
        _ => {
            who.require_role(&[TokenRole::Admin, TokenRole::Coordinator])?;
            NotificationQuery {
                centres: who.centre_scope(),
                status,
                ..NotificationQuery::default()
            }
        }
    };
    let list = state.store.list_notifications(&q, limit).await?;
    Ok(Json(list.into_iter().map(|n| message(n, staff)).collect()))
}

/// Sends a dead letter again (the centre's coordinators): it is due at once, its attempts
/// counted afresh.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/retry", tag = "notifications",
    params(("id" = i64, Path, description = "notification id")),
    responses((status = 200, body = Notification), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem)))]
async fn retry(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> Result<Json<Notification>, ApiError> {
    let n = state
        .store
        .get_notification(id)
        .await?
        .filter(|n| who.lawyer().is_none() && who.sees_centre(&n.centre_id))
        .ok_or_else(|| ApiError::not_found("notification", id))?;
    who.require_coordinator_of(&n.centre_id, &format!("notification {id}"))?;
    let audit = who.audit(
        Some(&n.centre_id),
        "notification.retry",
        format!("notification/{id}"),
        serde_json::json!({"attempts": n.attempts, "last_error": n.last_error}),
    );
    Ok(Json(
        state
            .store
            .retry_notification(id, state.now(), &audit)
            .await?,
    ))
}

//! Each person's own notification choices: channels (e-mail, SMS) per kind of message and
//! quiet hours without SMS. Lawyers choose for their roster, swap, leave, open-duty and
//! reminder messages (their address and phone are panel fields the centre keeps);
//! coordinators for alerts and finance officers for a month ready to approve, with their
//! own address and phone (`/me/contact`). Every message is in the page's inbox whatever
//! is chosen. Directors, firm administrators and tokens receive no messages: 403.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Body};
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::LawyerId;
use zhiban_domain::notify_route::{EventKind, Prefs};
use zhiban_store::TokenRole;

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_prefs, put_prefs))
        .routes(routes!(put_contact))
}

/// A person's notification preferences, with what can reach them.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PrefsOut {
    /// The preferences (kinds left out take the defaults, shown filled in).
    prefs: Prefs,
    /// The kinds of messages this account receives, with their names in the page.
    kinds: Vec<KindOut>,
    /// An e-mail address is known (a lawyer's on the panel, staff's their own).
    has_email: bool,
    /// A phone is known.
    has_phone: bool,
    /// Staff only: their own address and phone, which they set (`PUT /me/contact`).
    #[serde(skip_serializing_if = "Option::is_none")]
    contact: Option<Contact>,
}

/// A kind of message.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct KindOut {
    /// Code.
    kind: EventKind,
    /// Name (Chinese).
    label: &'static str,
}

/// A staff member's own address and phone for notifications ('' for none; both are
/// given, so that leaving one out never clears it by accident).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Contact {
    /// E-mail address.
    email: String,
    /// Mobile phone.
    phone: String,
}

/// Whose preferences: a lawyer's (by the panel's lawyer) or a staff account's.
enum Me {
    Lawyer(LawyerId),
    Staff(i64, &'static str),
}

impl Me {
    fn kinds(&self) -> &'static [EventKind] {
        match self {
            Me::Lawyer(_) => EventKind::of_audience("lawyer"),
            Me::Staff(_, audience) => EventKind::of_audience(audience),
        }
    }
}

fn me(who: &Principal) -> Result<Me, ApiError> {
    let staff = |audience| {
        who.user()
            .map(|u| Me::Staff(u.id, audience))
            .ok_or_else(|| {
                ApiError::Forbidden(
                    "notification preferences belong to a signed-in account, not a token".into(),
                )
            })
    };
    match (who.role(), who.lawyer()) {
        (TokenRole::Lawyer, Some(me)) => Ok(Me::Lawyer(me.clone())),
        (TokenRole::Coordinator, _) => staff("coordinator"),
        (TokenRole::Finance, _) => staff("finance"),
        _ => Err(ApiError::Forbidden(
            "this role receives no notifications to choose channels for".into(),
        )),
    }
}

async fn prefs_out(state: &AppState, me: &Me) -> Result<PrefsOut, ApiError> {
    let (mut prefs, email, phone, contact) = match me {
        Me::Lawyer(id) => {
            let prefs = state.store.notification_prefs(id).await?;
            let (email, phone) = state.store.lawyer_contact(id).await?.unwrap_or_default();
            (prefs, email, phone, None)
        }
        Me::Staff(id, _) => {
            let s = state
                .store
                .staff_notify(*id)
                .await?
                .ok_or_else(|| ApiError::NotFound("the account is gone".into()))?;
            let contact = Contact {
                email: s.email.clone(),
                phone: s.phone.clone(),
            };
            (s.prefs, s.email, s.phone, Some(contact))
        }
    };
    // Only the kinds this account receives, each filled in with its choice.
    let kinds = me.kinds();
    prefs.channels.retain(|k, _| kinds.contains(k));
    for k in kinds {
        let chosen = prefs.for_kind(*k);
        prefs.channels.insert(*k, chosen);
    }
    Ok(PrefsOut {
        prefs,
        kinds: kinds
            .iter()
            .map(|k| KindOut {
                kind: *k,
                label: k.label_zh(),
            })
            .collect(),
        has_email: !email.is_empty(),
        has_phone: !phone.is_empty(),
        contact,
    })
}

/// The caller's own notification preferences (lawyers, coordinators, finance officers).
#[utoipa::path(get, path = "/api/v1/me/notification-prefs", tag = "notifications",
    responses((status = 200, body = PrefsOut), (status = 403, body = crate::error::Problem)))]
async fn get_prefs(
    State(state): State<AppState>,
    who: Principal,
) -> Result<Json<PrefsOut>, ApiError> {
    let me = me(&who)?;
    Ok(Json(prefs_out(&state, &me).await?))
}

/// Sets the caller's own notification preferences: channels per kind of message they
/// receive (`email`, `sms`; the page's inbox always), and quiet hours without SMS.
#[utoipa::path(put, path = "/api/v1/me/notification-prefs", tag = "notifications",
    request_body = Prefs,
    responses((status = 200, body = PrefsOut), (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn put_prefs(
    State(state): State<AppState>,
    who: Principal,
    Body(p): Body<Prefs>,
) -> Result<Json<PrefsOut>, ApiError> {
    let me = me(&who)?;
    p.validate(me.kinds())
        .map_err(|(f, m)| ApiError::invalid(f, m))?;
    match &me {
        Me::Lawyer(id) => {
            state
                .store
                .put_notification_prefs(id, &p, state.now())
                .await?
        }
        Me::Staff(id, _) => {
            if !state.store.put_staff_prefs(*id, &p, state.now()).await? {
                return Err(ApiError::NotFound("the account is gone".into()));
            }
        }
    }
    Ok(Json(prefs_out(&state, &me).await?))
}

/// Checks a staff member's address and phone: each empty or well formed.
fn check_contact(c: &Contact) -> Result<(String, String), ApiError> {
    let email = c.email.trim().to_string();
    let phone = c.phone.trim().to_string();
    if !email.is_empty()
        && (!zhiban_domain::lawyer::is_email(&email) || email.parse::<lettre::Address>().is_err())
    {
        return Err(ApiError::invalid("email", "not an e-mail address"));
    }
    if !phone.is_empty() && !zhiban_domain::lawyer::is_phone(&phone) {
        return Err(ApiError::invalid(
            "phone",
            "not a phone number (at least 7 digits, with +, - or spaces; at most 32 characters)",
        ));
    }
    Ok((email, phone))
}

/// Sets the caller's own e-mail address and mobile phone for notifications (coordinators
/// and finance officers; a lawyer's are kept on the panel by the centre). Empty clears.
#[utoipa::path(put, path = "/api/v1/me/contact", tag = "notifications",
    request_body = Contact,
    responses((status = 200, body = PrefsOut), (status = 403, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn put_contact(
    State(state): State<AppState>,
    who: Principal,
    Body(c): Body<Contact>,
) -> Result<Json<PrefsOut>, ApiError> {
    let me = me(&who)?;
    let Me::Staff(id, _) = me else {
        return Err(ApiError::Forbidden(
            "a lawyer's e-mail address and phone are kept on the panel by the centre".into(),
        ));
    };
    let (email, phone) = check_contact(&c)?;
    // The audit says what changed, never the address or number.
    let audit = who.audit(
        None,
        "contact.update",
        format!("user/{id}"),
        serde_json::json!({"email_set": !email.is_empty(), "phone_set": !phone.is_empty()}),
    );
    if !state
        .store
        .put_staff_contact(id, &email, &phone, state.now(), &audit)
        .await?
    {
        return Err(ApiError::NotFound("the account is gone".into()));
    }
    Ok(Json(prefs_out(&state, &me).await?))
}

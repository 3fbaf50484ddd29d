//! Where notifications go: a centre's own channels (e-mail, SMS gateway, generic webhook,
//! 企业微信 and 钉钉 group robots), set by its coordinators, with a test message for each.
//! Each person's own choices are `notify_prefs.rs`.
//!
//! Secrets (an SMTP password, a gateway credential, a webhook secret, robot tokens) are
//! write-only: stored sealed with the server's key, never returned (the API says only
//! which are set). Channels that point at a host (SMTP, SMS, webhook) are limited to the
//! server's `ZHIBAN_CHANNEL_HOSTS` when it is set.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Body, Path};
use crate::notify::{KINDS, Recipient, secret_context};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::CentreId;
use zhiban_store::{CentreChannel, Notification, NotificationStatus, TokenRole};

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_channels))
        .routes(routes!(put_channel, delete_channel))
        .routes(routes!(test_channel))
}

/// The settings and secrets each kind takes: (settings, secrets, secrets required).
fn fields(
    kind: &str,
) -> (
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
) {
    match kind {
        "email" => (&["url", "from"], &["password"], &[]),
        "sms" => (&["url", "template"], &["credential"], &[]),
        "webhook" => (&["url"], &["secret"], &["secret"]),
        "wecom" => (&[], &["key"], &["key"]),
        "dingtalk" => (&[], &["access_token", "sign_secret"], &["access_token"]),
        _ => (&[], &[], &[]),
    }
}

/// A centre's channel as the API shows it: no secret, only which are set.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChannelOut {
    /// `email`, `sms`, `webhook`, `wecom` or `dingtalk`.
    kind: String,
    /// Configured by this centre (otherwise: `inherited` or `server` or none).
    configured: bool,
    /// In use.
    enabled: bool,
    /// Settings (nothing secret).
    #[schema(value_type = Object)]
    settings: serde_json::Value,
    /// The secrets that are set (their names only).
    secrets_set: Vec<String>,
    /// The server's default channel of this kind is used when the centre has none.
    server_default: bool,
    /// Last change.
    updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

async fn centre_of(state: &AppState, who: &Principal, id: &str) -> Result<CentreId, ApiError> {
    let centre = CentreId::parse(id).map_err(|_| ApiError::not_found("centre", id))?;
    let ds = state.dataset().await?;
    if ds.centre(&centre).is_none() || !who.sees_centre(&centre) {
        return Err(ApiError::not_found("centre", id));
    }
    who.require_coordinator_of(&centre, &format!("centre {id}"))?;
    Ok(centre)
}

fn kind_of(kind: &str) -> Result<&'static str, ApiError> {
    KINDS
        .iter()
        .find(|k| **k == kind)
        .copied()
        .ok_or_else(|| ApiError::not_found("channel kind", kind))
}

/// The secrets of `c` opened (names to values); empty without any.
fn opened(state: &AppState, c: &CentreChannel) -> Result<BTreeMap<String, String>, ApiError> {
    if c.secret.is_empty() {
        return Ok(BTreeMap::new());
    }
    let key = state.notify.secrets.as_ref().ok_or_else(|| {
        ApiError::Conflict("the server has no secret key (ZHIBAN_SECRET_KEY): the channel's secrets cannot be read".into())
    })?;
    let plain = key
        .open(&secret_context(&c.centre_id, &c.kind), &c.secret)
        .ok_or_else(|| {
            ApiError::Conflict(
                "the channel's secrets do not open with the server key: set them again".into(),
            )
        })?;
    serde_json::from_str(&plain)
        .map_err(|_| ApiError::Conflict("the channel's secrets are damaged: set them again".into()))
}

/// A centre's notification channels (its coordinators and admins).
#[utoipa::path(get, path = "/api/v1/centres/{id}/channels", tag = "notifications",
    params(("id" = String, Path, description = "centre code")),
    responses((status = 200, body = Vec<ChannelOut>), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)))]
async fn list_channels(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<Vec<ChannelOut>>, ApiError> {
    let centre = centre_of(&state, &who, &id).await?;
    let own = state.store.centre_channels(&centre).await?;
    let mut out = Vec::new();
    for kind in KINDS {
        let c = own.iter().find(|c| c.kind == kind);
        let secrets_set = match c {
            Some(c) => opened(&state, c)
                .map(|m| {
                    m.into_iter()
                        .filter(|(_, v)| !v.is_empty())
                        .map(|(k, _)| k)
                        .collect()
                })
                .unwrap_or_default(),
            None => Vec::new(),
        };
        out.push(ChannelOut {
            kind: kind.to_string(),
            configured: c.is_some(),
            enabled: c.is_some_and(|c| c.enabled),
            settings: c.map_or_else(|| serde_json::json!({}), |c| c.settings.clone()),
            secrets_set,
            server_default: state.notify.server.contains_key(kind),
            updated_at: c.map(|c| c.updated_at),
        });
    }
    Ok(Json(out))
}

/// A channel's settings: `settings` (see each kind), `secrets` write-only (a name left
/// out keeps its value, an empty string removes it).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChannelIn {
    /// In use (default true).
    #[serde(default = "yes")]
    enabled: bool,
    /// email: `url` (smtp:// or smtps://, no password in it) and `from`; sms: `url` and
    /// `template` (JSON with `{phone}`, `{text}` and optionally `{credential}`); webhook:
    /// `url`; wecom and dingtalk: none.
    #[serde(default)]
    settings: BTreeMap<String, String>,
    /// email: `password`; sms: `credential`; webhook: `secret` (at least 16 characters);
    /// wecom: `key`; dingtalk: `access_token` and `sign_secret` (加签).
    #[serde(default)]
    secrets: BTreeMap<String, String>,
}

fn yes() -> bool {
    true
}

/// Checks the settings of a channel of `kind` against their bounds and the allowed hosts.
fn check(state: &AppState, kind: &str, r: &ChannelIn) -> Result<(), ApiError> {
    let (settings, secrets, _) = fields(kind);
    for (k, v) in &r.settings {
        if !settings.contains(&k.as_str()) {
            return Err(ApiError::invalid(
                format!("settings.{k}"),
                format!("not a setting of {kind}; expected {}", settings.join(", ")),
            ));
        }
        let max = if k == "template" { 2000 } else { 500 };
        if v.chars().count() > max {
            return Err(ApiError::invalid(
                format!("settings.{k}"),
                format!("at most {max} characters"),
            ));
        }
    }
    for (k, v) in &r.secrets {
        if !secrets.contains(&k.as_str()) {
            return Err(ApiError::invalid(
                format!("secrets.{k}"),
                format!("not a secret of {kind}; expected {}", secrets.join(", ")),
            ));
        }
        if v.chars().count() > 500 {
            return Err(ApiError::invalid(
                format!("secrets.{k}"),
                "at most 500 characters",
            ));
        }
    }
    for k in settings {
        if r.settings.get(*k).is_none_or(|v| v.trim().is_empty()) {
            return Err(ApiError::invalid(format!("settings.{k}"), "required"));
        }
    }
    if let Some(url) = r.settings.get("url") {
        let parsed =
            reqwest::Url::parse(url).map_err(|_| ApiError::invalid("settings.url", "not a URL"))?;
        if !parsed.password().unwrap_or("").is_empty() {
            return Err(ApiError::invalid(
                "settings.url",
                "put the password in secrets, not in the URL",
            ));
        }
        // Settings are shown and audited: no credential may hide in the URL.
        let query_ok = match kind {
            "email" => parsed.query_pairs().all(|(k, _)| k == "tls"),
            _ => parsed.query().is_none() && parsed.username().is_empty(),
        };
        if !query_ok || parsed.fragment().is_some() {
            return Err(ApiError::invalid(
                "settings.url",
                "no query or user in the URL (credentials go in secrets)",
            ));
        }
        let host = parsed.host_str().unwrap_or("");
        if !state.notify.host_allowed(host) {
            return Err(ApiError::invalid(
                "settings.url",
                format!("the server does not allow sending to {host} (ZHIBAN_CHANNEL_HOSTS)"),
            ));
        }
    }
    Ok(())
}

/// Sets a centre's channel of a kind (its coordinators and admins). The channel is built
/// before it is stored: a setting it cannot work with is refused (422).
#[utoipa::path(put, path = "/api/v1/centres/{id}/channels/{kind}", tag = "notifications",
    params(("id" = String, Path, description = "centre code"), ("kind" = String, Path, description = "email, sms, webhook, wecom or dingtalk")),
    request_body = ChannelIn,
    responses((status = 200, body = ChannelOut), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn put_channel(
    State(state): State<AppState>,
    who: Principal,
    Path((id, kind)): Path<(String, String)>,
    Body(r): Body<ChannelIn>,
) -> Result<Json<ChannelOut>, ApiError> {
    let centre = centre_of(&state, &who, &id).await?;
    let kind = kind_of(&kind)?;
    check(&state, kind, &r)?;
    let before = state
        .store
        .centre_channels(&centre)
        .await?
        .into_iter()
        .find(|c| c.kind == kind);
    // Stored secrets stay only while the channel points where it did: a new scheme, host
    // or port must be given its secrets again (they never follow a URL elsewhere).
    let origin = |settings: &serde_json::Value| {
        settings
            .get("url")
            .and_then(serde_json::Value::as_str)
            .and_then(|u| reqwest::Url::parse(u).ok())
            .map(|u| u.origin().ascii_serialization())
    };
    let new_settings =
        serde_json::to_value(&r.settings).map_err(|e| ApiError::Internal(e.into()))?;
    let mut secrets = match &before {
        Some(c) if origin(&c.settings) == origin(&new_settings) => {
            opened(&state, c).unwrap_or_default()
        }
        _ => BTreeMap::new(),
    };
    for (k, v) in &r.secrets {
        if v.is_empty() {
            secrets.remove(k);
        } else {
            secrets.insert(k.clone(), v.clone());
        }
    }
    for k in fields(kind).2 {
        if !secrets.contains_key(*k) {
            return Err(ApiError::invalid(format!("secrets.{k}"), "required"));
        }
    }
    let sealed = if secrets.is_empty() {
        String::new()
    } else {
        let key = state.notify.secrets.as_ref().ok_or_else(|| {
            ApiError::Conflict("the server has no secret key (set ZHIBAN_SECRET_KEY or ZHIBAN_SECRET_KEY_FILE): channel secrets cannot be stored".into())
        })?;
        let plain = serde_json::to_string(&secrets).map_err(|e| ApiError::Internal(e.into()))?;
        key.seal(&secret_context(&centre, kind), &plain)
    };
    let c = CentreChannel {
        centre_id: centre.clone(),
        kind: kind.to_string(),
        enabled: r.enabled,
        settings: new_settings,
        secret: sealed,
        updated_at: state.now(),
    };
    state
        .notify
        .build(&c)
        .map_err(|e| ApiError::invalid("settings", e))?;
    let audit = who.audit(
        Some(&centre),
        "channel.put",
        format!("centre/{centre}/channel/{kind}"),
        // The settings and which secrets changed, never their values.
        serde_json::json!({"enabled": r.enabled, "settings": r.settings,
            "secrets_changed": r.secrets.keys().collect::<Vec<_>>()}),
    );
    state.store.put_centre_channel(&c, &audit).await?;
    Ok(Json(ChannelOut {
        kind: kind.to_string(),
        configured: true,
        enabled: c.enabled,
        settings: c.settings,
        secrets_set: secrets.keys().cloned().collect(),
        server_default: state.notify.server.contains_key(kind),
        updated_at: Some(c.updated_at),
    }))
}

/// Removes a centre's channel of a kind (the parent's or the server's applies again).
#[utoipa::path(delete, path = "/api/v1/centres/{id}/channels/{kind}", tag = "notifications",
    params(("id" = String, Path, description = "centre code"), ("kind" = String, Path, description = "channel kind")),
    responses((status = 204), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)))]
async fn delete_channel(
    State(state): State<AppState>,
    who: Principal,
    Path((id, kind)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let centre = centre_of(&state, &who, &id).await?;
    let kind = kind_of(&kind)?;
    let audit = who.audit(
        Some(&centre),
        "channel.delete",
        format!("centre/{centre}/channel/{kind}"),
        serde_json::json!({}),
    );
    if state
        .store
        .delete_centre_channel(&centre, kind, &audit)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("channel", kind))
    }
}

/// Where a test message goes: an e-mail address or a phone (for e-mail and SMS).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TestIn {
    /// An e-mail address (email) or a mobile number (sms).
    #[serde(default)]
    to: String,
}

/// How a test message went.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TestOut {
    /// Sent.
    ok: bool,
    /// Why not.
    error: Option<String>,
}

/// Tests allowed per centre per minute.
const TESTS_PER_MINUTE: u32 = 5;

/// Sends a test message over a centre's channel of a kind (its own, its parent's or the
/// server's), and says how it went (at most five a minute per centre).
#[utoipa::path(post, path = "/api/v1/centres/{id}/channels/{kind}/test", tag = "notifications",
    params(("id" = String, Path, description = "centre code"), ("kind" = String, Path, description = "channel kind")),
    request_body = TestIn,
    responses((status = 200, body = TestOut), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem),
        (status = 429, body = crate::error::Problem)))]
async fn test_channel(
    State(state): State<AppState>,
    who: Principal,
    Path((id, kind)): Path<(String, String)>,
    Body(r): Body<TestIn>,
) -> Result<Json<TestOut>, ApiError> {
    let centre = centre_of(&state, &who, &id).await?;
    let kind = kind_of(&kind)?;
    let to = r.to.trim();
    let recipient = match kind {
        "email" if !zhiban_domain::lawyer::is_email(to) => {
            return Err(ApiError::invalid(
                "to",
                "an e-mail address to send the test to",
            ));
        }
        "sms"
            if to.len() < 7
                || to.len() > 20
                || !to.chars().all(|c| c.is_ascii_digit() || c == '+') =>
        {
            return Err(ApiError::invalid(
                "to",
                "a mobile number to send the test to",
            ));
        }
        "email" => Recipient {
            email: to.to_string(),
            ..Recipient::default()
        },
        "sms" => Recipient {
            phone: to.to_string(),
            ..Recipient::default()
        },
        _ => Recipient::default(),
    };
    let ds = state.dataset().await?;
    // A coordinator tests the centre's own channel; the server's and a parent's are
    // tested by an administrator (a test goes to any address the caller names).
    let own = state
        .store
        .centre_channels(&centre)
        .await?
        .into_iter()
        .find(|c| c.kind == kind);
    let ch = match own {
        Some(c) => state
            .notify
            .build(&c)
            .map_err(|e| ApiError::invalid("settings", e))?,
        None if who.role() == TokenRole::Admin => state
            .notify
            .channels_for(state.store.as_ref(), &centre, &ds.centres)
            .await
            .map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))?
            .remove(kind)
            .ok_or_else(|| {
                ApiError::invalid("kind", format!("no {kind} channel applies to this centre"))
            })?,
        None => {
            return Err(ApiError::invalid(
                "kind",
                format!("this centre has no {kind} channel of its own to test"),
            ));
        }
    };
    let now = state.now();
    let name = ds
        .centre(&centre)
        .map_or(centre.to_string(), |c| c.name.clone());
    let n = Notification {
        id: 0,
        centre_id: centre.clone(),
        lawyer_id: None,
        event: "test".into(),
        subject: format!("【{name}】值班系统测试消息"),
        body: format!(
            "这是一条测试消息，由{name}协调员于 {} 发送。收到即表示通知渠道工作正常。",
            now.format("%Y-%m-%d %H:%M UTC")
        ),
        link: "/".into(),
        idempotency_key: format!("zhiban-test-{centre}-{kind}-{}", now.timestamp_micros()),
        status: NotificationStatus::Pending,
        channel: String::new(),
        attempts: 0,
        next_attempt_at: now,
        last_error: String::new(),
        created_at: now,
        sent_at: None,
        audience: "coordinator".into(),
        delivered: String::new(),
        urgent: false,
        expires_at: None,
    };
    // Recorded before it goes, and at most five a minute per centre across every process
    // (the audit log counts them).
    let audit = who.audit(
        Some(&centre),
        "channel.test",
        format!("centre/{centre}/channel/{kind}"),
        serde_json::json!({}),
    );
    if !state
        .store
        .claim_channel_test(&audit, TESTS_PER_MINUTE)
        .await?
    {
        return Err(ApiError::TooManyRequests);
    }
    let limit =
        std::time::Duration::from_secs(crate::notify::SEND_TIMEOUT.num_seconds().unsigned_abs());
    let result = match tokio::time::timeout(limit, ch.send(&n, &recipient)).await {
        Ok(r) => r,
        Err(_) => Err(format!("{kind}: no answer within {limit:?}")),
    };
    if let Err(e) = &result {
        tracing::info!(centre = %centre, kind, error = %e, "a test message failed");
    }
    Ok(Json(TestOut {
        ok: result.is_ok(),
        error: result.err(),
    }))
}

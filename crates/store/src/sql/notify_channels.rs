//! Where notifications go: a centre's own channels (settings, and the secret as the API
//! encrypted it), each lawyer's choice of channels and quiet hours, and each staff
//! account's own address, phone and choices.

use super::{Conn, parse_instant, to_instant};
use crate::StoreError;
use crate::records::{CentreChannel, StaffNotify};
use chrono::{DateTime, Utc};
use sqlx::Row;
use zhiban_domain::notify_route::Prefs;
use zhiban_domain::{CentreId, LawyerId};

/// The channels of `centre`, by kind.
pub async fn list(conn: &mut Conn, centre: &CentreId) -> Result<Vec<CentreChannel>, StoreError> {
    let rows = sqlx::query(
        "SELECT centre_id, kind, enabled, settings, secret, updated_at FROM centre_channels \
         WHERE centre_id = $1 ORDER BY kind",
    )
    .bind(centre.as_str())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            let key = format!("{centre}/{kind}");
            let bad = |m: String| super::corrupt("centre_channels", &key, m);
            Ok(CentreChannel {
                centre_id: centre.clone(),
                enabled: r.try_get::<i64, _>("enabled")? != 0,
                settings: serde_json::from_str(&r.try_get::<String, _>("settings")?)
                    .map_err(|e| bad(e.to_string()))?,
                secret: r.try_get("secret")?,
                updated_at: parse_instant(
                    "centre_channels",
                    &key,
                    &r.try_get::<String, _>("updated_at")?,
                )?,
                kind,
            })
        })
        .collect()
}

/// Stores `c` (replacing the centre's channel of its kind).
pub async fn put(conn: &mut Conn, c: &CentreChannel) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO centre_channels (centre_id, kind, enabled, settings, secret, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (centre_id, kind) DO UPDATE SET \
         enabled = excluded.enabled, settings = excluded.settings, secret = excluded.secret, \
         updated_at = excluded.updated_at",
    )
    .bind(c.centre_id.as_str())
    .bind(&c.kind)
    .bind(i64::from(c.enabled))
    .bind(c.settings.to_string())
    .bind(&c.secret)
    .bind(to_instant(c.updated_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// Removes `centre`'s channel of `kind`; whether there was one.
pub async fn delete(conn: &mut Conn, centre: &CentreId, kind: &str) -> Result<bool, StoreError> {
    Ok(
        sqlx::query("DELETE FROM centre_channels WHERE centre_id = $1 AND kind = $2")
            .bind(centre.as_str())
            .bind(kind)
            .execute(conn)
            .await?
            .rows_affected()
            == 1,
    )
}

/// `lawyer`'s preferences (the defaults when they chose none).
pub async fn prefs(conn: &mut Conn, lawyer: &LawyerId) -> Result<Prefs, StoreError> {
    let raw: Option<String> =
        sqlx::query_scalar("SELECT prefs FROM notification_prefs WHERE lawyer_id = $1")
            .bind(lawyer.as_str())
            .fetch_optional(conn)
            .await?;
    match raw {
        None => Ok(Prefs::default()),
        Some(raw) => serde_json::from_str(&raw)
            .map_err(|e| super::corrupt("notification_prefs", lawyer.as_str(), e.to_string())),
    }
}

/// Stores `lawyer`'s preferences.
pub async fn put_prefs(
    conn: &mut Conn,
    lawyer: &LawyerId,
    p: &Prefs,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let raw = serde_json::to_string(p)
        .map_err(|e| super::corrupt("notification_prefs", lawyer.as_str(), e.to_string()))?;
    sqlx::query(
        "INSERT INTO notification_prefs (lawyer_id, prefs, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (lawyer_id) DO UPDATE SET prefs = excluded.prefs, \
         updated_at = excluded.updated_at",
    )
    .bind(lawyer.as_str())
    .bind(raw)
    .bind(to_instant(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// `lawyer`'s e-mail address and phone, if the lawyer exists.
pub async fn contact(
    conn: &mut Conn,
    lawyer: &LawyerId,
) -> Result<Option<(String, String)>, StoreError> {
    let row = sqlx::query("SELECT email, phone FROM lawyers WHERE id = $1")
        .bind(lawyer.as_str())
        .fetch_optional(conn)
        .await?;
    row.map(|r| Ok((r.try_get("email")?, r.try_get("phone")?)))
        .transpose()
}

fn staff_row(r: &super::DbRow) -> Result<StaffNotify, StoreError> {
    let user_id: i64 = r.try_get("id")?;
    let prefs = match r.try_get::<Option<String>, _>("notify_prefs")? {
        None => Prefs::default(),
        Some(raw) => serde_json::from_str(&raw)
            .map_err(|e| super::corrupt("users", &user_id.to_string(), e.to_string()))?,
    };
    Ok(StaffNotify {
        user_id,
        email: r.try_get("email")?,
        phone: r.try_get("phone")?,
        prefs,
    })
}

/// Account `user`'s notification settings, if it exists.
pub async fn staff(conn: &mut Conn, user: i64) -> Result<Option<StaffNotify>, StoreError> {
    let row = sqlx::query("SELECT id, email, phone, notify_prefs FROM users WHERE id = $1")
        .bind(user)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(staff_row).transpose()
}

/// The active accounts of `role` (`coordinator`, `finance`) at `centre` with an address or
/// a phone, by id.
pub async fn staff_of(
    conn: &mut Conn,
    centre: &CentreId,
    role: &str,
) -> Result<Vec<StaffNotify>, StoreError> {
    let rows = sqlx::query(
        "SELECT u.id, u.email, u.phone, u.notify_prefs FROM users u \
         JOIN user_centres c ON c.user_id = u.id \
         WHERE c.centre_id = $1 AND u.role = $2 AND u.state = 'active' \
         AND (u.email <> '' OR u.phone <> '') ORDER BY u.id",
    )
    .bind(centre.as_str())
    .bind(role)
    .fetch_all(conn)
    .await?;
    rows.iter().map(staff_row).collect()
}

/// Stores account `user`'s choices (`prefs`) or address and phone (`contact`); whether the
/// account exists.
pub async fn put_staff(
    conn: &mut Conn,
    user: i64,
    prefs: Option<&Prefs>,
    contact: Option<(&str, &str)>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = if let Some(p) = prefs {
        let raw = serde_json::to_string(p)
            .map_err(|e| super::corrupt("users", &user.to_string(), e.to_string()))?;
        sqlx::query("UPDATE users SET notify_prefs = $1, updated_at = $2 WHERE id = $3")
            .bind(raw)
            .bind(to_instant(now))
            .bind(user)
            .execute(&mut *conn)
            .await?
    } else if let Some((email, phone)) = contact {
        sqlx::query("UPDATE users SET email = $1, phone = $2, updated_at = $3 WHERE id = $4")
            .bind(email)
            .bind(phone)
            .bind(to_instant(now))
            .bind(user)
            .execute(&mut *conn)
            .await?
    } else {
        return Ok(true);
    };
    Ok(done.rows_affected() == 1)
}

/// Whether a centre may record another test message (`a`): fewer than `per_minute` in the
/// audit log in the last minute. Serialised per centre (on PostgreSQL by an advisory lock,
/// as processes may test at once; SQLite's writer is one).
pub async fn claim_test(
    conn: &mut Conn,
    a: &crate::records::Audit,
    per_minute: u32,
) -> Result<bool, StoreError> {
    let centre = a.centre_id.as_ref().map_or("", |c| c.as_str());
    super::dialect::lock(&mut *conn, &format!("channel-test:{centre}")).await?;
    // The audit log's clock is the real one (`bind_audit`).
    let since = to_instant(Utc::now() - chrono::Duration::minutes(1));
    let recent: Vec<String> = sqlx::query_scalar(
        "SELECT at FROM audit_log WHERE action = $1 AND centre_id = $2 \
         ORDER BY id DESC LIMIT $3",
    )
    .bind(&a.action)
    .bind(centre)
    .bind(i64::from(per_minute))
    .fetch_all(&mut *conn)
    .await?;
    Ok(recent
        .iter()
        .filter(|at| at.as_str() >= since.as_str())
        .count()
        < per_minute as usize)
}

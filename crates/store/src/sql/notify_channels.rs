//! Where notifications go: a centre's own channels (settings, and the secret as the API
//! encrypted it), and each lawyer's choice of channels and quiet hours.

use super::{Conn, parse_instant, to_instant};
use crate::StoreError;
use crate::records::CentreChannel;
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

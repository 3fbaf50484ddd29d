//! The audit log, and tokens and centre policies (small aggregates written with it).

use super::Conn;
use super::settings::PanelTx;
use super::{corrupt, parse_instant, to_instant};
use crate::StoreError;
use crate::records::*;
use chrono::Utc;
use sqlx::Row;
use zhiban_domain::{CentreId, LawyerId};

/// Appends an audit entry; call it in the transaction of the change it records.
pub async fn insert_audit(conn: &mut Conn, a: &Audit) -> Result<(), StoreError> {
    let q = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{INSERT_AUDIT} VALUES ($1, $2, $3, $4, $5, $6)"
    )));
    bind_audit(q, a).execute(conn).await?;
    Ok(())
}

/// The start of an insert into the audit log; the values are bound by [`bind_audit`].
pub(crate) const INSERT_AUDIT: &str =
    "INSERT INTO audit_log (at, actor, centre_id, action, target, detail)";

/// Binds the next six parameters to an entry's time (now), actor, centre, action, target and
/// detail, in the order of [`INSERT_AUDIT`]'s columns.
pub(crate) fn bind_audit(
    q: super::attendance::OwnedQuery,
    a: &Audit,
) -> super::attendance::OwnedQuery {
    q.bind(to_instant(Utc::now()))
        .bind(a.actor.clone())
        .bind(a.centre_id.as_ref().map(|c| c.as_str().to_string()))
        .bind(a.action.clone())
        .bind(a.target.clone())
        .bind(a.detail.to_string())
}

/// An audit entry as stored.
fn entry_from_row(r: &super::DbRow) -> Result<AuditEntry, StoreError> {
    let id: i64 = r.try_get("id")?;
    let key = id.to_string();
    let bad = |m: String| corrupt("audit_log", &key, m);
    Ok(AuditEntry {
        id,
        at: parse_instant("audit_log", &key, &r.try_get::<String, _>("at")?)?,
        actor: r.try_get("actor")?,
        centre_id: r
            .try_get::<Option<String>, _>("centre_id")?
            .map(|c| CentreId::parse(&c))
            .transpose()
            .map_err(bad)?,
        action: r.try_get("action")?,
        target: r.try_get("target")?,
        detail: serde_json::from_str(&r.try_get::<String, _>("detail")?)
            .map_err(|e| corrupt("audit_log", &key, e.to_string()))?,
    })
}

/// Entries made by `actor` or naming one of `targets` (at most 8), newest first, at most
/// `limit` (what the log holds about one person).
pub async fn personal_audit(
    conn: &mut Conn,
    actor: &str,
    targets: &[String],
    limit: u32,
) -> Result<Vec<AuditEntry>, StoreError> {
    let targets = &targets[..targets.len().min(8)];
    let list = (0..targets.len())
        .map(|i| format!("${}", i + 3))
        .collect::<Vec<_>>()
        .join(", ");
    let named = if targets.is_empty() {
        String::new()
    } else {
        format!(" OR target IN ({list})")
    };
    let sql = format!(
        "SELECT id, at, actor, centre_id, action, target, detail FROM audit_log \
         WHERE actor = $1{named} ORDER BY id DESC LIMIT $2"
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(actor)
        .bind(i64::from(limit));
    for t in targets {
        q = q.bind(t);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    rows.iter().map(entry_from_row).collect()
}

/// Audit entries, newest first, of some centres (None: all).
pub async fn list_audit(
    conn: &mut Conn,
    centre: Option<&CentreId>,
    page: Page,
) -> Result<Paged<AuditEntry>, StoreError> {
    let c = centre.map(|c| c.as_str().to_string());
    let total: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE ($1 IS NULL OR centre_id = $1)")
            .bind(&c)
            .fetch_one(&mut *conn)
            .await?;
    let rows = sqlx::query(
        "SELECT id, at, actor, centre_id, action, target, detail FROM audit_log \
         WHERE ($1 IS NULL OR centre_id = $1) ORDER BY id DESC LIMIT $2 OFFSET $3",
    )
    .bind(&c)
    .bind(i64::from(page.limit))
    .bind(i64::try_from(page.offset).unwrap_or(i64::MAX))
    .fetch_all(&mut *conn)
    .await?;
    let items = rows
        .iter()
        .map(entry_from_row)
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Paged {
        items,
        total: u64::try_from(total).unwrap_or(0),
    })
}

/// Stores a token's hash.
pub async fn insert_token(conn: &mut Conn, t: &NewToken) -> Result<TokenRecord, StoreError> {
    let now = Utc::now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO api_tokens (token_hash, role, centre_id, lawyer_id, label, created_at, \
         station_id) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(&t.hash)
    .bind(t.role.code())
    .bind(t.centre_id.as_ref().map(|c| c.as_str()))
    .bind(t.lawyer_id.as_ref().map(|l| l.as_str()))
    .bind(&t.label)
    .bind(to_instant(now))
    .bind(t.station_id.as_ref().map(|s| s.as_str()))
    .fetch_one(conn)
    .await?;
    Ok(TokenRecord {
        id,
        role: t.role,
        centre_id: t.centre_id.clone(),
        lawyer_id: t.lawyer_id.clone(),
        station_id: t.station_id.clone(),
        label: t.label.clone(),
        created_at: now,
    })
}

/// The live (not revoked) token with this hash.
pub async fn find_token(conn: &mut Conn, hash: &str) -> Result<Option<TokenRecord>, StoreError> {
    let Some(r) = sqlx::query(
        "SELECT id, role, centre_id, lawyer_id, station_id, label, created_at FROM api_tokens \
         WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(hash)
    .fetch_optional(conn)
    .await?
    else {
        return Ok(None);
    };
    token_from_row(&r).map(Some)
}

/// Every token (live first, newest first), with its last use and revocation.
pub async fn list_tokens(conn: &mut Conn) -> Result<Vec<TokenListing>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, role, centre_id, lawyer_id, station_id, label, created_at, last_used_at, \
         revoked_at FROM api_tokens ORDER BY revoked_at IS NOT NULL, id DESC LIMIT 1000",
    )
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            let token = token_from_row(r)?;
            let key = token.id.to_string();
            let at = |c: &str| -> Result<_, StoreError> {
                r.try_get::<Option<String>, _>(c)?
                    .map(|t| parse_instant("api_tokens", &key, &t))
                    .transpose()
            };
            Ok(TokenListing {
                last_used_at: at("last_used_at")?,
                revoked_at: at("revoked_at")?,
                token,
            })
        })
        .collect()
}

/// Notes a token's use at `at`, unless noted in the five minutes before.
pub async fn touch_token(
    conn: &mut Conn,
    id: i64,
    at: chrono::DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 \
         AND (last_used_at IS NULL OR last_used_at < $3)",
    )
    .bind(to_instant(at))
    .bind(id)
    .bind(to_instant(at - chrono::Duration::minutes(5)))
    .execute(conn)
    .await?;
    Ok(())
}

fn token_from_row(r: &super::DbRow) -> Result<TokenRecord, StoreError> {
    let id: i64 = r.try_get("id")?;
    let key = id.to_string();
    let bad = |m: String| corrupt("api_tokens", &key, m);
    Ok(TokenRecord {
        id,
        role: TokenRole::parse(&r.try_get::<String, _>("role")?).map_err(bad)?,
        centre_id: r
            .try_get::<Option<String>, _>("centre_id")?
            .map(|c| CentreId::parse(&c))
            .transpose()
            .map_err(bad)?,
        lawyer_id: r
            .try_get::<Option<String>, _>("lawyer_id")?
            .map(|c| LawyerId::parse(&c))
            .transpose()
            .map_err(bad)?,
        station_id: r
            .try_get::<Option<String>, _>("station_id")?
            .map(|c| zhiban_domain::StationId::parse(&c))
            .transpose()
            .map_err(bad)?,
        label: r.try_get("label")?,
        created_at: parse_instant("api_tokens", &key, &r.try_get::<String, _>("created_at")?)?,
    })
}

/// Revokes a token; false when there is no live token with that id.
pub async fn revoke_token(conn: &mut Conn, id: i64) -> Result<bool, StoreError> {
    let n =
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(to_instant(Utc::now()))
            .bind(id)
            .execute(conn)
            .await?
            .rows_affected();
    Ok(n == 1)
}

/// A centre's policy, or the default.
pub async fn get_policy(conn: &mut Conn, centre: &CentreId) -> Result<CentrePolicy, StoreError> {
    let row = sqlx::query(
        "SELECT swap_same_firm, swap_min_hours, swap_auto_approve, checkin_early_minutes, \
         late_grace_minutes, checkout_grace_minutes, min_presence_pct, max_plea_signings, \
         presence_proof, position_retention_days, leave_notice_days, claims_picked, \
         reminder_evening, reminder_before_minutes, alert_late_minutes, alert_uncovered_days, \
         fairness FROM centre_policies \
         WHERE centre_id = $1",
    )
    .bind(centre.as_str())
    .fetch_optional(conn)
    .await?;
    Ok(match row {
        None => CentrePolicy::default(),
        Some(r) => CentrePolicy {
            swap_same_firm: r.try_get("swap_same_firm")?,
            swap_min_hours: u32::try_from(r.try_get::<i64, _>("swap_min_hours")?).unwrap_or(0),
            swap_auto_approve: r.try_get("swap_auto_approve")?,
            checkin_early_minutes: u32::try_from(r.try_get::<i64, _>("checkin_early_minutes")?)
                .unwrap_or(30),
            late_grace_minutes: u32::try_from(r.try_get::<i64, _>("late_grace_minutes")?)
                .unwrap_or(10),
            checkout_grace_minutes: u32::try_from(r.try_get::<i64, _>("checkout_grace_minutes")?)
                .unwrap_or(60),
            min_presence_pct: u32::try_from(r.try_get::<i64, _>("min_presence_pct")?).unwrap_or(50),
            max_plea_signings: u32::try_from(r.try_get::<i64, _>("max_plea_signings")?)
                .unwrap_or(10),
            presence_proof: PresenceProof::parse(&r.try_get::<String, _>("presence_proof")?)
                .map_err(|m| corrupt("centre_policies", centre.as_str(), m))?,
            position_retention_days: u32::try_from(r.try_get::<i64, _>("position_retention_days")?)
                .unwrap_or(90),
            leave_notice_days: u32::try_from(r.try_get::<i64, _>("leave_notice_days")?)
                .unwrap_or(3),
            claims_picked: r.try_get("claims_picked")?,
            reminder_evening: {
                let raw: String = r.try_get("reminder_evening")?;
                if raw.is_empty() {
                    None
                } else {
                    Some(
                        chrono::NaiveTime::parse_from_str(&raw, "%H:%M").map_err(|e| {
                            corrupt("centre_policies", centre.as_str(), e.to_string())
                        })?,
                    )
                }
            },
            reminder_before_minutes: u32::try_from(r.try_get::<i64, _>("reminder_before_minutes")?)
                .unwrap_or(60),
            alert_late_minutes: u32::try_from(r.try_get::<i64, _>("alert_late_minutes")?)
                .unwrap_or(30),
            alert_uncovered_days: u32::try_from(r.try_get::<i64, _>("alert_uncovered_days")?)
                .unwrap_or(3),
            fairness: match r.try_get::<Option<String>, _>("fairness")? {
                None => zhiban_domain::FairnessPolicy::default(),
                Some(raw) => serde_json::from_str(&raw)
                    .map_err(|e| corrupt("centre_policies", centre.as_str(), e.to_string()))?,
            },
        },
    })
}

/// Sets a centre's policy.
pub async fn put_policy(
    tx: &mut PanelTx<'_>,
    centre: &CentreId,
    p: &CentrePolicy,
) -> Result<(), StoreError> {
    let conn = tx.conn();
    sqlx::query(
        "INSERT INTO centre_policies (centre_id, swap_same_firm, swap_min_hours, swap_auto_approve, \
         checkin_early_minutes, late_grace_minutes, checkout_grace_minutes, min_presence_pct, \
         max_plea_signings, presence_proof, position_retention_days, leave_notice_days, \
         claims_picked, reminder_evening, reminder_before_minutes, alert_late_minutes, \
         alert_uncovered_days, fairness) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) \
         ON CONFLICT(centre_id) DO UPDATE SET \
         swap_same_firm = excluded.swap_same_firm, swap_min_hours = excluded.swap_min_hours, \
         swap_auto_approve = excluded.swap_auto_approve, \
         checkin_early_minutes = excluded.checkin_early_minutes, \
         late_grace_minutes = excluded.late_grace_minutes, \
         checkout_grace_minutes = excluded.checkout_grace_minutes, \
         min_presence_pct = excluded.min_presence_pct, max_plea_signings = excluded.max_plea_signings, \
         presence_proof = excluded.presence_proof, \
         position_retention_days = excluded.position_retention_days, \
         leave_notice_days = excluded.leave_notice_days, \
         claims_picked = excluded.claims_picked, reminder_evening = excluded.reminder_evening, \
         reminder_before_minutes = excluded.reminder_before_minutes, \
         alert_late_minutes = excluded.alert_late_minutes, \
         alert_uncovered_days = excluded.alert_uncovered_days, fairness = excluded.fairness",
    )
    .bind(centre.as_str())
    .bind(p.swap_same_firm)
    .bind(i64::from(p.swap_min_hours))
    .bind(p.swap_auto_approve)
    .bind(i64::from(p.checkin_early_minutes))
    .bind(i64::from(p.late_grace_minutes))
    .bind(i64::from(p.checkout_grace_minutes))
    .bind(i64::from(p.min_presence_pct))
    .bind(i64::from(p.max_plea_signings))
    .bind(p.presence_proof.code())
    .bind(i64::from(p.position_retention_days))
    .bind(i64::from(p.leave_notice_days))
    .bind(p.claims_picked)
    .bind(
        p.reminder_evening
            .map(|t| t.format("%H:%M").to_string())
            .unwrap_or_default(),
    )
    .bind(i64::from(p.reminder_before_minutes))
    .bind(i64::from(p.alert_late_minutes))
    .bind(i64::from(p.alert_uncovered_days))
    .bind(serde_json::to_string(&p.fairness).map_err(|e| corrupt("centre_policies", centre.as_str(), e.to_string()))?)
    .execute(conn)
    .await?;
    Ok(())
}

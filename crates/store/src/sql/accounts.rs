//! People's accounts, their centres, sessions and sign-in attempts.

use super::dialect::JSON_LIST_1;
use super::{Conn, DbRow, corrupt, parse_instant, to_instant};
use crate::StoreError;
use crate::records::*;
use chrono::{DateTime, Duration, Utc};
use sqlx::Row;
use zhiban_domain::account::{AccountState, Failures};
use zhiban_domain::{CentreId, FirmId, LawyerId};

const USER_COLS: &str = "id, login, display_name, role, state, lawyer_id, firm_id, \
    password_hash, code_expires_at, created_at, created_by";

fn opt_instant(key: &str, raw: Option<String>) -> Result<Option<DateTime<Utc>>, StoreError> {
    raw.map(|r| parse_instant("users", key, &r)).transpose()
}

async fn user_from_row(conn: &mut Conn, r: &DbRow) -> Result<UserRecord, StoreError> {
    let id: i64 = r.try_get("id")?;
    let key = id.to_string();
    let bad = |m: String| corrupt("users", &key, m);
    let centres: Vec<String> = sqlx::query_scalar(
        "SELECT centre_id FROM user_centres WHERE user_id = $1 ORDER BY centre_id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(UserRecord {
        id,
        login: r.try_get("login")?,
        display_name: r.try_get("display_name")?,
        role: TokenRole::parse(&r.try_get::<String, _>("role")?).map_err(bad)?,
        state: AccountState::parse(&r.try_get::<String, _>("state")?).map_err(bad)?,
        centres: centres
            .iter()
            .map(|c| CentreId::parse(c))
            .collect::<Result<_, _>>()
            .map_err(bad)?,
        lawyer_id: r
            .try_get::<Option<String>, _>("lawyer_id")?
            .map(|l| LawyerId::parse(&l))
            .transpose()
            .map_err(bad)?,
        firm_id: r
            .try_get::<Option<String>, _>("firm_id")?
            .map(|f| FirmId::parse(&f))
            .transpose()
            .map_err(bad)?,
        password_hash: r.try_get("password_hash")?,
        code_expires_at: opt_instant(&key, r.try_get("code_expires_at")?)?,
        created_at: parse_instant("users", &key, &r.try_get::<String, _>("created_at")?)?,
        created_by: r.try_get("created_by")?,
    })
}

async fn user_where(
    conn: &mut Conn,
    clause: &str,
    bind: &str,
) -> Result<Option<UserRecord>, StoreError> {
    let sql = format!("SELECT {USER_COLS} FROM users WHERE {clause}");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(bind)
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some(r) => Ok(Some(user_from_row(conn, &r).await?)),
        None => Ok(None),
    }
}

/// An account by id.
pub async fn get_user(conn: &mut Conn, id: i64) -> Result<Option<UserRecord>, StoreError> {
    let sql = format!("SELECT {USER_COLS} FROM users WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some(r) => Ok(Some(user_from_row(conn, &r).await?)),
        None => Ok(None),
    }
}

/// An account by login name.
pub async fn user_by_login(conn: &mut Conn, login: &str) -> Result<Option<UserRecord>, StoreError> {
    user_where(conn, "login = $1", login).await
}

/// The account holding this pending, unexpired code.
pub async fn user_by_code(
    conn: &mut Conn,
    code_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<UserRecord>, StoreError> {
    let u = user_where(conn, "code_hash = $1 AND state = 'invited'", code_hash).await?;
    Ok(u.filter(|u| u.code_expires_at.is_some_and(|t| t > now)))
}

/// Makes an account; a conflict if the login name or the lawyer has one.
pub async fn insert_user(conn: &mut Conn, u: &NewUser) -> Result<UserRecord, StoreError> {
    let taken: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE login = $1 OR (lawyer_id IS NOT NULL AND lawyer_id = $2)",
    )
    .bind(&u.login)
    .bind(u.lawyer_id.as_ref().map(LawyerId::as_str))
    .fetch_one(&mut *conn)
    .await?;
    if taken > 0 {
        return Err(StoreError::Conflict(format!(
            "an account with login name {:?}, or for this lawyer, exists already",
            u.login
        )));
    }
    let now = to_instant(Utc::now());
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (login, display_name, role, state, lawyer_id, firm_id, code_hash, \
         code_expires_at, created_at, created_by, updated_at) \
         VALUES ($1, $2, $3, 'invited', $4, $5, $6, $7, $8, $9, $8) RETURNING id",
    )
    .bind(&u.login)
    .bind(&u.display_name)
    .bind(u.role.code())
    .bind(u.lawyer_id.as_ref().map(LawyerId::as_str))
    .bind(u.firm_id.as_ref().map(FirmId::as_str))
    .bind(&u.code_hash)
    .bind(to_instant(u.code_expires_at))
    .bind(&now)
    .bind(&u.created_by)
    .fetch_one(&mut *conn)
    .await?;
    for c in &u.centres {
        sqlx::query("INSERT INTO user_centres (user_id, centre_id) VALUES ($1, $2)")
            .bind(id)
            .bind(c.as_str())
            .execute(&mut *conn)
            .await?;
    }
    get_user(conn, id)
        .await?
        .ok_or_else(|| corrupt("users", &id.to_string(), "vanished after insert"))
}

/// Accounts tied to these centres (all for `None`), by login name.
pub async fn list_users(
    conn: &mut Conn,
    centres: Option<&[CentreId]>,
    page: Page,
) -> Result<Paged<UserRecord>, StoreError> {
    let list = centres.map(|cs| {
        serde_json::Value::from(cs.iter().map(CentreId::as_str).collect::<Vec<_>>()).to_string()
    });
    let filter = format!(
        "($1 IS NULL OR EXISTS (SELECT 1 FROM user_centres uc WHERE uc.user_id = users.id \
         AND uc.centre_id IN {JSON_LIST_1}) OR users.lawyer_id IN (SELECT id FROM lawyers \
         WHERE home_centre_id IN {JSON_LIST_1}) OR users.firm_id IN (SELECT firm_id FROM \
         lawyers WHERE home_centre_id IN {JSON_LIST_1}))"
    );
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM users WHERE {filter}"
    )))
    .bind(&list)
    .fetch_one(&mut *conn)
    .await?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {USER_COLS} FROM users WHERE {filter} ORDER BY login LIMIT $2 OFFSET $3"
    )))
    .bind(&list)
    .bind(i64::from(page.limit))
    .bind(i64::try_from(page.offset).unwrap_or(i64::MAX))
    .fetch_all(&mut *conn)
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in &rows {
        items.push(user_from_row(conn, r).await?);
    }
    Ok(Paged {
        items,
        total: u64::try_from(total).unwrap_or(0),
    })
}

/// Lawyers of these centres (all for `None`) with no account, by code.
pub async fn lawyers_without_account(
    conn: &mut Conn,
    centres: Option<&[CentreId]>,
) -> Result<Vec<LawyerId>, StoreError> {
    let list = centres.map(|cs| {
        serde_json::Value::from(cs.iter().map(CentreId::as_str).collect::<Vec<_>>()).to_string()
    });
    let ids: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM lawyers WHERE ($1 IS NULL OR home_centre_id IN {JSON_LIST_1}) \
         AND id NOT IN (SELECT lawyer_id FROM users WHERE lawyer_id IS NOT NULL) ORDER BY id"
    )))
    .bind(&list)
    .fetch_all(&mut *conn)
    .await?;
    ids.iter()
        .map(|l| LawyerId::parse(l).map_err(|m| corrupt("lawyers", l, m)))
        .collect()
}

/// Ends every session of an account.
pub async fn delete_sessions_of(conn: &mut Conn, user_id: i64) -> Result<u64, StoreError> {
    Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(conn)
        .await?
        .rows_affected())
}

/// A reset: a new code in place of the password, invited again, every session ended.
pub async fn reset_user(
    conn: &mut Conn,
    id: i64,
    code_hash: &str,
    expires_at: DateTime<Utc>,
) -> Result<UserRecord, StoreError> {
    let n = sqlx::query(
        "UPDATE users SET password_hash = NULL, state = 'invited', code_hash = $1, \
         code_expires_at = $2, updated_at = $3 WHERE id = $4 AND state <> 'disabled'",
    )
    .bind(code_hash)
    .bind(to_instant(expires_at))
    .bind(to_instant(Utc::now()))
    .bind(id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound(format!(
            "no account {id} that can be reset (a disabled account cannot)"
        )));
    }
    delete_sessions_of(&mut *conn, id).await?;
    get_user(conn, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no account {id}")))
}

/// Sets the password of the account with this pending code, consuming the code.
pub async fn activate_user(
    conn: &mut Conn,
    code_hash: &str,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<UserRecord>, StoreError> {
    let Some(u) = user_by_code(&mut *conn, code_hash, now).await? else {
        return Ok(None);
    };
    let n = sqlx::query(
        "UPDATE users SET password_hash = $1, state = 'active', code_hash = NULL, \
         code_expires_at = NULL, updated_at = $2 WHERE id = $3 AND code_hash = $4",
    )
    .bind(password_hash)
    .bind(to_instant(now))
    .bind(u.id)
    .bind(code_hash)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n == 0 {
        // Another request consumed the code first.
        return Ok(None);
    }
    get_user(conn, u.id).await
}

/// Changes an active account's password and ends every session of it.
pub async fn set_password(conn: &mut Conn, id: i64, password_hash: &str) -> Result<(), StoreError> {
    let n = sqlx::query(
        "UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3 AND state = 'active'",
    )
    .bind(password_hash)
    .bind(to_instant(Utc::now()))
    .bind(id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound(format!("no active account {id}")));
    }
    delete_sessions_of(conn, id).await?;
    Ok(())
}

/// Locks, unlocks or disables an account; ends its sessions unless it becomes active.
pub async fn set_user_state(
    conn: &mut Conn,
    id: i64,
    state: AccountState,
) -> Result<UserRecord, StoreError> {
    let u = get_user(&mut *conn, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no account {id}")))?;
    if state == AccountState::Active && u.password_hash.is_none() {
        return Err(StoreError::Conflict(format!(
            "account {id} has no password yet: it becomes active when its code is used"
        )));
    }
    if state == AccountState::Invited {
        return Err(StoreError::Conflict(
            "an account is invited again by a reset, which issues a new code".into(),
        ));
    }
    sqlx::query("UPDATE users SET state = $1, updated_at = $2 WHERE id = $3")
        .bind(state.code())
        .bind(to_instant(Utc::now()))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    if state != AccountState::Active {
        delete_sessions_of(&mut *conn, id).await?;
    }
    get_user(conn, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no account {id}")))
}

/// Changes an account's role and ties; a conflict if the lawyer has another account.
pub async fn set_user_role(
    conn: &mut Conn,
    id: i64,
    c: &RoleChange,
) -> Result<UserRecord, StoreError> {
    if let Some(l) = &c.lawyer_id {
        let taken: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE lawyer_id = $1 AND id <> $2")
                .bind(l.as_str())
                .bind(id)
                .fetch_one(&mut *conn)
                .await?;
        if taken > 0 {
            return Err(StoreError::Conflict(format!(
                "lawyer {l} has another account already"
            )));
        }
    }
    let n = sqlx::query(
        // Staff's own address, phone and choices of notifications go with a move to a
        // role that gets none (kept only while they are used).
        "UPDATE users SET role = $1, lawyer_id = $2, firm_id = $3, updated_at = $4, \
         email = CASE WHEN $1 IN ('coordinator', 'finance') THEN email ELSE '' END, \
         phone = CASE WHEN $1 IN ('coordinator', 'finance') THEN phone ELSE '' END, \
         notify_prefs = CASE WHEN $1 IN ('coordinator', 'finance') THEN notify_prefs END \
         WHERE id = $5",
    )
    .bind(c.role.code())
    .bind(c.lawyer_id.as_ref().map(LawyerId::as_str))
    .bind(c.firm_id.as_ref().map(FirmId::as_str))
    .bind(to_instant(Utc::now()))
    .bind(id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound(format!("no account {id}")));
    }
    sqlx::query("DELETE FROM user_centres WHERE user_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for centre in &c.centres {
        sqlx::query("INSERT INTO user_centres (user_id, centre_id) VALUES ($1, $2)")
            .bind(id)
            .bind(centre.as_str())
            .execute(&mut *conn)
            .await?;
    }
    get_user(conn, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no account {id}")))
}

/// The sign-in attempts kept under a login name (the last day's), newest first.
pub async fn attempts_of(conn: &mut Conn, login: &str) -> Result<Vec<LoginAttempt>, StoreError> {
    let rows =
        sqlx::query("SELECT ip, at, ok FROM login_attempts WHERE login = $1 ORDER BY id DESC")
            .bind(login)
            .fetch_all(conn)
            .await?;
    rows.iter()
        .map(|r| {
            Ok(LoginAttempt {
                ip: r.try_get("ip")?,
                at: parse_instant("login_attempts", login, &r.try_get::<String, _>("at")?)?,
                ok: r.try_get("ok")?,
            })
        })
        .collect()
}

/// Records a sign-in attempt, forgetting those older than a day.
pub async fn record_attempt(
    conn: &mut Conn,
    login: &str,
    ip: &str,
    ok: bool,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM login_attempts WHERE at < $1")
        .bind(to_instant(at - Duration::days(1)))
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO login_attempts (login, ip, at, ok) VALUES ($1, $2, $3, $4)")
        .bind(login)
        .bind(ip)
        .bind(to_instant(at))
        .bind(ok)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Failures since `since` and after the last success (by insertion order), for one
/// column's value.
async fn failures_by(
    conn: &mut Conn,
    column: &str,
    value: &str,
    since: DateTime<Utc>,
) -> Result<Failures, StoreError> {
    let sql = format!(
        "SELECT COUNT(*), MAX(at) FROM login_attempts WHERE {column} = $1 AND ok = FALSE \
         AND at >= $2 AND id > COALESCE((SELECT MAX(id) FROM login_attempts \
         WHERE {column} = $1 AND ok = TRUE), 0)"
    );
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(value)
        .bind(to_instant(since))
        .fetch_one(conn)
        .await?;
    let count: i64 = r.try_get(0)?;
    let last: Option<String> = r.try_get(1)?;
    Ok(Failures {
        count: u32::try_from(count).unwrap_or(u32::MAX),
        last: last
            .map(|t| parse_instant("login_attempts", value, &t))
            .transpose()?,
    })
}

/// Failures for a login name and from an address.
pub async fn failures(
    conn: &mut Conn,
    login: &str,
    ip: &str,
    since: DateTime<Utc>,
) -> Result<(Failures, Failures), StoreError> {
    let by_login = failures_by(&mut *conn, "login", login, since).await?;
    let by_ip = failures_by(conn, "ip", ip, since).await?;
    Ok((by_login, by_ip))
}

const SESSION_COLS: &str =
    "id, user_id, csrf_hash, created_at, last_seen_at, expires_at, ip, user_agent";

fn session_from_row(r: &DbRow) -> Result<SessionRecord, StoreError> {
    let id: i64 = r.try_get("id")?;
    let key = id.to_string();
    let t = |c: &str| -> Result<DateTime<Utc>, StoreError> {
        parse_instant("sessions", &key, &r.try_get::<String, _>(c)?)
    };
    Ok(SessionRecord {
        id,
        user_id: r.try_get("user_id")?,
        csrf_hash: r.try_get("csrf_hash")?,
        created_at: t("created_at")?,
        last_seen_at: t("last_seen_at")?,
        expires_at: t("expires_at")?,
        ip: r.try_get("ip")?,
        user_agent: r.try_get("user_agent")?,
    })
}

/// Stores a session.
pub async fn insert_session(
    conn: &mut Conn,
    s: &NewSession,
    now: DateTime<Utc>,
) -> Result<SessionRecord, StoreError> {
    // Sessions that ended on their own go when a new one starts.
    sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
        .bind(to_instant(now))
        .execute(&mut *conn)
        .await?;
    let sql = format!(
        "INSERT INTO sessions (user_id, token_hash, csrf_hash, created_at, last_seen_at, \
         expires_at, ip, user_agent) VALUES ($1, $2, $3, $4, $4, $5, $6, $7) \
         RETURNING {SESSION_COLS}"
    );
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(s.user_id)
        .bind(&s.token_hash)
        .bind(&s.csrf_hash)
        .bind(to_instant(now))
        .bind(to_instant(s.expires_at))
        .bind(&s.ip)
        .bind(&s.user_agent)
        .fetch_one(conn)
        .await?;
    session_from_row(&r)
}

/// The live session with this hash (not expired, not idle since `idle_since`).
pub async fn find_session(
    conn: &mut Conn,
    hash: &str,
    now: DateTime<Utc>,
    idle_since: DateTime<Utc>,
) -> Result<Option<SessionRecord>, StoreError> {
    let sql = format!(
        "SELECT {SESSION_COLS} FROM sessions WHERE token_hash = $1 AND expires_at > $2 \
         AND last_seen_at > $3"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(hash)
        .bind(to_instant(now))
        .bind(to_instant(idle_since))
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(session_from_row)
        .transpose()
}

/// Marks a session used at `now`.
pub async fn touch_session(conn: &mut Conn, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
        .bind(to_instant(now))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// An account's live sessions, newest first.
pub async fn list_sessions(
    conn: &mut Conn,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<SessionRecord>, StoreError> {
    let sql = format!(
        "SELECT {SESSION_COLS} FROM sessions WHERE user_id = $1 AND expires_at > $2 \
         ORDER BY id DESC LIMIT 100"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(user_id)
        .bind(to_instant(now))
        .fetch_all(conn)
        .await?
        .iter()
        .map(session_from_row)
        .collect()
}

/// Ends one session of an account.
pub async fn delete_session(
    conn: &mut Conn,
    user_id: i64,
    session_id: i64,
) -> Result<bool, StoreError> {
    Ok(
        sqlx::query("DELETE FROM sessions WHERE id = $1 AND user_id = $2")
            .bind(session_id)
            .bind(user_id)
            .execute(conn)
            .await?
            .rows_affected()
            > 0,
    )
}

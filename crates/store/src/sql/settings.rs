//! Data-set settings, kept as TOML under one key.

use super::Conn;
use super::corrupt;
use crate::StoreError;
use zhiban_domain::Settings;

const KEY: &str = "dataset";

/// A transaction that may write the panel (centres, firms, stations, demand, lawyers and
/// their availability, the calendar, settings with subsidy policies, centre policies).
///
/// Only [`panel_write`] makes one, and it bumps the panel revision inside the transaction
/// first: every panel writer takes a `PanelTx`, so no write of cached data can commit without
/// the revision that tells every cache and every process to read it again.
pub struct PanelTx<'c>(&'c mut Conn);

impl PanelTx<'_> {
    /// The transaction's connection.
    pub(crate) fn conn(&mut self) -> &mut Conn {
        self.0
    }
}

/// Begins writing the panel inside the caller's transaction `conn`: bumps the panel
/// revision (committed or rolled back with the writes).
pub async fn panel_write(conn: &mut Conn) -> Result<PanelTx<'_>, StoreError> {
    bump_revision(&mut *conn, "panel").await?;
    Ok(PanelTx(conn))
}

/// Writes changed panel records (firms, stations with their contracted firms, stations'
/// weekly demand, lawyers without their availability) inside the caller's transaction;
/// refused when the panel revision is no longer `w.base` (when given). The revision is
/// bumped before it is compared, so that of two writers from one revision the second waits
/// for the first and is then refused, on either database. The new revisions.
pub async fn write_changes(
    conn: &mut Conn,
    w: &crate::PanelWrite,
) -> Result<crate::Revisions, StoreError> {
    let mut p = panel_write(conn).await?;
    let now = get_revisions(p.conn()).await?;
    if let Some(base) = w.base
        && now.panel != base + 1
    {
        return Err(StoreError::Conflict(format!(
            "the panel changed since revision {base} (it is now {}): read it again",
            now.panel - 1
        )));
    }
    for c in &w.centres {
        super::centres::upsert_centre(&mut p, c).await?;
    }
    if let Some(cal) = &w.calendar {
        super::calendar::replace_years(&mut p, cal).await?;
    }
    for f in &w.firms {
        super::firms::upsert_firm(&mut p, f).await?;
    }
    for s in &w.stations {
        super::stations::upsert_station(&mut p, s).await?;
    }
    for (station, rules) in &w.demand {
        super::stations::replace_demand(&mut p, station, rules.iter()).await?;
    }
    for l in &w.lawyers {
        super::lawyers::upsert_lawyer(&mut p, l).await?;
    }
    for a in &w.availability {
        super::lawyers::replace_availability(
            &mut p,
            &a.lawyer_id,
            a.weekly.iter(),
            a.leave.iter(),
            a.preferences.iter(),
        )
        .await?;
    }
    let changed = (w.firms.iter().map(|f| ("firm", f.id.as_str())))
        .chain(w.stations.iter().map(|s| ("station", s.id.as_str())))
        .chain(w.demand.iter().map(|(s, _)| ("demand", s.as_str())))
        .chain(w.lawyers.iter().map(|l| ("lawyer", l.id.as_str())))
        .chain(
            w.availability
                .iter()
                .map(|a| ("availability", a.lawyer_id.as_str())),
        );
    for (kind, code) in changed {
        note_change(&mut p, kind, code).await?;
    }
    Ok(now)
}

const IMPORT_COLS: &str = "id, centre_id, mode, base_revision, preview, created_at, created_by, \
    applied_at, applied_by";

fn import_from_row(r: &super::DbRow) -> Result<crate::ImportRecord, StoreError> {
    use sqlx::Row;
    let id: i64 = r.try_get("id")?;
    let key = id.to_string();
    let t = "imports";
    Ok(crate::ImportRecord {
        id,
        centre_id: zhiban_domain::CentreId::parse(&r.try_get::<String, _>("centre_id")?)
            .map_err(|m| corrupt(t, &key, m))?,
        mode: r.try_get("mode")?,
        base_revision: r.try_get("base_revision")?,
        preview: serde_json::from_str(&r.try_get::<String, _>("preview")?)
            .map_err(|e| corrupt(t, &key, e.to_string()))?,
        created_at: super::parse_instant(t, &key, &r.try_get::<String, _>("created_at")?)?,
        created_by: r.try_get("created_by")?,
        applied_at: r
            .try_get::<Option<String>, _>("applied_at")?
            .map(|s| super::parse_instant(t, &key, &s))
            .transpose()?,
        applied_by: r.try_get("applied_by")?,
    })
}

/// Previews not applied within this many days are forgotten.
pub const IMPORT_DAYS: i64 = 7;

/// Previews not applied that a centre keeps, newest first.
pub const IMPORTS_KEPT: i64 = 20;

/// Keeps an import's preview, forgetting previews never applied within [`IMPORT_DAYS`], and
/// a centre's beyond its newest [`IMPORTS_KEPT`] not applied.
pub async fn insert_import(
    conn: &mut Conn,
    i: &crate::NewImport,
) -> Result<crate::ImportRecord, StoreError> {
    sqlx::query("DELETE FROM imports WHERE applied_at IS NULL AND created_at < $1")
        .bind(super::to_instant(
            i.now - chrono::Duration::days(IMPORT_DAYS),
        ))
        .execute(&mut *conn)
        .await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO imports (centre_id, mode, base_revision, preview, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {IMPORT_COLS}"
    )))
    .bind(i.centre_id.as_str())
    .bind(&i.mode)
    .bind(i.base_revision)
    .bind(i.preview.to_string())
    .bind(super::to_instant(i.now))
    .bind(&i.created_by)
    .fetch_one(&mut *conn)
    .await?;
    // A centre keeps its newest previews not applied; older ones are forgotten.
    sqlx::query(
        "DELETE FROM imports WHERE centre_id = $1 AND applied_at IS NULL AND id NOT IN \
         (SELECT id FROM imports WHERE centre_id = $2 AND applied_at IS NULL \
          ORDER BY id DESC LIMIT $3)",
    )
    .bind(i.centre_id.as_str())
    .bind(i.centre_id.as_str())
    .bind(IMPORTS_KEPT)
    .execute(&mut *conn)
    .await?;
    import_from_row(&row)
}

/// An import by id.
pub async fn get_import(
    conn: &mut Conn,
    id: i64,
) -> Result<Option<crate::ImportRecord>, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {IMPORT_COLS} FROM imports WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(import_from_row).transpose()
}

/// Marks an import applied; a conflict if it was already.
pub async fn mark_applied(conn: &mut Conn, id: i64, by: &str) -> Result<(), StoreError> {
    let n = sqlx::query(
        "UPDATE imports SET applied_at = $1, applied_by = $2 WHERE id = $3 AND applied_at IS NULL",
    )
    .bind(super::to_instant(chrono::Utc::now()))
    .bind(by)
    .bind(id)
    .execute(conn)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::Conflict(format!(
            "import {id} was applied already"
        )));
    }
    Ok(())
}

/// Stores the data-set settings, replacing earlier ones.
pub async fn put_settings(tx: &mut PanelTx<'_>, s: &Settings) -> Result<(), StoreError> {
    let conn = tx.conn();
    let text = toml::to_string(s).map_err(|e| corrupt("settings", KEY, e.to_string()))?;
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
        .bind(KEY)
        .bind(text)
        .execute(conn)
        .await?;
    Ok(())
}

/// The data-set settings, if any were imported.
pub async fn get_settings(conn: &mut Conn) -> Result<Option<Settings>, StoreError> {
    let raw: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(KEY)
        .fetch_optional(conn)
        .await?;
    raw.map(|r| toml::from_str(&r).map_err(|e| corrupt("settings", KEY, e.to_string())))
        .transpose()
}

/// Notes that record `code` of `kind` (`firm`, `station`, `demand`, `lawyer`,
/// `availability`) changes at the panel revision this transaction makes. Writers note the
/// records they change, not those they write unchanged, so that a workbook exported before
/// is refused only where it would undo something.
pub(crate) async fn note_change(
    tx: &mut PanelTx<'_>,
    kind: &str,
    code: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO panel_changes (kind, code, revision)          SELECT $1, $2, CAST(value AS BIGINT) FROM settings WHERE key = 'revision:panel'          ON CONFLICT (kind, code) DO UPDATE SET revision = excluded.revision",
    )
    .bind(kind)
    .bind(code)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The records `next` holds otherwise than `before` (both in canonical order, see
/// [`Dataset::normalize`](zhiban_domain::Dataset::normalize)), as (kind, code).
pub(crate) fn changed_records(
    before: &zhiban_domain::Dataset,
    next: &zhiban_domain::Dataset,
) -> Vec<(&'static str, String)> {
    use std::collections::HashMap;
    fn by<'a, K: std::hash::Hash + Eq, T>(
        list: &'a [T],
        key: impl Fn(&'a T) -> K,
    ) -> HashMap<K, Vec<&'a T>> {
        let mut m: HashMap<K, Vec<&T>> = HashMap::new();
        for x in list {
            m.entry(key(x)).or_default().push(x);
        }
        m
    }
    let mut out = vec![];
    let firms = by(&before.firms, |f| &f.id);
    out.extend(
        next.firms
            .iter()
            .filter(|f| firms.get(&f.id) != Some(&vec![*f]))
            .map(|f| ("firm", f.id.to_string())),
    );
    let stations = by(&before.stations, |s| &s.id);
    out.extend(
        next.stations
            .iter()
            .filter(|s| stations.get(&s.id) != Some(&vec![*s]))
            .map(|s| ("station", s.id.to_string())),
    );
    let (old, new) = (
        by(&before.demand, |d| &d.station_id),
        by(&next.demand, |d| &d.station_id),
    );
    out.extend(
        next.stations
            .iter()
            .filter(|s| old.get(&s.id) != new.get(&s.id))
            .map(|s| ("demand", s.id.to_string())),
    );
    let lawyers = by(&before.lawyers, |l| &l.id);
    out.extend(
        next.lawyers
            .iter()
            .filter(|l| lawyers.get(&l.id) != Some(&vec![*l]))
            .map(|l| ("lawyer", l.id.to_string())),
    );
    let weekly = (
        by(&before.unavailability, |u| &u.lawyer_id),
        by(&next.unavailability, |u| &u.lawyer_id),
    );
    let leave = (
        by(&before.leave, |u| &u.lawyer_id),
        by(&next.leave, |u| &u.lawyer_id),
    );
    let wishes = (
        by(&before.preferences, |u| &u.lawyer_id),
        by(&next.preferences, |u| &u.lawyer_id),
    );
    out.extend(
        next.lawyers
            .iter()
            .filter(|l| {
                weekly.0.get(&l.id) != weekly.1.get(&l.id)
                    || leave.0.get(&l.id) != leave.1.get(&l.id)
                    || wishes.0.get(&l.id) != wishes.1.get(&l.id)
            })
            .map(|l| ("availability", l.id.to_string())),
    );
    out
}

/// The records changed after panel revision `revision`, as (kind, code).
pub async fn changed_since(
    conn: &mut Conn,
    revision: i64,
) -> Result<Vec<(String, String)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT kind, code FROM panel_changes WHERE revision > $1 ORDER BY kind, code",
    )
    .bind(revision)
    .fetch_all(conn)
    .await?)
}

/// Bumps revision counter `name` (`panel`, `published`, `tokens`) inside the caller's transaction, so
/// that caches keyed by it (see [`Revisions`](crate::Revisions)) see the change when it
/// commits.
pub async fn bump_revision(conn: &mut Conn, name: &str) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES ($1, '1') ON CONFLICT(key) DO UPDATE \
         SET value = CAST(CAST(settings.value AS BIGINT) + 1 AS TEXT)",
    )
    .bind(format!("revision:{name}"))
    .execute(conn)
    .await?;
    Ok(())
}

/// The revision counters, in one query.
pub async fn get_revisions(conn: &mut Conn) -> Result<crate::Revisions, StoreError> {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT key, value FROM settings \
         WHERE key IN ('revision:panel', 'revision:published', 'revision:tokens')",
    )
    .fetch_all(conn)
    .await?;
    let mut r = crate::Revisions::default();
    for row in rows {
        let key: String = row.try_get(0)?;
        let value: String = row.try_get(1)?;
        let n = value
            .parse()
            .map_err(|_| corrupt("settings", &key, format!("revision {value:?}")))?;
        match key.as_str() {
            "revision:panel" => r.panel = n,
            "revision:published" => r.published = n,
            _ => r.tokens = n,
        }
    }
    Ok(r)
}

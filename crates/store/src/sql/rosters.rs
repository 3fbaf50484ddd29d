//! Rosters: series, versions with their assignments, publication and published duties.
//! Jobs and swaps are in `super::jobs` and `super::swaps`.

use super::dialect::{JSON_LIST_1, ROSTER_END, lock_centre};
use super::{Conn, DbRow};
use super::{corrupt, decode_doc, encode_doc, parse_instant, to_instant};
use crate::StoreError;
use crate::records::*;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;
use std::collections::BTreeSet;
use zhiban_domain::{Assignment, CentreId, HalfDay, LawyerId, Role, StationId};

pub(super) fn opt_instant(
    table: &'static str,
    key: &str,
    raw: Option<String>,
) -> Result<Option<chrono::DateTime<Utc>>, StoreError> {
    raw.map(|s| parse_instant(table, key, &s)).transpose()
}

fn roster_from_row(r: &DbRow) -> Result<RosterRecord, StoreError> {
    let id: i64 = r.try_get("id")?;
    let key = id.to_string();
    let bad = |m: String| corrupt("rosters", &key, m);
    Ok(RosterRecord {
        id,
        centre_id: CentreId::parse(&r.try_get::<String, _>("centre_id")?).map_err(bad)?,
        from: r.try_get("from_date")?,
        weeks: u32::try_from(r.try_get::<i64, _>("weeks")?).unwrap_or(0),
        created_at: parse_instant("rosters", &key, &r.try_get::<String, _>("created_at")?)?,
        created_by: r.try_get("created_by")?,
    })
}

const ROSTER_COLS: &str = "id, centre_id, from_date, weeks, created_at, created_by";
const VERSION_COLS: &str = "id, roster_id, number, status, based_on, origin, report, revision, \
                            created_at, created_by, published_at, published_by";

fn version_from_row(r: &DbRow) -> Result<VersionRecord, StoreError> {
    let id: i64 = r.try_get("id")?;
    let key = id.to_string();
    let t = "roster_versions";
    Ok(VersionRecord {
        id,
        roster_id: r.try_get("roster_id")?,
        number: u32::try_from(r.try_get::<i64, _>("number")?).unwrap_or(0),
        status: VersionStatus::parse(&r.try_get::<String, _>("status")?)
            .map_err(|m| corrupt(t, &key, m))?,
        based_on: r.try_get("based_on")?,
        origin: VersionOrigin::parse(&r.try_get::<String, _>("origin")?)
            .map_err(|m| corrupt(t, &key, m))?,
        report: decode_doc(t, &key, &r.try_get::<String, _>("report")?)?,
        revision: r.try_get("revision")?,
        created_at: parse_instant(t, &key, &r.try_get::<String, _>("created_at")?)?,
        created_by: r.try_get("created_by")?,
        published_at: opt_instant(t, &key, r.try_get("published_at")?)?,
        published_by: r.try_get("published_by")?,
    })
}

fn assignment_from_row(r: &DbRow) -> Result<(Assignment, bool), StoreError> {
    let key = format!(
        "{}/{}",
        r.try_get::<String, _>("station_id")?,
        r.try_get::<chrono::NaiveDate, _>("date")?
    );
    let bad = |m: String| corrupt("assignments", &key, m);
    Ok((
        Assignment {
            date: r.try_get("date")?,
            half_day: HalfDay::parse(&r.try_get::<String, _>("half_day")?).map_err(bad)?,
            station_id: StationId::parse(&r.try_get::<String, _>("station_id")?).map_err(bad)?,
            lawyer_id: LawyerId::parse(&r.try_get::<String, _>("lawyer_id")?).map_err(bad)?,
            role: Role::parse(&r.try_get::<String, _>("role")?).map_err(bad)?,
        },
        r.try_get("pinned")?,
    ))
}

/// A roster series.
pub async fn get_roster(conn: &mut Conn, id: i64) -> Result<Option<RosterRecord>, StoreError> {
    let sql = format!("SELECT {ROSTER_COLS} FROM rosters WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(roster_from_row)
        .transpose()
}

/// Roster series of some centres (None: all), newest period first.
pub async fn list_rosters(
    conn: &mut Conn,
    centres: Option<&[CentreId]>,
    page: Page,
) -> Result<Paged<RosterRecord>, StoreError> {
    let filter = centres.map(|cs| {
        serde_json::Value::from(cs.iter().map(|c| c.as_str()).collect::<Vec<_>>()).to_string()
    });
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM rosters WHERE ($1 IS NULL OR centre_id IN {JSON_LIST_1})",
    )))
    .bind(&filter)
    .fetch_one(&mut *conn)
    .await?;
    let sql = format!(
        "SELECT {ROSTER_COLS} FROM rosters WHERE ($1 IS NULL OR centre_id IN \
         {JSON_LIST_1}) ORDER BY from_date DESC, id DESC LIMIT $2 OFFSET $3"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&filter)
        .bind(i64::from(page.limit))
        .bind(i64::try_from(page.offset).unwrap_or(i64::MAX))
        .fetch_all(&mut *conn)
        .await?;
    Ok(Paged {
        items: rows.iter().map(roster_from_row).collect::<Result<_, _>>()?,
        total: u64::try_from(total).unwrap_or(0),
    })
}

/// Versions of a series, oldest first.
pub async fn list_versions(conn: &mut Conn, roster: i64) -> Result<Vec<VersionRecord>, StoreError> {
    let sql =
        format!("SELECT {VERSION_COLS} FROM roster_versions WHERE roster_id = $1 ORDER BY number");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(roster)
        .fetch_all(conn)
        .await?;
    rows.iter().map(version_from_row).collect()
}

async fn version_record(conn: &mut Conn, id: i64) -> Result<Option<VersionRecord>, StoreError> {
    let sql = format!("SELECT {VERSION_COLS} FROM roster_versions WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(version_from_row)
        .transpose()
}

/// A version with its series and assignments.
pub async fn get_version(conn: &mut Conn, id: i64) -> Result<Option<StoredVersion>, StoreError> {
    let Some(version) = version_record(&mut *conn, id).await? else {
        return Ok(None);
    };
    let roster = get_roster(&mut *conn, version.roster_id)
        .await?
        .ok_or_else(|| corrupt("roster_versions", &id.to_string(), "its roster is missing"))?;
    let rows = sqlx::query(
        "SELECT station_id, date, half_day, lawyer_id, role, pinned FROM assignments \
         WHERE version_id = $1",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let mut all = BTreeSet::new();
    let mut pins = BTreeSet::new();
    for r in &rows {
        let (a, pinned) = assignment_from_row(r)?;
        if pinned {
            pins.insert(a.clone());
        }
        all.insert(a);
    }
    Ok(Some(StoredVersion {
        roster,
        version,
        assignments: all.into_iter().collect(),
        pins,
    }))
}

async fn insert_assignments(
    conn: &mut Conn,
    version: i64,
    assignments: &[Assignment],
    pins: &BTreeSet<Assignment>,
) -> Result<(), StoreError> {
    for a in assignments {
        sqlx::query(
            "INSERT INTO assignments (version_id, station_id, date, half_day, lawyer_id, role, pinned) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(version)
        .bind(a.station_id.as_str())
        .bind(a.date)
        .bind(a.half_day.code())
        .bind(a.lawyer_id.as_str())
        .bind(a.role.code())
        .bind(pins.contains(a))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Refuses to publish `version` when its duties on days of a locked (approved) month differ
/// from those of the series' published version (or, for a first publication, when it has
/// any there): which posts pay is a fact of the month, and a locked month changes only by a
/// coordinator's correction.
async fn refuse_changes_in_locked_months(
    conn: &mut Conn,
    version: &VersionRecord,
    centre: &zhiban_domain::CentreId,
) -> Result<(), StoreError> {
    let locked = super::attendance::locked_day("$2", "a.date");
    let duties = |v: &str| {
        format!(
            "SELECT a.station_id, a.date, a.half_day, a.lawyer_id, a.role FROM assignments a \
             WHERE a.version_id = {v} AND {locked}"
        )
    };
    let current = "(SELECT id FROM roster_versions WHERE roster_id = $3 AND status = 'published')";
    let changed: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT x.d FROM (SELECT CAST(p.date AS TEXT) AS d FROM ({} EXCEPT {}) p \
         UNION ALL SELECT CAST(q.date AS TEXT) AS d FROM ({} EXCEPT {}) q) x LIMIT 1",
        duties("$1"),
        duties(current),
        duties(current),
        duties("$1"),
    )))
    .bind(version.id)
    .bind(centre.as_str())
    .bind(version.roster_id)
    .fetch_optional(&mut *conn)
    .await?;
    match changed {
        None => Ok(()),
        Some(day) => Err(StoreError::Locked(format!(
            "this version changes duties on {day}, in a month of centre {centre} that finance \
             has approved; a locked month changes only by a coordinator's correction \
             (POST /api/v1/corrections)"
        ))),
    }
}

/// Marks `version` published and the series' earlier published version superseded. Refuses
/// a version that is not a draft, and a period overlapping another published roster of the
/// same centre (its duties would be rostered twice).
async fn publish_on(
    conn: &mut Conn,
    version: &VersionRecord,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if version.status != VersionStatus::Draft {
        return Err(StoreError::Conflict(format!(
            "version {} is {}, only a draft can be published",
            version.id,
            version.status.code()
        )));
    }
    let roster = get_roster(&mut *conn, version.roster_id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("roster {}", version.roster_id)))?;
    let clash: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT r.id FROM rosters r JOIN roster_versions v ON v.roster_id = r.id \
         WHERE v.status = 'published' AND r.centre_id = $1 AND r.id <> $2 \
         AND r.from_date <= $3 AND {ROSTER_END} >= $4 LIMIT 1",
    )))
    .bind(roster.centre_id.as_str())
    .bind(roster.id)
    .bind(roster.to())
    .bind(roster.from)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(other) = clash {
        return Err(StoreError::Conflict(format!(
            "roster {other} of centre {} is already published for an overlapping period",
            roster.centre_id
        )));
    }
    refuse_changes_in_locked_months(&mut *conn, version, &roster.centre_id).await?;
    let previous: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM roster_versions WHERE roster_id = $1 AND status = 'published'",
    )
    .bind(version.roster_id)
    .fetch_optional(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE roster_versions SET status = 'superseded' WHERE roster_id = $1 AND status = 'published'",
    )
    .bind(version.roster_id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE roster_versions SET status = 'published', published_at = $1, published_by = $2 WHERE id = $3",
    )
    .bind(to_instant(now))
    .bind(by)
    .bind(version.id)
    .execute(&mut *conn)
    .await?;
    super::settings::bump_revision(&mut *conn, "published").await?;
    // The lawyers whose duties it changes hear of it (the outbox, in this transaction).
    super::notifications::roster_published(
        &mut *conn,
        &roster.centre_id,
        version.id,
        previous,
        now,
    )
    .await?;
    Ok(())
}

/// Takes the write lock of the centre owning roster `id`: on PostgreSQL, writers of one
/// centre's rosters (publishing above all) queue one behind another; on SQLite a write
/// transaction excludes every other writer anyway.
pub(super) async fn lock_roster(conn: &mut Conn, roster_id: i64) -> Result<(), StoreError> {
    let centre: Option<String> = sqlx::query_scalar("SELECT centre_id FROM rosters WHERE id = $1")
        .bind(roster_id)
        .fetch_optional(&mut *conn)
        .await?;
    match centre {
        Some(c) => lock_centre(conn, &c).await,
        None => Ok(()),
    }
}

/// [`lock_roster`] for the roster of version `id`.
async fn lock_version(conn: &mut Conn, version_id: i64) -> Result<(), StoreError> {
    let roster: Option<i64> =
        sqlx::query_scalar("SELECT roster_id FROM roster_versions WHERE id = $1")
            .bind(version_id)
            .fetch_optional(&mut *conn)
            .await?;
    match roster {
        Some(r) => lock_roster(conn, r).await,
        None => Ok(()),
    }
}

/// Stores a new version (and a new series if asked); returns its id.
pub async fn insert_version(conn: &mut Conn, v: &NewVersion) -> Result<i64, StoreError> {
    let now = to_instant(Utc::now());
    match &v.roster {
        RosterRef::Existing(id) => lock_roster(&mut *conn, *id).await?,
        RosterRef::New { centre_id, .. } => lock_centre(&mut *conn, centre_id.as_str()).await?,
    }
    let roster_id = match &v.roster {
        RosterRef::Existing(id) => {
            get_roster(&mut *conn, *id)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("roster {id}")))?;
            *id
        }
        RosterRef::New {
            centre_id,
            from,
            weeks,
        } => {
            sqlx::query_scalar(
                "INSERT INTO rosters (centre_id, from_date, weeks, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(centre_id.as_str())
            .bind(from)
            .bind(i64::from(*weeks))
            .bind(&now)
            .bind(&v.created_by)
            .fetch_one(&mut *conn)
            .await?
        }
    };
    if v.publish {
        // Publishing at once (a swap) must start from the version now in force.
        let current: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM roster_versions WHERE roster_id = $1 AND status = 'published'",
        )
        .bind(roster_id)
        .fetch_optional(&mut *conn)
        .await?;
        if current != v.based_on {
            return Err(StoreError::Conflict(
                "the published version changed in the meantime".into(),
            ));
        }
    }
    let number: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(number), 0) + 1 FROM roster_versions WHERE roster_id = $1",
    )
    .bind(roster_id)
    .fetch_one(&mut *conn)
    .await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO roster_versions (roster_id, number, status, based_on, origin, report, \
         created_at, created_by) VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(roster_id)
    .bind(number)
    .bind(v.based_on)
    .bind(v.origin.code())
    .bind(encode_doc(&v.report))
    .bind(&now)
    .bind(&v.created_by)
    .fetch_one(&mut *conn)
    .await?;
    insert_assignments(&mut *conn, id, &v.assignments, &v.pins).await?;
    if v.publish {
        let rec = version_record(&mut *conn, id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("version {id}")))?;
        publish_on(&mut *conn, &rec, &v.created_by, v.now).await?;
    }
    Ok(id)
}

/// Replaces a draft's assignments and report, if it is still at `revision`.
pub async fn update_draft(
    conn: &mut Conn,
    id: i64,
    revision: i64,
    assignments: &[Assignment],
    pins: &BTreeSet<Assignment>,
    report: &zhiban_domain::SolveReport,
) -> Result<(), StoreError> {
    lock_version(&mut *conn, id).await?;
    let v = version_record(&mut *conn, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("version {id}")))?;
    if v.status != VersionStatus::Draft {
        return Err(StoreError::Conflict(format!(
            "version {id} is {}; published versions never change, edit a new version instead",
            v.status.code()
        )));
    }
    if v.revision != revision {
        return Err(StoreError::Conflict(format!(
            "version {id} was changed by someone else (revision {} now, {revision} expected)",
            v.revision
        )));
    }
    sqlx::query("DELETE FROM assignments WHERE version_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    insert_assignments(&mut *conn, id, assignments, pins).await?;
    sqlx::query("UPDATE roster_versions SET report = $1, revision = revision + 1 WHERE id = $2")
        .bind(encode_doc(report))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Publishes a draft.
pub async fn publish_version(
    conn: &mut Conn,
    id: i64,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    lock_version(&mut *conn, id).await?;
    let v = version_record(&mut *conn, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("version {id}")))?;
    publish_on(conn, &v, by, now).await
}

/// Duties of published versions matching `q`, by date, half-day, station.
pub async fn list_duties(
    conn: &mut Conn,
    q: &DutyQuery,
    page: Page,
) -> Result<Paged<Duty>, StoreError> {
    let centres = q.centres.as_ref().map(|cs| {
        serde_json::Value::from(cs.iter().map(|c| c.as_str()).collect::<Vec<_>>()).to_string()
    });
    // Dates are stored as YYYY-MM-DD text: open ends are four-digit years, so that they
    // compare as text the way they do as dates (NaiveDate::MAX prints as +262142-12-31).
    let from = q
        .from
        .unwrap_or(NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or_default());
    let to =
        q.to.unwrap_or(NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default());
    // Each filter is written out only when it is given (`$n IS NULL` otherwise, so every
    // parameter is still used): `($n IS NULL OR col = $n)` would keep the planners from using
    // the indexes on lawyer and date.
    let given = |on: bool, clause: String, n: u8| {
        if on { clause } else { format!("${n} IS NULL") }
    };
    let filter = format!(
        "FROM assignments a JOIN roster_versions v ON v.id = a.version_id \
         JOIN rosters r ON r.id = v.roster_id WHERE v.status = 'published' \
         AND {} AND {} AND {} AND a.date >= $4 AND a.date <= $5 AND {}",
        given(
            centres.is_some(),
            format!("r.centre_id IN {JSON_LIST_1}"),
            1
        ),
        given(q.lawyer.is_some(), "a.lawyer_id = $2".into(), 2),
        given(q.station.is_some(), "a.station_id = $3".into(), 3),
        given(q.except_roster.is_some(), "r.id <> $6".into(), 6),
    );
    let bind = |sql: String| {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(centres.clone())
            .bind(q.lawyer.as_ref().map(|l| l.as_str().to_string()))
            .bind(q.station.as_ref().map(|s| s.as_str().to_string()))
            .bind(from)
            .bind(to)
            .bind(q.except_roster)
    };
    let rows = bind(format!(
        "SELECT r.id AS roster_id, v.id AS vid, r.centre_id, a.station_id, a.date, a.half_day, \
         a.lawyer_id, a.role, a.pinned {filter} \
         ORDER BY a.date, a.half_day, a.station_id, a.role, a.lawyer_id LIMIT $7 OFFSET $8"
    ))
    .bind(i64::from(page.limit))
    .bind(i64::try_from(page.offset).unwrap_or(i64::MAX))
    .fetch_all(&mut *conn)
    .await?;
    // A short page that is not empty (or a first page) ends the list: its total is known
    // without counting.
    let short = rows.len() < usize::try_from(page.limit).unwrap_or(usize::MAX);
    let total: i64 = if short && (page.offset == 0 || !rows.is_empty()) {
        i64::try_from(page.offset).unwrap_or(i64::MAX)
            + i64::try_from(rows.len()).unwrap_or(i64::MAX)
    } else {
        bind(format!("SELECT COUNT(*) {filter}"))
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?
    };
    let items = rows
        .iter()
        .map(|r| {
            let (assignment, _) = assignment_from_row(r)?;
            let centre: String = r.try_get("centre_id")?;
            Ok(Duty {
                roster_id: r.try_get("roster_id")?,
                version_id: r.try_get("vid")?,
                centre_id: CentreId::parse(&centre).map_err(|m| corrupt("rosters", &centre, m))?,
                assignment,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(Paged {
        items,
        total: u64::try_from(total).unwrap_or(0),
    })
}

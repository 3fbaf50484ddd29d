//! Calendar feeds (iCal) for lawyers and stations, their tokens, and the import of lawyers'
//! busy calendars.
//!
//! Feeds are reached by a secret token in the URL (calendar apps send no headers), one per
//! lawyer and per station, stored hashed; rotating a token makes the old URL answer 404 at
//! once. A lawyer's feed holds their published duties from 60 days back and everything ahead;
//! a duty taken away stays in the feed as CANCELLED, with a higher SEQUENCE, so subscribed
//! phones remove it.

use crate::AppState;
use crate::auth::{Principal, generate_token, hash_token};
use crate::cache::{FeedKey, RenderedFeed};
use crate::error::{ApiError, Path, Query};
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::{Assignment, Dataset, LawyerId, Role, StationId};
use zhiban_feeds::{FeedEvent, MAX_ICS_BYTES, write_calendar};
use zhiban_store::{BusyTime, DutyVersion, FeedKind, PublishedVersion, TokenRole};

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(lawyer_feed))
        .routes(routes!(station_feed))
        .routes(routes!(rotate_lawyer_token))
        .routes(routes!(rotate_station_token))
        .routes(routes!(import_busy, list_busy))
}

/// Days of past duties in a feed.
pub(crate) const PAST_DAYS: i64 = 60;
/// Cancelled duties stay in a feed at least this long after they were taken away.
pub(crate) const CANCELLED_DAYS: i64 = 30;

/// A feed's address.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FeedLink {
    /// `https://…/ical/….ics`, shown once.
    url: String,
    /// The same as `webcal://`, for one-tap subscription on phones.
    webcal_url: String,
}

pub(crate) fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let proto = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("http");
    format!("{proto}://{host}")
}

fn link(headers: &HeaderMap, path: &str) -> FeedLink {
    let url = format!("{}{path}", base_url(headers));
    let webcal_url = format!(
        "webcal://{}",
        url.split_once("://").map_or(url.as_str(), |x| x.1)
    );
    FeedLink { url, webcal_url }
}

/// Lawyer `id`, if `who` may reach their private calendar data (feed token and feed, busy
/// calendar): the lawyer themself, an admin, or a coordinator of the lawyer's HOME centre.
/// Coordinators of sibling centres sharing the pool may see the lawyer on the panel, but not
/// this. Everyone else gets the same 404 as for a lawyer that does not exist; the role is
/// decided before the lawyer is looked up, and the home centre is a condition of the lookup.
async fn private_lawyer(
    state: &AppState,
    who: &Principal,
    id: &str,
) -> Result<zhiban_domain::Lawyer, ApiError> {
    let id = LawyerId::parse(id).map_err(|m| ApiError::field("id", m))?;
    let hidden = || ApiError::not_found("lawyer", &id);
    match who.role() {
        TokenRole::Lawyer if who.lawyer() == Some(&id) => {}
        TokenRole::Admin | TokenRole::Coordinator => {}
        TokenRole::Lawyer
        | TokenRole::Finance
        | TokenRole::Station
        | TokenRole::Director
        | TokenRole::FirmAdmin => return Err(hidden()),
    }
    let ds = state.dataset().await?;
    ds.lawyer(&id)
        .filter(|l| who.lawyer().is_some() || who.sees_centre(&l.home_centre_id))
        .cloned()
        .ok_or_else(hidden)
}

/// Makes a new feed URL for a lawyer (the lawyer, an admin, or a coordinator of the
/// lawyer's home centre); the old URL stops working at once.
#[utoipa::path(post, path = "/api/v1/lawyers/{id}/feed-token", tag = "feeds",
    params(("id" = String, Path, description = "lawyer code")),
    responses((status = 201, body = FeedLink), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)))]
async fn rotate_lawyer_token(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let l = private_lawyer(&state, &who, &id).await?;
    let id = &l.id;
    let token = generate_token().map_err(ApiError::Internal)?;
    let audit = who.audit(
        Some(&l.home_centre_id),
        "feed.rotate",
        format!("lawyer/{id}"),
        serde_json::json!({"kind": "lawyer"}),
    );
    state
        .store
        .rotate_feed_token(FeedKind::Lawyer, id.as_str(), &hash_token(&token), &audit)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(link(&headers, &format!("/ical/lawyers/{token}.ics"))),
    )
        .into_response())
}

/// Makes a new feed URL for a station's own staff (coordinators); the old one stops working.
#[utoipa::path(post, path = "/api/v1/stations/{id}/feed-token", tag = "feeds",
    params(("id" = String, Path, description = "station code")),
    responses((status = 201, body = FeedLink), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)))]
async fn rotate_station_token(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = StationId::parse(&id).map_err(|m| ApiError::field("id", m))?;
    let ds = state.dataset().await?;
    let st = ds
        .station(&id)
        .ok_or_else(|| ApiError::not_found("station", &id))?;
    who.require_coordinator_of(&st.centre_id, &format!("station {id}"))?;
    let token = generate_token().map_err(ApiError::Internal)?;
    let audit = who.audit(
        Some(&st.centre_id),
        "feed.rotate",
        format!("station/{id}"),
        serde_json::json!({"kind": "station"}),
    );
    state
        .store
        .rotate_feed_token(FeedKind::Station, id.as_str(), &hash_token(&token), &audit)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(link(
            &headers,
            &format!("/ical/sites/{id}.ics?token={token}"),
        )),
    )
        .into_response())
}

/// Events of the duties matching a history: current duties confirmed, duties taken away
/// cancelled (for 30 days at least), SEQUENCE counting the changes.
fn events(
    ds: &Dataset,
    versions: &[PublishedVersion],
    duties: &[DutyVersion],
    now: DateTime<Utc>,
    summary: impl Fn(&Assignment, &zhiban_domain::Station) -> String,
    description: impl Fn(&Assignment, &zhiban_domain::Station) -> String,
) -> Vec<FeedEvent> {
    // Presence of each duty in each published version of its series, in order.
    let mut by_roster: BTreeMap<i64, Vec<&PublishedVersion>> = BTreeMap::new();
    for v in versions {
        by_roster.entry(v.roster_id).or_default().push(v);
    }
    let mut keys: BTreeMap<(i64, &Assignment), Vec<u32>> = BTreeMap::new();
    for d in duties {
        keys.entry((d.roster_id, &d.assignment))
            .or_default()
            .push(d.number);
    }
    let mut out = vec![];
    for ((roster, a), present_in) in keys {
        let Some(vs) = by_roster.get(&roster) else {
            continue;
        };
        let Some(st) = ds.station(&a.station_id) else {
            continue;
        };
        let first = present_in.iter().copied().min().unwrap_or(0);
        let mut sequence = 0u32;
        let mut was = true;
        let mut stamp = None;
        let mut cancelled_at = None;
        for v in vs.iter().filter(|v| v.number >= first) {
            let is = present_in.contains(&v.number);
            if v.number == first {
                stamp = v.published_at;
            } else if is != was {
                sequence += 1;
                stamp = v.published_at;
                cancelled_at = if is { None } else { v.published_at };
            }
            was = is;
        }
        let current = vs
            .iter()
            .any(|v| v.current && present_in.contains(&v.number));
        if !current {
            // Taken away: keep it long enough for clients to remove it.
            let recent = cancelled_at.is_some_and(|t| now - t <= Duration::days(CANCELLED_DAYS));
            let ahead = a.date >= (now - Duration::days(PAST_DAYS)).date_naive();
            if !(recent || ahead) {
                continue;
            }
        }
        let t = st.template(a.half_day);
        out.push(FeedEvent {
            uid: format!(
                "{}-{}-{}-{}-{}@zhiban",
                a.station_id,
                a.date.format("%Y%m%d"),
                a.half_day,
                a.lawyer_id,
                a.role.code()
            ),
            sequence,
            cancelled: !current,
            start: a.date.and_time(t.start),
            end: a.date.and_time(t.end),
            summary: summary(a, st),
            location: st.address.clone(),
            geo: Some((st.location.lat, st.location.lon)),
            description: description(a, st),
            stamp: stamp.unwrap_or(now),
            alarms: vec![],
        });
    }
    out.sort_by(|a, b| (a.start, &a.uid).cmp(&(b.start, &b.uid)));
    out
}

/// A rendered feed with its entity tag (a digest of the text).
fn render(text: String) -> RenderedFeed {
    let digest = sha2::Sha256::digest(text.as_bytes());
    let etag = format!(
        "\"{}\"",
        digest
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    RenderedFeed {
        body: Bytes::from(text),
        etag: etag.into(),
    }
}

/// The instant feeds are rendered for: `now` to the hour, so that one rendering serves an
/// hour of requests (until a change bumps the store's revisions).
fn feed_hour(now: DateTime<Utc>) -> DateTime<Utc> {
    let t = now.timestamp();
    DateTime::from_timestamp(t - t.rem_euclid(3600), 0).unwrap_or(now)
}

/// The cached feed for `subject`, or the one `make` renders (then kept).
fn cached_feed(state: &AppState, key: FeedKey, make: impl FnOnce() -> String) -> RenderedFeed {
    if let Some(f) = state.caches.feed(&key) {
        return f;
    }
    let f = render(make());
    state.caches.keep_feed(key, f.clone());
    f
}

fn calendar_response(headers: &HeaderMap, feed: RenderedFeed) -> Response {
    let etag = &*feed.etag;
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut res = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
            feed.body,
        )
            .into_response()
    };
    if let Ok(v) = header::HeaderValue::from_str(etag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, max-age=300"),
    );
    res
}

fn token_of_file(file: &str) -> Result<&str, ApiError> {
    file.strip_suffix(".ics")
        .filter(|t| !t.is_empty() && t.len() <= 200)
        .ok_or_else(|| ApiError::NotFound("no such feed".into()))
}

const BRING: &str = "请携带：律师执业证、身份证、值班记录本；到达后在“值班”页面签到。";

/// A lawyer's duties as an iCalendar feed (subscribe as `webcal://`).
#[utoipa::path(get, path = "/ical/lawyers/{file}", tag = "feeds", security(()),
    params(("file" = String, Path, description = "TOKEN.ics")),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 304),
        (status = 404, body = crate::error::Problem)))]
async fn lawyer_feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let token = token_of_file(&file)?;
    let Some((FeedKind::Lawyer, subject)) = state.store.feed_subject(&hash_token(token)).await?
    else {
        return Err(ApiError::NotFound("no such feed".into()));
    };
    let lawyer =
        LawyerId::parse(&subject).map_err(|_| ApiError::NotFound("no such feed".into()))?;
    let now = feed_hour(state.now());
    let (revisions, ds) = state.panel().await?;
    let key = FeedKey {
        subject: format!("lawyer:{lawyer}"),
        revisions,
        hour: now.timestamp(),
    };
    if let Some(f) = state.caches.feed(&key) {
        return Ok(calendar_response(&headers, f));
    }
    let from = (now - Duration::days(PAST_DAYS)).date_naive();
    let to = chrono::NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(from);
    let (versions, duties) = state
        .store
        .duty_history(Some(&lawyer), None, from, to)
        .await?;
    // Reminders as the lawyer's centre sets them.
    let policy = match ds.lawyer(&lawyer) {
        Some(l) => state.store.centre_policy(&l.home_centre_id).await?,
        None => zhiban_store::CentrePolicy::default(),
    };
    let evening = policy.reminder_evening;
    let feed = cached_feed(&state, key, || {
        let name = ds
            .lawyer(&lawyer)
            .map(|l| l.name.clone())
            .unwrap_or_default();
        let mut evs = events(
            &ds,
            &versions,
            &duties,
            now,
            |a, st| match a.role {
                Role::Primary => format!("{} {}值班", st.name, a.half_day.label_zh()),
                Role::Backup => format!("{} {}备岗（AB岗）", st.name, a.half_day.label_zh()),
            },
            |a, st| {
                let backup = if a.role == Role::Backup {
                    "您是备岗律师：如值班律师不能到岗，工作站会电话通知您。\n"
                } else {
                    ""
                };
                format!("{backup}工作站电话：{}\n{BRING}", st.phone)
            },
        );
        for e in &mut evs {
            e.alarms = zhiban_feeds::reminders(
                e.start,
                evening,
                policy.reminder_before_minutes,
                &e.summary,
            );
        }
        write_calendar(&format!("{name}的法律援助值班"), 60, &evs)
    });
    Ok(calendar_response(&headers, feed))
}

/// The station feed's token.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct FeedToken {
    /// The station's feed token.
    token: Option<String>,
}

/// Who is on duty at a station, as an iCalendar feed for its own staff.
#[utoipa::path(get, path = "/ical/sites/{file}", tag = "feeds", security(()),
    params(("file" = String, Path, description = "STATION.ics"), FeedToken),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 304),
        (status = 404, body = crate::error::Problem)))]
async fn station_feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(q): Query<FeedToken>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let station = token_of_file(&file)?;
    let token = q
        .token
        .as_deref()
        .ok_or_else(|| ApiError::NotFound("no such feed".into()))?;
    match state.store.feed_subject(&hash_token(token)).await? {
        Some((FeedKind::Station, s)) if s == station => {}
        _ => return Err(ApiError::NotFound("no such feed".into())),
    }
    let station =
        StationId::parse(station).map_err(|_| ApiError::NotFound("no such feed".into()))?;
    let now = feed_hour(state.now());
    let (revisions, ds) = state.panel().await?;
    let key = FeedKey {
        subject: format!("station:{station}"),
        revisions,
        hour: now.timestamp(),
    };
    if let Some(f) = state.caches.feed(&key) {
        return Ok(calendar_response(&headers, f));
    }
    let from = (now - Duration::days(PAST_DAYS)).date_naive();
    let to = chrono::NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(from);
    let (versions, duties) = state
        .store
        .duty_history(None, Some(&station), from, to)
        .await?;
    let feed = cached_feed(&state, key, || {
        let lawyer = |a: &Assignment| ds.lawyer(&a.lawyer_id).cloned();
        let firm = |id: &zhiban_domain::FirmId| {
            ds.firms
                .iter()
                .find(|f| &f.id == id)
                .map(|f| f.name.clone())
                .unwrap_or_default()
        };
        let evs = events(
            &ds,
            &versions,
            &duties,
            now,
            |a, _| {
                let name = lawyer(a).map(|l| l.name).unwrap_or_default();
                match a.role {
                    Role::Primary => format!("{}值班：{name}", a.half_day.label_zh()),
                    Role::Backup => format!("{}备岗：{name}", a.half_day.label_zh()),
                }
            },
            |a, _| match lawyer(a) {
                Some(l) => format!(
                    "律师：{}（{}）\n电话：{}",
                    l.name,
                    firm(&l.firm_id),
                    l.phone
                ),
                None => String::new(),
            },
        );
        let st_name = ds
            .station(&station)
            .map(|s| s.name.clone())
            .unwrap_or_default();
        write_calendar(&format!("{st_name}值班表"), 60, &evs)
    });
    Ok(calendar_response(&headers, feed))
}

fn too_large() -> ApiError {
    ApiError::invalid(
        "body",
        format!("a busy calendar may be at most {MAX_ICS_BYTES} bytes (1 MiB)"),
    )
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct BusyImport {
    /// Busy periods now on record (recurrences expanded, within the coming year).
    busy_periods: usize,
    /// The periods.
    periods: Vec<BusyTime>,
}

/// Imports a lawyer's own calendar (`.ics`, body as `text/calendar`): its events become busy
/// times the solver never books over, replacing the previous import. A malformed file, or
/// one past a bound (1 MiB, 10,000 events, 5,000 busy periods in the coming year, years 1600
/// to 2200: see `zhiban_feeds::busy`), is refused naming the line, and nothing changes.
#[utoipa::path(put, path = "/api/v1/lawyers/{id}/busy", tag = "feeds",
    params(("id" = String, Path, description = "lawyer code")),
    request_body(content = String, content_type = "text/calendar"),
    responses((status = 200, body = BusyImport), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn import_busy(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
    body: Body,
) -> Result<Json<BusyImport>, ApiError> {
    let l = private_lawyer(&state, &who, &id).await?;
    // Read at most the bound (and one byte more, to tell), never the whole of a larger body.
    let body = axum::body::to_bytes(body, MAX_ICS_BYTES + 1)
        .await
        .map_err(|_| too_large())?;
    if body.len() > MAX_ICS_BYTES {
        return Err(too_large());
    }
    let text = String::from_utf8(body.to_vec())
        .map_err(|e| ApiError::invalid("body", format!("not UTF-8 text: {e}")))?;
    let now = state.now();
    // Expansion is bounded (zhiban_feeds::busy) but may take up to two seconds: off the
    // async workers.
    let parsed = tokio::task::spawn_blocking(move || {
        zhiban_feeds::parse_busy(&text, now - Duration::days(1), now + Duration::days(366))
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))?
    .map_err(|e| ApiError::invalid(format!("body line {}", e.line), e.to_string()))?;
    let busy: Vec<BusyTime> = parsed
        .into_iter()
        .map(|b| BusyTime {
            lawyer_id: l.id.clone(),
            starts_at: b.start,
            ends_at: b.end,
            summary: b.summary.chars().take(200).collect(),
            source_uid: b.uid.chars().take(200).collect(),
        })
        .collect();
    let audit = who.audit(
        Some(&l.home_centre_id),
        "lawyer.busy_import",
        format!("lawyer/{}", l.id),
        serde_json::json!({"busy_periods": busy.len()}),
    );
    state.store.replace_busy_times(&l.id, &busy, &audit).await?;
    Ok(Json(BusyImport {
        busy_periods: busy.len(),
        periods: busy,
    }))
}

/// A lawyer's imported busy times from now on.
#[utoipa::path(get, path = "/api/v1/lawyers/{id}/busy", tag = "feeds",
    params(("id" = String, Path, description = "lawyer code")),
    responses((status = 200, body = BusyImport), (status = 404, body = crate::error::Problem)))]
async fn list_busy(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Json<BusyImport>, ApiError> {
    let l = private_lawyer(&state, &who, &id).await?;
    let now = state.now();
    let periods = state
        .store
        .list_busy_times(Some(&l.id), now, now + Duration::days(3660))
        .await?;
    Ok(Json(BusyImport {
        busy_periods: periods.len(),
        periods,
    }))
}

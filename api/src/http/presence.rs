//! Proof of presence that a photo cannot forward: a station display (a browser on a tablet or
//! PC at the station, signed in with a station token) shows a code that changes every
//! minute, as digits and as a QR code. The code is derived from a per-station secret, the
//! day, the half-day and the minute, so a code from another station, half-day or minute is
//! refused. Each centre chooses what a check-in must prove (`presence_proof`): the geofence,
//! the display's code, or both; a check-in without it is recorded and waits for a
//! coordinator's approval (the static daily poster code included, when a code is required).

use crate::AppState;
use crate::auth::StationDevice;
use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::{HalfDay, StationId};

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(station_display))
}

/// Seconds a display code lasts.
pub(crate) const STEP_SECONDS: i64 = 60;

/// The display code of `station` for the duty `date` and `half`, in minute `step` (Unix
/// seconds / 60): six digits of SHA-256(station secret | station | date | half | step).
pub(crate) fn display_code(
    secret: &str,
    station: &StationId,
    date: NaiveDate,
    half: HalfDay,
    step: i64,
) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(format!("{secret}|{station}|{date}|{half}|{step}").as_bytes());
    let n = u32::from_be_bytes([d[0], d[1], d[2], d[3]]) % 1_000_000;
    format!("{n:06}")
}

/// The minute step of an instant.
pub(crate) fn step_of(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(STEP_SECONDS)
}

/// Whether `given` is the code of this minute or the one before (the time to scan it).
pub(crate) fn code_is_valid(
    secret: &str,
    station: &StationId,
    date: NaiveDate,
    half: HalfDay,
    now: DateTime<Utc>,
    given: &str,
) -> bool {
    let step = step_of(now);
    [step, step - 1].iter().any(|s| {
        let want = display_code(secret, station, date, half, *s);
        bool::from(subtle::ConstantTimeEq::ct_eq(
            given.trim().as_bytes(),
            want.as_bytes(),
        ))
    })
}

/// Most wrong display codes one lawyer may send for one duty: six digits are few, so
/// guessing must stop long before it could succeed (after this, the check-in can still be
/// made without a code and waits for a coordinator's approval).
pub(crate) const MAX_WRONG_CODES: u32 = 5;

/// Wrong display codes sent per lawyer and duty, in this process.
#[derive(Debug, Default)]
pub struct WrongCodes {
    seen: std::sync::Mutex<std::collections::HashMap<(String, String), u32>>,
}

impl WrongCodes {
    /// Whether `key` (lawyer and duty) may still try a code.
    pub(crate) fn allowed(&self, lawyer: &str, duty: &str) -> bool {
        self.seen.lock().map_or(true, |m| {
            m.get(&(lawyer.to_string(), duty.to_string()))
                .is_none_or(|n| *n < MAX_WRONG_CODES)
        })
    }

    /// Counts a wrong code.
    pub(crate) fn record(&self, lawyer: &str, duty: &str) {
        if let Ok(mut m) = self.seen.lock() {
            if m.len() > 100_000 {
                m.clear();
            }
            *m.entry((lawyer.to_string(), duty.to_string())).or_insert(0) += 1;
        }
    }
}

/// The per-station secret of display codes (from the server's secret).
pub(crate) async fn station_secret(
    state: &AppState,
    station: &StationId,
) -> Result<String, ApiError> {
    use sha2::Digest;
    let candidate = crate::auth::generate_token().map_err(ApiError::Internal)?;
    let server = state.store.server_secret("display", &candidate).await?;
    let d = sha2::Sha256::digest(format!("{server}|display|{station}").as_bytes());
    Ok(d.iter().map(|b| format!("{b:02x}")).collect())
}

/// What the station display shows now.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DisplayCode {
    /// Station.
    station_id: StationId,
    /// Its name.
    station_name: String,
    /// The day (station time).
    date: NaiveDate,
    /// The half-day the code is for (pm from when the afternoon's check-in opens).
    half_day: HalfDay,
    /// Six digits, to scan or type.
    code: String,
    /// What the QR code encodes: a link to the page with the station and code filled in.
    payload: String,
    /// The QR code as SVG.
    svg: String,
    /// Seconds until the next code.
    refresh_in_seconds: i64,
}

/// The station's current check-in code, for its display (a station token only).
#[utoipa::path(get, path = "/api/v1/station-display", tag = "attendance",
    responses((status = 200, body = DisplayCode), (status = 401, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem)))]
async fn station_display(
    State(state): State<AppState>,
    device: StationDevice,
    headers: axum::http::HeaderMap,
) -> Result<Json<DisplayCode>, ApiError> {
    let ds = state.dataset().await?;
    let st = ds
        .station(&device.station)
        .cloned()
        .ok_or_else(|| ApiError::not_found("station", &device.station))?;
    let tz = ds
        .centre(&st.centre_id)
        .map(|c| c.time_zone)
        .unwrap_or(zhiban_domain::DEFAULT_TIME_ZONE);
    let now = state.now();
    let local = now.with_timezone(&tz);
    let date = local.date_naive();
    // The afternoon's code from when its check-in opens (30 minutes before it starts, or
    // the centre's setting); the morning's before.
    let early = state
        .caches
        .policy(
            &*state.store,
            &state.store.revisions().await?,
            &st.centre_id,
        )
        .await?
        .checkin_early_minutes;
    let pm_opens = st.template(HalfDay::Pm).start - chrono::Duration::minutes(i64::from(early));
    let half = if local.time() < pm_opens {
        HalfDay::Am
    } else {
        HalfDay::Pm
    };
    let secret = station_secret(&state, &st.id).await?;
    let code = display_code(&secret, &st.id, date, half, step_of(now));
    // A link: the lawyer's phone camera opens the page with the code filled in.
    let payload = format!(
        "{}/#station={}&code={code}",
        crate::http::feeds::base_url(&headers),
        st.id
    );
    let svg = qrcode::QrCode::new(payload.as_bytes())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("qr: {e}")))?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(320, 320)
        .build();
    Ok(Json(DisplayCode {
        station_id: st.id.clone(),
        station_name: st.name.clone(),
        date,
        half_day: half,
        code,
        payload,
        svg,
        refresh_in_seconds: STEP_SECONDS - now.timestamp().rem_euclid(STEP_SECONDS),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(s: &str) -> StationId {
        StationId::parse(s).unwrap()
    }

    #[test]
    fn a_code_is_bound_to_its_station_half_day_and_minute() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let t = DateTime::parse_from_rfc3339("2026-11-23T01:30:10Z")
            .unwrap()
            .with_timezone(&Utc);
        let code = display_code("s", &st("A"), d, HalfDay::Am, step_of(t));
        assert_eq!(code.len(), 6);
        assert!(code_is_valid("s", &st("A"), d, HalfDay::Am, t, &code));
        // Still good a minute later (time to scan), not two minutes later.
        let later = |s: i64| t + chrono::Duration::seconds(s);
        assert!(code_is_valid(
            "s",
            &st("A"),
            d,
            HalfDay::Am,
            later(60),
            &code
        ));
        assert!(!code_is_valid(
            "s",
            &st("A"),
            d,
            HalfDay::Am,
            later(120),
            &code
        ));
        // Another station, half-day, day or secret: refused.
        assert!(!code_is_valid("s", &st("B"), d, HalfDay::Am, t, &code));
        assert!(!code_is_valid("s", &st("A"), d, HalfDay::Pm, t, &code));
        assert!(!code_is_valid(
            "s",
            &st("A"),
            d.succ_opt().unwrap(),
            HalfDay::Am,
            t,
            &code
        ));
        assert!(!code_is_valid("x", &st("A"), d, HalfDay::Am, t, &code));
    }
}

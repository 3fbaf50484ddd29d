//! The station's QR poster (签到二维码海报): a printable A4 page per station and day with the
//! station's name, address and phone and the day's check-in QR code as an image (an inline
//! SVG from the `qrcode` crate), to post at the station. The code is the day's
//! (`GET /api/v1/stations/{id}/qr`) and changes daily, so the poster is printed each day (or
//! a week's in advance, one per date). Scanning it opens the lawyer's page with the station
//! and code filled in; the check-in is then sent with `method: qr`.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Path, Query};
use crate::http::attendance::qr_code;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::StationId;

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(poster))
}

/// Which day.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct PosterQuery {
    /// The day (default today, in the station's time zone).
    date: Option<NaiveDate>,
}

/// Text for HTML: `&`, `<`, `>`, `"` and `'` escaped.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The poster's text and image, as one HTML page (A4 portrait, large type).
fn page(name: &str, address: &str, phone: &str, date: NaiveDate, svg: &str, code: &str) -> String {
    let day = date.format("%Y年%m月%d日").to_string();
    format!(
        r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{name} 签到二维码 {day}</title>
<style>
@page {{ size: A4 portrait; margin: 18mm; }}
body {{ font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif; text-align: center; color: #000; }}
h1 {{ font-size: 30pt; margin: 0 0 6mm; }}
.date {{ font-size: 24pt; font-weight: bold; margin: 4mm 0; }}
.qr svg {{ width: 120mm; height: 120mm; }}
.info {{ font-size: 16pt; margin: 3mm 0; }}
.code {{ font-size: 20pt; letter-spacing: 2pt; margin: 4mm 0; }}
.how {{ font-size: 16pt; margin-top: 8mm; line-height: 1.6; }}
</style></head>
<body>
<h1>{name}</h1>
<p class="info">{address}　电话 {phone}</p>
<p class="date">{day} 值班签到</p>
<div class="qr" role="img" aria-label="签到二维码">{svg}</div>
<p class="code">当日签到码 {code}</p>
<p class="how">值班律师请用手机扫描上方二维码，在打开的页面中点击“签到”。<br>
本二维码仅限当日使用，每日更换。</p>
</body></html>
"#,
        name = esc(name),
        address = esc(address),
        phone = esc(phone),
        day = day,
        svg = svg,
        code = esc(code),
    )
}

/// The station's printable check-in poster for a day (its centre's coordinators).
#[utoipa::path(get, path = "/api/v1/stations/{id}/poster", tag = "attendance",
    params(("id" = String, Path, description = "station code"), PosterQuery),
    responses((status = 200, content_type = "text/html", body = String),
        (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
async fn poster(
    State(state): State<AppState>,
    who: Principal,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<PosterQuery>,
) -> Result<Response, ApiError> {
    let id = StationId::parse(&id).map_err(|m| ApiError::field("id", m))?;
    let ds = state.dataset().await?;
    let st = ds
        .station(&id)
        .filter(|s| who.sees_centre(&s.centre_id))
        .cloned()
        .ok_or_else(|| ApiError::not_found("station", &id))?;
    who.require_coordinator_of(&st.centre_id, &format!("station {id}"))?;
    let tz = ds
        .centre(&st.centre_id)
        .map(|c| c.time_zone)
        .unwrap_or(zhiban_domain::DEFAULT_TIME_ZONE);
    let date = q
        .date
        .unwrap_or_else(|| state.now().with_timezone(&tz).date_naive());
    zhiban_domain::time::check_date(date).map_err(|m| ApiError::field("date", m))?;
    let code = qr_code(&state, &id, date).await?;
    // A link: the phone's camera opens the lawyer's page with the station and code.
    let link = format!(
        "{}/#station={id}&qr={code}&date={date}",
        crate::http::feeds::base_url(&headers)
    );
    let svg = qrcode::QrCode::new(link.as_bytes())
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("qr: {e}")))?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(400, 400)
        .build();
    // The SVG's XML declaration is not wanted inside HTML.
    let svg = svg
        .find("<svg")
        .map_or(svg.as_str(), |i| &svg[i..])
        .to_string();
    let html = page(&st.name, &st.address, &st.phone, date, &svg, &code);
    let mut r = html.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // A page of text and an inline image: no script, nothing loaded from anywhere.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
             frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        ),
    );
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_the_page_is_chinese() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let html = page(
            "<b>站</b>",
            "路\"1\"号",
            "020-1",
            d,
            "<svg></svg>",
            "ABC123",
        );
        assert!(html.contains("&lt;b&gt;站&lt;/b&gt;") && html.contains("路&quot;1&quot;号"));
        assert!(!html.contains("<b>站"));
        assert!(html.contains("2026年12月07日 值班签到") && html.contains("当日签到码 ABC123"));
        assert!(html.contains("size: A4 portrait"));
    }
}

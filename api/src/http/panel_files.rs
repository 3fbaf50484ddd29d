//! The panel as an Excel workbook: `GET /api/v1/centres/{id}/panel.xlsx` exports a centre's
//! panel (its firms, stations with weekly demand, lawyers with their availability, and the
//! calendar) in the layout of `GET /api/v1/panel/template.xlsx`, the empty workbook with an
//! example row per sheet. Both come from `zhiban_dataset::workbook`, so that a workbook
//! exported, edited in Excel or WPS and read back gives the same data set.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Path};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeSet;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_domain::{CentreId, Dataset};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(panel_xlsx))
        .routes(routes!(template_xlsx))
        .routes(routes!(labels))
}

/// The Chinese names people read for codes.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct LabelsOut {
    /// Skill code → name (built-in names, and the data set's over them).
    skills: std::collections::BTreeMap<String, String>,
    /// Language code → name.
    languages: std::collections::BTreeMap<String, String>,
    /// Station kind → name.
    station_kinds: std::collections::BTreeMap<String, String>,
}

/// The Chinese names of skill, language and station-kind codes (codes stay in the API and
/// in data sets; people read these). A data set adds or renames them in `settings.toml`
/// (`[labels.skills]`, `[labels.languages]`).
#[utoipa::path(get, path = "/api/v1/labels", tag = "panel",
    responses((status = 200, body = LabelsOut), (status = 401, body = crate::error::Problem)))]
async fn labels(
    State(state): State<AppState>,
    _who: Principal,
) -> Result<axum::Json<LabelsOut>, ApiError> {
    let ds = state.dataset().await?;
    let m = ds.settings.labels.merged();
    let station_kinds = zhiban_domain::StationKind::ALL
        .iter()
        .map(|k| (k.code().to_string(), k.label_zh().to_string()))
        .collect();
    Ok(axum::Json(LabelsOut {
        skills: m.skills,
        languages: m.languages,
        station_kinds,
    }))
}

/// The part of `ds` a centre keeps: the centre and those above it, the firms registered
/// with it or whose lawyers are on its panel, its stations and their demand, its lawyers
/// with their availability, and the calendar.
pub(crate) fn centre_part(ds: &Dataset, centre: &CentreId) -> Dataset {
    let mut above = BTreeSet::from([centre.clone()]);
    let mut cur = ds.centre(centre).and_then(|c| c.parent_id.clone());
    while let Some(p) = cur {
        if !above.insert(p.clone()) {
            break;
        }
        cur = ds.centre(&p).and_then(|c| c.parent_id.clone());
    }
    let lawyers: Vec<_> = ds
        .lawyers
        .iter()
        .filter(|l| &l.home_centre_id == centre)
        .cloned()
        .collect();
    let ids: BTreeSet<_> = lawyers.iter().map(|l| l.id.clone()).collect();
    let stations: Vec<_> = ds
        .stations
        .iter()
        .filter(|s| &s.centre_id == centre)
        .cloned()
        .collect();
    let station_ids: BTreeSet<_> = stations.iter().map(|s| s.id.clone()).collect();
    let firm_ids: BTreeSet<_> = lawyers
        .iter()
        .map(|l| l.firm_id.clone())
        .chain(stations.iter().flat_map(|s| s.contracted_firms.clone()))
        .collect();
    let mut part = Dataset {
        settings: ds.settings.clone(),
        centres: ds
            .centres
            .iter()
            .filter(|c| above.contains(&c.id))
            .cloned()
            .collect(),
        firms: ds
            .firms
            .iter()
            .filter(|f| &f.centre_id == centre || firm_ids.contains(&f.id))
            .cloned()
            .collect(),
        demand: ds
            .demand
            .iter()
            .filter(|d| station_ids.contains(&d.station_id))
            .cloned()
            .collect(),
        unavailability: ds
            .unavailability
            .iter()
            .filter(|u| ids.contains(&u.lawyer_id))
            .cloned()
            .collect(),
        leave: ds
            .leave
            .iter()
            .filter(|u| ids.contains(&u.lawyer_id))
            .cloned()
            .collect(),
        preferences: ds
            .preferences
            .iter()
            .filter(|u| ids.contains(&u.lawyer_id))
            .cloned()
            .collect(),
        calendar: ds.calendar.clone(),
        stations,
        lawyers,
    };
    part.settings.subsidy.retain(|p| &p.centre_id == centre);
    part
}

fn workbook(bytes: Vec<u8>, filename: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, XLSX.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// A centre's panel as an Excel workbook (admins, the centre's coordinators: it holds
/// phone numbers), one sheet per table with Chinese headers and their keys.
#[utoipa::path(get, path = "/api/v1/centres/{id}/panel.xlsx", tag = "panel",
    params(("id" = String, Path, description = "centre code")),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
async fn panel_xlsx(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = CentreId::parse(&id).map_err(|m| ApiError::field("id", m))?;
    who.require_coordinator_of(&id, &format!("centre {id}"))?;
    if !who.sees_phones() {
        return Err(ApiError::Forbidden(
            "the panel workbook holds phone numbers: admins and coordinators download it".into(),
        ));
    }
    let (rev, ds) = state.panel().await?;
    if ds.centre(&id).is_none() {
        return Err(ApiError::not_found("centre", &id));
    }
    let files = zhiban_dataset::to_files(&centre_part(&ds, &id));
    // The revision read, so that an import of this workbook refuses rows changed since.
    let exported = zhiban_dataset::workbook::Exported {
        revision: rev.panel,
        centre_id: id.to_string(),
        at: state.now().format("%Y-%m-%d %H:%M:%S").to_string(),
    };
    let bytes = zhiban_dataset::workbook::write_workbook(&files, false, Some(&exported))
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(workbook(bytes, &format!("panel-{id}.xlsx")))
}

/// The empty panel workbook: every sheet with its Chinese headers and keys, lists of the
/// accepted values (kinds, weekdays, half-days, yes/no) and an example row.
#[utoipa::path(get, path = "/api/v1/panel/template.xlsx", tag = "panel",
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 401, body = crate::error::Problem)))]
async fn template_xlsx(_who: Principal) -> Result<Response, ApiError> {
    let bytes = zhiban_dataset::workbook::write_workbook(&Default::default(), true, None)
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(workbook(bytes, "panel-template.xlsx"))
}

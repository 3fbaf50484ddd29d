//! Importing a centre's panel from a spreadsheet, in two steps.
//!
//! - `POST /api/v1/imports?centre_id=ID&mode=merge|replace` imports the panel of a centre
//!   and of the centres below it that the caller keeps too (an admin: all of them). It takes
//!   an .xlsx workbook (the
//!   layout of `GET /api/v1/panel/template.xlsx`) or a zip of the CSV folder as the body. It
//!   answers 201 with the preview, which it keeps:
//!   - every problem, with sheet, row and column, by the rules of a data-set folder;
//!   - the changes: records added, records changed (each field with its old and new value),
//!     and in `replace` mode the lawyers of the centre the workbook leaves out, who would
//!     leave the active panel;
//!   - the published duties from today on that the changes affect, each with why;
//!   - for a workbook exported from the panel (it names the panel revision it was read
//!     at), a problem for each row that would undo a change made in zhiban since, and for
//!     each lawyer added or changed since whom `replace` would take off the panel.
//! - `POST /api/v1/imports/{id}/apply` writes exactly that preview in one transaction, or
//!   nothing. It is refused (409) once the panel has changed since the preview, or if the
//!   preview was applied already, and (422) while the preview has problems.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Path, Query};
use crate::http::import_diff::{ChangeOut, ProblemOut, diff, in_scope, stale};
use crate::http::out::DutyOut;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use zhiban_dataset::part::read_part;
use zhiban_dataset::workbook::WorkbookRead;
use zhiban_domain::{CentreId, Dataset, Table};
use zhiban_store::{DutyQuery, NewImport, PanelWrite};

/// Most affected duties a preview lists.
const MAX_LISTED: usize = 2_000;
/// Largest upload, in bytes (the province set's workbook, 8,000 lawyers, is about 1 MB).
pub(crate) const MAX_UPLOAD: usize = 12 * 1024 * 1024;

/// Previews computed at once in one process (each may read a large workbook up to
/// `zhiban_dataset::part::MAX_PROBLEMS` times); more wait their turn.
static PREVIEWS: std::sync::LazyLock<std::sync::Arc<tokio::sync::Semaphore>> =
    std::sync::LazyLock::new(|| std::sync::Arc::new(tokio::sync::Semaphore::new(2)));

/// The routes of this module.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(preview))
        .routes(routes!(get_import))
        .routes(routes!(apply))
        // A workbook is larger than the JSON bodies of other routes.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_UPLOAD))
}

/// Which centre, and whether lawyers the workbook leaves out leave the panel.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ImportOptions {
    /// The centre whose panel the workbook holds.
    centre_id: String,
    /// `merge` (the default: add and change) or `replace` (also take the centre's lawyers
    /// the workbook leaves out off the active panel).
    mode: Option<String>,
}

/// An import's preview.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Preview {
    /// Id, to apply it.
    id: i64,
    /// The centre.
    centre_id: CentreId,
    /// `merge` or `replace`.
    mode: String,
    /// The panel revision it was made against.
    revision: i64,
    /// Problems; none, to apply it.
    errors: Vec<ProblemOut>,
    /// What applying it changes.
    changes: Vec<ChangeOut>,
    /// Published duties from today on that the changes affect.
    affected: Vec<DutyOut>,
    /// Applied already.
    applied: bool,
}

/// The CSV files of an upload: an .xlsx workbook, or a zip of a CSV folder.
fn files_of(kind: &str, body: &[u8]) -> Result<WorkbookRead, ApiError> {
    let bad = |m: String| ApiError::invalid("body", m);
    if kind.contains("zip") && !kind.contains("spreadsheetml") {
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(body))
            .map_err(|e| bad(format!("is not a zip file ({e})")))?;
        let mut files = BTreeMap::new();
        // What the entries say of their size is not trusted: each is read through a cap,
        // and so is the whole (a zip bomb stops at the cap).
        let mut left = zhiban_dataset::MAX_FILE_BYTES as u64;
        for i in 0..z.len().min(64) {
            let f = z.by_index(i).map_err(|e| bad(e.to_string()))?;
            let name = f
                .name()
                .ok()
                .map(|n| n.rsplit('/').next().unwrap_or("").to_string())
                .unwrap_or_default();
            if !name.ends_with(".csv") {
                continue;
            }
            let mut raw = Vec::new();
            std::io::Read::read_to_end(&mut std::io::Read::take(f, left + 1), &mut raw)
                .map_err(|e| bad(format!("{name}: {e}")))?;
            if raw.len() as u64 > left {
                return Err(bad(format!(
                    "the CSV files unpack to more than {} MiB",
                    zhiban_dataset::MAX_FILE_BYTES / 1024 / 1024
                )));
            }
            left -= raw.len() as u64;
            let text = String::from_utf8(raw).map_err(|_| {
                bad(format!(
                    "{name} is not UTF-8 text; save it as \"CSV UTF-8\""
                ))
            })?;
            files.insert(name, text.trim_start_matches('\u{feff}').to_string());
        }
        return Ok(WorkbookRead {
            files,
            ..WorkbookRead::default()
        });
    }
    zhiban_dataset::workbook::read_workbook_full(body).map_err(|e| bad(e.to_string()))
}

/// The published duties from today on at `centre` and the centres of `scope` that an import
/// from `before` to `after` breaks (see `panel_edit::broken_duties`).
async fn affected(
    state: &AppState,
    (before, after): (&Dataset, &Dataset),
    (centre, scope): (&CentreId, &std::collections::BTreeSet<CentreId>),
    write: &PanelWrite,
) -> Result<Vec<DutyOut>, ApiError> {
    if write.lawyers.is_empty()
        && write.availability.is_empty()
        && write.demand.is_empty()
        && write.stations.is_empty()
    {
        return Ok(vec![]);
    }
    let q = DutyQuery {
        centres: Some(scope.iter().cloned().collect()),
        ..DutyQuery::default()
    };
    crate::http::panel_edit::broken_duties(
        state,
        (before, after),
        centre,
        q,
        &write.demand,
        MAX_LISTED,
    )
    .await
}

/// Previews an import of a centre's panel from a workbook (or a zip of the CSV folder),
/// and keeps the preview to apply (admins, the centre's coordinators).
#[utoipa::path(post, path = "/api/v1/imports", tag = "panel", params(ImportOptions),
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses((status = 201, body = Preview), (status = 400, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)))]
async fn preview(
    State(state): State<AppState>,
    who: Principal,
    Query(o): Query<ImportOptions>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Preview>), ApiError> {
    let centre = CentreId::parse(&o.centre_id).map_err(|m| ApiError::field("centre_id", m))?;
    keeper(&who, &centre, &format!("centre {centre}"))?;
    let mode = o.mode.unwrap_or_else(|| "merge".into());
    if !["merge", "replace"].contains(&mode.as_str()) {
        return Err(ApiError::field("mode", "merge or replace"));
    }
    if body.len() > MAX_UPLOAD {
        return Err(ApiError::invalid(
            "body",
            format!("at most {} MB", MAX_UPLOAD / 1024 / 1024),
        ));
    }
    let (rev, ds) = state.panel().await?;
    if ds.centre(&centre).is_none() {
        return Err(ApiError::not_found("centre", &centre));
    }
    // The permit goes with the work: a request cut off by its time limit keeps its place
    // until the reading it started ends.
    let turn = std::sync::Arc::new(
        PREVIEWS
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| ApiError::Internal(e.into()))?,
    );
    let kind = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    // The centre and those below it that the caller keeps too (an admin: all of them).
    let scope: std::collections::BTreeSet<CentreId> =
        zhiban_domain::centre::with_descendants(&ds.centres, std::slice::from_ref(&centre))
            .into_iter()
            .filter(|c| {
                c == &centre
                    || (who.sees_centre(c) && who.role() != zhiban_store::TokenRole::Director)
            })
            .collect();
    let replace = mode == "replace";
    let read = {
        let turn = turn.clone();
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            files_of(&kind, &body)
        })
    };
    let book = read.await.map_err(|e| ApiError::Internal(e.into()))??;
    if replace && !book.files.contains_key(Table::Lawyers.file_name()) {
        return Err(ApiError::invalid(
            "mode",
            "replace needs the lawyers sheet: without it every lawyer would leave the panel",
        ));
    }
    // An exported workbook: the records changed since, which its rows must not undo.
    let since = match book.revision {
        Some(r) if r < rev.panel => {
            let changed = state.store.panel_changed_since(r).await?;
            Some((r, in_scope(&ds, changed, &scope)))
        }
        Some(r) => Some((r, vec![])),
        None => None,
    };
    let work = {
        let ds = ds.clone();
        let centre = centre.clone();
        let scope = scope.clone();
        let today = state.now().date_naive();
        let current = rev.panel;
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            let (files, numbers) = (&book.files, &book.rows);
            let (after, problems) = read_part(files, numbers, &ds, today);
            let mut errors: Vec<ProblemOut> = problems.into_iter().map(Into::into).collect();
            let (changes, write) = match &after {
                Some(after) => {
                    let (c, w, p) = diff(&ds, after, (files, numbers), (&centre, &scope), replace);
                    errors.extend(p);
                    if let Some((exported, changed)) = &since {
                        let at = (*exported, current);
                        errors.extend(stale((&ds, after), (files, numbers), at, changed, &c));
                    }
                    (c, w)
                }
                None => (vec![], PanelWrite::default()),
            };
            (errors, changes, write, after)
        })
    };
    let (errors, changes, write, after) = work.await.map_err(|e| ApiError::Internal(e.into()))?;
    let affected = match &after {
        Some(after) if errors.is_empty() => {
            affected(&state, (&ds, after), (&centre, &scope), &write).await?
        }
        _ => vec![],
    };
    let kept = serde_json::json!({"errors": errors, "changes": changes, "affected": affected,
        "write": write});
    let rec = state
        .store
        .create_import(&NewImport {
            centre_id: centre.clone(),
            mode: mode.clone(),
            base_revision: rev.panel,
            preview: kept,
            created_by: who.actor(),
            now: state.now(),
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(Preview {
            id: rec.id,
            centre_id: centre,
            mode,
            revision: rev.panel,
            errors,
            changes,
            affected,
            applied: false,
        }),
    ))
}

/// Admins, and coordinators of `centre` (not directors: a workbook holds phone numbers).
fn keeper(who: &Principal, centre: &CentreId, what: &str) -> Result<(), ApiError> {
    who.require_coordinator_of(centre, what)?;
    if who.role() == zhiban_store::TokenRole::Director {
        return Err(ApiError::Forbidden(
            "a director reads rosters and statements; imports are kept by coordinators".into(),
        ));
    }
    Ok(())
}

/// The centres a write touches: its records' centres.
fn touched(w: &PanelWrite) -> std::collections::BTreeSet<CentreId> {
    w.firms
        .iter()
        .map(|f| f.centre_id.clone())
        .chain(w.stations.iter().map(|s| s.centre_id.clone()))
        .chain(w.lawyers.iter().map(|l| l.home_centre_id.clone()))
        .chain(w.centres.iter().map(|c| c.id.clone()))
        .collect()
}

/// An import's preview, as its centre's staff kept it.
async fn import_of(
    state: &AppState,
    who: &Principal,
    id: i64,
) -> Result<(zhiban_store::ImportRecord, Preview), ApiError> {
    let rec = state
        .store
        .get_import(id)
        .await?
        .ok_or_else(|| ApiError::not_found("import", id))?;
    keeper(who, &rec.centre_id, &format!("import {id}"))?;
    let part = |k: &str| rec.preview.get(k).cloned().unwrap_or(Value::Null);
    let bad = |e: serde_json::Error| ApiError::Internal(e.into());
    let p = Preview {
        id,
        centre_id: rec.centre_id.clone(),
        mode: rec.mode.clone(),
        revision: rec.base_revision,
        errors: serde_json::from_value(part("errors")).map_err(bad)?,
        changes: serde_json::from_value(part("changes")).map_err(bad)?,
        affected: serde_json::from_value(part("affected")).map_err(bad)?,
        applied: rec.applied_at.is_some(),
    };
    Ok((rec, p))
}

/// An import's preview.
#[utoipa::path(get, path = "/api/v1/imports/{id}", tag = "panel",
    params(("id" = i64, Path, description = "import id")),
    responses((status = 200, body = Preview), (status = 404, body = crate::error::Problem)))]
async fn get_import(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> Result<Json<Preview>, ApiError> {
    Ok(Json(import_of(&state, &who, id).await?.1))
}

/// Applies an import's preview in one transaction: 409 if the panel changed since the
/// preview or it was applied already, 422 while it has problems.
#[utoipa::path(post, path = "/api/v1/imports/{id}/apply", tag = "panel",
    params(("id" = i64, Path, description = "import id")),
    responses((status = 200, body = Preview), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
async fn apply(
    State(state): State<AppState>,
    who: Principal,
    Path(id): Path<i64>,
) -> Result<Json<Preview>, ApiError> {
    let (rec, mut p) = import_of(&state, &who, id).await?;
    if !p.errors.is_empty() {
        return Err(ApiError::invalid(
            "errors",
            format!(
                "the workbook has {} problem(s): fix them and preview it again",
                p.errors.len()
            ),
        ));
    }
    let mut write: PanelWrite = serde_json::from_value(rec.preview["write"].clone())
        .map_err(|e| ApiError::Internal(e.into()))?;
    // Previewed by someone else (an admin, over centres below): the caller must keep every
    // centre it touches, and the records' centres as they stand now.
    let ds = state.dataset().await?;
    let before: Vec<CentreId> = write
        .lawyers
        .iter()
        .filter_map(|l| ds.lawyer(&l.id).map(|x| x.home_centre_id.clone()))
        .collect();
    if let Some(c) = touched(&write)
        .iter()
        .chain(&before)
        .find(|c| !who.sees_centre(c))
    {
        return Err(ApiError::Forbidden(format!(
            "this import changes centre {c}, which you do not keep"
        )));
    }
    write.base = Some(rec.base_revision);
    let audit = who.audit(
        Some(&rec.centre_id),
        "panel.import",
        format!("import/{id}"),
        serde_json::json!({"mode": rec.mode, "changes": p.changes.len()}),
    );
    state.store.apply_import(id, &write, &audit).await?;
    p.applied = true;
    Ok(Json(p))
}

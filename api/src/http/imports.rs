// Over the ~600-line sizing rule for now: preview, diff and apply of one import share their types; the diff (pure) belongs in zhiban_dataset::part, to move there next.
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
//!   - the published duties from today on that the changes affect.
//! - `POST /api/v1/imports/{id}/apply` writes exactly that preview in one transaction, or
//!   nothing. It is refused (409) once the panel has changed since the preview, or if the
//!   preview was applied already, and (422) while the preview has problems.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, Path, Query};
use crate::http::out::DutyOut;
use crate::http::panel_edit::today_at;
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
use zhiban_dataset::part::{Problem, belongs, codes_in, read_part};
use zhiban_dataset::workbook::RowMap;
use zhiban_domain::{CentreId, Dataset, Table};
use zhiban_store::{DutyQuery, LawyerAvailability, NewImport, Page, PanelWrite};

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

/// One change of a preview.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct ChangeOut {
    /// `added`, `changed` or `deactivated`.
    kind: String,
    /// The sheet.
    sheet: String,
    /// The record's code (a station's for demand, a lawyer's for availability).
    code: String,
    /// The fields changed, each with its old and new value.
    fields: Vec<FieldChange>,
}

/// A field's old and new value.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct FieldChange {
    /// The field.
    field: String,
    /// Before.
    old: Value,
    /// After.
    new: Value,
}

/// A problem of the workbook.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub(crate) struct ProblemOut {
    /// The sheet.
    sheet: String,
    /// The row (the header is 1; 0 for the whole sheet).
    row: u64,
    /// The column's key.
    column: String,
    /// What is wrong.
    message: String,
}

impl From<Problem> for ProblemOut {
    fn from(p: Problem) -> Self {
        ProblemOut {
            sheet: p.sheet,
            row: p.row,
            column: p.column,
            message: p.message,
        }
    }
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

/// The fields of `old` and `new` (serialised) that differ.
fn fields(old: &Value, new: &Value) -> Vec<FieldChange> {
    let (Some(o), Some(n)) = (old.as_object(), new.as_object()) else {
        return vec![];
    };
    n.iter()
        .filter(|(k, v)| o.get(*k) != Some(*v))
        .map(|(k, v)| FieldChange {
            field: k.clone(),
            old: o.get(k).cloned().unwrap_or(Value::Null),
            new: v.clone(),
        })
        .collect()
}

/// The CSV files of an upload: an .xlsx workbook, or a zip of a CSV folder.
fn files_of(kind: &str, body: &[u8]) -> Result<(BTreeMap<String, String>, RowMap), ApiError> {
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
        return Ok((files, RowMap::new()));
    }
    zhiban_dataset::workbook::read_workbook_rows(body).map_err(|e| bad(e.to_string()))
}

fn json<T: Serialize>(x: &T) -> Value {
    serde_json::to_value(x).unwrap_or(Value::Null)
}

/// What an import changes, checked to belong to the centre (or the centres below it the
/// caller may see).
struct Diff<'a> {
    before: &'a Dataset,
    after: &'a Dataset,
    centre: &'a CentreId,
    scope: &'a std::collections::BTreeSet<CentreId>,
    changes: Vec<ChangeOut>,
    write: PanelWrite,
    problems: Vec<ProblemOut>,
}

impl Diff<'_> {
    /// Notes a record of `t` (`old` none: added); false when unchanged or not the centre's.
    fn note(&mut self, t: Table, row: u64, code: &str, old: Option<Value>, new: Value) -> bool {
        let f = fields(old.as_ref().unwrap_or(&serde_json::json!({})), &new);
        if old.is_some() && f.is_empty() {
            return false;
        }
        let within = |c: &CentreId| self.scope.contains(c);
        let theirs = old.is_some() && !belongs(self.before, t, code, &within);
        if !belongs(self.after, t, code, &within) || theirs {
            self.problems.push(ProblemOut {
                sheet: zhiban_dataset::workbook::sheet_name(t),
                row,
                column: String::new(),
                message: format!("{code} is not of centre {}: change it there", self.centre),
            });
            return false;
        }
        let kind = if old.is_some() { "changed" } else { "added" };
        self.changes.push(ChangeOut {
            kind: kind.into(),
            sheet: zhiban_dataset::workbook::sheet_name(t),
            code: code.into(),
            fields: f,
        });
        true
    }
}

/// The changes of a centre's import, the records to write, and records not the centre's.
fn diff(
    before: &Dataset,
    after: &Dataset,
    (files, numbers): (&BTreeMap<String, String>, &RowMap),
    (centre, scope): (&CentreId, &std::collections::BTreeSet<CentreId>),
    replace: bool,
) -> (Vec<ChangeOut>, PanelWrite, Vec<ProblemOut>) {
    let mut d = Diff {
        before,
        after,
        centre,
        scope,
        changes: vec![],
        write: PanelWrite::default(),
        problems: vec![],
    };
    for (row, code) in codes_in(files, numbers, Table::Firms) {
        let old = before
            .firms
            .iter()
            .find(|f| f.id.as_str() == code)
            .map(json);
        if let Some(n) = after.firms.iter().find(|f| f.id.as_str() == code)
            && d.note(Table::Firms, row, &code, old, json(n))
        {
            d.write.firms.push(n.clone());
        }
    }
    for (row, code) in codes_in(files, numbers, Table::Stations) {
        let old = before
            .stations
            .iter()
            .find(|s| s.id.as_str() == code)
            .map(json);
        if let Some(n) = after.stations.iter().find(|s| s.id.as_str() == code)
            && d.note(Table::Stations, row, &code, old, json(n))
        {
            d.write.stations.push(n.clone());
        }
    }
    let mut stations: Vec<String> = codes_in(files, numbers, Table::Demand)
        .into_iter()
        .map(|(_, c)| c)
        .collect();
    stations.sort();
    stations.dedup();
    for code in stations {
        let of = |ds: &Dataset| -> Vec<zhiban_domain::DemandRule> {
            ds.demand
                .iter()
                .filter(|r| r.station_id.as_str() == code)
                .cloned()
                .collect()
        };
        let (old, new) = (of(before), of(after));
        let rules = |v: &Vec<_>| serde_json::json!({ "rules": v });
        if old != new
            && d.note(Table::Demand, 0, &code, Some(rules(&old)), rules(&new))
            && let Some(s) = after.stations.iter().find(|s| s.id.as_str() == code)
        {
            d.write.demand.push((s.id.clone(), new));
        }
    }
    let lawyers = codes_in(files, numbers, Table::Lawyers);
    for (row, code) in &lawyers {
        let old = before
            .lawyers
            .iter()
            .find(|l| l.id.as_str() == code)
            .map(json);
        if let Some(n) = after.lawyers.iter().find(|l| l.id.as_str() == code)
            && d.note(Table::Lawyers, *row, code, old, json(n))
        {
            d.write.lawyers.push(n.clone());
        }
    }
    availability(&mut d, files, numbers);
    if replace {
        let listed: std::collections::BTreeSet<&str> =
            lawyers.iter().map(|(_, c)| c.as_str()).collect();
        for l in before.lawyers.iter().filter(|l| {
            scope.contains(&l.home_centre_id) && l.active && !listed.contains(l.id.as_str())
        }) {
            let mut gone = l.clone();
            gone.active = false;
            d.changes.push(ChangeOut {
                kind: "deactivated".into(),
                sheet: zhiban_dataset::workbook::sheet_name(Table::Lawyers),
                code: l.id.to_string(),
                fields: fields(&json(l), &json(&gone)),
            });
            d.write.lawyers.push(gone);
        }
    }
    (d.changes, d.write, d.problems)
}

/// Notes the lawyers whose availability the workbook changes.
fn availability(d: &mut Diff<'_>, files: &BTreeMap<String, String>, numbers: &RowMap) {
    let mut codes: Vec<String> = [Table::Unavailability, Table::Leave, Table::Preferences]
        .into_iter()
        .filter(|t| files.contains_key(t.file_name()))
        .flat_map(|t| codes_in(files, numbers, t).into_iter().map(|(_, c)| c))
        .chain(
            codes_in(files, numbers, Table::Lawyers)
                .into_iter()
                .map(|(_, c)| c),
        )
        .collect();
    codes.sort();
    codes.dedup();
    let (before, after) = (d.before, d.after);
    for code in codes {
        let of = |ds: &Dataset| {
            let mine = |id: &zhiban_domain::LawyerId| id.as_str() == code;
            serde_json::json!({
                "weekly": ds.unavailability.iter().filter(|u| mine(&u.lawyer_id)).collect::<Vec<_>>(),
                "leave": ds.leave.iter().filter(|u| mine(&u.lawyer_id)).collect::<Vec<_>>(),
                "preferences": ds.preferences.iter().filter(|u| mine(&u.lawyer_id)).collect::<Vec<_>>(),
            })
        };
        let Some(l) = after.lawyers.iter().find(|l| l.id.as_str() == code) else {
            continue;
        };
        let (old, new) = (of(before), of(after));
        if old != new && d.note(Table::Unavailability, 0, &code, Some(old), new) {
            let id = l.id.clone();
            d.write.availability.push(LawyerAvailability {
                weekly: after
                    .unavailability
                    .iter()
                    .filter(|u| u.lawyer_id == id)
                    .cloned()
                    .collect(),
                leave: after
                    .leave
                    .iter()
                    .filter(|u| u.lawyer_id == id)
                    .cloned()
                    .collect(),
                preferences: after
                    .preferences
                    .iter()
                    .filter(|u| u.lawyer_id == id)
                    .cloned()
                    .collect(),
                lawyer_id: id,
            });
        }
    }
}

/// The published duties from today on at `centre` that `write` affects: those of lawyers
/// leaving the panel or whose availability rules them out, and those beyond a new demand.
async fn affected(
    state: &AppState,
    ds: &Dataset,
    centre: &CentreId,
    scope: &std::collections::BTreeSet<CentreId>,
    write: &PanelWrite,
) -> Result<Vec<DutyOut>, ApiError> {
    if write.lawyers.is_empty() && write.availability.is_empty() && write.demand.is_empty() {
        return Ok(vec![]);
    }
    let q = DutyQuery {
        centres: Some(scope.iter().cloned().collect()),
        from: Some(today_at(state, ds, centre)),
        ..DutyQuery::default()
    };
    let page = Page {
        limit: 20_000,
        offset: 0,
    };
    let held = state.store.list_duties(&q, page).await?.items;
    let all: Vec<_> = held.iter().map(|d| d.assignment.clone()).collect();
    let mut hit: std::collections::HashSet<&zhiban_domain::Assignment> = Default::default();
    for l in write.lawyers.iter().filter(|l| !l.active) {
        hit.extend(all.iter().filter(|a| a.lawyer_id == l.id));
    }
    for a in &write.availability {
        let mine: Vec<_> = all
            .iter()
            .filter(|x| x.lawyer_id == a.lawyer_id)
            .cloned()
            .collect();
        for x in zhiban_domain::ruled_out(&mine, &a.weekly, &a.leave) {
            if let Some(y) = all.iter().find(|y| *y == x) {
                hit.insert(y);
            }
        }
    }
    for (station, rules) in &write.demand {
        let there: Vec<_> = all
            .iter()
            .filter(|a| &a.station_id == station)
            .cloned()
            .collect();
        for x in zhiban_domain::beyond_demand(&there, rules) {
            if let Some(y) = all.iter().find(|y| *y == x) {
                hit.insert(y);
            }
        }
    }
    Ok(held
        .into_iter()
        .filter(|d| hit.contains(&d.assignment))
        .map(Into::into)
        .take(2_000)
        .collect())
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
    let turn = PREVIEWS
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
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
    let work = {
        let ds = ds.clone();
        let centre = centre.clone();
        let scope = scope.clone();
        let replace = mode == "replace";
        let today = state.now().date_naive();
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            let (files, numbers) = files_of(&kind, &body)?;
            if replace && !files.contains_key(Table::Lawyers.file_name()) {
                return Err(ApiError::invalid(
                    "mode",
                    "replace needs the lawyers sheet: without it every lawyer would leave the panel",
                ));
            }
            let (after, problems) = read_part(&files, &numbers, &ds, today);
            let mut errors: Vec<ProblemOut> = problems.into_iter().map(Into::into).collect();
            let (changes, write) = match after {
                Some(after) => {
                    let (c, w, p) =
                        diff(&ds, &after, (&files, &numbers), (&centre, &scope), replace);
                    errors.extend(p);
                    (c, w)
                }
                None => (vec![], PanelWrite::default()),
            };
            Ok((errors, changes, write))
        })
    };
    let (errors, changes, write) = work.await.map_err(|e| ApiError::Internal(e.into()))??;
    let affected = if errors.is_empty() {
        affected(&state, &ds, &centre, &scope, &write).await?
    } else {
        vec![]
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

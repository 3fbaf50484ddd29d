//! What an import changes: the records of a centre's workbook compared with the panel, each
//! change with its old and new values, the records to write, the rows that name another
//! centre's records, and the rows that would undo changes made since the workbook was
//! exported.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;
use zhiban_dataset::part::{Problem, belongs, codes_in};
use zhiban_dataset::workbook::RowMap;
use zhiban_domain::{CentreId, Dataset, Table};
use zhiban_store::{LawyerAvailability, PanelWrite};

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
pub(crate) fn diff(
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

/// The changes of `changed` (kind, code) to records of the centres in `scope`: a preview
/// says nothing of other centres' records.
pub(crate) fn in_scope(
    ds: &Dataset,
    changed: Vec<(String, String)>,
    scope: &BTreeSet<CentreId>,
) -> Vec<(String, String)> {
    let within = |c: &CentreId| scope.contains(c);
    changed
        .into_iter()
        .filter(|(kind, code)| {
            let table = match kind.as_str() {
                "firm" => Table::Firms,
                "station" | "demand" => Table::Stations,
                _ => Table::Lawyers,
            };
            belongs(ds, table, code, &within)
        })
        .collect()
}

/// Most records changed since a workbook was exported that a preview compares one by one.
pub(crate) const MAX_CHANGED: usize = 5_000;

/// The problems of a workbook exported at panel revision `exported` (the panel is at
/// `current`), given the records `changed` since: rows that would undo those changes, and
/// in `replace` mode lawyers added or changed since whom it would take off the panel.
pub(crate) fn stale(
    (before, after): (&Dataset, &Dataset),
    (files, numbers): (&BTreeMap<String, String>, &RowMap),
    (exported, current): (i64, i64),
    changed: &[(String, String)],
    changes: &[ChangeOut],
) -> Vec<ProblemOut> {
    let export_sheet = format!("导出信息（{}）", zhiban_dataset::workbook::EXPORT_KEY);
    let whole = |message: String| ProblemOut {
        sheet: export_sheet.clone(),
        row: 2,
        column: "value".into(),
        message,
    };
    if exported > current {
        return vec![whole(format!(
            "this workbook says panel revision {exported}, but the panel is at {current}: it \
             was not exported from this panel; download the panel again"
        ))];
    }
    if changed.len() > MAX_CHANGED {
        return vec![whole(format!(
            "more than {MAX_CHANGED} records changed since this workbook was exported (panel \
             revision {exported}, now {current}): download the panel again"
        ))];
    }
    let since = format!(
        "was changed in zhiban after this workbook was exported (panel revision {exported}, now \
         {current})"
    );
    let mut out: Vec<ProblemOut> = zhiban_dataset::part::undone(before, after, changed)
        .into_iter()
        .map(|(t, code)| {
            let tables: &[Table] = match t {
                Table::Unavailability => &[
                    Table::Unavailability,
                    Table::Leave,
                    Table::Preferences,
                    Table::Lawyers,
                ],
                _ => std::slice::from_ref(&t),
            };
            let (table, row) = tables
                .iter()
                .find_map(|x| {
                    let rows = codes_in(files, numbers, *x);
                    rows.into_iter()
                        .find(|(_, c)| c == &code)
                        .map(|(r, _)| (*x, r))
                })
                .unwrap_or((t, 0));
            ProblemOut {
                sheet: zhiban_dataset::workbook::sheet_name(table),
                row,
                column: String::new(),
                message: format!(
                    "{code} {since}; this row would undo that change: download the panel again \
                     and make your change there, or delete the row"
                ),
            }
        })
        .collect();
    let lawyers: BTreeSet<&str> = changed
        .iter()
        .filter(|(k, _)| k == "lawyer")
        .map(|(_, c)| c.as_str())
        .collect();
    out.extend(
        changes
            .iter()
            .filter(|c| c.kind == "deactivated" && lawyers.contains(c.code.as_str()))
            .map(|c| ProblemOut {
                sheet: c.sheet.clone(),
                row: 0,
                column: String::new(),
                message: format!(
                    "{} {since}; replace would take them off the panel: download the panel \
                     again",
                    c.code
                ),
            }),
    );
    out
}

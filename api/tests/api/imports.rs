//! Importing a centre's panel from a spreadsheet, on both databases: a workbook exported by
//! zhiban and edited with Python's openpyxl previews with every problem (sheet, row, column)
//! and changes nothing; fixed, it previews its changes field by field and applies in one
//! transaction, once; a preview the panel has moved past is refused; `replace` takes the
//! lawyers the workbook leaves out off the panel; a zip of the CSV folder imports too; a
//! workbook exported before a change in zhiban may not undo it.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use zhiban_store::TokenRole;

use crate::helpers::*;

on_both!(
    a_workbook_previews_every_problem_then_applies_once_when_fixed,
    a_city_imports_its_districts_only_where_the_caller_keeps_them,
    a_workbook_exported_before_a_change_may_not_undo_it,
);

pub(crate) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn export(t: &TestApp, token: &str) -> Vec<u8> {
    export_of(t, token, "CH").await
}

/// A centre's panel workbook, as its coordinator downloads it.
pub(crate) async fn export_of(t: &TestApp, token: &str, centre: &str) -> Vec<u8> {
    let res = t
        .router
        .clone()
        .oneshot(
            Request::get(format!("/api/v1/centres/{centre}/panel.xlsx"))
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.into_body().collect().await.unwrap().to_bytes().to_vec()
}

/// Edits `book` with openpyxl: `script` gets `ws`, the lawyers sheet, and `col(key)`.
pub(crate) fn edit(book: &[u8], script: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("panel.xlsx");
    std::fs::write(&file, book).unwrap();
    let python = std::env::var("ZHIBAN_PYTHON").unwrap_or_else(|_| "python3".into());
    let program = format!(
        "import sys, openpyxl\nwb = openpyxl.load_workbook(sys.argv[1])\nws = wb['律师（lawyers）']\nhead = [c.value for c in ws[1]]\ncol = lambda k: [i for i, h in enumerate(head) if h.endswith('（' + k + '）')][0] + 1\n{script}\nwb.save(sys.argv[1])\n"
    );
    let out = std::process::Command::new(&python)
        .arg("-c")
        .arg(&program)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openpyxl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(&file).unwrap()
}

async fn preview(t: &TestApp, token: &str, mode: &str, kind: &str, book: Vec<u8>) -> Reply {
    t.send(
        Method::POST,
        &format!("/api/v1/imports?centre_id=CH&mode={mode}"),
        Some(token),
        Some((kind, book)),
        &[],
    )
    .await
}

async fn dump(t: &TestApp) -> String {
    let mut d = t.store.dump_tables().await.unwrap();
    d.remove("imports");
    d.remove("audit_log");
    zhiban_store::render_dump(&d)
}

fn kinds(preview: &Value) -> Vec<(String, String)> {
    preview["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (s(&c["kind"]), s(&c["code"])))
        .collect()
}

async fn a_workbook_previews_every_problem_then_applies_once_when_fixed(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let book = export(&t, &coord).await;
    // A phone changed, a lawyer added, and two bad rows.
    let fixed = edit(
        &book,
        "ws.cell(row=2, column=col('phone'), value='13911112222')\n\
         new = [c.value for c in ws[3]]\nws.append(new)\nr = ws.max_row\n\
         ws.cell(row=r, column=col('id'), value='CH-L20')\nws.cell(row=r, column=col('name'), value='林新')",
    );
    let broken = edit(
        &fixed,
        "ws.cell(row=4, column=col('firm_id'), value='CH-F99')\n\
         ws.cell(row=6, column=col('licence_date'), value='2999-01-01')",
    );
    let before = dump(&t).await;
    let r = preview(&t, &coord, "merge", XLSX, broken).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let errors: Vec<(u64, String)> = r.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_u64().unwrap(), s(&e["column"])))
        .collect();
    // Both bad rows, then what rests on them (the left-out lawyer's availability rows).
    assert_eq!(
        errors[..2],
        [(6, "licence_date".into()), (4, "firm_id".into())],
        "{}",
        r.body
    );
    assert!(
        errors[2..].iter().all(|(_, c)| c == "lawyer_id"),
        "{}",
        r.body
    );
    assert!(r.body["errors"][0]["sheet"] == "律师（lawyers）");
    let id = r.body["id"].as_i64().unwrap();
    let refused = t
        .post(&format!("/api/v1/imports/{id}/apply"), &coord, json!({}))
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert_eq!(dump(&t).await, before, "a preview changes nothing");
    // A preview never applied is forgotten after a week, when the next is made.
    t.set_time(Some(chrono::Utc::now() + chrono::Duration::days(8)));
    let old_id = id;

    // Fixed: the changes field by field, then applied once.
    let r = preview(&t, &coord, "merge", XLSX, fixed.clone()).await;
    let gone = t.get(&format!("/api/v1/imports/{old_id}"), &coord).await;
    assert_eq!(
        gone.status,
        StatusCode::NOT_FOUND,
        "the week-old preview is gone"
    );
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["errors"], json!([]), "{}", r.body);
    assert_eq!(
        kinds(&r.body),
        vec![
            ("changed".into(), "CH-L01".into()),
            ("added".into(), "CH-L20".into())
        ],
        "{}",
        r.body
    );
    let phone = &r.body["changes"][0]["fields"][0];
    assert_eq!(
        (s(&phone["field"]), s(&phone["new"])),
        ("phone".into(), "13911112222".into())
    );
    // An added record lists every field it brings.
    let record = t.get("/api/v1/lawyers/CH-L01", &coord).await.body;
    assert_eq!(
        r.body["changes"][1]["fields"].as_array().unwrap().len(),
        record.as_object().unwrap().len()
    );
    let id = r.body["id"].as_i64().unwrap();
    let uri = format!("/api/v1/imports/{id}/apply");
    let ok = t.post(&uri, &coord, json!({})).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(
        t.get("/api/v1/lawyers/CH-L01", &coord).await.body["phone"],
        "13911112222"
    );
    assert_eq!(
        t.get("/api/v1/lawyers/CH-L20", &coord).await.body["name"],
        "林新"
    );
    let again = t.post(&uri, &coord, json!({})).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);

    // A preview the panel has moved past is refused, and changes nothing.
    let later = edit(
        &export(&t, &coord).await,
        "ws.cell(row=2, column=col('phone'), value='13933334444')",
    );
    let r = preview(&t, &coord, "merge", XLSX, later).await;
    let id = r.body["id"].as_i64().unwrap();
    let moved = t
        .call(
            Method::PATCH,
            "/api/v1/lawyers/CH-L02",
            &coord,
            Some(json!({"phone": "13955556666"})),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK);
    let before = dump(&t).await;
    let stale = t
        .post(&format!("/api/v1/imports/{id}/apply"), &coord, json!({}))
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert_eq!(dump(&t).await, before);

    // Replace: the lawyers the workbook leaves out leave the active panel.
    let fewer = edit(&export(&t, &coord).await, "ws.delete_rows(2)");
    let r = preview(&t, &coord, "replace", XLSX, fewer).await;
    assert_eq!(
        kinds(&r.body),
        vec![("deactivated".into(), "CH-L01".into())],
        "{}",
        r.body
    );
    // A zip of the CSV folder imports too.
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("panel");
    zhiban_dataset::write_dir(&t.store.export_dataset().await.unwrap(), &folder).unwrap();
    let lawyers = std::fs::read_to_string(folder.join("lawyers.csv")).unwrap();
    std::fs::write(
        folder.join("lawyers.csv"),
        lawyers.replace("13800010004", "13912345678"),
    )
    .unwrap();
    let zip = dir.path().join("panel.zip");
    let python = std::env::var("ZHIBAN_PYTHON").unwrap_or_else(|_| "python3".into());
    let zipped = std::process::Command::new(&python)
        .arg("-c")
        .arg("import os, sys, zipfile\nz = zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED)\nfor f in os.listdir(sys.argv[2]): z.write(os.path.join(sys.argv[2], f), 'panel/' + f)\nz.close()")
        .arg(&zip)
        .arg(&folder)
        .status()
        .unwrap();
    assert!(zipped.success());
    let r = preview(
        &t,
        &coord,
        "merge",
        "application/zip",
        std::fs::read(&zip).unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(
        kinds(&r.body),
        vec![("changed".into(), "CH-L04".into())],
        "{}",
        r.body
    );
    // Another centre's staff, finance and lawyers cannot import or read a preview.
    let finance = t.token(TokenRole::Finance, Some("CH"), None).await;
    let r2 = preview(&t, &finance, "merge", XLSX, fixed).await;
    assert_eq!(r2.status, StatusCode::FORBIDDEN, "{}", r2.body);
    let lawyer = t.token(TokenRole::Lawyer, None, Some("CH-L01")).await;
    let id = r.body["id"].as_i64().unwrap();
    let seen = t.get(&format!("/api/v1/imports/{id}"), &lawyer).await;
    assert_eq!(seen.status, StatusCode::NOT_FOUND);
    // Not a workbook: a clear refusal naming the body.
    let junk = preview(&t, &coord, "merge", XLSX, b"not a workbook".to_vec()).await;
    assert_eq!(
        junk.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        junk.body
    );
    assert_eq!(junk.body["errors"][0]["field"], "body");
}

/// `zhiban import` reads a workbook too; `--dry-run` checks it and changes nothing.
#[tokio::test]
async fn the_command_line_imports_a_workbook_and_dry_runs_it() {
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", tmp.path().join("z.db").display());
    let folder = fixture("small");
    run_ok(&["import", folder.to_str().unwrap(), "--database-url", &url]);
    // The tables, but for the panel revision an import bumps.
    let dump = || async {
        let store = zhiban_store::sqlite::SqliteStore::open(&url).await.unwrap();
        let d = store.dump().await.unwrap();
        d.lines()
            .filter(|l| !l.starts_with("key=revision:"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let before = dump().await;
    // The fixture as a workbook, and one with a bad licence date on the third lawyer.
    let ds = zhiban_dataset::read_dir(&folder, chrono::Utc::now().date_naive()).unwrap();
    let book =
        zhiban_dataset::workbook::write_workbook(&zhiban_dataset::to_files(&ds), false, None)
            .unwrap();
    let file = tmp.path().join("panel.xlsx");
    std::fs::write(&file, &book).unwrap();
    let out = run_ok(&[
        "import",
        file.to_str().unwrap(),
        "--dry-run",
        "--database-url",
        &url,
    ]);
    assert!(out.contains("dry run, nothing was changed"), "{out}");
    // Importing the same panel as a workbook leaves the database as it was.
    run_ok(&["import", file.to_str().unwrap(), "--database-url", &url]);
    assert!(dump().await == before, "the same panel changes nothing");
    // A workbook without the leave sheet keeps everyone's leave.
    let no_leave = {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("b.xlsx");
        std::fs::write(&f, &book).unwrap();
        let python = std::env::var("ZHIBAN_PYTHON").unwrap_or_else(|_| "python3".into());
        let ok = std::process::Command::new(&python)
            .arg("-c")
            .arg("import sys, openpyxl\nwb = openpyxl.load_workbook(sys.argv[1])\ndel wb['请假（leave）']\nwb.save(sys.argv[1])")
            .arg(&f)
            .status()
            .unwrap();
        assert!(ok.success());
        std::fs::read(&f).unwrap()
    };
    std::fs::write(&file, &no_leave).unwrap();
    run_ok(&["import", file.to_str().unwrap(), "--database-url", &url]);
    assert!(dump().await == before, "leave kept without its sheet");
    let bad = edit(
        &book,
        "ws.cell(row=4, column=col('licence_date'), value='2019-02-30')",
    );
    std::fs::write(&file, &bad).unwrap();
    let out = zhiban()
        .args(["import", file.to_str().unwrap(), "--database-url", &url])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sheet 律师（lawyers） row 4, column licence_date"),
        "{err}"
    );
    assert!(
        dump().await == before,
        "a rejected workbook changes nothing"
    );
    // A workbook exported before a change may not undo it.
    let exported = tmp.path().join("exported.xlsx");
    run_ok(&["export", exported.to_str().unwrap(), "--database-url", &url]);
    let phone = edit(
        &book,
        "ws.cell(row=2, column=col('phone'), value='13944445555')",
    );
    std::fs::write(&file, &phone).unwrap();
    run_ok(&["import", file.to_str().unwrap(), "--database-url", &url]);
    let out = zhiban()
        .args(["import", exported.to_str().unwrap(), "--database-url", &url])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("would undo changes made since to CH-L01"),
        "{err}"
    );
}

/// A city's workbook: an admin changes a district's lawyer through the city; the city's
/// coordinator, who keeps no district, is told the record is not theirs, and nothing is kept
/// to apply.
async fn a_city_imports_its_districts_only_where_the_caller_keeps_them(backend: Backend) {
    let t = TestApp::on(backend, "guangzhou").await;
    let admin = t.token(TokenRole::Admin, None, None).await;
    let district = t
        .get("/api/v1/lawyers?centre_id=GZ-TH&limit=1", &admin)
        .await
        .body["items"][0]
        .clone();
    let id = s(&district["id"]);
    // The district's own workbook, one phone changed, imported through the city.
    let book = export_of(&t, &admin, "GZ-TH").await;
    let changed = edit(
        &book,
        &format!(
            "r = [c.row for c in ws['A'] if c.value == '{id}'][0]\nws.cell(row=r, column=col('phone'), value='13966667777')"
        ),
    );
    let city = |tok: String, book: Vec<u8>| {
        let t = &t;
        async move {
            t.send(
                Method::POST,
                "/api/v1/imports?centre_id=GZ",
                Some(&tok),
                Some((XLSX, book)),
                &[],
            )
            .await
        }
    };
    let r = city(admin.clone(), changed.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["errors"], json!([]), "{}", r.body);
    assert_eq!(kinds(&r.body), vec![("changed".to_string(), id.clone())]);
    let coord = t.token(TokenRole::Coordinator, Some("GZ"), None).await;
    let r = city(coord, changed).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let problems = r.body["errors"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{}", r.body);
    assert!(
        s(&problems[0]["message"]).contains("is not of centre GZ"),
        "{}",
        r.body
    );
    assert_eq!(r.body["changes"], json!([]));
}

/// A workbook exported, then the panel changed in zhiban (a phone, leave, a new lawyer): its
/// rows that would undo those changes are problems naming sheet and row, `replace` may not
/// retire the new lawyer, and rows changed only in the workbook still import. A fresh
/// export has none of these problems; a workbook claiming a revision the panel never had
/// is refused.
async fn a_workbook_exported_before_a_change_may_not_undo_it(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let book = export(&t, &coord).await;
    let r = t
        .call(
            Method::PATCH,
            "/api/v1/lawyers/CH-L01",
            &coord,
            Some(json!({"phone": "13977778888"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let uri = "/api/v1/lawyers/CH-L02/availability";
    let mut avail = t.get(uri, &coord).await.body;
    avail["leave"] = json!([{"lawyer_id": "CH-L02", "from": "2027-03-01", "to": "2027-03-31",
        "half_day": null, "reason": "产假"}]);
    let r = t.call(Method::PUT, uri, &coord, Some(avail)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut new = t.get("/api/v1/lawyers/CH-L03", &coord).await.body;
    new["id"] = json!("CH-L21");
    new["name"] = json!("黄新");
    let r = t.post("/api/v1/lawyers", &coord, new).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    // The old workbook, with a phone changed only in it (CH-L03, row 4).
    let old = edit(
        &book,
        "ws.cell(row=4, column=col('phone'), value='13966667777')",
    );
    let before = dump(&t).await;
    let r = preview(&t, &coord, "merge", XLSX, old.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let errors = r.body["errors"].as_array().unwrap();
    let named = |code: &str| {
        errors
            .iter()
            .find(|e| s(&e["message"]).starts_with(&format!("{code} was changed in zhiban")))
            .unwrap_or_else(|| panic!("no problem names {code}: {}", r.body))
    };
    let l01 = named("CH-L01");
    assert_eq!(
        (s(&l01["sheet"]), l01["row"].as_u64()),
        ("律师（lawyers）".into(), Some(2))
    );
    let l02 = named("CH-L02");
    assert!(l02["row"].as_u64().unwrap() > 1, "{l02}");
    assert_eq!(
        errors.len(),
        2,
        "only the rows that undo changes: {}",
        r.body
    );
    assert!(
        kinds(&r.body).contains(&("changed".into(), "CH-L03".into())),
        "{}",
        r.body
    );
    let id = r.body["id"].as_i64().unwrap();
    let refused = t
        .post(&format!("/api/v1/imports/{id}/apply"), &coord, json!({}))
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert_eq!(dump(&t).await, before, "nothing was undone");
    // Replace would retire the lawyer added since.
    let r = preview(&t, &coord, "replace", XLSX, old).await;
    assert!(
        r.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| s(&e["message"]).starts_with("CH-L21 was changed in zhiban")),
        "{}",
        r.body
    );
    // A fresh export: the same edit imports cleanly.
    let fresh = edit(
        &export(&t, &coord).await,
        "ws.cell(row=4, column=col('phone'), value='13966667777')",
    );
    let r = preview(&t, &coord, "merge", XLSX, fresh.clone()).await;
    assert_eq!(r.body["errors"], json!([]), "{}", r.body);
    assert_eq!(kinds(&r.body), vec![("changed".into(), "CH-L03".into())]);
    // A centre keeps its newest 20 previews not applied: older ones are forgotten.
    let mut last = 0;
    for _ in 0..20 {
        last = preview(&t, &coord, "merge", XLSX, fresh.clone()).await.body["id"]
            .as_i64()
            .unwrap();
    }
    let gone = t.get(&format!("/api/v1/imports/{id}"), &coord).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "{}", gone.body);
    let kept = t.get(&format!("/api/v1/imports/{last}"), &coord).await;
    assert_eq!(kept.status, StatusCode::OK, "{}", kept.body);
    // A workbook claiming a revision this panel never had.
    let ds = t.store.export_dataset().await.unwrap();
    let forged = zhiban_dataset::workbook::Exported {
        revision: 1_000_000,
        centre_id: "CH".into(),
        at: "2026-12-01 00:00:00".into(),
    };
    let files = zhiban_dataset::to_files(&ds);
    let book = zhiban_dataset::workbook::write_workbook(&files, false, Some(&forged)).unwrap();
    let r = preview(&t, &coord, "merge", XLSX, book).await;
    assert_eq!(
        s(&r.body["errors"][0]["sheet"]),
        "导出信息（export）",
        "{}",
        r.body
    );
}

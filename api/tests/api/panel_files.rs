//! The panel as an Excel workbook: exported, edited with an independent spreadsheet writer
//! (Python's openpyxl), and read back by the data-set rules, it gives the same panel with
//! only the edited cell changed; the template reads back as a valid data set with its
//! example rows and offers lists of the accepted values.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use std::collections::BTreeMap;
use tower::ServiceExt;
use zhiban_store::TokenRole;

use crate::helpers::*;

on_both!(the_panel_workbook_round_trips_through_another_spreadsheet_program,);

/// The bytes of a GET as `token`, with its status and content type.
async fn bytes(t: &TestApp, uri: &str, token: &str) -> (StatusCode, String, Vec<u8>) {
    let res = t
        .router
        .clone()
        .oneshot(
            Request::get(uri)
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let status = res.status();
    let kind = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (
        status,
        kind,
        res.into_body().collect().await.unwrap().to_bytes().to_vec(),
    )
}

/// The data set a workbook holds, with `settings` (a workbook has no settings sheet).
fn read_back(book: &[u8], settings: &str) -> zhiban_domain::Dataset {
    let mut files: BTreeMap<String, String> =
        zhiban_dataset::workbook::read_workbook(book).unwrap();
    files.insert("settings.toml".into(), settings.into());
    zhiban_dataset::from_files(&files, chrono::Utc::now().date_naive())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `script` with Python (openpyxl) on `book`, which it edits in place; its output.
fn python(script: &str, book: &std::path::Path) -> String {
    let python = std::env::var("ZHIBAN_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = std::process::Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(book)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}; run scripts/test"));
    assert!(
        out.status.success(),
        "openpyxl (run scripts/test to install it): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

const EDIT: &str = r#"
import sys, json, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb["律师（lawyers）"]
head = [c.value for c in ws[1]]
col = head.index("电话（phone）") + 1
ws.cell(row=2, column=col, value="13911112222")
wb.save(sys.argv[1])
print(json.dumps({"sheets": wb.sheetnames, "head": head}, ensure_ascii=False))
"#;

const LISTS: &str = r#"
import sys, json, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb["工作站（stations）"]
print(json.dumps([dv.formula1 for dv in ws.data_validations.dataValidation], ensure_ascii=False))
"#;

async fn the_panel_workbook_round_trips_through_another_spreadsheet_program(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let (status, kind, book) = bytes(&t, "/api/v1/centres/CH/panel.xlsx", &coord).await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.contains("spreadsheetml"), "{kind}");
    let ds = t.store.export_dataset().await.unwrap();
    let settings = zhiban_dataset::to_files(&ds)["settings.toml"].clone();
    let before = read_back(&book, &settings);
    // The whole panel of CH (the fixture's only centre) is in it, field for field.
    let mut want = ds.clone();
    want.normalize();
    let mut got = before.clone();
    got.normalize();
    assert_eq!(got.lawyers, want.lawyers);
    assert_eq!(got.stations, want.stations);
    assert_eq!(got.demand, want.demand);
    assert_eq!(got.leave, want.leave);
    assert_eq!(got.firms, want.firms);

    // Another program edits one cell; reading back changes that cell only.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("panel.xlsx");
    std::fs::write(&file, &book).unwrap();
    let seen: serde_json::Value = serde_json::from_str(&python(EDIT, &file)).unwrap();
    assert_eq!(seen["sheets"][4], "律师（lawyers）", "{seen}");
    assert_eq!(seen["head"][1], "名称（name）", "{seen}");
    let after = read_back(&std::fs::read(&file).unwrap(), &settings);
    let mut expected = before.clone();
    expected.lawyers[0].phone = "13911112222".into();
    assert_eq!(after, expected);

    // The template: an example row per sheet, a valid data set, lists of accepted values.
    let (status, _, template) = bytes(&t, "/api/v1/panel/template.xlsx", &coord).await;
    assert_eq!(status, StatusCode::OK);
    let example = read_back(&template, "name = \"template\"");
    assert_eq!((example.lawyers.len(), example.stations.len()), (1, 1));
    std::fs::write(&file, &template).unwrap();
    let lists = python(LISTS, &file);
    assert!(
        lists.contains("detention_centre,court,procuratorate"),
        "{lists}"
    );
    assert!(lists.contains("true,false"), "{lists}");

    // It holds phone numbers: not for finance, nor for another centre's staff.
    let finance = t.token(TokenRole::Finance, Some("CH"), None).await;
    let (status, _, _) = bytes(&t, "/api/v1/centres/CH/panel.xlsx", &finance).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

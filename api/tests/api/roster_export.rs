//! A roster version as a spreadsheet (排班表), on both databases: the grid by station with
//! names, firms, backups and the station's phone; each lawyer's duties, with lawyers'
//! phones only for those who see them; print settings checked by an independent reader
//! (Python's openpyxl); the CSV with a byte-order mark and Chinese headers.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;
use zhiban_store::TokenRole;

use crate::helpers::*;

on_both!(a_published_roster_exports_by_station_and_by_lawyer,);

pub(crate) async fn bytes(t: &TestApp, uri: &str, token: &str) -> (StatusCode, Vec<u8>) {
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
    (
        status,
        res.into_body().collect().await.unwrap().to_bytes().to_vec(),
    )
}

fn rows(book: &[u8]) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(book.to_vec())).unwrap();
    let range = wb.worksheet_range("排班表").unwrap();
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

const PRINT: &str = r#"
import sys, json, openpyxl
ws = openpyxl.load_workbook(sys.argv[1])["排班表"]
ps = ws.page_setup
print(json.dumps({"orientation": ps.orientation, "paper": ps.paperSize,
    "fit_width": ws.page_setup.fitToWidth, "fit_height": ws.page_setup.fitToHeight, "fit": ws.sheet_properties.pageSetUpPr.fitToPage,
    "titles": ws.print_title_rows}))
"#;

async fn a_published_roster_exports_by_station_and_by_lawyer(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let v = t
        .solve_and_publish(&coord, "CH", &next_monday().to_string(), 2)
        .await;
    let assignments = t.assignments(&coord, v).await;
    let (status, book) = bytes(&t, &format!("/api/v1/versions/{v}/export.xlsx"), &coord).await;
    assert_eq!(status, StatusCode::OK);
    let grid = rows(&book);
    assert!(
        grid[0][0].contains("值班律师排班表") && grid[0][0].contains("第 1 版"),
        "{:?}",
        grid[0]
    );
    assert_eq!(grid[1][0], "工作站");
    assert!(grid[1][2].contains("上午"), "{:?}", grid[1]);
    assert_eq!(grid[1].len(), 2 + 14 * 2, "two weeks of half-days");
    assert_eq!(grid.len(), 2 + 3, "a row per station");
    let cells: String = grid[2..].iter().flatten().cloned().collect();
    assert!(cells.contains("律师事务所）"), "names with firms");
    assert!(cells.contains("020-"), "the station's phone");
    let backups = assignments.iter().filter(|a| a["role"] == "backup").count();
    assert_eq!(cells.matches("备：").count(), backups);

    // Printing: A4 landscape, one page wide, title and header on every page.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("roster.xlsx");
    std::fs::write(&file, &book).unwrap();
    let python = std::env::var("ZHIBAN_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = std::process::Command::new(&python)
        .arg("-c")
        .arg(PRINT)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let print: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(print["orientation"], "landscape", "{print}");
    assert_eq!(print["paper"], 9, "A4: {print}");
    assert_eq!(print["fit"], true, "{print}");
    // One page wide (1 is the default and may be left out), as many pages long as needed.
    assert!(
        [json!(1), json!(null)].contains(&print["fit_width"]),
        "{print}"
    );
    assert_eq!(print["fit_height"], 0, "{print}");
    assert_eq!(print["titles"], "$1:$2", "{print}");

    // By lawyer: a row per duty; lawyers' phones for the coordinator, not for finance.
    let uri = format!("/api/v1/versions/{v}/export.xlsx?layout=lawyer");
    let (_, mine) = bytes(&t, &uri, &coord).await;
    let list = rows(&mine);
    assert_eq!(list.len(), 2 + assignments.len());
    assert!(list[1].contains(&"律师电话".to_string()), "{:?}", list[1]);
    let finance = t.token(TokenRole::Finance, Some("CH"), None).await;
    let (_, theirs) = bytes(&t, &uri, &finance).await;
    assert!(!rows(&theirs)[1].contains(&"律师电话".to_string()));

    // CSV: a byte-order mark, Chinese headers, a row per staffed slot.
    let (status, csv) = bytes(&t, &format!("/api/v1/versions/{v}/export.csv"), &coord).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&csv[..3], b"\xEF\xBB\xBF");
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(rdr.headers().unwrap().get(5), Some("值班律师"));
    let slots: std::collections::BTreeSet<_> = assignments.iter().map(slot_key).collect();
    assert_eq!(rdr.records().count(), slots.len());

    // A layout it does not know is refused naming the field.
    let r = t
        .get(
            &format!("/api/v1/versions/{v}/export.csv?layout=grid"),
            &coord,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "layout");
}

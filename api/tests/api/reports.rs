//! The report over months (`/reports/summary`), on both databases: each section's totals
//! equal an independent count over the database's raw rows (the store's dump of the
//! tables, read here), and the spread is recomputed here.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use zhiban_store::TokenRole;

use crate::helpers::*;
use crate::notify_channels::{change, unassign, week};

on_both!(a_months_report_agrees_with_the_raw_rows);

/// The rows of `table` in the store's dump, as column → value.
fn rows(dump: &zhiban_store::Dump, table: &str) -> Vec<BTreeMap<String, String>> {
    dump[table]
        .iter()
        .map(|line| {
            line.split('|')
                .filter_map(|c| c.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// An independent Gini coefficient: the mean absolute difference over twice the mean.
fn gini(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    if mean == 0.0 {
        return 0.0;
    }
    let diffs: f64 = x
        .iter()
        .flat_map(|a| x.iter().map(move |b| (a - b).abs()))
        .sum();
    diffs / (2.0 * n * n * mean)
}

async fn a_months_report_agrees_with_the_raw_rows(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let (v, duties) = week(&t, &coord).await;
    // A duty taken off in a republished version: its post is uncovered.
    change(&t, &coord, v, json!([unassign(&duties[5])])).await;
    // After the week: three duties checked in by hand (two on time, one 40 minutes late),
    // the rest never; two ledgers, one application forwarded in time and one not at all.
    t.set_time(Some(local("2026-10-20", "10:00")));
    for (i, d) in duties.iter().take(3).enumerate() {
        let (_, start, end) = small_hours(d);
        let at = if i == 2 {
            add_minutes(start, 40)
        } else {
            start.to_string()
        };
        let r = t
            .post(
                "/api/v1/checkins/manual",
                &coord,
                json!({"station_id": d["station_id"], "date": d["date"], "half_day": d["half_day"],
                    "lawyer_id": d["lawyer_id"], "check_in_at": local(&s(&d["date"]), &at),
                    "check_out_at": local(&s(&d["date"]), end), "reason": "值班记录本为证"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    for (i, d) in duties.iter().take(2).enumerate() {
        let received = local(&s(&d["date"]), "10:00");
        let applications = if i == 0 {
            json!([{"applicant": "王某", "received_at": received,
                "forwarded_at": local(&s(&d["date"]), "16:00")}])
        } else {
            json!([{"applicant": "张某", "received_at": received}])
        };
        let r = t
            .call(
                Method::PUT,
                "/api/v1/ledger",
                &coord,
                Some(json!({"station_id": d["station_id"], "date": d["date"],
                    "half_day": d["half_day"], "lawyer_id": d["lawyer_id"],
                    "consultations": 3 + i, "plea_signings": 1, "applications": applications})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let r = t
        .get(
            "/api/v1/reports/summary?centre_id=CH&from=2026-09&to=2026-11",
            &coord,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rep = r.body;
    assert_eq!(rep["months"], json!(["2026-09", "2026-10", "2026-11"]));

    // The raw rows.
    let dump = t.store.dump_tables().await.unwrap();
    let published: Vec<String> = rows(&dump, "roster_versions")
        .into_iter()
        .filter(|v| v["status"] == "published")
        .map(|v| v["id"].clone())
        .collect();
    let assignments: Vec<BTreeMap<String, String>> = rows(&dump, "assignments")
        .into_iter()
        .filter(|a| published.contains(&a["version_id"]))
        .collect();
    let primaries: Vec<&BTreeMap<String, String>> = assignments
        .iter()
        .filter(|a| a["role"] == "primary")
        .collect();
    // Coverage: filled = the published primaries; uncovered from the published reports.
    let mut short = 0u64;
    for v in rows(&dump, "roster_versions")
        .iter()
        .filter(|v| v["status"] == "published")
    {
        let report: Value = serde_json::from_str(&v["report"]).unwrap();
        for u in report["uncovered"].as_array().unwrap() {
            short += u["wanted"].as_u64().unwrap() - u["filled"].as_u64().unwrap();
        }
    }
    assert!(
        short > 0,
        "the week leaves posts uncovered, so that they are counted"
    );
    let total = &rep["coverage"][3];
    assert_eq!(total["month"], "合计");
    assert_eq!(total["filled"], primaries.len() as u64, "{rep}");
    assert_eq!(total["uncovered"], short, "{rep}");
    assert_eq!(total["wanted"], primaries.len() as u64 + short);
    assert_eq!(rep["coverage"][1]["filled"], primaries.len() as u64);
    assert_eq!(rep["coverage"][0]["wanted"], 0);
    let reasons: u64 = total["by_reason"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(reasons, short);
    // Attendance: each published primary of the week, by its record.
    let records = rows(&dump, "attendance");
    assert_eq!(records.len(), 3);
    let late = records.iter().filter(|r| r["late"] == "1").count() as u64;
    let a = &rep["attendance"];
    assert_eq!(a["duties"], primaries.len() as u64);
    assert_eq!(a["late"], late);
    assert_eq!(late, 1);
    assert_eq!(a["on_time"], 3 - late);
    assert_eq!(a["no_show"], primaries.len() as u64 - 3);
    // Workload: per lawyer of the panel, with the spread recomputed here.
    let lawyers = rows(&dump, "lawyers");
    let active: Vec<&BTreeMap<String, String>> =
        lawyers.iter().filter(|l| l["active"] == "1").collect();
    let per: Vec<f64> = active
        .iter()
        .map(|l| {
            primaries
                .iter()
                .filter(|a| a["lawyer_id"] == l["id"])
                .count() as f64
        })
        .collect();
    let w = &rep["workload"];
    assert_eq!(w["lawyers"].as_array().unwrap().len(), active.len());
    let max = per.iter().cloned().fold(0.0, f64::max);
    let min = per.iter().cloned().fold(f64::MAX, f64::min);
    assert_eq!(w["max"].as_f64().unwrap(), max);
    assert_eq!(w["min"].as_f64().unwrap(), min);
    assert!(
        (w["gini"].as_f64().unwrap() - gini(&per)).abs() < 1e-3,
        "{w}"
    );
    let firm_duties: u64 = w["firms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["duties"].as_u64().unwrap())
        .sum();
    assert_eq!(firm_duties, primaries.len() as u64);
    // Ledger: the two entries.
    let l = &rep["ledger"];
    let entries = rows(&dump, "ledger_entries");
    let consultations: u64 = entries
        .iter()
        .map(|e| e["consultations"].parse::<u64>().unwrap())
        .sum();
    assert_eq!(l["entries"], entries.len() as u64);
    assert_eq!(l["consultations"], consultations);
    assert_eq!(consultations, 7);
    assert_eq!(
        l["plea_signings_confirmed"], 2,
        "a coordinator's write confirms: {l}"
    );
    assert_eq!(l["applications_received"], 2);
    assert_eq!(l["applications_forwarded"], 1);
    assert_eq!(l["forwards_overdue"], 1);
    // Subsidy: no month approved yet; each of the three months is open.
    let sub = &rep["subsidy"];
    assert_eq!(sub["total_fen"], 0);
    assert!(
        sub["months"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["open"] == 1)
    );

    // The workbook, read back by an independent program (Python's openpyxl), and the CSV.
    let uri = "/api/v1/reports/summary.xlsx?centre_id=CH&from=2026-09&to=2026-11";
    let (status, book) = crate::roster_export::bytes(&t, uri, &coord).await;
    assert_eq!(status, StatusCode::OK);
    let sheets = read_workbook(&book);
    // The summary sheet, one column of figures to paste into a 统计报表.
    let sum = &sheets["汇总"];
    assert_eq!(sum[1], json!(["项目", "数值"]));
    assert_eq!(
        sum[3],
        json!(["已安排值班（人次）", primaries.len() as u64])
    );
    assert_eq!(sum[12], json!(["法律咨询（人次）", 7]));
    let cov = &sheets["覆盖率"];
    assert_eq!(
        cov[1],
        json!([
            "月份",
            "需值班岗位",
            "已安排",
            "未覆盖",
            "无符合条件的律师",
            "符合条件但不可用",
            "符合条件但已排满"
        ])
    );
    let last = cov.last().unwrap();
    assert_eq!(last[0], "合计");
    assert_eq!(last[1].as_f64().unwrap(), total["wanted"].as_f64().unwrap());
    assert_eq!(last[2].as_f64().unwrap(), primaries.len() as f64);
    assert_eq!(last[3].as_f64().unwrap(), short as f64);
    let per_lawyer: f64 = sheets["律师工作量"][2..]
        .iter()
        .map(|r| r[2].as_f64().unwrap())
        .sum();
    assert_eq!(per_lawyer, primaries.len() as f64);
    let ledger_rows = &sheets["台账"];
    assert_eq!(ledger_rows[3], json!(["法律咨询", 7]));
    assert_eq!(ledger_rows[8], json!(["逾期转交（超过24小时）", 1]));
    assert_eq!(sheets["考勤"][4], json!(["迟到", 1]));
    let (status, csv) = crate::roster_export::bytes(
        &t,
        "/api/v1/reports/summary.csv?centre_id=CH&from=2026-09&to=2026-11",
        &coord,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv.starts_with(&[0xEF, 0xBB, 0xBF]), "a BOM for Excel");
    let csv = String::from_utf8(csv[3..].to_vec()).unwrap();
    assert!(csv.starts_with("部分,名称,指标,数值"), "{csv}");
    assert!(
        csv.lines()
            .any(|l| l == format!("覆盖率,合计,已安排,{}", primaries.len())),
        "{csv}"
    );
    assert!(csv.lines().any(|l| l == "台账,法律咨询,数量,7"), "{csv}");

    // Bad input names the field; a centre out of reach is not found.
    for (q, field) in [
        ("centre_id=CH&from=2026-13&to=2026-12", "from"),
        ("centre_id=CH&from=2026-10&to=2026-09", "to"),
        ("centre_id=CH&from=2020-01&to=2026-12", "to"),
        ("centre_id=CH&from=2026-10", "to"),
        ("centre_id=CH&from=2026-10&to=2026-10&x=1", "x"),
    ] {
        let r = t.get(&format!("/api/v1/reports/summary?{q}"), &coord).await;
        assert!(r.status.is_client_error(), "{q}: {}", r.status);
        assert_eq!(
            crate::roster_pdf::field_named(&r.body),
            field,
            "{q}: {}",
            r.body
        );
    }
    let lawyer = t.token(TokenRole::Lawyer, None, Some("CH-L01")).await;
    let r = t
        .get(
            "/api/v1/reports/summary?centre_id=CH&from=2026-10&to=2026-10",
            &lawyer,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// Every sheet's rows, read by openpyxl (numbers as numbers).
fn read_workbook(book: &[u8]) -> BTreeMap<String, Vec<Value>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.xlsx");
    std::fs::write(&path, book).unwrap();
    let python = std::env::var("ZHIBAN_PYTHON").expect("ZHIBAN_PYTHON (scripts/test sets it)");
    let script = "import sys, json, openpyxl\nwb = openpyxl.load_workbook(sys.argv[1])\nprint(json.dumps({ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb.worksheets}, ensure_ascii=False, default=str))\n";
    let out = std::process::Command::new(python)
        .args(["-c", script, path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: BTreeMap<String, Value> = serde_json::from_slice(&out.stdout).unwrap();
    v.into_iter()
        .map(|(k, rows)| (k, rows.as_array().unwrap().clone()))
        .collect()
}

on_both!(a_generated_year_reports_what_its_rows_hold);

/// A year made by `zhiban demo-history` (small fixture, 2026, as on 6 December): the year's
/// report equals what an independent count over the raw rows finds.
async fn a_generated_year_reports_what_its_rows_hold(backend: Backend) {
    let t = TestApp::on(backend, "small").await;
    let now = local("2026-12-06", "10:00");
    t.set_time(Some(now));
    let h = zhiban_api::history::generate(&t.state, 2026, 7, 20.0, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(h.rosters, 3, "26 + 26 + 1 weeks");
    assert_eq!(h.months, 11, "January to November approved");
    assert!(h.check_ins > 100 && h.ledgers > 100, "{h:?}");
    // Again: the centre has its year already and is left alone.
    let again = zhiban_api::history::generate(&t.state, 2026, 7, 20.0, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(again.rosters, 0);
    assert_eq!(again.skipped.len(), 1);

    let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
    let r = t
        .get(
            "/api/v1/reports/summary?centre_id=CH&from=2026-01&to=2026-12",
            &coord,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rep = r.body;
    let dump = t.store.dump_tables().await.unwrap();
    let in_year = |d: &str| d.starts_with("2026-");
    let published: Vec<String> = rows(&dump, "roster_versions")
        .into_iter()
        .filter(|v| v["status"] == "published")
        .map(|v| v["id"].clone())
        .collect();
    let primaries: Vec<BTreeMap<String, String>> = rows(&dump, "assignments")
        .into_iter()
        .filter(|a| {
            published.contains(&a["version_id"]) && a["role"] == "primary" && in_year(&a["date"])
        })
        .collect();
    let total = rep["coverage"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(total["filled"], primaries.len() as u64);
    // Workload: each roster's fair shares share out exactly its duties in the year.
    let shares: f64 = rep["workload"]["lawyers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["fair_share"].as_f64().unwrap())
        .sum();
    assert!((shares - primaries.len() as f64).abs() < 0.01, "{shares}");
    let duties: u64 = rep["workload"]["lawyers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["duties"].as_u64().unwrap())
        .sum();
    assert_eq!(duties, primaries.len() as u64);
    // Attendance: the duties before 6 December, by their records.
    let past: Vec<&BTreeMap<String, String>> = primaries
        .iter()
        .filter(|a| a["date"].as_str() < "2026-12-06")
        .collect();
    let records = rows(&dump, "attendance");
    let key = |r: &BTreeMap<String, String>| {
        (
            r["date"].clone(),
            r["station_id"].clone(),
            r["half_day"].clone(),
            r["lawyer_id"].clone(),
        )
    };
    let by_duty: BTreeMap<_, &BTreeMap<String, String>> = records
        .iter()
        .filter(|r| r["voided"] == "0")
        .map(|r| (key(r), r))
        .collect();
    let (mut no_show, mut excused, mut late, mut outside, mut on_time) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    for a in &past {
        match by_duty.get(&key(a)) {
            None => no_show += 1,
            Some(r) if r["status"] == "excused" => excused += 1,
            Some(r) if r["outside_geofence"] == "1" => outside += 1,
            Some(r) if r["late"] == "1" => late += 1,
            Some(_) => on_time += 1,
        }
    }
    let a = &rep["attendance"];
    assert_eq!(a["duties"], past.len() as u64, "{a}");
    assert_eq!(a["no_show"], no_show, "{a}");
    assert_eq!(a["excused"], excused, "{a}");
    assert_eq!(a["late"], late, "{a}");
    assert_eq!(a["on_time"], on_time, "{a}");
    assert_eq!(
        a["out_of_fence_approved"].as_u64().unwrap() + a["out_of_fence_waiting"].as_u64().unwrap(),
        outside
    );
    assert!(no_show > 0 && excused > 0 && late > 0 && outside > 0, "{a}");
    // Ledger: consultations and applications of the year's entries.
    let entries = rows(&dump, "ledger_entries");
    let consultations: u64 = entries
        .iter()
        .filter(|e| in_year(&e["date"]))
        .map(|e| e["consultations"].parse::<u64>().unwrap())
        .sum();
    assert_eq!(rep["ledger"]["consultations"], consultations);
    let applications = rows(&dump, "ledger_applications");
    assert_eq!(
        rep["ledger"]["applications_received"],
        applications.len() as u64
    );
    // Subsidy: the approved statements' totals.
    let paid: i64 = rows(&dump, "subsidy_months")
        .iter()
        .filter(|m| in_year(&m["month"]))
        .map(|m| {
            let s: Value = serde_json::from_str(&m["statement"]).unwrap();
            s["total_fen"].as_i64().unwrap()
        })
        .sum();
    assert!(paid > 0);
    assert_eq!(rep["subsidy"]["total_fen"], paid);
    let by_firm: i64 = rep["subsidy"]["firms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fen"].as_i64().unwrap())
        .sum();
    assert_eq!(by_firm, paid, "the firms' amounts add up to the total");
    let months = rep["subsidy"]["months"].as_array().unwrap();
    assert_eq!(months[0]["approved"], 1);
    assert_eq!(months[11]["open"], 1, "December is not over");
}

//! `zhiban solve` as a real process: the bound and gap it reports are true, and from the
//! database it solves the very problem an API job would (duties in other published rosters
//! and lawyers' busy calendars rule those half-days out), on SQLite and PostgreSQL.

use crate::helpers::{Backend, TestDb, fixture, run_ok};
use std::path::Path;
use zhiban_domain::{Assignment, CentreId, HalfDay, LawyerId, Role, StationId};

/// A copy of `fixtures/small` in `to`, with `lines` appended to the named files.
fn small_copy(to: &Path, appended: &[(&str, &str)]) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(fixture("small")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
    for (file, line) in appended {
        let path = to.join(file);
        let mut text = std::fs::read_to_string(&path).unwrap();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(line);
        text.push('\n');
        std::fs::write(&path, text).unwrap();
    }
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn d(s: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[test]
fn a_half_day_nobody_can_take_is_in_the_bound_and_the_gap_is_true() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("small");
    // Friday PM at the court needs Mongolian, which nobody on the panel speaks.
    small_copy(&input, &[("demand.csv", "CH-FY,fri,pm,1,0,,mn,0")]);
    let json = tmp.path().join("out.json");
    let out = run_ok(&[
        "solve",
        "--input",
        input.to_str().unwrap(),
        "--from",
        "2026-11-23",
        "--weeks",
        "1",
        "--quiet",
        "--out",
        json.to_str().unwrap(),
    ]);
    assert!(out.contains("status Optimal"), "{out}");
    // Before the bound counted the slot nobody can take: best bound 1.372, gap 99.9954%.
    // Now the bound holds it (30,000 for the post) and the gap is within the target.
    assert!(out.contains("objective 3000"), "{out}");
    assert!(out.contains("best bound 3000"), "{out}");
    let r = &read_json(&json)["report"];
    let (objective, bound, gap) = (
        r["solver_objective"].as_f64().unwrap(),
        r["best_bound"].as_f64().unwrap(),
        r["gap"].as_f64().unwrap(),
    );
    // Within the default gap target (0.01%) of a bound that covers the post nobody can take.
    assert!(gap <= 1e-4, "{r:#}");
    assert!((objective - bound).abs() <= 1e-4 * objective, "{r:#}");
    assert!(bound >= r["components"]["coverage"].as_f64().unwrap());
}

/// A sibling centre HD shares a pool with CH; CH's Monday morning at the detention centre
/// needs the death-penalty skill (only CH-L06 has it) and Monday afternoon at the
/// procuratorate English (only CH-L08 speaks it).
fn shared_pool_data_set(to: &Path) {
    small_copy(
        to,
        &[
            ("centres.csv", "GZ,广州市法律援助处,,Asia/Shanghai,false"),
            (
                "centres.csv",
                "HD,广州市花都区法律援助处,GZ,Asia/Shanghai,true",
            ),
            (
                "stations.csv",
                "HD-KSS,HD,花都区看守所法律援助工作站,detention_centre,广州市花都区新华街1号,020-86801101,23.4040,113.2200,300,09:00,11:30,14:30,17:30,0,,,true,3",
            ),
        ],
    );
    for (file, from, to_text) in [
        (
            "centres.csv",
            "CH,广州市从化区法律援助处,,Asia/Shanghai,false",
            "CH,广州市从化区法律援助处,GZ,Asia/Shanghai,true",
        ),
        (
            "demand.csv",
            "CH-KSS,mon,am,1,1,,,0",
            "CH-KSS,mon,am,1,0,death_penalty,,0",
        ),
        (
            "demand.csv",
            "CH-JCY,mon,pm,1,0,,,0",
            "CH-JCY,mon,pm,1,0,,en,0",
        ),
    ] {
        let path = to.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file}: {from}");
        std::fs::write(&path, text.replace(from, to_text)).unwrap();
    }
}

fn audit() -> zhiban_store::Audit {
    zhiban_store::Audit {
        actor: "test".into(),
        centre_id: None,
        action: "test".into(),
        target: String::new(),
        detail: serde_json::Value::Null,
    }
}

async fn solving_from_the_database_respects_other_rosters_and_busy_calendars(backend: Backend) {
    let mut db = TestDb::new(backend).await;
    let dir = db.dir().to_path_buf();
    let input = dir.join("shared");
    shared_pool_data_set(&input);
    run_ok(&["import", input.to_str().unwrap(), "--database-url", &db.url]);
    let store = zhiban_store::connect(&db.url).await.unwrap();
    // CH-L06 is on duty at HD's detention centre on Monday morning (HD's published roster).
    store
        .create_version(
            &zhiban_store::NewVersion {
                roster: zhiban_store::RosterRef::New {
                    centre_id: CentreId::parse("HD").unwrap(),
                    from: d("2026-11-23"),
                    weeks: 1,
                },
                based_on: None,
                origin: zhiban_store::VersionOrigin::Solve,
                report: zhiban_domain::SolveReport::not_solved(Default::default()),
                assignments: vec![Assignment {
                    date: d("2026-11-23"),
                    half_day: HalfDay::Am,
                    station_id: StationId::parse("HD-KSS").unwrap(),
                    lawyer_id: LawyerId::parse("CH-L06").unwrap(),
                    role: Role::Primary,
                }],
                pins: Default::default(),
                publish: true,
                created_by: "test".into(),
                now: chrono::Utc::now(),
            },
            &audit(),
        )
        .await
        .unwrap();
    // CH-L08's own calendar has a hearing on Monday 14:00-16:00 (Beijing time).
    let l08 = LawyerId::parse("CH-L08").unwrap();
    let at = |h: u32| {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 23)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap()
            .and_utc()
    };
    store
        .replace_busy_times(
            &l08,
            &[zhiban_store::BusyTime {
                lawyer_id: l08.clone(),
                starts_at: at(6),
                ends_at: at(8),
                summary: "开庭".into(),
                source_uid: "hearing-1".into(),
            }],
            &audit(),
        )
        .await
        .unwrap();
    drop(store);

    let json = dir.join("ch.json");
    let out = run_ok(&[
        "solve",
        "--database-url",
        &db.url,
        "--centre",
        "CH",
        "--from",
        "2026-11-23",
        "--quiet",
        "--out",
        json.to_str().unwrap(),
    ]);
    let v = read_json(&json);
    let assignments: Vec<Assignment> =
        serde_json::from_value(v["roster"]["assignments"].clone()).unwrap();
    let on = |lawyer: &str, half_day: HalfDay| {
        assignments
            .iter()
            .filter(|a| {
                a.lawyer_id.as_str() == lawyer
                    && a.date == d("2026-11-23")
                    && a.half_day == half_day
            })
            .count()
    };
    assert_eq!(
        on("CH-L06", HalfDay::Am),
        0,
        "CH-L06 is booked twice across the shared pool: {out}"
    );
    assert_eq!(
        on("CH-L08", HalfDay::Pm),
        0,
        "CH-L08 is booked over their own calendar: {out}"
    );
    // Both half-days are left short, and the report says why.
    let uncovered = v["report"]["uncovered"].as_array().unwrap();
    for (station, half, lawyer) in [("CH-KSS", "am", "CH-L06"), ("CH-JCY", "pm", "CH-L08")] {
        let u = uncovered
            .iter()
            .find(|u| {
                u["station_id"] == station && u["date"] == "2026-11-23" && u["half_day"] == half
            })
            .unwrap_or_else(|| panic!("{station} {half} should be short: {out}"));
        assert_eq!(u["reason"]["kind"], "eligible_unavailable", "{u:#}");
        assert_eq!(u["reason"]["lawyers"], serde_json::json!([lawyer]), "{u:#}");
    }
}

#[tokio::test]
async fn solving_from_sqlite_respects_other_rosters_and_busy_calendars() {
    solving_from_the_database_respects_other_rosters_and_busy_calendars(Backend::Sqlite).await;
}

#[tokio::test]
async fn solving_from_postgres_respects_other_rosters_and_busy_calendars() {
    solving_from_the_database_respects_other_rosters_and_busy_calendars(Backend::Postgres).await;
}

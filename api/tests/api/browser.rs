// Over the ~600-line sizing rule on purpose: the browser harness, the three role walk-throughs and the labels check share one served app and its helpers (the director, firm administrator and admin walk through in `browser_people.rs`).
//! The web page in a real browser: Debian's headless Chromium driven by Playwright's
//! `playwright-core` (`web-tests/run.mjs`) against the real router on a real socket.
//! A coordinator generates a roster for `fixtures/small`, reassigns one slot and
//! publishes; a lawyer checks in and out, gets the calendar link and offers a swap; finance
//! exports the month (CSV, XLSX) and approves it. Screenshots go to
//! `target/screenshots/`. The page must log no console error or warning. And every code
//! the API can return (rules, reasons, statuses) has a Chinese label in the page.
//!
//! `scripts/test` installs Chromium and `playwright-core`; without them this test fails
//! saying so (it is never skipped).

use crate::helpers::{Backend, TestDb};
use axum::body::Body;
use axum::http::{Method, Request};
use chrono::{Duration, NaiveDate, NaiveDateTime};
use http_body_util::BodyExt;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tower::ServiceExt;
use zhiban_api::{AppState, app};
use zhiban_store::{DutyQuery, Page, Store, TokenRole};

type Clock = Arc<Mutex<Option<chrono::DateTime<chrono::Utc>>>>;

pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs one phase of `web-tests/run.mjs`; its JSON findings.
pub(crate) fn browser(phase: &str, base: &str, extra: &[(&str, String)]) -> Value {
    let tests = root().join("web-tests");
    assert!(
        tests.join("node_modules/playwright-core").exists(),
        "playwright-core is not installed: run scripts/test (it runs `npm ci` in web-tests/)"
    );
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} is missing: run scripts/test (it installs Debian's chromium)"
    );
    let shots = root().join("target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let out = std::process::Command::new("node")
        .arg(tests.join("run.mjs"))
        .arg(phase)
        .env("BASE_URL", base)
        .env("SHOTS", &shots)
        .env("CHROMIUM", &chromium)
        .envs(extra.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("node runs (scripts/test installs Node.js when missing)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{phase} in the browser failed:\n{stderr}\n{stdout}"
    );
    serde_json::from_str(stdout.lines().last().unwrap()).unwrap()
}

fn png_size(path: &Path) -> (u32, u32) {
    let b = std::fs::read(path).unwrap();
    assert_eq!(&b[1..4], b"PNG", "{}", path.display());
    let w = u32::from_be_bytes(b[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(b[20..24].try_into().unwrap());
    (w, h)
}

pub(crate) async fn get(router: &axum::Router, uri: &str, token: &str) -> Value {
    let req = Request::builder()
        .method(Method::GET)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let res = router.clone().oneshot(req).await.unwrap();
    assert!(res.status().is_success(), "{uri}: {}", res.status());
    serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap()
}

/// A station's local start of a half-day (China has no daylight saving), as UTC.
fn start_of(date: NaiveDate, hm: &str) -> chrono::DateTime<chrono::Utc> {
    NaiveDateTime::parse_from_str(&format!("{date} {hm}"), "%Y-%m-%d %H:%M")
        .unwrap()
        .and_utc()
        - Duration::hours(8)
}

pub(crate) async fn token(
    store: &Arc<dyn Store>,
    role: TokenRole,
    centre: Option<&str>,
    lawyer: Option<&str>,
) -> String {
    zhiban_api::cli::create_token(
        store,
        role,
        centre.map(|c| zhiban_domain::CentreId::parse(c).unwrap()),
        lawyer.map(|c| zhiban_domain::LawyerId::parse(c).unwrap()),
        &format!("网页测试 {}", role.code()),
    )
    .await
    .unwrap()
    .token
}

/// An account of `role` and its one-time invitation code: the browser sets its password
/// through the page, then signs in with it.
pub(crate) async fn account(
    store: &Arc<dyn Store>,
    login: &str,
    role: TokenRole,
    centre: Option<&str>,
    lawyer: Option<&str>,
) -> [(&'static str, String); 2] {
    account_of(store, login, role, centre, lawyer, None).await
}

/// As [`account`], for a firm administrator too (`firm`).
pub(crate) async fn account_of(
    store: &Arc<dyn Store>,
    login: &str,
    role: TokenRole,
    centre: Option<&str>,
    lawyer: Option<&str>,
    firm: Option<&str>,
) -> [(&'static str, String); 2] {
    let (code, hash) = zhiban_api::accounts::new_code().unwrap();
    let audit = zhiban_store::Audit {
        actor: "test".into(),
        centre_id: None,
        action: "user.invite".into(),
        target: String::new(),
        detail: serde_json::Value::Null,
    };
    store
        .create_user(
            &zhiban_store::NewUser {
                login: login.into(),
                display_name: format!("网页测试 {}", role.code()),
                role,
                centres: centre
                    .map(|c| zhiban_domain::CentreId::parse(c).unwrap())
                    .into_iter()
                    .collect(),
                lawyer_id: lawyer.map(|l| zhiban_domain::LawyerId::parse(l).unwrap()),
                firm_id: firm.map(|f| zhiban_domain::FirmId::parse(f).unwrap()),
                code_hash: hash,
                // The test moves the server's clock weeks ahead for the finance phase.
                code_expires_at: chrono::Utc::now() + Duration::days(400),
                created_by: "test".into(),
            },
            &audit,
        )
        .await
        .unwrap();
    [("LOGIN", login.into()), ("CODE", code)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coordinator_lawyer_and_finance_use_the_page_in_chromium() {
    let db = TestDb::new(Backend::Sqlite).await;
    let store = zhiban_store::connect(&db.url).await.unwrap();
    let ds = zhiban_dataset::read_dir(
        &root().join("fixtures/small"),
        chrono::Utc::now().date_naive(),
    )
    .unwrap();
    store.import_dataset(&ds).await.unwrap();
    // The whole panel is on leave next Wednesday: those slots stay uncovered, in red.
    let wednesday = {
        let today = chrono::Utc::now().date_naive();
        let monday = today
            + Duration::days(
                7 - i64::from(chrono::Datelike::weekday(&today).num_days_from_monday()),
            );
        monday + Duration::days(2)
    };
    for l in &ds.lawyers {
        let mut leave: Vec<_> = ds
            .leave
            .iter()
            .filter(|x| x.lawyer_id == l.id)
            .cloned()
            .collect();
        leave.push(zhiban_domain::Leave {
            lawyer_id: l.id.clone(),
            from: wednesday,
            to: wednesday,
            half_day: None,
            reason: "全员培训".into(),
        });
        let weekly: Vec<_> = ds
            .unavailability
            .iter()
            .filter(|x| x.lawyer_id == l.id)
            .cloned()
            .collect();
        let prefs: Vec<_> = ds
            .preferences
            .iter()
            .filter(|x| x.lawyer_id == l.id)
            .cloned()
            .collect();
        let audit = zhiban_store::Audit {
            actor: "test".into(),
            centre_id: None,
            action: "lawyer.availability".into(),
            target: String::new(),
            detail: Value::Null,
        };
        store
            .replace_lawyer_availability(&l.id, &weekly, &leave, &prefs, &audit)
            .await
            .unwrap();
    }
    let clock: Clock = Arc::default();
    // Once the page has checked in (the script then creates this file), the server's clock
    // moves to near the duty's end, so that the check-out counts (time on site is checked).
    let advance_file = root().join("target/screenshots/checked-in");
    let _ = std::fs::remove_file(&advance_file);
    let after_check_in: Clock = Arc::default();
    let mut state = AppState::new(store.clone());
    // Plain HTTP on loopback: the session cookie is not Secure (as `zhiban serve` does).
    state.accounts = Arc::new(zhiban_api::accounts::Accounts::new(
        chrono::Duration::hours(12),
        chrono::Duration::days(7),
        false,
    ));
    let (c, a, flag) = (clock.clone(), after_check_in.clone(), advance_file.clone());
    state.clock = Arc::new(move || {
        let later = *a.lock().unwrap();
        match later {
            Some(t) if flag.exists() => t,
            _ => c.lock().unwrap().unwrap_or_else(chrono::Utc::now),
        }
    });
    let router = app(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let served = router.clone();
    tokio::spawn(async move {
        axum::serve(
            listener,
            served.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });

    // The coordinator.
    let coord = token(&store, TokenRole::Coordinator, Some("CH"), None).await;
    let b = base.clone();
    let signin = account(&store, "coord.ch", TokenRole::Coordinator, Some("CH"), None).await;
    // The Monday of the week on leave, as this test counts it (the page would count from the
    // browser's own date, a day later in Shanghai on a Sunday evening in UTC).
    let from = (wednesday - Duration::days(2)).to_string();
    let signin: Vec<(&str, String)> = signin.into_iter().chain([("FROM", from)]).collect();
    let found = tokio::task::spawn_blocking(move || browser("coordinator", &b, &signin))
        .await
        .unwrap();
    assert_ne!(found["before"], found["after"], "{found}");
    assert!(found["uncovered"].as_u64().unwrap() >= 2, "{found}");
    let duties = store
        .list_duties(
            &DutyQuery::default(),
            Page {
                limit: 500,
                offset: 0,
            },
        )
        .await
        .unwrap();
    assert!(duties.total > 5, "the roster was published");
    // The reassigned slot holds the new lawyer in the database.
    let slot: Vec<&str> = found["slot"].as_str().unwrap().split('|').collect();
    let names: std::collections::BTreeMap<_, _> = ds
        .lawyers
        .iter()
        .map(|l| (l.name.clone(), l.id.clone()))
        .collect();
    let new_lawyer = names[found["after"].as_str().unwrap().trim_end_matches(" 📌")].clone();
    assert!(duties.items.iter().any(|d| {
        let a = &d.assignment;
        a.station_id.as_str() == slot[0]
            && a.date.to_string() == slot[1]
            && a.half_day.code() == slot[2]
            && a.lawyer_id == new_lawyer
    }));

    // The lawyer with duties furthest apart: the first is checked in, the last swapped.
    let mut by_lawyer: std::collections::BTreeMap<_, Vec<_>> = Default::default();
    for d in &duties.items {
        by_lawyer
            .entry(d.assignment.lawyer_id.clone())
            .or_default()
            .push(d.assignment.clone());
    }
    let (lawyer, mine) = by_lawyer
        .iter()
        .max_by_key(|(_, v)| {
            let first = v.iter().map(|a| a.date).min().unwrap();
            let last = v.iter().map(|a| a.date).max().unwrap();
            (last - first).num_days()
        })
        .unwrap();
    let mut mine = mine.clone();
    mine.sort_by_key(|a| (a.date, a.half_day));
    let (first, last) = (mine[0].clone(), mine[mine.len() - 1].clone());
    assert!(last.date > first.date + Duration::days(1), "{mine:?}");
    let station = ds.station(&first.station_id).unwrap();
    let hm = if first.half_day == zhiban_domain::HalfDay::Am {
        station.am.start.format("%H:%M").to_string()
    } else {
        station.pm.start.format("%H:%M").to_string()
    };
    *clock.lock().unwrap() = Some(start_of(first.date, &hm) - Duration::minutes(10));
    let end_hm = if first.half_day == zhiban_domain::HalfDay::Am {
        station.am.end.format("%H:%M").to_string()
    } else {
        station.pm.end.format("%H:%M").to_string()
    };
    *after_check_in.lock().unwrap() = Some(start_of(first.date, &end_hm) - Duration::minutes(5));
    // A colleague the rules allow to take the last duty.
    let version = duties.items[0].version_id;
    let suggestions = get(
        &router,
        &format!(
            "/api/v1/versions/{version}/suggestions?station_id={}&date={}&half_day={}&role={}&replace={}",
            last.station_id,
            last.date,
            last.half_day.code(),
            last.role.code(),
            last.lawyer_id
        ),
        &coord,
    )
    .await;
    let taker = suggestions
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["valid"] == true)
        .unwrap()["lawyer_id"]
        .as_str()
        .unwrap()
        .to_string();
    let b = base.clone();
    let extra = [
        ("LAT", station.location.lat.to_string()),
        ("LON", station.location.lon.to_string()),
        ("SWAP_TO", taker.clone()),
        ("ADVANCE_FILE", advance_file.display().to_string()),
    ];
    let signin = account(
        &store,
        "13800138000",
        TokenRole::Lawyer,
        None,
        Some(lawyer.as_str()),
    )
    .await;
    let extra: Vec<(&str, String)> = extra.into_iter().chain(signin).collect();
    let found = tokio::task::spawn_blocking(move || browser("lawyer", &b, &extra))
        .await
        .unwrap();
    assert!(
        found["status"].as_str().unwrap().contains("已签到"),
        "{found}"
    );
    assert!(
        !found["status"].as_str().unwrap().contains("迟到"),
        "on time: {found}"
    );
    let month = first.date.format("%Y-%m").to_string();
    let from = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").unwrap();
    let att = store
        .list_attendance(
            &zhiban_domain::CentreId::parse("CH").unwrap(),
            from,
            from + Duration::days(40),
        )
        .await
        .unwrap();
    let rec = att
        .iter()
        .find(|r| r.duty == first)
        .expect("the check-in is stored");
    assert_eq!(
        rec.status,
        zhiban_store::AttendanceStatus::Attended,
        "checked in and out"
    );
    assert!(!rec.outside_geofence);
    let swaps = store
        .list_swaps(
            None,
            Some(lawyer),
            None,
            Page {
                limit: 10,
                offset: 0,
            },
        )
        .await
        .unwrap();
    assert_eq!(swaps.items.len(), 1);
    assert_eq!(swaps.items[0].to_lawyer.as_str(), taker);

    let _ = std::fs::remove_file(&advance_file);
    // Finance, after the month is over.
    let next_month = (from + Duration::days(32)).format("%Y-%m-01").to_string();
    *clock.lock().unwrap() = Some(
        NaiveDate::parse_from_str(&next_month, "%Y-%m-%d")
            .unwrap()
            .and_hms_opt(2, 0, 0)
            .unwrap()
            .and_utc(),
    );
    let b = base.clone();
    let m = month.clone();
    let signin = account(&store, "finance.ch", TokenRole::Finance, Some("CH"), None).await;
    let extra: Vec<(&str, String)> = signin.into_iter().chain([("MONTH", m)]).collect();
    let found = tokio::task::spawn_blocking(move || browser("finance", &b, &extra))
        .await
        .unwrap();
    assert!(found["rows"].as_u64().unwrap() >= 1, "{found}");
    assert!(
        found["files"]["xlsx"]["size"].as_u64().unwrap() > 1000,
        "{found}"
    );
    let locked = store
        .locked_months(&zhiban_domain::CentreId::parse("CH").unwrap())
        .await
        .unwrap();
    assert!(
        locked.iter().any(|l| l.month == month),
        "approved through the page"
    );

    for (file, size) in [
        ("coordinator-1280x800.png", (1280, 800)),
        ("lawyer-390x844.png", (390, 844)),
        ("finance-1280x800.png", (1280, 800)),
    ] {
        assert_eq!(
            png_size(&root().join("target/screenshots").join(file)),
            size,
            "{file}"
        );
    }
    drop(db);
}

/// The variants of a fieldless enum, with a match that stops compiling when the enum gains
/// a variant: list the new one here, and label it in `api/web/js/labels.js`.
macro_rules! every {
    ($ty:ident :: { $($v:ident),* $(,)? }) => {{
        let all = [$($ty::$v),*];
        for x in &all {
            match x {
                $($ty::$v)|* => {}
            }
        }
        all
    }};
}

/// The code `x` is serialized as: the string itself, or its variant's `rule` or `kind` tag.
fn code_of<T: serde::Serialize>(x: &T) -> String {
    let v = serde_json::to_value(x).unwrap();
    v.as_str()
        .or_else(|| v["rule"].as_str())
        .or_else(|| v["kind"].as_str())
        .unwrap()
        .to_string()
}

/// `{code: null}` for each code: any Chinese label will do.
fn any_label(codes: impl IntoIterator<Item = String>) -> Value {
    Value::Object(codes.into_iter().map(|c| (c, Value::Null)).collect())
}

/// Every code the API can return that a person may read, by the table of
/// `api/web/js/labels.js` that labels it: `null`, or the label the server itself gives it
/// (statement lines, whose exports carry it), which the page must repeat.
fn codes() -> Value {
    use serde_json::json;
    use zhiban_domain::account::AccountState;
    use zhiban_domain::attendance::DutyState;
    use zhiban_domain::subsidy::{LineRule, StatementStatus};
    use zhiban_domain::{HalfDay, Role};
    use zhiban_solver::{Busy, UncoveredReason, Violation};
    use zhiban_store::{JobStatus, SwapStatus, VersionStatus};

    let a = zhiban_domain::Assignment {
        date: NaiveDate::from_ymd_opt(2026, 5, 4).unwrap(),
        half_day: HalfDay::Am,
        station_id: zhiban_domain::StationId::parse("CH-S1").unwrap(),
        lawyer_id: zhiban_domain::LawyerId::parse("CH-L01").unwrap(),
        role: Role::Primary,
    };
    let who = || a.lawyer_id.clone();
    let when = || a.date;
    let violations = [
        Violation::NoSuchSlot {
            assignment: a.clone(),
        },
        Violation::UnknownLawyer {
            assignment: a.clone(),
        },
        Violation::NotEligible {
            assignment: a.clone(),
        },
        Violation::Unavailable {
            assignment: a.clone(),
        },
        Violation::OverFilled {
            station: zhiban_domain::StationId::parse("CH-S1").unwrap(),
            date: when(),
            half_day: HalfDay::Am,
            role: Role::Primary,
            assigned: 2,
            posts: 1,
        },
        Violation::DoubleBooked {
            lawyer: who(),
            date: when(),
            half_day: HalfDay::Am,
        },
        Violation::OverLimit {
            lawyer: who(),
            period: zhiban_solver::LimitPeriod::Week,
            key: "2026-W19".into(),
            count: 4,
            limit: 3,
        },
        Violation::TooFarApart {
            lawyer: who(),
            date: when(),
            km: 30.0,
        },
        Violation::PinDropped { assignment: a },
    ];
    for v in &violations {
        // A new rule stops this match compiling: add it to the list above.
        match v {
            Violation::NoSuchSlot { .. }
            | Violation::UnknownLawyer { .. }
            | Violation::NotEligible { .. }
            | Violation::Unavailable { .. }
            | Violation::OverFilled { .. }
            | Violation::DoubleBooked { .. }
            | Violation::OverLimit { .. }
            | Violation::TooFarApart { .. }
            | Violation::PinDropped { .. } => {}
        }
    }
    let reasons = [
        UncoveredReason::NoEligibleLawyer {
            licensed_later: vec![],
        },
        UncoveredReason::EligibleUnavailable { lawyers: vec![] },
        UncoveredReason::EligibleAtLimits { lawyers: vec![] },
    ];
    for r in &reasons {
        // A new reason stops this match compiling: add it to the list above.
        match r {
            UncoveredReason::NoEligibleLawyer { .. }
            | UncoveredReason::EligibleUnavailable { .. }
            | UncoveredReason::EligibleAtLimits { .. } => {}
        }
    }
    let busy = every!(Busy::{SameHalfDay, DayLimit, WeekLimit, MonthLimit, TooFar, Other});
    let lines = every!(LineRule::{
        HalfDay, FullDay, Quality, PleaCase, CrossDistrict, MonthlyCap, Adjustment,
    });
    let roles = every!(Role::{Primary, Backup});
    let accounts =
        every!(TokenRole::{Admin, Director, Coordinator, Finance, FirmAdmin, Lawyer, Station});
    let versions = every!(VersionStatus::{Draft, Published, Superseded});
    let jobs = every!(JobStatus::{Queued, Running, Succeeded, Failed});
    let swaps = every!(SwapStatus::{Offered, Accepted, Approved, Rejected, Cancelled});
    let line_labels: serde_json::Map<String, Value> = lines
        .iter()
        .map(|l| (code_of(l), Value::from(l.label_zh())))
        .collect();
    let attendance = every!(DutyState::{
        Upcoming, CheckedIn, Attended, Excused, NoShow, NeedsApproval, Voided, Standby,
    });
    let statement = every!(StatementStatus::{Open, Locked});
    let account_states = every!(AccountState::{Invited, Active, Locked, Disabled});
    json!({
        "RULES": any_label(violations.iter().map(code_of)),
        "REASONS": any_label(reasons.iter().map(code_of)),
        "BUSY": any_label(busy.iter().map(code_of)),
        "LINE_RULES": line_labels,
        "HALF": any_label(HalfDay::ALL.iter().map(code_of)),
        "ROLE": any_label(roles.iter().map(code_of)),
        "ACCOUNT_ROLES": any_label(accounts.iter().map(code_of)),
        "VERSION_STATUS": any_label(versions.iter().map(code_of)),
        "JOB_STATUS": any_label(jobs.iter().map(code_of)),
        "SWAP_STATUS": any_label(swaps.iter().map(code_of)),
        "ATTENDANCE": any_label(attendance.iter().map(code_of)),
        "STATEMENT_STATUS": any_label(statement.iter().map(code_of)),
        "ACCOUNT_STATE": any_label(account_states.iter().map(code_of)),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_code_the_api_can_return_has_a_chinese_label() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(
            listener,
            zhiban_api::web::router::<()>().into_make_service(),
        )
        .await
        .unwrap();
    });
    let codes = codes();
    let found = tokio::task::spawn_blocking(move || {
        browser("labels", &base, &[("CODES", codes.to_string())])
    })
    .await
    .unwrap();
    assert!(found["checked"].as_u64().unwrap() >= 45, "{found}");
}

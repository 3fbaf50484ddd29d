//! What the store tests share: fixtures, a fresh store, dumps and roster records.

use chrono::NaiveDate;
use std::path::PathBuf;
use std::sync::Arc;
use zhiban_domain::{Dataset, HalfDay, LawyerId};
use zhiban_store::Store;
use zhiban_testkit::{Backend, TestDb};

pub(crate) fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
}

pub(crate) fn fixture(name: &str) -> Dataset {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name);
    zhiban_dataset::read_dir(&dir, today()).unwrap()
}

pub(crate) async fn open(backend: Backend) -> (TestDb, Arc<dyn Store>) {
    let db = TestDb::new(backend).await;
    let store = zhiban_store::connect(&db.url).await.unwrap();
    (db, store)
}

pub(crate) async fn dump(store: &Arc<dyn Store>) -> String {
    zhiban_store::render_dump(&store.dump_tables().await.unwrap())
}

pub(crate) fn normalized(mut ds: Dataset) -> Dataset {
    ds.normalize();
    ds
}

pub(crate) trait ParseId {
    fn parse_id(&self) -> zhiban_domain::CentreId;
}
impl ParseId for &str {
    fn parse_id(&self) -> zhiban_domain::CentreId {
        zhiban_domain::CentreId::parse(self).unwrap()
    }
}

pub(crate) fn audit(action: &str) -> zhiban_store::Audit {
    zhiban_store::Audit {
        actor: "test".into(),
        centre_id: Some(zhiban_domain::CentreId::parse("CH").unwrap()),
        action: action.into(),
        target: String::new(),
        detail: serde_json::json!({}),
    }
}

pub(crate) fn duty(day: u32, lawyer: &str) -> zhiban_domain::Assignment {
    zhiban_domain::Assignment {
        date: NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
        half_day: HalfDay::Am,
        station_id: zhiban_domain::StationId::parse("CH-KSS").unwrap(),
        lawyer_id: LawyerId::parse(lawyer).unwrap(),
        role: zhiban_domain::Role::Primary,
    }
}

pub(crate) fn new_version(
    roster: zhiban_store::RosterRef,
    lawyers: &[&str],
) -> zhiban_store::NewVersion {
    zhiban_store::NewVersion {
        roster,
        based_on: None,
        origin: zhiban_store::VersionOrigin::Solve,
        report: report(lawyers.len() as u32),
        assignments: lawyers
            .iter()
            .enumerate()
            .map(|(i, l)| duty(23 + i as u32, l))
            .collect(),
        pins: Default::default(),
        publish: false,
        created_by: "test".into(),
        now: chrono::Utc::now(),
    }
}

/// A report of a roster filling `filled` posts (not solved by the optimiser).
pub(crate) fn report(filled: u32) -> zhiban_domain::SolveReport {
    zhiban_domain::SolveReport::not_solved(zhiban_domain::report::Evaluation {
        posts_filled: filled,
        ..Default::default()
    })
}

/// An approved statement of `centre` for `month` paying `total_fen`, with no lines.
pub(crate) fn statement(centre: &str, month: &str, total_fen: i64) -> zhiban_store::Statement {
    zhiban_store::Statement {
        schema_version: zhiban_domain::subsidy::STATEMENT_SCHEMA,
        centre_id: zhiban_domain::CentreId::parse(centre).unwrap(),
        month: month.into(),
        status: zhiban_domain::subsidy::StatementStatus::Locked,
        locked_at: Some(chrono::Utc::now()),
        locked_by: Some("finance".into()),
        lines: vec![],
        lawyers: vec![],
        firms: vec![],
        total_fen,
        unpaid: vec![],
        pending: 0,
        pending_claims: vec![],
        pending_fen: 0,
        off_roster: 0,
        corrections: vec![],
    }
}

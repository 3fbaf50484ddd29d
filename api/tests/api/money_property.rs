//! A property of the money, through the real router on both databases: over random
//! sequences of check-ins, ledger claims and confirmations, excuses, corrections, policy
//! changes and approval (with the clock set anywhere, even back into a locked month), the
//! amount of a locked month never changes, and every later change of its facts appears as
//! an adjustment line in the next open month, equal to the change priced at the frozen rate
//! and naming the corrections that made it.
//!
//! The model: a few October duties of different lawyers on different days (so each pays a
//! plain half-day of 19,500 fen, plus its confirmed plea agreements at the rate of the policy
//! in force on its day). Policy versions change only the plea rate.

use axum::http::{Method, StatusCode};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use zhiban_store::TokenRole;

use crate::helpers::*;

const HALF_DAY: i64 = 19_500;

#[derive(Debug, Clone)]
enum Op {
    /// Check the duty's lawyer in and out (at the duty's time).
    Attend(usize),
    /// The lawyer claims plea agreements.
    Claim(usize, u32),
    /// The coordinator confirms the duty's claim.
    Confirm(usize),
    /// The coordinator excuses the duty (after it).
    Excuse(usize),
    /// A correction: counts, void, or a plea count.
    Correct(usize, u8, u32),
    /// A policy version from day `d` of 2026 (1..=365) with plea rate `fen`.
    Policy(u32, i64),
    /// Finance approves October.
    Approve,
}

fn op() -> impl Strategy<Value = Op> {
    let i = 0usize..4;
    prop_oneof![
        i.clone().prop_map(Op::Attend),
        (i.clone(), 0u32..4).prop_map(|(i, n)| Op::Claim(i, n)),
        i.clone().prop_map(Op::Confirm),
        i.clone().prop_map(Op::Excuse),
        (i, 0u8..3, 0u32..4).prop_map(|(i, k, n)| Op::Correct(i, k, n)),
        (1u32..366, 1_000i64..9_000).prop_map(|(d, f)| Op::Policy(d, f)),
        Just(Op::Approve),
    ]
}

/// The model of one duty's paying facts.
#[derive(Debug, Clone, Default)]
struct Facts {
    counts: bool,
    has_record: bool,
    claimed: u32,
    confirmed: u32,
}

struct World {
    t: TestApp,
    coord: String,
    finance: String,
    duties: Vec<Value>,
    lawyers: Vec<String>,
    facts: Vec<Facts>,
    /// Policy versions: effective day -> plea rate.
    policies: BTreeMap<chrono::NaiveDate, i64>,
    /// October's approved total, and the policies frozen then.
    locked: Option<(i64, BTreeMap<chrono::NaiveDate, i64>)>,
}

fn rate_on(p: &BTreeMap<chrono::NaiveDate, i64>, d: chrono::NaiveDate) -> i64 {
    p.range(..=d).next_back().map_or(0, |(_, r)| *r)
}

impl World {
    async fn new(backend: Backend) -> Self {
        let t = TestApp::on(backend, "small").await;
        let coord = t.token(TokenRole::Coordinator, Some("CH"), None).await;
        let finance = t.token(TokenRole::Finance, Some("CH"), None).await;
        t.set_time(Some(local("2026-10-01", "08:00")));
        let v = t.solve_and_publish(&coord, "CH", "2026-10-05", 4).await;
        let all = t.assignments(&coord, v).await;
        // Four primaries of four lawyers on four different days.
        let mut duties: Vec<Value> = vec![];
        for a in all.iter().filter(|a| a["role"] == "primary") {
            if s(&a["date"]).starts_with("2026-10")
                && duties
                    .iter()
                    .all(|d| d["lawyer_id"] != a["lawyer_id"] && d["date"] != a["date"])
            {
                duties.push(a.clone());
            }
        }
        duties.truncate(4);
        assert_eq!(duties.len(), 4);
        let mut lawyers = vec![];
        for d in &duties {
            lawyers.push(
                t.token(TokenRole::Lawyer, None, Some(&s(&d["lawyer_id"])))
                    .await,
            );
        }
        let day = |m, d| chrono::NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        Self {
            t,
            coord,
            finance,
            duties,
            lawyers,
            facts: vec![Facts::default(); 4],
            policies: [(day(1, 1), 5_000)].into_iter().collect(),
            locked: None,
        }
    }

    fn date(&self, i: usize) -> chrono::NaiveDate {
        chrono::NaiveDate::parse_from_str(&s(&self.duties[i]["date"]), "%Y-%m-%d").unwrap()
    }

    fn hours(&self, i: usize) -> (&'static str, &'static str) {
        let (_, start, end) = small_hours(&self.duties[i]);
        (start, end)
    }

    fn duty(&self, i: usize, extra: Value) -> Value {
        with_duty(&self.duties[i], extra)
    }

    /// What October pays under `policies` for the model's facts.
    fn price(&self, policies: &BTreeMap<chrono::NaiveDate, i64>) -> i64 {
        (0..4)
            .filter(|i| self.facts[*i].counts)
            .map(|i| {
                HALF_DAY + i64::from(self.facts[i].confirmed) * rate_on(policies, self.date(i))
            })
            .sum()
    }

    async fn apply(&mut self, op: &Op) {
        let open = self.locked.is_none();
        let after_october = local("2026-11-02", "10:00");
        match *op {
            Op::Attend(i) => {
                if self.facts[i].has_record {
                    return;
                }
                let (start, end) = self.hours(i);
                let date = s(&self.duties[i]["date"]);
                // The clock goes back to the duty, even when October is locked.
                self.t.set_time(Some(local(&date, &add_minutes(start, -5))));
                let station = match self.duties[i]["station_id"].as_str().unwrap() {
                    "CH-KSS" => (23.4905, 113.5062),
                    "CH-FY" => (23.5491, 113.5868),
                    _ => (23.5552, 113.5931),
                };
                let r = self
                    .t
                    .post(
                        "/api/v1/checkins",
                        &self.lawyers[i],
                        self.duty(i, json!({"lat": station.0, "lon": station.1})),
                    )
                    .await;
                if !open {
                    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
                } else {
                    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
                    let id = r.body["id"].as_i64().unwrap();
                    self.t.set_time(Some(local(&date, end)));
                    let r = self
                        .t
                        .post(
                            &format!("/api/v1/checkins/{id}/checkout"),
                            &self.lawyers[i],
                            json!({}),
                        )
                        .await;
                    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
                    self.facts[i].counts = true;
                    self.facts[i].has_record = true;
                }
            }
            Op::Claim(i, n) => {
                self.t
                    .set_time(Some(local(&s(&self.duties[i]["date"]), "18:00")));
                let r = self
                    .t
                    .call(
                        Method::PUT,
                        "/api/v1/ledger",
                        &self.lawyers[i],
                        Some(self.duty(i, json!({"consultations": 1, "plea_signings": n}))),
                    )
                    .await;
                if open {
                    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
                    self.facts[i].claimed = n;
                } else {
                    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
                }
            }
            Op::Confirm(i) => {
                let key = self.duty(
                    i,
                    json!({"lawyer_id": self.duties[i]["lawyer_id"],
                        "plea_signings": self.facts[i].claimed}),
                );
                let r = self
                    .t
                    .post(
                        "/api/v1/ledger/confirm",
                        &self.coord,
                        json!({"centre_id": "CH", "duties": [key]}),
                    )
                    .await;
                assert_eq!(r.status, StatusCode::OK, "{}", r.body);
                if open {
                    self.facts[i].confirmed = self.facts[i].claimed;
                } else {
                    assert_eq!(r.body["confirmed"], 0);
                }
            }
            Op::Excuse(i) => {
                self.t
                    .set_time(Some(local(&s(&self.duties[i]["date"]), "18:00")));
                let body = self.duty(
                    i,
                    json!({"lawyer_id": self.duties[i]["lawyer_id"], "reason": "法院休庭"}),
                );
                let r = self
                    .t
                    .post("/api/v1/absences/excuse", &self.coord, body)
                    .await;
                match (open, self.facts[i].has_record) {
                    (true, false) => {
                        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
                        self.facts[i].counts = true;
                        self.facts[i].has_record = true;
                    }
                    _ => assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body),
                }
            }
            Op::Correct(i, kind, n) => {
                self.t.set_time(Some(after_october));
                let what = match kind {
                    0 => json!({"attendance": "counts"}),
                    1 => json!({"attendance": "void"}),
                    _ => json!({"plea_signings": n}),
                };
                let mut body = self.duty(
                    i,
                    json!({"lawyer_id": self.duties[i]["lawyer_id"], "reason": "核实更正"}),
                );
                for (k, x) in what.as_object().unwrap() {
                    body[k] = x.clone();
                }
                let r = self.t.post("/api/v1/corrections", &self.coord, body).await;
                if open {
                    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
                    return;
                }
                assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
                let f = &mut self.facts[i];
                match kind {
                    0 => {
                        f.counts = true;
                        f.has_record = true;
                    }
                    1 => f.counts = false,
                    _ => {
                        f.claimed = n;
                        f.confirmed = n;
                    }
                }
            }
            Op::Policy(day, fen) => {
                let from = chrono::NaiveDate::from_yo_opt(2026, day).unwrap();
                let kinds = json!({"detention_centre": HALF_DAY, "court": HALF_DAY,
                    "procuratorate": HALF_DAY});
                let body = json!({"centre_id": "CH", "effective_from": from,
                    "half_day_fen": kinds, "full_day_fen": {}, "plea_case_fen": fen});
                let r = self
                    .t
                    .call(
                        Method::PUT,
                        "/api/v1/centres/CH/subsidy-policies",
                        &self.finance,
                        Some(body),
                    )
                    .await;
                let next = self
                    .policies
                    .range(from.succ_opt().unwrap()..)
                    .next()
                    .map(|x| *x.0);
                let oct = chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
                let reaches = !open
                    && from <= chrono::NaiveDate::from_ymd_opt(2026, 10, 31).unwrap()
                    && next.is_none_or(|n| n > oct);
                if reaches {
                    assert_eq!(r.status, StatusCode::CONFLICT, "{from}: {}", r.body);
                } else {
                    assert_eq!(r.status, StatusCode::OK, "{from}: {}", r.body);
                    self.policies.insert(from, fen);
                }
            }
            Op::Approve => {
                self.t.set_time(Some(after_october));
                let r = self
                    .t
                    .post(
                        "/api/v1/statements/CH/2026-10/approve",
                        &self.finance,
                        json!({}),
                    )
                    .await;
                if open {
                    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
                    let total = r.body["total_fen"].as_i64().unwrap();
                    assert_eq!(total, self.price(&self.policies), "{}", r.body);
                    self.locked = Some((total, self.policies.clone()));
                } else {
                    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
                }
            }
        }
    }

    /// The invariants, after every step.
    async fn check(&self) {
        let get = |m: &str| {
            let uri = format!("/api/v1/statements/CH/{m}");
            async move { self.t.get(&uri, &self.finance).await.body }
        };
        let oct = get("2026-10").await;
        match &self.locked {
            None => {
                assert_eq!(oct["total_fen"], self.price(&self.policies), "{oct}");
            }
            Some((total, frozen)) => {
                assert_eq!(oct["status"], "locked");
                assert_eq!(oct["total_fen"], *total, "a locked month changed: {oct}");
                let nov = get("2026-11").await;
                let adj: Vec<&Value> = nov["lines"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|l| l["rule"] == "adjustment")
                    .collect();
                let sum: i64 = adj.iter().map(|l| l["amount_fen"].as_i64().unwrap()).sum();
                assert_eq!(sum, self.price(frozen) - total, "{nov}");
                // Every adjustment names corrections finance can read.
                let listed = self
                    .t
                    .get(
                        "/api/v1/corrections?centre_id=CH&month=2026-10",
                        &self.finance,
                    )
                    .await
                    .body;
                for l in adj {
                    let text = s(&l["description"]);
                    assert!(text.contains("更正单 #"), "{l}");
                    for c in nov["corrections"].as_array().unwrap() {
                        assert!(
                            listed
                                .as_array()
                                .unwrap()
                                .iter()
                                .any(|x| x["id"] == c["id"])
                        );
                    }
                }
            }
        }
    }
}

async fn run(backend: Backend, ops: Vec<Op>) {
    let mut w = World::new(backend).await;
    for op in &ops {
        w.apply(op).await;
        w.check().await;
    }
    // At the end October is approved, whatever happened before.
    w.apply(&Op::Approve).await;
    w.check().await;
    w.t.set_time(None);
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, ..ProptestConfig::default() })]

    #[test]
    fn a_locked_month_never_changes_and_later_changes_are_adjustments_on_sqlite(
        ops in prop::collection::vec(op(), 4..14)
    ) {
        runtime().block_on(run(Backend::Sqlite, ops));
    }

    #[test]
    fn a_locked_month_never_changes_and_later_changes_are_adjustments_on_postgres(
        ops in prop::collection::vec(op(), 4..14)
    ) {
        runtime().block_on(run(Backend::Postgres, ops));
    }
}

//! Two rules at solver level: no duty before a lawyer's licence date, and on a make-up
//! working day (调休上班) lawyers' weekly unavailability and wishes follow the weekday it
//! works as.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use zhiban_domain::*;
use zhiban_solver::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn small() -> Dataset {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/small");
    zhiban_dataset::read_dir(&dir, d("2026-11-21")).unwrap()
}

fn solve_checked(problem: &RosterProblem) -> Solved {
    let solved = solve(
        SolveInput {
            problem,
            pins: &[],
            previous: None,
        },
        &SolveSettings::default(),
    )
    .unwrap();
    assert!(check(problem, &solved.roster).is_empty());
    solved
}

#[test]
fn nobody_is_rostered_before_their_licence_date_and_the_report_says_so() {
    // The whole panel is licensed on Wednesday 2026-11-25 (the detention centre needs no
    // years): before, each counted as 0 years of practice and so was eligible there.
    let mut ds = small();
    for l in &mut ds.lawyers {
        l.licence_date = d("2026-11-25");
    }
    let centres: Vec<CentreId> = ds.centres.iter().map(|c| c.id.clone()).collect();
    let problem = RosterProblem::build(&ds, &centres, d("2026-11-23"), 1, vec![]).unwrap();
    let solved = solve_checked(&problem);
    assert!(
        solved
            .roster
            .assignments
            .iter()
            .all(|a| a.date >= d("2026-11-25")),
        "{:?}",
        solved.roster.assignments
    );
    // Wednesday's detention-centre duty is covered; Monday's is short, and says why.
    assert!(
        solved
            .roster
            .assignments
            .iter()
            .any(|a| a.date == d("2026-11-25"))
    );
    let monday = solved
        .report
        .evaluation
        .uncovered
        .iter()
        .find(|u| u.station_id.as_str() == "CH-KSS" && u.date == d("2026-11-23"))
        .unwrap();
    match &monday.reason {
        UncoveredReason::NoEligibleLawyer { licensed_later } => {
            assert!(
                licensed_later.contains(&(LawyerId::parse("CH-L04").unwrap(), d("2026-11-25"))),
                "{licensed_later:?}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn on_a_make_up_saturday_weekly_unavailability_and_wishes_follow_its_weekday() {
    // Saturday 2026-10-10 works as a Friday. The court gets Friday-morning duty that only
    // CH-L01 and CH-L10 can take (juvenile and Cantonese); CH-L01 is on leave that day, and
    // CH-L10 is never available on Friday mornings.
    let mut ds = small();
    let mut row = ds.demand[0].clone();
    row.station_id = StationId::parse("CH-FY").unwrap();
    row.weekday = chrono::Weekday::Fri;
    row.half_day = HalfDay::Am;
    row.lawyers = 1;
    row.backups = 0;
    row.skills = vec!["juvenile".into()];
    row.languages = vec!["yue".into()];
    row.min_years = 0;
    ds.demand.push(row);
    let l01 = LawyerId::parse("CH-L01").unwrap();
    let l10 = LawyerId::parse("CH-L10").unwrap();
    ds.leave.push(Leave {
        lawyer_id: l01.clone(),
        from: d("2026-10-10"),
        to: d("2026-10-10"),
        half_day: None,
        reason: "培训".into(),
    });
    assert!(
        ds.unavailability
            .iter()
            .any(|u| u.lawyer_id == l10 && u.weekday == chrono::Weekday::Fri)
    );
    let centres: Vec<CentreId> = ds.centres.iter().map(|c| c.id.clone()).collect();
    let problem = RosterProblem::build(&ds, &centres, d("2026-10-05"), 1, vec![]).unwrap();
    let solved = solve_checked(&problem);
    let saturday = |a: &&Assignment| a.date == d("2026-10-10") && a.station_id.as_str() == "CH-FY";
    assert!(
        !solved
            .roster
            .assignments
            .iter()
            .filter(saturday)
            .any(|a| a.lawyer_id == l10),
        "CH-L10 rostered on a make-up Friday morning: {:?}",
        solved.roster.assignments
    );
    let u = solved
        .report
        .evaluation
        .uncovered
        .iter()
        .find(|u| u.station_id.as_str() == "CH-FY" && u.date == d("2026-10-10"))
        .unwrap();
    assert_eq!(
        u.reason,
        UncoveredReason::EligibleUnavailable {
            lawyers: vec![l01.clone(), l10.clone()]
        }
    );

    // Wishes: with CH-L01 back and wishing for Fridays, a make-up Saturday meets the wish.
    let mut ds2 = ds.clone();
    ds2.leave.retain(|v| v.lawyer_id != l01);
    ds2.preferences.push(Preference {
        lawyer_id: l01.clone(),
        target: PreferenceTarget::PreferWeekday(chrono::Weekday::Fri),
    });
    let problem = RosterProblem::build(&ds2, &centres, d("2026-10-05"), 1, vec![]).unwrap();
    let solved = solve_checked(&problem);
    let on_saturday: Vec<&Assignment> = solved.roster.assignments.iter().filter(saturday).collect();
    assert_eq!(on_saturday.len(), 1);
    assert_eq!(on_saturday[0].lawyer_id, l01);
    let only = Roster::new(on_saturday.into_iter().cloned());
    let r = build_report(&problem, &only, None, &Weights::default());
    assert_eq!(
        r.evaluation.components.preference, 0.0,
        "{:?}",
        r.evaluation.components
    );
}

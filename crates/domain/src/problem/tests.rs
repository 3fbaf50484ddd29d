//! Building problems: slots, eligibility, availability, wishes and history.

use super::*;
use crate::testkit::{d, dataset};

fn ids(p: &RosterProblem, slot: &Slot) -> Vec<String> {
    slot.eligible
        .iter()
        .map(|&i| p.lawyers[i].id.to_string())
        .collect()
}

fn c(id: &str) -> CentreId {
    CentreId::parse(id).unwrap()
}

#[test]
fn slots_follow_the_weekly_pattern_on_working_days() {
    // Mon 2026-11-23 .. Sun 2026-11-29: an ordinary week.
    let p = RosterProblem::build(&dataset(), &[c("C1")], d("2026-11-23"), 1, vec![]).unwrap();
    let summary: Vec<(String, String, HalfDay)> = p
        .slots
        .iter()
        .map(|s| (s.station_id.to_string(), s.date.to_string(), s.half_day))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("S-KSS".into(), "2026-11-23".into(), HalfDay::Am),
            ("S-COURT".into(), "2026-11-23".into(), HalfDay::Am),
            ("S-COURT".into(), "2026-11-25".into(), HalfDay::Am),
            ("S-KSS".into(), "2026-11-26".into(), HalfDay::Pm),
            ("S-COURT".into(), "2026-11-27".into(), HalfDay::Pm),
            ("S-KSS".into(), "2026-11-28".into(), HalfDay::Am),
        ]
    );
    assert_eq!(p.demanded_posts(), 7);
    let first = &p.slots[0];
    assert_eq!(first.start.to_rfc3339(), "2026-11-23T01:00:00+00:00");
    assert_eq!(first.end.to_rfc3339(), "2026-11-23T04:00:00+00:00");
}

#[test]
fn holidays_close_courts_but_not_holiday_duty_detention_centres() {
    // Mon 2026-10-05 is a National Day holiday; Sat 2026-10-10 works as a Friday.
    let p = RosterProblem::build(&dataset(), &[c("C1")], d("2026-10-05"), 1, vec![]).unwrap();
    let on = |date: &str| -> Vec<String> {
        p.slots
            .iter()
            .filter(|s| s.date == d(date))
            .map(|s| format!("{}/{}", s.station_id, s.half_day))
            .collect()
    };
    assert_eq!(
        on("2026-10-05"),
        vec!["S-KSS/am"],
        "detention centre keeps its Monday duty"
    );
    assert!(
        p.slots
            .iter()
            .find(|s| s.date == d("2026-10-05"))
            .unwrap()
            .holiday
    );
    assert!(
        on("2026-10-07").is_empty(),
        "court closed on a holiday Wednesday"
    );
    assert_eq!(
        on("2026-10-10"),
        vec!["S-KSS/am", "S-COURT/pm"],
        "make-up Saturday works as Friday"
    );
}

#[test]
fn eligibility_applies_pool_years_skills_languages_contracts_and_active_flag() {
    let p =
        RosterProblem::build(&dataset(), &[c("C0"), c("C1")], d("2026-11-23"), 1, vec![]).unwrap();
    let slot = |station: &str, date: &str| {
        p.slots
            .iter()
            .find(|s| s.station_id.as_str() == station && s.date == d(date))
            .unwrap()
    };
    // C1 shares with C2 (siblings that share), not with C3 or the city C0. L5 is inactive.
    assert_eq!(
        ids(&p, slot("S-KSS", "2026-11-23")),
        vec!["L1", "L2", "L4", "L6"]
    );
    // The court needs 3 years: L4 (licensed 2025) is out.
    assert_eq!(
        ids(&p, slot("S-COURT", "2026-11-23")),
        vec!["L1", "L2", "L6"]
    );
    // Wednesday's juvenile half-day needs the skill (and overrides no station minimum: 3 years stays).
    assert!(ids(&p, slot("S-COURT", "2026-11-25")).is_empty());
    // Thursday PM at the detention centre needs Cantonese.
    assert_eq!(ids(&p, slot("S-KSS", "2026-11-26")), vec!["L6"]);
    // The city court is staffed only by its contracted firm F0.
    assert_eq!(ids(&p, slot("S-CITY", "2026-11-24")), vec!["L0"]);
}

#[test]
fn weekly_unavailability_and_leave_mark_half_days_unavailable() {
    let p = RosterProblem::build(&dataset(), &[c("C1")], d("2026-10-05"), 1, vec![]).unwrap();
    let l1 = p.lawyers.iter().find(|l| l.id.as_str() == "L1").unwrap();
    assert!(!l1.is_available(d("2026-10-05"), HalfDay::Am));
    assert!(l1.is_available(d("2026-10-05"), HalfDay::Pm));
    let l2 = p.lawyers.iter().find(|l| l.id.as_str() == "L2").unwrap();
    assert!(!l2.is_available(d("2026-10-08"), HalfDay::Pm));
    assert!(!l2.is_available(d("2026-10-09"), HalfDay::Am));
    assert!(l2.is_available(d("2026-10-10"), HalfDay::Am));
    let kss = StationId::parse("S-KSS").unwrap();
    assert_eq!(l2.unmet_wishes(&kss, Weekday::Mon), 1);
    assert_eq!(
        l2.unmet_wishes(&StationId::parse("S-COURT").unwrap(), Weekday::Mon),
        0
    );
}

#[test]
fn history_outside_the_window_is_dropped() {
    let past = |date: &str| PastDuty {
        lawyer_id: LawyerId::parse("L1").unwrap(),
        station_id: StationId::parse("S-KSS").unwrap(),
        date: d(date),
        half_day: HalfDay::Am,
    };
    let history = vec![past("2026-08-01"), past("2026-11-16"), past("2026-11-23")];
    let p = RosterProblem::build(&dataset(), &[c("C1")], d("2026-11-23"), 1, history).unwrap();
    assert_eq!(p.history, vec![past("2026-11-16")]);
}

#[test]
fn unknown_centres_and_bad_periods_are_errors() {
    let ds = dataset();
    assert!(matches!(
        RosterProblem::build(&ds, &[c("ZZ")], d("2026-11-23"), 1, vec![]),
        Err(ProblemError::UnknownCentre(_))
    ));
    assert!(matches!(
        RosterProblem::build(&ds, &[c("C1")], d("2026-11-23"), 0, vec![]),
        Err(ProblemError::BadPeriod(_))
    ));
}

#[test]
fn firm_panel_sizes_count_active_lawyers() {
    let p = RosterProblem::build(&dataset(), &[c("C1")], d("2026-11-23"), 1, vec![]).unwrap();
    assert_eq!(
        p.firm_panel_sizes.get(&FirmId::parse("F1").unwrap()),
        Some(&3)
    );
    assert_eq!(
        p.firm_panel_sizes.get(&FirmId::parse("F2").unwrap()),
        Some(&1)
    );
}

#[test]
fn a_lawyer_is_not_eligible_before_the_licence_date_even_where_no_years_are_needed() {
    let mut ds = dataset();
    // L7 is licensed on Wednesday 2026-11-25; the detention centre needs no years.
    ds.lawyers
        .push(crate::testkit::lawyer("L7", "F1", "C1", "2026-11-25"));
    let p = RosterProblem::build(&ds, &[c("C1")], d("2026-11-23"), 1, vec![]).unwrap();
    let slot = |station: &str, date: &str| {
        p.slots
            .iter()
            .find(|s| s.station_id.as_str() == station && s.date == d(date))
            .unwrap()
    };
    let monday = slot("S-KSS", "2026-11-23");
    assert!(!ids(&p, monday).contains(&"L7".to_string()));
    assert_eq!(
        monday.licensed_later,
        vec![(LawyerId::parse("L7").unwrap(), d("2026-11-25"))]
    );
    // From the licence date on, the lawyer is eligible.
    let saturday = slot("S-KSS", "2026-11-28");
    assert!(ids(&p, saturday).contains(&"L7".to_string()));
    assert!(saturday.licensed_later.is_empty());
    // Only lawyers who meet every other rule are named: L7 speaks no Cantonese.
    assert!(slot("S-KSS", "2026-11-26").licensed_later.is_empty());
}

#[test]
fn on_a_make_up_day_weekly_unavailability_and_wishes_follow_the_weekday_it_works_as() {
    // Saturday 2026-10-10 works as a Friday.
    let mut ds = dataset();
    let l6 = LawyerId::parse("L6").unwrap();
    ds.unavailability.push(crate::WeeklyUnavailability {
        lawyer_id: l6.clone(),
        weekday: Weekday::Fri,
        half_day: HalfDay::Pm,
    });
    ds.unavailability.push(crate::WeeklyUnavailability {
        lawyer_id: l6.clone(),
        weekday: Weekday::Sat,
        half_day: HalfDay::Am,
    });
    ds.preferences.push(crate::Preference {
        lawyer_id: l6.clone(),
        target: PreferenceTarget::PreferWeekday(Weekday::Fri),
    });
    let p = RosterProblem::build(&ds, &[c("C1")], d("2026-10-05"), 1, vec![]).unwrap();
    let (li, law) = p
        .lawyers
        .iter()
        .enumerate()
        .find(|(_, l)| l.id == l6)
        .unwrap();
    // Friday's unavailability holds on the make-up Saturday, Saturday's does not.
    assert!(!law.is_available(d("2026-10-09"), HalfDay::Pm));
    assert!(!law.is_available(d("2026-10-10"), HalfDay::Pm));
    assert!(law.is_available(d("2026-10-10"), HalfDay::Am));
    // A wish for Fridays is met by the make-up Saturday's duties.
    let sat: Vec<usize> = (0..p.slots.len())
        .filter(|&s| p.slots[s].date == d("2026-10-10"))
        .collect();
    assert!(!sat.is_empty());
    for s in sat {
        assert_eq!(p.slots[s].weekday, Weekday::Fri);
        assert_eq!(p.unmet_wishes(li, s), 0, "{:?}", p.slots[s]);
    }
    // An ordinary Saturday keeps its own weekday, and so do its rules.
    let q = RosterProblem::build(&ds, &[c("C1")], d("2026-11-23"), 1, vec![]).unwrap();
    let (qi, qlaw) = q
        .lawyers
        .iter()
        .enumerate()
        .find(|(_, l)| l.id == l6)
        .unwrap();
    assert!(!qlaw.is_available(d("2026-11-28"), HalfDay::Am));
    let s = q
        .slots
        .iter()
        .position(|s| s.date == d("2026-11-28"))
        .unwrap();
    assert_eq!(q.slots[s].weekday, Weekday::Sat);
    assert_eq!(q.unmet_wishes(qi, s), 1);
}

#[test]
fn leave_asked_and_not_decided_is_a_weighty_wish_on_its_half_days_only() {
    let mut p = RosterProblem::build(&dataset(), &[c("C1")], d("2026-11-23"), 1, vec![]).unwrap();
    let (li, id) = (0, p.lawyers[0].id.clone());
    let base: Vec<u32> = (0..p.slots.len()).map(|s| p.unmet_wishes(li, s)).collect();
    let unavailable = p.lawyers[0].unavailable.clone();
    // From the Sunday before the period to its Tuesday, mornings only; an unknown lawyer is
    // left alone.
    p.ask_leave(&id, d("2026-11-22"), d("2026-11-24"), Some(HalfDay::Am));
    p.ask_leave(
        &LawyerId::parse("NOBODY").unwrap(),
        d("2026-11-23"),
        d("2026-11-29"),
        None,
    );
    let asked: BTreeSet<(NaiveDate, HalfDay)> = [
        (d("2026-11-23"), HalfDay::Am),
        (d("2026-11-24"), HalfDay::Am),
    ]
    .into();
    assert_eq!(p.lawyers[0].leave_asked, asked);
    for (s, slot) in p.slots.iter().enumerate() {
        let extra = if asked.contains(&(slot.date, slot.half_day)) {
            LEAVE_ASKED_WEIGHT
        } else {
            0
        };
        assert_eq!(p.unmet_wishes(li, s), base[s] + extra, "{slot:?}");
    }
    // Asked leave is not unavailability: the lawyer may still be rostered there.
    assert_eq!(p.lawyers[0].unavailable, unavailable);
    // Both half-days when none is named, up to the period's end.
    p.ask_leave(&id, d("2026-11-29"), d("2026-12-31"), None);
    assert!(
        p.lawyers[0]
            .leave_asked
            .contains(&(d("2026-11-29"), HalfDay::Pm))
    );
    assert!(
        !p.lawyers[0]
            .leave_asked
            .contains(&(d("2026-11-30"), HalfDay::Am))
    );
}

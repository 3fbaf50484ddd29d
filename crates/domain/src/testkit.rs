//! A tiny data set built in code, for unit tests.

use crate::*;
use chrono::{NaiveDate, Weekday};

pub(crate) fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn t(s: &str) -> chrono::NaiveTime {
    parse_time(s).unwrap()
}

pub(crate) fn station(id: &str, centre: &str, kind: StationKind) -> Station {
    Station {
        id: StationId::parse(id).unwrap(),
        centre_id: CentreId::parse(centre).unwrap(),
        name: format!("{id}工作站"),
        kind,
        address: "某路1号".into(),
        phone: "020-12345678".into(),
        location: Coordinates::new(23.13, 113.26).unwrap(),
        geofence_m: 200,
        am: HalfDayTemplate::new(t("09:00"), t("12:00")).unwrap(),
        pm: HalfDayTemplate::new(t("14:00"), t("17:00")).unwrap(),
        min_years: 0,
        skills: vec![],
        contracted_firms: vec![],
        holiday_duty: kind == StationKind::DetentionCentre,
        priority: Station::default_priority(kind),
    }
}

pub(crate) fn lawyer(id: &str, firm: &str, centre: &str, licence: &str) -> Lawyer {
    Lawyer {
        id: LawyerId::parse(id).unwrap(),
        name: format!("律师{id}"),
        phone: "13800138000".into(),
        email: String::new(),
        firm_id: FirmId::parse(firm).unwrap(),
        home_centre_id: CentreId::parse(centre).unwrap(),
        licence_date: d(licence),
        skills: vec![],
        languages: vec![],
        limits: Limits {
            per_day: 1,
            per_week: 3,
            per_month: 8,
        },
        base: Coordinates::new(23.12, 113.27).unwrap(),
        active: true,
    }
}

pub(crate) fn demand(
    station: &str,
    weekday: Weekday,
    half_day: HalfDay,
    lawyers: u32,
) -> DemandRule {
    DemandRule {
        station_id: StationId::parse(station).unwrap(),
        weekday,
        half_day,
        lawyers,
        backups: 0,
        skills: vec![],
        languages: vec![],
        min_years: 0,
    }
}

/// A city (C0) with two districts (C1, C2) that share their pool and one (C3) that does not.
pub(crate) fn dataset() -> Dataset {
    let centre = |id: &str, parent: Option<&str>, shares: bool| Centre {
        id: CentreId::parse(id).unwrap(),
        name: format!("{id}法律援助中心"),
        parent_id: parent.map(|p| CentreId::parse(p).unwrap()),
        time_zone: DEFAULT_TIME_ZONE,
        shares_pool: shares,
    };
    let firm = |id: &str, c: &str| Firm {
        id: FirmId::parse(id).unwrap(),
        name: format!("{id}律师事务所"),
        centre_id: CentreId::parse(c).unwrap(),
    };
    let mut court = station("S-COURT", "C1", StationKind::Court);
    court.min_years = 3;
    let mut city_court = station("S-CITY", "C0", StationKind::Court);
    city_court.contracted_firms = vec![FirmId::parse("F0").unwrap()];
    let mut l4 = lawyer("L4", "F1", "C1", "2025-01-01");
    l4.skills = vec!["juvenile".into()];
    let mut l5 = lawyer("L5", "F1", "C1", "2010-01-01");
    l5.active = false;
    let mut l6 = lawyer("L6", "F1", "C1", "2012-05-01");
    l6.languages = vec!["yue".into()];
    let mut juvenile = demand("S-COURT", Weekday::Wed, HalfDay::Am, 1);
    juvenile.skills = vec!["juvenile".into()];
    juvenile.min_years = 0;
    let mut cantonese = demand("S-KSS", Weekday::Thu, HalfDay::Pm, 1);
    cantonese.languages = vec!["yue".into()];
    Dataset {
        settings: Settings {
            name: "unit".into(),
            description: String::new(),
            rules: RuleSettings::default(),
            subsidy: vec![],
            labels: Default::default(),
        },
        centres: vec![
            centre("C0", None, false),
            centre("C1", Some("C0"), true),
            centre("C2", Some("C0"), true),
            centre("C3", Some("C0"), false),
        ],
        firms: vec![
            firm("F0", "C0"),
            firm("F1", "C1"),
            firm("F2", "C2"),
            firm("F3", "C3"),
        ],
        stations: vec![
            station("S-KSS", "C1", StationKind::DetentionCentre),
            court,
            city_court,
        ],
        demand: vec![
            demand("S-KSS", Weekday::Mon, HalfDay::Am, 2),
            demand("S-KSS", Weekday::Sat, HalfDay::Am, 1),
            cantonese,
            demand("S-COURT", Weekday::Mon, HalfDay::Am, 1),
            demand("S-COURT", Weekday::Fri, HalfDay::Pm, 1),
            juvenile,
            demand("S-CITY", Weekday::Tue, HalfDay::Am, 1),
        ],
        lawyers: vec![
            lawyer("L0", "F0", "C0", "2015-01-01"),
            lawyer("L1", "F1", "C1", "2015-01-01"),
            lawyer("L2", "F2", "C2", "2015-01-01"),
            lawyer("L3", "F3", "C3", "2015-01-01"),
            l4,
            l5,
            l6,
        ],
        unavailability: vec![WeeklyUnavailability {
            lawyer_id: LawyerId::parse("L1").unwrap(),
            weekday: Weekday::Mon,
            half_day: HalfDay::Am,
        }],
        leave: vec![Leave {
            lawyer_id: LawyerId::parse("L2").unwrap(),
            from: d("2026-10-08"),
            to: d("2026-10-09"),
            half_day: None,
            reason: "年假".into(),
        }],
        preferences: vec![Preference {
            lawyer_id: LawyerId::parse("L2").unwrap(),
            target: PreferenceTarget::AvoidStation(StationId::parse("S-KSS").unwrap()),
        }],
        calendar: WorkingCalendar::cn_2026(),
    }
}

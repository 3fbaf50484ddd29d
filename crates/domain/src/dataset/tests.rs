//! Whole-dataset validation: the cross-table checks of [`super::Dataset::validate`].

use super::*;
use crate::testkit::{d, dataset};

fn check(ds: &Dataset) -> DatasetError {
    ds.validate(d("2026-11-21")).unwrap_err()
}

#[test]
fn the_unit_data_set_is_valid() {
    dataset().validate(d("2026-11-21")).unwrap();
}

#[test]
fn a_lawyer_of_an_unknown_firm_names_table_position_and_field() {
    let mut ds = dataset();
    ds.lawyers[3].firm_id = FirmId::parse("NOPE").unwrap();
    let e = check(&ds);
    assert_eq!((e.table, e.index), (Table::Lawyers, 3));
    assert_eq!(e.error.field, "firm_id");
    assert!(e.to_string().contains("lawyer L3"), "{e}");
    assert!(e.to_string().contains("NOPE"), "{e}");
}

#[test]
fn duplicate_ids_are_rejected() {
    let mut ds = dataset();
    ds.stations[2].id = StationId::parse("S-KSS").unwrap();
    let e = check(&ds);
    assert_eq!(
        (e.table, e.index, e.error.field.as_str()),
        (Table::Stations, 2, "id")
    );
}

#[test]
fn a_parent_cycle_is_rejected() {
    let mut ds = dataset();
    ds.centres[0].parent_id = Some(CentreId::parse("C1").unwrap());
    let e = check(&ds);
    assert_eq!(
        (e.table, e.error.field.as_str()),
        (Table::Centres, "parent_id")
    );
    assert!(e.error.message.contains("loops"));
}

#[test]
fn demand_for_an_unknown_station_or_listed_twice_is_rejected() {
    let mut ds = dataset();
    ds.demand[1].station_id = StationId::parse("S-X").unwrap();
    assert_eq!(check(&ds).error.field, "station_id");
    let mut ds = dataset();
    let dup = ds.demand[0].clone();
    ds.demand.push(dup);
    let e = check(&ds);
    assert_eq!((e.table, e.index), (Table::Demand, 7));
}

#[test]
fn contracted_firms_must_exist() {
    let mut ds = dataset();
    ds.stations[2]
        .contracted_firms
        .push(FirmId::parse("F9").unwrap());
    let e = check(&ds);
    assert_eq!(
        (e.table, e.error.field.as_str()),
        (Table::Stations, "contracted_firms")
    );
}

#[test]
fn contradictory_preferences_are_rejected() {
    let mut ds = dataset();
    ds.preferences.push(Preference {
        lawyer_id: LawyerId::parse("L2").unwrap(),
        target: PreferenceTarget::PreferStation(StationId::parse("S-KSS").unwrap()),
    });
    let e = check(&ds);
    assert_eq!(
        (e.table, e.index, e.error.field.as_str()),
        (Table::Preferences, 1, "kind")
    );
}

#[test]
fn leave_for_an_unknown_lawyer_is_rejected() {
    let mut ds = dataset();
    ds.leave[0].lawyer_id = LawyerId::parse("L99").unwrap();
    assert_eq!(check(&ds).error.field, "lawyer_id");
}

#[test]
fn normalize_makes_order_irrelevant() {
    let mut a = dataset();
    let mut b = dataset();
    b.lawyers.reverse();
    b.demand.reverse();
    b.firms.reverse();
    a.normalize();
    b.normalize();
    assert_eq!(a, b);
}

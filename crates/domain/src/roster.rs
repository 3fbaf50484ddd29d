//! Rosters: who is on duty where, how two rosters differ, and a coordinator's edits of a
//! draft ([`Roster::apply`]).

use crate::{HalfDay, LawyerId, RosterProblem, StationId};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::ops::RangeInclusive;

/// Primary post or named backup (AB岗).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// On duty.
    Primary,
    /// Named backup, comes if the primary cannot.
    Backup,
}

impl Role {
    /// `primary` or `backup`.
    pub fn code(self) -> &'static str {
        match self {
            Role::Primary => "primary",
            Role::Backup => "backup",
        }
    }

    /// Parses `primary` or `backup`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "primary" => Ok(Role::Primary),
            "backup" => Ok(Role::Backup),
            other => Err(format!("expected `primary` or `backup`, got {other:?}")),
        }
    }

    /// The Chinese label: 值班 or 备岗.
    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Primary => "值班",
            Role::Backup => "备岗",
        }
    }
}

/// One lawyer on one half-day at one station.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct Assignment {
    /// Local date.
    pub date: NaiveDate,
    /// Half-day.
    pub half_day: HalfDay,
    /// Station.
    pub station_id: StationId,
    /// Lawyer.
    pub lawyer_id: LawyerId,
    /// Primary or backup.
    pub role: Role,
}

impl Assignment {
    /// The index of this assignment's slot in `problem`, if it has one.
    pub fn slot_in(&self, problem: &RosterProblem) -> Option<usize> {
        problem.slots.iter().position(|s| {
            s.date == self.date && s.half_day == self.half_day && s.station_id == self.station_id
        })
    }
}

/// A roster: a set of assignments, kept sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Roster {
    /// Assignments, sorted by date, half-day, station, lawyer.
    pub assignments: Vec<Assignment>,
}

impl Roster {
    /// A roster from assignments in any order (duplicates dropped).
    pub fn new(assignments: impl IntoIterator<Item = Assignment>) -> Self {
        let set: BTreeSet<Assignment> = assignments.into_iter().collect();
        Self {
            assignments: set.into_iter().collect(),
        }
    }

    /// Primary posts filled.
    pub fn primaries(&self) -> usize {
        self.assignments
            .iter()
            .filter(|a| a.role == Role::Primary)
            .count()
    }
}

/// One change a coordinator makes to a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// Put the lawyer on the slot.
    Assign(Assignment),
    /// Take the lawyer off the slot (and unpin it).
    Unassign(Assignment),
    /// Keep the assignment in repairs, assigning it if needed.
    Pin(Assignment),
    /// Stop keeping it (it stays assigned).
    Unpin(Assignment),
}

impl Edit {
    /// The assignment the edit is about.
    pub fn assignment(&self) -> &Assignment {
        match self {
            Edit::Assign(a) | Edit::Unassign(a) | Edit::Pin(a) | Edit::Unpin(a) => a,
        }
    }
}

/// Why a list of edits cannot be applied; `index` is the first edit at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The edit's day is outside the roster's period.
    #[error("{date} is outside the roster's period {from} to {to}")]
    OutsidePeriod {
        /// Which edit.
        index: usize,
        /// Its day.
        date: NaiveDate,
        /// The period's first day.
        from: NaiveDate,
        /// The period's last day.
        to: NaiveDate,
    },
    /// Unassigning an assignment the roster does not have.
    #[error(
        "{} is not assigned at {} {} {} as {}",
        .assignment.lawyer_id,
        .assignment.station_id,
        .assignment.date,
        .assignment.half_day,
        .assignment.role.code()
    )]
    NotAssigned {
        /// Which edit.
        index: usize,
        /// What it would take away.
        assignment: Assignment,
    },
}

impl EditError {
    /// The position of the edit at fault in the list.
    pub fn index(&self) -> usize {
        match self {
            EditError::OutsidePeriod { index, .. } | EditError::NotAssigned { index, .. } => *index,
        }
    }
}

/// A roster and its pins after edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edited {
    /// The roster.
    pub roster: Roster,
    /// The pinned assignments.
    pub pins: BTreeSet<Assignment>,
}

impl Roster {
    /// This roster with `pins` after `edits`, in order, all or nothing: every edit's day
    /// must be in `period`, and an unassigned assignment must be there. Assigning twice or
    /// unpinning what is not pinned changes nothing. Whether the result keeps the hard rules
    /// is the solver's checker's question.
    pub fn apply(
        &self,
        edits: &[Edit],
        pins: &BTreeSet<Assignment>,
        period: RangeInclusive<NaiveDate>,
    ) -> Result<Edited, EditError> {
        let mut set: BTreeSet<Assignment> = self.assignments.iter().cloned().collect();
        let mut pins = pins.clone();
        for (index, edit) in edits.iter().enumerate() {
            let a = edit.assignment();
            if !period.contains(&a.date) {
                return Err(EditError::OutsidePeriod {
                    index,
                    date: a.date,
                    from: *period.start(),
                    to: *period.end(),
                });
            }
            match edit {
                Edit::Assign(a) => {
                    set.insert(a.clone());
                }
                Edit::Unassign(a) => {
                    if !set.remove(a) {
                        return Err(EditError::NotAssigned {
                            index,
                            assignment: a.clone(),
                        });
                    }
                    pins.remove(a);
                }
                Edit::Pin(a) => {
                    set.insert(a.clone());
                    pins.insert(a.clone());
                }
                Edit::Unpin(a) => {
                    pins.remove(a);
                }
            }
        }
        Ok(Edited {
            roster: Roster {
                assignments: set.into_iter().collect(),
            },
            pins,
        })
    }
}

/// What changed from one roster to another.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Diff {
    /// In the new roster only.
    pub added: Vec<Assignment>,
    /// In the old roster only.
    pub removed: Vec<Assignment>,
}

impl Diff {
    /// The difference from `old` to `new`.
    pub fn between(old: &Roster, new: &Roster) -> Self {
        let a: BTreeSet<&Assignment> = old.assignments.iter().collect();
        let b: BTreeSet<&Assignment> = new.assignments.iter().collect();
        Self {
            added: b.difference(&a).map(|x| (*x).clone()).collect(),
            removed: a.difference(&b).map(|x| (*x).clone()).collect(),
        }
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::d;

    fn a(lawyer: &str, day: &str) -> Assignment {
        Assignment {
            date: d(day),
            half_day: HalfDay::Am,
            station_id: StationId::parse("S1").unwrap(),
            lawyer_id: LawyerId::parse(lawyer).unwrap(),
            role: Role::Primary,
        }
    }

    fn november() -> RangeInclusive<NaiveDate> {
        d("2026-11-23")..=d("2026-11-29")
    }

    #[test]
    fn assign_unassign_pin_and_unpin_apply_in_order() {
        let r = Roster::new([a("L1", "2026-11-23"), a("L2", "2026-11-24")]);
        let pins = BTreeSet::from([a("L2", "2026-11-24")]);
        let edits = [
            Edit::Assign(a("L3", "2026-11-25")),
            Edit::Unassign(a("L2", "2026-11-24")),
            Edit::Pin(a("L4", "2026-11-26")),
            Edit::Pin(a("L1", "2026-11-23")),
            Edit::Unpin(a("L1", "2026-11-23")),
        ];
        let out = r.apply(&edits, &pins, november()).unwrap();
        assert_eq!(
            out.roster,
            Roster::new([
                a("L1", "2026-11-23"),
                a("L3", "2026-11-25"),
                a("L4", "2026-11-26")
            ])
        );
        assert_eq!(out.pins, BTreeSet::from([a("L4", "2026-11-26")]));
    }

    #[test]
    fn unassigning_what_is_not_there_is_refused_naming_the_edit() {
        let r = Roster::new([a("L1", "2026-11-23")]);
        let edits = [
            Edit::Unassign(a("L1", "2026-11-23")),
            Edit::Unassign(a("L1", "2026-11-23")),
        ];
        let e = r.apply(&edits, &BTreeSet::new(), november()).unwrap_err();
        assert_eq!(e.index(), 1);
        assert_eq!(
            e.to_string(),
            "L1 is not assigned at S1 2026-11-23 am as primary"
        );
    }

    #[test]
    fn an_edit_outside_the_roster_s_period_is_refused_before_it_applies() {
        let r = Roster::new([a("L1", "2026-11-23")]);
        // The second edit is out of the period and would also fail as an unassign: the
        // period is checked first.
        let edits = [
            Edit::Assign(a("L2", "2026-11-29")),
            Edit::Unassign(a("L9", "2026-11-30")),
        ];
        let e = r.apply(&edits, &BTreeSet::new(), november()).unwrap_err();
        assert_eq!(
            e,
            EditError::OutsidePeriod {
                index: 1,
                date: d("2026-11-30"),
                from: d("2026-11-23"),
                to: d("2026-11-29")
            }
        );
        assert_eq!(
            e.to_string(),
            "2026-11-30 is outside the roster's period 2026-11-23 to 2026-11-29"
        );
    }

    #[test]
    fn a_failed_edit_list_leaves_the_roster_as_it_was() {
        let r = Roster::new([a("L1", "2026-11-23")]);
        let before = r.clone();
        let edits = [
            Edit::Assign(a("L2", "2026-11-24")),
            Edit::Unassign(a("L3", "2026-11-24")),
        ];
        assert!(r.apply(&edits, &BTreeSet::new(), november()).is_err());
        assert_eq!(r, before);
    }

    #[test]
    fn assigning_twice_and_unpinning_the_unpinned_change_nothing() {
        let r = Roster::new([a("L1", "2026-11-23")]);
        let edits = [
            Edit::Assign(a("L1", "2026-11-23")),
            Edit::Unpin(a("L1", "2026-11-23")),
        ];
        let out = r.apply(&edits, &BTreeSet::new(), november()).unwrap();
        assert_eq!(out.roster, r);
        assert!(out.pins.is_empty());
    }
}

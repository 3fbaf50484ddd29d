//! Rosters: who is on duty where, and how two rosters differ.

use crate::{HalfDay, LawyerId, RosterProblem, StationId};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

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

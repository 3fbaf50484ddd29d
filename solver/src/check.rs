// Just over the ~600-line sizing rule (602): the full check, the incremental one suggestions use (`Checked::added`, which must match it rule by rule, so it sits beside it) and the spread recount. Moving `spread` to its own file is the split when it next grows.
//! An independent checker of hard rules. It shares no code with the model builder: it reads
//! the problem's data and the roster and recounts everything itself, so a bug in the model
//! shows up here as a violation.

use crate::roster::{Assignment, Role, Roster};
use chrono::Datelike;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::HashMap;
use zhiban_domain::{HalfDay, LawyerId, RosterProblem, StationId};

/// A broken hard rule.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Violation {
    /// The assignment is for a half-day and station with no demand in the period.
    NoSuchSlot {
        /// The assignment.
        assignment: Assignment,
    },
    /// The lawyer is not on the problem's panel.
    UnknownLawyer {
        /// The assignment.
        assignment: Assignment,
    },
    /// Skills, languages, years, pool or contracted firm rule the lawyer out.
    NotEligible {
        /// The assignment.
        assignment: Assignment,
    },
    /// Weekly pattern, leave or an imported busy time rules the lawyer out.
    Unavailable {
        /// The assignment.
        assignment: Assignment,
    },
    /// More lawyers than posts in one role.
    OverFilled {
        /// Station.
        station: StationId,
        /// When.
        date: NaiveDate,
        /// Half-day.
        half_day: HalfDay,
        /// Role.
        role: Role,
        /// Assigned.
        assigned: u32,
        /// Posts.
        posts: u32,
    },
    /// A lawyer in two places (or two roles) on one half-day.
    DoubleBooked {
        /// Lawyer.
        lawyer: LawyerId,
        /// When.
        date: NaiveDate,
        /// Half-day.
        half_day: HalfDay,
    },
    /// Over the per-day, per-week or per-month limit (history included).
    OverLimit {
        /// Lawyer.
        lawyer: LawyerId,
        /// `day`, `week` or `month`.
        period: LimitPeriod,
        /// Which day, week or month.
        key: String,
        /// Duties.
        count: u32,
        /// Limit.
        limit: u32,
    },
    /// AM and PM on one day at stations farther apart than allowed.
    TooFarApart {
        /// Lawyer.
        lawyer: LawyerId,
        /// Day.
        date: NaiveDate,
        /// Distance in km.
        km: f64,
    },
    /// A pinned assignment is missing.
    PinDropped {
        /// The pin.
        assignment: Assignment,
    },
}

/// The period of a duty limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LimitPeriod {
    /// A day.
    Day,
    /// An ISO week.
    Week,
    /// A calendar month.
    Month,
}

/// Every hard rule `roster` breaks in `problem`, in a fixed order: assignments that name no
/// slot or lawyer or break eligibility or availability (in roster order), then over-filled
/// slots, double bookings, limits and distances (each by slot, or by lawyer and date), then
/// dropped pins.
pub fn check(problem: &RosterProblem, roster: &Roster) -> Vec<Violation> {
    check_with_pins(problem, roster, &[])
}

/// Like [`check`], and also that every pin is in the roster.
pub fn check_with_pins(
    problem: &RosterProblem,
    roster: &Roster,
    pins: &[Assignment],
) -> Vec<Violation> {
    Checked::new(problem, roster, pins).found
}

/// A roster checked once, with its counts kept: [`Checked::added`] finds what one more
/// assignment would break without checking the whole roster again (suggestions weigh every
/// eligible lawyer of a slot this way).
pub(crate) struct Checked<'a> {
    problem: &'a RosterProblem,
    counts: Counts,
    /// The roster's violations, as [`check_with_pins`] lists them.
    pub(crate) found: Vec<Violation>,
}

impl<'a> Checked<'a> {
    /// Checks `roster` (with `pins`) against `problem`.
    pub(crate) fn new(problem: &'a RosterProblem, roster: &Roster, pins: &[Assignment]) -> Self {
        let mut out = vec![];
        let counts = Counts::of(problem, roster, &mut out);
        over_filled(problem, &counts.per_slot, &mut out);
        double_booked(&counts.per_half, &mut out);
        over_limits(problem, &counts, &mut out);
        too_far_apart(problem, &counts.per_half, &mut out);
        for pin in pins {
            if !roster.assignments.contains(pin) {
                out.push(Violation::PinDropped {
                    assignment: pin.clone(),
                });
            }
        }
        Checked {
            problem,
            counts,
            found: out,
        }
    }

    /// The violations the roster with lawyer `l` added at slot `slot` in `role` has and
    /// this one has not, in [`check`]'s order: exactly what checking that roster in full
    /// and dropping the violations found here would give (a test holds the two equal).
    pub(crate) fn added(&self, slot: usize, l: usize, role: Role) -> Vec<Violation> {
        let (p, c) = (self.problem, &self.counts);
        let s = &p.slots[slot];
        let lawyer = &p.lawyers[l];
        let a = Assignment {
            date: s.date,
            half_day: s.half_day,
            station_id: s.station_id.clone(),
            lawyer_id: lawyer.id.clone(),
            role,
        };
        let mut out = vec![];
        if !s.eligible.contains(&l) {
            out.push(Violation::NotEligible {
                assignment: a.clone(),
            });
        }
        if lawyer.unavailable.contains(&(s.date, s.half_day)) {
            out.push(Violation::Unavailable { assignment: a });
        }
        let posts = if role == Role::Primary {
            s.lawyers
        } else {
            s.backups
        };
        let assigned = c.per_slot.get(&(slot, role)).copied().unwrap_or(0) + 1;
        if assigned > posts {
            out.push(Violation::OverFilled {
                station: s.station_id.clone(),
                date: s.date,
                half_day: s.half_day,
                role,
                assigned,
                posts,
            });
        }
        let key = (lawyer.id.clone(), s.date, s.half_day);
        if c.per_half.get(&key).is_some_and(|v| !v.is_empty()) {
            out.push(Violation::DoubleBooked {
                lawyer: lawyer.id.clone(),
                date: s.date,
                half_day: s.half_day,
            });
        }
        let (wk, limits) = (s.date.iso_week(), &lawyer.limits);
        let day = c.per_day.get(&(l, s.date)).copied().unwrap_or(0) + 1;
        let week = c.per_week.get(&(l, wk.year(), wk.week()));
        let month = c.per_month.get(&(l, s.date.year(), s.date.month()));
        for (period, count, limit, key) in [
            (LimitPeriod::Day, day, limits.per_day, s.date.to_string()),
            (
                LimitPeriod::Week,
                week.copied().unwrap_or(0) + 1,
                limits.per_week,
                format!("{}-W{:02}", wk.year(), wk.week()),
            ),
            (
                LimitPeriod::Month,
                month.copied().unwrap_or(0) + 1,
                limits.per_month,
                format!("{}-{:02}", s.date.year(), s.date.month()),
            ),
        ] {
            if count > limit {
                out.push(Violation::OverLimit {
                    lawyer: lawyer.id.clone(),
                    period,
                    key,
                    count,
                    limit,
                });
            }
        }
        let other = match s.half_day {
            HalfDay::Am => HalfDay::Pm,
            HalfDay::Pm => HalfDay::Am,
        };
        let max_m = f64::from(p.rules.am_pm_max_distance_km) * 1000.0;
        let here = p.stations[s.station].location;
        for &b in c
            .per_half
            .get(&(lawyer.id.clone(), s.date, other))
            .into_iter()
            .flatten()
        {
            let there = p.stations[p.slots[b].station].location;
            // Measured morning to afternoon, as the full check does.
            let d = if s.half_day == HalfDay::Am {
                here.distance_m(&there)
            } else {
                there.distance_m(&here)
            };
            if d > max_m {
                out.push(Violation::TooFarApart {
                    lawyer: lawyer.id.clone(),
                    date: s.date,
                    km: d / 1000.0,
                });
            }
        }
        out.retain(|v| !self.found.contains(v));
        out
    }
}

/// Half-day key: lawyer, date, half-day.
type HalfKey = (LawyerId, NaiveDate, HalfDay);

/// The roster counted by slot, half-day and period, history included.
struct Counts {
    per_slot: HashMap<(usize, Role), u32>,
    /// The slots of each lawyer's duties on each half-day.
    per_half: HashMap<HalfKey, Vec<usize>>,
    per_day: HashMap<(usize, chrono::NaiveDate), u32>,
    per_week: HashMap<(usize, i32, u32), u32>,
    per_month: HashMap<(usize, i32, u32), u32>,
}

impl Counts {
    /// Counts `roster`, pushing to `out` each assignment that names no slot or lawyer of
    /// the problem, or a lawyer not eligible or unavailable.
    fn of(problem: &RosterProblem, roster: &Roster, out: &mut Vec<Violation>) -> Self {
        let mut c = Counts {
            per_slot: HashMap::new(),
            per_half: HashMap::new(),
            per_day: HashMap::new(),
            per_week: HashMap::new(),
            per_month: HashMap::new(),
        };
        // Indexes, so that a check stays linear in the roster (suggestions run one per
        // candidate).
        let lawyer_at: HashMap<&LawyerId, usize> = problem
            .lawyers
            .iter()
            .enumerate()
            .map(|(i, x)| (&x.id, i))
            .collect();
        let slot_at: HashMap<(&StationId, NaiveDate, HalfDay), usize> = problem
            .slots
            .iter()
            .enumerate()
            .map(|(i, s)| ((&s.station_id, s.date, s.half_day), i))
            .collect();
        for h in &problem.history {
            if let Some(&l) = lawyer_at.get(&h.lawyer_id) {
                let w = h.date.iso_week();
                *c.per_week.entry((l, w.year(), w.week())).or_default() += 1;
                *c.per_month
                    .entry((l, h.date.year(), h.date.month()))
                    .or_default() += 1;
            }
        }
        for a in &roster.assignments {
            let Some(&slot) = slot_at.get(&(&a.station_id, a.date, a.half_day)) else {
                out.push(Violation::NoSuchSlot {
                    assignment: a.clone(),
                });
                continue;
            };
            let Some(&l) = lawyer_at.get(&a.lawyer_id) else {
                out.push(Violation::UnknownLawyer {
                    assignment: a.clone(),
                });
                continue;
            };
            let s = &problem.slots[slot];
            if !s.eligible.contains(&l) {
                out.push(Violation::NotEligible {
                    assignment: a.clone(),
                });
            }
            if problem.lawyers[l]
                .unavailable
                .contains(&(a.date, a.half_day))
            {
                out.push(Violation::Unavailable {
                    assignment: a.clone(),
                });
            }
            *c.per_slot.entry((slot, a.role)).or_default() += 1;
            c.per_half
                .entry((a.lawyer_id.clone(), a.date, a.half_day))
                .or_default()
                .push(slot);
            *c.per_day.entry((l, a.date)).or_default() += 1;
            let w = a.date.iso_week();
            *c.per_week.entry((l, w.year(), w.week())).or_default() += 1;
            *c.per_month
                .entry((l, a.date.year(), a.date.month()))
                .or_default() += 1;
        }
        c
    }
}

/// More lawyers than posts in one role of a slot.
fn over_filled(
    problem: &RosterProblem,
    per_slot: &HashMap<(usize, Role), u32>,
    out: &mut Vec<Violation>,
) {
    let mut over: Vec<_> = per_slot.iter().map(|(k, n)| (*k, *n)).collect();
    over.sort_by_key(|((s, r), _)| (*s, *r));
    for ((slot, role), n) in over {
        let s = &problem.slots[slot];
        let posts = if role == Role::Primary {
            s.lawyers
        } else {
            s.backups
        };
        if n > posts {
            out.push(Violation::OverFilled {
                station: s.station_id.clone(),
                date: s.date,
                half_day: s.half_day,
                role,
                assigned: n,
                posts,
            });
        }
    }
}

/// A lawyer in two places (or two roles) on one half-day.
fn double_booked(per_half: &HashMap<HalfKey, Vec<usize>>, out: &mut Vec<Violation>) {
    let mut halves: Vec<_> = per_half.iter().collect();
    halves.sort_by(|a, b| a.0.cmp(b.0));
    for ((lawyer, date, half), slots) in halves {
        if slots.len() > 1 {
            out.push(Violation::DoubleBooked {
                lawyer: lawyer.clone(),
                date: *date,
                half_day: *half,
            });
        }
    }
}

/// Over the per-day, per-week or per-month limit, history included, in the period; by
/// lawyer, period and day, week or month.
fn over_limits(problem: &RosterProblem, c: &Counts, out: &mut Vec<Violation>) {
    let mut found = Vec::new();
    let weeks: std::collections::HashSet<(i32, u32)> = problem
        .slots
        .iter()
        .map(|s| (s.date.iso_week().year(), s.date.iso_week().week()))
        .collect();
    let months: std::collections::HashSet<(i32, u32)> = problem
        .slots
        .iter()
        .map(|s| (s.date.year(), s.date.month()))
        .collect();
    for ((l, date), n) in &c.per_day {
        let limit = problem.lawyers[*l].limits.per_day;
        if *n > limit {
            found.push(Violation::OverLimit {
                lawyer: problem.lawyers[*l].id.clone(),
                period: LimitPeriod::Day,
                key: date.to_string(),
                count: *n,
                limit,
            });
        }
    }
    for ((l, y, w), n) in &c.per_week {
        let limit = problem.lawyers[*l].limits.per_week;
        // Weeks wholly before the period hold only history; they are not this roster's doing.
        let in_period = weeks.contains(&(*y, *w));
        if in_period && *n > limit {
            found.push(Violation::OverLimit {
                lawyer: problem.lawyers[*l].id.clone(),
                period: LimitPeriod::Week,
                key: format!("{y}-W{w:02}"),
                count: *n,
                limit,
            });
        }
    }
    for ((l, y, m), n) in &c.per_month {
        let limit = problem.lawyers[*l].limits.per_month;
        let in_period = months.contains(&(*y, *m));
        if in_period && *n > limit {
            found.push(Violation::OverLimit {
                lawyer: problem.lawyers[*l].id.clone(),
                period: LimitPeriod::Month,
                key: format!("{y}-{m:02}"),
                count: *n,
                limit,
            });
        }
    }
    // The counts are hash maps: order what they found, so the list does not change from run
    // to run.
    found.sort_by(|a, b| match (a, b) {
        (
            Violation::OverLimit {
                lawyer: la,
                period: pa,
                key: ka,
                ..
            },
            Violation::OverLimit {
                lawyer: lb,
                period: pb,
                key: kb,
                ..
            },
        ) => (la, pa, ka).cmp(&(lb, pb, kb)),
        _ => std::cmp::Ordering::Equal,
    });
    out.extend(found);
}

/// AM and PM on one day at stations farther apart than allowed.
fn too_far_apart(
    problem: &RosterProblem,
    per_half: &HashMap<HalfKey, Vec<usize>>,
    out: &mut Vec<Violation>,
) {
    let max_m = f64::from(problem.rules.am_pm_max_distance_km) * 1000.0;
    // By lawyer and date (the half-days are a hash map).
    let mut halves: Vec<_> = per_half.iter().collect();
    halves.sort_by(|a, b| a.0.cmp(b.0));
    for ((lawyer, date, half), slots) in halves {
        if *half != zhiban_domain::HalfDay::Am {
            continue;
        }
        if let Some(pm) = per_half.get(&(lawyer.clone(), *date, zhiban_domain::HalfDay::Pm)) {
            for &a in slots {
                for &b in pm {
                    let pa = problem.stations[problem.slots[a].station].location;
                    let pb = problem.stations[problem.slots[b].station].location;
                    let d = pa.distance_m(&pb);
                    if d > max_m {
                        out.push(Violation::TooFarApart {
                            lawyer: lawyer.clone(),
                            date: *date,
                            km: d / 1000.0,
                        });
                    }
                }
            }
        }
    }
}

/// A roster's spread over time, counted here from the problem's data and the roster alone
/// (no model, no evaluation): the figures [`crate::Evaluation::spread`] reports, recounted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SpreadCount {
    /// Pairs of consecutive days a lawyer is on primary duty on both.
    pub consecutive_days: u32,
    /// Duties on a weekday beyond a lawyer's even spread.
    pub weekday_excess: u32,
    /// Duties in the mornings (afternoons) beyond half a lawyer's share.
    pub half_day_excess: u32,
    /// A firm's duties beyond one in two consecutive open half-days of a station.
    pub firm_consecutive: u32,
}

/// Counts the spread terms of `roster` (primary duties only; assignments naming no slot or
/// lawyer are skipped). A lawyer's share of the period's duties, which the weekday and
/// morning/afternoon caps divide, is each slot's posts split evenly over the lawyers
/// eligible and available for it.
pub fn spread(problem: &RosterProblem, roster: &Roster) -> SpreadCount {
    use zhiban_domain::fairness::{half_day_cap, weekday_cap};
    let n = problem.lawyers.len();
    let mut share = vec![0.0f64; n];
    let mut weekdays = vec![std::collections::BTreeSet::new(); n];
    let mut halves = vec![std::collections::BTreeSet::new(); n];
    for s in &problem.slots {
        let free: Vec<usize> = s
            .eligible
            .iter()
            .copied()
            .filter(|&l| {
                !problem.lawyers[l]
                    .unavailable
                    .contains(&(s.date, s.half_day))
            })
            .collect();
        for &l in &free {
            share[l] += f64::from(s.lawyers) / free.len() as f64;
            weekdays[l].insert(s.date.weekday().num_days_from_monday());
            halves[l].insert(s.half_day);
        }
    }
    let mut out = SpreadCount::default();
    // Per lawyer: the dates and half-days of primary duties; per slot: the firms on duty.
    let mut duties: HashMap<usize, Vec<(NaiveDate, HalfDay)>> = HashMap::new();
    let mut firms_at: HashMap<usize, Vec<&zhiban_domain::FirmId>> = HashMap::new();
    for a in roster
        .assignments
        .iter()
        .filter(|a| a.role == Role::Primary)
    {
        let slot = problem.slots.iter().position(|s| {
            s.station_id == a.station_id && s.date == a.date && s.half_day == a.half_day
        });
        let lawyer = problem.lawyers.iter().position(|x| x.id == a.lawyer_id);
        if let (Some(s), Some(l)) = (slot, lawyer) {
            duties.entry(l).or_default().push((a.date, a.half_day));
            firms_at
                .entry(s)
                .or_default()
                .push(&problem.lawyers[l].firm_id);
        }
    }
    for (l, mine) in &duties {
        let days: std::collections::BTreeSet<NaiveDate> = mine.iter().map(|d| d.0).collect();
        out.consecutive_days += days
            .iter()
            .filter(|d| days.contains(&(**d + chrono::Duration::days(1))))
            .count() as u32;
        let cap = weekday_cap(share[*l], weekdays[*l].len() as u32);
        let mut per_weekday: HashMap<u32, u32> = HashMap::new();
        for (d, _) in mine {
            *per_weekday
                .entry(d.weekday().num_days_from_monday())
                .or_default() += 1;
        }
        out.weekday_excess += per_weekday
            .values()
            .map(|c| c.saturating_sub(cap))
            .sum::<u32>();
        if halves[*l].len() == 2 {
            let cap = half_day_cap(share[*l]);
            let am = mine.iter().filter(|d| d.1 == HalfDay::Am).count() as u32;
            let pm = mine.len() as u32 - am;
            out.half_day_excess += am.saturating_sub(cap) + pm.saturating_sub(cap);
        }
    }
    // A station's open half-days in time order: its slots, as the problem lists them.
    for st in &problem.stations {
        let open: Vec<usize> = (0..problem.slots.len())
            .filter(|&i| problem.slots[i].station_id == st.id)
            .collect();
        for w in open.windows(2) {
            let mut count: HashMap<&zhiban_domain::FirmId, u32> = HashMap::new();
            for s in w {
                for f in firms_at.get(s).into_iter().flatten() {
                    *count.entry(f).or_default() += 1;
                }
            }
            out.firm_consecutive += count.values().map(|c| c - 1).sum::<u32>();
        }
    }
    out
}

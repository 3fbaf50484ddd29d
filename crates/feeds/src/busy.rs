//! Busy calendars in: a lawyer's own `.ics`, parsed with the `ical` crate, recurring events
//! expanded with `rrule`, every input bounded before work or memory is spent on it.
//!
//! The bounds (each refused with a [`BusyError`] naming the line):
//!
//! | what | bound | checked |
//! |---|---|---|
//! | file size | [`MAX_ICS_BYTES`] = 1 MiB | before anything is parsed |
//! | events (`BEGIN:VEVENT`) | [`MAX_EVENTS`] = 10,000 | while the syntax is checked, before parsing |
//! | nesting of `BEGIN` blocks | [`MAX_NESTING`] = 8 | the same |
//! | busy periods in the window, all events together | [`MAX_INSTANCES`] = 5,000 | as each is found, before it is kept |
//! | recurrence instances generated, all events together, those before the window included, and RDATE/EXDATE values | [`MAX_EXPANSION_STEPS`] = 200,000 | before each is generated |
//! | years of DTSTART, DTEND, RDATE, EXDATE and UNTIL | [`YEARS`] = 1600 to 2200 | before any date arithmetic |
//! | length of one event (DTEND − DTSTART or DURATION) | [`MAX_EVENT_DAYS`] = 3,660 days | the same, with checked arithmetic |
//! | RRULE | FREQ DAILY, WEEKLY, MONTHLY or YEARLY; COUNT 1 to [`MAX_COUNT`]; INTERVAL 1 to [`MAX_INTERVAL`] | before `rrule` sees the rule |
//! | recurring events (RRULE or RDATE) | [`MAX_SERIES`] = 500 | before each is expanded |
//! | time spent expanding, all events together | [`MAX_EXPANSION_TIME`] = 2 s | before each series and each instance |
//! | SUMMARY and UID | the first [`MAX_TEXT_CHARS`] = 200 characters are kept | before they are copied per instance |
//!
//! Sub-daily recurrences (SECONDLY, MINUTELY, HOURLY) are refused: a busy calendar blocks
//! half-days, and `rrule` may loop 100,000 times inside one step of such a rule.
//!
//! The time bound is the last line of defence, for rules that match (almost) never, such as
//! `FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30`: `rrule` searches 100,000 days (about 25 ms) for
//! each before giving up, so a file of 7,000 of them took 90 s and more. Ordinary calendars
//! expand in milliseconds; the deterministic bounds above decide for them.

use crate::values::{check_rrule, check_syntax, date_values, duration, raw, when};
use chrono::{DateTime, Utc};

/// Largest calendar file accepted, in bytes (1 MiB).
pub const MAX_ICS_BYTES: usize = 1024 * 1024;
/// Most events (VEVENT blocks) in one file.
pub const MAX_EVENTS: usize = 10_000;
/// Deepest nesting of BEGIN/END blocks (VCALENDAR > VEVENT > VALARM is 3).
pub const MAX_NESTING: usize = 8;
/// Most busy periods inside the window, all events together.
pub const MAX_INSTANCES: usize = 5_000;
/// Most recurrence instances generated (inside the window or before it) plus RDATE and
/// EXDATE values, all events together: bounds the time an expansion takes.
pub const MAX_EXPANSION_STEPS: usize = 200_000;
/// Years accepted in DTSTART, DTEND, RDATE, EXDATE and UNTIL. (Apple writes birthdays of
/// unknown year as 1604; they are free time, but must not be refused as a whole file.)
pub const YEARS: std::ops::RangeInclusive<i32> = 1600..=2200;
/// Longest single event, in days.
pub const MAX_EVENT_DAYS: i64 = 3660;
/// Largest RRULE COUNT.
pub const MAX_COUNT: u64 = 100_000;
/// Largest RRULE INTERVAL.
pub const MAX_INTERVAL: u64 = 1000;
/// Most recurring events (with an RRULE or RDATE) in one calendar.
pub const MAX_SERIES: usize = 500;
/// Longest time the expansion of one calendar may take.
pub const MAX_EXPANSION_TIME: std::time::Duration = std::time::Duration::from_secs(2);
/// Characters of SUMMARY and UID kept.
pub const MAX_TEXT_CHARS: usize = 200;

/// A busy interval from a lawyer's calendar (UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Busy {
    /// Start.
    pub start: DateTime<Utc>,
    /// End (exclusive).
    pub end: DateTime<Utc>,
    /// The event's summary (its first [`MAX_TEXT_CHARS`] characters).
    pub summary: String,
    /// The event's UID (its first [`MAX_TEXT_CHARS`] characters).
    pub uid: String,
}

/// Why a calendar file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct BusyError {
    /// 1-based line of the file.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// What the expansion has spent so far, against [`MAX_EXPANSION_STEPS`] and
/// [`MAX_INSTANCES`].
struct Budget {
    steps: usize,
    instances: usize,
    series: usize,
    started: std::time::Instant,
}

impl Budget {
    fn new() -> Self {
        Self {
            steps: 0,
            instances: 0,
            series: 0,
            started: std::time::Instant::now(),
        }
    }

    fn in_time(&self) -> Result<(), String> {
        if self.started.elapsed() > MAX_EXPANSION_TIME {
            return Err(format!(
                "the calendar's recurrences take more than {} s to expand; they are refused \
                 (a rule that matches almost never, such as BYMONTH=2;BYMONTHDAY=30, costs most)",
                MAX_EXPANSION_TIME.as_secs()
            ));
        }
        Ok(())
    }

    fn series(&mut self) -> Result<(), String> {
        self.series += 1;
        if self.series > MAX_SERIES {
            return Err(format!(
                "more than {MAX_SERIES} recurring events (RRULE or RDATE) in one calendar"
            ));
        }
        self.in_time()
    }

    fn step(&mut self, n: usize) -> Result<(), String> {
        self.in_time()?;
        self.steps = self.steps.saturating_add(n);
        if self.steps > MAX_EXPANSION_STEPS {
            return Err(format!(
                "the calendar's recurrences expand to more than {MAX_EXPANSION_STEPS} instances \
                 (counting those before the window); give recurring events a later DTSTART, \
                 an UNTIL or a COUNT"
            ));
        }
        Ok(())
    }

    fn instance(&mut self) -> Result<(), String> {
        self.instances += 1;
        if self.instances > MAX_INSTANCES {
            return Err(format!(
                "more than {MAX_INSTANCES} busy periods in the window, all events together"
            ));
        }
        Ok(())
    }
}

/// The busy intervals of `ics` overlapping `[from, to)`: recurring events (RRULE, RDATE,
/// EXDATE) expanded, time zones honoured (TZID, UTC `Z`, floating times as Asia/Shanghai),
/// all-day events covering whole local days, cancelled and transparent (free) events left
/// out. Every input is bounded (see the module documentation); what exceeds a bound is
/// refused naming the line, never expanded.
pub fn parse_busy(
    ics: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Busy>, BusyError> {
    if ics.len() > MAX_ICS_BYTES {
        return Err(BusyError {
            line: 1,
            message: format!(
                "the file is {} bytes; a busy calendar may be at most {MAX_ICS_BYTES} bytes (1 MiB)",
                ics.len()
            ),
        });
    }
    check_syntax(ics)?;
    let line_of = |needle: &str| {
        ics.lines()
            .position(|l| l.contains(needle))
            .map_or(1, |i| i + 1)
    };
    let parser = ical::IcalParser::new(std::io::BufReader::new(ics.as_bytes()));
    let mut out = vec![];
    let mut budget = Budget::new();
    let mut calendars = 0;
    for cal in parser {
        let cal = cal.map_err(|e| BusyError {
            line: 1,
            message: format!("not an iCalendar file: {e}"),
        })?;
        calendars += 1;
        for ev in &cal.events {
            expand(ev, from, to, &mut budget, &mut out, &line_of)?;
        }
    }
    if calendars == 0 {
        return Err(BusyError {
            line: 1,
            message: "no VCALENDAR in the file".into(),
        });
    }
    out.sort_by_key(|b| (b.start, b.end));
    Ok(out)
}

/// Adds the busy periods of one event within `[from, to)` to `out`.
fn expand(
    ev: &ical::parser::ical::component::IcalEvent,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    budget: &mut Budget,
    out: &mut Vec<Busy>,
    line_of: &dyn Fn(&str) -> usize,
) -> Result<(), BusyError> {
    let prop = |name: &str| ev.properties.iter().find(|p| p.name == name);
    let text = |name: &str| prop(name).and_then(|p| p.value.clone()).unwrap_or_default();
    let value_line = |p: &ical::property::Property| {
        line_of(&format!(":{}", p.value.as_deref().unwrap_or_default()))
    };
    let uid: String = text("UID").chars().take(MAX_TEXT_CHARS).collect();
    let summary: String = text("SUMMARY").chars().take(MAX_TEXT_CHARS).collect();
    if text("STATUS").eq_ignore_ascii_case("CANCELLED")
        || text("TRANSP").eq_ignore_ascii_case("TRANSPARENT")
    {
        return Ok(());
    }
    let Some(start_p) = prop("DTSTART") else {
        return Err(BusyError {
            line: line_of(&format!("UID:{uid}")),
            message: format!("event {uid:?} has no DTSTART"),
        });
    };
    let start = when(start_p).map_err(|m| BusyError {
        line: value_line(start_p),
        message: format!("DTSTART: {m}"),
    })?;
    let end = match (prop("DTEND"), prop("DURATION")) {
        (Some(p), _) => {
            when(p)
                .map_err(|m| BusyError {
                    line: value_line(p),
                    message: format!("DTEND: {m}"),
                })?
                .utc
        }
        (None, Some(p)) => {
            let v = p.value.clone().unwrap_or_default();
            let d = duration(&v).map_err(|m| BusyError {
                line: line_of(&format!("DURATION:{v}")),
                message: format!("DURATION {:?}: {m}", v.chars().take(40).collect::<String>()),
            })?;
            // Both are bounded (years, days), so this cannot overflow; checked all the same.
            start.utc.checked_add_signed(d).ok_or_else(|| BusyError {
                line: line_of(&format!("DURATION:{v}")),
                message: "DURATION: the event ends too far away".into(),
            })?
        }
        (None, None) if start.date_only => start.utc + chrono::Duration::days(1),
        (None, None) => start.utc,
    };
    if end < start.utc {
        return Err(BusyError {
            line: line_of("DTEND"),
            message: format!("event {uid:?} ends before it starts"),
        });
    }
    let length = end - start.utc;
    if length > chrono::Duration::days(MAX_EVENT_DAYS) {
        return Err(BusyError {
            line: line_of("DTEND").max(line_of("DURATION")),
            message: format!("event {uid:?} lasts more than {MAX_EVENT_DAYS} days"),
        });
    }
    let mut keep = |s: DateTime<Utc>, line: usize, budget: &mut Budget| -> Result<(), BusyError> {
        let e = s + length;
        if e > from && s < to && e > s {
            budget
                .instance()
                .map_err(|message| BusyError { line, message })?;
            out.push(Busy {
                start: s,
                end: e,
                summary: summary.clone(),
                uid: uid.clone(),
            });
        }
        Ok(())
    };
    let rules: Vec<_> = ev.properties.iter().filter(|p| p.name == "RRULE").collect();
    let dates: Vec<_> = ev
        .properties
        .iter()
        .filter(|p| p.name == "RDATE" || p.name == "EXDATE")
        .collect();
    if rules.is_empty() && !dates.iter().any(|p| p.name == "RDATE") {
        return keep(start.utc, value_line(start_p), budget);
    }
    // The recurrence set, checked before `rrule` parses or expands any of it.
    let mut spec = raw(start_p);
    let mut line = value_line(start_p);
    for r in &rules {
        let v = r.value.as_deref().unwrap_or_default();
        line = line_of(&format!("RRULE:{v}"));
        check_rrule(v).map_err(|m| BusyError {
            line,
            message: format!("RRULE: {m}"),
        })?;
        spec.push('\n');
        spec.push_str(&raw(r));
    }
    budget
        .series()
        .map_err(|message| BusyError { line, message })?;
    for p in &dates {
        let n = date_values(p).map_err(|m| BusyError {
            line: value_line(p),
            message: format!("{}: {m}", p.name),
        })?;
        budget.step(n).map_err(|message| BusyError {
            line: value_line(p),
            message,
        })?;
        spec.push('\n');
        spec.push_str(&raw(p));
    }
    if rules.is_empty() {
        // DTSTART is always an instance (RFC 5545 3.8.5.2); `rrule` adds it only by a rule.
        keep(start.utc, value_line(start_p), budget)?;
    }
    let set: rrule::RRuleSet = spec.parse().map_err(|e| BusyError {
        line,
        message: format!("recurrence: {e}"),
    })?;
    // Instances come in order; those before the window are skipped (and counted), the first
    // at or after its end stops the expansion.
    for s in &set.limit() {
        budget
            .step(1)
            .map_err(|message| BusyError { line, message })?;
        let s = s.with_timezone(&Utc);
        if s >= to {
            break;
        }
        keep(s, line, budget)?;
    }
    Ok(())
}

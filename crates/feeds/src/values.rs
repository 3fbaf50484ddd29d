//! The values of a busy calendar: content-line syntax, date-times, durations and recurrence
//! rules, each checked against the bounds of [`crate::busy`] before any arithmetic.

use crate::busy::{
    BusyError, MAX_COUNT, MAX_EVENT_DAYS, MAX_EVENTS, MAX_INTERVAL, MAX_NESTING, YEARS,
};
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// A property as it was written (`NAME;PARAM=V:VALUE`), for rrule's parser.
pub(crate) fn raw(p: &ical::property::Property) -> String {
    let mut s = p.name.clone();
    for (k, vs) in p.params.iter().flatten() {
        s.push(';');
        s.push_str(k);
        s.push('=');
        s.push_str(&vs.join(","));
    }
    s.push(':');
    s.push_str(p.value.as_deref().unwrap_or_default());
    s
}

/// A DTSTART or DTEND.
pub(crate) struct When {
    pub(crate) utc: DateTime<Utc>,
    pub(crate) date_only: bool,
}

fn param<'a>(p: &'a ical::property::Property, name: &str) -> Option<&'a str> {
    p.params
        .iter()
        .flatten()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.first())
        .map(String::as_str)
}

fn check_year(v: &str, year: i32) -> Result<(), String> {
    if YEARS.contains(&year) {
        Ok(())
    } else {
        Err(format!(
            "{:?}: the year must be {} to {}",
            truncate(v),
            YEARS.start(),
            YEARS.end()
        ))
    }
}

/// A DTSTART/DTEND value as an instant; its year within [`YEARS`].
pub(crate) fn when(p: &ical::property::Property) -> Result<When, String> {
    let v = p.value.as_deref().unwrap_or_default().trim();
    let shanghai: Tz = chrono_tz::Asia::Shanghai;
    let tz: Tz = match param(p, "TZID") {
        Some(id) => id
            .trim_matches('"')
            .parse()
            .map_err(|_| format!("unknown time zone {:?}", truncate(id)))?,
        None => shanghai,
    };
    if param(p, "VALUE").is_some_and(|x| x.eq_ignore_ascii_case("DATE")) || v.len() == 8 {
        let d = NaiveDate::parse_from_str(v, "%Y%m%d")
            .map_err(|_| format!("{:?} is not a date such as 20261123", truncate(v)))?;
        check_year(v, d.year())?;
        let local = tz
            .from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
            .earliest()
            .ok_or_else(|| format!("{v:?} does not exist in {tz}"))?;
        return Ok(When {
            utc: local.with_timezone(&Utc),
            date_only: true,
        });
    }
    if let Some(z) = v.strip_suffix('Z') {
        let t = NaiveDateTime::parse_from_str(z, "%Y%m%dT%H%M%S").map_err(|_| {
            format!(
                "{:?} is not a date-time such as 20261123T090000Z",
                truncate(v)
            )
        })?;
        check_year(v, t.year())?;
        return Ok(When {
            utc: t.and_utc(),
            date_only: false,
        });
    }
    let t = NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S").map_err(|_| {
        format!(
            "{:?} is not a date-time such as 20261123T090000",
            truncate(v)
        )
    })?;
    check_year(v, t.year())?;
    let local = tz
        .from_local_datetime(&t)
        .earliest()
        .ok_or_else(|| format!("{v:?} does not exist in {tz}"))?;
    Ok(When {
        utc: local.with_timezone(&Utc),
        date_only: false,
    })
}

/// An iCalendar duration (`P1D`, `PT2H30M`, `P1W`) of at most [`MAX_EVENT_DAYS`] either way.
pub(crate) fn duration(v: &str) -> Result<chrono::Duration, String> {
    let not = || "not an iCalendar duration such as PT2H".to_string();
    let too_long = || format!("longer than {MAX_EVENT_DAYS} days");
    let (neg, v) = match v.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, v.strip_prefix('+').unwrap_or(v)),
    };
    let v = v.strip_prefix('P').ok_or_else(not)?;
    let limit = chrono::Duration::days(MAX_EVENT_DAYS);
    let mut total = chrono::Duration::zero();
    let mut num = String::new();
    let mut in_time = false;
    for c in v.chars() {
        match c {
            'T' => in_time = true,
            '0'..='9' => num.push(c),
            unit => {
                if num.is_empty() {
                    return Err(not());
                }
                // More digits than any bounded duration has: too long, not a parse error.
                let n: i64 = num.parse().map_err(|_| too_long())?;
                num.clear();
                let part = match (unit, in_time) {
                    ('W', false) => chrono::Duration::try_weeks(n),
                    ('D', false) => chrono::Duration::try_days(n),
                    ('H', true) => chrono::Duration::try_hours(n),
                    ('M', true) => chrono::Duration::try_minutes(n),
                    ('S', true) => chrono::Duration::try_seconds(n),
                    _ => return Err(not()),
                };
                total = part
                    .and_then(|p| total.checked_add(&p))
                    .filter(|t| *t <= limit)
                    .ok_or_else(too_long)?;
            }
        }
    }
    if !num.is_empty() {
        return Err(not());
    }
    Ok(if neg { -total } else { total })
}

/// Checks an RRULE value against the bounds before `rrule` sees it: FREQ daily or longer,
/// COUNT and INTERVAL bounded, UNTIL's year within [`YEARS`].
pub(crate) fn check_rrule(v: &str) -> Result<(), String> {
    for part in v.split(';') {
        let (key, value) = part.split_once('=').unwrap_or((part, ""));
        let number = |max: u64| -> Result<(), String> {
            match value.parse::<u64>() {
                Ok(n) if (1..=max).contains(&n) => Ok(()),
                _ => Err(format!(
                    "{key}={:?} must be a whole number from 1 to {max}",
                    truncate(value)
                )),
            }
        };
        match key.to_ascii_uppercase().as_str() {
            "FREQ" => match value.to_ascii_uppercase().as_str() {
                "DAILY" | "WEEKLY" | "MONTHLY" | "YEARLY" => {}
                "HOURLY" | "MINUTELY" | "SECONDLY" => {
                    return Err(format!(
                        "FREQ={value}: a busy calendar may repeat daily at most often"
                    ));
                }
                _ => return Err(format!("FREQ={:?} is not a frequency", truncate(value))),
            },
            "COUNT" => number(MAX_COUNT)?,
            "INTERVAL" => number(MAX_INTERVAL)?,
            "UNTIL" => check_year(value, year_of(value)?)?,
            _ => {}
        }
    }
    Ok(())
}

/// The year a date or date-time value starts with (`20261123…`).
fn year_of(v: &str) -> Result<i32, String> {
    let digits = v.get(..8).filter(|d| d.bytes().all(|b| b.is_ascii_digit()));
    digits
        .and_then(|d| d[..4].parse().ok())
        .ok_or_else(|| format!("{:?} is not a date such as 20261123", truncate(v)))
}

/// The number of values of an RDATE or EXDATE, each a date within [`YEARS`].
pub(crate) fn date_values(p: &ical::property::Property) -> Result<usize, String> {
    let mut n = 0;
    for v in p.value.as_deref().unwrap_or_default().split(',') {
        check_year(v, year_of(v.trim())?)?;
        n += 1;
    }
    Ok(n)
}

/// Checks content lines and BEGIN/END nesting, so a broken file is refused naming the line;
/// and the number of events and the depth of nesting, before the file is parsed.
pub(crate) fn check_syntax(ics: &str) -> Result<(), BusyError> {
    let mut stack: Vec<(String, usize)> = vec![];
    let mut seen_any = false;
    let mut events = 0usize;
    for (i, line) in ics.lines().enumerate() {
        let n = i + 1;
        let line = line.trim_end_matches('\r');
        if line.is_empty() || line.starts_with(' ') || line.starts_with('\t') {
            continue;
        }
        seen_any = true;
        let Some(colon) = line.find(':') else {
            return Err(BusyError {
                line: n,
                message: format!("{:?} is not a content line (NAME:VALUE)", truncate(line)),
            });
        };
        let name = line[..colon].split(';').next().unwrap_or_default();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(BusyError {
                line: n,
                message: format!("{:?} is not a property name", truncate(name)),
            });
        }
        let value = &line[colon + 1..];
        if name.eq_ignore_ascii_case("BEGIN") {
            if stack.len() >= MAX_NESTING {
                return Err(BusyError {
                    line: n,
                    message: format!("BEGIN blocks nested more than {MAX_NESTING} deep"),
                });
            }
            if value.eq_ignore_ascii_case("VEVENT") {
                events += 1;
                if events > MAX_EVENTS {
                    return Err(BusyError {
                        line: n,
                        message: format!("more than {MAX_EVENTS} events in one calendar"),
                    });
                }
            }
            stack.push((truncate(value).to_ascii_uppercase(), n));
        } else if name.eq_ignore_ascii_case("END") {
            match stack.pop() {
                Some((open, _)) if open == truncate(value).to_ascii_uppercase() => {}
                Some((open, at)) => {
                    return Err(BusyError {
                        line: n,
                        message: format!(
                            "END:{} closes BEGIN:{open} of line {at}",
                            truncate(value)
                        ),
                    });
                }
                None => {
                    return Err(BusyError {
                        line: n,
                        message: format!("END:{} without BEGIN", truncate(value)),
                    });
                }
            }
        } else if stack.is_empty() {
            return Err(BusyError {
                line: n,
                message: format!("{} outside BEGIN:VCALENDAR", truncate(name)),
            });
        }
    }
    if let Some((open, at)) = stack.pop() {
        return Err(BusyError {
            line: at,
            message: format!("BEGIN:{open} is never closed"),
        });
    }
    if !seen_any {
        return Err(BusyError {
            line: 1,
            message: "the file is empty".into(),
        });
    }
    Ok(())
}

/// The first 40 characters, for messages.
pub(crate) fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

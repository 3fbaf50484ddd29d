//! zhiban-feeds: calendars in and out.
//!
//! - [`write_calendar`]: an iCalendar feed of duties, written with the `icalendar` crate
//!   (which folds lines at 75 octets and escapes text), with a fixed `Asia/Shanghai`
//!   VTIMEZONE so clients need no time-zone database;
//! - [`parse_busy`]: a lawyer's own calendar (`.ics`), parsed with the `ical` crate, recurring
//!   events expanded with `rrule`, time zones honoured, all-day events covering whole days;
//!   every error names the line.
//!
//! ```
//! use zhiban_feeds::{FeedEvent, write_calendar, parse_busy};
//! let t = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
//! let e = FeedEvent {
//!     uid: "GZ-TH-KSS-20261123-am-GZ-L0001-primary@zhiban".into(),
//!     sequence: 0,
//!     cancelled: false,
//!     start: t.and_hms_opt(9, 0, 0).unwrap(),
//!     end: t.and_hms_opt(12, 0, 0).unwrap(),
//!     summary: "天河区看守所 上午值班".into(),
//!     location: "广州市天河区某路1号".into(),
//!     geo: Some((23.13, 113.33)),
//!     description: "电话：020-1234".into(),
//!     stamp: chrono::Utc::now(),
//! };
//! let text = write_calendar("我的值班", 60, &[e]);
//! assert!(text.contains("DTSTART;TZID=Asia/Shanghai:20261123T090000"));
//! // A window around the event's date (not around today: the test must not expire).
//! let from = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 22, 0, 0, 0).unwrap();
//! let busy = parse_busy(&text, from, from + chrono::Duration::days(400)).unwrap();
//! assert_eq!(busy.len(), 1);
//! ```

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use icalendar::{Calendar, CalendarDateTime, Component, Event, EventLike, EventStatus, Property};

/// The time zone of every feed.
pub const FEED_TZ: &str = "Asia/Shanghai";

/// A fixed VTIMEZONE for Asia/Shanghai: UTC+8 all year, no daylight saving since 1991.
const VTIMEZONE: &str = "BEGIN:VTIMEZONE\r\nTZID:Asia/Shanghai\r\nX-LIC-LOCATION:Asia/Shanghai\r\n\
BEGIN:STANDARD\r\nTZOFFSETFROM:+0800\r\nTZOFFSETTO:+0800\r\nTZNAME:CST\r\nDTSTART:19700101T000000\r\n\
END:STANDARD\r\nEND:VTIMEZONE\r\n";

/// One duty in a feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedEvent {
    /// Stable across roster versions.
    pub uid: String,
    /// Increases each time the duty changes (or is taken away).
    pub sequence: u32,
    /// Taken away: the event stays in the feed, marked cancelled, so clients remove it.
    pub cancelled: bool,
    /// Local start (Asia/Shanghai).
    pub start: NaiveDateTime,
    /// Local end.
    pub end: NaiveDateTime,
    /// Chinese summary, e.g. 天河区看守所 上午值班.
    pub summary: String,
    /// Address.
    pub location: String,
    /// Latitude and longitude.
    pub geo: Option<(f64, f64)>,
    /// Phone, what to bring.
    pub description: String,
    /// When the duty last changed (DTSTAMP and LAST-MODIFIED).
    pub stamp: DateTime<Utc>,
}

/// A feed: calendar name, refresh interval, events.
pub fn write_calendar(name: &str, refresh_minutes: u32, events: &[FeedEvent]) -> String {
    let mut cal = Calendar::new();
    cal.name(name);
    // icalendar writes VERSION, CALSCALE and its own PRODID; each must appear once.
    cal.append_property(Property::new("METHOD", "PUBLISH"));
    cal.append_property(Property::new("X-WR-TIMEZONE", FEED_TZ));
    let refresh = format!("PT{refresh_minutes}M");
    cal.append_property(
        Property::new("REFRESH-INTERVAL", &refresh)
            .add_parameter("VALUE", "DURATION")
            .done(),
    );
    cal.append_property(Property::new("X-PUBLISHED-TTL", &refresh));
    for e in events {
        let mut ev = Event::new();
        ev.uid(&e.uid)
            .summary(&e.summary)
            .location(&e.location)
            .description(&e.description)
            .starts(CalendarDateTime::WithTimezone {
                date_time: e.start,
                tzid: FEED_TZ.into(),
            })
            .ends(CalendarDateTime::WithTimezone {
                date_time: e.end,
                tzid: FEED_TZ.into(),
            })
            .timestamp(e.stamp)
            .sequence(e.sequence)
            .status(if e.cancelled {
                EventStatus::Cancelled
            } else {
                EventStatus::Confirmed
            });
        ev.add_property(
            "LAST-MODIFIED",
            e.stamp.format("%Y%m%dT%H%M%SZ").to_string(),
        );
        ev.add_property("TRANSP", "OPAQUE");
        if let Some((lat, lon)) = e.geo {
            // GEO is two floats separated by a semicolon, which must not be escaped.
            ev.append_property(Property::new("GEO", format!("{lat:.6};{lon:.6}")));
        }
        cal.push(ev.done());
    }
    let text = cal.done().to_string().replacen(
        "PRODID:ICALENDAR-RS\r\n",
        "PRODID:-//zhiban//duty roster//ZH\r\n",
        1,
    );
    // The VTIMEZONE goes before the first event (icalendar has no builder for it).
    match text.find("BEGIN:VEVENT") {
        Some(at) => format!("{}{VTIMEZONE}{}", &text[..at], &text[at..]),
        None => text.replace("END:VCALENDAR", &format!("{VTIMEZONE}END:VCALENDAR")),
    }
}

/// A busy interval from a lawyer's calendar (UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Busy {
    /// Start.
    pub start: DateTime<Utc>,
    /// End (exclusive).
    pub end: DateTime<Utc>,
    /// The event's summary.
    pub summary: String,
    /// The event's UID.
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

/// Most occurrences one recurring event may expand to.
pub const MAX_OCCURRENCES: u16 = 1000;

/// The busy intervals of `ics` overlapping `[from, to)`: recurring events expanded, time
/// zones honoured (TZID, UTC `Z`, floating times as Asia/Shanghai), all-day events covering
/// whole local days, cancelled and transparent (free) events left out.
pub fn parse_busy(
    ics: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Busy>, BusyError> {
    check_syntax(ics)?;
    let line_of = |needle: &str| {
        ics.lines()
            .position(|l| l.contains(needle))
            .map_or(1, |i| i + 1)
    };
    let parser = ical::IcalParser::new(std::io::BufReader::new(ics.as_bytes()));
    let mut out = vec![];
    let mut calendars = 0;
    for cal in parser {
        let cal = cal.map_err(|e| BusyError {
            line: 1,
            message: format!("not an iCalendar file: {e}"),
        })?;
        calendars += 1;
        for ev in cal.events {
            let prop = |name: &str| ev.properties.iter().find(|p| p.name == name);
            let text = |name: &str| prop(name).and_then(|p| p.value.clone()).unwrap_or_default();
            let uid = text("UID");
            let summary = text("SUMMARY");
            if text("STATUS").eq_ignore_ascii_case("CANCELLED")
                || text("TRANSP").eq_ignore_ascii_case("TRANSPARENT")
            {
                continue;
            }
            let Some(start_p) = prop("DTSTART") else {
                return Err(BusyError {
                    line: line_of(&format!("UID:{uid}")),
                    message: format!("event {uid:?} has no DTSTART"),
                });
            };
            let start = when(start_p).map_err(|m| BusyError {
                line: line_of(&format!(":{}", start_p.value.clone().unwrap_or_default())),
                message: format!("DTSTART: {m}"),
            })?;
            let end = match (prop("DTEND"), prop("DURATION")) {
                (Some(p), _) => when(p).map_err(|m| BusyError {
                    line: line_of(&format!(":{}", p.value.clone().unwrap_or_default())),
                    message: format!("DTEND: {m}"),
                })?,
                (None, Some(p)) => {
                    let v = p.value.clone().unwrap_or_default();
                    let d = duration(&v).ok_or_else(|| BusyError {
                        line: line_of(&format!("DURATION:{v}")),
                        message: format!(
                            "DURATION {v:?} is not an iCalendar duration such as PT2H"
                        ),
                    })?;
                    When {
                        utc: start.utc + d,
                        date_only: false,
                    }
                }
                (None, None) if start.date_only => When {
                    utc: start.utc + chrono::Duration::days(1),
                    date_only: true,
                },
                (None, None) => When {
                    utc: start.utc,
                    date_only: false,
                },
            };
            if end.utc < start.utc {
                return Err(BusyError {
                    line: line_of("DTEND"),
                    message: format!("event {uid:?} ends before it starts"),
                });
            }
            let length = end.utc - start.utc;
            let mut starts = vec![start.utc];
            if let Some(rule) = prop("RRULE") {
                let rule_text = rule.value.clone().unwrap_or_default();
                let mut spec = format!("{}\nRRULE:{rule_text}", raw(start_p));
                for ex in ev.properties.iter().filter(|p| p.name == "EXDATE") {
                    spec.push('\n');
                    spec.push_str(&raw(ex));
                }
                let set: rrule::RRuleSet = spec.parse().map_err(|e| BusyError {
                    line: line_of(&format!("RRULE:{rule_text}")),
                    message: format!("RRULE: {e}"),
                })?;
                let horizon = to.with_timezone(&rrule::Tz::UTC);
                starts = set
                    .before(horizon)
                    .all(MAX_OCCURRENCES)
                    .dates
                    .into_iter()
                    .map(|d| d.with_timezone(&Utc))
                    .collect();
            }
            for s in starts {
                let e = s + length;
                if e > from && s < to && e > s {
                    out.push(Busy {
                        start: s,
                        end: e,
                        summary: summary.clone(),
                        uid: uid.clone(),
                    });
                }
            }
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

/// A property as it was written (`NAME;PARAM=V:VALUE`), for rrule's parser.
fn raw(p: &ical::property::Property) -> String {
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

struct When {
    utc: DateTime<Utc>,
    date_only: bool,
}

fn param<'a>(p: &'a ical::property::Property, name: &str) -> Option<&'a str> {
    p.params
        .iter()
        .flatten()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.first())
        .map(String::as_str)
}

/// A DTSTART/DTEND value as an instant.
fn when(p: &ical::property::Property) -> Result<When, String> {
    let v = p.value.as_deref().unwrap_or_default().trim();
    let shanghai: Tz = chrono_tz::Asia::Shanghai;
    let tz: Tz = match param(p, "TZID") {
        Some(id) => id
            .trim_matches('"')
            .parse()
            .map_err(|_| format!("unknown time zone {id:?}"))?,
        None => shanghai,
    };
    if param(p, "VALUE").is_some_and(|x| x.eq_ignore_ascii_case("DATE")) || v.len() == 8 {
        let d = NaiveDate::parse_from_str(v, "%Y%m%d")
            .map_err(|_| format!("{v:?} is not a date such as 20261123"))?;
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
        let t = NaiveDateTime::parse_from_str(z, "%Y%m%dT%H%M%S")
            .map_err(|_| format!("{v:?} is not a date-time such as 20261123T090000Z"))?;
        return Ok(When {
            utc: t.and_utc(),
            date_only: false,
        });
    }
    let t = NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S")
        .map_err(|_| format!("{v:?} is not a date-time such as 20261123T090000"))?;
    let local = tz
        .from_local_datetime(&t)
        .earliest()
        .ok_or_else(|| format!("{v:?} does not exist in {tz}"))?;
    Ok(When {
        utc: local.with_timezone(&Utc),
        date_only: false,
    })
}

/// An iCalendar duration (`P1D`, `PT2H30M`, `P1W`).
fn duration(v: &str) -> Option<chrono::Duration> {
    let (neg, v) = match v.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, v.strip_prefix('+').unwrap_or(v)),
    };
    let v = v.strip_prefix('P')?;
    let mut total = chrono::Duration::zero();
    let mut num = String::new();
    let mut in_time = false;
    for c in v.chars() {
        match c {
            'T' => in_time = true,
            '0'..='9' => num.push(c),
            unit => {
                let n: i64 = num.parse().ok()?;
                num.clear();
                total += match (unit, in_time) {
                    ('W', false) => chrono::Duration::weeks(n),
                    ('D', false) => chrono::Duration::days(n),
                    ('H', true) => chrono::Duration::hours(n),
                    ('M', true) => chrono::Duration::minutes(n),
                    ('S', true) => chrono::Duration::seconds(n),
                    _ => return None,
                };
            }
        }
    }
    if !num.is_empty() {
        return None;
    }
    Some(if neg { -total } else { total })
}

/// Checks content lines and BEGIN/END nesting, so a broken file is refused naming the line.
fn check_syntax(ics: &str) -> Result<(), BusyError> {
    let mut stack: Vec<(String, usize)> = vec![];
    let mut seen_any = false;
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
                message: format!("{name:?} is not a property name"),
            });
        }
        let value = &line[colon + 1..];
        if name.eq_ignore_ascii_case("BEGIN") {
            stack.push((value.to_ascii_uppercase(), n));
        } else if name.eq_ignore_ascii_case("END") {
            match stack.pop() {
                Some((open, _)) if open == value.to_ascii_uppercase() => {}
                Some((open, at)) => {
                    return Err(BusyError {
                        line: n,
                        message: format!("END:{value} closes BEGIN:{open} of line {at}"),
                    });
                }
                None => {
                    return Err(BusyError {
                        line: n,
                        message: format!("END:{value} without BEGIN"),
                    });
                }
            }
        } else if stack.is_empty() {
            return Err(BusyError {
                line: n,
                message: format!("{name} outside BEGIN:VCALENDAR"),
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

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn window() -> (DateTime<Utc>, DateTime<Utc>) {
        (utc("2026-11-01T00:00:00Z"), utc("2027-01-01T00:00:00Z"))
    }

    const HEAD: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n";

    #[test]
    fn time_zones_utc_and_floating_times_are_honoured() {
        let ics = format!(
            "{HEAD}BEGIN:VEVENT\r\nUID:a\r\nSUMMARY:开庭\r\nDTSTART;TZID=Europe/London:20261123T090000\r\nDTEND;TZID=Europe/London:20261123T100000\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20261124T010000Z\r\nDURATION:PT2H\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:c\r\nDTSTART:20261125T090000\r\nDTEND:20261125T113000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        );
        let (f, t) = window();
        let b = parse_busy(&ics, f, t).unwrap();
        assert_eq!(b[0].start, utc("2026-11-23T09:00:00Z"));
        assert_eq!(b[0].summary, "开庭");
        assert_eq!(b[1].end, utc("2026-11-24T03:00:00Z"));
        assert_eq!(
            b[2].start,
            utc("2026-11-25T01:00:00Z"),
            "floating = Asia/Shanghai"
        );
    }

    #[test]
    fn all_day_events_cover_the_whole_local_day_and_recurrences_expand() {
        let ics = format!(
            "{HEAD}BEGIN:VEVENT\r\nUID:d\r\nDTSTART;VALUE=DATE:20261126\r\nEND:VEVENT\r\n\
             BEGIN:VEVENT\r\nUID:w\r\nDTSTART;TZID=Asia/Shanghai:20261102T140000\r\nDTEND;TZID=Asia/Shanghai:20261102T170000\r\n\
             RRULE:FREQ=WEEKLY;COUNT=4\r\nEXDATE;TZID=Asia/Shanghai:20261109T140000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        );
        let (f, t) = window();
        let b = parse_busy(&ics, f, t).unwrap();
        let day: Vec<&Busy> = b.iter().filter(|x| x.uid == "d").collect();
        assert_eq!(day[0].start, utc("2026-11-25T16:00:00Z"));
        assert_eq!(day[0].end, utc("2026-11-26T16:00:00Z"));
        let weekly: Vec<DateTime<Utc>> =
            b.iter().filter(|x| x.uid == "w").map(|x| x.start).collect();
        assert_eq!(
            weekly,
            [
                utc("2026-11-02T06:00:00Z"),
                utc("2026-11-16T06:00:00Z"),
                utc("2026-11-23T06:00:00Z")
            ]
        );
    }

    #[test]
    fn broken_files_name_the_line() {
        let (f, t) = window();
        let e = parse_busy(
            &format!("{HEAD}BEGIN:VEVENT\r\nthis is not ical\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"),
            f,
            t,
        )
        .unwrap_err();
        assert_eq!(e.line, 5);
        let e = parse_busy(&format!("{HEAD}BEGIN:VEVENT\r\nUID:x\r\nDTSTART:2026-11-23\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"), f, t).unwrap_err();
        assert_eq!(e.line, 6, "{e}");
        let e = parse_busy(
            &format!(
                "{HEAD}BEGIN:VEVENT\r\nUID:x\r\nDTSTART:20261123T090000Z\r\nEND:VCALENDAR\r\n"
            ),
            f,
            t,
        )
        .unwrap_err();
        assert_eq!(e.line, 7, "{e}");
        assert!(parse_busy("", f, t).is_err());
    }

    #[test]
    fn feeds_fold_long_chinese_lines_at_75_octets_and_escape_text() {
        let t = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let e = FeedEvent {
            uid: "u1@zhiban".into(),
            sequence: 2,
            cancelled: true,
            start: t.and_hms_opt(9, 0, 0).unwrap(),
            end: t.and_hms_opt(11, 30, 0).unwrap(),
            summary: "广州市天河区人民法院法律援助工作站 上午值班（备岗）, 请准时; 谢谢".into(),
            location: "广州市天河区天河北路一百二十三号，法院大楼一楼东侧法律援助工作站".into(),
            geo: Some((23.1291, 113.2644)),
            description: "电话：020-12345678\n请携带：律师执业证、身份证".into(),
            stamp: utc("2026-11-20T08:00:00Z"),
        };
        let text = write_calendar("值班日历", 60, &[e]);
        for line in text.split("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
        }
        let unfolded = text.replace("\r\n ", "");
        assert!(
            unfolded.contains("上午值班（备岗）\\, 请准时\\; 谢谢"),
            "{unfolded}"
        );
        assert!(unfolded.contains("GEO:23.129100;113.264400"));
        assert!(unfolded.contains("STATUS:CANCELLED"));
        assert!(unfolded.contains("SEQUENCE:2"));
        assert!(unfolded.contains("BEGIN:VTIMEZONE"));
        assert!(unfolded.contains("REFRESH-INTERVAL;VALUE=DURATION:PT60M"));
        for once in ["PRODID:", "VERSION:", "CALSCALE:", "METHOD:"] {
            assert_eq!(
                unfolded.lines().filter(|l| l.starts_with(once)).count(),
                1,
                "{once} must appear once:\n{unfolded}"
            );
        }
        assert!(unfolded.contains("PRODID:-//zhiban//duty roster//ZH"));
        // And the feed parses with the ical crate.
        let cal = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()))
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(cal.events.len(), 1);
        assert_eq!(cal.timezones.len(), 1);
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_refused_or_parsed_never_a_panic(text in "\\PC{0,400}") {
            let (f, t) = window();
            let _ = parse_busy(&text, f, t);
        }

        #[test]
        fn damaged_calendars_are_refused_or_parsed_never_a_panic(
            cut in 0usize..400, junk in "[A-Z:;=0-9TZ\\r\\n -]{0,40}"
        ) {
            let good = format!(
                "{HEAD}BEGIN:VEVENT\r\nUID:w\r\nDTSTART;TZID=Asia/Shanghai:20261102T140000\r\n\
                 DTEND;TZID=Asia/Shanghai:20261102T170000\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
            );
            let at = cut.min(good.len());
            let at = (0..=at).rev().find(|i| good.is_char_boundary(*i)).unwrap_or(0);
            let damaged = format!("{}{junk}{}", &good[..at], &good[at..]);
            let (f, t) = window();
            if let Err(e) = parse_busy(&damaged, f, t) {
                proptest::prop_assert!(e.line >= 1);
            }
        }
    }
}

//! zhiban-feeds: calendars in and out.
//!
//! - [`write_calendar`]: an iCalendar feed of duties, written with the `icalendar` crate
//!   (which folds lines at 75 octets and escapes text), with a fixed `Asia/Shanghai`
//!   VTIMEZONE so clients need no time-zone database;
//! - [`parse_busy`]: a lawyer's own calendar (`.ics`), parsed with the `ical` crate, recurring
//!   events expanded with `rrule`, time zones honoured, all-day events covering whole days;
//!   every input bounded (size, events, expansion, years, lengths) before work is spent on
//!   it, and every error names the line (module [`busy`], which lists the bounds).
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
//!     alarms: vec![],
//! };
//! let text = write_calendar("我的值班", 60, &[e]);
//! assert!(text.contains("DTSTART;TZID=Asia/Shanghai:20261123T090000"));
//! // A window around the event's date (not around today: the test must not expire).
//! let from = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 22, 0, 0, 0).unwrap();
//! let busy = parse_busy(&text, from, from + chrono::Duration::days(400)).unwrap();
//! assert_eq!(busy.len(), 1);
//! ```

pub mod busy;
mod values;

pub use busy::{Busy, BusyError, MAX_ICS_BYTES, parse_busy};

use chrono::{DateTime, NaiveDateTime, Utc};
use icalendar::{
    Alarm, Calendar, CalendarDateTime, Component, Event, EventLike, EventStatus, Property, Trigger,
};

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
    /// Reminders (VALARM, shown by the calendar); none on a cancelled event.
    pub alarms: Vec<FeedAlarm>,
}

/// When a reminder goes off.
#[derive(Debug, Clone, PartialEq)]
pub enum AlarmAt {
    /// This long before the start.
    Before(chrono::Duration),
    /// At this instant.
    At(DateTime<Utc>),
}

/// A reminder of a duty.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedAlarm {
    /// When.
    pub at: AlarmAt,
    /// What it says (Chinese).
    pub description: String,
}

/// The reminders of a duty starting at `start` (local, Asia/Shanghai): the evening before
/// at `evening` (local), and `before` minutes before it (0 for none); `summary` names the
/// duty in their text.
pub fn reminders(
    start: NaiveDateTime,
    evening: Option<chrono::NaiveTime>,
    before: u32,
    summary: &str,
) -> Vec<FeedAlarm> {
    let mut out = Vec::new();
    if let Some(t) = evening
        && let Some(day_before) = start.date().pred_opt()
    {
        // Asia/Shanghai is UTC+8 all year.
        let local = day_before.and_time(t);
        out.push(FeedAlarm {
            at: AlarmAt::At((local - chrono::Duration::hours(8)).and_utc()),
            description: format!("明天{summary}"),
        });
    }
    if before > 0 {
        out.push(FeedAlarm {
            at: AlarmAt::Before(chrono::Duration::minutes(i64::from(before))),
            description: format!("{before}分钟后{summary}"),
        });
    }
    out
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
        if !e.cancelled {
            for a in &e.alarms {
                let trigger = match a.at {
                    AlarmAt::Before(d) => Trigger::before_start(d),
                    AlarmAt::At(t) => Trigger::from(t),
                };
                ev.alarm(Alarm::display(&a.description, trigger));
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn feeds_fold_long_chinese_lines_at_75_octets_and_escape_text() {
        let t = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
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
            alarms: vec![],
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

    #[test]
    fn reminders_ring_the_evening_before_and_before_the_start_but_not_on_cancelled_duties() {
        let t = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let start = t.and_hms_opt(9, 0, 0).unwrap();
        let evening = chrono::NaiveTime::from_hms_opt(18, 0, 0);
        let alarms = reminders(start, evening, 60, "看守所 上午值班");
        assert_eq!(
            alarms,
            vec![
                FeedAlarm {
                    at: AlarmAt::At(utc("2026-12-06T10:00:00Z")),
                    description: "明天看守所 上午值班".into(),
                },
                FeedAlarm {
                    at: AlarmAt::Before(chrono::Duration::minutes(60)),
                    description: "60分钟后看守所 上午值班".into(),
                },
            ]
        );
        assert!(reminders(start, None, 0, "x").is_empty());
        let mut e = FeedEvent {
            uid: "u2@zhiban".into(),
            sequence: 0,
            cancelled: false,
            start,
            end: t.and_hms_opt(12, 0, 0).unwrap(),
            summary: "看守所 上午值班".into(),
            location: String::new(),
            geo: None,
            description: String::new(),
            stamp: utc("2026-12-01T00:00:00Z"),
            alarms,
        };
        let text = write_calendar("值班", 60, std::slice::from_ref(&e)).replace("\r\n ", "");
        assert_eq!(text.matches("BEGIN:VALARM").count(), 2, "{text}");
        assert!(
            text.contains("TRIGGER;VALUE=DATE-TIME:20261206T100000Z"),
            "{text}"
        );
        assert!(text.contains("ACTION:DISPLAY"));
        assert!(text.contains("TRIGGER;RELATED=START:-PT3600S"), "{text}");
        e.cancelled = true;
        let text = write_calendar("值班", 60, &[e]);
        assert!(!text.contains("VALARM"), "no reminder of a cancelled duty");
    }
}

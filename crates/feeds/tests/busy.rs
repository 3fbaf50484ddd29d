//! Busy calendars in: time zones, all-day events, recurrences, broken files, and the bounds
//! on hostile ones (size, events, expansion, years, lengths): refused naming the line, never
//! a panic and never an unbounded expansion.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Utc};
use zhiban_feeds::busy::{MAX_EVENTS, MAX_EXPANSION_STEPS, MAX_ICS_BYTES, MAX_INSTANCES};
use zhiban_feeds::{Busy, parse_busy};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn window() -> (DateTime<Utc>, DateTime<Utc>) {
    (utc("2026-11-01T00:00:00Z"), utc("2027-01-01T00:00:00Z"))
}

/// The window the API uses: a day back, a year and a day ahead.
fn year_window() -> (DateTime<Utc>, DateTime<Utc>) {
    let from = utc("2026-11-30T00:00:00Z");
    (from, from + chrono::Duration::days(367))
}

const HEAD: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n";

/// A calendar of these events (each the lines between BEGIN:VEVENT and END:VEVENT).
fn calendar(events: &[String]) -> String {
    let mut s = HEAD.to_string();
    for e in events {
        s.push_str("BEGIN:VEVENT\r\n");
        s.push_str(e);
        s.push_str("END:VEVENT\r\n");
    }
    s.push_str("END:VCALENDAR\r\n");
    s
}

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
    let weekly: Vec<DateTime<Utc>> = b.iter().filter(|x| x.uid == "w").map(|x| x.start).collect();
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
    let e = parse_busy(
        &format!(
            "{HEAD}BEGIN:VEVENT\r\nUID:x\r\nDTSTART:2026-11-23\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        ),
        f,
        t,
    )
    .unwrap_err();
    assert_eq!(e.line, 6, "{e}");
    let e = parse_busy(
        &format!("{HEAD}BEGIN:VEVENT\r\nUID:x\r\nDTSTART:20261123T090000Z\r\nEND:VCALENDAR\r\n"),
        f,
        t,
    )
    .unwrap_err();
    assert_eq!(e.line, 7, "{e}");
    assert!(parse_busy("", f, t).is_err());
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

/// `n` daily events without an end, each its own series.
fn daily_events(n: usize) -> String {
    let events: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "UID:d{i}\r\nDTSTART:20261201T0{}0000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY\r\n",
                i % 10
            )
        })
        .collect();
    calendar(&events)
}

#[test]
fn more_busy_periods_than_the_bound_are_refused_naming_the_line() {
    // 20 daily series over a year: about 7,300 periods, more than 5,000.
    let ics = daily_events(20);
    let (f, t) = year_window();
    let e = parse_busy(&ics, f, t).unwrap_err();
    assert!(
        e.message
            .contains(&format!("more than {MAX_INSTANCES} busy periods")),
        "{e}"
    );
    // The RRULE of the 14th series (5,000 / 366 = 13.7) is the one that takes it over.
    assert_eq!(ics.lines().nth(e.line - 1).unwrap(), "RRULE:FREQ=DAILY");
    // Thirteen series fit.
    assert_eq!(parse_busy(&daily_events(13), f, t).unwrap().len(), 13 * 366);
}

#[test]
fn a_series_begun_long_ago_is_still_busy_in_the_window() {
    // Weekly since 2000: some 1,400 instances before the window (the old expansion stopped
    // after 1,000, in 2019, and found the lawyer free).
    let ics = calendar(&[
        "UID:w\r\nDTSTART:20000103T060000Z\r\nDURATION:PT3H\r\nRRULE:FREQ=WEEKLY\r\n".into(),
    ]);
    let (f, t) = year_window();
    let b = parse_busy(&ics, f, t).unwrap();
    assert_eq!(b.len(), 53, "{:?}", b.first());
    assert_eq!(b[0].start, utc("2026-11-30T06:00:00Z"));
}

#[test]
fn rdates_are_busy_and_count_against_the_bound() {
    let ics = calendar(&[
        "UID:r\r\nDTSTART:20261201T010000Z\r\nDURATION:PT2H\r\nRDATE:20261203T010000Z,20261205T010000Z\r\n"
            .into(),
    ]);
    let (f, t) = year_window();
    let starts: Vec<_> = parse_busy(&ics, f, t)
        .unwrap()
        .iter()
        .map(|b| b.start)
        .collect();
    assert_eq!(
        starts,
        [
            utc("2026-12-01T01:00:00Z"),
            utc("2026-12-03T01:00:00Z"),
            utc("2026-12-05T01:00:00Z")
        ]
    );
    // An RDATE list longer than the expansion bound is refused before it is parsed.
    let many: Vec<String> = (0..=MAX_EXPANSION_STEPS)
        .map(|_| "20261203T010000Z".to_string())
        .collect();
    let ics = calendar(&[format!(
        "UID:r\r\nDTSTART:20261201T010000Z\r\nDURATION:PT2H\r\nRDATE:{}\r\n",
        many.join(",")
    )]);
    let e = parse_busy(&ics, f, t).unwrap_err();
    assert!(
        e.message.contains("bytes") || e.message.contains("instances"),
        "{e}"
    );
}

/// The error for a calendar of one event with these lines after its UID.
fn refusal(lines: &str) -> (usize, String) {
    let ics = calendar(&[format!("UID:x\r\n{lines}")]);
    let (f, t) = year_window();
    let e = parse_busy(&ics, f, t).unwrap_err();
    (e.line, e.message)
}

#[test]
fn huge_durations_extreme_years_counts_and_intervals_are_refused_naming_the_line() {
    // Line 6 is the first line after UID (VCALENDAR, VERSION, PRODID, BEGIN:VEVENT, UID).
    let cases = [
        // The duration that panicked in chrono (Duration::weeks out of bounds).
        (
            "DTSTART:20261201T010000Z\r\nDURATION:P9999999999999999W\r\n",
            7,
            "longer than 3660 days",
        ),
        (
            "DTSTART:20261201T010000Z\r\nDURATION:PT99999999999999999999999S\r\n",
            7,
            "longer than 3660 days",
        ),
        (
            "DTSTART:20261201T010000Z\r\nDURATION:P1D9999999999999H\r\n",
            7,
            "DURATION",
        ),
        (
            "DTSTART:99991231T230000Z\r\nDURATION:PT1H\r\n",
            6,
            "the year must be 1600 to 2200",
        ),
        (
            "DTSTART:00010101T000000\r\nDURATION:PT1H\r\n",
            6,
            "the year must be 1600 to 2200",
        ),
        (
            "DTSTART;VALUE=DATE:99991231\r\n",
            6,
            "the year must be 1600 to 2200",
        ),
        (
            "DTSTART:20261201T010000Z\r\nDTEND:21991201T010000Z\r\n",
            7,
            "lasts more than 3660 days",
        ),
        (
            "DTSTART:20261201T010000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY;COUNT=18446744073709551616\r\n",
            8,
            "COUNT",
        ),
        (
            "DTSTART:20261201T010000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=YEARLY;INTERVAL=4294967296\r\n",
            8,
            "INTERVAL",
        ),
        (
            "DTSTART:20261201T010000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY;INTERVAL=0\r\n",
            8,
            "INTERVAL",
        ),
        (
            "DTSTART:20261201T010000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY;UNTIL=99991231T000000Z\r\n",
            8,
            "the year must be 1600 to 2200",
        ),
        (
            "DTSTART:20261201T010000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=SECONDLY\r\n",
            8,
            "daily at most often",
        ),
        (
            "DTSTART:20261201T010000Z\r\nDURATION:PT1H\r\nEXDATE:+1000000101T000000Z\r\nRRULE:FREQ=DAILY\r\n",
            8,
            "EXDATE",
        ),
        (
            "DTSTART:20261201T010000Z\r\nDURATION:PT1H\r\nRDATE:99991231T000000Z\r\n",
            8,
            "the year must be 1600 to 2200",
        ),
    ];
    for (lines, line, message) in cases {
        let (l, m) = refusal(lines);
        assert_eq!(l, line, "{lines:?}: {m}");
        assert!(m.contains(message), "{lines:?}: {m}");
    }
}

#[test]
fn oversized_files_and_too_many_events_are_refused_before_parsing() {
    let (f, t) = year_window();
    let mut big = HEAD.to_string();
    big.push_str(&format!(
        "X-PAD:{}\r\nEND:VCALENDAR\r\n",
        "x".repeat(MAX_ICS_BYTES)
    ));
    let e = parse_busy(&big, f, t).unwrap_err();
    assert_eq!(e.line, 1);
    assert!(e.message.contains("at most 1048576 bytes (1 MiB)"), "{e}");
    let events: Vec<String> = (0..=MAX_EVENTS)
        .map(|i| format!("UID:{i}\r\nDTSTART:20261201T010000Z\r\n"))
        .collect();
    let ics = calendar(&events);
    let e = parse_busy(&ics, f, t).unwrap_err();
    assert_eq!(e.line, 4 + 4 * MAX_EVENTS, "{e}");
    assert!(e.message.contains("more than 10000 events"), "{e}");
}

#[test]
fn a_hostile_calendar_of_the_largest_size_is_refused_within_seconds() {
    // Daily series filling 1 MiB: refused when the 5,001st period is found, not after
    // expanding ten thousand series.
    let mut n = 1;
    while daily_events(n * 2).len() <= MAX_ICS_BYTES {
        n *= 2;
    }
    let ics = daily_events(n);
    let (f, t) = year_window();
    let started = std::time::Instant::now();
    let e = parse_busy(&ics, f, t).unwrap_err();
    assert!(e.message.contains("busy periods"), "{e}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// A value of an extreme kind: a huge or negative number, or an ordinary one.
fn extreme_number() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    prop_oneof![
        any::<u64>().prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        (0u32..50).prop_map(|n| n.to_string()),
        "[0-9]{15,40}",
    ]
}

/// A date-time of any year, signed or not, with or without `Z`.
fn extreme_date_time() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    (
        prop_oneof![-300_000i64..300_000, 1500i64..2300, 2026i64..2028],
        1u32..13,
        1u32..29,
        proptest::bool::ANY,
        proptest::bool::ANY,
    )
        .prop_map(|(y, m, d, z, date)| {
            let y = if (0..10_000).contains(&y) {
                format!("{y:04}")
            } else {
                format!("{y:+}")
            };
            if date {
                format!("{y}{m:02}{d:02}")
            } else {
                format!("{y}{m:02}{d:02}T090000{}", if z { "Z" } else { "" })
            }
        })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
    /// Extreme values in every field a busy calendar's expansion computes with: refused
    /// with a line, or parsed within the bounds; never a panic.
    #[test]
    fn extreme_values_are_refused_naming_a_line_never_a_panic(
        start in extreme_date_time(),
        end in proptest::option::of(extreme_date_time()),
        dur in proptest::option::of((extreme_number(), "[WDHMS]", proptest::bool::ANY)),
        freq in "(SECONDLY|MINUTELY|HOURLY|DAILY|WEEKLY|MONTHLY|YEARLY)",
        count in proptest::option::of(extreme_number()),
        interval in proptest::option::of(extreme_number()),
        until in proptest::option::of(extreme_date_time()),
        rdate in proptest::option::of(extreme_date_time()),
        repeat in proptest::bool::ANY,
        copies in 1usize..4,
    ) {
        let mut lines = format!("DTSTART:{start}\r\n");
        if let Some(e) = end {
            lines.push_str(&format!("DTEND:{e}\r\n"));
        }
        if let Some((n, unit, time)) = dur {
            let t = if time { "T" } else { "" };
            lines.push_str(&format!("DURATION:P{t}{n}{unit}\r\n"));
        }
        if repeat {
            let mut rule = format!("FREQ={freq}");
            for (k, v) in [("COUNT", count), ("INTERVAL", interval), ("UNTIL", until)] {
                if let Some(v) = v {
                    rule.push_str(&format!(";{k}={v}"));
                }
            }
            lines.push_str(&format!("RRULE:{rule}\r\n"));
        }
        if let Some(r) = rdate {
            lines.push_str(&format!("RDATE:{r}\r\n"));
        }
        let events: Vec<String> = (0..copies).map(|i| format!("UID:{i}\r\n{lines}")).collect();
        let ics = calendar(&events);
        let (f, t) = year_window();
        match parse_busy(&ics, f, t) {
            Ok(b) => proptest::prop_assert!(b.len() <= MAX_INSTANCES),
            Err(e) => {
                proptest::prop_assert!(e.line >= 1 && e.line <= ics.lines().count(), "{}", e);
                proptest::prop_assert!(!e.message.is_empty());
            }
        }
    }
}

#[test]
fn rules_that_match_almost_never_are_cut_off_by_the_time_bound() {
    use zhiban_feeds::busy::{MAX_EXPANSION_TIME, MAX_SERIES};
    // Each costs `rrule` 100,000 fruitless days (some 10-25 ms); 7,000 of them (1 MiB) took
    // 93 s before the bounds.
    let events: Vec<String> = (0..MAX_SERIES)
        .map(|i| {
            format!(
                "UID:{i}\r\nDTSTART:20261201T010000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30\r\n"
            )
        })
        .collect();
    let (f, t) = year_window();
    let started = std::time::Instant::now();
    match parse_busy(&calendar(&events), f, t) {
        Ok(b) => assert!(b.is_empty()),
        Err(e) => assert!(e.message.contains("to expand"), "{e}"),
    }
    let took = started.elapsed();
    assert!(
        took < MAX_EXPANSION_TIME + std::time::Duration::from_secs(1),
        "{took:?}"
    );
    // And one more series than the bound is refused whatever the time.
    let events: Vec<String> = (0..=MAX_SERIES)
        .map(|i| format!("UID:{i}\r\nDTSTART:20261201T010000Z\r\nRRULE:FREQ=YEARLY;COUNT=1\r\n"))
        .collect();
    let e = parse_busy(&calendar(&events), f, t).unwrap_err();
    assert!(e.message.contains("more than 500 recurring events"), "{e}");
}

//! Parses a hostile busy calendar of about N bytes (default 2 MB): many short events, each
//! repeating by RULE (default `FREQ=HOURLY`). Run under `/usr/bin/time -v` to see the peak
//! memory:
//!
//! ```text
//! cargo run -p zhiban-feeds --example hostile_busy -- 2000000 'FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30'
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

fn main() {
    let bytes: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2_000_000);
    let rule = std::env::args()
        .nth(2)
        .unwrap_or_else(|| "FREQ=HOURLY".into());
    let mut ics = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//hostile//EN\r\n");
    let mut i = 0;
    while ics.len() < bytes {
        ics.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:e{i}\r\nSUMMARY:busy\r\nDTSTART:20261201T000000Z\r\n\
             DURATION:PT1H\r\nRRULE:{rule}\r\nEND:VEVENT\r\n"
        ));
        i += 1;
    }
    ics.push_str("END:VCALENDAR\r\n");
    let from = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 30, 0, 0, 0).unwrap();
    let started = std::time::Instant::now();
    let r = zhiban_feeds::parse_busy(&ics, from, from + chrono::Duration::days(366));
    println!(
        "{} bytes, {i} events: {} in {:?}",
        ics.len(),
        match &r {
            Ok(b) => format!("{} busy periods", b.len()),
            Err(e) => format!("refused: {e}"),
        },
        started.elapsed()
    );
}

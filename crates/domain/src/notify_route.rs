//! Where a notification goes: each lawyer's choice of channels per kind of event, quiet
//! hours (no SMS at night, except a change of today's duties), and the channels a message
//! to a centre's staff takes. Pure functions; the API's dispatcher applies them.

use chrono::{NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The kinds of events a lawyer chooses channels for.
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
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A roster published, or a change of one's duties.
    Roster,
    /// A step of a swap.
    Swap,
    /// A decision on leave.
    Leave,
    /// An open duty offered, a claim won or lost.
    OpenDuty,
    /// The evening before a duty, and shortly before it.
    Reminder,
}

impl EventKind {
    /// Every kind.
    pub const ALL: [EventKind; 5] = [
        EventKind::Roster,
        EventKind::Swap,
        EventKind::Leave,
        EventKind::OpenDuty,
        EventKind::Reminder,
    ];

    /// The kind of an outbox event code (`roster_published`, `swap`, ...).
    pub fn of_event(event: &str) -> Option<Self> {
        Some(match event {
            "roster_published" | "roster_changed" => EventKind::Roster,
            "swap" => EventKind::Swap,
            "leave_decided" => EventKind::Leave,
            "open_duty_offered" | "claim_won" | "claim_lost" => EventKind::OpenDuty,
            "reminder_evening" | "reminder_before" => EventKind::Reminder,
            _ => return None,
        })
    }

    /// Its code (as in JSON).
    pub fn code(self) -> &'static str {
        match self {
            EventKind::Roster => "roster",
            EventKind::Swap => "swap",
            EventKind::Leave => "leave",
            EventKind::OpenDuty => "open_duty",
            EventKind::Reminder => "reminder",
        }
    }

    /// Its name in the page.
    pub fn label_zh(self) -> &'static str {
        match self {
            EventKind::Roster => "排班发布与变更",
            EventKind::Swap => "换班",
            EventKind::Leave => "请假审批",
            EventKind::OpenDuty => "空缺值班",
            EventKind::Reminder => "值班提醒",
        }
    }
}

/// A personal channel (to one lawyer's address or phone).
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
#[serde(rename_all = "snake_case")]
pub enum Personal {
    /// E-mail to the lawyer's address.
    Email,
    /// SMS to the lawyer's phone.
    Sms,
}

impl Personal {
    /// Its code (the channel's name on a message).
    pub fn code(self) -> &'static str {
        match self {
            Personal::Email => "email",
            Personal::Sms => "sms",
        }
    }
}

/// A lawyer's notification preferences. Every message is in their page's inbox whatever
/// they choose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Prefs {
    /// The channels for each kind of event (a kind left out: the default for it).
    #[serde(default)]
    pub channels: BTreeMap<EventKind, Vec<Personal>>,
    /// Quiet hours start (local `HH:MM`): no SMS from then ...
    #[schema(value_type = Option<String>, example = "22:00")]
    pub quiet_start: Option<NaiveTime>,
    /// ... until then (local; before the start: over midnight). Null for none.
    #[schema(value_type = Option<String>, example = "07:00")]
    pub quiet_end: Option<NaiveTime>,
}

impl Default for Prefs {
    fn default() -> Self {
        Self {
            channels: BTreeMap::new(),
            quiet_start: NaiveTime::from_hms_opt(22, 0, 0),
            quiet_end: NaiveTime::from_hms_opt(7, 0, 0),
        }
    }
}

impl Prefs {
    /// The channels chosen for `kind`: the lawyer's, or by default e-mail for everything
    /// and SMS for roster changes and reminders.
    pub fn for_kind(&self, kind: EventKind) -> Vec<Personal> {
        if let Some(c) = self.channels.get(&kind) {
            return c.clone();
        }
        match kind {
            EventKind::Roster | EventKind::Reminder => vec![Personal::Email, Personal::Sms],
            _ => vec![Personal::Email],
        }
    }

    /// Checks the preferences: quiet hours given both or neither, and no channel twice.
    pub fn validate(&self) -> Result<(), (String, String)> {
        if self.quiet_start.is_some() != self.quiet_end.is_some() {
            return Err((
                "quiet_end".into(),
                "quiet hours need both a start and an end (or neither)".into(),
            ));
        }
        if self.quiet_start.is_some() && self.quiet_start == self.quiet_end {
            return Err((
                "quiet_end".into(),
                "quiet hours must not start and end at the same time".into(),
            ));
        }
        for (k, c) in &self.channels {
            let mut seen = c.clone();
            seen.sort();
            seen.dedup();
            if seen.len() != c.len() {
                return Err((
                    format!("channels.{}", k.code()),
                    "a channel is listed twice".into(),
                ));
            }
        }
        Ok(())
    }

    /// When the quiet hours holding SMS at local time `at` end (local), or `None` when
    /// `at` is outside them.
    pub fn quiet_until(&self, at: NaiveDateTime) -> Option<NaiveDateTime> {
        let (start, end) = (self.quiet_start?, self.quiet_end?);
        let t = at.time();
        let inside = if start < end {
            t >= start && t < end
        } else {
            t >= start || t < end
        };
        if !inside {
            return None;
        }
        let day = if t >= end {
            at.date().succ_opt()?
        } else {
            at.date()
        };
        Some(day.and_time(end))
    }
}

/// What the dispatcher does with one message now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The channels to send over now.
    pub now: Vec<String>,
    /// SMS held by quiet hours until this local time.
    pub held_until: Option<NaiveDateTime>,
}

/// A lawyer's message as the dispatcher finds it.
#[derive(Debug, Clone, Copy)]
pub struct Situation<'a> {
    /// Its event code.
    pub event: &'a str,
    /// The personal channels that can reach the lawyer (configured, and an address).
    pub reachable: &'a [Personal],
    /// The centre's broadcast channels (a generic webhook).
    pub broadcast: &'a [&'a str],
    /// The channels it has reached already.
    pub delivered: &'a [&'a str],
    /// The local time now.
    pub at: NaiveDateTime,
    /// A change of today's duties.
    pub urgent: bool,
    /// A reminder past its duty's start.
    pub expired: bool,
}

/// What a lawyer's message does now: their chosen personal channels that can reach them,
/// plus the centre's broadcast channels, less those it has reached already. SMS waits for
/// the end of quiet hours unless the message is urgent (a change of today's duties). A
/// reminder past its duty's start goes to the inbox only.
pub fn route_lawyer(prefs: &Prefs, s: &Situation<'_>) -> Route {
    let Situation {
        event,
        reachable,
        broadcast,
        delivered,
        at,
        urgent,
        expired,
    } = *s;
    if expired {
        return Route {
            now: Vec::new(),
            held_until: None,
        };
    }
    let mut now = Vec::new();
    let mut held_until = None;
    if let Some(kind) = EventKind::of_event(event) {
        for p in prefs.for_kind(kind) {
            if !reachable.contains(&p) || delivered.contains(&p.code()) {
                continue;
            }
            match (p, urgent, prefs.quiet_until(at)) {
                (Personal::Sms, false, Some(until)) => held_until = Some(until),
                _ => now.push(p.code().to_string()),
            }
        }
    }
    for b in broadcast {
        if !delivered.contains(b) {
            now.push((*b).to_string());
        }
    }
    Route { now, held_until }
}

/// The channels a message to a centre's coordinators or finance staff takes: the centre's
/// group robots and webhook (`configured`), less those `delivered` to already.
pub fn route_staff(configured: &[&str], delivered: &[&str]) -> Route {
    Route {
        now: configured
            .iter()
            .filter(|c| matches!(**c, "wecom" | "dingtalk" | "webhook") && !delivered.contains(c))
            .map(|c| (*c).to_string())
            .collect(),
        held_until: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, 7)
            .unwrap()
            .and_hms_opt(h, m, 0)
            .unwrap()
    }

    #[test]
    fn quiet_hours_over_midnight_end_the_next_morning() {
        let p = Prefs::default();
        assert_eq!(p.quiet_until(at(21, 59)), None);
        let next = NaiveDate::from_ymd_opt(2026, 12, 8)
            .unwrap()
            .and_hms_opt(7, 0, 0);
        assert_eq!(p.quiet_until(at(22, 0)), next);
        assert_eq!(p.quiet_until(at(6, 59)), at(7, 0).into());
        assert_eq!(p.quiet_until(at(7, 0)), None);
        let day = Prefs {
            quiet_start: NaiveTime::from_hms_opt(12, 0, 0),
            quiet_end: NaiveTime::from_hms_opt(14, 0, 0),
            ..Prefs::default()
        };
        assert_eq!(day.quiet_until(at(13, 0)), Some(at(14, 0)));
        assert_eq!(day.quiet_until(at(14, 0)), None);
        let none = Prefs {
            quiet_start: None,
            quiet_end: None,
            ..Prefs::default()
        };
        assert_eq!(none.quiet_until(at(3, 0)), None);
    }

    #[test]
    fn sms_waits_for_morning_unless_today_changed() {
        let p = Prefs::default();
        let both = [Personal::Email, Personal::Sms];
        let r = route_lawyer(
            &p,
            &Situation {
                event: "roster_changed",
                reachable: &both,
                broadcast: &[],
                delivered: &[],
                at: at(23, 0),
                urgent: false,
                expired: false,
            },
        );
        assert_eq!(r.now, vec!["email"]);
        assert!(r.held_until.is_some());
        let r = route_lawyer(
            &p,
            &Situation {
                event: "roster_changed",
                reachable: &both,
                broadcast: &[],
                delivered: &[],
                at: at(23, 0),
                urgent: true,
                expired: false,
            },
        );
        assert_eq!(r.now, vec!["email", "sms"]);
        assert_eq!(r.held_until, None);
        // In the morning the held SMS goes, the e-mail is not sent twice.
        let r = route_lawyer(
            &p,
            &Situation {
                event: "roster_changed",
                reachable: &both,
                broadcast: &[],
                delivered: &["email"],
                at: at(7, 0),
                urgent: false,
                expired: false,
            },
        );
        assert_eq!(r.now, vec!["sms"]);
    }

    #[test]
    fn choices_defaults_reachability_and_broadcasts() {
        let mut p = Prefs::default();
        // Defaults: no SMS for a swap; only what can reach the lawyer.
        let r = route_lawyer(
            &p,
            &Situation {
                event: "swap",
                reachable: &[Personal::Email, Personal::Sms],
                broadcast: &[],
                delivered: &[],
                at: at(10, 0),
                urgent: false,
                expired: false,
            },
        );
        assert_eq!(r.now, vec!["email"]);
        let r = route_lawyer(
            &p,
            &Situation {
                event: "reminder_evening",
                reachable: &[Personal::Sms],
                broadcast: &["webhook"],
                delivered: &[],
                at: at(10, 0),
                urgent: false,
                expired: false,
            },
        );
        assert_eq!(r.now, vec!["sms", "webhook"]);
        p.channels.insert(EventKind::Reminder, vec![]);
        let r = route_lawyer(
            &p,
            &Situation {
                event: "reminder_before",
                reachable: &[Personal::Email],
                broadcast: &[],
                delivered: &[],
                at: at(10, 0),
                urgent: false,
                expired: false,
            },
        );
        assert!(r.now.is_empty());
        // An expired reminder goes nowhere outside.
        let r = route_lawyer(
            &p,
            &Situation {
                event: "roster_changed",
                reachable: &[Personal::Email],
                broadcast: &["webhook"],
                delivered: &[],
                at: at(10, 0),
                urgent: false,
                expired: true,
            },
        );
        assert!(r.now.is_empty());
        let s = route_staff(&["wecom", "dingtalk", "email", "sms"], &["wecom"]);
        assert_eq!(s.now, vec!["dingtalk"]);
    }

    #[test]
    fn preferences_are_checked_and_read_from_json() {
        let p: Prefs = serde_json::from_str(
            r#"{"channels": {"swap": ["sms"], "reminder": []}, "quiet_start": "23:00", "quiet_end": "06:30"}"#,
        )
        .unwrap();
        assert_eq!(p.for_kind(EventKind::Swap), vec![Personal::Sms]);
        assert_eq!(p.for_kind(EventKind::Leave), vec![Personal::Email]);
        assert!(p.validate().is_ok());
        let bad: Prefs = serde_json::from_str(
            r#"{"channels": {"swap": ["sms", "sms"]}, "quiet_start": null, "quiet_end": null}"#,
        )
        .unwrap();
        assert_eq!(bad.validate().unwrap_err().0, "channels.swap");
        let half: Prefs =
            serde_json::from_str(r#"{"quiet_start": "22:00", "quiet_end": null}"#).unwrap();
        assert_eq!(half.validate().unwrap_err().0, "quiet_end");
        assert!(serde_json::from_str::<Prefs>(r#"{"channels": {"fax": []}}"#).is_err());
        assert!(serde_json::from_str::<Prefs>(r#"{"pager": 1}"#).is_err());
    }
}

//! Where a notification goes: each person's choice of channels per kind of event, quiet
//! hours (no SMS at night, except a change of today's duties), and the channels a message
//! to a centre's staff takes (its group robots, and each staff member's own choice).
//! Pure functions; the API's dispatcher applies them. (Just over 600 lines: half of it is
//! the unit tests of the routing rules.)

use chrono::{NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The kinds of events a person chooses channels for (lawyers the first five, coordinators
/// alerts, finance staff a month ready).
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
    /// To coordinators: a duty not checked in, posts still uncovered, out-of-fence
    /// check-ins waiting.
    Alert,
    /// To finance staff: a month ready to approve.
    MonthReady,
}

impl EventKind {
    /// The kinds of a lawyer's messages.
    pub const LAWYER: [EventKind; 5] = [
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
            "late_alert" | "uncovered" | "out_of_fence" => EventKind::Alert,
            "month_ready" => EventKind::MonthReady,
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
            EventKind::Alert => "alert",
            EventKind::MonthReady => "month_ready",
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
            EventKind::Alert => "值班异常提醒（未签到、空缺、范围外签到）",
            EventKind::MonthReady => "月度补贴待审批",
        }
    }

    /// The kinds of messages an account of `audience` (`lawyer`, `coordinator`,
    /// `finance`) receives; none for anyone else.
    pub fn of_audience(audience: &str) -> &'static [EventKind] {
        match audience {
            "lawyer" => &Self::LAWYER,
            "coordinator" => &[EventKind::Alert],
            "finance" => &[EventKind::MonthReady],
            _ => &[],
        }
    }
}

/// A personal channel (to one person's address or phone).
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
    /// E-mail to the person's address.
    Email,
    /// SMS to the person's phone.
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

/// A person's notification preferences. Every message is in their page's inbox whatever
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
    /// The channels chosen for `kind`: the person's, or by default e-mail for everything
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

    /// Checks the preferences of a person receiving `kinds`: quiet hours given both or
    /// neither, no channel twice, and only kinds they receive.
    pub fn validate(&self, kinds: &[EventKind]) -> Result<(), (String, String)> {
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
            if !kinds.contains(k) {
                return Err((
                    format!("channels.{}", k.code()),
                    "not a kind of message this account receives".into(),
                ));
            }
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

/// A person's message as the dispatcher finds it.
#[derive(Debug, Clone, Copy)]
pub struct Situation<'a> {
    /// Its event code.
    pub event: &'a str,
    /// The personal channels that can reach the person (configured, and an address).
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

/// What a person's message does now (a lawyer's, or one staff member's): their chosen personal channels that can reach them,
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

/// One staff member a message to their centre's staff reaches.
#[derive(Debug, Clone, Copy)]
pub struct Member<'a> {
    /// Their tag in the channels delivered (`u42`: `email:u42`).
    pub tag: &'a str,
    /// Their choices.
    pub prefs: &'a Prefs,
    /// The personal channels that can reach them (configured, and an address).
    pub reachable: &'a [Personal],
}

/// The channels a message to a centre's coordinators or finance staff takes: the centre's
/// group robots and webhook (`configured`), and each member's own channels as
/// [`route_lawyer`] chooses them, named `channel:tag` (`email:u42`), less those
/// `delivered` to already. SMS held by one member's quiet hours: the message comes back at
/// the earliest end of those.
pub fn route_staff(configured: &[&str], members: &[Member<'_>], s: &Situation<'_>) -> Route {
    let mut now: Vec<String> = configured
        .iter()
        .filter(|c| matches!(**c, "wecom" | "dingtalk" | "webhook") && !s.delivered.contains(c))
        .map(|c| (*c).to_string())
        .collect();
    let mut held_until: Option<NaiveDateTime> = None;
    for m in members {
        let suffix = format!(":{}", m.tag);
        let theirs: Vec<&str> = s
            .delivered
            .iter()
            .filter_map(|d| d.strip_suffix(suffix.as_str()))
            .collect();
        let r = route_lawyer(
            m.prefs,
            &Situation {
                reachable: m.reachable,
                broadcast: &[],
                delivered: &theirs,
                ..*s
            },
        );
        now.extend(r.now.iter().map(|c| format!("{c}{suffix}")));
        held_until = match (held_until, r.held_until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    Route { now, held_until }
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
    }

    #[test]
    fn staff_messages_reach_the_groups_and_each_member_by_their_choice() {
        let situation = |delivered: &'static [&'static str], h: u32| Situation {
            event: "late_alert",
            reachable: &[],
            broadcast: &[],
            delivered,
            at: at(h, 0),
            urgent: false,
            expired: false,
        };
        let both = [Personal::Email, Personal::Sms];
        let email_only = [Personal::Email];
        let mut sms_too = Prefs::default();
        sms_too
            .channels
            .insert(EventKind::Alert, vec![Personal::Email, Personal::Sms]);
        let mut nothing = Prefs::default();
        nothing.channels.insert(EventKind::Alert, vec![]);
        let defaults = Prefs::default();
        let members = [
            Member {
                tag: "u1",
                prefs: &sms_too,
                reachable: &both,
            },
            Member {
                tag: "u2",
                prefs: &defaults,
                reachable: &email_only,
            },
            Member {
                tag: "u3",
                prefs: &nothing,
                reachable: &both,
            },
        ];
        let configured = ["wecom", "dingtalk", "email", "sms"];
        // By day: the groups, u1 by e-mail and SMS, u2 by e-mail (its default), u3 nothing.
        let r = route_staff(&configured, &members, &situation(&["wecom"], 10));
        assert_eq!(r.now, vec!["dingtalk", "email:u1", "sms:u1", "email:u2"]);
        assert_eq!(r.held_until, None);
        // At night u1's SMS waits for 07:00; what was delivered is not sent again.
        let r = route_staff(
            &configured,
            &members,
            &situation(&["wecom", "dingtalk", "email:u1"], 23),
        );
        assert_eq!(r.now, vec!["email:u2"]);
        assert_eq!(
            r.held_until,
            NaiveDate::from_ymd_opt(2026, 12, 8)
                .unwrap()
                .and_hms_opt(7, 0, 0)
        );
        // A tag is matched whole: u1's deliveries are not u11's.
        let u11 = [Member {
            tag: "u11",
            prefs: &defaults,
            reachable: &email_only,
        }];
        let r = route_staff(&[], &u11, &situation(&["email:u1"], 10));
        assert_eq!(r.now, vec!["email:u11"]);
        // A finance message follows the finance kind's choice.
        let mut no_month = Prefs::default();
        no_month.channels.insert(EventKind::MonthReady, vec![]);
        let fin = [Member {
            tag: "u5",
            prefs: &no_month,
            reachable: &both,
        }];
        let s = Situation {
            event: "month_ready",
            ..situation(&[], 10)
        };
        assert!(route_staff(&[], &fin, &s).now.is_empty());
    }

    #[test]
    fn preferences_are_checked_and_read_from_json() {
        let p: Prefs = serde_json::from_str(
            r#"{"channels": {"swap": ["sms"], "reminder": []}, "quiet_start": "23:00", "quiet_end": "06:30"}"#,
        )
        .unwrap();
        assert_eq!(p.for_kind(EventKind::Swap), vec![Personal::Sms]);
        assert_eq!(p.for_kind(EventKind::Leave), vec![Personal::Email]);
        assert!(p.validate(&EventKind::LAWYER).is_ok());
        // A kind the account does not receive is refused, naming it.
        assert_eq!(
            p.validate(EventKind::of_audience("coordinator"))
                .unwrap_err()
                .0,
            "channels.swap"
        );
        let alert: Prefs =
            serde_json::from_str(r#"{"channels": {"alert": ["email", "sms"]}}"#).unwrap();
        assert!(
            alert
                .validate(EventKind::of_audience("coordinator"))
                .is_ok()
        );
        assert_eq!(
            alert.validate(&EventKind::LAWYER).unwrap_err().0,
            "channels.alert"
        );
        assert!(EventKind::of_audience("director").is_empty());
        let bad: Prefs = serde_json::from_str(
            r#"{"channels": {"swap": ["sms", "sms"]}, "quiet_start": null, "quiet_end": null}"#,
        )
        .unwrap();
        assert_eq!(
            bad.validate(&EventKind::LAWYER).unwrap_err().0,
            "channels.swap"
        );
        let half: Prefs =
            serde_json::from_str(r#"{"quiet_start": "22:00", "quiet_end": null}"#).unwrap();
        assert_eq!(
            half.validate(&EventKind::LAWYER).unwrap_err().0,
            "quiet_end"
        );
        assert!(serde_json::from_str::<Prefs>(r#"{"channels": {"fax": []}}"#).is_err());
        assert!(serde_json::from_str::<Prefs>(r#"{"pager": 1}"#).is_err());
    }
}

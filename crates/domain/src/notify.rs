//! Notifications: the messages people receive when something that concerns them changes,
//! in Chinese, and the rules of their delivery (retries with exponential backoff, then a
//! dead letter). Pure functions; the outbox rows are written by the store in the transaction
//! of the change, and sent by the API's dispatcher.

use crate::{HalfDay, Role};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use std::fmt::Write as _;

/// Most delivery attempts of one message before it is a dead letter (a coordinator may
/// send it again).
pub const MAX_ATTEMPTS: u32 = 6;

/// A message's text is cut to this many characters (a roster of many duties lists the
/// first ones and says how many more).
pub const MAX_BODY_CHARS: usize = 2000;

/// When to try again after `attempts` failed attempts: one minute, doubling each time, at
/// most an hour; `None` once the message is a dead letter.
pub fn next_attempt(attempts: u32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if attempts >= MAX_ATTEMPTS {
        return None;
    }
    let minutes = 1i64 << attempts.saturating_sub(1).min(6);
    Some(now + Duration::minutes(minutes.min(60)))
}

/// One duty in a message.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DutyLine {
    /// Day.
    pub date: NaiveDate,
    /// Half-day.
    pub half_day: HalfDay,
    /// The station's name.
    pub station: String,
    /// Duty or backup.
    pub role: Role,
}

impl DutyLine {
    /// `12月7日 周一 上午 从化区看守所工作站（值班）`.
    pub fn text(&self) -> String {
        const WEEKDAY: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];
        let role = match self.role {
            Role::Primary => "值班",
            Role::Backup => "备班",
        };
        format!(
            "{}月{}日 周{} {} {}（{role}）",
            self.date.month(),
            self.date.day(),
            WEEKDAY[self.date.weekday().num_days_from_monday() as usize],
            self.half_day.label_zh(),
            self.station
        )
    }
}

/// A message: its subject and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// One line.
    pub subject: String,
    /// The text, at most [`MAX_BODY_CHARS`] characters.
    pub body: String,
}

/// What a lawyer is told when a roster is published: `first` for its first publication
/// (their duties), otherwise a change (the duties added and those taken away). `None` when
/// nothing of theirs changed.
pub fn roster_message(
    centre: &str,
    first: bool,
    added: &[DutyLine],
    removed: &[DutyLine],
) -> Option<Message> {
    if added.is_empty() && removed.is_empty() {
        return None;
    }
    let mut body = String::new();
    let subject = if first {
        let _ = writeln!(body, "{centre}发布了新的值班安排，您的值班如下：");
        format!("【{centre}】值班安排已发布：您有 {} 个值班", added.len())
    } else {
        let _ = writeln!(body, "{centre}调整了已发布的值班安排，涉及您的变动如下：");
        format!(
            "【{centre}】值班安排变动：新增 {} 个，取消 {} 个",
            added.len(),
            removed.len()
        )
    };
    let mut list = |title: &str, lines: &[DutyLine]| {
        if lines.is_empty() {
            return;
        }
        let _ = writeln!(body, "{title}");
        for l in lines {
            let _ = writeln!(body, "  {}", l.text());
        }
    };
    if first {
        list("", added);
    } else {
        list("新增：", added);
        list("取消：", removed);
    }
    body.push_str("请登录值班系统查看详情；如有冲突，请尽快申请换班或请假。");
    Some(Message {
        subject,
        body: cut(body),
    })
}

/// What a lawyer is told of a decision on their leave request: `approved` or not, the
/// days (and half-day) asked for, and the coordinator's note.
pub fn leave_message(
    approved: bool,
    from: NaiveDate,
    to: NaiveDate,
    half_day: Option<HalfDay>,
    note: &str,
) -> Message {
    let day = |d: NaiveDate| format!("{}月{}日", d.month(), d.day());
    let days = if from == to {
        day(from)
    } else {
        format!("{}至{}", day(from), day(to))
    };
    let half = half_day.map_or("全天", HalfDay::label_zh);
    let verdict = if approved {
        "已批准"
    } else {
        "未获批准"
    };
    let mut body = format!("您申请的{days}{half}请假{verdict}。");
    if approved {
        body.push_str("此期间不再为您排班；已排的值班将由协调员调整，调整结果另行通知。");
    }
    if !note.trim().is_empty() {
        let _ = write!(body, "\n协调员意见：{}", note.trim());
    }
    Message {
        subject: format!("请假申请{verdict}：{days}{half}"),
        body: cut(body),
    }
}

/// A step of a swap, as the lawyers in it hear of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwapStep {
    /// Offered to the taker.
    Offered,
    /// The taker accepted (told to the giver).
    Accepted,
    /// Approved: the taker holds the duty now (told to both).
    Approved,
    /// Declined by the taker or rejected by the coordinator (told to both).
    Rejected,
}

/// What a lawyer is told of a swap of `duty`, with `other` the colleague's name.
pub fn swap_message(step: SwapStep, duty: &DutyLine, other: &str, note: &str) -> Message {
    let what = duty.text();
    let (subject, mut body) = match step {
        SwapStep::Offered => (
            format!("换班请求：{other}请您代班"),
            format!("{other}请您代为值班：{what}。请登录值班系统接受或拒绝。"),
        ),
        SwapStep::Accepted => (
            "换班已被接受，待协调员批准".to_string(),
            format!("{other}已同意代您值班：{what}。协调员批准后生效。"),
        ),
        SwapStep::Approved => (
            "换班已批准".to_string(),
            format!("换班已批准并生效：{what}，由{other}值班。"),
        ),
        SwapStep::Rejected => (
            "换班未成".to_string(),
            format!("与{other}的换班未成：{what}。值班安排不变。"),
        ),
    };
    if !note.trim().is_empty() {
        let _ = write!(body, "\n附言：{}", note.trim());
    }
    Message {
        subject,
        body: cut(body),
    }
}

/// `body` cut to [`MAX_BODY_CHARS`] characters, saying so.
fn cut(body: String) -> String {
    if body.chars().count() <= MAX_BODY_CHARS {
        return body;
    }
    let mut s: String = body.chars().take(MAX_BODY_CHARS - 20).collect();
    s.push_str("\n……（内容较长，请登录查看）");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(date: &str, half: HalfDay, role: Role) -> DutyLine {
        DutyLine {
            date: date.parse().unwrap(),
            half_day: half,
            station: "从化区看守所工作站".into(),
            role,
        }
    }

    #[test]
    fn a_first_publication_lists_the_lawyers_duties_in_chinese() {
        let m = roster_message(
            "从化区法律援助处",
            true,
            &[
                line("2026-12-07", HalfDay::Am, Role::Primary),
                line("2026-12-09", HalfDay::Pm, Role::Backup),
            ],
            &[],
        )
        .unwrap();
        assert_eq!(
            m.subject,
            "【从化区法律援助处】值班安排已发布：您有 2 个值班"
        );
        assert!(
            m.body
                .contains("12月7日 周一 上午 从化区看守所工作站（值班）"),
            "{}",
            m.body
        );
        assert!(
            m.body
                .contains("12月9日 周三 下午 从化区看守所工作站（备班）")
        );
    }

    #[test]
    fn a_change_says_what_was_added_and_taken_away_and_nothing_is_no_message() {
        let m = roster_message(
            "中心",
            false,
            &[line("2026-12-08", HalfDay::Am, Role::Primary)],
            &[line("2026-12-07", HalfDay::Am, Role::Primary)],
        )
        .unwrap();
        assert_eq!(m.subject, "【中心】值班安排变动：新增 1 个，取消 1 个");
        let (add, cancel) = (
            m.body.find("新增：").unwrap(),
            m.body.find("取消：").unwrap(),
        );
        assert!(add < cancel);
        assert!(m.body[cancel..].contains("12月7日"));
        assert_eq!(roster_message("中心", false, &[], &[]), None);
    }

    #[test]
    fn leave_and_swap_messages_say_what_was_decided() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let m = leave_message(true, d("2026-12-07"), d("2026-12-08"), None, "");
        assert_eq!(m.subject, "请假申请已批准：12月7日至12月8日全天");
        assert!(m.body.contains("不再为您排班"));
        let m = leave_message(
            false,
            d("2026-12-07"),
            d("2026-12-07"),
            Some(HalfDay::Pm),
            " 人手不足 ",
        );
        assert_eq!(m.subject, "请假申请未获批准：12月7日下午");
        assert!(m.body.ends_with("协调员意见：人手不足"));
        let duty = line("2026-12-07", HalfDay::Am, Role::Primary);
        let m = swap_message(SwapStep::Offered, &duty, "陈志明", "开庭");
        assert_eq!(m.subject, "换班请求：陈志明请您代班");
        assert!(m.body.contains("12月7日 周一 上午") && m.body.ends_with("附言：开庭"));
        assert!(
            swap_message(SwapStep::Approved, &duty, "张丽华", "")
                .body
                .contains("由张丽华值班")
        );
        assert!(
            swap_message(SwapStep::Rejected, &duty, "张丽华", "")
                .body
                .contains("值班安排不变")
        );
    }

    #[test]
    fn a_long_roster_is_cut_and_says_so() {
        let many: Vec<DutyLine> = (0..200)
            .map(|i| {
                line(
                    &(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Duration::days(i)).to_string(),
                    HalfDay::Am,
                    Role::Primary,
                )
            })
            .collect();
        let m = roster_message("中心", true, &many, &[]).unwrap();
        assert!(m.body.chars().count() <= MAX_BODY_CHARS);
        assert!(m.body.ends_with("请登录查看）"));
    }

    #[test]
    fn retries_back_off_exponentially_to_an_hour_then_stop() {
        let now = DateTime::parse_from_rfc3339("2026-12-06T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let waits: Vec<i64> = (1..MAX_ATTEMPTS)
            .map(|n| (next_attempt(n, now).unwrap() - now).num_minutes())
            .collect();
        assert_eq!(waits, [1, 2, 4, 8, 16]);
        assert_eq!(next_attempt(MAX_ATTEMPTS, now), None);
        assert_eq!(
            next_attempt(0, now).map(|t| (t - now).num_minutes()),
            Some(1)
        );
    }
}

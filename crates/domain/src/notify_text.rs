//! The texts of reminders, open duties and staff alerts (the roster, leave and swap
//! messages are in [`crate::notify`]), and when a duty's reminders fire. Pure functions.

use crate::notify::{DutyLine, Message};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use std::fmt::Write as _;

/// Where in the page a message of `event` leads (`/#view=...` opens that part).
pub fn link_of(event: &str) -> &'static str {
    match event {
        "swap" => "/#view=swaps",
        "leave_decided" => "/#view=leave",
        "open_duty_offered" | "claim_won" | "claim_lost" => "/#view=open",
        "late_alert" | "out_of_fence" => "/#view=attendance",
        "uncovered" => "/#view=rosters",
        "month_ready" => "/#view=finance",
        _ => "/#view=mine",
    }
}

/// A reminder's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reminder {
    /// The evening before the duty.
    Evening,
    /// Shortly before it starts.
    Before,
}

impl Reminder {
    /// Its outbox event code.
    pub fn event(self) -> &'static str {
        match self {
            Reminder::Evening => "reminder_evening",
            Reminder::Before => "reminder_before",
        }
    }
}

/// When a duty starting at local `start` is reminded of (local times): the evening before
/// at `evening` and `before_minutes` before it (each when set), only those after `now`
/// (local) and before the start.
pub fn reminder_times(
    start: NaiveDateTime,
    evening: Option<NaiveTime>,
    before_minutes: u32,
    now: NaiveDateTime,
) -> Vec<(Reminder, NaiveDateTime)> {
    let mut out = Vec::new();
    if let Some(t) = evening
        && let Some(day) = start.date().pred_opt()
    {
        out.push((Reminder::Evening, day.and_time(t)));
    }
    if before_minutes > 0 {
        out.push((
            Reminder::Before,
            start - Duration::minutes(i64::from(before_minutes)),
        ));
    }
    out.retain(|(_, at)| *at > now && *at < start);
    out
}

/// A reminder of `duty` starting at local `start`, at `address` (phone `phone`).
pub fn reminder_message(
    kind: Reminder,
    duty: &DutyLine,
    start: NaiveTime,
    address: &str,
    phone: &str,
) -> Message {
    let when = match kind {
        Reminder::Evening => "明天",
        Reminder::Before => "即将开始",
    };
    let mut body = format!(
        "您{}有值班：{}，{} 开始。",
        if kind == Reminder::Evening {
            "明天"
        } else {
            ""
        },
        duty.text(),
        start.format("%H:%M")
    );
    if !address.is_empty() {
        let _ = write!(body, "\n地址：{address}");
    }
    if !phone.is_empty() {
        let _ = write!(body, "\n工作站电话：{phone}");
    }
    body.push_str("\n请携带律师执业证，到岗后签到。如不能到岗，请立即联系协调员。");
    Message {
        subject: format!("值班提醒（{when}）：{}", duty.text()),
        body,
    }
}

/// An open duty offered to an eligible lawyer.
pub fn open_duty_message(duty: &DutyLine, note: &str) -> Message {
    let mut body = format!(
        "有一个值班待认领：{}。如您可以到岗，请登录值班系统认领。",
        duty.text()
    );
    if !note.trim().is_empty() {
        let _ = write!(body, "\n说明：{}", note.trim());
    }
    Message {
        subject: format!("空缺值班待认领：{}", duty.text()),
        body,
    }
}

/// The outcome of a lawyer's claim of an open duty: `won` or not.
pub fn claim_message(duty: &DutyLine, won: bool) -> Message {
    if won {
        Message {
            subject: format!("认领成功：{}", duty.text()),
            body: format!(
                "您认领的值班已确定由您承担：{}。已加入您的值班安排。",
                duty.text()
            ),
        }
    } else {
        Message {
            subject: format!("认领未选中：{}", duty.text()),
            body: format!(
                "您认领的值班已由其他律师承担：{}。感谢您的支持。",
                duty.text()
            ),
        }
    }
}

/// To coordinators: `lawyer` has not checked in for `duty` `minutes` after its start.
pub fn late_alert(duty: &DutyLine, lawyer: &str, phone: &str, minutes: u32) -> Message {
    let mut body = format!(
        "{}开始已 {minutes} 分钟，{lawyer}尚未签到。请联系律师或安排备班。",
        duty.text()
    );
    if !phone.is_empty() {
        let _ = write!(body, "\n律师电话：{phone}");
    }
    Message {
        subject: format!("未签到：{lawyer} {}", duty.text()),
        body,
    }
}

/// To coordinators: posts still uncovered on `date` (`lines`: each station and half-day
/// with the number missing).
pub fn uncovered_alert(date: NaiveDate, lines: &[(String, u32)]) -> Message {
    let total: u32 = lines.iter().map(|(_, n)| n).sum();
    let mut body = format!(
        "{}月{}日仍有 {total} 个岗位无人值班：\n",
        date.month(),
        date.day()
    );
    for (what, n) in lines.iter().take(50) {
        let _ = writeln!(body, "  {what}：缺 {n} 人");
    }
    if lines.len() > 50 {
        let _ = writeln!(body, "  ……另有 {} 处", lines.len() - 50);
    }
    body.push_str("请发布空缺值班或调整排班。");
    Message {
        subject: format!(
            "{}月{}日有 {total} 个岗位无人值班",
            date.month(),
            date.day()
        ),
        body,
    }
}

/// To coordinators: a check-in outside the station's range waits for review.
pub fn out_of_fence_alert(duty: &DutyLine, lawyer: &str, distance_m: Option<u32>) -> Message {
    let far = distance_m.map_or(String::new(), |d| format!("（距工作站约 {d} 米）"));
    Message {
        subject: format!("待审核签到：{lawyer} {}", duty.text()),
        body: format!(
            "{lawyer}在工作站范围外签到{far}：{}。请在“考勤”中确认出勤或驳回。",
            duty.text()
        ),
    }
}

/// To finance: `month` (`YYYY-MM`) of `centre` has ended with every check-in reviewed:
/// its subsidies (`duties` duties) are ready to approve.
pub fn month_ready_message(centre: &str, month: &str, duties: u64) -> Message {
    Message {
        subject: format!("【{centre}】{month} 值班补贴待审核"),
        body: format!(
            "{centre} {month} 的值班已结束，考勤已全部审核（共 {duties} 个值班）。请登录值班系统核对补贴明细并锁定该月。"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HalfDay, Role};

    fn duty() -> DutyLine {
        DutyLine {
            date: NaiveDate::from_ymd_opt(2026, 12, 8).unwrap(),
            half_day: HalfDay::Am,
            station: "天河区看守所工作站".into(),
            role: Role::Primary,
        }
    }

    fn t(d: u32, h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, d)
            .unwrap()
            .and_hms_opt(h, m, 0)
            .unwrap()
    }

    #[test]
    fn reminders_fire_the_evening_before_and_before_the_start() {
        let start = t(8, 9, 0);
        let eve = NaiveTime::from_hms_opt(18, 0, 0);
        let r = reminder_times(start, eve, 60, t(6, 12, 0));
        assert_eq!(
            r,
            vec![
                (Reminder::Evening, t(7, 18, 0)),
                (Reminder::Before, t(8, 8, 0))
            ]
        );
        // Published after the evening: only the hour before; after that: none.
        assert_eq!(reminder_times(start, eve, 60, t(7, 19, 0)).len(), 1);
        assert!(reminder_times(start, eve, 60, t(8, 8, 30)).is_empty());
        // Settings off.
        assert!(reminder_times(start, None, 0, t(1, 0, 0)).is_empty());
        // An afternoon duty with an evening time after it would be nonsense: never after
        // the start.
        let late = reminder_times(
            t(8, 14, 0),
            NaiveTime::from_hms_opt(23, 0, 0),
            600,
            t(1, 0, 0),
        );
        assert_eq!(late.len(), 2);
        assert!(late.iter().all(|(_, at)| *at < t(8, 14, 0)));
    }

    #[test]
    fn texts_carry_the_facts() {
        let m = reminder_message(
            Reminder::Evening,
            &duty(),
            NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            "天河区龙口西路1号",
            "020-1234",
        );
        assert!(m.subject.contains("明天") && m.subject.contains("12月8日"));
        assert!(
            m.body.contains("09:00") && m.body.contains("龙口西路") && m.body.contains("020-1234")
        );
        assert!(open_duty_message(&duty(), "急").body.contains("说明：急"));
        assert!(claim_message(&duty(), true).subject.starts_with("认领成功"));
        assert!(
            claim_message(&duty(), false)
                .subject
                .starts_with("认领未选中")
        );
        let l = late_alert(&duty(), "李四", "13800000000", 30);
        assert!(
            l.body.contains("30 分钟") && l.body.contains("李四") && l.body.contains("13800000000")
        );
        let u = uncovered_alert(
            duty().date,
            &[("天河 上午".into(), 2), ("越秀 下午".into(), 1)],
        );
        assert!(u.subject.contains("3 个岗位"));
        assert!(
            out_of_fence_alert(&duty(), "李四", Some(850))
                .body
                .contains("850 米")
        );
        let f = month_ready_message("广州市法律援助中心", "2026-11", 40);
        assert!(f.subject.contains("2026-11") && f.body.contains("40 个值班"));
    }
}

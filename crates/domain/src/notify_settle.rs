//! What a message's sends came to, target by target. A message reaches several targets (a
//! lawyer's e-mail and SMS, a centre's group robots, each staff member's own channels), and
//! one target failing must not hold back or lose the others: each is retried on its own
//! (`email:u42!2` in `delivered`: failed twice) and given up after
//! [`MAX_ATTEMPTS`](crate::notify::MAX_ATTEMPTS) failures (`email:u42!x`). The message is
//! due again while a target waits for its retry; once nothing is left to send it is sent,
//! or a dead letter when a target was given up (a retry by a coordinator clears the marks,
//! so only the given-up targets go again). Pure functions; the dispatcher applies them.

use crate::notify::MAX_ATTEMPTS;

/// The targets not to send to again: those reached, and those given up.
pub fn done<'a>(delivered: &[&'a str]) -> Vec<&'a str> {
    delivered
        .iter()
        .filter_map(|d| match d.split_once('!') {
            None => Some(*d),
            Some((t, "x")) => Some(t),
            Some(_) => None,
        })
        .collect()
}

/// How often `target` has failed so far.
fn failures(delivered: &[String], target: &str) -> u32 {
    delivered
        .iter()
        .find_map(|d| match d.split_once('!') {
            Some((t, n)) if t == target => n.parse().ok(),
            _ => None,
        })
        .unwrap_or(0)
}

/// The state of a message after one run of sends.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Settled {
    /// `delivered` as it now stands (reached targets, failure marks).
    pub delivered: Vec<String>,
    /// The most failures of a target still to be retried (none: nothing waits for a
    /// retry).
    pub retry_after: Option<u32>,
    /// A target has been given up.
    pub given_up: bool,
}

/// Folds one run's `results` (target, whether it was reached) into `before` (the message's
/// `delivered`).
pub fn settle(before: &[&str], results: &[(String, bool)]) -> Settled {
    let mut delivered: Vec<String> = before.iter().map(|s| (*s).to_string()).collect();
    for (target, ok) in results {
        let failed = failures(&delivered, target);
        delivered.retain(|d| d.split_once('!').is_none_or(|(t, _)| t != target));
        if *ok {
            delivered.push(target.clone());
        } else if failed + 1 >= MAX_ATTEMPTS {
            delivered.push(format!("{target}!x"));
        } else {
            delivered.push(format!("{target}!{}", failed + 1));
        }
    }
    let mut retry_after = None;
    let mut given_up = false;
    for d in &delivered {
        match d.split_once('!') {
            Some((_, "x")) => given_up = true,
            Some((_, n)) => {
                let n: u32 = n.parse().unwrap_or(1);
                retry_after = Some(retry_after.map_or(n, |m: u32| m.max(n)));
            }
            None => {}
        }
    }
    Settled {
        delivered,
        retry_after,
        given_up,
    }
}

/// `delivered` without failure marks (a dead letter sent again tries every target it did
/// not reach).
pub fn clear_marks(delivered: &str) -> String {
    delivered
        .split(',')
        .filter(|d| !d.is_empty() && !d.contains('!'))
        .collect::<Vec<_>>()
        .join(",")
}

/// `error` without e-mail addresses or phone numbers (a server's reply may quote them,
/// and the error is shown to every coordinator of the centre).
pub fn redact(error: &str) -> String {
    let mut out = String::new();
    for (i, word) in error.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let digits = word.chars().filter(char::is_ascii_digit).count();
        if word.contains('@') {
            out.push_str("<地址>");
        } else if digits >= 7 {
            out.push_str("<号码>");
        } else {
            out.push_str(word);
        }
    }
    out.chars().take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(before: &[&str], results: &[(&str, bool)]) -> Settled {
        let r: Vec<(String, bool)> = results.iter().map(|(t, o)| ((*t).into(), *o)).collect();
        settle(before, &r)
    }

    #[test]
    fn one_target_failing_does_not_hold_back_the_others() {
        // 钱's e-mail bounces; the group and 赵 are reached.
        let s = run(
            &[],
            &[("wecom", true), ("email:u1", true), ("email:u2", false)],
        );
        assert_eq!(s.delivered, vec!["wecom", "email:u1", "email:u2!1"]);
        assert_eq!(s.retry_after, Some(1));
        assert!(!s.given_up);
        let before: Vec<&str> = s.delivered.iter().map(String::as_str).collect();
        // Only the failed target is sent again; the others are done.
        assert_eq!(done(&before), vec!["wecom", "email:u1"]);
        // It fails until it is given up; then the message has nothing left to retry.
        let mut d = s.delivered;
        for i in 2..=MAX_ATTEMPTS {
            let before: Vec<&str> = d.iter().map(String::as_str).collect();
            let s = run(&before, &[("email:u2", false)]);
            if i < MAX_ATTEMPTS {
                assert_eq!(s.retry_after, Some(i));
            } else {
                assert_eq!(s.retry_after, None);
                assert!(s.given_up);
            }
            d = s.delivered;
        }
        assert_eq!(d, vec!["wecom", "email:u1", "email:u2!x"]);
        let before: Vec<&str> = d.iter().map(String::as_str).collect();
        assert_eq!(done(&before), vec!["wecom", "email:u1", "email:u2"]);
        // A retry by a coordinator tries it again, and only it.
        assert_eq!(clear_marks(&d.join(",")), "wecom,email:u1");
    }

    #[test]
    fn errors_do_not_show_addresses_or_numbers() {
        assert_eq!(
            redact("550 5.1.1 <qian@centre.test>: user unknown"),
            "550 5.1.1 <地址> user unknown"
        );
        assert_eq!(
            redact("gateway: 13900000002 blocked"),
            "gateway: <号码> blocked"
        );
        assert_eq!(redact("timed out after 10s"), "timed out after 10s");
    }

    #[test]
    fn a_target_reached_at_its_retry_clears_its_mark() {
        let s = run(&["sms!3", "email"], &[("sms", true)]);
        assert_eq!(s.delivered, vec!["email", "sms"]);
        assert_eq!(s.retry_after, None);
        assert!(!s.given_up);
        // Marks of one target are not another's (`u1` is not `u11`).
        let s = run(&["email:u1!2"], &[("email:u11", false)]);
        assert_eq!(s.delivered, vec!["email:u1!2", "email:u11!1"]);
        assert_eq!(s.retry_after, Some(2));
    }
}

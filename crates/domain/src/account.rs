//! People's accounts: login names, account states, the password rules, one-time invitation
//! codes and the brute-force rule. Pure: hashing and storage are the API's and the store's.
//!
//! - A login name is a lawyer's mobile or licence number, or any short name a centre gives
//!   its staff; it is compared without case ([`normalize_login`]).
//! - A password has at least [`MIN_PASSWORD_CHARS`] characters, at most
//!   [`MAX_PASSWORD_CHARS`], is not the login name and not one of the commonest passwords
//!   ([`check_password`]).
//! - An invitation or reset code is [`CODE_CHARS`] characters from an alphabet without
//!   look-alike characters, shown in groups of four ([`format_code`], [`normalize_code`]).
//! - After [`LOCKOUT_FAILURES`] failed logins for one name within [`LOCKOUT_WINDOW_MINUTES`]
//!   minutes, or [`IP_LOCKOUT_FAILURES`] from one address across names, further attempts wait
//!   a delay that doubles with each failure ([`lockout_until`]).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Fewest characters in a password.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Most characters in a password (argon2 would take more, but nobody types them).
pub const MAX_PASSWORD_CHARS: usize = 128;
/// Longest login name.
pub const MAX_LOGIN_CHARS: usize = 64;
/// Longest display name.
pub const MAX_NAME_CHARS: usize = 100;
/// Characters in an invitation or reset code.
pub const CODE_CHARS: usize = 12;
/// The alphabet of codes: digits and capitals without 0/O, 1/I/L, 2/Z, 5/S, 8/B.
pub const CODE_ALPHABET: &[u8] = b"34679ACDEFGHJKMNPQRTUVWXY";
/// Days an invitation or reset code stays valid, by default.
pub const DEFAULT_CODE_DAYS: i64 = 7;
/// Failed logins for one name within the window that start the delay.
pub const LOCKOUT_FAILURES: u32 = 5;
/// Failed logins from one client address (across names) within the window that start the
/// delay.
pub const IP_LOCKOUT_FAILURES: u32 = 20;
/// The window failures are counted in.
pub const LOCKOUT_WINDOW_MINUTES: i64 = 15;
/// The longest delay.
pub const MAX_LOCKOUT_MINUTES: i64 = 60;

/// Where an account stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountState {
    /// Made, with an invitation code; no password yet (or reset: a new code, no password).
    Invited,
    /// Has a password and may sign in.
    Active,
    /// Locked by an administrator: may not sign in until unlocked.
    Locked,
    /// No longer in use (left the panel or the centre); kept for the audit log.
    Disabled,
}

impl AccountState {
    /// `invited`, `active`, `locked` or `disabled`.
    pub fn code(self) -> &'static str {
        match self {
            AccountState::Invited => "invited",
            AccountState::Active => "active",
            AccountState::Locked => "locked",
            AccountState::Disabled => "disabled",
        }
    }

    /// Parses a state code.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "invited" => Ok(AccountState::Invited),
            "active" => Ok(AccountState::Active),
            "locked" => Ok(AccountState::Locked),
            "disabled" => Ok(AccountState::Disabled),
            other => Err(format!(
                "expected invited, active, locked or disabled; got {other:?}"
            )),
        }
    }
}

/// A login name as compared and stored: trimmed, lower case; letters, digits and `. _ - @ +`,
/// 3 to [`MAX_LOGIN_CHARS`] characters.
pub fn normalize_login(raw: &str) -> Result<String, String> {
    let login = raw.trim().to_lowercase();
    let n = login.chars().count();
    if !(3..=MAX_LOGIN_CHARS).contains(&n) {
        return Err(format!(
            "a login name has 3 to {MAX_LOGIN_CHARS} characters; this one has {n}"
        ));
    }
    if let Some(c) = login
        .chars()
        .find(|c| !(c.is_alphanumeric() || ".-_@+".contains(*c)))
    {
        return Err(format!(
            "a login name has letters, digits and . _ - @ + only; {c:?} is not allowed"
        ));
    }
    Ok(login)
}

/// A display name: trimmed, 1 to [`MAX_NAME_CHARS`] characters, no control characters.
pub fn check_display_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    let n = name.chars().count();
    if n == 0 || n > MAX_NAME_CHARS {
        return Err(format!("a name has 1 to {MAX_NAME_CHARS} characters"));
    }
    if name.chars().any(char::is_control) {
        return Err("a name has no control characters".into());
    }
    Ok(name.to_string())
}

/// Why a password is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Too short.
    #[error("密码至少 {MIN_PASSWORD_CHARS} 个字符 (at least {MIN_PASSWORD_CHARS} characters)")]
    TooShort,
    /// Too long.
    #[error("密码最多 {MAX_PASSWORD_CHARS} 个字符 (at most {MAX_PASSWORD_CHARS} characters)")]
    TooLong,
    /// One of the commonest passwords, or one character repeated.
    #[error("这个密码太常见，很容易被猜中 (one of the commonest passwords)")]
    Common,
    /// The login name, or contains it.
    #[error("密码不能包含登录名 (the password contains the login name)")]
    ContainsLogin,
}

/// The commonest passwords (from public breach lists, Chinese ones included), compared
/// without case.
const COMMON: &[&str] = &[
    "12345678",
    "123456789",
    "1234567890",
    "87654321",
    "11111111",
    "88888888",
    "66666666",
    "00000000",
    "12341234",
    "11223344",
    "123123123",
    "password",
    "password1",
    "password123",
    "passw0rd",
    "p@ssw0rd",
    "qwertyui",
    "qwerty123",
    "1qaz2wsx",
    "1q2w3e4r",
    "abcd1234",
    "abc12345",
    "a1234567",
    "aa123456",
    "asdfghjk",
    "iloveyou",
    "woaini1314",
    "5201314520",
    "147258369",
    "123qweasd",
    "qweasdzxc",
    "zxcvbnm1",
    "admin123",
    "admin1234",
    "administrator",
    "zhiban123",
    "lawyer123",
    "changeme",
    "welcome1",
    "letmein1",
    "sunshine",
    "football",
    "baseball",
    "princess",
    "superman",
    "trustno1",
];

/// Checks a new password for `login`.
pub fn check_password(password: &str, login: &str) -> Result<(), PasswordError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(PasswordError::TooLong);
    }
    let lower = password.to_lowercase();
    let mut chars = lower.chars();
    let first = chars.next();
    if COMMON.contains(&lower.as_str()) || chars.all(|c| Some(c) == first) {
        return Err(PasswordError::Common);
    }
    let login = login.trim().to_lowercase();
    if login.chars().count() >= 3 && lower.contains(&login) {
        return Err(PasswordError::ContainsLogin);
    }
    Ok(())
}

/// A code from [`CODE_CHARS`] random bytes (each taken modulo the alphabet; the bias of a
/// 256 → 25 reduction is under 3%, and 12 characters carry over 55 bits).
pub fn code_from_bytes(bytes: &[u8; CODE_CHARS]) -> String {
    bytes
        .iter()
        .map(|b| CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()] as char)
        .collect()
}

/// A code as shown: groups of four, `ABCD-EFGH-JKMN`.
pub fn format_code(code: &str) -> String {
    code.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// A code as typed (any case, with or without dashes or spaces) in its stored form; `None`
/// when it cannot be a code.
pub fn normalize_code(raw: &str) -> Option<String> {
    if raw.len() > 64 {
        return None;
    }
    let code: String = raw
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == CODE_CHARS && code.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(code)
}

/// Recent failures counted for one login name or one client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Failures {
    /// Failed attempts within the window.
    pub count: u32,
    /// The latest of them.
    pub last: Option<DateTime<Utc>>,
}

/// Until when further attempts are refused after `f` failures, given `threshold` failures
/// start the delay: none below the threshold; one minute at it, doubling with each failure
/// after, at most [`MAX_LOCKOUT_MINUTES`], counted from the latest failure. `None` once
/// that time has passed.
pub fn lockout_until(f: Failures, threshold: u32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let last = f.last?;
    if f.count < threshold {
        return None;
    }
    let doublings = (f.count - threshold).min(10);
    let minutes = (1i64 << doublings).min(MAX_LOCKOUT_MINUTES);
    let until = last + Duration::minutes(minutes);
    (until > now).then_some(until)
}

/// The failures after one more at `now`: when [`lockout_until`] of these is some, that
/// failure starts a lockout (attempts during one are refused before they count).
pub fn after_failure(f: Failures, now: DateTime<Utc>) -> Failures {
    Failures {
        count: f.count.saturating_add(1),
        last: Some(now),
    }
}

/// The start of the window failures are counted in.
pub fn lockout_window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::minutes(LOCKOUT_WINDOW_MINUTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(min: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-06T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
            + Duration::minutes(min)
    }

    #[test]
    fn the_failure_that_reaches_the_threshold_starts_a_lockout() {
        let mut f = Failures::default();
        for _ in 0..LOCKOUT_FAILURES - 1 {
            f = after_failure(f, t(0));
            assert_eq!(lockout_until(f, LOCKOUT_FAILURES, t(0)), None);
        }
        f = after_failure(f, t(1));
        assert_eq!(f.count, LOCKOUT_FAILURES);
        assert_eq!(lockout_until(f, LOCKOUT_FAILURES, t(1)), Some(t(2)));
    }

    #[test]
    fn login_names_compare_without_case_and_keep_to_a_small_alphabet() {
        assert_eq!(normalize_login("  Zhang.Wei@GZ ").unwrap(), "zhang.wei@gz");
        assert_eq!(normalize_login("13800138000").unwrap(), "13800138000");
        assert!(normalize_login("张伟").unwrap_err().contains("3 to"));
        assert_eq!(normalize_login("张伟律师").unwrap(), "张伟律师");
        assert!(normalize_login("a b c").is_err());
        assert!(normalize_login("x';--").is_err());
        assert!(normalize_login(&"a".repeat(65)).is_err());
    }

    #[test]
    fn passwords_need_eight_characters_and_not_a_common_one() {
        assert_eq!(check_password("short", "x"), Err(PasswordError::TooShort));
        assert_eq!(check_password("12345678", "x"), Err(PasswordError::Common));
        assert_eq!(check_password("PassWord", "x"), Err(PasswordError::Common));
        assert_eq!(
            check_password("aaaaaaaaaa", "x"),
            Err(PasswordError::Common)
        );
        assert_eq!(
            check_password("13800138000ab", "13800138000"),
            Err(PasswordError::ContainsLogin)
        );
        assert_eq!(
            check_password(&"x1".repeat(65), "x"),
            Err(PasswordError::TooLong)
        );
        assert_eq!(check_password("值班律师很辛苦啊", "lawyer"), Ok(()));
        assert_eq!(check_password("correct horse battery", "zhang"), Ok(()));
        // The message names the rule in Chinese first.
        assert!(
            PasswordError::TooShort
                .to_string()
                .starts_with("密码至少 8")
        );
    }

    #[test]
    fn codes_use_an_unambiguous_alphabet_and_read_back_however_typed() {
        let code = code_from_bytes(&[0, 1, 2, 3, 24, 25, 26, 255, 100, 7, 8, 9]);
        assert_eq!(code.len(), CODE_CHARS);
        assert!(code.bytes().all(|b| CODE_ALPHABET.contains(&b)));
        let shown = format_code(&code);
        assert_eq!(shown.len(), CODE_CHARS + 2);
        assert_eq!(normalize_code(&shown).as_deref(), Some(code.as_str()));
        assert_eq!(
            normalize_code(&shown.to_lowercase().replace('-', " ")).as_deref(),
            Some(code.as_str())
        );
        assert_eq!(normalize_code("ABCD"), None);
        assert_eq!(normalize_code("0000-0000-0000"), None);
        assert_eq!(normalize_code(&"A".repeat(100)), None);
    }

    #[test]
    fn the_delay_starts_at_the_threshold_and_doubles_up_to_an_hour() {
        let at = |count, last| Failures {
            count,
            last: Some(t(last)),
        };
        assert_eq!(lockout_until(at(4, 0), 5, t(0)), None);
        assert_eq!(lockout_until(at(5, 0), 5, t(0)), Some(t(1)));
        assert_eq!(lockout_until(at(6, 0), 5, t(0)), Some(t(2)));
        assert_eq!(lockout_until(at(8, 0), 5, t(0)), Some(t(8)));
        assert_eq!(lockout_until(at(40, 0), 5, t(0)), Some(t(60)));
        // Over once the delay has passed.
        assert_eq!(lockout_until(at(5, 0), 5, t(1)), None);
        assert_eq!(lockout_until(Failures::default(), 5, t(0)), None);
        assert_eq!(lockout_window_start(t(15)), t(0));
    }
}

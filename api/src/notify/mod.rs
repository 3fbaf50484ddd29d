//! Sending the notification outbox. Every `zhiban serve` process runs a [`Dispatcher`]: it
//! leases the messages that are due (the store skips those another process holds), sends
//! each over the configured outside channel, and marks it sent, or failed with the next
//! attempt (exponential backoff, `zhiban_domain::notify::next_attempt`), a dead letter after
//! the last. Without an outside channel a message is delivered to the recipient's in-page
//! inbox only (every message is in it anyway).
//!
//! Delivery is at least once: a process that dies after a send and before marking it
//! leaves the lease to expire ([`LEASE`] by default, `ZHIBAN_NOTIFY_LEASE_SECONDS`), and the
//! message is sent again. Each carries its
//! idempotency key (`Idempotency-Key` header, `idempotency_key` field), by which a receiver
//! drops the repeat. A dispatcher never starts a send that could outlast its lease (it
//! leaves the rest of a slow batch for later), so a live dispatcher's messages are not
//! taken by another. Leases compare the processes' clocks: keep them in time (NTP), as a
//! clock ahead by a minute or more could take another process's rows early.
//!
//! Channels, behind [`Channel`]: e-mail over SMTP, SMS through an HTTP gateway, the
//! 企业微信 and 钉钉 group robots ([`channels`]), and a generic JSON webhook signed with
//! HMAC-SHA256 ([`webhook`]). A centre configures its own (`/centres/{id}/channels`,
//! secrets sealed by [`secret::SecretBox`]); a district without its own uses its parent's,
//! and a centre with none uses the server's defaults from the environment
//! (`ZHIBAN_SMTP_URL` and `ZHIBAN_SMTP_FROM`, `ZHIBAN_WEBHOOK_URL`; see [`Config::from_env`]).
//! Which channels a message takes is `zhiban_domain::notify_route`: a lawyer's choice per
//! kind of event, SMS held through their quiet hours unless today's duties changed; for
//! messages to a centre's staff, the centre's group robots and webhook, and each active
//! coordinator or finance officer of the centre by their own choice (recorded per person
//! in `delivered`, as `email:u42`, so a retry or the end of quiet hours sends only what
//! is left).

pub mod alerts;
pub mod channels;
mod config;
pub mod guard;
pub mod secret;
pub mod webhook;

pub use config::{Config, http_client, secret_context};
pub use guard::is_internal;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use zhiban_domain::notify_route::{
    Member, Personal, Prefs, Route, Situation, route_lawyer, route_staff,
};
use zhiban_domain::{Centre, CentreId};
use zhiban_store::{Finish, Notification, Store};

/// How long a leased message is held before another dispatcher may take it (by default).
pub const LEASE: chrono::Duration = chrono::Duration::seconds(120);
/// Messages leased at once.
pub const BATCH: u32 = 20;
/// The longest a channel may take to send one message (the webhook's timeout).
pub const SEND_TIMEOUT: chrono::Duration = chrono::Duration::seconds(10);
/// How often a dispatcher looks for due messages.
pub const EVERY: Duration = Duration::from_secs(5);

/// Who a message goes to outside the page.
#[derive(Debug, Clone, Default)]
pub struct Recipient {
    /// E-mail address ('' for none).
    pub email: String,
    /// Mobile phone ('' for none).
    pub phone: String,
    /// One of several people a message reaches (`u42`, a staff account); '' for the one
    /// recipient of a lawyer's message or a group.
    pub tag: String,
}

impl Recipient {
    /// The idempotency key of `n` to this recipient: the message's own, with the person's
    /// tag when it reaches several (a receiver must not drop the second person's copy).
    pub fn key(&self, n: &Notification) -> String {
        if self.tag.is_empty() {
            n.idempotency_key.clone()
        } else {
            format!("{}.{}", n.idempotency_key, self.tag)
        }
    }
}

/// Where a message goes out.
#[async_trait::async_trait]
pub trait Channel: Send + Sync {
    /// The channel's name, recorded on each message it sent (`webhook`, `email`, ...).
    fn name(&self) -> &'static str;
    /// Sends `n` to `to` (group channels ignore it); an error says why it failed (kept on
    /// the message).
    async fn send(&self, n: &Notification, to: &Recipient) -> Result<(), String>;
}

/// The kinds of channel a centre may configure.
pub const KINDS: [&str; 5] = ["email", "sms", "webhook", "wecom", "dingtalk"];

/// A local time in `tz` as an instant: the earlier of an ambiguous time, and in a gap
/// (a clock put forward) the time an hour later.
pub fn local_to_utc(tz: chrono_tz::Tz, t: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone as _;
    tz.from_local_datetime(&t)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(t + chrono::Duration::hours(1)))
                .earliest()
        })
        .map_or_else(|| t.and_utc(), |x| x.to_utc())
}

/// A dispatcher of the outbox.
pub struct Dispatcher {
    store: Arc<dyn Store>,
    config: Arc<Config>,
    /// This dispatcher's name in leases.
    pub owner: String,
}

/// What one message's delivery came to.
struct Outcome {
    delivered: Vec<String>,
    errors: Vec<String>,
    held_until: Option<chrono::DateTime<chrono::Utc>>,
}

impl Dispatcher {
    /// A dispatcher with the server's and centres' channels of `config`, named `owner` in
    /// leases.
    pub fn new(store: Arc<dyn Store>, config: Arc<Config>, owner: String) -> Self {
        Self {
            store,
            config,
            owner,
        }
    }

    /// A dispatcher whose only server channel is `channel` (a webhook, in tests).
    pub fn with_channel(
        store: Arc<dyn Store>,
        channel: Option<Arc<dyn Channel>>,
        owner: String,
    ) -> Self {
        let mut config = Config::default();
        if let Some(c) = channel {
            config.server.insert("webhook", c);
        }
        Self::new(store, Arc::new(config), owner)
    }

    /// Sends the messages due at `now`, one batch; how many were leased.
    pub async fn run_once(&self, now: chrono::DateTime<chrono::Utc>) -> Result<usize, String> {
        let leased = self
            .store
            .lease_notifications(&self.owner, now, now + self.config.lease, BATCH)
            .await
            .map_err(|e| e.to_string())?;
        if leased.is_empty() {
            return Ok(0);
        }
        let started = chrono::Utc::now();
        let centres = self.store.list_centres().await.map_err(|e| e.to_string())?;
        let mut by_centre: BTreeMap<CentreId, BTreeMap<String, Arc<dyn Channel>>> = BTreeMap::new();
        let lease_end = started.max(now) + self.config.lease;
        for n in &leased {
            if !by_centre.contains_key(&n.centre_id) {
                let chans = self
                    .config
                    .channels_for(self.store.as_ref(), &n.centre_id, &centres)
                    .await?;
                by_centre.insert(n.centre_id.clone(), chans);
            }
            let chans = &by_centre[&n.centre_id];
            let at = now + (chrono::Utc::now() - started);
            let lease_left = lease_end - (started.max(now) + (chrono::Utc::now() - started));
            let Some(outcome) = self.deliver(n, chans, &centres, at, lease_left).await else {
                // Its sends could outlast the lease: it is left for the lease to expire
                // (another dispatcher must never take a row this one is still sending).
                tracing::warn!(id = n.id, "a notification is left for a later batch");
                break;
            };
            self.finish(n, outcome, now + (chrono::Utc::now() - started))
                .await?;
        }
        Ok(leased.len())
    }

    /// Which channels `n` takes at `now`, sent (each within [`SEND_TIMEOUT`]); `None` when
    /// not one send fits in `lease_left`. Sends that do not fit wait for the next batch.
    /// A failure to read a recipient's choices or address fails the message (it is tried
    /// again), never a guess.
    async fn deliver(
        &self,
        n: &Notification,
        chans: &BTreeMap<String, Arc<dyn Channel>>,
        centres: &[Centre],
        now: chrono::DateTime<chrono::Utc>,
        lease_left: chrono::Duration,
    ) -> Option<Outcome> {
        let delivered: Vec<&str> = n.delivered.split(',').filter(|s| !s.is_empty()).collect();
        let tz = centres
            .iter()
            .find(|c| c.id == n.centre_id)
            .map_or(zhiban_domain::DEFAULT_TIME_ZONE, |c| c.time_zone);
        let (mut route, to) = match self.route(n, chans, tz, now, &delivered).await {
            Ok(r) => r,
            Err(e) => {
                return Some(Outcome {
                    delivered: delivered.iter().map(|s| (*s).to_string()).collect(),
                    errors: vec![e],
                    held_until: None,
                });
            }
        };
        // Held until a local time: as the UTC instant for the outbox.
        let mut held_until = route.held_until.map(|t| local_to_utc(tz, t));
        let fit = (lease_left - chrono::Duration::seconds(5)).num_seconds()
            / SEND_TIMEOUT.num_seconds().max(1);
        let fit = usize::try_from(fit).unwrap_or(0);
        if route.now.len() > fit {
            if fit == 0 {
                return None;
            }
            // The rest go in the next batch (nothing delivered is sent again): still due.
            route.now.truncate(fit);
            held_until = Some(n.next_attempt_at.min(now));
        }
        let mut out = Outcome {
            delivered: delivered.iter().map(|s| (*s).to_string()).collect(),
            errors: Vec::new(),
            held_until,
        };
        let limit = std::time::Duration::from_secs(SEND_TIMEOUT.num_seconds().unsigned_abs());
        let nobody = Recipient::default();
        for target in &route.now {
            // `email:u42`: e-mail to staff account 42; `email`: to the lawyer or the group.
            let (kind, tag) = target.split_once(':').unwrap_or((target.as_str(), ""));
            let Some(ch) = chans.get(kind) else { continue };
            let who = to.get(tag).unwrap_or(&nobody);
            match tokio::time::timeout(limit, ch.send(n, who)).await {
                Ok(Ok(())) => out.delivered.push(target.clone()),
                Ok(Err(e)) => out.errors.push(e),
                Err(_) => out
                    .errors
                    .push(format!("{target}: no answer within {limit:?}")),
            }
        }
        Some(out)
    }

    /// Where `n` goes now, and the recipients by tag ('' for a lawyer, `u42` for a staff
    /// account).
    async fn route(
        &self,
        n: &Notification,
        chans: &BTreeMap<String, Arc<dyn Channel>>,
        tz: chrono_tz::Tz,
        now: chrono::DateTime<chrono::Utc>,
        delivered: &[&str],
    ) -> Result<(Route, BTreeMap<String, Recipient>), String> {
        let reachable = |to: &Recipient| {
            let mut r = Vec::new();
            if !to.email.is_empty() && chans.contains_key("email") {
                r.push(Personal::Email);
            }
            if !to.phone.is_empty() && chans.contains_key("sms") {
                r.push(Personal::Sms);
            }
            r
        };
        let situation = Situation {
            event: &n.event,
            reachable: &[],
            broadcast: &[],
            delivered,
            at: now.with_timezone(&tz).naive_local(),
            urgent: n.urgent,
            expired: n.expires_at.is_some_and(|e| now >= e),
        };
        let mut to = BTreeMap::new();
        if n.audience != "lawyer" {
            let staff = self
                .store
                .staff_recipients(&n.centre_id, &n.audience)
                .await
                .map_err(|e| format!("staff: {e}"))?;
            let mut members = Vec::new();
            for s in &staff {
                let r = Recipient {
                    email: s.email.clone(),
                    phone: s.phone.clone(),
                    tag: format!("u{}", s.user_id),
                };
                members.push((format!("u{}", s.user_id), reachable(&r), &s.prefs));
                to.insert(format!("u{}", s.user_id), r);
            }
            let members: Vec<Member<'_>> = members
                .iter()
                .map(|(tag, reachable, prefs)| Member {
                    tag,
                    prefs,
                    reachable,
                })
                .collect();
            let kinds: Vec<&str> = chans.keys().map(String::as_str).collect();
            return Ok((route_staff(&kinds, &members, &situation), to));
        }
        let mut prefs = Prefs::default();
        let mut r = Recipient::default();
        if let Some(id) = &n.lawyer_id {
            prefs = self
                .store
                .notification_prefs(id)
                .await
                .map_err(|e| format!("preferences: {e}"))?;
            if let Some((email, phone)) = self
                .store
                .lawyer_contact(id)
                .await
                .map_err(|e| format!("contact: {e}"))?
            {
                r = Recipient {
                    email,
                    phone,
                    tag: String::new(),
                };
            }
        }
        let reach = reachable(&r);
        let broadcast: Vec<&str> = chans
            .keys()
            .filter(|k| *k == "webhook")
            .map(String::as_str)
            .collect();
        let route = route_lawyer(
            &prefs,
            &Situation {
                reachable: &reach,
                broadcast: &broadcast,
                ..situation
            },
        );
        to.insert(String::new(), r);
        Ok((route, to))
    }

    async fn finish(
        &self,
        n: &Notification,
        o: Outcome,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), String> {
        let delivered = o.delivered.join(",");
        let error = o.errors.join("; ");
        let finish = if !o.errors.is_empty() {
            // The wait counts from the failure, not from the batch's start.
            Finish::Failed {
                error: &error,
                next: zhiban_domain::notify::next_attempt(n.attempts + 1, now),
                delivered: &delivered,
            }
        } else if let Some(until) = o.held_until {
            Finish::Held {
                until,
                delivered: &delivered,
            }
        } else if delivered.is_empty() {
            Finish::Sent { channels: "inbox" }
        } else {
            Finish::Sent {
                channels: &delivered,
            }
        };
        let held = self
            .store
            .finish_notification(n.id, &self.owner, finish, now)
            .await
            .map_err(|e| e.to_string())?;
        if !o.errors.is_empty() {
            tracing::warn!(id = n.id, attempts = n.attempts + 1, error = %error, "a notification failed");
        }
        if !held {
            tracing::warn!(
                id = n.id,
                "a notification's lease expired before it was marked"
            );
        }
        Ok(())
    }

    /// Runs for good: a batch every [`EVERY`] (at once again while batches come full).
    pub fn start(self) {
        tokio::spawn(async move {
            loop {
                match self.run_once(chrono::Utc::now()).await {
                    Ok(n) if n as u32 == BATCH => continue,
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "the notification dispatcher failed"),
                }
                tokio::time::sleep(EVERY).await;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_time_in_a_gap_moves_forward() {
        use chrono::NaiveDate;
        let ny: chrono_tz::Tz = "America/New_York".parse().unwrap();
        // 2026-03-08 02:30 does not exist in New York (clocks go from 02:00 to 03:00).
        let gap = NaiveDate::from_ymd_opt(2026, 3, 8)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        assert_eq!(
            local_to_utc(ny, gap).to_rfc3339(),
            "2026-03-08T07:30:00+00:00"
        );
        let sh = zhiban_domain::DEFAULT_TIME_ZONE;
        let t = NaiveDate::from_ymd_opt(2026, 12, 7)
            .unwrap()
            .and_hms_opt(7, 0, 0)
            .unwrap();
        assert_eq!(
            local_to_utc(sh, t).to_rfc3339(),
            "2026-12-06T23:00:00+00:00"
        );
    }
}

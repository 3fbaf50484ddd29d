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
#[derive(Default)]
struct Outcome {
    /// Each target sent to, and whether it was reached.
    results: Vec<(String, bool)>,
    /// Why targets failed (`target: error`, addresses and numbers left out).
    errors: Vec<String>,
    /// When to come back for what is held (quiet hours, or the rest of a long batch).
    held_until: Option<chrono::DateTime<chrono::Utc>>,
    /// The recipients could not be read: the message is tried again as a whole.
    lookup: Option<String>,
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
            // The lease runs out `lease` after it was taken, on the real clock.
            let deadline = started + self.config.lease;
            let Some(outcome) = self.deliver(n, chans, &centres, at, deadline).await else {
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

    /// Which targets `n` takes at `now`, sent (each within [`SEND_TIMEOUT`]); `None` when
    /// not one send fits before the lease's `deadline` (real clock). Sends that do not fit
    /// wait for the next batch. A failure to read the recipients fails the message as a
    /// whole (it is tried again), never a guess; the group channels still go.
    async fn deliver(
        &self,
        n: &Notification,
        chans: &BTreeMap<String, Arc<dyn Channel>>,
        centres: &[Centre],
        now: chrono::DateTime<chrono::Utc>,
        deadline: chrono::DateTime<chrono::Utc>,
    ) -> Option<Outcome> {
        let marked: Vec<&str> = n.delivered.split(',').filter(|s| !s.is_empty()).collect();
        let done = zhiban_domain::notify_settle::done(&marked);
        let tz = centres
            .iter()
            .find(|c| c.id == n.centre_id)
            .map_or(zhiban_domain::DEFAULT_TIME_ZONE, |c| c.time_zone);
        let (mut route, to, lookup) = self.route(n, chans, tz, now, &done).await;
        // Held until a local time: as the UTC instant for the outbox.
        let mut held_until = route.held_until.map(|t| local_to_utc(tz, t));
        let left = deadline - chrono::Utc::now() - chrono::Duration::seconds(5);
        let fit =
            usize::try_from(left.num_seconds() / SEND_TIMEOUT.num_seconds().max(1)).unwrap_or(0);
        if route.now.len() > fit {
            if fit == 0 {
                return None;
            }
            // The rest go in the next batch (nothing reached is sent again): still due.
            route.now.truncate(fit);
            held_until = Some(n.next_attempt_at.min(now));
        }
        let mut out = Outcome {
            held_until,
            lookup,
            ..Outcome::default()
        };
        let limit = std::time::Duration::from_secs(SEND_TIMEOUT.num_seconds().unsigned_abs());
        let nobody = Recipient::default();
        for target in &route.now {
            // `email:u42`: e-mail to staff account 42; `email`: to the lawyer or the group.
            let (kind, tag) = target.split_once(':').unwrap_or((target.as_str(), ""));
            let Some(ch) = chans.get(kind) else { continue };
            let who = to.get(tag).unwrap_or(&nobody);
            let error = match tokio::time::timeout(limit, ch.send(n, who)).await {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(e),
                Err(_) => Some(format!("no answer within {limit:?}")),
            };
            out.results.push((target.clone(), error.is_none()));
            if let Some(e) = error {
                let e = zhiban_domain::notify_settle::redact(&e);
                out.errors.push(format!("{target}: {e}"));
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
    ) -> (Route, BTreeMap<String, Recipient>, Option<String>) {
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
        let kinds: Vec<&str> = chans.keys().map(String::as_str).collect();
        if n.audience != "lawyer" {
            let (staff, lookup) = match self.store.staff_recipients(&n.centre_id, &n.audience).await
            {
                Ok(s) => (s, None),
                Err(e) => (Vec::new(), Some(format!("staff: {e}"))),
            };
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
            return (route_staff(&kinds, &members, &situation), to, lookup);
        }
        let mut prefs = Prefs::default();
        let mut r = Recipient::default();
        if let Some(id) = &n.lawyer_id {
            let read = async {
                let prefs = self.store.notification_prefs(id).await;
                let contact = self.store.lawyer_contact(id).await;
                (prefs, contact)
            };
            match read.await {
                (Ok(p), Ok(c)) => {
                    prefs = p;
                    if let Some((email, phone)) = c {
                        r = Recipient {
                            email,
                            phone,
                            tag: String::new(),
                        };
                    }
                }
                (Err(e), _) | (_, Err(e)) => {
                    // Nothing personal is guessed; the broadcast channels wait too.
                    let none = Route {
                        now: Vec::new(),
                        held_until: None,
                    };
                    return (none, to, Some(format!("the lawyer's choices: {e}")));
                }
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
        (route, to, None)
    }

    async fn finish(
        &self,
        n: &Notification,
        o: Outcome,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), String> {
        let before: Vec<&str> = n.delivered.split(',').filter(|s| !s.is_empty()).collect();
        let settled = zhiban_domain::notify_settle::settle(&before, &o.results);
        let delivered = settled.delivered.join(",");
        let mut errors = o.errors.clone();
        if let Some(e) = &o.lookup {
            errors.insert(0, e.clone());
        }
        let error = if errors.is_empty() {
            n.last_error.clone()
        } else {
            errors.join("; ")
        };
        let failed = |next| Finish::Failed {
            error: &error,
            next,
            delivered: &delivered,
        };
        // The waits count from the failure, not from the batch's start.
        let finish = if o.lookup.is_some() {
            failed(zhiban_domain::notify::next_attempt(n.attempts + 1, now))
        } else if let Some(k) = settled.retry_after {
            let retry = zhiban_domain::notify::next_attempt(k, now).unwrap_or(now);
            failed(Some(o.held_until.map_or(retry, |h| h.min(retry))))
        } else if let Some(until) = o.held_until {
            if o.errors.is_empty() {
                Finish::Held {
                    until,
                    delivered: &delivered,
                }
            } else {
                failed(Some(until))
            }
        } else if settled.given_up {
            // Nothing left to send, a target given up: a dead letter (a retry sends it to
            // the targets given up, and only to them).
            failed(None)
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
        if !errors.is_empty() {
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

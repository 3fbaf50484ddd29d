//! Sending the notification outbox. Every `zhiban serve` process runs a [`Dispatcher`]: it
//! leases the messages that are due (the store skips those another process holds), sends
//! each over the configured outside channel, and marks it sent, or failed with the next
//! attempt (exponential backoff, `zhiban_domain::notify::next_attempt`), a dead letter after
//! the last. Without an outside channel a message is delivered to the recipient's in-page
//! inbox only (every message is in it anyway).
//!
//! Delivery is at least once: a process that dies after a send and before marking it
//! leaves the lease to expire ([`LEASE`]), and the message is sent again. Each carries its
//! idempotency key (`Idempotency-Key` header, `idempotency_key` field), by which a receiver
//! drops the repeat. A dispatcher never starts a send that could outlast its lease (it
//! leaves the rest of a slow batch for later), so a live dispatcher's messages are not
//! taken by another. Leases compare the processes' clocks: keep them in time (NTP), as a
//! clock ahead by a minute or more could take another process's rows early.
//!
//! Channels: [`webhook::Webhook`], a generic JSON webhook signed with HMAC-SHA256 (for a
//! city's own SMS or WeChat gateway), configured for the whole server by
//! `ZHIBAN_WEBHOOK_URL` and `ZHIBAN_WEBHOOK_SECRET` (or `ZHIBAN_WEBHOOK_SECRET_FILE`).

pub mod webhook;

use std::sync::Arc;
use std::time::Duration;
use zhiban_store::{Notification, Store};

/// How long a leased message is held before another dispatcher may take it.
pub const LEASE: chrono::Duration = chrono::Duration::seconds(120);
/// Messages leased at once.
pub const BATCH: u32 = 20;
/// The longest a channel may take to send one message (the webhook's timeout).
pub const SEND_TIMEOUT: chrono::Duration = chrono::Duration::seconds(10);
/// How often a dispatcher looks for due messages.
pub const EVERY: Duration = Duration::from_secs(5);

/// Where a message goes out.
#[async_trait::async_trait]
pub trait Channel: Send + Sync {
    /// The channel's name, recorded on each message it sent (`webhook`, `email`, ...).
    fn name(&self) -> &'static str;
    /// Sends `n`; an error says why it failed (kept on the message).
    async fn send(&self, n: &Notification) -> Result<(), String>;
}

/// A dispatcher of the outbox.
pub struct Dispatcher {
    store: Arc<dyn Store>,
    channel: Option<Arc<dyn Channel>>,
    /// This dispatcher's name in leases.
    pub owner: String,
}

impl Dispatcher {
    /// A dispatcher sending over `channel` (none: inbox only), named `owner` in leases.
    pub fn new(store: Arc<dyn Store>, channel: Option<Arc<dyn Channel>>, owner: String) -> Self {
        Self {
            store,
            channel,
            owner,
        }
    }

    /// Sends the messages due at `now`, one batch; how many were leased.
    pub async fn run_once(&self, now: chrono::DateTime<chrono::Utc>) -> Result<usize, String> {
        let leased = self
            .store
            .lease_notifications(&self.owner, now, now + LEASE, BATCH)
            .await
            .map_err(|e| e.to_string())?;
        let started = chrono::Utc::now();
        for n in &leased {
            // A row whose lease could run out during its send is left for the lease to
            // expire: another dispatcher must never take a row this one is still sending.
            if chrono::Utc::now() + SEND_TIMEOUT * 2 > started.max(now) + LEASE {
                tracing::warn!(
                    id = n.id,
                    "a notification is left for a later batch (slow channel)"
                );
                break;
            }
            let outcome = match &self.channel {
                None => Ok("inbox"),
                Some(c) => match c.send(n).await {
                    Ok(()) => Ok(c.name()),
                    Err(e) => Err(e),
                },
            };
            let finished = match &outcome {
                Ok(channel) => Ok(*channel),
                // The wait counts from the failure, not from the batch's start.
                Err(e) => Err((
                    e.as_str(),
                    zhiban_domain::notify::next_attempt(
                        n.attempts + 1,
                        now + (chrono::Utc::now() - started),
                    ),
                )),
            };
            let held = self
                .store
                .finish_notification(
                    n.id,
                    &self.owner,
                    finished,
                    now + (chrono::Utc::now() - started),
                )
                .await
                .map_err(|e| e.to_string())?;
            if let Err(e) = &outcome {
                tracing::warn!(id = n.id, attempts = n.attempts + 1, error = %e, "a notification failed");
            }
            if !held {
                tracing::warn!(
                    id = n.id,
                    "a notification's lease expired before it was marked"
                );
            }
        }
        Ok(leased.len())
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

/// The server-wide outside channel from the environment, if configured.
pub fn channel_from_env() -> anyhow::Result<Option<Arc<dyn Channel>>> {
    let Ok(url) = std::env::var("ZHIBAN_WEBHOOK_URL") else {
        return Ok(None);
    };
    let secret = match (
        std::env::var("ZHIBAN_WEBHOOK_SECRET"),
        std::env::var("ZHIBAN_WEBHOOK_SECRET_FILE"),
    ) {
        (Ok(s), _) => s,
        (_, Ok(path)) => std::fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("ZHIBAN_WEBHOOK_SECRET_FILE {path}: {e}"))?
            .trim()
            .to_string(),
        _ => anyhow::bail!(
            "ZHIBAN_WEBHOOK_URL needs ZHIBAN_WEBHOOK_SECRET or ZHIBAN_WEBHOOK_SECRET_FILE"
        ),
    };
    Ok(Some(Arc::new(webhook::Webhook::new(&url, &secret)?)))
}

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
//! kind of event, SMS held through their quiet hours unless today's duties changed; the
//! centre's group robots and webhook for messages to its staff.

pub mod alerts;
pub mod channels;
pub mod guard;
pub mod secret;
pub mod webhook;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use zhiban_domain::notify_route::{Personal, Route, Situation, route_lawyer, route_staff};
use zhiban_domain::{Centre, CentreId};
use zhiban_store::{CentreChannel, Finish, Notification, Store};

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

/// The server's notification settings: its default channels, the key of stored secrets,
/// the group robots' services, and which hosts centres may point channels at.
pub struct Config {
    /// The server's own channels (`email`, `webhook`), used where a centre has none.
    pub server: BTreeMap<&'static str, Arc<dyn Channel>>,
    /// The key of centres' channel secrets (none: they cannot store any).
    pub secrets: Option<Arc<secret::SecretBox>>,
    /// The page's public address, for links in messages ('' for none).
    pub public_url: String,
    /// 企业微信's robot send URL.
    pub wecom_base: String,
    /// 钉钉's robot send URL.
    pub dingtalk_base: String,
    /// Hosts centres may send to (SMTP, SMS gateways, webhooks); none: any but this
    /// machine's and private networks' ([`is_internal`]).
    pub allow_hosts: Option<Vec<String>>,
    /// The HTTP client of every HTTP channel (no redirects, [`SEND_TIMEOUT`], names that
    /// resolve inward refused by [`Self::guard`]).
    pub client: reqwest::Client,
    /// Where centres' channels may connect by name.
    pub guard: Arc<guard::Guard>,
    /// Alerts this process has decided already (a day's uncovered posts, a month's
    /// readiness), so the minute's look stays cheap.
    pub looked: std::sync::Mutex<std::collections::HashSet<String>>,
    /// How long a dispatcher holds the messages it leased ([`LEASE`] by default): a
    /// process that dies holding them delays them this long.
    pub lease: chrono::Duration,
    /// Test messages per centre in the current minute.
    pub tests: std::sync::Mutex<BTreeMap<CentreId, (i64, u32)>>,
}

impl Default for Config {
    fn default() -> Self {
        crate::tls::install_crypto_provider();
        Self {
            server: BTreeMap::new(),
            secrets: None,
            public_url: String::new(),
            wecom_base: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send".into(),
            dingtalk_base: "https://oapi.dingtalk.com/robot/send".into(),
            allow_hosts: None,
            client: http_client(Arc::default()),
            guard: Arc::default(),
            looked: Default::default(),
            tests: Default::default(),
            lease: LEASE,
        }
    }
}

/// The HTTP client of the channels, resolving names through `guard`.
pub fn http_client(guard: Arc<guard::Guard>) -> reqwest::Client {
    crate::tls::install_crypto_provider();
    reqwest::Client::builder()
        .dns_resolver(guard::Resolver(guard))
        .timeout(Duration::from_secs(
            SEND_TIMEOUT.num_seconds().unsigned_abs(),
        ))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client with rustls")
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// `NAME`, or the contents of the file `NAME_FILE`.
fn env_or_file(name: &str) -> anyhow::Result<Option<String>> {
    if let Some(v) = env(name) {
        return Ok(Some(v));
    }
    match env(&format!("{name}_FILE")) {
        Some(path) => Ok(Some(
            std::fs::read_to_string(&path)
                .map_err(|e| anyhow::anyhow!("{name}_FILE {path}: {e}"))?
                .trim()
                .to_string(),
        )),
        None => Ok(None),
    }
}

impl Config {
    /// From the environment: `ZHIBAN_SMTP_URL` (`smtp://[user[:pass]@]host:port`, with
    /// `?tls=required` for STARTTLS, or `smtps://` for TLS), `ZHIBAN_SMTP_FROM` and
    /// `ZHIBAN_SMTP_PASSWORD[_FILE]` and `ZHIBAN_SMTP_CA_FILE` (PEM: an authority to trust); `ZHIBAN_WEBHOOK_URL` and `ZHIBAN_WEBHOOK_SECRET[_FILE]`;
    /// `ZHIBAN_PUBLIC_URL`; `ZHIBAN_CHANNEL_HOSTS` (comma-separated); `ZHIBAN_WECOM_URL`
    /// and `ZHIBAN_DINGTALK_URL` (the robots' services, for a proxy); the secrets' key
    /// (see [`secret`]), or `key_file` created when given.
    pub fn from_env(key_file: Option<&std::path::Path>) -> anyhow::Result<Self> {
        let mut c = Config {
            public_url: env("ZHIBAN_PUBLIC_URL").unwrap_or_default(),
            secrets: secret::SecretBox::from_env(key_file)?.map(Arc::new),
            allow_hosts: env("ZHIBAN_CHANNEL_HOSTS").map(|h| {
                h.split(',')
                    .map(|s| s.trim().to_ascii_lowercase())
                    .filter(|s| !s.is_empty())
                    .collect()
            }),
            ..Config::default()
        };
        if let Some(s) = env("ZHIBAN_NOTIFY_LEASE_SECONDS") {
            let secs: i64 = s
                .trim()
                .parse()
                .ok()
                .filter(|n| (35..=3600).contains(n))
                .ok_or_else(|| {
                    anyhow::anyhow!("ZHIBAN_NOTIFY_LEASE_SECONDS must be 35 to 3600 (seconds)")
                })?;
            c.lease = chrono::Duration::seconds(secs);
        }
        if let Some(u) = env("ZHIBAN_WECOM_URL") {
            c.wecom_base = u;
        }
        if let Some(u) = env("ZHIBAN_DINGTALK_URL") {
            c.dingtalk_base = u;
        }
        // The names the server was given may resolve anywhere: the allowed hosts, and the
        // robots' services (a proxy on the city's network).
        let robots = [&c.wecom_base, &c.dingtalk_base]
            .into_iter()
            .filter_map(|u| reqwest::Url::parse(u).ok()?.host_str().map(str::to_string));
        let named = c
            .allow_hosts
            .clone()
            .unwrap_or_default()
            .into_iter()
            .chain(robots);
        c.guard = Arc::new(guard::Guard::new(named.collect::<Vec<_>>()));
        c.client = http_client(c.guard.clone());
        if let Some(url) = env("ZHIBAN_SMTP_URL") {
            let from = env("ZHIBAN_SMTP_FROM")
                .ok_or_else(|| anyhow::anyhow!("ZHIBAN_SMTP_URL needs ZHIBAN_SMTP_FROM"))?;
            let password = env_or_file("ZHIBAN_SMTP_PASSWORD")?;
            let ca = match env("ZHIBAN_SMTP_CA_FILE") {
                Some(path) => Some(
                    std::fs::read_to_string(&path)
                        .map_err(|e| anyhow::anyhow!("ZHIBAN_SMTP_CA_FILE {path}: {e}"))?,
                ),
                None => None,
            };
            let email = channels::Email::new(
                &url,
                &from,
                password.as_deref(),
                &c.public_url,
                ca.as_deref(),
            )?;
            c.server.insert("email", Arc::new(email));
        }
        if let Some(url) = env("ZHIBAN_WEBHOOK_URL") {
            let secret = env_or_file("ZHIBAN_WEBHOOK_SECRET")?.ok_or_else(|| {
                anyhow::anyhow!(
                    "ZHIBAN_WEBHOOK_URL needs ZHIBAN_WEBHOOK_SECRET or ZHIBAN_WEBHOOK_SECRET_FILE"
                )
            })?;
            c.server
                .insert("webhook", Arc::new(webhook::Webhook::new(&url, &secret)?));
        }
        Ok(c)
    }

    /// A line for the server's start: where messages go.
    pub fn describe(&self) -> String {
        let server: Vec<&str> = self.server.keys().copied().collect();
        format!(
            "notifications: server channels {}; centres' channel secrets {}",
            if server.is_empty() {
                "none (in-page inbox, and centres' own channels)".to_string()
            } else {
                server.join(", ")
            },
            if self.secrets.is_some() {
                "encrypted with the server key"
            } else {
                "unavailable (no ZHIBAN_SECRET_KEY)"
            }
        )
    }

    /// Whether `centre` may send another test message at `now` (at most `per_minute`).
    pub fn allow_test(
        &self,
        centre: &CentreId,
        now: chrono::DateTime<chrono::Utc>,
        per_minute: u32,
    ) -> bool {
        let Ok(mut t) = self.tests.lock() else {
            return false;
        };
        let minute = now.timestamp() / 60;
        let e = t.entry(centre.clone()).or_insert((minute, 0));
        if e.0 != minute {
            *e = (minute, 0);
        }
        e.1 += 1;
        e.1 <= per_minute
    }

    /// Whether a centre may send to `host`: one the server names, or without a list any
    /// host but this machine's and private networks'.
    pub fn host_allowed(&self, host: &str) -> bool {
        match &self.allow_hosts {
            Some(l) => l.iter().any(|h| h.eq_ignore_ascii_case(host)),
            None => !is_internal(host),
        }
    }

    /// The channel configured by `c`, or why it cannot be used.
    pub fn build(&self, c: &CentreChannel) -> Result<Arc<dyn Channel>, String> {
        let secrets: serde_json::Map<String, serde_json::Value> = if c.secret.is_empty() {
            serde_json::Map::new()
        } else {
            let key = self
                .secrets
                .as_ref()
                .ok_or("the server has no secret key: the channel's secret cannot be read")?;
            let plain = key
                .open(&secret_context(&c.centre_id, &c.kind), &c.secret)
                .ok_or("the channel's secret does not open with the server key")?;
            serde_json::from_str(&plain).map_err(|_| "the channel's secret is damaged")?
        };
        let text = |m: &serde_json::Map<String, serde_json::Value>, k: &str| {
            m.get(k)
                .and_then(serde_json::Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let settings = c.settings.as_object().cloned().unwrap_or_default();
        let e = |e: anyhow::Error| e.to_string();
        // Checked again at each use: a host allowed when it was set may be refused since.
        if let Some(url) = settings.get("url").and_then(serde_json::Value::as_str) {
            let host = reqwest::Url::parse(url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_default();
            if !self.host_allowed(&host) {
                return Err(format!("the server does not allow sending to {host}"));
            }
        }
        Ok(match c.kind.as_str() {
            "email" => {
                let password = text(&secrets, "password");
                Arc::new(
                    channels::Email::new(
                        &text(&settings, "url"),
                        &text(&settings, "from"),
                        Some(password.as_str()).filter(|p| !p.is_empty()),
                        &self.public_url,
                        None,
                    )
                    .map_err(e)?
                    .guarded(self.guard.clone()),
                )
            }
            "sms" => Arc::new(
                channels::Sms::new(
                    &text(&settings, "url"),
                    &text(&settings, "template"),
                    &text(&secrets, "credential"),
                    self.client.clone(),
                    &self.public_url,
                )
                .map_err(e)?,
            ),
            "webhook" => Arc::new(
                webhook::Webhook::new(&text(&settings, "url"), &text(&secrets, "secret"))
                    .map_err(e)?
                    .with_client(self.client.clone()),
            ),
            "wecom" => Arc::new(
                channels::Robot::new(
                    "wecom",
                    &self.wecom_base,
                    &text(&secrets, "key"),
                    None,
                    self.client.clone(),
                    &self.public_url,
                )
                .map_err(e)?,
            ),
            "dingtalk" => Arc::new(
                channels::Robot::new(
                    "dingtalk",
                    &self.dingtalk_base,
                    &text(&secrets, "access_token"),
                    Some(text(&secrets, "sign_secret")).filter(|s| !s.is_empty()),
                    self.client.clone(),
                    &self.public_url,
                )
                .map_err(e)?,
            ),
            other => return Err(format!("unknown channel kind {other}")),
        })
    }

    /// The channels of `centre` by kind: its own (or its nearest ancestor's, kind by kind;
    /// a disabled one turns the kind off), then the server's for kinds none configured.
    pub async fn channels_for(
        &self,
        store: &dyn Store,
        centre: &CentreId,
        centres: &[Centre],
    ) -> Result<BTreeMap<String, Arc<dyn Channel>>, String> {
        let mut out = BTreeMap::new();
        let mut decided = std::collections::BTreeSet::new();
        let mut at = Some(centre.clone());
        let mut hops = 0;
        while let Some(c) = at.take() {
            for ch in store.centre_channels(&c).await.map_err(|e| e.to_string())? {
                if !decided.insert(ch.kind.clone()) || !ch.enabled {
                    continue;
                }
                // A channel that cannot be built fails the messages that need it (kept
                // with the error, retried, a dead letter at last): never a silent skip.
                let built = self.build(&ch).unwrap_or_else(|e| {
                    tracing::warn!(centre = %c, kind = %ch.kind, error = %e, "a channel cannot be used");
                    Arc::new(Broken::new(&ch.kind, e))
                });
                out.insert(ch.kind.clone(), built);
            }
            hops += 1;
            at = centres
                .iter()
                .find(|x| x.id == c)
                .and_then(|x| x.parent_id.clone())
                .filter(|_| hops < 16);
        }
        for (kind, ch) in &self.server {
            if !decided.contains(*kind) {
                out.insert((*kind).to_string(), ch.clone());
            }
        }
        Ok(out)
    }
}

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

/// A channel of a centre that cannot be used (its secret does not open, a setting the
/// server refuses): every send fails with why, so the message is kept and retried.
struct Broken {
    kind: &'static str,
    error: String,
}

impl Broken {
    fn new(kind: &str, error: String) -> Self {
        let kind = KINDS
            .iter()
            .find(|k| **k == kind)
            .copied()
            .unwrap_or("channel");
        Self { kind, error }
    }
}

#[async_trait::async_trait]
impl Channel for Broken {
    fn name(&self) -> &'static str {
        self.kind
    }

    async fn send(&self, _n: &Notification, _to: &Recipient) -> Result<(), String> {
        Err(format!("{}: {}", self.kind, self.error))
    }
}

/// Whether `host` is this machine or a private network's (loopback, private, link-local,
/// shared or unique-local addresses, `localhost`): centres may not point channels there
/// unless the server allows it by name (`ZHIBAN_CHANNEL_HOSTS`).
pub fn is_internal(host: &str) -> bool {
    let h = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    if h == "localhost" || h.ends_with(".localhost") || h.is_empty() {
        return true;
    }
    match h.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(a)) => {
            let [x, y, ..] = a.octets();
            a.is_loopback()
                || a.is_private()
                || a.is_link_local()
                || a.is_unspecified()
                || a.is_broadcast()
                || (x == 100 && (64..128).contains(&y))
                || x == 0
        }
        Ok(std::net::IpAddr::V6(a)) => {
            let first = a.segments()[0];
            a.is_loopback()
                || a.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || a.to_ipv4_mapped()
                    .is_some_and(|v4| is_internal(&v4.to_string()))
        }
        Err(_) => false,
    }
}

/// The associated data a centre's channel secret is sealed with.
pub fn secret_context(centre: &CentreId, kind: &str) -> String {
    format!("zhiban-channel/{centre}/{kind}")
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
    /// its sends could outlast `lease_left`. A failure to read the lawyer's choices or
    /// address fails the message (it is tried again), never a guess.
    async fn deliver(
        &self,
        n: &Notification,
        chans: &BTreeMap<String, Arc<dyn Channel>>,
        centres: &[Centre],
        now: chrono::DateTime<chrono::Utc>,
        lease_left: chrono::Duration,
    ) -> Option<Outcome> {
        let delivered: Vec<&str> = n.delivered.split(',').filter(|s| !s.is_empty()).collect();
        let failed = |e: String| Outcome {
            delivered: delivered.iter().map(|s| (*s).to_string()).collect(),
            errors: vec![e],
            held_until: None,
        };
        let mut to = Recipient::default();
        let route: Route = if n.audience == "lawyer" {
            let (prefs, contact) = match &n.lawyer_id {
                Some(id) => {
                    let prefs = match self.store.notification_prefs(id).await {
                        Ok(p) => p,
                        Err(e) => return Some(failed(format!("preferences: {e}"))),
                    };
                    match self.store.lawyer_contact(id).await {
                        Ok(c) => (prefs, c),
                        Err(e) => return Some(failed(format!("contact: {e}"))),
                    }
                }
                None => Default::default(),
            };
            if let Some((email, phone)) = contact {
                to.email = email;
                to.phone = phone;
            }
            let mut reachable = Vec::new();
            if !to.email.is_empty() && chans.contains_key("email") {
                reachable.push(Personal::Email);
            }
            if !to.phone.is_empty() && chans.contains_key("sms") {
                reachable.push(Personal::Sms);
            }
            let broadcast: Vec<&str> = chans
                .keys()
                .filter(|k| *k == "webhook")
                .map(String::as_str)
                .collect();
            let tz = centres
                .iter()
                .find(|c| c.id == n.centre_id)
                .map_or(zhiban_domain::DEFAULT_TIME_ZONE, |c| c.time_zone);
            let local = now.with_timezone(&tz).naive_local();
            let expired = n.expires_at.is_some_and(|e| now >= e);
            let r = route_lawyer(
                &prefs,
                &Situation {
                    event: &n.event,
                    reachable: &reachable,
                    broadcast: &broadcast,
                    delivered: &delivered,
                    at: local,
                    urgent: n.urgent,
                    expired,
                },
            );
            // Held until a local time: as the UTC instant (naive) for the outbox.
            let held_until = r.held_until.map(|t| local_to_utc(tz, t).naive_utc());
            Route {
                now: r.now,
                held_until,
            }
        } else {
            let kinds: Vec<&str> = chans.keys().map(String::as_str).collect();
            route_staff(&kinds, &delivered)
        };
        let sends = i32::try_from(route.now.len()).unwrap_or(i32::MAX);
        if SEND_TIMEOUT * sends + chrono::Duration::seconds(5) > lease_left {
            return None;
        }
        let mut out = Outcome {
            delivered: delivered.iter().map(|s| (*s).to_string()).collect(),
            errors: Vec::new(),
            held_until: route.held_until.map(|t| t.and_utc()),
        };
        let limit = std::time::Duration::from_secs(SEND_TIMEOUT.num_seconds().unsigned_abs());
        for kind in &route.now {
            let Some(ch) = chans.get(kind) else { continue };
            match tokio::time::timeout(limit, ch.send(n, &to)).await {
                Ok(Ok(())) => out.delivered.push(kind.clone()),
                Ok(Err(e)) => out.errors.push(e),
                Err(_) => out
                    .errors
                    .push(format!("{kind}: no answer within {limit:?}")),
            }
        }
        Some(out)
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
    fn internal_hosts_are_refused_unless_the_server_names_them() {
        for h in [
            "localhost",
            "a.localhost",
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "[::1]",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "",
        ] {
            assert!(is_internal(h), "{h}");
        }
        for h in [
            "smtp.example.gov.cn",
            "8.8.8.8",
            "2001:db8::1",
            "100.128.0.1",
        ] {
            assert!(!is_internal(h), "{h}");
        }
        let open = Config::default();
        assert!(open.host_allowed("sms.example.cn") && !open.host_allowed("127.0.0.1"));
        let listed = Config {
            allow_hosts: Some(vec!["127.0.0.1".into()]),
            ..Config::default()
        };
        assert!(listed.host_allowed("127.0.0.1") && !listed.host_allowed("sms.example.cn"));
    }

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

//! The server's notification settings ([`Config`]): its default channels from the
//! environment, the key of centres' secrets, where centres may send, and how a centre's
//! channels are found (its own, its parents', the server's) and built.

use super::guard::is_internal;
use super::{Channel, KINDS, LEASE, Recipient, SEND_TIMEOUT, channels, guard, secret, webhook};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use zhiban_domain::{Centre, CentreId};
use zhiban_store::{CentreChannel, Notification, Store};

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

/// The associated data a centre's channel secret is sealed with.
pub fn secret_context(centre: &CentreId, kind: &str) -> String {
    format!("zhiban-channel/{centre}/{kind}")
}

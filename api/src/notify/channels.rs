//! The outside channels besides the generic webhook: e-mail over SMTP (lettre: STARTTLS
//! with `smtp://…?tls=required`, TLS with `smtps://`, auth from the URL or a password),
//! SMS through a city's HTTP gateway (URL, JSON body template, credential), and the
//! 企业微信 and 钉钉 group robots of a centre's coordinators (钉钉 with its signed timestamp:
//! `sign` = base64 HMAC-SHA256 of `TIMESTAMP\nSECRET` keyed with the secret).

use super::{Channel, Recipient, SEND_TIMEOUT};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sha2::Sha256;
use zhiban_store::Notification;

fn timeout() -> std::time::Duration {
    std::time::Duration::from_secs(SEND_TIMEOUT.num_seconds().unsigned_abs())
}

/// The text of a message with its link (absolute when the server's public URL is known).
pub fn text_of(n: &Notification, public_url: &str) -> String {
    let link = if public_url.is_empty() {
        String::new()
    } else {
        format!(
            "\n\n查看详情：{}{}",
            public_url.trim_end_matches('/'),
            n.link
        )
    };
    format!("{}{link}", n.body)
}

/// E-mail over SMTP.
pub struct Email {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    public_url: String,
    host: String,
    guard: Option<std::sync::Arc<super::guard::Guard>>,
}

impl Email {
    /// An SMTP channel to `url` (`smtp://[user[:password]@]host:port[?tls=required]` or
    /// `smtps://…`), sending as `from`, with `password` overriding the URL's; `ca` (PEM)
    /// is a certificate authority to trust besides the system's (a city's own mail server),
    /// and with it TLS is required.
    pub fn new(
        url: &str,
        from: &str,
        password: Option<&str>,
        public_url: &str,
        ca: Option<&str>,
    ) -> anyhow::Result<Self> {
        crate::tls::install_crypto_provider();
        let parsed =
            reqwest::Url::parse(url).map_err(|_| anyhow::anyhow!("the SMTP URL is not a URL"))?;
        if !matches!(parsed.scheme(), "smtp" | "smtps") {
            anyhow::bail!("the SMTP URL must start with smtp:// or smtps://");
        }
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| anyhow::anyhow!("the SMTP URL: {e}"))?
            .timeout(Some(timeout()));
        if let Some(pem) = ca {
            use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
            let cert = Certificate::from_pem(pem.as_bytes())
                .map_err(|e| anyhow::anyhow!("the SMTP certificate authority: {e}"))?;
            let host = parsed.host_str().unwrap_or_default().to_string();
            let params = TlsParameters::builder(host)
                .add_root_certificate(cert)
                .build_rustls()
                .map_err(|e| anyhow::anyhow!("SMTP TLS: {e}"))?;
            builder = builder.tls(if parsed.scheme() == "smtps" {
                Tls::Wrapper(params)
            } else {
                Tls::Required(params)
            });
        }
        if let Some(p) = password {
            // Never a password in clear text: TLS from the start, or STARTTLS required.
            let tls = parsed.scheme() == "smtps"
                || ca.is_some()
                || parsed
                    .query_pairs()
                    .any(|(k, v)| k == "tls" && v == "required");
            if !tls {
                anyhow::bail!(
                    "an SMTP password needs an encrypted connection: smtps:// or ?tls=required"
                );
            }
            let user = percent_decode(parsed.username());
            if user.is_empty() {
                anyhow::bail!("an SMTP password needs a user name in the URL (smtp://user@host)");
            }
            builder = builder.credentials(Credentials::new(user, p.to_string()));
        }
        let from: Mailbox = from
            .parse()
            .map_err(|e| anyhow::anyhow!("the sender address {from:?}: {e}"))?;
        Ok(Self {
            transport: builder.build(),
            from,
            public_url: public_url.to_string(),
            host: parsed.host_str().unwrap_or_default().to_string(),
            guard: None,
        })
    }

    /// The same channel connecting only where `guard` allows (a centre's).
    pub fn guarded(mut self, guard: std::sync::Arc<super::guard::Guard>) -> Self {
        self.guard = Some(guard);
        self
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[async_trait::async_trait]
impl Channel for Email {
    fn name(&self) -> &'static str {
        "email"
    }

    async fn send(&self, n: &Notification, to: &Recipient) -> Result<(), String> {
        if let Some(g) = &self.guard
            && self.host.parse::<std::net::IpAddr>().is_err()
        {
            g.resolve(&self.host, 0)
                .await
                .map_err(|e| format!("email: {e}"))?;
        }
        let address = to
            .email
            .parse()
            .map_err(|_| "email: the recipient's address is not valid".to_string())?;
        let mail = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, address))
            .subject(n.subject.clone())
            // The idempotency key as the Message-ID: a repeat after a crash is the same
            // message to a mail system that drops duplicates.
            .message_id(Some(format!("<{}@zhiban>", to.key(n))))
            .header(ContentType::TEXT_PLAIN)
            .body(text_of(n, &self.public_url))
            .map_err(|e| format!("email: {e}"))?;
        self.transport
            .send(mail)
            .await
            .map(|_| ())
            .map_err(|e| format!("email: {e}"))
    }
}

/// SMS through an HTTP gateway: POSTs `template` (JSON) with `{phone}`, `{text}` and
/// `{credential}` filled in (as JSON strings), and the credential as a bearer token.
pub struct Sms {
    url: reqwest::Url,
    template: String,
    credential: String,
    client: reqwest::Client,
    public_url: String,
}

/// The longest SMS text sent (a gateway splits longer ones and charges for each part).
pub const SMS_CHARS: usize = 200;

impl Sms {
    /// A gateway at `url` with body `template` and `credential`.
    pub fn new(
        url: &str,
        template: &str,
        credential: &str,
        client: reqwest::Client,
        public_url: &str,
    ) -> anyhow::Result<Self> {
        let url = reqwest::Url::parse(url)
            .map_err(|_| anyhow::anyhow!("the SMS gateway URL is not a URL"))?;
        if !matches!(url.scheme(), "http" | "https") {
            anyhow::bail!("the SMS gateway URL must be http or https");
        }
        let filled = fill(template, "13800000000", "测试", "x");
        serde_json::from_str::<serde_json::Value>(&filled)
            .map_err(|e| anyhow::anyhow!("the SMS template is not JSON once filled in: {e}"))?;
        if !template.contains("{phone}") || !template.contains("{text}") {
            anyhow::bail!("the SMS template must contain {{phone}} and {{text}}");
        }
        Ok(Self {
            url,
            template: template.to_string(),
            credential: credential.to_string(),
            client,
            public_url: public_url.to_string(),
        })
    }
}

/// `template` with its placeholders replaced by JSON string contents, in one pass: what
/// is filled in is never read again (a station named `{credential}` stays that text).
pub fn fill(template: &str, phone: &str, text: &str, credential: &str) -> String {
    let esc = |s: &str| {
        let q = serde_json::Value::from(s).to_string();
        q[1..q.len() - 1].to_string()
    };
    let mut out = String::with_capacity(template.len() + text.len());
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let (value, len) = if tail.starts_with("{phone}") {
            (esc(phone), "{phone}".len())
        } else if tail.starts_with("{text}") {
            (esc(text), "{text}".len())
        } else if tail.starts_with("{credential}") {
            (esc(credential), "{credential}".len())
        } else {
            ("{".to_string(), 1)
        };
        out.push_str(&value);
        rest = &tail[len..];
    }
    out.push_str(rest);
    out
}

/// A message's SMS text: the subject, and the link when known, cut to [`SMS_CHARS`].
pub fn sms_text(n: &Notification, public_url: &str) -> String {
    let mut t = format!("【值班】{}", n.subject);
    if !public_url.is_empty() {
        t.push(' ');
        t.push_str(public_url.trim_end_matches('/'));
    }
    t.chars().take(SMS_CHARS).collect()
}

#[async_trait::async_trait]
impl Channel for Sms {
    fn name(&self) -> &'static str {
        "sms"
    }

    async fn send(&self, n: &Notification, to: &Recipient) -> Result<(), String> {
        if to.phone.is_empty() {
            return Err("sms: the recipient has no phone number".into());
        }
        let body = fill(
            &self.template,
            &to.phone,
            &sms_text(n, &self.public_url),
            &self.credential,
        );
        let mut req = self
            .client
            .post(self.url.clone())
            .header("content-type", "application/json; charset=utf-8")
            .header("idempotency-key", to.key(n));
        if !self.credential.is_empty() {
            req = req.bearer_auth(&self.credential);
        }
        let res = req
            .body(body)
            .send()
            .await
            .map_err(|e| format!("sms: {}", e.without_url()))?;
        if res.status().is_success() {
            Ok(())
        } else {
            Err(format!("sms gateway answered {}", res.status()))
        }
    }
}

/// A group robot of 企业微信 (`wecom`) or 钉钉 (`dingtalk`).
pub struct Robot {
    kind: &'static str,
    url: reqwest::Url,
    sign_secret: Option<String>,
    client: reqwest::Client,
    public_url: String,
}

/// 钉钉's signature of `timestamp` (milliseconds) with `secret`: base64 of HMAC-SHA256 of
/// `TIMESTAMP\nSECRET` keyed with the secret (URL-encoded by the caller).
pub fn dingtalk_sign(secret: &str, timestamp: i64) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(format!("{timestamp}\n{secret}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

impl Robot {
    /// The robot `kind` at `base` (the service's send URL) with its `token` (企业微信's
    /// `key`, 钉钉's `access_token`) and, for 钉钉, the signing secret.
    pub fn new(
        kind: &'static str,
        base: &str,
        token: &str,
        sign_secret: Option<String>,
        client: reqwest::Client,
        public_url: &str,
    ) -> anyhow::Result<Self> {
        let mut url = reqwest::Url::parse(base).map_err(|e| anyhow::anyhow!("robot URL: {e}"))?;
        let param = if kind == "wecom" {
            "key"
        } else {
            "access_token"
        };
        url.query_pairs_mut().append_pair(param, token);
        Ok(Self {
            kind,
            url,
            sign_secret,
            client,
            public_url: public_url.to_string(),
        })
    }
}

#[async_trait::async_trait]
impl Channel for Robot {
    fn name(&self) -> &'static str {
        self.kind
    }

    async fn send(&self, n: &Notification, _to: &Recipient) -> Result<(), String> {
        let mut url = self.url.clone();
        if let Some(secret) = &self.sign_secret {
            let ts = chrono::Utc::now().timestamp_millis();
            url.query_pairs_mut()
                .append_pair("timestamp", &ts.to_string())
                .append_pair("sign", &dingtalk_sign(secret, ts));
        }
        let content = format!("{}\n{}", n.subject, text_of(n, &self.public_url));
        let body = serde_json::json!({"msgtype": "text", "text": {"content": content}});
        let res = self
            .client
            .post(url)
            .header("content-type", "application/json; charset=utf-8")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| format!("{}: {}", self.kind, e.without_url()))?;
        if !res.status().is_success() {
            return Err(format!("{} answered {}", self.kind, res.status()));
        }
        // Both services answer 200 with `errcode` 0 on success, another code otherwise.
        let raw = res
            .bytes()
            .await
            .map_err(|e| format!("{}: {}", self.kind, e.without_url()))?;
        let answer: serde_json::Value = serde_json::from_slice(&raw)
            .map_err(|_| format!("{}: the answer is not JSON", self.kind))?;
        match answer.get("errcode").and_then(serde_json::Value::as_i64) {
            Some(0) => Ok(()),
            code => Err(format!(
                "{} refused the message: errcode {} {}",
                self.kind,
                code.map_or("?".into(), |c| c.to_string()),
                answer
                    .get("errmsg")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("")
                    .chars()
                    .take(100)
                    .collect::<String>()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dingtalk_signature_matches_an_independent_computation() {
        // printf '1700000000000\nSECabc' | openssl dgst -sha256 -hmac SECabc -binary | base64
        assert_eq!(
            dingtalk_sign("SECabc", 1_700_000_000_000),
            "jcUpW0QmtKduN03n4JqQ0PBosVjqnM8gU7fIIvsDmCM="
        );
    }

    #[test]
    fn sms_templates_are_filled_as_json() {
        let t = r#"{"to": "{phone}", "msg": "{text}", "key": "{credential}"}"#;
        let v: serde_json::Value =
            serde_json::from_str(&fill(t, "138", "引号\"与\n换行", "k")).unwrap();
        assert_eq!(v["msg"], "引号\"与\n换行");
        // What is filled in is not filled in again: no credential through a station name.
        let v: serde_json::Value =
            serde_json::from_str(&fill(t, "138", "{credential} {phone}", "SECRET")).unwrap();
        assert_eq!(v["msg"], "{credential} {phone}");
        assert_eq!(v["key"], "SECRET");
        assert_eq!(fill("{x} {{phone}", "1", "", ""), "{x} {1");
        assert_eq!(v["to"], "138");
        let client = crate::notify::http_client(Default::default());
        assert!(Sms::new("https://sms.example.cn/send", t, "k", client.clone(), "").is_ok());
        assert!(
            Sms::new(
                "https://sms.example.cn/send",
                r#"{"to": "{phone}"}"#,
                "k",
                client.clone(),
                ""
            )
            .is_err()
        );
        assert!(
            Sms::new(
                "https://sms.example.cn/send",
                "not json {phone} {text}",
                "k",
                client.clone(),
                ""
            )
            .is_err()
        );
        assert!(Sms::new("ftp://x/", t, "k", client, "").is_err());
    }

    #[test]
    fn smtp_urls_and_senders_are_checked() {
        assert!(
            Email::new(
                "smtp://127.0.0.1:2525",
                "值班系统 <duty@example.cn>",
                None,
                "",
                None
            )
            .is_ok()
        );
        assert!(
            Email::new(
                "smtps://u@mail.example.cn",
                "duty@example.cn",
                Some("p"),
                "",
                None
            )
            .is_ok()
        );
        assert!(Email::new("http://x", "duty@example.cn", None, "", None).is_err());
        assert!(
            Email::new(
                "smtp://mail.example.cn",
                "duty@example.cn",
                Some("p"),
                "",
                None
            )
            .is_err()
        );
        let tls = "smtp://u@mail.example.cn:587?tls=required";
        assert!(Email::new(tls, "a@b.cn", Some("p"), "", None).is_ok());
        let plain = "smtp://u@mail.example.cn:587";
        assert!(
            Email::new(plain, "a@b.cn", Some("p"), "", None).is_err(),
            "no password in clear"
        );
        let maybe = "smtp://u@mail.example.cn:587?tls=opportunistic";
        assert!(Email::new(maybe, "a@b.cn", Some("p"), "", None).is_err());
        assert!(Email::new("smtp://mail.example.cn", "not an address", None, "", None).is_err());
        assert_eq!(percent_decode("a%40b"), "a@b");
    }
}

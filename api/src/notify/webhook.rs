//! The generic webhook: each message is POSTed as JSON to the configured URL with
//! `X-Zhiban-Timestamp` (Unix seconds), `X-Zhiban-Signature: sha256=HEX`, the HMAC-SHA256
//! with the shared secret of `TIMESTAMP.BODY`, and `Idempotency-Key`. A receiver checks the
//! signature, refuses old timestamps, and drops repeats by the key. Any 2xx answer is
//! success; anything else, or no answer within ten seconds, is a failure retried later.

use super::{Channel, Recipient};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zhiban_store::Notification;

/// The webhook channel.
pub struct Webhook {
    url: reqwest::Url,
    secret: Vec<u8>,
    client: reqwest::Client,
}

impl Webhook {
    /// A webhook to `url` (http or https) signing with `secret`.
    pub fn new(url: &str, secret: &str) -> anyhow::Result<Self> {
        let url =
            reqwest::Url::parse(url).map_err(|e| anyhow::anyhow!("webhook URL {url:?}: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            anyhow::bail!("webhook URL {url}: http or https only");
        }
        if secret.len() < 16 {
            anyhow::bail!("the webhook secret must have at least 16 characters");
        }
        crate::tls::install_crypto_provider();
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(
                super::SEND_TIMEOUT.num_seconds().unsigned_abs(),
            ))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            url,
            secret: secret.as_bytes().to_vec(),
            client,
        })
    }
}

impl Webhook {
    /// The same webhook sending through `client` (a centre's: names resolving inward are
    /// refused).
    pub fn with_client(mut self, client: reqwest::Client) -> Self {
        self.client = client;
        self
    }
}

/// The signature of `body` sent at `timestamp`: `sha256=` and the hex HMAC-SHA256 of
/// `TIMESTAMP.BODY` with `secret`.
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

/// The JSON a receiver gets.
pub fn payload(n: &Notification) -> serde_json::Value {
    serde_json::json!({
        "id": n.id,
        "idempotency_key": n.idempotency_key,
        "event": n.event,
        "centre_id": n.centre_id,
        "lawyer_id": n.lawyer_id,
        "subject": n.subject,
        "body": n.body,
        "link": n.link,
        "created_at": n.created_at,
    })
}

#[async_trait::async_trait]
impl Channel for Webhook {
    fn name(&self) -> &'static str {
        "webhook"
    }

    async fn send(&self, n: &Notification, _to: &Recipient) -> Result<(), String> {
        let body = serde_json::to_vec(&payload(n)).map_err(|e| e.to_string())?;
        let timestamp = chrono::Utc::now().timestamp();
        let res = self
            .client
            .post(self.url.clone())
            .header("content-type", "application/json; charset=utf-8")
            .header("idempotency-key", &n.idempotency_key)
            .header("x-zhiban-timestamp", timestamp.to_string())
            .header(
                "x-zhiban-signature",
                signature(&self.secret, timestamp, &body),
            )
            .body(body)
            .send()
            .await
            // Without the URL: a gateway's URL may carry its credential (`?key=`), and this
            // text is kept on the message and shown to coordinators.
            .map_err(|e| format!("webhook: {}", e.without_url()))?;
        if res.status().is_success() {
            Ok(())
        } else {
            Err(format!("webhook answered {}", res.status()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hmac_of_timestamp_dot_body() {
        // HMAC-SHA256("key", "1700000000.{}"), computed independently with
        // `printf '1700000000.{}' | openssl dgst -sha256 -hmac key`.
        let s = signature(b"key", 1_700_000_000, b"{}");
        assert_eq!(
            s,
            "sha256=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"
        );
        assert_ne!(s, signature(b"key", 1_700_000_001, b"{}"));
        assert_ne!(s, signature(b"other", 1_700_000_000, b"{}"));
    }
}

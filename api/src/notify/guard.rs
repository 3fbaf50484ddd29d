//! Where centres' channels may connect: a host name that resolves to this machine or a
//! private network (see [`super::is_internal`]) is refused at connection time, unless the
//! server names it (`ZHIBAN_CHANNEL_HOSTS`, or the robots' own services it was given). A
//! literal address is checked where the channel is set and built; a name, here, each time
//! it is resolved, so a name pointed inward later is caught too.

use std::net::SocketAddr;
use std::sync::Arc;

/// The names that may resolve to internal addresses.
#[derive(Debug, Default)]
pub struct Guard {
    allowed: Vec<String>,
}

impl Guard {
    /// A guard letting `allowed` names (case-insensitive) resolve anywhere.
    pub fn new(allowed: impl IntoIterator<Item = String>) -> Self {
        Self {
            allowed: allowed
                .into_iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
        }
    }

    /// The addresses of `host` a channel may connect to on `port`; an error when it has
    /// none but internal ones (or does not resolve).
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| format!("{host}: {e}"))?
            .collect();
        if self.allowed.iter().any(|h| h.eq_ignore_ascii_case(host)) {
            return Ok(addrs);
        }
        let outside: Vec<SocketAddr> = addrs
            .into_iter()
            .filter(|a| !super::is_internal(&a.ip().to_string()))
            .collect();
        if outside.is_empty() {
            return Err(format!(
                "{host} resolves only to internal addresses (name it in ZHIBAN_CHANNEL_HOSTS)"
            ));
        }
        Ok(outside)
    }
}

/// The guard as reqwest's resolver.
pub struct Resolver(pub Arc<Guard>);

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = self.0.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs = guard.resolve(&host, 0).await?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn names_of_this_machine_are_refused_unless_allowed() {
        let guard = Guard::default();
        let e = guard.resolve("localhost", 25).await.unwrap_err();
        assert!(e.contains("internal"), "{e}");
        let allowed = Guard::new(["LocalHost".to_string()]);
        assert!(!allowed.resolve("localhost", 25).await.unwrap().is_empty());
    }
}

//! Where centres' channels may connect: a host name that resolves to this machine or a
//! private network (see [`super::is_internal`]) is refused at connection time, unless the
//! server names it (`ZHIBAN_CHANNEL_HOSTS`, or the robots' own services it was given). A
//! literal address is checked where the channel is set and built; a name, here, each time
//! it is resolved, so a name pointed inward later is caught too.

use std::net::SocketAddr;
use std::sync::Arc;

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
            .filter(|a| !is_internal(&a.ip().to_string()))
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
    use crate::notify::Config;

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

    #[tokio::test]
    async fn names_of_this_machine_are_refused_unless_allowed() {
        let guard = Guard::default();
        let e = guard.resolve("localhost", 25).await.unwrap_err();
        assert!(e.contains("internal"), "{e}");
        let allowed = Guard::new(["LocalHost".to_string()]);
        assert!(!allowed.resolve("localhost", 25).await.unwrap().is_empty());
    }
}

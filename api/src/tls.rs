//! TLS for outgoing connections (webhooks): rustls with the ring crypto provider, installed
//! once as the process default (reqwest is built without a provider of its own).

/// Installs ring as the process-wide rustls crypto provider; calling it again does nothing.
pub fn install_crypto_provider() {
    // `Err`: a provider is installed already, which is the goal. rustls deprecates ring's
    // provider for lacking post-quantum key exchange; aws-lc-rs, which has it, is a large C
    // build. Webhooks carry signed, short-lived messages: ring is chosen knowingly.
    #[allow(deprecated)]
    let _ = rustls::crypto::ring::default_provider().install_default();
}

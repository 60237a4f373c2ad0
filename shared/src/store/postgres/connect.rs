//! Making a connection: the URL parsed by the client, the password from the URL or a file,
//! TLS (rustls, the system's roots) unless every host is a Unix socket or `sslmode=disable`,
//! and the session's timeouts from `[store] busy_timeout`.

use crate::config::StoreUrl;
use crate::error::{Error, Result};
use postgres::config::{Host, SslMode};
use postgres::{Client, NoTls};
use std::path::Path;
use std::time::Duration;
use tokio_postgres_rustls::MakeRustlsConnect;

/// What every new connection is made from.
pub(super) struct Target {
    config: postgres::Config,
    tls: Option<MakeRustlsConnect>,
    timeout_ms: u64,
}

impl Target {
    pub(super) fn new(url: &StoreUrl, password_file: Option<&Path>, busy_timeout: Duration) -> Result<Self> {
        let location = url.redacted();
        let invalid = |why: String| Error::Store { location: location.clone(), message: why };
        // The client's own parse error never quotes the URL; still, name only the redacted one.
        let mut config: postgres::Config =
            url.expose().parse().map_err(|e: postgres::Error| invalid(format!("invalid store.url: {e}")))?;
        if let Some(path) = password_file {
            let text =
                std::fs::read_to_string(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
            let password = text.lines().next().unwrap_or("").to_string();
            if password.is_empty() {
                return Err(invalid(format!("store.password_file {} is empty", path.display())));
            }
            config.password(password);
        }
        let timeout = busy_timeout.max(Duration::from_millis(1));
        config.application_name("wicket").connect_timeout(timeout);
        let tcp = config.get_hosts().iter().any(|h| matches!(h, Host::Tcp(_)));
        let tls = if tcp && config.get_ssl_mode() != SslMode::Disable { Some(tls_connector(&location)?) } else { None };
        let timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        Ok(Self { config, tls, timeout_ms })
    }

    /// A new connection with the session's timeouts set.
    pub(super) fn connect(&self, location: &str) -> Result<Client> {
        let e = |err| super::map_err(location, err);
        let mut client = match &self.tls {
            Some(tls) => self.config.connect(tls.clone()),
            None => self.config.connect(NoTls),
        }
        .map_err(e)?;
        // Numbers only: nothing from the configuration is spliced into SQL.
        let ms = self.timeout_ms;
        client
            .batch_execute(&format!(
                "SET statement_timeout = {ms}; SET lock_timeout = {ms}; SET idle_in_transaction_session_timeout = {}",
                ms.saturating_mul(4)
            ))
            .map_err(e)?;
        Ok(client)
    }
}

/// rustls with the ring provider, verifying the server against the system's roots.
fn tls_connector(location: &str) -> Result<MakeRustlsConnect> {
    let invalid = |why: String| Error::Store { location: location.to_string(), message: why };
    let found = rustls_native_certs::load_native_certs();
    let mut roots = rustls::RootCertStore::empty();
    let (_added, _ignored) = roots.add_parsable_certificates(found.certs);
    if roots.is_empty() {
        return Err(invalid(
            "TLS: no system CA certificates found (install ca-certificates, or use a Unix socket or sslmode=disable)"
                .into(),
        ));
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(format!("TLS setup: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

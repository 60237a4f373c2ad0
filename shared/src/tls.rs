//! The TLS client configuration of every connection Wicket makes (LDAP's `ldaps://` and
//! StartTLS, PostgreSQL): rustls with the ring provider, verifying the server's chain and
//! name against a CA file or, without one, the system's roots. There is no switch to turn
//! verification off.

use crate::error::{Error, Result};
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::path::Path;
use std::sync::Arc;

/// Builds the client configuration (once, at construction). `who` names the setting in
/// errors (`ldap backend`, `store.url`), `option` the way to name a CA file there.
pub(crate) fn client_config(ca_file: Option<&Path>, who: &str, option: &str) -> Result<Arc<rustls::ClientConfig>> {
    let roots = match ca_file {
        Some(path) => roots_from_file(path, who)?,
        None => system_roots(who, option)?,
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Invalid(format!("{who}: TLS setup: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Every certificate in a PEM file; an error naming the file when it cannot be read or holds
/// no usable certificate.
fn roots_from_file(path: &Path, who: &str) -> Result<RootCertStore> {
    let pem = std::fs::read(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| Error::Invalid(format!("{who}: CA file {}: {e}", path.display())))?;
        roots.add(cert).map_err(|e| Error::Invalid(format!("{who}: CA file {}: {e}", path.display())))?;
    }
    if roots.is_empty() {
        return Err(Error::Invalid(format!("{who}: CA file {} holds no PEM certificate", path.display())));
    }
    Ok(roots)
}

fn system_roots(who: &str, option: &str) -> Result<RootCertStore> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (_added, _ignored) = roots.add_parsable_certificates(found.certs);
    if roots.is_empty() {
        return Err(Error::Invalid(format!(
            "{who}: no system CA certificates found (install ca-certificates or set {option})"
        )));
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ca_file_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let missing = dir.path().join("missing.pem");
        let e =
            client_config(Some(&missing), "ldap backend", "ca_file").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("missing.pem"), "{e}");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap_or_else(|e| panic!("{e}"));
        let e = client_config(Some(&empty), "ldap backend", "ca_file").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("empty.pem") && e.contains("no PEM certificate"), "{e}");
    }
}

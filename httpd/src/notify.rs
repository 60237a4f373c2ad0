//! `sd_notify(3)` without libsystemd: one datagram to `$NOTIFY_SOCKET` when the service is
//! ready (`Type=notify`), reloading, or stopping. Outside systemd it does nothing.

use std::os::unix::net::UnixDatagram;

/// Sends `state` (e.g. `"READY=1"`) to the service manager, if there is one.
pub fn notify(state: &str) {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else { return };
    let Ok(sock) = UnixDatagram::unbound() else { return };
    let bytes = path.as_encoded_bytes();
    let sent = if let Some(name) = bytes.strip_prefix(b"@") {
        use std::os::linux::net::SocketAddrExt;
        match std::os::unix::net::SocketAddr::from_abstract_name(name) {
            Ok(addr) => sock.send_to_addr(state.as_bytes(), &addr),
            Err(e) => Err(e),
        }
    } else {
        sock.send_to(state.as_bytes(), &path)
    };
    if let Err(e) = sent {
        tracing::debug!("sd_notify: {e}");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn without_systemd_it_is_a_no_op() {
        // NOTIFY_SOCKET is not set under cargo test.
        super::notify("READY=1");
    }
}

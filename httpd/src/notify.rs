//! `sd_notify(3)` without libsystemd: one datagram to `$NOTIFY_SOCKET` when the service is
//! ready (`Type=notify`), reloading, or stopping. Outside systemd it does nothing.

use std::ffi::OsStr;
use std::os::unix::net::UnixDatagram;

/// Sends `state` (e.g. `"READY=1"`) to the service manager, if there is one.
pub fn notify(state: &str) {
    notify_to(std::env::var_os("NOTIFY_SOCKET").as_deref(), state);
}

/// Sends `state` to the socket at `path` (`@name` for the abstract namespace); nothing
/// when `path` is `None`.
fn notify_to(path: Option<&OsStr>, state: &str) {
    let Some(path) = path else { return };
    let Ok(sock) = UnixDatagram::unbound() else { return };
    let bytes = path.as_encoded_bytes();
    let sent = if let Some(name) = bytes.strip_prefix(b"@") {
        use std::os::linux::net::SocketAddrExt;
        match std::os::unix::net::SocketAddr::from_abstract_name(name) {
            Ok(addr) => sock.send_to_addr(state.as_bytes(), &addr),
            Err(e) => Err(e),
        }
    } else {
        sock.send_to(state.as_bytes(), path)
    };
    if let Err(e) = sent {
        tracing::debug!("sd_notify: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::notify_to;
    use std::ffi::OsStr;
    use std::os::unix::net::UnixDatagram;
    use std::time::Duration;

    fn received(sock: &UnixDatagram) -> String {
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap_or_else(|e| panic!("{e}"));
        let mut buf = [0u8; 64];
        let n = sock.recv(&mut buf).unwrap_or_else(|e| panic!("nothing received: {e}"));
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }

    #[test]
    fn the_state_reaches_a_socket_path() {
        let path = std::env::temp_dir().join(format!("wicketd-notify-test-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let sock = UnixDatagram::bind(&path).unwrap_or_else(|e| panic!("{e}"));
        notify_to(Some(path.as_os_str()), "READY=1");
        let first = received(&sock);
        notify_to(Some(path.as_os_str()), "STOPPING=1");
        let second = received(&sock);
        let _ = std::fs::remove_file(&path);
        assert_eq!((first.as_str(), second.as_str()), ("READY=1", "STOPPING=1"));
    }

    #[test]
    fn the_state_reaches_an_abstract_socket() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!("wicketd-notify-test-{}", std::process::id());
        let addr =
            std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let sock = UnixDatagram::bind_addr(&addr).unwrap_or_else(|e| panic!("{e}"));
        notify_to(Some(OsStr::new(&format!("@{name}"))), "RELOADING=1");
        assert_eq!(received(&sock), "RELOADING=1");
    }

    #[test]
    fn without_a_socket_nothing_is_sent_and_nothing_fails() {
        notify_to(None, "READY=1");
        // A socket that does not exist: the error is logged, not raised.
        notify_to(Some(OsStr::new("/nonexistent/notify")), "READY=1");
    }
}

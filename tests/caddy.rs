//! Caddy's `forward_auth` in front of wicketd, for real: Debian's caddy runs
//! `docs/examples/Caddyfile` with only its ports changed and its sites served over plain
//! HTTP, and the scenario of `support::proxied` drives it with curl.

use crate::support::caddy::Caddy;
use crate::support::proxied::{Backends, Proxy, assert_guarded};
use crate::support::servers::reserve_port;
use crate::support::{have, require};

#[test]
fn caddy_forward_auth_guards_sites() {
    if !require(have("caddy"), "caddy is not installed (scripts/test.sh installs it)") {
        return;
    }
    let b = Backends::start("");
    let sites = ["app.example.org", "admin.example.org"];
    let c = Caddy::start(b.env.dir.path(), "Caddyfile", reserve_port(), b.wicketd.port, b.upstream, &sites);
    let logs = || c.log();
    assert_guarded(&b, &Proxy { port: c.port, digest: true, retry_after: true, logs: &logs });
}

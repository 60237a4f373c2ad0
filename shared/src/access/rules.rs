//! `[[rule]]` blocks: ordered, first match wins, no match means "authenticated".
//!
//! A rule with a `host` needs the original host. When it is unknown (a trusted proxy sent
//! neither `X-Forwarded-Host` nor `X-Original-Host`) such a rule can neither match nor be
//! skipped: skipping a rule that restricts (`deny`, `groups`) would let the request through
//! under a later, looser rule. So the rules are walked as usual, host rules whose other
//! conditions do not hold are passed over (they cannot match whatever the host), and the
//! first host rule whose other conditions hold ends the walk with [`RuleMatch::HostUnknown`]:
//! the request is refused. Rules before it decide as usual, so a `bypass` for `/health`
//! listed first keeps working.

use super::net::{Cidr, any_contains, parse_list};
use super::target::{Target, normalize_host};
use crate::config::{Policy, RuleConfig};
use crate::error::{Error, Result};
use crate::throttle::canonical_name;
use regex::Regex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// A compiled rule.
#[derive(Debug)]
pub struct Rule {
    host: Option<String>,
    path: Option<Regex>,
    methods: Vec<String>,
    networks: Vec<Cidr>,
    /// What to do.
    pub policy: Policy,
    /// Any-of user requirement, canonical names.
    pub users: Vec<String>,
    /// Any-of group requirement.
    pub groups: Vec<String>,
    /// Every-one-of group requirement.
    pub all_groups: Vec<String>,
    /// A session older than this is sent back to the portal.
    pub max_age: Option<Duration>,
    /// `two_factor`: Bearer tokens are accepted too.
    pub bearer: bool,
}

/// What the rules say about a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleMatch {
    /// No rule matched: `authenticated`, no group requirement.
    Default,
    /// Rule number `rule` (counted from 1) matched.
    Matched {
        /// Its number, for logs.
        rule: usize,
        /// What it does.
        policy: Policy,
        /// Its any-of user requirement (canonical names); empty = none.
        users: Vec<String>,
        /// Its any-of group requirement; empty = none.
        groups: Vec<String>,
        /// Its every-one-of group requirement; empty = none.
        all_groups: Vec<String>,
        /// The longest a session may have been signed in; `None` = no limit.
        max_age: Option<Duration>,
        /// `two_factor`: Bearer tokens are accepted too.
        bearer: bool,
    },
    /// Rule number `rule` has a `host`, its other conditions hold, and the host is unknown:
    /// it might decide, so nothing after it may. Refused.
    HostUnknown {
        /// Its number, for logs.
        rule: usize,
    },
}

/// Compiles the config's rules, naming the bad one.
pub fn compile(rules: &[RuleConfig]) -> Result<Vec<Rule>> {
    rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let n = i + 1;
            let path = r
                .path
                .as_deref()
                .map(|p| Regex::new(p).map_err(|e| Error::Invalid(format!("rule #{n}: path regex: {e}"))))
                .transpose()?;
            let networks = parse_list(&r.networks).map_err(|e| Error::Invalid(format!("rule #{n}: networks: {e}")))?;
            let host = match r.host.as_deref() {
                None => None,
                Some(h) => Some(normalize_host(h).ok_or_else(|| Error::Invalid(format!("rule #{n}: host is empty")))?),
            };
            if r.bearer && r.policy != Policy::TwoFactor {
                return Err(Error::Invalid(format!("rule #{n}: bearer = true is only for policy = \"two_factor\"")));
            }
            for (key, names) in [("users", &r.users), ("groups", &r.groups), ("all_groups", &r.all_groups)] {
                if names.iter().any(|v| v.trim().is_empty()) {
                    return Err(Error::Invalid(format!("rule #{n}: {key} has an empty name")));
                }
            }
            Ok(Rule {
                host,
                path,
                methods: r.methods.iter().map(|m| m.to_ascii_uppercase()).collect(),
                networks,
                policy: r.policy,
                users: r.users.iter().map(|u| canonical_name(u)).collect(),
                groups: r.groups.clone(),
                all_groups: r.all_groups.clone(),
                max_age: r.max_age,
                bearer: r.bearer,
            })
        })
        .collect()
}

impl Rule {
    /// Every condition but the host.
    fn matches_besides_host(&self, t: &Target) -> bool {
        self.path.as_ref().is_none_or(|re| re.is_match(&t.normalized_path()))
            && (self.methods.is_empty() || self.methods.iter().any(|m| m.eq_ignore_ascii_case(&t.method)))
            && (self.networks.is_empty() || any_contains(&self.networks, &t.client))
    }
}

/// Set once the missing-host warning has been logged.
static WARNED_HOST_UNKNOWN: AtomicBool = AtomicBool::new(false);

/// The first matching rule's decision (see the module documentation for an unknown host).
pub fn decide(rules: &[Rule], t: &Target) -> RuleMatch {
    for (i, r) in rules.iter().enumerate() {
        if !r.matches_besides_host(t) {
            continue;
        }
        let rule = i + 1;
        match (&r.host, &t.host) {
            (None, _) => {}
            (Some(want), Some(have)) if want == have => {}
            (Some(_), Some(_)) => continue,
            (Some(_), None) => {
                if !WARNED_HOST_UNKNOWN.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        "rule #{rule} has a host, but the proxy sent no X-Forwarded-Host: such requests are refused \
                         (403, outcome host_unknown); in nginx add `proxy_set_header X-Forwarded-Host $host;` to the \
                         /auth location"
                    );
                }
                return RuleMatch::HostUnknown { rule };
            }
        }
        return RuleMatch::Matched {
            rule,
            policy: r.policy,
            users: r.users.clone(),
            groups: r.groups.clone(),
            all_groups: r.all_groups.clone(),
            max_age: r.max_age,
            bearer: r.bearer,
        };
    }
    RuleMatch::Default
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn target(host: &str, uri: &str, method: &str, client: &str) -> Target {
        Target {
            method: method.into(),
            uri: uri.into(),
            host: (!host.is_empty()).then(|| host.into()),
            client: client.parse().unwrap_or(std::net::IpAddr::from([0, 0, 0, 0])),
            client_is_proxy: false,
        }
    }

    fn rules(toml: &str) -> Vec<Rule> {
        let cfg = Config::parse(toml).unwrap_or_else(|e| panic!("{e}"));
        compile(&cfg.rule).unwrap_or_else(|e| panic!("{e}"))
    }

    fn policy(m: RuleMatch) -> Option<Policy> {
        match m {
            RuleMatch::Matched { policy, .. } => Some(policy),
            RuleMatch::Default => Some(Policy::Authenticated),
            RuleMatch::HostUnknown { .. } => None,
        }
    }

    #[test]
    fn first_match_wins() {
        let rules = rules(
            r#"
[[rule]]
path = "^/health$"
policy = "bypass"
[[rule]]
host = "app.example.org"
path = "^/admin/"
groups = ["admins"]
policy = "authenticated"
[[rule]]
networks = ["10.0.0.0/8"]
methods = ["post"]
policy = "deny"
"#,
        );
        assert_eq!(policy(decide(&rules, &target("x", "/health", "GET", "1.2.3.4"))), Some(Policy::Bypass));
        assert_eq!(policy(decide(&rules, &target("x", "/health?x", "GET", "1.2.3.4"))), Some(Policy::Bypass));
        let d = decide(&rules, &target("app.example.org", "/admin/x", "GET", "1.2.3.4"));
        assert_eq!(
            d,
            RuleMatch::Matched {
                rule: 2,
                policy: Policy::Authenticated,
                users: Vec::new(),
                groups: vec!["admins".to_string()],
                all_groups: Vec::new(),
                max_age: None,
                bearer: false
            }
        );
        assert_eq!(decide(&rules, &target("other.org", "/admin/x", "GET", "1.2.3.4")), RuleMatch::Default);
        assert_eq!(policy(decide(&rules, &target("x", "/y", "POST", "10.1.1.1"))), Some(Policy::Deny));
        assert_eq!(decide(&rules, &target("x", "/y", "GET", "10.1.1.1")), RuleMatch::Default);
        // Encoded or doubled slashes do not slip past a rule.
        for uri in ["/%61dmin/x", "//admin/x"] {
            assert!(matches!(
                decide(&rules, &target("app.example.org", uri, "GET", "1.2.3.4")),
                RuleMatch::Matched { rule: 2, .. }
            ));
        }
        assert_eq!(policy(decide(&rules, &target("x", "/public/../health", "GET", "1.2.3.4"))), Some(Policy::Bypass));
    }

    #[test]
    fn a_host_rule_without_a_host_refuses_instead_of_passing_over() {
        let rules = rules(
            "[[rule]]\npath = \"^/health$\"\npolicy = \"bypass\"\n\
             [[rule]]\nhost = \"Admin.Example.org.\"\npath = \"^/admin/\"\npolicy = \"deny\"\n\
             [[rule]]\npath = \"^/admin/\"\npolicy = \"bypass\"\n",
        );
        // A rule before the host rule still decides; one whose path cannot match is passed over.
        assert_eq!(policy(decide(&rules, &target("", "/health", "GET", "1.2.3.4"))), Some(Policy::Bypass));
        assert_eq!(decide(&rules, &target("", "/other", "GET", "1.2.3.4")), RuleMatch::Default);
        // The host rule might apply: the later bypass must not decide.
        assert_eq!(decide(&rules, &target("", "/admin/x", "GET", "1.2.3.4")), RuleMatch::HostUnknown { rule: 2 });
        // Known hosts: the rule's own host (any spelling) matches, another passes over.
        assert_eq!(
            policy(decide(&rules, &target("admin.example.org", "/admin/x", "GET", "1.2.3.4"))),
            Some(Policy::Deny)
        );
        assert_eq!(
            policy(decide(&rules, &target("www.example.org", "/admin/x", "GET", "1.2.3.4"))),
            Some(Policy::Bypass)
        );
    }

    #[test]
    fn bad_regex_names_the_rule() {
        let cfg = Config::parse("[[rule]]\npath = \"(\"\npolicy = \"deny\"\n").unwrap_or_else(|e| panic!("{e}"));
        let e = compile(&cfg.rule).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("rule #1"), "{e}");
    }

    #[test]
    fn users_are_canonical_and_empty_names_are_refused() {
        let rules = rules("[[rule]]\nusers = [\" Alice \"]\nall_groups = [\"a\"]\npolicy = \"authenticated\"\n");
        assert_eq!(rules[0].users, vec!["alice"]);
        for key in ["users", "groups", "all_groups"] {
            let cfg = Config::parse(&format!("[[rule]]\n{key} = [\"x\", \" \"]\npolicy = \"authenticated\"\n"))
                .unwrap_or_else(|e| panic!("{e}"));
            let e = compile(&cfg.rule).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains(&format!("rule #1: {key} has an empty name")), "{e}");
        }
    }

    #[test]
    fn rule_hosts_are_spelled_like_target_hosts() {
        let rules = rules("[[rule]]\nhost = \"Admin.Example.org.:443\"\npolicy = \"deny\"\n");
        assert_eq!(policy(decide(&rules, &target("admin.example.org", "/", "GET", "1.2.3.4"))), Some(Policy::Deny));
        let cfg = Config::parse("[[rule]]\nhost = \" \"\npolicy = \"deny\"\n").unwrap_or_else(|e| panic!("{e}"));
        let e = compile(&cfg.rule).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("rule #1: host is empty"), "an empty host would match nothing: {e}");
    }
}

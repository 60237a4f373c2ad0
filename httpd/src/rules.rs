//! `[[rule]]` blocks for `/auth`: ordered, first match wins, no match means "authenticated".

use crate::net::{Cidr, any_contains};
use crate::target::Target;
use regex::Regex;
use wicket_core::config::{Policy, RuleConfig};

/// A compiled rule.
#[derive(Debug)]
pub struct Rule {
    host: Option<String>,
    path: Option<Regex>,
    methods: Vec<String>,
    networks: Vec<Cidr>,
    /// What to do.
    pub policy: Policy,
    /// Any-of group requirement.
    pub groups: Vec<String>,
}

/// The decision for a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Policy.
    pub policy: Policy,
    /// Groups required (any-of); empty = none.
    pub groups: Vec<String>,
    /// Index of the matched rule, for logs.
    pub rule: Option<usize>,
}

/// Compiles the config's rules, naming the bad one.
pub fn compile(rules: &[RuleConfig]) -> Result<Vec<Rule>, String> {
    rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let n = i + 1;
            let path = r
                .path
                .as_deref()
                .map(|p| Regex::new(p).map_err(|e| format!("rule #{n}: path regex: {e}")))
                .transpose()?;
            let networks = crate::net::parse_list(&r.networks).map_err(|e| format!("rule #{n}: networks: {e}"))?;
            Ok(Rule {
                host: r.host.as_ref().map(|h| h.to_ascii_lowercase()),
                path,
                methods: r.methods.iter().map(|m| m.to_ascii_uppercase()).collect(),
                networks,
                policy: r.policy,
                groups: r.groups.clone(),
            })
        })
        .collect()
}

impl Rule {
    fn matches(&self, t: &Target) -> bool {
        self.host.as_ref().is_none_or(|h| *h == t.host)
            && self.path.as_ref().is_none_or(|re| re.is_match(&t.normalized_path()))
            && (self.methods.is_empty() || self.methods.iter().any(|m| m.eq_ignore_ascii_case(&t.method)))
            && (self.networks.is_empty() || any_contains(&self.networks, &t.client))
    }
}

/// First matching rule's decision, or `authenticated` with no group requirement.
pub fn decide(rules: &[Rule], t: &Target) -> Decision {
    match rules.iter().enumerate().find(|(_, r)| r.matches(t)) {
        Some((i, r)) => Decision { policy: r.policy, groups: r.groups.clone(), rule: Some(i + 1) },
        None => Decision { policy: Policy::Authenticated, groups: Vec::new(), rule: None },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wicket_core::config::Config;

    fn target(host: &str, uri: &str, method: &str, client: &str) -> Target {
        Target {
            method: method.into(),
            uri: uri.into(),
            host: host.into(),
            client: client.parse().unwrap_or(std::net::IpAddr::from([0, 0, 0, 0])),
        }
    }

    #[test]
    fn first_match_wins() {
        let cfg = Config::parse(
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
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let rules = compile(&cfg.rule).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(decide(&rules, &target("x", "/health", "GET", "1.2.3.4")).policy, Policy::Bypass);
        assert_eq!(decide(&rules, &target("x", "/health?x", "GET", "1.2.3.4")).policy, Policy::Bypass);
        let d = decide(&rules, &target("app.example.org", "/admin/x", "GET", "1.2.3.4"));
        assert_eq!((d.policy, d.groups, d.rule), (Policy::Authenticated, vec!["admins".to_string()], Some(2)));
        assert!(decide(&rules, &target("other.org", "/admin/x", "GET", "1.2.3.4")).groups.is_empty());
        assert_eq!(decide(&rules, &target("x", "/y", "POST", "10.1.1.1")).policy, Policy::Deny);
        assert_eq!(decide(&rules, &target("x", "/y", "GET", "10.1.1.1")).policy, Policy::Authenticated);
        // Encoded or doubled slashes do not slip past a rule.
        assert_eq!(decide(&rules, &target("app.example.org", "/%61dmin/x", "GET", "1.2.3.4")).rule, Some(2));
        assert_eq!(decide(&rules, &target("app.example.org", "//admin/x", "GET", "1.2.3.4")).rule, Some(2));
        assert_eq!(decide(&rules, &target("x", "/public/../health", "GET", "1.2.3.4")).policy, Policy::Bypass);
    }

    #[test]
    fn bad_regex_names_the_rule() {
        let cfg = Config::parse("[[rule]]\npath = \"(\"\npolicy = \"deny\"\n").unwrap_or_else(|e| panic!("{e}"));
        let e = compile(&cfg.rule).err().unwrap_or_default();
        assert!(e.contains("rule #1"), "{e}");
    }
}

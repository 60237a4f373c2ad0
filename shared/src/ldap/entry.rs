//! A search result entry with case-insensitive attribute access (servers may return
//! `uidnumber` for `uidNumber`).

use ldap3::SearchEntry;

/// One entry: its DN and its text-valued attributes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The entry's DN, as the server spells it.
    pub dn: String,
    attrs: Vec<(String, Vec<String>)>,
}

impl From<SearchEntry> for Entry {
    fn from(e: SearchEntry) -> Self {
        Self { dn: e.dn, attrs: e.attrs.into_iter().collect() }
    }
}

impl Entry {
    /// An entry with a DN and no attributes.
    pub fn bare(dn: &str) -> Self {
        Self { dn: dn.into(), attrs: Vec::new() }
    }

    /// An entry from parts (tests).
    #[cfg(test)]
    pub fn new(dn: &str, attrs: &[(&str, &[&str])]) -> Self {
        Self {
            dn: dn.into(),
            attrs: attrs.iter().map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect())).collect(),
        }
    }

    /// All values of `name` (empty when absent or when `name` is empty).
    pub fn values(&self, name: &str) -> &[String] {
        if name.is_empty() {
            return &[];
        }
        self.attrs.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map_or(&[], |(_, v)| v.as_slice())
    }

    /// The first value of `name`.
    pub fn first(&self, name: &str) -> Option<&str> {
        self.values(name).first().map(String::as_str)
    }

    /// The first value of `name` as a POSIX id.
    pub fn id(&self, name: &str) -> Option<u32> {
        self.first(name).and_then(|v| v.trim().parse().ok())
    }

    /// The value of `name` that equals `wanted` ignoring ASCII case (LDAP's `caseIgnoreMatch`
    /// as servers apply it to names), else the first value.
    pub fn canonical(&self, name: &str, wanted: &str) -> Option<&str> {
        let values = self.values(name);
        values.iter().find(|v| v.eq_ignore_ascii_case(wanted)).or(values.first()).map(String::as_str)
    }

    /// True when `name` has exactly the value `wanted` (case-sensitive).
    pub fn has_exact(&self, name: &str, wanted: &str) -> bool {
        self.values(name).iter().any(|v| v == wanted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_case_insensitive() {
        let e = Entry::new("uid=alice,dc=x", &[("uid", &["Alice", "alice.l"]), ("uidnumber", &[" 1001 "])]);
        assert_eq!(e.first("UID"), Some("Alice"));
        assert_eq!(e.id("uidNumber"), Some(1001));
        assert_eq!(e.id("gidNumber"), None);
        assert_eq!(e.canonical("uid", "ALICE.L"), Some("alice.l"));
        assert_eq!(e.canonical("uid", "nobody"), Some("Alice"));
        assert_eq!(e.canonical("mail", "x"), None);
        assert!(e.has_exact("uid", "Alice") && !e.has_exact("uid", "alice"));
        assert!(e.values("").is_empty());
    }
}

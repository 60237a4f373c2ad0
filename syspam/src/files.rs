//! `/etc/passwd` and `/etc/group`, read directly (never through NSS).

use std::path::Path;

/// The fields of a passwd line Wicket uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswdEntry {
    /// uid.
    pub uid: u32,
    /// Primary gid.
    pub gid: u32,
    /// GECOS, first comma-separated field.
    pub gecos: String,
}

/// The passwd entry of `user` from /etc/passwd.
pub fn passwd_entry(user: &str) -> Option<PasswdEntry> {
    passwd_entry_in(Path::new("/etc/passwd"), user)
}

fn passwd_entry_in(file: &Path, user: &str) -> Option<PasswdEntry> {
    let text = std::fs::read_to_string(file).ok()?;
    text.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        (f.len() >= 7 && f[0] == user).then(|| PasswdEntry {
            uid: f[2].parse().unwrap_or(u32::MAX),
            gid: f[3].parse().unwrap_or(u32::MAX),
            gecos: f[4].split(',').next().unwrap_or("").to_string(),
        })
    })
}

/// Names of the groups `user` belongs to (primary and supplementary), from /etc/group.
pub fn groups_of(user: &str, primary: Option<u32>) -> Vec<String> {
    groups_in(Path::new("/etc/group"), user, primary)
}

fn groups_in(file: &Path, user: &str, primary: Option<u32>) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(file) else { return Vec::new() };
    let mut out: Vec<String> = text
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split(':').collect();
            if f.len() < 4 {
                return None;
            }
            let is_primary = primary.is_some_and(|g| f[2].parse::<u32>().ok() == Some(g));
            let is_member = f[3].split(',').any(|m| m == user);
            (is_primary || is_member).then(|| f[0].to_string())
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_passwd_and_group_files() {
        let dir = std::env::temp_dir().join(format!("syspam-test-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let p = dir.join("passwd");
        let g = dir.join("group");
        let _ =
            std::fs::write(&p, "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice A,,,:/home/alice:/bin/sh\n");
        let _ = std::fs::write(&g, "alice:x:1000:\nsudo:x:27:alice,bob\nother:x:5:bob\n");
        let e = passwd_entry_in(&p, "alice");
        assert_eq!(e, Some(PasswdEntry { uid: 1000, gid: 1000, gecos: "Alice A".into() }));
        assert_eq!(passwd_entry_in(&p, "nobody"), None);
        assert_eq!(groups_in(&g, "alice", Some(1000)), vec!["alice".to_string(), "sudo".to_string()]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

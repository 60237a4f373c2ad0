//! Which new passwords are accepted: the rules every password change meets, whoever makes it
//! (`wicket user add`/`passwd`, PAM `chauthtok`, the portal's password page), applied in one
//! place, [`crate::accounts::Accounts`]. Not to be confused with [`super::policy`], which is
//! how an accepted password is *hashed*.
//!
//! The rules: at least `[passwords] min_length` characters; not the user's own name (nor the
//! name reversed, nor the name with only digits or punctuation around it); not one of the
//! common passwords shipped with Wicket (`common.txt`, offline), nor one of them followed only by
//! digits and punctuation. Comparisons ignore case. Imported hashes (`wicket import`) are
//! not checked: there is no plaintext to check.

use crate::config::PasswordConfig;
use crate::error::{Error, Result};
use crate::secret::Secret;
use std::collections::HashSet;
use std::sync::OnceLock;

/// The shipped list, lowercase, one per line, `#` comments.
const COMMON: &str = include_str!("common.txt");

/// Shortest run of letters a stripped password must keep to be looked up as a common word
/// (so `"1!"` does not meet an empty entry).
const MIN_STEM: usize = 4;

/// The rules a new password must meet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordRules {
    /// Fewest characters (Unicode scalar values, not bytes).
    pub min_length: usize,
}

impl PasswordRules {
    /// From `[passwords] min_length`.
    pub fn from_config(cfg: &PasswordConfig) -> Self {
        Self { min_length: cfg.min_length }
    }

    /// Ok, or [`Error::WeakPassword`] naming the first rule `password` breaks for `user`
    /// ([`Error::EmptyPassword`] for an empty one). The message never holds the password.
    pub fn check(&self, user: &str, password: &Secret) -> Result<()> {
        let Some(text) = password.expose_str() else {
            // Not UTF-8: no name or list entry can match; only the length applies.
            return self.check_length(password.expose().len());
        };
        if text.is_empty() {
            return Err(Error::EmptyPassword);
        }
        self.check_length(text.chars().count())?;
        let lower = text.to_lowercase();
        if is_name(&lower, &user.to_lowercase()) {
            return Err(Error::WeakPassword("it is the user's name (reversed, or with digits around it)".into()));
        }
        if is_common(&lower) {
            return Err(Error::WeakPassword("it is one of the most common passwords".into()));
        }
        Ok(())
    }

    fn check_length(&self, len: usize) -> Result<()> {
        if len == 0 {
            return Err(Error::EmptyPassword);
        }
        if len < self.min_length {
            return Err(Error::WeakPassword(format!(
                "shorter than {} characters ([passwords] min_length)",
                self.min_length
            )));
        }
        Ok(())
    }
}

impl Default for PasswordRules {
    fn default() -> Self {
        Self::from_config(&PasswordConfig::default())
    }
}

/// Digits and punctuation: what people put around a word to pass a naive check.
fn is_filler(c: char) -> bool {
    c.is_ascii_digit() || c.is_ascii_punctuation() || c.is_whitespace()
}

fn is_name(lower: &str, name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    let core = lower.trim_matches(is_filler);
    let reversed: String = name.chars().rev().collect();
    core == name || core == reversed
}

fn common() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| COMMON.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect())
}

fn is_common(lower: &str) -> bool {
    let set = common();
    if set.contains(lower) {
        return true;
    }
    let stem = lower.trim_end_matches(is_filler);
    stem.chars().count() >= MIN_STEM && set.contains(stem)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn why(rules: &PasswordRules, user: &str, pw: &str) -> Option<String> {
        rules.check(user, &Secret::from(pw)).err().map(|e| e.to_string())
    }

    #[test]
    fn each_rule_is_named_in_its_refusal() {
        let r = PasswordRules { min_length: 8 };
        assert_eq!(
            why(&r, "alice", "short1!").as_deref(),
            Some("password refused: shorter than 8 characters ([passwords] min_length)")
        );
        for pw in ["Alice123", "ALICE!!!!", "2024alice", "ecilA-99"] {
            assert!(why(&r, "alice", pw).is_some_and(|m| m.contains("user's name")), "{pw}");
        }
        for pw in ["Password", "password123", "Monkey2024!", "qwertyuiop", "12345678", "iloveyou"] {
            assert!(why(&r, "alice", pw).is_some_and(|m| m.contains("most common")), "{pw}");
        }
        assert!(matches!(r.check("alice", &Secret::from("")), Err(Error::EmptyPassword)));
        for pw in ["pw-alice-1", "correct horse battery", "s3cret-Plaintext", "pässword", "alicebob1"] {
            assert_eq!(why(&r, "alice", pw), None, "{pw}");
        }
    }

    #[test]
    fn length_counts_characters_and_follows_the_config() {
        let r = PasswordRules { min_length: 4 };
        assert_eq!(why(&r, "bob", "äöüß"), None, "four characters, eight bytes");
        assert!(why(&r, "bob", "äöü").is_some());
        assert!(why(&PasswordRules { min_length: 12 }, "bob", "pw-Bob-long").is_some());
        assert_eq!(PasswordRules::default().min_length, 8);
    }

    #[test]
    fn the_shipped_list_is_lowercase_and_loaded() {
        assert!(common().len() > 500);
        assert!(common().iter().all(|w| *w == w.to_lowercase()));
    }
}

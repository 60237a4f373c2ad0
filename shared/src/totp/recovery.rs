//! One-time recovery codes: `xxxx-xxxx-xxxx`, 12 characters from a 32-letter alphabet
//! (60 random bits each), shown once and stored only as a hash.
//!
//! Why SHA-256 and not argon2: these codes are not chosen by people. Each carries 60 bits
//! from the operating system's generator, so a stolen table of hashes can only be attacked
//! by trying 2^60 codes per hit (2^60 / 10 for a user's ten), which a fast hash does not make
//! feasible; a slow hash buys nothing there and would cost every sign-in with a code. The
//! hash is unsalted so that a code can be found by an indexed equality on its hash.

use rand::Rng;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// Codes handed out at once.
pub const COUNT: usize = 10;
/// Characters of a code without its dashes.
pub const LEN: usize = 12;
/// No `i`, `l`, `o`, `u`: nothing that reads as another character (Crockford's choice).
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// `COUNT` fresh codes, formatted for display.
pub fn generate() -> Vec<Zeroizing<String>> {
    let mut rng = rand::rngs::OsRng;
    (0..COUNT)
        .map(|_| {
            let mut s = Zeroizing::new(String::with_capacity(LEN + 2));
            for i in 0..LEN {
                if i > 0 && i % 4 == 0 {
                    s.push('-');
                }
                s.push(char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]));
            }
            s
        })
        .collect()
}

/// A code as typed, in its stored form: case, spaces and dashes do not matter, and the
/// letters people confuse with digits are read as those digits. `None` when it cannot be a
/// recovery code.
pub fn normalise(typed: &str) -> Option<Zeroizing<String>> {
    let mut out = Zeroizing::new(String::with_capacity(LEN));
    for c in typed.chars().filter(|c| !c.is_whitespace() && *c != '-') {
        let c = match c.to_ascii_lowercase() {
            'i' | 'l' => '1',
            'o' => '0',
            c => c,
        };
        if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) || out.len() == LEN {
            return None;
        }
        out.push(c);
    }
    (out.len() == LEN).then_some(out)
}

/// The stored form: hex SHA-256 of the normalised code.
pub fn hash(normalised: &str) -> String {
    Sha256::digest(normalised.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_ten_distinct_and_well_formed() {
        let codes = generate();
        assert_eq!(codes.len(), COUNT);
        let mut seen = std::collections::HashSet::new();
        for c in &codes {
            assert_eq!(c.len(), LEN + 2);
            assert_eq!(c.matches('-').count(), 2);
            let n = normalise(c).unwrap_or_else(|| panic!("{}", c.as_str()));
            assert!(seen.insert(n.to_string()));
        }
        // 12 characters of a 32-letter alphabet.
        assert!(LEN as f64 * (ALPHABET.len() as f64).log2() >= 50.0);
    }

    #[test]
    fn typing_variants_meet_one_hash() {
        let a = normalise("AB1C-D0EF-GH23").map(|s| hash(&s));
        assert_eq!(a, normalise("ab1cd0efgh23").map(|s| hash(&s)));
        assert_eq!(a, normalise(" abIc dOef gh23 ").map(|s| hash(&s)));
        assert_eq!(normalise("abcd-efgh-jkm"), None);
        assert_eq!(normalise("abcd-efgh-jkmnp"), None);
        assert_eq!(normalise("abcd-efgh-jkm!"), None);
        assert_eq!(normalise("123456"), None);
        assert_eq!(hash("x").len(), 64);
    }
}

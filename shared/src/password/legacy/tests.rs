//! Known vectors from real tools, and hostile inputs.

use super::md5_crypt::md5_crypt;
use super::*;

/// Real hashes and the password each was made from, with the command that made it.
/// All were cross-checked on Debian 12: with `htpasswd -v`, with libxcrypt's `crypt(3)` for
/// the crypt formats, and `{SSHA}` with python3's hashlib.
const VECTORS: &[(&str, &[u8], LegacyFormat)] = &[
    // htpasswd -nbB user 'correct horse'
    ("$2y$05$EvLsQWbF5G/bSQwCwLySIe7/Qg9dYpEU1jZ5ydNpoxHMUVemIyqgO", b"correct horse", LegacyFormat::Bcrypt),
    // htpasswd -nbB -C 4 alice 'Tr0ub4dor&3'
    ("$2y$04$9ZizhjNQvJq6YvoHksm2VOo4P5uWZ2IOGMGpvHR.vS/3oLVRXzJ4.", b"Tr0ub4dor&3", LegacyFormat::Bcrypt),
    // python3 crypt.crypt('correct horse', '$2b$04$abcdefghijklmnopqrstuu') (libxcrypt)
    ("$2b$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e", b"correct horse", LegacyFormat::Bcrypt),
    // python3 crypt.crypt('correct horse', '$2a$04$ABCDEFGHIJKLMNOPQRSTUu') (libxcrypt)
    ("$2a$04$ABCDEFGHIJKLMNOPQRSTUu6C6jEMz4jEJoFRTrM10b9xHpc.SH9E6", b"correct horse", LegacyFormat::Bcrypt),
    // htpasswd -nbB user $'caf\xe9' (Latin-1, not UTF-8)
    ("$2y$05$uPEeGHwaqdV.zs6ZZ05WGuxQ4CNf2Acuzhtkuk/5if5.cpLYpOdRe", b"caf\xe9", LegacyFormat::Bcrypt),
    // libxcrypt crypt(b'caf\xe9', '$2a$04$ABCDEFGHIJKLMNOPQRSTUu') (ctypes)
    ("$2a$04$ABCDEFGHIJKLMNOPQRSTUuAXmRDpqkW80So6OxxdIQ.FM3zG8NEbO", b"caf\xe9", LegacyFormat::Bcrypt),
    // libxcrypt crypt(b'\xff\xa3\x34\xff', '$2a$04$ABCDEFGHIJKLMNOPQRSTUu') (ctypes)
    ("$2a$04$ABCDEFGHIJKLMNOPQRSTUu8pmY8ikoZUolLH2JJp/jyzQU33lEFju", b"\xff\xa34\xff", LegacyFormat::Bcrypt),
    // htpasswd -nbm user 'correct horse'
    ("$apr1$6C3aC6WG$h9zhKitD4xB8Z4EKby.eW0", b"correct horse", LegacyFormat::Apr1),
    // openssl passwd -apr1 -salt saltstri 'correct horse'
    ("$apr1$saltstri$3M7Faf5EXu1biGL6p4ueM1", b"correct horse", LegacyFormat::Apr1),
    // openssl passwd -apr1 -salt ab '' (empty password)
    ("$apr1$ab$S8K6Sgp3W8c9Jb6LxgywZ.", b"", LegacyFormat::Apr1),
    // openssl passwd -1 -salt saltstri 'correct horse'
    ("$1$saltstri$CVtlMpOHug1.jDUbVpFvB1", b"correct horse", LegacyFormat::Md5Crypt),
    // openssl passwd -1 -salt '' 'correct horse' (empty salt)
    ("$1$$IfI/mw4YSCwcQoW.D.DSu1", b"correct horse", LegacyFormat::Md5Crypt),
    // openssl passwd -1 -salt xy 'a password longer than sixteen bytes for the alt loop!!'
    (
        "$1$xy$ydLB4geZLEFuRX78aZZsy.",
        b"a password longer than sixteen bytes for the alt loop!!",
        LegacyFormat::Md5Crypt,
    ),
    // openssl passwd -1 -salt l1 $'caf\xe9' (Latin-1, not UTF-8)
    ("$1$l1$KW3Zxzfv1TneSVw.hR0zy0", b"caf\xe9", LegacyFormat::Md5Crypt),
    // htpasswd -nb2 user 'correct horse'
    ("$5$XYD4mcOCRtNCjucw$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng7", b"correct horse", LegacyFormat::Sha256Crypt),
    // htpasswd -nb2 -r 1000 user 'correct horse'
    (
        "$5$rounds=1000$8..W96CTCLTXk41u$CJrrB8hBvkMIHj0fz5DhjjOZ5cK.6vc1AwhURqboRu9",
        b"correct horse",
        LegacyFormat::Sha256Crypt,
    ),
    // openssl passwd -5 -salt saltstringsaltst 'correct horse'
    ("$5$saltstringsaltst$jLZQheM22MPm6SnLJWD3VQoX3IEoDyQRzGwNm7I7TtC", b"correct horse", LegacyFormat::Sha256Crypt),
    // openssl passwd -5 -salt 'rounds=1000$short' 'correct horse'
    ("$5$rounds=1000$short$cMPBGnEsf0Llc7/9de4cHWjS1ZlySiS3pL6RjBpcUa4", b"correct horse", LegacyFormat::Sha256Crypt),
    // python3 crypt.crypt('correct horse', '$5$$') (libxcrypt, empty salt)
    ("$5$$SCAp760RlvU0CgD9TQAY9wchWGPvPJ8P8S7gF/3F/S0", b"correct horse", LegacyFormat::Sha256Crypt),
    // libxcrypt crypt(b'caf\xe9', '$5$latin1$') (ctypes)
    ("$5$latin1$RcCKvmxnua6W4rSOEbNgFV7uPTUcCfdI2rLo8wTbgjA", b"caf\xe9", LegacyFormat::Sha256Crypt),
    // htpasswd -nb5 user 'correct horse'
    (
        "$6$jFdPqteFwmF1HfQK$tRbCaKgB.YHNZ.5sw9OdZyTaXUCGfkULuCgeFqh9cUnAcMaTjAuElDdA1aV9F.VBUYkgxHED01u3RGDcL2U3Z1",
        b"correct horse",
        LegacyFormat::Sha512Crypt,
    ),
    // htpasswd -nb5 -r 10000 user 'correct horse'
    (
        "$6$rounds=10000$R9JRchT.jf6/9sbR$vX/0JoR.XYvuiUABWBP8D9RWc7zcZIIZ0muBEmQHJh5LrbjCjfEqg3HBo8IsLolq7k3./h17UbsGSACmBNu2Z/",
        b"correct horse",
        LegacyFormat::Sha512Crypt,
    ),
    // openssl passwd -6 -salt saltstringsaltst 'correct horse'
    (
        "$6$saltstringsaltst$bCw7Luzu/QuQ7MeikTUrtG/H3qEhWE0qeSa7fQ7Q.KB7rHffvy6nWAiqxozGGanThe/hZPI9w1X/Yv09XRqnt1",
        b"correct horse",
        LegacyFormat::Sha512Crypt,
    ),
    // openssl passwd -6 -salt latin1 $'caf\xe9' (Latin-1, not UTF-8)
    (
        "$6$latin1$4QhEOpNB0m7hpxFSI.fx3j2ovBcTI7s7yi70jlllLuwR1A8kWSPZBXUUVRVa1Ks68F3vB1AvZm5Y4aIC7JEwE/",
        b"caf\xe9",
        LegacyFormat::Sha512Crypt,
    ),
    // python3: '{SSHA}' + b64encode(sha1(b'correct horse' + salt).digest() + salt), salt a1b2c3d4
    ("{SSHA}msgbtEzyJ6ryPbEGLts6RIeTtBqhssPU", b"correct horse", LegacyFormat::Ssha),
    // python3: as above with the password b'pw' and the salt b'\x00\xffsalt\x10\x20\x30'
    ("{SSHA}JnaimXjHmN+NwD03vWuGfdl8D1gA/3NhbHQQIDA=", b"pw", LegacyFormat::Ssha),
    // htpasswd -nbs user 'correct horse'
    ("{SHA}L55TUjtiq8FBorTWAZ0jy6g129A=", b"correct horse", LegacyFormat::Sha1),
    // htpasswd -nbs user pw
    ("{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM=", b"pw", LegacyFormat::Sha1),
];

/// A bcrypt hash of 72 `x` (libxcrypt), for the truncation and length-cap tests.
const BCRYPT_72_X: &str = "$2b$04$abcdefghijklmnopqrstuubzadhGtS2zEF.gu0yd0opP6cVzb.e0i";

/// Each vector is detected as its format, verifies with its password and not with others.
#[test]
fn known_vectors_verify() {
    for &(stored, password, format) in VECTORS {
        assert_eq!(detect(stored), Some(format), "{stored}");
        assert_eq!(verify(stored, password), Ok(true), "{stored}");
        assert_eq!(verify(stored, b"wrong password"), Ok(false), "{stored}");
        let mut one_off = password.to_vec();
        one_off.push(b'!');
        assert_eq!(verify(stored, &one_off), Ok(false), "{stored}");
    }
}

/// The empty password matches only the vector made from it.
#[test]
fn empty_password_only_matches_its_own_hash() {
    for &(stored, password, _) in VECTORS {
        assert_eq!(verify(stored, b""), Ok(password.is_empty()), "{stored}");
    }
}

/// Non-UTF-8 passwords are hashed as bytes: a wrong one is a plain mismatch.
#[test]
fn non_utf8_password_is_a_mismatch() {
    for &(stored, _, _) in VECTORS {
        assert_eq!(verify(stored, b"\xff\xfe\x80not utf-8"), Ok(false), "{stored}");
        assert_eq!(verify(stored, b"caf\xe8"), Ok(false), "{stored}");
    }
}

/// `{SSHA}` and `{SHA}` scheme names are case-insensitive, as in LDAP.
#[test]
fn ldap_scheme_ignores_case() {
    assert_eq!(detect("{ssha}msgbtEzyJ6ryPbEGLts6RIeTtBqhssPU"), Some(LegacyFormat::Ssha));
    assert_eq!(verify("{sha}GpHWL3ymc5liWkNopqtdSjuqYHM=", b"pw"), Ok(true));
    assert_eq!(verify("{Sha}GpHWL3ymc5liWkNopqtdSjuqYHM=", b"pw"), Ok(true));
}

/// Other formats are not detected and verify as `Unsupported`.
#[test]
fn other_formats_are_unsupported() {
    for stored in [
        // htpasswd -nbd user secret (DES crypt)
        "/iewZkYO9RJw.",
        // htpasswd -nbp user secret (plaintext)
        "secret",
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGg",
        "$2x$05$EvLsQWbF5G/bSQwCwLySIe7/Qg9dYpEU1jZ5ydNpoxHMUVemIyqgO",
        "$y$j9T$salt$hash",
        "{CRYPT}$1$saltstri$CVtlMpOHug1.jDUbVpFvB1",
        "{SHA256}L55TUjtiq8FBorTWAZ0jy6g129A=",
        "{SMD5}aGFzaA==",
        "_J9..CCCCXBrJUJV154M",
        "",
        "$",
        "{",
        "{SHA",
        "é",
        "\0",
    ] {
        assert_eq!(detect(stored), None, "{stored}");
        assert_eq!(verify(stored, b"secret"), Err(LegacyError::Unsupported), "{stored}");
    }
}

/// The importer's shape check accepts every real vector and refuses what verify refuses.
#[test]
fn check_agrees_with_verify() {
    for &(stored, _, _) in VECTORS {
        assert_eq!(check(stored), Ok(()), "{stored}");
    }
    let over = "$5$rounds=1000001$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng7";
    assert!(matches!(check(over), Err(LegacyError::Malformed(_))));
    assert_eq!(check("plain"), Err(LegacyError::Unsupported));
}

/// Strings with a known prefix that no tool could have written are `Malformed`, quickly.
#[test]
fn malformed_hashes_are_refused() {
    let long_salt = format!("$1${}$CVtlMpOHug1.jDUbVpFvB1", "s".repeat(9));
    let huge = format!("{{SSHA}}{}", "A".repeat(MAX_STORED_LEN));
    let cases: &[&str] = &[
        // bcrypt
        "$2y$",
        "$2y$05$",
        "$2y$05$EvLsQWbF5G/bSQwCwLySIe7/Qg9dYpEU1jZ5ydNpoxHMUVemIyqg",
        "$2y$05$EvLsQWbF5G/bSQwCwLySIe7/Qg9dYpEU1jZ5ydNpoxHMUVemIyqgOO",
        "$2y$05$EvLsQWbF5G/bSQwCwLySIe7/Qg9dYpEU1jZ5ydNpoxHMUVemIyqg!",
        "$2y$05$EvLsQWbF5G/bSQwCwLySIe7/Qg9dYpEU1jZ5ydNpoxHMUVemIyqgé",
        "$2y$5$EvLsQWbF5G/bSQwCwLySIe7/Qg9dYpEU1jZ5ydNpoxHMUVemIyqgOx",
        "$2y$x5$EvLsQWbF5G/bSQwCwLySIe7/Qg9dYpEU1jZ5ydNpoxHMUVemIyqgO",
        "$2y$03$EvLsQWbF5G/bSQwCwLySIe7/Qg9dYpEU1jZ5ydNpoxHMUVemIyqgO",
        "$2y$18$EvLsQWbF5G/bSQwCwLySIe7/Qg9dYpEU1jZ5ydNpoxHMUVemIyqgO",
        "$2y$31$EvLsQWbF5G/bSQwCwLySIe7/Qg9dYpEU1jZ5ydNpoxHMUVemIyqgO",
        "$2y$99$EvLsQWbF5G/bSQwCwLySIe7/Qg9dYpEU1jZ5ydNpoxHMUVemIyqgO",
        "$2y$05$EvLsQWbF5G/bSQwCwLySIe7/Qg9dYpEU1jZ5ydNpoxHMUVemIyqgO$",
        // Unused low bits set in the salt's last character: crypt(3) re-encodes it as `u`.
        "$2b$04$abcdefghijklmnopqrstuvjydOTSfIH/d5oUHpsygqV5X9xJLQc6e",
        // md5-crypt and apr1
        "$1$",
        "$1$saltstri",
        "$1$saltstri$",
        "$1$saltstri$CVtlMpOHug1.jDUbVpFvB",
        "$1$saltstri$CVtlMpOHug1.jDUbVpFvB12",
        "$1$saltstri$CVtlMpOHug1.jDUbVpFvB!",
        "$1$saltstri$CVtlMpOHug1.jDUbVpFvB1$",
        "$1$saltstri$CVtlMpOHug1.jDUbVpFvé",
        &long_salt,
        "$1$ééééé$CVtlMpOHug1.jDUbVpFvB1",
        "$apr1$",
        "$apr1$saltstri$",
        "$apr1$saltstri$3M7Faf5EXu1biGL6p4ueM1\n",
        // sha-crypt
        "$5$",
        "$5$salt",
        "$5$salt$",
        "$5$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng",
        "$5$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng77",
        // A digest that is not base64 makes sha_crypt::sha256_check panic.
        "$5$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng!",
        "$5$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng7$",
        "$5$saltstringsaltstr$jLZQheM22MPm6SnLJWD3VQoX3IEoDyQRzGwNm7I7TtC",
        "$5$rounds=",
        "$5$rounds=5000",
        "$5$rounds=$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng7",
        "$5$rounds=abc$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng7",
        "$5$rounds=+5000$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng7",
        "$5$rounds=-5000$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng7",
        "$5$rounds= 5000$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng7",
        "$5$rounds=05000$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng7",
        "$5$rounds=999$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng7",
        "$5$rounds=0$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng7",
        "$5$rounds=1000001$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng7",
        "$5$rounds=999999999$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng7",
        "$5$rounds=99999999999999999999999999$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng7",
        "$6$",
        "$6$rounds=999999999$R9JRchT.jf6/9sbR$vX/0JoR.XYvuiUABWBP8D9RWc7zcZIIZ0muBEmQHJh5LrbjCjfEqg3HBo8IsLolq7k3./h17UbsGSACmBNu2Z/",
        "$6$salt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng7",
        // {SSHA} and {SHA}
        "{SSHA}",
        "{SSHA}!!!!",
        "{SSHA}msgbtEzyJ6ryPbEGLts6RIeTtBqhssPU=",
        "{SSHA}msgbtEzyJ6ryPbEGLts6RIeTtBqhssP",
        // Exactly a digest, no salt.
        "{SSHA}L55TUjtiq8FBorTWAZ0jy6g129A=",
        &huge,
        "{SHA}",
        "{SHA}AAAA",
        "{SHA}L55TUjtiq8FBorTWAZ0jy6g129A",
        "{SHA}L55TUjtiq8FBorTWAZ0jy6g129AA",
        "{SHA}L55TUjtiq8FBorTWAZ0jy6g129B=",
        "{SHA}L55TUjtiq8FBorTWAZ0jy6g129A= ",
        "{SHA}msgbtEzyJ6ryPbEGLts6RIeTtBqhssPU",
    ];
    for stored in cases {
        assert!(detect(stored).is_some(), "{stored}");
        assert!(matches!(verify(stored, b"correct horse"), Err(LegacyError::Malformed(_))), "{stored}");
    }
}

/// Every prefix of every vector, and every vector with one character replaced, gives an
/// answer without panicking, and never a match.
#[test]
fn truncated_and_mutated_hashes_never_panic_or_match() {
    for &(stored, password, _) in VECTORS {
        for end in (0..stored.len()).filter(|&i| stored.is_char_boundary(i)) {
            assert_ne!(verify(&stored[..end], password), Ok(true), "{stored} cut at {end}");
        }
        for (at, original) in stored.char_indices() {
            for replacement in ['$', '!', '.', 'é', '\0'] {
                if replacement == original {
                    continue;
                }
                let mut mutated = stored.to_owned();
                mutated.replace_range(at..at + original.len_utf8(), replacement.encode_utf8(&mut [0; 4]));
                assert_ne!(verify(&mutated, password), Ok(true), "{mutated}");
            }
        }
    }
}

/// Like crypt(3), bcrypt uses only the first 72 bytes of the password.
#[test]
fn bcrypt_uses_the_first_72_bytes() {
    assert_eq!(verify(BCRYPT_72_X, &[b'x'; 72]), Ok(true));
    assert_eq!(verify(BCRYPT_72_X, &[b'x'; 80]), Ok(true));
    assert_eq!(verify(BCRYPT_72_X, &[b'x'; 71]), Ok(false));
}

/// Passwords over the length cap never match, whatever the format would say.
#[test]
fn overlong_password_is_a_mismatch() {
    assert_eq!(verify(BCRYPT_72_X, &[b'x'; MAX_PASSWORD_LEN]), Ok(true));
    assert_eq!(verify(BCRYPT_72_X, &[b'x'; MAX_PASSWORD_LEN + 1]), Ok(false));
    let huge = vec![b'a'; 1 << 20];
    for &(stored, _, _) in VECTORS {
        assert_eq!(verify(stored, &huge), Ok(false), "{stored}");
    }
}

/// The md5-crypt core alone, against the `openssl passwd -1` / `-apr1` vectors.
#[test]
fn md5_crypt_digest_matches_openssl() {
    assert_eq!(&md5_crypt(b"correct horse", b"$1$", b"saltstri"), b"CVtlMpOHug1.jDUbVpFvB1");
    assert_eq!(&md5_crypt(b"correct horse", b"$apr1$", b"saltstri"), b"3M7Faf5EXu1biGL6p4ueM1");
}

/// Error messages say what is wrong and never quote the input.
#[test]
fn errors_do_not_leak_the_hash() {
    let stored = "$5$rounds=999999999$secretsalt$E8tgG4yfJ1OXfIk./Ck8Q6Q7G2H9mBITQy5s9xERng7";
    let message = verify(stored, b"hunter2").err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(message, "malformed password hash: sha-crypt rounds above the 1,000,000 limit");
    assert_eq!(LegacyError::Unsupported.to_string(), "unsupported password hash format");
}

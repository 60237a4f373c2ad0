//! The module arguments from the `/etc/pam.d` line: a pure parser. Unknown or malformed
//! arguments do not fail the call; they come back as warnings for the log.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

/// The config file that names the socket when `config=` is not given.
pub const DEFAULT_CONFIG: &str = "/etc/wicket/wicket.toml";

/// What the administrator asked for on the module line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// `debug`: log every decision at `LOG_DEBUG`.
    pub debug: bool,
    /// `quiet`: log nothing below `LOG_ERR`.
    pub quiet: bool,
    /// `use_first_pass`: never prompt; use the password an earlier module read.
    pub use_first_pass: bool,
    /// `try_first_pass`: use an earlier module's password; if wicketd rejects it, prompt once.
    pub try_first_pass: bool,
    /// `use_authtok`: when changing a password, take the new one from an earlier module.
    pub use_authtok: bool,
    /// `nullok`: accepted for stack compatibility; it has no effect (Wicket never stores
    /// an empty password, so an empty one is always refused).
    pub nullok: bool,
    /// `ignore_unknown_user`: answer `PAM_IGNORE` instead of `PAM_USER_UNKNOWN`.
    pub ignore_unknown_user: bool,
    /// `ignore_authinfo_unavail`: answer `PAM_IGNORE` when wicketd or its backends are down.
    pub ignore_authinfo_unavail: bool,
    /// `minimum_uid=N`: users with a smaller uid are left to other modules (`PAM_IGNORE`).
    pub minimum_uid: Option<u32>,
    /// `nodelay`: do not ask libpam for the failure delay.
    pub nodelay: bool,
    /// `config=PATH`: the file whose `[server] socket` names wicketd's socket.
    pub config: PathBuf,
    /// `totp=enrolled|required`: who must give a verification code after the password.
    pub totp: Totp,
}

/// Who must give a second-factor code. wicketd asks every account that has a confirmed
/// enrolment for one, whatever this says; the option only decides about the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Totp {
    /// `totp=enrolled` (the default): an account without an enrolment logs in with its
    /// password alone.
    #[default]
    Enrolled,
    /// `totp=required`: an account without an enrolment is refused.
    Required,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            debug: false,
            quiet: false,
            use_first_pass: false,
            try_first_pass: false,
            use_authtok: false,
            nullok: false,
            ignore_unknown_user: false,
            ignore_authinfo_unavail: false,
            minimum_uid: None,
            nodelay: false,
            config: PathBuf::from(DEFAULT_CONFIG),
            totp: Totp::Enrolled,
        }
    }
}

/// Parses the module arguments. Returns the options and one warning per argument that was
/// ignored (unknown, or a bad value); the warnings never echo more than the argument itself.
pub fn parse(args: &[&[u8]]) -> (Options, Vec<String>) {
    let mut o = Options::default();
    let mut warnings = Vec::new();
    for &arg in args {
        let (key, value) = match arg.iter().position(|&b| b == b'=') {
            Some(i) => (&arg[..i], Some(&arg[i + 1..])),
            None => (arg, None),
        };
        let flag = match (key, value) {
            (b"debug", None) => &mut o.debug,
            (b"quiet", None) => &mut o.quiet,
            (b"use_first_pass", None) => &mut o.use_first_pass,
            (b"try_first_pass", None) => &mut o.try_first_pass,
            (b"use_authtok", None) => &mut o.use_authtok,
            (b"nullok", None) => &mut o.nullok,
            (b"ignore_unknown_user", None) => &mut o.ignore_unknown_user,
            (b"ignore_authinfo_unavail", None) => &mut o.ignore_authinfo_unavail,
            (b"nodelay", None) => &mut o.nodelay,
            (b"minimum_uid", Some(v)) => {
                match std::str::from_utf8(v).ok().and_then(|v| v.parse::<u32>().ok()) {
                    Some(n) => o.minimum_uid = Some(n),
                    None => warnings.push(format!("ignoring {}: not a uid", shown(arg))),
                }
                continue;
            }
            (b"config", Some(v)) => {
                if v.first() == Some(&b'/') {
                    o.config = PathBuf::from(OsStr::from_bytes(v));
                } else {
                    warnings.push(format!("ignoring {}: the path must be absolute", shown(arg)));
                }
                continue;
            }
            (b"totp", Some(v)) => {
                match v {
                    b"enrolled" => o.totp = Totp::Enrolled,
                    b"required" => o.totp = Totp::Required,
                    // A typo must not weaken the line: the stricter reading.
                    _ => {
                        o.totp = Totp::Required;
                        warnings.push(format!("{}: use totp=enrolled or totp=required; taken as required", shown(arg)));
                    }
                }
                continue;
            }
            // Read by libpam's pam_get_authtok itself.
            (b"authtok_type", Some(_)) => continue,
            _ => {
                warnings.push(format!("ignoring unknown option {}", shown(arg)));
                continue;
            }
        };
        *flag = true;
    }
    (o, warnings)
}

/// An argument as it may appear in a log line: escaped, at most 64 characters.
fn shown(arg: &[u8]) -> String {
    let text = String::from_utf8_lossy(arg);
    let mut out: String = text.chars().take(64).collect::<String>().escape_debug().collect();
    if text.chars().count() > 64 {
        out.push('…');
    }
    format!("\"{out}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(args: &[&str]) -> (Options, Vec<String>) {
        let bytes: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        parse(&bytes)
    }

    #[test]
    fn defaults() {
        let (o, w) = parsed(&[]);
        assert_eq!(o, Options::default());
        assert!(w.is_empty());
        assert_eq!(o.config, PathBuf::from("/etc/wicket/wicket.toml"));
        assert_eq!(o.minimum_uid, None);
    }

    #[test]
    fn every_known_option() {
        let (o, w) = parsed(&[
            "debug",
            "quiet",
            "use_first_pass",
            "try_first_pass",
            "use_authtok",
            "nullok",
            "ignore_unknown_user",
            "ignore_authinfo_unavail",
            "nodelay",
            "minimum_uid=1000",
            "config=/tmp/w.toml",
            "authtok_type=WICKET",
            "totp=required",
        ]);
        assert!(w.is_empty(), "{w:?}");
        assert!(o.debug && o.quiet && o.use_first_pass && o.try_first_pass && o.use_authtok && o.nullok);
        assert!(o.ignore_unknown_user && o.ignore_authinfo_unavail && o.nodelay);
        assert_eq!(o.minimum_uid, Some(1000));
        assert_eq!(o.config, PathBuf::from("/tmp/w.toml"));
        assert_eq!(o.totp, Totp::Required);
    }

    #[test]
    fn unknown_and_malformed_options_are_ignored_with_a_warning() {
        let (o, w) = parsed(&[
            "frobnicate",
            "debug=yes",
            "minimum_uid=lots",
            "minimum_uid=-1",
            "config=relative.toml",
            "nodelay",
            "x\n\u{1b}[31mfake log line",
            "totp=sometimes",
        ]);
        assert_eq!(w.len(), 7, "{w:?}");
        assert_eq!(o.totp, Totp::Required, "a bad totp= is the stricter reading");
        assert!(w[0].contains("\"frobnicate\""), "{w:?}");
        assert!(!o.debug, "debug=yes is not debug");
        assert_eq!(o.minimum_uid, None);
        assert_eq!(o.config, PathBuf::from(DEFAULT_CONFIG));
        assert!(o.nodelay, "known options after unknown ones still count");
        assert!(w.iter().all(|l| !l.contains('\n') && !l.contains('\u{1b}')), "{w:?}");
    }

    #[test]
    fn long_and_non_utf8_arguments_are_shortened_and_escaped() {
        let long = "y".repeat(500);
        let (_, w) = parse(&[long.as_bytes(), b"\xff\xfe"]);
        assert_eq!(w.len(), 2);
        assert!(w[0].len() < 100, "{}", w[0]);
        assert!(w[1].contains('\u{fffd}'), "{}", w[1]);
    }
}

//! Reading passwords: from a TTY prompt (asked twice when setting one) or one line of
//! standard input with `--password-stdin`. Never from the command line.

use anyhow::{Context, Result, bail};
use std::io::{BufRead, IsTerminal};
use wicket_core::secret::Secret;
use zeroize::Zeroize;

/// How to get a password.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    /// One line from standard input.
    Stdin,
    /// Ask on the terminal.
    Tty,
}

impl Source {
    /// `--password-stdin` or the terminal.
    pub fn from_flag(stdin: bool) -> Self {
        if stdin { Self::Stdin } else { Self::Tty }
    }
}

/// Reads a new password (twice on a TTY). Refuses an empty one.
pub fn new_password(source: Source, user: &str) -> Result<Secret> {
    let pw = match source {
        Source::Stdin => read_stdin_line()?,
        Source::Tty => {
            let first = ask(&format!("New password for {user}: "))?;
            let second = ask("Retype new password: ")?;
            if first.expose() != second.expose() {
                bail!("passwords do not match; nothing changed");
            }
            first
        }
    };
    if pw.is_empty() {
        bail!("empty password refused; nothing changed");
    }
    Ok(pw)
}

/// Reads a password to check (once).
pub fn existing_password(source: Source, user: &str) -> Result<Secret> {
    match source {
        Source::Stdin => read_stdin_line(),
        Source::Tty => ask(&format!("Password for {user}: ")),
    }
}

fn ask(prompt: &str) -> Result<Secret> {
    if !std::io::stdin().is_terminal() {
        bail!("no terminal to ask for the password on; pipe it in with --password-stdin");
    }
    let s = rpassword::prompt_password(prompt).context("while reading the password from the terminal")?;
    Ok(Secret::from_string(s))
}

fn read_stdin_line() -> Result<Secret> {
    let mut line = Vec::new();
    std::io::stdin().lock().read_until(b'\n', &mut line).context("while reading the password from standard input")?;
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    }
    let pw = match String::from_utf8(line) {
        Ok(s) => Secret::from_string(s),
        Err(e) => {
            let mut bytes = e.into_bytes();
            bytes.zeroize();
            bail!("the password is not valid UTF-8");
        }
    };
    if pw.expose().contains(&0) {
        bail!("the password contains a NUL byte");
    }
    Ok(pw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::process::{Command, Stdio};

    /// Set in the child process this test binary starts to read its own standard input.
    const CHILD: &str = "WICKET_PROMPT_TEST_READ";
    const TEST: &str = "prompt::tests::standard_input_gives_one_line_and_refuses_the_rest";

    /// In the child: reads a password the way `what` says and prints the outcome on one line.
    fn child(what: &str) {
        let got = match what {
            "existing" => existing_password(Source::Stdin, "u"),
            "new" => new_password(Source::Stdin, "u"),
            "tty" => new_password(Source::Tty, "u"),
            other => panic!("unknown mode {other}"),
        };
        match got {
            Ok(pw) => println!("RESULT ok {:?}", String::from_utf8_lossy(pw.expose())),
            Err(e) => println!("RESULT err {e:#}"),
        }
    }

    /// Runs this test binary as a child reading `input` on standard input (a pipe, never a
    /// terminal) and returns what it printed after `RESULT `.
    fn read_in_child(what: &str, input: &[u8]) -> String {
        let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
        let mut c = Command::new(exe)
            .args([TEST, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD, what)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        if let Some(mut s) = c.stdin.take() {
            // A child that refuses without reading (no terminal) may be gone already.
            if let Err(e) = s.write_all(input) {
                assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
            }
        }
        let out = c.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
        let text = String::from_utf8_lossy(&out.stdout);
        // The harness prints `test NAME ... ` on the same line first.
        let line = text.lines().find_map(|l| l.split_once("RESULT ").map(|(_, r)| r));
        line.unwrap_or_else(|| panic!("child printed no result: {text}{}", String::from_utf8_lossy(&out.stderr)))
            .to_string()
    }

    #[test]
    fn standard_input_gives_one_line_and_refuses_the_rest() {
        if let Ok(what) = std::env::var(CHILD) {
            return child(&what);
        }
        let cases: [(&str, &[u8], &str); 11] = [
            ("existing", b"pw\n", "ok \"pw\""),
            ("existing", b"pw\r\n", "ok \"pw\""),
            ("existing", b"pw", "ok \"pw\""),
            ("existing", b"first\nsecond\n", "ok \"first\""),
            ("existing", b"  spaced out  \n", "ok \"  spaced out  \""),
            ("existing", "pässword\n".as_bytes(), "ok \"pässword\""),
            ("existing", b"\xff\xfe\n", "err the password is not valid UTF-8"),
            ("existing", b"a\0b\n", "err the password contains a NUL byte"),
            ("new", b"\n", "err empty password refused; nothing changed"),
            ("new", b"new-pw\n", "ok \"new-pw\""),
            ("tty", b"pw\npw\n", "err no terminal to ask for the password on; pipe it in with --password-stdin"),
        ];
        for (what, input, want) in cases {
            assert_eq!(read_in_child(what, input), want, "{what} {:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn the_flag_chooses_standard_input() {
        assert!(matches!(Source::from_flag(true), Source::Stdin));
        assert!(matches!(Source::from_flag(false), Source::Tty));
    }
}

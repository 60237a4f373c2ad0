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

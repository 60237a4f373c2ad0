//! What every command prints the same way.

use crate::CmdResult;
use serde::Serialize;
use std::process::ExitCode;

/// `v` as pretty JSON on standard output; exit 0.
pub(crate) fn print_json<T: Serialize>(v: &T) -> CmdResult {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(ExitCode::SUCCESS)
}

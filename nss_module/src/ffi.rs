//! The C side: the `_nss_wicket_*` entry points glibc finds with `dlsym`, and the only
//! `unsafe` code in this crate.
//!
//! Each entry point does three things: runs its body inside `catch_unwind` (`guarded`),
//! where safe code finds the daemon, asks, and checks the answer; turns the caller's raw
//! pointers into an entry (`fill_passwd`, `fill_group`, `CallerGids`); and reports the
//! outcome as an `nss_status` plus errno (`finish`). The `*_with` functions take the daemon
//! as a parameter so the unit tests (`ffi/tests.rs`) drive the pointer handling with a fake
//! one. Filling the caller's `struct passwd` / `struct group` is in `fill`, glibc's gid array
//! for `initgroups_dyn` in `gids`.
//!
//! Enumeration (`getpwent`, `getgrent`) is off: the `set`/`end` calls succeed and `get`
//! reports the end at once, so `getent passwd` lists only other sources and still exits 0.

mod fill;
mod gids;
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;

use crate::daemon::{Daemon, system_daemon};
use crate::groups;
use crate::lookup;
use crate::status::{Failure, NssStatus};
use fill::{fill_group, fill_passwd};
use gids::CallerGids;
use libc::{gid_t, group, passwd, uid_t};
use std::ffi::{CStr, c_char, c_int, c_long};
use std::panic::{AssertUnwindSafe, catch_unwind};
// The tests' `use super::*` finds these here.
#[cfg(test)]
use {crate::pack, std::mem::size_of, std::ptr, wicket_proto::proto::PosixGroup};

// ---------------------------------------------------------------------------------------
// passwd

/// `getpwnam_r` for glibc.
///
/// # Safety
/// glibc's module contract: `name` is NULL or NUL-terminated; `result` points to a writable
/// `struct passwd`; `buffer` points to `buflen` writable bytes (or is NULL); `errnop` is NULL
/// or points to a writable int.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _nss_wicket_getpwnam_r(
    name: *const c_char,
    result: *mut passwd,
    buffer: *mut c_char,
    buflen: usize,
    errnop: *mut c_int,
) -> NssStatus {
    let outcome = guarded(|| {
        let daemon = system_daemon()?;
        // SAFETY: the pointers are glibc's, valid as this function's contract says.
        unsafe { getpwnam_with(&daemon, name, result, buffer, buflen) }
    });
    // SAFETY: `errnop` is NULL or writable (contract).
    unsafe { finish(outcome, errnop) }
}

/// `getpwuid_r` for glibc.
///
/// # Safety
/// As [`_nss_wicket_getpwnam_r`], without the name.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _nss_wicket_getpwuid_r(
    uid: uid_t,
    result: *mut passwd,
    buffer: *mut c_char,
    buflen: usize,
    errnop: *mut c_int,
) -> NssStatus {
    let outcome = guarded(|| {
        let daemon = system_daemon()?;
        let user = lookup::user_by_uid(&daemon, uid)?;
        // SAFETY: `result` and `buffer` are glibc's, valid as this function's contract says.
        unsafe { fill_passwd(&user, result, buffer, buflen) }
    });
    // SAFETY: `errnop` is NULL or writable (contract).
    unsafe { finish(outcome, errnop) }
}

/// `setpwent`: enumeration is off; there is nothing to open.
#[unsafe(no_mangle)]
pub extern "C" fn _nss_wicket_setpwent(_stayopen: c_int) -> NssStatus {
    guarded(|| Ok(NssStatus::Success)).unwrap_or(NssStatus::Unavail)
}

/// `getpwent_r`: enumeration is off, so the list is always at its end.
///
/// # Safety
/// `errnop` is NULL or points to a writable int; the other pointers are not used.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _nss_wicket_getpwent_r(
    _result: *mut passwd,
    _buffer: *mut c_char,
    _buflen: usize,
    errnop: *mut c_int,
) -> NssStatus {
    let outcome = guarded(|| Err(Failure::NotFound));
    // SAFETY: `errnop` is NULL or writable (contract).
    unsafe { finish(outcome, errnop) }
}

/// `endpwent`: nothing to close.
#[unsafe(no_mangle)]
pub extern "C" fn _nss_wicket_endpwent() -> NssStatus {
    guarded(|| Ok(NssStatus::Success)).unwrap_or(NssStatus::Unavail)
}

// ---------------------------------------------------------------------------------------
// group

/// `getgrnam_r` for glibc.
///
/// # Safety
/// glibc's module contract: `name` is NULL or NUL-terminated; `result` points to a writable
/// `struct group`; `buffer` points to `buflen` writable bytes (or is NULL); `errnop` is NULL
/// or points to a writable int.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _nss_wicket_getgrnam_r(
    name: *const c_char,
    result: *mut group,
    buffer: *mut c_char,
    buflen: usize,
    errnop: *mut c_int,
) -> NssStatus {
    let outcome = guarded(|| {
        let daemon = system_daemon()?;
        // SAFETY: the pointers are glibc's, valid as this function's contract says.
        unsafe { getgrnam_with(&daemon, name, result, buffer, buflen) }
    });
    // SAFETY: `errnop` is NULL or writable (contract).
    unsafe { finish(outcome, errnop) }
}

/// `getgrgid_r` for glibc.
///
/// # Safety
/// As [`_nss_wicket_getgrnam_r`], without the name.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _nss_wicket_getgrgid_r(
    gid: gid_t,
    result: *mut group,
    buffer: *mut c_char,
    buflen: usize,
    errnop: *mut c_int,
) -> NssStatus {
    let outcome = guarded(|| {
        let daemon = system_daemon()?;
        let entry = lookup::group_by_gid(&daemon, gid)?;
        // SAFETY: `result` and `buffer` are glibc's, valid as this function's contract says.
        unsafe { fill_group(&entry, result, buffer, buflen) }
    });
    // SAFETY: `errnop` is NULL or writable (contract).
    unsafe { finish(outcome, errnop) }
}

/// `setgrent`: enumeration is off; there is nothing to open.
#[unsafe(no_mangle)]
pub extern "C" fn _nss_wicket_setgrent(_stayopen: c_int) -> NssStatus {
    guarded(|| Ok(NssStatus::Success)).unwrap_or(NssStatus::Unavail)
}

/// `getgrent_r`: enumeration is off, so the list is always at its end.
///
/// # Safety
/// `errnop` is NULL or points to a writable int; the other pointers are not used.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _nss_wicket_getgrent_r(
    _result: *mut group,
    _buffer: *mut c_char,
    _buflen: usize,
    errnop: *mut c_int,
) -> NssStatus {
    let outcome = guarded(|| Err(Failure::NotFound));
    // SAFETY: `errnop` is NULL or writable (contract).
    unsafe { finish(outcome, errnop) }
}

/// `endgrent`: nothing to close.
#[unsafe(no_mangle)]
pub extern "C" fn _nss_wicket_endgrent() -> NssStatus {
    guarded(|| Ok(NssStatus::Success)).unwrap_or(NssStatus::Unavail)
}

/// `initgroups_dyn`: appends `user`'s Wicket groups (other than `primary`, the user's own)
/// to glibc's array, growing it with `realloc` within `limit` (≤ 0: no limit). SUCCESS when
/// Wicket lists supplementary groups for the user, NOTFOUND when it lists none.
///
/// # Safety
/// glibc's module contract: `user` is NULL or NUL-terminated; `start`, `size` and `groupsp`
/// point to writable values, `*groupsp` is NULL or a `malloc`ed array of `*size` gids of which
/// the first `*start` are in use; `errnop` is NULL or points to a writable int.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _nss_wicket_initgroups_dyn(
    user: *const c_char,
    primary: gid_t,
    start: *mut c_long,
    size: *mut c_long,
    groupsp: *mut *mut gid_t,
    limit: c_long,
    errnop: *mut c_int,
) -> NssStatus {
    let outcome = guarded(|| {
        let daemon = system_daemon()?;
        // SAFETY: the pointers are glibc's, valid as this function's contract says.
        unsafe { initgroups_with(&daemon, user, primary, start, size, groupsp, limit) }
    });
    // SAFETY: `errnop` is NULL or writable (contract).
    unsafe { finish(outcome, errnop) }
}

// ---------------------------------------------------------------------------------------
// The glue, generic over the daemon for the tests.

/// # Safety
/// As [`_nss_wicket_getpwnam_r`].
unsafe fn getpwnam_with(
    daemon: &impl Daemon,
    name: *const c_char,
    result: *mut passwd,
    buffer: *mut c_char,
    buflen: usize,
) -> Result<NssStatus, Failure> {
    // SAFETY: `name` is NULL or NUL-terminated (contract).
    let name = unsafe { c_bytes(name) }.ok_or(Failure::NotFound)?;
    let user = lookup::user_by_name(daemon, name)?;
    // SAFETY: `result` and `buffer` as the contract says.
    unsafe { fill_passwd(&user, result, buffer, buflen) }
}

/// # Safety
/// As [`_nss_wicket_getgrnam_r`].
unsafe fn getgrnam_with(
    daemon: &impl Daemon,
    name: *const c_char,
    result: *mut group,
    buffer: *mut c_char,
    buflen: usize,
) -> Result<NssStatus, Failure> {
    // SAFETY: `name` is NULL or NUL-terminated (contract).
    let name = unsafe { c_bytes(name) }.ok_or(Failure::NotFound)?;
    let entry = lookup::group_by_name(daemon, name)?;
    // SAFETY: `result` and `buffer` as the contract says.
    unsafe { fill_group(&entry, result, buffer, buflen) }
}

/// # Safety
/// As [`_nss_wicket_initgroups_dyn`].
unsafe fn initgroups_with(
    daemon: &impl Daemon,
    user: *const c_char,
    primary: gid_t,
    start: *mut c_long,
    size: *mut c_long,
    groupsp: *mut *mut gid_t,
    limit: c_long,
) -> Result<NssStatus, Failure> {
    // SAFETY: `start`, `size` and `groupsp` as the contract says.
    let mut array = unsafe { CallerGids::new(start, size, groupsp) }?;
    // SAFETY: `user` is NULL or NUL-terminated (contract).
    let user = unsafe { c_bytes(user) }.ok_or(Failure::NotFound)?;
    let gids = lookup::groups_of(daemon, user)?;
    if gids.is_empty() {
        return Err(Failure::NotFound);
    }
    groups::add(&mut array, &gids, primary, groups::limit_from(limit))?;
    Ok(NssStatus::Success)
}

/// Runs an entry point's body; a panic becomes [`Failure::Panicked`] instead of unwinding
/// into C.
fn guarded(body: impl FnOnce() -> Result<NssStatus, Failure>) -> Result<NssStatus, Failure> {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(Err(Failure::Panicked))
}

/// The status to return; on failure, the errno to leave in `*errnop`.
///
/// # Safety
/// `errnop` is NULL or points to a writable int.
unsafe fn finish(outcome: Result<NssStatus, Failure>, errnop: *mut c_int) -> NssStatus {
    match outcome {
        Ok(status) => status,
        Err(failure) => {
            let (status, errno) = failure.status();
            if !errnop.is_null() {
                // SAFETY: non-NULL, and writable by the contract.
                unsafe { errnop.write(errno) };
            }
            status
        }
    }
}

/// The bytes of a C string, or `None` for NULL.
///
/// # Safety
/// `s` is NULL or points to a NUL-terminated string that outlives `'a`.
unsafe fn c_bytes<'a>(s: *const c_char) -> Option<&'a [u8]> {
    if s.is_null() {
        return None;
    }
    // SAFETY: non-NULL and NUL-terminated by the contract.
    Some(unsafe { CStr::from_ptr(s) }.to_bytes())
}

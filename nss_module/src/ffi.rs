//! The C side: the `_nss_wicket_*` entry points glibc finds with `dlsym`, and the only
//! `unsafe` code in this crate.
//!
//! Each entry point does three things: runs its body inside `catch_unwind` (`guarded`),
//! where safe code finds the daemon, asks, and checks the answer; turns the caller's raw
//! pointers into an entry (`fill_passwd`, `fill_group`, `CallerGids`); and reports the
//! outcome as an `nss_status` plus errno (`finish`). The `*_with` functions take the daemon
//! as a parameter so the unit tests below drive the pointer handling with a fake one.
//!
//! Enumeration (`getpwent`, `getgrent`) is off: the `set`/`end` calls succeed and `get`
//! reports the end at once, so `getent passwd` lists only other sources and still exits 0.

use crate::daemon::{Daemon, system_daemon};
use crate::groups::{self, GidArray};
use crate::lookup;
use crate::pack;
use crate::status::{Failure, NssStatus};
use libc::{gid_t, group, passwd, uid_t};
use std::ffi::{CStr, c_char, c_int, c_long};
use std::mem::size_of;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use wicket_core::proto::{PosixGroup, PosixUser};

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

/// The caller's buffer as a byte slice (empty for NULL or 0 bytes).
///
/// # Safety
/// `buffer` is NULL or points to `buflen` writable bytes not otherwise borrowed for `'a`.
unsafe fn caller_buffer<'a>(buffer: *mut c_char, buflen: usize) -> Result<&'a mut [u8], Failure> {
    if buffer.is_null() || buflen == 0 {
        return Ok(&mut []);
    }
    if isize::try_from(buflen).is_err() {
        return Err(Failure::BadArguments);
    }
    // SAFETY: non-NULL, `buflen` writable bytes (contract), length within isize::MAX.
    Ok(unsafe { std::slice::from_raw_parts_mut(buffer.cast::<u8>(), buflen) })
}

/// Packs `user` into `buffer` and points `*result` at it.
///
/// # Safety
/// `result` is NULL or points to a writable `struct passwd`; `buffer` as in [`caller_buffer`].
unsafe fn fill_passwd(
    user: &PosixUser,
    result: *mut passwd,
    buffer: *mut c_char,
    buflen: usize,
) -> Result<NssStatus, Failure> {
    if result.is_null() {
        return Err(Failure::BadArguments);
    }
    // SAFETY: forwarded contract; the slice is dropped before the pointers below are made.
    let buf = unsafe { caller_buffer(buffer, buflen) }?;
    let at = pack::passwd(user, buf).map_err(|_| Failure::BufferTooSmall)?;
    // Offsets are within `buflen` (pack checked), so `add` stays inside the buffer.
    // SAFETY: each offset is < buflen, inside the caller's allocation.
    let p = |off: usize| unsafe { buffer.add(off) };
    let entry = passwd {
        pw_name: p(at.name),
        pw_passwd: p(at.passwd),
        pw_uid: user.uid,
        pw_gid: user.gid,
        pw_gecos: p(at.gecos),
        pw_dir: p(at.dir),
        pw_shell: p(at.shell),
    };
    // SAFETY: `result` is non-NULL and writable (contract).
    unsafe { result.write(entry) };
    Ok(NssStatus::Success)
}

/// Packs `group` into `buffer`, fills its `gr_mem` array and points `*result` at it.
///
/// # Safety
/// `result` is NULL or points to a writable `struct group`; `buffer` as in [`caller_buffer`].
unsafe fn fill_group(
    entry: &PosixGroup,
    result: *mut group,
    buffer: *mut c_char,
    buflen: usize,
) -> Result<NssStatus, Failure> {
    if result.is_null() {
        return Err(Failure::BadArguments);
    }
    // SAFETY: forwarded contract; the slice is dropped before the pointers below are made.
    let buf = unsafe { caller_buffer(buffer, buflen) }?;
    let at = pack::group(entry, buf).map_err(|_| Failure::BufferTooSmall)?;
    // SAFETY: each offset is < buflen, inside the caller's allocation.
    let p = |off: usize| unsafe { buffer.add(off) };
    let mem = p(at.mem).cast::<*mut c_char>();
    for (i, &member) in at.members.iter().enumerate() {
        // SAFETY: pack reserved `members.len() + 1` pointer slots at `at.mem`, aligned for
        // pointers in memory; slot `i` is one of them.
        unsafe { mem.add(i).write(p(member)) };
    }
    // SAFETY: the last reserved slot, the array's NULL terminator.
    unsafe { mem.add(at.members.len()).write(ptr::null_mut()) };
    let filled = group { gr_name: p(at.name), gr_passwd: p(at.passwd), gr_gid: entry.gid, gr_mem: mem };
    // SAFETY: `result` is non-NULL and writable (contract).
    unsafe { result.write(filled) };
    Ok(NssStatus::Success)
}

/// glibc's gid array for `initgroups_dyn`: `*groupsp` (malloc'ed), `*start` slots in use,
/// `*size` slots allocated.
struct CallerGids {
    start: *mut c_long,
    size: *mut c_long,
    groups: *mut *mut gid_t,
}

impl CallerGids {
    /// Checks the pointers and counts before anything is read or written through them.
    ///
    /// # Safety
    /// `start`, `size` and `groups` are NULL or point to writable values for as long as the
    /// returned value lives; `*groups` is NULL or a `malloc`ed array of `*size` gids.
    unsafe fn new(start: *mut c_long, size: *mut c_long, groups: *mut *mut gid_t) -> Result<Self, Failure> {
        if start.is_null() || size.is_null() || groups.is_null() {
            return Err(Failure::BadArguments);
        }
        // SAFETY: all three are non-NULL and valid (contract).
        let (used, allocated, array) = unsafe { (start.read(), size.read(), groups.read()) };
        if used < 0 || allocated < used || (array.is_null() && allocated > 0) {
            return Err(Failure::BadArguments);
        }
        Ok(Self { start, size, groups })
    }
}

impl GidArray for CallerGids {
    fn used(&self) -> usize {
        // SAFETY: checked non-NULL in `new`; valid for our lifetime (contract of `new`).
        usize::try_from(unsafe { self.start.read() }).unwrap_or(0)
    }

    fn allocated(&self) -> usize {
        // SAFETY: as in `len`.
        usize::try_from(unsafe { self.size.read() }).unwrap_or(0)
    }

    fn get(&self, index: usize) -> u32 {
        if index >= self.used() {
            return 0;
        }
        // SAFETY: `index < *start <= *size`, so the slot is inside glibc's array.
        unsafe { self.groups.read().add(index).read() }
    }

    fn grow(&mut self, slots: usize) -> bool {
        let (Some(bytes), Ok(new_size)) = (slots.checked_mul(size_of::<gid_t>()), c_long::try_from(slots)) else {
            return false;
        };
        // SAFETY: `*groups` is NULL or glibc's malloc'ed array (contract of `new`); realloc
        // leaves it untouched when it fails.
        let grown = unsafe { libc::realloc(self.groups.read().cast(), bytes) };
        if grown.is_null() {
            return false;
        }
        // SAFETY: both pointers checked non-NULL in `new`; the new array replaces the old.
        unsafe {
            self.groups.write(grown.cast());
            self.size.write(new_size);
        }
        true
    }

    fn push(&mut self, gid: u32) {
        let used = self.used();
        if used >= self.allocated() {
            return;
        }
        // SAFETY: `used < *size`, so the slot is inside the array; `start` checked in `new`.
        unsafe {
            self.groups.read().add(used).write(gid);
            self.start.write(self.start.read() + 1);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::lookup::tests::{Scripted, admins, alice};
    use wicket_core::client::ClientError;
    use wicket_core::proto::Response;

    fn text(p: *const c_char) -> String {
        assert!(!p.is_null());
        // SAFETY: test pointers come from a successful fill, inside a live buffer.
        unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_string()
    }

    fn getpwnam(d: &Scripted, name: &CStr, buf: &mut [u8]) -> (NssStatus, c_int, passwd) {
        // SAFETY: an all-zero passwd is valid (NULL pointers and 0 ids).
        let mut pw: passwd = unsafe { std::mem::zeroed() };
        let mut errno = 0;
        let outcome = guarded(|| {
            // SAFETY: valid name, result and buffer owned by this test.
            unsafe { getpwnam_with(d, name.as_ptr(), &mut pw, buf.as_mut_ptr().cast(), buf.len()) }
        });
        // SAFETY: `errno` is a local int.
        let status = unsafe { finish(outcome, &mut errno) };
        (status, errno, pw)
    }

    fn getgrnam(d: &Scripted, name: &CStr, buf: &mut [u8]) -> (NssStatus, c_int, group) {
        // SAFETY: an all-zero group is valid (NULL pointers and gid 0).
        let mut gr: group = unsafe { std::mem::zeroed() };
        let mut errno = 0;
        let outcome = guarded(|| {
            // SAFETY: valid name, result and buffer owned by this test.
            unsafe { getgrnam_with(d, name.as_ptr(), &mut gr, buf.as_mut_ptr().cast(), buf.len()) }
        });
        // SAFETY: `errno` is a local int.
        let status = unsafe { finish(outcome, &mut errno) };
        (status, errno, gr)
    }

    #[test]
    fn passwd_is_filled_from_the_callers_buffer() {
        let d = Scripted::answering(Ok(Response::Passwd(alice())));
        let mut buf = vec![0xAAu8; 1024];
        let (status, errno, pw) = getpwnam(&d, c"alice", &mut buf);
        assert_eq!((status, errno), (NssStatus::Success, 0));
        assert_eq!(text(pw.pw_name), "alice");
        assert_eq!(text(pw.pw_passwd), "*");
        assert_eq!((pw.pw_uid, pw.pw_gid), (200_000, 200_000));
        assert_eq!(text(pw.pw_gecos), "Alice Liddell");
        assert_eq!(text(pw.pw_dir), "/home/alice");
        assert_eq!(text(pw.pw_shell), "/bin/bash");
        let range = buf.as_ptr() as usize..buf.as_ptr() as usize + buf.len();
        for p in [pw.pw_name, pw.pw_passwd, pw.pw_gecos, pw.pw_dir, pw.pw_shell] {
            assert!(range.contains(&(p as usize)), "string outside the caller's buffer");
        }
    }

    #[test]
    fn a_small_buffer_asks_glibc_for_a_larger_one() {
        let need = pack::passwd_size(&alice());
        for len in [0, 1, need - 1] {
            let d = Scripted::answering(Ok(Response::Passwd(alice())));
            let mut buf = vec![0u8; len];
            let (status, errno, pw) = getpwnam(&d, c"alice", &mut buf);
            assert_eq!((status, errno), (NssStatus::TryAgain, libc::ERANGE), "{len} bytes");
            assert!(pw.pw_name.is_null(), "result untouched on ERANGE");
        }
        let d = Scripted::answering(Ok(Response::Passwd(alice())));
        let mut buf = vec![0u8; need];
        assert_eq!(getpwnam(&d, c"alice", &mut buf).0, NssStatus::Success);
        // A NULL buffer is "too small" too.
        let d = Scripted::answering(Ok(Response::Passwd(alice())));
        // SAFETY: a zeroed passwd is valid.
        let mut pw: passwd = unsafe { std::mem::zeroed() };
        // SAFETY: NULL buffer with length 0; valid name and result.
        let r = unsafe { getpwnam_with(&d, c"alice".as_ptr(), &mut pw, ptr::null_mut(), 0) };
        assert_eq!(r, Err(Failure::BufferTooSmall));
    }

    #[test]
    fn daemon_answers_become_statuses_and_errnos() {
        let cases = [
            (Ok(Response::NotFound), NssStatus::NotFound, libc::ENOENT),
            (Err(ClientError::Connect("refused".into())), NssStatus::Unavail, libc::ENOENT),
            (Ok(Response::Unavailable { reason: "ldap".into() }), NssStatus::TryAgain, libc::EAGAIN),
            (Err(ClientError::Io("timed out".into())), NssStatus::TryAgain, libc::EAGAIN),
            (Err(ClientError::Protocol("garbage".into())), NssStatus::Unavail, libc::ENOENT),
        ];
        for (answer, status, errno) in cases {
            let shown = format!("{answer:?}");
            let d = Scripted::answering(answer);
            let mut buf = vec![0u8; 1024];
            let got = getpwnam(&d, c"alice", &mut buf);
            assert_eq!((got.0, got.1), (status, errno), "{shown}");
        }
    }

    #[test]
    fn null_pointers_are_not_followed() {
        let d = Scripted::default();
        let mut buf = vec![0u8; 64];
        // SAFETY: a zeroed passwd is valid.
        let mut pw: passwd = unsafe { std::mem::zeroed() };
        // SAFETY: NULL name is allowed by the contract.
        let r = unsafe { getpwnam_with(&d, ptr::null(), &mut pw, buf.as_mut_ptr().cast(), buf.len()) };
        assert_eq!(r, Err(Failure::NotFound));
        let d = Scripted::answering(Ok(Response::Passwd(alice())));
        // SAFETY: NULL result is checked before use.
        let r = unsafe { getpwnam_with(&d, c"alice".as_ptr(), ptr::null_mut(), buf.as_mut_ptr().cast(), buf.len()) };
        assert_eq!(r, Err(Failure::BadArguments));
        // SAFETY: NULL errnop is allowed.
        assert_eq!(unsafe { finish(Err(Failure::NotFound), ptr::null_mut()) }, NssStatus::NotFound);
    }

    #[test]
    fn group_members_are_a_null_terminated_array_in_the_buffer() {
        let d = Scripted::answering(Ok(Response::Group(admins())));
        let mut backing = vec![0xAAu8; 1024];
        // An odd start, so the pointer array has to be aligned inside the buffer.
        let buf = &mut backing[3..];
        let (status, _, gr) = getgrnam(&d, c"admins", buf);
        assert_eq!(status, NssStatus::Success);
        assert_eq!(text(gr.gr_name), "admins");
        assert_eq!(text(gr.gr_passwd), "*");
        assert_eq!(gr.gr_gid, 200_001);
        assert_eq!(gr.gr_mem as usize % std::mem::align_of::<*mut c_char>(), 0);
        let mut members = Vec::new();
        for i in 0.. {
            // SAFETY: the array is NULL-terminated inside the live buffer.
            let m = unsafe { gr.gr_mem.add(i).read() };
            if m.is_null() {
                break;
            }
            members.push(text(m));
        }
        assert_eq!(members, ["alice", "bob"]);
    }

    #[test]
    fn group_buffer_exact_fit_and_one_less() {
        let g = PosixGroup { name: "ops".into(), gid: 200_010, members: vec!["alice".into()] };
        let mut backing = vec![0u8; 256];
        let need = pack::group_size(&g, backing.as_ptr() as usize);
        let d = Scripted::answering(Ok(Response::Group(g.clone())));
        let (status, errno, _) = getgrnam(&d, c"ops", &mut backing[..need - 1]);
        assert_eq!((status, errno), (NssStatus::TryAgain, libc::ERANGE));
        let d = Scripted::answering(Ok(Response::Group(g)));
        let (status, _, gr) = getgrnam(&d, c"ops", &mut backing[..need]);
        assert_eq!(status, NssStatus::Success);
        // SAFETY: filled above; one member then NULL.
        unsafe {
            assert_eq!(text(gr.gr_mem.read()), "alice");
            assert!(gr.gr_mem.add(1).read().is_null());
        }
    }

    /// Runs initgroups_with over a malloc'ed array like glibc's; returns the status, errno,
    /// the gids in use and the final size. Frees the array.
    fn initgroups(
        d: &Scripted,
        initial: &[gid_t],
        size: c_long,
        limit: c_long,
    ) -> (NssStatus, c_int, Vec<gid_t>, c_long) {
        let cap = usize::try_from(size).unwrap();
        // SAFETY: plain malloc of `cap` gids (at least one byte).
        let array = unsafe { libc::malloc(cap.max(1) * size_of::<gid_t>()) }.cast::<gid_t>();
        assert!(!array.is_null());
        for (i, g) in initial.iter().enumerate() {
            // SAFETY: i < initial.len() <= cap.
            unsafe { array.add(i).write(*g) };
        }
        let mut start = c_long::try_from(initial.len()).unwrap();
        let mut size = size;
        let mut groups = array;
        let mut errno = 0;
        let outcome = guarded(|| {
            // SAFETY: all pointers are locals; `groups` is malloc'ed with `size` slots.
            unsafe { initgroups_with(d, c"alice".as_ptr(), initial[0], &mut start, &mut size, &mut groups, limit) }
        });
        // SAFETY: local errno.
        let status = unsafe { finish(outcome, &mut errno) };
        let used = usize::try_from(start).unwrap();
        // SAFETY: `groups` holds `start` initialised gids; then it is freed once.
        let gids = unsafe { std::slice::from_raw_parts(groups, used) }.to_vec();
        // SAFETY: the (possibly realloc'ed) array came from malloc.
        unsafe { libc::free(groups.cast()) };
        (status, errno, gids, size)
    }

    #[test]
    fn initgroups_grows_glibcs_array_with_realloc() {
        let d = Scripted::answering(Ok(Response::Groups { gids: vec![200_001, 200_002, 200_003, 200_000] }));
        let (status, _, gids, size) = initgroups(&d, &[200_000], 1, 0);
        assert_eq!(status, NssStatus::Success);
        assert_eq!(gids, [200_000, 200_001, 200_002, 200_003]);
        assert!(size >= 4);
    }

    #[test]
    fn initgroups_respects_the_limit() {
        let d = Scripted::answering(Ok(Response::Groups { gids: vec![1, 2, 3, 4] }));
        let (status, _, gids, size) = initgroups(&d, &[200_000], 1, 2);
        assert_eq!(status, NssStatus::Success);
        assert_eq!(gids, [200_000, 1]);
        assert_eq!(size, 2);
    }

    #[test]
    fn initgroups_without_groups_or_daemon() {
        let d = Scripted::answering(Ok(Response::Groups { gids: vec![] }));
        let (status, errno, gids, _) = initgroups(&d, &[200_000], 4, 0);
        assert_eq!((status, errno, gids), (NssStatus::NotFound, libc::ENOENT, vec![200_000]));
        let d = Scripted::answering(Err(ClientError::Connect("gone".into())));
        let (status, errno, gids, _) = initgroups(&d, &[200_000], 4, 0);
        assert_eq!((status, errno, gids), (NssStatus::Unavail, libc::ENOENT, vec![200_000]));
    }

    #[test]
    fn initgroups_refuses_impossible_counts() {
        let d = Scripted::default();
        let mut groups: *mut gid_t = ptr::null_mut();
        for (start, size) in [(-1, 4), (5, 4), (0, 4)] {
            let (mut start, mut size) = (start as c_long, size as c_long);
            // SAFETY: locals; the array is NULL, so only the checks run.
            let r = unsafe { initgroups_with(&d, c"alice".as_ptr(), 1, &mut start, &mut size, &mut groups, 0) };
            assert_eq!(r, Err(Failure::BadArguments), "start {start} size {size}");
        }
        // SAFETY: NULL pointers are checked first.
        let r =
            unsafe { initgroups_with(&d, c"alice".as_ptr(), 1, ptr::null_mut(), ptr::null_mut(), ptr::null_mut(), 0) };
        assert_eq!(r, Err(Failure::BadArguments));
        assert!(d.asked.borrow().is_empty(), "no question with bad arguments");
    }

    #[test]
    fn a_panic_becomes_unavail() {
        let outcome = guarded(|| panic!("boom (expected in this test)"));
        assert_eq!(outcome, Err(Failure::Panicked));
        let mut errno = 0;
        // SAFETY: local errno.
        assert_eq!(unsafe { finish(outcome, &mut errno) }, NssStatus::Unavail);
        assert_eq!(errno, libc::ENOENT);
    }

    #[test]
    fn enumeration_is_empty_and_harmless() {
        assert_eq!(_nss_wicket_setpwent(0), NssStatus::Success);
        assert_eq!(_nss_wicket_setgrent(1), NssStatus::Success);
        let mut errno = 0;
        // SAFETY: only errnop is used; it is a local.
        let st = unsafe { _nss_wicket_getpwent_r(ptr::null_mut(), ptr::null_mut(), 0, &mut errno) };
        assert_eq!((st, errno), (NssStatus::NotFound, libc::ENOENT));
        errno = 0;
        // SAFETY: as above.
        let st = unsafe { _nss_wicket_getgrent_r(ptr::null_mut(), ptr::null_mut(), 0, &mut errno) };
        assert_eq!((st, errno), (NssStatus::NotFound, libc::ENOENT));
        assert_eq!(_nss_wicket_endpwent(), NssStatus::Success);
        assert_eq!(_nss_wicket_endgrent(), NssStatus::Success);
    }
}

//! Writing an entry into the caller's buffer: `pack` lays out the bytes, this file points
//! glibc's `struct passwd` / `struct group` at them.

use crate::pack;
use crate::status::{Failure, NssStatus};
use libc::{group, passwd};
use std::ffi::c_char;
use std::ptr;
use wicket_proto::proto::{PosixGroup, PosixUser};

/// The caller's buffer as a byte slice (empty for NULL or 0 bytes).
///
/// # Safety
/// `buffer` is NULL or points to `buflen` writable bytes not otherwise borrowed for `'a`.
pub(super) unsafe fn caller_buffer<'a>(buffer: *mut c_char, buflen: usize) -> Result<&'a mut [u8], Failure> {
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
pub(super) unsafe fn fill_passwd(
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
pub(super) unsafe fn fill_group(
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

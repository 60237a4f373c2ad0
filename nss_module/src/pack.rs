//! Packing an entry into the caller's buffer, the way glibc's `*_r` functions want it: every
//! string NUL-terminated inside the buffer, and for groups the `gr_mem` pointer array inside
//! it too, aligned for pointers. This module only computes *where* things go (offsets from
//! the buffer's start) and writes the bytes; [`crate::ffi`] turns offsets into pointers.
//!
//! Layouts, from the buffer's start:
//! - passwd: `name\0 *\0 gecos\0 dir\0 shell\0`
//! - group: padding to pointer alignment, `(members + 1)` pointer slots (the last one NULL),
//!   then `name\0 *\0 member\0 member\0 …`

use std::ffi::c_char;
use std::mem::{align_of, size_of};
use wicket_proto::proto::{PosixGroup, PosixUser};

/// The password field: never a hash, never "x" (there is no shadow entry either).
pub const NO_PASSWORD: &str = "*";

/// The caller's buffer cannot hold the entry (glibc answers ERANGE and retries larger).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooSmall;

/// Where a passwd entry's strings were put.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswdLayout {
    /// `pw_name`.
    pub name: usize,
    /// `pw_passwd` (always [`NO_PASSWORD`]).
    pub passwd: usize,
    /// `pw_gecos`.
    pub gecos: usize,
    /// `pw_dir`.
    pub dir: usize,
    /// `pw_shell`.
    pub shell: usize,
}

/// Where a group entry's parts were put.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupLayout {
    /// The `gr_mem` array: `members.len() + 1` pointer slots, zeroed, aligned for pointers.
    pub mem: usize,
    /// `gr_name`.
    pub name: usize,
    /// `gr_passwd` (always [`NO_PASSWORD`]).
    pub passwd: usize,
    /// Each member's name, in order; `gr_mem[i]` must point at `members[i]`.
    pub members: Vec<usize>,
}

/// Bytes `buf` must have for a passwd entry.
pub fn passwd_size(user: &PosixUser) -> usize {
    [user.name.len(), NO_PASSWORD.len(), user.gecos.len(), user.home.len(), user.shell.len()]
        .iter()
        .map(|n| n + 1)
        .sum()
}

/// Writes a passwd entry's strings into `buf`.
pub fn passwd(user: &PosixUser, buf: &mut [u8]) -> Result<PasswdLayout, TooSmall> {
    let mut arena = Arena::new(buf);
    Ok(PasswdLayout {
        name: arena.string(&user.name)?,
        passwd: arena.string(NO_PASSWORD)?,
        gecos: arena.string(&user.gecos)?,
        dir: arena.string(&user.home)?,
        shell: arena.string(&user.shell)?,
    })
}

/// Bytes a buffer starting at address `at` must have for a group entry.
pub fn group_size(group: &PosixGroup, at: usize) -> usize {
    padding(at)
        + (group.members.len() + 1) * size_of::<*mut c_char>()
        + group.name.len()
        + 1
        + NO_PASSWORD.len()
        + 1
        + group.members.iter().map(|m| m.len() + 1).sum::<usize>()
}

/// Writes a group entry into `buf`: the (zeroed) member pointer array, then the strings.
pub fn group(group: &PosixGroup, buf: &mut [u8]) -> Result<GroupLayout, TooSmall> {
    let mut arena = Arena::new(buf);
    let mem = arena.pointer_array(group.members.len())?;
    let name = arena.string(&group.name)?;
    let passwd = arena.string(NO_PASSWORD)?;
    let members = group.members.iter().map(|m| arena.string(m)).collect::<Result<Vec<_>, _>>()?;
    Ok(GroupLayout { mem, name, passwd, members })
}

/// Bytes to skip from address `at` to the next pointer-aligned address.
fn padding(at: usize) -> usize {
    let align = align_of::<*mut c_char>();
    (align - at % align) % align
}

/// A bump allocator over the caller's buffer.
struct Arena<'a> {
    buf: &'a mut [u8],
    /// The buffer's address, to align the pointer array in memory (not just in offsets).
    base: usize,
    used: usize,
}

impl<'a> Arena<'a> {
    fn new(buf: &'a mut [u8]) -> Self {
        let base = buf.as_ptr() as usize;
        Self { buf, base, used: 0 }
    }

    /// Reserves `len` bytes at `start`; returns the slice.
    fn take(&mut self, start: usize, len: usize) -> Result<&mut [u8], TooSmall> {
        let end = start.checked_add(len).ok_or(TooSmall)?;
        let slot = self.buf.get_mut(start..end).ok_or(TooSmall)?;
        self.used = end;
        Ok(slot)
    }

    /// Copies `s` and a NUL; returns its offset.
    fn string(&mut self, s: &str) -> Result<usize, TooSmall> {
        let start = self.used;
        let len = s.len().checked_add(1).ok_or(TooSmall)?;
        let slot = self.take(start, len)?;
        let (nul, text) = slot.split_last_mut().ok_or(TooSmall)?;
        text.copy_from_slice(s.as_bytes());
        *nul = 0;
        Ok(start)
    }

    /// Reserves `n + 1` zeroed pointer slots at a pointer-aligned address; returns the offset.
    fn pointer_array(&mut self, n: usize) -> Result<usize, TooSmall> {
        let at = self.base.checked_add(self.used).ok_or(TooSmall)?;
        let start = self.used.checked_add(padding(at)).ok_or(TooSmall)?;
        let len = n.checked_add(1).and_then(|k| k.checked_mul(size_of::<*mut c_char>())).ok_or(TooSmall)?;
        self.take(start, len)?.fill(0);
        Ok(start)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::lookup::tests::{admins, alice};

    fn c_string_at(buf: &[u8], at: usize) -> &str {
        let rest = &buf[at..];
        let end = rest.iter().position(|&b| b == 0).expect("NUL-terminated");
        std::str::from_utf8(&rest[..end]).unwrap()
    }

    #[test]
    fn passwd_fits_exactly_and_not_one_byte_less() {
        let u = alice();
        let need = passwd_size(&u);
        assert_eq!(need, "alice\0*\0Alice Liddell\0/home/alice\0/bin/bash\0".len());
        let mut buf = vec![0xAAu8; need];
        let l = passwd(&u, &mut buf).unwrap();
        assert_eq!(buf, b"alice\0*\0Alice Liddell\0/home/alice\0/bin/bash\0");
        assert_eq!(c_string_at(&buf, l.name), "alice");
        assert_eq!(c_string_at(&buf, l.passwd), "*");
        assert_eq!(c_string_at(&buf, l.gecos), "Alice Liddell");
        assert_eq!(c_string_at(&buf, l.dir), "/home/alice");
        assert_eq!(c_string_at(&buf, l.shell), "/bin/bash");
        for short in [0, 1, need / 2, need - 1] {
            let mut small = vec![0u8; short];
            assert_eq!(passwd(&u, &mut small), Err(TooSmall), "{short} bytes");
        }
        let mut big = vec![0u8; need + 100];
        assert!(passwd(&u, &mut big).is_ok());
    }

    #[test]
    fn empty_fields_are_empty_strings() {
        let mut u = alice();
        u.gecos.clear();
        let mut buf = vec![0xAAu8; passwd_size(&u)];
        let l = passwd(&u, &mut buf).unwrap();
        assert_eq!(c_string_at(&buf, l.gecos), "");
        assert_eq!(c_string_at(&buf, l.dir), "/home/alice");
    }

    #[test]
    fn group_pointer_array_is_aligned_wherever_the_buffer_starts() {
        let g = admins();
        let ptr = size_of::<*mut c_char>();
        let mut backing = vec![0xAAu8; 512];
        for skew in 0..ptr {
            let buf = &mut backing[skew..];
            let at = buf.as_ptr() as usize;
            let need = group_size(&g, at);
            let buf = &mut buf[..need];
            let l = group(&g, buf).unwrap();
            assert_eq!((at + l.mem) % align_of::<*mut c_char>(), 0, "skew {skew}");
            assert_eq!(l.mem, padding(at));
            // Three slots (two members + NULL), zeroed, before the strings.
            assert!(buf[l.mem..l.mem + 3 * ptr].iter().all(|&b| b == 0));
            assert_eq!(l.name, l.mem + 3 * ptr);
            assert_eq!(c_string_at(buf, l.name), "admins");
            assert_eq!(c_string_at(buf, l.passwd), "*");
            let names: Vec<&str> = l.members.iter().map(|&m| c_string_at(buf, m)).collect();
            assert_eq!(names, ["alice", "bob"]);
            // Exact fit: the last member's NUL is the buffer's last byte.
            assert_eq!(l.members[1] + "bob\0".len(), need);
        }
    }

    #[test]
    fn group_too_small_anywhere_is_refused() {
        let g = admins();
        let mut backing = vec![0u8; 512];
        let at = backing.as_ptr() as usize;
        let need = group_size(&g, at);
        for short in 0..need {
            assert_eq!(group(&g, &mut backing[..short]), Err(TooSmall), "{short} bytes");
        }
        assert!(group(&g, &mut backing[..need]).is_ok());
    }

    #[test]
    fn a_group_without_members_has_just_the_null_slot() {
        let g = PosixGroup { name: "alice".into(), gid: 200_000, members: vec![] };
        let mut backing = vec![0xAAu8; 64];
        let at = backing.as_ptr() as usize;
        let need = group_size(&g, at);
        assert_eq!(need, padding(at) + size_of::<*mut c_char>() + "alice\0*\0".len());
        let l = group(&g, &mut backing[..need]).unwrap();
        assert!(l.members.is_empty());
        assert_eq!(c_string_at(&backing, l.name), "alice");
    }
}

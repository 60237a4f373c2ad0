//! glibc's gid array for `initgroups_dyn`, behind the safe [`GidArray`] trait.

use crate::groups::GidArray;
use crate::status::Failure;
use libc::gid_t;
use std::ffi::c_long;
use std::mem::size_of;

/// glibc's gid array for `initgroups_dyn`: `*groupsp` (malloc'ed), `*start` slots in use,
/// `*size` slots allocated.
pub(super) struct CallerGids {
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
    pub(super) unsafe fn new(start: *mut c_long, size: *mut c_long, groups: *mut *mut gid_t) -> Result<Self, Failure> {
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

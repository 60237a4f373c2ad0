//! `initgroups_dyn`: adding a user's Wicket groups to the array glibc is building.
//!
//! glibc hands over an array it allocated with `malloc` (`*groupsp`), how many slots are in
//! use (`*start`) and how many exist (`*size`), plus `limit` (≤ 0: none). Like nss_files, a
//! module appends the groups not yet listed, growing the array with `realloc` — at least
//! doubling, never beyond `limit` — and silently stops at the limit.

use crate::status::Failure;
use std::ffi::c_long;

/// The caller's gid array. [`crate::ffi`] implements it over glibc's pointers; tests over a
/// `Vec`.
pub trait GidArray {
    /// Slots in use (`*start`).
    fn used(&self) -> usize;
    /// Slots allocated (`*size`).
    fn allocated(&self) -> usize;
    /// The gid in slot `index` (< `used`).
    fn get(&self, index: usize) -> u32;
    /// Reallocates to `slots` slots (more than now); false when out of memory, with the
    /// array unchanged.
    fn grow(&mut self, slots: usize) -> bool;
    /// Appends one gid; only called while `used < allocated`.
    fn push(&mut self, gid: u32);
}

/// Appends the gids in `gids` that are neither `primary` nor already in `array`, growing it
/// within `limit` (`None`: unbounded). Returns how many were added.
pub fn add(array: &mut impl GidArray, gids: &[u32], primary: u32, limit: Option<usize>) -> Result<usize, Failure> {
    let mut new: Vec<u32> = Vec::new();
    for &gid in gids {
        let listed = (0..array.used()).any(|i| array.get(i) == gid);
        if gid != primary && !listed && !new.contains(&gid) {
            new.push(gid);
        }
    }
    let needed = array.used().checked_add(new.len()).ok_or(Failure::NoMemory)?;
    if needed > array.allocated() {
        let wanted = needed.max(array.allocated().saturating_mul(2));
        let target = limit.map_or(wanted, |l| wanted.min(l));
        if target > array.allocated() && !array.grow(target) {
            return Err(Failure::NoMemory);
        }
    }
    let mut added = 0;
    for gid in new {
        if array.used() >= array.allocated() {
            break; // at the limit: the rest are dropped, as nss_files does
        }
        array.push(gid);
        added += 1;
    }
    Ok(added)
}

/// glibc's `limit` argument: a positive value caps the array, anything else does not.
pub fn limit_from(raw: c_long) -> Option<usize> {
    if raw > 0 { usize::try_from(raw).ok() } else { None }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub(crate) mod tests {
    use super::*;

    /// glibc's array, modelled: a Vec for the slots in use and a separate capacity.
    #[derive(Debug)]
    pub(crate) struct VecGids {
        pub gids: Vec<u32>,
        pub cap: usize,
        pub grows: Vec<usize>,
        pub fail_grow: bool,
    }

    impl VecGids {
        pub(crate) fn new(gids: &[u32], cap: usize) -> Self {
            Self { gids: gids.to_vec(), cap, grows: vec![], fail_grow: false }
        }
    }

    impl GidArray for VecGids {
        fn used(&self) -> usize {
            self.gids.len()
        }
        fn allocated(&self) -> usize {
            self.cap
        }
        fn get(&self, index: usize) -> u32 {
            self.gids[index]
        }
        fn grow(&mut self, capacity: usize) -> bool {
            assert!(capacity > self.cap, "grow must grow: {} -> {capacity}", self.cap);
            if self.fail_grow {
                return false;
            }
            self.grows.push(capacity);
            self.cap = capacity;
            true
        }
        fn push(&mut self, gid: u32) {
            assert!(self.gids.len() < self.cap, "push beyond capacity");
            self.gids.push(gid);
        }
    }

    #[test]
    fn appends_without_the_primary_group_or_repeats() {
        // glibc starts with the primary gid in slot 0; files may have added 27 already.
        let mut a = VecGids::new(&[100, 27], 4);
        let n = add(&mut a, &[100, 27, 300, 301, 300], 100, None).unwrap();
        assert_eq!(n, 2);
        assert_eq!(a.gids, [100, 27, 300, 301]);
        assert!(a.grows.is_empty(), "it fit without realloc");
    }

    #[test]
    fn grows_at_least_double_and_once() {
        let mut a = VecGids::new(&[100], 1);
        let n = add(&mut a, &[1, 2, 3, 4, 5], 100, None).unwrap();
        assert_eq!(n, 5);
        assert_eq!(a.gids, [100, 1, 2, 3, 4, 5]);
        assert_eq!(a.grows, [6], "one realloc to what is needed when that exceeds double");
        let mut a = VecGids::new(&[100, 1, 2, 3], 4);
        add(&mut a, &[9], 100, None).unwrap();
        assert_eq!(a.grows, [8], "doubling when one more is needed");
    }

    #[test]
    fn the_limit_caps_growth_and_drops_the_rest() {
        let mut a = VecGids::new(&[100], 1);
        let n = add(&mut a, &[1, 2, 3, 4, 5], 100, Some(3)).unwrap();
        assert_eq!(n, 2);
        assert_eq!(a.gids, [100, 1, 2]);
        assert_eq!(a.grows, [3]);
        // Already at the limit: no realloc, nothing added, not an error.
        let mut a = VecGids::new(&[100, 1, 2], 3);
        assert_eq!(add(&mut a, &[7, 8], 100, Some(3)), Ok(0));
        assert!(a.grows.is_empty());
        assert_eq!(a.gids, [100, 1, 2]);
        // A limit below what the caller already allocated never shrinks the array.
        let mut a = VecGids::new(&[100], 8);
        assert_eq!(add(&mut a, &[1, 2, 3], 100, Some(2)), Ok(3));
        assert!(a.grows.is_empty());
    }

    #[test]
    fn out_of_memory_leaves_the_array_as_it_was() {
        let mut a = VecGids::new(&[100], 1);
        a.fail_grow = true;
        assert_eq!(add(&mut a, &[1, 2], 100, None), Err(Failure::NoMemory));
        assert_eq!(a.gids, [100]);
        assert_eq!(a.cap, 1);
    }

    #[test]
    fn nothing_new_means_no_realloc() {
        let mut a = VecGids::new(&[100, 1], 2);
        assert_eq!(add(&mut a, &[1, 100], 100, None), Ok(0));
        assert_eq!(add(&mut a, &[], 100, None), Ok(0));
        assert!(a.grows.is_empty());
    }

    #[test]
    fn limits_from_glibc() {
        assert_eq!(limit_from(0), None);
        assert_eq!(limit_from(-1), None);
        assert_eq!(limit_from(65536), Some(65536));
    }
}

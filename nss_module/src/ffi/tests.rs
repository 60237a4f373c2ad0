use super::*;
use crate::lookup::tests::{Scripted, admins, alice};
use wicket_proto::client::ClientError;
use wicket_proto::proto::Response;

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
fn initgroups(d: &Scripted, initial: &[gid_t], size: c_long, limit: c_long) -> (NssStatus, c_int, Vec<gid_t>, c_long) {
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
    let r = unsafe { initgroups_with(&d, c"alice".as_ptr(), 1, ptr::null_mut(), ptr::null_mut(), ptr::null_mut(), 0) };
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

//! The five questions glibc asks, answered through a [`Daemon`]: names are checked before
//! anything is sent, and answers are checked before anything is returned.

use crate::daemon::Daemon;
use crate::status::Failure;
use wicket_proto::client::ClientError;
use wicket_proto::proto::{Op, PosixGroup, PosixUser, Response};

/// Longest user or group name this module asks about, in bytes.
pub const MAX_NAME: usize = 256;

/// The name as text when it could name a Wicket account: not empty, at most [`MAX_NAME`]
/// bytes, UTF-8 (the protocol is JSON), and free of control characters, `/` and `:`.
/// Anything else is "not found" without asking the daemon.
pub fn valid_name(name: &[u8]) -> Option<&str> {
    if name.is_empty() || name.len() > MAX_NAME {
        return None;
    }
    let text = std::str::from_utf8(name).ok()?;
    if text.chars().any(|c| c.is_control() || c == '/' || c == ':') {
        return None;
    }
    Some(text)
}

/// passwd by name (`getpwnam`). Names match exactly, case included.
pub fn user_by_name(daemon: &impl Daemon, name: &[u8]) -> Result<PosixUser, Failure> {
    let name = valid_name(name).ok_or(Failure::NotFound)?;
    match ask(daemon, Op::GetPwNam { name: name.to_string() })? {
        Response::Passwd(user) if user.name == name => checked_user(user),
        Response::Passwd(_) => Err(Failure::NotFound),
        _ => Err(Failure::BadAnswer),
    }
}

/// passwd by uid (`getpwuid`).
pub fn user_by_uid(daemon: &impl Daemon, uid: u32) -> Result<PosixUser, Failure> {
    if !ordinary_id(uid) {
        return Err(Failure::NotFound);
    }
    match ask(daemon, Op::GetPwUid { uid })? {
        Response::Passwd(user) if user.uid == uid => checked_user(user),
        Response::Passwd(_) => Err(Failure::NotFound),
        _ => Err(Failure::BadAnswer),
    }
}

/// group by name (`getgrnam`).
pub fn group_by_name(daemon: &impl Daemon, name: &[u8]) -> Result<PosixGroup, Failure> {
    let name = valid_name(name).ok_or(Failure::NotFound)?;
    match ask(daemon, Op::GetGrNam { name: name.to_string() })? {
        Response::Group(group) if group.name == name => checked_group(group),
        Response::Group(_) => Err(Failure::NotFound),
        _ => Err(Failure::BadAnswer),
    }
}

/// group by gid (`getgrgid`).
pub fn group_by_gid(daemon: &impl Daemon, gid: u32) -> Result<PosixGroup, Failure> {
    if !ordinary_id(gid) {
        return Err(Failure::NotFound);
    }
    match ask(daemon, Op::GetGrGid { gid })? {
        Response::Group(group) if group.gid == gid => checked_group(group),
        Response::Group(_) => Err(Failure::NotFound),
        _ => Err(Failure::BadAnswer),
    }
}

/// The supplementary gids of `user` (`initgroups`), without gid 0 and without repeats, in
/// the daemon's order. A user Wicket does not know has none.
pub fn groups_of(daemon: &impl Daemon, user: &[u8]) -> Result<Vec<u32>, Failure> {
    let user = valid_name(user).ok_or(Failure::NotFound)?;
    match ask(daemon, Op::InitGroups { user: user.to_string() })? {
        Response::Groups { gids } => {
            let mut out: Vec<u32> = Vec::with_capacity(gids.len());
            for gid in gids {
                if ordinary_id(gid) && !out.contains(&gid) {
                    out.push(gid);
                }
            }
            Ok(out)
        }
        _ => Err(Failure::BadAnswer),
    }
}

/// Sends one question; maps transport failures and the daemon's "no" answers.
fn ask(daemon: &impl Daemon, op: Op) -> Result<Response, Failure> {
    match daemon.ask(op) {
        Ok(Response::NotFound) => Err(Failure::NotFound),
        Ok(Response::Unavailable { .. }) => Err(Failure::TryLater),
        Ok(answer) => Ok(answer),
        Err(ClientError::Connect(_)) => Err(Failure::DaemonDown),
        Err(ClientError::Io(_)) => Err(Failure::TryLater),
        Err(ClientError::Protocol(_)) => Err(Failure::BadAnswer),
    }
}

/// Ids this module ever returns: not root's 0, not the "no id" value `(uid_t)-1`.
fn ordinary_id(id: u32) -> bool {
    id != 0 && id != u32::MAX
}

/// A usable passwd entry: ordinary ids, no NUL bytes (C strings would be cut short).
fn checked_user(user: PosixUser) -> Result<PosixUser, Failure> {
    if !ordinary_id(user.uid) || !ordinary_id(user.gid) {
        return Err(Failure::NotFound);
    }
    let texts = [&user.name, &user.gecos, &user.home, &user.shell];
    if user.name.is_empty() || texts.iter().any(|t| t.contains('\0')) {
        return Err(Failure::BadAnswer);
    }
    Ok(user)
}

/// A usable group entry: an ordinary gid, no NUL bytes, no empty member names.
fn checked_group(group: PosixGroup) -> Result<PosixGroup, Failure> {
    if !ordinary_id(group.gid) {
        return Err(Failure::NotFound);
    }
    if group.name.is_empty()
        || group.name.contains('\0')
        || group.members.iter().any(|m| m.is_empty() || m.contains('\0'))
    {
        return Err(Failure::BadAnswer);
    }
    Ok(group)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub(crate) mod tests {
    use super::*;
    use std::cell::RefCell;

    /// A daemon that answers from a script and records what it was asked.
    #[derive(Debug, Default)]
    pub(crate) struct Scripted {
        pub answer: RefCell<Option<Result<Response, ClientError>>>,
        pub asked: RefCell<Vec<String>>,
    }

    impl Scripted {
        pub(crate) fn answering(r: Result<Response, ClientError>) -> Self {
            Self { answer: RefCell::new(Some(r)), asked: RefCell::default() }
        }
    }

    impl Daemon for Scripted {
        fn ask(&self, op: Op) -> Result<Response, ClientError> {
            self.asked.borrow_mut().push(format!("{op:?}"));
            self.answer.borrow_mut().take().unwrap_or(Err(ClientError::Io("asked twice".into())))
        }
    }

    pub(crate) fn alice() -> PosixUser {
        PosixUser {
            name: "alice".into(),
            uid: 200_000,
            gid: 200_000,
            gecos: "Alice Liddell".into(),
            home: "/home/alice".into(),
            shell: "/bin/bash".into(),
        }
    }

    pub(crate) fn admins() -> PosixGroup {
        PosixGroup { name: "admins".into(), gid: 200_001, members: vec!["alice".into(), "bob".into()] }
    }

    #[test]
    fn names_are_checked_before_asking() {
        assert_eq!(valid_name(b"alice"), Some("alice"));
        assert_eq!(valid_name("jürgen".as_bytes()), Some("jürgen"));
        assert_eq!(valid_name("a".repeat(MAX_NAME).as_bytes()).map(str::len), Some(MAX_NAME));
        assert_eq!(valid_name(b"first last"), Some("first last"));
        let long = "a".repeat(MAX_NAME + 1);
        for bad in [&b""[..], b"a/b", b"../etc", b"a:b", b"a\nb", b"a\tb", b"\x7f", b"\xff\xfe", long.as_bytes()] {
            assert_eq!(valid_name(bad), None, "{bad:?}");
            let d = Scripted::default();
            assert_eq!(user_by_name(&d, bad), Err(Failure::NotFound));
            assert_eq!(group_by_name(&d, bad), Err(Failure::NotFound));
            assert_eq!(groups_of(&d, bad), Err(Failure::NotFound));
            assert!(d.asked.borrow().is_empty(), "asked about {bad:?}");
        }
    }

    #[test]
    fn answers_map_to_entries_and_failures() {
        let cases: Vec<(Result<Response, ClientError>, Result<PosixUser, Failure>)> = vec![
            (Ok(Response::Passwd(alice())), Ok(alice())),
            (Ok(Response::NotFound), Err(Failure::NotFound)),
            (Ok(Response::Unavailable { reason: "ldap down".into() }), Err(Failure::TryLater)),
            (Err(ClientError::Connect("No such file or directory".into())), Err(Failure::DaemonDown)),
            (Err(ClientError::Connect("Connection refused".into())), Err(Failure::DaemonDown)),
            (Err(ClientError::Io("timed out".into())), Err(Failure::TryLater)),
            (Err(ClientError::Protocol("bad frame length 0".into())), Err(Failure::BadAnswer)),
            (Ok(Response::BadRequest { reason: "protocol version 1 not supported".into() }), Err(Failure::BadAnswer)),
            (Ok(Response::NotAllowed), Err(Failure::BadAnswer)),
            (Ok(Response::Group(admins())), Err(Failure::BadAnswer)),
            (Ok(Response::Ok), Err(Failure::BadAnswer)),
        ];
        for (answer, want) in cases {
            let shown = format!("{answer:?}");
            let d = Scripted::answering(answer);
            assert_eq!(user_by_name(&d, b"alice"), want, "{shown}");
            assert_eq!(d.asked.borrow().as_slice(), [r#"GetPwNam { name: "alice" }"#], "{shown}");
        }
    }

    #[test]
    fn an_entry_for_another_key_is_not_returned() {
        // LDAP matches uids case-insensitively; this module matches exactly, like nslcd.
        let mut upper = alice();
        upper.name = "Alice".into();
        let d = Scripted::answering(Ok(Response::Passwd(upper)));
        assert_eq!(user_by_name(&d, b"alice"), Err(Failure::NotFound));
        let d = Scripted::answering(Ok(Response::Passwd(alice())));
        assert_eq!(user_by_uid(&d, 200_002), Err(Failure::NotFound));
        let d = Scripted::answering(Ok(Response::Group(admins())));
        assert_eq!(group_by_name(&d, b"wheel"), Err(Failure::NotFound));
        let d = Scripted::answering(Ok(Response::Group(admins())));
        assert_eq!(group_by_gid(&d, 5), Err(Failure::NotFound));
        let d = Scripted::answering(Ok(Response::Group(admins())));
        assert_eq!(group_by_gid(&d, 200_001), Ok(admins()));
        let d = Scripted::answering(Ok(Response::Passwd(alice())));
        assert_eq!(user_by_uid(&d, 200_000), Ok(alice()));
    }

    #[test]
    fn root_and_nul_bytes_are_refused() {
        for (uid, gid) in [(0, 200_000), (200_000, 0)] {
            let mut u = alice();
            u.uid = uid;
            u.gid = gid;
            let d = Scripted::answering(Ok(Response::Passwd(u)));
            assert_eq!(user_by_name(&d, b"alice"), Err(Failure::NotFound));
        }
        let d = Scripted::default();
        assert_eq!(user_by_uid(&d, 0), Err(Failure::NotFound));
        assert_eq!(group_by_gid(&d, 0), Err(Failure::NotFound));
        assert_eq!(user_by_uid(&d, u32::MAX), Err(Failure::NotFound));
        assert!(d.asked.borrow().is_empty());

        let mut g = admins();
        g.gid = 0;
        let d = Scripted::answering(Ok(Response::Group(g)));
        assert_eq!(group_by_name(&d, b"admins"), Err(Failure::NotFound));

        let mut u = alice();
        u.shell = "/bin/sh\0evil".into();
        let d = Scripted::answering(Ok(Response::Passwd(u)));
        assert_eq!(user_by_name(&d, b"alice"), Err(Failure::BadAnswer));
        let mut g = admins();
        g.members.push(String::new());
        let d = Scripted::answering(Ok(Response::Group(g)));
        assert_eq!(group_by_name(&d, b"admins"), Err(Failure::BadAnswer));
    }

    #[test]
    fn supplementary_groups_drop_root_and_repeats() {
        let d = Scripted::answering(Ok(Response::Groups { gids: vec![200_001, 0, 200_002, 200_001, u32::MAX] }));
        assert_eq!(groups_of(&d, b"alice"), Ok(vec![200_001, 200_002]));
        assert_eq!(d.asked.borrow().as_slice(), [r#"InitGroups { user: "alice" }"#]);
        let d = Scripted::answering(Ok(Response::Groups { gids: vec![] }));
        assert_eq!(groups_of(&d, b"nobody-here"), Ok(vec![]));
        let d = Scripted::answering(Ok(Response::Unavailable { reason: "x".into() }));
        assert_eq!(groups_of(&d, b"alice"), Err(Failure::TryLater));
        let d = Scripted::answering(Err(ClientError::Connect("refused".into())));
        assert_eq!(groups_of(&d, b"alice"), Err(Failure::DaemonDown));
        let d = Scripted::answering(Ok(Response::Passwd(alice())));
        assert_eq!(groups_of(&d, b"alice"), Err(Failure::BadAnswer));
    }
}

//! NSS lookups (users, groups, memberships) answered from the local store.

use super::LocalBackend;
use crate::directory::{Lookup, PosixGroup, PosixUser, Unavailable};
use crate::store::User;

impl crate::directory::Directory for LocalBackend {
    fn user_by_name(&self, name: &str) -> Lookup<PosixUser> {
        self.with_store(|s| s.get_user(name)).map(|u| u.map(|u| posix_user(&u))).map_err(unavailable)
    }

    fn user_by_uid(&self, uid: u32) -> Lookup<PosixUser> {
        self.with_store(|s| s.get_user_by_uid(uid)).map(|u| u.map(|u| posix_user(&u))).map_err(unavailable)
    }

    fn group_by_name(&self, name: &str) -> Lookup<PosixGroup> {
        self.with_store(|s| {
            if let Some(g) = s.get_group(name)? {
                return Ok(Some(PosixGroup { name: g.name, gid: g.gid, members: g.members }));
            }
            // A user's private group, when it has the user's number and no real group does.
            Ok(s.get_user(name)?.filter(|u| u.gid == u.uid).map(|u| private_group(&u)))
        })
        .map_err(unavailable)
    }

    fn group_by_gid(&self, gid: u32) -> Lookup<PosixGroup> {
        self.with_store(|s| {
            if let Some(g) = s.get_group_by_gid(gid)? {
                return Ok(Some(PosixGroup { name: g.name, gid: g.gid, members: g.members }));
            }
            Ok(s.get_user_by_uid(gid)?.filter(|u| u.gid == u.uid).map(|u| private_group(&u)))
        })
        .map_err(unavailable)
    }

    fn groups_of(&self, user: &str) -> std::result::Result<Vec<PosixGroup>, Unavailable> {
        self.with_store(|s| {
            let Some(u) = s.get_user(user)? else { return Ok(Vec::new()) };
            let mut out = Vec::new();
            for name in &u.groups {
                if let Some(g) = s.get_group(name)? {
                    out.push(PosixGroup { name: g.name, gid: g.gid, members: g.members });
                }
            }
            Ok(out)
        })
        .map_err(unavailable)
    }
}

fn unavailable(e: crate::Error) -> Unavailable {
    Unavailable(e.to_string())
}

fn posix_user(u: &User) -> PosixUser {
    PosixUser {
        name: u.name.clone(),
        uid: u.uid,
        gid: u.gid,
        gecos: u.display_name.clone().unwrap_or_default(),
        home: u.home.clone(),
        shell: u.shell.clone(),
    }
}

fn private_group(u: &User) -> PosixGroup {
    PosixGroup { name: u.name.clone(), gid: u.gid, members: Vec::new() }
}

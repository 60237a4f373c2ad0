//! `wicket import htpasswd FILE`: users from an Apache htpasswd file, their hashes kept as
//! they are (and upgraded to argon2id on each user's next successful login). All imported
//! users land in one transaction; lines that cannot be imported are reported and skipped.

use crate::CmdResult;
use crate::ctx::Ctx;
use anyhow::{Context, bail};
use std::io::Read;
use std::path::Path;
use std::process::ExitCode;
use wicket_core::duration::sanitize;
use wicket_core::names::validate_name;
use wicket_core::password::check_stored_hash;
use wicket_core::store::{NewUser, PasswordRecord};

pub fn htpasswd(ctx: &Ctx, file: &Path) -> CmdResult {
    let shown = file.display().to_string();
    let mut text = String::new();
    if shown == "-" {
        std::io::stdin().read_to_string(&mut text).context("while reading standard input")?;
    } else {
        std::fs::File::open(file)
            .and_then(|mut f| f.read_to_string(&mut text))
            .with_context(|| format!("while reading {shown}"))?;
    }
    let mut store = ctx.store()?;
    let mut batch: Vec<(NewUser, Option<PasswordRecord>)> = Vec::new();
    let mut skipped = 0usize;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let mut skip = |why: String| {
            eprintln!("warning: {shown}:{line_no}: {why}; skipped");
            skipped += 1;
        };
        // `user:hash`, possibly followed by more `:` fields (ignored, as Apache does).
        let Some((name, rest)) = line.split_once(':') else {
            skip("not `user:hash`".into());
            continue;
        };
        let hash = rest.split(':').next().unwrap_or("");
        if let Err(e) = validate_name(name) {
            skip(e.to_string());
            continue;
        }
        // Never echo the hash: it is password-equivalent for weak formats. A hash over the
        // cost caps (argon2 m=191000000 asks for 182 GiB) would take the daemon down at the
        // user's first login, so it is refused here like an unknown format.
        if let Err(e) = check_stored_hash(hash) {
            skip(format!("user `{name}`: {e}"));
            continue;
        }
        if store.user_exists(name)? || batch.iter().any(|(u, _)| u.name == name) {
            skip(format!("user `{}` already exists", sanitize(name)));
            continue;
        }
        let new = NewUser { name: name.to_string(), ..NewUser::default() };
        batch.push((new, Some(PasswordRecord { hash: hash.to_string(), ha1: Vec::new() })));
    }
    if batch.is_empty() && skipped == 0 {
        bail!("{shown}: no users found");
    }
    store.add_users(&batch, &ctx.cfg.users, ctx.now())?;
    println!("imported {}, skipped {skipped}", batch.len());
    Ok(if batch.is_empty() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use wicket_core::clock::ManualClock;
    use wicket_core::config::{Config, DigestAlgorithm};
    use wicket_core::store::Store;

    /// `{SHA}` of "pw" (`htpasswd -nbs`).
    const SHA: &str = "{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM=";
    /// apr1 of "pw" (`htpasswd -nbm`).
    const APR1: &str = "$apr1$WKdfkLbw$NJaV2c33gpG38A7l8r5TV0";

    /// A private directory, removed on drop (the CLI has no tempfile dependency).
    struct TempDir(std::path::PathBuf);

    impl TempDir {
        fn new() -> Self {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static N: AtomicUsize = AtomicUsize::new(0);
            let n = N.fetch_add(1, Ordering::Relaxed);
            let p = std::env::temp_dir().join(format!("wicket-import-test-{}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            Self(p)
        }

        fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    struct Fx {
        dir: TempDir,
        ctx: Ctx,
    }

    /// A context over a fresh store whose `[users]` range holds `ids` uids.
    fn fixture(ids: u32) -> Fx {
        let dir = TempDir::new();
        let text = format!(
            "[store]\npath = \"{}\"\n[users]\nuid_min = 300000\nuid_max = {}\n",
            dir.path().join("w.db").display(),
            300_000 + ids - 1
        );
        let cfg = Config::parse(&text).unwrap_or_else(|e| panic!("{e}"));
        Fx { dir, ctx: Ctx { cfg, clock: Arc::new(ManualClock::new(1_800_000_000)) } }
    }

    impl Fx {
        fn import(&self, text: &str) -> CmdResult {
            let file = self.dir.path().join("htpasswd");
            std::fs::write(&file, text).unwrap_or_else(|e| panic!("{e}"));
            htpasswd(&self.ctx, &file)
        }

        fn store(&self) -> Store {
            Store::open(&self.ctx.cfg.store.path, self.ctx.cfg.store.busy_timeout).unwrap_or_else(|e| panic!("{e}"))
        }

        fn hash_of(&self, name: &str) -> Option<String> {
            self.store().get_user(name).unwrap_or_else(|e| panic!("{e}")).and_then(|u| u.password_hash)
        }
    }

    #[test]
    fn hashes_are_kept_as_they_are_and_no_ha1_is_made() {
        let fx = fixture(10);
        let text = format!("# a comment\n\nann:{SHA}\r\nben:{APR1}:extra:fields\n");
        let code = fx.import(&text).unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(code, ExitCode::SUCCESS);
        assert_eq!(fx.hash_of("ann").as_deref(), Some(SHA), "the CR is not part of the hash");
        assert_eq!(fx.hash_of("ben").as_deref(), Some(APR1), "fields after the hash are ignored");
        let realm = fx.ctx.cfg.server.realm.clone();
        for algorithm in [DigestAlgorithm::Md5, DigestAlgorithm::Sha256] {
            let ha1 = fx.store().get_ha1("ann", &realm, algorithm).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(ha1, None, "an import cannot know HA1");
        }
    }

    #[test]
    fn unusable_lines_and_duplicates_are_skipped() {
        let fx = fixture(10);
        fx.import(&format!("ann:{SHA}\n")).unwrap_or_else(|e| panic!("{e:#}"));
        let text = format!("ann:{SHA}\nno-colon-here\nBad.Name:{SHA}\ndes:abJnggxhB/yWI\ncid:{SHA}\ncid:{APR1}\n");
        let code = fx.import(&text).unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(code, ExitCode::SUCCESS, "one user was imported");
        assert_eq!(fx.hash_of("cid").as_deref(), Some(SHA), "the first line for a name wins");
        assert_eq!(fx.hash_of("des"), None);
        assert!(fx.store().get_user("Bad.Name").unwrap_or_else(|e| panic!("{e}")).is_none());
    }

    #[test]
    fn nothing_importable_exits_1_and_an_empty_file_is_an_error() {
        let fx = fixture(10);
        let code = fx.import("des:abJnggxhB/yWI\n").unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(code, ExitCode::from(1));
        let e = fx.import("# only a comment\n\n").err().map(|e| format!("{e:#}")).unwrap_or_default();
        assert!(e.ends_with("htpasswd: no users found"), "{e}");
    }

    #[test]
    fn a_user_that_cannot_be_stored_undoes_the_whole_import() {
        // Room for two uids; the third user fails after two were inserted.
        let fx = fixture(2);
        let e = fx.import(&format!("ann:{SHA}\nben:{SHA}\ncid:{SHA}\n")).err().map(|e| format!("{e:#}"));
        assert!(e.as_deref().is_some_and(|e| e.contains("no free id")), "{e:?}");
        for name in ["ann", "ben", "cid"] {
            assert_eq!(fx.hash_of(name), None, "{name} was left behind by a failed import");
        }
    }
}

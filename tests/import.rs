//! `wicket import htpasswd`: wicket(1) promises that all users are added in one transaction,
//! "either all of them or, on error, none", while lines that cannot be imported are
//! reported and skipped.

use crate::support::{Env, stderr};

/// Four users that each import cleanly on their own (`{SHA}` hashes).
const FOUR: &str = "ann:{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM=\n\
                    ben:{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM=\n\
                    cat:{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM=\n\
                    dan:{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM=\n";

/// Runs `wicket --config CFG import htpasswd FILE` where the config allows `ids` uids.
fn import_with_uids(env: &Env, ids: u32, file_text: &str) -> std::process::Output {
    let cfg = env.dir.path().join("wicket.toml");
    let text = format!(
        "[store]\npath = \"{}\"\n[users]\nuid_min = 200000\nuid_max = {}\n",
        env.db.display(),
        200_000 + ids - 1
    );
    std::fs::write(&cfg, text).unwrap_or_else(|e| panic!("{e}"));
    let file = env.dir.path().join("htpasswd");
    std::fs::write(&file, file_text).unwrap_or_else(|e| panic!("{e}"));
    env.wicket(
        &["--config", cfg.to_str().unwrap_or_default(), "import", "htpasswd", file.to_str().unwrap_or_default()],
        "",
    )
}

#[test]
fn an_import_that_fails_in_the_middle_imports_nobody() {
    let env = Env::new();
    // Room for two uids: the third user cannot be stored, after two were inserted.
    let out = import_with_uids(&env, 2, FOUR);
    assert!(!out.status.success(), "the import should fail: {}", String::from_utf8_lossy(&out.stdout));
    assert!(stderr(&out).contains("no free id"), "the error says why: {}", stderr(&out));
    assert_eq!(env.user_names(), Vec::<String>::new(), "a failed import left users behind");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("imported"), "{out:?}");
}

#[test]
fn the_same_import_with_room_imports_everyone() {
    // The control for the test above: the file itself is fine.
    let env = Env::new();
    let out = import_with_uids(&env, 4, FOUR);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "imported 4, skipped 0");
    assert_eq!(env.user_names(), ["ann", "ben", "cat", "dan"]);
}

#[test]
fn lines_that_cannot_be_imported_are_skipped_not_fatal() {
    let env = Env::new();
    let file = "ann:{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM=\n\
                Bad.Name:{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM=\n\
                des:abJnggxhB/yWI\n\
                ben:{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM=\n";
    let out = import_with_uids(&env, 10, file);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "imported 2, skipped 2");
    let err = stderr(&out);
    assert!(err.contains(":2:") && err.contains(":3:"), "each skipped line is named: {err}");
    assert!(!err.contains("abJnggxhB/yWI"), "a hash was echoed: {err}");
    assert_eq!(env.user_names(), ["ann", "ben"]);
}
